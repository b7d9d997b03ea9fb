/* procs.h — the processes a live run starts, and the guarantee that none outlives it.
 *
 * Every child is started with fork + exec into the run's own process group (the first
 * child founds it), with PR_SET_PDEATHSIG = SIGKILL, so a child dies with the
 * orchestrator even when the orchestrator itself is killed with SIGKILL. The table lists
 * every child started (name, pid, alive); herd_procs_kill_all signals the group and each
 * listed pid, then reaps them within a bound. Nothing here blocks without a bound. */
#ifndef HERD_LIVE_PROCS_H
#define HERD_LIVE_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HERD_PROCS_MAX 64u

typedef struct herd_proc {
    char name[32];
    pid_t pid;
    bool alive;
    int status;   /* wait status once reaped */
    uint64_t cpu_us; /* user + system CPU, from wait4 once reaped */
} herd_proc;

typedef struct herd_procs {
    pid_t pgid;   /* 0 until the first child */
    uint32_t n;
    herd_proc p[HERD_PROCS_MAX];
} herd_procs;

/* Start argv[0] (a path, or a name looked up in PATH) with stdout and stderr to log_path
 * (appended). Returns the table index, or -1 with errno set. */
int herd_procs_spawn(herd_procs *t, const char *name, char *const argv[], const char *log_path);
/* Reap children that exited (non-blocking). Returns how many were reaped now. */
int herd_procs_reap(herd_procs *t);
/* Send sig to one child if alive. */
void herd_procs_signal(herd_procs *t, int idx, int sig);
/* Wait up to wait_ms for child idx to exit (polling reap). True if it did. */
bool herd_procs_wait(herd_procs *t, int idx, uint32_t wait_ms);
/* SIGTERM every live child, wait up to grace_ms, then SIGKILL the group and every pid,
 * and reap them (bounded). Safe to call twice and from an exit path. */
void herd_procs_kill_all(herd_procs *t, uint32_t grace_ms);
/* CPU (user + system, µs) of the reaped children whose name starts with prefix. */
uint64_t herd_procs_cpu_us(const herd_procs *t, const char *prefix);
/* Children still alive. */
uint32_t herd_procs_alive(const herd_procs *t);

#endif
