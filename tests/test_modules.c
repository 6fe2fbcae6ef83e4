/* SPDX-License-Identifier: MIT */
/*
 * [modules] and the [sysctl] auto-load rules on a fake root without a
 * module tree (loads are reported, not checked), the module-name derivation
 * of every rule, libkmod never loaded by runs that need no module, and the
 * ELF .note.dlopen that declares it.  tests/test_kmod.c resolves against a
 * real Debian module tree.
 */
#include "want.h"

#include "kvmtune.h"

#include <sys/wait.h>
#include <unistd.h>

static void test_derivation(void **state)
{
        char buf[64];

        (void)state;
        assert_string_equal(sysctl_module_for("net/netfilter/nf_conntrack_max", "1", buf, sizeof(buf)), "nf_conntrack");
        assert_string_equal(sysctl_module_for("net/netfilter/nf_conntrack_tcp_timeout_established", "600", buf, sizeof(buf)),
                            "nf_conntrack");
        assert_string_equal(sysctl_module_for("net/netfilter/nf_conntrack_*", "1", buf, sizeof(buf)), "nf_conntrack");
        assert_string_equal(sysctl_module_for("net/nf_conntrack_max", "1", buf, sizeof(buf)), "nf_conntrack");
        assert_string_equal(sysctl_module_for("net/bridge/bridge-nf-call-iptables", "0", buf, sizeof(buf)), "br_netfilter");
        assert_string_equal(sysctl_module_for("net/bridge/*", "0", buf, sizeof(buf)), "br_netfilter");
        assert_string_equal(sysctl_module_for("net/ipv4/tcp_congestion_control", "htcp", buf, sizeof(buf)), "tcp_htcp");
        assert_string_equal(sysctl_module_for("net/ipv4/tcp_congestion_control", "bbr", buf, sizeof(buf)), "tcp_bbr");
        assert_string_equal(sysctl_module_for("net/ipv4/tcp_congestion_control", " bbr ", buf, sizeof(buf)), "tcp_bbr");
        /* not a module name: no load, the write fails by itself */
        assert_null(sysctl_module_for("net/ipv4/tcp_congestion_control", "b/../x", buf, sizeof(buf)));
        assert_null(sysctl_module_for("net/ipv4/tcp_congestion_control", "a b", buf, sizeof(buf)));
        assert_null(sysctl_module_for("net/ipv4/tcp_congestion_control", "", buf, sizeof(buf)));
        /* unrelated keys */
        assert_null(sysctl_module_for("net/netfilter/nf_log_all_netns", "1", buf, sizeof(buf)));
        assert_null(sysctl_module_for("net/ipv4/tcp_fin_timeout", "30", buf, sizeof(buf)));
        assert_null(sysctl_module_for("net/ipv4/tcp_available_congestion_control", "htcp", buf, sizeof(buf)));
        assert_null(sysctl_module_for("net/bridgeX", "1", buf, sizeof(buf)));

        assert_true(module_name_valid("tcp_htcp"));
        assert_true(module_name_valid("fs-xfs"));
        assert_false(module_name_valid(""));
        assert_false(module_name_valid("../x"));
        assert_false(module_name_valid("a b"));
        assert_false(module_name_valid("a.ko"));
}

static void test_names(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-m.conf",
                 "[modules]\n"
                 "load = tcp_htcp, tcp_bbr\n"       /* 2: comma and space */
                 "load = ../../evil\n"              /* 3 */
                 "load = a.ko\n"                    /* 4 */
                 "load =\n"                         /* 5 */
                 "unload = x\n"                     /* 6 */
                 "load = br_netfilter\n");          /* 7: repeated lines add */
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-m.conf:3: invalid module name '../../evil'");
        want_in("stderr", r.err, "50-m.conf:4: invalid module name 'a.ko'");
        want_in("stderr", r.err, "50-m.conf:5:");
        want_in("stderr", r.err, "50-m.conf:6: unknown key 'unload'");
        want_in("stdout", r.out, "modules tcp_htcp: not loaded -> loaded");
        want_in("stdout", r.out, "modules tcp_bbr: not loaded -> loaded");
        want_in("stdout", r.out, "modules br_netfilter: not loaded -> loaded");
        want_not_in("stdout", r.out, "evil");
        run_result_free(&r);
}

static void test_root_reports(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_mkdir(root, "sys/module/tcp_bbr");
        fr_write(root, CONFD "50-m.conf", "[modules]\nload = tcp_htcp tcp-bbr\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        /* no module tree under the root: reported, not an error */
        want_in("stdout", r.out, "set   modules tcp_htcp: not loaded -> loaded (not checked");
        /* /sys/module/NAME counts as loaded, '-' spelled '_' */
        want_in("stdout", r.out, "ok    modules tcp-bbr: loaded -> loaded");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "modules tcp_htcp: would load");
        want_in("stdout", r.out, "not done under --root");
        run_result_free(&r);

        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
}

static void test_autoload_cc(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* available: reno cubic.  cubic needs nothing */
        fr_write(root, CONFD "50-cc.conf", "[sysctl]\nnet.ipv4.tcp_congestion_control = cubic\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "modules");
        run_result_free(&r);

        /* a later file's value decides which module */
        fr_write(root, CONFD "40-cc.conf", "[sysctl]\nnet.ipv4.tcp_congestion_control = bbr\n");
        fr_write(root, CONFD "50-cc.conf", "[sysctl]\nnet.ipv4.tcp_congestion_control = htcp\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   modules tcp_htcp: not loaded -> loaded");
        want_in("stdout", r.out, "for sysctl net.ipv4.tcp_congestion_control");
        want_not_in("stdout", r.out, "tcp_bbr");
        want_in("stdout", r.out, "set   sysctl net.ipv4.tcp_congestion_control: cubic -> htcp (after loading tcp_htcp)");
        run_result_free(&r);

        /* under --root nothing is loaded, so the sysctl waits (not an error) */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, "proc/sys/net/ipv4/tcp_congestion_control", "cubic");
        run_result_free(&r);

        /* once the algorithm is available, no load */
        fr_write(root, "proc/sys/net/ipv4/tcp_available_congestion_control", "reno cubic htcp\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "modules");
        want_in("stdout", r.out, "sysctl net.ipv4.tcp_congestion_control: cubic -> htcp");
        want_value(root, "proc/sys/net/ipv4/tcp_congestion_control", "htcp");
        run_result_free(&r);
}

static void test_autoload_keys(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-nf.conf",
                 "[sysctl]\n"
                 "net.netfilter.nf_conntrack_tcp_timeout_established = 600\n"
                 "net.nf_conntrack_max = 1000\n"
                 "net.bridge.bridge-nf-call-iptables = 0\n"
                 "-net.bridge.bridge-nf-call-arptables = 0\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        /* one load per module, whatever asked */
        assert_int_equal(count_lines(r.out, "modules nf_conntrack:"), 1);
        assert_int_equal(count_lines(r.out, "modules br_netfilter:"), 1);
        want_in("stdout", r.out, "set   sysctl net.netfilter.nf_conntrack_tcp_timeout_established: ? -> 600 (after loading nf_conntrack)");
        want_in("stdout", r.out, "set   sysctl net.nf_conntrack_max: ? -> 1000 (after loading nf_conntrack)");
        want_in("stdout", r.out, "set   sysctl net.bridge.bridge-nf-call-iptables: ? -> 0 (after loading br_netfilter)");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "modules nf_conntrack: would load");
        want_in("stdout", r.out, "modules br_netfilter: would load");
        run_result_free(&r);

        /* what the module provides is there: no load */
        fr_write(root, "proc/sys/net/bridge/bridge-nf-call-iptables", "1\n");
        fr_write(root, "proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
        fr_write(root, "proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established", "432000\n");
        fr_write(root, "proc/sys/net/nf_conntrack_max", "262144\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "modules");
        want_value(root, "proc/sys/net/bridge/bridge-nf-call-iptables", "0");
        want_value(root, "proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established", "600");
        run_result_free(&r);
}

/* [conntrack] load = no keeps sysctl keys from loading nf_conntrack too */
static void test_load_no_vetoes(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-nf.conf",
                 "[sysctl]\nnet.netfilter.nf_conntrack_tcp_timeout_established = 600\n"
                 "[conntrack]\nload = no\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "modules nf_conntrack");
        run_result_free(&r);
        kv_run(&r, root, "plan", NULL);
        want_in("stdout", r.out, "skip  sysctl net.netfilter.nf_conntrack_tcp_timeout_established");
        run_result_free(&r);

        /* an explicit [modules] load still loads it */
        fr_write(root, CONFD "60-m.conf", "[modules]\nload = nf_conntrack\n");
        kv_run(&r, root, "plan", NULL);
        want_in("stdout", r.out, "set   modules nf_conntrack");
        want_in("stdout", r.out, "(after loading nf_conntrack)");
        run_result_free(&r);
}

/* LD_DEBUG=libs shows every library the dynamic loader opens */
static bool run_loads_libkmod(const char *root, const char *cmd)
{
        struct run_result r;
        bool loaded;

        setenv("LD_DEBUG", "libs", 1);
        kv_run(&r, root, cmd, NULL);
        unsetenv("LD_DEBUG");
        loaded = contains(r.err, "libkmod.so.2");
        run_result_free(&r);
        return loaded;
}

static void test_libkmod_lazy(void **state)
{
        const char *root = *state;
        char *tree;

        /* sysctl only, a congestion control that is available: no libkmod */
        fr_write(root, CONFD "50-s.conf",
                 "[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\nnet.ipv4.tcp_congestion_control = reno\n"
                 "[netdev \"eth*\"]\ntxqueuelen = 2000\n[block \"vd*\"]\nscheduler = none\n");
        assert_false(run_loads_libkmod(root, "apply"));
        /* the udev path */
        {
                struct run_result r;
                setenv("LD_DEBUG", "libs", 1);
                kv_run(&r, root, "apply", "--only=netdev", "--device=eth0", NULL);
                unsetenv("LD_DEBUG");
                want_not_in("stderr", r.err, "libkmod");
                want_not_in("stderr", r.err, "libmount");
                run_result_free(&r);
        }
        /* a module to load, and a module tree to read: now it is loaded */
        assert_true(asprintf(&tree, "lib/modules/%s", "9.9.9-test") > 0);
        fr_write(root, "proc/sys/kernel/osrelease", "9.9.9-test\n");
        fr_mkdir(root, tree);
        free(tree);
        fr_write(root, CONFD "60-m.conf", "[modules]\nload = tcp_htcp\n");
        assert_true(run_loads_libkmod(root, "plan"));
}

static void test_dlopen_note(void **state)
{
        const char *bin = getenv("KVMTUNE") ? getenv("KVMTUNE") : "./kvmtune";
        char *cmd, *out = NULL;
        size_t len = 0;
        FILE *p, *m;
        int c;

        (void)state;
        assert_true(asprintf(&cmd, "readelf -W -n -p .note.dlopen '%s' 2>&1; readelf -W -d '%s' 2>&1", bin, bin) > 0);
        p = popen(cmd, "r");
        free(cmd);
        if (!p)
                skip();
        m = open_memstream(&out, &len);
        while ((c = fgetc(p)) != EOF)
                fputc(c, m);
        fclose(m);
        if (pclose(p) != 0 && !contains(out, "Displaying notes")) {
                free(out);
                skip();
        }
        want_in("readelf", out, "FDO");
        want_in("readelf", out, "0x407c0c0a");
        want_in("readelf", out, "\"feature\":\"kmod\"");
        want_in("readelf", out, "\"soname\":[\"libkmod.so.2\"]");
        want_in("readelf", out, "\"priority\":\"recommended\"");
        /* not linked: dlopen()ed */
        want_not_in("readelf", out, "NEEDED)             Shared library: [libkmod");
        free(out);
}

/*
 * initstate: a module counts as loaded only when "live" (or built in: no
 * initstate); "coming" is waited for (another process is loading it), "going"
 * is not loaded, an unreadable initstate is an error naming the file.
 */
static void test_initstate(void **state)
{
        const char *root = *state;
        struct run_result r;
        pid_t child;

        fr_mkdir(root, "sys/module/tcp_bbr");           /* built in */
        fr_mkdir(root, "sys/module/tcp_htcp");
        fr_write(root, "sys/module/tcp_htcp/initstate", "going\n");
        fr_mkdir(root, "sys/module/tcp_vegas");
        fr_write(root, "sys/module/tcp_vegas/initstate", "live\n");
        fr_write(root, CONFD "50-m.conf", "[modules]\nload = tcp_bbr tcp_htcp tcp_vegas\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    modules tcp_bbr: loaded -> loaded");
        want_in("stdout", r.out, "set   modules tcp_htcp: not loaded -> loaded");
        want_in("stdout", r.out, "ok    modules tcp_vegas: loaded -> loaded");
        run_result_free(&r);

        /* coming, turning live while kvmtune waits: loaded, nothing to do */
        fr_write(root, "sys/module/tcp_htcp/initstate", "coming\n");
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                /* as the kernel does: the file never reads empty (write aside, rename) */
                char *from = xasprintf("%s/sys/module/tcp_htcp/initstate.new", root);
                char *to = xasprintf("%s/sys/module/tcp_htcp/initstate", root);

                usleep(300 * 1000);
                fr_write(root, "sys/module/tcp_htcp/initstate.new", "live\n");
                int moved = rename(from, to);

                free(from);     /* under make valgrind the child's leaks count too */
                free(to);
                _exit(moved == 0 ? 0 : 1);
        }
        int st;

        kv_run(&r, root, "plan", NULL);
        assert_int_equal(waitpid(child, &st, 0), child);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    modules tcp_htcp: loaded -> loaded");
        run_result_free(&r);

        /* an initstate that cannot be read is an error, never "loaded" */
        fr_write(root, CONFD "50-m.conf", "[modules]\nload = tcp_htcp\n");
        char *path = xasprintf("%s/sys/module/tcp_htcp/initstate", root);
        assert_int_equal(unlink(path), 0);
        free(path);
        fr_mkdir(root, "sys/module/tcp_htcp/initstate");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "error modules tcp_htcp");
        want_in("stdout", r.out, "cannot read /sys/module/tcp_htcp/initstate");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_derivation),
                cmocka_unit_test_setup_teardown(test_names, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_root_reports, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_autoload_cc, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_autoload_keys, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_load_no_vetoes, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_libkmod_lazy, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_initstate, fr_setup, fr_teardown),
                cmocka_unit_test(test_dlopen_note),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
