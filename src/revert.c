/* SPDX-License-Identifier: MIT */
/*
 * The revert record: /run/kvmtune/revert holds, for each file kvmtune
 * changed since boot, the value it had before the first change.  Later
 * applies add only files not yet recorded; `revert` writes the old values
 * back in reverse order and removes the record, or keeps in it only the
 * values it could not write back (a knob that no longer exists is dropped).
 * Mounts and module loads are not reverted (see kvmtune(8)).
 *
 * One line per file: PATH TAB VALUE, with '\\', tab and newline escaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"

#define RECORD_DIR "run/kvmtune"
#define RECORD "run/kvmtune/revert"

struct revert_record {
        struct revert_entry {
                char *path;
                char *old;
        } *e;
        size_t n, cap, n_loaded;
        struct strmap index;
        bool loaded;
};

static void escape(FILE *f, const char *s)
{
        for (;;) {
                size_t n = strcspn(s, "\\\t\n");

                fwrite_unlocked(s, 1, n, f);            /* plain runs whole */
                s += n;
                if (!*s)
                        return;
                fputs_unlocked(*s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : "\\n", f);
                s++;
        }
}

static char *unescape(const char *s)
{
        char *out = xstrdup(s), *o = out;

        for (; *s; s++) {
                if (*s == '\\' && s[1]) {
                        s++;
                        *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
                } else
                        *o++ = *s;
        }
        *o = '\0';
        return out;
}

static void add_entry(struct revert_record *rec, char *path, char *old)
{
        bool found;
        void **slot;

        if (rec->n == rec->cap) {
                rec->cap = rec->cap ? rec->cap * 2 : 64;
                rec->e = xrealloc_array(rec->e, rec->cap, sizeof(*rec->e));
        }
        rec->e[rec->n] = (struct revert_entry){ path, old };
        slot = strmap_slot(&rec->index, path, &found);
        *slot = path;
        rec->n++;
}

/* Read the existing record, once. */
static struct revert_record *record_load(struct kvmtune *k)
{
        char iobuf[1 << 16];
        struct revert_record *rec = k->revert;
        char *line = NULL;
        size_t cap = 0;
        FILE *f;
        int fd;

        if (rec)
                return rec;
        rec = k->revert = xcalloc(1, sizeof(*rec));
        fd = kernfs_openat(k, RECORD, O_RDONLY);
        if (fd < 0)
                return rec;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return rec;
        }
        setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));       /* a large record in a few reads */
        while (getline(&line, &cap, f) > 0) {
                char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (!tab)
                        continue;
                *tab = '\0';
                /* only paths kvmtune itself writes: below proc/sys or sys */
                if (strncmp(line, "proc/sys/", 9) && strncmp(line, "sys/", 4))
                        continue;
                add_entry(rec, unescape(line), unescape(tab + 1));
        }
        free(line);
        fclose(f);
        rec->n_loaded = rec->n;
        return rec;
}

/* Called before a write: remember the old value unless already recorded. */
void revert_note(struct kvmtune *k, const struct setting *s)
{
        struct revert_record *rec;

        if (k->cmd != CMD_APPLY)
                return;
        rec = record_load(k);
        if (strmap_get(&rec->index, s->path))
                return;
        add_entry(rec, xstrdup(s->path), xstrdup(s->cur));
}

/* run/kvmtune under the root (created if asked), as an O_PATH fd, or -errno */
static int record_dir(struct kvmtune *k, bool create)
{
        int run;

        if (create)
                mkdirat(k->rootfd, "run", 0755);        /* one component: no link is followed */
        run = kernfs_openat(k, "run", O_PATH | O_DIRECTORY);
        if (run < 0)
                return run;
        if (create && mkdirat(run, "kvmtune", 0755) < 0 && errno != EEXIST) {
                int r = -errno;
                close(run);
                return r;
        }
        close(run);
        return kernfs_openat(k, RECORD_DIR, O_PATH | O_DIRECTORY);
}

/*
 * Atomically: a temp file, fsync, rename.  Every name is taken relative to
 * the directory opened under the root, so no link leads the writes out.
 */
static int write_record(struct kvmtune *k, const struct revert_record *rec)
{
        char iobuf[1 << 16];
        FILE *f;
        int dir, fd, r = 0;

        dir = record_dir(k, true);
        if (dir < 0) {
                r = dir;
                goto out;
        }
        fd = openat(dir, "revert.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                goto out;
        }
        setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));       /* and in a few writes */
        for (size_t i = 0; i < rec->n; i++) {
                escape(f, rec->e[i].path);
                fputc('\t', f);
                escape(f, rec->e[i].old);
                fputc('\n', f);
        }
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dir, "revert.tmp", dir, "revert") < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dir, "revert.tmp", 0);         /* the old record, if any, stays whole */
out:
        if (dir >= 0)
                close(dir);
        if (r < 0)
                log_error(k, NULL, "cannot write the revert record /%s: %s", RECORD, strerror(-r));
        return r;
}

/* After apply: write the record only when something new was recorded. */
int revert_save(struct kvmtune *k)
{
        struct revert_record *rec = k->revert;

        if (!rec || rec->n == rec->n_loaded)
                return 0;
        return write_record(k, rec);
}

int revert_run(struct kvmtune *k)
{
        struct revert_record *rec = record_load(k);
        struct revert_record failed = { 0 };
        char shown[4200];
        int ret = 0;

        for (size_t i = rec->n; i-- > 0;) {
                const struct revert_entry *e = &rec->e[i];
                char *cur = NULL;
                int r = kernfs_read(k, e->path, &cur);

                if (r == 0) {
                        char *word = bracketed_word(cur);   /* thp, scheduler */
                        bool same = fields_equal(cur, e->old) || !strcmp(word, e->old);

                        free(word);
                        if (same) {
                                free(cur);
                                continue;
                        }
                }
                if (r == -ENOENT) {
                        /* the knob is gone (an interface removed since): nothing to put back */
                        log_debug(k, "revert %s: gone", shown_path(e->path, shown, sizeof(shown)));
                        continue;
                }
                r = kernfs_write(k, e->path, e->old);
                if (r < 0) {
                        log_error(k, NULL, "revert %s: cannot write '%s': %s",
                                  shown_path(e->path, shown, sizeof(shown)), e->old, strerror(-r));
                        ret = r;
                        /* kept for a later revert once the cause is gone; a knob that is gone is not */
                        if (r != -ENOENT)
                                add_entry(&failed, xstrdup(e->path), xstrdup(e->old));
                } else {
                        k->n_changes++;
                        log_info(k, "revert %s: %s -> %s", shown_path(e->path, shown, sizeof(shown)),
                                 cur ? cur : "?", e->old);
                }
                free(cur);
        }
        if (failed.n) {
                /* the failed entries, in their original order */
                for (size_t i = 0, j = failed.n - 1; i < j; i++, j--) {
                        struct revert_entry t = failed.e[i];
                        failed.e[i] = failed.e[j];
                        failed.e[j] = t;
                }
                write_record(k, &failed);
        } else {
                int dir = record_dir(k, false);

                if (dir >= 0 && unlinkat(dir, "revert", 0) < 0 && errno != ENOENT) {
                        ret = -errno;
                        log_error(k, NULL, "cannot remove /%s: %s", RECORD, strerror(-ret));
                }
                if (dir >= 0)
                        close(dir);
        }
        for (size_t i = 0; i < failed.n; i++) {
                free(failed.e[i].path);
                free(failed.e[i].old);
        }
        free(failed.e);
        strmap_free(&failed.index);
        return ret;
}

void revert_free(struct kvmtune *k)
{
        struct revert_record *rec = k->revert;

        if (!rec)
                return;
        for (size_t i = 0; i < rec->n; i++) {
                free(rec->e[i].path);
                free(rec->e[i].old);
        }
        free(rec->e);
        strmap_free(&rec->index);
        free(rec);
        k->revert = NULL;
}
