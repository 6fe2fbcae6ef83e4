/* SPDX-License-Identifier: MIT */
/*
 * sysfsutils (/etc/sysfs.conf, sysfs.d: `block/sda/queue/scheduler = X`,
 * relative to /sys) and the `w` lines of tmpfiles.d, for the kernel files
 * that kvmtune sets.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

static void carry(struct imp *im, const char *path, const char *value, const struct imp_src *src)
{
        int r = imp_kernel_write(im, path, value, src);

        if (r > 0)
                imp_carried(im, src, NULL);
        else if (r < 0)
                imp_refused(im, src, "%s", im->why);
}

void imp_read_sysfs(struct imp *im, struct imp_file *f)
{
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", false, &l);) {
                char *s = l.s, *eq = strchr(s, '='), *path;
                size_t n;

                if (!eq || ((!strncmp(s, "mode", 4) || !strncmp(s, "owner", 5)) && strchr(" \t", s[s[0] == 'm' ? 4 : 5])))
                        continue;
                *eq = '\0';
                n = strlen(s);
                while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                        s[--n] = '\0';
                path = xasprintf("/sys/%s", s);
                carry(im, path, eq + 1, &l.src);
                free(path);
        }
}

void imp_read_tmpfiles(struct imp *im, struct imp_file *f)
{
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", false, &l);) {
                char *p = l.s;
                const char *field[6];
                size_t n = 0, len;

                if (*p != 'w' || strspn(p + 1, "+!-=~^") != strcspn(p + 1, " \t"))
                        continue;
                /* six fields, then the argument: the rest of the line */
                while (n < 6 && *p) {
                        len = strcspn(p, " \t");
                        field[n++] = p;
                        p += len;
                        if (*p)
                                *p++ = '\0';
                        p += strspn(p, " \t");
                }
                if (n < 2 || field[1][0] != '/') {
                        /* not a path we know: left alone */
                } else if (strncmp(field[1], "/proc/", 6) && strncmp(field[1], "/sys/", 5)) {
                        /* not a kernel file */
                } else if (n < 6 || !*p) {
                        imp_refused(im, &l.src, "a 'w' line without an argument writes nothing kvmtune can carry");
                } else if (strchr(field[1], '%') || strchr(p, '%') || strchr(p, '\\')) {
                        imp_refused(im, &l.src, "specifiers (%%) and escapes (\\) are not expanded by import");
                } else {
                        carry(im, field[1], p, &l.src);
                }
        }
}
