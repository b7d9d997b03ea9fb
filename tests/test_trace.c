#define _POSIX_C_SOURCE 200809L
/* test_trace.c — the trace format: write a header and records, read them back; malformed
 * lines are refused with file:line. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "client.h"
#include "server.h"
#include "store.h"
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

/* The simulator and the model checker write the machines' part of the header through one
 * function: the same keys in the same order, the backoff policy named. */
Test(trace, machines_header_is_shared)
{
    herd_client_config cc = {0};
    herd_server_config sc = {0};
    herd_store_config st = {0};
    herd_backoff_defaults(&cc.backoff, HERD_BACKOFF_FIXED);
    cc.proto = herd_protocol_correct();
    cc.queue_max = 8;
    sc.read_batch = 4;
    herd_trace_header h;
    herd_trace_header_init(&h, "model");
    uint32_t first = h.n;
    herd_trace_header_machines(&h, &cc, &sc, &st);
    static const char *const keys[] = {"protocol", "durability", "maxlen", "dedup_capacity", "dedup_window_us",
                                       "queue_max", "backoff", "backoff_us", "connect_timeout_us",
                                       "resume_timeout_us", "ack_timeout_us", "stable_reset_us", "read_batch"};
    cr_assert_eq(h.n - first, sizeof keys / sizeof keys[0]);
    for (uint32_t i = 0; i < h.n - first; i++) cr_expect_str_eq(h.key[first + i], keys[i]);
    cr_expect_str_eq(herd_trace_header_get(&h, "backoff"), "fixed");
    cr_expect_str_eq(herd_trace_header_get(&h, "protocol"), "correct");
}

/* One list of fields: every field of a record reaches the JSON writer's walk in order. */
static void count_field(void *ctx, const herd_trace_field_desc *f, uint64_t num, const char *str)
{
    (void)num;
    (void)str;
    char *seen = ctx;
    strcat(seen, f->key);
    strcat(seen, ",");
}

Test(trace, fields_walked_in_one_order)
{
    herd_trace_rec r = {0};
    r.has = HERD_TF_TEXT | HERD_TF_MSG | HERD_TF_NOW | HERD_TF_SID;
    char seen[256] = "";
    herd_trace_rec_fields(&r, ~0u, count_field, seen);
    cr_expect_str_eq(seen, "now_us,msg,sid,text,");
    seen[0] = 0;
    herd_trace_rec_fields(&r, HERD_TF_SID | HERD_TF_NOW, count_field, seen);
    cr_expect_str_eq(seen, "now_us,sid,");
}

/* Store operations are named, never numbered, in the text lines (the text counterexample)
 * as in the sequence chart: one function for both. */
Test(trace, store_operations_are_named_in_text)
{
    cr_expect_str_eq(herd_trace_store_op_name(HERD_STORE_OP_PUBLISH_DEDUP), "publish+dedup");
    cr_expect_str_eq(herd_trace_store_op_name(HERD_STORE_OP_APPEND), "append");
    cr_expect_str_eq(herd_trace_store_op_name(HERD_STORE_OP_READ), "read");
    cr_expect_str_eq(herd_trace_store_op_name(0), "?");
    cr_expect_str_eq(herd_trace_store_op_name(HERD_STORE_OP_READ + 1), "?");
    herd_trace_rec r;
    memset(&r, 0, sizeof r);
    r.what = HERD_TRACE_INPUT;
    snprintf(r.actor, sizeof r.actor, "store/server:0/client:0");
    snprintf(r.name, sizeof r.name, "execute");
    r.has = HERD_TF_OP | HERD_TF_MSG;
    r.op = HERD_STORE_OP_PUBLISH_DEDUP;
    r.msg = herd_msg_make(0, 1);
    char line[256];
    herd_trace_format_rec(&r, line, sizeof line);
    cr_expect(strstr(line, "execute       publish+dedup msg ") != NULL, "'%s'", line);
}
