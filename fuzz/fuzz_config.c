/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: configuration parsing and planning on a fake root.
 *
 * A small kernel-like tree is made once under /tmp; each input is written
 * as <root>/etc/kvmtune/conf.d/50-fuzz.conf and kvmtune plans it in-process
 * (config load, every section's parse and plan, the conflict check and the
 * plan report), exactly as `kvmtune --root DIR plan` would.  Nothing is
 * applied, so the tree stays the same from one input to the next.  The
 * first byte of an input also picks `verify` or `cat-config` now and then.
 *
 *     make fuzz                      # FUZZ_SECONDS=600 by default
 *     fuzz/fuzz_config -close_fd_mask=3 fuzz/corpus tests/fuzz-corpus
 *
 * A crash is saved as crash-<sha1> in the current directory; reproduce it
 * with `fuzz/fuzz_config crash-<sha1>`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[] = "/tmp/kvmtune-fuzz-XXXXXX";
static char conf[sizeof(root) + 64];

#include "fuzz_tree.h"

/* What tests/helpers.c's fr_standard() makes, plus NUMA nodes, conntrack and a mount table. */
static void make_tree(void)
{
        static const char *const conf_dirs[] = { "all", "default", "lo", "eth0" };
        char rel[256];

        for (size_t i = 0; i < 4; i++) {
                snprintf(rel, sizeof(rel), "proc/sys/net/ipv4/conf/%s/rp_filter", conf_dirs[i]);
                put(rel, "0\n");
                snprintf(rel, sizeof(rel), "proc/sys/net/ipv6/conf/%s/forwarding", conf_dirs[i]);
                put(rel, "0\n");
        }
        put("proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
        put("proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
        put("proc/sys/net/ipv4/tcp_congestion_control", "cubic\n");
        put("proc/sys/net/ipv4/tcp_available_congestion_control", "reno cubic\n");
        put("proc/sys/net/core/somaxconn", "4096\n");
        put("proc/sys/net/netfilter/nf_conntrack_max", "65536\n");
        put("proc/sys/vm/swappiness", "60\n");
        put("proc/sys/vm/nr_hugepages", "0\n");
        put("proc/sys/vm/nr_overcommit_hugepages", "0\n");
        put("proc/sys/vm/compact_memory", "");
        put("proc/sys/fs/file-max", "100000\n");
        put("proc/sys/kernel/osrelease", "6.1.0-fuzz\n");
        put("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet\n");
        put("proc/meminfo", "MemTotal:       16384000 kB\nMemFree:        15000000 kB\n"
                            "HugePages_Total:       0\nHugepagesize:       2048 kB\n");
        put("proc/self/mountinfo",
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
            "40 22 0:40 / /dev/hugepages rw,relatime shared:2 - hugetlbfs hugetlbfs rw,pagesize=2M\n");
        put("proc/modules", "");
        for (int node = 0; node < 2; node++)
                for (int s = 0; s < 2; s++) {
                        snprintf(rel, sizeof(rel),
                                 "sys/devices/system/node/node%d/hugepages/hugepages-%skB/nr_hugepages", node,
                                 s ? "1048576" : "2048");
                        put(rel, "0\n");
                }
        put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
        put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_overcommit_hugepages", "0\n");
        put("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
        put("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_overcommit_hugepages", "0\n");
        put("sys/kernel/mm/ksm/run", "0\n");
        put("sys/kernel/mm/ksm/pages_to_scan", "100\n");
        put("sys/kernel/mm/ksm/merge_across_nodes", "1\n");
        put("sys/kernel/mm/ksm/advisor_mode", "[none] scan-time\n");
        put("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
        put("sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n");
        put("sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/scheduler", "[none] mq-deadline kyber bfq\n");
        put("sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/rotational", "1\n");
        put("sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", "128\n");
        put("sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/nr_requests", "256\n");
        link_to("../devices/pci0000:00/0000:00:04.0/block/vda", "sys/block/vda");
        put("sys/devices/virtual/block/zram0/queue/read_ahead_kb", "128\n");
        link_to("../devices/virtual/block/zram0", "sys/block/zram0");
        put("sys/devices/virtual/net/eth0/tx_queue_len", "1000\n");
        link_to("../../devices/virtual/net/eth0", "sys/class/net/eth0");
        put("sys/module/nf_conntrack/parameters/hashsize", "16384\n");
        put("sys/module/tcp_cubic/refcnt", "1\n");
        /* a lower-priority file of the same name, and a mask, for the search path */
        put("usr/lib/kvmtune/conf.d/50-fuzz.conf", "[sysctl]\nvm.swappiness = 1\n");
        put("usr/lib/kvmtune/conf.d/10-vendor.conf", "[ksm]\nrun = 1\n");
        link_to("/dev/null", "etc/kvmtune/conf.d/10-vendor.conf");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        tree_init(make_tree);
        snprintf(conf, sizeof(conf), "%s/etc/kvmtune/conf.d/50-fuzz.conf", root);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct kvmtune k = { .root = root, .rootfd = -1, .kmsg_fd = -1, .cmd = CMD_PLAN };
        int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t done = 0;

        if (fd < 0)
                abort();
        while (done < size) {
                ssize_t n = write(fd, data + done, size - done);
                if (n <= 0)
                        abort();
                done += (size_t)n;
        }
        close(fd);
        /* now and then another command and options over the same parse */
        if (size > 0) {
                switch (data[0] % 16) {
                case 1:
                        k.cmd = CMD_VERIFY;
                        break;
                case 2:
                        k.cmd = CMD_CAT_CONFIG;
                        break;
                case 3:
                        k.json = true;
                        break;
                case 4:
                        k.stage = STAGE_INITRD;
                        break;
                case 5:
                        k.device = "vda";
                        k.only = (1u << SEC_BLOCK) | (1u << SEC_NETDEV);
                        break;
                default:
                        break;
                }
        }
        log_setup(&k);
        if (kernfs_open_root(&k) < 0)
                abort();
        kvmtune_run(&k);
        close(k.rootfd);
        return 0;
}
