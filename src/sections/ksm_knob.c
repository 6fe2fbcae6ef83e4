/* SPDX-License-Identifier: MIT */
/*
 * One fixed [ksm] knob: how it is read ("[none] scan-time" reads as
 * "none"), checked against the kernel's file and written.  Below ksm.c
 * (the fixed keys) and ksm_auto.c (the knobs `run = auto` decides).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksm.h"

static bool needs_unmerged(const char *key)
{
        return !strcmp(key, "merge_across_nodes") || !strcmp(key, "max_page_sharing");
}

bool ksm_is_number(const char *s)
{
        uint64_t n;

        return parse_u64(s, &n) == 0;
}

static int ksm_write(struct kvmtune *k, struct setting *s)
{
        int r = kernfs_write(k, s->path, -1, s->want);

        if (r == -EBUSY && needs_unmerged(get_more(s)->name))
                setting_fail(k, s, "the kernel accepts this only while no pages are merged, and pages are "
                             "merged now; `run = 2` unmerges them (kvmtune never unmerges by itself)");
        return r;
}

/* "[none] scan-time" reads as "none"; a number reads as itself */
static const struct knob_ops ksm_knob = { .current = bracketed_word, .write = ksm_write };

void ksm_plan_knob(struct kvmtune *k, struct setting *s)
{
        const char *name = get_more(s)->name;
        struct stat sb;
        char *raw;
        int fd, r;

        set_more(s)->knob = &ksm_knob;
        s->order = needs_unmerged(name) ? 0 : strcmp(name, "run") ? 1 : 2;
        /* one open through the kept directory: its type and mode, then its value */
        fd = kernfs_open_file(k, s->path, O_RDONLY | O_NONBLOCK);
        if (fd == -ENOENT) {
                setting_fail(k, s, "unknown key: no /%s on this kernel", s->path);
                return;
        }
        if (fd >= 0 && fstat(fd, &sb) == 0 && (!S_ISREG(sb.st_mode) || !(sb.st_mode & S_IWUSR))) {
                close(fd);
                setting_fail(k, s, "/%s is not a writable KSM knob", s->path);
                return;
        }
        r = fd < 0 ? fd : kernfs_read_fd(fd, &raw);
        if (fd >= 0)
                close(fd);
        if (r < 0) {
                setting_fail(k, s, "cannot read: %s", strerror(-r));
                return;
        }
        s->cur = bracketed_word(raw);
        s->orig = arena_strdup(&k->settings_arena, s->cur);      /* what revert restores */
        /* a knob that holds a number takes a number; one that lists words, one of them */
        if (ksm_is_number(s->cur) && !ksm_is_number(s->want))
                setting_fail(k, s, "expected a number, not '%s'", s->want);
        else if (strchr(raw, '[') && !choice_offered(raw, s->want))
                setting_fail(k, s, "'%s' is not one of the kernel's choices: %s", s->want, raw);
        else
                s->action = setting_equal(s, s->cur) ? ACT_OK : ACT_SET;
        free(raw);
}
