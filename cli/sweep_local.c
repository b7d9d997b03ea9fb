/* sweep_local.c — `herd sweep --jobs N` on one machine: forked workers, one per run.
 *
 * The parent keeps at most N children; each runs one (cell, seed) in-process
 * (herd_sweep_run_one: no exec, the plan is already in its memory), writes its row to a
 * pipe and exits. The parent reads the rows as they come (poll), appends each to the
 * journal, starts the next run, and reaps every child it forked: on success, on a worker
 * that died (the sweep stops: exit 70, after the others are stopped and reaped), and on
 * SIGINT/SIGTERM (every child gets SIGTERM and is waited for; exit 130; the journal keeps
 * what finished, so the same command continues). A fork per run also gives each run a fresh
 * address space: a large world's memory goes back to the system when its run ends. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include "exitcode.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define PROGRESS_LOG_US 5000000u /* --progress into a log: one line this often */

typedef struct worker {
    pid_t pid;       /* 0: free */
    int fd;          /* read end of its pipe */
    uint64_t run;
    size_t len;
    char buf[HERD_SWEEP_ROW_MAX];
} worker;

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

uint64_t herd_sweep_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void herd_sweep_progress_tick(herd_sweep_progress *pr, bool force)
{
    if (pr->mode == 0) return;
    uint64_t now = herd_sweep_wall_us();
    if (pr->mode == 2 && !force && now - pr->last_us < PROGRESS_LOG_US) return;
    pr->last_us = now;
    uint64_t el = now - pr->start_us;
    uint64_t eta = pr->done ? el / pr->done * (pr->total - pr->done) / 1000000u : 0;
    fprintf(stderr, "%sruns %" PRIu64 "/%" PRIu64 " (%" PRIu64 " %%), %" PRIu64 " failed an expectation, %" PRIu64
                    " s elapsed, about %" PRIu64 " s left%s",
            pr->mode == 1 ? "\r  " : "herd sweep: ", pr->done, pr->total, pr->total ? pr->done * 100u / pr->total : 100,
            pr->failed, el / 1000000u, eta, pr->mode == 1 ? "   " : "\n");
    fflush(stderr);
}

void herd_sweep_progress_end(herd_sweep_progress *pr)
{
    if (pr->mode == 1) fprintf(stderr, "\r%100s\r", "");
}

static void child(const herd_sweep_plan *p, uint64_t run, int fd)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a parent killed outright takes its workers along */
#endif
    static char line[HERD_SWEEP_ROW_MAX];
    int rc = herd_sweep_run_one(p, (uint32_t)(run / p->nseeds), p->seed_from + run % p->nseeds, line, sizeof line);
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t k = write(fd, line + off, len - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) _exit(HERD_EXIT_IOERR);
        off += (size_t)k;
    }
    _exit(rc);
}

static int spawn(const herd_sweep_plan *p, worker *w, uint64_t run)
{
    int fds[2];
    if (pipe(fds) != 0) return -errno;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return -e;
    }
    if (pid == 0) {
        close(fds[0]);
        child(p, run, fds[1]);
    }
    close(fds[1]);
    *w = (worker){.pid = pid, .fd = fds[0], .run = run};
    return 0;
}

/* The worker's pipe reached its end: reap it and take its row. 0, or an exit status. */
static int finish(const herd_sweep_plan *p, herd_sweep_journal *j, worker *w, herd_sweep_progress *pr)
{
    close(w->fd);
    int st = 0;
    while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR) {}
    w->pid = 0;
    w->buf[w->len < sizeof w->buf ? w->len : sizeof w->buf - 1] = '\0';
    uint32_t cell = (uint32_t)(w->run / p->nseeds);
    uint64_t seed = p->seed_from + w->run % p->nseeds;
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (stop_signal && !ok) return 0; /* a run cut short by Ctrl-C is simply not done */
    if (!ok) {
        if (WIFSIGNALED(st))
            fprintf(stderr, "herd sweep: the worker of cell %" PRIu32 " seed %" PRIu64 " died of signal %d\n", cell,
                    seed, WTERMSIG(st));
        else fprintf(stderr, "herd sweep: the worker of cell %" PRIu32 " seed %" PRIu64 " failed (exit %d): %s\n",
                     cell, seed, WEXITSTATUS(st), w->buf);
        return HERD_EXIT_SOFTWARE;
    }
    int rc = herd_sweep_journal_append(j, p, w->buf);
    if (rc == 0) {
        pr->done++;
        if (!strstr(w->buf, "\"verdict\":\"pass\"")) pr->failed++;
    }
    return rc;
}

/* Read what is ready; 0, or an exit status. */
static int drain(const herd_sweep_plan *p, herd_sweep_journal *j, worker *ws, unsigned jobs, herd_sweep_progress *pr)
{
    struct pollfd pf[HERD_SWEEP_JOBS_MAX];
    unsigned map[HERD_SWEEP_JOBS_MAX], n = 0;
    for (unsigned i = 0; i < jobs; i++)
        if (ws[i].pid) {
            pf[n] = (struct pollfd){.fd = ws[i].fd, .events = POLLIN};
            map[n++] = i;
        }
    int k = poll(pf, n, 1000);
    if (k < 0) return errno == EINTR ? 0 : HERD_EXIT_SOFTWARE;
    int rc = 0;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        worker *w = &ws[map[i]];
        ssize_t r = read(w->fd, w->buf + w->len, sizeof w->buf - 1 - w->len);
        if (r < 0 && errno == EINTR) continue;
        if (r > 0) w->len += (size_t)r;
        if (r <= 0 || w->len == sizeof w->buf - 1) rc = finish(p, j, w, pr);
    }
    return rc;
}

static void stop_all(worker *ws, unsigned jobs)
{
    for (unsigned i = 0; i < jobs; i++)
        if (ws[i].pid) kill(ws[i].pid, SIGTERM);
    for (unsigned i = 0; i < jobs; i++) {
        if (!ws[i].pid) continue;
        close(ws[i].fd);
        while (waitpid(ws[i].pid, NULL, 0) < 0 && errno == EINTR) {}
        ws[i].pid = 0;
    }
}

int herd_sweep_local(const herd_sweep_plan *p, herd_sweep_journal *j, unsigned jobs, int progress)
{
    if (jobs < 1) jobs = 1;
    if (jobs > HERD_SWEEP_JOBS_MAX) jobs = HERD_SWEEP_JOBS_MAX;
    worker *ws = calloc(jobs, sizeof *ws);
    if (!ws) return HERD_EXIT_SOFTWARE;
    struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    herd_sweep_progress pr = {.mode = progress, .total = p->nruns, .done = j->ndone, .start_us = herd_sweep_wall_us()};
    pr.last_us = pr.start_us;
    uint64_t next = 0;
    unsigned active = 0;
    int rc = 0;
    for (;;) {
        for (unsigned i = 0; i < jobs && rc == 0 && !stop_signal; i++) {
            while (next < p->nruns && j->done[next]) next++;
            if (ws[i].pid || next == p->nruns) continue;
            int e = spawn(p, &ws[i], next);
            if (e != 0) {
                fprintf(stderr, "herd sweep: cannot start a worker: %s\n", strerror(-e));
                rc = HERD_EXIT_SOFTWARE;
                break;
            }
            next++;
        }
        active = 0;
        for (unsigned i = 0; i < jobs; i++) active += ws[i].pid != 0;
        if (active == 0 || rc != 0 || stop_signal) break;
        rc = drain(p, j, ws, jobs, &pr);
        herd_sweep_progress_tick(&pr, false);
    }
    stop_all(ws, jobs);
    herd_sweep_progress_end(&pr);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(ws);
    if (stop_signal) {
        fprintf(stderr, "herd sweep: interrupted (signal %d): %" PRIu64 " of %" PRIu64 " runs are in %s; run the same "
                        "command again to continue\n",
                (int)stop_signal, j->ndone, p->nruns, j->path);
        return 130;
    }
    return rc;
}
