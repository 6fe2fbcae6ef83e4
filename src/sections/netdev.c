/* SPDX-License-Identifier: MIT */
/*
 * [netdev "GLOB ..."]: settings of matching network interfaces.
 * txqueuelen through /sys/class/net/DEV/tx_queue_len (which follows the
 * network namespace that /sys was mounted in); ring.*, channels.*,
 * coalesce.* and features.* through the ethtool ioctl (ethtool.c), each
 * field a setting of its own, with the path ethtool/DEV/GROUP/FIELD.  An
 * interface that does not exist yet is not an error: udev runs kvmtune
 * --device when it appears.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "../ethtool.h"
#include "../kvmtune.h"
#include "devsel.h"

#define IFNAME_MAX 15   /* IFNAMSIZ - 1 */
#define FEATURE_NAME_MAX 31     /* ETH_GSTRING_LEN - 1 */

static const char *const keys[] = { "txqueuelen" };
/* the order of apply for one interface: queues first, then their rings */
static const char *const groups[] = { "channels", "ring", "features", "coalesce" };

static struct dev_sections *state(struct kvmtune *k)
{
        if (!k->state[SEC_NETDEV])
                k->state[SEC_NETDEV] = xcalloc(1, sizeof(struct dev_sections));
        return k->state[SEC_NETDEV];
}

static int netdev_check_sub(struct kvmtune *k, const char *sub, struct origin at)
{
        int r = devsel_check_sub(k, "netdev", sub, at, IFNAME_MAX);

        devsel_header(state(k));
        return r;
}

/* ring.rx = 4096 | max | >= N | <= N; coalesce.rx-usecs = N; coalesce.adaptive-rx = on */
static int parse_field(struct kvmtune *k, const char *key, const char *group, const char *field,
                       const char *value, struct origin at, char *buf, size_t size)
{
        bool boolean = false, b;
        enum bound bound;
        const char *num = value_bound(value, &bound);
        bool sized = strcmp(group, "coalesce") != 0;
        uint64_t v;

        if (!ethtool_field_known(group, field, &boolean)) {
                log_error(k, &at, "unknown key '%s' in [netdev]", key);
                return -EINVAL;
        }
        if (boolean) {
                if (parse_bool(value, &b) < 0) {
                        log_error(k, &at, "netdev %s: expected on or off, not '%s'", key, value);
                        return -EINVAL;
                }
                snprintf(buf, size, "%s", b ? "on" : "off");
        } else if (sized && !strcmp(value, "max")) {
                snprintf(buf, size, "max");
        } else if ((bound && !sized) || parse_u64(num, &v) < 0 || v > UINT32_MAX) {
                log_error(k, &at, "netdev %s: expected a number%s, not '%s'", key,
                          sized ? ", max, '>= N' or '<= N'" : "", value);
                return -EINVAL;
        } else {
                snprintf(buf, size, "%s%llu", bound_prefix(bound), (unsigned long long)v);
        }
        return 0;
}

/* features.NAME = on|off: NAME as ethtool -k shows it, its short alias, or the kernel's name */
static int parse_feature(struct kvmtune *k, const char *key, const char *name, const char *value,
                         struct origin at, char **canonical, char *buf, size_t size)
{
        const struct ethtool_alias *alias = ethtool_alias(name);
        bool b;

        if (!alias && (!*name || strlen(name) > FEATURE_NAME_MAX ||
                       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(name))) {
                log_error(k, &at, "netdev %s: '%s' is not an offload feature's name", key, name);
                return -EINVAL;
        }
        if (parse_bool(value, &b) < 0) {
                log_error(k, &at, "netdev %s: expected on or off, not '%s'", key, value);
                return -EINVAL;
        }
        snprintf(buf, size, "%s", b ? "on" : "off");
        /* one key per feature however it is named: later sections win over earlier ones */
        *canonical = xasprintf("features.%s", alias ? alias->long_name : name);
        return 0;
}

static int netdev_parse(struct kvmtune *k, const char *sub, const char *key,
                        const char *value, struct origin at)
{
        struct dev_section *sec = devsel_current(state(k), sub, at);
        const char *dot = strchr(key, '.');
        char buf[32], group[16], *canonical = NULL;
        uint64_t v;
        int r;

        if (dot && (size_t)(dot - key) < sizeof(group)) {
                memcpy(group, key, (size_t)(dot - key));
                group[dot - key] = '\0';
                if (!strcmp(group, "features"))
                        r = parse_feature(k, key, dot + 1, value, at, &canonical, buf, sizeof(buf));
                else
                        r = parse_field(k, key, group, dot + 1, value, at, buf, sizeof(buf));
                if (r == 0)
                        devsel_set(sec, canonical ? canonical : key, buf, at);
                free(canonical);
                return r;
        }
        if (strcmp(key, "txqueuelen")) {
                log_error(k, &at, "unknown key '%s' in [netdev]", key);
                return -EINVAL;
        }
        enum bound bound;
        const char *num = value_bound(value, &bound);

        if (parse_u64(num, &v) < 0 || v > UINT32_MAX) {
                log_error(k, &at, "netdev txqueuelen: expected a number, not '%s'", value);
                return -EINVAL;
        }
        snprintf(buf, sizeof(buf), "%s%llu", bound_prefix(bound), (unsigned long long)v);
        devsel_set(sec, key, buf, at);
        return 0;
}

static int knob_read(struct kvmtune *k, const struct setting *s, char buf[KVMTUNE_VALUE_BUF])
{
        struct ethtool_state v;
        int r = ethtool_get(k, s->path, &v);

        if (r == 0)
                snprintf(buf, KVMTUNE_VALUE_BUF, "%s", v.text);
        return r;
}

/* the interface of an ethtool path, for messages */
static const char *path_dev(const char *path, char *buf, size_t size)
{
        const char *d = path + strlen("ethtool/");

        snprintf(buf, size, "%.*s", (int)strcspn(d, "/"), d);
        return buf;
}

static int knob_write(struct kvmtune *k, struct setting *s)
{
        int r = ethtool_set(k, s->path, s->want);
        char dev[32];

        if (r == -EOPNOTSUPP)
                setting_fail(k, s, "cannot set '%s': the driver of %s does not support it (EOPNOTSUPP)",
                             s->want, path_dev(s->path, dev, sizeof(dev)));
        else if (r < 0)
                setting_fail(k, s, "cannot set '%s': %s refused it: %s", s->want,
                             path_dev(s->path, dev, sizeof(dev)), strerror(-r));
        return r;
}

static const struct knob_ops ethtool_knob = { .read = knob_read, .write = knob_write };

/* why an ethtool group of dev cannot be read */
static void fail_read(struct kvmtune *k, struct setting *s, const char *dev, const char *group, int r)
{
        if (r == -EOPNOTSUPP)
                setting_fail(k, s, "the driver of %s has no ethtool %s settings (EOPNOTSUPP)", dev, group);
        else
                setting_fail(k, s, "cannot read the ethtool %s settings of %s: %s", group, dev, strerror(-r));
}

static struct setting *add_field(struct kvmtune *k, const char *dev, const char *key, const char *path,
                                 const char *want, struct origin at)
{
        char *name = xasprintf("%s %s", dev, key);
        struct setting *s = setting_add(k, SEC_NETDEV, name, path, want, at);

        free(name);
        set_more(s)->knob = &ethtool_knob;
        return s;
}

/* ring.*, channels.*, coalesce.*: one field */
static void plan_field(struct kvmtune *k, const char *dev, const char *key, const struct dev_match *m)
{
        const char *dot = strchr(key, '.');
        char *path = xasprintf("ethtool/%s/%.*s/%s", dev, (int)(dot - key), key, dot + 1);
        char group[16], maxbuf[16];
        const char *want = m->kv->value;
        struct ethtool_state v;
        struct setting *s;
        int r = ethtool_get(k, path, &v);

        snprintf(group, sizeof(group), "%.*s", (int)(dot - key), key);
        if (r == -EOPNOTSUPP && !m->literal) {
                log_debug(k, "netdev %s: no ethtool %s settings", dev, group);
                free(path);
                return;
        }
        if (r == 0 && !strcmp(want, "max")) {
                snprintf(maxbuf, sizeof(maxbuf), "%u", v.max);
                want = maxbuf;
        }
        s = add_field(k, dev, key, path, want, m->kv->at);
        free(path);
        if (r == 0)
                r = setting_read(k, s);
        if (r < 0) {
                fail_read(k, s, dev, group, r);
                return;
        }
        s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        if (s->action == ACT_SET && v.has_max && strtoull(s->want, NULL, 10) > v.max)
                setting_fail(k, s, "%s is above the maximum of %s, %u", s->want, dev, v.max);
}

/* features.NAME: the kernel features it stands for, each a setting */
static void plan_feature(struct kvmtune *k, const char *dev, const char *key, const struct dev_match *m,
                         const char *const *all, const struct dev_match *all_m, size_t n_all,
                         struct ethtool_feature *ft, size_t n_ft, int ft_err)
{
        const char *name = key + strlen("features.");
        const struct ethtool_alias *alias = ethtool_alias(name);
        const char *pattern = alias ? alias->pattern : name;
        bool several = strchr(pattern, '*') != NULL;
        size_t n_match = 0, n_changeable = 0;
        struct setting *s;

        if (ft_err < 0) {
                if (ft_err != -EOPNOTSUPP || m->literal) {
                        char *path = xasprintf("ethtool/%s/features/%s", dev, pattern);
                        fail_read(k, add_field(k, dev, key, path, m->kv->value, m->kv->at), dev, "features", ft_err);
                        free(path);
                }
                return;
        }
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n_ft; i++) {
                        bool own = false;

                        if (fnmatch(pattern, ft[i].name, 0))
                                continue;
                        /* a feature of a group that is set by its own name too: that key decides */
                        for (size_t j = 0; several && j < n_all && !own; j++)
                                own = all_m[j].kv && !strncmp(all[j], "features.", 9) && !strcmp(all[j] + 9, ft[i].name);
                        if (own)
                                continue;
                        if (pass == 0) {
                                n_match++;
                                n_changeable += !ft[i].fixed;
                                continue;
                        }
                        char *path = xasprintf("ethtool/%s/features/%s", dev, ft[i].name);
                        char *shown = several ? xasprintf("%s (%s)", key, ft[i].name) : xstrdup(key);
                        s = add_field(k, dev, shown, path, m->kv->value, m->kv->at);
                        free(shown);
                        free(path);
                        int r = setting_read(k, s);
                        if (r < 0)
                                fail_read(k, s, dev, "features", r);
                        else if (setting_equal(s, s->cur))
                                s->action = ACT_OK;
                        else if (!ft[i].fixed)
                                s->action = ACT_SET;
                        else if (n_changeable)
                                setting_skip(s, "fixed: %s cannot change it", dev);
                        else
                                setting_fail(k, s, "fixed: %s cannot change it", dev);
                }
        if (n_match)
                return;
        if (!m->literal) {
                log_debug(k, "netdev %s: no feature %s", dev, name);
                return;
        }
        char *path = xasprintf("ethtool/%s/features/%s", dev, pattern);
        s = add_field(k, dev, key, path, m->kv->value, m->kv->at);
        setting_fail(k, s, "%s has no offload feature %s", dev, pattern);
        free(path);
}

/* the ethtool keys set in any section, in the order of groups[] */
static const char **ethtool_keys(const struct dev_sections *ds, size_t *n)
{
        const char **out = NULL;

        *n = 0;
        for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
                size_t len = strlen(groups[g]);

                for (size_t i = 0; i < ds->n; i++)
                        for (size_t j = 0; j < ds->s[i].n_kv; j++) {
                                const char *key = ds->s[i].kv[j].key;
                                bool seen = false;

                                if (strncmp(key, groups[g], len) || key[len] != '.')
                                        continue;
                                for (size_t x = 0; x < *n && !seen; x++)
                                        seen = !strcmp(out[x], key);
                                if (seen)
                                        continue;
                                out = xrealloc_array(out, *n + 1, sizeof(*out));
                                out[(*n)++] = key;
                        }
        }
        return out;
}

static void plan_ethtool(struct kvmtune *k, const struct dev_sections *ds, const char *dev,
                         const char *const *all, size_t n_all)
{
        struct dev_match *m = xcalloc(n_all ? n_all : 1, sizeof(*m));
        struct ethtool_feature *ft = NULL;
        size_t n_ft = 0;
        int ft_err = 1;         /* 1: not read yet */

        devsel_merge(ds, dev, -1, all, n_all, m);
        for (size_t i = 0; i < n_all; i++) {
                if (!m[i].kv)
                        continue;
                if (strncmp(all[i], "features.", 9)) {
                        plan_field(k, dev, all[i], &m[i]);
                        continue;
                }
                if (ft_err == 1)
                        ft_err = ethtool_features(k, dev, &ft, &n_ft);
                plan_feature(k, dev, all[i], &m[i], all, m, n_all, ft, n_ft, ft_err);
        }
        free(ft);
        free(m);
}

static int netdev_plan(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_NETDEV];
        const char **all;
        char **devs;
        size_t n, n_all;

        if (!ds || !ds->n)
                return 0;
        devs = devsel_devices(k, "sys/class/net", &n);
        all = ethtool_keys(ds, &n_all);
        for (size_t i = 0; i < n; i++) {
                struct dev_match m;
                char *rel;

                if (n_all)
                        plan_ethtool(k, ds, devs[i], all, n_all);
                devsel_merge(ds, devs[i], -1, keys, 1, &m);
                if (!m.kv)
                        continue;
                /* the kernel keeps an unsigned int and shows it with %d: above 2^31-1 it reads negative */
                enum bound bound;
                unsigned long long v = strtoull(value_bound(m.kv->value, &bound), NULL, 10);
                char stored[24];

                snprintf(stored, sizeof(stored), "%lld", v > INT32_MAX ? (long long)v - (1LL << 32) : (long long)v);
                rel = xasprintf("sys/class/net/%s/tx_queue_len", devs[i]);
                devsel_plan_file(k, SEC_NETDEV, devs[i], "txqueuelen", rel, &m, stored);
                free(rel);
        }
        free(all);
        devsel_report_absent(k, ds, "netdev", devs, n);
        devsel_free_list(devs, n);
        return 0;
}

static bool netdev_names_device(struct kvmtune *k, const char *device)
{
        return devsel_names(k->state[SEC_NETDEV], device);
}

static void netdev_free(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_NETDEV];

        if (!ds)
                return;
        devsel_free(ds);
        free(ds);
        k->state[SEC_NETDEV] = NULL;
}

const struct section_ops netdev_section = {
        .name = "netdev",
        .subsection = SUB_REQUIRED,
        .parse = netdev_parse,
        .check_sub = netdev_check_sub,
        .plan = netdev_plan,
        .free = netdev_free,
        .names_device = netdev_names_device,
};
