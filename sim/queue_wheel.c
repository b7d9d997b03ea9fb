/* queue_wheel.c — the timing-wheel engine (HERD_QUEUE_WHEEL): a radix-style hierarchical
 * wheel over 1.024 ms blocks, exact (at, seq) order, O(1) amortised push and pop.
 *
 * Time is cut into blocks of 2^10 us (block = at >> 10). Seven levels of 256 slots cover
 * all 64 bits: level L holds the events whose block first differs from `base` (the first
 * block not yet drained) in base-256 digit L, at slot = that digit. So level 0 spans the
 * next ~262 ms at 1 ms granularity, level 1 ~67 s at 262 ms, level 2 ~4.8 h at 67 s, and
 * so on; there is no overflow list because the top level reaches past HERD_TIME_NEVER.
 * Every level-0 event precedes every level-1 event, and within a level lower slots come
 * first, so the least event is in the first non-empty bucket (a 256-bit map per level).
 * To pop, the engine drains that bucket: a level-L bucket (L >= 1) is cascaded, each of
 * its events re-placed relative to the new base into a lower level; a level-0 bucket (one
 * block) is sorted into the "run" with a counting sort on at's low 10 bits (stable, and
 * bucket order is push order, so ties stay FIFO; an insertion pass makes (at, seq) exact
 * whatever the bucket order) and popped from the front. Each event is thus touched once
 * per level it falls through (one or two for a herd's 0.1-60 s backoffs) plus the sort.
 * Pushes into a block already drained (at >= last pop, as the contract allows) go to a
 * small binary heap, the "late" lane, merged with the run at pop.
 *
 * Memory: buckets are chains of 16-event chunks (512 bytes) from one pool that grows by
 * doubling, so cascades and sorts stream through contiguous memory instead of chasing a
 * pointer per event, and nothing is allocated per event. The pool is kept large enough
 * at push time for the worst cascade (every bucket a partial tail chunk), so pop never
 * allocates chunks. The run buffer grows on the pop path; if it cannot, the engine falls
 * back to selecting the least event from the bucket's chain (slow, allocation-free). */
#include "queue_impl.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define NIL UINT32_MAX
#define K HERD_QW_CHUNK
#define BUCKETS_ALL (HERD_QW_LEVELS * HERD_QW_SLOTS)
#define BLOCK_LOW_MASK ((1u << HERD_QW_BLOCK_BITS) - 1u)
#define SORT_SMALL 32u /* below this, insertion sort beats a 1024-entry histogram */

/* Chunks needed in the worst case with n events in buckets: full chunks, one partial
 * tail per bucket, and the bucket being cascaded (detached, partly read). */
static size_t chunks_need(size_t n) { return n / K + BUCKETS_ALL + 3; }

static const herd_qbucket BUCKET_EMPTY = {NIL, NIL, 0, 0, HERD_TIME_NEVER};

/* ---- the chunk pool ---- */

static herd_event *chunk_at(const herd_qwheel *w, uint32_t c) { return &w->chunk_ev[(size_t)c * K]; }

static int pool_grow(herd_qwheel *w, size_t need)
{
    if (need <= w->chunk_cap) return HERD_OK;
    if (need > w->chunk_cap_max) return HERD_EFULL;
    size_t cap = w->chunk_cap ? w->chunk_cap : need;
    for (int i = 0; i < 40 && cap < need; i++) cap *= 2; /* bounded: cap doubles */
    if (cap > w->chunk_cap_max) cap = w->chunk_cap_max;
    assert(cap >= need && cap < NIL);
    if (cap > SIZE_MAX / (K * sizeof(herd_event))) return HERD_EFULL;
    herd_event *ev = realloc(w->chunk_ev, cap * K * sizeof(herd_event));
    if (!ev) return HERD_EFULL;
    w->chunk_ev = ev;
    uint32_t *next = realloc(w->chunk_next, cap * sizeof(uint32_t));
    if (!next) return HERD_EFULL;
    w->chunk_next = next;
    /* Link the new chunks in ascending order ahead of the old free list. */
    for (size_t c = cap; c-- > w->chunk_cap;) {
        next[c] = w->chunk_free;
        w->chunk_free = (uint32_t)c;
    }
    w->chunk_cap = (uint32_t)cap;
    return HERD_OK;
}

static uint32_t chunk_take(herd_qwheel *w)
{
    uint32_t c = w->chunk_free;
    assert(c != NIL); /* chunks_need() reserved enough at push time */
    w->chunk_free = w->chunk_next[c];
    w->chunk_next[c] = NIL;
    /* The next chunk taken is known now: start fetching it for the writes to come. */
    if (w->chunk_free != NIL) {
        const char *p = (const char *)chunk_at(w, w->chunk_free);
        for (size_t off = 0; off < K * sizeof(herd_event); off += 64) __builtin_prefetch(p + off, 1);
    }
    return c;
}

static void chunk_give(herd_qwheel *w, uint32_t c)
{
    assert(c < w->chunk_cap);
    w->chunk_next[c] = w->chunk_free;
    w->chunk_free = c;
}

/* Chains are walked in order but their chunks lie anywhere in the pool, where the hardware
 * prefetcher cannot guess the next one: ask for a chunk ahead while this one is read (two
 * ahead in cascades, one in the sort's counting pass, whose per-chunk work is shorter). */
static void chunk_prefetch(const herd_qwheel *w, uint32_t c)
{
    if (c == NIL) return;
    const char *p = (const char *)chunk_at(w, c);
    for (size_t off = 0; off < K * sizeof(herd_event); off += 64) __builtin_prefetch(p + off);
}

int herd_qwheel_init(herd_qwheel *w, size_t cap_max)
{
    assert(cap_max > 0 && cap_max <= HERD_QUEUE_CAP_LIMIT);
    memset(w, 0, sizeof *w);
    for (unsigned l = 0; l < HERD_QW_LEVELS; l++)
        for (unsigned s = 0; s < HERD_QW_SLOTS; s++) w->bucket[l][s] = BUCKET_EMPTY;
    w->slow = BUCKET_EMPTY;
    w->chunk_free = NIL;
    w->chunk_cap_max = (uint32_t)chunks_need(cap_max);
    w->chunk_cap = 0;
    w->run_cap_max = cap_max;
    herd_qheap_init(&w->late, cap_max);
    /* Start with the worst-case reserve, so the pool never grows for the reserve alone. */
    size_t first = chunks_need(0);
    if (pool_grow(w, first) != HERD_OK) {
        herd_qwheel_fini(w);
        return HERD_EFULL;
    }
    return HERD_OK;
}

void herd_qwheel_fini(herd_qwheel *w)
{
    free(w->chunk_ev);
    free(w->chunk_next);
    free(w->run);
    herd_qheap_fini(&w->late);
    w->chunk_ev = NULL;
    w->chunk_next = NULL;
    w->run = NULL;
}

/* ---- buckets and placement ---- */

static void bucket_append(herd_qwheel *w, herd_qbucket *b, const herd_event *ev)
{
    uint32_t fill = b->count % K;
    if (fill == 0) {
        uint32_t c = chunk_take(w);
        if (b->count == 0) b->head = c;
        else w->chunk_next[b->tail] = c;
        b->tail = c;
    }
    chunk_at(w, b->tail)[fill] = *ev;
    b->count++;
    if (ev->at < b->at_min) b->at_min = ev->at;
}

static inline void wheel_place(herd_qwheel *w, const herd_event *ev)
{
    uint64_t blk = ev->at >> HERD_QW_BLOCK_BITS;
    assert(blk >= w->base);
    uint64_t x = blk ^ w->base;
    /* The level is the highest base-256 digit in which blk differs from base. */
    unsigned lvl = x ? (unsigned)(63 - __builtin_clzll(x)) / HERD_QW_SLOT_BITS : 0;
    assert(lvl < HERD_QW_LEVELS);
    unsigned slot = (unsigned)(blk >> (lvl * HERD_QW_SLOT_BITS)) & (HERD_QW_SLOTS - 1);
    bucket_append(w, &w->bucket[lvl][slot], ev);
    w->bits[lvl][slot / 64] |= 1ull << (slot % 64);
}

static herd_qbucket bucket_detach(herd_qwheel *w, unsigned lvl, unsigned slot)
{
    herd_qbucket b = w->bucket[lvl][slot];
    assert(b.count > 0);
    w->bucket[lvl][slot] = BUCKET_EMPTY;
    w->bits[lvl][slot / 64] &= ~(1ull << (slot % 64));
    assert(w->len >= b.count);
    w->len -= b.count;
    return b;
}

/* First non-empty bucket: the lowest level with any, its lowest slot. False if none. */
static bool wheel_first(const herd_qwheel *w, unsigned *lvl, unsigned *slot)
{
    for (unsigned l = 0; l < HERD_QW_LEVELS; l++) {
        for (unsigned i = 0; i < HERD_QW_SLOTS / 64; i++) {
            uint64_t m = w->bits[l][i];
            if (m) {
                *lvl = l;
                *slot = i * 64 + (unsigned)__builtin_ctzll(m);
                return true;
            }
        }
    }
    return false;
}

/* Re-place every event of a detached bucket; frees its chunks as they are read. */
static void bucket_scatter(herd_qwheel *w, herd_qbucket b)
{
    uint32_t c = b.head;
    chunk_prefetch(w, w->chunk_next[c]);
    uint32_t left = b.count;
    while (left > 0) { /* bounded: left falls by up to K per chunk */
        assert(c != NIL);
        uint32_t n = left < K ? left : K;
        const herd_event *ev = chunk_at(w, c);
        uint32_t next = w->chunk_next[c];
        /* Two ahead: one chunk's placements take less time than a miss to memory. */
        if (next != NIL) chunk_prefetch(w, w->chunk_next[next]);
        for (uint32_t i = 0; i < n; i++) wheel_place(w, &ev[i]);
        /* Read in full before giving it back: a placement above may not reuse it. */
        chunk_give(w, c);
        c = next;
        left -= n;
    }
    w->len += b.count;
}

/* Move base forward, cascading each bucket that now sits on base's own digit (top down,
 * so events fall through several levels in one call). Requires every event >= new base. */
static void wheel_advance(herd_qwheel *w, uint64_t base_new)
{
    assert(base_new >= w->base);
    w->base = base_new;
    for (unsigned l = HERD_QW_LEVELS - 1; l >= 1; l--) {
        unsigned slot = (unsigned)(base_new >> (l * HERD_QW_SLOT_BITS)) & (HERD_QW_SLOTS - 1);
        if (w->bits[l][slot / 64] & (1ull << (slot % 64))) bucket_scatter(w, bucket_detach(w, l, slot));
    }
}

/* ---- the front: run (sorted level-0 bucket), slow chain, late heap ---- */

static bool run_reserve(herd_qwheel *w, size_t n)
{
    if (n <= w->run_cap) return true;
    if (n > w->run_cap_max) return false;
    size_t cap = w->run_cap ? w->run_cap : 64;
    for (int i = 0; i < 64 && cap < n; i++) cap *= 2; /* bounded: cap doubles */
    if (cap > w->run_cap_max) cap = w->run_cap_max;
    if (cap > SIZE_MAX / sizeof(herd_event)) return false;
    herd_event *run = realloc(w->run, cap * sizeof(herd_event));
    if (!run) return false;
    w->run = run;
    w->run_cap = cap;
    return true;
}

/* Insertion sort on (at, seq): O(n) when the input is nearly sorted, as after the
 * counting sort (which leaves at most ties out of seq order). */
static void run_insertion_sort(herd_event *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (!herd_event_before(&a[i], &a[i - 1])) continue;
        herd_event x = a[i];
        size_t j = i;
        for (; j > 0 && herd_event_before(&x, &a[j - 1]); j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Counting sort of one block's events on at's low bits, from the chain into the run. */
static void run_counting_sort(herd_qwheel *w, herd_qbucket b)
{
    uint32_t count[1u << HERD_QW_BLOCK_BITS];
    memset(count, 0, sizeof count);
    uint32_t c = b.head;
    for (uint32_t left = b.count; left > 0;) {
        uint32_t n = left < K ? left : K;
        const herd_event *ev = chunk_at(w, c);
        chunk_prefetch(w, w->chunk_next[c]);
        for (uint32_t i = 0; i < n; i++) count[ev[i].at & BLOCK_LOW_MASK]++;
        c = w->chunk_next[c];
        left -= n;
    }
    uint32_t sum = 0;
    for (size_t k = 0; k < (1u << HERD_QW_BLOCK_BITS); k++) {
        uint32_t n = count[k];
        count[k] = sum;
        sum += n;
    }
    assert(sum == b.count);
    c = b.head;
    for (uint32_t left = b.count; left > 0;) {
        uint32_t n = left < K ? left : K;
        const herd_event *ev = chunk_at(w, c);
        for (uint32_t i = 0; i < n; i++) w->run[count[ev[i].at & BLOCK_LOW_MASK]++] = ev[i];
        c = w->chunk_next[c];
        left -= n;
    }
}

static void chain_free(herd_qwheel *w, herd_qbucket b)
{
    uint32_t c = b.head;
    for (uint32_t left = b.count; left > 0;) {
        uint32_t n = left < K ? left : K;
        uint32_t next = w->chunk_next[c];
        chunk_give(w, c);
        c = next;
        left -= n;
    }
}

/* Make the detached level-0 bucket b the front's run (or the slow chain). */
static void run_load(herd_qwheel *w, herd_qbucket b)
{
    assert(w->run_pos == w->run_len && !w->slow_on);
    if (!run_reserve(w, b.count)) {
        w->slow = b;
        w->slow_on = true;
        return;
    }
    if (b.count < SORT_SMALL) {
        uint32_t c = b.head;
        size_t k = 0;
        for (uint32_t left = b.count; left > 0;) {
            uint32_t n = left < K ? left : K;
            memcpy(&w->run[k], chunk_at(w, c), n * sizeof(herd_event));
            k += n;
            c = w->chunk_next[c];
            left -= n;
        }
    } else {
        run_counting_sort(w, b);
    }
    run_insertion_sort(w->run, b.count);
    chain_free(w, b);
    w->run_len = b.count;
    w->run_pos = 0;
}

/* Drain buckets until the front holds the least block. Requires an empty front. */
static void wheel_refill(herd_qwheel *w)
{
    assert(w->len > 0);
    /* Bounded: each cascade empties its level and moves events strictly lower. */
    for (unsigned round = 0; round <= HERD_QW_LEVELS; round++) {
        unsigned lvl = 0, slot = 0;
        bool found = wheel_first(w, &lvl, &slot);
        assert(found);
        (void)found;
        unsigned shift = lvl * HERD_QW_SLOT_BITS;
        /* The first block of the bucket: base's digits above lvl, then slot, then zeros. */
        uint64_t blk = ((w->base >> shift >> HERD_QW_SLOT_BITS) << HERD_QW_SLOT_BITS | slot) << shift;
        if (lvl == 0) {
            run_load(w, bucket_detach(w, 0, slot));
            wheel_advance(w, blk + 1);
            return;
        }
        wheel_advance(w, blk);
    }
    assert(!"wheel_refill: cascade did not reach level 0");
}

/* The slow chain's least event: a linear scan (the fallback costs O(n) per pop). */
static herd_event *slow_min(const herd_qwheel *w)
{
    herd_event *best = NULL;
    uint32_t c = w->slow.head;
    for (uint32_t left = w->slow.count; left > 0;) {
        uint32_t n = left < K ? left : K;
        herd_event *ev = chunk_at(w, c);
        for (uint32_t i = 0; i < n; i++)
            if (!best || herd_event_before(&ev[i], best)) best = &ev[i];
        c = w->chunk_next[c];
        left -= n;
    }
    return best;
}

/* Remove *hole from the slow chain by moving the chain's last event into it. */
static void slow_remove(herd_qwheel *w, herd_event *hole)
{
    herd_qbucket *b = &w->slow;
    assert(b->count > 0);
    b->count--;
    *hole = chunk_at(w, b->tail)[b->count % K];
    if (b->count % K != 0) return;
    /* The tail chunk is empty now: give it back and find its predecessor. */
    uint32_t old = b->tail;
    if (b->count == 0) {
        chunk_give(w, old);
        *b = BUCKET_EMPTY;
        w->slow_on = false;
        return;
    }
    uint32_t c = b->head;
    for (uint32_t i = 1; i < b->count / K; i++) c = w->chunk_next[c];
    assert(w->chunk_next[c] == old);
    w->chunk_next[c] = NIL;
    b->tail = c;
    chunk_give(w, old);
}

static bool front_empty(const herd_qwheel *w)
{
    return w->run_pos == w->run_len && !w->slow_on && w->late.len == 0;
}

int herd_qwheel_push(herd_qwheel *w, const herd_event *ev)
{
    if ((ev->at >> HERD_QW_BLOCK_BITS) < w->base) return herd_qheap_push(&w->late, ev);
    int rc = pool_grow(w, chunks_need(w->len + 1));
    if (rc != HERD_OK) return rc;
    wheel_place(w, ev);
    w->len++;
    return HERD_OK;
}

bool herd_qwheel_pop(herd_qwheel *w, herd_event *ev)
{
    if (front_empty(w)) {
        if (w->len == 0) return false;
        wheel_refill(w);
    }
    herd_event *a = NULL;
    if (w->run_pos < w->run_len) a = &w->run[w->run_pos];
    else if (w->slow_on) a = slow_min(w);
    const herd_event *late = w->late.len ? &w->late.ev[0] : NULL;
    if (a && (!late || herd_event_before(a, late))) {
        *ev = *a;
        if (w->run_pos < w->run_len) w->run_pos++;
        else slow_remove(w, a);
    } else {
        assert(late);
        herd_qheap_pop(&w->late, ev);
    }
    /* Everything still in buckets is in a later block than anything the front held. */
    assert((ev->at >> HERD_QW_BLOCK_BITS) < w->base);
    return true;
}

herd_time herd_qwheel_peek_time(const herd_qwheel *w)
{
    if (!front_empty(w)) {
        herd_time t = HERD_TIME_NEVER;
        if (w->run_pos < w->run_len) t = w->run[w->run_pos].at;
        else if (w->slow_on) t = slow_min(w)->at;
        if (w->late.len) t = herd_time_min(t, w->late.ev[0].at);
        return t;
    }
    unsigned lvl = 0, slot = 0;
    if (!wheel_first(w, &lvl, &slot)) return HERD_TIME_NEVER;
    return w->bucket[lvl][slot].at_min;
}

size_t herd_qwheel_bytes(const herd_qwheel *w)
{
    return sizeof *w + (size_t)w->chunk_cap * (K * sizeof(herd_event) + sizeof(uint32_t)) +
           w->run_cap * sizeof(herd_event) + herd_qheap_bytes(&w->late);
}
