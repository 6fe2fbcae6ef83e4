/* SPDX-License-Identifier: MIT */
/*
 * rc.local: the pieces every translator of a shell command uses (shell.h):
 * a command's name, refusing it with the reason, the redirections that may
 * come with a write, the result of a kpath.c setting, the report of a
 * source a command reads, existence guards and loop variables.  Above the
 * shell word reader (shparse.c), below the translators and the dispatcher.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/* "echo", "/bin/echo", "/usr/sbin/sysctl": the name, or NULL for another path */
const char *sh_cmd_name(const struct word *w)
{
        static const char *const dirs[] = { "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/",
                                            "/usr/local/sbin/" };

        if (w->s[0] != '/')
                return w->s;
        for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
                if (!strncmp(w->s, dirs[i], strlen(dirs[i])) && !strchr(w->s + strlen(dirs[i]), '/'))
                        return w->s + strlen(dirs[i]);
        return NULL;
}

/* redirections besides the one wanted: 2>&1, 2>/dev/null, and for commands other than echo >/dev/null */
static bool harmless_redir(const struct redir *r, bool stdout_ok)
{
        bool null = !strcmp(r->target.s, "/dev/null");

        if (!strcmp(r->op, ">&") && r->fd == 2 && !strcmp(r->target.s, "1"))
                return true;
        if ((!strcmp(r->op, ">") || !strcmp(r->op, ">>")) && null && (r->fd == 2 || (stdout_ok && r->fd <= 1)))
                return true;
        return stdout_ok && null && r->op[0] == '&';
}

int sh_refuse(struct cmd *c, const char *fmt, ...)
{
        va_list ap;

        free(c->why);
        va_start(ap, fmt);
        if (vasprintf(&c->why, fmt, ap) < 0)
                c->why = NULL;
        va_end(ap);
        c->status = ST_REFUSED;
        return -1;
}

int sh_other_redirs(struct cmd *c, const struct redir *wanted)
{
        for (size_t i = 0; i < c->n_r; i++)
                if (&c->r[i] != wanted && !harmless_redir(&c->r[i], !wanted))
                        return sh_refuse(c, "the redirection '%s%s' is not understood (only 2>/dev/null and 2>&1 may "
                                            "come with it)", c->r[i].op, c->r[i].target.s);
        return 0;
}

int sh_from_kpath(struct parser *p, struct cmd *c, int r)
{
        if (r > 0) {
                c->status = ST_CARRIED;
                return 1;
        }
        if (r == 0)
                return sh_refuse(c, "not a kernel file kvmtune sets");
        return sh_refuse(c, "%s", p->im->why);
}

/* [ -w F ], [ -e F ], [ -f F ], test -f F, [[ -f F ]]: the word F, or NULL */
const struct word *sh_guard_word(const struct cmd *c)
{
        const char *name, *op;
        size_t at;

        if (!c->n || c->n_r || c->negated || c->background || c->pipe_out || c->pipe_prev >= 0 ||
            !(name = sh_cmd_name(&c->w[0])) || c->w[0].quoted)
                return NULL;
        if (!strcmp(name, "[") && c->n == 4 && sh_unquoted_is(&c->w[3], "]"))
                at = 1;
        else if (!strcmp(name, "[[") && c->n == 4 && sh_unquoted_is(&c->w[3], "]]"))
                at = 1;
        else if (!strcmp(name, "test") && c->n == 3)
                at = 1;
        else
                return NULL;
        op = c->w[at].s;
        if (c->w[at].quoted || (strcmp(op, "-e") && strcmp(op, "-f") && strcmp(op, "-w")))
                return NULL;
        if (c->w[at + 1].backquote || c->w[at + 1].subst || c->w[at + 1].unterminated)
                return NULL;
        return &c->w[at + 1];
}

const char *sh_cmd_word0(const struct cmd *c)
{
        return c->n ? sh_cmd_name(&c->w[0]) : NULL;
}

/* what a nested reader reports waits in c->nested for the line's turn in the file's report */
void sh_nested_begin(struct parser *p, struct cmd *c)
{
        free(c->nested);
        c->nested = NULL;
        p->saved_report = p->im->report;
        p->nested_len = 0;
        p->nested_m = open_memstream(&c->nested, &p->nested_len);
        if (p->nested_m)
                p->im->report = p->nested_m;
}

void sh_nested_end(struct parser *p)
{
        p->im->report = p->saved_report;
        if (p->nested_m)
                fclose(p->nested_m);
        p->nested_m = NULL;
}

/* a kernel file that kvmtune may carry a guarded write to when it is absent (a device may come later) */
bool sh_device_file(const char *path)
{
        return !strncmp(path, "/proc/sys/", 10) || !strncmp(path, "/sys/block/", 11) ||
               !strncmp(path, "/sys/class/net/", 15);
}

/* the first $VAR or ${VAR} in s (quotes already removed), its length in *len */
const char *sh_var_ref(const char *s, const char *var, size_t *len)
{
        static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
        size_t n = strlen(var);

        for (const char *d = strchr(s, '$'); d; d = strchr(d + 1, '$')) {
                if (!strncmp(d + 1, var, n) && (!d[1 + n] || !strchr(name_chars, d[1 + n]))) {
                        *len = 1 + n;
                        return d;
                }
                if (d[1] == '{' && !strncmp(d + 2, var, n) && d[2 + n] == '}') {
                        *len = 3 + n;
                        return d;
                }
        }
        return NULL;
}

/*
 * A command in the body of `for VAR in WORDS` that takes $VAR as its word AT
 * (ethtool's interface, modprobe's module: ROLE): plain (no ||, pipe, &, !
 * or &&), no redirection but the harmless ones, word AT $VAR or ${VAR}
 * itself and nothing else to expand.  0, or -1 refused; FORM names what is
 * understood.
 */
int sh_loop_var_word(struct parser *p, struct cmd *c, size_t at, const char *form, const char *role)
{
        const struct cmd *h = &p->c[p->frames[c->loop].header];
        const char *var = h->w[0].s;
        unsigned line = sh_line_no(p, h->li0);
        size_t len;

        if (c->why) {
                c->status = ST_REFUSED;
                return -1;
        }
        if (c->after_or || c->in_pipe || c->background || c->negated || c->pipe_out || c->and_prev >= 0)
                return sh_refuse(c, "in the for loop of line %u: only a plain '%s' is understood", line, form);
        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (at >= c->n || !sh_var_ref(c->w[at].s, var, &len) || strlen(c->w[at].s) != len || c->w[at].backquote ||
            c->w[at].subst)
                return sh_refuse(c, "in the for loop of line %u: the %s must be $%s itself", line, role, var);
        for (size_t i = 0; i < c->n; i++)
                if (i != at && (c->w[i].dollar || c->w[i].backquote || c->w[i].unterminated))
                        return sh_refuse(c, "in the for loop of line %u: '%s' needs an expansion import does not do",
                                         line, c->w[i].s);
        return 0;
}

/*
 * The words of the loop C is in, joined by one space, each literal and
 * taken by valid(); NULL refused, WHAT naming what a word must be.
 */
char *sh_loop_words(struct parser *p, struct cmd *c, bool (*valid)(const char *), const char *what)
{
        const struct cmd *h = &p->c[p->frames[c->loop].header];
        unsigned line = sh_line_no(p, h->li0);
        struct buf b = { 0 };

        sh_put(&b, 0);
        b.n = 0;
        for (size_t i = 2; i < h->n; i++) {
                const struct word *w = &h->w[i];

                if (w->dollar || w->backquote || w->subst || w->glob || w->unterminated || !valid(w->s)) {
                        free(b.s);
                        sh_refuse(c, "in the for loop of line %u: the loop word '%s' is not %s (a glob or $ would "
                                     "need an expansion import does not do)", line, w->s, what);
                        return NULL;
                }
                if (b.n)
                        sh_put(&b, ' ');
                for (const char *s = w->s; *s; s++)
                        sh_put(&b, *s);
        }
        if (!b.n) {
                free(b.s);
                sh_refuse(c, "in the for loop of line %u: no %s", line, what);
                return NULL;
        }
        return b.s;
}
