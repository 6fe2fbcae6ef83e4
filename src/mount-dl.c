/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

#include "kvmtune.h"
#include "dl.h"

#include "mount-dl.h"

DLOPEN_NOTE(mount_dlopen_note,
            "[{\"feature\":\"mount\",\"description\":\"hugetlbfs mounts\",\"priority\":\"recommended\",\"soname\":[\"libmount.so.1\"]}]");

const struct mount_lib *mount_lib_open(struct kvmtune *k, const char **err)
{
        struct mount_lib *lib = k->mountlib;
        void *h;

        *err = NULL;
        if (lib)
                return lib;
        lib = xcalloc(1, sizeof(*lib));
        const struct dl_symbol symbols[] = {
                DL_SYMBOL(lib->new_table, mnt_new_table),
                DL_SYMBOL(lib->table_parse_stream, mnt_table_parse_stream),
                DL_SYMBOL(lib->unref_table, mnt_unref_table),
                DL_SYMBOL(lib->table_find_target, mnt_table_find_target),
                DL_SYMBOL(lib->fs_get_fstype, mnt_fs_get_fstype),
                DL_SYMBOL(lib->fs_get_fs_options, mnt_fs_get_fs_options),
                DL_SYMBOL(lib->optstr_get_option, mnt_optstr_get_option),
                DL_SYMBOL(lib->new_context, mnt_new_context),
                DL_SYMBOL(lib->free_context, mnt_free_context),
                DL_SYMBOL(lib->context_set_fstype, mnt_context_set_fstype),
                DL_SYMBOL(lib->context_set_source, mnt_context_set_source),
                DL_SYMBOL(lib->context_set_target, mnt_context_set_target),
                DL_SYMBOL(lib->context_set_options, mnt_context_set_options),
                DL_SYMBOL(lib->context_disable_helpers, mnt_context_disable_helpers),
                DL_SYMBOL(lib->context_disable_mtab, mnt_context_disable_mtab),
                DL_SYMBOL(lib->context_mount, mnt_context_mount),
                DL_SYMBOL(lib->context_get_syscall_errno, mnt_context_get_syscall_errno),
        };
        h = dl_open("libmount.so.1", symbols, sizeof(symbols) / sizeof(*symbols), err);
        if (!h) {
                free(lib);
                return NULL;
        }
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
