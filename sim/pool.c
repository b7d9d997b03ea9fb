/* pool.c — fixed-size record pool with doubling growth and a LIFO free list (pool.h). */
#include "pool.h"

#include "error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int herd_pool_init(herd_pool *p, size_t elem_bytes, uint32_t cap_initial, uint32_t cap_max)
{
    assert(elem_bytes >= sizeof(uint32_t));
    *p = (herd_pool){0};
    p->elem_bytes = elem_bytes;
    p->cap_max = cap_max;
    p->free_head = HERD_POOL_NONE;
    if (cap_initial > cap_max) cap_initial = cap_max;
    if (cap_initial == 0) cap_initial = 1;
    if ((size_t)cap_initial > SIZE_MAX / elem_bytes) return HERD_ENOSPACE;
    p->base = malloc((size_t)cap_initial * elem_bytes);
    if (!p->base) return HERD_ENOSPACE;
    p->cap = cap_initial;
    return HERD_OK;
}

void herd_pool_free_all(herd_pool *p)
{
    free(p->base);
    *p = (herd_pool){0};
}

static int pool_grow(herd_pool *p)
{
    if (p->cap >= p->cap_max) return HERD_EFULL;
    uint64_t want = (uint64_t)p->cap * 2;
    if (want > p->cap_max) want = p->cap_max;
    if (want > SIZE_MAX / p->elem_bytes) return HERD_ENOSPACE;
    uint8_t *nb = realloc(p->base, (size_t)want * p->elem_bytes);
    if (!nb) return HERD_ENOSPACE;
    p->base = nb;
    p->cap = (uint32_t)want;
    return HERD_OK;
}

uint32_t herd_pool_alloc(herd_pool *p)
{
    uint32_t i;
    if (p->free_head != HERD_POOL_NONE) {
        i = p->free_head;
        memcpy(&p->free_head, herd_pool_at(p, i), sizeof(uint32_t));
    } else {
        if (p->used == p->cap && pool_grow(p) != HERD_OK) return HERD_POOL_NONE;
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
