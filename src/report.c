/* SPDX-License-Identifier: MIT */
/*
 * What kvmtune reports of the settings: the change lines of apply, the
 * plan table and --json.  The messages themselves are log.c's.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtune.h"

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

        if (!log_info_shown(k))
                return;         /* no name to make for a line not shown */
        log_info(k, "%s %s: %s -> %s", section_name(s->section), setting_name(s, name, sizeof(name)),
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
                        section_name(s->section), setting_name(s, name, sizeof(name)),
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
                json_string(out, section_name(s->section));
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
