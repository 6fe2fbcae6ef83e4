/* SPDX-License-Identifier: MIT */
/*
 * kvmtune import on a fake root: a host tuned the way the KVM guides say
 * (grub elevator= and hugepages, rc.local echo/modprobe/ifconfig/ip/sysctl,
 * sysctl.conf socket buffers and tcp_tw_recycle, an fstab hugetlbfs line,
 * modprobe.d conntrack hashsize).  The printed configuration is parsed back
 * (in-process with config_parse_text, and by kvmtune plan), must hold
 * exactly the expected settings with their source comments and conflict
 * notes, and applied on the fake root must put every value the old files
 * asked for in place.  A hostile rc.local runs nothing, creates nothing and
 * carries nothing outside the allowed paths.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"

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

/*
 * The settings of a configuration text, one "[section "sub"] key = value"
 * line each, in order, comments left out: what a reader of the file sees.
 */
static char *settings_of(const char *text)
{
        char *copy = strdup(text), *save = NULL, *out = NULL, section[512] = "";
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);

        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                l += strspn(l, " \t");
                if (!*l || *l == '#' || *l == ';')
                        continue;
                if (*l == '[') {
                        snprintf(section, sizeof(section), "%s", l);
                        continue;
                }
                fprintf(m, "%s %s\n", section, l);
        }
        fclose(m);
        free(copy);
        return out;
}

/* The text parses as a kvmtune configuration without a single error. */
static void parses_cleanly(const char *root, const char *text)
{
        struct kvmtune k = { .rootfd = -1, .kmsg_fd = -1, .root = root, .cmd = CMD_PLAN };

        assert_int_equal(kernfs_open_root(&k), 0);
        config_parse_text(&k, "imported.conf", text, strlen(text));
        if (k.n_errors)
                fail_msg("%u error(s) parsing the imported configuration:\n%s", k.n_errors, text);
        kvmtune_free(&k);
        close(k.rootfd);
}

static void unlink_rel(const char *root, const char *rel)
{
        char *path;

        assert_true(asprintf(&path, "%s/%s", root, rel) > 0);
        assert_int_equal(unlink(path), 0);
        free(path);
}

/* rc-local.service runs rc.local only when it is executable */
static void make_exec(const char *root, const char *rel)
{
        char *path;

        assert_true(asprintf(&path, "%s/%s", root, rel) > 0);
        assert_int_equal(chmod(path, 0755), 0);
        free(path);
}

/* ---- the host the guides describe ---------------------------------------- */

#define RC_LOCAL                                                                             \
        "#!/bin/sh -e\n"                                                                      \
        "# rc.local: tuning from the KVM guide\n"                                             \
        "echo 1 > /sys/kernel/mm/ksm/run\n"                                                   \
        "echo 500 >/sys/kernel/mm/ksm/pages_to_scan   # scan harder\n"                        \
        "/bin/echo \"never\" >> /sys/kernel/mm/transparent_hugepage/defrag\n"                 \
        "echo noop > /sys/block/vda/queue/scheduler\n"                                        \
        "modprobe tcp_htcp && /sbin/sysctl -w net.ipv4.tcp_congestion_control=htcp\n"         \
        "ifconfig eth0 txqueuelen 5000\n"                                                     \
        "/usr/sbin/ip link set dev eth0 txqueuelen 10000\n"                                   \
        "sysctl -w net.ipv4.tcp_rmem=\"4096 87380 33554432\"; sysctl net.core.somaxconn=8192\n" \
        "echo '30' > \"/proc/sys/net/ipv4/tcp_fin_timeout\"\n"                                \
        "exit 0\n"

static void guide_host(const char *root)
{
        fr_write(root, "proc/sys/net/core/rmem_max", "212992\n");
        fr_write(root, "proc/sys/net/core/wmem_max", "212992\n");
        fr_write(root, "proc/sys/net/ipv4/tcp_wmem", "4096\t16384\t4194304\n");
        /* a second disk, so that grub's elevator= has something to do */
        fr_write(root, "sys/devices/pci0000:00/0000:00:05.0/block/sdb/queue/scheduler",
                 "[none] mq-deadline kyber bfq\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:05.0/block/sdb/queue/rotational", "1\n");
        fr_symlink(root, "../devices/pci0000:00/0000:00:05.0/block/sdb", "sys/block/sdb");

        fr_write(root, "etc/default/grub",
                 "GRUB_DEFAULT=0\n"
                 "GRUB_TIMEOUT=5\n"
                 "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet elevator=deadline hugepagesz=1GB hugepages=1\"\n"
                 "GRUB_CMDLINE_LINUX=\"transparent_hugepage=madvise\"\n");
        fr_write(root, "etc/sysctl.conf",
                 "# socket buffers, as the KVM guide says\n"
                 "net.core.rmem_max = 16777216\n"
                 "net.core.wmem_max = 16777216\n"
                 "net.ipv4.tcp_rmem = 4096 87380 16777216\n"
                 "net.ipv4.tcp_wmem = 4096 65536 16777216\n"
                 "net.ipv4.tcp_tw_recycle = 1\n");
        fr_write(root, "etc/fstab",
                 "UUID=0a1b2c3d / ext4 errors=remount-ro 0 1\n"
                 "hugetlbfs /hugepages hugetlbfs mode=1770,gid=2021 0 0\n");
        fr_write(root, "etc/modprobe.d/nf_conntrack.conf", "options nf_conntrack hashsize=250000\n");
        fr_write(root, "etc/rc.local", RC_LOCAL);
        make_exec(root, "etc/rc.local");
}

static const char expected[] =
        "[sysctl] net.core.rmem_max = 16777216\n"
        "[sysctl] net.core.wmem_max = 16777216\n"
        "[sysctl] net.ipv4.tcp_rmem = 4096 87380 33554432\n"
        "[sysctl] net.ipv4.tcp_wmem = 4096 65536 16777216\n"
        "[sysctl] -net.ipv4.tcp_tw_recycle = 1\n"
        "[sysctl] net.ipv4.tcp_congestion_control = htcp\n"
        "[sysctl] net.core.somaxconn = 8192\n"
        "[sysctl] net.ipv4.tcp_fin_timeout = 30\n"
        "[modules] load = tcp_htcp\n"
        "[conntrack] hashsize = 250000\n"
        "[conntrack] load = no\n"
        "[hugepages \"1G\"] pages = 1\n"
        "[hugepages \"1G\"] at = cmdline\n"
        "[hugetlbfs \"/hugepages\"] mode = 1770\n"
        "[hugetlbfs \"/hugepages\"] gid = 2021\n"
        "[ksm] run = 1\n"
        "[ksm] pages_to_scan = 500\n"
        "[thp] enabled = madvise\n"
        "[thp] defrag = never\n"
        "[block \"*\"] scheduler = mq-deadline none\n"
        "[block \"vda\"] scheduler = none\n"
        "[netdev \"eth0\"] txqueuelen = 10000\n";

static void import_guide_host(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        guide_host(root);
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        if (strcmp(got, expected))
                fail_msg("imported settings:\n%s\nexpected:\n%s\nfull output:\n%s", got, expected, r.out);
        free(got);

        /* a source comment above every setting, with file, line and text */
        want_in("output", r.out, "# /etc/rc.local:3: echo 1 > /sys/kernel/mm/ksm/run\nrun = 1\n");
        want_in("output", r.out, "# /etc/rc.local:4: echo 500 >/sys/kernel/mm/ksm/pages_to_scan\npages_to_scan = 500\n");
        want_in("output", r.out, "# /etc/sysctl.conf:2: net.core.rmem_max = 16777216\nnet.core.rmem_max = 16777216\n");
        want_in("output", r.out, "# /etc/default/grub:3: hugepagesz=1GB hugepages=1\npages = 1\n");
        want_in("output", r.out, "# /etc/fstab:2: hugetlbfs /hugepages hugetlbfs mode=1770,gid=2021 0 0\nmode = 1770\n");
        want_in("output", r.out, "# /etc/modprobe.d/nf_conntrack.conf:1: options nf_conntrack hashsize=250000\nhashsize = 250000\n");
        want_in("output", r.out, "# /etc/rc.local:7: /sbin/sysctl -w net.ipv4.tcp_congestion_control=htcp\n");
        want_in("output", r.out, "# /etc/rc.local:7: modprobe tcp_htcp\nload = tcp_htcp\n");
        want_in("output", r.out, "# /etc/rc.local:10: sysctl net.core.somaxconn=8192\nnet.core.somaxconn = 8192\n");
        want_in("output", r.out, "# /etc/rc.local:11: echo '30' > \"/proc/sys/net/ipv4/tcp_fin_timeout\"\n");
        /* conflicts: later source in boot order wins, with a note */
        want_in("output", r.out,
                "# /etc/rc.local:10: sysctl -w net.ipv4.tcp_rmem=\"4096 87380 33554432\"\n"
                "# conflict: overrides /etc/sysctl.conf:4: net.ipv4.tcp_rmem = 4096 87380 16777216");
        want_in("output", r.out,
                "# /etc/rc.local:9: /usr/sbin/ip link set dev eth0 txqueuelen 10000\n"
                "# conflict: overrides /etc/rc.local:8: ifconfig eth0 txqueuelen 5000 (5000)");
        want_in("output", r.out, "for vda this overrides [block \"*\"] scheduler = mq-deadline none from /etc/default/grub:3");
        /* translations and the '-' key */
        want_in("output", r.out, "# /etc/rc.local:6: echo noop > /sys/block/vda/queue/scheduler\n"
                                 "# legacy scheduler name 'noop' is 'none' on blk-mq kernels\n");
        want_in("output", r.out, "# legacy scheduler name 'deadline' is 'mq-deadline' on blk-mq kernels\n");
        want_in("output", r.out, "blk-mq kernels ignore elevator=");
        want_in("output", r.out, "this kernel has no /proc/sys/net/ipv4/tcp_tw_recycle: written with '-'");
        want_in("output", r.out, "load = no: a modprobe.d option only applies to a load that happens anyway\nload = no\n");
        /* sections in the order of the specification */
        assert_true(strstr(r.out, "[sysctl]") < strstr(r.out, "[modules]"));
        assert_true(strstr(r.out, "[modules]") < strstr(r.out, "[conntrack]"));
        assert_true(strstr(r.out, "[conntrack]") < strstr(r.out, "[hugepages"));
        assert_true(strstr(r.out, "[hugepages") < strstr(r.out, "[hugetlbfs"));
        assert_true(strstr(r.out, "[hugetlbfs") < strstr(r.out, "[ksm]"));
        assert_true(strstr(r.out, "[ksm]") < strstr(r.out, "[thp]"));
        assert_true(strstr(r.out, "[thp]") < strstr(r.out, "[block"));
        assert_true(strstr(r.out, "[block") < strstr(r.out, "[netdev"));

        /* stderr: every carried line with FILE:LINE, and nothing refused */
        want_in("stderr", r.err, "/etc/default/grub:3: carried: elevator=deadline");
        want_in("stderr", r.err, "/etc/default/grub:3: carried: hugepagesz=1GB hugepages=1");
        want_in("stderr", r.err, "/etc/default/grub:4: carried: transparent_hugepage=madvise");
        want_in("stderr", r.err, "/etc/sysctl.conf:6: carried: net.ipv4.tcp_tw_recycle = 1");
        want_in("stderr", r.err, "/etc/fstab:2: carried:");
        want_in("stderr", r.err, "/etc/modprobe.d/nf_conntrack.conf:1: carried:");
        for (int line = 3; line <= 11; line++) {
                char needle[64];
                snprintf(needle, sizeof(needle), "/etc/rc.local:%d: carried: ", line);
                want_in("stderr", r.err, needle);
        }
        want_not_in("stderr", r.err, "not carried:");
        want_not_in("stderr", r.err, "fstab:1");        /* the root file system is left alone */
        want_in("stderr", r.err, "21 carried, 0 not carried");
        run_result_free(&r);
}

/* kvmtune plan on the imported file: no configuration error at all */
static void imported_file_plans(void **state)
{
        const char *root = *state;
        struct run_result r, p;
        char *conf;

        guide_host(root);
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        fr_write(root, "imported.conf", r.out);
        assert_true(asprintf(&conf, "%s/imported.conf", root) > 0);
        kv_run(&p, root, "plan", "--config", conf, NULL);
        want_status(&p, 0);
        want_not_in("plan stderr", p.err, "unknown");
        want_not_in("plan stderr", p.err, "invalid");
        want_not_in("plan stderr", p.err, "expected");
        want_not_in("plan", p.out, "error ");
        want_in("plan", p.out, "sysctl net.core.rmem_max: 212992 -> 16777216");
        free(conf);
        run_result_free(&p);
        run_result_free(&r);
}

/* apply the imported file: every value the old files asked for is in place */
static void round_trip(void **state)
{
        const char *root = *state;
        struct run_result r, a, v;
        char *conf;

        guide_host(root);
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        fr_write(root, "imported.conf", r.out);
        assert_true(asprintf(&conf, "%s/imported.conf", root) > 0);
        /*
         * The old host had tcp_htcp loaded by rc.local; under --root kvmtune
         * reports a module load instead of doing it, so the fake kernel gets
         * the module the way the real one would.
         */
        fr_mkdir(root, "sys/module/tcp_htcp");
        fr_write(root, "proc/sys/net/ipv4/tcp_available_congestion_control", "reno cubic htcp\n");
        /* the host was booted with its grub lines: the kernel reserved the 1G pool */
        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet elevator=deadline hugepagesz=1GB hugepages=1 "
                                       "transparent_hugepage=madvise\n");
        fr_write(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1\n");
        kv_run(&a, root, "apply", "--config", conf, NULL);
        want_status(&a, 0);
        /* the pool goes to kvmtune's GRUB drop-in (update-grub is not run under --root) */
        want_in("stderr", a.err, "update-grub is not run under --root");
        want_value(root, "etc/default/grub.d/kvmtune.cfg",
                   "# Written by kvmtune from its [cmdline] section and the [hugepages] pools\n"
                   "# at = cmdline; kvmtune owns this file whole and rewrites or removes it.\n"
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT hugepagesz=1G hugepages=1\"");

        /* sysctl.conf, with rc.local winning where both set a key */
        want_value(root, "proc/sys/net/core/rmem_max", "16777216");
        want_value(root, "proc/sys/net/core/wmem_max", "16777216");
        want_value(root, "proc/sys/net/ipv4/tcp_rmem", "4096 87380 33554432");
        want_value(root, "proc/sys/net/ipv4/tcp_wmem", "4096 65536 16777216");
        want_value(root, "proc/sys/net/ipv4/tcp_congestion_control", "htcp");
        want_value(root, "proc/sys/net/core/somaxconn", "8192");
        want_value(root, "proc/sys/net/ipv4/tcp_fin_timeout", "30");
        assert_null(fr_read(root, "proc/sys/net/ipv4/tcp_tw_recycle"));
        /* rc.local's echo lines */
        want_value(root, "sys/kernel/mm/ksm/run", "1");
        want_value(root, "sys/kernel/mm/ksm/pages_to_scan", "500");
        want_value(root, "sys/kernel/mm/transparent_hugepage/defrag", "never");
        want_value(root, "sys/kernel/mm/transparent_hugepage/enabled", "madvise");
        want_value(root, "sys/block/vda/queue/scheduler", "[none] mq-deadline kyber bfq");
        want_value(root, "sys/block/sdb/queue/scheduler", "mq-deadline");
        want_value(root, "sys/class/net/eth0/tx_queue_len", "10000");
        /* grub */
        want_value(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1");
        /* modprobe.d: the hash size goes where a later load of nf_conntrack finds it */
        char *mp = fr_read(root, "run/modprobe.d/kvmtune.conf");
        want_in("run/modprobe.d/kvmtune.conf", mp, "options nf_conntrack hashsize=250000\n");
        free(mp);
        /* under --root, the module load and the mount are reported, not done */
        if (!contains(a.out, "hugetlbfs /hugepages: would mount with mode=1770,gid=2021") &&
            !contains(a.err, "hugetlbfs /hugepages: would mount with mode=1770,gid=2021"))
                fail_msg("apply does not report the hugetlbfs mount:\n%s\n%s", a.out, a.err);

        /* what a real apply would have done: the mount is there */
        fr_write(root, "proc/self/mountinfo",
                 "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                 "40 22 0:40 / /hugepages rw,relatime shared:20 - hugetlbfs hugetlbfs rw,gid=2021,mode=1770,pagesize=2M\n");
        kv_run(&v, root, "verify", "--config", conf, NULL);
        want_status(&v, 0);
        free(conf);
        run_result_free(&v);
        run_result_free(&a);
        run_result_free(&r);
}

/* ---- a hostile rc.local ---------------------------------------------------- */

static void hostile_rc_local(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *big = malloc(1 << 20), *text, *got;
        FILE *f;
        char *path;
        size_t len;

        fr_write(root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        fr_write(root, "victim/keep", "keep me\n");
        memset(big, 'A', (1 << 20) - 1);
        memcpy(big, "echo ", 5);
        big[(1 << 20) - 1] = '\0';
        assert_true(asprintf(&text,
                             "#!/bin/sh\n"
                             "echo 45 > /proc/sys/net/ipv4/tcp_fin_timeout; rm -rf %s/victim\n"
                             "echo $(touch %s/created-subst) > /proc/sys/vm/swappiness\n"
                             "echo `touch %s/created-backquote` > /proc/sys/vm/swappiness\n"
                             "sysctl -w vm.swappiness=$(touch %s/created-sysctl)\n"
                             "echo 1 > /proc/sys/../../etc/passwd\n"
                             "echo 1 > /sys/kernel/mm/ksm/../../../../etc/passwd\n"
                             "echo root::0:0 >> /etc/passwd\n"
                             "echo 1 > /sys/firmware/acpi/something\n"
                             "echo 1 > /proc/sys/vm/*\n"
                             "touch %s/created-plain\n",
                             root, root, root, root, root) > 0);
        assert_true(asprintf(&path, "%s/etc/rc.local", root) > 0);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fprintf(f, "%s > /proc/sys/vm/swappiness\n", big);          /* line 12: 1 MB */
        fwrite("echo 7 > /proc/sys/vm/swappiness\0; rm -rf /\n", 1, 44, f);  /* line 13: NUL */
        fputs("echo 9 > /proc/sys/vm/swappiness\n", f);              /* line 14: after them */
        fclose(f);
        make_exec(root, "etc/rc.local");

        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        /* nothing ran: nothing created, nothing deleted, nothing written */
        for (const char *const *n = (const char *const[]){ "created-subst", "created-backquote", "created-sysctl",
                                                           "created-plain", NULL };
             *n; n++) {
                char *p = fr_read(root, *n);
                if (p)
                        fail_msg("%s was created", *n);
        }
        want_value(root, "victim/keep", "keep me");
        want_value(root, "etc/passwd", "root:x:0:0::/root:/bin/sh");
        want_value(root, "proc/sys/net/ipv4/tcp_fin_timeout", "60");
        /* each refusal named */
        want_in("stderr", r.err, "rc.local:2: carried: echo 45 > /proc/sys/net/ipv4/tcp_fin_timeout");
        want_in("stderr", r.err, "rc.local:2: not carried: rm -rf");
        want_in("stderr", r.err, "shares a line with carried commands");
        want_in("stderr", r.err, "rc.local:3: not carried: echo $(touch");
        want_in("stderr", r.err, "holds $( (command substitution), which is never evaluated");
        want_in("stderr", r.err, "rc.local:4: not carried: echo `touch");
        want_in("stderr", r.err, "holds a backquote (command substitution)");
        want_in("stderr", r.err, "rc.local:5: not carried: sysctl -w vm.swappiness=$(touch");
        want_in("stderr", r.err, "rc.local:6: not carried: echo 1 > /proc/sys/../../etc/passwd: "
                                 "'/proc/sys/../../etc/passwd' is not a canonical path");
        want_in("stderr", r.err, "rc.local:7: not carried:");
        want_not_in("stderr", r.err, "rc.local:8:");    /* /etc/passwd is not tuning: left alone */
        want_in("stderr", r.err, "rc.local:9: not carried: echo 1 > /sys/firmware/acpi/something: kvmtune has no "
                                 "setting that writes");
        want_in("stderr", r.err, "rc.local:10: not carried: echo 1 > /proc/sys/vm/*: ");
        want_in("stderr", r.err, "rc.local:12: not carried: line longer than 8192 bytes, refused");
        want_in("stderr", r.err, "rc.local:13: not carried: line holds a NUL byte, refused");
        want_in("stderr", r.err, "rc.local:14: not carried: echo 9 > /proc/sys/vm/swappiness: after the refused "
                                 "line 12");
        /* stderr stays readable: the 1 MB line is not echoed */
        assert_true(strlen(r.err) < 8192);
        /* carried: only the one allowed sysctl */
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got, "[sysctl] net.ipv4.tcp_fin_timeout = 45\n");
        want_not_in("output", r.out, "passwd");
        want_not_in("output", r.out, "touch");
        len = strlen(r.out);
        assert_true(len < 4096);
        free(got);
        free(path);
        free(text);
        free(big);
        run_result_free(&r);
}

/* ---- the shell subset -------------------------------------------------------- */

static void shell_forms(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *file, *got;

        fr_write(root, "in/rc.local",
                 "#!/bin/bash\n"
                 "echo 100>/proc/sys/net/core/somaxconn\n"                       /* 2: 100> is an fd number */
                 "echo 20 >/proc/sys/vm/swappiness && echo 1 > /sys/kernel/mm/ksm/run # on\n"
                 "/usr/bin/echo -n 'madvise' > '/sys/kernel/mm/transparent_hugepage/enabled'\n"
                 "sysctl -q -w 'net.ipv4.tcp_rmem=4096  87380   6291456' >/dev/null 2>&1\n"
                 "modprobe -q tcp_bbr || true\n"                                 /* 6 */
                 "if grep -q x /proc/cpuinfo; then\n"
                 "  echo 3 > /sys/kernel/mm/ksm/sleep_millisecs\n"                /* 8 */
                 "fi\n"
                 "for d in sda sdb; do echo none > /sys/block/sda/queue/scheduler; done\n"   /* 10 */
                 "case x in\n"
                 "  x) echo 4 > /sys/kernel/mm/ksm/sleep_millisecs ;;\n"          /* 12 */
                 "esac\n"
                 "cat > /tmp/kvmtune-never <<EOF\n"
                 "echo 5 > /sys/kernel/mm/ksm/sleep_millisecs\n"                  /* 15: here-document text */
                 "EOF\n"
                 "f() { echo 6 > /sys/kernel/mm/ksm/sleep_millisecs; }\n"         /* 17 */
                 "echo 7 > /sys/kernel/mm/ksm/sleep_millisecs &\n"                /* 18 */
                 "echo 8 | tee /sys/kernel/mm/ksm/sleep_millisecs | cat\n"        /* 19 */
                 "ip link set eth0 txqlen 2000\n"
                 "echo \"a\n"
                 "b\" > /proc/sys/kernel/hostname\n"                              /* 21-22 */
                 "modprobe nf_conntrack hashsize=4096\n"                          /* 23 */
                 "echo 2048 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages\n"
                 "echo 256 > /sys/block/vda/queue/read_ahead_kb\n"
                 "sysctl net.ipv4.tcp_fin_timeout\n");                             /* a read: left alone */
        assert_true(asprintf(&file, "%s/in/rc.local", root) > 0);
        kv_run(&r, root, "import", file, NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] vm.swappiness = 20\n"
                            "[sysctl] net.ipv4.tcp_rmem = 4096 87380 6291456\n"
                            "[modules] load = tcp_bbr\n"
                            "[modules] load = nf_conntrack\n"
                            "[conntrack] hashsize = 4096\n"
                            "[conntrack] load = yes\n"
                            "[hugepages] pages = 2048\n"
                            "[ksm] run = 1\n"
                            "[thp] enabled = madvise\n"
                            "[block \"vda\"] read_ahead_kb = 256\n"
                            "[netdev \"eth0\"] txqueuelen = 2000\n");
        want_in("stderr", r.err, "rc.local:2: not carried: echo 100>/proc/sys/net/core/somaxconn: no 'echo V > FILE'");
        want_in("stderr", r.err, "rc.local:3: carried: echo 20 >/proc/sys/vm/swappiness");
        want_in("stderr", r.err, "rc.local:3: carried: echo 1 > /sys/kernel/mm/ksm/run");
        want_in("stderr", r.err, "rc.local:6: carried: modprobe -q tcp_bbr");
        want_in("stderr", r.err, "rc.local:8: not carried: echo 3 > /sys/kernel/mm/ksm/sleep_millisecs: inside if");
        want_in("stderr", r.err, "rc.local:10: not carried: for d in sda sdb; do echo none > /sys/block/sda/queue/scheduler; done: in the for loop of line 10: the target must name $d once");
        want_in("stderr", r.err, "rc.local:12: not carried: echo 4 > /sys/kernel/mm/ksm/sleep_millisecs: inside case");
        want_not_in("stderr", r.err, "rc.local:15");
        want_in("stderr", r.err, "rc.local:17: not carried: echo 6 > /sys/kernel/mm/ksm/sleep_millisecs: inside {");
        want_in("stderr", r.err, "rc.local:18: not carried: echo 7 > /sys/kernel/mm/ksm/sleep_millisecs: run in the background");
        want_in("stderr", r.err, "rc.local:19: not carried: tee /sys/kernel/mm/ksm/sleep_millisecs: in a pipe");
        want_not_in("stderr", r.err, "rc.local:19: carried");
        want_in("stderr", r.err, "rc.local:21: not carried:");
        want_not_in("stderr", r.err, "rc.local:26");
        free(got);
        free(file);
        run_result_free(&r);
}

/* named files are recognised by their content and read in boot order */
static void named_files_and_other_sources(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *a, *b, *c, *got;

        fr_write(root, "in/one", "#!/bin/sh\nsysctl -w vm.swappiness=10\n");
        fr_write(root, "in/two", "# tuned\nvm.swappiness = 30\nnet.core.somaxconn = 1024\n");
        fr_write(root, "in/three", "GRUB_CMDLINE_LINUX=\"elevator=cfq hugepages=16\"\n");
        assert_true(asprintf(&a, "%s/in/one", root) > 0);
        assert_true(asprintf(&b, "%s/in/two", root) > 0);
        assert_true(asprintf(&c, "%s/in/three", root) > 0);
        kv_run(&r, root, "import", a, b, c, NULL);     /* given in the reverse of boot order */
        want_status(&r, 0);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] vm.swappiness = 10\n"
                            "[sysctl] net.core.somaxconn = 1024\n"
                            "[hugepages] pages = 16\n"
                            "[hugepages] at = cmdline\n"
                            "[block \"*\"] scheduler = bfq none\n");
        want_in("output", r.out, "conflict: overrides ");
        want_in("output", r.out, "in/two:2: vm.swappiness = 30 (30)");
        want_in("output", r.out, "legacy scheduler name 'cfq' is 'bfq'");
        free(got);
        run_result_free(&r);

        /* sysctl.d before sysctl.conf, 99-sysctl.conf -> ../sysctl.conf read once; tmpfiles, sysfs */
        fr_write(root, "etc/sysctl.d/10-net.conf", "net.core.somaxconn = 100\n");
        fr_write(root, "etc/sysctl.conf", "net.core.somaxconn = 200\n");
        fr_symlink(root, "../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
        fr_write(root, "etc/tmpfiles.d/thp.conf",
                 "d /run/foo 0755 root root -\n"
                 "w /sys/kernel/mm/transparent_hugepage/enabled - - - - never\n");
        fr_write(root, "etc/sysfs.conf", "mode block/vda/queue/scheduler = 0644\n"
                                         "block/vda/queue/scheduler = deadline\n"
                                         "kernel/mm/transparent_hugepage/enabled = always\n");
        fr_write(root, "etc/modules", "# modules\ntcp_htcp\nloop max_loop=64\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);     /* the loop options */
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] net.core.somaxconn = 200\n"
                            "[modules] load = tcp_htcp\n"
                            "[thp] enabled = always\n"
                            "[block \"vda\"] scheduler = mq-deadline\n");
        want_in("output", r.out, "# /etc/sysctl.conf:1: net.core.somaxconn = 200\n"
                                 "# conflict: overrides /etc/sysctl.d/10-net.conf:1");
        want_not_in("stderr", r.err, "99-sysctl.conf");
        want_in("stderr", r.err, "/etc/tmpfiles.d/thp.conf:2: carried:");
        want_in("output", r.out, "overrides /etc/tmpfiles.d/thp.conf:2");
        want_in("stderr", r.err, "/etc/modules:3: not carried: loop max_loop=64: module options");
        free(got);
        free(a);
        free(b);
        free(c);
        run_result_free(&r);
}

/* ---- conditions, echo escapes, triggers: never carried with another meaning -- */

static void guards_and_conditions(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "etc/rc.local",
                 "#!/bin/sh\n"
                 "grep -q db-host /etc/hostname && sysctl -w vm.swappiness=5\n"                          /* 2 */
                 "[ -w /sys/kernel/mm/ksm/run ] && echo 1 > /sys/kernel/mm/ksm/run\n"                     /* 3 */
                 "test -f /proc/sys/net/core/somaxconn && echo 4096 > /proc/sys/net/core/somaxconn\n"    /* 4 */
                 "[ -w /sys/kernel/mm/ksm/run ] && echo 500 > /sys/kernel/mm/ksm/pages_to_scan\n"         /* 5 */
                 "if test -f /sys/kernel/mm/transparent_hugepage/enabled; then\n"                         /* 6 */
                 "    echo never > /sys/kernel/mm/transparent_hugepage/enabled\n"                         /* 7 */
                 "fi\n"
                 "if [ -e /sys/kernel/mm/transparent_hugepage/defrag ]; then echo never > "
                 "/sys/kernel/mm/transparent_hugepage/defrag; fi\n"                                       /* 9 */
                 "if [ -f /sys/kernel/mm/ksm/run ]; then echo 20 > /sys/kernel/mm/ksm/sleep_millisecs; fi\n" /* 10 */
                 "if [ -f /proc/sys/fs/file-max ]; then echo 1 > /proc/sys/fs/file-max; else echo 2 > "
                 "/proc/sys/fs/file-max; fi\n"                                                            /* 11 */
                 "[ -w /sys/kernel/mm/ksm/nosuchknob ] && echo 1 > /sys/kernel/mm/ksm/nosuchknob\n"       /* 12 */
                 "! [ -w /sys/kernel/mm/ksm/max_page_sharing ] && echo 9 > /sys/kernel/mm/ksm/max_page_sharing\n" /* 13 */
                 "[ -d /sys/kernel/mm/ksm ] && echo 7 > /sys/kernel/mm/ksm/merge_across_nodes\n"          /* 14 */
                 "modprobe tcp_htcp &&\n"                                                                 /* 15 */
                 "    sysctl -w net.ipv4.tcp_fin_timeout=21\n"
                 "true && echo 22 > /proc/sys/vm/swappiness\n"                                            /* 17 */
                 "echo 3 > /proc/sys/vm/drop_caches\n"                                                    /* 18 */
                 "sysctl -w vm.compact_memory=1\n"                                                        /* 19 */
                 "echo 1 > /proc/sys/vm/compact_memory\n");                                               /* 20 */
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] -net.core.somaxconn = 4096\n"
                            "[sysctl] net.ipv4.tcp_fin_timeout = 21\n"
                            "[sysctl] vm.swappiness = 22\n"
                            "[modules] load = tcp_htcp\n"
                            "[ksm] run = 1\n"
                            "[thp] enabled = never\n"
                            "[thp] defrag = never\n");
        want_in("stderr", r.err, "rc.local:2: not carried: sysctl -w vm.swappiness=5: after '&&' behind 'grep -q "
                                 "db-host /etc/hostname', a condition import does not evaluate");
        want_in("stderr", r.err, "rc.local:3: carried: [ -w /sys/kernel/mm/ksm/run ] && echo 1 > /sys/kernel/mm/ksm/run\n");
        want_in("output", r.out, "# /etc/rc.local:3: [ -w /sys/kernel/mm/ksm/run ] && echo 1 > /sys/kernel/mm/ksm/run\n"
                                 "# written only where /sys/kernel/mm/ksm/run exists");
        want_in("output", r.out, "the '-' prefix skips the key where the kernel lacks it\n-net.core.somaxconn = 4096\n");
        want_in("stderr", r.err, "rc.local:5: not carried: [ -w /sys/kernel/mm/ksm/run ] && echo 500 > "
                                 "/sys/kernel/mm/ksm/pages_to_scan: the guard '[ -w /sys/kernel/mm/ksm/run ]' tests "
                                 "another file");
        want_in("stderr", r.err, "rc.local:7: carried: echo never > /sys/kernel/mm/transparent_hugepage/enabled "
                                 "(under 'if' at line 6");
        want_in("stderr", r.err, "rc.local:9: carried: echo never > /sys/kernel/mm/transparent_hugepage/defrag");
        want_not_in("stderr", r.err, "rc.local:9: not carried");
        want_in("stderr", r.err, "rc.local:10: not carried: echo 20 > /sys/kernel/mm/ksm/sleep_millisecs: the "
                                 "condition '[ -f /sys/kernel/mm/ksm/run ]' tests another file");
        want_in("stderr", r.err, "rc.local:11: not carried: echo 1 > /proc/sys/fs/file-max: inside if");
        want_in("stderr", r.err, "rc.local:11: not carried: echo 2 > /proc/sys/fs/file-max: inside if");
        want_in("stderr", r.err, "rc.local:12: not carried: [ -w /sys/kernel/mm/ksm/nosuchknob ] && echo 1 > "
                                 "/sys/kernel/mm/ksm/nosuchknob: guarded by");
        want_in("stderr", r.err, "does not exist on this host");
        want_in("stderr", r.err, "rc.local:13: not carried: echo 9 > /sys/kernel/mm/ksm/max_page_sharing: after '&&'");
        want_in("stderr", r.err, "rc.local:14: not carried: echo 7 > /sys/kernel/mm/ksm/merge_across_nodes: after '&&'");
        want_in("stderr", r.err, "rc.local:16: carried: sysctl -w net.ipv4.tcp_fin_timeout=21");
        want_in("stderr", r.err, "rc.local:18: not carried: echo 3 > /proc/sys/vm/drop_caches: vm.drop_caches is an action");
        want_in("stderr", r.err, "rc.local:19: not carried: sysctl -w vm.compact_memory=1: vm.compact_memory is an action");
        want_in("stderr", r.err, "rc.local:20: not carried: echo 1 > /proc/sys/vm/compact_memory: vm.compact_memory is an action");
        free(got);
        run_result_free(&r);
}

/* dash's echo (Debian's /bin/sh) turns \t into a tab; bash's echo does so only with -e */
static void echo_escapes(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_mkdir(root, "usr/bin");
        fr_symlink(root, "dash", "usr/bin/sh");
        fr_write(root, "etc/rc.local",
                 "#!/bin/sh -e\n"
                 "echo \"4096\\t87380\\t6291456\" > /proc/sys/net/ipv4/tcp_rmem\n"
                 "echo '30\\c and the rest' > /proc/sys/net/ipv4/tcp_fin_timeout\n"
                 "echo -e 5 > /proc/sys/vm/swappiness\n"
                 "echo \"1\\n\" > /proc/sys/net/core/somaxconn\n");
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        got = settings_of(r.out);
        assert_string_equal(got, "[sysctl] net.ipv4.tcp_rmem = 4096 87380 6291456\n"
                                 "[sysctl] net.ipv4.tcp_fin_timeout = 30\n");
        want_in("stderr", r.err, "rc.local:4: not carried: echo -e 5 > /proc/sys/vm/swappiness: dash's echo");
        want_in("stderr", r.err, "rc.local:5: not carried: echo \"1\\n\" > /proc/sys/net/core/somaxconn: echo "
                                 "interprets '\\n'");
        free(got);
        run_result_free(&r);

        /* bash: the backslash stays without -e, and -e makes it a tab; /bin/echo is coreutils' */
        fr_write(root, "etc/rc.local",
                 "#!/bin/bash\n"
                 "echo -e \"4096\\t87380\\t6291456\" > /proc/sys/net/ipv4/tcp_rmem\n"
                 "echo 'a\\tb' > /proc/sys/kernel/hostname\n");
        fr_write(root, "proc/sys/kernel/hostname", "h\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        got = settings_of(r.out);
        assert_string_equal(got, "[sysctl] net.ipv4.tcp_rmem = 4096 87380 6291456\n"
                                 "[sysctl] kernel.hostname = a\\tb\n");
        free(got);
        run_result_free(&r);

        /* a /bin/sh that is neither: a backslash is refused */
        unlink_rel(root, "usr/bin/sh");
        fr_write(root, "etc/rc.local", "#!/bin/sh\necho \"4096\\t87380\" > /proc/sys/net/ipv4/tcp_rmem\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "rc.local:2: not carried: echo \"4096\\t87380\" > /proc/sys/net/ipv4/tcp_rmem: a "
                                 "backslash");
        run_result_free(&r);
}

/* rc-local.service runs only an executable rc.local; a linked rc.d/rc.local is the same file */
static void rc_local_as_systemd_runs_it(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "etc/rc.d/rc.local", "#!/bin/sh\necho 33 > /proc/sys/vm/swappiness\n");
        fr_symlink(root, "rc.d/rc.local", "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/rc.local: not carried: not executable: rc-local.service does not run it");
        want_not_in("stderr", r.err, "carried: echo");
        want_not_in("stderr", r.err, "/etc/rc.d/rc.local");
        got = settings_of(r.out);
        assert_string_equal(got, "");
        free(got);
        run_result_free(&r);

        make_exec(root, "etc/rc.d/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        got = settings_of(r.out);
        assert_string_equal(got, "[sysctl] vm.swappiness = 33\n");
        want_in("stderr", r.err, "1 carried, 0 not carried");       /* read once */
        free(got);
        run_result_free(&r);
}

/*
 * The KVM arguments of a grub line go to [cmdline], its pools at = cmdline;
 * boot plumbing is left alone and not reported; apply then keeps them in
 * kvmtune's drop-in.
 */
static void grub_kvm_arguments(void **state)
{
        const char *root = *state;
        struct run_result r, a, v;
        char *got, *conf;

        fr_write(root, "proc/meminfo", "MemTotal:       33554432 kB\nMemFree:        30000000 kB\nHugepagesize:       2048 kB\n");
        fr_write(root, "etc/default/grub",
                 "GRUB_DEFAULT=0\n"
                 "GRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=on iommu=pt default_hugepagesz=1G hugepagesz=1G hugepages=16 quiet\"\n"
                 "GRUB_CMDLINE_LINUX=\"root=/dev/vda1 console=ttyS0 resume=/dev/vda2 kvm-intel.nested=1 vfio-pci.ids=10de:1b80\"\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got, "[hugepages \"1G\"] pages = 16\n"
                                 "[hugepages \"1G\"] at = cmdline\n"
                                 "[cmdline] args = kvm-intel.nested=1\n"
                                 "[cmdline] args = vfio-pci.ids=10de:1b80\n"
                                 "[cmdline] args = intel_iommu=on\n"
                                 "[cmdline] args = iommu=pt\n"
                                 "[cmdline] args = default_hugepagesz=1G\n");
        want_in("output", r.out, "# /etc/default/grub:2: intel_iommu=on\nargs = intel_iommu=on\n");
        want_in("stderr", r.err, "/etc/default/grub:2: carried: iommu=pt");
        want_in("stderr", r.err, "/etc/default/grub:2: carried: default_hugepagesz=1G");
        want_in("stderr", r.err, "/etc/default/grub:2: carried: hugepagesz=1G hugepages=16");
        /* boot plumbing is not tuning: neither carried nor kept nor refused */
        want_not_in("stderr", r.err, "quiet");
        want_not_in("stderr", r.err, "console=");
        want_not_in("stderr", r.err, "resume=");
        want_not_in("stderr", r.err, "kept");
        want_not_in("output", r.out, "Kept on the kernel command line");
        want_not_in("output", r.out, "quiet");
        want_in("stderr", r.err, "6 carried, 0 not carried");

        /* booted with those lines: apply writes the drop-in, and verify finds all as configured */
        fr_write(root, "imported.conf", r.out);
        assert_true(asprintf(&conf, "%s/imported.conf", root) > 0);
        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 console=ttyS0 resume=/dev/vda2 kvm-intel.nested=1 "
                                       "vfio-pci.ids=10de:1b80 intel_iommu=on iommu=pt default_hugepagesz=1G hugepagesz=1G "
                                       "hugepages=16 quiet\n");
        fr_write(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "16\n");
        kv_run(&a, root, "apply", "--config", conf, NULL);
        want_status(&a, 0);
        want_value(root, "etc/default/grub.d/kvmtune.cfg",
                   "# Written by kvmtune from its [cmdline] section and the [hugepages] pools\n"
                   "# at = cmdline; kvmtune owns this file whole and rewrites or removes it.\n"
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT kvm-intel.nested=1 vfio-pci.ids=10de:1b80 "
                   "intel_iommu=on iommu=pt default_hugepagesz=1G hugepagesz=1G hugepages=16\"");
        kv_run(&v, root, "verify", "--config", conf, NULL);
        if (v.status != 0)
                fail_msg("verify exited %d:\n%s\n%s", v.status, v.out, v.err);
        free(conf);
        free(got);
        run_result_free(&v);
        run_result_free(&a);
        run_result_free(&r);

        /* kvmtune's own drop-in is not read back as a source */
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        want_not_in("output", r.out, "grub.d/kvmtune.cfg");
        run_result_free(&r);

        /* a value [cmdline] cannot carry as it is */
        fr_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX=\"kvm.x=\\\"a b\\\" quiet\"\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "not carried: kvm.x=\"a: [cmdline] takes no blanks");
        run_result_free(&r);
}

/* grub joins GRUB_CMDLINE_LINUX and _DEFAULT; grub.d drop-ins come after /etc/default/grub */
static void grub_joined_and_dropins(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "etc/default/grub",
                 "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet hugepages=16\"\n"
                 "GRUB_CMDLINE_LINUX=\"hugepagesz=1G\"\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        got = settings_of(r.out);
        assert_string_equal(got, "[hugepages \"1G\"] pages = 16\n[hugepages \"1G\"] at = cmdline\n");
        want_in("output", r.out, "hugepagesz=1G is at /etc/default/grub:2: grub joins GRUB_CMDLINE_LINUX and "
                                 "GRUB_CMDLINE_LINUX_DEFAULT");
        want_in("stderr", r.err, "/etc/default/grub:1: carried: hugepagesz=1G hugepages=16 (with hugepagesz=1G "
                                 "from /etc/default/grub:2)");
        free(got);
        run_result_free(&r);

        /* a drop-in replaces one variable and extends the other; 1GB is the kernel's spelling too */
        fr_write(root, "etc/default/grub.d/50-cloudimg.cfg", "GRUB_CMDLINE_LINUX_DEFAULT=\"console=ttyS0\"\n");
        fr_write(root, "etc/default/grub.d/60-hugepages.cfg",
                 "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} transparent_hugepage=never\"\n"
                 "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT hugepagesz=1GB hugepages=4 "
                 "hugepagesz=2M hugepages=512\"\n");
        fr_write(root, "etc/default/grub.d/notes.txt", "GRUB_CMDLINE_LINUX=\"hugepages=99\"\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        got = settings_of(r.out);
        assert_string_equal(got, "[hugepages \"1G\"] pages = 4\n"
                                 "[hugepages \"1G\"] at = cmdline\n"
                                 "[hugepages] pages = 512\n"
                                 "[hugepages] at = cmdline\n"
                                 "[thp] enabled = never\n");
        want_in("stderr", r.err, "kept on the kernel command line: hugepagesz=1G: no hugepages= follows");
        want_in("output", r.out, "# /etc/default/grub.d/60-hugepages.cfg:2: hugepagesz=1GB hugepages=4\n");
        want_not_in("output", r.out, "pages = 16");
        want_not_in("stderr", r.err, "notes.txt");
        free(got);
        run_result_free(&r);

        /* any other expansion is refused */
        fr_write(root, "etc/default/grub.d/70-x.cfg", "GRUB_CMDLINE_LINUX=\"$EXTRA hugepages=2\"\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/default/grub.d/70-x.cfg:1: not carried: GRUB_CMDLINE_LINUX=\"$EXTRA "
                                 "hugepages=2\": it holds $ or a backquote");
        run_result_free(&r);
}

/* sudo, env, nohup, command in front; sh -c and bash -c; tee; continuation lines */
static void prefixes_pipes_and_scripts(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_mkdir(root, "usr/bin");
        fr_symlink(root, "dash", "usr/bin/sh");
        fr_write(root, "proc/sys/vm/max_map_count", "65530\n");
        fr_write(root, "proc/sys/net/core/netdev_max_backlog", "1000\n");
        fr_write(root, "etc/rc.local",
                 "#!/bin/sh\n"
                 "sudo sysctl -w vm.max_map_count=262144\n"                                               /* 2 */
                 "sudo sysctl -w \\\n"                                                                     /* 3 */
                 "    net.core.somaxconn=1024 \\\n"
                 "    net.core.netdev_max_backlog=5000 \\\n"
                 "    vm.swappiness=1\n"
                 "echo 2048 | sudo tee /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages\n"          /* 7 */
                 "echo never | tee -a /sys/kernel/mm/transparent_hugepage/enabled "
                 "/sys/kernel/mm/transparent_hugepage/defrag >/dev/null\n"                                /* 8 */
                 "sudo sh -c \"echo 1 > /sys/kernel/mm/ksm/run\"\n"                                        /* 9 */
                 "bash -c 'echo 100 > /sys/kernel/mm/ksm/pages_to_scan; sysctl -w net.ipv4.tcp_fin_timeout=15'\n" /* 10 */
                 "sudo echo 2 > /sys/kernel/mm/ksm/merge_across_nodes\n"                                  /* 11 */
                 "env LC_ALL=C nohup sysctl -w fs.file-max=100000 2>/dev/null\n"                          /* 12 */
                 "command modprobe tcp_bbr\n"                                                             /* 13 */
                 "sudo sysctl -w vm.swappiness=$SWAP\n"                                                   /* 14 */
                 "sudo -u nobody sysctl -w vm.swappiness=9\n"                                             /* 15 */
                 "sh -c \"echo $N > /sys/kernel/mm/ksm/sleep_millisecs\"\n"                               /* 16 */
                 "sh -c 'echo 8 > /sys/kernel/mm/ksm/sleep_millisecs; echo $HOME > /proc/sys/vm/swappiness'\n" /* 17 */
                 "cat /etc/thp | tee /sys/kernel/mm/transparent_hugepage/enabled\n"                       /* 18 */
                 "echo 4 | tr 4 5 | tee /sys/kernel/mm/ksm/max_page_sharing\n"                            /* 19 */
                 "sh -c 'echo 5 > /sys/kernel/mm/ksm/max_page_sharing' extra\n"                           /* 20 */
                 "sudo cpupower frequency-set -g performance\n"                                           /* 21 */
                 "echo performance > /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor\n"             /* 22 */
                 "ethtool -G eth0 rx 4096\n");                                                            /* 23 */
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] vm.max_map_count = 262144\n"
                            "[sysctl] net.core.somaxconn = 1024\n"
                            "[sysctl] net.core.netdev_max_backlog = 5000\n"
                            "[sysctl] vm.swappiness = 1\n"
                            "[sysctl] net.ipv4.tcp_fin_timeout = 15\n"
                            "[sysctl] fs.file-max = 100000\n"
                            "[modules] load = tcp_bbr\n"
                            "[hugepages] pages = 2048\n"
                            "[ksm] run = 1\n"
                            "[ksm] pages_to_scan = 100\n"
                            "[ksm] merge_across_nodes = 2\n"
                            "[ksm] sleep_millisecs = 8\n"
                            "[thp] enabled = never\n"
                            "[thp] defrag = never\n"
                            "[netdev \"eth0\"] ring.rx = 4096\n"
                            "[cpu] governor = performance\n");
        want_in("stderr", r.err, "rc.local:2: carried: sudo sysctl -w vm.max_map_count=262144\n");
        want_in("stderr", r.err, "rc.local:3: carried: sudo sysctl -w net.core.somaxconn=1024 "
                                 "net.core.netdev_max_backlog=5000 vm.swappiness=1\n");
        want_in("stderr", r.err, "rc.local:7: carried: echo 2048 | sudo tee /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages\n");
        want_in("output", r.out, "# /etc/rc.local:8: echo never | tee -a /sys/kernel/mm/transparent_hugepage/enabled");
        want_in("stderr", r.err, "rc.local:9: carried: echo 1 > /sys/kernel/mm/ksm/run (inside sh -c)");
        want_in("stderr", r.err, "rc.local:10: carried: sysctl -w net.ipv4.tcp_fin_timeout=15 (inside bash -c)");
        want_in("stderr", r.err, "rc.local:11: carried: sudo echo 2 > /sys/kernel/mm/ksm/merge_across_nodes");
        want_in("stderr", r.err, "rc.local:12: carried: env LC_ALL=C nohup sysctl");
        want_in("stderr", r.err, "rc.local:13: carried: command modprobe tcp_bbr");
        want_in("stderr", r.err, "rc.local:14: not carried: sudo sysctl -w vm.swappiness=$SWAP: it holds $");
        want_in("stderr", r.err, "rc.local:15: not carried: sudo -u nobody sysctl -w vm.swappiness=9: 'sudo' with options");
        want_in("stderr", r.err, "rc.local:16: not carried: sh -c \"echo $N > /sys/kernel/mm/ksm/sleep_millisecs\": it holds $");
        want_in("stderr", r.err, "rc.local:17: carried: echo 8 > /sys/kernel/mm/ksm/sleep_millisecs (inside sh -c)");
        want_in("stderr", r.err, "rc.local:17: not carried: echo $HOME > /proc/sys/vm/swappiness: it holds $");
        want_in("stderr", r.err, "rc.local:18: not carried: tee /sys/kernel/mm/transparent_hugepage/enabled: in a pipe");
        want_in("stderr", r.err, "rc.local:19: not carried: tee /sys/kernel/mm/ksm/max_page_sharing: in a pipe");
        want_in("stderr", r.err, "rc.local:20: not carried: sh -c 'echo 5 > /sys/kernel/mm/ksm/max_page_sharing' extra: only 'sh -c SCRIPT'");
        want_in("stderr", r.err, "rc.local:21: carried: sudo cpupower frequency-set -g performance\n");
        want_in("stderr", r.err, "rc.local:22: not carried: echo performance > /sys/devices/system/cpu/cpu0/cpufreq/"
                                 "scaling_governor: this kernel has no /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
        want_in("stderr", r.err, "rc.local:23: carried: ethtool -G eth0 rx 4096\n");
        free(got);
        run_result_free(&r);
}

/*
 * cpupower's *-set commands: every CPU unless -c names some; getopt_long's
 * option forms; idle-set -D N is idle_max_latency_us = N - 1; what has no
 * [cpu] key is reported, and a refused line carries none of its options.
 */
static void cpupower_lines(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "etc/rc.local",
                 "#!/bin/sh\n"
                 "cpupower frequency-set -g performance\n"                                /* 2 */
                 "sudo cpupower -c 0-3,8 frequency-set --governor=schedutil -r\n"         /* 3 */
                 "cpupower set -b 6\n"                                                    /* 4 */
                 "cpupower --cpu all set --perf-bias=0 -e balance_performance\n"          /* 5 */
                 "cpupower idle-set --disable-by-latency 10\n"                            /* 6 */
                 "cpupower idle-set -D 0\n"                                               /* 7 */
                 "cpupower idle-set -d 2\n"                                               /* 8 */
                 "cpupower frequency-set -g ondemand -u 2GHz\n"                           /* 9 */
                 "cpupower -c 0-x frequency-set -g performance\n"                         /* 10 */
                 "cpupower frequency-info\n"                                              /* 11 */
                 "cpupower frequency-set -g 'perf ormance'\n"                             /* 12 */
                 "cpupower set -b 16\n"                                                   /* 13 */
                 "cpupower set -t 1\n"                                                    /* 14 */
                 "cpupower -cx2 frequency-set -gpowersave\n"                              /* 15 */
                 "cpupower frequency-set\n"                                               /* 16 */
                 "x86_energy_perf_policy performance\n");                                 /* 17 */
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[cpu] governor = performance\n"
                            "[cpu] energy_perf_bias = 0\n"
                            "[cpu] energy_performance_preference = balance_performance\n"
                            "[cpu] idle_max_latency_us = 9\n"
                            "[cpu \"0-3,8\"] governor = schedutil\n");
        want_in("output", r.out, "# conflict: overrides /etc/rc.local:4: cpupower set -b 6 (6); the later source wins");
        want_in("output", r.out, "# cpupower idle-set -D 10 disables the states of latency 10 us or more: "
                                 "idle_max_latency_us = 9");
        want_in("stderr", r.err, "rc.local:3: carried: sudo cpupower -c 0-3,8 frequency-set --governor=schedutil -r\n");
        want_in("stderr", r.err, "rc.local:6: carried: cpupower idle-set --disable-by-latency 10\n");
        want_in("stderr", r.err, "rc.local:7: not carried: cpupower idle-set -D 0: idle-set -D 0 disables every state");
        want_in("stderr", r.err, "rc.local:8: not carried: cpupower idle-set -d 2: idle states by number (-d)");
        want_in("stderr", r.err, "rc.local:9: not carried: cpupower frequency-set -g ondemand -u 2GHz: CPU frequency limits (-u)");
        want_not_in("output", r.out, "ondemand");
        want_in("stderr", r.err, "rc.local:10: not carried: cpupower -c 0-x frequency-set -g performance: '0-x' is not a CPU list");
        want_in("stderr", r.err, "rc.local:11: not carried: cpupower frequency-info: cpupower frequency-info sets nothing");
        want_in("stderr", r.err, "rc.local:12: not carried: cpupower frequency-set -g 'perf ormance': 'perf ormance' is not a value of [cpu] governor");
        want_in("stderr", r.err, "rc.local:13: not carried: cpupower set -b 16: '16' is not an energy_perf_bias 0-15");
        want_in("stderr", r.err, "rc.local:14: not carried: cpupower set -t 1: cpupower set -t has no kvmtune form");
        want_in("stderr", r.err, "rc.local:15: not carried: cpupower -cx2 frequency-set -gpowersave: 'x2' is not a CPU list");
        want_in("stderr", r.err, "rc.local:16: not carried: cpupower frequency-set: cpupower frequency-set with nothing to set");
        want_in("stderr", r.err, "rc.local:17: not carried: x86_energy_perf_policy performance: CPU power policy");
        want_in("stderr", r.err, "import: 5 carried, 11 not carried");
        free(got);
        run_result_free(&r);
}

/*
 * Writes into /sys/devices/system/cpu: a CPU's file is [cpu "N"] where this
 * host has it, a policy's the CPU it is named after, a loop over every CPU
 * plain [cpu]; intel_pstate's limits plain [cpu]; cpuidle states by number
 * and other files are reported.
 */
static void cpu_files(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "schedutil\n");
        fr_write(root, "sys/devices/system/cpu/cpufreq/policy2/scaling_governor", "schedutil\n");
        fr_write(root, "sys/devices/system/cpu/cpu1/power/energy_perf_bias", "6\n");
        fr_write(root, "sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us", "0\n");
        fr_write(root, "sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
        fr_write(root, "sys/devices/system/cpu/intel_pstate/status", "active\n");
        fr_write(root, "etc/rc.local",
                 "#!/bin/sh\n"
                 "echo performance > /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor\n"          /* 2 */
                 "echo ondemand > /sys/devices/system/cpu/cpufreq/policy2/scaling_governor\n"          /* 3 */
                 "echo balance-power > /sys/devices/system/cpu/cpu1/power/energy_perf_bias\n"          /* 4 */
                 "echo n/a > /sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us\n"            /* 5 */
                 "echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo\n"                            /* 6 */
                 "for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo performance > $g; done\n" /* 7 */
                 "echo 1 > /sys/devices/system/cpu/cpu0/cpuidle/state2/disable\n"                      /* 8 */
                 "echo 0 > /sys/devices/system/cpu/cpu3/online\n"                                      /* 9 */
                 "echo passive > /sys/devices/system/cpu/intel_pstate/status\n"                        /* 10 */
                 "echo performance > /sys/devices/system/cpu/cpu7/cpufreq/scaling_governor\n"          /* 11 */
                 "echo 'fast gov' > /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor\n"           /* 12 */
                 "for g in /sys/devices/system/cpu/cpu[0-3]/cpufreq/scaling_governor; do echo powersave > $g; done\n" /* 13 */
                 "echo schedutil > /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor\n");         /* 14 */
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[cpu] no_turbo = 1\n"
                            "[cpu] governor = performance\n"
                            "[cpu \"0\"] governor = schedutil\n"
                            "[cpu \"1\"] energy_perf_bias = balance-power\n"
                            "[cpu \"1\"] resume_latency_us = n/a\n");
        /* the loop over every CPU replaced the governors written before it; plain [cpu] comes first */
        want_in("output", r.out, "# /etc/rc.local:3: echo ondemand > /sys/devices/system/cpu/cpufreq/policy2/scaling_governor\n"
                                 "# dropped: /etc/rc.local:7 sets governor on every CPU after it\n");
        assert_true(strstr(r.out, "\n[cpu]\n") && strstr(r.out, "\n[cpu \"0\"]\n") &&
                    strstr(r.out, "\n[cpu]\n") < strstr(r.out, "\n[cpu \"0\"]\n"));
        want_in("stderr", r.err, "rc.local:2: carried: echo performance > /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor\n");
        want_in("stderr", r.err, "rc.local:7: carried: for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; "
                                 "do echo performance > $g; done");
        want_in("stderr", r.err, "rc.local:8: not carried: echo 1 > /sys/devices/system/cpu/cpu0/cpuidle/state2/disable: "
                                 "idle states by number");
        want_in("stderr", r.err, "rc.local:9: not carried: echo 0 > /sys/devices/system/cpu/cpu3/online: kvmtune has no "
                                 "setting that writes /sys/devices/system/cpu/cpu3/online");
        want_in("stderr", r.err, "rc.local:10: not carried: echo passive > /sys/devices/system/cpu/intel_pstate/status: "
                                 "kvmtune has no [cpu] key for intel_pstate/status");
        want_in("stderr", r.err, "rc.local:11: not carried: echo performance > /sys/devices/system/cpu/cpu7/cpufreq/"
                                 "scaling_governor: this kernel has no /sys/devices/system/cpu/cpu7/cpufreq/scaling_governor");
        want_in("stderr", r.err, "rc.local:12: not carried: ");
        want_in("stderr", r.err, "rc.local:13: not carried: ");
        want_not_in("output", r.out, "powersave");
        free(got);
        run_result_free(&r);
}

/* for loops over device globs and word lists become the glob settings */
static void for_loops(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "etc/rc.local",
                 "#!/bin/sh\n"
                 "for f in /sys/block/sd*/queue/scheduler; do echo deadline > $f; done\n"                  /* 2 */
                 "for i in /sys/block/sd?; do echo 1024 > $i/queue/read_ahead_kb; done\n"                  /* 3 */
                 "for d in vda zram0\n"                                                                     /* 4 */
                 "do\n"
                 "    echo 256 > \"/sys/block/${d}/queue/read_ahead_kb\"\n"                                 /* 6 */
                 "done\n"
                 "echo 0 > /proc/sys/net/ipv4/conf/eth0/log_martians\n"                                     /* 8 */
                 "for n in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 2 > $n; done\n"                    /* 9 */
                 "for dev in /sys/class/net/eth*; do echo 5000 > $dev/tx_queue_len; done\n"                /* 10 */
                 "for f in /sys/block/vd*/queue/scheduler; do logger \"$f\"; echo noop > $f; done\n"       /* 11 */
                 "for f in /sys/block/*/device/timeout; do echo 180 > $f; done\n"                          /* 12 */
                 "for k in $(ls /sys/block); do echo none > /sys/block/$k/queue/scheduler; done\n"         /* 13 */
                 "for f in /sys/block/sd*/queue/nr_requests; do echo $N > $f; done\n"                      /* 14 */
                 "while read d; do echo none > /sys/block/$d/queue/scheduler; done < /etc/disks\n"         /* 15 */
                 "for i in 1 2 3; do logger hi; done\n"                                                     /* 16 */
                 "for m in /proc/sys/net/ipv4/conf/*/log_martians; do echo 1 > $m; done\n"                 /* 17 */
                 "for f in /sys/block/sd*/queue/scheduler; do echo none > $f/x/$f; done\n"                 /* 18 */
                 "for f in /sys/block/nvme*/queue/scheduler; do [ -w \"$f\" ] && echo none > \"$f\"; done\n" /* 19 */
                 "for k in run pages_to_scan nosuch; do\n"                                                  /* 20 */
                 "    test -f /sys/kernel/mm/ksm/$k && echo 1 > /sys/kernel/mm/ksm/$k\n"                     /* 21 */
                 "done\n"
                 "for f in /sys/block/hd*/queue/scheduler; do [ -w /etc/x ] && echo none > $f; done\n");  /* 23 */
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] net.ipv4.conf.eth0.log_martians = 0\n"
                            "[sysctl] net.ipv4.conf.*.rp_filter = 2\n"
                            "[ksm] run = 1\n"
                            "[ksm] pages_to_scan = 1\n"
                            "[block \"sd*\"] scheduler = mq-deadline none\n"
                            "[block \"sd?\"] read_ahead_kb = 1024\n"
                            "[block \"vda\"] read_ahead_kb = 256\n"
                            "[block \"zram0\"] read_ahead_kb = 256\n"
                            "[block \"vd*\"] scheduler = none\n"
                            "[block \"nvme*\"] scheduler = none\n"
                            "[netdev \"eth*\"] txqueuelen = 5000\n");
        want_in("stderr", r.err, "rc.local:2: carried: for f in /sys/block/sd*/queue/scheduler; do echo deadline > $f; "
                                 "done (in the for loop of line 2");
        want_in("output", r.out, "'none' after it for the devices of the glob that do not offer mq-deadline");
        want_in("output", r.out, "# /etc/rc.local:6: for d in vda zram0; do echo 256 > \"/sys/block/${d}/queue/read_ahead_kb\"; done\n");
        want_in("stderr", r.err, "rc.local:11: not carried: for f in /sys/block/vd*/queue/scheduler; do logger \"$f\"; "
                                 "done: in the for loop of line 11: only 'echo VALUE > FILE' through $f");
        want_in("stderr", r.err, "rc.local:11: carried: for f in /sys/block/vd*/queue/scheduler; do echo noop > $f; done");
        want_in("stderr", r.err, "rc.local:12: not carried: for f in /sys/block/*/device/timeout; do echo 180 > $f; "
                                 "done: kvmtune has no glob form for /sys/block/*/device/timeout");
        want_in("stderr", r.err, "rc.local:13: not carried: ");
        want_in("stderr", r.err, "rc.local:14: not carried: for f in /sys/block/sd*/queue/nr_requests; do echo $N > "
                                 "$f; done: in the for loop of line 14: the value holds $");
        want_in("stderr", r.err, "rc.local:15: not carried: echo none > /sys/block/$d/queue/scheduler: it holds $");
        want_not_in("stderr", r.err, "rc.local:16");
        want_in("stderr", r.err, "rc.local:17: not carried: for m in /proc/sys/net/ipv4/conf/*/log_martians; do echo "
                                 "1 > $m; done: it overrides net/ipv4/conf/eth0/log_martians set earlier");
        want_in("stderr", r.err, "rc.local:18: not carried: ");
        want_in("stderr", r.err, "rc.local:19: carried: for f in /sys/block/nvme*/queue/scheduler; do echo none > \"$f\"; done");
        want_in("stderr", r.err, "rc.local:21: carried: for k in run pages_to_scan nosuch; do echo 1 > /sys/kernel/mm/ksm/$k; done");
        want_in("output", r.out, "written only where /sys/kernel/mm/ksm/run exists");
        want_in("stderr", r.err, "rc.local:23: not carried: for f in /sys/block/hd*/queue/scheduler; do echo none > $f; "
                                 "done: in the for loop of line 23: the guard tests another file");
        free(got);
        run_result_free(&r);
}

/* per-node pools, blockdev --setra, sysctl -p FILE, a mount point with a trailing '/' */
static void nodes_blockdev_sysctl_p_mounts(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        for (int n = 0; n < 2; n++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/hugepages/hugepages-1048576kB/nr_hugepages", n);
                fr_write(root, rel, "0\n");
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages", n);
                fr_write(root, rel, "0\n");
        }
        fr_write(root, "sys/devices/pci0000:00/0000:00:05.0/block/sdb/queue/read_ahead_kb", "128\n");
        fr_symlink(root, "../devices/pci0000:00/0000:00:05.0/block/sdb", "sys/block/sdb");
        fr_write(root, "sys/class/block/sdb1/partition", "1\n");
        fr_write(root, "etc/sysctl.d/60-hv.conf", "# hypervisor\nvm.swappiness = 7\nkernel.nosuchkey.x = 1\n");
        fr_write(root, "etc/sysctl.conf", "net.core.somaxconn = 300\n");
        fr_write(root, "etc/fstab", "nodev /mnt/huge/ hugetlbfs pagesize=1G 0 0\n");
        fr_write(root, "etc/shadow", "root:secret:19000:0:99999:7:::\n");
        fr_write(root, "etc/rc.local",
                 "#!/bin/sh\n"
                 "echo 4 > /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages\n"     /* 2 */
                 "echo 4 > /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages\n"     /* 3 */
                 "echo 512 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages\n"      /* 4 */
                 "echo 100 > /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages\n"      /* 5 */
                 "echo 1 > /sys/devices/system/node/node7/hugepages/hugepages-2048kB/nr_hugepages\n"        /* 6 */
                 "blockdev --setra 8192 /dev/vda /dev/sdb\n"                                               /* 7 */
                 "blockdev --setra 256 /dev/sdb1\n"                                                        /* 8 */
                 "blockdev --setbsz 4096 /dev/vda\n"                                                       /* 9 */
                 "blockdev --getra /dev/vda\n"                                                             /* 10 */
                 "echo 50 > /proc/sys/net/core/somaxconn\n"                                                /* 11 */
                 "sysctl -p\n"                                                                             /* 12 */
                 "sysctl -q -p /etc/sysctl.d/60-hv.conf\n"                                                 /* 13 */
                 "sysctl -p /etc/nosuch.conf\n"                                                            /* 14 */
                 "mount -t hugetlbfs -o pagesize=2048K none /mnt/huge2m/\n"                                /* 15 */
                 "sysctl -p /etc/shadow\n");                                                              /* 16 */
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] vm.swappiness = 7\n"
                            "[sysctl] -kernel.nosuchkey.x = 1\n"
                            "[sysctl] net.core.somaxconn = 300\n"
                            "[hugepages \"1G\"] pages = 8\n"
                            "[hugepages \"1G\"] nodes = 0 1\n"
                            "[hugepages] pages = 512\n"
                            "[hugepages] nodes = 0\n"
                            "[hugetlbfs \"/mnt/huge\"] pagesize = 1G\n"
                            "[hugetlbfs \"/mnt/huge2m\"] pagesize = 2048K\n"
                            "[block \"vda\"] read_ahead_kb = 4096\n"
                            "[block \"sdb\"] read_ahead_kb = 4096\n");
        want_in("stderr", r.err, "rc.local:3: carried: echo 4 > /sys/devices/system/node/node1/");
        want_in("output", r.out, "node 1: 4 pages; the per-node pools read so far sum to 8 on nodes 0 1");
        want_in("stderr", r.err, "rc.local:5: not carried: echo 100 > /sys/devices/system/node/node1/hugepages/"
                                 "hugepages-2048kB/nr_hugepages: with the other per-node pools of this size the nodes "
                                 "are not an even split");
        want_in("stderr", r.err, "rc.local:6: not carried: echo 1 > /sys/devices/system/node/node7/hugepages/"
                                 "hugepages-2048kB/nr_hugepages: this host has no");
        want_in("output", r.out, "blockdev --setra 8192 counts 512-byte sectors: read_ahead_kb = 4096");
        want_in("stderr", r.err, "rc.local:8: not carried: blockdev --setra 256 /dev/sdb1: /dev/sdb1 is a partition");
        want_in("stderr", r.err, "rc.local:9: not carried: blockdev --setbsz 4096 /dev/vda: only 'blockdev --setra");
        want_not_in("stderr", r.err, "rc.local:10");
        /* sysctl -p re-reads sysctl.conf after line 11: its value wins again, as at boot */
        want_in("output", r.out, "# conflict: overrides /etc/rc.local:11: echo 50 > /proc/sys/net/core/somaxconn (50); "
                                 "the later source wins\nnet.core.somaxconn = 300\n");
        want_in("stderr", r.err, "rc.local:12: carried: sysctl -p\n");
        want_in("stderr", r.err, "rc.local:13: carried: sysctl -q -p /etc/sysctl.d/60-hv.conf\n");
        want_in("stderr", r.err, "rc.local:14: not carried: sysctl -p /etc/nosuch.conf: cannot read /etc/nosuch.conf");
        want_in("stderr", r.err, "/etc/fstab:1: carried: nodev /mnt/huge/ hugetlbfs");
        want_in("stderr", r.err, "rc.local:15: carried: mount -t hugetlbfs");
        want_in("stderr", r.err, "rc.local:16: not carried: sysctl -p /etc/shadow: '/etc/shadow' is not a .conf file");
        want_not_in("stderr", r.err, "secret");
        free(got);
        run_result_free(&r);
}

/* udev rules that set queue attributes or tx_queue_len */
static void udev_rules(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "etc/udev/rules.d/60-scheduler.rules",
                 "# set the I/O scheduler by disk kind\n"
                 "ACTION==\"add|change\", KERNEL==\"sd[a-z]\", ATTR{queue/rotational}==\"0\", ATTR{queue/scheduler}=\"mq-deadline\"\n"
                 "ACTION==\"add|change\", KERNEL==\"sd[a-z]\", ATTR{queue/rotational}==\"1\", ATTR{queue/scheduler}=\"bfq\"\n"
                 "ACTION==\"add|change\", KERNEL==\"nvme[0-9]n[0-9]|vd*\", ATTR{queue/scheduler}=\"none\", \\\n"
                 "    ATTR{queue/read_ahead_kb}=\"256\"\n"                                                     /* 4-5 */
                 "SUBSYSTEM==\"block\", KERNEL==\"sd*\", ATTRS{model}==\"Samsung*\", ATTR{queue/scheduler}=\"none\"\n" /* 6 */
                 "ACTION==\"add\", KERNEL==\"dm-*\", OWNER=\"qemu\", ATTR{queue/nr_requests}=\"512\"\n"      /* 7 */
                 "KERNEL==\"sd*\", ATTR{queue/iosched/slice_idle}=\"0\"\n"                                   /* 8 */
                 "KERNEL==\"sd*\", RUN+=\"/bin/sh -c 'echo 1024 > /sys%p/queue/read_ahead_kb'\"\n"           /* 9 */
                 "KERNEL==\"sd*\", OWNER=\"disk\"\n");                                                    /* 10: not tuning */
        fr_write(root, "etc/udev/rules.d/70-net.rules",
                 "SUBSYSTEM!=\"net\", GOTO=\"net_end\"\n"
                 "ACTION==\"add\", KERNEL==\"eth*\", ATTR{tx_queue_len}=\"10000\"\n"                         /* 2 */
                 "LABEL=\"net_end\"\n"
                 "ENV{ID_VENDOR}!=\"Intel\", GOTO=\"x_end\"\n"
                 "KERNEL==\"ens*\", ATTR{tx_queue_len}=\"5000\"\n"                                           /* 5 */
                 "LABEL=\"x_end\"\n"
                 "SUBSYSTEM==\"net\", ATTR{queue/scheduler}=\"none\"\n");                                    /* 7 */
        fr_write(root, "etc/udev/rules.d/README", "KERNEL==\"sd*\", ATTR{queue/scheduler}=\"kyber\"\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[block \"sd[a-z]\"] scheduler = mq-deadline none\n"
                            "[block \"sd[a-z]\"] match-rotational = no\n"
                            "[block \"sd[a-z]\"] scheduler = bfq none\n"
                            "[block \"sd[a-z]\"] match-rotational = yes\n"
                            "[block \"nvme[0-9]n[0-9] vd*\"] scheduler = none\n"
                            "[block \"nvme[0-9]n[0-9] vd*\"] read_ahead_kb = 256\n"
                            "[block \"dm-*\"] nr_requests = 512\n"
                            "[block \"sd*\"] iosched.slice_idle = 0\n"
                            "[netdev \"eth*\"] txqueuelen = 10000\n");
        want_in("stderr", r.err, "60-scheduler.rules:2: carried: ACTION==\"add|change\", KERNEL==\"sd[a-z]\"");
        want_in("stderr", r.err, "60-scheduler.rules:4: carried:");
        want_in("stderr", r.err, "60-scheduler.rules:6: not carried: SUBSYSTEM==\"block\", KERNEL==\"sd*\", "
                                 "ATTRS{model}==\"Samsung*\", ATTR{queue/scheduler}=\"none\": the match "
                                 "ATTRS{model}==\"Samsung*\" has no kvmtune form");
        want_in("stderr", r.err, "60-scheduler.rules:7: carried: ACTION==\"add\", KERNEL==\"dm-*\", OWNER=\"qemu\", "
                                 "ATTR{queue/nr_requests}=\"512\" (the rule's other assignments stay");
        want_in("stderr", r.err, "60-scheduler.rules:8: carried: KERNEL==\"sd*\", ATTR{queue/iosched/slice_idle}=\"0\"");
        want_in("stderr", r.err, "60-scheduler.rules:9: not carried: KERNEL==\"sd*\", RUN+=");
        want_not_in("stderr", r.err, "60-scheduler.rules:10");
        want_in("stderr", r.err, "70-net.rules:2: carried:");
        want_in("stderr", r.err, "70-net.rules:5: not carried: KERNEL==\"ens*\", ATTR{tx_queue_len}=\"5000\": after the "
                                 "GOTO of line 4");
        want_in("stderr", r.err, "70-net.rules:7: not carried: SUBSYSTEM==\"net\", ATTR{queue/scheduler}=\"none\": "
                                 "SUBSYSTEM==\"net\" with disk attributes");
        want_not_in("stderr", r.err, "README");
        /* two sections for one glob, each with its own filter */
        want_in("output", r.out, "[block \"sd[a-z]\"]\n# /etc/udev/rules.d/60-scheduler.rules:2:");
        assert_non_null(strstr(strstr(r.out, "[block \"sd[a-z]\"]") + 1, "[block \"sd[a-z]\"]"));
        free(got);
        run_result_free(&r);
}

/* TuneD: the active profile and its include chain, read from the host tree */
static void tuned_profiles(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "usr/lib/tuned/throughput-performance/tuned.conf",
                 "[main]\n"
                 "summary=Broadly applicable tuning\n"
                 "[cpu]\n"
                 "governor=performance\n"                                        /* 4 */
                 "[disk]\n"
                 "readahead=>4096\n"                                             /* 6 */
                 "[sysctl]\n"
                 "vm.swappiness=10\n"                                            /* 8 */
                 "net.core.somaxconn=>2048\n");
        fr_write(root, "usr/lib/tuned/virtual-host/tuned.conf",
                 "[main]\n"
                 "include=throughput-performance\n"
                 "[sysctl]\n"
                 "vm.swappiness=5\n"                                             /* 4: wins over the parent */
                 "[vm]\n"
                 "transparent_hugepages=never\n"                                 /* 6 */
                 "[my_disk]\n"
                 "type=disk\n"
                 "devices=vda, vdb\n"
                 "elevator=deadline\n"                                           /* 10 */
                 "readahead=8192 s\n"                                            /* 11 */
                 "[sysfs]\n"
                 "/sys/kernel/mm/ksm/run=0\n"                                    /* 13 */
                 "[scheduler]\n"
                 "sched_min_granularity_ns=${f:exec:cat:/x}\n");                 /* 15 */
        fr_write(root, "etc/tuned/virtual-host/tuned.conf",                     /* the admin's copy comes first */
                 "[main]\n"
                 "include=virtual-host-base\n");
        fr_write(root, "etc/tuned/active_profile", "virtual-host\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/tuned/virtual-host/tuned.conf:2: not carried: include=virtual-host-base: the "
                                 "TuneD profile virtual-host-base is not on this host");
        run_result_free(&r);

        unlink_rel(root, "etc/tuned/virtual-host/tuned.conf");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        got = settings_of(r.out);
        assert_string_equal(got,
                            "[sysctl] vm.swappiness = 5\n"
                            "[sysctl] net.core.somaxconn = >= 2048\n"
                            "[ksm] run = 0\n"
                            "[thp] enabled = never\n"
                            "[block \"*\"] read_ahead_kb = >= 4096\n"
                            "[cpu] governor = performance\n");
        want_in("output", r.out, "# /usr/lib/tuned/virtual-host/tuned.conf:4: vm.swappiness=5\n"
                                 "# conflict: overrides /usr/lib/tuned/throughput-performance/tuned.conf:8");
        want_in("stderr", r.err, "throughput-performance/tuned.conf:4: carried: governor=performance");
        want_in("stderr", r.err, "throughput-performance/tuned.conf:6: carried: readahead=>4096");
        /* TuneD 2.20 gives every disk to the parent's [disk] (devices=*) first: [my_disk] tunes none */
        want_in("stderr", r.err, "virtual-host/tuned.conf:11: not carried: readahead=8192 s: the earlier instance "
                                 "[disk] (devices=*) claims every device [my_disk] names first");
        want_in("stderr", r.err, "virtual-host/tuned.conf:15: not carried: sched_min_granularity_ns=${f:exec:cat:/x}: "
                                 "it holds a TuneD variable");
        want_in("stderr", r.err, "run 'tuned-adm off'");
        free(got);
        run_result_free(&r);

        /* tuned-adm profile in rc.local reads the profile at its place */
        unlink_rel(root, "etc/tuned/active_profile");
        fr_write(root, "etc/rc.local", "#!/bin/sh\ntuned-adm profile throughput-performance\ntuned-adm profile no-such\n");
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        got = settings_of(r.out);
        assert_string_equal(got, "[sysctl] vm.swappiness = 10\n[sysctl] net.core.somaxconn = >= 2048\n"
                                 "[block \"*\"] read_ahead_kb = >= 4096\n[cpu] governor = performance\n");
        want_in("stderr", r.err, "rc.local:2: carried: tuned-adm profile throughput-performance");
        want_in("stderr", r.err, "rc.local:3: not carried: tuned-adm profile no-such: the TuneD profile no-such is "
                                 "not on this host");
        /* the profile's report comes at the line that loads it */
        assert_true(strstr(r.err, "throughput-performance/tuned.conf:8: carried") < strstr(r.err, "rc.local:3:"));
        free(got);
        run_result_free(&r);
}

/* /dev/hugepages is systemd's mount: the output asks for the drop-in that keeps the options */
static void dev_hugepages_dropin(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/fstab", "hugetlbfs /dev/hugepages hugetlbfs mode=1770,gid=78,defaults 0 0\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        want_not_in("output", r.out, "dev-hugepages.mount");    /* no systemd unit in this tree */
        run_result_free(&r);

        fr_write(root, "usr/lib/systemd/system/dev-hugepages.mount", "[Mount]\nWhat=hugetlbfs\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 0);
        parses_cleanly(root, r.out);
        want_in("output", r.out, "#   /etc/systemd/system/dev-hugepages.mount.d/50-kvmtune.conf\n#   [Mount]\n"
                                 "#   Options=nosuid,nodev,mode=1770,gid=78\n");
        want_in("output", r.out, "[hugetlbfs \"/dev/hugepages\"]");
        want_in("stderr", r.err, "/etc/fstab:1: also install a drop-in for dev-hugepages.mount");
        run_result_free(&r);
}

/*
 * A host where every line is one of the forms import understands: import
 * exits 0, and after applying its output to the same tree, verify passes.
 */
static void every_form_round_trip(void **state)
{
        const char *root = *state;
        struct run_result r, a, v;
        char *conf;

        fr_mkdir(root, "usr/bin");
        fr_symlink(root, "dash", "usr/bin/sh");
        for (int n = 0; n < 2; n++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/hugepages/hugepages-1048576kB/nr_hugepages", n);
                fr_write(root, rel, "0\n");
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages", n);
                fr_write(root, rel, "0\n");
        }
        fr_write(root, "sys/devices/system/node/online", "0-1\n");
        fr_write(root, "sys/devices/system/node/possible", "0-1\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:05.0/block/sdb/queue/scheduler", "[none] mq-deadline kyber bfq\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:05.0/block/sdb/queue/rotational", "1\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:05.0/block/sdb/queue/read_ahead_kb", "128\n");
        fr_write(root, "sys/devices/pci0000:00/0000:00:05.0/block/sdb/queue/nr_requests", "64\n");
        fr_symlink(root, "../devices/pci0000:00/0000:00:05.0/block/sdb", "sys/block/sdb");
        fr_write(root, "proc/sys/vm/max_map_count", "65530\n");
        fr_write(root, "proc/sys/net/core/netdev_max_backlog", "1000\n");

        fr_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX=\"hugepagesz=1G\"\n"
                                           "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        fr_write(root, "etc/default/grub.d/50-kvm.cfg",
                 "GRUB_CMDLINE_LINUX_DEFAULT=\"${GRUB_CMDLINE_LINUX_DEFAULT} hugepages=2 transparent_hugepage=madvise\"\n");
        fr_write(root, "etc/sysctl.d/50-kvm.conf", "net.core.somaxconn = 4096\nvm.swappiness = 10\n");
        fr_write(root, "etc/udev/rules.d/60-io.rules",
                 "ACTION==\"add|change\", KERNEL==\"sd[a-z]\", ATTR{queue/rotational}==\"1\", ATTR{queue/scheduler}=\"bfq\"\n");
        fr_write(root, "etc/fstab", "nodev /mnt/huge/ hugetlbfs pagesize=2M,mode=1770 0 0\n");
        fr_write(root, "usr/lib/tuned/kvm/tuned.conf", "[main]\nsummary=kvm\n[sysctl]\nnet.core.netdev_max_backlog=5000\n"
                                                       "[disk]\ndevices=vda\nreadahead=1024\n");
        fr_write(root, "etc/tuned/active_profile", "kvm\n");
        fr_write(root, "etc/rc.local",
                 "#!/bin/sh -e\n"
                 "sudo sysctl -w vm.max_map_count=262144\n"
                 "[ -w /sys/kernel/mm/ksm/run ] && echo 1 > /sys/kernel/mm/ksm/run\n"
                 "if test -f /sys/kernel/mm/transparent_hugepage/defrag; then\n"
                 "    echo never > /sys/kernel/mm/transparent_hugepage/defrag\n"
                 "fi\n"
                 "echo 500 | sudo tee /sys/kernel/mm/ksm/pages_to_scan >/dev/null\n"
                 "sudo sh -c 'echo \"4096\\t87380\\t6291456\" > /proc/sys/net/ipv4/tcp_rmem'\n"
                 "for f in /sys/block/vd*/queue/nr_requests; do echo 128 > $f; done\n"
                 "echo 8 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages\n"
                 "echo 8 > /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages\n"
                 "blockdev --setra 512 /dev/sdb\n"
                 "ip link set dev eth0 txqueuelen 2000\n"
                 "exit 0\n");
        make_exec(root, "etc/rc.local");
        kv_run(&r, root, "import", NULL);
        if (r.status != 0)
                fail_msg("import exited %d:\n%s", r.status, r.err);
        want_not_in("stderr", r.err, ": not carried:");
        parses_cleanly(root, r.out);
        fr_write(root, "imported.conf", r.out);
        assert_true(asprintf(&conf, "%s/imported.conf", root) > 0);
        /* booted with its grub lines; the kernel granted none of the 1G pool: apply tops it up */
        fr_write(root, "proc/cmdline", "root=/dev/vda1 hugepagesz=1G quiet hugepages=2 transparent_hugepage=madvise\n");
        kv_run(&a, root, "apply", "--config", conf, NULL);
        if (a.status != 0)
                fail_msg("apply exited %d:\n%s\n%s\nconfig:\n%s", a.status, a.out, a.err, r.out);
        /* what a real apply would have done: the mount is there */
        fr_write(root, "proc/self/mountinfo",
                 "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                 "40 22 0:40 / /mnt/huge rw,relatime shared:20 - hugetlbfs nodev rw,mode=1770,pagesize=2M\n");
        kv_run(&v, root, "verify", "--config", conf, NULL);
        if (v.status != 0)
                fail_msg("verify exited %d:\n%s\n%s\nconfig:\n%s", v.status, v.out, v.err, r.out);
        want_value(root, "proc/sys/net/ipv4/tcp_rmem", "4096 87380 6291456");
        want_value(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "2");
        want_value(root, "sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "8");
        want_value(root, "sys/block/sdb/queue/scheduler", "bfq");
        want_value(root, "sys/block/sdb/queue/read_ahead_kb", "256");
        want_value(root, "sys/block/vda/queue/read_ahead_kb", "1024");
        want_value(root, "sys/block/vda/queue/nr_requests", "128");
        free(conf);
        run_result_free(&v);
        run_result_free(&a);
        run_result_free(&r);
}

/* findings of fuzz/fuzz_shell, kept as cases */
static void fuzz_findings(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *text = NULL, *file;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);

        /* the "after the exit" reason outlived the command array growing under it */
        fputs("#!/bin/sh\nexit 0\n", m);
        for (int i = 0; i < 100; i++)
                fputs("echo 1 > /sys/kernel/mm/ksm/run; true\n", m);
        fputs("for f in /sys/block/vd*/queue/scheduler; do echo none > $f; done\n", m);
        fclose(m);
        fr_write(root, "in/rc.local", text);
        assert_true(asprintf(&file, "%s/in/rc.local", root) > 0);
        kv_run(&r, root, "import", file, NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "rc.local:101: not carried: echo 1 > /sys/kernel/mm/ksm/run: after the exit at line 2: "
                                 "it may never run\n");
        want_in("stderr", r.err, "rc.local:103: not carried: echo none > $f: ");
        want_not_in("stderr", r.err, ": carried:");
        want_in("stderr", r.err, "0 carried, 101 not carried");
        run_result_free(&r);

        /* a sysctl key with ':' was carried as a line that does not parse */
        fr_write(root, "in/rc.local", "#!/bin/sh\nsysctl -w net.core.:omaxconn=1024 vm.swappiness=10\n");
        kv_run(&r, root, "import", file, NULL);
        want_status(&r, 1);
        parses_cleanly(root, r.out);
        want_not_in("output", r.out, ":omaxconn");
        want_in("stderr", r.err, "not carried: sysctl -w net.core.:omaxconn=1024 vm.swappiness=10: "
                                 "'net.core.:omaxconn' is not a valid sysctl key");
        free(file);
        free(text);
        run_result_free(&r);
}

/* the one line reader: comments, refused lines and continuations alike in every source */
static void line_reader(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *got;

        fr_write(root, "etc/modprobe.d/ct.conf", "# conntrack\noptions nf_conntrack \\\n    hashsize=8192\n");
        fr_write(root, "etc/modules", "; comment\n# comment\n\n   tcp_bbr   \n");
        fr_write(root, "etc/sysctl.conf", "; old comment\n  vm.swappiness = 3  \nkernel.x\x01y = 1\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        got = settings_of(r.out);
        assert_string_equal(got, "[sysctl] vm.swappiness = 3\n"
                                 "[modules] load = tcp_bbr\n"
                                 "[conntrack] hashsize = 8192\n"
                                 "[conntrack] load = no\n");
        want_in("stderr", r.err, "/etc/modprobe.d/ct.conf:2: carried: options nf_conntrack  hashsize=8192");
        want_in("stderr", r.err, "/etc/sysctl.conf:3: not carried: line holds a control character, refused");
        want_in("stderr", r.err, "/etc/modules:4: carried: tcp_bbr");
        free(got);
        run_result_free(&r);
}

/* nothing to import: a valid, empty configuration, exit 0 */
static void empty_host(void **state)
{
        struct run_result r;

        kv_run(&r, *state, "import", NULL);
        want_status(&r, 0);
        parses_cleanly(*state, r.out);
        want_in("stderr", r.err, "0 carried, 0 not carried");
        run_result_free(&r);
        kv_run(&r, *state, "import", "/nonexistent/kvmtune-import-file", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/nonexistent/kvmtune-import-file: not carried: cannot open");
        run_result_free(&r);
        /* a file name is quoted in comments: a newline in it must not become a setting */
        {
                char *evil, *got;
                fr_write(*state, "in/evil\n[ksm]\nrun = 1", "vm.swappiness = 5\n");
                assert_true(asprintf(&evil, "%s/in/evil\n[ksm]\nrun = 1", (const char *)*state) > 0);
                kv_run(&r, *state, "import", evil, NULL);
                want_status(&r, 0);
                parses_cleanly(*state, r.out);
                got = settings_of(r.out);
                assert_string_equal(got, "[sysctl] vm.swappiness = 5\n");
                free(got);
                free(evil);
                run_result_free(&r);
        }
        kv_run(&r, *state, "plan", "extra", NULL);     /* other commands still take no argument */
        want_status(&r, 2);
        run_result_free(&r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(import_guide_host), T(imported_file_plans), T(round_trip), T(hostile_rc_local),
                T(shell_forms), T(named_files_and_other_sources), T(empty_host), T(guards_and_conditions),
                T(echo_escapes), T(rc_local_as_systemd_runs_it), T(grub_joined_and_dropins), T(grub_kvm_arguments),
                T(prefixes_pipes_and_scripts), T(cpupower_lines), T(cpu_files), T(for_loops), T(nodes_blockdev_sysctl_p_mounts),
                T(udev_rules), T(tuned_profiles), T(dev_hugepages_dropin),
                T(every_form_round_trip), T(fuzz_findings),
                T(line_reader),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
