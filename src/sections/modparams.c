/* SPDX-License-Identifier: MIT */
/*
 * [module "NAME"] options = KEY=VALUE ...: module parameters, as modprobe.d's
 * "options NAME ..." lines.
 *
 *  - For loads to come, every [module] section becomes one "options" line
 *    in /run/modprobe.d/kvmtune.conf (the root's), which modprobe and
 *    libkmod read; kvmtune's own loads ([modules], sysctl auto-loads) pass
 *    the options directly, so a module loaded by this run has them even
 *    though this section applies later.
 *  - For a module already loaded, each parameter is written to
 *    /sys/module/NAME/parameters/KEY where the module lets it be changed
 *    (owner-writable); a read-only one takes effect only when the module is
 *    loaded again: a notice, and verify shows it pending.
 *
 * revert restores the /sys/module parameters it changed, not the
 * /run/modprobe.d file (it is in /run: gone at the next boot).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kvmtune.h"

#define MODPROBE_DIR "run/modprobe.d"
#define MODPROBE_FILE "run/modprobe.d/kvmtune.conf"

struct modparam {
        char *key, *value;
        struct origin at;
};

struct module_options {
        char *module;                   /* as written in the section name */
        struct modparam *p;
        size_t n;
        struct origin at;
};

struct modparams_state {
        struct module_options *m;
        size_t n;
};

static bool param_name_valid(const char *s, size_t n)
{
        return n > 0 && n < 64 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") >= n;
}

static int modparams_check_sub(struct kvmtune *k, const char *sub, struct origin at)
{
        if (!module_name_valid(sub)) {
                log_error(k, &at, "[module \"%s\"]: invalid module name", sub);
                return -EINVAL;
        }
        return 0;
}

static int modparams_parse(struct kvmtune *k, const char *sub, const char *key, const char *value,
                           struct origin at)
{
        struct modparams_state *st = k->state[SEC_MODPARAMS];
        struct module_options *m = NULL;

        if (strcmp(key, "options")) {
                log_error(k, &at, "unknown key '%s' in [module \"%s\"] (known: options)", key, sub);
                return -EINVAL;
        }
        /* KEY=VALUE words: no quoting, no blanks inside a value */
        for (const char *w = value + strspn(value, " \t"); *w; w += strspn(w, " \t")) {
                size_t len = strcspn(w, " \t"), klen = strcspn(w, "=");

                if (klen >= len || !param_name_valid(w, klen) || klen + 1 == len ||
                    memchr(w, '"', len) || memchr(w, '\'', len)) {
                        log_error(k, &at, "module %s options: expected KEY=VALUE words, not '%.*s'", sub,
                                  (int)len, w);
                        return -EINVAL;
                }
                w += len;
        }
        if (!st)
                st = k->state[SEC_MODPARAMS] = xcalloc(1, sizeof(*st));
        for (size_t i = 0; i < st->n; i++)
                if (module_same_name(st->m[i].module, sub))
                        m = &st->m[i];
        if (!m) {
                st->m = xgrow(st->m, st->n, sizeof(*st->m));
                m = &st->m[st->n++];
                *m = (struct module_options){ .module = xstrdup(sub), .at = at };
        }
        for (const char *w = value + strspn(value, " \t"); *w; w += strspn(w, " \t")) {
                size_t len = strcspn(w, " \t"), klen = strcspn(w, "=");
                struct modparam *p = NULL;
                char *pkey = xasprintf("%.*s", (int)klen, w);

                /* a later line's KEY replaces an earlier one */
                for (size_t j = 0; j < m->n; j++)
                        if (!strcmp(m->p[j].key, pkey))
                                p = &m->p[j];
                if (!p) {
                        m->p = xgrow(m->p, m->n, sizeof(*m->p));
                        p = &m->p[m->n++];
                        *p = (struct modparam){ .key = pkey };
                } else {
                        free(pkey);
                        free(p->value);
                }
                p->value = xasprintf("%.*s", (int)(len - klen - 1), w + klen + 1);
                p->at = at;
                w += len;
        }
        return 0;
}

/* "KEY=VALUE ..." configured for a module, for kvmtune's own loads; NULL when none (malloc'd) */
char *module_param_options(struct kvmtune *k, const char *module)
{
        const struct modparams_state *st = k->state[SEC_MODPARAMS];
        char *out = NULL;

        for (size_t i = 0; st && i < st->n; i++) {
                if (!module_same_name(st->m[i].module, module))
                        continue;
                for (size_t j = 0; j < st->m[i].n; j++) {
                        char *next = xasprintf("%s%s%s=%s", out ? out : "", out ? " " : "",
                                               st->m[i].p[j].key, st->m[i].p[j].value);
                        free(out);
                        out = next;
                }
        }
        return out;
}

/* The whole /run/modprobe.d/kvmtune.conf, written aside and renamed into place. */
static int write_modprobe_file(struct kvmtune *k, struct setting *s)
{
        const char *content = get_more(s)->data;
        char tmp[64];
        int dir, fd, r = 0;
        size_t len = strlen(content);

        if (mkdirat(k->rootfd, "run", 0755) < 0 && errno != EEXIST)
                return -errno;
        dir = kernfs_openat(k, "run", O_PATH | O_DIRECTORY);
        if (dir < 0)
                return dir;
        if (mkdirat(dir, "modprobe.d", 0755) < 0 && errno != EEXIST) {
                r = -errno;
                close(dir);
                return r;
        }
        close(dir);
        dir = kernfs_openat(k, MODPROBE_DIR, O_PATH | O_DIRECTORY);
        if (dir < 0)
                return dir;
        snprintf(tmp, sizeof(tmp), ".kvmtune.conf.%ld", (long)getpid());
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
                close(dir);
                return r;
        }
        if (write(fd, content, len) != (ssize_t)len || fsync(fd) < 0)
                r = errno ? -errno : -EIO;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dir, tmp, dir, "kvmtune.conf") < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dir, tmp, 0);
        close(dir);
        return r;
}

static const struct knob_ops modprobe_file_knob = { .write = write_modprobe_file };

/* bool parameters read back as Y or N, whatever was written */
static bool param_equal(const char *cur, const char *want)
{
        static const char *const yes[] = { "1", "y", "Y", "yes", "on" }, *const no[] = { "0", "n", "N", "no", "off" };

        if (!strcmp(cur, "Y") || !strcmp(cur, "N")) {
                const char *const *set = cur[0] == 'Y' ? yes : no;
                for (size_t i = 0; i < 5; i++)
                        if (!strcmp(want, set[i]))
                                return true;
                return false;
        }
        return fields_equal(cur, want);
}

static const struct knob_ops param_knob = { .equal = param_equal };

#define READ_ONLY_NOTE "read-only while loaded: takes effect when the module is loaded again"

static void plan_params(struct kvmtune *k, const struct module_options *m)
{
        char *mod = module_canonical_name(m->module);
        char *dir = xasprintf("sys/module/%s", mod);
        int loaded = kernfs_probe(k, dir);

        for (size_t j = 0; loaded > 0 && j < m->n; j++) {
                const struct modparam *p = &m->p[j];
                char *rel = xasprintf("%s/parameters/%s", dir, p->key), *name = xasprintf("%s %s", m->module, p->key);
                struct setting *s = setting_add(k, SEC_MODPARAMS, name, rel, p->value, p->at);
                struct stat st;
                int r;

                free(name);
                free(rel);
                set_more(s)->knob = &param_knob;
                r = kernfs_stat(k, s->path, &st);
                if (r == -ENOENT) {
                        setting_fail(k, s, "module %s is loaded and has no parameter %s", m->module, p->key);
                        continue;
                }
                if (r == 0 && !(st.st_mode & S_IRUSR)) {
                        setting_fail(k, s, "parameter %s of %s cannot be read", p->key, m->module);
                        continue;
                }
                r = r < 0 ? r : setting_read(k, s);
                if (r < 0) {
                        setting_fail(k, s, "cannot read: %s", strerror(-r));
                        continue;
                }
                if (setting_equal(s, s->cur))
                        s->action = ACT_OK;
                else if (!(st.st_mode & S_IWUSR))
                        setting_set_note(s, xstrdup(READ_ONLY_NOTE));      /* stays set: verify shows it pending */
        }
        if (loaded < 0)
                log_error(k, &m->at, "module %s: cannot look up /%s: %s", m->module, dir, strerror(-loaded));
        free(dir);
        free(mod);
}

static int modparams_plan(struct kvmtune *k)
{
        struct modparams_state *st = k->state[SEC_MODPARAMS];
        struct setting *s;
        char *want = NULL, *cur = NULL;
        size_t wlen = 0;
        FILE *f;
        int r;

        if (!st)
                return 0;
        char *summary = NULL;
        size_t slen = 0;
        FILE *g;

        f = open_memstream(&want, &wlen);
        g = open_memstream(&summary, &slen);
        if (!f || !g) {
                log_error(k, NULL, "out of memory");
                return -ENOMEM;
        }
        fputs("# written by kvmtune from [module] sections; see kvmtune.conf(5)\n", f);
        for (size_t i = 0; i < st->n; i++) {
                fprintf(f, "options %s", st->m[i].module);
                fprintf(g, "%soptions %s", i ? "; " : "", st->m[i].module);
                for (size_t j = 0; j < st->m[i].n; j++) {
                        fprintf(f, " %s=%s", st->m[i].p[j].key, st->m[i].p[j].value);
                        fprintf(g, " %s=%s", st->m[i].p[j].key, st->m[i].p[j].value);
                }
                fputc('\n', f);
        }
        fclose(f);
        fclose(g);
        /*
         * The file is kvmtune's own, not a kernel knob: no path (nothing for
         * the revert record); shown as its options lines, the content in data.
         */
        s = setting_add(k, SEC_MODPARAMS, "/" MODPROBE_FILE, NULL, summary, st->m[0].at);
        set_more(s)->knob = &modprobe_file_knob;
        set_more(s)->data = want;
        r = kernfs_read(k, MODPROBE_FILE, &cur);
        if (r == 0 && !strncmp(cur, want, strlen(cur)) && strlen(cur) + 1 == wlen) {
                s->action = ACT_OK;     /* (kernfs_read() took the last newline) */
                s->cur = xstrdup(summary);
        } else {
                s->cur = xstrdup(r == 0 ? "(other content)" : r == -ENOENT ? "(none)" : "(unreadable)");
        }
        free(cur);
        free(summary);
        for (size_t i = 0; i < st->n; i++)
                plan_params(k, &st->m[i]);
        return 0;
}

static int modparams_apply(struct kvmtune *k)
{
        int ret = 0;

        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];

                if (s->section != SEC_MODPARAMS)
                        continue;
                if (s->action == ACT_SET && setting_note(s) && !strcmp(setting_note(s), READ_ONLY_NOTE)) {
                        log_info(k, "module %s: %s -> %s not written: %s", get_more(s)->name, s->cur ? s->cur : "?",
                                 s->want, READ_ONLY_NOTE);
                        setting_close(s);
                        continue;
                }
                if (setting_apply(k, s) < 0)
                        ret = -EIO;
        }
        return ret;
}

static void modparams_free(struct kvmtune *k)
{
        struct modparams_state *st = k->state[SEC_MODPARAMS];

        if (!st)
                return;
        for (size_t i = 0; i < st->n; i++) {
                for (size_t j = 0; j < st->m[i].n; j++) {
                        free(st->m[i].p[j].key);
                        free(st->m[i].p[j].value);
                }
                free(st->m[i].p);
                free(st->m[i].module);
        }
        free(st->m);
        free(st);
        k->state[SEC_MODPARAMS] = NULL;
}

const struct section_ops modparams_section = {
        .name = "module",
        .subsection = SUB_REQUIRED,
        .parse = modparams_parse,
        .check_sub = modparams_check_sub,
        .plan = modparams_plan,
        .apply = modparams_apply,
        .free = modparams_free,
};
