/* scenario.c — reads a scenario document section by section into herd_world_config and
 * herd_expect (see scenario.h; keys documented in docs/scenarios.md). One function per
 * section; each checks its keys first so a typo is reported before any value, and a fault
 * its kind's keys only. Then the whole is checked (check_*): what could never take effect or
 * be judged is refused, because a run of it would give a verdict about nothing. */
#include "scenario.h"

#include "error.h"
#include "exitcode.h"

#include "churn.h"
#include "outputs.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_US ((uint64_t)HERD_US_PER_S)
#define DUR_MAX (365ull * 24 * 3600 * S_US)

typedef struct rd {
    herd_cfg_doc *d;
    const herd_cfg_node *root;
    unsigned flags; /* HERD_SCENARIO_SWARM */
} rd;

/* Records "path: message" at a node, worded as the getters word theirs. */
static void fail_at(rd *r, const herd_cfg_node *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail_at(rd *r, const herd_cfg_node *at, const char *fmt, ...)
{
    char path[128], msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    herd_cfg_path(at, path, sizeof path);
    herd_cfg_errorf(r->d, at, "%s: %s", path, msg);
}

/* The node of section.key as written (in the file or by --set), or NULL. */
static const herd_cfg_node *written(const rd *r, const char *section, const char *key)
{
    return herd_cfg_get(herd_cfg_get(r->root, section), key);
}

typedef struct dur_text {
    char s[32];
} dur_text;

static dur_text dur(herd_time us)
{
    dur_text t;
    herd_cfg_format_duration(us, t.s, sizeof t.s);
    return t;
}

static const herd_cfg_node *section(rd *r, const char *name, const char *const *keys)
{
    const herd_cfg_node *m = herd_cfg_get(r->root, name);
    if (m) herd_cfg_check_keys(r->d, m, name, keys);
    return m;
}

static void read_run(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"seed", "duration", "metrics_interval", "queue", NULL};
    static const char *const queues[] = {"wheel", "heap", NULL};
    const herd_cfg_node *m = section(r, "run", keys);
    int q = 0;
    herd_cfg_u64(r->d, m, "seed", false, 0, UINT64_MAX, c->seed, &c->seed);
    herd_cfg_duration_us(r->d, m, "duration", false, HERD_US_PER_MS, 30ull * 24 * 3600 * S_US, c->duration_us, &c->duration_us);
    herd_cfg_duration_us(r->d, m, "metrics_interval", false, HERD_US_PER_MS, 3600 * S_US, c->metrics_interval_us,
                         &c->metrics_interval_us);
    herd_cfg_enum(r->d, m, "queue", false, queues, HERD_QUEUE_WHEEL, &q);
    c->queue_kind = (uint8_t)q;
}

static void read_world(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"clients", "rooms", "servers", "start_spread", NULL};
    const herd_cfg_node *m = section(r, "world", keys);
    uint64_t v;
    herd_cfg_u64(r->d, m, "clients", false, 1, HERD_WORLD_CLIENTS_MAX, c->clients, &v);
    c->clients = (uint32_t)v;
    herd_cfg_u64(r->d, m, "rooms", false, 1, HERD_STORE_ROOMS_MAX, c->rooms, &v);
    c->rooms = c->store.rooms = (uint32_t)v;
    herd_cfg_u64(r->d, m, "servers", false, 1, HERD_WORLD_SERVERS_MAX, c->servers, &v);
    c->servers = (uint32_t)v;
    herd_cfg_duration_us(r->d, m, "start_spread", false, 0, DUR_MAX, c->start_spread_us, &c->start_spread_us);
}

static void read_network(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"latency", "jitter", "loss", "rto", "store_latency", "pubsub_latency", NULL};
    const herd_cfg_node *m = section(r, "network", keys);
    herd_cfg_duration_us(r->d, m, "latency", false, 0, 60 * S_US, c->latency_us, &c->latency_us);
    herd_cfg_duration_us(r->d, m, "jitter", false, 0, 60 * S_US, c->jitter_us, &c->jitter_us);
    herd_cfg_ppm(r->d, m, "loss", 0, 1000000, c->loss_ppm, &c->loss_ppm);
    herd_cfg_duration_us(r->d, m, "rto", false, 0, 60 * S_US, c->rto_us, &c->rto_us);
    herd_cfg_duration_us(r->d, m, "store_latency", false, 0, 60 * S_US, c->store_latency_us, &c->store_latency_us);
    herd_cfg_duration_us(r->d, m, "pubsub_latency", false, 0, 60 * S_US, c->pubsub_latency_us, &c->pubsub_latency_us);
}

static void read_accept(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"backlog", "workers", "handshake", "syn_retries", "syn_rto",
                                       "max_conns", "retry_after", NULL};
    const herd_cfg_node *m = section(r, "accept", keys);
    uint64_t v;
    herd_cfg_u64(r->d, m, "backlog", false, 1, HERD_BACKLOG_MAX, c->backlog, &v);
    c->backlog = (uint32_t)v;
    herd_cfg_u64(r->d, m, "workers", false, 1, HERD_WORKERS_MAX, c->workers, &v);
    c->workers = (uint32_t)v;
    herd_cfg_duration_us(r->d, m, "handshake", false, 1, 60 * S_US, c->handshake_us, &c->handshake_us);
    herd_cfg_u64(r->d, m, "syn_retries", false, 0, HERD_SYN_RETRIES_MAX, c->syn_retries, &v);
    c->syn_retries = (uint32_t)v;
    herd_cfg_duration_us(r->d, m, "syn_rto", false, HERD_US_PER_MS, 60 * S_US, c->syn_rto_us, &c->syn_rto_us);
    herd_cfg_u64(r->d, m, "max_conns", false, 0, UINT32_MAX, c->max_conns, &v);
    c->max_conns = (uint32_t)v;
    herd_cfg_duration_us(r->d, m, "retry_after", false, 0, 65 * S_US, (uint64_t)c->retry_after_ms * 1000, &v);
    c->retry_after_ms = (uint32_t)(v / 1000);
}

static void read_lb(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"policy", "rate", "burst", "health_lag", NULL};
    const herd_cfg_node *m = section(r, "lb", keys);
    int p = c->lb_policy;
    uint64_t v;
    herd_cfg_enum(r->d, m, "policy", false, herd_lb_policy_names(), p, &p);
    c->lb_policy = (uint8_t)p;
    herd_cfg_u64(r->d, m, "rate", false, 0, 100000000, c->lb_rate_per_s, &v);
    c->lb_rate_per_s = (uint32_t)v;
    herd_cfg_u64(r->d, m, "burst", false, 1, 100000000, c->lb_burst, &v);
    c->lb_burst = (uint32_t)v;
    herd_cfg_duration_us(r->d, m, "health_lag", false, 0, 3600 * S_US, c->health_lag_us, &c->health_lag_us);
}

static const char *const *backoff_names(void)
{
    static const char *names[HERD_BACKOFF_KIND_COUNT + 1];
    for (int k = 0; k < HERD_BACKOFF_KIND_COUNT; k++) names[k] = herd_backoff_name(k);
    names[HERD_BACKOFF_KIND_COUNT] = NULL;
    return names;
}

static void read_backoff(rd *r, const herd_cfg_node *cm, herd_backoff_policy *b)
{
    static const char *const keys[] = {"policy", "base", "base_max", "factor_milli", "jitter", "cap",
                                       "max_attempts", "jitter_before_cap", "after", NULL};
    const herd_cfg_node *m = herd_cfg_get(cm, "backoff");
    if (m) herd_cfg_check_keys(r->d, m, "client.backoff", keys);
    int kind = b->kind;
    herd_cfg_enum(r->d, m, "policy", false, backoff_names(), kind, &kind);
    if (kind != b->kind) herd_backoff_defaults(b, kind);
    uint64_t v;
    bool jbc = b->jitter_before_cap;
    herd_cfg_duration_us(r->d, m, "base", false, 0, UINT32_MAX, b->base_us, &v);
    b->base_us = (uint32_t)v;
    if (b->base_max_us < b->base_us) b->base_max_us = b->base_us;
    herd_cfg_duration_us(r->d, m, "base_max", false, 0, UINT32_MAX, b->base_max_us, &v);
    b->base_max_us = (uint32_t)v;
    herd_cfg_u64(r->d, m, "factor_milli", false, 1000, 100000, b->factor_milli, &v);
    b->factor_milli = (uint32_t)v;
    herd_cfg_ppm(r->d, m, "jitter", 0, 1000000, b->jitter_ppm, &b->jitter_ppm);
    herd_cfg_duration_us(r->d, m, "cap", false, 0, UINT32_MAX, b->cap_us, &v);
    b->cap_us = (uint32_t)v;
    herd_cfg_duration_us(r->d, m, "after", false, 0, UINT32_MAX, b->after_us, &v);
    b->after_us = (uint32_t)v;
    herd_cfg_u64(r->d, m, "max_attempts", false, 0, UINT16_MAX, b->max_attempts, &v);
    b->max_attempts = (uint16_t)v;
    herd_cfg_bool(r->d, m, "jitter_before_cap", jbc, &jbc);
    b->jitter_before_cap = jbc;
    if (!herd_cfg_failed(r->d) && herd_backoff_validate(b) != HERD_OK)
        herd_cfg_errorf(r->d, m, "client.backoff: the policy's values are out of range (see docs/backoff.md)");
}

static void read_client(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"backoff", "connect_timeout", "resume_timeout", "ack_timeout",
                                       "stable_reset", "queue_max", "obey_retry_after", NULL};
    const herd_cfg_node *m = section(r, "client", keys);
    herd_client_config *cc = &c->client;
    uint64_t v;
    bool obey = cc->obey_retry_after;
    read_backoff(r, m, &cc->backoff);
    herd_cfg_duration_us(r->d, m, "connect_timeout", false, 0, DUR_MAX, cc->connect_timeout_us, &cc->connect_timeout_us);
    herd_cfg_duration_us(r->d, m, "resume_timeout", false, 0, DUR_MAX, cc->resume_timeout_us, &cc->resume_timeout_us);
    herd_cfg_duration_us(r->d, m, "ack_timeout", false, 0, DUR_MAX, cc->ack_timeout_us, &cc->ack_timeout_us);
    herd_cfg_duration_us(r->d, m, "stable_reset", false, 0, DUR_MAX, cc->stable_reset_us, &cc->stable_reset_us);
    herd_cfg_u64(r->d, m, "queue_max", false, 1, HERD_QUEUE_MAX, cc->queue_max, &v);
    cc->queue_max = (uint32_t)v;
    herd_cfg_bool(r->d, m, "obey_retry_after", obey, &obey);
    cc->obey_retry_after = obey;
}

static void read_server_store(rd *r, herd_world_config *c)
{
    static const char *const skeys[] = {"read_batch", NULL};
    static const char *const tkeys[] = {"durability", "maxlen", "dedup_capacity", "dedup_window", "fsync_interval", NULL};
    static const char *durs[HERD_DURABLE_COUNT + 1];
    for (int k = 0; k < HERD_DURABLE_COUNT; k++) durs[k] = herd_durability_name(k);
    const herd_cfg_node *m = section(r, "server", skeys);
    uint64_t v;
    herd_cfg_u64(r->d, m, "read_batch", false, 1, HERD_READ_MAX, c->server.read_batch, &v);
    c->server.read_batch = (uint16_t)v;
    m = section(r, "store", tkeys);
    int dm = c->store.durability;
    herd_cfg_enum(r->d, m, "durability", false, durs, dm, &dm);
    c->store.durability = (uint8_t)dm;
    herd_cfg_u64(r->d, m, "maxlen", false, 1, HERD_STORE_MAXLEN_MAX, c->store.maxlen, &v);
    c->store.maxlen = (uint32_t)v;
    herd_cfg_u64(r->d, m, "dedup_capacity", false, 1, HERD_DEDUP_CAPACITY_MAX, c->store.dedup_capacity, &v);
    c->store.dedup_capacity = (uint32_t)v;
    herd_cfg_duration_us(r->d, m, "dedup_window", false, 0, DUR_MAX, c->store.dedup_window_us, &c->store.dedup_window_us);
    herd_cfg_duration_us(r->d, m, "fsync_interval", false, 0, 3600 * S_US, c->store.fsync_interval_us, &c->store.fsync_interval_us);
}

static void read_workload(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"publish_interval", "publishers", "start", "stop", NULL};
    const herd_cfg_node *m = section(r, "workload", keys);
    herd_cfg_duration_us(r->d, m, "publish_interval", false, 0, DUR_MAX, c->publish_interval_us, &c->publish_interval_us);
    herd_cfg_ppm(r->d, m, "publishers", 0, 1000000, c->publishers_ppm, &c->publishers_ppm);
    herd_cfg_duration_us(r->d, m, "start", false, 0, DUR_MAX, c->workload_start_us, &c->workload_start_us);
    /* By default publishing stops a quarter of the run (at most 10 s) before the end, so
     * the run ends quiet and L1 can ask for drained queues and caught-up subscribers. */
    herd_time quiet = c->duration_us / 4 < 10 * S_US ? c->duration_us / 4 : 10 * S_US;
    herd_cfg_duration_us(r->d, m, "stop", false, 0, DUR_MAX, c->duration_us - quiet, &c->workload_stop_us);
}

static void read_protocol(rd *r, herd_world_config *c)
{
    const char *name = "correct";
    herd_cfg_str(r->d, r->root, "protocol", false, "correct", &name);
    herd_protocol p;
    if (herd_protocol_parse(name, &p) != HERD_OK) {
        /* Use the enum getter for its "did you mean" message. */
        int dummy;
        herd_cfg_enum(r->d, r->root, "protocol", false, herd_protocol_names, 0, &dummy);
        return;
    }
    c->client.proto = p;
    c->server.proto = p;
}

static void read_oracle(rd *r, herd_world_config *c)
{
    static const char *const keys[] = {"capacity", NULL};
    const herd_cfg_node *m = section(r, "oracle", keys);
    uint64_t v;
    herd_cfg_u64(r->d, m, "capacity", false, 1, HERD_DEDUP_CAPACITY_MAX, c->oracle_capacity, &v);
    c->oracle_capacity = (uint32_t)v;
}

/* "all", "3", "0-9" -> first, count (0 = all). */
static void read_range(rd *r, const herd_cfg_node *m, const char *key, uint32_t *first, uint32_t *count)
{
    const char *s = NULL;
    herd_cfg_str(r->d, m, key, false, "all", &s);
    if (!s || strcmp(s, "all") == 0) return;
    herd_group g;
    char tmp[80]; /* the group syntax "kind:a-b" parses the range */
    snprintf(tmp, sizeof tmp, "clients:%s", s);
    if (herd_group_parse(tmp, &g) != HERD_OK || g.count == 0) {
        char path[128];
        herd_cfg_path(herd_cfg_get(m, key), path, sizeof path);
        herd_cfg_errorf(r->d, herd_cfg_get(m, key), "%s: '%s' is not a range (all, N or N-M)", path, s);
        return;
    }
    *first = g.first;
    *count = g.count;
}

static void read_group(rd *r, const herd_cfg_node *m, const char *key, herd_group *g)
{
    const char *s = NULL;
    if (!herd_cfg_str(r->d, m, key, true, NULL, &s) || !s) return;
    if (herd_group_parse(s, g) != HERD_OK) {
        char path[128];
        herd_cfg_path(herd_cfg_get(m, key), path, sizeof path);
        herd_cfg_errorf(r->d, herd_cfg_get(m, key),
                        "%s: '%s' is not a group (clients, clients:N-M, servers, servers:N-M, lb, store)", path, s);
    }
}

/* The keys each fault kind reads (docs/scenarios.md, faults). Any other key would be read by
 * nobody and the fault would run with its defaults instead: `servers: 1` on an offline fault
 * took every client offline, `clients: 0-10` on a crash crashed every server. */
static const char *const *fault_keys(int kind)
{
    static const char *const crash[] = {"kind", "at", "duration", "servers", NULL};
    static const char *const graceful[] = {"kind", "at", "duration", "servers", "code", "drain", "retry_after", NULL};
    static const char *const rolling[] = {"kind",  "at",    "duration",    "servers",
                                          "interval", "code", "drain", "retry_after", NULL};
    static const char *const partition[] = {"kind", "at", "duration", "a", "b", "oneway", NULL};
    static const char *const burst[] = {"kind", "at", "duration", "loss", "latency", NULL};
    static const char *const offline[] = {"kind", "at", "duration", "clients", NULL};
    static const char *const churn[] = {"kind", "at", "duration", "clients", "fraction", "interval", "offline", NULL};
    static const char *const bare[] = {"kind", "at", "duration", NULL}; /* lb_restart, store_crash */
    switch (kind) {
    case HERD_FAULT_CRASH: return crash;
    case HERD_FAULT_GRACEFUL: return graceful;
    case HERD_FAULT_ROLLING: return rolling;
    case HERD_FAULT_PARTITION: return partition;
    case HERD_FAULT_NET_BURST: return burst;
    case HERD_FAULT_OFFLINE: return offline;
    case HERD_FAULT_CHURN: return churn;
    default: return bare;
    }
}

/* kind first (it decides which keys apply), then the keys against that kind's list. */
static bool read_fault_kind(rd *r, const herd_cfg_node *m, herd_fault *f)
{
    static const char *const keys[] = {"kind", "at", "duration", "servers", "clients", "code", "drain",
                                       "retry_after", "interval", "loss", "latency", "a", "b", "oneway",
                                       "fraction", "offline", NULL};
    int kind = 0;
    if (!herd_cfg_check_keys(r->d, m, "faults[]", keys)) return false;
    if (!herd_cfg_enum(r->d, m, "kind", true, herd_fault_kind_names(), 0, &kind)) return false;
    f->kind = (uint8_t)(kind + 1);
    char variant[64];
    snprintf(variant, sizeof variant, "a fault of kind '%s'", herd_fault_kind_name(f->kind));
    return herd_cfg_check_variant_keys(r->d, m, "faults[]", keys, variant, fault_keys(f->kind));
}

/* A key a kind cannot do without: "missing required key 'k' in faults[i]" when absent. */
static bool require_key(rd *r, const herd_cfg_node *m, const char *key)
{
    const char *s;
    if (herd_cfg_get(m, key)) return true;
    herd_cfg_str(r->d, m, key, true, NULL, &s);
    return false;
}

/* churn's offline time: a duration (fixed), or {dist: fixed, time: D}, {dist: uniform,
 * min: D, max: D}, {dist: exponential, mean: D}; each time at least 1 ms. */
static void read_churn_offline(rd *r, const herd_cfg_node *m, herd_fault *f)
{
    static const char *const known[] = {"dist", "time", "min", "max", "mean", NULL};
    static const char *const fixed[] = {"dist", "time", NULL};
    static const char *const uniform[] = {"dist", "min", "max", NULL};
    static const char *const expo[] = {"dist", "mean", NULL};
    static const char *const *const per_dist[HERD_CHURN_DIST_COUNT] = {fixed, uniform, expo};
    const herd_cfg_node *o = herd_cfg_get(m, "offline");
    if (!require_key(r, m, "offline")) return;
    if (!herd_cfg_is_map(o)) {
        f->off_dist = HERD_CHURN_FIXED;
        herd_cfg_node_duration_us(r->d, o, HERD_US_PER_MS, DUR_MAX, &f->off_a_us);
        return;
    }
    int dist = 0;
    if (!herd_cfg_check_keys(r->d, o, "faults[].offline", known)) return;
    if (!herd_cfg_enum(r->d, o, "dist", true, herd_churn_dist_names(), 0, &dist)) return;
    char variant[64];
    snprintf(variant, sizeof variant, "an offline time of dist '%s'", herd_churn_dist_names()[dist]);
    if (!herd_cfg_check_variant_keys(r->d, o, "faults[].offline", known, variant, per_dist[dist])) return;
    f->off_dist = (uint8_t)dist;
    static const char *const first_key[HERD_CHURN_DIST_COUNT] = {"time", "min", "mean"};
    require_key(r, o, first_key[dist]);
    herd_cfg_duration_us(r->d, o, first_key[dist], false, HERD_US_PER_MS, DUR_MAX, 0, &f->off_a_us);
    if (dist != HERD_CHURN_UNIFORM) return;
    require_key(r, o, "max");
    herd_cfg_duration_us(r->d, o, "max", false, HERD_US_PER_MS, DUR_MAX, 0, &f->off_b_us);
    if (!herd_cfg_failed(r->d) && f->off_b_us < f->off_a_us)
        fail_at(r, herd_cfg_get(o, "min"), "%s is more than max (%s): no offline time lies between them",
                dur(f->off_a_us).s, dur(f->off_b_us).s);
}

/* churn: fraction, interval, offline and duration are required (no default would mean
 * anything: a 1 s churn, or one that takes nobody offline). */
static void read_churn(rd *r, const herd_cfg_node *m, herd_fault *f)
{
    require_key(r, m, "fraction");
    herd_cfg_ppm(r->d, m, "fraction", 1, 1000000, 0, &f->fraction_ppm);
    require_key(r, m, "interval");
    herd_cfg_duration_us(r->d, m, "interval", false, HERD_CHURN_INTERVAL_MIN_US, DUR_MAX, 0, &f->interval_us);
    read_churn_offline(r, m, f);
}

static void read_fault(rd *r, const herd_cfg_node *m, herd_fault *f)
{
    uint64_t v;
    bool oneway = false;
    *f = (herd_fault){0};
    if (!read_fault_kind(r, m, f)) return;
    bool churn = f->kind == HERD_FAULT_CHURN, on_clients = churn || f->kind == HERD_FAULT_OFFLINE;
    herd_cfg_duration_us(r->d, m, "at", true, 0, DUR_MAX, 0, &f->at_us);
    if (churn) require_key(r, m, "duration");
    herd_cfg_duration_us(r->d, m, "duration", false, churn ? HERD_US_PER_MS : 0, DUR_MAX, S_US, &f->duration_us);
    read_range(r, m, on_clients ? "clients" : "servers", &f->first, &f->count);
    if (churn) {
        read_churn(r, m, f);
        return;
    }
    herd_cfg_u64(r->d, m, "code", false, 1000, 4999, HERD_CLOSE_SERVICE_RESTART, &v);
    f->code = (uint16_t)v;
    herd_cfg_duration_us(r->d, m, "drain", false, 0, DUR_MAX, 0, &f->drain_us);
    herd_cfg_duration_us(r->d, m, "retry_after", false, 0, 65 * S_US, 0, &v);
    f->retry_after_ms = (uint32_t)(v / 1000);
    herd_cfg_duration_us(r->d, m, "interval", false, 0, DUR_MAX, 10 * S_US, &f->interval_us);
    herd_cfg_ppm(r->d, m, "loss", 0, 1000000, 0, &f->loss_ppm);
    herd_cfg_duration_us(r->d, m, "latency", false, 0, 60 * S_US, 0, &f->latency_us);
    if (f->kind == HERD_FAULT_PARTITION) {
        read_group(r, m, "a", &f->a);
        read_group(r, m, "b", &f->b);
    }
    herd_cfg_bool(r->d, m, "oneway", false, &oneway);
    f->oneway = oneway;
}

static void read_faults(rd *r, herd_world_config *c)
{
    const herd_cfg_node *s = herd_cfg_get(r->root, "faults");
    c->fault_count = 0;
    if (!s) return;
    if (!herd_cfg_is_seq(s)) {
        herd_cfg_errorf(r->d, s, "faults must be a list");
        return;
    }
    size_t n = herd_cfg_len(s);
    if (n > HERD_WORLD_FAULTS_MAX) {
        herd_cfg_errorf(r->d, s, "faults: %zu entries, at most %u", n, HERD_WORLD_FAULTS_MAX);
        return;
    }
    for (size_t i = 0; i < n; i++) read_fault(r, herd_cfg_at(s, i), &c->faults[i]);
    c->fault_count = (uint32_t)n;
}

static void read_expect(rd *r, herd_expect *e)
{
    static const char *const keys[] = {"safety", "violates", "recovers_within", "peak_attempts_per_s_max",
                                       "peak_attempts_per_s_min", "wasted_handshakes_min", "wasted_handshakes_max", NULL};
    static const char *const safety[] = {"holds", "violated", NULL};
    static const char *const invs[] = {"I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "L1", NULL};
    const herd_cfg_node *m = section(r, "expect", keys);
    int s = 0, v = -1;
    *e = (herd_expect){.violates = -1, .peak_attempts_max = UINT64_MAX, .wasted_max = UINT64_MAX};
    herd_cfg_enum(r->d, m, "safety", false, safety, 0, &s);
    e->safety = (uint8_t)s;
    herd_cfg_enum(r->d, m, "violates", false, invs, -1, &v);
    e->violates = (int8_t)v;
    if (v >= 0) e->safety = HERD_EXPECT_VIOLATED;
    const char *rw = NULL;
    herd_cfg_str(r->d, m, "recovers_within", false, NULL, &rw);
    if (rw && strcmp(rw, "never") == 0) {
        e->recover_set = e->recover_never = 1;
    } else if (rw) {
        e->recover_set = 1;
        herd_cfg_duration_us(r->d, m, "recovers_within", false, 0, DUR_MAX, 0, &e->recovers_within_us);
    }
    herd_cfg_u64(r->d, m, "peak_attempts_per_s_max", false, 0, UINT64_MAX, UINT64_MAX, &e->peak_attempts_max);
    /* A minimum of 0 is how "no bound" is stored, so written it would never be judged. */
    herd_cfg_u64(r->d, m, "peak_attempts_per_s_min", false, 1, UINT64_MAX, 0, &e->peak_attempts_min);
    herd_cfg_u64(r->d, m, "wasted_handshakes_min", false, 1, UINT64_MAX, 0, &e->wasted_min);
    herd_cfg_u64(r->d, m, "wasted_handshakes_max", false, 0, UINT64_MAX, UINT64_MAX, &e->wasted_max);
}

/* trace.clients / trace.rooms: "0-9", 7, "1,5,9-12", "none", or a list of those. */
static void read_trace_ids(rd *r, const herd_cfg_node *m, const char *key, herd_trace_range *list, uint32_t *n)
{
    const herd_cfg_node *v = herd_cfg_get(m, key);
    size_t items = herd_cfg_is_seq(v) ? herd_cfg_len(v) : 1;
    for (size_t i = 0; i < items; i++) {
        const herd_cfg_node *it = herd_cfg_is_seq(v) ? herd_cfg_at(v, i) : v;
        const char *text = herd_cfg_scalar(it);
        if (!text || herd_trace_ranges_add(list, n, text) != 0) {
            char path[128];
            herd_cfg_path(it, path, sizeof path);
            herd_cfg_errorf(r->d, it, "%s: '%s' is not ids (N, N-M, a comma list or \"none\"; at most %d ranges)",
                            path, text ? text : "(not a scalar)", HERD_TRACE_RANGES_MAX);
            return;
        }
    }
}

static void read_trace(rd *r, herd_trace_sel *t)
{
    static const char *const keys[] = {"clients", "rooms", "max_records", NULL};
    herd_trace_sel_default(t);
    const herd_cfg_node *m = section(r, "trace", keys);
    if (!m) return;
    if (herd_cfg_get(m, "clients") || herd_cfg_get(m, "rooms")) t->nclients = 0; /* the key replaces the default */
    if (herd_cfg_get(m, "clients")) read_trace_ids(r, m, "clients", t->clients, &t->nclients);
    if (herd_cfg_get(m, "rooms")) read_trace_ids(r, m, "rooms", t->rooms, &t->nrooms);
    herd_cfg_u64(r->d, m, "max_records", false, 1, HERD_TRACE_RECORDS_MAX, t->max_records, &t->max_records);
}

/* "N servers" / "N clients" for a range or group check against the world. */
static void check_span(rd *r, const herd_cfg_node *at, uint64_t first, uint64_t count, uint32_t have,
                       const char *what)
{
    if (count == 0 || first + count <= have) return;
    char path[128];
    herd_cfg_path(at, path, sizeof path);
    const char *text = herd_cfg_scalar(at);
    herd_cfg_errorf(r->d, at, "%s: %s, but the world has %u %s", path, text ? text : "?", have, what);
}

/* A fault that changes nothing, or that has not healed when the run ends: L1 is judged from
 * the last heal, so with the heal at or after the end there is nothing to judge (recovery
 * fails as if the protocol were at fault, `recovers_within: never` passes for free). */
static void check_fault_effect(rd *r, const herd_world_config *c, const herd_fault *f, const herd_cfg_node *m)
{
    if (f->kind == HERD_FAULT_NET_BURST && f->loss_ppm == 0 && f->latency_us == 0) {
        fail_at(r, herd_cfg_get(m, "kind"), "a net_burst with neither loss nor latency changes nothing");
        return;
    }
    /* The heal time is faults.c's (a rolling deploy's depends on the servers), read from a
     * world that holds only this configuration. */
    herd_world *w = calloc(1, sizeof *w);
    if (!w) return; /* the check is skipped, never failed, for want of memory */
    w->cfg = *c;
    herd_time heal = herd_fault_heal_us(w, f);
    free(w);
    if (heal < c->duration_us) return;
    /* Point at what lengthens the fault most often: a rolling deploy's interval, else its duration. */
    static const char *const lengths[] = {"interval", "duration", "drain", "at"};
    const herd_cfg_node *at = NULL;
    for (size_t k = f->kind == HERD_FAULT_ROLLING ? 0 : 1; k < 4 && !at; k++) at = herd_cfg_get(m, lengths[k]);
    fail_at(r, at, "this %s heals at %s, %s the end of the run (%s), so recovery (L1) could never be judged",
            herd_fault_kind_name(f->kind), dur(heal).s, heal > c->duration_us ? "after" : "at",
            dur(c->duration_us).s);
}

/* A churn that would take nobody offline (fewer than one client expected to churn), or so
 * many offline periods that the run would not end in reasonable time. */
static void check_churn(rd *r, const herd_world_config *c, const herd_fault *f, const herd_cfg_node *m)
{
    uint64_t first = f->first < c->clients ? f->first : c->clients;
    uint64_t last = f->count ? first + f->count : c->clients;
    uint64_t in_range = (last < c->clients ? last : c->clients) - first;
    uint64_t churning_ppm = in_range * f->fraction_ppm; /* clients x 10^6, <= 2^24 x 10^6 */
    char share[32];
    herd_cfg_format_ppm(f->fraction_ppm, share, sizeof share);
    if (in_range > 0 && churning_ppm < 1000000u) {
        fail_at(r, herd_cfg_get(m, "fraction"), "%s of %" PRIu64 " client%s is less than one client expected to "
                "churn; raise fraction or widen clients", share, in_range, in_range == 1 ? "" : "s");
        return;
    }
    /* churning clients x duration / interval, the periods' upper bound (each period has an
     * online gap of mean interval before it). */
    unsigned __int128 periods = (unsigned __int128)churning_ppm * f->duration_us / f->interval_us / 1000000u;
    if (periods <= HERD_CHURN_EXPECTED_PERIODS_MAX) return;
    fail_at(r, herd_cfg_get(m, "interval"), "%s: about %" PRIu64 " churning clients x %s / %s is %" PRIu64
            " offline periods, more than %u; lengthen interval, shorten duration or lower fraction",
            dur(f->interval_us).s, churning_ppm / 1000000u, dur(f->duration_us).s, dur(f->interval_us).s,
            periods > UINT64_MAX ? UINT64_MAX : (uint64_t)periods, HERD_CHURN_EXPECTED_PERIODS_MAX);
}

/* Faults against the world they run in: inside the run, naming entities that exist. */
static void check_faults(rd *r, const herd_world_config *c)
{
    const herd_cfg_node *s = herd_cfg_get(r->root, "faults");
    for (uint32_t i = 0; i < c->fault_count && !herd_cfg_failed(r->d); i++) {
        const herd_fault *f = &c->faults[i];
        const herd_cfg_node *m = herd_cfg_at(s, i);
        if (f->at_us >= c->duration_us) {
            const herd_cfg_node *at = herd_cfg_get(m, "at");
            char path[128], when[32], end[32];
            herd_cfg_path(at, path, sizeof path);
            herd_cfg_format_duration(f->at_us, when, sizeof when);
            herd_cfg_format_duration(c->duration_us, end, sizeof end);
            herd_cfg_errorf(r->d, at, "%s: %s is %s the end of the run (%s), so it would never fire", path, when,
                            f->at_us > c->duration_us ? "after" : "at", end);
            return;
        }
        check_fault_effect(r, c, f, m);
        if (f->kind == HERD_FAULT_CHURN && !herd_cfg_failed(r->d)) check_churn(r, c, f, m);
        bool on_clients = f->kind == HERD_FAULT_OFFLINE || f->kind == HERD_FAULT_CHURN;
        const herd_cfg_node *range = herd_cfg_get(m, on_clients ? "clients" : "servers");
        if (range) check_span(r, range, f->first, f->count, on_clients ? c->clients : c->servers,
                              on_clients ? "clients" : "servers");
        if (f->kind != HERD_FAULT_PARTITION) continue;
        const herd_group *g[2] = {&f->a, &f->b};
        const char *key[2] = {"a", "b"};
        for (int k = 0; k < 2 && !herd_cfg_failed(r->d); k++) {
            if (g[k]->kind == HERD_GROUP_SERVERS)
                check_span(r, herd_cfg_get(m, key[k]), g[k]->first, g[k]->count, c->servers, "servers");
            else if (g[k]->kind == HERD_GROUP_CLIENTS)
                check_span(r, herd_cfg_get(m, key[k]), g[k]->first, g[k]->count, c->clients, "clients");
        }
    }
}

/* Clients start uniformly over [0, start_spread]: one starting at or after the end never
 * connects, and the run used to report that as a liveness failure of the protocol. */
static void check_start_spread(rd *r, const herd_world_config *c)
{
    if (c->start_spread_us < c->duration_us) return;
    const herd_cfg_node *at = written(r, "world", "start_spread");
    if (at)
        fail_at(r, at, "%s is %s the end of the run (%s): clients would start after it ends", dur(c->start_spread_us).s,
                c->start_spread_us > c->duration_us ? "after" : "at", dur(c->duration_us).s);
    else
        fail_at(r, written(r, "run", "duration"), "%s is not longer than world.start_spread (%s by default): clients "
                "would start after the run ends", dur(c->duration_us).s, dur(c->start_spread_us).s);
}

/* A workload that is switched off (no interval, or no publishers) but says how to publish. */
static void check_workload_off(rd *r, const herd_world_config *c)
{
    const herd_cfg_node *iv = written(r, "workload", "publish_interval"), *pub = written(r, "workload", "publishers");
    char share[32];
    herd_cfg_format_ppm(c->publishers_ppm, share, sizeof share);
    if (c->publish_interval_us > 0) { /* then publishers is 0%, and written so */
        fail_at(r, pub, "0%% of the clients publish, so workload.publish_interval (%s) can never take effect",
                dur(c->publish_interval_us).s);
    } else if (c->publishers_ppm > 0 && iv) {
        fail_at(r, iv, "0s means nobody publishes, yet workload.publishers is %s%s: nothing would be published "
                "(for a run without messages leave the workload out, or set publishers: 0%%)", share, pub ? "" : " (the default)");
    } else if (c->publishers_ppm > 0 && pub) {
        fail_at(r, pub, "%s of the clients would publish, but workload.publish_interval is not set (0: nobody "
                "publishes), so nothing would be published", share);
    } else {
        const char *keys[] = {"start", "stop"};
        for (int k = 0; k < 2; k++)
            if (written(r, "workload", keys[k]))
                fail_at(r, written(r, "workload", keys[k]), "can never take effect: nobody publishes "
                        "(workload.publish_interval is 0)");
    }
}

/* Publishing runs from start to stop (or the end of the run); a publisher's first message
 * comes at least publish_interval/2 after start (sim/workload.c), so a shorter window
 * publishes nothing and every message invariant would hold for free. */
static void check_workload(rd *r, const herd_world_config *c)
{
    if (c->publish_interval_us == 0 || c->publishers_ppm == 0) {
        check_workload_off(r, c);
        return;
    }
    herd_time start = c->workload_start_us, stop = c->workload_stop_us, end = c->duration_us;
    const herd_cfg_node *n_start = written(r, "workload", "start"), *n_stop = written(r, "workload", "stop");
    if (start >= end) {
        fail_at(r, n_start, "%s is %s the end of the run (%s), so nothing would be published", dur(start).s,
                start > end ? "after" : "at", dur(end).s);
    } else if (stop <= start && n_stop) {
        fail_at(r, n_stop, "%s is not after workload.start (%s): the publishing window is empty", dur(stop).s,
                dur(start).s);
    } else if (stop <= start) {
        fail_at(r, n_start, "%s is not before workload.stop (%s by default: the end of the run (%s) less a "
                "quarter of it, at most 10s): the publishing window is empty", dur(start).s, dur(stop).s, dur(end).s);
    } else if ((stop < end ? stop : end) - start <= c->publish_interval_us / 2) {
        fail_at(r, written(r, "workload", "publish_interval"), "%s: a publisher's first message comes at least %s "
                "(half the interval) after workload.start (%s), when publishing has stopped (%s), so nothing would "
                "be published", dur(c->publish_interval_us).s, dur(c->publish_interval_us / 2).s, dur(start).s,
                dur(stop < end ? stop : end).s);
    }
}

/* Every invariant but I7 (bounded queues: the accept backlog and the session pool are
 * queues too) and L1 is about messages: with nothing published none can be violated. */
static bool inv_needs_messages(int inv) { return inv != HERD_INV_I7 && inv != HERD_INV_L1; }

/* expect.violates: a name the safety oracle can count, consistent with safety, and about
 * something the run does. */
static void check_violates(rd *r, const herd_world_config *c, const herd_expect *e)
{
    const herd_cfg_node *v = written(r, "expect", "violates"), *safety = written(r, "expect", "safety");
    if (!v) return;
    const char *name = herd_cfg_scalar(v);
    if (safety && e->safety == HERD_EXPECT_VIOLATED && strcmp(herd_cfg_scalar(safety), "holds") == 0)
        fail_at(r, v, "%s contradicts expect.safety: holds (violates means safety is violated)", name);
    else if (e->violates == HERD_INV_L1)
        fail_at(r, v, "L1 is not counted by the safety oracle, so this can never be met; liveness is "
                "expect.recovers_within's (recovers_within: never)");
    else if (inv_needs_messages(e->violates) && (c->publish_interval_us == 0 || c->publishers_ppm == 0))
        fail_at(r, v, "%s is about messages, but the workload publishes nothing (workload.publish_interval, "
                "workload.publishers), so it can never be violated", name);
}

/* min above max, or a peak window that is empty: the expectation is decided before the run. */
static void check_bounds(rd *r, const herd_world_config *c, const herd_expect *e)
{
    const herd_cfg_node *pmin = written(r, "expect", "peak_attempts_per_s_min");
    const herd_cfg_node *pmax = written(r, "expect", "peak_attempts_per_s_max");
    const herd_cfg_node *wmin = written(r, "expect", "wasted_handshakes_min");
    if (pmin && pmax && e->peak_attempts_min > e->peak_attempts_max)
        fail_at(r, pmin, "%s is more than expect.peak_attempts_per_s_max (%s), so it can never be met",
                herd_cfg_scalar(pmin), herd_cfg_scalar(pmax));
    if (wmin && written(r, "expect", "wasted_handshakes_max") && e->wasted_min > e->wasted_max)
        fail_at(r, wmin, "%s is more than expect.wasted_handshakes_max (%s), so it can never be met",
                herd_cfg_scalar(wmin), herd_cfg_scalar(written(r, "expect", "wasted_handshakes_max")));
    /* report.c measures the peak from the end of the start-up, rounded up to a second. */
    herd_time from = (c->start_spread_us + S_US - 1) / S_US * S_US;
    if (from < c->duration_us || !(pmin || pmax)) return;
    fail_at(r, pmin ? pmin : pmax, "the peak is measured from the end of the start-up (world.start_spread rounded "
            "up to a second: %s) to the end of the run (%s), and that window is empty", dur(from).s,
            dur(c->duration_us).s);
}

/* recovers_within is judged from the last heal: without a fault there is nothing to recover
 * from (the time would be the start-up's). Under --swarm the drawn faults count: there are
 * 1 to 4 of them, healed well before the end (herd_faults_swarm). */
static void check_recovery(rd *r, const herd_world_config *c, const herd_expect *e)
{
    if (!e->recover_set || c->fault_count > 0 || (r->flags & HERD_SCENARIO_SWARM)) return;
    fail_at(r, written(r, "expect", "recovers_within"), "%s: no fault is scheduled, so there is nothing to recover "
            "from", e->recover_never ? "never" : dur(e->recovers_within_us).s);
}

/* Expectations that can never be judged are refused, not run: a vacuous pass is a false
 * green, an impossible one a false red. */
static void check_expect(rd *r, const herd_world_config *c, const herd_expect *e)
{
    check_violates(r, c, e);
    check_bounds(r, c, e);
    check_recovery(r, c, e);
}

/* The messages the workload will publish: publishers x the publishing window / interval
 * (an upper bound on appends: resends of the same message are deduplicated or counted
 * once more at most, which the factor 2 below covers). */
static uint64_t publishes_estimate(const herd_world_config *c)
{
    if (c->publish_interval_us == 0) return 0;
    uint64_t publishers = (uint64_t)c->clients * c->publishers_ppm / 1000000u;
    herd_time stop = c->workload_stop_us && c->workload_stop_us < c->duration_us ? c->workload_stop_us : c->duration_us;
    herd_time span = stop > c->workload_start_us ? stop - c->workload_start_us : 0;
    return publishers * (span / c->publish_interval_us + 1u);
}

/* What a run will touch, at least (the store, its dedup index and the oracle's are
 * reserved at their worst case and touched as messages arrive: store.h, dedup.h): client
 * slots, servers, accept queues, rooms, the store's per-room records, and for every
 * message the workload will publish, a ring slot (x2: a ring doubles), a record and its
 * hash buckets in the store's dedup index and in the oracle's, each up to its capacity.
 * A lower bound, so a world refused here could never have run. UINT64_MAX if it
 * overflows. */
static uint64_t world_bytes_estimate(const herd_world_config *c)
{
    herd_store_config sc = c->store;
    sc.grow = 1;
    size_t store = herd_store_base_bytes(&sc);
    if (store == 0 || herd_dedup_bytes(c->store.dedup_capacity) == 0 || herd_dedup_bytes(c->oracle_capacity) == 0)
        return UINT64_MAX;
    uint64_t msgs = publishes_estimate(c);
    uint64_t kept = (uint64_t)c->rooms * c->store.maxlen;
    uint64_t ring = 2u * sizeof(herd_entry) * (msgs < kept ? msgs : kept);
    uint64_t per_record = sizeof(herd_dedup_record) + 4u * sizeof(uint32_t); /* a load of 1/4 to 1/2 */
    uint64_t dedup = per_record * (msgs < c->store.dedup_capacity ? msgs : c->store.dedup_capacity);
    uint64_t oracle = per_record * (msgs < c->oracle_capacity ? msgs : c->oracle_capacity);
    uint64_t b = (uint64_t)c->clients * (sizeof(herd_client_slot) + sizeof(herd_sid));
    b += (uint64_t)c->servers * sizeof(herd_sim_server);
    b += (uint64_t)c->servers * c->backlog * sizeof(herd_pending_syn);
    b += (uint64_t)c->rooms * sizeof(uint32_t);
    b += store + ring + dedup + oracle;
    if (c->server.proto.dedup_mode == HERD_DEDUP_LOCAL) b += (uint64_t)c->servers * dedup;
    return b;
}

/* Refuse, before anything is allocated, a world that cannot fit in this machine's memory. */
static void check_memory(rd *r, const herd_world_config *c)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return; /* unknown: nothing to compare with */
    uint64_t have = (uint64_t)pages * (uint64_t)page;
    uint64_t need = world_bytes_estimate(c);
    if (need <= have) return;
    const herd_cfg_node *w = herd_cfg_get(r->root, "world");
    const herd_cfg_node *at = herd_cfg_get(w, "clients");
    const double gib = 1024.0 * 1024.0 * 1024.0;
    if (need == UINT64_MAX)
        herd_cfg_errorf(r->d, at ? at : w, "world.clients: this world needs more memory than can be counted "
                        "(clients, rooms, messages stored, dedup records, accept queues); the machine has %.1f GiB",
                        (double)have / gib);
    else
        herd_cfg_errorf(r->d, at ? at : w, "world.clients: this world would touch at least %.1f GiB of memory (clients, "
                        "rooms, messages stored, dedup records, accept queues), but the machine has %.1f GiB",
                        (double)need / gib, (double)have / gib);
}

static int read_all(herd_scenario *sc, unsigned flags, char *err, size_t err_len)
{
    static const char *const top[] = {"run", "world", "network", "accept", "lb", "client", "server", "store",
                                      "workload", "oracle", "faults", "expect", "protocol", "trace", NULL};
    rd r = {sc->doc, herd_cfg_root(sc->doc), flags};
    herd_world_config *c = &sc->world;
    herd_world_config_defaults(c);
    herd_trace_sel_default(&sc->trace);
    if (r.root && !herd_cfg_is_map(r.root)) herd_cfg_errorf(r.d, r.root, "a scenario is a mapping of sections");
    if (r.root && herd_cfg_is_map(r.root)) {
        herd_cfg_check_keys(r.d, r.root, "the scenario", top);
        read_run(&r, c);
        read_world(&r, c);
        read_network(&r, c);
        read_accept(&r, c);
        read_lb(&r, c);
        read_client(&r, c);
        read_server_store(&r, c);
        read_protocol(&r, c);
        read_workload(&r, c);
        read_oracle(&r, c);
        read_faults(&r, c);
        read_expect(&r, &sc->expect);
        read_trace(&r, &sc->trace);
        if (!herd_cfg_failed(sc->doc)) check_start_spread(&r, c);
        if (!herd_cfg_failed(sc->doc)) check_faults(&r, c);
        if (!herd_cfg_failed(sc->doc)) check_workload(&r, c);
        if (!herd_cfg_failed(sc->doc)) check_expect(&r, c, &sc->expect);
        if (!herd_cfg_failed(sc->doc)) check_memory(&r, c);
    }
    if (herd_cfg_failed(sc->doc)) {
        snprintf(err, err_len, "%s", herd_cfg_error(sc->doc));
        return herd_cfg_error_exit(sc->doc);
    }
    char why[200];
    if (herd_world_config_validate(c, why, sizeof why) != HERD_OK) {
        snprintf(err, err_len, "%s: %s", herd_cfg_name(sc->doc), why);
        return HERD_EXIT_DATAERR;
    }
    return 0;
}

int herd_scenario_load(herd_scenario *sc, const char *path, const char *const *sets, size_t nsets,
                       char *err, size_t err_len)
{
    return herd_scenario_load_flags(sc, path, sets, nsets, 0, err, err_len);
}

int herd_scenario_load_flags(herd_scenario *sc, const char *path, const char *const *sets, size_t nsets,
                             unsigned flags, char *err, size_t err_len)
{
    *sc = (herd_scenario){0};
    sc->doc = herd_cfg_load_file(path);
    if (!sc->doc) {
        snprintf(err, err_len, "%s: out of memory", path);
        return HERD_EXIT_SOFTWARE;
    }
    for (size_t i = 0; i < nsets && !herd_cfg_failed(sc->doc); i++) herd_cfg_set(sc->doc, sets[i]);
    return read_all(sc, flags, err, err_len);
}

int herd_scenario_load_string(herd_scenario *sc, const char *name, const char *text, char *err, size_t err_len)
{
    *sc = (herd_scenario){0};
    sc->doc = herd_cfg_load_string(name, text);
    if (!sc->doc) return HERD_EXIT_SOFTWARE;
    return read_all(sc, 0, err, err_len);
}

void herd_scenario_free(herd_scenario *sc)
{
    herd_cfg_free(sc->doc);
    sc->doc = NULL;
}
