/* SPDX-License-Identifier: MIT */
/*
 * A minimal, strict JSON parser for the tests: validates the syntax of
 * kvmtune --json output (RFC 8259, one value, nothing after it but
 * whitespace) and gives access to its fields.
 */
#pragma once
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
        enum jtype type;
        bool b;
        double num;
        char *str;              /* J_STR: decoded (\uXXXX below 0x80 only kept as is) */
        size_t n;               /* J_ARR, J_OBJ: number of items */
        char **keys;            /* J_OBJ */
        struct jv *items;
};

static inline void jv_free_inner(struct jv *v)
{
        free(v->str);
        for (size_t i = 0; i < v->n; i++) {
                if (v->keys)
                        free(v->keys[i]);
                jv_free_inner(&v->items[i]);
        }
        free(v->keys);
        free(v->items);
}

static inline void jv_free(struct jv *v)
{
        if (v) {
                jv_free_inner(v);
                free(v);
        }
}

static inline const char *j_ws(const char *p)
{
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

static inline const char *j_value(const char *p, struct jv *v, int depth);

static inline const char *j_string(const char *p, char **out)
{
        size_t cap = 16, n = 0;
        char *s;

        if (*p != '"')
                return NULL;
        p++;
        s = malloc(cap);
        for (;;) {
                unsigned char c = (unsigned char)*p;
                if (n + 8 > cap)
                        s = realloc(s, cap *= 2);
                if (c == '"')
                        break;
                if (c < 0x20) {         /* raw control characters are invalid */
                        free(s);
                        return NULL;
                }
                if (c == '\\') {
                        p++;
                        switch (*p) {
                        case '"': s[n++] = '"'; break;
                        case '\\': s[n++] = '\\'; break;
                        case '/': s[n++] = '/'; break;
                        case 'b': s[n++] = '\b'; break;
                        case 'f': s[n++] = '\f'; break;
                        case 'n': s[n++] = '\n'; break;
                        case 'r': s[n++] = '\r'; break;
                        case 't': s[n++] = '\t'; break;
                        case 'u': {
                                unsigned cp = 0;
                                for (int i = 1; i <= 4; i++) {
                                        if (!isxdigit((unsigned char)p[i])) {
                                                free(s);
                                                return NULL;
                                        }
                                        cp = cp * 16 + (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0'
                                                                   : (tolower((unsigned char)p[i]) - 'a' + 10));
                                }
                                p += 4;
                                if (cp < 0x80)
                                        s[n++] = (char)cp;
                                else
                                        s[n++] = '?';
                                break;
                        }
                        default:
                                free(s);
                                return NULL;
                        }
                        p++;
                        continue;
                }
                if (c >= 0x80) {        /* strings must be UTF-8 */
                        int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                                  : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
                        for (int i = 1; i < len; i++)
                                if (((unsigned char)p[i] & 0xc0) != 0x80)
                                        len = 0;
                        if (!len) {
                                free(s);
                                return NULL;
                        }
                        for (int i = 0; i < len; i++)
                                s[n++] = *p++;
                        continue;
                }
                s[n++] = (char)c;
                p++;
        }
        s[n] = '\0';
        *out = s;
        return p + 1;
}

static inline const char *j_number(const char *p, struct jv *v)
{
        const char *start = p;

        if (*p == '-')
                p++;
        if (*p == '0')
                p++;
        else if (isdigit((unsigned char)*p))
                while (isdigit((unsigned char)*p))
                        p++;
        else
                return NULL;
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char)*p))
                        return NULL;
                while (isdigit((unsigned char)*p))
                        p++;
        }
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                if (!isdigit((unsigned char)*p))
                        return NULL;
                while (isdigit((unsigned char)*p))
                        p++;
        }
        v->type = J_NUM;
        v->num = strtod(start, NULL);
        return p;
}

static inline const char *j_value(const char *p, struct jv *v, int depth)
{
        memset(v, 0, sizeof(*v));
        if (depth > 64)
                return NULL;
        p = j_ws(p);
        if (*p == '{' || *p == '[') {
                bool obj = *p == '{';
                char close = obj ? '}' : ']';

                v->type = obj ? J_OBJ : J_ARR;
                p = j_ws(p + 1);
                if (*p == close)
                        return p + 1;
                for (;;) {
                        v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
                        memset(&v->items[v->n], 0, sizeof(*v->items));
                        if (obj) {
                                v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
                                v->keys[v->n] = NULL;
                                p = j_string(j_ws(p), &v->keys[v->n]);
                                if (!p) {
                                        v->n++;
                                        return NULL;
                                }
                                p = j_ws(p);
                                if (*p != ':') {
                                        v->n++;
                                        return NULL;
                                }
                                p++;
                        }
                        p = j_value(p, &v->items[v->n++], depth + 1);
                        if (!p)
                                return NULL;
                        p = j_ws(p);
                        if (*p == ',') {
                                p++;
                                continue;
                        }
                        if (*p == close)
                                return p + 1;
                        return NULL;
                }
        }
        if (*p == '"') {
                v->type = J_STR;
                return j_string(p, &v->str);
        }
        if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
                v->type = J_BOOL;
                v->b = *p == 't';
                return p + (v->b ? 4 : 5);
        }
        if (!strncmp(p, "null", 4)) {
                v->type = J_NULL;
                return p + 4;
        }
        return j_number(p, v);
}

/* The parsed document, or NULL when text is not exactly one valid JSON value. */
static inline struct jv *json_parse(const char *text)
{
        struct jv *v = calloc(1, sizeof(*v));
        const char *end = text ? j_value(text, v, 0) : NULL;

        if (!end || *j_ws(end)) {
                jv_free(v);
                return NULL;
        }
        return v;
}

static inline const struct jv *jv_get(const struct jv *o, const char *key)
{
        if (!o || o->type != J_OBJ)
                return NULL;
        for (size_t i = 0; i < o->n; i++)
                if (o->keys[i] && !strcmp(o->keys[i], key))
                        return &o->items[i];
        return NULL;
}

static inline const char *jv_str(const struct jv *o, const char *key)
{
        const struct jv *v = jv_get(o, key);
        return v && v->type == J_STR ? v->str : NULL;
}

/* number field, or -1 when absent or not a number */
static inline double jv_num(const struct jv *o, const char *key)
{
        const struct jv *v = jv_get(o, key);
        return v && v->type == J_NUM ? v->num : -1;
}

/* the element of the "settings" array whose "name" is name */
static inline const struct jv *jv_setting(const struct jv *doc, const char *name)
{
        const struct jv *a = jv_get(doc, "settings");

        if (!a || a->type != J_ARR)
                return NULL;
        for (size_t i = 0; i < a->n; i++) {
                const char *nm = jv_str(&a->items[i], "name");
                if (nm && !strcmp(nm, name))
                        return &a->items[i];
        }
        return NULL;
}
