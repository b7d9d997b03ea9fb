/* cmd_live_roles.c — the processes `herd live` starts: `herd live-server` (one herd server
 * on a loopback port) and `herd live-clients` (a range of the run's clients). They are not
 * listed in `herd --help`: cmd_live.c builds their command lines. Each reloads the
 * scenario with the same --seed and --set values, so every process of a run holds the same
 * configuration, and runs live/server.c or live/clients.c.
 *
 *   herd live-server SCENARIO --seed N [--set k=v ...] --id S --port P --redis-port R
 *                    --trace FILE [--crash-after-append-us T]
 *                    [--drain-code C --drain-us D --retry-after-ms R]   (SIGUSR1: graceful stop)
 *   herd live-clients SCENARIO --seed N [--set k=v ...] --port P --t0-us T --trace FILE
 *                     [--first F --count N]   (clients F..F+N-1; default all)
 *   herd live-relay SCENARIO --seed N [--set k=v ...] --port P --t0-us T --trace FILE
 *                   --relay-ports L0:S0,L1:S1,...   (listen on Ls, forward to Ss: live/relay.h) */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "exitcode.h"
#include "live_config.h"

#include "args.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROLE_SETS_MAX 64

typedef struct role_args {
    const char *scenario, *trace, *relay_ports;
    const char *sets[ROLE_SETS_MAX];
    size_t nsets;
    uint64_t seed, id, port, redis_port, t0_us, crash_us;
    uint64_t drain_code, drain_us, retry_after_ms, crash_before_record;
    uint64_t first, count; /* live-clients: the clients [first, first + count) (count 0: all) */
} role_args;

static int parse(const char *cmd, int argc, char **argv, role_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (s[0] != '-') {
            if (a->scenario) { fprintf(stderr, "herd %s: one scenario only\n", cmd); return HERD_EXIT_USAGE; }
            a->scenario = s;
            continue;
        }
        if (!v) { fprintf(stderr, "herd %s: %s needs a value\n", cmd, s); return HERD_EXIT_USAGE; }
        i++;
        if (strcmp(s, "--set") == 0) {
            if (a->nsets == ROLE_SETS_MAX) { fprintf(stderr, "herd %s: too many --set\n", cmd); return HERD_EXIT_USAGE; }
            a->sets[a->nsets++] = v;
        } else if (strcmp(s, "--trace") == 0) a->trace = v;
        else if (strcmp(s, "--relay-ports") == 0) a->relay_ports = v;
        else if (strcmp(s, "--seed") == 0) ok = herd_arg_u64(cmd, s, v, 0, UINT64_MAX, &a->seed);
        else if (strcmp(s, "--id") == 0) ok = herd_arg_u64(cmd, s, v, 0, 15, &a->id);
        else if (strcmp(s, "--port") == 0) ok = herd_arg_u64(cmd, s, v, 1, 65535, &a->port);
        else if (strcmp(s, "--redis-port") == 0) ok = herd_arg_u64(cmd, s, v, 1, 65535, &a->redis_port);
        else if (strcmp(s, "--t0-us") == 0) ok = herd_arg_u64(cmd, s, v, 0, UINT64_MAX / 2, &a->t0_us);
        else if (strcmp(s, "--crash-after-append-us") == 0) ok = herd_arg_u64(cmd, s, v, 0, UINT64_MAX / 2, &a->crash_us);
        else if (strcmp(s, "--crash-before-record") == 0) ok = herd_arg_u64(cmd, s, v, 0, 1, &a->crash_before_record);
        else if (strcmp(s, "--drain-code") == 0) ok = herd_arg_u64(cmd, s, v, 1000, 4999, &a->drain_code);
        else if (strcmp(s, "--drain-us") == 0) ok = herd_arg_u64(cmd, s, v, 0, 3600ull * 1000000u, &a->drain_us);
        else if (strcmp(s, "--first") == 0) ok = herd_arg_u64(cmd, s, v, 0, UINT32_MAX, &a->first);
        else if (strcmp(s, "--count") == 0) ok = herd_arg_u64(cmd, s, v, 1, UINT32_MAX, &a->count);
        else if (strcmp(s, "--retry-after-ms") == 0) ok = herd_arg_u64(cmd, s, v, 0, UINT32_MAX, &a->retry_after_ms);
        else { fprintf(stderr, "herd %s: unknown option '%s'\n", cmd, s); return HERD_EXIT_USAGE; }
        if (!ok) return HERD_EXIT_USAGE;
    }
    if (!a->scenario || !a->trace || !a->port) {
        fprintf(stderr, "herd %s: needs SCENARIO, --port and --trace (started by herd live)\n", cmd);
        return HERD_EXIT_USAGE;
    }
    return 0;
}

#ifdef HERD_HAVE_LIVE
static int load(const char *cmd, const role_args *a, herd_scenario *sc, herd_live_config *cfg)
{
    char err[1024];
    int rc = herd_scenario_load(sc, a->scenario, a->sets, a->nsets, err, sizeof err);
    if (rc) { fprintf(stderr, "herd %s: %s\n", cmd, err); return rc; }
    herd_live_plan plan;
    rc = herd_live_judge(sc, &plan, err, sizeof err);
    if (rc) { fprintf(stderr, "herd %s: %s\n", cmd, err); herd_scenario_free(sc); return rc; }
    herd_live_config_of(sc, a->seed, cfg);
    return 0;
}
#endif

int herd_cmd_live_server(int argc, char **argv)
{
    role_args a;
    int rc = parse("live-server", argc, argv, &a);
    if (rc) return rc;
#ifdef HERD_HAVE_LIVE
    herd_scenario sc;
    static herd_live_config cfg;
    if ((rc = load("live-server", &a, &sc, &cfg))) return rc;
    if (a.id >= cfg.servers || !a.redis_port) {
        fprintf(stderr, "herd live-server: --id below world.servers and --redis-port are needed\n");
        herd_scenario_free(&sc);
        return HERD_EXIT_USAGE;
    }
    herd_live_drain drain = {(uint16_t)a.drain_code, (uint32_t)a.retry_after_ms, a.drain_us};
    rc = herd_live_server_run(&cfg, (uint32_t)a.id, (int)a.port, (int)a.redis_port, a.trace, a.crash_us,
                              a.crash_before_record != 0, &drain);
    herd_scenario_free(&sc);
    return rc;
#else
    fprintf(stderr, "herd live-server: this herd was built without live support (libwebsockets, hiredis)\n");
    return HERD_EXIT_SOFTWARE;
#endif
}

int herd_cmd_live_clients(int argc, char **argv)
{
    role_args a;
    int rc = parse("live-clients", argc, argv, &a);
    if (rc) return rc;
#ifdef HERD_HAVE_LIVE
    herd_scenario sc;
    static herd_live_config cfg;
    if ((rc = load("live-clients", &a, &sc, &cfg))) return rc;
    herd_live_offline *off = NULL;
    uint32_t noff = 0;
    if (herd_live_offline_of(&sc, a.seed, &off, &noff) != 0) {
        fprintf(stderr, "herd live-clients: the offline periods do not fit (at most %u)\n", HERD_LIVE_OFFLINE_MAX);
        herd_scenario_free(&sc);
        return HERD_EXIT_DATAERR;
    }
    cfg.offline = off;
    cfg.offline_count = noff;
    uint64_t count = a.count ? a.count : cfg.clients;
    if (a.first + count > cfg.clients) {
        fprintf(stderr, "herd live-clients: --first %" PRIu64 " --count %" PRIu64 " goes past the scenario's %" PRIu32
                " clients\n", a.first, count, (uint32_t)cfg.clients);
        free(off);
        herd_scenario_free(&sc);
        return HERD_EXIT_USAGE;
    }
    rc = herd_live_clients_run(&cfg, (uint32_t)a.first, (uint32_t)count, (int)a.port, a.t0_us, a.trace);
    free(off);
    herd_scenario_free(&sc);
    return rc;
#else
    fprintf(stderr, "herd live-clients: this herd was built without live support (libwebsockets, hiredis)\n");
    return HERD_EXIT_SOFTWARE;
#endif
}

int herd_cmd_live_relay(int argc, char **argv)
{
    role_args a;
    int rc = parse("live-relay", argc, argv, &a);
    if (rc) return rc;
#ifdef HERD_HAVE_LIVE
    int listen[HERD_LIVE_SERVERS_MAX], to[HERD_LIVE_SERVERS_MAX];
    uint32_t n = 0;
    const char *p = a.relay_ports;
    while (p && *p && n < HERD_LIVE_SERVERS_MAX) {
        char *end;
        long l = strtol(p, &end, 10);
        if (*end != ':') break;
        long t = strtol(end + 1, &end, 10);
        if (l < 1 || l > 65535 || t < 1 || t > 65535 || (*end != ',' && *end != 0)) break;
        listen[n] = (int)l;
        to[n++] = (int)t;
        p = *end ? end + 1 : end;
    }
    if (!p || *p || n == 0) {
        fprintf(stderr, "herd live-relay: --relay-ports L0:S0,L1:S1,... (ports 1..65535) is needed\n");
        return HERD_EXIT_USAGE;
    }
    herd_scenario sc;
    static herd_live_config cfg;
    if ((rc = load("live-relay", &a, &sc, &cfg))) return rc;
    static herd_relay_config rcfg;
    herd_live_relay_of(&sc, a.seed, a.t0_us, &rcfg);
    rc = herd_live_relay_run(&rcfg, listen, to, n, a.trace);
    herd_scenario_free(&sc);
    return rc;
#else
    fprintf(stderr, "herd live-relay: this herd was built without live support (libwebsockets, hiredis)\n");
    return HERD_EXIT_SOFTWARE;
#endif
}
