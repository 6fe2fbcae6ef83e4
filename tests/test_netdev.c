/* SPDX-License-Identifier: MIT */
/* [netdev "GLOB ..."] on a fake root: txqueuelen planning, globs, absent interfaces, --device, names. */
#include "want.h"

static int setup(void **state)
{
        fr_setup(state);
        const char *root = *state;
        fr_write(root, "sys/devices/pci0000:00/0000:00:03.0/net/ens3/tx_queue_len", "1000\n");
        fr_symlink(root, "../../devices/pci0000:00/0000:00:03.0/net/ens3", "sys/class/net/ens3");
        return 0;
}

static void test_plan_apply(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf", "[netdev \"eth* ens*\"]\ntxqueuelen = 5000\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   netdev eth0 txqueuelen: 1000 -> 5000");
        want_in("stdout", r.out, "set   netdev ens3 txqueuelen: 1000 -> 5000");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "netdev eth0 txqueuelen: 1000 -> 5000");
        want_value(root, "sys/class/net/eth0/tx_queue_len", "5000");
        want_value(root, "sys/class/net/ens3/tx_queue_len", "5000");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);

        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    netdev eth0 txqueuelen: 5000 -> 5000");
        run_result_free(&r);
}

static void test_merge_and_absent(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf", "[netdev \"*\"]\ntxqueuelen = 2000\n[netdev \"eth9 vnet*\"]\ntxqueuelen = 1\n");
        fr_write(root, CONFD "60-n.conf", "[netdev \"ens3\"]\ntxqueuelen = 3000\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, "sys/class/net/eth0/tx_queue_len", "2000");
        want_value(root, "sys/class/net/ens3/tx_queue_len", "3000");
        assert_string_equal(r.err, "");
        run_result_free(&r);
}

static void test_device(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf", "[netdev \"*\"]\ntxqueuelen = 4000\n");
        kv_run(&r, root, "apply", "--only=netdev", "--device=ens3", NULL);
        want_status(&r, 0);
        want_value(root, "sys/class/net/ens3/tx_queue_len", "4000");
        want_value(root, "sys/class/net/eth0/tx_queue_len", "1000");
        run_result_free(&r);

        kv_run(&r, root, "apply", "--device=vnet0", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);
}

static void test_names(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf",
                 "[netdev \"0123456789abcdef\"]\ntxqueuelen = 1\n"   /* 1: 16 bytes */
                 "[netdev \"a/b\"]\ntxqueuelen = 1\n"                /* 3 */
                 "[netdev \"..\"]\ntxqueuelen = 1\n"                 /* 5 */
                 "[netdev \"eth0\"]\ntxqueuelen = -1\nmtu = 9000\n"  /* 7 */
                 "[netdev \"0123456789abcde\"]\ntxqueuelen = 1\n");  /* 10: 15 bytes, fine */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-n.conf:1: [netdev \"0123456789abcdef\"]: '0123456789abcdef' is longer than 15 bytes");
        want_in("stderr", r.err, "50-n.conf:3: [netdev \"a/b\"]: 'a/b' is not a device name or glob: it contains '/'");
        want_in("stderr", r.err, "50-n.conf:5: [netdev \"..\"]: '..' is not a device name");
        want_in("stderr", r.err, "50-n.conf:8: netdev txqueuelen: expected a number, not '-1'");
        want_in("stderr", r.err, "50-n.conf:9: unknown key 'mtu' in [netdev]");
        want_not_in("stderr", r.err, "50-n.conf:10");
        want_value(root, "sys/class/net/eth0/tx_queue_len", "1000");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plan_apply, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_merge_and_absent, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_device, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_names, setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
