/* test_rng.c — the caller-owned generator (src/rng.c): reference values, determinism,
 * stream independence, and the range functions' bounds and uniformity. */
#include "rng.h"

#include <criterion/criterion.h>

Test(rng, splitmix64_matches_the_reference)
{
    /* Reference outputs of splitmix64 from state 0 (Vigna's splitmix64.c). */
    uint64_t s = 0;
    cr_assert_eq(herd_splitmix64(&s), 0xe220a8397b1dcdafull);
    cr_assert_eq(herd_splitmix64(&s), 0x6e789e6aa1b965f4ull);
    cr_assert_eq(herd_splitmix64(&s), 0x06c45d188009454full);
}

Test(rng, xoshiro256starstar_matches_the_reference)
{
    /* With state {1, 2, 3, 4} the first outputs of xoshiro256** are known. */
    herd_rng r = {{1, 2, 3, 4}};
    cr_assert_eq(herd_rng_next(&r), 11520ull);
    cr_assert_eq(herd_rng_next(&r), 0ull);
    cr_assert_eq(herd_rng_next(&r), 1509978240ull);
    cr_assert_eq(herd_rng_next(&r), 1215971899390074240ull);
}

Test(rng, same_seed_same_stream)
{
    herd_rng a, b;
    herd_rng_seed(&a, 12345);
    herd_rng_seed(&b, 12345);
    for (int i = 0; i < 1000; i++) cr_assert_eq(herd_rng_next(&a), herd_rng_next(&b));
}

Test(rng, derived_streams_differ_by_entity_and_purpose)
{
    herd_rng a, b, c, d;
    herd_rng_derive(&a, 1, 100, HERD_RNG_BACKOFF);
    herd_rng_derive(&b, 1, 101, HERD_RNG_BACKOFF);
    herd_rng_derive(&c, 1, 100, HERD_RNG_WORKLOAD);
    herd_rng_derive(&d, 2, 100, HERD_RNG_BACKOFF);
    uint64_t x = herd_rng_next(&a);
    cr_assert_neq(x, herd_rng_next(&b));
    cr_assert_neq(x, herd_rng_next(&c));
    cr_assert_neq(x, herd_rng_next(&d));
    herd_rng_derive(&b, 1, 100, HERD_RNG_BACKOFF);
    cr_assert_eq(x, herd_rng_next(&b), "derivation is a pure function of its inputs");
}

Test(rng, below_and_range_stay_in_bounds_and_are_uniform)
{
    herd_rng r;
    herd_rng_seed(&r, 7);
    enum { BINS = 10, DRAWS = 200000 };
    uint32_t hist[BINS] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = herd_rng_below(&r, BINS);
        cr_assert_lt(v, BINS);
        hist[v]++;
        uint64_t w = herd_rng_range(&r, 100, 500);
        cr_assert(w >= 100 && w <= 500);
    }
    /* chi-square with 9 degrees of freedom: 27.88 is the 0.1 % critical value */
    double chi = 0;
    for (int i = 0; i < BINS; i++) {
        double e = DRAWS / (double)BINS, d = hist[i] - e;
        chi += d * d / e;
    }
    cr_assert_lt(chi, 27.88, "chi-square %f", chi);
    cr_assert_eq(herd_rng_below(&r, 0), 0);
    cr_assert_eq(herd_rng_range(&r, 5, 5), 5);
    (void)herd_rng_range(&r, 0, UINT64_MAX); /* full range must not divide by zero */
}
