/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <sys/auxv.h>

#include "dl.h"
#include "kvmtune.h"

/* No program interpreter: the kernel started us without ld.so. */
bool linked_statically(void)
{
        return getauxval(AT_BASE) == 0;
}

void *dl_open(const char *soname, const struct dl_symbol *symbols, size_t n, const char **err)
{
        void *h;

        *err = NULL;
        if (linked_statically()) {
                /* see linkage.c: kvmtune-full should have taken over */
                *err = "this kvmtune is statically linked and loads no shared library; "
                       KVMTUNE_FULL ", which does, is missing or cannot run";
                return NULL;
        }
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
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
