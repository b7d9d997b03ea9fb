/* protocol.h — protocol variants as configuration, the correct one and the broken ones.
 *
 * A herd_protocol selects how the client and the server machines behave where real
 * deployments differ. The correct protocol ACKs after the durable write, deduplicates in
 * the durable store atomically with the append, resends unACKed messages after a
 * reconnect, and signals trimmed history as an explicit gap. Each other value of a field
 * is a bug that users really ship; the checkers must catch every one (docs/protocol.md
 * lists which invariant each breaks). The backoff variant "jitter before cap" is a
 * property of the backoff policy (herd_backoff_policy.jitter_before_cap). */
#ifndef HERD_PROTOCOL_H
#define HERD_PROTOCOL_H

#include "types.h"

enum herd_ack_mode {
    HERD_ACK_AFTER_PERSIST = 0, /* correct: ACK once the store reports the append */
    HERD_ACK_BEFORE_PERSIST,    /* broken: ACK on receipt, then write */
};

enum herd_dedup_mode {
    HERD_DEDUP_STORE = 0, /* correct: dedup index in the durable store, atomic with append */
    HERD_DEDUP_NONE,      /* broken: every resend is appended again */
    HERD_DEDUP_LOCAL,     /* broken: a server-local cache, lost on crash, not shared */
};

enum herd_resend_mode {
    HERD_RESEND_OFF = 0,    /* broken: a message sent once is never sent again; it stays
                             * queued, so the retry queue never drains (L1) */
    HERD_RESEND_ON = 1,     /* correct: resend every unACKed message after a reconnect */
    HERD_RESEND_FORGET = 2, /* broken: on reconnect, forget the messages sent on the old
                             * connection and not ACKed, silently (I8) */
};

typedef struct herd_protocol {
    uint8_t ack_mode;      /* enum herd_ack_mode */
    uint8_t dedup_mode;    /* enum herd_dedup_mode */
    uint8_t resend;        /* enum herd_resend_mode */
    uint8_t gap_detection; /* 1 correct: answer trimmed history with an explicit GAP */
} herd_protocol;

static inline herd_protocol herd_protocol_correct(void)
{
    return (herd_protocol){HERD_ACK_AFTER_PERSIST, HERD_DEDUP_STORE, HERD_RESEND_ON, 1};
}

/* Named variants, for scenario and model files: "correct", "ack_before_persist",
 * "dedup_none", "dedup_local", "resend_off", "forget_unacked", "no_gap_detection".
 * Returns HERD_OK and
 * fills *p, or HERD_EINVAL. */
int herd_protocol_parse(const char *name, herd_protocol *p);
/* The canonical name of a protocol, or "custom" when it matches none (or several). */
const char *herd_protocol_name(const herd_protocol *p);
/* The list of variant names, NULL-terminated, for error suggestions and docs. */
extern const char *const herd_protocol_names[];

#endif
