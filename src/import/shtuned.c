/* SPDX-License-Identifier: MIT */
/*
 * rc.local: tuned-adm profile NAME..., the profiles read (tuned.c) at that
 * point of the script.
 */
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/* tuned-adm profile NAME...: the profiles are read at this point of the script */
int sh_do_tuned_adm(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        struct buf names = { 0 };
        int r;

        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 3 || strcmp(c->w[1].s, "profile"))
                return sh_refuse(c, "only 'tuned-adm profile NAME...' is understood");
        sh_put(&names, 0);
        names.n = 0;
        for (size_t i = 2; i < c->n; i++) {
                if (c->w[i].glob || c->w[i].s[0] == '-')
                        return free(names.s), sh_refuse(c, "'%s' is not a profile name", c->w[i].s);
                if (names.n)
                        sh_put(&names, ' ');
                for (const char *s = c->w[i].s; *s; s++)
                        sh_put(&names, *s);
        }
        sh_nested_begin(p, c);
        r = imp_tuned_profiles(p->im, names.s, src);
        sh_nested_end(p);
        free(names.s);
        if (r < 0)
                return sh_refuse(c, "a setting of the profile is not carried (see there)");
        c->status = ST_CARRIED;
        return 1;
}
