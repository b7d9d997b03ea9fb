/* dedup.h — a bounded index of client message ids, with a time window.
 *
 * Used twice: inside the durable store (the correct protocol's dedup, written atomically
 * with the append and lost or kept with it on a crash), and as a server-local cache (the
 * broken "dedup_local" variant). Records live in a FIFO ring in insertion order (which is
 * also expiry order and log order) with an open-addressing hash over ring slots, so find
 * and insert are O(1). A record older than window_us is expired and no longer found; the
 * oldest record is evicted when the ring is full (a count window). The whole index is one
 * pointer-free block of herd_dedup_bytes(capacity) bytes: copy it with memcpy.
 *
 * herd_dedup_init lays out the whole hash (2 x capacity buckets or more) and zeroes the
 * block. herd_dedup_init_growing takes a block that is already zero and starts with a
 * small hash that doubles (and is rebuilt from the ring) as records arrive, so a large
 * index touches memory in proportion to the records it holds (herd_dedup_used_bytes);
 * both answer every call the same way. */
#ifndef HERD_DEDUP_H
#define HERD_DEDUP_H

#include "types.h"

#define HERD_DEDUP_CAPACITY_MAX (1u << 26)

typedef struct herd_dedup_record {
    herd_msg_id msg;
    herd_sid sid;
    uint64_t lsn;         /* store log sequence number of the write that made it */
    herd_time inserted_us;
    uint32_t room;
    uint32_t pad;
} herd_dedup_record;

typedef struct herd_dedup {
    uint32_t capacity;   /* ring slots */
    uint32_t buckets;    /* hash slots in use, a power of two >= 2 * count (<= buckets_max) */
    uint32_t buckets_max; /* hash slots laid out, a power of two >= 2 * capacity */
    uint32_t ring_hw;    /* ring slots ever written (memory touched), <= capacity */
    uint32_t head;       /* oldest record */
    uint32_t count;
    herd_time window_us; /* 0 = no time window (count window only) */
    uint64_t evicted;    /* records pushed out by the count window */
    /* followed by herd_dedup_record ring[capacity] and uint32_t bucket[buckets]
     * (0 = empty, else ring index + 1) */
} herd_dedup;

/* Bytes for a dedup index of this capacity, or 0 if capacity is 0 or too large. */
size_t herd_dedup_bytes(uint32_t capacity);
int herd_dedup_init(herd_dedup *d, size_t bytes, uint32_t capacity, herd_time window_us);
/* The same index, from a block that is already zero, with a hash that grows with use. */
int herd_dedup_init_growing(herd_dedup *d, size_t bytes, uint32_t capacity, herd_time window_us);
/* Bytes of the block touched so far: header, ring slots written, the hash in use. */
size_t herd_dedup_used_bytes(const herd_dedup *d);
/* Find an unexpired record for msg; returns it or NULL. */
const herd_dedup_record *herd_dedup_find(const herd_dedup *d, herd_msg_id msg, herd_time now);
/* Insert a record (msg must not be present unexpired). Evicts the oldest when full. */
int herd_dedup_insert(herd_dedup *d, herd_msg_id msg, herd_sid sid, uint32_t room, uint64_t lsn,
                      herd_time now);
/* Crash: drop every record with lsn > keep_lsn (they are the newest). */
void herd_dedup_truncate(herd_dedup *d, uint64_t keep_lsn);
/* Drop every record. */
void herd_dedup_clear(herd_dedup *d);

#endif
