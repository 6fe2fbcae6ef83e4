/* SPDX-License-Identifier: MIT */
/*
 * The ground floor: the messages every room tells (errors, notices, info,
 * debug), with their origin.  Under systemd (JOURNAL_STREAM) lines carry
 * <N> syslog priorities; in the initramfs without a journal they go to
 * /dev/kmsg.  Calls nothing of kvmtune's but util.c.
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
bool log_info_shown(const struct kvmtune *k)
{
        return !k->quiet && !k->json;
}

void log_info(struct kvmtune *k, const char *fmt, ...)
{
        va_list ap;

        if (!log_info_shown(k))
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
