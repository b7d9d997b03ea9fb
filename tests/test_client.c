/* test_client.c — the client machine: close-code reactions, timeouts, retry queue,
 * resend after reconnect, resume bookkeeping (src/client.c). Driven on a virtual clock. */
#include "client.h"
#include "error.h"

#include <criterion/criterion.h>
#include <signal.h>

/* A failed herd_assert (src/check.h) traps: ud2 on x86, brk elsewhere. */
#if defined(__x86_64__) || defined(__i386__)
#define TRAP_SIGNAL SIGILL
#else
#define TRAP_SIGNAL SIGTRAP
#endif

static herd_client_config cfg;
static herd_client c;
static herd_outbox out;
static herd_rng rng;

static void setup_policy(int kind)
{
    cfg = (herd_client_config){0};
    cr_assert_eq(herd_backoff_defaults(&cfg.backoff, kind), HERD_OK);
    cfg.proto = herd_protocol_correct();
    cfg.connect_timeout_us = 5 * HERD_US_PER_S;
    cfg.resume_timeout_us = 5 * HERD_US_PER_S;
    cfg.ack_timeout_us = 10 * HERD_US_PER_S;
    cfg.stable_reset_us = 30 * HERD_US_PER_S;
    cfg.queue_max = 8;
    cfg.obey_retry_after = 1;
    cr_assert_eq(herd_client_config_validate(&cfg), HERD_OK);
    herd_rng_seed(&rng, 42);
    herd_client_init(&c, &cfg, 7, 3, &rng);
    herd_outbox_clear(&out);
}

static void setup(void) { setup_policy(HERD_BACKOFF_FIXED); }

/* Bring the client to LIVE on connection `conn` at time now. */
static void go_live(herd_time now)
{
    if (c.state == HERD_CLIENT_DISCONNECTED) {
        cr_assert_eq(herd_client_start(&c, &cfg, now, &out), HERD_OK);
    } else {
        cr_assert_eq(c.state, HERD_CLIENT_BACKOFF);
        cr_assert_eq(herd_client_on_timer(&c, &cfg, &rng, c.deadline, &out), HERD_OK);
    }
    cr_assert_eq(c.state, HERD_CLIENT_CONNECTING);
    cr_assert_eq(herd_client_on_open(&c, &cfg, c.conn, now, &out), HERD_OK);
    herd_frame resumed = {.type = HERD_FRAME_RESUMED};
    cr_assert_eq(herd_client_on_frame(&c, &cfg, c.conn, &resumed, &rng, now, &out), HERD_OK);
    cr_assert_eq(c.state, HERD_CLIENT_LIVE);
    herd_outbox_clear(&out);
}

TestSuite(client, .init = setup);

Test(client, start_connects_and_open_sends_resume)
{
    cr_assert_eq(herd_client_start(&c, &cfg, 0, &out), HERD_OK);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_CONNECT);
    cr_assert_eq(out.fx[0].conn, 1);
    cr_assert_eq(c.deadline, 5 * HERD_US_PER_S, "connect timeout armed");
    herd_outbox_clear(&out);
    cr_assert_eq(herd_client_on_open(&c, &cfg, 1, 100, &out), HERD_OK);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_SEND);
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_RESUME);
    cr_assert_eq(out.fx[0].frame.client, 7);
    cr_assert_eq(out.fx[0].frame.room, 3);
    cr_assert(herd_sid_is_zero(out.fx[0].frame.sid));
    cr_assert_eq(c.state, HERD_CLIENT_RESUMING);
}

Test(client, stale_and_out_of_state_inputs_are_refused)
{
    cr_assert_eq(herd_client_on_open(&c, &cfg, 0, 0, &out), HERD_ESTATE);
    herd_client_start(&c, &cfg, 0, &out);
    cr_assert_eq(herd_client_on_open(&c, &cfg, 9, 0, &out), HERD_ESTALE);
    cr_assert_eq(herd_client_start(&c, &cfg, 0, &out), HERD_ESTATE);
    herd_frame ack = {.type = HERD_FRAME_ACK, .msg = herd_msg_make(7, 1)};
    cr_assert_eq(herd_client_on_frame(&c, &cfg, 1, &ack, &rng, 0, &out), HERD_ESTATE);
}

struct reaction_case {
    uint16_t code;
    uint8_t state;
    uint16_t attempt_after;
};

Test(client, each_close_code_has_its_reaction)
{
    const struct reaction_case cases[] = {
        {HERD_CLOSE_NORMAL, HERD_CLIENT_STOPPED, 2},
        {HERD_CLOSE_GOING_AWAY, HERD_CLIENT_BACKOFF, 1},     /* reset, then one attempt */
        {HERD_CLOSE_ABNORMAL, HERD_CLIENT_BACKOFF, 3},
        {HERD_CLOSE_INTERNAL_ERROR, HERD_CLIENT_BACKOFF, 3},
        {HERD_CLOSE_SERVICE_RESTART, HERD_CLIENT_BACKOFF, 1},
        {HERD_CLOSE_TRY_AGAIN_LATER, HERD_CLIENT_BACKOFF, 3},
        {4000, HERD_CLIENT_BACKOFF, 3}, /* unknown: as 1006 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup();
        go_live(0);
        c.bo.attempt = 2; /* as if two failures came before */
        cr_assert_eq(herd_client_on_close(&c, &cfg, c.conn, cases[i].code, 0, &rng, 1000, &out), HERD_OK);
        cr_assert_eq(c.state, cases[i].state, "code %u", cases[i].code);
        cr_assert_eq(c.bo.attempt, cases[i].attempt_after, "code %u attempt %u", cases[i].code, c.bo.attempt);
        if (cases[i].state == HERD_CLIENT_STOPPED)
            cr_assert_eq(c.deadline, HERD_TIME_NEVER);
        else
            cr_assert_eq(c.deadline, 1000 + HERD_US_PER_S, "fixed 1 s backoff");
        cr_assert_eq(out.count, 0, "closing produces no effect");
    }
}

Test(client, retry_after_hint_is_a_floor)
{
    go_live(0);
    cr_assert_eq(herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_TRY_AGAIN_LATER, 7000, &rng, 0, &out), HERD_OK);
    cr_assert_eq(c.deadline, 7 * HERD_US_PER_S);
    cfg.obey_retry_after = 0;
    go_live(c.deadline);
    herd_time now = c.live_since;
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_TRY_AGAIN_LATER, 7000, &rng, now, &out);
    cr_assert_eq(c.deadline, now + HERD_US_PER_S);
}

Test(client, close_frame_from_server_acts_like_close)
{
    go_live(0);
    herd_frame f = {.type = HERD_FRAME_CLOSE, .code = HERD_CLOSE_NORMAL};
    cr_assert_eq(herd_client_on_frame(&c, &cfg, c.conn, &f, &rng, 10, &out), HERD_OK);
    cr_assert_eq(c.state, HERD_CLIENT_STOPPED);
}

Test(client, connect_timeout_aborts_and_backs_off)
{
    herd_client_start(&c, &cfg, 0, &out);
    herd_outbox_clear(&out);
    cr_assert_eq(herd_client_on_timer(&c, &cfg, &rng, 4 * HERD_US_PER_S, &out), HERD_OK);
    cr_assert_eq(out.count, 0, "not due yet");
    cr_assert_eq(herd_client_on_timer(&c, &cfg, &rng, 5 * HERD_US_PER_S, &out), HERD_OK);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_CLOSE);
    cr_assert_eq(out.fx[0].conn, 1);
    cr_assert_eq(c.state, HERD_CLIENT_BACKOFF);
    cr_assert_eq(c.deadline, 6 * HERD_US_PER_S);
    herd_outbox_clear(&out);
    herd_client_on_timer(&c, &cfg, &rng, c.deadline, &out);
    cr_assert_eq(out.fx[0].kind, HERD_FX_CONNECT);
    cr_assert_eq(out.fx[0].conn, 2, "a new connection generation");
    /* the old connection's late open is stale */
    cr_assert_eq(herd_client_on_open(&c, &cfg, 1, c.deadline, &out), HERD_ESTALE);
}

Test(client, resend_after_reconnect_in_order)
{
    go_live(0);
    herd_msg_id m[4];
    for (int i = 0; i < 4; i++) cr_assert_eq(herd_client_publish(&c, &cfg, 10, &out, &m[i]), HERD_OK);
    cr_assert_eq(out.count, 4, "sent at once while live");
    herd_outbox_clear(&out);
    herd_frame ack = {.type = HERD_FRAME_ACK, .msg = m[1], .sid = {1, 0}};
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 20, &out);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_ACKED);
    cr_assert_eq(out.fx[0].msg, m[1]);
    cr_assert_eq(herd_client_queue_len(&c), 3);
    herd_outbox_clear(&out);
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, 30, &out);
    herd_client_on_timer(&c, &cfg, &rng, c.deadline, &out);
    herd_outbox_clear(&out);
    herd_client_on_open(&c, &cfg, c.conn, c.deadline, &out);
    cr_assert_eq(out.count, 4, "RESUME then the three unACKed messages");
    cr_assert_eq(out.fx[0].frame.type, HERD_FRAME_RESUME);
    const herd_msg_id expect[3] = {m[0], m[2], m[3]};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(out.fx[1 + i].frame.type, HERD_FRAME_PUBLISH);
        cr_assert_eq(out.fx[1 + i].frame.msg, expect[i]);
        cr_assert_eq(out.fx[1 + i].frame.room, 3);
    }
}

/* A second ACK for a message ACKed out of order (still inside the window, behind an
 * unACKed one) is ignored: the application hears of each message once (scripts/mutate's
 * client-dup-ack-not-ignored survived every other test). */
Test(client, second_ack_out_of_order_is_ignored)
{
    go_live(0);
    herd_msg_id m[2];
    for (int i = 0; i < 2; i++) cr_assert_eq(herd_client_publish(&c, &cfg, 10, &out, &m[i]), HERD_OK);
    herd_outbox_clear(&out);
    herd_frame ack = {.type = HERD_FRAME_ACK, .msg = m[1], .sid = {1, 0}};
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 20, &out);
    cr_assert_eq(out.count, 1);
    herd_outbox_clear(&out);
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 21, &out);
    cr_assert_eq(out.count, 0, "the duplicate ACK was reported again");
    cr_assert_eq(herd_client_queue_len(&c), 1);
    cr_assert(herd_client_holds(&c, herd_msg_seq(m[0])));
    cr_assert(!herd_client_holds(&c, herd_msg_seq(m[1])));
}

Test(client, resend_off_sends_only_what_never_went_out)
{
    cfg.proto.resend = 0;
    go_live(0);
    herd_msg_id a, b;
    herd_client_publish(&c, &cfg, 10, &out, &a);
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, 20, &out);
    herd_client_publish(&c, &cfg, 30, &out, &b); /* queued while disconnected */
    herd_outbox_clear(&out);
    herd_client_on_timer(&c, &cfg, &rng, c.deadline, &out);
    herd_outbox_clear(&out);
    herd_client_on_open(&c, &cfg, c.conn, c.deadline, &out);
    cr_assert_eq(out.count, 2);
    cr_assert_eq(out.fx[1].frame.msg, b);
}

Test(client, full_queue_is_backpressure_not_a_drop)
{
    go_live(0);
    herd_msg_id m;
    for (uint32_t i = 0; i < cfg.queue_max; i++) cr_assert_eq(herd_client_publish(&c, &cfg, 1, &out, &m), HERD_OK);
    herd_outbox_clear(&out);
    cr_assert_eq(herd_client_publish(&c, &cfg, 2, &out, &m), HERD_EFULL);
    cr_assert_eq(out.count, 0);
    cr_assert_eq(herd_client_queue_len(&c), cfg.queue_max);
    /* an ACK of the oldest frees one slot; an ACK out of order frees none */
    herd_frame ack = {.type = HERD_FRAME_ACK, .msg = herd_msg_make(7, 3)};
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 3, &out);
    cr_assert_eq(herd_client_publish(&c, &cfg, 4, &out, &m), HERD_EFULL);
    ack.msg = herd_msg_make(7, 1);
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 5, &out);
    cr_assert_eq(herd_client_publish(&c, &cfg, 6, &out, &m), HERD_OK);
}

Test(client, duplicate_and_foreign_acks_are_ignored)
{
    go_live(0);
    herd_msg_id m;
    herd_client_publish(&c, &cfg, 1, &out, &m);
    herd_outbox_clear(&out);
    herd_frame ack = {.type = HERD_FRAME_ACK, .msg = m};
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 2, &out);
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 3, &out);
    ack.msg = herd_msg_make(8, 1);
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 4, &out);
    ack.msg = herd_msg_make(7, 99);
    herd_client_on_frame(&c, &cfg, c.conn, &ack, &rng, 5, &out);
    cr_assert_eq(out.count, 1, "one ACKED effect only");
}

Test(client, deliveries_at_or_below_last_seen_are_counted_and_ignored)
{
    go_live(0);
    herd_frame d = {.type = HERD_FRAME_DELIVER, .room = 3, .msg = 1, .sid = {5, 0}};
    herd_client_on_frame(&c, &cfg, c.conn, &d, &rng, 1, &out);
    herd_client_on_frame(&c, &cfg, c.conn, &d, &rng, 2, &out);
    d.sid = (herd_sid){4, 9};
    herd_client_on_frame(&c, &cfg, c.conn, &d, &rng, 3, &out);
    d.sid = (herd_sid){5, 1};
    herd_client_on_frame(&c, &cfg, c.conn, &d, &rng, 4, &out);
    cr_assert_eq(out.count, 2);
    cr_assert_eq(c.dup_ignored, 2);
    cr_assert(herd_sid_eq(c.last_seen, ((herd_sid){5, 1})));
}

Test(client, gap_is_passed_to_the_application_and_skips_ahead)
{
    go_live(0);
    herd_frame g = {.type = HERD_FRAME_GAP, .prev = {0, 0}, .sid = {9, 0}};
    herd_client_on_frame(&c, &cfg, c.conn, &g, &rng, 1, &out);
    cr_assert_eq(out.count, 1);
    cr_assert_eq(out.fx[0].kind, HERD_FX_GAP);
    cr_assert(herd_sid_eq(out.fx[0].sid, ((herd_sid){9, 0})));
    cr_assert_eq(c.gaps, 1);
    cr_assert(herd_sid_eq(c.last_seen, ((herd_sid){9, 0})));
    herd_client_on_frame(&c, &cfg, c.conn, &g, &rng, 2, &out);
    cr_assert_eq(out.count, 1, "an old gap is nothing new");
    /* the next resume asks from after the gap */
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, 3, &out);
    herd_client_on_timer(&c, &cfg, &rng, c.deadline, &out);
    herd_outbox_clear(&out);
    herd_client_on_open(&c, &cfg, c.conn, c.deadline, &out);
    cr_assert(herd_sid_eq(out.fx[0].frame.sid, ((herd_sid){9, 0})));
}

Test(client, ack_timeout_presumes_the_connection_dead)
{
    go_live(0);
    herd_msg_id m;
    herd_client_publish(&c, &cfg, 100, &out, &m);
    cr_assert_eq(c.deadline, 100 + cfg.ack_timeout_us);
    herd_outbox_clear(&out);
    herd_client_on_timer(&c, &cfg, &rng, c.deadline, &out);
    cr_assert_eq(out.fx[0].kind, HERD_FX_CLOSE);
    cr_assert_eq(c.state, HERD_CLIENT_BACKOFF);
}

Test(client, attempts_reset_only_after_a_stable_connection)
{
    go_live(0);
    c.bo.attempt = 5;
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, 10 * HERD_US_PER_S, &out);
    cr_assert_eq(c.bo.attempt, 6, "up 10 s < 30 s: no reset");
    go_live(c.deadline);
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, c.live_since + 30 * HERD_US_PER_S, &out);
    cr_assert_eq(c.bo.attempt, 1, "up 30 s: reset, then this attempt");
}

Test(client, signalr_gives_up_after_its_table)
{
    setup_policy(HERD_BACKOFF_SIGNALR);
    herd_client_start(&c, &cfg, 0, &out);
    herd_time now = 0;
    for (int i = 0; i < 4; i++) {
        herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, now, &out);
        cr_assert_eq(c.state, HERD_CLIENT_BACKOFF, "attempt %d", i);
        now = c.deadline;
        herd_client_on_timer(&c, &cfg, &rng, now, &out);
    }
    herd_outbox_clear(&out);
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, now, &out);
    cr_assert_eq(c.state, HERD_CLIENT_STOPPED);
    cr_assert_eq(out.fx[0].kind, HERD_FX_GIVE_UP);
}

Test(client, token_bucket_empties_and_gives_up)
{
    setup_policy(HERD_BACKOFF_AWS_STANDARD);
    cfg.backoff.max_attempts = 0; /* only the bucket limits this client */
    cfg.backoff.token_capacity = 12;
    herd_client_init(&c, &cfg, 7, 3, &rng);
    herd_client_start(&c, &cfg, 0, &out);
    herd_time now = 0;
    /* 5 + 5 = 10 tokens; the third retry cannot pay */
    for (int i = 0; i < 2; i++) {
        herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, now, &out);
        cr_assert_eq(c.state, HERD_CLIENT_BACKOFF);
        now = c.deadline;
        herd_client_on_timer(&c, &cfg, &rng, now, &out);
    }
    herd_client_on_close(&c, &cfg, c.conn, HERD_CLOSE_ABNORMAL, 0, &rng, now, &out);
    cr_assert_eq(c.state, HERD_CLIENT_STOPPED);
}

Test(client, full_outbox_changes_nothing)
{
    go_live(0);
    out.count = HERD_OUTBOX_MAX;
    herd_client before = c;
    herd_msg_id m;
    cr_assert_eq(herd_client_publish(&c, &cfg, 1, &out, &m), HERD_EOUTBOX);
    herd_frame d = {.type = HERD_FRAME_DELIVER, .sid = {1, 0}};
    cr_assert_eq(herd_client_on_frame(&c, &cfg, c.conn, &d, &rng, 1, &out), HERD_EOUTBOX);
    cr_assert_eq(memcmp(&before, &c, sizeof c), 0);
}

Test(client, state_fits_the_budget)
{
    cr_assert_leq(sizeof(herd_client), HERD_CLIENT_BYTES_MAX);
    cr_assert_str_eq(herd_client_state_name(HERD_CLIENT_LIVE), "live");
}

/* The assertions that stay on in every build (src/check.h): the clock is checked at each
 * input against the time the client keeps (live_since), and a broken queue is caught on
 * entry. */
Test(client, time_going_back_before_live_since_traps, .signal = TRAP_SIGNAL)
{
    go_live(1000);
    herd_msg_id m;
    herd_client_publish(&c, &cfg, 999, &out, &m);
}

Test(client, time_standing_still_is_fine)
{
    go_live(1000);
    herd_msg_id m;
    cr_assert_eq(herd_client_publish(&c, &cfg, 1000, &out, &m), HERD_OK);
    cr_assert_eq(herd_client_on_timer(&c, &cfg, &rng, 1000, &out), HERD_OK);
}

Test(client, an_uncompacted_ack_window_traps, .signal = TRAP_SIGNAL)
{
    go_live(0);
    herd_msg_id m;
    herd_client_publish(&c, &cfg, 1, &out, &m);
    c.acked_bits = 1; /* the oldest message ACKed but still in the window */
    herd_client_publish(&c, &cfg, 2, &out, &m);
}
