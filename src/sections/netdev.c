/* SPDX-License-Identifier: MIT */
/*
 * [netdev "GLOB ..."]: txqueuelen of matching network interfaces, through
 * /sys/class/net/DEV/tx_queue_len (which follows the network namespace that
 * /sys was mounted in).  An interface that does not exist yet is not an
 * error: udev runs kvmtune --device when it appears.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"
#include "devsel.h"

#define IFNAME_MAX 15   /* IFNAMSIZ - 1 */

static const char *const keys[] = { "txqueuelen" };

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

static int netdev_parse(struct kvmtune *k, const char *sub, const char *key,
                        const char *value, struct origin at)
{
        struct dev_section *sec = devsel_current(state(k), sub, at);
        uint64_t v;
        char buf[32];

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

static int netdev_plan(struct kvmtune *k)
{
        struct dev_sections *ds = k->state[SEC_NETDEV];
        char **devs;
        size_t n;

        if (!ds || !ds->n)
                return 0;
        devs = devsel_devices(k, "sys/class/net", &n);
        for (size_t i = 0; i < n; i++) {
                struct dev_match m;
                char *rel;

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
        devsel_report_absent(k, ds, "netdev", devs, n);
        devsel_free_list(devs, n);
        return 0;
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
};
