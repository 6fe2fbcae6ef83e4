/* SPDX-License-Identifier: MIT */
/* sysctl.conf and sysctl.d: `key = value`, `-key = value`, # and ; comments. */
#include <stdlib.h>
#include <string.h>

#include "import.h"

void imp_read_sysctl(struct imp *im, struct imp_file *f)
{
        for (size_t i = 0; i < f->n_lines; i++) {
                char *s = imp_take_line(im, f, i), *eq, *key, *clean;
                struct imp_src src = { f->shown, f->lines[i].no, NULL };
                size_t n;

                if (!s)
                        continue;
                if (!*s || *s == '#' || *s == ';') {
                        free(s);
                        continue;
                }
                clean = imp_clean_text(s, strlen(s));
                src.text = clean;
                eq = strchr(s, '=');
                if (!eq) {
                        imp_refused(im, &src, "no '=': not a sysctl setting");
                } else {
                        *eq = '\0';
                        key = s;
                        n = strlen(key);
                        while (n && (key[n - 1] == ' ' || key[n - 1] == '\t'))
                                key[--n] = '\0';
                        if (imp_sysctl(im, key, eq + 1, false, &src) < 0)
                                imp_refused(im, &src, "%s", im->why);
                        else
                                imp_carried(im, &src, NULL);
                }
                free(clean);
                free(s);
        }
}
