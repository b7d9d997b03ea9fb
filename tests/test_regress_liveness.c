/* test_regress_liveness.c — liveness (L1) regressions found by the swarm.
 *
 * `herd run traces/scenarios/swarm-correct.yaml --swarm --seed 277` (and 908): with the
 * correct protocol, one (two) of 300 clients were still in BACKOFF at the end, with a
 * 30-60 s wait drawn after their last failure. That failure was a RST from a server that
 * a graceful restart (rolling deploy) had drained and then stopped: stopping it went
 * through the crash path, which cleared the drain flag, so the load balancer (still
 * believing the server healthy for health_lag) put the stopped server back in rotation
 * and sent sticky clients to a closed port. Each RST counted as a failure and grew the
 * client's backoff to its cap. The operator's drain must hold until the server starts
 * again (docs/scenarios.md: "out of the LB at once ... then stopped ... then started"). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "error.h"
#include "scenario.h"
#include "world.h"
#include "sim_fixture.h"

static herd_world_config base(uint32_t clients, uint32_t servers)
{
    herd_world_config c = herd_test_world_config(clients, servers);
    return c;
}

static void run(herd_world *w, const herd_world_config *c) { herd_test_world_run(w, c); }

/* Server 0 drained at once (drain 0: every session closed with 1001 at 2 s) and stopped for
 * 5 s; the health check lags 2 s. Its clients reconnect 50-750 ms later: into the window
 * where the server is down but the LB's health view still says up. */
static herd_world_config drained_and_stopped(void)
{
    herd_world_config c = base(60, 2);
    c.health_lag_us = 2 * (herd_time)HERD_US_PER_S;
    c.fault_count = 1;
    c.faults[0] = (herd_fault){.kind = HERD_FAULT_GRACEFUL, .at_us = 2 * (herd_time)HERD_US_PER_S,
                               .duration_us = 5 * (herd_time)HERD_US_PER_S, .first = 0, .count = 1,
                               .code = HERD_CLOSE_GOING_AWAY};
    return c;
}

Test(regress_liveness, a_stopped_drained_server_stays_out_of_the_lb)
{
    /* Stop the run 1 s after the stop: the LB's health check has not noticed yet. */
    herd_world_config c = drained_and_stopped();
    c.duration_us = 3 * (herd_time)HERD_US_PER_S;
    herd_world w;
    run(&w, &c);
    cr_assert_eq(w.servers[0].up, 0, "server 0 is stopped");
    cr_assert_eq(w.servers[0].lb_up, 1, "the health check has not seen it yet");
    uint32_t to_server0 = 0;
    for (uint32_t id = 0; id < 1000; id++) {
        bool limited = false;
        if (herd_lb_pick(&w, id, 1, &limited) == 0) to_server0++;
        cr_assert(!limited);
    }
    cr_expect_eq(to_server0, 0, "%u of 1000 new connections routed to the stopped server", to_server0);
    herd_world_free(&w);
}

Test(regress_liveness, a_rolling_stop_refuses_no_one_and_costs_no_failure)
{
    herd_world_config c = drained_and_stopped();
    herd_world w;
    run(&w, &c);
    cr_expect_eq(w.metrics.total[HERD_M_REFUSED], 0, "connections reset by the stopped server");
    cr_expect_eq(w.state_count[HERD_CLIENT_LIVE], c.clients);
    /* 1001 resets the attempt counter; the one reconnect draws attempt 0 and succeeds. */
    uint32_t failed = 0;
    for (uint32_t i = 0; i < c.clients; i++) failed += herd_world_client(&w, i)->bo.attempt > 1;
    cr_expect_eq(failed, 0, "%u clients counted a failure after the drain", failed);
    herd_world_free(&w);
}

/* The two swarm seeds that found it: every client LIVE again, queues drained. */
static void swarm_seed(uint64_t seed)
{
    herd_scenario sc;
    char err[512];
    cr_assert_eq(herd_scenario_load(&sc, HERD_SOURCE_DIR "/traces/scenarios/swarm-correct.yaml", NULL, 0, err,
                                    sizeof err),
                 0, "%s", err);
    sc.world.seed = seed;
    herd_faults_swarm(&sc.world);
    static herd_world w;
    run(&w, &sc.world);
    herd_world_liveness_figures f;
    herd_world_liveness(&w, &f);
    cr_expect_eq(f.live, sc.world.clients, "seed %lu: live %u/%u", (unsigned long)seed, f.live, sc.world.clients);
    cr_expect_eq(f.queued, 0, "seed %lu: queued %lu", (unsigned long)seed, (unsigned long)f.queued);
    cr_expect_eq(f.behind, 0, "seed %lu: behind %lu", (unsigned long)seed, (unsigned long)f.behind);
    cr_expect_neq(w.recovered_at, HERD_TIME_NEVER, "seed %lu never recovered", (unsigned long)seed);
    for (int i = 0; i < HERD_INV_COUNT; i++) cr_expect_eq(w.oracle.count[i], 0, "seed %lu: invariant %d", (unsigned long)seed, i);
    herd_world_free(&w);
    herd_scenario_free(&sc);
}

Test(regress_liveness, swarm_seed_277_recovers) { swarm_seed(277); }
Test(regress_liveness, swarm_seed_908_recovers) { swarm_seed(908); }
