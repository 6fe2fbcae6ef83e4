/* SPDX-License-Identifier: MIT */
/*
 * TuneD profiles: /etc/tuned/active_profile, or `tuned-adm profile NAME` in
 * rc.local.  A profile is read from the host tree (/etc/tuned/NAME before
 * /usr/lib/tuned/NAME and /usr/lib/tuned/profiles/NAME, as TuneD looks),
 * its include= chain first, so that the profile's own lines win.  Carried:
 * [sysctl], [vm] transparent_hugepages, [disk] elevator and readahead,
 * [sysfs] for the kernel files kvmtune sets, [net] ring=, channels=,
 * features=, coalesce= and txqueuelen= of the interfaces devices= names.
 * isolated_cores (and isolate_managed_irq) in the variables file a
 * profile's [variables] include= names (realtime, realtime-virtual-host,
 * cpu-partitioning) become [isolation], and the lines derived from it
 * ([bootloader] isolcpus=/nohz_full=/rcu_nocbs=/irqaffinity=, [irqbalance]
 * banned_cpus, [systemd] cpu_affinity, the workqueue cpumasks of [sysfs])
 * are carried by that section.  Everything else a profile sets ([cpu]
 * governors, [scheduler]'s run-time re-pinning, scripts, ...) is reported:
 * kvmtune has no form for it.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

#define MAX_INCLUDE 16

static const char *const dirs[] = { "/etc/tuned/", "/usr/lib/tuned/", "/usr/lib/tuned/profiles/", "/lib/tuned/" };

static bool profile_name_ok(const char *n)
{
        return *n && strlen(n) < 128 && strcmp(n, ".") && strcmp(n, "..") &&
               strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == strlen(n);
}

struct section {
        char name[64];
        char plugin[64];        /* type= or the name */
        bool disabled;
        char *devices;          /* devices= of [disk], as a subsection: "sda sdb" or "*" */
};

static void trim(char *s)
{
        size_t n = strlen(s), b = strspn(s, " \t");

        while (n > b && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        memmove(s, s + b, n - b);
        s[n - b] = '\0';
}

/* "sda,sdb" -> "sda sdb"; NULL when it uses what kvmtune has no form for (negation, a regex) */
static char *devices_sub(const char *v)
{
        char *out = xstrdup(v), *o = out;

        for (const char *p = v; *p; p++) {
                if (*p == '!' || *p == '$' || *p == '^' || *p == '(' || *p == '|') {
                        free(out);
                        return NULL;
                }
                if (*p == ',' || *p == ' ' || *p == '\t') {
                        if (o > out && o[-1] != ' ')
                                *o++ = ' ';
                } else {
                        *o++ = *p;
                }
        }
        while (o > out && o[-1] == ' ')
                o--;
        *o = '\0';
        if (!*out) {
                free(out);
                return NULL;
        }
        return out;
}

static void carry(struct imp *im, const struct imp_src *src, int r)
{
        if (r > 0)
                imp_carried(im, src, NULL);
        else
                imp_refused(im, src, "%s", r == 0 ? "not a kernel file kvmtune sets" : im->why);
}

static void disk_key(struct imp *im, const struct section *sec, const char *key, const char *v,
                     const struct imp_src *src)
{
        const char *dev = sec->devices ? sec->devices : "*";

        if (!strcmp(key, "elevator")) {
                int r = imp_block(im, dev, "scheduler", v, src);
                struct imp_entry *e = r > 0 && !strcmp(dev, "*") ? imp_find(im, IS_BLOCK, dev, "scheduler") : NULL;

                if (e && strcmp(e->value, "none")) {
                        char *list = xasprintf("%s none", e->value);
                        free(e->value);
                        e->value = list;
                        imp_note(e, "every disk, as TuneD's [disk] without devices=; 'none' for those that offer "
                                    "nothing else");
                }
                carry(im, src, r);
        } else if (!strcmp(key, "readahead")) {
                uint64_t n;
                char num[32], *end;
                const char *p = v;

                bool at_least = *p == '>';     /* TuneD: only where it is lower, kvmtune's ">= N" */

                if (at_least)
                        p += 1 + strspn(p + 1, " \t");
                n = strtoull(p, &end, 10);
                if (end == p) {
                        imp_refused(im, src, "'%s' is not a read-ahead", v);
                        return;
                }
                end += strspn(end, " \t");
                if (!strcmp(end, "s"))
                        n /= 2;         /* sectors of 512 bytes */
                else if (*end) {
                        imp_refused(im, src, "'%s' is not a read-ahead in KiB or sectors (s)", v);
                        return;
                }
                snprintf(num, sizeof(num), "%s%llu", at_least ? ">= " : "", (unsigned long long)n);
                carry(im, src, imp_block(im, dev, "read_ahead_kb", num, src));
        } else if (!strcmp(key, "devices") || !strcmp(key, "type") || !strcmp(key, "enabled") ||
                   !strcmp(key, "replace")) {
                /* read with the section */
        } else {
                imp_refused(im, src, "TuneD's [disk] %s has no kvmtune form", key);
        }
}

/*
 * TuneD's [net]: ring=, channels=, features= and coalesce= hold what follows
 * the interface on an ethtool -G, -L, -K or -C line ("rx 4096 tx 4096";
 * TuneD also splits on ':', ';' and ','), txqueuelen= a number.  Without
 * devices= TuneD tunes every physical interface it finds, which no glob
 * says: reported.
 */
static void net_key(struct imp *im, const struct section *sec, const char *key, const char *v,
                    const struct imp_src *src)
{
        static const char *const opts[][2] = {
                { "ring", "-G" }, { "channels", "-L" }, { "features", "-K" }, { "coalesce", "-C" },
        };
        const char *opt = NULL;
        char *copy, *args[64];
        size_t n = 0;

        if (!strcmp(key, "devices") || !strcmp(key, "type") || !strcmp(key, "enabled") || !strcmp(key, "replace"))
                return;
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
                if (!strcmp(key, opts[i][0]))
                        opt = opts[i][1];
        if (!opt && strcmp(key, "txqueuelen")) {
                imp_refused(im, src, "TuneD's [net] %s has no kvmtune form", key);
                return;
        }
        if (!sec->devices) {
                imp_refused(im, src, "TuneD's [net] without devices= tunes every physical interface it finds, which "
                                     "kvmtune cannot tell from virtual ones: give the names or a glob in devices=");
                return;
        }
        if (!strcmp(sec->devices, "\x01")) {
                imp_refused(im, src, "devices= uses negation or a pattern kvmtune globs cannot say");
                return;
        }
        if (!opt) {
                carry(im, src, imp_netdev_txqueuelen(im, sec->devices, v, src));
                return;
        }
        copy = xstrdup(v);
        for (char *save = NULL, *w = strtok_r(copy, " \t:;,", &save); w && n < 64; w = strtok_r(NULL, " \t:;,", &save))
                args[n++] = w;
        carry(im, src, imp_ethtool(im, opt, sec->devices, args, n, src));
        free(copy);
}

/*
 * TuneD's [cpu]: governor (alternatives "a|b" become kvmtune's fallback
 * list), energy_perf_bias (its first alternative; "powersave" is "power"),
 * energy_performance_preference, the intel_pstate limits, and a numeric
 * force_latency as the one-shot idle_max_latency_us.  Dynamic tuning
 * (load_threshold, latency_low/high) needs the daemon: reported.
 */
static void cpu_key(struct imp *im, const char *key, const char *v, const struct imp_src *src)
{
        static const char *const same[] = { "min_perf_pct", "max_perf_pct", "no_turbo",
                                            "energy_performance_preference" };
        char *val = NULL;

        if (!strcmp(key, "type") || !strcmp(key, "replace") || !strcmp(key, "enabled") || !strcmp(key, "devices"))
                return;
        for (size_t i = 0; i < sizeof(same) / sizeof(*same); i++)
                if (!strcmp(key, same[i]) && *v && !strpbrk(v, " \t|"))
                        val = xstrdup(v);
        if (val) {
                imp_put(im, IS_CPU, NULL, key, NULL, val, src);
        } else if (!strcmp(key, "governor")) {
                val = xstrdup(v);
                for (char *c = val; *c; c++)
                        if (*c == '|')
                                *c = ' ';
                imp_put(im, IS_CPU, NULL, "governor", NULL, val, src);
        } else if (!strcmp(key, "energy_perf_bias")) {
                val = xasprintf("%.*s", (int)strcspn(v, "|"), v);
                if (!strcmp(val, "powersave")) {
                        free(val);
                        val = xstrdup("power");
                }
                imp_put(im, IS_CPU, NULL, "energy_perf_bias", NULL, val, src);
        } else if (!strcmp(key, "force_latency") && *v && strspn(v, "0123456789") == strlen(v)) {
                imp_put(im, IS_CPU, NULL, "idle_max_latency_us", NULL, v, src);
                val = xstrdup(v);
        } else {
                imp_refused(im, src, "TuneD's [cpu] %s has no one-shot kvmtune form%s", key,
                            !strcmp(key, "force_latency") ? " as written (a number of microseconds becomes "
                                                            "[cpu] idle_max_latency_us)" : "");
                return;
        }
        free(val);
        imp_carried(im, src, NULL);
}

static void profile(struct imp *im, const char *name, const struct imp_src *from, char (*seen)[128], size_t depth);

/* the variables file of [variables] include=: isolated_cores and isolate_managed_irq become [isolation] */
static void read_variables(struct imp *im, const char *path, const struct imp_src *from)
{
        struct imp_file f;
        struct imp_rline l = { 0 };
        const char *why = NULL;

        if (imp_read_rooted(im, path, IK_TUNED, &f, &why) < 0) {
                imp_refused(im, from, "the TuneD variables file %s cannot be read%s%s", path, why ? ": " : "",
                            why ? why : "");
                return;
        }
        for (size_t pos = 0; imp_next_line(im, &f, &pos, "#", false, &l);) {
                char *key = l.s, *v = strchr(l.s, '=');

                if (!v)
                        continue;
                *v++ = '\0';
                trim(key);
                trim(v);
                if (!strcmp(key, "isolated_cores")) {
                        if (!cpu_list_valid(v) && im->tuned_isolation) {
                                imp_refused(im, &l.src, "a later variables file sets isolated_cores");
                        } else if (!cpu_list_valid(v)) {
                                imp_refused(im, &l.src, "isolated_cores is not a CPU list%s", strchr(v, '$') ?
                                            " (a TuneD function, which import does not evaluate: write the cores)" : "");
                        } else {
                                imp_put(im, IS_ISOLATION, NULL, "cpus", NULL, v, &l.src);
                                imp_carried(im, &l.src, NULL);
                        }
                } else if (!strcmp(key, "isolate_managed_irq")) {
                        imp_put(im, IS_ISOLATION, NULL, "managed-irq", NULL, *v && strchr("yY1tT", *v) ? "yes" : "no",
                                &l.src);
                        imp_carried(im, &l.src, NULL);
                } else if (!strcmp(key, "no_balance_cores") && *v) {
                        imp_refused(im, &l.src, "no_balance_cores (isolcpus= without nohz_full=) has no kvmtune "
                                                "form: [isolation] isolates fully");
                }
        }
        free(l.s);
        free(l.clean);
        imp_file_free(&f);
}

#define REPIN "TuneD's daemon moves the threads already on the isolated cores and re-pins new ones at run " \
              "time; kvmtune is one-shot and does not ([isolation] covers interrupts, workqueues, systemd's " \
              "CPUAffinity= and the kernel command line, see kvmtune.conf(5))"

/* kernel arguments [isolation] derives (nohz=on is the default under nohz_full=) */
static bool isolation_word(const char *w)
{
        static const char *const names[] = { "isolcpus=", "nohz_full=", "rcu_nocbs=", "irqaffinity=", "nohz=",
                                             "tuned.non_isolcpus=" };

        for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
                if (!strncmp(w, names[i], strlen(names[i])))
                        return true;
        return false;
}

/* a [bootloader] cmdline*= line once [isolation] is known: its words there, to [cmdline], or reported */
static void bootloader_cmdline(struct imp *im, const char *v, const struct imp_src *src)
{
        char *copy = xstrdup(v + (*v == '+')), *save = NULL, *left = xstrdup(""), *t;
        bool derived = false, others = false;

        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (isolation_word(w)) {
                        derived = true;
                        continue;
                }
                if (!strchr(w, '$') && !strpbrk(w, "\"'`\\") && *w != '-') {
                        char *id = xasprintf("%.*s", (int)strcspn(w, "="), w);

                        for (char *c = id; *c; c++)
                                *c = *c == '-' ? '_' : *c;
                        imp_put(im, IS_CMDLINE, NULL, "args", id, w, src);
                        free(id);
                        others = true;
                        continue;
                }
                t = xasprintf("%s%s%s", left, *left ? " " : "", w);
                free(left);
                left = t;
        }
        t = xasprintf("(%s%s%s%s%s)", derived ? "isolcpus=, nohz_full=, rcu_nocbs= and irqaffinity= come from [isolation]" : "",
                      derived && others ? ", " : "", others ? "the other arguments go to [cmdline]" : "",
                      *left ? "; not carried: " : "", left);
        if (*left) {
                char *u = xasprintf("%s (a TuneD variable or function, which import does not evaluate)", t);
                free(t);
                t = u;
        }
        imp_carried(im, src, t);
        free(t);
        free(left);
        free(copy);
}

/*
 * A line of the isolation plugins: 1 handled, 0 not one of them.  [scheduler]
 * is reported whether or not isolated_cores is known; the others are
 * carried by [isolation] once it is.
 */
static int isolation_line(struct imp *im, const struct section *sec, const char *key, const char *v,
                          const struct imp_src *src)
{
        bool known = im->tuned_isolation;

        if (!strcmp(key, "type") || !strcmp(key, "enabled") || !strcmp(key, "replace") || !strcmp(key, "priority"))
                return 0;
        if (!strcmp(sec->plugin, "scheduler") &&
            (!strcmp(key, "isolated_cores") || !strcmp(key, "ps_blacklist") || !strcmp(key, "ps_whitelist") ||
             !strncmp(key, "group.", 6) || !strncmp(key, "cgroup", 6))) {
                imp_refused(im, src, "%s", REPIN);
                return 1;
        }
        if (!known)
                return 0;
        if (!strcmp(sec->plugin, "bootloader") && !strncmp(key, "cmdline", 7)) {
                bootloader_cmdline(im, v, src);
                return 1;
        }
        if (!strcmp(sec->plugin, "bootloader")) {
                imp_refused(im, src, "TuneD's [bootloader] %s (an initrd TuneD builds) has no kvmtune form", key);
                return 1;
        }
        if (!strcmp(sec->plugin, "irqbalance") && !strcmp(key, "banned_cpus")) {
                imp_carried(im, src, "(by [isolation]: IRQBALANCE_BANNED_CPULIST in irqbalance's unit drop-in)");
                return 1;
        }
        if (!strcmp(sec->plugin, "systemd") && !strcmp(key, "cpu_affinity")) {
                imp_carried(im, src, "(by [isolation]: CPUAffinity= in /etc/systemd/system.conf.d/kvmtune.conf)");
                return 1;
        }
        if (!strcmp(sec->plugin, "sysfs") && strchr(v, '$') &&
            (!strcmp(key, "/sys/bus/workqueue/devices/writeback/cpumask") ||
             !strcmp(key, "/sys/devices/virtual/workqueue/cpumask"))) {
                imp_carried(im, src, "(by [isolation])");
                return 1;
        }
        if (!strcmp(sec->plugin, "sysfs") && strchr(v, '$') && !strcmp(key, "/sys/devices/virtual/workqueue/*/cpumask")) {
                imp_carried(im, src, "(by [isolation]: its global unbound cpumask bounds every unbound workqueue)");
                return 1;
        }
        return 0;
}

/* type=, devices= and enabled= may come anywhere in a section: read them from the lines after its header */
static void section_head(struct section *sec, const char *header, const struct imp_file *f, size_t pos)
{
        struct imp_rline l = { 0 };

        free(sec->devices);
        *sec = (struct section){ 0 };
        snprintf(sec->name, sizeof(sec->name), "%.*s", (int)strcspn(header + 1, "]"), header + 1);
        snprintf(sec->plugin, sizeof(sec->plugin), "%s", sec->name);
        while (imp_next_line(NULL, f, &pos, "#;", false, &l) && *l.s != '[') {
                char *t = l.s, *te = strchr(t, '=');

                if (!te)
                        continue;
                *te++ = '\0';
                trim(t);
                trim(te);
                if (!strcmp(t, "type"))
                        snprintf(sec->plugin, sizeof(sec->plugin), "%s", te);
                else if (!strcmp(t, "enabled"))
                        sec->disabled = !strcmp(te, "false") || !strcmp(te, "0");
                else if (!strcmp(t, "devices")) {
                        free(sec->devices);
                        sec->devices = devices_sub(te);
                        if (!sec->devices)
                                sec->devices = xstrdup("\x01");  /* not expressible */
                }
        }
        free(l.s);              /* the next header, or nothing */
        free(l.clean);
}

static void read_profile_file(struct imp *im, struct imp_file *f, char (*seen)[128], size_t depth)
{
        struct section sec = { .name = "", .plugin = "" };
        struct imp_rline l = { 0 };
        bool in_main = false;

        /* [main] include= first, quietly (the pass below reports refused lines): the parents come first */
        for (size_t pos = 0; imp_next_line(NULL, f, &pos, "#;", false, &l);) {
                if (*l.s == '[')
                        in_main = !strcmp(l.s, "[main]");
                else if (in_main && !strncmp(l.s, "include", 7) && strchr(l.s, '=')) {
                        char *v = strchr(l.s, '=') + 1, *save = NULL;
                        for (char *p = strtok_r(v, ", \t", &save); p; p = strtok_r(NULL, ", \t", &save))
                                profile(im, p, &l.src, seen, depth + 1);
                }
        }
        for (size_t pos = 0; imp_next_line(im, f, &pos, "#;", false, &l);) {
                char *eq, *key, *v;
                const struct imp_src *src = &l.src;

                if (*l.s == '[') {
                        section_head(&sec, l.s, f, pos);
                        continue;
                }
                eq = strchr(l.s, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                key = l.s;
                v = eq + 1;
                trim(key);
                trim(v);
                if (!strcmp(sec.name, "variables") && !sec.disabled && !strcmp(key, "include") && !strchr(v, '$')) {
                        read_variables(im, v, src);
                } else if (!strcmp(sec.name, "main") || !strcmp(sec.name, "variables") || sec.disabled) {
                        /* include= is read above; [variables] only feeds ${...} */
                } else if (isolation_line(im, &sec, key, v, src)) {
                        /* [isolation] carries it, or the reason is told */
                } else if (strstr(v, "${") || strchr(v, '$')) {
                        imp_refused(im, src, "it holds a TuneD variable or function (${...}), which import does "
                                             "not evaluate");
                } else if (!strcmp(sec.plugin, "sysctl")) {
                        if (!strcmp(key, "type") || !strcmp(key, "replace"))
                                ;
                        else if (v[0] == '>' && v[1] != '=' && strspn(v + 1, " \t0123456789") == strlen(v + 1)) {
                                /* TuneD's ">N": never lower it, kvmtune's ">= N" */
                                char *b = xasprintf(">= %s", v + 1 + strspn(v + 1, " \t"));
                                if (imp_sysctl(im, key, b, false, src) < 0)
                                        imp_refused(im, src, "%s", im->why);
                                else
                                        imp_carried(im, src, NULL);
                                free(b);
                        } else if (imp_sysctl(im, key, v, false, src) < 0)
                                imp_refused(im, src, "%s", im->why);
                        else
                                imp_carried(im, src, NULL);
                } else if (!strcmp(sec.plugin, "vm")) {
                        if (!strcmp(key, "transparent_hugepages") || !strcmp(key, "transparent_huge_pages")) {
                                if (strcmp(v, "always") && strcmp(v, "never") && strcmp(v, "madvise"))
                                        imp_refused(im, src, "'%s' is not always, madvise or never", v);
                                else
                                        carry(im, src, imp_kernel_write(im, "/sys/kernel/mm/transparent_hugepage/enabled",
                                                                        v, src));
                        } else if (!strncmp(key, "dirty_", 6)) {
                                char *k = xasprintf("vm.%s", key);
                                carry(im, src, imp_sysctl(im, k, v, false, src));
                                free(k);
                        } else if (strcmp(key, "type") && strcmp(key, "replace")) {
                                imp_refused(im, src, "TuneD's [vm] %s has no kvmtune form", key);
                        }
                } else if (!strcmp(sec.plugin, "disk")) {
                        if (sec.devices && !strcmp(sec.devices, "\x01"))
                                imp_refused(im, src, "devices= uses negation or a pattern kvmtune globs cannot say");
                        else
                                disk_key(im, &sec, key, v, src);
                } else if (!strcmp(sec.plugin, "cpu")) {
                        cpu_key(im, key, v, src);
                } else if (!strcmp(sec.plugin, "net")) {
                        net_key(im, &sec, key, v, src);
                } else if (!strcmp(sec.plugin, "sysfs")) {
                        carry(im, src, imp_kernel_write(im, key, v, src));
                } else if (strcmp(key, "type") && strcmp(key, "enabled") && strcmp(key, "replace") &&
                           strcmp(key, "devices")) {
                        imp_refused(im, src, "TuneD's [%s] plugin has no kvmtune form%s", sec.plugin,
                                    !strcmp(sec.plugin, "bootloader") ? " (the kernel command line stays with grub)" : "");
                }
        }
        free(sec.devices);
}

static void profile(struct imp *im, const char *name, const struct imp_src *from, char (*seen)[128], size_t depth)
{
        struct imp_file f;
        const char *why = NULL;
        char path[300];

        if (!profile_name_ok(name)) {
                imp_refused(im, from, "'%s' is not a TuneD profile name", name);
                return;
        }
        if (depth >= MAX_INCLUDE) {
                imp_refused(im, from, "TuneD includes nested more than %d deep", MAX_INCLUDE);
                return;
        }
        for (size_t i = 0; i < depth; i++)
                if (!strcmp(seen[i], name)) {
                        imp_refused(im, from, "the TuneD profile %s includes itself", name);
                        return;
                }
        snprintf(seen[depth], 128, "%s", name);
        for (size_t d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
                snprintf(path, sizeof(path), "%s%s/tuned.conf", dirs[d], name);
                if (imp_read_rooted(im, path, IK_TUNED, &f, &why) == 0) {
                        read_profile_file(im, &f, seen, depth);
                        imp_file_free(&f);
                        return;
                }
        }
        imp_refused(im, from, "the TuneD profile %s is not on this host (/etc/tuned, /usr/lib/tuned)", name);
}

/*
 * Before the profiles are read: the isolated_cores their variables files
 * end with (TuneD merges every variable before it expands any), so that a
 * parent's ${isolated_cores} lines know whether [isolation] carries them.
 */
static void prescan_variables(struct imp *im, const char *name, size_t depth, char **cores)
{
        struct imp_file f, vf;
        char path[300];
        const char *why = NULL;

        if (!profile_name_ok(name) || depth >= MAX_INCLUDE)
                return;
        for (size_t d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
                struct imp_rline l = { 0 };
                bool in_main = false, in_vars = false;

                snprintf(path, sizeof(path), "%s%s/tuned.conf", dirs[d], name);
                if (imp_read_rooted(im, path, IK_TUNED, &f, &why) < 0)
                        continue;
                for (size_t pos = 0; imp_next_line(NULL, &f, &pos, "#;", false, &l);) {
                        char *key = l.s, *v = strchr(l.s, '=');

                        if (*l.s == '[') {
                                in_main = !strncmp(l.s, "[main]", 6);
                                in_vars = !strncmp(l.s, "[variables]", 11);
                                continue;
                        }
                        if (!v)
                                continue;
                        *v++ = '\0';
                        trim(key);
                        trim(v);
                        if (in_main && !strcmp(key, "include")) {
                                char *save = NULL;
                                for (char *p = strtok_r(v, ", \t", &save); p; p = strtok_r(NULL, ", \t", &save))
                                        prescan_variables(im, p, depth + 1, cores);
                        } else if (in_vars && !strcmp(key, "include") && !strchr(v, '$') &&
                                   imp_read_rooted(im, v, IK_TUNED, &vf, &why) == 0) {
                                struct imp_rline vl = { 0 };

                                for (size_t vpos = 0; imp_next_line(NULL, &vf, &vpos, "#", false, &vl);) {
                                        char *vk = vl.s, *vv = strchr(vl.s, '=');

                                        if (!vv)
                                                continue;
                                        *vv++ = '\0';
                                        trim(vk);
                                        trim(vv);
                                        if (!strcmp(vk, "isolated_cores")) {
                                                free(*cores);
                                                *cores = xstrdup(vv);
                                        }
                                }
                                imp_file_free(&vf);
                        }
                }
                imp_file_free(&f);
                return;
        }
}

/* one or more profile names (TuneD merges "a b" in that order) */
int imp_tuned_profiles(struct imp *im, const char *names, const struct imp_src *from)
{
        char seen[MAX_INCLUDE + 1][128];
        char *copy = xstrdup(names), *save = NULL, *cores = NULL;
        unsigned failed = im->n_failed;
        int n = 0;

        for (char *p = strtok_r(copy, " \t", &save); p; p = strtok_r(NULL, " \t", &save))
                prescan_variables(im, p, 0, &cores);
        im->tuned_isolation = cores && cpu_list_valid(cores);
        free(cores);
        free(copy);
        copy = xstrdup(names);
        save = NULL;
        for (char *p = strtok_r(copy, " \t", &save); p; p = strtok_r(NULL, " \t", &save), n++)
                profile(im, p, from, seen, 0);
        free(copy);
        if (n && !im->tuned_note) {
                im->tuned_note = true;
                if (!im->k->quiet)
                        fprintf(im->report ? im->report : stderr,
                                "kvmtune: %s:%u: TuneD applies this profile too: run 'tuned-adm off' and disable "
                                "tuned.service once the configuration is installed\n", from->file, from->line);
        }
        return im->n_failed == failed ? 1 : -1;
}

/* /etc/tuned/active_profile: the profile names TuneD applies at boot */
void imp_read_tuned(struct imp *im, struct imp_file *f)
{
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", false, &l);)
                imp_tuned_profiles(im, l.s, &l.src);
}
