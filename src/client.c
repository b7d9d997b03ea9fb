/* client.c — the client machine (see client.h for states, inputs and the retry queue).
 *
 * Every input checks that the outbox can hold all the effects it may produce before it
 * changes anything, so an input is applied whole or not at all. The one timer is
 * c->deadline; its meaning follows the state (backoff wait, connect timeout, resume
 * timeout, ACK timeout). */
#include "client.h"

#include "error.h"

#include <assert.h>

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
    herd_backoff_init(&cfg->backoff, &c->bo, rng);
}

uint32_t herd_client_queue_len(const herd_client *c)
{
    return (c->next_seq - c->unacked_base) - (uint32_t)__builtin_popcountll(c->acked_bits);
}

static bool seq_acked(const herd_client *c, uint32_t seq)
{
    return (c->acked_bits >> (seq - c->unacked_base)) & 1u;
}

bool herd_client_holds(const herd_client *c, uint32_t seq)
{
    if (seq - c->unacked_base >= c->next_seq - c->unacked_base) return false; /* not in the window */
    return !seq_acked(c, seq);
}

/* Drop the ACK-bit window's leading ACKed (or forgotten) messages. */
static void compact_queue(herd_client *c)
{
    while (c->acked_bits & 1u) { /* at most HERD_QUEUE_MAX steps */
        c->acked_bits >>= 1;
        c->unacked_base++;
    }
}

/* The broken variant HERD_RESEND_FORGET: the messages sent on the old connection and not
 * ACKed leave the retry queue as if ACKed, with no ACKED effect and no failure reported to
 * the application. This is the silent drop invariant I8 exists to catch. */
static void forget_sent(herd_client *c)
{
    for (uint32_t seq = c->unacked_base; seq != c->sent_upto && seq != c->next_seq; seq++)
        c->acked_bits |= 1ull << (seq - c->unacked_base);
    compact_queue(c);
}

/* The ACK timer runs in LIVE while a message waits for its ACK. */
static void arm_ack_timer(herd_client *c, const herd_client_config *cfg, herd_time now)
{
    if (c->state != HERD_CLIENT_LIVE) return;
    if (herd_client_queue_len(c) == 0 || cfg->ack_timeout_us == 0)
        c->deadline = HERD_TIME_NEVER;
    else
        c->deadline = herd_time_add(now, cfg->ack_timeout_us);
}

static void push_publish(herd_client *c, uint32_t seq, herd_outbox *out)
{
    herd_effect *e = herd_outbox_push(out, HERD_FX_SEND);
    e->conn = c->conn;
    e->frame.type = HERD_FRAME_PUBLISH;
    e->frame.msg = herd_msg_make(c->id, seq);
    e->frame.room = c->room;
}

static void connect_now(herd_client *c, const herd_client_config *cfg, herd_time now, herd_outbox *out)
{
    c->conn++;
    c->state = HERD_CLIENT_CONNECTING;
    c->deadline = cfg->connect_timeout_us ? herd_time_add(now, cfg->connect_timeout_us) : HERD_TIME_NEVER;
    herd_outbox_push(out, HERD_FX_CONNECT)->conn = c->conn;
}

static void give_up(herd_client *c, herd_outbox *out)
{
    c->state = HERD_CLIENT_STOPPED;
    c->deadline = HERD_TIME_NEVER;
    herd_outbox_push(out, HERD_FX_GIVE_UP)->conn = c->conn;
}

/* After a failure or a close: wait the policy's delay (at least the server's hint), or
 * give up when the policy or the token bucket says so. Pushes at most one effect. */
static void schedule_retry(herd_client *c, const herd_client_config *cfg, bool failure, herd_rng *rng,
                           herd_time now, herd_outbox *out)
{
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
    if (cfg->obey_retry_after) {
        uint64_t hint_us = (uint64_t)c->retry_after_ms * HERD_US_PER_MS;
        if (hint_us > delay_us) delay_us = hint_us;
    }
    c->retry_after_ms = 0;
    c->state = HERD_CLIENT_BACKOFF;
    c->deadline = herd_time_add(now, delay_us);
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
    if (c->state == HERD_CLIENT_LIVE && now - c->live_since >= cfg->stable_reset_us)
        herd_backoff_reset(&c->bo);
    if (!r.reconnect) {
        c->state = HERD_CLIENT_STOPPED;
        c->deadline = HERD_TIME_NEVER;
        return;
    }
    if (r.reset_attempts) herd_backoff_reset(&c->bo);
    schedule_retry(c, cfg, r.failure, rng, now, out);
}

int herd_client_start(herd_client *c, const herd_client_config *cfg, herd_time now, herd_outbox *out)
{
    if (c->state != HERD_CLIENT_DISCONNECTED) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    connect_now(c, cfg, now, out);
    return HERD_OK;
}

int herd_client_on_open(herd_client *c, const herd_client_config *cfg, uint32_t conn, herd_time now,
                        herd_outbox *out)
{
    if (conn != c->conn) return HERD_ESTALE;
    if (c->state != HERD_CLIENT_CONNECTING) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1 + herd_client_queue_len(c)) return HERD_EOUTBOX;
    herd_effect *e = herd_outbox_push(out, HERD_FX_SEND);
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
    return HERD_OK;
}

static void on_ack(herd_client *c, const herd_client_config *cfg, herd_msg_id msg, herd_time now,
                   herd_outbox *out)
{
    uint32_t seq = herd_msg_seq(msg);
    if (herd_msg_client(msg) != c->id) return;
    if (seq - c->unacked_base >= c->next_seq - c->unacked_base) return; /* not in the queue */
    if (seq_acked(c, seq)) return;                                         /* a duplicate ACK */
    c->acked_bits |= 1ull << (seq - c->unacked_base);
    compact_queue(c);
    herd_outbox_push(out, HERD_FX_ACKED)->msg = msg;
    arm_ack_timer(c, cfg, now);
}

static void on_deliver(herd_client *c, const herd_frame *f, herd_outbox *out)
{
    if (herd_sid_cmp(f->sid, c->last_seen) <= 0) {
        c->dup_ignored++;
        return;
    }
    c->last_seen = f->sid;
    herd_effect *e = herd_outbox_push(out, HERD_FX_DELIVER);
    e->conn = c->conn;
    e->sid = f->sid;
    e->prev = f->prev;
    e->msg = f->msg;
    e->room = f->room;
}

static void on_gap(herd_client *c, const herd_frame *f, herd_outbox *out)
{
    if (herd_sid_cmp(f->sid, c->last_seen) <= 0) return; /* nothing we have not seen */
    herd_effect *e = herd_outbox_push(out, HERD_FX_GAP);
    e->conn = c->conn;
    e->prev = c->last_seen;
    e->sid = f->sid;
    c->last_seen = f->sid;
    if (c->gaps < UINT16_MAX) c->gaps++;
}

int herd_client_on_frame(herd_client *c, const herd_client_config *cfg, uint32_t conn,
                         const herd_frame *f, herd_rng *rng, herd_time now, herd_outbox *out)
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

int herd_client_on_close(herd_client *c, const herd_client_config *cfg, uint32_t conn, uint16_t code,
                         uint32_t retry_after_ms, herd_rng *rng, herd_time now, herd_outbox *out)
{
    if (conn != c->conn) return HERD_ESTALE;
    if (!connected(c)) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    c->retry_after_ms = retry_after_ms;
    lose_connection(c, cfg, herd_client_close_reaction(code), rng, now, out);
    return HERD_OK;
}

int herd_client_publish(herd_client *c, const herd_client_config *cfg, herd_time now,
                        herd_outbox *out, herd_msg_id *msg)
{
    if (c->state == HERD_CLIENT_STOPPED) return HERD_ESTATE;
    if (c->next_seq - c->unacked_base >= cfg->queue_max) return HERD_EFULL;
    if (c->next_seq == UINT32_MAX) return HERD_EFULL; /* sequence space exhausted */
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    uint32_t seq = c->next_seq++;
    *msg = herd_msg_make(c->id, seq);
    if (c->state == HERD_CLIENT_RESUMING || c->state == HERD_CLIENT_LIVE) {
        push_publish(c, seq, out);
        c->sent_upto = c->next_seq;
        if (c->deadline == HERD_TIME_NEVER) arm_ack_timer(c, cfg, now);
    }
    return HERD_OK;
}

herd_time herd_client_deadline(const herd_client *c) { return c->deadline; }

int herd_client_on_timer(herd_client *c, const herd_client_config *cfg, herd_rng *rng, herd_time now,
                         herd_outbox *out)
{
    if (c->deadline == HERD_TIME_NEVER || now < c->deadline) return HERD_OK; /* not due */
    if (herd_outbox_room(out) < 2) return HERD_EOUTBOX;
    if (c->state == HERD_CLIENT_BACKOFF) {
        connect_now(c, cfg, now, out);
        return HERD_OK;
    }
    assert(connected(c));
    /* Connect, resume or ACK timeout: abandon this connection and retry. */
    herd_effect *e = herd_outbox_push(out, HERD_FX_CLOSE);
    e->conn = c->conn;
    e->code = HERD_CLOSE_ABNORMAL;
    c->last_timeout = 1;
    lose_connection(c, cfg, herd_client_close_reaction(HERD_CLOSE_ABNORMAL), rng, now, out);
    return HERD_OK;
}

_Static_assert(sizeof(herd_client) <= HERD_CLIENT_BYTES_MAX, "client state budget");
