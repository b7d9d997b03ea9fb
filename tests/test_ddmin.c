/* test_ddmin.c — lib/ddmin.c, the searches under `herd shrink`, on synthetic predicates:
 * ddmin finds the one failing subset of a monotone predicate and is 1-minimal on others,
 * within its stated number of questions; a budget stop keeps the best so far; the number
 * search finds a threshold from above and from below; the ladder finds the small failing
 * value a bisection steps over; rounding; and the same predicate gives the same questions. */
#include "ddmin.h"

#include <criterion/criterion.h>
#include <string.h>

typedef struct set_oracle {
    uint64_t need;       /* fails iff every item of need is kept */
    uint64_t questions;
    uint64_t stop_after; /* 0: never */
    uint64_t trail;      /* a hash of the questions, in order */
} set_oracle;

static uint64_t mask_of(const uint8_t *keep, size_t n)
{
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) m |= 1ull << i;
    return m;
}

static int needs(const uint8_t *keep, size_t n, void *ctx)
{
    set_oracle *o = ctx;
    uint64_t m = mask_of(keep, n);
    o->questions++;
    o->trail = o->trail * 1099511628211ull ^ m;
    if (o->stop_after && o->questions > o->stop_after) return HERD_DD_STOP;
    return (m & o->need) == o->need ? HERD_DD_FAILS : HERD_DD_PASSES;
}

static uint64_t run_set(set_oracle *o, size_t n)
{
    uint8_t keep[HERD_DD_ITEMS_MAX];
    memset(keep, 1, n);
    herd_ddmin(keep, n, needs, o);
    return mask_of(keep, n);
}

Test(ddmin, finds_the_two_items_that_fail_together)
{
    set_oracle o = {.need = (1ull << 3) | (1ull << 11)};
    cr_assert_eq(run_set(&o, 16), o.need);
    cr_assert_leq(o.questions, 16 * 16 + 3 * 16 + 1, "%llu questions", (unsigned long long)o.questions);
}

Test(ddmin, every_required_set_of_every_size_is_found_within_the_bound)
{
    for (size_t n = 1; n <= 12; n++)
        for (uint64_t need = 1; need < (1ull << n); need = need * 3 + 1) {
            set_oracle o = {.need = need & ((1ull << n) - 1)};
            if (!o.need) continue;
            cr_assert_eq(run_set(&o, n), o.need, "n %zu need %llx", n, (unsigned long long)o.need);
            cr_assert_leq(o.questions, n * n + 3 * n + 1);
        }
}

Test(ddmin, the_empty_set_is_asked_first_and_kept_when_it_fails)
{
    set_oracle o = {.need = 0};
    cr_assert_eq(run_set(&o, 10), 0);
    cr_assert_eq(o.questions, 1);
}

/* Not monotone: fails iff exactly one of items 2 and 5 is kept, or items 0..3 all are. */
static int odd(const uint8_t *keep, size_t n, void *ctx)
{
    (void)ctx;
    uint64_t m = mask_of(keep, n);
    bool a = m >> 2 & 1, b = m >> 5 & 1;
    return (a != b) || (m & 0xf) == 0xf ? HERD_DD_FAILS : HERD_DD_PASSES;
}

Test(ddmin, result_is_one_minimal_and_still_fails_on_a_non_monotone_predicate)
{
    uint8_t keep[8];
    memset(keep, 1, sizeof keep);
    keep[5] = 0; /* the start must fail: 2 kept, 5 not */
    herd_ddmin(keep, 8, odd, NULL);
    cr_assert_eq(odd(keep, 8, NULL), HERD_DD_FAILS);
    for (size_t i = 0; i < 8; i++) {
        if (!keep[i]) continue;
        keep[i] = 0;
        cr_assert_eq(odd(keep, 8, NULL), HERD_DD_PASSES, "item %zu could go", i);
        keep[i] = 1;
    }
}

Test(ddmin, a_stop_returns_at_once_with_a_set_that_still_fails)
{
    set_oracle o = {.need = 1ull << 7, .stop_after = 4};
    uint8_t keep[32];
    memset(keep, 1, sizeof keep);
    cr_assert_eq(herd_ddmin(keep, 32, needs, &o), HERD_DD_STOP);
    cr_assert_eq(o.questions, 5);
    cr_assert(mask_of(keep, 32) & (1ull << 7), "the kept set lost the failing item");
}

Test(ddmin, same_predicate_same_questions)
{
    set_oracle a = {.need = 0x2410}, b = {.need = 0x2410};
    run_set(&a, 20);
    run_set(&b, 20);
    cr_assert_eq(a.trail, b.trail);
    cr_assert_eq(a.questions, b.questions);
}

typedef struct num_oracle {
    uint64_t lo, hi; /* fails iff lo <= v <= hi, or v == extra */
    uint64_t extra;
    uint64_t questions;
} num_oracle;

static int within(uint64_t v, void *ctx)
{
    num_oracle *o = ctx;
    o->questions++;
    return (v >= o->lo && v <= o->hi) || v == o->extra ? HERD_DD_FAILS : HERD_DD_PASSES;
}

Test(ddmin, toward_finds_a_threshold_from_above)
{
    num_oracle o = {.lo = 37, .hi = UINT64_MAX, .extra = UINT64_MAX};
    uint64_t v = 100000;
    cr_assert_eq(herd_dd_toward(&v, 1, 1, within, &o), HERD_DD_FAILS);
    cr_assert_eq(v, 37);
    cr_assert_leq(o.questions, 65);
}

Test(ddmin, toward_finds_a_threshold_from_below_within_its_step)
{
    num_oracle o = {.lo = 0, .hi = 5000000, .extra = UINT64_MAX};
    uint64_t v = 10000;
    herd_dd_toward(&v, 60000000, 1000, within, &o);
    cr_assert(v <= 5000000 && v + 1000 > 5000000, "v %llu", (unsigned long long)v);
}

Test(ddmin, toward_takes_the_target_when_it_fails)
{
    num_oracle o = {.lo = 0, .hi = UINT64_MAX, .extra = UINT64_MAX};
    uint64_t v = 500;
    cr_assert_eq(herd_dd_toward(&v, 1, 1, within, &o), HERD_DD_FAILS);
    cr_assert_eq(v, 1);
    cr_assert_eq(o.questions, 1);
}

Test(ddmin, the_ladder_finds_the_small_value_a_bisection_steps_over)
{
    num_oracle o = {.lo = 150, .hi = UINT64_MAX, .extra = 20};
    uint64_t v = 300;
    herd_dd_toward(&v, 1, 1, within, &o);
    cr_assert_eq(v, 150, "the bisection stops at the first boundary");
    cr_assert_eq(herd_dd_ladder(&v, 1, within, &o), HERD_DD_PASSES, "20 is no rung (2, 3, 5, 9, 17, 33: 1 + 2^k)");
    cr_assert_eq(v, 150);
    o.extra = 33; /* 1 + 32: a rung */
    cr_assert_eq(herd_dd_ladder(&v, 1, within, &o), HERD_DD_FAILS);
    cr_assert_eq(v, 33);
}

Test(ddmin, rounding_to_significant_digits)
{
    cr_assert_eq(herd_dd_round(7345000, 1), 7000000);
    cr_assert_eq(herd_dd_round(7345000, 2), 7300000);
    cr_assert_eq(herd_dd_round(7355000, 2), 7400000);
    cr_assert_eq(herd_dd_round(95, 1), 100);
    cr_assert_eq(herd_dd_round(7000000, 1), 7000000);
    cr_assert_eq(herd_dd_round(0, 1), 0);
    cr_assert_eq(herd_dd_digits(7345000), 4);
    cr_assert_eq(herd_dd_digits(100), 1);
    cr_assert_eq(herd_dd_digits(0), 0);
}
