/* live_config.h — from a loaded scenario (sim/scenario.h) to the live driver's
 * configuration (live/live.h), and the judgement of what live can honour.
 *
 * Three kinds of scenario values (docs/live.md has the table):
 *  - honoured as written: run.duration, world.clients/rooms/servers/start_spread, client.*,
 *    protocol (except dedup_local), store.durability (none, aof_everysec, aof_always),
 *    store.maxlen, workload.*, lb.policy, lb.rate (HAProxy rate-limit sessions),
 *    network.latency/jitter from 1 ms (the relay, live/relay.h), faults of kind crash,
 *    store_crash, graceful_restart, rolling_deploy, lb_restart, net_burst, and partition
 *    where the relay can cut it (servers from the LB or from every client, or every
 *    client from the LB), offline and churn (the client process, with sim/churn.c's draws);
 *  - approximated, listed on stderr at every run and in --json (live_approximations):
 *    network.latency/jitter below 1 ms (loopback's own), network.loss (a chunk held rto
 *    longer by the relay), lb.burst, accept.backlog/workers/
 *    handshake/syn_retries/syn_rto (the kernel's and libwebsockets' real ones),
 *    store_latency (loopback Redis), pubsub_latency (the servers' poll), lb.health_lag
 *    (HAProxy's check interval), store.dedup_window/dedup_capacity (the Redis dedup hash
 *    keeps every id);
 *  - refused, an error naming the key with its file:line:col (exit 65): accept.max_conns,
 *    durability pg_sync/pg_async, protocol dedup_local, partitions the relay cannot cut
 *    (faults.N.a), more offline periods than one run holds, and more
 *    clients or servers than one live run holds. */
#ifndef HERD_CLI_LIVE_CONFIG_H
#define HERD_CLI_LIVE_CONFIG_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>

/* Offline periods (faults offline and churn) one live run holds (live.h's
 * HERD_LIVE_OFFLINE_MAX, restated so this header needs no live.h). */
#define HERD_LIVE_OFFLINE_PERIODS_MAX 1000000u

/* Latency or jitter from this value up starts the relay (below: loopback's own). */
#define HERD_LIVE_RELAY_MIN_US 1000u

typedef struct herd_live_plan {
    /* the fields of live/live.h's herd_live_config, filled without including it, so this
     * header compiles in a build without live support */
    char approximations[512]; /* "network.latency=20ms,accept.handshake=1ms", or "" */
    bool relay; /* the fault-injecting relay (live/relay.h) goes between HAProxy and the servers */
} herd_live_plan;

/* A partition as the relay holds it: the servers it cuts, and which directions. */
typedef struct herd_relay_cut {
    uint32_t mask;
    bool up, down;
} herd_relay_cut;

/* 0, or 65 with "file:line:col: key ... live cannot ..." in err. */
int herd_live_judge(const herd_scenario *sc, herd_live_plan *plan, char *err, size_t err_len);

#ifdef HERD_HAVE_LIVE
#include "live.h"
#include "relay.h"
void herd_live_config_of(const herd_scenario *sc, uint64_t seed, herd_live_config *out);
/* The relay's schedule: network latency/jitter/loss/rto, and one window per partition
 * and net_burst fault, in monotonic µs from t0_us. */
void herd_live_relay_of(const herd_scenario *sc, uint64_t seed, herd_time t0_us, herd_relay_config *out);
/* Every client's offline periods (faults offline; churn drawn by sim/churn.c's
 * herd_churn_period_at with the run's seed, so live and herd run take the same clients
 * offline at the same times), sorted by (client, off_us), in *out (malloc'd; NULL when
 * there are none). 0, or -1 (no memory, or more than HERD_LIVE_OFFLINE_MAX periods). */
int herd_live_offline_of(const herd_scenario *sc, uint64_t seed, herd_live_offline **out, uint32_t *count);
#endif

#endif
