/* scenario.h — scenario files: YAML (lib/config.h) into a world configuration and the
 * expectations the run is judged by.
 *
 * Sections: run, world, network, accept, lb, client (with client.backoff), server,
 * store, workload, oracle, faults (a list), expect, and the top-level protocol variant.
 * Every key, its type, default and range is in docs/scenarios.md. Unknown keys get a
 * suggestion, a fault's key that does not apply to its kind is named, out-of-range values
 * are named, and so is what could never take effect or be judged (timing outside the run, a
 * workload that publishes nothing, an expectation decided before the run: docs/scenarios.md,
 * "What is checked"). On any error nothing runs (exit 65). */
#ifndef HERD_SIM_SCENARIO_H
#define HERD_SIM_SCENARIO_H

#include "config.h"
#include "trace_out.h"
#include "world.h"

enum herd_safety_expect { HERD_EXPECT_HOLDS = 0, HERD_EXPECT_VIOLATED = 1 };

typedef struct herd_expect {
    uint8_t safety;          /* enum herd_safety_expect */
    int8_t violates;         /* VIOLATED: this invariant must be among them; -1 any */
    uint8_t recover_set;     /* recovers_within given */
    uint8_t recover_never;   /* recovers_within: never */
    herd_time recovers_within_us;
    uint64_t peak_attempts_max; /* UINT64_MAX: no bound */
    uint64_t peak_attempts_min; /* 0: no bound */
    uint64_t wasted_min;        /* wasted handshakes at least (0: no bound) */
    uint64_t wasted_max;        /* wasted handshakes at most (UINT64_MAX: no bound) */
} herd_expect;

typedef struct herd_scenario {
    herd_world_config world;
    herd_expect expect;
    herd_trace_sel trace;    /* trace: what --out DIR/trace.jsonl holds (trace_out.h) */
    herd_cfg_doc *doc;       /* kept for --out (the resolved scenario) */
} herd_scenario;

/* Load path, apply the --set overrides, read every key, then check the result as a whole
 * (after the overrides, so --set cannot slip a vacuous run past the checks). Returns 0, or
 * the exit status (65 invalid, 74 unreadable) with the message in err. */
int herd_scenario_load(herd_scenario *sc, const char *path, const char *const *sets, size_t nsets,
                       char *err, size_t err_len);
/* How the run will use the file. HERD_SCENARIO_SWARM: `herd run --swarm` replaces the faults
 * by ones drawn from the seed (herd_faults_swarm), so an expectation of recovery is judged
 * against those even when the file schedules none. */
enum herd_scenario_flag { HERD_SCENARIO_SWARM = 1u };
int herd_scenario_load_flags(herd_scenario *sc, const char *path, const char *const *sets, size_t nsets,
                             unsigned flags, char *err, size_t err_len);
/* The same from text (tests). */
int herd_scenario_load_string(herd_scenario *sc, const char *name, const char *text, char *err,
                              size_t err_len);
void herd_scenario_free(herd_scenario *sc);

#endif
