/* queue_heap.c — the binary heap engine: an array-backed min-heap on (at, seq).
 *
 * It is the benchmark's baseline (HERD_QUEUE_HEAP) and the timing wheel's "late" lane for
 * events pushed into a block the wheel has already drained. The array grows by doubling
 * up to cap_max; sift-up and sift-down move a hole instead of swapping, so each level
 * costs one 32-byte copy. O(log n) per operation, and at a million pending most of those
 * levels are cache misses: that is the cost the wheel exists to avoid. */
#include "queue_impl.h"

#include <assert.h>
#include <stdlib.h>

#include "error.h"

#define HEAP_CAP_MIN 64u

void herd_qheap_init(herd_qheap *h, size_t cap_max)
{
    assert(cap_max > 0 && cap_max <= HERD_QUEUE_CAP_LIMIT);
    *h = (herd_qheap){.ev = NULL, .len = 0, .cap = 0, .cap_max = cap_max};
}

void herd_qheap_fini(herd_qheap *h)
{
    free(h->ev);
    *h = (herd_qheap){0};
}

static int heap_grow(herd_qheap *h)
{
    size_t cap = h->cap ? h->cap * 2 : HEAP_CAP_MIN;
    if (cap > h->cap_max) cap = h->cap_max;
    if (cap <= h->cap) return HERD_EFULL;
    if (cap > SIZE_MAX / sizeof(herd_event)) return HERD_EFULL;
    herd_event *ev = realloc(h->ev, cap * sizeof(herd_event));
    if (!ev) return HERD_EFULL;
    h->ev = ev;
    h->cap = cap;
    return HERD_OK;
}

int herd_qheap_push(herd_qheap *h, const herd_event *ev)
{
    if (h->len == h->cap) {
        int rc = heap_grow(h);
        if (rc != HERD_OK) return rc;
    }
    assert(h->len < h->cap);
    size_t i = h->len++;
    /* Sift the hole up: at most log2(len) steps. */
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!herd_event_before(ev, &h->ev[parent])) break;
        h->ev[i] = h->ev[parent];
        i = parent;
    }
    h->ev[i] = *ev;
    return HERD_OK;
}

void herd_qheap_pop(herd_qheap *h, herd_event *ev)
{
    assert(h->len > 0);
    *ev = h->ev[0];
    size_t n = --h->len;
    if (n == 0) return;
    const herd_event last = h->ev[n];
    size_t i = 0;
    /* Sift the hole down: at most log2(len) steps. */
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && herd_event_before(&h->ev[child + 1], &h->ev[child])) child++;
        if (!herd_event_before(&h->ev[child], &last)) break;
        h->ev[i] = h->ev[child];
        i = child;
    }
    h->ev[i] = last;
    assert(i == 0 || !herd_event_before(&h->ev[i], &h->ev[(i - 1) / 2]));
}

size_t herd_qheap_bytes(const herd_qheap *h) { return h->cap * sizeof(herd_event); }
