/* SPDX-License-Identifier: MIT */
/*
 * ifupdown: /etc/network/interfaces and interfaces.d.  In an `iface NAME`
 * stanza, the commands of its up, post-up and pre-up lines that run
 * ethtool -G/-L/-K/-C, `ip link set [dev] DEV txqueuelen N` or `ifconfig
 * DEV txqueuelen N` (DEV the name or $IFACE), and the options of the
 * ethtool package's hook (offload-gro off, hardware-dma-ring-rx 4096,
 * hardware-irq-coalesce-rx-usecs 50) become [netdev "NAME"] settings.  A
 * trailing `|| true` is dropped; any other shell (a second command, $, a
 * quote) is reported, as is a hook option kvmtune has no form for.  Other
 * lines are not tuning: left alone, quietly.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

#define MAX_ARGS 64

static const char *base_name(const char *w)
{
        const char *b = strrchr(w, '/');

        return b ? b + 1 : w;
}

static bool is_iface_var(const char *w)
{
        return !strcmp(w, "$IFACE") || !strcmp(w, "${IFACE}") || !strcmp(w, "\"$IFACE\"") ||
               !strcmp(w, "\"${IFACE}\"");
}

static bool tuning_command(char **w, size_t n)
{
        const char *name = n ? base_name(w[0]) : "";

        return !strcmp(name, "ethtool") ||
               ((!strcmp(name, "ip") || !strcmp(name, "ifconfig")) && n > 2 &&
                (!strcmp(w[n - 2], "txqueuelen") || !strcmp(w[n - 2], "txqlen")));
}

/* the words of an up line's command, DEV for $IFACE; 1 carried, 0 not tuning, -1 refused */
static int command(struct imp *im, const char *iface, char *cmd, const struct imp_src *src)
{
        char *w[MAX_ARGS + 1];
        size_t n = imp_fields(cmd, w, MAX_ARGS + 1);
        const char *name;

        if (n > MAX_ARGS)
                return tuning_command(w, MAX_ARGS) ? imp_why(im, "too many words") : 0;
        if (n >= 2 && !strcmp(w[n - 2], "||") && (!strcmp(w[n - 1], "true") || !strcmp(w[n - 1], ":")))
                n -= 2;         /* a failure was ignored: kvmtune reports it, and goes on */
        if (!tuning_command(w, n))
                return 0;
        for (size_t i = 0; i < n; i++) {
                if (is_iface_var(w[i]))
                        w[i] = (char *)iface;
                else if (strpbrk(w[i], "$`'\"\\;&|<>(){}*?[]~"))
                        return imp_why(im, "'%s' needs a shell to expand or run it, which import does not", w[i]);
        }
        name = base_name(w[0]);
        if (!strcmp(name, "ethtool"))
                return n < 3 ? imp_why(im, "no ethtool setting") : imp_ethtool(im, w[1], w[2], w + 3, n - 3, src);
        if (!strcmp(name, "ifconfig")) {
                if (n != 4)
                        return imp_why(im, "only 'ifconfig DEV txqueuelen N' is understood");
                return imp_netdev_txqueuelen(im, w[1], w[3], src);
        }
        size_t i = 3;
        if (n < 6 || strcmp(w[1], "link") || strcmp(w[2], "set"))
                return imp_why(im, "only 'ip link set [dev] DEV txqueuelen N' is understood");
        if (!strcmp(w[i], "dev"))
                i++;
        if (n != i + 3)
                return imp_why(im, "only 'ip link set [dev] DEV txqueuelen N' is understood");
        return imp_netdev_txqueuelen(im, w[i], w[i + 2], src);
}

/* the ethtool package's hook options: offload-X, hardware-dma-ring-X, hardware-irq-coalesce-X */
static int hook_option(struct imp *im, const char *iface, const char *key, char *value, bool *tuning,
                       const struct imp_src *src)
{
        static const struct {
                const char *prefix, *opt;
        } hooks[] = {
                { "offload-", "-K" }, { "hardware-dma-ring-", "-G" }, { "hardware-irq-coalesce-", "-C" },
        };
        char *args[2];

        *tuning = false;
        for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
                size_t len = strlen(hooks[i].prefix);

                if (strncmp(key, hooks[i].prefix, len))
                        continue;
                *tuning = true;
                args[0] = (char *)key + len;
                args[1] = value;
                if (strchr(value, ' ') || strchr(value, '\t'))
                        return imp_why(im, "'%s' is not one value", value);
                return imp_ethtool(im, hooks[i].opt, iface, args, 2, src);
        }
        if (!strncmp(key, "ethernet-", 9) || !strncmp(key, "link-", 5) || !strncmp(key, "hardware-", 9)) {
                *tuning = true;
                return imp_why(im, "the ethtool hook's %s has no kvmtune form", key);
        }
        return 0;
}

void imp_read_ifupdown(struct imp *im, struct imp_file *f)
{
        char iface[64] = "";
        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", true, &l);) {
                const struct imp_src *src = &l.src;
                size_t klen = strcspn(l.s, " \t");
                char *rest = l.s + klen + strspn(l.s + klen, " \t");
                bool tuning;
                int r;

                if (l.s[klen])
                        l.s[klen] = '\0';
                if (!strcmp(l.s, "iface")) {
                        size_t nlen = strcspn(rest, " \t");
                        snprintf(iface, sizeof(iface), "%.*s", (int)(nlen < sizeof(iface) ? nlen : 0), rest);
                        continue;
                }
                if (!strcmp(l.s, "mapping") || !strcmp(l.s, "auto") || !strncmp(l.s, "allow-", 6) ||
                    !strcmp(l.s, "source") || !strcmp(l.s, "source-directory") || !strcmp(l.s, "rename")) {
                        iface[0] = '\0';        /* the stanza ends */
                        continue;
                }
                if (!strcmp(l.s, "up") || !strcmp(l.s, "post-up") || !strcmp(l.s, "pre-up")) {
                        char *cmd = xstrdup(rest);
                        char *w[MAX_ARGS + 1];
                        char *copy = xstrdup(rest);
                        size_t n = imp_fields(copy, w, MAX_ARGS + 1);

                        tuning = tuning_command(w, n > MAX_ARGS ? MAX_ARGS : n);
                        free(copy);
                        if (!tuning) {
                                free(cmd);
                                continue;
                        }
                        if (!iface[0] || strchr(iface, '*'))
                                r = imp_why(im, "not in an 'iface NAME' stanza");
                        else
                                r = command(im, iface, cmd, src);
                        free(cmd);
                } else if (iface[0]) {
                        r = hook_option(im, iface, l.s, rest, &tuning, src);
                        if (!tuning)
                                continue;
                } else {
                        continue;
                }
                if (r > 0)
                        imp_carried(im, src, NULL);
                else
                        imp_refused(im, src, "%s", im->why);
        }
}
