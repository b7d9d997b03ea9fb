/* sbuf.c — a growable text buffer for the render outputs (SVG, HTML, dot, JSON).
 *
 * Every render builds its output whole in memory and hands it to lib/atomic_file.h at the
 * end, so a failure half-way leaves nothing on disk. Errors (out of memory, or output over
 * HERD_SBUF_MAX) are sticky: callers write on and check b->error once. */
#include "render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void herd_sbuf_init(herd_sbuf *b)
{
    *b = (herd_sbuf){0};
}

void herd_sbuf_free(herd_sbuf *b)
{
    free(b->p);
    *b = (herd_sbuf){0};
}

/* Make room for n more bytes plus the terminating NUL. */
static bool reserve(herd_sbuf *b, size_t n)
{
    if (b->error) return false;
    if (n > HERD_SBUF_MAX - b->len - 1) {
        b->error = -ENOMEM;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need) cap *= 2; /* at most 30 doublings: need <= HERD_SBUF_MAX */
    char *p = realloc(b->p, cap);
    if (!p) {
        b->error = -ENOMEM;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void herd_sbuf_putn(herd_sbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void herd_sbuf_puts(herd_sbuf *b, const char *s)
{
    herd_sbuf_putn(b, s, strlen(s));
}

void herd_sbuf_printf(herd_sbuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->error = -EINVAL;
        return;
    }
    if ((size_t)n < sizeof small) {
        herd_sbuf_putn(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void herd_sbuf_xml(herd_sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) { /* bounded by the string's length */
        switch (*p) {
        case '&': herd_sbuf_puts(b, "&amp;"); break;
        case '<': herd_sbuf_puts(b, "&lt;"); break;
        case '>': herd_sbuf_puts(b, "&gt;"); break;
        case '"': herd_sbuf_puts(b, "&quot;"); break;
        case '\'': herd_sbuf_puts(b, "&#39;"); break;
        default:
            /* XML 1.0 forbids most control characters, even escaped. */
            if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') herd_sbuf_putn(b, "?", 1);
            else herd_sbuf_putn(b, p, 1);
        }
    }
}

void herd_sbuf_dotstr(herd_sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\') herd_sbuf_putn(b, "\\", 1);
        if (*p == '\n') {
            herd_sbuf_puts(b, "\\n");
            continue;
        }
        if ((unsigned char)*p < 0x20) continue;
        herd_sbuf_putn(b, p, 1);
    }
}
