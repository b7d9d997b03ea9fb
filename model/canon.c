/* canon.c — canonical encodings of worlds: what the visited set hashes and what the
 * frontier stores (a few hundred bytes instead of a 7 KiB world), and the decoder back.
 *
 * An encoding lists, field by field, exactly what can change what happens next, after
 * these abstractions (each sound: the abstract value behaves like every concrete value
 * it stands for; docs/model-checking.md gives the argument for each):
 *  - dead state is dropped: a closed session keeps only "closed" (its fields, its read
 *    slot and its subscription are never read again before herd_session_open rewrites
 *    them); statistics no machine reads (client dup_ignored and gaps, store crashes and
 *    lost_writes and entries-added, dedup evicted) are left out; sent_upto when every
 *    unACKed message is resent anyway; retry_after_ms when the client ignores hints;
 *    the last server of a client when the LB has no choice to make (one server, or LB any);
 *    expired dedup records;
 *  - connection generations (compared only for equality, always growing) become their
 *    rank among the generations of the same client still referenced;
 *  - with cfg->attempts_free, the backoff's attempt counter, tokens, generator and
 *    live_since are left out (a fixed delay reads none of them);
 *  - with cfg->time_free, the clock is left out (a timer is due or not), and stream ids,
 *    which are only ever compared, become their rank among the ids in the world; the
 *    store's next id is then (0, top rank + 1), above all of them, as the real next id is.
 * Items are written as records sorted bytewise (the in-flight multiset, order-free), and
 * message ids as one byte (client << 5 | seq).
 *
 * Symmetry: clients are identical up to their id, which appears in message ids, in
 * RESUME frames, in item and session slots and in the oracle's bitmaps. Each client gets
 * a key packed from fields no renaming changes (state, counters, ranks); clients are
 * ordered by key, only renamings within groups of equal keys are tried, and the smallest
 * encoding among them is the canonical one. A renamed world has the same keys and the
 * same candidate encodings, so every member of an orbit gets the same encoding. */
#include "canon.h"
#include "canon_internal.h"
#include "fphash.h"

#include <assert.h>
#include <string.h>
#include <xxhash.h>

#define SIDS_MAX 512   /* ids referenced by one world, counting repeats */
#define CONNS_MAX 48   /* connection generations referenced per client */
#define REC_MAX 64     /* one item record */

typedef struct perm {
    uint8_t to[HM_CLIENTS_MAX];   /* old client -> new client */
    uint8_t from[HM_CLIENTS_MAX]; /* new client -> old client */
} perm;

/* The value maps of one world: sorted distinct ids (time_free) and generations. */
#define SMALL 256 /* ids (0, seq < SMALL) and generations < SMALL: ranked by table */

typedef struct vmap {
    const hm_config *cfg;
    const perm *p;
    bool small;          /* every id gathered so far is (0, seq < SMALL) */
    uint8_t seen[SMALL]; /* small ids: seq present */
    uint8_t rank[SMALL]; /* small ids: seq -> rank */
    uint32_t hi;         /* largest small seq seen */
    uint32_t n_sid;
    herd_sid sid[SIDS_MAX];
    uint32_t n_conn[HM_CLIENTS_MAX];
    uint32_t conn[HM_CLIENTS_MAX][CONNS_MAX];
} vmap;

typedef struct wr {
    unsigned char *p, *end;
} wr;

/* ---- writing and reading primitives -------------------------------------------------- */

static inline void w8(wr *o, uint32_t v)
{
    assert(o->p < o->end && v < 256u);
    *o->p++ = (unsigned char)v;
}

static void wv(wr *o, uint64_t v) /* LEB128 */
{
    for (int i = 0; i < 10 && v >= 0x80u; i++, v >>= 7) w8(o, (uint32_t)(v & 0x7fu) | 0x80u);
    w8(o, (uint32_t)v);
}

/* Times: with time_free only "armed or not" (an armed timer may fire at any moment);
 * otherwise the value, NEVER as 0. */
static void wtime(wr *o, const vmap *m, herd_time t)
{
    if (m->cfg->time_free) w8(o, t != HERD_TIME_NEVER);
    else wv(o, t == HERD_TIME_NEVER ? 0 : t + 1u);
}

static uint32_t sid_rank(const vmap *m, herd_sid s)
{
    if (herd_sid_is_zero(s)) return 0;
    if (m->small) return m->rank[s.seq];
    uint32_t lo = 0, hi = m->n_sid;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2u;
        if (herd_sid_cmp(m->sid[mid], s) < 0) lo = mid + 1u;
        else hi = mid;
    }
    assert(lo < m->n_sid && herd_sid_eq(m->sid[lo], s));
    return lo + 1u;
}

/* An id, read through a pointer as two scalars (see sid_add), the common case (time_free,
 * small ids: a table lookup) inline. */
static inline __attribute__((always_inline)) void wsid(wr *o, const vmap *m, const herd_sid *id)
{
    uint64_t ms = id->ms, seq = id->seq;
    if (m->cfg->time_free) {
        if ((ms | seq) == 0) w8(o, 0);
        else if (m->small) w8(o, m->rank[seq]);
        else w8(o, sid_rank(m, (herd_sid){ms, seq}));
        return;
    }
    wv(o, ms);
    wv(o, seq);
}

/* A message id as one byte: renamed client << 5 | seq (seq <= HM_MSGS_MAX + 1). */
static void wmsg(wr *o, const vmap *m, herd_msg_id msg)
{
    if (msg == 0) { w8(o, 0); return; }
    uint32_t c = herd_msg_client(msg), seq = herd_msg_seq(msg);
    assert(c < m->cfg->clients && seq >= 1 && seq < 32);
    w8(o, (uint32_t)m->p->to[c] << 5 | seq);
}

static uint32_t conn_rank(const vmap *m, uint32_t client, uint32_t conn)
{
    for (uint32_t i = 0; i < m->n_conn[client]; i++)
        if (m->conn[client][i] == conn) return i + 1u;
    assert(!"connection generation not gathered");
    return 0;
}

/* ---- gathering the values to rank ---------------------------------------------------- */

static void sid_add_large(vmap *m, herd_sid s);

/* An id is read through a pointer as two scalars: passed as one 16-byte struct, GCC
 * spilled and reloaded it (a failed store-to-load forward), which perf showed as most of
 * this function's time (12 % of the checker's). */
static inline void sid_add(vmap *m, const herd_sid *id)
{
    uint64_t ms = id->ms, seq = id->seq;
    if ((ms | seq) == 0) return;
    if (m->small && ms == 0 && seq < SMALL) {
        m->seen[seq] = 1;
        if (seq > m->hi) m->hi = (uint32_t)seq;
        return;
    }
    sid_add_large(m, (herd_sid){ms, seq});
}

static void sid_add_large(vmap *m, herd_sid s)
{
    if (m->small) { /* the first large id: move the small ones to the sorted array */
        m->small = false;
        for (uint32_t q = 1; q <= m->hi; q++)
            if (m->seen[q]) { m->sid[m->n_sid++] = (herd_sid){0, q}; m->seen[q] = 0; }
    }
    uint32_t lo = 0, hi = m->n_sid;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2u;
        if (herd_sid_cmp(m->sid[mid], s) < 0) lo = mid + 1u;
        else hi = mid;
    }
    if (lo < m->n_sid && herd_sid_eq(m->sid[lo], s)) return;
    assert(m->n_sid < SIDS_MAX);
    memmove(&m->sid[lo + 1], &m->sid[lo], (m->n_sid - lo) * sizeof(herd_sid));
    m->sid[lo] = s;
    m->n_sid++;
}

static void conn_add(vmap *m, uint32_t c, uint32_t conn)
{
    uint32_t n = m->n_conn[c], i = n;
    for (uint32_t k = 0; k < n; k++)
        if (m->conn[c][k] == conn) return;
    assert(n < CONNS_MAX);
    while (i > 0 && m->conn[c][i - 1] > conn) { m->conn[c][i] = m->conn[c][i - 1]; i--; }
    m->conn[c][i] = conn;
    m->n_conn[c] = n + 1u;
}

static bool dedup_live(const herd_dedup *d, const herd_dedup_record *r, herd_time now)
{
    return d->window_us == 0 || herd_time_add(r->inserted_us, d->window_us) > now;
}

static void gather_dedup(vmap *m, const herd_dedup *d)
{
    for (uint32_t i = 0; i < d->count; i++) sid_add(m, &hm_dedup_ring(d)[(d->head + i) % d->capacity].sid);
}

static void gather_item(vmap *m, const hm_item *it)
{
    conn_add(m, it->client, it->conn);
    if (!m->cfg->time_free) return;
    switch (it->kind) {
    case HM_IT_C2S:
    case HM_IT_S2C: sid_add(m, &it->u.frame.sid); sid_add(m, &it->u.frame.prev); break;
    case HM_IT_SREQ: sid_add(m, &it->u.req.after); break;
    case HM_IT_SRES: sid_add(m, &it->u.res.sid); sid_add(m, &it->u.res.prev); break;
    default: sid_add(m, &it->u.fan.sid); sid_add(m, &it->u.fan.prev); break;
    }
}

static void gather_sessions(vmap *m, const hm_world *w, uint32_t c)
{
    for (uint32_t s = 0; s < m->cfg->servers; s++) {
        const herd_session *ss = &w->sess[s][c];
        if (ss->state == HERD_SESSION_CLOSED) continue;
        conn_add(m, c, ss->conn);
        if (!m->cfg->time_free) continue;
        sid_add(m, &ss->last_sent);
        const hm_readslot *rr = &w->rr[s][c];
        if (!rr->full) continue;
        sid_add(m, &rr->info.first);
        sid_add(m, &rr->info.top);
        sid_add(m, &rr->info.max_deleted);
        for (uint32_t i = 0; i < rr->n; i++) sid_add(m, &rr->e[i].sid);
    }
}

/* Ranks of the small ids: seq -> 1 + number of smaller ids present. */
static void rank_small(vmap *m)
{
    uint32_t r = 0;
    for (uint32_t q = 1; q <= m->hi; q++) {
        if (!m->seen[q]) continue;
        m->rank[q] = (uint8_t)++r;
        m->seen[q] = 0; /* ready for the next world */
    }
}

static void gather(vmap *m, const hm_world *w, const hm_config *cfg)
{
    m->cfg = cfg;
    m->n_sid = 0;
    m->small = true;
    m->hi = 0;
    for (uint32_t c = 0; c < cfg->clients; c++) {
        m->n_conn[c] = 0;
        conn_add(m, c, w->client[c].conn);
        gather_sessions(m, w, c);
        if (!cfg->time_free) continue;
        sid_add(m, &w->client[c].last_seen);
        sid_add(m, &w->last_deliv[c]);
    }
    for (uint32_t i = 0; i < w->n_items; i++) gather_item(m, &w->items[i]);
    if (!cfg->time_free) return;
    for (uint32_t k = 0; k < cfg->clients * cfg->messages; k++) sid_add(m, &w->msg_sid[k]);
    const herd_store *st = hm_world_store_c(w);
    const herd_store_stream *ss = herd_store_stream_info(st, 0);
    sid_add(m, &ss->top);
    sid_add(m, &ss->max_deleted);
    for (uint32_t i = 0; i < ss->len; i++) sid_add(m, &hm_store_entry(st, i)->sid);
    gather_dedup(m, herd_store_dedup(st));
    for (uint32_t s = 0; s < cfg->servers; s++) {
        const herd_dedup *d = hm_world_local_c(w, cfg, s);
        if (d) gather_dedup(m, d);
    }
    if (m->small) rank_small(m);
}

/* ---- encoding ------------------------------------------------------------------------ */

static bool last_server_matters(const hm_config *cfg) { return cfg->lb == HM_LB_STICKY && cfg->servers > 1; }

static void enc_client(wr *o, const vmap *m, const hm_world *w, uint32_t c)
{
    const hm_config *cfg = m->cfg;
    const herd_client *cl = &w->client[c];
    wsid(o, m, &cl->last_seen);
    wtime(o, m, cl->deadline);
    if (!cfg->attempts_free) {
        wv(o, cl->live_since);
        wv(o, cl->bo.base_us);
        wv(o, cl->bo.prev_us);
        wv(o, cl->bo.attempt);
        wv(o, cl->bo.tokens);
        w8(o, cl->last_timeout);
        for (int i = 0; i < 4; i++) wv(o, w->rng[c].s[i]);
    }
    wv(o, cl->acked_bits);
    wv(o, cl->next_seq);
    wv(o, cl->unacked_base);
    if (cfg->proto.resend != HERD_RESEND_ON) wv(o, cl->sent_upto);
    w8(o, conn_rank(m, c, cl->conn));
    if (cfg->client.obey_retry_after) wv(o, cl->retry_after_ms);
    w8(o, cl->state);
    w8(o, w->cur_server[c]);
    if (last_server_matters(cfg)) w8(o, w->last_server[c]);
    w8(o, w->pending[c]);
}

static void enc_readslot(wr *o, const vmap *m, const hm_readslot *rr)
{
    w8(o, rr->full);
    if (!rr->full) return;
    w8(o, rr->n);
    wv(o, (uint16_t)rr->err);
    wsid(o, m, &rr->info.first);
    wsid(o, m, &rr->info.top);
    wsid(o, m, &rr->info.max_deleted);
    w8(o, rr->info.gap);
    w8(o, rr->info.more);
    for (uint32_t i = 0; i < rr->n; i++) {
        wsid(o, m, &rr->e[i].sid);
        wmsg(o, m, rr->e[i].msg);
        wv(o, rr->e[i].lsn);
    }
}

static void enc_sessions(wr *o, const vmap *m, const hm_world *w, uint32_t c)
{
    for (uint32_t s = 0; s < m->cfg->servers; s++) {
        const herd_session *ss = &w->sess[s][c];
        w8(o, ss->state);
        if (ss->state == HERD_SESSION_CLOSED) continue;
        w8(o, w->sub[s][c] | w->severed[s][c] << 1);
        wsid(o, m, &ss->last_sent);
        w8(o, conn_rank(m, c, ss->conn));
        wv(o, ss->inflight);
        w8(o, ss->reading);
        w8(o, ss->dirty);
        wv(o, ss->room);
        enc_readslot(o, m, &w->rr[s][c]);
    }
}

static uint64_t map_bits(const vmap *m, uint64_t bits)
{
    const hm_config *cfg = m->cfg;
    uint64_t out = 0, mask = (1ull << cfg->messages) - 1u;
    for (uint32_t c = 0; c < cfg->clients; c++)
        out |= ((bits >> (c * cfg->messages)) & mask) << (m->p->to[c] * cfg->messages);
    return out;
}

static void enc_oracle(wr *o, const vmap *m, const hm_world *w, uint32_t c)
{
    const hm_config *cfg = m->cfg;
    wv(o, map_bits(m, w->delivered[c]));
    wv(o, map_bits(m, w->gapped[c]));
    wsid(o, m, &w->last_deliv[c]);
    for (uint32_t k = 0; k < cfg->messages; k++) { /* the messages this client sent */
        uint32_t i = c * cfg->messages + k;
        w8(o, (uint32_t)(w->acked >> i & 1u));
        wsid(o, m, &w->msg_sid[i]);
        wv(o, w->msg_lsn[i]);
    }
}

/* Everything of client c (old numbering). */
static void enc_client_part(wr *o, const vmap *m, const hm_world *w, uint32_t c)
{
    enc_client(o, m, w, c);
    enc_sessions(o, m, w, c);
    enc_oracle(o, m, w, c);
}

static size_t enc_item(unsigned char *buf, const vmap *m, const hm_item *it)
{
    wr o = {buf, buf + REC_MAX};
    w8(&o, m->p->to[it->client]);
    w8(&o, it->server);
    w8(&o, it->kind);
    w8(&o, it->pos);
    w8(&o, conn_rank(m, it->client, it->conn));
    switch (it->kind) {
    case HM_IT_C2S:
    case HM_IT_S2C: {
        const herd_frame *f = &it->u.frame;
        w8(&o, f->type);
        wv(&o, f->code);
        w8(&o, f->type == HERD_FRAME_RESUME ? m->p->to[f->client] : f->client);
        wv(&o, f->room);
        wv(&o, f->retry_after_ms);
        wmsg(&o, m, f->msg);
        wsid(&o, m, &f->sid);
        wsid(&o, m, &f->prev);
        break;
    }
    case HM_IT_SREQ:
        w8(&o, it->u.req.op);
        wv(&o, it->u.req.limit);
        wv(&o, it->u.req.room);
        wmsg(&o, m, it->u.req.msg);
        wsid(&o, m, &it->u.req.after);
        break;
    case HM_IT_SRES:
        w8(&o, it->u.res.op);
        w8(&o, it->u.res.status);
        w8(&o, it->u.res.durable);
        wv(&o, (uint32_t)it->u.res.err);
        wv(&o, it->u.res.room);
        wmsg(&o, m, it->u.res.msg);
        wsid(&o, m, &it->u.res.sid);
        wsid(&o, m, &it->u.res.prev);
        wv(&o, it->u.res.lsn);
        break;
    default:
        wsid(&o, m, &it->u.fan.sid);
        wsid(&o, m, &it->u.fan.prev);
        wmsg(&o, m, it->u.fan.msg);
        wv(&o, it->u.fan.room);
        break;
    }
    return (size_t)(o.p - buf);
}

static int rec_cmp(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la < lb ? -1 : la > lb);
}

/* Items as records sorted bytewise: renamed, then ordered as a multiset. */
static void enc_items(wr *o, const vmap *m, const hm_world *w)
{
    unsigned char rec[HM_ITEMS_MAX][REC_MAX];
    size_t len[HM_ITEMS_MAX];
    uint32_t order[HM_ITEMS_MAX];
    uint32_t n = w->n_items;
    for (uint32_t i = 0; i < n; i++) {
        len[i] = enc_item(rec[i], m, &w->items[i]);
        uint32_t j = i;
        while (j > 0 && rec_cmp(rec[order[j - 1]], len[order[j - 1]], rec[i], len[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    w8(o, n);
    for (uint32_t i = 0; i < n; i++) {
        assert(o->p + len[order[i]] <= o->end);
        memcpy(o->p, rec[order[i]], len[order[i]]);
        o->p += len[order[i]];
    }
}

static void enc_dedup(wr *o, const vmap *m, const herd_dedup *d, herd_time now)
{
    const herd_dedup_record *ring = hm_dedup_ring(d);
    uint32_t skip = 0;
    while (skip < d->count && !dedup_live(d, &ring[(d->head + skip) % d->capacity], now)) skip++;
    wv(o, d->count - skip);
    for (uint32_t i = skip; i < d->count; i++) {
        const herd_dedup_record *r = &ring[(d->head + i) % d->capacity];
        wmsg(o, m, r->msg);
        wsid(o, m, &r->sid);
        wv(o, r->lsn);
        if (!m->cfg->time_free) wv(o, r->inserted_us);
        wv(o, r->room);
    }
}

static void enc_store(wr *o, const vmap *m, const hm_world *w)
{
    const hm_config *cfg = m->cfg;
    const herd_store *st = hm_world_store_c(w);
    wv(o, st->next_lsn);
    wv(o, st->durable_lsn);
    wtime(o, m, st->next_fsync);
    const herd_store_stream *ss = herd_store_stream_info(st, 0);
    wsid(o, m, &ss->top);
    wsid(o, m, &ss->max_deleted);
    wv(o, ss->len);
    for (uint32_t i = 0; i < ss->len; i++) {
        const herd_entry *e = hm_store_entry(st, i);
        wsid(o, m, &e->sid);
        wmsg(o, m, e->msg);
        wv(o, e->lsn);
    }
    enc_dedup(o, m, herd_store_dedup(st), w->now);
    for (uint32_t s = 0; s < cfg->servers; s++) {
        const herd_dedup *d = hm_world_local_c(w, cfg, s);
        if (d) enc_dedup(o, m, d, w->now);
    }
}

static size_t encode(unsigned char *out, vmap *m, const hm_world *w, const perm *p)
{
    const hm_config *cfg = m->cfg;
    wr o = {out, out + HM_ENC_MAX};
    m->p = p;
    for (int f = 0; f < HM_F_COUNT; f++) wv(&o, w->budget[f]);
    uint32_t up = 0;
    for (uint32_t s = 0; s < cfg->servers && s < HM_SERVERS_MAX; s++)
        up |= (uint32_t)(w->server_up[s] != 0) << s | (uint32_t)(w->crashing[s] != 0) << (4u + s);
    w8(&o, up);
    if (!cfg->time_free) wtime(&o, m, w->now);
    for (uint32_t j = 0; j < cfg->clients; j++) enc_client_part(&o, m, w, p->from[j]);
    enc_items(&o, m, w);
    enc_store(&o, m, w);
    return (size_t)(o.p - out);
}

/* ---- symmetry: candidate renamings --------------------------------------------------- */

static uint32_t all_perms(uint32_t n, perm *out)
{
    uint8_t a[HM_CLIENTS_MAX] = {0, 1, 2, 3};
    uint32_t k = 0;
    for (;;) {
        for (uint32_t i = 0; i < n; i++) { out[k].from[i] = a[i]; out[k].to[a[i]] = (uint8_t)i; }
        k++;
        int i = (int)n - 2;
        while (i >= 0 && a[i] > a[i + 1]) i--;
        if (i < 0) return k;
        int j = (int)n - 1;
        while (a[j] < a[i]) j--;
        uint8_t t = a[i]; a[i] = a[j]; a[j] = t;
        for (int l = i + 1, r = (int)n - 1; l < r; l++, r--) { t = a[l]; a[l] = a[r]; a[r] = t; }
    }
}

/* A client's key: fields of its own part that no renaming changes, packed. Equal keys
 * only mean "try both orders"; any renaming-invariant choice of fields is sound. */
static uint64_t client_key(const vmap *m, const hm_world *w, uint32_t c)
{
    const herd_client *cl = &w->client[c];
    const hm_config *cfg = m->cfg;
    uint64_t k = cl->state;
    k = k << 4 | (cl->next_seq & 15u);
    k = k << 4 | (cl->unacked_base & 15u);
    k = k << 4 | (cl->acked_bits & 15u);
    k = k << 4 | (conn_rank(m, c, cl->conn) & 15u);
    k = k << 1 | (cl->deadline != HERD_TIME_NEVER);
    k = k << 2 | (w->pending[c] & 1u) << 1 | (w->cur_server[c] != HM_NONE);
    k = k << 4 | (uint64_t)(__builtin_popcountll(w->delivered[c]) & 15);
    if (cfg->time_free) k = k << 8 | (sid_rank(m, cl->last_seen) & 255u);
    for (uint32_t s = 0; s < cfg->servers; s++) {
        const herd_session *ss = &w->sess[s][c];
        k = k << 2 | ss->state;
        if (ss->state == HERD_SESSION_CLOSED) continue;
        k = k << 3 | (ss->inflight & 7u);
        k = k << 2 | (uint64_t)(ss->reading << 1 | ss->dirty);
        if (cfg->time_free) k = k << 8 | (sid_rank(m, ss->last_sent) & 255u);
    }
    for (uint32_t q = 0; q < cfg->messages; q++)
        k = k * 3u + (w->msg_lsn[c * cfg->messages + q] != 0) + (uint32_t)(w->acked >> (c * cfg->messages + q) & 1u);
    return k; /* shifts drop high bits: still a function of the invariant fields */
}

/* The renamings that put clients in key order (several only when keys tie). */
static uint32_t candidates(vmap *m, const hm_world *w, perm *out)
{
    static _Thread_local perm perms[24];
    static _Thread_local uint32_t n_perms, perms_for;
    uint32_t n = m->cfg->clients;
    if (perms_for != n) { n_perms = all_perms(n, perms); perms_for = n; }
    uint64_t key[HM_CLIENTS_MAX];
    uint32_t order[HM_CLIENTS_MAX];
    for (uint32_t c = 0; c < n; c++) {
        key[c] = client_key(m, w, c);
        uint32_t j = c;
        while (j > 0 && key[order[j - 1]] > key[c]) { order[j] = order[j - 1]; j--; }
        order[j] = c;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n_perms; i++) {
        bool fits = true;
        for (uint32_t j = 0; j < n && fits; j++) fits = key[perms[i].from[j]] == key[order[j]];
        if (fits) out[k++] = perms[i];
    }
    return k;
}

/* ---- the public entry points --------------------------------------------------------- */

static _Thread_local vmap vm;

size_t hm_canon_encode(const hm_world *w, const hm_config *cfg, bool symmetry, unsigned char *out)
{
    static const perm identity = {{0, 1, 2, 3}, {0, 1, 2, 3}};
    static _Thread_local unsigned char tmp[HM_ENC_MAX];
    gather(&vm, w, cfg);
    if (!symmetry || cfg->clients == 1) return encode(out, &vm, w, &identity);
    perm cand[24];
    cand[0] = identity; /* candidates() always fills it; the compiler cannot tell */
    uint32_t n = candidates(&vm, w, cand);
    size_t best = encode(out, &vm, w, &cand[0]);
    for (uint32_t i = 1; i < n; i++) {
        size_t len = encode(tmp, &vm, w, &cand[i]);
        if (rec_cmp(tmp, len, out, best) < 0) { memcpy(out, tmp, len); best = len; }
    }
    return best;
}

uint64_t hm_fingerprint(const hm_world *w, const hm_config *cfg, bool symmetry)
{
    static _Thread_local unsigned char buf[HM_ENC_MAX];
    size_t len = hm_canon_encode(w, cfg, symmetry, buf);
    return hm_fp_of(buf, len, 0).hi; /* the search's function, seed 0: its key's top 64 bits */
}

size_t hm_encoded_bytes(const hm_world *w, const hm_config *cfg)
{
    static _Thread_local unsigned char buf[HM_ENC_MAX];
    return hm_canon_encode(w, cfg, true, buf);
}
