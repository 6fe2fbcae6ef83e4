/* SPDX-License-Identifier: MIT */
/* CPU sets as the kernel writes them: lists ("0-3,8") and hex masks ("ff,ffffffff"). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define CPUSET_MAX 8192                 /* the kernel's largest NR_CPUS */

struct cpuset {
        uint64_t w[CPUSET_MAX / 64];
};

void cpuset_add(struct cpuset *s, unsigned cpu);
bool cpuset_has(const struct cpuset *s, unsigned cpu);
bool cpuset_empty(const struct cpuset *s);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);
bool cpuset_subset(const struct cpuset *a, const struct cpuset *of);
/* a CPU number's digits at p, *end after them: -EINVAL when none, -ERANGE from CPUSET_MAX */
int cpuset_parse_cpu(const char *p, const char **end, unsigned *cpu);
/* -EINVAL when malformed, -ERANGE past CPUSET_MAX; trailing blanks allowed */
int cpuset_parse_list(const char *s, struct cpuset *set);
int cpuset_parse_mask(const char *s, struct cpuset *set);
char *cpuset_list(const struct cpuset *s);      /* "0-3,8" ("" when empty), malloc'd */
char *cpuset_mask(const struct cpuset *s);      /* "ff,0000000f" ("0" when empty), malloc'd */
