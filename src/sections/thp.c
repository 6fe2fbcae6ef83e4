/* SPDX-License-Identifier: MIT */
/*
 * [thp]: transparent hugepage `enabled` and `defrag`.  The value must be one
 * of the words the kernel file lists; the bracketed word is the current one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"

struct thp_state {
        char *value[2];
        struct origin at[2];
};

static const char *const thp_keys[2] = { "enabled", "defrag" };

static int thp_parse(struct kvmtune *k, const char *sub, const char *key, const char *value,
                     struct origin at)
{
        struct thp_state *st = k->state[SEC_THP];

        for (size_t i = 0; i < 2; i++) {
                if (strcmp(key, thp_keys[i]))
                        continue;
                if (!*value || strpbrk(value, " \t[]")) {
                        log_error(k, &at, "thp %s: expected one word, not '%s'", key, value);
                        return -EINVAL;
                }
                if (!st)
                        st = k->state[SEC_THP] = xcalloc(1, sizeof(*st));
                free(st->value[i]);
                st->value[i] = xstrdup(value);
                st->at[i] = at;
                return 0;
        }
        log_error(k, &at, "unknown key '%s' in [thp] (known: enabled, defrag)", key);
        return -EINVAL;
}

static const struct knob_ops thp_knob = { .current = bracketed_word };

static int thp_plan(struct kvmtune *k)
{
        struct thp_state *st = k->state[SEC_THP];

        for (size_t i = 0; st && i < 2; i++) {
                char *path, *raw;
                struct setting *s;
                int r;

                if (!st->value[i])
                        continue;
                path = xasprintf("sys/kernel/mm/transparent_hugepage/%s", thp_keys[i]);
                s = setting_add(k, SEC_THP, thp_keys[i], path, st->value[i], st->at[i]);
                free(path);
                set_more(s)->knob = &thp_knob;
                r = kernfs_read(k, s->path, &raw);
                if (r < 0) {
                        setting_fail(k, s, "cannot read /%s: %s", s->path, strerror(-r));
                        continue;
                }
                s->cur = bracketed_word(raw);
                s->orig = arena_strdup(&k->settings_arena, s->cur);      /* what revert restores */
                if (!choice_offered(raw, s->want))
                        setting_fail(k, s, "'%s' is not one of the kernel's choices: %s", s->want, raw);
                else
                        s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
                free(raw);
        }
        return 0;
}

static void thp_free(struct kvmtune *k)
{
        struct thp_state *st = k->state[SEC_THP];

        if (!st)
                return;
        free(st->value[0]);
        free(st->value[1]);
        free(st);
        k->state[SEC_THP] = NULL;
}

const struct section_ops thp_section = {
        .name = "thp",
        .subsection = SUB_NONE,
        .parse = thp_parse,
        .plan = thp_plan,
        .free = thp_free,
};
