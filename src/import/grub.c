/* SPDX-License-Identifier: MIT */
/*
 * /etc/default/grub: GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT (the
 * last assignment of each, as the shell would leave them; LINUX first, as
 * grub-mkconfig writes them).  elevator=, hugepagesz=/hugepages= pairs,
 * default_hugepagesz= and transparent_hugepage= are understood.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

/* GRUB_CMDLINE_LINUX[_DEFAULT]=VALUE: which (1, 2), 0 when the line is not one */
static int grub_var(const char *s, const char **value)
{
        static const char *const vars[] = { "GRUB_CMDLINE_LINUX=", "GRUB_CMDLINE_LINUX_DEFAULT=" };

        if (!strncmp(s, "export", 6) && (s[6] == ' ' || s[6] == '\t'))
                s += 6 + strspn(s + 6, " \t");
        for (int i = 0; i < 2; i++)
                if (!strncmp(s, vars[i], strlen(vars[i]))) {
                        *value = s + strlen(vars[i]);
                        return i + 1;
                }
        return 0;
}

/* shell quote removal of one assignment value; NULL when it needs evaluation */
static char *unquote(const char *v, const char **why)
{
        char *out = xcalloc(1, strlen(v) + 1), *o = out;
        char q = 0;

        for (; *v; v++) {
                if (q) {
                        if (*v == q)
                                q = 0;
                        else if (q == '"' && (*v == '$' || *v == '`'))
                                goto eval;
                        else if (q == '"' && *v == '\\' && v[1])
                                *o++ = *++v;
                        else
                                *o++ = *v;
                } else if (*v == '"' || *v == '\'') {
                        q = *v;
                } else if (*v == '$' || *v == '`') {
                        goto eval;
                } else if (*v == '\\' && v[1]) {
                        *o++ = *++v;
                } else if (*v == ' ' || *v == '\t' || *v == '#' || *v == ';') {
                        break;
                } else {
                        *o++ = *v;
                }
        }
        if (q) {
                free(out);
                *why = "unterminated quote";
                return NULL;
        }
        return out;
eval:
        free(out);
        *why = "it holds $ or a backquote, which is never evaluated";
        return NULL;
}

static bool size_kb(const char *s, uint64_t *kb)
{
        uint64_t b;

        if (parse_size(s, &b) < 0 || b < 4096 || b % 1024)
                return false;
        *kb = b / 1024;
        return true;
}

static void words(struct imp *im, const char *file, unsigned line, const char *value, uint64_t dflt_kb)
{
        char *copy = xstrdup(value), *save = NULL, *pair = NULL;
        uint64_t cur_kb = 0;    /* the size hugepages= applies to: 0 the default */

        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                struct imp_src src = { file, line, w };
                char *clean = imp_clean_text(w, strlen(w));
                const char *v = strchr(w, '=') ? strchr(w, '=') + 1 : "";

                src.text = clean;
                if (!strncmp(w, "elevator=", 9)) {
                        struct imp_entry *e;
                        const char *name = v;
                        char *list;

                        if (imp_block(im, "*", "scheduler", v, &src) < 0) {
                                imp_refused(im, &src, "%s", im->why);
                                free(clean);
                                continue;
                        }
                        e = imp_find(im, IS_BLOCK, "*", "scheduler");
                        name = e->value;
                        list = strcmp(name, "none") ? xasprintf("%s none", name) : xstrdup("none");
                        free(e->value);
                        e->value = list;
                        imp_note(e, "blk-mq kernels ignore elevator=; 'none' is the fallback for devices "
                                    "(dm, some virtual disks) that offer nothing else");
                        imp_carried(im, &src, NULL);
                } else if (!strncmp(w, "hugepagesz=", 11)) {
                        if (!size_kb(v, &cur_kb)) {
                                imp_refused(im, &src, "'%s' is not a hugepage size", v);
                                cur_kb = (uint64_t)-1;
                        } else {
                                free(pair);
                                pair = xstrdup(clean);
                        }
                } else if (!strncmp(w, "hugepages=", 10)) {
                        char *text = pair ? xasprintf("%s %s", pair, clean) : xstrdup(clean);
                        uint64_t kb = cur_kb ? cur_kb : dflt_kb;

                        src.text = text;
                        if (cur_kb == (uint64_t)-1)
                                imp_refused(im, &src, "the hugepagesz= before it is invalid");
                        else if (imp_hugepages(im, kb, "pages", v, &src, NULL) < 0)
                                imp_refused(im, &src, "%s", im->why);
                        else
                                imp_carried(im, &src, NULL);
                        free(text);
                        free(pair);
                        pair = NULL;
                } else if (!strncmp(w, "default_hugepagesz=", 19)) {
                        imp_kept(im, &src, "the default hugepage size cannot change at runtime");
                } else if (!strncmp(w, "transparent_hugepage=", 21)) {
                        if (strcmp(v, "always") && strcmp(v, "madvise") && strcmp(v, "never")) {
                                imp_refused(im, &src, "'%s' is not always, madvise or never", v);
                        } else {
                                imp_put(im, IS_THP, NULL, "enabled", NULL, v, &src);
                                imp_carried(im, &src, NULL);
                        }
                }
                free(clean);
        }
        if (pair) {
                struct imp_src src = { file, line, pair };
                imp_kept(im, &src, "no hugepages= follows: it only makes the size available");
                free(pair);
        }
        free(copy);
}

void imp_read_grub(struct imp *im, struct imp_file *f)
{
        size_t last[3] = { 0, 0, 0 };   /* line index + 1 of the last assignment */
        uint64_t dflt_kb = 0;
        char *value[3] = { NULL, NULL, NULL };

        for (size_t i = 0; i < f->n_lines; i++) {
                char *s = imp_take_line(im, f, i);
                const char *v;
                int which;

                if (!s)
                        continue;
                which = grub_var(s, &v);
                if (which)
                        last[which] = i + 1;
                free(s);
        }
        for (int which = 1; which <= 2; which++) {
                const char *why = NULL, *v;
                char *s;

                if (!last[which])
                        continue;
                s = imp_line_str(&f->lines[last[which] - 1]);
                grub_var(s, &v);
                value[which] = unquote(v, &why);
                if (!value[which]) {
                        bool tuning = strstr(v, "elevator=") || strstr(v, "hugepage");
                        struct imp_src src = { f->shown, f->lines[last[which] - 1].no, NULL };
                        char *clean = imp_clean_text(s, strlen(s));

                        src.text = clean;
                        if (tuning || strchr(v, '$') || strchr(v, '`'))
                                imp_refused(im, &src, "%s", why);
                        free(clean);
                }
                free(s);
        }
        /* default_hugepagesz= decides what a bare hugepages= means, wherever it is */
        for (int which = 1; which <= 2; which++) {
                char *copy, *save = NULL;

                if (!value[which])
                        continue;
                copy = xstrdup(value[which]);
                for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                        if (!strncmp(w, "default_hugepagesz=", 19))
                                size_kb(w + 19, &dflt_kb);
                free(copy);
        }
        for (int which = 1; which <= 2; which++) {
                if (value[which])
                        words(im, f->shown, f->lines[last[which] - 1].no, value[which], dflt_kb);
                free(value[which]);
        }
}
