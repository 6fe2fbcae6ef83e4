/* SPDX-License-Identifier: MIT */
/*
 * Configuration loading: the search path, masking and overriding by file
 * name, lexical order across directories, ownership checks, and driving
 * inih with a line reader of our own.
 *
 * Debian's libinih gives the handler no line number, splits lines longer
 * than ini_max_line and treats indented lines as continuations.  The reader
 * below counts lines, hands inih one whole line at a time with leading
 * whitespace removed, turns comment lines of any length into blank lines and
 * refuses over-long or binary lines itself, so inih never splits a line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtune.h"

#define MAX_CONF_SIZE (16u << 20)

static const char *const search_path[] = {
        "etc/kvmtune/conf.d",
        "run/kvmtune/conf.d",
        "usr/local/lib/kvmtune/conf.d",
        "usr/lib/kvmtune/conf.d",
};

enum line_kind { LINE_BLANK, LINE_KEY, LINE_SECTION };
enum section_state { SECTION_NONE, SECTION_OK, SECTION_BAD };

struct parser {
        struct kvmtune *k;
        const char *shown;
        const char *text;
        size_t len, pos;
        unsigned lineno;
        enum line_kind kind;
        bool handled;           /* inih called the handler for this line */
        enum section_state section;
        int sec;
        char *sub;
};

/*
 * [name] or [name "sub"], then nothing but a comment.  The closing ']' is
 * the one after the name or the quoted subsection, so a glob such as
 * "sd[a-c]" or a ']' inside a trailing comment does not confuse it.
 */
static int parse_header(struct parser *p, const char *line)
{
        struct kvmtune *k = p->k;
        struct origin at = { p->shown, p->lineno };
        const char *close, *q, *name = line + 1, *rest;
        char *sname = NULL;
        size_t nlen;

        free(p->sub);
        p->sub = NULL;
        p->section = SECTION_BAD;
        nlen = strcspn(name, " \t\"]");
        q = name + nlen;
        while (*q == ' ' || *q == '\t')
                q++;
        if (*q == '"') {
                const char *end = strchr(q + 1, '"');

                if (!end) {
                        log_error(k, &at, "malformed section header: bad quoting");
                        return -EINVAL;
                }
                close = end + 1;
                while (*close == ' ' || *close == '\t')
                        close++;
                if (*close != ']') {
                        log_error(k, &at, "malformed section header: %s",
                                  strchr(close, ']') ? "bad quoting" : "missing ']'");
                        return -EINVAL;
                }
                p->sub = strndup(q + 1, (size_t)(end - q - 1));
        } else if (*q == ']' && q == name + nlen) {
                close = q;
        } else {
                log_error(k, &at, "malformed section header%s", strchr(q, ']') ? "" : ": missing ']'");
                return -EINVAL;
        }
        for (rest = close + 1; *rest == ' ' || *rest == '\t'; rest++)
                ;
        if (*rest && *rest != '#' && *rest != ';') {
                log_error(k, &at, "unexpected text after section header");
                free(p->sub);
                p->sub = NULL;
                return -EINVAL;
        }
        sname = strndup(name, nlen);
        if (!sname)
                return -ENOMEM;

        p->sec = section_lookup(sname);
        if (p->sec < 0 ||
            (p->sub && section_table[p->sec]->subsection == SUB_NONE)) {
                log_error(k, &at, "unknown section [%.*s]", (int)(close - name), name);
                free(sname);
                return -EINVAL;
        }
        free(sname);
        if (!p->sub && section_table[p->sec]->subsection == SUB_REQUIRED) {
                log_error(k, &at, "section [%s] needs a name: [%s \"...\"]",
                          section_table[p->sec]->name, section_table[p->sec]->name);
                return -EINVAL;
        }
        if (p->sub && section_table[p->sec]->check_sub &&
            section_table[p->sec]->check_sub(k, p->sub, at) < 0)
                return -EINVAL;
        p->section = SECTION_OK;
        return 0;
}

static void line_done(struct parser *p)
{
        if (p->kind == LINE_KEY && !p->handled) {
                struct origin at = { p->shown, p->lineno };
                log_error(p->k, &at, "syntax error: expected 'key = value'");
        }
        p->kind = LINE_BLANK;
        p->handled = false;
}

/* ini_reader: one whole line per call, never split */
static char *reader(char *str, int num, void *stream)
{
        struct parser *p = stream;
        const char *line, *nl;
        size_t n;
        bool binary = false;

        line_done(p);
        if (p->pos >= p->len)
                return NULL;
        line = p->text + p->pos;
        nl = memchr(line, '\n', p->len - p->pos);
        n = nl ? (size_t)(nl - line) : p->len - p->pos;
        p->pos += n + (nl ? 1 : 0);
        p->lineno++;

        if (p->lineno == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
                line += 3;
                n -= 3;
        }
        while (n > 0 && (*line == ' ' || *line == '\t')) {
                line++;
                n--;
        }
        if (n > 0 && line[n - 1] == '\r')
                n--;
        str[0] = '\n';
        str[1] = '\0';
        if (n == 0 || *line == '#' || *line == ';')
                return str;

        for (size_t i = 0; i < n; i++)
                if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
                        binary = true;
        struct origin at = { p->shown, p->lineno };
        if (binary) {
                log_error(p->k, &at, "control character in line");
                if (*line == '[')
                        p->section = SECTION_BAD;
                return str;
        }
        if (n > KVMTUNE_MAX_LINE || n + 2 > (size_t)num) {
                log_error(p->k, &at, "line too long: values are limited to %d bytes",
                          KVMTUNE_MAX_VALUE);
                if (*line == '[')
                        p->section = SECTION_BAD;
                return str;
        }
        if (*line != '[') {
                /* inih also splits at ':' (configparser style); only '=' is ours */
                const char *colon = memchr(line, ':', n), *eq = memchr(line, '=', n);

                if (colon && (!eq || colon < eq)) {
                        log_error(p->k, &at, "syntax error: expected 'key = value'");
                        return str;
                }
                /* sysctl.d's exclusion: '-KEY' alone, no '=' */
                if (!eq && *line == '-' && p->section == SECTION_OK && p->sec == SEC_SYSCTL) {
                        char *key = strndup(line, n);

                        if (!key)
                                return str;
                        /* an inline comment, as inih takes it: ';' or '#' after a blank */
                        for (char *c = key + 1; *c; c++)
                                if ((*c == '#' || *c == ';') && (c[-1] == ' ' || c[-1] == '\t')) {
                                        *c = '\0';
                                        break;
                                }
                        for (size_t e = strlen(key); e > 0 && (key[e - 1] == ' ' || key[e - 1] == '\t'); e--)
                                key[e - 1] = '\0';
                        if (section_enabled(p->k, p->sec))
                                section_table[p->sec]->parse(p->k, p->sub, key, NULL, at);
                        free(key);
                        return str;
                }
        }
        memcpy(str, line, n);
        str[n] = '\n';
        str[n + 1] = '\0';
        if (*line == '[') {
                char *hdr = strndup(line, n);
                if (hdr)
                        parse_header(p, hdr);
                free(hdr);
                p->kind = LINE_SECTION;
        } else
                p->kind = LINE_KEY;
        return str;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
        struct parser *p = user;
        struct kvmtune *k = p->k;
        struct origin at = { p->shown, p->lineno };

        (void)section;
        p->handled = true;
        if (p->section == SECTION_NONE) {
                log_error(k, &at, "'%s' outside of a section", key);
                return 1;
        }
        if (p->section == SECTION_BAD)
                return 1;
        if (strlen(value) > KVMTUNE_MAX_VALUE) {
                log_error(k, &at, "value longer than %d bytes", KVMTUNE_MAX_VALUE);
                return 1;
        }
        if (!section_enabled(k, p->sec))
                return 1;
        section_table[p->sec]->parse(k, p->sub, key, value, at);
        return 1;
}

int config_parse_text(struct kvmtune *k, const char *shown, const char *text, size_t len)
{
        struct parser p = { .k = k, .shown = shown, .text = text, .len = len, .section = SECTION_NONE };

        ini_allow_multiline = false;
        ini_use_stack = false;
        ini_allow_realloc = false;
        /* without the stack or realloc, inih's buffer is ini_initial_alloc bytes (200) */
        ini_initial_alloc = KVMTUNE_MAX_LINE + 3;
        ini_max_line = KVMTUNE_MAX_LINE + 3;
        ini_allow_bom = false;          /* the reader removes it, once */
        ini_inline_comment_prefixes = (char *)";#";
        ini_stop_on_first_error = false;
        ini_allow_no_value = false;
        /* inih's own return only repeats what the reader and handler reported */
        if (ini_parse_stream(reader, &p, handler, &p) == -2)
                log_error(k, NULL, "out of memory");
        free(p.sub);
        return 0;
}

static int read_all(int fd, size_t size, char **out, size_t *len)
{
        char *buf = xcalloc(1, size + 1);
        size_t got = 0;
        ssize_t n;

        while (got < size) {
                n = read(fd, buf + got, size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        free(buf);
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        buf[got] = '\0';
        *out = buf;
        *len = got;
        return 0;
}

static bool unsafe_owner(const struct stat *st)
{
        return st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH));
}

static struct conf_file *add_file(struct kvmtune *k, const char *name, char *shown,
                                  char *open_path, bool rooted)
{
        struct conf_file *f;

        k->files = xgrow(k->files, k->n_files, sizeof(*k->files));
        f = &k->files[k->n_files++];
        *f = (struct conf_file){
                .name = xstrdup(name), .shown = shown, .open_path = open_path, .rooted = rooted,
        };
        return f;
}

/*
 * Open, check and read one winning file; sets its state.  dfd >= 0: the
 * file is a regular file (readdir's type) in that directory, itself opened
 * under the root: opened beneath it, with no link followed, instead of by a
 * walk from the root (a link there now, ELOOP, takes the walk).
 */
static void load_file(struct kvmtune *k, struct conf_file *f, bool check_owner, int dfd)
{
        struct origin at = { f->shown, 0 };
        struct stat st;
        int fd = -ELOOP, r;

        if (dfd >= 0) {
                do
                        fd = openat(dfd, f->name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
                while (fd < 0 && errno == EINTR);
                if (fd < 0)
                        fd = -errno;
        }
        if (fd == -ELOOP && f->rooted)
                fd = kernfs_openat(k, f->open_path, O_RDONLY | O_NONBLOCK);
        else if (fd == -ELOOP) {
                fd = open(f->open_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0)
                        fd = -errno;
        }
        f->state = CONF_BAD;
        if (fd < 0) {
                log_error(k, &at, "cannot open: %s", strerror(-fd));
                return;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                log_error(k, &at, "not a regular file, ignored");
                goto out;
        }
        if (check_owner && unsafe_owner(&st)) {
                log_error(k, &at, "refused: must be owned by root and not writable by group or others");
                goto out;
        }
        if (st.st_size == 0) {
                f->state = CONF_MASKED;
                goto out;
        }
        if ((uint64_t)st.st_size > MAX_CONF_SIZE) {
                log_error(k, &at, "file too large");
                goto out;
        }
        r = read_all(fd, (size_t)st.st_size, &f->text, &f->len);
        if (r < 0) {
                log_error(k, &at, "cannot read: %s", strerror(-r));
                goto out;
        }
        f->state = CONF_READ;
out:
        close(fd);
}

static bool is_dev_null_link(int dfd, const char *name)
{
        char target[16];
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

        if (n < 0)
                return false;
        target[n] = '\0';
        return !strcmp(target, "/dev/null");
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a > b && !strcmp(s + a - b, suffix);
}

static int cmp_file(const void *a, const void *b)
{
        const struct conf_file *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        if (c)
                return c;
        /* same name: the winner (not overridden) first */
        return (x->state == CONF_OVERRIDDEN) - (y->state == CONF_OVERRIDDEN);
}

static struct conf_file *find_name(struct kvmtune *k, const char *name)
{
        for (size_t i = 0; i < k->n_files; i++)
                if (k->files[i].state != CONF_OVERRIDDEN && !strcmp(k->files[i].name, name))
                        return &k->files[i];
        return NULL;
}

static void scan_dir(struct kvmtune *k, const char *dir, bool rooted)
{
        struct origin at;
        struct dirent *de;
        struct stat st;
        char *shown_dir;
        DIR *d;

        shown_dir = rooted ? xasprintf("/%s", dir) : xstrdup(dir);
        at = (struct origin){ shown_dir, 0 };
        d = rooted ? kernfs_opendir(k, dir) : opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        log_error(k, &at, "cannot open directory: %s", strerror(errno));
                free(shown_dir);
                return;
        }
        if (k->check_owner && (fstat(dirfd(d), &st) < 0 || unsafe_owner(&st))) {
                log_error(k, &at, "refused: directory must be owned by root and not writable by group or others");
                closedir(d);
                free(shown_dir);
                return;
        }
        while ((de = readdir(d))) {
                struct conf_file *winner, *f;
                char *shown;

                if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".conf"))
                        continue;
                shown = xasprintf("%s/%s", shown_dir, de->d_name);
                winner = find_name(k, de->d_name);
                if (winner) {
                        const char *by = winner->shown;
                        f = add_file(k, de->d_name, shown, NULL, rooted);
                        f->state = CONF_OVERRIDDEN;
                        f->by = by;
                        continue;
                }
                f = add_file(k, de->d_name, shown,
                             rooted ? xasprintf("%s/%s", dir, de->d_name) : xstrdup(shown), rooted);
                /* only a symlink can point at /dev/null: no readlinkat for the others */
                if ((de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) && is_dev_null_link(dirfd(d), de->d_name))
                        f->state = CONF_MASKED;
                else
                        load_file(k, f, k->check_owner, de->d_type == DT_REG ? dirfd(d) : -1);
        }
        closedir(d);
        free(shown_dir);
}

int config_load(struct kvmtune *k)
{
        if (k->n_config_files) {
                for (size_t i = 0; i < k->n_config_files; i++) {
                        const char *path = k->config_files[i];
                        const char *base = strrchr(path, '/');
                        struct conf_file *f = add_file(k, base ? base + 1 : path, xstrdup(path),
                                                       xstrdup(path), false);
                        if (is_dev_null_link(AT_FDCWD, path))
                                f->state = CONF_MASKED;
                        else
                                load_file(k, f, k->check_owner, -1);
                }
        } else {
                if (k->n_config_dirs)
                        for (size_t i = 0; i < k->n_config_dirs; i++)
                                scan_dir(k, k->config_dirs[i], false);
                else
                        for (size_t i = 0; i < sizeof(search_path) / sizeof(*search_path); i++)
                                scan_dir(k, search_path[i], true);
                /* stable enough: names are unique among winners */
                if (k->n_files)
                        qsort(k->files, k->n_files, sizeof(*k->files), cmp_file);
        }
        if (k->cmd == CMD_CAT_CONFIG)
                return 0;
        for (size_t i = 0; i < k->n_files; i++)
                if (k->files[i].state == CONF_READ) {
                        config_parse_text(k, k->files[i].shown, k->files[i].text, k->files[i].len);
                        /* parsed: the text is not needed again, and its memory serves the plan */
                        free(k->files[i].text);
                        k->files[i].text = NULL;
                        k->files[i].len = 0;
                }
        return 0;
}

int config_cat(struct kvmtune *k)
{
        for (size_t i = 0; i < k->n_files; i++) {
                const struct conf_file *f = &k->files[i];

                switch (f->state) {
                case CONF_READ:
                        printf("# %s\n", f->shown);
                        fwrite(f->text, 1, f->len, stdout);
                        if (f->len && f->text[f->len - 1] != '\n')
                                putchar('\n');
                        putchar('\n');
                        break;
                case CONF_MASKED:
                        printf("# %s: masked\n\n", f->shown);
                        break;
                case CONF_OVERRIDDEN:
                        printf("# %s: overridden by %s\n\n", f->shown, f->by);
                        break;
                case CONF_BAD:
                        printf("# %s: refused (see errors)\n\n", f->shown);
                        break;
                }
        }
        return 0;
}

void config_free(struct kvmtune *k)
{
        for (size_t i = 0; i < k->n_files; i++) {
                free(k->files[i].name);
                free(k->files[i].shown);
                free(k->files[i].open_path);
                free(k->files[i].text);
        }
        free(k->files);
        k->files = NULL;
        k->n_files = 0;
}
