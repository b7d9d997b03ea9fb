/* test_queue.c — the event queue's contract, for both engines (sim/queue.h).
 *
 * Ordering with ties (FIFO among equal times), the error contract (HERD_ETIME, HERD_EFULL,
 * empty pop, peek, len), and a seeded differential test in which the timing wheel and the
 * binary heap must pop identical (at, seq, kind, target, arg) sequences under bursty,
 * sparse and far-future delays. Nothing here reads a clock. */
#include <criterion/criterion.h>

#include "error.h"
#include "queue.h"
#include "queue_impl.h"
#include "rng.h"

static const int KINDS[2] = {HERD_QUEUE_WHEEL, HERD_QUEUE_HEAP};

static void check_same(const herd_event *a, const herd_event *b, size_t i)
{
    cr_assert_eq(a->at, b->at, "op %zu: at %llu vs %llu", i, (unsigned long long)a->at,
                 (unsigned long long)b->at);
    cr_assert_eq(a->seq, b->seq, "op %zu: seq", i);
    cr_assert_eq(a->kind, b->kind, "op %zu: kind", i);
    cr_assert_eq(a->target, b->target, "op %zu: target", i);
    cr_assert_eq(a->arg, b->arg, "op %zu: arg", i);
}

Test(queue, ties_pop_fifo_both_kinds)
{
    for (int k = 0; k < 2; k++) {
        herd_queue *q = herd_queue_new(KINDS[k], 100000);
        cr_assert_not_null(q);
        /* Three groups of equal times pushed interleaved, plus one time per 1 ms block edge. */
        const herd_time at[4] = {5000, 1023, 1024, 5000 + 3600ull * HERD_US_PER_S};
        for (uint32_t i = 0; i < 20000; i++)
            cr_assert_eq(herd_queue_push(q, at[i % 4], i % 7, i, i * 3), HERD_OK);
        cr_assert_eq(herd_queue_len(q), 20000);
        const herd_time order[4] = {1023, 1024, 5000, 5000 + 3600ull * HERD_US_PER_S};
        herd_event ev;
        for (int g = 0; g < 4; g++) {
            uint64_t seq_last = 0;
            for (uint32_t i = 0; i < 5000; i++) {
                cr_assert(herd_queue_pop(q, &ev));
                cr_assert_eq(ev.at, order[g], "kind %d group %d", KINDS[k], g);
                if (i > 0) cr_assert_gt(ev.seq, seq_last, "FIFO among equal times");
                seq_last = ev.seq;
                cr_assert_eq(ev.target, (uint32_t)ev.seq, "seq is the push index");
                cr_assert_eq(ev.arg, ev.seq * 3);
            }
        }
        cr_assert_not(herd_queue_pop(q, &ev));
        herd_queue_free(q);
    }
}

Test(queue, ties_at_the_current_time_after_pops)
{
    /* Pushes at exactly the last popped time take the wheel's late lane: still FIFO. */
    for (int k = 0; k < 2; k++) {
        herd_queue *q = herd_queue_new(KINDS[k], 1000);
        cr_assert_eq(herd_queue_push(q, 777, 0, 0, 0), HERD_OK);
        cr_assert_eq(herd_queue_push(q, 777, 0, 1, 0), HERD_OK);
        cr_assert_eq(herd_queue_push(q, 900, 0, 2, 0), HERD_OK);
        herd_event ev;
        cr_assert(herd_queue_pop(q, &ev));
        cr_assert_eq(ev.target, 0);
        cr_assert_eq(herd_queue_push(q, 777, 0, 3, 0), HERD_OK);
        cr_assert_eq(herd_queue_push(q, 778, 0, 4, 0), HERD_OK);
        const uint32_t want[4] = {1, 3, 4, 2};
        for (int i = 0; i < 4; i++) {
            cr_assert(herd_queue_pop(q, &ev));
            cr_assert_eq(ev.target, want[i], "kind %d pop %d", KINDS[k], i);
        }
        herd_queue_free(q);
    }
}

Test(queue, errors_peek_len_and_empty)
{
    cr_assert_null(herd_queue_new(7, 10));
    cr_assert_null(herd_queue_new(HERD_QUEUE_WHEEL, 0));
    cr_assert_null(herd_queue_new(HERD_QUEUE_HEAP, HERD_QUEUE_CAP_LIMIT + 1));
    for (int k = 0; k < 2; k++) {
        herd_queue *q = herd_queue_new(KINDS[k], 3);
        herd_event ev;
        cr_assert_not(herd_queue_pop(q, &ev), "empty pop");
        cr_assert_eq(herd_queue_peek_time(q), HERD_TIME_NEVER);
        cr_assert_eq(herd_queue_len(q), 0);
        cr_assert_gt(herd_queue_bytes(q), 0);
        cr_assert_eq(herd_queue_push(q, 3000, 1, 1, 1), HERD_OK);
        cr_assert_eq(herd_queue_peek_time(q), 3000);
        cr_assert_eq(herd_queue_push(q, 2000000, 1, 2, 2), HERD_OK);
        cr_assert_eq(herd_queue_push(q, 2500, 1, 3, 3), HERD_OK);
        cr_assert_eq(herd_queue_peek_time(q), 2500);
        cr_assert_eq(herd_queue_push(q, 1, 1, 4, 4), HERD_EFULL, "cap_max pending");
        cr_assert_eq(herd_queue_len(q), 3);
        cr_assert(herd_queue_pop(q, &ev));
        cr_assert_eq(ev.at, 2500);
        cr_assert_eq(herd_queue_push(q, 2499, 1, 5, 5), HERD_ETIME, "before the last pop");
        cr_assert_eq(herd_queue_push(q, 2500, 1, 6, 6), HERD_OK, "at the last pop is fine");
        cr_assert_eq(herd_queue_peek_time(q), 2500);
        cr_assert(herd_queue_pop(q, &ev));
        cr_assert_eq(ev.target, 6);
        cr_assert_eq(ev.seq, 3, "refused pushes take no seq");
        cr_assert(herd_queue_pop(q, &ev));
        cr_assert_eq(ev.at, 3000);
        cr_assert_eq(herd_queue_peek_time(q), 2000000);
        cr_assert(herd_queue_pop(q, &ev));
        cr_assert_not(herd_queue_pop(q, &ev));
        cr_assert_eq(herd_queue_len(q), 0);
        cr_assert_eq(herd_queue_push(q, 1000, 1, 7, 7), HERD_ETIME);
        herd_queue_free(q);
    }
    herd_queue_free(NULL);
}

Test(queue, far_future_and_never)
{
    for (int k = 0; k < 2; k++) {
        herd_queue *q = herd_queue_new(KINDS[k], 100);
        const herd_time at[6] = {HERD_TIME_NEVER, HERD_TIME_NEVER - 1, 1ull << 63, 1ull << 40,
                                 36000ull * HERD_US_PER_S, 0};
        for (uint32_t i = 0; i < 6; i++) cr_assert_eq(herd_queue_push(q, at[i], 0, i, 0), HERD_OK);
        cr_assert_eq(herd_queue_push(q, HERD_TIME_NEVER, 0, 6, 0), HERD_OK);
        const uint32_t want[7] = {5, 4, 3, 2, 1, 0, 6};
        herd_event ev;
        for (int i = 0; i < 7; i++) {
            cr_assert(herd_queue_pop(q, &ev));
            cr_assert_eq(ev.target, want[i], "kind %d pop %d", KINDS[k], i);
        }
        herd_queue_free(q);
    }
}

/* A delay drawn from one of the herd's shapes, by a seeded generator. */
static uint64_t draw_delay(herd_rng *r)
{
    switch (herd_rng_below(r, 8)) {
    case 0: return 0;                                        /* same instant */
    case 1: return herd_rng_below(r, 1500);                  /* same or next block */
    case 2: return herd_rng_range(r, 0, 50 * HERD_US_PER_MS); /* network-like */
    case 3: return 1 * HERD_US_PER_S;                        /* herd tick: many ties */
    case 4: return herd_rng_range(r, 100 * HERD_US_PER_MS, 60 * HERD_US_PER_S); /* backoff */
    case 5: return herd_rng_range(r, 60 * HERD_US_PER_S, 144 * HERD_US_PER_S); /* caps */
    case 6: return herd_rng_range(r, 0, 10ull * 3600 * HERD_US_PER_S); /* up to 10 h */
    default: return herd_rng_range(r, 0, 4) * 262144;        /* level-1 slot edges */
    }
}

/* Interleaved pushes and pops on both engines; every observable must agree. */
static void differential(uint64_t seed, size_t ops, size_t run_limit)
{
    herd_queue *w = herd_queue_new(HERD_QUEUE_WHEEL, 1u << 20);
    herd_queue *h = herd_queue_new(HERD_QUEUE_HEAP, 1u << 20);
    cr_assert(w && h);
    if (run_limit != SIZE_MAX) herd_queue_test_limit_run(w, run_limit);
    herd_rng r;
    herd_rng_seed(&r, seed);
    herd_time now = 0;
    size_t pops = 0;
    for (size_t i = 0; i < ops; i++) {
        /* Phases of growth and drain so the queue both fills (to ~100 k) and empties. */
        uint64_t push_pct = ((i / 50000) % 2 == 0) ? 60 : 35;
        if (herd_rng_below(&r, 100) < push_pct) {
            herd_time at = herd_time_add(now, draw_delay(&r));
            uint32_t kind = (uint32_t)herd_rng_below(&r, 16);
            uint32_t target = (uint32_t)herd_rng_next(&r);
            uint64_t arg = herd_rng_next(&r);
            int rw = herd_queue_push(w, at, kind, target, arg);
            int rh = herd_queue_push(h, at, kind, target, arg);
            cr_assert_eq(rw, HERD_OK, "op %zu: %s", i, herd_strerror(rw));
            cr_assert_eq(rh, HERD_OK);
        } else {
            herd_event a, b;
            bool ow = herd_queue_pop(w, &a);
            bool oh = herd_queue_pop(h, &b);
            cr_assert_eq(ow, oh, "op %zu", i);
            if (ow) {
                check_same(&a, &b, i);
                now = a.at;
                pops++;
            }
        }
        cr_assert_eq(herd_queue_len(w), herd_queue_len(h));
        cr_assert_eq(herd_queue_peek_time(w), herd_queue_peek_time(h), "op %zu: peek", i);
    }
    herd_event a, b;
    for (size_t i = 0; herd_queue_pop(h, &b); i++) {
        cr_assert(herd_queue_pop(w, &a));
        check_same(&a, &b, ops + i);
    }
    cr_assert_not(herd_queue_pop(w, &a));
    cr_assert_gt(pops, ops / 4);
    herd_queue_free(w);
    herd_queue_free(h);
}

Test(queue, differential_wheel_vs_heap_seed_1) { differential(1, 400000, SIZE_MAX); }
Test(queue, differential_wheel_vs_heap_seed_42) { differential(42, 400000, SIZE_MAX); }
Test(queue, differential_wheel_vs_heap_seed_20240601) { differential(20240601, 300000, SIZE_MAX); }

Test(queue, differential_slow_path_without_sort_buffer)
{
    /* The wheel's allocation-free fallback must keep the same order (just slower). */
    differential(7, 60000, 0);
    differential(8, 60000, 40);
}

Test(queue, herd_burst_ten_thousand_same_tick)
{
    /* A thundering herd: 50 k clients armed at one restart instant plus jitter in ms. */
    herd_queue *w = herd_queue_new(HERD_QUEUE_WHEEL, 100000);
    herd_queue *h = herd_queue_new(HERD_QUEUE_HEAP, 100000);
    herd_rng r;
    herd_rng_seed(&r, 99);
    for (uint32_t i = 0; i < 50000; i++) {
        herd_time at = 30 * HERD_US_PER_S + herd_rng_below(&r, 4) * HERD_US_PER_MS;
        cr_assert_eq(herd_queue_push(w, at, 1, i, i), HERD_OK);
        cr_assert_eq(herd_queue_push(h, at, 1, i, i), HERD_OK);
    }
    herd_event a, b;
    for (size_t i = 0; herd_queue_pop(h, &b); i++) {
        cr_assert(herd_queue_pop(w, &a));
        check_same(&a, &b, i);
    }
    herd_queue_free(w);
    herd_queue_free(h);
}

Test(queue, bytes_per_pending_event_stay_bounded)
{
    /* Memory, not time: at 400 k pending over a herd's spread the wheel's pool, links and
     * sort buffer stay within 40 bytes per event (32 of them are the event itself). */
    const size_t n = 400000;
    for (int k = 0; k < 2; k++) {
        herd_queue *q = herd_queue_new(KINDS[k], n);
        herd_rng r;
        herd_rng_seed(&r, 3);
        for (uint32_t i = 0; i < n; i++) {
            herd_time at = herd_rng_range(&r, 50 * HERD_US_PER_MS, 90 * HERD_US_PER_S);
            cr_assert_eq(herd_queue_push(q, at, 0, i, 0), HERD_OK);
        }
        herd_event ev;
        for (uint32_t i = 0; i < n / 2; i++) {
            cr_assert(herd_queue_pop(q, &ev));
            cr_assert_eq(herd_queue_push(q, ev.at + herd_rng_range(&r, 1, 60 * HERD_US_PER_S), 0,
                                         i, 0), HERD_OK);
        }
        cr_assert_eq(herd_queue_len(q), n);
        size_t per_event = herd_queue_bytes(q) / n;
        cr_assert_geq(per_event, sizeof(herd_event), "kind %d", KINDS[k]);
        cr_assert_leq(per_event, 40, "kind %d: %zu bytes per pending event", KINDS[k], per_event);
        herd_queue_free(q);
    }
}
