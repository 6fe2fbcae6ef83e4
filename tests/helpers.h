/* SPDX-License-Identifier: MIT */
/* Fake-root trees and running the kvmtune binary, for the cmocka tests. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

struct run_result {
        int status;     /* exit status, or 128+signal */
        char *out;
        char *err;
};

char *fr_new(void);                                     /* mkdtemp'd root */
void fr_free(char *root);                               /* rm -rf and free */
void fr_write(const char *root, const char *rel, const char *content);
void fr_writef(const char *root, const char *rel, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void fr_mkdir(const char *root, const char *rel);
void fr_symlink(const char *root, const char *target, const char *rel);
char *fr_read(const char *root, const char *rel);      /* NULL if absent; trailing \n kept */
char *fr_read_trim(const char *root, const char *rel); /* trailing whitespace removed */
void fr_standard(const char *root);                     /* a small kernel-like tree */

/* Run $KVMTUNE --root ROOT ARGS... (NULL-terminated); root NULL: no --root */
void kv_run(struct run_result *r, const char *root, ...) __attribute__((sentinel));
void kv_run_argv(struct run_result *r, const char *root, const char *const *argv);
void run_result_free(struct run_result *r);
/*
 * Run kvmtune in this process (so that --wrap'ed functions can play the
 * kernel): the command is an enum command of kvmtune.h, write_timeout as
 * kernfs_write_timeout() takes it (0: none).
 */
void kv_run_inproc(struct run_result *r, const char *root, int cmd, unsigned write_timeout);
/* the same with --device NAME (NULL: none) */
void kv_run_inproc_device(struct run_result *r, const char *root, int cmd, unsigned write_timeout,
                          const char *device);
/* the same with every option: --only's section mask, and a call just before the run */
struct inproc {
        int cmd;                        /* an enum command */
        unsigned write_timeout;         /* 0: none */
        const char *device;             /* --device, or NULL */
        unsigned only;                  /* --only: 1u << SEC_..., 0: every section */
        void (*before_run)(void);       /* after the root is opened, before kvmtune_run() */
};
void kv_run_inproc_opts(struct run_result *r, const char *root, const struct inproc *o);
bool contains(const char *haystack, const char *needle);

/* Assertions that print what they saw */
void want_value(const char *root, const char *rel, const char *want);   /* file content, trimmed */
void want_in(const char *what, const char *text, const char *needle);
void want_not_in(const char *what, const char *text, const char *needle);
void want_status(const struct run_result *r, int status);
#define assert_contains(hay, needle) want_in("output", (hay), (needle))
#define assert_not_contains(hay, needle) want_not_in("output", (hay), (needle))
#define assert_file(root, rel, want) want_value((root), (rel), (want))
