/* SPDX-License-Identifier: MIT */
/*
 * A setting's own accessors, below the planner, revert and the report: its
 * name and section name, its note, the rare members (set_more/get_more),
 * the skip and fail marks, and the comparison of a value with what it wants.
 * Calls only log.c and util.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtune.h"

/*
 * The names of the sections, as the configuration spells them, in the
 * order of enum section_id: a section added there and not here fails to
 * compile.  Each section's ops carry the same name (section_lookup()
 * asserts it); this copy lets the rooms below the section table name a
 * setting's section.
 */
static const char *const section_names[] = {
        "hugepages", "modules", "sysctl", "conntrack", "ksm", "thp", "hugetlbfs",
        "block", "netdev", "module", "cpu", "isolation", "cmdline",
};
_Static_assert(sizeof(section_names) / sizeof(*section_names) == N_SECTIONS,
               "a section's name is missing from section_names[] (or one too many)");

const char *section_name(int section)
{
        return section >= 0 && section < N_SECTIONS && section_names[section] ? section_names[section] : "?";
}

/* The set of enabled sections for this run (--only, --stage) */
bool section_enabled(const struct kvmtune *k, int section)
{
        if (section < 0 || section >= N_SECTIONS)
                return false;
        if (k->only && !(k->only & (1u << section)))
                return false;
        if (k->stage == STAGE_INITRD && (section == SEC_BLOCK || section == SEC_NETDEV || section == SEC_CPU ||
                                         section == SEC_ISOLATION))
                return false;
        if (k->stage != STAGE_ALL && section == SEC_CMDLINE)
                return false;   /* boot loader configuration: only apply without --stage */
        return true;
}

__attribute__((format(printf, 2, 0)))
static void set_note(struct setting *s, const char *fmt, va_list ap)
{
        char *note;

        setting_set_note(s, vasprintf(&note, fmt, ap) < 0 ? NULL : note);
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
        char name[SETTING_NAME_MAX];
        va_list ap;

        va_start(ap, fmt);
        set_note(s, fmt, ap);
        va_end(ap);
        s->action = ACT_ERROR;
        log_error(k, &s->at, "%s %s: %s", section_name(s->section), setting_name(s, name, sizeof(name)),
                  setting_note(s) ? setting_note(s) : "failed");
}

struct setting_more *set_more(struct setting *s)
{
        if (!s->more)
                s->more = xcalloc(1, sizeof(*s->more));
        return s->more;
}

const struct setting_more *get_more(const struct setting *s)
{
        static const struct setting_more none;

        return s->more ? s->more : &none;
}

const char *setting_note(const struct setting *s)
{
        return get_more(s)->note;
}

void setting_set_note(struct setting *s, char *note)
{
        if (!note && !s->more)
                return;
        free(set_more(s)->note);
        s->more->note = note;
}

/*
 * What a setting is shown as: its name, or for a sysctl key (which keeps
 * only its path: 10,000 keys, 10,000 names fewer) the dotted form of the
 * path, as in sysctl.d: '/' separates, a dot in a name shows as '/'.
 */
const char *setting_name(const struct setting *s, char *buf, size_t size)
{
        const char *p = s->path;
        size_t i = 0;

        if (get_more(s)->name || !p)
                return get_more(s)->name ? get_more(s)->name : "";
        if (!strncmp(p, "proc/sys/", 9))
                p += 9;
        for (; p[i] && i + 1 < size; i++)
                buf[i] = p[i] == '/' ? '.' : p[i] == '.' ? '/' : p[i];
        buf[i] = '\0';
        return buf;
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

bool setting_equal(const struct setting *s, const char *cur)
{
        const struct setting_more *more = get_more(s);

        if (!cur || !s->want)
                return false;
        if (more->knob && more->knob->equal)
                return more->knob->equal(cur, s->want);
        if (s->bound)   /* against what the kernel stores for the limit */
                return bound_met(s->bound, cur, more->stored ? more->stored : s->want);
        return fields_equal(cur, s->want) || (more->stored && fields_equal(cur, more->stored));
}
