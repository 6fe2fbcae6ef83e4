/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

#include "kvmtune.h"

#include "mount-dl.h"

/* Declare the dlopen()ed library for packagers and initramfs builders (systemd's format). */
#define DLOPEN_NOTE_JSON \
        "[{\"feature\":\"mount\",\"description\":\"hugetlbfs mounts\",\"priority\":\"recommended\",\"soname\":[\"libmount.so.1\"]}]"
static const struct {
        unsigned namesz, descsz, type;
        char name[4];
        char desc[(sizeof(DLOPEN_NOTE_JSON) + 3) & ~3u];
} dlopen_note __attribute__((used, section(".note.dlopen"), aligned(4))) = {
        4, (sizeof(DLOPEN_NOTE_JSON) + 3) & ~3u, 0x407c0c0a, "FDO", DLOPEN_NOTE_JSON,
};

const struct mount_lib *mount_lib_open(struct kvmtune *k, const char **err)
{
        struct mount_lib *lib = k->mountlib;
        void *h;

        *err = NULL;
        if (lib)
                return lib;
        h = dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                *err = dlerror();
                return NULL;
        }
        lib = xcalloc(1, sizeof(*lib));
#define SYM(field, name)                                          \
        if (!(*(void **)&lib->field = dlsym(h, #name))) {         \
                *err = "libmount.so.1 lacks " #name;              \
                dlclose(h);                                       \
                free(lib);                                        \
                return NULL;                                      \
        }
        SYM(new_table, mnt_new_table);
        SYM(table_parse_stream, mnt_table_parse_stream);
        SYM(unref_table, mnt_unref_table);
        SYM(table_find_target, mnt_table_find_target);
        SYM(fs_get_fstype, mnt_fs_get_fstype);
        SYM(fs_get_fs_options, mnt_fs_get_fs_options);
        SYM(optstr_get_option, mnt_optstr_get_option);
        SYM(new_context, mnt_new_context);
        SYM(free_context, mnt_free_context);
        SYM(context_set_fstype, mnt_context_set_fstype);
        SYM(context_set_source, mnt_context_set_source);
        SYM(context_set_target, mnt_context_set_target);
        SYM(context_set_options, mnt_context_set_options);
        SYM(context_disable_helpers, mnt_context_disable_helpers);
        SYM(context_mount, mnt_context_mount);
        SYM(context_get_syscall_errno, mnt_context_get_syscall_errno);
#undef SYM
        lib->handle = h;
        k->mountlib = lib;
        return lib;
}

void mount_lib_close(struct kvmtune *k)
{
        struct mount_lib *lib = k->mountlib;

        if (!lib)
                return;
        dlclose(lib->handle);
        free(lib);
        k->mountlib = NULL;
}
