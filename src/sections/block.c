/* SPDX-License-Identifier: MIT */
/*
 * [block "GLOB ..."]: I/O scheduler (a fallback list, legacy names
 * translated), read_ahead_kb and nr_requests for whole disks in /sys/block,
 * optionally only rotational or only non-rotational ones.  A disk that does
 * not exist yet is not an error: udev runs kvmtune --device when it appears.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"
#include "devsel.h"

enum { K_SCHEDULER, K_READ_AHEAD, K_NR_REQUESTS, N_KEYS };
static const char *const keys[N_KEYS] = { "scheduler", "read_ahead_kb", "nr_requests" };

static struct dev_sections *state(struct kvmtune *k)
{
        if (!k->state[SEC_BLOCK])
                k->state[SEC_BLOCK] = xcalloc(1, sizeof(struct dev_sections));
        return k->state[SEC_BLOCK];
}

static int block_check_sub(struct kvmtune *k, const char *sub, struct origin at)
{
        int r = devsel_check_sub(k, "block", sub, at, 0);

        devsel_header(state(k));
        return r;
}

/* "deadline cfq,none" -> "mq-deadline bfq none", with a notice per legacy name */
static char *parse_schedulers(struct kvmtune *k, const char *value, struct origin at)
{
        static const char *const legacy[][2] = {
                { "noop", "none" }, { "deadline", "mq-deadline" }, { "cfq", "bfq" },
        };
        char *copy = xstrdup(value), *save = NULL, *out = NULL;
        bool bad = false;

        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                const char *name = w;

                if (strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(w)) {
                        log_error(k, &at, "block scheduler: invalid name '%s' (allowed: a-z 0-9 _ -)", w);
                        bad = true;
                        continue;
                }
                for (size_t i = 0; i < sizeof(legacy) / sizeof(*legacy); i++)
                        if (!strcmp(w, legacy[i][0])) {
                                name = legacy[i][1];
                                log_notice(k, &at, "block scheduler: '%s' is the legacy name of '%s'%s",
                                           w, name, !strcmp(w, "cfq") ? " (cfq was removed with the legacy block layer)" : "");
                        }
                /* once each: a later duplicate adds nothing */
                bool dup = false;
                if (out) {
                        char *o = xstrdup(out), *s2 = NULL;
                        for (char *x = strtok_r(o, " ", &s2); x; x = strtok_r(NULL, " ", &s2))
                                dup |= !strcmp(x, name);
                        free(o);
                }
                if (dup)
                        continue;
                char *n = out ? xasprintf("%s %s", out, name) : xstrdup(name);
                free(out);
                out = n;
        }
        free(copy);
        if (!bad && !out)
                log_error(k, &at, "block scheduler: no scheduler named");
        if (bad || !out) {
                free(out);
                return NULL;
        }
        return out;
}

static int block_parse(struct kvmtune *k, const char *sub, const char *key,
                       const char *value, struct origin at)
{
        struct dev_section *sec = devsel_current(state(k), sub, at);
        uint64_t v;
        bool b;

        if (!strcmp(key, "scheduler")) {
                char *list = parse_schedulers(k, value, at);
                if (!list)
                        return -EINVAL;
                devsel_set(sec, key, list, at);
                free(list);
        } else if (!strcmp(key, "read_ahead_kb") || !strcmp(key, "nr_requests")) {
                if (parse_u64(value, &v) < 0 || v > INT32_MAX || (v == 0 && key[0] == 'n')) {
                        log_error(k, &at, "block %s: expected a number, not '%s'", key, value);
                        return -EINVAL;
                }
                char buf[24];
                snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
                devsel_set(sec, key, buf, at);
        } else if (!strcmp(key, "match-rotational")) {
                if (parse_bool(value, &b) < 0) {
                        log_error(k, &at, "block match-rotational: expected yes or no, not '%s'", value);
                        return -EINVAL;
                }
                sec->rotational = b;
        } else {
                log_error(k, &at, "unknown key '%s' in [block]", key);
                return -EINVAL;
        }
        return 0;
}

/* the first wanted name the device offers now, or NULL */
static char *first_offered(const char *want, const char *raw)
{
        char *copy = xstrdup(want), *save = NULL, *found = NULL;

        for (char *w = strtok_r(copy, " ", &save); w && !found; w = strtok_r(NULL, " ", &save))
                if (choice_offered(raw, w))
                        found = xstrdup(w);
        free(copy);
        return found;
}

/* met when the current scheduler is the first wanted one on offer */
static enum action scheduler_action(const char *want, const char *raw, char **cur)
{
        char *target = first_offered(want, raw);
        enum action a;

        *cur = bracketed_word(raw);
        a = target && !strcmp(target, *cur) ? ACT_OK : ACT_SET;
        free(target);
        return a;
}

static void plan_scheduler(struct kvmtune *k, const char *dev, const struct dev_match *m)
{
        char *rel = xasprintf("sys/block/%s/queue/scheduler", dev), *name, *raw = NULL;
        struct setting *s;
        int r = kernfs_read(k, rel, &raw);

        if (r == -ENOENT && !m->literal) {
                log_debug(k, "block %s: no I/O scheduler, nothing to choose", dev);
                goto out;
        }
        name = xasprintf("%s scheduler", dev);
        s = setting_add(k, SEC_BLOCK, name, rel, m->kv->value, m->kv->at);
        s->data = xstrdup("scheduler");
        free(name);
        if (r == -ENOENT)
                setting_fail(k, s, "%s has no I/O scheduler (no /%s)", dev, rel);
        else if (r < 0)
                setting_fail(k, s, "cannot read /%s: %s", rel, strerror(-r));
        else
                s->action = scheduler_action(s->want, raw, &s->cur);
out:
        free(raw);
        free(rel);
}

static void plan_plain(struct kvmtune *k, const char *dev, const char *key, const struct dev_match *m)
{
        char *rel = xasprintf("sys/block/%s/queue/%s", dev, key), *name;
        struct setting *s;
        int r;

        if (!kernfs_exists(k, rel) && !m->literal) {
                log_debug(k, "block %s: no %s", dev, key);
                free(rel);
                return;
        }
        name = xasprintf("%s %s", dev, key);
        s = setting_add(k, SEC_BLOCK, name, rel, m->kv->value, m->kv->at);
        free(name);
        r = setting_read(k, s);
        if (r == -ENOENT)
                setting_fail(k, s, "%s has no /%s", dev, rel);
        else if (r < 0)
                setting_fail(k, s, "cannot read /%s: %s", rel, strerror(-r));
        else
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        free(rel);
}

static int rotational(struct kvmtune *k, const char *dev)
{
        char *rel = xasprintf("sys/block/%s/queue/rotational", dev), *v = NULL;
        int rot = 0;

        if (kernfs_read(k, rel, &v) == 0)
                rot = !strcmp(v, "1");
        free(v);
        free(rel);
        return rot;
}

static int block_plan(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_BLOCK];
        char **devs;
        size_t n;

        if (!ds || !ds->n)
                return 0;
        devs = devsel_devices(k, "sys/block", &n);
        for (size_t i = 0; i < n; i++) {
                struct dev_match m[N_KEYS];

                devsel_merge(ds, devs[i], rotational(k, devs[i]), keys, N_KEYS, m);
                if (m[K_SCHEDULER].kv)
                        plan_scheduler(k, devs[i], &m[K_SCHEDULER]);
                for (int x = K_READ_AHEAD; x < N_KEYS; x++)
                        if (m[x].kv)
                                plan_plain(k, devs[i], keys[x], &m[x]);
        }
        devsel_report_absent(k, ds, "block", devs, n);
        devsel_free_list(devs, n);
        return 0;
}

/* Try the names in order; the first the device takes wins. */
static void apply_scheduler(struct kvmtune *k, struct setting *s)
{
        char *raw = NULL, *cur = NULL, *copy, *save = NULL, *tried = NULL;
        const char *dev_end = strchr(s->name, ' ');
        int dev_len = dev_end ? (int)(dev_end - s->name) : (int)strlen(s->name);
        int r;

        if (s->action == ACT_SKIP || s->action == ACT_ERROR)
                return;
        r = kernfs_read(k, s->path, &raw);
        if (r < 0) {
                setting_fail(k, s, "cannot read /%s: %s", s->path, strerror(-r));
                return;
        }
        if (scheduler_action(s->want, raw, &cur) == ACT_OK) {
                s->action = ACT_OK;
                free(s->cur);
                s->cur = cur;
                free(raw);
                return;
        }
        free(s->cur);
        s->cur = xstrdup(cur);
        revert_note(k, s);      /* revert writes the old name back */
        copy = xstrdup(s->want);
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                char *now = NULL, *after = NULL;

                if (!strcmp(w, cur))
                        r = 0;  /* current, and nothing earlier was taken */
                else
                        r = kernfs_write(k, s->path, w);
                if (r == 0 && kernfs_read(k, s->path, &now) == 0) {
                        after = bracketed_word(now);
                        if (strcmp(after, w))
                                r = -EINVAL;
                }
                free(now);
                free(after);
                if (r == 0) {
                        if (strcmp(w, cur)) {
                                s->changed = true;
                                k->n_changes++;
                                log_info(k, "block %s: %s -> %s", s->name, cur, w);
                        } else
                                s->action = ACT_OK;
                        free(s->cur);
                        s->cur = xstrdup(w);
                        goto out;
                }
                char *t = tried ? xasprintf("%s, %s (%s)", tried, w, strerror(-r))
                                : xasprintf("%s (%s)", w, strerror(-r));
                free(tried);
                tried = t;
        }
        setting_fail(k, s, "%.*s accepts none of the schedulers: %s; it offers: %s", dev_len, s->name,
                     tried ? tried : s->want, raw);
out:
        free(tried);
        free(copy);
        free(cur);
        free(raw);
}

static int block_apply(struct kvmtune *k)
{
        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];

                if (s->section != SEC_BLOCK)
                        continue;
                if (s->data && !strcmp(s->data, "scheduler"))
                        apply_scheduler(k, s);
                else
                        setting_apply(k, s);
        }
        return 0;
}

static void block_free(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_BLOCK];

        if (!ds)
                return;
        devsel_free(ds);
        free(ds);
        k->state[SEC_BLOCK] = NULL;
}

const struct section_ops block_section = {
        .name = "block",
        .subsection = SUB_REQUIRED,
        .parse = block_parse,
        .check_sub = block_check_sub,
        .plan = block_plan,
        .apply = block_apply,
        .free = block_free,
};
