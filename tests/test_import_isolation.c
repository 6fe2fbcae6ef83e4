/* SPDX-License-Identifier: MIT */
/*
 * kvmtune import of TuneD 2.20's realtime-virtual-host (with realtime,
 * network-latency and latency-performance under it, trimmed to the lines
 * that matter) and isolated_cores=2-3 in its variables file: [isolation],
 * the derived lines carried by it, and [scheduler]'s re-pinning reported
 * with its reason; without a CPU list the lines stay reported.
 */
#include "want.h"

#include <sys/stat.h>

static int setup(void **state)
{
        const char *root;

        fr_setup(state);
        root = *state;
        fr_write(root, "usr/lib/tuned/realtime/tuned.conf",
                 "[main]\n"
                 "summary=Optimize for realtime workloads\n"
                 "[variables]\n"
                 "include = /etc/tuned/realtime-variables.conf\n"                          /* 4 */
                 "isolated_cores = ${isolated_cores}\n"
                 "not_isolated_cpumask = ${f:cpulist2hex_invert:${isolated_cores}}\n"
                 "managed_irq=${f:regex_search_ternary:${isolate_managed_irq}:\\b[y,Y,1,t,T]\\b:managed_irq,domain,:}\n"
                 "[sysctl]\n"
                 "kernel.sched_rt_runtime_us = -1\n"                                       /* 9 */
                 "[sysfs]\n"
                 "/sys/bus/workqueue/devices/writeback/cpumask = ${not_isolated_cpumask}\n" /* 11 */
                 "/sys/devices/virtual/workqueue/cpumask = ${not_isolated_cpumask}\n"      /* 12 */
                 "/sys/devices/virtual/workqueue/*/cpumask = ${not_isolated_cpumask}\n"    /* 13 */
                 "[bootloader]\n"
                 "cmdline_realtime=+isolcpus=${managed_irq}${isolated_cores} intel_pstate=disable nosoftlockup tsc=reliable\n" /* 15 */
                 "[irqbalance]\n"
                 "banned_cpus=${isolated_cores}\n"                                         /* 17 */
                 "[scheduler]\n"
                 "isolated_cores=${isolated_cores}\n");                                    /* 19 */
        fr_write(root, "usr/lib/tuned/realtime-virtual-host/tuned.conf",
                 "[main]\n"
                 "include=realtime\n"
                 "[variables]\n"
                 "include=/etc/tuned/realtime-virtual-host-variables.conf\n"               /* 4 */
                 "non_isolated_cores=${f:cpulist_invert:${isolated_cores}}\n"
                 "[scheduler]\n"
                 "group.ksoftirqd=0:f:2:*:^\\[ksoftirqd\n"                                 /* 7 */
                 "ps_blacklist=^\\[ksoftirqd;^\\[ktimers;pmd;PMD;^DPDK;qemu-kvm\n"          /* 8 */
                 "[bootloader]\n"
                 "cmdline_rvh=+nohz=on nohz_full=${isolated_cores} rcu_nocbs=${isolated_cores} irqaffinity=${non_isolated_cores}\n"); /* 10 */
        fr_write(root, "etc/tuned/realtime-variables.conf",
                 "# Examples:\n# isolated_cores=2,4-7\n"
                 "isolated_cores=${f:calc_isolated_cores:1}\n"                             /* 3 */
                 "isolate_managed_irq=Y\n");
        fr_write(root, "etc/tuned/active_profile", "realtime-virtual-host\n");
        return 0;
}

#define RT "/usr/lib/tuned/realtime/tuned.conf"
#define RVH "/usr/lib/tuned/realtime-virtual-host/tuned.conf"

static void realtime_virtual_host(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/tuned/realtime-virtual-host-variables.conf",
                 "# isolated_cores=2-23\nisolated_cores=2-3\nisolate_managed_irq=Y\n");
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "[isolation]\n"
                                 "# /etc/tuned/realtime-virtual-host-variables.conf:2: isolated_cores=2-3\n"
                                 "cpus = 2-3\n"
                                 "# /etc/tuned/realtime-virtual-host-variables.conf:3: isolate_managed_irq=Y\n"
                                 "managed-irq = yes\n");
        want_in("output", r.out, "args = intel_pstate=disable\n");
        want_in("output", r.out, "args = tsc=reliable\n");
        want_not_in("output", r.out, "args = isolcpus");
        want_not_in("output", r.out, "args = nohz");
        /* TuneD merges [variables] like any section: the child's include= replaces the parent's */
        want_in("stderr", r.err, RT ":4: not carried: include = /etc/tuned/realtime-variables.conf: TuneD reads one "
                                 "[variables] include=, the last one merged: " RVH ":4");
        want_in("stderr", r.err, RT ":11: carried: /sys/bus/workqueue/devices/writeback/cpumask = ${not_isolated_cpumask} (by [isolation])");
        want_in("stderr", r.err, RT ":12: carried: /sys/devices/virtual/workqueue/cpumask");
        want_in("stderr", r.err, RT ":13: carried: /sys/devices/virtual/workqueue/*/cpumask");
        want_in("stderr", r.err, RT ":15: carried: cmdline_realtime=+isolcpus=${managed_irq}${isolated_cores} intel_pstate=disable "
                                 "nosoftlockup tsc=reliable (isolcpus=, nohz_full=, rcu_nocbs= and irqaffinity= come from "
                                 "[isolation], the other arguments go to [cmdline])");
        want_in("stderr", r.err, RT ":17: carried: banned_cpus=${isolated_cores} (by [isolation]: IRQBALANCE_BANNED_CPULIST");
        want_in("stderr", r.err, RT ":19: not carried: isolated_cores=${isolated_cores}: TuneD's daemon moves the threads "
                                 "already on the isolated cores and re-pins new ones at run time; kvmtune is one-shot");
        want_in("stderr", r.err, RVH ":7: not carried: group.ksoftirqd=0:f:2:*:^\\[ksoftirqd: TuneD's daemon moves");
        want_in("stderr", r.err, RVH ":8: not carried: ps_blacklist=");
        want_in("stderr", r.err, RVH ":10: carried: cmdline_rvh=+nohz=on nohz_full=${isolated_cores} rcu_nocbs=${isolated_cores} "
                                 "irqaffinity=${non_isolated_cores} (isolcpus=, nohz_full=, rcu_nocbs= and irqaffinity= "
                                 "come from [isolation])");
        /* no [scheduler], [bootloader] or [irqbalance] line left with the generic "variable" reason */
        want_not_in("stderr", r.err, "it holds a TuneD variable");
        run_result_free(&r);
}

/* without a CPU list in the variables, the derived lines stay reported */
static void no_isolated_cores(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/tuned/realtime-virtual-host-variables.conf", "isolate_managed_irq=N\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, RT ":4: not carried: include = /etc/tuned/realtime-variables.conf: TuneD reads one");
        want_in("stderr", r.err, RT ":15: not carried: cmdline_realtime=");
        want_in("stderr", r.err, RT ":17: not carried: banned_cpus=${isolated_cores}: it holds a TuneD variable");
        want_in("stderr", r.err, RVH ":7: not carried: group.ksoftirqd=0:f:2:*:^\\[ksoftirqd: TuneD's daemon moves");
        want_not_in("output", r.out, "cpus =");
        run_result_free(&r);
}

/* rc.local's IRQ affinity writes are reported with [isolation] as the way; grub's isolcpus= goes to [cmdline] */
static void rc_local_and_grub(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *p;

        fr_write(root, "etc/tuned/active_profile", "");
        fr_write(root, "proc/irq/24/smp_affinity", "f\n");
        fr_write(root, "etc/rc.local", "#!/bin/sh\n"
                                       "for i in /proc/irq/*/smp_affinity; do echo 3 > $i; done\n"
                                       "echo 3 > /proc/irq/24/smp_affinity\n"
                                       "echo 3 > /sys/devices/virtual/workqueue/cpumask\n");
        assert_true(asprintf(&p, "%s/etc/rc.local", root) > 0);
        assert_int_equal(chmod(p, 0755), 0);
        free(p);
        fr_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX=\"isolcpus=2-3 irqaffinity=0-1\"\n");
        kv_run(&r, root, "import", NULL);
        want_in("stderr", r.err, "/etc/rc.local:2: not carried: for i in /proc/irq/*/smp_affinity; do echo 3 > $i; done: "
                                 "interrupt and workqueue affinity come from [isolation]: cpus = LIST");
        want_in("stderr", r.err, "/etc/rc.local:3: not carried: echo 3 > /proc/irq/24/smp_affinity: interrupt and workqueue "
                                 "affinity come from [isolation]");
        want_in("stderr", r.err, "/etc/rc.local:4: not carried: echo 3 > /sys/devices/virtual/workqueue/cpumask: interrupt");
        want_in("output", r.out, "args = isolcpus=2-3\n");
        want_in("output", r.out, "args = irqaffinity=0-1\n");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(realtime_virtual_host, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(no_isolated_cores, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(rc_local_and_grub, setup, fr_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
