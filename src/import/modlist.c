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
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#;", false, &l);) {
                char *w[4];
                size_t n = imp_fields(l.s, w, 4);

                if (n > 1)
                        imp_refused(im, &l.src, "module options: move them to an 'options %s ...' line in modprobe.d",
                                    w[0]);
                else if (imp_module(im, w[0], &l.src) < 0)
                        imp_refused(im, &l.src, "%s", im->why);
                else
                        imp_carried(im, &l.src, NULL);
        }
}

static bool is_conntrack(const char *m)
{
        return !strcmp(m, "nf_conntrack") || !strcmp(m, "nf-conntrack");
}

void imp_read_modprobe(struct imp *im, struct imp_file *f)
{
        struct imp_rline l = { 0 };

        /* modprobe.d lines go on after a trailing backslash */
        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", true, &l);) {
                char *w[64], *hash = NULL, *others = NULL;
                size_t n = imp_fields(l.s, w, 64);

                if (n < 3 || strcmp(w[0], "options") || !is_conntrack(w[1]))
                        continue;
                if (n > 64) {
                        imp_refused(im, &l.src, "too many options on one line");
                        continue;
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
                if (!hash) {
                        free(others);
                        continue;
                }
                if (imp_conntrack_hashsize(im, hash, true, &l.src,
                                           "load = no: a modprobe.d option only applies to a load that happens "
                                           "anyway") < 0)
                        imp_refused(im, &l.src, "%s", im->why);
                else if (others)
                        imp_refused(im, &l.src, "only hashsize=%s was carried; the other options (%s) stay in "
                                                "modprobe.d: edit the line rather than delete it", hash, others);
                else
                        imp_carried(im, &l.src, NULL);
                free(others);
        }
}
