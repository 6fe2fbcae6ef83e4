/* SPDX-License-Identifier: MIT */
/*
 * bench/tick.sh's reference, not a part of kvmtune: the system calls a
 * [ksm] run = auto tick cannot do without, and nothing else.  It reads
 * what a tick reads (/proc/cmdline, every *.conf of the four conf.d
 * directories, the state file, /proc/uptime, /proc/meminfo, the process
 * table: each process's exe and a guest's statm, the run knob), takes the
 * lock, writes the run knob (the opposite of what it read: bench/tick.sh
 * flips it back before every run) and replaces the state file.  It parses
 * nothing, decides nothing, records nothing for revert and reads nothing
 * back: the cost of a tick's input and output on this machine, below
 * which no implementation that execs once a tick can go.
 *
 * Usage: tick-floor ROOT (as `kvmtune --root ROOT`).  Built by bench/tick.sh
 * with kvmtune's compiler flags, statically when kvmtune is.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[1 << 16];

static ssize_t read_file(int dfd, const char *rel)
{
        struct stat st;
        ssize_t n;
        int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof(buf)) : -1;
        close(fd);
        return n;
}

static void read_dir(int root, const char *rel)
{
        int fd = openat(root, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        if (fd < 0 || !(d = fdopendir(fd)))
                return;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strstr(de->d_name, ".conf"))
                        read_file(dirfd(d), de->d_name);
        closedir(d);
}

static void scan(int root)
{
        char rel[64], exe[4096];
        struct dirent *de;
        ssize_t n;
        DIR *d;
        int fd = openat(root, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || !(d = fdopendir(fd)))
                return;
        while ((de = readdir(d))) {
                const char *base;
                size_t len = 0;

                while (len <= 20 && isdigit((unsigned char)de->d_name[len]))
                        len++;
                if (!len || len > 20 || de->d_name[len])
                        continue;
                memcpy(rel, de->d_name, len);
                memcpy(rel + len, "/exe", sizeof("/exe"));
                n = readlinkat(dirfd(d), rel, exe, sizeof(exe) - 1);
                if (n <= 0)
                        continue;
                exe[n] = '\0';
                base = strrchr(exe, '/');
                base = base ? base + 1 : exe;
                if (!strncmp(base, "qemu-system-", 12) || !strcmp(base, "qemu-kvm") || !strcmp(base, "kvm")) {
                        memcpy(rel + len, "/statm", sizeof("/statm"));
                        read_file(dirfd(d), rel);
                }
        }
        closedir(d);
}

int main(int argc, char **argv)
{
        static const char *const dirs[] = { "etc/kvmtune/conf.d", "run/kvmtune/conf.d",
                                            "usr/local/lib/kvmtune/conf.d", "usr/lib/kvmtune/conf.d" };
        static const char state[] = "npages 0\n";
        int root, lock, fd;
        ssize_t n;

        if (argc != 2) {
                fprintf(stderr, "usage: %s ROOT\n", argv[0]);
                return 2;
        }
        root = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return 1;
        read_file(root, "proc/cmdline");
        for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
                read_dir(root, dirs[i]);
        lock = openat(root, "run/kvmtune/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock < 0 || flock(lock, LOCK_EX) < 0)
                return 1;
        read_file(root, "run/kvmtune/ksm-auto");
        read_file(root, "proc/uptime");
        read_file(root, "proc/meminfo");
        scan(root);
        n = read_file(root, "sys/kernel/mm/ksm/run");
        fd = openat(root, "sys/kernel/mm/ksm/run", O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (n <= 0 || fd < 0 || write(fd, buf[0] == '1' ? "0" : "1", 1) != 1)
                return 1;
        close(fd);
        fd = openat(root, "run/kvmtune/ksm-auto.floor.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, state, sizeof(state) - 1) != (ssize_t)sizeof(state) - 1 || fsync(fd) < 0)
                return 1;
        close(fd);
        if (renameat(root, "run/kvmtune/ksm-auto.floor.tmp", root, "run/kvmtune/ksm-auto.floor") < 0)
                return 1;
        close(lock);
        return 0;
}
