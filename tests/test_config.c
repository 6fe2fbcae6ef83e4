/* SPDX-License-Identifier: MIT */
/*
 * Configuration loading, end to end through the binary on a fake root:
 * the search path and its precedence, masking, lexical order, --config-dir
 * and --config, cat-config, non-regular files, every parse error with
 * file:line, the inih pitfalls (long lines, indented lines), exit codes,
 * --json, kvmtune=0, partial failure and the ownership check.
 */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minijson.h"

static const char *const dirs[] = {
        "etc/kvmtune/conf.d",
        "run/kvmtune/conf.d",
        "usr/local/lib/kvmtune/conf.d",
        "usr/lib/kvmtune/conf.d",
};

#define FIN "proc/sys/net/ipv4/tcp_fin_timeout"
#define SOMAXCONN "proc/sys/net/core/somaxconn"
#define SWAPPINESS "proc/sys/vm/swappiness"

static int setup(void **state)
{
        char *root = fr_new();

        fr_standard(root);
        *state = root;
        alarm(60);      /* a blocking open of a FIFO must fail the test, not hang it */
        return 0;
}

static int teardown(void **state)
{
        fr_free(*state);
        alarm(0);
        return 0;
}

static void conf(const char *root, int dir, const char *name, const char *text)
{
        char rel[256];

        snprintf(rel, sizeof(rel), "%s/%s", dirs[dir], name);
        fr_write(root, rel, text);
}

/* same file name in several directories: the highest-priority one wins */
static void test_precedence(void **state)
{
        const char *root = *state;
        static const char *const vals[] = { "11", "22", "33", "44" };
        struct run_result r;

        for (int top = 3; top >= 0; top--) {
                for (int d = top; d < 4; d++) {
                        char text[64];
                        snprintf(text, sizeof(text), "[sysctl]\nnet.ipv4.tcp_fin_timeout = %s\n", vals[d]);
                        conf(root, d, "50-tune.conf", text);
                }
                kv_run(&r, root, "apply", NULL);
                want_status(&r, 0);
                want_value(root, FIN, vals[top]);
                run_result_free(&r);
        }
}

static void test_mask_symlink(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 3, "50-vendor.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 33\n");
        conf(root, 3, "60-other.conf", "[sysctl]\nnet.core.somaxconn = 1024\n");
        /* the link text is compared: <root>/dev/null does not exist, so following
           the link would find nothing (a dangling link is an error) */
        fr_symlink(root, "/dev/null", "etc/kvmtune/conf.d/50-vendor.conf");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "60");
        want_value(root, SOMAXCONN, "1024");
        run_result_free(&r);

        kv_run(&r, root, "cat-config", NULL);
        want_status(&r, 0);
        want_in("cat-config", r.out, "/etc/kvmtune/conf.d/50-vendor.conf: masked");
        want_in("cat-config", r.out,
                        "/usr/lib/kvmtune/conf.d/50-vendor.conf: overridden by /etc/kvmtune/conf.d/50-vendor.conf");
        want_not_in("cat-config", r.out, "= 33");
        want_not_in("cat-config", r.out, root);
        run_result_free(&r);
}

static void test_mask_empty(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 3, "50-vendor.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 33\n");
        conf(root, 1, "50-vendor.conf", "");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "60");
        run_result_free(&r);
        kv_run(&r, root, "cat-config", NULL);
        want_in("cat-config", r.out, "/run/kvmtune/conf.d/50-vendor.conf: masked");
        run_result_free(&r);
}

/* a mask in a lower directory does not hide a file of a higher one */
static void test_mask_lower_has_no_effect(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_symlink(root, "/dev/null", "usr/lib/kvmtune/conf.d/50-a.conf");
        conf(root, 2, "50-b.conf", "");
        conf(root, 0, "50-a.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 11\n");
        conf(root, 1, "50-b.conf", "[sysctl]\nnet.core.somaxconn = 2222\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "11");
        want_value(root, SOMAXCONN, "2222");
        run_result_free(&r);
}

/* files are read by name across directories; the later file wins per setting */
static void test_lexical_order(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 0, "10-local.conf",
             "[sysctl]\nnet.ipv4.tcp_fin_timeout = 11\nnet.core.somaxconn = 1111\nvm.swappiness = 1\n");
        conf(root, 3, "50-vendor.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 55\nvm.swappiness = 55\n");
        conf(root, 1, "99-run.conf", "[sysctl]\nvm.swappiness = 99\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "55");
        want_value(root, SOMAXCONN, "1111");
        want_value(root, SWAPPINESS, "99");
        run_result_free(&r);

        kv_run(&r, root, "cat-config", NULL);
        want_status(&r, 0);
        const char *a = strstr(r.out, "# /etc/kvmtune/conf.d/10-local.conf");
        const char *b = strstr(r.out, "# /usr/lib/kvmtune/conf.d/50-vendor.conf");
        const char *c = strstr(r.out, "# /run/kvmtune/conf.d/99-run.conf");
        if (!a || !b || !c || !(a < b && b < c))
                fail_msg("cat-config order wrong:\n%s", r.out);
        run_result_free(&r);
}

static void test_only_conf_files(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 0, "50-a.conf.bak", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 11\n");
        conf(root, 0, "50-a.cfg", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 12\n");
        conf(root, 0, "README", "not a config\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "60");
        run_result_free(&r);
}

static void test_config_dir(void **state)
{
        const char *root = *state;
        char *d1 = fr_new(), *d2 = fr_new();
        struct run_result r;

        conf(root, 0, "50-ignored.conf", "[sysctl]\nvm.swappiness = 1\n");
        fr_write(d1, "50-x.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 11\n");
        fr_write(d2, "50-x.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 22\n");
        fr_write(d2, "70-y.conf", "[sysctl]\nnet.core.somaxconn = 2222\n");
        fr_write(d1, "90-z.conf", "");
        fr_write(d2, "90-z.conf", "[sysctl]\nnet.core.somaxconn = 3333\n");
        kv_run(&r, root, "--config-dir", d1, "--config-dir", d2, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "11");
        want_value(root, SOMAXCONN, "2222");
        want_value(root, SWAPPINESS, "60");
        run_result_free(&r);

        /* the order of --config-dir is the priority */
        kv_run(&r, root, "--config-dir", d2, "--config-dir", d1, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "22");
        want_value(root, SOMAXCONN, "3333");
        run_result_free(&r);
        fr_free(d1);
        fr_free(d2);
}

static void test_config_files(void **state)
{
        const char *root = *state;
        char *d = fr_new(), *a, *b;
        struct run_result r;

        conf(root, 0, "50-ignored.conf", "[sysctl]\nvm.swappiness = 1\n");
        fr_write(d, "zz.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 11\n");
        fr_write(d, "aa.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 22\nnet.core.somaxconn = 2222\n");
        assert_true(asprintf(&a, "%s/zz.conf", d) > 0);
        assert_true(asprintf(&b, "%s/aa.conf", d) > 0);
        /* in the order given, not by name */
        kv_run(&r, root, "--config", a, "--config", b, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "22");
        want_value(root, SOMAXCONN, "2222");
        want_value(root, SWAPPINESS, "60");
        run_result_free(&r);
        kv_run(&r, root, "--config", b, "--config", a, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "11");
        run_result_free(&r);

        /* a file that does not exist is an error naming it */
        char *missing;
        assert_true(asprintf(&missing, "%s/nope.conf", d) > 0);
        kv_run(&r, root, "--config", missing, "--config", b, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, missing);
        want_value(root, FIN, "22");
        run_result_free(&r);
        free(missing);
        free(a);
        free(b);
        fr_free(d);
}

static void test_non_regular(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *p;

        conf(root, 0, "10-good.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 11\n");
        conf(root, 0, "90-good.conf", "[sysctl]\nnet.core.somaxconn = 9999\n");
        assert_true(asprintf(&p, "%s/etc/kvmtune/conf.d/20-fifo.conf", root) > 0);
        assert_int_equal(mkfifo(p, 0644), 0);
        free(p);
        fr_mkdir(root, "etc/kvmtune/conf.d/30-dir.conf");
        fr_symlink(root, "/nonexistent/x.conf", "etc/kvmtune/conf.d/40-dangling.conf");
        /* a file of the same name lower down must not stand in for the broken one */
        conf(root, 3, "40-dangling.conf", "[sysctl]\nvm.swappiness = 1\n");

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/20-fifo.conf");
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/30-dir.conf");
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/40-dangling.conf");
        want_not_in("stderr", r.err, root);
        want_value(root, FIN, "11");
        want_value(root, SOMAXCONN, "9999");
        want_value(root, SWAPPINESS, "60");
        run_result_free(&r);
}

static char *repeat(char c, size_t n)
{
        char *s = malloc(n + 1);

        memset(s, c, n);
        s[n] = '\0';
        return s;
}

/* every kind of parse error names file:line; the rest still applies */
static void test_parse_errors(void **state)
{
        const char *root = *state;
        struct run_result r;
        char *big = repeat('7', 5000), *huge = repeat('8', 10000);
        char *text;

        fr_write(root, "proc/sys/kernel/core_pattern", "x\n");
        fr_write(root, "proc/sys/kernel/domainname", "(none)\n");
        fr_write(root, "proc/sys/kernel/hostname", "h\n");
        conf(root, 0, "40-outside.conf", "vm.swappiness = 1\n[sysctl]\nkernel.hostname = h40\n");
        assert_true(asprintf(&text,
                             "[sysctl]\n"                                  /* 1 */
                             "net.ipv4.tcp_fin_timeout\n"                  /* 2: no '=' */
                             "[nosuch]\n"                                  /* 3 */
                             "x = 1\n"                                     /* 4: skipped */
                             "[sysctl \"x\"]\n"                            /* 5 */
                             "vm.swappiness = 2\n"                         /* 6: skipped */
                             "[sysctl\n"                                   /* 7 */
                             "vm.swappiness = 3\n"                         /* 8: skipped */
                             "[sysctl]\n"                                  /* 9 */
                             "kernel.domainname = a\x01z\n"                /* 10 */
                             "net.ipv4.tcp_rmem = %s\n"                    /* 11 */
                             "net.ipv4.tcp_rmem = %s\n"                    /* 12 */
                             "net.ipv4.tcp_fin_timeout = 30\n"             /* 13 */
                             "kernel.core_pattern = a;b\n"                 /* 14 */
                             "fs.file-max = 200000 # comment\n"            /* 15 */
                             "net.core.somaxconn = 5120 ; comment\n",       /* 16 */
                             big, huge) > 0);
        conf(root, 0, "50-bad.conf", text);
        free(text);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        static const char *const where[] = {
                "/etc/kvmtune/conf.d/40-outside.conf:1:",
                "/etc/kvmtune/conf.d/50-bad.conf:2:",
                "/etc/kvmtune/conf.d/50-bad.conf:3:",
                "/etc/kvmtune/conf.d/50-bad.conf:5:",
                "/etc/kvmtune/conf.d/50-bad.conf:7:",
                "/etc/kvmtune/conf.d/50-bad.conf:10:",
                "/etc/kvmtune/conf.d/50-bad.conf:11:",
                "/etc/kvmtune/conf.d/50-bad.conf:12:",
        };
        for (size_t i = 0; i < sizeof(where) / sizeof(*where); i++) {
                char *line;
                assert_true(asprintf(&line, "kvmtune: %s", where[i]) > 0);
                want_in("stderr", r.err, line);
                free(line);
        }
        want_in("stderr", r.err, "[nosuch]");
        want_in("stderr", r.err, "sysctl \"x\"");
        /* skipped lines of bad sections add no error of their own */
        want_not_in("stderr", r.err, "50-bad.conf:4:");
        want_not_in("stderr", r.err, "50-bad.conf:6:");
        want_not_in("stderr", r.err, "50-bad.conf:8:");
        want_not_in("stderr", r.err, "50-bad.conf:13:");
        want_not_in("stderr", r.err, "50-bad.conf:14:");
        /* the over-long values are refused whole, not cut */
        want_value(root, "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456");
        want_value(root, "proc/sys/kernel/domainname", "(none)");
        want_value(root, SWAPPINESS, "60");
        /* the good lines are applied; inline comments stripped, a;b kept */
        want_value(root, FIN, "30");
        want_value(root, "proc/sys/kernel/core_pattern", "a;b");
        want_value(root, "proc/sys/fs/file-max", "200000");
        want_value(root, SOMAXCONN, "5120");
        want_value(root, "proc/sys/kernel/hostname", "h40");
        run_result_free(&r);
        free(big);
        free(huge);
}

/* only '=' separates (inih's "key: value" is not ours); header edge cases */
static void test_separator_and_headers(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 0, "50-sep.conf",
             "[sysctl] ; a comment with ] in it\n"    /* 1: fine */
             "vm.swappiness : 12\n"                   /* 2 */
             "net.core:somaxconn = 1234\n"            /* 3 */
             "net.ipv4.tcp_fin_timeout = 33\n"        /* 4: fine */
             "[sysctl]#no space before the mark\n"    /* 5: fine */
             "fs.file-max = 300000\n"                 /* 6: fine */
             "[sysctl] junk\n"                        /* 7 */
             "[sysctl \"x\"\n");                      /* 8 */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/50-sep.conf:2:");
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/50-sep.conf:3:");
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/50-sep.conf:7:");
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/50-sep.conf:8:");
        want_not_in("stderr", r.err, "50-sep.conf:1:");
        want_not_in("stderr", r.err, "50-sep.conf:5:");
        want_value(root, SWAPPINESS, "60");
        want_value(root, SOMAXCONN, "4096");
        want_value(root, FIN, "33");
        want_value(root, "proc/sys/fs/file-max", "300000");
        run_result_free(&r);
}

/*
 * Debian's inih splits lines longer than 199 bytes: the tail of a long
 * comment would become a setting.  Put a setting at every offset around
 * the split point, and into a comment longer than any line buffer.
 */
static void test_long_comment(void **state)
{
        const char *root = *state;
        struct run_result r;
        FILE *m;
        char *text = NULL;
        size_t len = 0;

        m = open_memstream(&text, &len);
        fputs("[sysctl]\n", m);
        for (int pad = 180; pad <= 210; pad++) {
                char *p = repeat('x', (size_t)pad);
                fprintf(m, "# %s\nvm.swappiness = 77 %s\n", p, "");
                fprintf(m, "#%s vm.swappiness = 1\n", p);
                fprintf(m, ";%s[nosuch]\n", p);
                fprintf(m, "    # %s net.core.somaxconn = 1\n", p);
                free(p);
        }
        char *p = repeat('y', 20000);
        fprintf(m, "# %s vm.swappiness = 2\n", p);
        fprintf(m, "#%s\n", p);
        free(p);
        fputs("net.ipv4.tcp_fin_timeout = 33\n", m);
        fclose(m);
        /* the first setting line per pad was a real one: keep one of them */
        conf(root, 0, "50-long.conf", text);
        free(text);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stderr", r.err, "50-long.conf");
        want_value(root, SWAPPINESS, "77");
        want_value(root, SOMAXCONN, "4096");
        want_value(root, FIN, "33");
        run_result_free(&r);
}

/* an indented key is a key of its section, never a continuation line */
static void test_indented(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 0, "50-indent.conf",
             "[sysctl]\n"
             "net.ipv4.tcp_fin_timeout = 33\n"
             "    net.core.somaxconn = 5120\n"
             "\tvm.swappiness = 10\n"
             "  [sysctl]\n"
             "      fs.file-max = 300000\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "33");
        want_value(root, SOMAXCONN, "5120");
        want_value(root, SWAPPINESS, "10");
        want_value(root, "proc/sys/fs/file-max", "300000");
        run_result_free(&r);

        /* and a line of only the continuation-like text is a syntax error */
        conf(root, 0, "60-cont.conf", "[sysctl]\nvm.swappiness = 11\n    more text\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/60-cont.conf:3:");
        want_value(root, SWAPPINESS, "11");
        run_result_free(&r);
}

static void test_exit_codes(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 0, "50-a.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 33\n");
        kv_run(&r, root, "--bogus-option", NULL);
        want_status(&r, 2);
        run_result_free(&r);
        kv_run(&r, root, "frobnicate", NULL);
        want_status(&r, 2);
        run_result_free(&r);
        kv_run(&r, root, "apply", "extra", NULL);
        want_status(&r, 2);
        run_result_free(&r);
        kv_run(&r, root, "--only", "nosuch", "apply", NULL);
        want_status(&r, 2);
        run_result_free(&r);
        kv_run(&r, root, "--only=sysctl,nosuch", "plan", NULL);
        want_status(&r, 2);
        run_result_free(&r);
        kv_run(&r, root, "--root", NULL);      /* missing argument */
        want_status(&r, 2);
        run_result_free(&r);
        /* usage errors change nothing */
        want_value(root, FIN, "60");

        kv_run(&r, root, "--help", NULL);
        want_status(&r, 0);
        want_in("--help", r.out, "Usage");
        run_result_free(&r);
        kv_run(&r, root, "--version", NULL);
        want_status(&r, 0);
        run_result_free(&r);

        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
        kv_run(&r, root, "--only", "sysctl", "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "33");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        kv_run(&r, root, "cat-config", NULL);
        want_status(&r, 0);
        run_result_free(&r);

        conf(root, 0, "60-bad.conf", "[sysctl]\nnonsense\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        run_result_free(&r);
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 1);
        run_result_free(&r);
}

static void test_json(void **state)
{
        const char *root = *state;
        struct run_result r;
        struct jv *doc;
        const struct jv *s;

        conf(root, 0, "50-a.conf",
             "[sysctl]\n"
             "net.ipv4.tcp_fin_timeout = 33\n"
             "net.core.somaxconn = 4096\n"
             "-net.ipv4.tcp_tw_recycle = 1\n"
             "kernel.nosuch = 1\n");
        fr_write(root, "proc/sys/kernel/core_pattern", "x\n");
        conf(root, 0, "60-b.conf", "[sysctl]\nkernel.core_pattern = |\"/x\" \\%p\t%s\n");

        kv_run(&r, root, "--json", "plan", NULL);
        want_status(&r, 1);
        doc = json_parse(r.out);
        if (!doc)
                fail_msg("invalid JSON:\n%s", r.out);
        assert_string_equal(jv_str(doc, "command"), "plan");
        assert_true(jv_num(doc, "errors") >= 1);
        assert_true(jv_num(doc, "changes") == 0);
        s = jv_setting(doc, "net.ipv4.tcp_fin_timeout");
        assert_non_null(s);
        assert_string_equal(jv_str(s, "section"), "sysctl");
        assert_string_equal(jv_str(s, "action"), "set");
        assert_string_equal(jv_str(s, "current"), "60");
        assert_string_equal(jv_str(s, "wanted"), "33");
        assert_string_equal(jv_str(s, "path"), "/proc/sys/net/ipv4/tcp_fin_timeout");
        assert_string_equal(jv_str(s, "file"), "/etc/kvmtune/conf.d/50-a.conf");
        assert_true(jv_num(s, "line") == 2);
        s = jv_setting(doc, "net.core.somaxconn");
        assert_non_null(s);
        assert_string_equal(jv_str(s, "action"), "ok");
        s = jv_setting(doc, "net.ipv4.tcp_tw_recycle");
        assert_non_null(s);
        assert_string_equal(jv_str(s, "action"), "skip");
        s = jv_setting(doc, "kernel.nosuch");
        assert_non_null(s);
        assert_string_equal(jv_str(s, "action"), "error");
        assert_true(jv_num(s, "line") == 5);
        s = jv_setting(doc, "kernel.core_pattern");
        assert_non_null(s);
        assert_string_equal(jv_str(s, "wanted"), "|\"/x\" \\%p\t%s");
        jv_free(doc);
        /* nothing but JSON on stdout; the errors go to stderr */
        want_in("stderr", r.err, "/etc/kvmtune/conf.d/50-a.conf:5:");
        run_result_free(&r);

        kv_run(&r, root, "--json", "apply", NULL);
        want_status(&r, 1);
        doc = json_parse(r.out);
        if (!doc)
                fail_msg("invalid JSON:\n%s", r.out);
        assert_string_equal(jv_str(doc, "command"), "apply");
        assert_true(jv_num(doc, "changes") == 2);
        s = jv_setting(doc, "net.ipv4.tcp_fin_timeout");
        assert_non_null(s);
        assert_true(jv_get(s, "changed") && jv_get(s, "changed")->type == J_BOOL && jv_get(s, "changed")->b);
        jv_free(doc);
        run_result_free(&r);
        want_value(root, FIN, "33");

        kv_run(&r, root, "--json", "apply", NULL);
        doc = json_parse(r.out);
        assert_non_null(doc);
        assert_true(jv_num(doc, "changes") == 0);
        jv_free(doc);
        run_result_free(&r);

        /* a value that is not UTF-8 still gives valid JSON */
        fr_write(root, "proc/sys/kernel/hostname", "h\n");
        conf(root, 0, "70-latin1.conf", "[sysctl]\nkernel.hostname = caf\xe9-h\xc3\xa9\n");
        kv_run(&r, root, "--json", "plan", NULL);
        doc = json_parse(r.out);
        if (!doc)
                fail_msg("invalid JSON:\n%s", r.out);
        s = jv_setting(doc, "kernel.hostname");
        assert_non_null(s);
        assert_non_null(strstr(jv_str(s, "wanted"), "h\xc3\xa9"));
        jv_free(doc);
        run_result_free(&r);

        /* the checker itself rejects broken JSON */
        static const char *const bad[] = { "", "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "\"\x01\"", "{a:1}", "01", "\"\xe9\"" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
                assert_null(json_parse(bad[i]));
}

static void test_cmdline_off(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 kvmtune=0 quiet\n");
        conf(root, 0, "50-a.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 33\nnet.ipv4.conf.*.rp_filter = 1\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stderr", r.err, "kvmtune=0");
        want_not_in("stdout", r.out, "->");
        want_value(root, FIN, "60");
        want_value(root, "proc/sys/net/ipv4/conf/all/rp_filter", "0");
        run_result_free(&r);

        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("plan", r.out, "net.ipv4.tcp_fin_timeout: 60 -> 33");
        run_result_free(&r);
        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        run_result_free(&r);
        want_value(root, FIN, "60");

        /* only the exact word counts */
        fr_write(root, "proc/cmdline", "root=/dev/vda1 kvmtune=01 xkvmtune=0\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_value(root, FIN, "33");
        run_result_free(&r);
}

/* one bad line in one file: every good setting elsewhere is applied */
static void test_partial_failure(void **state)
{
        const char *root = *state;
        struct run_result r;

        conf(root, 3, "10-good.conf", "[sysctl]\nnet.ipv4.tcp_fin_timeout = 33\n");
        conf(root, 0, "20-bad.conf", "[sysctl]\nnet.core.somaxconn = 5120\nthis is not a setting\nvm.swappiness = 10\n");
        conf(root, 1, "30-good.conf", "[sysctl]\nfs.file-max = 300000\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "kvmtune: /etc/kvmtune/conf.d/20-bad.conf:3:");
        want_value(root, FIN, "33");
        want_value(root, SOMAXCONN, "5120");
        want_value(root, SWAPPINESS, "10");
        want_value(root, "proc/sys/fs/file-max", "300000");
        run_result_free(&r);
}

/*
 * Files and search-path directories must be root's and not group/other
 * writable; checked only as root without --root.  Everything here runs
 * `plan` against the live system with keys that do not exist, so nothing
 * is written.
 */
static void test_permissions(void **state)
{
        struct run_result r;
        char *d, *sub, *f;
        const char *harmless = "[sysctl]\n-net.ipv4.kvmtune_test_no_such_key = 1\n";

        (void)state;
        if (geteuid() != 0) {
                print_message("not root: ownership check not tested\n");
                return;
        }
        d = fr_new();
        fr_write(d, "10-ok.conf", harmless);
        fr_write(d, "20-gw.conf", harmless);
        fr_write(d, "30-ow.conf", harmless);
        fr_write(d, "40-user.conf", harmless);
        fr_write(d, "50-ok-link.conf", "");
        assert_true(asprintf(&f, "%s/20-gw.conf", d) > 0);
        assert_int_equal(chmod(f, 0664), 0);
        free(f);
        assert_true(asprintf(&f, "%s/30-ow.conf", d) > 0);
        assert_int_equal(chmod(f, 0646), 0);
        free(f);
        assert_true(asprintf(&f, "%s/40-user.conf", d) > 0);
        assert_int_equal(chown(f, 1000, 1000), 0);
        free(f);

        kv_run(&r, NULL, "--config-dir", d, "plan", NULL);
        want_status(&r, 1);
        assert_true(asprintf(&f, "%s/20-gw.conf", d) > 0);
        want_in("stderr", r.err, f);
        free(f);
        assert_true(asprintf(&f, "%s/30-ow.conf", d) > 0);
        want_in("stderr", r.err, f);
        free(f);
        assert_true(asprintf(&f, "%s/40-user.conf", d) > 0);
        want_in("stderr", r.err, f);
        free(f);
        assert_true(asprintf(&f, "%s/10-ok.conf", d) > 0);
        want_not_in("stderr", r.err, f);
        free(f);
        run_result_free(&r);

        /* --config: only the file itself is checked */
        sub = fr_new();
        fr_write(sub, "x.conf", harmless);
        assert_int_equal(chmod(sub, 0777), 0);
        assert_true(asprintf(&f, "%s/x.conf", sub) > 0);
        kv_run(&r, NULL, "--config", f, "plan", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        assert_int_equal(chmod(f, 0666), 0);
        kv_run(&r, NULL, "--config", f, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, f);
        run_result_free(&r);
        free(f);

        /* a writable search-path directory is refused, naming it */
        kv_run(&r, NULL, "--config-dir", sub, "plan", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, sub);
        run_result_free(&r);

        /* with --root the check is off */
        char *root = fr_new();
        fr_standard(root);
        kv_run(&r, root, "--config-dir", d, "--config-dir", sub, "plan", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        fr_free(root);
        fr_free(sub);
        fr_free(d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_precedence),
                T(test_mask_symlink),
                T(test_mask_empty),
                T(test_mask_lower_has_no_effect),
                T(test_lexical_order),
                T(test_only_conf_files),
                T(test_config_dir),
                T(test_config_files),
                T(test_non_regular),
                T(test_parse_errors),
                T(test_separator_and_headers),
                T(test_long_comment),
                T(test_indented),
                T(test_exit_codes),
                T(test_json),
                T(test_cmdline_off),
                T(test_partial_failure),
                T(test_permissions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
