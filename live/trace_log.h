/* trace_log.h — the trace records a live process writes (docs/trace-format.md, source
 * "live", docs/live.md lists the records each process writes).
 *
 * Every record carries now_us = herd_live_now_us() (CLOCK_MONOTONIC, the same in every
 * process of the run), so cli/live_check.c merges the files by time. Files are line
 * buffered: a server killed with SIGKILL loses at most the record it was writing, never
 * the ones before (the merged trace then ends mid-line for it, which the merger skips).
 * The step field is 0 here; the merger numbers the records. */
#ifndef HERD_LIVE_TRACE_LOG_H
#define HERD_LIVE_TRACE_LOG_H

#include "trace.h"

#include <stdio.h>

/* Open path for appending (a restarted server adds to its file), line buffered. NULL
 * with errno set on failure. */
FILE *herd_live_trace_open(const char *path);
/* A record of what (enum herd_trace_what) for actor, named name, at now. */
void herd_live_trace_init(herd_trace_rec *r, uint8_t what, const char *actor, const char *name,
                          herd_time now);
void herd_live_trace_write(FILE *f, const herd_trace_rec *r);

#endif
