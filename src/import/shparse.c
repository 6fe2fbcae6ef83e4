/* SPDX-License-Identifier: MIT */
/*
 * rc.local, first half: a tokenizer and a small parser for the POSIX shell
 * subset that tuning guides use.  Quotes are removed, and a word holding $,
 * a backquote or $( is marked so that its command is never evaluated.  The
 * parser records, per command, the compound commands around it (if with its
 * condition, loops with a for header, case, groups, subshells), its and-or
 * list, its pipe, a background job and a top-level exit, for shell.c to
 * decide what runs unconditionally at boot.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

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

void sh_put(struct buf *b, int c)
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

        sh_put(b, open);
        adv(lx);
        while ((c = peek(lx)) >= 0) {
                if (c == '\\' && close == '`') {
                        sh_put(b, c);
                        adv(lx);
                        if ((c = peek(lx)) < 0)
                                break;
                } else if (c == close && --depth == 0) {
                        sh_put(b, c);
                        adv(lx);
                        return;
                } else if (c == open && open != '`') {
                        depth++;
                }
                sh_put(b, c == '\n' ? ' ' : c);
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

        sh_put(&b, 0);
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
                        sh_put(&b, c);
                        adv(lx);
                } else if (c == '\'') {
                        w->quoted = true;
                        adv(lx);
                        while ((c = peek(lx)) >= 0 && c != '\'') {
                                sh_put(&b, c);
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
                                                sh_put(&b, '\\');
                                        sh_put(&b, c);
                                        adv(lx);
                                } else if (c == '$' && peek2(lx) == '(') {
                                        w->dollar = w->subst = true;
                                        adv(lx);
                                        sh_put(&b, '$');
                                        lex_subst(lx, &b, w, '(', ')');
                                } else if (c == '`') {
                                        w->backquote = true;
                                        lex_subst(lx, &b, w, '`', '`');
                                } else {
                                        w->dollar |= c == '$';
                                        sh_put(&b, c);
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
                        sh_put(&b, c);
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
                        sh_put(&b, c);
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

void sh_word_free(struct word *w)
{
        free(w->s);
}

void sh_cmd_free(struct cmd *c)
{
        for (size_t i = 0; i < c->n; i++)
                sh_word_free(&c->w[i]);
        for (size_t i = 0; i < c->n_r; i++)
                sh_word_free(&c->r[i].target);
        free(c->w);
        free(c->r);
        free(c->why);
        free(c->extra);
        free(c->nested);
}

bool sh_unquoted_is(const struct word *w, const char *s)
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

unsigned sh_line_no(const struct parser *p, size_t li)
{
        return li < p->f->n_lines ? p->f->lines[li].no : (unsigned)p->f->n_lines;
}

static struct cmd *new_cmd(struct parser *p, const struct tok *t)
{
        struct cmd *c;

        p->c = xgrow(p->c, p->n, sizeof(*p->c));
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
                 sh_line_no(p, li));
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
        p->frames = xgrow(p->frames, p->n_frames, sizeof(*p->frames));
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
        p->frames[p->fidx[p->depth]].end = p->n;
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

void sh_parse(struct parser *p)
{
        struct cmd *c = NULL;
        struct tok t;

        for (;;) {
                lex(&p->lx, &t);
                if (t.type == T_WORD) {
                        if (!c) {
                                if (!p->header_next && reserved(p, &t)) {
                                        sh_word_free(&t.w);
                                        continue;
                                }
                                c = new_cmd(p, &t);
                        } else if (c->header && sh_unquoted_is(&t.w, "{")) {
                                /* "function NAME {": the body begins */
                                sh_word_free(&t.w);
                                p->header_next = false;
                                push(p, 'g', t.li0);
                                c = NULL;
                                continue;
                        }
                        if (c->header && sh_unquoted_is(&t.w, "in") && p->depth && p->stack[p->depth - 1] == 'c') {
                                /* "case WORD in": the header ends, patterns follow */
                                sh_word_free(&t.w);
                                p->header_next = false;
                                c = NULL;
                                continue;
                        }
                        if (c->header && sh_unquoted_is(&t.w, "do") && p->depth && p->stack[p->depth - 1] == 'l') {
                                sh_word_free(&t.w);
                                p->header_next = false;
                                c = NULL;
                                continue;
                        }
                        if (c->n < MAX_WORDS) {
                                c->w = xgrow(c->w, c->n, sizeof(*c->w));
                                c->w[c->n++] = t.w;
                        } else {
                                c->why = c->why ? c->why : xstrdup("more than 256 words");
                                sh_word_free(&t.w);
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
                        c->r = xgrow(c->r, c->n_r, sizeof(*c->r));
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
                                         sh_line_no(p, t.li0));
                        p->broken = true;
                        c = NULL;
                        continue;
                }
                if (c && c->n && !c->header && !p->depth && !p->broken && sh_unquoted_is(&c->w[0], "exit") &&
                    strcmp(t.op, "|")) {
                        /* a top-level exit, wherever in a list: nothing after it is certain to run */
                        if (!p->exited)
                                p->exit_line = sh_line_no(p, c->li0);
                        p->exited = true;
                }
                if (c && c->n && !c->header && sh_unquoted_is(&c->w[0], "exit") && p->depth &&
                    p->stack[0] != 's' && !p->exited) {
                        p->exited = true;
                        p->exit_line = sh_line_no(p, c->li0);
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

/* the command's own text, on one line */
char *sh_cmd_text(const struct parser *p, const struct cmd *c)
{
        struct buf b = { 0 };
        char *clean;

        sh_put(&b, 0);
        b.n = 0;
        size_t li0 = p->c[c->span].li0, pos0 = p->c[c->span].pos0;

        for (size_t li = li0; li <= c->li1 && li < p->f->n_lines && b.n < 4 * IMP_SHOW_MAX; li++) {
                const struct imp_line *l = &p->f->lines[li];
                size_t from = li == li0 ? pos0 : 0, to = li == c->li1 ? c->pos1 : l->len;

                if (l->bad)
                        continue;
                if (to > l->len)
                        to = l->len;
                if (li != li0)
                        while (from < to && (l->s[from] == ' ' || l->s[from] == '\t'))
                                from++;         /* the indentation of a continued line */
                if (b.n && b.s[b.n - 1] == '\\')
                        b.s[--b.n] = '\0';     /* a backslash-newline joins the lines */
                while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\t'))
                        b.s[--b.n] = '\0';
                if (b.n)
                        sh_put(&b, ' ');
                for (size_t i = from; i < to && b.n < 4 * IMP_SHOW_MAX; i++)
                        sh_put(&b, l->s[i]);
        }
        while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\t'))
                b.s[--b.n] = '\0';
        clean = imp_clean_text(b.s, b.n);
        free(b.s);
        return clean;
}

