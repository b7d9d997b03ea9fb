/* canon_decode.c — from a canonical encoding (canon.c) back to a world the machines can
 * run: the explorer's frontier holds encodings and decodes each state once to expand it.
 *
 * Reads the fields in exactly the order canon.c writes them. Constant fields (client ids
 * and rooms, the backoff base and tokens, the generators when cfg->attempts_free, the
 * store and dedup configurations) are not in an encoding: they stay as hm_world_init
 * left them in w. Abstracted fields get the representative value canon.c's abstraction
 * stands for: time 0 and ids (0, rank) with cfg->time_free, generation = rank, closed
 * sessions zeroed, statistics zero. The store's ring restarts at slot 0 and its dedup
 * index is rebuilt by inserting the records in log order: other bytes than the original,
 * the same behaviour (and the same encoding again). */
#include "canon.h"
#include "canon_internal.h"
#include "world_internal.h"

#include "error.h"

#include <string.h>

typedef struct rd {
    const unsigned char *p, *end;
    bool bad;
} rd;

static inline uint32_t r8(rd *r)
{
    if (r->p >= r->end) { r->bad = true; return 0; }
    return *r->p++;
}

static uint64_t rv(rd *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint32_t b = r8(r);
        v |= (uint64_t)(b & 0x7fu) << shift;
        if (!(b & 0x80u)) return v;
    }
    r->bad = true;
    return 0;
}

static herd_time rtime(rd *r, const hm_config *cfg)
{
    uint64_t v = cfg->time_free ? r8(r) : rv(r);
    if (v == 0) return HERD_TIME_NEVER;
    return cfg->time_free ? 0 : v - 1u;
}

static herd_sid rsid(rd *r, const hm_config *cfg)
{
    if (cfg->time_free) {
        uint32_t k = r8(r);
        return k == 0 ? HERD_SID_ZERO : (herd_sid){0, k};
    }
    herd_sid s;
    s.ms = rv(r);
    s.seq = rv(r);
    return s;
}

static herd_msg_id rmsg(rd *r)
{
    uint32_t b = r8(r);
    return b == 0 ? 0 : herd_msg_make(b >> 5, b & 31u);
}

static void dec_client(rd *r, hm_world *w, const hm_config *cfg, uint32_t c)
{
    herd_client *cl = &w->client[c];
    cl->last_seen = rsid(r, cfg);
    cl->deadline = rtime(r, cfg);
    if (!cfg->attempts_free) {
        cl->live_since = rv(r);
        cl->bo.base_us = (uint32_t)rv(r);
        cl->bo.prev_us = (uint32_t)rv(r);
        cl->bo.attempt = (uint16_t)rv(r);
        cl->bo.tokens = (uint16_t)rv(r);
        cl->last_timeout = (uint8_t)r8(r);
        for (int i = 0; i < 4; i++) w->rng[c].s[i] = rv(r);
    } else {
        cl->live_since = 0;
        cl->bo.prev_us = 0;
        cl->bo.attempt = 0;
        cl->last_timeout = 0;
    }
    cl->acked_bits = rv(r);
    cl->next_seq = (uint32_t)rv(r);
    cl->unacked_base = (uint32_t)rv(r);
    cl->sent_upto = cfg->proto.resend == HERD_RESEND_ON ? cl->next_seq : (uint32_t)rv(r);
    cl->conn = r8(r);
    cl->retry_after_ms = cfg->client.obey_retry_after ? (uint32_t)rv(r) : 0;
    cl->dup_ignored = 0;
    cl->gaps = 0;
    cl->state = (uint8_t)r8(r);
    w->cur_server[c] = (uint8_t)r8(r);
    w->last_server[c] = cfg->lb == HM_LB_STICKY && cfg->servers > 1 ? (uint8_t)r8(r) : HM_NONE;
    w->pending[c] = (uint8_t)r8(r);
}

static void dec_readslot(rd *r, const hm_config *cfg, hm_readslot *rr)
{
    memset(rr, 0, sizeof *rr);
    rr->full = (uint8_t)r8(r);
    if (!rr->full) return;
    rr->n = (uint8_t)r8(r);
    if (rr->n > HM_READ_MAX) { r->bad = true; return; }
    rr->err = (int16_t)(uint16_t)rv(r);
    rr->info.first = rsid(r, cfg);
    rr->info.top = rsid(r, cfg);
    rr->info.max_deleted = rsid(r, cfg);
    rr->info.gap = (uint8_t)r8(r);
    rr->info.more = (uint8_t)r8(r);
    for (uint32_t i = 0; i < rr->n; i++) {
        rr->e[i].sid = rsid(r, cfg);
        rr->e[i].msg = rmsg(r);
        rr->e[i].lsn = rv(r);
    }
}

static void dec_sessions(rd *r, hm_world *w, const hm_config *cfg, uint32_t c)
{
    for (uint32_t s = 0; s < cfg->servers; s++) {
        herd_session *ss = &w->sess[s][c];
        memset(ss, 0, sizeof *ss);
        ss->state = (uint8_t)r8(r);
        if (ss->state == HERD_SESSION_CLOSED) {
            w->sub[s][c] = 0;
            w->severed[s][c] = 0;
            memset(&w->rr[s][c], 0, sizeof w->rr[s][c]);
            continue;
        }
        uint32_t flags = r8(r);
        w->sub[s][c] = (uint8_t)(flags & 1u);
        w->severed[s][c] = (uint8_t)(flags >> 1 & 3u);
        ss->last_sent = rsid(r, cfg);
        ss->conn = r8(r);
        ss->inflight = (uint16_t)rv(r);
        ss->reading = (uint8_t)r8(r);
        ss->dirty = (uint8_t)r8(r);
        ss->room = (uint32_t)rv(r);
        ss->client = c; /* as RESUME set it; no machine reads it */
        dec_readslot(r, cfg, &w->rr[s][c]);
    }
}

static void dec_oracle(rd *r, hm_world *w, const hm_config *cfg, uint32_t c)
{
    w->delivered[c] = rv(r);
    w->gapped[c] = rv(r);
    w->last_deliv[c] = rsid(r, cfg);
    for (uint32_t k = 0; k < cfg->messages; k++) {
        uint32_t i = c * cfg->messages + k;
        if (r8(r)) w->acked |= 1ull << i;
        w->msg_sid[i] = rsid(r, cfg);
        w->msg_lsn[i] = rv(r);
    }
}

static void dec_item(rd *r, const hm_config *cfg, hm_item *it)
{
    memset(it, 0, sizeof *it);
    it->client = (uint8_t)r8(r);
    it->server = (uint8_t)r8(r);
    it->kind = (uint8_t)r8(r);
    it->pos = (uint8_t)r8(r);
    it->conn = r8(r);
    if (it->client >= cfg->clients || it->server >= cfg->servers) { r->bad = true; return; }
    switch (it->kind) {
    case HM_IT_C2S:
    case HM_IT_S2C: {
        herd_frame *f = &it->u.frame;
        f->type = (uint8_t)r8(r);
        f->code = (uint16_t)rv(r);
        f->client = r8(r);
        f->room = (uint32_t)rv(r);
        f->retry_after_ms = (uint32_t)rv(r);
        f->msg = rmsg(r);
        f->sid = rsid(r, cfg);
        f->prev = rsid(r, cfg);
        break;
    }
    case HM_IT_SREQ:
        it->u.req.op = (uint8_t)r8(r);
        it->u.req.limit = (uint16_t)rv(r);
        it->u.req.room = (uint32_t)rv(r);
        it->u.req.msg = rmsg(r);
        it->u.req.after = rsid(r, cfg);
        break;
    case HM_IT_SRES:
        it->u.res.op = (uint8_t)r8(r);
        it->u.res.status = (uint8_t)r8(r);
        it->u.res.durable = (uint8_t)r8(r);
        it->u.res.err = (int32_t)(uint32_t)rv(r);
        it->u.res.room = (uint32_t)rv(r);
        it->u.res.msg = rmsg(r);
        it->u.res.sid = rsid(r, cfg);
        it->u.res.prev = rsid(r, cfg);
        it->u.res.lsn = rv(r);
        break;
    case HM_IT_FAN:
        it->u.fan.sid = rsid(r, cfg);
        it->u.fan.prev = rsid(r, cfg);
        it->u.fan.msg = rmsg(r);
        it->u.fan.room = (uint32_t)rv(r);
        break;
    default: r->bad = true; break;
    }
}

static void dec_dedup(rd *r, const hm_config *cfg, herd_dedup *d)
{
    herd_dedup_clear(d);
    d->evicted = 0;
    uint64_t n = rv(r);
    if (n > d->capacity) { r->bad = true; return; }
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        herd_msg_id msg = rmsg(r);
        herd_sid sid = rsid(r, cfg);
        uint64_t lsn = rv(r);
        herd_time at = cfg->time_free ? 0 : rv(r);
        uint32_t room = (uint32_t)rv(r);
        if (herd_dedup_insert(d, msg, sid, room, lsn, at) != HERD_OK) r->bad = true;
    }
}

static void dec_store(rd *r, hm_world *w, const hm_config *cfg)
{
    herd_store *st = hm_world_store(w);
    st->next_lsn = rv(r);
    st->durable_lsn = rv(r);
    st->next_fsync = rtime(r, cfg);
    st->crashes = 0;
    st->lost_writes = 0;
    herd_store_stream *ss = (herd_store_stream *)(uintptr_t)herd_store_stream_info(st, 0);
    herd_entry *ring = hm_store_ring(st);
    if ((const unsigned char *)herd_store_dedup(st) != (const unsigned char *)(ring + st->cfg.maxlen)) {
        r->bad = true; /* store.c's layout changed: canon_internal.h must follow */
        return;
    }
    ss->top = rsid(r, cfg);
    ss->max_deleted = rsid(r, cfg);
    uint64_t len = rv(r);
    if (len > st->cfg.maxlen) { r->bad = true; return; }
    ss->head = 0;
    ss->len = (uint32_t)len;
    ss->added = len;
    memset(ring, 0, (size_t)st->cfg.maxlen * sizeof(herd_entry));
    for (uint32_t i = 0; i < len; i++) {
        ring[i].sid = rsid(r, cfg);
        ring[i].msg = rmsg(r);
        ring[i].lsn = rv(r);
    }
    dec_dedup(r, cfg, (herd_dedup *)(uintptr_t)herd_store_dedup(st));
    for (uint32_t s = 0; s < cfg->servers; s++) {
        herd_dedup *d = hm_world_local(w, cfg, s);
        if (d) dec_dedup(r, cfg, d);
    }
}

int hm_canon_decode(hm_world *w, const hm_config *cfg, const unsigned char *in, size_t len)
{
    rd r = {in, in + len, false};
    w->violation = HM_P_NONE;
    for (int f = 0; f < HM_F_COUNT; f++) w->budget[f] = (uint16_t)rv(&r);
    uint32_t up = r8(&r);
    for (uint32_t s = 0; s < cfg->servers; s++) {
        w->server_up[s] = (uint8_t)(up >> s & 1u);
        w->crashing[s] = (uint8_t)(up >> (4u + s) & 1u);
    }
    w->now = cfg->time_free ? 0 : rtime(&r, cfg);
    w->acked = 0;
    for (uint32_t c = 0; c < cfg->clients && !r.bad; c++) {
        dec_client(&r, w, cfg, c);
        dec_sessions(&r, w, cfg, c);
        dec_oracle(&r, w, cfg, c);
    }
    uint32_t n = r8(&r);
    if (n > HM_ITEMS_MAX) return -1;
    for (uint32_t i = 0; i < n && !r.bad; i++) dec_item(&r, cfg, &w->items[i]);
    if (n < w->n_items) memset(&w->items[n], 0, (w->n_items - n) * sizeof(hm_item));
    w->n_items = (uint16_t)n;
    if (!r.bad) dec_store(&r, w, cfg);
    if (r.bad || r.p != r.end) return -1;
    hm_items_normalize(w); /* fan-out ties: canon.c's record order, then the world's */
    return 0;
}
