/* SPDX-License-Identifier: MIT */
/*
 * The typed keys for the sysfs writes that hosts keep in rc.local and TuneD
 * [sysfs] lines, on a fake root with a small simulated kernel
 * (-Wl,--wrap=kernfs_write): [block] iosched.NAME, [thp] khugepaged.NAME,
 * [cpu] governor.NAME and mce.ignore_ce, [hugepages] node.N / node.*.
 * Each is planned, applied, verified and reverted; the errors (a file
 * missing, a value the kernel refuses with EINVAL, a tunable the active
 * scheduler does not have) carry file:line; each form import reads is
 * imported and the output applied.
 *
 * The simulated kernel: a write to queue/scheduler moves the brackets and
 * makes queue/iosched/ anew with the new scheduler's tunables at their
 * defaults (as elevator_switch() does); a write to scaling_governor moves
 * the governor's directory likewise; faults[] refuse chosen writes.
 */
#include "want.h"

#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"

#define CONF CONFD "50-typed.conf"
#define SHOWN "/etc/kvmtune/conf.d/50-typed.conf"
#define VDA "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/"

/* ---- the simulated kernel ---------------------------------------------- */

static struct fault {
        const char *rel;
        int err;
} faults[8];
static size_t n_faults;

static void fault(const char *rel, int err)
{
        faults[n_faults++] = (struct fault){ rel, err };
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(p);
}

static void rm_tree(const char *root, const char *rel)
{
        char *p;

        assert_true(asprintf(&p, "%s/%s", root, rel) > 0);
        nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(p);
}

/* the tunables a scheduler makes, with their defaults */
static const char *const sched_files[][2] = {
        { "mq-deadline", "fifo_batch=16 read_expire=500 write_expire=5000 writes_starved=2 front_merges=1" },
        { "bfq", "slice_idle=8 low_latency=1 back_seek_max=16384 strict_guarantees=0" },
        { "kyber", "read_lat_nsec=2000000 write_lat_nsec=10000000" },
};

static void make_files(const char *root, const char *dir, const char *list)
{
        char *copy = strdup(list), *save = NULL;

        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                char *eq = strchr(w, '=');
                *eq = '\0';
                char *rel;
                assert_true(asprintf(&rel, "%s/%s", dir, w) > 0);
                fr_writef(root, rel, "%s\n", eq + 1);
                free(rel);
        }
        free(copy);
}

/* "[none] mq-deadline": the list with value bracketed; NULL when not offered */
static char *move_brackets(const char *raw, const char *value)
{
        char *copy = strdup(raw), *save = NULL, *out = NULL;
        size_t len = 0;
        bool found = false;
        FILE *m = open_memstream(&out, &len);

        for (char *w = strtok_r(copy, " []\n", &save); w; w = strtok_r(NULL, " []\n", &save)) {
                bool cur = !strcmp(w, value);
                found |= cur;
                fprintf(m, "%s%s%s%s", ftell(m) ? " " : "", cur ? "[" : "", w, cur ? "]" : "");
        }
        fclose(m);
        free(copy);
        if (!found) {
                free(out);
                return NULL;
        }
        return out;
}

int __real_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);

/* the tunables a cpufreq governor makes (system-wide: cpufreq/GOV/), with their defaults */
static const char *const gov_files[][2] = {
        { "ondemand", "up_threshold=95 sampling_rate=10000 sampling_down_factor=1 ignore_nice_load=0 "
                      "powersave_bias=0 io_is_busy=0" },
        { "conservative", "up_threshold=80 down_threshold=20 freq_step=5 sampling_down_factor=1 "
                          "ignore_nice_load=0 sampling_rate=10000" },
        { "schedutil", "rate_limit_us=1000" },
};
static bool gov_makes_nothing;          /* a governor switch makes no tunables (a driver that keeps them elsewhere) */
static unsigned node1_room;             /* 2M pages node1 can grant */

#define CPU "sys/devices/system/cpu/"
#define MCE "sys/devices/system/machinecheck/"

static bool ends_with(const char *s, const char *end)
{
        size_t n = strlen(s), e = strlen(end);

        return n >= e && !strcmp(s + n - e, end);
}

static unsigned file_number(struct kvmtune *k, const char *rel)
{
        char *raw = NULL;
        unsigned v = 0;

        if (kernfs_read(k, rel, &raw) == 0)
                v = (unsigned)strtoul(raw, NULL, 10);
        free(raw);
        return v;
}

static int write_governor(struct kvmtune *k, const char *rel, const char *value)
{
        char *old = NULL, *dir;
        int r;

        if (kernfs_read(k, rel, &old) < 0)
                return -ENOENT;
        r = __real_kernfs_write(k, rel, -1, value);
        if (r == 0 && strcmp(old, value)) {
                assert_true(asprintf(&dir, CPU "cpufreq/%s", old) > 0);
                rm_tree(k->root, dir);
                free(dir);
                for (size_t i = 0; i < sizeof(gov_files) / sizeof(*gov_files) && !gov_makes_nothing; i++)
                        if (!strcmp(gov_files[i][0], value)) {
                                assert_true(asprintf(&dir, CPU "cpufreq/%s", value) > 0);
                                make_files(k->root, dir, gov_files[i][1]);
                                free(dir);
                        }
        }
        free(old);
        return r;
}

/* ignore_ce is mca_cfg.ignore_ce: a write to one machinecheckN sets what all of them show */
static int write_ignore_ce(struct kvmtune *k, const char *value)
{
        for (unsigned n = 0; n < 2; n++) {
                char rel[64];
                snprintf(rel, sizeof(rel), MCE "machinecheck%u/ignore_ce", n);
                __real_kernfs_write(k, rel, -1, value);
        }
        return 0;
}


int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value)
{
        size_t n = strlen(rel);
        char *raw = NULL, *moved;
        int r;

        for (size_t i = 0; i < n_faults; i++)
                if (!strcmp(faults[i].rel, rel))
                        return -faults[i].err;
        if (n > 16 && !strcmp(rel + n - 16, "/queue/scheduler")) {
                char *dir;

                if (kernfs_read(k, rel, &raw) < 0)
                        return -ENOENT;
                moved = move_brackets(raw, value);
                free(raw);
                if (!moved)
                        return -EINVAL;
                r = __real_kernfs_write(k, rel, -1, moved);
                free(moved);
                assert_true(asprintf(&dir, "%.*s/iosched", (int)(n - 10), rel) > 0);
                rm_tree(k->root, dir);
                for (size_t i = 0; i < sizeof(sched_files) / sizeof(*sched_files); i++)
                        if (!strcmp(sched_files[i][0], value))
                                make_files(k->root, dir, sched_files[i][1]);
                free(dir);
                return r;
        }
        if (ends_with(rel, "/scaling_governor"))
                return write_governor(k, rel, value);
        if (ends_with(rel, "/ignore_ce"))
                return write_ignore_ce(k, value);
        /* conservative refuses up_threshold <= down_threshold and down_threshold >= up_threshold */
        if (ends_with(rel, "conservative/up_threshold") &&
            strtoul(value, NULL, 10) <= file_number(k, CPU "cpufreq/conservative/down_threshold"))
                return -EINVAL;
        if (ends_with(rel, "conservative/down_threshold") &&
            strtoul(value, NULL, 10) >= file_number(k, CPU "cpufreq/conservative/up_threshold"))
                return -EINVAL;
        /* node1 has room for node1_room pages of 2M (a short grant beyond) */
        if (ends_with(rel, "node1/hugepages/hugepages-2048kB/nr_hugepages") && strtoul(value, NULL, 10) > node1_room) {
                char granted[32];
                snprintf(granted, sizeof(granted), "%u", node1_room);
                return __real_kernfs_write(k, rel, fd, granted);
        }
        /* mq-deadline keeps its expiries in jiffies: at HZ=250, up to a multiple of 4 ms */
        if (n > 12 && !strcmp(rel + n - 12, "/read_expire")) {
                char stored[32];
                snprintf(stored, sizeof(stored), "%llu", (strtoull(value, NULL, 10) + 3) / 4 * 4);
                return __real_kernfs_write(k, rel, fd, stored);
        }
        return __real_kernfs_write(k, rel, fd, value);
}

/* ---- helpers ------------------------------------------------------------- */

static int setup(void **state)
{
        fr_setup(state);
        n_faults = 0;
        gov_makes_nothing = false;
        node1_room = 100000;
        return 0;
}

static void run(struct run_result *r, const char *root, int cmd)
{
        kv_run_inproc(r, root, cmd, 0);
}

/* run, and the exit status must be status */
static void run_status(struct run_result *r, const char *root, int cmd, int status)
{
        run(r, root, cmd);
        want_status(r, status);
}

/* the configuration conf, then run: the exit status must be status */
static void run_conf(struct run_result *r, const char *root, int cmd, int status, const char *conf)
{
        fr_write(root, CONF, conf);
        run_status(r, root, cmd, status);
}

/* run, and the exit status must be 0: the run's output is not looked at */
static void run_ok(const char *root, int cmd)
{
        struct run_result r;

        run_status(&r, root, cmd, 0);
        run_result_free(&r);
}

/*
 * import over rc.local and sysfs.conf (NULL: none): each line carried,
 * the output holding each line of want (newline-ended), and that output
 * applied.
 */
static void import_apply(const char *root, const char *rc_local, const char *sysfs_conf, const char *want)
{
        struct run_result r;
        char *p;

        if (rc_local) {
                fr_write(root, "etc/rc.local", rc_local);
                assert_true(asprintf(&p, "%s/etc/rc.local", root) > 0);
                assert_int_equal(chmod(p, 0755), 0);
                free(p);
        }
        if (sysfs_conf)
                fr_write(root, "etc/sysfs.conf", sysfs_conf);
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        want_in("import", r.err, " 0 not carried");
        /* each line of want, in the output (comments fall between them) */
        for (const char *l = want; *l; l += strcspn(l, "\n") + 1) {
                char *line = strndup(l, strcspn(l, "\n") + 1);
                want_in("import", r.out, line);
                free(line);
        }
        fr_write(root, CONF, r.out);
        run_result_free(&r);
        run(&r, root, CMD_APPLY);
        if (r.status)
                fail_msg("apply of the imported configuration: %d\n%s", r.status, r.err);
        run_result_free(&r);
}

/* ---- [block] iosched.NAME ------------------------------------------------- */

/* vda runs mq-deadline, its tunables at their defaults */
static void vda_tree(const char *root)
{
        fr_write(root, VDA "scheduler", "none [mq-deadline] kyber bfq\n");
        make_files(root, VDA "iosched", sched_files[0][1]);
}

/* vda runs mq-deadline: plan, apply, verify, revert of its tunables */
static void iosched_plain(void **state)
{
        const char *root = *state;
        struct run_result r;

        vda_tree(root);
        run_conf(&r, root, CMD_PLAN, 0, "[block \"vd*\"]\niosched.fifo_batch = 32\niosched.read_expire = 250\n");
        want_in("plan", r.out, "set   block vda iosched.fifo_batch: 16 -> 32");
        want_in("plan", r.out, "set   block vda iosched.read_expire: 500 -> 250");
        run_result_free(&r);

        run_status(&r, root, CMD_APPLY, 0);
        want_in("apply", r.out, "block vda iosched.fifo_batch: 16 -> 32");
        want_value(root, VDA "iosched/fifo_batch", "32");
        want_value(root, VDA "iosched/read_expire", "252");
        want_not_in("apply", r.err, "stores");
        run_result_free(&r);

        /* 252 is 250 ms rounded up to a jiffy: met */
        run_status(&r, root, CMD_VERIFY, 0);
        want_in("verify", r.out, "ok    block vda iosched.fifo_batch: 32 -> 32");
        want_in("verify", r.out, "ok    block vda iosched.read_expire: 252 -> 250");
        run_result_free(&r);

        /* a value no HZ rounds 250 to is not */
        fr_write(root, VDA "iosched/read_expire", "253\n");
        run_status(&r, root, CMD_VERIFY, 1);
        want_in("verify", r.out, "set   block vda iosched.read_expire: 253 -> 250");
        run_result_free(&r);

        run_status(&r, root, CMD_REVERT, 0);
        want_value(root, VDA "iosched/fifo_batch", "16");
        want_value(root, VDA "iosched/read_expire", "500");
        run_result_free(&r);
}

/*
 * scheduler = bfq with bfq's slice_idle: the switch makes iosched/ anew, the
 * tunable is read and written after it; revert puts back the tunable, then
 * the scheduler, then mq-deadline's tunables as they were.
 */
static void iosched_after_switch(void **state)
{
        const char *root = *state;
        struct run_result r;

        vda_tree(root);
        fr_write(root, VDA "iosched/fifo_batch", "8\n");
        run_conf(&r, root, CMD_PLAN, 0, "[block \"vda\"]\nscheduler = bfq\niosched.slice_idle = 0\n");
        want_in("plan", r.out, "set   block vda scheduler: mq-deadline -> bfq");
        want_in("plan", r.out, "block vda iosched.slice_idle: ? -> 0");
        want_in("plan", r.out, "read after the switch to bfq");
        run_result_free(&r);

        run_status(&r, root, CMD_APPLY, 0);
        want_in("apply", r.out, "block vda iosched.slice_idle: 8 -> 0");
        want_value(root, VDA "scheduler", "none mq-deadline kyber [bfq]");
        want_value(root, VDA "iosched/slice_idle", "0");
        run_result_free(&r);

        /* a second apply writes nothing */
        run_status(&r, root, CMD_APPLY, 0);
        want_not_in("apply", r.out, "->");
        run_result_free(&r);

        run_status(&r, root, CMD_REVERT, 0);
        want_value(root, VDA "scheduler", "none [mq-deadline] kyber bfq");
        want_value(root, VDA "iosched/fifo_batch", "8");
        run_result_free(&r);
}

/* a tunable the active scheduler does not have: an error with file:line, the others apply */
static void iosched_absent(void **state)
{
        const char *root = *state;
        struct run_result r;

        vda_tree(root);
        run_conf(&r, root, CMD_APPLY, 1, "[block \"vda\"]\niosched.slice_idle = 0\niosched.fifo_batch = 4\n");
        want_in("stderr", r.err, SHOWN ":2: block vda iosched.slice_idle: the active scheduler mq-deadline of vda "
                                 "has no tunable slice_idle (its iosched/ has: ");
        want_value(root, VDA "iosched/fifo_batch", "4");
        run_result_free(&r);

        /* after a switch: found missing at apply, under the new scheduler */
        run_conf(&r, root, CMD_APPLY, 1, "[block \"vda\"]\nscheduler = kyber\niosched.fifo_batch = 4\n");
        want_in("stderr", r.err, SHOWN ":3: block vda iosched.fifo_batch: the active scheduler kyber of vda has no "
                                 "tunable fifo_batch (its iosched/ has: ");
        want_value(root, VDA "scheduler", "none mq-deadline [kyber] bfq");
        run_result_free(&r);

        /* none has no tunables at all */
        run_conf(&r, root, CMD_APPLY, 1, "[block \"vda\"]\nscheduler = none\niosched.fifo_batch = 4\n");
        want_in("stderr", r.err, "the active scheduler none of vda has no tunable fifo_batch (its iosched/ has: none)");
        run_result_free(&r);
}

/* the kernel refuses a value (EINVAL); a device without a scheduler; bad keys and values */
static void iosched_errors(void **state)
{
        const char *root = *state;
        struct run_result r;

        vda_tree(root);
        fault("sys/block/vda/queue/iosched/fifo_batch", EINVAL);
        run_conf(&r, root, CMD_APPLY, 1, "[block \"vda\"]\niosched.fifo_batch = 4\n"
                                         "[block \"zram0\"]\niosched.fifo_batch = 4\n");
        want_in("stderr", r.err, SHOWN ":2: block vda iosched.fifo_batch: cannot write '4': Invalid argument");
        want_in("stderr", r.err, SHOWN ":4: block zram0 iosched.fifo_batch: zram0 has no I/O scheduler");
        want_value(root, VDA "iosched/fifo_batch", "16");
        run_result_free(&r);

        /* a glob skips the devices without a scheduler quietly */
        n_faults = 0;
        run_conf(&r, root, CMD_APPLY, 0, "[block \"*\"]\niosched.fifo_batch = 4\n");
        want_value(root, VDA "iosched/fifo_batch", "4");
        run_result_free(&r);

        run_conf(&r, root, CMD_PLAN, 1, "[block \"vda\"]\niosched.Fifo = 4\niosched. = 1\niosched.fifo_batch = fast\n"
                                        "iosched.../x = 1\n");
        want_in("stderr", r.err, SHOWN ":2: block iosched.Fifo: not a scheduler tunable's name");
        want_in("stderr", r.err, SHOWN ":3: block iosched.: not a scheduler tunable's name");
        want_in("stderr", r.err, SHOWN ":4: block iosched.fifo_batch: expected a number, not 'fast'");
        want_in("stderr", r.err, SHOWN ":5:");
        run_result_free(&r);
}

/* echo to queue/iosched/F in rc.local, sysfs.conf's block/DEV/queue/iosched/F */
static void iosched_import(void **state)
{
        const char *root = *state;

        vda_tree(root);
        import_apply(root, "#!/bin/sh\necho 32 > /sys/block/vda/queue/iosched/fifo_batch\n",
                     "block/vda/queue/iosched/read_expire = 248\n",
                     "[block \"vda\"]\niosched.read_expire = 248\niosched.fifo_batch = 32\n");
        want_value(root, VDA "iosched/fifo_batch", "32");
        want_value(root, VDA "iosched/read_expire", "248");
}

/* ---- [thp] khugepaged.NAME ------------------------------------------------ */

#define KHP "sys/kernel/mm/transparent_hugepage/khugepaged/"

static void khugepaged_tree(const char *root)
{
        fr_write(root, "sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "2097152\n");
        make_files(root, KHP, "defrag=1 max_ptes_none=511 max_ptes_swap=64 max_ptes_shared=256 pages_to_scan=4096 "
                              "scan_sleep_millisecs=10000 alloc_sleep_millisecs=60000 full_scans=3 pages_collapsed=7");
}

static void khugepaged_keys(void **state)
{
        const char *root = *state;
        struct run_result r;

        khugepaged_tree(root);
        run_conf(&r, root, CMD_PLAN, 0, "[thp]\nkhugepaged.defrag = no\nkhugepaged.max_ptes_none = 0\n"
                                        "khugepaged.pages_to_scan = 8192\nkhugepaged.scan_sleep_millisecs = 1000\n"
                                        "khugepaged.alloc_sleep_millisecs = 60000\n");
        want_in("plan", r.out, "set   thp khugepaged.defrag: 1 -> 0");
        want_in("plan", r.out, "set   thp khugepaged.max_ptes_none: 511 -> 0");
        want_in("plan", r.out, "ok    thp khugepaged.alloc_sleep_millisecs: 60000 -> 60000");
        run_result_free(&r);

        run_status(&r, root, CMD_APPLY, 0);
        want_in("apply", r.out, "thp khugepaged.pages_to_scan: 4096 -> 8192");
        want_value(root, KHP "defrag", "0");
        want_value(root, KHP "max_ptes_none", "0");
        want_value(root, KHP "pages_to_scan", "8192");
        want_value(root, KHP "scan_sleep_millisecs", "1000");
        run_result_free(&r);

        run_ok(root, CMD_VERIFY);

        run_status(&r, root, CMD_REVERT, 0);
        want_value(root, KHP "defrag", "1");
        want_value(root, KHP "max_ptes_none", "511");
        want_value(root, KHP "pages_to_scan", "4096");
        want_value(root, KHP "scan_sleep_millisecs", "10000");
        run_result_free(&r);
}

static void khugepaged_errors(void **state)
{
        const char *root = *state;
        struct run_result r;

        khugepaged_tree(root);
        rm_tree(root, KHP "max_ptes_shared");
        fault(KHP "scan_sleep_millisecs", EINVAL);
        run_conf(&r, root, CMD_APPLY, 1, "[thp]\nkhugepaged.max_ptes_none = 512\nkhugepaged.max_ptes_shared = 1\n"
                                         "khugepaged.scan_sleep_millisecs = 5\nkhugepaged.max_ptes_swap = 0\n");
        want_in("stderr", r.err, SHOWN ":2: thp khugepaged.max_ptes_none: at most 511 (a PMD hugepage holds 512 pages)");
        want_in("stderr", r.err, SHOWN ":3: thp khugepaged.max_ptes_shared: this kernel has no /" KHP "max_ptes_shared");
        want_in("stderr", r.err, SHOWN ":4: thp khugepaged.scan_sleep_millisecs: cannot write '5': Invalid argument");
        want_value(root, KHP "max_ptes_none", "511");
        want_value(root, KHP "scan_sleep_millisecs", "10000");
        want_value(root, KHP "max_ptes_swap", "0");     /* the others apply */
        run_result_free(&r);

        run_conf(&r, root, CMD_PLAN, 1, "[thp]\nkhugepaged.pages_to_scan = 0\nkhugepaged.defrag = 2\n"
                                        "khugepaged.full_scans = 0\nkhugepaged.max_ptes_none = -1\n");
        want_in("stderr", r.err, SHOWN ":2: thp khugepaged.pages_to_scan: expected a number from 1 to 4294967295, not '0'");
        want_in("stderr", r.err, SHOWN ":3: thp khugepaged.defrag: expected 0 or 1 (a boolean), not '2'");
        want_in("stderr", r.err, SHOWN ":4: unknown key 'khugepaged.full_scans' in [thp] (khugepaged's knobs:");
        want_in("stderr", r.err, SHOWN ":5: thp khugepaged.max_ptes_none: expected a number");
        run_result_free(&r);
}

static void khugepaged_import(void **state)
{
        const char *root = *state;
        struct run_result r;

        khugepaged_tree(root);
        import_apply(root, "#!/bin/sh\necho 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/defrag\n"
                           "echo 8192 > /sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan\n",
                     "kernel/mm/transparent_hugepage/khugepaged/max_ptes_none = 0\n",
                     "[thp]\nkhugepaged.defrag = 0\nkhugepaged.pages_to_scan = 8192\nkhugepaged.max_ptes_none = 0\n");
        want_value(root, KHP "defrag", "0");
        want_value(root, KHP "pages_to_scan", "8192");
        want_value(root, KHP "max_ptes_none", "0");

        /* values the old kernel refused did nothing there: not carried */
        fr_write(root, "etc/rc.local", "#!/bin/sh\necho 600 > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none\n"
                                       "echo 1 > /sys/kernel/mm/transparent_hugepage/khugepaged/full_scans\n");
        fr_write(root, "etc/sysfs.conf", "");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "rc.local:2: not carried: echo 600 > /sys/kernel/mm/transparent_hugepage/khugepaged/"
                                 "max_ptes_none: khugepaged/max_ptes_none '600': the kernel takes a number from 0 to 511");
        want_in("stderr", r.err, "rc.local:3: not carried: echo 1 > /sys/kernel/mm/transparent_hugepage/khugepaged/"
                                 "full_scans: kvmtune has no [thp] key for khugepaged/full_scans");
        run_result_free(&r);
}

/* ---- [cpu] GOVERNOR.TUNABLE ---------------------------------------------- */

/* two CPUs of one policy (cpuN/cpufreq links to it), the governor's tunables system-wide */
static void cpufreq_tree(const char *root, const char *gov)
{
        fr_write(root, CPU "online", "0-1\n");
        fr_write(root, CPU "possible", "0-1\n");
        fr_writef(root, CPU "cpufreq/policy0/scaling_governor", "%s\n", gov);
        fr_write(root, CPU "cpufreq/policy0/scaling_available_governors",
                 "performance powersave ondemand conservative schedutil\n");
        fr_symlink(root, "../cpufreq/policy0", CPU "cpu0/cpufreq");
        fr_symlink(root, "../cpufreq/policy0", CPU "cpu1/cpufreq");
        for (size_t i = 0; i < sizeof(gov_files) / sizeof(*gov_files); i++)
                if (!strcmp(gov_files[i][0], gov)) {
                        char *dir;
                        assert_true(asprintf(&dir, CPU "cpufreq/%s", gov) > 0);
                        make_files(root, dir, gov_files[i][1]);
                        free(dir);
                }
}

/* governor = ondemand with ondemand's tunables: written after the switch, which makes them */
static void governor_tunables_after_switch(void **state)
{
        const char *root = *state;
        struct run_result r;

        cpufreq_tree(root, "performance");
        run_conf(&r, root, CMD_PLAN, 0, "[cpu]\nondemand.up_threshold = 90\nondemand.ignore_nice_load = yes\n"
                                        "governor = ondemand\n");
        want_in("plan", r.out, "set   cpu cpu0 governor: performance -> ondemand");
        want_in("plan", r.out, "set   cpu ondemand.up_threshold: ? -> 90 (read after the switch to ondemand");
        run_result_free(&r);

        run_status(&r, root, CMD_APPLY, 0);
        want_in("apply", r.out, "cpu ondemand.up_threshold: 95 -> 90");
        want_in("apply", r.out, "cpu ondemand.ignore_nice_load: 0 -> 1");
        want_value(root, CPU "cpufreq/policy0/scaling_governor", "ondemand");
        want_value(root, CPU "cpufreq/ondemand/up_threshold", "90");
        run_result_free(&r);

        run_status(&r, root, CMD_VERIFY, 0);
        want_in("verify", r.out, "ok    cpu ondemand.up_threshold: 90 -> 90");
        run_result_free(&r);

        run_status(&r, root, CMD_REVERT, 0);
        want_value(root, CPU "cpufreq/policy0/scaling_governor", "performance");
        run_result_free(&r);
}

/* the governor runs already: plain plan, apply, verify, revert */
static void governor_tunables_active(void **state)
{
        const char *root = *state;
        struct run_result r;

        cpufreq_tree(root, "ondemand");
        run_conf(&r, root, CMD_PLAN, 0, "[cpu]\nondemand.sampling_rate = 20000\nondemand.powersave_bias = 0\n");
        want_in("plan", r.out, "set   cpu ondemand.sampling_rate: 10000 -> 20000");
        want_in("plan", r.out, "ok    cpu ondemand.powersave_bias: 0 -> 0");
        run_result_free(&r);
        run_status(&r, root, CMD_APPLY, 0);
        want_value(root, CPU "cpufreq/ondemand/sampling_rate", "20000");
        run_result_free(&r);
        run_ok(root, CMD_VERIFY);
        run_status(&r, root, CMD_REVERT, 0);
        want_value(root, CPU "cpufreq/ondemand/sampling_rate", "10000");
        run_result_free(&r);
}

/* conservative's thresholds: the write order keeps up above down between the two writes */
static void governor_conservative_order(void **state)
{
        const char *root = *state;
        struct run_result r;

        cpufreq_tree(root, "conservative");
        /* lowering both: down first (up 15 is not above the old down 20) */
        run_conf(&r, root, CMD_APPLY, 0, "[cpu]\nconservative.up_threshold = 15\nconservative.down_threshold = 10\n");
        want_value(root, CPU "cpufreq/conservative/up_threshold", "15");
        want_value(root, CPU "cpufreq/conservative/down_threshold", "10");
        run_result_free(&r);

        /* raising both: up first (down 85 is not below the old up 15) */
        run_conf(&r, root, CMD_APPLY, 0, "[cpu]\nconservative.down_threshold = 85\nconservative.up_threshold = 95\n");
        want_value(root, CPU "cpufreq/conservative/up_threshold", "95");
        want_value(root, CPU "cpufreq/conservative/down_threshold", "85");
        run_result_free(&r);

        run_conf(&r, root, CMD_PLAN, 1, "[cpu]\nconservative.down_threshold = 50\nconservative.up_threshold = 50\n");
        want_in("stderr", r.err, SHOWN ":3: cpu conservative.up_threshold 50 is not above conservative.down_threshold "
                                 "50 (at " SHOWN ":2): the kernel refuses it");
        run_result_free(&r);
}

static void governor_tunable_errors(void **state)
{
        const char *root = *state;
        struct run_result r;

        cpufreq_tree(root, "ondemand");
        fault(CPU "cpufreq/ondemand/sampling_rate", EINVAL);
        run_conf(&r, root, CMD_APPLY, 1, "[cpu]\nconservative.freq_step = 10\nondemand.sampling_rate = 5\n"
                                         "ondemand.up_threshold = 80\n");
        want_in("stderr", r.err, SHOWN ":2: cpu conservative.freq_step: conservative is not the governor of any policy "
                                 "(ondemand on cpu0) and [cpu] governor does not make it one");
        want_in("stderr", r.err, SHOWN ":3: cpu ondemand.sampling_rate: cannot write '5': Invalid argument");
        want_value(root, CPU "cpufreq/ondemand/up_threshold", "80");
        run_result_free(&r);

        /* a switch that makes no tunables there: the setting fails at apply */
        n_faults = 0;
        gov_makes_nothing = true;
        run_conf(&r, root, CMD_APPLY, 1, "[cpu]\ngovernor = schedutil\nschedutil.rate_limit_us = 500\n");
        want_in("stderr", r.err, SHOWN ":3: cpu schedutil.rate_limit_us: no /" CPU "cpufreq/schedutil/rate_limit_us "
                                 "after the write it waited for");
        want_value(root, CPU "cpufreq/policy0/scaling_governor", "schedutil");
        run_result_free(&r);

        run_conf(&r, root, CMD_PLAN, 1, "[cpu]\nondemand.up_threshold = 101\nondemand.nosuch = 1\nnosuch.x = 1\n"
                                        "[cpu \"0\"]\nondemand.up_threshold = 90\n");
        want_in("stderr", r.err, SHOWN ":2: cpu ondemand.up_threshold: expected a number from 1 to 100, not '101'");
        want_in("stderr", r.err, SHOWN ":3: unknown key 'ondemand.nosuch' in [cpu] (ondemand's tunables: up_threshold, "
                                 "sampling_rate, sampling_down_factor, ignore_nice_load, powersave_bias, io_is_busy)");
        want_in("stderr", r.err, SHOWN ":4: unknown key 'nosuch.x' in [cpu]");
        want_in("stderr", r.err, SHOWN ":6: cpu ondemand.up_threshold: a system-wide knob, not per CPU");
        run_result_free(&r);

        /* no cpufreq at all: skipped, as the governor key is */
        rm_tree(root, CPU "cpufreq");
        rm_tree(root, CPU "cpu0/cpufreq");
        rm_tree(root, CPU "cpu1/cpufreq");
        run_conf(&r, root, CMD_APPLY, 0, "[cpu]\nondemand.up_threshold = 90\n");
        want_in("stderr", r.err, SHOWN ":2: cpu ondemand.up_threshold: skipped: no cpufreq on this system");
        run_result_free(&r);
}

/* ---- [cpu] mce.ignore_ce ---------------------------------------------------- */

/* two machine-check devices showing ignore_ce 0 */
static void mce_tree(const char *root)
{
        fr_write(root, MCE "machinecheck0/ignore_ce", "0\n");
        fr_write(root, MCE "machinecheck1/ignore_ce", "0\n");
}

static void mce_ignore_ce(void **state)
{
        const char *root = *state;
        struct run_result r;

        cpufreq_tree(root, "performance");
        mce_tree(root);
        run_conf(&r, root, CMD_PLAN, 0, "[cpu]\nmce.ignore_ce = yes\n");
        want_in("plan", r.out, "set   cpu mce.ignore_ce: 0 -> 1");
        run_result_free(&r);

        run_status(&r, root, CMD_APPLY, 0);
        want_in("apply", r.out, "cpu mce.ignore_ce: 0 -> 1");
        want_in("apply", r.out, "the kernel also changed /" MCE "machinecheck1/ignore_ce: 0 -> 1");
        want_value(root, MCE "machinecheck1/ignore_ce", "1");
        run_result_free(&r);

        run_ok(root, CMD_VERIFY);

        run_status(&r, root, CMD_REVERT, 0);
        want_value(root, MCE "machinecheck0/ignore_ce", "0");
        want_value(root, MCE "machinecheck1/ignore_ce", "0");
        run_result_free(&r);

        fault(MCE "machinecheck0/ignore_ce", EINVAL);
        run_status(&r, root, CMD_APPLY, 1);
        want_in("stderr", r.err, SHOWN ":2: cpu mce.ignore_ce: cannot write '1': Invalid argument");
        run_result_free(&r);

        run_conf(&r, root, CMD_PLAN, 1, "[cpu]\nmce.ignore_ce = 2\n[cpu \"1\"]\nmce.ignore_ce = 1\n");
        want_in("stderr", r.err, SHOWN ":2: cpu mce.ignore_ce: expected a boolean, not '2'");
        want_in("stderr", r.err, SHOWN ":4: cpu mce.ignore_ce: a system-wide knob, not per CPU");
        run_result_free(&r);

        /* no machine-check devices (not x86, mce=off): skipped with a notice */
        rm_tree(root, MCE);
        run_conf(&r, root, CMD_APPLY, 0, "[cpu]\nmce.ignore_ce = 1\n");
        want_in("stderr", r.err, SHOWN ":2: cpu mce.ignore_ce: skipped, no /sys/devices/system/machinecheck");
        run_result_free(&r);
}

/* rc.local's echo, sysfs.conf, and a shell loop over machinecheck* */
static void cpu_import(void **state)
{
        const char *root = *state;
        struct run_result r;

        cpufreq_tree(root, "ondemand");
        mce_tree(root);
        import_apply(root, "#!/bin/sh\necho 90 > /sys/devices/system/cpu/cpufreq/ondemand/up_threshold\n"
                           "for f in /sys/devices/system/machinecheck/machinecheck*/ignore_ce; do echo 1 > $f; done\n",
                     "devices/system/cpu/cpufreq/ondemand/ignore_nice_load = 1\n",
                     "[cpu]\nondemand.ignore_nice_load = 1\nondemand.up_threshold = 90\nmce.ignore_ce = 1\n");
        want_value(root, CPU "cpufreq/ondemand/up_threshold", "90");
        want_value(root, CPU "cpufreq/ondemand/ignore_nice_load", "1");
        want_value(root, MCE "machinecheck1/ignore_ce", "1");

        /* a value the kernel refused; one policy's tunables */
        fr_write(root, "etc/rc.local", "#!/bin/sh\necho 101 > /sys/devices/system/cpu/cpufreq/ondemand/up_threshold\n"
                                       "echo 90 > /sys/devices/system/cpu/cpufreq/policy0/ondemand/up_threshold\n"
                                       "echo 1 > /sys/devices/system/machinecheck/machinecheck0/ignore_ce\n");
        fr_write(root, "etc/sysfs.conf", "");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "rc.local:2: not carried: echo 101 > /sys/devices/system/cpu/cpufreq/ondemand/"
                                 "up_threshold: cpu ondemand.up_threshold '101': a value the kernel refuses");
        want_in("stderr", r.err, "rc.local:3: not carried: echo 90 > /sys/devices/system/cpu/cpufreq/policy0/ondemand/"
                                 "up_threshold: one policy's governor tunables");
        want_in("stderr", r.err, "rc.local:4: carried:");
        run_result_free(&r);

        /* TuneD's realtime profiles: [sysfs] over machinecheck*, a governor tunable */
        fr_write(root, "etc/rc.local", "#!/bin/sh\n");
        mce_tree(root);
        fr_write(root, "etc/tuned/active_profile", "rt\n");
        fr_write(root, "etc/tuned/rt/tuned.conf", "[sysfs]\n/sys/devices/system/machinecheck/machinecheck*/ignore_ce = 1\n"
                                                  "/sys/devices/system/cpu/cpufreq/ondemand/sampling_rate = 20000\n");
        import_apply(root, NULL, NULL, "[cpu]\nmce.ignore_ce = 1\nondemand.sampling_rate = 20000\n");
        want_value(root, MCE "machinecheck1/ignore_ce", "1");
        want_value(root, CPU "cpufreq/ondemand/sampling_rate", "20000");
}

/* ---- [hugepages] node.N / node.* ------------------------------------------ */

#define NODE "sys/devices/system/node/"
#define NODE0_2M NODE "node0/hugepages/hugepages-2048kB/nr_hugepages"
#define NODE1_2M NODE "node1/hugepages/hugepages-2048kB/nr_hugepages"

static void node_tree(const char *root)
{
        fr_write(root, NODE0_2M, "0\n");
        fr_write(root, NODE1_2M, "0\n");
        fr_write(root, NODE "node0/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
        fr_write(root, NODE "online", "0-1\n");
}

static void node_pools(void **state)
{
        const char *root = *state;
        struct run_result r;

        node_tree(root);
        run_conf(&r, root, CMD_PLAN, 0, "[hugepages]\nnode.0 = 64\nnode.1 = 32\n");
        want_in("plan", r.out, "set   hugepages 2M pages node0: 0 -> 64");
        want_in("plan", r.out, "set   hugepages 2M pages node1: 0 -> 32");
        run_result_free(&r);
        run_status(&r, root, CMD_APPLY, 0);
        want_value(root, NODE0_2M, "64");
        want_value(root, NODE1_2M, "32");
        run_result_free(&r);
        run_ok(root, CMD_VERIFY);
        run_status(&r, root, CMD_REVERT, 0);
        want_value(root, NODE0_2M, "0");
        want_value(root, NODE1_2M, "0");
        run_result_free(&r);

        /* node.* gives every node the count; node.N beside it wins for its node */
        run_conf(&r, root, CMD_APPLY, 0, "[hugepages \"2M\"]\nnode.* = 16\nnode.1 = 8\n");
        want_value(root, NODE0_2M, "16");
        want_value(root, NODE1_2M, "8");
        run_result_free(&r);
        run_ok(root, CMD_VERIFY);

        /* a node not configured keeps its pages */
        run_conf(&r, root, CMD_APPLY, 0, "[hugepages]\nnode.0 = 4\n");
        want_value(root, NODE0_2M, "4");
        want_value(root, NODE1_2M, "8");
        run_result_free(&r);
}

static void node_pool_errors(void **state)
{
        const char *root = *state;
        struct run_result r;

        node_tree(root);
        /* a short grant: an error that says what the kernel granted, the pool keeps it */
        node1_room = 10;
        run_conf(&r, root, CMD_APPLY, 1, "[hugepages]\nnode.0 = 16\nnode.1 = 32\n");
        want_in("stderr", r.err, SHOWN ":3: hugepages 2M pages node1: granted 10 of 32 pages");
        want_in("stderr", r.err, "compacting memory and retrying");
        want_value(root, NODE0_2M, "16");
        want_value(root, NODE1_2M, "10");
        run_result_free(&r);

        /* the reserve rail: about 15.6G MemTotal, 10% kept */
        run_conf(&r, root, CMD_APPLY, 1, "[hugepages]\nnode.* = 4000\n");
        want_in("stderr", r.err, SHOWN ":2: hugepages 2M: refused by the reserve rail: 8000 pages");
        want_value(root, NODE0_2M, "16");
        run_result_free(&r);
        node1_room = 100000;
        run_conf(&r, root, CMD_APPLY, 0, "[hugepages]\nnode.* = 4000\nforce = yes\n");
        want_value(root, NODE1_2M, "4000");
        run_result_free(&r);

        run_conf(&r, root, CMD_PLAN, 1, "[hugepages]\nnode.5 = 1\n[hugepages \"1G\"]\nnode.0 = 1\npages = 2\n"
                                        "[hugepages \"2M\"]\nnode.x = 1\nnode.1 = many\n");
        want_in("stderr", r.err, SHOWN ":2: hugepages 2M node.5: this system has no node 5 with 2M pages");
        want_in("stderr", r.err, SHOWN ":4: hugepages 1G: node.N gives the pool per node, which excludes pages, "
                                 "memory, nodes and at = cmdline (" SHOWN ":5)");
        want_in("stderr", r.err, SHOWN ":7: hugepages node.x: expected node.N");
        want_in("stderr", r.err, SHOWN ":8: hugepages node.1: expected node.N");
        run_result_free(&r);
}

/* a loop over node*, as the guides write it; the whole pool after it replaces it */
static void node_pool_import(void **state)
{
        const char *root = *state;
        struct run_result r;

        node_tree(root);
        import_apply(root, "#!/bin/sh\nfor f in /sys/devices/system/node/node*/hugepages/hugepages-2048kB/nr_hugepages; "
                           "do echo 16 > $f; done\n", NULL, "[hugepages]\nnode.* = 16\n");
        want_value(root, NODE0_2M, "16");
        want_value(root, NODE1_2M, "16");

        fr_write(root, "etc/rc.local", "#!/bin/sh\n"
                 "for f in /sys/devices/system/node/node*/hugepages/hugepages-1048576kB/nr_hugepages; do echo 1 > $f; done\n"
                 "echo 2 > /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        want_in("import", r.out, "# dropped: /etc/rc.local:3 sets the pool of all nodes after it");
        want_in("import", r.out, "[hugepages \"1G\"]");
        want_in("import", r.out, "\npages = 2\n");
        want_not_in("import", r.out, "\nnode.* = 1\n");
        run_result_free(&r);

        /* a TuneD [sysfs] glob over node* */
        fr_write(root, "etc/rc.local", "#!/bin/sh\n");
        fr_write(root, "etc/tuned/active_profile", "hp\n");
        fr_write(root, "etc/tuned/hp/tuned.conf",
                 "[sysfs]\n/sys/devices/system/node/node*/hugepages/hugepages-2048kB/nr_hugepages = 24\n");
        import_apply(root, NULL, NULL, "[hugepages]\nnode.* = 24\n");
        want_value(root, NODE1_2M, "24");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(iosched_plain, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(iosched_after_switch, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(iosched_absent, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(iosched_errors, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(iosched_import, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(khugepaged_keys, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(khugepaged_errors, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(khugepaged_import, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(governor_tunables_after_switch, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(governor_tunables_active, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(governor_conservative_order, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(governor_tunable_errors, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(mce_ignore_ce, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(cpu_import, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(node_pools, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(node_pool_errors, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(node_pool_import, setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
