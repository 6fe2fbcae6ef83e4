/* SPDX-License-Identifier: MIT */
/* Allocation helpers that abort on exhaustion, as a one-shot tool should. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtune.h"

static void oom(void)
{
        fputs("kvmtune: out of memory\n", stderr);
        abort();
}

char *xstrdup(const char *s)
{
        char *p = strdup(s ? s : "");
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc_array(void *p, size_t n, size_t size)
{
        p = reallocarray(p, n ? n : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

/*
 * Room for element n of an array that only grows, one element at a time:
 * its capacity is implied by n (8, then the power of two at or above n),
 * so it doubles at 8, 16, 32...: appending n elements copies fewer than 2n.
 */
void *xgrow(void *p, size_t n, size_t size)
{
        if (n == 0)
                return xrealloc_array(p, 8, size);
        if (n < 8 || (n & (n - 1)))
                return p;
        return xrealloc_array(p, 2 * n, size);
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                oom();
        va_end(ap);
        return s;
}

/*
 * A value's bound: ">= N" only raises (a larger current value is met), "<= N"
 * only lowers.  Returns the text after the operator and its blanks (v itself
 * when there is none).
 */
const char *value_bound(const char *v, enum bound *b)
{
        *b = BOUND_NONE;
        if ((v[0] == '>' || v[0] == '<') && v[1] == '=') {
                *b = v[0] == '>' ? BOUND_AT_LEAST : BOUND_AT_MOST;
                v += 2;
                v += strspn(v, " \t");
        }
        return v;
}

const char *bound_prefix(enum bound b)
{
        return b == BOUND_AT_LEAST ? ">= " : b == BOUND_AT_MOST ? "<= " : "";
}

/* Is cur (one decimal integer, as the kernel shows it) within the bound of limit? */
bool bound_met(enum bound b, const char *cur, const char *limit)
{
        char *end;
        long long c, l;

        errno = 0;
        c = strtoll(cur, &end, 10);
        if (errno || end == cur || *(end + strspn(end, " \t\n")))
                return false;
        l = strtoll(limit, &end, 10);
        if (errno || end == limit || *end)
                return false;
        return b == BOUND_AT_LEAST ? c >= l : c <= l;
}

bool has_control_char(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 && *s != '\t')
                        return true;
                else if (*s == 0x7f)
                        return true;
        return false;
}

/* Eight bytes at a time: the keys are long paths that share their start. */
static size_t hash_str(const char *s)
{
        size_t len = strlen(s);
        uint64_t h = len * 0x9e3779b97f4a7c15ull, w;

        for (; len >= 8; len -= 8, s += 8) {
                memcpy(&w, s, 8);
                h = (h ^ w) * 0xff51afd7ed558ccdull;
                h ^= h >> 32;
        }
        w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
        return (size_t)(h ^ (h >> 29));
}

size_t strmap_hash(const char *s)
{
        return hash_str(s);
}

static struct strmap_slot *strmap_find(const struct strmap *m, const char *key)
{
        size_t i = hash_str(key) & (m->cap - 1);

        while (m->slots[i].key && strcmp(m->slots[i].key, key))
                i = (i + 1) & (m->cap - 1);
        return &m->slots[i];
}

/* The value slot for key (the key string must outlive the map). */
void **strmap_slot(struct strmap *m, const char *key, bool *found)
{
        struct strmap_slot *s;

        if (2 * (m->n + 1) > m->cap) {
                struct strmap old = *m;

                m->cap = m->cap ? m->cap * 2 : 64;
                m->slots = xcalloc(m->cap, sizeof(*m->slots));
                for (size_t i = 0; i < old.cap; i++)
                        if (old.slots[i].key)
                                *strmap_find(m, old.slots[i].key) = old.slots[i];
                free(old.slots);
        }
        s = strmap_find(m, key);
        *found = s->key != NULL;
        if (!s->key) {
                s->key = key;
                m->n++;
        }
        return &s->value;
}

void *strmap_get(const struct strmap *m, const char *key)
{
        if (!m->cap)
                return NULL;
        return strmap_find(m, key)->value;
}

void strmap_free(struct strmap *m)
{
        free(m->slots);
        *m = (struct strmap){ 0 };
}

/*
 * Many small allocations freed together (the settings and their strings):
 * no per-allocation header, zeroed; 8-byte aligned, strings packed.
 */
struct arena_chunk {
        struct arena_chunk *next;
        size_t used, size;
        max_align_t data[];
};

#define ARENA_CHUNK (64 * 1024)

static void *arena_take(struct arena *a, size_t size, size_t align)
{
        struct arena_chunk *c = a->head;
        size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;

        if (!c || at > c->size || c->size - at < size) {
                /*
                 * Chunks double from 4 KiB to ARENA_CHUNK: a run of a few
                 * settings zeroes (and faults in) a page, not sixteen.
                 */
                size_t room = !c ? 4096 - sizeof(*c) : 2 * (c->size + sizeof(*c)) - sizeof(*c);

                if (room > ARENA_CHUNK - sizeof(*c))
                        room = ARENA_CHUNK - sizeof(*c);
                if (room < size)
                        room = size;

                c = xcalloc(1, sizeof(*c) + room);
                c->size = room;
                c->next = a->head;
                a->head = c;
                at = 0;
        }
        c->used = at + size;
        return (char *)c->data + at;
}

void *arena_alloc(struct arena *a, size_t size)
{
        return arena_take(a, size, 8);
}

/* room for a string of size - 1 bytes: not aligned (10,000 paths, 10,000 paddings fewer) */
char *arena_stralloc(struct arena *a, size_t size)
{
        return arena_take(a, size, 1);
}

char *arena_strdup(struct arena *a, const char *s)
{
        size_t n = strlen(s) + 1;

        return memcpy(arena_stralloc(a, n), s, n);
}

/*
 * arena_strdup(), but a short string ("0", "1", "cubic") once for all its
 * callers, found again through seen: 10,000 keys hold a few values.
 */
#define INTERN_MAX_LEN 16
#define INTERN_MAX 256

char *arena_intern(struct arena *a, struct strmap *seen, const char *s)
{
        bool found;
        char *v;

        if (strlen(s) >= INTERN_MAX_LEN || seen->n >= INTERN_MAX)
                return arena_strdup(a, s);
        if ((v = strmap_get(seen, s)))
                return v;
        v = arena_strdup(a, s);
        *strmap_slot(seen, v, &found) = v;
        return v;
}

void arena_free(struct arena *a)
{
        for (struct arena_chunk *c = a->head, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        a->head = NULL;
}
