/* SPDX-License-Identifier: MIT */
/*
 * [sysctl] end to end on a fake root: globs, explicit keys beating globs,
 * the '-' prefix, key validation (nothing outside proc/sys is touched),
 * multi-field values, idempotence, all/default before per-interface keys,
 * verify and plan.
 */
#include "helpers.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"
#include "minijson.h"

#define CONFD "etc/kvmtune/conf.d/"
#define RP(dev) "proc/sys/net/ipv4/conf/" dev "/rp_filter"
#define LM(dev) "proc/sys/net/ipv4/conf/" dev "/log_martians"

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

/* ---- a snapshot of a tree: every path with its type and content ---- */

static FILE *snap_out;
static size_t snap_skip;
static const char *snap_except;

static int snap_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        const char *rel = path + snap_skip;
        (void)ftw;

        if (snap_except && !strncmp(rel, snap_except, strlen(snap_except)))
                return 0;
        /* apply's own revert record is kvmtune's, not a kernel knob */
        if (!strncmp(rel, "/run", 4))
                return 0;
        fprintf(snap_out, "%s %o %d\n", rel, st->st_mode, flag);
        if (flag == FTW_F) {
                FILE *f = fopen(path, "r");
                int c;
                if (f) {
                        while ((c = fgetc(f)) != EOF)
                                fputc(c, snap_out);
                        fclose(f);
                }
                fputc('\n', snap_out);
        } else if (flag == FTW_SL) {
                char buf[4096];
                ssize_t n = readlink(path, buf, sizeof(buf) - 1);
                fprintf(snap_out, "-> %.*s\n", (int)(n > 0 ? n : 0), buf);
        }
        return 0;
}

/* the tree under root, leaving out paths that start with except */
static char *snapshot(const char *root, const char *except)
{
        char *buf = NULL;
        size_t len = 0;

        snap_out = open_memstream(&buf, &len);
        snap_skip = strlen(root);
        snap_except = except;
        nftw(root, snap_one, 16, FTW_PHYS);
        fclose(snap_out);
        return buf;
}

/* ---- tests ---- */

static void test_glob(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-rp.conf", "[sysctl]\nnet.ipv4.conf.*.rp_filter = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, RP("all"), "1");
        want_value(root, RP("default"), "1");
        want_value(root, RP("lo"), "1");
        want_value(root, RP("eth0"), "1");
        /* nothing else matched */
        want_value(root, LM("all"), "0");
        want_in("stdout", r.out, "sysctl net.ipv4.conf.eth0.rp_filter: 0 -> 1");
        run_result_free(&r);

        /* a glob in the middle and at the end of a component; '/' separators */
        fr_write(root, CONFD "50-rp.conf",
                 "[sysctl]\nnet/ipv4/conf/e*/log_martians = 1\nnet.ipv4.conf.lo.log_mart* = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, LM("eth0"), "1");
        want_value(root, LM("lo"), "1");
        want_value(root, LM("all"), "0");
        want_value(root, LM("default"), "0");
        run_result_free(&r);

        /* a glob whose directory part matches nothing is not an error */
        fr_write(root, CONFD "50-rp.conf", "[sysctl]\nnet.ipv9.conf.*.rp_filter = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        /* nor is a glob component that matches no entry (no qsort of nothing) */
        fr_write(root, CONFD "50-rp.conf", "[sysctl]\nnet.ipv4.conf.nosuch*.rp_filter = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
}

static void check_explicit_wins(const char *root)
{
        struct run_result r;

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, RP("lo"), "2");
        want_value(root, RP("all"), "1");
        want_value(root, RP("default"), "1");
        want_value(root, RP("eth0"), "1");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);
}

static void test_explicit_beats_glob(void **state)
{
        const char *root = *state;

        /* glob first, then explicit */
        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\nnet.ipv4.conf.*.rp_filter = 1\nnet.ipv4.conf.lo.rp_filter = 2\n");
        check_explicit_wins(root);
}

static void test_explicit_beats_glob_reversed(void **state)
{
        const char *root = *state;

        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\nnet.ipv4.conf.lo.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 1\n");
        check_explicit_wins(root);
}

static void test_explicit_beats_glob_across_files(void **state)
{
        const char *root = *state;

        /* the glob in the later file does not override the explicit key */
        fr_write(root, CONFD "10-explicit.conf", "[sysctl]\nnet.ipv4.conf.lo.rp_filter = 2\n");
        fr_write(root, "usr/lib/kvmtune/conf.d/90-glob.conf", "[sysctl]\nnet.ipv4.conf.*.rp_filter = 1\n");
        check_explicit_wins(root);
        /* nor the other way round */
        fr_write(root, CONFD "10-explicit.conf", "[sysctl]\nnet.ipv4.conf.*.rp_filter = 1\n");
        fr_write(root, "usr/lib/kvmtune/conf.d/90-glob.conf", "[sysctl]\nnet.ipv4.conf.lo.rp_filter = 2\n");
        check_explicit_wins(root);
}

/* among globs, and among explicit keys, the later wins */
static void test_later_glob_wins(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "10-a.conf", "[sysctl]\nnet.ipv4.conf.*.rp_filter = 2\nnet.ipv4.tcp_fin_timeout = 11\n");
        fr_write(root, CONFD "20-b.conf", "[sysctl]\nnet.ipv4.conf.*.rp_filter = 1\nnet.ipv4.tcp_fin_timeout = 22\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, RP("lo"), "1");
        want_value(root, RP("all"), "1");
        want_value(root, "proc/sys/net/ipv4/tcp_fin_timeout", "22");
        /* each key is written once */
        want_not_in("stdout", r.out, "-> 2\n");
        want_not_in("stdout", r.out, "-> 11\n");
        run_result_free(&r);
}

/*
 * Globs that differ but can match the same key: the later still wins (at the
 * place of the first match); globs that cannot (different literal
 * components) each set their own keys.
 */
static void test_overlapping_globs(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "10-a.conf",
                 "[sysctl]\nnet.ipv4.conf.*.rp_filter = 2\nnet.ipv4.conf.*.log_martians = 1\n");
        fr_write(root, CONFD "20-b.conf", "[sysctl]\nnet.ipv4.conf.e*.rp_filter = 1\nnet.ipv4.*.lo.rp_filter = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, RP("eth0"), "1");
        want_value(root, RP("lo"), "1");
        want_value(root, RP("all"), "2");
        want_value(root, RP("default"), "2");
        want_value(root, "proc/sys/net/ipv4/conf/eth0/log_martians", "1");
        want_value(root, "proc/sys/net/ipv4/conf/lo/log_martians", "1");
        /* each key is written once: eth0 and lo never get the earlier glob's 2 */
        want_not_in("stdout", r.out, "eth0.rp_filter: 0 -> 2");
        want_not_in("stdout", r.out, "lo.rp_filter: 0 -> 2");
        run_result_free(&r);
}

/*
 * Many explicit keys (the index grows and is rebuilt several times): a later
 * line wins at the earlier one's place, an exclusion takes a key back, and
 * a glob sets only the keys no explicit line names.
 */
static void test_many_explicit_keys(void **state)
{
        const char *root = *state;
        enum { N = 300 };
        char *a = NULL, *b = NULL, path[64], want[8];
        size_t alen = 0, blen = 0;
        FILE *fa = open_memstream(&a, &alen), *fb = open_memstream(&b, &blen);
        struct run_result r;
        const char *prev = NULL;

        fputs("[sysctl]\n", fa);
        fputs("[sysctl]\nkvt.* = 3\n", fb);
        for (int i = 0; i < N; i++) {
                snprintf(path, sizeof(path), "proc/sys/kvt/k%d", i);
                fr_write(root, path, "0\n");
                if (i % 5 != 4)
                        fprintf(fa, "kvt.k%d = 1\n", i);
                if (i % 3 == 0)
                        fprintf(fb, "kvt.k%d = 2\n", i);
        }
        fputs("-kvt.k7\n", fb);
        fclose(fa);
        fclose(fb);
        fr_write(root, CONFD "10-a.conf", a);
        fr_write(root, CONFD "20-b.conf", b);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        for (int i = 0; i < N; i++) {
                char name[32];
                const char *at;

                snprintf(path, sizeof(path), "proc/sys/kvt/k%d", i);
                snprintf(want, sizeof(want), "%s", i == 7 ? "0" : i % 3 == 0 ? "2" : i % 5 == 4 ? "3" : "1");
                want_value(root, path, want);
                /* the explicit keys are applied in their first line's order */
                snprintf(name, sizeof(name), "kvt.k%d: 0 -> ", i);
                at = strstr(r.out, name);
                if (i == 7)
                        assert_null(at);
                else if (i % 5 != 4) {
                        assert_non_null(at);
                        assert_true(!prev || at > prev);
                        prev = at;
                }
        }
        /* each key is written once: no 1 where a later line said 2 */
        want_not_in("stdout", r.out, "kvt.k0: 0 -> 1");
        want_not_in("stdout", r.out, "kvt.k297: 0 -> 1");
        run_result_free(&r);
        free(a);
        free(b);
}

/*
 * settings_sort(): by order, creation order kept among equals, whichever
 * class is the largest (the one sorted in place) and with classes missing.
 */
static void test_settings_sort(void **state)
{
        static const unsigned char orders[][12] = {
                { 2, 0, 2, 1, 2, 2, 0, 2, 1, 2, 2, 2 },  /* the last class largest */
                { 0, 2, 0, 0, 1, 0, 0, 2, 0, 15, 0, 0 }, /* the first, and the highest order */
                { 3, 1, 3, 1, 1, 0, 1, 1, 3, 1, 7, 1 },  /* a middle one */
                { 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2 },  /* sorted already */
        };
        struct origin at = { "test", 1 };
        (void)state;

        for (size_t t = 0; t < sizeof(orders) / sizeof(*orders); t++) {
                struct kvmtune k = { .rootfd = -1, .kmsg_fd = -1 };
                struct setting *made[12], *before;

                /* one setting ahead that the sort leaves alone */
                before = setting_add(&k, SEC_KSM, "ahead", NULL, "1", at);
                before->order = 9;
                for (size_t i = 0; i < 12; i++) {
                        made[i] = setting_add(&k, SEC_KSM, "k", NULL, "1", at);
                        made[i]->order = orders[t][i];
                }
                settings_sort(&k, 1);
                assert_ptr_equal(k.settings[0], before);
                for (size_t i = 1; i + 1 < k.n_settings; i++) {
                        struct setting *x = k.settings[i], *y = k.settings[i + 1];
                        size_t ix = 0, iy = 0;

                        while (made[ix] != x)
                                ix++;
                        while (made[iy] != y)
                                iy++;
                        assert_true(x->order < y->order || (x->order == y->order && ix < iy));
                }
                assert_int_equal(k.n_settings, 13);
                kvmtune_free(&k);
        }
}

static void test_ignore_missing(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\n-net.ipv4.tcp_tw_recycle = 0\nnet.ipv4.tcp_fin_timeout = 30\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stderr", r.err, "tcp_tw_recycle");
        want_value(root, "proc/sys/net/ipv4/tcp_fin_timeout", "30");
        run_result_free(&r);
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("plan", r.out, "skip  sysctl net.ipv4.tcp_tw_recycle");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);

        /* without '-' a missing key is an error with file:line; the rest applies */
        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\nnet.ipv4.tcp_fin_timeout = 45\nnet.ipv4.tcp_tw_recycle = 0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "kvmtune: /etc/kvmtune/conf.d/50-a.conf:3:");
        want_in("stderr", r.err, "net.ipv4.tcp_tw_recycle");
        want_value(root, "proc/sys/net/ipv4/tcp_fin_timeout", "45");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
}

static void test_invalid_keys(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *before, *after, *text, *big = malloc(5001);

        memset(big, '1', 5000);
        big[5000] = '\0';
        /* targets a traversal would reach, relative to proc/sys and to the root */
        fr_write(root, "etc/x", "orig\n");
        fr_write(root, "proc/x", "orig\n");
        fr_write(root, "x", "orig\n");
        fr_write(root, "proc/sys/net/x", "orig\n");
        assert_true(asprintf(&text,
                             "[sysctl]\n"
                             "net/../../etc/x = 1\n"                /* 2 */
                             "a..b = 1\n"                           /* 3 */
                             "net.ipv4.*/../x = 1\n"                /* 4 */
                             "net.ipv4.tcp\x01" "fin = 1\n"         /* 5 */
                             "net.ipv4.tcp_fin_timeout = %s\n"      /* 6 */
                             "../../x = 1\n"                        /* 7 */
                             "/etc/x = 1\n"                         /* 8 */
                             "net.ipv4.$x = 1\n"                    /* 9 */
                             "net.ipv4.tcp fin = 1\n"               /* 10 */
                             "net..x = 1\n"                         /* 11 */
                             "net.ipv4. = 1\n"                      /* 12 */
                             "-../x = 1\n"                          /* 13 */
                             "net/ipv4/conf/*/../../../../etc/x = 1\n" /* 14 */
                             "net.ipv4.tcp_fin_timeout = 1\x7f\n"   /* 15 */
                             "vm.swappiness = 10\n",                /* 16: good */
                             big) > 0);
        fr_write(root, CONFD "50-bad.conf", text);
        free(text);
        free(big);
        before = snapshot(root, "/proc/sys/vm/swappiness");

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        for (int line = 2; line <= 15; line++) {
                char where[128];
                snprintf(where, sizeof(where), "kvmtune: /etc/kvmtune/conf.d/50-bad.conf:%d:", line);
                want_in("stderr", r.err, where);
        }
        want_value(root, "proc/sys/vm/swappiness", "10");
        after = snapshot(root, "/proc/sys/vm/swappiness");
        if (strcmp(before, after))
                fail_msg("the tree changed:\nbefore:\n%s\nafter:\n%s", before, after);
        free(after);
        run_result_free(&r);

        /* a symlink inside proc/sys does not lead out of the root either */
        char *outside = fr_new(), *target;
        fr_write(outside, "victim", "orig\n");
        assert_true(asprintf(&target, "%s/victim", outside) > 0);
        fr_write(root, CONFD "50-bad.conf", "[sysctl]\nnet.evil = 1\n");
        fr_symlink(root, target, "proc/sys/net/evil");
        kv_run(&r, root, "apply", NULL);
        want_value(outside, "victim", "orig");
        run_result_free(&r);
        free(target);
        fr_free(outside);
        free(before);
}

/* multi-number values compare by fields */
static void test_fields(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-a.conf", "[sysctl]\nnet.ipv4.tcp_rmem = 4096 131072   6291456\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("plan", r.out, "ok    sysctl net.ipv4.tcp_rmem");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "tcp_rmem");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);

        fr_write(root, CONFD "50-a.conf", "[sysctl]\nnet.ipv4.tcp_rmem = 4096\t131072\t16777216\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("verify", r.out, "net.ipv4.tcp_rmem");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "sysctl net.ipv4.tcp_rmem");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);

        /* a prefix of the fields is not equal */
        fr_write(root, CONFD "50-a.conf", "[sysctl]\nnet.ipv4.tcp_rmem = 4096 131072\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
}

static void test_idempotent(void **state)
{
        const char *root = *state;
        struct run_result r;
        struct jv *doc;

        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\n"
                 "net.ipv4.tcp_fin_timeout = 30\n"
                 "net.ipv4.conf.*.rp_filter = 1\n"
                 "net.ipv4.conf.lo.log_martians = 1\n"
                 "net.ipv4.tcp_rmem = 8192 262144 16777216\n"
                 "fs.file-max = 2097152\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "sysctl net.ipv4.tcp_fin_timeout: 60 -> 30");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("second apply", r.out, "->");
        want_not_in("second apply", r.err, "->");
        run_result_free(&r);

        kv_run(&r, root, "--json", "apply", NULL);
        want_status(&r, 0);
        doc = json_parse(r.out);
        if (!doc)
                fail_msg("invalid JSON:\n%s", r.out);
        assert_true(jv_num(doc, "changes") == 0);
        assert_true(jv_num(doc, "errors") == 0);
        const struct jv *a = jv_get(doc, "settings");
        assert_non_null(a);
        assert_int_equal(a->n, 8);
        for (size_t i = 0; i < a->n; i++) {
                assert_string_equal(jv_str(&a->items[i], "action"), "ok");
                assert_false(jv_get(&a->items[i], "changed")->b);
        }
        jv_free(doc);
        run_result_free(&r);
}

/* a value shorter than the old one: the file holds exactly the new value */
static void test_shorter_value(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-a.conf", "[sysctl]\nfs.file-max = 5\nnet.core.somaxconn = 128\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        /* a shorter value replaces the whole file, as on the kernel's files */
        want_value(root, "proc/sys/fs/file-max", "5");
        want_value(root, "proc/sys/net/core/somaxconn", "128");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);
}

/* net.ipv{4,6}.conf.{all,default}.* are written before per-interface keys */
static void test_all_default_first(void **state)
{
        const char *root = *state;
        struct run_result r;
        static const char *const v6[] = { "all", "default", "lo", "eth0" };
        char rel[128];

        for (size_t i = 0; i < 4; i++) {
                snprintf(rel, sizeof(rel), "proc/sys/net/ipv6/conf/%s/forwarding", v6[i]);
                fr_write(root, rel, "0\n");
        }
        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\n"
                 "net.ipv4.conf.lo.log_martians = 1\n"
                 "net.ipv6.conf.eth0.forwarding = 1\n"
                 "net.ipv4.conf.eth0.log_martians = 1\n"
                 "net.ipv4.tcp_fin_timeout = 30\n"
                 "net.ipv4.conf.default.log_martians = 1\n"
                 "net.ipv6.conf.default.forwarding = 1\n");
        fr_write(root, CONFD "60-b.conf",
                 "[sysctl]\nnet.ipv4.conf.*.rp_filter = 1\nnet.ipv6.conf.all.forwarding = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);

        /* every all/default change line precedes every per-interface one */
        const char *last_global = NULL, *first_dev = NULL;
        for (const char *line = r.out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                bool global = !strncmp(line, "sysctl net.ipv4.conf.all.", 25) ||
                              !strncmp(line, "sysctl net.ipv4.conf.default.", 29) ||
                              !strncmp(line, "sysctl net.ipv6.conf.all.", 25) ||
                              !strncmp(line, "sysctl net.ipv6.conf.default.", 29);
                bool dev = !global && (!strncmp(line, "sysctl net.ipv4.conf.", 21) ||
                                       !strncmp(line, "sysctl net.ipv6.conf.", 21));
                if (global)
                        last_global = line;
                if (dev && !first_dev)
                        first_dev = line;
        }
        if (!last_global || !first_dev || last_global > first_dev)
                fail_msg("all/default keys not written first:\n%s", r.out);
        want_in("stdout", r.out, "sysctl net.ipv4.conf.default.log_martians: 0 -> 1");
        want_in("stdout", r.out, "sysctl net.ipv6.conf.all.forwarding: 0 -> 1");
        want_in("stdout", r.out, "sysctl net.ipv4.conf.lo.log_martians: 0 -> 1");
        want_value(root, LM("lo"), "1");
        want_value(root, LM("eth0"), "1");
        want_value(root, "proc/sys/net/ipv6/conf/eth0/forwarding", "1");
        run_result_free(&r);

        /* the plan lists them in the same order */
        kv_run(&r, root, "plan", NULL);
        const char *g = strstr(r.out, "net.ipv6.conf.all.forwarding");
        const char *d = strstr(r.out, "net.ipv4.conf.lo.log_martians");
        assert_non_null(g);
        assert_non_null(d);
        assert_true(g < d);
        run_result_free(&r);
}

static void test_verify(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\nnet.ipv4.conf.*.rp_filter = 1\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("verify", r.out, "net.ipv4.tcp_fin_timeout");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_not_in("verify", r.out, "set ");
        run_result_free(&r);

        /* changed behind kvmtune's back */
        fr_write(root, RP("eth0"), "0\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("verify", r.out, "set   sysctl net.ipv4.conf.eth0.rp_filter: 0 -> 1");
        want_not_in("verify", r.out, "set   sysctl net.ipv4.tcp_fin_timeout");
        run_result_free(&r);
        want_value(root, RP("eth0"), "0");
        kv_run(&r, root, "-q", "verify", NULL);
        want_status(&r, 1);
        want_in("verify -q", r.out, "net.ipv4.conf.eth0.rp_filter");
        run_result_free(&r);
}

static void test_plan_writes_nothing(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *before, *after;

        fr_write(root, CONFD "50-a.conf",
                 "[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\nnet.ipv4.conf.*.rp_filter = 1\n"
                 "net.ipv4.conf.default.log_martians = 1\n-net.nosuch = 1\n");
        before = snapshot(root, NULL);
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("plan", r.out, "set   sysctl net.ipv4.tcp_fin_timeout: 60 -> 30");
        want_in("plan", r.out, "set   sysctl net.ipv4.conf.lo.rp_filter: 0 -> 1");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
        kv_run(&r, root, "--json", "plan", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        after = snapshot(root, NULL);
        if (strcmp(before, after))
                fail_msg("plan changed the tree:\nbefore:\n%s\nafter:\n%s", before, after);
        free(before);
        free(after);
}

/* sysctl.d's key forms: fnmatch globs with ? and [...], any interface-name character, '-KEY' exclusions */
static void test_key_syntax(void **state)
{
        const char *root = *state;
        const char *ifs[] = { "v0", "v1", "vx", "x+1", "a@b", "vlan.7" };
        const char *keys[] = { "rp_filter", "log_martians", "accept_redirects" };
        struct run_result r;

        for (size_t i = 0; i < sizeof(ifs) / sizeof(*ifs); i++)
                for (size_t j = 0; j < sizeof(keys) / sizeof(*keys); j++) {
                        char *rel;
                        assert_true(asprintf(&rel, "proc/sys/net/ipv4/conf/%s/%s", ifs[i], keys[j]) > 0);
                        fr_write(root, rel, j == 2 ? "1\n" : "0\n");
                        free(rel);
                }
        fr_write(root, CONFD "50-k.conf",
                 "[sysctl]\n"
                 "net.ipv4.conf.v?.rp_filter = 2\n"
                 "-net.ipv4.conf.v1.rp_filter   # not this one\n"
                 "net.ipv4.conf.[xa]*.log_martians = 1\n"
                 "net.ipv4.conf.x+1.accept_redirects = 0\n"
                 "net/ipv4/conf/vlan.7/accept_redirects = 0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, RP("v0"), "2");
        want_value(root, RP("vx"), "2");
        want_value(root, RP("v1"), "0");                /* excluded from the glob */
        want_value(root, RP("x+1"), "0");
        want_value(root, LM("x+1"), "1");
        want_value(root, LM("a@b"), "1");
        want_value(root, LM("v0"), "0");
        want_value(root, "proc/sys/net/ipv4/conf/x+1/accept_redirects", "0");
        want_value(root, "proc/sys/net/ipv4/conf/vlan.7/accept_redirects", "0");
        want_value(root, "proc/sys/net/ipv4/conf/a@b/accept_redirects", "1");
        want_not_in("stdout", r.out, "v1.rp_filter");
        run_result_free(&r);

        /* a later exclusion takes an earlier assignment back; a later assignment wins over it */
        fr_write(root, RP("v0"), "0\n");
        fr_write(root, RP("v1"), "0\n");
        fr_write(root, CONFD "40-k.conf", "[sysctl]\nnet.ipv4.conf.v0.rp_filter = 1\n-net.ipv4.conf.v1.rp_filter\n");
        fr_write(root, CONFD "50-k.conf", "[sysctl]\n-net.ipv4.conf.v0.rp_filter\nnet.ipv4.conf.v1.rp_filter = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, RP("v0"), "0");
        want_value(root, RP("v1"), "1");
        run_result_free(&r);

        /* an exclusion names a key; '-KEY' means nothing outside [sysctl] */
        fr_write(root, CONFD "40-k.conf", "");
        fr_write(root, CONFD "50-k.conf", "[sysctl]\n-net.ipv4.conf.v*.rp_filter\n[ksm]\n-run\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-k.conf:2: sysctl -net.ipv4.conf.v*.rp_filter: an exclusion names one key, not a glob");
        want_in("stderr", r.err, "50-k.conf:4: syntax error: expected 'key = value'");
        run_result_free(&r);
}

/* ">= N" only raises, "<= N" only lowers; a larger (smaller) value is met and left alone */
static void test_bounds(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "proc/sys/net/core/somaxconn", "1024\n");
        fr_write(root, "proc/sys/vm/swappiness", "60\n");
        fr_write(root, CONFD "50-b.conf", "[sysctl]\nnet.core.somaxconn = >= 4096\nvm.swappiness = <=10\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   sysctl net.core.somaxconn: 1024 -> >= 4096");
        want_in("stdout", r.out, "set   sysctl vm.swappiness: 60 -> <= 10");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, "proc/sys/net/core/somaxconn", "4096");
        want_value(root, "proc/sys/vm/swappiness", "10");
        run_result_free(&r);

        /* beyond the bound: met, never written back towards it */
        fr_write(root, "proc/sys/net/core/somaxconn", "8192\n");
        fr_write(root, "proc/sys/vm/swappiness", "1\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    sysctl net.core.somaxconn: 8192 -> >= 4096");
        run_result_free(&r);
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, "proc/sys/net/core/somaxconn", "8192");
        want_value(root, "proc/sys/vm/swappiness", "1");
        want_not_in("stdout", r.out, "->");
        run_result_free(&r);
        kv_run(&r, root, "--json", "plan", NULL);
        want_in("stdout", r.out, "\"wanted\":\"4096\",\"bound\":\"at-least\"");
        run_result_free(&r);

        /* one number only: not a list key, not a word */
        fr_write(root, CONFD "50-b.conf", "[sysctl]\nnet.ipv4.tcp_rmem = >= 4096\nnet.core.somaxconn = >= lots\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-b.conf:2: sysctl net.ipv4.tcp_rmem: '>= 4096' is for keys that hold one number");
        want_in("stderr", r.err, "50-b.conf:3: sysctl net.core.somaxconn: '>=' takes one decimal number, not 'lots'");
        run_result_free(&r);
}

/* the same bounds in [block], [netdev] and [ksm] */
static void test_bounds_other_sections(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-b.conf",
                 "[block \"vda\"]\nread_ahead_kb = >= 4096\n"
                 "[netdev \"eth0\"]\ntxqueuelen = >= 5000\n"
                 "[ksm]\npages_to_scan = <= 50\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", "4096");
        want_value(root, "sys/devices/virtual/net/eth0/tx_queue_len", "5000");
        want_value(root, "sys/kernel/mm/ksm/pages_to_scan", "50");
        run_result_free(&r);

        fr_write(root, "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", "8192\n");
        fr_write(root, "sys/devices/virtual/net/eth0/tx_queue_len", "10000\n");
        fr_write(root, "sys/kernel/mm/ksm/pages_to_scan", "20\n");
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    block vda read_ahead_kb: 8192 -> >= 4096");
        want_in("stdout", r.out, "ok    netdev eth0 txqueuelen: 10000 -> >= 5000");
        want_in("stdout", r.out, "ok    ksm pages_to_scan: 20 -> <= 50");
        run_result_free(&r);

        fr_write(root, CONFD "50-b.conf", "[block \"vda\"]\nnr_requests = >= many\n[ksm]\nrun = >= 1\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-b.conf:2: block nr_requests: expected a number, not '>= many'");
        want_in("stderr", r.err, "50-b.conf:4: ksm run: '>=' takes a number, and only for numeric knobs");
        run_result_free(&r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_glob),
                T(test_key_syntax),
                T(test_bounds),
                T(test_bounds_other_sections),
                T(test_explicit_beats_glob),
                T(test_explicit_beats_glob_reversed),
                T(test_explicit_beats_glob_across_files),
                T(test_later_glob_wins),
                T(test_many_explicit_keys),
                T(test_settings_sort),
                T(test_overlapping_globs),
                T(test_ignore_missing),
                T(test_invalid_keys),
                T(test_fields),
                T(test_idempotent),
                T(test_shorter_value),
                T(test_all_default_first),
                T(test_verify),
                T(test_plan_writes_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
