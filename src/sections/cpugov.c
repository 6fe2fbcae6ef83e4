/* SPDX-License-Identifier: MIT */
/*
 * [cpu] GOVERNOR.TUNABLE: the tunables of a cpufreq governor (ondemand's
 * up_threshold, conservative's down_threshold, schedutil's rate_limit_us,
 * ...), for cpu.c.  A governor's tunables exist while it governs a policy:
 * in cpufreq/GOVERNOR/ for the whole system, or in each policy's
 * directory where the driver keeps them per policy.  A tunable is valid only
 * for a governor that a policy runs after the [cpu] governor key; it is
 * applied after that key, and read after the switch when the switch brings
 * the governor (which makes its directory with the defaults).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"
#include "cpugov.h"

#define CPU_DIR "sys/devices/system/cpu"

static const struct gov_tunable {
        const char *gov, *name;
        uint64_t min, max;      /* the kernel refuses a value outside with EINVAL */
} tunables[] = {
        { "ondemand", "up_threshold", 1, 100 },
        { "ondemand", "sampling_rate", 1, UINT32_MAX },
        { "ondemand", "sampling_down_factor", 1, 100000 },
        { "ondemand", "ignore_nice_load", 0, 1 },
        { "ondemand", "powersave_bias", 0, 1000 },
        { "ondemand", "io_is_busy", 0, 1 },
        { "conservative", "up_threshold", 1, 100 },     /* and above down_threshold */
        { "conservative", "down_threshold", 1, 99 },    /* and below up_threshold */
        { "conservative", "freq_step", 0, 100 },
        { "conservative", "sampling_down_factor", 1, 10 },
        { "conservative", "ignore_nice_load", 0, 1 },
        { "conservative", "sampling_rate", 1, UINT32_MAX },
        { "schedutil", "rate_limit_us", 0, UINT32_MAX },
};

#define N_TUNABLES (sizeof(tunables) / sizeof(*tunables))

static const struct gov_tunable *lookup(const char *key)
{
        size_t gl = strcspn(key, ".");

        for (size_t i = 0; i < N_TUNABLES; i++)
                if (strlen(tunables[i].gov) == gl && !strncmp(key, tunables[i].gov, gl) &&
                    key[gl] == '.' && !strcmp(key + gl + 1, tunables[i].name))
                        return &tunables[i];
        return NULL;
}

bool cpugov_is_key(const char *key)
{
        size_t gl = strcspn(key, ".");

        for (size_t i = 0; i < N_TUNABLES; i++)
                if (strlen(tunables[i].gov) == gl && !strncmp(key, tunables[i].gov, gl) && key[gl] == '.')
                        return true;
        return false;
}

int cpugov_value(const char *key, const char *value, char **out)
{
        const struct gov_tunable *t = lookup(key);
        uint64_t v;
        bool b;

        *out = NULL;
        if (!t)
                return -ENOENT;
        if (t->max == 1 && parse_bool(value, &b) == 0)
                *out = xstrdup(b ? "1" : "0");
        else if (parse_u64(value, &v) == 0 && v >= t->min && v <= t->max)
                *out = xasprintf("%llu", (unsigned long long)v);
        return *out ? 0 : -EINVAL;
}

char *cpugov_parse(struct kvmtune *k, const char *key, const char *value, struct origin at)
{
        size_t gl = strcspn(key, ".");
        char *out, *names = NULL;
        int r = cpugov_value(key, value, &out);

        if (r == 0)
                return out;
        if (r == -EINVAL) {
                const struct gov_tunable *t = lookup(key);
                log_error(k, &at, "cpu %s: expected a number from %llu to %llu, not '%s'", key,
                          (unsigned long long)t->min, (unsigned long long)t->max, value);
                return NULL;
        }
        for (size_t i = 0; i < N_TUNABLES; i++) {
                if (strncmp(key, tunables[i].gov, gl) || tunables[i].gov[gl])
                        continue;
                char *n = names ? xasprintf("%s, %s", names, tunables[i].name) : xstrdup(tunables[i].name);
                free(names);
                names = n;
        }
        log_error(k, &at, "unknown key '%s' in [cpu] (%.*s's tunables: %s)", key, (int)gl, key, names ? names : "none");
        free(names);
        return NULL;
}

/* a cpufreq policy as the plan sees it */
struct policy {
        unsigned cpu;           /* its first online CPU: cpuN/cpufreq leads to it */
        dev_t dev;
        ino_t ino;
        char *gov;              /* the governor it runs after the [cpu] governor key */
        bool switching;         /* that key changes it */
};

static void policies_free(struct policy *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(p[i].gov);
        free(p);
}

/* the governor setting cpu.c planned for the policy of cpu, or NULL */
static const struct setting *governor_setting(struct kvmtune *k, size_t first, unsigned cpu)
{
        char *rel = xasprintf(CPU_DIR "/cpu%u/cpufreq/scaling_governor", cpu);
        const struct setting *found = NULL;

        for (size_t i = first; i < k->n_settings && !found; i++)
                if (k->settings[i]->section == SEC_CPU && k->settings[i]->path &&
                    !strcmp(k->settings[i]->path, rel))
                        found = k->settings[i];
        free(rel);
        return found;
}

static struct policy *policies(struct kvmtune *k, const unsigned *cpus, size_t n_cpus, size_t first, size_t *n)
{
        struct policy *v = NULL;

        *n = 0;
        for (size_t i = 0; i < n_cpus; i++) {
                char *dir = xasprintf(CPU_DIR "/cpu%u/cpufreq", cpus[i]), *rel, *cur = NULL;
                const struct setting *gs;
                struct stat st;
                bool seen = false;

                if (kernfs_stat(k, dir, &st) < 0) {
                        free(dir);
                        continue;
                }
                for (size_t j = 0; j < *n && !seen; j++)
                        seen = v[j].dev == st.st_dev && v[j].ino == st.st_ino;
                rel = xasprintf("%s/scaling_governor", dir);
                if (!seen && kernfs_read(k, rel, &cur) == 0) {
                        v = xgrow(v, *n, sizeof(*v));
                        v[*n] = (struct policy){ cpus[i], st.st_dev, st.st_ino, cur, false };
                        gs = governor_setting(k, first, cpus[i]);
                        if (gs && gs->action == ACT_SET && gs->want) {
                                free(v[*n].gov);
                                v[*n].gov = xstrdup(gs->want);
                                v[*n].switching = true;
                        }
                        (*n)++;
                } else {
                        free(cur);
                }
                free(rel);
                free(dir);
        }
        return v;
}

/* does the driver keep governor tunables per policy: a governor directory in a policy's */
static bool per_policy(struct kvmtune *k, const struct policy *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                for (size_t t = 0; t < N_TUNABLES; t++) {
                        char *rel = xasprintf(CPU_DIR "/cpu%u/cpufreq/%s", p[i].cpu, tunables[t].gov);
                        int r = kernfs_probe(k, rel);

                        free(rel);
                        if (r > 0)
                                return true;
                }
        return false;
}

static void plan_file(struct kvmtune *k, struct setting *s, bool switching, const char *gov)
{
        int r = kernfs_probe(k, s->path);

        s->order = CPUGOV_ORDER;
        if (r == 0 && switching) {
                /* the switch makes the directory: read after it */
                s->deferred = true;
                setting_set_note(s, xasprintf("read after the switch to %s, which makes its tunables", gov));
        } else if (r == 0) {
                setting_fail(k, s, "no /%s: %s governs no policy here", s->path, gov);
        } else if (r < 0 || (r = setting_read(k, s)) < 0) {
                setting_fail(k, s, "cannot read /%s: %s", s->path, strerror(-r));
        } else {
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        }
}

/* the configured value of key in plain [cpu] (later sections win), or NULL */
static const struct dev_kv *configured(const struct dev_sections *ds, const char *key)
{
        const struct dev_kv *kv = NULL;

        for (size_t i = 0; i < ds->n; i++)
                for (size_t j = 0; !*ds->s[i].sub && j < ds->s[i].n_kv; j++)
                        if (!strcmp(ds->s[i].kv[j].key, key))
                                kv = &ds->s[i].kv[j];
        return kv;
}

/* "performance on cpu0, powersave on cpu4": what the policies run, for messages */
static char *governors_shown(const struct policy *p, size_t n)
{
        char *out = NULL;

        for (size_t i = 0; i < n; i++) {
                char *s = out ? xasprintf("%s, %s on cpu%u", out, p[i].gov, p[i].cpu)
                              : xasprintf("%s on cpu%u", p[i].gov, p[i].cpu);
                free(out);
                out = s;
        }
        return out ? out : xstrdup("no cpufreq policy");
}

static void plan_tunable(struct kvmtune *k, const struct gov_tunable *t, const struct dev_kv *kv,
                         const struct policy *p, size_t n, bool policy_dirs)
{
        char key[64];
        bool any = false, switching = false;
        struct setting *s;

        snprintf(key, sizeof(key), "%s.%s", t->gov, t->name);
        for (size_t i = 0; i < n; i++)
                if (!strcmp(p[i].gov, t->gov)) {
                        any = true;
                        switching |= p[i].switching;
                }
        if (!n) {
                /* as the governor key: no cpufreq here is not an error of plain [cpu] */
                s = setting_add(k, SEC_CPU, key, NULL, kv->value, kv->at);
                s->order = CPUGOV_ORDER;
                setting_skip(s, "no cpufreq on this system");
                log_notice(k, &kv->at, "cpu %s: skipped: no cpufreq on this system", key);
                return;
        }
        if (!any) {
                char *shown = governors_shown(p, n);

                s = setting_add(k, SEC_CPU, key, NULL, kv->value, kv->at);
                s->order = CPUGOV_ORDER;
                setting_fail(k, s, "%s is not the governor of any policy (%s) and [cpu] governor does not make it one",
                             t->gov, shown);
                free(shown);
                return;
        }
        if (!policy_dirs) {
                char *rel = xasprintf(CPU_DIR "/cpufreq/%s/%s", t->gov, t->name);

                s = setting_add(k, SEC_CPU, key, rel, kv->value, kv->at);
                plan_file(k, s, switching, t->gov);
                free(rel);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                if (strcmp(p[i].gov, t->gov))
                        continue;
                char *rel = xasprintf(CPU_DIR "/cpu%u/cpufreq/%s/%s", p[i].cpu, t->gov, t->name);
                char *name = xasprintf("cpu%u %s", p[i].cpu, key);

                s = setting_add(k, SEC_CPU, name, rel, kv->value, kv->at);
                plan_file(k, s, p[i].switching, t->gov);
                free(name);
                free(rel);
        }
}

/*
 * conservative refuses an up_threshold not above down_threshold and a
 * down_threshold not below up_threshold: the two together must hold, and
 * the one that keeps the rule holding between the two writes goes first.
 */
static bool conservative_order(struct kvmtune *k, const struct dev_kv *up, const struct dev_kv *down,
                               bool *up_first)
{
        char *raw = NULL;
        uint64_t cur_up = 80;   /* DEF_FREQUENCY_UP_THRESHOLD, the value after a switch */

        *up_first = true;
        if (!up || !down)
                return true;
        if (strtoull(up->value, NULL, 10) <= strtoull(down->value, NULL, 10)) {
                log_error(k, &up->at, "cpu conservative.up_threshold %s is not above conservative.down_threshold %s "
                          "(at %s:%u): the kernel refuses it", up->value, down->value, down->at.file, down->at.line);
                return false;
        }
        if (kernfs_read(k, CPU_DIR "/cpufreq/conservative/up_threshold", &raw) == 0)
                parse_u64(raw, &cur_up);
        free(raw);
        /* raising up first keeps it above the old down; lowering it, down goes first */
        *up_first = strtoull(up->value, NULL, 10) > cur_up;
        return true;
}

void cpugov_plan(struct kvmtune *k, const struct dev_sections *ds, const unsigned *cpus, size_t n_cpus, size_t first)
{
        const struct dev_kv *kv[N_TUNABLES];
        struct policy *p = NULL;
        size_t n = 0, up = N_TUNABLES, down = N_TUNABLES;
        bool any = false, dirs = false, up_first = true;

        for (size_t i = 0; i < N_TUNABLES; i++) {
                char key[64];

                snprintf(key, sizeof(key), "%s.%s", tunables[i].gov, tunables[i].name);
                kv[i] = configured(ds, key);
                any |= kv[i] != NULL;
                if (!strcmp(tunables[i].gov, "conservative") && !strcmp(tunables[i].name, "up_threshold"))
                        up = i;
                else if (!strcmp(tunables[i].gov, "conservative") && !strcmp(tunables[i].name, "down_threshold"))
                        down = i;
        }
        if (!any)
                return;
        p = policies(k, cpus, n_cpus, first, &n);
        dirs = per_policy(k, p, n);
        if (!conservative_order(k, kv[up], kv[down], &up_first))
                kv[up] = kv[down] = NULL;
        for (size_t i = 0; i < N_TUNABLES; i++) {
                size_t t = i == up && !up_first ? down : i == down && !up_first ? up : i;

                if (kv[t])
                        plan_tunable(k, &tunables[t], kv[t], p, n, dirs);
        }
        policies_free(p, n);
}
