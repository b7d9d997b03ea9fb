/* world_apply.c — what each transition does: the machine inputs it feeds and the faults'
 * effect on the world (see world.h). Every machine input is recorded (when a recorder is
 * given) before the call, so a trace re-feeds exactly what the machines saw. */
#include "world_internal.h"

#include "error.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static int fatal(hm_world *w, int rc)
{
    if (rc < 0 && herd_error_is_fatal(rc)) {
        w->violation = HM_P_INTERNAL;
        return rc;
    }
    return HERD_OK;
}

static void rec_simple(hm_recorder *rec, const char *name, const char *actor_fmt, uint32_t a,
                       uint32_t b, herd_time now, uint32_t conn, uint32_t has)
{
    if (rec == NULL) return;
    herd_trace_rec r;
    hm_rec_init(&r, HERD_TRACE_INPUT, name, actor_fmt, a, b);
    r.has = has | HERD_TF_NOW;
    r.now = now;
    r.conn = conn;
    hm_rec_emit(rec, &r);
}

static int deliver_c2s(hm_world *w, const hm_config *cfg, const hm_item *it, hm_recorder *rec)
{
    herd_session *ss = &w->sess[it->server][it->client];
    if (ss->conn != it->conn || ss->state == HERD_SESSION_CLOSED) return HERD_OK; /* stale */
    if (rec) {
        herd_trace_rec r;
        hm_rec_init(&r, HERD_TRACE_INPUT, "frame", "server:%u/client:%u", it->server, it->client);
        herd_trace_rec_frame(&r, &it->u.frame);
        r.has |= HERD_TF_NOW | HERD_TF_CONN;
        r.now = w->now;
        r.conn = it->conn;
        hm_rec_emit(rec, &r);
    }
    herd_outbox out;
    herd_outbox_clear(&out);
    int rc = herd_session_on_frame(ss, &cfg->server, hm_world_local(w, cfg, it->server), &it->u.frame,
                                   w->now, &out);
    hm_drain_session(w, cfg, it->server, it->client, &out, rec);
    return fatal(w, rc);
}

static int deliver_s2c(hm_world *w, const hm_config *cfg, const hm_item *it, hm_recorder *rec)
{
    return fatal(w, hm_client_frame(w, cfg, it->client, it->conn, &it->u.frame, rec));
}

static void push_result(hm_world *w, const hm_item *req, const herd_store_result *res)
{
    hm_item it;
    memset(&it, 0, sizeof it);
    it.kind = HM_IT_SRES;
    it.client = req->client;
    it.server = req->server;
    it.conn = req->conn;
    it.u.res.op = res->op;
    it.u.res.err = res->err;
    it.u.res.room = res->room;
    if (res->op == HERD_STORE_OP_READ) {
        hm_readslot *slot = &w->rr[req->server][req->client];
        assert(!slot->full && res->n <= HM_READ_MAX);
        memset(slot, 0, sizeof *slot);
        slot->full = 1;
        slot->n = (uint8_t)res->n;
        slot->err = res->err;
        slot->info = res->info;
        memcpy(slot->e, res->entries, res->n * sizeof(herd_entry));
    } else {
        it.u.res.msg = res->msg;
        it.u.res.status = res->pub.status;
        it.u.res.durable = res->pub.durable;
        it.u.res.sid = res->pub.sid;
        it.u.res.prev = res->pub.prev;
        it.u.res.lsn = res->pub.lsn;
    }
    hm_item_push(w, &it);
}

static int deliver_sreq(hm_world *w, const hm_config *cfg, const hm_item *it, hm_recorder *rec)
{
    if (rec) {
        herd_trace_rec r;
        hm_rec_init(&r, HERD_TRACE_INPUT, "execute", "store/server:%u/client:%u", it->server, it->client);
        r.has = HERD_TF_NOW | HERD_TF_CONN | HERD_TF_OP | HERD_TF_ROOM;
        r.now = w->now;
        r.conn = it->conn;
        r.op = it->u.req.op;
        r.room = it->u.req.room;
        r.msg = it->u.req.msg;
        r.after = it->u.req.after;
        r.limit = it->u.req.limit;
        r.has |= it->u.req.op == HERD_STORE_OP_READ ? (HERD_TF_AFTER | HERD_TF_LIMIT) : HERD_TF_MSG;
        hm_rec_emit(rec, &r);
    }
    static _Thread_local herd_store_result res; /* 2 KiB: kept off the stack, one per search thread */
    int rc = herd_store_execute(hm_world_store(w), w->now, &it->u.req, &res);
    if (rc < 0 && herd_error_is_fatal(rc)) return fatal(w, rc);
    if (rc == HERD_OK && it->u.req.op != HERD_STORE_OP_READ) hm_oracle_append(w, cfg, it->u.req.msg, &res.pub);
    const herd_session *ss = &w->sess[it->server][it->client];
    if (ss->conn == it->conn && ss->state != HERD_SESSION_CLOSED) push_result(w, it, &res);
    return HERD_OK;
}

static int deliver_sres(hm_world *w, const hm_config *cfg, const hm_item *it, hm_recorder *rec)
{
    herd_session *ss = &w->sess[it->server][it->client];
    if (ss->conn != it->conn || ss->state == HERD_SESSION_CLOSED) return HERD_OK;
    static _Thread_local herd_store_result res;
    memset(&res, 0, sizeof res);
    res.op = it->u.res.op;
    res.err = (int16_t)it->u.res.err;
    res.room = it->u.res.room;
    if (res.op == HERD_STORE_OP_READ) {
        hm_readslot *slot = &w->rr[it->server][it->client];
        assert(slot->full);
        res.err = slot->err;
        res.info = slot->info;
        res.n = slot->n;
        memcpy(res.entries, slot->e, slot->n * sizeof(herd_entry));
        memset(slot, 0, sizeof *slot);
    } else {
        res.msg = it->u.res.msg;
        res.pub = (herd_publish_result){.status = it->u.res.status, .durable = it->u.res.durable,
                                        .sid = it->u.res.sid, .prev = it->u.res.prev, .lsn = it->u.res.lsn};
    }
    if (rec) {
        herd_trace_rec r;
        hm_rec_init(&r, HERD_TRACE_INPUT, "store_result", "server:%u/client:%u", it->server, it->client);
        r.has = HERD_TF_NOW | HERD_TF_CONN | HERD_TF_OP | (res.op == HERD_STORE_OP_READ ? 0 : HERD_TF_MSG);
        r.now = w->now;
        r.conn = it->conn;
        r.op = res.op;
        r.msg = res.msg;
        hm_rec_emit(rec, &r);
    }
    herd_outbox out;
    herd_outbox_clear(&out);
    int rc = herd_session_on_store_result(ss, &cfg->server, hm_world_local(w, cfg, it->server), &res,
                                          w->now, &out);
    hm_drain_session(w, cfg, it->server, it->client, &out, rec);
    return fatal(w, rc);
}

static int deliver_fan(hm_world *w, const hm_config *cfg, const hm_item *it, hm_recorder *rec)
{
    herd_session *ss = &w->sess[it->server][it->client];
    if (ss->conn != it->conn || ss->state == HERD_SESSION_CLOSED) return HERD_OK;
    if (rec) {
        herd_trace_rec r;
        hm_rec_init(&r, HERD_TRACE_INPUT, "fanout", "server:%u/client:%u", it->server, it->client);
        r.has = HERD_TF_NOW | HERD_TF_CONN | HERD_TF_ROOM | HERD_TF_SID | HERD_TF_PREV | HERD_TF_MSG;
        r.now = w->now;
        r.conn = it->conn;
        r.room = it->u.fan.room;
        r.sid = it->u.fan.sid;
        r.prev = it->u.fan.prev;
        r.msg = it->u.fan.msg;
        hm_rec_emit(rec, &r);
    }
    herd_outbox out;
    herd_outbox_clear(&out);
    int rc = herd_session_on_fanout(ss, &cfg->server, it->u.fan.room, it->u.fan.sid, it->u.fan.prev,
                                    it->u.fan.msg, w->now, &out);
    hm_drain_session(w, cfg, it->server, it->client, &out, rec);
    return fatal(w, rc);
}

static int apply_deliver(hm_world *w, const hm_config *cfg, uint32_t idx, hm_recorder *rec)
{
    assert(idx < w->n_items);
    hm_item it = w->items[idx];
    hm_item_remove(w, idx);
    switch (it.kind) {
    case HM_IT_C2S: return deliver_c2s(w, cfg, &it, rec);
    case HM_IT_S2C: return deliver_s2c(w, cfg, &it, rec);
    case HM_IT_SREQ: return deliver_sreq(w, cfg, &it, rec);
    case HM_IT_SRES: return deliver_sres(w, cfg, &it, rec);
    case HM_IT_FAN: return deliver_fan(w, cfg, &it, rec);
    default: w->violation = HM_P_INTERNAL; return HERD_EINVAL;
    }
}

/* Duplicate: the copy arrives right after the original, on the same connection. */
static void apply_dup(hm_world *w, uint32_t idx)
{
    hm_item copy = w->items[idx];
    if (w->n_items >= HM_ITEMS_MAX) {
        if (w->violation == HM_P_NONE) w->violation = HM_P_I7;
        return;
    }
    for (uint32_t i = 0; i < w->n_items; i++) {
        hm_item *it = &w->items[i];
        if (it->kind == copy.kind && it->client == copy.client && it->server == copy.server && it->pos > copy.pos)
            it->pos++;
    }
    copy.pos++;
    w->items[w->n_items++] = copy;
    hm_items_normalize(w);
}

static int apply_connect(hm_world *w, const hm_config *cfg, uint8_t c, uint8_t s, hm_recorder *rec)
{
    herd_client *cl = &w->client[c];
    w->pending[c] = 0;
    herd_session *ss = &w->sess[s][c];
    if (ss->state != HERD_SESSION_CLOSED) hm_conn_kill(w, cfg, c, s, ss->conn, HM_KILL_SILENT, 0, rec);
    rec_simple(rec, "open", "server:%u/client:%u", s, c, w->now, cl->conn, HERD_TF_CONN);
    herd_session_open(ss, cl->conn, w->now);
    w->sub[s][c] = 0;
    w->severed[s][c] = 0;
    memset(&w->rr[s][c], 0, sizeof w->rr[s][c]);
    w->cur_server[c] = s;
    w->last_server[c] = s;
    rec_simple(rec, "open", "client:%u", c, 0, w->now, cl->conn, HERD_TF_CONN);
    herd_outbox out;
    herd_outbox_clear(&out);
    int rc = herd_client_on_open(cl, &cfg->client, cl->conn, w->now, &out);
    hm_drain_client(w, cfg, c, &out, rec);
    return fatal(w, rc);
}

static int client_close_input(hm_world *w, const hm_config *cfg, uint8_t c, uint16_t code, hm_recorder *rec)
{
    herd_client *cl = &w->client[c];
    if (rec) {
        herd_trace_rec r;
        hm_rec_init(&r, HERD_TRACE_INPUT, "close", "client:%u", c, 0);
        r.has = HERD_TF_NOW | HERD_TF_CONN | HERD_TF_CODE | HERD_TF_RETRY;
        r.now = w->now;
        r.conn = cl->conn;
        r.code = code;
        hm_rec_emit(rec, &r);
    }
    herd_outbox out;
    herd_outbox_clear(&out);
    int rc = herd_client_on_close(cl, &cfg->client, cl->conn, code, 0, &w->rng[c], w->now, &out);
    hm_drain_client(w, cfg, c, &out, rec);
    return fatal(w, rc);
}

static int apply_timer(hm_world *w, const hm_config *cfg, uint8_t c, hm_recorder *rec)
{
    herd_client *cl = &w->client[c];
    if (cl->deadline > w->now) w->now = cl->deadline;
    rec_simple(rec, "timer", "client:%u", c, 0, w->now, 0, 0);
    herd_outbox out;
    herd_outbox_clear(&out);
    int rc = herd_client_on_timer(cl, &cfg->client, &w->rng[c], w->now, &out);
    hm_drain_client(w, cfg, c, &out, rec);
    return fatal(w, rc);
}

static int apply_publish(hm_world *w, const hm_config *cfg, uint8_t c, hm_recorder *rec)
{
    rec_simple(rec, "publish", "client:%u", c, 0, w->now, 0, 0);
    herd_outbox out;
    herd_outbox_clear(&out);
    herd_msg_id msg = 0;
    int rc = herd_client_publish(&w->client[c], &cfg->client, w->now, &out, &msg);
    hm_drain_client(w, cfg, c, &out, rec);
    return fatal(w, rc);
}

/* An ACK-first server sends the ACK and only then issues the write; the machines emit
 * both in one step, so the window between them is modelled here: a crash drops the
 * server's writes the store has not run yet (in the correct protocol they are kept: the
 * write went out before the ACK could, and the crash may fall after it). */
static void drop_writes(hm_world *w, uint8_t s)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        if (it->kind == HM_IT_SREQ && it->server == s && it->u.req.op != HERD_STORE_OP_READ) continue;
        w->items[k++] = *it;
    }
    for (uint32_t i = k; i < w->n_items; i++) memset(&w->items[i], 0, sizeof(hm_item));
    w->n_items = (uint16_t)k;
    hm_items_normalize(w);
}

static void apply_server_crash(hm_world *w, const hm_config *cfg, uint8_t s, hm_recorder *rec)
{
    rec_simple(rec, "crash", "server:%u", s, 0, w->now, 0, 0);
    for (uint8_t c = 0; c < cfg->clients; c++) {
        herd_session *ss = &w->sess[s][c];
        if (ss->state != HERD_SESSION_CLOSED) hm_conn_kill(w, cfg, c, s, ss->conn, HM_KILL_ABNORMAL, HERD_CLOSE_ABNORMAL, rec);
        if (w->cur_server[c] == s && w->pending[c] == 0 && w->client[c].state != HERD_CLIENT_BACKOFF) {
            /* the client's connection went with the server; the notice above tells it */
        }
    }
    herd_dedup *d = hm_world_local(w, cfg, s);
    if (d) herd_dedup_clear(d); /* the server-local cache dies with the process */
    if (cfg->proto.ack_mode == HERD_ACK_BEFORE_PERSIST) drop_writes(w, s);
    w->server_up[s] = 0;
}

static void apply_store_crash(hm_world *w, const hm_config *cfg, hm_recorder *rec)
{
    rec_simple(rec, "crash", "store", 0, 0, w->now, 0, 0);
    herd_store *st = hm_world_store(w);
    uint64_t durable = st->durable_lsn;
    herd_store_crash(st, w->now);
    hm_oracle_store_crash(w, cfg, durable);
}

static void apply_fsync(hm_world *w, hm_recorder *rec)
{
    herd_store *st = hm_world_store(w);
    if (herd_store_deadline(st) > w->now) w->now = herd_store_deadline(st);
    rec_simple(rec, "timer", "store", 0, 0, w->now, 0, 0);
    herd_store_on_timer(st, w->now);
}

static void apply_conn_fault(hm_world *w, const hm_config *cfg, uint8_t c, uint16_t code, hm_recorder *rec)
{
    uint8_t s = w->cur_server[c];
    assert(s != HM_NONE);
    int mode = code == HERD_CLOSE_ABNORMAL ? HM_KILL_ABNORMAL : HM_KILL_GRACEFUL;
    hm_conn_kill(w, cfg, c, s, w->client[c].conn, mode, code, rec);
}

int hm_world_apply(hm_world *w, const hm_config *cfg, hm_label l, hm_recorder *rec)
{
    w->violation = HM_P_NONE;
    w->variant = 0;
    w->variant_hit = 0;
    w->replies = 0;
    switch (l.kind) {
    case HM_T_PUBLISH: return apply_publish(w, cfg, l.a, rec);
    case HM_T_DELIVER: {
        /* l.b: a variant of what the step sends the client (eager mode, world.h) */
        uint32_t bound = cfg->s2c_eager_on && l.a < w->n_items ? hm_max_reply(w, &w->items[l.a]) : 0;
        w->variant = l.b;
        int rc = apply_deliver(w, cfg, l.a, rec);
        w->variant = 0;
        /* more replies than the variants were enumerated for would hide behaviours */
        if (w->replies > bound && cfg->s2c_eager_on) w->violation = HM_P_INTERNAL;
        if (l.b != 0 && rc == HERD_OK && !w->variant_hit && w->violation == HM_P_NONE) return HM_APPLY_NA;
        return rc;
    }
    case HM_T_KILL: /* the drop's obligation: paid when the reply was lost */
        hm_conn_kill(w, cfg, l.a, l.b, w->sess[l.b][l.a].conn, HM_KILL_ABNORMAL, HERD_CLOSE_ABNORMAL, rec);
        return HERD_OK;
    case HM_T_DROP: {
        const hm_item *it = &w->items[l.a];
        w->budget[HM_F_DROP]--;
        hm_conn_kill(w, cfg, it->client, it->server, it->conn, HM_KILL_ABNORMAL, HERD_CLOSE_ABNORMAL, rec);
        return HERD_OK;
    }
    case HM_T_DUP: /* the head frame arrives twice: delivered now, its copy left at the head */
        w->budget[HM_F_DUP]--;
        apply_dup(w, l.a);
        if (w->violation != HM_P_NONE) return HERD_OK;
        return apply_deliver(w, cfg, l.a, rec);
    case HM_T_CLOSE: w->budget[HM_F_CLOSE]--; apply_conn_fault(w, cfg, l.a, cfg->close_codes[l.b], rec); return HERD_OK;
    case HM_T_OFFLINE: w->budget[HM_F_OFFLINE]--; apply_conn_fault(w, cfg, l.a, HERD_CLOSE_ABNORMAL, rec); return HERD_OK;
    case HM_T_SERVER_CRASH:
        if (w->crashing[l.a]) w->crashing[l.a] = 0; /* an obligation: paid when a reply was lost */
        else w->budget[HM_F_SERVER_CRASH]--;
        apply_server_crash(w, cfg, l.a, rec);
        return HERD_OK;
    case HM_T_SERVER_RESTART:
        rec_simple(rec, "restart", "server:%u", l.a, 0, w->now, 0, 0);
        w->server_up[l.a] = 1;
        return HERD_OK;
    case HM_T_STORE_CRASH: w->budget[HM_F_STORE_CRASH]--; apply_store_crash(w, cfg, rec); return HERD_OK;
    case HM_T_FSYNC: apply_fsync(w, rec); return HERD_OK;
    case HM_T_CONNECT: return apply_connect(w, cfg, l.a, l.b, rec);
    case HM_T_REFUSE: w->pending[l.a] = 0; return client_close_input(w, cfg, l.a, HERD_CLOSE_ABNORMAL, rec);
    case HM_T_TIMER: return apply_timer(w, cfg, l.a, rec);
    case HM_T_TIME_JUMP: {
        herd_time window = cfg->store.dedup_window_us > cfg->local_window_us ? cfg->store.dedup_window_us
                                                                             : cfg->local_window_us;
        w->budget[HM_F_TIME_JUMP]--;
        w->now = herd_time_add(w->now, window + 1u);
        rec_simple(rec, "time_passes", "world", 0, 0, w->now, 0, 0);
        return HERD_OK;
    }
    default: w->violation = HM_P_INTERNAL; return HERD_EINVAL;
    }
}

/* ---- readable labels ---------------------------------------------------------------- */

static const char *item_desc(const hm_item *it, char *buf, size_t size)
{
    char a[40], b[40];
    switch (it->kind) {
    case HM_IT_C2S:
    case HM_IT_S2C:
        herd_trace_fmt_msg(it->u.frame.msg, a, sizeof a);
        herd_trace_fmt_sid(it->u.frame.sid, b, sizeof b);
        snprintf(buf, size, "%s client %u %s server %u (conn %u): %s msg %s sid %s code %u",
                 it->kind == HM_IT_C2S ? "frame" : "frame", it->client, it->kind == HM_IT_C2S ? "->" : "<-",
                 it->server, it->conn, herd_trace_frame_name(it->u.frame.type), a, b, it->u.frame.code);
        break;
    case HM_IT_SREQ:
        herd_trace_fmt_msg(it->u.req.msg, a, sizeof a);
        snprintf(buf, size, "store request from server %u/client %u: %s msg %s", it->server, it->client,
                 herd_trace_store_op_name(it->u.req.op), a);
        break;
    case HM_IT_SRES:
        herd_trace_fmt_msg(it->u.res.msg, a, sizeof a);
        herd_trace_fmt_sid(it->u.res.sid, b, sizeof b);
        snprintf(buf, size, "store result to server %u/client %u: %s msg %s sid %s", it->server,
                 it->client, herd_trace_store_op_name(it->u.res.op), a, b);
        break;
    default:
        herd_trace_fmt_msg(it->u.fan.msg, a, sizeof a);
        herd_trace_fmt_sid(it->u.fan.sid, b, sizeof b);
        snprintf(buf, size, "fan-out to server %u/client %u: msg %s sid %s", it->server, it->client, a, b);
        break;
    }
    return buf;
}

void hm_label_format(const hm_world *w, const hm_config *cfg, hm_label l, char *out, size_t size)
{
    char d[160];
    switch (l.kind) {
    case HM_T_PUBLISH: snprintf(out, size, "client %u publishes", l.a); break;
    case HM_T_DELIVER:
        if (l.b >= HM_V_DUP)
            snprintf(out, size, "deliver %s; the client gets frame %u of the reply TWICE", item_desc(&w->items[l.a], d, sizeof d),
                     l.b - HM_V_DUP + 1u);
        else if (l.b >= HM_V_SEVER)
            snprintf(out, size, "deliver %s; the reply is LOST after %u frame(s) (the connection will die)",
                     item_desc(&w->items[l.a], d, sizeof d), l.b - HM_V_SEVER);
        else
            snprintf(out, size, "deliver %s", item_desc(&w->items[l.a], d, sizeof d));
        break;
    case HM_T_KILL: snprintf(out, size, "DROP: client %u's connection to server %u dies", l.a, l.b); break;
    case HM_T_DROP: snprintf(out, size, "DROP (connection dies) %s", item_desc(&w->items[l.a], d, sizeof d)); break;
    case HM_T_DUP: snprintf(out, size, "DUPLICATED, deliver the first copy of %s", item_desc(&w->items[l.a], d, sizeof d)); break;
    case HM_T_CLOSE: snprintf(out, size, "CLOSE client %u's connection with %u", l.a, cfg->close_codes[l.b]); break;
    case HM_T_OFFLINE: snprintf(out, size, "client %u goes OFFLINE (connection dies)", l.a); break;
    case HM_T_SERVER_CRASH: snprintf(out, size, "server %u CRASHES", l.a); break;
    case HM_T_SERVER_RESTART: snprintf(out, size, "server %u restarts", l.a); break;
    case HM_T_STORE_CRASH: snprintf(out, size, "store CRASHES (%s)", herd_durability_name(cfg->store.durability)); break;
    case HM_T_FSYNC: snprintf(out, size, "store fsync timer"); break;
    case HM_T_CONNECT: snprintf(out, size, "load balancer sends client %u to server %u", l.a, l.b); break;
    case HM_T_REFUSE: snprintf(out, size, "client %u's connection refused (no server up)", l.a); break;
    case HM_T_TIMER: snprintf(out, size, "client %u's timer fires (%s)", l.a, herd_client_state_name(w->client[l.a].state)); break;
    case HM_T_TIME_JUMP: snprintf(out, size, "TIME PASSES beyond the dedup window"); break;
    default: snprintf(out, size, "?"); break;
    }
}
