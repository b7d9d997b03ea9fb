/* fingerprint.c — what identifies a state to the search: its 80-bit key (XXH3-128 of the
 * canonical encoding, seeded), budget subsumption (a state whose twin with more fault budget
 * was visited adds nothing) and the collision bound the summary prints. Below search.c,
 * workers.c and liveness.c, which all probe the table with these. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"
#include "fphash.h"

#include <math.h>
#include <string.h>

/* Among n uniform k-bit keys, the chance that some pair is equal is at most
 * n (n - 1) / 2 / 2^k < n^2 / 2^(k + 1): a bound on a collision hiding a state. */
double hm_collision_probability(uint64_t states, uint32_t key_bits)
{
    double n = (double)states;
    return fmin(1.0, n * n / ldexp(1.0, (int)key_bits + 1));
}

/* A state's key (fphash.h), with the search's hash seed (seed 0 is hm_fingerprint's). Every fingerprint the table holds comes from here, so a
 * search with another seed is an independent draw of the hash function: what a collision
 * hid in one search it almost surely did not hide in the other. */
hm_key hm_fp_hash(const search *s, const unsigned char *enc, size_t len)
{
    return hm_fp_of(enc, len, s->lim->hash_seed);
}

/* Budget subsumption. Fault budgets only enable faults, so a world with a larger budget
 * (component-wise) can do everything the same world with a smaller one can, and more: a
 * state whose twin with some budget restored was already visited adds no behaviour. The
 * budgets are the encoding's first HM_F_COUNT bytes, and a renaming never changes them,
 * so a twin's encoding is this one with those bytes patched, and its key this one's
 * with the packed budgets swapped in hi (lo is the same) (fphash.h): no hashing, and the twins' slots lie
 * beside this state's. True when some twin was visited. Only children of fully expanded
 * states are checked (visit's `subsume`): the cycle proviso reasons about the ample
 * children it sees. */
#define DOM_TWINS_MAX 64u

bool hm_dominated(const search *s, hm_key fp, const unsigned char *enc, size_t len)
{
    if (!s->lim->subsume || len < HM_F_COUNT) return false;
    uint32_t lo[HM_F_COUNT], span[HM_F_COUNT], twins = 1;
    for (int f = 0; f < HM_F_COUNT; f++) {
        uint32_t hi = s->cfg.budget[f];
        lo[f] = enc[f];
        if (hi >= 16u || lo[f] > hi) return false;
        span[f] = hi - lo[f] + 1u;
        twins *= span[f];
        if (twins > DOM_TWINS_MAX) return false;
    }
    hm_key h[DOM_TWINS_MAX];
    unsigned char b[HM_F_COUNT];
    for (uint32_t k = 1; k < twins; k++) { /* k = 0 is the state itself */
        uint32_t r = k;
        for (int f = 0; f < HM_F_COUNT; f++) {
            b[f] = (unsigned char)(lo[f] + r % span[f]);
            r /= span[f];
        }
        h[k] = hm_fp_twin(fp, enc, b);
    }
    for (uint32_t k = 1; k < twins; k++)
        if (hm_fpset_flags(&s->seen, h[k]) & HM_FP_SEEN) return true;
    return false;
}
