/* redis_store.h — the durable stream store of the live driver: a real Redis, through
 * hiredis, answering the core's store requests (effect.h herd_store_req) with the same
 * herd_store_result the model store gives (src/store_exec.c).
 *
 * One stream per room (key herd:room:R, one field m = the message id as a decimal).
 * PUBLISH_DEDUP is ONE Lua script (EVALSHA): look the id up in the dedup hash
 * (herd:dedup), and only if absent XADD with MAXLEN = the scenario's maxlen and record the
 * id; Redis runs a script atomically, so an id is appended at most once whatever crashes.
 * APPEND (the dedup_none variant) runs the same script without the lookup. READ is a
 * second script: XRANGE after an exclusive id plus XINFO STREAM (first entry, last
 * generated id, max-deleted-entry-id), so the gap flag means what the model's does.
 * The publish script also appends a notice (room, sid, prev, msg) to one feed stream,
 * herd:feed (MAXLEN ~ 100 000), in the same atomic step: the servers' fan-out across
 * processes reads it with one XRANGE per poll, whatever the number of rooms.
 * Approximation (docs/live.md): the dedup hash has no window or capacity; it keeps every
 * id for the run.
 *
 * Calls are synchronous (loopback, tens of µs each). When Redis is down a request fails
 * with HERD_LIVE_ESTORE_DOWN (the session closes its connection with 1011, the client
 * resumes) and the connection is retried at most every HERD_LIVE_REDIS_RETRY_US. */
#ifndef HERD_LIVE_REDIS_STORE_H
#define HERD_LIVE_REDIS_STORE_H

#include "server.h"

#define HERD_LIVE_ESTORE_DOWN (-60) /* live only: the store did not answer */
#define HERD_LIVE_REDIS_RETRY_US 100000u

typedef struct herd_live_redis herd_live_redis;

/* Connect to 127.0.0.1:port (may fail now and succeed later). NULL only without memory. */
herd_live_redis *herd_live_redis_open(int port, uint32_t maxlen);
void herd_live_redis_close(herd_live_redis *r);
/* Run one request; fills *res as herd_store_execute does. Returns res->err. */
int herd_live_redis_execute(herd_live_redis *r, herd_time now, const herd_store_req *req,
                            herd_store_result *res);
/* A fan-out notice from the feed (herd:feed): an append made by any server. */
typedef struct herd_live_notice {
    uint32_t room;
    herd_sid sid, prev;
    herd_msg_id msg;
} herd_live_notice;

/* Notices after the feed id *after, at most max, oldest first; advances *after. A zero
 * *after is first set to the feed's current end (returns 0). Returns the count, or -1
 * when Redis did not answer. */
int herd_live_redis_feed(herd_live_redis *r, herd_sid *after, herd_live_notice *out, uint32_t max);
/* Every entry of room's stream after `after`, at most limit (cross-server fan-out and the
 * end-of-run check). Returns the count, or -1 when Redis did not answer. */
int herd_live_redis_range(herd_live_redis *r, uint32_t room, herd_sid after, uint32_t limit,
                          herd_entry *out);

#endif
