/* SPDX-License-Identifier: MIT */
/*
 * [cmdline] and [hugepages "SIZE"] at = cmdline on a fake root: the GRUB
 * drop-in's content, update-grub (a stand-in script named by
 * KVMTUNE_UPDATE_GRUB that counts its runs) only when the drop-in changed,
 * -PARAM and later-wins, hosts without GRUB, the ok/set/reboot states from
 * /proc/cmdline, and --stage never writing.
 */
#include "want.h"

#include <sys/stat.h>
#include <unistd.h>

#define DROPIN "etc/default/grub.d/kvmtune.cfg"
#define HEAD "# Written by kvmtune from its [cmdline] section and the [hugepages] pools\n" \
             "# at = cmdline; kvmtune owns this file whole and rewrites or removes it.\n"
#define LINE(args) "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT " args "\"\n"
#define HP1G "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"

static char *path_in(const char *root, const char *rel)
{
        char *p;

        assert_true(asprintf(&p, "%s/%s", root, rel) > 0);
        return p;
}

/* the update-grub stand-in: appends a line to ROOT/update-grub.log, exits with status */
static void stand_in(const char *root, int status)
{
        char *log = path_in(root, "update-grub.log"), *bin = path_in(root, "update-grub");

        fr_writef(root, "update-grub", "#!/bin/sh\necho run >> '%s'\necho 'Generating grub configuration file ...'\nexit %d\n",
                  log, status);
        assert_int_equal(chmod(bin, 0755), 0);
        setenv("KVMTUNE_UPDATE_GRUB", bin, 1);
        free(log);
        free(bin);
}

static int runs(const char *root)
{
        char *log = fr_read(root, "update-grub.log");
        int n = log ? count_lines(log, "run") : 0;

        free(log);
        return n;
}

static int setup(void **state)
{
        fr_setup(state);
        fr_write(*state, "etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
        stand_in(*state, 0);
        return 0;
}

static int teardown(void **state)
{
        unsetenv("KVMTUNE_UPDATE_GRUB");
        return fr_teardown(state);
}

static void want_dropin(const char *root, const char *want)
{
        char *got = fr_read(root, DROPIN);

        if (!got || strcmp(got, want))
                fail_msg("%s: got\n%s\nwanted\n%s", DROPIN, got ? got : "(none)", want);
        free(got);
}

/* apply writes the drop-in and runs update-grub once; a second apply neither rewrites nor runs it */
static void test_dropin_content(void **state)
{
        const char *root = *state;
        struct run_result r;
        struct stat a, b;
        char *p = path_in(root, DROPIN);

        fr_write(root, CONFD "50-c.conf",
                 "[cmdline]\nargs = intel_iommu=on iommu=pt\n[hugepages \"1G\"]\npages = 6\nat = cmdline\n"
                 "[hugepages \"2M\"]\npages = 512\nat = cmdline\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   cmdline intel_iommu: ? -> intel_iommu=on (not in /" DROPIN ")");
        want_in("stdout", r.out, "set   cmdline hugepages 1G: ? -> hugepagesz=1G hugepages=6");
        want_in("stdout", r.out, "reboot hugepages 1G pages: 0 -> 6 (at = cmdline: the running kernel was booted without hugepagesz=1G hugepages=6)");
        run_result_free(&r);
        assert_int_equal(runs(root), 0);
        assert_null(fr_read(root, DROPIN));

        kv_run(&r, root, "apply", "--json", NULL);
        want_status(&r, 0);
        want_dropin(root, HEAD LINE("intel_iommu=on iommu=pt hugepagesz=1G hugepages=6 hugepagesz=2M hugepages=512"));
        assert_int_equal(runs(root), 1);
        /* update-grub's output goes to stderr: stdout is the JSON alone */
        want_not_in("stdout", r.out, "Generating");
        want_in("stderr", r.err, "Generating grub configuration file");
        want_in("stdout", r.out, "\"name\":\"intel_iommu\",\"path\":null,\"current\":null,\"wanted\":\"intel_iommu=on\",\"action\":\"reboot\",\"changed\":true");
        /* the pools are not reserved at runtime: they come with the next boot */
        want_value(root, HP1G, "0");
        want_value(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0");
        run_result_free(&r);
        assert_int_equal(stat(p, &a), 0);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        assert_int_equal(runs(root), 1);
        assert_int_equal(stat(p, &b), 0);
        assert_true(a.st_ino == b.st_ino && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);  /* not rewritten */
        run_result_free(&r);

        /* the other GRUB settings are not touched */
        want_value(root, "etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"");
        free(p);
}

/* -PARAM drops what an earlier file set; a later value replaces an earlier one */
static void test_drop_and_later_wins(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "10-a.conf", "[cmdline]\nargs = intel_iommu=on iommu=pt transparent_hugepage=always\n");
        fr_write(root, CONFD "20-b.conf", "[cmdline]\nargs = -iommu transparent_hugepage=never\nargs = nohz_full=2-7\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_dropin(root, HEAD LINE("intel_iommu=on transparent_hugepage=never nohz_full=2-7"));
        run_result_free(&r);

        /* '-' and '_' are one in a parameter name, as for the kernel */
        fr_write(root, CONFD "30-c.conf", "[cmdline]\nargs = -nohz-full transparent-hugepage=madvise\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_dropin(root, HEAD LINE("intel_iommu=on transparent-hugepage=madvise"));
        assert_int_equal(runs(root), 2);
        run_result_free(&r);
}

/* removing the section removes kvmtune's arguments: the drop-in goes, update-grub runs; revert leaves it */
static void test_removal_and_revert(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/default/grub.d/other.cfg", "GRUB_TIMEOUT=3\n");
        fr_write(root, CONFD "50-c.conf", "[cmdline]\nargs = intel_iommu=on\n[sysctl]\nvm.swappiness = 10\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        kv_run(&r, root, "revert", NULL);
        want_status(&r, 0);
        want_value(root, "proc/sys/vm/swappiness", "60");
        want_dropin(root, HEAD LINE("intel_iommu=on"));
        run_result_free(&r);

        fr_write(root, CONFD "50-c.conf", "[sysctl]\nvm.swappiness = 10\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   cmdline intel_iommu: ? -> ? (no longer configured: apply removes it from /" DROPIN ")");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "cmdline intel_iommu: removed from /" DROPIN);
        assert_null(fr_read(root, DROPIN));
        assert_int_equal(runs(root), 2);
        want_value(root, "etc/default/grub.d/other.cfg", "GRUB_TIMEOUT=3");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_int_equal(runs(root), 2);
        run_result_free(&r);
}

/* a host without GRUB: a clear error naming what was found, nothing written */
static void test_no_grub(void **state)
{
        const char *root = *state;
        char *grub = path_in(root, "etc/default/grub");
        struct run_result r;

        assert_int_equal(unlink(grub), 0);
        fr_write(root, CONFD "50-c.conf", "[cmdline]\nargs = intel_iommu=on\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-c.conf:2: cmdline: no boot loader configuration found (neither /etc/default/grub nor /etc/kernel/cmdline)");
        assert_null(fr_read(root, DROPIN));
        assert_int_equal(runs(root), 0);
        run_result_free(&r);

        /* kernel-install's /etc/kernel/cmdline is not kvmtune's to edit */
        fr_write(root, "etc/kernel/cmdline", "root=/dev/vda1 quiet\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "this host boots through kernel-install (/etc/kernel/cmdline exists, no /etc/default/grub)");
        want_in("stdout", r.out, "error cmdline intel_iommu");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_value(root, "etc/kernel/cmdline", "root=/dev/vda1 quiet");
        assert_null(fr_read(root, DROPIN));
        assert_int_equal(runs(root), 0);
        run_result_free(&r);

        /* without [cmdline] such a host is no error */
        fr_write(root, CONFD "50-c.conf", "[sysctl]\nvm.swappiness = 10\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        free(grub);
}

/* ok / set / reboot from the drop-in and /proc/cmdline; verify 1 for set and reboot; the metric */
static void test_states(void **state)
{
        const char *root = *state;
        char *prom = path_in(root, "kvmtune.prom"), *text;
        struct run_result r;

        fr_write(root, CONFD "50-c.conf", "[cmdline]\nargs = intel_iommu=on iommu=pt\n");
        fr_write(root, DROPIN, HEAD LINE("intel_iommu=on"));
        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 \"intel_iommu=off\" quiet intel-iommu=on iommu=nopt -- iommu=pt\n");
        kv_run(&r, root, "verify", "--metrics", prom, NULL);
        want_status(&r, 1);
        /* the last one wins, '-' is '_', nothing after "--" is the kernel's */
        want_in("stdout", r.out, "ok    cmdline intel_iommu: intel-iommu=on -> intel_iommu=on");
        want_in("stdout", r.out, "set   cmdline iommu: iommu=nopt -> iommu=pt (not in /" DROPIN ")");
        run_result_free(&r);
        text = fr_read(root, "kvmtune.prom");
        want_in("metrics", text, "kvmtune_reboot_required 0\n");
        want_in("metrics", text, "kvmtune_settings{section=\"cmdline\",state=\"set\"} 1\n");
        free(text);

        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet iommu=pt\n");
        fr_write(root, DROPIN, HEAD LINE("intel_iommu=on iommu=pt"));
        kv_run(&r, root, "verify", "--metrics", prom, NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "reboot cmdline intel_iommu: ? -> intel_iommu=on (the running kernel was booted without it)");
        want_in("stdout", r.out, "ok    cmdline iommu: iommu=pt -> iommu=pt");
        run_result_free(&r);
        text = fr_read(root, "kvmtune.prom");
        want_in("metrics", text, "kvmtune_reboot_required 1\n");
        want_in("metrics", text, "kvmtune_drift 1\n");
        free(text);
        kv_run(&r, root, "plan", "--json", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "\"wanted\":\"intel_iommu=on\",\"action\":\"reboot\"");
        run_result_free(&r);
        /* apply has nothing to write */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        assert_int_equal(runs(root), 0);
        run_result_free(&r);

        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet intel_iommu=on iommu=pt\n");
        kv_run(&r, root, "verify", "--metrics", prom, NULL);
        want_status(&r, 0);
        run_result_free(&r);
        text = fr_read(root, "kvmtune.prom");
        want_in("metrics", text, "kvmtune_reboot_required 0\n");
        want_in("metrics", text, "kvmtune_drift 0\n");
        free(text);
        free(prom);
}

/* a pool at = cmdline the kernel was booted with is checked against its grant */
static void test_boot_pool(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-c.conf", "[hugepages \"1G\"]\npages = 6\nat = cmdline\n");
        fr_write(root, DROPIN, HEAD LINE("hugepagesz=1G hugepages=6"));
        fr_write(root, "proc/cmdline", "root=/dev/vda1 default_hugepagesz=1G hugepages=6\n");
        fr_write(root, HP1G, "5\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   hugepages 1G pages: 5 -> 6 (at = cmdline: the kernel granted 5 of 6 pages at boot; apply tops up)");
        want_in("stdout", r.out, "ok    cmdline hugepages 1G: hugepagesz=1G hugepages=6 -> hugepagesz=1G hugepages=6");
        run_result_free(&r);
        kv_run(&r, root, "apply", "--stage=boot", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "hugepages 1G pages: 5 -> 6");
        want_value(root, HP1G, "6");
        run_result_free(&r);

        /* booted with another count: reboot, and nothing is reserved at runtime */
        fr_write(root, "proc/cmdline", "root=/dev/vda1 hugepagesz=1G hugepages=4\n");
        fr_write(root, HP1G, "4\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "reboot hugepages 1G pages: 4 -> 6");
        want_in("stdout", r.out, "reboot cmdline hugepages 1G: hugepagesz=1G hugepages=4 -> hugepagesz=1G hugepages=6");
        run_result_free(&r);
        kv_run(&r, root, "apply", "--stage=initrd", NULL);
        want_status(&r, 0);
        want_value(root, HP1G, "4");
        run_result_free(&r);

        /* the reserve rail checks a boot pool too: refused, it is not put on the command line */
        fr_write(root, CONFD "50-c.conf", "[hugepages \"1G\"]\npages = 16\nat = cmdline\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "refused by the reserve rail");
        assert_null(fr_read(root, DROPIN));
        run_result_free(&r);
}

/* --stage never writes boot loader configuration, nor shows it */
static void test_stage_never_writes(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-c.conf", "[cmdline]\nargs = intel_iommu=on\n[hugepages \"1G\"]\npages = 2\nat = cmdline\n");
        kv_run(&r, root, "apply", "--stage=initrd", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        kv_run(&r, root, "apply", "--stage=boot", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        assert_null(fr_read(root, DROPIN));
        assert_int_equal(runs(root), 0);
        kv_run(&r, root, "plan", "--stage=boot", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "cmdline intel_iommu");
        want_in("stdout", r.out, "reboot hugepages 1G pages");
        run_result_free(&r);
        /* nor does plan, verify or --only without cmdline */
        kv_run(&r, root, "apply", "--only=hugepages", NULL);
        want_status(&r, 0);
        assert_null(fr_read(root, DROPIN));
        run_result_free(&r);

        /* --only=cmdline keeps the pools that the drop-in holds */
        fr_write(root, DROPIN, HEAD LINE("intel_iommu=off hugepagesz=1G hugepages=2"));
        kv_run(&r, root, "apply", "--only=cmdline", NULL);
        want_status(&r, 0);
        want_dropin(root, HEAD LINE("intel_iommu=on hugepagesz=1G hugepages=2"));
        assert_int_equal(runs(root), 1);
        run_result_free(&r);
}

/* update-grub failing: an error, and the old drop-in back so that the next apply tries again */
static void test_update_grub_fails(void **state)
{
        const char *root = *state;
        struct run_result r;

        stand_in(root, 3);
        fr_write(root, CONFD "50-c.conf", "[cmdline]\nargs = iommu=pt\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "update-grub failed (exit status 3)");
        assert_null(fr_read(root, DROPIN));
        run_result_free(&r);
        stand_in(root, 0);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_dropin(root, HEAD LINE("iommu=pt"));
        assert_int_equal(runs(root), 2);
        run_result_free(&r);

        /* under --root without KVMTUNE_UPDATE_GRUB: written, update-grub not run */
        unsetenv("KVMTUNE_UPDATE_GRUB");
        fr_write(root, CONFD "50-c.conf", "[cmdline]\nargs = iommu=on\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stderr", r.err, "update-grub is not run under --root");
        want_dropin(root, HEAD LINE("iommu=on"));
        assert_int_equal(runs(root), 2);
        run_result_free(&r);
}

static void test_bad_args(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-c.conf",
                 "[cmdline]\nargs = ok=1 hugepages=4\nargs = a=\"b c\"\nargs = x=$y\nfoo = 1\nargs = -a=1\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-c.conf:2: cmdline args: 'hugepages=4': a pool goes in [hugepages \"SIZE\"] with at = cmdline");
        want_in("stderr", r.err, "50-c.conf:3: cmdline args: 'a=\"b' is not PARAM[=VALUE] or -PARAM");
        want_in("stderr", r.err, "50-c.conf:4: cmdline args: 'x=$y' is not PARAM[=VALUE]");
        want_in("stderr", r.err, "50-c.conf:5: unknown key 'foo' in [cmdline]");
        want_in("stderr", r.err, "50-c.conf:6: cmdline args: '-a=1' is not");
        run_result_free(&r);
        fr_write(root, CONFD "50-c.conf", "[hugepages \"1G\"]\npages = 2\nat = boot\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-c.conf:3: hugepages at: expected cmdline or runtime, not 'boot'");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_dropin_content, setup, teardown),
                cmocka_unit_test_setup_teardown(test_drop_and_later_wins, setup, teardown),
                cmocka_unit_test_setup_teardown(test_removal_and_revert, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_grub, setup, teardown),
                cmocka_unit_test_setup_teardown(test_states, setup, teardown),
                cmocka_unit_test_setup_teardown(test_boot_pool, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stage_never_writes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_update_grub_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
