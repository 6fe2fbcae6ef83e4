/* SPDX-License-Identifier: MIT */
/*
 * rc.local: cpupower frequency-set, set and idle-set, as [cpu] keys.
 */
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/*
 * The argument of option word w of a cpupower command, or NULL when w is not
 * that option: -oARG, -o ARG, --long=ARG, --long ARG (getopt_long's forms).
 * *i moves past what was used.
 */
static const char *cpupower_arg(const struct cmd *c, size_t *i, char short_opt, const char *long_opt)
{
        const char *w = c->w[*i].s;
        size_t n = strlen(long_opt);

        if (w[0] == '-' && w[1] == short_opt) {
                if (w[2])
                        return (*i)++, w + 2;
        } else if (!strncmp(w, "--", 2) && !strncmp(w + 2, long_opt, n) && (!w[2 + n] || w[2 + n] == '=')) {
                if (w[2 + n])
                        return (*i)++, w + 3 + n;
        } else {
                return NULL;
        }
        if (*i + 1 >= c->n)
                return NULL;
        *i += 2;
        return c->w[*i - 1].s;
}

static bool cpupower_is(const char *w, const char *short_opt, const char *long_opt)
{
        size_t n = strlen(long_opt);

        return !strncmp(w, short_opt, 2) ||
               (!strncmp(w, "--", 2) && !strncmp(w + 2, long_opt, n) && (!w[2 + n] || w[2 + n] == '='));
}

/*
 * cpupower [-c LIST] frequency-set -g GOVERNOR, set -b BIAS | -e EPP and
 * idle-set -D LATENCY: the [cpu] keys (cpupower's *-set commands act on
 * every CPU unless -c names some).  idle-set -D N disables the states whose
 * latency is N or more, which is idle_max_latency_us = N - 1.  Frequency
 * limits, idle states by number and turbo have no kvmtune form: reported.
 */
int sh_do_cpupower(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const char *cpus = NULL, *verb, *v, *idle_arg = NULL, *keys[3];
        char *values[3] = { NULL };
        size_t i = 1, n = 0;
        uint64_t u;
        int r = -1;

        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        while (i < c->n && c->w[i].s[0] == '-') {
                if ((v = cpupower_arg(c, &i, 'c', "cpu")))
                        cpus = v;
                else if (!strcmp(c->w[i].s, "-d") || !strcmp(c->w[i].s, "--debug"))
                        i++;
                else
                        return sh_refuse(c, "the cpupower option '%s' is not understood", c->w[i].s);
        }
        if (i == c->n)
                return sh_refuse(c, "cpupower without a command");
        verb = c->w[i++].s;
        if (strcmp(verb, "frequency-set") && strcmp(verb, "set") && strcmp(verb, "idle-set"))
                return sh_refuse(c, "cpupower %s sets nothing kvmtune has (only frequency-set -g, set -b|-e and "
                                    "idle-set -D are carried)", verb);
        if (cpus && !strcmp(cpus, "all"))
                cpus = NULL;
        while (i < c->n) {
                const char *w = c->w[i].s, *key = NULL;

                if (n == sizeof(keys) / sizeof(*keys))
                        goto refused_many;
                if (!strcmp(verb, "frequency-set")) {
                        if (cpupower_is(w, "-r", "related")) {  /* a governor is per policy anyway */
                                i++;
                                continue;
                        }
                        if ((v = cpupower_arg(c, &i, 'g', "governor"))) {
                                key = "governor";
                                values[n] = xstrdup(v);
                        } else if (cpupower_is(w, "-d", "min") || cpupower_is(w, "-u", "max") ||
                                   cpupower_is(w, "-f", "freq")) {
                                sh_refuse(c, "CPU frequency limits (%s): kvmtune has no form for them; only -g "
                                             "GOVERNOR is carried", w);
                                goto out;
                        }
                } else if (!strcmp(verb, "set")) {
                        if ((v = cpupower_arg(c, &i, 'b', "perf-bias"))) {
                                if (parse_u64(v, &u) < 0 || u > 15) {
                                        sh_refuse(c, "'%s' is not an energy_perf_bias 0-15", v);
                                        goto out;
                                }
                                key = "energy_perf_bias";
                                values[n] = xasprintf("%u", (unsigned)u);
                        } else if ((v = cpupower_arg(c, &i, 'e', "epp"))) {
                                key = "energy_performance_preference";
                                values[n] = xstrdup(v);
                        }
                } else if ((v = cpupower_arg(c, &i, 'D', "disable-by-latency"))) {
                        if (parse_u64(v, &u) < 0 || u > (uint64_t)UINT32_MAX + 1) {
                                sh_refuse(c, "'%s' is not a latency in microseconds", v);
                                goto out;
                        }
                        if (u == 0) {
                                sh_refuse(c, "idle-set -D 0 disables every state, polling too; kvmtune's nearest "
                                             "is [cpu] resume_latency_us = n/a");
                                goto out;
                        }
                        key = "idle_max_latency_us";
                        values[n] = xasprintf("%llu", (unsigned long long)(u - 1));
                        idle_arg = v;
                }
                if (!key) {
                        if (!strcmp(verb, "idle-set") && (cpupower_is(w, "-d", "disable") ||
                                                          cpupower_is(w, "-e", "enable") ||
                                                          cpupower_is(w, "-E", "enable-all")))
                                sh_refuse(c, "idle states by number (%s): kvmtune disables them by latency "
                                             "([cpu] idle_max_latency_us)", w);
                        else
                                sh_refuse(c, "cpupower %s %s has no kvmtune form", verb, w);
                        goto out;
                }
                keys[n++] = key;
        }
        if (!n) {
                sh_refuse(c, "cpupower %s with nothing to set", verb);
                goto out;
        }
        for (size_t j = 0; j < n; j++)
                if (imp_cpu_check(p->im, cpus, keys[j], values[j]) < 0) {
                        sh_refuse(c, "%s", p->im->why);
                        goto out;
                }
        for (size_t j = 0; j < n; j++) {
                struct imp_entry *e;

                imp_cpu(p->im, cpus, keys[j], values[j], src);
                e = imp_find(p->im, IS_CPU, cpus, keys[j]);
                if (e && idle_arg && !strcmp(keys[j], "idle_max_latency_us"))
                        imp_note(e, "cpupower idle-set -D %s disables the states of latency %s us or more: "
                                    "idle_max_latency_us = %s", idle_arg, idle_arg, values[j]);
        }
        c->status = ST_CARRIED;
        r = 1;
        goto out;
refused_many:
        sh_refuse(c, "more options than kvmtune carries in one cpupower command");
out:
        for (size_t j = 0; j < sizeof(values) / sizeof(*values); j++)
                free(values[j]);
        return r;
}
