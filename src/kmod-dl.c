/* SPDX-License-Identifier: MIT */
/* libkmod, dlopen()ed on first use; a sysctl-only run or the udev path never loads it. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvmtune.h"

#include "dl.h"
#include "kmod-dl.h"

DLOPEN_NOTE(kmod_dlopen_note,
            "[{\"feature\":\"kmod\",\"description\":\"module loading\",\"priority\":\"recommended\",\"soname\":[\"libkmod.so.2\"]}]");

/* libkmod's own messages go to -v only: kvmtune reports every failure itself */
__attribute__((format(printf, 6, 0)))
static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
                     const char *format, va_list args)
{
        struct kvmtune *k = data;
        char *msg;

        (void)priority;
        (void)file;
        (void)line;
        (void)fn;
        if (!k->verbose)
                return;
        if (vasprintf(&msg, format, args) < 0)
                return;
        log_debug(k, "libkmod: %s", msg);
        free(msg);
}

const struct kmod_lib *kmod_lib_open(struct kvmtune *k, const char *dirname,
                                     const char *const *config_paths, const char **err)
{
        struct kmod_lib *lib = k->kmod;
        void *h;

        *err = NULL;
        if (lib)
                return lib;
        lib = xcalloc(1, sizeof(*lib));
        const struct dl_symbol symbols[] = {
                DL_SYMBOL(lib->new_ctx, kmod_new),
                DL_SYMBOL(lib->unref, kmod_unref),
                DL_SYMBOL(lib->set_log_fn, kmod_set_log_fn),
                DL_SYMBOL(lib->list_next, kmod_list_next),
                DL_SYMBOL(lib->module_new_from_lookup, kmod_module_new_from_lookup),
                DL_SYMBOL(lib->module_unref_list, kmod_module_unref_list),
                DL_SYMBOL(lib->module_get_module, kmod_module_get_module),
                DL_SYMBOL(lib->module_unref, kmod_module_unref),
                DL_SYMBOL(lib->module_get_name, kmod_module_get_name),
                DL_SYMBOL(lib->module_get_path, kmod_module_get_path),
                DL_SYMBOL(lib->module_get_dependencies, kmod_module_get_dependencies),
                DL_SYMBOL(lib->module_get_initstate, kmod_module_get_initstate),
                DL_SYMBOL(lib->module_apply_filter, kmod_module_apply_filter),
                DL_SYMBOL(lib->module_probe_insert_module, kmod_module_probe_insert_module),
        };
        h = dl_open("libkmod.so.2", symbols, sizeof(symbols) / sizeof(*symbols), err);
        if (!h) {
                free(lib);
                return NULL;
        }
        lib->ctx = lib->new_ctx(dirname, config_paths);
        if (!lib->ctx) {
                *err = "kmod_new() failed";
                dlclose(h);
                free(lib);
                return NULL;
        }
        lib->set_log_fn(lib->ctx, kmod_log, k);
        lib->handle = h;
        lib->dirname = xstrdup(dirname);
        k->kmod = lib;
        log_debug(k, "libkmod loaded, modules from %s", dirname);
        return lib;
}

void kmod_lib_close(struct kvmtune *k)
{
        struct kmod_lib *lib = k->kmod;

        if (!lib)
                return;
        lib->unref(lib->ctx);
        dlclose(lib->handle);
        free(lib->dirname);
        free(lib);
        k->kmod = NULL;
}
