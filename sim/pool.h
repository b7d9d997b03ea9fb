/* pool.h — a pool of fixed-size records addressed by index, with a free list.
 *
 * The simulator's sessions, in-flight frames and store operations live in pools: one
 * block that grows by doubling (checked sizes) up to cap_max records, so there is no
 * allocation per client and indices stay valid across growth (pointers do not: re-fetch
 * with herd_pool_at after any alloc). Freed records are reused last-freed first, which
 * is deterministic. */
#ifndef HERD_SIM_POOL_H
#define HERD_SIM_POOL_H

#include <stddef.h>
#include <stdint.h>

#define HERD_POOL_NONE UINT32_MAX

typedef struct herd_pool {
    uint8_t *base;
    size_t elem_bytes;
    uint32_t cap;      /* records allocated */
    uint32_t cap_max;  /* never more than this */
    uint32_t used;     /* high-water index: records [0, used) have been handed out once */
    uint32_t live;     /* records in use now */
    uint32_t free_head; /* HERD_POOL_NONE or a freed index; the link is the first 4 bytes */
    uint32_t live_max; /* peak of live */
} herd_pool;

/* elem_bytes >= 4. HERD_OK or HERD_ENOSPACE. */
int herd_pool_init(herd_pool *p, size_t elem_bytes, uint32_t cap_initial, uint32_t cap_max);
void herd_pool_free_all(herd_pool *p);
/* Index of a zeroed record, or HERD_POOL_NONE when cap_max is reached or memory runs out. */
uint32_t herd_pool_alloc(herd_pool *p);
void herd_pool_release(herd_pool *p, uint32_t i);
static inline void *herd_pool_at(const herd_pool *p, uint32_t i)
{
    return p->base + (size_t)i * p->elem_bytes;
}
static inline size_t herd_pool_bytes(const herd_pool *p) { return (size_t)p->cap * p->elem_bytes; }

#endif
