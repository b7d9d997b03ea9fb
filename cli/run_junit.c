/* run_junit.c — a run's report as JUnit XML (see run_junit.h). */
#include "run_junit.h"

#include "junit.h"

#include <inttypes.h>
#include <stdio.h>

int herd_run_junit_write(const char *path, const char *scenario, const herd_report *r, const char *replay)
{
    herd_junit_case cases[HERD_EXPECT_MAX];
    for (uint32_t i = 0; i < r->nexp; i++)
        cases[i] = (herd_junit_case){.name = r->exp[i].name,
                                     .status = r->exp[i].ok ? HERD_JUNIT_PASS : HERD_JUNIT_FAIL,
                                     .message = r->exp[i].detail,
                                     .detail = r->exp[i].detail};
    char seed[24], peak[24], wasted[24], ttr[32];
    snprintf(seed, sizeof seed, "%" PRIu64, r->seed);
    snprintf(peak, sizeof peak, "%" PRIu64, r->peak_attempts_per_s);
    snprintf(wasted, sizeof wasted, "%" PRIu64, r->wasted);
    if (r->recovered && r->recovered_at_us != HERD_TIME_NEVER) {
        herd_time t = r->recovered_at_us - r->last_heal_us;
        snprintf(ttr, sizeof ttr, "%" PRIu64 ".%03" PRIu64, t / HERD_US_PER_S, t % HERD_US_PER_S / 1000);
    } else {
        snprintf(ttr, sizeof ttr, "never");
    }
    herd_junit_prop props[] = {
        {"seed", seed}, {"trace_hash", r->trace_hash}, {"peak_attempts_per_s", peak},
        {"wasted_handshakes", wasted}, {"time_to_recover_s", ttr},
    };
    char out[4200];
    if (!r->pass && replay) snprintf(out, sizeof out, "replay: %s\n", replay);
    herd_junit_suite s = {.name = scenario, .classname = scenario, .time_us = r->wall_us,
                          .props = props, .nprops = sizeof props / sizeof props[0],
                          .cases = cases, .ncases = r->nexp,
                          .system_out = !r->pass && replay ? out : NULL};
    return herd_junit_write(path, &s);
}
