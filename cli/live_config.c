/* live_config.c — what `herd live` can honour of a scenario, and its configuration
 * (live_config.h says which keys are honoured, approximated or refused, and why). */
#define _POSIX_C_SOURCE 200809L
#include "live_config.h"

#include "churn.h"
#include "config.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "file:line:col" of section.key in the scenario, or "--set section.key"; with the
 * value as written when it is a scalar (" = 'clients:0-4'"). */
static void where(const herd_scenario *sc, const char *section, const char *key, char *out, size_t size,
                  char *value, size_t vsize)
{
    const herd_cfg_node *root = sc->doc ? herd_cfg_root(sc->doc) : NULL;
    const herd_cfg_node *m = root ? herd_cfg_get(root, section) : NULL;
    const herd_cfg_node *n = m && key ? herd_cfg_get(m, key) : m;
    if (m && key && !n && herd_cfg_is_seq(m)) { /* "N.field" of a list (faults) */
        char *end;
        unsigned long i = strtoul(key, &end, 10);
        const herd_cfg_node *item = *end == '.' ? herd_cfg_at(m, i) : NULL;
        n = item ? herd_cfg_get(item, end + 1) : NULL;
        if (!n) n = item;
    }
    const char *v = n ? herd_cfg_scalar(n) : NULL;
    if (v) snprintf(value, vsize, " = '%s'", v);
    else if (vsize) value[0] = 0;
    if (n && herd_cfg_line(n) > 0)
        snprintf(out, size, "%s:%d:%d", herd_cfg_name(sc->doc), herd_cfg_line(n), herd_cfg_col(n));
    else
        snprintf(out, size, "%s", sc->doc ? herd_cfg_name(sc->doc) : "scenario");
}

static int refuse(const herd_scenario *sc, const char *section, const char *key, char *err, size_t len,
                  const char *why)
{
    char at[300], value[96];
    where(sc, section, key, at, sizeof at, value, sizeof value);
    snprintf(err, len, "%s: %s%s%s%s: %s", at, section, key ? "." : "", key ? key : "", value, why);
    return 65;
}

static void approx(herd_live_plan *p, const char *key, uint64_t v, const char *unit)
{
    size_t n = strlen(p->approximations);
    if (n + 1 >= sizeof p->approximations) return;
    snprintf(p->approximations + n, sizeof p->approximations - n, "%s%s=%" PRIu64 "%s", n ? "," : "", key, v, unit);
}

/* One side of a partition as the relay sees it: the servers it holds (a mask), or the
 * LB's side (HAProxy, and every client behind it). -1: the relay cannot cut it. */
static int partition_side(const herd_world_config *w, herd_group g, uint32_t *mask)
{
    *mask = 0;
    switch (g.kind) {
    case HERD_GROUP_SERVERS:
        for (uint32_t s = 0; s < w->servers; s++)
            if (g.count == 0 || (s >= g.first && s - g.first < g.count)) *mask |= 1u << s;
        return *mask ? 1 : -1;
    case HERD_GROUP_LB: return 0;
    case HERD_GROUP_CLIENTS: /* every client: the relay cannot tell one client from another */
        return g.first == 0 && (g.count == 0 || g.count >= w->clients) ? 0 : -1;
    default: return -1;
    }
}

/* A partition as relay directions over servers: 0, or -1 when it cannot be expressed. */
static int partition_cut(const herd_world_config *w, const herd_fault *f, herd_relay_cut *out)
{
    uint32_t ma, mb;
    int sa = partition_side(w, f->a, &ma), sb = partition_side(w, f->b, &mb);
    uint32_t all = w->servers >= 32 ? UINT32_MAX : (1u << w->servers) - 1u;
    memset(out, 0, sizeof *out);
    if (sa < 0 || sb < 0) return -1;
    if (sa == 1 && sb == 1) return -1; /* server to server: no connection between them */
    if (sa == 0 && sb == 0) {
        if (f->a.kind == f->b.kind) return -1;
        out->mask = all; /* clients <-> LB: every path to every server */
        bool a_is_clients = f->a.kind == HERD_GROUP_CLIENTS;
        out->up = a_is_clients || !f->oneway;
        out->down = !a_is_clients || !f->oneway;
        return 0;
    }
    out->mask = sa == 1 ? ma : mb;
    out->up = sb == 1 || !f->oneway;   /* a -> b toward the servers */
    out->down = sa == 1 || !f->oneway; /* a -> b from the servers */
    return 0;
}

static int judge_faults(const herd_scenario *sc, herd_live_plan *plan, char *err, size_t len)
{
    const herd_world_config *w = &sc->world;
    uint64_t periods = 0;
    for (uint32_t i = 0; i < w->fault_count; i++) {
        const herd_fault *f = &w->faults[i];
        char key[48];
        if (f->kind == HERD_FAULT_PARTITION) {
            herd_relay_cut cut;
            if (partition_cut(w, f, &cut) != 0) {
                snprintf(key, sizeof key, "%" PRIu32 ".a", i);
                return refuse(sc, "faults", key, err, len,
                              "the live relay sits between HAProxy and the servers: it cuts servers (any range) "
                              "from the LB or from every client, or every client from the LB; not the store, "
                              "not a part of the clients, not server to server (docs/live.md)");
            }
            plan->relay = true;
            continue;
        }
        if (f->kind == HERD_FAULT_NET_BURST) { plan->relay = true; continue; }
        if (f->kind == HERD_FAULT_OFFLINE || f->kind == HERD_FAULT_CHURN) {
            /* bounded: the periods the client process is handed at start */
            uint64_t lo = f->first < w->clients ? f->first : w->clients;
            uint64_t hi = f->count ? lo + f->count : w->clients;
            if (hi > w->clients) hi = w->clients;
            uint64_t expect = hi - lo;
            if (f->kind == HERD_FAULT_CHURN)
                expect = expect * f->fraction_ppm / 1000000u * (f->duration_us / (f->interval_us ? f->interval_us : 1) + 2u);
            periods += expect;
            if (periods > HERD_LIVE_OFFLINE_PERIODS_MAX) {
                snprintf(key, sizeof key, "%" PRIu32 ".%s", i, f->kind == HERD_FAULT_CHURN ? "interval" : "clients");
                return refuse(sc, "faults", key, err, len, "one live run holds at most 1000000 offline periods "
                              "(clients x duration / interval); fewer clients or a longer interval");
            }
            continue;
        }
        if (f->kind == HERD_FAULT_CRASH || f->kind == HERD_FAULT_STORE_CRASH || f->kind == HERD_FAULT_GRACEFUL ||
            f->kind == HERD_FAULT_ROLLING || f->kind == HERD_FAULT_LB_RESTART)
            continue;
        snprintf(key, sizeof key, "%" PRIu32 ".kind", i);
        char msg[200];
        snprintf(msg, sizeof msg, "a fault of kind '%s' cannot run live yet (live runs crash, graceful_restart, "
                 "rolling_deploy, lb_restart, store_crash, partition, net_burst, offline, churn; docs/live.md)", herd_fault_kind_name(f->kind));
        return refuse(sc, "faults", key, err, len, msg);
    }
    return 0;
}

int herd_live_judge(const herd_scenario *sc, herd_live_plan *plan, char *err, size_t err_len)
{
    const herd_world_config *w = &sc->world;
    memset(plan, 0, sizeof *plan);
    if (w->max_conns)
        return refuse(sc, "accept", "max_conns", err, err_len, "live servers have no session limit yet (the "
                      "simulator ends a handshake over it with 1013; HAProxy's maxconn would queue it instead); set it to 0");
    if (w->store.durability == HERD_DURABLE_PG_SYNC || w->store.durability == HERD_DURABLE_PG_ASYNC)
        return refuse(sc, "store", "durability", err, err_len, "live runs Redis only (none, aof_everysec, aof_always)");
    if (w->server.proto.dedup_mode == HERD_DEDUP_LOCAL)
        return refuse(sc, "protocol", NULL, err, err_len, "dedup_local cannot run live yet (no server-local cache)");
    if (w->clients > 20000u)
        return refuse(sc, "world", "clients", err, err_len, "one live run holds at most 20000 clients");
    if (w->servers > 16u)
        return refuse(sc, "world", "servers", err, err_len, "one live run starts at most 16 servers");
    if (w->rooms > 100000u)
        return refuse(sc, "world", "rooms", err, err_len, "one live run holds at most 100000 rooms");
    int rc = judge_faults(sc, plan, err, err_len);
    if (rc) return rc;
    /* Latency and jitter below a millisecond are loopback's own (approximated, as the
     * fidelity scenarios' calibrated 150 us); from a millisecond up, or with any loss,
     * partition or net_burst, the relay holds every chunk for them on the LB-server hop.
     * Loss is a chunk held rto longer (TCP's retransmission), a partition holds bytes and
     * connects until it heals. */
    if (w->latency_us >= HERD_LIVE_RELAY_MIN_US || w->jitter_us >= HERD_LIVE_RELAY_MIN_US || w->loss_ppm)
        plan->relay = true;
    if (!plan->relay && w->latency_us) approx(plan, "network.latency", w->latency_us, "us");
    if (!plan->relay && w->jitter_us) approx(plan, "network.jitter", w->jitter_us, "us");
    if (w->loss_ppm) approx(plan, "network.loss", w->loss_ppm, "ppm");
    if (w->lb_rate_per_s) approx(plan, "lb.burst", w->lb_burst, "");
    if (w->store_latency_us) approx(plan, "network.store_latency", w->store_latency_us, "us");
    if (w->pubsub_latency_us) approx(plan, "network.pubsub_latency", w->pubsub_latency_us, "us");
    approx(plan, "accept.handshake", w->handshake_us, "us");
    approx(plan, "accept.backlog", w->backlog, "");
    approx(plan, "accept.workers", w->workers, "");
    if (w->health_lag_us) approx(plan, "lb.health_lag", w->health_lag_us, "us");
    return 0;
}

#ifdef HERD_HAVE_LIVE
static int offline_cmp(const void *x, const void *y)
{
    const herd_live_offline *a = x, *b = y;
    if (a->client != b->client) return a->client < b->client ? -1 : 1;
    return a->off_us < b->off_us ? -1 : a->off_us > b->off_us;
}

static bool offline_add(herd_live_offline *v, uint32_t *n, uint32_t client, herd_time off, herd_time on)
{
    if (*n == HERD_LIVE_OFFLINE_MAX) return false;
    v[(*n)++] = (herd_live_offline){client, off, on};
    return true;
}

int herd_live_offline_of(const herd_scenario *sc, uint64_t seed, herd_live_offline **out, uint32_t *count)
{
    const herd_world_config *w = &sc->world;
    *out = NULL;
    *count = 0;
    bool any = false;
    for (uint32_t i = 0; i < w->fault_count; i++)
        any = any || w->faults[i].kind == HERD_FAULT_OFFLINE || w->faults[i].kind == HERD_FAULT_CHURN;
    if (!any) return 0;
    herd_live_offline *v = malloc(sizeof *v * HERD_LIVE_OFFLINE_MAX);
    if (!v) return -1;
    uint32_t n = 0;
    bool ok = true;
    for (uint32_t i = 0; ok && i < w->fault_count; i++) {
        const herd_fault *f = &w->faults[i];
        if (f->kind != HERD_FAULT_OFFLINE && f->kind != HERD_FAULT_CHURN) continue;
        uint32_t lo = f->first < w->clients ? f->first : w->clients;
        uint64_t end = f->count ? (uint64_t)f->first + f->count : w->clients;
        uint32_t hi = end > w->clients ? w->clients : (uint32_t)end;
        for (uint32_t c = lo; ok && c < hi; c++) {
            if (f->kind == HERD_FAULT_OFFLINE) { ok = offline_add(v, &n, c, f->at_us, f->at_us + f->duration_us); continue; }
            /* churn: the simulator's own draws (sim/churn.h), period after period */
            if (!herd_churn_member(f, seed, i, c)) continue;
            herd_time after = f->at_us;
            herd_churn_period p;
            for (uint32_t k = 0; ok && k < HERD_CHURN_PERIODS_MAX && herd_churn_period_at(f, seed, i, c, k, after, &p); k++) {
                ok = offline_add(v, &n, c, p.off_at, p.on_at);
                after = p.on_at;
            }
        }
    }
    if (!ok) { free(v); return -1; }
    qsort(v, n, sizeof *v, offline_cmp);
    *out = v;
    *count = n;
    return 0;
}

void herd_live_relay_of(const herd_scenario *sc, uint64_t seed, herd_time t0_us, herd_relay_config *out)
{
    const herd_world_config *w = &sc->world;
    memset(out, 0, sizeof *out);
    out->seed = seed;
    out->latency_us = w->latency_us;
    out->jitter_us = w->jitter_us;
    out->loss_ppm = w->loss_ppm;
    out->rto_us = w->rto_us;
    uint32_t all = w->servers >= 32 ? UINT32_MAX : (1u << w->servers) - 1u;
    for (uint32_t i = 0; i < w->fault_count && out->windows < HERD_RELAY_WINDOWS_MAX; i++) {
        const herd_fault *f = &w->faults[i];
        herd_relay_window *win = &out->w[out->windows];
        memset(win, 0, sizeof *win);
        win->from_us = t0_us + f->at_us;
        win->until_us = t0_us + f->at_us + f->duration_us;
        if (f->kind == HERD_FAULT_PARTITION) {
            herd_relay_cut cut;
            if (partition_cut(w, f, &cut) != 0) continue;
            win->servers_mask = cut.mask;
            win->cut_up = cut.up;
            win->cut_down = cut.down;
        } else if (f->kind == HERD_FAULT_NET_BURST) {
            win->servers_mask = all;
            win->loss_ppm = f->loss_ppm;
            win->latency_us = f->latency_us;
        } else {
            continue;
        }
        out->windows++;
    }
}

void herd_live_config_of(const herd_scenario *sc, uint64_t seed, herd_live_config *out)
{
    const herd_world_config *w = &sc->world;
    memset(out, 0, sizeof *out);
    out->seed = seed;
    out->clients = w->clients;
    out->rooms = w->rooms;
    out->servers = w->servers;
    out->duration_us = w->duration_us;
    out->start_spread_us = w->start_spread_us;
    out->publish_interval_us = w->publish_interval_us;
    out->publishers_ppm = w->publishers_ppm;
    out->workload_start_us = w->workload_start_us;
    out->workload_stop_us = w->workload_stop_us;
    out->client = w->client;
    out->server = w->server;
    out->store = w->store;
}
#endif
