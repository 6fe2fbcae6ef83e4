/* SPDX-License-Identifier: MIT */
/*
 * kvmtune import of sysctl files and rc.local on a fake root (issue 35):
 * values are literal writes, so a bound or a value the kernel refused on
 * the old host is reported, never carried (">=5000", a quoted number, a
 * word for a number); echo | tee to a glob over the CPUs and for loops
 * over them carry the governor; for loops of modprobe over a literal list
 * carry [modules] load; 40,000 writes of one key keep the last.  Each form
 * is imported, the output applied on the fake root and the files checked.
 * The linear cost of import is tests/import_linear.sh (instruction counts).
 */
#include "want.h"

#include <sys/stat.h>
#include <unistd.h>

#define CPU "sys/devices/system/cpu/"

static int setup(void **state)
{
        fr_setup(state);
        const char *root = *state;
        fr_write(root, "proc/sys/kernel/core_pattern", "core\n");
        fr_write(root, "proc/sys/vm/dirty_ratio", "20\n");
        fr_write(root, CPU "online", "0-1\n");
        fr_write(root, CPU "possible", "0-1\n");
        for (int c = 0; c < 2; c++) {
                char rel[128];
                snprintf(rel, sizeof(rel), CPU "cpu%d/cpufreq/scaling_governor", c);
                fr_write(root, rel, "powersave\n");
                snprintf(rel, sizeof(rel), CPU "cpu%d/cpufreq/scaling_available_governors", c);
                fr_write(root, rel, "performance powersave\n");
        }
        return 0;
}

/* kvmtune import of what the root holds, which must exit with STATUS */
static void run_import(const char *root, struct run_result *r, int status)
{
        kv_run(r, root, "import", NULL);
        if (r->status != status)
                fprintf(stderr, "import said:\n%s%s", r->out, r->err);
        want_status(r, status);
}

static void rc_local(const char *root, const char *text)
{
        char *path;

        fr_writef(root, "etc/rc.local", "#!/bin/sh\n%s", text);
        path = malloc(strlen(root) + 32);
        sprintf(path, "%s/etc/rc.local", root);
        chmod(path, 0755);
        free(path);
}

/* Item 4: what the kernel refused on the old host is reported; no bound is ever made of a written value */
static void refused_values(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/sysctl.d/60-tuning.conf",
                 "net.core.somaxconn = >=5000\n"                        /* 1 */
                 "vm.swappiness = \"10\"\n"                             /* 2 */
                 "net.ipv4.tcp_rmem = \"4096 87380 16777216\"\n"        /* 3 */
                 "vm.dirty_ratio = 10k\n"                               /* 4 */
                 "kernel.core_pattern = \"core.%p\"\n"                  /* 5 */
                 "net.ipv4.tcp_fin_timeout = 30\n"                      /* 6 */
                 "fs.file-max = <= 200000\n"                            /* 7 */
                 "-net.core.rmem_max = '4194304'\n");                   /* 8 */
        rc_local(root,
                 "echo \">= 5000\" > /proc/sys/net/core/somaxconn\n"    /* 2 */
                 "sysctl -w net.core.somaxconn='>=6000'\n"              /* 3 */
                 "echo on > /proc/sys/vm/swappiness\n"                  /* 4 */
                 "echo '>=4096' > /sys/block/vda/queue/read_ahead_kb\n" /* 5 */
                 "echo 1024 | tee /sys/block/vda/queue/read_ahead_kb\n" /* 6 */
                 "echo 20 > /proc/sys/vm/swappiness\n");                /* 7 */
        fr_write(root, "etc/udev/rules.d/60-ra.rules",
                 "ACTION==\"add\", KERNEL==\"vd*\", ATTR{queue/nr_requests}=\">=512\"\n");
        run_import(root, &r, 1);
        want_in("stderr", r.err, "60-tuning.conf:1: not carried: net.core.somaxconn = >=5000: '>=5000' is written as it "
                                 "stands: a kernel file that holds a number refuses it (EINVAL, the write did nothing "
                                 "on the old host), and kvmtune would read it as a bound");
        want_in("stderr", r.err, "60-tuning.conf:2: not carried: vm.swappiness = \"10\": /proc/sys/vm/swappiness holds "
                                 "numbers, and the kernel refuses '\"10\"' (EINVAL): the write did nothing on the old "
                                 "host (systemd-sysctl and sysctl -p write the quotes too)");
        want_in("stderr", r.err, "60-tuning.conf:3: not carried: net.ipv4.tcp_rmem = \"4096 87380 16777216\": "
                                 "/proc/sys/net/ipv4/tcp_rmem holds numbers");
        want_in("stderr", r.err, "60-tuning.conf:4: not carried: vm.dirty_ratio = 10k: /proc/sys/vm/dirty_ratio holds "
                                 "numbers, and the kernel refuses '10k' (EINVAL)");
        want_in("stderr", r.err, "60-tuning.conf:5: carried: kernel.core_pattern = \"core.%p\"");
        want_in("stderr", r.err, "60-tuning.conf:6: carried: net.ipv4.tcp_fin_timeout = 30");
        want_in("stderr", r.err, "60-tuning.conf:7: not carried: fs.file-max = <= 200000: '<= 200000' is written as it "
                                 "stands");
        want_in("stderr", r.err, "60-tuning.conf:8: not carried: -net.core.rmem_max = '4194304': the quotes are written "
                                 "too (systemd-sysctl and sysctl -p keep them), and this host has no readable "
                                 "/proc/sys/net/core/rmem_max");
        want_in("stderr", r.err, "rc.local:2: not carried: echo \">= 5000\" > /proc/sys/net/core/somaxconn: '>= 5000' is "
                                 "written as it stands");
        want_in("stderr", r.err, "rc.local:3: not carried: sysctl -w net.core.somaxconn='>=6000': '>=6000' is written "
                                 "as it stands");
        want_in("stderr", r.err, "rc.local:4: not carried: echo on > /proc/sys/vm/swappiness: /proc/sys/vm/swappiness "
                                 "holds numbers, and the kernel refuses 'on' (EINVAL)");
        want_in("stderr", r.err, "rc.local:5: not carried: echo '>=4096' > /sys/block/vda/queue/read_ahead_kb: '>=4096' "
                                 "is written as it stands");
        want_in("stderr", r.err, "rc.local:6: carried: echo 1024 | tee /sys/block/vda/queue/read_ahead_kb");
        want_in("stderr", r.err, "rc.local:7: carried: echo 20 > /proc/sys/vm/swappiness");
        want_in("stderr", r.err, "60-ra.rules:1: not carried:");
        want_in("stderr", r.err, "'>=512' is written as it stands");
        want_not_in("stdout", r.out, "\n>=");
        want_not_in("stdout", r.out, "= >");
        want_not_in("stdout", r.out, "= <");
        want_not_in("stdout", r.out, "\nnet.core.somaxconn");
        want_not_in("stdout", r.out, "\nnr_requests");
        want_in("stdout", r.out, "# the quotes are part of the value: systemd-sysctl and sysctl -p write them as they "
                                 "stand, and this key holds text\nkernel.core_pattern = \"core.%p\"\n");
        apply_imported(root, r.out);
        run_result_free(&r);
        want_value(root, "proc/sys/net/core/somaxconn", "4096");
        want_value(root, "proc/sys/vm/swappiness", "20");
        want_value(root, "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456");
        want_value(root, "proc/sys/vm/dirty_ratio", "20");
        want_value(root, "proc/sys/fs/file-max", "100000");
        want_value(root, "proc/sys/net/ipv4/tcp_fin_timeout", "30");
        want_value(root, "proc/sys/kernel/core_pattern", "\"core.%p\"");
        want_value(root, "sys/block/vda/queue/read_ahead_kb", "1024");
        want_value(root, "sys/block/vda/queue/nr_requests", "256");
}

/* Item 6: the governor written to every CPU through a glob, each form alone, then applied */
static void governor_globs(void **state)
{
        static const char *const forms[] = {
                "echo performance | tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor\n",
                "echo performance | tee -a /sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor > /dev/null\n",
                "echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor >/dev/null 2>&1\n",
                "for f in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo performance > $f; done\n",
                ("for c in /sys/devices/system/cpu/cpu[0-9]*; do\n\techo performance > \"$c/cpufreq/scaling_governor\"\n"
                 "done\n"),
        };
        const char *root = *state;

        for (size_t i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
                struct run_result r;

                fr_write(root, CPU "cpu0/cpufreq/scaling_governor", "powersave\n");
                fr_write(root, CPU "cpu1/cpufreq/scaling_governor", "powersave\n");
                rc_local(root, forms[i]);
                run_import(root, &r, 0);
                want_in("stderr", r.err, "/etc/rc.local:");
                want_in("stderr", r.err, ": carried: ");
                want_in("stdout", r.out, "\n[cpu]\n");
                want_in("stdout", r.out, "\ngovernor = performance\n");
                want_not_in("stdout", r.out, "[cpu \"");
                apply_imported(root, r.out);
                run_result_free(&r);
                want_value(root, CPU "cpu0/cpufreq/scaling_governor", "performance");
                want_value(root, CPU "cpu1/cpufreq/scaling_governor", "performance");
        }
}

/* Item 6: modprobe over a literal list is [modules] load; over anything else it is reported */
static void modprobe_loops(void **state)
{
        static const char *const forms[] = {
                "for module in vhost_net tun; do modprobe $module; done\n",
                "for m in vhost_net tun; do modprobe \"$m\"; done\n",
                "for m in vhost_net tun\ndo\n\tmodprobe -q ${m}\ndone\n",
                "modprobe -a vhost_net tun\n",
        };
        static const char *const refused[][2] = {
                { "for m in $(cat /etc/modules.list); do modprobe $m; done\n", "the loop word '$(cat /etc/modules.list)' is not a module name" },
                { "for m in $MODULES; do modprobe $m; done\n", "the loop word '$MODULES' is not a module name" },
                { "for m in vhost*; do modprobe $m; done\n", "the loop word 'vhost*' is not a module name" },
                { "for m in kvm; do modprobe $m nested=1; done\n", "module options: move them" },
                { "for m in intel amd; do modprobe kvm_$m; done\n", "the module must be $m itself" },
                { "for m in tun; do modprobe $m & done\n", "only a plain 'modprobe $VAR' is understood" },
        };
        const char *root = *state;

        for (size_t i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
                struct run_result r, v;

                rc_local(root, forms[i]);
                run_import(root, &r, 0);
                want_in("stderr", r.err, ": carried: ");
                want_in("stdout", r.out, "\n[modules]\n");
                want_in("stdout", r.out, "\nload = vhost_net\n");
                want_in("stdout", r.out, "\nload = tun\n");
                fr_write(root, CONFD "50-imported.conf", r.out);
                /* the configuration asks for both: verify fails while they are not loaded */
                kv_run(&v, root, "verify", NULL);
                want_in("verify", v.out, "tun");
                if (v.status == 0)
                        fail_msg("verify passed with tun not loaded:\n%s", v.out);
                run_result_free(&v);
                fr_mkdir(root, "sys/module/vhost_net");
                fr_mkdir(root, "sys/module/tun");
                apply_imported(root, r.out);
                kv_run(&v, root, "verify", NULL);
                want_status(&v, 0);
                run_result_free(&v);
                run_result_free(&r);
                char *p = malloc(strlen(root) + 32);
                sprintf(p, "%s/sys/module/tun", root);
                rmdir(p);
                sprintf(p, "%s/sys/module/vhost_net", root);
                rmdir(p);
                free(p);
        }
        for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
                struct run_result r;

                rc_local(root, refused[i][0]);
                run_import(root, &r, 1);
                want_in("stderr", r.err, ": not carried: ");
                want_in("stderr", r.err, refused[i][1]);
                want_not_in("stdout", r.out, "load =");
                run_result_free(&r);
        }
}

/* Item 7: 40,000 writes of one key: every line carried, the last value kept and applied */
static void many_writes(void **state)
{
        const char *root = *state;
        size_t n = 40000, len = 0;
        char *text = malloc(n * 48), *last;
        struct run_result r;

        for (size_t i = 0; i < n; i++)
                len += (size_t)sprintf(text + len, "echo %zu > /proc/sys/vm/swappiness\n", (i * 7) % 101);
        rc_local(root, text);
        free(text);
        run_import(root, &r, 0);
        want_in("stderr", r.err, "import: 40000 carried, 0 not carried");
        assert_int_equal(count_lines(r.out, "vm.swappiness ="), 1);
        last = strstr(r.out, "vm.swappiness = ");
        assert_non_null(last);
        assert_int_equal(strncmp(last, "vm.swappiness = 21\n", 19), 0);     /* (40000 - 1) * 7 % 101 */
        assert_int_equal(count_lines(r.out, "conflict: overrides"), 39999);   /* each value differs from the one before */
        apply_imported(root, r.out);
        run_result_free(&r);
        want_value(root, "proc/sys/vm/swappiness", "21");
}

/*
 * The kernel's sysctl handlers read a number with a leading 0 as octal:
 * sysctl -p of "010" stored 8, of "09" nothing (EINVAL).  An octal value is
 * carried as the decimal the kernel stored (kvmtune's own syntax refuses a
 * leading 0), a bad octal is reported, hex and a key that holds text keep
 * what was written.
 */
static void octal_values(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "proc/sys/vm/swappiness", "60\n");
        fr_write(root, "proc/sys/net/core/somaxconn", "4096\n");
        fr_write(root, "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
        fr_write(root, "etc/sysctl.d/60-octal.conf",
                 "vm.swappiness = 010\n"                               /* 1 */
                 "vm.dirty_ratio = 09\n"                               /* 2 */
                 "net.core.somaxconn = 0x1000\n"                       /* 3 */
                 "kernel.core_pattern = 0123\n"                        /* 4 */
                 "net.ipv4.tcp_rmem = 010000 0 -010\n");               /* 5 */
        run_import(root, &r, 1);
        want_in("stderr", r.err, "60-octal.conf:1: carried: vm.swappiness = 010");
        want_in("stderr", r.err, "60-octal.conf:2: not carried: vm.dirty_ratio = 09: /proc/sys/vm/dirty_ratio holds "
                                 "numbers, and the kernel refuses '09' (EINVAL)");
        want_in("stderr", r.err, "60-octal.conf:3: carried: net.core.somaxconn = 0x1000");
        want_in("stderr", r.err, "60-octal.conf:4: carried: kernel.core_pattern = 0123");
        want_in("stderr", r.err, "60-octal.conf:5: carried: net.ipv4.tcp_rmem = 010000 0 -010");
        want_in("stdout", r.out, "# '010' is octal to the kernel, which stored 8: carried as 8\nvm.swappiness = 8\n");
        want_in("stdout", r.out, "\nnet.core.somaxconn = 0x1000\n");
        want_in("stdout", r.out, "\nkernel.core_pattern = 0123\n");
        want_in("stdout", r.out, "carried as 4096 0 -8\nnet.ipv4.tcp_rmem = 4096 0 -8\n");
        want_not_in("stdout", r.out, "vm.dirty_ratio");
        apply_imported(root, r.out);
        run_result_free(&r);
        want_value(root, "proc/sys/vm/swappiness", "8");
        want_value(root, "proc/sys/vm/dirty_ratio", "20");
        want_value(root, "proc/sys/kernel/core_pattern", "0123");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(refused_values, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(governor_globs, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(modprobe_loops, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(many_writes, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(octal_values, setup, fr_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
