/* fphash.h — the fingerprint function, shared by the search (fingerprint.c) and by
 * hm_fingerprint (canon.c), which must agree.
 *
 * A canonical encoding starts with the fault budgets, one byte each (HM_F_COUNT of them,
 * each <= HM_BUDGET_MAX < 16), then the rest of the state. The fingerprint is XXH3-64 of
 * the rest, seeded, with the budgets packed four bits each into bits 3..30 and XORed in:
 *  - a state's budget twins (the same rest, other budgets) have fingerprints that differ
 *    in those bits only, one from another by XOR: budget subsumption and L1's budget-free
 *    key derive them from the state's own fingerprint without hashing again, and they
 *    share their top 32 bits, so the visited set (which places a key by its top bits)
 *    finds them in the cache line it already loaded;
 *  - for one rest, distinct budgets give distinct fingerprints (the XOR is injective), and
 *    across rests the fingerprint is as uniform as XXH3: the collision bound is unchanged.
 * 0 is never a fingerprint (it marks an empty slot): it becomes 1. */
#ifndef HERD_MODEL_FPHASH_H
#define HERD_MODEL_FPHASH_H

#include "world.h"

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

_Static_assert(HM_BUDGET_MAX < 16, "budgets are packed four bits each into a fingerprint");
_Static_assert(3 + 4 * HM_F_COUNT <= 32, "packed budgets stay below a fingerprint's top 32 bits");

/* The budgets b[0..HM_F_COUNT) packed where the fingerprint carries them. */
static inline uint64_t hm_fp_budget_bits(const unsigned char *b)
{
    uint64_t v = 0;
    for (int f = 0; f < HM_F_COUNT; f++) v |= (uint64_t)(b[f] & 15u) << (3 + 4 * f);
    return v;
}

static inline uint64_t hm_fp_nonzero(uint64_t h) { return h ? h : 1u; }

/* The fingerprint of an encoding (len >= HM_F_COUNT: it starts with the budgets). */
static inline uint64_t hm_fp_of(const unsigned char *enc, size_t len, uint64_t seed)
{
    if (len < HM_F_COUNT) return hm_fp_nonzero(XXH3_64bits_withSeed(enc, len, seed));
    return hm_fp_nonzero(XXH3_64bits_withSeed(enc + HM_F_COUNT, len - HM_F_COUNT, seed) ^ hm_fp_budget_bits(enc));
}

/* The fingerprint of fp's twin with budgets `to`, fp being that of an encoding whose
 * budgets are `from` (exact: the remap of 0 to 1 only touches bit 0, which the visited
 * set does not compare). */
static inline uint64_t hm_fp_twin(uint64_t fp, const unsigned char *from, const unsigned char *to)
{
    return hm_fp_nonzero(fp ^ hm_fp_budget_bits(from) ^ hm_fp_budget_bits(to));
}

#endif
