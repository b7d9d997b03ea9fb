/* dedup.c — the bounded, windowed index of client message ids (see dedup.h).
 *
 * Owns one pointer-free block: the herd_dedup header, then herd_dedup_record
 * ring[capacity] (FIFO: insertion order, which is also expiry order and lsn order), then
 * uint32_t bucket[buckets], an open-addressing hash (linear probing, backward-shift
 * deletion, so no tombstones) whose values are ring index + 1 (0 = empty). Every record
 * leaves through the head (expiry, eviction) or the tail (truncate after a crash), so
 * find and insert are O(1) amortised and every loop is bounded by capacity or buckets.
 *
 * Canonical bytes: init zeroes the whole block, a removed record's slot is zeroed, and
 * an emptied ring restarts at slot 0, so the same operations always give the same bytes.
 * Callers pass a non-decreasing now.
 *
 * Growing: the hash in use is the first `buckets` of the buckets_max laid out. Before an
 * insert would take the load above 1/2, the hash doubles: its new prefix is zeroed and
 * every record is put again (O(count), amortised O(1)). Probe orders depend on the size,
 * membership does not, so a growing index answers exactly as a full-size one. */
#include "dedup.h"

#include <assert.h>
#include <string.h>

#include "check.h"
#include "error.h"

/* The block is hashed bytewise: its structs must have no compiler padding. */
_Static_assert(sizeof(herd_dedup) == 40, "herd_dedup has hidden padding");
_Static_assert(sizeof(herd_dedup_record) == 48, "herd_dedup_record has hidden padding");

#define DEDUP_BUCKETS_START 64u /* a growing hash's first size */

/* The ring starts right after the header; records are 8-byte aligned. */
#define DEDUP_RING_OFFSET ((sizeof(herd_dedup) + 7u) & ~(size_t)7u)

static herd_dedup_record *dedup_ring(herd_dedup *d)
{
    return (herd_dedup_record *)((unsigned char *)d + DEDUP_RING_OFFSET);
}

static const herd_dedup_record *dedup_ring_c(const herd_dedup *d)
{
    return (const herd_dedup_record *)((const unsigned char *)d + DEDUP_RING_OFFSET);
}

static uint32_t *dedup_bucket(herd_dedup *d)
{
    return (uint32_t *)((unsigned char *)dedup_ring(d) +
                        (size_t)d->capacity * sizeof(herd_dedup_record));
}

static const uint32_t *dedup_bucket_c(const herd_dedup *d)
{
    return (const uint32_t *)((const unsigned char *)dedup_ring_c(d) +
                              (size_t)d->capacity * sizeof(herd_dedup_record));
}

/* Message ids are (client << 32 | seq): the low bits alone cluster badly, so mix all 64
 * bits (the murmur3 / splitmix64 finaliser) before masking. */
static uint64_t dedup_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    x ^= x >> 31;
    return x;
}

static uint32_t dedup_home(const herd_dedup *d, herd_msg_id msg)
{
    return (uint32_t)(dedup_mix(msg) & (uint64_t)(d->buckets - 1u));
}

static uint32_t dedup_buckets_for(uint32_t capacity)
{
    uint32_t b = 2;
    while (b < 2u * capacity) b <<= 1; /* capacity <= 2^26: at most 27 doublings */
    return b;
}

/* Ring slot of logical position i: head < capacity and i <= capacity, so a conditional
 * subtraction replaces a division (capacity <= 2^26: no overflow). */
static uint32_t dedup_slot(const herd_dedup *d, uint32_t i)
{
    assert(d->head < d->capacity && i <= d->capacity);
    uint32_t x = d->head + i;
    return x >= d->capacity ? x - d->capacity : x;
}

static bool dedup_expired(const herd_dedup *d, const herd_dedup_record *r, herd_time now)
{
    return d->window_us > 0 && herd_time_add(r->inserted_us, d->window_us) <= now;
}

size_t herd_dedup_bytes(uint32_t capacity)
{
    if (capacity == 0 || capacity > HERD_DEDUP_CAPACITY_MAX) return 0;
    size_t ring = (size_t)capacity;
    size_t buckets = (size_t)dedup_buckets_for(capacity);
    if (ring > (SIZE_MAX - DEDUP_RING_OFFSET) / sizeof(herd_dedup_record)) return 0;
    size_t bytes = DEDUP_RING_OFFSET + ring * sizeof(herd_dedup_record);
    if (buckets > (SIZE_MAX - bytes) / sizeof(uint32_t)) return 0;
    bytes += buckets * sizeof(uint32_t);
    if (bytes > SIZE_MAX - 7u) return 0;
    return (bytes + 7u) & ~(size_t)7u; /* so a block placed after it stays aligned */
}

int herd_dedup_init(herd_dedup *d, size_t bytes, uint32_t capacity, herd_time window_us)
{
    size_t need = herd_dedup_bytes(capacity);
    if (d == NULL || need == 0) return HERD_EINVAL;
    if (bytes < need) return HERD_ENOSPACE;
    memset(d, 0, need);
    d->capacity = capacity;
    d->buckets = d->buckets_max = dedup_buckets_for(capacity);
    d->window_us = window_us;
    return HERD_OK;
}

int herd_dedup_init_growing(herd_dedup *d, size_t bytes, uint32_t capacity, herd_time window_us)
{
    size_t need = herd_dedup_bytes(capacity);
    if (d == NULL || need == 0) return HERD_EINVAL;
    if (bytes < need) return HERD_ENOSPACE;
    memset(d, 0, sizeof *d);
    d->capacity = capacity;
    d->buckets_max = dedup_buckets_for(capacity);
    d->buckets = d->buckets_max < DEDUP_BUCKETS_START ? d->buckets_max : DEDUP_BUCKETS_START;
    d->window_us = window_us;
    memset(dedup_bucket(d), 0, (size_t)d->buckets * sizeof(uint32_t));
    return HERD_OK;
}

size_t herd_dedup_used_bytes(const herd_dedup *d)
{
    return DEDUP_RING_OFFSET + (size_t)d->ring_hw * sizeof(herd_dedup_record) + (size_t)d->buckets * sizeof(uint32_t);
}

/* The bucket holding ring slot `slot` (whose record is in the ring). */
static uint32_t dedup_bucket_of(const herd_dedup *d, uint32_t slot)
{
    const uint32_t *bucket = dedup_bucket_c(d);
    uint32_t mask = d->buckets - 1u;
    uint32_t i = dedup_home(d, dedup_ring_c(d)[slot].msg);
    for (uint32_t probes = 0; probes < d->buckets; probes++) {
        if (bucket[i] == slot + 1u) return i;
        assert(bucket[i] != 0 && "a ring record is missing from the hash");
        i = (i + 1u) & mask;
    }
    assert(0 && "hash table has no empty bucket");
    return 0;
}

/* Backward-shift deletion: pull later members of the probe run into the hole unless
 * their home lies cyclically in (hole, j], so every run stays contiguous. */
static void dedup_hash_remove(herd_dedup *d, uint32_t hole)
{
    uint32_t *bucket = dedup_bucket(d);
    const herd_dedup_record *ring = dedup_ring_c(d);
    uint32_t mask = d->buckets - 1u;
    uint32_t j = hole;
    for (uint32_t probes = 0; probes < d->buckets; probes++) {
        j = (j + 1u) & mask;
        if (bucket[j] == 0) break;
        uint32_t home = dedup_home(d, ring[bucket[j] - 1u].msg);
        /* distance from home to j versus from hole to j, both cyclic */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            bucket[hole] = bucket[j];
            hole = j;
        }
    }
    bucket[hole] = 0;
}

static void dedup_hash_put(herd_dedup *d, uint32_t slot)
{
    uint32_t *bucket = dedup_bucket(d);
    uint32_t mask = d->buckets - 1u;
    uint32_t i = dedup_home(d, dedup_ring_c(d)[slot].msg);
    /* load factor <= 1/2, so an empty bucket is always reached */
    for (uint32_t probes = 0; probes < d->buckets && bucket[i] != 0; probes++) i = (i + 1u) & mask;
    assert(bucket[i] == 0);
    bucket[i] = slot + 1u;
}

/* Double the hash in use and put every record again (the ring order: deterministic). */
static void dedup_grow(herd_dedup *d)
{
    herd_assert(d->buckets < d->buckets_max);
    d->buckets *= 2u;
    memset(dedup_bucket(d), 0, (size_t)d->buckets * sizeof(uint32_t));
    for (uint32_t i = 0; i < d->count; i++) dedup_hash_put(d, dedup_slot(d, i));
}

static void dedup_remove_slot(herd_dedup *d, uint32_t slot)
{
    dedup_hash_remove(d, dedup_bucket_of(d, slot));
    memset(&dedup_ring(d)[slot], 0, sizeof(herd_dedup_record));
    d->count--;
}

static void dedup_pop_head(herd_dedup *d)
{
    assert(d->count > 0);
    dedup_remove_slot(d, d->head);
    d->head = (d->count == 0) ? 0 : dedup_slot(d, 1u);
}

static void dedup_pop_tail(herd_dedup *d)
{
    assert(d->count > 0);
    uint32_t tail = dedup_slot(d, d->count - 1u);
    dedup_remove_slot(d, tail);
    if (d->count == 0) d->head = 0;
}

const herd_dedup_record *herd_dedup_find(const herd_dedup *d, herd_msg_id msg, herd_time now)
{
    assert(d != NULL);
    const uint32_t *bucket = dedup_bucket_c(d);
    const herd_dedup_record *ring = dedup_ring_c(d);
    uint32_t mask = d->buckets - 1u;
    uint32_t i = dedup_home(d, msg);
    for (uint32_t probes = 0; probes < d->buckets && bucket[i] != 0; probes++) {
        const herd_dedup_record *r = &ring[bucket[i] - 1u];
        /* an expired twin can only linger if now went backwards: keep probing past it */
        if (r->msg == msg && !dedup_expired(d, r, now)) return r;
        i = (i + 1u) & mask;
    }
    return NULL;
}

int herd_dedup_insert(herd_dedup *d, herd_msg_id msg, herd_sid sid, uint32_t room, uint64_t lsn,
                      herd_time now)
{
    assert(d != NULL && d->capacity > 0);
    /* Expired records form a prefix of the ring (insertion order is expiry order). */
    while (d->count > 0 && dedup_expired(d, &dedup_ring_c(d)[d->head], now)) dedup_pop_head(d);
    if (herd_dedup_find(d, msg, now) != NULL) return HERD_EINVAL;
    if (d->count == d->capacity) {
        dedup_pop_head(d); /* the count window: the oldest record goes */
        d->evicted++;
    }
    if (2u * ((uint64_t)d->count + 1u) > d->buckets && d->buckets < d->buckets_max) dedup_grow(d);
    uint32_t slot = dedup_slot(d, d->count);
    if (slot >= d->ring_hw) d->ring_hw = slot + 1u;
    herd_dedup_record *r = &dedup_ring(d)[slot];
    assert(r->msg == 0 && r->lsn == 0 && "free ring slots are zero");
    *r = (herd_dedup_record){.msg = msg, .sid = sid, .lsn = lsn, .inserted_us = now, .room = room};
    d->count++;
    dedup_hash_put(d, slot);
    return HERD_OK;
}

void herd_dedup_truncate(herd_dedup *d, uint64_t keep_lsn)
{
    assert(d != NULL);
    /* Records are in lsn order, so the ones a crash loses sit at the tail. */
    while (d->count > 0) {
        uint32_t tail = dedup_slot(d, d->count - 1u);
        if (dedup_ring_c(d)[tail].lsn <= keep_lsn) break;
        dedup_pop_tail(d);
    }
}

/* Zero the live records and the hash in use (free slots are zero already), so the bytes
 * are those of a fresh index, without touching what the index never used. */
void herd_dedup_clear(herd_dedup *d)
{
    assert(d != NULL);
    uint32_t first = d->capacity - d->head < d->count ? d->capacity - d->head : d->count;
    memset(&dedup_ring(d)[d->head], 0, (size_t)first * sizeof(herd_dedup_record));
    memset(dedup_ring(d), 0, (size_t)(d->count - first) * sizeof(herd_dedup_record));
    memset(dedup_bucket(d), 0, (size_t)d->buckets * sizeof(uint32_t));
    d->head = 0;
    d->count = 0;
}
