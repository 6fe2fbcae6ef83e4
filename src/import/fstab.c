/* SPDX-License-Identifier: MIT */
/*
 * hugetlbfs mounts: fstab lines of type hugetlbfs and `mount -t hugetlbfs`
 * in rc.local, with their options, become [hugetlbfs "/mount/point"].
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

static const char *const keys[] = { "pagesize", "mode", "uid", "gid", "size", "min_size", "nr_inodes" };
/* options that change nothing kvmtune needs to know */
static const char *const harmless[] = { "defaults", "rw", "auto", "nofail", "relatime", "noatime", "_netdev" };

static bool id_name(const char *s)
{
        return *s && *s != '-' && strlen(s) < 64 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

static bool valid(size_t k, const char *v)
{
        uint64_t n;

        switch (k) {
        case 0:
                return parse_size(v, &n) == 0 && n >= 4096;
        case 1:
                return *v && strlen(v) <= 4 && strspn(v, "01234567") == strlen(v);
        case 2:
        case 3:
                return id_name(v);
        case 4:
        case 5:
                return parse_size_or_percent(v, 100, &n) == 0;
        default:
                return parse_size(v, &n) == 0;
        }
}

static int hugetlbfs_at(struct imp *im, const char *target, const char *options, const struct imp_src *src)
{
        const char *val[7] = { NULL };
        char *copy, *save = NULL;
        bool any = false;
        int r = 1;

        if (!imp_path_canonical(target) || !strcmp(target, "/") || strpbrk(target, "\"\\ \t]") ||
            has_control_char(target))
                return imp_why(im, "'%s' is not an absolute, canonical mount point", target);
        copy = xstrdup(options);
        for (char *o = strtok_r(copy, ",", &save); o && r > 0; o = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(o, '=');
                size_t k;
                bool ok = false;

                for (size_t i = 0; i < sizeof(harmless) / sizeof(*harmless); i++)
                        ok |= !strcmp(o, harmless[i]);
                if (ok || !strncmp(o, "x-systemd.", 10) || !strncmp(o, "comment=", 8))
                        continue;
                if (!strcmp(o, "noauto")) {
                        r = imp_why(im, "noauto: the file system is not mounted at boot");
                        break;
                }
                if (eq) {
                        *eq = '\0';
                        for (k = 0; k < 7 && strcmp(o, keys[k]); k++)
                                ;
                        if (k < 7) {
                                if (!valid(k, eq + 1))
                                        r = imp_why(im, "%s=%s is not a value kvmtune accepts", o, eq + 1);
                                val[k] = options + (eq + 1 - copy);
                                continue;
                        }
                        *eq = '=';
                }
                r = imp_why(im, "mount option '%s' has no [hugetlbfs] equivalent", o);
        }
        if (r > 0) {
                for (size_t k = 0; k < 7; k++) {
                        char *v;
                        if (!val[k])
                                continue;
                        v = strndup(val[k], strcspn(val[k], ","));
                        imp_put(im, IS_HUGETLBFS, target, keys[k], NULL, v, src);
                        free(v);
                        any = true;
                }
                if (!any) {
                        struct imp_entry *e = imp_put(im, IS_HUGETLBFS, target, "mode", NULL, "0755", src);
                        imp_note(e, "no options in the source: the default mode, so that the section exists");
                }
        }
        free(copy);
        return r;
}

/*
 * systemd mounts /dev/hugepages itself (dev-hugepages.mount, Options=
 * nosuid,nodev), before kvmtune runs.  An fstab line for it replaced that
 * unit; once the line is gone, the unit would mount with its defaults and
 * kvmtune would find /dev/hugepages mounted with other options (it never
 * remounts by surprise).  The output asks for a drop-in that gives the unit
 * the imported options, so that systemd mounts it as configured and kvmtune
 * verifies it.
 */
static void dev_hugepages(struct imp *im, const char *options, const struct imp_src *src)
{
        char *copy, *save = NULL, *opts;

        if (kernfs_probe(im->k, "usr/lib/systemd/system/dev-hugepages.mount") <= 0 &&
            kernfs_probe(im->k, "lib/systemd/system/dev-hugepages.mount") <= 0)
                return;         /* no systemd unit mounts it here */
        opts = xstrdup("nosuid,nodev");
        copy = xstrdup(options);
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                char *n;
                bool keep = false;
                for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
                        keep |= !strncmp(o, keys[k], strlen(keys[k])) && o[strlen(keys[k])] == '=';
                if (!keep)
                        continue;
                n = xasprintf("%s,%s", opts, o);
                free(opts);
                opts = n;
        }
        free(copy);
        free(im->dropin);
        im->dropin = xasprintf("# /dev/hugepages (%s:%u) is mounted at boot by systemd's dev-hugepages.mount,\n"
                               "# with its own options, before kvmtune runs: install this drop-in, or kvmtune\n"
                               "# finds it mounted with other options once the old line is gone:\n"
                               "#   /etc/systemd/system/dev-hugepages.mount.d/50-kvmtune.conf\n"
                               "#   [Mount]\n"
                               "#   Options=%s\n", src->file, src->line, opts);
        if (!im->k->quiet)
                fprintf(im->report ? im->report : stderr,
                        "kvmtune: %s:%u: also install a drop-in for dev-hugepages.mount with Options=%s "
                        "(see the top of the output)\n", src->file, src->line, opts);
        free(opts);
}

int imp_hugetlbfs(struct imp *im, const char *target, const char *options, const struct imp_src *src)
{
        char *t = xstrdup(target);
        size_t n = strlen(t);
        int r;

        /* mount(8) and fstab take /mnt/huge/ for /mnt/huge */
        while (n > 1 && t[n - 1] == '/')
                t[--n] = '\0';
        r = hugetlbfs_at(im, t, options, src);
        if (r > 0 && !strcmp(t, "/dev/hugepages"))
                dev_hugepages(im, options, src);
        free(t);
        return r;
}

void imp_read_fstab(struct imp *im, struct imp_file *f)
{
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", false, &l);) {
                char *w[8];
                size_t n = imp_fields(l.s, w, 8);

                if (n >= 3 && n <= 6 && !strcmp(w[2], "hugetlbfs")) {
                        if (imp_hugetlbfs(im, w[1], n > 3 ? w[3] : "defaults", &l.src) < 0)
                                imp_refused(im, &l.src, "%s", im->why);
                        else
                                imp_carried(im, &l.src, NULL);
                }
        }
}
