/* live.h — what the live driver's processes share: the run's configuration as plain data,
 * the real clock, and the limits every live loop is bounded by.
 *
 * The live driver (docs/live.md) runs the core's machines (src/) on real sockets: a
 * server process per herd server (live/server.c: libwebsockets + Redis through hiredis),
 * client processes each holding a range of the clients' connections (live/clients.c), HAProxy in
 * front (live/haproxy.c), all on loopback. The orchestrator in cli/cmd_live.c reads the
 * scenario (sim/scenario.h, which live/ never includes) and hands each process a
 * herd_live_config; the processes reload the same scenario file, so they agree on it.
 *
 * Time: herd_live_now_us() is CLOCK_MONOTONIC in microseconds, system-wide, so the
 * records of every process of a run merge into one order. It is the herd_time every core
 * call gets; the core asserts that time never goes backwards, which CLOCK_MONOTONIC
 * guarantees. */
#ifndef HERD_LIVE_H
#define HERD_LIVE_H

#include "client.h"
#include "server.h"
#include "store.h"

#include <time.h>

#define HERD_LIVE_CLIENTS_MAX 20000u  /* connections one client process holds at most */
#define HERD_LIVE_SERVERS_MAX 16u
#define HERD_LIVE_ROOMS_MAX 100000u
#define HERD_LIVE_TICK_US 5000u       /* client and server timer tick */
#define HERD_LIVE_POLL_US 10000u      /* server: cross-server fan-out poll of the Redis feed */
#define HERD_LIVE_SENDQ_MAX 256u      /* frames queued per connection before it is closed */
#define HERD_LIVE_FX_ROUNDS_MAX 4096u /* effect-drain rounds per input (a bound, never reached) */

/* One offline period of one client (faults offline and churn), in µs from t0: the client's
 * connection drops at off_us and every connect fails at once until on_us. */
typedef struct herd_live_offline {
    uint32_t client;
    herd_time off_us, on_us;
} herd_live_offline;
#define HERD_LIVE_OFFLINE_MAX 1000000u /* periods one run holds (live_config.c refuses more) */

typedef struct herd_live_config {
    uint64_t seed;
    uint32_t clients;
    uint32_t rooms;
    uint32_t servers;
    herd_time duration_us;
    herd_time start_spread_us;
    herd_time publish_interval_us;  /* mean per publisher; 0 = none */
    uint32_t publishers_ppm;
    herd_time workload_start_us;
    herd_time workload_stop_us;
    herd_client_config client;
    herd_server_config server;
    herd_store_config store;
    /* offline periods sorted by (client, off_us); NULL when none (cli/live_config.c) */
    const herd_live_offline *offline;
    uint32_t offline_count;
} herd_live_config;

static inline herd_time herd_live_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (herd_time)ts.tv_sec * 1000000u + (herd_time)ts.tv_nsec / 1000u;
}

/* The client process: clients [first, first + count) connect to 127.0.0.1:port (the
 * load balancer) and play the workload until t0_us + duration; records to trace_path.
 * Returns 0, or an exit status with the reason on stderr. */
int herd_live_clients_run(const herd_live_config *cfg, uint32_t first, uint32_t count, int port,
                          herd_time t0_us, const char *trace_path);
/* A server process: serves WebSocket on 127.0.0.1:port as server `id`, with the store in
 * the Redis at 127.0.0.1:redis_port, until SIGTERM/SIGINT. crash_after_append: when
 * non-zero, the process kills itself (SIGKILL) right after its first append made at or
 * after that monotonic time, before the ACK (the duplicate-provoking crash point);
 * with crash_before_record also before writing that append's `appended` record (the
 * trace then lacks an append Redis holds: the live judge must not call its ACK I5). */
typedef struct herd_live_drain {
    uint16_t code;           /* close code for every session (1001, 1012); 0: no graceful stop */
    uint32_t retry_after_ms; /* the hint sent in the close reason */
    herd_time drain_us;      /* the closes are spread evenly over this long */
} herd_live_drain;
/* SIGUSR1 starts a graceful stop (drain): every session is closed with drain->code at its
 * own time within drain->drain_us (new connections at once), then the process exits 0. */
int herd_live_server_run(const herd_live_config *cfg, uint32_t id, int port, int redis_port,
                         const char *trace_path, herd_time crash_after_append_us,
                         bool crash_before_record, const herd_live_drain *drain);

#endif
