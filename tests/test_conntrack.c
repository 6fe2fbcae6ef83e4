/* SPDX-License-Identifier: MIT */
/*
 * [conntrack] on a fake root: max, hashsize = auto sizing (from max, from a
 * [sysctl] max, from the live max), the load as a module option when
 * nf_conntrack is absent, load = no with /run/modprobe.d/kvmtune.conf, and
 * the conflict with a [sysctl] nf_conntrack_max.
 */
#include "want.h"

#define HS "sys/module/nf_conntrack/parameters/hashsize"
#define MAX "proc/sys/net/netfilter/nf_conntrack_max"

static void loaded(const char *root)
{
        fr_write(root, HS, "65536\n");
        fr_write(root, MAX, "262144\n");
        fr_write(root, "proc/sys/net/nf_conntrack_max", "262144\n");
}

static void test_auto_from_max(void **state)
{
        const char *root = *state;
        struct run_result r;

        loaded(root);
        fr_write(root, CONFD "50-c.conf", "[conntrack]\nmax = 1000000\nhashsize = auto\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   conntrack max: 262144 -> 1000000");
        want_in("stdout", r.out, "set   conntrack hashsize: 65536 -> 250000");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, MAX, "1000000");
        want_value(root, HS, "250000");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);
}

static void test_auto_other_max(void **state)
{
        const char *root = *state;
        struct run_result r;

        loaded(root);
        /* the live max */
        fr_write(root, CONFD "50-c.conf", "[conntrack]\nhashsize = auto\n");
        kv_run(&r, root, "plan", NULL);
        want_in("stdout", r.out, "ok    conntrack hashsize: 65536 -> 65536");
        run_result_free(&r);
        /* a max from [sysctl] */
        fr_write(root, CONFD "40-s.conf", "[sysctl]\nnet.netfilter.nf_conntrack_max = 400000\n");
        kv_run(&r, root, "plan", NULL);
        want_in("stdout", r.out, "conntrack hashsize: 65536 -> 100000");
        run_result_free(&r);
        /* explicit */
        fr_write(root, CONFD "60-c.conf", "[conntrack]\nhashsize = 12345\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, HS, "12345");
        run_result_free(&r);
}

static void test_load_option(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-c.conf", "[conntrack]\nmax = 1000000\nhashsize = auto\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   modules nf_conntrack: not loaded -> loaded");
        want_in("stdout", r.out, "options hashsize=250000");
        want_in("stdout", r.out, "conntrack hashsize: ? -> 250000 (module option when nf_conntrack is loaded)");
        want_in("stdout", r.out, "conntrack max: ? -> 1000000 (after loading nf_conntrack)");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "modules nf_conntrack: would load");
        assert_null(fr_read(root, HS));
        assert_null(fr_read(root, "run/modprobe.d/kvmtune.conf"));
        run_result_free(&r);
}

static void test_load_no(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *conf;

        fr_write(root, CONFD "50-c.conf", "[conntrack]\nload = no\nmax = 1000000\nhashsize = auto\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stderr", r.err, "nf_conntrack is not loaded and load = no");
        want_not_in("stdout", r.out, "modules nf_conntrack");
        conf = fr_read(root, "run/modprobe.d/kvmtune.conf");
        want_in("modprobe.d", conf, "\noptions nf_conntrack hashsize=250000\n");
        free(conf);
        assert_null(fr_read(root, MAX));
        run_result_free(&r);

        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "skip  conntrack max");
        want_in("stdout", r.out, "skip  conntrack hashsize");
        want_in("stdout", r.out, "ok    conntrack modprobe.d hashsize");
        run_result_free(&r);

        /* once loaded (by a firewall), load = no still sets the values */
        loaded(root);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, MAX, "1000000");
        want_value(root, HS, "250000");
        run_result_free(&r);
}

static void test_conflict_and_values(void **state)
{
        const char *root = *state;
        struct run_result r;

        loaded(root);
        fr_write(root, CONFD "50-c.conf", "[conntrack]\nmax = 1000000\n[sysctl]\nnet.netfilter.nf_conntrack_max = 5\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "neither is applied");
        want_value(root, MAX, "262144");
        run_result_free(&r);

        fr_write(root, CONFD "50-c.conf", "[conntrack]\nmax = 1000000\n[sysctl]\nnet.nf_conntrack_max = 5\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "neither is applied");
        want_value(root, MAX, "262144");
        run_result_free(&r);

        fr_write(root, CONFD "50-c.conf", "[conntrack]\nmax = lots\nhashsize = big\nload = maybe\nbuckets = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-c.conf:2: conntrack max: expected a number");
        want_in("stderr", r.err, "50-c.conf:3: conntrack hashsize: expected 'auto' or a number");
        want_in("stderr", r.err, "50-c.conf:4: conntrack load: expected yes or no");
        want_in("stderr", r.err, "50-c.conf:5: unknown key 'buckets' in [conntrack]");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_auto_from_max, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_auto_other_max, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_load_option, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_load_no, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_conflict_and_values, fr_setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
