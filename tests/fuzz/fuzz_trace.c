/* fuzz_trace.c — libFuzzer harness for the trace reader (lib/trace.c).
 *
 * Reads each input as a trace file: the header, then records until the end or an error.
 * An error must be "fuzz:<line>: message". Every record read must survive a round trip:
 * written back with herd_trace_write_rec and read again, it must be the same record (the
 * reader accepts only what the writer can produce, so replaying a trace never depends on
 * how it was formatted). Any other outcome aborts. Built by tests/fuzz/CMakeLists.txt
 * (fuzz_trace with -DHERD_FUZZ=ON; fuzz_trace_replay in every build). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECORDS_MAX 4096 /* per input: keeps one execution short */

static void require(int ok)
{
    if (!ok) abort();
}

static void require_error(const herd_trace_reader *r)
{
    require(strncmp(r->error, "fuzz:", 5) == 0 && r->io_errno == 0);
}

/* rec -> one line -> a record again: must be identical, byte for byte. */
static void round_trip(const herd_trace_rec *rec)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *w = open_memstream(&buf, &len);
    require(w != NULL);
    require(herd_trace_write_rec(w, rec) == 0);
    require(fclose(w) == 0);
    FILE *f = fmemopen(buf, len, "r");
    require(f != NULL);
    herd_trace_reader r;
    herd_trace_rec back;
    herd_trace_open_stream(&r, f, "again");
    int rc = herd_trace_read_rec(&r, &back);
    if (rc != 1) fprintf(stderr, "round trip: %s\n%s", r.error, buf);
    require(rc == 1);
    require(memcmp(&back, rec, sizeof back) == 0);
    herd_trace_close(&r);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char empty[1];
    FILE *f = size ? fmemopen((void *)data, size, "r") : fmemopen(empty, 1, "r");
    require(f != NULL);
    if (size == 0) fgetc(f); /* an empty stream: fmemopen refuses size 0 */
    herd_trace_reader r;
    herd_trace_header h;
    herd_trace_open_stream(&r, f, "fuzz");
    if (herd_trace_read_header(&r, &h) != 0) {
        require_error(&r);
        herd_trace_close(&r);
        return 0;
    }
    require(h.n <= HERD_TRACE_HEADER_MAX && herd_trace_header_get(&h, "format") != NULL);
    herd_trace_rec rec;
    int rc = 1;
    for (int i = 0; i < RECORDS_MAX && (rc = herd_trace_read_rec(&r, &rec)) == 1; i++) round_trip(&rec);
    if (rc < 0) require_error(&r);
    herd_trace_close(&r);
    return 0;
}
