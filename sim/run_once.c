/* run_once.c — one scenario run in-process and judged (run_once.h): build the world, run
 * it, report, free it. Ending a run early is done by moving the world's end to now
 * (run.c stops at the first event past cfg.duration_us), from the oracle's first-violation
 * hook or from the poll; nothing else in the world reads the end after that point but the
 * report, which is built on the run as it stood. */
#define _POSIX_C_SOURCE 200809L
#include "run_once.h"

#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct once_ctx {
    herd_world *w;
    const herd_run_opts *o;
    herd_run_outcome *out;
} once_ctx;

static void end_now(herd_world *w) { w->cfg.duration_us = w->now; }

static void on_first(const herd_oracle *o, void *vctx)
{
    once_ctx *c = vctx;
    (void)o;
    c->out->stopped_early = true;
    end_now(c->w);
}

static void on_progress(const herd_world *w, void *vctx)
{
    once_ctx *c = vctx;
    (void)w;
    if (c->out->aborted || !c->o->poll(c->o->poll_ctx)) return;
    c->out->aborted = true;
    end_now(c->w);
}

static int run_here(const herd_scenario *sc, const herd_run_opts *o, herd_run_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->first_inv = -1;
    herd_world *w = calloc(1, sizeof *w); /* a few KiB: not on the stack */
    if (!w) return HERD_ENOSPACE;
    int rc = herd_world_init(w, &sc->world);
    if (rc != HERD_OK) {
        herd_world_free(w); /* what init built before it failed */
        free(w);
        return rc;
    }
    once_ctx c = {w, o, out};
    if (o->stop_at_first_violation) {
        w->oracle.on_first = on_first;
        w->oracle.on_first_ctx = &c;
    }
    if (o->poll) {
        w->progress = on_progress;
        w->progress_ctx = &c;
    }
    rc = herd_world_run(w);
    if (rc == HERD_OK) {
        herd_report_build(&out->report, w, &sc->expect);
        out->first_inv = w->oracle.first_inv;
    }
    herd_world_free(w);
    free(w);
    return rc;
}

/* The child: run, then the return code and the outcome, as bytes, down the pipe. */
static void child(int fd, const herd_scenario *sc, const herd_run_opts *o, herd_run_outcome *out)
{
    int rc = run_here(sc, o, out);
    const char *p = (const char *)&rc;
    bool ok = write(fd, p, sizeof rc) == (ssize_t)sizeof rc;
    p = (const char *)out;
    for (size_t left = sizeof *out; ok && left > 0;) { /* a pipe may take it in parts */
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR) continue;
        ok = k > 0;
        if (ok) {
            p += k;
            left -= (size_t)k;
        }
    }
    _exit(ok ? 0 : 1);
}

static bool read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static int run_isolated(const herd_scenario *sc, const herd_run_opts *o, herd_run_outcome *out)
{
    int fds[2];
    if (pipe(fds) != 0) return HERD_RUN_ECHILD;
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return HERD_RUN_ECHILD;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], sc, o, out);
    }
    close(fds[1]);
    int rc = HERD_RUN_ECHILD;
    bool got = read_all(fds[0], &rc, sizeof rc) && read_all(fds[0], out, sizeof *out);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(status)) {
        memset(out, 0, sizeof *out);
        out->first_inv = -1;
        out->crash_signal = WTERMSIG(status);
        return HERD_OK;
    }
    if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return HERD_RUN_ECHILD;
    out->report.scenario = NULL; /* a pointer of the child's */
    return rc;
}

int herd_run_once(const herd_scenario *sc, const herd_run_opts *o, herd_run_outcome *out)
{
    return o->isolate ? run_isolated(sc, o, out) : run_here(sc, o, out);
}
