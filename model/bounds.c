/* bounds.c — the search's bounds: arenas that grow by doubling (a failed growth is the
 * memory bound, reported by the caller), and the LIMIT verdict with its reason when a
 * bound is hit. Used by every file of the search, so it sits below them. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"

#include <stdio.h>
#include <stdlib.h>

bool hm_grow_arena(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 1024u;
    while (c < need) c *= 2u;
    void *n = realloc(*p, c * elem);
    if (n == NULL) return false;
    *p = n;
    *cap = c;
    return true;
}

bool hm_limit(search *s, const char *why)
{
    s->res->verdict = HM_V_LIMIT;
    snprintf(s->res->message, sizeof s->res->message, "%s: the search is incomplete", why);
    return false;
}
