/* SPDX-License-Identifier: MIT */
/* [cpu] GOVERNOR.TUNABLE, a cpufreq governor's tunables: for cpu.c. */
#pragma once
#include "devsel.h"

/* their apply order in [cpu]: with the governor key, after it (planned later) */
#define CPUGOV_ORDER 3

/* the key names a governor kvmtune knows the tunables of ("ondemand.") */
bool cpugov_is_key(const char *key);
/* the value as written (malloc'd), NULL after an error told at `at` */
char *cpugov_parse(struct kvmtune *k, const char *key, const char *value, struct origin at);
/* plain [cpu]'s tunables, after cpu.c planned the governors (its settings from `first`) */
void cpugov_plan(struct kvmtune *k, const struct dev_sections *ds, const unsigned *cpus, size_t n_cpus, size_t first);
