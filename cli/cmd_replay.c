/* cmd_replay.c — `herd replay TRACE`: re-feed a trace's core inputs to fresh machines and
 * re-check the invariants, independently of the explorer.
 *
 * Nothing of model/world*.c is used: the machines (clients, sessions, the store, the
 * server-local dedup caches) are built here from the trace header, every "input" record
 * is fed to the machine its actor names, store requests are executed against this
 * replay's own store (their results queue per session, as on one Redis connection), and
 * a separate oracle (below) watches the effects the machines produce. Effects recorded
 * in the trace are not trusted; they are only counted. Only the properties the model
 * checked (header "properties") count. Exit 0 when the replay confirms what the trace
 * claims (the named property violated at the named step, or nothing violated for a trace
 * that claims nothing), 1 when it does not (both are named), 65 on a malformed trace,
 * 74 when it cannot be read. */
#include "cli.h"

#include "client.h"
#include "error.h"
#include "exitcode.h"
#include "server.h"
#include "store.h"
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_CLIENTS 4
#define RP_SERVERS 3
#define RP_APPENDS 256
#define RP_FIFO 64

typedef struct rp_append { herd_msg_id msg; herd_sid sid; uint64_t lsn; } rp_append;
typedef struct rp_seen { herd_msg_id msg; herd_sid sid; } rp_seen;
typedef struct rp_range { herd_sid after, upto; } rp_range;
typedef struct rp_result { uint32_t conn; herd_store_result r; } rp_result;
typedef struct rp_write { herd_msg_id msg; uint32_t server; } rp_write;

typedef struct rp {
    uint32_t clients, servers, messages;
    herd_client_config ccfg;
    herd_server_config scfg;
    herd_client client[RP_CLIENTS];
    herd_rng rng[RP_CLIENTS];
    herd_session sess[RP_SERVERS][RP_CLIENTS];
    herd_dedup *local[RP_SERVERS];
    herd_store *store;
    rp_result *fifo[RP_SERVERS][RP_CLIENTS];
    uint32_t fifo_n[RP_SERVERS][RP_CLIENTS];
    /* the oracle */
    rp_append app[RP_APPENDS];       /* surviving appends */
    uint32_t n_app;
    herd_msg_id acked[RP_APPENDS];
    uint32_t n_acked;
    rp_write writes[RP_APPENDS];     /* writes a session issued that the store has not run */
    uint32_t n_writes;
    rp_seen seen[RP_CLIENTS][RP_APPENDS]; /* deliveries per client, in order */
    uint32_t n_seen[RP_CLIENTS];
    rp_range gaps[RP_CLIENTS][32];
    uint32_t n_gaps[RP_CLIENTS];
    herd_sid pos[RP_CLIENTS];        /* last delivered id or gap end */
    char violation[256];
    char vprop[12];                  /* the first violation's property ("I2"), "" if none */
    uint32_t vstep;                  /* ... and its step */
    uint32_t props_mask;             /* the properties the trace's model checked (prop_names bits) */
    uint32_t effects;
    bool end_l1;  /* the trace ends where L1's fault-free schedule ran out of steps */
} rp;

/* The property names a trace may claim or select, in this file's own list (replay shares
 * nothing with the explorer): bit i of props_mask is prop_names[i]. */
static const char *const prop_names[] = {"I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "L1", NULL};

static int prop_index(const char *name)
{
    for (int i = 0; prop_names[i]; i++)
        if (strcmp(prop_names[i], name) == 0) return i;
    return -1;
}

/* fmt is one of this file's literal messages: "%s: ... %u:%u ..." (property, message).
 * Only the properties the model checked count (its check.properties), as in the search. */
static void violate(rp *p, uint32_t step, const char *fmt, const char *what, herd_msg_id m)
{
    if (p->violation[0]) return;
    int prop = prop_index(what);
    if (prop >= 0 && !((p->props_mask >> prop) & 1u)) return;
    snprintf(p->vprop, sizeof p->vprop, "%s", what);
    p->vstep = step;
    int n = snprintf(p->violation, sizeof p->violation, "step %u: ", step);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(p->violation + n, sizeof p->violation - (size_t)n, fmt, what, herd_msg_client(m), herd_msg_seq(m));
#pragma GCC diagnostic pop
}

static const rp_append *find_app(const rp *p, herd_msg_id m)
{
    for (uint32_t i = 0; i < p->n_app; i++)
        if (p->app[i].msg == m) return &p->app[i];
    return NULL;
}

static bool covered(const rp *p, uint32_t c, herd_msg_id m, herd_sid sid)
{
    for (uint32_t i = 0; i < p->n_seen[c]; i++)
        if (p->seen[c][i].msg == m) return true;
    for (uint32_t i = 0; i < p->n_gaps[c]; i++)
        if (herd_sid_cmp(sid, p->gaps[c][i].after) > 0 && herd_sid_cmp(sid, p->gaps[c][i].upto) <= 0) return true;
    return false;
}

static void on_client_effects(rp *p, uint32_t c, const herd_outbox *o, uint32_t step)
{
    for (uint32_t i = 0; i < o->count; i++) {
        const herd_effect *e = &o->fx[i];
        p->effects++;
        if (e->kind == HERD_FX_ACKED && p->n_acked < RP_APPENDS) p->acked[p->n_acked++] = e->msg;
        if (e->kind == HERD_FX_GAP && p->n_gaps[c] < 32) {
            p->gaps[c][p->n_gaps[c]++] = (rp_range){e->prev, e->sid};
            if (herd_sid_cmp(e->sid, p->pos[c]) > 0) p->pos[c] = e->sid;
        }
        if (e->kind != HERD_FX_DELIVER) continue;
        for (uint32_t k = 0; k < p->n_seen[c]; k++)
            if (p->seen[c][k].msg == e->msg) violate(p, step, "%s: message %u:%u delivered twice to one client", "I3", e->msg);
        if (herd_sid_cmp(e->sid, p->pos[c]) <= 0) violate(p, step, "%s: message %u:%u delivered out of stream order", "I4", e->msg);
        for (uint32_t k = 0; k < p->n_app; k++) {
            const rp_append *a = &p->app[k];
            if (herd_sid_cmp(a->sid, p->pos[c]) > 0 && herd_sid_cmp(a->sid, e->sid) < 0 && !covered(p, c, a->msg, a->sid))
                violate(p, step, "%s: message %u:%u skipped without a GAP", "I6", a->msg);
        }
        if (p->n_seen[c] < RP_APPENDS) p->seen[c][p->n_seen[c]++] = (rp_seen){e->msg, e->sid};
        p->pos[c] = e->sid;
    }
}

static bool was_acked(const rp *p, herd_msg_id m)
{
    for (uint32_t i = 0; i < p->n_acked; i++)
        if (p->acked[i] == m) return true;
    return false;
}

/* I8: after an input of client c, each message it published is in its retry queue or was
 * ACKed (an ACKED effect came out), never both, never neither. */
static void conservation(rp *p, uint32_t c, uint32_t step)
{
    const herd_client *cl = &p->client[c];
    for (uint32_t seq = 1; seq < cl->next_seq; seq++) {
        herd_msg_id m = herd_msg_make(c, seq);
        bool held = herd_client_holds(cl, seq), acked = was_acked(p, m);
        if (!held && !acked) violate(p, step, "%s: message %u:%u left its retry queue without an ACK", "I8", m);
        if (held && acked) violate(p, step, "%s: message %u:%u ACKed and still in its retry queue", "I8", m);
    }
}

static bool write_pending(const rp *p, herd_msg_id m)
{
    for (uint32_t i = 0; i < p->n_writes; i++)
        if (p->writes[i].msg == m) return true;
    return false;
}

/* The store ran server s's write of m (the oldest one), or (m = 0) the server crashed
 * and an ACK-first server's unsent writes died with it (the explorer's drop_writes). */
static void writes_done(rp *p, uint32_t s, herd_msg_id m)
{
    uint32_t k = 0;
    bool one = false;
    for (uint32_t i = 0; i < p->n_writes; i++) {
        bool match = p->writes[i].server == s && (m == 0 || (p->writes[i].msg == m && !one));
        if (match && m != 0) one = true;
        if (!match) p->writes[k++] = p->writes[i];
    }
    p->n_writes = k;
}

static void on_session_effects(rp *p, uint32_t s, const herd_outbox *o, uint32_t step)
{
    for (uint32_t i = 0; i < o->count; i++) {
        const herd_effect *e = &o->fx[i];
        p->effects++;
        if (e->kind == HERD_FX_STORE && e->req.op != HERD_STORE_OP_READ && p->n_writes < RP_APPENDS)
            p->writes[p->n_writes++] = (rp_write){e->req.msg, s};
        if (e->kind != HERD_FX_SEND || e->frame.type != HERD_FRAME_ACK) continue;
        const rp_append *a = find_app(p, e->frame.msg);
        if (a == NULL || !herd_store_is_durable(p->store, a->lsn))
            violate(p, step, "%s: ACK for %u:%u sent before the entry was durable in the store", "I5", e->frame.msg);
    }
}

static void after_step(rp *p, uint32_t step)
{
    for (uint32_t i = 0; i < p->n_acked; i++)
        if (find_app(p, p->acked[i]) == NULL && !write_pending(p, p->acked[i]))
            violate(p, step, "%s: ACKed message %u:%u is not in the store, and no write of it is pending", "I1",
                    p->acked[i]);
    for (uint32_t c = 0; c < p->clients; c++)
        if (herd_client_queue_len(&p->client[c]) > p->ccfg.queue_max)
            violate(p, step, "%s: retry queue of client %u over its bound", "I7", c);
}

/* At rest: every retry queue drained, every client live with everything published, and
 * every surviving append delivered to every client or covered by a GAP (caught up), and
 * every ACKed message delivered to every client or covered by a GAP. */
static void at_rest(rp *p, uint32_t step)
{
    for (uint32_t c = 0; c < p->clients; c++) {
        const herd_client *cl = &p->client[c];
        if (cl->state != HERD_CLIENT_LIVE || cl->next_seq <= p->messages || herd_client_queue_len(cl) != 0)
            violate(p, step, "%s: at rest, client %u is not live with an empty retry queue (%u:%u)", "L1",
                    herd_msg_make(c, herd_client_queue_len(cl)));
    }
    for (uint32_t i = 0; i < p->n_app; i++) /* caught up: every surviving append reached every client */
        for (uint32_t c = 0; c < p->clients; c++)
            if (!covered(p, c, p->app[i].msg, p->app[i].sid))
                violate(p, step, "%s: at rest, a client has not caught up: %u:%u is in the stream", "L1",
                        p->app[i].msg);
    for (uint32_t i = 0; i < p->n_acked; i++) {
        const rp_append *a = find_app(p, p->acked[i]);
        for (uint32_t c = 0; a && c < p->clients; c++)
            if (!covered(p, c, a->msg, a->sid))
                violate(p, step, "%s: at rest, ACKed message %u:%u never reached a client", "I1", a->msg);
    }
}

static uint64_t hnum(const herd_trace_header *h, const char *k, bool *ok)
{
    const char *v = herd_trace_header_get(h, k);
    if (v == NULL) { *ok = false; return 0; }
    return strtoull(v, NULL, 10);
}

/* The header's "properties" ("I1,I2,L1"): the model's check.properties. Absent: all. */
static int props_from_header(const herd_trace_header *h, uint32_t *mask, char *why, size_t size)
{
    const char *v = herd_trace_header_get(h, "properties");
    *mask = ~0u;
    if (v == NULL) return 0;
    *mask = 0;
    char name[12];
    for (const char *s = v; *s;) {
        size_t n = strcspn(s, ",");
        int prop = -1;
        if (n > 0 && n < sizeof name) {
            memcpy(name, s, n);
            name[n] = 0;
            prop = prop_index(name);
        }
        if (prop < 0) {
            snprintf(why, size, "header: properties '%s' is not a list such as \"I1,I2,L1\"", v);
            return -1;
        }
        *mask |= 1u << prop;
        s += n + (s[n] == ',');
    }
    if (*mask == 0) { snprintf(why, size, "header: properties is empty"); return -1; }
    return 0;
}

/* Fresh machines from the header's parameters. 0, or -1 with why set. */
static int rp_setup(rp *p, const herd_trace_header *h, char *why, size_t size)
{
    bool ok = true;
    p->clients = (uint32_t)hnum(h, "clients", &ok);
    p->servers = (uint32_t)hnum(h, "servers", &ok);
    p->messages = (uint32_t)hnum(h, "messages", &ok);
    herd_protocol proto;
    const char *pn = herd_trace_header_get(h, "protocol");
    const char *dn = herd_trace_header_get(h, "durability");
    int dur = dn ? herd_durability_parse(dn) : -1;
    if (!ok || !pn || herd_protocol_parse(pn, &proto) != HERD_OK || dur < 0 || p->clients < 1 ||
        p->clients > RP_CLIENTS || p->servers < 1 || p->servers > RP_SERVERS) {
        snprintf(why, size, "header: missing or invalid world parameters (clients, servers, messages, protocol, durability)");
        return -1;
    }
    herd_store_config sc = {.rooms = 1, .maxlen = (uint32_t)hnum(h, "maxlen", &ok),
                            .dedup_capacity = (uint32_t)hnum(h, "dedup_capacity", &ok), .durability = (uint8_t)dur,
                            .dedup_window_us = hnum(h, "dedup_window_us", &ok)};
    herd_backoff_defaults(&p->ccfg.backoff, HERD_BACKOFF_FIXED);
    p->ccfg.backoff.base_us = p->ccfg.backoff.base_max_us = (uint32_t)hnum(h, "backoff_us", &ok);
    p->ccfg.backoff.max_attempts = 0;
    p->ccfg.proto = proto;
    p->ccfg.connect_timeout_us = hnum(h, "connect_timeout_us", &ok);
    p->ccfg.resume_timeout_us = hnum(h, "resume_timeout_us", &ok);
    p->ccfg.ack_timeout_us = hnum(h, "ack_timeout_us", &ok);
    p->ccfg.stable_reset_us = hnum(h, "stable_reset_us", &ok);
    p->ccfg.queue_max = (uint32_t)hnum(h, "queue_max", &ok);
    p->scfg.proto = proto;
    p->scfg.read_batch = (uint16_t)hnum(h, "read_batch", &ok);
    uint32_t lcap = (uint32_t)hnum(h, "local_capacity", &ok);
    herd_time lwin = hnum(h, "local_window_us", &ok);
    size_t sb = herd_store_bytes(&sc);
    if (!ok || sb == 0 || herd_client_config_validate(&p->ccfg) || herd_server_config_validate(&p->scfg)) {
        snprintf(why, size, "header: missing or invalid machine parameters");
        return -1;
    }
    p->store = calloc(1, sb);
    if (p->store == NULL || herd_store_init(p->store, sb, &sc, 0) != HERD_OK) { snprintf(why, size, "store init failed"); return -1; }
    for (uint32_t s = 0; s < p->servers; s++) {
        for (uint32_t c = 0; c < p->clients; c++) {
            p->sess[s][c].state = HERD_SESSION_CLOSED;
            p->fifo[s][c] = calloc(RP_FIFO, sizeof(rp_result));
            if (p->fifo[s][c] == NULL) { snprintf(why, size, "out of memory"); return -1; }
        }
        if (proto.dedup_mode != HERD_DEDUP_LOCAL) continue;
        size_t lb = herd_dedup_bytes(lcap);
        p->local[s] = calloc(1, lb ? lb : 1);
        if (lb == 0 || p->local[s] == NULL || herd_dedup_init(p->local[s], lb, lcap, lwin) != HERD_OK) {
            snprintf(why, size, "local dedup init failed");
            return -1;
        }
    }
    if (props_from_header(h, &p->props_mask, why, size) != 0) return -1;
    uint64_t seed = hnum(h, "rng_seed", &ok);
    for (uint32_t c = 0; c < p->clients; c++) {
        herd_rng_seed(&p->rng[c], seed);
        herd_client_init(&p->client[c], &p->ccfg, c, 0, &p->rng[c]);
    }
    return 0;
}

static void rp_free(rp *p)
{
    free(p->store);
    for (uint32_t s = 0; s < RP_SERVERS; s++) {
        free(p->local[s]);
        for (uint32_t c = 0; c < RP_CLIENTS; c++) free(p->fifo[s][c]);
    }
}

static herd_frame rec_to_frame(const herd_trace_rec *r)
{
    herd_frame f = {0};
    f.type = r->frame;
    if (r->has & HERD_TF_CODE) f.code = r->code;
    if (r->has & HERD_TF_RETRY) f.retry_after_ms = r->retry_after_ms;
    if (r->has & HERD_TF_CLIENT) f.client = r->client;
    if (r->has & HERD_TF_ROOM) f.room = r->room;
    if (r->has & HERD_TF_MSG) f.msg = r->msg;
    if (r->has & HERD_TF_SID) f.sid = r->sid;
    if (r->has & HERD_TF_PREV) f.prev = r->prev;
    return f;
}

static int client_input(rp *p, uint32_t c, const herd_trace_rec *r, herd_outbox *o)
{
    herd_client *cl = &p->client[c];
    const herd_client_config *k = &p->ccfg;
    if (!strcmp(r->name, "start")) return herd_client_start(cl, k, r->now, o);
    if (!strcmp(r->name, "publish")) { herd_msg_id m; return herd_client_publish(cl, k, r->now, o, &m); }
    if (!strcmp(r->name, "open")) return herd_client_on_open(cl, k, r->conn, r->now, o);
    if (!strcmp(r->name, "timer")) return herd_client_on_timer(cl, k, &p->rng[c], r->now, o);
    if (!strcmp(r->name, "close")) return herd_client_on_close(cl, k, r->conn, r->code, r->retry_after_ms, &p->rng[c], r->now, o);
    if (!strcmp(r->name, "frame")) { herd_frame f = rec_to_frame(r); return herd_client_on_frame(cl, k, r->conn, &f, &p->rng[c], r->now, o); }
    return 1;
}

static int pop_result(rp *p, uint32_t s, uint32_t c, uint32_t conn, herd_store_result *out)
{
    /* results of connections that died before they arrived are skipped, as they were then */
    while (p->fifo_n[s][c] > 0) {
        rp_result first = p->fifo[s][c][0];
        memmove(&p->fifo[s][c][0], &p->fifo[s][c][1], (p->fifo_n[s][c] - 1u) * sizeof(rp_result));
        p->fifo_n[s][c]--;
        if (first.conn == conn) { *out = first.r; return 0; }
    }
    return -1;
}

static int session_input(rp *p, uint32_t s, uint32_t c, const herd_trace_rec *r, herd_outbox *o)
{
    herd_session *ss = &p->sess[s][c];
    if (!strcmp(r->name, "open")) { herd_session_open(ss, r->conn, r->now); return 0; }
    if (!strcmp(r->name, "session_close")) { herd_session_close(ss); return 0; }
    if (!strcmp(r->name, "frame")) { herd_frame f = rec_to_frame(r); return herd_session_on_frame(ss, &p->scfg, p->local[s], &f, r->now, o); }
    if (!strcmp(r->name, "fanout")) return herd_session_on_fanout(ss, &p->scfg, r->room, r->sid, r->prev, r->msg, r->now, o);
    if (!strcmp(r->name, "store_result")) {
        static herd_store_result res;
        if (pop_result(p, s, c, r->conn, &res) != 0) return 2;
        return herd_session_on_store_result(ss, &p->scfg, p->local[s], &res, r->now, o);
    }
    return 1;
}

static int store_input(rp *p, uint32_t s, uint32_t c, const herd_trace_rec *r, uint32_t step)
{
    herd_store_req req = {.op = r->op, .limit = r->limit, .room = r->room, .msg = r->msg, .after = r->after};
    static herd_store_result res;
    if (req.op != HERD_STORE_OP_READ) writes_done(p, s, req.msg);
    int rc = herd_store_execute(p->store, r->now, &req, &res);
    if (rc == HERD_OK && req.op != HERD_STORE_OP_READ && res.pub.status == HERD_PUBLISH_APPENDED) {
        if (find_app(p, req.msg)) violate(p, step, "%s: message %u:%u appended twice", "I2", req.msg);
        else if (p->n_app < RP_APPENDS) p->app[p->n_app++] = (rp_append){req.msg, res.pub.sid, res.pub.lsn};
    }
    if (p->fifo_n[s][c] >= RP_FIFO) return 2;
    p->fifo[s][c][p->fifo_n[s][c]++] = (rp_result){r->conn, res};
    return rc < 0 && herd_error_is_fatal(rc) ? rc : 0;
}

static void store_crash(rp *p, herd_time now)
{
    uint64_t durable = p->store->durable_lsn;
    herd_store_crash(p->store, now);
    uint32_t k = 0;
    for (uint32_t i = 0; i < p->n_app; i++)
        if (p->app[i].lsn <= durable) p->app[k++] = p->app[i];
    p->n_app = k;
}

/* Feed one input record to the machine its actor names. 0 fed (or ignored as the
 * machines ignore it), 1 unknown input, 2 inconsistent trace, < 0 a fatal machine error. */
static int rp_input(rp *p, const herd_trace_rec *r)
{
    static herd_outbox o;
    herd_outbox_clear(&o);
    unsigned a, b;
    char tail;
    int rc = 1;
    if (sscanf(r->actor, "client:%u%c", &a, &tail) == 1) {
        if (a >= p->clients) return 2;
        rc = client_input(p, a, r, &o);
        on_client_effects(p, a, &o, r->step);
        conservation(p, a, r->step);
    } else if (sscanf(r->actor, "store/server:%u/client:%u%c", &a, &b, &tail) == 2) {
        if (a >= p->servers || b >= p->clients || strcmp(r->name, "execute")) return 2;
        rc = store_input(p, a, b, r, r->step);
    } else if (sscanf(r->actor, "server:%u/client:%u%c", &a, &b, &tail) == 2) {
        if (a >= p->servers || b >= p->clients) return 2;
        rc = session_input(p, a, b, r, &o);
        on_session_effects(p, a, &o, r->step);
    } else if (sscanf(r->actor, "server:%u%c", &a, &tail) == 1) {
        if (a >= p->servers) return 2;
        if (!strcmp(r->name, "crash")) {
            if (p->local[a]) herd_dedup_clear(p->local[a]);
            if (p->ccfg.proto.ack_mode == HERD_ACK_BEFORE_PERSIST) writes_done(p, a, 0);
            rc = 0;
        }
        else if (!strcmp(r->name, "restart")) rc = 0;
    } else if (!strcmp(r->actor, "store")) {
        if (!strcmp(r->name, "crash")) { store_crash(p, r->now); rc = 0; }
        else if (!strcmp(r->name, "timer")) { herd_store_on_timer(p->store, r->now); rc = 0; }
    } else if (!strcmp(r->actor, "world")) {
        rc = 0; /* time passing is carried by the next inputs' now_us */
    }
    if (rc < 0 && !herd_error_is_fatal(rc)) rc = 0; /* ESTATE, ESTALE: the machine ignored it */
    return rc;
}

/* 1-based column of field "key" in the line the reader last read, else of the record's
 * first field: the place replay's own messages point at (file:line:col, as the reader's). */
static unsigned field_col(const herd_trace_reader *rd, const char *key)
{
    char quoted[40];
    const char *k = NULL;
    if (key && (size_t)snprintf(quoted, sizeof quoted, "\"%s\"", key) < sizeof quoted) k = strstr(rd->buf, quoted);
    if (!k) {
        k = strchr(rd->buf, '{');
        if (!k) return 1;
        for (k++; *k == ' ' || *k == '\t'; k++) continue;
    }
    return (unsigned)(k - rd->buf) + 1u;
}

/* A reader failure: 74 when reading failed (io_errno), else 65 for a malformed trace. */
static int reader_failed(const herd_trace_reader *rd)
{
    fprintf(stderr, "%s\n", rd->error);
    return rd->io_errno ? HERD_EXIT_IOERR : HERD_EXIT_DATAERR;
}

static int replay_file(const char *path, rp *p, herd_trace_header *h, bool *rest, uint32_t *steps)
{
    herd_trace_reader rd;
    if (herd_trace_open(&rd, path) != 0) {
        fprintf(stderr, "herd replay: %s: %s\n", path, strerror(errno));
        return HERD_EXIT_IOERR;
    }
    char why[200];
    int code = HERD_EXIT_OK;
    if (herd_trace_read_header(&rd, h) != 0) { code = reader_failed(&rd); goto out; }
    if (rp_setup(p, h, why, sizeof why) != 0) { fprintf(stderr, "%s:1:1: %s\n", path, why); code = HERD_EXIT_DATAERR; goto out; }
    herd_trace_rec r;
    int got;
    uint32_t last_step = 0;
    while ((got = herd_trace_read_rec(&rd, &r)) == 1) {
        if (r.step < last_step) { fprintf(stderr, "%s:%u:%u: step numbers go backwards\n", path, rd.line, field_col(&rd, "step")); code = HERD_EXIT_DATAERR; goto out; }
        if (r.step != last_step) after_step(p, last_step);
        last_step = r.step;
        if (r.what == HERD_TRACE_END) {
            *rest = r.quiescent;
            p->end_l1 = !strcmp(r.name, "L1");
            break;
        }
        if (r.what != HERD_TRACE_INPUT) continue;
        int rc = rp_input(p, &r);
        if (rc == 1 || rc == 2) {
            fprintf(stderr, "%s:%u:%u: %s '%s' for actor '%s'\n", path, rd.line, field_col(&rd, NULL),
                    rc == 1 ? "unknown input" : "input inconsistent with the trace so far:", r.name, r.actor);
            code = HERD_EXIT_DATAERR;
            goto out;
        }
        if (rc < 0) {
            snprintf(p->violation, sizeof p->violation, "step %u: the machine returned a fatal error: %s", r.step, herd_strerror(rc));
            snprintf(p->vprop, sizeof p->vprop, "internal");
            p->vstep = r.step;
        }
    }
    if (got < 0) { code = reader_failed(&rd); goto out; }
    after_step(p, last_step);
    *steps = last_step;
out:
    herd_trace_close(&rd);
    return code;
}

/* Does the replay confirm what the trace claims? A trace that claims a violation of P at
 * step S (header "property", "violation_step") is confirmed when the first violation of a
 * checked property is P at S; a trace that claims none when nothing is violated. Exit 0
 * when confirmed, 1 otherwise, naming both. */
static int judge(const rp *p, const herd_trace_header *h, bool rest)
{
    const char *claimed = herd_trace_header_get(h, "property");
    if (claimed && (!strcmp(claimed, "none") || !claimed[0])) claimed = NULL;
    const char *sv = herd_trace_header_get(h, "violation_step");
    unsigned long cstep = sv ? strtoul(sv, NULL, 10) : 0;
    char said[64] = "no violation";
    if (claimed && sv) snprintf(said, sizeof said, "%s at step %lu", claimed, cstep);
    else if (claimed) snprintf(said, sizeof said, "%s", claimed);
    if (p->violation[0]) printf("violation  %s\n", p->violation);
    else printf("clean      no invariant violated%s\n", rest ? " (and the world ended at rest)" : "");
    bool same = claimed ? p->violation[0] && !strcmp(claimed, p->vprop) && (!sv || cstep == p->vstep)
                        : !p->violation[0];
    if (same) {
        printf("confirmed  the trace says %s, and so does the replay\n", said);
        return HERD_EXIT_OK;
    }
    char found[64] = "no violation";
    if (p->violation[0]) snprintf(found, sizeof found, "%s at step %u", p->vprop, p->vstep);
    printf("MISMATCH   the trace says %s; the replay finds %s\n", said, found);
    return HERD_EXIT_FAIL;
}

static const char replay_use[] = "usage: herd replay TRACE.jsonl\n";

static void help(FILE *f)
{
    fputs(replay_use, f);
    fputs("\n"
          "Re-check a trace written by 'herd check --out' (docs/trace-format.md) independently of the\n"
          "model checker: build fresh client, session, store and dedup machines from the trace\n"
          "header, feed them every recorded input in order, and let a separate oracle watch what\n"
          "they do. Effects recorded in the trace are not trusted, only counted; only the\n"
          "properties the model checked count. It confirms the trace's claim (the named property\n"
          "violated at the named step, or nothing violated) or names both sides of the mismatch.\n"
          "\n"
          "options:\n"
          "  -h, --help   print this help and exit 0\n"
          "\n"
          "exit status:\n"
          "  0   the replay confirms what the trace claims\n"
          "  1   it does not (MISMATCH names the claim and the finding)\n"
          "  64  bad command line\n"
          "  65  malformed trace (file:line)\n"
          "  74  the trace cannot be read\n"
          "\n"
          "example:\n"
          "  herd check traces/models/dedup-none.yaml --out out\n"
          "  herd replay out/dedup-none.trace.jsonl\n",
          f);
}

int herd_cmd_replay(int argc, char **argv)
{
    static const char *const replay_flags[] = {"--help", "-h", NULL};
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return HERD_EXIT_OK;
        }
    if (argc != 2 || argv[1][0] == '-') {
        if (argc < 2) fprintf(stderr, "herd replay: no trace file given\n");
        else if (argv[1][0] == '-') herd_cli_unknown_option("replay", argv[1], replay_flags);
        else fprintf(stderr, "herd replay: one trace per replay, got '%s' and '%s'\n", argv[1], argv[2]);
        fputs(replay_use, stderr);
        return HERD_EXIT_USAGE;
    }
    static rp p;
    static herd_trace_header h;
    memset(&p, 0, sizeof p);
    bool rest = false;
    uint32_t steps = 0;
    int code = replay_file(argv[1], &p, &h, &rest, &steps);
    if (code == HERD_EXIT_OK) {
        if (rest) at_rest(&p, steps);
        /* Not at rest after the schedule's bound: L1 reproduces if a queue is still full. */
        for (uint32_t c = 0; !rest && p.end_l1 && c < p.clients; c++)
            if (p.client[c].state != HERD_CLIENT_LIVE || herd_client_queue_len(&p.client[c]) != 0)
                violate(&p, steps, "%s: after the fault-free schedule, client %u:%u still has unACKed messages", "L1",
                        herd_msg_make(c, herd_client_queue_len(&p.client[c])));
        printf("replayed   %s: %u steps, %u effects, fresh machines (protocol %s)\n", argv[1], steps, p.effects,
               herd_trace_header_get(&h, "protocol"));
        code = judge(&p, &h, rest);
    }
    rp_free(&p);
    return code;
}
