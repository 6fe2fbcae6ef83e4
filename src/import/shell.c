/* SPDX-License-Identifier: MIT */
/*
 * rc.local, the dispatcher: what the commands parsed by shparse.c mean.
 * Prefixes (sudo, env, nohup, command) are dropped, forms that span
 * commands are tied together (echo | tee, existence guards, for loops), and
 * each command that runs unconditionally at boot and sets what kvmtune sets
 * goes to the translator of its family: echo and tee (shecho.c), sysctl
 * [-w], sysctl -p FILE and modprobe (shkernel.c), ifconfig/ip txqueuelen,
 * blockdev --setra and mount -t hugetlbfs (shdevice.c), cpupower (shcpu.c),
 * ethtool -G/-L/-K/-C, also in a for loop over interface names (shethtool.c),
 * tuned-adm profile (shtuned.c); sh -c 'SCRIPT' is read here, as the file
 * is.  Everything else that is tuning is reported with the reason.  Nothing
 * is executed or expanded.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

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
        if (!c->n || !(name = sh_cmd_name(&c->w[0])))
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
                        const char *n2 = sh_cmd_name(&c->w[i]);
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
 * The shell that runs the file: the #! line, and for /bin/sh what it links
 * to on this host (dash on Debian and Ubuntu, bash on Fedora).
 */
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
                const char *name = i < c->n && !c->w[i].quoted ? sh_cmd_name(&c->w[i]) : NULL;
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

/* an existence guard on a file named without expansion: the file, or NULL */
static const char *exist_guard(const struct cmd *c)
{
        const struct word *w = sh_guard_word(c);

        return w && !w->glob && !w->dollar ? w->s : NULL;
}

/* the one file a write command writes: echo's redirection, tee's file; NULL when not one */
static const char *write_target(const struct cmd *c)
{
        const char *name = sh_cmd_word0(c), *t = NULL;

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

static int read_script(struct imp *im, struct imp_file *f, int nest, enum echo_kind echo, const char *extra);

/* sh -c 'SCRIPT' and bash -c "SCRIPT": the script is read as rc.local is, at the same line */
static int do_sh_c(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const char *name = sh_cmd_word0(c);
        struct imp_file f = { 0 };
        enum echo_kind echo;
        char extra[32];
        int r;

        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (c->n != 3 || !sh_unquoted_is(&c->w[1], "-c"))
                return sh_refuse(c, "only '%s -c SCRIPT' with a quoted script is understood", name);
        if (p->nest >= MAX_NEST)
                return sh_refuse(c, "%s -c nested more than %d deep", name, MAX_NEST);
        echo = !strcmp(name, "bash") ? ECHO_GNU : !strcmp(name, "dash") ? ECHO_DASH : (enum echo_kind)p->sh_echo;
        f.shown = p->f->shown;
        f.kind = IK_SHELL;
        f.text = xstrdup(c->w[2].s);
        f.len = strlen(f.text);
        imp_split_lines(&f, src->line);
        snprintf(extra, sizeof(extra), "(inside %s -c)", name);
        sh_nested_begin(p, c);
        r = read_script(p->im, &f, p->nest + 1, echo, extra);
        sh_nested_end(p);
        free(f.text);
        free(f.lines);
        c->status = r > 0 ? ST_NESTED_CARRIED : ST_NESTED;
        return 0;
}

/* a guarded write: the guard must test the file written, and that file must exist here */
static int check_guard(struct parser *p, struct cmd *c)
{
        const char *t = write_target(c);
        char *g;

        if (c->and_prev >= 0 && (long)c->guard_cmd != c->and_prev && p->c[c->and_prev].status != ST_CARRIED)
                return sh_refuse(c, "after '&&' behind a command that was not carried");
        g = sh_cmd_text(p, &p->c[c->guard_cmd]);
        if (!t || strcmp(t, c->guard)) {
                sh_refuse(c, "%s '%s' tests another file than the one written (%s): it is a condition import does "
                             "not evaluate", c->if_guard ? "the condition" : "the guard", g, t ? t : "no single file");
                free(g);
                return -1;
        }
        if (!sh_device_file(t) && !strncmp(t, "/sys/", 5) && imp_path_canonical(t) && kernfs_probe(p->im->k, t + 1) == 0) {
                sh_refuse(c, "guarded by '%s', and %s does not exist on this host: the write does nothing here, and "
                             "kvmtune has no setting that applies only where a file exists", g, t);
                free(g);
                return -1;
        }
        free(g);
        return 0;
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
                const char *word0 = sh_cmd_word0(c);
                if (word0 && !strcmp(word0, "ethtool"))
                        sh_do_loop_ethtool(p, c, src);
                else if (word0 && !strcmp(word0, "modprobe"))
                        sh_do_loop_modprobe(p, c, src);
                else
                        sh_do_loop_echo(p, c, src);
                if (c->status == ST_CARRIED && !c->extra)
                        c->extra = xasprintf("(in the for loop of line %u: delete the whole loop once all of it is "
                                             "carried)", sh_line_no(p, p->c[p->frames[c->loop].header].li0));
                return;
        }
        if (subst || back) {
                sh_refuse(c, "it holds %s (command substitution), which is never evaluated", subst ? "$(" : "a backquote");
                return;
        }
        if (dollar) {
                sh_refuse(c, "it holds $ (a shell expansion), which is never evaluated");
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
                sh_refuse(c, "unterminated quote");
                return;
        }
        if (c->ctx) {
                sh_refuse(c, "%s", c->ctx);
                return;
        }
        if (c->after_exit) {
                sh_refuse(c, "after the exit at line %u: it may never run", c->exit_line);
                return;
        }
        if (c->after_or) {
                sh_refuse(c, "after ||: it runs only when an earlier command failed");
                return;
        }
        if (c->in_pipe && !c->tee) {
                sh_refuse(c, "in a pipe (only 'echo V | tee FILE' is understood)");
                return;
        }
        if (c->background) {
                sh_refuse(c, "run in the background (&)");
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
                        sh_refuse(c, "after '&&' behind '%s', %s: it runs only when that succeeds", at,
                                  a->status == ST_REFUSED ? "which is not carried" : "a condition import does not evaluate");
                        free(at);
                        return;
                }
        }
        name = sh_cmd_word0(c);
        p->im->guard = c->guard;
        if (!name) {
                sh_refuse(c, "only echo writes to kernel files are understood");
        } else if (!strcmp(name, "echo")) {
                sh_do_echo(p, c, src);
        } else if (!strcmp(name, "tee") && c->tee) {
                sh_do_tee(p, c, src);
        } else if (!strcmp(name, "sysctl")) {
                sh_do_sysctl(p, c, src);
        } else if (!strcmp(name, "modprobe")) {
                sh_do_modprobe(p, c, src);
        } else if (!strcmp(name, "insmod")) {
                sh_refuse(c, "insmod loads a file by path: use [modules] load with the module's name");
        } else if (!strcmp(name, "rmmod")) {
                sh_refuse(c, "it removes a module; kvmtune only loads modules");
        } else if (!strcmp(name, "ifconfig")) {
                sh_do_ifconfig(p, c, src);
        } else if (!strcmp(name, "ip")) {
                sh_do_ip(p, c, src);
        } else if (!strcmp(name, "mount")) {
                sh_do_mount(p, c, src);
        } else if (!strcmp(name, "blockdev")) {
                sh_do_blockdev(p, c, src);
        } else if (!strcmp(name, "tuned-adm")) {
                sh_do_tuned_adm(p, c, src);
        } else if (!strcmp(name, "cpupower")) {
                sh_do_cpupower(p, c, src);
        } else if (!strcmp(name, "x86_energy_perf_policy")) {
                sh_refuse(c, "CPU power policy: not translated; say it in kvmtune's [cpu] (energy_perf_bias, "
                             "energy_performance_preference)");
        } else if (!strcmp(name, "ethtool")) {
                sh_do_ethtool(p, c, src);
        } else if (!strcmp(name, "sh") || !strcmp(name, "bash") || !strcmp(name, "dash")) {
                do_sh_c(p, c, src);
        } else if (!strcmp(name, "sudo") || !strcmp(name, "env") || !strcmp(name, "command")) {
                sh_refuse(c, "'%s' with options import does not know (only a plain %s is taken as transparent)",
                          name, name);
        } else {
                sh_refuse(c, "only 'echo VALUE > FILE' writes to kernel files are understood");
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
        for (size_t i = (size_t)fr->header + 1; i < fr->end; i++) {
                const struct cmd *c = &p->c[i];
                size_t len;

                if (c->frame != fi)
                        continue;
                if (is_tuning(c))
                        return true;
                for (size_t j = 0; j < c->n_r; j++)
                        if (out_redir(&c->r[j]) && sh_var_ref(c->r[j].target.s, h->w[0].s, &len))
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
                for (size_t i = (size_t)p->frames[fi].header + 1; i < p->frames[fi].end; i++) {
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
                        const char *name = sh_cmd_word0(c), *an = sh_cmd_word0(a);

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
                                        sh_refuse(c, "not tuning, but it shares a line with carried commands: delete "
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
