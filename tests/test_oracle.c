/* test_oracle.c — the simulator's oracle catches every broken protocol variant, and the
 * correct protocol passes the very same scenario (so the oracle can fail, and does not
 * cry wolf). Scenarios are small worlds written inline; each test runs one world to its
 * end and reads the report, as `herd run` would. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "report.h"

/* A one-way cut from the servers to the clients for 4 s: ACKs stop arriving, clients time
 * out (ack_timeout 2 s), reconnect elsewhere or later and resend what the store already
 * appended. Every dedup flaw shows here. */
static const char *const partition_fmt =
    "run: {duration: 30s}\n"
    "world: {clients: 500, rooms: 50, servers: 3}\n"
    "client: {ack_timeout: 2s, connect_timeout: 3s}\n"
    "workload: {publish_interval: 200ms, publishers: 100%%}\n"
    "lb: {policy: %s}\n"
    "store: {dedup_window: %s, durability: %s}\n"
    "protocol: %s\n"
    "faults:\n"
    "  - {kind: %s, at: 5s, duration: 4s%s}\n";

static void run_text(const char *text, herd_report *r)
{
    herd_scenario sc;
    char err[1200];
    int rc = herd_scenario_load_string(&sc, "test.yaml", text, err, sizeof err);
    cr_assert_eq(rc, 0, "scenario rejected: %s", err);
    herd_world w;
    cr_assert_eq(herd_world_init(&w, &sc.world), HERD_OK);
    cr_assert_eq(herd_world_run(&w), HERD_OK);
    *r = (herd_report){0};
    herd_report_build(r, &w, &sc.expect);
    herd_world_free(&w);
    herd_scenario_free(&sc);
}

static void run_partition(const char *lb, const char *window, const char *durability, const char *proto,
                          const char *fault, herd_report *r)
{
    char text[2048];
    /* The partition's own keys; a store crash takes none (a key of another kind is refused). */
    const char *keys = strcmp(fault, "partition") == 0 ? ", a: servers, b: clients, oneway: true" : "";
    snprintf(text, sizeof text, partition_fmt, lb, window, durability, proto, fault, keys);
    run_text(text, r);
}

static bool expectation_ok(const herd_report *r, const char *prefix)
{
    for (uint32_t i = 0; i < r->nexp; i++)
        if (strncmp(r->exp[i].name, prefix, strlen(prefix)) == 0) return r->exp[i].ok;
    cr_assert_fail("no expectation named %s", prefix);
    return false;
}

Test(oracle, correct_protocol_passes_the_partition)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "correct", "partition", &r);
    cr_expect(r.pass, "%s", r.first_violation);
    cr_expect_eq(r.lost + r.duplicates + r.reordered, 0);
    cr_expect_gt(r.acked, 10000);
    cr_expect_eq(r.acked, r.published);
}

Test(oracle, ack_before_persist_breaks_I5)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "ack_before_persist", "partition", &r);
    cr_expect_gt(r.violations[HERD_INV_I5], 0);
    cr_expect(strstr(r.first_violation, "I5 ACK after durability") != NULL, "%s", r.first_violation);
}

Test(oracle, dedup_none_breaks_I2)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "dedup_none", "partition", &r);
    cr_expect_gt(r.violations[HERD_INV_I2], 0);
    cr_expect_gt(r.duplicates, 0);
    cr_expect(strstr(r.first_violation, "I2 no duplicate append") != NULL, "%s", r.first_violation);
}

Test(oracle, dedup_local_with_round_robin_breaks_I2)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "dedup_local", "partition", &r);
    cr_expect_gt(r.violations[HERD_INV_I2], 0);
}

Test(oracle, dedup_window_shorter_than_the_outage_breaks_I2)
{
    herd_report r, ok;
    run_partition("round_robin", "1s", "aof_always", "correct", "partition", &r);
    cr_expect_gt(r.violations[HERD_INV_I2], 0);
    run_partition("round_robin", "1m", "aof_always", "correct", "partition", &ok);
    cr_expect_eq(ok.violations[HERD_INV_I2], 0, "%s", ok.first_violation);
}

Test(oracle, resend_off_never_drains_L1)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "resend_off", "partition", &r);
    cr_expect(!r.recovered);
    cr_expect_gt(r.live.queued, 0);
    cr_expect(!expectation_ok(&r, "L1"));
}

Test(oracle, aof_everysec_store_crash_breaks_I5_and_I1)
{
    herd_report r, ok;
    run_partition("sticky", "24h", "aof_everysec", "correct", "store_crash", &r);
    cr_expect_gt(r.violations[HERD_INV_I5], 0);
    cr_expect_gt(r.violations[HERD_INV_I1], 0, "a crash of an everysec store loses ACKed writes");
    run_partition("sticky", "24h", "aof_always", "correct", "store_crash", &ok);
    cr_expect(herd_oracle_safe_counts(ok.violations), "%s", ok.first_violation);
}

/* Trimmed history: maxlen 50 and clients that join late must be told with a GAP. */
static const char *const gap_fmt =
    "run: {duration: 20s}\n"
    "world: {clients: 1000, rooms: 100, servers: 2, start_spread: 5s}\n"
    "workload: {publish_interval: 200ms, publishers: 50%%}\n"
    "store: {maxlen: 50}\n"
    "protocol: %s\n";

Test(oracle, no_gap_detection_breaks_I6)
{
    char text[1024];
    herd_report r, ok;
    snprintf(text, sizeof text, gap_fmt, "no_gap_detection");
    run_text(text, &r);
    cr_expect_gt(r.violations[HERD_INV_I6], 0);
    cr_expect(strstr(r.first_violation, "I6 no silent gap") != NULL, "%s", r.first_violation);
    snprintf(text, sizeof text, gap_fmt, "correct");
    run_text(text, &ok);
    cr_expect(ok.pass, "%s", ok.first_violation);
}

/* Socket.IO's backoff jitters before it caps: from attempt 4 every client waits exactly
 * 5 s, so a second mass disconnect (attempt counters still high: stable_reset 120 s)
 * comes back as one wave. Capping first keeps the wave spread. */
static const char *const herd_fmt =
    "run: {duration: 70s}\n"
    "world: {clients: 5000, rooms: 5, servers: 4}\n"
    "client: {backoff: {policy: socketio, jitter_before_cap: %s}, stable_reset: 120s}\n"
    "lb: {health_lag: 0s}\n"
    "accept: {workers: 16}\n"
    "faults:\n"
    "  - {kind: crash, at: 5s, duration: 20s}\n"
    "  - {kind: crash, at: 45s, duration: 100ms}\n"
    "expect: {peak_attempts_per_s_max: 4000}\n";

Test(oracle, jitter_before_cap_breaks_the_peak_attempts_expectation)
{
    char text[1024];
    herd_report r, ok;
    snprintf(text, sizeof text, herd_fmt, "true");
    run_text(text, &r);
    cr_expect(!expectation_ok(&r, "peak attempts/s"), "peak %lu", (unsigned long)r.peak_attempts_per_s);
    cr_expect(!r.pass);
    snprintf(text, sizeof text, herd_fmt, "false");
    run_text(text, &ok);
    cr_expect(ok.pass, "peak %lu", (unsigned long)ok.peak_attempts_per_s);
}

/* I8: the accounting adds up in every run: each published message is ACKed, still
 * queued, reported failed by a stopped client, or lost silently (a violation). */
static void expect_accounting(const herd_report *r)
{
    cr_expect_eq(r->published, r->acked + r->queued + r->failed_reported + r->lost_unacked,
                 "published %lu != acked %lu + queued %lu + failed %lu + lost %lu", (unsigned long)r->published,
                 (unsigned long)r->acked, (unsigned long)r->queued, (unsigned long)r->failed_reported,
                 (unsigned long)r->lost_unacked);
}

Test(oracle, correct_protocol_conserves_messages)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "correct", "partition", &r);
    cr_expect_eq(r.violations[HERD_INV_I8], 0);
    cr_expect_eq(r.lost_unacked, 0);
    cr_expect_gt(r.published, 1000);
    expect_accounting(&r);
}

/* A client that forgets its un-ACKed messages on reconnect: nothing ACKed is lost (I1
 * holds) and its queue drains (L1 holds); only I8 sees the drop, naming client and id. */
Test(oracle, forget_unacked_breaks_I8_only)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "forget_unacked", "partition", &r);
    cr_expect_gt(r.violations[HERD_INV_I8], 0);
    cr_expect_gt(r.lost_unacked, 0);
    cr_expect_eq(r.violations[HERD_INV_I1], 0);
    cr_expect_eq(r.violations[HERD_INV_I2], 0);
    cr_expect(strstr(r.first_violation, "I8 no silent drop") != NULL, "%s", r.first_violation);
    cr_expect(strstr(r.first_violation, "from its retry queue without an ACK") != NULL, "%s", r.first_violation);
    expect_accounting(&r);
    cr_expect(!expectation_ok(&r, "safety"));
}

/* resend_off keeps its messages queued: not a drop (I8 holds), L1 sees it. */
Test(oracle, resend_off_is_not_a_drop)
{
    herd_report r;
    run_partition("round_robin", "24h", "aof_always", "resend_off", "partition", &r);
    cr_expect_eq(r.violations[HERD_INV_I8], 0);
    cr_expect_gt(r.queued, 0);
    expect_accounting(&r);
}

/* A workload that publishes nothing at run time (1 % of 10 clients is no publisher)
 * exercises no message invariant: "safety holds" is vacuous and fails, never a PASS. */
Test(oracle, nothing_published_is_vacuous)
{
    herd_report r;
    run_text("run: {duration: 30s}\nworld: {clients: 10, rooms: 2, servers: 1}\n"
             "workload: {publish_interval: 1s, publishers: 1%}\nexpect: {safety: holds}\n", &r);
    cr_expect_eq(r.published, 0);
    cr_expect(!expectation_ok(&r, "safety holds"));
    cr_expect(!r.pass);
    cr_expect(strstr(r.exp[0].detail, "vacuous") != NULL, "%s", r.exp[0].detail);
}
