/* SPDX-License-Identifier: MIT */
/*
 * Faults and revert, in-process on a fake root.  kernfs_write is wrapped
 * (-Wl,--wrap=kernfs_write) to act like the kernel: a write can fail with a
 * chosen errno, leaving the file as it was, as a kernel knob does; a file
 * can vanish between plan and apply; files that list choices ("[none]
 * mq-deadline") move their brackets.  fsync and renameat are wrapped too,
 * to see how the revert record is written (and to make its rename fail),
 * and syscall, to run without openat2 as on Linux < 5.6 or under valgrind.
 *
 *  - each failing setting reports its own error with file:line, the others
 *    apply, exit 1, and no knob ends at a value that is neither its old
 *    nor its wanted one;
 *  - apply records old values under run/kvmtune/revert (temp file, fsync,
 *    rename), an apply that changes nothing leaves the record alone, later
 *    applies add only what is new; revert writes back in reverse order
 *    (hugepage pools too), removes the record, and twice is harmless.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvmtune.h"

#define CONF "etc/kvmtune/conf.d/50-faults.conf"
#define SHOWN "/etc/kvmtune/conf.d/50-faults.conf"
#define RECORD "run/kvmtune/revert"
#define HP2M "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define HP1G "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
#define VDA "sys/block/vda/queue/"
#define VDA_DEV "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/"
#define ETH0 "sys/class/net/eth0/tx_queue_len"
#define KSM "sys/kernel/mm/ksm/"
#define THP "sys/kernel/mm/transparent_hugepage/"

/* ---- the simulated kernel ---------------------------------------------- */

static char *events[1024];              /* "write PATH VALUE", "fsync PATH", "rename A B" */
static size_t n_events;
static struct fault {
        const char *rel;
        const char *value;              /* NULL: any value */
        int err;
        int times;                      /* 0: always; else this many writes, then the write works */
} faults[16];
static size_t n_faults;
static const char *vanish;              /* removed at the first write of a run */
static bool vanished;
static int rename_err;                  /* renameat fails with this */
static bool no_openat2;                 /* openat2 fails with ENOSYS */
static int openat2_eagain;              /* this many openat2 calls fail with EAGAIN (a racing mount) */
static const char *openat2_eacces;      /* an O_PATH openat2 of a path ending so fails with EACCES */
static const char *fake_root;

int __real_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __real_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
long __real_syscall(long n, ...);
long __wrap_syscall(long n, ...);
int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

static void event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void event(const char *fmt, ...)
{
        va_list ap;

        assert_true(n_events < sizeof(events) / sizeof(*events));
        va_start(ap, fmt);
        assert_true(vasprintf(&events[n_events++], fmt, ap) > 0);
        va_end(ap);
}

static void events_reset(void)
{
        for (size_t i = 0; i < n_events; i++)
                free(events[i]);
        n_events = 0;
}

static void fault(const char *rel, const char *value, int err)
{
        assert_true(n_faults < sizeof(faults) / sizeof(*faults));
        faults[n_faults++] = (struct fault){ rel, value, err, 0 };
}

static void fault_times(const char *rel, const char *value, int err, int times)
{
        fault(rel, value, err);
        faults[n_faults - 1].times = times;
}

/* write-ahead: under apply, a kernel write's path is in the record before the write */
static bool ahead_missing;

static void check_write_ahead(struct kvmtune *k, const char *rel)
{
        char *rec, *line;

        if (k->cmd != CMD_APPLY)
                return;
        rec = fr_read(k->root, RECORD);
        assert_true(asprintf(&line, "\n%s\t", rel) > 0);
        /* a line that starts with "PATH\t" */
        if (!rec || (strncmp(rec, line + 1, strlen(line + 1)) && !strstr(rec, line)))
                ahead_missing = true;
        free(line);
        free(rec);
}

int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value)
{
        event("write %s %s", rel, value);
        if (strcmp(rel, "proc/sys/vm/compact_memory"))
                check_write_ahead(k, rel);
        if (vanish && !vanished) {
                char *p;
                assert_true(asprintf(&p, "%s/%s", k->root, vanish) > 0);
                assert_int_equal(unlink(p), 0);
                free(p);
                vanished = true;
        }
        for (size_t i = 0; i < n_faults; i++)
                if (!strcmp(faults[i].rel, rel) && (!faults[i].value || !strcmp(faults[i].value, value)) &&
                    faults[i].times >= 0) {
                        if (faults[i].times && --faults[i].times == 0)
                                faults[i].times = -1;   /* used up */
                        return -faults[i].err;  /* the kernel refused: the knob is as it was */
                }
        /* a knob removed since it was opened answers ENOENT through the open fd, as /proc/sys does */
        if (fd >= 0 && kernfs_probe(k, rel) == 0)
                return -ENOENT;

        /* a file that lists choices takes one of them and moves its brackets */
        char *raw = NULL;
        if (kernfs_read(k, rel, &raw) == 0 && strchr(raw, '[')) {
                char *save = NULL, *out = NULL;
                size_t len = 0;
                bool found = false;
                FILE *m = open_memstream(&out, &len);
                int r;

                for (char *w = strtok_r(raw, " []", &save); w; w = strtok_r(NULL, " []", &save)) {
                        bool cur = !strcmp(w, value);
                        found |= cur;
                        fprintf(m, "%s%s%s%s", ftell(m) ? " " : "", cur ? "[" : "", w, cur ? "]" : "");
                }
                fclose(m);
                free(raw);
                r = found ? __real_kernfs_write(k, rel, fd, out) : -EINVAL;
                free(out);
                return r;
        }
        free(raw);
        return __real_kernfs_write(k, rel, fd, value);
}

static char *fd_path(int fd)
{
        char link[64], target[4096];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        /* shown relative to the root */
        if (fake_root && !strncmp(target, fake_root, strlen(fake_root)) && target[strlen(fake_root)] == '/')
                return strdup(target + strlen(fake_root) + 1);
        return strdup(target);
}

int __wrap_fsync(int fd)
{
        char *p = fd_path(fd);

        event("fsync %s", p);
        free(p);
        return __real_fsync(fd);
}

int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
        event("rename %s %s", oldpath, newpath);
        if (rename_err) {
                errno = rename_err;
                return -1;
        }
        return __real_renameat(olddirfd, oldpath, newdirfd, newpath);
}

long __wrap_syscall(long n, ...)
{
        va_list ap;
        long a[6];

        va_start(ap, n);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        if (n == SYS_openat2 && no_openat2) {
                errno = ENOSYS;
                return -1;
        }
        if (n == SYS_openat2 && openat2_eagain > 0) {
                openat2_eagain--;
                errno = EAGAIN;
                return -1;
        }
        if (n == SYS_openat2 && openat2_eacces) {
                const char *path = (const char *)a[1];
                const struct { uint64_t flags, mode, resolve; } *how = (const void *)a[2];
                size_t pl = strlen(path), el = strlen(openat2_eacces);

                if ((how->flags & O_PATH) && pl >= el && !strcmp(path + pl - el, openat2_eacces)) {
                        errno = EACCES;
                        return -1;
                }
        }
        return __real_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* how many events start with prefix */
static size_t count_events(const char *prefix)
{
        size_t n = 0;

        for (size_t i = 0; i < n_events; i++)
                n += !strncmp(events[i], prefix, strlen(prefix));
        return n;
}

/* ---- running kvmtune in-process ---------------------------------------- */

/* kvmtune --root ROOT CMD, the events recorded from zero */
static void kv(struct run_result *r, const char *root, enum command cmd)
{
        events_reset();
        ahead_missing = false;
        vanished = false;
        fake_root = root;
        kv_run_inproc(r, root, cmd, 0);
        if (getenv("VERBOSE"))
                fprintf(stderr, "-- status %d\n-- stdout:\n%s-- stderr:\n%s", r->status, r->out, r->err);
}


/* the stderr lines that name SHOWN:line */
static size_t lines_at(const char *err, unsigned line, const char *needle)
{
        char where[128];
        size_t n = 0;

        snprintf(where, sizeof(where), "kvmtune: " SHOWN ":%u: ", line);
        for (const char *p = err; (p = strstr(p, where)); p++) {
                char *one = strndup(p, strcspn(p, "\n"));
                n += !needle || strstr(one, needle);
                free(one);
        }
        return n;
}

static int setup(void **state)
{
        char *root = fr_new();

        fr_standard(root);
        unsetenv("JOURNAL_STREAM");
        n_faults = 0;
        vanish = NULL;
        rename_err = 0;
        *state = root;
        return 0;
}

static int teardown(void **state)
{
        fr_free(*state);
        events_reset();
        fake_root = NULL;
        return 0;
}

/* ---- faults ---------------------------------------------------------------- */

static const char fault_conf[] =
        "[hugepages \"2M\"]\n"                          /* 1 */
        "pages = 64\n"                                  /* 2: ENOSPC */
        "[hugepages \"1G\"]\n"                          /* 3 */
        "pages = 1\n"                                   /* 4: ok */
        "[sysctl]\n"                                    /* 5 */
        "vm.swappiness = 10\n"                          /* 6: EINVAL */
        "net.core.somaxconn = 8192\n"                   /* 7: ok */
        "net.ipv4.tcp_fin_timeout = 30\n"               /* 8: EACCES */
        "net.ipv4.tcp_rmem = 4096 87380 33554432\n"     /* 9: vanishes before apply */
        "fs.file-max = 200000\n"                        /* 10: ok */
        "[ksm]\n"                                       /* 11 */
        "pages_to_scan = 200\n"                         /* 12: EBUSY */
        "sleep_millisecs = 50\n"                        /* 13: ok */
        "[thp]\n"                                       /* 14 */
        "enabled = madvise\n"                           /* 15: ok */
        "defrag = never\n"                              /* 16: EINVAL */
        "[block \"vda\"]\n"                             /* 17 */
        "scheduler = bfq mq-deadline\n"                 /* 18: bfq EINVAL, mq-deadline ok */
        "read_ahead_kb = 4096\n"                        /* 19: ENOSPC */
        "nr_requests = 64\n"                            /* 20: ok */
        "[netdev \"eth0\"]\n"                           /* 21 */
        "txqueuelen = 10000\n";                         /* 22: ok */

static const struct knob {
        const char *rel, *old, *want;
        unsigned line;
        int err;                /* 0: applies; -1: vanishes */
} knobs[] = {
        { HP2M, "0", "64", 2, ENOSPC },
        { HP1G, "0", "1", 4, 0 },
        { "proc/sys/vm/swappiness", "60", "10", 6, EINVAL },
        { "proc/sys/net/core/somaxconn", "4096", "8192", 7, 0 },
        { "proc/sys/net/ipv4/tcp_fin_timeout", "60", "30", 8, EACCES },
        { "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456", "4096 87380 33554432", 9, -1 },
        { "proc/sys/fs/file-max", "100000", "200000", 10, 0 },
        { KSM "pages_to_scan", "100", "200", 12, EBUSY },
        { KSM "sleep_millisecs", "20", "50", 13, 0 },
        { THP "enabled", "[always] madvise never", "always [madvise] never", 15, 0 },
        { THP "defrag", "always defer defer+madvise [madvise] never",
          "always defer defer+madvise madvise [never]", 16, EINVAL },
        { VDA "scheduler", "[none] mq-deadline kyber bfq", "none [mq-deadline] kyber bfq", 18, 0 },
        { VDA "read_ahead_kb", "128", "4096", 19, ENOSPC },
        { VDA "nr_requests", "256", "64", 20, 0 },
        { ETH0, "1000", "10000", 22, 0 },
};

static void test_each_fault_reported(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, fault_conf);
        for (size_t i = 0; i < sizeof(knobs) / sizeof(*knobs); i++)
                if (knobs[i].err > 0)
                        fault(knobs[i].rel, NULL, knobs[i].err);
        fault(VDA "scheduler", "bfq", EINVAL);
        vanish = "proc/sys/net/ipv4/tcp_rmem";

        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        for (size_t i = 0; i < sizeof(knobs) / sizeof(*knobs); i++) {
                const struct knob *kn = &knobs[i];
                char *v = fr_read_trim(root, kn->rel);

                if (kn->err == 0) {
                        if (lines_at(r.err, kn->line, NULL))
                                fail_msg("line %u applied but has an error:\n%s", kn->line, r.err);
                        assert_file(root, kn->rel, kn->want);
                } else {
                        /* a key gone before apply reads it (apply reads most sysctls itself) */
                        const char *why = kn->err > 0 ? strerror(kn->err) : "no such key on this kernel";
                        /* its own error, once, with file:line and the reason */
                        if (lines_at(r.err, kn->line, why) != 1 || lines_at(r.err, kn->line, NULL) != 1)
                                fail_msg("line %u: expected one error with '%s':\n%s", kn->line, why, r.err);
                        if (kn->err > 0)
                                assert_file(root, kn->rel, kn->old);
                        else if (v)     /* a vanished knob is not created by the write */
                                fail_msg("/%s came back as '%s'", kn->rel, v);
                }
                /* never a value that is neither the old nor the wanted one */
                if (v && strcmp(v, kn->old) && strcmp(v, kn->want))
                        fail_msg("/%s is '%s': neither '%s' nor '%s'", kn->rel, v, kn->old, kn->want);
                free(v);
        }
        /* the refused scheduler was tried, then the next one */
        assert_int_equal(count_events("write " VDA "scheduler bfq"), 1);
        assert_int_equal(count_events("write " VDA "scheduler mq-deadline"), 1);
        /* nothing else: one error line per failed setting */
        size_t n_err = 0;
        for (const char *p = r.err; (p = strstr(p, "kvmtune: ")); p++)
                n_err++;
        assert_int_equal(n_err, 7);
        run_result_free(&r);
}

/* Every errno a knob can answer with is reported with its reason, and only for its own setting. */
static void test_each_errno(void **state)
{
        static const int errs[] = { EINVAL, EBUSY, EACCES, ENOSPC, EPERM, EIO, ENODEV, EOVERFLOW, ERANGE };
        const char *root = *state;

        for (size_t i = 0; i < sizeof(errs) / sizeof(*errs); i++) {
                struct run_result r;

                fr_write(root, "proc/sys/vm/swappiness", "60\n");
                fr_write(root, "proc/sys/net/core/somaxconn", "4096\n");
                fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\nnet.core.somaxconn = 8192\n");
                n_faults = 0;
                fault("proc/sys/vm/swappiness", NULL, errs[i]);
                kv(&r, root, CMD_APPLY);
                assert_int_equal(r.status, 1);
                if (lines_at(r.err, 2, strerror(errs[i])) != 1)
                        fail_msg("errno %d: no error on line 2:\n%s", errs[i], r.err);
                assert_int_equal(lines_at(r.err, 3, NULL), 0);
                assert_file(root, "proc/sys/vm/swappiness", "60");
                assert_file(root, "proc/sys/net/core/somaxconn", "8192");
                run_result_free(&r);
                /* the record holds the old value of the refused knob too: revert skips it */
                kv(&r, root, CMD_REVERT);
                assert_int_equal(r.status, 0);
                assert_int_equal(count_events("write proc/sys/vm/swappiness"), 0);
                assert_file(root, "proc/sys/net/core/somaxconn", "4096");
                run_result_free(&r);
        }
}

/* A transient EBUSY from the elevator switch is tried again: the first name is still set. */
static void test_scheduler_busy_once(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[block \"vda\"]\nscheduler = mq-deadline none\n");
        fault_times(VDA "scheduler", "mq-deadline", EBUSY, 1);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        assert_file(root, VDA "scheduler", "none [mq-deadline] kyber bfq");
        assert_int_equal(count_events("write " VDA "scheduler mq-deadline"), 2);
        assert_int_equal(count_events("write " VDA "scheduler none"), 0);
        run_result_free(&r);

        /* busy for good: an error naming it, and no fallback to the next name */
        char *rec;
        assert_true(asprintf(&rec, "%s/" RECORD, root) > 0);
        assert_int_equal(unlink(rec), 0);
        free(rec);
        fr_write(root, VDA_DEV "scheduler", "[none] mq-deadline kyber bfq\n");
        fr_write(root, CONF, "[block \"vda\"]\nscheduler = mq-deadline kyber\n");
        n_faults = 0;
        fault(VDA "scheduler", "mq-deadline", EBUSY);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_int_equal(lines_at(r.err, 2, strerror(EBUSY)), 1);
        assert_int_equal(count_events("write " VDA "scheduler kyber"), 0);
        assert_file(root, VDA "scheduler", "[none] mq-deadline kyber bfq");
        assert_null(fr_read(root, RECORD));     /* nothing changed: nothing recorded */
        run_result_free(&r);
}

/* Does this kernel (or valgrind, which does not know it) run openat2 at all? */
static bool have_openat2(void)
{
        struct { uint64_t flags, mode, resolve; } how = { O_PATH | O_CLOEXEC, 0, 0 };
        long fd = __real_syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how), 0, 0);

        if (fd >= 0)
                close((int)fd);
        return fd >= 0;
}

/* openat2 answers EAGAIN while mounts or renames race with its walk: tried again, still applied. */
static void test_openat2_eagain(void **state)
{
        const char *root = *state;
        struct run_result r;

        if (!have_openat2()) {
                print_message("openat2 is not available here (valgrind?): nothing to make race\n");
                skip();
        }
        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\n[netdev \"eth*\"]\ntxqueuelen = 5000\n");
        openat2_eagain = 5;
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        assert_int_equal(openat2_eagain, 0);
        assert_file(root, "proc/sys/vm/swappiness", "10");
        assert_file(root, ETH0, "5000");
        run_result_free(&r);

        /* racing for longer than the retries: resolved by hand, still applied */
        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 20\n");
        openat2_eagain = 1000;
        kv(&r, root, CMD_APPLY);
        openat2_eagain = 0;
        assert_int_equal(r.status, 0);
        assert_file(root, "proc/sys/vm/swappiness", "20");
        run_result_free(&r);
}

/* An existence check that fails for another reason than "not there" is an error naming the path. */
static void test_probe_eacces(void **state)
{
        const char *root = *state;
        struct run_result r;

        if (!have_openat2()) {
                print_message("openat2 is not available here (valgrind?): the fault is injected into it\n");
                skip();
        }
        fr_write(root, CONF, "[netdev \"eth*\"]\ntxqueuelen = 5000\n");
        openat2_eacces = "/tx_queue_len";
        kv(&r, root, CMD_APPLY);
        openat2_eacces = NULL;
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "/sys/class/net/eth0/tx_queue_len");
        assert_contains(r.err, strerror(EACCES));
        assert_file(root, ETH0, "1000");
        run_result_free(&r);

        /* --device: the device's own lookup */
        fr_write(root, CONF, "[netdev \"eth0\"]\ntxqueuelen = 5000\n");
        openat2_eacces = "class/net/eth0";
        events_reset();
        kv_run_inproc_device(&r, root, CMD_APPLY, 0, "eth0");
        openat2_eacces = NULL;
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "/sys/class/net/eth0: ");
        assert_contains(r.err, strerror(EACCES));
        run_result_free(&r);
}

/* A whole device vanishes between plan and apply (unplugged): its settings fail, the rest apply. */
static void test_device_vanishes(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF,
                 "[sysctl]\n"
                 "vm.swappiness = 10\n"                 /* 2: the first write: vda goes */
                 "[block \"vda\"]\n"
                 "scheduler = mq-deadline\n"            /* 4 */
                 "read_ahead_kb = 4096\n"               /* 5 */
                 "[netdev \"eth0\"]\n"
                 "txqueuelen = 5000\n");                /* 7 */
        vanish = "sys/block/vda";
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_int_equal(lines_at(r.err, 4, NULL), 1);
        assert_int_equal(lines_at(r.err, 5, NULL), 1);
        assert_int_equal(lines_at(r.err, 2, NULL), 0);
        assert_int_equal(lines_at(r.err, 7, NULL), 0);
        assert_file(root, "proc/sys/vm/swappiness", "10");
        assert_file(root, ETH0, "5000");
        /* the device's own files are as they were */
        assert_file(root, VDA_DEV "scheduler", "[none] mq-deadline kyber bfq");
        assert_file(root, VDA_DEV "read_ahead_kb", "128");
        run_result_free(&r);
}

/* ---- revert ----------------------------------------------------------------- */

static const char revert_conf[] =
        "[hugepages \"2M\"]\npages = 64\n"
        "[hugepages \"1G\"]\npages = 1\n"
        "[sysctl]\nvm.swappiness = 10\nnet.core.somaxconn = 8192\nnet.ipv4.tcp_rmem = 4096 87380 33554432\n"
        "[ksm]\nrun = 1\n"
        "[thp]\nenabled = madvise\n"
        "[block \"vda\"]\nscheduler = mq-deadline\nread_ahead_kb = 4096\n"
        "[netdev \"eth0\"]\ntxqueuelen = 10000\n";

static const struct {
        const char *rel, *before, *after, *recorded;
} reverted[] = {
        { HP2M, "0", "64", "0" },
        { HP1G, "0", "1", "0" },
        { "proc/sys/vm/swappiness", "60", "10", "60" },
        { "proc/sys/net/core/somaxconn", "4096", "8192", "4096" },
        { "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456", "4096 87380 33554432", "4096\\t131072\\t6291456" },
        { KSM "run", "0", "1", "0" },
        { THP "enabled", "[always] madvise never", "always [madvise] never", "always" },
        { VDA "scheduler", "[none] mq-deadline kyber bfq", "none [mq-deadline] kyber bfq", "none" },
        { VDA "read_ahead_kb", "128", "4096", "128" },
        { ETH0, "1000", "10000", "1000" },
};
#define N_REVERTED (sizeof(reverted) / sizeof(*reverted))

/* the order of the first write to each reverted path in the events */
static void write_order(size_t *order)
{
        size_t n = 0;

        for (size_t e = 0; e < n_events; e++)
                for (size_t i = 0; i < N_REVERTED; i++) {
                        char *prefix;
                        bool seen = false;

                        assert_true(asprintf(&prefix, "write %s ", reverted[i].rel) > 0);
                        for (size_t j = 0; j < n; j++)
                                seen |= order[j] == i;
                        if (!seen && !strncmp(events[e], prefix, strlen(prefix)))
                                order[n++] = i;
                        free(prefix);
                }
        assert_int_equal(n, N_REVERTED);
}

static void test_revert(void **state)
{
        const char *root = *state;
        size_t apply_order[N_REVERTED], revert_order[N_REVERTED];
        struct run_result r;
        char *rec;

        fr_write(root, CONF, revert_conf);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        for (size_t i = 0; i < N_REVERTED; i++)
                assert_file(root, reverted[i].rel, reverted[i].after);
        write_order(apply_order);

        /* the record: every old value, written to a temp file, synced, renamed into place */
        rec = fr_read(root, RECORD);
        assert_non_null(rec);
        for (size_t i = 0; i < N_REVERTED; i++) {
                char *line;
                assert_true(asprintf(&line, "%s\t%s\n", reverted[i].rel, reverted[i].recorded) > 0);
                assert_contains(rec, line);
                free(line);
        }
        free(rec);
        /* appended before each kernel write, never rewritten by apply */
        assert_false(ahead_missing);
        assert_int_equal(count_events("rename revert"), 0);
        run_result_free(&r);

        /* revert: old values back, in reverse order, record removed */
        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 0);
        for (size_t i = 0; i < N_REVERTED; i++)
                assert_file(root, reverted[i].rel, reverted[i].before);
        write_order(revert_order);
        for (size_t i = 0; i < N_REVERTED; i++)
                if (revert_order[i] != apply_order[N_REVERTED - 1 - i])
                        fail_msg("revert write %zu is /%s, expected /%s", i, reverted[revert_order[i]].rel,
                                 reverted[apply_order[N_REVERTED - 1 - i]].rel);
        assert_int_equal(count_events("write "), N_REVERTED);
        assert_null(fr_read(root, RECORD));
        run_result_free(&r);

        /* twice: nothing to do, no error */
        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 0);
        assert_int_equal(count_events("write "), 0);
        assert_string_equal(r.err, "");
        run_result_free(&r);
}

/* An apply that changes nothing leaves the record alone; later applies add only what is new. */
/*
 * A section's record lines go in ahead of its writes, together; after them
 * only the lines of files that changed stay, in order: a refused write (the
 * file as it was) and a setting found equal at apply leave none.
 */
static void test_record_batch_cut(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *rec;

        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\nnet.ipv4.tcp_fin_timeout = 30\nfs.file-max = 200000\n");
        fault("proc/sys/net/ipv4/tcp_fin_timeout", NULL, EINVAL);
        ahead_missing = false;
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_false(ahead_missing);
        run_result_free(&r);
        rec = fr_read(root, RECORD);
        assert_string_equal(rec, "proc/sys/vm/swappiness\t60\nproc/sys/fs/file-max\t100000\n");
        free(rec);

        /* every write refused, no record before: no record after */
        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        assert_null(fr_read(root, RECORD));
        fr_write(root, CONF, "[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        run_result_free(&r);
        assert_null(fr_read(root, RECORD));
}

/*
 * The same with more settings than a udev run has: apply then reads the
 * record in pieces and marks the settings it holds (record_scan()) instead
 * of loading it.  A path with a backslash is stored escaped and still found.
 */
static void test_record_kept_many(void **state)
{
        const char *root = *state;
        char conf[1024] = "[sysctl]\n", want[2048] = "", rel[64], *after;
        struct run_result r;

        for (int i = 0; i < 10; i++) {
                snprintf(rel, sizeof(rel), "proc/sys/kt/k%d", i);
                fr_write(root, rel, "0\n");
                snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf), "kt.k%d = 1\n", i);
                snprintf(want + strlen(want), sizeof(want) - strlen(want), "proc/sys/kt/k%d\t0\n", i);
        }
        fr_write(root, "proc/sys/kt/a\\b", "0\n");
        strcat(conf, "kt.a\\b = 1\n");
        strcat(want, "proc/sys/kt/a\\\\b\t0\n");
        fr_write(root, CONF, conf);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        after = fr_read(root, RECORD);
        assert_string_equal(after, want);
        free(after);

        /* drift everywhere and a new key: only the new key's line is added */
        for (int i = 0; i < 10; i++) {
                snprintf(rel, sizeof(rel), "proc/sys/kt/k%d", i);
                fr_write(root, rel, "5\n");
        }
        fr_write(root, "proc/sys/kt/a\\b", "5\n");
        fr_write(root, "proc/sys/kt/k10", "7\n");
        strcat(conf, "kt.k10 = 1\n");
        fr_write(root, CONF, conf);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        strcat(want, "proc/sys/kt/k10\t7\n");
        after = fr_read(root, RECORD);
        assert_string_equal(after, want);
        free(after);

        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        assert_file(root, "proc/sys/kt/k3", "0");
        assert_file(root, "proc/sys/kt/a\\b", "0");
        assert_file(root, "proc/sys/kt/k10", "7");
}

static void test_record_kept(void **state)
{
        const char *root = *state;
        struct stat a, b;
        char *path, *before, *after;
        struct run_result r;

        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        assert_true(asprintf(&path, "%s/" RECORD, root) > 0);
        assert_int_equal(stat(path, &a), 0);
        before = fr_read(root, RECORD);

        kv(&r, root, CMD_APPLY);                /* nothing changes */
        assert_int_equal(r.status, 0);
        assert_int_equal(count_events("write "), 0);
        assert_int_equal(count_events("rename revert"), 0);
        assert_int_equal(count_events("fsync "), 0);
        /* only the status of the last apply (metrics.c) is replaced, whole */
        assert_int_equal(count_events("rename last-apply."), 1);
        assert_int_equal(stat(path, &b), 0);
        assert_true(a.st_ino == b.st_ino && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
                    a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
        run_result_free(&r);

        /* drift, and a new key: the first old value stays, the new one is added */
        fr_write(root, "proc/sys/vm/swappiness", "30\n");
        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\nfs.file-max = 200000\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        after = fr_read(root, RECORD);
        assert_string_equal(after, "proc/sys/vm/swappiness\t60\nproc/sys/fs/file-max\t100000\n");
        assert_string_equal(before, "proc/sys/vm/swappiness\t60\n");
        run_result_free(&r);

        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 0);
        assert_file(root, "proc/sys/vm/swappiness", "60");
        assert_file(root, "proc/sys/fs/file-max", "100000");
        run_result_free(&r);
        free(before);
        free(after);
        free(path);
}

/*
 * A record that cannot be written stops the writes it would protect; one
 * that revert cannot rename into place stays as it was, no temp file left.
 */
static void test_record_rename_fails(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *rec;

        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);

        /* the record cannot take a line (here: it is a directory now) */
        rec = fr_read(root, RECORD);
        fr_write(root, "run/kvmtune/revert.keep", rec);
        free(rec);
        char *p, *q;
        assert_true(asprintf(&p, "%s/" RECORD, root) > 0);
        assert_true(asprintf(&q, "%s/run/kvmtune/revert.keep", root) > 0);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkdir(p, 0755), 0);
        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\nnet.core.somaxconn = 8192\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "cannot write the revert record");
        assert_contains(r.err, "net.core.somaxconn: not written");
        assert_file(root, "proc/sys/net/core/somaxconn", "4096");
        assert_int_equal(count_events("write proc/sys/net/core/somaxconn"), 0);
        run_result_free(&r);
        assert_int_equal(rmdir(p), 0);
        assert_int_equal(rename(q, p), 0);

        /* revert with a failing knob rewrites the record; the rename fails: the record stays whole */
        fr_write(root, "proc/sys/vm/swappiness", "10\n");
        fault("proc/sys/vm/swappiness", NULL, EBUSY);
        rename_err = EIO;
        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "revert record");
        rec = fr_read(root, RECORD);
        assert_string_equal(rec, "proc/sys/vm/swappiness\t60\n");
        free(rec);
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "run/kvmtune/revert.%ld.tmp", (long)getpid());
        assert_null(fr_read(root, tmp));
        run_result_free(&r);
        free(p);
        free(q);
}

/* A revert write that fails is reported; the others are put back; the failed one stays recorded. */
static void test_revert_fault(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *rec;

        fr_write(root, CONF, "[sysctl]\nvm.swappiness = 10\nnet.core.somaxconn = 8192\n[ksm]\nmerge_across_nodes = 0\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);

        fault(KSM "merge_across_nodes", NULL, EBUSY);
        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "merge_across_nodes");
        assert_contains(r.err, strerror(EBUSY));
        assert_file(root, "proc/sys/vm/swappiness", "60");
        assert_file(root, "proc/sys/net/core/somaxconn", "4096");
        assert_file(root, KSM "merge_across_nodes", "0");
        rec = fr_read(root, RECORD);
        if (!rec || strcmp(rec, KSM "merge_across_nodes\t1\n"))
                fail_msg("the record after a failed revert is '%s', expected only the failed entry", rec);
        free(rec);
        run_result_free(&r);

        /* once the cause is gone, revert finishes */
        n_faults = 0;
        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 0);
        assert_file(root, KSM "merge_across_nodes", "1");
        assert_null(fr_read(root, RECORD));
        run_result_free(&r);
}

/* A knob gone since apply (an interface removed) is no error for revert: nothing to put back. */
static void test_revert_gone(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *path;

        fr_write(root, CONF, "[sysctl]\nnet.ipv4.conf.*.rp_filter = 1\nvm.swappiness = 10\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);

        /* eth0 goes away */
        assert_true(asprintf(&path, "%s/proc/sys/net/ipv4/conf/eth0/rp_filter", root) > 0);
        assert_int_equal(unlink(path), 0);
        free(path);

        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 0);
        assert_not_contains(r.err, "eth0");
        assert_file(root, "proc/sys/vm/swappiness", "60");
        assert_file(root, "proc/sys/net/ipv4/conf/lo/rp_filter", "0");
        assert_null(fr_read(root, RECORD));
        run_result_free(&r);
}

/* A record that names paths outside /proc/sys and /sys, or climbs, writes nothing there. */
static void test_hostile_record(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "bait", "bait\n");
        fr_write(root, "etc/bait", "bait\n");
        fr_write(root, "proc/sys/vm/swappiness", "10\n");
        fr_write(root, RECORD,
                 "proc/sys/../../bait\t1\n"
                 "sys/../etc/bait\t1\n"
                 "/bait\t1\n"
                 "etc/bait\t1\n"
                 "no tab here\n"
                 "\t\n"
                 "proc/sys/vm/swappiness\t60\n");
        kv(&r, root, CMD_REVERT);
        assert_int_equal(r.status, 1);
        assert_file(root, "bait", "bait");
        assert_file(root, "etc/bait", "bait");
        assert_file(root, "proc/sys/vm/swappiness", "60");
        assert_int_equal(count_events("write etc/"), 0);
        assert_int_equal(count_events("write /"), 0);
        run_result_free(&r);
}

/*
 * Links in the tree that lead out of the root (or, under /proc/sys,
 * anywhere): nothing outside is read or written, with openat2 and, last
 * (kvmtune then stops trying it), with the hand-made resolution it falls
 * back to when openat2 is missing.
 */
static void containment(const char *root, const char *out, bool run_outside)
{
        char *abs_victim, *rel_victim, *outrun;
        struct run_result r;

        fr_write(out, "victim", "orig\n");
        fr_write(out, "proc/sys/vm/swappiness", "60\n");
        fr_mkdir(out, "run");
        fr_write(root, "bait", "bait\n");
        assert_true(asprintf(&abs_victim, "%s/victim", out) > 0);
        assert_true(asprintf(&rel_victim, "../../../../../../../..%s/victim", out) > 0);
        assert_true(asprintf(&outrun, "%s/run", out) > 0);
        fr_symlink(root, abs_victim, "proc/sys/net/abs");               /* absolute, outside */
        fr_symlink(root, rel_victim, "proc/sys/net/rel");               /* climbing */
        fr_symlink(root, "../../../bait", "proc/sys/net/up");           /* inside, not /proc/sys */
        fr_symlink(root, "../../../sys/kernel/mm/ksm", "proc/sys/net/ksm");
        fr_symlink(root, abs_victim, "sys/kernel/mm/ksm/sleep_millisecs");
        fr_symlink(root, rel_victim, "sys/kernel/mm/ksm/pages_to_scan");
        fr_symlink(root, "../../../../bait", "sys/kernel/mm/ksm/run");  /* inside the root: fine */
        fr_write(root, CONF,
                 "[sysctl]\n"
                 "net.abs = 1\n"                        /* 2 */
                 "net.rel = 1\n"                        /* 3 */
                 "net.up = 1\n"                         /* 4 */
                 "net.ksm.max_page_sharing = 1\n"       /* 5 */
                 "-net.*.max_page_sharing = 2\n"        /* no match: links are not followed */
                 "vm.swappiness = 10\n"                 /* 7: applies */
                 "[ksm]\n"
                 "sleep_millisecs = 1\n"                /* 9: resolves to <root><out>/victim: absent */
                 "pages_to_scan = 1\n"                  /* 10: likewise */
                 "run = 1\n");                          /* 11: <root>/bait */
        /* the revert record's directory links outside too */
        if (run_outside)
                fr_symlink(root, outrun, "run");

        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        for (unsigned line = 2; line <= 10; line++)
                if (line != 6 && line != 7 && line != 8 && !lines_at(r.err, line, NULL))
                        fail_msg("no error on line %u:\n%s", line, r.err);
        assert_int_equal(lines_at(r.err, 6, NULL), 0);
        assert_int_equal(lines_at(r.err, 7, NULL), 0);
        assert_int_equal(lines_at(r.err, 11, NULL), 0);
        assert_file(out, "victim", "orig");
        assert_file(root, "sys/kernel/mm/ksm/max_page_sharing", "256");
        if (run_outside) {
                /* the record cannot be written: nothing is changed at all */
                assert_contains(r.err, "cannot write the revert record");
                assert_int_equal(count_events("write "), 0);
                assert_file(root, "proc/sys/vm/swappiness", "60");
                assert_file(root, "bait", "bait");
        } else {
                assert_not_contains(r.err, "revert record");
                assert_file(root, "proc/sys/vm/swappiness", "10");
                assert_file(root, "bait", "1");
        }
        assert_null(fr_read(out, "run/kvmtune/revert"));
        assert_null(fr_read(out, "run/kvmtune/revert.tmp"));
        run_result_free(&r);
        free(abs_victim);
        free(rel_victim);
        free(outrun);
}

static void test_containment(void **state)
{
        char *out = fr_new();

        containment(*state, out, false);
        fr_free(out);
}

static void test_containment_run_outside(void **state)
{
        char *out = fr_new();

        containment(*state, out, true);
        fr_free(out);
}

static void test_containment_without_openat2(void **state)
{
        char *out = fr_new();

        no_openat2 = true;
        containment(*state, out, false);
        assert_true(count_events("write ") > 0);
        fr_free(out);
}

static void test_containment_run_outside_without_openat2(void **state)
{
        char *out = fr_new();

        no_openat2 = true;
        containment(*state, out, true);
        fr_free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(test_each_fault_reported),
                T(test_each_errno),
                T(test_device_vanishes),
                T(test_scheduler_busy_once),
                T(test_openat2_eagain),
                T(test_probe_eacces),
                T(test_revert),
                T(test_record_batch_cut),
                T(test_record_kept),
                T(test_record_kept_many),
                T(test_record_rename_fails),
                T(test_revert_fault),
                T(test_revert_gone),
                T(test_hostile_record),
                T(test_containment),
                T(test_containment_run_outside),
                T(test_containment_without_openat2),    /* last: kvmtune then stays without openat2 */
                T(test_containment_run_outside_without_openat2),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
