/* trace_load.c — a whole trace file in memory, for the charts that need to look ahead
 * (msc.c matches each send with its receipt; perfetto.c closes state slices).
 *
 * Reading goes through lib/trace.h's reader, so a malformed line is reported as the
 * replayer reports it ("file:line: message", exit 65). A missing file is 65 too (the
 * input is wrong); a file that exists but cannot be read is 74. At most
 * HERD_TRACE_RECS_MAX records are kept: a chart of more would be unreadable, and the
 * caller says that it was cut. */
#define _POSIX_C_SOURCE 200809L /* fileno, strtok_r, isatty */
#include "render.h"

#include "exitcode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int herd_trace_load(herd_trace_file *t, const char *path, char *err, size_t err_len)
{
    *t = (herd_trace_file){0};
    herd_trace_reader rd;
    int rc = herd_trace_open(&rd, path);
    if (rc != 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(-rc));
        return rc == -ENOENT || rc == -ENOTDIR ? HERD_EXIT_DATAERR : HERD_EXIT_IOERR;
    }
    if (herd_trace_read_header(&rd, &t->header) != 0) {
        snprintf(err, err_len, "%s", rd.error);
        herd_trace_close(&rd);
        return HERD_EXIT_DATAERR;
    }
    const char *fmt = herd_trace_header_get(&t->header, "format");
    if (!fmt || strcmp(fmt, "herd-trace") != 0) {
        snprintf(err, err_len, "%s:1: not a herd trace (no \"format\":\"herd-trace\")", path);
        herd_trace_close(&rd);
        return HERD_EXIT_DATAERR;
    }
    size_t cap = 256;
    t->recs = malloc(cap * sizeof *t->recs);
    rc = t->recs ? 0 : HERD_EXIT_SOFTWARE;
    herd_progress_begin("reading the trace", HERD_TRACE_RECS_MAX);
    while (rc == 0) { /* at most HERD_TRACE_RECS_MAX records kept */
        herd_trace_rec rec;
        int got = herd_trace_read_rec(&rd, &rec);
        if (got == 0) break;
        if (got < 0) {
            snprintf(err, err_len, "%s", rd.error);
            rc = HERD_EXIT_DATAERR;
            break;
        }
        if (t->n == HERD_TRACE_RECS_MAX) {
            t->cut = true;
            continue; /* read on: the rest must still be well-formed */
        }
        if (t->n == cap) {
            herd_trace_rec *p = realloc(t->recs, 2 * cap * sizeof *p);
            if (!p) { rc = HERD_EXIT_SOFTWARE; break; }
            t->recs = p;
            cap *= 2;
        }
        t->recs[t->n++] = rec;
        herd_progress_step(t->n);
    }
    herd_progress_end();
    herd_trace_close(&rd);
    if (rc == HERD_EXIT_SOFTWARE) snprintf(err, err_len, "%s: out of memory", path);
    if (rc) herd_trace_file_free(t);
    return rc;
}

void herd_trace_file_free(herd_trace_file *t)
{
    free(t->recs);
    t->recs = NULL;
    t->n = 0;
}

/* "client:3" -> 3 (kind "client"); "server:1/client:0" -> kind "session", server 1,
 * client 0; "store/server:1/client:0" -> "store"; "server:2" -> server 2. */
herd_actor herd_actor_parse(const char *actor)
{
    herd_actor a = {.kind = HERD_ACTOR_WORLD};
    unsigned s, c;
    if (strncmp(actor, "store", 5) == 0) a.kind = HERD_ACTOR_STORE;
    if (sscanf(actor, "server:%u/client:%u", &s, &c) == 2) a = (herd_actor){HERD_ACTOR_SESSION, s, c};
    else if (sscanf(actor, "server:%u", &s) == 1) a = (herd_actor){HERD_ACTOR_SERVER, s, 0};
    else if (sscanf(actor, "client:%u", &c) == 1) a = (herd_actor){HERD_ACTOR_CLIENT, 0, c};
    if (a.kind == HERD_ACTOR_STORE && sscanf(actor, "store/server:%u/client:%u", &s, &c) == 2) {
        a.server = s;
        a.client = c;
    }
    return a;
}
