/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>

#include "dl.h"

void *dl_open(const char *soname, const struct dl_symbol *symbols, size_t n, const char **err)
{
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

        *err = NULL;
        if (!h) {
                *err = dlerror();
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                *symbols[i].slot = dlsym(h, symbols[i].name);
                if (!*symbols[i].slot) {
                        *err = dlerror();
                        dlclose(h);
                        return NULL;
                }
        }
        return h;
}
