/* SPDX-License-Identifier: MIT */
/* Libraries loaded with dlopen(3) on first use, as systemd loads libkmod and libmount. */
#pragma once
#include <stddef.h>

/*
 * An ELF note in systemd's .note.dlopen format, so that packagers and
 * initramfs builders can see what kvmtune loads at run time (the dracut
 * module reads it).
 */
#define DLOPEN_NOTE(ident, json)                                                        \
        static const struct {                                                           \
                unsigned namesz, descsz, type;                                          \
                char name[4];                                                           \
                char desc[(sizeof(json) + 3) & ~3u];                                    \
        } ident __attribute__((used, section(".note.dlopen"), aligned(4))) = {          \
                4, (sizeof(json) + 3) & ~3u, 0x407c0c0a, "FDO", json,                   \
        }

/* One symbol to resolve into a function pointer. */
struct dl_symbol {
        const char *name;
        void **slot;
};
#define DL_SYMBOL(field, symbol) { #symbol, (void **)&(field) }

/* dlopen() soname and resolve every symbol; NULL with *err set on failure */
void *dl_open(const char *soname, const struct dl_symbol *symbols, size_t n, const char **err);
