/* SPDX-License-Identifier: MIT */
/*
 * [cpu] and [cpu "LIST"] on a fake root with four online CPUs: cpu0 and
 * cpu1 share cpufreq policy0 (cpuN/cpufreq is a link, as on the kernel),
 * cpu2 has policy2, cpu3 a cpufreq directory of its own; each CPU has
 * power/{energy_perf_bias,pm_qos_resume_latency_us} and three cpuidle
 * states (POLL 0 us, C1 2 us, C6 170 us); intel_pstate's global files.
 * Every key with its knob offered and missing, governor fallback lists,
 * CPU lists and their merge, a list naming a CPU the system lacks,
 * --device=cpuN, and plan/verify/a second apply that writes nothing.
 */
#include "want.h"

#include <unistd.h>

#define CPU "sys/devices/system/cpu/"
#define POLICY0 CPU "cpufreq/policy0/"

static void cpufreq_files(const char *root, const char *dir)
{
        char rel[256];

        snprintf(rel, sizeof(rel), "%s/scaling_governor", dir);
        fr_write(root, rel, "powersave\n");
        snprintf(rel, sizeof(rel), "%s/scaling_available_governors", dir);
        fr_write(root, rel, "performance powersave\n");
        snprintf(rel, sizeof(rel), "%s/energy_performance_preference", dir);
        fr_write(root, rel, "balance_performance\n");
        snprintf(rel, sizeof(rel), "%s/energy_performance_available_preferences", dir);
        fr_write(root, rel, "default performance balance_performance balance_power power \n");
}

static int setup(void **state)
{
        static const char *const idle[][2] = { { "POLL", "0" }, { "C1", "2" }, { "C6", "170" } };

        fr_setup(state);
        const char *root = *state;
        fr_write(root, CPU "online", "0-3\n");
        fr_write(root, CPU "possible", "0-3\n");
        for (unsigned c = 0; c < 4; c++) {
                char rel[256];

                snprintf(rel, sizeof(rel), CPU "cpu%u/power/energy_perf_bias", c);
                fr_write(root, rel, "6\n");
                snprintf(rel, sizeof(rel), CPU "cpu%u/power/pm_qos_resume_latency_us", c);
                fr_write(root, rel, "0\n");
                for (unsigned s = 0; s < 3; s++) {
                        snprintf(rel, sizeof(rel), CPU "cpu%u/cpuidle/state%u/name", c, s);
                        fr_write(root, rel, idle[s][0]);
                        snprintf(rel, sizeof(rel), CPU "cpu%u/cpuidle/state%u/latency", c, s);
                        fr_writef(root, rel, "%s\n", idle[s][1]);
                        snprintf(rel, sizeof(rel), CPU "cpu%u/cpuidle/state%u/disable", c, s);
                        fr_write(root, rel, "0\n");
                }
        }
        cpufreq_files(root, CPU "cpufreq/policy0");
        cpufreq_files(root, CPU "cpufreq/policy2");
        cpufreq_files(root, CPU "cpu3/cpufreq");
        fr_symlink(root, "../cpufreq/policy0", CPU "cpu0/cpufreq");
        fr_symlink(root, "../cpufreq/policy0", CPU "cpu1/cpufreq");
        fr_symlink(root, "../cpufreq/policy2", CPU "cpu2/cpufreq");
        fr_write(root, CPU "intel_pstate/min_perf_pct", "25\n");
        fr_write(root, CPU "intel_pstate/max_perf_pct", "100\n");
        fr_write(root, CPU "intel_pstate/no_turbo", "0\n");
        return 0;
}

static void rm(const char *root, const char *rel)
{
        char *cmd;

        assert_true(asprintf(&cmd, "rm -rf '%s/%s'", root, rel) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

static const char all_keys[] =
        "[cpu]\n"
        "governor = performance\n"
        "energy_performance_preference = balance_power\n"
        "energy_perf_bias = balance-performance\n"
        "resume_latency_us = 20\n"
        "idle_max_latency_us = 10\n"
        "min_perf_pct = 100\n"
        "max_perf_pct = 100\n"
        "no_turbo = yes\n";

/* every key, its knob offered: plan, apply, verify, a second apply, revert */
static void test_every_key(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-cpu.conf", all_keys);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "set   cpu cpu0 governor: powersave -> performance");
        want_in("stdout", r.out, "set   cpu cpu2 governor: powersave -> performance");
        want_in("stdout", r.out, "set   cpu cpu3 governor: powersave -> performance");
        /* cpu1 shares cpu0's policy: planned once, with cpu0 */
        want_not_in("stdout", r.out, "cpu1 governor");
        want_not_in("stdout", r.out, "cpu1 energy_performance_preference");
        want_in("stdout", r.out, "set   cpu cpu2 energy_performance_preference: balance_performance -> balance_power");
        want_in("stdout", r.out, "set   cpu cpu1 energy_perf_bias: 6 -> 4");
        want_in("stdout", r.out, "set   cpu cpu3 resume_latency_us: 0 -> 20");
        want_in("stdout", r.out, "ok    cpu cpu1 cpuidle state0 disable: 0 -> 0 (POLL: 0 us <= 10 us)");
        want_in("stdout", r.out, "ok    cpu cpu1 cpuidle state1 disable: 0 -> 0 (C1: 2 us <= 10 us)");
        want_in("stdout", r.out, "set   cpu cpu1 cpuidle state2 disable: 0 -> 1 (C6: 170 us > 10 us)");
        want_in("stdout", r.out, "set   cpu min_perf_pct: 25 -> 100");
        want_in("stdout", r.out, "ok    cpu max_perf_pct: 100 -> 100");
        want_in("stdout", r.out, "set   cpu no_turbo: 0 -> 1");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.err, "");
        assert_int_equal(count_lines(r.out, "governor: powersave -> performance"), 3);
        want_in("stdout", r.out, "cpu cpu0 cpuidle state2 disable: 0 -> 1");
        run_result_free(&r);
        want_value(root, POLICY0 "scaling_governor", "performance");
        want_value(root, CPU "cpufreq/policy2/scaling_governor", "performance");
        want_value(root, CPU "cpu3/cpufreq/scaling_governor", "performance");
        want_value(root, POLICY0 "energy_performance_preference", "balance_power");
        for (unsigned c = 0; c < 4; c++) {
                char rel[128];

                snprintf(rel, sizeof(rel), CPU "cpu%u/power/energy_perf_bias", c);
                want_value(root, rel, "4");
                snprintf(rel, sizeof(rel), CPU "cpu%u/power/pm_qos_resume_latency_us", c);
                want_value(root, rel, "20");
                snprintf(rel, sizeof(rel), CPU "cpu%u/cpuidle/state1/disable", c);
                want_value(root, rel, "0");
                snprintf(rel, sizeof(rel), CPU "cpu%u/cpuidle/state2/disable", c);
                want_value(root, rel, "1");
        }
        want_value(root, CPU "intel_pstate/min_perf_pct", "100");
        want_value(root, CPU "intel_pstate/no_turbo", "1");

        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "set ");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        assert_string_equal(r.err, "");
        run_result_free(&r);

        /* revert puts every old value back */
        kv_run(&r, root, "revert", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        want_value(root, POLICY0 "scaling_governor", "powersave");
        want_value(root, CPU "cpu3/cpufreq/scaling_governor", "powersave");
        want_value(root, CPU "cpu2/power/energy_perf_bias", "6");
        want_value(root, CPU "cpu2/power/pm_qos_resume_latency_us", "0");
        want_value(root, CPU "cpu2/cpuidle/state2/disable", "0");
        want_value(root, CPU "intel_pstate/min_perf_pct", "25");
}

/* the first governor on offer wins; none on offer is an error */
static void test_governor_fallback(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CPU "cpufreq/policy2/scaling_available_governors", "schedutil performance powersave\n");
        fr_write(root, CONFD "50-cpu.conf", "[cpu]\ngovernor = schedutil, performance\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "cpu cpu0 governor: powersave -> performance");
        want_in("stdout", r.out, "cpu cpu2 governor: powersave -> schedutil");
        run_result_free(&r);
        want_value(root, POLICY0 "scaling_governor", "performance");
        want_value(root, CPU "cpufreq/policy2/scaling_governor", "schedutil");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    cpu cpu0 governor: performance -> performance "
                "(the first of 'schedutil performance' that cpu0 offers)");
        run_result_free(&r);

        fr_write(root, CONFD "50-cpu.conf", "[cpu]\ngovernor = ondemand conservative\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-cpu.conf:2: cpu cpu3 governor: cpu3 offers none of: ondemand conservative "
                "(it offers: performance powersave)");
        run_result_free(&r);
        want_value(root, CPU "cpu3/cpufreq/scaling_governor", "performance");  /* as the last apply left it */

        fr_write(root, CONFD "50-cpu.conf", "[cpu]\ngovernor = Perf!\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-cpu.conf:2: cpu governor: invalid name 'Perf!'");
        run_result_free(&r);
}

/* plain [cpu]: a knob a CPU or driver lacks is skipped, with one notice per key */
static void test_missing_all_cpus(void **state)
{
        const char *root = *state;
        struct run_result r;

        rm(root, CPU "cpu2/cpufreq");
        rm(root, CPU "cpu3/cpufreq");
        rm(root, CPU "cpu1/power/energy_perf_bias");
        rm(root, CPU "cpu3/power/energy_perf_bias");
        rm(root, CPU "cpu0/cpuidle");
        rm(root, POLICY0 "energy_performance_preference");
        rm(root, CPU "intel_pstate");
        fr_write(root, CONFD "50-cpu.conf", all_keys);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stderr", r.err, "50-cpu.conf:2: cpu governor: skipped: no cpufreq on CPU 2-3");
        want_in("stderr", r.err, "50-cpu.conf:3: cpu energy_performance_preference: skipped: "
                "no cpufreq energy_performance_preference on CPU 0-3");
        want_in("stderr", r.err, "50-cpu.conf:4: cpu energy_perf_bias: skipped: no power/energy_perf_bias on CPU 1,3");
        want_in("stderr", r.err, "50-cpu.conf:6: cpu idle_max_latency_us: skipped: no cpuidle states on CPU 0");
        want_in("stderr", r.err, "50-cpu.conf:7: cpu min_perf_pct: skipped, no /sys/devices/system/cpu/intel_pstate/"
                "min_perf_pct (intel_pstate is not this system's cpufreq driver)");
        want_in("stdout", r.out, "cpu cpu0 governor: powersave -> performance");
        want_in("stdout", r.out, "cpu cpu2 energy_perf_bias: 6 -> 4");
        want_in("stdout", r.out, "cpu cpu1 cpuidle state2 disable: 0 -> 1");
        run_result_free(&r);
        want_value(root, POLICY0 "scaling_governor", "performance");
        want_value(root, CPU "cpu0/power/energy_perf_bias", "4");

        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "skip  cpu cpu2-3 governor: ? -> performance (no cpufreq on this CPU or its driver)");
        want_in("stdout", r.out, "skip  cpu cpu1,3 energy_perf_bias: ? -> 4");
        want_in("stdout", r.out, "skip  cpu no_turbo: ? -> 1");
        run_result_free(&r);

        /* a CPU list: the same knobs missing are errors */
        fr_write(root, CONFD "50-cpu.conf", "[cpu \"1-2\"]\nenergy_perf_bias = 0\ngovernor = performance\n"
                 "idle_max_latency_us = 0\n[cpu \"0\"]\nidle_max_latency_us = 0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-cpu.conf:2: cpu cpu1 energy_perf_bias: cpu1 has no power/energy_perf_bias "
                "(no /sys/devices/system/cpu/cpu1/power/energy_perf_bias)");
        want_in("stderr", r.err, "50-cpu.conf:3: cpu cpu2 governor: cpu2 has no cpufreq "
                "(no /sys/devices/system/cpu/cpu2/cpufreq)");
        want_in("stderr", r.err, "50-cpu.conf:6: cpu cpu0 idle_max_latency_us: cpu0 has no cpuidle states");
        want_in("stdout", r.out, "cpu cpu2 energy_perf_bias: 4 -> 0");
        want_in("stdout", r.out, "cpu cpu1 cpuidle state1 disable: 0 -> 1");
        run_result_free(&r);
        want_value(root, CPU "cpu2/power/energy_perf_bias", "0");
        want_value(root, CPU "cpu0/power/energy_perf_bias", "4");
}

/* lists select CPUs; the later section wins per CPU and key */
static void test_cpu_lists(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-cpu.conf", "[cpu \"0,2-3\"]\nresume_latency_us = 50\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        want_value(root, CPU "cpu0/power/pm_qos_resume_latency_us", "50");
        want_value(root, CPU "cpu1/power/pm_qos_resume_latency_us", "0");
        want_value(root, CPU "cpu2/power/pm_qos_resume_latency_us", "50");
        want_value(root, CPU "cpu3/power/pm_qos_resume_latency_us", "50");

        fr_write(root, CONFD "50-cpu.conf", "[cpu]\nresume_latency_us = 10\n[cpu \"1\"]\nresume_latency_us = n/a\n");
        fr_write(root, CONFD "60-cpu.conf", "[cpu \"3\"]\nresume_latency_us = 0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "cpu cpu1 resume_latency_us: 0 -> n/a");
        want_in("stdout", r.out, "cpu cpu3 resume_latency_us: 50 -> 0");
        run_result_free(&r);
        want_value(root, CPU "cpu0/power/pm_qos_resume_latency_us", "10");
        want_value(root, CPU "cpu1/power/pm_qos_resume_latency_us", "n/a");
        want_value(root, CPU "cpu2/power/pm_qos_resume_latency_us", "10");
        want_value(root, CPU "cpu3/power/pm_qos_resume_latency_us", "0");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);

        /* a CPU this system does not have is an error; an offline one is left to udev */
        fr_write(root, CONFD "60-cpu.conf", "[cpu \"2,9-10\"]\nresume_latency_us = 5\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "60-cpu.conf:2: [cpu \"2,9-10\"]: this system has no CPU 9-10");
        run_result_free(&r);
        want_value(root, CPU "cpu2/power/pm_qos_resume_latency_us", "5");
        fr_write(root, CPU "possible", "0-15\n");
        kv_run(&r, root, "apply", "-v", NULL);
        want_status(&r, 0);
        want_in("stderr", r.err, "cpu 9-10: offline; its settings apply when it comes online");
        run_result_free(&r);

        /* malformed lists and keys */
        fr_write(root, CONFD "60-cpu.conf",
                 "[cpu \"3-1\"]\nresume_latency_us = 5\n[cpu \"0-9000\"]\n[cpu \"1, 2\"]\n[cpu \"\"]\n"
                 "[cpu \"2\"]\nmin_perf_pct = 50\nresume_latency_us = -1\nenergy_perf_bias = 16\n"
                 "energy_perf_bias = fast\nfrequency = 3G\n[cpu]\nmax_perf_pct = 101\nno_turbo = maybe\n"
                 "idle_max_latency_us = 1ms\nresume_latency_us = 2147483647\n"
                 "energy_performance_preference = bal perf\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "60-cpu.conf:1: [cpu \"3-1\"]: not a CPU list");
        want_in("stderr", r.err, "60-cpu.conf:3: [cpu \"0-9000\"]: a CPU number is 8192 or more");
        want_in("stderr", r.err, "60-cpu.conf:4: [cpu \"1, 2\"]: not a CPU list");
        want_in("stderr", r.err, "60-cpu.conf:5: [cpu \"\"]: not a CPU list");
        want_in("stderr", r.err, "60-cpu.conf:7: cpu min_perf_pct: an intel_pstate knob is global");
        want_in("stderr", r.err, "60-cpu.conf:8: cpu resume_latency_us: expected microseconds");
        want_in("stderr", r.err, "60-cpu.conf:9: cpu energy_perf_bias: expected 0-15");
        want_in("stderr", r.err, "60-cpu.conf:10: cpu energy_perf_bias: expected 0-15");
        want_in("stderr", r.err, "60-cpu.conf:11: unknown key 'frequency' in [cpu]");
        want_in("stderr", r.err, "60-cpu.conf:13: cpu max_perf_pct: expected a percentage 0-100");
        want_in("stderr", r.err, "60-cpu.conf:14: cpu no_turbo: expected a boolean");
        want_in("stderr", r.err, "60-cpu.conf:15: cpu idle_max_latency_us: expected microseconds");
        want_in("stderr", r.err, "60-cpu.conf:16: cpu resume_latency_us: expected microseconds");
        want_in("stderr", r.err, "60-cpu.conf:17: cpu energy_performance_preference: expected one word");
        run_result_free(&r);
}

/* --device=cpuN: that CPU's settings only, no global ones; other names: none */
static void test_device(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-cpu.conf", all_keys);
        kv_run(&r, root, "apply", "--only=cpu", "--device=cpu2", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "cpu cpu2 governor: powersave -> performance");
        want_in("stdout", r.out, "cpu cpu2 resume_latency_us: 0 -> 20");
        want_not_in("stdout", r.out, "cpu0");
        want_not_in("stdout", r.out, "min_perf_pct");
        run_result_free(&r);
        want_value(root, CPU "cpu2/power/pm_qos_resume_latency_us", "20");
        want_value(root, CPU "cpu2/cpuidle/state2/disable", "1");
        want_value(root, CPU "cpufreq/policy2/scaling_governor", "performance");
        want_value(root, CPU "cpu1/power/pm_qos_resume_latency_us", "0");
        want_value(root, POLICY0 "scaling_governor", "powersave");
        want_value(root, CPU "intel_pstate/min_perf_pct", "25");
        kv_run(&r, root, "apply", "--device=cpu2", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);

        /* cpu1 shares policy0: the udev run for it sets the policy */
        kv_run(&r, root, "apply", "--device=cpu1", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "cpu cpu1 governor: powersave -> performance");
        run_result_free(&r);
        want_value(root, POLICY0 "scaling_governor", "performance");

        /* not online, not a CPU, not in the list: nothing */
        fr_write(root, CONFD "50-cpu.conf", "[cpu \"0-1\"]\nresume_latency_us = 7\n");
        const char *const names[] = { "cpu2", "cpu9", "vda", "cpu02", "cpux" };
        for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
                char *opt;
                assert_true(asprintf(&opt, "--device=%s", names[i]) > 0);
                kv_run(&r, root, "apply", opt, NULL);
                want_status(&r, 0);
                assert_string_equal(r.out, "");
                run_result_free(&r);
                free(opt);
        }
        want_value(root, CPU "cpu2/power/pm_qos_resume_latency_us", "20");
        kv_run(&r, root, "apply", "--device=cpu0", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "cpu cpu0 resume_latency_us: 0 -> 7");
        run_result_free(&r);
        want_value(root, CPU "cpu1/power/pm_qos_resume_latency_us", "20");     /* from the cpu1 run above */

        kv_run(&r, root, "apply", "--only=ksm", "--device=cpu0", NULL);
        want_status(&r, 2);
        want_in("stderr", r.err, "--device works only with block, netdev and cpu");
        run_result_free(&r);
}

/* cpuidle: states deeper than the limit disabled, the others (re-)enabled */
static void test_idle_states(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CPU "cpu1/cpuidle/state1/disable", "1\n");
        fr_write(root, CPU "cpu1/cpuidle/state2/disable", "1\n");
        fr_write(root, CONFD "50-cpu.conf", "[cpu \"1\"]\nidle_max_latency_us = 170\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "cpu cpu1 cpuidle state1 disable: 1 -> 0");
        want_in("stdout", r.out, "cpu cpu1 cpuidle state2 disable: 1 -> 0");
        run_result_free(&r);
        want_value(root, CPU "cpu1/cpuidle/state2/disable", "0");

        fr_write(root, CONFD "50-cpu.conf", "[cpu \"1\"]\nidle_max_latency_us = 0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_int_equal(count_lines(r.out, "disable: 0 -> 1"), 2);
        run_result_free(&r);
        want_value(root, CPU "cpu1/cpuidle/state0/disable", "0");
        want_value(root, CPU "cpu1/cpuidle/state1/disable", "1");

        /* an unreadable exit latency fails that state only */
        fr_write(root, CPU "cpu1/cpuidle/state1/latency", "fast\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "cpu cpu1 cpuidle state1 disable: cannot read the exit latency "
                "/sys/devices/system/cpu/cpu1/cpuidle/state1/latency: not a number");
        want_in("stdout", r.out, "ok    cpu cpu1 cpuidle state2 disable: 1 -> 1");
        run_result_free(&r);
}

/* two CPUs of one cpufreq policy that want different values */
static void test_shared_policy(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-cpu.conf", "[cpu \"0\"]\ngovernor = performance\n[cpu \"1-2\"]\ngovernor = powersave\n"
                 "energy_performance_preference = turbo\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-cpu.conf:4: cpu cpu1 governor: cpu1 shares its cpufreq policy with cpu0, "
                "which gets 'performance'");
        want_in("stderr", r.err, "50-cpu.conf:5: cpu cpu1 energy_performance_preference: cpu1 offers none of: turbo");
        want_in("stdout", r.out, "ok    cpu cpu2 governor: powersave -> powersave");
        run_result_free(&r);

        /* min above max: the kernel would clamp it */
        fr_write(root, CONFD "50-cpu.conf", "[cpu]\nmin_perf_pct = 90\nmax_perf_pct = 80\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-cpu.conf:2: cpu min_perf_pct: min_perf_pct 90 is above max_perf_pct 80");
        run_result_free(&r);
        want_value(root, CPU "intel_pstate/max_perf_pct", "80");
        want_value(root, CPU "intel_pstate/min_perf_pct", "25");
}

static void test_no_online_file(void **state)
{
        const char *root = *state;
        struct run_result r;

        rm(root, CPU "online");
        fr_write(root, CONFD "50-cpu.conf", "[cpu]\nresume_latency_us = 3\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "cpu: cannot read the online CPUs from /sys/devices/system/cpu/online");
        run_result_free(&r);
        /* no [cpu] section: the file is never read */
        fr_write(root, CONFD "50-cpu.conf", "[thp]\nenabled = always\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_every_key, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_governor_fallback, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_missing_all_cpus, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_cpu_lists, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_device, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_idle_states, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_shared_policy, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_no_online_file, setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
