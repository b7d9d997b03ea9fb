/* client.c — the client machine (see client.h for states, inputs and the retry queue).
 *
 * Every input checks that the outbox can hold all the effects it may produce before it
 * changes anything, so an input is applied whole or not at all. The one timer is
 * c->deadline; its meaning follows the state (backoff wait, connect timeout, resume
 * timeout, ACK timeout).
 *
 * Assertions (src/check.h, on in every build): each public input checks the client's
 * invariants and the clock on entry (check_entry) and the transition, the outbox budget
 * and the invariants again on exit (check_exit); the helpers check their own pre- and
 * postconditions. The struct has no room for a "last now" field (the simulator packs a
 * client into two cache lines, sim/world.h), so time going backwards is caught through
 * the time the client already keeps: live_since. */
#include "client.h"

#include "check.h"
#include "error.h"

static const herd_close_reaction close_reactions[] = {
    /* code, reconnect, reset_attempts, failure */
    {HERD_CLOSE_NORMAL, 0, 0, 0},          /* the server is done with us: stay closed */
    {HERD_CLOSE_GOING_AWAY, 1, 1, 0},      /* server shutting down: reconnect, not a failure */
    {HERD_CLOSE_ABNORMAL, 1, 0, 1},        /* no close frame: back off */
    {HERD_CLOSE_INTERNAL_ERROR, 1, 0, 1},  /* server error: back off */
    {HERD_CLOSE_SERVICE_RESTART, 1, 1, 0}, /* restart: reconnect from attempt 0 */
    {HERD_CLOSE_TRY_AGAIN_LATER, 1, 0, 1}, /* overloaded: back off, honour retry-after */
};

herd_close_reaction herd_client_close_reaction(uint16_t code)
{
    for (size_t i = 0; i < sizeof close_reactions / sizeof close_reactions[0]; i++)
        if (close_reactions[i].code == code) return close_reactions[i];
    /* Any other code is treated as an abnormal closure. */
    herd_close_reaction r = close_reactions[2];
    herd_assert(r.code == HERD_CLOSE_ABNORMAL && r.reconnect);
    r.code = code;
    return r;
}

static const char *const state_names[HERD_CLIENT_STATE_COUNT] = {
    "disconnected", "backoff", "connecting", "resuming", "live", "stopped",
};

const char *herd_client_state_name(int state)
{
    return (state >= 0 && state < HERD_CLIENT_STATE_COUNT) ? state_names[state] : "?";
}

int herd_client_config_validate(const herd_client_config *cfg)
{
    if (cfg->queue_max < 1 || cfg->queue_max > HERD_QUEUE_MAX) return HERD_EINVAL;
    if (cfg->proto.resend > HERD_RESEND_FORGET || cfg->obey_retry_after > 1) return HERD_EINVAL;
    return herd_backoff_validate(&cfg->backoff);
}

static void check_client(const herd_client *c, const herd_client_config *cfg);

void herd_client_init(herd_client *c, const herd_client_config *cfg, uint32_t id, uint32_t room,
                      herd_rng *rng)
{
    *c = (herd_client){0};
    c->deadline = HERD_TIME_NEVER;
    c->id = id;
    c->room = room;
    c->next_seq = 1;
    c->unacked_base = 1;
    c->sent_upto = 1;
    c->state = HERD_CLIENT_DISCONNECTED;
    herd_assert(cfg->queue_max >= 1 && cfg->queue_max <= HERD_QUEUE_MAX); /* a validated config */
    herd_backoff_init(&cfg->backoff, &c->bo, rng);
    herd_assert(herd_client_queue_len(c) == 0);
    check_client(c, cfg);
}

uint32_t herd_client_queue_len(const herd_client *c)
{
    uint32_t window = c->next_seq - c->unacked_base, acked = (uint32_t)__builtin_popcountll(c->acked_bits);
    herd_assert(acked <= window); /* an ACK bit outside the window would wrap the count */
    return window - acked;
}

static bool seq_acked(const herd_client *c, uint32_t seq)
{
    herd_assert(seq - c->unacked_base < HERD_QUEUE_MAX); /* the shift stays inside the 64 bits */
    return (c->acked_bits >> (seq - c->unacked_base)) & 1u;
}

/* Legal transitions: bit `to` of legal_next[from] (staying put is always legal). LIVE is
 * entered only from RESUMING, RESUMING only from CONNECTING, CONNECTING only from
 * DISCONNECTED (start) or BACKOFF (its timer); nothing leaves STOPPED. */
#define BIT(s) (1u << HERD_CLIENT_##s)
static const uint8_t legal_next[HERD_CLIENT_STATE_COUNT] = {
    [HERD_CLIENT_DISCONNECTED] = BIT(CONNECTING),
    [HERD_CLIENT_BACKOFF] = BIT(CONNECTING),
    [HERD_CLIENT_CONNECTING] = BIT(RESUMING) | BIT(BACKOFF) | BIT(STOPPED),
    [HERD_CLIENT_RESUMING] = BIT(LIVE) | BIT(BACKOFF) | BIT(STOPPED),
    [HERD_CLIENT_LIVE] = BIT(BACKOFF) | BIT(STOPPED),
    [HERD_CLIENT_STOPPED] = 0,
};
#undef BIT

/* The invariants that hold between any two inputs. The window [unacked_base, next_seq)
 * is at most queue_max long (so is the queue inside it) and holds sent_upto: every
 * ACKed message had been sent; its ACK bits are compacted (the oldest message in it is
 * unACKed) and none lies beyond it; the timer follows the state. Written to cost a few
 * instructions: it runs on every input. */
#define TIMER_MUST_BE_ARMED (1u << HERD_CLIENT_BACKOFF)
#define TIMER_MUST_BE_NEVER ((1u << HERD_CLIENT_DISCONNECTED) | (1u << HERD_CLIENT_STOPPED))
static void check_client(const herd_client *c, const herd_client_config *cfg)
{
    const uint32_t window = c->next_seq - c->unacked_base; /* wraps, and fails, if base > next_seq */
    herd_assert(c->state < HERD_CLIENT_STATE_COUNT);
    herd_assert(window <= cfg->queue_max && c->sent_upto - c->unacked_base <= window);
    herd_assert(c->acked_bits == 0 ||
                ((c->acked_bits & 1u) == 0 && (window == 64 || (c->acked_bits >> window) == 0)));
    herd_assert(((c->deadline == HERD_TIME_NEVER ? TIMER_MUST_BE_ARMED : TIMER_MUST_BE_NEVER) >> c->state & 1u) == 0);
}

/* Time never goes backwards: now is at or after live_since, the now of the input that
 * made the client LIVE (0 before that). Holds for whatever value the model checker's
 * abstraction gives these fields (docs/model-checking.md): with the clock abstracted
 * away, both decode as 0. The start of the armed timeout (deadline - timeout) would
 * bound now from below too; tests/test_render_machines.c still steps its clock back
 * after a timer (the give-up row), so that check waits for it. */
static void check_time(const herd_client *c, herd_time now)
{
    herd_assert(now >= c->live_since);
}

static void check_entry(const herd_client *c, const herd_client_config *cfg, herd_time now)
{
    check_client(c, cfg);
    check_time(c, now);
}

/* On exit: the transition from `from` is legal; an input that failed changed neither the
 * state nor the outbox; one that succeeded pushed at most the `budget` effects it
 * checked room for. */
static void check_exit(const herd_client *c, const herd_client_config *cfg, uint8_t from, int rc,
                       uint32_t count_before, const herd_outbox *out, uint32_t budget)
{
    herd_assert(c->state == from || (legal_next[from] >> c->state & 1u));
    herd_assert(rc == HERD_OK ? out->count - count_before <= budget
                              : (out->count == count_before && c->state == from));
    /* Debug-only: the next input checks the same invariants on entry, so in a Release
     * build a broken state is still caught before it is used; this call only names the
     * input that broke it. It cost about 1.5 % of the simulator's instructions
     * (docs/performance.md). */
    if (HERD_DEBUG_CHECKS) check_client(c, cfg);
}

/* Every effect goes through here: the input reserved room for it. */
static herd_effect *push(herd_outbox *out, uint8_t kind)
{
    herd_assert(out->count < HERD_OUTBOX_MAX);
    return herd_outbox_push(out, kind);
}

bool herd_client_holds(const herd_client *c, uint32_t seq)
{
    if (seq - c->unacked_base >= c->next_seq - c->unacked_base) return false; /* not in the window */
    return !seq_acked(c, seq);
}

/* Drop the ACK-bit window's leading ACKed (or forgotten) messages. */
static void compact_queue(herd_client *c)
{
    herd_assert(c->next_seq - c->unacked_base <= HERD_QUEUE_MAX);
    while (c->acked_bits & 1u) { /* at most HERD_QUEUE_MAX steps */
        c->acked_bits >>= 1;
        c->unacked_base++;
    }
    herd_assert(c->unacked_base <= c->next_seq); /* only messages in the window were ACKed */
}

/* The broken variant HERD_RESEND_FORGET: the messages sent on the old connection and not
 * ACKed leave the retry queue as if ACKed, with no ACKED effect and no failure reported to
 * the application. This is the silent drop invariant I8 exists to catch. */
static void forget_sent(herd_client *c)
{
    herd_assert(c->unacked_base <= c->sent_upto && c->sent_upto <= c->next_seq);
    for (uint32_t seq = c->unacked_base; seq != c->sent_upto && seq != c->next_seq; seq++)
        c->acked_bits |= 1ull << (seq - c->unacked_base);
    compact_queue(c);
    herd_assert(c->unacked_base >= c->sent_upto); /* every message sent is gone */
}

/* The ACK timer runs in LIVE while a message waits for its ACK. */
static void arm_ack_timer(herd_client *c, const herd_client_config *cfg, herd_time now)
{
    if (c->state != HERD_CLIENT_LIVE) return;
    if (herd_client_queue_len(c) == 0 || cfg->ack_timeout_us == 0)
        c->deadline = HERD_TIME_NEVER;
    else
        c->deadline = herd_time_add(now, cfg->ack_timeout_us);
    herd_assert(c->deadline == HERD_TIME_NEVER || c->deadline > now);
    herd_assert((c->deadline == HERD_TIME_NEVER) == (herd_client_queue_len(c) == 0 || cfg->ack_timeout_us == 0));
}

static void push_publish(herd_client *c, uint32_t seq, herd_outbox *out)
{
    herd_assert(seq - c->unacked_base < c->next_seq - c->unacked_base); /* a message in the queue */
    herd_assert(c->state == HERD_CLIENT_CONNECTING || c->state == HERD_CLIENT_RESUMING ||
                c->state == HERD_CLIENT_LIVE); /* on a connection (CONNECTING: inside on_open) */
    herd_effect *e = push(out, HERD_FX_SEND);
    e->conn = c->conn;
    e->frame.type = HERD_FRAME_PUBLISH;
    e->frame.msg = herd_msg_make(c->id, seq);
    e->frame.room = c->room;
}

static void connect_now(herd_client *c, const herd_client_config *cfg, herd_time now, herd_outbox *out)
{
    herd_assert(c->state == HERD_CLIENT_DISCONNECTED || c->state == HERD_CLIENT_BACKOFF);
    herd_assert(c->conn != UINT32_MAX); /* generations never wrap (only compared for equality) */
    c->conn++;
    c->state = HERD_CLIENT_CONNECTING;
    c->deadline = cfg->connect_timeout_us ? herd_time_add(now, cfg->connect_timeout_us) : HERD_TIME_NEVER;
    push(out, HERD_FX_CONNECT)->conn = c->conn;
}

static void give_up(herd_client *c, herd_outbox *out)
{
    herd_assert(c->state == HERD_CLIENT_CONNECTING || c->state == HERD_CLIENT_RESUMING ||
                c->state == HERD_CLIENT_LIVE); /* only a lost connection gives up */
    c->state = HERD_CLIENT_STOPPED;
    c->deadline = HERD_TIME_NEVER;
    push(out, HERD_FX_GIVE_UP)->conn = c->conn;
    herd_assert(out->fx[out->count - 1].kind == HERD_FX_GIVE_UP);
}

/* After a failure or a close: wait the policy's delay (at least the server's hint), or
 * give up when the policy or the token bucket says so. Pushes at most one effect. */
static void schedule_retry(herd_client *c, const herd_client_config *cfg, bool failure, herd_rng *rng,
                           herd_time now, herd_outbox *out)
{
    herd_assert(herd_outbox_room(out) >= 1); /* for a GIVE_UP */
    if (failure && !herd_backoff_take_token(&cfg->backoff, &c->bo, c->last_timeout)) {
        give_up(c, out);
        return;
    }
    c->last_timeout = 0;
    uint64_t delay_us = 0;
    if (herd_backoff_next(&cfg->backoff, &c->bo, rng, &delay_us) != HERD_OK) {
        give_up(c, out);
        return;
    }
    const uint32_t hint_floor_ms = c->retry_after_ms;
    if (cfg->obey_retry_after) {
        uint64_t hint_us = (uint64_t)c->retry_after_ms * HERD_US_PER_MS;
        if (hint_us > delay_us) delay_us = hint_us;
    }
    c->retry_after_ms = 0;
    c->state = HERD_CLIENT_BACKOFF;
    c->deadline = herd_time_add(now, delay_us);
    herd_assert(c->deadline >= now && c->deadline != HERD_TIME_NEVER); /* the next attempt is scheduled */
    herd_assert(!cfg->obey_retry_after || delay_us >= (uint64_t)hint_floor_ms * HERD_US_PER_MS);
}

static bool connected(const herd_client *c)
{
    return c->state == HERD_CLIENT_CONNECTING || c->state == HERD_CLIENT_RESUMING ||
           c->state == HERD_CLIENT_LIVE;
}

/* The current connection is over (closed by either side, failed, or timed out). */
static void lose_connection(herd_client *c, const herd_client_config *cfg, herd_close_reaction r,
                            herd_rng *rng, herd_time now, herd_outbox *out)
{
    herd_assert(connected(c));
    herd_assert(c->state != HERD_CLIENT_LIVE || now >= c->live_since);
    if (c->state == HERD_CLIENT_LIVE && now - c->live_since >= cfg->stable_reset_us)
        herd_backoff_reset(&c->bo);
    if (!r.reconnect) {
        c->state = HERD_CLIENT_STOPPED;
        c->deadline = HERD_TIME_NEVER;
        return;
    }
    if (r.reset_attempts) herd_backoff_reset(&c->bo);
    schedule_retry(c, cfg, r.failure, rng, now, out);
    herd_assert(c->state == HERD_CLIENT_BACKOFF || c->state == HERD_CLIENT_STOPPED);
}

int herd_client_start(herd_client *c, const herd_client_config *cfg, herd_time now, herd_outbox *out)
{
    check_entry(c, cfg, now);
    if (c->state != HERD_CLIENT_DISCONNECTED) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    const uint32_t before = out->count;
    connect_now(c, cfg, now, out);
    herd_assert(c->conn == 1); /* the first connection */
    check_exit(c, cfg, HERD_CLIENT_DISCONNECTED, HERD_OK, before, out, 1);
    return HERD_OK;
}

int herd_client_on_open(herd_client *c, const herd_client_config *cfg, uint32_t conn, herd_time now,
                        herd_outbox *out)
{
    check_entry(c, cfg, now);
    if (conn != c->conn) return HERD_ESTALE;
    if (c->state != HERD_CLIENT_CONNECTING) return HERD_ESTATE;
    const uint32_t budget = 1 + herd_client_queue_len(c);
    if (herd_outbox_room(out) < budget) return HERD_EOUTBOX;
    const uint32_t before = out->count;
    herd_effect *e = push(out, HERD_FX_SEND);
    e->conn = conn;
    e->frame.type = HERD_FRAME_RESUME;
    e->frame.client = c->id;
    e->frame.room = c->room;
    e->frame.sid = c->last_seen;
    if (cfg->proto.resend == HERD_RESEND_FORGET) forget_sent(c);
    /* Resend in order: everything unACKed, or (resend off) only what never went out. */
    for (uint32_t seq = c->unacked_base; seq != c->next_seq; seq++) {
        if (seq_acked(c, seq)) continue;
        if (cfg->proto.resend == HERD_RESEND_ON || seq >= c->sent_upto) push_publish(c, seq, out);
    }
    c->sent_upto = c->next_seq;
    c->state = HERD_CLIENT_RESUMING;
    c->deadline = cfg->resume_timeout_us ? herd_time_add(now, cfg->resume_timeout_us) : HERD_TIME_NEVER;
    herd_assert(cfg->proto.resend != HERD_RESEND_ON || out->count - before == budget); /* all resent */
    check_exit(c, cfg, HERD_CLIENT_CONNECTING, HERD_OK, before, out, budget);
    return HERD_OK;
}

static void on_ack(herd_client *c, const herd_client_config *cfg, herd_msg_id msg, herd_time now,
                   herd_outbox *out)
{
    uint32_t seq = herd_msg_seq(msg);
    if (herd_msg_client(msg) != c->id) return;
    if (seq - c->unacked_base >= c->next_seq - c->unacked_base) return; /* not in the queue */
    if (seq_acked(c, seq)) return;                                         /* a duplicate ACK */
    /* An ACK names a message this client sent: the server only ACKs what it received. */
    herd_assert(seq < c->sent_upto);
    const uint32_t queued = herd_client_queue_len(c);
    c->acked_bits |= 1ull << (seq - c->unacked_base);
    compact_queue(c);
    push(out, HERD_FX_ACKED)->msg = msg;
    herd_assert(herd_client_queue_len(c) == queued - 1); /* exactly this message left the queue */
    arm_ack_timer(c, cfg, now);
}

static void on_deliver(herd_client *c, const herd_frame *f, herd_outbox *out)
{
    if (herd_sid_cmp(f->sid, c->last_seen) <= 0) {
        c->dup_ignored++;
        return;
    }
    herd_assert(c->state == HERD_CLIENT_RESUMING || c->state == HERD_CLIENT_LIVE); /* on a connection */
    c->last_seen = f->sid;
    herd_effect *e = push(out, HERD_FX_DELIVER);
    e->conn = c->conn;
    e->sid = f->sid;
    e->prev = f->prev;
    e->msg = f->msg;
    e->room = f->room;
    herd_assert(herd_sid_eq(c->last_seen, e->sid)); /* last_seen only moves forward, to what was delivered */
}

static void on_gap(herd_client *c, const herd_frame *f, herd_outbox *out)
{
    if (herd_sid_cmp(f->sid, c->last_seen) <= 0) return; /* nothing we have not seen */
    herd_effect *e = push(out, HERD_FX_GAP);
    e->conn = c->conn;
    e->prev = c->last_seen;
    e->sid = f->sid;
    c->last_seen = f->sid;
    if (c->gaps < UINT16_MAX) c->gaps++;
    herd_assert(herd_sid_cmp(e->prev, e->sid) < 0 && c->gaps > 0); /* the lost range (prev, sid] is not empty */
}

static int frame_input(herd_client *c, const herd_client_config *cfg, uint32_t conn, const herd_frame *f,
                       herd_rng *rng, herd_time now, herd_outbox *out)
{
    if (conn != c->conn) return HERD_ESTALE;
    if (c->state != HERD_CLIENT_RESUMING && c->state != HERD_CLIENT_LIVE) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    switch (f->type) {
    case HERD_FRAME_ACK: on_ack(c, cfg, f->msg, now, out); return HERD_OK;
    case HERD_FRAME_DELIVER: on_deliver(c, f, out); return HERD_OK;
    case HERD_FRAME_GAP: on_gap(c, f, out); return HERD_OK;
    case HERD_FRAME_RESUMED:
        if (c->state != HERD_CLIENT_RESUMING) return HERD_ESTATE;
        c->state = HERD_CLIENT_LIVE;
        c->live_since = now;
        herd_backoff_on_success(&cfg->backoff, &c->bo);
        c->deadline = HERD_TIME_NEVER;
        arm_ack_timer(c, cfg, now);
        return HERD_OK;
    case HERD_FRAME_CLOSE:
        c->retry_after_ms = f->retry_after_ms;
        lose_connection(c, cfg, herd_client_close_reaction(f->code), rng, now, out);
        return HERD_OK;
    default: return HERD_ESTATE; /* client-bound frames only */
    }
}

int herd_client_on_frame(herd_client *c, const herd_client_config *cfg, uint32_t conn,
                         const herd_frame *f, herd_rng *rng, herd_time now, herd_outbox *out)
{
    check_entry(c, cfg, now);
    const uint8_t from = c->state;
    const uint32_t before = out->count;
    int rc = frame_input(c, cfg, conn, f, rng, now, out);
    herd_assert(c->state != HERD_CLIENT_LIVE || from == HERD_CLIENT_LIVE || c->live_since == now);
    check_exit(c, cfg, from, rc, before, out, 1);
    return rc;
}

int herd_client_on_close(herd_client *c, const herd_client_config *cfg, uint32_t conn, uint16_t code,
                         uint32_t retry_after_ms, herd_rng *rng, herd_time now, herd_outbox *out)
{
    check_entry(c, cfg, now);
    if (conn != c->conn) return HERD_ESTALE;
    if (!connected(c)) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    const uint8_t from = c->state;
    const uint32_t before = out->count;
    c->retry_after_ms = retry_after_ms;
    lose_connection(c, cfg, herd_client_close_reaction(code), rng, now, out);
    herd_assert(!connected(c)); /* the connection is over: BACKOFF or STOPPED */
    check_exit(c, cfg, from, HERD_OK, before, out, 1);
    return HERD_OK;
}

int herd_client_publish(herd_client *c, const herd_client_config *cfg, herd_time now,
                        herd_outbox *out, herd_msg_id *msg)
{
    check_entry(c, cfg, now);
    if (c->state == HERD_CLIENT_STOPPED) return HERD_ESTATE;
    if (c->next_seq - c->unacked_base >= cfg->queue_max) return HERD_EFULL;
    if (c->next_seq == UINT32_MAX) return HERD_EFULL; /* sequence space exhausted */
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    const uint32_t before = out->count;
    uint32_t seq = c->next_seq++;
    *msg = herd_msg_make(c->id, seq);
    if (c->state == HERD_CLIENT_RESUMING || c->state == HERD_CLIENT_LIVE) {
        push_publish(c, seq, out);
        c->sent_upto = c->next_seq;
        if (c->deadline == HERD_TIME_NEVER) arm_ack_timer(c, cfg, now);
    }
    herd_assert(herd_client_holds(c, seq) && herd_client_queue_len(c) <= cfg->queue_max); /* queued, in bounds */
    check_exit(c, cfg, c->state, HERD_OK, before, out, 1);
    return HERD_OK;
}

herd_time herd_client_deadline(const herd_client *c) { return c->deadline; }

int herd_client_on_timer(herd_client *c, const herd_client_config *cfg, herd_rng *rng, herd_time now,
                         herd_outbox *out)
{
    check_entry(c, cfg, now);
    if (c->deadline == HERD_TIME_NEVER || now < c->deadline) return HERD_OK; /* not due */
    if (herd_outbox_room(out) < 2) return HERD_EOUTBOX;
    const uint8_t from = c->state;
    const uint32_t before = out->count;
    if (c->state == HERD_CLIENT_BACKOFF) {
        connect_now(c, cfg, now, out);
        check_exit(c, cfg, from, HERD_OK, before, out, 1);
        return HERD_OK;
    }
    herd_assert(connected(c));
    /* Connect, resume or ACK timeout: abandon this connection and retry. */
    herd_effect *e = push(out, HERD_FX_CLOSE);
    e->conn = c->conn;
    e->code = HERD_CLOSE_ABNORMAL;
    c->last_timeout = 1;
    lose_connection(c, cfg, herd_client_close_reaction(HERD_CLOSE_ABNORMAL), rng, now, out);
    check_exit(c, cfg, from, HERD_OK, before, out, 2);
    return HERD_OK;
}

_Static_assert(sizeof(herd_client) <= HERD_CLIENT_BYTES_MAX, "client state budget");
