/* explore.h — explicit-state breadth-first search over a model's worlds.
 *
 * Breadth-first, so the first violation found is at the smallest depth: a shortest
 * counterexample (for safety properties; an L1 counterexample is a shortest path to a
 * state from which the fault-free schedule fails, followed by that schedule). Visited
 * states are 64-bit fingerprints (fpset.h); each state also keeps its parent's index and
 * the transition that reached it (8 bytes) to rebuild the path. The frontier holds whole
 * worlds, one BFS level at a time. Bounds: states, depth, memory; hitting one ends the
 * search with HM_V_LIMIT and a message saying which. */
#ifndef HERD_MODEL_EXPLORE_H
#define HERD_MODEL_EXPLORE_H

#include "world.h"

enum hm_verdict { HM_V_PASS = 0, HM_V_VIOLATION, HM_V_LIMIT, HM_V_ERROR };

typedef struct hm_limits {
    uint64_t max_states;      /* 0 = unbounded */
    uint32_t max_depth;       /* 0 = unbounded */
    uint64_t max_memory;      /* bytes for the visited set, parents and frontier */
    bool symmetry;
    bool liveness;            /* run L1 from every state */
} hm_limits;

typedef struct hm_result {
    int verdict;              /* enum hm_verdict */
    int property;             /* enum hm_prop when HM_V_VIOLATION */
    uint64_t states;          /* distinct states (after symmetry) */
    uint64_t transitions;     /* transitions executed by the search (L1 runs not included) */
    uint64_t live_steps;      /* transitions executed by L1's schedules */
    uint32_t depth;           /* deepest level reached */
    double seconds;
    size_t world_bytes;       /* one full world in the frontier */
    size_t encoded_bytes;     /* its canonical encoding (hashed) */
    size_t visited_bytes;     /* fingerprint table */
    size_t parent_bytes;      /* parent links */
    size_t frontier_peak_bytes;
    uint32_t path_len;        /* labels in path */
    uint32_t live_suffix;     /* of which the last live_suffix are L1's fault-free schedule */
    hm_label *path;           /* malloc'd; free with hm_result_free */
    char message[256];        /* why a limit or error ended the search */
} hm_result;

int hm_explore(const hm_config *cfg, const hm_limits *lim, hm_result *res);
void hm_result_free(hm_result *res);
/* Probability that a fingerprint collision hid at least one state: about n^2 / 2^65. */
double hm_collision_probability(uint64_t states);

#endif
