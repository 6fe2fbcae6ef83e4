/* SPDX-License-Identifier: MIT */
/*
 * The kernel's cross-writes: the files that a write to one knob changes
 * besides the knob itself, in one table.  Apply writes the old values of
 * those files into the revert record before the write (write-ahead, as
 * for the knob), reads them again after it and tells what changed; plan
 * reads again at apply the settings whose file another setting's write
 * changes; revert, which puts back the record in reverse order (the knob
 * before the files it changed), goes over it again until nothing differs.
 * Checked on Linux 6.18 (tests/live/property_random.sh).
 */
#include <dirent.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtune.h"

struct cross_write {
        const char *writes;     /* the knob written; '*' is one path component (%1 in changes) */
        const char *changes;    /* the files it changes; one '*': every entry of that directory */
        const char *not_written;        /* %1 values the line is not for (space-separated) */
        const char *not_changed;        /* entries the changes' '*' does not take */
};

#define V4 "proc/sys/net/ipv4/"
#define V6 "proc/sys/net/ipv6/conf/"

static const struct cross_write table[] = {
        /*
         * An elevator switch sets nr_requests (to the tag depth under none,
         * to twice the queue depth under mq-deadline and kyber) and makes
         * the new scheduler's iosched/ tunables with their defaults.
         */
        { "sys/block/*/queue/scheduler", "sys/block/%1/queue/nr_requests", NULL, NULL },
        { "sys/block/*/queue/scheduler", "sys/block/%1/queue/iosched/*", NULL, NULL },
        /* mq-deadline's async_depth follows nr_requests */
        { "sys/block/*/queue/nr_requests", "sys/block/%1/queue/iosched/*", NULL, NULL },
        /*
         * ip_forward is conf.all.forwarding: a change of either sets the
         * other, conf.default's and every interface's forwarding, and
         * conf.all.accept_redirects to its opposite.
         */
        { V4 "ip_forward", V4 "conf/*/forwarding", NULL, NULL },
        { V4 "ip_forward", V4 "conf/all/accept_redirects", NULL, NULL },
        { V4 "conf/all/forwarding", V4 "ip_forward", NULL, NULL },
        { V4 "conf/all/forwarding", V4 "conf/*/forwarding", NULL, NULL },
        { V4 "conf/all/forwarding", V4 "conf/all/accept_redirects", NULL, NULL },
        /* conf.default.X is copied into every interface that never had X written (not forwarding) */
        { V4 "conf/default/*", V4 "conf/*/%1", "forwarding", "all default" },
        /* these IPv6 conf.all attributes are copied into default and every interface */
        { V6 "all/forwarding", V6 "*/forwarding", NULL, NULL },
        { V6 "all/disable_ipv6", V6 "*/disable_ipv6", NULL, NULL },
        { V6 "all/ignore_routes_with_linkdown", V6 "*/ignore_routes_with_linkdown", NULL, NULL },
        { V6 "all/addr_gen_mode", V6 "*/addr_gen_mode", NULL, NULL },
        /* force_forwarding into every interface, not default */
        { V6 "all/force_forwarding", V6 "*/force_forwarding", NULL, "default" },
        /* of the dirty thresholds, the ratio and the bytes exclude each other: one zeroes its twin */
        { "proc/sys/vm/dirty_ratio", "proc/sys/vm/dirty_bytes", NULL, NULL },
        { "proc/sys/vm/dirty_bytes", "proc/sys/vm/dirty_ratio", NULL, NULL },
        { "proc/sys/vm/dirty_background_ratio", "proc/sys/vm/dirty_background_bytes", NULL, NULL },
        { "proc/sys/vm/dirty_background_bytes", "proc/sys/vm/dirty_background_ratio", NULL, NULL },
        /* the machine-check ignore_ce is one system-wide value every machinecheckN shows */
        { "sys/devices/system/machinecheck/*/ignore_ce", "sys/devices/system/machinecheck/*/ignore_ce", NULL, NULL },
};

#define N_TABLE (sizeof(table) / sizeof(*table))

/* is the word w[0, len) in the space-separated list */
static bool in_list(const char *list, const char *w, size_t len)
{
        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, " ");
                if (n == len && !strncmp(p, w, len))
                        return true;
                p += n + (p[n] == ' ');
        }
        return false;
}

/* path against pattern: '*' one component, captured into *cap (pointer and length) */
static bool match(const char *pat, const char *path, const char **cap, size_t *cap_len)
{
        *cap = NULL;
        *cap_len = 0;
        while (*pat && *path) {
                if (*pat == '*') {
                        size_t n = strcspn(path, "/");
                        if (!n)
                                return false;
                        *cap = path;
                        *cap_len = n;
                        path += n;
                        pat++;
                } else if (*pat++ != *path++)
                        return false;
        }
        return !*pat && !*path;
}

/* the table's lines for path, by index; -1 at the end */
static int next_line(const char *path, int from, const char **cap, size_t *cap_len)
{
        for (size_t i = (size_t)from; i < N_TABLE; i++)
                if (match(table[i].writes, path, cap, cap_len) &&
                    !in_list(table[i].not_written, *cap, *cap_len))
                        return (int)i;
        return -1;
}

bool cross_writes_may(const char *path)
{
        const char *cap;
        size_t len;

        /* most settings are none of these: a cheap test first */
        if (!path || (strncmp(path, "sys/block/", 10) && strncmp(path, "proc/sys/net/ipv", 16) &&
                      strncmp(path, "proc/sys/vm/dirty_", 18) && strncmp(path, "sys/devices/system/machinecheck/", 32)))
                return false;
        return next_line(path, 0, &cap, &len) >= 0;
}

static void add(struct cross_files *out, char *path)
{
        for (size_t i = 0; i < out->n; i++)
                if (!strcmp(out->v[i], path)) {
                        free(path);
                        return;
                }
        out->v = xgrow(out->v, out->n, sizeof(*out->v));
        out->v[out->n++] = path;
}

/* a file that exists and that root may write: what revert can put back */
static bool writable(struct kvmtune *k, const char *rel)
{
        struct stat st;

        return kernfs_stat(k, rel, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IWUSR);
}

/* the files of pattern (one '*' at most, %1 substituted) that exist, path itself excepted */
static void expand(struct kvmtune *k, const struct cross_write *t, const char *cap, size_t cap_len,
                   const char *path, struct cross_files *out)
{
        char *p = xstrdup(t->changes), *pct = strstr(p, "%1"), *star, *dir;
        struct dirent *de;
        DIR *d;

        if (pct) {
                char *q = xasprintf("%.*s%.*s%s", (int)(pct - p), p, (int)cap_len, cap, pct + 2);
                free(p);
                p = q;
        }
        star = strchr(p, '*');
        if (!star) {
                if (strcmp(p, path) && writable(k, p))
                        add(out, p);
                else
                        free(p);
                return;
        }
        dir = xasprintf("%.*s", (int)(star - p - 1), p);
        d = kernfs_opendir(k, dir);
        while (d && (de = readdir(d))) {
                char *f;

                if (de->d_name[0] == '.' || in_list(t->not_changed, de->d_name, strlen(de->d_name)))
                        continue;
                f = xasprintf("%s/%s%s", dir, de->d_name, star + 1);
                if (strcmp(f, path) && (star[1] || de->d_type == DT_REG || de->d_type == DT_UNKNOWN) &&
                    writable(k, f))
                        add(out, f);
                else
                        free(f);
        }
        if (d)
                closedir(d);
        free(dir);
        free(p);
}

/* The files a write to path changes besides path, those that exist now. */
void cross_writes_list(struct kvmtune *k, const char *path, struct cross_files *out)
{
        const char *cap;
        size_t len;

        out->v = NULL;
        out->old = NULL;
        out->n = 0;
        if (!cross_writes_may(path))
                return;
        for (int i = next_line(path, 0, &cap, &len); i >= 0; i = next_line(path, i + 1, &cap, &len))
                expand(k, &table[i], cap, len, path, out);
}

void cross_files_free(struct cross_files *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->v[i]);
                if (f->old)
                        free(f->old[i]);
        }
        free(f->v);
        free(f->old);
        f->v = f->old = NULL;
        f->n = 0;
}
