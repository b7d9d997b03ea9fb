/* hash.h — trace hashes: a streaming 128-bit XXH3 accumulator (system libxxhash).
 *
 * A trace hash must be the same on every run, compiler and optimisation level, so callers
 * feed explicit fields one by one (herd_hash_u64, herd_hash_u32, herd_hash_str ...), never a
 * struct as raw bytes: padding bytes are indeterminate and would make the hash vary. Integers
 * are fed little-endian whatever the host; strings carry their length so ("ab","c") and
 * ("a","bc") differ. herd_hash_bytes is for byte arrays that really are bytes. */
#ifndef HERD_HASH_H
#define HERD_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t by value: no allocation */
#include <xxhash.h>

typedef struct herd_hash {
    XXH3_state_t state; /* private */
} herd_hash;

typedef struct herd_digest {
    uint64_t hi, lo;
} herd_digest;

void herd_hash_init(herd_hash *h, uint64_t seed);
void herd_hash_u64(herd_hash *h, uint64_t v);
void herd_hash_u32(herd_hash *h, uint32_t v);
void herd_hash_i64(herd_hash *h, int64_t v);
void herd_hash_bool(herd_hash *h, bool v);
void herd_hash_bytes(herd_hash *h, const void *p, size_t n);
void herd_hash_str(herd_hash *h, const char *s); /* length-prefixed; NULL hashes as "" */
herd_digest herd_hash_digest(const herd_hash *h); /* does not end the stream */
/* 32 lowercase hex digits (hi then lo, XXH128's canonical order) + NUL. */
void herd_hash_hex(herd_digest dg, char out[33]);
bool herd_digest_eq(herd_digest a, herd_digest b);
/* One-shot 64-bit XXH3 of bytes (state fingerprints). */
uint64_t herd_hash64(const void *p, size_t n, uint64_t seed);

#endif
