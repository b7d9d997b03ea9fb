/* procs.c — starting, watching and killing a live run's processes (procs.h). */
#define _GNU_SOURCE
#include "procs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

int herd_procs_spawn(herd_procs *t, const char *name, char *const argv[], const char *log_path)
{
    if (t->n == HERD_PROCS_MAX) { errno = ENOSPC; return -1; }
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) { close(log); return -1; }
    if (pid == 0) {
        setpgid(0, t->pgid); /* 0 for the first: a new group led by this child */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); /* the orchestrator died before prctl */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        dup2(log, 1);
        dup2(log, 2);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "herd live: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(log);
    if (t->pgid == 0) t->pgid = pid;
    setpgid(pid, t->pgid); /* also here: whichever runs first, the child is in the group */
    herd_proc *p = &t->p[t->n];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->pid = pid;
    p->alive = true;
    return (int)t->n++;
}

int herd_procs_reap(herd_procs *t)
{
    int reaped = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        herd_proc *p = &t->p[i];
        if (!p->alive) continue;
        int st;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        pid_t r = wait4(p->pid, &st, WNOHANG, &ru);
        if (r == p->pid || (r < 0 && errno == ECHILD)) {
            p->alive = false;
            p->status = r == p->pid ? st : 0;
            p->cpu_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
                        (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
            reaped++;
        }
    }
    return reaped;
}

void herd_procs_signal(herd_procs *t, int idx, int sig)
{
    if (idx >= 0 && (uint32_t)idx < t->n && t->p[idx].alive) kill(t->p[idx].pid, sig);
}

bool herd_procs_wait(herd_procs *t, int idx, uint32_t wait_ms)
{
    for (uint32_t waited = 0;; waited += 10) {
        herd_procs_reap(t);
        if (!t->p[idx].alive) return true;
        if (waited >= wait_ms) return false;
        sleep_ms(10);
    }
}

uint64_t herd_procs_cpu_us(const herd_procs *t, const char *prefix)
{
    uint64_t us = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (!t->p[i].alive && strncmp(t->p[i].name, prefix, strlen(prefix)) == 0) us += t->p[i].cpu_us;
    return us;
}

uint32_t herd_procs_alive(const herd_procs *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->n; i++) n += t->p[i].alive;
    return n;
}

void herd_procs_kill_all(herd_procs *t, uint32_t grace_ms)
{
    herd_procs_reap(t);
    for (uint32_t i = 0; i < t->n; i++) herd_procs_signal(t, (int)i, SIGTERM);
    for (uint32_t waited = 0; herd_procs_alive(t) && waited < grace_ms; waited += 10) {
        sleep_ms(10);
        herd_procs_reap(t);
    }
    /* Anything a child started in the group; only while one of ours is alive, so the
     * group id cannot have been reused by an unrelated process. */
    if (t->pgid > 0 && herd_procs_alive(t)) kill(-t->pgid, SIGKILL);
    for (uint32_t i = 0; i < t->n; i++) herd_procs_signal(t, (int)i, SIGKILL);
    for (uint32_t waited = 0; herd_procs_alive(t) && waited < 5000u; waited += 10) {
        sleep_ms(10);
        herd_procs_reap(t);
    }
}
