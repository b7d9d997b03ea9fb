/* clients.c — the client machines' inputs and outputs: the start of every client, every
 * client event (start, timer, open, close, frame) fed to the core client, and the draining
 * of its outbox into events (a CONNECT becomes a SYN, a SEND a frame to its session, a
 * CLOSE a FIN to the server; DELIVER, GAP and ACKED go to the metrics and the oracle).
 *
 * Every client input goes through herd_world_client_begin/end, workload.c's publishes
 * too, so the state counters, the retry-queue total, the oracle's I8 and the client's one
 * pending timer event stay right. Draws come from streams derived per (client, connection
 * generation); nothing here reads a clock. */
#include "world.h"

#include "error.h"
#include "trace_out.h"

#include <assert.h>
#include <stdio.h>

#define HERD_PURPOSE_START 256u
#define HERD_PURPOSE_ROLE 257u

/* ---- start ---- */

/* Every client's core machine and sim record, its role (publisher or not) and its start
 * event, in client order. */
void herd_clients_init(herd_world *w)
{
    const herd_world_config *c = &w->cfg;
    for (uint32_t i = 0; i < c->clients; i++) {
        herd_rng r;
        herd_rng_derive(&r, c->seed, i, HERD_RNG_BACKOFF);
        herd_client_init(herd_world_client(w, i), &c->client, i, i % c->rooms, &r);
        *herd_world_sim(w, i) = (herd_sim_client){.timer_at = HERD_TIME_NEVER};
        if (herd_world_draw(w, i, HERD_PURPOSE_ROLE, 1000000) < c->publishers_ppm)
            herd_world_sim(w, i)->flags |= HERD_SC_PUBLISHER;
        herd_time at = herd_world_draw(w, i, HERD_PURPOSE_START, c->start_spread_us + 1);
        herd_world_push(w, at, HERD_EV_CLIENT_START, i, 0);
    }
    w->state_count[HERD_CLIENT_DISCONNECTED] = c->clients;
}

/* ---- driving a client ---- */

static void client_rng(const herd_world *w, uint32_t id, herd_rng *r)
{
    /* One stream per (client, connection generation): the draws of one connection's
     * loss do not depend on anything any other client did. */
    herd_rng_derive(r, w->cfg.seed, id, HERD_RNG_BACKOFF | (uint64_t)herd_world_client(w, id)->conn << 8);
}

void herd_world_client_begin(herd_world *w, uint32_t id, herd_client_before *b)
{
    herd_outbox_clear(&w->out);
    const herd_client *c = herd_world_client(w, id);
    b->state = c->state;
    b->queue = herd_queue_snap_of(c);
}

/* Keep one live timer event per client at or before its deadline. A deadline later than
 * the pending event (connect timeout -> resume timeout) pushes nothing: the pending event
 * fires first and re-arms for the deadline (herd_clients_event), and if the deadline has gone
 * meanwhile (the resume succeeded) that was the only event instead of two. An earlier
 * deadline pushes a new event; the pending one stays in the queue and is ignored when
 * popped (lazy cancellation): only the event whose time equals timer_at is live. */
static void arm_client_timer(herd_world *w, uint32_t id)
{
    herd_time d = herd_client_deadline(herd_world_client(w, id));
    herd_sim_client *sc = herd_world_sim(w, id);
    if (d == HERD_TIME_NEVER || sc->timer_at <= d) return; /* timer_at is NEVER when none */
    sc->timer_at = d;
    herd_world_push(w, d, HERD_EV_CLIENT_TIMER, id, 0);
}

int herd_world_client_end(herd_world *w, uint32_t id, const herd_client_before *b, int rc)
{
    uint8_t state = b->state;
    if (rc != HERD_OK && herd_error_is_fatal(rc)) {
        fprintf(stderr, "herd: client %u: %s\n", id, herd_strerror(rc));
        return rc;
    }
    const herd_client *c = herd_world_client(w, id);
    if (c->state != state) {
        w->state_count[state]--;
        w->state_count[c->state]++;
        if (c->state == HERD_CLIENT_LIVE) herd_world_check_recovered(w);
        if (state == HERD_CLIENT_LIVE) herd_delays_lost(&w->delays, &w->slots[id].lost_ms, w->now);
        else if (c->state == HERD_CLIENT_LIVE) herd_delays_back(&w->delays, &w->slots[id].lost_ms, w->now);
    }
    uint32_t q = herd_world_queue_len(c);
    w->queued_total = w->queued_total + q - herd_queue_snap_len(&b->queue);
    herd_oracle_on_client_step(&w->oracle, w->now, id, &b->queue, c, w->out.fx, w->out.count);
    herd_oracle_check_bound(&w->oracle, w->now, "a client's retry queue", q, w->cfg.client.queue_max);
    arm_client_timer(w, id);
    return herd_world_client_drain(w, id);
}

static void client_effect_connect(herd_world *w, uint32_t id, const herd_effect *e)
{
    herd_metrics_attempt(&w->metrics, w->now);
    if (herd_world_sim(w, id)->flags & HERD_SC_OFFLINE) {
        /* No network at all: the connect fails at once (ENETUNREACH), as on a phone. */
        herd_world_push(w, w->now + HERD_US_PER_MS, HERD_EV_CLIENT_CLOSE, id,
                        e->conn | (uint64_t)HERD_CLOSE_ABNORMAL << 32);
        return;
    }
    herd_metrics_add(&w->metrics, HERD_M_SYNS, 1);
    herd_world_push(w, herd_time_add(w->now, herd_net_latency(w, id, 5)), HERD_EV_SYN, id, e->conn);
}

static void client_effect_close(herd_world *w, uint32_t id)
{
    herd_sim_client *sc = herd_world_sim(w, id);
    if (!sc->session) return; /* still connecting: the pending handshake goes stale */
    uint32_t slot = sc->session - 1;
    sc->session = 0;
    herd_sim_session *ss = herd_pool_at(&w->sessions, slot);
    if (!ss->in_use || ss->s.client != id) return;
    herd_time lat = herd_net_latency(w, id, 0x10);
    herd_time at = herd_time_add(w->now, lat);
    herd_group cg = {HERD_GROUP_CLIENTS, id, 1}, sg = {HERD_GROUP_SERVERS, ss->server, 1};
    herd_time open_at = herd_net_path_open_at(w, cg, sg);
    if (open_at == HERD_TIME_NEVER) return; /* never heard: the server keeps the session */
    if (open_at > w->now) at = herd_time_add(open_at, lat);
    if (at < ss->to_server_at) at = ss->to_server_at;
    ss->to_server_at = at;
    herd_world_push(w, at, HERD_EV_SESSION_FIN, slot, ss->gen);
}

int herd_world_client_drain(herd_world *w, uint32_t id)
{
    const herd_client *c = herd_world_client(w, id);
    if (herd_trace_on(w, id)) herd_trace_client_effects(w, id);
    for (uint32_t i = 0; i < w->out.count; i++) {
        const herd_effect *e = &w->out.fx[i];
        herd_world_hash_effect(w, e);
        switch (e->kind) {
        case HERD_FX_CONNECT: client_effect_connect(w, id, e); break;
        case HERD_FX_SEND:
            if (herd_world_sim(w, id)->session) herd_net_to_session(w, herd_world_sim(w, id)->session - 1, &e->frame);
            break;
        case HERD_FX_CLOSE: client_effect_close(w, id); break;
        case HERD_FX_DELIVER:
            herd_metrics_add(&w->metrics, HERD_M_DELIVERED, 1);
            herd_oracle_on_deliver(&w->oracle, w->store, w->now, id, c->room, e->sid, e->msg);
            break;
        case HERD_FX_GAP:
            herd_metrics_add(&w->metrics, HERD_M_GAPS, 1);
            herd_oracle_on_gap(&w->oracle, id, e->prev, e->sid);
            break;
        case HERD_FX_ACKED: herd_metrics_add(&w->metrics, HERD_M_ACKED, 1); break;
        case HERD_FX_GIVE_UP: break;
        default: assert(!"client effect kind"); return HERD_EINVAL;
        }
    }
    herd_outbox_clear(&w->out);
    return HERD_OK;
}

/* ---- client events ---- */

int herd_clients_event(herd_world *w, const herd_event *ev)
{
    uint32_t id = ev->target;
    herd_client *c = herd_world_client(w, id);
    const herd_client_config *cc = &w->cfg.client;
    herd_client_before before;
    herd_rng r = {{0}}; /* derived only for the inputs that can draw */
    int rc = HERD_OK;
    if (ev->kind == HERD_EV_CLIENT_TIMER) {
        if (ev->at != herd_world_sim(w, id)->timer_at) return HERD_OK; /* cancelled lazily */
        herd_world_sim(w, id)->timer_at = HERD_TIME_NEVER;
        if (herd_client_deadline(c) > w->now) { /* armed early (or no deadline left) */
            arm_client_timer(w, id);
            return HERD_OK;
        }
    }
    herd_world_client_begin(w, id, &before);
    if (herd_trace_on(w, id)) herd_trace_client_input(w, id, ev);
    switch (ev->kind) {
    case HERD_EV_CLIENT_START: rc = herd_client_start(c, cc, w->now, &w->out); break;
    case HERD_EV_CLIENT_TIMER:
        client_rng(w, id, &r);
        rc = herd_client_on_timer(c, cc, &r, w->now, &w->out);
        break;
    case HERD_EV_CLIENT_OPEN: rc = herd_client_on_open(c, cc, (uint32_t)ev->arg, w->now, &w->out); break;
    case HERD_EV_CLIENT_CLOSE: {
        uint32_t conn = (uint32_t)ev->arg;
        uint16_t code = (uint16_t)(ev->arg >> 32);
        uint32_t hint = (uint32_t)(ev->arg >> 48);
        if (conn == c->conn) herd_world_sim(w, id)->session = 0;
        client_rng(w, id, &r);
        rc = herd_client_on_close(c, cc, conn, code, hint, &r, w->now, &w->out);
        break;
    }
    case HERD_EV_CLIENT_FRAME: {
        herd_frame_parcel *p = herd_pool_at(&w->frames, (uint32_t)ev->arg);
        herd_frame f = p->f;
        uint32_t conn = p->gen;
        herd_pool_release(&w->frames, (uint32_t)ev->arg);
        /* Only a CLOSE frame draws (the backoff delay): derive the stream for it alone. */
        if (f.type == HERD_FRAME_CLOSE) client_rng(w, id, &r);
        rc = herd_client_on_frame(c, cc, conn, &f, &r, w->now, &w->out);
        break;
    }
    default: assert(!"client event kind"); return HERD_EINVAL;
    }
    if (rc == HERD_ESTALE || rc == HERD_ESTATE) rc = HERD_OK;
    return herd_world_client_end(w, id, &before, rc);
}
