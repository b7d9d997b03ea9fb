/* test_scenario.c — scenario files: every section read into the world configuration,
 * and bad files refused with their exact "file:line:col: message" (65), nothing run. */
#include <criterion/criterion.h>
#include <string.h>

#include "error.h"
#include "exitcode.h"
#include "scenario.h"

static void expect_error(const char *text, const char *message)
{
    herd_scenario sc;
    char err[1200];
    int rc = herd_scenario_load_string(&sc, "s.yaml", text, err, sizeof err);
    cr_expect_eq(rc, HERD_EXIT_DATAERR, "rc %d for %s", rc, text);
    cr_expect_str_eq(err, message);
    herd_scenario_free(&sc);
}

Test(scenario, unknown_key_gets_a_suggestion)
{
    expect_error("world:\n  clinets: 5\n", "s.yaml:2:3: unknown key 'clinets' in world; did you mean 'clients'?");
    expect_error("wrold: {}\n", "s.yaml:1:1: unknown key 'wrold' in the scenario; did you mean 'world'?");
}

Test(scenario, out_of_range_value_is_named)
{
    expect_error("world:\n  clients: 0\n", "s.yaml:2:12: world.clients: 0 is out of range [1, 20000000]");
    expect_error("accept: {backlog: 2000000}\n",
                 "s.yaml:1:19: accept.backlog: 2000000 is out of range [1, 1048576]");
}

Test(scenario, bad_names_get_suggestions)
{
    expect_error("lb: {policy: stiky}\n", "s.yaml:1:14: unknown policy 'stiky'; did you mean 'sticky'? "
                                          "(one of: sticky, round_robin, least_conn, random, p2c)");
    expect_error("protocol: dedup_nne\n",
                 "s.yaml:1:11: unknown protocol 'dedup_nne'; did you mean 'dedup_none'? (one of: correct, "
                 "ack_before_persist, dedup_none, dedup_local, resend_off, no_gap_detection)");
    expect_error("faults:\n  - {kind: crsh, at: 1s}\n",
                 "s.yaml:2:12: unknown kind 'crsh'; did you mean 'crash'? (one of: crash, graceful_restart, "
                 "rolling_deploy, lb_restart, partition, net_burst, store_crash, offline)");
}

Test(scenario, missing_and_malformed_values)
{
    expect_error("faults:\n  - {kind: crash}\n", "s.yaml:2:5: missing required key 'at' in faults[0]");
    expect_error("faults:\n  - {kind: crash, at: 1s, servers: 3-1}\n",
                 "s.yaml:2:36: faults[0].servers: '3-1' is not a range (all, N or N-M)");
    expect_error("run: {duration: 10}\n",
                 "s.yaml:1:17: run.duration: '10' has no unit; did you mean '10ms'? (units: us, ms, s, m, h)");
    expect_error("faults:\n  - {kind: partition, at: 1s, a: clients, b: moon}\n",
                 "s.yaml:2:46: faults[0].b: 'moon' is not a group (clients, clients:N-M, servers, servers:N-M, lb, store)");
}

Test(scenario, sections_fill_the_world)
{
    herd_scenario sc;
    char err[1200];
    const char *text = "run: {duration: 90s, seed: 7, queue: heap}\n"
                       "world: {clients: 10k, rooms: 100, servers: 8}\n"
                       "network: {latency: 30ms, loss: 1%}\n"
                       "accept: {backlog: 128, workers: 2, handshake: 2ms}\n"
                       "lb: {policy: p2c, rate: 500}\n"
                       "client: {backoff: {policy: exponential, cap: 30s}, connect_timeout: 5s}\n"
                       "store: {durability: pg_sync, maxlen: 1000, dedup_window: 1h}\n"
                       "protocol: dedup_local\n"
                       "workload: {publish_interval: 1s, publishers: 25%}\n"
                       "faults:\n"
                       "  - {kind: graceful_restart, at: 10s, duration: 2s, servers: 0-3, code: 1001, drain: 5s}\n"
                       "  - {kind: partition, at: 20s, a: 'clients:0-99', b: servers, oneway: true}\n"
                       "expect: {safety: violated, violates: I2, recovers_within: never}\n";
    cr_assert_eq(herd_scenario_load_string(&sc, "s.yaml", text, err, sizeof err), 0, "%s", err);
    const herd_world_config *c = &sc.world;
    cr_expect_eq(c->seed, 7);
    cr_expect_eq(c->duration_us, 90000000);
    cr_expect_eq(c->queue_kind, HERD_QUEUE_HEAP);
    cr_expect_eq(c->clients, 10000);
    cr_expect_eq(c->store.rooms, 100);
    cr_expect_eq(c->loss_ppm, 10000);
    cr_expect_eq(c->backlog, 128);
    cr_expect_eq(c->lb_policy, HERD_LB_P2C);
    cr_expect_eq(c->lb_rate_per_s, 500);
    cr_expect_eq(c->client.backoff.kind, HERD_BACKOFF_EXPONENTIAL);
    cr_expect_eq(c->client.backoff.cap_us, 30000000);
    cr_expect_eq(c->store.durability, HERD_DURABLE_PG_SYNC);
    cr_expect_eq(c->server.proto.dedup_mode, HERD_DEDUP_LOCAL);
    cr_expect_eq(c->publishers_ppm, 250000);
    cr_expect_eq(c->workload_stop_us, 80000000, "publishing stops 10 s before the end by default");
    cr_expect_eq(c->fault_count, 2);
    cr_expect_eq(c->faults[0].kind, HERD_FAULT_GRACEFUL);
    cr_expect_eq(c->faults[0].first, 0);
    cr_expect_eq(c->faults[0].count, 4);
    cr_expect_eq(c->faults[0].code, 1001);
    cr_expect_eq(c->faults[1].a.kind, HERD_GROUP_CLIENTS);
    cr_expect_eq(c->faults[1].a.count, 100);
    cr_expect_eq(c->faults[1].oneway, 1);
    cr_expect_eq(sc.expect.safety, HERD_EXPECT_VIOLATED);
    cr_expect_eq(sc.expect.violates, HERD_INV_I2);
    cr_expect(sc.expect.recover_never);
    herd_scenario_free(&sc);
}

Test(scenario, reference_scenarios_load)
{
    static const char *const names[] = {"restart-fixed-1s", "restart-article-jitter",
                                        "restart-exponential-nojitter", "partition-cascade"};
    for (size_t i = 0; i < 4; i++) {
        char path[512], err[1200];
        snprintf(path, sizeof path, "%s/traces/scenarios/%s.yaml", HERD_SOURCE_DIR, names[i]);
        herd_scenario sc;
        cr_expect_eq(herd_scenario_load(&sc, path, NULL, 0, err, sizeof err), 0, "%s", err);
        herd_scenario_free(&sc);
    }
}
