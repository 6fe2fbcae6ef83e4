/* SPDX-License-Identifier: MIT */
/*
 * kvmtune is built twice from the same objects:
 *
 *   kvmtune        statically linked (static PIE): what udev, the unit and
 *                  the initramfs start.  No dynamic loader runs, no libc.so
 *                  is mapped and relocated: a start is about 0.5 ms shorter,
 *                  which is most of a small apply (bench/README.md).
 *   kvmtune-full   dynamically linked, in LIBDIR (KVMTUNE_FULL): the only
 *                  one that loads libkmod and libmount, with dlopen(), and
 *                  that looks up user and group names (NSS).
 *
 * The static one never calls dlopen(): a static glibc loading shared
 * objects works only with the very glibc it was built with.  When the
 * configuration it has just read needs either library ([modules], the
 * modules that [sysctl] and [conntrack] load, [hugetlbfs]), it runs
 * kvmtune-full with the same arguments before it takes the lock or reads
 * the system.  kvmtune-full reads the configuration again without telling
 * its messages a second time.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtune.h"

#define REPORTED_ENV "KVMTUNE_CONFIG_REPORTED"

bool needs_shared_libraries(const struct kvmtune *k)
{
        if (k->cmd == CMD_CAT_CONFIG || k->cmd == CMD_REVERT || k->cmd == CMD_IMPORT)
                return false;
        return ((k->state[SEC_MODULES] || k->n_needs) && section_enabled(k, SEC_MODULES)) ||
               (k->state[SEC_HUGETLBFS] && section_enabled(k, SEC_HUGETLBFS));
}

/* kvmtune-full next to this program (a build tree), else the installed one */
static char *full_path(void)
{
        char exe[PATH_MAX], *slash, *p;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n > 0) {
                exe[n] = '\0';
                slash = strrchr(exe, '/');
                if (slash) {
                        p = xasprintf("%.*s/kvmtune-full", (int)(slash - exe), exe);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                }
        }
        return xstrdup(KVMTUNE_FULL);
}

/*
 * Returns only when kvmtune-full cannot be run; the sections that need a
 * library then fail with dl_open()'s message and the others apply.
 */
void run_full(struct kvmtune *k)
{
        char *path = full_path(), pid[24];
        int saved;

        if (k->reexecuted) {
                /* this is kvmtune-full, and it is static too: running it again would never end */
                log_error(k, NULL, "%s is statically linked: it cannot load libkmod or libmount", path);
                free(path);
                return;
        }
        fflush(NULL);
        /* the marker names this process: exec keeps it, and one inherited from elsewhere names another */
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        if (setenv(REPORTED_ENV, pid, 1) == 0) {
                execv(path, k->argv);
                saved = errno;
                unsetenv(REPORTED_ENV);
        } else {
                saved = errno;
        }
        log_debug(k, "cannot run %s: %s", path, strerror(saved));
        free(path);
}

/* In kvmtune-full: whether the static kvmtune has told the configuration's messages. */
void full_take_over(struct kvmtune *k)
{
        const char *v = getenv(REPORTED_ENV);
        char pid[24];

        if (!v)
                return;
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        k->reexecuted = !strcmp(v, pid);
        unsetenv(REPORTED_ENV);
        k->config_reported = k->reexecuted && !linked_statically();
}
