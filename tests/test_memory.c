/* SPDX-License-Identifier: MIT */
/*
 * [hugepages], [ksm] and [thp] against a fake root.  kvmtune runs in-process
 * and kernfs_write is wrapped (-Wl,--wrap=kernfs_write) to act like the
 * kernel: a hugepage pool grants only what memory allows (more after
 * compact_memory), KSM refuses merge_across_nodes while pages are merged,
 * and a THP file moves its brackets to the written word.
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

#define CONF "etc/kvmtune/conf.d/50-test.conf"
#define SHOWN "/etc/kvmtune/conf.d/50-test.conf"
#define HP2M "sys/kernel/mm/hugepages/hugepages-2048kB/"
#define HP1G "sys/kernel/mm/hugepages/hugepages-1048576kB/"
#define KSM "sys/kernel/mm/ksm/"
#define THP "sys/kernel/mm/transparent_hugepage/"

/* ---- the simulated kernel ---------------------------------------------- */

static struct {
        char *path, *value;
} wr[256];
static size_t n_wr;
static uint64_t hp_limit;               /* pages a pool write can get */
static uint64_t hp_limit_compacted;     /* ... after compact_memory was written */
static bool ksm_merged;                 /* merge_across_nodes/max_page_sharing: EBUSY */

int __real_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);

static bool ends_with(const char *s, const char *tail)
{
        size_t n = strlen(s), m = strlen(tail);
        return n >= m && !strcmp(s + n - m, tail);
}

/* a node file changed: the global file of that size is the sum over nodes */
static void sum_nodes(struct kvmtune *k, const char *rel)
{
        const char *hp = strstr(rel, "/hugepages/hugepages-");
        char size[64], path[256];
        unsigned long long sum = 0;

        if (strncmp(rel, "sys/devices/system/node/node", 28) || !hp)
                return;
        snprintf(size, sizeof(size), "%.*s", (int)strcspn(hp + 11, "/"), hp + 11);
        for (int node = 0; node < 8; node++) {
                char *v;
                snprintf(path, sizeof(path), "sys/devices/system/node/node%d/hugepages/%s/nr_hugepages", node, size);
                if (kernfs_read(k, path, &v) == 0) {
                        sum += strtoull(v, NULL, 10);
                        free(v);
                }
        }
        snprintf(path, sizeof(path), "sys/kernel/mm/hugepages/%s/nr_hugepages", size);
        fr_writef(k->root, path, "%llu\n", sum);
}

/* a kernel file holds what was written last: the fake one is truncated first */
static int real_write(struct kvmtune *k, const char *rel, const char *value)
{
        int fd = kernfs_openat(k, rel, O_WRONLY | O_TRUNC);

        if (fd >= 0)
                close(fd);
        return __real_kernfs_write(k, rel, -1, value);
}

int __wrap_kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value)
{
        assert_true(n_wr < sizeof(wr) / sizeof(*wr));
        wr[n_wr].path = strdup(rel);
        wr[n_wr].value = strdup(value);
        n_wr++;

        if (!strcmp(rel, "proc/sys/vm/compact_memory"))
                hp_limit = hp_limit_compacted;
        if (ends_with(rel, "/nr_hugepages") && strstr(rel, "hugepages-")) {
                unsigned long long want = strtoull(value, NULL, 10);
                char num[32];
                int r;

                snprintf(num, sizeof(num), "%llu", want < hp_limit ? want : (unsigned long long)hp_limit);
                r = real_write(k, rel, num);
                sum_nodes(k, rel);
                return r;
        }
        if (ksm_merged && (!strcmp(rel, KSM "merge_across_nodes") || !strcmp(rel, KSM "max_page_sharing")))
                return -EBUSY;
        if (!strncmp(rel, THP, strlen(THP))) {
                char *raw, *save = NULL, *out = NULL;
                size_t len = 0;
                bool found = false;
                FILE *m;
                int r = kernfs_read(k, rel, &raw);

                if (r < 0)
                        return r;
                m = open_memstream(&out, &len);
                for (char *w = strtok_r(raw, " []", &save); w; w = strtok_r(NULL, " []", &save)) {
                        bool cur = !strcmp(w, value);
                        found |= cur;
                        fprintf(m, "%s%s%s%s", len || ftell(m) ? " " : "", cur ? "[" : "", w, cur ? "]" : "");
                }
                fclose(m);
                free(raw);
                r = found ? real_write(k, rel, out) : -EINVAL;
                free(out);
                return r;
        }
        return real_write(k, rel, value);
}

static void wr_reset(void)
{
        for (size_t i = 0; i < n_wr; i++) {
                free(wr[i].path);
                free(wr[i].value);
        }
        n_wr = 0;
}

/* index of the first write to rel, or -1 */
static int wr_find(const char *rel)
{
        for (size_t i = 0; i < n_wr; i++)
                if (!strcmp(wr[i].path, rel))
                        return (int)i;
        return -1;
}

static size_t wr_count(const char *rel)
{
        size_t n = 0;

        for (size_t i = 0; i < n_wr; i++)
                n += !strcmp(wr[i].path, rel);
        return n;
}

/* ---- running kvmtune in-process ---------------------------------------- */

/* kvmtune --root ROOT CMD, with the writes recorded from zero */
static void kv(struct run_result *r, const char *root, enum command cmd)
{
        wr_reset();
        kv_run_inproc(r, root, cmd, 0);
        if (getenv("VERBOSE"))
                fprintf(stderr, "-- status %d\n-- stdout:\n%s-- stderr:\n%s", r->status, r->out, r->err);
}


static int setup(void **state)
{
        char *root = fr_new();

        fr_standard(root);
        unsetenv("JOURNAL_STREAM");
        hp_limit = hp_limit_compacted = UINT64_MAX;
        ksm_merged = false;
        *state = root;
        return 0;
}

static int teardown(void **state)
{
        fr_free(*state);
        wr_reset();
        return 0;
}

static void numa(const char *root, unsigned nodes)
{
        for (unsigned n = 0; n < nodes; n++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/hugepages/hugepages-2048kB/nr_hugepages", n);
                fr_write(root, rel, "0\n");
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%u/hugepages/hugepages-1048576kB/nr_hugepages", n);
                fr_write(root, rel, "0\n");
        }
}

/* ---- [hugepages] ------------------------------------------------------- */

static void test_pages(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[hugepages]\npages = 64\n[hugepages \"1G\"]\npages = 2\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "64");
        assert_file(root, HP1G "nr_hugepages", "2");
        assert_file(root, "proc/sys/vm/nr_hugepages", "0");     /* the size's file, not the sysctl */
        assert_contains(r.out, "hugepages 2M pages: 0 -> 64");
        assert_contains(r.out, "hugepages 1G pages: 0 -> 2");
        /* larger sizes first: small pages would break up the 1G blocks */
        assert_true(wr_find(HP1G "nr_hugepages") < wr_find(HP2M "nr_hugepages"));
        run_result_free(&r);
}

static void test_memory_forms(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* 10% of 16384000 kB = 1638400 kB = 800 2M pages; 3583M = 3.49G = 3 1G pages */
        fr_write(root, CONF, "[hugepages \"2048kB\"]\nmemory = 10%\n[hugepages \"1G\"]\nmemory = 3583M\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "800");
        assert_file(root, HP1G "nr_hugepages", "3");
        run_result_free(&r);

        /* 1001M is 500.5 pages: rounded down */
        fr_write(root, CONF, "[hugepages \"2M\"]\nmemory = 1001M\n[hugepages \"1G\"]\nmemory = 1023M\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "500");
        assert_file(root, HP1G "nr_hugepages", "0");
        run_result_free(&r);
}

/* a later file's pages or memory replaces an earlier file's */
static void test_later_file_wins(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/kvmtune/conf.d/10-a.conf", "[hugepages \"2M\"]\npages = 5\n");
        fr_write(root, "etc/kvmtune/conf.d/20-b.conf", "[hugepages]\nmemory = 20M\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "10");
        assert_int_equal(wr_count(HP2M "nr_hugepages"), 1);
        run_result_free(&r);
}

static void test_nodes(void **state)
{
        const char *root = *state;
        struct run_result r;

        numa(root, 3);
        fr_write(root, "sys/devices/system/node/node2/hugepages/hugepages-2048kB/nr_hugepages", "4\n");
        fr_write(root, HP2M "nr_hugepages", "4\n");
        fr_write(root, CONF, "[hugepages \"2M\"]\nnodes = 0 1\npages = 5\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, "sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "3");
        assert_file(root, "sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "2");
        assert_file(root, "sys/devices/system/node/node2/hugepages/hugepages-2048kB/nr_hugepages", "4");
        assert_int_equal(n_wr, 2);
        assert_int_equal(wr_find(HP2M "nr_hugepages"), -1);
        assert_int_equal(wr_find("sys/devices/system/node/node2/hugepages/hugepages-2048kB/nr_hugepages"), -1);
        assert_contains(r.out, "node0: 0 -> 3");
        assert_contains(r.out, "node1: 0 -> 2");
        run_result_free(&r);

        /* again: nothing to do */
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_int_equal(n_wr, 0);
        run_result_free(&r);

        /* a node that does not exist */
        fr_write(root, CONF, "[hugepages \"2M\"]\nnodes = 0 7\npages = 6\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":3: ");
        assert_contains(r.err, "node7");
        run_result_free(&r);
}

/* pages on nodes not listed stay, and count for the rail */
static void test_nodes_rail(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* 16384000 kB - 10% reserve leaves 14 1G pages; node2 holds 10 */
        numa(root, 3);
        fr_write(root, "sys/devices/system/node/node2/hugepages/hugepages-1048576kB/nr_hugepages", "10\n");
        fr_write(root, HP1G "nr_hugepages", "10\n");
        fr_write(root, CONF, "[hugepages \"1G\"]\nnodes = 0 1\npages = 5\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":3: ");
        assert_contains(r.err, "reserve rail");
        assert_int_equal(n_wr, 0);
        run_result_free(&r);

        fr_write(root, CONF, "[hugepages \"1G\"]\nnodes = 0 1\npages = 4\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, "sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages", "2");
        assert_file(root, "sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages", "2");
        assert_file(root, "sys/devices/system/node/node2/hugepages/hugepages-1048576kB/nr_hugepages", "10");
        assert_file(root, HP1G "nr_hugepages", "14");
        run_result_free(&r);

        /* the count of a typo plus the other nodes' pages does not wrap around past the rail */
        fr_write(root, CONF, "[hugepages \"1G\"]\nnodes = 0 1\npages = 18446744073709551615\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "reserve rail: 18446744073709551615 pages (more than 16Z)");
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
        fr_write(root, CONF, "[hugepages \"1G\"]\nnodes = 0 1\npages = 18446744073709551606\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "reserve rail");
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
}

static void test_unknown_size(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "# no 4M pages on x86\n[hugepages \"4M\"]\npages = 1\n[ksm]\nrun = 1\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":2: ");      /* the section header names the size */
        assert_contains(r.err, "4M is not offered");
        assert_int_equal(wr_count(KSM "run"), 1);   /* the rest is still applied */
        assert_int_equal(n_wr, 1);
        run_result_free(&r);

        /* a section without keys is checked too */
        fr_write(root, CONF, "[hugepages \"4M\"]\n");
        kv(&r, root, CMD_PLAN);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":1: ");
        assert_contains(r.err, "4M is not offered");
        run_result_free(&r);
}

static void test_rail_refused(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[hugepages \"2M\"]\n# one zero too many\npages = 100000\n"
                             "[hugepages \"1G\"]\npages = 2\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "kvmtune: " SHOWN ":3: hugepages 2M: refused by the reserve rail");
        assert_contains(r.err, "force = yes");
        assert_int_equal(wr_count(HP2M "nr_hugepages"), 0);
        assert_file(root, HP2M "nr_hugepages", "0");
        /* the 1G pool still fits: the refused one takes nothing */
        assert_file(root, HP1G "nr_hugepages", "2");
        run_result_free(&r);

        kv(&r, root, CMD_PLAN);
        assert_int_equal(r.status, 1);
        assert_contains(r.out, "error hugepages 2M pages: 0 -> 100000 (refused by the reserve rail");
        run_result_free(&r);

        fr_write(root, CONF, "[hugepages \"2M\"]\npages = 100000\nforce = yes\n[hugepages \"1G\"]\npages = 2\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "100000");
        assert_not_contains(r.err, "rail");
        run_result_free(&r);
}

static void test_rail_default_reserve(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* 10% of 16384000 kB: 7200 2M pages fit, 7201 do not */
        fr_write(root, CONF, "[hugepages]\npages = 7201\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "reserve rail");
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
        fr_write(root, CONF, "[hugepages]\npages = 7200\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "7200");
        run_result_free(&r);

        /* 4G host: 10% is less than 512M, so 512M stay: 1792 pages fit */
        fr_write(root, "proc/meminfo", "MemTotal:        4194304 kB\nHugepagesize:       2048 kB\n");
        fr_write(root, HP2M "nr_hugepages", "0\n");
        fr_write(root, CONF, "[hugepages]\npages = 1793\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "less than 512M");
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
        fr_write(root, CONF, "[hugepages]\npages = 1792\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "1792");
        run_result_free(&r);
}

static void test_rail_explicit_reserve(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* (16384000 - 8G) kB = 3904 2M pages */
        fr_write(root, CONF, "[hugepages]\nreserve = 8G\npages = 3905\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":3: ");
        assert_contains(r.err, "less than 8G");
        run_result_free(&r);
        fr_write(root, CONF, "[hugepages]\nreserve = 8G\npages = 3904\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "3904");
        run_result_free(&r);

        /* taken as given, even below 512M; and in % */
        fr_write(root, HP2M "nr_hugepages", "0\n");
        fr_write(root, CONF, "[hugepages \"1G\"]\nreserve = 0\n[hugepages]\npages = 8000\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "8000");
        run_result_free(&r);
        fr_write(root, HP2M "nr_hugepages", "0\n");
        fr_write(root, CONF, "[hugepages]\nreserve = 50%\npages = 4001\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        run_result_free(&r);
        fr_write(root, CONF, "[hugepages]\nreserve = 50%\npages = 4000\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
}

/* every size counts: pools of sizes not configured, and sizes with only overcommit */
static void test_rail_all_sizes(void **state)
{
        const char *root = *state;
        struct run_result r;

        /* 4 1G pages exist: 16384000 - 1638400 - 4194304 kB = 5152 2M pages */
        fr_write(root, HP1G "nr_hugepages", "4\n");
        fr_write(root, CONF, "[hugepages]\npages = 5153\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "reserve rail");
        run_result_free(&r);
        fr_write(root, CONF, "[hugepages]\npages = 5152\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "5152");
        run_result_free(&r);

        /* the 1G pool is counted once even when its section sets only overcommit */
        fr_write(root, HP2M "nr_hugepages", "0\n");
        fr_write(root, CONF, "[hugepages \"1G\"]\novercommit = 2\n[hugepages]\npages = 5152\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "5152");
        assert_file(root, HP1G "nr_overcommit_hugepages", "2");
        assert_file(root, HP1G "nr_hugepages", "4");
        run_result_free(&r);

        /* ... and when the smaller size sets only overcommit: 2G of 2M pages exist, 12 1G pages fit */
        fr_write(root, HP2M "nr_hugepages", "1024\n");
        fr_write(root, HP1G "nr_hugepages", "0\n");
        fr_write(root, CONF, "[hugepages]\novercommit = 2\n[hugepages \"1G\"]\npages = 12\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP1G "nr_hugepages", "12");
        assert_file(root, HP2M "nr_hugepages", "1024");
        run_result_free(&r);
        fr_write(root, HP1G "nr_hugepages", "0\n");
        fr_write(root, CONF, "[hugepages]\novercommit = 2\n[hugepages \"1G\"]\npages = 13\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "reserve rail");
        run_result_free(&r);

        /* a smaller size is checked against the larger ones' new pools, whatever the file order */
        fr_write(root, HP2M "nr_hugepages", "0\n");
        fr_write(root, HP1G "nr_hugepages", "0\n");
        fr_write(root, CONF, "[hugepages]\npages = 5152\n[hugepages \"1G\"]\npages = 5\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":2: hugepages 2M: refused by the reserve rail");
        assert_file(root, HP2M "nr_hugepages", "0");
        assert_file(root, HP1G "nr_hugepages", "5");
        run_result_free(&r);
}

/*
 * Pools at = cmdline the kernel was booted with and granted less of: apply
 * tops them up, largest first, and a final shortfall is told, not an error.
 */
static void test_boot_pool_top_up(void **state)
{
        const char *root = *state;
        struct run_result r;

        hp_limit = hp_limit_compacted = 5;
        fr_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        fr_write(root, "etc/default/grub.d/kvmtune.cfg",
                 "# Written by kvmtune from its [cmdline] section and the [hugepages] pools\n"
                 "# at = cmdline; kvmtune owns this file whole and rewrites or removes it.\n"
                 "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT hugepagesz=1G hugepages=6 hugepagesz=2M hugepages=4\"\n");
        fr_write(root, "proc/cmdline", "root=/dev/vda1 hugepagesz=1G hugepages=6 hugepagesz=2M hugepages=4\n");
        fr_write(root, HP1G "nr_hugepages", "3\n");
        fr_write(root, HP2M "nr_hugepages", "2\n");
        fr_write(root, CONF, "[hugepages]\npages = 4\nat = cmdline\n[hugepages \"1G\"]\npages = 6\nat = cmdline\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP1G "nr_hugepages", "5");
        assert_file(root, HP2M "nr_hugepages", "4");
        assert_contains(r.out, "hugepages 1G pages: 3 -> 5");
        assert_contains(r.out, "hugepages 2M pages: 2 -> 4");
        assert_contains(r.err, SHOWN ":5: hugepages 1G pages: granted 5 of 6 pages (at = cmdline");
        assert_true(wr_find(HP1G "nr_hugepages") < wr_find(HP2M "nr_hugepages"));
        assert_int_equal(wr_count("proc/sys/vm/compact_memory"), 1);
        run_result_free(&r);

        /* nothing more to get: nothing written is reported, verify counts the grant as met */
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_not_contains(r.out, "->");
        run_result_free(&r);
        kv(&r, root, CMD_VERIFY);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "set   hugepages 1G pages: 5 -> 6 (at = cmdline: the kernel granted 5 of 6 pages at boot; apply tops up)");
        run_result_free(&r);
}

static void test_compact_fixes(void **state)
{
        const char *root = *state;
        struct run_result r;

        hp_limit = 10;
        hp_limit_compacted = UINT64_MAX;
        fr_write(root, CONF, "[hugepages]\npages = 64\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_hugepages", "64");
        assert_int_equal(n_wr, 3);
        assert_string_equal(wr[0].path, HP2M "nr_hugepages");
        assert_string_equal(wr[1].path, "proc/sys/vm/compact_memory");
        assert_string_equal(wr[1].value, "1");
        assert_string_equal(wr[2].path, HP2M "nr_hugepages");
        assert_string_equal(wr[2].value, "64");
        assert_contains(r.err, "granted 10 of 64 pages, compacting");
        run_result_free(&r);
}

static void test_compact_no_fix(void **state)
{
        const char *root = *state;
        struct run_result r;

        hp_limit = 10;
        hp_limit_compacted = 20;
        fr_write(root, CONF, "[hugepages]\n\npages = 64\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_int_equal(wr_count("proc/sys/vm/compact_memory"), 1);
        assert_int_equal(wr_count(HP2M "nr_hugepages"), 2);
        assert_contains(r.err, SHOWN ":3: hugepages 2M pages: granted 20 of 64");
        assert_file(root, HP2M "nr_hugepages", "20");
        run_result_free(&r);

        /* verify sees the shortfall */
        kv(&r, root, CMD_VERIFY);
        assert_int_equal(r.status, 1);
        assert_contains(r.out, "hugepages 2M pages: 20 -> 64");
        run_result_free(&r);
}

static void test_compact_no(void **state)
{
        const char *root = *state;
        struct run_result r;

        hp_limit = 10;
        fr_write(root, CONF, "[hugepages]\ncompact = no\npages = 64\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_int_equal(n_wr, 1);
        assert_int_equal(wr_count("proc/sys/vm/compact_memory"), 0);
        assert_contains(r.err, SHOWN ":3: hugepages 2M pages: granted 10 of 64");
        run_result_free(&r);
}

static void test_overcommit(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[hugepages]\npages = 4\novercommit = 16\n[hugepages \"1G\"]\novercommit = 1\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, HP2M "nr_overcommit_hugepages", "16");
        assert_file(root, HP1G "nr_overcommit_hugepages", "1");
        assert_file(root, HP1G "nr_hugepages", "0");
        assert_file(root, "proc/sys/vm/nr_hugepages", "0");
        assert_contains(r.out, "hugepages 2M overcommit: 0 -> 16");
        run_result_free(&r);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
}

/* vm.nr_hugepages and a pool of the default size: neither is applied */
static void test_sysctl_conflict(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[sysctl]\nvm.nr_hugepages = 10\nvm.swappiness = 10\n[hugepages]\npages = 5\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "kvmtune: " SHOWN ":2: /proc/sys/vm/nr_hugepages is set both here ([sysctl]) and at "
                               SHOWN ":5 ([hugepages]): neither is applied");
        assert_file(root, "proc/sys/vm/nr_hugepages", "0");
        assert_file(root, HP2M "nr_hugepages", "0");
        assert_file(root, "proc/sys/vm/swappiness", "10");
        run_result_free(&r);

        /* the default size named explicitly, and overcommit */
        fr_write(root, CONF, "[sysctl]\nvm.nr_overcommit_hugepages = 3\n[hugepages \"2M\"]\novercommit = 5\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "neither is applied");
        assert_int_equal(n_wr, 0);
        run_result_free(&r);

        /* another size does not conflict */
        fr_write(root, CONF, "[sysctl]\nvm.nr_hugepages = 10\n[hugepages \"1G\"]\npages = 1\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, "proc/sys/vm/nr_hugepages", "10");
        assert_file(root, HP1G "nr_hugepages", "1");
        run_result_free(&r);
}

/* a per-node pool of the default size also conflicts with vm.nr_hugepages */
static void test_sysctl_conflict_nodes(void **state)
{
        const char *root = *state;
        struct run_result r;

        numa(root, 2);
        fr_write(root, CONF, "[sysctl]\nvm.nr_hugepages = 10\n[hugepages]\nnodes = 0 1\npages = 5\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, "neither is applied");
        assert_int_equal(wr_count("proc/sys/vm/nr_hugepages"), 0);
        assert_int_equal(wr_count("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"), 0);
        /* every node's share claims vm.nr_hugepages: none is written */
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
}

static void test_plan(void **state)
{
        const char *root = *state;
        struct run_result r;

        numa(root, 2);
        fr_write(root, CONF, "[hugepages]\npages = 64\n[hugepages \"1G\"]\nnodes = 0 1\npages = 3\n");
        kv(&r, root, CMD_PLAN);
        assert_int_equal(r.status, 0);
        assert_int_equal(n_wr, 0);
        assert_contains(r.out, "set   hugepages 2M pages: 0 -> 64 (128M)");
        assert_contains(r.out, "set   hugepages 1G pages node0: 0 -> 2 (2G)");
        assert_contains(r.out, "set   hugepages 1G pages node1: 0 -> 1 (1G)");
        assert_file(root, HP2M "nr_hugepages", "0");
        run_result_free(&r);

        kv(&r, root, CMD_VERIFY);
        assert_int_equal(r.status, 1);
        run_result_free(&r);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        kv(&r, root, CMD_PLAN);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "ok    hugepages 2M pages: 64 -> 64 (128M)");
        assert_contains(r.out, "ok    hugepages 1G pages node0: 2 -> 2 (2G)");
        run_result_free(&r);
        kv(&r, root, CMD_VERIFY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
}

/* ---- [ksm] ------------------------------------------------------------- */

static void test_ksm_order(void **state)
{
        const char *root = *state;
        struct run_result r;
        int run, mn, mps;

        fr_write(root, CONF, "[ksm]\nrun = yes\npages_to_scan = 300\nmerge_across_nodes = 0\n"
                             "sleep_millisecs = 50\nmax_page_sharing = 512\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        run = wr_find(KSM "run");
        mn = wr_find(KSM "merge_across_nodes");
        mps = wr_find(KSM "max_page_sharing");
        assert_true(run >= 0 && mn >= 0 && mps >= 0);
        assert_true(mn < run);
        assert_true(mps < run);
        assert_int_equal(run, (int)n_wr - 1);
        assert_file(root, KSM "run", "1");
        assert_file(root, KSM "pages_to_scan", "300");
        assert_file(root, KSM "sleep_millisecs", "50");
        assert_file(root, KSM "merge_across_nodes", "0");
        assert_file(root, KSM "max_page_sharing", "512");
        run_result_free(&r);

        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_int_equal(n_wr, 0);
        run_result_free(&r);

        fr_write(root, CONF, "[ksm]\nrun = 2\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, KSM "run", "2");
        run_result_free(&r);
        fr_write(root, CONF, "[ksm]\nrun = off\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, KSM "run", "0");
        run_result_free(&r);
}

static void test_ksm_ebusy(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, KSM "run", "1\n");
        ksm_merged = true;
        fr_write(root, CONF, "[ksm]\npages_to_scan = 200\n\nmerge_across_nodes = 0\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":4: ksm merge_across_nodes: ");
        assert_contains(r.err, "pages are merged");
        assert_contains(r.err, "`run = 2`");
        assert_file(root, KSM "merge_across_nodes", "1");
        assert_file(root, KSM "run", "1");          /* never unmerged by kvmtune */
        assert_int_equal(wr_count(KSM "run"), 0);
        assert_file(root, KSM "pages_to_scan", "200");
        run_result_free(&r);
}

/* any writable file in /sys/kernel/mm/ksm; read-only and missing ones are errors */
static void test_ksm_other_files(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, KSM "use_zero_pages", "0\n");
        fr_write(root, KSM "stable_node_chains_prune_millisecs", "2000\n");
        fr_write(root, KSM "pages_shared", "0\n");
        {
                char *p;
                assert_true(asprintf(&p, "%s/" KSM "pages_shared", root) > 0);
                chmod(p, 0444);
                free(p);
        }
        fr_write(root, CONF, "[ksm]\nuse_zero_pages = 1\nstable_node_chains_prune_millisecs = 5000\n"
                             "pages_shared = 5\nno_such_knob = 1\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_file(root, KSM "use_zero_pages", "1");
        assert_file(root, KSM "stable_node_chains_prune_millisecs", "5000");
        assert_contains(r.err, SHOWN ":4: ");
        assert_contains(r.err, "not a writable KSM knob");
        assert_contains(r.err, SHOWN ":5: ");
        assert_contains(r.err, "no /sys/kernel/mm/ksm/no_such_knob");
        assert_int_equal(wr_count(KSM "pages_shared"), 0);
        run_result_free(&r);
}

/* a knob that takes a word, like the kernel's advisor_mode "[none] scan-time" */
static void test_ksm_word_knob(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, KSM "advisor_mode", "[none] scan-time\n");
        fr_write(root, CONF, "[ksm]\nadvisor_mode = scan-time\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, KSM "advisor_mode", "scan-time");
        run_result_free(&r);
        fr_write(root, KSM "advisor_mode", "none [scan-time]\n");
        kv(&r, root, CMD_VERIFY);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "ok    ksm advisor_mode: scan-time -> scan-time");
        run_result_free(&r);

        /* a word the file does not list; a word for a file that holds a number */
        fr_write(root, KSM "smart_scan", "1\n");
        fr_write(root, CONF, "[ksm]\nadvisor_mode = sometimes\nsmart_scan = yes\nrun = 1\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":2: ksm advisor_mode: 'sometimes' is not one of the kernel's choices");
        assert_contains(r.err, SHOWN ":3: ksm smart_scan: expected a number, not 'yes'");
        assert_int_equal(n_wr, 1);
        assert_int_equal(wr_count(KSM "run"), 1);
        run_result_free(&r);
}

/* ---- [thp] ------------------------------------------------------------- */

static void test_thp(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[thp]\nenabled = madvise\ndefrag = defer+madvise\n");
        kv(&r, root, CMD_PLAN);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "set   thp enabled: always -> madvise");
        assert_contains(r.out, "set   thp defrag: madvise -> defer+madvise");
        run_result_free(&r);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_file(root, THP "enabled", "always [madvise] never");
        assert_file(root, THP "defrag", "always defer [defer+madvise] madvise never");
        assert_contains(r.out, "thp enabled: always -> madvise");
        run_result_free(&r);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
        kv(&r, root, CMD_VERIFY);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "ok    thp enabled: madvise -> madvise");
        run_result_free(&r);
}

static void test_thp_not_offered(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF, "[thp]\nenabled = sometimes\ndefrag = defer\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, SHOWN ":2: thp enabled: 'sometimes' is not one of the kernel's choices");
        assert_int_equal(wr_count(THP "enabled"), 0);
        assert_file(root, THP "enabled", "[always] madvise never");
        assert_file(root, THP "defrag", "always [defer] defer+madvise madvise never");
        run_result_free(&r);

        /* a substring of an offered word is not offered */
        fr_write(root, CONF, "[thp]\nenabled = mad\ndefrag = defer+\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        assert_int_equal(n_wr, 0);
        run_result_free(&r);
}

/* ---- the whole memory config, twice ------------------------------------ */

static void test_second_apply(void **state)
{
        const char *root = *state;
        struct run_result r;

        numa(root, 2);
        fr_write(root, CONF, "[hugepages]\npages = 64\novercommit = 8\n"
                             "[hugepages \"1G\"]\nnodes = 0 1\nmemory = 3G\n"
                             "[ksm]\nrun = 1\npages_to_scan = 300\nsleep_millisecs = 50\nmerge_across_nodes = 0\n"
                             "[thp]\nenabled = madvise\ndefrag = defer\n");
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_true(n_wr >= 10);
        /* hugepages before ksm before thp */
        assert_true(wr_find(HP2M "nr_hugepages") < wr_find(KSM "run"));
        assert_true(wr_find(KSM "run") < wr_find(THP "enabled"));
        run_result_free(&r);
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 0);
        assert_int_equal(n_wr, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);
        kv(&r, root, CMD_VERIFY);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
}

/* ---- parse errors ------------------------------------------------------ */

static void test_parse_errors(void **state)
{
        static const struct {
                unsigned line;
                const char *what;
        } want[] = {
                { 2, "pages: invalid value 'abc'" },
                { 3, "pages: invalid value '-1'" },
                { 4, "memory: invalid value '4X'" },
                { 5, "memory: invalid value '101%'" },
                { 6, "overcommit: invalid number 'many'" },
                { 7, "reserve: invalid size 'lots'" },
                { 8, "force: expected a boolean, not 'maybe'" },
                { 9, "compact: expected a boolean, not 'perhaps'" },
                { 10, "nodes: expected distinct node numbers, not '0 0'" },
                { 11, "nodes: expected distinct node numbers, not 'a'" },
                { 12, "unknown key 'colour' in [hugepages]" },
                { 13, "[hugepages \"abc\"]: not a page size" },
                { 15, "[hugepages \"3000\"]: not a page size" },
                { 18, "'pages' and 'memory' exclude each other" },
                { 20, "invalid [ksm] key 'Run'" },
                { 21, "invalid [ksm] key 'pages-to-scan'" },
                { 22, "ksm run: expected 0, 1, 2 or a boolean, not '3'" },
                { 23, "ksm pages_to_scan: expected a number, not 'fast'" },
                { 24, "ksm sleep_millisecs: expected a number, not '-5'" },
                { 26, "thp enabled: expected one word, not 'always madvise'" },
                { 27, "thp defrag: expected one word, not '[madvise]'" },
                { 28, "unknown key 'colour' in [thp]" },
                { 29, "unknown section [ksm \"x\"]" },
                { 30, "unknown section [thp \"x\"]" },
                { 32, "pages: invalid value '1G'" },
                { 33, "nodes: expected distinct node numbers, not '4096'" },
                { 34, "overcommit: invalid number '99999999999999999999'" },
                { 35, "force: expected a boolean, not ''" },
        };
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONF,
                 "[hugepages \"2M\"]\n"                 /* 1 */
                 "pages = abc\n"                        /* 2 */
                 "pages = -1\n"                         /* 3 */
                 "memory = 4X\n"                        /* 4 */
                 "memory = 101%\n"                      /* 5 */
                 "overcommit = many\n"                  /* 6 */
                 "reserve = lots\n"                     /* 7 */
                 "force = maybe\n"                      /* 8 */
                 "compact = perhaps\n"                  /* 9 */
                 "nodes = 0 0\n"                        /* 10 */
                 "nodes = a\n"                          /* 11 */
                 "colour = blue\n"                      /* 12 */
                 "[hugepages \"abc\"]\n"                /* 13 */
                 "pages = 1\n"                          /* 14: not reported again */
                 "[hugepages \"3000\"]\n"               /* 15 */
                 "[hugepages \"1G\"]\n"                 /* 16 */
                 "pages = 1\n"                          /* 17: valid, applied */
                 "memory = 1G\n"                        /* 18 */
                 "[ksm]\n"                              /* 19 */
                 "Run = 1\n"                            /* 20 */
                 "pages-to-scan = 1\n"                  /* 21 */
                 "run = 3\n"                            /* 22 */
                 "pages_to_scan = fast\n"               /* 23 */
                 "sleep_millisecs = -5\n"               /* 24 */
                 "[thp]\n"                              /* 25 */
                 "enabled = always madvise\n"           /* 26 */
                 "defrag = [madvise]\n"                 /* 27 */
                 "colour = blue\n"                      /* 28 */
                 "[ksm \"x\"]\n"                        /* 29 */
                 "[thp \"x\"]\n"                        /* 30 */
                 "[hugepages]\n"                        /* 31 */
                 "pages = 1G\n"                         /* 32 */
                 "nodes = 4096\n"                       /* 33 */
                 "overcommit = 99999999999999999999\n"  /* 34 */
                 "force =\n"                            /* 35 */
                 "[ksm]\n"                              /* 36 */
                 "sleep_millisecs = 50\n");             /* 37: valid, applied */
        kv(&r, root, CMD_APPLY);
        assert_int_equal(r.status, 1);
        for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
                char *prefix;
                const char *p, *hit = NULL;

                assert_true(asprintf(&prefix, "kvmtune: " SHOWN ":%u: ", want[i].line) > 0);
                for (p = r.err; !hit && (p = strstr(p, prefix)); p++) {
                        char *one = strndup(p, strcspn(p, "\n"));
                        if (strstr(one, want[i].what))
                                hit = p;
                        free(one);
                }
                if (!hit)
                        fail_msg("no '%s...%s' in:\n%s", prefix, want[i].what, r.err);
                free(prefix);
        }
        assert_not_contains(r.err, SHOWN ":14:");
        /* only the valid settings were written */
        assert_int_equal(n_wr, 2);
        assert_file(root, HP1G "nr_hugepages", "1");
        assert_file(root, KSM "sleep_millisecs", "50");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(test_pages),
                T(test_memory_forms),
                T(test_later_file_wins),
                T(test_nodes),
                T(test_nodes_rail),
                T(test_unknown_size),
                T(test_rail_refused),
                T(test_rail_default_reserve),
                T(test_rail_explicit_reserve),
                T(test_rail_all_sizes),
                T(test_compact_fixes),
                T(test_boot_pool_top_up),
                T(test_compact_no_fix),
                T(test_compact_no),
                T(test_overcommit),
                T(test_sysctl_conflict),
                T(test_sysctl_conflict_nodes),
                T(test_plan),
                T(test_ksm_order),
                T(test_ksm_ebusy),
                T(test_ksm_other_files),
                T(test_ksm_word_knob),
                T(test_thp),
                T(test_thp_not_offered),
                T(test_second_apply),
                T(test_parse_errors),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
