/* SPDX-License-Identifier: MIT */
/*
 * [thp]: transparent hugepage `enabled` and `defrag`, and khugepaged's
 * knobs (khugepaged.NAME).  enabled and defrag must be one of the words the
 * kernel file lists; the bracketed word is the current one.  The khugepaged
 * knobs are numbers checked as the kernel checks them, so that a value it
 * would refuse is an error at plan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kvmtune.h"

#define THP_DIR "sys/kernel/mm/transparent_hugepage/"

enum thp_kind {
        WORD,           /* one of the words the file lists */
        BOOL01,         /* 0 or 1 (a boolean) */
        PTES,           /* 0 .. the small pages of a PMD hugepage - 1 (HPAGE_PMD_NR - 1) */
        PAGES,          /* 1 .. UINT_MAX */
        MSECS,          /* 0 .. UINT_MAX */
};

static const struct thp_key {
        const char *key;
        enum thp_kind kind;
} thp_keys[] = {
        { "enabled", WORD },
        { "defrag", WORD },
        { "khugepaged.defrag", BOOL01 },
        { "khugepaged.max_ptes_none", PTES },
        { "khugepaged.max_ptes_swap", PTES },
        { "khugepaged.max_ptes_shared", PTES },
        { "khugepaged.pages_to_scan", PAGES },
        { "khugepaged.scan_sleep_millisecs", MSECS },
        { "khugepaged.alloc_sleep_millisecs", MSECS },
};

#define N_THP_KEYS (sizeof(thp_keys) / sizeof(*thp_keys))

struct thp_state {
        char *value[N_THP_KEYS];
        struct origin at[N_THP_KEYS];
};

/* the value as written, malloc'd; NULL after an error */
static char *parse_value(struct kvmtune *k, const struct thp_key *t, const char *value, struct origin at)
{
        uint64_t v;
        bool b;

        switch (t->kind) {
        case WORD:
                if (*value && !strpbrk(value, " \t[]"))
                        return xstrdup(value);
                log_error(k, &at, "thp %s: expected one word, not '%s'", t->key, value);
                return NULL;
        case BOOL01:
                if (parse_bool(value, &b) == 0)
                        return xstrdup(b ? "1" : "0");
                log_error(k, &at, "thp %s: expected 0 or 1 (a boolean), not '%s'", t->key, value);
                return NULL;
        case PTES:
        case MSECS:
        case PAGES:
                if (parse_u64(value, &v) == 0 && v <= UINT32_MAX && (v || t->kind != PAGES))
                        return xasprintf("%llu", (unsigned long long)v);
                log_error(k, &at, "thp %s: expected a number from %d to %u, not '%s'", t->key,
                          t->kind == PAGES, UINT32_MAX, value);
                return NULL;
        }
        return NULL;
}

static int thp_parse(struct kvmtune *k, const char *sub, const char *key, const char *value,
                     struct origin at)
{
        struct thp_state *st = k->state[SEC_THP];

        for (size_t i = 0; i < N_THP_KEYS; i++) {
                char *v;

                if (strcmp(key, thp_keys[i].key))
                        continue;
                v = parse_value(k, &thp_keys[i], value, at);
                if (!v)
                        return -EINVAL;
                if (!st)
                        st = k->state[SEC_THP] = xcalloc(1, sizeof(*st));
                free(st->value[i]);
                st->value[i] = v;
                st->at[i] = at;
                return 0;
        }
        if (!strncmp(key, "khugepaged.", 11))
                log_error(k, &at, "unknown key '%s' in [thp] (khugepaged's knobs: defrag, max_ptes_none, "
                          "max_ptes_swap, max_ptes_shared, pages_to_scan, scan_sleep_millisecs, "
                          "alloc_sleep_millisecs)", key);
        else
                log_error(k, &at, "unknown key '%s' in [thp] (known: enabled, defrag, khugepaged.NAME)", key);
        return -EINVAL;
}

static const struct knob_ops thp_knob = { .current = bracketed_word };

static void plan_word(struct kvmtune *k, struct setting *s)
{
        char *raw;
        int r = kernfs_read(k, s->path, &raw);

        if (r < 0) {
                setting_fail(k, s, "cannot read /%s: %s", s->path, strerror(-r));
                return;
        }
        set_more(s)->knob = &thp_knob;
        s->cur = bracketed_word(raw);
        s->orig = arena_strdup(&k->settings_arena, s->cur);      /* what revert restores */
        if (!choice_offered(raw, s->want))
                setting_fail(k, s, "'%s' is not one of the kernel's choices: %s", s->want, raw);
        else
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        free(raw);
}

/*
 * The small pages of a PMD-sized hugepage (HPAGE_PMD_NR: 512 with 4k
 * pages), from hpage_pmd_size; 0 when the kernel does not say.
 */
static uint64_t pmd_pages(struct kvmtune *k)
{
        long page = sysconf(_SC_PAGESIZE);
        uint64_t bytes = 0;
        char *raw = NULL;

        if (kernfs_read(k, THP_DIR "hpage_pmd_size", &raw) < 0 || parse_u64(raw, &bytes) < 0 || page <= 0)
                bytes = 0;
        free(raw);
        return bytes / (uint64_t)page;
}

static void plan_number(struct kvmtune *k, struct setting *s, enum thp_kind kind)
{
        uint64_t v = strtoull(s->want, NULL, 10), nr;
        int r;

        if (kind == PTES && (nr = pmd_pages(k)) && v > nr - 1) {
                setting_fail(k, s, "at most %llu (a PMD hugepage holds %llu pages): the kernel refuses more",
                             (unsigned long long)nr - 1, (unsigned long long)nr);
                return;
        }
        r = setting_read(k, s);
        if (r == -ENOENT || r == -ENOTDIR)
                setting_fail(k, s, "this kernel has no /%s", s->path);
        else if (r < 0)
                setting_fail(k, s, "cannot read /%s: %s", s->path, strerror(-r));
        else
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
}

static int thp_plan(struct kvmtune *k)
{
        struct thp_state *st = k->state[SEC_THP];

        for (size_t i = 0; st && i < N_THP_KEYS; i++) {
                const struct thp_key *t = &thp_keys[i];
                char *path;
                struct setting *s;

                if (!st->value[i])
                        continue;
                /* khugepaged.NAME is the file khugepaged/NAME */
                path = t->kind == WORD ? xasprintf(THP_DIR "%s", t->key)
                                       : xasprintf(THP_DIR "khugepaged/%s", t->key + strlen("khugepaged."));
                s = setting_add(k, SEC_THP, t->key, path, st->value[i], st->at[i]);
                free(path);
                if (t->kind == WORD)
                        plan_word(k, s);
                else
                        plan_number(k, s, t->kind);
        }
        return 0;
}

static void thp_free(struct kvmtune *k)
{
        struct thp_state *st = k->state[SEC_THP];

        if (!st)
                return;
        for (size_t i = 0; i < N_THP_KEYS; i++)
                free(st->value[i]);
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
