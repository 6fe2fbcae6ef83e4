/* SPDX-License-Identifier: MIT */
/*
 * Reading a source for `kvmtune import`: a file is read whole and bounded,
 * then cut into checked lines (no NUL, no control character, not longer
 * than a configuration line) before any reader sees it; the one line reader
 * of every reader walks those lines.  Below the readers: it calls only the
 * report (carry.c) and the path check (kpath.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"

char *imp_line_str(const struct imp_line *l)
{
        const char *s = l->s;
        size_t n = l->len;

        if (l->bad)
                return NULL;
        while (n && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        return strndup(s, n) ?: xstrdup("");
}

char *imp_take_line(struct imp *im, const struct imp_file *f, size_t i)
{
        const struct imp_line *l = &f->lines[i];

        if (l->bad) {
                struct imp_src src = { f->shown, l->no, NULL };
                imp_refused(im, &src, "%s", l->bad);
                return NULL;
        }
        return imp_line_str(l);
}

/* line i trimmed; a refused one is reported, or with no im (a second look at lines read before) skipped quietly */
static char *take_line(struct imp *im, const struct imp_file *f, size_t i)
{
        return im ? imp_take_line(im, f, i) : imp_line_str(&f->lines[i]);
}

bool imp_next_line(struct imp *im, const struct imp_file *f, size_t *pos, const char *comments, bool join,
                   struct imp_rline *out)
{
        free(out->s);
        free(out->clean);
        *out = (struct imp_rline){ 0 };
        while (*pos < f->n_lines) {
                size_t i = (*pos)++;
                char *s = take_line(im, f, i);

                if (!s)
                        continue;
                while (join && *s && s[strlen(s) - 1] == '\\' && *pos < f->n_lines) {
                        char *next = take_line(im, f, (*pos)++), *joined;

                        if (!next)
                                break;
                        s[strlen(s) - 1] = '\0';
                        joined = xasprintf("%s %s", s, next);
                        free(s);
                        free(next);
                        s = joined;
                }
                if (!*s || strchr(comments, *s)) {
                        free(s);
                        continue;
                }
                out->s = s;
                out->i = i;
                out->clean = imp_clean_text(s, strlen(s));
                out->src = (struct imp_src){ f->shown, f->lines[i].no, out->clean };
                return true;
        }
        return false;
}

void imp_trim(char *s)
{
        size_t n = strlen(s), b = strspn(s, " \t");

        while (n > b && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        memmove(s, s + b, n - b);
        s[n - b] = '\0';
}

size_t imp_fields(char *s, char **out, size_t max)
{
        size_t n = 0;
        char *save = NULL;

        for (char *w = strtok_r(s, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (n < max)
                        out[n] = w;
                n++;
        }
        return n;
}

/* Cut the text into lines, each checked once: length, NUL, control characters. */
void imp_split_lines(struct imp_file *f, unsigned first_no)
{
        size_t pos = 0;
        unsigned no = first_no - 1;

        while (pos < f->len) {
                const char *s = f->text + pos, *nl = memchr(s, '\n', f->len - pos);
                size_t len = nl ? (size_t)(nl - s) : f->len - pos;
                struct imp_line *l;

                f->lines = xgrow(f->lines, f->n_lines, sizeof(*f->lines));
                l = &f->lines[f->n_lines++];
                *l = (struct imp_line){ .s = s, .len = len, .no = ++no };
                pos += len + (nl ? 1 : 0);
                if (len && s[len - 1] == '\r')
                        l->len = --len;         /* DOS line ends */
                if (len > KVMTUNE_MAX_LINE) {
                        l->bad = "line longer than 8192 bytes, refused";
                        continue;
                }
                if (memchr(s, '\0', len)) {
                        l->bad = "line holds a NUL byte, refused";
                        continue;
                }
                for (size_t i = 0; i < len; i++)
                        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
                                l->bad = "line holds a control character, refused";
                                break;
                        }
        }
}

/* Read a whole regular file from an open fd, bounded. */
int imp_read_fd(int fd, struct imp_file *f)
{
        struct stat st;
        size_t got = 0, cap;
        ssize_t n;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > (off_t)IMP_MAX_FILE)
                return -EFBIG;
        cap = (size_t)st.st_size + 1;
        f->text = xcalloc(1, cap + 1);
        for (;;) {
                if (got == cap) {
                        if (cap > IMP_MAX_FILE)
                                return -EFBIG;
                        cap *= 2;
                        f->text = xrealloc_array(f->text, cap + 1, 1);
                }
                n = read(fd, f->text + got, cap - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        if (got > IMP_MAX_FILE)
                return -EFBIG;
        f->text[got] = '\0';
        f->len = got;
        imp_split_lines(f, 1);
        return 0;
}

const char *imp_read_error(int r)
{
        return r == -EINVAL ? "not a regular file" : r == -EFBIG ? "larger than 16M" : strerror(-r);
}

/*
 * A file a source names (sysctl -p FILE, a tuned profile), read under the
 * root: 0, or a negative errno with *why set.
 */
int imp_read_rooted(struct imp *im, const char *path, enum imp_kind kind, struct imp_file *f, const char **why)
{
        int fd, r;

        *f = (struct imp_file){ .kind = kind };
        if (!imp_path_canonical(path) || has_control_char(path)) {
                *why = "not an absolute, canonical path";
                return -EINVAL;
        }
        fd = kernfs_openat(im->k, path + 1, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                *why = strerror(-fd);
                return fd;
        }
        f->shown = xstrdup(path);
        r = imp_read_fd(fd, f);
        close(fd);
        if (r < 0) {
                *why = imp_read_error(r);
                imp_file_free(f);
                return r;
        }
        return 0;
}

void imp_file_free(struct imp_file *f)
{
        free(f->shown);
        free(f->text);
        free(f->lines);
        *f = (struct imp_file){ 0 };
}
