/* SPDX-License-Identifier: MIT */
/*
 * Exactness, in-process on a fake root: no read or write error is silent.
 * kernfs_write is wrapped to play the kernel where a plain file cannot
 * (a KSM knob that stores 1 for any true value, a scheduler switch that
 * completes after the write timeout), pread to fail a read-back with EIO,
 * write and fdatasync to fail the revert record's, and reallocarray to
 * measure what growing arrays costs.
 *
 *  - values longer than 4 KiB are read, recorded and restored whole, and a
 *    value past the documented bound is an error, never a cut;
 *  - every write is read back: a KSM knob that stores another value fails;
 *  - a read-back that fails after a successful write fails the run;
 *  - a scheduler write that returns after the timeout keeps its record
 *    entry when the file changed (revert puts it back);
 *  - a failed record write or fdatasync after a batch is an error;
 *  - 10,000 [block] sections grow their arrays geometrically.
 */
#include "want.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtune.h"

#define RECORD "run/kvmtune/revert"
#define PORTS "proc/sys/net/ipv4/ip_local_reserved_ports"
#define SMART "sys/kernel/mm/ksm/smart_scan"
#define SCHED "sys/block/vda/queue/scheduler"
#define SWAP "proc/sys/vm/swappiness"

int __real_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
void *__real_reallocarray(void *p, size_t n, size_t size);
void *__wrap_reallocarray(void *p, size_t n, size_t size);

static const char *eio_after;           /* after a write of this path, its reads fail with EIO */
static bool eio_armed;
static bool late_scheduler;             /* a scheduler write completes, but after the timeout */
static int record_fail;                 /* after the first kernel write: 1 write, 2 fdatasync of the record fail */
static bool kernel_written;
static const char *refuse;              /* the kernel refuses writes of this path (EINVAL) */
static size_t realloc_copied;           /* bytes reallocarray() may have had to copy */

/* does fd's path end with suffix */
static bool fd_is(int fd, const char *suffix)
{
        char link[64], target[4096];
        ssize_t n;
        size_t sl = strlen(suffix);

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
                return false;
        target[n] = '\0';
        return (size_t)n >= sl && !strcmp(target + n - sl, suffix);
}

int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value)
{
        int r;

        if (refuse && !strcmp(rel, refuse))
                return -EINVAL;
        kernel_written = true;
        if (!strcmp(rel, SMART))
                /* the kernel takes a boolean: "10" is stored as 1 */
                return __real_kernfs_write(k, rel, fd, strcmp(value, "0") ? "1" : "0");
        if (!strcmp(rel, SCHED)) {
                char *out;
                assert_true(asprintf(&out, "%s%s%s", !strcmp(value, "none") ? "[none]" : "none",
                                     !strcmp(value, "mq-deadline") ? " [mq-deadline]" : " mq-deadline",
                                     " kyber") > 0);
                r = __real_kernfs_write(k, rel, fd, out);
                free(out);
                return r == 0 && late_scheduler ? -ETIME : r;
        }
        r = __real_kernfs_write(k, rel, fd, value);
        if (eio_after && !strcmp(rel, eio_after))
                eio_armed = true;
        return r;
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
        if (eio_armed && fd_is(fd, eio_after)) {
                errno = EIO;
                return -1;
        }
        return __real_pread(fd, buf, n, off);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
        if (record_fail == 1 && kernel_written && fd_is(fd, RECORD)) {
                errno = ENOSPC;
                return -1;
        }
        return __real_write(fd, buf, n);
}

int __wrap_fdatasync(int fd)
{
        if (record_fail == 2 && kernel_written && fd_is(fd, RECORD)) {
                errno = EIO;
                return -1;
        }
        return __real_fdatasync(fd);
}

void *__wrap_reallocarray(void *p, size_t n, size_t size)
{
        if (p)
                realloc_copied += malloc_usable_size(p);
        return __real_reallocarray(p, n, size);
}

static void kv(struct run_result *r, const char *root, enum command cmd)
{
        kernel_written = false;
        eio_armed = false;
        kv_run_inproc(r, root, cmd, 0);
        if (getenv("VERBOSE"))
                fprintf(stderr, "-- status %d\n-- stdout:\n%s-- stderr:\n%s", r->status, r->out, r->err);
}

static void reset(void)
{
        eio_after = NULL;
        late_scheduler = false;
        record_fail = 0;
        refuse = NULL;
}

/* "20000,20002,..." as long as asked, as the kernel shows a reserved ports list */
static char *ports_list(size_t at_least)
{
        size_t cap = at_least + 16, len = 0;
        char *s = malloc(cap);

        assert_non_null(s);
        for (unsigned p = 1024; len < at_least; p += 2)
                len += (size_t)snprintf(s + len, cap - len, "%s%u", len ? "," : "", p);
        return s;
}

/* Item 6: a 9 KB value is recorded and restored whole. */
static void test_long_value_whole(void **state)
{
        const char *root = *state;
        char *ports = ports_list(9000), *line, *rec;
        struct run_result r;

        reset();
        fr_writef(root, PORTS, "%s\n", ports);
        fr_write(root, CONFD "50-x.conf", "[sysctl]\nnet.ipv4.ip_local_reserved_ports = 8080\n");
        kv(&r, root, CMD_APPLY);
        want_status(&r, 0);
        want_value(root, PORTS, "8080");
        rec = fr_read(root, RECORD);
        assert_true(asprintf(&line, PORTS "\t%s\n", ports) > 0);
        if (!rec || strcmp(rec, line))
                fail_msg("the record holds %zu bytes, not the %zu of the old value's line", rec ? strlen(rec) : 0,
                         strlen(line));
        free(rec);
        free(line);
        run_result_free(&r);
        kv(&r, root, CMD_REVERT);
        want_status(&r, 0);
        rec = fr_read_trim(root, PORTS);
        assert_non_null(rec);
        if (strcmp(rec, ports))
                fail_msg("revert left %zu bytes, not the %zu of the old value", strlen(rec), strlen(ports));
        free(rec);
        free(ports);
        run_result_free(&r);
}

/* Item 6: past the documented bound a value is an error, never a cut. */
static void test_value_past_bound(void **state)
{
        const char *root = *state;
        char *ports = ports_list(2 * 1024 * 1024), *v;
        struct run_result r;

        reset();
        fr_writef(root, PORTS, "%s\n", ports);
        fr_write(root, CONFD "50-x.conf", "[sysctl]\nnet.ipv4.ip_local_reserved_ports = 8080\n");
        kv(&r, root, CMD_APPLY);
        want_status(&r, 1);
        want_in("stderr", r.err, "sysctl net.ipv4.ip_local_reserved_ports: cannot read");
        v = fr_read_trim(root, PORTS);
        assert_true(v && !strcmp(v, ports));    /* untouched */
        assert_null(fr_read(root, RECORD));
        free(v);
        free(ports);
        run_result_free(&r);
}

/* Item 7: a KSM knob is read back after its write. */
static void test_ksm_read_back(void **state)
{
        const char *root = *state;
        struct run_result r;

        reset();
        fr_write(root, SMART, "0\n");
        fr_write(root, CONFD "50-x.conf", "[ksm]\nsmart_scan = 10\n");
        kv(&r, root, CMD_APPLY);
        want_status(&r, 1);
        want_in("stderr", r.err, "ksm smart_scan: wrote '10', but the kernel stores '1'");
        run_result_free(&r);
        kv(&r, root, CMD_REVERT);
        want_status(&r, 0);
        want_value(root, SMART, "0");
        run_result_free(&r);
}

/* Item 8: a read-back that fails (EIO) after a successful write fails the run. */
static void test_read_back_eio(void **state)
{
        const char *root = *state;
        struct run_result r;

        reset();
        eio_after = SWAP;
        fr_write(root, CONFD "50-x.conf", "[sysctl]\nvm.swappiness = 13\n");
        kv(&r, root, CMD_APPLY);
        eio_after = NULL;
        want_status(&r, 1);
        want_in("stderr", r.err, "sysctl vm.swappiness: cannot read back: Input/output error");
        run_result_free(&r);
        kv(&r, root, CMD_REVERT);
        want_status(&r, 0);
        want_value(root, SWAP, "60");
        run_result_free(&r);
}

/* Item 9: a scheduler write that completes after the timeout stays in the record. */
static void test_scheduler_late(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *rec;

        reset();
        late_scheduler = true;
        fr_write(root, CONFD "50-x.conf", "[block \"vda\"]\nscheduler = mq-deadline\n");
        kv(&r, root, CMD_APPLY);
        late_scheduler = false;
        want_status(&r, 1);
        rec = fr_read(root, RECORD);
        if (!rec || !contains(rec, SCHED "\tnone\n"))
                fail_msg("the switched scheduler's old value is not in the record: %s", rec ? rec : "(none)");
        free(rec);
        run_result_free(&r);
        kv(&r, root, CMD_REVERT);
        want_status(&r, 0);
        want_value(root, SCHED, "[none] mq-deadline kyber");
        run_result_free(&r);
}

/* Item 10: a failed write or fdatasync of the record at the end of a batch is an error. */
static void record_failure(const char *root, int how)
{
        struct run_result r;

        reset();
        refuse = "proc/sys/net/core/somaxconn";
        /* the refused key's line is cut back out after the batch, the other rewritten */
        fr_write(root, CONFD "50-x.conf", "[sysctl]\nvm.swappiness = 13\nnet.core.somaxconn = 100\n");
        record_fail = how;
        kv(&r, root, CMD_APPLY);
        record_fail = 0;
        refuse = NULL;
        want_status(&r, 1);
        want_in("stderr", r.err, "the revert record /run/kvmtune/revert");
        run_result_free(&r);
}

static void test_record_write_fails(void **state)
{
        record_failure(*state, 1);
}

static void test_record_sync_fails(void **state)
{
        record_failure(*state, 2);
}

/* Item 12: 10,000 [block] sections: arrays grow geometrically. */
static void test_many_sections(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);

        reset();
        for (int i = 0; i < 10000; i++)
                fprintf(m, "[block \"vd%d\"]\nread_ahead_kb = 256\n", i);
        fclose(m);
        fr_write(root, CONFD "50-x.conf", text);
        free(text);
        realloc_copied = 0;
        kv(&r, root, CMD_PLAN);
        want_status(&r, 0);
        /* one element at a time copies about n^2/2 elements: ~ 3 GB here; doubling, about 2n */
        if (realloc_copied > 64u * 1024 * 1024)
                fail_msg("growing the arrays for 10,000 sections copied up to %zu MB", realloc_copied >> 20);
        run_result_free(&r);

        /* and a revert record of 10,000 lines */
        m = open_memstream(&text, &len);
        for (int i = 0; i < 10000; i++)
                fprintf(m, "proc/sys/net/x/k%d\t1\n", i);
        fclose(m);
        fr_write(root, RECORD, text);
        free(text);
        realloc_copied = 0;
        kv(&r, root, CMD_REVERT);
        if (realloc_copied > 64u * 1024 * 1024)
                fail_msg("reading a record of 10,000 lines copied up to %zu MB", realloc_copied >> 20);
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_long_value_whole, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_value_past_bound, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_ksm_read_back, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_read_back_eio, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_scheduler_late, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_record_write_fails, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_record_sync_fails, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_many_sections, fr_setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
