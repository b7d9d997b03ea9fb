/* server.c — a live herd server process: libwebsockets serves RFC 6455 on loopback, each
 * connection runs the core's session machine (src/server.h), the store is a real Redis
 * (redis_store.h).
 *
 * Every callback drains the work it causes before it returns: the session's effects are
 * executed in order; STORE effects queue (session, request) in one FIFO and run against
 * Redis synchronously, their results fed back in issue order; FANOUT effects queue in a
 * second FIFO and are offered to every local session subscribed to the room. Both FIFOs
 * are bounded and empty between callbacks, so no queued item outlives its connection.
 * Frames to a client go through a bounded per-connection send queue written on
 * LWS_CALLBACK_SERVER_WRITEABLE; a connection whose queue overflows is closed with 1011.
 *
 * Fan-out across servers: every append also writes a notice (room, sid, prev, msg) to
 * one Redis feed stream in the same Lua script (redis_store.h); every HERD_LIVE_POLL_US
 * the server reads the feed after the last notice it saw (one XRANGE, whatever the
 * rooms) and offers each notice to its sessions of that room with its true predecessor
 * (the core then delivers in order, or reads the stream). That poll is the live stand-in
 * for the simulator's pub/sub latency (docs/live.md).
 *
 * Graceful stop (SIGUSR1, the scenario's graceful_restart): every session is closed
 * with the fault's code (1001, 1012) and its retry-after hint as the close reason, at
 * times spread evenly over the drain; a connection that arrives meanwhile is closed at
 * once; the process exits when none is left and the drain is over.
 *
 * Trace records (trace_log.h): the server's start, each session's open and close, each
 * store write with its result (actor store/server:S/client:N, input execute, sid = where
 * Redis put it, text appended|duplicate), and each ACK sent (effect send, frame ack). */
#define _POSIX_C_SOURCE 200809L
#include "live.h"
#include "redis_store.h"
#include "trace_log.h"

#include "error.h"
#include "frame.h"

#include <libwebsockets.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_Q_MAX 65536u
#define FANOUT_Q_MAX 8192u
#define FEED_BATCH 512u  /* feed notices read per Redis call */
#define FEED_ROUNDS 8u   /* calls per poll at most */

typedef struct pss {
    herd_session s;
    struct lws *wsi;
    struct pss *next, *prev;
    uint16_t close_code;
    uint32_t close_hint_ms;  /* retry-after hint sent in the close reason (graceful stop) */
    herd_time drain_at;      /* graceful stop: when this session is closed; 0 = not draining */
    uint8_t closing;
    uint8_t subscribed;
    uint8_t listed;
    uint16_t qhead, qlen;
    uint8_t qn[HERD_LIVE_SENDQ_MAX];
    uint8_t q[HERD_LIVE_SENDQ_MAX][HERD_FRAME_MAX_BYTES];
} pss;

typedef struct store_item { pss *p; herd_store_req req; } store_item;
typedef struct fanout_item { uint32_t room; herd_sid sid, prev; herd_msg_id msg; } fanout_item;

typedef struct srv {
    const herd_live_config *cfg;
    uint32_t id;
    herd_live_redis *redis;
    FILE *trace;
    struct lws_context *ctx;
    pss *sessions;
    uint32_t *room_subs;   /* subscribed sessions per room, here */
    herd_sid feed_seen;    /* last herd:feed id read (0-0: not yet positioned) */
    herd_time crash_after_append_us;
    bool crash_before_record; /* the crash point strikes before the `appended` record */
    herd_live_drain drain;
    herd_time drain_end;     /* 0 until SIGUSR1 */
    lws_sorted_usec_list_t sul_poll, sul_drain;
    store_item *sq; uint32_t sq_head, sq_len;
    fanout_item *fq; uint32_t fq_head, fq_len;
    uint64_t conns, appends, acks;
} srv;

static volatile sig_atomic_t g_stop, g_drain;
static struct lws_context *g_ctx;

static void on_signal(int sig)
{
    if (sig == SIGUSR1) g_drain = 1;
    else g_stop = 1;
    if (g_ctx) lws_cancel_service(g_ctx);
}

static void actor_of(const srv *S, const pss *p, char *out, size_t size, const char *prefix)
{
    snprintf(out, size, "%sserver:%" PRIu32 "/client:%" PRIu32, prefix, S->id, p->s.client);
}

static void enqueue_frame(pss *p, const herd_frame *f)
{
    if (p->closing) return;
    if (p->qlen == HERD_LIVE_SENDQ_MAX) { /* bounded: a client this far behind is cut */
        p->closing = 1;
        p->close_code = HERD_CLOSE_INTERNAL_ERROR;
        herd_session_close(&p->s);
    } else {
        uint32_t i = (p->qhead + p->qlen) % HERD_LIVE_SENDQ_MAX;
        int n = herd_frame_encode(f, p->q[i], HERD_FRAME_MAX_BYTES);
        if (n <= 0) return;
        p->qn[i] = (uint8_t)n;
        p->qlen++;
    }
    lws_callback_on_writable(p->wsi);
}

/* The core's CLOSE frame (code, retry-after hint) ahead of the WebSocket close: the client
 * machine reads the code from it, because libwebsockets 4.1 replaces a received close
 * code it does not know (1012, 1013, 1014) by 1002 before the application sees it. */
static void send_close_frame(pss *p, uint16_t code, uint32_t retry_after_ms)
{
    herd_frame f = {.type = HERD_FRAME_CLOSE, .code = code, .retry_after_ms = retry_after_ms};
    enqueue_frame(p, &f);
}

static void trace_ack(srv *S, pss *p, const herd_frame *f, herd_time now)
{
    char actor[32];
    actor_of(S, p, actor, sizeof actor, "");
    herd_trace_rec r;
    herd_live_trace_init(&r, HERD_TRACE_EFFECT, actor, "send", now);
    herd_trace_rec_frame(&r, f);
    r.room = p->s.room;
    r.has |= HERD_TF_NOW | HERD_TF_ROOM | HERD_TF_CLIENT;
    r.client = p->s.client;
    herd_live_trace_write(S->trace, &r);
    S->acks++;
}

static void run_effects(srv *S, pss *p, const herd_outbox *o, herd_time now)
{
    for (uint32_t i = 0; i < o->count; i++) {
        const herd_effect *e = &o->fx[i];
        switch (e->kind) {
        case HERD_FX_SEND:
            if (e->frame.type == HERD_FRAME_ACK) trace_ack(S, p, &e->frame, now);
            enqueue_frame(p, &e->frame);
            break;
        case HERD_FX_CLOSE:
            send_close_frame(p, e->code, e->retry_after_ms);
            p->closing = 1;
            p->close_code = e->code;
            lws_callback_on_writable(p->wsi);
            break;
        case HERD_FX_STORE:
            if (S->sq_len == STORE_Q_MAX) { /* never with the session's own bound; be safe */
                p->closing = 1;
                p->close_code = HERD_CLOSE_INTERNAL_ERROR;
                herd_session_close(&p->s);
                lws_callback_on_writable(p->wsi);
                break;
            }
            S->sq[(S->sq_head + S->sq_len++) % STORE_Q_MAX] = (store_item){p, e->req};
            break;
        case HERD_FX_SUBSCRIBE:
            if (!p->subscribed && e->room < S->cfg->rooms) {
                p->subscribed = 1;
                S->room_subs[e->room]++;
            }
            break;
        case HERD_FX_FANOUT:
            if (S->fq_len < FANOUT_Q_MAX)
                S->fq[(S->fq_head + S->fq_len++) % FANOUT_Q_MAX] =
                    (fanout_item){e->room, e->sid, e->prev, e->msg};
            /* else: the poll finds the entry in the stream within HERD_LIVE_POLL_US */
            break;
        default:
            break;
        }
    }
}

static void trace_store(srv *S, pss *p, const herd_store_req *req, const herd_store_result *res,
                        herd_time now)
{
    char actor[48];
    actor_of(S, p, actor, sizeof actor, "store/");
    herd_trace_rec r;
    herd_live_trace_init(&r, HERD_TRACE_INPUT, actor, "execute", now);
    r.op = req->op;
    r.msg = req->msg;
    r.room = req->room;
    r.client = p->s.client;
    r.sid = res->pub.sid;
    r.prev = res->pub.prev;
    r.has |= HERD_TF_OP | HERD_TF_MSG | HERD_TF_ROOM | HERD_TF_CLIENT | HERD_TF_SID | HERD_TF_PREV | HERD_TF_TEXT;
    snprintf(r.text, sizeof r.text, "%s", res->err != HERD_OK ? "store down"
                                          : res->pub.status == HERD_PUBLISH_APPENDED ? "appended" : "duplicate");
    herd_live_trace_write(S->trace, &r);
}

static void run_store_item(srv *S, const store_item *it)
{
    static herd_store_result res; /* large (64 entries): one, reused */
    static herd_outbox out;
    herd_time now = herd_live_now_us();
    herd_live_redis_execute(S->redis, now, &it->req, &res);
    now = herd_live_now_us();
    if (it->req.op != HERD_STORE_OP_READ) {
        if (S->crash_before_record && S->crash_after_append_us && now >= S->crash_after_append_us &&
            res.err == HERD_OK && res.pub.status == HERD_PUBLISH_APPENDED)
            raise(SIGKILL); /* in Redis, not in the trace */
        trace_store(S, it->p, &it->req, &res, now);
        if (res.err == HERD_OK && res.pub.status == HERD_PUBLISH_APPENDED) {
            S->appends++;
            if (S->crash_after_append_us && now >= S->crash_after_append_us) raise(SIGKILL);
        }
    }
    herd_outbox_clear(&out);
    if (herd_session_on_store_result(&it->p->s, &S->cfg->server, NULL, &res, now, &out) == HERD_OK)
        run_effects(S, it->p, &out, now);
}

static void offer_fanout(srv *S, const fanout_item *f)
{
    static herd_outbox out;
    for (pss *p = S->sessions; p; p = p->next) {
        if (!p->subscribed || p->s.room != f->room || p->closing) continue;
        herd_time now = herd_live_now_us();
        herd_outbox_clear(&out);
        if (herd_session_on_fanout(&p->s, &S->cfg->server, f->room, f->sid, f->prev, f->msg, now, &out) == HERD_OK)
            run_effects(S, p, &out, now);
    }
}

/* Run queued store requests and fan-outs until both FIFOs are empty (bounded). */
static void drain(srv *S)
{
    for (uint32_t round = 0; round < HERD_LIVE_FX_ROUNDS_MAX * 64u && (S->sq_len || S->fq_len); round++) {
        if (S->sq_len) {
            store_item it = S->sq[S->sq_head];
            S->sq_head = (S->sq_head + 1) % STORE_Q_MAX;
            S->sq_len--;
            run_store_item(S, &it);
        } else {
            fanout_item f = S->fq[S->fq_head];
            S->fq_head = (S->fq_head + 1) % FANOUT_Q_MAX;
            S->fq_len--;
            offer_fanout(S, &f);
        }
    }
}

/* Fan-out from the other servers: the feed's notices since the last poll (bounded per
 * poll; a backlog is read at the next one, HERD_LIVE_POLL_US later). */
static void poll_feed(lws_sorted_usec_list_t *sul)
{
    srv *S = lws_container_of(sul, srv, sul_poll);
    static herd_live_notice nt[FEED_BATCH];
    for (uint32_t round = 0; round < FEED_ROUNDS; round++) {
        int n = herd_live_redis_feed(S->redis, &S->feed_seen, nt, FEED_BATCH);
        for (int i = 0; i < n; i++) {
            if (nt[i].room >= S->cfg->rooms || !S->room_subs[nt[i].room]) continue;
            if (herd_sid_cmp(nt[i].prev, nt[i].sid) > 0) continue; /* malformed: the session would assert */
            fanout_item f = {nt[i].room, nt[i].sid, nt[i].prev, nt[i].msg};
            offer_fanout(S, &f);
        }
        drain(S);
        if (n < (int)FEED_BATCH) break;
    }
    lws_sul_schedule(S->ctx, 0, &S->sul_poll, poll_feed, HERD_LIVE_POLL_US);
}

static void session_trace(srv *S, pss *p, const char *name)
{
    char actor[32];
    actor_of(S, p, actor, sizeof actor, "");
    herd_trace_rec r;
    herd_live_trace_init(&r, HERD_TRACE_INPUT, actor, name, herd_live_now_us());
    herd_live_trace_write(S->trace, &r);
}

static int on_receive(srv *S, pss *p, const void *in, size_t len)
{
    static herd_outbox out;
    herd_frame f;
    if (p->closing) return 0;
    if (!lws_is_first_fragment(p->wsi) || !lws_is_final_fragment(p->wsi) ||
        herd_frame_decode(in, len, &f) != HERD_OK) {
        p->closing = 1;
        p->close_code = HERD_CLOSE_INTERNAL_ERROR;
        herd_session_close(&p->s);
        lws_callback_on_writable(p->wsi);
        return 0;
    }
    herd_time now = herd_live_now_us();
    herd_outbox_clear(&out);
    int rc = herd_session_on_frame(&p->s, &S->cfg->server, NULL, &f, now, &out);
    if (rc == HERD_OK) {
        if (f.type == HERD_FRAME_RESUME) session_trace(S, p, "resume");
        run_effects(S, p, &out, now);
    }
    drain(S);
    return 0;
}

static int on_writeable(pss *p)
{
    uint8_t buf[LWS_PRE + HERD_FRAME_MAX_BYTES];
    if (p->qlen) {
        uint32_t n = p->qn[p->qhead];
        memcpy(buf + LWS_PRE, p->q[p->qhead], n);
        p->qhead = (uint16_t)((p->qhead + 1) % HERD_LIVE_SENDQ_MAX);
        p->qlen--;
        if (lws_write(p->wsi, buf + LWS_PRE, n, LWS_WRITE_BINARY) < (int)n) return -1;
        if (p->qlen || p->closing) lws_callback_on_writable(p->wsi);
        return 0;
    }
    if (p->closing) {
        char hint[16];
        int n = p->close_hint_ms ? snprintf(hint, sizeof hint, "%" PRIu32, p->close_hint_ms) : 0;
        lws_close_reason(p->wsi, (enum lws_close_status)p->close_code, (unsigned char *)hint, (size_t)n);
        return -1;
    }
    return 0;
}

static void unlink_pss(srv *S, pss *p)
{
    if (!p->listed) return;
    if (p->prev) p->prev->next = p->next;
    else S->sessions = p->next;
    if (p->next) p->next->prev = p->prev;
    p->listed = 0;
    if (p->subscribed && p->s.room < S->cfg->rooms) S->room_subs[p->s.room]--;
    p->subscribed = 0;
}

static void close_for_drain(srv *S, pss *p)
{
    if (p->closing) return;
    send_close_frame(p, S->drain.code, S->drain.retry_after_ms);
    p->closing = 1;
    p->close_code = S->drain.code;
    p->close_hint_ms = S->drain.retry_after_ms;
    herd_session_close(&p->s);
    lws_callback_on_writable(p->wsi);
}

/* Close the sessions whose drain time came; stop once all are gone and the drain is over
 * (bounded: one second past it, whatever is left). */
static void drain_tick(lws_sorted_usec_list_t *sul)
{
    srv *S = lws_container_of(sul, srv, sul_drain);
    herd_time now = herd_live_now_us();
    for (pss *p = S->sessions; p; p = p->next)
        if (p->drain_at && p->drain_at <= now) close_for_drain(S, p);
    if ((!S->sessions && now >= S->drain_end) || now >= S->drain_end + HERD_US_PER_S) {
        g_stop = 1;
        lws_cancel_service(S->ctx);
        return;
    }
    lws_sul_schedule(S->ctx, 0, &S->sul_drain, drain_tick, HERD_LIVE_TICK_US);
}

static void start_drain(srv *S)
{
    herd_time now = herd_live_now_us();
    uint32_t n = 0, i = 0;
    for (pss *p = S->sessions; p; p = p->next) n++;
    S->drain_end = now + S->drain.drain_us;
    for (pss *p = S->sessions; p; p = p->next, i++) p->drain_at = now + 1u + S->drain.drain_us * i / (n ? n : 1);
    herd_trace_rec r;
    char actor[24];
    snprintf(actor, sizeof actor, "server:%" PRIu32, S->id);
    herd_live_trace_init(&r, HERD_TRACE_STEP, actor, "fault", now);
    r.has |= HERD_TF_TEXT;
    snprintf(r.text, sizeof r.text, "server %" PRIu32 " draining %" PRIu32 " sessions with %u over %" PRIu64 " ms",
             S->id, n, (unsigned)S->drain.code, S->drain.drain_us / 1000u);
    herd_live_trace_write(S->trace, &r);
    lws_sul_schedule(S->ctx, 0, &S->sul_drain, drain_tick, HERD_LIVE_TICK_US);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    srv *S = lws_context_user(lws_get_context(wsi));
    pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(p, 0, offsetof(pss, q));
        p->wsi = wsi;
        herd_session_open(&p->s, 0, herd_live_now_us());
        p->next = S->sessions;
        if (S->sessions) S->sessions->prev = p;
        S->sessions = p;
        p->listed = 1;
        S->conns++;
        if (S->drain_end) p->drain_at = herd_live_now_us(); /* draining: closed at the next tick */
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return on_receive(S, p, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(p);
    case LWS_CALLBACK_CLOSED:
        if (p->s.state != HERD_SESSION_CLOSED) herd_session_close(&p->s);
        if (p->listed) session_trace(S, p, "session_close");
        unlink_pss(S, p);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"herd", callback, sizeof(pss), 128, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static int setup(srv *S, const herd_live_config *cfg, uint32_t id, int redis_port, const char *trace_path)
{
    S->cfg = cfg;
    S->id = id;
    S->trace = herd_live_trace_open(trace_path);
    S->redis = herd_live_redis_open(redis_port, cfg->store.maxlen);
    S->room_subs = calloc(cfg->rooms, sizeof *S->room_subs);
    S->sq = calloc(STORE_Q_MAX, sizeof *S->sq);
    S->fq = calloc(FANOUT_Q_MAX, sizeof *S->fq);
    if (!S->trace) { fprintf(stderr, "herd live-server: cannot write %s\n", trace_path); return 74; }
    if (!S->redis || !S->room_subs || !S->sq || !S->fq) {
        fprintf(stderr, "herd live-server: out of memory\n");
        return 70;
    }
    return 0;
}

static void teardown(srv *S)
{
    if (S->ctx) lws_context_destroy(S->ctx);
    g_ctx = NULL;
    herd_live_redis_close(S->redis);
    if (S->trace) fclose(S->trace);
    free(S->room_subs); free(S->sq); free(S->fq);
}

int herd_live_server_run(const herd_live_config *cfg, uint32_t id, int port, int redis_port,
                         const char *trace_path, herd_time crash_after_append_us,
                         bool crash_before_record, const herd_live_drain *drain)
{
    static srv S;
    memset(&S, 0, sizeof S);
    int rc = setup(&S, cfg, id, redis_port, trace_path);
    S.crash_after_append_us = crash_after_append_us;
    S.crash_before_record = crash_before_record;
    if (drain) S.drain = *drain;
    if (!S.drain.code) S.drain.code = HERD_CLOSE_GOING_AWAY;
    if (rc == 0) {
        lws_set_log_level(LLL_ERR, NULL);
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = port;
        info.iface = "127.0.0.1";
        info.protocols = protocols;
        info.user = &S;
        info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
        S.ctx = lws_create_context(&info);
        if (!S.ctx) { fprintf(stderr, "herd live-server: cannot listen on 127.0.0.1:%d\n", port); rc = 74; }
    }
    if (rc == 0) {
        g_ctx = S.ctx;
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGUSR1, on_signal);
        signal(SIGPIPE, SIG_IGN);
        herd_trace_rec r;
        char actor[24];
        snprintf(actor, sizeof actor, "server:%" PRIu32, id);
        herd_live_trace_init(&r, HERD_TRACE_STEP, actor, "fault", herd_live_now_us());
        r.has |= HERD_TF_TEXT;
        snprintf(r.text, sizeof r.text, "server %" PRIu32 " listening on port %d", id, port);
        herd_live_trace_write(S.trace, &r);
        lws_sul_schedule(S.ctx, 0, &S.sul_poll, poll_feed, HERD_LIVE_POLL_US);
        while (!g_stop && lws_service(S.ctx, 0) >= 0)
            if (g_drain && !S.drain_end) start_drain(&S);
    }
    teardown(&S);
    return rc;
}
