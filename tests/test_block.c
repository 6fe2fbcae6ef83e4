/* SPDX-License-Identifier: MIT */
/*
 * [block "GLOB ..."] on a fake root: scheduler fallback and legacy names,
 * the bracketed current scheduler, what verify counts as met, the
 * rotational filter, literal versus glob for absent devices and for a
 * zram-like device without a scheduler file, the per device and key merge,
 * --device, and subsection name checks.  fr_standard has vda (non-rotational,
 * "[none] mq-deadline kyber bfq") and zram0 (no scheduler file).
 */
#include "want.h"

#include <unistd.h>

#define SDA "sys/devices/pci0000:00/0000:00:05.0/host0/target0:0:0/0:0:0:0/block/sda"

static int setup(void **state)
{
        fr_setup(state);
        const char *root = *state;
        fr_write(root, SDA "/queue/scheduler", "none [mq-deadline] kyber\n");
        fr_write(root, SDA "/queue/rotational", "1\n");
        fr_write(root, SDA "/queue/read_ahead_kb", "128\n");
        fr_write(root, SDA "/queue/nr_requests", "64\n");
        fr_symlink(root, "../devices/pci0000:00/0000:00:05.0/host0/target0:0:0/0:0:0:0/block/sda", "sys/block/sda");
        return 0;
}

static void test_legacy_names(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-b.conf", "[block \"vd*\"]\nscheduler = deadline\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stderr", r.err, "50-b.conf:2: block scheduler: 'deadline' is the legacy name of 'mq-deadline'");
        want_in("stdout", r.out, "set   block vda scheduler: none -> mq-deadline");
        run_result_free(&r);

        fr_write(root, CONFD "50-b.conf", "[block \"vd*\"]\nscheduler = cfq noop\n");
        kv_run(&r, root, "plan", NULL);
        want_in("stderr", r.err, "'cfq' is the legacy name of 'bfq'");
        want_in("stderr", r.err, "'noop' is the legacy name of 'none'");
        want_in("stdout", r.out, "block vda scheduler: none -> bfq none");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "block vda scheduler: none -> bfq");
        want_value(root, "sys/block/vda/queue/scheduler", "bfq");
        run_result_free(&r);

        fr_write(root, CONFD "50-b.conf", "[block \"vd*\"]\nscheduler = Deadline\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-b.conf:2: block scheduler: invalid name 'Deadline'");
        run_result_free(&r);
}

/* met when the current scheduler is the first wanted one the device offers */
static void test_fallback_and_verify(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* sda offers no bfq: mq-deadline, current, is the first on offer */
        fr_write(root, CONFD "50-b.conf", "[block \"sda\"]\nscheduler = bfq mq-deadline none\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    block sda scheduler: mq-deadline -> bfq mq-deadline none");
        run_result_free(&r);

        /* now it offers bfq: verify wants it */
        fr_write(root, SDA "/queue/scheduler", "none [mq-deadline] kyber bfq\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "set   block sda scheduler: mq-deadline -> bfq mq-deadline none");
        run_result_free(&r);

        /* without module support a name not listed cannot appear: not tried */
        fr_write(root, CONFD "50-b.conf", "[block \"vda\"]\nscheduler = kyber-x mq-deadline\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "block vda scheduler: none -> mq-deadline");
        want_value(root, "sys/block/vda/queue/scheduler", "mq-deadline");
        run_result_free(&r);
        fr_write(root, "sys/block/vda/queue/scheduler", "[none] mq-deadline\n");

        /* with modules, a name not listed yet is still tried first (loaded on demand) */
        fr_write(root, "proc/modules", "");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   block vda scheduler: none -> kyber-x mq-deadline "
                "(kyber-x is not offered yet: apply tries it (the kernel loads it on demand))");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "block vda scheduler: none -> kyber-x");
        want_value(root, "sys/block/vda/queue/scheduler", "kyber-x");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);

        /* the current one is the first on offer (and no modules): nothing is written */
        char *modules;
        assert_true(asprintf(&modules, "%s/proc/modules", root) > 0);
        assert_int_equal(unlink(modules), 0);
        free(modules);
        fr_write(root, "sys/block/vda/queue/scheduler", "[none] mq-deadline\n");
        fr_write(root, CONFD "50-b.conf", "[block \"vda\"]\nscheduler = kyber-x none mq-deadline\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        want_value(root, "sys/block/vda/queue/scheduler", "[none] mq-deadline");
        run_result_free(&r);
}

/*
 * The current scheduler is the first wanted one on offer, but an earlier
 * wanted one is not listed yet: verify counts it met, apply still tries the
 * earlier one (the kernel would load its module).
 */
static void test_untried_better_name(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "proc/modules", "");
        fr_write(root, "sys/block/vda/queue/scheduler", "[mq-deadline] none\n");
        fr_write(root, CONFD "50-b.conf", "[block \"vda\"]\nscheduler = bfq mq-deadline\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   block vda scheduler: mq-deadline -> bfq mq-deadline (bfq is not offered yet");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "block vda scheduler: mq-deadline -> bfq");
        want_value(root, "sys/block/vda/queue/scheduler", "bfq");
        run_result_free(&r);
}

static void test_brackets(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, SDA "/queue/scheduler", "none mq-deadline [kyber] bfq\n");
        fr_write(root, CONFD "50-b.conf", "[block \"sda\"]\nscheduler = kyber\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "sda");
        want_value(root, SDA "/queue/scheduler", "none mq-deadline [kyber] bfq");
        run_result_free(&r);
}

static void test_rotational(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-b.conf",
                 "[block \"sd* vd* zram*\"]\nmatch-rotational = yes\nscheduler = mq-deadline\nread_ahead_kb = 4096\n"
                 "[block \"sd* vd* zram*\"]\nmatch-rotational = no\nscheduler = none\n");
        /* vda's rotational file missing counts as non-rotational */
        {
                char *p;
                assert_true(asprintf(&p, "%s/sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/rotational", root) > 0);
                unlink(p);
                free(p);
        }
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, SDA "/queue/read_ahead_kb", "4096");
        want_value(root, SDA "/queue/scheduler", "none [mq-deadline] kyber");
        want_value(root, "sys/block/vda/queue/read_ahead_kb", "128");
        want_value(root, "sys/block/vda/queue/scheduler", "[none] mq-deadline kyber bfq");
        want_not_in("stdout", r.out, "sda scheduler");
        run_result_free(&r);

        kv_run(&r, root, "plan", NULL);
        want_in("stdout", r.out, "ok    block sda scheduler: mq-deadline -> mq-deadline");
        want_in("stdout", r.out, "ok    block vda scheduler: none -> none");
        want_not_in("stdout", r.out, "zram0 scheduler");
        run_result_free(&r);
}

static void test_absent_and_no_scheduler(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* absent disks, by name or glob: not an error */
        fr_write(root, CONFD "50-b.conf", "[block \"sdz nvme*\"]\nscheduler = none\nread_ahead_kb = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stderr", r.err, "");
        assert_string_equal(r.out, "");
        run_result_free(&r);

        /* zram0 has no scheduler file: quiet by glob, its other keys apply */
        fr_write(root, CONFD "50-b.conf", "[block \"zram*\"]\nscheduler = none\nread_ahead_kb = 512\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.err, "");
        want_value(root, "sys/block/zram0/queue/read_ahead_kb", "512");
        run_result_free(&r);

        /* named literally: an error naming it, the rest still applied */
        fr_write(root, CONFD "50-b.conf", "[block \"zram0\"]\nscheduler = none\nread_ahead_kb = 256\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-b.conf:2: block zram0 scheduler: zram0 has no I/O scheduler");
        want_value(root, "sys/block/zram0/queue/read_ahead_kb", "256");
        run_result_free(&r);

        /* nr_requests missing on a glob-matched device: quiet */
        fr_write(root, CONFD "50-b.conf", "[block \"zram*\"]\nnr_requests = 32\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
}

static void test_merge(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-b.conf",
                 "[block \"*\"]\nscheduler = mq-deadline\nread_ahead_kb = 1024\nnr_requests = 128\n"
                 "[block \"vda\"]\nscheduler = kyber\n");
        fr_write(root, CONFD "60-b.conf", "[block \"v*\"]\nread_ahead_kb = 2048\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, "sys/block/vda/queue/scheduler", "kyber");
        want_value(root, "sys/block/vda/queue/read_ahead_kb", "2048");
        want_value(root, "sys/block/vda/queue/nr_requests", "128");
        want_value(root, SDA "/queue/read_ahead_kb", "1024");
        want_value(root, SDA "/queue/scheduler", "none [mq-deadline] kyber");
        run_result_free(&r);

        /* idempotent */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);
}

static void test_device(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-b.conf", "[block \"*\"]\nread_ahead_kb = 999\n[sysctl]\nvm.swappiness = 1\n");
        kv_run(&r, root, "apply", "--only=block", "--device=sda", NULL);
        want_status(&r, 0);
        want_value(root, SDA "/queue/read_ahead_kb", "999");
        want_value(root, "sys/block/vda/queue/read_ahead_kb", "128");
        want_value(root, "proc/sys/vm/swappiness", "60");
        run_result_free(&r);

        /* a partition, or a disk not there: nothing to do */
        kv_run(&r, root, "apply", "--device=sda1", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);
}

static void test_subsection_names(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-b.conf",
                 "[block \"../sda\"]\nread_ahead_kb = 1\n"      /* 1 */
                 "[block \"sd* ..\"]\nread_ahead_kb = 1\n"      /* 3 */
                 "[block \".\"]\nread_ahead_kb = 1\n"           /* 5 */
                 "[block \"\"]\nread_ahead_kb = 1\n"            /* 7 */
                 "[block]\nread_ahead_kb = 1\n"                 /* 9 */
                 "[block \"vda\"]\nread_ahead_kb = x\nfoo = 1\n" /* 11 */
                 "[block \"vda\"]\nread_ahead_kb = 64\n");      /* 14 */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-b.conf:1: [block \"../sda\"]: '../sda' is not a device name or glob: it contains '/'");
        want_in("stderr", r.err, "50-b.conf:3: [block \"sd* ..\"]: '..' is not a device name");
        want_in("stderr", r.err, "50-b.conf:5:");
        want_in("stderr", r.err, "50-b.conf:7:");
        want_in("stderr", r.err, "50-b.conf:9:");
        want_in("stderr", r.err, "50-b.conf:12: block read_ahead_kb: expected a number");
        want_in("stderr", r.err, "50-b.conf:13: unknown key 'foo' in [block]");
        want_value(root, "sys/block/vda/queue/read_ahead_kb", "64");
        want_value(root, SDA "/queue/read_ahead_kb", "128");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_legacy_names, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_fallback_and_verify, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_untried_better_name, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_brackets, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_rotational, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_absent_and_no_scheduler, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_merge, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_device, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_subsection_names, setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
