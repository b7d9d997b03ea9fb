#define _POSIX_C_SOURCE 200809L
/* test_trace.c — the trace format: write a header and records, read them back; malformed
 * lines are refused with file:line. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "trace.h"

Test(trace, round_trip)
{
    char path[] = "/tmp/herd-trace-XXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    herd_trace_header h;
    herd_trace_header_init(&h, "model");
    herd_trace_header_u64(&h, "clients", 2);
    herd_trace_header_str(&h, "protocol", "correct \"quoted\"");
    cr_assert_eq(herd_trace_write_header(f, &h), 0);
    herd_trace_rec r = {.step = 7, .what = HERD_TRACE_INPUT, .frame = 4,
                        .has = HERD_TF_FRAME | HERD_TF_MSG | HERD_TF_SID | HERD_TF_PREV | HERD_TF_CONN | HERD_TF_NOW,
                        .conn = 3, .now = 1000000, .msg = herd_msg_make(1, 2), .sid = {5, 6}, .prev = {5, 5}};
    strcpy(r.actor, "client:1");
    strcpy(r.name, "frame");
    cr_assert_eq(herd_trace_write_rec(f, &r), 0);
    fclose(f);
    herd_trace_reader rd;
    cr_assert_eq(herd_trace_open(&rd, path), 0);
    herd_trace_header g;
    cr_assert_eq(herd_trace_read_header(&rd, &g), 0, "%s", rd.error);
    cr_assert_str_eq(herd_trace_header_get(&g, "protocol"), "correct \"quoted\"");
    cr_assert_str_eq(herd_trace_header_get(&g, "clients"), "2");
    herd_trace_rec q;
    cr_assert_eq(herd_trace_read_rec(&rd, &q), 1, "%s", rd.error);
    cr_assert_eq(q.step, 7);
    cr_assert_eq(q.frame, 4);
    cr_assert_eq(q.msg, r.msg);
    cr_assert(herd_sid_eq(q.sid, r.sid) && herd_sid_eq(q.prev, r.prev));
    cr_assert_eq(q.conn, 3);
    cr_assert_eq(q.now, 1000000);
    cr_assert_str_eq(q.actor, "client:1");
    cr_assert_eq(herd_trace_read_rec(&rd, &q), 0);
    herd_trace_close(&rd);
    remove(path);
}

Test(trace, malformed_lines_located)
{
    char path[] = "/tmp/herd-trace-XXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    fputs("{\"format\":\"herd-trace\",\"version\":1}\n{\"step\":1,\"actor\":\"client:0\",\"input\":\"start\"}\n"
          "{\"step\":2,\"actor\":\"client:0\",\"input\":\"frame\",\"frame\":\"bogus\"}\n", f);
    fclose(f);
    herd_trace_reader rd;
    herd_trace_header h;
    herd_trace_rec q;
    cr_assert_eq(herd_trace_open(&rd, path), 0);
    cr_assert_eq(herd_trace_read_header(&rd, &h), 0);
    cr_assert_eq(herd_trace_read_rec(&rd, &q), 1);
    cr_assert_eq(herd_trace_read_rec(&rd, &q), -1);
    cr_assert(strstr(rd.error, ":3:46: unknown frame type"), "%s", rd.error);
    herd_trace_close(&rd);
    remove(path);
}

Test(trace, wrong_version_refused)
{
    char path[] = "/tmp/herd-trace-XXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    fputs("{\"format\":\"herd-trace\",\"version\":99}\n", f);
    fclose(f);
    herd_trace_reader rd;
    herd_trace_header h;
    cr_assert_eq(herd_trace_open(&rd, path), 0);
    cr_assert_eq(herd_trace_read_header(&rd, &h), -1);
    cr_assert(strstr(rd.error, ":1:24: unsupported trace version"), "%s", rd.error);
    herd_trace_close(&rd);
    remove(path);
}
