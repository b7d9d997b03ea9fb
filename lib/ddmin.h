/* ddmin.h — the two searches `herd shrink` is made of, on any predicate: delta debugging
 * (Zeller and Hildebrandt's ddmin) over a set of items, and a search that moves one whole
 * number toward a simpler value.
 *
 * The caller's predicate answers "does this candidate still fail the same way?":
 * HERD_DD_FAILS (keep it), HERD_DD_PASSES (reject it) or HERD_DD_STOP (a budget ran out:
 * the search returns at once with the best candidate so far). Neither search reads a clock
 * or draws a random number, so the same predicate gives the same result, and each asks at
 * most a stated number of questions (below). Nothing is allocated. */
#ifndef HERD_DDMIN_H
#define HERD_DDMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HERD_DD_ITEMS_MAX 64u /* items ddmin takes (a scenario holds at most 64 faults) */

enum herd_dd_answer { HERD_DD_PASSES = 0, HERD_DD_FAILS = 1, HERD_DD_STOP = -1 };

/* keep[i] != 0: item i is in the candidate. */
typedef int (*herd_dd_set_pred)(const uint8_t *keep, size_t n, void *ctx);
typedef int (*herd_dd_num_pred)(uint64_t value, void *ctx);

/* ddmin: keep[0..n) holds a failing set (n <= HERD_DD_ITEMS_MAX; the predicate is not asked
 * about it); on return it holds a 1-minimal one (removing any one item passes) unless the
 * search was stopped. The empty set is asked first. At most n*n + 3n + 1 questions.
 * Returns HERD_DD_FAILS when it removed something, HERD_DD_PASSES when not, HERD_DD_STOP. */
int herd_ddmin(uint8_t *keep, size_t n, herd_dd_set_pred pred, void *ctx);

/* From *value (failing; not asked) toward target, which may lie above or below it: target
 * itself is asked first, then a bisection between the failing value closest to target and
 * the passing value closest to *value, until they are within step (>= 1) of each other.
 * *value ends at the failing value closest to target found (a bisection assumes failing is
 * monotone; where it is not, the result still fails, it may just not be the closest). At
 * most 1 + 64 questions. Returns as herd_ddmin. */
int herd_dd_toward(uint64_t *value, uint64_t target, uint64_t step, herd_dd_num_pred pred, void *ctx);

/* From *value (failing; not asked) toward target, by a ladder: target + 1, + 2, + 4, ...
 * (or minus, when target lies above), nearest first, while short of *value; the first
 * that fails becomes *value. Where failing is not monotone (a 150-client world fails, a
 * 140-client one does not, a 16-client one does) a bisection stops at the first boundary;
 * the ladder finds the small one, and costs little when small candidates run fast. At most
 * 64 questions. Returns as herd_ddmin. */
int herd_dd_ladder(uint64_t *value, uint64_t target, herd_dd_num_pred pred, void *ctx);

/* v rounded to `digits` significant decimal digits (half up), or v when that is not fewer
 * digits than it has; the rounding pass of herd shrink (7 345 000 -> 7 000 000). */
uint64_t herd_dd_round(uint64_t v, unsigned digits);
/* Significant decimal digits of v (0 for 0; 7 000 000 has 1, 7 345 000 has 4). */
unsigned herd_dd_digits(uint64_t v);

#endif
