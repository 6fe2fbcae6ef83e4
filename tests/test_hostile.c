/* SPDX-License-Identifier: MIT */
/*
 * Hostile and broken configurations, table-driven: every case runs the
 * binary on a fresh fake root and must end with its expected exit status
 * (never a signal; never 0 when something was refused) and, when it was
 * refused, with its message on stderr (on the `file:line` it names when a
 * line is given).  After every case:
 *   - bait files planted in the root but outside /proc/sys and /sys, and in
 *     a directory outside the root, still read "bait" (nothing climbed out);
 *   - no message shows the --root prefix;
 *   - the file a case names reads as that case says (refused: unchanged).
 *
 * In texts and messages, @OUT@ stands for the directory outside the root,
 * @DIR@ for a case's own scratch directory (--config-dir/--config cases).
 * The ownership cases run without --root (the check is off under --root),
 * on a scratch --config-dir, and `plan` harmless '-' keys; they need root.
 * A case with `pending` set is skipped with a printed note: for a section
 * that has not landed yet (none at the moment).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF "etc/kvmtune/conf.d/50-hostile.conf"
#define SHOWN "/etc/kvmtune/conf.d/50-hostile.conf"
#define SWAP "proc/sys/vm/swappiness"
#define BIG (1u << 20)
#define MANY 10000

struct ctx {
        const char *root;       /* the fake root */
        const char *out;        /* a directory outside it */
        char *dir;              /* the case's scratch directory, or NULL */
        const char *args[12];   /* options before the command */
        size_t n_args;
        bool no_root;           /* run without --root */
        char *strs[8];          /* freed after the case */
        size_t n_strs;
};

struct hcase {
        const char *name;
        const char *text;               /* 50-hostile.conf, @OUT@ expanded; NULL: none */
        size_t len;                     /* for texts with NUL bytes; 0: strlen */
        char *(*gen)(size_t *len);      /* generated 50-hostile.conf */
        void (*prep)(struct ctx *c);    /* anything else the case needs */
        const char *cmd;                /* default: apply */
        int status;
        unsigned line;                  /* > 0: msg on a "SHOWN:line:" line */
        const char *msg;                /* on stderr */
        const char *rel, *val;          /* afterwards <root>/rel reads val */
        void (*after)(const char *root, char **why);    /* a check of its own */
        bool need_root;                 /* euid 0 needed (ownership cases) */
        const char *pending;            /* skipped, with this note */
};

/* ---- helpers -------------------------------------------------------------- */

static char *subst(const char *s, const struct ctx *c)
{
        char *out = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);

        while (*s) {
                if (!strncmp(s, "@OUT@", 5)) {
                        fputs(c->out, m);
                        s += 5;
                } else if (!strncmp(s, "@DIR@", 5) && c->dir) {
                        fputs(c->dir, m);
                        s += 5;
                } else
                        fputc(*s++, m);
        }
        fclose(m);
        return out;
}

static void write_bytes(const char *path, const char *text, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        close(fd);
}

static char *keep(struct ctx *c, char *s)
{
        assert_true(c->n_strs < sizeof(c->strs) / sizeof(*c->strs));
        c->strs[c->n_strs++] = s;
        return s;
}

static void arg(struct ctx *c, const char *a)
{
        assert_true(c->n_args < sizeof(c->args) / sizeof(*c->args) - 1);
        c->args[c->n_args++] = a;
}

static char *path_in(struct ctx *c, const char *dir, const char *name)
{
        char *p;

        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        return keep(c, p);
}

static char *mem_text(FILE *m, char **buf, size_t *len)
{
        fclose(m);
        (void)len;
        return *buf;
}

/* the line of stderr holding both needles, or NULL */
static bool line_with(const char *err, const char *a, const char *b)
{
        for (const char *p = err; p && *p;) {
                size_t n = strcspn(p, "\n");
                char *one = strndup(p, n);
                bool hit = strstr(one, a) && (!b || strstr(one, b));

                free(one);
                if (hit)
                        return true;
                p += n;
                if (*p)
                        p++;
        }
        return false;
}

/* ---- generated texts ------------------------------------------------------ */

static char *repeat_line(const char *head, char fill, size_t n, const char *tail, size_t *len)
{
        size_t h = strlen(head), t = strlen(tail);
        char *s = malloc(h + n + t + 1);

        memcpy(s, head, h);
        memset(s + h, fill, n);
        memcpy(s + h + n, tail, t + 1);
        *len = h + n + t;
        return s;
}

static char *gen_big_value(size_t *len)
{
        return repeat_line("[sysctl]\nvm.swappiness = ", '9', BIG, "\nnet.core.somaxconn = 1111\n", len);
}

static char *gen_big_key(size_t *len)
{
        return repeat_line("[sysctl]\n", 'k', BIG, " = 1\nnet.core.somaxconn = 1111\n", len);
}

static char *gen_big_header(size_t *len)
{
        return repeat_line("[", 's', BIG, "]\nvm.swappiness = 1\n", len);
}

static char *gen_big_comment(size_t *len)
{
        return repeat_line("[sysctl]\n; ", 'c', BIG, " vm.swappiness = 1\nnet.core.somaxconn = 1111\n", len);
}

static char *gen_big_no_newline(size_t *len)
{
        return repeat_line("[sysctl]\nvm.swappiness = 1", '0', BIG, "", len);
}

static char *gen_value_4097(size_t *len)
{
        return repeat_line("[sysctl]\nkernel.hostile = ", 'v', 4097, "\nnet.core.somaxconn = 1111\n", len);
}

/* a line of 4100 bytes (value 4096) is a setting like any other: inih's 200-byte buffer must not cut it */
static char *gen_value_4096(size_t *len)
{
        return repeat_line("[sysctl]\nkernel.hostile = ", 'v', 4096, "\n", len);
}

static void prep_hostile_key(struct ctx *c)
{
        fr_write(c->root, "proc/sys/kernel/hostile", "x\n");
}

static void after_value_4096(const char *root, char **why)
{
        char *v = fr_read_trim(root, "proc/sys/kernel/hostile");

        if (!v || strlen(v) != 4096 || strspn(v, "v") != 4096)
                assert_true(asprintf(why, "kernel.hostile holds %zu bytes, not the 4096 configured",
                                     v ? strlen(v) : 0) > 0);
        free(v);
}

/* a [block] header naming 100 disks (over 500 bytes) */
static char *gen_long_header(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        fputs("[block \"", m);
        for (int i = 0; i < 100; i++)
                fprintf(m, "sd%d ", i);
        fputs("vda\"]\nread_ahead_kb = 2048\n", m);
        return mem_text(m, &buf, len);
}

static char *gen_long_key_256(size_t *len)
{
        return repeat_line("[sysctl]\n-kernel.", 'k', 256, " = 1\n", len);
}

/* "-*.*.*...*": 127 components, 254 bytes after the '-' (the limit is 255) */
static char *gen_deep_glob(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        fputs("[sysctl]\n-", m);
        for (int i = 0; i < 126; i++)
                fputs("*.", m);
        fputs("* = 1\n", m);
        return mem_text(m, &buf, len);
}

static char *gen_many_sysctl_sections(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        for (int i = 0; i < MANY; i++)
                fprintf(m, "[sysctl]\nvm.swappiness = %d\n", i);
        return mem_text(m, &buf, len);
}

static char *gen_many_block_sections(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        for (int i = 0; i < MANY; i++)
                fprintf(m, "[block \"hd%d\"]\nscheduler = none\n", i);
        fputs("[block \"vda\"]\nread_ahead_kb = 4096\n", m);
        return mem_text(m, &buf, len);
}

static char *gen_many_netdev_sections(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        for (int i = 0; i < MANY; i++)
                fprintf(m, "[netdev \"tap%d\"]\ntxqueuelen = %d\n", i, i + 1);
        fputs("[netdev \"eth*\"]\ntxqueuelen = 5000\n", m);
        return mem_text(m, &buf, len);
}

static char *gen_many_hugetlbfs_sections(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        for (int i = 0; i < MANY; i++)
                fprintf(m, "[hugetlbfs \"/mnt/huge%d\"]\npagesize = 2M\n", i);
        return mem_text(m, &buf, len);
}

static char *gen_many_keys(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        fputs("[sysctl]\n", m);
        for (int i = 0; i < MANY; i++)
                fprintf(m, "-kernel.hostile.k%d = %d\n", i, i);
        fputs("vm.swappiness = 33\n", m);
        return mem_text(m, &buf, len);
}

static char *gen_many_unknown_sections(size_t *len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        for (int i = 0; i < MANY; i++)
                fprintf(m, "[nosuch%d]\nx = 1\n", i);
        fputs("[sysctl]\nvm.swappiness = 44\n", m);
        return mem_text(m, &buf, len);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static char *gen_garbage(size_t *len)
{
        char *s = malloc(65536);

        for (size_t i = 0; i < 65536; i++)
                s[i] = (char)(next_rand() & 0xff);
        *len = 65536;
        return s;
}

/* random lines made of the config's own tokens */
static char *gen_token_soup(size_t *len)
{
        static const char *const tok[] = {
                "[", "]", "\"", "=", " ", "\t", "#", ";", "*", "..", "/", "-", "%", "sysctl", "block",
                "netdev", "hugetlbfs", "hugepages", "ksm", "thp", "modules", "conntrack", "vda", "eth0",
                "vm.swappiness", "scheduler", "txqueuelen", "pages", "memory", "1G", "2M", "0x10",
                "99999999T", "\r", "\xef\xbb\xbf", "\x01", "none", "load", "max", "hashsize", "auto",
        };
        char *buf = NULL;
        FILE *m = open_memstream(&buf, len);

        for (int line = 0; line < 3000; line++) {
                int n = (int)(next_rand() % 12);
                for (int i = 0; i < n; i++)
                        fputs(tok[next_rand() % (sizeof(tok) / sizeof(*tok))], m);
                fputc('\n', m);
        }
        return mem_text(m, &buf, len);
}

static char *gen_nul_file(size_t *len)
{
        *len = 4096;
        return calloc(1, 4096);
}

/* ---- case preparations ------------------------------------------------------ */

static void scratch(struct ctx *c)
{
        c->dir = fr_new();
}

/* the first 64 kB of an ELF binary (this test's own), as a conf file */
static void prep_elf(struct ctx *c)
{
        const char *bin = "/proc/self/exe";
        char *buf = malloc(65536), *dst = path_in(c, c->root, CONF);
        int fd = open(bin, O_RDONLY);
        ssize_t n;

        assert_true(fd >= 0);
        n = read(fd, buf, 65536);
        close(fd);
        assert_true(n > 0);
        write_bytes(dst, buf, (size_t)n);
        free(buf);
}

static void prep_config_is_dir(struct ctx *c)
{
        scratch(c);
        fr_mkdir(c->dir, "x.conf");
        arg(c, "--config");
        arg(c, path_in(c, c->dir, "x.conf"));
}

static void prep_config_is_fifo(struct ctx *c)
{
        scratch(c);
        assert_int_equal(mkfifo(path_in(c, c->dir, "x.conf"), 0644), 0);
        arg(c, "--config");
        arg(c, path_in(c, c->dir, "x.conf"));
}

static void prep_config_dangling(struct ctx *c)
{
        scratch(c);
        fr_symlink(c->dir, "/nonexistent/kvmtune/x.conf", "x.conf");
        arg(c, "--config");
        arg(c, path_in(c, c->dir, "x.conf"));
}

static void prep_config_device(struct ctx *c)
{
        scratch(c);
        fr_symlink(c->dir, "/dev/zero", "zero.conf");
        arg(c, "--config-dir");
        arg(c, c->dir);
}

static void prep_confd_fifo_link(struct ctx *c)
{
        char *fifo = path_in(c, c->root, "run/fifo");

        fr_mkdir(c->root, "run");
        assert_int_equal(mkfifo(fifo, 0644), 0);
        fr_symlink(c->root, "/run/fifo", CONF);
}

static void prep_confd_dir_link(struct ctx *c)
{
        fr_symlink(c->root, "/etc", CONF);
}

static void prep_confd_loop(struct ctx *c)
{
        fr_symlink(c->root, "50-hostile.conf", CONF);
}

static void prep_confd_is_file(struct ctx *c)
{
        char *d = path_in(c, c->root, "etc/kvmtune/conf.d");

        assert_int_equal(rmdir(d), 0);
        fr_write(c->root, "etc/kvmtune/conf.d", "[sysctl]\nvm.swappiness = 1\n");
}

/* conf.d a link to a directory outside: under --root it resolves inside */
static void confd_outside(struct ctx *c, bool relative)
{
        char *target, *inside, *d = path_in(c, c->root, "etc/kvmtune/conf.d");

        fr_write(c->out, "conf.d/50-out.conf", "[sysctl]\nvm.swappiness = 1\n");
        assert_true(asprintf(&inside, "%s/conf.d/50-out.conf", c->out + 1) > 0);
        fr_write(c->root, keep(c, inside), "[sysctl]\nvm.swappiness = 7\n");
        assert_int_equal(rmdir(d), 0);
        if (relative)
                assert_true(asprintf(&target, "../../../../../../../../..%s/conf.d", c->out) > 0);
        else
                assert_true(asprintf(&target, "%s/conf.d", c->out) > 0);
        fr_symlink(c->root, keep(c, target), "etc/kvmtune/conf.d");
}

static void prep_confd_outside_abs(struct ctx *c)
{
        confd_outside(c, false);
}

static void prep_confd_outside_rel(struct ctx *c)
{
        confd_outside(c, true);
}

/* one conf file a link to a file that exists only outside the root */
static void prep_conf_link_outside(struct ctx *c)
{
        char *target;

        fr_write(c->out, "only-outside.conf", "[sysctl]\nvm.swappiness = 1\n");
        assert_true(asprintf(&target, "%s/only-outside.conf", c->out) > 0);
        fr_symlink(c->root, keep(c, target), CONF);
}

/* /proc/sys/vm a link to a copy outside the root */
static void prep_procsys_link_outside(struct ctx *c)
{
        char *target, *vm = path_in(c, c->root, "proc/sys/vm/swappiness");

        assert_int_equal(unlink(vm), 0);
        unlink(path_in(c, c->root, "proc/sys/vm/nr_hugepages"));
        unlink(path_in(c, c->root, "proc/sys/vm/compact_memory"));
        assert_int_equal(rmdir(path_in(c, c->root, "proc/sys/vm")), 0);
        assert_true(asprintf(&target, "%s/proc/sys/vm", c->out) > 0);
        fr_symlink(c->root, keep(c, target), "proc/sys/vm");
}

/* /run a link outside the root: the revert record stays inside */
static void prep_run_outside(struct ctx *c)
{
        char *target;

        fr_mkdir(c->out, "run");
        assert_int_equal(unlink(path_in(c, c->root, "run/bait")), 0);
        assert_int_equal(rmdir(path_in(c, c->root, "run")), 0);
        assert_true(asprintf(&target, "%s/run", c->out) > 0);
        fr_symlink(c->root, keep(c, target), "run");
}

/* a trigger file that a glob matches */
static void prep_drop_caches(struct ctx *c)
{
        fr_write(c->root, "proc/sys/vm/drop_caches", "0\n");
}

/* an interface link pointing outside the root */
static void prep_netdev_link_outside(struct ctx *c)
{
        char *target;

        assert_true(asprintf(&target, "%s/evil", c->out) > 0);
        fr_symlink(c->root, keep(c, target), "sys/class/net/evil0");
}

/* a directory inside /proc/sys that links to the root's top */
static void prep_procsys_loop(struct ctx *c)
{
        fr_symlink(c->root, "../../..", "proc/sys/up");
}

/* ownership: a scratch --config-dir holding one harmless file, planned as root */
static const char harmless[] = "[sysctl]\n-kernel.kvmtune_hostile_no_such_key = 1\n";

static void own_dir(struct ctx *c)
{
        scratch(c);
        fr_write(c->dir, "50-h.conf", harmless);
        c->no_root = true;
        arg(c, "--config-dir");
        arg(c, c->dir);
}

static void prep_own_ok(struct ctx *c)
{
        own_dir(c);
        assert_int_equal(chmod(path_in(c, c->dir, "50-h.conf"), 0600), 0);
}

static void prep_own_dir_user(struct ctx *c)
{
        own_dir(c);
        assert_int_equal(chown(c->dir, 1000, 1000), 0);
}

static void prep_own_dir_group_w(struct ctx *c)
{
        own_dir(c);
        assert_int_equal(chmod(c->dir, 0775), 0);
}

static void prep_own_dir_sticky(struct ctx *c)
{
        own_dir(c);
        assert_int_equal(chmod(c->dir, 01777), 0);
}

static void prep_own_file_user_ro(struct ctx *c)
{
        char *f;

        own_dir(c);
        f = path_in(c, c->dir, "50-h.conf");
        assert_int_equal(chown(f, 1000, 0), 0);
        assert_int_equal(chmod(f, 0444), 0);
}

static void prep_own_file_group_w(struct ctx *c)
{
        char *f;

        own_dir(c);
        f = path_in(c, c->dir, "50-h.conf");
        assert_int_equal(chown(f, 0, 1000), 0);
        assert_int_equal(chmod(f, 0660), 0);
}

static void prep_own_link_to_writable(struct ctx *c)
{
        own_dir(c);
        fr_write(c->dir, "sub/target", harmless);
        assert_int_equal(chmod(path_in(c, c->dir, "sub/target"), 0666), 0);
        fr_symlink(c->dir, path_in(c, c->dir, "sub/target"), "60-link.conf");
}

static void prep_own_config_user(struct ctx *c)
{
        char *f;

        scratch(c);
        fr_write(c->dir, "x.conf", harmless);
        f = path_in(c, c->dir, "x.conf");
        assert_int_equal(chown(f, 1000, 1000), 0);
        c->no_root = true;
        arg(c, "--config");
        arg(c, f);
}

static void prep_device_dotdot(struct ctx *c)
{
        arg(c, "--device");
        arg(c, "../sda");
}

static void prep_device_dots(struct ctx *c)
{
        arg(c, "--device");
        arg(c, "..");
}

static void prep_device_newline(struct ctx *c)
{
        arg(c, "--device");
        arg(c, "sda\nsdb");
}

static void prep_only_climb(struct ctx *c)
{
        arg(c, "--only");
        arg(c, "sysctl,../block");
}

static void prep_stage_bad(struct ctx *c)
{
        arg(c, "--stage");
        arg(c, "../initrd");
}

/* ---- the table ------------------------------------------------------------- */

#define TXT(s) .text = s, .len = sizeof(s) - 1

static const struct hcase cases[] = {
        /* triggers are actions, not settings: refused, never fired (a glob skips them) */
        { "sysctl trigger vm.drop_caches", "[sysctl]\nvm.drop_caches = 3\nvm.swappiness = 10\n",
          .status = 1, .line = 2, .msg = "is an action", .rel = "proc/sys/vm/swappiness", .val = "10" },
        { "sysctl trigger vm.compact_memory", "[sysctl]\nvm.compact_memory = 1\n",
          .status = 1, .line = 2, .msg = "[hugepages] compacts by itself" },
        { "sysctl glob over a trigger", "[sysctl]\nvm.drop_cach* = 3\n", .prep = prep_drop_caches,
          .status = 0, .rel = "proc/sys/vm/drop_caches", .val = "0" },
        /* traversal: sysctl keys */
        { "sysctl ../ in a slash key", "[sysctl]\nnet/ipv4/../../../../bait = 1\n",
          .status = 1, .line = 2, .msg = "invalid sysctl key", .rel = "bait", .val = "bait" },
        { "sysctl .. in a dotted key", "[sysctl]\nnet.ipv4...bait = 1\n",
          .status = 1, .line = 2, .msg = "invalid sysctl key" },
        { "sysctl absolute key outside", "[sysctl]\n@OUT@/bait = 1\n",
          .status = 1, .line = 2, .msg = "invalid sysctl key" },
        { "sysctl '-' absolute key", "[sysctl]\n-/bait = 1\nvm.swappiness = 5\n",
          .status = 1, .line = 2, .msg = "invalid sysctl key", .rel = SWAP, .val = "5" },
        { "sysctl '.*' glob cannot match ..", "[sysctl]\n*/.*/.*/.*/bait = 1\n*/.*/.*/bait = 1\n",
          .status = 0, .rel = "proc/bait", .val = "bait" },
        { "sysctl glob 127 levels deep", .gen = gen_deep_glob, .status = 0, .rel = SWAP, .val = "60" },
        { "sysctl glob through a link to the top", "[sysctl]\n*.*.bait = 1\nup.*.bait = 1\n",
          .prep = prep_procsys_loop, .status = 0 },
        /* fuzz: conf.all and conf.default of one attribute, both to be set (a leak in sysctl_plan) */
        { "sysctl glob over conf.all and conf.default", "[sysctl]\nnet.ipv4.conf.*.rp_filter = 2con 1\n",
          .status = 0, .rel = "proc/sys/net/ipv4/conf/eth0/rp_filter", .val = "2con 1" },
        { "sysctl key with a space", "[sysctl]\nvm.swap piness = 1\n",
          .status = 1, .line = 2, .msg = "invalid sysctl key" },
        { "sysctl key with a backslash", "[sysctl]\nvm\\..\\swappiness = 1\n",
          .status = 1, .line = 2, .msg = "invalid sysctl key" },
        { "sysctl key of 264 bytes", .gen = gen_long_key_256,
          .status = 1, .line = 2, .msg = "invalid sysctl key" },
        { "sysctl empty key", "[sysctl]\n = 5\n", .status = 1, .line = 2 },
        { "/proc/sys/vm a link outside", "[sysctl]\nvm.swappiness = 1\n", .prep = prep_procsys_link_outside,
          .status = 1, .line = 2, .msg = "vm.swappiness" },

        /* traversal: [block], [netdev], [hugetlbfs] names */
        { "block ../ name", "[block \"../../bait\"]\nscheduler = none\n",
          .status = 1, .line = 1, .msg = "contains '/'" },
        { "block absolute name", "[block \"/dev/vda\"]\nread_ahead_kb = 1\n",
          .status = 1, .line = 1, .msg = "contains '/'",
          .rel = "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", .val = "128" },
        { "block ..", "[block \"vda ..\"]\nread_ahead_kb = 1\n",
          .status = 1, .line = 1, .msg = "not a device name",
          .rel = "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", .val = "128" },
        { "block .", "[block \".\"]\nread_ahead_kb = 1\n", .status = 1, .line = 1, .msg = "not a device name" },
        { "block */..", "[block \"*/..\"]\nread_ahead_kb = 1\n", .status = 1, .line = 1, .msg = "contains '/'" },
        { "block empty name", "[block \"  \"]\nread_ahead_kb = 1\n", .status = 1, .line = 1,
          .msg = "no device name" },
        { "block '.*' glob matches no . or ..", "[block \".*\"]\nscheduler = bfq\n", .status = 0,
          .rel = "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/scheduler", .val = "[none] mq-deadline kyber bfq" },
        { "block scheduler ../", "[block \"vda\"]\nscheduler = ../../bait\n",
          .status = 1, .line = 2, .msg = "invalid name" },
        { "netdev ../ name", "[netdev \"../eth0\"]\ntxqueuelen = 1\n", .status = 1, .line = 1,
          .msg = "contains '/'", .rel = "sys/devices/virtual/net/eth0/tx_queue_len", .val = "1000" },
        { "netdev absolute name", "[netdev \"/sys/class/net/eth0\"]\ntxqueuelen = 1\n", .status = 1,
          .line = 1, .msg = "contains '/'" },
        { "netdev ..", "[netdev \"..\"]\ntxqueuelen = 1\n", .status = 1, .line = 1, .msg = "not a device name" },
        { "netdev name of 16 bytes", "[netdev \"abcdefghijklmnop\"]\ntxqueuelen = 1\n", .status = 1,
          .line = 1, .msg = "longer than 15 bytes" },
        { "netdev glob over a link outside", "[netdev \"*\"]\ntxqueuelen = 2000\n",
          .prep = prep_netdev_link_outside, .status = 0,
          .rel = "sys/devices/virtual/net/eth0/tx_queue_len", .val = "2000" },
        { "hugetlbfs relative", "[hugetlbfs \"mnt/huge\"]\npagesize = 2M\n", .status = 1, .line = 1,
          .msg = "absolute path" },
        { "hugetlbfs ..", "[hugetlbfs \"/mnt/../etc\"]\npagesize = 2M\n", .status = 1, .line = 1,
          .msg = "absolute path" },
        { "hugetlbfs .", "[hugetlbfs \"/mnt/./h\"]\npagesize = 2M\n", .status = 1, .line = 1,
          .msg = "absolute path" },
        { "hugetlbfs empty component", "[hugetlbfs \"/mnt//h\"]\npagesize = 2M\n", .status = 1, .line = 1,
          .msg = "absolute path" },
        { "hugetlbfs /", "[hugetlbfs \"/\"]\npagesize = 2M\n", .status = 1, .line = 1, .msg = "absolute path" },
        { "hugetlbfs trailing ..", "[hugetlbfs \"/dev/hugepages/..\"]\npagesize = 2M\n", .status = 1,
          .line = 1, .msg = "absolute path" },
        { "ksm key ../", "[ksm]\n../../bait = 1\n", .status = 1, .line = 2, .msg = "invalid [ksm] key" },
        { "ksm key with /", "[ksm]\nrun/../../../bait = 1\n", .status = 1, .line = 2, .msg = "invalid [ksm] key" },
        { "thp value ../", "[thp]\nenabled = ../../bait\n", .status = 1, .line = 2,
          .msg = "not one of the kernel's choices" },
        { "modules load ../", "[modules]\nload = ../../evil\n", .status = 1, .line = 2,
          .msg = "invalid module name" },
        { "modules load absolute .ko", "[modules]\nload = /tmp/evil.ko\n", .status = 1, .line = 2,
          .msg = "invalid module name" },

        /* control characters */
        { "NUL in a value", TXT("[sysctl]\nvm.swappiness = 1\0 0\n"), .status = 1, .line = 2,
          .msg = "control character", .rel = SWAP, .val = "60" },
        { "NUL in a key", TXT("[sysctl]\nvm.swap\0piness = 1\nnet.core.somaxconn = 1111\n"), .status = 1,
          .line = 2, .msg = "control character", .rel = "proc/sys/net/core/somaxconn", .val = "1111" },
        { "NUL in a header", TXT("[sys\0ctl]\nvm.swappiness = 1\n"), .status = 1, .line = 1,
          .msg = "control character", .rel = SWAP, .val = "60" },
        { "a file of NULs", .gen = gen_nul_file, .status = 1, .line = 1, .msg = "control character" },
        { "newline splits a value", "[sysctl]\nvm.swappiness = 1\n0\n", .status = 1, .line = 3,
          .msg = "syntax error", .rel = SWAP, .val = "1" },
        { "CR inside a value", "[sysctl]\nvm.swappiness = 1\r0\n", .status = 1, .line = 2,
          .msg = "control character", .rel = SWAP, .val = "60" },
        { "CRLF line ends", "[sysctl]\r\nvm.swappiness = 10\r\n", .status = 0, .rel = SWAP, .val = "10" },
        { "CR-only line ends", "[sysctl]\rvm.swappiness = 10\r", .status = 1, .line = 1,
          .msg = "control character", .rel = SWAP, .val = "60" },
        { "escape sequence in a value", "[sysctl]\nkernel.hostname = \x1b[31mred\n", .status = 1, .line = 2,
          .msg = "control character" },
        { "DEL in a value", "[sysctl]\nvm.swappiness = 1\x7f\n", .status = 1, .line = 2,
          .msg = "control character", .rel = SWAP, .val = "60" },

        /* long lines */
        { "1 MB value", .gen = gen_big_value, .status = 1, .line = 2, .msg = "line too long",
          .rel = SWAP, .val = "60" },
        { "1 MB key", .gen = gen_big_key, .status = 1, .line = 2, .msg = "line too long",
          .rel = "proc/sys/net/core/somaxconn", .val = "1111" },
        { "1 MB header", .gen = gen_big_header, .status = 1, .line = 1, .msg = "line too long",
          .rel = SWAP, .val = "60" },
        { "1 MB comment", .gen = gen_big_comment, .status = 0, .rel = "proc/sys/net/core/somaxconn",
          .val = "1111" },
        { "1 MB last line without newline", .gen = gen_big_no_newline, .status = 1, .line = 2,
          .msg = "line too long", .rel = SWAP, .val = "60" },
        { "value of 4096 bytes accepted", .gen = gen_value_4096, .prep = prep_hostile_key, .status = 0,
          .after = after_value_4096 },
        { "header of 500 bytes accepted", .gen = gen_long_header, .status = 0,
          .rel = "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", .val = "2048" },
        { "value of 4097 bytes", .gen = gen_value_4097, .status = 1, .line = 2, .msg = "longer than 4096",
          .rel = "proc/sys/net/core/somaxconn", .val = "1111" },

        /* size of the configuration */
        { "10,000 [sysctl] sections", .gen = gen_many_sysctl_sections, .status = 0, .rel = SWAP, .val = "9999" },
        { "10,000 [block] sections", .gen = gen_many_block_sections, .status = 0,
          .rel = "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", .val = "4096" },
        { "10,000 [netdev] sections", .gen = gen_many_netdev_sections, .status = 0,
          .rel = "sys/devices/virtual/net/eth0/tx_queue_len", .val = "5000" },
        { "10,000 [hugetlbfs] sections", .gen = gen_many_hugetlbfs_sections, .status = 0 },
        { "10,000 missing '-' keys", .gen = gen_many_keys, .status = 0, .rel = SWAP, .val = "33" },
        { "10,000 unknown sections", .gen = gen_many_unknown_sections, .status = 1, .line = MANY * 2 - 1,
          .msg = "unknown section", .rel = SWAP, .val = "44" },

        /* garbage */
        { "64 kB of random bytes", .gen = gen_garbage, .status = 1, .rel = SWAP, .val = "60" },
        { "3000 lines of token soup", .gen = gen_token_soup, .status = 1 },
        { "an ELF binary", .prep = prep_elf, .status = 1, .msg = SHOWN ":1:" },

        /* files that are not regular files, links that lead out */
        { "--config a directory", .prep = prep_config_is_dir, .status = 1, .msg = "@DIR@/x.conf: not a regular file" },
        { "--config a FIFO", .prep = prep_config_is_fifo, .status = 1, .msg = "@DIR@/x.conf: not a regular file" },
        { "--config a dangling link", .prep = prep_config_dangling, .status = 1, .msg = "@DIR@/x.conf: cannot open" },
        { "a conf file linked to /dev/zero", .prep = prep_config_device, .status = 1,
          .msg = "@DIR@/zero.conf: not a regular file" },
        { "conf.d link to a FIFO", .prep = prep_confd_fifo_link, .status = 1, .msg = SHOWN ": not a regular file" },
        { "conf.d link to a directory", .prep = prep_confd_dir_link, .status = 1, .msg = SHOWN ": not a regular file" },
        { "conf.d link to itself", .prep = prep_confd_loop, .status = 1, .msg = SHOWN ": cannot open" },
        { "conf.d is a file", .prep = prep_confd_is_file, .status = 1, .msg = "/etc/kvmtune/conf.d: cannot open",
          .rel = SWAP, .val = "60" },
        { "conf.d links outside (absolute)", .prep = prep_confd_outside_abs, .status = 0, .rel = SWAP, .val = "7" },
        { "conf.d links outside (climbing)", .prep = prep_confd_outside_rel, .status = 0, .rel = SWAP, .val = "7" },
        { "conf file links outside", .prep = prep_conf_link_outside, .status = 1, .msg = SHOWN ": cannot open",
          .rel = SWAP, .val = "60" },

        { "/run links outside", "[sysctl]\nvm.swappiness = 10\n", .prep = prep_run_outside, .status = 1,
          .msg = "cannot write the revert record", .rel = SWAP, .val = "60" },     /* nothing changed */

        /* ownership and modes (root, no --root: plan on a scratch --config-dir) */
        { "owner: root 0600 accepted", .prep = prep_own_ok, .cmd = "plan", .status = 0, .need_root = true },
        { "owner: directory of another user", .prep = prep_own_dir_user, .cmd = "plan", .status = 1,
          .msg = "@DIR@: refused", .need_root = true },
        { "owner: group-writable directory", .prep = prep_own_dir_group_w, .cmd = "plan", .status = 1,
          .msg = "@DIR@: refused", .need_root = true },
        { "owner: sticky world-writable directory", .prep = prep_own_dir_sticky, .cmd = "plan", .status = 1,
          .msg = "@DIR@: refused", .need_root = true },
        { "owner: read-only file of another user", .prep = prep_own_file_user_ro, .cmd = "plan", .status = 1,
          .msg = "@DIR@/50-h.conf: refused", .need_root = true },
        { "owner: group-writable file", .prep = prep_own_file_group_w, .cmd = "plan", .status = 1,
          .msg = "@DIR@/50-h.conf: refused", .need_root = true },
        { "owner: link to a world-writable file", .prep = prep_own_link_to_writable, .cmd = "plan", .status = 1,
          .msg = "@DIR@/60-link.conf: refused", .need_root = true },
        { "owner: --config of another user", .prep = prep_own_config_user, .cmd = "plan", .status = 1,
          .msg = "@DIR@/x.conf: refused", .need_root = true },

        /* encodings, duplicates, empty values */
        { "UTF-8 BOM", "\xef\xbb\xbf[sysctl]\nvm.swappiness = 10\n", .status = 0, .rel = SWAP, .val = "10" },
        { "BOM on line 2", "[sysctl]\n\xef\xbb\xbfvm.swappiness = 10\n", .status = 1, .line = 2,
          .msg = "invalid sysctl key", .rel = SWAP, .val = "60" },
        { "two BOMs", "\xef\xbb\xbf\xef\xbb\xbf[sysctl]\nvm.swappiness = 10\n", .status = 1, .line = 1,
          .rel = SWAP, .val = "60" },
        { "duplicate sysctl key: later wins", "[sysctl]\nvm.swappiness = 10\nvm.swappiness = 20\n", .status = 0,
          .rel = SWAP, .val = "20" },
        { "duplicate key, other separator", "[sysctl]\nvm.swappiness = 10\nvm/swappiness = 21\n", .status = 0,
          .rel = SWAP, .val = "21" },
        { "duplicate ksm key", "[ksm]\npages_to_scan = 1\npages_to_scan = 2\n", .status = 0,
          .rel = "sys/kernel/mm/ksm/pages_to_scan", .val = "2" },
        { "duplicate block key", "[block \"vda\"]\nread_ahead_kb = 256\n[block \"vda\"]\nread_ahead_kb = 512\n",
          .status = 0, .rel = "sys/devices/pci0000:00/0000:00:04.0/block/vda/queue/read_ahead_kb", .val = "512" },
        { "duplicate netdev key", "[netdev \"eth0\"]\ntxqueuelen = 1\ntxqueuelen = 2\n", .status = 0,
          .rel = "sys/devices/virtual/net/eth0/tx_queue_len", .val = "2" },
        { "empty sysctl value", "[sysctl]\nvm.swappiness =\n", .status = 1, .line = 2, .msg = "empty value",
          .rel = SWAP, .val = "60" },
        { "empty value after inline comment", "[sysctl]\nvm.swappiness = ; none\n", .status = 1, .line = 2,
          .msg = "empty value", .rel = SWAP, .val = "60" },
        { "empty ksm run", "[ksm]\nrun =\n", .status = 1, .line = 2, .msg = "ksm run" },
        { "empty thp value", "[thp]\nenabled =\n", .status = 1, .line = 2, .msg = "thp enabled" },
        { "empty scheduler", "[block \"vda\"]\nscheduler =\n", .status = 1, .line = 2, .msg = "no scheduler" },
        { "empty txqueuelen", "[netdev \"eth0\"]\ntxqueuelen =\n", .status = 1, .line = 2, .msg = "txqueuelen" },
        { "empty hugepages pages", "[hugepages]\npages =\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "empty conntrack max", "[conntrack]\nmax =\n", .status = 1, .line = 2, .msg = "conntrack max" },
        { "empty modules load", "[modules]\nload =\n", .status = 1, .line = 2, .msg = "no module named" },
        { "empty hugetlbfs pagesize", "[hugetlbfs \"/dev/hugepages\"]\npagesize =\n", .status = 1, .line = 2,
          .msg = "invalid value" },

        /* numbers: overflow, signs, hex */
        { "txqueuelen 2^64", "[netdev \"eth0\"]\ntxqueuelen = 18446744073709551616\n", .status = 1, .line = 2,
          .msg = "expected a number", .rel = "sys/devices/virtual/net/eth0/tx_queue_len", .val = "1000" },
        { "txqueuelen 2^32", "[netdev \"eth0\"]\ntxqueuelen = 4294967296\n", .status = 1, .line = 2,
          .msg = "expected a number" },
        { "txqueuelen -1", "[netdev \"eth0\"]\ntxqueuelen = -1\n", .status = 1, .line = 2, .msg = "expected a number" },
        { "txqueuelen +5", "[netdev \"eth0\"]\ntxqueuelen = +5\n", .status = 1, .line = 2, .msg = "expected a number" },
        { "txqueuelen 0x10", "[netdev \"eth0\"]\ntxqueuelen = 0x10\n", .status = 1, .line = 2,
          .msg = "expected a number" },
        { "txqueuelen 1e3", "[netdev \"eth0\"]\ntxqueuelen = 1e3\n", .status = 1, .line = 2, .msg = "expected a number" },
        { "read_ahead_kb 0x80", "[block \"vda\"]\nread_ahead_kb = 0x80\n", .status = 1, .line = 2,
          .msg = "expected a number" },
        { "read_ahead_kb -128", "[block \"vda\"]\nread_ahead_kb = -128\n", .status = 1, .line = 2,
          .msg = "expected a number" },
        { "nr_requests 2^31", "[block \"vda\"]\nnr_requests = 2147483648\n", .status = 1, .line = 2,
          .msg = "expected a number" },
        { "hugepages pages 0x10", "[hugepages]\npages = 0x10\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "hugepages pages -1", "[hugepages]\npages = -1\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "hugepages pages 2^64", "[hugepages]\npages = 18446744073709551616\n", .status = 1, .line = 2,
          .msg = "invalid value" },
        { "hugepages pages 2^64-1", "[hugepages]\npages = 18446744073709551615\n", .status = 1, .line = 2,
          .msg = "reserve rail", .rel = "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", .val = "0" },
        { "hugepages overcommit +1", "[hugepages]\novercommit = +1\n", .status = 1, .line = 2, .msg = "invalid number" },
        { "hugepages nodes 0x1", "[hugepages]\nnodes = 0x1\n", .status = 1, .line = 2, .msg = "node numbers" },
        { "conntrack max 0x100", "[conntrack]\nmax = 0x100\n", .status = 1, .line = 2, .msg = "conntrack max" },
        { "conntrack max 2^31", "[conntrack]\nmax = 2147483648\n", .status = 1, .line = 2, .msg = "conntrack max" },
        { "conntrack hashsize -5", "[conntrack]\nhashsize = -5\n", .status = 1, .line = 2, .msg = "conntrack hashsize" },
        { "ksm pages_to_scan 0x10", "[ksm]\npages_to_scan = 0x10\n", .status = 1, .line = 2,
          .msg = "expected a number", .rel = "sys/kernel/mm/ksm/pages_to_scan", .val = "100" },
        { "ksm sleep_millisecs -5", "[ksm]\nsleep_millisecs = -5\n", .status = 1, .line = 2,
          .msg = "expected a number" },
        { "ksm run 3", "[ksm]\nrun = 3\n", .status = 1, .line = 2, .msg = "ksm run" },

        /* sizes */
        { "memory 1.5G", "[hugepages]\nmemory = 1.5G\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "memory -1G", "[hugepages]\nmemory = -1G\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "memory 99999999T", "[hugepages]\nmemory = 99999999T\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "memory 1 G", "[hugepages]\nmemory = 1 G\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "memory 1GG", "[hugepages]\nmemory = 1GG\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "memory 1P", "[hugepages]\nmemory = 1P\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "memory 101%", "[hugepages]\nmemory = 101%\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "memory -5%", "[hugepages]\nmemory = -5%\n", .status = 1, .line = 2, .msg = "invalid value" },
        { "reserve -1G", "[hugepages]\nreserve = -1G\n", .status = 1, .line = 2, .msg = "invalid size" },
        { "page size 1.5G", "[hugepages \"1.5G\"]\npages = 1\n", .status = 1, .line = 1, .msg = "not a page size" },
        { "page size -1G", "[hugepages \"-1G\"]\npages = 1\n", .status = 1, .line = 1, .msg = "not a page size" },
        { "page size 99999999T", "[hugepages \"99999999T\"]\npages = 1\n", .status = 1, .line = 1,
          .msg = "not a page size" },
        { "page size 0", "[hugepages \"0\"]\npages = 1\n", .status = 1, .line = 1, .msg = "not a page size" },
        { "page size not offered", "[hugepages \"4M\"]\npages = 1\n", .status = 1, .line = 1, .msg = "not offered" },
        { "hugetlbfs size 1.5G", "[hugetlbfs \"/dev/hugepages\"]\nsize = 1.5G\n", .status = 1, .line = 2,
          .msg = "invalid value" },
        { "hugetlbfs min_size -1G", "[hugetlbfs \"/dev/hugepages\"]\nmin_size = -1G\n", .status = 1, .line = 2,
          .msg = "invalid value" },
        { "hugetlbfs mode 0x1ff", "[hugetlbfs \"/dev/hugepages\"]\nmode = 0x1ff\n", .status = 1, .line = 2,
          .msg = "invalid value" },
        { "hugetlbfs uid ../root", "[hugetlbfs \"/dev/hugepages\"]\nuid = ../root\n", .status = 1, .line = 2,
          .msg = "invalid value" },

        /* headers */
        { "section name in capitals", "[SYSCTL]\nvm.swappiness = 1\n", .status = 1, .line = 1,
          .msg = "unknown section", .rel = SWAP, .val = "60" },
        { "unquoted subsection", "[block vda]\nread_ahead_kb = 1\n", .status = 1, .line = 1, .msg = "malformed" },
        { "unterminated quote", "[block \"vda]\nread_ahead_kb = 1\n", .status = 1, .line = 1, .msg = "bad quoting" },
        { "two subsections", "[block \"vda\" \"sdb\"]\nread_ahead_kb = 1\n", .status = 1, .line = 1,
          .msg = "malformed" },

        /* usage errors */
        { "--device ../sda", .prep = prep_device_dotdot, .status = 2, .msg = "--device: invalid name" },
        { "--device ..", .prep = prep_device_dots, .status = 2, .msg = "--device: invalid name" },
        { "--device with a newline", .prep = prep_device_newline, .status = 2, .msg = "--device: invalid name" },
        { "--only ../block", .prep = prep_only_climb, .status = 2, .msg = "unknown section" },
        { "--stage ../initrd", .prep = prep_stage_bad, .status = 2, .msg = "--stage" },
};

/* ---- the runner ------------------------------------------------------------ */

static const char *const baits[] = { "bait", "proc/bait", "sys/bait", "etc/bait", "run/bait" };

static void plant(const char *root, const char *out)
{
        for (size_t i = 0; i < sizeof(baits) / sizeof(*baits); i++)
                fr_write(root, baits[i], "bait\n");
        fr_write(out, "bait", "bait\n");
        fr_write(out, "proc/sys/vm/swappiness", "60\n");
        fr_write(out, "evil/tx_queue_len", "1000\n");
}

static bool bait_ok(const char *dir, const char *rel, const char *want, char **why)
{
        char *v = fr_read_trim(dir, rel);
        bool ok = v && !strcmp(v, want);

        if (!ok)
                assert_true(asprintf(why, "%s/%s is now '%s'", dir, rel, v ? v : "(gone)") > 0);
        free(v);
        return ok;
}

/* Run one case; NULL when it passed, else why not (malloc'd). */
static char *run_case(const struct hcase *t, const char *root, const char *out)
{
        struct ctx c = { .root = root, .out = out };
        struct run_result r;
        const char *argv[16];
        size_t n = 0;
        char *why = NULL, *msg = NULL;

        plant(root, out);
        if (t->prep)
                t->prep(&c);
        if (t->text || t->gen) {
                size_t len;
                char *text = t->gen ? t->gen(&len) : NULL, *path = path_in(&c, root, CONF);

                if (!text) {
                        text = t->len ? memcpy(malloc(t->len), t->text, t->len) : subst(t->text, &c);
                        len = t->len ? t->len : strlen(text);
                }
                write_bytes(path, text, len);
                free(text);
        }
        for (size_t i = 0; i < c.n_args; i++)
                argv[n++] = c.args[i];
        argv[n++] = t->cmd ? t->cmd : "apply";
        argv[n] = NULL;
        kv_run_argv(&r, c.no_root ? NULL : root, argv);

        if (t->msg)
                msg = subst(t->msg, &c);
        if (r.status >= 128)
                assert_true(asprintf(&why, "killed by signal %d", r.status - 128) > 0);
        else if (r.status != t->status)
                assert_true(asprintf(&why, "exit %d, expected %d", r.status, t->status) > 0);
        else if (t->line) {
                char where[256];
                snprintf(where, sizeof(where), "kvmtune: " SHOWN ":%u: ", t->line);
                if (!line_with(r.err, where, msg))
                        assert_true(asprintf(&why, "no line with '%s' and '%s'", where, msg ? msg : "") > 0);
        } else if (msg && !contains(r.err, msg))
                assert_true(asprintf(&why, "no '%s' on stderr", msg) > 0);
        if (!why && t->status && !contains(r.err, "kvmtune: "))
                why = strdup("refused without a message");
        if (!why && !c.no_root && contains(r.err, root))
                why = strdup("a message shows the --root prefix");
        for (size_t i = 0; !why && i < sizeof(baits) / sizeof(*baits); i++)
                if (t->prep != prep_run_outside || strcmp(baits[i], "run/bait"))
                        bait_ok(root, baits[i], "bait", &why);
        if (!why)
                bait_ok(out, "bait", "bait", &why);
        if (!why)
                bait_ok(out, "proc/sys/vm/swappiness", "60", &why);
        if (!why)
                bait_ok(out, "evil/tx_queue_len", "1000", &why);
        if (!why) {
                char *dir = path_in(&c, out, "run/kvmtune");
                if (access(dir, F_OK) == 0)
                        why = strdup("the revert record's directory was made outside the root");
        }
        if (!why && t->rel)
                bait_ok(root, t->rel, t->val, &why);
        if (!why && t->after)
                t->after(root, &why);
        if (getenv("HOSTILE_SHOW"))
                print_message("  -- %s: exit %d\n%.600s\n", t->name, r.status, r.err);
        if (why) {
                size_t elen = strlen(r.err);
                char *full;
                assert_true(asprintf(&full, "%s\n      stderr (%zu bytes): %.2000s%s", why, elen, r.err,
                                     elen > 2000 ? "..." : "") > 0);
                free(why);
                why = full;
        }
        free(msg);
        run_result_free(&r);
        for (size_t i = 0; i < c.n_strs; i++)
                free(c.strs[i]);
        fr_free(c.dir);
        return why;
}

static void test_table(void **state)
{
        size_t n = sizeof(cases) / sizeof(*cases), failed = 0, skipped = 0, refused = 0;

        (void)state;
        assert_true(n >= 40);
        for (size_t i = 0; i < n; i++) {
                const struct hcase *t = &cases[i];
                char *root, *out, *why;

                if (t->pending) {
                        print_message("  PENDING %s: %s\n", t->name, t->pending);
                        skipped++;
                        continue;
                }
                if (t->need_root && geteuid() != 0) {
                        print_message("  SKIP    %s: needs root\n", t->name);
                        skipped++;
                        continue;
                }
                refused += t->status != 0;
                root = fr_new();
                out = fr_new();
                fr_standard(root);
                alarm(120);     /* a hang fails the test instead of stalling it */
                why = run_case(t, root, out);
                alarm(0);
                if (why) {
                        print_message("  FAIL    %s: %s\n", t->name, why);
                        failed++;
                } else if (getenv("VERBOSE"))
                        print_message("  ok      %s\n", t->name);
                free(why);
                fr_free(out);
                fr_free(root);
        }
        print_message("  %zu cases (%zu refused), %zu skipped, %zu failed\n", n, refused, skipped, failed);
        assert_int_equal(failed, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
