/* canon.h — state fingerprints with symmetry reduction over identical clients
 * (canon.c says what is encoded and why the reduction is sound). */
#ifndef HERD_MODEL_CANON_H
#define HERD_MODEL_CANON_H

#include "world.h"

/* 64-bit XXH3 fingerprint of the world's canonical encoding, never 0. With symmetry, the
 * minimum over every renaming of the clients. Not thread-safe (one scratch buffer). */
uint64_t hm_fingerprint(const hm_world *w, const hm_config *cfg, bool symmetry);
/* Bytes of the canonical encoding (for the report). */
size_t hm_encoded_bytes(const hm_world *w, const hm_config *cfg);

#endif
