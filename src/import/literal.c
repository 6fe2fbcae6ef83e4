/* SPDX-License-Identifier: MIT */
/*
 * Imported values are literal writes: what a sysctl file, `sysctl -w`, echo,
 * tee, sysfsutils, tmpfiles.d or a udev rule wrote reached the kernel as it
 * stands (systemd-sysctl and procps's sysctl -p keep quotes: they write
 * `"10"` with its quotes, and the kernel refuses it for a number).  Such a
 * value is carried only when the old write did what it says: never as
 * kvmtune's own syntax (a leading ">=" or "<=" is a bound to kvmtune, to the
 * kernel an invalid number), and for a sysctl that holds numbers on this
 * host only when each field is a number the kernel takes; a field the
 * kernel read as octal ("010", a leading 0) is carried as the decimal it
 * stored (8), since kvmtune refuses a leading 0.  Below kpath.c: it only
 * reads the kernel files.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

/* Sysctls that hold text which may look like a number: a name, a hex CPU bitmap */
static const char *const text_keys[] = {
        "kernel/hostname", "kernel/domainname", "net/core/rps_default_mask", "net/core/flow_limit_cpu_bitmap",
};

/*
 * one integer as the kernel's sysctl handlers parse it (base 0, an optional
 * '-'): "0x1e" is hex, a leading 0 octal ("010" is 8, "09" is refused)
 */
static size_t kernel_integer(const char *s)
{
        const char *p = s + (*s == '-');
        size_t n;

        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                n = strspn(p + 2, "0123456789abcdefABCDEF");
                return n ? (size_t)(p + 2 + n - s) : 0;
        }
        n = p[0] == '0' ? 1 + strspn(p + 1, "01234567") : strspn(p, "0123456789");
        if (p[n] >= '0' && p[n] <= '9')
                return 0;       /* an 8 or a 9 after a leading 0: EINVAL */
        return n ? (size_t)(p + n - s) : 0;
}

/* a field the kernel reads as octal: a leading 0 and an octal digit */
static bool octal_field(const char *s)
{
        const char *p = s + (*s == '-');

        return p[0] == '0' && p[1] >= '0' && p[1] <= '7';
}

/*
 * VALUE, blank-separated kernel integers, with each field the kernel reads
 * as octal ("010") written as the decimal it stores ("8"); NULL when no
 * field is octal (hex is kvmtune's syntax too, and stays as written).
 */
static char *octal_stored(const char *value)
{
        const char *s = value;
        char *out, *next;

        /* the common case first, without an allocation: no field starts with 0 and a digit */
        for (s += strspn(s, " \t"); *s && !octal_field(s); s += strspn(s, " \t"))
                s += strcspn(s, " \t");
        if (!*s)
                return NULL;
        out = xstrdup("");
        for (s = value + strspn(value, " \t"); *s; s += strspn(s, " \t")) {
                size_t n = kernel_integer(s);

                if (!n) {               /* not a kernel integer: the caller checked, never here */
                        free(out);
                        return NULL;
                }
                if (octal_field(s))
                        next = xasprintf("%s%s%s%lld", out, *out ? " " : "", *s == '-' ? "-" : "",
                                         strtoll(s + (*s == '-'), NULL, 8));
                else
                        next = xasprintf("%s%s%.*s", out, *out ? " " : "", (int)n, s);
                free(out);
                out = next;
                s += n;
        }
        return out;
}

/* blank-separated kernel integers, at least one */
static bool kernel_integers(const char *s)
{
        bool any = false;

        for (;;) {
                size_t n;

                s += strspn(s, " \t");
                if (!*s)
                        return any;
                n = kernel_integer(s);
                if (!n || (s[n] && s[n] != ' ' && s[n] != '\t'))
                        return false;
                s += n;
                any = true;
        }
}

bool imp_quoted(const char *v)
{
        size_t n = strlen(v);

        return n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0];
}

int imp_literal(struct imp *im, const char *value)
{
        enum bound bound;

        value_bound(value, &bound);
        if (bound)
                return imp_why(im, "'%s' is written as it stands: a kernel file that holds a number refuses it "
                                   "(EINVAL, the write did nothing on the old host), and kvmtune would read it as a "
                                   "bound", value);
        return 0;
}

/* 1: this host's /proc/sys/PATH (rel) holds numbers, 0: it holds text, or -errno: it cannot be read */
static int host_numbers(struct imp *im, const char *path, char *rel, size_t size)
{
        char *cur = NULL;
        int r;

        snprintf(rel, size, "proc/sys/%s", path);
        r = kernfs_read(im->k, rel, &cur);
        if (r == 0)
                r = kernel_integers(cur);
        free(cur);
        return r;
}

/*
 * What the kernel made of VALUE written to /proc/sys/PATH: 0 when it took
 * it (*quoted: it took quotes as part of a text; *stored: the decimal it
 * stored for an octal field, where this host's file holds numbers, to be
 * freed), -1 with im->why when it refused it (EINVAL) or when that cannot
 * be told.  Where this host has the file and it holds numbers, the value
 * must be numbers; a quoted value (a sysctl file's "10") is carried only
 * into a file that holds text.
 */
int imp_literal_sysctl(struct imp *im, const char *path, const char *value, bool *quoted, char **stored)
{
        char rel[320];
        int r;

        *quoted = false;
        *stored = NULL;
        if (imp_literal(im, value) < 0)
                return -1;
        if (kernel_integers(value)) {
                char *octal = octal_stored(value);

                if (!octal)
                        return 0;       /* the common case: nothing to read */
                /* an octal field: what the kernel stored, where this host's file holds numbers */
                if (!strpbrk(path, "*?[") && host_numbers(im, path, rel, sizeof(rel)) == 1)
                        *stored = octal;
                else
                        free(octal);
                return 0;
        }
        if (strpbrk(path, "*?["))
                return imp_quoted(value) ? imp_why(im, "the quotes are written too (systemd-sysctl and sysctl -p "
                                                       "keep them), which a key that holds numbers refuses")
                                         : 0;
        for (size_t i = 0; i < sizeof(text_keys) / sizeof(*text_keys); i++)
                if (!strcmp(path, text_keys[i]))
                        return 0;
        r = host_numbers(im, path, rel, sizeof(rel));
        if (r < 0) {
                if (!imp_quoted(value))
                        return 0;       /* as before: a key this kernel lacks is written with '-' */
                return imp_why(im, "the quotes are written too (systemd-sysctl and sysctl -p keep them), and this "
                                   "host has no readable /%s to tell whether the key takes text", rel);
        }
        if (r == 1)
                return imp_why(im, "/%s holds numbers, and the kernel refuses '%s' (EINVAL): the write did nothing "
                                   "on the old host%s", rel, value,
                               imp_quoted(value) ? " (systemd-sysctl and sysctl -p write the quotes too)" : "");
        *quoted = imp_quoted(value);
        return 0;
}
