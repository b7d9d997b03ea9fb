/* pool.c — fixed-size record pool in one reserved region with a LIFO free list, and the
 * 2 MiB-aligned huge-page regions behind it (pool.h). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#include "pool.h"

#include "error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static size_t big_span(size_t bytes)
{
    return (bytes + HERD_BIG_ALIGN - 1) & ~(HERD_BIG_ALIGN - 1);
}

void *herd_big_alloc(size_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX / 2) return NULL;
    size_t span = big_span(bytes), over = span + HERD_BIG_ALIGN;
    /* Over-map by one alignment unit, then trim both ends to an aligned span.
     * NORESERVE: a pool reserves far more than it will touch. */
    uint8_t *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)raw + HERD_BIG_ALIGN - 1) & ~(uintptr_t)(HERD_BIG_ALIGN - 1));
    if (p > raw) munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)(raw + over - (p + span));
    if (tail) munmap(p + span, tail);
#ifdef MADV_HUGEPAGE
    madvise(p, span, MADV_HUGEPAGE); /* advisory: without THP it is 4 KiB pages, slower */
#endif
    return p;
}

void herd_big_free(void *p, size_t bytes)
{
    if (p) munmap(p, big_span(bytes));
}

int herd_pool_init(herd_pool *p, size_t elem_bytes, uint32_t cap_max)
{
    assert(elem_bytes >= sizeof(uint32_t));
    *p = (herd_pool){0};
    p->elem_bytes = elem_bytes;
    p->cap_max = cap_max == 0 ? 1 : cap_max;
    p->free_head = HERD_POOL_NONE;
    if ((size_t)p->cap_max > SIZE_MAX / 2 / elem_bytes) return HERD_ENOSPACE;
    p->base = herd_big_alloc((size_t)p->cap_max * elem_bytes);
    return p->base ? HERD_OK : HERD_ENOSPACE;
}

void herd_pool_free_all(herd_pool *p)
{
    herd_big_free(p->base, (size_t)p->cap_max * p->elem_bytes);
    *p = (herd_pool){0};
}

uint32_t herd_pool_alloc(herd_pool *p)
{
    uint32_t i;
    if (p->free_head != HERD_POOL_NONE) {
        i = p->free_head;
        memcpy(&p->free_head, herd_pool_at(p, i), sizeof(uint32_t));
    } else {
        if (p->used == p->cap_max) return HERD_POOL_NONE;
        i = p->used++;
    }
    memset(herd_pool_at(p, i), 0, p->elem_bytes);
    p->live++;
    if (p->live > p->live_max) p->live_max = p->live;
    return i;
}

void herd_pool_release(herd_pool *p, uint32_t i)
{
    assert(i < p->used);
    assert(p->live > 0);
    memcpy(herd_pool_at(p, i), &p->free_head, sizeof(uint32_t));
    p->free_head = i;
    p->live--;
}
