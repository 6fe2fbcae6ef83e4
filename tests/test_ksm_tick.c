/* SPDX-License-Identifier: MIT */
/*
 * What one tick of [ksm] run = auto (kvmtune-ksm.service: `kvmtune apply
 * --only=ksm`) touches, in-process on a fake root that also holds other
 * sections' configuration and files.  syscall (openat2), openat and dlopen
 * are wrapped to see what it opens, and readlinkat what it reads:
 *
 *  - of the process table, every PID's exe (one readlinkat each, wrapped
 *    too), no cmdline, and the statm of the guests alone, under proc;
 *  - no file of another section ([sysctl], [block], [netdev], [thp]), no
 *    library loaded for [modules];
 *  - the record of the last apply of the configuration (verify --metrics)
 *    is left as the boot apply wrote it: a partial apply does not replace
 *    it, so a failed boot apply stays visible; a whole apply does.
 */
#include "helpers.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvmtune.h"

#define KSM "sys/kernel/mm/ksm/"
#define LAST "run/kvmtune/last-apply"
#define BOOT_RECORD "time=5\nstatus=1\nchanges=0\nerrors=1\n"

static char *opened[4096];              /* every path openat2 or openat was given; "readlinkat PATH" */
static size_t n_opened;
static int n_dlopen;

long __real_syscall(long n, ...);
long __wrap_syscall(long n, ...);
int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
void *__real_dlopen(const char *file, int mode);
ssize_t __real_readlinkat(int dirfd, const char *path, char *buf, size_t size);
ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t size);
void *__wrap_dlopen(const char *file, int mode);

static void note_open(const char *path)
{
        if (n_opened < sizeof(opened) / sizeof(*opened))
                opened[n_opened++] = strdup(path);
}

long __wrap_syscall(long n, ...)
{
        va_list ap;
        long a[6];

        va_start(ap, n);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        if (n == SYS_openat2)
                note_open((const char *)a[1]);
        return __real_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
        va_list ap;
        int mode;

        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
        note_open(path);
        return __real_openat(dirfd, path, flags, mode);
}

ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
        char note[512];

        snprintf(note, sizeof(note), "readlinkat %s", path);
        note_open(note);
        return __real_readlinkat(dirfd, path, buf, size);
}

void *__wrap_dlopen(const char *file, int mode)
{
        n_dlopen++;
        return __real_dlopen(file, mode);
}

static void opened_reset(void)
{
        for (size_t i = 0; i < n_opened; i++)
                free(opened[i]);
        n_opened = 0;
        n_dlopen = 0;
}

/* opened: how many paths were exactly this */
static int opened_exactly(const char *path)
{
        int n = 0;

        for (size_t i = 0; i < n_opened; i++)
                n += !strcmp(opened[i], path);
        return n;
}

/* opened: the first path that holds needle, or NULL */
static const char *opened_holding(const char *needle)
{
        for (size_t i = 0; i < n_opened; i++)
                if (strstr(opened[i], needle))
                        return opened[i];
        return NULL;
}

static void want_not_opened(const char *needle)
{
        const char *p = opened_holding(needle);

        if (p)
                fail_msg("a tick opened %s", p);
}

/* cmdline, exe (a symlink to argv[0], none for a kernel thread) and statm */
static void process(const char *root, int pid, const char *cmdline, size_t len, long rss_kb)
{
        char rel[64], path[512];
        FILE *f;

        if (len) {
                snprintf(rel, sizeof(rel), "proc/%d/exe", pid);
                fr_symlink(root, cmdline, rel);
        }
        snprintf(rel, sizeof(rel), "proc/%d/cmdline", pid);
        fr_write(root, rel, "");
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "w");
        assert_non_null(f);
        fwrite(cmdline, 1, len, f);
        fclose(f);
        snprintf(rel, sizeof(rel), "proc/%d/statm", pid);
        fr_writef(root, rel, "%ld %ld 0 1 0 %ld 0\n", (rss_kb + 10) * 1024 / sysconf(_SC_PAGESIZE),
                  rss_kb * 1024 / sysconf(_SC_PAGESIZE), rss_kb * 1024 / sysconf(_SC_PAGESIZE));
}

/* argv as a literal of NUL-terminated words */
#define PROCESS(root, pid, argv, rss_kb) process(root, pid, argv, sizeof(argv) - 1, rss_kb)

static void state_has(const char *root, const char *line)
{
        char *s = fr_read(root, "run/kvmtune/ksm-auto");

        want_in("run/kvmtune/ksm-auto", s, line);
        free(s);
}

/*
 * A 16 GiB host with 1 GiB free (below the 20% threshold: a boost), one
 * guest, init, a shell and a kernel thread; the packaged configuration's
 * sections beside [ksm] run = auto, their files, and the boot apply's record.
 */
static char *host(bool modules)
{
        char *root = fr_new();

        fr_write(root, "proc/meminfo", "MemTotal:       16777216 kB\nMemFree:        1048576 kB\n"
                 "Buffers:        0 kB\nCached:         0 kB\n");
        fr_write(root, "proc/uptime", "5000.00 9000.00\n");
        PROCESS(root, 1, "/sbin/init\0splash\0", 9000);
        PROCESS(root, 100, "/usr/bin/qemu-system-x86_64\0-enable-kvm\0-m\0" "4096\0", 4194304);
        PROCESS(root, 200, "/bin/bash\0", 5000);
        PROCESS(root, 300, "", 0);              /* a kernel thread */
        fr_write(root, KSM "run", "0\n");
        fr_write(root, KSM "pages_to_scan", "100\n");
        fr_write(root, KSM "sleep_millisecs", "20\n");
        fr_write(root, "proc/sys/vm/swappiness", "60\n");
        fr_write(root, "sys/block/vda/queue/scheduler", "[none] mq-deadline\n");
        fr_write(root, "sys/class/net/eth0/tx_queue_len", "1000\n");
        fr_write(root, "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
        fr_writef(root, "usr/lib/kvmtune/conf.d/50-host.conf",
                  "[sysctl]\nvm.swappiness = 10\n\n[block \"vd*\"]\nscheduler = mq-deadline\n\n"
                  "[netdev \"eth*\"]\ntxqueuelen = 2000\n\n[thp]\nenabled = madvise\n%s",
                  modules ? "\n[modules]\nload = vhost_net\n" : "");
        fr_write(root, "etc/kvmtune/conf.d/70-ksm.conf", "[ksm]\nrun = auto\n");
        fr_write(root, LAST, BOOT_RECORD);
        return root;
}

/* kvmtune [--only=ksm] apply, in this process; only its own opens are noted */
static void apply(struct run_result *r, const char *root, bool tick)
{
        kv_run_inproc_opts(r, root, &(struct inproc){ .cmd = CMD_APPLY, .only = tick ? 1u << SEC_KSM : 0,
                                                      .before_run = opened_reset });
}

static void want_boost(const char *root)
{
        assert_file(root, KSM "run", "1");
        assert_file(root, KSM "pages_to_scan", "300");
}

static void test_tick_opens(void **state)
{
        char *root = host(true);
        struct run_result r;

        (void)state;
        apply(&r, root, true);
        want_status(&r, 0);
        want_boost(root);
        state_has(root, "\nguests 1\n");
        /* every process's exe, read by one readlinkat under proc; no cmdline; the guest's statm alone */
        for (const char *const *p = (const char *const[]){ "readlinkat 1/exe", "readlinkat 100/exe", "readlinkat 200/exe",
                                                           "readlinkat 300/exe", "100/statm", NULL }; *p; p++)
                if (opened_exactly(*p) != 1)
                        fail_msg("%s opened %d times, not once", *p, opened_exactly(*p));
        want_not_opened("cmdline");
        want_not_opened("status");
        want_not_opened("1/statm");
        want_not_opened("200/statm");
        want_not_opened("300/statm");
        assert_int_equal(opened_exactly("proc/meminfo"), 1);
        assert_int_equal(opened_exactly("proc/uptime"), 1);
        /* nothing of the other sections; no library for [modules] */
        want_not_opened("proc/sys");
        want_not_opened("sys/block");
        want_not_opened("sys/class");
        want_not_opened("transparent_hugepage");
        want_not_opened("sys/module");
        want_not_opened("lib/modules");
        assert_int_equal(n_dlopen, 0);
        assert_file(root, "proc/sys/vm/swappiness", "60");
        /* the boot apply's record stays: it failed, and a tick must not hide it */
        want_not_opened("last-apply");
        assert_file(root, LAST, "time=5\nstatus=1\nchanges=0\nerrors=1");
        run_result_free(&r);
        opened_reset();
        fr_free(root);
}

/* a whole apply records itself, the tick included */
static void test_whole_apply_records(void **state)
{
        char *root = host(false);
        struct run_result r;
        char *last;

        (void)state;
        apply(&r, root, false);
        want_status(&r, 0);
        want_boost(root);
        assert_file(root, "proc/sys/vm/swappiness", "10");
        last = fr_read(root, LAST);
        want_in(LAST, last, "status=0\n");
        want_not_in(LAST, last, "time=5\n");
        free(last);
        run_result_free(&r);
        opened_reset();
        fr_free(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tick_opens),
                cmocka_unit_test(test_whole_apply_records),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
