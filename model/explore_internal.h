/* explore_internal.h — what the files of the search share and nobody else needs: the
 * search's state, the level files, the workers' records, and the functions one file of
 * the search calls in another. The public API is explore.h.
 *
 *   explore.c            hm_explore: the search, then shorten.c after a reduced violation
 *   search.c             the BFS: initial state, levels, violations, set-up and figures
 *   fingerprint.c        fingerprints, budget subsumption, the collision bound
 *   bounds.c             growing arenas, the LIMIT verdict
 *   levels.c             level and parent-link temporary files, the counterexample's path
 *   workers.c            worker threads: phases 1 to 3 of a batch
 *   liveness.c           bounded liveness (L1), memoised in the fingerprint table
 *   search_checkpoint.c  the search saved to and restored from a checkpoint
 *   shorten.c            an unreduced re-search for a shorter counterexample after POR
 *   progress.c           the clock and --progress inside a level */
#ifndef HERD_MODEL_EXPLORE_INTERNAL_H
#define HERD_MODEL_EXPLORE_INTERNAL_H

#include "explore.h"

#include "canon.h"
#include "checkpoint.h"
#include "fphash.h"
#include "fpset.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- expanding a level: batches of four phases ---------------------------------------
 *
 * A level is expanded in batches of BATCH states (docs/model-checking.md, "Workers").
 * Phase 1, on every worker: chunks of CHUNK states handed out in turn; decode, choose the
 * ample set or take every enabled transition, and for each child its encoding,
 * fingerprint and safety check, dropping children visited before the batch or subsumed
 * by a twin visited before it, keeping the world of a new one for L1. Phase 2, on the
 * calling thread, over the children in state order: the table, parent links, the next
 * level; a safety violation is held. Phase 3, on every worker: L1 from each new state.
 * Phase 4, in order: the first L1 failure, else the held violation; L1's proofs marked.
 * Workers only read the table (phases 1 and 3) while nobody writes it (phases 2 and 4),
 * and what they read depends on the batch, not on how it was shared: every figure and
 * every path is the same for any number of workers. */
#define BATCH 512u
#define CHUNK 8u  /* states handed to a worker at a time */

/* A BFS level, in a temporary file: entries of a 2-byte length, the key (HM_KEY_BYTES:
 * its 80 bits, fphash.h) and the encoding, written in order and read back in order, a batch at a time (the
 * levels of a large model are gigabytes; the page cache keeps small ones in memory). */
typedef struct level {
    FILE *f;
    uint64_t bytes;       /* written */
    uint64_t n;
    uint64_t first;       /* state index of the level's first entry */
} level;

typedef struct search {
    hm_config cfg;
    const hm_limits *lim;
    hm_result *res;
    size_t wb;
    hm_fpset seen;
    FILE *parents;        /* per state: 4-byte parent index (UINT32_MAX for the initial
                             state) and 2-byte packed transition, in a temporary file */
    uint64_t n_par;
    level cur, next;
    hm_world *child, *live;  /* the initial world; L1's scratch on the calling thread */
    bool por_cfg;
    uint32_t n_workers;
    struct worker *wk;    /* n_workers of them; wk[0] runs on the calling thread */
    struct hm_barrier *go, *done;
    bool stop;
    int phase;            /* what the workers run next: 1 or 3 */
    size_t *offs;         /* a batch's entry offsets in bbuf */
    uint32_t batch_n, n_chunks;
    _Atomic uint32_t next_chunk;
    _Atomic size_t next_pend;
    uint32_t chunk_w[BATCH / CHUNK];   /* the worker that expanded chunk c */
    size_t chunk_rec[BATCH / CHUNK], chunk_end[BATCH / CHUNK]; /* its records */
    unsigned char *bbuf;  /* the batch's entries, read from the current level */
    size_t cap_bbuf;
    struct lpend *pend;   /* phase 2's new states that need L1 */
    size_t n_pend, cap_pend;
    int held;             /* a safety violation phase 2 met, reported after the L1 runs before it */
    uint32_t held_parent;
    hm_label held_label;
    hm_label *live_path;
    hm_key *live_fp;
    uint32_t live_len;
    double enc_total;
    double t0;            /* when the search started (for --progress) */
    double t_note;        /* when --progress last printed a line inside a level */
    bool bad_resume;      /* the checkpoint to resume from was refused */
    unsigned char enc[HM_ENC_MAX];
} search;

/* A frontier entry: 2 bytes of length, the key in HM_KEY_BYTES bytes, the encoding. */
#define ENTRY_HEAD (2u + HM_KEY_BYTES)
#define PARENT_BYTES HM_PARENT_BYTES /* checkpoint.h: the checkpoint copies them */

enum { CR_TERMINAL = 1u, CR_SUBSUME = 2u, CR_OBSERVE = 4u /* seen before the batch: for the observer only */ };
#define NO_WORLD UINT64_MAX

/* A new state whose L1 runs in phase 3: the record, where its result goes. */
typedef struct lpend {
    uint32_t w;                /* the worker holding the record */
    uint32_t by;               /* the worker that ran L1 (its mark arena) */
    uint64_t rec;
    uint64_t marks_off;
    uint32_t n_marks;
    uint32_t idx;              /* the state's index */
    int prop;                  /* L1's verdict */
} lpend;

typedef struct crec {          /* one child (or a terminal state), from phase 1 */
    hm_key fp;
    uint64_t enc_off;          /* in the worker's byte arena */
    uint64_t world_off;        /* in the worker's world arena (children not visited before the batch), or NO_WORLD */
    uint32_t parent;
    uint16_t len;
    uint8_t prop;              /* safety property the child violates, or 0 */
    uint8_t flags;
    hm_label l;
} crec;

typedef struct worker {
    search *s;
    hm_world *base, *child, *live;
    hm_world *amp[HM_LABELS_MAX]; /* children of an ample candidate (POR), allocated on demand */
    unsigned char *amp_enc[HM_LABELS_MAX]; /* their encodings, kept for recording them */
    size_t amp_len[HM_LABELS_MAX];
    hm_key amp_fp[HM_LABELS_MAX];
    unsigned char enc[HM_ENC_MAX];
    hm_key *live_fp;           /* an L1 run's keys */
    crec *rec;
    size_t n_rec, cap_rec;
    unsigned char *bytes;
    size_t n_bytes, cap_bytes;
    hm_key *marks;
    size_t n_marks, cap_marks;
    unsigned char *worlds;     /* child worlds kept for L1 */
    size_t n_worlds, cap_worlds;
    size_t made_worlds;        /* slots of `worlds` that hold a whole world (hm_world_copy's precondition) */
    uint64_t batch_first;      /* level index of the batch's first state */
    uint64_t transitions, reduced, proviso, live_steps, subsumed;
    bool bad, oom;
    pthread_t th;
} worker;

/* levels.c */
FILE *hm_temp_file(void);
bool hm_level_push(search *s, level *l, hm_key fp, const unsigned char *enc, size_t len);
/* The next entry of a level being read: its length and key, the encoding into out
 * (HM_ENC_MAX bytes). False at a read error or a torn entry. */
bool hm_level_read(level *l, size_t *len, hm_key *fp, unsigned char *out);
bool hm_add_parent(search *s, uint32_t parent, hm_label label);
/* The path to state idx, then `last`, then L1's schedule, into s->res (concrete). */
void hm_build_path(search *s, uint32_t idx, hm_label last, int property);

/* search.c: the search without the shortening step; *shorten is set when a reduced
 * search found a violation that an unreduced one may shorten (explore.c, shorten.c). */
int hm_search(const hm_config *cfg, const hm_limits *lim, hm_result *res, bool *shorten);

/* fingerprint.c */
hm_key hm_fp_hash(const search *s, const unsigned char *enc, size_t len);
/* True when a twin of the state (key fp, encoding enc) with more fault budget was
 * visited. */
bool hm_dominated(const search *s, hm_key fp, const unsigned char *enc, size_t len);

/* bounds.c */
/* The search ends at a bound: HM_V_LIMIT, why in the message. Returns false. */
bool hm_limit(search *s, const char *why);
bool hm_grow_arena(void **p, size_t *cap, size_t need, size_t elem);

/* liveness.c */
hm_key hm_live_key(const search *s, const unsigned char *enc, size_t len);
/* The same key from the state's key fp (no hashing). */
hm_key hm_live_key_fp(hm_key fp, const unsigned char *enc, size_t len);
int hm_live_check(search *s, const hm_world *w);
int hm_live_try(worker *wk, const hm_world *w, uint32_t *n_marks);

/* workers.c */
void hm_run_phase(search *s, int ph);
bool hm_commit(search *s, worker *wk, const crec *r);
bool hm_workers_init(search *s, const hm_world *init);
void hm_workers_free(search *s);

/* search_checkpoint.c */
bool hm_search_ckpt_save(search *s, uint64_t init_fp);
bool hm_search_ckpt_resume(search *s, uint64_t init_fp);

/* shorten.c */
void hm_shortest(const hm_config *cfg, const hm_limits *lim, hm_result *res);

/* progress.c */
double hm_now_s(void);
void hm_level_note(search *s, uint64_t done);

#endif
