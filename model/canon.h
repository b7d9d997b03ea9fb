/* canon.h — canonical state encodings with symmetry reduction over identical clients,
 * their fingerprints, and the way back from an encoding to a world (canon.c says what is
 * abstracted and why each abstraction is sound; docs/model-checking.md explains them). */
#ifndef HERD_MODEL_CANON_H
#define HERD_MODEL_CANON_H

#include "world.h"

#define HM_ENC_MAX 4096 /* bytes of one encoding at most (asserted while writing) */

/* The canonical encoding of w's equivalence class into out[HM_ENC_MAX]; returns its
 * length. Equal encodings mean worlds that behave alike (with symmetry: up to a renaming
 * of the clients). Not thread-safe (static scratch). */
size_t hm_canon_encode(const hm_world *w, const hm_config *cfg, bool symmetry, unsigned char *out);
/* Rebuild a world from an encoding. w must hold a world of this configuration built by
 * hm_world_init (its constant fields: client ids, generators, store configuration);
 * every other field is overwritten. 0, or -1 on a malformed encoding. */
int hm_canon_decode(hm_world *w, const hm_config *cfg, const unsigned char *in, size_t len);
/* The top 64 bits of the search's key (fphash.h) of the canonical encoding, seed 0. */
uint64_t hm_fingerprint(const hm_world *w, const hm_config *cfg, bool symmetry);
/* Bytes of the canonical encoding (for the report). */
size_t hm_encoded_bytes(const hm_world *w, const hm_config *cfg);

#endif
