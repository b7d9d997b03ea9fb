/* fphash.h — the fingerprint function, shared by the search (fingerprint.c) and by
 * hm_fingerprint (canon.c), which must agree.
 *
 * A state's key is HM_KEY_BITS = 80 bits of XXH3-128: all 64 bits of the high half (`hi`)
 * and the top 16 of the low half (`lo`, its other bits 0). The visited set compares all
 * 80 (fpset.h), so the bound on a collision hiding a state is n^2 / 2^81: 4.1e-7 at a
 * billion states (it was n^2 / 2^62 with 61-bit keys: 0.2).
 *
 * A canonical encoding starts with the fault budgets, one byte each (HM_F_COUNT of them,
 * each <= HM_BUDGET_MAX < 16), then the rest of the state. The key is XXH3-128 of the
 * rest, seeded, with the budgets packed four bits each into bits 3..30 of hi and XORed in:
 *  - a state's budget twins (the same rest, other budgets) have keys that differ in those
 *    bits of hi only, one from another by XOR, and share lo: budget subsumption and L1's
 *    budget-free key derive them from the state's own key without hashing again, and they
 *    share their top 32 bits, so the visited set (which places a key by its top bits)
 *    finds them in the cache line it already loaded;
 *  - for one rest, distinct budgets give distinct keys (the XOR is injective), and across
 *    rests the key is as uniform as XXH3-128: the collision bound is unchanged. */
#ifndef HERD_MODEL_FPHASH_H
#define HERD_MODEL_FPHASH_H

#include "fpset.h"
#include "world.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#define HM_KEY_BITS 80u /* the search's key width: 64 of hi + 16 of lo */
#define HM_KEY_LO_BYTES ((HM_KEY_BITS - 64u + 7u) / 8u)
#define HM_KEY_BYTES (8u + HM_KEY_LO_BYTES) /* a key as the level files hold it */

_Static_assert(HM_KEY_BITS > 64u && HM_KEY_BITS <= HM_FPSET_KEY_BITS_MAX, "a key is all of hi and some of lo");
_Static_assert(HM_BUDGET_MAX < 16, "budgets are packed four bits each into a key");
_Static_assert(3 + 4 * HM_F_COUNT <= 32, "packed budgets stay below a key's top 32 bits");

/* The budgets b[0..HM_F_COUNT) packed where hi carries them. */
static inline uint64_t hm_fp_budget_bits(const unsigned char *b)
{
    uint64_t v = 0;
    for (int f = 0; f < HM_F_COUNT; f++) v |= (uint64_t)(b[f] & 15u) << (3 + 4 * f);
    return v;
}

static inline hm_key hm_key_of128(XXH128_hash_t h, uint64_t budget_bits)
{
    return (hm_key){h.high64 ^ budget_bits, h.low64 & ~(~0ull >> (HM_KEY_BITS - 64u))};
}

/* The key of an encoding (len >= HM_F_COUNT: it starts with the budgets). */
static inline hm_key hm_fp_of(const unsigned char *enc, size_t len, uint64_t seed)
{
    if (len < HM_F_COUNT) return hm_key_of128(XXH3_128bits_withSeed(enc, len, seed), 0);
    return hm_key_of128(XXH3_128bits_withSeed(enc + HM_F_COUNT, len - HM_F_COUNT, seed), hm_fp_budget_bits(enc));
}

/* The key of fp's twin with budgets `to`, fp being that of an encoding whose budgets are
 * `from` (exact: the same rest, so the same XXH3-128; lo does not depend on budgets). */
static inline hm_key hm_fp_twin(hm_key fp, const unsigned char *from, const unsigned char *to)
{
    fp.hi ^= hm_fp_budget_bits(from) ^ hm_fp_budget_bits(to);
    return fp;
}

static inline bool hm_key_eq(hm_key a, hm_key b) { return a.hi == b.hi && a.lo == b.lo; }

/* A key in HM_KEY_BYTES bytes (hi, then lo's significant top bytes) and back. */
static inline void hm_key_store(unsigned char *p, hm_key k)
{
    memcpy(p, &k.hi, 8);
    for (unsigned i = 0; i < HM_KEY_LO_BYTES; i++) p[8 + i] = (unsigned char)(k.lo >> (56u - 8u * i));
}

static inline hm_key hm_key_load(const unsigned char *p)
{
    hm_key k = {0, 0};
    memcpy(&k.hi, p, 8);
    for (unsigned i = 0; i < HM_KEY_LO_BYTES; i++) k.lo |= (uint64_t)p[8 + i] << (56u - 8u * i);
    return k;
}

#endif
