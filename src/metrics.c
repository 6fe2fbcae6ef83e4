/* SPDX-License-Identifier: MIT */
/*
 * `verify --metrics FILE`: the plan as Prometheus text exposition format,
 * for node_exporter's textfile collector, which reads *.prom files whole at
 * each scrape.  The file is written under a temporary name in its own
 * directory (a dot name that does not end in .prom, so the collector never
 * reads it half-written) and renamed into place.
 *
 * Series: the version (kvmtune_build_info), settings per section and state,
 * a drift gauge, this run's errors and time, and the time, exit status and
 * change count of the last apply, which apply keeps in
 * /run/kvmtune/last-apply (time 0 and status -1 without one).  Nothing is
 * labelled by interface, disk or key unless -v asks for per-setting series.
 *
 * The file's directory is opened without following a symlink that anyone
 * but root could have made (open_metrics_dir()): Debian gives
 * /var/lib/prometheus to the prometheus user, who must not be able to point
 * node-exporter/ at a directory of root's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kvmtune.h"

#define LAST_APPLY "last-apply"                 /* in run/kvmtune */
#define LAST_APPLY_REL "run/kvmtune/" LAST_APPLY

static const char *const states[] = { "ok", "set", "skip", "error" };

/* The state a setting counts in: a "set" that verify counts as met is ok; "reboot" differs. */
static enum action metric_state(const struct setting *s)
{
        if (s->action == ACT_REBOOT)
                return ACT_SET;         /* also in kvmtune_reboot_required */
        return s->action == ACT_SET && s->verify_met ? ACT_OK : s->action;
}

static bool drifted(const struct setting *s)
{
        enum action a = metric_state(s);

        return a == ACT_SET || a == ACT_ERROR;
}

/* A label value: \, " and newline escaped; bytes that are not UTF-8 become U+FFFD. */
static void label_value(FILE *out, const char *s)
{
        fputc('"', out);
        while (*s) {
                unsigned char c = (unsigned char)*s;
                size_t n;

                if (c == '\\' || c == '"') {
                        fprintf(out, "\\%c", c);
                } else if (c == '\n') {
                        fputs("\\n", out);
                } else if (c < 0x20 || c == 0x7f) {
                        fputs("\xef\xbf\xbd", out);
                } else if (c >= 0x80) {
                        n = utf8_len((const unsigned char *)s);
                        if (!n) {
                                fputs("\xef\xbf\xbd", out);
                        } else {
                                fwrite(s, 1, n, out);
                                s += n;
                                continue;
                        }
                } else {
                        fputc(c, out);
                }
                s++;
        }
        fputc('"', out);
}

static void header(FILE *out, const char *name, const char *help)
{
        fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

struct last_apply {
        bool known;
        uint64_t time, changes, errors;
        uint64_t status;
};

/* run/kvmtune/last-apply under the root: "key=value" lines */
static void read_last_apply(struct kvmtune *k, struct last_apply *la)
{
        char *text = NULL, *save = NULL;
        bool have_time = false, have_status = false;

        *la = (struct last_apply){ 0 };
        if (kernfs_read(k, LAST_APPLY_REL, &text) < 0)
                return;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');
                uint64_t v;

                if (!eq)
                        continue;
                *eq = '\0';
                if (parse_u64(eq + 1, &v) < 0)
                        continue;
                if (!strcmp(line, "time"))
                        la->time = v, have_time = true;
                else if (!strcmp(line, "status"))
                        la->status = v, have_status = true;
                else if (!strcmp(line, "changes"))
                        la->changes = v;
                else if (!strcmp(line, "errors"))
                        la->errors = v;
        }
        la->known = have_time && have_status;
        if (!la->known)                 /* a record that is not one counts as none */
                *la = (struct last_apply){ 0 };
        free(text);
}

/*
 * A setting's name as the labels device and key: block, netdev and cpu
 * name theirs "DEVICE KEY" (a device name has no space), modparams
 * "MODULE PARAM", which becomes the key MODULE.PARAM (the kernel command
 * line's spelling); other names are the key, with no device.
 */
static void name_labels(FILE *out, int section, const char *name)
{
        const char *sp = strchr(name, ' ');

        fputs(",device=", out);
        if (sp && (section == SEC_BLOCK || section == SEC_NETDEV || section == SEC_CPU)) {
                char *dev = xasprintf("%.*s", (int)(sp - name), name);

                label_value(out, dev);
                free(dev);
                name = sp + 1;
        } else {
                label_value(out, "");
        }
        fputs(",key=", out);
        if (sp && section == SEC_MODPARAMS) {
                char *key = xasprintf("%.*s.%s", (int)(sp - name), name, sp + 1);

                label_value(out, key);
                free(key);
        } else {
                label_value(out, name);
        }
}

/* Per-setting drift (-v), one series per section and name (drift wins over met). */
static void per_setting(struct kvmtune *k, FILE *out)
{
        struct strmap seen = { 0 };     /* "section\nname" -> index + 1 */
        struct series { char *key; int section; bool drift; } *v = NULL;
        size_t n = 0;

        header(out, "kvmtune_setting_drift",
               "Per setting (kvmtune -v): 1 when it differs from the live system or fails, else 0.");
        for (size_t i = 0; i < k->n_settings; i++) {
                const struct setting *s = k->settings[i];
                char name[SETTING_NAME_MAX];
                char *key = xasprintf("%s\n%s", section_table[s->section]->name, setting_name(s, name, sizeof(name)));
                bool found;
                void **slot = strmap_slot(&seen, key, &found);

                if (found) {
                        v[(uintptr_t)*slot - 1].drift |= drifted(s);
                        free(key);
                        continue;
                }
                v = xrealloc_array(v, n + 1, sizeof(*v));
                v[n] = (struct series){ key, s->section, drifted(s) };
                *slot = (void *)(uintptr_t)++n;
        }
        strmap_free(&seen);             /* before the keys are cut and freed */
        for (size_t i = 0; i < n; i++) {
                char *nl = strchr(v[i].key, '\n');

                *nl = '\0';
                fputs("kvmtune_setting_drift{section=", out);
                label_value(out, v[i].key);
                name_labels(out, v[i].section, nl + 1);
                fprintf(out, "} %d\n", v[i].drift);
                free(v[i].key);
        }
        free(v);
}

static void write_metrics(struct kvmtune *k, FILE *out)
{
        unsigned count[N_SECTIONS][4] = { { 0 } };
        struct last_apply la;
        bool drift = false, reboot = false;

        for (size_t i = 0; i < k->n_settings; i++) {
                const struct setting *s = k->settings[i];

                count[s->section][metric_state(s)]++;
                drift |= drifted(s);
                reboot |= s->action == ACT_REBOOT;
        }
        header(out, "kvmtune_build_info", "The kvmtune that wrote these series: its version, as a label; always 1.");
        fputs("kvmtune_build_info{version=", out);
        label_value(out, KVMTUNE_VERSION);
        fputs("} 1\n", out);
        header(out, "kvmtune_settings",
               "Configured settings per section and state (ok, set: differs, skip, error), as verify found them.");
        for (int sec = 0; sec < N_SECTIONS; sec++) {
                if (!section_enabled(k, sec))
                        continue;
                for (size_t st = 0; st < 4; st++)
                        fprintf(out, "kvmtune_settings{section=\"%s\",state=\"%s\"} %u\n",
                                section_table[sec]->name, states[st], count[sec][st]);
        }
        header(out, "kvmtune_drift",
               "1 when at least one setting differs from the live system or fails, else 0.");
        fprintf(out, "kvmtune_drift %d\n", drift);
        header(out, "kvmtune_reboot_required",
               "1 when the boot loader has a kernel argument kvmtune keeps ([cmdline]) that the running kernel was booted without, else 0.");
        fprintf(out, "kvmtune_reboot_required %d\n", reboot);
        header(out, "kvmtune_errors", "Errors of this run: files and settings, each with its file:line.");
        fprintf(out, "kvmtune_errors %u\n", k->n_errors);
        header(out, "kvmtune_verify_timestamp_seconds", "When this run wrote the metrics, in seconds since the epoch.");
        fprintf(out, "kvmtune_verify_timestamp_seconds %lld\n", (long long)time(NULL));
        /* no record (no apply since boot, or one that is not a record): time 0, status -1 */
        read_last_apply(k, &la);
        header(out, "kvmtune_last_apply_timestamp_seconds",
               "When the last apply (not a --device run) ended, in seconds since the epoch; 0: no apply recorded since boot.");
        fprintf(out, "kvmtune_last_apply_timestamp_seconds %llu\n", (unsigned long long)la.time);
        header(out, "kvmtune_last_apply_exit_status",
               "Exit status of the last apply: 0 when all was applied; -1: no apply recorded since boot.");
        if (la.known)
                fprintf(out, "kvmtune_last_apply_exit_status %llu\n", (unsigned long long)la.status);
        else
                fputs("kvmtune_last_apply_exit_status -1\n", out);
        header(out, "kvmtune_last_apply_changes", "Settings the last apply changed (0 when none is recorded).");
        fprintf(out, "kvmtune_last_apply_changes %llu\n", (unsigned long long)la.changes);
        header(out, "kvmtune_last_apply_errors", "Errors of the last apply (0 when none is recorded).");
        fprintf(out, "kvmtune_last_apply_errors %llu\n", (unsigned long long)la.errors);
        if (k->verbose)
                per_setting(k, out);
}

/* Owned by root or by whoever runs kvmtune: nobody else can change it. */
static bool owner_safe(const struct stat *st)
{
        return st->st_uid == 0 || st->st_uid == geteuid();
}

/*
 * May the symlink (link) found in directory dir be followed?  Only when
 * nobody but root or the caller can have put it there: dir is owned by them
 * and writable by nobody else, or dir is a sticky one of theirs (/tmp) and
 * the link is theirs too.
 */
static bool link_safe(const struct stat *dir, const struct stat *link)
{
        if (!owner_safe(dir))
                return false;
        if (!(dir->st_mode & (S_IWGRP | S_IWOTH)))
                return true;
        return (dir->st_mode & S_ISVTX) && owner_safe(link);
}

static int open_start(const char *p, struct stat *st)
{
        int fd = open(*p == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/*
 * The directory part of path (its first len bytes), opened one component at
 * a time with O_NOFOLLOW, so that no directory someone else controls can
 * send the file elsewhere: a symlink is followed (its target walked the
 * same way) only where link_safe() says root put it.  The textfile
 * directory itself, or one above it, may belong to another user (Debian
 * makes /var/lib/prometheus the prometheus user's): the file is then
 * written in that real directory, never through a link of theirs.
 * Returns an O_PATH descriptor, or a negative errno, said.
 */
static int open_metrics_dir(struct kvmtune *k, const char *path, size_t len)
{
        char *todo = xasprintf("%.*s", (int)len, path), *p = todo;
        struct stat dst, st;
        int dir, links = 0, r = 0;

        dir = open_start(p, &dst);
        while (dir >= 0) {
                char *comp, target[PATH_MAX];
                size_t n;
                int fd;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                n = strcspn(p, "/");
                comp = xasprintf("%.*s", (int)n, p);
                p += n;
                fd = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0) {
                        r = -errno;
                } else if (S_ISDIR(st.st_mode)) {
                        close(dir);
                        dir = fd, dst = st, fd = -1;
                } else if (!S_ISLNK(st.st_mode)) {
                        r = -ENOTDIR;
                } else if (!link_safe(&dst, &st)) {
                        log_error(k, NULL, "--metrics %s: not following the symlink %s: it lies in a directory "
                                  "of uid %u%s, who could point it anywhere", path, comp, (unsigned)dst.st_uid,
                                  dst.st_mode & (S_IWGRP | S_IWOTH) ? " writable by others" : "");
                        r = -EPERM;
                } else if (++links > 40) {
                        r = -ELOOP;
                } else {
                        ssize_t tl;

                        tl = readlinkat(fd, "", target, PATH_MAX - 1);
                        if (tl < 0) {
                                r = -errno;
                        } else {
                                char *rest = xasprintf("%.*s%s", (int)tl, target, p);

                                free(todo);
                                todo = p = rest;
                                if (*p == '/') {
                                        close(dir);
                                        dir = open_start(p, &dst);
                                }
                        }
                }
                if (fd >= 0)
                        close(fd);
                if (r < 0 && r != -EPERM)
                        log_error(k, NULL, "--metrics %s: %s: %s", path, comp, strerror(-r));
                free(comp);
                if (r < 0) {
                        close(dir);
                        dir = r;
                }
        }
        if (dir < 0 && r == 0)
                log_error(k, NULL, "--metrics %s: %s", path, strerror(-dir));
        free(todo);
        return dir;
}

/* text into dir/name: a new dot file there (O_EXCL, not a .prom name), mode 0644, synced, renamed over name */
static int replace_at(int dir, const char *name, const char *text, size_t len)
{
        char tmp[NAME_MAX + 1];
        size_t done = 0;
        int fd = -1, r = 0;

        for (int i = 0; fd < 0; i++) {
                unsigned long long rnd;

                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                        rnd = (unsigned long long)getpid() << 20 ^ (unsigned long long)time(NULL) ^ (unsigned)i;
                if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.%016llx", name, rnd) >= sizeof(tmp))
                        return -ENAMETOOLONG;
                fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd < 0 && (errno != EEXIST || i == 100))
                        return -errno;
        }
        if (fchmod(fd, 0644) < 0)
                r = -errno;
        while (r == 0 && done < len) {
                ssize_t n = write(fd, text + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        r = n < 0 ? -errno : -EIO;
                else
                        done += (size_t)n;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dir, tmp, dir, name) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dir, tmp, 0);
        return r;
}

/*
 * Write the metrics to path (taken as given, not under --root): its
 * directory opened by open_metrics_dir(), then a temp file there renamed
 * over the name (replace_at()), both relative to that directory.  A failure
 * is an error; path is then left as it was.
 */
int metrics_write(struct kvmtune *k, const char *path)
{
        const char *slash = strrchr(path, '/');
        const char *name = slash ? slash + 1 : path;
        char *text = NULL;
        size_t len = 0;
        FILE *mem;
        int dir, r = 0;

        if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
                log_error(k, NULL, "--metrics %s: names a directory, not a file", path);
                return -EISDIR;
        }
        mem = open_memstream(&text, &len);
        if (!mem) {
                r = -errno;
                log_error(k, NULL, "--metrics %s: %s", path, strerror(-r));
                return r;
        }
        write_metrics(k, mem);
        if (fclose(mem) != 0) {
                r = -errno;
                log_error(k, NULL, "--metrics %s: %s", path, strerror(-r));
                free(text);
                return r;
        }
        dir = open_metrics_dir(k, path, slash ? (size_t)(slash - path) + 1 : 0);
        if (dir < 0) {
                free(text);
                return dir;
        }
        r = replace_at(dir, name, text, len);
        if (r < 0)
                log_error(k, NULL, "--metrics %s: cannot write it: %s", path, strerror(-r));
        close(dir);
        free(text);
        return r;
}

/*
 * apply, under its lock: the time, exit status, changes and errors of this
 * run into run/kvmtune/last-apply, replaced whole (temp file and rename),
 * so that a verify reading it at the same time sees one run or the other.
 * /run is a tmpfs, so no fsync: the record lives until the next boot only.
 * A failure is said, and does not change the exit status it records.
 */
void metrics_note_apply(struct kvmtune *k, int status)
{
        int dir = revert_dirfd(k), fd, r = 0;
        char tmp[64], *text;
        size_t len;
        ssize_t n;

        if (dir < 0)
                return;
        text = xasprintf("time=%lld\nstatus=%d\nchanges=%u\nerrors=%u\n", (long long)time(NULL), status,
                         k->n_changes, k->n_errors);
        len = strlen(text);
        snprintf(tmp, sizeof(tmp), LAST_APPLY ".%ld.tmp", (long)getpid());
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
        } else {
                do
                        n = write(fd, text, len);
                while (n < 0 && errno == EINTR);
                if (n < 0 || (size_t)n != len)
                        r = n < 0 ? -errno : -ENOSPC;
                if (close(fd) < 0 && r == 0)
                        r = -errno;
                if (r == 0 && renameat(dir, tmp, dir, LAST_APPLY) < 0)
                        r = -errno;
                if (r < 0)
                        unlinkat(dir, tmp, 0);
        }
        if (r < 0)
                log_notice(k, NULL, "cannot write /%s: %s", LAST_APPLY_REL, strerror(-r));
        free(text);
}
