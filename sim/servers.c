/* servers.c — server processes and their sessions: open, drive, fan out, close, crash,
 * drain.
 *
 * A session (herd_sim_session) wraps the core's herd_session with what the world needs:
 * its client, server, slot generation (events for an earlier use of the slot are stale)
 * and its place in its room's subscriber list, an intrusive doubly linked list through
 * the session pool, so a FANOUT visits exactly the room's sessions. Session effects become
 * events here: SEND a segment to the client, STORE an operation (store_node.c), SUBSCRIBE
 * a list insertion, FANOUT a delivery to the room after the pub/sub latency, CLOSE the end
 * of the session. Every ACK leaving a server is shown to the oracle (I5) first. */
#include "world.h"

#include "error.h"
#include "trace_out.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

static herd_sim_session *sess(const herd_world *w, uint32_t slot) { return herd_pool_at(&w->sessions, slot); }

static void room_link(herd_world *w, uint32_t slot)
{
    herd_sim_session *ss = sess(w, slot);
    if (ss->subscribed) return;
    uint32_t room = ss->s.room;
    assert(room < w->cfg.rooms);
    ss->room_prev = 0;
    ss->room_next = w->room_head[room];
    if (ss->room_next) sess(w, ss->room_next - 1)->room_prev = slot + 1;
    w->room_head[room] = slot + 1;
    ss->subscribed = 1;
}

static void room_unlink(herd_world *w, uint32_t slot)
{
    herd_sim_session *ss = sess(w, slot);
    if (!ss->subscribed) return;
    if (ss->room_prev) sess(w, ss->room_prev - 1)->room_next = ss->room_next;
    else w->room_head[ss->s.room] = ss->room_next;
    if (ss->room_next) sess(w, ss->room_next - 1)->room_prev = ss->room_prev;
    ss->subscribed = 0;
}

int herd_servers_open_session(herd_world *w, uint32_t server, uint32_t client, uint32_t conn)
{
    uint32_t slot = herd_pool_alloc(&w->sessions);
    if (slot == HERD_POOL_NONE) {
        herd_oracle_violate(&w->oracle, HERD_INV_I7, w->now, "session pool full (%u)", w->sessions.cap_max);
        return HERD_OK;
    }
    herd_sim_session *ss = sess(w, slot);
    herd_session_open(&ss->s, conn, w->now);
    ss->s.client = client; /* the core sets the same id again at RESUME */
    ss->server = (uint16_t)server;
    ss->gen = ++w->session_gen;
    ss->in_use = 1;
    ss->to_client_at = ss->to_server_at = ss->store_at = w->now;
    if (herd_trace_on(w, client)) herd_trace_session_open(w, slot);
    w->servers[server].conns++;
    herd_lb_changed(w, server);
    herd_world_sim(w, client)->session = slot + 1;
    herd_world_sim(w, client)->server = (uint16_t)server;
    herd_time at = herd_net_session_arrival(w, ss, false);
    if (at != HERD_TIME_NEVER) herd_world_push(w, at, HERD_EV_CLIENT_OPEN, client, conn);
    return HERD_OK;
}

void herd_servers_close_session(herd_world *w, uint32_t slot, bool tell_client, uint16_t code,
                                uint32_t retry_after_ms)
{
    herd_sim_session *ss = sess(w, slot);
    if (!ss->in_use) return;
    if (herd_trace_on(w, ss->s.client)) herd_trace_session_close(w, slot);
    if (tell_client) herd_net_close_to_client(w, ss, code, retry_after_ms);
    herd_session_close(&ss->s);
    room_unlink(w, slot);
    assert(w->servers[ss->server].conns > 0);
    w->servers[ss->server].conns--;
    herd_lb_changed(w, ss->server);
    if (herd_world_sim(w, ss->s.client)->session == slot + 1) herd_world_sim(w, ss->s.client)->session = 0;
    ss->in_use = 0;
    herd_pool_release(&w->sessions, slot);
}

static int push_fanout(herd_world *w, const herd_effect *e)
{
    uint32_t p = herd_pool_alloc(&w->frames);
    if (p == HERD_POOL_NONE) return HERD_ENOSPACE;
    herd_frame_parcel *fp = herd_pool_at(&w->frames, p);
    fp->f = (herd_frame){.type = HERD_FRAME_DELIVER, .room = e->room, .msg = e->msg, .sid = e->sid, .prev = e->prev};
    return herd_world_push(w, herd_time_add(w->now, w->cfg.pubsub_latency_us), HERD_EV_FANOUT, e->room, p);
}

/* Turn the session's effects into events, in order. The session may close itself
 * (CLOSE effect): the slot is released only after the whole outbox is handled. */
int herd_world_session_drain(herd_world *w, uint32_t slot)
{
    int rc = HERD_OK;
    int close_code = -1;
    if (herd_trace_on(w, sess(w, slot)->s.client)) herd_trace_session_effects(w, slot);
    for (uint32_t i = 0; i < w->out.count && rc == HERD_OK; i++) {
        const herd_effect *e = &w->out.fx[i];
        herd_sim_session *ss = sess(w, slot);
        herd_world_hash_effect(w, e);
        switch (e->kind) {
        case HERD_FX_SEND:
            if (e->frame.type == HERD_FRAME_ACK)
                herd_oracle_on_ack(&w->oracle, w->store, w->now, ss->s.room, e->frame.msg, e->frame.sid);
            rc = herd_net_to_client(w, slot, e->conn, &e->frame);
            break;
        case HERD_FX_CLOSE: close_code = e->code; break;
        case HERD_FX_STORE: rc = herd_store_node_issue(w, slot, &e->req); break;
        case HERD_FX_SUBSCRIBE: room_link(w, slot); break;
        case HERD_FX_FANOUT: rc = push_fanout(w, e); break;
        default: assert(!"session effect kind"); rc = HERD_EINVAL;
        }
    }
    herd_outbox_clear(&w->out);
    if (close_code >= 0) herd_servers_close_session(w, slot, true, (uint16_t)close_code, 0);
    return rc;
}

static int session_input_done(herd_world *w, uint32_t slot, int rc)
{
    if (rc == HERD_ESTATE || rc == HERD_ESTALE) rc = HERD_OK;
    if (rc != HERD_OK && herd_error_is_fatal(rc)) {
        fprintf(stderr, "herd: session %u: %s\n", slot, herd_strerror(rc));
        return rc;
    }
    herd_oracle_check_bound(&w->oracle, w->now, "a session's store operations", sess(w, slot)->s.inflight,
                            HERD_SESSION_INFLIGHT_MAX);
    return herd_world_session_drain(w, slot);
}

int herd_servers_session_frame(herd_world *w, uint32_t slot, uint64_t parcel)
{
    herd_frame_parcel *fp = herd_pool_at(&w->frames, (uint32_t)parcel);
    herd_frame f = fp->f;
    uint32_t gen = fp->gen;
    herd_pool_release(&w->frames, (uint32_t)parcel);
    herd_sim_session *ss = sess(w, slot);
    if (!ss->in_use || ss->gen != gen) return HERD_OK; /* the session is gone: RST */
    if (herd_trace_on(w, ss->s.client)) herd_trace_session_frame(w, slot, &f);
    herd_outbox_clear(&w->out);
    int rc = herd_session_on_frame(&ss->s, &w->cfg.server, w->servers[ss->server].local, &f, w->now, &w->out);
    return session_input_done(w, slot, rc);
}

int herd_servers_store_result(herd_world *w, herd_store_parcel *p, const herd_store_result *r)
{
    uint32_t slot = p->slot;
    herd_sim_session *ss = sess(w, slot);
    if (!ss->in_use || ss->gen != p->gen) return HERD_OK;
    if (herd_trace_on(w, ss->s.client)) herd_trace_session_store_result(w, slot, r);
    herd_outbox_clear(&w->out);
    int rc = herd_session_on_store_result(&ss->s, &w->cfg.server, w->servers[ss->server].local, r, w->now, &w->out);
    return session_input_done(w, slot, rc);
}

int herd_servers_fanout(herd_world *w, uint64_t parcel)
{
    herd_frame f = ((herd_frame_parcel *)herd_pool_at(&w->frames, (uint32_t)parcel))->f;
    herd_pool_release(&w->frames, (uint32_t)parcel);
    int rc = HERD_OK;
    uint32_t next = w->room_head[f.room];
    while (next && rc == HERD_OK) { /* at most the room's sessions */
        uint32_t slot = next - 1;
        next = sess(w, slot)->room_next; /* read first: the visit may close the session */
        if (herd_trace_on(w, sess(w, slot)->s.client)) herd_trace_session_fanout(w, slot, &f);
        herd_outbox_clear(&w->out);
        rc = herd_session_on_fanout(&sess(w, slot)->s, &w->cfg.server, f.room, f.sid, f.prev, f.msg, w->now, &w->out);
        rc = session_input_done(w, slot, rc);
    }
    return rc;
}

/* Every session of a server, in slot order (deterministic). */
static void for_server_sessions(herd_world *w, uint32_t server, void (*fn)(herd_world *, uint32_t, void *), void *ctx)
{
    for (uint32_t slot = 0; slot < w->sessions.used; slot++) {
        herd_sim_session *ss = sess(w, slot);
        if (ss->in_use && ss->server == server) fn(w, slot, ctx);
    }
}

/* The server process stopped: its queue and the handshakes in progress are gone. The
 * accept queue is accept.c's, but only a stopping process clears it, so the clearing
 * lives here: accept.c calls servers.c (a handshake opens a session), never the reverse. */
static void accept_flush(herd_world *w, uint32_t server)
{
    herd_sim_server *s = &w->servers[server];
    s->q_head = 0;
    s->q_len = 0;
    s->busy = 0;
    s->epoch++;
    herd_lb_changed(w, server);
}

static void crash_one(herd_world *w, uint32_t slot, void *ctx)
{
    (void)ctx;
    /* The process died: the kernel resets its connections (1006 at the client). */
    herd_servers_close_session(w, slot, true, HERD_CLOSE_ABNORMAL, 0);
}

/* Stop one server; its sessions are slots[0..n) in slot order, or found by a pool scan
 * when slots is NULL. */
static void crash_listed(herd_world *w, uint32_t server, const uint32_t *slots, size_t n)
{
    herd_sim_server *s = &w->servers[server];
    if (!s->up) return;
    if (slots == NULL) for_server_sessions(w, server, crash_one, NULL);
    else for (size_t i = 0; i < n; i++) crash_one(w, slots[i], NULL);
    accept_flush(w, server);
    s->up = 0;
    /* draining stays as it is: an operator's drain keeps the server out of the LB's
     * rotation until it starts again (set_up). Clearing it here put a drained server back
     * in rotation the moment it stopped, for as long as the health check still said up:
     * its clients got RSTs, each one a failure that grew their backoff (swarm seeds 277,
     * 908: a 30-60 s wait past the end of the run). */
    if (s->local) herd_dedup_clear(s->local); /* the local cache dies with the process */
    herd_lb_health_changed(w, server, false);
}

void herd_servers_crash(herd_world *w, uint32_t server) { crash_listed(w, server, NULL, 0); }

/* Servers [lo, hi) crash at once (a crash fault of several servers). One pass over the
 * session pool sorts the sessions by server, in slot order within each (a counting sort),
 * then each server stops in turn exactly as herd_servers_crash would: the same closes in
 * the same order, so the same events (crashing one server closes only its own sessions
 * and opens none). Before, `servers: all` scanned the pool once per server: 400 scans of
 * 10 M sessions at 10 M clients. Without memory for the lists, one scan per server. */
void herd_servers_crash_range(herd_world *w, uint32_t lo, uint32_t hi)
{
    uint32_t span = hi > lo ? hi - lo : 0;
    size_t *start = span > 1 ? calloc((size_t)span + 1u, sizeof *start) : NULL;
    uint32_t *slots = NULL;
    if (start != NULL) {
        for (uint32_t slot = 0; slot < w->sessions.used; slot++) {
            const herd_sim_session *ss = sess(w, slot);
            if (ss->in_use && ss->server >= lo && ss->server < hi) start[ss->server - lo + 1u]++;
        }
        for (uint32_t k = 0; k < span; k++) start[k + 1u] += start[k];
        slots = malloc((start[span] ? start[span] : 1u) * sizeof *slots);
    }
    if (slots == NULL) {
        free(start);
        for (uint32_t k = lo; k < hi; k++) herd_servers_crash(w, k);
        return;
    }
    size_t *fill = calloc(span, sizeof *fill);
    if (fill == NULL) {
        free(start);
        free(slots);
        for (uint32_t k = lo; k < hi; k++) herd_servers_crash(w, k);
        return;
    }
    for (uint32_t slot = 0; slot < w->sessions.used; slot++) {
        const herd_sim_session *ss = sess(w, slot);
        if (!ss->in_use || ss->server < lo || ss->server >= hi) continue;
        uint32_t k = ss->server - lo;
        slots[start[k] + fill[k]++] = slot;
    }
    for (uint32_t k = 0; k < span; k++) crash_listed(w, lo + k, slots + start[k], start[k + 1u] - start[k]);
    free(fill);
    free(slots);
    free(start);
}

typedef struct drain_ctx {
    uint16_t code;
    uint32_t hint_ms;
    herd_time drain_us;
} drain_ctx;

static void drain_one(herd_world *w, uint32_t slot, void *vctx)
{
    const drain_ctx *d = vctx;
    herd_sim_session *ss = sess(w, slot);
    herd_time at = w->now + herd_world_draw(w, ss->s.client, HERD_RNG_SERVER | (w->now << 8), d->drain_us + 1);
    uint32_t hint = d->hint_ms > UINT16_MAX ? UINT16_MAX : d->hint_ms;
    herd_world_push(w, at, HERD_EV_SERVER_CLOSE, slot, ss->gen | (uint64_t)d->code << 32 | (uint64_t)hint << 48);
}

void herd_servers_drain(herd_world *w, uint32_t server, uint16_t code, uint32_t retry_after_ms,
                        herd_time drain_us)
{
    herd_sim_server *s = &w->servers[server];
    if (!s->up) return;
    s->draining = 1; /* out of the LB's rotation at once: an operator drain */
    herd_lb_changed(w, server);
    drain_ctx d = {code, retry_after_ms, drain_us};
    for_server_sessions(w, server, drain_one, &d);
}

void herd_servers_set_up(herd_world *w, uint32_t server, bool up)
{
    herd_sim_server *s = &w->servers[server];
    if (!up) {
        /* A drained server stops: whatever is left is reset. */
        herd_servers_crash(w, server);
        return;
    }
    if (s->up) return;
    s->up = 1;
    s->draining = 0; /* back in rotation once the health check sees it up */
    herd_lb_changed(w, server);
    herd_lb_health_changed(w, server, true);
}
