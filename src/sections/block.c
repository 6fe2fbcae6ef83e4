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
#include <unistd.h>

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
                enum bound bound;
                const char *num = value_bound(value, &bound);

                if (parse_u64(num, &v) < 0 || v > INT32_MAX || (v == 0 && key[0] == 'n')) {
                        log_error(k, &at, "block %s: expected a number, not '%s'", key, value);
                        return -EINVAL;
                }
                char buf[32];
                snprintf(buf, sizeof(buf), "%s%llu", bound_prefix(bound), (unsigned long long)v);
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

/*
 * Can a name the device does not list yet still be taken?  The kernel loads
 * I/O scheduler modules on demand, where it has modules at all.
 */
static bool loads_on_demand(struct kvmtune *k)
{
        return kernfs_probe(k, "proc/modules") > 0;
}

/* the first name of want that apply may try before cur, or NULL */
static char *better_untried(const char *want, const char *raw, const char *cur, bool on_demand)
{
        char *copy = xstrdup(want), *save = NULL, *found = NULL;

        for (char *w = strtok_r(copy, " ", &save); w && !found && strcmp(w, cur); w = strtok_r(NULL, " ", &save))
                if (choice_offered(raw, w) || on_demand)
                        found = xstrdup(w);
        free(copy);
        return found;
}

static void plan_scheduler(struct kvmtune *k, const char *dev, const struct dev_match *m)
{
        char *rel = xasprintf("sys/block/%s/queue/scheduler", dev), *name, *raw = NULL;
        struct setting *s;
        int r = kernfs_read(k, rel, &raw);

        if ((r == -ENOENT || r == -ENOTDIR) && !m->literal) {
                log_debug(k, "block %s: no I/O scheduler, nothing to choose", dev);
                goto out;
        }
        name = xasprintf("%s scheduler", dev);
        s = setting_add(k, SEC_BLOCK, name, rel, m->kv->value, m->kv->at);
        set_more(s)->data = xstrdup("scheduler");
        free(name);
        if (r == -ENOENT || r == -ENOTDIR)
                setting_fail(k, s, "%s has no I/O scheduler (no /%s)", dev, rel);
        else if (r < 0)
                setting_fail(k, s, "cannot read /%s: %s", rel, strerror(-r));
        else {
                char *target = first_offered(s->want, raw), *better;

                s->cur = bracketed_word(raw);
                s->orig = arena_strdup(&k->settings_arena, s->cur);
                better = better_untried(s->want, raw, s->cur, loads_on_demand(k));
                /* verify: met when the current one is the first wanted one on offer */
                s->verify_met = target && !strcmp(target, s->cur);
                if (!better)
                        s->action = ACT_OK;
                else if (!choice_offered(raw, better))
                        setting_set_note(s, xasprintf("%s is not offered yet: apply tries it "
                                                      "(the kernel loads it on demand)", better));
                if (!s->verify_met && s->action == ACT_OK)
                        s->action = ACT_SET;    /* the current one is not wanted at all */
                free(target);
                free(better);
        }
out:
        free(raw);
        free(rel);
}

/*
 * What the kernel stores for a wanted value: read_ahead_kb is kept in whole
 * pages (rounded down), nr_requests is at least BLKDEV_MIN_RQ (4).
 */
static void stored_value(const char *key, const char *want, char *buf, size_t size)
{
        enum bound bound;
        unsigned long long v = strtoull(value_bound(want, &bound), NULL, 10);
        long page_kb = sysconf(_SC_PAGESIZE) / 1024;

        if (!strcmp(key, "read_ahead_kb") && page_kb > 0)
                v -= v % (unsigned long long)page_kb;
        else if (!strcmp(key, "nr_requests") && v < 4)
                v = 4;
        snprintf(buf, size, "%llu", v);
}

static void plan_plain(struct kvmtune *k, const char *dev, const char *key, const struct dev_match *m)
{
        char *rel = xasprintf("sys/block/%s/queue/%s", dev, key), stored[24];

        stored_value(key, m->kv->value, stored, sizeof(stored));
        devsel_plan_file(k, SEC_BLOCK, dev, key, rel, m, stored);
        free(rel);
}

/* queue/rotational: 1 or 0; a missing file counts as non-rotational; -errno */
static int rotational(struct kvmtune *k, const char *dev)
{
        char *rel = xasprintf("sys/block/%s/queue/rotational", dev), *v = NULL;
        int r = kernfs_read(k, rel, &v);

        if (r == 0)
                r = !strcmp(v, "1");
        else if (r == -ENOENT || r == -ENOTDIR)
                r = 0;
        else
                log_error(k, NULL, "block %s: cannot read /%s: %s", dev, rel, strerror(-r));
        free(v);
        free(rel);
        return r;
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
                int rot = rotational(k, devs[i]);

                if (rot < 0)
                        continue;
                devsel_merge(ds, devs[i], rot, keys, N_KEYS, m);
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

/* An elevator switch can answer EBUSY while the queue is busy: tried again, bounded. */
#define SCHEDULER_TRIES 10

static int write_scheduler(struct kvmtune *k, struct setting *s, const char *name)
{
        int r;

        for (int tries = 1;; tries++) {
                r = kernfs_write(k, s->path, -1, name);
                if (r != -EBUSY || tries == SCHEDULER_TRIES)
                        return r;
                usleep(10000u * (unsigned)tries);
        }
}

/*
 * Try the names in order, up to the current one; the first the device
 * takes wins.  Only the kernel's answer for a name it does not know
 * (EINVAL, ENOENT) moves on to the next; another error fails the setting.
 */
static void apply_scheduler(struct kvmtune *k, struct setting *s)
{
        char *raw = NULL, *cur = NULL, *copy, *save = NULL, *tried = NULL;
        struct cross_files fx = { 0 };
        const char *name = get_more(s)->name, *dev_end = strchr(name, ' ');
        int dev_len = dev_end ? (int)(dev_end - name) : (int)strlen(name);
        char *now_raw = NULL, *now_word = NULL, label[300];
        bool on_demand, noted = false;
        int r;

        if (s->action == ACT_SKIP || s->action == ACT_ERROR)
                return;
        r = kernfs_read(k, s->path, &raw);
        if (r < 0) {
                setting_fail(k, s, "cannot read /%s: %s", s->path, strerror(-r));
                return;
        }
        cur = bracketed_word(raw);
        on_demand = loads_on_demand(k);
        copy = xstrdup(s->want);
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                char *now = NULL, *after = NULL;

                if (!strcmp(w, cur)) {
                        /* current, and nothing earlier was taken */
                        if (noted)
                                revert_unnote(k, s);
                        s->action = ACT_OK;
                        setting_set_cur(s, xstrdup(w));
                        goto out;
                }
                if (!choice_offered(raw, w) && !on_demand)
                        r = -EINVAL;    /* not offered, and nothing can load it */
                else if (!noted && (setting_effects_note(k, s->path, &fx) < 0 || revert_note(k, s) < 0)) {
                        /* the switch resets nr_requests and iosched/: their old values go first */
                        setting_fail(k, s, "not written: the revert record cannot be written");
                        goto out;
                } else {
                        noted = true;
                        r = write_scheduler(k, s, w);
                }
                if (r == 0 && kernfs_read(k, s->path, &now) == 0) {
                        after = bracketed_word(now);
                        if (strcmp(after, w))
                                r = -EINVAL;
                }
                free(now);
                free(after);
                if (r == 0) {
                        s->changed = true;
                        k->n_changes++;
                        log_info(k, "block %s: %s -> %s", name, cur, w);
                        setting_set_cur(s, xstrdup(w));
                        snprintf(label, sizeof(label), "block %s", name);
                        setting_effects_after(k, label, &fx);
                        goto out;
                }
                char *t = tried ? xasprintf("%s, %s (%s)", tried, w, kernfs_strerror(k, r))
                                : xasprintf("%s (%s)", w, kernfs_strerror(k, r));
                free(tried);
                tried = t;
                if (r != -EINVAL && r != -ENOENT) {
                        setting_fail(k, s, "cannot write '%s': %s", w, kernfs_strerror(k, r));
                        goto unnote;
                }
        }
        setting_fail(k, s, "%.*s accepts none of the schedulers: %s; it offers: %s", dev_len, name,
                     tried ? tried : s->want, raw);
unnote:
        /*
         * A write that failed may still have been done (one that returned
         * after the write timeout): the entry stays unless the file reads
         * as it was.
         */
        if (noted && kernfs_read(k, s->path, &now_raw) == 0 && (now_word = bracketed_word(now_raw)) &&
            !strcmp(now_word, cur))
                revert_unnote(k, s);    /* nothing was taken: the file is as it was */
        else if (noted)
                s->changed = true;
        free(now_word);
        free(now_raw);
out:
        cross_files_free(&fx);
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
                if (get_more(s)->data && !strcmp(s->more->data, "scheduler"))
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
