/* effect.h — what a machine asks its driver to do, and the bounded outbox that holds it.
 *
 * A machine never performs I/O: each input appends effects to a caller-owned outbox,
 * which the driver (simulator, model checker, later a socket driver) drains in order.
 * The outbox is bounded (HERD_OUTBOX_MAX); a machine checks it has room for all the
 * effects of an input before changing any state, and fails with HERD_EOUTBOX otherwise,
 * so an input is applied whole or not at all.
 *
 * Effects, and the fields each uses (conn is the connection generation they belong to):
 *   CONNECT    conn              client: open a new connection
 *   SEND       conn, frame       send a frame on the current connection
 *   CLOSE      conn, code, retry_after_ms   close the connection
 *   DELIVER    sid, msg, room    client: hand a message to the application
 *   GAP        prev, sid         client: tell the application (prev, sid] is lost
 *   ACKED      msg               client: the application's message is durable
 *   GIVE_UP                      client: the policy stopped reconnecting
 *   STORE      req               server: run a store operation, answer with the result
 *   SUBSCRIBE  room              server: deliver the room's fan-out to this session
 *   FANOUT     room, sid, prev, msg  server: tell every subscriber of room; prev is the
 *                                    id before sid in the stream, or sid itself when
 *                                    unknown (a duplicate's notice: subscribers read) */
#ifndef HERD_EFFECT_H
#define HERD_EFFECT_H

#include "frame.h"
#include "types.h"

enum herd_effect_kind {
    HERD_FX_CONNECT = 1,
    HERD_FX_SEND,
    HERD_FX_CLOSE,
    HERD_FX_DELIVER,
    HERD_FX_GAP,
    HERD_FX_ACKED,
    HERD_FX_GIVE_UP,
    HERD_FX_STORE,
    HERD_FX_SUBSCRIBE,
    HERD_FX_FANOUT,
};

enum herd_store_op {
    HERD_STORE_OP_PUBLISH_DEDUP = 1, /* atomic dedup check + append */
    HERD_STORE_OP_APPEND,            /* plain append, no dedup */
    HERD_STORE_OP_READ,              /* read after an exclusive id */
};

typedef struct herd_store_req {
    uint8_t op;       /* enum herd_store_op */
    uint16_t limit;   /* READ: entries at most, 1..HERD_READ_MAX */
    uint32_t room;
    herd_msg_id msg;  /* PUBLISH_DEDUP, APPEND */
    herd_sid after;   /* READ */
} herd_store_req;

typedef struct herd_effect {
    uint8_t kind;     /* enum herd_effect_kind */
    uint16_t code;    /* CLOSE */
    uint32_t conn;
    uint32_t room;    /* DELIVER, SUBSCRIBE, FANOUT */
    uint32_t retry_after_ms; /* CLOSE */
    herd_msg_id msg;  /* DELIVER, ACKED, FANOUT */
    herd_sid sid;     /* DELIVER, GAP, FANOUT */
    herd_sid prev;    /* GAP, FANOUT */
    herd_frame frame; /* SEND */
    herd_store_req req; /* STORE */
} herd_effect;

#define HERD_OUTBOX_MAX 160 /* a full read (64 DELIVERs) + GAP + RESUMED + resends + slack */

typedef struct herd_outbox {
    uint32_t count;
    herd_effect fx[HERD_OUTBOX_MAX];
} herd_outbox;

static inline void herd_outbox_clear(herd_outbox *o) { o->count = 0; }
static inline uint32_t herd_outbox_room(const herd_outbox *o) { return HERD_OUTBOX_MAX - o->count; }
/* Append a zeroed effect of this kind; the caller has checked herd_outbox_room(). */
static inline herd_effect *herd_outbox_push(herd_outbox *o, uint8_t kind)
{
    herd_effect *e = &o->fx[o->count++];
    *e = (herd_effect){0};
    e->kind = kind;
    return e;
}

#endif
