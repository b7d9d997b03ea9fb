/* test_backoff.c — the backoff policies (src/backoff.c).
 *
 * For every kind at its defaults and attempts 0..15: 100 000 draws (a fresh client state
 * per draw, so per-client bases are redrawn from the same stream) all lie within
 * herd_backoff_bounds(), come close to both ends of them, and average within 2 % of a mean
 * derived here by hand, in floating point, from each policy's formula (docs/backoff.md);
 * herd_backoff_mean_us() must agree with the same hand-derived figure. Decorrelated jitter
 * depends on its history, so it is sampled by running whole chains, and its mean is checked
 * while it has a closed form and, beyond that, one step at a time given the previous delay.
 * Then: determinism, exact sequences of the deterministic policies, the jitter-before-cap
 * variant, the retry-token bucket, max_attempts, saturation, validation and names. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "backoff.h"
#include "error.h"
#include "rng.h"

#define DRAWS 100000u
#define ATTEMPTS 16u
#define MS 1000.0
#define SEC 1000000.0

static herd_backoff_policy defaults_of(int kind)
{
    herd_backoff_policy p;
    cr_assert_eq(herd_backoff_defaults(&p, kind), HERD_OK, "defaults of kind %d", kind);
    cr_assert_eq(herd_backoff_validate(&p), HERD_OK, "defaults of %s", herd_backoff_name(kind));
    return p;
}

static double dmin(double a, double b) { return a < b ? a : b; }

/* E[min(cap, B * g)] for B uniform on [b0, b1] (continuous). */
static double mean_capped_uniform(double b0, double b1, double g, double cap)
{
    if (b1 * g <= cap) return g * (b0 + b1) / 2;
    double m = cap / g; /* bases above m are capped */
    if (m <= b0) return cap;
    return (g * (m * m - b0 * b0) / 2 + cap * (b1 - m)) / (b1 - b0);
}

/* Integral over rho in [r0, r1] of min(cap, t * (1 + k * rho)), for a linear k. */
static double integral_min_linear(double t, double k, double r0, double r1, double cap)
{
    double lo = r0, hi = r1, total = 0;
    if (k != 0) {
        double cross = (cap / t - 1) / k; /* where t(1 + k rho) == cap */
        if (k > 0 && cross < hi) {
            double c = cross > lo ? cross : lo;
            total += cap * (hi - c), hi = c;
        } else if (k < 0 && cross > lo) {
            double c = cross < hi ? cross : hi;
            total += cap * (c - lo), lo = c;
        }
    } else if (t >= cap) {
        return cap * (r1 - r0);
    }
    if (hi > lo) total += t * ((hi - lo) + k * (hi * hi - lo * lo) / 2);
    return total;
}

/* Decorrelated while the cap cannot bind: X_k ~ U[b, 3 X_{k-1}], X_{-1} = b. */
static double decorrelated_mean(double b, double f, uint32_t n)
{
    double m = b;
    for (uint32_t k = 0; k <= n; k++) m = (b + f * m) / 2;
    return m;
}

/* The mean of each policy's delay at attempt n, from its formula; NAN: not derived here. */
static double hand_mean(int kind, uint32_t n)
{
    double g2 = ldexp(1.0, (int)n); /* 2^n */
    switch (kind) {
    case HERD_BACKOFF_FIXED: return 1 * SEC;
    case HERD_BACKOFF_EXPONENTIAL: return dmin(60 * SEC, 1 * SEC * g2);
    case HERD_BACKOFF_ARTICLE: /* E[x] = 1, and x is independent of the base */
        return mean_capped_uniform(100 * MS, 500 * MS, g2, 60 * SEC);
    case HERD_BACKOFF_FULL_JITTER: return dmin(60 * SEC, 100 * MS * g2) / 2;
    case HERD_BACKOFF_EQUAL_JITTER: return dmin(60 * SEC, 100 * MS * g2) * 3 / 4;
    case HERD_BACKOFF_DECORRELATED: /* the cap can bind from 100 ms * 3^(n+1) > 60 s */
        return 100 * MS * pow(3, n + 1) <= 60 * SEC ? decorrelated_mean(100 * MS, 3, n) : NAN;
    case HERD_BACKOFF_GRPC: return n == 0 ? 1 * SEC : dmin(120 * SEC, SEC * pow(1.6, n));
    case HERD_BACKOFF_SOCKETIO: { /* sign from the first decimal of rho: even digit is minus */
        double t = 1 * SEC * g2, sum = 0;
        for (int dec = 0; dec < 10; dec++)
            sum += integral_min_linear(t, (dec & 1) ? 0.5 : -0.5, dec / 10.0, (dec + 1) / 10.0, 5 * SEC);
        return sum;
    }
    case HERD_BACKOFF_PHOENIX: {
        static const double ms[] = {10, 50, 100, 150, 200, 250, 500, 1000, 2000};
        return (n < 9 ? ms[n] : 5000) * MS;
    }
    case HERD_BACKOFF_SIGNALR: {
        static const double ms[] = {0, 2000, 10000, 30000};
        return n < 4 ? ms[n] * MS : NAN;
    }
    case HERD_BACKOFF_RECONNECTING_WS:
        return mean_capped_uniform(1 * SEC, 5 * SEC, pow(1.3, n), 10 * SEC);
    case HERD_BACKOFF_CENTRIFUGE: { /* min(cap, b + U[0, w]) */
        double b = 500 * MS, cap = 20 * SEC, w = dmin(cap, b * g2);
        if (b + w <= cap) return b + w / 2;
        double k = cap - b;
        return ((b * k + k * k / 2) + (w - k) * cap) / w;
    }
    case HERD_BACKOFF_AWS_STANDARD: return n == 0 ? 0 : (n < 3 ? dmin(20 * SEC, 100 * MS * g2) / 2 : NAN);
    default: return NAN;
    }
}

/* One delay at attempt n for a fresh client: decorrelated runs the whole chain. */
static uint64_t draw_at(const herd_backoff_policy *p, herd_rng *rng, uint32_t n)
{
    herd_backoff_state s;
    herd_backoff_init(p, &s, rng);
    uint64_t d = 0;
    if (p->kind == HERD_BACKOFF_DECORRELATED) {
        for (uint32_t k = 0; k <= n; k++) cr_assert_eq(herd_backoff_next(p, &s, rng, &d), HERD_OK);
        return d;
    }
    s.attempt = (uint16_t)n;
    cr_assert_eq(herd_backoff_next(p, &s, rng, &d), HERD_OK);
    cr_assert_eq(s.attempt, n + 1);
    return d;
}

static void check_distribution(int kind, uint32_t n, herd_rng *rng)
{
    herd_backoff_policy p = defaults_of(kind);
    const char *name = herd_backoff_name(kind);
    uint64_t lo, hi, seen_lo = UINT64_MAX, seen_hi = 0;
    herd_backoff_bounds(&p, n, &lo, &hi);
    double sum = 0;
    for (uint32_t i = 0; i < DRAWS; i++) {
        uint64_t d = draw_at(&p, rng, n);
        cr_assert(d >= lo && d <= hi, "%s attempt %u: %llu outside [%llu, %llu]", name, n,
                  (unsigned long long)d, (unsigned long long)lo, (unsigned long long)hi);
        seen_lo = d < seen_lo ? d : seen_lo;
        seen_hi = d > seen_hi ? d : seen_hi;
        sum += (double)d;
    }
    /* The bounds are exact, so 100k draws come within 1 % of the span of both ends
     * (decorrelated's top needs every earlier draw at its top: only its first step). */
    double slack = 0.01 * (double)(hi - lo) + 1;
    if (kind != HERD_BACKOFF_DECORRELATED || n == 0)
        cr_assert((double)(seen_lo - lo) <= slack && (double)(hi - seen_hi) <= slack,
                  "%s attempt %u: seen [%llu, %llu] of [%llu, %llu]", name, n,
                  (unsigned long long)seen_lo, (unsigned long long)seen_hi,
                  (unsigned long long)lo, (unsigned long long)hi);
    double want = hand_mean(kind, n), got = sum / DRAWS;
    uint64_t lib = herd_backoff_mean_us(&p, n);
    if (isnan(want)) {
        cr_assert_eq(lib, HERD_BACKOFF_MEAN_NONE, "%s attempt %u: no closed form expected", name, n);
        return;
    }
    cr_assert(fabs(got - want) <= 0.02 * want + 2, "%s attempt %u: sample mean %.1f, want %.1f",
              name, n, got, want);
    cr_assert(lib != HERD_BACKOFF_MEAN_NONE && fabs((double)lib - want) <= 0.002 * want + 2,
              "%s attempt %u: herd_backoff_mean_us %llu, want %.1f", name, n,
              (unsigned long long)lib, want);
}

Test(backoff, every_kind_within_bounds_and_mean)
{
    for (int kind = 0; kind < HERD_BACKOFF_KIND_COUNT; kind++) {
        herd_backoff_policy p = defaults_of(kind);
        herd_rng rng;
        herd_rng_seed(&rng, 0x5eed0000u + (uint64_t)kind);
        for (uint32_t n = 0; n < ATTEMPTS; n++) {
            if (!herd_backoff_stops(&p, n)) {
                check_distribution(kind, n, &rng);
                continue;
            }
            herd_backoff_state s;
            herd_backoff_init(&p, &s, &rng);
            s.attempt = (uint16_t)n;
            uint64_t d = 12345;
            cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_ESTOP);
            cr_assert_eq(d, 12345, "a refused attempt writes no delay");
            cr_assert_eq(herd_backoff_mean_us(&p, n), HERD_BACKOFF_MEAN_NONE);
        }
    }
}

/* E[min(cap, U[b, 3 prev])] given prev, by hand; 100k one-step draws must match it. */
Test(backoff, decorrelated_one_step_mean_given_prev)
{
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_DECORRELATED);
    const double b = 100 * MS, cap = 60 * SEC;
    const uint32_t prevs_us[] = {100000, 400000, 5000000, 19000000, 20000000, 35000000, 60000000};
    herd_rng rng;
    herd_rng_seed(&rng, 77);
    for (size_t i = 0; i < sizeof prevs_us / sizeof prevs_us[0]; i++) {
        double top = 3.0 * prevs_us[i];
        double want = top <= cap ? (b + top) / 2
                                 : ((cap * cap - b * b) / 2 + (top - cap) * cap) / (top - b);
        herd_backoff_state s;
        herd_backoff_init(&p, &s, &rng);
        double sum = 0;
        for (uint32_t k = 0; k < DRAWS; k++) {
            uint64_t d;
            s.prev_us = prevs_us[i];
            cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
            cr_assert(d >= b && d <= dmin(cap, top) && s.prev_us == d);
            sum += (double)d;
        }
        cr_assert(fabs(sum / DRAWS - want) <= 0.02 * want, "prev %u: mean %.0f want %.0f",
                  prevs_us[i], sum / DRAWS, want);
    }
}

Test(backoff, decorrelated_reset_restarts_from_base)
{
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_DECORRELATED);
    herd_rng rng;
    herd_rng_seed(&rng, 5);
    herd_backoff_state s;
    herd_backoff_init(&p, &s, &rng);
    uint64_t d;
    for (int i = 0; i < 10; i++) cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
    herd_backoff_reset(&s);
    cr_assert_eq(s.attempt, 0);
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
    cr_assert(d >= p.base_us && d <= 3ull * p.base_us, "first step after reset: %llu",
              (unsigned long long)d);
}

static void sequence(const herd_backoff_policy *p, herd_rng *rng, uint64_t *out, size_t n)
{
    herd_backoff_state s;
    herd_backoff_init(p, &s, rng);
    for (size_t i = 0; i < n; i++) {
        if (herd_backoff_next(p, &s, rng, &out[i]) != HERD_OK) out[i] = UINT64_MAX;
        if (i % 7 == 6) herd_backoff_reset(&s); /* keep the early, wide attempts in play */
    }
}

Test(backoff, deterministic_per_seed_and_entity)
{
    enum { N = 200 };
    for (int kind = 0; kind < HERD_BACKOFF_KIND_COUNT; kind++) {
        herd_backoff_policy p = defaults_of(kind);
        uint64_t a[N], b[N], c[N];
        herd_rng r1, r2, r3;
        herd_rng_derive(&r1, 42, 1, HERD_RNG_BACKOFF);
        herd_rng_derive(&r2, 42, 1, HERD_RNG_BACKOFF);
        herd_rng_derive(&r3, 42, 2, HERD_RNG_BACKOFF);
        sequence(&p, &r1, a, N), sequence(&p, &r2, b, N), sequence(&p, &r3, c, N);
        cr_assert_arr_eq(a, b, sizeof a, "%s: same seed, same delays", herd_backoff_name(kind));
        bool random = false; /* deterministic kinds give every entity the same delays */
        for (uint32_t n = 0; n < 4; n++) {
            uint64_t lo, hi;
            herd_backoff_bounds(&p, n, &lo, &hi);
            random = random || lo != hi;
        }
        if (random)
            cr_assert(memcmp(a, c, sizeof a) != 0, "%s: another entity, other delays",
                      herd_backoff_name(kind));
    }
}

static void expect_sequence_ms(const herd_backoff_policy *p, const uint64_t *ms, size_t n)
{
    herd_rng rng;
    herd_rng_seed(&rng, 9);
    herd_backoff_state s;
    herd_backoff_init(p, &s, &rng);
    for (size_t i = 0; i < n; i++) {
        uint64_t d;
        cr_assert_eq(herd_backoff_next(p, &s, &rng, &d), HERD_OK);
        cr_assert_eq(d, ms[i] * 1000u, "%s step %zu: %llu us, want %llu ms",
                     herd_backoff_name(p->kind), i, (unsigned long long)d, (unsigned long long)ms[i]);
    }
}

Test(backoff, exact_sequences)
{
    const uint64_t phoenix[] = {10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000, 5000};
    const uint64_t fixed[] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
    const uint64_t expo[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
    const uint64_t signalr[] = {0, 2000, 10000, 30000};
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_PHOENIX);
    expect_sequence_ms(&p, phoenix, sizeof phoenix / sizeof phoenix[0]);
    p = defaults_of(HERD_BACKOFF_FIXED);
    expect_sequence_ms(&p, fixed, sizeof fixed / sizeof fixed[0]);
    p = defaults_of(HERD_BACKOFF_EXPONENTIAL);
    expect_sequence_ms(&p, expo, sizeof expo / sizeof expo[0]);

    p = defaults_of(HERD_BACKOFF_SIGNALR);
    expect_sequence_ms(&p, signalr, 4);
    herd_rng rng;
    herd_rng_seed(&rng, 1);
    herd_backoff_state s;
    herd_backoff_init(&p, &s, &rng);
    s.attempt = 4;
    uint64_t d;
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_ESTOP);
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_ESTOP, "stays stopped");
    cr_assert_eq(s.attempt, 4, "a refused attempt does not count");
    herd_backoff_reset(&s);
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK, "a reset starts over");
    cr_assert_eq(d, 0);
}

Test(backoff, grpc_first_retry_exact_then_jittered)
{
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_GRPC);
    herd_rng rng;
    herd_rng_seed(&rng, 3);
    for (int c = 0; c < 1000; c++) {
        herd_backoff_state s;
        herd_backoff_init(&p, &s, &rng);
        uint64_t d0, d1;
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d0), HERD_OK);
        cr_assert_eq(d0, 1000000u, "grpc-go's Backoff(0) is BaseDelay, unjittered");
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d1), HERD_OK);
        cr_assert(d1 >= 1280000u && d1 <= 1920000u, "1.6 s +/- 20 %%: %llu", (unsigned long long)d1);
    }
    uint64_t lo, hi;
    herd_backoff_bounds(&p, 30, &lo, &hi);
    cr_assert_eq(lo, 96000000u);
    cr_assert_eq(hi, 144000000u, "jitter after the 120 s cap: at most 144 s");
}

Test(backoff, socketio_at_cap_is_exactly_five_seconds)
{
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_SOCKETIO);
    herd_rng rng;
    herd_rng_seed(&rng, 4);
    for (uint16_t n = 4; n < 40; n++) {
        for (int c = 0; c < 2000; c++) {
            herd_backoff_state s;
            herd_backoff_init(&p, &s, &rng);
            s.attempt = n;
            uint64_t d;
            cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
            cr_assert_eq(d, 5000000u, "backo2 caps after jitter: attempt %u gave %llu", n,
                         (unsigned long long)d);
        }
    }
    /* Attempt 3 (8 s +/- 50 %) can still fall under the cap, on a minus draw. */
    uint64_t lo, hi;
    herd_backoff_bounds(&p, 3, &lo, &hi);
    cr_assert_lt(lo, 5000000u);
    cr_assert_eq(hi, 5000000u);
}

Test(backoff, reconnecting_ws_grows_from_the_client_base)
{
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_RECONNECTING_WS);
    herd_rng rng;
    herd_rng_seed(&rng, 6);
    herd_backoff_state s;
    herd_backoff_init(&p, &s, &rng);
    cr_assert(s.base_us >= 1000000u && s.base_us <= 5000000u);
    for (uint32_t n = 0; n < 12; n++) {
        uint64_t d;
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
        double want = dmin(10 * SEC, s.base_us * pow(1.3, n));
        cr_assert(fabs((double)d - want) <= 1, "attempt %u: %llu want %.0f", n, (unsigned long long)d, want);
    }
}

Test(backoff, jitter_before_cap_resynchronises)
{
    herd_backoff_policy good = defaults_of(HERD_BACKOFF_ARTICLE), bad = good;
    bad.jitter_before_cap = 1;
    cr_assert_eq(herd_backoff_validate(&bad), HERD_OK);
    herd_rng rng;
    herd_rng_seed(&rng, 8);
    for (uint16_t n = 11; n < 16; n++) {
        uint64_t good_lo = UINT64_MAX, good_hi = 0;
        for (int c = 0; c < 20000; c++) {
            herd_backoff_state s;
            uint64_t d;
            herd_backoff_init(&bad, &s, &rng);
            s.attempt = n;
            cr_assert_eq(herd_backoff_next(&bad, &s, &rng, &d), HERD_OK);
            cr_assert_eq(d, 60000000u, "jitter then cap: everyone waits exactly the cap");
            herd_backoff_init(&good, &s, &rng);
            s.attempt = n;
            cr_assert_eq(herd_backoff_next(&good, &s, &rng, &d), HERD_OK);
            good_lo = d < good_lo ? d : good_lo;
            good_hi = d > good_hi ? d : good_hi;
        }
        cr_assert(good_lo < 31000000u && good_hi > 89000000u, "cap then jitter spreads 30..90 s");
        uint64_t lo, hi;
        herd_backoff_bounds(&bad, n, &lo, &hi);
        cr_assert(lo == 60000000u && hi == 60000000u);
        cr_assert_eq(herd_backoff_mean_us(&bad, n), 60000000u);
    }
    /* gRPC with the broken order re-synchronises at 120 s too. */
    herd_backoff_policy g = defaults_of(HERD_BACKOFF_GRPC);
    g.jitter_before_cap = 1;
    uint64_t lo, hi;
    herd_backoff_bounds(&g, 12, &lo, &hi);
    cr_assert(lo == 120000000u && hi == 120000000u);
}

Test(backoff, token_bucket)
{
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_AWS_STANDARD);
    herd_rng rng;
    herd_rng_seed(&rng, 10);
    herd_backoff_state s;
    herd_backoff_init(&p, &s, &rng);
    cr_assert_eq(s.tokens, 500);
    for (int i = 0; i < 100; i++) cr_assert(herd_backoff_take_token(&p, &s, 0), "retry %d", i);
    cr_assert_not(herd_backoff_take_token(&p, &s, 0), "500 tokens pay for 100 retries");
    cr_assert_eq(s.tokens, 0);
    herd_backoff_on_success(&p, &s);
    cr_assert_eq(s.tokens, 1, "a success refunds one token");

    herd_backoff_init(&p, &s, &rng);
    for (int i = 0; i < 50; i++) cr_assert(herd_backoff_take_token(&p, &s, 1), "timeout %d", i);
    cr_assert_not(herd_backoff_take_token(&p, &s, 1), "a timeout costs 10");

    herd_backoff_init(&p, &s, &rng);
    for (int i = 0; i < 99; i++) cr_assert(herd_backoff_take_token(&p, &s, 0));
    cr_assert_not(herd_backoff_take_token(&p, &s, 1), "5 left: no timeout retry");
    cr_assert_eq(s.tokens, 5, "a refused take debits nothing");
    cr_assert(herd_backoff_take_token(&p, &s, 0), "but one plain retry");

    herd_backoff_init(&p, &s, &rng);
    cr_assert(herd_backoff_take_token(&p, &s, 0));
    for (int i = 0; i < 10; i++) herd_backoff_on_success(&p, &s);
    cr_assert_eq(s.tokens, 500, "refunds never overfill the bucket");

    herd_backoff_policy none = defaults_of(HERD_BACKOFF_ARTICLE);
    herd_backoff_init(&none, &s, &rng);
    cr_assert_eq(s.tokens, 0);
    for (int i = 0; i < 1000; i++) cr_assert(herd_backoff_take_token(&none, &s, i & 1));
    herd_backoff_on_success(&none, &s);
    cr_assert_eq(s.tokens, 0, "no bucket: nothing to count");
}

Test(backoff, aws_standard_gives_up_after_three_attempts)
{
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_AWS_STANDARD);
    herd_rng rng;
    herd_rng_seed(&rng, 11);
    herd_backoff_state s;
    herd_backoff_init(&p, &s, &rng);
    uint64_t d;
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
    cr_assert_eq(d, 0, "the SDK does not delay its first attempt");
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
    cr_assert_leq(d, 200000u);
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
    cr_assert_leq(d, 400000u);
    cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_ESTOP, "a reconnect loop on it gives up");
}

Test(backoff, max_attempts_applies_to_every_kind)
{
    herd_rng rng;
    herd_rng_seed(&rng, 12);
    for (int kind = 0; kind < HERD_BACKOFF_KIND_COUNT; kind++) {
        herd_backoff_policy p = defaults_of(kind);
        p.max_attempts = 2;
        cr_assert_eq(herd_backoff_validate(&p), HERD_OK);
        herd_backoff_state s;
        herd_backoff_init(&p, &s, &rng);
        uint64_t d;
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_ESTOP, "%s", herd_backoff_name(kind));
        cr_assert(herd_backoff_stops(&p, 2) && !herd_backoff_stops(&p, 1));
        herd_backoff_bounds(&p, 2, &d, &d);
        cr_assert_eq(d, 0);
        herd_backoff_reset(&s);
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
    }
}

Test(backoff, saturates_at_huge_attempts)
{
    herd_rng rng;
    herd_rng_seed(&rng, 13);
    for (int kind = 0; kind < HERD_BACKOFF_KIND_COUNT; kind++) {
        herd_backoff_policy p = defaults_of(kind);
        p.max_attempts = 0;
        if (kind == HERD_BACKOFF_SIGNALR) continue; /* its table stops at 4 */
        herd_backoff_state s;
        herd_backoff_init(&p, &s, &rng);
        s.attempt = UINT16_MAX;
        uint64_t d, lo, hi;
        herd_backoff_bounds(&p, UINT16_MAX, &lo, &hi);
        cr_assert_eq(herd_backoff_next(&p, &s, &rng, &d), HERD_OK);
        cr_assert_eq(s.attempt, UINT16_MAX, "the counter saturates, never wraps to 0");
        cr_assert(d >= lo && d <= hi, "%s", herd_backoff_name(kind));
        herd_backoff_bounds(&p, UINT32_MAX, &lo, &hi);
        cr_assert(hi <= 2ull * p.cap_us + 5000000u, "%s: bounded at any attempt", herd_backoff_name(kind));
    }
}

typedef void (*breaker)(herd_backoff_policy *);
static void cap_zero(herd_backoff_policy *p) { p->cap_us = 0; }
static void base_over_cap(herd_backoff_policy *p) { p->base_us = p->base_max_us = p->cap_us + 1; }
static void base_max_below(herd_backoff_policy *p) { p->base_max_us = p->base_us - 1; }
static void base_zero(herd_backoff_policy *p) { p->base_us = 0; }
static void jitter_over(herd_backoff_policy *p) { p->jitter_ppm = 1000001; }
static void factor_shrinks(herd_backoff_policy *p) { p->factor_milli = 999; }
static void kind_unknown(herd_backoff_policy *p) { p->kind = HERD_BACKOFF_KIND_COUNT; }
static void flag_two(herd_backoff_policy *p) { p->jitter_before_cap = 2; }
static void cap_huge(herd_backoff_policy *p) { p->cap_us = UINT32_MAX; }
static void tokens_cost(herd_backoff_policy *p) { p->token_capacity = 4, p->token_retry_cost = 5; }
static void tokens_free(herd_backoff_policy *p) { p->token_capacity = 10, p->token_retry_cost = 0; }
static void table_on_growth(herd_backoff_policy *p) { p->table_len = 1; }

Test(backoff, validate_rejects_bad_policies)
{
    const struct { int kind; breaker f; const char *why; } bad[] = {
        {HERD_BACKOFF_EXPONENTIAL, cap_zero, "cap 0"},
        {HERD_BACKOFF_ARTICLE, base_over_cap, "base above the cap"},
        {HERD_BACKOFF_ARTICLE, base_max_below, "per-client range upside down"},
        {HERD_BACKOFF_FULL_JITTER, base_zero, "base 0 never grows"},
        {HERD_BACKOFF_ARTICLE, jitter_over, "jitter over 100 %"},
        {HERD_BACKOFF_EXPONENTIAL, factor_shrinks, "factor below x1"},
        {HERD_BACKOFF_GRPC, factor_shrinks, "factor below x1"},
        {HERD_BACKOFF_FIXED, kind_unknown, "unknown kind"},
        {HERD_BACKOFF_ARTICLE, flag_two, "flag not 0/1"},
        {HERD_BACKOFF_ARTICLE, cap_huge, "cap over an hour"},
        {HERD_BACKOFF_AWS_STANDARD, tokens_cost, "retry dearer than the bucket"},
        {HERD_BACKOFF_AWS_STANDARD, tokens_free, "free retries"},
        {HERD_BACKOFF_EXPONENTIAL, table_on_growth, "a table on a growth kind"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        herd_backoff_policy p = defaults_of(bad[i].kind);
        bad[i].f(&p);
        cr_assert_eq(herd_backoff_validate(&p), HERD_EINVAL, "%s: %s", herd_backoff_name(bad[i].kind), bad[i].why);
    }
    herd_backoff_policy p = defaults_of(HERD_BACKOFF_PHOENIX);
    p.table_len = HERD_BACKOFF_TABLE_MAX + 1;
    cr_assert_eq(herd_backoff_validate(&p), HERD_EINVAL, "table too long");
    p.table_len = 0;
    cr_assert_eq(herd_backoff_validate(&p), HERD_EINVAL, "empty table");
    p = defaults_of(HERD_BACKOFF_FIXED);
    p.jitter_before_cap = 1;
    cr_assert_eq(herd_backoff_validate(&p), HERD_EINVAL, "no jitter to put before a cap");
    p = defaults_of(HERD_BACKOFF_EXPONENTIAL);
    p.jitter_ppm = 100000;
    cr_assert_eq(herd_backoff_validate(&p), HERD_EINVAL, "exponential has no jitter");
    p = defaults_of(HERD_BACKOFF_DECORRELATED);
    p.first_unjittered = 1;
    cr_assert_eq(herd_backoff_validate(&p), HERD_EINVAL);
    p = defaults_of(HERD_BACKOFF_DECORRELATED);
    p.factor_milli = 1500;
    cr_assert_eq(herd_backoff_validate(&p), HERD_EINVAL, "decorrelated must at least double");
    cr_assert_eq(herd_backoff_validate(NULL), HERD_EINVAL);
    cr_assert_eq(herd_backoff_defaults(&p, HERD_BACKOFF_KIND_COUNT), HERD_EINVAL);
    cr_assert_eq(herd_backoff_defaults(&p, -1), HERD_EINVAL);

    p = defaults_of(HERD_BACKOFF_FIXED);
    p.base_us = p.base_max_us = 0;
    cr_assert_eq(herd_backoff_validate(&p), HERD_OK, "a fixed 0 is the immediate-retry mistake");
    p = defaults_of(HERD_BACKOFF_ARTICLE);
    p.cap_us = 30000000;
    cr_assert_eq(herd_backoff_validate(&p), HERD_OK, "the article's 30 s cap");
    p.base_max_us = 0;
    cr_assert_eq(herd_backoff_validate(&p), HERD_OK, "base_max 0: one base for all");
}

Test(backoff, names_round_trip)
{
    const char *want[] = {"fixed", "exponential", "article", "full_jitter", "equal_jitter",
                          "decorrelated", "grpc", "socketio", "phoenix", "signalr",
                          "reconnecting_ws", "centrifuge", "aws_standard"};
    cr_assert_eq(sizeof want / sizeof want[0], HERD_BACKOFF_KIND_COUNT);
    for (int k = 0; k < HERD_BACKOFF_KIND_COUNT; k++) {
        cr_assert_str_eq(herd_backoff_name(k), want[k]);
        cr_assert_eq(herd_backoff_parse(want[k]), k);
    }
    cr_assert_eq(herd_backoff_parse("Article"), HERD_EINVAL);
    cr_assert_eq(herd_backoff_parse(""), HERD_EINVAL);
    cr_assert_eq(herd_backoff_parse(NULL), HERD_EINVAL);
    cr_assert_str_eq(herd_backoff_name(-1), "unknown");
    cr_assert_str_eq(herd_backoff_name(HERD_BACKOFF_KIND_COUNT), "unknown");
}
