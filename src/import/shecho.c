/* SPDX-License-Identifier: MIT */
/*
 * rc.local: writes to kernel files.  echo V > FILE (as dash or bash prints
 * V), echo V | tee FILE... (a glob over /sys/devices/system/cpu/cpu*
 * giving the glob setting, plain [cpu]), and echo V > ...$VAR... in the
 * body of `for VAR in WORDS`, one setting per word.
 */
#include <stdlib.h>
#include <string.h>

#include "shell.h"

static enum echo_kind echo_kind(const struct parser *p, const struct cmd *c)
{
        /* sudo, env and nohup exec /usr/bin/echo; so does a path */
        if (c->external || c->w[0].s[0] == '/')
                return ECHO_GNU;
        return (enum echo_kind)p->echo;
}

/*
 * What echo writes.  dash's builtin echo (Debian's /bin/sh) takes only -n
 * and always interprets backslash escapes; bash's builtin and
 * /usr/bin/echo (coreutils) take -n, -e and -E and interpret them only
 * with -e.  \t becomes a tab (a separator in multi-value sysctls), \\ a
 * backslash and \c ends the output; other escapes are refused.
 */
static int echo_value(struct cmd *c, int kind, struct buf *v)
{
        bool escapes = kind == ECHO_DASH, stop = false;
        size_t i = 1;

        if (kind == ECHO_DASH) {
                if (i < c->n && sh_unquoted_is(&c->w[i], "-n"))
                        i++;
                if (i < c->n && c->w[i].s[0] == '-' && c->w[i].s[1] && strchr("eE", c->w[i].s[1]))
                        return sh_refuse(c, "dash's echo (this host's /bin/sh) prints '%s' itself: it takes no "
                                            "option but -n", c->w[i].s);
        } else {
                for (; i < c->n && !c->w[i].quoted && c->w[i].s[0] == '-' &&
                       strspn(c->w[i].s + 1, "neE") == strlen(c->w[i].s + 1) && c->w[i].s[1]; i++)
                        for (const char *o = c->w[i].s + 1; *o; o++)
                                escapes = *o == 'e' ? true : *o == 'E' ? false : escapes;
        }
        sh_put(v, 0);
        v->n = 0;
        for (; i < c->n && !stop; i++) {
                const char *s = c->w[i].s;

                if (c->w[i].glob)
                        return sh_refuse(c, "'%s' is an unquoted shell glob", s);
                if (v->n)
                        sh_put(v, ' ');
                for (; *s && !stop; s++) {
                        if (*s != '\\') {
                                sh_put(v, *s);
                                continue;
                        }
                        if (kind == ECHO_UNKNOWN)
                                return sh_refuse(c, "a backslash: whether echo interprets it depends on the shell, "
                                                    "and this host's /bin/sh is neither dash nor bash");
                        if (!escapes) {
                                sh_put(v, *s);
                                continue;
                        }
                        switch (s[1]) {
                        case 't':
                                sh_put(v, '\t');
                                s++;
                                break;
                        case '\\':
                                sh_put(v, '\\');
                                s++;
                                break;
                        case 'c':
                                stop = true;
                                break;
                        case '\0':
                                sh_put(v, '\\');
                                break;
                        default:
                                if (strchr("abefnrvx0123456789u", s[1]))
                                        return sh_refuse(c, "echo interprets '\\%c' as a control character here, "
                                                            "which a configuration cannot hold", s[1]);
                                sh_put(v, *s);     /* an unknown escape stays as it is */
                                break;
                        }
                }
        }
        return 0;
}

int sh_do_echo(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const struct redir *out = NULL;
        struct buf v = { 0 };
        int r;

        for (size_t j = 0; j < c->n_r; j++)
                if ((!strcmp(c->r[j].op, ">") || !strcmp(c->r[j].op, ">>") || !strcmp(c->r[j].op, ">|")) &&
                    (c->r[j].fd == -1 || c->r[j].fd == 1)) {
                        if (out)
                                return sh_refuse(c, "more than one output redirection");
                        out = &c->r[j];
                }
        if (!out)
                return sh_refuse(c, "no 'echo V > FILE' redirection kvmtune understands");
        if (sh_other_redirs(c, out) < 0)
                return -1;
        if (out->target.glob)
                return sh_refuse(c, "the target '%s' is a shell glob", out->target.s);
        if (echo_value(c, echo_kind(p, c), &v) < 0)
                return free(v.s), -1;
        if (strchr(v.s, '\n'))
                return free(v.s), sh_refuse(c, "the value spans lines");
        r = imp_kernel_write(p->im, out->target.s, v.s, src);
        free(v.s);
        return sh_from_kpath(p, c, r);
}

int sh_do_tee(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        struct cmd *a = &p->c[c->pipe_prev];
        struct buf v = { 0 };
        size_t files = 0;
        int r = 1;

        if (sh_other_redirs(a, NULL) < 0 || a->n_r)
                return sh_refuse(c, "the echo before the pipe has a redirection");
        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        for (size_t i = 1; i < c->n; i++)
                if (c->w[i].s[0] == '-' && !c->w[i].quoted && !sh_unquoted_is(&c->w[i], "-a") &&
                    !sh_unquoted_is(&c->w[i], "--append"))
                        return sh_refuse(c, "the tee option '%s' is not understood", c->w[i].s);
        if (echo_value(a, echo_kind(p, a), &v) < 0) {
                free(v.s);
                return sh_refuse(c, "%s", a->why);
        }
        if (strchr(v.s, '\n'))
                return free(v.s), sh_refuse(c, "the value spans lines");
        for (size_t i = 1; i < c->n && r > 0; i++) {
                if (c->w[i].s[0] == '-' && !c->w[i].quoted)
                        continue;
                files++;
                /* tee FILE* writes every file the glob names: the glob setting, as a for loop over it */
                r = c->w[i].glob ? imp_glob_write(p->im, c->w[i].s, v.s, src)
                                 : imp_kernel_write(p->im, c->w[i].s, v.s, src);
        }
        free(v.s);
        if (!files)
                return sh_refuse(c, "tee writes no file");
        a->status = ST_SILENT;
        return sh_from_kpath(p, c, r);
}

/*
 * A command in the body of `for VAR in WORDS; do ...; done`: only
 * `echo V > ...$VAR...` is understood, one setting per word, a glob word
 * becoming the glob setting.  Nothing is expanded but VAR, by the words
 * as written.
 */
void sh_do_loop_echo(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const struct frame *fr = &p->frames[c->loop];
        const struct cmd *h = &p->c[fr->header];
        const char *var = h->w[0].s, *name = sh_cmd_word0(c), *at;
        const struct redir *out = NULL;
        unsigned line = sh_line_no(p, h->li0);
        struct buf v = { 0 };
        size_t len;
        bool guarded;
        int r = 1;

        if (c->why) {
                c->status = ST_REFUSED;
                return;
        }
        if (!c->n && !c->n_r) {
                c->status = ST_SILENT;
                return;
        }
        if (sh_guard_word(c) && (size_t)(c - p->c) + 1 < p->n && c[1].and_prev == c - p->c && c[1].loop == c->loop) {
                /* [ -f $f ] && echo V > $f: read with the write it guards */
                c->status = ST_SILENT;
                c->part = true;
                return;
        }
        if (c->after_or || c->in_pipe || c->background || c->negated || c->pipe_out || !name ||
            strcmp(name, "echo") ||
            (c->and_prev >= 0 && (!sh_guard_word(&p->c[c->and_prev]) || p->c[c->and_prev].loop != c->loop))) {
                sh_refuse(c, "in the for loop of line %u: only 'echo VALUE > FILE' through $%s is understood there",
                          line, var);
                return;
        }
        for (size_t i = 0; i < c->n; i++)
                if (c->w[i].dollar || c->w[i].backquote || c->w[i].unterminated) {
                        sh_refuse(c, "in the for loop of line %u: the value holds $, a backquote or an open quote, "
                                     "which is never evaluated", line);
                        return;
                }
        for (size_t j = 0; j < c->n_r; j++)
                if ((!strcmp(c->r[j].op, ">") || !strcmp(c->r[j].op, ">>")) && (c->r[j].fd == -1 || c->r[j].fd == 1)) {
                        if (out) {
                                sh_refuse(c, "more than one output redirection");
                                return;
                        }
                        out = &c->r[j];
                }
        if (!out) {
                sh_refuse(c, "no 'echo V > FILE' redirection kvmtune understands");
                return;
        }
        if (sh_other_redirs(c, out) < 0)
                return;
        if (c->and_prev >= 0 && strcmp(sh_guard_word(&p->c[c->and_prev])->s, out->target.s)) {
                sh_refuse(c, "in the for loop of line %u: the guard tests another file than the one written", line);
                return;
        }
        guarded = c->and_prev >= 0;
        at = sh_var_ref(out->target.s, var, &len);
        if (!at || out->target.backquote || out->target.subst || out->target.unterminated ||
            strchr(at + len, '$') || memchr(out->target.s, '$', (size_t)(at - out->target.s))) {
                sh_refuse(c, "in the for loop of line %u: the target must name $%s once, and nothing else to expand",
                          line, var);
                return;
        }
        if (echo_value(c, echo_kind(p, c), &v) < 0) {
                free(v.s);
                return;
        }
        if (strchr(v.s, '\n')) {
                free(v.s);
                sh_refuse(c, "the value spans lines");
                return;
        }
        for (size_t i = 2; i < h->n && r > 0; i++) {
                const struct word *w = &h->w[i];
                char *path;

                if (w->dollar || w->backquote || w->unterminated || strpbrk(w->s, "{}~") || !*w->s) {
                        r = imp_why(p->im, "the loop word '%s' needs an expansion import does not do", w->s);
                        break;
                }
                path = xasprintf("%.*s%s%s", (int)(at - out->target.s), out->target.s, w->s, at + len);
                p->im->guard = guarded && !w->glob && !strpbrk(path, "*?[") ? path : NULL;
                if (w->glob || strpbrk(path, "*?["))
                        r = imp_glob_write(p->im, path, v.s, src);      /* a glob names what exists anyway */
                else if (guarded && !sh_device_file(path) && !strncmp(path, "/sys/", 5) && imp_path_canonical(path) &&
                            kernfs_probe(p->im->k, path + 1) == 0)
                        r = 1;  /* the guard is false here: this word wrote nothing */
                else
                        r = imp_kernel_write(p->im, path, v.s, src);
                p->im->guard = NULL;
                if (r == 0)
                        r = imp_why(p->im, "%s is not a kernel file kvmtune sets", path);
                free(path);
        }
        free(v.s);
        if (r < 0) {
                sh_refuse(c, "%s", p->im->why);
                return;
        }
        c->status = ST_CARRIED;
}
