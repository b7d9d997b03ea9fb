/* alloc.h — checked allocation for everything that runs after the core's init.
 *
 * Thin wrappers over the C allocator that carry the "herd/alloc" fault point (lib/fault.h)
 * and refuse size overflows, so a failing allocation anywhere behind them can be simulated
 * by countdown. They return exactly what the allocator does on failure (NULL with errno
 * ENOMEM, and herd_realloc leaves the old block untouched); the caller decides, and maps
 * the failure to exit 70 (HERD_EXIT_SOFTWARE). lib/ uses them for every allocation; sim/
 * and model/ may adopt them to bring their allocations under the fault sweep. */
#ifndef HERD_ALLOC_H
#define HERD_ALLOC_H

#include <stddef.h>

void *herd_malloc(size_t size);
void *herd_calloc(size_t n, size_t size);
void *herd_realloc(void *p, size_t size);
/* realloc for n elements of size bytes; ENOMEM when n * size overflows. */
void *herd_reallocarray(void *p, size_t n, size_t size);
char *herd_strdup(const char *s);
char *herd_strndup(const char *s, size_t n);

#endif
