/* bench_queue.c — hold-model throughput of the event queue, timing wheel vs binary heap.
 *
 * The hold model (Vaucher and Duval): fill the queue to N pending, then repeatedly pop the
 * least event and push one at now + delay, so N stays constant. Delays come from a shape:
 *   herd   exponential-backoff-like: 100 ms * 2^k (k uniform in 0..9), capped at 60 s,
 *          with +-50 % jitter — a fleet reconnecting;
 *   bursty a fixed 1 s tick: every client re-armed for the same offset (thundering herd).
 * The delays are drawn in advance into a table, so the timed loop measures the queue and
 * not the generator. Reports events/s (one event = one pop + one push) and bytes per
 * pending event (herd_queue_bytes / N), from the best of three timed windows of
 * max(N, 5 M) operations each after a warm-up round of N. This is the only place the queue code is timed:
 * clock_gettime lives here, never in sim/ or src/.
 *
 *   bench_queue [N ...]        default: 100000 1000000 10000000
 *   bench_queue --markdown     also print the docs/performance.md table rows
 *   bench_queue --wheel | --heap   time one engine only (for perf record) */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "queue.h"
#include "rng.h"

#define DELAY_TABLE (1u << 20) /* 8 MiB of delays, recycled */
#define OPS_MIN 5000000ull     /* timed pop+push pairs per window, at least */
#define REPS 3                 /* timed windows per queue; the best one is reported */

enum shape { SHAPE_HERD, SHAPE_BURSTY, SHAPE_COUNT };
static const char *const SHAPE_NAME[SHAPE_COUNT] = {"herd", "bursty"};

static uint64_t delay_draw(herd_rng *r, enum shape s)
{
    if (s == SHAPE_BURSTY) return HERD_US_PER_S;
    uint64_t d = 100 * HERD_US_PER_MS << herd_rng_below(r, 10);
    if (d > 60 * HERD_US_PER_S) d = 60 * HERD_US_PER_S;
    return herd_rng_range(r, d / 2, d + d / 2); /* +-50 % jitter, after the cap */
}

/* CPU time of this thread, not wall time: the machine is shared (builds, fuzzers), and a
 * descheduled thread should not count against the queue. Cache contention still does. */
static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct result {
    double events_per_s;
    double bytes_per_event;
} result;

static result bench_one(int kind, size_t n, const uint64_t *delay)
{
    herd_queue *q = herd_queue_new(kind, n + 1);
    if (!q) {
        fprintf(stderr, "bench_queue: cannot allocate a queue of %zu\n", n);
        exit(70);
    }
    herd_rng r;
    herd_rng_seed(&r, 12345);
    /* Fill: start times spread over the first second (a restart's reconnect wave). */
    for (size_t i = 0; i < n; i++) {
        herd_time at = herd_rng_below(&r, HERD_US_PER_S) + delay[i % DELAY_TABLE];
        if (herd_queue_push(q, at, 0, (uint32_t)i, 0) != HERD_OK) exit(70);
    }
    /* Warm up one round of n (touches every level), then time at least OPS_MIN. */
    unsigned long long ops = n > OPS_MIN ? n : OPS_MIN;
    herd_event ev;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        herd_queue_pop(q, &ev);
        herd_queue_push(q, ev.at + delay[j++ & (DELAY_TABLE - 1)], ev.kind, ev.target, ev.arg);
    }
    /* Best of REPS windows: the machine is shared, and noise only ever slows a window. */
    uint64_t check = 0;
    double dt_best = 1e300;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = seconds_now();
        for (unsigned long long i = 0; i < ops; i++) {
            herd_queue_pop(q, &ev);
            check += ev.seq;
            if (herd_queue_push(q, ev.at + delay[j++ & (DELAY_TABLE - 1)], ev.kind, ev.target,
                                ev.arg) != HERD_OK)
                exit(70);
        }
        double dt = seconds_now() - t0;
        if (dt < dt_best) dt_best = dt;
    }
    result res = {(double)ops / dt_best, (double)herd_queue_bytes(q) / (double)n};
    if (check == 1) puts(""); /* keep the loop observable */
    herd_queue_free(q);
    return res;
}

int main(int argc, char **argv)
{
    size_t sizes[8] = {100000, 1000000, 10000000};
    size_t n_sizes = 3, given = 0;
    int markdown = 0, only = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0) markdown = 1;
        else if (strcmp(argv[i], "--wheel") == 0) only = HERD_QUEUE_WHEEL;
        else if (strcmp(argv[i], "--heap") == 0) only = HERD_QUEUE_HEAP;
        else if (given < 8) sizes[given++] = strtoull(argv[i], NULL, 10);
    }
    if (given) n_sizes = given;
    uint64_t *delay = malloc(DELAY_TABLE * sizeof *delay);
    if (!delay) return 70;
    printf("%-7s %10s %14s %14s %7s %10s %10s\n", "shape", "pending", "wheel ev/s", "heap ev/s",
           "ratio", "wheel B/ev", "heap B/ev");
    char rows[64][160];
    int n_rows = 0;
    for (size_t k = 0; k < n_sizes; k++) {
        for (int s = 0; s < SHAPE_COUNT; s++) {
            herd_rng r;
            herd_rng_seed(&r, 777);
            for (size_t i = 0; i < DELAY_TABLE; i++) delay[i] = delay_draw(&r, (enum shape)s);
            result none = {1, 0};
            result w = only != HERD_QUEUE_HEAP ? bench_one(HERD_QUEUE_WHEEL, sizes[k], delay) : none;
            result h = only != HERD_QUEUE_WHEEL ? bench_one(HERD_QUEUE_HEAP, sizes[k], delay) : none;
            printf("%-7s %10zu %14.0f %14.0f %7.2f %10.1f %10.1f\n", SHAPE_NAME[s], sizes[k],
                   w.events_per_s, h.events_per_s, w.events_per_s / h.events_per_s,
                   w.bytes_per_event, h.bytes_per_event);
            fflush(stdout);
            if (n_rows < 64)
                snprintf(rows[n_rows++], sizeof rows[0],
                         "| %s | %zu | %.1f M | %.1f M | %.2f | %.1f | %.1f |", SHAPE_NAME[s],
                         sizes[k], w.events_per_s / 1e6, h.events_per_s / 1e6,
                         w.events_per_s / h.events_per_s, w.bytes_per_event, h.bytes_per_event);
        }
    }
    if (markdown)
        for (int i = 0; i < n_rows; i++) puts(rows[i]);
    free(delay);
    return 0;
}
