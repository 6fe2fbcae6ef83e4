/* SPDX-License-Identifier: MIT */
/*
 * [ksm]: the files of /sys/kernel/mm/ksm.  Knobs that the kernel accepts
 * only while nothing is merged go before `run`; kvmtune never unmerges.
 * `run = auto` and the auto-* keys are ksm_auto.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ksm.h"

/* The knobs the spec names take numbers; other files may take a word (advisor_mode). */
static bool numeric_knob(const char *key)
{
        static const char *const keys[] = { "pages_to_scan", "sleep_millisecs", "merge_across_nodes",
                                            "use_zero_pages", "max_page_sharing" };

        for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
                if (!strcmp(key, keys[i]))
                        return true;
        return false;
}

static int ksm_parse(struct kvmtune *k, const char *sub, const char *key, const char *value,
                     struct origin at)
{
        struct ksm_state *st = k->state[SEC_KSM];
        const char *v = value;
        bool b;

        if (!st)
                st = k->state[SEC_KSM] = xcalloc(1, sizeof(*st));
        if (ksm_auto_key(key))
                return ksm_auto_parse(k, st, key, value, at);
        if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyz_") != strlen(key) || strlen(key) > 64) {
                log_error(k, &at, "invalid [ksm] key '%s'", key);
                return -EINVAL;
        }
        enum bound bound;
        const char *num = value_bound(value, &bound);

        if (bound && (!numeric_knob(key) || !ksm_is_number(num))) {
                log_error(k, &at, "ksm %s: '%.2s' takes a number, and only for numeric knobs", key, value);
                return -EINVAL;
        }
        if (bound)
                ;       /* kept as written: the setting takes the bound */
        else if (!strcmp(key, "run") && parse_bool(value, &b) == 0)
                v = b ? "1" : "0";
        else if (!strcmp(key, "run") && strcmp(value, "2") && strcmp(value, "auto")) {
                log_error(k, &at, "ksm run: expected 0, 1, 2 or a boolean, not '%s' (or auto: ksmtuned's policy)",
                          value);
                return -EINVAL;
        } else if (numeric_knob(key) && !ksm_is_number(value)) {
                log_error(k, &at, "ksm %s: expected a number, not '%s'", key, value);
                return -EINVAL;
        } else if (!*value || strpbrk(value, " \t[]")) {
                log_error(k, &at, "ksm %s: expected a number or one word, not '%s'", key, value);
                return -EINVAL;
        }
        for (size_t i = 0; i < st->n; i++)
                if (!strcmp(st->e[i].key, key)) {
                        free(st->e[i].value);
                        st->e[i].value = xstrdup(v);
                        st->e[i].at = at;
                        st->e[i].seq = ++st->seq;
                        return 0;
                }
        st->e = xgrow(st->e, st->n, sizeof(*st->e));
        st->e[st->n++] = (struct ksm_entry){ xstrdup(key), xstrdup(v), at, ++st->seq };
        return 0;
}

/*
 * With `run = auto` the policy owns run, pages_to_scan and sleep_millisecs.
 * A fixed pages_to_scan or sleep_millisecs from an earlier file is
 * overridden by it (a later file wins); one in the same file, or a later
 * one, would undo half of the policy: an error naming both lines.
 */
static int ksm_plan(struct kvmtune *k)
{
        struct ksm_state *st = k->state[SEC_KSM];
        const struct ksm_entry *run = NULL, *conflict = NULL;
        size_t first = k->n_settings;

        if (!st)
                return 0;
        for (size_t i = 0; i < st->n; i++)
                if (!strcmp(st->e[i].key, "run") && !strcmp(st->e[i].value, "auto"))
                        run = &st->e[i];
        for (size_t i = 0; i < st->n; i++) {
                const struct ksm_entry *e = &st->e[i];
                char *path;
                struct setting *s;

                if (e == run)
                        continue;
                if (run && ksm_auto_owns(e->key)) {
                        bool same_file = !strcmp(e->at.file ? e->at.file : "", run->at.file ? run->at.file : "");

                        if (e->seq > run->seq || same_file) {
                                log_error(k, &e->at, "ksm %s: a fixed value next to `run = auto` at %s:%u, which "
                                          "sets %s itself: neither is applied", e->key, run->at.file, run->at.line,
                                          e->key);
                                conflict = e;
                        } else
                                log_debug(k, "ksm %s at %s:%u: overridden by `run = auto` at %s:%u", e->key,
                                          e->at.file, e->at.line, run->at.file, run->at.line);
                        continue;
                }
                path = xasprintf("sys/kernel/mm/ksm/%s", e->key);
                s = setting_add(k, SEC_KSM, e->key, path, e->value, e->at);
                free(path);
                ksm_plan_knob(k, s);
        }
        if (run)
                ksm_auto_plan(k, st, run, conflict);
        settings_sort(k, first);
        return 0;
}

static int ksm_apply(struct kvmtune *k)
{
        int r = apply_settings(k, SEC_KSM);

        if (k->state[SEC_KSM])
                ksm_auto_apply(k, k->state[SEC_KSM]);
        return r;
}

static void ksm_free(struct kvmtune *k)
{
        struct ksm_state *st = k->state[SEC_KSM];

        if (!st)
                return;
        for (size_t i = 0; i < st->n; i++) {
                free(st->e[i].key);
                free(st->e[i].value);
        }
        free(st->e);
        ksm_auto_free(st);
        free(st);
        k->state[SEC_KSM] = NULL;
}

const struct section_ops ksm_section = {
        .name = "ksm",
        .subsection = SUB_NONE,
        .parse = ksm_parse,
        .plan = ksm_plan,
        .apply = ksm_apply,
        .free = ksm_free,
};
