/* SPDX-License-Identifier: MIT */
/*
 * The revert record: /run/kvmtune/revert holds, for each file kvmtune
 * changed since boot, the value it had before the first change.  `revert`
 * writes the old values back in reverse order and removes the record, or
 * keeps in it only the values it could not write back (a knob that no
 * longer exists is dropped).  Mounts and module loads are not reverted (see
 * kvmtune(8)).
 *
 * Format: one line per file, PATH TAB OLD-VALUE NEWLINE, with '\\', tab and
 * newline escaped as \\\\, \\t and \\n; PATH is relative to the root and lies
 * below proc/sys/, proc/irq/ ([isolation]) or sys/, or is the path of an ethtool field of an
 * interface (ethtool/DEV/ring/rx, see ethtool.h), read and written through
 * the ethtool ioctl.  Only complete lines count: a last line without
 * its newline (a run killed inside its write) is ignored, and cut off before
 * the next append.  When a path occurs twice (never written so by this
 * version), the first line wins.
 *
 * Concurrency: apply and revert hold an exclusive flock(2) on
 * /run/kvmtune/lock from before they read the live values until they exit,
 * so runs never interleave on a knob or on the record.  Under the lock an
 * apply appends one line per setting it is about to change, before the
 * kernel write (write-ahead; fdatasync'd unless /run is a tmpfs, where
 * that is a no-op), and cuts it off again when the write fails and left the
 * file as it was.  Nothing but revert rewrites the record, through a temp
 * file of its own name and rename(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ethtool.h"
#include "kvmtune.h"

#define RECORD_DIR "run/kvmtune"
#define RECORD "run/kvmtune/revert"
#define LOCK_NAME "lock"
#define LOCK_TIMEOUT 120        /* seconds; udev kills a RUN program after 180 */
#define RECORD_PIECE (16 * 1024)       /* the record is written and scanned this many bytes at a time */
#define SCAN_FEW 8              /* a udev run's few paths: searched for, not put in a table */

struct revert_record {
        int dir;                /* run/kvmtune, O_PATH */
        int lock;               /* run/kvmtune/lock, flock()ed; -1 */
        char *buf;              /* the record's complete lines, as loaded */
        size_t len;
        bool loaded;
        bool scanned;           /* apply: the record was read by record_scan() */
        size_t n_scanned;       /* the settings (k->settings[0 .. n)) it marked */
        int fd;                 /* opened for appending; -1 */
        bool sync;              /* fdatasync after each line (not on tmpfs) */
        off_t size;             /* of the record as opened for appending, and appended since */
        off_t last_off;         /* the size before the last append */
        const struct setting *last;     /* noted last, by revert_note() */
        bool failed;            /* an append failed: said once */
        struct setting **batch; /* noted since revert_note_batch(), in record order */
        size_t n_batch;
        off_t batch_off;        /* the record's size before them */
        bool side_in_batch;     /* a cross-write's line was appended after the batch's */
        off_t effects_off;      /* the size before the cross-write lines of the next note; -1 */
        struct strmap paths;    /* apply, once a cross-write is noted: the record's paths */
        bool paths_loaded;
};

/* Append s escaped to the buffer (at most twice its length). */
static char *escape_into(char *o, const char *s)
{
        for (; *s; s++) {
                if (*s == '\\' || *s == '\t' || *s == '\n') {
                        *o++ = '\\';
                        *o++ = *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\';
                } else
                        *o++ = *s;
        }
        return o;
}

static char *escaped(const char *s)
{
        char *out = xcalloc(2 * strlen(s) + 1, 1);

        escape_into(out, s);
        return out;
}

/* escape_into() undone for s[0, len), into o (which may be s: it only gets shorter) */
static void unescape_into(char *o, const char *s, size_t len)
{
        const char *end = s + len;

        for (; s < end; s++) {
                if (*s == '\\' && s + 1 < end) {
                        s++;
                        *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
                } else
                        *o++ = *s;
        }
        *o = '\0';
}

static char *unescape(const char *s)
{
        char *out = xstrdup(s);

        unescape_into(out, out, strlen(out));
        return out;
}

/* run/kvmtune under the root (created if asked), as an O_PATH fd, or -errno */
static int record_dir(struct kvmtune *k, bool create)
{
        int run, dir;

        /* there already, as after the first run of a boot: one open */
        dir = kernfs_openat(k, RECORD_DIR, O_PATH | O_DIRECTORY);
        if (dir >= 0 || !create || dir != -ENOENT)
                return dir;
        mkdirat(k->rootfd, "run", 0755);        /* one component: no link is followed */
        run = kernfs_openat(k, "run", O_PATH | O_DIRECTORY);
        if (run < 0)
                return run;
        if (mkdirat(run, "kvmtune", 0755) < 0 && errno != EEXIST) {
                int r = -errno;
                close(run);
                return r;
        }
        close(run);
        return kernfs_openat(k, RECORD_DIR, O_PATH | O_DIRECTORY);
}

static struct revert_record *record_new(struct kvmtune *k)
{
        if (!k->revert) {
                k->revert = xcalloc(1, sizeof(*k->revert));
                k->revert->dir = -1;
                k->revert->lock = -1;
                k->revert->fd = -1;
                k->revert->effects_off = -1;
        }
        return k->revert;
}

/* Does this run hold the lock (so apply will run)? */
bool revert_locked(const struct kvmtune *k)
{
        return k->revert && k->revert->lock >= 0;
}

static unsigned lock_timeout(void)
{
        const char *e = getenv("KVMTUNE_LOCK_TIMEOUT");
        uint64_t v;

        return e && parse_u64(e, &v) == 0 && v > 0 && v < 86400 ? (unsigned)v : LOCK_TIMEOUT;
}

/*
 * Take /run/kvmtune/lock for apply or revert; held until exit.  Waiting for
 * another run is bounded (KVMTUNE_LOCK_TIMEOUT seconds, default 120).
 */
int revert_lock(struct kvmtune *k)
{
        struct revert_record *rec = record_new(k);
        unsigned timeout = lock_timeout();
        int r;

        if (rec->lock >= 0)
                return 0;
        rec->dir = record_dir(k, true);
        if (rec->dir < 0) {
                r = rec->dir;
                log_error(k, NULL, "cannot write the revert record /%s (cannot create /%s: %s): nothing is changed",
                          RECORD, RECORD_DIR, strerror(-r));
                return r;
        }
        rec->lock = openat(rec->dir, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (rec->lock < 0) {
                r = -errno;
                log_error(k, NULL, "cannot open /%s/%s: %s; nothing is changed", RECORD_DIR, LOCK_NAME,
                          strerror(-r));
                return r;
        }
        if (flock(rec->lock, LOCK_EX | LOCK_NB) == 0)
                return 0;
        if (errno != EWOULDBLOCK) {
                r = -errno;
        } else {
                log_debug(k, "waiting for another kvmtune run (/%s/%s)", RECORD_DIR, LOCK_NAME);
                r = kernfs_flock_wait(k, rec->lock, timeout);
                if (r == 0)
                        return 0;
        }
        if (r == -ETIME)
                log_error(k, NULL, "another kvmtune run held /%s/%s for more than %u s; nothing is changed",
                          RECORD_DIR, LOCK_NAME, timeout);
        else
                log_error(k, NULL, "cannot lock /%s/%s: %s; nothing is changed", RECORD_DIR, LOCK_NAME,
                          strerror(-r));
        close(rec->lock);
        rec->lock = -1;
        return r;
}

/* Read the record's complete lines, once. */
static struct revert_record *record_load(struct kvmtune *k)
{
        struct revert_record *rec = record_new(k);
        struct stat st;
        size_t cap;
        ssize_t n;
        int fd;

        if (rec->loaded)
                return rec;
        rec->loaded = true;
        if (rec->dir < 0)
                rec->dir = record_dir(k, false);
        if (rec->dir < 0)
                return rec;
        fd = openat(rec->dir, "revert", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rec;
        cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
        rec->buf = xcalloc(cap + 1, 1);
        for (;;) {
                if (rec->len == cap) {
                        rec->buf = xrealloc_array(rec->buf, 2 * cap + 1, 1);
                        cap *= 2;
                }
                n = read(fd, rec->buf + rec->len, cap - rec->len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                rec->len += (size_t)n;
        }
        close(fd);
        /* only complete lines: a torn last one is no entry */
        while (rec->len && rec->buf[rec->len - 1] != '\n')
                rec->len--;
        rec->buf[rec->len] = '\0';
        return rec;
}

/*
 * Apply: instead of loading the record, read it once in pieces and mark the
 * settings whose path it holds (s->noted: their first recorded value stays),
 * keeping nothing of it in memory.  A few settings (a udev event's) are
 * searched for in each piece (memmem of "PATH\t" at a line's start); more
 * are put in a table and each line is looked up in it.  Settings made since
 * an earlier scan (a glob expanded after a module load) are marked by
 * another pass.  The first pass also finds the length of the record's
 * complete lines, which record_open_append() keeps.
 */
struct scan_want {
        struct setting *s;
        char *pattern;          /* "PATH\t", PATH escaped as in the record */
        size_t len;
};

/* the lines of piece[0, len) (all complete) that start with one of the few wanted paths */
static void scan_search(char *piece, size_t len, struct scan_want *w, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *p = piece, *end = piece + len;

                while (!w[i].s->noted && (p = memmem(p, (size_t)(end - p), w[i].pattern, w[i].len))) {
                        if (p == piece || p[-1] == '\n')
                                w[i].s->noted = true;   /* by an earlier run */
                        p += w[i].len;
                }
        }
}

/* each line of piece[0, len) (all complete) looked up in the table of wanted paths */
static void scan_lookup(struct kvmtune *k, char *piece, size_t len, const uint32_t *slots, size_t cap)
{
        char *line = piece, *nl;

        while ((nl = memchr(line, '\n', len - (size_t)(line - piece)))) {
                char *tab = memchr(line, '\t', (size_t)(nl - line));

                if (tab) {
                        unescape_into(line, line, (size_t)(tab - line));        /* the path, in place */
                        for (size_t h = strmap_hash(line) & (cap - 1); slots[h]; h = (h + 1) & (cap - 1)) {
                                struct setting *s = k->settings[slots[h] - 1];
                                if (!strcmp(s->path, line))
                                        s->noted = true;        /* by an earlier run */
                        }
                }
                line = nl + 1;
        }
}

static void record_scan(struct kvmtune *k, struct revert_record *rec)
{
        size_t from = rec->n_scanned, n = 0, cap = 1, have = 0, room = RECORD_PIECE, complete = 0;
        struct scan_want *few = NULL;
        uint32_t *slots = NULL;
        char *piece;
        ssize_t got;
        int fd;

        for (size_t i = from; i < k->n_settings; i++)
                n += k->settings[i]->path != NULL;
        rec->n_scanned = k->n_settings;
        if (n == 0 && rec->scanned)
                return;
        if (n <= SCAN_FEW) {
                few = xcalloc(n ? n : 1, sizeof(*few));
                n = 0;
                for (size_t i = from; i < k->n_settings; i++) {
                        struct setting *s = k->settings[i];

                        if (!s->path)
                                continue;
                        few[n].s = s;
                        few[n].pattern = xcalloc(2 * strlen(s->path) + 2, 1);
                        *escape_into(few[n].pattern, s->path) = '\t';
                        few[n].len = strlen(few[n].pattern);
                        n++;
                }
        } else {
                while (cap < n + n / 2 + 1)     /* linear probing, at most 2/3 full */
                        cap *= 2;
                slots = xcalloc(cap, sizeof(*slots));   /* setting index + 1 */
                for (size_t i = from; i < k->n_settings; i++) {
                        size_t h;

                        if (!k->settings[i]->path)
                                continue;
                        for (h = strmap_hash(k->settings[i]->path) & (cap - 1); slots[h]; h = (h + 1) & (cap - 1))
                                ;
                        slots[h] = (uint32_t)(i + 1);
                }
        }
        if (rec->dir < 0)
                rec->dir = record_dir(k, false);
        fd = rec->dir < 0 ? -1 : openat(rec->dir, "revert", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        piece = fd < 0 ? NULL : xrealloc_array(NULL, room, 1);
        while (fd >= 0) {
                char *last;
                size_t whole;

                got = read(fd, piece + have, room - have);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        break;
                have += (size_t)got;
                last = memrchr(piece, '\n', have);
                whole = last ? (size_t)(last - piece) + 1 : 0;  /* the complete lines */
                complete += whole;
                if (few)
                        scan_search(piece, whole, few, n);
                else
                        scan_lookup(k, piece, whole, slots, cap);
                have -= whole;
                memmove(piece, piece + whole, have);
                if (have == room) {
                        room *= 2;      /* a line longer than the piece */
                        piece = xrealloc_array(piece, room, 1);
                }
        }
        if (fd >= 0)
                close(fd);
        free(piece);
        free(slots);
        for (size_t i = 0; few && i < n; i++)
                free(few[i].pattern);
        free(few);
        if (!rec->scanned) {
                rec->len = complete;    /* a torn last line is no entry */
                rec->scanned = true;
        }
}

/* The record as apply needs it before the settings' notes: see record_scan(). */
static struct revert_record *record_for(struct kvmtune *k)
{
        struct revert_record *rec = record_new(k);

        rec->loaded = true;     /* nothing of it is loaded in apply */
        record_scan(k, rec);
        return rec;
}

/* The record opened for appending, a torn last line cut off first. */
static int record_open_append(struct kvmtune *k, struct revert_record *rec)
{
        struct statfs sfs;
        struct stat st;

        if (rec->fd >= 0)
                return 0;
        if (rec->dir < 0)
                return -EBADF;
        rec->fd = openat(rec->dir, "revert", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rec->fd < 0)
                return -errno;
        if (fstat(rec->fd, &st) == 0 && (size_t)st.st_size != rec->len && ftruncate(rec->fd, (off_t)rec->len) < 0)
                return -errno;
        rec->size = (off_t)rec->len;    /* we hold the lock: nobody else appends */
        rec->sync = fstatfs(rec->fd, &sfs) < 0 || (sfs.f_type != TMPFS_MAGIC && sfs.f_type != RAMFS_MAGIC);
        return 0;
}

/* The record line of s, PATH TAB OLD NEWLINE escaped, added to the buffer. */
static void buf_add_line(char **buf, size_t *len, size_t *cap, const struct setting *s)
{
        const char *old = s->orig ? s->orig : s->cur;
        size_t need = 2 * (strlen(s->path) + strlen(old)) + 2;
        char *o;

        if (*len + need > *cap) {
                *cap = (*len + need) * 2;
                *buf = xrealloc_array(*buf, *cap, 1);
        }
        o = escape_into(*buf + *len, s->path);
        *o++ = '\t';
        o = escape_into(o, old);
        *o++ = '\n';
        *len = (size_t)(o - *buf);
}

/*
 * Append the buffer's lines to the record and empty it (a regular file may
 * take a write in parts); rec->size follows what was written.
 */
static int flush_lines(struct revert_record *rec, const char *buf, size_t *len)
{
        size_t left = *len;

        *len = 0;
        while (left) {
                ssize_t n = write(rec->fd, buf, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -ENOSPC;
                rec->size += n;
                buf += n;
                left -= (size_t)n;
        }
        return 0;
}

/* lines were cut: rec->paths is read again when needed */
static void paths_forget(struct revert_record *rec)
{
        if (!rec->paths_loaded)
                return;
        for (size_t i = 0; i < rec->paths.cap; i++)
                free(rec->paths.slots[i].value);
        strmap_free(&rec->paths);
        rec->paths_loaded = false;
}

/* path (malloc'd) into rec->paths, once */
static void paths_add(struct revert_record *rec, char *path)
{
        bool found;
        void **slot = strmap_slot(&rec->paths, path, &found);

        if (found)
                free(path);
        else
                *slot = path;
}

/* the paths of the record's complete lines, into rec->paths (apply, for cross-writes) */
static void record_paths(struct kvmtune *k, struct revert_record *rec)
{
        char *buf = NULL, *line, *nl;
        size_t len = 0, cap = 0;
        ssize_t n;
        int fd;

        if (rec->paths_loaded)
                return;
        rec->paths_loaded = true;
        fd = rec->dir < 0 ? -1 : openat(rec->dir, "revert", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        while (fd >= 0) {
                if (len + RECORD_PIECE > cap) {
                        cap = 2 * (len + RECORD_PIECE);
                        buf = xrealloc_array(buf, cap + 1, 1);
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        if (fd >= 0)
                close(fd);
        for (line = buf; buf && (nl = memchr(line, '\n', len - (size_t)(line - buf))); line = nl + 1) {
                char *tab = memchr(line, '\t', (size_t)(nl - line)), *path;

                if (!tab)
                        continue;
                path = xcalloc((size_t)(tab - line) + 1, 1);
                unescape_into(path, line, (size_t)(tab - line));
                paths_add(rec, path);
        }
        free(buf);
}

/*
 * Before a write: the old value goes into the record unless the path is in
 * it already (the first recorded value wins).  Only apply records, under
 * the lock; a failure stops the write it would protect.
 */
int revert_note(struct kvmtune *k, struct setting *s)
{
        struct revert_record *rec;
        char *line = NULL;
        size_t len = 0, cap = 0;
        int r;

        if (k->cmd != CMD_APPLY)
                return 0;
        if (!k->revert || k->revert->lock < 0)
                return -ENOLCK;         /* apply takes the lock before it plans */
        rec = record_for(k);
        if (!s->noted && rec->paths_loaded && strmap_get(&rec->paths, s->path))
                s->noted = true;        /* a cross-write's line: the old value from before that write */
        if (s->noted) {
                rec->effects_off = -1;
                return 0;       /* this run's, or an earlier run's: its first value stays */
        }
        r = record_open_append(k, rec);
        if (r == 0) {
                buf_add_line(&line, &len, &cap, s);
                /* revert_unnote() cuts the lines of the files its write changes too */
                rec->last_off = rec->effects_off >= 0 ? rec->effects_off : rec->size;
                rec->effects_off = -1;
                r = flush_lines(rec, line, &len);
                free(line);
                if (r == 0 && rec->sync && fdatasync(rec->fd) < 0)
                        r = -errno;
                if (r < 0 && ftruncate(rec->fd, rec->last_off) < 0)
                        log_debug(k, "cannot cut the record back: %s", strerror(errno));
                else if (r < 0)
                        rec->size = rec->last_off;
        }
        if (r < 0) {
                if (!rec->failed)
                        log_error(k, NULL, "cannot write the revert record /%s: %s", RECORD, strerror(-r));
                rec->failed = true;
                return r;
        }
        s->noted = true;
        rec->last = s;
        if (rec->paths_loaded)
                paths_add(rec, xstrdup(s->path));
        if (rec->n_batch) {
                /* after a batch's lines: revert_batch_end() decides for it too */
                rec->batch = xgrow(rec->batch, rec->n_batch, sizeof(*rec->batch));
                rec->batch[rec->n_batch++] = s;
                rec->last = NULL;
        }
        return 0;
}

/*
 * Before a write that the kernel makes change another file (crosswrite.c):
 * that file's old value goes into the record unless its path is in it
 * already.  A setting of this run for the same path is noted with it.
 */
int revert_note_path(struct kvmtune *k, const char *path, const char *old)
{
        struct revert_record *rec;
        struct setting line = { .path = path, .orig = (char *)old };
        size_t len = 0, cap = 0;
        off_t before = 0;
        char *buf = NULL;
        int r;

        if (k->cmd != CMD_APPLY)
                return 0;
        if (!k->revert || k->revert->lock < 0)
                return -ENOLCK;
        rec = record_for(k);
        record_paths(k, rec);
        if (strmap_get(&rec->paths, path))
                return 0;
        r = record_open_append(k, rec);
        if (r == 0) {
                before = rec->size;
                buf_add_line(&buf, &len, &cap, &line);
                r = flush_lines(rec, buf, &len);
                free(buf);
                if (r == 0 && rec->sync && fdatasync(rec->fd) < 0)
                        r = -errno;
                if (r < 0 && ftruncate(rec->fd, before) == 0)
                        rec->size = before;
        }
        if (r < 0) {
                log_error(k, NULL, "cannot write the revert record /%s: %s", RECORD, strerror(-r));
                rec->failed = true;
                return r;
        }
        if (rec->n_batch)
                rec->side_in_batch = true;      /* revert_batch_end() must not cut it off */
        if (rec->effects_off < 0)
                rec->effects_off = before;
        paths_add(rec, xstrdup(path));
        return 0;
}

/* The write that s's last note protected failed and left the file as it was. */

/* a setting of section that apply may change and whose old value is not in the record yet */
static bool needs_note(const struct setting *s, int section)
{
        return s->section == section && s->action == ACT_SET && s->path && s->orig && !s->noted;
}

/*
 * Write-ahead for a section's settings at once: a line for each one apply
 * may change (ACT_SET, a file, an old value, not recorded yet), appended in a
 * few large writes and synced once, before the first of their kernel
 * writes.  revert_batch_end() then keeps the lines of those whose file now
 * differs from the old value and cuts the others back off.  On failure
 * nothing of the batch stays and each write asks revert_note() again.
 */
int revert_note_batch(struct kvmtune *k, struct setting *const *v, size_t n, int section)
{
        struct revert_record *rec;
        char *buf = NULL;
        size_t len = 0, cap = 0, i;
        int r;

        if (k->cmd != CMD_APPLY || !k->revert || k->revert->lock < 0 || k->revert->failed)
                return 0;
        for (i = 0; i < n && !needs_note(v[i], section); i++)
                ;
        if (i == n)
                return 0;       /* nothing to note: the record is not even read */
        rec = record_for(k);
        revert_batch_end(k);
        for (i = 0; i < n; i++) {
                struct setting *s = v[i];
                if (!needs_note(s, section))
                        continue;       /* noted: by this run or, found by record_scan(), an earlier one */
                if (!rec->n_batch && (r = record_open_append(k, rec)) < 0)
                        goto fail;
                if (!rec->n_batch)
                        rec->batch_off = rec->size;
                buf_add_line(&buf, &len, &cap, s);
                rec->batch = xgrow(rec->batch, rec->n_batch, sizeof(*rec->batch));
                rec->batch[rec->n_batch++] = s;
                s->noted = true;
                if (len >= RECORD_PIECE && (r = flush_lines(rec, buf, &len)) < 0)
                        goto fail;
        }
        if (len && (r = flush_lines(rec, buf, &len)) < 0)
                goto fail;
        if (rec->n_batch && rec->sync && fdatasync(rec->fd) < 0) {
                r = -errno;
                goto fail;
        }
        free(buf);
        return 0;
fail:
        free(buf);
        for (i = 0; i < rec->n_batch; i++)
                rec->batch[i]->noted = false;
        if (rec->fd >= 0 && ftruncate(rec->fd, rec->batch_off) == 0)
                rec->size = rec->batch_off;
        free(rec->batch);
        rec->batch = NULL;
        rec->n_batch = 0;
        log_debug(k, "cannot append to the revert record /%s: %s; noting one at a time", RECORD, strerror(-r));
        return r;
}

/* After a batch's writes: only lines of files that now differ from their old value stay. */
void revert_batch_end(struct kvmtune *k)
{
        struct revert_record *rec = k->revert;
        char *buf = NULL;
        size_t len = 0, cap = 0, kept = 0;
        int r = 0;

        if (!rec || !rec->n_batch)
                return;
        for (size_t i = 0; i < rec->n_batch; i++) {
                struct setting *s = rec->batch[i];
                /* a cross-write's line follows the batch's: nothing is cut (a kept line is harmless) */
                if (rec->side_in_batch || s->changed || (s->cur && s->orig && !fields_equal(s->cur, s->orig)))
                        rec->batch[kept++] = s;
                else
                        s->noted = false;
        }
        if (kept < rec->n_batch) {
                paths_forget(rec);
                if (kept == 0 && rec->batch_off == 0) {
                        /* no record at all, as before this run (we hold the lock) */
                        unlinkat(rec->dir, "revert", 0);
                        close(rec->fd);
                        rec->fd = -1;
                } else if (ftruncate(rec->fd, rec->batch_off) == 0) {
                        rec->size = rec->batch_off;
                        for (size_t i = 0; i < kept && r == 0; i++) {
                                buf_add_line(&buf, &len, &cap, rec->batch[i]);
                                if (len >= RECORD_PIECE || i + 1 == kept)
                                        r = flush_lines(rec, buf, &len);
                        }
                        if (r == 0 && rec->sync && fdatasync(rec->fd) < 0)
                                r = -errno;
                        if (r < 0) {
                                log_error(k, NULL, "cannot write the revert record /%s: %s: revert may not "
                                          "restore what this run changed", RECORD, strerror(-r));
                                rec->failed = true;
                        }
                } else {
                        log_debug(k, "cannot cut unwritten settings out of the record: %s", strerror(errno));
                }
        }
        rec->side_in_batch = false;
        free(buf);
        free(rec->batch);
        rec->batch = NULL;
        rec->n_batch = 0;
}

void revert_unnote(struct kvmtune *k, struct setting *s)
{
        struct revert_record *rec = k->revert;

        if (!rec || rec->last != s || rec->fd < 0)
                return;
        paths_forget(rec);
        if (rec->last_off == 0) {
                /* its only line: no record at all, as before this run (we hold the lock) */
                unlinkat(rec->dir, "revert", 0);
                close(rec->fd);
                rec->fd = -1;
        } else if (ftruncate(rec->fd, rec->last_off) < 0) {
                log_debug(k, "cannot take %s out of the record: %s", s->path, strerror(errno));
                return;
        }
        rec->size = rec->last_off;
        s->noted = false;
        rec->last = NULL;
}

struct entry {
        char *path, *old;
        int err;                /* of its last write */
        bool differs;           /* from its old value, when its last pass looked */
};

#define REVERT_PASSES 4

/*
 * 0: e's file holds its old value, or is gone (an interface removed since:
 * nothing to put back); 1: it differs (*cur: what it holds, or NULL when
 * unreadable).
 */
static int entry_state(struct kvmtune *k, const struct entry *e, char **cur)
{
        char shown[4200];
        bool eth = ethtool_is_path(e->path);
        int r = eth ? ethtool_read(k, e->path, cur) : kernfs_read(k, e->path, cur);

        if (r == -ENOENT || r == -ENOTDIR || (eth && r == -ENODEV)) {
                log_debug(k, "revert %s: gone", shown_path(e->path, shown, sizeof(shown)));
                return 0;
        }
        if (r == 0) {
                char *word = bracketed_word(*cur);   /* thp, scheduler */
                bool same = fields_equal(*cur, e->old) || !strcmp(word, e->old);

                free(word);
                if (same)
                        return 0;
        }
        return 1;
}

/* Atomically: a temp file of this process, fsync, rename. */
static int write_record(struct kvmtune *k, int dir, const struct entry *e, size_t n)
{
        char tmp[64];
        FILE *f;
        int fd, r = 0;

        snprintf(tmp, sizeof(tmp), "revert.%ld.tmp", (long)getpid());
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
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
        for (size_t i = 0; i < n; i++) {
                char *p = escaped(e[i].path), *v = escaped(e[i].old);
                fprintf(f, "%s\t%s\n", p, v);
                free(p);
                free(v);
        }
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dir, tmp, dir, "revert") < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dir, tmp, 0);          /* the old record, if any, stays whole */
out:
        if (r < 0)
                log_error(k, NULL, "cannot write the revert record /%s: %s", RECORD, strerror(-r));
        return r;
}

/* Under the lock: restore in reverse order, then remove the record or keep what failed. */
int revert_run(struct kvmtune *k)
{
        struct revert_record *rec;
        struct entry *e = NULL, *failed = NULL;
        struct strmap seen = { 0 };
        size_t n = 0, n_failed = 0;
        char shown[4200];
        int ret = 0;

        if (revert_lock(k) < 0)
                return -ENOLCK;
        rec = record_load(k);
        for (char *line = rec->buf, *end = rec->buf + rec->len; line && line < end;) {
                char *nl = memchr(line, '\n', (size_t)(end - line)), *tab;
                bool found;

                *nl = '\0';
                tab = strchr(line, '\t');
                if (tab) {
                        *tab = '\0';
                        /* only paths kvmtune itself writes: below proc/sys, proc/irq or sys, ethtool fields */
                        if ((!strncmp(line, "proc/sys/", 9) || !strncmp(line, "proc/irq/", 9) ||
                             !strncmp(line, "sys/", 4) || ethtool_is_path(line)) &&
                            (strmap_slot(&seen, line, &found), !found)) {
                                e = xgrow(e, n, sizeof(*e));
                                e[n++] = (struct entry){ unescape(line), unescape(tab + 1), 0, false };
                        }
                }
                line = nl + 1;
        }
        strmap_free(&seen);
        /*
         * In reverse order, a knob before the files its write changed
         * (crosswrite.c): the scheduler before nr_requests, dirty_bytes
         * before dirty_ratio.  A write can change an entry put back before
         * it, or make one possible that failed (nr_requests under another
         * scheduler): the record is gone over again, up to REVERT_PASSES
         * times, until a pass writes nothing.  What still differs then is
         * an error and stays in the record.
         */
        int wrote = 1;

        for (int pass = 0; wrote && pass < REVERT_PASSES; pass++) {
                wrote = 0;
                for (size_t i = n; i-- > 0;) {
                        char *cur = NULL;
                        int r = entry_state(k, &e[i], &cur);

                        e[i].differs = r > 0;
                        if (r <= 0) {
                                free(cur);
                                continue;
                        }
                        r = ethtool_is_path(e[i].path) ? ethtool_set(k, e[i].path, e[i].old) :
                            kernfs_write(k, e[i].path, -1, e[i].old);
                        e[i].err = r;
                        if (r == 0) {
                                wrote++;
                                k->n_changes++;
                                log_info(k, "revert %s: %s -> %s", shown_path(e[i].path, shown, sizeof(shown)),
                                         cur ? cur : "?", e[i].old);
                        }
                        free(cur);
                }
        }
        /* after a pass that wrote nothing, what differs is known: the entries whose write failed */
        for (size_t i = n; i-- > 0;) {
                char *cur = NULL;
                int r = wrote ? entry_state(k, &e[i], &cur) : e[i].differs;

                if (r > 0) {
                        /* still not the old value: an error, kept for a later revert */
                        r = e[i].err < 0 ? e[i].err : 0;
                        if (r)
                                log_error(k, NULL, "revert %s: cannot write '%s': %s",
                                          shown_path(e[i].path, shown, sizeof(shown)), e[i].old,
                                          kernfs_strerror(k, r));
                        else
                                log_error(k, NULL, "revert %s: wrote '%s', but it reads '%s'",
                                          shown_path(e[i].path, shown, sizeof(shown)), e[i].old, cur ? cur : "?");
                        ret = r ? r : -EIO;
                        failed = xgrow(failed, n_failed, sizeof(*failed));
                        failed[n_failed++] = e[i];
                }
                free(cur);
        }
        if (n_failed) {
                /* the failed entries, in their original order */
                for (size_t i = 0, j = n_failed - 1; i < j; i++, j--) {
                        struct entry t = failed[i];
                        failed[i] = failed[j];
                        failed[j] = t;
                }
                write_record(k, rec->dir, failed, n_failed);
        } else if (rec->dir >= 0 && unlinkat(rec->dir, "revert", 0) < 0 && errno != ENOENT) {
                ret = -errno;
                log_error(k, NULL, "cannot remove /%s: %s", RECORD, strerror(-ret));
        }
        for (size_t i = 0; i < n; i++) {
                free(e[i].path);
                free(e[i].old);
        }
        free(e);
        free(failed);
        return ret;
}

int revert_dirfd(const struct kvmtune *k)
{
        return revert_locked(k) ? k->revert->dir : -1;
}

void revert_free(struct kvmtune *k)
{
        struct revert_record *rec = k->revert;

        if (rec) {
                paths_forget(rec);
                free(rec->batch);
                free(rec->buf);
                if (rec->fd >= 0)
                        close(rec->fd);
                if (rec->dir >= 0)
                        close(rec->dir);
                if (rec->lock >= 0)
                        close(rec->lock);       /* and with it the lock */
                free(rec);
                k->revert = NULL;
        }
}
