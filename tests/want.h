/* SPDX-License-Identifier: MIT */
/* Small assertions shared by the module, conntrack, block and netdev tests. */
#pragma once
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFD "etc/kvmtune/conf.d/"

static inline int fr_setup(void **state)
{
        char *root = fr_new();

        fr_standard(root);
        *state = root;
        return 0;
}

static inline int fr_teardown(void **state)
{
        fr_free(*state);
        return 0;
}

#define want_value(root, rel, want) do {                                                \
        char *v_ = fr_read_trim((root), (rel));                                          \
        if (!v_ || strcmp(v_, (want)))                                                   \
                fail_msg("%s: '%s', expected '%s'", (rel), v_ ? v_ : "(absent)", (want)); \
        free(v_);                                                                        \
} while (0)

#define want_in(what, text, needle) do {                                                \
        if (!contains((text), (needle)))                                                 \
                fail_msg("%s lacks '%s':\n%s", (what), (needle), (text) ? (text) : "(null)"); \
} while (0)

#define want_not_in(what, text, needle) do {                                            \
        if (contains((text), (needle)))                                                  \
                fail_msg("%s has '%s':\n%s", (what), (needle), (text));                  \
} while (0)

#define want_status(r, st) do {                                                         \
        if ((r)->status != (st))                                                         \
                fail_msg("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s",         \
                         (r)->status, (st), (r)->out, (r)->err);                          \
} while (0)

/* number of lines of text holding needle */
static inline int count_lines(const char *text, const char *needle)
{
        int n = 0;

        for (const char *l = text; l && *l;) {
                const char *e = strchr(l, '\n');
                size_t len = e ? (size_t)(e - l) : strlen(l);
                char *line = strndup(l, len);
                if (strstr(line, needle))
                        n++;
                free(line);
                l += len + (e ? 1 : 0);
        }
        return n;
}
