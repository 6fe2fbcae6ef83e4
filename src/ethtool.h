/* SPDX-License-Identifier: MIT */
/*
 * ethtool.c: ring sizes, channels, interrupt coalescing and offload
 * features of a network interface, each named by a path of its own (the
 * revert record keys on it):
 *
 *     ethtool/DEV/ring/{rx,rx-mini,rx-jumbo,tx}
 *     ethtool/DEV/channels/{rx,tx,other,combined}
 *     ethtool/DEV/coalesce/{rx-usecs,rx-frames,tx-usecs,tx-frames,adaptive-rx,adaptive-tx}
 *     ethtool/DEV/features/NAME      (NAME as the kernel names it: rx-gro)
 *
 * Values are numbers, and "on"/"off" for features and adaptive-rx/tx.
 */
#pragma once
#include "kvmtune.h"

struct ethtool_state {
        char text[16];          /* "256", "on", "off" */
        uint32_t max;           /* ring and channels: the device's maximum */
        bool has_max;
        bool fixed;             /* features: the device cannot change it */
};

/* one offload feature of a device */
struct ethtool_feature {
        char name[32];          /* ETH_GSTRING_LEN */
        bool active;
        bool fixed;
};

/* ethtool's own names of features ("generic-receive-offload", short "gro") */
struct ethtool_alias {
        const char *short_name;
        const char *long_name;
        const char *pattern;    /* the kernel features it stands for (fnmatch) */
};

bool ethtool_is_path(const char *path);
/* is field one of group's ("ring", "channels", "coalesce")?  *boolean: on/off values */
bool ethtool_field_known(const char *group, const char *field, bool *boolean);
/* by its short or long name, or the one kernel feature it stands for */
const struct ethtool_alias *ethtool_alias(const char *name);
int ethtool_get(struct kvmtune *k, const char *path, struct ethtool_state *v);
int ethtool_set(struct kvmtune *k, const char *path, const char *value);
/* the value as text (malloc'd), for revert */
int ethtool_read(struct kvmtune *k, const char *path, char **out);
/* every offload feature of dev with its state (malloc'd array) */
int ethtool_features(struct kvmtune *k, const char *dev, struct ethtool_feature **out, size_t *n);
