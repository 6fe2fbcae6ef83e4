/* SPDX-License-Identifier: MIT */
/*
 * A bounded run: a kernel write that never comes back is reported after the
 * write timeout and the other settings still apply.  pwrite() is wrapped to
 * wait (interruptibly, as a stuck kernel write may) for one value.
 */
#include "helpers.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvmtune.h"

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);

static const char *stuck_value;         /* a write of this value never returns by itself */

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
        if (stuck_value && n == strlen(stuck_value) && !memcmp(buf, stuck_value, n)) {
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
        clock_gettime(CLOCK_MONOTONIC, &t0);
        kv_run_inproc(&r, root, CMD_APPLY, 1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        stuck_value = NULL;

        assert_int_equal(r.status, 1);
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

static void test_no_timeout_without_limit(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* without a limit nothing arms the alarm: a normal write goes through */
        fr_write(root, "etc/kvmtune/conf.d/50-t.conf", "[sysctl]\nvm.swappiness = 13\n");
        kv_run_inproc(&r, root, CMD_APPLY, 0);
        assert_int_equal(r.status, 0);
        assert_int_equal(alarm(0), 0);
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_stuck_write_is_reported, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_timeout_without_limit, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
