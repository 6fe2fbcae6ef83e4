/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the readers of `kvmtune import`, above all the shell
 * reader of rc.local, on a fake root.
 *
 * Each input is one source file; its first byte picks the reader (mostly
 * rc.local, now and then grub, udev rules, sysctl.conf or fstab).  The file
 * is read in-process exactly as import reads it (checked lines, the reader,
 * imp_finish, the emitter), and the configuration printed must parse
 * without a single error: import may refuse anything, but what it prints
 * must be a configuration kvmtune accepts.  Nothing read is executed.
 *
 *     make fuzz                      # FUZZ_SECONDS=600 for each target
 *     fuzz/fuzz_shell -close_fd_mask=3 -dict=fuzz/shell.dict fuzz/corpus-shell tests/fuzz-corpus-shell
 *
 * A crash is saved as crash-<sha1>; reproduce it with `fuzz/fuzz_shell crash-<sha1>`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/import.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[] = "/tmp/kvmtune-fuzz-shell-XXXXXX";
static FILE *devnull;

#include "fuzz_tree.h"

/* the kernel files the import paths probe, /bin/sh as dash, a TuneD profile, a sysctl file */
static void make_tree(void)
{
        char rel[256];

        put("proc/sys/net/ipv4/conf/eth0/rp_filter", "0\n");
        put("proc/sys/net/ipv4/conf/all/rp_filter", "0\n");
        put("proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
        put("proc/sys/net/core/somaxconn", "4096\n");
        put("proc/sys/vm/swappiness", "60\n");
        put("proc/sys/vm/nr_hugepages", "0\n");
        put("proc/sys/vm/drop_caches", "");
        put("proc/meminfo", "MemTotal:       16384000 kB\nHugepagesize:       2048 kB\n");
        for (int node = 0; node < 2; node++) {
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages", node);
                put(rel, "0\n");
        }
        put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
        put("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
        put("sys/kernel/mm/ksm/run", "0\n");
        put("sys/kernel/mm/ksm/pages_to_scan", "100\n");
        put("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
        put("sys/kernel/mm/transparent_hugepage/defrag", "[madvise] never\n");
        put("sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/scheduler", "[none] mq-deadline\n");
        put("sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", "128\n");
        link_to("../devices/pci0000:00/0000:00:04.0/block/vda", "sys/block/vda");
        put("sys/devices/virtual/net/eth0/tx_queue_len", "1000\n");
        link_to("../../devices/virtual/net/eth0", "sys/class/net/eth0");
        put("sys/class/block/vda1/partition", "1\n");
        link_to("dash", "usr/bin/sh");
        put("etc/sysctl.conf", "vm.swappiness = 10\n");
        put("usr/lib/tuned/kvm/tuned.conf", "[main]\ninclude=base\n[sysctl]\nvm.swappiness=5\n[cpu]\ngovernor=x\n");
        put("usr/lib/tuned/base/tuned.conf", "[main]\ninclude=kvm\n[disk]\nreadahead=4096\n");
        put("usr/lib/systemd/system/dev-hugepages.mount", "[Mount]\n");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        tree_init(make_tree);
        devnull = fopen("/dev/null", "w");
        if (!devnull)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct kvmtune k = { .root = root, .rootfd = -1, .kmsg_fd = -1, .cmd = CMD_PLAN, .quiet = true };
        struct kvmtune check = { .root = root, .rootfd = -1, .kmsg_fd = -1, .cmd = CMD_PLAN, .quiet = true };
        struct imp im = { .k = &k, .report = devnull, .default_kb = 2048 };
        struct imp_file f = { .shown = (char *)"/etc/rc.local", .kind = IK_SHELL };
        char *out = NULL;
        size_t out_len = 0;
        FILE *m;

        if (size > 1 << 16)
                return 0;
        if (size) {
                switch (data[0] % 16) {
                case 1:
                        f.kind = IK_GRUB;
                        break;
                case 2:
                        f.kind = IK_UDEV;
                        break;
                case 3:
                        f.kind = IK_SYSCTL;
                        break;
                case 4:
                        f.kind = IK_FSTAB;
                        break;
                default:
                        break;
                }
        }
        f.text = malloc(size + 1);
        if (!f.text)
                abort();
        memcpy(f.text, data, size);
        f.text[size] = '\0';
        f.len = size;
        imp_split_lines(&f, 1);
        log_setup(&k);
        if (kernfs_open_root(&k) < 0)
                abort();
        switch (f.kind) {
        case IK_GRUB:
                imp_read_grub(&im, &f, 1);
                break;
        case IK_UDEV:
                imp_read_udev(&im, &f);
                break;
        case IK_SYSCTL:
                imp_read_sysctl(&im, &f);
                break;
        case IK_FSTAB:
                imp_read_fstab(&im, &f);
                break;
        default:
                imp_read_shell(&im, &f);
                break;
        }
        imp_finish(&im);
        m = open_memstream(&out, &out_len);
        if (!m)
                abort();
        imp_emit(&im, m);
        fclose(m);
        imp_free(&im);
        free(f.text);
        free(f.lines);

        /* the oracle: what import prints is a configuration kvmtune accepts */
        log_setup(&check);
        if (kernfs_open_root(&check) < 0)
                abort();
        check.quiet = false;
        config_parse_text(&check, "imported.conf", out, out_len);
        if (check.n_errors) {
                fprintf(stderr, "fuzz_shell: the imported configuration does not parse:\n%s\n", out);
                abort();
        }
        kvmtune_free(&check);
        close(check.rootfd);
        kvmtune_free(&k);
        close(k.rootfd);
        free(out);
        return 0;
}
