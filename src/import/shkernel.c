/* SPDX-License-Identifier: MIT */
/*
 * rc.local: the kernel's own tools.  sysctl [-w] KEY=VALUE..., sysctl -p
 * [FILE...] (the file read at that point of the script), modprobe MODULE...,
 * also as `for m in NAMES; do modprobe $m; done`
 */
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/*
 * sysctl -p [FILE...] (--load): FILE (default /etc/sysctl.conf) is read at
 * this point of the script, as a sysctl file with its own FILE:LINE
 * comments, so that it wins over what came before, as at boot.
 */
static int sysctl_load(struct parser *p, struct cmd *c, size_t i)
{
        const char *files[16];
        size_t n = 0;
        unsigned failed = p->im->n_failed;

        for (; i < c->n; i++) {
                const char *o = c->w[i].s;
                if (!strcmp(o, "-p") || !strcmp(o, "--load"))
                        continue;
                if (!strncmp(o, "--load=", 7))
                        o += 7;
                else if (!strncmp(o, "-p", 2) && c->w[i].s[2])
                        o += 2;
                else if (o[0] == '-')
                        return sh_refuse(c, "the sysctl option '%s' is not understood with -p", o);
                if (c->w[i].glob)
                        return sh_refuse(c, "'%s' is a shell glob", o);
                if (strlen(o) < 6 || strcmp(o + strlen(o) - 5, ".conf"))
                        return sh_refuse(c, "'%s' is not a .conf file: import reads only sysctl files named *.conf, "
                                            "so that no other file is quoted in its report", o);
                if (n == 16)
                        return sh_refuse(c, "more than 16 files");
                files[n++] = o;
        }
        if (!n)
                files[n++] = "/etc/sysctl.conf";
        for (size_t j = 0; j < n; j++) {
                struct imp_file f;
                const char *why = NULL;

                if (imp_read_rooted(p->im, files[j], IK_SYSCTL, &f, &why) < 0)
                        return sh_refuse(c, "cannot read %s: %s", files[j], why);
                sh_nested_begin(p, c);
                imp_read_sysctl(p->im, &f);
                sh_nested_end(p);
                imp_file_free(&f);
        }
        if (p->im->n_failed != failed)
                return sh_refuse(c, "a line of the file it loads is not carried (see there)");
        c->status = ST_CARRIED;
        return 1;
}

int sh_do_sysctl(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        bool minus = false, any = false;
        size_t i = 1;

        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        for (; i < c->n && c->w[i].s[0] == '-'; i++) {
                const char *o = c->w[i].s;
                if (!strcmp(o, "--write") || !strcmp(o, "--quiet"))
                        continue;
                if (!strcmp(o, "--ignore")) {
                        minus = true;
                        continue;
                }
                if (o[1] && o[1] != '-' && strspn(o + 1, "wqe") == strlen(o + 1)) {
                        minus |= strchr(o, 'e') != NULL;
                        continue;
                }
                if (!strcmp(o, "-p") || !strncmp(o, "-p", 2) || !strncmp(o, "--load", 6))
                        return sysctl_load(p, c, i);
                if (!strcmp(o, "--system"))
                        return sh_refuse(c, "sysctl --system re-reads every sysctl file: import reads those files "
                                            "itself, in the order --system does; remove this line by hand once they "
                                            "are imported");
                return sh_refuse(c, "the sysctl option '%s' is not understood", o);
        }
        if (i == c->n)
                return 0;
        for (size_t j = i; j < c->n; j++) {
                char *eq = strchr(c->w[j].s, '=');
                if (!eq)
                        return j == i && c->n == i + 1 ? (c->status = ST_OTHER, 0)  /* a read */
                                                       : sh_refuse(c, "'%s' has no '='", c->w[j].s);
                if (c->w[j].glob || memchr(c->w[j].s, '*', (size_t)(eq - c->w[j].s)))
                        return sh_refuse(c, "'%s' holds a glob, which sysctl does not expand", c->w[j].s);
        }
        for (size_t j = i; j < c->n; j++) {
                char *eq = strchr(c->w[j].s, '='), *key;
                size_t n = (size_t)(eq - c->w[j].s);

                while (n && (c->w[j].s[n - 1] == ' ' || c->w[j].s[n - 1] == '\t'))
                        n--;
                key = strndup(c->w[j].s, n);
                if (imp_sysctl_written(p->im, key, eq + 1, minus, src) < 0) {
                        free(key);
                        return sh_refuse(c, "%s", p->im->why);
                }
                free(key);
                any = true;
        }
        if (any)
                c->status = ST_CARRIED;
        return 1;
}

/* modprobe's options from word 1: *at the first name; 0, or -1 refused */
static int modprobe_options(struct cmd *c, size_t *at, bool *all)
{
        size_t i = 1;

        *all = false;
        for (; i < c->n && c->w[i].s[0] == '-'; i++) {
                const char *o = c->w[i].s;
                if (!strcmp(o, "-r") || !strcmp(o, "--remove"))
                        return sh_refuse(c, "it removes a module; kvmtune only loads modules");
                if (!strcmp(o, "-a") || !strcmp(o, "--all"))
                        *all = true;
                else if (strcmp(o, "-q") && strcmp(o, "--quiet") && strcmp(o, "-b") && strcmp(o, "--use-blacklist") &&
                         strcmp(o, "-v") && strcmp(o, "--verbose"))
                        return sh_refuse(c, "the modprobe option '%s' is not understood", o);
        }
        *at = i;
        return 0;
}

int sh_do_modprobe(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        bool all;
        size_t i;

        if (sh_other_redirs(c, NULL) < 0 || modprobe_options(c, &i, &all) < 0)
                return -1;
        if (i == c->n)
                return sh_refuse(c, "no module named");
        for (size_t j = i; j < c->n; j++)
                if (c->w[j].glob)
                        return sh_refuse(c, "'%s' is an unquoted shell glob", c->w[j].s);
        if (!all && c->n > i + 1) {
                bool conntrack = !strcmp(c->w[i].s, "nf_conntrack") || !strcmp(c->w[i].s, "nf-conntrack");
                if (!conntrack || c->n != i + 2 || strncmp(c->w[i + 1].s, "hashsize=", 9))
                        return sh_refuse(c, "module options: move them to an 'options %s ...' line in modprobe.d",
                                         c->w[i].s);
                if (imp_module(p->im, c->w[i].s, src) < 0 ||
                    imp_conntrack_hashsize(p->im, c->w[i + 1].s + 9, false, src, NULL) < 0)
                        return sh_refuse(c, "%s", p->im->why);
                c->status = ST_CARRIED;
                return 1;
        }
        for (size_t j = i; j < c->n; j++)
                if (!module_name_valid(c->w[j].s))
                        return sh_refuse(c, "'%s' is not a module name", c->w[j].s);
        for (size_t j = i; j < c->n; j++)
                imp_module(p->im, c->w[j].s, src);
        c->status = ST_CARRIED;
        return 1;
}

static bool module_word(const char *s)
{
        return module_name_valid(s) && strlen(s) <= 64;
}

/*
 * modprobe [-a] $VAR in the body of `for VAR in NAMES`: each literal name a
 * module to load, as `modprobe -a NAMES` and [modules] load = NAMES.
 */
int sh_do_loop_modprobe(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        size_t at = 1;
        char *names, *save = NULL;
        bool all;

        while (at < c->n && c->w[at].s[0] == '-')
                at++;
        if (sh_loop_var_word(p, c, at, "modprobe $VAR", "module") < 0 || modprobe_options(c, &at, &all) < 0)
                return -1;
        if (c->n != at + 1)
                return sh_refuse(c, "module options: move them to an 'options NAME ...' line in modprobe.d");
        if (!(names = sh_loop_words(p, c, module_word, "a module name")))
                return -1;
        for (char *m = strtok_r(names, " ", &save); m; m = strtok_r(NULL, " ", &save))
                imp_module(p->im, m, src);
        free(names);
        c->status = ST_CARRIED;
        return 1;
}
