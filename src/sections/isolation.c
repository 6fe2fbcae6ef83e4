/* SPDX-License-Identifier: MIT */
/*
 * [isolation]: cores kept for guests (cpus = LIST), the other online CPUs
 * doing the housekeeping.  Derived, each its own setting:
 *  - the kernel arguments isolcpus= ([managed_irq,]domain,LIST), nohz_full=,
 *    rcu_nocbs= and irqaffinity=HOUSEKEEPING, kept by [cmdline] (which asks
 *    isolation_boot_args() for them; a [cmdline] args word of the same name
 *    wins);
 *  - /proc/irq/default_smp_affinity and every IRQ's smp_affinity_list; an
 *    IRQ the kernel will not move (EIO: managed or per-CPU) is told at info
 *    level and counted, not an error;
 *  - the workqueue and writeback cpumasks;
 *  - TuneD's realtime sysctls, each unless [sysctl] names the key;
 *  - irqbalance's banned CPUs (a drop-in for its unit, where it is
 *    installed) and systemd's CPUAffinity= (a system.conf.d drop-in): files
 *    kvmtune owns whole, written only by apply without --stage, removed by
 *    the first apply without the section; revert leaves them, as [cmdline].
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kvmtune.h"
#include "cpuset.h"

#define IRQBALANCE_DIR "etc/systemd/system/irqbalance.service.d"
#define SYSTEMD_DIR "etc/systemd/system.conf.d"
#define DROPIN_NAME "kvmtune.conf"
#define SYSTEMCTL_ENV "KVMTUNE_SYSTEMCTL"

extern char **environ;

enum { ORDER_SYSCTL, ORDER_WORKQUEUE, ORDER_IRQ_DEFAULT, ORDER_IRQ, ORDER_DROPIN };
enum kind { KIND_FILE, KIND_IRQ, KIND_IRQBALANCE, KIND_SYSTEMD };

/* TuneD's network-latency and realtime profiles, under realtime-virtual-host */
static const struct { const char *key, *path, *value; } defaults[] = {
        { "kernel.timer_migration", "proc/sys/kernel/timer_migration", "0" },
        { "vm.stat_interval", "proc/sys/vm/stat_interval", "10" },
        { "kernel.nmi_watchdog", "proc/sys/kernel/nmi_watchdog", "0" },
        { "kernel.hung_task_timeout_secs", "proc/sys/kernel/hung_task_timeout_secs", "600" },
        { "kernel.sched_rt_runtime_us", "proc/sys/kernel/sched_rt_runtime_us", "-1" },
};

static const char *const arg_names[ISOLATION_N_ARGS] = { "isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity" };

struct isolation_state {
        char *cpus;
        struct origin cpus_at, managed_at;
        bool managed_irq;
        /* resolve() */
        int resolved;           /* 0: not yet, 1: known, -1: refused */
        struct cpuset iso, hk;
        char *iso_list, *hk_list, *hk_mask;
        struct boot_arg args[ISOLATION_N_ARGS];
        unsigned n_refused;     /* IRQs the kernel kept */
};

static struct isolation_state *state(struct kvmtune *k)
{
        if (!k->state[SEC_ISOLATION])
                k->state[SEC_ISOLATION] = xcalloc(1, sizeof(struct isolation_state));
        return k->state[SEC_ISOLATION];
}

/* what a setting of the section is (more->data is freed with the setting: not used) */
static enum kind kind_of(const struct setting *s)
{
        char name[SETTING_NAME_MAX];

        if (s->order == ORDER_IRQ)
                return KIND_IRQ;
        if (s->order != ORDER_DROPIN)
                return KIND_FILE;
        return !strcmp(setting_name(s, name, sizeof(name)), "irqbalance") ? KIND_IRQBALANCE : KIND_SYSTEMD;
}

static int isolation_parse(struct kvmtune *k, const char *sub, const char *key,
                           const char *value, struct origin at)
{
        struct isolation_state *st = state(k);
        struct cpuset set;

        (void)sub;
        if (!strcmp(key, "cpus")) {
                if (!value || cpuset_parse_list(value, &set) < 0 || cpuset_empty(&set)) {
                        log_error(k, &at, "isolation cpus: '%s' is not a CPU list (\"2-3,6\")", value ? value : "");
                        return -EINVAL;
                }
                free(st->cpus);
                st->cpus = xstrdup(value);
                st->cpus_at = at;
                return 0;
        }
        if (!strcmp(key, "managed-irq")) {
                if (!value || parse_bool(value, &st->managed_irq) < 0) {
                        log_error(k, &at, "isolation managed-irq: '%s' is not yes or no", value ? value : "");
                        return -EINVAL;
                }
                st->managed_at = at;
                return 0;
        }
        log_error(k, &at, "unknown key '%s' in [isolation] (the keys are cpus and managed-irq)", key);
        return -EINVAL;
}

/* The sets from the online CPUs, once: 1 known, 0 no section, -1 refused */
static int resolve(struct kvmtune *k)
{
        struct isolation_state *st = k->state[SEC_ISOLATION];
        struct cpuset online;
        char *raw = NULL;
        int r;

        if (!st || !st->cpus)
                return 0;
        if (st->resolved)
                return st->resolved;
        st->resolved = -1;
        r = kernfs_read(k, "sys/devices/system/cpu/online", &raw);
        if (r < 0 || cpuset_parse_list(raw, &online) < 0) {
                log_error(k, &st->cpus_at, "isolation: cannot read the online CPUs (/sys/devices/system/cpu/online): %s",
                          r < 0 ? strerror(-r) : "malformed");
                free(raw);
                return -1;
        }
        cpuset_parse_list(st->cpus, &st->iso);
        for (unsigned c = 0; c < CPUSET_MAX; c++)
                if (cpuset_has(&st->iso, c) && !cpuset_has(&online, c)) {
                        log_error(k, &st->cpus_at, "isolation cpus: CPU %u is offline or absent (online: %s)", c, raw);
                        free(raw);
                        return -1;
                }
        free(raw);
        for (size_t i = 0; i < sizeof(online.w) / sizeof(online.w[0]); i++)
                st->hk.w[i] = online.w[i] & ~st->iso.w[i];
        if (cpuset_empty(&st->hk)) {
                log_error(k, &st->cpus_at, "isolation cpus: %s leaves no online CPU for housekeeping", st->cpus);
                return -1;
        }
        st->iso_list = cpuset_list(&st->iso);
        st->hk_list = cpuset_list(&st->hk);
        st->hk_mask = cpuset_mask(&st->hk);
        for (size_t i = 0; i < ISOLATION_N_ARGS; i++)
                st->args[i] = (struct boot_arg){ .name = arg_names[i], .at = st->cpus_at };
        st->args[0].word = xasprintf("isolcpus=%sdomain,%s", st->managed_irq ? "managed_irq," : "", st->iso_list);
        st->args[1].word = xasprintf("nohz_full=%s", st->iso_list);
        st->args[2].word = xasprintf("rcu_nocbs=%s", st->iso_list);
        st->args[3].word = xasprintf("irqaffinity=%s", st->hk_list);
        st->resolved = 1;
        return 1;
}

int isolation_boot_args(struct kvmtune *k, const struct boot_arg **v)
{
        static const struct boot_arg unknown[ISOLATION_N_ARGS] = {
                { .name = "isolcpus" }, { .name = "nohz_full" }, { .name = "rcu_nocbs" }, { .name = "irqaffinity" },
        };
        int r;

        *v = unknown;
        if (!section_enabled(k, SEC_ISOLATION))
                return -1;      /* --only without it: the words stay as they are */
        r = resolve(k);
        if (r > 0)
                *v = ((struct isolation_state *)k->state[SEC_ISOLATION])->args;
        return r;
}

static bool list_equal(const char *cur, const char *want)
{
        struct cpuset a, b;

        return cpuset_parse_list(cur, &a) == 0 && cpuset_parse_list(want, &b) == 0 && cpuset_equal(&a, &b);
}

static bool mask_equal(const char *cur, const char *want)
{
        struct cpuset a, b;

        return cpuset_parse_mask(cur, &a) == 0 && cpuset_parse_mask(want, &b) == 0 && cpuset_equal(&a, &b);
}

static const struct knob_ops list_knob = { .equal = list_equal };
static const struct knob_ops mask_knob = { .equal = mask_equal };

static struct setting *plan_file(struct kvmtune *k, const char *name, const char *path, const char *want,
                                 const struct knob_ops *knob, unsigned order, bool optional)
{
        struct isolation_state *st = k->state[SEC_ISOLATION];
        struct setting *s = setting_add(k, SEC_ISOLATION, name, path, want, st->cpus_at);
        int r;

        s->order = order;
        if (knob)
                set_more(s)->knob = knob;
        r = setting_read(k, s);
        if (r == -ENOENT && optional) {
                setting_skip(s, "not on this kernel");
        } else if (r < 0) {
                setting_fail(k, s, "cannot read /%s: %s", path, kernfs_strerror(k, r));
        } else {
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        }
        return s;
}

static int irq_cmp(const void *a, const void *b)
{
        unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

        return x < y ? -1 : x > y;
}

/* every IRQ with an affinity file, in numeric order */
static void plan_irqs(struct kvmtune *k, struct isolation_state *st)
{
        DIR *d = kernfs_opendir(k, "proc/irq");
        unsigned long *irqs = NULL;
        size_t n = 0;
        struct dirent *e;

        if (!d) {
                log_error(k, &st->cpus_at, "isolation: cannot list /proc/irq: %s", strerror(errno));
                return;
        }
        while ((e = readdir(d)))
                if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && !e->d_name[strspn(e->d_name, "0123456789")] &&
                    strlen(e->d_name) < 10) {
                        irqs = xrealloc_array(irqs, n + 1, sizeof(*irqs));
                        irqs[n++] = strtoul(e->d_name, NULL, 10);
                }
        closedir(d);
        qsort(irqs, n, sizeof(*irqs), irq_cmp);
        for (size_t i = 0; i < n; i++) {
                char *path = xasprintf("proc/irq/%lu/smp_affinity_list", irqs[i]), *eff_path, *name, *eff = NULL;
                struct setting *s;
                struct cpuset set;

                if (kernfs_probe(k, path) <= 0) {
                        free(path);
                        continue;       /* an interrupt without an affinity file: nothing to move */
                }
                name = xasprintf("irq %lu", irqs[i]);
                s = plan_file(k, name, path, st->hk_list, &list_knob, ORDER_IRQ, true);
                /* delivered to housekeeping CPUs already (a managed one the kernel placed): verify counts it met */
                eff_path = xasprintf("proc/irq/%lu/effective_affinity_list", irqs[i]);
                if (s->action == ACT_SET && kernfs_read(k, eff_path, &eff) == 0 &&
                    cpuset_parse_list(eff, &set) == 0 && !cpuset_empty(&set) && cpuset_subset(&set, &st->hk))
                        s->verify_met = true;
                free(eff);
                free(eff_path);
                free(name);
                free(path);
        }
        free(irqs);
}

static bool irqbalance_installed(struct kvmtune *k)
{
        return kernfs_probe(k, "lib/systemd/system/irqbalance.service") > 0 ||
               kernfs_probe(k, "usr/lib/systemd/system/irqbalance.service") > 0;
}

/* the file kvmtune writes for the line "Environment=..." or "CPUAffinity=...", malloc'd */
static char *dropin_content(enum kind kind, const char *line)
{
        return xasprintf("# Written by kvmtune from its [isolation] section; kvmtune owns this file whole.\n"
                         "%s\n%s\n", kind == KIND_IRQBALANCE ? "[Service]" : "[Manager]", line);
}

/* the drop-in's line that sets what want sets, malloc'd, or NULL */
static char *dropin_line(const char *content, const char *want)
{
        size_t n = strcspn(want, "=") + 1;

        for (const char *p = content; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (!strncmp(p, want, n))
                        return xasprintf("%.*s", (int)strcspn(p, "\n"), p);
        return NULL;
}

/*
 * A drop-in kvmtune owns, shown by its one line: want NULL removes it; ok,
 * set, or reboot (running says why).
 */
static void plan_dropin(struct kvmtune *k, struct isolation_state *st, enum kind kind, const char *want,
                        const char *running)
{
        const char *dir = kind == KIND_IRQBALANCE ? IRQBALANCE_DIR : SYSTEMD_DIR;
        char *rel = xasprintf("%s/%s", dir, DROPIN_NAME), *old = NULL, *content;
        struct origin none = { 0 };
        struct setting *s;
        int r = kernfs_read(k, rel, &old);

        if (r < 0 && r != -ENOENT) {
                log_error(k, st && st->cpus ? &st->cpus_at : NULL, "isolation: cannot read /%s: %s", rel, strerror(-r));
                free(rel);
                return;
        }
        if (!want && !old) {
                free(rel);
                return;
        }
        s = setting_add(k, SEC_ISOLATION, kind == KIND_IRQBALANCE ? "irqbalance" : "systemd", NULL, want,
                        st && st->cpus ? st->cpus_at : none);
        s->order = ORDER_DROPIN;
        if (old)
                setting_set_cur(s, dropin_line(old, want ? want : kind == KIND_IRQBALANCE ?
                                               "Environment=IRQBALANCE_BANNED_CPULIST=" : "CPUAffinity="));
        content = want ? dropin_content(kind, want) : NULL;
        if (!want) {
                s->action = ACT_SET;
                setting_set_note(s, xasprintf("no longer configured: apply removes /%s", rel));
        } else if (!old || strncmp(old, content, strlen(old)) || content[strlen(old) + strspn(content + strlen(old), "\n")]) {
                s->action = ACT_SET;    /* kernfs_read() dropped the trailing newline */
                setting_set_note(s, xasprintf("/%s", rel));
        } else if (running) {
                s->action = ACT_REBOOT;
                setting_set_note(s, xstrdup(running));
        } else {
                s->action = ACT_OK;
        }
        free(content);
        free(old);
        free(rel);
}

/* an admin's banned CPUs in /etc/default/irqbalance win over the drop-in's Environment=: say so */
static void irqbalance_defaults(struct kvmtune *k, struct isolation_state *st)
{
        char *text = NULL;

        if (kernfs_read(k, "etc/default/irqbalance", &text) < 0)
                return;
        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                p += strspn(p, " \t");
                if (!strncmp(p, "IRQBALANCE_BANNED_CPULIST=", 26) || !strncmp(p, "IRQBALANCE_BANNED_CPUS=", 23)) {
                        log_notice(k, &st->cpus_at, "isolation: /etc/default/irqbalance sets %.*s, which irqbalance "
                                   "takes over kvmtune's drop-in", (int)strcspn(p, "=\n"), p);
                        break;
                }
        }
        free(text);
}

/* PID 1's CPUs, when not the housekeeping ones: why the drop-in waits for a reboot */
static char *pid1_differs(struct kvmtune *k, struct isolation_state *st)
{
        char *status = NULL, *why = NULL;
        const char *p;
        struct cpuset set;

        if (kernfs_read(k, "proc/1/status", &status) < 0)
                return NULL;
        p = strstr(status, "Cpus_allowed_list:");
        if (p) {
                p += strlen("Cpus_allowed_list:");
                p += strspn(p, " \t");
                char *v = xasprintf("%.*s", (int)strcspn(p, "\n"), p);
                if (cpuset_parse_list(v, &set) == 0 && !cpuset_equal(&set, &st->hk))
                        why = xasprintf("PID 1 runs on %s until the next boot", v);
                free(v);
        }
        free(status);
        return why;
}

static int isolation_plan(struct kvmtune *k)
{
        struct isolation_state *st = k->state[SEC_ISOLATION];
        bool stage_all = k->stage == STAGE_ALL;

        if (!st || !st->cpus || resolve(k) < 0) {
                /* the drop-ins follow the configuration; refused: they stay as they are */
                if (stage_all && (!st || !st->cpus)) {
                        plan_dropin(k, st, KIND_IRQBALANCE, NULL, NULL);
                        plan_dropin(k, st, KIND_SYSTEMD, NULL, NULL);
                }
                return st && st->cpus ? -EINVAL : 0;
        }
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
                struct setting *s;
                char *path = sysctl_key_to_path(defaults[i].key);

                if (path && sysctl_configured(k, path)) {
                        free(path);
                        continue;       /* [sysctl] says otherwise */
                }
                free(path);
                s = plan_file(k, defaults[i].key, defaults[i].path, defaults[i].value, NULL, ORDER_SYSCTL, true);
                (void)s;
        }
        plan_file(k, "workqueue cpumask", "sys/devices/virtual/workqueue/cpumask", st->hk_mask, &mask_knob,
                  ORDER_WORKQUEUE, true);
        plan_file(k, "writeback cpumask", "sys/bus/workqueue/devices/writeback/cpumask", st->hk_mask, &mask_knob,
                  ORDER_WORKQUEUE, true);
        plan_file(k, "irq default_smp_affinity", "proc/irq/default_smp_affinity", st->hk_mask, &mask_knob,
                  ORDER_IRQ_DEFAULT, true);
        plan_irqs(k, st);
        if (stage_all) {
                char *want, *why;

                if (irqbalance_installed(k)) {
                        want = xasprintf("Environment=IRQBALANCE_BANNED_CPULIST=%s", st->iso_list);
                        plan_dropin(k, st, KIND_IRQBALANCE, want, NULL);
                        irqbalance_defaults(k, st);
                        free(want);
                } else {
                        plan_dropin(k, st, KIND_IRQBALANCE, NULL, NULL);
                }
                want = xasprintf("CPUAffinity=%s", st->hk_list);
                why = pid1_differs(k, st);
                plan_dropin(k, st, KIND_SYSTEMD, want, why);
                free(why);
                free(want);
        }
        return 0;
}

static int mkdirs_open(struct kvmtune *k, const char *rel, bool create)
{
        char *copy = xstrdup(rel), *save = NULL, *c = strtok_r(copy, "/", &save);
        int fd = kernfs_openat(k, c, O_PATH | O_DIRECTORY);

        while (fd >= 0 && (c = strtok_r(NULL, "/", &save))) {
                int next;

                if (create && mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
                        next = -errno;
                } else {
                        next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (next < 0)
                                next = -errno;
                }
                close(fd);
                fd = next;
        }
        free(copy);
        return fd;
}

static int write_dropin(struct kvmtune *k, const char *dir_rel, const char *content)
{
        return kernfs_replace_at(mkdirs_open(k, dir_rel, content != NULL), DROPIN_NAME, content);
}

/*
 * systemctl ARGS (or $KVMTUNE_SYSTEMCTL, the tests' stand-in), output on
 * stderr; not run under --root without that variable.
 */
static int systemctl(struct kvmtune *k, const char *a1, const char *a2)
{
        const char *cmd = getenv(SYSTEMCTL_ENV);
        char *argv[] = { (char *)(cmd ? cmd : "systemctl"), (char *)a1, (char *)a2, NULL };
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int r, status;

        if (!cmd && k->root)
                return 1;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, 2, 1);
        fflush(stdout);
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r)
                return -r;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

static int apply_dropin(struct kvmtune *k, struct setting *s, bool *reload)
{
        enum kind kind = kind_of(s);
        const char *dir = kind == KIND_IRQBALANCE ? IRQBALANCE_DIR : SYSTEMD_DIR;
        char *content = s->want ? dropin_content(kind, s->want) : NULL;
        int r = write_dropin(k, dir, content);

        free(content);
        if (r < 0) {
                setting_fail(k, s, "cannot %s /%s/%s: %s", s->want ? "write" : "remove", dir, DROPIN_NAME, strerror(-r));
                return r;
        }
        s->changed = true;
        k->n_changes++;
        *reload = true;
        log_info(k, "isolation %s: /%s/%s %s", kind == KIND_IRQBALANCE ? "irqbalance" : "systemd", dir, DROPIN_NAME,
                 s->want ? "written" : "removed");
        if (kind == KIND_SYSTEMD && s->want) {
                s->action = ACT_REBOOT;
                setting_set_note(s, xstrdup("written; systemd takes CPUAffinity= at the next boot"));
        } else {
                s->action = ACT_OK;
                setting_set_note(s, NULL);
        }
        return 0;
}

/* an IRQ the kernel will not move (EIO) is counted and told, not an error */
static int apply_irq(struct kvmtune *k, struct isolation_state *st, struct setting *s)
{
        char name[SETTING_NAME_MAX], *old;
        int r;

        if (s->action != ACT_SET)
                return setting_apply(k, s);
        if (s->orig && revert_note(k, s) < 0) {
                setting_fail(k, s, "not written: the revert record cannot be written");
                setting_close(s);
                return -EIO;
        }
        r = kernfs_write(k, s->path, s->fd, s->want);
        if (r == -EIO || r == -EINVAL) {
                revert_unnote(k, s);
                setting_close(s);
                st->n_refused++;
                setting_skip(s, "the kernel keeps this interrupt's affinity (%s: a managed or per-CPU interrupt)",
                             r == -EIO ? "EIO" : "EINVAL");
                log_info(k, "isolation %s: the kernel keeps it on %s", setting_name(s, name, sizeof(name)),
                         s->cur ? s->cur : "?");
                return 0;
        }
        if (r < 0) {
                setting_fail(k, s, "cannot write '%s': %s", s->want, kernfs_strerror(k, r));
                setting_close(s);
                return r;
        }
        old = s->cur ? xstrdup(s->cur) : NULL;
        s->changed = true;
        k->n_changes++;
        report_change(k, s, old);
        free(old);
        setting_set_cur(s, xstrdup(s->want));
        setting_close(s);
        return 0;
}

static int isolation_apply(struct kvmtune *k)
{
        struct isolation_state *st = state(k);
        bool reload_irqbalance = false, reload_systemd = false;
        int ret = 0, r;

        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];
                enum kind kind;

                if (s->section != SEC_ISOLATION)
                        continue;
                kind = kind_of(s);
                if (kind == KIND_IRQ)
                        r = apply_irq(k, st, s);
                else if (kind == KIND_IRQBALANCE || kind == KIND_SYSTEMD)
                        r = s->action == ACT_SET && k->stage == STAGE_ALL ?
                                apply_dropin(k, s, kind == KIND_IRQBALANCE ? &reload_irqbalance : &reload_systemd) : 0;
                else
                        r = setting_apply(k, s);
                if (r < 0)
                        ret = r;
        }
        if (st->n_refused)
                log_info(k, "isolation: %u interrupt%s kept where the kernel put %s (managed or per-CPU)",
                         st->n_refused, st->n_refused == 1 ? "" : "s", st->n_refused == 1 ? "it" : "them");
        if (reload_irqbalance || reload_systemd) {
                r = systemctl(k, "daemon-reload", NULL);
                if (r == 0 && reload_irqbalance)
                        r = systemctl(k, "try-restart", "irqbalance.service");
                if (r < 0)
                        log_notice(k, NULL, "isolation: systemctl failed (%s); irqbalance takes its banned CPUs when it restarts",
                                   strerror(-r));
        }
        return ret;
}

static void isolation_free(struct kvmtune *k)
{
        struct isolation_state *st = k->state[SEC_ISOLATION];

        if (!st)
                return;
        free(st->cpus);
        free(st->iso_list);
        free(st->hk_list);
        free(st->hk_mask);
        for (size_t i = 0; i < ISOLATION_N_ARGS; i++)
                free((char *)st->args[i].word);
        free(st);
        k->state[SEC_ISOLATION] = NULL;
}

const struct section_ops isolation_section = {
        .name = "isolation",
        .subsection = SUB_NONE,
        .parse = isolation_parse,
        .plan = isolation_plan,
        .apply = isolation_apply,
        .free = isolation_free,
};
