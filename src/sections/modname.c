/* SPDX-License-Identifier: MIT */
/*
 * A kernel module's name, as [modules], [module "NAME"] and the modules
 * other sections need spell it: below modules.c and modparams.c, which
 * both use it.
 */
#include <string.h>

#include "../kvmtune.h"

bool module_name_valid(const char *name)
{
        size_t n = strlen(name);

        return n > 0 && n < 56 &&
               strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* the kernel spells module names with '_' where modprobe accepts '-' (malloc'd) */
char *module_canonical_name(const char *name)
{
        char *c = xstrdup(name);

        for (char *p = c; *p; p++)
                if (*p == '-')
                        *p = '_';
        return c;
}

/* the same module, '-' and '_' alike */
bool module_same_name(const char *a, const char *b)
{
        for (; *a && *b; a++, b++)
                if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
                        return false;
        return !*a && !*b;
}
