/* SPDX-License-Identifier: MIT */
/* libkmod, dlopen()ed on first use; a sysctl-only run or the udev path never loads it. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvmtune.h"

#include "kmod-dl.h"

/* Declare the dlopen()ed library for packagers and initramfs builders (systemd's format). */
#define KMOD_NOTE_JSON \
        "[{\"feature\":\"kmod\",\"description\":\"module loading\",\"priority\":\"recommended\",\"soname\":[\"libkmod.so.2\"]}]"
static const struct {
        unsigned namesz, descsz, type;
        char name[4];
        char desc[(sizeof(KMOD_NOTE_JSON) + 3) & ~3u];
} kmod_dlopen_note __attribute__((used, section(".note.dlopen"), aligned(4))) = {
        4, (sizeof(KMOD_NOTE_JSON) + 3) & ~3u, 0x407c0c0a, "FDO", KMOD_NOTE_JSON,
};

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
        h = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                *err = dlerror();
                return NULL;
        }
        lib = xcalloc(1, sizeof(*lib));
#define SYM(field, name)                                          \
        if (!(*(void **)&lib->field = dlsym(h, #name))) {         \
                *err = "libkmod.so.2 lacks " #name;               \
                dlclose(h);                                       \
                free(lib);                                        \
                return NULL;                                      \
        }
        SYM(new_ctx, kmod_new);
        SYM(unref, kmod_unref);
        SYM(set_log_fn, kmod_set_log_fn);
        SYM(list_next, kmod_list_next);
        SYM(module_new_from_lookup, kmod_module_new_from_lookup);
        SYM(module_unref_list, kmod_module_unref_list);
        SYM(module_get_module, kmod_module_get_module);
        SYM(module_unref, kmod_module_unref);
        SYM(module_get_name, kmod_module_get_name);
        SYM(module_get_path, kmod_module_get_path);
        SYM(module_get_dependencies, kmod_module_get_dependencies);
        SYM(module_get_initstate, kmod_module_get_initstate);
        SYM(module_apply_filter, kmod_module_apply_filter);
        SYM(module_probe_insert_module, kmod_module_probe_insert_module);
#undef SYM
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
