/* SPDX-License-Identifier: MIT */
/*
 * kvmtune import of TuneD profiles, read the way TuneD 2.20 reads them:
 * a section's cpuinfo_regex=/uname_regex= weighed on the host under --root
 * (its /proc/cpuinfo and /proc/sys/kernel/{ostype,hostname,osrelease,
 * version,arch}, or tuned-main.conf's cpuinfo_string/uname_string), values
 * unquoted as TuneD's sysctl plugin does, reapply_sysctl (the host's sysctl
 * files win over [sysctl]), the first instance claiming a device, and the
 * reason told for a '$' that is a regular expression's anchor.
 */
#include "want.h"

#define TP "/usr/lib/tuned/throughput-performance/tuned.conf"

/* the output without its comment lines: what kvmtune sets */
static char *settings(const char *text)
{
        char *out = calloc(1, strlen(text) + 1), *o = out;

        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");

                if (*l != '#') {
                        memcpy(o, l, n);
                        o += n;
                        *o++ = '\n';
                }
                l += n + (l[n] == '\n');
        }
        return out;
}

/* the lines of Debian's throughput-performance (TuneD 2.20) that matter here */
static const char throughput_performance[] =
        "[main]\n"
        "summary=Broadly applicable tuning\n"
        "[variables]\n"
        "thunderx_cpuinfo_regex=CPU part\\s+:\\s+(0x0?516)|(0x0?af)|(0x0?a[0-3])|(0x0?b8)\\b\n"   /* 4 */
        "[cpu]\n"
        "governor=performance\n"                                                                /* 6 */
        "[vm.thunderx]\n"
        "type=vm\n"                                                                             /* 8 */
        "uname_regex=aarch64\n"                                                                 /* 9 */
        "cpuinfo_regex=${thunderx_cpuinfo_regex}\n"                                             /* 10 */
        "transparent_hugepages=never\n"                                                         /* 11 */
        "[disk]\n"
        "readahead=>4096\n"                                                                     /* 13 */
        "[sysctl]\n"
        "vm.swappiness=10\n"                                                                    /* 15 */
        "net.core.somaxconn=>2048\n"                                                            /* 16 */
        "[sysctl.thunderx]\n"
        "type=sysctl\n"                                                                         /* 18 */
        "uname_regex=aarch64\n"                                                                 /* 19 */
        "cpuinfo_regex=${thunderx_cpuinfo_regex}\n"                                             /* 20 */
        "kernel.numa_balancing=0\n";                                                            /* 21 */

static void host(const char *root, const char *arch, const char *cpuinfo)
{
        fr_write(root, "usr/lib/tuned/throughput-performance/tuned.conf", throughput_performance);
        fr_write(root, "etc/tuned/active_profile", "throughput-performance\n");
        fr_write(root, "proc/sys/kernel/ostype", "Linux\n");
        fr_write(root, "proc/sys/kernel/hostname", "kvm1\n");
        fr_write(root, "proc/sys/kernel/osrelease", "6.1.0-13\n");
        fr_write(root, "proc/sys/kernel/version", "#1 SMP Debian 6.1.55-1\n");
        fr_write(root, "proc/sys/kernel/arch", arch);
        fr_write(root, "proc/cpuinfo", cpuinfo);
        fr_write(root, "proc/sys/kernel/numa_balancing", "1\n");
}

#define X86_CPUINFO "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6130\n"
#define THUNDERX_CPUINFO "processor\t: 0\nBogoMIPS\t: 200.00\nCPU implementer\t: 0x43\nCPU variant\t: 0x1\n" \
                         "CPU part\t: 0x0a1\nCPU revision\t: 1\n"

/* condition keys are conditions: the ThunderX sections stay off an x86 host and never become settings */
static void conditions_x86(void **state)
{
        const char *root = *state;
        struct run_result r;

        host(root, "x86_64\n", X86_CPUINFO);
        kv_run(&r, root, "import", NULL);
        want_not_in("output", r.out, "uname_regex");
        want_not_in("output", r.out, "cpuinfo_regex");
        want_not_in("output", r.out, "[thp]");
        want_not_in("output", r.out, "numa_balancing");
        want_in("stderr", r.err, TP ":11: not carried: transparent_hugepages=never: TuneD applies [vm.thunderx] only "
                                 "where cpuinfo_regex=${thunderx_cpuinfo_regex} (CPU part\\s+:\\s+(0x0?516)|");
        want_in("stderr", r.err, TP ":19: not carried: uname_regex=aarch64: TuneD applies [sysctl.thunderx] only");
        want_in("stderr", r.err, TP ":21: not carried: kernel.numa_balancing=0: TuneD applies [sysctl.thunderx]");
        want_in("stderr", r.err, TP ":15: carried: vm.swappiness=10");
        run_result_free(&r);

        /* an aarch64 host that is not a ThunderX: cpuinfo does not match, uname would */
        host(root, "aarch64\n", "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n");
        kv_run(&r, root, "import", NULL);
        want_not_in("output", r.out, "[thp]");
        want_not_in("output", r.out, "numa_balancing");
        run_result_free(&r);

        /* a ThunderX whose cpuinfo matches, on an x86_64 uname: both must hold */
        host(root, "x86_64\n", THUNDERX_CPUINFO);
        kv_run(&r, root, "import", NULL);
        want_not_in("output", r.out, "numa_balancing");
        want_in("stderr", r.err, TP ":21: not carried: kernel.numa_balancing=0: TuneD applies [sysctl.thunderx] only "
                                 "where uname_regex=aarch64 matches the host's uname, and it does not on this host "
                                 "('Linux kvm1 6.1.0-13 #1 SMP Debian 6.1.55-1 x86_64')");
        run_result_free(&r);
}

static void conditions_thunderx(void **state)
{
        const char *root = *state;
        struct run_result r;

        host(root, "aarch64\n", THUNDERX_CPUINFO);
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "[thp]\n# " TP ":11: transparent_hugepages=never\n"
                                 "# TuneD applies [vm.thunderx] only where uname_regex=aarch64 and cpuinfo_regex=");
        want_in("output", r.out, "match this host, as they do here\nenabled = never\n");
        want_in("output", r.out, "# " TP ":21: kernel.numa_balancing=0\n");
        want_in("output", r.out, "kernel.numa_balancing = 0\n");
        want_not_in("output", r.out, "uname_regex =");
        want_not_in("output", r.out, "cpuinfo_regex =");
        want_in("stderr", r.err, TP ":19: carried: uname_regex=aarch64 (the condition of the section");
        run_result_free(&r);

        /* tuned-main.conf's uname_string and cpuinfo_string stand for the host, as in TuneD */
        host(root, "aarch64\n", THUNDERX_CPUINFO);
        fr_write(root, "etc/tuned/tuned-main.conf", "uname_string = x86_64\ncpuinfo_string = CPU part : 0x0a1\n");
        kv_run(&r, root, "import", NULL);
        want_not_in("output", r.out, "numa_balancing");
        want_in("stderr", r.err, "matches uname_string of tuned-main.conf, and it does not on this host ('x86_64')");
        run_result_free(&r);
}

/* TuneD merges sections by name: a child's section keeps the parent's condition; enabled=false skips one */
static void conditions_merged(void **state)
{
        const char *root = *state;
        struct run_result r;

        host(root, "x86_64\n", X86_CPUINFO);
        fr_write(root, "usr/lib/tuned/kvm/tuned.conf",
                 "[main]\ninclude=throughput-performance\n"
                 "[sysctl.thunderx]\n"
                 "vm.max_map_count=262144\n"                            /* 4: still under the parent's condition */
                 "[cpu]\n"
                 "enabled=false\n");                                    /* 6 */
        fr_write(root, "proc/sys/vm/max_map_count", "65530\n");
        fr_write(root, "etc/tuned/active_profile", "kvm\n");
        kv_run(&r, root, "import", NULL);
        want_not_in("output", r.out, "max_map_count");
        want_not_in("output", r.out, "governor");
        want_in("stderr", r.err, "kvm/tuned.conf:4: not carried: vm.max_map_count=262144: TuneD applies [sysctl.thunderx] "
                                 "only where");
        want_in("stderr", r.err, TP ":6: not carried: governor=performance: [cpu] is disabled "
                                 "(/usr/lib/tuned/kvm/tuned.conf:6: enabled=false), so TuneD skips it");
        run_result_free(&r);

        /* a pattern POSIX cannot say is reported, never guessed */
        fr_write(root, "usr/lib/tuned/kvm/tuned.conf",
                 "[main]\n[sysctl]\ncpuinfo_regex=(?<=model name)\\s+:\nvm.max_map_count=262144\n");
        kv_run(&r, root, "import", NULL);
        want_not_in("output", r.out, "max_map_count");
        want_in("stderr", r.err, "kvm/tuned.conf:4: not carried: vm.max_map_count=262144: import cannot evaluate its "
                                 "condition cpuinfo_regex=(?<=model name)\\s+:: a (?...) group");
        run_result_free(&r);

        /* \d, a {m,n} count and a lazy quantifier translate */
        fr_write(root, "usr/lib/tuned/kvm/tuned.conf",
                 "[main]\n[sysctl]\ncpuinfo_regex=^model name\\s+:.*?Gold \\d{3,4}$\nvm.max_map_count=262144\n");
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "vm.max_map_count = 262144\n");
        run_result_free(&r);
}

/* TuneD's sysctl plugin unquotes the value; the kernel would refuse the quotes */
static void quoting(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *set;

        fr_write(root, "proc/sys/net/ipv4/tcp_wmem", "4096\t16384\t4194304\n");
        fr_write(root, "proc/sys/kernel/printk", "7\t4\t1\t7\n");
        fr_write(root, "usr/lib/tuned/nt/tuned.conf",
                 "[main]\n"
                 "[sysctl]\n"
                 "net.ipv4.tcp_rmem=\"4096 87380 16777216\"\n"          /* 3 */
                 "kernel.printk=\"4 4 1 7\"   # inline comment\n"       /* 4 */
                 "net.core.somaxconn=>=5000\n"                          /* 5 */
                 "vm.swappiness=<\"5\"\n"                               /* 6 */
                 "[sysfs]\n"
                 "/sys/kernel/mm/ksm/run=\"1\"\n");                     /* 8 */
        fr_write(root, "etc/tuned/active_profile", "nt\n");
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "net.ipv4.tcp_rmem = 4096 87380 16777216\n");
        want_in("output", r.out, "kernel.printk = 4 4 1 7\n");
        set = settings(r.out);
        want_not_in("settings", set, "\"");
        want_not_in("settings", set, "somaxconn");
        free(set);
        want_in("stderr", r.err, "nt/tuned.conf:5: not carried: net.core.somaxconn=>=5000: TuneD's '>' takes a number; "
                                 "with '>=5000' it writes the text as it is, which the kernel refuses");
        want_in("stderr", r.err, "nt/tuned.conf:6: not carried: vm.swappiness=<\"5\"");
        want_in("stderr", r.err, "nt/tuned.conf:8: not carried: /sys/kernel/mm/ksm/run=\"1\": TuneD's [sysfs] writes the "
                                 "value with its quotes");
        run_result_free(&r);
}

/* reapply_sysctl (on by default, and in Debian's tuned-main.conf): the host's sysctl files win */
static void precedence(void **state)
{
        const char *root = *state;
        struct run_result r;

        host(root, "x86_64\n", X86_CPUINFO);
        fr_write(root, "etc/sysctl.conf", "vm.swappiness=60\n");
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "# /etc/sysctl.conf:1: vm.swappiness=60\n"
                                 "# TuneD's " TP ":15 sets 10 too, but TuneD re-applies the host's sysctl files after "
                                 "its profile (TuneD's default, there is no /etc/tuned/tuned-main.conf): this value "
                                 "stays\nvm.swappiness = 60\n");
        want_in("stderr", r.err, TP ":15: carried: vm.swappiness=10 (the host's sysctl file wins");
        run_result_free(&r);

        fr_write(root, "etc/tuned/tuned-main.conf", "# Debian\ndaemon = 1\nreapply_sysctl = 1\n");
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "(reapply_sysctl = 1 at /etc/tuned/tuned-main.conf:3): this value stays\n"
                                 "vm.swappiness = 60\n");
        run_result_free(&r);

        fr_write(root, "etc/tuned/tuned-main.conf", "reapply_sysctl = 0\n");
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "# TuneD's profile wins over the host's sysctl file here: TuneD does not re-apply them "
                                 "(reapply_sysctl = 0 at /etc/tuned/tuned-main.conf:1)\nvm.swappiness = 10\n");
        run_result_free(&r);
}

/* TuneD gives a device to the first instance that matches it (by priority, then merge order) */
static void device_instances(void **state)
{
        const char *root = *state;
        struct run_result r;

        host(root, "x86_64\n", X86_CPUINFO);
        /* spectrumscale-ece: the inherited [disk] (devices=*) takes every disk first */
        fr_write(root, "usr/lib/tuned/ece/tuned.conf",
                 "[main]\ninclude=throughput-performance\n"
                 "[disk-sas]\ntype=disk\ndevices = sd*\nelevator = mq-deadline\nreadahead = 0\n"     /* 4-7 */
                 "[disk-nvme]\ntype=disk\ndevices = nvme*\nelevator = none\nreadahead = 0\n");      /* 8-12 */
        fr_write(root, "etc/tuned/active_profile", "ece\n");
        kv_run(&r, root, "import", NULL);
        want_not_in("output", r.out, "[block \"sd*\"]");
        want_not_in("output", r.out, "[block \"nvme*\"]");
        want_in("output", r.out, "[block \"*\"]\n# " TP ":13: readahead=>4096\nread_ahead_kb = >= 4096\n");
        want_in("stderr", r.err, "ece/tuned.conf:6: not carried: elevator = mq-deadline: the earlier instance [disk] "
                                 "(devices=*) claims every device [disk-sas] names first: TuneD gives a device to the "
                                 "first instance that matches it, so [disk-sas] tunes nothing");
        want_in("stderr", r.err, "ece/tuned.conf:11: not carried: elevator = none: the earlier instance [disk]");
        run_result_free(&r);

        /* a lower priority goes first; disjoint devices= are carried each as its own section */
        fr_write(root, "usr/lib/tuned/ece/tuned.conf",
                 "[main]\ninclude=throughput-performance\n"
                 "[disk]\ndevices=sda\n"                                /* the parent's [disk], now on sda only */
                 "[disk-sas]\ntype=disk\npriority=-5\ndevices = sd*\nelevator = mq-deadline\n"      /* 5-9 */
                 "[disk-nvme]\ntype=disk\ndevices = nvme*\nelevator = none\n");                     /* 10-13 */
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "[block \"sd*\"]\n# /usr/lib/tuned/ece/tuned.conf:9: elevator = mq-deadline\n");
        want_in("output", r.out, "[block \"nvme*\"]\n# /usr/lib/tuned/ece/tuned.conf:13: elevator = none\n");
        want_not_in("output", r.out, "[block \"sda\"]");
        want_in("stderr", r.err, TP ":13: not carried: readahead=>4096: the earlier instance [disk-sas] (devices=sd*) "
                                 "claims every device [disk] names first");
        run_result_free(&r);

        /* a partial overlap, replace= and devices_udev_regex= are reported */
        fr_write(root, "usr/lib/tuned/ece/tuned.conf",
                 "[main]\ninclude=throughput-performance\n"
                 "[disk]\nreplace=true\ndevices=sd*\nelevator=bfq\n"                                /* 3-6 */
                 "[disk-v]\ntype=disk\ndevices=s*\nreadahead=64\n"                                  /* 7-10 */
                 "[disk-u]\ntype=disk\ndevices_udev_regex=ID_MODEL=.*SSD$\nreadahead=128\n");       /* 11-14 */
        kv_run(&r, root, "import", NULL);
        want_in("output", r.out, "[block \"sd*\"]\n# /usr/lib/tuned/ece/tuned.conf:6: elevator=bfq\n");
        want_in("stderr", r.err, TP ":13: not carried: readahead=>4096: [disk] with replace= at "
                                 "/usr/lib/tuned/ece/tuned.conf:4 drops what earlier profiles set in it");
        want_in("stderr", r.err, "ece/tuned.conf:10: not carried: readahead=64: [disk-v] shares devices with the earlier "
                                 "instance [disk] (devices=sd*)");
        want_in("stderr", r.err, "ece/tuned.conf:14: not carried: readahead=128: [disk-u] picks its devices by udev "
                                 "properties (devices_udev_regex=ID_MODEL=.*SSD$)");
        run_result_free(&r);
}

/* a '$' is a regular expression's anchor unless it opens ${...}: the reason says what the line is */
static void dollar_anchor(void **state)
{
        const char *root = *state;
        struct run_result r;

        host(root, "x86_64\n", X86_CPUINFO);
        fr_write(root, "usr/lib/tuned/cp/tuned.conf",
                 "[main]\n"
                 "[scheduler]\n"
                 "ps_blacklist=.*pmd.*;^DPDK;^rte_mp_handle$;^eal-intr-thread$\n"   /* 3 */
                 "[sysctl.x86]\n"
                 "type=sysctl\n"
                 "uname_regex=^Linux .* x86_64$\n"                                  /* 6 */
                 "vm.max_map_count=262144\n"                                        /* 7 */
                 "[net]\n"
                 "devices_udev_regex=^ID_NET_DRIVER=ixgbe$\n"                       /* 9 */
                 "txqueuelen=5000\n");                                              /* 10 */
        fr_write(root, "proc/sys/vm/max_map_count", "65530\n");
        fr_write(root, "etc/tuned/active_profile", "cp\n");
        kv_run(&r, root, "import", NULL);
        want_not_in("stderr", r.err, "TuneD variable");
        want_in("stderr", r.err, "cp/tuned.conf:3: not carried: ps_blacklist=.*pmd.*;^DPDK;^rte_mp_handle$;"
                                 "^eal-intr-thread$: TuneD's daemon moves the threads");
        want_in("stderr", r.err, "cp/tuned.conf:6: carried: uname_regex=^Linux .* x86_64$ (the condition");
        want_in("output", r.out, "vm.max_map_count = 262144\n");
        want_in("stderr", r.err, "cp/tuned.conf:10: not carried: txqueuelen=5000: [net] picks its devices by udev "
                                 "properties");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(conditions_x86, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(conditions_thunderx, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(conditions_merged, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(quoting, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(precedence, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(device_instances, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(dollar_anchor, fr_setup, fr_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
