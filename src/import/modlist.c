/* SPDX-License-Identifier: MIT */
/*
 * Module lists (/etc/modules, modules-load.d) become [modules] load; in
 * modprobe.d, `options nf_conntrack hashsize=N` becomes [conntrack]
 * hashsize = N with load = no (the option only ever applied to a load that
 * happened anyway).  Other modprobe.d lines stay where they are: kvmtune
 * loads modules through libkmod, which honours them.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

void imp_read_modules(struct imp *im, struct imp_file *f)
{
        for (size_t i = 0; i < f->n_lines; i++) {
                char *s = imp_take_line(im, f, i), *w[4], *clean;
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
                n = imp_fields(s, w, 4);
                if (n > 1)
                        imp_refused(im, &src, "module options: move them to an 'options %s ...' line in modprobe.d",
                                    w[0]);
                else if (imp_module(im, w[0], &src) < 0)
                        imp_refused(im, &src, "%s", im->why);
                else
                        imp_carried(im, &src, NULL);
                free(clean);
                free(s);
        }
}

static bool is_conntrack(const char *m)
{
        return !strcmp(m, "nf_conntrack") || !strcmp(m, "nf-conntrack");
}

void imp_read_modprobe(struct imp *im, struct imp_file *f)
{
        for (size_t i = 0; i < f->n_lines; i++) {
                char *s = imp_take_line(im, f, i), *w[64], *clean, *hash = NULL, *others = NULL;
                struct imp_src src = { f->shown, f->lines[i].no, NULL };
                size_t n;

                if (!s)
                        continue;
                clean = imp_clean_text(s, strlen(s));
                src.text = clean;
                n = imp_fields(s, w, 64);
                if (n < 3 || strcmp(w[0], "options") || !is_conntrack(w[1]))
                        goto next;
                if (n > 64) {
                        imp_refused(im, &src, "too many options on one line");
                        goto next;
                }
                for (size_t j = 2; j < n; j++) {
                        if (w[j][0] == '#')
                                break;
                        if (!strncmp(w[j], "hashsize=", 9)) {
                                hash = w[j] + 9;
                        } else {
                                char *o = others ? xasprintf("%s %s", others, w[j]) : xstrdup(w[j]);
                                free(others);
                                others = o;
                        }
                }
                if (!hash)
                        goto next;
                if (imp_conntrack_hashsize(im, hash, true, &src,
                                           "load = no: a modprobe.d option only applies to a load that happens "
                                           "anyway") < 0)
                        imp_refused(im, &src, "%s", im->why);
                else if (others)
                        imp_refused(im, &src, "only hashsize=%s was carried; the other options (%s) stay in "
                                              "modprobe.d: edit the line rather than delete it", hash, others);
                else
                        imp_carried(im, &src, NULL);
next:
                free(others);
                free(clean);
                free(s);
        }
}
