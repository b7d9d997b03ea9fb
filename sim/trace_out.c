/* trace_out.c — the sampled trace of a run (see trace_out.h).
 *
 * Records follow the model checker's (model/world.c, model/world_apply.c): the same actor
 * names, input names and fields, so render draws either the same way. Each world event
 * that writes a record opens a new step; its inputs and effects share it. Every input
 * carries now_us. */
#include "trace_out.h"

#include "error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- selection ---- */

void herd_trace_sel_default(herd_trace_sel *s)
{
    *s = (herd_trace_sel){0};
    s->clients[0] = (herd_trace_range){0, HERD_TRACE_DEFAULT_CLIENTS};
    s->nclients = 1;
    s->max_records = HERD_TRACE_DEFAULT_RECORDS;
}

static bool parse_num(const char **p, uint32_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9') return false;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9') { /* at most 11 digits before the bound trips */
        v = v * 10u + (uint64_t)(*s++ - '0');
        if (v >= UINT32_MAX) return false;
    }
    *out = (uint32_t)v;
    *p = s;
    return true;
}

int herd_trace_ranges_add(herd_trace_range *list, uint32_t *n, const char *text)
{
    if (strcmp(text, "none") == 0) return 0;
    const char *p = text;
    for (;;) { /* one range per comma: at most HERD_TRACE_RANGES_MAX */
        while (*p == ' ') p++;
        uint32_t a, b;
        if (!parse_num(&p, &a)) return -1;
        b = a;
        if (*p == '-') {
            p++;
            if (!parse_num(&p, &b) || b < a) return -1;
        }
        while (*p == ' ') p++;
        if (*n >= HERD_TRACE_RANGES_MAX) return -1;
        list[(*n)++] = (herd_trace_range){a, b - a + 1};
        if (*p == '\0') return 0;
        if (*p++ != ',') return -1;
    }
}

void herd_trace_ranges_fmt(const herd_trace_range *list, uint32_t n, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    if (n == 0) snprintf(out, size, "none");
    for (uint32_t i = 0; i < n && k < size; i++) {
        const herd_trace_range *r = &list[i];
        int m = r->count == 1 ? snprintf(out + k, size - k, "%s%" PRIu32, i ? "," : "", r->first)
                              : snprintf(out + k, size - k, "%s%" PRIu32 "-%" PRIu32, i ? "," : "", r->first,
                                         r->first + r->count - 1);
        if (m < 0) break;
        k += (size_t)m;
    }
}

static bool in_ranges(const herd_trace_range *list, uint32_t n, uint32_t x)
{
    for (uint32_t i = 0; i < n; i++) /* at most HERD_TRACE_RANGES_MAX */
        if (x - list[i].first < list[i].count) return true;
    return false;
}

bool herd_trace_member(const herd_world *w, uint32_t client)
{
    const herd_sim_trace *t = w->trace;
    if (!t || t->full) return false;
    return in_ranges(t->sel.clients, t->sel.nclients, client) ||
           (t->sel.nrooms && in_ranges(t->sel.rooms, t->sel.nrooms, client % w->cfg.rooms));
}

/* The bounding range of the traced ids, clipped to the world. */
static void set_span(herd_world *w, const herd_trace_sel *s)
{
    uint64_t lo = UINT64_MAX, hi = 0, n = w->cfg.clients;
    if (s->nrooms) {
        lo = 0; /* a room's clients are spread over every id */
        hi = n;
    }
    for (uint32_t i = 0; i < s->nclients; i++) {
        uint64_t a = s->clients[i].first, b = a + s->clients[i].count;
        if (a < lo) lo = a;
        if (b > hi) hi = b;
    }
    if (hi > n) hi = n;
    w->trace_lo = lo < hi ? (uint32_t)lo : 0;
    w->trace_span = lo < hi ? (uint32_t)(hi - lo) : 0;
}

/* ---- writing ---- */

static void emit(herd_world *w, herd_trace_rec *r)
{
    herd_sim_trace *t = w->trace;
    if (!t || t->full || t->err) return;
    if (w->events != t->last_event || t->step == 0) {
        t->step++;
        t->last_event = w->events;
    }
    r->step = t->step;
    int rc = herd_trace_write_rec(t->f, r);
    if (rc != 0) t->err = rc;
    if (++t->records < t->sel.max_records) return;
    /* The cap: one last record says so, and every hook goes quiet (trace_span 0). */
    herd_trace_rec end = {.what = HERD_TRACE_STEP, .step = t->step, .has = HERD_TF_NOW | HERD_TF_TEXT, .now = w->now};
    snprintf(end.actor, sizeof end.actor, "world");
    snprintf(end.name, sizeof end.name, "truncated");
    snprintf(end.text, sizeof end.text, "trace.max_records (%" PRIu64 ") reached: nothing after this is traced",
             t->sel.max_records);
    rc = herd_trace_write_rec(t->f, &end);
    if (rc != 0 && !t->err) t->err = rc;
    t->full = true;
    w->trace_span = 0;
}

static void rec_init(herd_trace_rec *r, uint8_t what, const char *name, herd_time now)
{
    memset(r, 0, sizeof *r);
    r->what = what;
    snprintf(r->name, sizeof r->name, "%s", name);
    if (what == HERD_TRACE_INPUT) {
        r->has = HERD_TF_NOW;
        r->now = now;
    }
}

static void actor_client(herd_trace_rec *r, uint32_t id) { snprintf(r->actor, sizeof r->actor, "client:%" PRIu32, id); }

static const herd_sim_session *sess(const herd_world *w, uint32_t slot) { return herd_pool_at(&w->sessions, slot); }

static void actor_session(herd_trace_rec *r, const herd_world *w, uint32_t slot)
{
    const herd_sim_session *ss = sess(w, slot);
    snprintf(r->actor, sizeof r->actor, "server:%u/client:%" PRIu32, ss->server, ss->s.client);
}

/* Effects of the input just applied (the world's outbox), one record each. */
static void rec_effects(herd_world *w, void (*actor)(herd_trace_rec *, const herd_world *, uint32_t), uint32_t who)
{
    for (uint32_t i = 0; i < w->out.count; i++) { /* at most HERD_OUTBOX_MAX */
        const herd_effect *e = &w->out.fx[i];
        herd_trace_rec r;
        rec_init(&r, HERD_TRACE_EFFECT, herd_trace_effect_name(e->kind), w->now);
        actor(&r, w, who);
        herd_trace_rec_effect(&r, e);
        emit(w, &r);
    }
}

static void actor_client_w(herd_trace_rec *r, const herd_world *w, uint32_t id)
{
    (void)w;
    actor_client(r, id);
}

void herd_trace_client_effects(herd_world *w, uint32_t id) { rec_effects(w, actor_client_w, id); }
void herd_trace_session_effects(herd_world *w, uint32_t slot) { rec_effects(w, actor_session, slot); }

void herd_trace_client_input(herd_world *w, uint32_t id, const herd_event *ev)
{
    herd_trace_rec r;
    switch (ev->kind & 0xffu) {
    case HERD_EV_CLIENT_START: rec_init(&r, HERD_TRACE_INPUT, "start", w->now); break;
    case HERD_EV_CLIENT_TIMER: rec_init(&r, HERD_TRACE_INPUT, "timer", w->now); break;
    case HERD_EV_CLIENT_OPEN:
        rec_init(&r, HERD_TRACE_INPUT, "open", w->now);
        r.has |= HERD_TF_CONN;
        r.conn = (uint32_t)ev->arg;
        break;
    case HERD_EV_CLIENT_CLOSE: /* the connection died: a notice with its code */
        rec_init(&r, HERD_TRACE_INPUT, "close", w->now);
        r.has |= HERD_TF_CONN | HERD_TF_CODE | HERD_TF_RETRY;
        r.conn = (uint32_t)ev->arg;
        r.code = (uint16_t)(ev->arg >> 32);
        r.retry_after_ms = (uint32_t)(ev->arg >> 48);
        break;
    case HERD_EV_CLIENT_FRAME: {
        const herd_frame_parcel *p = herd_pool_at(&w->frames, (uint32_t)ev->arg);
        rec_init(&r, HERD_TRACE_INPUT, "frame", w->now);
        herd_trace_rec_frame(&r, &p->f);
        r.has |= HERD_TF_CONN;
        r.conn = p->gen;
        break;
    }
    default: return;
    }
    actor_client(&r, id);
    emit(w, &r);
}

void herd_trace_publish(herd_world *w, uint32_t id)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, "publish", w->now);
    actor_client(&r, id);
    emit(w, &r);
}

void herd_trace_session_open(herd_world *w, uint32_t slot)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, "open", w->now);
    actor_session(&r, w, slot);
    r.has |= HERD_TF_CONN;
    r.conn = sess(w, slot)->s.conn;
    emit(w, &r);
}

void herd_trace_session_frame(herd_world *w, uint32_t slot, const herd_frame *f)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, "frame", w->now);
    actor_session(&r, w, slot);
    herd_trace_rec_frame(&r, f);
    r.has |= HERD_TF_CONN;
    r.conn = sess(w, slot)->s.conn;
    emit(w, &r);
}

void herd_trace_session_store_result(herd_world *w, uint32_t slot, const herd_store_result *res)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, "store_result", w->now);
    actor_session(&r, w, slot);
    r.has |= HERD_TF_CONN | HERD_TF_OP | (res->op == HERD_STORE_OP_READ ? 0 : HERD_TF_MSG);
    r.conn = sess(w, slot)->s.conn;
    r.op = res->op;
    r.msg = res->msg;
    if (res->err != HERD_OK) {
        r.has |= HERD_TF_TEXT;
        snprintf(r.text, sizeof r.text, "%s", herd_strerror(res->err));
    }
    emit(w, &r);
}

void herd_trace_session_fanout(herd_world *w, uint32_t slot, const herd_frame *f)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, "fanout", w->now);
    actor_session(&r, w, slot);
    r.has |= HERD_TF_CONN | HERD_TF_ROOM | HERD_TF_SID | HERD_TF_PREV | HERD_TF_MSG;
    r.conn = sess(w, slot)->s.conn;
    r.room = f->room;
    r.sid = f->sid;
    r.prev = f->prev;
    r.msg = f->msg;
    emit(w, &r);
}

void herd_trace_session_close(herd_world *w, uint32_t slot)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, "session_close", w->now);
    actor_session(&r, w, slot);
    r.has |= HERD_TF_CONN;
    r.conn = sess(w, slot)->s.conn;
    emit(w, &r);
}

void herd_trace_store_execute(herd_world *w, uint32_t slot, const herd_store_req *req)
{
    const herd_sim_session *ss = sess(w, slot);
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, "execute", w->now);
    snprintf(r.actor, sizeof r.actor, "store/server:%u/client:%" PRIu32, ss->server, ss->s.client);
    r.has |= HERD_TF_CONN | HERD_TF_OP | HERD_TF_ROOM;
    r.conn = ss->s.conn;
    r.op = req->op;
    r.room = req->room;
    if (req->op == HERD_STORE_OP_READ) {
        r.has |= HERD_TF_AFTER | HERD_TF_LIMIT;
        r.after = req->after;
        r.limit = req->limit;
    } else {
        r.has |= HERD_TF_MSG;
        r.msg = req->msg;
    }
    emit(w, &r);
}

void herd_trace_server(herd_world *w, uint32_t server, bool up)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_INPUT, up ? "restart" : "crash", w->now);
    snprintf(r.actor, sizeof r.actor, "server:%" PRIu32, server);
    emit(w, &r);
}

void herd_trace_fault(herd_world *w, uint32_t index, uint64_t arg)
{
    const herd_fault *f = &w->cfg.faults[index];
    uint64_t phase = arg & 0xffu;
    bool staged = f->kind == HERD_FAULT_GRACEFUL || f->kind == HERD_FAULT_ROLLING;
    static const char *const stages[] = {"drains", "stops", "starts again"};
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_STEP, "fault", w->now);
    snprintf(r.actor, sizeof r.actor, "world");
    r.has = HERD_TF_NOW | HERD_TF_TEXT;
    r.now = w->now;
    if (staged)
        snprintf(r.text, sizeof r.text, "fault %" PRIu32 " (%s): server %" PRIu64 " %s", index,
                 herd_fault_kind_name(f->kind), arg >> 8, stages[phase < 3 ? phase : 2]);
    else if (f->kind == HERD_FAULT_CHURN && phase >= 2) /* faults.c: phase | client << 8 | period << 40 */
        snprintf(r.text, sizeof r.text, "fault %" PRIu32 " (churn): client %" PRIu64 " %s (period %" PRIu64 ")",
                 index, (arg >> 8) & 0xffffffffu, phase == 2 ? "goes offline" : "is back online", arg >> 40);
    else
        snprintf(r.text, sizeof r.text, "fault %" PRIu32 " (%s) %s", index, herd_fault_kind_name(f->kind),
                 phase == 0 ? "strikes" : "heals");
    emit(w, &r);
}

void herd_trace_violation(herd_world *w, const char *text)
{
    herd_trace_rec r;
    rec_init(&r, HERD_TRACE_STEP, "violation", w->now);
    snprintf(r.actor, sizeof r.actor, "world");
    r.has = HERD_TF_NOW | HERD_TF_TEXT;
    r.now = w->now;
    snprintf(r.text, sizeof r.text, "%s", text);
    emit(w, &r);
}

/* ---- open and close ---- */

static void header(herd_trace_header *h, const herd_world *w, const herd_trace_sel *s, const char *scenario)
{
    const herd_world_config *c = &w->cfg;
    char buf[HERD_TRACE_VALUE_MAX];
    herd_trace_header_init(h, "sim");
    herd_trace_header_str(h, "scenario", scenario ? scenario : "");
    herd_trace_header_u64(h, "seed", c->seed);
    herd_trace_header_u64(h, "clients", c->clients);
    herd_trace_header_u64(h, "servers", c->servers);
    herd_trace_header_u64(h, "rooms", c->rooms);
    herd_trace_header_machines(h, &c->client, &c->server, &c->store);
    herd_trace_header_u64(h, "duration_us", c->duration_us);
    herd_trace_ranges_fmt(s->clients, s->nclients, buf, sizeof buf);
    herd_trace_header_str(h, "traced_clients", buf);
    herd_trace_ranges_fmt(s->rooms, s->nrooms, buf, sizeof buf);
    herd_trace_header_str(h, "traced_rooms", buf);
    herd_trace_header_u64(h, "max_records", s->max_records);
}

int herd_sim_trace_open(herd_sim_trace *t, herd_world *w, const herd_trace_sel *sel, const char *path,
                        const char *scenario)
{
    *t = (herd_sim_trace){.sel = *sel};
    if (t->sel.max_records == 0) t->sel.max_records = HERD_TRACE_DEFAULT_RECORDS;
    t->f = herd_afile_open(&t->af, path);
    if (!t->f) return -errno;
    herd_trace_header h;
    header(&h, w, &t->sel, scenario);
    int rc = herd_trace_write_header(t->f, &h);
    if (rc != 0) {
        herd_afile_abort(&t->af);
        t->f = NULL;
        return rc;
    }
    w->trace = t;
    set_span(w, &t->sel);
    return 0;
}

int herd_sim_trace_close(herd_sim_trace *t, herd_world *w, bool keep)
{
    if (w && w->trace == t) {
        w->trace = NULL;
        w->trace_span = 0;
    }
    if (!t->f) return 0;
    t->f = NULL;
    if (!keep || t->err) {
        herd_afile_abort(&t->af);
        return keep ? t->err : 0;
    }
    return herd_afile_commit(&t->af);
}
