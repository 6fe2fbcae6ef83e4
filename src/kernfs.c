/* SPDX-License-Identifier: MIT */
/*
 * Every /proc and /sys access goes through here.  Paths are relative to the
 * root directory fd and resolved with openat2(RESOLVE_IN_ROOT), so neither a
 * ".." nor a symlink can lead outside the root given with --root, and no
 * symlink is followed below proc/sys.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvmtune.h"

int kernfs_open_root(struct kvmtune *k)
{
        k->rootfd = open(k->root ? k->root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        return k->rootfd < 0 ? -errno : 0;
}

static bool rel_is_safe(const char *rel)
{
        const char *p = rel;

        if (!*rel || *rel == '/')
                return false;
        while (*p) {
                size_t n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/')
                        p++;
        }
        return p[-1] != '/';
}

/*
 * Without openat2 (Linux < 5.6, valgrind, some seccomp filters): resolve rel
 * under the root by hand, one component at a time, the way RESOLVE_IN_ROOT
 * does: ".." stops at the root, an absolute symlink starts again at the
 * root, a relative one is expanded in place.  Unlike openat2 this is not
 * atomic against a tree that changes meanwhile; it matters only for a
 * --root tree, since the real root contains everything anyway.
 */
static int open_in_root(struct kvmtune *k, const char *rel, int flags, bool no_symlinks)
{
        char *todo = xstrdup(rel), *done = xstrdup(""), *next;
        int links = 0, fd = -1, err = 0;

        while (*todo) {
                size_t n = strcspn(todo, "/");
                char *comp = strndup(todo, n), *path, link[4096];
                bool last = !todo[n] || !todo[n + strspn(todo + n, "/")];
                struct stat st;
                ssize_t len;

                memmove(todo, todo + n + strspn(todo + n, "/"), strlen(todo + n + strspn(todo + n, "/")) + 1);
                if (!comp)
                        abort();
                if (!*comp || !strcmp(comp, ".")) {
                        free(comp);
                        continue;
                }
                if (!strcmp(comp, "..")) {
                        char *slash = strrchr(done, '/');
                        *(slash ? slash : done) = '\0';
                        free(comp);
                        continue;
                }
                path = *done ? xasprintf("%s/%s", done, comp) : xstrdup(comp);
                free(comp);
                if (fstatat(k->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
                    !(last && (flags & O_NOFOLLOW))) {
                        if (no_symlinks || ++links > 40) {
                                err = ELOOP;
                                free(path);
                                break;
                        }
                        len = readlinkat(k->rootfd, path, link, sizeof(link) - 1);
                        free(path);
                        if (len < 0) {
                                err = errno;
                                break;
                        }
                        link[len] = '\0';
                        next = xasprintf("%s%s%s", link, *todo ? "/" : "", todo);
                        free(todo);
                        todo = next;
                        if (link[0] == '/')
                                *done = '\0';
                        continue;
                }
                free(done);
                done = path;
        }
        if (!err) {
                fd = openat(k->rootfd, *done ? done : ".", flags | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0)
                        err = errno;
        }
        free(todo);
        free(done);
        errno = err;
        return fd < 0 ? -1 : fd;
}

/*
 * openat2 fails with EAGAIN when a mount or rename anywhere on the system
 * races with its path walk under RESOLVE_IN_ROOT (the caller may retry), and
 * EINTR when a signal arrives.  Neither means "not there": retry, and after
 * KERNFS_OPEN_TRIES walks that all raced, resolve by hand, which does not
 * race that way.
 */
#define KERNFS_OPEN_TRIES 64
/* how often a read or write that answered EINTR or EAGAIN is tried */
#define KERNFS_WRITE_TRIES 8

static bool no_openat2;         /* a fact of the kernel (or of valgrind): learnt once */

int kernfs_openat(struct kvmtune *k, const char *rel, int flags)
{
        bool no_symlinks;
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? 0644 : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = -1;

        if (!rel_is_safe(rel))
                return -EINVAL;
        /*
         * /proc/sys holds no symlinks; one in a --root tree must not lead a
         * sysctl key (or a glob over keys) to a file elsewhere in the tree.
         */
        no_symlinks = !strncmp(rel, "proc/sys/", 9) || !strcmp(rel, "proc/sys");
        if (no_symlinks)
                how.resolve |= RESOLVE_NO_SYMLINKS;
        for (int tries = 0; !no_openat2 && tries < KERNFS_OPEN_TRIES; tries++) {
                fd = (int)syscall(SYS_openat2, k->rootfd, rel, &how, sizeof(how));
                if (fd >= 0)
                        return fd;
                if (errno == ENOSYS)
                        no_openat2 = true;
                else if (errno != EAGAIN && errno != EINTR)
                        return -errno;
                else if (tries >= 8)
                        sched_yield();          /* let the mount or rename finish */
        }
        do
                fd = open_in_root(k, rel, flags, no_symlinks);
        while (fd < 0 && errno == EINTR);
        return fd < 0 ? -errno : fd;
}

/*
 * The directory part of rel, opened O_PATH with kernfs_openat()'s guarantees
 * once and kept (while descriptors are plentiful: see fd_budget).  Only
 * directories that exist are kept; one that appears later (a module's
 * sysctls, a new interface) is found then.
 */
struct kept_dir {
        int fd;
        char name[];            /* the map's key */
};

static int dir_fd(struct kvmtune *k, const char *rel, size_t len, bool *kept)
{
        struct kept_dir *d;
        char dir[PATH_MAX];
        bool found;
        int fd;

        *kept = true;
        if (k->last_dir && !strncmp(k->last_dir, rel, len) && !k->last_dir[len])
                return k->last_dirfd;
        if (len >= sizeof(dir))
                return -ENAMETOOLONG;
        memcpy(dir, rel, len);
        dir[len] = '\0';
        d = strmap_get(&k->dirfds, dir);
        if (!d) {
                fd = kernfs_openat(k, dir, O_PATH | O_DIRECTORY);
                if (fd < 0)
                        return fd;
                if (fd >= k->fd_budget) {
                        *kept = false;
                        return fd;
                }
                d = xcalloc(1, sizeof(*d) + len + 1);
                d->fd = fd;
                memcpy(d->name, dir, len + 1);
                *strmap_slot(&k->dirfds, d->name, &found) = d;
        }
        k->last_dir = d->name;
        k->last_dirfd = d->fd;
        return d->fd;
}

/*
 * Open a kernel file through a kept directory: the last one or two
 * components beneath it, no link followed, so each key costs a short
 * lookup instead of a walk from the root.  The directory itself was
 * resolved by kernfs_openat() (RESOLVE_IN_ROOT, no symlinks below proc/sys,
 * the fallback without openat2), so nothing reaches outside the root.  A
 * final symlink outside proc/sys, which kernfs_openat() would follow inside
 * the root, takes that path.
 */
int kernfs_open_file(struct kvmtune *k, const char *rel, int flags)
{
        const char *slash = strrchr(rel, '/'), *cut = slash;
        bool kept, sysctl = !strncmp(rel, "proc/sys/", 9);
        int dfd, fd, tries = 0;

        if (!slash || !rel_is_safe(rel))
                return kernfs_openat(k, rel, flags);
        /*
         * Below /proc/sys, with openat2: keep the grandparent and open the
         * last two components beneath it with no link followed (for
         * net.ipv4.conf.IF.KEY one directory for all interfaces, no open per
         * interface).  Elsewhere (sys/class/net/IF is a link) the parent.
         */
        if (sysctl && !no_openat2)
                for (cut = slash - 1; cut > rel + 8 && *cut != '/'; cut--)
                        ;
        if (cut <= rel + 8)
                cut = slash;
        dfd = dir_fd(k, rel, (size_t)(cut - rel), &kept);
        if (dfd < 0)
                return dfd;
        if (cut != slash) {
                struct open_how how = {
                        .flags = (uint64_t)(flags | O_CLOEXEC),
                        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
                };
                do
                        fd = (int)syscall(SYS_openat2, dfd, cut + 1, &how, sizeof(how));
                while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < KERNFS_OPEN_TRIES);
        } else {
                do
                        fd = openat(dfd, slash + 1, flags | O_CLOEXEC | O_NOFOLLOW, 0644);
                while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < KERNFS_OPEN_TRIES);
        }
        if (fd < 0)
                fd = -errno;
        if (!kept)
                close(dfd);
        if ((fd == -ELOOP && !sysctl) || fd == -ENOSYS || (fd == -EAGAIN && cut != slash))
                return kernfs_openat(k, rel, flags);
        return fd;
}

void kernfs_close_dirs(struct kvmtune *k)
{
        for (size_t i = 0; i < k->dirfds.cap; i++) {
                struct kept_dir *d = k->dirfds.slots[i].value;
                if (d) {
                        close(d->fd);
                        free(d);
                }
        }
        strmap_free(&k->dirfds);
        k->last_dir = NULL;
}

/*
 * Read a whole kernel file from offset 0, trailing newline removed.
 * A /proc/sys read makes the kernel allocate and zero a buffer of the size
 * asked for (proc_sys_call_handler), and almost every value is a few bytes:
 * the first read asks for `first` bytes, and only a value that fills them
 * is read again, from 0, with more room (the caller's buffer, then twice
 * as much each time, on the heap: *big).  Reading again from 0 is what a
 * sysctl file needs: its handler formats the value afresh at offset 0 and
 * answers nothing at a later offset.  A value longer than KVMTUNE_READ_MAX
 * is -EFBIG: never a cut value.
 */
#define FIRST_READ 128

static int read_whole(int fd, size_t first, char *buf, size_t size, char **big)
{
        size_t room = first, len = 0;
        char *b = buf;
        int again = 0;
        ssize_t n;

        *big = NULL;
        for (;;) {
                n = pread(fd, b + len, room - len, (off_t)len);
                if (n < 0) {
                        /* transient: a signal, or a busy kernel object; bounded */
                        if ((errno == EINTR || errno == EAGAIN) && ++again < KERNFS_WRITE_TRIES)
                                continue;
                        free(*big);
                        *big = NULL;
                        return -errno;
                }
                len += (size_t)n;
                /* the kernel's files return a value whole: a short read is the end */
                if (n == 0 || len < room)
                        break;
                if (room > KVMTUNE_READ_MAX) {
                        free(*big);
                        *big = NULL;
                        return -EFBIG;
                }
                /* filled: again from 0 with more room */
                room = room < size - 1 ? size - 1 : room * 2 > KVMTUNE_READ_MAX ? KVMTUNE_READ_MAX + 1 : room * 2;
                if (room > size - 1) {
                        *big = xrealloc_array(*big, room + 1, 1);
                        b = *big;
                }
                len = 0;
        }
        b[len] = '\0';
        while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == ' '))
                b[--len] = '\0';
        return 0;
}

/* a setting's value (most are a few bytes) into the caller's buffer, or a long one into *big */
int kernfs_read_value(int fd, char buf[KVMTUNE_VALUE_BUF], char **big)
{
        return read_whole(fd, FIRST_READ, buf, KVMTUNE_VALUE_BUF, big);
}

int kernfs_read_fd(int fd, char **out)
{
        char buf[KVMTUNE_VALUE_BUF], *big;
        int r = read_whole(fd, FIRST_READ, buf, sizeof(buf), &big);

        *out = r < 0 ? NULL : big ? big : xstrdup(buf);
        return r;
}

int kernfs_read(struct kvmtune *k, const char *rel, char **out)
{
        char buf[KVMTUNE_VALUE_BUF], *big;
        int fd, r;

        *out = NULL;
        fd = kernfs_openat(k, rel, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        r = read_whole(fd, sizeof(buf) - 1, buf, sizeof(buf), &big);
        if (r == 0)
                *out = big ? big : xstrdup(buf);
        close(fd);
        return r;
}

/*
 * The write timeout.  kernfs_write() publishes the write in progress (its
 * number and start time: two stores, no system call); a watchdog thread,
 * started once a run has many writes (see ALARM_WRITES), looks at it four
 * times a second and, when one has run for the timeout, sends SIGALRM to
 * the writing thread.
 * The handler jumps out of that write only while it is still the same
 * write; anywhere else the signal does nothing and, with SA_RESTART, the
 * call it interrupted goes on.  So the timeout cuts short kernel writes and
 * nothing else: not a log line, not a libmount call.  The lock wait uses
 * alarm(2) and the same handler.  (Process-wide state: signals are.)
 */
static atomic_ulong write_seq;          /* the write in progress; 0: none */
static atomic_ullong write_start_ns;
static atomic_uint write_limit_s;
static atomic_ulong write_kill;         /* the write the watchdog gave up on */
static pthread_t writer;
static bool watchdog_running;
static sigjmp_buf write_jump, lock_jump;
static volatile sig_atomic_t lock_waiting;

static void on_alarm(int sig)
{
        unsigned long seq = atomic_load(&write_seq);

        (void)sig;
        if (lock_waiting)
                siglongjmp(lock_jump, 1);
        if (seq && seq == atomic_load(&write_kill))
                siglongjmp(write_jump, 1);
}

static unsigned long long now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);    /* the vDSO: no system call */
        return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void *watchdog(void *arg)
{
        (void)arg;
        for (;;) {
                nanosleep(&(struct timespec){ .tv_nsec = 250 * 1000 * 1000 }, NULL);
                unsigned long seq = atomic_load(&write_seq);
                unsigned long long limit = atomic_load(&write_limit_s) * 1000000000ull;

                if (seq && limit && now_ns() - atomic_load(&write_start_ns) >= limit &&
                    atomic_load(&write_seq) == seq) {
                        atomic_store(&write_kill, seq);
                        pthread_kill(writer, SIGALRM);
                }
        }
        return NULL;
}

static void after_fork(void)
{
        watchdog_running = false;       /* threads do not survive fork() */
}

static void install_alarm(struct kvmtune *k)
{
        struct sigaction action = { .sa_handler = on_alarm, .sa_flags = SA_RESTART | SA_NODEFER };

        if (!k->alarm_installed) {
                sigset_t alrm;

                /* a mask inherited across exec must not disable the timeouts */
                sigemptyset(&alrm);
                sigaddset(&alrm, SIGALRM);
                pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
                sigaction(SIGALRM, &action, NULL);
                k->alarm_installed = true;
        }
}

static bool watchdog_start(struct kvmtune *k)
{
        static bool atfork;
        pthread_attr_t attr;
        pthread_t t;
        sigset_t all, old;
        bool ok;

        install_alarm(k);
        if (watchdog_running)
                return true;
        if (!atfork && pthread_atfork(NULL, NULL, after_fork) == 0)
                atfork = true;
        writer = pthread_self();
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        /* the watchdog takes no signal: SIGALRM and the rest go to the writer */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        ok = pthread_create(&t, &attr, watchdog, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (!ok)
                log_debug(k, "no write timeout: cannot start its thread");
        watchdog_running = ok;
        return ok;
}

/* For tests: is a kernel write being watched right now? */
bool kernfs_write_watched(void)
{
        return atomic_load(&write_seq) != 0;
}

/* A kernel write that does not come back within seconds is reported; 0 ends that. */
void kernfs_write_timeout(struct kvmtune *k, unsigned seconds)
{
        k->write_timeout = seconds;
}

/*
 * A run's first writes (the boot apply of a small configuration, a udev
 * run's one or two) are bounded with alarm(2) around each: two cheap calls,
 * where starting the watchdog thread would cost more than the writes.
 * Beyond ALARM_WRITES the watchdog takes over.
 */
#define ALARM_WRITES 64

/*
 * The write at offset off; a file that cannot be written at an offset
 * (ESPIPE: /proc/irq/N/smp_affinity_list and other proc files without an
 * lseek) takes a plain write, which its handler reads whole whatever the
 * position.
 */
static ssize_t write_at(int fd, const char *value, size_t len, off_t off)
{
        ssize_t n = pwrite(fd, value, len, off);

        return n < 0 && errno == ESPIPE ? write(fd, value, len) : n;
}

/* write_at(), given up with -ETIME after k->write_timeout seconds */
static ssize_t bounded_pwrite(struct kvmtune *k, int fd, const char *value, size_t len, off_t off,
                              bool *timed_out)
{
        static unsigned long seq;
        bool by_alarm = k->n_writes <= ALARM_WRITES;
        ssize_t n;

        *timed_out = false;
        if (!k->write_timeout || (!by_alarm && !watchdog_start(k)))
                return write_at(fd, value, len, off);
        install_alarm(k);
        if (!by_alarm) {
                atomic_store(&write_limit_s, k->write_timeout);
                atomic_store(&write_start_ns, now_ns());        /* before the number: see watchdog() */
        }
        atomic_store(&write_seq, ++seq);
        if (by_alarm)
                atomic_store(&write_kill, seq);         /* the alarm is this write's */
        if (sigsetjmp(write_jump, 0)) {
                atomic_store(&write_seq, 0);
                *timed_out = true;
                errno = EINTR;
                return -1;
        }
        if (by_alarm)
                alarm(k->write_timeout);
        n = write_at(fd, value, len, off);
        atomic_store(&write_seq, 0);                    /* an alarm now finds no write: nothing */
        if (by_alarm)
                alarm(0);
        return n;
}

/* Wait at most seconds for an exclusive flock(2) on fd: 0, -ETIME, or -errno. */
int kernfs_flock_wait(struct kvmtune *k, int fd, unsigned seconds)
{
        int r;

        install_alarm(k);
        if (sigsetjmp(lock_jump, 0)) {
                lock_waiting = 0;
                return -ETIME;
        }
        lock_waiting = 1;
        alarm(seconds);
        do
                r = flock(fd, LOCK_EX) < 0 ? -errno : 0;
        while (r == -EINTR);
        lock_waiting = 0;
        alarm(0);
        return r;
}

/* How a failed kernfs call is told: strerror, or the write timeout. */
const char *kernfs_strerror(struct kvmtune *k, int r)
{
        if (r == -EFBIG)
                return "the value is longer than " KVMTUNE_READ_MAX_TEXT;
        if (r == -ETIME) {
                snprintf(k->errbuf, sizeof(k->errbuf), "the kernel write did not return within %u s",
                         k->write_timeout ? k->write_timeout : KVMTUNE_WRITE_TIMEOUT);
                return k->errbuf;
        }
        return strerror(r < 0 ? -r : r);
}


/*
 * Write the whole value at offset 0 (the kernel's files want one write), on
 * fd when it is >= 0, else on rel opened for writing.  A signal's EINTR and
 * an EAGAIN are tried again (bounded); the write timeout's EINTR is -ETIME.
 */
int kernfs_write(struct kvmtune *k, const char *rel, int fd, const char *value)
{
        size_t len = strlen(value), done = 0;
        int own = -1, r = 0;
        ssize_t n;

        /* a write of nothing changes nothing: an empty value is a newline, as echo writes it */
        if (!len) {
                value = "\n";
                len = 1;
        }

        if (fd < 0) {
                /* as a shell redirection; through the kept directory, as a read is */
                own = fd = kernfs_open_file(k, rel, O_WRONLY | O_TRUNC | O_NONBLOCK);
                if (fd < 0)
                        return fd;
        }
        k->n_writes++;
        for (int tries = 0;; tries++) {
                bool timed_out;

                n = bounded_pwrite(k, fd, value + done, len - done, (off_t)done, &timed_out);
                /*
                 * A long value can be taken in parts (a sysctl bitmap such
                 * as ip_local_reserved_ports, a page at a time): the rest
                 * follows at its offset, as write(2) from a shell does.
                 */
                if (n > 0 && !timed_out && (done += (size_t)n) < len) {
                        tries--;
                        continue;
                }
                r = n < 0 ? -errno : done == len ? 0 : -EIO;
                if (timed_out) {
                        r = -ETIME;
                        break;
                }
                /* a --root tree holds regular files: a shorter value must not keep the old tail */
                if (r == 0 && k->root && own < 0 && ftruncate(fd, (off_t)len) < 0)
                        log_debug(k, "cannot truncate /%s: %s", rel, strerror(errno));
                if ((r != -EINTR && r != -EAGAIN) || tries + 1 >= KERNFS_WRITE_TRIES)
                        break;
                if (r == -EAGAIN)
                        usleep(1000u << (tries < 4 ? tries : 4));
        }
        if (own >= 0 && close(own) < 0 && r == 0 && errno != EINTR)
                r = -errno;
        return r;
}

int kernfs_stat(struct kvmtune *k, const char *rel, struct stat *st)
{
        int fd = kernfs_openat(k, rel, O_PATH);
        int r = 0;

        if (fd < 0)
                return fd;
        if (fstat(fd, st) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* 1: rel exists, 0: it does not (ENOENT, ENOTDIR), else -errno: never a guess */
int kernfs_probe(struct kvmtune *k, const char *rel)
{
        struct stat st;
        int r = kernfs_stat(k, rel, &st);

        if (r == 0)
                return 1;
        return r == -ENOENT || r == -ENOTDIR ? 0 : r;
}

DIR *kernfs_opendir(struct kvmtune *k, const char *rel)
{
        int fd = kernfs_openat(k, rel, O_RDONLY | O_DIRECTORY);
        DIR *d;

        if (fd < 0) {
                errno = -fd;
                return NULL;
        }
        d = fdopendir(fd);
        if (!d)
                close(fd);
        return d;
}

/* readlink of the last component, its parent resolved under the root */
int kernfs_readlink(struct kvmtune *k, const char *rel, char *buf, size_t size)
{
        const char *slash = strrchr(rel, '/');
        char *dir;
        int dfd;
        ssize_t n;

        if (!slash)
                return -EINVAL;
        dir = strndup(rel, (size_t)(slash - rel));
        if (!dir)
                return -ENOMEM;
        dfd = kernfs_openat(k, dir, O_PATH | O_DIRECTORY);
        free(dir);
        if (dfd < 0)
                return dfd;
        n = readlinkat(dfd, slash + 1, buf, size - 1);
        close(dfd);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

/* "proc/sys/x" -> "/proc/sys/x": messages never show the --root prefix */
/* a file as "/rel"; an ethtool field's own path (ethtool/DEV/ring/rx) as it is */
const char *shown_path(const char *rel, char *buf, size_t size)
{
        snprintf(buf, size, "%s%s", strncmp(rel, "ethtool/", 8) ? "/" : "", rel);
        return buf;
}

/* "always [madvise] never" -> "madvise"; no brackets: the whole trimmed text */
char *bracketed_word(const char *raw)
{
        const char *b = strchr(raw, '['), *e;

        if (!b || !(e = strchr(b, ']')))
                return xstrdup(raw);
        return strndup(b + 1, (size_t)(e - b - 1));
}

/* Is word one of the kernel's choices, as in "always [madvise] never"? */
bool choice_offered(const char *raw, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = raw; *p;) {
                p += strspn(p, " \t[]");
                size_t len = strcspn(p, " \t[]");
                if (len == n && !strncmp(p, word, n))
                        return true;
                p += len;
        }
        return false;
}

/*
 * A file kvmtune owns whole (a boot loader or systemd drop-in): write content
 * into dir/name through ".name.tmp" renamed into place, or remove it when
 * content is NULL.  Takes dir (closes it); a dir of -ENOENT with nothing to
 * write is nothing to do.
 */
int kernfs_replace_at(int dir, const char *name, const char *content)
{
        char tmp[NAME_MAX + 1];
        int fd, r = 0;
        size_t len;

        if (dir < 0)
                return dir == -ENOENT && !content ? 0 : dir;
        if (!content) {
                r = unlinkat(dir, name, 0) < 0 && errno != ENOENT ? -errno : 0;
                close(dir);
                return r;
        }
        if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp)) {
                close(dir);
                return -ENAMETOOLONG;
        }
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
                close(dir);
                return r;
        }
        len = strlen(content);
        if (write(fd, content, len) != (ssize_t)len || fsync(fd) < 0)
                r = errno ? -errno : -EIO;
        if (close(fd) < 0 && !r)
                r = -errno;
        if (!r && renameat(dir, tmp, dir, name) < 0)
                r = -errno;
        if (r)
                unlinkat(dir, tmp, 0);
        close(dir);
        return r;
}
