/* SPDX-License-Identifier: MIT */
/*
 * A kernel command line's words, as the kernel splits and names them, and
 * the hugepage pool a command line asks for: below [cmdline] (cmdline.c),
 * which keeps them in the boot loader, and [hugepages] (hugepages.c), which
 * asks what the running kernel was booted with.
 */
#include <stdlib.h>
#include <string.h>

#include "../kvmtune.h"
#include "kargs.h"

/* The kernel takes '-' and '_' in parameter names as the same (parameq()). */
bool name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
        if (alen != blen)
                return false;
        for (size_t i = 0; i < alen; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
                if (x != y)
                        return false;
        }
        return true;
}

size_t name_len(const char *word)
{
        return strcspn(word, "=");
}

bool word_named(const char *word, const char *name)
{
        return name_equal(word, name_len(word), name, strlen(name));
}

/* the same parameter with the same value ("intel-iommu=on" is "intel_iommu=on") */
bool words_equal(const char *a, const char *b)
{
        size_t na = name_len(a), nb = name_len(b);

        return name_equal(a, na, b, nb) && !strcmp(a + na, b + nb);
}

/*
 * The words of a kernel command line as the kernel splits them: at blanks
 * outside double quotes, quotes removed; nothing after "--" (init's).
 * Returns the count; *words and the strings are malloc'd.
 */
size_t split_words(const char *text, char ***words)
{
        size_t n = 0;

        *words = NULL;
        while (text && *text) {
                bool quoted = false;
                char *w, *o;

                while (*text == ' ' || *text == '\t' || *text == '\n')
                        text++;
                if (!*text)
                        break;
                w = o = xcalloc(1, strlen(text) + 1);
                for (; *text && (quoted || !strchr(" \t\n", *text)); text++)
                        if (*text == '"')
                                quoted = !quoted;
                        else
                                *o++ = *text;
                if (!strcmp(w, "--")) {
                        free(w);
                        break;
                }
                *words = xrealloc_array(*words, n + 1, sizeof(**words));
                (*words)[n++] = w;
        }
        return n;
}

void free_words(char **words, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(words[i]);
        free(words);
}

/* the last word naming name (the kernel's last one wins), or NULL */
const char *last_named(char **words, size_t n, const char *name)
{
        const char *found = NULL;

        for (size_t i = 0; i < n; i++)
                if (word_named(words[i], name))
                        found = words[i];
        return found;
}

bool size_kb_of(const char *s, uint64_t *kb)
{
        uint64_t bytes;

        if (parse_size(s, &bytes) < 0 || bytes % 1024)
                return false;
        *kb = bytes / 1024;
        return true;
}

/*
 * The pool of size_kb a command line asks for: hugepages=N after
 * hugepagesz=SIZE, or a bare hugepages=N for the default size
 * (default_hugepagesz=, else default_kb).  Returns true when it asks.
 */
bool words_pool(char **words, size_t n, uint64_t size_kb, uint64_t default_kb, uint64_t *pages)
{
        const char *def = last_named(words, n, "default_hugepagesz");
        uint64_t cur_kb = 0, v;
        bool found = false;

        if (def && strchr(def, '='))
                size_kb_of(strchr(def, '=') + 1, &default_kb);
        for (size_t i = 0; i < n; i++) {
                const char *val = strchr(words[i], '=');

                if (!val)
                        continue;
                if (word_named(words[i], "hugepagesz"))
                        cur_kb = size_kb_of(val + 1, &v) ? v : 0;
                else if (word_named(words[i], "hugepages") && parse_u64(val + 1, &v) == 0 &&
                         (cur_kb ? cur_kb : default_kb) == size_kb) {
                        *pages = v;
                        found = true;
                }
        }
        return found;
}

int cmdline_running_pool(struct kvmtune *k, uint64_t size_kb, uint64_t default_kb, uint64_t *pages)
{
        char *text, **words;
        size_t n;
        bool found;
        int r = kernfs_read(k, "proc/cmdline", &text);

        if (r < 0)
                return r;
        n = split_words(text, &words);
        free(text);
        found = words_pool(words, n, size_kb, default_kb, pages);
        free_words(words, n);
        return found;
}
