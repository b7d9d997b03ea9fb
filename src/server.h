/* server.h — the server session machine: handshake, resume, publish with dedup.
 *
 * One herd_session per accepted connection. States (enum herd_session_state):
 *   OPEN      accepted, waiting for RESUME (the handshake)
 *   RESUMING  subscribed to the room; reading the stream after lastSeenId and delivering
 *   LIVE      replay done (RESUMED sent); fan-out delivered as it comes
 *   CLOSED    the connection is gone; late store results and fan-out are ignored
 *
 * Publish (correct protocol): PUBLISH -> STORE(PUBLISH_DEDUP) -> result -> ACK (only now:
 * the store has the write) -> FANOUT to the room. A duplicate is fanned out too, with an
 * unknown predecessor (prev = sid): the server that appended it may have crashed before
 * its own fan-out, and a live subscriber would otherwise wait for it forever. Variants
 * (herd_protocol) change exactly one step each. Store operations are effects; their
 * results come back through herd_session_on_store_result in the order the operations were
 * issued, so a crash can fall between any two steps.
 *
 * Delivery keeps order without trusting the fan-out's order: every FANOUT carries the id
 * before it in the stream (prev). A live session delivers a fan-out at once only when
 * prev is the last id it sent; otherwise it reads the stream after its last id. A resume
 * that finds trimmed history after lastSeenId sends GAP first (never a silent skip).
 *
 * herd_server is the process: its epoch and, for the dedup_local variant, its cache
 * (a caller-owned herd_dedup block passed to each call; NULL unless dedup_local). */
#ifndef HERD_SERVER_H
#define HERD_SERVER_H

#include "dedup.h"
#include "effect.h"
#include "protocol.h"
#include "store.h"

enum herd_session_state {
    HERD_SESSION_OPEN = 0,
    HERD_SESSION_RESUMING,
    HERD_SESSION_LIVE,
    HERD_SESSION_CLOSED,
    HERD_SESSION_STATE_COUNT
};

/* Store operations outstanding per session. A client that keeps its queue bound sends at
 * most HERD_QUEUE_MAX publishes per connection, and a session has at most one read in
 * flight, so a well-behaved client never reaches this (server.c asserts it); only one
 * that ignores its bound is answered with 1013. */
#define HERD_SESSION_INFLIGHT_MAX 128

typedef struct herd_server_config {
    herd_protocol proto;
    uint16_t read_batch; /* entries per resume read, 1..HERD_READ_MAX */
    uint16_t pad;
} herd_server_config;

typedef struct herd_session {
    herd_sid last_sent;  /* last stream id sent to the client (or skipped by GAP) */
    uint32_t client;
    uint32_t room;
    uint32_t conn;       /* the client's connection generation */
    uint16_t inflight;   /* store operations issued, results not yet back */
    uint8_t state;       /* enum herd_session_state */
    uint8_t reading;     /* a READ is among the inflight operations */
    uint8_t dirty;       /* fan-out arrived during a read: read again */
    uint8_t pad;
} herd_session;

/* A store result as the driver hands it back. For READ, entries[0..n) in order. */
typedef struct herd_store_result {
    uint8_t op;                 /* the herd_store_op it answers */
    int16_t err;                /* HERD_OK, or the store's error for this request */
    uint32_t room;              /* the request's room */
    herd_msg_id msg;            /* the request's message (PUBLISH_DEDUP, APPEND) */
    herd_publish_result pub;    /* PUBLISH_DEDUP, APPEND */
    herd_read_info info;        /* READ */
    uint32_t n;
    herd_entry entries[HERD_READ_MAX];
} herd_store_result;

int herd_server_config_validate(const herd_server_config *cfg);
void herd_session_open(herd_session *s, uint32_t conn, herd_time now);
int herd_session_on_frame(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                          const herd_frame *f, herd_time now, herd_outbox *out);
int herd_session_on_store_result(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                                 const herd_store_result *r, herd_time now, herd_outbox *out);
int herd_session_on_fanout(herd_session *s, const herd_server_config *cfg, uint32_t room,
                           herd_sid sid, herd_sid prev, herd_msg_id msg, herd_time now,
                           herd_outbox *out);
/* The connection closed (either side); the session ignores everything after. */
void herd_session_close(herd_session *s);
/* Run one store request against a store: the glue every driver uses. */
int herd_store_execute(herd_store *st, herd_time now, const herd_store_req *req,
                       herd_store_result *res);
const char *herd_session_state_name(int state);

#endif
