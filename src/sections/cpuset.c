/* SPDX-License-Identifier: MIT */
/* CPU sets as the kernel writes them: lists ("0-3,8") and hex masks ("ff,ffffffff"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"
#include "cpuset.h"

#define WORDS (CPUSET_MAX / 64)

void cpuset_add(struct cpuset *s, unsigned cpu)
{
        if (cpu < CPUSET_MAX)
                s->w[cpu / 64] |= 1ull << (cpu % 64);
}

bool cpuset_has(const struct cpuset *s, unsigned cpu)
{
        return cpu < CPUSET_MAX && (s->w[cpu / 64] >> (cpu % 64)) & 1;
}

bool cpuset_empty(const struct cpuset *s)
{
        for (size_t i = 0; i < WORDS; i++)
                if (s->w[i])
                        return false;
        return true;
}

bool cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
        return !memcmp(a->w, b->w, sizeof(a->w));
}

bool cpuset_subset(const struct cpuset *a, const struct cpuset *of)
{
        for (size_t i = 0; i < WORDS; i++)
                if (a->w[i] & ~of->w[i])
                        return false;
        return true;
}

int cpuset_parse_cpu(const char *p, const char **end, unsigned *cpu)
{
        unsigned long v = 0;
        const char *q = p;

        if (*q < '0' || *q > '9')
                return -EINVAL;
        while (*q >= '0' && *q <= '9') {
                v = v * 10 + (unsigned long)(*q++ - '0');
                if (v >= CPUSET_MAX)
                        return -ERANGE;
        }
        *end = q;
        *cpu = (unsigned)v;
        return 0;
}

static bool rest_blank(const char *p)
{
        return p[strspn(p, " \t\n")] == '\0';
}

int cpuset_parse_list(const char *s, struct cpuset *set)
{
        const char *p = s;

        memset(set, 0, sizeof(*set));
        if (!*p || rest_blank(p))
                return -EINVAL;
        for (;;) {
                unsigned a, b;
                int r = cpuset_parse_cpu(p, &p, &a);

                if (r < 0)
                        return r;
                b = a;
                if (*p == '-') {
                        r = cpuset_parse_cpu(p + 1, &p, &b);
                        if (r < 0)
                                return r;
                        if (b < a)
                                return -EINVAL;
                }
                for (unsigned c = a; c <= b; c++)
                        cpuset_add(set, c);
                if (rest_blank(p))
                        return 0;
                if (*p++ != ',')
                        return -EINVAL;
        }
}

int cpuset_parse_mask(const char *s, struct cpuset *set)
{
        size_t n = strcspn(s, " \t\n");
        unsigned bit = 0;

        memset(set, 0, sizeof(*set));
        if (!n || !rest_blank(s + n))
                return -EINVAL;
        for (size_t i = n; i-- > 0;) {
                char c = s[i];
                unsigned v;

                if (c == ',')
                        continue;
                if (c >= '0' && c <= '9')
                        v = (unsigned)(c - '0');
                else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                        v = (unsigned)((c | 0x20) - 'a' + 10);
                else
                        return -EINVAL;
                for (unsigned b = 0; b < 4; b++, bit++)
                        if (v >> b & 1) {
                                if (bit >= CPUSET_MAX)
                                        return -ERANGE;
                                cpuset_add(set, bit);
                        }
        }
        return 0;
}

char *cpuset_list(const struct cpuset *set)
{
        char *out = xstrdup("");

        for (unsigned c = 0; c < CPUSET_MAX; c++) {
                unsigned e = c;
                char *n;

                if (!cpuset_has(set, c))
                        continue;
                while (e + 1 < CPUSET_MAX && cpuset_has(set, e + 1))
                        e++;
                n = e == c ? xasprintf("%s%s%u", out, *out ? "," : "", c)
                           : xasprintf("%s%s%u-%u", out, *out ? "," : "", c, e);
                free(out);
                out = n;
                c = e;
        }
        return out;
}

char *cpuset_mask(const struct cpuset *set)
{
        char *out = NULL;
        int top = -1;

        for (int g = CPUSET_MAX / 32 - 1; g >= 0 && top < 0; g--)
                if ((uint32_t)(set->w[g / 2] >> (g % 2 * 32)))
                        top = g;
        if (top < 0)
                return xstrdup("0");
        for (int g = top; g >= 0; g--) {
                uint32_t v = (uint32_t)(set->w[g / 2] >> (g % 2 * 32));
                char *n = out ? xasprintf("%s,%08x", out, v) : xasprintf("%x", v);

                free(out);
                out = n;
        }
        return out;
}
