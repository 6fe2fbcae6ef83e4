/* SPDX-License-Identifier: MIT */
/*
 * rc.local: a tokenizer and a small parser for the POSIX shell subset that
 * tuning guides use.  It never executes or expands anything: quotes are
 * removed, and a word holding $, a backquote or $( marks its command as
 * "never evaluated".  The parser tracks compound commands (if, loops, case,
 * groups, subshells), and-or lists, pipes, background jobs and a top-level
 * exit, so a command that does not run unconditionally at boot is reported
 * instead of carried.
 *
 * Carried: echo V > FILE (or >>, quoted or not, /bin/echo) into the kernel
 * files kpath.c knows, sysctl [-w] K=V, modprobe NAME, ifconfig DEV
 * txqueuelen N, ip link set [dev] DEV txqueuelen|txqlen N, mount -t
 * hugetlbfs.  Commands share a line through ; or && and may end in a
 * comment.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"

#define MAX_DEPTH 64
#define MAX_WORDS 256
#define MAX_NEST 4              /* sh -c 'sh -c ...' */

/* the echo that runs a command */
enum echo_kind { ECHO_GNU, ECHO_DASH, ECHO_UNKNOWN };

/* ---- tokens --------------------------------------------------------------- */

enum tok_type { T_WORD, T_OP, T_REDIR, T_NL, T_EOF, T_BAD };

struct word {
        char *s;                /* quotes removed */
        bool quoted;            /* some part was quoted or escaped */
        bool dollar, backquote, subst, glob, unterminated;
};

struct tok {
        enum tok_type type;
        char op[4];
        int fd;                 /* redirection: the fd before it, -1 none */
        struct word w;
        size_t li0, pos0;       /* where it starts */
        size_t li1, pos1;       /* where it ends */
};

struct heredoc {
        char *delim;
        bool strip_tabs;
};

struct lexer {
        const struct imp_file *f;
        size_t li, pos;
        struct heredoc pending[8];
        size_t n_pending;
        bool heredoc_overflow;
};

/* -1: end of file, -2: a refused line, '\n' at the end of a line */
static int peek(const struct lexer *lx)
{
        const struct imp_line *l;

        if (lx->li >= lx->f->n_lines)
                return -1;
        l = &lx->f->lines[lx->li];
        if (l->bad)
                return -2;
        if (lx->pos >= l->len)
                return '\n';
        return (unsigned char)l->s[lx->pos];
}

static int peek2(const struct lexer *lx)
{
        const struct imp_line *l;

        if (lx->li >= lx->f->n_lines)
                return -1;
        l = &lx->f->lines[lx->li];
        if (l->bad)
                return -2;
        if (lx->pos + 1 < l->len)
                return (unsigned char)l->s[lx->pos + 1];
        return lx->pos + 1 == l->len ? '\n' : -1;
}

static void adv(struct lexer *lx)
{
        const struct imp_line *l;

        if (lx->li >= lx->f->n_lines)
                return;
        l = &lx->f->lines[lx->li];
        if (!l->bad && lx->pos < l->len) {
                lx->pos++;
        } else {
                lx->li++;
                lx->pos = 0;
        }
}

struct buf {
        char *s;
        size_t n, cap;
};

static void put(struct buf *b, int c)
{
        if (b->n + 2 > b->cap) {
                b->cap = b->cap ? b->cap * 2 : 64;
                b->s = xrealloc_array(b->s, b->cap, 1);
        }
        b->s[b->n++] = (char)c;
        b->s[b->n] = '\0';
}

/* after a newline: skip the bodies of the here-documents begun on that line */
static void skip_heredocs(struct lexer *lx)
{
        for (size_t h = 0; h < lx->n_pending; h++) {
                struct heredoc *d = &lx->pending[h];

                while (lx->li < lx->f->n_lines) {
                        const struct imp_line *l = &lx->f->lines[lx->li++];
                        const char *s = l->s;
                        size_t n = l->len;

                        if (l->bad)
                                continue;
                        if (d->strip_tabs)
                                while (n && *s == '\t') {
                                        s++;
                                        n--;
                                }
                        if (n == strlen(d->delim) && !memcmp(s, d->delim, n))
                                break;
                }
                free(d->delim);
        }
        lx->n_pending = 0;
        lx->pos = 0;
}

/* $( ... ) or ${ ... } or ` ... `: kept as text, never evaluated */
static void lex_subst(struct lexer *lx, struct buf *b, struct word *w, int open, int close)
{
        int depth = 1, c;

        put(b, open);
        adv(lx);
        while ((c = peek(lx)) >= 0) {
                if (c == '\\' && close == '`') {
                        put(b, c);
                        adv(lx);
                        if ((c = peek(lx)) < 0)
                                break;
                } else if (c == close && --depth == 0) {
                        put(b, c);
                        adv(lx);
                        return;
                } else if (c == open && open != '`') {
                        depth++;
                }
                put(b, c == '\n' ? ' ' : c);
                adv(lx);
        }
        w->unterminated = true;
}

static bool meta(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' ||
               c == '>' || c == '(' || c == ')' || c < 0;
}

static void lex_word(struct lexer *lx, struct word *w)
{
        struct buf b = { 0 };
        int c;

        put(&b, 0);
        b.n = 0;
        while (!meta(c = peek(lx))) {
                if (c == '\\') {
                        adv(lx);
                        c = peek(lx);
                        if (c == '\n') {
                                adv(lx);
                                continue;
                        }
                        if (c < 0)
                                break;
                        w->quoted = true;
                        put(&b, c);
                        adv(lx);
                } else if (c == '\'') {
                        w->quoted = true;
                        adv(lx);
                        while ((c = peek(lx)) >= 0 && c != '\'') {
                                put(&b, c);
                                adv(lx);
                        }
                        if (c != '\'') {
                                w->unterminated = true;
                                break;
                        }
                        adv(lx);
                } else if (c == '"') {
                        w->quoted = true;
                        adv(lx);
                        while ((c = peek(lx)) >= 0 && c != '"') {
                                if (c == '\\') {
                                        adv(lx);
                                        c = peek(lx);
                                        if (c == '\n') {
                                                adv(lx);
                                                continue;
                                        }
                                        if (c < 0)
                                                break;
                                        if (!strchr("$`\"\\", c))
                                                put(&b, '\\');
                                        put(&b, c);
                                        adv(lx);
                                } else if (c == '$' && peek2(lx) == '(') {
                                        w->dollar = w->subst = true;
                                        adv(lx);
                                        put(&b, '$');
                                        lex_subst(lx, &b, w, '(', ')');
                                } else if (c == '`') {
                                        w->backquote = true;
                                        lex_subst(lx, &b, w, '`', '`');
                                } else {
                                        w->dollar |= c == '$';
                                        put(&b, c);
                                        adv(lx);
                                }
                        }
                        if (c != '"') {
                                w->unterminated = true;
                                break;
                        }
                        adv(lx);
                } else if (c == '$') {
                        w->dollar = true;
                        put(&b, c);
                        adv(lx);
                        if (peek(lx) == '(') {
                                w->subst = true;
                                lex_subst(lx, &b, w, '(', ')');
                        } else if (peek(lx) == '{') {
                                lex_subst(lx, &b, w, '{', '}');
                        }
                } else if (c == '`') {
                        w->backquote = true;
                        lex_subst(lx, &b, w, '`', '`');
                } else {
                        if (strchr("*?[]{}", c) || (c == '~' && b.n == 0))
                                w->glob = true;
                        put(&b, c);
                        adv(lx);
                }
        }
        w->s = b.s;
        /* { and } alone are reserved words, not brace expansion */
        if (!w->quoted && (!strcmp(w->s, "{") || !strcmp(w->s, "}")))
                w->glob = false;
}

static void lex(struct lexer *lx, struct tok *t)
{
        int c, d;

        memset(t, 0, sizeof(*t));
        t->fd = -1;
        for (;;) {
                c = peek(lx);
                if (c == ' ' || c == '\t') {
                        adv(lx);
                } else if (c == '\\' && peek2(lx) == '\n') {
                        adv(lx);
                        adv(lx);
                } else if (c == '#') {
                        /* a comment: up to the end of the line */
                        while ((c = peek(lx)) >= 0 && c != '\n')
                                adv(lx);
                } else {
                        break;
                }
        }
        t->li0 = lx->li;
        t->pos0 = lx->pos;
        if (c >= '0' && c <= '9') {
                /* an io number: digits right before < or > */
                const struct imp_line *l = &lx->f->lines[lx->li];
                size_t p = lx->pos;

                while (p < l->len && l->s[p] >= '0' && l->s[p] <= '9')
                        p++;
                if (p < l->len && (l->s[p] == '<' || l->s[p] == '>') && p - lx->pos < 4) {
                        t->fd = atoi(l->s + lx->pos);
                        lx->pos = p;
                        c = peek(lx);
                }
        }
        if (c == -1) {
                t->type = T_EOF;
        } else if (c == -2) {
                t->type = T_BAD;
                adv(lx);
        } else if (c == '\n') {
                t->type = T_NL;
                adv(lx);
                if (lx->n_pending)
                        skip_heredocs(lx);
        } else if (c > 0 && strchr(";&|()<>", c)) {
                t->type = T_OP;
                t->op[0] = (char)c;
                adv(lx);
                d = peek(lx);
                if ((c == ';' && d == ';') || (c == '&' && d == '&') || (c == '|' && (d == '|' || d == '&')) ||
                    (c == '>' && (d == '>' || d == '|' || d == '&')) || (c == '<' && (d == '<' || d == '&' || d == '>')) ||
                    (c == '&' && d == '>')) {
                        t->op[1] = (char)d;
                        adv(lx);
                        if ((!strcmp(t->op, "<<") && (peek(lx) == '-' || peek(lx) == '<')) ||
                            (!strcmp(t->op, "&>") && peek(lx) == '>')) {
                                t->op[2] = (char)peek(lx);
                                adv(lx);
                        }
                }
                if (c == '<' || c == '>' || !strcmp(t->op, "&>") || !strcmp(t->op, "&>>"))
                        t->type = T_REDIR;
        } else {
                t->type = T_WORD;
                lex_word(lx, &t->w);
        }
        t->li1 = lx->li;
        t->pos1 = lx->pos;
}

/* ---- commands --------------------------------------------------------------- */

struct redir {
        char op[4];
        int fd;
        struct word target;
};

/* ST_NESTED: an sh -c whose script was read and reported on its own, ST_NESTED_CARRIED when part was carried */
enum status { ST_SILENT, ST_OTHER, ST_CARRIED, ST_REFUSED, ST_NESTED, ST_NESTED_CARRIED };

struct cmd {
        struct word *w;
        size_t n;
        struct redir *r;
        size_t n_r;
        size_t li0, pos0, li1, pos1;
        bool header;            /* for/case/function header or case pattern: not a command */
        bool in_pipe, after_or, background;
        const char *ctx;        /* why its place in the script keeps it from being carried */
        unsigned exit_line;     /* after_exit: the line of that exit */
        enum status status;
        char *why;
        /* where it stands, for the forms that span commands (guards, pipes, loops) */
        long frame;             /* innermost compound command (index into parser.frames), -1 none */
        size_t depth;           /* nesting depth */
        bool cond;              /* in an if condition, between if and then */
        bool negated;           /* after '!' */
        bool broken, after_exit;        /* p->broken, p->exited when it was read */
        long and_prev;          /* the command before '&&' in its list, -1 none */
        long pipe_prev;         /* the command before '|', -1 none */
        const char *guard;      /* the file an existence guard tests for this write */
        size_t guard_cmd;       /* that guard */
        unsigned guard_line;    /* where that guard is */
        long loop;              /* the for loop it writes through, -1 none */
        size_t span;            /* first command of its form: its text starts there */
        bool pipe_out;          /* it ends with '|' */
        bool tee;               /* the tee of 'echo V | tee FILE...' */
        bool if_guard;          /* the guard is the condition of its if */
        bool external;          /* run through sudo, env or nohup: echo is /usr/bin/echo */
        char *extra;            /* said after "carried:" */
        char *nested;           /* the report of its sh -c script */
        bool part;              /* part of a later command's form (a guard, the echo of a pipe) */
};

/* a compound command: if, a loop, case, a group or a subshell */
struct frame {
        char kind;
        bool is_for;
        bool in_cond;           /* if: the condition is being read */
        bool has_else;          /* if: an else or elif */
        bool complex;           /* a compound command inside the condition */
        bool closed, sound;     /* its end was read, the structure still known then */
        size_t n_cond;          /* if: commands of the condition */
        long cond_first;        /* if: the first of them */
        long header;            /* for: the header command (VAR in WORDS) */
        size_t li;              /* where it begins */
};

struct parser {
        struct imp *im;
        const struct imp_file *f;
        struct lexer lx;
        struct cmd *c;
        size_t n;
        char stack[MAX_DEPTH];
        size_t depth;
        bool broken;            /* unbalanced syntax: everything after is uncertain */
        char broken_why[160];
        size_t list_start;      /* first command of the current and-or list */
        bool list_or;           /* an || was seen in the current and-or list */
        bool pipe_next;         /* the previous command ended with | */
        bool exited;
        unsigned exit_line;
        bool header_next;       /* the next words are a header, not a command */
        struct frame *frames;
        size_t n_frames;
        long fidx[MAX_DEPTH];   /* frame of each stack level */
        long and_from;          /* the command that ended with '&&', -1 none */
        long pipe_from;         /* the command that ended with '|', -1 none */
        bool negate_next;       /* a '!' was read */
        bool cont;              /* the last operator continues onto the next line (&&, ||, |) */
        int nest;               /* sh -c depth */
        int echo;               /* enum echo_kind of the file's shell */
        int sh_echo;            /* enum echo_kind of /bin/sh */
        FILE *saved_report, *nested_m;
};

static void word_free(struct word *w)
{
        free(w->s);
}

static void cmd_free(struct cmd *c)
{
        for (size_t i = 0; i < c->n; i++)
                word_free(&c->w[i]);
        for (size_t i = 0; i < c->n_r; i++)
                word_free(&c->r[i].target);
        free(c->w);
        free(c->r);
        free(c->why);
        free(c->extra);
        free(c->nested);
}

static bool unquoted_is(const struct word *w, const char *s)
{
        return !w->quoted && !strcmp(w->s, s);
}

static const char *construct_name(char k)
{
        switch (k) {
        case 'i':
                return "inside if ... fi: it runs only conditionally";
        case 'l':
                return "inside a loop";
        case 'c':
                return "inside case ... esac: it runs only conditionally";
        case 'g':
                return "inside { ... } (a group or a function body)";
        default:
                return "inside ( ... ) (a subshell)";
        }
}

static unsigned line_no(const struct parser *p, size_t li)
{
        return li < p->f->n_lines ? p->f->lines[li].no : (unsigned)p->f->n_lines;
}

static struct cmd *new_cmd(struct parser *p, const struct tok *t)
{
        struct cmd *c;

        p->c = xrealloc_array(p->c, p->n + 1, sizeof(*p->c));
        c = &p->c[p->n++];
        memset(c, 0, sizeof(*c));
        c->li0 = t->li0;
        c->pos0 = t->pos0;
        c->header = p->header_next;
        c->in_pipe = p->pipe_next;
        c->after_or = p->list_or;
        c->depth = p->depth;
        c->frame = p->depth ? p->fidx[p->depth - 1] : -1;
        c->and_prev = p->and_from;
        c->pipe_prev = p->pipe_next ? p->pipe_from : -1;
        c->negated = p->negate_next;
        c->broken = p->broken;
        c->after_exit = p->exited;
        c->loop = -1;
        c->span = p->n - 1;
        p->and_from = -1;
        p->negate_next = false;
        if (c->frame >= 0) {
                struct frame *fr = &p->frames[c->frame];
                if (fr->kind == 'i' && fr->in_cond) {
                        c->cond = true;
                        if (!fr->n_cond++)
                                fr->cond_first = (long)(p->n - 1);
                }
                if (fr->is_for && c->header && fr->header < 0)
                        fr->header = (long)(p->n - 1);
        }
        if (p->broken)
                c->ctx = p->broken_why;
        else if (p->depth)
                c->ctx = construct_name(p->stack[0]);
        else if (p->exited) {
                /* said in evaluate(): a pointer into the command would not survive the array growing */
                c->exit_line = p->exit_line;
        }
        return c;
}

static void set_broken(struct parser *p, size_t li, const char *what)
{
        if (p->broken)
                return;
        p->broken = true;
        snprintf(p->broken_why, sizeof(p->broken_why), "after %s at line %u: the shell structure is unknown", what,
                 line_no(p, li));
}

static struct frame *push(struct parser *p, char k, size_t li)
{
        struct frame *fr;

        if (p->depth == MAX_DEPTH) {
                set_broken(p, li, "nesting deeper than 64");
                return NULL;
        }
        if (p->depth && p->frames[p->fidx[p->depth - 1]].in_cond)
                p->frames[p->fidx[p->depth - 1]].complex = true;
        p->frames = xrealloc_array(p->frames, p->n_frames + 1, sizeof(*p->frames));
        fr = &p->frames[p->n_frames];
        *fr = (struct frame){ .kind = k, .cond_first = -1, .header = -1, .li = li };
        p->fidx[p->depth] = (long)p->n_frames++;
        p->stack[p->depth++] = k;
        return fr;
}

static void pop(struct parser *p, char k, size_t li, const char *word)
{
        if (!p->depth || p->stack[p->depth - 1] != k) {
                char what[64];
                snprintf(what, sizeof(what), "an unmatched '%s'", word);
                set_broken(p, li, what);
                return;
        }
        p->depth--;
        p->frames[p->fidx[p->depth]].closed = true;
        p->frames[p->fidx[p->depth]].sound = !p->broken;
}

/* a reserved word at the start of a command: true when it was one */
static bool reserved(struct parser *p, const struct tok *t)
{
        const struct word *w = &t->w;

        if (w->quoted)
                return false;
        if (!strcmp(w->s, "if")) {
                struct frame *fr = push(p, 'i', t->li0);
                if (fr)
                        fr->in_cond = true;
        } else if (!strcmp(w->s, "while") || !strcmp(w->s, "until")) {
                push(p, 'l', t->li0);
        } else if (!strcmp(w->s, "for") || !strcmp(w->s, "select")) {
                struct frame *fr = push(p, 'l', t->li0);
                if (fr)
                        fr->is_for = !strcmp(w->s, "for");
                p->header_next = true;
        } else if (!strcmp(w->s, "case")) {
                push(p, 'c', t->li0);
                p->header_next = true;
        } else if (!strcmp(w->s, "then") || !strcmp(w->s, "else") || !strcmp(w->s, "elif")) {
                if (!p->depth || p->stack[p->depth - 1] != 'i') {
                        set_broken(p, t->li0, "a misplaced 'then', 'else' or 'elif'");
                } else {
                        struct frame *fr = &p->frames[p->fidx[p->depth - 1]];
                        fr->in_cond = w->s[0] == 'e' && w->s[2] == 'i';     /* elif */
                        fr->has_else |= w->s[0] == 'e';
                }
        } else if (!strcmp(w->s, "do")) {
                if (!p->depth || p->stack[p->depth - 1] != 'l')
                        set_broken(p, t->li0, "a misplaced 'do'");
        } else if (!strcmp(w->s, "fi")) {
                pop(p, 'i', t->li0, "fi");
        } else if (!strcmp(w->s, "done")) {
                pop(p, 'l', t->li0, "done");
        } else if (!strcmp(w->s, "esac")) {
                pop(p, 'c', t->li0, "esac");
        } else if (!strcmp(w->s, "{")) {
                push(p, 'g', t->li0);
        } else if (!strcmp(w->s, "}")) {
                pop(p, 'g', t->li0, "}");
        } else if (!strcmp(w->s, "function")) {
                p->header_next = true;
        } else if (!strcmp(w->s, "!")) {
                /* negation: the command still runs, its status is inverted */
                p->negate_next = true;
        } else {
                return false;
        }
        return true;
}

static void parse(struct parser *p)
{
        struct cmd *c = NULL;
        struct tok t;

        for (;;) {
                lex(&p->lx, &t);
                if (t.type == T_WORD) {
                        if (!c) {
                                if (!p->header_next && reserved(p, &t)) {
                                        word_free(&t.w);
                                        continue;
                                }
                                c = new_cmd(p, &t);
                        } else if (c->header && unquoted_is(&t.w, "{")) {
                                /* "function NAME {": the body begins */
                                word_free(&t.w);
                                p->header_next = false;
                                push(p, 'g', t.li0);
                                c = NULL;
                                continue;
                        }
                        if (c->header && unquoted_is(&t.w, "in") && p->depth && p->stack[p->depth - 1] == 'c') {
                                /* "case WORD in": the header ends, patterns follow */
                                word_free(&t.w);
                                p->header_next = false;
                                c = NULL;
                                continue;
                        }
                        if (c->header && unquoted_is(&t.w, "do") && p->depth && p->stack[p->depth - 1] == 'l') {
                                word_free(&t.w);
                                p->header_next = false;
                                c = NULL;
                                continue;
                        }
                        if (c->n < MAX_WORDS) {
                                c->w = xrealloc_array(c->w, c->n + 1, sizeof(*c->w));
                                c->w[c->n++] = t.w;
                        } else {
                                c->why = c->why ? c->why : xstrdup("more than 256 words");
                                word_free(&t.w);
                        }
                        c->li1 = t.li1;
                        c->pos1 = t.pos1;
                        continue;
                }
                if (t.type == T_REDIR) {
                        struct tok target;
                        struct redir *r;

                        if (!c)
                                c = new_cmd(p, &t);
                        lex(&p->lx, &target);
                        if (target.type != T_WORD) {
                                set_broken(p, t.li0, "a redirection without a target");
                                t = target;
                                goto terminator;
                        }
                        if (!strcmp(t.op, "<<") || !strcmp(t.op, "<<-")) {
                                if (p->lx.n_pending < 8) {
                                        struct heredoc *h = &p->lx.pending[p->lx.n_pending++];
                                        h->delim = xstrdup(target.w.s);
                                        h->strip_tabs = t.op[2] == '-';
                                } else {
                                        set_broken(p, t.li0, "too many here-documents");
                                }
                        }
                        c->r = xrealloc_array(c->r, c->n_r + 1, sizeof(*c->r));
                        r = &c->r[c->n_r++];
                        memcpy(r->op, t.op, sizeof(r->op));
                        r->fd = t.fd;
                        r->target = target.w;
                        c->li1 = target.li1;
                        c->pos1 = target.pos1;
                        continue;
                }
terminator:
                /* an operator, a newline, the end, or a refused line */
                if (t.type == T_BAD) {
                        if (c && !c->why)
                                c->why = xstrdup("it continues into a refused line");
                        if (!p->broken)
                                snprintf(p->broken_why, sizeof(p->broken_why),
                                         "after the refused line %u: the shell structure is unknown",
                                         line_no(p, t.li0));
                        p->broken = true;
                        c = NULL;
                        continue;
                }
                if (c && c->n && !c->header && !p->depth && !p->broken && unquoted_is(&c->w[0], "exit") &&
                    strcmp(t.op, "|")) {
                        /* a top-level exit, wherever in a list: nothing after it is certain to run */
                        if (!p->exited)
                                p->exit_line = line_no(p, c->li0);
                        p->exited = true;
                }
                if (c && c->n && !c->header && unquoted_is(&c->w[0], "exit") && p->depth &&
                    p->stack[0] != 's' && !p->exited) {
                        p->exited = true;
                        p->exit_line = line_no(p, c->li0);
                }
                if (t.type == T_EOF)
                        break;
                if (t.type == T_NL && !c && p->cont)
                        continue;       /* "A &&" at the end of a line: the list goes on */
                p->cont = false;
                if (t.type == T_NL || !strcmp(t.op, ";") || !strcmp(t.op, ";;") || !strcmp(t.op, "&")) {
                        if (!strcmp(t.op, "&"))
                                for (size_t i = p->list_start; i < p->n; i++)
                                        p->c[i].background = true;
                        /* a for header or a function name ends here; a case header at "in" */
                        if (p->header_next && !(p->depth && p->stack[p->depth - 1] == 'c'))
                                p->header_next = false;
                        p->list_start = p->n;
                        p->list_or = false;
                        p->pipe_next = false;
                        p->and_from = -1;
                        p->negate_next = false;
                } else if (!strcmp(t.op, "&&")) {
                        p->pipe_next = false;
                        p->and_from = c ? (long)(c - p->c) : -1;
                        p->cont = true;
                } else if (!strcmp(t.op, "||")) {
                        p->list_or = true;
                        p->pipe_next = false;
                        p->and_from = -1;
                        p->cont = true;
                } else if (!strcmp(t.op, "|") || !strcmp(t.op, "|&")) {
                        if (c)
                                c->in_pipe = c->pipe_out = true;
                        p->pipe_from = c && !strcmp(t.op, "|") ? (long)(c - p->c) : -1;
                        p->pipe_next = true;
                        p->cont = true;
                } else if (!strcmp(t.op, "(")) {
                        if (!(p->depth && p->stack[p->depth - 1] == 'c'))
                                push(p, 's', t.li0);
                } else if (!strcmp(t.op, ")")) {
                        if (p->depth && p->stack[p->depth - 1] == 'c') {
                                /* the words before were a case pattern */
                                if (c)
                                        c->header = true;
                        } else {
                                pop(p, 's', t.li0, ")");
                        }
                } else {
                        set_broken(p, t.li0, "an operator import does not know");
                }
                c = NULL;
        }
        if (p->depth && !p->broken)
                set_broken(p, p->f->n_lines, "an unclosed compound command");
        for (size_t h = 0; h < p->lx.n_pending; h++)
                free(p->lx.pending[h].delim);
}

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
static char *cmd_text(const struct parser *p, const struct cmd *c);
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
                        while (j < c->n && (unquoted_is(&c->w[j], "-E") || unquoted_is(&c->w[j], "-H") ||
                                            unquoted_is(&c->w[j], "-n") || unquoted_is(&c->w[j], "-S")))
                                j++;
                        if (j < c->n && unquoted_is(&c->w[j], "--"))
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
                        if (j < c->n && unquoted_is(&c->w[j], "-p"))
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
                word_free(&c->w[k]);
        memmove(c->w, c->w + i, (c->n - i) * sizeof(*c->w));
        c->n -= i;
}

/* [ -w F ], [ -e F ], [ -f F ], test -f F, [[ -f F ]]: the file F, or NULL */
static const char *exist_guard(const struct cmd *c)
{
        const char *name, *op;
        size_t at;

        if (!c->n || c->n_r || c->negated || c->background || c->pipe_out || c->pipe_prev >= 0 ||
            !(name = cmd_name(&c->w[0])) || c->w[0].quoted)
                return NULL;
        if (!strcmp(name, "[") && c->n == 4 && unquoted_is(&c->w[3], "]"))
                at = 1;
        else if (!strcmp(name, "[[") && c->n == 4 && unquoted_is(&c->w[3], "]]"))
                at = 1;
        else if (!strcmp(name, "test") && c->n == 3)
                at = 1;
        else
                return NULL;
        op = c->w[at].s;
        if (c->w[at].quoted || (strcmp(op, "-e") && strcmp(op, "-f") && strcmp(op, "-w")))
                return NULL;
        if (c->w[at + 1].glob || c->w[at + 1].dollar || c->w[at + 1].backquote || c->w[at + 1].unterminated)
                return NULL;
        return c->w[at + 1].s;
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
                if (i < c->n && unquoted_is(&c->w[i], "-n"))
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
        put(v, 0);
        v->n = 0;
        for (; i < c->n && !stop; i++) {
                const char *s = c->w[i].s;

                if (c->w[i].glob)
                        return refuse(c, "'%s' is an unquoted shell glob", s);
                if (v->n)
                        put(v, ' ');
                for (; *s && !stop; s++) {
                        if (*s != '\\') {
                                put(v, *s);
                                continue;
                        }
                        if (kind == ECHO_UNKNOWN)
                                return refuse(c, "a backslash: whether echo interprets it depends on the shell, "
                                                 "and this host's /bin/sh is neither dash nor bash");
                        if (!escapes) {
                                put(v, *s);
                                continue;
                        }
                        switch (s[1]) {
                        case 't':
                                put(v, '\t');
                                s++;
                                break;
                        case '\\':
                                put(v, '\\');
                                s++;
                                break;
                        case 'c':
                                stop = true;
                                break;
                        case '\0':
                                put(v, '\\');
                                break;
                        default:
                                if (strchr("abefnrvx0123456789u", s[1]))
                                        return refuse(c, "echo interprets '\\%c' as a control character here, "
                                                         "which a configuration cannot hold", s[1]);
                                put(v, *s);     /* an unknown escape stays as it is */
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
        size_t len = 0;

        free(c->nested);
        c->nested = NULL;
        p->saved_report = p->im->report;
        p->nested_m = open_memstream(&c->nested, &len);
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
                if (c->w[i].s[0] == '-' && !c->w[i].quoted && !unquoted_is(&c->w[i], "-a") &&
                    !unquoted_is(&c->w[i], "--append"))
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
        put(&names, 0);
        names.n = 0;
        for (size_t i = 2; i < c->n; i++) {
                if (c->w[i].glob || c->w[i].s[0] == '-')
                        return free(names.s), refuse(c, "'%s' is not a profile name", c->w[i].s);
                if (names.n)
                        put(&names, ' ');
                for (const char *s = c->w[i].s; *s; s++)
                        put(&names, *s);
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
        if (c->n != 3 || !unquoted_is(&c->w[1], "-c"))
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
        g = cmd_text(p, &p->c[c->guard_cmd]);
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
        unsigned line = line_no(p, h->li0);
        struct buf v = { 0 };
        size_t len;
        int r = 1;

        if (c->why) {
                c->status = ST_REFUSED;
                return;
        }
        if (!c->n && !c->n_r) {
                c->status = ST_SILENT;
                return;
        }
        if (c->after_or || c->in_pipe || c->background || c->and_prev >= 0 || c->negated || c->pipe_out ||
            !name || strcmp(name, "echo")) {
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
                if (w->glob || strpbrk(path, "*?["))
                        r = imp_glob_write(p->im, path, v.s, src);
                else
                        r = imp_kernel_write(p->im, path, v.s, src);
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
                bool trivial = a->n == 1 && !a->n_r && (unquoted_is(&a->w[0], "true") || unquoted_is(&a->w[0], ":"));

                if (a->status != ST_CARRIED && !trivial) {
                        char *at = cmd_text(p, a);
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
        if (h->n < 3 || h->w[0].quoted || !unquoted_is(&h->w[1], "in") || h->n_r || !*v || (*v >= '0' && *v <= '9') ||
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
                                c->guard_line = line_no(p, a->li0);
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
                                        c->guard_line = line_no(p, g->li0);
                                        c->if_guard = true;
                                        if (!c->broken && !c->after_exit)
                                                c->ctx = NULL;
                                }
                        }
                }
        }
}

/* the command's own text, on one line */
static char *cmd_text(const struct parser *p, const struct cmd *c)
{
        struct buf b = { 0 };
        char *clean;

        put(&b, 0);
        b.n = 0;
        size_t li0 = p->c[c->span].li0, pos0 = p->c[c->span].pos0;

        for (size_t li = li0; li <= c->li1 && li < p->f->n_lines && b.n < 4 * IMP_SHOW_MAX; li++) {
                const struct imp_line *l = &p->f->lines[li];
                size_t from = li == li0 ? pos0 : 0, to = li == c->li1 ? c->pos1 : l->len;

                if (l->bad)
                        continue;
                if (to > l->len)
                        to = l->len;
                if (b.n)
                        put(&b, ' ');
                for (size_t i = from; i < to && b.n < 4 * IMP_SHOW_MAX; i++)
                        put(&b, l->s[i]);
        }
        while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\t'))
                b.s[--b.n] = '\0';
        clean = imp_clean_text(b.s, b.n);
        free(b.s);
        return clean;
}

/* a command's text; in a for loop "for HEADER; do COMMAND; done" */
static char *loop_text(const struct parser *p, const struct cmd *c)
{
        char *t = cmd_text(p, c), *h, *out;

        if (c->loop < 0)
                return t;
        h = cmd_text(p, &p->c[p->frames[c->loop].header]);
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
        parse(&p);
        link_forms(&p);
        for (size_t i = 0; i < p.n; i++) {
                struct cmd *c = &p.c[i];
                char *text = loop_text(&p, c);
                struct imp_src src = { f->shown, line_no(&p, p.c[c->span].li0), text };

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
                        struct imp_src src = { f->shown, line_no(&p, p.c[c->span].li0), text };
                        if (c->status == ST_CARRIED)
                                imp_carried(im, &src, c->extra ? c->extra : extra);
                        else
                                imp_refused(im, &src, "%s", c->why ? c->why : "not understood");
                        free(text);
                }
        }
        for (size_t i = 0; i < p.n; i++)
                cmd_free(&p.c[i]);
        free(p.c);
        free(p.frames);
        free(carried_line);
        return any;
}

void imp_read_shell(struct imp *im, struct imp_file *f)
{
        read_script(im, f, 0, file_echo_kind(im, f), NULL);
}
