/* SPDX-License-Identifier: MIT */
/*
 * Everything kvmtune tells the user: change lines, notices and errors,
 * the plan table and --json.  Under systemd (JOURNAL_STREAM) lines carry
 * <N> syslog priorities; in the initramfs without a journal they go to
 * /dev/kmsg.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"

/*
 * JOURNAL_STREAM ("DEV:INODE", decimal) names the journal stream systemd
 * connected to the service.  It is inherited by children whose output was
 * redirected, so, as systemd's own log.c does, it counts only when fd 2 is
 * that stream; fd 1 must be too, since change lines go to stdout (a
 * `kvmtune plan > file` in a unit gets no <N> prefixes in the file).
 */
void log_setup(struct kvmtune *k)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev = 0, ino = 0;
        bool journal = false;
        char *end;

        k->kmsg_fd = -1;
        if (e && *e >= '0' && *e <= '9') {
                errno = 0;
                dev = strtoull(e, &end, 10);
                if (!errno && *end == ':' && end[1] >= '0' && end[1] <= '9') {
                        ino = strtoull(end + 1, &end, 10);
                        journal = !errno && !*end;
                }
        }
        for (int fd = STDOUT_FILENO; journal && fd <= STDERR_FILENO; fd++) {
                struct stat st;

                journal = fstat(fd, &st) == 0 &&
                          (unsigned long long)st.st_dev == dev &&
                          (unsigned long long)st.st_ino == ino;
        }
        if (journal) {
                k->log = LOG_JOURNAL;
                /* a line at a time, so the journal stamps each when it happens */
                setvbuf(stdout, NULL, _IOLBF, 0);
                return;
        }
        if (k->stage == STAGE_INITRD && !k->root &&
            access("/run/systemd/journal/stdout", F_OK) < 0) {
                k->kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                if (k->kmsg_fd >= 0) {
                        k->log = LOG_KMSG;
                        return;
                }
        }
        k->log = LOG_STDIO;
}

static void emit(struct kvmtune *k, int prio, FILE *f, const char *prefix, const char *msg)
{
        char line[KVMTUNE_MAX_VALUE * 2 + 512];
        int n;

        switch (k->log) {
        case LOG_KMSG:
                n = snprintf(line, sizeof(line), "<%d>kvmtune: %s\n", LOG_DAEMON | prio, msg);
                if (n > 0 && write(k->kmsg_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) >= 0)
                        return;
                break;
        case LOG_JOURNAL:
                fprintf(f, "<%d>%s%s\n", prio, prefix, msg);
                return;
        case LOG_STDIO:
                break;
        }
        fprintf(f, "%s%s\n", prefix, msg);
}

__attribute__((format(printf, 5, 0)))
static void vlog(struct kvmtune *k, int prio, FILE *f, const struct origin *at,
                 const char *fmt, va_list ap)
{
        char *msg, *full;

        if (k->log_muted)
                return;
        if (vasprintf(&msg, fmt, ap) < 0)
                return;
        if (at && at->file && at->line)
                full = xasprintf("%s:%u: %s", at->file, at->line, msg);
        else if (at && at->file)
                full = xasprintf("%s: %s", at->file, msg);
        else
                full = xstrdup(msg);
        emit(k, prio, f, f == stderr ? "kvmtune: " : "", full);
        free(full);
        free(msg);
}

void log_error(struct kvmtune *k, const struct origin *at, const char *fmt, ...)
{
        va_list ap;

        k->n_errors++;
        va_start(ap, fmt);
        vlog(k, LOG_ERR, stderr, at, fmt, ap);
        va_end(ap);
}

void log_notice(struct kvmtune *k, const struct origin *at, const char *fmt, ...)
{
        va_list ap;

        if (k->quiet)
                return;
        va_start(ap, fmt);
        vlog(k, LOG_NOTICE, stderr, at, fmt, ap);
        va_end(ap);
}

/* whether log_info() prints anything (not under -q or --json) */
static bool info_shown(const struct kvmtune *k)
{
        return !k->quiet && !k->json;
}

void log_info(struct kvmtune *k, const char *fmt, ...)
{
        va_list ap;

        if (!info_shown(k))
                return;
        va_start(ap, fmt);
        vlog(k, LOG_INFO, stdout, NULL, fmt, ap);
        va_end(ap);
}

void log_debug(struct kvmtune *k, const char *fmt, ...)
{
        va_list ap;

        if (!k->verbose)
                return;
        va_start(ap, fmt);
        vlog(k, LOG_DEBUG, stderr, NULL, fmt, ap);
        va_end(ap);
}

const char *action_name(enum action a)
{
        static const char *const names[] = {
                [ACT_OK] = "ok", [ACT_SET] = "set", [ACT_SKIP] = "skip", [ACT_ERROR] = "error",
                [ACT_REBOOT] = "reboot",
        };
        return names[a];
}

void report_change(struct kvmtune *k, const struct setting *s, const char *old)
{
        char name[SETTING_NAME_MAX];

        if (!info_shown(k))
                return;         /* no name to make for a line not shown */
        log_info(k, "%s %s: %s -> %s", section_table[s->section]->name, setting_name(s, name, sizeof(name)),
                 old ? old : "?", s->want);     /* a bound's write is the number itself */
}

/* plan / verify: one line per setting */
void report_plan(struct kvmtune *k, FILE *out)
{
        for (size_t i = 0; i < k->n_settings; i++) {
                const struct setting *s = k->settings[i];
                char name[SETTING_NAME_MAX];

                if (s->action == ACT_OK && k->quiet)
                        continue;
                fprintf(out, "%-5s %s %s: %s -> %s%s", action_name(s->action),
                        section_table[s->section]->name, setting_name(s, name, sizeof(name)),
                        s->cur ? s->cur : "?", bound_prefix(s->bound), s->want ? s->want : "?");
                if (get_more(s)->stored)
                        fprintf(out, " (kernel stores %s)", get_more(s)->stored);
                if (setting_note(s))
                        fprintf(out, " (%s)", setting_note(s));
                if (k->verbose && s->at.file)
                        fprintf(out, " [%s:%u]", s->at.file, s->at.line);
                fputc('\n', out);
        }
}

/* length of the valid UTF-8 sequence at s, 0 if none */
size_t utf8_len(const unsigned char *s)
{
        size_t n;
        unsigned cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return 0;
        return n;
}

/* A JSON string; bytes that are not UTF-8 (a value is bytes) become U+FFFD. */
static void json_string(FILE *out, const char *s)
{
        if (!s) {
                fputs("null", out);
                return;
        }
        fputc('"', out);
        while (*s) {
                unsigned char c = (unsigned char)*s;
                size_t n;

                if (c == '"' || c == '\\')
                        fprintf(out, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", out);
                else if (c == '\t')
                        fputs("\\t", out);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(out, "\\u%04x", c);
                else if (c >= 0x80) {
                        n = utf8_len((const unsigned char *)s);
                        if (!n) {
                                fputs("\\ufffd", out);
                                s++;
                        } else {
                                fwrite(s, 1, n, out);
                                s += n;
                        }
                        continue;
                } else
                        fputc(c, out);
                s++;
        }
        fputc('"', out);
}

void report_json(struct kvmtune *k, FILE *out)
{
        static const char *const cmds[] = {
                [CMD_APPLY] = "apply", [CMD_PLAN] = "plan", [CMD_VERIFY] = "verify",
                [CMD_CAT_CONFIG] = "cat-config", [CMD_REVERT] = "revert", [CMD_IMPORT] = "import",
        };
        char buf[4200];

        fprintf(out, "{\"command\":\"%s\",\"errors\":%u,\"changes\":%u,\"settings\":[",
                cmds[k->cmd], k->n_errors, k->n_changes);
        for (size_t i = 0; i < k->n_settings; i++) {
                const struct setting *s = k->settings[i];
                char name[SETTING_NAME_MAX];

                fputs(i ? ",\n{" : "\n{", out);
                fputs("\"section\":", out);
                json_string(out, section_table[s->section]->name);
                fputs(",\"name\":", out);
                json_string(out, setting_name(s, name, sizeof(name)));
                fputs(",\"path\":", out);
                json_string(out, s->path ? shown_path(s->path, buf, sizeof(buf)) : NULL);
                fputs(",\"current\":", out);
                json_string(out, s->cur);
                fputs(",\"wanted\":", out);
                json_string(out, s->want);
                if (s->bound)
                        fprintf(out, ",\"bound\":\"%s\"", s->bound == BOUND_AT_LEAST ? "at-least" : "at-most");
                if (get_more(s)->stored) {
                        fputs(",\"stored\":", out);
                        json_string(out, get_more(s)->stored);
                }
                fputs(",\"action\":", out);
                json_string(out, action_name(s->action));
                fprintf(out, ",\"changed\":%s", s->changed ? "true" : "false");
                fputs(",\"file\":", out);
                json_string(out, s->at.file);
                fprintf(out, ",\"line\":%u", s->at.line);
                fputs(",\"note\":", out);
                json_string(out, setting_note(s));
                if (get_more(s)->json_extra)
                        fprintf(out, ",%s", get_more(s)->json_extra);
                fputc('}', out);
        }
        fputs("]}\n", out);
}
