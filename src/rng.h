/* rng.h — deterministic, caller-owned random number generation.
 *
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64. The core never owns a
 * generator: every function that draws takes a herd_rng* from its caller, so a driver
 * decides which stream each entity uses. herd_rng_derive() builds an independent stream
 * from (seed, entity id, purpose), which is how the simulator gives every client its own
 * randomness: adding a client or changing one policy does not perturb the others.
 * All draws are integer arithmetic: the same seed gives the same numbers at every
 * optimisation level and with every compiler. */
#ifndef HERD_RNG_H
#define HERD_RNG_H

#include <stdint.h>

typedef struct herd_rng {
    uint64_t s[4];
} herd_rng;

/* Well-known purposes for herd_rng_derive; drivers may add their own above 255. */
enum herd_rng_purpose {
    HERD_RNG_BACKOFF = 1,
    HERD_RNG_WORKLOAD = 2,
    HERD_RNG_NETWORK = 3,
    HERD_RNG_FAULTS = 4,
    HERD_RNG_LB = 5,
    HERD_RNG_SERVER = 6,
};

uint64_t herd_splitmix64(uint64_t *state);
void herd_rng_seed(herd_rng *r, uint64_t seed);
void herd_rng_derive(herd_rng *r, uint64_t seed, uint64_t entity, uint64_t purpose);
uint64_t herd_rng_next(herd_rng *r);
/* Uniform in [0, n), unbiased (Lemire's multiply-and-reject). n == 0 returns 0. */
uint64_t herd_rng_below(herd_rng *r, uint64_t n);
/* Uniform in [lo, hi], inclusive, unbiased. Requires lo <= hi. */
uint64_t herd_rng_range(herd_rng *r, uint64_t lo, uint64_t hi);

#endif
