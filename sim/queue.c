/* queue.c — the event queue's public contract (see queue.h), over two engines.
 *
 * This file owns what both kinds share: the insertion sequence number that makes the
 * order total, the last popped time (a push before it is HERD_ETIME), the pending count
 * and its cap_max (HERD_EFULL). The engines, queue_wheel.c and queue_heap.c, only keep
 * events in (at, seq) order; queue_impl.h describes them. */
#include "queue.h"

#include <assert.h>
#include <stdlib.h>

#include "error.h"
#include "queue_impl.h"

struct herd_queue {
    int kind;               /* enum herd_queue_kind */
    size_t cap_max;         /* pending events allowed */
    size_t len;             /* pending events */
    uint64_t seq_next;      /* seq of the next accepted push */
    herd_time at_popped;    /* at of the last pop; pushes before it are refused */
    herd_qheap heap;        /* HERD_QUEUE_HEAP */
    herd_qwheel *wheel;     /* HERD_QUEUE_WHEEL (large: allocated apart) */
};

herd_queue *herd_queue_new(int kind, size_t cap_max)
{
    if (kind != HERD_QUEUE_WHEEL && kind != HERD_QUEUE_HEAP) return NULL;
    if (cap_max == 0 || cap_max > HERD_QUEUE_CAP_LIMIT) return NULL;
    herd_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->kind = kind;
    q->cap_max = cap_max;
    if (kind == HERD_QUEUE_HEAP) {
        herd_qheap_init(&q->heap, cap_max);
        return q;
    }
    q->wheel = calloc(1, sizeof *q->wheel);
    if (!q->wheel || herd_qwheel_init(q->wheel, cap_max) != HERD_OK) {
        free(q->wheel);
        free(q);
        return NULL;
    }
    return q;
}

void herd_queue_free(herd_queue *q)
{
    if (!q) return;
    if (q->wheel) {
        herd_qwheel_fini(q->wheel);
        free(q->wheel);
    }
    herd_qheap_fini(&q->heap);
    free(q);
}

int herd_queue_push(herd_queue *q, herd_time at, uint32_t kind, uint32_t target, uint64_t arg)
{
    assert(q);
    if (at < q->at_popped) return HERD_ETIME;
    if (q->len >= q->cap_max) return HERD_EFULL;
    const herd_event ev = {.at = at, .seq = q->seq_next, .kind = kind, .target = target, .arg = arg};
    int rc = q->wheel ? herd_qwheel_push(q->wheel, &ev) : herd_qheap_push(&q->heap, &ev);
    if (rc != HERD_OK) return rc;
    /* Only accepted pushes take a seq, so seqs are dense and replay-stable. */
    q->seq_next++;
    q->len++;
    return HERD_OK;
}

bool herd_queue_pop(herd_queue *q, herd_event *ev)
{
    assert(q && ev);
    if (q->len == 0) return false;
    if (q->wheel) {
        bool ok = herd_qwheel_pop(q->wheel, ev);
        assert(ok);
        (void)ok;
    } else {
        herd_qheap_pop(&q->heap, ev);
    }
    assert(ev->at >= q->at_popped); /* the order is monotone: pairs with push's ETIME check */
    q->at_popped = ev->at;
    q->len--;
    return true;
}

herd_time herd_queue_peek_time(const herd_queue *q)
{
    assert(q);
    if (q->len == 0) return HERD_TIME_NEVER;
    return q->wheel ? herd_qwheel_peek_time(q->wheel) : q->heap.ev[0].at;
}

size_t herd_queue_len(const herd_queue *q)
{
    assert(q);
    return q->len;
}

size_t herd_queue_bytes(const herd_queue *q)
{
    assert(q);
    size_t n = sizeof *q + herd_qheap_bytes(&q->heap);
    if (q->wheel) n += herd_qwheel_bytes(q->wheel);
    return n;
}

void herd_queue_test_limit_run(herd_queue *q, size_t run_cap_max)
{
    assert(q);
    if (q->wheel) q->wheel->run_cap_max = run_cap_max;
}
