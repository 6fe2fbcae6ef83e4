/* SPDX-License-Identifier: MIT */
/* sections/kargs.c: a kernel command line's words ('-' and '_' alike in names, as parameq()) */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool name_equal(const char *a, size_t alen, const char *b, size_t blen);
size_t name_len(const char *word);
bool word_named(const char *word, const char *name);
/* the same parameter with the same value ("intel-iommu=on" is "intel_iommu=on") */
bool words_equal(const char *a, const char *b);
/* split at blanks outside double quotes, nothing after "--"; the count, *words malloc'd */
size_t split_words(const char *text, char ***words);
void free_words(char **words, size_t n);
/* the last word naming name (the kernel's last one wins), or NULL */
const char *last_named(char **words, size_t n, const char *name);
/* a size ("2M", "1G") in kB, false when not a whole number of kB */
bool size_kb_of(const char *s, uint64_t *kb);
/* the pool of size_kb the words ask for (*pages set): true when they ask */
bool words_pool(char **words, size_t n, uint64_t size_kb, uint64_t default_kb, uint64_t *pages);
