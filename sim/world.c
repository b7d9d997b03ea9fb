/* world.c — the world's kernel (see world.h): what every sub-model calls back into.
 *
 * Owns: the configuration's defaults and checks, the draws, the event queue (push, the
 * early heap, the look-ahead with its prefetches, the next event in order), the trace
 * hash, the recovery time (L1), teardown and the memory count, the end-of-run liveness
 * figures and the fault kinds' names. It calls no sub-model: init.c and run.c, which do,
 * sit above it (sim/'s floors, tests/floors.sh). Nothing here reads a clock. */
#include "world.h"

#include "churn.h"

#include "error.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    for (uint32_t i = 0; i < c->fault_count; i++) {
        const herd_fault *f = &c->faults[i];
        if (f->kind != HERD_FAULT_CHURN) continue;
        /* churn.c draws with these: a zero mean would make every gap 1 us. */
        if (f->fraction_ppm == 0 || f->fraction_ppm > 1000000u) return WHY("faults[%u]: churn fraction out of range", i);
        if (f->interval_us == 0 || f->off_a_us == 0 || f->off_dist >= HERD_CHURN_DIST_COUNT ||
            (f->off_dist == HERD_CHURN_UNIFORM && f->off_b_us < f->off_a_us))
            return WHY("faults[%u]: churn interval or offline time out of range", i);
    }
    return HERD_OK;
}

/* ---- fault kind names: the scenario reader, faults.c, outputs.c and trace_out.c all
 * name faults, so the table sits here, below all of them ---- */

/* Index 0 is no kind; the list ends with NULL so herd_fault_kind_names() can be
 * handed to herd_cfg_enum as a NULL-terminated list. */
static const char *const kind_names[HERD_FAULT_KIND_COUNT + 1] = {
    NULL, "crash", "graceful_restart", "rolling_deploy", "lb_restart", "partition",
    "net_burst", "store_crash", "offline", "churn", NULL,
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
    return rc; /* HERD_EFULL at the events bound: reachable from a scenario, so an error */
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
bool herd_world_next_event(herd_world *w, herd_event *ev)
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

void herd_world_free(herd_world *w)
{
    size_t local_bytes = herd_dedup_bytes(w->cfg.store.dedup_capacity);
    if (w->servers)
        for (uint32_t s = 0; s < w->cfg.servers; s++)
            if (w->servers[s].local) herd_big_free(w->servers[s].local, local_bytes);
    herd_big_free(w->slots, (size_t)w->cfg.clients * sizeof *w->slots);
    free(w->early);
    free(w->servers);
    free(w->accept);
    free(w->room_head);
    free(w->lb_tree);
    if (w->store) herd_big_free(w->store, w->store_bytes);
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
    w->lb_tree = NULL;
}

size_t herd_world_bytes(const herd_world *w)
{
    const herd_world_config *c = &w->cfg;
    size_t b = sizeof *w + (size_t)c->clients * sizeof *w->slots + (size_t)w->early_cap * sizeof *w->early;
    b += (size_t)c->servers * (sizeof *w->servers + (size_t)c->backlog * sizeof *w->accept);
    b += (size_t)w->lb_leaves * 2u * sizeof *w->lb_tree;
    b += (size_t)c->rooms * sizeof *w->room_head + herd_store_used_bytes(w->store);
    if (w->servers)
        for (uint32_t s = 0; s < c->servers; s++)
            if (w->servers[s].local) b += herd_dedup_used_bytes(w->servers[s].local);
    b += herd_pool_bytes(&w->sessions) + herd_pool_bytes(&w->frames) + herd_pool_bytes(&w->store_ops);
    b += herd_queue_bytes(w->q) + herd_oracle_bytes(&w->oracle) + herd_metrics_bytes(&w->metrics);
    b += herd_delays_bytes(&w->delays);
    return b;
}

/* The event's three fields into the trace hash (herd_world_run, before dispatching it). */
void herd_world_hash_event(herd_world *w, const herd_event *ev)
{
    hash_u64(w, ev->at);
    hash_u64(w, (uint64_t)ev->kind | (uint64_t)ev->target << 32);
    hash_u64(w, ev->arg);
}

/* ---- recovery (L1): the first time every client is LIVE after the last heal ---- */

void herd_world_check_recovered(herd_world *w)
{
    if (w->recovered_at != HERD_TIME_NEVER || w->now < w->last_heal_us) return;
    if (w->state_count[HERD_CLIENT_LIVE] == w->cfg.clients) w->recovered_at = w->now;
}

void herd_world_note_heal(herd_world *w) { herd_world_check_recovered(w); }

void herd_world_liveness(const herd_world *w, herd_world_liveness_figures *f)
{
    *f = (herd_world_liveness_figures){0};
    f->live = w->state_count[HERD_CLIENT_LIVE];
    f->stopped = w->state_count[HERD_CLIENT_STOPPED];
    f->queued = w->queued_total;
    for (uint32_t i = 0; i < w->cfg.clients; i++) {
        const herd_client *c = herd_world_client(w, i);
        if (!herd_oracle_caught_up(&w->oracle, w->store, i, c->room)) f->behind++;
        if (c->state == HERD_CLIENT_STOPPED) f->failed_reported += herd_world_queue_len(c);
    }
}
