/* SPDX-License-Identifier: MIT */
/*
 * verify --metrics FILE on a fake root: Prometheus text (build info, counts
 * per section and state, drift, errors, the last apply's time and status,
 * time 0 and status -1 before any apply), written whole with mode 0644 and
 * no temp file left; per-setting series only with -v, with device and key
 * labels, escaped; failures and usage errors.  The symlink attack on the
 * file's directory is tests/metrics_symlink.sh (it needs a second user).
 */
#include "want.h"
#include "kvmtune.h"          /* KVMTUNE_VERSION */

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROM "textfile/kvmtune.prom"

static char *prom_path(const char *root)
{
        char *p;

        assert_true(asprintf(&p, "%s/" PROM, root) > 0);
        return p;
}

static int setup(void **state)
{
        fr_setup(state);
        fr_mkdir(*state, "textfile");
        fr_write(*state, CONFD "50-m.conf",
                 "[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\n[netdev \"eth0\"]\ntxqueuelen = 5000\n");
        return 0;
}

/* the value of the series written exactly as "NAME{LABELS} VALUE" (or "NAME VALUE"); -1: absent */
static long long series(const char *text, const char *name)
{
        size_t n = strlen(name);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (!strncmp(l, name, n) && l[n] == ' ')
                        return strtoll(l + n + 1, NULL, 10);
        return -1;
}

/* entries of root/textfile other than kvmtune.prom */
static int strays(const char *root)
{
        char *dir;
        DIR *d;
        struct dirent *e;
        int n = 0;

        assert_true(asprintf(&dir, "%s/textfile", root) > 0);
        d = opendir(dir);
        assert_non_null(d);
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "kvmtune.prom"))
                        n++;
        closedir(d);
        free(dir);
        return n;
}

static void test_drift_and_last_apply(void **state)
{
        const char *root = *state;
        char *path = prom_path(root), *m;
        struct run_result r;
        struct stat st;
        mode_t old = umask(077);        /* the file is 0644 whatever the umask */
        long long t0 = (long long)time(NULL), t1;

        kv_run(&r, root, "verify", "--metrics", path, NULL);
        want_status(&r, 1);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_non_null(m);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(strays(root), 0);
        assert_int_equal(series(m, "kvmtune_drift"), 1);
        assert_int_equal(series(m, "kvmtune_errors"), 0);
        assert_int_equal(series(m, "kvmtune_settings{section=\"sysctl\",state=\"set\"}"), 1);
        assert_int_equal(series(m, "kvmtune_settings{section=\"sysctl\",state=\"ok\"}"), 0);
        assert_int_equal(series(m, "kvmtune_settings{section=\"netdev\",state=\"set\"}"), 1);
        assert_int_equal(series(m, "kvmtune_settings{section=\"hugepages\",state=\"error\"}"), 0);
        assert_contains(m, "# TYPE kvmtune_drift gauge\n");
        assert_contains(m, "# HELP kvmtune_drift ");
        assert_int_equal(series(m, "kvmtune_build_info{version=\"" KVMTUNE_VERSION "\"}"), 1);
        assert_contains(m, "# TYPE kvmtune_build_info gauge\n");
        /* no apply yet: the last-apply series say so (time 0, status -1); no per-interface label without -v */
        assert_int_equal(series(m, "kvmtune_last_apply_timestamp_seconds"), 0);
        assert_int_equal(series(m, "kvmtune_last_apply_exit_status"), -1);
        assert_int_equal(series(m, "kvmtune_last_apply_changes"), 0);
        assert_int_equal(series(m, "kvmtune_last_apply_errors"), 0);
        assert_not_contains(m, "eth0");
        assert_not_contains(m, "kvmtune_setting_drift");
        assert_true(series(m, "kvmtune_verify_timestamp_seconds") >= t0);
        free(m);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        t1 = (long long)time(NULL);
        m = fr_read(root, "run/kvmtune/last-apply");
        assert_non_null(m);
        assert_contains(m, "\nstatus=0\nchanges=2\nerrors=0\n");
        free(m);

        kv_run(&r, root, "verify", "--metrics", path, NULL);
        want_status(&r, 0);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_int_equal(series(m, "kvmtune_drift"), 0);
        assert_int_equal(series(m, "kvmtune_settings{section=\"sysctl\",state=\"ok\"}"), 1);
        assert_int_equal(series(m, "kvmtune_settings{section=\"sysctl\",state=\"set\"}"), 0);
        assert_int_equal(series(m, "kvmtune_last_apply_exit_status"), 0);
        assert_int_equal(series(m, "kvmtune_last_apply_changes"), 2);
        assert_int_equal(series(m, "kvmtune_last_apply_errors"), 0);
        assert_true(series(m, "kvmtune_last_apply_timestamp_seconds") >= t0);
        assert_true(series(m, "kvmtune_last_apply_timestamp_seconds") <= t1);
        assert_int_equal(strays(root), 0);
        free(m);

        /* changed behind kvmtune's back: drift again; plan writes metrics too, exit 0 */
        fr_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "45\n");
        kv_run(&r, root, "plan", "--metrics", path, NULL);
        want_status(&r, 0);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_int_equal(series(m, "kvmtune_drift"), 1);
        assert_int_equal(series(m, "kvmtune_settings{section=\"sysctl\",state=\"set\"}"), 1);
        assert_int_equal(series(m, "kvmtune_settings{section=\"netdev\",state=\"ok\"}"), 1);
        free(m);
        umask(old);
        free(path);
}

/* A failed apply is kept with its status; a --device run does not replace the record. */
static void test_failed_apply(void **state)
{
        const char *root = *state;
        char *path = prom_path(root), *m;
        struct run_result r;

        fr_write(root, CONFD "60-bad.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\nbogus key line\n"
                                            "[thp]\nenabled = sometimes\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        run_result_free(&r);
        m = fr_read(root, "run/kvmtune/last-apply");
        assert_contains(m, "\nstatus=1\n");
        free(m);

        kv_run(&r, root, "verify", "--metrics", path, NULL);
        want_status(&r, 1);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_int_equal(series(m, "kvmtune_last_apply_exit_status"), 1);
        assert_true(series(m, "kvmtune_errors") >= 2);
        assert_int_equal(series(m, "kvmtune_settings{section=\"thp\",state=\"error\"}"), 1);
        assert_int_equal(series(m, "kvmtune_drift"), 1);
        free(m);

        fr_write(root, "run/kvmtune/last-apply", "time=1\nstatus=0\nchanges=0\nerrors=0\n");
        kv_run(&r, root, "apply", "--device", "eth0", NULL);
        run_result_free(&r);
        assert_file(root, "run/kvmtune/last-apply", "time=1\nstatus=0\nchanges=0\nerrors=0");
        /* a record that is not one counts as none: time 0, status -1, not its stray counts */
        fr_write(root, "run/kvmtune/last-apply", "garbage\nchanges=7\n");
        kv_run(&r, root, "verify", "--metrics", path, NULL);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_int_equal(series(m, "kvmtune_last_apply_timestamp_seconds"), 0);
        assert_int_equal(series(m, "kvmtune_last_apply_exit_status"), -1);
        assert_int_equal(series(m, "kvmtune_last_apply_changes"), 0);
        free(m);
        free(path);
}

/* -v: one series per setting, labels escaped (quote, backslash, bytes that are not UTF-8). */
static void test_verbose_labels(void **state)
{
        const char *root = *state;
        char *path = prom_path(root), *m;
        struct run_result r;

        fr_write(root, "sys/devices/virtual/net/a\"b\\c/tx_queue_len", "5000\n");
        fr_symlink(root, "../../devices/virtual/net/a\"b\\c", "sys/class/net/a\"b\\c");
        fr_write(root, "sys/devices/virtual/net/x\xff/tx_queue_len", "1000\n");
        fr_symlink(root, "../../devices/virtual/net/x\xff", "sys/class/net/x\xff");
        for (int i = 0; i < 70; i++) {          /* enough for the series table to grow */
                char rel[96], target[96];
                snprintf(rel, sizeof(rel), "sys/devices/virtual/net/vnet%d/tx_queue_len", i);
                fr_write(root, rel, i % 2 ? "5000\n" : "1000\n");
                snprintf(target, sizeof(target), "../../devices/virtual/net/vnet%d", i);
                snprintf(rel, sizeof(rel), "sys/class/net/vnet%d", i);
                fr_symlink(root, target, rel);
        }
        fr_write(root, CONFD "50-m.conf", "[netdev \"a* x* eth0 vnet*\"]\ntxqueuelen = 5000\n");
        kv_run(&r, root, "-v", "verify", "--metrics", path, NULL);
        want_status(&r, 1);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_int_equal(series(m, "kvmtune_setting_drift{section=\"netdev\",device=\"a\\\"b\\\\c\",key=\"txqueuelen\"}"), 0);
        assert_int_equal(series(m, "kvmtune_setting_drift{section=\"netdev\",device=\"x\xef\xbf\xbd\",key=\"txqueuelen\"}"), 1);
        assert_int_equal(series(m, "kvmtune_setting_drift{section=\"netdev\",device=\"eth0\",key=\"txqueuelen\"}"), 1);
        assert_int_equal(series(m, "kvmtune_setting_drift{section=\"netdev\",device=\"vnet68\",key=\"txqueuelen\"}"), 1);
        assert_int_equal(series(m, "kvmtune_setting_drift{section=\"netdev\",device=\"vnet69\",key=\"txqueuelen\"}"), 0);
        assert_int_equal(count_lines(m, "kvmtune_setting_drift{"), 73);
        assert_int_equal(series(m, "kvmtune_settings{section=\"netdev\",state=\"set\"}"), 37);
        assert_int_equal(series(m, "kvmtune_settings{section=\"netdev\",state=\"ok\"}"), 36);
        free(m);

        /* device and key apart for a disk; a sysctl key has no device */
        fr_write(root, "sys/block/vda/queue/scheduler", "[mq-deadline] none\n");
        fr_write(root, CONFD "50-m.conf", "[block \"vda\"]\nscheduler = none\n"
                                          "[sysctl]\nnet.ipv4.tcp_fin_timeout = 60\n");
        fr_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
        kv_run(&r, root, "-v", "verify", "--metrics", path, NULL);
        want_status(&r, 1);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_int_equal(series(m, "kvmtune_setting_drift{section=\"block\",device=\"vda\",key=\"scheduler\"}"), 1);
        assert_int_equal(series(m, "kvmtune_setting_drift{section=\"sysctl\",device=\"\",key=\"net.ipv4.tcp_fin_timeout\"}"), 0);
        assert_not_contains(m, "setting=");
        free(m);
        fr_write(root, CONFD "50-m.conf", "[netdev \"a* x* eth0 vnet*\"]\ntxqueuelen = 5000\n");

        /* --only: only those sections are counted */
        kv_run(&r, root, "--only", "netdev", "verify", "--metrics", path, NULL);
        run_result_free(&r);
        m = fr_read(root, PROM);
        assert_int_equal(count_lines(m, "kvmtune_settings{"), 4);
        assert_int_equal(series(m, "kvmtune_settings{section=\"netdev\",state=\"ok\"}"), 36);
        assert_not_contains(m, "vnet");
        free(m);
        free(path);
}

static void test_errors(void **state)
{
        const char *root = *state;
        char *path = prom_path(root), *missing;
        struct run_result r;

        assert_true(asprintf(&missing, "%s/nonexistent/kvmtune.prom", root) > 0);
        kv_run(&r, root, "verify", "--metrics", missing, NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "--metrics ");
        want_in("stderr", r.err, "No such file or directory");
        run_result_free(&r);

        /* a failed write leaves the old file whole */
        fr_write(root, PROM, "old\n");
        fr_mkdir(root, "textfile/sub.prom");
        free(missing);
        assert_true(asprintf(&missing, "%s/textfile/sub.prom", root) > 0);
        kv_run(&r, root, "verify", "--metrics", missing, NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "cannot write it");
        run_result_free(&r);
        assert_file(root, PROM, "old");
        free(missing);

        kv_run(&r, root, "apply", "--metrics", path, NULL);
        want_status(&r, 2);
        want_in("stderr", r.err, "--metrics works only with plan and verify");
        run_result_free(&r);
        kv_run(&r, root, "verify", "--metrics", "", NULL);
        want_status(&r, 2);
        run_result_free(&r);
        assert_file(root, PROM, "old");
        free(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_drift_and_last_apply, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_failed_apply, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_verbose_labels, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_errors, setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
