/* SPDX-License-Identifier: MIT */
/*
 * The entry store of `kvmtune import` and the emitter.  Sources arrive in
 * boot order; a setting given again replaces the earlier one (later wins)
 * and keeps a comment naming what it replaced.  The output is one
 * configuration in the section order of the specification, each setting
 * under a `# FILE:LINE: original text` comment.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

static const char *const sec_names[IS_N] = {
        [IS_SYSCTL] = "sysctl", [IS_MODULES] = "modules", [IS_CONNTRACK] = "conntrack",
        [IS_HUGEPAGES] = "hugepages", [IS_HUGETLBFS] = "hugetlbfs", [IS_KSM] = "ksm",
        [IS_THP] = "thp", [IS_BLOCK] = "block", [IS_NETDEV] = "netdev", [IS_CPU] = "cpu",
        [IS_ISOLATION] = "isolation", [IS_CMDLINE] = "cmdline",
};

static char *make_id(enum imp_sec sec, const char *sub, const char *idkey)
{
        return xasprintf("%d\x1f%s\x1f%s", (int)sec, sub ? sub : "", idkey);
}

/*
 * Whether the entry already has note s; if not, s is remembered (it becomes
 * the next note).  A few notes are compared one by one; past NOTES_SCANNED
 * a map of them keeps a setting written 40,000 times (each write a
 * "conflict" note) linear.
 */
#define NOTES_SCANNED 8

static bool noted(struct imp_entry *e, const char *s)
{
        bool found;

        if (e->n_notes < NOTES_SCANNED) {
                for (size_t i = 0; i < e->n_notes; i++)
                        if (!strcmp(e->notes[i], s))
                                return true;
                return false;
        }
        if (!e->seen_notes.n)
                for (size_t i = 0; i < e->n_notes; i++)
                        strmap_slot(&e->seen_notes, e->notes[i], &found);
        strmap_slot(&e->seen_notes, s, &found);
        return found;
}

void imp_note(struct imp_entry *e, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        if (noted(e, s)) {
                free(s);        /* a file read again (sysctl -p) says it once */
                return;
        }
        e->notes = xgrow(e->notes, e->n_notes, sizeof(char *));
        e->notes[e->n_notes++] = s;
}

struct imp_entry *imp_find(struct imp *im, enum imp_sec sec, const char *sub, const char *idkey)
{
        char *id = make_id(sec, sub, idkey);
        void *i = strmap_get(&im->ids, id);

        free(id);
        return i ? &im->e[(size_t)i - 1] : NULL;
}

static char *src_text(const struct imp_src *src)
{
        return xasprintf("%s:%u: %s", src->file, src->line, src->text ? src->text : "");
}

/*
 * Set one thing.  idkey names what is set (a sysctl path, a module name, a
 * key); the same (section, subsection, idkey) again is the same setting.
 */
static struct imp_entry *put(struct imp *im, enum imp_sec sec, const char *sub, const char *key,
                             const char *idkey, const char *value, const struct imp_src *src)
{
        char *id = make_id(sec, sub, idkey ? idkey : key);
        struct imp_entry *e;
        bool found;
        void **slot;

        slot = strmap_slot(&im->ids, id, &found);
        if (found) {
                e = &im->e[(size_t)*slot - 1];
                free(id);
                char *now = src_text(src);

                if (strcmp(e->value, value))
                        imp_note(e, "conflict: overrides %s (%s); the later source wins", e->src, e->value);
                else if (strcmp(e->src, now))
                        imp_note(e, "also set, to the same value, by %s", e->src);
                free(e->src);
                e->src = now;
                free(e->value);
                e->value = xstrdup(value);
                free(e->key);
                e->key = xstrdup(key);
                e->dropped = false;
                return e;
        }
        im->e = xgrow(im->e, im->n, sizeof(*im->e));
        e = &im->e[im->n];
        *e = (struct imp_entry){
                .sec = sec, .sub = sub ? xstrdup(sub) : NULL, .key = xstrdup(key), .id = id,
                .value = xstrdup(value), .src = src_text(src),
        };
        /* the map keeps a pointer to the key: the id lives as long as the entry */
        *slot = (void *)(im->n + 1);
        im->n++;
        return e;
}

struct imp_entry *imp_put(struct imp *im, enum imp_sec sec, const char *sub, const char *key,
                          const char *idkey, const char *value, const struct imp_src *src)
{
        struct imp_entry *e = put(im, sec, sub, key, idkey, value, src);

        if (im->cond)
                imp_note(e, "%s", im->cond);
        if (!im->guard)
                ;
        else if (sec == IS_SYSCTL)
                imp_note(e, "written only where %s exists (an existence test guarded it): the '-' prefix "
                            "skips the key where the kernel lacks it", im->guard);
        else if (sec == IS_BLOCK || sec == IS_NETDEV)
                imp_note(e, "written only where %s exists (an existence test guarded it): kvmtune sets it "
                            "when the device is there and skips a device that is absent", im->guard);
        else
                imp_note(e, "written only where %s exists (an existence test guarded it); it exists on this "
                            "host, and kvmtune reports an error on a host without it", im->guard);
        return e;
}

static void emit_entry(const struct imp_entry *e, FILE *out)
{
        fprintf(out, "# %s\n", e->src);
        for (size_t i = 0; i < e->n_notes; i++)
                fprintf(out, "# %s\n", e->notes[i]);
        if (e->dropped)
                return;
        fprintf(out, "%s = %s\n", e->key, e->value);
}

/*
 * next[i]: the entry after i in i's section (the same output section and
 * subsection), or im->n; one pass with a map of each section's last entry,
 * so that 40,000 [block "DEV"] sections are written in linear time.
 */
static size_t *section_chains(const struct imp *im)
{
        size_t *next = xcalloc(im->n ? im->n : 1, sizeof(*next));
        struct strmap last = { 0 };
        char **names = xcalloc(im->n ? im->n : 1, sizeof(*names));

        for (size_t i = 0; i < im->n; i++) {
                const struct imp_entry *e = &im->e[i];
                bool found;
                void **slot;

                names[i] = xasprintf("%d\x1f%s", (int)e->sec, e->sub ? e->sub : "\x1f");
                slot = strmap_slot(&last, names[i], &found);
                if (found)
                        next[(size_t)*slot - 1] = i;
                *slot = (void *)(i + 1);
                next[i] = im->n;
        }
        strmap_free(&last);
        for (size_t i = 0; i < im->n; i++)
                free(names[i]);
        free(names);
        return next;
}

/* The sections of SEC not written yet, in the order of their first entries; PLAIN: only the one without a name */
static void emit_sections(const struct imp *im, FILE *out, bool *done, const size_t *next, int sec, bool plain)
{
        for (size_t i = 0; i < im->n; i++) {
                const struct imp_entry *first = &im->e[i];

                if (done[i] || (int)first->sec != sec || (plain && first->sub))
                        continue;
                if (first->sub)     /* a udev rule's rotational filter keeps its own section: \x1e */
                        fprintf(out, "\n[%s \"%.*s\"]\n", sec_names[sec], (int)strcspn(first->sub, "\x1e"),
                                first->sub);
                else
                        fprintf(out, "\n[%s]\n", sec_names[sec]);
                for (size_t j = i; j < im->n; j = next[j]) {
                        done[j] = true;
                        emit_entry(&im->e[j], out);
                }
        }
}

void imp_emit(struct imp *im, FILE *out)
{
        bool *done = xcalloc(im->n ? im->n : 1, sizeof(bool));
        size_t *next = section_chains(im);

        fputs("# kvmtune configuration imported from this host's existing tuning by `kvmtune import`.\n"
              "# Check it (kvmtune plan --config FILE), install it, for example as\n"
              "# /etc/kvmtune/conf.d/50-imported.conf, run `kvmtune verify`, then delete\n"
              "# the source lines that import listed as carried.\n", out);
        if (im->n_kept) {
                fputs("#\n# Kept on the kernel command line (cannot change at runtime):\n", out);
                for (size_t i = 0; i < im->n_kept; i++)
                        fprintf(out, "#   %s\n", im->kept[i]);
        }
        if (im->dropin)
                fprintf(out, "#\n%s", im->dropin);
        for (int sec = 0; sec < IS_N; sec++) {
                /*
                 * Plain [cpu] before the [cpu "LIST"] sections: there the later
                 * section wins, and imp_cpu() drops a list's key that a later
                 * write to every CPU replaced, so what a list keeps came later.
                 */
                if (sec == IS_CPU)
                        emit_sections(im, out, done, next, sec, true);
                emit_sections(im, out, done, next, sec, false);
        }
        free(next);
        free(done);
}

void imp_free(struct imp *im)
{
        for (size_t i = 0; i < im->n; i++) {
                struct imp_entry *e = &im->e[i];

                free(e->sub);
                free(e->key);
                free(e->id);
                free(e->value);
                free(e->src);
                for (size_t j = 0; j < e->n_notes; j++)
                        free(e->notes[j]);
                free(e->notes);
                strmap_free(&e->seen_notes);
        }
        free(im->e);
        strmap_free(&im->ids);
        for (size_t i = 0; i < im->n_kept; i++)
                free(im->kept[i]);
        free(im->kept);
        free(im->np);
        free(im->dropin);
}
