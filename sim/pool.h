/* pool.h — a pool of fixed-size records addressed by index, with a free list; and the
 * large zeroed regions the world keeps its per-client arrays in.
 *
 * The simulator's sessions, in-flight frames and store operations live in pools. A pool
 * reserves address space for cap_max records at init (herd_big_alloc: no memory is used
 * until a page is first touched) and hands records out from its start, so a record never
 * moves: pointers and indices both stay valid as the pool grows, there is no doubling
 * and no copying, and the memory used is the high-water mark rounded up to a page.
 * Freed records are reused last-freed first, which is deterministic.
 *
 * herd_big_alloc maps anonymous memory aligned to 2 MiB and asks for transparent huge
 * pages (Linux, madvise mode): a random visit to a client among millions then costs a
 * cache miss, not a cache miss plus a page walk. */
#ifndef HERD_SIM_POOL_H
#define HERD_SIM_POOL_H

#include <stddef.h>
#include <stdint.h>

#define HERD_POOL_NONE UINT32_MAX
#define HERD_BIG_ALIGN ((size_t)2 << 20)

typedef struct herd_pool {
    uint8_t *base;     /* cap_max records of address space */
    size_t elem_bytes;
    uint32_t cap_max;  /* never more than this */
    uint32_t used;     /* high-water index: records [0, used) have been handed out once */
    uint32_t live;     /* records in use now */
    uint32_t free_head; /* HERD_POOL_NONE or a freed index; the link is the first 4 bytes */
    uint32_t live_max; /* peak of live */
} herd_pool;

/* A zeroed region of `bytes` (> 0), 2 MiB aligned; NULL on failure. Pages are backed on
 * first touch. Free with herd_big_free and the same size. */
void *herd_big_alloc(size_t bytes);
void herd_big_free(void *p, size_t bytes);

/* elem_bytes >= 4, cap_max >= 1. HERD_OK or HERD_ENOSPACE. */
int herd_pool_init(herd_pool *p, size_t elem_bytes, uint32_t cap_max);
void herd_pool_free_all(herd_pool *p);
/* Index of a zeroed record, or HERD_POOL_NONE when cap_max is reached. */
uint32_t herd_pool_alloc(herd_pool *p);
void herd_pool_release(herd_pool *p, uint32_t i);
static inline void *herd_pool_at(const herd_pool *p, uint32_t i)
{
    return p->base + (size_t)i * p->elem_bytes;
}
/* Memory the pool uses: its high-water mark, in whole 4 KiB pages. */
static inline size_t herd_pool_bytes(const herd_pool *p)
{
    return ((size_t)p->used * p->elem_bytes + 4095u) & ~(size_t)4095u;
}

#endif
