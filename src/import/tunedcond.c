/* SPDX-License-Identifier: MIT */
/*
 * What TuneD decides from the host before it tunes anything, for the
 * profiles `kvmtune import` reads: /etc/tuned/tuned-main.conf (reapply_sysctl,
 * uname_string, cpuinfo_string, default_instance_priority), the host's
 * uname and /proc/cpuinfo for a section's uname_regex= and cpuinfo_regex=
 * (Python regular expressions, searched with re.MULTILINE; evaluated here
 * with POSIX regcomp() after a translation, or refused when they use what
 * has no POSIX form), and TuneD's devices= expressions (fnmatch globs,
 * '!' negation) as kvmtune device subsections.  Below the TuneD reader:
 * it calls only the file reader (source.c) and the core.
 */
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "import.h"

#define MAIN_CONF "/etc/tuned/tuned-main.conf"

/* configparser's getboolean(): 1/yes/true/on, 0/no/false/off, any case; -1 otherwise */
static int py_bool(const char *v)
{
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };

        for (size_t i = 0; i < 4; i++) {
                if (!strcasecmp(v, yes[i]))
                        return 1;
                if (!strcasecmp(v, no[i]))
                        return 0;
        }
        return -1;
}

/* "key = value  # comment" of configparser: the inline comment needs a blank before it */
bool tuned_conf_line(char *s, char **key, char **value)
{
        char *eq = strchr(s, '='), *c;

        if (!eq)
                return false;
        *eq = '\0';
        *key = s;
        *value = eq + 1;
        for (c = *value; (c = strchr(c, '#')); c++)
                if (c > *value && (c[-1] == ' ' || c[-1] == '\t')) {
                        *c = '\0';
                        break;
                }
        imp_trim(*key);
        imp_trim(*value);
        return true;
}

void tuned_main_read(struct imp *im, struct tuned_main *tm)
{
        struct imp_file f;
        struct imp_rline l = { 0 };
        const char *why = NULL;

        *tm = (struct tuned_main){ .reapply_sysctl = true };
        if (imp_read_rooted(im, MAIN_CONF, IK_TUNED, &f, &why) < 0) {
                tm->reapply_where = xstrdup("TuneD's default, there is no " MAIN_CONF);
                return;
        }
        for (size_t pos = 0; imp_next_line(NULL, &f, &pos, "#;", false, &l);) {
                char *key, *v;

                if (!tuned_conf_line(l.s, &key, &v))
                        continue;
                if (!strcmp(key, "reapply_sysctl")) {
                        int b = py_bool(v);

                        free(tm->reapply_where);
                        if (b < 0) {
                                /* TuneD refuses to start on it; its default is what a fixed file gets */
                                tm->reapply_sysctl = true;
                                tm->reapply_where = xasprintf("'%s' at %s:%u is not a boolean, TuneD's default "
                                                              "is on", v, f.shown, l.src.line);
                        } else {
                                tm->reapply_sysctl = b;
                                tm->reapply_where = xasprintf("reapply_sysctl = %s at %s:%u", v, f.shown, l.src.line);
                        }
                } else if (!strcmp(key, "uname_string")) {
                        free(tm->uname_string);
                        tm->uname_string = xstrdup(v);
                } else if (!strcmp(key, "cpuinfo_string")) {
                        free(tm->cpuinfo_string);
                        tm->cpuinfo_string = xstrdup(v);
                } else if (!strcmp(key, "default_instance_priority")) {
                        tm->default_priority = strtol(v, NULL, 0);
                }
        }
        if (!tm->reapply_where)
                tm->reapply_where = xstrdup("TuneD's default: " MAIN_CONF " does not set reapply_sysctl");
        free(l.s);
        free(l.clean);
        imp_file_free(&f);
}

void tuned_main_free(struct tuned_main *tm)
{
        free(tm->reapply_where);
        free(tm->uname_string);
        free(tm->cpuinfo_string);
        free(tm->uname);
        free(tm->cpuinfo);
}

/* one field of uname under the root: /proc/sys/kernel/NAME, or this kernel's when the file is not there */
static char *uts_field(struct imp *im, const char *name, const char *own)
{
        char rel[64], *v = NULL;

        snprintf(rel, sizeof(rel), "proc/sys/kernel/%s", name);
        if (kernfs_read(im->k, rel, &v) < 0 || !v)
                return xstrdup(own);
        imp_trim(v);
        return v;
}

/*
 * TuneD's uname string: uname_string of tuned-main.conf, else
 * " ".join(os.uname()), i.e. sysname nodename release version machine, read
 * under the root from /proc/sys/kernel/{ostype,hostname,osrelease,version,arch}
 * (a file that is missing: the running kernel's uname(2) field).
 */
const char *tuned_host_uname(struct imp *im, struct tuned_main *tm)
{
        static const char *const names[] = { "ostype", "hostname", "osrelease", "version", "arch" };
        struct utsname u;
        const char *own[5];
        char *parts[5];

        if (tm->uname)
                return tm->uname;
        if (tm->uname_string)
                return tm->uname = xstrdup(tm->uname_string);
        if (uname(&u) < 0)
                memset(&u, 0, sizeof(u));
        own[0] = u.sysname;
        own[1] = u.nodename;
        own[2] = u.release;
        own[3] = u.version;
        own[4] = u.machine;
        for (size_t i = 0; i < 5; i++)
                parts[i] = uts_field(im, names[i], own[i]);
        tm->uname = xasprintf("%s %s %s %s %s", parts[0], parts[1], parts[2], parts[3], parts[4]);
        for (size_t i = 0; i < 5; i++)
                free(parts[i]);
        return tm->uname;
}

/* cpuinfo_string of tuned-main.conf, else /proc/cpuinfo under the root ("" when unreadable, as TuneD reads it) */
const char *tuned_host_cpuinfo(struct imp *im, struct tuned_main *tm)
{
        char *v = NULL;

        if (tm->cpuinfo)
                return tm->cpuinfo;
        if (tm->cpuinfo_string)
                return tm->cpuinfo = xstrdup(tm->cpuinfo_string);
        if (kernfs_read(im->k, "proc/cpuinfo", &v) < 0 || !v)
                v = xstrdup("");
        return tm->cpuinfo = v;
}

/* ---- Python regular expressions as POSIX ones ----------------------------- */

struct rebuf {
        char *s;
        size_t n, cap;
};

static void put(struct rebuf *b, const char *s, size_t n)
{
        if (b->n + n + 1 > b->cap) {
                b->cap = (b->n + n + 1) * 2;
                b->s = realloc(b->s, b->cap);
                if (!b->s)
                        abort();
        }
        memcpy(b->s + b->n, s, n);
        b->n += n;
        b->s[b->n] = '\0';
}

static void put_str(struct rebuf *b, const char *s)
{
        put(b, s, strlen(s));
}

/* a {m}, {m,}, {,n} or {m,n} quantifier at p: its length, 0 when Python reads the brace literally */
static size_t brace_len(const char *p)
{
        size_t i = 1, d1 = strspn(p + 1, "0123456789"), d2 = 0;

        i += d1;
        if (p[i] == ',') {
                d2 = strspn(p + i + 1, "0123456789");
                i += 1 + d2;
        }
        return p[i] == '}' && (d1 || d2) ? i + 1 : 0;
}

/* the inside of [...] from p (after '[' and a '^'); NULL and *why on what has no POSIX form */
static const char *bracket(struct rebuf *b, const char *p, const char **why)
{
        if (*p == ']')
                put(b, p++, 1);
        for (; *p && *p != ']'; p++) {
                if (*p == '[' && strchr(":.=", p[1])) {
                        *why = "a '[' inside a character class, which POSIX reads as a class name";
                        return NULL;
                }
                if (*p != '\\') {
                        put(b, p, 1);
                        continue;
                }
                p++;
                if (*p == 'd')
                        put_str(b, "0-9");
                else if (*p == 's')
                        put_str(b, " \t\n\r\f\v");
                else if (*p == 'w')
                        put_str(b, "[:alnum:]_");
                else if (*p == 't')
                        put_str(b, "\t");
                else if (*p && strchr("\\.*+?(){}|$/:,;_ #'\"", *p))
                        put(b, p, 1);
                else {
                        *why = "an escape inside a character class that POSIX has no form for";
                        return NULL;
                }
        }
        if (*p != ']') {
                *why = "an unterminated character class";
                return NULL;
        }
        put(b, p, 1);
        return p + 1;
}

/* a Python pattern as a glibc ERE (REG_NEWLINE for re.MULTILINE), or NULL with *why */
static char *py_to_ere(const char *py, const char **why)
{
        struct rebuf b = { 0 };
        bool quant = false;     /* the last token was a quantifier: a '?' or '+' after it is lazy/possessive */

        put(&b, "", 0);         /* "" for an empty pattern */
        for (const char *p = py; *p;) {
                bool q = false;

                if (*p == '\\') {
                        char c = p[1];

                        if (c == 'd')
                                put_str(&b, "[0-9]");
                        else if (c == 'D')
                                put_str(&b, "[^0-9]");
                        else if (c && strchr("sSwWbB", c))
                                put(&b, p, 2);
                        else if (c == 't')
                                put_str(&b, "\t");
                        else if (c == 'n')
                                put_str(&b, "\n");
                        else if (c && strchr(".[]{}()*+?^$|\\", c))
                                put(&b, p, 2);
                        else if (c && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                                put(&b, p + 1, 1);
                        else {
                                *why = "an escape (a back-reference, \\A, \\Z, ...) that POSIX has no form for";
                                goto fail;
                        }
                        p += c ? 2 : 1;
                } else if (*p == '[') {
                        put(&b, p++, 1);
                        if (*p == '^')
                                put(&b, p++, 1);
                        p = bracket(&b, p, why);
                        if (!p)
                                goto fail;
                } else if (*p == '(' && p[1] == '?') {
                        if (p[2] != ':') {
                                *why = "a (?...) group (look-around, flags, named group) that POSIX has no form for";
                                goto fail;
                        }
                        put_str(&b, "(");
                        p += 3;
                } else if (*p == '{') {
                        size_t n = brace_len(p);

                        if (!n) {
                                put_str(&b, "\\{");
                                p++;
                        } else {
                                if (p[1] == ',')
                                        put_str(&b, "{0");
                                else
                                        put_str(&b, "{");
                                put(&b, p + 1, n - 1);
                                p += n;
                                q = true;
                        }
                } else if ((*p == '?' || *p == '+') && quant) {
                        p++;    /* lazy or possessive: whether a match exists does not change */
                } else {
                        q = *p == '*' || *p == '+' || *p == '?';
                        put(&b, p++, 1);
                }
                quant = q;
        }
        return b.s;
fail:
        free(b.s);
        return NULL;
}

int tuned_re_search(const char *py, const char *text, const char **why)
{
        char *ere = py_to_ere(py, why);
        regex_t re;
        int r;

        if (!ere)
                return -1;
        r = regcomp(&re, ere, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
        free(ere);
        if (r) {
                *why = "a pattern POSIX regcomp() refuses";
                return -1;
        }
        r = regexec(&re, text, 0, NULL, 0) == 0;
        regfree(&re);
        return r;
}

/* ---- devices= -------------------------------------------------------------- */

/* TuneD's rules: split on a blank or a comma; '!' marks a negative rule */
static size_t rules(const char *expr, char ***pos, bool *negation)
{
        char *copy = xstrdup(expr), *save = NULL;
        size_t n = 0;

        *pos = NULL;
        *negation = false;
        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                if (*w == '!') {
                        *negation = true;
                        continue;
                }
                *pos = xgrow(*pos, n, sizeof(char *));
                (*pos)[n++] = xstrdup(w);
        }
        free(copy);
        if (!n) {               /* no positive rule: TuneD adds '*' */
                *pos = xgrow(*pos, 0, sizeof(char *));
                (*pos)[n++] = xstrdup("*");
        }
        return n;
}

static void rules_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

char *tuned_devices_sub(const char *expr, bool *negation)
{
        char **v, *out = xstrdup(""), *t;
        size_t n = rules(expr, &v, negation);

        for (size_t i = 0; i < n; i++) {
                t = xasprintf("%s%s%s", out, *out ? " " : "", v[i]);
                free(out);
                out = t;
        }
        rules_free(v, n);
        return out;
}

static bool is_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* every name q matches, p matches too (a sure answer or false) */
static bool glob_covers(const char *p, const char *q)
{
        size_t lit = strcspn(p, "*?[");

        if (!strcmp(p, "*") || !strcmp(p, q))
                return true;
        if (!is_glob(q))
                return fnmatch(p, q, 0) == 0;
        /* "PREFIX*" covers any glob that starts with PREFIX */
        return p[lit] == '*' && !p[lit + 1] && !strncmp(p, q, lit) && strcspn(q, "*?[") >= lit;
}

/* no name matches both (a sure answer or false) */
static bool glob_disjoint(const char *p, const char *q)
{
        size_t lp = strcspn(p, "*?["), lq = strcspn(q, "*?["), n = lp < lq ? lp : lq;

        if (!is_glob(p) && !is_glob(q))
                return strcmp(p, q) != 0;
        if (!is_glob(q))
                return fnmatch(p, q, 0) != 0;
        if (!is_glob(p))
                return fnmatch(q, p, 0) != 0;
        return strncmp(p, q, n) != 0;
}

enum tuned_devrel tuned_devices_relation(const char *earlier, const char *later)
{
        char **e, **l;
        bool eneg, lneg, covers = true, disjoint = true;
        size_t ne = rules(earlier, &e, &eneg), nl = rules(later, &l, &lneg);

        for (size_t j = 0; j < nl; j++) {
                bool one = false;

                for (size_t i = 0; i < ne; i++) {
                        one |= glob_covers(e[i], l[j]);
                        disjoint &= glob_disjoint(e[i], l[j]);
                }
                covers &= one;
        }
        rules_free(e, ne);
        rules_free(l, nl);
        return disjoint ? DEV_DISJOINT : covers && !eneg ? DEV_COVERS : DEV_OVERLAP;
}
