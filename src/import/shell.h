/* SPDX-License-Identifier: MIT */
/*
 * The shell reader of `kvmtune import`, in floors: shparse.c cuts rc.local
 * into words and commands and tracks where each command stands (compound
 * commands, lists, pipes, an exit); shcmd.c holds what the translators
 * share; one translator per command family (shecho.c, shkernel.c,
 * shdevice.c, shcpu.c, shethtool.c, shtuned.c) says what a command sets; shell.c, the
 * dispatcher, ties the forms that span commands together, hands each
 * command to its translator and reports in the order of the file.  Nothing
 * is ever executed or expanded.
 */
#pragma once

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

/* a growing string */
struct buf {
        char *s;
        size_t n, cap;
};

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
        size_t end;             /* closed: one past its last command (its commands are those before) */
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
        size_t nested_len;      /* nested_m's size: open_memstream() writes it until the stream is closed */
};


/* shparse.c */
void sh_put(struct buf *b, int c);
void sh_word_free(struct word *w);
void sh_cmd_free(struct cmd *c);
bool sh_unquoted_is(const struct word *w, const char *s);
unsigned sh_line_no(const struct parser *p, size_t li);
void sh_parse(struct parser *p);
/* the command's own text (from the first command of its form), on one line */
char *sh_cmd_text(const struct parser *p, const struct cmd *c);

/* shcmd.c: what the translators share */
/* "echo", "/bin/echo", "/usr/sbin/sysctl": the name, or NULL for another path */
const char *sh_cmd_name(const struct word *w);
const char *sh_cmd_word0(const struct cmd *c);
/* c->why and c->status set: -1 */
int sh_refuse(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0, or -1 refused for a redirection other than `wanted` and the harmless ones */
int sh_other_redirs(struct cmd *c, const struct redir *wanted);
/* the result r of a kpath.c call as the command's status: 1 carried, else -1 refused */
int sh_from_kpath(struct parser *p, struct cmd *c, int r);
/* [ -w F ], [ -e F ], [ -f F ], test -f F, [[ -f F ]]: the word F, or NULL */
const struct word *sh_guard_word(const struct cmd *c);
/* what a source the command reads reports waits in c->nested until the command's line is reported */
void sh_nested_begin(struct parser *p, struct cmd *c);
void sh_nested_end(struct parser *p);
bool sh_device_file(const char *path);
/* in a for loop: the command takes $VAR itself as its word AT, plainly; 0 or -1 refused */
int sh_loop_var_word(struct parser *p, struct cmd *c, size_t at, const char *form, const char *role);
/* the loop's words joined by a space, each literal and valid(); NULL refused */
char *sh_loop_words(struct parser *p, struct cmd *c, bool (*valid)(const char *), const char *what);
const char *sh_var_ref(const char *s, const char *var, size_t *len);

/*
 * The translators, one file per command family.  Each sets c->status
 * (carried, or refused with c->why) and returns 1 carried, 0 nothing to
 * carry, -1 refused.
 */
/* shecho.c */
int sh_do_echo(struct parser *p, struct cmd *c, const struct imp_src *src);
int sh_do_tee(struct parser *p, struct cmd *c, const struct imp_src *src);
void sh_do_loop_echo(struct parser *p, struct cmd *c, const struct imp_src *src);
/* shkernel.c */
int sh_do_sysctl(struct parser *p, struct cmd *c, const struct imp_src *src);
int sh_do_modprobe(struct parser *p, struct cmd *c, const struct imp_src *src);
int sh_do_loop_modprobe(struct parser *p, struct cmd *c, const struct imp_src *src);
/* shdevice.c */
int sh_do_ifconfig(struct parser *p, struct cmd *c, const struct imp_src *src);
int sh_do_ip(struct parser *p, struct cmd *c, const struct imp_src *src);
int sh_do_blockdev(struct parser *p, struct cmd *c, const struct imp_src *src);
int sh_do_mount(struct parser *p, struct cmd *c, const struct imp_src *src);
/* shcpu.c */
int sh_do_cpupower(struct parser *p, struct cmd *c, const struct imp_src *src);
/* shethtool.c */
int sh_do_ethtool(struct parser *p, struct cmd *c, const struct imp_src *src);
int sh_do_loop_ethtool(struct parser *p, struct cmd *c, const struct imp_src *src);
/* shtuned.c */
int sh_do_tuned_adm(struct parser *p, struct cmd *c, const struct imp_src *src);
