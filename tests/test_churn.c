/* test_churn.c — the draws of mobile churn (sim/churn.c): the same seed gives the same
 * schedule, another client another one, the share of churning clients and the mean
 * offline time lie within statistical bounds, and one client's periods never overlap.
 * Then churn in a world (sim/faults.c): periods begin, clients come back when it ends,
 * and a churn period ending does not bring back a client an offline fault still holds. */
#include <criterion/criterion.h>

#include "churn.h"
#include "sim_fixture.h"

static herd_fault churn(uint32_t ppm, uint8_t dist)
{
    herd_fault f = {.kind = HERD_FAULT_CHURN, .fraction_ppm = ppm, .off_dist = dist};
    f.at_us = 10 * (herd_time)HERD_US_PER_S;
    f.duration_us = 3600 * (herd_time)HERD_US_PER_S;
    f.interval_us = 300 * (herd_time)HERD_US_PER_S;
    f.off_a_us = 45 * (herd_time)HERD_US_PER_S;
    f.off_b_us = 90 * (herd_time)HERD_US_PER_S;
    return f;
}

Test(churn, same_seed_same_schedule_other_client_other)
{
    herd_fault f = churn(1000000, HERD_CHURN_EXPONENTIAL);
    herd_churn_period a, b, c;
    cr_assert(herd_churn_period_at(&f, 7, 0, 42, 3, f.at_us, &a));
    cr_assert(herd_churn_period_at(&f, 7, 0, 42, 3, f.at_us, &b));
    cr_expect(a.off_at == b.off_at && a.on_at == b.on_at);
    cr_assert(herd_churn_period_at(&f, 7, 0, 43, 3, f.at_us, &c));
    cr_expect(a.off_at != c.off_at || a.on_at != c.on_at, "clients 42 and 43 drew the same period");
    cr_assert(herd_churn_period_at(&f, 8, 0, 42, 3, f.at_us, &c));
    cr_expect(a.off_at != c.off_at, "seeds 7 and 8 drew the same period");
}

Test(churn, fraction_within_bounds)
{
    herd_fault f = churn(200000, HERD_CHURN_FIXED);
    uint32_t n = 100000, in = 0;
    for (uint32_t i = 0; i < n; i++) in += herd_churn_member(&f, 1, 0, i);
    /* Binomial(1e5, 0.2): sd 126; 5 sd either side. */
    cr_expect(in > 20000 - 632 && in < 20000 + 632, "%u of %u churn, want about 20000", in, n);
}

Test(churn, exponential_mean_within_bounds)
{
    herd_rng r;
    herd_rng_seed(&r, 3);
    double sum = 0;
    uint32_t n = 200000;
    for (uint32_t i = 0; i < n; i++) sum += (double)herd_churn_exp(&r, 45000000);
    double mean = sum / n;
    /* sd of the mean: 45 s / sqrt(2e5) = 0.1 s; 5 sd. */
    cr_expect(mean > 44.5e6 && mean < 45.5e6, "mean offline %.0f us, want 45 s", mean);
}

Test(churn, periods_never_overlap)
{
    for (uint8_t dist = 0; dist < HERD_CHURN_DIST_COUNT; dist++) {
        herd_fault f = churn(1000000, dist);
        for (uint32_t client = 0; client < 200; client++) {
            herd_time after = f.at_us;
            herd_churn_period p;
            for (uint32_t k = 0; herd_churn_period_at(&f, 1, 0, client, k, after, &p); k++) {
                cr_assert(p.off_at > after && p.on_at > p.off_at, "client %u period %u overlaps", client, k);
                cr_assert(p.on_at <= f.at_us + f.duration_us);
                cr_assert_eq(herd_churn_back_at(&f, 1, 0, client, k, p.off_at), p.on_at);
                after = p.on_at;
            }
        }
    }
}

/* Clients 0-9 churn from 1 s to 5 s (every 100 ms online on average, 200 ms offline); an
 * offline fault holds clients 0-4 from 2 s to 8 s. */
static herd_world_config churn_world(herd_time duration_us)
{
    herd_world_config c = herd_test_world_config(20, 1);
    c.duration_us = duration_us;
    c.fault_count = 2;
    c.faults[0] = (herd_fault){.kind = HERD_FAULT_CHURN, .at_us = 1000000, .duration_us = 4000000, .first = 0,
                               .count = 10, .fraction_ppm = 1000000, .interval_us = 100000,
                               .off_dist = HERD_CHURN_FIXED, .off_a_us = 200000};
    c.faults[1] = (herd_fault){.kind = HERD_FAULT_OFFLINE, .at_us = 2000000, .duration_us = 6000000, .first = 0,
                               .count = 5};
    return c;
}

Test(churn, periods_begin_and_every_client_comes_back)
{
    herd_world_config c = churn_world(10 * (herd_time)HERD_US_PER_S);
    herd_world w;
    herd_test_world_run(&w, &c);
    /* 10 clients x 4 s / (100 ms + 200 ms): about 130 periods. */
    cr_expect(w.churn_periods >= 60 && w.churn_periods <= 200, "%lu churn periods", (unsigned long)w.churn_periods);
    cr_expect_eq(w.offline_count, 0, "%u clients still offline after every fault healed", w.offline_count);
    herd_world_free(&w);
}

Test(churn, a_period_ending_does_not_release_a_client_the_offline_fault_holds)
{
    /* Stop at 6 s: the churn is over, the offline fault still holds clients 0-4. */
    herd_world_config c = churn_world(6 * (herd_time)HERD_US_PER_S);
    herd_world w;
    herd_test_world_run(&w, &c);
    cr_expect_gt(w.churn_periods, 0);
    cr_expect_eq(w.offline_count, 5, "%u clients offline at 6 s, want clients 0-4 only", w.offline_count);
    for (uint32_t i = 0; i < 10; i++) {
        bool off = herd_world_sim(&w, i)->flags & HERD_SC_OFFLINE;
        cr_expect_eq(off, i < 5, "client %u is %s", i, off ? "offline" : "online");
    }
    herd_world_free(&w);
}

Test(churn, the_world_refuses_a_churn_that_cannot_be_drawn)
{
    herd_world_config c = churn_world(10 * (herd_time)HERD_US_PER_S);
    char why[200];
    c.faults[0].interval_us = 0;
    cr_expect_neq(herd_world_config_validate(&c, why, sizeof why), HERD_OK);
    c = churn_world(10 * (herd_time)HERD_US_PER_S);
    c.faults[0].off_dist = HERD_CHURN_UNIFORM;
    c.faults[0].off_b_us = 100000; /* below min */
    cr_expect_neq(herd_world_config_validate(&c, why, sizeof why), HERD_OK);
}
