/* alloc.c — the allocation wrappers with the "herd/alloc" fault point (see alloc.h).
 * Each checks the point before asking the allocator, so a simulated failure leaves the
 * heap exactly as a real one would. */
#define _POSIX_C_SOURCE 200809L
#include "alloc.h"

#include "fault.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *herd_malloc(size_t size)
{
    if (HERD_FAULT(HERD_FP_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return malloc(size ? size : 1);
}

void *herd_calloc(size_t n, size_t size)
{
    if (HERD_FAULT(HERD_FP_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return calloc(n ? n : 1, size ? size : 1);
}

void *herd_realloc(void *p, size_t size)
{
    if (HERD_FAULT(HERD_FP_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, size ? size : 1);
}

void *herd_reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return herd_realloc(p, n * size);
}

char *herd_strdup(const char *s)
{
    return herd_strndup(s, strlen(s));
}

char *herd_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = herd_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}
