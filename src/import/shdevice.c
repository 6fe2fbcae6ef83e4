/* SPDX-License-Identifier: MIT */
/*
 * rc.local: devices and mounts.  ifconfig DEV txqueuelen N, ip link set
 * [dev] DEV txqueuelen N, blockdev --setra SECTORS /dev/DEV...,
 * mount -t hugetlbfs [-o OPTIONS] SOURCE DIR.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

int sh_do_ifconfig(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (c->n != 4 || strcmp(c->w[2].s, "txqueuelen"))
                return sh_refuse(c, "only 'ifconfig DEV txqueuelen N' is understood");
        return sh_from_kpath(p, c, imp_netdev_txqueuelen(p->im, c->w[1].s, c->w[3].s, src));
}

int sh_do_ip(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        size_t i = 3;

        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 6 || strcmp(c->w[1].s, "link") || strcmp(c->w[2].s, "set"))
                return sh_refuse(c, "only 'ip link set [dev] DEV txqueuelen N' is understood");
        if (!strcmp(c->w[i].s, "dev"))
                i++;
        if (c->n != i + 3 || (strcmp(c->w[i + 1].s, "txqueuelen") && strcmp(c->w[i + 1].s, "txqlen")))
                return sh_refuse(c, "only 'ip link set [dev] DEV txqueuelen N' is understood");
        return sh_from_kpath(p, c, imp_netdev_txqueuelen(p->im, c->w[i].s, c->w[i + 2].s, src));
}

/*
 * blockdev --setra SECTORS /dev/DEV...: the read-ahead in 512-byte sectors;
 * the kernel keeps whole pages of it, and read_ahead_kb shows those.
 */
int sh_do_blockdev(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        uint64_t sectors, page = (uint64_t)sysconf(_SC_PAGESIZE), kb;
        char value[32], rel[300];

        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        if (c->n < 4 || strcmp(c->w[1].s, "--setra"))
                return sh_refuse(c, "only 'blockdev --setra SECTORS DEVICE...' is understood");
        if (parse_u64(c->w[2].s, &sectors) < 0 || sectors > (uint64_t)INT32_MAX * 2)
                return sh_refuse(c, "'%s' is not a number of sectors", c->w[2].s);
        if (!page || page % 1024)
                page = 4096;
        kb = sectors * 512 / page * (page / 1024);
        snprintf(value, sizeof(value), "%llu", (unsigned long long)kb);
        for (size_t i = 3; i < c->n; i++) {
                const char *dev = c->w[i].s;

                if (strncmp(dev, "/dev/", 5) || strchr(dev + 5, '/') || !imp_devname_valid(dev + 5, 0))
                        return sh_refuse(c, "'%s' is not /dev/NAME of a disk in /sys/block", dev);
                snprintf(rel, sizeof(rel), "sys/class/block/%s/partition", dev + 5);
                if (kernfs_probe(p->im->k, rel) > 0)
                        return sh_refuse(c, "%s is a partition: blockdev sets the read-ahead of its whole disk", dev);
        }
        for (size_t i = 3; i < c->n; i++) {
                struct imp_entry *e;

                if (imp_block(p->im, c->w[i].s + 5, "read_ahead_kb", value, src) < 0)
                        return sh_refuse(c, "%s", p->im->why);
                e = imp_find(p->im, IS_BLOCK, c->w[i].s + 5, "read_ahead_kb");
                if (e)
                        imp_note(e, "blockdev --setra %llu counts 512-byte sectors: read_ahead_kb = %s (whole "
                                    "%llu-byte pages)", (unsigned long long)sectors, value, (unsigned long long)page);
        }
        c->status = ST_CARRIED;
        return 1;
}

int sh_do_mount(struct parser *p, struct cmd *c, const struct imp_src *src)
{
        const char *type = NULL, *opts = NULL, *pos[3] = { NULL };
        size_t n_pos = 0;

        if (sh_other_redirs(c, NULL) < 0)
                return -1;
        for (size_t i = 1; i < c->n; i++) {
                const char *w = c->w[i].s;
                if ((!strcmp(w, "-t") || !strcmp(w, "--types")) && i + 1 < c->n)
                        type = c->w[++i].s;
                else if (!strncmp(w, "-t", 2) && w[2])
                        type = w + 2;
                else if ((!strcmp(w, "-o") || !strcmp(w, "--options")) && i + 1 < c->n)
                        opts = c->w[++i].s;
                else if (!strncmp(w, "-o", 2) && w[2])
                        opts = w + 2;
                else if (w[0] == '-')
                        return sh_refuse(c, "the mount option '%s' is not understood", w);
                else if (n_pos < 3)
                        pos[n_pos++] = w;
                else
                        return sh_refuse(c, "too many arguments");
        }
        if (!type || strcmp(type, "hugetlbfs"))
                return sh_refuse(c, "only 'mount -t hugetlbfs [-o OPTIONS] SOURCE DIR' is understood");
        if (n_pos != 2)
                return sh_refuse(c, "a mount with other than a source and a mount point");
        return sh_from_kpath(p, c, imp_hugetlbfs(p->im, pos[1], opts ? opts : "defaults", src));
}
