/* progress.c — progress of a long render, on a terminal only.
 *
 * A render of a long run (millions of metric rows, a large trace) can take seconds; a
 * person at a terminal should see it move. Output goes to stderr as one line redrawn with
 * \r, at most once per percent, only when stderr is a terminal (scripts and CI logs never
 * see it) and only once the stage has run for PROGRESS_AFTER_S, so quick renders stay
 * quiet. One progress line at a time (renders are sequential). The clock read here is
 * for the person watching; nothing rendered depends on it. */
#define _POSIX_C_SOURCE 200809L /* fileno, strtok_r, isatty */
#include "render.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_AFTER_S 0.3

static struct {
    bool on;
    const char *what;
    uint64_t total;
    int shown; /* last percent drawn, -1 none */
    double start_s;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void herd_progress_begin(const char *what, uint64_t total)
{
    progress.on = isatty(STDERR_FILENO) && total > 0;
    progress.what = what;
    progress.total = total;
    progress.shown = -1;
    progress.start_s = progress.on ? now_s() : 0;
}

void herd_progress_step(uint64_t done)
{
    if (!progress.on) return;
    if (done > progress.total) done = progress.total;
    int pct = (int)(done * 100 / progress.total);
    if (pct == progress.shown) return;
    if (progress.shown < 0 && now_s() - progress.start_s < PROGRESS_AFTER_S) return; /* quick: stay quiet */
    progress.shown = pct;
    fprintf(stderr, "\rherd render: %s %3d%%", progress.what, pct);
    fflush(stderr);
}

void herd_progress_end(void)
{
    if (!progress.on) return;
    if (progress.shown >= 0) { /* finish only a line that was started */
        herd_progress_step(progress.total);
        fputs("\n", stderr);
    }
    progress.on = false;
}
