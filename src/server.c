/* server.c — the server session machine (see server.h for states and the publish and
 * delivery rules). Like the client, every input checks the outbox has room for all it
 * may produce before changing state.
 *
 * Assertions (src/check.h, on in every build): each input checks the session's
 * invariants on entry and, on exit, that the state only moved forward (OPEN, RESUMING,
 * LIVE, CLOSED), that a refused input pushed nothing and an accepted one at most what it
 * checked room for, and the invariants again. A session keeps no clock (and has no room
 * for one: the simulator budgets 80 bytes per session, sim/world.h); the time it reads,
 * a dedup_local record's insertion time, must not lie in the future. */
#include "server.h"

#include "check.h"
#include "client.h"
#include "error.h"

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

/* The invariants that hold between any two inputs: at most HERD_SESSION_INFLIGHT_MAX
 * store operations in flight, the READ among them when reading; nothing issued before
 * the handshake; a resuming session is always reading the stream (it goes LIVE only when
 * a read ends with nothing left). A closed session's fields are dead. */
static void check_session(const herd_session *s)
{
    herd_assert(s->state < HERD_SESSION_STATE_COUNT && s->inflight <= HERD_SESSION_INFLIGHT_MAX);
    if (s->state == HERD_SESSION_CLOSED) return;
    herd_assert(s->reading <= 1 && s->dirty <= 1 && (!s->reading || s->inflight > 0));
    herd_assert(s->state != HERD_SESSION_OPEN || (s->inflight == 0 && !s->reading && !s->dirty));
    herd_assert(s->state != HERD_SESSION_RESUMING || s->reading);
}

/* On exit: the state only moved forward; a refused input pushed nothing; an accepted one
 * at most the `budget` effects it checked room for. */
static void check_exit(const herd_session *s, uint8_t from, int rc, uint32_t count_before, const herd_outbox *out,
                       uint32_t budget)
{
    herd_assert(s->state >= from);
    herd_assert(rc == HERD_OK ? out->count - count_before <= budget : out->count == count_before);
    /* Debug-only: the next input checks the same invariants on entry, so in a Release
     * build a broken state is still caught before it is used; this call only names the
     * input that broke it. It cost about 1.5 % of the simulator's instructions
     * (docs/performance.md). */
    if (HERD_DEBUG_CHECKS) check_session(s);
}

/* Every effect goes through here: the input reserved room for it. */
static herd_effect *push(herd_outbox *out, uint8_t kind)
{
    herd_assert(out->count < HERD_OUTBOX_MAX);
    return herd_outbox_push(out, kind);
}

void herd_session_open(herd_session *s, uint32_t conn, herd_time now)
{
    (void)now;
    *s = (herd_session){0};
    s->conn = conn;
    s->state = HERD_SESSION_OPEN;
    herd_assert(s->inflight == 0 && herd_sid_is_zero(s->last_sent));
    check_session(s);
}

void herd_session_close(herd_session *s)
{
    herd_assert(s->state < HERD_SESSION_STATE_COUNT);
    s->state = HERD_SESSION_CLOSED;
    check_session(s);
}

static void send_frame(herd_session *s, herd_outbox *out, const herd_frame *f)
{
    herd_assert(s->state != HERD_SESSION_CLOSED);         /* nothing goes out on a closed connection */
    herd_assert(f->type >= HERD_FRAME_ACK && f->type <= HERD_FRAME_GAP); /* client-bound frames only */
    herd_effect *e = push(out, HERD_FX_SEND);
    e->conn = s->conn;
    e->frame = *f;
}

static void close_with(herd_session *s, herd_outbox *out, uint16_t code)
{
    herd_assert(s->state != HERD_SESSION_CLOSED);
    herd_assert(code == HERD_CLOSE_TRY_AGAIN_LATER || code == HERD_CLOSE_INTERNAL_ERROR);
    herd_effect *e = push(out, HERD_FX_CLOSE);
    e->conn = s->conn;
    e->code = code;
    s->state = HERD_SESSION_CLOSED;
}

static void issue_store(herd_session *s, herd_outbox *out, herd_store_req req)
{
    herd_assert(s->inflight < HERD_SESSION_INFLIGHT_MAX);
    herd_assert(s->state == HERD_SESSION_RESUMING || s->state == HERD_SESSION_LIVE); /* after the handshake */
    push(out, HERD_FX_STORE)->req = req;
    s->inflight++;
}

static void issue_read(herd_session *s, const herd_server_config *cfg, herd_outbox *out)
{
    herd_assert(!s->reading); /* one read in flight at most */
    issue_store(s, out, (herd_store_req){.op = HERD_STORE_OP_READ, .limit = cfg->read_batch,
                                         .room = s->room, .after = s->last_sent});
    s->reading = 1;
    s->dirty = 0;
    herd_assert(cfg->read_batch >= 1 && cfg->read_batch <= HERD_READ_MAX);
}

/* sid is where the store has the message; zero only when ACKing before the write. */
static void send_ack(herd_session *s, const herd_server_config *cfg, herd_outbox *out, herd_msg_id msg, herd_sid sid)
{
    herd_assert(herd_sid_is_zero(sid) == (cfg->proto.ack_mode == HERD_ACK_BEFORE_PERSIST));
    herd_assert(herd_msg_seq(msg) != 0); /* a client's message: sequence numbers start at 1 */
    send_frame(s, out, &(herd_frame){.type = HERD_FRAME_ACK, .msg = msg, .sid = sid});
}

static void send_deliver(herd_session *s, herd_outbox *out, herd_sid sid, herd_msg_id msg)
{
    herd_assert(herd_sid_cmp(sid, s->last_sent) > 0); /* stream order, never a repeat */
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
    push(out, HERD_FX_SUBSCRIBE)->room = s->room;
    issue_read(s, cfg, out);
    herd_assert(s->inflight == 1 && s->reading); /* the replay read, alone */
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
    if (cfg->proto.ack_mode == HERD_ACK_BEFORE_PERSIST) send_ack(s, cfg, out, f->msg, HERD_SID_ZERO);
    uint8_t op = HERD_STORE_OP_PUBLISH_DEDUP;
    if (cfg->proto.dedup_mode == HERD_DEDUP_NONE) op = HERD_STORE_OP_APPEND;
    if (cfg->proto.dedup_mode == HERD_DEDUP_LOCAL) {
        const herd_dedup_record *r = local ? herd_dedup_find(local, f->msg, now) : NULL;
        if (r) {
            herd_assert(r->inserted_us <= now); /* time never goes backwards */
            if (cfg->proto.ack_mode == HERD_ACK_AFTER_PERSIST) send_ack(s, cfg, out, f->msg, r->sid);
            return HERD_OK;
        }
        op = HERD_STORE_OP_APPEND;
    }
    const uint16_t inflight = s->inflight;
    issue_store(s, out, (herd_store_req){.op = op, .room = f->room, .msg = f->msg});
    herd_assert(s->inflight == inflight + 1);
    return HERD_OK;
}

int herd_session_on_frame(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                          const herd_frame *f, herd_time now, herd_outbox *out)
{
    check_session(s);
    if (s->state == HERD_SESSION_CLOSED) return HERD_ESTATE;
    if (herd_outbox_room(out) < 2) return HERD_EOUTBOX;
    const uint8_t from = s->state;
    const uint32_t before = out->count;
    int rc;
    switch (f->type) {
    case HERD_FRAME_RESUME: rc = on_resume(s, cfg, f, out); break;
    case HERD_FRAME_PUBLISH: rc = on_publish(s, cfg, local, f, now, out); break;
    case HERD_FRAME_CLOSE: s->state = HERD_SESSION_CLOSED; rc = HERD_OK; break;
    default: rc = HERD_ESTATE; break; /* server-bound frames only */
    }
    check_exit(s, from, rc, before, out, 2);
    return rc;
}

static void on_publish_result(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                              const herd_store_result *r, herd_time now, herd_outbox *out)
{
    const herd_publish_result *p = &r->pub;
    herd_assert(r->op == HERD_STORE_OP_PUBLISH_DEDUP || r->op == HERD_STORE_OP_APPEND);
    /* The store's answer: a new entry lies above its predecessor; a duplicate names one. */
    herd_assert(p->status == HERD_PUBLISH_APPENDED ? herd_sid_cmp(p->sid, p->prev) > 0
                                                   : p->status == HERD_PUBLISH_DUPLICATE && !herd_sid_is_zero(p->sid));
    if (cfg->proto.dedup_mode == HERD_DEDUP_LOCAL && local && p->status == HERD_PUBLISH_APPENDED &&
        !herd_dedup_find(local, r->msg, now))
        herd_dedup_insert(local, r->msg, p->sid, r->room, 0, now);
    /* Only now does the store have the message: this is the moment to ACK. */
    if (cfg->proto.ack_mode == HERD_ACK_AFTER_PERSIST) send_ack(s, cfg, out, r->msg, p->sid);
    /* Fan out after a duplicate too: the server that appended the message may have
     * crashed before its fan-out, and this resend is the only sign left. Its predecessor
     * is unknown (prev = sid), so a session that lacks it reads the stream; one that has
     * it ignores it. */
    herd_effect *e = push(out, HERD_FX_FANOUT);
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
    herd_assert(r->op == HERD_STORE_OP_READ && s->reading);
    herd_assert(r->n <= cfg->read_batch); /* the limit the read asked for */
    const uint8_t from = s->state;
    s->reading = 0;
    if (cfg->proto.gap_detection && r->info.gap &&
        herd_sid_cmp(r->info.max_deleted, s->last_sent) > 0) {
        send_frame(s, out, &(herd_frame){.type = HERD_FRAME_GAP, .prev = s->last_sent,
                                         .sid = r->info.max_deleted});
        s->last_sent = r->info.max_deleted;
    }
    for (uint32_t i = 0; i < r->n; i++) {
        /* Debug-only: one comparison per entry read, and the store keeps its stream in
         * order itself (store.c asserts each append is above the top). */
        herd_assert_debug(i == 0 || herd_sid_cmp(r->entries[i].sid, r->entries[i - 1].sid) > 0);
        if (herd_sid_cmp(r->entries[i].sid, s->last_sent) > 0)
            send_deliver(s, out, r->entries[i].sid, r->entries[i].msg);
    }
    if (r->info.more || s->dirty) {
        issue_read(s, cfg, out);
    } else if (s->state == HERD_SESSION_RESUMING) {
        send_frame(s, out, &(herd_frame){.type = HERD_FRAME_RESUMED, .sid = s->last_sent});
        s->state = HERD_SESSION_LIVE;
    }
    /* LIVE only from RESUMING, and only once the stream has nothing more to give. */
    herd_assert(s->state == from || (from == HERD_SESSION_RESUMING && !s->reading));
}

int herd_session_on_store_result(herd_session *s, const herd_server_config *cfg, herd_dedup *local,
                                 const herd_store_result *r, herd_time now, herd_outbox *out)
{
    check_session(s);
    if (s->state == HERD_SESSION_CLOSED) return HERD_ESTATE;
    if (s->inflight == 0 || r->n > HERD_READ_MAX) return HERD_EINVAL;
    if (herd_outbox_room(out) < r->n + 3) return HERD_EOUTBOX;
    const uint8_t from = s->state;
    const uint32_t before = out->count;
    const uint16_t inflight = s->inflight;
    const uint8_t was_reading = s->reading;
    s->inflight--;
    if (r->err != HERD_OK) {
        close_with(s, out, HERD_CLOSE_INTERNAL_ERROR); /* the client resumes and resends */
        check_exit(s, from, HERD_OK, before, out, 1);
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
    /* One operation answered; at most one read issued after it. */
    const bool issued = s->reading && (r->op == HERD_STORE_OP_READ || !was_reading);
    herd_assert(s->inflight == inflight - 1u + issued);
    check_exit(s, from, HERD_OK, before, out, r->n + 3);
    return HERD_OK;
}

static int fanout_input(herd_session *s, const herd_server_config *cfg, herd_sid sid, herd_sid prev,
                        herd_msg_id msg, herd_outbox *out)
{
    if (s->reading) { /* the read in flight may or may not include it: read again after */
        s->dirty = 1;
        return HERD_OK;
    }
    if (herd_sid_cmp(sid, s->last_sent) <= 0) return HERD_OK; /* already sent */
    if (herd_sid_eq(prev, s->last_sent)) {
        send_deliver(s, out, sid, msg);
        herd_assert(herd_sid_eq(s->last_sent, sid));
        return HERD_OK;
    }
    /* Out of order, or something in between we have not seen: the stream decides. */
    if (s->inflight >= HERD_SESSION_INFLIGHT_MAX) {
        s->dirty = 1;
        return HERD_OK;
    }
    issue_read(s, cfg, out);
    herd_assert(s->reading && !s->dirty);
    return HERD_OK;
}

int herd_session_on_fanout(herd_session *s, const herd_server_config *cfg, uint32_t room,
                           herd_sid sid, herd_sid prev, herd_msg_id msg, herd_time now,
                           herd_outbox *out)
{
    (void)now;
    check_session(s);
    if (s->state != HERD_SESSION_RESUMING && s->state != HERD_SESSION_LIVE) return HERD_ESTATE;
    if (room != s->room) return HERD_ESTATE;
    if (herd_outbox_room(out) < 1) return HERD_EOUTBOX;
    /* A fan-out's predecessor is below it, or the fan-out itself when unknown. */
    herd_assert(herd_sid_cmp(prev, sid) < 0 || herd_sid_eq(prev, sid));
    const uint8_t from = s->state;
    const uint32_t before = out->count;
    int rc = fanout_input(s, cfg, sid, prev, msg, out);
    check_exit(s, from, rc, before, out, 1);
    herd_assert(s->state == from); /* a fan-out never changes the state */
    return rc;
}
