/* SPDX-License-Identifier: MIT */
/*
 * [hugetlbfs] against a fake root: the mount options compared in the units
 * the kernel shows in mountinfo (size= and min_size= in bytes of whole pages,
 * a percentage of the pool at mount time), an option that comes to no page
 * refused, and a mount point reached through a symlink found where mountinfo
 * shows it.  Under --root nothing is mounted; plan and verify read the
 * tree's proc/self/mountinfo.  tests/live/hugetlbfs_ns.sh mounts for real.
 */
#include "want.h"

#include "kvmtune.h"

#define CONF CONFD "50-h.conf"
#define POOL2M "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

/* one hugetlbfs line in the fake mountinfo, options as the kernel prints them */
static void mounted(const char *root, const char *target, const char *opts)
{
        fr_writef(root, "proc/self/mountinfo",
                  "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                  "40 22 0:35 / %s rw,relatime shared:20 - hugetlbfs hugetlbfs %s\n", target, opts);
}

static void test_size_in_pages(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_mkdir(root, "mnt/huge");
        /* 3M is one 2M page: the kernel shows size=2097152 */
        mounted(root, "/mnt/huge", "rw,relatime,pagesize=2M,size=2097152");
        fr_write(root, CONF, "[hugetlbfs \"/mnt/huge\"]\npagesize = 2M\nsize = 3M\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    hugetlbfs /mnt/huge");
        want_in("stdout", r.out, "(kernel stores pagesize=2M,size=2097152)");
        run_result_free(&r);

        /* 4M is two pages: the one-page mount is other options, an error */
        fr_write(root, CONF, "[hugetlbfs \"/mnt/huge\"]\npagesize = 2M\nsize = 4M\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "already mounted with other options");
        run_result_free(&r);

        /* the same in bytes and in the kernel's own spelling */
        fr_write(root, CONF, "[hugetlbfs \"/mnt/huge\"]\npagesize = 2048K\nsize = 2097152\nmin_size = 0\n");
        mounted(root, "/mnt/huge", "rw,relatime,pagesize=2M,size=2097152,min_size=0");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);

        /* less than a page: the kernel would store size=0, refused */
        fr_write(root, CONF, "[hugetlbfs \"/mnt/huge\"]\npagesize = 2M\nsize = 1M\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "size=1M is less than one page of 2048 kB: the kernel would store size=0");
        run_result_free(&r);
}

static void test_size_percent(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_mkdir(root, "mnt/huge");
        /* 50% of an empty pool is no page: refused, naming the pool */
        fr_write(root, CONF, "[hugetlbfs \"/mnt/huge\"]\npagesize = 2M\nsize = 50%\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "size=50% of a pool of 0 pages of 2048 kB is no page");
        run_result_free(&r);

        /* 50% of 10 pages: mounted as size=10485760 (5 pages) */
        fr_write(root, POOL2M, "10\n");
        mounted(root, "/mnt/huge", "rw,relatime,pagesize=2M,size=10485760");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "(kernel stores pagesize=2M,size=10485760)");
        run_result_free(&r);

        /* the shown size=0 of a mount made with an empty pool is not 50% of 10 */
        mounted(root, "/mnt/huge", "rw,relatime,pagesize=2M,size=0");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "already mounted with other options (rw,relatime,pagesize=2M,size=0)");
        run_result_free(&r);

        /* a pool this run's [hugepages] reserves counts: not refused, and the
         * mount made after it (20 pages: size=41943040) matches */
        fr_write(root, POOL2M, "0\n");
        fr_write(root, CONF, "[hugepages]\npages = 40\n[hugetlbfs \"/mnt/huge\"]\npagesize = 2M\nsize = 50%\n");
        mounted(root, "/mnt/huge", "rw,relatime,pagesize=2M,size=41943040");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    hugetlbfs /mnt/huge");
        want_in("stdout", r.out, "set   hugepages");
        run_result_free(&r);
}

static void test_symlinked_target(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* /mnt/huge -> /srv/huge: mountinfo shows the real path */
        fr_mkdir(root, "srv/huge");
        fr_mkdir(root, "mnt");
        fr_symlink(root, "/srv/huge", "mnt/huge");
        mounted(root, "/srv/huge", "rw,relatime,pagesize=2M");
        fr_write(root, CONF, "[hugetlbfs \"/mnt/huge\"]\npagesize = 2M\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    hugetlbfs /mnt/huge: ");
        want_in("stdout", r.out, "mount point /srv/huge");
        run_result_free(&r);

        /* a relative link, and a tail that does not exist yet */
        fr_symlink(root, "../srv", "mnt/s");
        fr_write(root, CONF, "[hugetlbfs \"/mnt/s/huge/sub\"]\npagesize = 2M\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   hugetlbfs /mnt/s/huge/sub: not mounted -> pagesize=2M (mount point /srv/huge/sub)");
        run_result_free(&r);

        /* a link that leaves the root stays inside it (RESOLVE_IN_ROOT) */
        fr_symlink(root, "/../../../srv", "mnt/esc");
        fr_write(root, CONF, "[hugetlbfs \"/mnt/esc/huge\"]\npagesize = 2M\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "mount point /srv/huge");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_size_in_pages, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_size_percent, fr_setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_symlinked_target, fr_setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
