/* server.c — the server session machine (see server.h for states and the publish and
 * delivery rules). Like the client, every input checks the outbox has room for all it
 * may produce before changing state. */
#include "server.h"

#include "client.h"
#include "error.h"

#include <assert.h>

/* Found by the simulator (traces/scenarios/mobile-45s-full-queue.yaml): with the
 * limit equal to the queue bound, a client resuming with a full queue needed one store
 * operation more than the session allowed, was closed with 1013, and did it again forever. */
_Static_assert(HERD_SESSION_INFLIGHT_MAX >= HERD_QUEUE_MAX + 1,
               "a resume with a full retry queue must fit in a session");

static const char *const session_state_names[HERD_SESSION_STATE_COUNT] = {
    "open", "resuming", "live", "closed",
};

const char *herd_session_state_name(int state)
{
    return (state >= 0 && state < HERD_SESSION_STATE_COUNT) ? session_state_names[state] : "?";
}

int herd_server_config_validate(const herd_server_config *cfg)
{
    if (cfg->read_batch < 1 || cfg->read_batch > HERD_READ_MAX) return HERD_EINVAL;
    if (cfg->proto.ack_mode > HERD_ACK_BEFORE_PERSIST) return HERD_EINVAL;
    if (cfg->proto.dedup_mode > HERD_DEDUP_LOCAL) return HERD_EINVAL;
    if (cfg->proto.gap_detection > 1 || cfg->proto.resend > HERD_RESEND_FORGET) return HERD_EINVAL;
    return HERD_OK;
}

void herd_session_open(herd_session *s, uint32_t conn, herd_time now)
{
    (void)now;
    *s = (herd_session){0};
    s->conn = conn;
    s->state = HERD_SESSION_OPEN;
}

void herd_session_close(herd_session *s) { s->state = HERD_SESSION_CLOSED; }

static void send_frame(herd_session *s, herd_outbox *out, const herd_frame *f)
{
    herd_effect *e = herd_outbox_push(out, HERD_FX_SEND);
    e->conn = s->conn;
    e->frame = *f;
}

static void close_with(herd_session *s, herd_outbox *out, uint16_t code)
{
    herd_effect *e = herd_outbox_push(out, HERD_FX_CLOSE);
    e->conn = s->conn;
    e->code = code;
    s->state = HERD_SESSION_CLOSED;
}

static void issue_store(herd_session *s, herd_outbox *out, herd_store_req req)
{
    assert(s->inflight < HERD_SESSION_INFLIGHT_MAX);
    herd_outbox_push(out, HERD_FX_STORE)->req = req;
    s->inflight++;
}

static void issue_read(herd_session *s, const herd_server_config *cfg, herd_outbox *out)
{
    issue_store(s, out, (herd_store_req){.op = HERD_STORE_OP_READ, .limit = cfg->read_batch,
                                         .room = s->room, .after = s->last_sent});
    s->reading = 1;
    s->dirty = 0;
}

static void send_ack(herd_session *s, herd_outbox *out, herd_msg_id msg, herd_sid sid)
{
    send_frame(s, out, &(herd_frame){.type = HERD_FRAME_ACK, .msg = msg, .sid = sid});
}

static void send_deliver(herd_session *s, herd_outbox *out, herd_sid sid, herd_msg_id msg)
{
    send_frame(s, out, &(herd_frame){.type = HERD_FRAME_DELIVER, .msg = msg, .room = s->room,
                                     .sid = sid, .prev = s->last_sent});
    s->last_sent = sid;
}

/* The handshake: RESUME{lastSeenId} subscribes and starts the replay read. */
static int on_resume(herd_session *s, const herd_server_config *cfg, const herd_frame *f,
                     herd_outbox *out)
{
    if (s->state != HERD_SESSION_OPEN) return HERD_ESTATE;
    s->client = f->client;
    s->room = f->room;
    s->last_sent = f->sid;
    s->state = HERD_SESSION_RESUMING;
    herd_outbox_push(out, HERD_FX_SUBSCRIBE)->room = s->room;
    issue_read(s, cfg, out);
    return HERD_OK;
}

static int on_publish(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                      const herd_frame *f, herd_time now, herd_outbox *out)
{
    if (s->state != HERD_SESSION_RESUMING && s->state != HERD_SESSION_LIVE) return HERD_ESTATE;
    if (s->inflight >= HERD_SESSION_INFLIGHT_MAX) {
        close_with(s, out, HERD_CLOSE_TRY_AGAIN_LATER); /* the client will resend */
        return HERD_OK;
    }
    if (cfg->proto.ack_mode == HERD_ACK_BEFORE_PERSIST) send_ack(s, out, f->msg, HERD_SID_ZERO);
    uint8_t op = HERD_STORE_OP_PUBLISH_DEDUP;
    if (cfg->proto.dedup_mode == HERD_DEDUP_NONE) op = HERD_STORE_OP_APPEND;
    if (cfg->proto.dedup_mode == HERD_DEDUP_LOCAL) {
        const herd_dedup_record *r = local ? herd_dedup_find(local, f->msg, now) : NULL;
        if (r) {
            if (cfg->proto.ack_mode == HERD_ACK_AFTER_PERSIST) send_ack(s, out, f->msg, r->sid);
            return HERD_OK;
        }
        op = HERD_STORE_OP_APPEND;
    }
    issue_store(s, out, (herd_store_req){.op = op, .room = f->room, .msg = f->msg});
    return HERD_OK;
}

int herd_session_on_frame(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                          const herd_frame *f, herd_time now, herd_outbox *out)
{
    if (s->state == HERD_SESSION_CLOSED) return HERD_ESTATE;
    if (herd_outbox_room(out) < 2) return HERD_EOUTBOX;
    switch (f->type) {
    case HERD_FRAME_RESUME: return on_resume(s, cfg, f, out);
    case HERD_FRAME_PUBLISH: return on_publish(s, cfg, local, f, now, out);
    case HERD_FRAME_CLOSE: s->state = HERD_SESSION_CLOSED; return HERD_OK;
    default: return HERD_ESTATE; /* server-bound frames only */
    }
}

static void on_publish_result(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                              const herd_store_result *r, herd_time now, herd_outbox *out)
{
    const herd_publish_result *p = &r->pub;
    if (cfg->proto.dedup_mode == HERD_DEDUP_LOCAL && local && p->status == HERD_PUBLISH_APPENDED &&
        !herd_dedup_find(local, r->msg, now))
        herd_dedup_insert(local, r->msg, p->sid, r->room, 0, now);
    /* Only now does the store have the message: this is the moment to ACK. */
    if (cfg->proto.ack_mode == HERD_ACK_AFTER_PERSIST) send_ack(s, out, r->msg, p->sid);
    /* Fan out after a duplicate too: the server that appended the message may have
     * crashed before its fan-out, and this resend is the only sign left. Its predecessor
     * is unknown (prev = sid), so a session that lacks it reads the stream; one that has
     * it ignores it. */
    herd_effect *e = herd_outbox_push(out, HERD_FX_FANOUT);
    e->room = r->room;
    e->sid = p->sid;
    e->prev = p->status == HERD_PUBLISH_APPENDED ? p->prev : p->sid;
    e->msg = r->msg;
}

/* Replay (or catch-up) read done: explicit gap first, then the entries in order, then
 * read again if the read was cut short or fan-out arrived meanwhile, else go live. */
static void on_read_result(herd_session *s, const herd_server_config *cfg, const herd_store_result *r,
                           herd_outbox *out)
{
    s->reading = 0;
    if (cfg->proto.gap_detection && r->info.gap &&
        herd_sid_cmp(r->info.max_deleted, s->last_sent) > 0) {
        send_frame(s, out, &(herd_frame){.type = HERD_FRAME_GAP, .prev = s->last_sent,
                                         .sid = r->info.max_deleted});
        s->last_sent = r->info.max_deleted;
    }
    for (uint32_t i = 0; i < r->n; i++)
        if (herd_sid_cmp(r->entries[i].sid, s->last_sent) > 0)
            send_deliver(s, out, r->entries[i].sid, r->entries[i].msg);
    if (r->info.more || s->dirty) {
        issue_read(s, cfg, out);
    } else if (s->state == HERD_SESSION_RESUMING) {
        send_frame(s, out, &(herd_frame){.type = HERD_FRAME_RESUMED, .sid = s->last_sent});
        s->state = HERD_SESSION_LIVE;
    }
}

int herd_session_on_store_result(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                                 const herd_store_result *r, herd_time now, herd_outbox *out)
{
    if (s->state == HERD_SESSION_CLOSED) return HERD_ESTATE;
    if (s->inflight == 0 || r->n > HERD_READ_MAX) return HERD_EINVAL;
    if (herd_outbox_room(out) < r->n + 3) return HERD_EOUTBOX;
    s->inflight--;
    if (r->err != HERD_OK) {
        close_with(s, out, HERD_CLOSE_INTERNAL_ERROR); /* the client resumes and resends */
        return HERD_OK;
    }
    if (r->op == HERD_STORE_OP_READ) {
        if (!s->reading) return HERD_EINVAL;
        on_read_result(s, cfg, r, out);
    } else {
        on_publish_result(s, cfg, local, r, now, out);
        /* Fan-out that found no room for a catch-up read is served now. */
        if (s->dirty && !s->reading && s->state == HERD_SESSION_LIVE) issue_read(s, cfg, out);
    }
    return HERD_OK;
}

int herd_session_on_fanout(herd_session *s, const herd_server_config *cfg, uint32_t room,
                           herd_sid sid, herd_sid prev, herd_msg_id msg, herd_time now,
                           herd_outbox *out)
{
    (void)now;
    if (s->state != HERD_SESSION_RESUMING && s->state != HERD_SESSION_LIVE) return HERD_ESTATE;
    if (room != s->room) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    if (s->reading) { /* the read in flight may or may not include it: read again after */
        s->dirty = 1;
        return HERD_OK;
    }
    if (herd_sid_cmp(sid, s->last_sent) <= 0) return HERD_OK; /* already sent */
    if (herd_sid_eq(prev, s->last_sent)) {
        send_deliver(s, out, sid, msg);
        return HERD_OK;
    }
    /* Out of order, or something in between we have not seen: the stream decides. */
    if (s->inflight >= HERD_SESSION_INFLIGHT_MAX) {
        s->dirty = 1;
        return HERD_OK;
    }
    issue_read(s, cfg, out);
    return HERD_OK;
}
