/* fault.c — drives the libfiu fault points from the environment (see fault.h).
 *
 * Owns the countdown: on first use it starts libfiu and, if HERD_FIU_FAIL or
 * HERD_FIU_COUNT is set, enables every registered point with one external callback. The
 * callback counts each point's opportunities and fails (or SIGKILLs the process at) the
 * chosen one, so a sweep can fail the N-th opportunity for every N, reproducibly — libfiu's
 * probability mode is never used. Counting mode writes its tallies at exit. Compiled to
 * nothing unless FIU_ENABLE is defined. */
#define _POSIX_C_SOURCE 200809L
#include "fault.h"

#ifdef FIU_ENABLE
#include <fiu-control.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const registry[] = {
    HERD_FP_ALLOC,        HERD_FP_AFILE_MKDIR,  HERD_FP_AFILE_OPEN,  HERD_FP_AFILE_WRITE,
    HERD_FP_AFILE_FSYNC,  HERD_FP_AFILE_RENAME, HERD_FP_AFILE_DIRSYNC, HERD_FP_CONFIG_OPEN,
    HERD_FP_CONFIG_READ,  HERD_FP_TRACE_OPEN,   HERD_FP_TRACE_READ,
};
#define POINTS (sizeof registry / sizeof *registry)

static struct {
    int state;              /* 0 not started, 1 started, -1 libfiu failed */
    unsigned long hits[POINTS];
    int target;             /* index in registry of the point to fail, -1 none */
    unsigned long target_n; /* fail its target_n-th opportunity (1-based) */
    int kill;               /* SIGKILL instead of failing */
    const char *count_path; /* HERD_FIU_COUNT */
} fs = {.target = -1};

static int point_index(const char *name)
{
    for (size_t i = 0; i < POINTS; i++)
        if (strcmp(registry[i], name) == 0) return (int)i;
    return -1;
}

static int on_point(const char *name, int *failnum, void **failinfo, unsigned int *flags)
{
    int i = point_index(name);
    if (i < 0) return 0;
    fs.hits[i]++;
    if (i != fs.target || fs.hits[i] != fs.target_n) return 0;
    if (fs.kill) raise(SIGKILL);
    return 1;
}

static void write_counts(void)
{
    FILE *f = fopen(fs.count_path, "a");
    if (!f) return;
    for (size_t i = 0; i < POINTS; i++) fprintf(f, "%s %lu\n", registry[i], fs.hits[i]);
    fclose(f);
}

/* "name:N" or "name:N:kill"; anything else is refused loudly, since a sweep that silently
 * fails nothing would pass vacuously. */
static int parse_fail(const char *spec)
{
    char name[64];
    const char *colon = strchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof name) return -1;
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    char *end;
    unsigned long n = strtoul(colon + 1, &end, 10);
    if (n == 0 || (*end && strcmp(end, ":kill") != 0)) return -1;
    fs.target = point_index(name);
    fs.target_n = n;
    fs.kill = *end != '\0';
    return fs.target < 0 ? -1 : 0;
}

int herd_fault_init(void)
{
    if (fs.state != 0) return fs.state > 0 ? 0 : -1;
    fs.state = -1;
    if (fiu_init(0) != 0) return -1;
    fs.state = 1;
    const char *spec = getenv("HERD_FIU_FAIL");
    fs.count_path = getenv("HERD_FIU_COUNT");
    if (spec && *spec && parse_fail(spec) != 0) {
        fprintf(stderr, "herd: HERD_FIU_FAIL='%s': want name:N[:kill] with a registered point\n", spec);
        _exit(64);
    }
    if (fs.target < 0 && !(fs.count_path && *fs.count_path)) return 0;
    for (size_t i = 0; i < POINTS; i++) fiu_enable_external(registry[i], 1, NULL, 0, on_point);
    if (fs.count_path && *fs.count_path) atexit(write_counts);
    return 0;
}

int herd_fault_hit(const char *name)
{
    if (fs.state == 0) herd_fault_init();
    return fs.state > 0 ? fiu_fail(name) : 0;
}
#else
typedef int herd_fault_unused; /* ISO C wants a declaration in every translation unit */
#endif
