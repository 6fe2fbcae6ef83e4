/* SPDX-License-Identifier: MIT */
/*
 * The fake root both fuzz targets build once: a file or a link at a path
 * relative to the root, parent directories made on the way; removed at exit.  The includer
 * defines `root` (its mkdtemp template) before including this.
 */
#ifndef KVMTUNE_FUZZ_TREE_H
#define KVMTUNE_FUZZ_TREE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mkdir_p(const char *path)
{
        char *p = strdup(path);

        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        mkdir(p, 0755);
                        *s = '/';
                }
        mkdir(p, 0755);
        free(p);
}

/* root/rel, its directory made first; returns the full path in path[512] */
static void tree_path(char *path, const char *rel)
{
        char *slash;

        snprintf(path, 512, "%s/%s", root, rel);
        slash = strrchr(path, '/');
        *slash = '\0';
        mkdir_p(path);
        *slash = '/';
}

static void put(const char *rel, const char *content)
{
        char path[512];
        FILE *f;

        tree_path(path, rel);
        f = fopen(path, "w");
        if (!f)
                abort();
        fputs(content, f);
        fclose(f);
}

static void link_to(const char *target, const char *rel)
{
        char path[512];

        tree_path(path, rel);
        if (symlink(target, path) < 0 && errno != EEXIST)
                abort();
}

static void tree_remove(void)
{
        char cmd[sizeof(root) + 16];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        if (system(cmd) != 0)
                fprintf(stderr, "fuzz: could not remove %s\n", root);
}

/* The fake root made once, with make_tree(), and removed at exit. */
static void tree_init(void (*make_tree)(void))
{
        if (!mkdtemp(root))
                abort();
        chmod(root, 0755);
        make_tree();
        atexit(tree_remove);
        unsetenv("JOURNAL_STREAM");
}

#endif
