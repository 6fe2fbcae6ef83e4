/* SPDX-License-Identifier: MIT */
/*
 * [ksm] run = auto: ksmtuned's policy without a daemon.  Each run of
 * `kvmtune apply --only=ksm` (kvmtune-ksm.timer) is one tick of ksmtuned's
 * loop, from the same inputs and with the same integer arithmetic:
 *
 *   total     = MemTotal (kB)
 *   threshold = total * auto-threshold% / 100, at least auto-threshold-min
 *   sleep     = auto-sleep-millisecs * 16 GiB / total, at least 10
 *   free      = MemFree + Buffers + Cached
 *   committed = the resident size (VmRSS) of the guest processes
 *
 *   committed + threshold < total and free > threshold: run = 0 (npages kept)
 *   else npages += boost when free < threshold, else -= decay, clamped to
 *        pages-min..pages-max; pages_to_scan = npages,
 *        sleep_millisecs = sleep, run = 1
 *
 * npages (0 at first) and the last tick's decision and inputs live in
 * /run/kvmtune/ksm-auto, replaced atomically; a lost or corrupt file is the
 * initial state.  A tick happens at most once per auto-interval (measured
 * on /proc/uptime, under the root, so tests give the clock): a run in
 * between, and plan and verify, see the last tick's decision.  At boot
 * (--stage) nothing is decided: the boot apply only leaves the initial state,
 * which is the condition kvmtune-ksm.timer starts on.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksm.h"

#define STATE_DIR "run/kvmtune"
#define STATE_NAME "ksm-auto"
#define STATE "run/kvmtune/ksm-auto"
#define SLEEP_FLOOR 10                  /* ksmtuned's floor, whatever auto-sleep-millisecs says */
#define SIXTEEN_GIB_KB (16ull * 1024 * 1024)

enum { K_INTERVAL, K_BOOST, K_DECAY, K_PAGES_MIN, K_PAGES_MAX, K_SLEEP, K_THRES, K_THRES_MIN, N_KEYS };

static const struct {
        const char *name;
        uint64_t def;
} keys[N_KEYS] = {
        [K_INTERVAL] = { "auto-interval", 60 },
        [K_BOOST] = { "auto-boost", 300 },
        [K_DECAY] = { "auto-decay", 50 },
        [K_PAGES_MIN] = { "auto-pages-min", 64 },
        [K_PAGES_MAX] = { "auto-pages-max", 1250 },
        [K_SLEEP] = { "auto-sleep-millisecs", 10 },
        [K_THRES] = { "auto-threshold", 20 },          /* percent, unless thres_is_kb */
        [K_THRES_MIN] = { "auto-threshold-min", 2048 }, /* kB */
};

/* One tick: its inputs and its decision. */
struct tick {
        bool has_tick;          /* a decision was made (else: the initial state) */
        int64_t at_ms;          /* uptime of the tick; -1: unknown */
        uint64_t npages_before, npages;
        int run;                /* 0: stop, 1: start */
        uint64_t pages, sleep;
        uint64_t total, free, committed, thres;
        uint64_t guests;
};

struct ksm_auto {
        uint64_t v[N_KEYS];
        struct origin at[N_KEYS];
        bool set[N_KEYS];
        bool thres_is_kb;
        /* plan */
        bool planned, due, decided, boot;
        struct tick last, now;
        int64_t uptime_ms;
};

bool ksm_auto_key(const char *key)
{
        return !strncmp(key, "auto-", 5);
}

bool ksm_auto_owns(const char *key)
{
        return !strcmp(key, "pages_to_scan") || !strcmp(key, "sleep_millisecs");
}

static struct ksm_auto *auto_new(struct ksm_state *st)
{
        if (!st->au) {
                st->au = xcalloc(1, sizeof(*st->au));
                for (int i = 0; i < N_KEYS; i++)
                        st->au->v[i] = keys[i].def;
        }
        return st->au;
}

int ksm_auto_parse(struct kvmtune *k, struct ksm_state *st, const char *key, const char *value,
                   struct origin at)
{
        struct ksm_auto *au;
        uint64_t v, bytes;
        size_t len = strlen(value);
        int i;

        for (i = 0; i < N_KEYS && strcmp(key, keys[i].name); i++)
                ;
        if (i == N_KEYS) {
                log_error(k, &at, "unknown key '%s' in [ksm] (auto keys: auto-interval, auto-boost, auto-decay, "
                          "auto-pages-min, auto-pages-max, auto-sleep-millisecs, auto-threshold, "
                          "auto-threshold-min)", key);
                return -EINVAL;
        }
        au = auto_new(st);
        if (i == K_THRES && len > 1 && value[len - 1] == '%') {
                char num[24];

                if (len - 1 >= sizeof(num) || (memcpy(num, value, len - 1), num[len - 1] = '\0',
                                                parse_u64(num, &v) < 0) || v > 100) {
                        log_error(k, &at, "ksm %s: expected a whole percentage 0%%..100%% or a size, not '%s'",
                                  key, value);
                        return -EINVAL;
                }
                au->thres_is_kb = false;
        } else if (i == K_THRES || i == K_THRES_MIN) {
                if (parse_size(value, &bytes) < 0) {
                        log_error(k, &at, "ksm %s: expected a size%s, not '%s'", key,
                                  i == K_THRES ? " or N%" : "", value);
                        return -EINVAL;
                }
                v = bytes / 1024;
                if (i == K_THRES)
                        au->thres_is_kb = true;
        } else if (parse_u64(value, &v) < 0 || v > UINT32_MAX) {
                log_error(k, &at, "ksm %s: expected a number%s, not '%s'", key,
                          i == K_DECAY ? " of pages (the amount npages shrinks by, without a sign)" : "", value);
                return -EINVAL;
        }
        au->v[i] = v;
        au->at[i] = at;
        au->set[i] = true;
        return 0;
}

/* ---- inputs ------------------------------------------------------------- */

/* MemTotal, and MemFree + Buffers + Cached, from one read of /proc/meminfo */
static int read_meminfo(struct kvmtune *k, uint64_t *total, uint64_t *free_kb)
{
        static const char *const fields[] = { "MemTotal", "MemFree", "Buffers", "Cached" };
        bool seen[4] = { false };
        uint64_t val[4] = { 0 };
        char *text, *p;
        int r = kernfs_read(k, "proc/meminfo", &text);

        if (r < 0)
                return r;
        for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                for (size_t i = 0; i < 4; i++) {
                        size_t n = strlen(fields[i]);
                        unsigned long long v;

                        if (!seen[i] && !strncmp(p, fields[i], n) && p[n] == ':' &&
                            sscanf(p + n + 1, "%llu", &v) == 1) {
                                val[i] = v;
                                seen[i] = true;
                        }
                }
        free(text);
        if (!seen[0] || !seen[1] || !val[0])
                return -ENODATA;
        *total = val[0];
        *free_kb = val[1] + val[2] + val[3];
        return 0;
}

/*
 * A guest: a process whose executable (proc/PID/exe), without its directory,
 * is qemu-kvm, kvm, or starts with qemu-system-; a trailing " (deleted)" is
 * not part of the name (a guest keeps running after a qemu upgrade).  Its
 * executable, not its argv[0], which any process can set: and one readlink
 * a process instead of an open, a read and a close of its cmdline.  Kernel
 * threads have no exe (ENOENT) and never are guests.  Without the right to
 * read another user's exe (EACCES: a plan or verify as a user), argv[0] of
 * proc/PID/cmdline decides, as it did before.  Whatever the accelerator
 * options (-enable-kvm, -accel kvm, or none): a guest's RAM is committed
 * memory either way.
 */
static bool guest_name(const char *path)
{
        const char *base = strrchr(path, '/');

        base = base ? base + 1 : path;
        return !strncmp(base, "qemu-system-", 12) || !strcmp(base, "qemu-kvm") || !strcmp(base, "kvm");
}

/* The first argument of proc/PID/cmdline; false when gone or unreadable. */
static bool read_argv0(struct kvmtune *k, const char *pid, char *buf, size_t size)
{
        char rel[300];
        ssize_t n;
        int fd;

        snprintf(rel, sizeof(rel), "proc/%s/cmdline", pid);
        fd = kernfs_openat(k, rel, O_RDONLY);
        if (fd < 0)
                return false;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';          /* argv[0] ends at its NUL, or here */
        return true;
}

/*
 * The name the process is known by (see guest_name()); false when gone, or a
 * kernel thread.  rel: "PID/exe" beneath procfd, pid_len the length of PID.
 */
static bool read_exe(struct kvmtune *k, int procfd, char *rel, size_t pid_len, char *buf, size_t size)
{
        static const char deleted[] = " (deleted)";
        const size_t dl = sizeof(deleted) - 1;
        ssize_t n = readlinkat(procfd, rel, buf, size - 1);
        bool ok;

        if (n < 0) {
                if (errno != EACCES)
                        return false;
                rel[pid_len] = '\0';
                ok = read_argv0(k, rel, buf, size);
                rel[pid_len] = '/';
                return ok;
        }
        buf[n] = '\0';
        if ((size_t)n > dl && !strcmp(buf + n - dl, deleted))
                buf[n - dl] = '\0';
        return true;
}

/*
 * The resident size of proc/PID/statm (its second field, in pages) in kB:
 * the VmRSS of proc/PID/status (both are the mm's file, anon and shmem
 * pages), from a file the kernel writes in a fraction of the time.  False
 * when the process is gone, or a zombie (its statm is all zeros).
 */
static bool read_rss(int procfd, const char *pid, uint64_t *kb)
{
        char rel[300], text[KVMTUNE_VALUE_BUF], *big;
        unsigned long long size, resident;
        int fd, r;

        snprintf(rel, sizeof(rel), "%s/statm", pid);
        fd = openat(procfd, rel, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        r = kernfs_read_value(fd, text, &big);
        close(fd);
        if (r < 0 || sscanf(big ? big : text, "%llu %llu", &size, &resident) != 2 || !size) {
                free(big);
                return false;           /* gone, or no memory: a zombie */
        }
        free(big);
        *kb = resident * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
        return true;
}

/* The guests' resident memory.  A process that ends while we look is not counted, and not an error. */
static int read_guests(struct kvmtune *k, uint64_t *kb, uint64_t *n)
{
        DIR *d = kernfs_opendir(k, "proc");
        struct dirent *de;
        char exe[4096];

        *kb = *n = 0;
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                /* "PID/exe", built without printf: this loop runs once a process */
                char rel[sizeof("18446744073709551615/exe")];
                size_t len = 0;
                uint64_t rss;

                while (len <= 20 && isdigit((unsigned char)de->d_name[len]))
                        len++;
                if (!len || len > 20 || de->d_name[len])
                        continue;
                memcpy(rel, de->d_name, len);
                memcpy(rel + len, "/exe", sizeof("/exe"));
                if (!read_exe(k, dirfd(d), rel, len, exe, sizeof(exe)) || !guest_name(exe))
                        continue;
                if (!read_rss(dirfd(d), de->d_name, &rss))
                        continue;
                log_debug(k, "ksm auto: guest %s (%s): %" PRIu64 " kB resident", de->d_name, exe, rss);
                *kb += rss;
                (*n)++;
        }
        closedir(d);
        return 0;
}

/* /proc/uptime's first field in milliseconds */
static int read_uptime(struct kvmtune *k, int64_t *ms)
{
        char *text, *p;
        int64_t sec = 0, frac = 0, scale = 100;
        int r = kernfs_read(k, "proc/uptime", &text);

        if (r < 0)
                return r;
        p = text;
        if (!isdigit((unsigned char)*p))
                r = -EINVAL;
        for (; isdigit((unsigned char)*p) && sec < INT64_MAX / 100000; p++)
                sec = sec * 10 + (*p - '0');
        if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
                        frac += scale * (*p - '0');
        if (*p && *p != ' ')
                r = -EINVAL;
        free(text);
        *ms = sec * 1000 + frac;
        return r;
}

/* ---- the state file ----------------------------------------------------- */

static const char *const state_keys[] = { "npages", "tick_ms", "npages_before", "run", "pages_to_scan",
                                          "sleep_millisecs", "total_kb", "free_kb", "committed_kb",
                                          "threshold_kb", "guests" };
#define N_STATE_KEYS (sizeof(state_keys) / sizeof(*state_keys))

static uint64_t *state_field(struct tick *t, size_t i, uint64_t *tick_ms, uint64_t *run)
{
        uint64_t *const f[N_STATE_KEYS] = { &t->npages, tick_ms, &t->npages_before, run, &t->pages,
                                            &t->sleep, &t->total, &t->free, &t->committed, &t->thres,
                                            &t->guests };
        return f[i];
}

/*
 * "KEY VALUE" lines.  npages alone is the initial state as the boot apply
 * leaves it; a tick has every field.  Anything else is corrupt: the initial
 * state, and a notice.
 */
static void state_load(struct kvmtune *k, struct tick *t)
{
        uint64_t tick_ms = 0, run = 0;
        bool seen[N_STATE_KEYS] = { false };
        size_t n_seen = 0;
        char *text, *line, *save = NULL;
        const char *why = NULL;
        int r = kernfs_read(k, STATE, &text);

        *t = (struct tick){ .at_ms = -1 };
        if (r < 0) {
                if (r != -ENOENT)
                        log_notice(k, NULL, "ksm auto: cannot read /%s (%s): starting from the initial state", STATE,
                                   strerror(-r));
                return;
        }
        for (line = strtok_r(text, "\n", &save); line && !why; line = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(line, ' ');
                size_t i;
                uint64_t v;

                if (*line == '#')
                        continue;
                if (!sp) {
                        why = "a line without a value";
                        break;
                }
                *sp = '\0';
                for (i = 0; i < N_STATE_KEYS && strcmp(line, state_keys[i]); i++)
                        ;
                if (i == N_STATE_KEYS)
                        why = "an unknown key";
                else if (seen[i])
                        why = "a key given twice";
                else if (parse_u64(sp + 1, &v) < 0)
                        why = "a value that is not a number";
                else {
                        *state_field(t, i, &tick_ms, &run) = v;
                        seen[i] = true;
                        n_seen++;
                }
        }
        free(text);
        if (!why && !seen[0])
                why = "no npages";
        else if (!why && n_seen != 1 && n_seen != N_STATE_KEYS)
                why = "an incomplete tick";
        else if (!why && (t->npages > UINT32_MAX ||
                          (n_seen == N_STATE_KEYS && (run > 1 || tick_ms > INT64_MAX))))
                why = "a value out of range";
        if (why) {
                log_notice(k, NULL, "ksm auto: /%s is corrupt (%s): starting from the initial state", STATE, why);
                *t = (struct tick){ .at_ms = -1 };
                return;
        }
        if (n_seen == N_STATE_KEYS) {
                t->has_tick = true;
                t->at_ms = (int64_t)tick_ms;
                t->run = (int)run;
        }
}

/* Replace the state file atomically: a temp file of this process, fsync, rename. */
static int state_save(struct kvmtune *k, const struct tick *t)
{
        uint64_t tick_ms = t->at_ms < 0 ? 0 : (uint64_t)t->at_ms, run = (uint64_t)t->run;
        struct tick copy = *t;
        char tmp[64], *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        int dir, fd, r = 0;
        ssize_t n;

        if (!m)
                return -ENOMEM;
        fputs("# kvmtune [ksm] run = auto: the policy's state (kvmtune.conf(5)); safe to delete\n", m);
        for (size_t i = 0; i < (t->has_tick ? N_STATE_KEYS : 1); i++)
                fprintf(m, "%s %" PRIu64 "\n", state_keys[i], *state_field(&copy, i, &tick_ms, &run));
        fclose(m);
        dir = kernfs_openat(k, STATE_DIR, O_PATH | O_DIRECTORY);
        if (dir < 0) {
                r = dir;
                goto out;
        }
        snprintf(tmp, sizeof(tmp), STATE_NAME ".%ld.tmp", (long)getpid());
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
                close(dir);
                goto out;
        }
        n = write(fd, text, len);
        if (n < 0 || (size_t)n != len)
                r = n < 0 ? -errno : -ENOSPC;
        else if (fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0 && errno != EINTR)
                r = -errno;
        if (r == 0 && renameat(dir, tmp, dir, STATE_NAME) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dir, tmp, 0);          /* the old state, if any, stays whole */
        close(dir);
out:
        free(text);
        if (r < 0)
                log_error(k, NULL, "ksm auto: cannot write /%s: %s", STATE, strerror(-r));
        return r;
}

/* ---- the policy --------------------------------------------------------- */

static void decide(const struct ksm_auto *au, struct tick *t, uint64_t npages)
{
        uint64_t sum;

        t->thres = au->thres_is_kb ? au->v[K_THRES] : t->total * au->v[K_THRES] / 100;
        if (au->v[K_THRES_MIN] > t->thres)
                t->thres = au->v[K_THRES_MIN];
        t->sleep = au->v[K_SLEEP] * SIXTEEN_GIB_KB / t->total;
        if (t->sleep <= SLEEP_FLOOR)
                t->sleep = SLEEP_FLOOR;
        t->npages_before = t->npages = npages;
        t->has_tick = true;
        sum = t->committed + t->thres;
        if (sum < t->committed)
                sum = UINT64_MAX;
        if (sum < t->total && t->free > t->thres) {
                t->run = 0;
                return;
        }
        if (t->free < t->thres)
                npages += au->v[K_BOOST];
        else
                npages = npages > au->v[K_DECAY] ? npages - au->v[K_DECAY] : 0;
        /* ksmtuned's order: the floor first, then the ceiling */
        if (npages < au->v[K_PAGES_MIN])
                npages = au->v[K_PAGES_MIN];
        else if (npages > au->v[K_PAGES_MAX])
                npages = au->v[K_PAGES_MAX];
        t->npages = npages;
        t->run = 1;
        t->pages = npages;
}

static const char *decision_name(const struct tick *t)
{
        return !t->run ? "stop" : t->free < t->thres ? "boost" : "decay";
}

/* 1.2G, 512.0M, 900kB */
static const char *kb_str(uint64_t kb, char *buf, size_t size)
{
        if (kb >= 1024 * 1024)
                snprintf(buf, size, "%.1fG", (double)kb / (1024 * 1024));
        else if (kb >= 1024)
                snprintf(buf, size, "%.1fM", (double)kb / 1024);
        else
                snprintf(buf, size, "%" PRIu64 "kB", kb);
        return buf;
}

static char *tick_note(const struct ksm_auto *au, const struct tick *t, const char *knob)
{
        char f[32], th[32], g[32], tot[32], *what, *when, *note;
        uint64_t sum = t->committed + t->thres;

        if (!strcmp(knob, "pages_to_scan"))
                what = xasprintf("%s npages %" PRIu64 " -> %" PRIu64 " (clamped to %" PRIu64 "..%" PRIu64 ")",
                                 decision_name(t), t->npages_before, t->npages, au->v[K_PAGES_MIN],
                                 au->v[K_PAGES_MAX]);
        else if (!strcmp(knob, "sleep_millisecs"))
                what = xasprintf("%" PRIu64 " ms x 16G / total %s, at least %d", au->v[K_SLEEP],
                                 kb_str(t->total, tot, sizeof(tot)), SLEEP_FLOOR);
        else
                what = xasprintf("free %s %s threshold %s, guests %s (%" PRIu64 ") + threshold %s total %s: %s",
                                 kb_str(t->free, f, sizeof(f)),
                                 t->free < t->thres ? "<" : t->free > t->thres ? ">" : "=",
                                 kb_str(t->thres, th, sizeof(th)), kb_str(t->committed, g, sizeof(g)), t->guests,
                                 sum < t->total ? "<" : ">=", kb_str(t->total, tot, sizeof(tot)), decision_name(t));
        if (au->due || au->uptime_ms < 0 || t->at_ms < 0)
                when = xstrdup("");
        else
                when = xasprintf(", last tick %" PRId64 " s ago, next in %" PRId64 " s",
                                 (au->uptime_ms - t->at_ms) / 1000,
                                 ((int64_t)au->v[K_INTERVAL] * 900 - (au->uptime_ms - t->at_ms) + 999) / 1000);
        note = xasprintf("auto%s: %s", when, what);
        free(what);
        free(when);
        return note;
}

static char *tick_json(const struct ksm_auto *au, const struct tick *t)
{
        char last[32];

        if (au->last.has_tick && au->last.at_ms >= 0)
                snprintf(last, sizeof(last), "%" PRId64, au->last.at_ms);
        else
                snprintf(last, sizeof(last), "null");
        return xasprintf("\"auto\":{\"tick\":%s,\"uptime_ms\":%" PRId64 ",\"last_tick_ms\":%s,\"interval\":%" PRIu64
                         ",\"total_kb\":%" PRIu64 ",\"free_kb\":%" PRIu64 ",\"threshold_kb\":%" PRIu64
                         ",\"guests\":%" PRIu64 ",\"guests_kb\":%" PRIu64 ",\"npages_before\":%" PRIu64
                         ",\"npages\":%" PRIu64 ",\"sleep_millisecs\":%" PRIu64 ",\"decision\":\"%s\"}",
                         au->due ? "true" : "false", au->uptime_ms, last, au->v[K_INTERVAL], t->total, t->free,
                         t->thres, t->guests, t->committed, t->npages_before, t->npages, t->sleep, decision_name(t));
}

static struct setting *auto_setting(struct kvmtune *k, const char *knob, const char *want, struct origin at)
{
        char *path = xasprintf("sys/kernel/mm/ksm/%s", knob);
        struct setting *s = setting_add(k, SEC_KSM, knob, path, want, at);

        free(path);
        return s;
}

/* One knob of the decision in force: plan it, with the inputs in its note and --json. */
static void plan_decided(struct kvmtune *k, struct ksm_auto *au, const char *knob, uint64_t want,
                         uint64_t last_want, bool last_has, struct origin at)
{
        const struct tick *t = au->due ? &au->now : &au->last;
        char num[24];
        struct setting *s;
        bool recent;

        snprintf(num, sizeof(num), "%" PRIu64, want);
        s = auto_setting(k, knob, num, at);
        ksm_plan_knob(k, s);
        if (s->action != ACT_ERROR) {
                setting_set_note(s, tick_note(au, t, knob));
        }
        if (k->json)            /* only --json prints it */
                set_more(s)->json_extra = tick_json(au, t);
        /*
         * verify: a tick falls due a little before the timer runs; while the
         * last tick is no older than two intervals (the timer keeps up), the
         * knobs as it left them count as met.
         */
        recent = au->last.has_tick && au->uptime_ms >= au->last.at_ms &&
                 (au->v[K_INTERVAL] == 0 || au->uptime_ms - au->last.at_ms < (int64_t)au->v[K_INTERVAL] * 2000);
        if (s->action == ACT_SET && au->due && recent && s->cur) {
                if (!last_has)
                        s->verify_met = true;   /* the last tick stopped KSM and left this knob alone */
                else {
                        snprintf(num, sizeof(num), "%" PRIu64, last_want);
                        s->verify_met = !strcmp(s->cur, num);
                }
        }
}

static void plan_failed(struct kvmtune *k, const char *note, struct origin at)
{
        struct setting *s = auto_setting(k, "run", "auto", at);

        s->order = 2;
        s->action = ACT_ERROR;
        setting_set_note(s, xstrdup(note));
}

void ksm_auto_plan(struct kvmtune *k, struct ksm_state *st, const struct ksm_entry *run,
                   const struct ksm_entry *conflict)
{
        struct ksm_auto *au = auto_new(st);
        struct tick *t = &au->now;
        const struct tick *d;
        struct origin at = run->at;
        int r;

        au->planned = true;
        au->uptime_ms = -1;
        if (conflict) {
                plan_failed(k, "conflicting setting", at);      /* said at the fixed key */
                return;
        }
        if (au->v[K_PAGES_MIN] > au->v[K_PAGES_MAX]) {
                struct origin *o = &au->at[au->set[K_PAGES_MAX] ? K_PAGES_MAX : K_PAGES_MIN];
                log_error(k, o->file ? o : &at, "ksm auto-pages-max %" PRIu64 " is below auto-pages-min %" PRIu64,
                          au->v[K_PAGES_MAX], au->v[K_PAGES_MIN]);
                plan_failed(k, "auto-pages-min above auto-pages-max", at);
                return;
        }
        if (k->stage != STAGE_ALL) {
                /* no guest runs this early; the boot apply leaves the initial state for the timer */
                struct setting *s = auto_setting(k, "run", "auto", at);

                au->boot = true;
                s->order = 2;
                kernfs_read(k, s->path, &s->cur);       /* shown only */
                setting_skip(s, "auto: decided by kvmtune-ksm.timer, not at boot");
                return;
        }
        state_load(k, &au->last);
        r = read_uptime(k, &au->uptime_ms);
        if (r < 0) {
                au->uptime_ms = -1;
                if (au->v[K_INTERVAL]) {
                        log_error(k, &at, "ksm run: cannot read /proc/uptime (the clock of auto-interval): %s",
                                  strerror(-r));
                        plan_failed(k, "no clock", at);
                        return;
                }
        }
        au->due = !au->last.has_tick || au->v[K_INTERVAL] == 0 || au->uptime_ms < au->last.at_ms ||
                  au->uptime_ms - au->last.at_ms >= (int64_t)au->v[K_INTERVAL] * 900;
        if (au->due) {
                *t = (struct tick){ .at_ms = au->uptime_ms };
                r = read_meminfo(k, &t->total, &t->free);
                if (r < 0) {
                        log_error(k, &at, "ksm run: cannot read MemTotal and MemFree of /proc/meminfo: %s",
                                  strerror(-r));
                        plan_failed(k, "no meminfo", at);
                        return;
                }
                r = read_guests(k, &t->committed, &t->guests);
                if (r < 0) {
                        log_error(k, &at, "ksm run: cannot list /proc: %s", strerror(-r));
                        plan_failed(k, "no process table", at);
                        return;
                }
                decide(au, t, au->last.npages);
                au->decided = true;
        }
        d = au->due ? &au->now : &au->last;
        /* ksmtuned's order: pages_to_scan, sleep_millisecs, then run; a stop writes run only */
        if (d->run) {
                plan_decided(k, au, "pages_to_scan", d->pages, au->last.pages, au->last.run, at);
                plan_decided(k, au, "sleep_millisecs", d->sleep, au->last.sleep, au->last.run, at);
        }
        plan_decided(k, au, "run", (uint64_t)d->run, (uint64_t)au->last.run, au->last.has_tick, at);
}

void ksm_auto_apply(struct kvmtune *k, struct ksm_state *st)
{
        struct ksm_auto *au = st->au;
        struct tick initial = { .at_ms = -1 };

        if (!au || !au->planned || k->cmd != CMD_APPLY)
                return;
        if (au->boot) {
                /* the condition of kvmtune-ksm.timer; an existing state is kept */
                if (kernfs_probe(k, STATE) == 0)
                        state_save(k, &initial);
                return;
        }
        if (au->decided)
                state_save(k, &au->now);
}

void ksm_auto_free(struct ksm_state *st)
{
        free(st->au);
        st->au = NULL;
}
