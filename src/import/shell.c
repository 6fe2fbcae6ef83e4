/* SPDX-License-Identifier: MIT */
/*
 * rc.local, second half: what the commands parsed by shparse.c mean.
 * Prefixes (sudo, env, nohup, command) are dropped, forms that span
 * commands are tied together (echo | tee, existence guards, for loops), and
 * each command that runs unconditionally at boot and sets what kvmtune sets
 * is carried: echo V > FILE (as dash or bash prints V), tee, sysctl [-w],
 * sysctl -p FILE, modprobe, ifconfig/ip txqueuelen, blockdev --setra, mount
 * -t hugetlbfs, tuned-adm profile, sh -c 'SCRIPT'.  Everything else that is
 * tuning is reported with the reason.  Nothing is executed or expanded.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

/* ---- what a command means ---------------------------------------------------------- */

/* "echo", "/bin/echo", "/usr/sbin/sysctl": the name, or NULL for another path */
static const char *cmd_name(const struct word *w)
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

static bool kernel_path(const char *s)
{
        return !strncmp(s, "/proc/", 6) || !strncmp(s, "/sys/", 5) || strstr(s, "/proc/sys") || strstr(s, "/sys/") ||
               !strcmp(s, "/proc") || !strcmp(s, "/sys");
}

static bool out_redir(const struct redir *r)
{
        return (r->op[0] == '>' && strcmp(r->op, ">&")) || r->op[0] == '&';
}

static bool has_word(const struct cmd *c, const char *s)
{
        for (size_t i = 1; i < c->n; i++)
                if (!strcmp(c->w[i].s, s))
                        return true;
        return false;
}

/* is this command tuning, that is, something the report must account for? */
static bool is_tuning(const struct cmd *c)
{
        const char *name;

        for (size_t i = 0; i < c->n_r; i++)
                if (out_redir(&c->r[i]) && kernel_path(c->r[i].target.s))
                        return true;
        if (!c->n || !(name = cmd_name(&c->w[0])))
                return false;
        if (!strcmp(name, "sysctl") || !strcmp(name, "modprobe") || !strcmp(name, "insmod") || !strcmp(name, "rmmod"))
                return true;
        if (!strcmp(name, "ifconfig") || !strcmp(name, "ip"))
                return has_word(c, "txqueuelen") || has_word(c, "txqlen");
        if (!strcmp(name, "tuned-adm"))
                return has_word(c, "profile");
        if (!strcmp(name, "cpupower") || !strcmp(name, "x86_energy_perf_policy") || !strcmp(name, "ethtool"))
                return true;
        if (!strcmp(name, "blockdev"))
                for (size_t i = 1; i < c->n; i++)
                        if (!strncmp(c->w[i].s, "--set", 5))
                                return true;
        if (!strcmp(name, "mount"))
                return has_word(c, "hugetlbfs") || has_word(c, "-thugetlbfs");
        if (!strcmp(name, "sudo") || !strcmp(name, "env") || !strcmp(name, "nohup") || !strcmp(name, "command") ||
            !strcmp(name, "xargs") || !strcmp(name, "nice") || !strcmp(name, "ionice") || !strcmp(name, "timeout"))
                for (size_t i = 1; i < c->n; i++) {
                        const char *n2 = cmd_name(&c->w[i]);
                        if (kernel_path(c->w[i].s) ||
                            (n2 && (!strcmp(n2, "sysctl") || !strcmp(n2, "modprobe") || !strcmp(n2, "tee") ||
                                    !strcmp(n2, "ip") || !strcmp(n2, "ifconfig") || !strcmp(n2, "mount"))))
                                return true;
                }
        if (!strcmp(name, "sh") || !strcmp(name, "bash") || !strcmp(name, "dash"))
                for (size_t i = 1; i < c->n; i++)
                        if (kernel_path(c->w[i].s) || strstr(c->w[i].s, "sysctl") || strstr(c->w[i].s, "modprobe"))
                                return true;
        if (!strcmp(name, "tee") || !strcmp(name, "dd") || !strcmp(name, "cp"))
                for (size_t i = 1; i < c->n; i++)
                        if (kernel_path(c->w[i].s))
                                return true;
        return false;
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

static int refuse(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct cmd *c, const char *fmt, ...)
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

static int other_redirs(struct cmd *c, const struct redir *wanted)
{
        for (size_t i = 0; i < c->n_r; i++)
                if (&c->r[i] != wanted && !harmless_redir(&c->r[i], !wanted))
                        return refuse(c, "the redirection '%s%s' is not understood (only 2>/dev/null and 2>&1 may "
                                         "come with it)", c->r[i].op, c->r[i].target.s);
        return 0;
}

static int from_kpath(struct parser *p, struct cmd *c, int r)
{
        if (r > 0) {
                c->status = ST_CARRIED;
                return 1;
        }
        if (r == 0)
                return refuse(c, "not a kernel file kvmtune sets");
        return refuse(c, "%s", p->im->why);
}

static enum echo_kind echo_kind(const struct parser *p, const struct cmd *c)
{
        /* sudo, env and nohup exec /usr/bin/echo; so does a path */
        if (c->external || c->w[0].s[0] == '/')
                return ECHO_GNU;
        return (enum echo_kind)p->echo;
}

/*
 * The shell that runs the file: the #! line, and for /bin/sh what it links
 * to on this host (dash on Debian and Ubuntu, bash on Fedora).
 */
static enum echo_kind sh_echo_kind(struct imp *im);
static enum echo_kind file_echo_kind(struct imp *im, const struct imp_file *f)
{
        char interp[256] = "/bin/sh";
        const char *base;

        if (f->n_lines && !f->lines[0].bad && f->lines[0].len > 2 && !memcmp(f->lines[0].s, "#!", 2)) {
                const char *s = f->lines[0].s + 2;
                size_t n = f->lines[0].len - 2, skip = 0;

                while (skip < n && (s[skip] == ' ' || s[skip] == '\t'))
                        skip++;
                s += skip;
                n -= skip;
                n = strcspn(s, " \t") < n ? strcspn(s, " \t") : n;
                if (n >= sizeof(interp))
                        return ECHO_UNKNOWN;
                memcpy(interp, s, n);
                interp[n] = '\0';
                if (!strcmp(interp, "/usr/bin/env") || !strcmp(interp, "/bin/env")) {
                        /* #!/usr/bin/env bash */
                        s += n;
                        n = f->lines[0].len - (size_t)(s - f->lines[0].s);
                        while (n && (*s == ' ' || *s == '\t'))
                                s++, n--;
                        n = strcspn(s, " \t") < n ? strcspn(s, " \t") : n;
                        if (!n || n >= sizeof(interp) - 5)
                                return ECHO_UNKNOWN;
                        snprintf(interp, sizeof(interp), "/bin/%.*s", (int)n, s);
                }
        }
        base = strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp;
        if (!strcmp(base, "bash"))
                return ECHO_GNU;
        if (!strcmp(base, "dash"))
                return ECHO_DASH;
        if (strcmp(base, "sh"))
                return ECHO_UNKNOWN;
        return sh_echo_kind(im);
}

/* /bin/sh: what it links to under the root (bin may itself link to usr/bin) */
static enum echo_kind sh_echo_kind(struct imp *im)
{
        char link[256];
        const char *base;

        if (kernfs_readlink(im->k, "usr/bin/sh", link, sizeof(link)) < 0 &&
            kernfs_readlink(im->k, "bin/sh", link, sizeof(link)) < 0)
                return ECHO_UNKNOWN;
        base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
        return !strcmp(base, "dash") ? ECHO_DASH : !strcmp(base, "bash") ? ECHO_GNU : ECHO_UNKNOWN;
}

/*
 * sudo, env, nohup and command in front of a command, and VAR=value
 * assignments, change nothing a tuning command writes: they are dropped
 * (their words were already checked for expansions).  sudo -u and other
 * options that change who runs it, and `command -v`, are left in place.
 */
static void strip_prefixes(struct cmd *c)
{
        size_t i = 0;

        for (;;) {
                const char *name = i < c->n && !c->w[i].quoted ? cmd_name(&c->w[i]) : NULL;
                size_t j = i + 1;

                if (!name)
                        break;
                if (!strcmp(name, "sudo")) {
                        while (j < c->n && (sh_unquoted_is(&c->w[j], "-E") || sh_unquoted_is(&c->w[j], "-H") ||
                                            sh_unquoted_is(&c->w[j], "-n") || sh_unquoted_is(&c->w[j], "-S")))
                                j++;
                        if (j < c->n && sh_unquoted_is(&c->w[j], "--"))
                                j++;
                        if (j < c->n && c->w[j].s[0] == '-')
                                break;
                        c->external = true;
                } else if (!strcmp(name, "env")) {
                        while (j < c->n && strchr(c->w[j].s, '=') && c->w[j].s[0] != '=' && c->w[j].s[0] != '-')
                                j++;
                        if (j < c->n && c->w[j].s[0] == '-')
                                break;
                        c->external = true;
                } else if (!strcmp(name, "nohup")) {
                        c->external = true;
                } else if (!strcmp(name, "command")) {
                        if (j < c->n && sh_unquoted_is(&c->w[j], "-p"))
                                j++;
                        if (j < c->n && c->w[j].s[0] == '-')
                                break;
                } else if (strchr(c->w[i].s, '=') && c->w[i].s[0] != '=' &&
                           strspn(c->w[i].s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                                   (size_t)(strchr(c->w[i].s, '=') - c->w[i].s) &&
                           !(c->w[i].s[0] >= '0' && c->w[i].s[0] <= '9')) {
                        j = i + 1;      /* VAR=value cmd */
                } else {
                        break;
                }
                if (j >= c->n)
                        break;          /* "sudo" alone: not a prefix of anything */
                i = j;
        }
        if (!i)
                return;
        for (size_t k = 0; k < i; k++)
                sh_word_free(&c->w[k]);
        memmove(c->w, c->w + i, (c->n - i) * sizeof(*c->w));
        c->n -= i;
}

/* [ -w F ], [ -e F ], [ -f F ], test -f F, [[ -f F ]]: the word F, or NULL */
static const struct word *guard_word(const struct cmd *c)
{
        const char *name, *op;
        size_t at;

        if (!c->n || c->n_r || c->negated || c->background || c->pipe_out || c->pipe_prev >= 0 ||
            !(name = cmd_name(&c->w[0])) || c->w[0].quoted)
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

/* an existence guard on a file named without expansion: the file, or NULL */
static const char *exist_guard(const struct cmd *c)
{
        const struct word *w = guard_word(c);

        return w && !w->glob && !w->dollar ? w->s : NULL;
}

static const char *cmd_word0(const struct cmd *c)
{
        return c->n ? cmd_name(&c->w[0]) : NULL;
}

/* the one file a write command writes: echo's redirection, tee's file; NULL when not one */
static const char *write_target(const struct cmd *c)
{
        const char *name = cmd_word0(c), *t = NULL;

        if (!name)
                return NULL;
        if (!strcmp(name, "echo")) {
                for (size_t j = 0; j < c->n_r; j++)
                        if ((!strcmp(c->r[j].op, ">") || !strcmp(c->r[j].op, ">>")) &&
                            (c->r[j].fd == -1 || c->r[j].fd == 1)) {
                                if (t)
                                        return NULL;
                                t = c->r[j].target.s;
                        }
                return t;
        }
        if (!strcmp(name, "tee")) {
                for (size_t i = 1; i < c->n; i++) {
                        if (c->w[i].s[0] == '-' && !c->w[i].quoted)
                                continue;
                        if (t && strcmp(t, c->w[i].s))
                                return NULL;
                        t = c->w[i].s;
                }
                return t;
        }
        return NULL;
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
                        return refuse(c, "dash's echo (this host's /bin/sh) prints '%s' itself: it takes no "
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
                        return refuse(c, "'%s' is an unquoted shell glob", s);
                if (v->n)
                        sh_put(v, ' ');
                for (; *s && !stop; s++) {
                        if (*s != '\\') {
                                sh_put(v, *s);
                                continue;
                        }
                        if (kind == ECHO_UNKNOWN)
                                return refuse(c, "a backslash: whether echo interprets it depends on the shell, "
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
                                        return refuse(c, "echo interprets '\\%c' as a control character here, "
                                                         "which a configuration cannot hold", s[1]);
                                sh_put(v, *s);     /* an unknown escape stays as it is */
                                break;
                        }
                }
        }
        return 0;
}

static int do_echo(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const struct redir *out = NULL;
        struct buf v = { 0 };
        int r;

        for (size_t j = 0; j < c->n_r; j++)
                if ((!strcmp(c->r[j].op, ">") || !strcmp(c->r[j].op, ">>") || !strcmp(c->r[j].op, ">|")) &&
                    (c->r[j].fd == -1 || c->r[j].fd == 1)) {
                        if (out)
                                return refuse(c, "more than one output redirection");
                        out = &c->r[j];
                }
        if (!out)
                return refuse(c, "no 'echo V > FILE' redirection kvmtune understands");
        if (other_redirs(c, out) < 0)
                return -1;
        if (out->target.glob)
                return refuse(c, "the target '%s' is a shell glob", out->target.s);
        if (echo_value(c, echo_kind(p, c), &v) < 0)
                return free(v.s), -1;
        if (strchr(v.s, '\n'))
                return free(v.s), refuse(c, "the value spans lines");
        r = imp_kernel_write(p->im, out->target.s, v.s, src);
        free(v.s);
        return from_kpath(p, c, r);
}

/* what a nested reader reports waits in c->nested for the line's turn in the file's report */
static void nested_begin(struct parser *p, struct cmd *c)
{
        free(c->nested);
        c->nested = NULL;
        p->saved_report = p->im->report;
        p->nested_len = 0;
        p->nested_m = open_memstream(&c->nested, &p->nested_len);
        if (p->nested_m)
                p->im->report = p->nested_m;
}

static void nested_end(struct parser *p)
{
        p->im->report = p->saved_report;
        if (p->nested_m)
                fclose(p->nested_m);
        p->nested_m = NULL;
}

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
                        return refuse(c, "the sysctl option '%s' is not understood with -p", o);
                if (c->w[i].glob)
                        return refuse(c, "'%s' is a shell glob", o);
                if (strlen(o) < 6 || strcmp(o + strlen(o) - 5, ".conf"))
                        return refuse(c, "'%s' is not a .conf file: import reads only sysctl files named *.conf, "
                                         "so that no other file is quoted in its report", o);
                if (n == 16)
                        return refuse(c, "more than 16 files");
                files[n++] = o;
        }
        if (!n)
                files[n++] = "/etc/sysctl.conf";
        for (size_t j = 0; j < n; j++) {
                struct imp_file f;
                const char *why = NULL;

                if (imp_read_rooted(p->im, files[j], IK_SYSCTL, &f, &why) < 0)
                        return refuse(c, "cannot read %s: %s", files[j], why);
                nested_begin(p, c);
                imp_read_sysctl(p->im, &f);
                nested_end(p);
                imp_file_free(&f);
        }
        if (p->im->n_failed != failed)
                return refuse(c, "a line of the file it loads is not carried (see there)");
        c->status = ST_CARRIED;
        return 1;
}

static int do_sysctl(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        bool minus = false, any = false;
        size_t i = 1;

        if (other_redirs(c, NULL) < 0)
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
                        return refuse(c, "sysctl --system re-reads every sysctl file: import reads those files "
                                         "itself, in the order --system does; remove this line by hand once they "
                                         "are imported");
                return refuse(c, "the sysctl option '%s' is not understood", o);
        }
        if (i == c->n)
                return 0;
        for (size_t j = i; j < c->n; j++) {
                char *eq = strchr(c->w[j].s, '=');
                if (!eq)
                        return j == i && c->n == i + 1 ? (c->status = ST_OTHER, 0)  /* a read */
                                                       : refuse(c, "'%s' has no '='", c->w[j].s);
                if (c->w[j].glob || memchr(c->w[j].s, '*', (size_t)(eq - c->w[j].s)))
                        return refuse(c, "'%s' holds a glob, which sysctl does not expand", c->w[j].s);
        }
        for (size_t j = i; j < c->n; j++) {
                char *eq = strchr(c->w[j].s, '='), *key;
                size_t n = (size_t)(eq - c->w[j].s);

                while (n && (c->w[j].s[n - 1] == ' ' || c->w[j].s[n - 1] == '\t'))
                        n--;
                key = strndup(c->w[j].s, n);
                if (imp_sysctl(p->im, key, eq + 1, minus, src) < 0) {
                        free(key);
                        return refuse(c, "%s", p->im->why);
                }
                free(key);
                any = true;
        }
        if (any)
                c->status = ST_CARRIED;
        return 1;
}

static int do_modprobe(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        bool all = false;
        size_t i = 1;

        if (other_redirs(c, NULL) < 0)
                return -1;
        for (; i < c->n && c->w[i].s[0] == '-'; i++) {
                const char *o = c->w[i].s;
                if (!strcmp(o, "-r") || !strcmp(o, "--remove"))
                        return refuse(c, "it removes a module; kvmtune only loads modules");
                if (!strcmp(o, "-a") || !strcmp(o, "--all"))
                        all = true;
                else if (strcmp(o, "-q") && strcmp(o, "--quiet") && strcmp(o, "-b") && strcmp(o, "--use-blacklist") &&
                         strcmp(o, "-v") && strcmp(o, "--verbose"))
                        return refuse(c, "the modprobe option '%s' is not understood", o);
        }
        if (i == c->n)
                return refuse(c, "no module named");
        for (size_t j = i; j < c->n; j++)
                if (c->w[j].glob)
                        return refuse(c, "'%s' is an unquoted shell glob", c->w[j].s);
        if (!all && c->n > i + 1) {
                bool conntrack = !strcmp(c->w[i].s, "nf_conntrack") || !strcmp(c->w[i].s, "nf-conntrack");
                if (!conntrack || c->n != i + 2 || strncmp(c->w[i + 1].s, "hashsize=", 9))
                        return refuse(c, "module options: move them to an 'options %s ...' line in modprobe.d",
                                      c->w[i].s);
                if (imp_module(p->im, c->w[i].s, src) < 0 ||
                    imp_conntrack_hashsize(p->im, c->w[i + 1].s + 9, false, src, NULL) < 0)
                        return refuse(c, "%s", p->im->why);
                c->status = ST_CARRIED;
                return 1;
        }
        for (size_t j = i; j < c->n; j++)
                if (!module_name_valid(c->w[j].s))
                        return refuse(c, "'%s' is not a module name", c->w[j].s);
        for (size_t j = i; j < c->n; j++)
                imp_module(p->im, c->w[j].s, src);
        c->status = ST_CARRIED;
        return 1;
}

static int do_ifconfig(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        if (other_redirs(c, NULL) < 0)
                return -1;
        if (c->n != 4 || strcmp(c->w[2].s, "txqueuelen"))
                return refuse(c, "only 'ifconfig DEV txqueuelen N' is understood");
        return from_kpath(p, c, imp_netdev_txqueuelen(p->im, c->w[1].s, c->w[3].s, src));
}

static int do_ip(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        size_t i = 3;

        if (other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 6 || strcmp(c->w[1].s, "link") || strcmp(c->w[2].s, "set"))
                return refuse(c, "only 'ip link set [dev] DEV txqueuelen N' is understood");
        if (!strcmp(c->w[i].s, "dev"))
                i++;
        if (c->n != i + 3 || (strcmp(c->w[i + 1].s, "txqueuelen") && strcmp(c->w[i + 1].s, "txqlen")))
                return refuse(c, "only 'ip link set [dev] DEV txqueuelen N' is understood");
        return from_kpath(p, c, imp_netdev_txqueuelen(p->im, c->w[i].s, c->w[i + 2].s, src));
}

/*
 * blockdev --setra SECTORS /dev/DEV...: the read-ahead in 512-byte sectors;
 * the kernel keeps whole pages of it, and read_ahead_kb shows those.
 */
static int do_blockdev(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        uint64_t sectors, page = (uint64_t)sysconf(_SC_PAGESIZE), kb;
        char value[32], rel[300];

        if (other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 4 || strcmp(c->w[1].s, "--setra"))
                return refuse(c, "only 'blockdev --setra SECTORS DEVICE...' is understood");
        if (parse_u64(c->w[2].s, &sectors) < 0 || sectors > (uint64_t)INT32_MAX * 2)
                return refuse(c, "'%s' is not a number of sectors", c->w[2].s);
        if (!page || page % 1024)
                page = 4096;
        kb = sectors * 512 / page * (page / 1024);
        snprintf(value, sizeof(value), "%llu", (unsigned long long)kb);
        for (size_t i = 3; i < c->n; i++) {
                const char *dev = c->w[i].s;

                if (strncmp(dev, "/dev/", 5) || strchr(dev + 5, '/') || !imp_devname_valid(dev + 5, 0))
                        return refuse(c, "'%s' is not /dev/NAME of a disk in /sys/block", dev);
                snprintf(rel, sizeof(rel), "sys/class/block/%s/partition", dev + 5);
                if (kernfs_probe(p->im->k, rel) > 0)
                        return refuse(c, "%s is a partition: blockdev sets the read-ahead of its whole disk", dev);
        }
        for (size_t i = 3; i < c->n; i++) {
                struct imp_entry *e;

                if (imp_block(p->im, c->w[i].s + 5, "read_ahead_kb", value, src) < 0)
                        return refuse(c, "%s", p->im->why);
                e = imp_find(p->im, IS_BLOCK, c->w[i].s + 5, "read_ahead_kb");
                if (e)
                        imp_note(e, "blockdev --setra %llu counts 512-byte sectors: read_ahead_kb = %s (whole "
                                    "%llu-byte pages)", (unsigned long long)sectors, value, (unsigned long long)page);
        }
        c->status = ST_CARRIED;
        return 1;
}

/*
 * The argument of option word w of a cpupower command, or NULL when w is not
 * that option: -oARG, -o ARG, --long=ARG, --long ARG (getopt_long's forms).
 * *i moves past what was used.
 */
static const char *cpupower_arg(const struct cmd *c, size_t *i, char short_opt, const char *long_opt)
{
        const char *w = c->w[*i].s;
        size_t n = strlen(long_opt);

        if (w[0] == '-' && w[1] == short_opt) {
                if (w[2])
                        return (*i)++, w + 2;
        } else if (!strncmp(w, "--", 2) && !strncmp(w + 2, long_opt, n) && (!w[2 + n] || w[2 + n] == '=')) {
                if (w[2 + n])
                        return (*i)++, w + 3 + n;
        } else {
                return NULL;
        }
        if (*i + 1 >= c->n)
                return NULL;
        *i += 2;
        return c->w[*i - 1].s;
}

static bool cpupower_is(const char *w, const char *short_opt, const char *long_opt)
{
        size_t n = strlen(long_opt);

        return !strncmp(w, short_opt, 2) ||
               (!strncmp(w, "--", 2) && !strncmp(w + 2, long_opt, n) && (!w[2 + n] || w[2 + n] == '='));
}

/*
 * cpupower [-c LIST] frequency-set -g GOVERNOR, set -b BIAS | -e EPP and
 * idle-set -D LATENCY: the [cpu] keys (cpupower's *-set commands act on
 * every CPU unless -c names some).  idle-set -D N disables the states whose
 * latency is N or more, which is idle_max_latency_us = N - 1.  Frequency
 * limits, idle states by number and turbo have no kvmtune form: reported.
 */
static int do_cpupower(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const char *cpus = NULL, *verb, *v, *idle_arg = NULL, *keys[3];
        char *values[3] = { NULL };
        size_t i = 1, n = 0;
        uint64_t u;
        int r = -1;

        if (other_redirs(c, NULL) < 0)
                return -1;
        while (i < c->n && c->w[i].s[0] == '-') {
                if ((v = cpupower_arg(c, &i, 'c', "cpu")))
                        cpus = v;
                else if (!strcmp(c->w[i].s, "-d") || !strcmp(c->w[i].s, "--debug"))
                        i++;
                else
                        return refuse(c, "the cpupower option '%s' is not understood", c->w[i].s);
        }
        if (i == c->n)
                return refuse(c, "cpupower without a command");
        verb = c->w[i++].s;
        if (strcmp(verb, "frequency-set") && strcmp(verb, "set") && strcmp(verb, "idle-set"))
                return refuse(c, "cpupower %s sets nothing kvmtune has (only frequency-set -g, set -b|-e and "
                                 "idle-set -D are carried)", verb);
        if (cpus && !strcmp(cpus, "all"))
                cpus = NULL;
        while (i < c->n) {
                const char *w = c->w[i].s, *key = NULL;

                if (n == sizeof(keys) / sizeof(*keys))
                        goto refused_many;
                if (!strcmp(verb, "frequency-set")) {
                        if (cpupower_is(w, "-r", "related")) {  /* a governor is per policy anyway */
                                i++;
                                continue;
                        }
                        if ((v = cpupower_arg(c, &i, 'g', "governor"))) {
                                key = "governor";
                                values[n] = xstrdup(v);
                        } else if (cpupower_is(w, "-d", "min") || cpupower_is(w, "-u", "max") ||
                                   cpupower_is(w, "-f", "freq")) {
                                refuse(c, "CPU frequency limits (%s): kvmtune has no form for them; only -g "
                                          "GOVERNOR is carried", w);
                                goto out;
                        }
                } else if (!strcmp(verb, "set")) {
                        if ((v = cpupower_arg(c, &i, 'b', "perf-bias"))) {
                                if (parse_u64(v, &u) < 0 || u > 15) {
                                        refuse(c, "'%s' is not an energy_perf_bias 0-15", v);
                                        goto out;
                                }
                                key = "energy_perf_bias";
                                values[n] = xasprintf("%u", (unsigned)u);
                        } else if ((v = cpupower_arg(c, &i, 'e', "epp"))) {
                                key = "energy_performance_preference";
                                values[n] = xstrdup(v);
                        }
                } else if ((v = cpupower_arg(c, &i, 'D', "disable-by-latency"))) {
                        if (parse_u64(v, &u) < 0 || u > (uint64_t)UINT32_MAX + 1) {
                                refuse(c, "'%s' is not a latency in microseconds", v);
                                goto out;
                        }
                        if (u == 0) {
                                refuse(c, "idle-set -D 0 disables every state, polling too; kvmtune's nearest "
                                          "is [cpu] resume_latency_us = n/a");
                                goto out;
                        }
                        key = "idle_max_latency_us";
                        values[n] = xasprintf("%llu", (unsigned long long)(u - 1));
                        idle_arg = v;
                }
                if (!key) {
                        if (!strcmp(verb, "idle-set") && (cpupower_is(w, "-d", "disable") ||
                                                          cpupower_is(w, "-e", "enable") ||
                                                          cpupower_is(w, "-E", "enable-all")))
                                refuse(c, "idle states by number (%s): kvmtune disables them by latency "
                                          "([cpu] idle_max_latency_us)", w);
                        else
                                refuse(c, "cpupower %s %s has no kvmtune form", verb, w);
                        goto out;
                }
                keys[n++] = key;
        }
        if (!n) {
                refuse(c, "cpupower %s with nothing to set", verb);
                goto out;
        }
        for (size_t j = 0; j < n; j++)
                if (imp_cpu_check(p->im, cpus, keys[j], values[j]) < 0) {
                        refuse(c, "%s", p->im->why);
                        goto out;
                }
        for (size_t j = 0; j < n; j++) {
                struct imp_entry *e;

                imp_cpu(p->im, cpus, keys[j], values[j], src);
                e = imp_find(p->im, IS_CPU, cpus, keys[j]);
                if (e && idle_arg && !strcmp(keys[j], "idle_max_latency_us"))
                        imp_note(e, "cpupower idle-set -D %s disables the states of latency %s us or more: "
                                    "idle_max_latency_us = %s", idle_arg, idle_arg, values[j]);
        }
        c->status = ST_CARRIED;
        r = 1;
        goto out;
refused_many:
        refuse(c, "more options than kvmtune carries in one cpupower command");
out:
        for (size_t j = 0; j < sizeof(values) / sizeof(*values); j++)
                free(values[j]);
        return r;
}

static int do_mount(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const char *type = NULL, *opts = NULL, *pos[3] = { NULL };
        size_t n_pos = 0;

        if (other_redirs(c, NULL) < 0)
                return -1;
        for (size_t i = 1; i < c->n; i++) {
                const char *w = c->w[i].s;
                if ((!strcmp(w, "-t") || !strcmp(w, "--types")) && i + 1 < c->n)
                        type = c->w[++i].s;
                else if (!strncmp(w, "-t", 2) && w[2])
                        type = w + 2;
                else if ((!strcmp(w, "-o") || !strcmp(w, "--options")) && i + 1 < c->n)
                        opts = c->w[++i].s;
                else if (!strncmp(w, "-o", 2) && w[2])
                        opts = w + 2;
                else if (w[0] == '-')
                        return refuse(c, "the mount option '%s' is not understood", w);
                else if (n_pos < 3)
                        pos[n_pos++] = w;
                else
                        return refuse(c, "too many arguments");
        }
        if (!type || strcmp(type, "hugetlbfs"))
                return refuse(c, "only 'mount -t hugetlbfs [-o OPTIONS] SOURCE DIR' is understood");
        if (n_pos != 2)
                return refuse(c, "a mount with other than a source and a mount point");
        return from_kpath(p, c, imp_hugetlbfs(p->im, pos[1], opts ? opts : "defaults", src));
}

static int do_tee(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        struct cmd *a = &p->c[c->pipe_prev];
        struct buf v = { 0 };
        size_t files = 0;
        int r = 1;

        if (other_redirs(a, NULL) < 0 || a->n_r)
                return refuse(c, "the echo before the pipe has a redirection");
        if (other_redirs(c, NULL) < 0)
                return -1;
        for (size_t i = 1; i < c->n; i++)
                if (c->w[i].s[0] == '-' && !c->w[i].quoted && !sh_unquoted_is(&c->w[i], "-a") &&
                    !sh_unquoted_is(&c->w[i], "--append"))
                        return refuse(c, "the tee option '%s' is not understood", c->w[i].s);
                else if (c->w[i].glob)
                        return refuse(c, "the target '%s' is a shell glob", c->w[i].s);
        if (echo_value(a, echo_kind(p, a), &v) < 0) {
                free(v.s);
                return refuse(c, "%s", a->why);
        }
        if (strchr(v.s, '\n'))
                return free(v.s), refuse(c, "the value spans lines");
        for (size_t i = 1; i < c->n && r > 0; i++) {
                if (c->w[i].s[0] == '-' && !c->w[i].quoted)
                        continue;
                files++;
                r = imp_kernel_write(p->im, c->w[i].s, v.s, src);
        }
        free(v.s);
        if (!files)
                return refuse(c, "tee writes no file");
        a->status = ST_SILENT;
        return from_kpath(p, c, r);
}

/* tuned-adm profile NAME...: the profiles are read at this point of the script */
static int do_tuned_adm(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        struct buf names = { 0 };
        int r;

        if (other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 3 || strcmp(c->w[1].s, "profile"))
                return refuse(c, "only 'tuned-adm profile NAME...' is understood");
        sh_put(&names, 0);
        names.n = 0;
        for (size_t i = 2; i < c->n; i++) {
                if (c->w[i].glob || c->w[i].s[0] == '-')
                        return free(names.s), refuse(c, "'%s' is not a profile name", c->w[i].s);
                if (names.n)
                        sh_put(&names, ' ');
                for (const char *s = c->w[i].s; *s; s++)
                        sh_put(&names, *s);
        }
        nested_begin(p, c);
        r = imp_tuned_profiles(p->im, names.s, src);
        nested_end(p);
        free(names.s);
        if (r < 0)
                return refuse(c, "a setting of the profile is not carried (see there)");
        c->status = ST_CARRIED;
        return 1;
}

static int read_script(struct imp *im, struct imp_file *f, int nest, enum echo_kind echo, const char *extra);

/* sh -c 'SCRIPT' and bash -c "SCRIPT": the script is read as rc.local is, at the same line */
static int do_sh_c(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const char *name = cmd_word0(c);
        struct imp_file f = { 0 };
        enum echo_kind echo;
        char extra[32];
        int r;

        if (other_redirs(c, NULL) < 0)
                return -1;
        if (c->n != 3 || !sh_unquoted_is(&c->w[1], "-c"))
                return refuse(c, "only '%s -c SCRIPT' with a quoted script is understood", name);
        if (p->nest >= MAX_NEST)
                return refuse(c, "%s -c nested more than %d deep", name, MAX_NEST);
        echo = !strcmp(name, "bash") ? ECHO_GNU : !strcmp(name, "dash") ? ECHO_DASH : (enum echo_kind)p->sh_echo;
        f.shown = p->f->shown;
        f.kind = IK_SHELL;
        f.text = xstrdup(c->w[2].s);
        f.len = strlen(f.text);
        imp_split_lines(&f, src->line);
        snprintf(extra, sizeof(extra), "(inside %s -c)", name);
        nested_begin(p, c);
        r = read_script(p->im, &f, p->nest + 1, echo, extra);
        nested_end(p);
        free(f.text);
        free(f.lines);
        c->status = r > 0 ? ST_NESTED_CARRIED : ST_NESTED;
        return 0;
}

/* a kernel file that kvmtune may carry a guarded write to when it is absent (a device may come later) */
static bool device_file(const char *path)
{
        return !strncmp(path, "/proc/sys/", 10) || !strncmp(path, "/sys/block/", 11) ||
               !strncmp(path, "/sys/class/net/", 15);
}

/* a guarded write: the guard must test the file written, and that file must exist here */
static int check_guard(struct parser *p, struct cmd *c)
{
        const char *t = write_target(c);
        char *g;

        if (c->and_prev >= 0 && (long)c->guard_cmd != c->and_prev && p->c[c->and_prev].status != ST_CARRIED)
                return refuse(c, "after '&&' behind a command that was not carried");
        g = sh_cmd_text(p, &p->c[c->guard_cmd]);
        if (!t || strcmp(t, c->guard)) {
                refuse(c, "%s '%s' tests another file than the one written (%s): it is a condition import does "
                          "not evaluate", c->if_guard ? "the condition" : "the guard", g, t ? t : "no single file");
                free(g);
                return -1;
        }
        if (!device_file(t) && !strncmp(t, "/sys/", 5) && imp_path_canonical(t) && kernfs_probe(p->im->k, t + 1) == 0) {
                refuse(c, "guarded by '%s', and %s does not exist on this host: the write does nothing here, and "
                          "kvmtune has no setting that applies only where a file exists", g, t);
                free(g);
                return -1;
        }
        free(g);
        return 0;
}

/* the first $VAR or ${VAR} in s (quotes already removed), its length in *len */
static const char *var_ref(const char *s, const char *var, size_t *len)
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
 * A command in the body of `for VAR in WORDS; do ...; done`: only
 * `echo V > ...$VAR...` is understood, one setting per word, a glob word
 * becoming the glob setting.  Nothing is expanded but VAR, by the words
 * as written.
 */
static void loop_body(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const struct frame *fr = &p->frames[c->loop];
        const struct cmd *h = &p->c[fr->header];
        const char *var = h->w[0].s, *name = cmd_word0(c), *at;
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
        if (guard_word(c) && (size_t)(c - p->c) + 1 < p->n && c[1].and_prev == c - p->c && c[1].loop == c->loop) {
                /* [ -f $f ] && echo V > $f: read with the write it guards */
                c->status = ST_SILENT;
                c->part = true;
                return;
        }
        if (c->after_or || c->in_pipe || c->background || c->negated || c->pipe_out || !name ||
            strcmp(name, "echo") ||
            (c->and_prev >= 0 && (!guard_word(&p->c[c->and_prev]) || p->c[c->and_prev].loop != c->loop))) {
                refuse(c, "in the for loop of line %u: only 'echo VALUE > FILE' through $%s is understood there",
                       line, var);
                return;
        }
        for (size_t i = 0; i < c->n; i++)
                if (c->w[i].dollar || c->w[i].backquote || c->w[i].unterminated) {
                        refuse(c, "in the for loop of line %u: the value holds $, a backquote or an open quote, "
                                  "which is never evaluated", line);
                        return;
                }
        for (size_t j = 0; j < c->n_r; j++)
                if ((!strcmp(c->r[j].op, ">") || !strcmp(c->r[j].op, ">>")) && (c->r[j].fd == -1 || c->r[j].fd == 1)) {
                        if (out) {
                                refuse(c, "more than one output redirection");
                                return;
                        }
                        out = &c->r[j];
                }
        if (!out) {
                refuse(c, "no 'echo V > FILE' redirection kvmtune understands");
                return;
        }
        if (other_redirs(c, out) < 0)
                return;
        if (c->and_prev >= 0 && strcmp(guard_word(&p->c[c->and_prev])->s, out->target.s)) {
                refuse(c, "in the for loop of line %u: the guard tests another file than the one written", line);
                return;
        }
        guarded = c->and_prev >= 0;
        at = var_ref(out->target.s, var, &len);
        if (!at || out->target.backquote || out->target.subst || out->target.unterminated ||
            strchr(at + len, '$') || memchr(out->target.s, '$', (size_t)(at - out->target.s))) {
                refuse(c, "in the for loop of line %u: the target must name $%s once, and nothing else to expand",
                       line, var);
                return;
        }
        if (echo_value(c, echo_kind(p, c), &v) < 0) {
                free(v.s);
                return;
        }
        if (strchr(v.s, '\n')) {
                free(v.s);
                refuse(c, "the value spans lines");
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
                else if (guarded && !device_file(path) && !strncmp(path, "/sys/", 5) && imp_path_canonical(path) &&
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
                refuse(c, "%s", p->im->why);
                return;
        }
        c->status = ST_CARRIED;
        if (!c->extra)
                c->extra = xasprintf("(in the for loop of line %u: delete the whole loop once all of it is carried)",
                                     line);
}

static void evaluate(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const char *name;
        bool dollar = false, back = false, subst = false, unterm = false;

        for (struct cmd *x = c; x; x = x == c && c->tee ? &p->c[c->pipe_prev] : NULL) {
                for (size_t i = 0; i < x->n; i++) {
                        dollar |= x->w[i].dollar;
                        back |= x->w[i].backquote;
                        subst |= x->w[i].subst;
                        unterm |= x->w[i].unterminated;
                }
                for (size_t i = 0; i < x->n_r; i++) {
                        dollar |= x->r[i].target.dollar;
                        back |= x->r[i].target.backquote;
                        subst |= x->r[i].target.subst;
                        unterm |= x->r[i].target.unterminated;
                }
        }
        if (c->header && !is_tuning(c))
                return;
        if (c->loop >= 0) {
                loop_body(p, c, src);
                return;
        }
        if (subst || back) {
                refuse(c, "it holds %s (command substitution), which is never evaluated", subst ? "$(" : "a backquote");
                return;
        }
        if (dollar) {
                refuse(c, "it holds $ (a shell expansion), which is never evaluated");
                return;
        }
        if (c->why) {
                c->status = ST_REFUSED;
                return;
        }
        if (!is_tuning(c)) {
                c->status = c->n || c->n_r ? ST_OTHER : ST_SILENT;
                return;
        }
        if (unterm) {
                refuse(c, "unterminated quote");
                return;
        }
        if (c->ctx) {
                refuse(c, "%s", c->ctx);
                return;
        }
        if (c->after_exit) {
                refuse(c, "after the exit at line %u: it may never run", c->exit_line);
                return;
        }
        if (c->after_or) {
                refuse(c, "after ||: it runs only when an earlier command failed");
                return;
        }
        if (c->in_pipe && !c->tee) {
                refuse(c, "in a pipe (only 'echo V | tee FILE' is understood)");
                return;
        }
        if (c->background) {
                refuse(c, "run in the background (&)");
                return;
        }
        if (c->guard) {
                if (check_guard(p, c) < 0)
                        return;
        } else if (c->and_prev >= 0) {
                struct cmd *a = &p->c[c->and_prev];
                bool trivial = a->n == 1 && !a->n_r && (sh_unquoted_is(&a->w[0], "true") || sh_unquoted_is(&a->w[0], ":"));

                if (a->status != ST_CARRIED && !trivial) {
                        char *at = sh_cmd_text(p, a);
                        refuse(c, "after '&&' behind '%s', %s: it runs only when that succeeds", at,
                               a->status == ST_REFUSED ? "which is not carried" : "a condition import does not evaluate");
                        free(at);
                        return;
                }
        }
        name = cmd_word0(c);
        p->im->guard = c->guard;
        if (!name) {
                refuse(c, "only echo writes to kernel files are understood");
        } else if (!strcmp(name, "echo")) {
                do_echo(p, c, src);
        } else if (!strcmp(name, "tee") && c->tee) {
                do_tee(p, c, src);
        } else if (!strcmp(name, "sysctl")) {
                do_sysctl(p, c, src);
        } else if (!strcmp(name, "modprobe")) {
                do_modprobe(p, c, src);
        } else if (!strcmp(name, "insmod")) {
                refuse(c, "insmod loads a file by path: use [modules] load with the module's name");
        } else if (!strcmp(name, "rmmod")) {
                refuse(c, "it removes a module; kvmtune only loads modules");
        } else if (!strcmp(name, "ifconfig")) {
                do_ifconfig(p, c, src);
        } else if (!strcmp(name, "ip")) {
                do_ip(p, c, src);
        } else if (!strcmp(name, "mount")) {
                do_mount(p, c, src);
        } else if (!strcmp(name, "blockdev")) {
                do_blockdev(p, c, src);
        } else if (!strcmp(name, "tuned-adm")) {
                do_tuned_adm(p, c, src);
        } else if (!strcmp(name, "cpupower")) {
                do_cpupower(p, c, src);
        } else if (!strcmp(name, "x86_energy_perf_policy")) {
                refuse(c, "CPU power policy: not translated; say it in kvmtune's [cpu] (energy_perf_bias, "
                          "energy_performance_preference)");
        } else if (!strcmp(name, "ethtool")) {
                refuse(c, "NIC rings, offloads and coalescing: kvmtune has no form for ethtool settings");
        } else if (!strcmp(name, "sh") || !strcmp(name, "bash") || !strcmp(name, "dash")) {
                do_sh_c(p, c, src);
        } else if (!strcmp(name, "sudo") || !strcmp(name, "env") || !strcmp(name, "command")) {
                refuse(c, "'%s' with options import does not know (only a plain %s is taken as transparent)",
                       name, name);
        } else {
                refuse(c, "only 'echo VALUE > FILE' writes to kernel files are understood");
        }
        p->im->guard = NULL;
        if (c->status == ST_CARRIED && c->guard) {
                struct cmd *g = &p->c[c->guard_cmd];
                g->status = ST_SILENT;
                g->part = true;
                if (c->if_guard && !c->extra)
                        c->extra = xasprintf("(under 'if' at line %u: delete the whole if ... fi once all of it "
                                             "is carried)", c->guard_line);
        }
}

/*
 * The forms that span commands, found once the whole file is parsed:
 * prefixes dropped, 'echo V | tee F' joined, existence guards (before
 * '&&' or as the only condition of an if) tied to the writes they guard.
 * The text of a joined form starts at its first command.
 */
/* for VAR in WORDS: the header, when it is one import reads */
static const struct cmd *for_header(const struct parser *p, const struct frame *fr)
{
        const struct cmd *h;
        const char *v;

        if (!fr->is_for || !fr->closed || !fr->sound || fr->header < 0)
                return NULL;
        h = &p->c[fr->header];
        v = h->n ? h->w[0].s : "";
        if (h->n < 3 || h->w[0].quoted || !sh_unquoted_is(&h->w[1], "in") || h->n_r || !*v || (*v >= '0' && *v <= '9') ||
            strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v))
                return NULL;
        return h;
}

/* a for loop is tuning when its body writes through $VAR to a kernel file or its words name kernel files */
static bool loop_is_tuning(const struct parser *p, long fi)
{
        const struct frame *fr = &p->frames[fi];
        const struct cmd *h = for_header(p, fr);

        if (!h)
                return false;
        for (size_t i = 2; i < h->n; i++)
                if (kernel_path(h->w[i].s))
                        return true;
        for (size_t i = (size_t)fr->header + 1; i < p->n; i++) {
                const struct cmd *c = &p->c[i];
                size_t len;

                if (c->frame != fi)
                        continue;
                if (is_tuning(c))
                        return true;
                for (size_t j = 0; j < c->n_r; j++)
                        if (out_redir(&c->r[j]) && var_ref(c->r[j].target.s, h->w[0].s, &len))
                                return true;
        }
        return false;
}

static void link_forms(struct parser *p)
{
        for (size_t i = 0; i < p->n; i++)
                strip_prefixes(&p->c[i]);
        for (size_t fi = 0; fi < p->n_frames; fi++) {
                if (!p->frames[fi].is_for || !loop_is_tuning(p, (long)fi))
                        continue;
                for (size_t i = (size_t)p->frames[fi].header + 1; i < p->n; i++) {
                        struct cmd *c = &p->c[i];
                        if (c->frame != (long)fi || c->depth != 1 || c->broken || c->after_exit)
                                continue;       /* keeps its context: reported as inside a loop */
                        c->loop = (long)fi;
                        c->ctx = NULL;
                }
        }
        for (size_t i = 0; i < p->n; i++) {
                struct cmd *c = &p->c[i];

                if (c->header || c->loop >= 0)
                        continue;
                if (c->pipe_prev >= 0 && !c->pipe_out) {
                        struct cmd *a = &p->c[c->pipe_prev];
                        const char *name = cmd_word0(c), *an = cmd_word0(a);

                        if (name && an && !strcmp(name, "tee") && !strcmp(an, "echo") && a->pipe_prev < 0 &&
                            !a->header) {
                                c->tee = true;
                                c->span = a->span;
                                c->and_prev = a->and_prev;
                        }
                }
                if (c->and_prev >= 0) {
                        struct cmd *a = &p->c[c->and_prev];
                        const char *f = exist_guard(a);

                        if (f) {
                                c->guard = f;
                                c->guard_cmd = (size_t)c->and_prev;
                                c->guard_line = sh_line_no(p, a->li0);
                                c->span = a->span;
                        } else if (a->guard) {
                                c->guard = a->guard;
                                c->guard_cmd = a->guard_cmd;
                                c->guard_line = a->guard_line;
                                c->if_guard = a->if_guard;
                        }
                        if (c->if_guard && c->frame == a->frame && c->depth == 1 && !c->broken && !c->after_exit)
                                c->ctx = NULL;
                        continue;
                }
                if (c->frame >= 0 && c->depth == 1 && !c->cond) {
                        struct frame *fr = &p->frames[c->frame];

                        if (fr->kind == 'i' && fr->closed && fr->sound && !fr->has_else && !fr->complex &&
                            fr->n_cond == 1) {
                                struct cmd *g = &p->c[fr->cond_first];
                                const char *f = g->depth == 1 && g->and_prev < 0 ? exist_guard(g) : NULL;

                                if (f) {
                                        c->guard = f;
                                        c->guard_cmd = (size_t)fr->cond_first;
                                        c->guard_line = sh_line_no(p, g->li0);
                                        c->if_guard = true;
                                        if (!c->broken && !c->after_exit)
                                                c->ctx = NULL;
                                }
                        }
                }
        }
}

/* a command's text; in a for loop "for HEADER; do COMMAND; done" */
static char *loop_text(const struct parser *p, const struct cmd *c)
{
        char *t = sh_cmd_text(p, c), *h, *out;

        if (c->loop < 0)
                return t;
        h = sh_cmd_text(p, &p->c[p->frames[c->loop].header]);
        out = xasprintf("for %s; do %s; done", h, t);
        free(h);
        free(t);
        return out;
}

/* one script: parse, link the forms, evaluate, report in the order of the file; >0 when something was carried */
static int read_script(struct imp *im, struct imp_file *f, int nest, enum echo_kind echo, const char *extra)
{
        struct parser p = { .im = im, .f = f, .lx = { .f = f }, .and_from = -1, .pipe_from = -1, .nest = nest };
        bool *carried_line = xcalloc(f->n_lines + 1, sizeof(bool));
        size_t next_bad = 0;
        int any = 0;

        p.echo = (int)echo;
        p.sh_echo = (int)sh_echo_kind(im);
        sh_parse(&p);
        link_forms(&p);
        for (size_t i = 0; i < p.n; i++) {
                struct cmd *c = &p.c[i];
                char *text = loop_text(&p, c);
                struct imp_src src = { f->shown, sh_line_no(&p, p.c[c->span].li0), text };

                evaluate(&p, c, &src);
                any |= c->status == ST_CARRIED || c->status == ST_NESTED_CARRIED;
                if (c->status == ST_CARRIED || c->status == ST_NESTED_CARRIED)
                        for (size_t li = p.c[c->span].li0; li <= c->li1 && li < f->n_lines; li++)
                                carried_line[li] = true;
                free(text);
        }
        /* report in the order of the file: refused lines, then each command */
        for (size_t i = 0; i <= p.n; i++) {
                size_t upto = i < p.n ? p.c[i].li0 : f->n_lines;
                struct cmd *c = i < p.n ? &p.c[i] : NULL;

                for (; next_bad < upto && next_bad < f->n_lines; next_bad++)
                        if (f->lines[next_bad].bad) {
                                struct imp_src src = { f->shown, f->lines[next_bad].no, NULL };
                                imp_refused(im, &src, "%s", f->lines[next_bad].bad);
                        }
                if (!c)
                        break;
                if (c->status == ST_OTHER) {
                        for (size_t li = c->li0; li <= c->li1 && li < f->n_lines; li++)
                                if (carried_line[li])
                                        refuse(c, "not tuning, but it shares a line with carried commands: delete "
                                                  "only those");
                }
                if (c->nested)
                        fputs(c->nested, im->report ? im->report : stderr);
                if (c->status == ST_CARRIED || c->status == ST_REFUSED) {
                        char *text = loop_text(&p, c);
                        struct imp_src src = { f->shown, sh_line_no(&p, p.c[c->span].li0), text };
                        if (c->status == ST_CARRIED)
                                imp_carried(im, &src, c->extra ? c->extra : extra);
                        else
                                imp_refused(im, &src, "%s", c->why ? c->why : "not understood");
                        free(text);
                }
        }
        for (size_t i = 0; i < p.n; i++)
                sh_cmd_free(&p.c[i]);
        free(p.c);
        free(p.frames);
        free(carried_line);
        return any;
}

void imp_read_shell(struct imp *im, struct imp_file *f)
{
        read_script(im, f, 0, file_echo_kind(im, f), NULL);
}
