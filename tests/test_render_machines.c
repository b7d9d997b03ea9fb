/* test_render_machines.c — the transition tables that draw docs/diagrams/ (render/
 * machine_tables.c) against the real machines of src/: for every row, bring a fresh
 * client or session to the row's state through real inputs, apply the row's input, and
 * check the input is accepted and the machine ends in the row's next state. A table row
 * that the code does not do, or that names the wrong state, fails here. */
#include "client.h"
#include "error.h"
#include "frame.h"
#include "machine_tables.h"
#include "server.h"

#include <criterion/criterion.h>

/* ---- client ---- */

static herd_client_config client_cfg(uint16_t max_attempts)
{
    herd_client_config cfg = {0};
    cr_assert_eq(herd_backoff_defaults(&cfg.backoff, HERD_BACKOFF_FIXED), HERD_OK);
    cfg.backoff.max_attempts = max_attempts;
    cfg.proto = herd_protocol_correct();
    cfg.connect_timeout_us = 5 * HERD_US_PER_S;
    cfg.resume_timeout_us = 5 * HERD_US_PER_S;
    cfg.ack_timeout_us = 10 * HERD_US_PER_S;
    cfg.stable_reset_us = 30 * HERD_US_PER_S;
    cfg.queue_max = 8;
    cfg.obey_retry_after = 1;
    cr_assert_eq(herd_client_config_validate(&cfg), HERD_OK);
    return cfg;
}

typedef struct client_rig {
    herd_client_config cfg;
    herd_client c;
    herd_outbox out;
    herd_rng rng;
} client_rig;

static void client_step(int rc, client_rig *r)
{
    cr_assert_eq(rc, HERD_OK, "driving the client: %s", herd_strerror(rc));
    herd_outbox_clear(&r->out);
}

/* Fresh client, brought to `state` through real inputs. */
static void client_reach(client_rig *r, int state, uint16_t max_attempts)
{
    r->cfg = client_cfg(max_attempts);
    herd_rng_seed(&r->rng, 7);
    herd_client_init(&r->c, &r->cfg, 3, 1, &r->rng);
    herd_outbox_clear(&r->out);
    if (state == HERD_CLIENT_DISCONNECTED) return;
    client_step(herd_client_start(&r->c, &r->cfg, 0, &r->out), r);
    if (max_attempts > 0 && state == HERD_CLIENT_CONNECTING) {
        /* Use up the policy's attempts: one failure, one retry. */
        client_step(herd_client_on_close(&r->c, &r->cfg, r->c.conn, 1006, 0, &r->rng, 10, &r->out), r);
        client_step(herd_client_on_timer(&r->c, &r->cfg, &r->rng, herd_client_deadline(&r->c), &r->out), r);
    }
    if (state == HERD_CLIENT_BACKOFF) {
        client_step(herd_client_on_close(&r->c, &r->cfg, r->c.conn, 1006, 0, &r->rng, 10, &r->out), r);
    } else if (state != HERD_CLIENT_CONNECTING) {
        client_step(herd_client_on_open(&r->c, &r->cfg, r->c.conn, 10, &r->out), r);
        if (state == HERD_CLIENT_RESUMING) goto done;
        herd_frame resumed = {.type = HERD_FRAME_RESUMED};
        client_step(herd_client_on_frame(&r->c, &r->cfg, r->c.conn, &resumed, &r->rng, 20, &r->out), r);
        if (state == HERD_CLIENT_STOPPED)
            client_step(herd_client_on_close(&r->c, &r->cfg, r->c.conn, 1000, 0, &r->rng, 30, &r->out), r);
    }
done:
    cr_assert_eq(r->c.state, state, "could not reach %s", herd_client_state_name(state));
}

static int client_apply(client_rig *r, const herd_machine_transition *t)
{
    herd_msg_id msg;
    herd_frame f = {.type = t->frame, .code = t->code, .msg = herd_msg_make(3, 1), .room = 1,
                    .sid = {1, 1}, .retry_after_ms = t->code == 1013 ? 2000 : 0};
    switch (t->input) {
    case HERD_CIN_START: return herd_client_start(&r->c, &r->cfg, 100, &r->out);
    case HERD_CIN_OPEN: return herd_client_on_open(&r->c, &r->cfg, r->c.conn, 100, &r->out);
    case HERD_CIN_FRAME: return herd_client_on_frame(&r->c, &r->cfg, r->c.conn, &f, &r->rng, 100, &r->out);
    case HERD_CIN_CLOSE:
    case HERD_CIN_CLOSE_GIVE_UP:
        return herd_client_on_close(&r->c, &r->cfg, r->c.conn, t->code, 0, &r->rng, 100, &r->out);
    case HERD_CIN_PUBLISH: return herd_client_publish(&r->c, &r->cfg, 100, &r->out, &msg);
    case HERD_CIN_TIMER:
        /* LIVE arms its (ACK) timer only while a message waits for its ACK. */
        if (herd_client_deadline(&r->c) == HERD_TIME_NEVER) client_step(herd_client_publish(&r->c, &r->cfg, 100, &r->out, &msg), r);
        cr_assert_neq(herd_client_deadline(&r->c), HERD_TIME_NEVER, "no timer armed");
        return herd_client_on_timer(&r->c, &r->cfg, &r->rng, herd_client_deadline(&r->c), &r->out);
    default: cr_assert_fail("unknown client input %d", t->input);
    }
    return HERD_EINVAL;
}

Test(machine_tables, every_client_row_is_what_the_client_does)
{
    cr_assert_gt(herd_client_transition_count, 10);
    bool seen_from[HERD_CLIENT_STATE_COUNT] = {0}, seen_to[HERD_CLIENT_STATE_COUNT] = {0};
    for (size_t i = 0; i < herd_client_transition_count; i++) {
        const herd_machine_transition *t = &herd_client_transitions[i];
        client_rig r;
        client_reach(&r, t->from, t->input == HERD_CIN_CLOSE_GIVE_UP ? 1 : 0);
        int rc = client_apply(&r, t);
        cr_assert_eq(rc, HERD_OK, "row %zu (%s --%s--> %s): input refused: %s", i, herd_client_state_name(t->from),
                     t->label, herd_client_state_name(t->to), herd_strerror(rc));
        cr_assert_eq(r.c.state, t->to, "row %zu (%s --%s-->): the client went to %s, the table says %s", i,
                     herd_client_state_name(t->from), t->label, herd_client_state_name(r.c.state),
                     herd_client_state_name(t->to));
        seen_from[t->from] = seen_to[t->to] = true;
    }
    for (int s = 0; s < HERD_CLIENT_STATE_COUNT; s++)
        cr_assert(seen_from[s] || seen_to[s], "state %s is in no row", herd_client_state_name(s));
}

/* ---- session ---- */

typedef struct session_rig {
    herd_server_config cfg;
    herd_session s;
    herd_outbox out;
} session_rig;

static void session_step(int rc, session_rig *r)
{
    cr_assert_eq(rc, HERD_OK, "driving the session: %s", herd_strerror(rc));
    herd_outbox_clear(&r->out);
}

static herd_store_result read_result(bool more)
{
    herd_store_result res = {.op = HERD_STORE_OP_READ, .err = HERD_OK, .room = 1, .n = 0};
    res.info.more = more;
    return res;
}

static void session_reach(session_rig *r, int state)
{
    r->cfg = (herd_server_config){.proto = herd_protocol_correct(), .read_batch = 4};
    cr_assert_eq(herd_server_config_validate(&r->cfg), HERD_OK);
    herd_session_open(&r->s, 1, 0);
    herd_outbox_clear(&r->out);
    if (state == HERD_SESSION_CLOSED) herd_session_close(&r->s);
    if (state == HERD_SESSION_RESUMING || state == HERD_SESSION_LIVE) {
        herd_frame resume = {.type = HERD_FRAME_RESUME, .client = 3, .room = 1};
        session_step(herd_session_on_frame(&r->s, &r->cfg, NULL, &resume, 10, &r->out), r);
    }
    if (state == HERD_SESSION_LIVE) {
        herd_store_result res = read_result(false);
        session_step(herd_session_on_store_result(&r->s, &r->cfg, NULL, &res, 20, &r->out), r);
    }
    cr_assert_eq(r->s.state, state, "could not reach %s", herd_session_state_name(state));
}

static int session_publish(session_rig *r, uint32_t seq)
{
    herd_frame pub = {.type = HERD_FRAME_PUBLISH, .room = 1, .msg = herd_msg_make(3, seq)};
    return herd_session_on_frame(&r->s, &r->cfg, NULL, &pub, 100, &r->out);
}

static int session_apply(session_rig *r, const herd_machine_transition *t)
{
    herd_frame f = {.type = t->frame, .code = t->code, .client = 3, .room = 1, .msg = herd_msg_make(3, 1)};
    herd_store_result res = read_result(t->input == HERD_SIN_READ_MORE);
    switch (t->input) {
    case HERD_SIN_FRAME: return herd_session_on_frame(&r->s, &r->cfg, NULL, &f, 100, &r->out);
    case HERD_SIN_READ_DONE:
    case HERD_SIN_READ_MORE: return herd_session_on_store_result(&r->s, &r->cfg, NULL, &res, 100, &r->out);
    case HERD_SIN_PUBLISH_DONE:
    case HERD_SIN_STORE_ERROR:
        session_step(session_publish(r, 1), r);
        res = (herd_store_result){.op = HERD_STORE_OP_PUBLISH_DEDUP, .room = 1, .msg = herd_msg_make(3, 1),
                                  .err = t->input == HERD_SIN_STORE_ERROR ? HERD_EFULL : HERD_OK};
        res.pub = (herd_publish_result){.status = HERD_PUBLISH_APPENDED, .durable = 1, .sid = {5, 0}, .prev = {0, 0}};
        return herd_session_on_store_result(&r->s, &r->cfg, NULL, &res, 100, &r->out);
    case HERD_SIN_FANOUT:
        return herd_session_on_fanout(&r->s, &r->cfg, 1, (herd_sid){5, 0}, r->s.last_sent, herd_msg_make(4, 1), 100, &r->out);
    case HERD_SIN_CONN_CLOSED: herd_session_close(&r->s); return HERD_OK;
    case HERD_SIN_PUBLISH_FULL:
        for (uint32_t i = 0; i < HERD_SESSION_INFLIGHT_MAX; i++) session_step(session_publish(r, i + 1), r);
        return session_publish(r, HERD_SESSION_INFLIGHT_MAX + 1);
    default: cr_assert_fail("unknown session input %d", t->input);
    }
    return HERD_EINVAL;
}

Test(machine_tables, every_session_row_is_what_the_session_does)
{
    cr_assert_gt(herd_session_transition_count, 8);
    bool seen[HERD_SESSION_STATE_COUNT] = {0};
    for (size_t i = 0; i < herd_session_transition_count; i++) {
        const herd_machine_transition *t = &herd_session_transitions[i];
        session_rig r;
        session_reach(&r, t->from);
        int rc = session_apply(&r, t);
        cr_assert_eq(rc, HERD_OK, "row %zu (%s --%s-->): input refused: %s", i, herd_session_state_name(t->from),
                     t->label, herd_strerror(rc));
        cr_assert_eq(r.s.state, t->to, "row %zu (%s --%s-->): the session went to %s, the table says %s", i,
                     herd_session_state_name(t->from), t->label, herd_session_state_name(r.s.state),
                     herd_session_state_name(t->to));
        seen[t->from] = seen[t->to] = true;
    }
    for (int s = 0; s < HERD_SESSION_STATE_COUNT; s++)
        cr_assert(seen[s], "state %s is in no row", herd_session_state_name(s));
}

/* A row that lies must fail: the same driver on a corrupted copy of a row. */
Test(machine_tables, a_wrong_row_is_caught)
{
    herd_machine_transition t = herd_client_transitions[1]; /* CONNECTING --open--> RESUMING */
    t.to = HERD_CLIENT_LIVE;
    client_rig r;
    client_reach(&r, t.from, 0);
    cr_assert_eq(client_apply(&r, &t), HERD_OK);
    cr_assert_neq(r.c.state, t.to, "the driver would not notice a wrong next state");
}
