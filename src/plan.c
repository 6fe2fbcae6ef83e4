/* SPDX-License-Identifier: MIT */
/* The setting list: what each section wants, what is there, what to do. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtune.h"

struct setting *setting_add(struct kvmtune *k, int section, const char *name,
                            const char *path, const char *want, struct origin at)
{
        struct setting *s = xcalloc(1, sizeof(*s));

        s->section = section;
        s->name = xstrdup(name);
        s->path = path ? xstrdup(path) : NULL;
        s->want = want ? xstrdup(want) : NULL;
        s->at = at;
        s->action = ACT_SET;
        s->seq = k->n_settings;
        if (k->n_settings == k->cap_settings) {
                k->cap_settings = k->cap_settings ? k->cap_settings * 2 : 64;
                k->settings = xrealloc_array(k->settings, k->cap_settings, sizeof(*k->settings));
        }
        k->settings[k->n_settings++] = s;
        return s;
}

__attribute__((format(printf, 2, 0)))
static void set_note(struct setting *s, const char *fmt, va_list ap)
{
        free(s->note);
        if (vasprintf(&s->note, fmt, ap) < 0)
                s->note = NULL;
}

void setting_skip(struct setting *s, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        set_note(s, fmt, ap);
        va_end(ap);
        s->action = ACT_SKIP;
}

/* Mark failed and report once, with the setting's origin. */
void setting_fail(struct kvmtune *k, struct setting *s, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        set_note(s, fmt, ap);
        va_end(ap);
        s->action = ACT_ERROR;
        log_error(k, &s->at, "%s %s: %s", section_table[s->section]->name, s->name,
                  s->note ? s->note : "failed");
}

/* Compare whitespace-separated fields: "4096\t87380 6291456" == "4096 87380 6291456" */
bool fields_equal(const char *a, const char *b)
{
        for (;;) {
                while (isspace((unsigned char)*a))
                        a++;
                while (isspace((unsigned char)*b))
                        b++;
                if (!*a || !*b)
                        return !*a && !*b;
                while (*a && !isspace((unsigned char)*a)) {
                        if (*a != *b)
                                return false;
                        a++;
                        b++;
                }
                if (*b && !isspace((unsigned char)*b))
                        return false;
        }
}

int setting_read(struct kvmtune *k, struct setting *s)
{
        char *raw;
        int r;

        free(s->cur);
        s->cur = NULL;
        r = kernfs_read(k, s->path, &raw);
        if (r < 0)
                return r;
        if (s->knob && s->knob->current) {
                s->cur = s->knob->current(raw);
                free(raw);
        } else
                s->cur = raw;
        return 0;
}

bool setting_equal(const struct setting *s, const char *cur)
{
        if (!cur || !s->want)
                return false;
        if (s->knob && s->knob->equal)
                return s->knob->equal(cur, s->want);
        return fields_equal(cur, s->want);
}

/*
 * A plain file whose value must be read again: open it once, read, compare
 * and write on that descriptor.  Returns the open fd (value read into
 * s->cur), or -errno; -EACCES for a file that is not both readable and
 * writable, which then takes the two-step way.
 */
static int open_and_read(struct kvmtune *k, struct setting *s)
{
        char *raw;
        int fd, r;

        if (s->knob)
                return -EACCES;
        fd = kernfs_openat(k, s->path, O_RDWR | O_NONBLOCK);
        if (fd < 0)
                return fd == -EPERM ? -EACCES : fd;
        r = kernfs_read_fd(fd, &raw);
        if (r < 0) {
                close(fd);
                return -EACCES;
        }
        free(s->cur);
        s->cur = raw;
        return fd;
}

/* Read, and write only what differs. */
int setting_apply(struct kvmtune *k, struct setting *s)
{
        char *old;
        int fd = -1, r;

        if (s->action == ACT_SKIP || s->action == ACT_ERROR || (s->action == ACT_OK && !s->path))
                return 0;
        if (s->path) {
                /* the planned value stands unless another write may have changed it */
                if (!s->cur || (s->recheck && k->n_cross_writes)) {
                        fd = open_and_read(k, s);
                        if (fd == -EACCES)      /* not both readable and writable */
                                r = setting_read(k, s);
                        else if (fd < 0) {
                                r = fd;
                                free(s->cur);
                                s->cur = NULL;
                        } else
                                r = 0;
                        if (s->optional && (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)) {
                                setting_skip(s, "not present");
                                return 0;
                        }
                }
                if (s->cur && setting_equal(s, s->cur)) {
                        s->action = ACT_OK;
                        if (fd >= 0)
                                close(fd);
                        return 0;
                }
        }
        if (s->path && s->cur)
                revert_note(k, s);
        if (s->knob && s->knob->write)
                r = s->knob->write(k, s);
        else if (fd >= 0)
                r = kernfs_write_fd(k, fd, s->want);
        else
                r = kernfs_write(k, s->path, s->want);
        if (fd >= 0)
                close(fd);
        if (r < 0) {
                /* a knob's own write may have failed the setting with a better message */
                if (s->action != ACT_ERROR)
                        setting_fail(k, s, "cannot write '%s': %s", s->want, strerror(-r));
                return r;
        }
        old = s->cur;
        s->cur = NULL;
        s->changed = true;
        if (s->affects_others)
                k->n_cross_writes++;
        k->n_changes++;
        report_change(k, s, old);
        s->cur = xstrdup(s->want);
        free(old);
        return 0;
}

int apply_settings(struct kvmtune *k, int section)
{
        int ret = 0;

        for (size_t i = 0; i < k->n_settings; i++)
                if (k->settings[i]->section == section && setting_apply(k, k->settings[i]) < 0)
                        ret = -EIO;
        return ret;
}

static int cmp_order(const void *a, const void *b)
{
        const struct setting *x = *(const struct setting *const *)a;
        const struct setting *y = *(const struct setting *const *)b;

        if (x->order != y->order)
                return x->order < y->order ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void settings_sort(struct kvmtune *k, size_t from)
{
        if (k->n_settings > from)
                qsort(k->settings + from, k->n_settings - from, sizeof(*k->settings), cmp_order);
}

void settings_free(struct kvmtune *k)
{
        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];
                free(s->name);
                free(s->path);
                free(s->want);
                free(s->cur);
                free(s->note);
                free(s->data);
                free(s);
        }
        free(k->settings);
        k->settings = NULL;
        k->n_settings = k->cap_settings = 0;
}
