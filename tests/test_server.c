/* test_server.c — the server session machine against the real store model: handshake,
 * resume from lastSeenId, publish with dedup, the broken variants, fan-out ordering
 * (src/server.c + src/store.c). Store operations are run by a tiny driver here, so each
 * test can also crash or trim the store between two steps. */
#include "client.h"
#include "error.h"
#include "server.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* A failed herd_assert (src/check.h) traps: ud2 on x86, brk elsewhere. */
#if defined(__x86_64__) || defined(__i386__)
#define TRAP_SIGNAL SIGILL
#else
#define TRAP_SIGNAL SIGTRAP
#endif

static herd_server_config cfg;
static herd_store *st;
static herd_session s;
static herd_outbox out;
static herd_dedup *local;

static void make_store(uint32_t maxlen, int durability)
{
    herd_store_config sc = {.rooms = 4, .maxlen = maxlen, .dedup_capacity = 64,
                            .durability = (uint8_t)durability};
    size_t bytes = herd_store_bytes(&sc);
    cr_assert_gt(bytes, 0);
    free(st);
    st = calloc(1, bytes);
    cr_assert_eq(herd_store_init(st, bytes, &sc, 0), HERD_OK);
}

static void setup(void)
{
    cfg = (herd_server_config){.proto = herd_protocol_correct(), .read_batch = 4};
    cr_assert_eq(herd_server_config_validate(&cfg), HERD_OK);
    make_store(64, HERD_DURABLE_AOF_ALWAYS);
    size_t bytes = herd_dedup_bytes(64);
    local = calloc(1, bytes);
    herd_dedup_init(local, bytes, 64, 0);
    herd_session_open(&s, 1, 0);
    herd_outbox_clear(&out);
}

static void teardown(void)
{
    free(st);
    st = NULL;
    free(local);
}

TestSuite(server, .init = setup, .fini = teardown);

/* Run every STORE effect in `out` (and those they cause) against the store, feeding
 * results back; the remaining effects are left in `out` in order. */
static void drain_store(herd_time now)
{
    for (int guard = 0; guard < 64; guard++) {
        herd_outbox next = {0};
        bool ran = false;
        for (uint32_t i = 0; i < out.count; i++) {
            if (out.fx[i].kind != HERD_FX_STORE) {
                next.fx[next.count++] = out.fx[i];
                continue;
            }
            static herd_store_result r;
            herd_store_execute(st, now, &out.fx[i].req, &r); /* errors travel in r.err */
            cr_assert_eq(herd_session_on_store_result(&s, &cfg, local, &r, now, &next), HERD_OK);
            ran = true;
        }
        out = next;
        if (!ran) return;
    }
    cr_assert_fail("store loop did not settle");
}

static void frame_in(herd_frame f, herd_time now)
{
    cr_assert_eq(herd_session_on_frame(&s, &cfg, local, &f, now, &out), HERD_OK);
}

/* RESUME, checking and dropping the SUBSCRIBE it produces first. */
static void resume(herd_sid last_seen, herd_time now)
{
    frame_in((herd_frame){.type = HERD_FRAME_RESUME, .client = 7, .room = 1, .sid = last_seen}, now);
    cr_assert_eq(out.fx[0].kind, HERD_FX_SUBSCRIBE);
    memmove(&out.fx[0], &out.fx[1], (out.count - 1) * sizeof out.fx[0]);
    out.count--;
}

static herd_sid append(herd_msg_id msg, herd_time now)
{
    herd_publish_result r;
    cr_assert_eq(herd_store_publish(st, now, 1, msg, 1, &r), HERD_OK);
    return r.sid;
}

/* Effects of one kind (and frame type, for SEND) in out. */
static uint32_t count(uint8_t kind, uint8_t type)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < out.count; i++)
        if (out.fx[i].kind == kind && (kind != HERD_FX_SEND || out.fx[i].frame.type == type)) n++;
    return n;
}

Test(server, handshake_subscribes_reads_and_goes_live)
{
    frame_in((herd_frame){.type = HERD_FRAME_RESUME, .client = 7, .room = 1}, 10);
    cr_assert_eq(s.state, HERD_SESSION_RESUMING);
    cr_assert_eq(out.fx[0].kind, HERD_FX_SUBSCRIBE);
    cr_assert_eq(out.fx[0].room, 1);
    cr_assert_eq(out.fx[1].kind, HERD_FX_STORE);
    cr_assert_eq(out.fx[1].req.op, HERD_STORE_OP_READ);
    drain_store(20);
    cr_assert_eq(out.count, 2);
    cr_assert_eq(out.fx[1].frame.type, HERD_FRAME_RESUMED);
    cr_assert_eq(s.state, HERD_SESSION_LIVE);
    /* a second RESUME on the same connection is refused */
    herd_frame again = {.type = HERD_FRAME_RESUME, .room = 1};
    cr_assert_eq(herd_session_on_frame(&s, &cfg, local, &again, 30, &out), HERD_ESTATE);
}

Test(server, publish_before_resume_is_refused)
{
    herd_frame p = {.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 5};
    cr_assert_eq(herd_session_on_frame(&s, &cfg, local, &p, 0, &out), HERD_ESTATE);
}

Test(server, resume_delivers_exactly_the_missing_entries_in_order)
{
    herd_sid sids[10];
    for (int i = 0; i < 10; i++) sids[i] = append(herd_msg_make(2, (uint32_t)i + 1), 1000 * (herd_time)i);
    resume(sids[3], 20000); /* read_batch 4: needs two reads and a final empty one */
    drain_store(20000);
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_DELIVER), 6);
    for (int i = 0; i < 6; i++) {
        const herd_frame *f = &out.fx[i].frame;
        cr_assert_eq(f->type, HERD_FRAME_DELIVER);
        cr_assert(herd_sid_eq(f->sid, sids[4 + i]), "entry %d in order", i);
        cr_assert(herd_sid_eq(f->prev, sids[3 + i]), "prev chains");
        cr_assert_eq(f->msg, herd_msg_make(2, (uint32_t)(5 + i)));
    }
    cr_assert_eq(out.fx[6].frame.type, HERD_FRAME_RESUMED);
    cr_assert(herd_sid_eq(out.fx[6].frame.sid, sids[9]));
}

Test(server, trimmed_history_gives_an_explicit_gap)
{
    make_store(4, HERD_DURABLE_AOF_ALWAYS);
    herd_sid sids[8];
    for (int i = 0; i < 8; i++) sids[i] = append(herd_msg_make(2, (uint32_t)i + 1), 1000 * (herd_time)i);
    resume(sids[1], 9000); /* entries 2..3 were trimmed; 4..7 remain */
    drain_store(9000);
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_GAP);
    cr_assert(herd_sid_eq(out.fx[0].frame.prev, sids[1]));
    cr_assert(herd_sid_eq(out.fx[0].frame.sid, sids[3]));
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_DELIVER), 4);
    cr_assert(herd_sid_eq(out.fx[1].frame.sid, sids[4]));
}

Test(server, no_gap_detection_skips_silently)
{
    cfg.proto.gap_detection = 0;
    make_store(4, HERD_DURABLE_AOF_ALWAYS);
    herd_sid sids[8];
    for (int i = 0; i < 8; i++) sids[i] = append(herd_msg_make(2, (uint32_t)i + 1), 1000 * (herd_time)i);
    resume(sids[1], 9000);
    drain_store(9000);
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_GAP), 0);
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_DELIVER), 4);
}

static void live(void)
{
    resume(HERD_SID_ZERO, 0);
    drain_store(0);
    herd_outbox_clear(&out);
}

Test(server, publish_acks_after_the_write_then_fans_out)
{
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_STORE, "no ACK before the store answers");
    cr_assert_eq(out.fx[0].req.op, HERD_STORE_OP_PUBLISH_DEDUP);
    drain_store(5000);
    cr_assert_eq(out.count, 2);
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_ACK);
    cr_assert_eq(out.fx[0].frame.msg, 77);
    cr_assert(herd_sid_eq(out.fx[0].frame.sid, ((herd_sid){5, 0})));
    cr_assert_eq(out.fx[1].kind, HERD_FX_FANOUT);
    cr_assert(herd_sid_eq(out.fx[1].sid, ((herd_sid){5, 0})));
    cr_assert(herd_sid_is_zero(out.fx[1].prev));
}

Test(server, dedup_hit_acks_without_a_second_append)
{
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
    drain_store(5000);
    herd_outbox_clear(&out);
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 9000);
    drain_store(9000);
    cr_assert_eq(out.count, 2, "ACK, and a notice to the room");
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_ACK);
    cr_assert(herd_sid_eq(out.fx[0].frame.sid, ((herd_sid){5, 0})), "the first write's id");
    cr_assert_eq(out.fx[1].kind, HERD_FX_FANOUT);
    cr_assert(herd_sid_eq(out.fx[1].prev, out.fx[1].sid), "predecessor unknown");
    cr_assert_eq(herd_store_stream_info(st, 1)->len, 1);
}

Test(server, a_duplicates_notice_makes_a_behind_session_read_not_skip)
{
    /* Found by the model checker: the appending server crashed before its fan-out; the
     * resend's duplicate notice must not let a session skip the entries before it. */
    live();
    herd_sid a = append(1, 1000);
    herd_sid b = append(2, 2000);
    herd_session_on_fanout(&s, &cfg, 1, b, b, 2, 3000, &out);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_STORE, "reads instead of delivering b");
    drain_store(3000);
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_DELIVER), 2);
    cr_assert(herd_sid_eq(out.fx[0].frame.sid, a));
    herd_outbox_clear(&out);
    herd_session_on_fanout(&s, &cfg, 1, b, b, 2, 4000, &out);
    cr_assert_eq(out.count, 0, "a session that has it ignores it");
}

Test(server, ack_before_persist_acks_on_receipt)
{
    cfg.proto.ack_mode = HERD_ACK_BEFORE_PERSIST;
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_ACK);
    cr_assert(herd_sid_is_zero(out.fx[0].frame.sid));
    cr_assert_eq(out.fx[1].kind, HERD_FX_STORE);
    drain_store(5000);
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_ACK), 1, "no second ACK");
}

Test(server, dedup_none_appends_every_resend)
{
    cfg.proto.dedup_mode = HERD_DEDUP_NONE;
    live();
    for (int i = 0; i < 2; i++) {
        frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
        cr_assert_eq(out.fx[out.count - 1].req.op, HERD_STORE_OP_APPEND);
        drain_store(5000);
    }
    cr_assert_eq(herd_store_stream_info(st, 1)->len, 2, "the duplicate is in the stream");
}

Test(server, dedup_local_only_knows_its_own_server)
{
    cfg.proto.dedup_mode = HERD_DEDUP_LOCAL;
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
    drain_store(5000);
    herd_outbox_clear(&out);
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 6000);
    cr_assert_eq(out.count, 1, "the local cache answers (no notice: it is not the store)");
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_ACK);
    /* the same resend reaching another server (empty cache) is appended again */
    herd_dedup_clear(local);
    herd_outbox_clear(&out);
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 7000);
    drain_store(7000);
    cr_assert_eq(herd_store_stream_info(st, 1)->len, 2);
}

Test(server, fanout_in_order_is_delivered_at_once)
{
    live();
    herd_sid a = append(1, 1000);
    cr_assert_eq(herd_session_on_fanout(&s, &cfg, 1, a, HERD_SID_ZERO, 1, 1000, &out), HERD_OK);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_DELIVER);
    /* a duplicate fan-out, and another room's, are ignored */
    herd_session_on_fanout(&s, &cfg, 1, a, HERD_SID_ZERO, 1, 1000, &out);
    herd_session_on_fanout(&s, &cfg, 2, (herd_sid){9, 0}, HERD_SID_ZERO, 1, 1000, &out);
    cr_assert_eq(out.count, 1);
}

Test(server, fanout_out_of_order_reads_the_stream)
{
    live();
    herd_sid a = append(1, 1000);
    herd_sid b = append(2, 2000);
    /* b's fan-out overtakes a's: the session must not skip a */
    herd_session_on_fanout(&s, &cfg, 1, b, a, 2, 2000, &out);
    cr_assert_eq(out.fx[0].kind, HERD_FX_STORE);
    /* a's fan-out while the read is in flight only marks the session dirty */
    herd_session_on_fanout(&s, &cfg, 1, a, HERD_SID_ZERO, 1, 2000, &out);
    cr_assert_eq(out.count, 1);
    drain_store(2000);
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_DELIVER), 2);
    uint32_t first = 0;
    while (out.fx[first].kind != HERD_FX_SEND) first++;
    cr_assert(herd_sid_eq(out.fx[first].frame.sid, a));
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_RESUMED), 0, "already live");
}

Test(server, closed_session_ignores_late_results)
{
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
    herd_session_close(&s);
    herd_store_result r;
    herd_store_execute(st, 5000, &out.fx[0].req, &r);
    herd_outbox_clear(&out);
    cr_assert_eq(herd_session_on_store_result(&s, &cfg, local, &r, 5000, &out), HERD_ESTATE);
    cr_assert_eq(out.count, 0, "nobody to ACK");
}

Test(server, everysec_crash_loses_an_acked_write)
{
    make_store(64, HERD_DURABLE_AOF_EVERYSEC);
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
    drain_store(5000);
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_ACK, "ACKed on the append reply");
    herd_sid sid = out.fx[0].frame.sid;
    const herd_entry *e = herd_store_find(st, 1, sid);
    cr_assert_not_null(e);
    cr_assert(!herd_store_is_durable(st, e->lsn), "the oracle's I5 sees this");
    herd_store_crash(st, 6000);
    cr_assert_null(herd_store_find(st, 1, sid), "lost on the crash, though ACKed");
}

Test(server, store_error_closes_with_1011)
{
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 9, .msg = 77}, 5000); /* no room 9 */
    drain_store(5000);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_CLOSE);
    cr_assert_eq(out.fx[0].code, HERD_CLOSE_INTERNAL_ERROR);
    cr_assert_eq(s.state, HERD_SESSION_CLOSED);
}

Test(server, a_resume_with_a_full_retry_queue_is_not_refused)
{
    /* Regression: RESUME's read plus HERD_QUEUE_MAX resends used to exceed the session's
     * in-flight limit, and the 1013 close repeated on every reconnect (a livelock). */
    resume(HERD_SID_ZERO, 0);
    for (uint32_t i = 1; i <= HERD_QUEUE_MAX; i++)
        frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = herd_msg_make(7, i)}, 0);
    cr_assert_eq(count(HERD_FX_CLOSE, 0), 0);
    cr_assert_eq(count(HERD_FX_STORE, 0), HERD_QUEUE_MAX + 1);
    drain_store(0);
    cr_assert_eq(count(HERD_FX_SEND, HERD_FRAME_ACK), HERD_QUEUE_MAX);
    cr_assert_eq(s.state, HERD_SESSION_LIVE);
}

Test(server, a_client_past_its_bound_is_told_to_come_back_later)
{
    live();
    for (uint32_t i = 1; i <= HERD_SESSION_INFLIGHT_MAX; i++)
        frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = herd_msg_make(7, i)}, 0);
    cr_assert_eq(count(HERD_FX_CLOSE, 0), 0);
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = herd_msg_make(7, 999)}, 0);
    cr_assert_eq(out.fx[out.count - 1].kind, HERD_FX_CLOSE);
    cr_assert_eq(out.fx[out.count - 1].code, HERD_CLOSE_TRY_AGAIN_LATER);
}

/* The assertions that stay on in every build (src/check.h): the store's answers and the
 * fan-out are checked against the stream's order, and the clock against the dedup cache. */
Test(server, a_new_entry_below_its_predecessor_traps, .signal = TRAP_SIGNAL)
{
    live();
    frame_in((herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000);
    herd_store_result r = {.op = HERD_STORE_OP_PUBLISH_DEDUP, .room = 1, .msg = 77,
                           .pub = {.status = HERD_PUBLISH_APPENDED, .sid = {1, 0}, .prev = {2, 0}}};
    herd_outbox_clear(&out);
    herd_session_on_store_result(&s, &cfg, local, &r, 5000, &out);
}

Test(server, a_fanout_below_its_predecessor_traps, .signal = TRAP_SIGNAL)
{
    live();
    herd_session_on_fanout(&s, &cfg, 1, (herd_sid){1, 0}, (herd_sid){2, 0}, 77, 0, &out);
}

Test(server, a_dedup_record_from_the_future_traps, .signal = TRAP_SIGNAL)
{
    cfg.proto.dedup_mode = HERD_DEDUP_LOCAL;
    live();
    cr_assert_eq(herd_dedup_insert(local, 77, (herd_sid){1, 0}, 1, 0, 9000), HERD_OK);
    herd_session_on_frame(&s, &cfg, local, &(herd_frame){.type = HERD_FRAME_PUBLISH, .room = 1, .msg = 77}, 5000,
                          &out);
}

Test(server, the_state_only_moves_forward)
{
    live();
    cr_assert_eq(s.state, HERD_SESSION_LIVE);
    frame_in((herd_frame){.type = HERD_FRAME_CLOSE}, 1);
    cr_assert_eq(s.state, HERD_SESSION_CLOSED);
    herd_frame again = {.type = HERD_FRAME_RESUME, .room = 1};
    cr_assert_eq(herd_session_on_frame(&s, &cfg, local, &again, 2, &out), HERD_ESTATE);
    cr_assert_eq(s.state, HERD_SESSION_CLOSED);
}
