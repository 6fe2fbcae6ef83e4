/* SPDX-License-Identifier: MIT */
/*
 * An ethtool command line as [netdev] settings, whoever runs it (rc.local,
 * an ifupdown up line, a udev RUN, TuneD's [net]): -G/--set-ring,
 * -L/--set-channels, -K/--features/--offload and -C/--coalesce with the
 * parameters kvmtune has keys for, one to one (ethtool -G eth0 rx 4096 is
 * ring.rx = 4096).  Another option or parameter refuses the whole command,
 * naming it; nothing is stored then.
 */
#include <stdlib.h>
#include <string.h>

#include "../ethtool.h"
#include "import.h"

static const struct option {
        const char *short_opt, *long_opt, *alt_opt, *group;
} options[] = {
        { "-G", "--set-ring", NULL, "ring" },
        { "-L", "--set-channels", NULL, "channels" },
        { "-K", "--features", "--offload", "features" },
        { "-C", "--coalesce", NULL, "coalesce" },
};

const char *imp_ethtool_group(const char *opt)
{
        for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
                if (!strcmp(opt, options[i].short_opt) || !strcmp(opt, options[i].long_opt) ||
                    (options[i].alt_opt && !strcmp(opt, options[i].alt_opt)))
                        return options[i].group;
        return NULL;
}

static bool on_off(const char *v)
{
        return !strcmp(v, "on") || !strcmp(v, "off");
}

static bool feature_name(const char *n)
{
        return ethtool_alias(n) ||
               (*n && strlen(n) < 32 && strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(n));
}

/* "eth0", "en*", "eth0 eth1" (a section's names) */
static bool devs_valid(const char *devs)
{
        char *copy = xstrdup(devs), *save = NULL;
        bool ok = *devs && devs[0] != ' ' && devs[strlen(devs) - 1] != ' ' && !strstr(devs, "  ");

        for (char *w = ok ? strtok_r(copy, " ", &save) : NULL; w && ok; w = strtok_r(NULL, " ", &save))
                ok = imp_devname_valid(w, 15) || imp_devglob_valid(w, 15);
        free(copy);
        return ok;
}

int imp_ethtool(struct imp *im, const char *opt, const char *dev, char *const *args, size_t n,
                const struct imp_src *src)
{
        const char *group = imp_ethtool_group(opt);
        bool boolean;

        if (!group)
                return imp_why(im, "ethtool %s has no kvmtune form (only -G, -L, -K and -C are carried)", opt);
        if (!devs_valid(dev))
                return imp_why(im, "'%s' is not an interface name", dev);
        if (!n || n % 2)
                return imp_why(im, "ethtool %s %s: parameters come in NAME VALUE pairs", opt, dev);
        for (size_t i = 0; i < n; i += 2) {
                const char *name = args[i], *v = args[i + 1];
                uint64_t num;

                if (!strcmp(group, "features")) {
                        if (!feature_name(name))
                                return imp_why(im, "'%s' is not an offload feature's name", name);
                        if (!on_off(v))
                                return imp_why(im, "ethtool %s %s %s: '%s' is not on or off", opt, dev, name, v);
                } else if (!ethtool_field_known(group, name, &boolean)) {
                        return imp_why(im, "ethtool %s %s has no kvmtune form", opt, name);
                } else if (boolean ? !on_off(v) : parse_u64(v, &num) < 0 || num > UINT32_MAX) {
                        return imp_why(im, "ethtool %s %s %s: '%s' is not %s", opt, dev, name, v,
                                       boolean ? "on or off" : "a number");
                }
        }
        for (size_t i = 0; i < n; i += 2) {
                const struct ethtool_alias *alias = ethtool_alias(args[i]);
                char *key = xasprintf("%s.%s", group, args[i]);
                /* gro, generic-receive-offload and rx-gro are one setting: the later one wins */
                char *id = alias && !strcmp(group, "features") ? xasprintf("features.%s", alias->long_name) : NULL;

                imp_put(im, IS_NETDEV, dev, key, id, args[i + 1], src);
                free(id);
                free(key);
        }
        return 1;
}
