/* SPDX-License-Identifier: MIT */
/*
 * TuneD profiles: /etc/tuned/active_profile, or `tuned-adm profile NAME` in
 * rc.local, read the way TuneD 2.20 loads, merges and instantiates them.
 * A profile is found in /etc/tuned/NAME before /usr/lib/tuned/NAME (a file
 * already loaded is passed over, so /etc/tuned/NAME may include the stock
 * NAME); its include= chain comes first.  The sections of all of them are
 * merged by name (a later one updates the earlier one's keys; replace=
 * drops them; type=, enabled= and devices= are the later section's, its
 * default when not given; the conditions only when given; drop= removes
 * keys).  Then each merged section ("instance") is weighed on this host:
 * enabled=, cpuinfo_regex= against /proc/cpuinfo and uname_regex= against
 * uname (tunedcond.c), and for the device plugins ([disk], [net], [cpu])
 * the devices it gets, a device going to the first instance, by priority=,
 * that names it.  The lines of an instance TuneD applies on this host are
 * carried (tunedkeys.c), under a comment naming its condition; the others
 * are reported with the reason.  The [variables] of the merged profile
 * feed the conditions and devices= (static ${NAME} only), and their
 * include= file's isolated_cores becomes [isolation].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

#define MAX_INCLUDE 16

static const char *const dirs[] = { "/etc/tuned/", "/usr/lib/tuned/", "/usr/lib/tuned/profiles/", "/lib/tuned/" };

static bool profile_name_ok(const char *n)
{
        return *n && strlen(n) < 128 && strcmp(n, ".") && strcmp(n, "..") &&
               strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == strlen(n);
}

/* one key = value line of a loaded profile */
struct tline {
        size_t file;            /* index in t->files */
        size_t i;               /* the line's index in that file */
        char *sec, *key, *value;
};

/* one merged section: a TuneD instance */
struct tunit {
        char *name, *type;
        bool enabled, has_priority;
        bool instance;                  /* TuneD creates it here: enabled, its conditions hold */
        long priority;
        const struct tline *disabled_by;
        char *devices, *udev_regex, *cpuinfo_regex, *uname_regex;
        size_t replaced_before;         /* lines of the files before this one were dropped by replace= */
        const struct tline *replaced_by;
        struct tdrop {
                size_t file;
                char *key;
                const struct tline *by;
        } *drops;
        size_t n_drops;
        size_t *lines;                  /* its lines, indexes into t->lines, in load order */
        size_t n_lines;
        char *why;                      /* not applied on this host: the reason for each line */
        char *note;                     /* applied under a condition: the comment on each setting */
        char *sub;                      /* [disk], [net]: kvmtune's device subsection */
};

struct tvar {
        char *name, *value;
};

struct tuned {
        struct imp_file *files;         /* in TuneD's merge order: included profiles first */
        size_t n_files;
        char **processed;               /* the paths loaded, as TuneD's processed_files */
        size_t n_processed;
        struct tline *lines;
        size_t n_lines;
        struct tunit *u;                /* in TuneD's order: where a name first appeared */
        size_t n_u;
        struct strmap ids;              /* name -> index + 1 */
        struct tvar *vars;
        size_t n_vars;
        const struct tline *vars_include;       /* the [variables] include= TuneD reads */
        struct tunit **order;           /* the instances by priority, then merge order */
        size_t n_order;
        struct tuned_main main;
};

static struct tunit *unit_find(const struct tuned *t, const char *name)
{
        void *i = strmap_get(&t->ids, name);

        return i ? &t->u[(size_t)i - 1] : NULL;
}

/* TuneD's booleans of a unit: enabled=, replace= */
static bool unit_true(const char *v)
{
        return !strcmp(v, "True") || !strcmp(v, "true") || !strcmp(v, "1");
}

/* "FILE:LINE" of a line, for messages, in buf */
static const char *at(const struct tuned *t, const struct tline *l, char *buf, size_t size)
{
        snprintf(buf, size, "%s:%u", t->files[l->file].shown, t->files[l->file].lines[l->i].no);
        return buf;
}

/* "[NAME]" header: the name between the first '[' and the last ']' */
static char *header_name(const char *s)
{
        const char *end = strrchr(s, ']');

        return end && end > s + 1 ? strndup(s + 1, (size_t)(end - s - 1)) : xstrdup("");
}

static bool loaded(const struct tuned *t, const char *path)
{
        for (size_t i = 0; i < t->n_processed; i++)
                if (!strcmp(t->processed[i], path))
                        return true;
        return false;
}

/*
 * One profile name: its file (/etc/tuned first, a file loaded before passed
 * over), its [main] include= profiles (split on ',' and ';'; a leading '-'
 * makes one optional), then the file itself.
 */
static void load(struct imp *im, struct tuned *t, const char *name, const struct imp_src *from, size_t depth)
{
        bool optional = *name == '-', skipped = false;
        struct imp_rline l = { 0 };
        struct imp_file f;
        const char *why = NULL;
        char path[300];
        bool in_main = false;
        size_t d;
        int r = -ENOENT;

        name += optional;
        if (!profile_name_ok(name)) {
                imp_refused(im, from, "'%s' is not a TuneD profile name", name);
                return;
        }
        if (depth >= MAX_INCLUDE) {
                imp_refused(im, from, "TuneD includes nested more than %d deep", MAX_INCLUDE);
                return;
        }
        for (d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
                snprintf(path, sizeof(path), "%s%s/tuned.conf", dirs[d], name);
                if (loaded(t, path)) {
                        skipped = true;
                        continue;
                }
                r = imp_read_rooted(im, path, IK_TUNED, &f, &why);
                if (r == 0 || (r != -ENOENT && r != -ENOTDIR))
                        break;
        }
        if (r < 0) {
                if (r != -ENOENT && r != -ENOTDIR)
                        imp_refused(im, from, "the TuneD profile %s cannot be read: %s", path, why);
                else if (!skipped && !optional)
                        imp_refused(im, from, "the TuneD profile %s is not on this host (/etc/tuned, /usr/lib/tuned)",
                                    name);
                return;
        }
        t->processed = xgrow(t->processed, t->n_processed, sizeof(char *));
        t->processed[t->n_processed++] = xstrdup(path);
        for (size_t pos = 0; imp_next_line(NULL, &f, &pos, "#;", false, &l);) {
                char *key, *v, *save = NULL;

                if (*l.s == '[') {
                        char *h = header_name(l.s);
                        in_main = !strcmp(h, "main");
                        free(h);
                        continue;
                }
                if (!in_main || !tuned_conf_line(l.s, &key, &v) || strcmp(key, "include"))
                        continue;
                if (tuned_has_var(v)) {
                        imp_refused(im, &l.src, "include= names a TuneD variable or function, which import does not "
                                                "evaluate");
                        continue;
                }
                for (char *p = strtok_r(v, ",;", &save); p; p = strtok_r(NULL, ",;", &save)) {
                        imp_trim(p);
                        load(im, t, p, &l.src, depth + 1);
                }
        }
        free(l.s);
        free(l.clean);
        t->files = xgrow(t->files, t->n_files, sizeof(*t->files));
        t->files[t->n_files++] = f;
}

static void set_str(char **dst, const char *v)
{
        free(*dst);
        *dst = v ? xstrdup(v) : NULL;
}

enum { K_TYPE, K_ENABLED, K_REPLACE, K_DROP, K_DEVICES, K_UDEV, K_CPUINFO, K_UNAME, K_PRE, K_POST, K_PRIO, K_N };

/* the instance keys one file gives a section (configparser: the last one of a key in a file wins) */
struct occ {
        const char *name;
        const struct tline *k[K_N];     /* by instance_index() */
};

/* the keys of a section that configure the instance, not the plugin: their index, or -1 */
static int instance_index(const char *k)
{
        static const char *const keys[] = { "type", "enabled", "replace", "drop", "devices", "devices_udev_regex",
                                            "cpuinfo_regex", "uname_regex", "script_pre", "script_post",
                                            "priority" };

        _Static_assert(sizeof(keys) / sizeof(*keys) == K_N, "one index per instance key");
        for (int i = 0; i < K_N; i++)
                if (!strcmp(k, keys[i]))
                        return i;
        return -1;
}

/* TuneD's Merger._merge_two() for one section of file fi */
static void merge(struct tuned *t, size_t fi, const struct occ *o)
{
        struct tunit *u = unit_find(t, o->name);
        bool existed = u != NULL, replace = o->k[K_REPLACE] && unit_true(o->k[K_REPLACE]->value);
        const char *v;

        if (!u) {
                bool found;
                void **slot;

                t->u = xgrow(t->u, t->n_u, sizeof(*t->u));
                u = &t->u[t->n_u];
                *u = (struct tunit){ .name = xstrdup(o->name) };
                slot = strmap_slot(&t->ids, u->name, &found);
                *slot = (void *)(++t->n_u);
        } else if (replace) {
                set_str(&u->udev_regex, NULL);
                set_str(&u->cpuinfo_regex, NULL);
                set_str(&u->uname_regex, NULL);
                u->has_priority = false;
                u->replaced_before = fi;
                u->replaced_by = o->k[K_REPLACE];
        }
        set_str(&u->type, o->k[K_TYPE] ? o->k[K_TYPE]->value : o->name);
        u->enabled = !o->k[K_ENABLED] || unit_true(o->k[K_ENABLED]->value);
        u->disabled_by = u->enabled ? NULL : o->k[K_ENABLED];
        set_str(&u->devices, o->k[K_DEVICES] ? o->k[K_DEVICES]->value : "*");
        if (o->k[K_UDEV])
                set_str(&u->udev_regex, o->k[K_UDEV]->value);
        if (o->k[K_CPUINFO])
                set_str(&u->cpuinfo_regex, o->k[K_CPUINFO]->value);
        if (o->k[K_UNAME])
                set_str(&u->uname_regex, o->k[K_UNAME]->value);
        if (o->k[K_PRIO]) {
                u->has_priority = true;
                u->priority = strtol(o->k[K_PRIO]->value, NULL, 10);
        }
        if (existed && !replace && o->k[K_DROP] && *(v = o->k[K_DROP]->value)) {
                char *copy = xstrdup(v), *save = NULL;

                for (char *p = strtok_r(copy, ",;", &save); p; p = strtok_r(NULL, ",;", &save)) {
                        imp_trim(p);
                        u->drops = xgrow(u->drops, u->n_drops, sizeof(*u->drops));
                        u->drops[u->n_drops++] = (struct tdrop){ fi, xstrdup(p), o->k[K_DROP] };
                }
                free(copy);
        }
}

/* every file's lines, each reported when configparser refuses it, then merged section by section */
static void parse(struct imp *im, struct tuned *t)
{
        for (size_t fi = 0; fi < t->n_files; fi++) {
                const struct imp_file *f = &t->files[fi];
                struct imp_rline l = { 0 };
                struct strmap seen = { 0 };
                struct occ *o = NULL;
                size_t n_o = 0, first = t->n_lines;
                char *sec = NULL;

                for (size_t pos = 0; imp_next_line(im, f, &pos, "#;", false, &l);) {
                        char *key, *v;

                        if (*l.s == '[') {
                                free(sec);
                                sec = header_name(l.s);
                                continue;
                        }
                        if (!sec) {
                                imp_refused(im, &l.src, "a line before any [section], which TuneD cannot parse");
                                continue;
                        }
                        if (!tuned_conf_line(l.s, &key, &v)) {
                                imp_refused(im, &l.src, "not a key = value line, which TuneD cannot parse");
                                continue;
                        }
                        t->lines = xgrow(t->lines, t->n_lines, sizeof(*t->lines));
                        t->lines[t->n_lines++] = (struct tline){ fi, l.i, xstrdup(sec), xstrdup(key), xstrdup(v) };
                }
                free(sec);
                free(l.s);
                free(l.clean);
                for (size_t k = first; k < t->n_lines; k++) {
                        struct tline *tl = &t->lines[k];
                        bool found;
                        void **slot;
                        int ki;

                        if (!strcmp(tl->sec, "main"))
                                continue;
                        slot = strmap_slot(&seen, tl->sec, &found);
                        if (!found) {
                                o = xgrow(o, n_o, sizeof(*o));
                                o[n_o] = (struct occ){ .name = tl->sec };
                                *slot = (void *)(++n_o);
                        }
                        ki = instance_index(tl->key);
                        if (ki >= 0)
                                o[(size_t)*slot - 1].k[ki] = tl;
                }
                for (size_t i = 0; i < n_o; i++)
                        merge(t, fi, &o[i]);
                for (size_t k = first; k < t->n_lines; k++) {
                        struct tunit *u = strcmp(t->lines[k].sec, "main") ? unit_find(t, t->lines[k].sec) : NULL;

                        if (u) {
                                u->lines = xgrow(u->lines, u->n_lines, sizeof(size_t));
                                u->lines[u->n_lines++] = k;
                        }
                }
                free(o);
                strmap_free(&seen);
        }
}

static const char *var_get(const struct tuned *t, const char *name)
{
        for (size_t i = t->n_vars; i-- > 0;)
                if (!strcmp(t->vars[i].name, name))
                        return t->vars[i].value;
        return NULL;
}

/* TuneD's static expansion: ${NAME} of a defined variable, \${ for a literal one; functions stay */
static char *expand(const struct tuned *t, const char *s)
{
        char *out = xstrdup(""), *o;

        for (const char *p = s; *p;) {
                const char *val = NULL, *end;
                size_t skip = 1;

                if (p[0] == '\\' && p[1] == '$' && p[2] == '{') {
                        val = "${";
                        skip = 3;
                } else if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}'))) {
                        char *name = strndup(p + 2, (size_t)(end - p - 2));

                        if (name && (val = var_get(t, name)))
                                skip = (size_t)(end - p) + 1;
                        free(name);
                }
                o = val ? xasprintf("%s%s", out, val) : xasprintf("%s%c", out, *p);
                free(out);
                out = o;
                p += val ? skip : 1;
        }
        return out;
}

static void var_add(struct tuned *t, const char *name, const char *value)
{
        if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name))
                return;         /* TuneD refuses the name */
        char *v = expand(t, value);     /* with the variables before it */

        t->vars = xgrow(t->vars, t->n_vars, sizeof(*t->vars));
        t->vars[t->n_vars++] = (struct tvar){ xstrdup(name), v };
}

/* a variables file, quietly: its NAME = VALUE lines become variables */
static void vars_file(struct imp *im, struct tuned *t, const char *path)
{
        struct imp_rline l = { 0 };
        struct imp_file f;
        const char *why;

        if (imp_read_rooted(im, path, IK_TUNED, &f, &why) < 0)
                return;
        for (size_t pos = 0; imp_next_line(NULL, &f, &pos, "#;[", false, &l);) {
                char *key, *v;

                if (tuned_conf_line(l.s, &key, &v))
                        var_add(t, key, v);
        }
        free(l.s);
        free(l.clean);
        imp_file_free(&f);
}

static bool line_dropped(const struct tunit *u, const struct tline *tl)
{
        if (tl->file < u->replaced_before)
                return true;
        for (size_t i = 0; i < u->n_drops; i++)
                if (u->drops[i].file > tl->file && !strcmp(u->drops[i].key, tl->key))
                        return true;
        return false;
}

/*
 * The merged [variables]: its keys in TuneD's order (a key keeps the place
 * where it first came, with its last value), include= read where it stands.
 */
static void variables(struct imp *im, struct tuned *t)
{
        const struct tunit *u = unit_find(t, "variables");
        const struct tline **opts = NULL;
        size_t n = 0;
        const char *cores;

        for (size_t i = 0; u && i < u->n_lines; i++) {
                const struct tline *tl = &t->lines[u->lines[i]];
                size_t j;

                if (line_dropped(u, tl))
                        continue;
                for (j = 0; j < n && strcmp(opts[j]->key, tl->key); j++)
                        ;
                if (j == n)
                        opts = xgrow(opts, n++, sizeof(*opts));
                opts[j] = tl;
        }
        for (size_t j = 0; j < n; j++) {
                if (!strcmp(opts[j]->key, "include")) {
                        t->vars_include = opts[j];
                        vars_file(im, t, opts[j]->value);
                } else {
                        var_add(t, opts[j]->key, opts[j]->value);
                }
        }
        free(opts);
        cores = var_get(t, "isolated_cores");
        im->tuned_isolation = cores && cpu_list_valid(cores);
}

/* one condition of a unit: 1 it holds, 0 not, -1 import cannot tell; *why and *shown say it */
static int condition(struct imp *im, struct tuned *t, struct tunit *u, const char *name, const char *raw,
                     char **shown)
{
        char *re = expand(t, raw);
        const char *host, *rwhy = NULL, *where;
        bool uname = !strcmp(name, "uname_regex");
        int r;

        *shown = strcmp(re, raw) ? xasprintf("%s=%s (%s)", name, raw, re) : xasprintf("%s=%s", name, raw);
        host = uname ? tuned_host_uname(im, &t->main) : tuned_host_cpuinfo(im, &t->main);
        if (tuned_has_var(re)) {
                u->why = xasprintf("its condition %s holds a TuneD function or an undefined variable, which import "
                                   "does not evaluate", *shown);
                r = -1;
        } else if ((r = tuned_re_search(re, host, &rwhy)) < 0) {
                u->why = xasprintf("import cannot evaluate its condition %s: %s", *shown, rwhy);
        } else if (r == 0) {
                where = uname ? (t->main.uname_string ? "uname_string of tuned-main.conf" : "the host's uname")
                              : (t->main.cpuinfo_string ? "cpuinfo_string of tuned-main.conf" : "/proc/cpuinfo");
                if (uname)
                        u->why = xasprintf("TuneD applies [%s] only where %s matches %s, and it does not on this host "
                                           "('%s')", u->name, *shown, where, host);
                else
                        u->why = xasprintf("TuneD applies [%s] only where %s matches %s, and it does not on this host",
                                           u->name, *shown, where);
        }
        free(re);
        return r;
}

static int cmp_prio(const void *a, const void *b)
{
        const struct tunit *const *x = a, *const *y = b;

        if ((*x)->priority != (*y)->priority)
                return (*x)->priority < (*y)->priority ? -1 : 1;
        return *x < *y ? -1 : *x > *y;  /* stable: the merge order */
}

static bool device_plugin(const char *type)
{
        return !strcmp(type, "disk") || !strcmp(type, "net") || !strcmp(type, "cpu");
}

/*
 * The devices of a device plugin's instance: TuneD gives each device to the
 * first instance (in priority order) whose devices= matches it.  Carried
 * as its own subsection when no earlier instance can take one of its
 * devices; not carried when an earlier one takes them all, or some of
 * them (kvmtune's sections merge per key, the later winning, which cannot
 * say "the first one only").
 */
static void claim(struct tuned *t, struct tunit *u, struct tunit *const *before, size_t n)
{
        char *dev = expand(t, u->devices);
        struct tunit *over = NULL;
        bool negation;

        if (u->udev_regex) {
                u->why = xasprintf("[%s] picks its devices by udev properties (devices_udev_regex=%s), which "
                                   "kvmtune's device names and globs cannot say", u->name, u->udev_regex);
                goto out;
        }
        /* [net] on every interface: net_key() says why for each line, whatever came before */
        for (size_t i = 0; i < n && !(!strcmp(u->type, "net") && !strcmp(dev, "*")); i++) {
                const struct tunit *e = before[i];
                char *edev;
                enum tuned_devrel rel;

                if (strcmp(e->type, u->type) || !e->instance)
                        continue;
                if (e->udev_regex) {
                        u->why = xasprintf("the earlier instance [%s] picks its devices by udev properties "
                                           "(devices_udev_regex=), first: which are left for [%s] cannot be told",
                                           e->name, u->name);
                        goto out;
                }
                edev = expand(t, e->devices);
                rel = tuned_devices_relation(edev, dev);
                if (rel == DEV_COVERS) {
                        u->why = xasprintf("the earlier instance [%s] (devices=%s) claims every device [%s] names "
                                           "first: TuneD gives a device to the first instance that matches it, so "
                                           "[%s] tunes nothing", e->name, edev, u->name, u->name);
                        free(edev);
                        goto out;
                }
                if (rel == DEV_OVERLAP && !over)
                        over = (struct tunit *)e;
                free(edev);
        }
        if (over) {
                u->why = xasprintf("[%s] shares devices with the earlier instance [%s] (devices=%s): TuneD gives "
                                   "those to [%s] alone, which kvmtune's sections (merged per key, the later one "
                                   "winning) cannot say", u->name, over->name, over->devices, over->name);
        } else if (tuned_has_var(dev)) {
                u->why = xasprintf("devices=%s holds a TuneD function or variable, which import does not evaluate",
                                   u->devices);
        } else {
                u->sub = tuned_devices_sub(dev, &negation);
                if (negation)
                        u->why = xasprintf("devices=%s excludes devices with '!', which kvmtune's globs cannot say",
                                           dev);
                else if (!strcmp(u->type, "cpu") && strcmp(u->sub, "*"))
                        u->why = xasprintf("devices=%s tunes some CPUs only; the [cpu] keys import carries from "
                                           "TuneD apply to every CPU", dev);
        }
out:
        free(dev);
}

/* each instance weighed on this host: enabled, its conditions, its devices */
static void evaluate(struct imp *im, struct tuned *t)
{
        char buf[300];

        t->order = xcalloc(t->n_u + 1, sizeof(*t->order));
        for (size_t i = 0; i < t->n_u; i++) {
                struct tunit *u = &t->u[i];
                char *c1 = NULL, *c2 = NULL;

                if (!u->has_priority)
                        u->priority = t->main.default_priority;
                if (!strcmp(u->name, "variables"))
                        continue;
                t->order[t->n_order++] = u;
                if (!u->enabled) {
                        u->why = xasprintf("[%s] is disabled (%s: enabled=%s), so TuneD skips it", u->name,
                                           at(t, u->disabled_by, buf, sizeof(buf)), u->disabled_by->value);
                        continue;
                }
                /* as TuneD: cpuinfo first, then uname */
                if ((u->cpuinfo_regex && condition(im, t, u, "cpuinfo_regex", u->cpuinfo_regex, &c1) <= 0) ||
                    (u->uname_regex && condition(im, t, u, "uname_regex", u->uname_regex, &c2) <= 0)) {
                        free(c1);
                        free(c2);
                        continue;
                }
                u->instance = true;
                if (c1 || c2)
                        u->note = xasprintf("TuneD applies [%s] only where %s%s%s match%s this host, as %s here",
                                            u->name, c2 ? c2 : "", c1 && c2 ? " and " : "", c1 ? c1 : "",
                                            c1 && c2 ? "" : "es", c1 && c2 ? "they do" : "it does");
                free(c1);
                free(c2);
        }
        qsort(t->order, t->n_order, sizeof(*t->order), cmp_prio);
        for (size_t i = 0; i < t->n_order; i++)
                if (t->order[i]->instance && device_plugin(t->order[i]->type))
                        claim(t, t->order[i], t->order, i);
}

/* the variables file TuneD reads: isolated_cores and isolate_managed_irq become [isolation] */
static void read_variables(struct imp *im, const char *path, const struct imp_src *from)
{
        struct imp_file f;
        struct imp_rline l = { 0 };
        const char *why = NULL;

        if (imp_read_rooted(im, path, IK_TUNED, &f, &why) < 0) {
                imp_refused(im, from, "the TuneD variables file %s cannot be read%s%s", path, why ? ": " : "",
                            why ? why : "");
                return;
        }
        for (size_t pos = 0; imp_next_line(im, &f, &pos, "#;", false, &l);) {
                char *key, *v;

                if (!tuned_conf_line(l.s, &key, &v))
                        continue;
                if (!strcmp(key, "isolated_cores")) {
                        if (!cpu_list_valid(v) && im->tuned_isolation) {
                                imp_refused(im, &l.src, "a later definition of isolated_cores gives the CPU list "
                                                        "(TuneD's last one wins)");
                        } else if (!cpu_list_valid(v)) {
                                imp_refused(im, &l.src, "isolated_cores is not a CPU list%s", strchr(v, '$') ?
                                            " (a TuneD function, which import does not evaluate: write the cores)" : "");
                        } else {
                                imp_put(im, IS_ISOLATION, NULL, "cpus", NULL, v, &l.src);
                                imp_carried(im, &l.src, NULL);
                        }
                } else if (!strcmp(key, "isolate_managed_irq")) {
                        imp_put(im, IS_ISOLATION, NULL, "managed-irq", NULL, *v && strchr("yY1tT", *v) ? "yes" : "no",
                                &l.src);
                        imp_carried(im, &l.src, NULL);
                } else if (!strcmp(key, "no_balance_cores") && *v) {
                        imp_refused(im, &l.src, "no_balance_cores (isolcpus= without nohz_full=) has no kvmtune "
                                                "form: [isolation] isolates fully");
                }
        }
        free(l.s);
        free(l.clean);
        imp_file_free(&f);
}

/* one line of an instance: carried or reported */
static void report_line(struct imp *im, struct tuned *t, const struct tunit *u, const struct tline *tl,
                        const struct imp_src *src)
{
        char buf[300];

        if (tl->file < u->replaced_before) {
                imp_refused(im, src, "[%s] with replace= at %s drops what earlier profiles set in it", u->name,
                            at(t, u->replaced_by, buf, sizeof(buf)));
                return;
        }
        for (size_t i = 0; i < u->n_drops; i++)
                if (u->drops[i].file > tl->file && !strcmp(u->drops[i].key, tl->key)) {
                        imp_refused(im, src, "drop= at %s removes it from [%s]", at(t, u->drops[i].by, buf,
                                                                                     sizeof(buf)), u->name);
                        return;
                }
        if (u->why) {
                imp_refused(im, src, "%s", u->why);
        } else if (!strcmp(tl->key, "script_pre") || !strcmp(tl->key, "script_post")) {
                imp_refused(im, src, "TuneD runs this script around [%s]; kvmtune runs no scripts", u->name);
        } else if (!strcmp(tl->key, "cpuinfo_regex") || !strcmp(tl->key, "uname_regex")) {
                imp_carried(im, src, "(the condition of the section: it holds on this host, and each setting "
                                     "says so in a comment)");
        } else if (instance_index(tl->key) >= 0) {
                imp_carried(im, src, "(read with the section)");
        } else {
                struct tuned_key tk = { u->name, u->type, u->sub ? u->sub : "*", &t->main };

                im->cond = u->note;
                tuned_key(im, &tk, tl->key, tl->value, src);
                im->cond = NULL;
        }
}

/* the lines, instance by instance in TuneD's order; the [variables] include= first */
static void report(struct imp *im, struct tuned *t)
{
        const struct tunit *vars = unit_find(t, "variables");
        char buf[300];

        for (size_t i = 0; vars && i < vars->n_lines; i++) {
                const struct tline *tl = &t->lines[vars->lines[i]];
                const struct imp_file *f = &t->files[tl->file];
                char *text;
                struct imp_src src;

                if (strcmp(tl->key, "include"))
                        continue;
                text = imp_clean_text(f->lines[tl->i].s, f->lines[tl->i].len);
                src = (struct imp_src){ f->shown, f->lines[tl->i].no, text };
                imp_trim(text);
                if (tuned_has_var(tl->value))
                        imp_refused(im, &src, "include= names a TuneD variable or function, which import does not "
                                              "evaluate");
                else if (tl == t->vars_include)
                        read_variables(im, tl->value, &src);
                else
                        imp_refused(im, &src, "TuneD reads one [variables] include=, the last one merged: %s",
                                    t->vars_include ? at(t, t->vars_include, buf, sizeof(buf)) : "none");
                free(text);
        }
        for (size_t o = 0; o < t->n_order; o++) {
                const struct tunit *u = t->order[o];

                for (size_t i = 0; i < u->n_lines; i++) {
                        const struct tline *tl = &t->lines[u->lines[i]];
                        const struct imp_file *f = &t->files[tl->file];
                        char *text = imp_clean_text(f->lines[tl->i].s, f->lines[tl->i].len);
                        struct imp_src src = { f->shown, f->lines[tl->i].no, text };

                        imp_trim(text);
                        report_line(im, t, u, tl, &src);
                        free(text);
                }
        }
}

static void tuned_free(struct tuned *t)
{
        for (size_t i = 0; i < t->n_files; i++)
                imp_file_free(&t->files[i]);
        free(t->files);
        for (size_t i = 0; i < t->n_processed; i++)
                free(t->processed[i]);
        free(t->processed);
        for (size_t i = 0; i < t->n_lines; i++) {
                free(t->lines[i].sec);
                free(t->lines[i].key);
                free(t->lines[i].value);
        }
        free(t->lines);
        for (size_t i = 0; i < t->n_u; i++) {
                struct tunit *u = &t->u[i];

                free(u->name);
                free(u->type);
                free(u->devices);
                free(u->udev_regex);
                free(u->cpuinfo_regex);
                free(u->uname_regex);
                for (size_t j = 0; j < u->n_drops; j++)
                        free(u->drops[j].key);
                free(u->drops);
                free(u->lines);
                free(u->why);
                free(u->note);
                free(u->sub);
        }
        free(t->u);
        strmap_free(&t->ids);
        for (size_t i = 0; i < t->n_vars; i++) {
                free(t->vars[i].name);
                free(t->vars[i].value);
        }
        free(t->vars);
        free(t->order);
        tuned_main_free(&t->main);
}

/* one or more profile names (TuneD merges "a b" in that order) */
int imp_tuned_profiles(struct imp *im, const char *names, const struct imp_src *from)
{
        struct tuned t = { 0 };
        char *copy = xstrdup(names), *save = NULL;
        unsigned failed = im->n_failed;
        int n = 0;

        tuned_main_read(im, &t.main);
        for (char *p = strtok_r(copy, " \t", &save); p; p = strtok_r(NULL, " \t", &save), n++)
                load(im, &t, p, from, 0);
        free(copy);
        parse(im, &t);
        variables(im, &t);
        evaluate(im, &t);
        report(im, &t);
        tuned_free(&t);
        if (n && !im->tuned_note) {
                im->tuned_note = true;
                if (!im->k->quiet)
                        fprintf(im->report ? im->report : stderr,
                                "kvmtune: %s:%u: TuneD applies this profile too: run 'tuned-adm off' and disable "
                                "tuned.service once the configuration is installed\n", from->file, from->line);
        }
        return im->n_failed == failed ? 1 : -1;
}

/* /etc/tuned/active_profile: the profile names TuneD applies at boot */
void imp_read_tuned(struct imp *im, struct imp_file *f)
{
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", false, &l);)
                imp_tuned_profiles(im, l.s, &l.src);
}
