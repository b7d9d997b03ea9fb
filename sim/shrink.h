/* shrink.h — from a failing scenario run to a smaller scenario that fails the same way
 * (`herd shrink`, docs/shrinking.md).
 *
 * A candidate (herd_shrink_cand) is the original scenario document with the numbers the
 * shrinker moves replaced: the seed, clients, rooms, servers, the publisher share, the
 * publish interval, the run's duration, the start spread, and the fault list, written
 * out in full. Each candidate is written as YAML (libyaml's emitter, shrink_yaml.c) and
 * read back by the real scenario reader, so every candidate run is a scenario `herd run`
 * would accept, and one the reader refuses counts as passing (not run). Its verdict:
 * "fails the same way" is, by default, "its first safety violation is of the original's
 * invariant" (or, when the original violated none, "its first failed expectation has the
 * original's name"); with HERD_SHRINK_SAME_VERDICT, any failed expectation.
 *
 * The search (shrink.c) runs rounds of passes until a round changes nothing: clients
 * first (by halving toward 1, so the expensive large runs are few), ddmin over the faults,
 * the world's numbers, each fault's numbers, then rounding. Each run is bounded by
 * max_runs (deterministic) and by the caller's poll (a time budget: it cuts the search and
 * says so). Same inputs, same result: nothing here reads a clock or draws a number. */
#ifndef HERD_SIM_SHRINK_H
#define HERD_SIM_SHRINK_H

#include "run_once.h"
#include "scenario.h"

#include <stdio.h>

#define HERD_SHRINK_RUNS_DEFAULT 400u
#define HERD_SHRINK_RUNS_MAX 1000000u
#define HERD_SHRINK_SEEDS_MAX 1000u
#define HERD_SHRINK_ROUNDS_MAX 8u     /* rounds of every pass */
#define HERD_SHRINK_CACHE_MAX 8192u   /* candidates whose answer is remembered */
#define HERD_SHRINK_HEADER_MAX 8192u  /* bytes of the header comment */

enum herd_shrink_same { HERD_SHRINK_SAME_INVARIANT = 0, HERD_SHRINK_SAME_VERDICT = 1 };

typedef struct herd_shrink_cand {
    uint64_t seed;
    uint32_t clients, rooms, servers;
    uint32_t publishers_ppm;
    herd_time publish_interval_us;
    herd_time duration_us;
    herd_time start_spread_us;
    uint32_t fault_count;
    herd_fault faults[HERD_WORLD_FAULTS_MAX];
} herd_shrink_cand;

typedef struct herd_shrink herd_shrink;

typedef struct herd_shrink_opts {
    uint8_t same;            /* enum herd_shrink_same */
    uint32_t max_runs;       /* simulator runs at most (candidates refused by the reader,
                              * or answered from the cache, are not runs) */
    uint32_t seeds;          /* a candidate that passes is also tried with seeds seed+1 ..
                              * seed+seeds of the original (0: only its own seed) */
    bool (*poll)(void *ctx); /* true: stop the search now (a time budget); NULL: never */
    void *poll_ctx;
    /* After every run: what the search is doing (s->pass, s->runs, s->best). NULL: none. */
    void (*progress)(const herd_shrink *s, void *ctx);
    void *progress_ctx;
} herd_shrink_opts;

struct herd_shrink {
    /* read-only, for the caller */
    herd_shrink_cand orig, best;
    herd_run_outcome orig_out, best_out; /* the original's run and the best candidate's */
    int target_inv;                      /* the invariant to keep violating, or -1 */
    char target_exp[96];                 /* else the expectation to keep failing ("" any) */
    uint32_t runs, invalid, cached, rounds;
    uint32_t crashed;                    /* candidates whose run died (an assertion): not kept */
    const char *pass;                    /* the pass running ("clients", "faults", ...) */
    const char *cut;                     /* NULL, or why the search stopped early */
    /* private */
    herd_shrink_opts opts;
    const herd_cfg_doc *doc;             /* the original document, --set applied */
    herd_world_config base;              /* what it reads as (before any shrinking) */
    herd_run_outcome scratch;
    uint64_t accepted;                   /* candidates that failed the same way */
    bool fatal;                          /* cut stands for an internal error */
    uint32_t ncache;
    uint64_t cache_key[HERD_SHRINK_CACHE_MAX];
    int8_t cache_val[HERD_SHRINK_CACHE_MAX];
};

/* The candidate a configuration is (its faults as they are, e.g. drawn by --swarm). */
void herd_shrink_cand_of(herd_shrink_cand *c, const herd_world_config *cfg);

/* Write the candidate as a scenario file: `header` (may be NULL) as comment lines, then
 * doc with the candidate's values in place (run.seed always written). 0 or -errno. */
int herd_shrink_emit(const herd_cfg_doc *doc, const herd_world_config *base, const herd_shrink_cand *c,
                     const char *header, FILE *f);

/* Run the original (sc as `herd run` would: --set and --swarm applied, the seed set) and
 * its written-back form, which must run identically. Returns 0 when it fails (the target
 * set), HERD_EXIT_FAIL (1) when there is nothing to shrink (it neither violates an
 * invariant nor fails), 70 with err when the written-back form differs or the world cannot
 * be built. sc must outlive s. */
int herd_shrink_init(herd_shrink *s, const herd_scenario *sc, const herd_shrink_opts *o, char *err,
                     size_t err_len);
/* The search: s->best ends at the smallest failing candidate found. 0, or 70 with err. */
int herd_shrink_run(herd_shrink *s, char *err, size_t err_len);

/* "I2 (no duplicate append)" or "expectation 'recovers within 20s'". */
void herd_shrink_target_text(const herd_shrink *s, char *out, size_t n);

#endif
