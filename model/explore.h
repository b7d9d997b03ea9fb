/* explore.h — explicit-state breadth-first search over a model's worlds.
 *
 * Breadth-first, so the first violation found is at the smallest depth: a shortest
 * counterexample (for safety properties; an L1 counterexample is a shortest path to a
 * state from which the fault-free schedule fails, followed by that schedule).
 *
 * Memory per visited state: one 7- to 9-byte slot of the fingerprint table (fpset.h, a
 * compact quotient table of 80-bit keys, at most 90 % full) — the only per-state cost in memory. The parent links (6 bytes per state:
 * parent index, packed transition) and the BFS levels (canonical encodings, canon.h) are
 * temporary files, written in order and read back in order (levels) or only to rebuild a
 * path (links). A path is rebuilt in two passes: the canonical chain
 * (decode, apply, encode, as the search did) gives each step's fingerprint; then, from
 * the concrete initial world, each step takes a transition whose child has that
 * fingerprint, so the path replays on real machines with real ids and clocks.
 * Bounds: states, depth, memory; hitting one ends the search with HM_V_LIMIT and a
 * message saying which. */
#ifndef HERD_MODEL_EXPLORE_H
#define HERD_MODEL_EXPLORE_H

#include "world.h"

#include <signal.h>

enum hm_verdict { HM_V_PASS = 0, HM_V_VIOLATION, HM_V_LIMIT, HM_V_ERROR };

#define HM_THREADS_MAX 64

typedef struct hm_limits {
    uint64_t max_states;      /* 0 = unbounded */
    uint32_t max_depth;       /* 0 = unbounded */
    uint64_t max_memory;      /* bytes for the fingerprint table (the rest is on disk) */
    bool preallocate;         /* the table starts at the largest size max_memory allows */
    bool symmetry;
    bool liveness;            /* run L1 from every state */
    bool selfcheck;           /* re-encode every decoded state and compare (tests) */
    bool por;                 /* partial-order reduction (por.h) */
    bool progress;            /* one line per BFS level on stderr (and one a minute inside a
                                 level that takes longer) */
    bool subsume;             /* skip a state whose twin with more fault budget was visited */
    uint64_t hash_seed;       /* keys are XXH3-128 with this seed (0: plain XXH3-128). A
                                 second search with another seed is an independent check: a
                                 state hidden by a collision in both has probability about
                                 the product of the two bounds */
    uint32_t threads;         /* workers expanding a level (0 or 1: the calling thread only);
                                 the search and its figures are the same for any number */
    /* Checkpoints (checkpoint.h), written only at the end of a level: when the depth
     * bound is hit, when *stop becomes non-zero (a signal handler sets it; the search then
     * stops), and every checkpoint_every seconds (0: only those two). NULL dir: never. */
    const char *checkpoint_dir;
    double checkpoint_every;
    volatile sig_atomic_t *stop;
    const char *resume_dir;   /* continue the search saved there instead of starting */
    uint64_t model_id;        /* the model's identity (XXH3 of its file): a checkpoint of
                                 another model is refused */
    /* Tests: called for every child the search reaches (visited before or not; `via` is
     * the transition, terminal false), and for every expanded state that has no enabled
     * transition (terminal true, via.kind 0). NULL: not called. */
    void (*observe)(void *ctx, uint64_t fp, hm_label via, bool terminal); /* fp: the key's top 64 bits */
    void *observe_ctx;
} hm_limits;

typedef struct hm_result {
    int verdict;              /* enum hm_verdict */
    int property;             /* enum hm_prop when HM_V_VIOLATION */
    uint64_t states;          /* distinct states (after symmetry) */
    uint64_t transitions;     /* transitions executed by the search (L1 runs not included) */
    uint64_t live_steps;      /* transitions executed by L1's schedules */
    uint64_t reduced;         /* states expanded with an ample set smaller than the enabled set */
    uint64_t proviso;         /* ample sets refused by the cycle proviso (a child already seen) */
    uint64_t subsumed;        /* children skipped: a twin with more fault budget was visited */
    uint64_t table_entries;   /* keys held: states + those only L1 runs reached */
    uint32_t key_bits;        /* bits of a key the table compares (fphash.h: 80) */
    uint32_t depth;           /* deepest level reached */
    double seconds;
    size_t world_bytes;       /* one decoded world */
    size_t encoded_bytes;     /* the initial state's canonical encoding */
    double encoded_mean;      /* mean encoding bytes over the states */
    size_t visited_bytes;     /* fingerprint table */
    size_t parent_bytes;      /* parent links (6 bytes per state) */
    size_t frontier_peak_bytes;
    uint32_t path_len;        /* labels in path */
    uint32_t live_suffix;     /* of which the last live_suffix are L1's fault-free schedule */
    hm_label *path;           /* concrete transitions from the initial world; free with hm_result_free */
    bool checkpointed;        /* a checkpoint was written (the last one holds the end state) */
    uint32_t resumed_depth;   /* the depth the search resumed at (0: it did not resume) */
    uint32_t shortened;       /* steps an unreduced search cut from POR's counterexample */
    uint64_t shorten_states;  /* states that unreduced search visited */
    char message[256];        /* why a limit or error ended the search */
} hm_result;

/* 0; -1 when the search could not start (res->message says why); -2 when the checkpoint
 * to resume from is unusable (res->message names the file and what is wrong). */
int hm_explore(const hm_config *cfg, const hm_limits *lim, hm_result *res);
void hm_result_free(hm_result *res);
/* Probability that a key collision hid at least one of `states` states, keys of
 * key_bits bits (hm_result.key_bits): at most n^2 / 2^(key_bits + 1). */
double hm_collision_probability(uint64_t states, uint32_t key_bits);

#endif
