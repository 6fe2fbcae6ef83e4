/* SPDX-License-Identifier: MIT */
/*
 * udev rules in /etc/udev/rules.d/NAME.rules that set the queue attributes
 * of disks or the tx_queue_len of interfaces:
 *
 *   ACTION=="add|change", KERNEL=="sd[a-z]", ATTR{queue/rotational}=="1", ATTR{queue/scheduler}="bfq"
 *
 * becomes [block "sd[a-z]"] with match-rotational = yes and scheduler =
 * bfq; kvmtune's own udev rule applies it when a device appears, as this
 * rule did.  KERNEL alternatives (sd*|vd*) become the section's globs.  A
 * rule with a match kvmtune has no form for, or after a GOTO that depends on
 * one, is reported; a rule that sets no such attribute is left alone.
 *
 * A rule of interfaces that runs ethtool -G, -L, -K or -C,
 *
 *   ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth*", RUN+="/sbin/ethtool -K %k gro off"
 *
 * becomes [netdev "eth*"] features.gro = off (the interface %k, $kernel or
 * $name; or one it names).
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

struct pair {
        char key[64];
        char attr[64];
        char op[3];
        char *value;
};

/* KEY[{attr}] OP "value", separated by commas; -1 when the rule is not one udev would read */
static int parse_rule(const char *s, struct pair *p, size_t max, size_t *n)
{
        *n = 0;
        for (;;) {
                size_t k = 0, a = 0;
                struct pair *x;
                char *v;

                s += strspn(s, " \t,");
                if (!*s || *s == '#')
                        return 0;
                if (*n == max)
                        return -1;
                x = &p[(*n)++];
                *x = (struct pair){ 0 };
                while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_') {
                        if (k + 1 >= sizeof(x->key))
                                return -1;
                        x->key[k++] = *s++;
                }
                if (!k)
                        return -1;
                if (*s == '{') {
                        s++;
                        while (*s && *s != '}') {
                                if (a + 1 >= sizeof(x->attr))
                                        return -1;
                                x->attr[a++] = *s++;
                        }
                        if (*s++ != '}')
                                return -1;
                }
                s += strspn(s, " \t");
                if ((s[0] == '=' || s[0] == '!' || s[0] == '+' || s[0] == '-' || s[0] == ':') && s[1] == '=') {
                        x->op[0] = s[0];
                        x->op[1] = '=';
                        s += 2;
                } else if (s[0] == '=') {
                        x->op[0] = '=';
                        s++;
                } else {
                        return -1;
                }
                s += strspn(s, " \t");
                if (*s != '"')
                        return -1;
                s++;
                v = x->value = xcalloc(1, strlen(s) + 1);
                while (*s && *s != '"') {
                        if (*s == '\\' && s[1])
                                s++;
                        *v++ = *s++;
                }
                if (*s != '"')
                        return -1;
                s++;
        }
}

static void free_pairs(struct pair *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(p[i].value);
}

static bool is(const struct pair *p, const char *key, const char *op)
{
        return !strcmp(p->key, key) && !p->attr[0] && !strcmp(p->op, op);
}

/* "add|change" holds one of the actions kvmtune's rule runs on */
static bool word_in(const char *list, const char *w)
{
        size_t n = strlen(w);

        for (const char *s = list; *s;) {
                size_t len = strcspn(s, "|");
                if (len == n && !strncmp(s, w, n))
                        return true;
                s += len + (s[len] == '|');
        }
        return false;
}

static bool tuning_attr(const struct pair *p)
{
        return !strcmp(p->key, "ATTR") && (!strcmp(p->op, "=") || !strcmp(p->op, ":=")) &&
               (!strncmp(p->attr, "queue/", 6) || !strcmp(p->attr, "tx_queue_len"));
}

/* the matches of a GOTO rule that only keep out what kvmtune's rule skips anyway */
static bool harmless_goto(const struct pair *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!strcmp(p[i].key, "GOTO"))
                        continue;
                if (is(&p[i], "ACTION", "!=") && (word_in(p[i].value, "add") || word_in(p[i].value, "change")))
                        continue;
                if (is(&p[i], "SUBSYSTEM", "!=") && (word_in(p[i].value, "block") || word_in(p[i].value, "net")))
                        continue;
                return false;
        }
        return true;
}

static int carry_rule(struct imp *im, const struct pair *p, size_t n, const struct imp_src *src, bool *other)
{
        const char *kernel = "*", *subsystem = NULL, *rot = NULL;
        char *globs, *sub;
        bool block = false, net = false;
        int r = 1;

        *other = false;
        for (size_t i = 0; i < n; i++) {
                const struct pair *x = &p[i];

                if (tuning_attr(x)) {
                        if (!strcmp(x->attr, "tx_queue_len"))
                                net = true;
                        else
                                block = true;
                } else if (is(x, "ACTION", "==")) {
                        if (!word_in(x->value, "add") && !word_in(x->value, "change"))
                                return imp_why(im, "ACTION==\"%s\": kvmtune applies on add and change only", x->value);
                } else if (is(x, "SUBSYSTEM", "==")) {
                        subsystem = x->value;
                } else if (is(x, "KERNEL", "==")) {
                        kernel = x->value;
                } else if ((is(x, "DEVTYPE", "==") || (!strcmp(x->key, "ENV") && !strcmp(x->attr, "DEVTYPE") &&
                                                        !strcmp(x->op, "=="))) && !strcmp(x->value, "disk")) {
                        /* kvmtune's block sections are whole disks */
                } else if (!strcmp(x->key, "ATTR") && !strcmp(x->attr, "queue/rotational") && !strcmp(x->op, "==")) {
                        if (strcmp(x->value, "0") && strcmp(x->value, "1"))
                                return imp_why(im, "ATTR{queue/rotational}==\"%s\" is not 0 or 1", x->value);
                        rot = x->value;
                } else if (!strcmp(x->op, "==") || !strcmp(x->op, "!=")) {
                        return imp_why(im, "the match %s%s%s%s%s\"%s\" has no kvmtune form", x->key,
                                       x->attr[0] ? "{" : "", x->attr, x->attr[0] ? "}" : "", x->op, x->value);
                } else {
                        *other = true;  /* OWNER=, RUN+=, ...: the rule keeps them */
                }
        }
        if (block && net)
                return imp_why(im, "it sets both disk and interface attributes");
        if (subsystem && strcmp(subsystem, block ? "block" : "net"))
                return imp_why(im, "SUBSYSTEM==\"%s\" with %s attributes", subsystem, block ? "disk" : "interface");
        if (rot && !block)
                return imp_why(im, "ATTR{queue/rotational} on an interface");
        globs = xstrdup(kernel);
        for (char *c = globs; *c; c++)
                if (*c == '|')
                        *c = ' ';
        {
                char *copy = xstrdup(globs), *save = NULL;
                for (char *g = strtok_r(copy, " ", &save); g && r > 0; g = strtok_r(NULL, " ", &save))
                        if (!imp_devname_valid(g, net ? 15 : 0) && !imp_devglob_valid(g, net ? 15 : 0))
                                r = imp_why(im, "KERNEL==\"%s\": '%s' is not a device name or glob", kernel, g);
                free(copy);
        }
        if (r < 0 || !*globs) {
                free(globs);
                return r < 0 ? r : imp_why(im, "KERNEL==\"\"");
        }
        /* a section per rotational filter: the subsection name is what is printed, up to \x1e */
        sub = rot ? xasprintf("%s\x1e%s", globs, rot) : xstrdup(globs);
        for (size_t i = 0; i < n && r > 0; i++) {
                const struct pair *x = &p[i];
                struct imp_entry *e;

                if (!tuning_attr(x))
                        continue;
                if (net) {
                        r = imp_netdev_txqueuelen(im, sub, x->value, src);
                        continue;
                }
                r = imp_literal(im, x->value) < 0 ? -1 : imp_block(im, sub, x->attr + 6, x->value, src);
                if (r > 0 && rot) {
                        e = imp_put(im, IS_BLOCK, sub, "match-rotational", NULL, !strcmp(rot, "1") ? "yes" : "no", src);
                        imp_note(e, "the rule matched ATTR{queue/rotational}==\"%s\"", rot);
                }
        }
        free(sub);
        free(globs);
        return r;
}

/* RUN+="[/usr][/s]bin/ethtool ...": its words, or 0 when the program is not ethtool */
static size_t ethtool_run(char *v, char **w, size_t max)
{
        size_t n = imp_fields(v, w, max);
        const char *base;

        if (n > max)
                n = max;        /* the rest is not read: it fails as an odd NAME VALUE list or less */
        base = n ? strrchr(w[0], '/') : NULL;
        base = base ? base + 1 : n ? w[0] : "";
        if (strcmp(base, "ethtool") || (w[0] != base && strcmp(w[0], "/sbin/ethtool") &&
                                        strcmp(w[0], "/usr/sbin/ethtool") && strcmp(w[0], "/bin/ethtool") &&
                                        strcmp(w[0], "/usr/bin/ethtool")))
                return 0;
        return n;
}

static bool runs_ethtool(const struct pair *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(p[i].key, "RUN") && strstr(p[i].value, "ethtool"))
                        return true;
        return false;
}

/* a rule of interfaces whose RUN+= programs are ethtool settings */
static int carry_ethtool(struct imp *im, struct pair *p, size_t n, const struct imp_src *src, bool *other)
{
        const char *glob = "*";
        char *globs;
        int r = 1;

        *other = false;
        for (size_t i = 0; i < n; i++) {
                const struct pair *x = &p[i];

                if (!strcmp(x->key, "RUN") || !strcmp(x->op, "==") || !strcmp(x->op, "!="))
                        ;
                else
                        *other = true;  /* NAME=, OWNER=, ...: the rule keeps them */
                if (is(x, "ACTION", "==")) {
                        if (!word_in(x->value, "add"))
                                return imp_why(im, "ACTION==\"%s\": kvmtune applies to interfaces when they are added",
                                               x->value);
                } else if (is(x, "SUBSYSTEM", "==")) {
                        if (strcmp(x->value, "net"))
                                return imp_why(im, "SUBSYSTEM==\"%s\" runs ethtool on what is not an interface",
                                               x->value);
                } else if (is(x, "KERNEL", "==") || is(x, "NAME", "==")) {
                        if (strcmp(glob, "*"))
                                return imp_why(im, "both KERNEL== and NAME== match");
                        glob = x->value;
                } else if (!strcmp(x->op, "==") || !strcmp(x->op, "!=")) {
                        return imp_why(im, "the match %s%s%s%s%s\"%s\" has no kvmtune form", x->key,
                                       x->attr[0] ? "{" : "", x->attr, x->attr[0] ? "}" : "", x->op, x->value);
                }
        }
        globs = xstrdup(glob);
        for (char *c = globs; *c; c++)
                if (*c == '|')
                        *c = ' ';
        for (size_t i = 0; i < n && r > 0; i++) {
                char *w[64], *v;
                size_t nw;
                const char *dev;

                if (strcmp(p[i].key, "RUN"))
                        continue;
                v = xstrdup(p[i].value);
                nw = ethtool_run(v, w, 64);
                if (!nw)
                        r = imp_why(im, "RUN+=\"%s\": only ethtool programs are read", p[i].value);
                else if (nw < 3)
                        r = imp_why(im, "RUN+=\"%s\": no ethtool setting", p[i].value);
                else {
                        dev = w[2];
                        if (!strcmp(dev, "%k") || !strcmp(dev, "$kernel") || !strcmp(dev, "$name"))
                                dev = globs;
                        else if (strpbrk(dev, "$%"))
                                r = imp_why(im, "RUN+=\"%s\": the interface '%s' is a substitution import does "
                                                "not make", p[i].value, dev);
                        for (size_t j = 3; j < nw && r > 0; j++)
                                if (strpbrk(w[j], "$%'\"`;|&"))
                                        r = imp_why(im, "RUN+=\"%s\": '%s' needs a substitution or a shell",
                                                    p[i].value, w[j]);
                        if (r > 0)
                                r = imp_ethtool(im, w[1], dev, w + 3, nw - 3, src);
                }
                free(v);
        }
        free(globs);
        return r;
}

void imp_read_udev(struct imp *im, struct imp_file *f)
{
        bool in_goto = false, goto_ok = true;
        char label[64] = "";
        unsigned goto_line = 0;

        struct imp_rline l = { 0 };

        for (size_t pos = 0; imp_next_line(im, f, &pos, "#", true, &l);) {
                char *s = l.s;
                unsigned no = l.src.line;
                struct imp_src src = l.src;
                struct pair p[32];
                size_t n = 0;
                bool tuning = false, other = false;

                if (parse_rule(s, p, 32, &n) < 0) {
                        if (strstr(s, "ATTR{queue/") || strstr(s, "tx_queue_len"))
                                imp_refused(im, &src, "not a udev rule import can read");
                        goto next;
                }
                for (size_t j = 0; j < n; j++) {
                        tuning |= tuning_attr(&p[j]);
                        if (!strcmp(p[j].key, "LABEL") && in_goto && !strcmp(p[j].value, label))
                                in_goto = false;
                }
                for (size_t j = 0; j < n; j++)
                        if (!strcmp(p[j].key, "GOTO") && !in_goto) {
                                in_goto = true;
                                goto_ok = harmless_goto(p, n);
                                goto_line = no;
                                snprintf(label, sizeof(label), "%s", p[j].value);
                        }
                if (!tuning && runs_ethtool(p, n)) {
                        if (in_goto && !goto_ok)
                                imp_refused(im, &src, "after the GOTO of line %u, whose condition import does not "
                                                      "evaluate", goto_line);
                        else if (carry_ethtool(im, p, n, &src, &other) < 0)
                                imp_refused(im, &src, "%s", im->why);
                        else
                                imp_carried(im, &src, other ? "(the rule's other assignments stay: delete only its "
                                                              "RUN+= of ethtool)" : NULL);
                        goto next;
                }
                if (!tuning) {
                        for (size_t j = 0; j < n; j++)
                                if (!strcmp(p[j].key, "RUN") &&
                                    (strstr(p[j].value, "queue/") || strstr(p[j].value, "txqueuelen") ||
                                     strstr(p[j].value, "tx_queue_len") || strstr(p[j].value, "blockdev")))
                                        imp_refused(im, &src, "RUN+= programs are not read: set the attribute "
                                                              "with ATTR{...}= or in kvmtune");
                        goto next;
                }
                if (in_goto && !goto_ok) {
                        imp_refused(im, &src, "after the GOTO of line %u, whose condition import does not evaluate",
                                    goto_line);
                        goto next;
                }
                if (carry_rule(im, p, n, &src, &other) < 0)
                        imp_refused(im, &src, "%s", im->why);
                else
                        imp_carried(im, &src, other ? "(the rule's other assignments stay: delete only its ATTR "
                                                      "assignments)" : NULL);
next:
                free_pairs(p, n);
        }
}
