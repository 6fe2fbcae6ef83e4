/* SPDX-License-Identifier: MIT */
/* libkmod, loaded with dlopen(3) on first use: runs that load no module never pay for it. */
#pragma once
#include <libkmod.h>

struct kmod_lib {
        void *handle;
        struct kmod_ctx *ctx;           /* for dirname below */
        char *dirname;                  /* <root>/lib/modules/<release> */
        typeof(kmod_new) *new_ctx;
        typeof(kmod_unref) *unref;
        typeof(kmod_set_log_fn) *set_log_fn;
        typeof(kmod_list_next) *list_next;
        typeof(kmod_module_new_from_lookup) *module_new_from_lookup;
        typeof(kmod_module_unref_list) *module_unref_list;
        typeof(kmod_module_get_module) *module_get_module;
        typeof(kmod_module_unref) *module_unref;
        typeof(kmod_module_get_name) *module_get_name;
        typeof(kmod_module_get_path) *module_get_path;
        typeof(kmod_module_get_dependencies) *module_get_dependencies;
        typeof(kmod_module_get_initstate) *module_get_initstate;
        typeof(kmod_module_apply_filter) *module_apply_filter;
        typeof(kmod_module_probe_insert_module) *module_probe_insert_module;
};

struct kvmtune;
/*
 * The library and a context reading modules from dirname with the modprobe.d
 * configuration (config_paths NULL: the default search path, as modprobe).
 * Loaded once per run; NULL (with a message in *err) when it cannot be.
 */
const struct kmod_lib *kmod_lib_open(struct kvmtune *k, const char *dirname,
                                     const char *const *config_paths, const char **err);
void kmod_lib_close(struct kvmtune *k);

/* Iterate a struct kmod_list. */
#define kmod_lib_foreach(lib, entry, list) \
        for ((entry) = (list); (entry); (entry) = (lib)->list_next((list), (entry)))
