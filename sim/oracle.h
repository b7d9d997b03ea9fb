/* oracle.h — the simulator's online checker of the protocol's numbered invariants.
 *
 * The numbers are those of docs/protocol.md; every violation message cites one:
 *   I1 no loss: every ACKed message stays in its room's stream (a store crash must not
 *      drop it) and reaches every subscriber, unless a GAP covering it was signalled;
 *   I2 no duplicate append: no message id is appended twice;
 *   I3 no duplicate delivery to an application;
 *   I4 order: deliveries to a subscriber ascend in stream order;
 *   I5 ACK after durability: when an ACK is sent, its entry exists and is durable;
 *   I6 no silent gap: consecutive deliveries are consecutive entries of the stream
 *      unless a GAP came between;
 *   I7 bounded queues: every queue stays within its bound;
 *   I8 no silent drop: a published message leaves its client's retry queue only with an
 *      ACKED effect (a stopped client keeps its queue, which the application reads as
 *      failed); checked on every client step by counting, O(1) unless it fails;
 *   L1 liveness: after the last fault heals every client is LIVE again, every retry
 *      queue drains and every subscriber catches up with its room's stream.
 *
 * Memory is lean on purpose: per subscriber only the last delivered stream id (16
 * bytes, which the simulator keeps in its client slot: herd_oracle_init_strided);
 * per message only what is in flight or recent: the appended-id index (I2, a
 * herd_dedup of oracle_capacity records) and the ACKs not yet durable (I1 at a crash).
 * I6 asks the store itself what lies between two deliveries, so no shadow stream is kept. */
#ifndef HERD_SIM_ORACLE_H
#define HERD_SIM_ORACLE_H

#include "client.h"
#include "dedup.h"
#include "store.h"
#include "types.h"

enum herd_invariant {
    HERD_INV_I1 = 0, HERD_INV_I2, HERD_INV_I3, HERD_INV_I4, HERD_INV_I5, HERD_INV_I6,
    HERD_INV_I7, HERD_INV_I8, HERD_INV_L1, HERD_INV_COUNT
};

#define HERD_ORACLE_ACKS_MAX (1u << 20) /* ACKs awaiting durability remembered (I1) */
#define HERD_ORACLE_MSG_MAX 240
#define HERD_ORACLE_FIRST_CLIENTS_MAX 2 /* a subscriber and the message's publisher */
#define HERD_ORACLE_NO_ROOM UINT32_MAX

typedef struct herd_ack_record {
    herd_sid sid;
    herd_msg_id msg;
    uint64_t lsn;
    uint32_t room;
    uint32_t pad;
} herd_ack_record;

typedef struct herd_oracle {
    uint32_t clients;
    uint8_t *last;             /* per subscriber: last delivered id (or end of a GAP) */
    size_t last_stride;        /* bytes between two subscribers' ids */
    bool last_owned;           /* allocated here (else it lives in the caller's slots) */
    herd_dedup *appended;      /* I2: message ids appended */
    size_t appended_bytes;
    herd_ack_record *acks;     /* I1: ACKed, not yet durable (ring, oldest first) */
    uint32_t ack_cap, ack_head, ack_len;
    uint32_t ack_max;          /* the ring doubles up to this many records */
    uint64_t count[HERD_INV_COUNT];
    uint64_t lost, duplicates, reordered; /* the JSON figures */
    uint64_t published, acked;  /* I8: messages publish() accepted, ACKED effects */
    uint64_t lost_unacked;      /* I8: messages that left a retry queue silently */
    uint64_t acks_sent, appends, deliveries, gaps;
    uint64_t unchecked;        /* checks the oracle could not decide (history trimmed) */
    int first_inv;             /* -1 until a violation */
    herd_time first_at;
    char first_msg[HERD_ORACLE_MSG_MAX];
    /* Whom the first violation involves, as numbers (not parsed back from first_msg): the
     * clients it names, in the order named (a subscriber, then the publisher of the
     * message concerned; no duplicate), and its room or HERD_ORACLE_NO_ROOM. I7 and L1
     * name no client. */
    uint32_t first_clients[HERD_ORACLE_FIRST_CLIENTS_MAX];
    uint32_t first_nclients;
    uint32_t first_room;
    /* Called once, when the first violation is recorded (its clients filled in), e.g. to
     * mark it in the run's trace. Reads only; NULL: none. */
    void (*on_first)(const struct herd_oracle *o, void *ctx);
    void *on_first_ctx;
} herd_oracle;

/* HERD_OK or HERD_ENOSPACE. capacity: appended ids remembered (count window). */
int herd_oracle_init(herd_oracle *o, uint32_t clients, uint32_t capacity);
/* The same, with the per-subscriber ids kept by the caller: subscriber i's at
 * last + i * stride (zeroed by the caller, alive as long as the oracle). */
int herd_oracle_init_strided(herd_oracle *o, uint32_t clients, uint32_t capacity, void *last,
                             size_t stride);
void herd_oracle_free(herd_oracle *o);
size_t herd_oracle_bytes(const herd_oracle *o);
const char *herd_invariant_name(int inv);
const char *herd_invariant_title(int inv);
/* Record a violation (counted; the first one's message is kept). */
void herd_oracle_violate(herd_oracle *o, int inv, herd_time now, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, naming who is involved: up to two clients (UINT32_MAX: none) and a room
 * (HERD_ORACLE_NO_ROOM: none), kept with the first violation (first_clients, first_room). */
void herd_oracle_violate_by(herd_oracle *o, int inv, herd_time now, uint32_t client, uint32_t other,
                            uint32_t room, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* A server sends ACK{msg, sid} for a message of room (I5). */
void herd_oracle_on_ack(herd_oracle *o, const herd_store *s, herd_time now, uint32_t room,
                        herd_msg_id msg, herd_sid sid);
/* The store appended msg at sid (I2). */
void herd_oracle_on_append(herd_oracle *o, herd_time now, uint32_t room, herd_msg_id msg,
                           herd_sid sid, uint64_t lsn);
/* Client `client` (a subscriber of room) hands msg at sid to its application (I3 I4 I6). */
void herd_oracle_on_deliver(herd_oracle *o, const herd_store *s, herd_time now, uint32_t client,
                            uint32_t room, herd_sid sid, herd_msg_id msg);
/* Client `client` tells its application (prev, sid] is lost. */
void herd_oracle_on_gap(herd_oracle *o, uint32_t client, herd_sid prev, herd_sid sid);
/* A client's retry queue as it was before an input (I8). */
typedef struct herd_queue_snap {
    uint64_t acked_bits;
    uint32_t unacked_base, next_seq;
} herd_queue_snap;

static inline herd_queue_snap herd_queue_snap_of(const herd_client *c)
{
    return (herd_queue_snap){c->acked_bits, c->unacked_base, c->next_seq};
}

static inline uint32_t herd_queue_snap_len(const herd_queue_snap *q)
{
    return (q->next_seq - q->unacked_base) - (uint32_t)__builtin_popcountll(q->acked_bits);
}

/* Client `client` took one input: `before` is its queue before, `c` the client after, fx
 * the n effects the input produced. Every message that was queued before is queued
 * after or was ACKed by this input; every message published by it is queued or ACKed. */
void herd_oracle_on_client_step(herd_oracle *o, herd_time now, uint32_t client, const herd_queue_snap *before,
                                const herd_client *c, const herd_effect *fx, uint32_t n);
/* The store crashed (after herd_store_crash): every ACKed entry must survive (I1). */
void herd_oracle_on_store_crash(herd_oracle *o, const herd_store *s, herd_time now);
/* Forget ACK records that have become durable. */
void herd_oracle_on_fsync(herd_oracle *o, const herd_store *s);
/* A bounded queue's depth (I7). */
void herd_oracle_check_bound(herd_oracle *o, herd_time now, const char *what, uint64_t depth,
                             uint64_t max);
/* Is this subscriber caught up with its room (L1)? */
bool herd_oracle_caught_up(const herd_oracle *o, const herd_store *s, uint32_t client,
                           uint32_t room);
bool herd_oracle_safe(const herd_oracle *o);
/* The same on a copy of the counters (reports). */
bool herd_oracle_safe_counts(const uint64_t count[HERD_INV_COUNT]);

#endif
