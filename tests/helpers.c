/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "kvmtune.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void mkdir_p(const char *path)
{
        char *p = strdup(path);

        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        mkdir(p, 0755);
                        *s = '/';
                }
        mkdir(p, 0755);
        free(p);
}

char *fr_new(void)
{
        char *root = strdup("/tmp/kvmtune-test-XXXXXX");

        assert_non_null(mkdtemp(root));
        chmod(root, 0755);
        return root;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

void fr_free(char *root)
{
        if (root && !strncmp(root, "/tmp/kvmtune-test-", 18))
                nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}

static char *join(const char *root, const char *rel)
{
        char *p;

        assert_true(asprintf(&p, "%s/%s", root, rel) > 0);
        return p;
}

static void mkparent(const char *path)
{
        char *d = strdup(path), *slash = strrchr(d, '/');

        if (slash) {
                *slash = '\0';
                mkdir_p(d);
        }
        free(d);
}

void fr_write(const char *root, const char *rel, const char *content)
{
        char *path = join(root, rel);
        FILE *f;

        mkparent(path);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
        free(path);
}

void fr_writef(const char *root, const char *rel, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        assert_true(vasprintf(&s, fmt, ap) >= 0);
        va_end(ap);
        fr_write(root, rel, s);
        free(s);
}

void fr_mkdir(const char *root, const char *rel)
{
        char *path = join(root, rel);

        mkdir_p(path);
        free(path);
}

void fr_symlink(const char *root, const char *target, const char *rel)
{
        char *path = join(root, rel);

        mkparent(path);
        unlink(path);
        assert_int_equal(symlink(target, path), 0);
        free(path);
}

char *fr_read(const char *root, const char *rel)
{
        char *path = join(root, rel), *buf = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "r");

        free(path);
        if (!f)
                return NULL;
        FILE *m = open_memstream(&buf, &len);
        int c;
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(m);
        fclose(f);
        return buf;
}

char *fr_read_trim(const char *root, const char *rel)
{
        char *s = fr_read(root, rel);
        size_t n;

        if (!s)
                return NULL;
        n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
                s[--n] = '\0';
        return s;
}

/*
 * A small tree shaped like the kernel's: net sysctls, meminfo, hugepages
 * of 2M and 1G, ksm, thp, two disks and an interface, the devices being
 * symlinks into /sys/devices as on a real system.
 */
void fr_standard(const char *root)
{
        static const char *const conf[] = { "all", "default", "lo", "eth0" };

        for (size_t i = 0; i < 4; i++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "proc/sys/net/ipv4/conf/%s/rp_filter", conf[i]);
                fr_write(root, rel, "0\n");
                snprintf(rel, sizeof(rel), "proc/sys/net/ipv4/conf/%s/log_martians", conf[i]);
                fr_write(root, rel, "0\n");
        }
        fr_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
        fr_write(root, "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
        fr_write(root, "proc/sys/net/ipv4/tcp_congestion_control", "cubic\n");
        fr_write(root, "proc/sys/net/ipv4/tcp_available_congestion_control", "reno cubic\n");
        fr_write(root, "proc/sys/net/core/somaxconn", "4096\n");
        fr_write(root, "proc/sys/vm/swappiness", "60\n");
        fr_write(root, "proc/sys/vm/nr_hugepages", "0\n");
        fr_write(root, "proc/sys/vm/compact_memory", "");
        char *compact = join(root, "proc/sys/vm/compact_memory");
        chmod(compact, 0200);   /* write-only, as on the kernel */
        free(compact);
        fr_write(root, "proc/sys/fs/file-max", "100000\n");
        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet\n");
        fr_write(root, "proc/meminfo",
                 "MemTotal:       16384000 kB\n"
                 "MemFree:        15000000 kB\n"
                 "HugePages_Total:       0\n"
                 "Hugepagesize:       2048 kB\n");
        fr_write(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
        fr_write(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_overcommit_hugepages", "0\n");
        fr_write(root, "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0\n");
        fr_write(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
        fr_write(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_overcommit_hugepages", "0\n");
        fr_write(root, "sys/kernel/mm/ksm/run", "0\n");
        fr_write(root, "sys/kernel/mm/ksm/pages_to_scan", "100\n");
        fr_write(root, "sys/kernel/mm/ksm/sleep_millisecs", "20\n");
        fr_write(root, "sys/kernel/mm/ksm/merge_across_nodes", "1\n");
        fr_write(root, "sys/kernel/mm/ksm/max_page_sharing", "256\n");
        fr_write(root, "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
        fr_write(root, "sys/kernel/mm/transparent_hugepage/defrag",
                 "always defer defer+madvise [madvise] never\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/scheduler",
                 "[none] mq-deadline kyber bfq\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/rotational", "0\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", "128\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/nr_requests", "256\n");
        fr_symlink(root, "../devices/pci0000:00/0000:00:04.0/block/vda", "sys/block/vda");
        fr_write(root, "sys/devices/virtual/block/zram0/queue/read_ahead_kb", "128\n");
        fr_write(root, "sys/devices/virtual/block/zram0/queue/rotational", "0\n");
        fr_symlink(root, "../devices/virtual/block/zram0", "sys/block/zram0");
        fr_write(root, "sys/devices/virtual/net/eth0/tx_queue_len", "1000\n");
        fr_symlink(root, "../../devices/virtual/net/eth0", "sys/class/net/eth0");
        fr_mkdir(root, "sys/module");
        fr_mkdir(root, "etc/kvmtune/conf.d");
}

static char *slurp_fd(int fd)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        char chunk[4096];
        ssize_t n;

        while ((n = read(fd, chunk, sizeof(chunk))) > 0)
                fwrite(chunk, 1, (size_t)n, m);
        fclose(m);
        return buf;
}

void kv_run_argv(struct run_result *r, const char *root, const char *const *argv)
{
        const char *bin = getenv("KVMTUNE") ? getenv("KVMTUNE") : "./kvmtune";
        const char *args[64];
        size_t n = 0;
        char outp[] = "/tmp/kvmtune-out-XXXXXX", errp[] = "/tmp/kvmtune-err-XXXXXX";
        int ofd = mkstemp(outp), efd = mkstemp(errp), st;
        pid_t pid;

        assert_true(ofd >= 0 && efd >= 0);
        args[n++] = bin;
        if (root) {
                args[n++] = "--root";
                args[n++] = root;
        }
        for (; *argv && n < 62; argv++)
                args[n++] = *argv;
        args[n] = NULL;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(ofd, 1);
                dup2(efd, 2);
                unsetenv("JOURNAL_STREAM");
                execv(bin, (char *const *)args);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        lseek(ofd, 0, SEEK_SET);
        lseek(efd, 0, SEEK_SET);
        r->out = slurp_fd(ofd);
        r->err = slurp_fd(efd);
        close(ofd);
        close(efd);
        unlink(outp);
        unlink(errp);
}

void kv_run(struct run_result *r, const char *root, ...)
{
        const char *argv[60];
        size_t n = 0;
        va_list ap;

        va_start(ap, root);
        while (n < 59 && (argv[n] = va_arg(ap, const char *)))
                n++;
        va_end(ap);
        argv[n] = NULL;
        kv_run_argv(r, root, argv);
}

void run_result_free(struct run_result *r)
{
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}

bool contains(const char *haystack, const char *needle)
{
        return haystack && strstr(haystack, needle);
}

void kv_run_inproc(struct run_result *r, const char *root, int cmd, unsigned write_timeout)
{
        kv_run_inproc_opts(r, root, &(struct inproc){ .cmd = cmd, .write_timeout = write_timeout });
}

void kv_run_inproc_device(struct run_result *r, const char *root, int cmd, unsigned write_timeout,
                          const char *device)
{
        kv_run_inproc_opts(r, root, &(struct inproc){ .cmd = cmd, .write_timeout = write_timeout,
                                                      .device = device });
}

void kv_run_inproc_opts(struct run_result *r, const char *root, const struct inproc *o)
{
        struct kvmtune k = { .root = root, .rootfd = -1, .kmsg_fd = -1, .cmd = (enum command)o->cmd,
                             .device = o->device, .only = o->only };
        char op[] = "/tmp/kvmtune-out-XXXXXX", ep[] = "/tmp/kvmtune-err-XXXXXX";
        int ofd = mkstemp(op), efd = mkstemp(ep), so, se;

        assert_true(ofd >= 0 && efd >= 0);
        unlink(op);
        unlink(ep);
        fflush(stdout);
        fflush(stderr);
        so = dup(1);
        se = dup(2);
        dup2(ofd, 1);
        dup2(efd, 2);
        log_setup(&k);
        if (o->write_timeout)
                kernfs_write_timeout(&k, o->write_timeout);
        assert_int_equal(kernfs_open_root(&k), 0);
        if (o->before_run)
                o->before_run();
        r->status = kvmtune_run(&k);
        fflush(stdout);
        fflush(stderr);
        dup2(so, 1);
        dup2(se, 2);
        close(so);
        close(se);
        close(k.rootfd);
        lseek(ofd, 0, SEEK_SET);
        lseek(efd, 0, SEEK_SET);
        r->out = slurp_fd(ofd);
        r->err = slurp_fd(efd);
        close(ofd);
        close(efd);
}

void want_value(const char *root, const char *rel, const char *want)
{
        char *v = fr_read_trim(root, rel);

        if (!v || strcmp(v, want))
                fail_msg("%s: '%s', expected '%s'", rel, v ? v : "(absent)", want);
        free(v);
}

void want_in(const char *what, const char *text, const char *needle)
{
        if (!contains(text, needle))
                fail_msg("%s lacks '%s':\n%s", what, needle, text ? text : "(null)");
}

void want_not_in(const char *what, const char *text, const char *needle)
{
        if (contains(text, needle))
                fail_msg("%s has '%s':\n%s", what, needle, text);
}

void want_status(const struct run_result *r, int status)
{
        if (r->status != status)
                fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r->status, status,
                         r->out, r->err);
}
