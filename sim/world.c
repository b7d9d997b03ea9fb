/* world.c — the world's life cycle and its one event loop (see world.h).
 *
 * Owns: allocation of every entity at start-up, the dispatch of events to the sub-models,
 * the driving of client machines (every client input goes through client_input so the
 * state counters, the retry-queue total and the client's one pending timer event stay
 * right), the draining of client outboxes into events, the trace hash, the metrics tick and
 * the end-of-run liveness figures, the fault kinds' names. Nothing here reads a clock. */
#include "world.h"

#include "error.h"
#include "outputs.h"
#include "trace_out.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HERD_PURPOSE_START 256u
#define HERD_PURPOSE_ROLE 257u

int herd_world_config_defaults(herd_world_config *cfg)
{
    *cfg = (herd_world_config){0};
    cfg->seed = 1;
    cfg->clients = 1000;
    cfg->rooms = 10;
    cfg->servers = 4;
    cfg->duration_us = 60 * (herd_time)HERD_US_PER_S;
    cfg->metrics_interval_us = 100 * (herd_time)HERD_US_PER_MS;
    cfg->start_spread_us = 1 * (herd_time)HERD_US_PER_S;
    cfg->latency_us = 20 * (herd_time)HERD_US_PER_MS;
    cfg->jitter_us = 5 * (herd_time)HERD_US_PER_MS;
    cfg->rto_us = 200 * (herd_time)HERD_US_PER_MS;
    cfg->store_latency_us = 500;
    cfg->pubsub_latency_us = 500;
    cfg->backlog = 4096;
    cfg->workers = 4;
    cfg->handshake_us = 1000;
    cfg->syn_retries = 6;
    cfg->syn_rto_us = HERD_US_PER_S;
    cfg->health_lag_us = 2 * (herd_time)HERD_US_PER_S;
    cfg->lb_burst = 1000;
    cfg->publish_interval_us = 0;
    cfg->publishers_ppm = 1000000;
    cfg->workload_stop_us = HERD_TIME_NEVER;
    cfg->retry_after_ms = 0;
    herd_backoff_defaults(&cfg->client.backoff, HERD_BACKOFF_ARTICLE);
    cfg->client.proto = herd_protocol_correct();
    cfg->client.connect_timeout_us = 10 * (herd_time)HERD_US_PER_S;
    cfg->client.resume_timeout_us = 10 * (herd_time)HERD_US_PER_S;
    cfg->client.ack_timeout_us = 10 * (herd_time)HERD_US_PER_S;
    cfg->client.stable_reset_us = 10 * (herd_time)HERD_US_PER_S;
    cfg->client.queue_max = HERD_QUEUE_MAX;
    cfg->client.obey_retry_after = 1;
    cfg->server.proto = herd_protocol_correct();
    cfg->server.read_batch = HERD_READ_MAX;
    cfg->store.rooms = cfg->rooms;
    cfg->store.maxlen = 10000;
    cfg->store.dedup_capacity = 1u << 20;
    cfg->store.durability = HERD_DURABLE_AOF_ALWAYS;
    cfg->store.dedup_window_us = 24ull * 3600 * HERD_US_PER_S;
    cfg->oracle_capacity = 1u << 20;
    return HERD_OK;
}

#define WHY(...) (snprintf(why, why_len, __VA_ARGS__), HERD_EINVAL)

int herd_world_config_validate(const herd_world_config *c, char *why, size_t why_len)
{
    if (c->clients < 1 || c->clients > HERD_WORLD_CLIENTS_MAX) return WHY("world.clients out of range");
    if (c->servers < 1 || c->servers > HERD_WORLD_SERVERS_MAX) return WHY("world.servers out of range");
    if (c->rooms < 1 || c->rooms > HERD_STORE_ROOMS_MAX) return WHY("world.rooms out of range");
    if (c->backlog < 1 || c->backlog > HERD_BACKLOG_MAX) return WHY("accept.backlog out of range");
    if (c->workers < 1 || c->workers > HERD_WORKERS_MAX) return WHY("accept.workers out of range");
    if (c->syn_retries > HERD_SYN_RETRIES_MAX) return WHY("accept.syn_retries out of range");
    if (c->lb_policy >= HERD_LB_POLICY_COUNT) return WHY("lb.policy unknown");
    if (c->metrics_interval_us == 0) return WHY("run.metrics_interval must be > 0");
    if (c->duration_us == 0) return WHY("run.duration must be > 0");
    if (c->fault_count > HERD_WORLD_FAULTS_MAX) return WHY("too many faults");
    if ((uint64_t)c->servers * c->backlog > (1u << 28)) return WHY("servers x backlog too large");
    if (herd_client_config_validate(&c->client) != HERD_OK) return WHY("client configuration out of range");
    if (herd_server_config_validate(&c->server) != HERD_OK) return WHY("server configuration out of range");
    if (herd_store_config_validate(&c->store) != HERD_OK) return WHY("store configuration out of range");
    if (c->store.rooms != c->rooms) return WHY("store rooms differ from world.rooms");
    return HERD_OK;
}

/* ---- fault kind names: the scenario reader, faults.c, outputs.c and trace_out.c all
 * name faults, so the table sits here, below all of them ---- */

/* Index 0 is no kind; the list ends with NULL so herd_fault_kind_names() can be
 * handed to herd_cfg_enum as a NULL-terminated list. */
static const char *const kind_names[HERD_FAULT_KIND_COUNT + 1] = {
    NULL, "crash", "graceful_restart", "rolling_deploy", "lb_restart", "partition",
    "net_burst", "store_crash", "offline", NULL,
};

const char *herd_fault_kind_name(int kind)
{
    return kind > 0 && kind < HERD_FAULT_KIND_COUNT ? kind_names[kind] : "?";
}

const char *const *herd_fault_kind_names(void) { return kind_names + 1; }

int herd_fault_kind_parse(const char *name)
{
    for (int k = 1; k < HERD_FAULT_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) return k;
    return HERD_EINVAL;
}

uint64_t herd_world_draw(const herd_world *w, uint64_t entity, uint64_t purpose, uint64_t n)
{
    herd_rng r;
    herd_rng_derive(&r, w->cfg.seed, entity, purpose);
    return herd_rng_below(&r, n);
}

/* ---- the event order: the queue, the look-ahead and the early heap ----
 *
 * The loop keeps up to HERD_LOOKAHEAD events popped from the queue before it runs them
 * (w->ahead, a ring), and prefetches what each will touch as it enters. An event pushed
 * meanwhile at a time before the last popped one (ahead_floor) cannot go to the queue
 * (its contract forbids a push before the last pop) and must still run before the
 * look-ahead events that are later than it: it goes to the early heap, ordered by
 * (time, push order). The next event is the earlier of the look-ahead front and the
 * early-heap top, the look-ahead winning ties: it was pushed first. Every early event is
 * earlier than anything still in the queue (it was earlier than ahead_floor, and the
 * queue holds nothing before ahead_floor), so this is exactly the order the queue alone
 * would give: (time, push order). */

static bool early_less(const herd_event *a, const herd_event *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int early_push(herd_world *w, herd_time at, uint32_t kind, uint32_t target, uint64_t arg)
{
    if (w->early_len == w->early_cap) {
        if (w->early_cap >= HERD_EARLY_MAX) return HERD_EFULL;
        uint32_t cap = w->early_cap ? w->early_cap * 2 : 256;
        herd_event *n = realloc(w->early, sizeof *n * cap);
        if (!n) return HERD_ENOSPACE;
        w->early = n;
        w->early_cap = cap;
    }
    herd_event ev = {.at = at, .seq = w->early_seq++, .kind = kind, .target = target, .arg = arg};
    uint32_t i = w->early_len++;
    while (i > 0) { /* sift up: at most log2(HERD_EARLY_MAX) steps */
        uint32_t up = (i - 1) / 2;
        if (!early_less(&ev, &w->early[up])) break;
        w->early[i] = w->early[up];
        i = up;
    }
    w->early[i] = ev;
    return HERD_OK;
}

static void early_pop(herd_world *w, herd_event *out)
{
    *out = w->early[0];
    herd_event last = w->early[--w->early_len];
    uint32_t i = 0, n = w->early_len;
    for (;;) { /* sift down: at most log2(HERD_EARLY_MAX) steps */
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && early_less(&w->early[c + 1], &w->early[c])) c++;
        if (!early_less(&w->early[c], &last)) break;
        w->early[i] = w->early[c];
        i = c;
    }
    if (n) w->early[i] = last;
}

int herd_world_push(herd_world *w, herd_time at, uint32_t kind, uint32_t target, uint64_t arg)
{
    if (at < w->now) at = w->now;
    int rc = at < w->ahead_floor ? early_push(w, at, kind, target, arg)
                                 : herd_queue_push(w->q, at, kind, target, arg);
    assert(rc == HERD_OK);
    return rc;
}

/* gcc 12 treats a function whose only statements are __builtin_prefetch as free of side
 * effects and deletes calls to it (ipa-pure-const), so the x86-64 prefetch is written as
 * a volatile asm statement, which it keeps. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PREFETCH(p) __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)(p)))
#else
#define PREFETCH(p) __builtin_prefetch((p), 1, 3)
#endif

static inline void prefetch_slot(const herd_world *w, uint32_t id)
{
    const char *p = (const char *)&w->slots[id];
    PREFETCH(p);
    PREFETCH(p + 64);
}

/* Bring in what the event will touch first, HERD_LOOKAHEAD events before it runs. */
static void prefetch_event(const herd_world *w, const herd_event *ev)
{
    switch (ev->kind & 0xffu) {
    case HERD_EV_CLIENT_FRAME:
        PREFETCH(herd_pool_at(&w->frames, (uint32_t)ev->arg));
        prefetch_slot(w, ev->target);
        break;
    case HERD_EV_CLIENT_START:
    case HERD_EV_CLIENT_TIMER:
    case HERD_EV_CLIENT_CLOSE:
    case HERD_EV_CLIENT_OPEN:
    case HERD_EV_PUBLISH:
    case HERD_EV_SYN: prefetch_slot(w, ev->target); break;
    case HERD_EV_HANDSHAKE_DONE: prefetch_slot(w, (uint32_t)ev->arg); break;
    case HERD_EV_SESSION_FRAME:
        PREFETCH(herd_pool_at(&w->frames, (uint32_t)ev->arg));
        PREFETCH(herd_pool_at(&w->sessions, ev->target));
        break;
    case HERD_EV_SESSION_FIN:
    case HERD_EV_SERVER_CLOSE: PREFETCH(herd_pool_at(&w->sessions, ev->target)); break;
    case HERD_EV_STORE_RESULT:
        PREFETCH(herd_pool_at(&w->sessions, ev->target));
        PREFETCH(herd_pool_at(&w->store_ops, (uint32_t)ev->arg));
        break;
    case HERD_EV_STORE_EXEC:
    case HERD_EV_FANOUT: PREFETCH(herd_pool_at(ev->kind == HERD_EV_FANOUT ? &w->frames : &w->store_ops,
                                                         (uint32_t)ev->arg));
        break;
    default: break;
    }
}

/* Second stage, half the look-ahead later: what the first stage's lines point to (by
 * now in cache): a client's session, the session a store parcel answers, the room
 * stream a read will scan, the free session a handshake will take. */
static void prefetch_deep(const herd_world *w, const herd_event *ev)
{
    switch (ev->kind & 0xffu) {
    case HERD_EV_CLIENT_OPEN:
    case HERD_EV_CLIENT_FRAME:
    case HERD_EV_CLIENT_TIMER:
    case HERD_EV_PUBLISH: {
        uint32_t sess = w->slots[ev->target].sim.session;
        if (sess) PREFETCH(herd_pool_at(&w->sessions, sess - 1));
        break;
    }
    case HERD_EV_HANDSHAKE_DONE:
        if (w->sessions.free_head != HERD_POOL_NONE) PREFETCH(herd_pool_at(&w->sessions, w->sessions.free_head));
        break;
    case HERD_EV_STORE_EXEC: {
        const herd_store_parcel *p = herd_pool_at(&w->store_ops, (uint32_t)ev->arg);
        const herd_store_stream *st = herd_store_stream_info(w->store, p->req.room);
        PREFETCH(herd_pool_at(&w->sessions, p->slot));
        if (st) PREFETCH(st);
        break;
    }
    case HERD_EV_STORE_RESULT: {
        const herd_store_parcel *p = herd_pool_at(&w->store_ops, (uint32_t)ev->arg);
        const herd_store_stream *st = herd_store_stream_info(w->store, p->req.room);
        if (p->req.op == HERD_STORE_OP_READ && st) PREFETCH(st);
        break;
    }
    default: break;
    }
}

/* The next event in (time, push order); false when there is none. */
static bool next_event(herd_world *w, herd_event *ev)
{
    while (w->ahead_len < HERD_LOOKAHEAD) { /* at most HERD_LOOKAHEAD pops */
        herd_event *slot = &w->ahead[(w->ahead_head + w->ahead_len) % HERD_LOOKAHEAD];
        if (!herd_queue_pop(w->q, slot)) break;
        w->ahead_len++;
        w->ahead_floor = slot->at;
        prefetch_event(w, slot);
    }
    if (w->ahead_len > HERD_LOOKAHEAD / 2)
        prefetch_deep(w, &w->ahead[(w->ahead_head + HERD_LOOKAHEAD / 2) % HERD_LOOKAHEAD]);
    const herd_event *front = w->ahead_len ? &w->ahead[w->ahead_head] : NULL;
    if (w->early_len && (!front || w->early[0].at < front->at)) {
        early_pop(w, ev);
        return true;
    }
    if (!front) return false;
    *ev = *front;
    w->ahead_head = (w->ahead_head + 1) % HERD_LOOKAHEAD;
    w->ahead_len--;
    return true;
}

/* ---- trace hash: fields little-endian into a buffer, XXH3 when it fills ---- */

static void hash_flush(herd_world *w)
{
    herd_hash_bytes(&w->hash, w->hbuf, w->hbuf_len);
    w->hbuf_len = 0;
}

static inline void hash_u64(herd_world *w, uint64_t v)
{
    if (w->hbuf_len + 8 > sizeof w->hbuf) hash_flush(w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v); /* the hashed bytes are little-endian on every host */
#endif
    memcpy(w->hbuf + w->hbuf_len, &v, 8);
    w->hbuf_len += 8;
}

void herd_world_hash_effect(herd_world *w, const herd_effect *e)
{
    hash_u64(w, (uint64_t)e->kind | (uint64_t)e->code << 8 | (uint64_t)e->conn << 32);
    hash_u64(w, e->msg);
    hash_u64(w, e->sid.ms ^ (e->sid.seq << 40) ^ ((uint64_t)e->room << 20));
    if (e->kind == HERD_FX_SEND) hash_u64(w, (uint64_t)e->frame.type | (uint64_t)e->frame.room << 8);
}

void herd_world_trace_hex(herd_world *w, char out[33])
{
    hash_flush(w);
    herd_hash_hex(herd_hash_digest(&w->hash), out);
}

/* ---- allocation ---- */

static int alloc_arrays(herd_world *w)
{
    const herd_world_config *c = &w->cfg;
    w->slots = herd_big_alloc((size_t)c->clients * sizeof *w->slots); /* clients <= 2e7: no overflow */
    w->servers = calloc(c->servers, sizeof *w->servers);
    w->accept = calloc((size_t)c->servers * c->backlog, sizeof *w->accept);
    w->room_head = calloc(c->rooms, sizeof *w->room_head);
    w->store_bytes = herd_store_bytes(&c->store);
    w->store = w->store_bytes ? malloc(w->store_bytes) : NULL;
    if (!w->slots || !w->servers || !w->accept || !w->room_head || !w->store)
        return HERD_ENOSPACE;
    uint32_t sess_max = c->clients > UINT32_MAX / 4 ? UINT32_MAX : c->clients * 2u + 1024u;
    size_t qcap = (size_t)c->clients * 8u + 1000000u;
    /* Every frame and store parcel belongs to one pending event: the queue's bound. */
    uint32_t parcels_max = (uint32_t)qcap;
    if (herd_pool_init(&w->sessions, sizeof(herd_sim_session), sess_max) != HERD_OK ||
        herd_pool_init(&w->frames, sizeof(herd_frame_parcel), parcels_max) != HERD_OK ||
        herd_pool_init(&w->store_ops, sizeof(herd_store_parcel), parcels_max) != HERD_OK)
        return HERD_ENOSPACE;
    w->q = herd_queue_new(c->queue_kind, qcap);
    if (!w->q) return HERD_ENOSPACE;
    if (herd_oracle_init_strided(&w->oracle, c->clients, c->oracle_capacity, &w->slots[0].seen,
                                 sizeof *w->slots) != HERD_OK)
        return HERD_ENOSPACE;
    return herd_metrics_init(&w->metrics, c->duration_us, c->metrics_interval_us);
}

static int alloc_local_dedups(herd_world *w)
{
    if (w->cfg.server.proto.dedup_mode != HERD_DEDUP_LOCAL) return HERD_OK;
    uint32_t cap = w->cfg.store.dedup_capacity;
    size_t bytes = herd_dedup_bytes(cap);
    for (uint32_t s = 0; s < w->cfg.servers; s++) {
        w->servers[s].local = bytes ? malloc(bytes) : NULL;
        if (!w->servers[s].local) return HERD_ENOSPACE;
        herd_dedup_init(w->servers[s].local, bytes, cap, w->cfg.store.dedup_window_us);
    }
    return HERD_OK;
}

static void init_clients(herd_world *w)
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

int herd_world_init(herd_world *w, const herd_world_config *cfg)
{
    *w = (herd_world){0};
    w->cfg = *cfg;
    w->store_up = 1;
    w->lb_up = 1;
    w->recovered_at = HERD_TIME_NEVER;
    herd_hash_init(&w->hash, cfg->seed);
    int rc = alloc_arrays(w);
    if (rc == HERD_OK) rc = alloc_local_dedups(w);
    if (rc == HERD_OK) rc = herd_delays_init(&w->delays, cfg->duration_us);
    if (rc != HERD_OK) {
        herd_world_free(w);
        return rc;
    }
    herd_store_init(w->store, w->store_bytes, &cfg->store, 0);
    for (uint32_t s = 0; s < cfg->servers; s++) {
        w->servers[s].up = 1;
        w->servers[s].lb_up = 1;
    }
    w->lb_tokens_milli = (uint64_t)cfg->lb_burst * 1000u;
    init_clients(w);
    herd_workload_init(w);
    if (herd_store_deadline(w->store) != HERD_TIME_NEVER)
        herd_world_push(w, herd_store_deadline(w->store), HERD_EV_STORE_FSYNC, 0, 0);
    herd_world_push(w, cfg->metrics_interval_us, HERD_EV_METRICS, 0, 0);
    return herd_faults_schedule(w);
}

void herd_world_free(herd_world *w)
{
    if (w->servers)
        for (uint32_t s = 0; s < w->cfg.servers; s++) free(w->servers[s].local);
    herd_big_free(w->slots, (size_t)w->cfg.clients * sizeof *w->slots);
    free(w->early);
    free(w->servers);
    free(w->accept);
    free(w->room_head);
    free(w->store);
    herd_pool_free_all(&w->sessions);
    herd_pool_free_all(&w->frames);
    herd_pool_free_all(&w->store_ops);
    herd_queue_free(w->q);
    herd_oracle_free(&w->oracle);
    herd_metrics_free(&w->metrics);
    herd_delays_free(&w->delays);
    w->q = NULL;
    w->slots = NULL;
    w->early = NULL;
    w->servers = NULL;
}

size_t herd_world_bytes(const herd_world *w)
{
    const herd_world_config *c = &w->cfg;
    size_t b = sizeof *w + (size_t)c->clients * sizeof *w->slots + (size_t)w->early_cap * sizeof *w->early;
    b += (size_t)c->servers * (sizeof *w->servers + (size_t)c->backlog * sizeof *w->accept);
    b += (size_t)c->rooms * sizeof *w->room_head + w->store_bytes;
    b += herd_pool_bytes(&w->sessions) + herd_pool_bytes(&w->frames) + herd_pool_bytes(&w->store_ops);
    b += herd_queue_bytes(w->q) + herd_oracle_bytes(&w->oracle) + herd_metrics_bytes(&w->metrics);
    b += herd_delays_bytes(&w->delays);
    return b;
}

/* ---- driving a client ---- */

static void client_rng(const herd_world *w, uint32_t id, herd_rng *r)
{
    /* One stream per (client, connection generation): the draws of one connection's
     * loss do not depend on anything any other client did. */
    herd_rng_derive(r, w->cfg.seed, id, HERD_RNG_BACKOFF | (uint64_t)herd_world_client(w, id)->conn << 8);
}

/* herd_client_queue_len without its popcount call in the common case of no ACK
 * received out of order (acked_bits holds only ACKs above the oldest unACKed seq). */
static inline uint32_t queue_len(const herd_client *c)
{
    return c->acked_bits ? herd_client_queue_len(c) : c->next_seq - c->unacked_base;
}

void herd_world_client_begin(herd_world *w, uint32_t id, herd_client_before *b)
{
    herd_outbox_clear(&w->out);
    const herd_client *c = herd_world_client(w, id);
    b->state = c->state;
    b->queue = herd_queue_snap_of(c);
}

static void check_recovered(herd_world *w)
{
    if (w->recovered_at != HERD_TIME_NEVER || w->now < w->last_heal_us) return;
    if (w->state_count[HERD_CLIENT_LIVE] == w->cfg.clients) w->recovered_at = w->now;
}

void herd_world_note_heal(herd_world *w) { check_recovered(w); }

/* Keep one live timer event per client at or before its deadline. A deadline later than
 * the pending event (connect timeout -> resume timeout) pushes nothing: the pending event
 * fires first and re-arms for the deadline (client_event), and if the deadline has gone
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
        if (c->state == HERD_CLIENT_LIVE) check_recovered(w);
        if (state == HERD_CLIENT_LIVE) herd_delays_lost(&w->delays, &w->slots[id].lost_ms, w->now);
        else if (c->state == HERD_CLIENT_LIVE) herd_delays_back(&w->delays, &w->slots[id].lost_ms, w->now);
    }
    uint32_t q = queue_len(c);
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

static int client_event(herd_world *w, const herd_event *ev)
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

/* ---- the loop ---- */

static void metrics_tick(herd_world *w)
{
    uint64_t g[HERD_G_GAUGE_COUNT] = {0};
    g[HERD_G_CONNECTED] = w->state_count[HERD_CLIENT_LIVE];
    g[HERD_G_QUEUED] = w->queued_total;
    for (uint32_t s = 0; s < w->cfg.servers; s++) g[HERD_G_ACCEPT_QUEUE] += w->servers[s].q_len;
    g[HERD_G_SESSIONS] = w->sessions.live;
    g[HERD_G_CAPACITY] = herd_outputs_capacity(w);
    herd_metrics_row_add(&w->metrics, w->now, g);
    herd_world_push(w, herd_time_add(w->now, w->cfg.metrics_interval_us), HERD_EV_METRICS, 0, 0);
}

static int dispatch(herd_world *w, const herd_event *ev)
{
    switch (ev->kind & 0xffu) {
    case HERD_EV_CLIENT_START:
    case HERD_EV_CLIENT_TIMER:
    case HERD_EV_CLIENT_FRAME:
    case HERD_EV_CLIENT_CLOSE:
    case HERD_EV_CLIENT_OPEN: return client_event(w, ev);
    case HERD_EV_PUBLISH: return herd_workload_publish(w, ev->target);
    case HERD_EV_SYN: return herd_accept_syn(w, ev->target, (uint32_t)ev->arg, (uint32_t)(ev->arg >> 32));
    case HERD_EV_HANDSHAKE_DONE: return herd_accept_handshake_done(w, ev->target, ev->arg, ev->kind >> 8);
    case HERD_EV_SESSION_FRAME: return herd_servers_session_frame(w, ev->target, ev->arg);
    case HERD_EV_SESSION_FIN: {
        herd_sim_session *ss = herd_pool_at(&w->sessions, ev->target);
        if (ss->in_use && ss->gen == (uint32_t)ev->arg) herd_servers_close_session(w, ev->target, false, 0, 0);
        return HERD_OK;
    }
    case HERD_EV_SERVER_CLOSE: {
        herd_sim_session *ss = herd_pool_at(&w->sessions, ev->target);
        if (ss->in_use && ss->gen == (uint32_t)ev->arg)
            herd_servers_close_session(w, ev->target, true, (uint16_t)(ev->arg >> 32), (uint32_t)(ev->arg >> 48));
        return HERD_OK;
    }
    case HERD_EV_STORE_EXEC: return herd_store_node_exec(w, ev->arg);
    case HERD_EV_STORE_RESULT: return herd_store_node_result(w, ev->arg);
    case HERD_EV_STORE_FSYNC: herd_store_node_fsync(w); return HERD_OK;
    case HERD_EV_FANOUT: return herd_servers_fanout(w, ev->arg);
    case HERD_EV_FAULT: return herd_faults_fire(w, ev->target, ev->arg);
    case HERD_EV_LB_HEALTH: w->servers[ev->target].lb_up = (uint8_t)ev->arg; return HERD_OK;
    case HERD_EV_METRICS: metrics_tick(w); return HERD_OK;
    default: assert(!"event kind"); return HERD_EINVAL;
    }
}

int herd_world_run(herd_world *w)
{
    herd_event ev;
    while (next_event(w, &ev)) {
        if (ev.at > w->cfg.duration_us) break;
        assert(ev.at >= w->now);
        w->now = ev.at;
        w->events++;
        hash_u64(w, ev.at);
        hash_u64(w, (uint64_t)ev.kind | (uint64_t)ev.target << 32);
        hash_u64(w, ev.arg);
        int rc = dispatch(w, &ev);
        if (rc != HERD_OK) return rc;
        if ((w->events & 0xfffffu) == 0 && w->progress) w->progress(w, w->progress_ctx);
    }
    w->now = w->cfg.duration_us;
    return HERD_OK;
}

void herd_world_liveness(const herd_world *w, herd_world_liveness_figures *f)
{
    *f = (herd_world_liveness_figures){0};
    f->live = w->state_count[HERD_CLIENT_LIVE];
    f->stopped = w->state_count[HERD_CLIENT_STOPPED];
    f->queued = w->queued_total;
    for (uint32_t i = 0; i < w->cfg.clients; i++) {
        const herd_client *c = herd_world_client(w, i);
        if (!herd_oracle_caught_up(&w->oracle, w->store, i, c->room)) f->behind++;
        if (c->state == HERD_CLIENT_STOPPED) f->failed_reported += queue_len(c);
    }
}
