/* SPDX-License-Identifier: MIT */
/*
 * libkmod against a real module tree: Debian's current amd64 kernel image,
 * fetched and unpacked by tests/kernel-tree (apt-get download, dpkg-deb -x,
 * depmod).  Under --root, kvmtune resolves modules there and reports what a
 * load would insert: names, aliases, dependencies, built-in modules from
 * modules.builtin, blacklists from the root's modprobe.d, unknown names.
 * Insertion itself is proven by the qemu boot test.
 */
#include "want.h"

#include <dirent.h>
#include <unistd.h>

static char *tree;      /* the unpacked root, from tests/kernel-tree */
static char *release;

static int fetch_tree(void)
{
        FILE *p = popen("tests/kernel-tree", "r");
        char line[4096] = "", *nl;
        int st;

        if (!p)
                return -1;
        while (fgets(line, sizeof(line), p))
                if (!strncmp(line, "SKIP", 4)) {
                        printf("%s", line);
                        pclose(p);
                        return 77;
                }
                else if (line[0] == '/')
                        tree = strdup(line);
        st = pclose(p);
        if (!tree || st != 0)
                return WEXITSTATUS(st) == 77 ? 77 : -1;
        if ((nl = strchr(tree, '\n')))
                *nl = '\0';
        return 0;
}

/* a fake root whose lib/modules/RELEASE links to the unpacked tree's files */
static int setup(void **state)
{
        char *root = fr_new(), *dir, *rel;
        struct dirent *de;
        DIR *d;

        fr_standard(root);
        fr_writef(root, "proc/sys/kernel/osrelease", "%s\n", release);
        assert_true(asprintf(&rel, "lib/modules/%s", release) > 0);
        fr_mkdir(root, rel);
        assert_true(asprintf(&dir, "%s/lib/modules/%s", tree, release) > 0);
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char *target, *link;
                if (de->d_name[0] == '.')
                        continue;
                assert_true(asprintf(&target, "%s/%s", dir, de->d_name) > 0);
                assert_true(asprintf(&link, "%s/%s", rel, de->d_name) > 0);
                fr_symlink(root, target, link);
                free(target);
                free(link);
        }
        closedir(d);
        free(dir);
        free(rel);
        *state = root;
        return 0;
}

static void test_resolve(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-m.conf",
                 "[modules]\n"
                 "load = tcp_htcp\n"
                 "load = nf_conntrack\n"
                 "load = fs-xfs\n"              /* an alias */
                 "load = tcp_cubic\n");         /* built in (modules.builtin) */
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   modules tcp_htcp: not loaded -> loaded (inserts tcp_htcp)");
        /* dependencies from modules.dep */
        want_in("stdout", r.out, "set   modules nf_conntrack: not loaded -> loaded (inserts ");
        want_in("stdout", r.out, "nf_defrag_ipv4");
        want_in("stdout", r.out, "nf_defrag_ipv6");
        want_in("stdout", r.out, "libcrc32c");
        want_in("stdout", r.out, " nf_conntrack)");
        /* alias from modules.alias */
        want_in("stdout", r.out, "set   modules fs-xfs: not loaded -> loaded (alias of xfs; inserts ");
        want_in("stdout", r.out, " xfs)");
        want_in("stdout", r.out, "ok    modules tcp_cubic: built in -> loaded");
        run_result_free(&r);

        /* apply under --root reports the loads and does none */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "modules tcp_htcp: would load (inserts tcp_htcp): not done under --root");
        run_result_free(&r);
}

static void test_unknown(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-m.conf", "[modules]\nload = tcp_nosuch\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/50-m.conf:2: modules tcp_nosuch: cannot load: "
                                 "no module or alias 'tcp_nosuch' for kernel");
        assert_int_equal(count_lines(r.err, "kvmtune:"), 1);
        want_in("stdout", r.out, "error modules tcp_nosuch");
        run_result_free(&r);

        /* what needed it fails too, with the reason */
        fr_write(root, CONFD "50-m.conf", "[sysctl]\nnet.ipv4.tcp_congestion_control = nosuch\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "modules tcp_nosuch: cannot load (needed by sysctl net.ipv4.tcp_congestion_control)");
        want_in("stderr", r.err, "sysctl net.ipv4.tcp_congestion_control: nosuch is not available: module tcp_nosuch:");
        want_value(root, "proc/sys/net/ipv4/tcp_congestion_control", "cubic");
        run_result_free(&r);

        /* a '-' key can live without it */
        fr_write(root, CONFD "50-m.conf", "[sysctl]\n-net.ipv4.tcp_congestion_control = nosuch\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
}

static void test_blacklist(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/modprobe.d/local.conf", "blacklist tcp_htcp\n");
        fr_write(root, CONFD "50-m.conf", "[modules]\nload = tcp_htcp\n");
        kv_run(&r, root, "plan", NULL);
        /* like modprobe NAME: the blacklist applies to aliases only */
        want_status(&r, 0);
        want_not_in("stderr", r.err, "blacklisted");
        run_result_free(&r);

        /* an alias resolving to a blacklisted module is refused, as by modprobe */
        fr_write(root, "etc/modprobe.d/local.conf", "blacklist minix\n");
        fr_write(root, CONFD "50-m.conf", "[modules]\nload = fs-minix\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "module minix is blacklisted (modprobe.d)");
        run_result_free(&r);

        /* the same alias without the blacklist resolves */
        fr_write(root, "etc/modprobe.d/local.conf", "\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "alias of minix");
        run_result_free(&r);
}

static void test_autoload_resolves(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-s.conf",
                 "[sysctl]\n"
                 "net.ipv4.tcp_congestion_control = htcp\n"
                 "net.bridge.bridge-nf-call-iptables = 0\n"
                 "[conntrack]\nmax = 400000\nhashsize = auto\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   modules tcp_htcp: not loaded -> loaded (inserts tcp_htcp; for sysctl net.ipv4.tcp_congestion_control)");
        want_in("stdout", r.out, "set   modules br_netfilter: not loaded -> loaded (inserts ");
        want_in("stdout", r.out, " br_netfilter; for sysctl net.bridge.bridge-nf-call-iptables)");
        want_in("stdout", r.out, "options hashsize=100000");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_resolve, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_unknown, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_blacklist, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_autoload_resolves, setup, fr_teardown),
        };
        int r = fetch_tree();

        if (r == 77)
                return 77;
        if (r < 0) {
                fprintf(stderr, "tests/kernel-tree failed\n");
                return 1;
        }
        {
                char *dir;
                struct dirent *de;
                DIR *d;

                assert_true(asprintf(&dir, "%s/lib/modules", tree) > 0);
                d = opendir(dir);
                free(dir);
                if (!d)
                        return 1;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.')
                                release = strdup(de->d_name);
                closedir(d);
                if (!release)
                        return 1;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
