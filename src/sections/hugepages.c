/* SPDX-License-Identifier: MIT */
/*
 * [hugepages] and [hugepages "SIZE"]: persistent hugepage pools, per size,
 * optionally split over NUMA nodes or given per node (node.N, node.*),
 * with the reserve rail that keeps a
 * mistyped count from taking the host's memory.  Pools are reserved largest
 * first (small pages would break up the large blocks).  A pool at = cmdline
 * is asked of the kernel at boot ([cmdline] writes hugepagesz= hugepages=);
 * at runtime it is only topped up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"

enum amount { AMOUNT_NONE, AMOUNT_PAGES, AMOUNT_MEMORY };

struct pool {
        uint64_t size_kb;
        enum amount amount;
        uint64_t pages;
        char *memory;                   /* "4G" or "25%", resolved at plan */
        struct origin amount_at;
        unsigned *nodes;
        size_t n_nodes;
        struct origin nodes_at;
        bool has_overcommit;
        uint64_t overcommit;
        struct origin overcommit_at;
        bool force, compact;
        bool at_cmdline;                /* at = cmdline: reserved by the kernel at boot */
        struct origin at;               /* first line that named this pool */
        struct node_count {             /* node.N = COUNT: that node's pool */
                unsigned node;
                uint64_t pages;
                struct origin at;
        } *per_node;
        size_t n_per_node;
        bool all_nodes;                 /* node.* = COUNT: every node's pool */
        uint64_t all_pages;
        struct origin all_at;
};

struct hugepages_state {
        struct pool *pools;
        size_t n;
        uint64_t default_kb;            /* Hugepagesize, read once */
        char *reserve;
        struct origin reserve_at;
        struct boot_pool *boot;         /* the pools at = cmdline the rail let through */
        size_t n_boot;
        bool planned;
};

struct pool_write {                     /* setting data of a pool's nr_hugepages */
        bool compact;
        bool top_up;                    /* at = cmdline, booted with it: only top up, a shortfall is told */
};

static struct hugepages_state *state(struct kvmtune *k)
{
        if (!k->state[SEC_HUGEPAGES])
                k->state[SEC_HUGEPAGES] = xcalloc(1, sizeof(struct hugepages_state));
        return k->state[SEC_HUGEPAGES];
}

/* A /proc/meminfo field in kB, or -errno */
int meminfo_kb(struct kvmtune *k, const char *field, uint64_t *kb)
{
        char *text, *p;
        size_t len = strlen(field);
        int r = kernfs_read(k, "proc/meminfo", &text);

        if (r < 0)
                return r;
        r = -ENOENT;
        for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (!strncmp(p, field, len) && p[len] == ':') {
                        unsigned long long v;
                        if (sscanf(p + len + 1, "%llu", &v) == 1) {
                                *kb = v;
                                r = 0;
                        }
                        break;
                }
        free(text);
        return r;
}

static const char *size_name(uint64_t size_kb, char *buf, size_t len)
{
        return format_size(size_kb * 1024, buf, len);
}

/* a + b, saturating: a mistyped count must not wrap around past the rail */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
        return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* kB for people: "512M", "23.5G" (one decimal when not whole) */
static const char *human_kb(uint64_t kb, char *buf, size_t len)
{
        static const char units[] = "kMGTPE";
        double v = (double)kb;
        int u = 0;

        while (u < 5 && v >= 1024) {
                v /= 1024;
                u++;
        }
        if (v == (double)(uint64_t)v)
                snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
        else
                snprintf(buf, len, "%.1f%c", v, units[u]);
        return buf;
}

/* the memory N pages take: exact ("2000M") or, when exact: false, rounded ("1.9G") */
static const char *pages_mem(uint64_t pages, uint64_t size_kb, bool exact, char *buf, size_t len)
{
        if (pages > UINT64_MAX / size_kb) {             /* absurd counts do not wrap */
                snprintf(buf, len, "more than 16Z");
                return buf;
        }
        if (exact && pages * size_kb <= UINT64_MAX / 1024)
                return format_size(pages * size_kb * 1024, buf, len);
        return human_kb(pages * size_kb, buf, len);
}

static int size_from_sub(const char *sub, uint64_t *kb)
{
        uint64_t bytes;

        if (parse_size(sub, &bytes) < 0 || bytes < 4096 || bytes % 1024)
                return -EINVAL;
        *kb = bytes / 1024;
        return 0;
}

static int hugepages_check_sub(struct kvmtune *k, const char *sub, struct origin at)
{
        uint64_t kb;

        if (size_from_sub(sub, &kb) < 0) {
                log_error(k, &at, "[hugepages \"%s\"]: not a page size (like 2M or 1G)", sub);
                return -EINVAL;
        }
        /* checked here too, so that a section without keys is not silently accepted */
        char *dir = xasprintf("sys/kernel/mm/hugepages/hugepages-%llukB", (unsigned long long)kb);
        int offered = kernfs_probe(k, dir);

        if (offered < 0) {
                log_error(k, &at, "hugepages: cannot look up /%s: %s", dir, strerror(-offered));
                free(dir);
                return -EINVAL;
        }
        free(dir);
        if (!offered) {
                log_error(k, &at, "hugepages: page size %s is not offered by this CPU/kernel", sub);
                return -EINVAL;
        }
        return 0;
}

static struct pool *pool_for(struct kvmtune *k, const char *sub, struct origin at)
{
        struct hugepages_state *st = state(k);
        uint64_t kb;

        if (sub) {
                if (size_from_sub(sub, &kb) < 0)
                        return NULL;
        } else {
                if (!st->default_kb && meminfo_kb(k, "Hugepagesize", &st->default_kb) < 0) {
                        log_error(k, &at, "no Hugepagesize in /proc/meminfo: kernel without hugetlb support");
                        return NULL;
                }
                kb = st->default_kb;
        }
        for (size_t i = 0; i < st->n; i++)
                if (st->pools[i].size_kb == kb)
                        return &st->pools[i];
        st->pools = xrealloc_array(st->pools, st->n + 1, sizeof(*st->pools));
        st->pools[st->n] = (struct pool){ .size_kb = kb, .compact = true, .at = at };
        return &st->pools[st->n++];
}

static int parse_nodes(const char *value, unsigned **nodes, size_t *n)
{
        char *copy = xstrdup(value), *save = NULL;
        int r = 0;

        *nodes = NULL;
        *n = 0;
        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                uint64_t v;
                if (parse_u64(w, &v) < 0 || v > 4095) {
                        r = -EINVAL;
                        break;
                }
                for (size_t i = 0; i < *n; i++)
                        if ((*nodes)[i] == v)
                                r = -EINVAL;
                *nodes = xrealloc_array(*nodes, *n + 1, sizeof(**nodes));
                (*nodes)[(*n)++] = (unsigned)v;
        }
        free(copy);
        if (!r && !*n)
                r = -EINVAL;
        if (r) {
                free(*nodes);
                *nodes = NULL;
                *n = 0;
        }
        return r;
}

static int hugepages_parse(struct kvmtune *k, const char *sub, const char *key,
                           const char *value, struct origin at)
{
        struct hugepages_state *st = state(k);
        struct pool *p = pool_for(k, sub, at);
        uint64_t v;
        bool b;

        if (!p)
                return -EINVAL;
        if (!strcmp(key, "pages") || !strcmp(key, "memory")) {
                bool pages = key[0] == 'p';
                uint64_t bytes;

                if (p->amount != AMOUNT_NONE && p->amount_at.file == at.file &&
                    p->amount != (pages ? AMOUNT_PAGES : AMOUNT_MEMORY)) {
                        log_error(k, &at, "hugepages: 'pages' and 'memory' exclude each other");
                        return -EINVAL;
                }
                if (pages ? parse_u64(value, &v) < 0 : parse_size_or_percent(value, 100, &bytes) < 0) {
                        log_error(k, &at, "hugepages %s: invalid value '%s'", key, value);
                        return -EINVAL;
                }
                free(p->memory);
                p->memory = pages ? NULL : xstrdup(value);
                p->pages = pages ? v : 0;
                p->amount = pages ? AMOUNT_PAGES : AMOUNT_MEMORY;
                p->amount_at = at;
        } else if (!strcmp(key, "nodes")) {
                unsigned *nodes;
                size_t n;
                if (parse_nodes(value, &nodes, &n) < 0) {
                        log_error(k, &at, "hugepages nodes: expected distinct node numbers, not '%s'", value);
                        return -EINVAL;
                }
                free(p->nodes);
                p->nodes = nodes;
                p->n_nodes = n;
                p->nodes_at = at;
        } else if (!strncmp(key, "node.", 5)) {
                const char *n = key + 5;
                uint64_t node = 0;

                if (parse_u64(value, &v) < 0 || (strcmp(n, "*") && (parse_u64(n, &node) < 0 || node > 4095))) {
                        log_error(k, &at, "hugepages %s: expected node.N (N a node number) or node.* and a page "
                                  "count, not '%s = %s'", key, key, value);
                        return -EINVAL;
                }
                if (!strcmp(n, "*")) {
                        p->all_nodes = true;
                        p->all_pages = v;
                        p->all_at = at;
                        return 0;
                }
                for (size_t i = 0; i < p->n_per_node; i++)
                        if (p->per_node[i].node == node) {
                                p->per_node[i].pages = v;
                                p->per_node[i].at = at;
                                return 0;
                        }
                p->per_node = xgrow(p->per_node, p->n_per_node, sizeof(*p->per_node));
                p->per_node[p->n_per_node++] = (struct node_count){ (unsigned)node, v, at };
        } else if (!strcmp(key, "overcommit")) {
                if (parse_u64(value, &v) < 0) {
                        log_error(k, &at, "hugepages overcommit: invalid number '%s'", value);
                        return -EINVAL;
                }
                p->has_overcommit = true;
                p->overcommit = v;
                p->overcommit_at = at;
        } else if (!strcmp(key, "reserve")) {
                uint64_t bytes;
                if (parse_size_or_percent(value, 100, &bytes) < 0) {
                        log_error(k, &at, "hugepages reserve: invalid size '%s'", value);
                        return -EINVAL;
                }
                free(st->reserve);
                st->reserve = xstrdup(value);
                st->reserve_at = at;
        } else if (!strcmp(key, "force") || !strcmp(key, "compact")) {
                if (parse_bool(value, &b) < 0) {
                        log_error(k, &at, "hugepages %s: expected a boolean, not '%s'", key, value);
                        return -EINVAL;
                }
                if (key[0] == 'f')
                        p->force = b;
                else
                        p->compact = b;
        } else if (!strcmp(key, "at")) {
                if (strcmp(value, "cmdline") && strcmp(value, "runtime")) {
                        log_error(k, &at, "hugepages at: expected cmdline or runtime, not '%s'", value);
                        return -EINVAL;
                }
                p->at_cmdline = value[0] == 'c';
        } else {
                log_error(k, &at, "unknown key '%s' in [hugepages]", key);
                return -EINVAL;
        }
        return 0;
}

/* largest first */
static int cmp_pool(const void *a, const void *b)
{
        const struct pool *x = a, *y = b;
        return x->size_kb > y->size_kb ? -1 : x->size_kb < y->size_kb;
}

static char *pool_path(uint64_t size_kb, int node, const char *file)
{
        if (node < 0)
                return xasprintf("sys/kernel/mm/hugepages/hugepages-%llukB/%s",
                                 (unsigned long long)size_kb, file);
        return xasprintf("sys/devices/system/node/node%d/hugepages/hugepages-%llukB/%s", node,
                         (unsigned long long)size_kb, file);
}

static uint64_t read_count(struct kvmtune *k, const char *path, int *err)
{
        char *text;
        uint64_t v = 0;
        int r = kernfs_read(k, path, &text);

        if (r == 0) {
                if (parse_u64(text, &v) < 0)
                        r = -EINVAL;
                free(text);
        }
        if (err)
                *err = r;
        return v;
}

/* Pages of this size on all nodes not listed (they stay and count for the rail). */
static uint64_t pages_on_other_nodes(struct kvmtune *k, const struct pool *p)
{
        DIR *d = kernfs_opendir(k, "sys/devices/system/node");
        struct dirent *de;
        uint64_t sum = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                unsigned node;
                bool listed = false;
                char *path;

                if (sscanf(de->d_name, "node%u", &node) != 1)
                        continue;
                for (size_t i = 0; i < p->n_nodes; i++)
                        listed |= p->nodes[i] == node;
                if (listed)
                        continue;
                path = pool_path(p->size_kb, (int)node, "nr_hugepages");
                sum = add_sat(sum, read_count(k, path, NULL));
                free(path);
        }
        closedir(d);
        return sum;
}

/* nr_hugepages: write, read back what the kernel granted, compact and retry once */
static int pool_grow(struct kvmtune *k, struct setting *s, uint64_t want, uint64_t *granted)
{
        const struct pool_write *w = get_more(s)->data;
        int r, err;

        r = kernfs_write(k, s->path, -1, s->want);
        if (r < 0)
                return r;
        *granted = read_count(k, s->path, &err);
        if (!err && *granted < want && w && w->compact) {
                log_notice(k, &s->at, "hugepages %s: granted %llu of %llu pages, compacting memory and retrying",
                           get_more(s)->name, (unsigned long long)*granted, (unsigned long long)want);
                r = kernfs_write(k, "proc/sys/vm/compact_memory", -1, "1");
                if (r < 0)
                        log_notice(k, &s->at, "cannot compact memory: %s", strerror(-r));
                r = kernfs_write(k, s->path, -1, s->want);
                if (r < 0)
                        return r;
                *granted = read_count(k, s->path, &err);
        }
        return err;
}

static int pool_write_granted(struct kvmtune *k, struct setting *s)
{
        uint64_t want, granted;
        int r;

        if (parse_u64(s->want, &want) < 0)
                return -EINVAL;
        r = pool_grow(k, s, want, &granted);
        if (r < 0)
                return r;
        if (granted < want) {
                setting_set_cur(s, xasprintf("%llu", (unsigned long long)granted));
                setting_fail(k, s, "granted %llu of %llu pages (not enough contiguous free memory)",
                             (unsigned long long)granted, (unsigned long long)want);
                return -ENOMEM;
        }
        return 0;
}

/* reserving many large pages legitimately takes long: no write timeout here */
static int pool_write(struct kvmtune *k, struct setting *s)
{
        unsigned timeout = k->write_timeout;
        int r;

        k->write_timeout = 0;
        r = pool_write_granted(k, s);
        k->write_timeout = timeout;
        return r;
}

static const struct knob_ops pool_knob = { .write = pool_write, .reads_back = true };

/*
 * A pool at = cmdline that the kernel was booted with but granted less of:
 * apply tops it up and tells what it got; a final shortfall is what the
 * memory allows, not an error (verify counts the pool as met).
 */
static int pool_top_up(struct kvmtune *k, struct setting *s)
{
        unsigned timeout = k->write_timeout;
        uint64_t before = 0, want = 0, granted = 0;
        int r;

        if (!s->cur || parse_u64(s->cur, &before) < 0 || parse_u64(s->want, &want) < 0)
                return setting_apply(k, s);
        if (s->orig && revert_note(k, s) < 0) {
                setting_fail(k, s, "not written: the revert record cannot be written");
                return -EIO;
        }
        k->write_timeout = 0;
        r = pool_grow(k, s, want, &granted);
        k->write_timeout = timeout;
        if (r < 0) {
                setting_fail(k, s, "cannot write '%s': %s", s->want, kernfs_strerror(k, r));
                return r;
        }
        if (granted != before) {
                s->changed = true;
                k->n_changes++;
                log_info(k, "hugepages %s: %llu -> %llu", get_more(s)->name,
                         (unsigned long long)before, (unsigned long long)granted);
        } else {
                revert_unnote(k, s);
        }
        setting_set_cur(s, xasprintf("%llu", (unsigned long long)granted));
        if (granted >= want) {
                s->action = ACT_OK;
                setting_set_note(s, NULL);
        } else {
                setting_set_note(s, xasprintf("at = cmdline: granted %llu of %llu pages",
                                              (unsigned long long)granted, (unsigned long long)want));
                log_notice(k, &s->at, "hugepages %s: granted %llu of %llu pages (at = cmdline: the boot's grant, topped up)",
                           get_more(s)->name, (unsigned long long)granted, (unsigned long long)want);
        }
        return 0;
}

static int hugepages_apply(struct kvmtune *k)
{
        size_t from = 0, to = 0;
        int ret = 0;

        for (size_t i = 0; i < k->n_settings; i++)
                if (k->settings[i]->section == SEC_HUGEPAGES) {
                        if (to == 0)
                                from = i;
                        to = i + 1;
                }
        revert_note_batch(k, k->settings + from, to - from, SEC_HUGEPAGES);
        for (size_t i = from; i < to; i++) {
                struct setting *s = k->settings[i];
                const struct pool_write *w = get_more(s)->data;

                if (s->section != SEC_HUGEPAGES || s->action == ACT_REBOOT)
                        continue;       /* reboot: the pool comes with the next boot */
                if (w && w->top_up && s->action == ACT_SET ? pool_top_up(k, s) < 0 : setting_apply(k, s) < 0)
                        ret = -EIO;
        }
        revert_batch_end(k);
        return ret;
}

/*
 * The pool setting of a pool at = cmdline: when the running kernel was not
 * booted with it, "reboot" (nothing is reserved at runtime); when it was and
 * granted less, a top-up that verify counts as met.
 */
static void plan_boot_pool(struct kvmtune *k, struct setting *s, const struct pool *p, uint64_t want,
                           uint64_t default_kb)
{
        uint64_t booted = 0, current = 0;
        char size[32];
        int r = cmdline_running_pool(k, p->size_kb, default_kb, &booted);

        if (s->action != ACT_SET || !s->cur || parse_u64(s->cur, &current) < 0)
                return;
        size_name(p->size_kb, size, sizeof(size));
        if (r <= 0 || booted != want) {
                s->action = ACT_REBOOT;
                setting_set_note(s, xasprintf("at = cmdline: the running kernel was booted without hugepagesz=%s hugepages=%llu",
                                              size, (unsigned long long)want));
        } else if (current < want) {
                ((struct pool_write *)s->more->data)->top_up = true;
                s->verify_met = true;
                setting_set_note(s, xasprintf("at = cmdline: the kernel granted %llu of %llu pages at boot; apply tops up",
                                              (unsigned long long)current, (unsigned long long)want));
        }
}

static struct setting *add_count(struct kvmtune *k, const char *name, char *path, uint64_t want,
                                 struct origin at)
{
        char num[32];
        struct setting *s;
        int r;

        snprintf(num, sizeof(num), "%llu", (unsigned long long)want);
        s = setting_add(k, SEC_HUGEPAGES, name, path, num, at);
        r = setting_read(k, s);
        if (r == -ENOENT)
                setting_fail(k, s, "/%s does not exist", path);
        else if (r < 0)
                setting_fail(k, s, "cannot read: %s", strerror(-r));
        else
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        free(path);
        return s;
}

/* a pool's nr_hugepages (node -1: the size's global file), written with the grant read back */
static struct setting *add_pool(struct kvmtune *k, const struct pool *p, const char *name, int node, uint64_t pages,
                                struct origin at, uint64_t default_kb)
{
        struct setting *s = add_count(k, name, pool_path(p->size_kb, node, "nr_hugepages"), pages, at);

        if (p->size_kb == default_kb)   /* per node too: vm.nr_hugepages would respread it */
                set_more(s)->claim = "proc/sys/vm/nr_hugepages";
        set_more(s)->knob = &pool_knob;
        set_more(s)->data = xcalloc(1, sizeof(struct pool_write));
        ((struct pool_write *)s->more->data)->compact = p->compact;
        return s;
}

static void plan_pool(struct kvmtune *k, const struct pool *p, uint64_t want, bool refused,
                      const char *why, uint64_t default_kb)
{
        char size[32], mem[32], name[64];
        size_t nn = p->n_nodes ? p->n_nodes : 1;

        size_name(p->size_kb, size, sizeof(size));
        for (size_t i = 0; p->amount != AMOUNT_NONE && i < nn; i++) {
                uint64_t share = p->n_nodes ? want / nn + (i < want % nn) : want;
                struct setting *s;

                if (p->n_nodes)
                        snprintf(name, sizeof(name), "%s pages node%u", size, p->nodes[i]);
                else
                        snprintf(name, sizeof(name), "%s pages", size);
                s = add_pool(k, p, name, p->n_nodes ? (int)p->nodes[i] : -1, share, p->amount_at, default_kb);
                if (s->action == ACT_ERROR)
                        continue;
                if (refused) {
                        s->action = ACT_ERROR;
                        setting_set_note(s, xstrdup(why));
                } else if (p->at_cmdline) {
                        plan_boot_pool(k, s, p, want, default_kb);
                } else if (!setting_note(s)) {
                        setting_set_note(s, xasprintf("%s", pages_mem(share, p->size_kb, true, mem, sizeof(mem))));
                }
        }
        if (p->has_overcommit) {
                struct setting *s;
                snprintf(name, sizeof(name), "%s overcommit", size);
                s = add_count(k, name, pool_path(p->size_kb, -1, "nr_overcommit_hugepages"),
                              p->overcommit, p->overcommit_at);
                if (p->size_kb == default_kb)
                        set_more(s)->claim = "proc/sys/vm/nr_overcommit_hugepages";
        }
}

/* the memory that the pools after pools[i] (smaller sizes) hold now: they count until checked */
static uint64_t held_after(struct kvmtune *k, const struct hugepages_state *st, size_t i)
{
        uint64_t kb = 0;

        for (size_t j = i + 1; j < st->n; j++) {
                char *path = pool_path(st->pools[j].size_kb, -1, "nr_hugepages");
                kb = add_sat(kb, mul_sat(read_count(k, path, NULL), st->pools[j].size_kb));
                free(path);
        }
        return kb;
}

/* the NUMA nodes with a pool of this size, ascending; their number */
static size_t pool_nodes(struct kvmtune *k, uint64_t size_kb, unsigned **v)
{
        DIR *d = kernfs_opendir(k, "sys/devices/system/node");
        struct dirent *de;
        size_t n = 0;

        *v = NULL;
        while (d && (de = readdir(d))) {
                unsigned node;
                char *path, end;

                if (sscanf(de->d_name, "node%u%c", &node, &end) != 1)
                        continue;
                path = pool_path(size_kb, (int)node, "nr_hugepages");
                if (kernfs_probe(k, path) > 0) {
                        size_t at = n;
                        *v = xgrow(*v, n, sizeof(**v));
                        while (at > 0 && (*v)[at - 1] > node) {
                                (*v)[at] = (*v)[at - 1];
                                at--;
                        }
                        (*v)[at] = node;
                        n++;
                }
                free(path);
        }
        if (d)
                closedir(d);
        return n;
}

/* what node.N / node.* give node (true: *pages, *at set); false: not configured */
static bool node_wanted(const struct pool *p, unsigned node, uint64_t *pages, struct origin *at)
{
        for (size_t i = 0; i < p->n_per_node; i++)
                if (p->per_node[i].node == node) {
                        *pages = p->per_node[i].pages;
                        *at = p->per_node[i].at;
                        return true;
                }
        *pages = p->all_pages;
        *at = p->all_at;
        return p->all_nodes;
}

/*
 * A pool given per node (node.N, node.*): each node's file set to its count,
 * the nodes not configured left as they are (and counted for the rail).
 * Returns the memory the pool holds for the rail after it.
 */
static uint64_t plan_per_node(struct kvmtune *k, const struct pool *p, uint64_t current, uint64_t room_kb,
                              uint64_t default_kb)
{
        char size[32], mem[32], name[64], a[32], b[32];
        uint64_t total = 0, pages;
        unsigned *nodes;
        size_t n = pool_nodes(k, p->size_kb, &nodes);
        struct origin at;
        char *why = NULL;

        size_name(p->size_kb, size, sizeof(size));
        for (size_t i = 0; i < p->n_per_node; i++) {
                bool found = false;

                for (size_t j = 0; j < n; j++)
                        found |= nodes[j] == p->per_node[i].node;
                if (!found)
                        log_error(k, &p->per_node[i].at, "hugepages %s node.%u: this system has no node %u with %s "
                                  "pages (no /sys/devices/system/node/node%u/hugepages/hugepages-%llukB)", size,
                                  p->per_node[i].node, p->per_node[i].node, size, p->per_node[i].node,
                                  (unsigned long long)p->size_kb);
        }
        for (size_t j = 0; j < n; j++) {
                char *path = pool_path(p->size_kb, (int)nodes[j], "nr_hugepages");
                total = add_sat(total, node_wanted(p, nodes[j], &pages, &at) ? pages : read_count(k, path, NULL));
                free(path);
        }
        if (total > current && !p->force && mul_sat(total, p->size_kb) > room_kb) {
                why = xasprintf("refused by the reserve rail: %llu pages (%s) on the nodes together would leave less "
                                "than the reserve to the host (room for %s); say force = yes to allow",
                                (unsigned long long)total, pages_mem(total, p->size_kb, false, a, sizeof(a)),
                                human_kb(room_kb, b, sizeof(b)));
                log_error(k, p->all_nodes ? &p->all_at : &p->per_node[0].at, "hugepages %s: %s", size, why);
        }
        for (size_t j = 0; j < n; j++) {
                struct setting *s;

                if (!node_wanted(p, nodes[j], &pages, &at))
                        continue;
                snprintf(name, sizeof(name), "%s pages node%u", size, nodes[j]);
                s = add_pool(k, p, name, (int)nodes[j], pages, at, default_kb);
                if (s->action == ACT_ERROR)
                        continue;
                if (why) {
                        s->action = ACT_ERROR;
                        setting_set_note(s, xstrdup(why));
                } else {
                        setting_set_note(s, xasprintf("%s", pages_mem(pages, p->size_kb, true, mem, sizeof(mem))));
                }
        }
        free(why);
        free(nodes);
        return why ? current : total;
}

/* node.N / node.* exclude pages, memory, nodes and at = cmdline (the pool is given per node) */
static bool per_node_conflict(struct kvmtune *k, const struct pool *p)
{
        const struct origin *at = p->all_nodes ? &p->all_at : &p->per_node[0].at;
        char size[32];

        size_name(p->size_kb, size, sizeof(size));
        if (p->amount != AMOUNT_NONE || p->n_nodes || p->at_cmdline) {
                const struct origin *o = p->amount != AMOUNT_NONE ? &p->amount_at : p->n_nodes ? &p->nodes_at : at;
                log_error(k, at, "hugepages %s: node.N gives the pool per node, which excludes pages, memory, nodes "
                          "and at = cmdline (%s:%u)", size, o->file, o->line);
                return true;
        }
        return false;
}

static int hugepages_plan(struct kvmtune *k)
{
        struct hugepages_state *st = k->state[SEC_HUGEPAGES];
        uint64_t memtotal_kb, reserve_kb, used_kb = 0, default_kb = 0;
        char a[32], b[32], c[32];

        if (!st || !st->n)
                return 0;
        st->planned = true;
        if (meminfo_kb(k, "MemTotal", &memtotal_kb) < 0) {
                log_error(k, &st->pools[0].at, "hugepages: cannot read MemTotal from /proc/meminfo");
                return -EIO;
        }
        meminfo_kb(k, "Hugepagesize", &default_kb);
        if (st->reserve) {
                uint64_t bytes = 0;
                parse_size_or_percent(st->reserve, memtotal_kb * 1024, &bytes);
                reserve_kb = bytes / 1024;
        } else {
                reserve_kb = memtotal_kb / 10;
                if (reserve_kb < 512 * 1024)
                        reserve_kb = 512 * 1024;
        }
        qsort(st->pools, st->n, sizeof(*st->pools), cmp_pool);

        /* pools of sizes not configured here still take memory */
        DIR *d = kernfs_opendir(k, "sys/kernel/mm/hugepages");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                unsigned long long kb;
                bool configured = false;
                char *path;

                if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
                        continue;
                for (size_t i = 0; i < st->n; i++)
                        configured |= st->pools[i].size_kb == kb;   /* counted below */
                if (configured)
                        continue;
                path = pool_path(kb, -1, "nr_hugepages");
                used_kb = add_sat(used_kb, mul_sat(read_count(k, path, NULL), kb));
                free(path);
        }
        if (d)
                closedir(d);

        for (size_t i = 0; i < st->n; i++) {
                const struct pool *p = &st->pools[i];
                uint64_t want = p->pages, current, total;
                char *dir = pool_path(p->size_kb, -1, "nr_hugepages");
                bool refused = false;
                char *why = NULL;
                int err;

                current = read_count(k, dir, &err);
                free(dir);
                if (err == -ENOENT) {
                        log_error(k, &p->at, "hugepages: page size %s is not offered by this CPU/kernel",
                                  size_name(p->size_kb, a, sizeof(a)));
                        continue;
                }
                if (p->at_cmdline && p->n_nodes) {
                        log_error(k, &p->nodes_at, "hugepages %s: at = cmdline takes no nodes (the kernel spreads a boot pool itself)",
                                  size_name(p->size_kb, a, sizeof(a)));
                        continue;
                }
                if (p->all_nodes || p->n_per_node) {
                        uint64_t held = add_sat(add_sat(used_kb, held_after(k, st, i)), reserve_kb);

                        if (per_node_conflict(k, p))
                                continue;
                        held = plan_per_node(k, p, current, memtotal_kb > held ? memtotal_kb - held : 0, default_kb);
                        used_kb = add_sat(used_kb, mul_sat(held, p->size_kb));
                        plan_pool(k, p, 0, false, NULL, default_kb);    /* overcommit */
                        continue;
                }
                if (p->amount == AMOUNT_NONE) {
                        used_kb = add_sat(used_kb, mul_sat(current, p->size_kb));
                        plan_pool(k, p, 0, false, NULL, default_kb);
                        continue;
                }
                if (p->amount == AMOUNT_MEMORY) {
                        uint64_t bytes = 0;
                        parse_size_or_percent(p->memory, memtotal_kb * 1024, &bytes);
                        want = bytes / 1024 / p->size_kb;
                }
                total = add_sat(want, p->n_nodes ? pages_on_other_nodes(k, p) : 0);
                if (total > current && !p->force &&
                    add_sat(add_sat(add_sat(used_kb, held_after(k, st, i)), mul_sat(total, p->size_kb)),
                            reserve_kb) > memtotal_kb) {
                        refused = true;
                        why = xasprintf("refused by the reserve rail: %llu pages (%s) would leave less than %s of %s MemTotal to the host; say force = yes to allow",
                                        (unsigned long long)total,
                                        pages_mem(total, p->size_kb, false, a, sizeof(a)),
                                        human_kb(reserve_kb, b, sizeof(b)),
                                        human_kb(memtotal_kb, c, sizeof(c)));
                        log_error(k, &p->amount_at, "hugepages %s: %s", size_name(p->size_kb, a, sizeof(a)), why);
                        used_kb = add_sat(used_kb, mul_sat(current, p->size_kb));
                } else {
                        used_kb = add_sat(used_kb, mul_sat(total, p->size_kb));
                        if (p->at_cmdline) {
                                st->boot = xrealloc_array(st->boot, st->n_boot + 1, sizeof(*st->boot));
                                st->boot[st->n_boot++] = (struct boot_pool){ p->size_kb, want, p->amount_at };
                        }
                }
                plan_pool(k, p, want, refused, why, default_kb);
                free(why);
        }
        return 0;
}

bool hugepages_boot_pools(struct kvmtune *k, const struct boot_pool **v, size_t *n)
{
        struct hugepages_state *st = k->state[SEC_HUGEPAGES];

        *v = st ? st->boot : NULL;
        *n = st ? st->n_boot : 0;
        return section_enabled(k, SEC_HUGEPAGES) && (!st || st->planned || !st->n);
}

static void hugepages_free(struct kvmtune *k)
{
        struct hugepages_state *st = k->state[SEC_HUGEPAGES];

        if (!st)
                return;
        for (size_t i = 0; i < st->n; i++) {
                free(st->pools[i].memory);
                free(st->pools[i].nodes);
                free(st->pools[i].per_node);
        }
        free(st->pools);
        free(st->boot);
        free(st->reserve);
        free(st);
        k->state[SEC_HUGEPAGES] = NULL;
}

const struct section_ops hugepages_section = {
        .name = "hugepages",
        .subsection = SUB_OPTIONAL,
        .parse = hugepages_parse,
        .check_sub = hugepages_check_sub,
        .plan = hugepages_plan,
        .apply = hugepages_apply,
        .free = hugepages_free,
};
