/* SPDX-License-Identifier: MIT */
/*
 * [sysctl]: KEY = VALUE as in sysctl.d.  Globs in key components, a leading
 * '-' for keys this kernel may lack, explicit keys beating globs, and the
 * net.ipv{4,6}.conf.{all,default} keys written before per-interface ones.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../kvmtune.h"

/* One configured key: 32 bytes, as 10,000 lines make 10,000 of these. */
struct sysctl_entry {
        char *full;             /* "proc/sys/net/ipv4/conf/all/rp_filter", in st->strings */
        char *value;            /* NULL: an exclusion ('-KEY') */
        const char *file;       /* the line's origin: entry_at() */
        unsigned line;
        bool ignore_missing : 1;
        bool glob : 1;
};

#define PROC_SYS_LEN 9          /* strlen("proc/sys/") */

/* the key's path relative to /proc/sys */
static const char *entry_path(const struct sysctl_entry *e)
{
        return e->full + PROC_SYS_LEN;
}

static struct origin entry_at(const struct sysctl_entry *e)
{
        return (struct origin){ e->file, e->line };
}

/* path -> entry: open addressing over entry numbers + 1 (0: empty), 4 bytes a slot */
struct entry_index {
        uint32_t *slot;
        size_t cap;             /* a power of two */
};

struct sysctl_state {
        struct sysctl_entry *e;
        size_t n, cap;
        struct entry_index index;
        struct strmap listings; /* directory -> struct listing, for globs */
        struct arena strings;   /* paths and values: the settings point into them */
        struct strmap values;   /* short values, kept once: 10,000 lines set a few values */
};

/* One directory's matching-relevant entries, read once per plan. */
struct listing {
        char *dir;
        char *text;             /* type letter ('f' file, 'd' dir, '?') + name + NUL, one after another */
        size_t *names;          /* offsets into text, sorted by name */
        size_t n;
};

static struct sysctl_state *state(struct kvmtune *k)
{
        if (!k->state[SEC_SYSCTL])
                k->state[SEC_SYSCTL] = xcalloc(1, sizeof(struct sysctl_state));
        return k->state[SEC_SYSCTL];
}

static uint32_t *index_slot(const struct sysctl_state *st, const char *path)
{
        size_t mask = st->index.cap - 1, i = strmap_hash(path) & mask;
        uint32_t *v = st->index.slot;

        while (v[i] && strcmp(entry_path(&st->e[v[i] - 1]), path))
                i = (i + 1) & mask;
        return &v[i];
}

static struct sysctl_entry *entry_find(const struct sysctl_state *st, const char *path)
{
        uint32_t n = st && st->index.cap ? *index_slot(st, path) : 0;

        return n ? &st->e[n - 1] : NULL;
}

/* index the last entry (st->n); the table, at most 3/4 full, is rebuilt from the entries */
static void index_last(struct sysctl_state *st)
{
        if (4 * st->n > 3 * st->index.cap) {
                free(st->index.slot);
                st->index.cap = st->index.cap ? 2 * st->index.cap : 64;
                st->index.slot = xcalloc(st->index.cap, sizeof(*st->index.slot));
                for (size_t i = 0; i + 1 < st->n; i++)
                        *index_slot(st, entry_path(&st->e[i])) = (uint32_t)(i + 1);
        }
        *index_slot(st, entry_path(&st->e[st->n - 1])) = (uint32_t)st->n;
}

/*
 * Validate a key and turn it into a path below /proc/sys.  As in sysctl.d,
 * when the first separator is '/', dots are part of names (eth0.100);
 * otherwise '.' separates and '/' stands for a literal dot.
 */
char *sysctl_key_to_path(const char *key)
{
        size_t len = strlen(key), sep;
        char *path;

        if (len == 0 || len > 255 || strstr(key, ".."))
                return NULL;
        /*
         * Printable ASCII without whitespace: every character an interface
         * name may hold (the kernel refuses only '/', ':' and whitespace
         * there; '+', '@' and the like occur), and fnmatch(3)'s *, ? and [...].
         * Not ':' or '=', where a key = value line splits, nor a first
         * character that makes the line a section header or a comment: a
         * key import prints must read back as that key.
         */
        for (const char *c = key; *c; c++)
                if (*c <= ' ' || *c >= 0x7f || *c == ':' || *c == '=')
                        return NULL;
        if (strchr("[#;", key[0]))
                return NULL;
        path = xstrdup(key);
        sep = strcspn(key, "./");
        if (key[sep] == '.')
                for (char *p = path; *p; p++)
                        *p = *p == '.' ? '/' : *p == '/' ? '.' : *p;
        /* no empty, "." or ".." component */
        for (const char *c = path; *c;) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && *c == '.')) {
                        free(path);
                        return NULL;
                }
                c += n;
                if (*c == '/' && !*++c) {
                        free(path);
                        return NULL;
                }
        }
        return path;
}

/* A key's path ("proc/sys/net/ipv4/conf/all/rp_filter", len bytes), kept in st->strings. */
static char *kept_path(struct sysctl_state *st, const char *procpath, size_t len)
{
        char *p = arena_stralloc(&st->strings, len + 1);

        memcpy(p, procpath, len);
        p[len] = '\0';
        return p;
}

/*
 * The auto-load rules: net.netfilter.nf_conntrack_* and net.nf_conntrack_max
 * need nf_conntrack, net.bridge.* br_netfilter, and
 * net.ipv4.tcp_congestion_control = X needs tcp_X unless X is available.
 */
const char *sysctl_module_for(const char *path, const char *value, char *buf, size_t size)
{
        if (!strncmp(path, "net/netfilter/nf_conntrack_", 27) || !strcmp(path, "net/nf_conntrack_max"))
                return "nf_conntrack";
        if (!strncmp(path, "net/bridge/", 11))
                return "br_netfilter";
        if (!strcmp(path, "net/ipv4/tcp_congestion_control") && value) {
                size_t n;

                value += strspn(value, " \t");
                n = strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_");
                if (n == 0 || value[n + strspn(value + n, " \t")] != '\0')
                        return NULL;
                if ((size_t)snprintf(buf, size, "tcp_%.*s", (int)n, value) >= size)
                        return NULL;
                return buf;
        }
        return NULL;
}

/* what tells that the module is there without /sys/module/NAME */
static const char *module_provides(const char *module)
{
        if (!strcmp(module, "nf_conntrack"))
                return "proc/sys/net/netfilter/nf_conntrack_max";
        if (!strcmp(module, "br_netfilter"))
                return "proc/sys/net/bridge";
        return NULL;
}

/* Modules load before sysctls are planned, so needs are known at parse time. */
static void register_need(struct kvmtune *k, const struct sysctl_entry *e, const char *key)
{
        char buf[80], *req;
        const char *module = e->value ? sysctl_module_for(entry_path(e), e->value, buf, sizeof(buf)) : NULL;

        if (!module && !k->n_needs)
                return;         /* nothing to set, nothing an earlier line set to drop */
        req = xasprintf("sysctl %s", entry_path(e));
        if (!module) {
                module_need_drop(k, req);
        } else {
                struct module_need *n = module_need_set(k, req, module, entry_at(e));
                const char *provides = module_provides(module);

                n->why = xasprintf("sysctl %s", key);
                n->soft = e->ignore_missing;
                if (provides)
                        n->provides = xstrdup(provides);
                if (!strncmp(module, "tcp_", 4))
                        n->cc = xstrdup(module + 4);
        }
        free(req);
}

/*
 * Files below /proc/sys whose write is an action, not a setting (path
 * relative to /proc/sys): configured, they would fire on every apply and
 * could never verify.
 */
bool sysctl_is_trigger(const char *path)
{
        static const char *const triggers[] = {
                "vm/drop_caches", "vm/compact_memory", "vm/stat_refresh",
                "net/ipv4/route/flush", "net/ipv6/route/flush",
        };

        for (size_t i = 0; i < sizeof(triggers) / sizeof(*triggers); i++)
                if (!strcmp(path, triggers[i]))
                        return true;
        return false;
}

const char *sysctl_configured(struct kvmtune *k, const char *path)
{
        const struct sysctl_entry *e = entry_find(k->state[SEC_SYSCTL], path);

        return e ? e->value : NULL;
}

/*
 * The blank-separated fields of s as decimal integers: how many there are,
 * or -1 when one is not an integer.  *plain, when given, says that no field
 * has a leading 0 (each is stored as written; "010" is octal to the kernel).
 */
static int integer_fields(const char *s, bool *plain)
{
        int n = 0;

        if (plain)
                *plain = true;
        for (;;) {
                s += strspn(s, " \t");
                if (!*s)
                        return n;
                s += *s == '-';
                if (*s < '0' || *s > '9')
                        return -1;
                if (plain && *s == '0' && s[1] >= '0' && s[1] <= '9')
                        *plain = false;
                s += strspn(s, "0123456789");
                if (*s && *s != ' ' && *s != '\t')
                        return -1;
                n++;
        }
}

static int sysctl_parse(struct kvmtune *k, const char *sub, const char *key,
                        const char *value, struct origin at)
{
        struct sysctl_state *st = state(k);
        struct sysctl_entry *e;
        bool ignore = false;
        char *path;

        (void)sub;
        if (*key == '-') {
                ignore = true;
                key++;
        }
        path = sysctl_key_to_path(key);
        if (!path) {
                log_error(k, &at, "invalid sysctl key '%s'", key);
                return -EINVAL;
        }
        if (!value && !ignore) {
                log_error(k, &at, "syntax error: expected 'key = value' (only '-KEY' excludes a key)");
                free(path);
                return -EINVAL;
        }
        if (!value && strpbrk(path, "*?[")) {
                log_error(k, &at, "sysctl -%s: an exclusion names one key, not a glob", key);
                free(path);
                return -EINVAL;
        }
        if (value && !*value) {
                log_error(k, &at, "sysctl %s: empty value", key);
                free(path);
                return -EINVAL;
        }
        enum bound bound;
        const char *num = value ? value_bound(value, &bound) : NULL;
        if (value && bound && integer_fields(num, NULL) != 1) {
                log_error(k, &at, "sysctl %s: '%.2s' takes one decimal number, not '%s'", key, value, num);
                free(path);
                return -EINVAL;
        }
        if (sysctl_is_trigger(path)) {
                log_error(k, &at, "sysctl %s: writing it is an action (it fires on every write), not a setting; "
                          "not applied%s", key, !strcmp(path, "vm/compact_memory") ?
                          " ([hugepages] compacts by itself when a pool falls short)" : "");
                free(path);
                return -EINVAL;
        }
        e = entry_find(st, path);
        if (e) {
                /* later wins; the earlier position is kept */
                free(path);
        } else {
                size_t len = strlen(path);

                if (st->n == st->cap) {
                        st->cap = st->cap ? 2 * st->cap : 16;
                        st->e = xrealloc_array(st->e, st->cap, sizeof(*st->e));
                }
                e = &st->e[st->n++];
                /* kept with its /proc/sys prefix: plan's settings point at it, no copy */
                e->full = arena_stralloc(&st->strings, PROC_SYS_LEN + len + 1);
                memcpy(e->full, "proc/sys/", PROC_SYS_LEN);
                memcpy(e->full + PROC_SYS_LEN, path, len + 1);
                free(path);
                index_last(st);
        }
        /* an exclusion ('-KEY', no value): this key is neither set nor matched by a glob */
        e->value = value ? arena_intern(&st->strings, &st->values, value) : NULL;
        e->file = at.file;
        e->line = at.line;
        e->ignore_missing = ignore;
        e->glob = strpbrk(entry_path(e), "*?[") != NULL;
        register_need(k, e, key);
        return 0;
}

static bool is_all_or_default(const char *path)
{
        return (!strncmp(path, "net/ipv4/conf/", 14) || !strncmp(path, "net/ipv6/conf/", 14)) &&
               (!strncmp(path + 14, "all/", 4) || !strncmp(path + 14, "default/", 8));
}

/*
 * Keys whose write the kernel copies into other keys (crosswrite.c), in
 * the order they are written: 0 net.ipv4.ip_forward and
 * conf.all.forwarding (one value), which rewrite default's and every
 * interface's forwarding and conf.all.accept_redirects; 1 the other
 * conf.all.*, some copied into default and the interfaces (IPv6); 2
 * conf.default.*, copied into every interface that never had the
 * attribute written; 3 everything else.
 */
#define LEVEL_PLAIN 3

static int write_level(const char *path)
{
        if (!strcmp(path, "net/ipv4/ip_forward") || !strcmp(path, "net/ipv4/conf/all/forwarding"))
                return 0;
        if (!is_all_or_default(path))
                return LEVEL_PLAIN;
        return !strncmp(path + 14, "all/", 4) ? 1 : 2;
}

/* directory entries carry a one-letter type prefix: sort by name */
static int cmp_entry(const void *a, const void *b, void *text)
{
        return strcmp((char *)text + *(const size_t *)a + 1, (char *)text + *(const size_t *)b + 1);
}

static struct listing *listing_get(struct kvmtune *k, struct sysctl_state *st, const char *dir)
{
        struct listing *l = strmap_get(&st->listings, dir);
        size_t used = 0, room = 0, cap = 0;
        struct dirent *de;
        bool found;
        DIR *d;

        if (l)
                return l;
        l = xcalloc(1, sizeof(*l));
        l->dir = xstrdup(dir);
        *strmap_slot(&st->listings, l->dir, &found) = l;
        d = kernfs_opendir(k, dir);
        if (!d)
                return l;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (de->d_name[0] == '.')
                        continue;
                if (used + len + 2 > room) {
                        room = (used + len + 2) * 2;
                        l->text = xrealloc_array(l->text, room, 1);
                }
                if (l->n == cap) {
                        cap = cap ? cap * 2 : 16;
                        l->names = xrealloc_array(l->names, cap, sizeof(*l->names));
                }
                l->names[l->n++] = used;
                l->text[used] = de->d_type == DT_REG ? 'f' : de->d_type == DT_DIR ? 'd' : '?';
                memcpy(l->text + used + 1, de->d_name, len + 1);
                used += len + 2;
        }
        closedir(d);
        if (l->n)
                qsort_r(l->names, l->n, sizeof(*l->names), cmp_entry, l->text);
        return l;
}

static void listings_free(struct sysctl_state *st)
{
        for (size_t i = 0; i < st->listings.cap; i++) {
                struct listing *l = st->listings.slots[i].value;
                if (!l)
                        continue;
                free(l->text);
                free(l->names);
                free(l->dir);
                free(l);
        }
        strmap_free(&st->listings);
}

/* a glob's matches: kept_path()s */
struct matches {
        char **v;
        size_t n, cap;
};

static void match_add(struct matches *m, char *path)
{
        if (m->n == m->cap) {
                m->cap = m->cap ? 2 * m->cap : 16;
                m->v = xrealloc_array(m->v, m->cap, sizeof(*m->v));
        }
        m->v[m->n++] = path;
}

/*
 * Expand one glob path (relative to /proc/sys) into existing files, each
 * added to out.  dir is a buffer of PATH_MAX bytes
 * holding the directory reached so far, len bytes long.
 */
static void expand(struct kvmtune *k, struct sysctl_state *st, char *dir, size_t len, const char *pattern,
                   struct matches *out)
{
        size_t clen = strcspn(pattern, "/");
        const char *rest = pattern[clen] ? pattern + clen + 1 : NULL;
        const struct listing *l;
        struct stat stbuf;
        char comp[256];

        if (clen >= sizeof(comp) || len + 1 + clen >= PATH_MAX)
                return;         /* no such key: sysctl_key_to_path() allows 255 bytes */
        memcpy(comp, pattern, clen);
        comp[clen] = '\0';
        if (!strpbrk(comp, "*?[")) {
                dir[len] = '/';
                memcpy(dir + len + 1, comp, clen + 1);
                if (rest)
                        expand(k, st, dir, len + 1 + clen, rest, out);
                else {
                        /* a literal key below a glob: whether it exists, the read tells */
                        match_add(out, kept_path(st, dir, len + 1 + clen));
                }
                dir[len] = '\0';
                return;
        }
        l = listing_get(k, st, dir);
        for (size_t i = 0; i < l->n; i++) {
                const char *name = l->text + l->names[i] + 1, type = name[-1];
                size_t nlen;

                if (fnmatch(comp, name, 0))
                        continue;
                /* at the leaf, directories are not keys; d_type saves a stat per match */
                if (!rest && type == 'd')
                        continue;
                nlen = strlen(name);
                if (len + 1 + nlen >= PATH_MAX)
                        continue;
                dir[len] = '/';
                memcpy(dir + len + 1, name, nlen + 1);
                if (rest)
                        expand(k, st, dir, len + 1 + nlen, rest, out);
                else if (type == 'f' || (kernfs_stat(k, dir, &stbuf) == 0 && S_ISREG(stbuf.st_mode))) {
                        match_add(out, kept_path(st, dir, len + 1 + nlen));
                }
                dir[len] = '\0';
        }
}

/* expand() from /proc/sys */
static void expand_glob(struct kvmtune *k, struct sysctl_state *st, const char *pattern, struct matches *out)
{
        char dir[PATH_MAX] = "proc/sys";

        out->n = 0;
        expand(k, st, dir, strlen(dir), pattern, out);
}

/* the need of a setting whose key or value waits for a module, else NULL */
static const struct module_need *pending_need(struct kvmtune *k, const struct setting *s)
{
        char buf[80];
        const char *module = sysctl_module_for(s->path + strlen("proc/sys/"), s->want, buf, sizeof(buf));

        return module ? module_need_find(k, module) : NULL;
}

/* A key or congestion control that a module will provide: set pending the load. */
static bool plan_pending(struct kvmtune *k, struct setting *s, bool missing)
{
        const struct module_need *n = pending_need(k, s);
        char *avail = NULL;

        if (!n)
                return false;
        if (!missing) {
                /* the key exists; only an unavailable congestion control waits */
                if (!n->cc)
                        return false;
                if (kernfs_read(k, "proc/sys/net/ipv4/tcp_available_congestion_control", &avail) == 0) {
                        bool have = false;
                        char *save = NULL;
                        for (char *w = strtok_r(avail, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                                if (!strcmp(w, n->cc))
                                        have = true;
                        free(avail);
                        if (have)
                                return false;
                }
        }
        switch (n->state) {
        case NEED_LOAD:
        case NEED_REPORTED:
        case NEED_PENDING:
                s->action = ACT_SET;
                setting_set_note(s, xasprintf("after loading %s", n->module));
                free(set_more(s)->data);
                s->more->data = xstrdup(n->module);
                return true;
        case NEED_FAILED:
                if (n->soft)
                        setting_skip(s, "module %s: %s", n->module, n->error ? n->error : "cannot be loaded");
                else if (n->cc)
                        setting_fail(k, s, "%s is not available: module %s: %s", n->cc, n->module,
                                     n->error ? n->error : "cannot be loaded");
                else
                        setting_fail(k, s, "needs module %s: %s", n->module,
                                     n->error ? n->error : "cannot be loaded");
                return true;
        case NEED_NOT_LOADING:
                setting_skip(s, "needs module %s, which is not loaded ([conntrack] load = no)", n->module);
                return true;
        default:
                return false;
        }
}

/* "proc/sys/net/ipv4/conf/IF/ATTR" -> "ipv4/ATTR"; NULL for other keys */
static const char *conf_attr(const char *procpath, char *buf, size_t size)
{
        const char *attr;

        if (strncmp(procpath, "proc/sys/net/ipv4/conf/", 23) && strncmp(procpath, "proc/sys/net/ipv6/conf/", 23))
                return NULL;
        attr = strchr(procpath + 23, '/');
        if (!attr || strchr(attr + 1, '/') || 4 + strlen(attr) >= size)
                return NULL;
        memcpy(buf, procpath + 13, 4);
        strcpy(buf + 4, attr);
        return buf;
}

/* conf_attr() for ip_forward too, which is conf.all.forwarding */
static const char *written_attr(const char *procpath, char *buf, size_t size)
{
        if (!strcmp(procpath, "proc/sys/net/ipv4/ip_forward"))
                return "ipv4/forwarding";
        return conf_attr(procpath, buf, size);
}

/*
 * What the kernel stores for an integer value: its sysctl handlers parse
 * numbers in base 0, so "0x1e" is 30.  NULL when want is stored as written
 * or is not a list of integers.  A field with a leading 0 is octal to the
 * kernel ("010" is 8): *octal is set, since that is rarely what was meant.
 */
static char *stored_integers(const char *want, bool *octal)
{
        char *out, *copy, *save = NULL;
        bool differs = false, as_written;

        *octal = false;
        if (integer_fields(want, &as_written) >= 0 && as_written)
                return NULL;            /* the common case: nothing to convert */
        out = xstrdup("");
        copy = xstrdup(want);
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                const char *digits = w + (*w == '-');
                char *end, *next;
                long long v;

                if (*digits < '0' || *digits > '9')
                        goto plain;
                errno = 0;
                v = strtoll(w, &end, 0);
                if (*end || errno)
                        goto plain;
                if (digits[0] == '0' && digits[1] && digits[1] != 'x' && digits[1] != 'X')
                        *octal = true;
                next = xasprintf("%s%s%lld", out, *out ? " " : "", v);
                differs |= strcmp(next + strlen(out) + !!*out, w) != 0;
                free(out);
                out = next;
        }
        free(copy);
        if (differs)
                return out;
        free(out);
        return NULL;
plain:
        free(copy);
        free(out);
        *octal = false;
        return NULL;
}

/* What a key's read (r: 0 or -errno, s->cur) means: ok, set, wait for a module, skip or fail. */
static void plan_eval(struct kvmtune *k, struct setting *s, int r)
{
        if (r == 0 && s->bound && integer_fields(s->cur, NULL) != 1) {
                setting_fail(k, s, "'%s%s' is for keys that hold one number; this one holds '%s'",
                             bound_prefix(s->bound), s->want, s->cur);
                setting_close(s);
                return;
        }
        if (r == 0 && integer_fields(s->cur, NULL) > 0) {
                bool octal;
                char *stored = stored_integers(s->want, &octal);

                if (stored) {
                        free(set_more(s)->stored);
                        s->more->stored = stored;
                }
                if (octal) {
                        setting_fail(k, s, "'%s' is octal to the kernel, which would store %s; "
                                     "write it without the leading 0 (or as 0x...)", s->want, s->more->stored);
                        setting_close(s);
                        return;
                }
        }
        if (r == 0 && setting_equal(s, s->cur))
                s->action = ACT_OK;
        else if (r == 0 && plan_pending(k, s, false))
                ;
        else if (r == 0)
                s->action = ACT_SET;
        else if (r == -ENOENT && plan_pending(k, s, true))
                ;
        else if (r == -EACCES || r == -EPERM)
                setting_set_note(s, xstrdup("write-only"));
        else if (r == -ENOENT && s->missing_ok)
                setting_skip(s, "not present on this kernel");
        else if (s->optional && (r == -ENOENT || r == -ENOTDIR || r == -ELOOP))
                setting_skip(s, "not present");         /* the glob's match is no key */
        else if (r == -ENOENT)
                setting_fail(k, s, "no such key on this kernel");
        else
                setting_fail(k, s, "cannot read: %s", strerror(-r));
        /* only what apply may write keeps its file open: fewer open files at once */
        if (s->action != ACT_SET && !s->recheck)
                setting_close(s);
}

static struct setting *plan_add(struct kvmtune *k, const char *procpath, const struct sysctl_entry *e,
                                bool from_glob)
{
        /* procpath lives in st->strings until the end; the name is made of it (setting_name()) */
        struct setting *s = setting_add_ref(k, SEC_SYSCTL, NULL, procpath, e->value, entry_at(e));

        s->order = write_level(procpath + strlen("proc/sys/"));
        s->affects_others = s->order < LEVEL_PLAIN;
        s->optional = from_glob;        /* a glob's match may lack the key */
        s->missing_ok = e->ignore_missing;
        return s;
}

/* A later glob's value for a key an earlier one matched: it wins, at the earlier place. */
static void plan_retake(struct setting *s, const struct sysctl_entry *e)
{
        enum bound bound;

        s->want = value_bound(e->value, &bound);
        s->bound = (unsigned char)bound;
        s->at = entry_at(e);
        s->missing_ok = e->ignore_missing;
}

/*
 * written: the conf attributes ("ipv4/rp_filter") whose all, default or
 * ip_forward key this run may write, decided before.  The kernel copies
 * those writes into default and interfaces, so their keys are read again
 * at apply, after them.
 *
 * Under apply, a key nothing copies into and that waits for no module is
 * not read here: apply reads, writes and reads it back a chunk at a time
 * (see apply_deferred()), while the kernel's objects for it are still in
 * the cache.
 */
static void plan_decide(struct kvmtune *k, struct setting *s, const struct strmap *written)
{
        char buf[128];
        const char *attr;

        /* read again at apply when a key written before it copies into it */
        s->recheck = s->order > 0 && written && written->n &&
                     (attr = written_attr(s->path, buf, sizeof(buf))) && strmap_get(written, attr);
        if (sysctl_is_trigger(s->path + strlen("proc/sys/"))) {
                setting_skip(s, "an action, not a setting: never written by a glob");
                return;
        }
        if (k->cmd == CMD_APPLY && revert_locked(k) && s->order == LEVEL_PLAIN && !s->recheck &&
            !pending_need(k, s) && !cross_writes_may(s->path)) {
                s->deferred = true;
                return;
        }
        plan_eval(k, s, setting_read(k, s));
}

static bool has_glob(const char *comp, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (comp[i] == '*' || comp[i] == '?' || comp[i] == '[')
                        return true;
        return false;
}

/*
 * Whether two glob paths can match the same key: only with as many
 * components, none of them literal in both and different.
 * net/ipv4/conf/STAR/rp_filter and net/ipv4/conf/STAR/log_martians cannot.
 */
static bool globs_may_overlap(const char *a, const char *b)
{
        for (;;) {
                size_t la = strcspn(a, "/"), lb = strcspn(b, "/");

                if (!has_glob(a, la) && !has_glob(b, lb) && (la != lb || memcmp(a, b, la)))
                        return false;
                a += la;
                b += lb;
                if (!*a || !*b)
                        return !*a && !*b;
                a++;
                b++;
        }
}

/* Whether a key may be matched by two of the globs (so that the later must win). */
static bool globs_overlap(const struct sysctl_state *st)
{
        for (size_t i = 0; i < st->n; i++)
                for (size_t j = i + 1; st->e[i].glob && st->e[i].value && j < st->n; j++)
                        if (st->e[j].glob && st->e[j].value && globs_may_overlap(entry_path(&st->e[i]), entry_path(&st->e[j])))
                                return true;
        return false;
}

static int sysctl_plan(struct kvmtune *k)
{
        struct sysctl_state *st = k->state[SEC_SYSCTL];
        struct strmap from_glob = { 0 }, written = { 0 };
        struct matches m = { 0 };
        char buf[128];
        size_t first;
        bool overlap;

        if (!st)
                return 0;
        overlap = globs_overlap(st);
        module_needs_plan(k);
        first = k->n_settings;
        /* the settings, in the configuration's order */
        for (size_t i = 0; i < st->n; i++) {
                const struct sysctl_entry *e = &st->e[i];

                if (!e->value)
                        continue;       /* an exclusion: its index entry keeps globs off it */
                if (!e->glob) {
                        plan_add(k, e->full, e, false);
                        continue;
                }
                /*
                 * globs: explicit keys win whatever the order; among globs
                 * the later wins, at the place of the first match
                 */
                expand_glob(k, st, entry_path(e), &m);
                for (size_t j = 0; j < m.n; j++) {
                        void **slot = NULL;
                        bool found;

                        if (entry_find(st, m.v[j] + PROC_SYS_LEN))
                                continue;
                        /* a glob's matches are distinct; only overlapping globs need the map */
                        if (overlap) {
                                slot = strmap_slot(&from_glob, m.v[j], &found);
                                if (found) {
                                        plan_retake(k->settings[(size_t)*slot - 1], e);
                                        continue;
                                }
                        }
                        plan_add(k, m.v[j], e, true);
                        if (slot)
                                *slot = (void *)k->n_settings;
                }
        }
        free(m.v);
        strmap_free(&from_glob);
        /* by write level: what ip_forward, all and default will write decides what is read again */
        for (int level = 0; level <= LEVEL_PLAIN; level++)
                for (size_t i = first; i < k->n_settings; i++) {
                        struct setting *s = k->settings[i];
                        const char *attr;
                        bool found;

                        if (s->order != level)
                                continue;
                        plan_decide(k, s, &written);
                        if (level < LEVEL_PLAIN && (s->action == ACT_SET || s->recheck) &&
                            (attr = written_attr(s->path, buf, sizeof(buf))) && !strmap_get(&written, attr))
                                *strmap_slot(&written, xstrdup(attr), &found) = (void *)1;
                }

        for (size_t i = 0; i < written.cap; i++)
                free((char *)written.slots[i].key);
        strmap_free(&written);
        settings_sort(k, first);
        return 0;
}

static bool have_setting(struct kvmtune *k, const char *path)
{
        for (size_t i = 0; i < k->n_settings; i++)
                if (k->settings[i]->section == SEC_SYSCTL && !strcmp(k->settings[i]->path, path))
                        return true;
        return false;
}

/* A glob over keys that a module loaded just now: expand it again. */
static void expand_after_load(struct kvmtune *k, struct sysctl_state *st)
{
        for (size_t i = 0; i < st->n; i++) {
                const struct sysctl_entry *e = &st->e[i];
                const struct module_need *n;
                const char *module;
                struct matches m = { 0 };
                char buf[80];

                if (!e->glob || !e->value || !(module = sysctl_module_for(entry_path(e), e->value, buf, sizeof(buf))) ||
                    !(n = module_need_find(k, module)) || n->state != NEED_LOADED)
                        continue;
                listings_free(st);      /* the module added directories */
                expand_glob(k, st, entry_path(e), &m);
                for (size_t j = 0; j < m.n; j++) {
                        if (!entry_find(st, m.v[j] + PROC_SYS_LEN) && !have_setting(k, m.v[j]))
                                plan_decide(k, plan_add(k, m.v[j], e, true), NULL);
                }
                free(m.v);
        }
}

static void apply_one(struct kvmtune *k, struct setting *s)
{
        const struct module_need *n;

        if (get_more(s)->data && s->action == ACT_SET && (n = module_need_find(k, s->more->data))) {
                switch (n->state) {
                case NEED_FAILED:
                        if (n->soft)
                                setting_skip(s, "module %s: %s", n->module, n->error ? n->error : "not loaded");
                        else
                                setting_fail(k, s, "needs module %s: %s", n->module,
                                             n->error ? n->error : "not loaded");
                        return;
                case NEED_REPORTED:
                        setting_skip(s, "needs module %s, not loaded under --root", n->module);
                        return;
                case NEED_NOT_LOADING:
                        setting_skip(s, "needs module %s, which is not loaded", n->module);
                        return;
                default:
                        break;
                }
                setting_set_note(s, NULL);
                if (n->cc) {
                        char *avail = NULL, *save = NULL;
                        bool have = false;

                        if (kernfs_read(k, "proc/sys/net/ipv4/tcp_available_congestion_control", &avail) == 0)
                                for (char *w = strtok_r(avail, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                                        if (!strcmp(w, n->cc))
                                                have = true;
                        free(avail);
                        if (!have) {
                                setting_fail(k, s, "%s is still not available after loading %s", n->cc, n->module);
                                return;
                        }
                }
        }
        setting_apply(k, s);
}

#define DEFERRED_CHUNK 256

/*
 * The keys plan left unread: DEFERRED_CHUNK at a time, read and decided as
 * plan would, their old values written ahead into the record together, then
 * written and read back.  They are LEVEL_PLAIN (nothing copies into them) and
 * need no module, so their order among themselves does not matter.
 */
static void apply_deferred(struct kvmtune *k)
{
        struct setting *chunk[DEFERRED_CHUNK];
        size_t n = 0;

        for (size_t i = 0; i <= k->n_settings; i++) {
                struct setting *s = i < k->n_settings ? k->settings[i] : NULL;

                if (s && s->section == SEC_SYSCTL && s->deferred) {
                        if (s->action == ACT_SET)
                                plan_eval(k, s, setting_read(k, s));
                        chunk[n++] = s;
                }
                if (n && (n == DEFERRED_CHUNK || !s)) {
                        revert_note_batch(k, chunk, n, SEC_SYSCTL);
                        for (size_t j = 0; j < n; j++)
                                apply_one(k, chunk[j]);
                        revert_batch_end(k);
                        n = 0;
                }
        }
}

static int sysctl_apply(struct kvmtune *k)
{
        struct sysctl_state *st = k->state[SEC_SYSCTL];

        if (!st)
                return 0;
        module_needs_apply(k);
        expand_after_load(k, st);
        revert_note_batch(k, k->settings, k->n_settings, SEC_SYSCTL);
        for (size_t i = 0; i < k->n_settings; i++)
                if (k->settings[i]->section == SEC_SYSCTL && !k->settings[i]->deferred)
                        apply_one(k, k->settings[i]);
        revert_batch_end(k);
        apply_deferred(k);
        return 0;
}

static void sysctl_free(struct kvmtune *k)
{
        struct sysctl_state *st = k->state[SEC_SYSCTL];

        if (!st)
                return;
        free(st->e);
        strmap_free(&st->values);
        arena_free(&st->strings);
        free(st->index.slot);
        listings_free(st);
        free(st);
        k->state[SEC_SYSCTL] = NULL;
}

const struct section_ops sysctl_section = {
        .name = "sysctl",
        .subsection = SUB_NONE,
        .parse = sysctl_parse,
        .plan = sysctl_plan,
        .apply = sysctl_apply,
        .free = sysctl_free,
};
