/* world_step.c — the world's transitions: which choices are enabled in a state, and what
 * each does to the machines (see world.h for the abstraction, docs/model-checking.md for
 * why each choice is modelled the way it is).
 *
 * Time is abstracted: a timer firing is a choice, and it moves the logical clock to its
 * deadline (never backwards). A connection timeout (connect, resume, ACK) may only fire
 * when nothing of that connection is in flight: timeouts are longer than round trips.
 * Spurious timeouts are therefore not explored; the close and drop faults cover a dead
 * connection instead. */
#include "world_internal.h"

#include "error.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void hm_config_defaults(hm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->clients = 2;
    cfg->servers = 1;
    cfg->messages = 2;
    cfg->proto = herd_protocol_correct();
    cfg->store.rooms = 1;
    cfg->store.maxlen = 8;
    cfg->store.dedup_capacity = 16;
    cfg->store.durability = HERD_DURABLE_AOF_ALWAYS;
    cfg->lb = HM_LB_STICKY;
    cfg->s2c_eager = HM_S2C_AUTO;
    cfg->symmetry = 1;
    cfg->n_close_codes = 1;
    cfg->close_codes[0] = HERD_CLOSE_ABNORMAL;
    cfg->props_mask = ~0u;
    cfg->liveness_steps = 400;
    herd_backoff_defaults(&cfg->client.backoff, HERD_BACKOFF_FIXED);
    cfg->client.backoff.base_us = 100 * HERD_US_PER_MS;
    cfg->client.backoff.base_max_us = 100 * HERD_US_PER_MS;
    cfg->client.backoff.max_attempts = 0;
    cfg->client.connect_timeout_us = HERD_US_PER_S;
    cfg->client.resume_timeout_us = HERD_US_PER_S;
    cfg->client.ack_timeout_us = HERD_US_PER_S;
    cfg->client.stable_reset_us = 10u * HERD_US_PER_S;
    cfg->server.read_batch = HM_READ_MAX;
    cfg->local_capacity = 16;
}

int hm_config_check(hm_config *cfg, const char **why)
{
    *why = NULL;
    if (cfg->clients < 1 || cfg->clients > HM_CLIENTS_MAX) *why = "clients must be 1..4";
    else if (cfg->servers < 1 || cfg->servers > HM_SERVERS_MAX) *why = "servers must be 1..3";
    else if (cfg->messages < 1 || cfg->messages > HM_MSGS_MAX) *why = "messages must be 1..4";
    else if (cfg->store.rooms != 1) *why = "the model has one room";
    else if (herd_store_config_validate(&cfg->store) != HERD_OK) *why = "store configuration out of range";
    else if (hm_world_store_bytes(cfg) > HM_STORE_BYTES_MAX) *why = "store too large for the model (maxlen, dedup capacity)";
    else if (hm_world_local_bytes(cfg) > HM_LOCAL_BYTES_MAX) *why = "local dedup capacity too large";
    else if (cfg->server.read_batch < 1 || cfg->server.read_batch > HM_READ_MAX) *why = "read batch must be 1..4";
    else if (cfg->liveness_steps < 1 || cfg->liveness_steps > 100000) *why = "liveness steps must be 1..100000";
    for (int f = 0; f < HM_F_COUNT && *why == NULL; f++)
        if (cfg->budget[f] > HM_BUDGET_MAX) *why = "fault budgets must be 0..8"; /* one LEB128 byte each (explore.c) */
    if (*why != NULL) return HERD_EINVAL;
    if (cfg->s2c_eager == HM_S2C_EAGER && (cfg->budget[HM_F_CLOSE] || cfg->budget[HM_F_OFFLINE]))
        *why = "network server_to_client: eager models lost replies for drops and crashes only; "
               "with closes or offline clients use auto or queued";
    if (*why) return HERD_EINVAL;
    cfg->client.proto = cfg->proto;
    cfg->server.proto = cfg->proto;
    if (cfg->client.queue_max == 0) cfg->client.queue_max = cfg->messages;
    if (herd_client_config_validate(&cfg->client) != HERD_OK) *why = "client configuration out of range";
    else if (herd_server_config_validate(&cfg->server) != HERD_OK) *why = "server configuration out of range";
    if (*why) return HERD_EINVAL;
    hm_config_derive(cfg);
    return HERD_OK;
}

/* Which of canon.c's abstractions are sound for this configuration.
 * attempts_free: a fixed backoff with no attempt limit and no token bucket computes every
 * delay from the constant per-client base, so the attempt counter, the tokens, the last
 * failure's kind, the generator (drawn at most once, at init) and live_since (it only
 * resets the attempt counter) never change what happens next.
 * time_free: with that, no dedup time window and no write a crash can lose (so no stream
 * id is ever handed out twice), the clock's only effect is the value of new stream ids,
 * which every machine and the oracle only compare (order, equality) with other ids. */
void hm_config_derive(hm_config *cfg)
{
    const herd_backoff_policy *b = &cfg->client.backoff;
    cfg->attempts_free = b->kind == HERD_BACKOFF_FIXED && b->max_attempts == 0 && b->token_capacity == 0;
    bool no_window = cfg->store.dedup_window_us == 0 &&
                     (cfg->proto.dedup_mode != HERD_DEDUP_LOCAL || cfg->local_window_us == 0);
    bool no_loss = cfg->budget[HM_F_STORE_CRASH] == 0 || cfg->store.durability == HERD_DURABLE_AOF_ALWAYS ||
                   cfg->store.durability == HERD_DURABLE_PG_SYNC;
    cfg->time_free = cfg->attempts_free && no_window && no_loss;
    /* Eager server->client delivery models lost replies for drops and crashes only: a
     * close or an offline client with frames in flight needs the queued network. */
    cfg->s2c_eager_on = cfg->s2c_eager == HM_S2C_EAGER ||
                        (cfg->s2c_eager == HM_S2C_AUTO && cfg->budget[HM_F_CLOSE] == 0 && cfg->budget[HM_F_OFFLINE] == 0);
}

static int fatal(hm_world *w, int rc)
{
    if (rc < 0 && herd_error_is_fatal(rc)) {
        w->violation = HM_P_INTERNAL;
        return rc;
    }
    return HERD_OK;
}

static int client_start(hm_world *w, const hm_config *cfg, uint8_t c, hm_recorder *rec)
{
    herd_outbox out;
    herd_outbox_clear(&out);
    herd_trace_rec r;
    hm_rec_init(&r, HERD_TRACE_INPUT, "start", "client:%u", c, 0);
    r.has = HERD_TF_NOW;
    r.now = w->now;
    hm_rec_emit(rec, &r);
    int rc = herd_client_start(&w->client[c], &cfg->client, w->now, &out);
    hm_drain_client(w, cfg, c, &out, rec);
    return fatal(w, rc);
}

int hm_world_init(hm_world *w, const hm_config *cfg, hm_recorder *rec)
{
    memset(w, 0, hm_world_bytes(cfg));
    for (int f = 0; f < HM_F_COUNT; f++) w->budget[f] = cfg->budget[f];
    for (uint32_t s = 0; s < cfg->servers; s++) w->server_up[s] = 1;
    for (uint32_t c = 0; c < HM_CLIENTS_MAX; c++) w->cur_server[c] = w->last_server[c] = HM_NONE;
    for (uint32_t s = 0; s < HM_SERVERS_MAX; s++)
        for (uint32_t c = 0; c < HM_CLIENTS_MAX; c++) w->sess[s][c].state = HERD_SESSION_CLOSED;
    int rc = herd_store_init(hm_world_store(w), hm_world_store_bytes(cfg), &cfg->store, 0);
    if (rc != HERD_OK) return rc;
    for (uint32_t s = 0; s < cfg->servers; s++) {
        herd_dedup *d = hm_world_local(w, cfg, s);
        if (d && (rc = herd_dedup_init(d, hm_world_local_bytes(cfg), cfg->local_capacity,
                                       cfg->local_window_us)) != HERD_OK)
            return rc;
    }
    for (uint32_t c = 0; c < cfg->clients; c++) {
        /* One seed for every client: identical clients stay identical (symmetry). */
        herd_rng_seed(&w->rng[c], HM_RNG_SEED);
        herd_client_init(&w->client[c], &cfg->client, c, 0, &w->rng[c]);
    }
    for (uint8_t c = 0; c < cfg->clients; c++)
        if ((rc = client_start(w, cfg, c, rec)) != HERD_OK) return rc;
    return HERD_OK;
}

/* ---- enabled transitions ------------------------------------------------------------ */

static bool conn_busy(const hm_world *w, uint8_t c)
{
    uint32_t conn = w->client[c].conn;
    /* eager mode: a severed direction stands for frames still in flight (lost ones) */
    uint8_t s = w->cur_server[c];
    if (s != HM_NONE && w->severed[s][c] && w->sess[s][c].conn == conn) return true;
    for (uint32_t i = 0; i < w->n_items; i++)
        if (w->items[i].client == c && w->items[i].conn == conn) return true;
    return false;
}

static bool timer_enabled(const hm_world *w, uint8_t c)
{
    const herd_client *cl = &w->client[c];
    if (cl->deadline == HERD_TIME_NEVER) return false;
    if (cl->state == HERD_CLIENT_BACKOFF) return true;
    if (w->pending[c]) return false;
    return !conn_busy(w, c);
}

static bool has_session(const hm_world *w, uint8_t c)
{
    uint8_t s = w->cur_server[c];
    return s != HM_NONE && w->sess[s][c].conn == w->client[c].conn &&
           w->sess[s][c].state != HERD_SESSION_CLOSED;
}

static bool can_publish(const hm_world *w, const hm_config *cfg, uint8_t c)
{
    const herd_client *cl = &w->client[c];
    return cl->state != HERD_CLIENT_STOPPED && cl->next_seq <= cfg->messages &&
           cl->next_seq - cl->unacked_base < cfg->client.queue_max;
}

#define ADD(k, x, y) do { if (n < HM_LABELS_MAX) out[n++] = (hm_label){(k), (uint8_t)(x), (uint8_t)(y), 0}; } while (0)

static uint32_t enabled_faults(const hm_world *w, const hm_config *cfg, hm_label *out, uint32_t n)
{
    /* A drop kills its connection: one label per connection (its first frame) reaches
     * every successor dropping any of its frames would. A duplicate lands right behind
     * its original, so duplicating a frame when it reaches the head of its channel gives
     * the same sequence of machine inputs as duplicating it earlier: only heads. */
    uint32_t dropped[HM_ITEMS_MAX];
    uint32_t n_dropped = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        bool frame = (it->kind == HM_IT_C2S || it->kind == HM_IT_S2C) && it->u.frame.type != 0;
        if (!frame) continue;
        if (w->budget[HM_F_DROP]) {
            uint32_t key = (uint32_t)it->client << 28 | (uint32_t)it->server << 24 | (it->conn & 0xffffffu);
            bool seen = false;
            for (uint32_t k = 0; k < n_dropped && !seen; k++) seen = dropped[k] == key;
            if (!seen) { dropped[n_dropped++] = key; ADD(HM_T_DROP, i, 0); }
        }
        if (it->pos == 0 && w->budget[HM_F_DUP]) ADD(HM_T_DUP, i, 0);
    }
    for (uint8_t c = 0; c < cfg->clients; c++) {
        if (!has_session(w, c)) continue;
        if (w->budget[HM_F_CLOSE])
            for (uint8_t k = 0; k < cfg->n_close_codes; k++) ADD(HM_T_CLOSE, c, k);
        if (w->budget[HM_F_OFFLINE]) ADD(HM_T_OFFLINE, c, 0);
    }
    for (uint8_t s = 0; s < cfg->servers; s++)
        if (w->server_up[s] && w->budget[HM_F_SERVER_CRASH] && !w->crashing[s]) ADD(HM_T_SERVER_CRASH, s, 0);
    if (w->budget[HM_F_STORE_CRASH]) ADD(HM_T_STORE_CRASH, 0, 0);
    if (w->budget[HM_F_TIME_JUMP] && (cfg->store.dedup_window_us || cfg->local_window_us))
        ADD(HM_T_TIME_JUMP, 0, 0);
    return n;
}

uint32_t hm_world_enabled(const hm_world *w, const hm_config *cfg, hm_label *out, bool faults)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        if (it->pos != 0) continue;
        ADD(HM_T_DELIVER, i, 0);
        if (!faults || !cfg->s2c_eager_on || it->kind == HM_IT_SREQ || it->kind == HM_IT_S2C) continue;
        const herd_session *ss = &w->sess[it->server][it->client];
        if (ss->state == HERD_SESSION_CLOSED || ss->conn != it->conn || w->severed[it->server][it->client]) continue;
        uint32_t k = hm_max_reply(w, it);
        if (k > HM_SEND_MAX) k = HM_SEND_MAX;
        if (w->budget[HM_F_DROP])
            for (uint32_t j = 0; j < k; j++) ADD(HM_T_DELIVER, i, HM_V_SEVER + j);
        if (hm_sever_by_crash(w, it->server))
            for (uint32_t j = 0; j < k; j++) ADD(HM_T_DELIVER, i, HM_V_SEVERC + j);
        if (w->budget[HM_F_DUP])
            for (uint32_t j = 0; j < k; j++) ADD(HM_T_DELIVER, i, HM_V_DUP + j);
    }
    for (uint8_t c = 0; c < cfg->clients; c++)
        if (can_publish(w, cfg, c)) ADD(HM_T_PUBLISH, c, 0);
    for (uint8_t s = 0; s < cfg->servers; s++)
        if (!w->server_up[s]) ADD(HM_T_SERVER_RESTART, s, 0);
    /* Eager mode's obligations (world.h): a connection that lost a reply dies, by the
     * drop or with its server's crash. Paid for already; part of the fault-free schedule. */
    for (uint8_t s = 0; s < cfg->servers; s++) {
        if (w->crashing[s] && w->server_up[s]) ADD(HM_T_SERVER_CRASH, s, 0);
        for (uint8_t c = 0; c < cfg->clients; c++)
            if (w->severed[s][c] == HM_SEVERED_DROP && w->sess[s][c].state != HERD_SESSION_CLOSED) ADD(HM_T_KILL, c, s);
    }
    for (uint8_t c = 0; c < cfg->clients; c++) {
        if (!w->pending[c]) continue;
        uint8_t last = w->last_server[c];
        bool sticky = cfg->lb == HM_LB_STICKY && last != HM_NONE && w->server_up[last];
        uint32_t before = n;
        for (uint8_t s = 0; s < cfg->servers; s++)
            if (w->server_up[s] && (!sticky || s == last)) ADD(HM_T_CONNECT, c, s);
        if (n == before) ADD(HM_T_REFUSE, c, 0);
    }
    const herd_store *st = hm_world_store_c(w);
    if (herd_store_deadline(st) != HERD_TIME_NEVER && st->next_lsn - 1u > st->durable_lsn)
        ADD(HM_T_FSYNC, 0, 0);
    for (uint8_t c = 0; c < cfg->clients; c++)
        if (timer_enabled(w, c)) ADD(HM_T_TIMER, c, 0);
    if (faults) n = enabled_faults(w, cfg, out, n);
    return n;
}

static int progress_rank(uint8_t kind)
{
    switch (kind) {
    case HM_T_DELIVER: return 0;
    case HM_T_SERVER_RESTART: case HM_T_KILL: case HM_T_SERVER_CRASH: return 1;
    case HM_T_CONNECT: case HM_T_REFUSE: return 2;
    case HM_T_PUBLISH: return 3;
    case HM_T_FSYNC: return 4;
    default: return 5; /* timers */
    }
}

bool hm_world_progress(const hm_world *w, const hm_config *cfg, hm_label *out)
{
    hm_label l[HM_LABELS_MAX];
    uint32_t n = hm_world_enabled(w, cfg, l, false);
    if (n == 0) return false;
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (progress_rank(l[i].kind) < progress_rank(l[best].kind)) best = i;
    *out = l[best];
    return true;
}

bool hm_world_quiescent(const hm_world *w, const hm_config *cfg)
{
    hm_label l;
    return !hm_world_progress(w, cfg, &l);
}
