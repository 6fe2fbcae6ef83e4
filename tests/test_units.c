/* SPDX-License-Identifier: MIT */
/* units.c and small helpers: strict parsers, field comparison, key validation. */
#include "helpers.h"

#include <errno.h>
#include <stdlib.h>

#include "kvmtune.h"

static void test_size(void **state)
{
        uint64_t v;

        (void)state;
        assert_int_equal(parse_size("4096", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size("2M", &v), 0);
        assert_int_equal(v, 2u << 20);
        assert_int_equal(parse_size("2048kB", &v), 0);
        assert_int_equal(v, 2u << 20);
        assert_int_equal(parse_size("1g", &v), 0);
        assert_int_equal(v, 1u << 30);
        assert_int_equal(parse_size("1GiB", &v), 0);
        assert_int_equal(v, 1u << 30);
        assert_int_equal(parse_size("2T", &v), 0);
        assert_int_equal(v, 2ull << 40);
        assert_int_equal(parse_size("", &v), -EINVAL);
        assert_int_equal(parse_size("-1", &v), -EINVAL);
        assert_int_equal(parse_size("1X", &v), -EINVAL);
        assert_int_equal(parse_size("1MBB", &v), -EINVAL);
        assert_int_equal(parse_size(" 1M", &v), -EINVAL);
        assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
}

static void test_percent(void **state)
{
        uint64_t v;

        (void)state;
        assert_int_equal(parse_size_or_percent("10%", 1000, &v), 0);
        assert_int_equal(v, 100);
        assert_int_equal(parse_size_or_percent("100%", 1000, &v), 0);
        assert_int_equal(v, 1000);
        assert_int_equal(parse_size_or_percent("101%", 1000, &v), -EINVAL);
        assert_int_equal(parse_size_or_percent("%", 1000, &v), -EINVAL);
        assert_int_equal(parse_size_or_percent("512M", 1000, &v), 0);
        assert_int_equal(v, 512u << 20);
}

static void test_bool(void **state)
{
        bool b;

        (void)state;
        for (const char *const *s = (const char *const[]){ "yes", "true", "on", "1", NULL }; *s; s++) {
                assert_int_equal(parse_bool(*s, &b), 0);
                assert_true(b);
        }
        for (const char *const *s = (const char *const[]){ "no", "false", "off", "0", NULL }; *s; s++) {
                assert_int_equal(parse_bool(*s, &b), 0);
                assert_false(b);
        }
        assert_int_equal(parse_bool("maybe", &b), -EINVAL);
        assert_int_equal(parse_bool("", &b), -EINVAL);
}

static void test_u64(void **state)
{
        uint64_t v;

        (void)state;
        assert_int_equal(parse_u64("0", &v), 0);
        assert_int_equal(parse_u64("18446744073709551615", &v), 0);
        assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_u64("12a", &v), -EINVAL);
        assert_int_equal(parse_u64("+1", &v), -EINVAL);
}

static void test_fields(void **state)
{
        (void)state;
        assert_true(fields_equal("4096\t87380\t6291456", "4096 87380 6291456"));
        assert_true(fields_equal("  1  ", "1"));
        assert_false(fields_equal("4096 87380", "4096 87380 6291456"));
        assert_false(fields_equal("10", "1"));
        assert_false(fields_equal("1", "10"));
        assert_false(fields_equal("", "0"));
}

static void test_keys(void **state)
{
        static const char *const bad[] = {
                "net/../../etc/x", "a..b", "net.ipv4.*/../x", "", ".net", "net.", "net//x",
                "net.ipv4.tcp fin", "net.ipv4.tcp_fin_timeout\x01", "/net/ipv4", "net.ipv4.tab\tx",
                "net.ipv4.conf.\xc3\xa9th0.rp_filter", "net.ipv4.x\x7f",
                /* what a key = value line could not carry (a fuzz finding of import) */
                "net.core.:omaxconn", "net.a=b", "[nv]et.core.somaxconn", "#net.x", ";net.x", NULL,
        };
        char *p;

        (void)state;
        for (const char *const *k = bad; *k; k++) {
                p = sysctl_key_to_path(*k);
                if (p)
                        fail_msg("key '%s' accepted as '%s'", *k, p);
        }
        p = sysctl_key_to_path("net.ipv4.conf.eth0/100.rp_filter");
        assert_string_equal(p, "net/ipv4/conf/eth0.100/rp_filter");
        free(p);
        p = sysctl_key_to_path("net/ipv4/conf/eth0.100/rp_filter");
        assert_string_equal(p, "net/ipv4/conf/eth0.100/rp_filter");
        free(p);
        p = sysctl_key_to_path("net.ipv4.conf.*.rp_filter");
        assert_string_equal(p, "net/ipv4/conf/*/rp_filter");
        free(p);
        /* what interface names may hold (the kernel refuses only '/', ':' and whitespace), and globs */
        p = sysctl_key_to_path("net.ipv4.conf.x+1.rp_filter");
        assert_string_equal(p, "net/ipv4/conf/x+1/rp_filter");
        free(p);
        p = sysctl_key_to_path("net.ipv4.conf.a@b$c.rp_filter");
        assert_string_equal(p, "net/ipv4/conf/a@b$c/rp_filter");
        free(p);
        p = sysctl_key_to_path("net.ipv6.conf.v?.disable_ipv6");
        assert_string_equal(p, "net/ipv6/conf/v?/disable_ipv6");
        free(p);
        p = sysctl_key_to_path("net.ipv4.conf.[!l]*.rp_filter");
        assert_string_equal(p, "net/ipv4/conf/[!l]*/rp_filter");
        free(p);
}

static void test_bracket(void **state)
{
        char *w;

        (void)state;
        w = bracketed_word("always [madvise] never");
        assert_string_equal(w, "madvise");
        free(w);
        w = bracketed_word("mq-deadline");
        assert_string_equal(w, "mq-deadline");
        free(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_size),    cmocka_unit_test(test_percent),
                cmocka_unit_test(test_bool),    cmocka_unit_test(test_u64),
                cmocka_unit_test(test_fields),  cmocka_unit_test(test_keys),
                cmocka_unit_test(test_bracket),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
