/* live_config.h — from a loaded scenario (sim/scenario.h) to the live driver's
 * configuration (live/live.h), and the judgement of what live can honour.
 *
 * Three kinds of scenario values (docs/live.md has the table):
 *  - honoured as written: run.duration, world.clients/rooms/servers/start_spread, client.*,
 *    protocol (except dedup_local), store.durability (none, aof_everysec, aof_always),
 *    store.maxlen, workload.*, lb.policy, faults of kind crash and store_crash;
 *  - approximated, listed on stderr at every run and in --json (live_approximations):
 *    network.latency/jitter (loopback's own), network.rto, accept.backlog/workers/
 *    handshake/syn_retries/syn_rto (the kernel's and libwebsockets' real ones),
 *    store_latency (loopback Redis), pubsub_latency (the servers' poll), lb.health_lag
 *    (HAProxy's check interval), store.dedup_window/dedup_capacity (the Redis dedup hash
 *    keeps every id);
 *  - refused, an error naming the key with its file:line:col (exit 65): network.loss,
 *    accept.max_conns, lb.rate, durability pg_sync/pg_async, protocol dedup_local, every
 *    other fault kind, and more clients or servers than one live run holds. */
#ifndef HERD_CLI_LIVE_CONFIG_H
#define HERD_CLI_LIVE_CONFIG_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct herd_live_plan {
    /* the fields of live/live.h's herd_live_config, filled without including it, so this
     * header compiles in a build without live support */
    char approximations[512]; /* "network.latency=20ms,accept.handshake=1ms", or "" */
} herd_live_plan;

/* 0, or 65 with "file:line:col: key ... live cannot ..." in err. */
int herd_live_judge(const herd_scenario *sc, herd_live_plan *plan, char *err, size_t err_len);

#ifdef HERD_HAVE_LIVE
#include "live.h"
void herd_live_config_of(const herd_scenario *sc, uint64_t seed, herd_live_config *out);
#endif

#endif
