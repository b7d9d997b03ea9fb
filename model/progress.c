/* progress.c — the clock and --progress's line inside a long level. stderr only: nothing
 * the search computes depends on the clock (it only times the search and spaces the
 * progress lines and the periodic checkpoints). */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"

#include <stdio.h>
#include <time.h>

double hm_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --progress inside a long level (a level of correct.yaml takes ten minutes): at most one
 * line a minute saying how much of the level is expanded. stderr only: nothing the search
 * computes depends on the clock. */
#define LEVEL_NOTE_S 60.0

void hm_level_note(search *s, uint64_t done)
{
    double t = hm_now_s();
    if (t - s->t_note < LEVEL_NOTE_S || done >= s->cur.n) return;
    s->t_note = t;
    fprintf(stderr, "  depth %u: %llu of %llu expanded (%.0f %%), %llu states, %.1f s\n", s->res->depth + 1u,
            (unsigned long long)done, (unsigned long long)s->cur.n, 100.0 * (double)done / (double)s->cur.n,
            (unsigned long long)s->res->states, t - s->t0);
}
