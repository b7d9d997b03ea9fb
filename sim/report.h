/* report.h — the outcome of a run: its figures, its expectations judged, and the ways
 * they are written out (one JSON object on stdout, a human summary, the --out files).
 * JSON holds only integers and fixed-point decimals (lib/json.h), never a float. */
#ifndef HERD_SIM_REPORT_H
#define HERD_SIM_REPORT_H

#include "scenario.h"

#define HERD_EXPECT_MAX 8

typedef struct herd_expectation {
    char name[96];
    bool ok;
    char detail[HERD_ORACLE_MSG_MAX + 16];
} herd_expectation;

typedef struct herd_report {
    const char *scenario;       /* the scenario file's path (summary.json), or NULL */
    uint64_t seed;
    uint32_t clients;
    uint64_t events;
    /* Process figures, from cmd_run (the world never reads a clock): setup (building the
     * world, opening the trace), run (the event loop), wall = both, CPU (user + sys) of
     * both. */
    uint64_t setup_us, run_us, wall_us, cpu_us;
    char trace_hash[33];
    uint64_t lost, duplicates, reordered, acked, delivered, published;
    /* I8's accounting: published = acked + queued + failed_reported + lost_unacked. queued
     * is held by clients still trying; failed_reported by clients that stopped (their
     * application was told); lost_unacked left a retry queue silently (a violation). */
    uint64_t queued, failed_reported, lost_unacked;
    uint64_t attempts, wasted, syn_drops, accepts;
    uint64_t churn_periods;     /* offline periods mobile churn began (faults.c) */
    /* syn_drops by cause (enum herd_syn_drop_cause); they sum to syn_drops. */
    uint64_t syn_drops_by_cause[HERD_SYN_DROP_CAUSE_COUNT];
    uint64_t peak_attempts_per_s;
    herd_time peak_at_us;
    herd_time last_heal_us;
    herd_time recovered_at_us;  /* HERD_TIME_NEVER if never */
    bool recovered;             /* L1 in full: all LIVE, queues drained, caught up */
    herd_world_liveness_figures live;
    uint64_t peak_rss_bytes;
    uint64_t world_bytes;
    uint64_t violations[HERD_INV_COUNT];
    char first_violation[HERD_ORACLE_MSG_MAX];
    /* Who the first violation involves (oracle.h first_clients): the replay line traces
     * exactly these clients. first_room is HERD_ORACLE_NO_ROOM when none is named. */
    herd_time first_violation_at_us;
    uint32_t first_violation_clients[HERD_ORACLE_FIRST_CLIENTS_MAX];
    uint32_t first_violation_nclients;
    uint32_t first_violation_room;
    uint32_t nexp;
    herd_expectation exp[HERD_EXPECT_MAX];
    bool pass;
} herd_report;

/* Fill the figures from a finished world and judge the expectations. */
void herd_report_build(herd_report *r, herd_world *w, const herd_expect *e);
int herd_report_json(const herd_report *r, FILE *f);
void herd_report_text(const herd_report *r, FILE *f);
/* --out DIR: metrics.csv, metrics.json, scenario.yaml, summary.json, faults.json,
 * delays.json (atomic files; trace.jsonl is cmd_run's). 0 or -errno. */
int herd_report_write_dir(const herd_report *r, const herd_world *w, const herd_scenario *sc, const char *dir);

#endif
