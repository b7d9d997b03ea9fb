/* canon.c — state fingerprints: a canonical encoding of a world, hashed with XXH3-64.
 *
 * The encoding lists every field that can change what happens next, explicitly (never a
 * struct's raw bytes, so padding never leaks in), and leaves out pure statistics
 * (client.dup_ignored and .gaps, store.crashes and .lost_writes, dedup.evicted), which
 * no machine reads. The store and the dedup caches are encoded by content in log order
 * (entries, then dedup records from the ring's head), not by their hash-table layout.
 *
 * Symmetry reduction: the clients of a model are identical (same room, same
 * configuration, same generator seed, same workload), so a world and the same world with
 * its clients renamed behave alike. A client's id appears in its own state, in message
 * ids (high 32 bits), in sessions, store entries, dedup records, in-flight items and the
 * oracle's bitmaps; a permutation renames it in all of them at once. The fingerprint is
 * the minimum, over every permutation of the clients (at most 4! = 24), of the hash of
 * the renamed world's encoding: the same for every member of an orbit, and, up to hash
 * collisions, different for worlds in different orbits (sound). */
#include "canon.h"

#include <assert.h>
#include <string.h>
#include <xxhash.h>

#define ENC_MAX 16384

typedef struct enc {
    size_t len;
    unsigned char buf[ENC_MAX];
} enc;

static void put(enc *e, const void *p, size_t n)
{
    assert(e->len + n <= ENC_MAX);
    memcpy(e->buf + e->len, p, n);
    e->len += n;
}
static void put8(enc *e, uint8_t v) { put(e, &v, 1); }
static void put16(enc *e, uint16_t v) { put(e, &v, 2); }
static void put32(enc *e, uint32_t v) { put(e, &v, 4); }
static void put64(enc *e, uint64_t v) { put(e, &v, 8); }
static void putsid(enc *e, herd_sid s) { put64(e, s.ms); put64(e, s.seq); }

typedef struct perm {
    uint8_t to[HM_CLIENTS_MAX];   /* old client -> new client */
    uint8_t from[HM_CLIENTS_MAX]; /* new client -> old client */
} perm;

static herd_msg_id map_msg(const perm *p, uint32_t clients, herd_msg_id m)
{
    uint32_t c = herd_msg_client(m);
    if (m == 0 || c >= clients) return m;
    return herd_msg_make(p->to[c], herd_msg_seq(m));
}

static uint64_t map_bits(const perm *p, const hm_config *cfg, uint64_t bits)
{
    uint64_t out = 0;
    for (uint32_t c = 0; c < cfg->clients; c++) {
        uint64_t mask = (cfg->messages >= 64) ? ~0ull : ((1ull << cfg->messages) - 1u);
        uint64_t part = (bits >> (c * cfg->messages)) & mask;
        out |= part << (p->to[c] * cfg->messages);
    }
    return out;
}

static void enc_client(enc *e, const herd_client *c)
{
    putsid(e, c->last_seen);
    put64(e, c->deadline);
    put64(e, c->live_since);
    put64(e, c->acked_bits);
    put32(e, c->bo.base_us);
    put32(e, c->bo.prev_us);
    put16(e, c->bo.attempt);
    put16(e, c->bo.tokens);
    put32(e, c->next_seq);
    put32(e, c->unacked_base);
    put32(e, c->sent_upto);
    put32(e, c->conn);
    put32(e, c->retry_after_ms);
    put8(e, c->state);
    put8(e, c->last_timeout);
}

static void enc_session(enc *e, const perm *p, const hm_config *cfg, const herd_session *s,
                        const hm_readslot *rr)
{
    putsid(e, s->last_sent);
    /* s->client is the slot's own client once RESUME arrived, 0 before: implied by the
     * slot, and no machine decision reads it, so it is left out (renaming-safe). */
    put32(e, s->room);
    put32(e, s->conn);
    put16(e, s->inflight);
    put8(e, s->state);
    put8(e, s->reading);
    put8(e, s->dirty);
    put8(e, rr->full);
    if (!rr->full) return;
    put8(e, rr->n);
    put16(e, (uint16_t)rr->err);
    putsid(e, rr->info.first);
    putsid(e, rr->info.top);
    putsid(e, rr->info.max_deleted);
    put8(e, rr->info.gap);
    put8(e, rr->info.more);
    for (uint32_t i = 0; i < rr->n; i++) {
        putsid(e, rr->e[i].sid);
        put64(e, map_msg(p, cfg->clients, rr->e[i].msg));
        put64(e, rr->e[i].lsn);
    }
}

static int item_cmp(const void *a, const void *b)
{
    const hm_item *x = a, *y = b;
    if (x->client != y->client) return x->client < y->client ? -1 : 1;
    if (x->server != y->server) return x->server < y->server ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
    return memcmp(x, y, sizeof *x);
}

/* Items renamed, re-sorted; the item structs are zeroed before filling (world.c), so
 * their bytes, padding included, are canonical. */
static void enc_items(enc *e, const perm *p, const hm_world *w, const hm_config *cfg)
{
    hm_item it[HM_ITEMS_MAX];
    uint32_t n = w->n_items;
    for (uint32_t i = 0; i < n; i++) {
        it[i] = w->items[i];
        it[i].client = p->to[it[i].client];
        switch (it[i].kind) {
        case HM_IT_C2S:
        case HM_IT_S2C:
            it[i].u.frame.msg = map_msg(p, cfg->clients, it[i].u.frame.msg);
            if (it[i].u.frame.type == HERD_FRAME_RESUME) it[i].u.frame.client = p->to[it[i].u.frame.client];
            break;
        case HM_IT_SREQ: it[i].u.req.msg = map_msg(p, cfg->clients, it[i].u.req.msg); break;
        case HM_IT_SRES: it[i].u.res.msg = map_msg(p, cfg->clients, it[i].u.res.msg); break;
        default: it[i].u.fan.msg = map_msg(p, cfg->clients, it[i].u.fan.msg); break;
        }
    }
    for (uint32_t i = 1; i < n; i++) { /* insertion sort: n <= HM_ITEMS_MAX */
        hm_item x = it[i];
        uint32_t j = i;
        while (j > 0 && item_cmp(&it[j - 1], &x) > 0) { it[j] = it[j - 1]; j--; }
        it[j] = x;
    }
    put16(e, (uint16_t)n);
    put(e, it, n * sizeof(hm_item));
}

#define DEDUP_RING_OFFSET ((sizeof(herd_dedup) + 7u) & ~(size_t)7u)

static void enc_dedup(enc *e, const perm *p, const hm_config *cfg, const herd_dedup *d)
{
    const herd_dedup_record *ring = (const herd_dedup_record *)(const void *)((const unsigned char *)d + DEDUP_RING_OFFSET);
    put32(e, d->count);
    for (uint32_t i = 0; i < d->count; i++) {
        const herd_dedup_record *r = &ring[(d->head + i) % d->capacity];
        put64(e, map_msg(p, cfg->clients, r->msg));
        putsid(e, r->sid);
        put64(e, r->lsn);
        put64(e, r->inserted_us);
        put32(e, r->room);
    }
}

static void enc_store(enc *e, const perm *p, const hm_config *cfg, const herd_store *st)
{
    put64(e, st->next_lsn);
    put64(e, st->durable_lsn);
    put64(e, st->next_fsync);
    const herd_store_stream *ss = herd_store_stream_info(st, 0);
    putsid(e, ss->top);
    putsid(e, ss->max_deleted);
    put32(e, ss->len);
    put64(e, ss->added);
    herd_entry ent[HERD_READ_MAX];
    uint32_t n = 0;
    herd_store_read(st, 0, HERD_SID_ZERO, cfg->store.maxlen, ent, &n, NULL);
    for (uint32_t i = 0; i < n; i++) {
        putsid(e, ent[i].sid);
        put64(e, map_msg(p, cfg->clients, ent[i].msg));
        put64(e, ent[i].lsn);
    }
    enc_dedup(e, p, cfg, herd_store_dedup(st));
}

static void encode(enc *e, const hm_world *w, const hm_config *cfg, const perm *p)
{
    e->len = 0;
    put64(e, w->now);
    put(e, w->budget, sizeof w->budget);
    put(e, w->server_up, sizeof w->server_up);
    for (uint32_t j = 0; j < cfg->clients; j++) {
        uint32_t c = p->from[j];
        enc_client(e, &w->client[c]);
        put(e, w->rng[c].s, sizeof w->rng[c].s);
        put8(e, w->cur_server[c]);
        put8(e, w->last_server[c]);
        put8(e, w->pending[c]);
        for (uint32_t s = 0; s < cfg->servers; s++) {
            put8(e, w->sub[s][c]);
            enc_session(e, p, cfg, &w->sess[s][c], &w->rr[s][c]);
        }
        put64(e, map_bits(p, cfg, w->delivered[c]));
        put64(e, map_bits(p, cfg, w->gapped[c]));
        putsid(e, w->last_deliv[c]);
        for (uint32_t k = 0; k < cfg->messages; k++) { /* messages this client sent */
            uint32_t m = c * cfg->messages + k;
            put8(e, (uint8_t)(w->acked >> m & 1u));
            putsid(e, w->msg_sid[m]);
            put64(e, w->msg_lsn[m]);
        }
    }
    enc_items(e, p, w, cfg);
    enc_store(e, p, cfg, hm_world_store_c(w));
    for (uint32_t s = 0; s < cfg->servers; s++) {
        const herd_dedup *d = hm_world_local_c(w, cfg, s);
        if (d) enc_dedup(e, p, cfg, d);
    }
}

/* Every permutation of n <= 4 clients, in lexicographic order. */
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

static enc scratch;

uint64_t hm_fingerprint(const hm_world *w, const hm_config *cfg, bool symmetry)
{
    static perm perms[24];
    static uint32_t n_perms, perms_for;
    if (perms_for != cfg->clients) {
        n_perms = all_perms(cfg->clients, perms);
        perms_for = cfg->clients;
    }
    uint32_t np = symmetry ? n_perms : 1; /* perms[0] is the identity */
    uint64_t best = UINT64_MAX;
    for (uint32_t i = 0; i < np; i++) {
        encode(&scratch, w, cfg, &perms[i]);
        uint64_t h = XXH3_64bits(scratch.buf, scratch.len);
        if (h < best) best = h;
    }
    return best ? best : 1; /* 0 marks an empty slot in the visited set */
}

size_t hm_encoded_bytes(const hm_world *w, const hm_config *cfg)
{
    encode(&scratch, w, cfg, &(perm){{0, 1, 2, 3}, {0, 1, 2, 3}});
    return scratch.len;
}
