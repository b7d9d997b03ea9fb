/* cmd_live.c — `herd live SCENARIO [--seed N] [--set key=value ...] [--out DIR] [--json]
 * [--crash-point kill|after-append]`: run a scenario on real processes on loopback and
 * judge it with the simulator's oracle (docs/live.md).
 *
 * The orchestrator: judge what of the scenario live can honour (live_config.h); start
 * redis-server (own port, own directory under DIR, the scenario's durability), the
 * servers (`herd live-server`), HAProxy (haproxy.cfg from lb:), then the client process
 * (`herd live-clients`); play the faults at their wall times (crash: SIGKILL the servers,
 * restart after the duration; store_crash: SIGKILL redis-server, restart after the
 * duration, under its AOF mode; graceful_restart and rolling_deploy: drains; lb_restart:
 * SIGKILL of HAProxy, restart after the duration; network latency/loss, partition and
 * net_burst: played by the relay, live/relay.h, started before HAProxy when needed); when
 * the clients' process ends (it stops by itself at
 * run.duration), stop the servers and HAProxy, merge the processes' records into
 * DIR/trace.jsonl, run the oracle and the final check of Redis (live_check.h), stop
 * Redis, report. Every process is in the run's process group with a parent-death signal
 * (live/procs.h); the table of children is killed and reaped on every way out: the end,
 * a failure, SIGINT and SIGTERM. Every wait is bounded (a start-up wait of
 * START_WAIT_MS per process, the run by duration + END_SLACK_MS).
 *
 * --crash-point after-append: a crash fault does not strike at its time but at the first
 * append a crashing server makes at or after it, between the Redis write and the ACK
 * (the server kills itself): the point that makes a client resend a stored message, so
 * dedup_none's duplicate appears every time instead of by luck. */
#define _GNU_SOURCE
#include "cli.h"
#include "exitcode.h"
#include "live_check.h"
#include "live_config.h"

#include "args.h"
#include "atomic_file.h"
#include "json.h"
#include "outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HERD_HAVE_LIVE
#include "haproxy.h"
#include "lbstat.h"
#include "procs.h"
#include "trace_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#endif

#define LIVE_SETS_MAX 64
#define START_WAIT_MS 5000u
#define END_SLACK_MS 30000u
#define LIVE_PATH_MAX 4096

typedef struct live_args {
    const char *scenario, *out_dir;
    const char *sets[LIVE_SETS_MAX];
    size_t nsets;
    uint64_t seed;
    bool seed_set, json, after_append;
    bool before_record; /* --crash-point before-record: after-append, before its trace record */
    uint64_t client_procs; /* --client-procs; 0: one per LIVE_CLIENTS_PER_PROC clients */
} live_args;

/* The client processes: one libwebsockets loop holds about this many connections before
 * its own per-connection costs (a sorted timeout list, poll over every descriptor) make
 * it, not the system under test, the bottleneck (docs/fidelity.md); at most
 * LIVE_CLIENT_PROCS_MAX processes. */
#define LIVE_CLIENTS_PER_PROC 1250u
#define LIVE_CLIENT_PROCS_MAX 8u

static const char *const live_flags[] = {"--seed", "--set", "--out", "--json", "--crash-point", "--client-procs",
                                         "--help", "-h", NULL};

static void help(FILE *f)
{
    fprintf(f,
            "usage: herd live SCENARIO [--seed N] [--set key=value ...] [--out DIR] [--json]\n"
            "                          [--crash-point kill|after-append|before-record] [--client-procs N]\n"
            "\n"
            "Run a scenario on real processes on this machine, all on loopback: redis-server,\n"
            "world.servers herd servers (WebSocket through libwebsockets), HAProxy in front, and\n"
            "client processes holding the clients' connections, each driven by the same core machines\n"
            "as `herd run`. Faults are played at their wall times: crash, store_crash, graceful_restart,\n"
            "rolling_deploy, lb_restart; network latency, loss, partition and net_burst through a\n"
            "fault-injecting relay between HAProxy and the servers (herd live-relay).\n"
            "The processes' records are merged into DIR/trace.jsonl and judged by the simulator's\n"
            "oracle, then Redis's streams are read whole (every ACKed id present, none twice).\n"
            "Scenario values live cannot honour are refused, naming the key; the ones it\n"
            "approximates are listed on stderr (docs/live.md). Needs redis-server and haproxy.\n"
            "\n"
            "options:\n"
            "  --seed N               the seed of the clients' backoff and workload draws (default:\n"
            "                         the scenario's run.seed); a live run is not reproducible\n"
            "  --set key=value        override one scenario value, as for herd run; repeatable\n"
            "  --out DIR              the run directory (created): per-process records, trace.jsonl,\n"
            "                         metrics.csv, lb.csv (HAProxy and the accept queues every 100 ms),\n"
            "                         costs.json, haproxy.cfg, the logs, redis/ (docs/live.md;\n"
            "                         default: a new /tmp/herd-live-*)\n"
            "  --json                 print the report as one JSON object (herd run's keys)\n"
            "  --crash-point kill|after-append|before-record\n"
            "                         kill (default): a crash fault SIGKILLs its servers at its time;\n"
            "                         after-append: each crashing server kills itself at its first\n"
            "                         append at or after that time, before the ACK\n"
            "                         before-record: as after-append, and before the server writes\n"
            "                         the append's trace record (the judge must still hold it)\n"
            "  --client-procs N       client processes, 1..8, each holding an equal share of the\n"
            "                         clients (default: one per 1 250 clients, at least 1, at most 8)\n"
            "  -h, --help             print this help and exit 0\n"
            "\n"
            "exit status:\n"
            "  0   every expectation met\n"
            "  1   an expectation not met\n"
            "  64  bad command line\n"
            "  65  invalid scenario, or a value live cannot honour (the message names the key)\n"
            "  70  internal error, interrupted, or built without live support\n"
            "  74  I/O error, or a process (redis-server, haproxy, a server) did not start\n"
            "\n"
            "examples:\n"
            "  herd live traces/live/crash-small.yaml --out /tmp/live1\n"
            "  herd live traces/live/crash-small.yaml --set protocol=dedup_none --crash-point after-append\n");
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "herd live: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: herd live SCENARIO [--seed N] [--set key=value ...] [--out DIR] [--json]\n"
                    "'herd live --help' explains each flag.\n");
    return HERD_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, live_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) { help(stdout); return -1; }
        if (strcmp(s, "--json") == 0) { a->json = true; continue; }
        if (s[0] != '-') {
            if (a->scenario) return bad_usage("one scenario only ('%s' and '%s')", a->scenario, s);
            a->scenario = s;
            continue;
        }
        bool known = false;
        for (const char *const *f = live_flags; *f; f++) known = known || strcmp(*f, s) == 0;
        if (!known) return herd_cli_unknown_option("live", s, live_flags);
        if (i + 1 >= argc) return bad_usage("%s needs a value", s);
        const char *v = argv[++i];
        if (strcmp(s, "--seed") == 0) {
            if (!herd_arg_u64("live", s, v, 0, UINT64_MAX, &a->seed)) return HERD_EXIT_USAGE;
            a->seed_set = true;
        } else if (strcmp(s, "--set") == 0) {
            if (a->nsets == LIVE_SETS_MAX) return bad_usage("at most %d --set", LIVE_SETS_MAX);
            a->sets[a->nsets++] = v;
        } else if (strcmp(s, "--out") == 0) {
            a->out_dir = v;
        } else if (strcmp(s, "--crash-point") == 0) {
            if (strcmp(v, "kill") == 0) a->after_append = false;
            else if (strcmp(v, "after-append") == 0) a->after_append = true;
            else if (strcmp(v, "before-record") == 0) a->after_append = a->before_record = true;
            else return bad_usage("--crash-point is kill, after-append or before-record, got '%s'", v);
        } else if (strcmp(s, "--client-procs") == 0) {
            if (!herd_arg_u64("live", s, v, 1, LIVE_CLIENT_PROCS_MAX, &a->client_procs)) return HERD_EXIT_USAGE;
        }
    }
    if (!a->scenario) return bad_usage("a SCENARIO file is needed");
    return 0;
}

#ifdef HERD_HAVE_LIVE

static volatile sig_atomic_t g_interrupted;
static herd_procs g_procs; /* every child of the run: killed on every way out */

static void on_signal(int sig)
{
    g_interrupted = sig;
}

static void cleanup_at_exit(void)
{
    herd_procs_kill_all(&g_procs, 500);
}

typedef struct run {
    const live_args *a;
    const herd_scenario *sc;
    herd_live_plan plan;
    uint64_t seed;
    char dir[LIVE_PATH_MAX - 128]; /* room for "/name" in every path built from it */
    char self[LIVE_PATH_MAX];
    char seed_s[24];
    int redis_port, lb_port;
    int server_ports[16];
    int redis_idx, lb_idx, relay_idx;
    int clients_idx[LIVE_CLIENT_PROCS_MAX];
    uint32_t client_procs;
    int relay_ports[16];     /* the relay's port per server (live/relay.h), when plan.relay */
    herd_time lb_restart_at; /* monotonic µs; 0: none pending (lb_restart) */
    uint8_t drain_kind[16];  /* HERD_FAULT_GRACEFUL or HERD_FAULT_ROLLING while draining */
    int server_idx[16];
    herd_time server_restart_at[16]; /* monotonic µs; 0: none pending */
    herd_time redis_restart_at;
    herd_time t0;
    herd_time last_heal_rel;
    herd_time fault_start[64], fault_end[64]; /* relative to t0, as they happened; 0: not yet */
    bool draining[16];       /* a graceful stop was asked of this server */
    bool rolled[64][16];     /* rolling_deploy i has drained server s */
    char lb_sock[108];       /* HAProxy's admin socket ("" when DIR is too long for one) */
    FILE *trace;
    FILE *lbcsv;             /* DIR/lb.csv, a row every LB_SAMPLE_MS (sample_lb) */
    herd_time next_sample;   /* monotonic µs of the next row */
    uint64_t overflows0, drops0; /* the kernel's listen counters at the first row */
    bool drops_ok;
} run;

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

/* Wait until 127.0.0.1:port accepts a connection, or the child idx died, or wait_ms. */
static bool wait_port(int port, int idx, uint32_t wait_ms)
{
    for (uint32_t waited = 0; waited <= wait_ms; waited += 20) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
        if (s >= 0) close(s);
        if (ok) return true;
        herd_procs_reap(&g_procs);
        if (idx >= 0 && !g_procs.p[idx].alive) return false;
        if (g_interrupted) return false;
        sleep_ms(20);
    }
    return false;
}

static void orch_rec(run *R, const char *actor, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void orch_rec(run *R, const char *actor, const char *fmt, ...)
{
    herd_trace_rec r;
    herd_live_trace_init(&r, HERD_TRACE_STEP, actor, "fault", herd_live_now_us());
    r.has |= HERD_TF_TEXT;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.text, sizeof r.text, fmt, ap);
    va_end(ap);
    herd_live_trace_write(R->trace, &r);
}

static void path_in(const run *R, char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", R->dir, name);
}

static int start_redis(run *R)
{
    char dir[LIVE_PATH_MAX], log[LIVE_PATH_MAX], port[16];
    path_in(R, dir, sizeof dir, "redis");
    path_in(R, log, sizeof log, "redis.log");
    snprintf(port, sizeof port, "%d", R->redis_port);
    int d = R->sc->world.store.durability;
    char *argv[] = {"redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "",
                    "--appendonly", d == HERD_DURABLE_NONE ? "no" : "yes",
                    "--appendfsync", d == HERD_DURABLE_AOF_ALWAYS ? "always" : "everysec",
                    "--daemonize", "no", "--protected-mode", "yes", NULL};
    R->redis_idx = herd_procs_spawn(&g_procs, "redis-server", argv, log);
    if (R->redis_idx < 0 || !wait_port(R->redis_port, R->redis_idx, START_WAIT_MS)) {
        fprintf(stderr, "herd live: redis-server did not start (see %s; Debian package redis-server)\n", log);
        return HERD_EXIT_IOERR;
    }
    orch_rec(R, "store", "redis-server up on port %d (%s)", R->redis_port, herd_durability_name(d));
    return 0;
}

static void role_common(const run *R, char **argv, int *n)
{
    argv[(*n)++] = (char *)R->self;
    argv[(*n)++] = NULL; /* role, filled by the caller */
    argv[(*n)++] = (char *)R->a->scenario;
    argv[(*n)++] = "--seed";
    argv[(*n)++] = (char *)R->seed_s;
    for (size_t i = 0; i < R->a->nsets; i++) {
        argv[(*n)++] = "--set";
        argv[(*n)++] = (char *)R->a->sets[i];
    }
}

static int start_server(run *R, uint32_t s, bool first_start)
{
    char *argv[LIVE_SETS_MAX * 2 + 32];
    int n = 0;
    role_common(R, argv, &n);
    argv[1] = "live-server";
    char id[8], port[16], rport[16], trace[LIVE_PATH_MAX], log[LIVE_PATH_MAX], crash[24], name[32];
    snprintf(id, sizeof id, "%" PRIu32, s);
    snprintf(port, sizeof port, "%d", R->server_ports[s]);
    snprintf(rport, sizeof rport, "%d", R->redis_port);
    snprintf(name, sizeof name, "proc-server-%" PRIu32 ".jsonl", s);
    path_in(R, trace, sizeof trace, name);
    snprintf(name, sizeof name, "server-%" PRIu32 ".log", s);
    path_in(R, log, sizeof log, name);
    argv[n++] = "--id"; argv[n++] = id;
    argv[n++] = "--port"; argv[n++] = port;
    argv[n++] = "--redis-port"; argv[n++] = rport;
    argv[n++] = "--trace"; argv[n++] = trace;
    herd_time crash_at = 0;
    if (first_start && R->a->after_append) {
        for (uint32_t i = 0; i < R->sc->world.fault_count; i++) {
            const herd_fault *f = &R->sc->world.faults[i];
            uint32_t count = f->count ? f->count : R->sc->world.servers;
            if (f->kind == HERD_FAULT_CRASH && s >= f->first && s < f->first + count && !crash_at)
                crash_at = R->t0 + f->at_us;
        }
    }
    if (crash_at) {
        snprintf(crash, sizeof crash, "%" PRIu64, crash_at);
        argv[n++] = "--crash-after-append-us";
        argv[n++] = crash;
        if (R->a->before_record) { argv[n++] = "--crash-before-record"; argv[n++] = "1"; }
    }
    char dcode[8], dus[24], dhint[16];
    for (uint32_t i = 0; i < R->sc->world.fault_count; i++) {
        const herd_fault *f = &R->sc->world.faults[i];
        uint32_t count = f->count ? f->count : R->sc->world.servers;
        if ((f->kind != HERD_FAULT_GRACEFUL && f->kind != HERD_FAULT_ROLLING) || s < f->first || s >= f->first + count)
            continue;
        snprintf(dcode, sizeof dcode, "%u", (unsigned)f->code);
        snprintf(dus, sizeof dus, "%" PRIu64, f->drain_us);
        snprintf(dhint, sizeof dhint, "%" PRIu32, f->retry_after_ms);
        argv[n++] = "--drain-code"; argv[n++] = dcode;
        argv[n++] = "--drain-us"; argv[n++] = dus;
        argv[n++] = "--retry-after-ms"; argv[n++] = dhint;
        break;
    }
    argv[n] = NULL;
    snprintf(name, sizeof name, "server-%" PRIu32, s);
    R->server_idx[s] = herd_procs_spawn(&g_procs, name, argv, log);
    if (R->server_idx[s] < 0 || !wait_port(R->server_ports[s], R->server_idx[s], START_WAIT_MS)) {
        fprintf(stderr, "herd live: server %" PRIu32 " did not start (see %s)\n", s, log);
        return HERD_EXIT_IOERR;
    }
    return 0;
}

static int start_lb(run *R)
{
    char cfg[LIVE_PATH_MAX], log[LIVE_PATH_MAX];
    path_in(R, cfg, sizeof cfg, "haproxy.cfg");
    path_in(R, log, sizeof log, "haproxy.log");
    const herd_world_config *w = &R->sc->world;
    if ((size_t)snprintf(R->lb_sock, sizeof R->lb_sock, "%s/haproxy.sock", R->dir) >= sizeof R->lb_sock)
        snprintf(R->lb_sock, sizeof R->lb_sock, "/tmp/herd-live-%d.sock", (int)getpid());
    int rc = herd_live_haproxy_write(cfg, R->lb_port, R->plan.relay ? R->relay_ports : R->server_ports,
                                     R->server_ports, w->servers, w->lb_policy, w->health_lag_us,
                                     w->clients + 1000u, w->lb_rate_per_s, R->lb_sock);
    if (rc != 0) {
        fprintf(stderr, "herd live: cannot write %s: %s\n", cfg, strerror(-rc));
        return HERD_EXIT_IOERR;
    }
    char *argv[] = {"haproxy", "-f", cfg, "-db", NULL};
    R->lb_idx = herd_procs_spawn(&g_procs, "haproxy", argv, log);
    if (R->lb_idx < 0 || !wait_port(R->lb_port, R->lb_idx, START_WAIT_MS)) {
        fprintf(stderr, "herd live: haproxy did not start (see %s; Debian package haproxy)\n", log);
        return HERD_EXIT_IOERR;
    }
    orch_rec(R, "lb", "haproxy up on port %d, balance %s", R->lb_port, herd_live_haproxy_balance(w->lb_policy));
    return 0;
}

/* The fault-injecting relay (live/relay.h) between HAProxy and the servers: it reloads
 * the scenario and plays its own schedule (latency, loss, partition and net_burst windows
 * from t0), so nothing needs telling at the fault times. */
static int start_relay(run *R)
{
    char *argv[LIVE_SETS_MAX * 2 + 32];
    int n = 0;
    role_common(R, argv, &n);
    argv[1] = "live-relay";
    char port[16], t0[24], trace[LIVE_PATH_MAX], log[LIVE_PATH_MAX], ports[16 * 14];
    size_t used = 0;
    for (uint32_t s = 0; s < R->sc->world.servers; s++)
        used += (size_t)snprintf(ports + used, sizeof ports - used, "%s%d:%d", s ? "," : "", R->relay_ports[s],
                                 R->server_ports[s]);
    snprintf(port, sizeof port, "%d", R->relay_ports[0]);
    snprintf(t0, sizeof t0, "%" PRIu64, R->t0);
    path_in(R, trace, sizeof trace, "proc-relay.jsonl");
    path_in(R, log, sizeof log, "relay.log");
    argv[n++] = "--port"; argv[n++] = port;
    argv[n++] = "--t0-us"; argv[n++] = t0;
    argv[n++] = "--trace"; argv[n++] = trace;
    argv[n++] = "--relay-ports"; argv[n++] = ports;
    argv[n] = NULL;
    R->relay_idx = herd_procs_spawn(&g_procs, "relay", argv, log);
    if (R->relay_idx < 0 || !wait_port(R->relay_ports[0], R->relay_idx, START_WAIT_MS)) {
        fprintf(stderr, "herd live: the relay did not start (see %s)\n", log);
        return HERD_EXIT_IOERR;
    }
    orch_rec(R, "world", "relay up in front of %" PRIu32 " servers", R->sc->world.servers);
    return 0;
}

/* Client process k of R->client_procs holds clients [k * n / procs, (k + 1) * n / procs);
 * process 0 writes proc-clients.jsonl and clients.log, process k > 0 proc-clients-k.jsonl
 * and clients-k.log (the judge merges every proc-*.jsonl). */
static int start_clients(run *R)
{
    uint32_t n_clients = R->sc->world.clients, procs = R->client_procs;
    for (uint32_t k = 0; k < procs; k++) {
        char *argv[LIVE_SETS_MAX * 2 + 32];
        int n = 0;
        role_common(R, argv, &n);
        argv[1] = "live-clients";
        char port[16], t0[24], trace[LIVE_PATH_MAX], log[LIVE_PATH_MAX], name[32], first[16], count[16];
        uint32_t lo = (uint32_t)((uint64_t)k * n_clients / procs), hi = (uint32_t)((uint64_t)(k + 1) * n_clients / procs);
        snprintf(port, sizeof port, "%d", R->lb_port);
        snprintf(t0, sizeof t0, "%" PRIu64, R->t0);
        snprintf(first, sizeof first, "%" PRIu32, lo);
        snprintf(count, sizeof count, "%" PRIu32, hi - lo);
        if (k == 0) {
            snprintf(name, sizeof name, "clients");
            path_in(R, trace, sizeof trace, "proc-clients.jsonl");
            path_in(R, log, sizeof log, "clients.log");
        } else {
            char f[48];
            snprintf(name, sizeof name, "clients-%" PRIu32, k);
            snprintf(f, sizeof f, "proc-clients-%" PRIu32 ".jsonl", k);
            path_in(R, trace, sizeof trace, f);
            snprintf(f, sizeof f, "clients-%" PRIu32 ".log", k);
            path_in(R, log, sizeof log, f);
        }
        argv[n++] = "--port"; argv[n++] = port;
        argv[n++] = "--t0-us"; argv[n++] = t0;
        argv[n++] = "--trace"; argv[n++] = trace;
        argv[n++] = "--first"; argv[n++] = first;
        argv[n++] = "--count"; argv[n++] = count;
        argv[n] = NULL;
        R->clients_idx[k] = herd_procs_spawn(&g_procs, name, argv, log);
        if (R->clients_idx[k] < 0) {
            fprintf(stderr, "herd live: cannot start client process %" PRIu32 ": %s\n", k, strerror(errno));
            return HERD_EXIT_IOERR;
        }
    }
    return 0;
}

/* The servers of a crash fault: [first, first + count), count 0 meaning all. */
static bool in_fault(const run *R, const herd_fault *f, uint32_t s)
{
    uint32_t count = f->count ? f->count : R->sc->world.servers;
    return s >= f->first && s < f->first + count;
}

static herd_time down_for(const run *R, uint32_t s, int kind)
{
    herd_time d = 0;
    for (uint32_t i = 0; i < R->sc->world.fault_count; i++) {
        const herd_fault *f = &R->sc->world.faults[i];
        if (f->kind == kind && in_fault(R, f, s)) d = f->duration_us;
    }
    return d;
}

static void lb_state(run *R, uint32_t s, const char *state)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "set server herd_servers/s%" PRIu32 " state %s", s, state);
    int rc = herd_live_haproxy_command(R->lb_sock, cmd);
    if (rc) fprintf(stderr, "herd live: haproxy '%s': %s (its health check decides)\n", cmd, strerror(-rc));
}

/* Take server s out of HAProxy at once and start its drain (graceful_restart, and each
 * server's turn of a rolling_deploy). */
static void drain_server(run *R, uint32_t s, uint8_t kind)
{
    lb_state(R, s, "maint");
    R->draining[s] = true;
    R->drain_kind[s] = kind;
    herd_procs_signal(&g_procs, R->server_idx[s], SIGUSR1);
}

static void strike(run *R, const herd_fault *f, herd_time now)
{
    if (f->kind == HERD_FAULT_ROLLING) return; /* play() drains one server at a time */
    if (f->kind == HERD_FAULT_PARTITION || f->kind == HERD_FAULT_NET_BURST || f->kind == HERD_FAULT_OFFLINE ||
        f->kind == HERD_FAULT_CHURN) {
        orch_rec(R, "world", "%s begins (played by the %s)", herd_fault_kind_name(f->kind),
                 f->kind == HERD_FAULT_OFFLINE || f->kind == HERD_FAULT_CHURN ? "client process" : "relay");
        return;
    }
    if (f->kind == HERD_FAULT_LB_RESTART) { /* every connection through HAProxy drops with it */
        herd_procs_signal(&g_procs, R->lb_idx, SIGKILL);
        herd_procs_wait(&g_procs, R->lb_idx, 2000);
        orch_rec(R, "lb", "lb restart: haproxy SIGKILLed");
        R->lb_restart_at = herd_time_add(now, f->duration_us ? f->duration_us : 1);
        return;
    }
    if (f->kind == HERD_FAULT_STORE_CRASH) {
        herd_procs_signal(&g_procs, R->redis_idx, SIGKILL);
        herd_procs_wait(&g_procs, R->redis_idx, 2000);
        orch_rec(R, "store", "store crash: redis-server SIGKILLed (%s)", herd_durability_name(R->sc->world.store.durability));
        R->redis_restart_at = herd_time_add(now, f->duration_us ? f->duration_us : 1);
        return;
    }
    for (uint32_t s = 0; s < R->sc->world.servers; s++) {
        if (!in_fault(R, f, s)) continue;
        if (f->kind == HERD_FAULT_GRACEFUL) { /* out of the LB at once, then drain */
            drain_server(R, s, HERD_FAULT_GRACEFUL);
            continue;
        }
        if (R->a->after_append) {
            /* it dies by itself at its next append; if none comes, killed at the heal */
            R->server_restart_at[s] = 0;
            continue;
        }
        herd_procs_signal(&g_procs, R->server_idx[s], SIGKILL);
        herd_procs_wait(&g_procs, R->server_idx[s], 2000);
    }
}

/* Servers found dead: schedule their restart after their crash fault's duration. */
static void watch_servers(run *R, herd_time now)
{
    herd_procs_reap(&g_procs);
    for (uint32_t s = 0; s < R->sc->world.servers; s++) {
        if (g_procs.p[R->server_idx[s]].alive || R->server_restart_at[s]) continue;
        if (R->draining[s]) {
            orch_rec(R, "world", "server %" PRIu32 " stopped after its drain (%s)", s, herd_fault_kind_name(R->drain_kind[s]));
            herd_time d = down_for(R, s, R->drain_kind[s]);
            R->server_restart_at[s] = herd_time_add(now, d ? d : 1);
            continue;
        }
        orch_rec(R, "world", "server %" PRIu32 " crashed (%s)", s,
                 R->a->after_append ? "killed itself after an append, before the ACK" : "SIGKILL");
        R->server_restart_at[s] = herd_time_add(now, down_for(R, s, HERD_FAULT_CRASH) ? down_for(R, s, HERD_FAULT_CRASH) : 1);
    }
}

/* A struck fault of this kind (and holding server s) is healed now: its band ends. */
static void healed(run *R, int kind, uint32_t s)
{
    for (uint32_t i = 0; i < R->sc->world.fault_count && i < 64; i++) {
        const herd_fault *f = &R->sc->world.faults[i];
        if (f->kind != kind || !R->fault_start[i] || R->fault_end[i]) continue;
        if (kind != HERD_FAULT_STORE_CRASH && kind != HERD_FAULT_LB_RESTART && !in_fault(R, f, s)) continue;
        if (kind == HERD_FAULT_ROLLING) { /* its band ends with its last server's return */
            bool more = false;
            for (uint32_t o = 0; o < R->sc->world.servers; o++)
                more = more || (o != s && in_fault(R, f, o) && (R->draining[o] || R->server_restart_at[o] ||
                                                                 !R->rolled[i][o]));
            if (more) continue;
        }
        R->fault_end[i] = R->last_heal_rel;
    }
}

static int restart_due(run *R, herd_time now)
{
    for (uint32_t s = 0; s < R->sc->world.servers; s++) {
        if (!R->server_restart_at[s] || now < R->server_restart_at[s]) continue;
        R->server_restart_at[s] = 0;
        int rc = start_server(R, s, false);
        if (rc) return rc;
        orch_rec(R, "world", "server %" PRIu32 " restarted", s);
        R->last_heal_rel = herd_live_now_us() - R->t0;
        healed(R, R->draining[s] ? R->drain_kind[s] : HERD_FAULT_CRASH, s);
        if (R->draining[s]) lb_state(R, s, "ready");
        R->draining[s] = false;
    }
    if (R->lb_restart_at && now >= R->lb_restart_at) {
        R->lb_restart_at = 0;
        int rc = start_lb(R);
        if (rc) return rc;
        R->last_heal_rel = herd_live_now_us() - R->t0;
        healed(R, HERD_FAULT_LB_RESTART, 0);
    }
    if (R->redis_restart_at && now >= R->redis_restart_at) {
        R->redis_restart_at = 0;
        int rc = start_redis(R);
        if (rc) return rc;
        R->last_heal_rel = herd_live_now_us() - R->t0;
        healed(R, HERD_FAULT_STORE_CRASH, 0);
    }
    return 0;
}

/* DIR/lb.csv: every LB_SAMPLE_MS from t0, what HAProxy holds and refuses and what the
 * kernel queues at each listener (live/lbstat.h), so a live run shows its LB and accept
 * path as the simulator's metrics do. An empty field: not readable at that moment
 * (HAProxy down for an lb_restart); a crashed server's listener is simply not counted
 * in servers_listening. One row costs a `show stat`, two sock_diag dumps of the
 * listeners and a read of /proc/net/netstat: about 0.1 ms of CPU (docs/live.md). */
#define LB_SAMPLE_MS 100u

static void lb_field(FILE *f, int ok, uint64_t v)
{
    if (ok == 0) fprintf(f, ",%" PRIu64, v);
    else fputc(',', f);
}

static void sample_lb(run *R, herd_time now)
{
    if (!R->next_sample) R->next_sample = R->t0; /* rows on a grid from time 0 */
    if (!R->lbcsv || now < R->next_sample) return;
    R->next_sample += LB_SAMPLE_MS * 1000u;
    if (R->next_sample <= now) R->next_sample = now + LB_SAMPLE_MS * 1000u; /* late: no burst of rows */
    herd_lb_stat st;
    int ok = R->lb_sock[0] ? herd_live_lb_stat(R->lb_sock, &st) : -ENOENT;
    int ports[17];
    int64_t depth[17];
    uint32_t ns = R->sc->world.servers < 16 ? (uint32_t)R->sc->world.servers : 16u, smax = 0, ssum = 0, listening = 0;
    ports[0] = R->lb_port;
    for (uint32_t s = 0; s < ns; s++) ports[1 + s] = R->server_ports[s];
    int lq = herd_live_listen_queues(ports, 1u + ns, depth);
    for (uint32_t s = 0; lq == 0 && s < ns; s++) {
        if (depth[1 + s] < 0) continue;
        listening++;
        ssum += (uint32_t)depth[1 + s];
        if ((uint32_t)depth[1 + s] > smax) smax = (uint32_t)depth[1 + s];
    }
    uint64_t ovf = 0, drops = 0;
    int dk = herd_live_listen_drops(&ovf, &drops);
    if (dk == 0 && !R->drops_ok) { R->drops_ok = true; R->overflows0 = ovf; R->drops0 = drops; }
    FILE *f = R->lbcsv;
    int64_t t = (int64_t)now - (int64_t)R->t0;
    fprintf(f, "%.3f", (double)t / 1e6);
    lb_field(f, ok, st.sessions);
    lb_field(f, ok, st.sessions_total);
    lb_field(f, ok, st.denied);
    lb_field(f, ok, st.conn_errors);
    lb_field(f, ok, st.queued);
    lb_field(f, ok, st.servers_up);
    lb_field(f, lq == 0 && depth[0] >= 0 ? 0 : -1, (uint64_t)depth[0]);
    if (lq == 0) fprintf(f, ",%" PRIu32 ",%" PRIu32 ",%" PRIu32, listening, smax, ssum);
    else fputs(",,,", f);
    lb_field(f, dk == 0 && R->drops_ok ? 0 : -1, ovf - R->overflows0);
    lb_field(f, dk == 0 && R->drops_ok ? 0 : -1, drops - R->drops0);
    fputc('\n', f);
}

/* Until the client process ends (it stops itself at run.duration), bounded. */
static int play(run *R)
{
    const herd_world_config *w = &R->sc->world;
    bool struck[64] = {false};
    bool forced[64] = {false};
    herd_time hard_end = R->t0 + w->duration_us + END_SLACK_MS * 1000u;
    for (;;) {
        if (g_interrupted) return -1;
        herd_time now = herd_live_now_us();
        if (now > hard_end) {
            fprintf(stderr, "herd live: the client process did not end by run.duration + %u s: killed\n", END_SLACK_MS / 1000u);
            return HERD_EXIT_SOFTWARE;
        }
        for (uint32_t i = 0; i < w->fault_count && i < 64; i++) {
            const herd_fault *f = &w->faults[i];
            herd_time at = R->t0 + f->at_us;
            if (!struck[i] && now >= at) {
                struck[i] = true;
                R->fault_start[i] = now - R->t0;
                strike(R, f, now);
            }
            if (f->kind == HERD_FAULT_ROLLING && struck[i]) { /* one server at a time, interval apart */
                uint32_t k = 0;
                for (uint32_t s = 0; s < w->servers; s++) {
                    if (!in_fault(R, f, s)) continue;
                    herd_time turn = at + (herd_time)k++ * f->interval_us;
                    if (R->rolled[i][s] || now < turn) continue;
                    R->rolled[i][s] = true;
                    orch_rec(R, "world", "rolling deploy: server %" PRIu32 " drains", s);
                    drain_server(R, s, HERD_FAULT_ROLLING);
                }
            }
            /* the relay's windows and the clients' offline periods end by themselves: the band and the heal */
            if ((f->kind == HERD_FAULT_PARTITION || f->kind == HERD_FAULT_NET_BURST || f->kind == HERD_FAULT_OFFLINE ||
                 f->kind == HERD_FAULT_CHURN) && struck[i] && !R->fault_end[i] &&
                now >= at + f->duration_us) {
                R->last_heal_rel = now - R->t0;
                R->fault_end[i] = R->last_heal_rel;
                orch_rec(R, "world", "%s heals", herd_fault_kind_name(f->kind));
            }
            /* a draining server still up one second past its drain is killed */
            if (f->kind == HERD_FAULT_GRACEFUL && struck[i] && !forced[i] && now >= at + f->drain_us + HERD_US_PER_S) {
                forced[i] = true;
                for (uint32_t s = 0; s < w->servers; s++)
                    if (in_fault(R, f, s) && R->draining[s] && g_procs.p[R->server_idx[s]].alive) {
                        herd_procs_signal(&g_procs, R->server_idx[s], SIGKILL);
                        herd_procs_wait(&g_procs, R->server_idx[s], 2000);
                    }
            }
            /* after-append: a crashing server that made no append by the heal is killed */
            if (R->a->after_append && f->kind == HERD_FAULT_CRASH && struck[i] && !forced[i] &&
                now >= at + f->duration_us) {
                forced[i] = true;
                for (uint32_t s = 0; s < w->servers; s++)
                    if (in_fault(R, f, s) && g_procs.p[R->server_idx[s]].alive && !R->server_restart_at[s]) {
                        /* started with the crash point: only the first start carries it */
                        if (g_procs.p[R->server_idx[s]].pid && R->server_idx[s] < (int)(w->servers + 2u)) {
                            herd_procs_signal(&g_procs, R->server_idx[s], SIGKILL);
                            herd_procs_wait(&g_procs, R->server_idx[s], 2000);
                        }
                    }
            }
        }
        watch_servers(R, now);
        sample_lb(R, now);
        int rc = restart_due(R, now);
        if (rc) return rc;
        uint32_t clients_alive = 0;
        for (uint32_t k = 0; k < R->client_procs; k++) {
            const herd_proc *p = &g_procs.p[R->clients_idx[k]];
            if (p->alive) {
                clients_alive++;
            } else if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0) {
                fprintf(stderr, "herd live: client process %" PRIu32 " failed (see %s/%s.log)\n", k, R->dir, p->name);
                return HERD_EXIT_SOFTWARE;
            }
        }
        if (clients_alive == 0) return 0;
        if (!R->lb_restart_at && !g_procs.p[R->lb_idx].alive) {
            fprintf(stderr, "herd live: haproxy exited (see %s/haproxy.log)\n", R->dir);
            return HERD_EXIT_SOFTWARE;
        }
        sleep_ms(10);
    }
}

static int make_dir(run *R)
{
    if (R->a->out_dir) {
        if (strlen(R->a->out_dir) >= sizeof R->dir) {
            fprintf(stderr, "herd live: --out: a path of at most %zu characters\n", sizeof R->dir - 1);
            return HERD_EXIT_USAGE;
        }
        snprintf(R->dir, sizeof R->dir, "%s", R->a->out_dir);
        if (mkdir(R->dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "herd live: cannot create %s: %s\n", R->dir, strerror(errno));
            return HERD_EXIT_IOERR;
        }
    } else {
        snprintf(R->dir, sizeof R->dir, "/tmp/herd-live-XXXXXX");
        if (!mkdtemp(R->dir)) {
            fprintf(stderr, "herd live: cannot create a run directory: %s\n", strerror(errno));
            return HERD_EXIT_IOERR;
        }
    }
    char p[LIVE_PATH_MAX + 64];
    /* a run directory used before: its records would merge into this run's */
    static const char *const stale[] = {"proc-clients.jsonl", "proc-orchestrator.jsonl", "proc-relay.jsonl", "trace.jsonl", NULL};
    for (const char *const *s = stale; *s; s++) {
        snprintf(p, sizeof p, "%s/%s", R->dir, *s);
        unlink(p);
    }
    for (uint32_t s = 0; s < 16; s++) {
        snprintf(p, sizeof p, "%s/proc-server-%" PRIu32 ".jsonl", R->dir, s);
        unlink(p);
        snprintf(p, sizeof p, "%s/proc-clients-%" PRIu32 ".jsonl", R->dir, s);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/redis", R->dir);
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "herd live: cannot create %s: %s\n", p, strerror(errno));
        return HERD_EXIT_IOERR;
    }
    return 0;
}

static int prepare(run *R)
{
    ssize_t n = readlink("/proc/self/exe", R->self, sizeof R->self - 1);
    if (n <= 0) { fprintf(stderr, "herd live: cannot find its own executable\n"); return HERD_EXIT_SOFTWARE; }
    R->self[n] = 0;
    /* Thousands of connections; children inherit the limit. HAProxy holds two
     * descriptors per client and the client process one: ask for 4 per client and slack,
     * raising the hard limit too when allowed (root), else the hard limit it is. */
    struct rlimit rl;
    rlim_t want = (rlim_t)R->sc->world.clients * 4u + 4096u;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        struct rlimit up = {want, rl.rlim_max > want ? rl.rlim_max : want};
        if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    R->redis_port = free_port();
    R->lb_port = free_port();
    bool ok = R->redis_port > 0 && R->lb_port > 0;
    for (uint32_t s = 0; s < R->sc->world.servers; s++) ok = ok && (R->server_ports[s] = free_port()) > 0;
    for (uint32_t s = 0; R->plan.relay && s < R->sc->world.servers; s++) ok = ok && (R->relay_ports[s] = free_port()) > 0;
    if (!ok) { fprintf(stderr, "herd live: no free loopback port\n"); return HERD_EXIT_IOERR; }
    char p[LIVE_PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/proc-orchestrator.jsonl", R->dir);
    R->trace = herd_live_trace_open(p);
    if (!R->trace) { fprintf(stderr, "herd live: cannot write %s: %s\n", p, strerror(errno)); return HERD_EXIT_IOERR; }
    snprintf(p, sizeof p, "%s/lb.csv", R->dir);
    R->lbcsv = fopen(p, "w");
    if (!R->lbcsv) { fprintf(stderr, "herd live: cannot write %s: %s\n", p, strerror(errno)); return HERD_EXIT_IOERR; }
    fputs("t_s,lb_sessions,lb_accepted_total,lb_denied,lb_server_conn_errors,lb_queued,lb_servers_up,"
          "lb_accept_queue,servers_listening,server_accept_queue_max,server_accept_queue_sum,"
          "listen_overflows,listen_drops\n", R->lbcsv);
    return 0;
}

static int start_all(run *R)
{
    int rc = start_redis(R);
    /* time 0 of the run: late enough for the servers and HAProxy to be listening */
    R->t0 = herd_live_now_us() + 1000000u + 200000u * R->sc->world.servers;
    for (uint32_t s = 0; rc == 0 && s < R->sc->world.servers; s++) rc = start_server(R, s, true);
    if (rc == 0 && R->plan.relay) rc = start_relay(R);
    if (rc == 0) rc = start_lb(R);
    if (rc == 0) rc = start_clients(R);
    return rc;
}

static int finish(run *R, herd_report *rep)
{
    /* stop what serves the clients; Redis stays for the final check */
    for (uint32_t s = 0; s < R->sc->world.servers; s++) herd_procs_signal(&g_procs, R->server_idx[s], SIGTERM);
    herd_procs_signal(&g_procs, R->lb_idx, SIGTERM);
    if (R->relay_idx >= 0) herd_procs_signal(&g_procs, R->relay_idx, SIGTERM);
    for (uint32_t s = 0; s < R->sc->world.servers; s++) herd_procs_wait(&g_procs, R->server_idx[s], 2000);
    herd_procs_wait(&g_procs, R->lb_idx, 2000);
    if (R->redis_restart_at) { R->redis_restart_at = 0; if (start_redis(R)) return HERD_EXIT_IOERR; }
    fclose(R->trace);
    R->trace = NULL;
    herd_live_check_in in = {.dir = R->dir, .sc = R->sc, .scenario_path = R->a->scenario, .seed = R->seed,
                             .t0_us = R->t0, .last_heal_us = R->last_heal_rel, .redis_port = R->redis_port};
    char err[1024];
    int rc = herd_live_check(&in, rep, err, sizeof err);
    if (rc) fprintf(stderr, "herd live: %s\n", err);
    snprintf(rep->trace_hash, sizeof rep->trace_hash, "live");
    return rc;
}

static uint64_t self_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
           (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

/* CPU per process kind (wait4 of every reaped child) into the report and DIR/costs.json:
 * what a connection and a message cost each component on this machine. */
static void write_costs(const run *R, herd_report *rep)
{
    uint64_t srv = herd_procs_cpu_us(&g_procs, "server-"), cli = herd_procs_cpu_us(&g_procs, "clients");
    uint64_t lb = herd_procs_cpu_us(&g_procs, "haproxy"), rds = herd_procs_cpu_us(&g_procs, "redis-server");
    uint64_t rly = herd_procs_cpu_us(&g_procs, "relay");
    uint64_t self = self_cpu_us();
    rep->cpu_us = srv + cli + lb + rds + rly + self;
    char path[LIVE_PATH_MAX];
    path_in(R, path, sizeof path, "costs.json");
    FILE *f = fopen(path, "w");
    if (!f) return;
    uint64_t conns = rep->accepts ? rep->accepts : 1, msgs = rep->published ? rep->published : 1;
    fprintf(f, "{\"cpu_us\":{\"servers\":%" PRIu64 ",\"clients\":%" PRIu64 ",\"haproxy\":%" PRIu64
               ",\"redis\":%" PRIu64 ",\"relay\":%" PRIu64 ",\"orchestrator\":%" PRIu64 "},\"connections_opened\":%" PRIu64
               ",\"messages_published\":%" PRIu64 ",\"deliveries\":%" PRIu64
               ",\"servers_cpu_us_per_connection_and_its_messages\":%" PRIu64
               ",\"clients_cpu_us_per_connection\":%" PRIu64 ",\"redis_cpu_us_per_message\":%" PRIu64 "}\n",
            srv, cli, lb, rds, rly, self, rep->accepts, rep->published, rep->delivered, srv / conns, cli / conns, rds / msgs);
    fclose(f);
}

/* summary.json (the --json object) and faults.json (bands as they happened), so that
 * `herd render DIR` draws a live run like a simulated one (with metrics.csv from the judge). */
static int write_outputs(const run *R, const herd_report *rep)
{
    char path[LIVE_PATH_MAX];
    herd_afile af;
    path_in(R, path, sizeof path, "summary.json");
    FILE *f = herd_afile_open(&af, path);
    if (!f || herd_report_json(rep, f) != 0 || herd_afile_commit(&af) != 0) {
        if (f) herd_afile_abort(&af);
        fprintf(stderr, "herd live: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    path_in(R, path, sizeof path, "faults.json");
    f = herd_afile_open(&af, path);
    if (!f) { fprintf(stderr, "herd live: cannot write %s: %s\n", path, strerror(errno)); return -1; }
    herd_json j;
    herd_json_init_file(&j, f);
    herd_json_obj_begin(&j);
    herd_json_key(&j, "bands");
    herd_json_arr_begin(&j);
    for (uint32_t i = 0; i < R->sc->world.fault_count && i < 64; i++) {
        if (!R->fault_start[i]) continue;
        const herd_fault *fa = &R->sc->world.faults[i];
        char label[160];
        herd_outputs_fault_label(fa, label, sizeof label);
        herd_json_obj_begin(&j);
        herd_json_kv_str(&j, "kind", herd_fault_kind_name(fa->kind));
        herd_json_kv_fixed(&j, "start_s", (int64_t)R->fault_start[i], 6);
        herd_json_kv_fixed(&j, "end_s", (int64_t)(R->fault_end[i] ? R->fault_end[i] : R->fault_start[i]), 6);
        herd_json_kv_str(&j, "label", label);
        herd_json_obj_end(&j);
    }
    herd_json_arr_end(&j);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    if (rc == 0 && fputc('\n', f) == EOF) rc = -EIO;
    if (rc != 0) { herd_afile_abort(&af); return -1; }
    return herd_afile_commit(&af) == 0 ? 0 : -1;
}

static int live_main(const live_args *a, const herd_scenario *sc)
{
    static run R;
    memset(&R, 0, sizeof R);
    R.a = a;
    R.sc = sc;
    R.seed = a->seed_set ? a->seed : sc->world.seed;
    R.redis_idx = R.lb_idx = R.relay_idx = -1;
    uint32_t per = LIVE_CLIENTS_PER_PROC;
    R.client_procs = a->client_procs ? (uint32_t)a->client_procs
                                     : (uint32_t)((sc->world.clients + per - 1) / per);
    if (R.client_procs < 1) R.client_procs = 1;
    if (R.client_procs > LIVE_CLIENT_PROCS_MAX) R.client_procs = LIVE_CLIENT_PROCS_MAX;
    if (R.client_procs > sc->world.clients) R.client_procs = (uint32_t)sc->world.clients;
    for (uint32_t k = 0; k < LIVE_CLIENT_PROCS_MAX; k++) R.clients_idx[k] = -1;
    snprintf(R.seed_s, sizeof R.seed_s, "%" PRIu64, R.seed);
    char err[1024];
    int rc = herd_live_judge(sc, &R.plan, err, sizeof err);
    if (rc) { fprintf(stderr, "herd live: %s\n", err); return rc; }
    if (R.plan.approximations[0])
        fprintf(stderr, "herd live: approximated on loopback (docs/live.md): %s\n", R.plan.approximations);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    atexit(cleanup_at_exit);
    struct timespec w0;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    if ((rc = make_dir(&R)) || (rc = prepare(&R))) return rc;
    if (!a->json) fprintf(stderr, "herd live: run directory %s\n", R.dir);
    rc = start_all(&R);
    if (rc == 0) rc = play(&R);
    static herd_report rep;
    memset(&rep, 0, sizeof rep);
    if (R.lbcsv && fclose(R.lbcsv) != 0 && rc == 0) {
        fprintf(stderr, "herd live: cannot write %s/lb.csv: %s\n", R.dir, strerror(errno));
        rc = HERD_EXIT_IOERR;
    }
    R.lbcsv = NULL;
    if (rc == 0) rc = finish(&R, &rep);
    if (R.trace) fclose(R.trace);
    herd_procs_kill_all(&g_procs, 1000);
    if (g_interrupted) {
        fprintf(stderr, "herd live: interrupted (signal %d): every process stopped\n", (int)g_interrupted);
        return HERD_EXIT_SOFTWARE;
    }
    if (rc) return rc;
    rep.wall_us = herd_live_now_us() - ((herd_time)w0.tv_sec * 1000000u + (herd_time)w0.tv_nsec / 1000u);
    rep.run_us = sc->world.duration_us;
    write_costs(&R, &rep);
    if (write_outputs(&R, &rep) != 0) return HERD_EXIT_IOERR;
    if (a->json) {
        if (herd_report_json(&rep, stdout) != 0) return HERD_EXIT_IOERR;
    } else {
        herd_report_text(&rep, stdout);
        printf("  run directory %s (trace.jsonl: the merged records)\n", R.dir);
    }
    return rep.pass ? HERD_EXIT_OK : HERD_EXIT_FAIL;
}
#endif

int herd_cmd_live(int argc, char **argv)
{
    live_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) return HERD_EXIT_OK;
    if (rc) return rc;
#ifdef HERD_HAVE_LIVE
    herd_scenario sc;
    char err[1024];
    rc = herd_scenario_load(&sc, a.scenario, a.sets, a.nsets, err, sizeof err);
    if (rc) { fprintf(stderr, "herd live: %s\n", err); return rc; }
    rc = live_main(&a, &sc);
    herd_scenario_free(&sc);
    return rc;
#else
    fprintf(stderr, "herd live: this herd was built without live support: install libwebsockets-dev and\n"
                    "libhiredis-dev (scripts/deps.sh does) and configure again\n");
    return HERD_EXIT_SOFTWARE;
#endif
}
