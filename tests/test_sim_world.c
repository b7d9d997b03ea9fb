/* test_sim_world.c — each model of the simulated world against what it claims to model:
 * the accept queue drops SYNs beyond its backlog; a dropped SYN is retransmitted 1, 3, 7,
 * 15, 31 s after the first; the load balancer's policies spread or pin connections as
 * documented; a store crash loses exactly what its durability mode says; a one-way
 * partition cuts one direction only; the same seed gives the same trace on both queues.
 * Each dropped SYN is counted under exactly its cause (backlog full, LB down, LB rate
 * limit, network loss, partition): loss, cuts and the rate limit are never counted as the
 * accept queue overflowing, which once showed thousands of "accept queue full" drops
 * beside a queue that never held more than two. */
#include <criterion/criterion.h>
#include <string.h>

#include "error.h"
#include "rng.h"
#include "world.h"
#include "sim_fixture.h"

static herd_world_config base(uint32_t clients, uint32_t servers)
{
    herd_world_config c = herd_test_world_config(clients, servers);
    c.latency_us = 0;
    return c;
}

static void run(herd_world *w, const herd_world_config *c) { herd_test_world_run(w, c); }

/* Every SYN-drop counter, total and per cause, and the total is their sum; the per-row
 * series adds up to the same (the last row ends at the run's end). */
static void expect_syn_drops(const herd_world *w, uint64_t backlog_full, uint64_t lb_down, uint64_t rate_limited,
                             uint64_t net_loss, uint64_t partition)
{
    const uint64_t *t = w->metrics.total;
    const uint64_t want[HERD_SYN_DROP_CAUSE_COUNT] = {backlog_full, lb_down, rate_limited, net_loss, partition};
    for (int k = 0; k < HERD_SYN_DROP_CAUSE_COUNT; k++)
        cr_expect_eq(t[HERD_M_SYN_DROPS_BACKLOG_FULL + k], want[k], "%s: %lu, want %lu",
                     herd_metric_counter_name(HERD_M_SYN_DROPS_BACKLOG_FULL + k),
                     (unsigned long)t[HERD_M_SYN_DROPS_BACKLOG_FULL + k], (unsigned long)want[k]);
    cr_expect_eq(t[HERD_M_SYN_DROPS], backlog_full + lb_down + rate_limited + net_loss + partition);
    for (int k = HERD_M_SYN_DROPS; k < HERD_M_COUNTER_COUNT; k = k == HERD_M_SYN_DROPS ? HERD_M_APPENDED : k + 1) {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < w->metrics.rows_len; i++) sum += w->metrics.rows[i].c[k];
        cr_expect_eq(sum, t[k], "rows of %s add up to %lu", herd_metric_counter_name(k), (unsigned long)sum);
    }
}

/* Run with the world changed after init (an LB down or a cut for the whole run). */
static void run_changed(herd_world *w, const herd_world_config *c, void (*change)(herd_world *))
{
    char why[200];
    cr_assert_eq(herd_world_config_validate(c, why, sizeof why), HERD_OK, "%s", why);
    cr_assert_eq(herd_world_init(w, c), HERD_OK);
    change(w);
    cr_assert_eq(herd_world_run(w), HERD_OK);
}

static uint64_t peak_accept_queue(const herd_world *w)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < w->metrics.rows_len; i++)
        if (w->metrics.rows[i].g[HERD_G_ACCEPT_QUEUE] > m) m = w->metrics.rows[i].g[HERD_G_ACCEPT_QUEUE];
    return m;
}

Test(accept, drops_beyond_the_backlog)
{
    /* 100 SYNs at once; one worker takes one, the backlog holds 10, the rest are dropped. */
    herd_world_config c = base(100, 1);
    c.backlog = 10;
    c.workers = 1;
    c.handshake_us = 100 * (herd_time)HERD_US_PER_S;
    c.duration_us = 500 * HERD_US_PER_MS;
    herd_world w;
    run(&w, &c);
    cr_expect_eq(w.metrics.total[HERD_M_SYN_DROPS], 89);
    expect_syn_drops(&w, 89, 0, 0, 0, 0);
    cr_expect_eq(w.servers[0].q_len, 10);
    cr_expect_eq(w.servers[0].busy, 1);
    cr_expect_eq(w.oracle.count[HERD_INV_I7], 0);
    herd_world_free(&w);
}

Test(accept, syn_retransmissions_at_1_3_7_15_31_s)
{
    /* Three clients, one worker busy for ever, a backlog of one: the third client's SYN is
     * dropped every time; the kernel retries at 1, 3, 7, 15, 31 s, then gives up (63 s). */
    herd_world_config c = base(3, 1);
    c.backlog = 1;
    c.workers = 1;
    c.handshake_us = 1000 * (herd_time)HERD_US_PER_S;
    c.client.connect_timeout_us = 0;
    c.duration_us = 40 * (herd_time)HERD_US_PER_S;
    herd_world w;
    run(&w, &c);
    static const herd_time want[] = {0, 1, 3, 7, 15, 31};
    uint32_t n = 0;
    for (uint32_t i = 0; i < w.metrics.rows_len; i++) {
        const herd_metrics_row *r = &w.metrics.rows[i];
        if (r->c[HERD_M_SYN_DROPS] == 0) continue;
        cr_assert_lt(n, 6);
        herd_time at_s = r->t_us / HERD_US_PER_S; /* a SYN at exactly k s ends the row at k s */
        cr_expect_eq(at_s, want[n], "drop %u in the row ending at %lu us", n, (unsigned long)r->t_us);
        cr_expect_eq(r->c[HERD_M_SYN_DROPS], 1);
        n++;
    }
    cr_expect_eq(n, 6);
    cr_expect_eq(herd_world_client(&w, 2)->state, HERD_CLIENT_CONNECTING, "no app timeout: still connecting");
    herd_world_free(&w);
}

/* Ten clients that keep one attempt for the whole 10 s run: SYNs at 0, 1, 3 and 7 s. */
static herd_world_config ten_syns_each(void)
{
    herd_world_config c = base(10, 2);
    c.client.connect_timeout_us = 0;
    return c;
}

static void lb_down(herd_world *w) { w->lb_up = 0; }

static void cut(herd_world *w, uint8_t a, uint8_t b)
{
    w->partitions[0] = (herd_partition){{a, 0, 0}, {b, 0, 0}, 0, HERD_TIME_NEVER};
    w->partition_count = 1;
}

static void cut_clients_lb(herd_world *w) { cut(w, HERD_GROUP_CLIENTS, HERD_GROUP_LB); }
static void cut_lb_servers(herd_world *w) { cut(w, HERD_GROUP_LB, HERD_GROUP_SERVERS); }

Test(syn_drops, lb_down_counts_only_lb_down)
{
    herd_world_config c = ten_syns_each();
    herd_world w;
    run_changed(&w, &c, lb_down);
    expect_syn_drops(&w, 0, 40, 0, 0, 0);
    herd_world_free(&w);
}

Test(syn_drops, every_syn_lost_counts_only_network_loss)
{
    herd_world_config c = ten_syns_each();
    c.loss_ppm = 1000000;
    herd_world w;
    run(&w, &c);
    expect_syn_drops(&w, 0, 0, 0, 40, 0);
    herd_world_free(&w);
}

Test(syn_drops, a_cut_on_either_hop_counts_only_partition)
{
    herd_world_config c = ten_syns_each();
    herd_world w;
    run_changed(&w, &c, cut_clients_lb);
    expect_syn_drops(&w, 0, 0, 0, 0, 40);
    herd_world_free(&w);
    run_changed(&w, &c, cut_lb_servers);
    expect_syn_drops(&w, 0, 0, 0, 0, 40);
    herd_world_free(&w);
}

Test(syn_drops, the_lb_rate_limit_counts_only_rate_limited)
{
    /* One token a second, a bucket of one: at 0 s one SYN of 10 passes, at 1 s one of the
     * 9 retransmitted, at 3 s one of 8, at 7 s one of 7: 9 + 8 + 7 + 6 dropped. */
    herd_world_config c = ten_syns_each();
    c.lb_rate_per_s = 1;
    c.lb_burst = 1;
    herd_world w;
    run(&w, &c);
    expect_syn_drops(&w, 0, 0, 30, 0, 0);
    cr_expect_eq(w.metrics.total[HERD_M_ACCEPTS], 4);
    herd_world_free(&w);
}

Test(syn_drops, loss_cuts_and_rate_limit_with_a_queue_never_full_are_no_backlog_drops)
{
    /* The case found: thousands of SYNs dropped by loss, a cut and the LB's rate limit,
     * while the accept queues never fill; not one of them is an accept-queue overflow. */
    herd_world_config c = base(5000, 2);
    c.start_spread_us = 2 * (herd_time)HERD_US_PER_S;
    c.handshake_us = 50;
    c.backlog = 64;
    c.loss_ppm = 200000;
    c.lb_rate_per_s = 2000;
    c.lb_burst = 50;
    c.fault_count = 1;
    c.faults[0] = (herd_fault){.kind = HERD_FAULT_PARTITION, .at_us = HERD_US_PER_S, .duration_us = HERD_US_PER_S,
                               .a = {HERD_GROUP_CLIENTS, 0, 1000}, .b = {HERD_GROUP_LB, 0, 0}};
    herd_world w;
    run(&w, &c);
    const uint64_t *t = w.metrics.total;
    cr_expect_lt(peak_accept_queue(&w), c.backlog, "the queues never fill");
    cr_expect_gt(t[HERD_M_SYN_DROPS], 1000, "%lu SYNs dropped", (unsigned long)t[HERD_M_SYN_DROPS]);
    cr_expect_eq(t[HERD_M_SYN_DROPS_BACKLOG_FULL], 0, "%lu counted as accept queue full",
                 (unsigned long)t[HERD_M_SYN_DROPS_BACKLOG_FULL]);
    cr_expect_gt(t[HERD_M_SYN_DROPS_NET_LOSS], 0);
    cr_expect_gt(t[HERD_M_SYN_DROPS_PARTITION], 0);
    cr_expect_gt(t[HERD_M_SYN_DROPS_LB_RATE_LIMITED], 0);
    cr_expect_eq(t[HERD_M_SYN_DROPS_LB_DOWN], 0);
    expect_syn_drops(&w, 0, 0, t[HERD_M_SYN_DROPS_LB_RATE_LIMITED], t[HERD_M_SYN_DROPS_NET_LOSS],
                     t[HERD_M_SYN_DROPS_PARTITION]);
    herd_world_free(&w);
}

Test(accept, handshakes_for_clients_that_gave_up_are_wasted)
{
    /* 50 clients, 10 handshakes/s, a 1 s connect timeout: most wait longer than that. */
    herd_world_config c = base(50, 1);
    c.workers = 1;
    c.handshake_us = 100 * HERD_US_PER_MS;
    c.client.connect_timeout_us = HERD_US_PER_S;
    c.duration_us = 3 * (herd_time)HERD_US_PER_S;
    herd_world w;
    run(&w, &c);
    cr_expect_gt(w.metrics.total[HERD_M_WASTED], 0);
    cr_expect_leq(w.metrics.total[HERD_M_ACCEPTS], 30);
    herd_world_free(&w);
}

static void spread(int policy, uint32_t conns[4])
{
    herd_world_config c = base(1000, 4);
    c.lb_policy = (uint8_t)policy;
    c.duration_us = 2 * (herd_time)HERD_US_PER_S;
    c.workers = 64;
    herd_world w;
    run(&w, &c);
    cr_expect_eq(w.state_count[HERD_CLIENT_LIVE], 1000);
    for (int s = 0; s < 4; s++) conns[s] = w.servers[s].conns;
    herd_world_free(&w);
}

Test(lb, round_robin_and_least_conn_balance_exactly)
{
    uint32_t k[4];
    spread(HERD_LB_ROUND_ROBIN, k);
    for (int s = 0; s < 4; s++) cr_expect_eq(k[s], 250);
    spread(HERD_LB_LEAST_CONN, k);
    for (int s = 0; s < 4; s++) cr_expect_eq(k[s], 250);
}

/* least_conn picks from a tree the LB keeps up to date (lb.c): after any sequence of load
 * and eligibility changes, each reported with herd_lb_changed, it picks what a scan picks
 * (lowest load, then lowest index), and counts the eligible servers as a scan does. */
Test(lb, least_conn_tree_picks_what_a_scan_picks)
{
    herd_world_config c = base(10, 13); /* 13 servers: a 16-leaf tree with empty leaves */
    c.lb_policy = HERD_LB_LEAST_CONN;
    herd_world w;
    cr_assert_eq(herd_world_init(&w, &c), HERD_OK);
    herd_rng g;
    herd_rng_seed(&g, 7);
    for (int step = 0; step < 20000; step++) {
        uint32_t s = (uint32_t)herd_rng_below(&g, c.servers);
        herd_sim_server *v = &w.servers[s];
        switch (herd_rng_below(&g, 5)) {
        case 0: v->conns = (uint32_t)herd_rng_below(&g, 6); break;
        case 1: v->q_len = (uint32_t)herd_rng_below(&g, 3); break;
        case 2: v->busy = (uint32_t)herd_rng_below(&g, 3); break;
        case 3: v->lb_up = (uint8_t)(herd_rng_below(&g, 4) != 0); break;
        default: v->draining = (uint8_t)(herd_rng_below(&g, 6) == 0); break;
        }
        herd_lb_changed(&w, s);
        int want = -1;
        uint32_t n = 0;
        uint64_t best = 0;
        for (uint32_t k = 0; k < c.servers; k++) {
            const herd_sim_server *x = &w.servers[k];
            if (!x->lb_up || x->draining) continue;
            n++;
            uint64_t l = (uint64_t)x->conns + x->q_len + x->busy;
            if (want < 0 || l < best) want = (int)k, best = l;
        }
        bool limited;
        cr_assert_eq(w.lb_eligible, n, "step %d", step);
        cr_assert_eq(herd_lb_pick(&w, 0, 1, &limited), want, "step %d", step);
    }
    herd_world_free(&w);
}

Test(lb, random_and_p2c_use_every_server_and_p2c_is_tighter)
{
    uint32_t r[4], p[4];
    spread(HERD_LB_RANDOM, r);
    spread(HERD_LB_P2C, p);
    uint32_t rmin = UINT32_MAX, rmax = 0, pmin = UINT32_MAX, pmax = 0;
    for (int s = 0; s < 4; s++) {
        cr_expect_gt(r[s], 150);
        rmin = r[s] < rmin ? r[s] : rmin;
        rmax = r[s] > rmax ? r[s] : rmax;
        pmin = p[s] < pmin ? p[s] : pmin;
        pmax = p[s] > pmax ? p[s] : pmax;
    }
    cr_expect_leq(pmax - pmin, rmax - rmin);
}

Test(lb, sticky_brings_a_client_back_to_its_server)
{
    herd_world_config c = base(400, 4);
    c.lb_policy = HERD_LB_STICKY;
    c.duration_us = 30 * (herd_time)HERD_US_PER_S;
    c.fault_count = 1;
    c.faults[0] = (herd_fault){.kind = HERD_FAULT_LB_RESTART, .at_us = 5 * (herd_time)HERD_US_PER_S,
                               .duration_us = HERD_US_PER_S};
    herd_world w;
    cr_assert_eq(herd_world_init(&w, &c), HERD_OK);
    herd_event ev;
    (void)ev;
    /* Run to just before the fault, remember each client's server, then run on. */
    w.cfg.duration_us = 4 * (herd_time)HERD_US_PER_S;
    cr_assert_eq(herd_world_run(&w), HERD_OK);
    uint16_t before[400];
    for (int i = 0; i < 400; i++) before[i] = herd_world_sim(&w, i)->server;
    w.cfg.duration_us = 30 * (herd_time)HERD_US_PER_S;
    cr_assert_eq(herd_world_run(&w), HERD_OK);
    cr_expect_eq(w.state_count[HERD_CLIENT_LIVE], 400);
    cr_expect_geq(herd_world_client(&w, 0)->conn, 2, "every client reconnected after the LB restart");
    for (int i = 0; i < 400; i++) cr_expect_eq(herd_world_sim(&w, i)->server, before[i], "client %d moved", i);
    herd_world_free(&w);
}

static uint64_t lost_writes_after_crash(int durability)
{
    herd_world_config c = base(200, 2);
    c.rooms = c.store.rooms = 50;
    c.publish_interval_us = 50 * HERD_US_PER_MS;
    c.store.durability = (uint8_t)durability;
    c.store.dedup_capacity = 1u << 16;
    c.oracle_capacity = 1u << 16;
    c.fault_count = 1;
    c.faults[0] = (herd_fault){.kind = HERD_FAULT_STORE_CRASH, .at_us = 3 * (herd_time)HERD_US_PER_S + 500000,
                               .duration_us = HERD_US_PER_S};
    herd_world w;
    run(&w, &c);
    uint64_t lost = w.store->lost_writes;
    cr_expect_eq(w.store->crashes, 1);
    if (durability == HERD_DURABLE_AOF_ALWAYS || durability == HERD_DURABLE_PG_SYNC)
        cr_expect(herd_oracle_safe(&w.oracle), "%s", w.oracle.first_msg);
    else
        cr_expect_gt(w.oracle.count[HERD_INV_I1], 0, "ACKed writes lost: I1");
    herd_world_free(&w);
    return lost;
}

Test(store, crash_loses_what_the_durability_mode_says)
{
    cr_expect_eq(lost_writes_after_crash(HERD_DURABLE_AOF_ALWAYS), 0);
    cr_expect_eq(lost_writes_after_crash(HERD_DURABLE_PG_SYNC), 0);
    cr_expect_gt(lost_writes_after_crash(HERD_DURABLE_AOF_EVERYSEC), 0);
    cr_expect_gt(lost_writes_after_crash(HERD_DURABLE_NONE), 0);
}

Test(net, a_one_way_partition_cuts_one_direction)
{
    herd_world_config c = base(10, 2);
    herd_world w;
    cr_assert_eq(herd_world_init(&w, &c), HERD_OK);
    herd_group a, b;
    cr_assert_eq(herd_group_parse("clients:0-4", &a), HERD_OK);
    cr_assert_eq(herd_group_parse("servers", &b), HERD_OK);
    w.partitions[0] = (herd_partition){a, b, 1, 5 * (herd_time)HERD_US_PER_S};
    w.partition_count = 1;
    herd_group c3 = {HERD_GROUP_CLIENTS, 3, 1}, c7 = {HERD_GROUP_CLIENTS, 7, 1}, s1 = {HERD_GROUP_SERVERS, 1, 1};
    cr_expect_eq(herd_net_path_open_at(&w, c3, s1), 5 * (herd_time)HERD_US_PER_S, "client 3 -> server: cut");
    cr_expect_eq(herd_net_path_open_at(&w, s1, c3), 0, "server -> client 3: open (one way)");
    cr_expect_eq(herd_net_path_open_at(&w, c7, s1), 0, "client 7 is outside the group");
    w.partitions[0].oneway = 0;
    cr_expect_eq(herd_net_path_open_at(&w, s1, c3), 5 * (herd_time)HERD_US_PER_S, "two-way: both cut");
    herd_world_free(&w);
}

Test(net, one_way_partition_in_a_run_stops_acks_not_publishes)
{
    /* Servers -> clients cut: publishes arrive and are appended, ACKs wait; the clients
     * time out and resend, and the store's dedup keeps it exactly once. */
    herd_world_config c = base(100, 2);
    c.rooms = c.store.rooms = 10;
    c.publish_interval_us = 200 * HERD_US_PER_MS;
    c.client.ack_timeout_us = HERD_US_PER_S;
    c.store.dedup_capacity = 1u << 16;
    c.oracle_capacity = 1u << 16;
    c.duration_us = 20 * (herd_time)HERD_US_PER_S;
    c.fault_count = 1;
    c.faults[0] = (herd_fault){.kind = HERD_FAULT_PARTITION, .at_us = 3 * (herd_time)HERD_US_PER_S,
                               .duration_us = 3 * (herd_time)HERD_US_PER_S, .oneway = 1,
                               .a = {HERD_GROUP_SERVERS, 0, 0}, .b = {HERD_GROUP_CLIENTS, 0, 0}};
    herd_world w;
    run(&w, &c);
    cr_expect(herd_oracle_safe(&w.oracle), "%s", w.oracle.first_msg);
    cr_expect_gt(herd_world_client(&w, 0)->conn, 1, "ACK timeouts made clients reconnect");
    cr_expect_eq(w.metrics.total[HERD_M_ACKED], w.metrics.total[HERD_M_PUBLISHED]);
    herd_world_free(&w);
}

Test(world, same_seed_same_trace_on_both_queues)
{
    char h1[33], h2[33], h3[33];
    herd_world_config c = base(300, 3);
    c.rooms = c.store.rooms = 10;
    c.publish_interval_us = 300 * HERD_US_PER_MS;
    c.jitter_us = 5000;
    c.latency_us = 10000;
    c.fault_count = 1;
    c.faults[0] = (herd_fault){.kind = HERD_FAULT_CRASH, .at_us = 3 * (herd_time)HERD_US_PER_S,
                               .duration_us = HERD_US_PER_S, .count = 1};
    herd_world w;
    run(&w, &c);
    herd_world_trace_hex(&w, h1);
    herd_world_free(&w);
    c.queue_kind = HERD_QUEUE_HEAP;
    run(&w, &c);
    herd_world_trace_hex(&w, h2);
    herd_world_free(&w);
    c.seed = 2;
    run(&w, &c);
    herd_world_trace_hex(&w, h3);
    herd_world_free(&w);
    cr_expect_str_eq(h1, h2);
    cr_expect_str_neq(h1, h3);
}
