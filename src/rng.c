/* rng.c — xoshiro256** with splitmix64 seeding and stream derivation (see rng.h). */
#include "rng.h"

uint64_t herd_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void herd_rng_seed(herd_rng *r, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++) r->s[i] = herd_splitmix64(&sm);
    /* splitmix64 never yields four zero words in a row, but say so. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 1;
}

void herd_rng_derive(herd_rng *r, uint64_t seed, uint64_t entity, uint64_t purpose)
{
    /* Mix the three words through splitmix64 so nearby (entity, purpose) pairs give
     * unrelated streams; then seed as usual. */
    uint64_t sm = seed;
    uint64_t k = herd_splitmix64(&sm);
    sm = k ^ entity;
    k = herd_splitmix64(&sm);
    sm = k ^ (purpose * 0xd1b54a32d192ed03ull);
    herd_rng_seed(r, herd_splitmix64(&sm));
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t herd_rng_next(herd_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t herd_rng_below(herd_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    unsigned __int128 m = (unsigned __int128)herd_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) { /* expected < 2 iterations */
            m = (unsigned __int128)herd_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t herd_rng_range(herd_rng *r, uint64_t lo, uint64_t hi)
{
    if (hi - lo == UINT64_MAX) return herd_rng_next(r);
    return lo + herd_rng_below(r, hi - lo + 1);
}
