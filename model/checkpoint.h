/* checkpoint.h — a breadth-first search saved at the end of a level, and loaded back, so a
 * search of hours survives a stop (a signal, a depth bound, the end of a working session)
 * and a resumed search reports exactly what an uninterrupted one would.
 *
 * A checkpoint is a directory: `meta` (text: what the search had counted, which model and
 * options it belongs to, and the size and XXH3-64 hash of each data file) and three data
 * files of one generation G: `table.G` (the fingerprint table's keys, 16 bytes each with
 * their flags, in slot order; meta gives their width, key_bits), `level.G` (the level still to expand, as the search wrote it)
 * and `parents.G` (the parent links, 6 bytes per state). A new checkpoint writes generation
 * G+1 beside the old one, then replaces `meta` atomically (atomic_file.h), then removes
 * generation G: a crash at any moment leaves one whole checkpoint, the old or the new.
 * Loading checks the model, the options, the herd version and every file's size and hash,
 * and says which one does not match. */
#ifndef HERD_MODEL_CHECKPOINT_H
#define HERD_MODEL_CHECKPOINT_H

#include "fpset.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define HM_PARENT_BYTES 6u /* a parent link: 4-byte parent index, 2-byte packed transition */

typedef struct hm_ckpt {
    uint64_t model_id;      /* XXH3 of the model file (the caller's identity for the model) */
    uint64_t init_fp;       /* the initial state's key's top 64 bits: catches a changed encoding */
    uint64_t hash_seed;     /* the keys' XXH3 seed (absent from older metas: 0) */
    uint32_t options;       /* symmetry | por << 1 | subsume << 2 | liveness << 3 */
    uint32_t depth;
    uint64_t states, transitions, live_steps, reduced, proviso, subsumed;
    uint64_t frontier_peak;
    uint64_t n_parents;
    uint64_t level_n, level_bytes, level_first;
    double enc_total;       /* the search's sum of encoding bytes (for the mean) */
    double seconds;         /* search time before this checkpoint */
} hm_ckpt;

/* Write c, the table, the level (its first level_bytes bytes) and the parent links into dir
 * (created if needed). Both files are left positioned at their end. 0, or -1 with why. */
int hm_ckpt_save(const char *dir, const hm_ckpt *c, const hm_fpset *table, FILE *level, FILE *parents,
                 char *why, size_t why_size);
/* Read dir's checkpoint: its counts into c, its keys into table (initialised by the
 * caller, empty, with the key width the checkpoint's meta gives, or it is refused), its level and parent links appended to the given files. `want` holds the
 * model_id, init_fp, hash_seed and options the checkpoint must have. 0, or -1 with why. */
int hm_ckpt_load(const char *dir, const hm_ckpt *want, hm_ckpt *c, hm_fpset *table, FILE *level, FILE *parents,
                 char *why, size_t why_size);

#endif
