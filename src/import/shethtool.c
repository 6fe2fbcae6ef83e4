/* SPDX-License-Identifier: MIT */
/*
 * rc.local: ethtool -G/-L/-K/-C DEV NAME VALUE... (ethtoolargs.c says
 * which), and the same in a for loop over interface names,
 *
 *   for i in eth0 eth1; do ethtool -K $i gro off; done
 *
 * as one [netdev "eth0 eth1"] section.  A loop word that needs an
 * expansion (a glob, a $) is reported: import expands nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "shell.h"

static int ethtool(struct parser *p, struct cmd *c, const char *dev, const struct imp_src *src)
{
        char **args = xcalloc(c->n, sizeof(char *));
        int r;

        for (size_t i = 3; i < c->n; i++)
                args[i - 3] = c->w[i].s;
        r = imp_ethtool(p->im, c->w[1].s, dev, args, c->n - 3, src);
        free(args);
        return sh_from_kpath(p, c, r);
}

int sh_do_ethtool(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 4)
                return sh_refuse(c, "no ethtool setting");
        return ethtool(p, c, c->w[2].s, src);
}

/* in a for loop: the interface is $VAR, the loop's words are interface names */
int sh_do_loop_ethtool(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const struct cmd *h = &p->c[p->frames[c->loop].header];
        const char *var = h->w[0].s;
        unsigned line = sh_line_no(p, h->li0);
        size_t len;
        char *devs;
        int r;

        if (c->why) {
                c->status = ST_REFUSED;
                return -1;
        }
        if (c->after_or || c->in_pipe || c->background || c->negated || c->pipe_out || c->and_prev >= 0)
                return sh_refuse(c, "in the for loop of line %u: only a plain 'ethtool OPTION $%s ...' is understood",
                                 line, var);
        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 4)
                return sh_refuse(c, "no ethtool setting");
        if (!sh_var_ref(c->w[2].s, var, &len) || strlen(c->w[2].s) != len || c->w[2].backquote || c->w[2].subst)
                return sh_refuse(c, "in the for loop of line %u: the interface must be $%s itself", line, var);
        for (size_t i = 0; i < c->n; i++)
                if (i != 2 && (c->w[i].dollar || c->w[i].backquote || c->w[i].unterminated))
                        return sh_refuse(c, "in the for loop of line %u: '%s' needs an expansion import does not do",
                                         line, c->w[i].s);
        devs = xstrdup("");
        for (size_t i = 2; i < h->n; i++) {
                const struct word *w = &h->w[i];
                char *more;

                if (w->dollar || w->backquote || w->subst || w->glob || w->unterminated ||
                    !imp_devname_valid(w->s, 15)) {
                        free(devs);
                        return sh_refuse(c, "in the for loop of line %u: the loop word '%s' is not an interface name "
                                            "(a glob or $ would need an expansion import does not do)", line, w->s);
                }
                more = xasprintf("%s%s%s", devs, *devs ? " " : "", w->s);
                free(devs);
                devs = more;
        }
        if (!*devs) {
                free(devs);
                return sh_refuse(c, "in the for loop of line %u: no interface", line);
        }
        r = ethtool(p, c, devs, src);
        free(devs);
        return r;
}
