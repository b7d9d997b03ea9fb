/* lb.c — the load balancer: which server a new connection goes to, and whether it may.
 *
 * Policies: sticky (rendezvous hashing on the client id: a client returns to the same
 * server while it is up, and only the clients of a failed server move), round robin,
 * least connections (open sessions + handshakes queued or running), random, and power
 * of two choices. The LB sees servers through health checks, so it learns that a server
 * died or came back health_lag_us late (it keeps routing to a dead one meanwhile, which
 * refuses); a draining server is taken out at once (an operator action). A token bucket
 * limits new connections per second; a SYN over the limit is dropped. Draws come from
 * (seed, client, LB ^ connection generation).
 *
 * The LB keeps its view up to date instead of scanning every server on each connection:
 * the count of eligible servers, and for least_conn a tournament tree over the servers
 * whose root is the smallest (load, index) among the eligible ones, the server a scan
 * would pick. Whoever changes a server's load or eligibility calls herd_lb_changed
 * (O(log servers)); debug builds check both against a scan on every pick. */
#include "world.h"

#include "check.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

static const char *const policy_names[HERD_LB_POLICY_COUNT + 1] = {
    "sticky", "round_robin", "least_conn", "random", "p2c", NULL,
};

const char *herd_lb_policy_name(int p) { return p >= 0 && p < HERD_LB_POLICY_COUNT ? policy_names[p] : "?"; }
const char *const *herd_lb_policy_names(void) { return policy_names; }

int herd_lb_policy_parse(const char *name)
{
    for (int i = 0; i < HERD_LB_POLICY_COUNT; i++)
        if (strcmp(name, policy_names[i]) == 0) return i;
    return HERD_EINVAL;
}

static bool eligible(const herd_world *w, uint32_t s)
{
    return w->servers[s].lb_up && !w->servers[s].draining;
}

static uint64_t load(const herd_world *w, uint32_t s)
{
    const herd_sim_server *v = &w->servers[s];
    return (uint64_t)v->conns + v->q_len + v->busy;
}

static bool rate_ok(herd_world *w)
{
    if (w->cfg.lb_rate_per_s == 0) return true;
    uint64_t cap = (uint64_t)w->cfg.lb_burst * 1000u;
    uint64_t dt = w->now - w->lb_tokens_at;
    /* thousandths of a token: rate tokens per second = rate / 1000 per ms */
    uint64_t add = dt / HERD_US_PER_MS * w->cfg.lb_rate_per_s;
    w->lb_tokens_at += dt / HERD_US_PER_MS * HERD_US_PER_MS;
    w->lb_tokens_milli = w->lb_tokens_milli + add > cap ? cap : w->lb_tokens_milli + add;
    if (w->lb_tokens_milli < 1000) return false;
    w->lb_tokens_milli -= 1000;
    return true;
}

#define LB_NONE UINT64_MAX

/* least_conn's key: load, then index, so the smallest is the scan's first lowest. */
static uint64_t lb_key(const herd_world *w, uint32_t s)
{
    return eligible(w, s) ? load(w, s) << 32 | s : LB_NONE;
}

int herd_lb_init(herd_world *w)
{
    uint32_t leaves = 1;
    while (leaves < w->cfg.servers) leaves *= 2u; /* servers <= HERD_WORLD_SERVERS_MAX */
    w->lb_leaves = leaves;
    w->lb_tree = malloc(sizeof *w->lb_tree * 2u * leaves);
    if (!w->lb_tree) return HERD_ENOSPACE;
    w->lb_eligible = 0;
    for (uint32_t i = 0; i < 2u * leaves; i++) w->lb_tree[i] = LB_NONE;
    for (uint32_t s = 0; s < w->cfg.servers; s++) {
        w->servers[s].lb_counted = eligible(w, s);
        w->lb_eligible += eligible(w, s);
        w->lb_tree[leaves + s] = lb_key(w, s);
    }
    for (uint32_t i = leaves - 1u; i >= 1u; i--) {
        uint64_t a = w->lb_tree[2u * i], b = w->lb_tree[2u * i + 1u];
        w->lb_tree[i] = a < b ? a : b;
    }
    return HERD_OK;
}

void herd_lb_changed(herd_world *w, uint32_t s)
{
    herd_sim_server *v = &w->servers[s];
    uint8_t e = eligible(w, s);
    if (e != v->lb_counted) {
        w->lb_eligible = w->lb_eligible - v->lb_counted + e;
        v->lb_counted = e;
    }
    if (w->cfg.lb_policy != HERD_LB_LEAST_CONN) return;
    uint32_t i = w->lb_leaves + s;
    w->lb_tree[i] = lb_key(w, s);
    for (i /= 2u; i >= 1u; i /= 2u) { /* log2(leaves) rounds */
        uint64_t a = w->lb_tree[2u * i], b = w->lb_tree[2u * i + 1u];
        uint64_t m = a < b ? a : b;
        if (w->lb_tree[i] == m) break; /* nothing above changes */
        w->lb_tree[i] = m;
    }
}

static int nth_eligible(const herd_world *w, uint64_t n)
{
    for (uint32_t s = 0; s < w->cfg.servers; s++)
        if (eligible(w, s) && n-- == 0) return (int)s;
    return -1;
}

static int pick_sticky(const herd_world *w, uint32_t client)
{
    int best = -1;
    uint64_t best_score = 0;
    for (uint32_t s = 0; s < w->cfg.servers; s++) {
        if (!eligible(w, s)) continue;
        uint64_t k = ((uint64_t)client << 32 | s) ^ w->cfg.seed;
        uint64_t score = herd_splitmix64(&k);
        if (best < 0 || score > best_score) {
            best = (int)s;
            best_score = score;
        }
    }
    return best;
}

static int pick_least_scan(const herd_world *w)
{
    int best = -1;
    uint64_t best_load = 0;
    for (uint32_t s = 0; s < w->cfg.servers; s++) {
        if (!eligible(w, s)) continue;
        uint64_t l = load(w, s);
        if (best < 0 || l < best_load) {
            best = (int)s;
            best_load = l;
        }
    }
    return best;
}

static uint32_t count_scan(const herd_world *w)
{
    uint32_t n = 0;
    for (uint32_t s = 0; s < w->cfg.servers; s++) n += eligible(w, s);
    return n;
}

static int pick_least(const herd_world *w)
{
    uint64_t k = w->lb_tree[1];
    int best = k == LB_NONE ? -1 : (int)(uint32_t)k;
    herd_assert_debug(best == pick_least_scan(w));
    return best;
}

int herd_lb_pick(herd_world *w, uint32_t client, uint32_t conn, bool *rate_limited)
{
    *rate_limited = false;
    uint32_t n = w->lb_eligible;
    herd_assert_debug(n == count_scan(w));
    if (n == 0) return -1;
    if (!rate_ok(w)) {
        *rate_limited = true;
        return -1;
    }
    herd_rng r;
    switch (w->cfg.lb_policy) {
    case HERD_LB_STICKY: return pick_sticky(w, client);
    case HERD_LB_ROUND_ROBIN: return nth_eligible(w, w->rr_next++ % n);
    case HERD_LB_LEAST_CONN: return pick_least(w);
    case HERD_LB_RANDOM:
        herd_rng_derive(&r, w->cfg.seed, client, HERD_RNG_LB | (uint64_t)conn << 8);
        return nth_eligible(w, herd_rng_below(&r, n));
    case HERD_LB_P2C: {
        herd_rng_derive(&r, w->cfg.seed, client, HERD_RNG_LB | (uint64_t)conn << 8);
        int a = nth_eligible(w, herd_rng_below(&r, n)), b = nth_eligible(w, herd_rng_below(&r, n));
        return load(w, (uint32_t)b) < load(w, (uint32_t)a) ? b : a;
    }
    default: return -1;
    }
}

/* A server changed health: the LB notices after the health-check lag. */
void herd_lb_health_changed(herd_world *w, uint32_t server, bool up)
{
    herd_world_push(w, herd_time_add(w->now, w->cfg.health_lag_us), HERD_EV_LB_HEALTH, server, up);
}
