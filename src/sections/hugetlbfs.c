/* SPDX-License-Identifier: MIT */
/*
 * [hugetlbfs "/mount/point"]: mount hugetlbfs with libmount.  An existing
 * mount with the same options is fine; with other options it is an error,
 * never a silent remount.  Under --root the mount is only reported.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kvmtune.h"
#include "../mount-dl.h"

enum mopt { OPT_PAGESIZE, OPT_MODE, OPT_UID, OPT_GID, OPT_SIZE, OPT_MIN_SIZE, OPT_NR_INODES, N_OPTS };
static const char *const opt_names[N_OPTS] = {
        "pagesize", "mode", "uid", "gid", "size", "min_size", "nr_inodes",
};

struct hmount {
        char *target;
        char *opt[N_OPTS];
        struct origin at;
};

struct hugetlbfs_state {
        struct hmount *m;
        size_t n;
};

static int hugetlbfs_check_sub(struct kvmtune *k, const char *sub, struct origin at)
{
        bool ok = sub[0] == '/' && sub[1] && strlen(sub) < 4096 && !has_control_char(sub);

        for (const char *c = sub + 1; ok && *c;) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        ok = false;
                c += n;
                if (*c == '/' && !*++c)
                        ok = false;
        }
        if (!ok) {
                log_error(k, &at, "[hugetlbfs \"%s\"]: the mount point must be an absolute path without "
                          ".., . or empty components", sub);
                return -EINVAL;
        }
        return 0;
}

static bool valid_name(const char *s)
{
        return *s && *s != '-' && strlen(s) < 64 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

static bool valid_value(enum mopt o, const char *v)
{
        uint64_t n;

        switch (o) {
        case OPT_PAGESIZE:
        case OPT_NR_INODES:
                return parse_size(v, &n) == 0 && (o != OPT_PAGESIZE || n >= 4096);
        case OPT_MODE:
                return *v && strlen(v) <= 4 && strspn(v, "01234567") == strlen(v);
        case OPT_UID:
        case OPT_GID:
                return valid_name(v);
        case OPT_SIZE:
        case OPT_MIN_SIZE:
                return parse_size_or_percent(v, 100, &n) == 0;
        default:
                return false;
        }
}

static int hugetlbfs_parse(struct kvmtune *k, const char *sub, const char *key, const char *value,
                           struct origin at)
{
        struct hugetlbfs_state *st = k->state[SEC_HUGETLBFS];
        struct hmount *m = NULL;
        int o;

        for (o = 0; o < N_OPTS && strcmp(key, opt_names[o]); o++)
                ;
        if (o == N_OPTS) {
                log_error(k, &at, "unknown key '%s' in [hugetlbfs]", key);
                return -EINVAL;
        }
        if (!valid_value((enum mopt)o, value)) {
                log_error(k, &at, "hugetlbfs %s: invalid value '%s'", key, value);
                return -EINVAL;
        }
        if (!st)
                st = k->state[SEC_HUGETLBFS] = xcalloc(1, sizeof(*st));
        for (size_t i = 0; i < st->n; i++)
                if (!strcmp(st->m[i].target, sub))
                        m = &st->m[i];
        if (!m) {
                st->m = xrealloc_array(st->m, st->n + 1, sizeof(*st->m));
                m = &st->m[st->n++];
                *m = (struct hmount){ .target = xstrdup(sub), .at = at };
        }
        free(m->opt[o]);
        m->opt[o] = xstrdup(value);
        return 0;
}

/* uid/gid names to numbers; numbers are taken as they are (the initramfs may lack passwd) */
static int resolve_id(enum mopt o, const char *v, unsigned long *id)
{
        uint64_t n;

        if (parse_u64(v, &n) == 0) {
                *id = (unsigned long)n;
                return 0;
        }
        if (o == OPT_UID) {
                struct passwd *pw = getpwnam(v);
                if (!pw)
                        return -ENOENT;
                *id = pw->pw_uid;
        } else {
                struct group *gr = getgrnam(v);
                if (!gr)
                        return -ENOENT;
                *id = gr->gr_gid;
        }
        return 0;
}

/* The option string to mount with, ids resolved. */
static char *mount_options(struct kvmtune *k, const struct hmount *m, struct origin *at)
{
        char *out = xstrdup("");

        for (int o = 0; o < N_OPTS; o++) {
                char *next, val[32];
                const char *v = m->opt[o];
                unsigned long id;

                if (!v)
                        continue;
                if (o == OPT_UID || o == OPT_GID) {
                        if (resolve_id((enum mopt)o, v, &id) < 0) {
                                log_error(k, at, "hugetlbfs %s: no %s named '%s'", m->target,
                                          o == OPT_UID ? "user" : "group", v);
                                free(out);
                                return NULL;
                        }
                        snprintf(val, sizeof(val), "%lu", id);
                        v = val;
                }
                next = xasprintf("%s%s%s=%s", out, *out ? "," : "", opt_names[o], v);
                free(out);
                out = next;
        }
        return out;
}

/* Does the mounted option string carry what we want?  Absent means the kernel default. */
static bool options_match(const struct mount_lib *ml, const char *have, const char *want)
{
        char *copy = xstrdup(want), *save = NULL;
        bool match = true;

        for (char *w = strtok_r(copy, ",", &save); w && match; w = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(w, '='), *hv = NULL, buf[64];
                size_t hsz = 0;
                uint64_t a, b;

                *eq = '\0';
                if (ml->optstr_get_option(have, w, &hv, &hsz) != 0) {
                        /* not shown: mode 0755, uid 0 and gid 0 are the defaults */
                        if (!strcmp(w, "mode"))
                                match = strtoul(eq + 1, NULL, 8) == 0755;
                        else if (!strcmp(w, "uid") || !strcmp(w, "gid"))
                                match = !strcmp(eq + 1, "0");
                        else
                                match = false;
                        continue;
                }
                snprintf(buf, sizeof(buf), "%.*s", (int)hsz, hv);
                if (!strcmp(w, "mode"))
                        match = strtoul(buf, NULL, 8) == strtoul(eq + 1, NULL, 8);
                else if (!strchr(eq + 1, '%') && parse_size(buf, &a) == 0 && parse_size(eq + 1, &b) == 0)
                        match = a == b;
                else
                        match = !strcmp(buf, eq + 1);
        }
        free(copy);
        return match;
}

static int hugetlbfs_mount(struct kvmtune *k, struct setting *s)
{
        const struct mount_lib *ml;
        struct libmnt_context *cxt;
        const char *err;
        int r;

        if (k->root) {
                log_info(k, "hugetlbfs %s: would mount with %s (not done under --root)", s->name, s->want);
                return 0;
        }
        ml = mount_lib_open(k, &err);
        if (!ml) {
                setting_fail(k, s, "cannot load libmount: %s", err);
                return -ENOSYS;
        }
        if (mkdir(s->name, 0755) < 0 && errno != EEXIST) {
                /* create missing parents too */
                char *p = xstrdup(s->name);
                for (char *c = p + 1; *c; c++)
                        if (*c == '/') {
                                *c = '\0';
                                mkdir(p, 0755);
                                *c = '/';
                        }
                free(p);
                if (mkdir(s->name, 0755) < 0 && errno != EEXIST) {
                        r = -errno;
                        setting_fail(k, s, "cannot create the mount point: %s", strerror(-r));
                        return r;
                }
        }
        cxt = ml->new_context();
        if (!cxt)
                return -ENOMEM;
        ml->context_disable_helpers(cxt, 1);
        ml->context_disable_mtab(cxt, 1);       /* no userspace options: /run/mount/utab is not needed */
        ml->context_set_fstype(cxt, "hugetlbfs");
        ml->context_set_source(cxt, "hugetlbfs");
        ml->context_set_target(cxt, s->name);
        ml->context_set_options(cxt, s->want);
        r = ml->context_mount(cxt);
        if (r != 0) {
                int e = ml->context_get_syscall_errno(cxt);
                setting_fail(k, s, "mount failed: %s", e ? strerror(e) : "libmount error");
                r = -(e ? e : EIO);
        }
        ml->free_context(cxt);
        return r;
}

static const struct knob_ops hugetlbfs_knob = { .write = hugetlbfs_mount };

static struct libmnt_table *read_mountinfo(struct kvmtune *k, const struct mount_lib *ml)
{
        struct libmnt_table *tb;
        int fd = kernfs_openat(k, "proc/self/mountinfo", O_RDONLY);
        FILE *f;

        if (fd < 0)
                return NULL;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return NULL;
        }
        tb = ml->new_table();
        if (tb && ml->table_parse_stream(tb, f, "/proc/self/mountinfo") != 0) {
                ml->unref_table(tb);
                tb = NULL;
        }
        fclose(f);
        return tb;
}

static bool initrd_mount(const char *target)
{
        return !strncmp(target, "/dev/", 5) || !strncmp(target, "/run/", 5);
}

static int hugetlbfs_plan(struct kvmtune *k)
{
        struct hugetlbfs_state *st = k->state[SEC_HUGETLBFS];
        const struct mount_lib *ml;
        struct libmnt_table *tb;
        const char *err;

        if (!st)
                return 0;
        ml = mount_lib_open(k, &err);
        if (!ml) {
                log_error(k, &st->m[0].at, "hugetlbfs: cannot load libmount: %s", err);
                return -ENOSYS;
        }
        tb = read_mountinfo(k, ml);
        for (size_t i = 0; i < st->n; i++) {
                const struct hmount *m = &st->m[i];
                struct origin at = m->at;
                char *opts = mount_options(k, m, &at);
                struct setting *s;
                struct libmnt_fs *fs;

                if (!opts)
                        continue;
                s = setting_add(k, SEC_HUGETLBFS, m->target, NULL, opts, m->at);
                s->knob = &hugetlbfs_knob;
                free(opts);
                if (k->stage == STAGE_INITRD && !initrd_mount(m->target)) {
                        setting_skip(s, "left to the boot stage");
                        continue;
                }
                fs = tb ? ml->table_find_target(tb, m->target, MNT_ITER_BACKWARD) : NULL;
                if (!fs) {
                        s->cur = xstrdup("not mounted");
                        continue;
                }
                const char *type = ml->fs_get_fstype(fs), *have = ml->fs_get_fs_options(fs);
                s->cur = xstrdup(have ? have : "");
                if (!type || strcmp(type, "hugetlbfs"))
                        setting_fail(k, s, "%s is mounted there, not hugetlbfs", type ? type : "another file system");
                else if (options_match(ml, have ? have : "", s->want))
                        s->action = ACT_OK;
                else
                        setting_fail(k, s, "already mounted with other options (%s); kvmtune does not remount",
                                     have ? have : "");
        }
        if (tb)
                ml->unref_table(tb);
        return 0;
}

static void hugetlbfs_free(struct kvmtune *k)
{
        struct hugetlbfs_state *st = k->state[SEC_HUGETLBFS];

        mount_lib_close(k);
        if (!st)
                return;
        for (size_t i = 0; i < st->n; i++) {
                free(st->m[i].target);
                for (int o = 0; o < N_OPTS; o++)
                        free(st->m[i].opt[o]);
        }
        free(st->m);
        free(st);
        k->state[SEC_HUGETLBFS] = NULL;
}

const struct section_ops hugetlbfs_section = {
        .name = "hugetlbfs",
        .subsection = SUB_REQUIRED,
        .parse = hugetlbfs_parse,
        .check_sub = hugetlbfs_check_sub,
        .plan = hugetlbfs_plan,
        .free = hugetlbfs_free,
};
