/* SPDX-License-Identifier: MIT */
/*
 * kvmtune import: read the tuning a host already carries (grub, module
 * lists, modprobe.d, sysctl files, sysfsutils, tmpfiles.d, fstab, rc.local)
 * and print one equivalent configuration.  One reader per source kind; they
 * all feed the entry store in emit.c, in boot order, later wins.
 *
 * The rooms call only downwards, from the ground floor up:
 *   carry.c (the carried / not carried report), emit.c (the entry store);
 *   literal.c (whether a value written as it stands was one the kernel took);
 *   kpath.c (settings by their meaning; ethtoolargs.c above it for ethtool's
 *   arguments), source.c (files, checked lines and the one line reader);
 *   the readers: grub.c, modlist.c, sysctlconf.c, sysfsconf.c, udev.c,
 *   ifupdown.c, fstab.c, tuned.c (tunedcond.c and tunedkeys.c below it),
 *   and rc.local's shell reader (shell.h:
 *   shparse.c, shcmd.c, the translators, shell.c), which may use the
 *   readers below it (sysctl -p, tuned-adm, mount -t hugetlbfs);
 *   import.c, which finds the sources and hands each to its reader.
 */
#pragma once

#include "../kvmtune.h"

#define IMP_MAX_FILE (16u << 20)        /* larger source files are refused whole */
#define IMP_SHOW_MAX 200                /* longest source text quoted in messages */

/* Output sections, in the order of the specification's section list. */
enum imp_sec {
        IS_SYSCTL,
        IS_MODULES,
        IS_CONNTRACK,
        IS_HUGEPAGES,
        IS_HUGETLBFS,
        IS_KSM,
        IS_THP,
        IS_BLOCK,
        IS_NETDEV,
        IS_CPU,
        IS_ISOLATION,           /* TuneD's isolated_cores: cpus, managed-irq */
        IS_CMDLINE,             /* kernel arguments grub carried: args = WORD, one per entry */
        IS_N,
};

/* Source kinds, in boot order. */
enum imp_kind {
        IK_GRUB,
        IK_MODULES,             /* /etc/modules, modules-load.d */
        IK_MODPROBE,
        IK_SYSCTL,
        IK_UDEV,                /* /etc/udev/rules.d: coldplug, early in sysinit */
        IK_TMPFILES,
        IK_SYSFS,
        IK_FSTAB,
        IK_IFUPDOWN,            /* /etc/network/interfaces(.d): networking.service */
        IK_TUNED,               /* /etc/tuned/active_profile */
        IK_SHELL,               /* rc.local */
        IK_N,
        IK_UNKNOWN = IK_N,
};

/* One line of a source file, checked: no NUL, no control character, bounded. */
struct imp_line {
        const char *s;          /* not NUL-terminated when bad */
        size_t len;
        unsigned no;
        const char *bad;        /* why the line was refused, or NULL */
};

struct imp_file {
        char *shown;            /* path as shown to the user */
        enum imp_kind kind;
        char *text;
        size_t len;
        struct imp_line *lines;
        size_t n_lines;
};

/* Where a setting came from: file, line and the original text (one line). */
struct imp_src {
        const char *file;
        unsigned line;
        const char *text;
};

struct imp_entry {
        enum imp_sec sec;
        char *sub;              /* subsection, or NULL */
        char *key;              /* as written (a sysctl key may carry '-') */
        char *id;               /* merge identity */
        char *value;
        char *src;              /* "FILE:LINE: text" of the winning source */
        char **notes;           /* comment lines written under the source */
        size_t n_notes;
        struct strmap seen_notes;       /* the notes, once there are many (emit.c) */
        bool dropped;           /* not written (replaced by a comment) */
};

struct imp {
        struct kvmtune *k;
        struct imp_entry *e;
        size_t n;
        struct strmap ids;      /* id -> entry index + 1 */
        char **kept;            /* notes for the top of the output */
        size_t n_kept;
        unsigned n_carried, n_failed;
        uint64_t default_kb;    /* Hugepagesize, 0 unknown */
        char why[512];          /* why the last helper refused, for the report */
        /*
         * Set while a write under an existence guard ([ -w F ] && echo V > F)
         * is stored: each entry gets a note, a sysctl the '-' prefix.
         */
        const char *guard;
        /* Set while the lines of a TuneD section with a condition are stored: each entry gets it as a note. */
        const char *cond;
        FILE *report;           /* NULL: stderr */
        /* per-node hugepage pools written so far (nodeN/hugepages/...), by size */
        struct imp_node_pool {
                uint64_t kb;
                unsigned node;
                uint64_t pages;
        } *np;
        size_t n_np;
        bool in_node_pool;
        char *dropin;           /* the dev-hugepages.mount drop-in the output asks for, or NULL */
        bool tuned_note;        /* "disable tuned" was said */
        bool tuned_isolation;   /* the profiles' variables end with a CPU list in isolated_cores */
};

/* emit.c */
struct imp_entry *imp_put(struct imp *im, enum imp_sec sec, const char *sub, const char *key,
                          const char *idkey, const char *value, const struct imp_src *src);
void imp_note(struct imp_entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct imp_entry *imp_find(struct imp *im, enum imp_sec sec, const char *sub, const char *idkey);
void imp_emit(struct imp *im, FILE *out);
void imp_free(struct imp *im);

/* carry.c: the report, on stderr or im->report */
void imp_carried(struct imp *im, const struct imp_src *src, const char *extra);
void imp_refused(struct imp *im, const struct imp_src *src, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void imp_kept(struct imp *im, const struct imp_src *src, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
char *imp_clean_text(const char *s, size_t len);
/* im->why set for the report: -1 */
int imp_why(struct imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* source.c: files read whole and bounded, cut into checked lines, and the one line reader */
/* fd's regular file into f->text and f->lines; 0 or a negative errno (imp_read_error says it) */
int imp_read_fd(int fd, struct imp_file *f);
const char *imp_read_error(int r);
/* a file a source names, read under the root */
int imp_read_rooted(struct imp *im, const char *path, enum imp_kind kind, struct imp_file *f, const char **why);
void imp_file_free(struct imp_file *f);
/* cut f->text into f->lines, the first numbered first_no, each checked */
void imp_split_lines(struct imp_file *f, unsigned first_no);
char *imp_line_str(const struct imp_line *l);   /* trimmed copy, NULL when bad */
/* line i trimmed, or NULL after reporting it when it was refused */
char *imp_take_line(struct imp *im, const struct imp_file *f, size_t i);
/*
 * The one line reader of every source.  Each call gives the next line
 * worth reading: trimmed, not empty, not starting with one of the
 * characters of `comments`; a refused line (NUL, control byte, too long) is
 * reported and skipped, or skipped quietly when im is NULL (a second pass
 * over lines the first one reported); with `join`, a line ending in a
 * backslash goes on in the next one (udev rules, modprobe.d).  out->s may
 * be modified; out->src names the first line, with the text cleaned for
 * messages.  Start with *pos 0 and out zeroed; the last call frees out.
 */
struct imp_rline {
        char *s;
        struct imp_src src;
        char *clean;
        size_t i;               /* index of its (first) line */
};
bool imp_next_line(struct imp *im, const struct imp_file *f, size_t *pos, const char *comments, bool join,
                   struct imp_rline *out);
/* s without its leading and trailing blanks, in place */
void imp_trim(char *s);
/* whitespace-separated fields of s (modified in place); returns the count */
size_t imp_fields(char *s, char **out, size_t max);

/*
 * literal.c: imported values are literal writes.  imp_literal: 0, or -1 with
 * the why when kvmtune would read the value as its own syntax (a bound);
 * imp_literal_sysctl: the same, and -1 when the kernel refused the write to
 * /proc/sys/PATH (a sysctl that holds numbers here takes numbers only),
 * *quoted when it took quotes as part of a text, *stored (or NULL) the
 * decimal the kernel stored for a field it read as octal ("010": 8).
 */
int imp_literal(struct imp *im, const char *value);
int imp_literal_sysctl(struct imp *im, const char *path, const char *value, bool *quoted, char **stored);
bool imp_quoted(const char *v);

/*
 * kpath.c: settings by their meaning.  Each returns 1 when it stored the
 * setting, -1 when it refused (im->why says why), and imp_kernel_write 0
 * for a file that is not a kernel tuning file (not reported).
 */
bool imp_path_canonical(const char *path);
bool imp_devname_valid(const char *name, size_t max);
bool imp_devglob_valid(const char *glob, size_t max);
/* a kernel file named by a shell glob (a for loop): its glob setting */
int imp_glob_write(struct imp *im, const char *path, const char *value, const struct imp_src *src);
int imp_kernel_write(struct imp *im, const char *path, const char *value, const struct imp_src *src);
int imp_sysctl(struct imp *im, const char *key, const char *value, bool minus, const struct imp_src *src);
/* a sysctl as a file or a command wrote it: the value as it stands (imp_literal_sysctl), then imp_sysctl */
int imp_sysctl_written(struct imp *im, const char *key, const char *value, bool minus, const struct imp_src *src);
int imp_hugepages(struct imp *im, uint64_t kb, const char *key, const char *value,
                  const struct imp_src *src, const char *how);
char *imp_size_name(uint64_t kb);
int imp_block(struct imp *im, const char *dev, const char *key, const char *value,
              const struct imp_src *src);
int imp_netdev_txqueuelen(struct imp *im, const char *dev, const char *value, const struct imp_src *src);
/*
 * ethtoolargs.c: `ethtool OPT DEV NAME VALUE...` (-G, -L, -K, -C) as [netdev "DEV"]
 * ring.*, channels.*, features.*, coalesce.* (DEV a name or a glob); 1 stored, -1 refused
 */
const char *imp_ethtool_group(const char *opt);
int imp_ethtool(struct imp *im, const char *opt, const char *dev, char *const *args, size_t n,
                const struct imp_src *src);
int imp_conntrack_hashsize(struct imp *im, const char *value, bool load_no, const struct imp_src *src,
                           const char *how);
int imp_module(struct imp *im, const char *name, const struct imp_src *src);
int imp_cpu_check(struct imp *im, const char *cpus, const char *key, const char *value);
int imp_cpu(struct imp *im, const char *cpus, const char *key, const char *value, const struct imp_src *src);
void imp_finish(struct imp *im);

/* fstab.c: hugetlbfs mounts from fstab and from `mount -t hugetlbfs` */
int imp_hugetlbfs(struct imp *im, const char *target, const char *options, const struct imp_src *src);

/* the readers */
/* grub: /etc/default/grub and its drop-ins together, in the order grub-mkconfig sources them */
void imp_read_grub(struct imp *im, struct imp_file *files, size_t n);
void imp_read_modules(struct imp *im, struct imp_file *f);
void imp_read_modprobe(struct imp *im, struct imp_file *f);
void imp_read_sysctl(struct imp *im, struct imp_file *f);
void imp_read_sysfs(struct imp *im, struct imp_file *f);
void imp_read_tmpfiles(struct imp *im, struct imp_file *f);
void imp_read_fstab(struct imp *im, struct imp_file *f);
void imp_read_shell(struct imp *im, struct imp_file *f);
void imp_read_udev(struct imp *im, struct imp_file *f);
void imp_read_ifupdown(struct imp *im, struct imp_file *f);
void imp_read_tuned(struct imp *im, struct imp_file *f);
/* tuned.c: TuneD profiles by name (tuned-adm profile NAME...); 1 when all was carried */
int imp_tuned_profiles(struct imp *im, const char *names, const struct imp_src *from);

/* tunedcond.c: what TuneD reads from the host, its conditions and devices= */
struct tuned_main {                     /* /etc/tuned/tuned-main.conf under the root */
        bool reapply_sysctl;            /* the host's sysctl files re-applied after the profile */
        char *reapply_where;            /* where that came from, for comments */
        char *uname_string, *cpuinfo_string;
        long default_priority;
        char *uname, *cpuinfo;          /* the host's, read once */
};
void tuned_main_read(struct imp *im, struct tuned_main *tm);
void tuned_main_free(struct tuned_main *tm);
const char *tuned_host_uname(struct imp *im, struct tuned_main *tm);
const char *tuned_host_cpuinfo(struct imp *im, struct tuned_main *tm);
/* configparser's "key = value  # comment" (s modified); false without '=' */
bool tuned_conf_line(char *s, char **key, char **value);
/* a Python regular expression searched in text (re.MULTILINE): 1, 0, or -1 with *why when it has no POSIX form */
int tuned_re_search(const char *py, const char *text, const char **why);
/* devices= as a kvmtune device subsection ("sda sdb", "sd*"); *negation when it has '!' rules */
char *tuned_devices_sub(const char *expr, bool *negation);
enum tuned_devrel { DEV_DISJOINT, DEV_COVERS, DEV_OVERLAP };
/* whether the devices an earlier devices= matches hold all (COVERS), none or maybe some of a later one's */
enum tuned_devrel tuned_devices_relation(const char *earlier, const char *later);

/* tunedkeys.c: one key line of a TuneD instance that applies on this host */
struct tuned_key {
        const char *unit;               /* the section's name */
        const char *plugin;             /* type=, or the name */
        const char *sub;                /* [disk], [net]: the device subsection, "*" every device */
        const struct tuned_main *main;
};
void tuned_key(struct imp *im, const struct tuned_key *tk, const char *key, const char *v,
               const struct imp_src *src);
/* an unescaped ${...}: a TuneD variable or function */
bool tuned_has_var(const char *v);
