/* sim_fixture.h — a small simulated world for the simulator's Criterion tests: one room,
 * no start spread or jitter, 10 s, small dedup and oracle indexes; and a run that
 * validates, initialises and runs it, failing the test on any error. Included by
 * test_sim_world.c and test_regress_liveness.c (header-only: tests are one file each). */
#ifndef HERD_TEST_SIM_FIXTURE_H
#define HERD_TEST_SIM_FIXTURE_H

#include <criterion/criterion.h>

#include "error.h"
#include "world.h"

static inline herd_world_config herd_test_world_config(uint32_t clients, uint32_t servers)
{
    herd_world_config c;
    herd_world_config_defaults(&c);
    c.clients = clients;
    c.servers = servers;
    c.rooms = c.store.rooms = 1;
    c.store.dedup_capacity = 1024;
    c.oracle_capacity = 1024;
    c.start_spread_us = 0;
    c.jitter_us = 0;
    c.duration_us = 10 * (herd_time)HERD_US_PER_S;
    return c;
}

static inline void herd_test_world_run(herd_world *w, const herd_world_config *c)
{
    char why[200];
    cr_assert_eq(herd_world_config_validate(c, why, sizeof why), HERD_OK, "%s", why);
    cr_assert_eq(herd_world_init(w, c), HERD_OK);
    cr_assert_eq(herd_world_run(w), HERD_OK);
}

#endif
