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

static bool ifname(const char *s)
{
        return imp_devname_valid(s, 15);
}

/* in a for loop: the interface is $VAR, the loop's words are interface names */
int sh_do_loop_ethtool(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        char *devs;
        int r;

        if (sh_loop_var_word(p, c, 2, "ethtool OPTION $VAR ...", "interface") < 0)
                return -1;
        if (c->n < 4)
                return sh_refuse(c, "no ethtool setting");
        if (!(devs = sh_loop_words(p, c, ifname, "an interface name")))
                return -1;
        r = ethtool(p, c, devs, src);
        free(devs);
        return r;
}
