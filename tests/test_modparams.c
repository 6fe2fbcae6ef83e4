/* SPDX-License-Identifier: MIT */
/*
 * [module "NAME"] options on a fake root: the /run/modprobe.d file for loads
 * to come, a loaded module's writable parameters written (booleans compared
 * as the kernel shows them, Y/N), a read-only one left pending with a
 * notice, an unknown one an error, the options passed to kvmtune's own
 * load, and a parameter [conntrack] also sets refused as a conflict.
 */
#include "want.h"

#include <sys/stat.h>

#include "kvmtune.h"

#define CONF CONFD "50-m.conf"
#define FILE_REL "run/modprobe.d/kvmtune.conf"
#define P(m, k) "sys/module/" m "/parameters/" k

static void test_not_loaded(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[module \"kvm\"]\noptions = nx_huge_pages=0 kvmclock_periodic_sync=0\n"
                             "[module \"kvm-intel\"]\noptions = ple_gap=0\n"
                             "[module \"kvm\"]\noptions = nx_huge_pages=1\n");     /* a later KEY replaces */
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   module /run/modprobe.d/kvmtune.conf: (none) -> options kvm nx_huge_pages=1 "
                                 "kvmclock_periodic_sync=0; options kvm-intel ple_gap=0");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        char *text = fr_read(root, FILE_REL);
        assert_non_null(text);
        want_in(FILE_REL, text, "\noptions kvm nx_huge_pages=1 kvmclock_periodic_sync=0\noptions kvm-intel ple_gap=0\n");
        free(text);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "->");
        run_result_free(&r);

        /* other content: rewritten whole */
        fr_write(root, FILE_REL, "options kvm nx_huge_pages=0\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "set   module /run/modprobe.d/kvmtune.conf: (other content) ->");
        run_result_free(&r);
}

static void test_loaded(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *ro;

        fr_write(root, P("kvm", "halt_poll_ns"), "200000\n");
        fr_write(root, P("kvm", "nx_huge_pages"), "N\n");
        fr_write(root, P("kvm", "kvmclock_periodic_sync"), "Y\n");
        assert_true(asprintf(&ro, "%s/" P("kvm", "kvmclock_periodic_sync"), root) > 0);
        assert_int_equal(chmod(ro, 0444), 0);
        free(ro);
        fr_write(root, CONF, "[module \"kvm\"]\noptions = halt_poll_ns=0 nx_huge_pages=off kvmclock_periodic_sync=0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, P("kvm", "halt_poll_ns"), "0");
        want_value(root, P("kvm", "nx_huge_pages"), "N");               /* off is N: nothing written */
        want_value(root, P("kvm", "kvmclock_periodic_sync"), "Y");      /* read-only: left */
        want_in("stdout", r.out, "module kvm halt_poll_ns: 200000 -> 0");
        want_in("stdout", r.out, "kvm kvmclock_periodic_sync: Y -> 0 not written: read-only while loaded: "
                                 "takes effect when the module is loaded again");
        want_not_in("stdout", r.out, "module kvm nx_huge_pages");
        run_result_free(&r);
        /* pending until the module is loaded again */
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "set   module kvm kvmclock_periodic_sync: Y -> 0 (read-only while loaded");
        want_in("stdout", r.out, "ok    module kvm halt_poll_ns: 0 -> 0");
        run_result_free(&r);

        /* a parameter the loaded module does not have */
        fr_write(root, CONF, "[module \"kvm\"]\noptions = no_such=1\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-m.conf:2: module kvm no_such: module kvm is loaded and has no parameter no_such");
        run_result_free(&r);
}

static void test_parse_errors(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[module \"kvm\"]\n"
                             "options = nx_huge_pages\n"          /* 2 */
                             "options = a=\"b c\"\n"              /* 3 */
                             "options = =1\n"                     /* 4 */
                             "opts = a=1\n"                       /* 5 */
                             "[module \"../x\"]\noptions = a=1\n" /* 6 */
                             "[module]\noptions = a=1\n");        /* 8 */
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-m.conf:2: module kvm options: expected KEY=VALUE words, not 'nx_huge_pages'");
        want_in("stderr", r.err, "50-m.conf:3: module kvm options: expected KEY=VALUE words");
        want_in("stderr", r.err, "50-m.conf:4: module kvm options: expected KEY=VALUE words, not '=1'");
        want_in("stderr", r.err, "50-m.conf:5: unknown key 'opts' in [module \"kvm\"]");
        want_in("stderr", r.err, "50-m.conf:6: [module \"../x\"]: invalid module name");
        want_in("stderr", r.err, "50-m.conf:8: section [module] needs a name");
        run_result_free(&r);
}

static void test_conflict_and_load(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* hashsize belongs to [conntrack]: set in both, neither is applied */
        fr_write(root, P("nf_conntrack", "hashsize"), "65536\n");
        fr_write(root, "proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
        fr_write(root, CONF, "[module \"nf_conntrack\"]\noptions = hashsize=131072\n[conntrack]\nhashsize = 262144\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/sys/module/nf_conntrack/parameters/hashsize is set both here");
        run_result_free(&r);

        /* kvmtune's own load takes the section's options */
        fr_write(root, CONF, "[modules]\nload = tcp_htcp\n[module \"tcp_htcp\"]\noptions = use_bandwidth_switch=1\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "modules tcp_htcp: not loaded -> loaded");
        want_in("stdout", r.out, "options use_bandwidth_switch=1");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_not_loaded, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_loaded, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_parse_errors, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_conflict_and_load, fr_setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
