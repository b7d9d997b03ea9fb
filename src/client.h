/* client.h — the client machine: reconnect with backoff, retry queue, resume.
 *
 * States (enum herd_client_state):
 *   DISCONNECTED  created, not started
 *   BACKOFF       waiting for the backoff deadline before the next attempt
 *   CONNECTING    connection requested (CONNECT effect); connect timeout armed
 *   RESUMING      open; RESUME{lastSeenId} and the unACKed messages sent; waiting for
 *                 RESUMED; resume timeout armed
 *   LIVE          resumed; publishes go out at once; ACK timeout armed while a message
 *                 waits for its ACK (no ACK in time: the connection is presumed dead)
 *   STOPPED       closed with 1000, or the backoff policy gave up (GIVE_UP effect)
 *
 * Inputs: start, on_open, on_frame, on_close (with a close code; a failed or refused
 * connection is on_close with 1006), publish (from the application), on_timer.
 * Close codes: see herd_client_close_reaction() and docs/protocol.md.
 *
 * Retry queue: the unACKed messages are the sequence numbers in [unacked_base, next_seq)
 * whose bit is clear in acked_bits; at most queue_max (<= HERD_QUEUE_MAX) of them.
 * A full queue refuses publish() with HERD_EFULL (backpressure), never drops. A message
 * leaves the queue only with an ACKED effect (I8, docs/protocol.md); a client that stops
 * keeps its queue, which the application reads as failed (GIVE_UP or close 1000). Message ids
 * are herd_msg_make(client id, seq). The message's room is the client's room.
 *
 * The struct is pointer-free and small (see HERD_CLIENT_BYTES_MAX): a simulator keeps
 * millions in a flat array, a model checker copies and hashes it. */
#ifndef HERD_CLIENT_H
#define HERD_CLIENT_H

#include "backoff.h"
#include "effect.h"
#include "protocol.h"
#include "rng.h"

enum herd_client_state {
    HERD_CLIENT_DISCONNECTED = 0,
    HERD_CLIENT_BACKOFF,
    HERD_CLIENT_CONNECTING,
    HERD_CLIENT_RESUMING,
    HERD_CLIENT_LIVE,
    HERD_CLIENT_STOPPED,
    HERD_CLIENT_STATE_COUNT
};

#define HERD_QUEUE_MAX 64

typedef struct herd_client_config {
    herd_backoff_policy backoff;
    herd_protocol proto;           /* uses .resend (enum herd_resend_mode) */
    herd_time connect_timeout_us;  /* CONNECTING -> give up this attempt; 0 = none */
    herd_time resume_timeout_us;   /* RESUMING -> presume dead; 0 = none */
    herd_time ack_timeout_us;      /* LIVE with unACKed messages -> presume dead; 0 = none */
    herd_time stable_reset_us;     /* live this long resets the attempt counter */
    uint32_t queue_max;            /* 1..HERD_QUEUE_MAX */
    uint8_t obey_retry_after;      /* wait at least the server's retry-after hint */
    uint8_t pad[3];
} herd_client_config;

typedef struct herd_client {
    herd_sid last_seen;      /* highest stream id delivered (or skipped by a GAP) */
    herd_time deadline;      /* the one armed timer, HERD_TIME_NEVER if none */
    herd_time live_since;    /* when RESUMED arrived */
    uint64_t acked_bits;     /* bit i: seq unacked_base + i has been ACKed */
    herd_backoff_state bo;
    uint32_t id;
    uint32_t room;
    uint32_t next_seq;       /* next sequence number to publish (from 1) */
    uint32_t unacked_base;   /* oldest sequence number not yet ACKed */
    uint32_t sent_upto;      /* every seq < sent_upto was sent at least once */
    uint32_t conn;           /* connection generation (CONNECT increments it) */
    uint32_t retry_after_ms; /* last server hint, used by the next backoff */
    uint32_t dup_ignored;    /* deliveries at or below last_seen, ignored */
    uint16_t gaps;           /* explicit gaps received */
    uint8_t state;           /* enum herd_client_state */
    uint8_t last_timeout;    /* the last failure was a timeout (token cost) */
} herd_client;

#define HERD_CLIENT_BYTES_MAX 104

/* What the client does on each close code. */
typedef struct herd_close_reaction {
    uint16_t code;
    uint8_t reconnect;      /* 0: STOPPED */
    uint8_t reset_attempts; /* start backoff from attempt 0 */
    uint8_t failure;        /* counts against the token bucket */
} herd_close_reaction;
herd_close_reaction herd_client_close_reaction(uint16_t code);

int herd_client_config_validate(const herd_client_config *cfg);
/* Initialise (DISCONNECTED); draws the per-client backoff base from rng. */
void herd_client_init(herd_client *c, const herd_client_config *cfg, uint32_t id, uint32_t room,
                      herd_rng *rng);
/* DISCONNECTED -> CONNECTING (CONNECT effect). */
int herd_client_start(herd_client *c, const herd_client_config *cfg, herd_time now, herd_outbox *out);
/* The connection `conn` is open: send RESUME and the retry queue. */
int herd_client_on_open(herd_client *c, const herd_client_config *cfg, uint32_t conn, herd_time now,
                        herd_outbox *out);
int herd_client_on_frame(herd_client *c, const herd_client_config *cfg, uint32_t conn,
                         const herd_frame *f, herd_rng *rng, herd_time now, herd_outbox *out);
/* The connection `conn` closed or failed, with this code and server hint. */
int herd_client_on_close(herd_client *c, const herd_client_config *cfg, uint32_t conn, uint16_t code,
                         uint32_t retry_after_ms, herd_rng *rng, herd_time now, herd_outbox *out);
/* The application publishes one message; fills *msg. HERD_EFULL when the queue is full. */
int herd_client_publish(herd_client *c, const herd_client_config *cfg, herd_time now,
                        herd_outbox *out, herd_msg_id *msg);
herd_time herd_client_deadline(const herd_client *c);
int herd_client_on_timer(herd_client *c, const herd_client_config *cfg, herd_rng *rng, herd_time now,
                         herd_outbox *out);
/* Messages in the retry queue (published, not yet ACKed). */
uint32_t herd_client_queue_len(const herd_client *c);
/* Is message `seq` of this client in its retry queue? (The checkers' I8 asks.) */
bool herd_client_holds(const herd_client *c, uint32_t seq);
const char *herd_client_state_name(int state);

#endif
