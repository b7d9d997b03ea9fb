/* live_check.h — judging a live run: merge the processes' trace files into one
 * trace.jsonl, run the simulator's oracle (sim/oracle.h) over it, then check Redis's
 * final contents, and fill a herd_report (sim/report.h) so --json has `herd run`'s keys.
 *
 * The oracle needs a store to ask what lies between two deliveries (I6) and whether an
 * ACKed entry exists (I5); the checker keeps a shadow model store (src/store.h) into
 * which it appends, with Redis's own ids, every entry the servers' records say Redis
 * appended, in merged time order. Redis itself is then read whole: a message id in a
 * stream twice is I2 (what a dedup_none run shows), an ACKed id missing from its stream
 * (not trimmed) is I1. L1 from the clients' final records: every client LIVE, its retry
 * queue empty, caught up with its room. */
#ifndef HERD_CLI_LIVE_CHECK_H
#define HERD_CLI_LIVE_CHECK_H

#include "report.h"

typedef struct herd_live_check_in {
    const char *dir;          /* the run directory: proc-*.jsonl in, trace.jsonl out */
    const herd_scenario *sc;
    const char *scenario_path;
    uint64_t seed;
    herd_time t0_us;          /* the clients' time 0 (monotonic µs) */
    herd_time last_heal_us;   /* relative to t0 */
    int redis_port;           /* 0: Redis is gone, skip the final check (reported) */
} herd_live_check_in;

/* 0, or an exit status (65 a malformed record, 74 I/O, 70 memory) with err set. */
int herd_live_check(const herd_live_check_in *in, herd_report *rep, char *err, size_t err_len);

#endif
