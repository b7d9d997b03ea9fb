/* churn.h — mobile churn: which clients churn and when each one's offline periods fall.
 *
 * A churn fault (HERD_FAULT_CHURN, world.h) takes each client of its range with
 * probability fraction_ppm; a churning client is online for an exponential time of mean
 * interval_us (from the churn's start, or from the end of its last period), then offline
 * for a time drawn from the fault's distribution (fixed, uniform, exponential), cut at the
 * churn's end, again and again until the churn ends. Everything here is a pure function
 * of (seed, fault index, client, period number): period k of a client is drawn from its own
 * stream, derived from (seed, client, HERD_CHURN_PURPOSE | index << 8 | k << 16), so one
 * client's schedule does not depend on any other client or on the order of events, and
 * faults.c schedules each period only when the one before it ends (one pending event per
 * churning client, never the whole schedule). Integer arithmetic only: the same draws at
 * every optimisation level and with every compiler (tests/determinism.sh). */
#ifndef HERD_SIM_CHURN_H
#define HERD_SIM_CHURN_H

#include "world.h"

#include <stdbool.h>

enum herd_churn_dist { HERD_CHURN_FIXED = 0, HERD_CHURN_UNIFORM, HERD_CHURN_EXPONENTIAL, HERD_CHURN_DIST_COUNT };

/* The low byte of every churn purpose: no other purpose family uses it (rng.h, clients.c). */
#define HERD_CHURN_PURPOSE 0xc7u
/* Periods per client and churn fault: the period number travels in 24 bits of the event. */
#define HERD_CHURN_PERIODS_MAX ((1u << 24) - 1u)

/* The shortest mean online time a scenario may ask for (scenario.c): a phone that loses its
 * network more than ten times a second is not churning, it is off. */
#define HERD_CHURN_INTERVAL_MIN_US (100u * HERD_US_PER_MS)
/* The offline periods a churn may be expected to begin (churning clients x its duration /
 * interval): scenario.c refuses more, so a run's churn events stay bounded by what a few
 * minutes of simulation can go through (each period is a disconnect and a reconnect). */
#define HERD_CHURN_EXPECTED_PERIODS_MAX 10000000u

/* "fixed", "uniform", "exponential"; NULL-terminated. */
const char *const *herd_churn_dist_names(void);

/* -ln(U) for U uniform in (0, 1], in Q32 fixed point (at most 63 ln 2): the unit
 * exponential, by integer arithmetic. */
uint64_t herd_churn_exp_q32(herd_rng *r);
/* An exponential time of the given mean, at least 1 us. */
herd_time herd_churn_exp(herd_rng *r, herd_time mean_us);

/* Whether client churns under fault `index` (in its range, drawn with fraction_ppm). */
bool herd_churn_member(const herd_fault *f, uint64_t seed, uint32_t index, uint32_t client);

/* One offline period: the client goes offline at off_at and comes back at on_at. */
typedef struct herd_churn_period {
    herd_time off_at, on_at;
} herd_churn_period;

/* Period k of client, the previous one having ended at `after` (the churn's start for
 * k = 0): off_at = after + an online gap (>= 1 us), on_at = off_at + an offline time
 * (>= 1 us), cut at the churn's end. False when the period would begin at or after the end
 * (or k is beyond HERD_CHURN_PERIODS_MAX): the client churns no more. */
bool herd_churn_period_at(const herd_fault *f, uint64_t seed, uint32_t index, uint32_t client, uint32_t k,
                          herd_time after, herd_churn_period *p);
/* When period k, begun at off_at (< the churn's end), ends: what herd_churn_period_at
 * gave as on_at, without the period before it. */
herd_time herd_churn_back_at(const herd_fault *f, uint64_t seed, uint32_t index, uint32_t client, uint32_t k,
                             herd_time off_at);

#endif
