/* world.c — the world's layout, its in-flight items and the outbox drains (see world.h).
 *
 * Owns the bytes of an hm_world: the fixed part, the store tail and the server-local
 * dedup caches, and every rule for how effects become in-flight items. Transitions live
 * in world_step.c; both record machine inputs and effects through hm_recorder when one
 * is given (counterexample traces), and pay one branch when not (the explorer). */
#include "world_internal.h"

#include "error.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

size_t hm_world_store_bytes(const hm_config *cfg) { return ALIGN8(herd_store_bytes(&cfg->store)); }

size_t hm_world_local_bytes(const hm_config *cfg)
{
    if (cfg->proto.dedup_mode != HERD_DEDUP_LOCAL) return 0;
    return ALIGN8(herd_dedup_bytes(cfg->local_capacity));
}

size_t hm_world_bytes(const hm_config *cfg)
{
    return sizeof(hm_world) + hm_world_store_bytes(cfg) + cfg->servers * hm_world_local_bytes(cfg);
}

/* The parts of a world that a configuration uses, in address order: the fields before
 * the clients, client c < clients (and its generator), session and read slot (s, c) for
 * s < servers, the oracle, the items in flight, the tail. Everything else stays zero in
 * every world of the configuration (nothing indexes past cfg's counts), and so do the
 * items past n_items (world.c removes them zeroed): copying the used parts and the items
 * either world holds makes dst equal src byte for byte. */
void hm_world_copy(hm_world *dst, const hm_world *src, const hm_config *cfg)
{
    uint32_t C = cfg->clients, S = cfg->servers;
    uint32_t items = src->n_items > dst->n_items ? src->n_items : dst->n_items;
    memcpy(dst, src, offsetof(hm_world, client) + C * sizeof src->client[0]);
    memcpy(dst->rng, src->rng, C * sizeof src->rng[0]);
    for (uint32_t s = 0; s < S; s++) {
        memcpy(dst->sess[s], src->sess[s], C * sizeof src->sess[s][0]);
        memcpy(dst->rr[s], src->rr[s], C * sizeof src->rr[s][0]);
    }
    memcpy(&dst->acked, &src->acked, offsetof(hm_world, items) - offsetof(hm_world, acked));
    memcpy(dst->items, src->items, items * sizeof src->items[0]);
    memcpy(dst->tail, src->tail, hm_world_bytes(cfg) - sizeof(hm_world));
}

herd_store *hm_world_store(hm_world *w) { return (herd_store *)(void *)w->tail; }
const herd_store *hm_world_store_c(const hm_world *w) { return (const herd_store *)(const void *)w->tail; }

herd_dedup *hm_world_local(hm_world *w, const hm_config *cfg, uint32_t server)
{
    size_t lb = hm_world_local_bytes(cfg);
    if (lb == 0) return NULL;
    return (herd_dedup *)(void *)(w->tail + hm_world_store_bytes(cfg) + server * lb);
}

const herd_dedup *hm_world_local_c(const hm_world *w, const hm_config *cfg, uint32_t server)
{
    return hm_world_local((hm_world *)(uintptr_t)w, cfg, server);
}

/* ---- recording ---------------------------------------------------------------------- */

void hm_rec_emit(hm_recorder *rec, herd_trace_rec *r)
{
    if (rec == NULL) return;
    r->step = rec->step;
    rec->emit(rec, r);
}

void hm_rec_init(herd_trace_rec *r, uint8_t what, const char *name, const char *actor_fmt,
                 uint32_t a, uint32_t b)
{
    memset(r, 0, sizeof *r);
    r->what = what;
    snprintf(r->name, sizeof r->name, "%s", name);
    /* actor_fmt is always one of this directory's literal actor patterns */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(r->actor, sizeof r->actor, actor_fmt, a, b);
#pragma GCC diagnostic pop
}

static void set_violation(hm_world *w, int p)
{
    if (w->violation == HM_P_NONE) w->violation = (uint8_t)p;
}

/* Client c still listens on connection conn (it has not left it for a backoff). */
static bool client_on(const hm_world *w, uint8_t c, uint32_t conn)
{
    return w->client[c].conn == conn && w->client[c].state != HERD_CLIENT_BACKOFF &&
           w->client[c].state != HERD_CLIENT_STOPPED;
}

/* ---- items -------------------------------------------------------------------------- */

static int item_cmp(const hm_item *a, const hm_item *b)
{
    if (a->client != b->client) return a->client < b->client ? -1 : 1;
    if (a->server != b->server) return a->server < b->server ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    return memcmp(a, b, sizeof *a);
}

/* Sort (insertion: at most HM_ITEMS_MAX, nearly sorted) and renumber FIFO positions so a
 * channel's items are 0..k-1 in their order. */
void hm_items_normalize(hm_world *w)
{
    for (uint32_t i = 1; i < w->n_items; i++) {
        hm_item x = w->items[i];
        uint32_t j = i;
        while (j > 0 && item_cmp(&w->items[j - 1], &x) > 0) {
            w->items[j] = w->items[j - 1];
            j--;
        }
        w->items[j] = x;
    }
    uint8_t pos = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        hm_item *it = &w->items[i];
        bool same = i > 0 && it->kind == w->items[i - 1].kind && it->client == w->items[i - 1].client &&
                    it->server == w->items[i - 1].server;
        pos = same ? (uint8_t)(pos + 1) : 0;
        it->pos = pos;
    }
    /* renumbering keeps the order within a channel, so the array stays sorted */
}

static uint8_t chan_len(const hm_world *w, uint8_t kind, uint8_t client, uint8_t server)
{
    uint8_t n = 0;
    for (uint32_t i = 0; i < w->n_items; i++)
        if (w->items[i].kind == kind && w->items[i].client == client && w->items[i].server == server) n++;
    return n;
}

/* Append to the end of its channel. A full item array is I7 (an unbounded queue). */
void hm_item_push(hm_world *w, hm_item *it)
{
    if (w->n_items >= HM_ITEMS_MAX) {
        if (w->violation == HM_P_NONE) w->violation = HM_P_I7;
        return;
    }
    it->pos = chan_len(w, it->kind, it->client, it->server);
    w->items[w->n_items++] = *it;
    hm_items_normalize(w);
}

void hm_item_remove(hm_world *w, uint32_t idx)
{
    assert(idx < w->n_items);
    memmove(&w->items[idx], &w->items[idx + 1], (w->n_items - idx - 1) * sizeof(hm_item));
    w->n_items--;
    memset(&w->items[w->n_items], 0, sizeof(hm_item));
    hm_items_normalize(w);
}

/* Remove every item of connection (client, server, conn) whose kind is in kinds_mask
 * (bit = 1 << kind). Store requests other than READs are kept: the store still runs
 * them after the connection is gone (the crash-between-append-and-ACK window). */
void hm_items_purge(hm_world *w, uint8_t client, uint8_t server, uint32_t conn, uint32_t kinds_mask)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        bool match = it->client == client && it->server == server && it->conn == conn &&
                     (kinds_mask & (1u << it->kind));
        if (match && it->kind == HM_IT_SREQ && it->u.req.op != HERD_STORE_OP_READ) match = false;
        if (!match) w->items[k++] = *it;
    }
    for (uint32_t i = k; i < w->n_items; i++) memset(&w->items[i], 0, sizeof(hm_item));
    w->n_items = (uint16_t)k;
    hm_items_normalize(w);
}

#define KINDS_ALL ((1u << HM_IT_C2S) | (1u << HM_IT_S2C) | (1u << HM_IT_SREQ) | (1u << HM_IT_SRES) | (1u << HM_IT_FAN))

/* The connection (client, server, conn) is over. mode says who knows and how:
 * ABNORMAL: everything in flight dies, the client gets a 1006 notice;
 * GRACEFUL: the server stops reading and sends CLOSE(code) after what it already sent;
 * SILENT: the client closed it itself (its own timeout), nobody needs telling. */
void hm_conn_kill(hm_world *w, const hm_config *cfg, uint8_t c, uint8_t s, uint32_t conn, int mode, uint16_t code,
                  hm_recorder *rec)
{
    herd_session *ss = &w->sess[s][c];
    if (ss->conn == conn && ss->state != HERD_SESSION_CLOSED) {
        herd_trace_rec r;
        hm_rec_init(&r, HERD_TRACE_INPUT, "session_close", "server:%u/client:%u", s, c);
        r.has = HERD_TF_CONN;
        r.conn = conn;
        hm_rec_emit(rec, &r);
        herd_session_close(ss);
    }
    bool severed = false;
    if (ss->conn == conn) {
        w->sub[s][c] = 0;
        memset(&w->rr[s][c], 0, sizeof w->rr[s][c]);
        severed = w->severed[s][c] != 0;
        w->severed[s][c] = 0;
    }
    uint32_t mask = KINDS_ALL;
    if (mode == HM_KILL_GRACEFUL) mask &= ~(1u << HM_IT_S2C);
    hm_items_purge(w, c, s, conn, mask);
    if (mode == HM_KILL_SILENT) return;
    if (cfg->s2c_eager_on) {
        /* The client learns at once: a CLOSE frame for a graceful close (unless that
         * direction is lost: then it sees the connection die), else a 1006 notice. */
        herd_frame f;
        memset(&f, 0, sizeof f);
        f.type = mode == HM_KILL_GRACEFUL && !severed ? HERD_FRAME_CLOSE : 0;
        f.code = mode == HM_KILL_GRACEFUL && !severed ? code : HERD_CLOSE_ABNORMAL;
        if (client_on(w, c, conn)) {
            int rc = hm_client_frame(w, cfg, c, conn, &f, rec);
            if (rc < 0 && herd_error_is_fatal(rc)) set_violation(w, HM_P_INTERNAL);
        }
        return;
    }
    hm_item it;
    memset(&it, 0, sizeof it);
    it.kind = HM_IT_S2C;
    it.client = c;
    it.server = s;
    it.conn = conn;
    it.u.frame.type = mode == HM_KILL_GRACEFUL ? HERD_FRAME_CLOSE : 0;
    it.u.frame.code = code;
    hm_item_push(w, &it);
}

/* ---- the client's inputs -------------------------------------------------------------- */


int hm_client_frame(hm_world *w, const hm_config *cfg, uint8_t c, uint32_t conn, const herd_frame *f,
                    hm_recorder *rec)
{
    herd_outbox out;
    herd_outbox_clear(&out);
    if (rec) {
        herd_trace_rec r;
        hm_rec_init(&r, HERD_TRACE_INPUT, f->type ? "frame" : "close", "client:%u", c, 0);
        herd_trace_rec_frame(&r, f);
        if (f->type == 0) r.has = HERD_TF_CODE | HERD_TF_RETRY;
        r.has |= HERD_TF_NOW | HERD_TF_CONN;
        r.now = w->now;
        r.conn = conn;
        hm_rec_emit(rec, &r);
    }
    int rc;
    if (f->type == 0)
        rc = herd_client_on_close(&w->client[c], &cfg->client, conn, f->code, 0, &w->rng[c], w->now, &out);
    else
        rc = herd_client_on_frame(&w->client[c], &cfg->client, conn, f, &w->rng[c], w->now, &out);
    hm_drain_client(w, cfg, c, &out, rec);
    return rc;
}

/* A reply lost on its way to the client needs something that kills the connection
 * next: the drop, or a crash of its server (already coming, or within budget). */
bool hm_sever_by_crash(const hm_world *w, uint8_t server)
{
    return w->crashing[server] || (w->budget[HM_F_SERVER_CRASH] != 0 && w->server_up[server]);
}

/* Eager mode: the most frames a session step that consumes `it` can send the client
 * (src/server.c): a read result GAP + its entries + RESUMED, anything else one frame (an
 * ACK, a DELIVER, or a CLOSE). A bound too high only costs HM_APPLY_NA tries; one too low
 * would hide variants, so hm_world_apply checks every eager step against it. */
uint32_t hm_max_reply(const hm_world *w, const hm_item *it)
{
    if (it->kind == HM_IT_SRES && it->u.res.op == HERD_STORE_OP_READ) return w->rr[it->server][it->client].n + 2u;
    return 1u;
}

/* Eager mode: the frames one session step sent on connection conn reach client c now,
 * in order, as the transition's variant says (world.h). A frame sent on a severed
 * direction is lost; so is everything after a frame the client's own reaction closed
 * the connection on (it would have been purged). */
static void s2c_send(hm_world *w, const hm_config *cfg, uint8_t s, uint8_t c, uint32_t conn, const herd_frame *fr,
                     uint32_t n, hm_recorder *rec)
{
    w->replies = (uint8_t)n;
    for (uint32_t i = 0; i < n; i++) {
        if (w->severed[s][c]) return;
        if (w->variant == HM_V_SEVER + i && w->budget[HM_F_DROP]) {
            w->budget[HM_F_DROP]--;
            w->severed[s][c] = HM_SEVERED_DROP;
            w->variant_hit = 1;
            return;
        }
        if (w->variant == HM_V_SEVERC + i && hm_sever_by_crash(w, s)) {
            if (!w->crashing[s]) {
                w->budget[HM_F_SERVER_CRASH]--;
                w->crashing[s] = 1;
            }
            w->severed[s][c] = HM_SEVERED_CRASH;
            w->variant_hit = 1;
            return;
        }
        uint32_t copies = 1;
        if (w->variant == HM_V_DUP + i && w->budget[HM_F_DUP]) {
            w->budget[HM_F_DUP]--;
            w->variant_hit = 1;
            copies = 2;
        }
        for (uint32_t k = 0; k < copies; k++) {
            if (!client_on(w, c, conn)) return; /* it left the connection: the rest would have been purged */
            int rc = hm_client_frame(w, cfg, c, conn, &fr[i], rec);
            if (rc < 0 && herd_error_is_fatal(rc)) { set_violation(w, HM_P_INTERNAL); return; }
        }
    }
}

/* ---- outbox drains ------------------------------------------------------------------ */


/* I3, I4 and I6 at the moment the client hands a message to its application. */
static void oracle_deliver(hm_world *w, const hm_config *cfg, uint8_t c, const herd_effect *e)
{
    uint32_t m = hm_msg_index(cfg, e->msg);
    if (m >= cfg->clients * cfg->messages) { set_violation(w, HM_P_INTERNAL); return; }
    if (w->delivered[c] >> m & 1u) set_violation(w, HM_P_I3);
    if (herd_sid_cmp(e->sid, w->last_deliv[c]) <= 0) set_violation(w, HM_P_I4);
    for (uint32_t k = 0; k < cfg->clients * cfg->messages; k++) {
        if (w->msg_lsn[k] == 0 || k == m) continue;
        if ((w->delivered[c] | w->gapped[c]) >> k & 1u) continue;
        if (herd_sid_cmp(w->msg_sid[k], w->last_deliv[c]) > 0 && herd_sid_cmp(w->msg_sid[k], e->sid) < 0)
            set_violation(w, HM_P_I6); /* an entry in between, skipped without a GAP */
    }
    w->delivered[c] |= 1ull << m;
    w->last_deliv[c] = e->sid;
}

static void oracle_gap(hm_world *w, const hm_config *cfg, uint8_t c, const herd_effect *e)
{
    for (uint32_t k = 0; k < cfg->clients * cfg->messages; k++)
        if (w->msg_lsn[k] != 0 && herd_sid_cmp(w->msg_sid[k], e->prev) > 0 &&
            herd_sid_cmp(w->msg_sid[k], e->sid) <= 0)
            w->gapped[c] |= 1ull << k;
    if (herd_sid_cmp(e->sid, w->last_deliv[c]) > 0) w->last_deliv[c] = e->sid;
}

static void rec_effect(hm_recorder *rec, const char *actor_fmt, uint32_t a, uint32_t b,
                       const herd_effect *e)
{
    herd_trace_rec r;
    hm_rec_init(&r, HERD_TRACE_EFFECT, herd_trace_effect_name(e->kind), actor_fmt, a, b);
    herd_trace_rec_effect(&r, e);
    hm_rec_emit(rec, &r);
}

void hm_drain_client(hm_world *w, const hm_config *cfg, uint8_t c, herd_outbox *out, hm_recorder *rec)
{
    herd_client *cl = &w->client[c];
    for (uint32_t i = 0; i < out->count; i++) {
        const herd_effect *e = &out->fx[i];
        if (rec) rec_effect(rec, "client:%u", c, 0, e);
        switch (e->kind) {
        case HERD_FX_CONNECT: w->pending[c] = 1; w->cur_server[c] = HM_NONE; break;
        case HERD_FX_SEND: {
            if (w->cur_server[c] == HM_NONE) break; /* no connection yet: nothing to carry it */
            hm_item it;
            memset(&it, 0, sizeof it);
            it.kind = HM_IT_C2S;
            it.client = c;
            it.server = w->cur_server[c];
            it.conn = e->conn;
            it.u.frame = e->frame;
            hm_item_push(w, &it);
            break;
        }
        case HERD_FX_CLOSE: /* the client abandons its connection (a timeout) */
            if (w->cur_server[c] != HM_NONE)
                hm_conn_kill(w, cfg, c, w->cur_server[c], e->conn, HM_KILL_SILENT, e->code, rec);
            w->cur_server[c] = HM_NONE;
            break;
        case HERD_FX_DELIVER: oracle_deliver(w, cfg, c, e); break;
        case HERD_FX_GAP: oracle_gap(w, cfg, c, e); break;
        case HERD_FX_ACKED: w->acked |= 1ull << hm_msg_index(cfg, e->msg); break;
        default: break;
        }
    }
    /* A client that lost its connection no longer has a server. */
    if (cl->state == HERD_CLIENT_BACKOFF || cl->state == HERD_CLIENT_STOPPED) w->cur_server[c] = HM_NONE;
    herd_outbox_clear(out);
}

/* I5: when an ACK leaves the server, the entry exists and is durable. */
static void oracle_ack_sent(hm_world *w, const hm_config *cfg, herd_msg_id msg)
{
    uint32_t m = hm_msg_index(cfg, msg);
    if (m >= cfg->clients * cfg->messages) { set_violation(w, HM_P_INTERNAL); return; }
    if (w->msg_lsn[m] == 0 || !herd_store_is_durable(hm_world_store_c(w), w->msg_lsn[m]))
        set_violation(w, HM_P_I5);
}

static void fanout(hm_world *w, const hm_config *cfg, const herd_effect *e)
{
    for (uint8_t s = 0; s < cfg->servers; s++)
        for (uint8_t c = 0; c < cfg->clients; c++) {
            const herd_session *ss = &w->sess[s][c];
            if (!w->sub[s][c] || !w->server_up[s] || ss->state == HERD_SESSION_CLOSED) continue;
            if (ss->room != e->room) continue;
            hm_item it;
            memset(&it, 0, sizeof it);
            it.kind = HM_IT_FAN;
            it.client = c;
            it.server = s;
            it.conn = ss->conn;
            it.u.fan.sid = e->sid;
            it.u.fan.prev = e->prev;
            it.u.fan.msg = e->msg;
            it.u.fan.room = e->room;
            hm_item_push(w, &it);
        }
}

void hm_drain_session(hm_world *w, const hm_config *cfg, uint8_t s, uint8_t c, herd_outbox *out,
                      hm_recorder *rec)
{
    herd_session *ss = &w->sess[s][c];
    herd_frame fr[HM_SEND_MAX]; /* eager mode: what this step sends the client, in order */
    uint32_t n_fr = 0;
    uint32_t conn = ss->conn;
    for (uint32_t i = 0; i < out->count; i++) {
        const herd_effect *e = &out->fx[i];
        if (rec) rec_effect(rec, "server:%u/client:%u", s, c, e);
        hm_item it;
        memset(&it, 0, sizeof it);
        it.client = c;
        it.server = s;
        it.conn = ss->conn;
        switch (e->kind) {
        case HERD_FX_SEND:
            if (e->frame.type == HERD_FRAME_ACK) oracle_ack_sent(w, cfg, e->frame.msg);
            it.kind = HM_IT_S2C;
            it.u.frame = e->frame;
            if (!cfg->s2c_eager_on) hm_item_push(w, &it);
            else if (n_fr < HM_SEND_MAX) fr[n_fr++] = e->frame;
            else set_violation(w, HM_P_I7); /* more than a step may send: the model's bound */
            break;
        case HERD_FX_CLOSE: /* the session closed itself: tell the client, stop reading */
            w->sub[s][c] = 0;
            hm_items_purge(w, c, s, ss->conn, (1u << HM_IT_C2S) | (1u << HM_IT_FAN));
            it.kind = HM_IT_S2C;
            it.u.frame.type = HERD_FRAME_CLOSE;
            it.u.frame.code = e->code;
            it.u.frame.retry_after_ms = e->retry_after_ms;
            if (!cfg->s2c_eager_on) hm_item_push(w, &it);
            else if (n_fr < HM_SEND_MAX) fr[n_fr++] = it.u.frame;
            else set_violation(w, HM_P_I7);
            break;
        case HERD_FX_STORE:
            it.kind = HM_IT_SREQ;
            it.u.req = e->req;
            hm_item_push(w, &it);
            break;
        case HERD_FX_SUBSCRIBE: w->sub[s][c] = 1; break;
        case HERD_FX_FANOUT: fanout(w, cfg, e); break;
        default: break;
        }
    }
    herd_outbox_clear(out);
    if (n_fr) s2c_send(w, cfg, s, c, conn, fr, n_fr, rec);
}

/* ---- store oracle ------------------------------------------------------------------- */

/* I2: an append of a message whose earlier append still survives (trimmed or not). */
void hm_oracle_append(hm_world *w, const hm_config *cfg, herd_msg_id msg, const herd_publish_result *p)
{
    if (p->status != HERD_PUBLISH_APPENDED) return;
    uint32_t m = hm_msg_index(cfg, msg);
    if (m >= cfg->clients * cfg->messages) { set_violation(w, HM_P_INTERNAL); return; }
    if (w->msg_lsn[m] != 0) set_violation(w, HM_P_I2);
    w->msg_lsn[m] = p->lsn;
    w->msg_sid[m] = p->sid;
}

/* A store crash loses every write after durable_lsn: forget those appends. */
void hm_oracle_store_crash(hm_world *w, const hm_config *cfg, uint64_t durable_lsn)
{
    for (uint32_t m = 0; m < cfg->clients * cfg->messages; m++)
        if (w->msg_lsn[m] > durable_lsn) {
            w->msg_lsn[m] = 0;
            w->msg_sid[m] = HERD_SID_ZERO;
        }
}
