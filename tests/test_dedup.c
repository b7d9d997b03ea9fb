/* test_dedup.c — the dedup index (src/dedup.c): find and insert, the time window, the
 * count window, crash truncation, canonical bytes, and long random runs checked against a
 * reference model that is a plain array scanned linearly. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "error.h"
#include "rng.h"

static herd_dedup *dedup_growing_new(uint32_t capacity, herd_time window_us)
{
    size_t bytes = herd_dedup_bytes(capacity);
    herd_dedup *d = calloc(1, bytes); /* a growing index takes zeroed memory */
    cr_assert_not_null(d);
    cr_assert_eq(herd_dedup_init_growing(d, bytes, capacity, window_us), HERD_OK);
    return d;
}

static herd_dedup *dedup_new(uint32_t capacity, herd_time window_us)
{
    size_t bytes = herd_dedup_bytes(capacity);
    cr_assert(bytes > 0);
    herd_dedup *d = malloc(bytes);
    cr_assert_not_null(d);
    memset(d, 0xa5, bytes); /* init must overwrite every byte */
    cr_assert_eq(herd_dedup_init(d, bytes, capacity, window_us), HERD_OK);
    return d;
}

static herd_sid sid_of(uint64_t ms, uint64_t seq) { return (herd_sid){ms, seq}; }

Test(dedup, bytes_and_init_ranges)
{
    cr_assert_eq(herd_dedup_bytes(0), 0);
    cr_assert_eq(herd_dedup_bytes(HERD_DEDUP_CAPACITY_MAX + 1u), 0);
    cr_assert_gt(herd_dedup_bytes(1), sizeof(herd_dedup));
    cr_assert_gt(herd_dedup_bytes(HERD_DEDUP_CAPACITY_MAX), herd_dedup_bytes(1));
    cr_assert_eq(herd_dedup_bytes(8) % 8u, 0);
    unsigned char buf[4096];
    cr_assert_eq(herd_dedup_init((herd_dedup *)(void *)buf, 16, 8, 0), HERD_ENOSPACE);
    cr_assert_eq(herd_dedup_init((herd_dedup *)(void *)buf, sizeof buf, 0, 0), HERD_EINVAL);
    herd_dedup *d = dedup_new(5, 0);
    cr_assert_eq(d->capacity, 5);
    cr_assert_eq(d->buckets, 16); /* power of two >= 2 * capacity */
    free(d);
}

Test(dedup, find_and_insert)
{
    herd_dedup *d = dedup_new(8, 0);
    cr_assert_null(herd_dedup_find(d, 42, 0));
    cr_assert_eq(herd_dedup_insert(d, 42, sid_of(5, 1), 3, 7, 10), HERD_OK);
    const herd_dedup_record *r = herd_dedup_find(d, 42, 11);
    cr_assert_not_null(r);
    cr_assert_eq(r->msg, 42);
    cr_assert(herd_sid_eq(r->sid, sid_of(5, 1)));
    cr_assert_eq(r->room, 3);
    cr_assert_eq(r->lsn, 7);
    cr_assert_eq(r->inserted_us, 10);
    cr_assert_null(herd_dedup_find(d, 43, 11));
    /* a message present and unexpired may not be inserted twice */
    cr_assert_eq(herd_dedup_insert(d, 42, sid_of(6, 0), 3, 8, 12), HERD_EINVAL);
    cr_assert_eq(d->count, 1);
    free(d);
}

Test(dedup, time_window_expires_records)
{
    herd_dedup *d = dedup_new(8, 100);
    cr_assert_eq(herd_dedup_insert(d, 1, sid_of(1, 0), 0, 1, 0), HERD_OK);
    cr_assert_eq(herd_dedup_insert(d, 2, sid_of(1, 1), 0, 2, 50), HERD_OK);
    cr_assert_not_null(herd_dedup_find(d, 1, 99));
    cr_assert_null(herd_dedup_find(d, 1, 100)); /* inserted + window <= now */
    cr_assert_not_null(herd_dedup_find(d, 2, 149));
    /* an expired message may be recorded again; the insert sweeps the expired head */
    cr_assert_eq(herd_dedup_insert(d, 1, sid_of(2, 0), 0, 3, 100), HERD_OK);
    cr_assert_eq(d->count, 2);
    cr_assert_eq(herd_dedup_find(d, 1, 100)->lsn, 3);
    cr_assert_eq(d->evicted, 0);
    free(d);
}

Test(dedup, count_window_evicts_oldest)
{
    herd_dedup *d = dedup_new(4, 0);
    for (uint64_t m = 1; m <= 6; m++)
        cr_assert_eq(herd_dedup_insert(d, m, sid_of(m, 0), 0, m, m), HERD_OK);
    cr_assert_eq(d->count, 4);
    cr_assert_eq(d->evicted, 2);
    cr_assert_null(herd_dedup_find(d, 1, 10));
    cr_assert_null(herd_dedup_find(d, 2, 10));
    for (uint64_t m = 3; m <= 6; m++) cr_assert_not_null(herd_dedup_find(d, m, 1000000));
    free(d);
}

Test(dedup, truncate_drops_newest_records)
{
    herd_dedup *d = dedup_new(8, 0);
    for (uint64_t m = 1; m <= 5; m++)
        cr_assert_eq(herd_dedup_insert(d, 100 + m, sid_of(m, 0), 0, m, m), HERD_OK);
    herd_dedup_truncate(d, 3);
    cr_assert_eq(d->count, 3);
    for (uint64_t m = 1; m <= 3; m++) cr_assert_not_null(herd_dedup_find(d, 100 + m, 9));
    cr_assert_null(herd_dedup_find(d, 104, 9));
    cr_assert_null(herd_dedup_find(d, 105, 9));
    herd_dedup_truncate(d, 3); /* idempotent */
    cr_assert_eq(d->count, 3);
    herd_dedup_truncate(d, 0);
    cr_assert_eq(d->count, 0);
    free(d);
}

Test(dedup, emptied_index_is_byte_equal_to_a_fresh_one)
{
    herd_dedup *a = dedup_new(16, 0), *b = dedup_new(16, 0);
    for (uint64_t m = 1; m <= 12; m++) herd_dedup_insert(a, m * 7919u, sid_of(m, 0), 1, m, m);
    herd_dedup_truncate(a, 0);
    cr_assert_eq(a->ring_hw, 12);
    a->ring_hw = 0; /* the memory it touched: a statistic, as evicted */
    cr_assert_eq(memcmp(a, b, herd_dedup_bytes(16)), 0);
    for (uint64_t m = 1; m <= 40; m++) herd_dedup_insert(a, m, sid_of(m, 0), 1, m, m);
    herd_dedup_clear(a);
    cr_assert_eq(a->count, 0);
    a->evicted = 0; /* clear keeps the statistics */
    a->ring_hw = 0;
    cr_assert_eq(memcmp(a, b, herd_dedup_bytes(16)), 0);
    free(a);
    free(b);
}

/* ---- reference model: records in insertion order, scanned linearly ------------------ */

#define REF_MAX 256

typedef struct ref_dedup {
    uint32_t capacity, count;
    herd_time window_us;
    uint64_t evicted;
    herd_dedup_record rec[REF_MAX];
} ref_dedup;

static bool ref_expired(const ref_dedup *r, const herd_dedup_record *x, herd_time now)
{
    return r->window_us > 0 && x->inserted_us + r->window_us <= now;
}

static void ref_pop_front(ref_dedup *r)
{
    memmove(&r->rec[0], &r->rec[1], (r->count - 1u) * sizeof r->rec[0]);
    r->count--;
}

static const herd_dedup_record *ref_find(const ref_dedup *r, herd_msg_id msg, herd_time now)
{
    for (uint32_t i = 0; i < r->count; i++)
        if (r->rec[i].msg == msg && !ref_expired(r, &r->rec[i], now)) return &r->rec[i];
    return NULL;
}

static int ref_insert(ref_dedup *r, herd_dedup_record x, herd_time now)
{
    while (r->count > 0 && ref_expired(r, &r->rec[0], now)) ref_pop_front(r);
    if (ref_find(r, x.msg, now)) return HERD_EINVAL;
    if (r->count == r->capacity) {
        ref_pop_front(r);
        r->evicted++;
    }
    r->rec[r->count++] = x;
    return HERD_OK;
}

static void ref_truncate(ref_dedup *r, uint64_t keep_lsn)
{
    while (r->count > 0 && r->rec[r->count - 1u].lsn > keep_lsn) r->count--;
}

static void check_against_ref(const herd_dedup *d, const ref_dedup *r, uint64_t universe,
                              herd_time now)
{
    cr_assert_eq(d->count, r->count);
    cr_assert_eq(d->evicted, r->evicted);
    for (uint64_t m = 1; m <= universe; m++) {
        const herd_dedup_record *a = herd_dedup_find(d, m, now), *b = ref_find(r, m, now);
        cr_assert_eq(a == NULL, b == NULL, "msg %llu", (unsigned long long)m);
        if (a) cr_assert_eq(memcmp(a, b, sizeof *a), 0);
    }
}

/* One random run; the same seed drives `d` and `twin` so their bytes must agree. */
static void random_run(uint64_t seed, uint32_t ops, bool grow)
{
    herd_rng rng;
    herd_rng_seed(&rng, seed);
    uint32_t capacity = (uint32_t)herd_rng_range(&rng, 1, grow ? 200 : 24); /* growing: hash 64 -> 512 */
    herd_time window = herd_rng_below(&rng, 2) ? herd_rng_range(&rng, 1, 200) : 0;
    uint64_t universe = herd_rng_range(&rng, 1, 3u * capacity + 2u);
    herd_dedup *d = grow ? dedup_growing_new(capacity, window) : dedup_new(capacity, window);
    herd_dedup *twin = grow ? dedup_growing_new(capacity, window) : dedup_new(capacity, window);
    ref_dedup ref = {.capacity = capacity, .window_us = window};
    herd_time now = 0;
    uint64_t lsn = 0;
    for (uint32_t i = 0; i < ops; i++) {
        now += herd_rng_below(&rng, 20);
        uint64_t pick = herd_rng_below(&rng, 100);
        if (pick < 80) {
            herd_msg_id msg = herd_rng_range(&rng, 1, universe);
            herd_dedup_record x = {.msg = msg, .sid = {now / 1000u, i}, .lsn = lsn + 1u,
                                   .inserted_us = now, .room = (uint32_t)(msg % 3u)};
            int want = ref_insert(&ref, x, now);
            cr_assert_eq(herd_dedup_insert(d, msg, x.sid, x.room, x.lsn, now), want, "seed %llu op %u",
                         (unsigned long long)seed, i);
            herd_dedup_insert(twin, msg, x.sid, x.room, x.lsn, now);
            if (want == HERD_OK) lsn++;
        } else if (pick < 95) {
            uint64_t keep = lsn - herd_rng_below(&rng, 4u < lsn ? 4u : lsn + 1u);
            ref_truncate(&ref, keep);
            herd_dedup_truncate(d, keep);
            herd_dedup_truncate(twin, keep);
            lsn = keep; /* a crash truncates the log: lsns are reused */
        } else {
            ref.count = 0;
            herd_dedup_clear(d);
            herd_dedup_clear(twin);
        }
        check_against_ref(d, &ref, universe, now);
    }
    cr_assert_eq(memcmp(d, twin, herd_dedup_bytes(capacity)), 0, "seed %llu", (unsigned long long)seed);
    free(d);
    free(twin);
}

Test(dedup, random_ops_match_reference_model)
{
    for (uint64_t seed = 1; seed <= 300; seed++) random_run(seed, 600, false);
}

/* A growing hash answers exactly as a full-size one, through doublings, evictions,
 * truncations and clears. */
Test(dedup, growing_hash_matches_reference_model)
{
    for (uint64_t seed = 1; seed <= 300; seed++) random_run(seed, 600, true);
}

Test(dedup, growing_index_touches_what_it_holds)
{
    uint32_t capacity = 1u << 20;
    herd_dedup *d = dedup_growing_new(capacity, 0);
    size_t at_start = herd_dedup_used_bytes(d);
    cr_assert_lt(at_start, 1024u);
    for (uint64_t i = 1; i <= 1000; i++) cr_assert_eq(herd_dedup_insert(d, i * 7919u, sid_of(i, 0), 0, i, i), HERD_OK);
    cr_assert_eq(d->buckets, 2048u, "the hash doubled to keep its load at most 1/2");
    cr_assert_eq(herd_dedup_used_bytes(d), at_start + 1000u * sizeof(herd_dedup_record) + (2048u - 64u) * 4u);
    for (uint64_t i = 1; i <= 1000; i++) cr_assert_not_null(herd_dedup_find(d, i * 7919u, 1001));
    cr_assert_lt(herd_dedup_used_bytes(d) * 100u, herd_dedup_bytes(capacity), "a hundredth of the reservation");
    free(d);
}

Test(dedup, large_index_stays_consistent)
{
    /* enough records for long probe runs and wrap-around in the bucket array */
    uint32_t capacity = 1u << 12;
    herd_dedup *d = dedup_new(capacity, 0);
    herd_rng rng;
    herd_rng_seed(&rng, 99);
    for (uint64_t i = 1; i <= 5u * capacity; i++) {
        herd_msg_id m = herd_msg_make((uint32_t)herd_rng_below(&rng, 1000), (uint32_t)i);
        cr_assert_eq(herd_dedup_insert(d, m, sid_of(i, 0), 0, i, i), HERD_OK);
    }
    cr_assert_eq(d->count, capacity);
    cr_assert_eq(d->evicted, 4u * capacity);
    herd_dedup_truncate(d, 5u * capacity - 100u);
    cr_assert_eq(d->count, capacity - 100u);
    free(d);
}
