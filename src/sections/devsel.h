/* SPDX-License-Identifier: MIT */
/*
 * Device sections shared by [block "GLOB ..."] and [netdev "GLOB ..."]:
 * subsection checks, one entry per section header, and the per device and
 * key merge in which the later section wins.
 */
#pragma once
#include "../kvmtune.h"

struct dev_kv {
        char *key;
        char *value;
        struct origin at;
};

struct dev_section {
        char *sub;
        char **globs;
        size_t n_globs;
        int rotational;         /* match-rotational: -1 any, else 0 or 1 */
        struct dev_kv *kv;
        size_t n_kv;
};

struct dev_sections {
        struct dev_section *s;
        size_t n;
        bool header_seen;       /* check_sub saw a header: the next key opens a new entry */
        const char *last_file;
};

/* what one device gets for one key after the merge */
struct dev_match {
        const struct dev_kv *kv;
        bool literal;           /* the winning section names the device without a glob */
};

bool devsel_is_glob(const char *name);
/* validate the names of a subsection; max_len 0: no limit */
int devsel_check_sub(struct kvmtune *k, const char *section, const char *sub,
                     struct origin at, size_t max_len);
void devsel_header(struct dev_sections *ds);
/* the section the key at `at` belongs to */
struct dev_section *devsel_current(struct dev_sections *ds, const char *sub, struct origin at);
void devsel_set(struct dev_section *sec, const char *key, const char *value, struct origin at);
/*
 * The keys for one device, merged over all sections in order (later wins);
 * rotational is the device's queue/rotational (ignored when -1).  keys[]
 * lists the keys to look for, out[] gets one entry per key (kv NULL: unset).
 */
/* does a section name dev, literally or by a glob (match-rotational aside)? */
bool devsel_names(const struct dev_sections *ds, const char *dev);
void devsel_merge(const struct dev_sections *ds, const char *dev, int rotational,
                  const char *const *keys, size_t n_keys, struct dev_match *out);
/* device names to consider: every entry of dir, or only `device` */
char **devsel_devices(struct kvmtune *k, const char *dir, size_t *n);
void devsel_free_list(char **list, size_t n);
/* plan one plain file of a device; NULL when a glob matched a device without it */
struct setting *devsel_plan_file(struct kvmtune *k, int section, const char *dev, const char *key,
                                 const char *rel, const struct dev_match *m, const char *stored);
/* literal names of all sections that are not among the devices (for -v) */
void devsel_report_absent(struct kvmtune *k, const struct dev_sections *ds, const char *what,
                          char **devs, size_t n_devs);
void devsel_free(struct dev_sections *ds);
