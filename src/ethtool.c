/* SPDX-License-Identifier: MIT */
/*
 * Ring sizes, channels, interrupt coalescing and offload features of a
 * network interface through the kernel's SIOCETHTOOL ioctl, as
 * systemd-udevd's ethtool-util.c does it: a read of the whole group
 * (ETHTOOL_GRINGPARAM, GCHANNELS, GCOALESCE; for features GSSET_INFO,
 * GSTRINGS of ETH_SS_FEATURES and GFEATURES), one field changed, the group
 * written back (SRINGPARAM, SCHANNELS, SCOALESCE, SFEATURES).  The ioctl
 * works in the network namespace kvmtune runs in, as /sys/class/net does.
 *
 * Under --root, a fake stands in for the kernel, at the level of the ioctl
 * (everything above it is the same code): ROOT/ethtool/DEV/GROUP holds a
 * device's state, one "NAME VALUE" line per field, read and rewritten by
 * each call.  ring and channels: "rx 256", "rx-max 4096" (an absent line
 * is 0); a value above its maximum is refused with EINVAL, and channels
 * without an rx or a tx queue too, as the kernel does.  coalesce:
 * "rx-usecs 3", "adaptive-rx 1"; a field without a line is one the driver
 * does not support: it reads 0 and changing it fails with EOPNOTSUPP.
 * features: "rx-gro on", "tx-lockless on fixed" (never changes),
 * "rx-lro off stuck" (changeable, but the device keeps its value, as when
 * another feature it needs is off).  A group without a file is not
 * supported by the driver (EOPNOTSUPP); a device without
 * ROOT/sys/class/net/DEV does not exist (ENODEV).
 */
#include <errno.h>
#include <fnmatch.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ethtool.h"

/* ethtool(8)'s names for groups of features (its off_flag_def table) */
static const struct ethtool_alias aliases[] = {
        { "rx", "rx-checksumming", "rx-checksum" },
        { "tx", "tx-checksumming", "tx-checksum-*" },
        { "sg", "scatter-gather", "tx-scatter-gather*" },
        { "tso", "tcp-segmentation-offload", "tx-tcp*-segmentation" },
        { "ufo", "udp-fragmentation-offload", "tx-udp-fragmentation" },
        { "gso", "generic-segmentation-offload", "tx-generic-segmentation" },
        { "gro", "generic-receive-offload", "rx-gro" },
        { "lro", "large-receive-offload", "rx-lro" },
        { "rxvlan", "rx-vlan-offload", "rx-vlan-hw-parse" },
        { "txvlan", "tx-vlan-offload", "tx-vlan-hw-insert" },
        { "ntuple", "ntuple-filters", "rx-ntuple-filter" },
        { "rxhash", "receive-hashing", "rx-hashing" },
};

const struct ethtool_alias *ethtool_alias(const char *name)
{
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
                if (!strcmp(name, aliases[i].short_name) || !strcmp(name, aliases[i].long_name) ||
                    (!strchr(aliases[i].pattern, '*') && !strcmp(name, aliases[i].pattern)))
                        return &aliases[i];
        return NULL;
}

struct field {
        const char *name;
        size_t off;             /* of the value in the group's struct */
        size_t max_off;         /* of its maximum; 0: none */
        bool boolean;           /* shown on/off */
};

#define RING(name, f) { name, offsetof(struct ethtool_ringparam, f##_pending), \
                        offsetof(struct ethtool_ringparam, f##_max_pending), false }
static const struct field ring_fields[] = {
        RING("rx", rx), RING("rx-mini", rx_mini), RING("rx-jumbo", rx_jumbo), RING("tx", tx),
};

#define CHAN(f) { #f, offsetof(struct ethtool_channels, f##_count), offsetof(struct ethtool_channels, max_##f), false }
static const struct field channel_fields[] = { CHAN(rx), CHAN(tx), CHAN(other), CHAN(combined) };

#define COAL(name, f, b) { name, offsetof(struct ethtool_coalesce, f), 0, b }
static const struct field coalesce_fields[] = {
        COAL("rx-usecs", rx_coalesce_usecs, false),
        COAL("rx-frames", rx_max_coalesced_frames, false),
        COAL("tx-usecs", tx_coalesce_usecs, false),
        COAL("tx-frames", tx_max_coalesced_frames, false),
        COAL("adaptive-rx", use_adaptive_rx_coalesce, true),
        COAL("adaptive-tx", use_adaptive_tx_coalesce, true),
};

struct group {
        const char *name;
        uint32_t get, set;
        size_t size;
        const struct field *fields;
        size_t n;
        bool has_max;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct group groups[] = {
        { "ring", ETHTOOL_GRINGPARAM, ETHTOOL_SRINGPARAM, sizeof(struct ethtool_ringparam),
          ring_fields, N(ring_fields), true },
        { "channels", ETHTOOL_GCHANNELS, ETHTOOL_SCHANNELS, sizeof(struct ethtool_channels),
          channel_fields, N(channel_fields), true },
        { "coalesce", ETHTOOL_GCOALESCE, ETHTOOL_SCOALESCE, sizeof(struct ethtool_coalesce),
          coalesce_fields, N(coalesce_fields), false },
};

static const struct group *group_named(const char *name)
{
        for (size_t i = 0; i < N(groups); i++)
                if (!strcmp(groups[i].name, name))
                        return &groups[i];
        return NULL;
}

static const struct field *field_named(const struct group *g, const char *name)
{
        for (size_t i = 0; g && i < g->n; i++)
                if (!strcmp(g->fields[i].name, name))
                        return &g->fields[i];
        return NULL;
}

bool ethtool_field_known(const char *group, const char *field, bool *boolean)
{
        const struct field *f = field_named(group_named(group), field);

        if (f && boolean)
                *boolean = f->boolean;
        return f != NULL;
}

static uint32_t *u32_at(void *data, size_t off)
{
        return (uint32_t *)((char *)data + off);
}

/* ---- the fake kernel of --root ---- */

struct fake_line {
        char *name, *rest;
};

struct fake {
        struct fake_line *l;
        size_t n;
};

static void fake_free(struct fake *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->l[i].name);
                free(f->l[i].rest);
        }
        free(f->l);
        f->l = NULL;
        f->n = 0;
}

static int fake_load(struct kvmtune *k, const char *dev, const char *group, struct fake *f)
{
        char *rel = xasprintf("sys/class/net/%s", dev), *text = NULL, *save = NULL;
        int r = kernfs_probe(k, rel);

        free(rel);
        f->l = NULL;
        f->n = 0;
        if (r <= 0)
                return r < 0 ? r : -ENODEV;
        rel = xasprintf("ethtool/%s/%s", dev, group);
        r = kernfs_read(k, rel, &text);
        free(rel);
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                size_t len = strcspn(line, " \t");

                if (!len)
                        continue;
                f->l = xrealloc_array(f->l, f->n + 1, sizeof(*f->l));
                f->l[f->n].name = strndup(line, len);
                f->l[f->n++].rest = xstrdup(line + len + strspn(line + len, " \t"));
        }
        free(text);
        return 0;
}

static const char *fake_find(const struct fake *f, const char *name)
{
        for (size_t i = 0; i < f->n; i++)
                if (!strcmp(f->l[i].name, name))
                        return f->l[i].rest;
        return NULL;
}

static uint32_t fake_u32(const struct fake *f, const char *name)
{
        const char *v = fake_find(f, name);

        return !v ? 0 : !strncmp(v, "on", 2) ? 1 : (uint32_t)strtoul(v, NULL, 10);
}

static void fake_set(struct fake *f, const char *name, char *rest)
{
        for (size_t i = 0; i < f->n; i++)
                if (!strcmp(f->l[i].name, name)) {
                        free(f->l[i].rest);
                        f->l[i].rest = rest;
                        return;
                }
        f->l = xrealloc_array(f->l, f->n + 1, sizeof(*f->l));
        f->l[f->n].name = xstrdup(name);
        f->l[f->n++].rest = rest;
}

static int fake_store(struct kvmtune *k, const char *dev, const char *group, const struct fake *f)
{
        char *rel = xasprintf("ethtool/%s/%s", dev, group), *text = xstrdup("");
        int r;

        for (size_t i = 0; i < f->n; i++) {
                char *more = xasprintf("%s%s %s\n", text, f->l[i].name, f->l[i].rest);
                free(text);
                text = more;
        }
        r = kernfs_write(k, rel, -1, text);
        free(text);
        free(rel);
        return r;
}

static int fake_group(struct kvmtune *k, const char *dev, const struct group *g, void *data, bool set)
{
        struct fake f;
        int r = fake_load(k, dev, g->name, &f);

        if (r < 0)
                return r;
        if (!set) {
                memset((char *)data + sizeof(uint32_t), 0, g->size - sizeof(uint32_t));
                for (size_t i = 0; i < g->n; i++) {
                        char maxname[48];

                        *u32_at(data, g->fields[i].off) = fake_u32(&f, g->fields[i].name);
                        snprintf(maxname, sizeof(maxname), "%s-max", g->fields[i].name);
                        if (g->fields[i].max_off)
                                *u32_at(data, g->fields[i].max_off) = fake_u32(&f, maxname);
                }
        } else {
                for (size_t i = 0; i < g->n && r == 0; i++) {
                        const struct field *fl = &g->fields[i];
                        uint32_t v = *u32_at(data, fl->off);
                        char maxname[48];

                        snprintf(maxname, sizeof(maxname), "%s-max", fl->name);
                        if (fl->max_off && v > fake_u32(&f, maxname))
                                r = -EINVAL;
                        else if (!fl->max_off && !fake_find(&f, fl->name) && v != 0)
                                r = -EOPNOTSUPP;        /* a coalescing field the driver lacks */
                }
                if (r == 0 && g->set == ETHTOOL_SCHANNELS) {
                        const struct ethtool_channels *c = data;
                        if (!(c->combined_count || c->rx_count) || !(c->combined_count || c->tx_count))
                                r = -EINVAL;
                }
                for (size_t i = 0; i < g->n && r == 0; i++)
                        if (g->fields[i].max_off || fake_find(&f, g->fields[i].name))
                                fake_set(&f, g->fields[i].name, xasprintf("%u", *u32_at(data, g->fields[i].off)));
                if (r == 0)
                        r = fake_store(k, dev, g->name, &f);
        }
        fake_free(&f);
        return r;
}

static bool fake_has(const char *rest, const char *word)
{
        char *copy = xstrdup(rest), *save = NULL;
        bool found = false;

        for (char *w = strtok_r(copy, " \t", &save); w && !found; w = strtok_r(NULL, " \t", &save))
                found = !strcmp(w, word);
        free(copy);
        return found;
}

static int fake_features(struct kvmtune *k, const char *dev, void *data)
{
        uint32_t cmd = *(uint32_t *)data;
        struct fake f;
        int r = fake_load(k, dev, "features", &f);

        if (r < 0)
                return r;
        if (cmd == ETHTOOL_GSSET_INFO) {
                struct ethtool_sset_info *si = data;
                if (si->sset_mask & (1ULL << ETH_SS_FEATURES)) {
                        si->sset_mask = 1ULL << ETH_SS_FEATURES;
                        si->data[0] = (uint32_t)f.n;
                }
        } else if (cmd == ETHTOOL_GSTRINGS) {
                struct ethtool_gstrings *gs = data;
                for (size_t i = 0; i < f.n && i < gs->len; i++)
                        snprintf((char *)gs->data + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN, "%s", f.l[i].name);
        } else if (cmd == ETHTOOL_GFEATURES) {
                struct ethtool_gfeatures *gf = data;
                for (size_t i = 0; i < f.n && i / 32 < gf->size; i++) {
                        struct ethtool_get_features_block *b = &gf->features[i / 32];
                        uint32_t bit = 1u << (i % 32);
                        if (fake_has(f.l[i].rest, "on"))
                                b->active |= bit, b->requested |= bit;
                        if (fake_has(f.l[i].rest, "fixed"))
                                b->never_changed |= bit;
                        else
                                b->available |= bit;
                }
        } else {                /* ETHTOOL_SFEATURES */
                struct ethtool_sfeatures *sf = data;
                for (size_t i = 0; i < f.n && i / 32 < sf->size; i++) {
                        const struct ethtool_set_features_block *b = &sf->features[i / 32];
                        uint32_t bit = 1u << (i % 32);
                        bool on = b->requested & bit;
                        if (!(b->valid & bit))
                                continue;
                        if (fake_has(f.l[i].rest, "fixed"))
                                r |= ETHTOOL_F_UNSUPPORTED;
                        else if (fake_has(f.l[i].rest, "stuck"))
                                r |= fake_has(f.l[i].rest, "on") != on ? ETHTOOL_F_WISH : 0;
                        else
                                fake_set(&f, f.l[i].name, xstrdup(on ? "on" : "off"));
                }
                int w = fake_store(k, dev, "features", &f);
                if (w < 0)
                        r = w;
        }
        fake_free(&f);
        return r;
}

static int fake_ioctl(struct kvmtune *k, const char *dev, void *data)
{
        uint32_t cmd = *(uint32_t *)data;

        for (size_t i = 0; i < N(groups); i++)
                if (cmd == groups[i].get || cmd == groups[i].set)
                        return fake_group(k, dev, &groups[i], data, cmd == groups[i].set);
        return fake_features(k, dev, data);
}

/* ---- the kernel ---- */

/* SIOCETHTOOL on dev; its result (>= 0: SFEATURES returns flags) or -errno */
static int dev_ioctl(struct kvmtune *k, const char *dev, void *data)
{
        uint32_t cmd = *(uint32_t *)data;
        struct ifreq ifr;
        int fd, r;

        if (cmd == ETHTOOL_SRINGPARAM || cmd == ETHTOOL_SCHANNELS || cmd == ETHTOOL_SCOALESCE ||
            cmd == ETHTOOL_SFEATURES)
                k->n_writes++;
        if (strlen(dev) >= IFNAMSIZ)
                return -ENODEV;
        if (k->root)
                return fake_ioctl(k, dev, data);
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, dev, strlen(dev));
        ifr.ifr_data = data;
        r = ioctl(fd, SIOCETHTOOL, &ifr);
        if (r < 0)
                r = -errno;
        close(fd);
        return r;
}

int ethtool_features(struct kvmtune *k, const char *dev, struct ethtool_feature **out, size_t *n)
{
        struct ethtool_sset_info *info;
        struct ethtool_gstrings *strings = NULL;
        struct ethtool_gfeatures *gf = NULL;
        uint32_t count, blocks;
        int r;

        *out = NULL;
        *n = 0;
        info = xcalloc(1, sizeof(*info) + sizeof(info->data[0]));
        info->cmd = ETHTOOL_GSSET_INFO;
        info->sset_mask = 1ULL << ETH_SS_FEATURES;
        r = dev_ioctl(k, dev, info);
        count = info->data[0];
        if (r >= 0 && !(info->sset_mask & (1ULL << ETH_SS_FEATURES)))
                r = -EOPNOTSUPP;
        free(info);
        if (r < 0)
                return r;
        if (count > 4096)
                return -E2BIG;
        blocks = (count + 31) / 32;
        strings = xcalloc(1, sizeof(*strings) + (size_t)count * ETH_GSTRING_LEN + 1);
        strings->cmd = ETHTOOL_GSTRINGS;
        strings->string_set = ETH_SS_FEATURES;
        strings->len = count;
        gf = xcalloc(1, sizeof(*gf) + blocks * sizeof(gf->features[0]) + sizeof(gf->features[0]));
        gf->cmd = ETHTOOL_GFEATURES;
        gf->size = blocks;
        r = dev_ioctl(k, dev, strings);
        if (r >= 0)
                r = dev_ioctl(k, dev, gf);
        if (r >= 0) {
                *out = xcalloc(count ? count : 1, sizeof(**out));
                for (uint32_t i = 0; i < count; i++) {
                        const struct ethtool_get_features_block *b = &gf->features[i / 32];
                        uint32_t bit = 1u << (i % 32);
                        struct ethtool_feature *ft = &(*out)[i];

                        memcpy(ft->name, strings->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
                        ft->name[sizeof(ft->name) - 1] = '\0';
                        ft->active = b->active & bit;
                        ft->fixed = !(b->available & bit) || (b->never_changed & bit);
                }
                *n = count;
                r = 0;
        }
        free(strings);
        free(gf);
        return r;
}

/* "ethtool/DEV/GROUP/FIELD" split into dev (IFNAMSIZ) and the rest */
static int split_path(const char *path, char dev[IFNAMSIZ], const char **group, const char **field,
                      char groupbuf[16])
{
        const char *d, *g, *f;

        if (!ethtool_is_path(path))
                return -EINVAL;
        d = path + strlen("ethtool/");
        g = strchr(d, '/');
        if (!g || g == d || (size_t)(g - d) >= IFNAMSIZ)
                return -EINVAL;
        f = strchr(g + 1, '/');
        if (!f || (size_t)(f - g - 1) >= 16 || !f[1] || strchr(f + 1, '/'))
                return -EINVAL;
        memcpy(dev, d, (size_t)(g - d));
        dev[g - d] = '\0';
        memcpy(groupbuf, g + 1, (size_t)(f - g - 1));
        groupbuf[f - g - 1] = '\0';
        *group = groupbuf;
        *field = f + 1;
        return 0;
}

bool ethtool_is_path(const char *path)
{
        return !strncmp(path, "ethtool/", 8);
}

static int feature_index(const struct ethtool_feature *ft, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(ft[i].name, name))
                        return (int)i;
        return -1;
}

int ethtool_get(struct kvmtune *k, const char *path, struct ethtool_state *v)
{
        char dev[IFNAMSIZ], gb[16];
        const char *group, *field;
        const struct group *g;
        const struct field *f;
        int r = split_path(path, dev, &group, &field, gb);

        memset(v, 0, sizeof(*v));
        if (r < 0)
                return r;
        if (!strcmp(group, "features")) {
                struct ethtool_feature *ft;
                size_t n;
                int i;

                r = ethtool_features(k, dev, &ft, &n);
                if (r < 0)
                        return r;
                i = feature_index(ft, n, field);
                if (i >= 0) {
                        snprintf(v->text, sizeof(v->text), "%s", ft[i].active ? "on" : "off");
                        v->fixed = ft[i].fixed;
                }
                free(ft);
                return i >= 0 ? 0 : -ENOENT;
        }
        g = group_named(group);
        f = field_named(g, field);
        if (!f)
                return -EINVAL;
        union {
                uint32_t cmd;
                struct ethtool_ringparam ring;
                struct ethtool_channels channels;
                struct ethtool_coalesce coalesce;
        } data;
        memset(&data, 0, sizeof(data));
        data.cmd = g->get;
        r = dev_ioctl(k, dev, &data);
        if (r < 0)
                return r;
        if (f->boolean)
                snprintf(v->text, sizeof(v->text), "%s", *u32_at(&data, f->off) ? "on" : "off");
        else
                snprintf(v->text, sizeof(v->text), "%u", *u32_at(&data, f->off));
        if (f->max_off) {
                v->has_max = true;
                v->max = *u32_at(&data, f->max_off);
        }
        return 0;
}

int ethtool_read(struct kvmtune *k, const char *path, char **out)
{
        struct ethtool_state v;
        int r = ethtool_get(k, path, &v);

        *out = r < 0 ? NULL : xstrdup(v.text);
        return r;
}

static int parse_value(const char *value, bool boolean, uint32_t *out)
{
        uint64_t n;
        bool b;

        if (boolean) {
                if (parse_bool(value, &b) < 0)
                        return -EINVAL;
                *out = b;
                return 0;
        }
        if (parse_u64(value, &n) < 0 || n > UINT32_MAX)
                return -EINVAL;
        *out = (uint32_t)n;
        return 0;
}

/* Read the group, change one field, write it back: only when it differs. */
int ethtool_set(struct kvmtune *k, const char *path, const char *value)
{
        char dev[IFNAMSIZ], gb[16];
        const char *group, *field;
        const struct group *g;
        const struct field *f;
        uint32_t want;
        int r = split_path(path, dev, &group, &field, gb);

        if (r < 0)
                return r;
        if (!strcmp(group, "features")) {
                struct ethtool_feature *ft;
                struct ethtool_sfeatures *sf;
                size_t n;
                int i;

                if (parse_value(value, true, &want) < 0)
                        return -EINVAL;
                r = ethtool_features(k, dev, &ft, &n);
                if (r < 0)
                        return r;
                i = feature_index(ft, n, field);
                if (i < 0 || ft[i].active == (bool)want) {
                        free(ft);
                        return i < 0 ? -ENOENT : 0;
                }
                sf = xcalloc(1, sizeof(*sf) + ((n + 31) / 32) * sizeof(sf->features[0]));
                sf->cmd = ETHTOOL_SFEATURES;
                sf->size = (uint32_t)((n + 31) / 32);
                sf->features[i / 32].valid = 1u << (i % 32);
                sf->features[i / 32].requested = want ? 1u << (i % 32) : 0;
                r = dev_ioctl(k, dev, sf);
                free(sf);
                free(ft);
                /* ETHTOOL_F_WISH: taken as a wish; the read-back tells what the device did */
                if (r > 0 && (r & ETHTOOL_F_UNSUPPORTED))
                        return -EOPNOTSUPP;
                return r < 0 ? r : 0;
        }
        g = group_named(group);
        f = field_named(g, field);
        if (!f || parse_value(value, f->boolean, &want) < 0)
                return -EINVAL;
        union {
                uint32_t cmd;
                struct ethtool_ringparam ring;
                struct ethtool_channels channels;
                struct ethtool_coalesce coalesce;
        } data;
        memset(&data, 0, sizeof(data));
        data.cmd = g->get;
        r = dev_ioctl(k, dev, &data);
        if (r < 0)
                return r;
        if (*u32_at(&data, f->off) == want)
                return 0;
        *u32_at(&data, f->off) = want;
        data.cmd = g->set;
        r = dev_ioctl(k, dev, &data);
        return r < 0 ? r : 0;
}
