/* SPDX-License-Identifier: MIT */
/*
 * One key line of a TuneD plugin section that TuneD applies on this host
 * (tuned.c decided that: enabled, its condition holds, its devices are its
 * own), carried as the kvmtune setting that means the same, or reported:
 * [sysctl] (values unquoted as TuneD unquotes them, '>N'/'<N' as bounds,
 * the host's sysctl files winning when TuneD re-applies them), [vm]
 * transparent_hugepages, [disk] elevator and readahead, [net] ring=,
 * channels=, features=, coalesce= and txqueuelen=, [cpu], [sysfs] for the
 * kernel files kvmtune sets, and the lines [isolation] derives.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

static void carry(struct imp *im, const struct imp_src *src, int r)
{
        if (r > 0)
                imp_carried(im, src, NULL);
        else
                imp_refused(im, src, "%s", r == 0 ? "not a kernel file kvmtune sets" : im->why);
}

static void disk_key(struct imp *im, const struct tuned_key *tk, const char *key, const char *v,
                     const struct imp_src *src)
{
        const char *dev = tk->sub;

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
static void net_key(struct imp *im, const struct tuned_key *tk, const char *key, const char *v,
                    const struct imp_src *src)
{
        static const char *const opts[][2] = {
                { "ring", "-G" }, { "channels", "-L" }, { "features", "-K" }, { "coalesce", "-C" },
        };
        const char *opt = NULL;
        char *copy, *args[64];
        size_t n = 0;

        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
                if (!strcmp(key, opts[i][0]))
                        opt = opts[i][1];
        if (!opt && strcmp(key, "txqueuelen")) {
                imp_refused(im, src, "TuneD's [net] %s has no kvmtune form", key);
                return;
        }
        if (!strcmp(tk->sub, "*")) {
                imp_refused(im, src, "TuneD's [net] without devices= tunes every physical interface it finds, which "
                                     "kvmtune cannot tell from virtual ones: give the names or a glob in devices=");
                return;
        }
        if (!opt) {
                carry(im, src, imp_netdev_txqueuelen(im, tk->sub, v, src));
                return;
        }
        copy = xstrdup(v);
        for (char *save = NULL, *w = strtok_r(copy, " \t:;,", &save); w && n < 64; w = strtok_r(NULL, " \t:;,", &save))
                args[n++] = w;
        carry(im, src, imp_ethtool(im, opt, tk->sub, args, n, src));
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
static int isolation_line(struct imp *im, const struct tuned_key *tk, const char *key, const char *v,
                          const struct imp_src *src)
{
        bool known = im->tuned_isolation;

        if (!strcmp(tk->plugin, "scheduler") &&
            (!strcmp(key, "isolated_cores") || !strcmp(key, "ps_blacklist") || !strcmp(key, "ps_whitelist") ||
             !strncmp(key, "group.", 6) || !strncmp(key, "cgroup", 6))) {
                imp_refused(im, src, "%s", REPIN);
                return 1;
        }
        if (!known)
                return 0;
        if (!strcmp(tk->plugin, "bootloader") && !strncmp(key, "cmdline", 7)) {
                bootloader_cmdline(im, v, src);
                return 1;
        }
        if (!strcmp(tk->plugin, "bootloader")) {
                imp_refused(im, src, "TuneD's [bootloader] %s (an initrd TuneD builds) has no kvmtune form", key);
                return 1;
        }
        if (!strcmp(tk->plugin, "irqbalance") && !strcmp(key, "banned_cpus")) {
                imp_carried(im, src, "(by [isolation]: IRQBALANCE_BANNED_CPULIST in irqbalance's unit drop-in)");
                return 1;
        }
        if (!strcmp(tk->plugin, "systemd") && !strcmp(key, "cpu_affinity")) {
                imp_carried(im, src, "(by [isolation]: CPUAffinity= in /etc/systemd/system.conf.d/kvmtune.conf)");
                return 1;
        }
        if (!strcmp(tk->plugin, "sysfs") && strchr(v, '$') &&
            (!strcmp(key, "/sys/bus/workqueue/devices/writeback/cpumask") ||
             !strcmp(key, "/sys/devices/virtual/workqueue/cpumask"))) {
                imp_carried(im, src, "(by [isolation])");
                return 1;
        }
        if (!strcmp(tk->plugin, "sysfs") && strchr(v, '$') && !strcmp(key, "/sys/devices/virtual/workqueue/*/cpumask")) {
                imp_carried(im, src, "(by [isolation]: its global unbound cpumask bounds every unbound workqueue)");
                return 1;
        }
        return 0;
}


/* TuneD's unquote(): one pair of double quotes around the whole value goes */
static char *unquote(const char *v)
{
        size_t n = strlen(v);

        return n >= 2 && v[0] == '"' && v[n - 1] == '"' ? xasprintf("%.*s", (int)(n - 2), v + 1) : xstrdup(v);
}

/* the host's sysctl files TuneD re-applies after its [sysctl]: /run/sysctl.d, /etc/sysctl.d, /etc/sysctl.conf */
static bool from_sysctl_file(const struct imp_entry *e)
{
        return !strncmp(e->src, "/etc/sysctl.d/", 14) || !strncmp(e->src, "/run/sysctl.d/", 14) ||
               !strncmp(e->src, "/etc/sysctl.conf:", 17);
}

/*
 * [sysctl]: the value unquoted, then TuneD's assignment modifiers: '>N'
 * writes N only where it raises the value (kvmtune's ">= N"), '<N' only
 * where it lowers it ("<= N"); with anything but a number after them TuneD
 * writes the text as it is, which a numeric key refuses.  Where the host's
 * sysctl files set the key too and TuneD re-applies them after the profile
 * (reapply_sysctl), the file's value stays: the profile line is carried
 * into a comment on it.
 */
static void sysctl_key(struct imp *im, const struct tuned_key *tk, const char *key, const char *raw,
                       const struct imp_src *src)
{
        char *v = unquote(raw), *bound = NULL, *path = sysctl_key_to_path(*key == '-' ? key + 1 : key);
        struct imp_entry *e = path ? imp_find(im, IS_SYSCTL, NULL, path) : NULL;
        const char *num = v + 1 + strspn(v + 1, " \t");
        bool host_file = e && !e->dropped && from_sysctl_file(e);

        if ((*v == '>' || *v == '<') && v[1]) {
                char *end;

                strtoll(num, &end, 10);
                if (end == num || *(end + strspn(end, " \t"))) {
                        imp_refused(im, src, "TuneD's '%c' takes a number; with '%s' it writes the text as it is, "
                                             "which the kernel refuses for a numeric key", *v, v);
                        goto out;
                }
                bound = xasprintf("%s %.*s", *v == '>' ? ">=" : "<=", (int)(end - num), num);
        }
        if (host_file && tk->main->reapply_sysctl) {
                imp_note(e, "TuneD's %s:%u sets %s too, but TuneD re-applies the host's sysctl files after its "
                            "profile (%s): this value stays", src->file, src->line, bound ? bound : v,
                         tk->main->reapply_where);
                imp_carried(im, src, "(the host's sysctl file wins: TuneD re-applies it after the profile)");
                goto out;
        }
        if (imp_sysctl(im, key, bound ? bound : v, false, src) < 0) {
                imp_refused(im, src, "%s", im->why);
                goto out;
        }
        if (host_file && (e = imp_find(im, IS_SYSCTL, NULL, path)))
                imp_note(e, "TuneD's profile wins over the host's sysctl file here: TuneD does not re-apply "
                            "them (%s)", tk->main->reapply_where);
        imp_carried(im, src, NULL);
out:
        free(path);
        free(bound);
        free(v);
}

/* an unescaped ${...}: a TuneD variable or function */
bool tuned_has_var(const char *v)
{
        for (const char *p = v; (p = strstr(p, "${")); p++)
                if (p == v || p[-1] != '\\')
                        return true;
        return false;
}

void tuned_key(struct imp *im, const struct tuned_key *tk, const char *key, const char *v, const struct imp_src *src)
{
        const char *p = tk->plugin;

        if (isolation_line(im, tk, key, v, src)) {
                /* [isolation] carries it, or the reason is told */
        } else if (tuned_has_var(v)) {
                imp_refused(im, src, "it holds a TuneD variable or function (${...}), which import does not evaluate");
        } else if (!strcmp(p, "sysctl")) {
                sysctl_key(im, tk, key, v, src);
        } else if (!strcmp(p, "vm")) {
                const char *file = !strcmp(key, "transparent_hugepage.defrag") ? "defrag" : "enabled";

                if (strcmp(key, "transparent_hugepages") && strcmp(key, "transparent_hugepage") &&
                    strcmp(key, "transparent_huge_pages") && strcmp(key, "transparent_hugepage.defrag")) {
                        if (!strncmp(key, "dirty_", 6)) {
                                char *k = xasprintf("vm.%s", key);
                                carry(im, src, imp_sysctl(im, k, v, false, src));
                                free(k);
                        } else {
                                imp_refused(im, src, "TuneD's [vm] %s has no kvmtune form", key);
                        }
                } else if (strcmp(v, "always") && strcmp(v, "never") && strcmp(v, "madvise") &&
                           (strcmp(file, "defrag") || (strcmp(v, "defer") && strcmp(v, "defer+madvise")))) {
                        imp_refused(im, src, "'%s' is not a value of transparent_hugepage/%s", v, file);
                } else {
                        char *path = xasprintf("/sys/kernel/mm/transparent_hugepage/%s", file);
                        carry(im, src, imp_kernel_write(im, path, v, src));
                        free(path);
                }
        } else if (!strcmp(p, "disk")) {
                disk_key(im, tk, key, v, src);
        } else if (!strcmp(p, "cpu")) {
                cpu_key(im, key, v, src);
        } else if (!strcmp(p, "net")) {
                net_key(im, tk, key, v, src);
        } else if (!strcmp(p, "sysfs")) {
                size_t n = strlen(v);

                if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
                        imp_refused(im, src, "TuneD's [sysfs] writes the value with its quotes, which a kernel file "
                                             "refuses");
                else if (strpbrk(key, "*?["))
                        carry(im, src, imp_glob_write(im, key, v, src));
                else
                        carry(im, src, imp_kernel_write(im, key, v, src));
        } else {
                imp_refused(im, src, "TuneD's [%s] plugin has no kvmtune form%s", p,
                            !strcmp(p, "bootloader") ? " (the kernel command line stays with grub)" : "");
        }
}
