/* SPDX-License-Identifier: MIT */
/* The setting list: what each section wants, what is there, what to do. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtune.h"

static struct setting *add(struct kvmtune *k, int section, const char *name, const char *path,
                           const char *want, struct origin at, bool copy)
{
        enum bound bound = BOUND_NONE;
        size_t nl, pl, wl;

        if (want)
                want = value_bound(want, &bound);       /* "want" is then the number alone */
        nl = copy ? strlen(name) + 1 : 0;
        pl = copy && path ? strlen(path) + 1 : 0;
        wl = copy && want ? strlen(want) + 1 : 0;
        /* one allocation: the strings, which never change, follow the struct */
        struct setting *s = arena_alloc(&k->settings_arena, sizeof(*s) + nl + pl + wl);
        char *p = (char *)(s + 1);

        s->section = section;
        s->bound = (unsigned char)bound;
        if (name)
                set_more(s)->name = copy ? memcpy(p, name, nl) : name;
        s->path = !path ? NULL : copy ? memcpy(p + nl, path, pl) : path;
        s->want = !want ? NULL : copy ? memcpy(p + nl + pl, want, wl) : want;
        s->at = at;
        s->action = ACT_SET;
        s->fd = -1;
        if (k->n_settings == k->cap_settings) {
                k->cap_settings = k->cap_settings ? k->cap_settings + k->cap_settings / 2 : 64;
                k->settings = xrealloc_array(k->settings, k->cap_settings, sizeof(*k->settings));
        }
        k->settings[k->n_settings++] = s;
        return s;
}

struct setting *setting_add(struct kvmtune *k, int section, const char *name,
                            const char *path, const char *want, struct origin at)
{
        return add(k, section, name, path, want, at, true);
}

/* name, path and want are the caller's, and must live until kvmtune_free() frees the sections */
struct setting *setting_add_ref(struct kvmtune *k, int section, const char *name,
                                const char *path, const char *want, struct origin at)
{
        return add(k, section, name, path, want, at, false);
}

/*
 * Under apply a setting's file is opened once, read-write where it can be:
 * read at plan, read again at apply when others' writes may have changed
 * it, written and read back, all through that descriptor.  plan and verify
 * open read-only.  A descriptor is kept only while fds are plentiful
 * (kvmtune_run() raises the soft RLIMIT_NOFILE); beyond that the file is
 * opened again when needed.
 */
/* written by its knob's own write, not by writing want to its file */
static bool knob_writes(const struct setting *s)
{
        return get_more(s)->knob && get_more(s)->knob->write;
}

static int open_setting(struct kvmtune *k, struct setting *s, bool *rdwr)
{
        int fd;

        *rdwr = false;
        if (s->fd >= 0)
                return s->fd;
        if (k->cmd == CMD_APPLY && !knob_writes(s)) {
                fd = kernfs_open_file(k, s->path, O_RDWR | O_NONBLOCK);
                *rdwr = fd >= 0;
                if (fd != -EACCES && fd != -EPERM && fd != -EROFS)
                        return fd;      /* else not writable (yet): read-only */
        }
        return kernfs_open_file(k, s->path, O_RDONLY | O_NONBLOCK);
}

static void keep_or_close(struct kvmtune *k, struct setting *s, int fd, bool rdwr)
{
        if (fd == s->fd)
                return;
        if (rdwr && fd < k->fd_budget)
                s->fd = fd;
        else
                close(fd);
}

/*
 * s->cur is malloc'd unless it is s->orig (which lives with the settings:
 * k->settings_arena) or s->want itself (a read-back that found want).
 */
static bool cur_owned(const struct setting *s, const char *cur)
{
        return cur != s->orig && cur != s->want;
}

/* Replace s->cur (v may be NULL); the first value read stays as s->orig. */
void setting_set_cur(struct setting *s, char *v)
{
        if (cur_owned(s, s->cur))
                free(s->cur);
        s->cur = v;
}

void setting_close(struct setting *s)
{
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
}

/* Read s->path into s->cur; the first value read is s->orig, what revert restores. */
int setting_read(struct kvmtune *k, struct setting *s)
{
        const struct knob_ops *knob = get_more(s)->knob;
        char raw[KVMTUNE_VALUE_BUF], *made = NULL, *big = NULL;
        const char *v = raw;
        bool rdwr;
        int fd, r;

        setting_set_cur(s, NULL);
        if (knob && knob->read) {
                r = knob->read(k, s, raw);
                if (r < 0)
                        return r;
        } else {
                fd = open_setting(k, s, &rdwr);
                if (fd < 0)
                        return fd;
                r = kernfs_read_value(fd, raw, &big);
                if (r < 0) {
                        if (fd != s->fd)
                                close(fd);
                        return r;
                }
                keep_or_close(k, s, fd, rdwr);
        }
        if (big)
                v = made = big;         /* a value longer than the buffer */
        if (knob && knob->current) {
                v = made = knob->current(v);
                free(big);
        }
        if (!s->orig)
                /* kept with the settings, and cur shares it until it changes */
                s->cur = s->orig = arena_intern(&k->settings_arena, &k->shared_values, v);
        else if (s->want && !strcmp(v, s->want))
                s->cur = (char *)s->want;       /* as after a write: no copy */
        else {
                s->cur = made ? made : xstrdup(v);
                made = NULL;
        }
        free(made);
        return 0;
}

/*
 * After a write: read the file again.  A value the kernel did not take as
 * meant (neither the wanted value nor what kvmtune knows it stores for it)
 * fails the setting, naming both.
 */
static int read_back(struct kvmtune *k, struct setting *s)
{
        int r = setting_read(k, s);

        if (r == -EACCES || r == -EPERM)
                return 0;       /* write-only: nothing to compare */
        if (r < 0) {
                setting_fail(k, s, "cannot read back: %s", kernfs_strerror(k, r));
                return r;
        }
        if (setting_equal(s, s->cur))
                return 0;
        setting_fail(k, s, "wrote '%s', but the kernel stores '%s'", s->want, s->cur);
        return -ERANGE;
}

/* the knob's own write reads the file back (a hugepage pool's grant) or writes no value file (a mount) */
static bool knob_reads_back(const struct setting *s)
{
        return knob_writes(s) && get_more(s)->knob->reads_back;
}

/*
 * The kernel's cross-writes of a write to path (crosswrite.c): before the
 * write, the files it changes go into the revert record with their values
 * (write-ahead, as the knob's own); after it, they are read again and what
 * changed is told (setting_effects_after()).
 */
int setting_effects_note(struct kvmtune *k, const char *path, struct cross_files *fx)
{
        cross_writes_list(k, path, fx);
        if (!fx->n)
                return 0;
        fx->old = xcalloc(fx->n, sizeof(*fx->old));
        for (size_t i = 0; i < fx->n; i++) {
                int r = kernfs_read(k, fx->v[i], &fx->old[i]);

                if (r == -ENOENT || r == -ENOTDIR || r == -EACCES || r == -EPERM)
                        continue;       /* gone meanwhile, or write-only: nothing to keep */
                if (r == 0)
                        r = revert_note_path(k, fx->v[i], fx->old[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

void setting_effects_after(struct kvmtune *k, const char *name, struct cross_files *fx)
{
        char shown[4200];

        for (size_t i = 0; i < fx->n; i++) {
                char *now = NULL;

                if (fx->old && fx->old[i] && kernfs_read(k, fx->v[i], &now) == 0 && strcmp(now, fx->old[i])) {
                        k->n_cross_writes++;
                        log_info(k, "%s: the kernel also changed %s: %s -> %s", name,
                                 shown_path(fx->v[i], shown, sizeof(shown)), fx->old[i], now);
                }
                free(now);
        }
        cross_files_free(fx);
}

/*
 * A setting whose file another setting's write changes is read again at
 * apply, after that write (settings are applied in plan order: a section
 * plans such a setting after the one whose write changes it); plan and
 * verify note it.
 */
void plan_cross_writes(struct kvmtune *k)
{
        struct strmap by_path = { 0 };
        bool built = false, found;

        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];
                struct cross_files fx;

                if (s->action != ACT_SET || !cross_writes_may(s->path))
                        continue;
                if (!built) {
                        for (size_t j = 0; j < k->n_settings; j++)
                                if (k->settings[j]->path) {
                                        void **slot = strmap_slot(&by_path, k->settings[j]->path, &found);
                                        if (!found)
                                                *slot = k->settings[j];
                                }
                        built = true;
                }
                cross_writes_list(k, s->path, &fx);
                for (size_t j = 0; j < fx.n; j++) {
                        struct setting *t = strmap_get(&by_path, fx.v[j]);
                        char name[SETTING_NAME_MAX];

                        if (!t || t == s)
                                continue;
                        if (k->cmd == CMD_APPLY)
                                t->recheck = true;
                        /* plan and verify show it */
                        if (!setting_note(t) && (t->action == ACT_OK || t->action == ACT_SET))
                                setting_set_note(t, xasprintf("compared again after %s %s, whose write changes it",
                                                              section_name(s->section),
                                                              setting_name(s, name, sizeof(name))));
                }
                cross_files_free(&fx);
        }
        strmap_free(&by_path);
}

/* Read, and write only what differs. */
int setting_apply(struct kvmtune *k, struct setting *s)
{
        struct cross_files fx = { 0 };
        char *old, name[SETTING_NAME_MAX], label[SETTING_NAME_MAX + 32];
        int r;

        if (s->action == ACT_SKIP || s->action == ACT_ERROR || (s->action == ACT_OK && !s->path)) {
                setting_close(s);
                return 0;
        }
        if (s->path) {
                /*
                 * The planned value stands unless another write may have
                 * changed it.  A value that differed at plan is written
                 * whatever a copy made of it meanwhile (it is the old value
                 * or the copied one): only an equal one is read again.
                 */
                if (!s->cur || (s->recheck && k->n_cross_writes && setting_equal(s, s->cur))) {
                        r = setting_read(k, s);
                        if (s->optional && (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)) {
                                setting_skip(s, "not present");
                                return 0;
                        }
                        /* planned to appear with a write before it (a governor's switch): it did not */
                        if (s->deferred && (r == -ENOENT || r == -ENOTDIR)) {
                                setting_fail(k, s, "no /%s after the write it waited for", s->path);
                                return r;
                        }
                        /* unreadable or not there yet: the write tells; another error fails */
                        if (r < 0 && r != -EACCES && r != -EPERM && r != -ENOENT) {
                                setting_fail(k, s, "cannot read: %s", kernfs_strerror(k, r));
                                setting_close(s);
                                return r;
                        }
                }
                if (s->cur && setting_equal(s, s->cur)) {
                        s->action = ACT_OK;
                        setting_close(s);
                        return 0;
                }
        }
        /* write-ahead: the old values are in the record before the write, the files it changes too */
        if (s->path && ((r = setting_effects_note(k, s->path, &fx)) < 0 || (s->orig && revert_note(k, s) < 0))) {
                setting_fail(k, s, "not written: %s", r < 0 && r != -ENOLCK && r != -EIO && r != -ENOSPC ?
                             kernfs_strerror(k, r) : "the revert record cannot be written");
                cross_files_free(&fx);
                setting_close(s);
                return -EIO;
        }
        if (knob_writes(s))
                r = get_more(s)->knob->write(k, s);
        else
                r = kernfs_write(k, s->path, s->fd, s->want);
        if (r < 0) {
                /* a knob's own write may have failed the setting with a better message */
                if (s->action != ACT_ERROR)
                        setting_fail(k, s, "cannot write '%s': %s", s->want, kernfs_strerror(k, r));
                /* not recorded as changed unless the kernel took part of it (a short hugepage grant) */
                if (s->orig && setting_read(k, s) == 0 && fields_equal(s->cur, s->orig))
                        revert_unnote(k, s);
                cross_files_free(&fx);
                setting_close(s);
                return r;
        }
        old = s->cur;
        s->cur = NULL;
        s->changed = true;
        if (s->affects_others)
                k->n_cross_writes++;
        k->n_changes++;
        report_change(k, s, old);
        if (cur_owned(s, old))
                free(old);
        if (fx.n)
                snprintf(label, sizeof(label), "%s %s", section_name(s->section), setting_name(s, name, sizeof(name)));
        setting_effects_after(k, label, &fx);
        r = s->path && !knob_reads_back(s) ? read_back(k, s) : 0;
        if (!s->cur)
                s->cur = xstrdup(s->want);
        setting_close(s);
        return r;
}

int apply_settings(struct kvmtune *k, int section)
{
        int ret = 0;

        size_t from = 0, to = 0;

        /* a section's settings are adjacent: one write-ahead batch for them */
        for (size_t i = 0; i < k->n_settings; i++)
                if (k->settings[i]->section == section) {
                        if (to == 0)
                                from = i;
                        to = i + 1;
                }
        revert_note_batch(k, k->settings + from, to - from, section);
        for (size_t i = from; i < to; i++)
                if (k->settings[i]->section == section && setting_apply(k, k->settings[i]) < 0)
                        ret = -EIO;
        revert_batch_end(k);
        return ret;
}

/*
 * Order settings[from..] by their order, keeping creation order among equal
 * ones: a counting sort, as order is small (0..SETTING_ORDER_MAX).  Only the
 * settings outside the largest class are copied aside (10,000 per-interface
 * keys, a few all and default ones: a few pointers, not 10,000).
 */
void settings_sort(struct kvmtune *k, size_t from)
{
        size_t n = k->n_settings > from ? k->n_settings - from : 0, count[SETTING_ORDER_MAX + 1] = { 0 };
        size_t start[SETTING_ORDER_MAX + 1], major = 0, n_aside = 0, kept = 0;
        struct setting **v, **aside;
        bool in_order = true;

        if (!n)         /* k->settings may be NULL: no arithmetic on it */
                return;
        v = k->settings + from;
        for (size_t i = 0; i < n; i++) {
                count[v[i]->order]++;
                if (i && v[i]->order < v[i - 1]->order)
                        in_order = false;
        }
        if (in_order)
                return;
        for (size_t o = 0, at = 0; o <= SETTING_ORDER_MAX; at += count[o++]) {
                start[o] = at;
                if (count[o] > count[major])
                        major = o;
        }
        aside = xrealloc_array(NULL, n - count[major], sizeof(*aside));
        /* the largest class moves up in place, the others aside, all in order */
        for (size_t i = 0; i < n; i++)
                if (v[i]->order == major)
                        v[kept++] = v[i];
                else
                        aside[n_aside++] = v[i];
        memmove(v + start[major], v, kept * sizeof(*v));
        for (size_t i = 0; i < n_aside; i++)
                v[start[aside[i]->order]++] = aside[i];
        free(aside);
}

void settings_free(struct kvmtune *k)
{
        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];
                if (cur_owned(s, s->cur))
                        free(s->cur);
                if (s->more) {
                        free(s->more->stored);
                        free(s->more->json_extra);
                        free(s->more->data);
                        free(s->more->note);
                        free(s->more);
                }
                setting_close(s);
        }
        strmap_free(&k->shared_values);
        arena_free(&k->settings_arena);
        free(k->settings);
        k->settings = NULL;
        k->n_settings = k->cap_settings = 0;
}
