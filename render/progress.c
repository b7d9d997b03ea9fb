/* progress.c — progress of a long render, on a terminal only.
 *
 * A render of a long run (millions of metric rows, a large trace) can take seconds; a
 * person at a terminal should see it move. Output goes to stderr as one line redrawn with
 * \r, at most once per percent, and only when stderr is a terminal, so scripts and CI
 * logs never see it. One progress line at a time (renders are sequential). */
#define _POSIX_C_SOURCE 200809L /* fileno, strtok_r, isatty */
#include "render.h"

#include <stdio.h>
#include <unistd.h>

static struct {
    bool on;
    const char *what;
    uint64_t total;
    int shown; /* last percent drawn, -1 none */
} progress;

void herd_progress_begin(const char *what, uint64_t total)
{
    progress.on = isatty(STDERR_FILENO) && total > 0;
    progress.what = what;
    progress.total = total;
    progress.shown = -1;
    herd_progress_step(0);
}

void herd_progress_step(uint64_t done)
{
    if (!progress.on) return;
    if (done > progress.total) done = progress.total;
    int pct = (int)(done * 100 / progress.total);
    if (pct == progress.shown) return;
    progress.shown = pct;
    fprintf(stderr, "\rherd render: %s %3d%%", progress.what, pct);
    fflush(stderr);
}

void herd_progress_end(void)
{
    if (!progress.on) return;
    herd_progress_step(progress.total);
    fputs("\n", stderr);
    progress.on = false;
}
