/* hash.c — trace hashes over explicit fields (see hash.h).
 *
 * Owns the byte encoding fed to XXH3: integers little-endian, booleans as one byte, strings
 * length-prefixed. The encoding is part of the trace format: changing it changes every golden
 * trace hash, so it changes only with a trace format version bump. */
#include "hash.h"

#include <string.h>

static void put_le(herd_hash *h, uint64_t v, size_t n)
{
    unsigned char b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    XXH3_128bits_update(&h->state, b, n);
}

void herd_hash_init(herd_hash *h, uint64_t seed)
{
    memset(h, 0, sizeof *h);
    XXH3_128bits_reset_withSeed(&h->state, seed);
}

void herd_hash_u64(herd_hash *h, uint64_t v) { put_le(h, v, 8); }
void herd_hash_u32(herd_hash *h, uint32_t v) { put_le(h, v, 4); }
void herd_hash_i64(herd_hash *h, int64_t v) { put_le(h, (uint64_t)v, 8); }
void herd_hash_bool(herd_hash *h, bool v) { put_le(h, v ? 1 : 0, 1); }

void herd_hash_bytes(herd_hash *h, const void *p, size_t n)
{
    if (n)
        XXH3_128bits_update(&h->state, p, n);
}

void herd_hash_str(herd_hash *h, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    herd_hash_u64(h, n);
    herd_hash_bytes(h, s, n);
}

herd_digest herd_hash_digest(const herd_hash *h)
{
    XXH128_hash_t d = XXH3_128bits_digest(&h->state);
    return (herd_digest){.hi = d.high64, .lo = d.low64};
}

void herd_hash_hex(herd_digest dg, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(dg.hi >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(dg.lo >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

bool herd_digest_eq(herd_digest a, herd_digest b) { return a.hi == b.hi && a.lo == b.lo; }

uint64_t herd_hash64(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, n, seed);
}
