/* SPDX-License-Identifier: MIT */
/* One strict parser each for sizes, booleans and integers. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvmtune.h"

int parse_u64(const char *s, uint64_t *v)
{
        char *end;
        unsigned long long n;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *v = n;
        return 0;
}

/* "2M", "1G", "2048kB", "512MiB", "4096": powers of 1024, a bare number is bytes */
int parse_size(const char *s, uint64_t *bytes)
{
        static const char units[] = "kmgt";
        char *end;
        unsigned long long n;
        uint64_t mult = 1;
        const char *u;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end) {
                u = strchr(units, tolower((unsigned char)*end));
                if (!u)
                        return -EINVAL;
                for (size_t i = 0; i <= (size_t)(u - units); i++)
                        mult *= 1024;
                end++;
                if (strcasecmp(end, "") && strcasecmp(end, "b") && strcasecmp(end, "ib"))
                        return -EINVAL;
        }
        if (n > UINT64_MAX / mult)
                return -ERANGE;
        *bytes = n * mult;
        return 0;
}

/* "25%" of total, or a size */
int parse_size_or_percent(const char *s, uint64_t total, uint64_t *bytes)
{
        size_t len = s ? strlen(s) : 0;
        uint64_t pct;
        char num[32];

        if (len > 1 && s[len - 1] == '%') {
                if (len - 1 >= sizeof(num))
                        return -EINVAL;
                memcpy(num, s, len - 1);
                num[len - 1] = '\0';
                if (parse_u64(num, &pct) < 0 || pct > 100)
                        return -EINVAL;
                *bytes = total / 100 * pct + total % 100 * pct / 100;
                return 0;
        }
        return parse_size(s, bytes);
}

int parse_bool(const char *s, bool *b)
{
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < 4; i++) {
                if (!strcmp(s, yes[i])) {
                        *b = true;
                        return 0;
                }
                if (!strcmp(s, no[i])) {
                        *b = false;
                        return 0;
                }
        }
        return -EINVAL;
}

char *format_size(uint64_t bytes, char *buf, size_t size)
{
        static const char suffix[] = "kMGT";
        int i = -1;

        while (i < 3 && bytes >= 1024 && bytes % 1024 == 0) {
                bytes /= 1024;
                i++;
        }
        if (i < 0)
                snprintf(buf, size, "%llu", (unsigned long long)bytes);
        else
                snprintf(buf, size, "%llu%c", (unsigned long long)bytes, suffix[i]);
        return buf;
}
