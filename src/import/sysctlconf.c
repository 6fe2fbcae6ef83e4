/* SPDX-License-Identifier: MIT */
/*
 * sysctl.conf and sysctl.d: `key = value`, `-key = value`, # and ; comments.
 * The value is written as it stands, quotes and all, as systemd-sysctl and
 * procps's sysctl -p write it (imp_sysctl_written).
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

void imp_read_sysctl(struct imp *im, struct imp_file *f)
{
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#;", false, &l);) {
                char *eq = strchr(l.s, '='), *key = l.s;
                size_t n;

                if (!eq) {
                        imp_refused(im, &l.src, "no '=': not a sysctl setting");
                        continue;
                }
                *eq = '\0';
                n = strlen(key);
                while (n && (key[n - 1] == ' ' || key[n - 1] == '\t'))
                        key[--n] = '\0';
                if (imp_sysctl_written(im, key, eq + 1, false, &l.src) < 0)
                        imp_refused(im, &l.src, "%s", im->why);
                else
                        imp_carried(im, &l.src, NULL);
        }
}
