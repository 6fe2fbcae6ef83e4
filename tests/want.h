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

/* kvmtune import's printed configuration, as the host's own conf.d file, then applied: exit 0 */
static inline void apply_imported(const char *root, const char *out)
{
        struct run_result r;

        fr_write(root, CONFD "50-imported.conf", out);
        kv_run(&r, root, "apply", NULL);
        if (r.status != 0)
                fprintf(stderr, "apply of:\n%s\nsaid:\n%s%s", out, r.out, r.err);
        want_status(&r, 0);
        run_result_free(&r);
}
