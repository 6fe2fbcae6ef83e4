/* SPDX-License-Identifier: MIT */
/* Shared by [block] and [netdev]: subsection names, sections, the merge. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "devsel.h"

bool devsel_is_glob(const char *name)
{
        return strpbrk(name, "*?[") != NULL;
}

int devsel_check_sub(struct kvmtune *k, const char *section, const char *sub,
                     struct origin at, size_t max_len)
{
        char *copy, *save = NULL;
        int n = 0, r = 0;

        if (has_control_char(sub)) {
                log_error(k, &at, "[%s]: control character in the device name", section);
                return -EINVAL;
        }
        copy = xstrdup(sub);
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                n++;
                if (strchr(w, '/')) {
                        log_error(k, &at, "[%s \"%s\"]: '%s' is not a device name or glob: it contains '/'",
                                  section, sub, w);
                        r = -EINVAL;
                } else if (!strcmp(w, ".") || !strcmp(w, "..")) {
                        log_error(k, &at, "[%s \"%s\"]: '%s' is not a device name", section, sub, w);
                        r = -EINVAL;
                } else if (max_len && strlen(w) > max_len) {
                        log_error(k, &at, "[%s \"%s\"]: '%s' is longer than %zu bytes, the limit for an interface name",
                                  section, sub, w, max_len);
                        r = -EINVAL;
                }
        }
        free(copy);
        if (!n) {
                log_error(k, &at, "[%s]: no device name or glob given", section);
                r = -EINVAL;
        }
        return r;
}

void devsel_header(struct dev_sections *ds)
{
        ds->header_seen = true;
}

struct dev_section *devsel_current(struct dev_sections *ds, const char *sub, struct origin at)
{
        struct dev_section *sec = ds->n ? &ds->s[ds->n - 1] : NULL;
        char *copy, *save = NULL;

        if (sec && !ds->header_seen && !strcmp(sec->sub, sub) &&
            ds->last_file && at.file && !strcmp(ds->last_file, at.file))
                return sec;
        ds->header_seen = false;
        ds->last_file = at.file;
        ds->s = xgrow(ds->s, ds->n, sizeof(*ds->s));
        sec = &ds->s[ds->n++];
        memset(sec, 0, sizeof(*sec));
        sec->sub = xstrdup(sub);
        sec->rotational = -1;
        copy = xstrdup(sub);
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                sec->globs = xgrow(sec->globs, sec->n_globs, sizeof(char *));
                sec->globs[sec->n_globs++] = xstrdup(w);
        }
        free(copy);
        return sec;
}

void devsel_set(struct dev_section *sec, const char *key, const char *value, struct origin at)
{
        struct dev_kv *kv = NULL;

        for (size_t i = 0; i < sec->n_kv; i++)
                if (!strcmp(sec->kv[i].key, key))
                        kv = &sec->kv[i];
        if (!kv) {
                sec->kv = xgrow(sec->kv, sec->n_kv, sizeof(*sec->kv));
                kv = &sec->kv[sec->n_kv++];
                kv->key = xstrdup(key);
                kv->value = NULL;
        }
        free(kv->value);
        kv->value = xstrdup(value);
        kv->at = at;
}

/* 0: no match, 1: by a glob, 2: by its literal name */
static int section_matches(const struct dev_section *sec, const char *dev)
{
        int how = 0;

        for (size_t i = 0; i < sec->n_globs; i++) {
                if (!devsel_is_glob(sec->globs[i])) {
                        if (!strcmp(sec->globs[i], dev))
                                return 2;
                } else if (fnmatch(sec->globs[i], dev, 0) == 0)
                        how = 1;
        }
        return how;
}

bool devsel_names(const struct dev_sections *ds, const char *dev)
{
        for (size_t i = 0; ds && i < ds->n; i++)
                if (ds->s[i].n_kv && section_matches(&ds->s[i], dev))
                        return true;
        return false;
}

void devsel_merge(const struct dev_sections *ds, const char *dev, int rotational,
                  const char *const *keys, size_t n_keys, struct dev_match *out)
{
        memset(out, 0, n_keys * sizeof(*out));
        for (size_t i = 0; i < ds->n; i++) {
                const struct dev_section *sec = &ds->s[i];
                int how = section_matches(sec, dev);

                if (!how)
                        continue;
                if (sec->rotational >= 0 && rotational >= 0 && sec->rotational != rotational)
                        continue;
                for (size_t j = 0; j < sec->n_kv; j++)
                        for (size_t x = 0; x < n_keys; x++)
                                if (!strcmp(sec->kv[j].key, keys[x])) {
                                        out[x].kv = &sec->kv[j];
                                        out[x].literal = how == 2;
                                }
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

char **devsel_devices(struct kvmtune *k, const char *dir, size_t *n)
{
        char **list = NULL;
        struct dirent *de;
        DIR *d;

        *n = 0;
        if (k->device) {
                char *rel = xasprintf("%s/%s", dir, k->device);
                int r = kernfs_probe(k, rel);

                if (r > 0) {
                        list = xcalloc(1, sizeof(char *));
                        list[(*n)++] = xstrdup(k->device);
                } else if (r < 0)
                        log_error(k, NULL, "cannot look up /%s: %s", rel, strerror(-r));
                free(rel);
                return list;
        }
        d = kernfs_opendir(k, dir);
        if (!d) {
                if (errno != ENOENT && errno != ENOTDIR)
                        log_error(k, NULL, "cannot list /%s: %s", dir, strerror(errno));
                return NULL;
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                list = xgrow(list, *n, sizeof(char *));
                list[(*n)++] = xstrdup(de->d_name);
        }
        closedir(d);
        if (*n)
                qsort(list, *n, sizeof(*list), cmp_str);
        return list;
}

/*
 * One plain file of a device (sys/block/DEV/queue/read_ahead_kb): absent on
 * a device that a glob matched, nothing to do, quietly; absent on a device
 * named, or unreadable, an error.  stored: what the kernel keeps for the
 * wanted value when that differs (NULL: the value itself).
 */
struct setting *devsel_plan_file(struct kvmtune *k, int section, const char *dev, const char *key,
                                 const char *rel, const struct dev_match *m, const char *stored)
{
        int r = kernfs_probe(k, rel);
        struct setting *s;
        char *name;

        if (r == 0 && !m->literal) {
                log_debug(k, "%s %s: no /%s", section_name(section), dev, rel);
                return NULL;
        }
        name = xasprintf("%s %s", dev, key);
        s = setting_add(k, section, name, rel, m->kv->value, m->kv->at);
        free(name);
        if (stored && strcmp(stored, s->want))
                set_more(s)->stored = xstrdup(stored);
        if (r >= 0)
                r = setting_read(k, s);
        if (r == -ENOENT || r == -ENOTDIR)
                setting_fail(k, s, "%s has no /%s", dev, rel);
        else if (r < 0)
                setting_fail(k, s, "cannot read /%s: %s", rel, strerror(-r));
        else
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        return s;
}

void devsel_free_list(char **list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(list[i]);
        free(list);
}

void devsel_report_absent(struct kvmtune *k, const struct dev_sections *ds, const char *what,
                          char **devs, size_t n_devs)
{
        for (size_t i = 0; i < ds->n; i++)
                for (size_t g = 0; g < ds->s[i].n_globs; g++) {
                        const char *name = ds->s[i].globs[g];
                        bool found = false;

                        if (devsel_is_glob(name) || (k->device && strcmp(name, k->device)))
                                continue;
                        for (size_t j = 0; j < n_devs && !found; j++)
                                found = !strcmp(devs[j], name);
                        if (!found)
                                log_debug(k, "%s %s: not present; its settings apply when it appears", what, name);
                }
}

void devsel_free(struct dev_sections *ds)
{
        for (size_t i = 0; i < ds->n; i++) {
                struct dev_section *sec = &ds->s[i];
                free(sec->sub);
                for (size_t g = 0; g < sec->n_globs; g++)
                        free(sec->globs[g]);
                free(sec->globs);
                for (size_t j = 0; j < sec->n_kv; j++) {
                        free(sec->kv[j].key);
                        free(sec->kv[j].value);
                }
                free(sec->kv);
        }
        free(ds->s);
        ds->s = NULL;
        ds->n = 0;
}
