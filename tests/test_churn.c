/* test_churn.c — the draws of mobile churn (sim/churn.c): the same seed gives the same
 * schedule, another client another one, the share of churning clients and the mean
 * offline time lie within statistical bounds, and one client's periods never overlap. */
#include <criterion/criterion.h>

#include "churn.h"

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
