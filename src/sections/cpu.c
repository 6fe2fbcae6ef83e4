/* SPDX-License-Identifier: MIT */
/*
 * [cpu] (every online CPU) and [cpu "LIST"] (a kernel cpulist, "0-3,8"):
 * the cpufreq governor and energy performance preference, the
 * energy_perf_bias, the PM QoS resume latency, which cpuidle states may be
 * entered, intel_pstate's global limits, the governors' tunables
 * (cpugov.c) and the machine-check ignore_ce.  A knob a CPU or its driver
 * does not have is skipped with one notice in plain [cpu] and an error for
 * a CPU named in a list.  A CPU that comes online later gets its settings
 * from the udev rule (--device=cpuN).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"
#include "cpugov.h"
#include "cpuset.h"
#include "devsel.h"

#define CPU_DIR "sys/devices/system/cpu"
#define GOVERNOR_MAX 15                 /* CPUFREQ_NAME_LEN - 1 */
#define RESUME_LATENCY_MAX 2147483646   /* below PM_QOS_RESUME_LATENCY_NO_CONSTRAINT */

enum {
        K_GOVERNOR, K_EPP, K_EPB, K_RESUME, K_IDLE, N_PERCPU,
        K_MAX_PCT = N_PERCPU, K_MIN_PCT, K_NO_TURBO, N_KEYS,
};
static const char *const keys[N_KEYS] = {
        [K_GOVERNOR] = "governor", [K_EPP] = "energy_performance_preference",
        [K_EPB] = "energy_perf_bias", [K_RESUME] = "resume_latency_us",
        [K_IDLE] = "idle_max_latency_us", [K_MAX_PCT] = "max_perf_pct",
        [K_MIN_PCT] = "min_perf_pct", [K_NO_TURBO] = "no_turbo",
};
/* what a CPU lacks when the key's file is missing, for messages */
static const char *const lacks[N_PERCPU] = {
        [K_GOVERNOR] = "cpufreq", [K_EPP] = "cpufreq energy_performance_preference",
        [K_EPB] = "power/energy_perf_bias", [K_RESUME] = "power/pm_qos_resume_latency_us",
        [K_IDLE] = "cpuidle states",
};
/* apply order: intel_pstate's limits (max before min), then per CPU */
static const int key_order[N_KEYS] = {
        [K_MAX_PCT] = 0, [K_MIN_PCT] = 1, [K_NO_TURBO] = 2, [K_GOVERNOR] = 3,
        [K_EPP] = 4, [K_EPB] = 5, [K_RESUME] = 6, [K_IDLE] = 7,
};

/*
 * A [cpu "LIST"] name, or a list kernfs_read() gave: the kernel's cpulist
 * ("0-3,8") with nothing after it; cpuset_parse_list() also takes trailing
 * blanks.  -EINVAL when malformed, -ERANGE past CPUSET_MAX.
 */
static int cpu_list_parse(const char *s, struct cpuset *set)
{
        int r = cpuset_parse_list(s, set);

        if (r == 0 && strchr(" \t\n", s[strlen(s) - 1]))      /* r == 0: s is not empty */
                return -EINVAL;
        return r;
}

bool cpu_list_valid(const char *s)
{
        struct cpuset set;

        return cpu_list_parse(s, &set) == 0;
}

static struct dev_sections *state(struct kvmtune *k)
{
        if (!k->state[SEC_CPU])
                k->state[SEC_CPU] = xcalloc(1, sizeof(struct dev_sections));
        return k->state[SEC_CPU];
}

static int cpu_check_sub(struct kvmtune *k, const char *sub, struct origin at)
{
        struct cpuset set;
        int r = cpu_list_parse(sub, &set);

        devsel_header(state(k));
        if (r == -ERANGE)
                log_error(k, &at, "[cpu \"%s\"]: a CPU number is %d or more", sub, CPUSET_MAX);
        else if (r < 0)
                log_error(k, &at, "[cpu \"%s\"]: not a CPU list such as \"0-3,8\" (numbers and ranges, "
                          "separated by commas)", sub);
        return r;
}

static bool name_ok(const char *w, const char *chars, size_t max)
{
        return *w && strspn(w, chars) == strlen(w) && strlen(w) <= max;
}

/* "performance, schedutil" -> "performance schedutil"; NULL after an error */
static char *parse_governors(struct kvmtune *k, const char *value, struct origin at)
{
        char *copy = xstrdup(value), *save = NULL, *out = NULL;
        bool bad = false;

        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                if (!name_ok(w, "abcdefghijklmnopqrstuvwxyz0123456789_-", GOVERNOR_MAX)) {
                        log_error(k, &at, "cpu governor: invalid name '%s' (a-z 0-9 _ -, at most %d bytes)",
                                  w, GOVERNOR_MAX);
                        bad = true;
                        continue;
                }
                char *n = out ? xasprintf("%s %s", out, w) : xstrdup(w);
                free(out);
                out = n;
        }
        free(copy);
        if (!bad && !out)
                log_error(k, &at, "cpu governor: no governor named");
        if (bad || !out) {
                free(out);
                return NULL;
        }
        return out;
}

/* The value as kvmtune writes it, malloc'd; NULL after an error */
static char *parse_value(struct kvmtune *k, int key, const char *value, struct origin at)
{
        static const struct { const char *word; const char *n; } epb_words[] = {
                { "performance", "0" }, { "balance-performance", "4" }, { "normal", "6" },
                { "balance-power", "8" }, { "power", "15" },
        };
        uint64_t v;
        bool b;

        switch (key) {
        case K_GOVERNOR:
                return parse_governors(k, value, at);
        case K_EPP:
                if (name_ok(value, "abcdefghijklmnopqrstuvwxyz0123456789_", 64))
                        return xstrdup(value);
                log_error(k, &at, "cpu energy_performance_preference: expected one word such as "
                          "balance_performance, not '%s'", value);
                return NULL;
        case K_EPB:
                for (size_t i = 0; i < sizeof(epb_words) / sizeof(*epb_words); i++)
                        if (!strcmp(value, epb_words[i].word))
                                return xstrdup(epb_words[i].n);
                if (parse_u64(value, &v) == 0 && v <= 15)
                        return xasprintf("%u", (unsigned)v);
                log_error(k, &at, "cpu energy_perf_bias: expected 0-15, performance, balance-performance, "
                          "normal, balance-power or power, not '%s'", value);
                return NULL;
        case K_RESUME:
                if (!strcmp(value, "n/a"))
                        return xstrdup(value);
                if (parse_u64(value, &v) == 0 && v <= RESUME_LATENCY_MAX)
                        return xasprintf("%llu", (unsigned long long)v);
                log_error(k, &at, "cpu resume_latency_us: expected microseconds (0: no constraint, "
                          "at most %d) or n/a, not '%s'", RESUME_LATENCY_MAX, value);
                return NULL;
        case K_IDLE:
                if (parse_u64(value, &v) == 0 && v <= UINT32_MAX)
                        return xasprintf("%llu", (unsigned long long)v);
                log_error(k, &at, "cpu idle_max_latency_us: expected microseconds, not '%s'", value);
                return NULL;
        case K_MAX_PCT:
        case K_MIN_PCT:
                if (parse_u64(value, &v) == 0 && v <= 100)
                        return xasprintf("%u", (unsigned)v);
                log_error(k, &at, "cpu %s: expected a percentage 0-100, not '%s'", keys[key], value);
                return NULL;
        case K_NO_TURBO:
                if (parse_bool(value, &b) == 0)
                        return xstrdup(b ? "1" : "0");
                log_error(k, &at, "cpu no_turbo: expected a boolean, not '%s'", value);
                return NULL;
        }
        return NULL;
}

static int cpu_parse(struct kvmtune *k, const char *sub, const char *key, const char *value,
                     struct origin at)
{
        struct dev_section *sec = devsel_current(state(k), sub ? sub : "", at);
        char *v;
        int key_id = -1;

        for (int i = 0; i < N_KEYS; i++)
                if (!strcmp(key, keys[i]))
                        key_id = i;
        if (key_id < 0 && (!strcmp(key, "mce.ignore_ce") || cpugov_is_key(key))) {
                bool b;

                if (sub) {
                        log_error(k, &at, "cpu %s: a system-wide knob, not per CPU: set it in [cpu] without a CPU list",
                                  key);
                        return -EINVAL;
                }
                if (key[0] != 'm')
                        v = cpugov_parse(k, key, value, at);
                else if (parse_bool(value, &b) == 0)
                        v = xstrdup(b ? "1" : "0");
                else {
                        log_error(k, &at, "cpu mce.ignore_ce: expected a boolean, not '%s'", value);
                        v = NULL;
                }
                if (!v)
                        return -EINVAL;
                devsel_set(sec, key, v, at);
                free(v);
                return 0;
        }
        if (key_id < 0) {
                log_error(k, &at, "unknown key '%s' in [cpu]", key);
                return -EINVAL;
        }
        if (key_id >= N_PERCPU && sub) {
                log_error(k, &at, "cpu %s: an intel_pstate knob is global, not per CPU: set it in [cpu] "
                          "without a CPU list", key);
                return -EINVAL;
        }
        v = parse_value(k, key_id, value, at);
        if (!v)
                return -EINVAL;
        devsel_set(sec, key, v, at);
        free(v);
        return 0;
}

/* what one CPU gets for each key after the merge (later sections win) */
struct cpu_match {
        const struct dev_kv *kv;
        bool listed;            /* the winning section names the CPU in a list */
};

/* the plan's working state */
struct cpu_plan {
        struct cpuset *sets;            /* per section; NULL entries: all CPUs */
        bool *is_list;
        struct cpuset missing[N_PERCPU];        /* [cpu] CPUs without the key's knob */
        struct origin missing_at[N_PERCPU];
        const char *missing_want[N_PERCPU];
        struct policy {
                dev_t dev;
                ino_t ino;
                unsigned cpu;
                int key;
                const char *want;
        } *policies;            /* cpufreq directories already planned (shared by CPUs) */
        size_t n_policies;
};

static void merge(const struct dev_sections *ds, const struct cpu_plan *p, unsigned cpu,
                  struct cpu_match *out)
{
        memset(out, 0, N_KEYS * sizeof(*out));
        for (size_t i = 0; i < ds->n; i++) {
                if (p->is_list[i] && !cpuset_has(&p->sets[i], cpu))
                        continue;
                for (size_t j = 0; j < ds->s[i].n_kv; j++)
                        for (int x = 0; x < N_KEYS; x++)
                                if (!strcmp(ds->s[i].kv[j].key, keys[x])) {
                                        out[x].kv = &ds->s[i].kv[j];
                                        out[x].listed = p->is_list[i];
                                }
        }
}

static struct setting *add(struct kvmtune *k, unsigned cpu, const char *what, int key,
                           const char *rel, const char *want, struct origin at)
{
        char *name = xasprintf("cpu%u %s", cpu, what);
        struct setting *s = setting_add(k, SEC_CPU, name, rel, want, at);

        free(name);
        s->order = key_order[key];
        return s;
}

/*
 * A knob this CPU lacks: under plain [cpu] it joins the key's notice (true:
 * nothing more to do); a CPU named in a list gets an error.
 */
static void missing(struct kvmtune *k, struct cpu_plan *p, unsigned cpu, int key,
                    const struct cpu_match *m, const char *rel)
{
        if (!m->listed) {
                cpuset_add(&p->missing[key], cpu);
                p->missing_at[key] = m->kv->at;
                p->missing_want[key] = m->kv->value;
                return;
        }
        struct setting *s = add(k, cpu, keys[key], key, rel, m->kv->value, m->kv->at);
        setting_fail(k, s, "cpu%u has no %s (no /%s)", cpu, lacks[key], rel);
}

/* read s and decide; the file is known to exist */
static void plan_read(struct kvmtune *k, struct setting *s)
{
        int r = setting_read(k, s);

        if (r < 0)
                setting_fail(k, s, "cannot read /%s: %s", s->path, strerror(-r));
        else
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
}

/* A plain per-CPU file (power/energy_perf_bias, power/pm_qos_resume_latency_us) */
static void plan_plain(struct kvmtune *k, struct cpu_plan *p, unsigned cpu, int key,
                       const struct cpu_match *m, const char *file)
{
        char *rel = xasprintf(CPU_DIR "/cpu%u/%s", cpu, file);
        int r = kernfs_probe(k, rel);

        if (r == 0)
                missing(k, p, cpu, key, m, rel);
        else {
                struct setting *s = add(k, cpu, keys[key], key, rel, m->kv->value, m->kv->at);
                if (r < 0)
                        setting_fail(k, s, "cannot look up /%s: %s", rel, strerror(-r));
                else
                        plan_read(k, s);
        }
        free(rel);
}

/* the first name of the list that raw offers, malloc'd, or NULL */
static char *first_offered(const char *list, const char *raw)
{
        char *copy = xstrdup(list), *save = NULL, *found = NULL;

        for (char *w = strtok_r(copy, " ", &save); w && !found; w = strtok_r(NULL, " ", &save))
                if (choice_offered(raw, w))
                        found = xstrdup(w);
        free(copy);
        return found;
}

/*
 * governor and energy_performance_preference live in the CPU's cpufreq
 * directory, which is its policy's (cpuN/cpufreq is a link to
 * cpufreq/policyM, shared by the CPUs of the policy): planned once per
 * policy; two CPUs of one policy that want different values are an error.
 */
static void plan_cpufreq(struct kvmtune *k, struct cpu_plan *p, unsigned cpu, int key,
                         const struct cpu_match *m)
{
        static const char *const files[][2] = {
                [K_GOVERNOR] = { "scaling_governor", "scaling_available_governors" },
                [K_EPP] = { "energy_performance_preference", "energy_performance_available_preferences" },
        };
        char *dir = xasprintf(CPU_DIR "/cpu%u/cpufreq", cpu);
        char *rel = xasprintf("%s/%s", dir, files[key][0]);
        char *avail = xasprintf("%s/%s", dir, files[key][1]);
        char *raw = NULL, *target = NULL;
        struct setting *s;
        struct stat st;
        int r = kernfs_stat(k, dir, &st);

        if (r == -ENOENT || r == -ENOTDIR || (r == 0 && (r = kernfs_probe(k, rel)) == 0)) {
                missing(k, p, cpu, key, m, r == 0 ? rel : dir);
                goto out;
        }
        for (size_t i = 0; r >= 0 && i < p->n_policies; i++) {
                const struct policy *o = &p->policies[i];
                if (o->dev != st.st_dev || o->ino != st.st_ino || o->key != key)
                        continue;
                if (strcmp(o->want, m->kv->value)) {
                        s = add(k, cpu, keys[key], key, rel, m->kv->value, m->kv->at);
                        setting_fail(k, s, "cpu%u shares its cpufreq policy with cpu%u, which gets '%s'",
                                     cpu, o->cpu, o->want);
                }
                goto out;       /* the same value: planned with that CPU */
        }
        if (r < 0) {
                s = add(k, cpu, keys[key], key, rel, m->kv->value, m->kv->at);
                setting_fail(k, s, "cannot look up /%s: %s", dir, strerror(-r));
                goto out;
        }
        p->policies = xgrow(p->policies, p->n_policies, sizeof(*p->policies));
        p->policies[p->n_policies++] = (struct policy){ st.st_dev, st.st_ino, cpu, key, m->kv->value };
        /* a fallback list: the setting is the first name on offer */
        r = kernfs_read(k, avail, &raw);
        target = r == 0 ? first_offered(m->kv->value, raw) : NULL;
        s = add(k, cpu, keys[key], key, rel, target ? target : m->kv->value, m->kv->at);
        if (r < 0) {
                setting_fail(k, s, "cannot read /%s: %s", avail, strerror(-r));
                goto out;
        }
        if (!target) {
                setting_fail(k, s, "cpu%u offers none of: %s (it offers: %s)", cpu, m->kv->value, raw);
                goto out;
        }
        if (strcmp(target, m->kv->value))
                setting_set_note(s, xasprintf("the first of '%s' that cpu%u offers", m->kv->value, cpu));
        plan_read(k, s);
out:
        free(target);
        free(raw);
        free(avail);
        free(rel);
        free(dir);
}

static int cmp_state(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? -1 : x > y;
}

/* cpuidle: every state whose exit latency exceeds the limit disabled, the others enabled */
static void plan_idle(struct kvmtune *k, struct cpu_plan *p, unsigned cpu, const struct cpu_match *m)
{
        char *dir = xasprintf(CPU_DIR "/cpu%u/cpuidle", cpu);
        unsigned long long limit = strtoull(m->kv->value, NULL, 10);
        unsigned *states = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d = kernfs_opendir(k, dir);

        if (!d) {
                if (errno == ENOENT || errno == ENOTDIR)
                        missing(k, p, cpu, K_IDLE, m, dir);
                else {
                        struct setting *s = add(k, cpu, "cpuidle", K_IDLE, NULL, m->kv->value, m->kv->at);
                        setting_fail(k, s, "cannot list /%s: %s", dir, strerror(errno));
                }
                free(dir);
                return;
        }
        while ((de = readdir(d))) {
                const char *end;
                unsigned st;

                if (strncmp(de->d_name, "state", 5) || cpuset_parse_cpu(de->d_name + 5, &end, &st) < 0 || *end)
                        continue;
                states = xgrow(states, n, sizeof(*states));
                states[n++] = st;
        }
        closedir(d);
        if (!n)
                missing(k, p, cpu, K_IDLE, m, dir);
        if (n)
                qsort(states, n, sizeof(*states), cmp_state);
        for (size_t i = 0; i < n; i++) {
                char *lat_rel = xasprintf("%s/state%u/latency", dir, states[i]);
                char *rel = xasprintf("%s/state%u/disable", dir, states[i]);
                char *what = xasprintf("cpuidle state%u disable", states[i]);
                char *lat = NULL, *name = NULL, *name_rel = xasprintf("%s/state%u/name", dir, states[i]);
                uint64_t us = 0;
                int r = kernfs_read(k, lat_rel, &lat);
                bool deep = r == 0 && parse_u64(lat, &us) == 0 && us > limit;
                struct setting *s = add(k, cpu, what, K_IDLE, rel, deep ? "1" : "0", m->kv->at);

                if (kernfs_read(k, name_rel, &name) < 0) {
                        free(name);
                        name = NULL;
                }
                if (r < 0 || parse_u64(lat, &us) < 0)
                        setting_fail(k, s, "cannot read the exit latency /%s: %s", lat_rel,
                                     r < 0 ? strerror(-r) : "not a number");
                else {
                        setting_set_note(s, xasprintf("%s%s%llu us %s %llu us", name ? name : "", name ? ": " : "",
                                            (unsigned long long)us, deep ? ">" : "<=", limit));
                        r = kernfs_probe(k, rel);
                        if (r > 0)
                                plan_read(k, s);
                        else
                                setting_fail(k, s, "cannot look up /%s: %s", rel, r ? strerror(-r) : "no such file");
                }
                free(lat);
                free(name);
                free(name_rel);
                free(what);
                free(rel);
                free(lat_rel);
        }
        free(states);
        free(dir);
}

/* intel_pstate's global limits: one setting each, not per CPU */
static void plan_global(struct kvmtune *k, int key, const struct dev_kv *kv, const struct dev_kv *min_kv,
                        const struct dev_kv *max_kv)
{
        char *rel = xasprintf(CPU_DIR "/intel_pstate/%s", keys[key]);
        struct setting *s = setting_add(k, SEC_CPU, keys[key], rel, kv->value, kv->at);
        int r = kernfs_probe(k, rel);

        s->order = key_order[key];
        if (r == 0) {
                setting_skip(s, "no /%s: intel_pstate is not the cpufreq driver here", rel);
                log_notice(k, &kv->at, "cpu %s: skipped, no /%s (intel_pstate is not this system's cpufreq driver)",
                           keys[key], rel);
        } else if (r < 0)
                setting_fail(k, s, "cannot look up /%s: %s", rel, strerror(-r));
        else if (key == K_MIN_PCT && max_kv && strtoul(min_kv->value, NULL, 10) > strtoul(max_kv->value, NULL, 10))
                setting_fail(k, s, "min_perf_pct %s is above max_perf_pct %s (at %s:%u): the kernel would "
                             "store %s", min_kv->value, max_kv->value, max_kv->at.file, max_kv->at.line,
                             max_kv->value);
        else
                plan_read(k, s);
        free(rel);
}

/*
 * mce.ignore_ce: one system-wide value (mca_cfg.ignore_ce) that every
 * machinecheckN/ignore_ce shows; written through the first, the kernel
 * changes the others (crosswrite.c).  No machine-check devices: skipped.
 */
static void plan_mce(struct kvmtune *k, const struct dev_kv *kv)
{
        DIR *d = kernfs_opendir(k, "sys/devices/system/machinecheck");
        long first = -1;
        struct dirent *de;
        struct setting *s;
        char *rel;

        while (d && (de = readdir(d))) {
                const char *end;
                unsigned n;

                if (!strncmp(de->d_name, "machinecheck", 12) && cpuset_parse_cpu(de->d_name + 12, &end, &n) == 0 &&
                    !*end && (first < 0 || n < first))
                        first = n;
        }
        if (d)
                closedir(d);
        rel = xasprintf("sys/devices/system/machinecheck/machinecheck%ld/ignore_ce", first);
        s = setting_add(k, SEC_CPU, "mce.ignore_ce", first < 0 ? NULL : rel, kv->value, kv->at);
        s->order = key_order[K_NO_TURBO];
        if (first < 0) {
                setting_skip(s, "no /sys/devices/system/machinecheck: no machine-check devices here");
                log_notice(k, &kv->at, "cpu mce.ignore_ce: skipped, no /sys/devices/system/machinecheck "
                           "(no machine-check devices: not x86, or mce=off)");
        } else {
                plan_read(k, s);
        }
        free(rel);
}

/* --device=cpuN: N, or -1 when the name is not a CPU's */
static int device_cpu(const char *device)
{
        const char *end;
        unsigned cpu;

        if (strncmp(device, "cpu", 3) || (device[3] == '0' && device[4]) ||
            cpuset_parse_cpu(device + 3, &end, &cpu) < 0 || *end)
                return -1;
        return (int)cpu;
}

/* the first key of a section, for messages about the section */
static const struct origin *section_at(const struct dev_section *sec)
{
        return sec->n_kv ? &sec->kv[0].at : NULL;
}

/* CPUs named in lists that this system does not have: an error; offline ones: later, by udev */
static void check_lists(struct kvmtune *k, const struct dev_sections *ds, const struct cpu_plan *p,
                        const struct cpuset *online)
{
        struct cpuset possible;
        char *raw = NULL;
        bool have_possible = kernfs_read(k, CPU_DIR "/possible", &raw) == 0 && cpu_list_parse(raw, &possible) == 0;

        free(raw);
        for (size_t i = 0; i < ds->n; i++) {
                struct cpuset absent = { 0 }, offline = { 0 };

                if (!p->is_list[i] || !ds->s[i].n_kv)
                        continue;
                for (unsigned c = 0; c < CPUSET_MAX; c++) {
                        if (!cpuset_has(&p->sets[i], c) || cpuset_has(online, c))
                                continue;
                        char *rel = xasprintf(CPU_DIR "/cpu%u", c);
                        bool exists = have_possible ? cpuset_has(&possible, c) : kernfs_probe(k, rel) > 0;
                        free(rel);
                        cpuset_add(exists ? &offline : &absent, c);
                }
                if (!cpuset_empty(&absent)) {
                        char *list = cpuset_list(&absent);
                        log_error(k, section_at(&ds->s[i]), "[cpu \"%s\"]: this system has no CPU %s",
                                  ds->s[i].sub, list);
                        free(list);
                }
                if (!cpuset_empty(&offline)) {
                        char *list = cpuset_list(&offline);
                        log_debug(k, "cpu %s: offline; its settings apply when it comes online", list);
                        free(list);
                }
        }
}

static int cpu_plan(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_CPU];
        struct cpu_plan *p;
        struct cpuset *online;
        size_t first = k->n_settings, n_cpus = 0;
        unsigned *cpus = NULL;
        char *raw = NULL;
        int dev_cpu = -1, r;

        if (!ds || !ds->n)
                return 0;
        if (k->device && (dev_cpu = device_cpu(k->device)) < 0)
                return 0;       /* a disk or an interface: nothing here */
        p = xcalloc(1, sizeof(*p));
        online = xcalloc(1, sizeof(*online));
        p->sets = xcalloc(ds->n, sizeof(*p->sets));
        p->is_list = xcalloc(ds->n, sizeof(*p->is_list));
        for (size_t i = 0; i < ds->n; i++)
                p->is_list[i] = *ds->s[i].sub && cpu_list_parse(ds->s[i].sub, &p->sets[i]) == 0;
        r = kernfs_read(k, CPU_DIR "/online", &raw);
        if (r < 0 || cpu_list_parse(raw, online) < 0) {
                log_error(k, NULL, "cpu: cannot read the online CPUs from /" CPU_DIR "/online: %s",
                          r < 0 ? strerror(-r) : "not a CPU list");
                goto out;
        }
        if (!k->device) {
                const struct dev_kv *g[N_KEYS] = { 0 }, *mce = NULL;

                check_lists(k, ds, p, online);
                for (size_t i = 0; i < ds->n; i++)
                        for (size_t j = 0; j < ds->s[i].n_kv; j++)
                                for (int x = N_PERCPU; x < N_KEYS; x++)
                                        if (!strcmp(ds->s[i].kv[j].key, keys[x]))
                                                g[x] = &ds->s[i].kv[j];
                for (int x = N_PERCPU; x < N_KEYS; x++)
                        if (g[x])
                                plan_global(k, x, g[x], g[K_MIN_PCT], g[K_MAX_PCT]);
                for (size_t i = 0; i < ds->n; i++)
                        for (size_t j = 0; j < ds->s[i].n_kv; j++)
                                if (!strcmp(ds->s[i].kv[j].key, "mce.ignore_ce"))
                                        mce = &ds->s[i].kv[j];
                if (mce)
                        plan_mce(k, mce);
        } else if (!cpuset_has(online, (unsigned)dev_cpu)) {
                log_debug(k, "cpu %s: not online; its settings apply when it comes online", k->device);
                goto out;
        }
        for (unsigned c = 0; c < CPUSET_MAX; c++) {
                struct cpu_match m[N_KEYS];

                if (!cpuset_has(online, c) || (dev_cpu >= 0 && c != (unsigned)dev_cpu))
                        continue;
                merge(ds, p, c, m);
                if (m[K_GOVERNOR].kv)
                        plan_cpufreq(k, p, c, K_GOVERNOR, &m[K_GOVERNOR]);
                if (m[K_EPP].kv)
                        plan_cpufreq(k, p, c, K_EPP, &m[K_EPP]);
                if (m[K_EPB].kv)
                        plan_plain(k, p, c, K_EPB, &m[K_EPB], "power/energy_perf_bias");
                if (m[K_RESUME].kv)
                        plan_plain(k, p, c, K_RESUME, &m[K_RESUME], "power/pm_qos_resume_latency_us");
                if (m[K_IDLE].kv)
                        plan_idle(k, p, c, &m[K_IDLE]);
                if (!k->device) {
                        cpus = xgrow(cpus, n_cpus, sizeof(*cpus));
                        cpus[n_cpus++] = c;
                }
        }
        /* the governors' tunables, once the governors are planned */
        if (!k->device)
                cpugov_plan(k, ds, cpus, n_cpus, first);
        /* plain [cpu]: one notice and one skipped setting per key for the CPUs without its knob */
        for (int x = 0; x < N_PERCPU; x++) {
                if (cpuset_empty(&p->missing[x]))
                        continue;
                char *list = cpuset_list(&p->missing[x]);
                char *name = xasprintf("cpu%s %s", list, keys[x]);
                struct setting *s = setting_add(k, SEC_CPU, name, NULL, p->missing_want[x], p->missing_at[x]);

                s->order = key_order[x];
                setting_skip(s, "no %s on this CPU or its driver", lacks[x]);
                /* once at boot, not again for every CPU that udev reports */
                if (k->device)
                        log_debug(k, "cpu %s: skipped: no %s on CPU %s", keys[x], lacks[x], list);
                else
                        log_notice(k, &p->missing_at[x], "cpu %s: skipped: no %s on CPU %s", keys[x], lacks[x], list);
                free(name);
                free(list);
        }
        settings_sort(k, first);
out:
        free(cpus);
        free(raw);
        free(online);
        free(p->sets);
        free(p->is_list);
        free(p->policies);
        free(p);
        return 0;
}

static void cpu_free(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_CPU];

        if (!ds)
                return;
        devsel_free(ds);
        free(ds);
        k->state[SEC_CPU] = NULL;
}

/* a [cpu] section with keys that takes in this CPU: plain [cpu], or its list has it */
static bool cpu_names_device(struct kvmtune *k, const char *device)
{
        struct dev_sections *ds = k->state[SEC_CPU];
        int cpu = device_cpu(device);

        for (size_t i = 0; ds && cpu >= 0 && i < ds->n; i++) {
                struct cpuset set;

                if (!ds->s[i].n_kv)
                        continue;
                if (!*ds->s[i].sub || cpu_list_parse(ds->s[i].sub, &set) < 0 ||
                    cpuset_has(&set, (unsigned)cpu))
                        return true;
        }
        return false;
}

const struct section_ops cpu_section = {
        .name = "cpu",
        .subsection = SUB_OPTIONAL,
        .parse = cpu_parse,
        .check_sub = cpu_check_sub,
        .plan = cpu_plan,
        .free = cpu_free,
        .names_device = cpu_names_device,
};
