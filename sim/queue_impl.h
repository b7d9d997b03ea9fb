/* queue_impl.h — private to sim/queue*.c and tests/test_queue.c: the two queue engines.
 *
 * queue.c owns the public contract (sequence numbers, HERD_ETIME, HERD_EFULL at cap_max,
 * the pending count) and dispatches to an engine: herd_qheap (queue_heap.c, a binary heap,
 * also reused as the wheel's small "late" lane) or herd_qwheel (queue_wheel.c, the
 * hierarchical timing wheel). Engines see fully formed events and never check the
 * contract's limits themselves, except that their growth is bounded by cap_max. */
#ifndef HERD_SIM_QUEUE_IMPL_H
#define HERD_SIM_QUEUE_IMPL_H

#include "queue.h"

/* The largest cap_max a queue accepts: bucket counts and chunk indices are 32-bit. */
#define HERD_QUEUE_CAP_LIMIT ((size_t)UINT32_MAX / 2)

/* The total order both engines keep: ascending at, then ascending seq. */
static inline bool herd_event_before(const herd_event *a, const herd_event *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* ---- binary heap on (at, seq) ---- */
typedef struct herd_qheap {
    herd_event *ev; /* private: ev[0] is the least */
    size_t len;     /* read-only */
    size_t cap;     /* private: allocated events */
    size_t cap_max; /* private: growth bound */
} herd_qheap;

void herd_qheap_init(herd_qheap *h, size_t cap_max);
void herd_qheap_fini(herd_qheap *h);
/* HERD_OK, or HERD_EFULL when the array cannot grow (cap_max reached or no memory). */
int herd_qheap_push(herd_qheap *h, const herd_event *ev);
/* Requires h->len > 0. */
void herd_qheap_pop(herd_qheap *h, herd_event *ev);
size_t herd_qheap_bytes(const herd_qheap *h);

/* ---- hierarchical timing wheel (layout documented in queue_wheel.c) ---- */
#define HERD_QW_BLOCK_BITS 10u /* level-0 slot width: 2^10 us = 1.024 ms */
#define HERD_QW_SLOT_BITS 8u
#define HERD_QW_SLOTS (1u << HERD_QW_SLOT_BITS)
#define HERD_QW_LEVELS 7u /* 10 + 7 * 8 = 66 >= 64 bits: every herd_time has a slot */
#define HERD_QW_CHUNK 16u /* events per chunk: 512 bytes, eight cache lines */

typedef struct herd_qbucket {
    uint32_t head;    /* first chunk, or UINT32_MAX */
    uint32_t tail;    /* last chunk: the only one that may be partly filled */
    uint32_t count;   /* events in the bucket */
    uint32_t pad;
    herd_time at_min; /* least at in the bucket (HERD_TIME_NEVER when empty) */
} herd_qbucket;

typedef struct herd_qwheel {
    uint64_t base;       /* first block (at >> BLOCK_BITS) not in the front */
    size_t len;          /* events in buckets (front excluded) */
    herd_qbucket bucket[HERD_QW_LEVELS][HERD_QW_SLOTS];
    uint64_t bits[HERD_QW_LEVELS][HERD_QW_SLOTS / 64]; /* non-empty buckets */
    /* chunk pool: one array of events, chunk c is ev[c * CHUNK .. +CHUNK) */
    herd_event *chunk_ev;
    uint32_t *chunk_next; /* list links: bucket chains and the free list */
    uint32_t chunk_cap, chunk_cap_max, chunk_free;
    /* front, part 1: the drained level-0 bucket, sorted */
    herd_event *run;
    size_t run_len, run_pos, run_cap, run_cap_max;
    /* front, fallback for part 1 when the run buffer cannot grow: select from a chain */
    herd_qbucket slow;
    bool slow_on;
    /* front, part 2: events pushed into blocks already drained ("late"), at >= last pop */
    herd_qheap late;
} herd_qwheel;

/* HERD_OK, or HERD_EFULL when the initial pool cannot be allocated. */
int herd_qwheel_init(herd_qwheel *w, size_t cap_max);
void herd_qwheel_fini(herd_qwheel *w);
/* HERD_OK, or HERD_EFULL when the pool cannot grow. */
int herd_qwheel_push(herd_qwheel *w, const herd_event *ev);
bool herd_qwheel_pop(herd_qwheel *w, herd_event *ev);
herd_time herd_qwheel_peek_time(const herd_qwheel *w);
size_t herd_qwheel_bytes(const herd_qwheel *w);

/* Test hook: bound the wheel's sort buffer (0 forces the allocation-free slow path). */
void herd_queue_test_limit_run(herd_queue *q, size_t run_cap_max);

#endif
