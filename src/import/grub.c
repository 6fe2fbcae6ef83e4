/* SPDX-License-Identifier: MIT */
/*
 * /etc/default/grub and the /etc/default/grub.d/NAME.cfg drop-ins that
 * grub-mkconfig sources after it (Debian, Ubuntu): GRUB_CMDLINE_LINUX and
 * GRUB_CMDLINE_LINUX_DEFAULT as the shell leaves them after every file,
 * a reference to either variable in the other's value ("$GRUB_CMDLINE_
 * LINUX_DEFAULT hugepages=16") spliced in.  grub joins the two into one
 * command line, LINUX first, so hugepagesz= in one applies to hugepages=
 * in the other.  elevator= ([block]), transparent_hugepage= ([thp]) and
 * hugepagesz=/hugepages= pairs (a pool at = cmdline) are understood; the
 * other arguments that tune a KVM host (kvm_args[]) go to [cmdline] as
 * they are.  Boot plumbing (root=, quiet, console=, resume=, ...) is not
 * tuning: it is left alone and not reported.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

/* one word of the command line and the assignment it came from */
struct gword {
        char *w;
        const char *file;
        unsigned line;
};

struct gval {
        struct gword *w;
        size_t n;
        const struct imp_file *bad_file;        /* the value cannot be known: this assignment */
        size_t bad_line;
        const char *why;
};

static const char *const vars[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT" };

/* GRUB_CMDLINE_LINUX[_DEFAULT]=VALUE: which (0, 1), -1 when the line is not one */
static int grub_var(const char *s, const char **value)
{
        if (!strncmp(s, "export", 6) && (s[6] == ' ' || s[6] == '\t'))
                s += 6 + strspn(s + 6, " \t");
        for (int i = 0; i < 2; i++) {
                size_t n = strlen(vars[i]);
                if (!strncmp(s, vars[i], n) && s[n] == '=') {
                        *value = s + n + 1;
                        return i;
                }
        }
        return -1;
}

static void gval_clear(struct gval *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->w[i].w);
        free(v->w);
        *v = (struct gval){ 0 };
}

static void gval_add(struct gval *v, const char *w, size_t len, const char *file, unsigned line)
{
        v->w = xgrow(v->w, v->n, sizeof(*v->w));
        v->w[v->n++] = (struct gword){ strndup(w, len) ?: xstrdup(""), file, line };
}

struct wbuf {
        char *s;
        size_t n;
};

static void wput(struct wbuf *b, char c)
{
        b->s = xrealloc_array(b->s, b->n + 2, 1);
        b->s[b->n++] = c;
        b->s[b->n] = '\0';
}

static void wflush(struct wbuf *b, struct gval *out, const char *file, unsigned line)
{
        if (b->n)
                gval_add(out, b->s, b->n, file, line);
        b->n = 0;
}

/*
 * Shell quote removal of one assignment value, split into words; a
 * reference to one of the two variables, standing as a whole word, is
 * replaced by its words.  Anything else that needs evaluation fails.
 */
static int parse_value(const char *v, const struct gval cur[2], struct gval *out, const char **why,
                       const char *file, unsigned line)
{
        struct wbuf b = { 0 };
        char q = 0;

        for (; *v; v++) {
                if (*v == '$' && q != '\'') {
                        const char *name = v + 1, *end;
                        bool brace = *name == '{';
                        int ref = -1;

                        name += brace;
                        end = name + strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
                        for (int i = 0; i < 2; i++)
                                if ((size_t)(end - name) == strlen(vars[i]) && !strncmp(name, vars[i], strlen(vars[i])))
                                        ref = i;
                        if (brace && *end != '}')
                                ref = -1;
                        end += brace;
                        if (ref < 0 || b.n || (*end && !strchr(" \t\"'", *end)) || cur[ref].bad_file) {
                                *why = ref >= 0 && cur[ref].bad_file ? "it refers to a value that cannot be known"
                                                                     : "it holds $ or a backquote, which is never "
                                                                       "evaluated";
                                goto fail;
                        }
                        for (size_t i = 0; i < cur[ref].n; i++)
                                gval_add(out, cur[ref].w[i].w, strlen(cur[ref].w[i].w), cur[ref].w[i].file,
                                         cur[ref].w[i].line);
                        v = end - 1;
                } else if (*v == '`' && q != '\'') {
                        *why = "it holds $ or a backquote, which is never evaluated";
                        goto fail;
                } else if (q) {
                        if (*v == q)
                                q = 0;
                        else if (*v == ' ' || *v == '\t')
                                wflush(&b, out, file, line);
                        else if (q == '"' && *v == '\\' && v[1])
                                wput(&b, *++v);
                        else
                                wput(&b, *v);
                } else if (*v == '"' || *v == '\'') {
                        q = *v;
                } else if (*v == '\\' && v[1]) {
                        wput(&b, *++v);
                } else if (*v == ' ' || *v == '\t' || *v == '#' || *v == ';') {
                        break;
                } else {
                        wput(&b, *v);
                }
        }
        if (q) {
                *why = "unterminated quote";
                goto fail;
        }
        wflush(&b, out, file, line);
        free(b.s);
        return 0;
fail:
        free(b.s);
        gval_clear(out);
        return -1;
}

/*
 * The arguments of KVM host tuning carried into [cmdline]: a name, or a
 * prefix ending in '.' for a module's parameters.  '-' in a name is '_'.
 */
static const char *const kvm_args[] = {
        /* IOMMU and device passthrough */
        "intel_iommu", "amd_iommu", "amd_iommu_intr", "iommu", "iommu.passthrough", "iommu.strict",
        "pcie_acs_override", "vfio_pci.", "vfio_iommu_type1.", "vfio.",
        /* KVM itself */
        "kvm.", "kvm_intel.", "kvm_amd.",
        /* CPUs kept for guests */
        "isolcpus", "nohz_full", "nohz", "rcu_nocbs", "rcu_nocb_poll", "irqaffinity", "skew_tick",
        "kthread_cpus",
        /* power and latency */
        "intel_pstate", "amd_pstate", "processor.max_cstate", "intel_idle.max_cstate", "idle",
        "cpufreq.default_governor", "nmi_watchdog", "nosoftlockup", "tsc", "mitigations",
        /* memory */
        "default_hugepagesz", "numa_balancing", "hugetlb_free_vmemmap",
};

static bool kvm_arg(const char *word)
{
        size_t n = strcspn(word, "=");

        for (size_t i = 0; i < sizeof(kvm_args) / sizeof(*kvm_args); i++) {
                const char *a = kvm_args[i];
                size_t an = strlen(a);
                bool prefix = a[an - 1] == '.';
                size_t j = 0;

                if (prefix ? n <= an : n != an)
                        continue;
                while (j < an && (word[j] == '-' ? '_' : word[j]) == a[j])
                        j++;
                if (j == an)
                        return true;
        }
        return false;
}

/* a word [cmdline] takes as it is: no blanks, quotes, $, ` or \ */
static bool cmdline_word_ok(const char *w)
{
        return !strpbrk(w, " \t\"'`$\\") && !has_control_char(w);
}

/* the pool of kb (0: the default size) that hugepages= set: reserved at boot, as before */
static void pool_at_cmdline(struct imp *im, uint64_t kb, const struct imp_src *src)
{
        char idkey[64], *sub = NULL;

        if (!kb)
                kb = im->default_kb;
        if (kb && kb != im->default_kb)
                sub = imp_size_name(kb);
        snprintf(idkey, sizeof(idkey), "%llu at", (unsigned long long)kb);
        imp_put(im, IS_HUGEPAGES, sub, "at", idkey, "cmdline", src);
        free(sub);
}

static bool size_kb(const char *s, uint64_t *kb)
{
        uint64_t b;

        if (parse_size(s, &b) < 0 || b < 4096 || b % 1024)
                return false;
        *kb = b / 1024;
        return true;
}

static void words(struct imp *im, const struct gword *w, size_t n)
{
        const struct gword *pair = NULL;
        uint64_t cur_kb = 0, dflt_kb = 0;       /* the size hugepages= applies to: 0 the default */

        /* default_hugepagesz= decides what a bare hugepages= means, wherever it is */
        for (size_t i = 0; i < n; i++)
                if (!strncmp(w[i].w, "default_hugepagesz=", 19))
                        size_kb(w[i].w + 19, &dflt_kb);
        for (size_t i = 0; i < n; i++) {
                const char *word = w[i].w;
                char *clean = imp_clean_text(word, strlen(word));
                struct imp_src src = { w[i].file, w[i].line, clean };
                const char *v = strchr(word, '=') ? strchr(word, '=') + 1 : "";

                if (!strncmp(word, "elevator=", 9)) {
                        struct imp_entry *e;
                        char *list;

                        if (imp_block(im, "*", "scheduler", v, &src) < 0) {
                                imp_refused(im, &src, "%s", im->why);
                                free(clean);
                                continue;
                        }
                        e = imp_find(im, IS_BLOCK, "*", "scheduler");
                        list = strcmp(e->value, "none") ? xasprintf("%s none", e->value) : xstrdup("none");
                        free(e->value);
                        e->value = list;
                        imp_note(e, "blk-mq kernels ignore elevator=; 'none' is the fallback for devices "
                                    "(dm, some virtual disks) that offer nothing else");
                        imp_carried(im, &src, NULL);
                } else if (!strncmp(word, "hugepagesz=", 11)) {
                        if (pair) {
                                char *pt = imp_clean_text(pair->w, strlen(pair->w));
                                struct imp_src ps = { pair->file, pair->line, pt };
                                imp_kept(im, &ps, "no hugepages= follows: it only makes the size available");
                                free(pt);
                        }
                        pair = &w[i];
                        if (!size_kb(v, &cur_kb)) {
                                imp_refused(im, &src, "'%s' is not a hugepage size", v);
                                cur_kb = (uint64_t)-1;
                        }
                } else if (!strncmp(word, "hugepages=", 10)) {
                        char *text = pair ? xasprintf("%s %s", pair->w, word) : xstrdup(word);
                        char *how = NULL, *extra = NULL;
                        uint64_t kb = cur_kb ? cur_kb : dflt_kb;

                        free(clean);
                        clean = imp_clean_text(text, strlen(text));
                        src.text = clean;
                        if (pair && (pair->file != w[i].file || pair->line != w[i].line)) {
                                how = xasprintf("%s is at %s:%u: grub joins GRUB_CMDLINE_LINUX and "
                                                "GRUB_CMDLINE_LINUX_DEFAULT into one command line", pair->w,
                                                pair->file, pair->line);
                                extra = xasprintf("(with %s from %s:%u)", pair->w, pair->file, pair->line);
                        }
                        if (cur_kb == (uint64_t)-1)
                                imp_refused(im, &src, "the hugepagesz= before it is invalid");
                        else if (imp_hugepages(im, kb, "pages", v, &src, how) < 0)
                                imp_refused(im, &src, "%s", im->why);
                        else {
                                pool_at_cmdline(im, kb, &src);
                                imp_carried(im, &src, extra);
                        }
                        free(text);
                        free(how);
                        free(extra);
                        pair = NULL;
                } else if (kvm_arg(word)) {
                        char *id = xasprintf("%.*s", (int)strcspn(word, "="), word);

                        for (char *c = id; *c; c++)
                                *c = *c == '-' ? '_' : *c;
                        if (!cmdline_word_ok(word)) {
                                imp_refused(im, &src, "[cmdline] takes no blanks, quotes, $, ` or \\ in a value");
                        } else {
                                imp_put(im, IS_CMDLINE, NULL, "args", id, word, &src);
                                imp_carried(im, &src, NULL);
                        }
                        free(id);
                } else if (!strncmp(word, "transparent_hugepage=", 21)) {
                        if (strcmp(v, "always") && strcmp(v, "madvise") && strcmp(v, "never")) {
                                imp_refused(im, &src, "'%s' is not always, madvise or never", v);
                        } else {
                                imp_put(im, IS_THP, NULL, "enabled", NULL, v, &src);
                                imp_carried(im, &src, NULL);
                        }
                }
                free(clean);
        }
        if (pair) {
                char *pt = imp_clean_text(pair->w, strlen(pair->w));
                struct imp_src src = { pair->file, pair->line, pt };
                imp_kept(im, &src, "no hugepages= follows: it only makes the size available");
                free(pt);
        }
}

void imp_read_grub(struct imp *im, struct imp_file *files, size_t n_files)
{
        struct gval cur[2] = { { 0 } }, all = { 0 };

        for (size_t fi = 0; fi < n_files; fi++) {
                const struct imp_file *f = &files[fi];

                struct imp_rline l = { 0 };

                for (size_t pos = 0; imp_next_line(im, f, &pos, "#", false, &l);) {
                        struct gval next = { 0 };
                        const char *v, *why = NULL;
                        int which = grub_var(l.s, &v);

                        if (which < 0)
                                continue;
                        if (parse_value(v, cur, &next, &why, f->shown, l.src.line) < 0) {
                                next.bad_file = f;
                                next.bad_line = l.i;
                                next.why = why;
                        }
                        gval_clear(&cur[which]);
                        cur[which] = next;
                }
        }
        for (int which = 0; which < 2; which++) {
                if (cur[which].bad_file) {
                        const struct imp_file *f = cur[which].bad_file;
                        char *s = imp_line_str(&f->lines[cur[which].bad_line]);
                        const char *v = NULL;
                        char *clean = imp_clean_text(s, strlen(s));
                        struct imp_src src = { f->shown, f->lines[cur[which].bad_line].no, clean };

                        grub_var(s, &v);
                        if (strstr(v, "elevator=") || strstr(v, "hugepage") || strstr(v, "transparent_hugepage") ||
                            strchr(v, '$') || strchr(v, '`'))
                                imp_refused(im, &src, "%s", cur[which].why);
                        free(clean);
                        free(s);
                }
                for (size_t i = 0; i < cur[which].n; i++)
                        gval_add(&all, cur[which].w[i].w, strlen(cur[which].w[i].w), cur[which].w[i].file,
                                 cur[which].w[i].line);
                gval_clear(&cur[which]);
        }
        words(im, all.w, all.n);
        gval_clear(&all);
}
