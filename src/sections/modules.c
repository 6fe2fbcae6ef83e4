/* SPDX-License-Identifier: MIT */
/*
 * [modules]: load = NAME ..., and the modules other sections need (the
 * sysctl auto-load rules, nf_conntrack for [conntrack]).  Loading is done
 * like modprobe does it, with libkmod (dlopen()ed on first use): the
 * default modprobe.d configuration, so options and blacklists apply, alias
 * lookup, dependencies.  A module counts as there when /sys/module/NAME
 * exists.  Under --root, modules are resolved in DIR/lib/modules/RELEASE
 * with DIR's modprobe.d, and a load is reported, not done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "../kvmtune.h"
#include "../kmod-dl.h"

/* One module to have, whoever asked for it. */
struct mod_entry {
        char *name;
        char *options;          /* extra options for the load */
        struct setting *s;      /* NULL: nothing to show or do */
        enum need_state state;
        char *error;
        bool soft;              /* every requester can live without it */
};

struct modules_state {
        bool planned, applied;
        struct mod_entry *e;
        size_t n;
        char *release;
        char **config_paths;    /* under --root: DIR's modprobe.d directories */
};

static struct modules_state *state(struct kvmtune *k)
{
        if (!k->state[SEC_MODULES])
                k->state[SEC_MODULES] = xcalloc(1, sizeof(struct modules_state));
        return k->state[SEC_MODULES];
}

/*
 * Whether a module is in the kernel and usable, as modprobe decides: built in
 * (a /sys/module/NAME directory without initstate), or loaded with initstate
 * "live".  A module another process is still loading ("coming", as when udev
 * loads it next to us) is waited for, up to MODULE_COMING_WAIT_MS; after that,
 * and for "going", it is counted absent (a load then waits in the kernel or
 * loads it again).  1 present, 0 not, -errno with *error set when the state
 * cannot be read.
 */
#define MODULE_COMING_WAIT_MS 5000

int module_state(struct kvmtune *k, const char *name, char **error)
{
        char *c = module_canonical_name(name), *rel = xasprintf("sys/module/%s", c), *init_rel = NULL, *v = NULL;
        int r = kernfs_probe(k, rel);

        *error = NULL;
        if (r <= 0) {
                if (r < 0)
                        *error = xasprintf("cannot look up /%s: %s", rel, strerror(-r));
                goto out;
        }
        init_rel = xasprintf("%s/initstate", rel);
        for (unsigned waited = 0;; waited += 10) {
                free(v);
                r = kernfs_read(k, init_rel, &v);
                if (r == -ENOENT) {             /* built in */
                        r = 1;
                        break;
                }
                if (r < 0) {
                        *error = xasprintf("cannot read /%s: %s", init_rel, strerror(-r));
                        break;
                }
                if (!strcmp(v, "live")) {
                        r = 1;
                        break;
                }
                if (strcmp(v, "coming") || waited >= MODULE_COMING_WAIT_MS) {
                        if (strcmp(v, "coming") && strcmp(v, "going"))
                                log_debug(k, "/%s is '%s': counted as not loaded", init_rel, v);
                        r = 0;
                        break;
                }
                nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
out:
        free(v);
        free(init_rel);
        free(rel);
        free(c);
        return r;
}

bool module_present(struct kvmtune *k, const char *name)
{
        char *error;
        int r = module_state(k, name, &error);

        if (r < 0) {
                log_debug(k, "%s", error);
                free(error);
        }
        return r > 0;
}

static void need_clear(struct module_need *n)
{
        free(n->module);
        free(n->why);
        free(n->provides);
        free(n->cc);
        free(n->error);
        n->module = n->why = n->provides = n->cc = n->error = NULL;
        n->options = NULL;
        n->explicit_load = n->soft = n->no_load = false;
        n->state = NEED_PENDING;
}

struct module_need *module_need_set(struct kvmtune *k, const char *requester,
                                    const char *module, struct origin at)
{
        struct module_need *n = NULL;

        for (size_t i = 0; i < k->n_needs; i++)
                if (!strcmp(k->needs[i].requester, requester))
                        n = &k->needs[i];
        if (!n) {
                k->needs = xgrow(k->needs, k->n_needs, sizeof(*k->needs));
                n = &k->needs[k->n_needs++];
                memset(n, 0, sizeof(*n));
                n->requester = xstrdup(requester);
        }
        need_clear(n);
        n->module = xstrdup(module);
        n->at = at;
        return n;
}

void module_need_drop(struct kvmtune *k, const char *requester)
{
        for (size_t i = 0; i < k->n_needs; i++)
                if (!strcmp(k->needs[i].requester, requester)) {
                        need_clear(&k->needs[i]);
                        free(k->needs[i].requester);
                        memmove(&k->needs[i], &k->needs[i + 1], (k->n_needs - i - 1) * sizeof(*k->needs));
                        k->n_needs--;
                        return;
                }
}

const struct module_need *module_need_find(const struct kvmtune *k, const char *module)
{
        for (size_t i = 0; i < k->n_needs; i++)
                if (module_same_name(k->needs[i].module, module))
                        return &k->needs[i];
        return NULL;
}

static void set_state(struct kvmtune *k, struct mod_entry *e, enum need_state st, const char *error)
{
        e->state = st;
        if (error) {
                free(e->error);
                e->error = xstrdup(error);
        }
        for (size_t i = 0; i < k->n_needs; i++)
                if (module_same_name(k->needs[i].module, e->name)) {
                        k->needs[i].state = st;
                        free(k->needs[i].error);
                        k->needs[i].error = e->error ? xstrdup(e->error) : NULL;
                }
}

static bool cc_available(struct kvmtune *k, const char *cc)
{
        char *list = NULL, *save = NULL;
        bool found = false;

        if (kernfs_read(k, "proc/sys/net/ipv4/tcp_available_congestion_control", &list) < 0)
                return false;
        for (char *w = strtok_r(list, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                if (!strcmp(w, cc))
                        found = true;
        free(list);
        return found;
}

static const char *release(struct kvmtune *k)
{
        struct modules_state *st = state(k);
        struct utsname u;

        if (st->release)
                return st->release;
        /* under --root, DIR/proc/sys/kernel/osrelease names the kernel of that tree */
        if (kernfs_read(k, "proc/sys/kernel/osrelease", &st->release) == 0 && *st->release &&
            !strchr(st->release, '/') && strcmp(st->release, ".") && strcmp(st->release, ".."))
                return st->release;
        free(st->release);
        st->release = xstrdup(uname(&u) == 0 ? u.release : "unknown");
        return st->release;
}

enum resolved { RES_FAILED, RES_PRESENT, RES_LOADABLE, RES_UNCHECKED };

/* The library with a context for this kernel's module tree, or NULL and *error. */
static const struct kmod_lib *lib_for_tree(struct kvmtune *k, char **error)
{
        struct modules_state *st = state(k);
        const char *rel = release(k), *err = NULL;
        const struct kmod_lib *lib = k->kmod;
        char *tree, *dirname;

        if (lib)
                return lib;
        if (!k->root && kernfs_probe(k, "proc/modules") == 0) {
                *error = xstrdup("this kernel has no module support (no /proc/modules)");
                return NULL;
        }
        tree = xasprintf("lib/modules/%s", rel);
        if (kernfs_probe(k, tree) == 0) {
                *error = xasprintf("no modules for kernel %s (/%s is missing)", rel, tree);
                free(tree);
                return NULL;
        }
        dirname = xasprintf("%s/%s", k->root ? k->root : "", tree);
        free(tree);
        if (k->root && !st->config_paths) {
                static const char *const dirs[] = {
                        "etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d",
                        "usr/lib/modprobe.d", "lib/modprobe.d",
                };
                size_t n = sizeof(dirs) / sizeof(*dirs);
                st->config_paths = xcalloc(n + 1, sizeof(char *));
                for (size_t i = 0; i < n; i++)
                        st->config_paths[i] = xasprintf("%s/%s", k->root, dirs[i]);
        }
        lib = kmod_lib_open(k, dirname, (const char *const *)st->config_paths, &err);
        free(dirname);
        if (!lib)
                *error = xasprintf("cannot use libkmod: %s", err ? err : "unknown error");
        return lib;
}

static void append(char **s, const char *sep, const char *word)
{
        char *n = *s ? xasprintf("%s%s%s", *s, sep, word) : xstrdup(word);

        free(*s);
        *s = n;
}

static bool in_list(const struct kmod_lib *lib, struct kmod_list *list, const char *name)
{
        struct kmod_list *l;

        kmod_lib_foreach(lib, l, list) {
                struct kmod_module *m = lib->module_get_module(l);
                bool same = !strcmp(lib->module_get_name(m), name);
                lib->module_unref(m);
                if (same)
                        return true;
        }
        return false;
}

/*
 * What loading NAME takes: RES_PRESENT (built in, or loaded under another
 * name), RES_LOADABLE with what would be inserted in *detail, RES_FAILED
 * with *error, RES_UNCHECKED under a --root that holds no module tree.
 */
static enum resolved resolve(struct kvmtune *k, const char *name, char **detail, char **error,
                             bool *builtin)
{
        const struct kmod_lib *lib;
        struct kmod_list *list = NULL, *filtered = NULL, *l;
        enum resolved res = RES_PRESENT;
        int r;

        *detail = *error = NULL;
        *builtin = false;
        lib = lib_for_tree(k, error);
        if (!lib) {
                if (k->root && strncmp(*error, "cannot use", 10)) {
                        free(*error);
                        *error = NULL;
                        *detail = xasprintf("not checked: no /lib/modules/%s under the root", release(k));
                        return RES_UNCHECKED;
                }
                return RES_FAILED;
        }
        r = lib->module_new_from_lookup(lib->ctx, name, &list);
        if (r < 0) {
                *error = xasprintf("module lookup failed: %s", strerror(-r));
                return RES_FAILED;
        }
        if (!list) {
                *error = xasprintf("no module or alias '%s' for kernel %s", name, release(k));
                return RES_FAILED;
        }
        if (lib->module_apply_filter(lib->ctx, KMOD_FILTER_BLACKLIST, list, &filtered) < 0)
                filtered = NULL;
        kmod_lib_foreach(lib, l, list) {
                struct kmod_module *m = lib->module_get_module(l);
                const char *mname = lib->module_get_name(m);
                int init = lib->module_get_initstate(m);

                if (!module_same_name(mname, name)) {
                        char *alias = xasprintf("alias of %s", mname);
                        append(detail, "; ", alias);
                        free(alias);
                }
                if (init == KMOD_MODULE_BUILTIN) {
                        *builtin = true;
                        lib->module_unref(m);
                        continue;
                }
                if (module_present(k, mname) ||
                    (!k->root && init == KMOD_MODULE_LIVE)) {
                        lib->module_unref(m);
                        continue;
                }
                if (!module_same_name(mname, name) && !in_list(lib, filtered, mname)) {
                        free(*error);
                        *error = xasprintf("module %s is blacklisted (modprobe.d)", mname);
                        res = RES_FAILED;
                } else if (!lib->module_get_path(m)) {
                        free(*error);
                        *error = xasprintf("module %s has no file in /lib/modules/%s", mname, release(k));
                        res = RES_FAILED;
                } else if (res != RES_FAILED) {
                        struct kmod_list *deps = lib->module_get_dependencies(m), *d;
                        char *ins = NULL;

                        kmod_lib_foreach(lib, d, deps) {
                                struct kmod_module *dm = lib->module_get_module(d);
                                if (!module_present(k, lib->module_get_name(dm)))
                                        append(&ins, " ", lib->module_get_name(dm));
                                lib->module_unref(dm);
                        }
                        lib->module_unref_list(deps);
                        append(&ins, " ", mname);
                        char *what = xasprintf("inserts %s", ins);
                        append(detail, "; ", what);
                        free(what);
                        free(ins);
                        res = RES_LOADABLE;
                }
                lib->module_unref(m);
        }
        lib->module_unref_list(filtered);
        lib->module_unref_list(list);
        if (res == RES_FAILED) {
                free(*detail);
                *detail = NULL;
        }
        return res;
}

void module_needs_plan(struct kvmtune *k)
{
        struct modules_state *st = state(k);

        if (st->planned)
                return;
        st->planned = true;
        for (size_t i = 0; i < k->n_needs; i++) {
                const struct module_need *first = &k->needs[i], *at = first;
                bool explicit_load = false, veto = false, hard = false, satisfied = false;
                char *why = NULL, *options = NULL;
                struct mod_entry *e = NULL;

                for (size_t j = 0; j < st->n; j++)
                        if (module_same_name(st->e[j].name, first->module))
                                e = &st->e[j];
                if (e)
                        continue;
                for (size_t j = i; j < k->n_needs; j++) {
                        const struct module_need *n = &k->needs[j];
                        if (!module_same_name(n->module, first->module))
                                continue;
                        if (n->explicit_load && !explicit_load) {
                                explicit_load = true;
                                at = n;
                        }
                        veto |= n->no_load;
                        hard |= !n->soft;
                        if ((n->provides && kernfs_probe(k, n->provides) > 0) ||
                            (n->cc && cc_available(k, n->cc)))
                                satisfied = true;
                        if (!n->explicit_load && n->why && !(why && strstr(why, n->why)))
                                append(&why, ", ", n->why);
                        if (!options && n->options)
                                options = n->options(k);
                }
                if (!options)   /* [module "NAME"] options: for kvmtune's own load too */
                        options = module_param_options(k, first->module);
                st->e = xgrow(st->e, st->n, sizeof(*st->e));
                e = &st->e[st->n++];
                memset(e, 0, sizeof(*e));
                e->name = xstrdup(first->module);
                e->options = options;
                e->soft = !hard && !explicit_load;

                char *state_error;
                int present = module_state(k, e->name, &state_error);

                if (present < 0) {
                        struct setting *s = setting_add(k, SEC_MODULES, e->name, NULL, "loaded", at->at);

                        e->s = s;
                        s->cur = xstrdup("unknown");
                        set_state(k, e, NEED_FAILED, state_error);
                        setting_fail(k, s, "%s", state_error);
                        free(state_error);
                        free(why);
                        continue;
                }
                if (present) {
                        set_state(k, e, NEED_PRESENT, NULL);
                        if (explicit_load) {
                                e->s = setting_add(k, SEC_MODULES, e->name, NULL, "loaded", at->at);
                                e->s->cur = xstrdup("loaded");
                                e->s->action = ACT_OK;
                        }
                        free(why);
                        continue;
                }
                if (!explicit_load && (satisfied || veto)) {
                        set_state(k, e, satisfied ? NEED_PRESENT : NEED_NOT_LOADING, NULL);
                        free(why);
                        continue;
                }

                char *detail, *error;
                bool builtin;
                enum resolved res = resolve(k, e->name, &detail, &error, &builtin);
                struct setting *s = setting_add(k, SEC_MODULES, e->name, NULL, "loaded", at->at);

                e->s = s;
                s->cur = xstrdup(res != RES_PRESENT ? "not loaded" : builtin ? "built in" : "loaded");
                if (res == RES_FAILED) {
                        set_state(k, e, NEED_FAILED, error);
                        if (e->soft)
                                setting_skip(s, "%s (needed by %s)", error, why);
                        else if (why)
                                setting_fail(k, s, "cannot load (needed by %s): %s", why, error);
                        else
                                setting_fail(k, s, "cannot load: %s", error);
                } else if (res == RES_PRESENT) {
                        set_state(k, e, NEED_PRESENT, NULL);
                        s->action = ACT_OK;
                        if (detail)
                                setting_set_note(s, xstrdup(detail));
                } else {
                        set_state(k, e, NEED_LOAD, NULL);
                        setting_set_note(s, xasprintf("%s%s%s%s%s%s", detail ? detail : "",
                                            options ? "; options " : "", options ? options : "",
                                            why ? (detail || options ? "; " : "") : "",
                                            why ? "for " : "", why ? why : ""));
                }
                free(detail);
                free(error);
                free(why);
        }
}

static const char *insert_error(int r)
{
        switch (-r) {
        case ENOSYS:
                return "this kernel has no module support";
        case ENOENT:
                return "module file or a dependency is missing";
        case EPERM:
                return "not permitted (loading modules needs CAP_SYS_MODULE)";
        default:
                return strerror(-r);
        }
}

static void load(struct kvmtune *k, struct mod_entry *e)
{
        struct setting *s = e->s;
        const struct kmod_lib *lib;
        struct kmod_list *list = NULL, *l;
        char *error = NULL;
        int r = 0;

        if (k->root) {
                set_state(k, e, NEED_REPORTED, NULL);
                log_info(k, "modules %s: would load (%s): not done under --root", e->name,
                         setting_note(s) ? setting_note(s) : "not checked");
                return;
        }
        lib = lib_for_tree(k, &error);
        if (!lib) {
                r = -ENOENT;
                goto fail;
        }
        r = lib->module_new_from_lookup(lib->ctx, e->name, &list);
        if (r >= 0 && !list)
                r = -ENOENT;
        if (r < 0) {
                error = xasprintf("no module or alias '%s' for kernel %s", e->name, release(k));
                goto fail;
        }
        kmod_lib_foreach(lib, l, list) {
                struct kmod_module *m = lib->module_get_module(l);
                int q = lib->module_probe_insert_module(m, KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY, e->options,
                                                        NULL, NULL, NULL);
                if (q > 0 && !error)
                        error = xasprintf("module %s is blacklisted (modprobe.d)", lib->module_get_name(m));
                else if (q < 0 && q != -EEXIST && !error)
                        error = xasprintf("%s: %s", lib->module_get_name(m), insert_error(q));
                if (q != 0 && q != -EEXIST)
                        r = q > 0 ? -EPERM : q;
                lib->module_unref(m);
        }
        lib->module_unref_list(list);
        if (r < 0)
                goto fail;
        set_state(k, e, NEED_LOADED, NULL);
        s->changed = true;
        k->n_changes++;
        report_change(k, s, s->cur);
        setting_set_cur(s, xstrdup("loaded"));
        return;
fail:
        set_state(k, e, NEED_FAILED, error);
        if (e->soft)
                setting_skip(s, "%s", error);
        else
                setting_fail(k, s, "cannot load: %s", error);
        free(error);
}

void module_needs_apply(struct kvmtune *k)
{
        struct modules_state *st = state(k);

        module_needs_plan(k);
        if (st->applied)
                return;
        st->applied = true;
        for (size_t i = 0; i < st->n; i++) {
                struct mod_entry *e = &st->e[i];
                if (e->s && e->s->action == ACT_SET && e->state == NEED_LOAD)
                        load(k, e);
        }
}

static int modules_parse(struct kvmtune *k, const char *sub, const char *key,
                         const char *value, struct origin at)
{
        char *copy, *save = NULL;
        int r = 0, n = 0;

        (void)sub;
        if (strcmp(key, "load")) {
                log_error(k, &at, "unknown key '%s' in [modules]", key);
                return -EINVAL;
        }
        copy = xstrdup(value);
        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                n++;
                if (!module_name_valid(w)) {
                        log_error(k, &at, "invalid module name '%s' (allowed: A-Z a-z 0-9 _ -)", w);
                        r = -EINVAL;
                        continue;
                }
                char *req = xasprintf("modules %s", w);
                struct module_need *need = module_need_set(k, req, w, at);
                need->explicit_load = true;
                need->why = xstrdup("[modules] load");
                free(req);
        }
        if (!n) {
                log_error(k, &at, "modules load: no module named");
                r = -EINVAL;
        }
        free(copy);
        return r;
}

static int modules_plan(struct kvmtune *k)
{
        module_needs_plan(k);
        return 0;
}

static int modules_apply(struct kvmtune *k)
{
        module_needs_apply(k);
        return 0;
}

static void modules_free(struct kvmtune *k)
{
        struct modules_state *st = k->state[SEC_MODULES];

        for (size_t i = 0; i < k->n_needs; i++) {
                need_clear(&k->needs[i]);
                free(k->needs[i].requester);
        }
        free(k->needs);
        k->needs = NULL;
        k->n_needs = 0;
        kmod_lib_close(k);
        if (!st)
                return;
        for (size_t i = 0; i < st->n; i++) {
                free(st->e[i].name);
                free(st->e[i].options);
                free(st->e[i].error);
        }
        free(st->e);
        free(st->release);
        if (st->config_paths)
                for (char **p = st->config_paths; *p; p++)
                        free(*p);
        free(st->config_paths);
        free(st);
        k->state[SEC_MODULES] = NULL;
}

const struct section_ops modules_section = {
        .name = "modules",
        .subsection = SUB_NONE,
        .parse = modules_parse,
        .plan = modules_plan,
        .apply = modules_apply,
        .free = modules_free,
};
