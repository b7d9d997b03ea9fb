/* run_once.h — run one loaded scenario in this process and judge it: the world built,
 * run to its end (or to its first safety violation, when asked), freed, and the report
 * (report.h) filled. For drivers that run many scenarios in one process (`herd shrink`,
 * sweeps) and need the verdict, the first violated invariant and the figures of each,
 * without cmd_run's outputs (trace, --out files, replay lines).
 *
 * It reads no clock: the wall-clock fields of the report (setup_us, run_us, wall_us,
 * cpu_us, peak_rss_bytes) are left 0 for the caller to fill. The optional poll callback is
 * the caller's way to cut a run short (a time budget): it is called every 2^20 events and
 * may answer true to end the run there, which is then marked aborted and judged no
 * further. */
#ifndef HERD_SIM_RUN_ONCE_H
#define HERD_SIM_RUN_ONCE_H

#include "report.h"

typedef struct herd_run_opts {
    /* End the run at the first safety violation (I1-I8): the report's first_violation is
     * final then, its other figures are those of the run so far, and L1 is not judged. */
    bool stop_at_first_violation;
    bool (*poll)(void *ctx); /* true: abort the run now; NULL: never */
    void *poll_ctx;
    /* Run in a child process (fork), so that a world that trips an assertion or dies of a
     * signal is reported (crash_signal) instead of taking the caller down. The report
     * comes back through a pipe; the outcome is the same as in-process. */
    bool isolate;
} herd_run_opts;

typedef struct herd_run_outcome {
    herd_report report;
    int first_inv;       /* enum herd_invariant of the first safety violation, or -1 */
    bool stopped_early;  /* ended at the first violation (stop_at_first_violation) */
    bool aborted;        /* poll said stop: judge nothing */
    int crash_signal;    /* isolate: the signal the run died of (SIGABRT: an assertion), else 0 */
} herd_run_outcome;

/* HERD_OK (also when the isolated run crashed: see crash_signal), or the world's error
 * (HERD_ENOSPACE: cannot build it; others are bugs), or HERD_RUN_ECHILD: the child could
 * not be started or spoke nonsense. */
#define HERD_RUN_ECHILD (-100)
int herd_run_once(const herd_scenario *sc, const herd_run_opts *o, herd_run_outcome *out);

#endif
