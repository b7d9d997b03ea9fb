/* ddmin.c — delta debugging over a set and the search of one number toward a simpler
 * value (ddmin.h). Pure functions of the predicate's answers: no clock, no randomness, no
 * allocation (a set of at most HERD_DD_ITEMS_MAX items lives on the stack). */
#include "ddmin.h"

#include <assert.h>
#include <string.h>

/* Ask about the items list[lo, hi) alone (complement false) or all of list[0, len) but them. */
static int ask_part(const uint8_t *list, size_t len, size_t lo, size_t hi, bool complement, size_t n,
                    herd_dd_set_pred pred, void *ctx)
{
    uint8_t keep[HERD_DD_ITEMS_MAX];
    memset(keep, 0, n);
    for (size_t i = 0; i < len; i++)
        if ((i >= lo && i < hi) != complement) keep[list[i]] = 1;
    return pred(keep, n, ctx);
}

/* Keep only list[lo, hi) (complement false) or drop it (true); returns the new length. */
static size_t cut(uint8_t *list, size_t len, size_t lo, size_t hi, bool complement)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if ((i >= lo && i < hi) != complement) list[k++] = list[i];
    return k;
}

/* One round at granularity gran: the first part, then (gran > 2) the first complement, that
 * still fails replaces the list. Returns the answer; *len and *gran updated on FAILS. */
static int ddmin_round(uint8_t *list, size_t *len, size_t *gran, size_t n, herd_dd_set_pred pred, void *ctx)
{
    for (int complement = 0; complement < 2; complement++) {
        if (complement && *gran == 2) break; /* with two parts a complement is the other part */
        for (size_t i = 0; i < *gran; i++) {
            size_t lo = i * *len / *gran, hi = (i + 1) * *len / *gran;
            int a = ask_part(list, *len, lo, hi, complement, n, pred, ctx);
            if (a == HERD_DD_STOP) return a;
            if (a != HERD_DD_FAILS) continue;
            *len = cut(list, *len, lo, hi, complement);
            *gran = complement ? (*gran > 3 ? *gran - 1 : 2) : 2;
            return HERD_DD_FAILS;
        }
    }
    return HERD_DD_PASSES;
}

int herd_ddmin(uint8_t *keep, size_t n, herd_dd_set_pred pred, void *ctx)
{
    assert(n <= HERD_DD_ITEMS_MAX);
    uint8_t list[HERD_DD_ITEMS_MAX];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) list[len++] = (uint8_t)i;
    if (len == 0) return HERD_DD_PASSES;
    size_t len0 = len;
    int a = ask_part(list, len, 0, 0, false, n, pred, ctx); /* the empty set */
    if (a == HERD_DD_STOP) return a;
    if (a == HERD_DD_FAILS) {
        memset(keep, 0, n);
        return HERD_DD_FAILS;
    }
    size_t gran = 2;
    int stop = 0;
    /* Every round either shrinks the list or doubles gran up to len: bounded. */
    while (len >= 2) {
        if (gran > len) gran = len;
        a = ddmin_round(list, &len, &gran, n, pred, ctx);
        if (a == HERD_DD_STOP) {
            stop = 1;
            break;
        }
        if (a == HERD_DD_FAILS) continue;
        if (gran >= len) break;
        gran = 2 * gran < len ? 2 * gran : len;
    }
    memset(keep, 0, n);
    for (size_t i = 0; i < len; i++) keep[list[i]] = 1;
    if (stop) return HERD_DD_STOP;
    return len < len0 ? HERD_DD_FAILS : HERD_DD_PASSES;
}

static uint64_t dist(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

int herd_dd_toward(uint64_t *value, uint64_t target, uint64_t step, herd_dd_num_pred pred, void *ctx)
{
    if (step == 0) step = 1;
    if (*value == target) return HERD_DD_PASSES;
    int a = pred(target, ctx);
    if (a == HERD_DD_STOP) return a;
    if (a == HERD_DD_FAILS) {
        *value = target;
        return HERD_DD_FAILS;
    }
    uint64_t good = *value, bad = target;
    int rc = HERD_DD_PASSES;
    for (int i = 0; i < 64 && dist(good, bad) > step; i++) { /* the distance halves: <= 64 rounds */
        uint64_t mid = good < bad ? good + (bad - good) / 2 : good - (good - bad) / 2;
        a = pred(mid, ctx);
        if (a == HERD_DD_STOP) {
            rc = HERD_DD_STOP;
            break;
        }
        if (a == HERD_DD_FAILS) {
            good = mid;
            rc = HERD_DD_FAILS;
        } else {
            bad = mid;
        }
    }
    *value = good;
    return rc;
}

int herd_dd_ladder(uint64_t *value, uint64_t target, herd_dd_num_pred pred, void *ctx)
{
    uint64_t d = dist(*value, target);
    for (uint64_t k = 1; k < d && k != 0; k *= 2) { /* k doubles: at most 64 rungs */
        uint64_t v = *value > target ? target + k : target - k;
        int a = pred(v, ctx);
        if (a == HERD_DD_STOP) return a;
        if (a == HERD_DD_FAILS) {
            *value = v;
            return HERD_DD_FAILS;
        }
    }
    return HERD_DD_PASSES;
}

unsigned herd_dd_digits(uint64_t v)
{
    if (v == 0) return 0;
    while (v % 10 == 0) v /= 10;
    unsigned d = 0;
    for (; v; v /= 10) d++;
    return d;
}

uint64_t herd_dd_round(uint64_t v, unsigned digits)
{
    if (digits == 0 || herd_dd_digits(v) <= digits) return v;
    uint64_t scale = 1;
    for (uint64_t t = v; t >= 10; t /= 10) scale *= 10; /* 10^(decimal length - 1) */
    for (unsigned i = 1; i < digits; i++) scale /= 10;
    uint64_t q = v / scale, r = v % scale;
    if (r >= scale - r && q < UINT64_MAX / scale - 1) q++; /* half up, without overflow */
    return q * scale;
}
