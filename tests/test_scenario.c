/* test_scenario.c — scenario files: every section read into the world configuration,
 * and bad files refused with their exact "file:line:col: message" (65), nothing run. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "churn.h"
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
                 "ack_before_persist, dedup_none, dedup_local, resend_off, forget_unacked, no_gap_detection)");
    expect_error("faults:\n  - {kind: crsh, at: 1s}\n",
                 "s.yaml:2:12: unknown kind 'crsh'; did you mean 'crash'? (one of: crash, graceful_restart, "
                 "rolling_deploy, lb_restart, partition, net_burst, store_crash, offline, churn)");
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

/* Every shipped scenario, the full-size ones too, passes the checks below: none of them is
 * misread or vacuous. Returns how many files were loaded. */
static int load_dir(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d != NULL, "cannot open %s", dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
        char path[1024], err[1200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        herd_scenario sc;
        cr_expect_eq(herd_scenario_load(&sc, path, NULL, 0, err, sizeof err), 0, "%s", err);
        herd_scenario_free(&sc);
        n++;
    }
    closedir(d);
    return n;
}

Test(scenario, reference_scenarios_load)
{
    cr_expect_geq(load_dir(HERD_SOURCE_DIR "/traces/scenarios"), 20);
    cr_expect_geq(load_dir(HERD_SOURCE_DIR "/traces/scenarios/full"), 7);
}

/* A small world with a fault, publishing: what the checks below vary. */
#define WORLD "run: {duration: 60s}\nworld: {clients: 100, rooms: 10, servers: 2}\n"
#define PUBLISH "workload: {publish_interval: 2s}\n"
#define CRASH "faults:\n  - {kind: crash, at: 10s}\n"

static void expect_loads(const char *text)
{
    herd_scenario sc;
    char err[1200];
    cr_expect_eq(herd_scenario_load_string(&sc, "s.yaml", text, err, sizeof err), 0, "%s: %s", text, err);
    herd_scenario_free(&sc);
}

/* Issue 16: a key of another fault kind was read by nobody, and the fault hit everything. */
Test(scenario, fault_keys_are_checked_per_kind)
{
    expect_error(WORLD "faults:\n  - {kind: offline, servers: 1, at: 5s}\n",
                 "s.yaml:4:21: key 'servers' does not apply to a fault of kind 'offline' "
                 "(its keys: kind, at, duration, clients)");
    expect_error(WORLD "faults:\n  - {kind: crash, clients: 0-10, loss: 50%, code: 1000, at: 5s}\n",
                 "s.yaml:4:19: key 'clients' does not apply to a fault of kind 'crash' (its keys: kind, at, duration, servers)");
    expect_error(WORLD "faults:\n  - {kind: lb_restart, at: 5s, oneway: true}\n",
                 "s.yaml:4:32: key 'oneway' does not apply to a fault of kind 'lb_restart' (its keys: kind, at, duration)");
    expect_error(WORLD "faults:\n  - {kind: partition, at: 5s, a: clients, b: lb, drain: 1s}\n",
                 "s.yaml:4:50: key 'drain' does not apply to a fault of kind 'partition' "
                 "(its keys: kind, at, duration, a, b, oneway)");
    /* A key of no kind at all is still an unknown key, with its suggestion. */
    expect_error(WORLD "faults:\n  - {kind: crash, at: 5s, sevrers: 1}\n",
                 "s.yaml:4:27: unknown key 'sevrers' in faults[]; did you mean 'servers'?");
    /* Each kind's own keys. */
    expect_loads(WORLD "faults:\n  - {kind: offline, clients: 0-9, at: 5s, duration: 2s}\n"
                       "  - {kind: rolling_deploy, at: 10s, servers: all, interval: 2s, code: 1001, drain: 1s, retry_after: 1s}\n"
                       "  - {kind: net_burst, at: 20s, loss: 1%, latency: 10ms}\n"
                       "  - {kind: store_crash, at: 30s}\n");
}

Test(scenario, faults_must_heal_and_do_something)
{
    expect_error(WORLD "faults:\n  - {kind: crash, at: 50s, duration: 20s}\n",
                 "s.yaml:4:38: faults[0].duration: this crash heals at 70s, after the end of the run (1m), "
                 "so recovery (L1) could never be judged");
    /* A rolling deploy heals when its last server is back: 10s + 1 x 60s + 1s here. */
    expect_error(WORLD "faults:\n  - {kind: rolling_deploy, at: 10s, interval: 60s, servers: 0-1}\n",
                 "s.yaml:4:47: faults[0].interval: this rolling_deploy heals at 71s, after the end of the run (1m), "
                 "so recovery (L1) could never be judged");
    expect_error(WORLD "faults:\n  - {kind: net_burst, at: 5s}\n",
                 "s.yaml:4:12: faults[0].kind: a net_burst with neither loss nor latency changes nothing");
}

/* Mobile churn (issue 20): its keys and the three offline-time forms, read into the fault. */
Test(scenario, churn_keys_fill_the_fault)
{
    herd_scenario sc;
    char err[1200];
    const char *text = WORLD "faults:\n"
                       "  - {kind: churn, at: 5s, duration: 30s, clients: 10-59, fraction: 25%, interval: 20s, offline: 4s}\n"
                       "  - {kind: churn, at: 5s, duration: 30s, fraction: 50%, interval: 1s,\n"
                       "     offline: {dist: uniform, min: 1s, max: 9s}}\n"
                       "  - {kind: churn, at: 5s, duration: 30s, fraction: 1, interval: 100ms,\n"
                       "     offline: {dist: exponential, mean: 1500ms}}\n";
    cr_assert_eq(herd_scenario_load_string(&sc, "s.yaml", text, err, sizeof err), 0, "%s", err);
    const herd_fault *f = sc.world.faults;
    cr_expect_eq(f[0].kind, HERD_FAULT_CHURN);
    cr_expect_eq(f[0].first, 10);
    cr_expect_eq(f[0].count, 50);
    cr_expect_eq(f[0].fraction_ppm, 250000);
    cr_expect_eq(f[0].interval_us, 20000000);
    cr_expect_eq(f[0].duration_us, 30000000);
    cr_expect_eq(f[0].off_dist, HERD_CHURN_FIXED);
    cr_expect_eq(f[0].off_a_us, 4000000);
    cr_expect_eq(f[1].count, 0, "clients: all by default");
    cr_expect_eq(f[1].off_dist, HERD_CHURN_UNIFORM);
    cr_expect_eq(f[1].off_a_us, 1000000);
    cr_expect_eq(f[1].off_b_us, 9000000);
    cr_expect_eq(f[2].fraction_ppm, 1000000);
    cr_expect_eq(f[2].off_dist, HERD_CHURN_EXPONENTIAL);
    cr_expect_eq(f[2].off_a_us, 1500000);
    herd_scenario_free(&sc);
}

Test(scenario, churn_keys_are_checked)
{
#define CHURN(rest) WORLD "faults:\n  - {kind: churn, at: 5s, duration: 30s, " rest "}\n"
    expect_error(CHURN("interval: 10s, offline: 1s"), "s.yaml:4:5: missing required key 'fraction' in faults[0]");
    expect_error(CHURN("fraction: 10%, offline: 1s"), "s.yaml:4:5: missing required key 'interval' in faults[0]");
    expect_error(CHURN("fraction: 10%, interval: 10s"), "s.yaml:4:5: missing required key 'offline' in faults[0]");
    expect_error(CHURN("fraction: 10%, interval: 10s, offline: 1s, code: 1001"),
                 "s.yaml:4:85: key 'code' does not apply to a fault of kind 'churn' "
                 "(its keys: kind, at, duration, clients, fraction, interval, offline)");
    expect_error(CHURN("fraction: 10%, interval: 10s, offline: {dist: fixed, mean: 1s}"),
                 "s.yaml:4:95: key 'mean' does not apply to an offline time of dist 'fixed' (its keys: dist, time)");
    expect_error(CHURN("fraction: 10%, interval: 10s, offline: {min: 1s, max: 2s}"),
                 "s.yaml:4:81: missing required key 'dist' in faults[0].offline");
    expect_error(CHURN("fraction: 10%, interval: 10s, offline: {dist: uniform, min: 3s, max: 2s}"),
                 "s.yaml:4:102: faults[0].offline.min: 3s is more than max (2s): no offline time lies between them");
    expect_error(CHURN("fraction: 10%, interval: 10s, offline: 0s"),
                 "s.yaml:4:81: faults[0].offline: 0s is out of range [1ms, 8760h]");
    expect_error(CHURN("fraction: 0.5%, interval: 10s, offline: 1s"),
                 "s.yaml:4:52: faults[0].fraction: 0.5% of 100 clients is less than one client expected to churn; "
                 "raise fraction or widen clients");
    expect_error(WORLD "faults:\n  - {kind: churn, at: 5s, fraction: 10%, interval: 10s, offline: 1s}\n",
                 "s.yaml:4:5: missing required key 'duration' in faults[0]");
#undef CHURN
}

/* Timing that can never take effect is an input error naming the key and the run's length;
 * a start spread past the end used to fail L1 as if the protocol were at fault (exit 1). */
Test(scenario, start_spread_ends_before_the_run)
{
    expect_error("run: {duration: 60s}\nworld: {start_spread: 90s}\n",
                 "s.yaml:2:23: world.start_spread: 90s is after the end of the run (1m): clients would start after it ends");
    expect_error("run: {duration: 500ms}\n", "s.yaml:1:17: run.duration: 500ms is not longer than world.start_spread "
                                             "(1s by default): clients would start after the run ends");
    expect_loads("run: {duration: 60s}\nworld: {start_spread: 59s}\n");
}

Test(scenario, workload_must_publish_something)
{
    expect_error(WORLD "workload: {publish_interval: 2s, start: 60s}\n",
                 "s.yaml:3:41: workload.start: 1m is at the end of the run (1m), so nothing would be published");
    expect_error(WORLD "workload: {publish_interval: 2s, start: 20s, stop: 20s}\n",
                 "s.yaml:3:52: workload.stop: 20s is not after workload.start (20s): the publishing window is empty");
    expect_error(WORLD "workload: {publish_interval: 2s, start: 50s}\n",
                 "s.yaml:3:41: workload.start: 50s is not before workload.stop (50s by default: the end of the run (1m) "
                 "less a quarter of it, at most 10s): the publishing window is empty");
    expect_error(WORLD "workload: {publish_interval: 4s, start: 10s, stop: 12s}\n",
                 "s.yaml:3:30: workload.publish_interval: 4s: a publisher's first message comes at least 2s (half the "
                 "interval) after workload.start (10s), when publishing has stopped (12s), so nothing would be published");
    expect_error(WORLD "workload: {publish_interval: 0s}\n",
                 "s.yaml:3:30: workload.publish_interval: 0s means nobody publishes, yet workload.publishers is 100% "
                 "(the default): nothing would be published (for a run without messages leave the workload out, or set "
                 "publishers: 0%)");
    expect_error(WORLD "workload: {publishers: 10%}\n",
                 "s.yaml:3:24: workload.publishers: 10% of the clients would publish, but workload.publish_interval is "
                 "not set (0: nobody publishes), so nothing would be published");
    expect_error(WORLD "workload: {publish_interval: 1s, publishers: 0%}\n",
                 "s.yaml:3:46: workload.publishers: 0% of the clients publish, so workload.publish_interval (1s) can "
                 "never take effect");
    expect_error(WORLD "workload: {publishers: 0%, start: 5s}\n",
                 "s.yaml:3:35: workload.start: can never take effect: nobody publishes (workload.publish_interval is 0)");
    /* Said explicitly, no messages is fine; so is a window just longer than half the interval. */
    expect_loads(WORLD "workload: {publish_interval: 0s, publishers: 0%}\n");
    expect_loads(WORLD "workload: {publish_interval: 4s, start: 10s, stop: 12001ms}\n");
    expect_loads(WORLD "workload: {publish_interval: 2s, start: 48s}\n");
}

Test(scenario, expectations_must_be_judgeable)
{
    expect_error(WORLD "expect: {recovers_within: 30s}\n",
                 "s.yaml:3:27: expect.recovers_within: 30s: no fault is scheduled, so there is nothing to recover from");
    expect_error(WORLD "expect: {recovers_within: never}\n",
                 "s.yaml:3:27: expect.recovers_within: never: no fault is scheduled, so there is nothing to recover from");
    expect_error(WORLD CRASH "expect: {violates: I3}\n",
                 "s.yaml:5:20: expect.violates: I3 is about messages, but the workload publishes nothing "
                 "(workload.publish_interval, workload.publishers), so it can never be violated");
    expect_error(WORLD PUBLISH CRASH "expect: {safety: holds, violates: I2}\n",
                 "s.yaml:6:35: expect.violates: I2 contradicts expect.safety: holds (violates means safety is violated)");
    expect_error(WORLD PUBLISH CRASH "expect: {violates: L1}\n",
                 "s.yaml:6:20: expect.violates: L1 is not counted by the safety oracle, so this can never be met; "
                 "liveness is expect.recovers_within's (recovers_within: never)");
    expect_error(WORLD CRASH "expect: {peak_attempts_per_s_min: 500, peak_attempts_per_s_max: 100}\n",
                 "s.yaml:5:35: expect.peak_attempts_per_s_min: 500 is more than expect.peak_attempts_per_s_max (100), "
                 "so it can never be met");
    expect_error(WORLD CRASH "expect: {wasted_handshakes_min: 0}\n",
                 "s.yaml:5:33: expect.wasted_handshakes_min: 0 is out of range [1, 18446744073709551615]");
    /* I7 (bounded queues) and L1 need no messages; a fault makes recovery judgeable. */
    expect_loads(WORLD CRASH "expect: {violates: I7, recovers_within: never}\n");
    expect_loads(WORLD PUBLISH CRASH "expect: {safety: violated, violates: I2, recovers_within: 30s}\n");
    expect_loads(WORLD "expect: {safety: holds, peak_attempts_per_s_max: 100, wasted_handshakes_max: 0}\n");
}

/* Under --swarm the faults are drawn from the seed: they count, so a swarm base file may
 * expect recovery without a fault of its own. */
Test(scenario, swarm_faults_count_for_recovery)
{
    char path[] = "/tmp/herd-test-scenario-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = WORLD PUBLISH "expect: {recovers_within: 30s}\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    herd_scenario sc;
    char err[1200];
    cr_expect_eq(herd_scenario_load(&sc, path, NULL, 0, err, sizeof err), HERD_EXIT_DATAERR);
    cr_expect(strstr(err, "nothing to recover from") != NULL, "%s", err);
    herd_scenario_free(&sc);
    cr_expect_eq(herd_scenario_load_flags(&sc, path, NULL, 0, HERD_SCENARIO_SWARM, err, sizeof err), 0, "%s", err);
    herd_scenario_free(&sc);
    unlink(path);
}

/* The checks run on the document after --set: an override can make a scenario vacuous. */
Test(scenario, checks_apply_after_set)
{
    char path[512], err[1200];
    snprintf(path, sizeof path, "%s/traces/scenarios/restart-fixed-1s.yaml", HERD_SOURCE_DIR);
    herd_scenario sc;
    const char *off[] = {"faults.0.kind=offline"};
    cr_expect_eq(herd_scenario_load(&sc, path, off, 1, err, sizeof err), HERD_EXIT_DATAERR);
    cr_expect(strstr(err, "key 'servers' does not apply to a fault of kind 'offline'") != NULL, "%s", err);
    herd_scenario_free(&sc);
    const char *quiet[] = {"workload.publish_interval=0s"};
    cr_expect_eq(herd_scenario_load(&sc, path, quiet, 1, err, sizeof err), HERD_EXIT_DATAERR);
    cr_expect(strncmp(err, "--set workload.publish_interval: workload.publish_interval: 0s means nobody publishes",
                      strlen("--set workload.publish_interval: workload.publish_interval: 0s means")) == 0, "%s", err);
    herd_scenario_free(&sc);
    const char *late[] = {"run.duration=20s"};
    cr_expect_eq(herd_scenario_load(&sc, path, late, 1, err, sizeof err), HERD_EXIT_DATAERR);
    cr_expect(strstr(err, "world.start_spread: 20s is at the end of the run (20s)") != NULL, "%s", err);
    herd_scenario_free(&sc);
}
