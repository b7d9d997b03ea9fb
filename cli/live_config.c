/* live_config.c — what `herd live` can honour of a scenario, and its configuration
 * (live_config.h says which keys are honoured, approximated or refused, and why). */
#define _POSIX_C_SOURCE 200809L
#include "live_config.h"

#include "config.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* "file:line:col" of section.key in the scenario, or "--set section.key". */
static void where(const herd_scenario *sc, const char *section, const char *key, char *out, size_t size)
{
    const herd_cfg_node *root = sc->doc ? herd_cfg_root(sc->doc) : NULL;
    const herd_cfg_node *m = root ? herd_cfg_get(root, section) : NULL;
    const herd_cfg_node *n = m && key ? herd_cfg_get(m, key) : m;
    if (n && herd_cfg_line(n) > 0)
        snprintf(out, size, "%s:%d:%d", herd_cfg_name(sc->doc), herd_cfg_line(n), herd_cfg_col(n));
    else
        snprintf(out, size, "%s", sc->doc ? herd_cfg_name(sc->doc) : "scenario");
}

static int refuse(const herd_scenario *sc, const char *section, const char *key, char *err, size_t len,
                  const char *why)
{
    char at[300];
    where(sc, section, key, at, sizeof at);
    snprintf(err, len, "%s: %s%s%s: %s", at, section, key ? "." : "", key ? key : "", why);
    return 65;
}

static void approx(herd_live_plan *p, const char *key, uint64_t v, const char *unit)
{
    size_t n = strlen(p->approximations);
    if (n + 1 >= sizeof p->approximations) return;
    snprintf(p->approximations + n, sizeof p->approximations - n, "%s%s=%" PRIu64 "%s", n ? "," : "", key, v, unit);
}

static int judge_faults(const herd_scenario *sc, char *err, size_t len)
{
    const herd_world_config *w = &sc->world;
    for (uint32_t i = 0; i < w->fault_count; i++) {
        const herd_fault *f = &w->faults[i];
        if (f->kind == HERD_FAULT_CRASH || f->kind == HERD_FAULT_STORE_CRASH || f->kind == HERD_FAULT_GRACEFUL) continue;
        char key[48];
        snprintf(key, sizeof key, "%" PRIu32 ".kind", i);
        char msg[200];
        snprintf(msg, sizeof msg, "a fault of kind '%s' cannot run live yet (live runs crash, "
                 "graceful_restart and store_crash; docs/live.md)", herd_fault_kind_name(f->kind));
        return refuse(sc, "faults", key, err, len, msg);
    }
    return 0;
}

int herd_live_judge(const herd_scenario *sc, herd_live_plan *plan, char *err, size_t err_len)
{
    const herd_world_config *w = &sc->world;
    memset(plan, 0, sizeof *plan);
    if (w->loss_ppm)
        return refuse(sc, "network", "loss", err, err_len, "live cannot lose packets on loopback yet "
                      "(a fault-injecting relay is future work); set it to 0");
    if (w->max_conns)
        return refuse(sc, "accept", "max_conns", err, err_len, "live servers have no session limit yet; set it to 0");
    if (w->lb_rate_per_s)
        return refuse(sc, "lb", "rate", err, err_len, "the live HAProxy has no connection-rate limit yet; set it to 0");
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
    int rc = judge_faults(sc, err, err_len);
    if (rc) return rc;
    if (w->latency_us) approx(plan, "network.latency", w->latency_us, "us");
    if (w->jitter_us) approx(plan, "network.jitter", w->jitter_us, "us");
    if (w->store_latency_us) approx(plan, "network.store_latency", w->store_latency_us, "us");
    if (w->pubsub_latency_us) approx(plan, "network.pubsub_latency", w->pubsub_latency_us, "us");
    approx(plan, "accept.handshake", w->handshake_us, "us");
    approx(plan, "accept.backlog", w->backlog, "");
    approx(plan, "accept.workers", w->workers, "");
    if (w->health_lag_us) approx(plan, "lb.health_lag", w->health_lag_us, "us");
    return 0;
}

#ifdef HERD_HAVE_LIVE
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
