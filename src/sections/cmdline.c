/* SPDX-License-Identifier: MIT */
/*
 * [cmdline]: kernel parameters kvmtune keeps on the boot loader's command
 * line, with the pools of [hugepages "SIZE"] at = cmdline.  On Debian's GRUB
 * they go into one drop-in that kvmtune owns whole,
 * /etc/default/grub.d/kvmtune.cfg, appended to GRUB_CMDLINE_LINUX_DEFAULT;
 * update-grub runs only when the drop-in's content changed.  Each argument
 * is "ok", "set" (the drop-in lacks it) or "reboot" (the running kernel,
 * /proc/cmdline, was booted without it).  Only apply without --stage writes
 * (section_enabled() leaves the section out of staged runs); revert leaves
 * it alone: it is configuration, not runtime state.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kvmtune.h"
#include "kargs.h"

#define GRUB_DEFAULT "etc/default/grub"
#define DROPIN_DIR "etc/default/grub.d"
#define DROPIN_NAME "kvmtune.cfg"
#define DROPIN DROPIN_DIR "/" DROPIN_NAME
#define KERNEL_INSTALL "etc/kernel/cmdline"
#define DROPIN_VAR "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT "
#define UPDATE_GRUB_ENV "KVMTUNE_UPDATE_GRUB"

extern char **environ;

struct karg {
        char *name;
        char *word;             /* "name=value" or "name" as written; NULL: dropped (-name) */
        struct origin at;
};

enum loader { LOADER_GRUB, LOADER_KERNEL_INSTALL, LOADER_NONE };

struct cmdline_state {
        struct karg *args;
        size_t n;
        /* plan */
        char *content;          /* the drop-in wanted; NULL: none */
        char *old;              /* the drop-in there; NULL: none */
        enum loader loader;
};

static struct cmdline_state *state(struct kvmtune *k)
{
        if (!k->state[SEC_CMDLINE])
                k->state[SEC_CMDLINE] = xcalloc(1, sizeof(struct cmdline_state));
        return k->state[SEC_CMDLINE];
}

static bool name_valid(const char *s, size_t n)
{
        if (!n || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", s[i]))
                        return false;
        return true;
}

/* a value the drop-in can carry inside a double-quoted shell string as it is */
static bool value_valid(const char *s)
{
        return !has_control_char(s) && !strpbrk(s, "\"'`$\\ \t");
}

static int cmdline_parse(struct kvmtune *k, const char *sub, const char *key,
                         const char *value, struct origin at)
{
        struct cmdline_state *st = state(k);
        char *copy, *save = NULL;
        int r = 0;

        (void)sub;
        if (strcmp(key, "args")) {
                log_error(k, &at, "unknown key '%s' in [cmdline] (the key is args)", key);
                return -EINVAL;
        }
        if (!value)
                return 0;
        copy = xstrdup(value);
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                bool drop = *w == '-';
                const char *word = drop ? w + 1 : w;
                size_t n = name_len(word);
                struct karg *a = NULL;

                if (!name_valid(word, n) || (drop && word[n]) || !value_valid(word)) {
                        log_error(k, &at, "cmdline args: '%s' is not PARAM[=VALUE] or -PARAM (a value without quotes, $, ` or \\)", w);
                        r = -EINVAL;
                        continue;
                }
                if (name_equal(word, n, "hugepages", 9) || name_equal(word, n, "hugepagesz", 10)) {
                        log_error(k, &at, "cmdline args: '%s': a pool goes in [hugepages \"SIZE\"] with at = cmdline", w);
                        r = -EINVAL;
                        continue;
                }
                for (size_t i = 0; i < st->n; i++)
                        if (name_equal(st->args[i].name, strlen(st->args[i].name), word, n))
                                a = &st->args[i];
                if (!a) {
                        st->args = xrealloc_array(st->args, st->n + 1, sizeof(*st->args));
                        a = &st->args[st->n++];
                        *a = (struct karg){ .name = xasprintf("%.*s", (int)n, word) };
                }
                free(a->word);
                a->word = drop ? NULL : xstrdup(word);  /* later wins */
                a->at = at;
        }
        free(copy);
        return r;
}

/* The argument words of the drop-in kvmtune wrote (n = 0: none, or no drop-in) */
static size_t dropin_words(const char *content, char ***words)
{
        const char *p = content;
        size_t n = 0;

        *words = NULL;
        for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (!strncmp(p, DROPIN_VAR, strlen(DROPIN_VAR))) {
                        const char *v = p + strlen(DROPIN_VAR);
                        char *line = xasprintf("%.*s", (int)strcspn(v, "\"\n"), v);

                        n = split_words(line, words);
                        free(line);
                        break;
                }
        return n;
}

/* [cmdline] names the parameter (a value or -PARAM): it wins over [isolation]'s */
static bool args_name(const struct cmdline_state *st, const char *word)
{
        for (size_t i = 0; i < st->n; i++)
                if (name_equal(st->args[i].name, strlen(st->args[i].name), word, name_len(word)))
                        return true;
        return false;
}

/* one of the parameters [isolation] derives, and [cmdline] does not name */
static bool isolation_named(const struct cmdline_state *st, const struct boot_arg *iso, const char *word)
{
        for (size_t i = 0; i < ISOLATION_N_ARGS; i++)
                if (word_named(word, iso[i].name))
                        return !args_name(st, word);
        return false;
}

static enum loader find_loader(struct kvmtune *k)
{
        struct stat sb;

        if (kernfs_stat(k, GRUB_DEFAULT, &sb) == 0 && S_ISREG(sb.st_mode))
                return LOADER_GRUB;
        if (kernfs_stat(k, KERNEL_INSTALL, &sb) == 0)
                return LOADER_KERNEL_INSTALL;
        return LOADER_NONE;
}

/* one argument's setting: set, reboot or ok */
static void plan_word(struct kvmtune *k, const char *name, const char *word, struct origin at,
                      bool in_dropin, const char *running)
{
        struct setting *s = setting_add(k, SEC_CMDLINE, name, NULL, word, at);

        setting_set_cur(s, running ? xstrdup(running) : NULL);
        if (!in_dropin) {
                s->action = ACT_SET;
                setting_set_note(s, xstrdup("not in /" DROPIN));
        } else if (!running || !words_equal(running, word)) {
                s->action = ACT_REBOOT;
                setting_set_note(s, xstrdup("the running kernel was booted without it"));
        } else {
                s->action = ACT_OK;
        }
}

static int cmdline_plan(struct kvmtune *k)
{
        struct cmdline_state *st = state(k);
        const struct boot_pool *pools = NULL;
        size_t n_pools = 0, n_old, n_run, n_want = 0;
        char **old, **run, *proc = NULL, def[32];
        uint64_t default_kb = 0;
        FILE *m;
        char *line = NULL;
        size_t len = 0;
        bool pools_known;
        const struct boot_arg *iso;
        int r, iso_known;

        r = kernfs_read(k, DROPIN, &st->old);
        if (r < 0 && r != -ENOENT) {
                log_error(k, NULL, "cmdline: cannot read /%s: %s", DROPIN, strerror(-r));
                return r;
        }
        pools_known = hugepages_boot_pools(k, &pools, &n_pools);
        iso_known = isolation_boot_args(k, &iso);
        if (!st->n && !st->old && !n_pools && iso_known <= 0)
                return 0;       /* the common case: nothing to keep, nothing kept */
        n_old = dropin_words(st->old, &old);
        kernfs_read(k, "proc/cmdline", &proc);  /* none: nothing counts as booted */
        n_run = split_words(proc, &run);
        free(proc);
        meminfo_kb(k, "Hugepagesize", &default_kb);
        st->loader = find_loader(k);

        m = open_memstream(&line, &len);
        for (size_t i = 0; i < st->n; i++) {
                const struct karg *a = &st->args[i];
                const char *had;

                if (!a->word)
                        continue;
                had = last_named(old, n_old, a->name);
                plan_word(k, a->name, a->word, a->at, had && words_equal(had, a->word),
                          last_named(run, n_run, a->name));
                fprintf(m, "%s%s", n_want++ ? " " : "", a->word);
        }
        for (size_t i = 0; iso_known > 0 && i < ISOLATION_N_ARGS; i++) {
                const char *had = last_named(old, n_old, iso[i].name);

                if (args_name(st, iso[i].name))
                        continue;       /* [cmdline] says otherwise */
                plan_word(k, iso[i].name, iso[i].word, iso[i].at, had && words_equal(had, iso[i].word),
                          last_named(run, n_run, iso[i].name));
                fprintf(m, "%s%s", n_want++ ? " " : "", iso[i].word);
        }
        for (size_t i = 0; pools_known && i < n_pools; i++) {
                const struct boot_pool *p = &pools[i];
                char *word, *name, *running = NULL;
                uint64_t had = 0, booted = 0;

                format_size(p->size_kb * 1024, def, sizeof(def));
                word = xasprintf("hugepagesz=%s hugepages=%llu", def, (unsigned long long)p->pages);
                name = xasprintf("hugepages %s", def);
                if (words_pool(run, n_run, p->size_kb, default_kb, &booted))
                        running = xasprintf("hugepagesz=%s hugepages=%llu", def, (unsigned long long)booted);
                plan_word(k, name, word, p->at,
                          words_pool(old, n_old, p->size_kb, default_kb, &had) && had == p->pages, running);
                fprintf(m, "%s%s", n_want++ ? " " : "", word);
                free(word);
                free(name);
                free(running);
        }
        /* what the drop-in holds and the configuration no longer asks for */
        for (size_t i = 0; i < n_old; i++) {
                bool pool = word_named(old[i], "hugepagesz") || word_named(old[i], "hugepages");
                bool wanted = false;
                struct setting *s;
                char *name;

                if ((pool && !pools_known) ||   /* --only without hugepages: its words stay */
                    (iso_known < 0 && isolation_named(st, iso, old[i]))) {       /* or [isolation] refused */
                        fprintf(m, "%s%s", n_want++ ? " " : "", old[i]);
                        continue;
                }
                if (word_named(old[i], "hugepages"))
                        continue;       /* shown with its hugepagesz= */
                for (size_t j = 0; !pool && j < st->n; j++)
                        wanted |= st->args[j].word && word_named(old[i], st->args[j].name);
                wanted |= !pool && iso_known > 0 && isolation_named(st, iso, old[i]);
                for (size_t j = 0; pool && j < n_pools; j++) {
                        uint64_t kb;
                        wanted |= size_kb_of(old[i] + name_len(old[i]) + 1, &kb) && kb == pools[j].size_kb;
                }
                if (wanted)
                        continue;
                name = pool ? xstrdup(old[i]) : xasprintf("%.*s", (int)name_len(old[i]), old[i]);
                s = setting_add(k, SEC_CMDLINE, name, NULL, NULL, (struct origin){ 0 });
                free(name);
                s->action = ACT_SET;
                setting_set_note(s, xstrdup("no longer configured: apply removes it from /" DROPIN));
        }
        fclose(m);
        if (n_want)
                st->content = xasprintf("# Written by kvmtune from its [cmdline] section and the [hugepages] pools\n"
                                        "# at = cmdline; kvmtune owns this file whole and rewrites or removes it.\n"
                                        DROPIN_VAR "%s\"\n", line);
        free(line);
        free_words(old, n_old);
        free_words(run, n_run);

        if ((st->content || st->old) && st->loader != LOADER_GRUB) {
                const char *why = st->loader == LOADER_KERNEL_INSTALL ?
                        "this host boots through kernel-install (/" KERNEL_INSTALL " exists, no /" GRUB_DEFAULT
                        "): kvmtune does not edit a file it does not own; add the arguments to /" KERNEL_INSTALL
                        " and run kernel-install add for the installed kernels" :
                        "no boot loader configuration found (neither /" GRUB_DEFAULT " nor /" KERNEL_INSTALL ")";
                bool told = false;

                for (size_t i = 0; i < k->n_settings; i++) {
                        struct setting *s = k->settings[i];
                        if (s->section != SEC_CMDLINE || s->action == ACT_OK || s->action == ACT_REBOOT)
                                continue;
                        if (!told)
                                log_error(k, &s->at, "cmdline: %s", why);
                        told = true;
                        s->action = ACT_ERROR;
                        setting_set_note(s, xstrdup(why));
                }
        }
        return 0;
}

/* write (content) or remove (NULL) the drop-in: a temporary file renamed into place */
static int write_dropin(struct kvmtune *k, const char *content)
{
        int dir, r = 0;

        dir = kernfs_openat(k, DROPIN_DIR, O_PATH | O_DIRECTORY);
        if (dir == -ENOENT && content) {
                int parent = kernfs_openat(k, "etc/default", O_PATH | O_DIRECTORY);
                if (parent < 0)
                        return parent;
                if (mkdirat(parent, "grub.d", 0755) < 0 && errno != EEXIST)
                        r = -errno;
                close(parent);
                if (r < 0)
                        return r;
                dir = kernfs_openat(k, DROPIN_DIR, O_PATH | O_DIRECTORY);
        }
        return kernfs_replace_at(dir, DROPIN_NAME, content);
}

/*
 * update-grub, or $KVMTUNE_UPDATE_GRUB (a program path: the tests' stand-in),
 * with its output on stderr (stdout may be --json).  Under --root without
 * that variable it is not run: the host's grub.cfg is not the root's.
 * Returns 1 when not run, 0 on success, -errno or the exit status as -EIO.
 */
static int update_grub(struct kvmtune *k)
{
        const char *cmd = getenv(UPDATE_GRUB_ENV);
        char *argv[2];
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int r, status;

        if (!cmd && k->root)
                return 1;
        argv[0] = (char *)(cmd ? cmd : "update-grub");
        argv[1] = NULL;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, 2, 1);
        fflush(stdout);
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r) {
                log_error(k, NULL, "cmdline: cannot run %s: %s", argv[0], strerror(r));
                return -r;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status)) {
                log_error(k, NULL, "cmdline: %s failed (%s %d)", argv[0],
                          WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                return -EIO;
        }
        return 0;
}

/* the drop-in as read (kernfs_read() drops trailing blanks) is content */
static bool same_content(const char *old, const char *content)
{
        size_t n = old ? strlen(old) : 0;

        if (!old || !content)
                return !old && !content;
        return !strncmp(old, content, n) && content[n + strspn(content + n, "\n")] == '\0';
}

static int cmdline_apply(struct kvmtune *k)
{
        struct cmdline_state *st = k->state[SEC_CMDLINE];
        bool fail = false;
        int r;

        if (!st || st->loader != LOADER_GRUB || k->stage != STAGE_ALL)
                return 0;
        if (same_content(st->old, st->content))
                return 0;       /* unchanged: neither a rewrite nor update-grub */
        for (size_t i = 0; i < k->n_settings; i++)
                if (k->settings[i]->section == SEC_CMDLINE && k->settings[i]->action == ACT_ERROR)
                        return 0;       /* a half-known command line is not written */
        r = write_dropin(k, st->content);
        if (r < 0) {
                log_error(k, NULL, "cmdline: cannot %s /%s: %s", st->content ? "write" : "remove",
                          DROPIN, strerror(-r));
                fail = true;
        } else {
                r = update_grub(k);
                if (r == 1) {
                        log_notice(k, NULL, "cmdline: /%s %s; update-grub is not run under --root",
                                   DROPIN, st->content ? "written" : "removed");
                } else if (r < 0) {
                        /* the old drop-in back: the next apply tries again */
                        write_dropin(k, st->old);
                        fail = true;
                }
        }
        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];
                char name[SETTING_NAME_MAX];

                if (s->section != SEC_CMDLINE || s->action != ACT_SET)
                        continue;
                if (fail) {
                        s->action = ACT_ERROR;
                        setting_set_note(s, xstrdup("the boot loader configuration was not changed"));
                        continue;
                }
                s->changed = true;
                k->n_changes++;
                if (s->want)
                        log_info(k, "cmdline %s: added to /%s (at the next boot)", s->want, DROPIN);
                else
                        log_info(k, "cmdline %s: removed from /%s (at the next boot)",
                                 setting_name(s, name, sizeof(name)), DROPIN);
                s->action = !s->want ? ACT_OK : s->cur && words_equal(s->cur, s->want) ? ACT_OK : ACT_REBOOT;
                setting_set_note(s, s->action == ACT_REBOOT ?
                                 xstrdup("written; the running kernel was booted without it") : NULL);
        }
        return fail ? -EIO : 0;
}

static void cmdline_free(struct kvmtune *k)
{
        struct cmdline_state *st = k->state[SEC_CMDLINE];

        if (!st)
                return;
        for (size_t i = 0; i < st->n; i++) {
                free(st->args[i].name);
                free(st->args[i].word);
        }
        free(st->args);
        free(st->content);
        free(st->old);
        free(st);
        k->state[SEC_CMDLINE] = NULL;
}

const struct section_ops cmdline_section = {
        .name = "cmdline",
        .subsection = SUB_NONE,
        .parse = cmdline_parse,
        .plan = cmdline_plan,
        .apply = cmdline_apply,
        .free = cmdline_free,
};
