/* SPDX-License-Identifier: MIT */
/*
 * Settings by their meaning, shared by the readers: a sysctl, a hugepage
 * pool, a block or network device key, the conntrack hash size, a module;
 * and the kernel files that echo, sysfsutils and tmpfiles.d write, mapped to
 * those.  Every value is checked the way the section parsers check it, so
 * the configuration printed is one kvmtune accepts.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"

/* IRQ and workqueue affinity: kvmtune derives them from the cores kept free */
#define ISOLATION_WHY "interrupt and workqueue affinity come from [isolation]: cpus = LIST (the cores kept " \
                      "free) moves every IRQ, default_smp_affinity, the workqueue cpumasks and irqbalance to " \
                      "the other CPUs; write that section instead (see kvmtune.conf(5))"

/* absolute, no empty, "." or ".." component, no trailing '/' */
bool imp_path_canonical(const char *path)
{
        const char *p = path;

        if (*p != '/')
                return false;
        p++;
        while (*p) {
                size_t n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/' && !*++p)
                        return false;
        }
        return p != path + 1;
}

bool imp_devname_valid(const char *name, size_t max)
{
        size_t n = strlen(name);

        return n && (!max || n <= max) && strcmp(name, ".") && strcmp(name, "..") &&
               strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@+-") == n;
}

/* a glob over device names, as a [block "GLOB"] or [netdev "GLOB"] subsection holds it */
bool imp_devglob_valid(const char *glob, size_t max)
{
        size_t n = strlen(glob);

        return n && (!max || n <= max) && strpbrk(glob, "*?[") && strcmp(glob, ".") && strcmp(glob, "..") &&
               strspn(glob, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@+-*?[]!") == n;
}

/*
 * A device subsection: names or globs separated by one space ("sd* vd*"),
 * up to an optional \x1e that keeps a udev rule's rotational filter apart.
 */
static bool devsel_valid(const char *sub, size_t max)
{
        size_t end = strcspn(sub, "\x1e");
        char *copy = strndup(sub, end), *save = NULL;
        bool ok = copy && *copy && copy[0] != ' ' && copy[strlen(copy) - 1] != ' ' && !strstr(copy, "  ");

        for (char *w = ok ? strtok_r(copy, " ", &save) : NULL; w && ok; w = strtok_r(NULL, " ", &save))
                ok = !strcmp(w, "*") || imp_devname_valid(w, max) || imp_devglob_valid(w, max);
        free(copy);
        return ok;
}

static bool number(const char *v, uint64_t max, uint64_t min)
{
        uint64_t n;

        return parse_u64(v, &n) == 0 && n <= max && n >= min;
}

/* one word a config value can hold: no blank, no bracket, no comment mark */
static bool one_word(const char *v)
{
        return *v && !strpbrk(v, " \t[]#;\"") && !has_control_char(v);
}

char *imp_size_name(uint64_t kb)
{
        if (kb && kb % (1024 * 1024) == 0)
                return xasprintf("%lluG", (unsigned long long)(kb / (1024 * 1024)));
        if (kb && kb % 1024 == 0)
                return xasprintf("%lluM", (unsigned long long)(kb / 1024));
        return xasprintf("%llukB", (unsigned long long)kb);
}

static char *path_to_key(const char *path)
{
        char *key = xstrdup(path);

        for (char *p = key; *p; p++)
                *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
        return key;
}

/* whitespace runs to one space; NULL when a config value cannot hold it */
static char *clean_value(struct imp *im, const char *value)
{
        char *v = xcalloc(1, strlen(value) + 1), *o = v;

        value += strspn(value, " \t");
        for (const char *p = value; *p; p++) {
                if (*p == ' ' || *p == '\t') {
                        p += strspn(p, " \t") - 1;
                        if (p[1])
                                *o++ = ' ';
                } else {
                        *o++ = *p;
                }
        }
        *o = '\0';
        if (!*v) {
                free(v);
                imp_why(im, "no value");
                return NULL;
        }
        if (strlen(v) > KVMTUNE_MAX_VALUE || has_control_char(v) || *v == '#' || *v == ';' ||
            strstr(v, " #") || strstr(v, " ;")) {
                free(v);
                imp_why(im, "the value cannot be written in a configuration file (too long, a control "
                            "character, or a ' #' / ' ;' that would start a comment)");
                return NULL;
        }
        return v;
}

int imp_sysctl(struct imp *im, const char *key, const char *value, bool minus, const struct imp_src *src)
{
        char *path, *v, *shown_key, *k2, buf[80], rel[300];
        struct imp_entry *e;
        bool missing = false;

        if (*key == '-') {
                minus = true;
                key++;
        }
        minus |= im->guard != NULL;
        path = sysctl_key_to_path(key);
        if (!path)
                return imp_why(im, "'%s' is not a valid sysctl key", key);
        if (sysctl_is_trigger(path)) {
                free(path);
                return imp_why(im, "%s is an action (each write fires it), not a setting: kvmtune does not "
                                   "carry it", key);
        }
        v = clean_value(im, value);
        if (!v) {
                free(path);
                return -1;
        }
        if (!strcmp(path, "vm/nr_hugepages") || !strcmp(path, "vm/nr_overcommit_hugepages")) {
                bool pages = !strcmp(path, "vm/nr_hugepages");
                int r = imp_hugepages(im, 0, pages ? "pages" : "overcommit", v, src,
                                      pages ? "vm.nr_hugepages is the default-size pool: [hugepages] pages "
                                              "(both in one configuration would be an error)"
                                            : "vm.nr_overcommit_hugepages is [hugepages] overcommit");
                free(path);
                free(v);
                return r;
        }
        if (!strchr(path, '*') && !minus && !sysctl_module_for(path, NULL, buf, sizeof(buf))) {
                snprintf(rel, sizeof(rel), "proc/sys/%s", path);
                missing = kernfs_probe(im->k, rel) == 0;
        }
        shown_key = path_to_key(path);
        k2 = xasprintf("%s%s", minus || missing ? "-" : "", shown_key);
        e = imp_put(im, IS_SYSCTL, NULL, k2, path, v, src);
        if (missing)
                imp_note(e, "this kernel has no /proc/sys/%s: written with '-', so it is ignored where the key "
                            "does not exist", path);
        free(shown_key);
        free(k2);
        free(path);
        free(v);
        return 1;
}

int imp_sysctl_written(struct imp *im, const char *key, const char *value, bool minus, const struct imp_src *src)
{
        char *path = sysctl_key_to_path(key + (*key == '-')), *v = clean_value(im, value), *stored = NULL;
        struct imp_entry *e;
        bool quoted = false;
        int r = -1;

        if (v && (!path || imp_literal_sysctl(im, path, v, &quoted, &stored) == 0))
                r = imp_sysctl(im, key, stored ? stored : v, minus, src);
        if (r > 0 && (quoted || stored) && (e = imp_find(im, IS_SYSCTL, NULL, path))) {
                if (quoted)
                        imp_note(e, "the quotes are part of the value: systemd-sysctl and sysctl -p write them "
                                    "as they stand, and this key holds text");
                if (stored)
                        imp_note(e, "'%s' is octal to the kernel, which stored %s: carried as %s", v, stored,
                                 stored);
        }
        free(stored);
        free(path);
        free(v);
        return r;
}

/* kb 0: the default size */
int imp_hugepages(struct imp *im, uint64_t kb, const char *key, const char *value,
                  const struct imp_src *src, const char *how)
{
        char idkey[64], *sub = NULL;
        struct imp_entry *e;

        if (!number(value, UINT64_MAX / 2, 0))
                return imp_why(im, "hugepages %s: '%s' is not a number", key, value);
        if (!kb)
                kb = im->default_kb;
        if (kb && im->default_kb) {
                char rel[96];
                snprintf(rel, sizeof(rel), "sys/kernel/mm/hugepages/hugepages-%llukB", (unsigned long long)kb);
                if (kernfs_probe(im->k, rel) == 0) {
                        char *name = imp_size_name(kb);
                        imp_why(im, "this kernel offers no %s hugepages (no /%s)", name, rel);
                        free(name);
                        return -1;
                }
        }
        if (kb && kb != im->default_kb)
                sub = imp_size_name(kb);
        if (!im->in_node_pool && !strcmp(key, "pages")) {
                /* a write to the pool of all nodes replaces the per-node pools before it */
                struct imp_entry *nodes;
                snprintf(idkey, sizeof(idkey), "%llu nodes", (unsigned long long)kb);
                nodes = imp_find(im, IS_HUGEPAGES, sub, idkey);
                if (nodes && !nodes->dropped) {
                        nodes->dropped = true;
                        imp_note(nodes, "dropped: %s:%u sets the pool of all nodes after it", src->file, src->line);
                }
                snprintf(idkey, sizeof(idkey), "%llu node.*", (unsigned long long)kb);
                nodes = imp_find(im, IS_HUGEPAGES, sub, idkey);
                if (nodes && !nodes->dropped) {
                        nodes->dropped = true;
                        imp_note(nodes, "dropped: %s:%u sets the pool of all nodes after it", src->file, src->line);
                }
                for (size_t i = 0; i < im->n_np; i++)
                        if (im->np[i].kb == kb)
                                im->np[i--] = im->np[--im->n_np];
        }
        snprintf(idkey, sizeof(idkey), "%llu %s", (unsigned long long)kb, key);
        e = imp_put(im, IS_HUGEPAGES, sub, key, idkey, value, src);
        if (how)
                imp_note(e, "%s", how);
        free(sub);
        return 1;
}

static const char *const legacy[][2] = { { "noop", "none" }, { "deadline", "mq-deadline" }, { "cfq", "bfq" } };

/* queue/iosched/NAME: [block] iosched.NAME, a number, as [block] takes it */
static int block_iosched(struct imp *im, const char *dev, const char *name, const char *v,
                         const struct imp_src *src)
{
        char *key;

        if (!*name || strlen(name) > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name))
                return imp_why(im, "'%s' is not a scheduler tunable's name", name);
        if (!number(v, UINT64_MAX, 0))
                return imp_why(im, "block iosched.%s: '%s' is not a number", name, v);
        key = xasprintf("iosched.%s", name);
        imp_put(im, IS_BLOCK, dev, key, NULL, v, src);
        free(key);
        return 1;
}

int imp_block(struct imp *im, const char *dev, const char *key, const char *value, const struct imp_src *src)
{
        const char *v = value, *was = NULL;
        struct imp_entry *e;

        if (!devsel_valid(dev, 0))
                return imp_why(im, "'%.*s' is not a plain device name", (int)strcspn(dev, "\x1e"), dev);
        if (!strcmp(key, "scheduler")) {
                if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(v))
                        return imp_why(im, "'%s' is not a scheduler name", v);
                for (size_t i = 0; i < 3; i++)
                        if (!strcmp(v, legacy[i][0])) {
                                was = v;
                                v = legacy[i][1];
                        }
        } else if (!strcmp(key, "read_ahead_kb") || !strcmp(key, "nr_requests")) {
                enum bound bound;       /* ">= N" from TuneD's ">N" */

                if (!number(value_bound(v, &bound), INT32_MAX, key[0] == 'n'))
                        return imp_why(im, "block %s: '%s' is not a number kvmtune accepts", key, v);
        } else if (!strncmp(key, "iosched/", 8)) {
                return block_iosched(im, dev, key + 8, v, src);
        } else {
                return imp_why(im, "kvmtune has no [block] key for queue/%s (it sets scheduler, read_ahead_kb, "
                                   "nr_requests and iosched/ tunables)", key);
        }
        if (!strcmp(key, "scheduler") && strcmp(dev, "*") && strcspn(dev, "*?[") < strcspn(dev, "\x1e") &&
            strcmp(v, "none")) {
                /*
                 * A glob (a loop, a udev rule): on a device that does not offer
                 * the name, the old write failed and left it as it was, which
                 * for such devices (dm, md) is 'none', the only one they offer.
                 */
                char *list = xasprintf("%s none", v);
                e = imp_put(im, IS_BLOCK, dev, key, NULL, list, src);
                imp_note(e, "'none' after it for the devices of the glob that do not offer %s (dm, md), where the "
                            "old write failed and left 'none'", v);
                free(list);
        } else {
                e = imp_put(im, IS_BLOCK, dev, key, NULL, v, src);
        }
        if (was)
                imp_note(e, "legacy scheduler name '%s' is '%s' on blk-mq kernels", was, v);
        if (strcmp(dev, "*")) {
                struct imp_entry *all = imp_find(im, IS_BLOCK, "*", key);
                if (all && strcmp(all->value, e->value))
                        imp_note(e, "conflict: for %.*s this overrides [block \"*\"] %s = %s from %s; the later "
                                    "source wins", (int)strcspn(dev, "\x1e"), dev, key, all->value, all->src);
        }
        return 1;
}

int imp_netdev_txqueuelen(struct imp *im, const char *dev, const char *value, const struct imp_src *src)
{
        if (!devsel_valid(dev, 15))
                return imp_why(im, "'%s' is not an interface name", dev);
        if (!number(value, UINT32_MAX, 0))
                return imp_why(im, "txqueuelen '%s' is not a number", value);
        imp_put(im, IS_NETDEV, dev, "txqueuelen", NULL, value, src);
        return 1;
}

/* the kernel file a knob is written to must exist, or plan would call the key unknown */
static bool have_file(struct imp *im, const char *dir, const char *name)
{
        char rel[160];

        snprintf(rel, sizeof(rel), "%s/%s", dir, name);
        if (kernfs_probe(im->k, rel) != 0)
                return true;
        imp_why(im, "this kernel has no /%s", rel);
        return false;
}

static bool word_of(const char *v, const char *chars, size_t max)
{
        return *v && strlen(v) <= max && strspn(v, chars) == strlen(v);
}

/* Whether [cpu "CPUS"] (NULL: [cpu]) takes VALUE for KEY as [cpu] reads it; -1 with the why */
int imp_cpu_check(struct imp *im, const char *cpus, const char *key, const char *value)
{
        static const char *const epb_words[] = { "performance", "balance-performance", "normal",
                                                 "balance-power", "power" };
        bool ok = false;

        if (cpus && !cpu_list_valid(cpus))
                return imp_why(im, "'%s' is not a CPU list such as 0-3,8", cpus);
        if (!strcmp(key, "governor")) {
                ok = word_of(value, "abcdefghijklmnopqrstuvwxyz0123456789_-", 15);
        } else if (!strcmp(key, "energy_performance_preference")) {
                ok = word_of(value, "abcdefghijklmnopqrstuvwxyz0123456789_", 64);
        } else if (!strcmp(key, "energy_perf_bias")) {
                ok = number(value, 15, 0);
                for (size_t i = 0; i < sizeof(epb_words) / sizeof(*epb_words); i++)
                        ok |= !strcmp(value, epb_words[i]);
        } else if (!strcmp(key, "resume_latency_us")) {
                ok = !strcmp(value, "n/a") || number(value, 2147483646, 0);
        } else if (!strcmp(key, "idle_max_latency_us")) {
                ok = number(value, UINT32_MAX, 0);
        } else if (!strcmp(key, "max_perf_pct") || !strcmp(key, "min_perf_pct")) {
                ok = !cpus && number(value, 100, 0);
        } else if (!strcmp(key, "no_turbo")) {
                ok = !cpus && number(value, 1, 0);
        }
        return ok ? 0 : imp_why(im, "'%s' is not a value of [cpu] %s", value, key);
}

/* A [cpu] key for the CPUs of a list (NULL: every CPU) */
int imp_cpu(struct imp *im, const char *cpus, const char *key, const char *value, const struct imp_src *src)
{
        if (imp_cpu_check(im, cpus, key, value) < 0)
                return -1;
        for (size_t i = 0; !cpus && i < im->n; i++) {
                struct imp_entry *e = &im->e[i];

                if (e->sec == IS_CPU && e->sub && !e->dropped && !strcmp(e->key, key)) {
                        e->dropped = true;
                        imp_note(e, "dropped: %s:%u sets %s on every CPU after it", src->file, src->line, key);
                }
        }
        imp_put(im, IS_CPU, cpus, key, NULL, value, src);
        return 1;
}

/*
 * cpufreq/GOV/F (the system's governor tunables) or cpufreq/policy*\/GOV/F
 * (every policy's, through a glob): [cpu] GOV.F, which kvmtune sets wherever
 * GOV governs.  0: not such a path; -1 with the why; 1: carried.
 */
static int governor_tunable(struct imp *im, const char *rest, bool all, const char *v, const struct imp_src *src)
{
        const char *gov = rest, *file;
        char key[96], *value = NULL;
        int r;

        if (!strncmp(rest, "policy", 6)) {
                const char *after = strchr(rest, '/');

                if (!after || !strchr(after + 1, '/'))
                        return 0;       /* policyN/F: the policy's own file */
                if (!all || (strncmp(rest + 6, "*/", 2) && strncmp(rest + 6, "[0-9]*/", 7)))
                        return imp_why(im, "one policy's governor tunables: kvmtune sets a governor's tunables on "
                                           "every policy it governs ([cpu] GOV.TUNABLE)");
                gov = after + 1;
        }
        file = strchr(gov, '/');
        if (!file || strchr(file + 1, '/') || (size_t)(file - gov) >= 32)
                return 0;
        snprintf(key, sizeof(key), "%.*s.%s", (int)(file - gov), gov, file + 1);
        r = cpugov_value(key, v, &value);
        if (r == -ENOENT)
                return imp_why(im, "kvmtune has no [cpu] key for the governor tunable cpufreq/%s", gov);
        if (r < 0)
                return imp_why(im, "cpu %s '%s': a value the kernel refuses", key, v);
        imp_put(im, IS_CPU, NULL, key, NULL, value, src);
        free(value);
        return 1;
}

/* machinecheck/machinecheckN/ignore_ce (one value for the system): [cpu] mce.ignore_ce */
static int machinecheck_file(struct imp *im, const char *rest, bool all, const char *v, const struct imp_src *src)
{
        const char *num = rest + strlen("machinecheck");
        size_t n = all ? strcspn(num, "/") : strspn(num, "0123456789");

        if (strncmp(rest, "machinecheck", 12) || !n || strcmp(num + n, "/ignore_ce") ||
            (all && strncmp(num, "*/", 2)))
                return imp_why(im, "kvmtune has no setting that writes /sys/devices/system/machinecheck/%s", rest);
        if (strcmp(v, "0") && strcmp(v, "1"))
                return imp_why(im, "ignore_ce '%s' is not 0 or 1", v);
        imp_put(im, IS_CPU, NULL, "mce.ignore_ce", NULL, v, src);
        return 1;
}

/*
 * The files of /sys/devices/system/cpu that [cpu] sets, REST after that
 * directory: cpuN/cpufreq/F and cpufreq/policyN/F ([cpu "N"]: a policy is
 * named after its first CPU, whose cpufreq link leads to it), cpuN/power/F,
 * intel_pstate/F ([cpu]).  With ALL, the CPU number was a glob over every
 * CPU (cpu*, policy*): plain [cpu], which skips CPUs without the file.
 */
static int cpu_file(struct imp *im, const char *rest, bool all, const char *v, const struct imp_src *src)
{
        static const struct { const char *dir, *file, *key; } files[] = {
                { "cpufreq", "scaling_governor", "governor" },
                { "cpufreq", "energy_performance_preference", "energy_performance_preference" },
                { "power", "energy_perf_bias", "energy_perf_bias" },
                { "power", "pm_qos_resume_latency_us", "resume_latency_us" },
        };
        const char *num, *after, *file;
        char cpus[16];
        size_t n;
        int r;

        if (!all && !strncmp(rest, "intel_pstate/", 13)) {
                file = rest + 13;
                if (strcmp(file, "max_perf_pct") && strcmp(file, "min_perf_pct") && strcmp(file, "no_turbo"))
                        return imp_why(im, "kvmtune has no [cpu] key for intel_pstate/%s", file);
                if (!have_file(im, "sys/devices/system/cpu", rest))
                        return -1;
                return imp_cpu(im, NULL, file, v, src);
        }
        if (!strncmp(rest, "cpufreq/", 8) && (r = governor_tunable(im, rest + 8, all, v, src)) != 0)
                return r;
        if (!strncmp(rest, "cpufreq/policy", 14))
                num = rest + 14;
        else if (!strncmp(rest, "cpu", 3))
                num = rest + 3;
        else
                return imp_why(im, "kvmtune has no setting that writes /sys/devices/system/cpu/%s", rest);
        n = all ? strcspn(num, "/") : strspn(num, "0123456789");
        if (!n || n >= sizeof(cpus) || num[n] != '/' ||
            (all && strncmp(num, "*/", 2) && strncmp(num, "[0-9]*/", 7)))
                return imp_why(im, "kvmtune has no setting that writes /sys/devices/system/cpu/%s", rest);
        after = num + n + 1;
        snprintf(cpus, sizeof(cpus), "%.*s", (int)n, num);
        for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
                size_t dl = strlen(files[i].dir);
                bool policy = num != rest + 3;

                if (policy ? (strcmp(files[i].dir, "cpufreq") || strcmp(after, files[i].file))
                           : (strncmp(after, files[i].dir, dl) || after[dl] != '/' ||
                              strcmp(after + dl + 1, files[i].file)))
                        continue;
                if (!all && !have_file(im, "sys/devices/system/cpu", rest))
                        return -1;
                return imp_cpu(im, all ? NULL : cpus, files[i].key, v, src);
        }
        if (strstr(after, "cpuidle/"))
                return imp_why(im, "idle states by number: kvmtune disables them by latency ([cpu] "
                                   "idle_max_latency_us)");
        return imp_why(im, "kvmtune has no setting that writes /sys/devices/system/cpu/%s", rest);
}

int imp_conntrack_hashsize(struct imp *im, const char *value, bool load_no, const struct imp_src *src,
                           const char *how)
{
        struct imp_entry *e;

        if (!number(value, INT32_MAX, 1))
                return imp_why(im, "hashsize '%s' is not a number from 1 to %d", value, INT32_MAX);
        imp_put(im, IS_CONNTRACK, NULL, "hashsize", NULL, value, src);
        e = imp_put(im, IS_CONNTRACK, NULL, "load", NULL, load_no ? "no" : "yes", src);
        if (how)
                imp_note(e, "%s", how);
        return 1;
}

int imp_module(struct imp *im, const char *name, const struct imp_src *src)
{
        char *id;

        if (!module_name_valid(name) || strlen(name) > 64)
                return imp_why(im, "'%s' is not a module name", name);
        id = module_canonical_name(name);
        imp_put(im, IS_MODULES, NULL, "load", id, name, src);
        free(id);
        return 1;
}

/* After every source: settings that only make sense together. */
void imp_finish(struct imp *im)
{
        struct imp_entry *load = imp_find(im, IS_CONNTRACK, NULL, "load");

        if (load && !strcmp(load->value, "no") && imp_find(im, IS_MODULES, NULL, "nf_conntrack")) {
                free(load->value);
                load->value = xstrdup("yes");
                imp_note(load, "nf_conntrack is loaded explicitly (see [modules]): load = yes, so the hash size "
                               "is passed to that load");
        }
}

static int ksm_value(struct imp *im, const char *knob, const char *v, const struct imp_src *src)
{
        static const char *const numeric[] = { "pages_to_scan", "sleep_millisecs", "merge_across_nodes",
                                               "use_zero_pages", "max_page_sharing" };
        bool b;

        if (!*knob || strlen(knob) > 64 || strspn(knob, "abcdefghijklmnopqrstuvwxyz_") != strlen(knob))
                return imp_why(im, "'%s' is not a KSM knob", knob);
        if (!have_file(im, "sys/kernel/mm/ksm", knob))
                return -1;
        if (!strcmp(knob, "run")) {
                if (strcmp(v, "2") && parse_bool(v, &b) < 0)
                        return imp_why(im, "ksm run '%s' is not 0, 1 or 2", v);
        } else {
                for (size_t i = 0; i < sizeof(numeric) / sizeof(*numeric); i++)
                        if (!strcmp(knob, numeric[i]) && !number(v, UINT64_MAX, 0))
                                return imp_why(im, "ksm %s '%s' is not a number", knob, v);
                if (!one_word(v))
                        return imp_why(im, "ksm %s '%s' is not one word", knob, v);
        }
        imp_put(im, IS_KSM, NULL, knob, NULL, v, src);
        return 1;
}

/*
 * "/sys/kernel/mm/transparent_hugepage/khugepaged/F": [thp] khugepaged.F,
 * checked as the kernel checks it (a value it refused did nothing)
 */
static int khugepaged_value(struct imp *im, const char *knob, const char *v, const struct imp_src *src)
{
        static const char *const ptes[] = { "max_ptes_none", "max_ptes_swap", "max_ptes_shared" };
        uint64_t max = UINT32_MAX, min = 0, pmd = 0;
        char *key, *raw = NULL;

        if (!strcmp(knob, "defrag"))
                max = 1;
        else if (!strcmp(knob, "pages_to_scan"))
                min = 1;
        else if (strcmp(knob, "scan_sleep_millisecs") && strcmp(knob, "alloc_sleep_millisecs") &&
                 strcmp(knob, ptes[0]) && strcmp(knob, ptes[1]) && strcmp(knob, ptes[2]))
                return imp_why(im, "kvmtune has no [thp] key for khugepaged/%s", knob);
        for (size_t i = 0; i < 3; i++)
                /* HPAGE_PMD_NR - 1, from the host's PMD hugepage size */
                if (!strcmp(knob, ptes[i]) &&
                    kernfs_read(im->k, "sys/kernel/mm/transparent_hugepage/hpage_pmd_size", &raw) == 0 &&
                    parse_u64(raw, &pmd) == 0 && pmd / (uint64_t)sysconf(_SC_PAGESIZE) > 0)
                        max = pmd / (uint64_t)sysconf(_SC_PAGESIZE) - 1;
        free(raw);
        if (!number(v, max, min))
                return imp_why(im, "khugepaged/%s '%s': the kernel takes a number from %llu to %llu, and refused it",
                               knob, v, (unsigned long long)min, (unsigned long long)max);
        if (!have_file(im, "sys/kernel/mm/transparent_hugepage/khugepaged", knob))
                return -1;
        key = xasprintf("khugepaged.%s", knob);
        imp_put(im, IS_THP, NULL, key, NULL, v, src);
        free(key);
        return 1;
}

/* "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages" */
static int hugepages_file(struct imp *im, const char *rest, const char *v, const struct imp_src *src)
{
        unsigned long long kb;
        char file[64];
        int n = 0;

        if (sscanf(rest, "hugepages-%llukB/%63[a-z_]%n", &kb, file, &n) != 2 || rest[n] || !kb)
                return imp_why(im, "kvmtune has no setting for /sys/kernel/mm/hugepages/%s", rest);
        if (!strcmp(file, "nr_hugepages"))
                return imp_hugepages(im, kb, "pages", v, src, NULL);
        if (!strcmp(file, "nr_overcommit_hugepages"))
                return imp_hugepages(im, kb, "overcommit", v, src, NULL);
        return imp_why(im, "kvmtune has no [hugepages] key for %s", file);
}

static int cmp_node(const void *a, const void *b)
{
        const struct imp_node_pool *x = a, *y = b;

        return x->node < y->node ? -1 : x->node > y->node;
}

/*
 * "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages":
 * the per-node pools of one size together become pages = SUM with nodes =
 * N ..., which kvmtune splits evenly (the first nodes take the remainder);
 * pools that are not such a split have no form and are refused.
 */
static int node_pool(struct imp *im, const char *rest, const char *v, const struct imp_src *src)
{
        unsigned long long kb, sum = 0;
        unsigned node;
        char file[32], rel[160], list[512] = "", sum_s[32], *sub = NULL, idkey[64];
        struct imp_node_pool *mine = NULL, saved = { 0 };
        struct imp_entry *e;
        size_t k = 0, o = 0;
        uint64_t pages;
        int n = 0, r;
        bool added = false;

        if (sscanf(rest, "%u/hugepages/hugepages-%llukB/%31[a-z_]%n", &node, &kb, file, &n) != 3 || rest[n] || !kb ||
            rest[0] < '0' || rest[0] > '9')
                return imp_why(im, "kvmtune has no setting for /sys/devices/system/node/node%s", rest);
        if (strcmp(file, "nr_hugepages"))
                return imp_why(im, "kvmtune has no per-node [hugepages] key for %s", file);
        if (parse_u64(v, &pages) < 0 || pages > UINT64_MAX / 4)
                return imp_why(im, "hugepages: '%s' is not a number", v);
        snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/hugepages/hugepages-%llukB/nr_hugepages", node, kb);
        if (kernfs_probe(im->k, rel) == 0)
                return imp_why(im, "this host has no /%s", rel);
        if (kb != im->default_kb || !im->default_kb)
                sub = imp_size_name(kb);
        snprintf(idkey, sizeof(idkey), "%llu node.*", kb);
        if ((e = imp_find(im, IS_HUGEPAGES, sub, idkey)) && !e->dropped) {
                free(sub);
                return imp_why(im, "every node's pool is set before it (%s): kvmtune cannot combine node.* with "
                                   "an even split", e->src);
        }
        snprintf(idkey, sizeof(idkey), "%llu nodes", kb);
        e = imp_find(im, IS_HUGEPAGES, sub, idkey);
        snprintf(idkey, sizeof(idkey), "%llu pages", kb);
        if ((!e || e->dropped) && (e = imp_find(im, IS_HUGEPAGES, sub, idkey))) {
                free(sub);
                return imp_why(im, "the pool of all nodes is set before it (%s): kvmtune cannot combine it with "
                                   "per-node pools", e->src);
        }
        for (size_t i = 0; i < im->n_np; i++)
                if (im->np[i].kb == kb && im->np[i].node == node)
                        mine = &im->np[i];
        if (!mine) {
                im->np = xgrow(im->np, im->n_np, sizeof(*im->np));
                mine = &im->np[im->n_np++];
                *mine = (struct imp_node_pool){ kb, node, 0 };
                added = true;
        }
        saved = *mine;
        mine->pages = pages;
        qsort(im->np, im->n_np, sizeof(*im->np), cmp_node);
        for (size_t i = 0; i < im->n_np; i++)
                if (im->np[i].kb == kb) {
                        sum += im->np[i].pages;
                        k++;
                }
        r = 1;
        for (size_t i = 0; i < im->n_np && r > 0; i++) {
                if (im->np[i].kb != kb)
                        continue;
                if (im->np[i].pages != sum / k + (o < sum % k))
                        r = imp_why(im, "with the other per-node pools of this size the nodes are not an even "
                                        "split, and kvmtune's nodes = splits a pool evenly");
                o++;
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u", *list ? " " : "", im->np[i].node);
        }
        if (r < 0) {
                for (size_t i = 0; i < im->n_np; i++)
                        if (im->np[i].kb == kb && im->np[i].node == node) {
                                if (added)
                                        im->np[i] = im->np[--im->n_np];
                                else
                                        im->np[i] = saved;
                                break;
                        }
                free(sub);
                return -1;
        }
        snprintf(sum_s, sizeof(sum_s), "%llu", sum);
        im->in_node_pool = true;
        r = imp_hugepages(im, kb, "pages", sum_s, src, NULL);
        im->in_node_pool = false;
        if (r > 0) {
                snprintf(idkey, sizeof(idkey), "%llu nodes", kb);
                e = imp_put(im, IS_HUGEPAGES, sub, "nodes", idkey, list, src);
                imp_note(e, "node %u: %llu pages; the per-node pools read so far sum to %llu on nodes %s", node,
                         (unsigned long long)pages, sum, list);
        }
        free(sub);
        return r;
}

/* a file of queue/ that [block] may set: queue/F or queue/iosched/F */
static bool queue_file(const char *rest)
{
        return !strchr(!strncmp(rest, "iosched/", 8) ? rest + 8 : rest, '/');
}

/*
 * "/sys/devices/system/node/node*\/hugepages/hugepages-2048kB/nr_hugepages"
 * (a loop or a TuneD [sysfs] glob over every node): [hugepages] node.* =
 * COUNT, each node's pool that count.  It replaces what the pool of that
 * size was given before (pages, nodes); a later whole-pool write replaces it.
 */
static int node_glob_pool(struct imp *im, const char *rest, const char *v, const struct imp_src *src)
{
        unsigned long long kb;
        char file[32], rel[96], idkey[64], *sub = NULL;
        const char *drop[] = { "pages", "nodes" };
        struct imp_entry *e;
        int n = 0;

        if ((sscanf(rest, "*/hugepages/hugepages-%llukB/%31[a-z_]%n", &kb, file, &n) != 2 &&
             sscanf(rest, "[0-9]*/hugepages/hugepages-%llukB/%31[a-z_]%n", &kb, file, &n) != 2) || rest[n] || !kb)
                return imp_why(im, "kvmtune has no glob form for /sys/devices/system/node/node%s", rest);
        if (strcmp(file, "nr_hugepages"))
                return imp_why(im, "kvmtune has no per-node [hugepages] key for %s", file);
        if (!number(v, UINT64_MAX / 4, 0))
                return imp_why(im, "hugepages: '%s' is not a number", v);
        snprintf(rel, sizeof(rel), "sys/kernel/mm/hugepages/hugepages-%llukB", kb);
        if (kernfs_probe(im->k, rel) == 0)
                return imp_why(im, "this kernel offers no such hugepages (no /%s)", rel);
        if (kb != im->default_kb || !im->default_kb)
                sub = imp_size_name(kb);
        for (size_t i = 0; i < 2; i++) {
                snprintf(idkey, sizeof(idkey), "%llu %s", kb, drop[i]);
                e = imp_find(im, IS_HUGEPAGES, sub, idkey);
                if (e && !e->dropped) {
                        e->dropped = true;
                        imp_note(e, "dropped: %s:%u sets every node's pool after it", src->file, src->line);
                }
        }
        for (size_t i = 0; i < im->n_np; i++)
                if (im->np[i].kb == kb)
                        im->np[i--] = im->np[--im->n_np];
        snprintf(idkey, sizeof(idkey), "%llu node.*", kb);
        imp_put(im, IS_HUGEPAGES, sub, "node.*", idkey, v, src);
        free(sub);
        return 1;
}

/* "/sys/block/sda/queue/scheduler" */
static int block_file(struct imp *im, const char *rest, const char *v, const struct imp_src *src)
{
        const char *slash = strchr(rest, '/');
        char *dev;
        int r;

        if (!slash || strncmp(slash, "/queue/", 7) || !queue_file(slash + 7))
                return imp_why(im, "kvmtune has no setting for /sys/block/%s", rest);
        dev = strndup(rest, (size_t)(slash - rest));
        r = imp_block(im, dev, slash + 7, v, src);
        free(dev);
        return r;
}

int imp_kernel_write(struct imp *im, const char *path, const char *value, const struct imp_src *src)
{
        const char *rest;
        char *v;
        int r;

        if (!strncmp(path, "/proc", 5) || !strncmp(path, "/sys", 4) || strstr(path, "/proc/") ||
            strstr(path, "/sys/")) {
                if (!imp_path_canonical(path))
                        return imp_why(im, "'%s' is not a canonical path ('..', '.' or an empty component)", path);
        }
        if (strncmp(path, "/proc/", 6) && strncmp(path, "/sys/", 5))
                return 0;
        if (strpbrk(path, "*?[]{}~\\\"' \t"))
                return imp_why(im, "'%s' holds a glob or quoting character", path);
        v = clean_value(im, value);
        if (!v)
                return -1;
        if (imp_literal(im, v) < 0) {
                r = -1;
        } else if (!strncmp(path, "/proc/sys/", 10)) {
                char *key = path_to_key(path + 10);
                r = imp_sysctl_written(im, key, v, false, src);
                free(key);
        } else if (!strncmp(path, "/sys/kernel/mm/ksm/", 19) && !strchr(path + 19, '/')) {
                r = ksm_value(im, path + 19, v, src);
        } else if (!strncmp(path, "/sys/kernel/mm/transparent_hugepage/khugepaged/", 47)) {
                r = khugepaged_value(im, path + 47, v, src);
        } else if (!strncmp(path, "/sys/kernel/mm/transparent_hugepage/", 36)) {
                rest = path + 36;
                if (strcmp(rest, "enabled") && strcmp(rest, "defrag"))
                        r = imp_why(im, "kvmtune has no [thp] key for %s (it sets enabled and defrag)", rest);
                else if (!one_word(v))
                        r = imp_why(im, "thp %s '%s' is not one word", rest, v);
                else if (!have_file(im, "sys/kernel/mm/transparent_hugepage", rest))
                        r = -1;
                else {
                        imp_put(im, IS_THP, NULL, rest, NULL, v, src);
                        r = 1;
                }
        } else if (!strncmp(path, "/sys/kernel/mm/hugepages/", 25)) {
                r = hugepages_file(im, path + 25, v, src);
        } else if (!strncmp(path, "/sys/devices/system/node/node", 29)) {
                r = node_pool(im, path + 29, v, src);
        } else if (!strncmp(path, "/sys/block/", 11)) {
                r = block_file(im, path + 11, v, src);
        } else if (!strncmp(path, "/sys/class/net/", 15) && (rest = strchr(path + 15, '/')) &&
                   !strcmp(rest, "/tx_queue_len")) {
                char *dev = strndup(path + 15, (size_t)(rest - path - 15));
                r = imp_netdev_txqueuelen(im, dev, v, src);
                free(dev);
        } else if (!strncmp(path, "/sys/devices/system/cpu/", 24)) {
                r = cpu_file(im, path + 24, false, v, src);
        } else if (!strncmp(path, "/sys/devices/system/machinecheck/", 33)) {
                r = machinecheck_file(im, path + 33, false, v, src);
        } else if (!strcmp(path, "/sys/module/nf_conntrack/parameters/hashsize")) {
                r = imp_conntrack_hashsize(im, v, true, src,
                                           "load = no: the hash size was set on a module something else loaded");
        } else if (!strncmp(path, "/proc/irq/", 10) || !strcmp(path, "/sys/devices/virtual/workqueue/cpumask") ||
                   !strcmp(path, "/sys/bus/workqueue/devices/writeback/cpumask")) {
                r = imp_why(im, "%s", ISOLATION_WHY);
        } else {
                r = imp_why(im, "kvmtune has no setting that writes %s", path);
        }
        free(v);
        return r;
}

/* the /proc/sys path an entry of [sysctl] sets (its id is "SECTION\x1fSUB\x1fPATH") */
static const char *entry_path(const struct imp_entry *e)
{
        const char *p = strrchr(e->id, '\x1f');

        return p ? p + 1 : e->id;
}

/*
 * A write through a shell glob (a for loop over /sys/block/sd*): the
 * equivalent glob setting, [block "sd*"], [netdev "eth*"] or a sysctl key
 * with '*'.  The kernel files behind other globs have no kvmtune form.
 */
int imp_glob_write(struct imp *im, const char *path, const char *value, const struct imp_src *src)
{
        const char *rest, *slash;
        char *v, *dev;
        int r;

        if (!imp_path_canonical(path))
                return imp_why(im, "'%s' is not a canonical path ('..', '.' or an empty component)", path);
        if (strpbrk(path, "{}~\\\"' \t"))
                return imp_why(im, "'%s' holds a brace, tilde or quoting character", path);
        v = clean_value(im, value);
        if (!v)
                return -1;
        if (imp_literal(im, v) < 0) {
                r = -1;
        } else if (!strncmp(path, "/sys/block/", 11) && (slash = strchr(path + 11, '/')) &&
                   !strncmp(slash, "/queue/", 7) && queue_file(slash + 7) && !strpbrk(slash, "*?[]")) {
                dev = strndup(path + 11, (size_t)(slash - path - 11));
                r = imp_devglob_valid(dev, 0) ? imp_block(im, dev, slash + 7, v, src)
                                              : imp_why(im, "'%s' is not a glob over disk names", dev);
                free(dev);
        } else if (!strncmp(path, "/sys/class/net/", 15) && (rest = strchr(path + 15, '/')) &&
                   !strcmp(rest, "/tx_queue_len")) {
                dev = strndup(path + 15, (size_t)(rest - path - 15));
                r = imp_netdev_txqueuelen(im, dev, v, src);
                free(dev);
        } else if (!strncmp(path, "/proc/sys/", 10) && !strpbrk(path, "?[]")) {
                char *key = path_to_key(path + 10);
                const char *glob = path + 10;

                r = 1;
                /* an explicit key wins over a glob in kvmtune, whatever the order: here the loop came later */
                for (size_t i = 0; i < im->n && r > 0; i++)
                        if (im->e[i].sec == IS_SYSCTL && !im->e[i].dropped &&
                            !fnmatch(glob, entry_path(&im->e[i]), FNM_PATHNAME) && strcmp(im->e[i].value, v) &&
                            !strchr(entry_path(&im->e[i]), '*'))
                                r = imp_why(im, "it overrides %s set earlier (%s), but in kvmtune an explicit key "
                                                "wins over a glob whatever the order", entry_path(&im->e[i]),
                                            im->e[i].src);
                if (r > 0)
                        r = imp_sysctl_written(im, key, v, false, src);
                free(key);
        } else if (!strncmp(path, "/proc/sys/", 10)) {
                r = imp_why(im, "kvmtune's sysctl globs know only '*'");
        } else if (!strncmp(path, "/sys/devices/system/cpu/", 24)) {
                r = cpu_file(im, path + 24, true, v, src);
        } else if (!strncmp(path, "/sys/devices/system/node/node", 29)) {
                r = node_glob_pool(im, path + 29, v, src);
        } else if (!strncmp(path, "/sys/devices/system/machinecheck/", 33)) {
                r = machinecheck_file(im, path + 33, true, v, src);
        } else if (!strncmp(path, "/proc/irq/", 10) || !strncmp(path, "/sys/devices/virtual/workqueue/", 31)) {
                r = imp_why(im, "%s", ISOLATION_WHY);
        } else {
                r = imp_why(im, "kvmtune has no glob form for %s", path);
        }
        free(v);
        return r;
}
