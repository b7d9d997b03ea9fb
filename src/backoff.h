/* backoff.h — reconnect delay policies as data, and one pure function for the next delay.
 *
 * A policy (herd_backoff_policy) is plain configuration shared by every client that uses
 * it; the per-client part (herd_backoff_state: per-client random base, previous delay,
 * attempt counter, retry tokens) lives in the client. herd_backoff_next() draws the delay
 * before the next connection attempt from a caller-owned generator and advances the
 * attempt counter. Fixed-point integer arithmetic throughout: factors are in thousandths
 * (factor_milli = 2000 means x2) and jitter in millionths (jitter_ppm = 500000 means
 * +/-50 %), so results do not depend on the compiler's floating point.
 *
 * The policies, their formulas, defaults and the library source each was checked against
 * are documented in docs/backoff.md. */
#ifndef HERD_BACKOFF_H
#define HERD_BACKOFF_H

#include "rng.h"
#include "types.h"

enum herd_backoff_kind {
    HERD_BACKOFF_FIXED = 0,       /* base_us every time */
    HERD_BACKOFF_EXPONENTIAL,     /* min(base * factor^n, cap), no jitter */
    HERD_BACKOFF_ARTICLE,         /* per-client base U[base, base_max], x2, +/-50 %, cap */
    HERD_BACKOFF_FULL_JITTER,     /* U[0, min(cap, base * 2^n)] (AWS blog) */
    HERD_BACKOFF_EQUAL_JITTER,    /* t/2 + U[0, t/2], t = min(cap, base * 2^n) */
    HERD_BACKOFF_DECORRELATED,    /* min(cap, U[base, prev * 3]) */
    HERD_BACKOFF_GRPC,            /* grpc-go: 1 s, x1.6, cap 120 s then +/-20 %, 1st exact */
    HERD_BACKOFF_SOCKETIO,        /* Socket.IO: 1 s, x2, +/-50 % then cap 5 s */
    HERD_BACKOFF_PHOENIX,         /* step table 10..2000 ms, then 5000 ms */
    HERD_BACKOFF_SIGNALR,         /* 0, 2, 10, 30 s, then stop */
    HERD_BACKOFF_RECONNECTING_WS, /* reconnecting-websocket: per-client U[1,5]s x1.3^n, cap 10 s */
    HERD_BACKOFF_CENTRIFUGE,      /* centrifuge-js: min(max, min + U[0, min(max, min*2^n)]) */
    HERD_BACKOFF_AWS_STANDARD,    /* AWS SDK standard: full jitter 100 ms base, 20 s cap, token bucket */
    HERD_BACKOFF_KIND_COUNT
};

#define HERD_BACKOFF_TABLE_MAX 12

typedef struct herd_backoff_policy {
    uint8_t kind;              /* enum herd_backoff_kind */
    uint8_t jitter_before_cap; /* broken variant: jitter first, then cap (re-synchronises) */
    uint8_t first_unjittered;  /* grpc-go: attempt 0 waits exactly base */
    uint8_t table_stop;        /* after the table: 1 = give up (SignalR), 0 = repeat after_us */
    uint16_t max_attempts;     /* 0 = unlimited; otherwise HERD_ESTOP once reached */
    uint16_t table_len;        /* entries used in table_ms */
    uint32_t base_us;          /* base delay, or lower end of the per-client base */
    uint32_t base_max_us;      /* upper end of the per-client base (== base_us: fixed) */
    uint32_t factor_milli;     /* growth per attempt, thousandths */
    uint32_t jitter_ppm;       /* +/- jitter, millionths of the delay */
    uint32_t cap_us;           /* maximum delay (before jitter for grpc-go) */
    uint32_t after_us;         /* delay once a step table is exhausted */
    uint32_t table_ms[HERD_BACKOFF_TABLE_MAX];
    /* retry-token bucket (AWS SDK standard mode); capacity 0 disables it */
    uint16_t token_capacity;
    uint16_t token_retry_cost;
    uint16_t token_timeout_cost;
    uint16_t token_refund;
} herd_backoff_policy;

typedef struct herd_backoff_state {
    uint32_t base_us;  /* this client's base, drawn once at init */
    uint32_t prev_us;  /* previous delay (decorrelated jitter) */
    uint16_t attempt;  /* attempts since the last reset */
    uint16_t tokens;   /* retry tokens left (token bucket) */
} herd_backoff_state;

/* Fill *p with the documented defaults of a kind. Returns HERD_EINVAL for an unknown kind. */
int herd_backoff_defaults(herd_backoff_policy *p, int kind);
/* Check a policy's fields are in range; HERD_OK or HERD_EINVAL. */
int herd_backoff_validate(const herd_backoff_policy *p);
/* Per-client initialisation: draws the per-client base, fills the token bucket. */
void herd_backoff_init(const herd_backoff_policy *p, herd_backoff_state *s, herd_rng *rng);
/* Delay before the next attempt; increments s->attempt. Returns HERD_OK, or HERD_ESTOP
 * when the policy gives up (max_attempts reached, SignalR table exhausted). Does not
 * touch the token bucket. */
int herd_backoff_next(const herd_backoff_policy *p, herd_backoff_state *s, herd_rng *rng,
                      uint64_t *delay_us);
/* Token bucket: take the cost of one retry (timeout != 0: the timeout cost). Returns
 * true and debits, or false when the bucket cannot pay (the client must give up).
 * Always true when the policy has no bucket. */
bool herd_backoff_take_token(const herd_backoff_policy *p, herd_backoff_state *s, int timeout);
/* A connection succeeded: refund tokens (never above capacity). */
void herd_backoff_on_success(const herd_backoff_policy *p, herd_backoff_state *s);
/* Reset the attempt counter (after a connection stayed up long enough). */
void herd_backoff_reset(herd_backoff_state *s);
/* Documented bounds of the delay for attempt n, over every per-client base and every
 * draw (decorrelated: over every previous delay). For tests, docs and the demo table. */
void herd_backoff_bounds(const herd_backoff_policy *p, uint32_t attempt, uint64_t *lo_us,
                         uint64_t *hi_us);
/* True when herd_backoff_next() gives up (HERD_ESTOP) at this attempt: max_attempts reached,
 * or a stopping step table exhausted. herd_backoff_bounds() gives 0..0 for such attempts. */
bool herd_backoff_stops(const herd_backoff_policy *p, uint32_t attempt);
/* Analytic mean delay at attempt n (integer microseconds, exact up to the rounding of the
 * integer draws, at most a microsecond or so), over every per-client base and every draw.
 * HERD_BACKOFF_MEAN_NONE when the policy stops at n, or when the mean has no closed form:
 * decorrelated jitter once the cap can bind (it depends on the whole history), and a cap
 * applied after the jitter on a per-client random base while the cap binds for some
 * clients only. For tests, docs and the demo table; never on a simulation path. */
#define HERD_BACKOFF_MEAN_NONE UINT64_MAX
uint64_t herd_backoff_mean_us(const herd_backoff_policy *p, uint32_t attempt);
const char *herd_backoff_name(int kind);
/* Parse a name as printed by herd_backoff_name; returns the kind or HERD_EINVAL. */
int herd_backoff_parse(const char *name);

#endif
