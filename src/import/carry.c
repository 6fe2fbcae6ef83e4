/* SPDX-License-Identifier: MIT */
/*
 * What `kvmtune import` says about each source line, on stderr (or, for an
 * sh -c script or a file a command loads, into the buffer the shell reader
 * holds until that command's line is reported): carried, not carried with
 * the reason, kept on the kernel command line.  The ground floor of import:
 * it calls nothing else of it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

/* why the last helper refused, for the report: -1 */
int imp_why(struct imp *im, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(im->why, sizeof(im->why), fmt, ap);
        va_end(ap);
        return -1;
}

/* one printable line: control characters become '?', long text is cut */
char *imp_clean_text(const char *s, size_t len)
{
        size_t n = len > IMP_SHOW_MAX ? IMP_SHOW_MAX : len, o = 0;
        char *out = xcalloc(1, n + 4);

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                out[o++] = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        if (n < len)
                memcpy(out + o, "...", 4);
        return out;
}

/* where the report goes: stderr, or the buffer of an sh -c script until its line is reported */
static FILE *rep(const struct imp *im)
{
        return im->report ? im->report : stderr;
}

void imp_carried(struct imp *im, const struct imp_src *src, const char *extra)
{
        im->n_carried++;
        if (im->k->quiet)
                return;
        fprintf(rep(im), "kvmtune: %s:%u: carried: %s%s%s\n", src->file, src->line,
                src->text ? src->text : "", extra ? " " : "", extra ? extra : "");
}

void imp_refused(struct imp *im, const struct imp_src *src, const char *fmt, ...)
{
        va_list ap;

        im->n_failed++;
        if (src->line)
                fprintf(rep(im), "kvmtune: %s:%u: not carried: ", src->file, src->line);
        else
                fprintf(rep(im), "kvmtune: %s: not carried: ", src->file);
        if (src->text && *src->text)
                fprintf(rep(im), "%s: ", src->text);
        va_start(ap, fmt);
        vfprintf(rep(im), fmt, ap);
        va_end(ap);
        fputc('\n', rep(im));
}

void imp_kept(struct imp *im, const struct imp_src *src, const char *fmt, ...)
{
        va_list ap;
        char *why;

        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                why = NULL;
        va_end(ap);
        if (!why)
                return;
        if (!im->k->quiet)
                fprintf(rep(im), "kvmtune: %s:%u: kept on the kernel command line: %s: %s\n", src->file,
                        src->line, src->text, why);
        im->kept = xgrow(im->kept, im->n_kept, sizeof(char *));
        im->kept[im->n_kept++] = xasprintf("%s:%u: %s (%s)", src->file, src->line, src->text, why);
        free(why);
}
