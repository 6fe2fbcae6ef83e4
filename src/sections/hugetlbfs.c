/* SPDX-License-Identifier: MIT */
/*
 * [hugetlbfs "/mount/point"]: mount hugetlbfs with libmount.  An existing
 * mount with the same options is fine; with other options it is an error,
 * never a silent remount.  Under --root the mount is only reported.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kvmtune.h"
#include "../mount-dl.h"

enum mopt { OPT_PAGESIZE, OPT_MODE, OPT_UID, OPT_GID, OPT_SIZE, OPT_MIN_SIZE, OPT_NR_INODES, N_OPTS };
static const char *const opt_names[N_OPTS] = {
        "pagesize", "mode", "uid", "gid", "size", "min_size", "nr_inodes",
};

struct hmount {
        char *target;           /* as configured */
        char *real;             /* symlinks resolved: as mountinfo shows it (at plan) */
        char *opt[N_OPTS];
        struct origin at;
};

struct kernel_units {
        uint64_t page_kb;
        uint64_t pool_now, pool_planned;        /* pages in the pool: now, after this run */
};

struct hugetlbfs_state {
        struct hmount *m;
        size_t n;
        struct kernel_units *pools;             /* read once per page size, at plan */
        size_t n_pools;
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
                st->m = xgrow(st->m, st->n, sizeof(*st->m));
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

/*
 * The huge pages the kernel keeps for size= or min_size= (it shows them in
 * bytes, page_bytes each): a percentage is of the pool (nr_hugepages of that
 * size) at mount time; a byte count is rounded down to whole pages.
 */
static uint64_t kernel_pages(const char *v, uint64_t page_bytes, uint64_t pool_pages)
{
        uint64_t n;

        if (strchr(v, '%')) {
                parse_size_or_percent(v, 100, &n);      /* checked at parse: n is 0..100 */
                return n * pool_pages / 100;
        }
        parse_size(v, &n);
        return n / page_bytes;
}

/*
 * Does the mounted option string (the kernel's, from mountinfo) carry what we
 * want?  Absent means the kernel default.  Sizes are compared as the kernel
 * stores them: against the pool now, or as this run's [hugepages] leaves it.
 */
static bool options_match(const struct mount_lib *ml, const char *have, const char *want,
                          const struct kernel_units *u)
{
        char *copy = xstrdup(want), *save = NULL;
        bool match = true;

        for (char *w = strtok_r(copy, ",", &save); w && match; w = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(w, '='), *hv = NULL, buf[64];
                size_t hsz = 0;
                uint64_t a, b, page = u->page_kb * 1024;

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
                else if (!strcmp(w, "size") || !strcmp(w, "min_size"))
                        match = parse_size(buf, &a) == 0 &&
                                (a == kernel_pages(eq + 1, page, u->pool_now) * page ||
                                 a == kernel_pages(eq + 1, page, u->pool_planned) * page);
                else if (parse_size(buf, &a) == 0 && parse_size(eq + 1, &b) == 0)
                        match = a == b;
                else
                        match = !strcmp(buf, eq + 1);
        }
        free(copy);
        return match;
}

/* The page size a mount uses, and its pool's pages now and as this run's [hugepages] leaves it. */
static int units_for(struct kvmtune *k, struct hugetlbfs_state *st, const struct hmount *m,
                     struct kernel_units *u)
{
        uint64_t kb = 0, n;
        char *rel, *v;
        int r;

        if (m->opt[OPT_PAGESIZE]) {
                parse_size(m->opt[OPT_PAGESIZE], &n);
                kb = n / 1024;
        } else if ((r = meminfo_kb(k, "Hugepagesize", &kb)) < 0) {
                return r;
        }
        for (size_t i = 0; i < st->n_pools; i++)
                if (st->pools[i].page_kb == kb) {
                        *u = st->pools[i];
                        return 0;
                }
        *u = (struct kernel_units){ .page_kb = kb };
        rel = xasprintf("sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages", kb);
        r = kernfs_read(k, rel, &v);
        if (r == 0)
                r = parse_u64(v, &u->pool_now);
        free(v);
        u->pool_planned = u->pool_now;
        for (size_t i = 0; r == 0 && i < k->n_settings; i++) {
                const struct setting *s = k->settings[i];
                if (s->section == SEC_HUGEPAGES && s->path && !strcmp(s->path, rel) &&
                    s->action == ACT_SET && parse_u64(s->want, &n) == 0)
                        u->pool_planned = n;
        }
        free(rel);
        if (r == 0) {
                st->pools = xgrow(st->pools, st->n_pools, sizeof(*st->pools));
                st->pools[st->n_pools++] = *u;
        }
        return r;
}

/* size= or min_size= that comes to no page at all: an error saying why. */
static char *zero_pages_error(const struct hmount *m, const struct kernel_units *u)
{
        for (int o = OPT_SIZE; o <= OPT_MIN_SIZE; o++) {
                const char *v = m->opt[o];
                uint64_t n;

                if (!v || (parse_size_or_percent(v, 100, &n) == 0 && n == 0))
                        continue;               /* an explicit 0 is meant */
                if (kernel_pages(v, u->page_kb * 1024, u->pool_planned))
                        continue;
                if (strchr(v, '%'))
                        return xasprintf("%s=%s of a pool of %" PRIu64 " pages of %" PRIu64 " kB is no page: "
                                         "the kernel would store %s=0 (reserve the pages in [hugepages] or give bytes)",
                                         opt_names[o], v, u->pool_planned, u->page_kb, opt_names[o]);
                return xasprintf("%s=%s is less than one page of %" PRIu64 " kB: the kernel would store %s=0",
                                 opt_names[o], v, u->page_kb, opt_names[o]);
        }
        return NULL;
}

/* size= and min_size= in the kernel's bytes, for "(kernel stores ...)"; NULL when as given */
static char *stored_options(const char *want, const struct kernel_units *u)
{
        char *out = xstrdup(""), *copy = xstrdup(want), *save = NULL;
        bool differs = false;

        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                char *next, *eq = strchr(w, '=');
                uint64_t bytes, n;

                if (!strncmp(w, "size=", 5) || !strncmp(w, "min_size=", 9)) {
                        bytes = kernel_pages(eq + 1, u->page_kb * 1024, u->pool_planned) * u->page_kb * 1024;
                        differs |= strchr(eq + 1, '%') || parse_size(eq + 1, &n) != 0 || n != bytes;
                        next = xasprintf("%s%s%.*s=%" PRIu64, out, *out ? "," : "", (int)(eq - w), w, bytes);
                } else {
                        next = xasprintf("%s%s%s", out, *out ? "," : "", w);
                }
                free(out);
                out = next;
        }
        free(copy);
        if (!differs) {
                free(out);
                return NULL;
        }
        return out;
}

/*
 * The mount point as mountinfo shows it: symlinks in the path resolved under
 * the root.  A tail that does not exist yet is kept as written (mkdir makes
 * it); when the path cannot be resolved it is kept whole (mount says why).
 */
static char *canonical_target(struct kvmtune *k, const char *target)
{
        char *dir = xstrdup(target + 1), *rest = xstrdup(""), *out = NULL;
        char root_real[PATH_MAX], real[PATH_MAX], link[64];
        ssize_t rn, n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", k->rootfd);
        rn = readlink(link, root_real, sizeof(root_real) - 1);
        while (rn > 0 && *dir) {
                int fd = kernfs_openat(k, dir, O_PATH | O_DIRECTORY);
                char *slash;

                if (fd >= 0) {
                        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                        n = readlink(link, real, sizeof(real) - 1);
                        close(fd);
                        if (n <= 0)
                                break;
                        real[n] = root_real[rn] = '\0';
                        if (!strcmp(root_real, "/"))
                                out = xasprintf("%s%s", real, rest);
                        else if (!strncmp(real, root_real, (size_t)rn) && real[rn] == '/')
                                out = xasprintf("%s%s", real + rn, rest);
                        break;
                }
                if (fd != -ENOENT)
                        break;
                slash = strrchr(dir, '/');
                char *next = xasprintf("/%s%s", slash ? slash + 1 : dir, rest);
                free(rest);
                rest = next;
                if (slash)
                        *slash = '\0';
                else
                        *dir = '\0';
        }
        if (!out)
                out = rn > 0 && !*dir ? xasprintf("%s", rest) : xstrdup(target);
        free(dir);
        free(rest);
        return out;
}

static int hugetlbfs_mount(struct kvmtune *k, struct setting *s)
{
        const struct mount_lib *ml;
        struct libmnt_context *cxt;
        const char *err;
        int r;

        const char *target = get_more(s)->data ? get_more(s)->data : get_more(s)->name;      /* symlinks resolved, at plan */

        if (k->root) {
                log_info(k, "hugetlbfs %s: would mount with %s (not done under --root)", get_more(s)->name, s->want);
                return 0;
        }
        ml = mount_lib_open(k, &err);
        if (!ml) {
                setting_fail(k, s, "cannot load libmount: %s", err);
                return -ENOSYS;
        }
        if (mkdir(target, 0755) < 0 && errno != EEXIST) {
                /* create missing parents too */
                char *p = xstrdup(target);
                for (char *c = p + 1; *c; c++)
                        if (*c == '/') {
                                *c = '\0';
                                mkdir(p, 0755);
                                *c = '/';
                        }
                free(p);
                if (mkdir(target, 0755) < 0 && errno != EEXIST) {
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
        ml->context_set_target(cxt, target);
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

static const struct knob_ops hugetlbfs_knob = { .write = hugetlbfs_mount, .reads_back = true };

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
                struct hmount *m = &st->m[i];
                struct origin at = m->at;
                char *opts = mount_options(k, m, &at);
                struct setting *s;
                struct libmnt_fs *fs;

                if (!opts)
                        continue;
                s = setting_add(k, SEC_HUGETLBFS, m->target, NULL, opts, m->at);
                set_more(s)->knob = &hugetlbfs_knob;
                free(opts);
                if (k->stage == STAGE_INITRD && !initrd_mount(m->target)) {
                        setting_skip(s, "left to the boot stage");
                        continue;
                }
                free(m->real);
                m->real = canonical_target(k, m->target);
                set_more(s)->data = xstrdup(m->real);
                if (strcmp(m->real, m->target))
                        setting_set_note(s, xasprintf("mount point %s", m->real));
                fs = tb ? ml->table_find_target(tb, m->real, MNT_ITER_BACKWARD) : NULL;
                const char *type = fs ? ml->fs_get_fstype(fs) : NULL, *have = fs ? ml->fs_get_fs_options(fs) : NULL;
                s->cur = xstrdup(!fs ? "not mounted" : have ? have : "");

                struct kernel_units u;
                int r = units_for(k, st, m, &u);
                char *zero = r < 0 ? NULL : zero_pages_error(m, &u);
                if (r < 0) {
                        setting_fail(k, s, "cannot read the huge page pool for this mount: %s", strerror(-r));
                } else if (zero) {
                        setting_fail(k, s, "%s", zero);
                        free(zero);
                } else if (!fs) {
                        set_more(s)->stored = stored_options(s->want, &u);
                } else if (!type || strcmp(type, "hugetlbfs")) {
                        setting_fail(k, s, "%s is mounted there, not hugetlbfs", type ? type : "another file system");
                } else {
                        set_more(s)->stored = stored_options(s->want, &u);
                        if (options_match(ml, have ? have : "", s->want, &u))
                                s->action = ACT_OK;
                        else
                                setting_fail(k, s, "already mounted with other options (%s); kvmtune does not remount",
                                             have ? have : "");
                }
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
                free(st->m[i].real);
                for (int o = 0; o < N_OPTS; o++)
                        free(st->m[i].opt[o]);
        }
        free(st->m);
        free(st->pools);
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
