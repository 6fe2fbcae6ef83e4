/* SPDX-License-Identifier: MIT */
/*
 * A bounded run: a kernel write that never comes back is reported after the
 * write timeout and the other settings still apply.  pwrite() is wrapped to
 * wait (interruptibly, as a stuck kernel write may) for one value.
 */
#include "want.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmtune.h"

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);

static const char *stuck_value;         /* a write of this value never returns by itself */
static int stuck_signal = -1;           /* a byte goes here when the stuck write starts */

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);

static unsigned armed_in_write, armed_elsewhere;       /* seen by the wrappers */

/* The write timeout watches a kernel write, never kvmtune's reads (or logs). */
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
        if (kernfs_write_watched() || alarm(0))
                armed_elsewhere++;
        return __real_pread(fd, buf, n, off);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
        if (kernfs_write_watched())
                armed_in_write++;
        if (stuck_value && n == strlen(stuck_value) && !memcmp(buf, stuck_value, n)) {
                if (stuck_signal >= 0 && write(stuck_signal, "s", 1) != 1)
                        abort();
                /* wait like a stuck kernel write; give up after 5 s so a broken timeout fails */
                struct timespec ts = { 5, 0 };
                if (nanosleep(&ts, NULL) == 0)
                        errno = EIO;
                return -1;              /* EINTR when the alarm interrupted us */
        }
        return __real_pwrite(fd, buf, n, off);
}

static int setup(void **state)
{
        char *root = fr_new();

        fr_standard(root);
        *state = root;
        return 0;
}

static int teardown(void **state)
{
        fr_free(*state);
        return 0;
}

static void test_stuck_write_is_reported(void **state)
{
        const char *root = *state;
        struct run_result r;
        struct timespec t0, t1;

        fr_write(root, "etc/kvmtune/conf.d/50-t.conf",
                 "[sysctl]\nvm.swappiness = 13\nnet.ipv4.tcp_fin_timeout = 30\n");
        stuck_value = "13";
        armed_in_write = armed_elsewhere = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        kv_run_inproc(&r, root, CMD_APPLY, 1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        stuck_value = NULL;

        assert_int_equal(r.status, 1);
        /* watched for each write (two, and the read-backs between them were not) */
        assert_true(armed_in_write >= 2);
        assert_int_equal(armed_elsewhere, 0);
        if (!contains(r.err, "50-t.conf:2: sysctl vm.swappiness: cannot write '13': the kernel write did not return within 1 s"))
                fail_msg("no timeout error:\n%s", r.err);
        /* the next setting was still applied */
        assert_true(contains(r.out, "sysctl net.ipv4.tcp_fin_timeout: 60 -> 30"));
        char *v = fr_read_trim(root, "proc/sys/net/ipv4/tcp_fin_timeout");
        assert_string_equal(v, "30");
        free(v);
        /* bounded: about the one second, not forever */
        assert_true(t1.tv_sec - t0.tv_sec < 10);
        run_result_free(&r);
}

/*
 * A SIGALRM blocked by whoever started kvmtune (a signal mask is inherited
 * across exec) must not disable the write timeout.
 */
static void test_blocked_alarm_still_times_out(void **state)
{
        const char *root = *state;
        struct run_result r;
        sigset_t alrm, old;

        fr_write(root, "etc/kvmtune/conf.d/50-t.conf", "[sysctl]\nvm.swappiness = 13\n");
        sigemptyset(&alrm);
        sigaddset(&alrm, SIGALRM);
        sigprocmask(SIG_BLOCK, &alrm, &old);
        stuck_value = "13";
        kv_run_inproc(&r, root, CMD_APPLY, 1);
        stuck_value = NULL;
        sigprocmask(SIG_SETMASK, &old, NULL);
        assert_int_equal(r.status, 1);
        if (!contains(r.err, "cannot write '13': the kernel write did not return within 1 s"))
                fail_msg("no timeout error with SIGALRM blocked at the start:\n%s", r.err);
        run_result_free(&r);
}

/*
 * A run killed between two writes (the unit's start timeout, udev's event
 * timeout, shutdown): the first write's old value was recorded before the
 * write, so revert puts it back; the stalled second one is recorded too and
 * revert finds it as it was.
 */
static void test_killed_between_writes(void **state)
{
        const char *root = *state;
        struct run_result r;
        int pipefd[2], status;
        char byte, *rec;
        pid_t pid;

        fr_write(root, "etc/kvmtune/conf.d/50-t.conf",
                 "[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\nvm.swappiness = 13\n");
        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                stuck_value = "13";
                stuck_signal = pipefd[1];
                kv_run_inproc(&r, root, CMD_APPLY, 0);
                _exit(3);       /* not reached: killed in the stuck write */
        }
        close(pipefd[1]);
        assert_int_equal(read(pipefd[0], &byte, 1), 1);        /* it is stuck in the second write */
        close(pipefd[0]);
        assert_int_equal(kill(pid, SIGTERM), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

        char *v = fr_read_trim(root, "proc/sys/net/ipv4/tcp_fin_timeout");
        assert_string_equal(v, "30");           /* the first write happened */
        free(v);
        rec = fr_read(root, "run/kvmtune/revert");
        assert_non_null(rec);
        assert_string_equal(rec, "proc/sys/net/ipv4/tcp_fin_timeout\t60\nproc/sys/vm/swappiness\t60\n");
        free(rec);

        kv_run_inproc(&r, root, CMD_REVERT, 0);
        assert_int_equal(r.status, 0);
        v = fr_read_trim(root, "proc/sys/net/ipv4/tcp_fin_timeout");
        assert_string_equal(v, "60");
        free(v);
        v = fr_read_trim(root, "proc/sys/vm/swappiness");
        assert_string_equal(v, "60");
        free(v);
        assert_null(fr_read(root, "run/kvmtune/revert"));
        run_result_free(&r);
}

static void test_no_timeout_without_limit(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* without a limit nothing watches the write: a normal write goes through */
        fr_write(root, "etc/kvmtune/conf.d/50-t.conf", "[sysctl]\nvm.swappiness = 13\n");
        armed_in_write = 0;
        kv_run_inproc(&r, root, CMD_APPLY, 0);
        assert_int_equal(r.status, 0);
        assert_int_equal(armed_in_write, 0);
        assert_int_equal(alarm(0), 0);
        assert_false(kernfs_write_watched());
        run_result_free(&r);
}

/* Another run holding the lock past KVMTUNE_LOCK_TIMEOUT: nothing is changed, exit 1. */
static void test_lock_wait_bounded(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *lock = NULL;
        int fd;

        fr_write(root, "etc/kvmtune/conf.d/50-t.conf", "[sysctl]\nvm.swappiness = 13\n");
        fr_mkdir(root, "run/kvmtune");
        assert_true(asprintf(&lock, "%s/run/kvmtune/lock", root) > 0);
        fd = open(lock, O_RDWR | O_CREAT, 0600);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);
        setenv("KVMTUNE_LOCK_TIMEOUT", "1", 1);
        kv_run(&r, root, "apply", NULL);
        unsetenv("KVMTUNE_LOCK_TIMEOUT");
        want_status(&r, 1);
        want_in("stderr", r.err, "another kvmtune run held /run/kvmtune/lock for more than 1 s; nothing is changed");
        want_value(root, "proc/sys/vm/swappiness", "60");
        run_result_free(&r);

        /* released: the next run goes through */
        close(fd);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, "proc/sys/vm/swappiness", "13");
        run_result_free(&r);
        free(lock);
}

/* Beyond the first writes the watchdog thread bounds them: the 70th write stuck is reported too. */
static void test_stuck_write_after_many(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *conf = xstrdup("[sysctl]\n");

        for (int i = 0; i < 70; i++) {
                char *rel = xasprintf("proc/sys/kvtest/k%02d", i), *next;

                fr_write(root, rel, "0\n");
                free(rel);
                next = xasprintf("%skvtest.k%02d = %s\n", conf, i, i == 69 ? "13" : "1");
                free(conf);
                conf = next;
        }
        fr_write(root, "etc/kvmtune/conf.d/50-t.conf", conf);
        free(conf);
        stuck_value = "13";
        armed_in_write = armed_elsewhere = 0;
        kv_run_inproc(&r, root, CMD_APPLY, 1);
        stuck_value = NULL;
        assert_int_equal(r.status, 1);
        assert_int_equal(armed_in_write, 70);
        assert_int_equal(armed_elsewhere, 0);
        if (!contains(r.err, "sysctl kvtest.k69: cannot write '13': the kernel write did not return within 1 s"))
                fail_msg("no timeout error:\n%s", r.err);
        char *v = fr_read_trim(root, "proc/sys/kvtest/k68");
        assert_string_equal(v, "1");
        free(v);
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_stuck_write_is_reported, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stuck_write_after_many, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_timeout_without_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_blocked_alarm_still_times_out, setup, teardown),
                cmocka_unit_test_setup_teardown(test_killed_between_writes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lock_wait_bounded, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
