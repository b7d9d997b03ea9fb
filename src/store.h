/* store.h — the durable stream store: a model of Redis Streams (and of a PostgreSQL
 * message table) with a dedup index and durability modes.
 *
 * One stream per room (a Redis key per room). Semantics kept from Redis Streams:
 *  - ids are ms-seq and strictly increasing per stream; an automatic id is
 *    max(now_ms, top.ms)-(seq) as XADD's "*"; an explicit id at or below the top, or 0-0,
 *    is rejected (HERD_ESTORE_ID);
 *  - trimming by MAXLEN (also automatic: the stream keeps at most maxlen entries) and by
 *    MINID; the largest trimmed id is kept (XINFO's max-deleted-entry-id) so a reader can
 *    tell trimmed history from history that never existed;
 *  - range reads start from an exclusive id (XRANGE (id + COUNT, XREAD);
 *  - the first entry's id is exposed (XINFO STREAM first-entry).
 * Publishing with dedup is one atomic step (the recommended recipe: a Lua script that
 * checks a dedup key and XADDs, or INSERT ... ON CONFLICT DO NOTHING).
 *
 * Durability: every write gets a log sequence number (lsn). durable_lsn is the last lsn
 * that survives a crash. Modes:
 *  - NONE: nothing survives a crash (the store restarts empty);
 *  - AOF_EVERYSEC: the log is fsynced by a timer every fsync_interval_us (1 s); a crash
 *    loses every write after the last fsync, ACKed or not;
 *  - AOF_ALWAYS, PG_SYNC: durable before the reply;
 *  - PG_ASYNC (synchronous_commit = off): flushed every fsync_interval_us (3 x 200 ms).
 * The timer is a const deadline query plus herd_store_on_timer(now).
 *
 * The store is one pointer-free block of herd_store_bytes(config) bytes: a model checker
 * copies it with memcpy, a simulator allocates it once. Nothing here allocates.
 *
 * Two layouts (config.grow). Flat (0): every room's ring of maxlen entries is laid out at
 * init, and init zeroes the block; small stores (the model checker's) use it. Growing
 * (1): a room's ring starts empty and doubles from HERD_RING_MIN entries up to maxlen,
 * taking regions from an arena inside the block (a freed region is reused by the next
 * ring of its size), and the dedup index's hash grows with its records. The block is then
 * a reservation: herd_store_bytes counts the worst case (every ring grown to maxlen with
 * no reuse), the caller hands memory that is already zero (a fresh anonymous mapping), and
 * init and the operations touch only the header, the per-room records and what the run
 * stores, so the memory a run uses follows the messages it keeps, not rooms x maxlen
 * (herd_store_used_bytes). Both layouts give the same answers to every operation. */
#ifndef HERD_STORE_H
#define HERD_STORE_H

#include "dedup.h"
#include "types.h"

enum herd_durability {
    HERD_DURABLE_NONE = 0,
    HERD_DURABLE_AOF_EVERYSEC,
    HERD_DURABLE_AOF_ALWAYS,
    HERD_DURABLE_PG_SYNC,
    HERD_DURABLE_PG_ASYNC,
    HERD_DURABLE_COUNT
};

#define HERD_STORE_ROOMS_MAX (1u << 24)
#define HERD_STORE_MAXLEN_MAX (1u << 26)
#define HERD_READ_MAX 64 /* entries one read returns at most */
#define HERD_RING_MIN 8u /* a growing ring's first size, in entries */
#define HERD_RING_CLASSES 24 /* ring sizes 8, 16, ... 2^26 = HERD_STORE_MAXLEN_MAX */

typedef struct herd_store_config {
    uint32_t rooms;             /* streams, 1..HERD_STORE_ROOMS_MAX */
    uint32_t maxlen;            /* entries kept per stream (MAXLEN), 1..HERD_STORE_MAXLEN_MAX */
    uint32_t dedup_capacity;    /* dedup records kept, 1..HERD_DEDUP_CAPACITY_MAX */
    uint8_t durability;         /* enum herd_durability */
    uint8_t grow;               /* 1: rings and the dedup hash grow with use (see above) */
    uint8_t pad[2];
    herd_time dedup_window_us;  /* 0 = only the count window */
    herd_time fsync_interval_us; /* EVERYSEC and PG_ASYNC flush period; 0 = mode default */
} herd_store_config;

typedef struct herd_entry {
    herd_sid sid;
    herd_msg_id msg;
    uint64_t lsn;
} herd_entry;

typedef struct herd_store_stream {
    herd_sid top;          /* last id generated (survives trimming, not a lossy crash) */
    herd_sid max_deleted;  /* largest id trimmed away; 0-0 if none */
    uint32_t head;         /* ring index of the first entry */
    uint32_t len;          /* entries in the ring */
    uint64_t added;        /* entries ever added (XINFO entries-added) */
} herd_store_stream;

typedef struct herd_store {
    herd_store_config cfg;
    uint64_t next_lsn;     /* lsn of the next write (from 1) */
    uint64_t durable_lsn;  /* every write with lsn <= durable_lsn survives a crash */
    herd_time next_fsync;  /* HERD_TIME_NEVER when the mode has no timer */
    uint64_t crashes;
    uint64_t lost_writes;  /* writes dropped by crashes */
    /* followed by herd_store_stream streams[rooms], herd_entry ring[rooms * maxlen],
     * and the dedup index (herd_dedup, herd_dedup_bytes(dedup_capacity)) */
} herd_store;

/* Outcome of one atomic publish. */
enum herd_publish_status { HERD_PUBLISH_APPENDED = 1, HERD_PUBLISH_DUPLICATE = 2 };

typedef struct herd_publish_result {
    uint8_t status;   /* enum herd_publish_status */
    uint8_t durable;  /* 1 if the write is already durable (survives a crash now) */
    herd_sid sid;     /* where the message is (new or earlier entry) */
    herd_sid prev;    /* id before it in the stream at append time (0-0 if first) */
    uint64_t lsn;
} herd_publish_result;

typedef struct herd_read_info {
    herd_sid first;       /* first entry's id, 0-0 if empty */
    herd_sid top;         /* last generated id */
    herd_sid max_deleted; /* largest trimmed id */
    uint8_t gap;          /* 1 if entries after the read's start were trimmed */
    uint8_t more;         /* 1 if the read stopped at its limit with entries left */
} herd_read_info;

/* Bytes for a store of this configuration, or 0 if the configuration is invalid or the
 * size would overflow. With grow, a reservation: see herd_store_used_bytes. */
size_t herd_store_bytes(const herd_store_config *cfg);
/* Bytes of the block the store has touched so far: the header and per-room records, the
 * ring regions handed out, the dedup index's records and live hash (the whole block in
 * the flat layout). */
size_t herd_store_used_bytes(const herd_store *s);
/* Bytes a growing store touches at init, before any message: header and per-room records. */
size_t herd_store_base_bytes(const herd_store_config *cfg);
/* Check a configuration's ranges; HERD_OK or HERD_EINVAL. */
int herd_store_config_validate(const herd_store_config *cfg);
/* Flat layout: zeroes the block. Growing layout: the block must be zero already. */
int herd_store_init(herd_store *s, size_t bytes, const herd_store_config *cfg, herd_time now);

/* XADD room * (explicit == NULL) or XADD room <explicit>. Fills *sid with the new id. */
int herd_store_xadd(herd_store *s, herd_time now, uint32_t room, const herd_sid *explicit_id,
                    herd_msg_id msg, herd_sid *sid);
/* Atomic dedup check + append + dedup record (the correct protocol's publish). With
 * dedup == 0 it is a plain append (the broken variants). */
int herd_store_publish(herd_store *s, herd_time now, uint32_t room, herd_msg_id msg, int dedup,
                       herd_publish_result *res);
/* Read up to limit (<= HERD_READ_MAX) entries with id > after, in order. */
int herd_store_read(const herd_store *s, uint32_t room, herd_sid after, uint32_t limit,
                    herd_entry *out, uint32_t *n, herd_read_info *info);
/* XTRIM MAXLEN n / XTRIM MINID id: returns the number of entries removed (>= 0). */
int herd_store_trim_maxlen(herd_store *s, uint32_t room, uint32_t maxlen);
int herd_store_trim_minid(herd_store *s, uint32_t room, herd_sid minid);
/* The entry with this id, or NULL. */
const herd_entry *herd_store_find(const herd_store *s, uint32_t room, herd_sid sid);
bool herd_store_is_durable(const herd_store *s, uint64_t lsn);
const herd_store_stream *herd_store_stream_info(const herd_store *s, uint32_t room);
const herd_dedup *herd_store_dedup(const herd_store *s);

/* Timer: next fsync, or HERD_TIME_NEVER. on_timer makes everything written so far durable. */
herd_time herd_store_deadline(const herd_store *s);
void herd_store_on_timer(herd_store *s, herd_time now);
/* Crash and restart: drop every write not yet durable (entries and dedup records), as the
 * durability mode says; the streams' tops fall back to their last surviving entry. */
void herd_store_crash(herd_store *s, herd_time now);

const char *herd_durability_name(int mode);
int herd_durability_parse(const char *name); /* mode, or HERD_EINVAL */

#endif
