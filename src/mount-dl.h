/* SPDX-License-Identifier: MIT */
/* libmount, loaded with dlopen(3) on first use: runs without mounts never pay for it. */
#pragma once
#include <libmount.h>

struct mount_lib {
        void *handle;
        typeof(mnt_new_table) *new_table;
        typeof(mnt_table_parse_stream) *table_parse_stream;
        typeof(mnt_unref_table) *unref_table;
        typeof(mnt_table_find_target) *table_find_target;
        typeof(mnt_fs_get_fstype) *fs_get_fstype;
        typeof(mnt_fs_get_fs_options) *fs_get_fs_options;
        typeof(mnt_optstr_get_option) *optstr_get_option;
        typeof(mnt_new_context) *new_context;
        typeof(mnt_free_context) *free_context;
        typeof(mnt_context_set_fstype) *context_set_fstype;
        typeof(mnt_context_set_source) *context_set_source;
        typeof(mnt_context_set_target) *context_set_target;
        typeof(mnt_context_set_options) *context_set_options;
        typeof(mnt_context_disable_helpers) *context_disable_helpers;
        typeof(mnt_context_disable_mtab) *context_disable_mtab;
        typeof(mnt_context_mount) *context_mount;
        typeof(mnt_context_get_syscall_errno) *context_get_syscall_errno;
};

struct kvmtune;
/* Loaded once per context; NULL (with a message in *err) when it cannot be */
const struct mount_lib *mount_lib_open(struct kvmtune *k, const char **err);
void mount_lib_close(struct kvmtune *k);
