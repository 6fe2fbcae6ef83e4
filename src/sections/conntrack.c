/* SPDX-License-Identifier: MIT */
/*
 * [conntrack]: max (net.netfilter.nf_conntrack_max), hashsize = N | auto
 * (max / 4) and load = yes|no.  When nf_conntrack is not loaded yet it is
 * loaded with hashsize=N as a module option, so the table is never
 * rehashed.  With load = no and the module absent, max and hashsize are
 * skipped with a notice and the hash size goes to
 * /run/modprobe.d/kvmtune.conf for whoever loads the module later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kvmtune.h"

#define HASHSIZE_PATH "sys/module/nf_conntrack/parameters/hashsize"
#define MAX_PATH "proc/sys/net/netfilter/nf_conntrack_max"
#define MODPROBE_DIR "run/modprobe.d"
#define MODPROBE_FILE "run/modprobe.d/kvmtune.conf"

struct conntrack_state {
        bool have_max, have_hash, hash_auto, load, have_load;
        uint64_t max, hash;
        struct origin max_at, hash_at, load_at;
};

static struct conntrack_state *state(struct kvmtune *k)
{
        struct conntrack_state *st = k->state[SEC_CONNTRACK];

        if (!st) {
                st = k->state[SEC_CONNTRACK] = xcalloc(1, sizeof(*st));
                st->load = true;
        }
        return st;
}

/* the nf_conntrack_max that will be in force: [conntrack] max, [sysctl], or live */
static bool effective_max(struct kvmtune *k, uint64_t *max)
{
        struct conntrack_state *st = state(k);
        const char *v = NULL;
        char *live = NULL;
        int r;

        if (st->have_max) {
                *max = st->max;
                return true;
        }
        if ((v = sysctl_configured(k, "net/netfilter/nf_conntrack_max")) ||
            (v = sysctl_configured(k, "net/nf_conntrack_max")))
                return parse_u64(v, max) == 0;
        if (kernfs_read(k, MAX_PATH, &live) < 0)
                return false;
        r = parse_u64(live, max);
        free(live);
        return r == 0;
}

/* the hash size wanted, 0 when it cannot be known (auto without any max) */
static uint64_t wanted_hashsize(struct kvmtune *k)
{
        struct conntrack_state *st = state(k);
        uint64_t max;

        if (!st->have_hash)
                return 0;
        if (!st->hash_auto)
                return st->hash;
        if (!effective_max(k, &max))
                return 0;
        return max / 4 ? max / 4 : 1;
}

/* the module option for the load */
static char *load_options(struct kvmtune *k)
{
        uint64_t h = wanted_hashsize(k);

        return h ? xasprintf("hashsize=%llu", (unsigned long long)h) : NULL;
}

static void update_need(struct kvmtune *k, struct origin at)
{
        struct conntrack_state *st = state(k);
        struct module_need *n = module_need_set(k, "conntrack", "nf_conntrack", at);

        n->why = xstrdup("[conntrack]");
        n->provides = xstrdup(MAX_PATH);
        n->options = load_options;
        n->no_load = !st->load;
}

static int conntrack_parse(struct kvmtune *k, const char *sub, const char *key,
                           const char *value, struct origin at)
{
        struct conntrack_state *st = state(k);
        uint64_t v;
        bool b;

        (void)sub;
        if (!strcmp(key, "max")) {
                if (parse_u64(value, &v) < 0 || v == 0 || v > INT32_MAX) {
                        log_error(k, &at, "conntrack max: expected a number from 1 to %d, not '%s'",
                                  INT32_MAX, value);
                        return -EINVAL;
                }
                st->have_max = true;
                st->max = v;
                st->max_at = at;
        } else if (!strcmp(key, "hashsize")) {
                if (!strcmp(value, "auto")) {
                        st->hash_auto = true;
                } else if (parse_u64(value, &v) < 0 || v == 0 || v > INT32_MAX) {
                        log_error(k, &at, "conntrack hashsize: expected 'auto' or a number from 1 to %d, not '%s'",
                                  INT32_MAX, value);
                        return -EINVAL;
                } else {
                        st->hash_auto = false;
                        st->hash = v;
                }
                st->have_hash = true;
                st->hash_at = at;
        } else if (!strcmp(key, "load")) {
                if (parse_bool(value, &b) < 0) {
                        log_error(k, &at, "conntrack load: expected yes or no, not '%s'", value);
                        return -EINVAL;
                }
                st->load = b;
                st->have_load = true;
                st->load_at = at;
        } else {
                log_error(k, &at, "unknown key '%s' in [conntrack]", key);
                return -EINVAL;
        }
        update_need(k, at);
        return 0;
}

/* /run/modprobe.d/kvmtune.conf: our own file, compared by its options line */
static char *modprobe_current(const char *raw)
{
        const char *p = strstr(raw, "options nf_conntrack ");
        size_t n;

        if (!p)
                return xstrdup("");
        n = strcspn(p, "\n");
        return strndup(p, n);
}

static int modprobe_write(struct kvmtune *k, struct setting *s)
{
        int run, dir = -1, fd = -1, r = 0;
        char *text = xasprintf("# Written by kvmtune from [conntrack] hashsize: applies when nf_conntrack is loaded.\n"
                               "%s\n", s->want);
        size_t len = strlen(text);

        if (mkdirat(k->rootfd, "run", 0755) < 0 && errno != EEXIST)
                log_debug(k, "cannot create /run: %s", strerror(errno));
        run = kernfs_openat(k, "run", O_PATH | O_DIRECTORY);
        if (run < 0) {
                r = run;
                goto out;
        }
        if (mkdirat(run, "modprobe.d", 0755) < 0 && errno != EEXIST) {
                r = -errno;
                goto out;
        }
        dir = kernfs_openat(k, MODPROBE_DIR, O_PATH | O_DIRECTORY);
        if (dir < 0) {
                r = dir;
                goto out;
        }
        errno = 0;
        fd = openat(dir, ".kvmtune.conf.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
                r = errno ? -errno : -EIO;
                unlinkat(dir, ".kvmtune.conf.tmp", 0);
                goto out;
        }
        if (renameat(dir, ".kvmtune.conf.tmp", dir, "kvmtune.conf") < 0) {
                r = -errno;
                unlinkat(dir, ".kvmtune.conf.tmp", 0);
        }
        k->n_writes++;
out:
        if (fd >= 0)
                close(fd);
        if (dir >= 0)
                close(dir);
        if (run >= 0)
                close(run);
        free(text);
        return r;
}

static const struct knob_ops modprobe_knob = {
        .current = modprobe_current,
        .write = modprobe_write,
};

/*
 * The kernel rounds the hash size up to whole pages of bucket heads
 * (nf_ct_alloc_hashtable), so 250000 reads back as 250368.
 */
static bool hashsize_equal(const char *cur, const char *want)
{
        uint64_t c, w, per_page = (uint64_t)sysconf(_SC_PAGESIZE) / sizeof(void *);

        if (parse_u64(cur, &c) < 0 || parse_u64(want, &w) < 0)
                return false;
        if (!per_page)
                per_page = 1;
        return c == w || c == (w + per_page - 1) / per_page * per_page;
}

static const struct knob_ops hashsize_knob = {
        .equal = hashsize_equal,
};

static void read_plain(struct kvmtune *k, struct setting *s)
{
        int r = setting_read(k, s);

        if (r == 0)
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        else
                setting_fail(k, s, "cannot read: %s", strerror(-r));
}

/* nf_conntrack is absent: what its settings wait for */
static void plan_pending(struct kvmtune *k, struct setting *s, const struct module_need *n)
{
        switch (n ? n->state : NEED_FAILED) {
        case NEED_LOAD:
                s->action = ACT_SET;
                setting_set_note(s, xstrdup(strstr(s->path, "hashsize") ? "module option when nf_conntrack is loaded"
                                                              : "after loading nf_conntrack"));
                set_more(s)->data = xstrdup("pending");
                break;
        case NEED_REPORTED:
        case NEED_PENDING:
                s->action = ACT_SET;
                setting_set_note(s, xstrdup("after loading nf_conntrack"));
                set_more(s)->data = xstrdup("pending");
                break;
        case NEED_NOT_LOADING:
                setting_skip(s, "nf_conntrack is not loaded and load = no");
                break;
        default:
                setting_fail(k, s, "needs module nf_conntrack: %s",
                             n && n->error ? n->error : "it cannot be loaded");
                break;
        }
}

static int conntrack_plan(struct kvmtune *k)
{
        struct conntrack_state *st = k->state[SEC_CONNTRACK];
        const struct module_need *n;
        struct setting *max = NULL, *hash = NULL;
        uint64_t h;
        bool loaded;
        char buf[32];

        if (!st || (!st->have_max && !st->have_hash))
                return 0;
        module_needs_plan(k);
        n = module_need_find(k, "nf_conntrack");
        loaded = module_present(k, "nf_conntrack") || kernfs_probe(k, MAX_PATH) != 0;  /* an error: read, and told */

        if (st->have_max) {
                snprintf(buf, sizeof(buf), "%llu", (unsigned long long)st->max);
                max = setting_add(k, SEC_CONNTRACK, "max", MAX_PATH, buf, st->max_at);
                set_more(max)->claim = "proc/sys/net/nf_conntrack_max";
                if (loaded)
                        read_plain(k, max);
                else
                        plan_pending(k, max, n);
        }
        if (st->have_hash) {
                h = wanted_hashsize(k);
                snprintf(buf, sizeof(buf), "%llu", (unsigned long long)h);
                hash = setting_add(k, SEC_CONNTRACK, "hashsize", HASHSIZE_PATH, h ? buf : NULL, st->hash_at);
                set_more(hash)->knob = &hashsize_knob;
                if (!h && loaded)
                        setting_fail(k, hash, "hashsize = auto: cannot read nf_conntrack_max");
                else if (!h)
                        setting_skip(hash, "hashsize = auto without max: the kernel's default applies");
                else if (loaded)
                        read_plain(k, hash);
                else
                        plan_pending(k, hash, n);
        }
        if (!loaded && n && n->state == NEED_NOT_LOADING) {
                log_notice(k, st->have_load ? &st->load_at : NULL,
                           "conntrack: nf_conntrack is not loaded and load = no: max and hashsize are not set%s",
                           st->have_hash && wanted_hashsize(k) ? "; hashsize goes to /run/modprobe.d/kvmtune.conf" : "");
                if (st->have_hash && (h = wanted_hashsize(k))) {
                        char *line = xasprintf("options nf_conntrack hashsize=%llu", (unsigned long long)h);
                        struct setting *m = setting_add(k, SEC_CONNTRACK, "modprobe.d hashsize",
                                                        MODPROBE_FILE, line, st->hash_at);
                        int r;

                        free(line);
                        set_more(m)->knob = &modprobe_knob;
                        r = setting_read(k, m);
                        m->action = r == 0 && setting_equal(m, m->cur) ? ACT_OK : ACT_SET;
                }
        }
        return 0;
}

static int conntrack_apply(struct kvmtune *k)
{
        const struct module_need *n = module_need_find(k, "nf_conntrack");

        module_needs_apply(k);
        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];

                if (s->section != SEC_CONNTRACK)
                        continue;
                if (get_more(s)->data && s->action == ACT_SET) {
                        switch (n ? n->state : NEED_FAILED) {
                        case NEED_FAILED:
                                setting_fail(k, s, "needs module nf_conntrack: %s",
                                             n && n->error ? n->error : "it was not loaded");
                                continue;
                        case NEED_REPORTED:
                                setting_skip(s, "needs nf_conntrack, not loaded under --root");
                                continue;
                        case NEED_NOT_LOADING:
                                setting_skip(s, "nf_conntrack is not loaded and load = no");
                                continue;
                        default:
                                setting_set_note(s, NULL);
                                break;
                        }
                }
                setting_apply(k, s);
        }
        return 0;
}

static void conntrack_free(struct kvmtune *k)
{
        free(k->state[SEC_CONNTRACK]);
        k->state[SEC_CONNTRACK] = NULL;
}

const struct section_ops conntrack_section = {
        .name = "conntrack",
        .subsection = SUB_NONE,
        .parse = conntrack_parse,
        .plan = conntrack_plan,
        .apply = conntrack_apply,
        .free = conntrack_free,
};
