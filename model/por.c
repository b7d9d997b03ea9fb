/* por.c — partial-order reduction: which enabled transitions of one actor form an ample
 * set (see por.h; the soundness argument is in docs/model-checking.md).
 *
 * Two kinds of actor own ample sets:
 *  - client c: its S2C deliveries (any connection), publish, timer, LB pick/refusal; in
 *    the eager network (world.h) also its current session's deliveries and their
 *    lost-reply and duplicate variants (a "connection actor": replies are internal);
 *  - session (s,c): its C2S, store-result and fan-out deliveries.
 * The store (shared by every session) and the environment (restart, fsync, faults) never
 * do. A candidate is all the enabled transitions of its actor, valid only when no other
 * transition can, now or later, touch what they read or write before one of them runs:
 * every input channel of the actor is non-empty (later items queue behind its head) or
 * can receive nothing more, and hm_por_child_ok rejects a member whose child changed
 * anything another actor reads (a fan-out, a subscription, a session opened or closed, a
 * purge of foreign items). While a kill (drop, offline, server crash) is left, a member
 * must also be absorbed by it — directly, or through its lost-reply variant. */
#include "por.h"

#include <string.h>

bool hm_por_config_ok(const hm_config *cfg)
{
    /* time_free: new stream ids are above every id in the world (no id is handed out
     * twice) and the clock is abstracted; immediate durability: an ACK's durability check
     * does not depend on a later fsync. */
    return cfg->time_free && (cfg->store.durability == HERD_DURABLE_AOF_ALWAYS ||
                              cfg->store.durability == HERD_DURABLE_PG_SYNC);
}

bool hm_por_state_ok(const hm_world *w, const hm_config *cfg)
{
    (void)cfg;
    /* A close may be graceful (what the server sent still arrives), a store crash and a
     * time jump touch what every session reads: none is absorbed by anything. */
    return w->budget[HM_F_CLOSE] == 0 && w->budget[HM_F_STORE_CRASH] == 0 && w->budget[HM_F_TIME_JUMP] == 0;
}

/* A kill that can still reach client c's connection: a fault left in the budget that
 * kills connections abnormally (a drop: one connection; a client going offline: its
 * connection; a server crash: every connection of that server), or, in the eager
 * network, an obligation already paid for (world.h): a server's crash that will come
 * (every connection of it, so every client's), or the kill of c's own severed
 * connection. An obligation is as much a pending kill as a budget: a step that is not
 * absorbed by it must not be the only one explored before it. */
static bool kills_pending(const hm_world *w, const hm_config *cfg, uint32_t c)
{
    if (w->budget[HM_F_DROP] != 0 || w->budget[HM_F_OFFLINE] != 0 || w->budget[HM_F_SERVER_CRASH] != 0) return true;
    for (uint32_t s = 0; s < cfg->servers; s++) {
        if (w->crashing[s]) return true;
        if (c < cfg->clients && w->severed[s][c] == HM_SEVERED_DROP && w->sess[s][c].state != HERD_SESSION_CLOSED)
            return true;
    }
    return false;
}

static bool session_open(const hm_world *w, uint32_t s, uint32_t c);

/* Eager network: an item of client c's current connection, whose session is open. Such a
 * session's replies go straight into the client, so the two are one actor. */
static bool current_item(const hm_world *w, const hm_item *it)
{
    return it->server == w->cur_server[it->client] && it->conn == w->client[it->client].conn &&
           session_open(w, it->server, it->client);
}

/* The actor a label belongs to, or HM_POR_ACTORS for none (store, environment, faults). */
static uint32_t actor_of(const hm_world *w, const hm_config *cfg, hm_label l)
{
    switch (l.kind) {
    case HM_T_PUBLISH: case HM_T_TIMER: case HM_T_CONNECT: case HM_T_REFUSE: return l.a;
    case HM_T_DELIVER:
    case HM_T_DUP: { /* a duplicate is a delivery that leaves a copy: the consumer's */
        const hm_item *it = &w->items[l.a];
        if (it->kind == HM_IT_S2C) return it->client;
        if (it->kind == HM_IT_SREQ) return HM_POR_ACTORS;
        if (cfg->s2c_eager_on && current_item(w, it)) return it->client;
        return HM_CLIENTS_MAX + (uint32_t)it->server * HM_CLIENTS_MAX + it->client;
    }
    default: return HM_POR_ACTORS;
    }
}

static uint32_t count_items(const hm_world *w, uint8_t kind, uint8_t c, uint8_t s, bool any_server)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        if (it->kind == kind && it->client == c && (any_server || it->server == s)) n++;
    }
    return n;
}

/* No fan-out can happen from here on: every client published everything and has an
 * empty retry queue (nothing to resend), and no PUBLISH, append request or append result
 * is in flight. */
static bool fan_quiet(const hm_world *w, const hm_config *cfg)
{
    for (uint32_t c = 0; c < cfg->clients; c++)
        if (w->client[c].next_seq <= cfg->messages || herd_client_queue_len(&w->client[c]) != 0) return false;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        if (it->kind == HM_IT_C2S && it->u.frame.type == HERD_FRAME_PUBLISH) return false;
        if (it->kind == HM_IT_SREQ && it->u.req.op != HERD_STORE_OP_READ) return false;
        if (it->kind == HM_IT_SRES && it->u.res.op != HERD_STORE_OP_READ) return false;
    }
    return true;
}

static bool session_open(const hm_world *w, uint32_t s, uint32_t c)
{
    return w->sess[s][c].state != HERD_SESSION_CLOSED;
}

static bool client_valid(const hm_world *w, const hm_config *cfg, uint8_t c)
{
    bool any_open = false;
    for (uint8_t s = 0; s < cfg->servers; s++) {
        if (!session_open(w, s, c)) continue;
        any_open = true;
        /* a session may still send to c: its channel must already hold something, so
         * whatever it sends later queues behind the head c consumes now */
        uint32_t conn = w->sess[s][c].conn;
        bool nonempty = false;
        for (uint32_t i = 0; i < w->n_items; i++) {
            const hm_item *it = &w->items[i];
            if (it->kind == HM_IT_S2C && it->client == c && it->server == s && it->conn == conn) nonempty = true;
        }
        if (!nonempty) return false;
    }
    if (w->pending[c]) {
        if (any_open) return false;            /* the pick would close a session */
        for (uint8_t s = 0; s < cfg->servers; s++)
            if (!w->server_up[s]) return false; /* a restart would change the pick */
    }
    return true;
}

static bool session_valid(const hm_world *w, const hm_config *cfg, uint8_t s, uint8_t c)
{
    if (cfg->proto.dedup_mode == HERD_DEDUP_LOCAL) return false; /* a cache shared by the server's sessions */
    if (!session_open(w, s, c)) return false;
    uint32_t k = w->sess[s][c].conn;
    /* the client's current connection, and it cannot leave it while items of it are in
     * flight (its timers wait for an idle connection; kill faults are spent) */
    if (w->client[c].conn != k || w->cur_server[c] != s || w->pending[c]) return false;
    if (count_items(w, HM_IT_C2S, c, s, false) == 0 && w->client[c].next_seq <= cfg->messages)
        return false; /* the client may still send a PUBLISH that would be read first */
    if (count_items(w, HM_IT_SRES, c, s, false) == 0)
        for (uint32_t i = 0; i < w->n_items; i++) {
            const hm_item *it = &w->items[i];
            if (it->kind == HM_IT_SREQ && it->client == c && it->server == s && it->conn == k) return false;
        }
    if (w->sub[s][c] && !fan_quiet(w, cfg)) return false; /* a fan-out may still arrive */
    return true;
}

/* Eager network: client c with its current session as one actor. Its inputs from other
 * actors are store results and fan-out; each of those channels must already hold
 * something (later arrivals queue behind) or be unable to receive anything. Old sessions
 * of c cannot reach it (their replies are for a connection it left). An LB pick must not
 * close a session or depend on a restart. */
static bool connection_valid(const hm_world *w, const hm_config *cfg, uint8_t c)
{
    if (cfg->proto.dedup_mode == HERD_DEDUP_LOCAL) return false; /* a cache shared by the server's sessions */
    bool any_open = false;
    for (uint8_t s = 0; s < cfg->servers; s++) any_open |= session_open(w, s, c);
    if (w->pending[c]) {
        if (any_open) return false;
        for (uint8_t s = 0; s < cfg->servers; s++)
            if (!w->server_up[s]) return false;
        return true;
    }
    uint8_t s = w->cur_server[c];
    if (s == HM_NONE || !session_open(w, s, c) || w->sess[s][c].conn != w->client[c].conn) return true;
    uint32_t k = w->sess[s][c].conn;
    if (count_items(w, HM_IT_SRES, c, s, false) == 0)
        for (uint32_t i = 0; i < w->n_items; i++) {
            const hm_item *it = &w->items[i];
            if (it->kind == HM_IT_SREQ && it->client == c && it->server == s && it->conn == k) return false;
        }
    if (w->sub[s][c] && count_items(w, HM_IT_FAN, c, s, false) == 0 && !fan_quiet(w, cfg))
        return false; /* a fan-out may still arrive into an empty channel */
    return true;
}

/* Items of clients other than c. */
static uint32_t others_items(const hm_world *w, uint8_t c)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->n_items; i++) n += w->items[i].client != c;
    return n;
}

uint32_t hm_por_candidate(const hm_world *w, const hm_config *cfg, uint32_t a, const hm_label *l, uint32_t n,
                          uint32_t *sel)
{
    if (a < HM_CLIENTS_MAX && cfg->s2c_eager_on) {
        if (a >= cfg->clients || !connection_valid(w, cfg, (uint8_t)a)) return 0;
        if (kills_pending(w, cfg, a))
            for (uint32_t i = 0; i < n; i++)
                if (l[i].a == a && (l[i].kind == HM_T_TIMER || l[i].kind == HM_T_CONNECT || l[i].kind == HM_T_REFUSE))
                    return 0; /* a timeout or an LB pick is not absorbed by a kill */
    } else if (a < HM_CLIENTS_MAX) {
        /* A kill discards the frames a client has not read yet: reading one is never
         * absorbed by a kill, so no client step is ample while one is left. */
        if (kills_pending(w, cfg, a)) return 0;
        if (a >= cfg->clients || !client_valid(w, cfg, (uint8_t)a)) return 0;
    } else {
        uint32_t s = (a - HM_CLIENTS_MAX) / HM_CLIENTS_MAX, c = (a - HM_CLIENTS_MAX) % HM_CLIENTS_MAX;
        if (s >= cfg->servers || c >= cfg->clients || !session_valid(w, cfg, (uint8_t)s, (uint8_t)c)) return 0;
    }
    /* With a duplicate left, consuming a head frame comes with its duplicating variant
     * (the HM_T_DUP label of the same item, enabled alongside): both are the actor's.
     * Duplicates of other actors' frames share the budget, but a budget only disables;
     * the plain delivery stays enabled and independent of them (docs/model-checking.md). */
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (actor_of(w, cfg, l[i]) != a) continue;
        sel[m++] = i;
    }
    return m < n ? m : 0;
}

/* Append (non-read) store requests of session (s, c) in flight: a kill keeps them. */
static uint32_t appends_in_flight(const hm_world *w, uint8_t s, uint8_t c)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        if (it->kind == HM_IT_SREQ && it->client == c && it->server == s && it->u.req.op != HERD_STORE_OP_READ) n++;
    }
    return n;
}

/* Items that are not client c's frames (the only ones a client transition may remove
 * or add). */
static uint32_t foreign_items(const hm_world *w, uint8_t c)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        if (!((it->kind == HM_IT_S2C || it->kind == HM_IT_C2S) && it->client == c)) n++;
    }
    return n;
}

bool hm_por_child_ok(const hm_world *base, const hm_world *child, const hm_config *cfg, uint32_t a, hm_label l)
{
    if (child->violation != HM_P_NONE) return true; /* the search stops there anyway */
    if (a < HM_CLIENTS_MAX && cfg->s2c_eager_on) {
        /* A connection actor's step: nothing of another client's may change (no fan-out
         * to them, no purge), no other client's session may open, close or (un)subscribe,
         * and its own subscription may change only where no fan-out can come any more.
         * With a kill left, a step must be absorbed by it: the kill discards everything
         * the step did to the session, and what it did to the client is what the step's
         * lost-reply variant (also in the set) does not do; only an append request
         * survives a kill. */
        uint8_t c = (uint8_t)a;
        if (others_items(child, c) != others_items(base, c)) return false;
        for (uint32_t s = 0; s < cfg->servers; s++)
            for (uint32_t k = 0; k < cfg->clients; k++) {
                if (k == c) {
                    if (child->sub[s][k] != base->sub[s][k] && child->sub[s][k] && !fan_quiet(base, cfg)) return false;
                    continue;
                }
                if (session_open(base, s, k) != session_open(child, s, k) || child->sub[s][k] != base->sub[s][k])
                    return false;
            }
        if (kills_pending(base, cfg, c))
            for (uint8_t s = 0; s < cfg->servers; s++)
                if (appends_in_flight(child, s, c) > appends_in_flight(base, s, c)) return false;
        return true;
    }
    if (a < HM_CLIENTS_MAX) {
        uint8_t c = (uint8_t)a;
        if (foreign_items(child, c) != foreign_items(base, c)) return false;
        if (count_items(child, HM_IT_C2S, c, 0, true) < count_items(base, HM_IT_C2S, c, 0, true)) return false;
        for (uint32_t s = 0; s < cfg->servers; s++)
            for (uint32_t k = 0; k < cfg->clients; k++) {
                bool open_b = session_open(base, s, k), open_c = session_open(child, s, k);
                bool mine = k == c;
                if (open_b != open_c) {
                    /* the LB opens c's session; a timer closes c's idle one */
                    if (!mine) return false;
                    if (open_c && l.kind != HM_T_CONNECT) return false;
                    if (!open_c && l.kind != HM_T_TIMER) return false;
                }
                if (child->sub[s][k] != base->sub[s][k] && !(mine && (l.kind == HM_T_CONNECT || l.kind == HM_T_TIMER)))
                    return false;
            }
        return true;
    }
    uint32_t s0 = (a - HM_CLIENTS_MAX) / HM_CLIENTS_MAX, c0 = (a - HM_CLIENTS_MAX) % HM_CLIENTS_MAX;
    if (memcmp(&child->client[c0], &base->client[c0], sizeof base->client[c0]) != 0) return false;
    /* With a kill left, the step must be absorbed by it: a kill of this connection or a
     * crash of this server after the step leaves the world it leaves before it. The kill
     * discards the session, its frames, reads, fan-out and results; only an append
     * request survives it (the store already has it), and fan-out to other sessions
     * is refused below anyway. */
    if (kills_pending(base, cfg, c0) && appends_in_flight(child, (uint8_t)s0, (uint8_t)c0) > appends_in_flight(base, (uint8_t)s0, (uint8_t)c0))
        return false;
    for (uint32_t s = 0; s < cfg->servers; s++)
        for (uint32_t k = 0; k < cfg->clients; k++) {
            if (session_open(base, s, k) != session_open(child, s, k)) return false;
            if (child->sub[s][k] != base->sub[s][k] && !(s == s0 && k == c0 && fan_quiet(base, cfg))) return false;
            if ((s != s0 || k != c0) && count_items(child, HM_IT_FAN, (uint8_t)k, (uint8_t)s, false) !=
                                            count_items(base, HM_IT_FAN, (uint8_t)k, (uint8_t)s, false))
                return false; /* a fan-out: it reads every session's subscription */
        }
    return true;
}
