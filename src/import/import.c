/* SPDX-License-Identifier: MIT */
/*
 * `kvmtune import [FILE ...]`: find the sources (under --root, or the
 * named files, recognised by content), read them in boot order, print the
 * configuration on stdout and the carried / not carried report on stderr.
 * Nothing read is ever executed; every file is read whole, bounded, and cut
 * into checked lines (source.c) before any reader sees it.  The top floor
 * of import: it hands each file to its reader, and no reader calls it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"

struct file_list {
        struct imp_file *f;
        size_t n;
};

static struct imp_file *list_add(struct file_list *l, const char *shown, enum imp_kind kind)
{
        struct imp_file *f;

        l->f = xgrow(l->f, l->n, sizeof(*l->f));
        f = &l->f[l->n++];
        *f = (struct imp_file){ .shown = xstrdup(shown), .kind = kind };
        /* the name goes into comments of the output: it must stay on one line */
        for (char *c = f->shown; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
        return f;
}

/*
 * A default source under the root.  Missing is fine (silent); a /dev/null
 * mask or anything else that is not a regular file is skipped quietly for
 * files found in a directory and reported for the fixed paths.
 */
static void add_rooted(struct imp *im, struct file_list *l, const char *rel, enum imp_kind kind,
                       bool from_dir, struct stat *st_out)
{
        char shown[4200];
        struct imp_file *f;
        struct stat st;
        int fd, r;

        snprintf(shown, sizeof(shown), "/%s", rel);
        fd = kernfs_openat(im->k, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (fd != -ENOENT && fd != -ENOTDIR && fd != -ELOOP) {
                        struct imp_src src = { shown, 0, NULL };
                        imp_refused(im, &src, "cannot open: %s", strerror(-fd));
                }
                return;
        }
        if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
                close(fd);
                if (!from_dir) {
                        struct imp_src src = { shown, 0, NULL };
                        imp_refused(im, &src, "not a regular file, not read");
                }
                return;
        }
        if (st_out)
                *st_out = st;
        f = list_add(l, shown, kind);
        r = imp_read_fd(fd, f);
        close(fd);
        if (r < 0) {
                struct imp_src src = { shown, 0, NULL };
                imp_refused(im, &src, "cannot read: %s", imp_read_error(r));
                imp_file_free(f);
                l->n--;
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the *.conf names of a directory under the root, sorted */
static char **conf_names(struct imp *im, const char *dir, const char *ext, size_t *n)
{
        size_t elen = strlen(ext);
        DIR *d = kernfs_opendir(im->k, dir);
        char **names = NULL;
        struct dirent *de;

        *n = 0;
        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (de->d_name[0] == '.' || len <= elen || strcmp(de->d_name + len - elen, ext))
                        continue;
                names = xgrow(names, *n, sizeof(char *));
                names[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
        }
        closedir(d);
        if (*n > 1)
                qsort(names, *n, sizeof(char *), cmp_str);
        return names;
}

static void add_dir(struct imp *im, struct file_list *l, const char *dir, const char *ext, enum imp_kind kind)
{
        size_t n;
        char **names = conf_names(im, dir, ext, &n);

        for (size_t i = 0; i < n; i++) {
                /* kvmtune's own GRUB drop-in ([cmdline]) is kvmtune configuration already */
                if (kind != IK_GRUB || strcmp(names[i], "etc/default/grub.d/kvmtune.cfg"))
                        add_rooted(im, l, names[i], kind, true, NULL);
                free(names[i]);
        }
        free(names);
}

/*
 * sysctl files in the order `sysctl --system` applies them: sysctl.d, then
 * /etc/sysctl.conf last; a file reached twice (99-sysctl.conf is often a
 * link to ../sysctl.conf) is read once, at its last place.
 */
static void add_sysctl(struct imp *im, struct file_list *l)
{
        size_t n, first = l->n;
        char **names = conf_names(im, "etc/sysctl.d", ".conf", &n);
        struct stat *sts = xcalloc(n + 1, sizeof(struct stat));
        size_t *at = xcalloc(n + 1, sizeof(size_t)), m = 0;

        for (size_t i = 0; i <= n; i++) {
                size_t before = l->n;

                add_rooted(im, l, i < n ? names[i] : "etc/sysctl.conf", IK_SYSCTL, i < n, &sts[m]);
                if (l->n > before)
                        at[m++] = before;
                if (i < n)
                        free(names[i]);
        }
        free(names);
        /* drop earlier copies of a file read again later */
        for (size_t i = 0; i < m; i++)
                for (size_t j = i + 1; j < m; j++)
                        if (sts[i].st_dev == sts[j].st_dev && sts[i].st_ino == sts[j].st_ino && l->f[at[i]].text) {
                                imp_file_free(&l->f[at[i]]);    /* text NULL: dropped below */
                        }
        /* compact */
        size_t o = first;
        for (size_t i = first; i < l->n; i++)
                if (l->f[i].text)
                        l->f[o++] = l->f[i];
        l->n = o;
        free(sts);
        free(at);
}

/*
 * rc.local as rc-local.service runs it: only when it is executable
 * (ConditionFileIsExecutable; systemd's rc-local generator checks the same),
 * and once when /etc/rc.local links to /etc/rc.d/rc.local (Fedora, RHEL).
 */
static void add_rc_local(struct imp *im, struct file_list *l)
{
        static const char *const paths[] = { "etc/rc.local", "etc/rc.d/rc.local" };
        struct stat st[2];
        bool have[2] = { false, false };

        for (size_t i = 0; i < 2; i++) {
                size_t before = l->n;

                add_rooted(im, l, paths[i], IK_SHELL, false, &st[i]);
                if (l->n == before)
                        continue;
                have[i] = true;
                if (i == 1 && have[0] && st[0].st_dev == st[1].st_dev && st[0].st_ino == st[1].st_ino) {
                        imp_file_free(&l->f[--l->n]);   /* the same file, read once */
                        continue;
                }
                if (!(st[i].st_mode & 0111)) {
                        struct imp_src src = { l->f[l->n - 1].shown, 0, NULL };
                        imp_refused(im, &src, "not executable: rc-local.service does not run it "
                                              "(ConditionFileIsExecutable), so nothing in it is carried; "
                                              "chmod +x it and import again if it is meant to run");
                        imp_file_free(&l->f[--l->n]);
                }
        }
}

static void default_sources(struct imp *im, struct file_list *l)
{
        add_rooted(im, l, "etc/default/grub", IK_GRUB, false, NULL);
        add_dir(im, l, "etc/default/grub.d", ".cfg", IK_GRUB);
        add_rooted(im, l, "etc/modules", IK_MODULES, false, NULL);
        add_dir(im, l, "etc/modules-load.d", ".conf", IK_MODULES);
        add_dir(im, l, "etc/modprobe.d", ".conf", IK_MODPROBE);
        add_sysctl(im, l);
        add_dir(im, l, "etc/udev/rules.d", ".rules", IK_UDEV);
        add_dir(im, l, "etc/tmpfiles.d", ".conf", IK_TMPFILES);
        add_rooted(im, l, "etc/sysfs.conf", IK_SYSFS, false, NULL);
        add_dir(im, l, "etc/sysfs.d", ".conf", IK_SYSFS);
        add_rooted(im, l, "etc/fstab", IK_FSTAB, false, NULL);
        add_rooted(im, l, "etc/network/interfaces", IK_IFUPDOWN, false, NULL);
        add_dir(im, l, "etc/network/interfaces.d", "", IK_IFUPDOWN);
        add_rooted(im, l, "etc/tuned/active_profile", IK_TUNED, false, NULL);
        add_rc_local(im, l);
}

/* ---- recognising a named file by its content ------------------------------ */

static bool word_is(const char *s, size_t n, const char *w)
{
        return strlen(w) == n && !memcmp(s, w, n);
}

static bool starts_with(const char *s, const char *p)
{
        return !strncmp(s, p, strlen(p));
}

/* what kind of source one line looks like; IK_UNKNOWN when it says nothing */
static enum imp_kind line_kind(const char *s)
{
        static const char *const sysfs_top[] = { "block/", "class/", "devices/", "module/", "bus/",
                                                  "kernel/mm/", "firmware/", "power/" };
        size_t w1 = strcspn(s, " \t=");
        const char *rest = s + w1 + strspn(s + w1, " \t");

        if (!*s || *s == '#' || *s == ';')
                return IK_UNKNOWN;
        if (starts_with(s, "GRUB_") || starts_with(s, "export GRUB_"))
                return IK_GRUB;
        if (word_is(s, w1, "iface") || word_is(s, w1, "allow-hotplug"))
                return IK_IFUPDOWN;
        if (strstr(s, "==\"") && (strstr(s, "KERNEL") || strstr(s, "SUBSYSTEM") || strstr(s, "ACTION")))
                return IK_UDEV;
        if (word_is(s, w1, "options") || word_is(s, w1, "blacklist") || word_is(s, w1, "alias") ||
            word_is(s, w1, "install") || word_is(s, w1, "softdep") || word_is(s, w1, "remove"))
                return IK_MODPROBE;
        if ((word_is(s, w1, "mode") || word_is(s, w1, "owner")) && strchr(rest, '='))
                return IK_SYSFS;
        if (w1 <= 2 && strchr("fFwdDeLcbCxXrRzZtThHaAqQpv", *s) && *rest == '/')
                return IK_TMPFILES;
        if (*rest == '=' || (s[w1] == '=')) {
                const char *k = *s == '-' ? s + 1 : s;
                for (size_t i = 0; i < sizeof(sysfs_top) / sizeof(*sysfs_top); i++)
                        if (starts_with(k, sysfs_top[i]))
                                return IK_SYSFS;
                return IK_SYSCTL;
        }
        /* fstab: at least three fields, the second an absolute path or swap */
        {
                const char *p = s;
                int fields = 0;
                bool second_path = false;
                while (*p) {
                        size_t n = strcspn(p, " \t");
                        if (!n)
                                break;
                        fields++;
                        if (fields == 2)
                                second_path = *p == '/' || word_is(p, n, "none") || word_is(p, n, "swap");
                        p += n;
                        p += strspn(p, " \t");
                }
                if (fields >= 3 && fields <= 6 && second_path)
                        return IK_FSTAB;
                if (fields == 1 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
                                       strlen(s))
                        return IK_MODULES;
        }
        return IK_SHELL;
}

static enum imp_kind classify(const struct imp_file *f)
{
        unsigned votes[IK_N + 1] = { 0 };
        enum imp_kind best = IK_UNKNOWN;
        struct imp_rline l = { 0 };

        if (f->n_lines && f->lines[0].len > 2 && !memcmp(f->lines[0].s, "#!", 2))
                return IK_SHELL;
        /* quietly: the reader the file goes to reports its refused lines */
        for (size_t pos = 0; imp_next_line(NULL, f, &pos, "#;", false, &l);)
                votes[line_kind(l.s)]++;
        /* a grub file is mostly other shell variables: one GRUB_ line decides */
        if (votes[IK_GRUB])
                return IK_GRUB;
        for (int k = 0; k < IK_N; k++)
                if (votes[k] && (best == IK_UNKNOWN || votes[k] > votes[best]))
                        best = (enum imp_kind)k;
        return best;
}

static void add_named(struct imp *im, struct file_list *l, const char *path)
{
        char *shown = imp_clean_text(path, strlen(path));
        struct imp_src src = { shown, 0, NULL };
        struct imp_file *f;
        int fd, r;

        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                imp_refused(im, &src, "cannot open: %s", strerror(errno));
                goto out;
        }
        f = list_add(l, path, IK_UNKNOWN);
        r = imp_read_fd(fd, f);
        close(fd);
        if (r < 0) {
                imp_refused(im, &src, "cannot read: %s", imp_read_error(r));
                imp_file_free(f);
                l->n--;
                goto out;
        }
        f->kind = classify(f);
        if (f->kind == IK_UNKNOWN) {
                imp_refused(im, &src, "not recognised as grub, module, modprobe.d, sysctl, udev, sysfs, "
                                      "tmpfiles.d, fstab, network interfaces or rc.local content");
                imp_file_free(f);
                l->n--;
        }
out:
        free(shown);
}

int kvmtune_import(struct kvmtune *k, char **files, size_t n_files)
{
        static void (*const readers[IK_N])(struct imp *, struct imp_file *) = {
                [IK_MODULES] = imp_read_modules,
                [IK_MODPROBE] = imp_read_modprobe, [IK_SYSCTL] = imp_read_sysctl, [IK_UDEV] = imp_read_udev,
                [IK_TUNED] = imp_read_tuned,
                [IK_TMPFILES] = imp_read_tmpfiles, [IK_SYSFS] = imp_read_sysfs,
                [IK_FSTAB] = imp_read_fstab, [IK_SHELL] = imp_read_shell, [IK_IFUPDOWN] = imp_read_ifupdown,
        };
        struct imp im = { .k = k };
        struct file_list l = { 0 };
        uint64_t kb;

        if (meminfo_kb(k, "Hugepagesize", &kb) == 0)
                im.default_kb = kb;
        if (n_files) {
                for (size_t i = 0; i < n_files; i++)
                        add_named(&im, &l, files[i]);
                /* boot order by kind; qsort is not stable, so index order breaks ties */
                struct imp_file *copy = xcalloc(l.n + 1, sizeof(*copy));
                size_t o = 0;
                for (int kind = 0; kind < IK_N; kind++)
                        for (size_t i = 0; i < l.n; i++)
                                if (l.f[i].kind == (enum imp_kind)kind)
                                        copy[o++] = l.f[i];
                if (l.n)
                        memcpy(l.f, copy, l.n * sizeof(*copy));
                free(copy);
        } else {
                default_sources(&im, &l);
        }
        for (size_t i = 0, j; i < l.n; i = j) {
                for (j = i + 1; l.f[i].kind == IK_GRUB && j < l.n && l.f[j].kind == IK_GRUB; j++)
                        ;
                if (l.f[i].kind == IK_GRUB)
                        imp_read_grub(&im, &l.f[i], j - i);
                else
                        readers[l.f[i].kind](&im, &l.f[i]);
        }
        imp_finish(&im);
        imp_emit(&im, stdout);
        fflush(stdout);
        if (!k->quiet || im.n_failed)
                fprintf(stderr, "kvmtune: import: %u carried, %u not carried%s\n", im.n_carried, im.n_failed,
                        im.n_failed ? " (see above): the output is incomplete" : "");
        for (size_t i = 0; i < l.n; i++)
                imp_file_free(&l.f[i]);
        free(l.f);
        imp_free(&im);
        kvmtune_free(k);
        return im.n_failed ? 1 : 0;
}
