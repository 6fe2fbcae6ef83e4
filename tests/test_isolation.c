/* SPDX-License-Identifier: MIT */
/*
 * [isolation] on a fake root of four CPUs: every derived setting (the
 * kernel arguments through [cmdline]'s GRUB drop-in, the IRQ and workqueue
 * affinities, TuneD's realtime sysctls unless [sysctl] names them, the
 * irqbalance and systemd drop-ins), the refusals with file:line, an IRQ the
 * kernel will not move (kernfs_write is wrapped to fail with EIO, as for a
 * managed interrupt), revert, removing the section, and --stage.
 */
#include "want.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"

#define CONF CONFD "50-iso.conf"
#define GRUB_DROPIN "etc/default/grub.d/kvmtune.cfg"
#define IRQB "etc/systemd/system/irqbalance.service.d/kvmtune.conf"
#define SYSTEMD "etc/systemd/system.conf.d/kvmtune.conf"
#define WQ "sys/devices/virtual/workqueue/cpumask"
#define WB "sys/bus/workqueue/devices/writeback/cpumask"
#define ARGS "isolcpus=managed_irq,domain,2-3 nohz_full=2-3 rcu_nocbs=2-3 irqaffinity=0-1"

int __real_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);

static const char *refuse;      /* a path whose write fails with EIO, as a managed IRQ's */

int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value)
{
        if (refuse && !strcmp(rel, refuse))
                return -EIO;
        return __real_kernfs_write(k, rel, fd, value);
}

static int setup(void **state)
{
        const char *root;

        fr_setup(state);
        root = *state;
        refuse = NULL;
        fr_write(root, "sys/devices/system/cpu/online", "0-3\n");
        fr_write(root, "proc/irq/default_smp_affinity", "f\n");
        fr_write(root, "proc/irq/0/smp_affinity_list", "0-3\n");
        fr_write(root, "proc/irq/9/smp_affinity_list", "0-3\n");
        fr_write(root, "proc/irq/24/smp_affinity_list", "2\n");
        fr_write(root, "proc/irq/24/effective_affinity_list", "2\n");
        fr_mkdir(root, "proc/irq/7");   /* no affinity file: nothing to move */
        fr_write(root, WQ, "f\n");
        fr_write(root, WB, "f\n");
        fr_write(root, "proc/sys/kernel/timer_migration", "1\n");
        fr_write(root, "proc/sys/vm/stat_interval", "1\n");
        fr_write(root, "proc/sys/kernel/nmi_watchdog", "1\n");
        fr_write(root, "proc/sys/kernel/hung_task_timeout_secs", "120\n");
        fr_write(root, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
        fr_write(root, "proc/1/status", "Name:\tsystemd\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\n");
        fr_write(root, "lib/systemd/system/irqbalance.service", "[Service]\nEnvironmentFile=-/etc/default/irqbalance\n");
        fr_write(root, "etc/default/grub", "GRUB_DEFAULT=0\n");
        return 0;
}

/* the file exists (its content freed) */
static void want_file(const char *root, const char *rel)
{
        char *got = fr_read(root, rel);

        if (!got)
                fail_msg("%s is missing", rel);
        free(got);
}

static void run(struct run_result *r, const char *root, int cmd)
{
        kv_run_inproc(r, root, cmd, 0);
}

/* plan shows each derived setting; apply makes them; a second apply changes nothing */
static void test_derived(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 2-3\nmanaged-irq = yes\n");
        run(&r, root, CMD_PLAN);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   isolation kernel.timer_migration: 1 -> 0");
        want_in("stdout", r.out, "set   isolation vm.stat_interval: 1 -> 10");
        want_in("stdout", r.out, "set   isolation kernel.nmi_watchdog: 1 -> 0");
        want_in("stdout", r.out, "set   isolation kernel.hung_task_timeout_secs: 120 -> 600");
        want_in("stdout", r.out, "set   isolation kernel.sched_rt_runtime_us: 950000 -> -1");
        want_in("stdout", r.out, "set   isolation workqueue cpumask: f -> 3");
        want_in("stdout", r.out, "set   isolation writeback cpumask: f -> 3");
        want_in("stdout", r.out, "set   isolation irq default_smp_affinity: f -> 3");
        want_in("stdout", r.out, "set   isolation irq 0: 0-3 -> 0-1");
        want_in("stdout", r.out, "set   isolation irq 9: 0-3 -> 0-1");
        want_in("stdout", r.out, "set   isolation irq 24: 2 -> 0-1");
        want_not_in("stdout", r.out, "irq 7");
        want_in("stdout", r.out, "set   isolation irqbalance: ? -> Environment=IRQBALANCE_BANNED_CPULIST=2-3 (/" IRQB ")");
        want_in("stdout", r.out, "set   isolation systemd: ? -> CPUAffinity=0-1 (/" SYSTEMD ")");
        want_in("stdout", r.out, "set   cmdline isolcpus: ? -> isolcpus=managed_irq,domain,2-3");
        want_in("stdout", r.out, "set   cmdline nohz_full: ? -> nohz_full=2-3");
        want_in("stdout", r.out, "set   cmdline rcu_nocbs: ? -> rcu_nocbs=2-3");
        want_in("stdout", r.out, "set   cmdline irqaffinity: ? -> irqaffinity=0-1");
        run_result_free(&r);
        assert_null(fr_read(root, IRQB));
        want_value(root, WQ, "f");

        run(&r, root, CMD_APPLY);
        want_status(&r, 0);
        run_result_free(&r);
        want_value(root, "proc/sys/kernel/timer_migration", "0");
        want_value(root, "proc/sys/vm/stat_interval", "10");
        want_value(root, "proc/sys/kernel/nmi_watchdog", "0");
        want_value(root, "proc/sys/kernel/sched_rt_runtime_us", "-1");
        want_value(root, WQ, "3");
        want_value(root, WB, "3");
        want_value(root, "proc/irq/default_smp_affinity", "3");
        want_value(root, "proc/irq/0/smp_affinity_list", "0-1");
        want_value(root, "proc/irq/24/smp_affinity_list", "0-1");
        want_value(root, IRQB, "# Written by kvmtune from its [isolation] section; kvmtune owns this file whole.\n"
                               "[Service]\nEnvironment=IRQBALANCE_BANNED_CPULIST=2-3");
        want_value(root, SYSTEMD, "# Written by kvmtune from its [isolation] section; kvmtune owns this file whole.\n"
                                  "[Manager]\nCPUAffinity=0-1");
        want_value(root, GRUB_DROPIN, "# Written by kvmtune from its [cmdline] section and the [hugepages] pools\n"
                   "# at = cmdline; kvmtune owns this file whole and rewrites or removes it.\n"
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT " ARGS "\"");

        /* the boot arguments and PID 1's affinity wait for a reboot: verify says so */
        run(&r, root, CMD_VERIFY);
        want_status(&r, 1);
        want_in("stdout", r.out, "ok    isolation irq 0: 0-1 -> 0-1");
        want_in("stdout", r.out, "ok    isolation irqbalance: Environment=IRQBALANCE_BANNED_CPULIST=2-3 -> Environment=IRQBALANCE_BANNED_CPULIST=2-3");
        want_in("stdout", r.out, "reboot isolation systemd: CPUAffinity=0-1 -> CPUAffinity=0-1 (PID 1 runs on 0-3 until the next boot)");
        want_in("stdout", r.out, "reboot cmdline isolcpus: ? -> isolcpus=managed_irq,domain,2-3");
        run_result_free(&r);

        /* booted with them: verify passes */
        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 " ARGS "\n");
        fr_write(root, "proc/1/status", "Name:\tsystemd\nCpus_allowed_list:\t0-1\n");
        run(&r, root, CMD_VERIFY);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    cmdline irqaffinity: irqaffinity=0-1 -> irqaffinity=0-1");
        want_in("stdout", r.out, "ok    isolation systemd: CPUAffinity=0-1 -> CPUAffinity=0-1");
        run_result_free(&r);

        run(&r, root, CMD_APPLY);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);
}

/* managed-irq = no (the default) leaves managed_irq out of isolcpus= */
static void test_unmanaged(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 1,3\n");
        run(&r, root, CMD_PLAN);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   cmdline isolcpus: ? -> isolcpus=domain,1,3");
        want_in("stdout", r.out, "set   cmdline irqaffinity: ? -> irqaffinity=0,2");
        want_in("stdout", r.out, "set   isolation workqueue cpumask: f -> 5");
        run_result_free(&r);
}

/* a [sysctl] line overrides a default; a [cmdline] word overrides a derived argument */
static void test_overrides(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 2-3\n[sysctl]\nvm.stat_interval = 5\n"
                             "[cmdline]\nargs = -rcu_nocbs nohz_full=3\n");
        run(&r, root, CMD_APPLY);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "isolation vm.stat_interval");
        want_value(root, "proc/sys/vm/stat_interval", "5");
        want_in("stdout", r.out, "isolation kernel.timer_migration: 1 -> 0");
        want_value(root, GRUB_DROPIN, "# Written by kvmtune from its [cmdline] section and the [hugepages] pools\n"
                   "# at = cmdline; kvmtune owns this file whole and rewrites or removes it.\n"
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT nohz_full=3 isolcpus=domain,2-3 irqaffinity=0-1\"");
        run_result_free(&r);
}

/* a list naming an absent or offline CPU, or leaving none for housekeeping, is refused with file:line */
static void test_refusals(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 2-4\n");
        run(&r, root, CMD_APPLY);
        want_status(&r, 1);
        want_in("stderr", r.err, "/" CONF ":2: isolation cpus: CPU 4 is offline or absent (online: 0-3)");
        run_result_free(&r);

        fr_write(root, "sys/devices/system/cpu/online", "0-1,3\n");
        fr_write(root, CONF, "[isolation]\n\ncpus = 2\n");
        run(&r, root, CMD_APPLY);
        want_status(&r, 1);
        want_in("stderr", r.err, "/" CONF ":3: isolation cpus: CPU 2 is offline or absent (online: 0-1,3)");
        run_result_free(&r);

        fr_write(root, CONF, "[isolation]\ncpus = 0-1,3\n");
        run(&r, root, CMD_APPLY);
        want_status(&r, 1);
        want_in("stderr", r.err, "/" CONF ":2: isolation cpus: 0-1,3 leaves no online CPU for housekeeping");
        run_result_free(&r);

        fr_write(root, CONF, "[isolation]\ncpus = 3-1\nmanaged-irq = maybe\nnohz = on\n");
        run(&r, root, CMD_APPLY);
        want_status(&r, 1);
        want_in("stderr", r.err, "/" CONF ":2: isolation cpus: '3-1' is not a CPU list");
        want_in("stderr", r.err, "/" CONF ":3: isolation managed-irq: 'maybe' is not yes or no");
        want_in("stderr", r.err, "/" CONF ":4: unknown key 'nohz' in [isolation]");
        run_result_free(&r);

        /* nothing was written by any of them */
        want_value(root, WQ, "f");
        want_value(root, "proc/irq/0/smp_affinity_list", "0-3");
        want_value(root, "proc/sys/kernel/timer_migration", "1");
        assert_null(fr_read(root, IRQB));
        assert_null(fr_read(root, SYSTEMD));
        assert_null(fr_read(root, GRUB_DROPIN));
}

/* an IRQ the kernel will not move (EIO) is told at info level and counted, not an error */
static void test_managed_irq(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 2-3\n");
        refuse = "proc/irq/24/smp_affinity_list";
        run(&r, root, CMD_APPLY);
        want_status(&r, 0);
        want_in("stdout", r.out, "isolation irq 24: the kernel keeps it on 2");
        want_in("stdout", r.out, "isolation: 1 interrupt kept where the kernel put it (managed or per-CPU)");
        want_in("stdout", r.out, "isolation irq 9: 0-3 -> 0-1");
        want_not_in("stderr", r.err, "irq 24");
        want_value(root, "proc/irq/24/smp_affinity_list", "2");
        run_result_free(&r);

        /* verify: an interrupt delivered on an isolated CPU still differs */
        run(&r, root, CMD_VERIFY);
        want_status(&r, 1);
        want_in("stdout", r.out, "set   isolation irq 24: 2 -> 0-1");
        run_result_free(&r);

        /* revert does not try to put back what was never changed */
        refuse = NULL;
        run(&r, root, CMD_REVERT);
        want_status(&r, 0);
        want_value(root, "proc/irq/24/smp_affinity_list", "2");
        want_value(root, "proc/irq/9/smp_affinity_list", "0-3");
        run_result_free(&r);
}

/* revert restores the runtime parts; the drop-ins follow the configuration */
static void test_revert_and_removal(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 2-3\n");
        run(&r, root, CMD_APPLY);
        want_status(&r, 0);
        run_result_free(&r);
        run(&r, root, CMD_REVERT);
        want_status(&r, 0);
        run_result_free(&r);
        want_value(root, WQ, "f");
        want_value(root, WB, "f");
        want_value(root, "proc/irq/default_smp_affinity", "f");
        want_value(root, "proc/irq/0/smp_affinity_list", "0-3");
        want_value(root, "proc/irq/24/smp_affinity_list", "2");
        want_value(root, "proc/sys/kernel/timer_migration", "1");
        want_value(root, "proc/sys/kernel/sched_rt_runtime_us", "950000");
        want_file(root, IRQB);
        want_file(root, SYSTEMD);
        want_file(root, GRUB_DROPIN);

        /* the section gone: the next apply removes the drop-ins and the arguments */
        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\n");
        fr_write(root, "proc/sys/vm/swappiness", "60\n");
        run(&r, root, CMD_PLAN);
        want_in("stdout", r.out, "set   isolation irqbalance: Environment=IRQBALANCE_BANNED_CPULIST=2-3 -> ? (no longer configured: apply removes /" IRQB ")");
        want_in("stdout", r.out, "set   isolation systemd: CPUAffinity=0-1 -> ? (no longer configured");
        want_in("stdout", r.out, "set   cmdline isolcpus: ? -> ? (no longer configured");
        run_result_free(&r);
        run(&r, root, CMD_APPLY);
        want_status(&r, 0);
        run_result_free(&r);
        assert_null(fr_read(root, IRQB));
        assert_null(fr_read(root, SYSTEMD));
        assert_null(fr_read(root, GRUB_DROPIN));
        want_value(root, WQ, "f");
}

/* --stage boot applies the runtime parts and writes neither boot loader nor drop-ins */
static void test_stage(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 2-3\n");
        kv_run(&r, root, "apply", "--stage", "boot", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        want_value(root, WQ, "3");
        want_value(root, "proc/irq/9/smp_affinity_list", "0-1");
        assert_null(fr_read(root, IRQB));
        assert_null(fr_read(root, SYSTEMD));
        assert_null(fr_read(root, GRUB_DROPIN));

        kv_run(&r, root, "apply", "--stage", "initrd", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "isolation");
        run_result_free(&r);
}

/* an admin's IRQBALANCE_BANNED_CPULIST in /etc/default/irqbalance wins over the drop-in: a notice says so */
static void test_irqbalance_defaults(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[isolation]\ncpus = 2-3\n");
        fr_write(root, "etc/default/irqbalance", "#IRQBALANCE_ONESHOT=\n# IRQBALANCE_BANNED_CPULIST=\n");
        run(&r, root, CMD_PLAN);
        want_not_in("stderr", r.err, "/etc/default/irqbalance sets");
        run_result_free(&r);
        fr_write(root, "etc/default/irqbalance", "IRQBALANCE_BANNED_CPULIST=3\n");
        run(&r, root, CMD_PLAN);
        want_status(&r, 0);
        want_in("stderr", r.err, "/" CONF ":2: isolation: /etc/default/irqbalance sets IRQBALANCE_BANNED_CPULIST, which "
                                 "irqbalance takes over kvmtune's drop-in");
        run_result_free(&r);
}

/* without irqbalance installed there is no irqbalance drop-in */
static void test_no_irqbalance(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *p;

        assert_true(asprintf(&p, "%s/lib/systemd/system/irqbalance.service", root) > 0);
        assert_int_equal(unlink(p), 0);
        free(p);
        fr_write(root, CONF, "[isolation]\ncpus = 2-3\n");
        run(&r, root, CMD_APPLY);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "irqbalance");
        run_result_free(&r);
        assert_null(fr_read(root, IRQB));
        want_file(root, SYSTEMD);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_derived, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_unmanaged, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_overrides, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_refusals, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_managed_irq, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_revert_and_removal, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_stage, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_no_irqbalance, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_irqbalance_defaults, setup, fr_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
