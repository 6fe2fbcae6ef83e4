/* SPDX-License-Identifier: MIT */
/*
 * [block "GLOB ..."]: I/O scheduler (a fallback list, legacy names
 * translated), read_ahead_kb, nr_requests and the active scheduler's
 * tunables (iosched.NAME) for whole disks in /sys/block, optionally only
 * rotational or only non-rotational ones.  A disk that does
 * not exist yet is not an error: udev runs kvmtune --device when it appears.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kvmtune.h"
#include "devsel.h"

enum { K_SCHEDULER, K_READ_AHEAD, K_NR_REQUESTS, N_KEYS };
#define IOSCHED_NAME_MAX 64
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
        } else if (!strncmp(key, "iosched.", 8)) {
                const char *name = key + 8;

                if (!*name || strlen(name) > IOSCHED_NAME_MAX ||
                    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name)) {
                        log_error(k, &at, "block %s: not a scheduler tunable's name (a-z 0-9 _, at most %d bytes)",
                                  key, IOSCHED_NAME_MAX);
                        return -EINVAL;
                }
                /* every tunable of mq-deadline, bfq and kyber is a number */
                if (parse_u64(value, &v) < 0) {
                        log_error(k, &at, "block %s: expected a number, not '%s'", key, value);
                        return -EINVAL;
                }
                char buf[32];
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

static struct setting *plan_scheduler(struct kvmtune *k, const char *dev, const struct dev_match *m)
{
        char *rel = xasprintf("sys/block/%s/queue/scheduler", dev), *name, *raw = NULL;
        struct setting *s = NULL;
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
        return s;
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

/*
 * The tunables given in milliseconds that the scheduler keeps in jiffies
 * (mq-deadline's expiries, bfq's fifo_expire_* and timeout_sync): the file
 * shows the value rounded up to a whole jiffy (250 reads back as 252 at
 * HZ=250).  Such a value is met when it is that rounding under one of the
 * kernel's HZ choices, as the running HZ is not in a file.
 */
static const char *const jiffy_tunables[] = {
        "read_expire", "write_expire", "prio_aging_expire", "fifo_expire_sync", "fifo_expire_async", "timeout_sync",
};

static bool jiffies_equal(const char *cur, const char *want)
{
        static const uint64_t hz[] = { 100, 250, 300, 1000 };
        uint64_t c, w;

        if (fields_equal(cur, want))
                return true;
        if (parse_u64(cur, &c) < 0 || parse_u64(want, &w) < 0 || w > UINT32_MAX)
                return false;
        for (size_t i = 0; i < sizeof(hz) / sizeof(*hz); i++) {
                uint64_t j = (w * hz[i] + 999) / 1000;          /* msecs_to_jiffies() */
                if (c == (j * 1000 + hz[i] - 1) / hz[i])        /* jiffies_to_msecs() */
                        return true;
        }
        return false;
}

static const struct knob_ops jiffy_knob = { .equal = jiffies_equal };

/* the distinct iosched.NAME keys of all sections, in order of appearance */
static const char **iosched_keys(const struct dev_sections *ds, size_t *n)
{
        const char **v = NULL;

        *n = 0;
        for (size_t i = 0; i < ds->n; i++)
                for (size_t j = 0; j < ds->s[i].n_kv; j++) {
                        const char *key = ds->s[i].kv[j].key;
                        bool seen = false;

                        if (strncmp(key, "iosched.", 8))
                                continue;
                        for (size_t x = 0; x < *n && !seen; x++)
                                seen = !strcmp(v[x], key);
                        if (!seen) {
                                v = xgrow(v, *n, sizeof(*v));
                                v[(*n)++] = key;
                        }
                }
        return v;
}

/* "fifo_batch, read_expire, ..." of dev's iosched/ now (malloc'd), or "none" */
static char *iosched_listing(struct kvmtune *k, const char *dev)
{
        char *dir = xasprintf("sys/block/%s/queue/iosched", dev), *out = NULL;
        DIR *d = kernfs_opendir(k, dir);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char *n = out ? xasprintf("%s, %s", out, de->d_name) : xstrdup(de->d_name);
                free(out);
                out = n;
        }
        if (d)
                closedir(d);
        free(dir);
        return out ? out : xstrdup("none");
}

/* the device of a "sys/block/DEV/queue/iosched/NAME" path, malloc'd */
static char *iosched_dev(const char *path)
{
        const char *dev = path + strlen("sys/block/");

        return strndup(dev, strcspn(dev, "/"));
}

/* the active scheduler of dev lacks the setting's tunable: a per-setting error naming what it has */
static void iosched_absent(struct kvmtune *k, struct setting *s)
{
        char *dev = iosched_dev(s->path), *rel = xasprintf("sys/block/%s/queue/scheduler", dev);
        char *raw = NULL, *active = NULL, *has = iosched_listing(k, dev);

        if (kernfs_read(k, rel, &raw) == 0)
                active = bracketed_word(raw);
        setting_fail(k, s, "the active scheduler %s of %s has no tunable %s (its iosched/ has: %s)",
                     active ? active : "?", dev, strrchr(s->path, '/') + 1, has);
        free(active);
        free(raw);
        free(has);
        free(rel);
        free(dev);
}

/*
 * iosched.NAME: the file of the scheduler active once the scheduler setting
 * is applied.  A switch to come makes new files with their defaults: under
 * apply the tunable is read after it (deferred); plan and verify compare
 * with the current scheduler's file when the current one is the one wanted.
 */
static void plan_iosched(struct kvmtune *k, const char *dev, const char *key, const struct dev_match *m,
                         const struct setting *sched)
{
        char *rel = xasprintf("sys/block/%s/queue/iosched/%s", dev, key + 8), *name;
        char *sched_rel = xasprintf("sys/block/%s/queue/scheduler", dev);
        bool switching = sched && sched->action == ACT_SET;
        struct setting *s;
        int has_sched = kernfs_probe(k, sched_rel), r = 0;

        if (has_sched == 0 && !m->literal) {
                log_debug(k, "block %s: no I/O scheduler, no %s", dev, key);
                goto out;
        }
        name = xasprintf("%s %s", dev, key);
        s = setting_add(k, SEC_BLOCK, name, rel, m->kv->value, m->kv->at);
        free(name);
        set_more(s)->data = xstrdup("iosched");
        for (size_t i = 0; i < sizeof(jiffy_tunables) / sizeof(*jiffy_tunables); i++)
                if (!strcmp(key + 8, jiffy_tunables[i]))
                        s->more->knob = &jiffy_knob;
        if (has_sched <= 0) {
                setting_fail(k, s, "%s has no I/O scheduler (no /%s)", dev, sched_rel);
                goto out;
        }
        if (!switching || (k->cmd != CMD_APPLY && sched->verify_met))
                r = kernfs_probe(k, rel);
        if (switching && (k->cmd == CMD_APPLY || r == 0)) {
                s->deferred = true;
                setting_set_note(s, xasprintf("read after the switch to %s, which makes its iosched/ anew",
                                              sched->want));
        } else if (r < 0) {
                setting_fail(k, s, "cannot look up /%s: %s", rel, strerror(-r));
        } else if (r == 0) {
                iosched_absent(k, s);
        } else if ((r = setting_read(k, s)) < 0) {
                setting_fail(k, s, "cannot read /%s: %s", rel, strerror(-r));
        } else {
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        }
out:
        free(sched_rel);
        free(rel);
}

static int block_plan(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_BLOCK];
        const char **io_keys;
        char **devs;
        size_t n, n_io;

        if (!ds || !ds->n)
                return 0;
        io_keys = iosched_keys(ds, &n_io);
        devs = devsel_devices(k, "sys/block", &n);
        for (size_t i = 0; i < n; i++) {
                struct dev_match m[N_KEYS], io;
                struct setting *sched = NULL;
                int rot = rotational(k, devs[i]);

                if (rot < 0)
                        continue;
                devsel_merge(ds, devs[i], rot, keys, N_KEYS, m);
                if (m[K_SCHEDULER].kv)
                        sched = plan_scheduler(k, devs[i], &m[K_SCHEDULER]);
                for (int x = K_READ_AHEAD; x < N_KEYS; x++)
                        if (m[x].kv)
                                plan_plain(k, devs[i], keys[x], &m[x]);
                /* after the scheduler and nr_requests, whose writes change them */
                for (size_t x = 0; x < n_io; x++) {
                        devsel_merge(ds, devs[i], rot, &io_keys[x], 1, &io);
                        if (io.kv)
                                plan_iosched(k, devs[i], io_keys[x], &io, sched);
                }
        }
        devsel_report_absent(k, ds, "block", devs, n);
        devsel_free_list(devs, n);
        free(io_keys);
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

/* a tunable planned before a scheduler switch: read now, under the scheduler it brought */
static void apply_iosched(struct kvmtune *k, struct setting *s)
{
        int r;

        setting_set_note(s, NULL);
        r = setting_read(k, s);
        if (r == -ENOENT || r == -ENOTDIR) {
                iosched_absent(k, s);
                return;
        }
        if (r < 0) {
                setting_fail(k, s, "cannot read: %s", kernfs_strerror(k, r));
                return;
        }
        s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        setting_apply(k, s);
}

static int block_apply(struct kvmtune *k)
{
        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];

                if (s->section != SEC_BLOCK)
                        continue;
                if (get_more(s)->data && !strcmp(s->more->data, "scheduler"))
                        apply_scheduler(k, s);
                else if (s->deferred)
                        apply_iosched(k, s);
                else
                        setting_apply(k, s);
        }
        return 0;
}

static bool block_names_device(struct kvmtune *k, const char *device)
{
        return devsel_names(k->state[SEC_BLOCK], device);
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
        .names_device = block_names_device,
};
