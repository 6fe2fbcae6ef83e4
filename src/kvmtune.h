/* SPDX-License-Identifier: MIT */
/* kvmtune: the context every stage takes, settings, and the section interface. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#define KVMTUNE_VERSION "0.1"
#define KVMTUNE_MAX_VALUE 4096          /* longest accepted value, bytes */
#define KVMTUNE_VALUE_BUF (KVMTUNE_MAX_VALUE + 2)       /* kernfs_read_value()'s buffer */
#define KVMTUNE_READ_MAX (1024 * 1024) /* longest value read from a kernel file; longer: -EFBIG */
#define KVMTUNE_READ_MAX_TEXT "1 MiB"
#define KVMTUNE_MAX_LINE 8192           /* longer lines are refused whole */
#define KVMTUNE_WRITE_TIMEOUT 30        /* seconds, see kernfs_write() */
#ifndef KVMTUNE_FULL                    /* the dynamically linked twin, see linkage.c */
#define KVMTUNE_FULL "/usr/lib/kvmtune/kvmtune-full"
#endif

enum command { CMD_APPLY, CMD_PLAN, CMD_VERIFY, CMD_CAT_CONFIG, CMD_REVERT, CMD_IMPORT };
enum stage { STAGE_ALL, STAGE_INITRD, STAGE_BOOT };
enum log_target { LOG_STDIO, LOG_JOURNAL, LOG_KMSG };

/* Where a setting came from; file is the path as shown to the user. */
struct origin {
        const char *file;
        unsigned line;
};

/* ACT_REBOOT: [cmdline] (and a pool at = cmdline): the boot loader has it, the running kernel not */
enum action { ACT_OK, ACT_SET, ACT_SKIP, ACT_ERROR, ACT_REBOOT };

/* ">= N" (only raise) and "<= N" (only lower) for single-number settings */
enum bound { BOUND_NONE, BOUND_AT_LEAST, BOUND_AT_MOST };

struct kvmtune;
struct setting;

/* How one setting is read and compared; NULL members take the plain-file defaults. */
struct knob_ops {
        /* turn the raw file content into the comparable current value (malloc'd) */
        char *(*current)(const char *raw);
        bool (*equal)(const char *current, const char *wanted);
        /* write the setting; default writes s->want to s->path */
        int (*write)(struct kvmtune *k, struct setting *s);
        /* read the raw value when it is not a file's content (an ethtool field) */
        int (*read)(struct kvmtune *k, const struct setting *s, char buf[KVMTUNE_VALUE_BUF]);
        /* write reads back itself (or writes no value file): apply does not read s->path back */
        bool reads_back;
};

/*
 * The members of a setting that few settings have, apart: 10,000 sysctl keys
 * need none of them.  set_more() to set one, get_more() to read.
 */
struct setting_more {
        const struct knob_ops *knob;    /* how it is read, compared and written; NULL: a plain file */
        char *stored;           /* what the kernel stores for want, when not want itself */
        const char *claim;      /* a second path this setting controls (conflict check) */
        char *json_extra;       /* more members of its --json object ("auto":{...}), or NULL */
        void *data;             /* section private */
        const char *name;       /* shown, when not derived from path (sysctl: setting_name()) */
        char *note;             /* why skipped or failed, or extra detail: setting_note() */
};

/* One thing kvmtune wants to be true of the live system. */
struct setting {
        const char *path;       /* relative to the root ("proc/sys/net/..."), or NULL */
        const char *want;       /* these two live in the setting's own allocation */
        char *cur;              /* NULL: unknown / unreadable */
        char *orig;             /* the first value read (at plan): what revert restores */
        struct origin at;
        struct setting_more *more;      /* NULL until one of its members is set */
        int fd;                 /* the file, kept open from plan to apply; -1: none */
        /* packed to 64 bytes: 10,000 keys make 10,000 of these */
        unsigned section : 6;   /* index into the section table */
        enum action action : 3;
        unsigned bound : 3;     /* enum bound: want is then the number alone */
        unsigned order : 4;     /* apply order within its section (stable) */
        bool changed : 1;       /* apply wrote it */
        bool recheck : 1;       /* re-read at apply if others' writes may have changed it */
        bool affects_others : 1; /* writing it can change other settings' values */
        bool optional : 1;      /* a missing file is skipped, not an error */
        bool verify_met : 1;    /* ACT_SET only to try a better choice: verify counts it met */
        bool noted : 1;         /* its old value is in the revert record (this run) */
        bool missing_ok : 1;    /* a missing file is skipped as not on this kernel ('-' key) */
        bool deferred : 1;      /* apply reads it, not plan (sysctl: apply_deferred()) */
};

#define SETTING_ORDER_MAX 15

struct section_ops {
        const char *name;
        enum { SUB_NONE, SUB_OPTIONAL, SUB_REQUIRED } subsection;
        int (*parse)(struct kvmtune *k, const char *sub, const char *key,
                     const char *value, struct origin at);
        /* check sub once when its header is first seen; NULL accepts any */
        int (*check_sub)(struct kvmtune *k, const char *sub, struct origin at);
        int (*plan)(struct kvmtune *k);
        int (*apply)(struct kvmtune *k);        /* NULL: apply_settings() */
        void (*free)(struct kvmtune *k);
        /*
         * --device: may a section of this kind, as configured, set something
         * on the device by that name?  Decided from the configuration alone
         * (names, globs, CPU lists), before any /sys access.  NULL: never.
         */
        bool (*names_device)(struct kvmtune *k, const char *device);
};

enum section_id {
        SEC_HUGEPAGES,
        SEC_MODULES,
        SEC_SYSCTL,
        SEC_CONNTRACK,
        SEC_KSM,
        SEC_THP,
        SEC_HUGETLBFS,
        SEC_BLOCK,
        SEC_NETDEV,
        SEC_MODPARAMS,
        SEC_CPU,
        SEC_ISOLATION,          /* before cmdline: it derives kernel arguments */
        SEC_CMDLINE,            /* after hugepages: it takes the pools at = cmdline */
        N_SECTIONS,
};

_Static_assert(N_SECTIONS <= 64, "struct setting's section field has 6 bits");
_Static_assert(sizeof(void *) != 8 || sizeof(struct setting) == 64, "struct setting grew");

extern const struct section_ops *const section_table[N_SECTIONS];

enum conf_state { CONF_READ, CONF_MASKED, CONF_OVERRIDDEN, CONF_BAD };

struct conf_file {
        char *name;             /* file name, the sort key */
        char *shown;            /* path as shown */
        char *open_path;        /* path to open; relative => under the root */
        bool rooted;
        enum conf_state state;
        const char *by;         /* masked/overridden by (shown path) */
        char *text;             /* content, read once */
        size_t len;
};

struct strmap {
        struct strmap_slot {
                const char *key;
                void *value;
        } *slots;
        size_t n, cap;
};

struct arena {
        struct arena_chunk *head;
};

struct kvmtune {
        const char *root;       /* NULL: the real / */
        int rootfd;
        enum command cmd;
        unsigned only;          /* bit mask of sections; 0: all */
        const char *device;
        enum stage stage;
        bool json, quiet, verbose;
        bool check_owner;       /* root, no --root: refuse unsafe files */
        char **argv;            /* as main() got it: linkage.c runs kvmtune-full with it */
        bool config_reported;   /* kvmtune-full run by the static kvmtune: it told the configuration's messages */
        bool log_muted;         /* while the configuration loads in that case */
        bool reexecuted;        /* this process is the static kvmtune's exec of kvmtune-full */
        const char *metrics;    /* --metrics FILE: Prometheus text written there (metrics.c) */

        char **config_dirs;
        size_t n_config_dirs;
        char **config_files;
        size_t n_config_files;

        struct conf_file *files;
        size_t n_files;

        void *state[N_SECTIONS];        /* section private parse state */

        struct setting **settings;
        struct arena settings_arena;    /* the settings and their strings */
        struct strmap shared_values;    /* short first values, kept once (plan.c) */
        size_t n_settings, cap_settings;

        int fd_budget;                  /* descriptors below this may be kept open */
        struct strmap dirfds;           /* kernfs_open_file(): directory -> O_PATH fd + 1 */
        const char *last_dir;           /* the last one used (a key of dirfds) */
        int last_dirfd;

        unsigned n_errors;
        unsigned n_writes;
        unsigned write_timeout;         /* seconds a kernel write may take; 0: no limit */
        bool alarm_installed;           /* the SIGALRM handler of the write timeout */
        char errbuf[80];                /* kernfs_strerror()'s text for the timeout */
        unsigned n_cross_writes;        /* writes and loads that change other settings */
        unsigned n_changes;

        enum log_target log;
        int kmsg_fd;

        /* need lists filled by parse, consumed by the modules section */
        struct module_need *needs;
        size_t n_needs;

        void *kmod;             /* struct kmod_lib * (kmod-dl.h), dlopen()ed on first use */
        void *mountlib;         /* struct mount_lib *, dlopen()ed on first use */
        struct revert_record *revert;   /* old values of what apply changed */
};

/* sections/sections.c: the section of a configuration's [name], -1: none */
int section_lookup(const char *name);

/* run.c: load, plan, apply, report; returns the exit status */
int kvmtune_run(struct kvmtune *k);

/* dl.c: no program interpreter (the static kvmtune), so no dlopen() */
bool linked_statically(void);
/* linkage.c: the statically linked kvmtune and its dynamically linked twin */
bool needs_shared_libraries(const struct kvmtune *k);
void run_full(struct kvmtune *k);
void full_take_over(struct kvmtune *k);
void kvmtune_free(struct kvmtune *k);
/* import/import.c: print the configuration equivalent to the host's old tuning */
int kvmtune_import(struct kvmtune *k, char **files, size_t n_files);

/* crosswrite.c: the files a kernel write changes besides its own (the kernel's cross-writes) */
struct cross_files {
        char **v;               /* paths relative to the root */
        char **old;             /* their values before the write (NULL: not read) */
        size_t n;
};
bool cross_writes_may(const char *path);
void cross_writes_list(struct kvmtune *k, const char *path, struct cross_files *out);
void cross_files_free(struct cross_files *f);

/* revert.c: the record of old values under /run/kvmtune */
int revert_note_path(struct kvmtune *k, const char *path, const char *old);
int revert_lock(struct kvmtune *k);
int revert_note(struct kvmtune *k, struct setting *s);
bool revert_locked(const struct kvmtune *k);
int revert_note_batch(struct kvmtune *k, struct setting *const *v, size_t n, int section);
void revert_batch_end(struct kvmtune *k);
void revert_unnote(struct kvmtune *k, struct setting *s);
int revert_run(struct kvmtune *k);
void revert_free(struct kvmtune *k);
int revert_dirfd(const struct kvmtune *k);     /* run/kvmtune (O_PATH) once locked, else -1 */

/* metrics.c: Prometheus text for node_exporter's textfile collector */
int metrics_write(struct kvmtune *k, const char *path);
void metrics_note_apply(struct kvmtune *k, int status);

/* config.c */
int config_load(struct kvmtune *k);
void config_free(struct kvmtune *k);
int config_cat(struct kvmtune *k);
int config_parse_text(struct kvmtune *k, const char *shown, const char *text, size_t len);

/* log.c: the ground floor, the messages every room tells */
void log_setup(struct kvmtune *k);
void log_error(struct kvmtune *k, const struct origin *at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void log_notice(struct kvmtune *k, const struct origin *at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void log_info(struct kvmtune *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_debug(struct kvmtune *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool log_info_shown(const struct kvmtune *k);  /* whether log_info() prints (not -q, --json) */

/* report.c: the change lines, the plan table and --json */
void report_change(struct kvmtune *k, const struct setting *s, const char *old);
void report_plan(struct kvmtune *k, FILE *out);
void report_json(struct kvmtune *k, FILE *out);
const char *action_name(enum action a);
size_t utf8_len(const unsigned char *s);       /* of the valid UTF-8 sequence at s, 0 if none */

/*
 * setting.c: a setting's own accessors, below plan, revert and report.
 * section_name(): the section's name as configured ("?" for none);
 * section_enabled(): whether this run has the section (--only, --stage).
 */
const char *section_name(int section);
bool section_enabled(const struct kvmtune *k, int section);
struct setting_more *set_more(struct setting *s);
/* the setting's note (NULL: none); setting_set_note() takes note (malloc'd, or NULL) */
const char *setting_note(const struct setting *s);
void setting_set_note(struct setting *s, char *note);
const struct setting_more *get_more(const struct setting *s);
#define SETTING_NAME_MAX 4096
const char *setting_name(const struct setting *s, char *buf, size_t size);
void setting_skip(struct setting *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void setting_fail(struct kvmtune *k, struct setting *s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
bool setting_equal(const struct setting *s, const char *cur);
bool fields_equal(const char *a, const char *b);

/* plan.c: the setting list; reading, writing and applying settings */
struct setting *setting_add(struct kvmtune *k, int section, const char *name,
                            const char *path, const char *want, struct origin at);
struct setting *setting_add_ref(struct kvmtune *k, int section, const char *name,
                                const char *path, const char *want, struct origin at);
int setting_read(struct kvmtune *k, struct setting *s);
void setting_close(struct setting *s);
void setting_set_cur(struct setting *s, char *v);
int setting_apply(struct kvmtune *k, struct setting *s);
int apply_settings(struct kvmtune *k, int section);
int setting_effects_note(struct kvmtune *k, const char *path, struct cross_files *fx);
void setting_effects_after(struct kvmtune *k, const char *name, struct cross_files *fx);
void plan_cross_writes(struct kvmtune *k);
void settings_sort(struct kvmtune *k, size_t from);
void settings_free(struct kvmtune *k);

/* kernfs.c: every /proc and /sys access, under the root */
int kernfs_open_root(struct kvmtune *k);
int kernfs_openat(struct kvmtune *k, const char *rel, int flags);
int kernfs_replace_at(int dir, const char *name, const char *content);
int kernfs_open_file(struct kvmtune *k, const char *rel, int flags);
void kernfs_close_dirs(struct kvmtune *k);
int kernfs_read(struct kvmtune *k, const char *rel, char **out);
/* write value to fd, or to rel opened for writing when fd < 0 */
int kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value);
int kernfs_read_fd(int fd, char **out);
int kernfs_read_value(int fd, char buf[KVMTUNE_VALUE_BUF], char **big);
void kernfs_write_timeout(struct kvmtune *k, unsigned seconds);
bool kernfs_write_watched(void);
const char *kernfs_strerror(struct kvmtune *k, int r);
int kernfs_flock_wait(struct kvmtune *k, int fd, unsigned seconds);
int kernfs_stat(struct kvmtune *k, const char *rel, struct stat *st);
int kernfs_probe(struct kvmtune *k, const char *rel);
DIR *kernfs_opendir(struct kvmtune *k, const char *rel);
int kernfs_readlink(struct kvmtune *k, const char *rel, char *buf, size_t size);
const char *shown_path(const char *rel, char *buf, size_t size);
char *bracketed_word(const char *raw);
bool choice_offered(const char *raw, const char *word);

/* units.c */
int parse_size(const char *s, uint64_t *bytes);
int parse_bool(const char *s, bool *b);
int parse_u64(const char *s, uint64_t *v);
int parse_size_or_percent(const char *s, uint64_t total, uint64_t *bytes);
char *format_size(uint64_t bytes, char *buf, size_t size);

/* util */
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);
void *xrealloc_array(void *p, size_t n, size_t size);
void *xgrow(void *p, size_t n, size_t size);    /* room for p[n] of an append-only array */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool has_control_char(const char *s);
const char *value_bound(const char *v, enum bound *b);
const char *bound_prefix(enum bound b);
bool bound_met(enum bound b, const char *cur, const char *limit);

/* A string-keyed hash map (open addressing), for deduplication at scale. */
void **strmap_slot(struct strmap *m, const char *key, bool *found);
void *strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);
size_t strmap_hash(const char *s);
void *arena_alloc(struct arena *a, size_t size);
char *arena_stralloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_intern(struct arena *a, struct strmap *seen, const char *s);
void arena_free(struct arena *a);

/* sections/cpu.c: a kernel cpulist ("0-3,8") that [cpu "LIST"] accepts */
bool cpu_list_valid(const char *s);
/* sections/cpugov.c: a governor tunable's value ("ondemand.up_threshold") as [cpu] writes it
   (*out malloc'd); -ENOENT: no such tunable, -EINVAL: a value the kernel refuses */
int cpugov_value(const char *key, const char *value, char **out);

/* sections/hugepages.c: a /proc/meminfo field in kB */
int meminfo_kb(struct kvmtune *k, const char *field, uint64_t *kb);
/* the pools at = cmdline that the reserve rail let through, largest first; false: not planned */
struct boot_pool {
        uint64_t size_kb, pages;
        struct origin at;
};
bool hugepages_boot_pools(struct kvmtune *k, const struct boot_pool **v, size_t *n);
/* sections/kargs.c: the pool of size_kb that /proc/cmdline asks for: 1 (*pages set), 0: none, -errno */
int cmdline_running_pool(struct kvmtune *k, uint64_t size_kb, uint64_t default_kb, uint64_t *pages);

/* sections/isolation.c: the kernel arguments [isolation] derives, for [cmdline] */
#define ISOLATION_N_ARGS 4
struct boot_arg {
        const char *name;
        const char *word;       /* NULL: not known, the drop-in's word stays */
        struct origin at;
};
/* 1: *v holds the words; 0: no [isolation]; -1: refused or not in this run (*v: the names) */
int isolation_boot_args(struct kvmtune *k, const struct boot_arg **v);

/* sections/sysctl.c: validate a key, NULL when invalid; path relative to /proc/sys */
char *sysctl_key_to_path(const char *key);
/* The module a sysctl key (path relative to /proc/sys) needs, NULL if none */
const char *sysctl_module_for(const char *path, const char *value, char *buf, size_t size);
/* A file whose write is an action (vm/drop_caches), path relative to /proc/sys */
bool sysctl_is_trigger(const char *path);
/* The value configured for an explicit key (path relative to /proc/sys), or NULL */
const char *sysctl_configured(struct kvmtune *k, const char *path);

/*
 * sections/modules.c: modules that settings need.  Sections register them
 * while parsing (modules run before sysctl); module_needs_plan() resolves
 * them and module_needs_apply() loads them, each once, whichever section
 * calls first.
 */
enum need_state {
        NEED_PENDING,           /* not resolved yet */
        NEED_PRESENT,           /* loaded, built in, or what it provides is there */
        NEED_LOAD,              /* will be loaded by apply */
        NEED_LOADED,            /* apply loaded it */
        NEED_REPORTED,          /* --root: the load is reported, not done */
        NEED_FAILED,            /* cannot be loaded: see error */
        NEED_NOT_LOADING,       /* [conntrack] load = no */
};
struct module_need {
        char *requester;        /* unique: "sysctl net/bridge/x", "conntrack", "modules tcp_htcp" */
        char *module;
        char *why;              /* shown: "sysctl net.ipv4.tcp_congestion_control" */
        char *provides;         /* satisfied when this path (under the root) exists */
        char *cc;               /* satisfied when this congestion control is available */
        char *(*options)(struct kvmtune *k);    /* extra module options, malloc'd or NULL */
        struct origin at;
        bool explicit_load;     /* [modules] load */
        bool soft;              /* a '-' sysctl key: a failed load is not an error */
        bool no_load;           /* do not load it for others ([conntrack] load = no) */
        enum need_state state;
        char *error;            /* why it cannot be loaded */
};
struct module_need *module_need_set(struct kvmtune *k, const char *requester,
                                    const char *module, struct origin at);
void module_need_drop(struct kvmtune *k, const char *requester);
const struct module_need *module_need_find(const struct kvmtune *k, const char *module);
void module_needs_plan(struct kvmtune *k);
void module_needs_apply(struct kvmtune *k);
bool module_present(struct kvmtune *k, const char *name);
/* sections/modname.c: a module's name ('-' and '_' alike, as modprobe takes it) */
bool module_name_valid(const char *name);
char *module_canonical_name(const char *name);
bool module_same_name(const char *a, const char *b);
/* sections/modparams.c: "KEY=VALUE ..." of [module "NAME"], or NULL (malloc'd) */
char *module_param_options(struct kvmtune *k, const char *module);
int module_state(struct kvmtune *k, const char *name, char **error);
