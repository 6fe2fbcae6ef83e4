/* SPDX-License-Identifier: MIT */
/*
 * [ksm] run = auto against a fake root: ksmtuned's decision table (stop,
 * boost, decay, both clamps, the edges of both comparisons), the state
 * carried between runs in run/kvmtune/ksm-auto (missing, corrupt), the
 * guest process table (none, names that count and names that do not, a
 * process that ends between listing and reading), the tick clock
 * (proc/uptime), plan/verify/--json, the boot stage, conflicts with fixed
 * keys, and revert.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define CONF "etc/kvmtune/conf.d/70-ksm.conf"
#define SHOWN "/etc/kvmtune/conf.d/70-ksm.conf"
#define KSM "sys/kernel/mm/ksm/"
#define STATE "run/kvmtune/ksm-auto"
#define GIB (1024ull * 1024)    /* in kB */

/* A root with meminfo (kB), the clock, the three knobs and no processes. */
static char *root_with(unsigned long long total, unsigned long long memfree)
{
        char *root = fr_new();

        fr_writef(root, "proc/meminfo",
                  "MemTotal:       %llu kB\nMemFree:        %llu kB\nMemAvailable:   %llu kB\n"
                  "Buffers:        0 kB\nCached:         0 kB\nSwapCached:     0 kB\n",
                  total, memfree, memfree);
        fr_write(root, "proc/uptime", "1000.00 1900.00\n");
        fr_write(root, KSM "run", "0\n");
        fr_write(root, KSM "pages_to_scan", "100\n");
        fr_write(root, KSM "sleep_millisecs", "20\n");
        fr_write(root, KSM "merge_across_nodes", "1\n");
        fr_mkdir(root, "etc/kvmtune/conf.d");
        fr_write(root, CONF, "[ksm]\nrun = auto\n");
        return root;
}

static void set_free(const char *root, unsigned long long total, unsigned long long memfree,
                     unsigned long long buffers, unsigned long long cached)
{
        fr_writef(root, "proc/meminfo",
                  "MemTotal:       %llu kB\nMemFree:        %llu kB\nBuffers:        %llu kB\n"
                  "Cached:         %llu kB\nSwapCached:     0 kB\n",
                  total, memfree, buffers, cached);
}

static void set_uptime(const char *root, unsigned seconds)
{
        fr_writef(root, "proc/uptime", "%u.25 12.00\n", seconds);
}

/* proc/PID/exe: a symlink to target (which need not exist, as a deleted executable's does not) */
static void proc_exe(const char *root, int pid, const char *target)
{
        char rel[64];

        snprintf(rel, sizeof(rel), "proc/%d/exe", pid);
        fr_symlink(root, target, rel);
}

/* the page size in kB: statm counts pages */
static long long page_kb(void)
{
        return sysconf(_SC_PAGESIZE) / 1024;
}

/*
 * A process: cmdline is argv joined by NULs (args: NULL-terminated), exe a
 * symlink to argv[0] (in /usr/bin without a directory; none for a kernel
 * thread's empty argv or an empty argv[0]), statm with the resident size (given in kB)
 */
static void proc_add(const char *root, int pid, long long rss_kb, ...)
{
        char rel[64], path[512], exe[512];
        const char *a0 = NULL;
        va_list ap;
        FILE *f;

        snprintf(rel, sizeof(rel), "proc/%d/cmdline", pid);
        fr_write(root, rel, "");
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "w");
        assert_non_null(f);
        va_start(ap, rss_kb);
        for (const char *a; (a = va_arg(ap, const char *));) {
                a0 = a0 ? a0 : a;
                fwrite(a, 1, strlen(a) + 1, f);
        }
        va_end(ap);
        fclose(f);
        if (a0 && *a0) {
                snprintf(exe, sizeof(exe), "%s%s", strchr(a0, '/') ? "" : "/usr/bin/", a0);
                proc_exe(root, pid, exe);
        }
        snprintf(rel, sizeof(rel), "proc/%d/statm", pid);
        if (rss_kb >= 0)
                fr_writef(root, rel, "%lld %lld %lld 1 0 %lld 0\n", (rss_kb + 10) / page_kb(), rss_kb / page_kb(),
                          rss_kb / page_kb() / 4, rss_kb / page_kb());
}

static void apply_ok(const char *root)
{
        struct run_result r;

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
}

static void knobs(const char *root, const char *run, const char *pages, const char *sleep)
{
        assert_file(root, KSM "run", run);
        assert_file(root, KSM "pages_to_scan", pages);
        assert_file(root, KSM "sleep_millisecs", sleep);
}

static void state_has(const char *root, const char *line)
{
        char *s = fr_read(root, STATE);

        want_in(STATE, s, line);
        free(s);
}

static void fr_remove(const char *root, const char *rel)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        assert_int_equal(remove(path), 0);
}

static void state_npages(const char *root, const char *npages)
{
        char *s = fr_read(root, STATE), want[64];

        snprintf(want, sizeof(want), "\nnpages %s\n", npages);
        want_in(STATE, s, want);
        free(s);
}

/* ---- the decision table ------------------------------------------------ */

/* committed + threshold < total and free > threshold: only run is written, to 0 */
static void test_stop(void **state)
{
        char *root = root_with(16 * GIB, 12 * GIB);
        struct run_result r;

        fr_write(root, KSM "run", "1\n");
        proc_add(root, 100, 2 * GIB, "qemu-system-x86_64", "-enable-kvm", "-m", "2048", NULL);
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        assert_contains(r.out, "set   ksm run: 1 -> 0 (auto: free 12.0G > threshold 3.2G, guests 2.0G (1) + "
                               "threshold < total 16.0G: stop)");
        assert_not_contains(r.out, "pages_to_scan");
        run_result_free(&r);
        apply_ok(root);
        knobs(root, "0", "100", "20");
        state_npages(root, "0");
        state_has(root, "\nrun 0\n");
        fr_free(root);
}

/* free < threshold: npages += 300 from the initial 0; pages_to_scan, sleep_millisecs, run = 1 */
static void test_boost(void **state)
{
        char *root = root_with(16 * GIB, 1 * GIB);
        struct run_result r;

        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        assert_contains(r.out, "set   ksm run: 0 -> 1 (auto: free 1.0G < threshold 3.2G, guests 0kB (0) + "
                               "threshold < total 16.0G: boost)");
        assert_contains(r.out, "set   ksm pages_to_scan: 100 -> 300 (auto: boost npages 0 -> 300");
        assert_contains(r.out, "set   ksm sleep_millisecs: 20 -> 10");
        run_result_free(&r);
        assert_null(fr_read(root, STATE));              /* plan writes nothing */
        apply_ok(root);
        knobs(root, "1", "300", "10");
        state_npages(root, "300");
        fr_free(root);
}

/* committed + threshold >= total, free >= threshold: decay; 0 - 50 is clamped up to 64 */
static void test_decay_and_floor(void **state)
{
        char *root = root_with(16 * GIB, 4 * GIB);

        proc_add(root, 200, 13 * GIB, "qemu-system-x86_64", "-enable-kvm", NULL);
        apply_ok(root);
        knobs(root, "1", "64", "10");
        state_npages(root, "64");
        /* from 600 it goes down by 50 */
        fr_write(root, STATE, "npages 600\n");
        apply_ok(root);
        knobs(root, "1", "550", "10");
        /* from 100 to 64, not 50 */
        fr_write(root, STATE, "npages 100\n");
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "64");
        fr_free(root);
}

/* boost from 1100 stops at 1250 */
static void test_ceiling(void **state)
{
        char *root = root_with(16 * GIB, 1 * GIB);

        fr_write(root, STATE, "npages 1100\n");
        apply_ok(root);
        knobs(root, "1", "1250", "10");
        state_npages(root, "1250");
        set_uptime(root, 1060);
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "1250");
        fr_free(root);
}

/* free == threshold: not stopped (free is not above it), and decay (free is not below it) */
static void test_edges(void **state)
{
        /* total 10000 kB: threshold 2000 is raised to the 2048 minimum */
        char *root = root_with(10000, 2048);
        struct run_result r;

        kv_run(&r, root, "plan", NULL);
        assert_contains(r.out, "free 2.0M = threshold 2.0M");
        assert_contains(r.out, ": decay)");
        run_result_free(&r);
        apply_ok(root);
        knobs(root, "1", "64", "16777");        /* 10 * 16 GiB / 10000 kB */
        fr_free(root);

        /* committed + threshold == total: not below it, so not stopped even with plenty free */
        root = root_with(10 * GIB, 9 * GIB);
        proc_add(root, 300, 8 * GIB, "qemu-kvm", "-m", "8G", NULL);     /* 8G + 20% of 10G = 10G */
        kv_run(&r, root, "plan", NULL);
        assert_contains(r.out, "guests 8.0G (1) + threshold >= total 10.0G: decay)");
        run_result_free(&r);
        /* one kB less and it stops */
        proc_add(root, 300, 8 * GIB - 1, "qemu-kvm", "-m", "8G", NULL);
        kv_run(&r, root, "plan", NULL);
        assert_contains(r.out, "+ threshold < total 10.0G: stop)");
        run_result_free(&r);
        fr_free(root);
}

/* free is MemFree + Buffers + Cached; sleep scales with 16 GiB / MemTotal, at least 10 */
static void test_inputs(void **state)
{
        char *root = root_with(4 * GIB, 0);
        struct run_result r;

        /* 0.25G + 0.125G + 0.125G = 0.5G free < 20% of 4G: boost; sleep 10 * 16 / 4 = 40 */
        set_free(root, 4 * GIB, GIB / 4, GIB / 8, GIB / 8);
        kv_run(&r, root, "plan", NULL);
        assert_contains(r.out, "free 512.0M < threshold 819.2M");
        run_result_free(&r);
        apply_ok(root);
        knobs(root, "1", "300", "40");
        fr_free(root);

        root = root_with(64 * GIB, 1 * GIB);
        apply_ok(root);
        assert_file(root, KSM "sleep_millisecs", "10");         /* 2.5 -> 10 */
        fr_free(root);
}

/* ---- the state between runs -------------------------------------------- */

static void test_state_carried(void **state)
{
        static const struct {
                unsigned long long free_gib;
                const char *run, *pages;
        } ticks[] = {
                { 1, "1", "300" }, { 1, "1", "600" }, { 1, "1", "900" }, { 1, "1", "1200" },
                { 1, "1", "1250" }, { 5, "1", "1200" }, { 5, "1", "1150" },
                { 12, "0", "1150" },    /* stop: pages_to_scan left as it was, npages kept */
                { 12, "0", "1150" }, { 5, "1", "1100" }, { 1, "1", "1250" },
        };
        char *root = root_with(16 * GIB, 1 * GIB);

        for (size_t i = 0; i < sizeof(ticks) / sizeof(*ticks); i++) {
                /* guests of 13G: committed + threshold >= total, except where they shrink to 2G */
                proc_add(root, 500, ticks[i].free_gib == 12 ? 2 * GIB : 13 * GIB, "qemu-system-x86_64",
                         "-enable-kvm", NULL);
                set_free(root, 16 * GIB, ticks[i].free_gib * GIB, 0, 0);
                set_uptime(root, 1000 + 60 * (unsigned)i);
                apply_ok(root);
                assert_file(root, KSM "run", ticks[i].run);
                assert_file(root, KSM "pages_to_scan", ticks[i].pages);
        }
        state_npages(root, "1250");
        fr_free(root);
}

/* a missing state file is the initial state; a corrupt one too, with a notice, and it is rewritten */
static void test_state_missing_corrupt(void **state)
{
        static const char *const corrupt[] = {
                "garbage\n", "npages many\n", "npages 600\nnpages 700\n", "npages 600\ncolour blue\n",
                "npages 600\ntick_ms 5\n",      /* a tick without its decision */
                "tick_ms 5\n", "\x01\x02\x03", "npages 18446744073709551615\n",
                ("npages 600\ntick_ms 1\nnpages_before 0\nrun 7\npages_to_scan 1\n"
                 "sleep_millisecs 1\ntotal_kb 1\nfree_kb 1\ncommitted_kb 1\nthreshold_kb 1\nguests 0\n"),
        };
        char *root = root_with(16 * GIB, 1 * GIB);
        struct run_result r;

        apply_ok(root);                         /* missing: from 0 */
        assert_file(root, KSM "pages_to_scan", "300");
        for (size_t i = 0; i < sizeof(corrupt) / sizeof(*corrupt); i++) {
                fr_write(root, STATE, corrupt[i]);
                set_uptime(root, 2000 + 60 * (unsigned)i);
                kv_run(&r, root, "apply", NULL);
                want_status(&r, 0);
                assert_contains(r.err, "ksm auto: /run/kvmtune/ksm-auto is corrupt");
                assert_contains(r.err, "starting from the initial state");
                run_result_free(&r);
                assert_file(root, KSM "pages_to_scan", "300");
                state_npages(root, "300");
        }
        /* the rewritten file is read back without a notice and carries on */
        set_uptime(root, 3000);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_not_contains(r.err, "corrupt");
        run_result_free(&r);
        assert_file(root, KSM "pages_to_scan", "600");
        fr_free(root);
}

/* ---- the guests -------------------------------------------------------- */

static void test_guests(void **state)
{
        char *root = root_with(16 * GIB, 12 * GIB);
        struct run_result r;

        /* zero guests, some other processes */
        proc_add(root, 1, 9000, "/sbin/init", NULL);
        proc_add(root, 2, 0, NULL);                     /* a kernel thread: empty cmdline */
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        assert_contains(r.out, "guests 0kB (0) + threshold < total 16.0G: stop");
        run_result_free(&r);

        /* what counts: qemu-system-*, qemu-kvm, kvm, with any accelerator and with a directory */
        proc_add(root, 10, 1 * GIB, "qemu-system-x86_64", "-enable-kvm", NULL);
        proc_add(root, 11, 1 * GIB, "/usr/bin/qemu-system-x86_64", "-accel", "kvm", NULL);
        proc_add(root, 12, 1 * GIB, "qemu-system-aarch64", "-machine", "virt,accel=tcg", NULL);
        proc_add(root, 13, 1 * GIB, "/usr/libexec/qemu-kvm", "-name", "guest=x", NULL);
        proc_add(root, 14, 1 * GIB, "/usr/bin/kvm", "-id", "100", NULL);
        /* what does not */
        proc_add(root, 20, 1 * GIB, "qemu-img", "convert", NULL);
        proc_add(root, 21, 1 * GIB, "qemu-x86_64", "-enable-kvm", NULL);       /* user-mode emulator */
        proc_add(root, 22, 1 * GIB, "bash", "qemu-system-x86_64", "-enable-kvm", NULL);
        proc_add(root, 23, 1 * GIB, "qemu-systemd", NULL);
        proc_add(root, 24, 1 * GIB, "kvm-pit", NULL);
        proc_add(root, 25, 1 * GIB, "", "qemu-system-x86_64", NULL);
        /* the executable decides, not argv[0]: any process can call itself qemu-system-x86_64 */
        proc_add(root, 26, 1 * GIB, "qemu-system-x86_64", "-enable-kvm", NULL);
        proc_exe(root, 26, "/usr/bin/python3.13");
        /* and a guest whose argv[0] says otherwise is one; so is one whose qemu was upgraded under it */
        proc_add(root, 15, 1 * GIB, "guest-7", "-name", "guest-7", NULL);
        proc_exe(root, 15, "/usr/bin/qemu-system-x86_64");
        proc_add(root, 16, 1 * GIB, "/usr/bin/qemu-system-x86_64", "-enable-kvm", NULL);
        proc_exe(root, 16, "/usr/bin/qemu-system-x86_64 (deleted)");
        /* the marker goes once, and only at the end */
        proc_add(root, 27, 1 * GIB, "x", NULL);
        proc_exe(root, 27, "/usr/libexec/qemu-kvm (deleted) (deleted)");
        proc_add(root, 28, 1 * GIB, "x", NULL);
        proc_exe(root, 28, "/usr/libexec/qemu-kvm (deleted)x");
        fr_write(root, "proc/self", "not a process\n");
        /* ended between listing and reading: no exe, or an exe and no statm, or a zombie's (all zeros) */
        fr_mkdir(root, "proc/30");
        proc_add(root, 31, -1, "qemu-system-x86_64", "-enable-kvm", NULL);
        proc_add(root, 32, -1, "qemu-system-x86_64", "-enable-kvm", NULL);
        fr_write(root, "proc/32/statm", "0 0 0 0 0 0 0\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        assert_contains(r.out, "guests 7.0G (7) + threshold < total 16.0G: stop");
        assert_not_contains(r.err, "proc/3");
        run_result_free(&r);
        fr_free(root);
}

/* ---- the clock, plan, verify, --json ----------------------------------- */

static void test_interval(void **state)
{
        char *root = root_with(16 * GIB, 1 * GIB);
        struct run_result r;

        apply_ok(root);                                         /* at 1000 s: 300 */
        kv_run(&r, root, "verify", NULL);                       /* what the tick left: met */
        want_status(&r, 0);
        assert_contains(r.out, "ok    ksm run: 1 -> 1 (auto, last tick 0 s ago, next in 54 s: free 1.0G");
        run_result_free(&r);
        set_uptime(root, 1030);
        apply_ok(root);                                         /* within the interval: no tick */
        assert_file(root, KSM "pages_to_scan", "300");
        /* someone else changed a knob: apply puts back the tick's decision, npages stays */
        fr_write(root, KSM "pages_to_scan", "77\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "300");
        state_npages(root, "300");
        /* 54 s (nine tenths of 60) after the tick: due */
        set_uptime(root, 1054);
        kv_run(&r, root, "plan", NULL);
        assert_contains(r.out, "set   ksm pages_to_scan: 300 -> 600");
        run_result_free(&r);
        /* due, but the last tick is recent and the knobs are as it left them: verify is met */
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        /* the timer stopped: two intervals later the same difference fails verify */
        set_uptime(root, 1120);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "600");
        /* a clock behind the tick (the state of another boot): due */
        set_uptime(root, 5);
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "900");
        /* auto-interval = 0: every run is a tick */
        fr_write(root, CONF, "[ksm]\nrun = auto\nauto-interval = 0\n");
        apply_ok(root);
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "1250");
        /* no clock with an interval: an error, nothing written */
        fr_write(root, CONF, "[ksm]\nrun = auto\n");
        fr_write(root, STATE, "npages 0\n");
        fr_write(root, KSM "pages_to_scan", "100\n");
        fr_remove(root, "proc/uptime");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        assert_contains(r.err, SHOWN ":2: ksm run: cannot read /proc/uptime");
        run_result_free(&r);
        assert_file(root, KSM "pages_to_scan", "100");
        fr_free(root);
}

static void test_json(void **state)
{
        char *root = root_with(16 * GIB, 1 * GIB);
        struct run_result r;

        proc_add(root, 42, 3 * GIB, "qemu-system-x86_64", "-enable-kvm", NULL);
        kv_run(&r, root, "--json", "plan", NULL);
        want_status(&r, 0);
        assert_contains(r.out, "\"name\":\"run\",\"path\":\"/sys/kernel/mm/ksm/run\",\"current\":\"0\","
                               "\"wanted\":\"1\"");
        assert_contains(r.out, "\"auto\":{\"tick\":true,\"uptime_ms\":1000000,\"last_tick_ms\":null,"
                               "\"interval\":60,\"total_kb\":16777216,\"free_kb\":1048576,"
                               "\"threshold_kb\":3355443,\"guests\":1,\"guests_kb\":3145728,"
                               "\"npages_before\":0,\"npages\":300,\"sleep_millisecs\":10,\"decision\":\"boost\"}");
        run_result_free(&r);
        fr_free(root);
}

/* ---- configuration ----------------------------------------------------- */

static void test_keys(void **state)
{
        char *root = root_with(16 * GIB, 3 * GIB);
        struct run_result r;

        /* every knob of the policy: threshold 4G (a size), boost 100, ... */
        fr_write(root, CONF, "[ksm]\nrun = auto\nauto-threshold = 4G\nauto-threshold-min = 1M\n"
                             "auto-boost = 100\nauto-decay = 10\nauto-pages-min = 150\nauto-pages-max = 250\n"
                             "auto-sleep-millisecs = 20\nauto-interval = 120\n");
        apply_ok(root);
        knobs(root, "1", "150", "20");                  /* 0 + 100 -> at least 150 */
        set_uptime(root, 1100);                         /* 100 s < 0.9 x 120: no tick */
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "150");
        set_uptime(root, 1110);
        apply_ok(root);
        assert_file(root, KSM "pages_to_scan", "250");
        /* a percentage, and the minimum winning over it */
        fr_write(root, CONF, "[ksm]\nrun = auto\nauto-threshold = 1%\nauto-threshold-min = 4G\nauto-interval = 0\n");
        kv_run(&r, root, "plan", NULL);
        assert_contains(r.out, "threshold 4.0G");
        run_result_free(&r);
        fr_write(root, CONF, "[ksm]\nrun = auto\nauto-threshold = 1%\nauto-interval = 0\n");
        kv_run(&r, root, "plan", NULL);
        assert_contains(r.out, "free 3.0G > threshold 163.8M");
        assert_contains(r.out, "threshold < total 16.0G: stop");
        run_result_free(&r);
        /* bad values */
        fr_write(root, CONF, "[ksm]\nrun = auto\nauto-threshold = 101%\nauto-decay = -50\nauto-colour = 1\n"
                             "auto-boost = many\nauto-threshold-min = 2Q\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        assert_contains(r.err, SHOWN ":3: ksm auto-threshold: expected a whole percentage");
        assert_contains(r.err, SHOWN ":4: ksm auto-decay: expected a number of pages");
        assert_contains(r.err, SHOWN ":5: unknown key 'auto-colour' in [ksm]");
        assert_contains(r.err, SHOWN ":6: ksm auto-boost: expected a number");
        assert_contains(r.err, SHOWN ":7: ksm auto-threshold-min: expected a size");
        run_result_free(&r);
        fr_write(root, CONF, "[ksm]\nrun = automatic\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        assert_contains(r.err, SHOWN ":2: ksm run: expected 0, 1, 2 or a boolean, not 'automatic' (or auto");
        run_result_free(&r);
        fr_write(root, CONF, "[ksm]\nrun = auto\nauto-pages-min = 500\nauto-pages-max = 400\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        assert_contains(r.err, SHOWN ":4: ksm auto-pages-max 400 is below auto-pages-min 500");
        run_result_free(&r);
        assert_file(root, KSM "run", "1");
        fr_free(root);
}

/* fixed pages_to_scan/sleep_millisecs next to run = auto: an error naming both lines */
static void test_conflicts(void **state)
{
        char *root = root_with(16 * GIB, 1 * GIB);
        struct run_result r;

        fr_write(root, CONF, "[ksm]\npages_to_scan = 500\nrun = auto\nmerge_across_nodes = 0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        assert_contains(r.err, SHOWN ":2: ksm pages_to_scan: a fixed value next to `run = auto` at " SHOWN
                               ":3, which sets pages_to_scan itself: neither is applied");
        run_result_free(&r);
        knobs(root, "0", "100", "20");
        assert_file(root, KSM "merge_across_nodes", "0");       /* the rest is applied */
        /* a later file's fixed value: the same error */
        fr_write(root, CONF, "[ksm]\nrun = auto\n");
        fr_write(root, "etc/kvmtune/conf.d/80-late.conf", "[ksm]\nsleep_millisecs = 5\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        assert_contains(r.err, "/etc/kvmtune/conf.d/80-late.conf:2: ksm sleep_millisecs: a fixed value next to "
                               "`run = auto` at " SHOWN ":2");
        run_result_free(&r);
        assert_file(root, KSM "run", "0");
        /* an earlier file's (the bundled 60-memory.conf's) fixed values: run = auto replaces them */
        fr_remove(root, "etc/kvmtune/conf.d/80-late.conf");
        fr_write(root, "usr/lib/kvmtune/conf.d/60-memory.conf", "[ksm]\nrun = 1\npages_to_scan = 200\n"
                                                               "sleep_millisecs = 50\n");
        apply_ok(root);
        knobs(root, "1", "300", "10");
        /* and a later fixed run replaces auto */
        fr_write(root, "etc/kvmtune/conf.d/90-off.conf", "[ksm]\nrun = 0\n");
        apply_ok(root);
        knobs(root, "0", "200", "50");
        fr_free(root);
}

/* ---- boot, revert ------------------------------------------------------ */

static void test_boot_stage(void **state)
{
        char *root = root_with(16 * GIB, 1 * GIB);
        struct run_result r;

        proc_add(root, 42, 3 * GIB, "qemu-system-x86_64", "-enable-kvm", NULL);
        kv_run(&r, root, "--stage=boot", "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        knobs(root, "0", "100", "20");                  /* not decided at boot */
        assert_file(root, STATE, "# kvmtune [ksm] run = auto: the policy's state (kvmtune.conf(5)); safe to delete\n"
                                 "npages 0");
        kv_run(&r, root, "--stage=boot", "plan", NULL);
        assert_contains(r.out, "skip  ksm run: 0 -> auto (auto: decided by kvmtune-ksm.timer, not at boot)");
        run_result_free(&r);
        /* the timer's run decides; a later boot-stage run keeps the state */
        apply_ok(root);
        kv_run(&r, root, "--stage=boot", "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        state_npages(root, "300");
        fr_free(root);
}

static void test_revert(void **state)
{
        char *root = root_with(16 * GIB, 1 * GIB);
        struct run_result r;

        apply_ok(root);
        set_uptime(root, 1060);
        apply_ok(root);
        knobs(root, "1", "600", "10");
        kv_run(&r, root, "revert", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        knobs(root, "0", "100", "20");
        fr_free(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stop),
                cmocka_unit_test(test_boost),
                cmocka_unit_test(test_decay_and_floor),
                cmocka_unit_test(test_ceiling),
                cmocka_unit_test(test_edges),
                cmocka_unit_test(test_inputs),
                cmocka_unit_test(test_state_carried),
                cmocka_unit_test(test_state_missing_corrupt),
                cmocka_unit_test(test_guests),
                cmocka_unit_test(test_interval),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_conflicts),
                cmocka_unit_test(test_boot_stage),
                cmocka_unit_test(test_revert),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
