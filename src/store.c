/* store.c — the durable stream store: Redis Streams per room, a dedup index written
 * atomically with the append, and the durability modes' crash behaviour (see store.h).
 *
 * Owns one pointer-free block laid out from the config; offsets are computed, 8-byte
 * aligned, never stored. Flat layout: the herd_store header, herd_store_stream
 * streams[rooms], herd_entry ring[rooms * maxlen] (room r's ring is ring[r * maxlen ..
 * (r + 1) * maxlen)), then the herd_dedup index. Growing layout: the header, the streams,
 * room_ring rings[rooms] (where each room's ring is and how big), the arena's header,
 * the arena's entries, then the dedup index. A ring is a circular buffer sorted by id in
 * either layout. A removed entry's slot is zeroed and an emptied ring restarts at slot 0,
 * so free memory stays zero and the same operations give the same bytes.
 *
 * The arena hands out regions of HERD_RING_MIN << k entries (the last size capped at
 * maxlen): from the free list of that size, else from its unused end. A ring that fills
 * up moves to a region twice its size and frees its old one. The arena's size is the worst
 * case, every room at every size at once: a region of size k is taken from the unused end
 * only when none of that size is free, so at most `rooms` of each size are ever carved.
 *
 * Choices where Redis and our model part ways (documented for the checkers):
 *  - Trims (MAXLEN, including the automatic one inside an append, and MINID) are durable
 *    at once: a trimmed entry is gone for good even if the append that pushed it out is
 *    lost, and max_deleted keeps its value across a crash. Trims take no lsn.
 *  - After a lossy crash a stream's top is max(last surviving entry, max_deleted). AOF
 *    replay rebuilds last_id from the replayed XADDs, so ids of lost writes above that are
 *    handed out again (the hazard a client must survive); Redis also never lets last_id
 *    fall below max-deleted-entry-id (XSETID refuses it), and neither do we, so a trimmed
 *    id is never reissued.
 *  - A crash truncates the log at durable_lsn: next_lsn restarts at durable_lsn + 1, so
 *    the lsns of lost writes are reused, exactly as a log file truncated at its last fsync.
 *  - on_timer before the deadline does nothing (the ngtcp2 handle_expiry pattern).
 *  - The dedup index is keyed by message id alone (ids are unique fleet-wide): a
 *    DUPLICATE reports the recorded sid, lsn and durability, and prev 0-0.
 * Costs: append, publish and find O(1) amortised / O(log maxlen); read O(log maxlen +
 * limit); a crash O(rooms + writes dropped), a trim O(entries removed). */
#include "store.h"

#include <assert.h>
#include <string.h>

#include "check.h"
#include "error.h"

/* Where a growing store keeps room r's ring: entries [off, off + cap) of the arena. */
typedef struct room_ring {
    uint64_t off;
    uint32_t cap;   /* 0: no region yet */
    uint32_t cls;   /* its size class: cap = store_class_cap(cls) */
} room_ring;

typedef struct store_arena {
    uint64_t used;                          /* entries carved from the start */
    uint64_t cap;                           /* entries laid out */
    uint64_t free_head[HERD_RING_CLASSES];  /* first free region of each size, + 1; 0 = none */
} store_arena;

/* The block is copied bytewise: its structs must have no compiler padding. */
_Static_assert(sizeof(herd_store_config) == 32, "herd_store_config has hidden padding");
_Static_assert(sizeof(herd_store) == 72, "herd_store has hidden padding");
_Static_assert(sizeof(herd_store_stream) == 48, "herd_store_stream has hidden padding");
_Static_assert(sizeof(herd_entry) == 32, "herd_entry has hidden padding");
_Static_assert(sizeof(room_ring) == 16, "store_ring has hidden padding");
_Static_assert((HERD_RING_MIN << (HERD_RING_CLASSES - 1)) >= HERD_STORE_MAXLEN_MAX, "too few ring sizes");

#define STORE_ALIGN(x) (((x) + 7u) & ~(size_t)7u)
#define STORE_AOF_EVERYSEC_US ((herd_time)HERD_US_PER_S)
#define STORE_PG_ASYNC_US ((herd_time)3u * 200u * HERD_US_PER_MS) /* 3 x wal_writer_delay */

/* ---- layout ------------------------------------------------------------------------ */

typedef struct store_layout {
    size_t streams;
    size_t rings;    /* growing: room_ring[rooms]; flat: the entries */
    size_t arena;    /* growing: store_arena, then its entries */
    size_t entries;  /* the entries (flat: == rings) */
    uint64_t arena_entries;
    size_t dedup;
    size_t total;
} store_layout;

static uint32_t store_class_cap_of(uint32_t maxlen, uint32_t cls)
{
    uint64_t c = (uint64_t)HERD_RING_MIN << cls;
    return c < maxlen ? (uint32_t)c : maxlen;
}

/* Sizes a growing ring goes through, and the sum of their entries (the arena per room). */
static uint32_t store_classes(uint32_t maxlen, uint64_t *sum)
{
    uint32_t n = 0;
    *sum = 0;
    do {
        *sum += store_class_cap_of(maxlen, n);
        n++;
    } while (store_class_cap_of(maxlen, n - 1u) < maxlen); /* <= HERD_RING_CLASSES rounds */
    return n;
}

/* Overflow-checked layout; false if the sizes do not fit in size_t. */
static bool store_layout_of(const herd_store_config *cfg, store_layout *l)
{
    size_t dedup_bytes = herd_dedup_bytes(cfg->dedup_capacity);
    if (dedup_bytes == 0) return false;
    size_t rooms = cfg->rooms, maxlen = cfg->maxlen;
    l->streams = STORE_ALIGN(sizeof(herd_store));
    if (rooms > (SIZE_MAX / 2u - l->streams) / (sizeof(herd_store_stream) + sizeof(room_ring))) return false;
    l->rings = l->streams + rooms * sizeof(herd_store_stream); /* 48-byte streams: aligned */
    uint64_t per_room = maxlen;
    if (cfg->grow) {
        store_classes(cfg->maxlen, &per_room);
        l->arena = l->rings + rooms * sizeof(room_ring);
        l->entries = l->arena + sizeof(store_arena);
    } else {
        l->arena = l->entries = l->rings;
    }
    if (per_room != 0 && rooms > SIZE_MAX / per_room) return false;
    l->arena_entries = rooms * per_room;
    if (l->arena_entries > (SIZE_MAX - l->entries) / sizeof(herd_entry)) return false;
    l->dedup = l->entries + l->arena_entries * sizeof(herd_entry);
    if (dedup_bytes > SIZE_MAX - l->dedup) return false;
    l->total = l->dedup + dedup_bytes;
    return true;
}

static herd_store_stream *store_streams(herd_store *s)
{
    return (herd_store_stream *)((unsigned char *)s + STORE_ALIGN(sizeof(herd_store)));
}

static const herd_store_stream *store_streams_c(const herd_store *s)
{
    return (const herd_store_stream *)((const unsigned char *)s + STORE_ALIGN(sizeof(herd_store)));
}

static size_t store_rings_offset(const herd_store *s)
{
    return STORE_ALIGN(sizeof(herd_store)) + (size_t)s->cfg.rooms * sizeof(herd_store_stream);
}

static room_ring *store_rings(herd_store *s)
{
    return (room_ring *)((unsigned char *)s + store_rings_offset(s));
}

static const room_ring *store_rings_c(const herd_store *s)
{
    return (const room_ring *)((const unsigned char *)s + store_rings_offset(s));
}

static size_t store_arena_offset(const herd_store *s)
{
    return store_rings_offset(s) + (s->cfg.grow ? (size_t)s->cfg.rooms * sizeof(room_ring) : 0u);
}

static store_arena *store_arena_m(herd_store *s)
{
    return (store_arena *)((unsigned char *)s + store_arena_offset(s));
}

static const store_arena *store_arena_c(const herd_store *s)
{
    return (const store_arena *)((const unsigned char *)s + store_arena_offset(s));
}

/* The first entry slot: the flat rings, or the arena's entries. */
static size_t store_entries_offset(const herd_store *s)
{
    return store_arena_offset(s) + (s->cfg.grow ? sizeof(store_arena) : 0u);
}

static herd_entry *store_entries(herd_store *s)
{
    return (herd_entry *)((unsigned char *)s + store_entries_offset(s));
}

static const herd_entry *store_entries_c(const herd_store *s)
{
    return (const herd_entry *)((const unsigned char *)s + store_entries_offset(s));
}

static size_t store_dedup_offset(const herd_store *s)
{
    size_t entries = s->cfg.grow ? (size_t)store_arena_c(s)->cap : (size_t)s->cfg.rooms * s->cfg.maxlen;
    return store_entries_offset(s) + entries * sizeof(herd_entry);
}

static herd_dedup *store_dedup_m(herd_store *s)
{
    return (herd_dedup *)((unsigned char *)s + store_dedup_offset(s));
}

const herd_dedup *herd_store_dedup(const herd_store *s)
{
    return (const herd_dedup *)((const unsigned char *)s + store_dedup_offset(s));
}

/* Room r's ring: its first slot and its size (0 for a growing room with no region yet). */
static uint32_t store_cap(const herd_store *s, uint32_t room)
{
    return s->cfg.grow ? store_rings_c(s)[room].cap : s->cfg.maxlen;
}

static const herd_entry *store_ring_c(const herd_store *s, uint32_t room)
{
    size_t off = s->cfg.grow ? (size_t)store_rings_c(s)[room].off : (size_t)room * s->cfg.maxlen;
    return store_entries_c(s) + off;
}

static herd_entry *store_ring(herd_store *s, uint32_t room)
{
    return (herd_entry *)store_ring_c(s, room);
}

/* Ring slot of logical position i: head < cap and i <= cap, so one conditional
 * subtraction replaces a division on the hot path (cap <= 2^26: no overflow). */
static uint32_t store_slot(uint32_t cap, uint32_t head, uint32_t i)
{
    assert(head < cap && i <= cap);
    uint32_t x = head + i;
    return x >= cap ? x - cap : x;
}

/* Logical entry i (0 = oldest) of a stream. */
static const herd_entry *store_at_c(const herd_store *s, uint32_t room, uint32_t i)
{
    const herd_store_stream *st = &store_streams_c(s)[room];
    assert(i < st->len);
    return &store_ring_c(s, room)[store_slot(store_cap(s, room), st->head, i)];
}

static herd_entry *store_at(herd_store *s, uint32_t room, uint32_t i)
{
    return (herd_entry *)store_at_c(s, room, i);
}

/* A growing room's ring is full (or absent): move it to a region of the next size, in
 * order from slot 0, and free the old region (zeroed, its first entry's lsn the link). */
static void store_grow_ring(herd_store *s, uint32_t room)
{
    room_ring *r = &store_rings(s)[room];
    store_arena *a = store_arena_m(s);
    herd_store_stream *st = &store_streams(s)[room];
    uint32_t cls = r->cap == 0 ? 0u : r->cls + 1u;
    herd_assert(cls < HERD_RING_CLASSES && st->len == r->cap && r->cap < s->cfg.maxlen);
    uint32_t cap = store_class_cap_of(s->cfg.maxlen, cls);
    herd_entry *all = store_entries(s);
    uint64_t off;
    if (a->free_head[cls] != 0) {
        off = a->free_head[cls] - 1u;
        a->free_head[cls] = all[off].lsn;
        all[off].lsn = 0;
    } else {
        herd_assert(a->used + cap <= a->cap); /* at most `rooms` regions of each size */
        off = a->used;
        a->used += cap;
    }
    if (r->cap != 0) {
        herd_entry *old = all + r->off;
        for (uint32_t i = 0; i < st->len; i++) all[off + i] = old[store_slot(r->cap, st->head, i)];
        memset(old, 0, (size_t)r->cap * sizeof(herd_entry));
        old[0].lsn = a->free_head[r->cls];
        a->free_head[r->cls] = r->off + 1u;
    }
    st->head = 0;
    *r = (room_ring){.off = off, .cap = cap, .cls = cls};
}

size_t herd_store_base_bytes(const herd_store_config *cfg)
{
    store_layout l;
    if (herd_store_config_validate(cfg) != HERD_OK || !store_layout_of(cfg, &l)) return 0;
    return cfg->grow ? l.entries : l.total;
}

size_t herd_store_used_bytes(const herd_store *s)
{
    if (!s->cfg.grow) return herd_store_bytes(&s->cfg);
    return store_entries_offset(s) + (size_t)store_arena_c(s)->used * sizeof(herd_entry) +
           herd_dedup_used_bytes(herd_store_dedup(s));
}

/* ---- config ------------------------------------------------------------------------ */

int herd_store_config_validate(const herd_store_config *cfg)
{
    if (cfg == NULL) return HERD_EINVAL;
    if (cfg->rooms < 1 || cfg->rooms > HERD_STORE_ROOMS_MAX) return HERD_EINVAL;
    if (cfg->maxlen < 1 || cfg->maxlen > HERD_STORE_MAXLEN_MAX) return HERD_EINVAL;
    if (cfg->dedup_capacity < 1 || cfg->dedup_capacity > HERD_DEDUP_CAPACITY_MAX) return HERD_EINVAL;
    if (cfg->durability >= HERD_DURABLE_COUNT || cfg->grow > 1) return HERD_EINVAL;
    return HERD_OK;
}

size_t herd_store_bytes(const herd_store_config *cfg)
{
    store_layout l;
    if (herd_store_config_validate(cfg) != HERD_OK) return 0;
    if (!store_layout_of(cfg, &l)) return 0;
    return l.total;
}

static bool store_has_timer(const herd_store *s)
{
    return s->cfg.durability == HERD_DURABLE_AOF_EVERYSEC ||
           s->cfg.durability == HERD_DURABLE_PG_ASYNC;
}

static herd_time store_fsync_interval(const herd_store *s)
{
    if (s->cfg.fsync_interval_us != 0) return s->cfg.fsync_interval_us;
    return s->cfg.durability == HERD_DURABLE_PG_ASYNC ? STORE_PG_ASYNC_US : STORE_AOF_EVERYSEC_US;
}

static void store_arm_timer(herd_store *s, herd_time now)
{
    s->next_fsync = store_has_timer(s) ? herd_time_add(now, store_fsync_interval(s)) : HERD_TIME_NEVER;
}

int herd_store_init(herd_store *s, size_t bytes, const herd_store_config *cfg, herd_time now)
{
    store_layout l;
    size_t need = herd_store_bytes(cfg);
    if (s == NULL || need == 0 || !store_layout_of(cfg, &l)) return HERD_EINVAL;
    if (bytes < need) return HERD_ENOSPACE;
    memset(s, 0, cfg->grow ? l.entries : need); /* growing: the rest is zero already */
    s->cfg.rooms = cfg->rooms; /* field by field: the caller's pad bytes stay out */
    s->cfg.maxlen = cfg->maxlen;
    s->cfg.dedup_capacity = cfg->dedup_capacity;
    s->cfg.durability = cfg->durability;
    s->cfg.grow = cfg->grow;
    if (cfg->grow) store_arena_m(s)->cap = l.arena_entries;
    s->cfg.dedup_window_us = cfg->dedup_window_us;
    s->cfg.fsync_interval_us = cfg->fsync_interval_us;
    s->next_lsn = 1;
    s->durable_lsn = 0;
    store_arm_timer(s, now);
    herd_dedup *d = store_dedup_m(s);
    int rc = cfg->grow ? herd_dedup_init_growing(d, need - l.dedup, cfg->dedup_capacity, cfg->dedup_window_us)
                       : herd_dedup_init(d, need - l.dedup, cfg->dedup_capacity, cfg->dedup_window_us);
    assert(rc == HERD_OK);
    return rc;
}

/* ---- ids and appends --------------------------------------------------------------- */

/* XADD's id rule: "*" is max(now_ms, top.ms) with the next seq in top's millisecond;
 * an explicit id must exceed the top and may not be 0-0. */
static int store_next_id(const herd_store_stream *st, herd_time now, const herd_sid *explicit_id,
                         herd_sid *id)
{
    if (explicit_id != NULL) {
        if (herd_sid_is_zero(*explicit_id) || herd_sid_cmp(*explicit_id, st->top) <= 0)
            return HERD_ESTORE_ID;
        *id = *explicit_id;
        return HERD_OK;
    }
    uint64_t ms = now / HERD_US_PER_MS;
    if (ms > st->top.ms) {
        *id = (herd_sid){ms, 0};
    } else if (st->top.seq != UINT64_MAX) {
        *id = (herd_sid){st->top.ms, st->top.seq + 1u};
    } else if (st->top.ms != UINT64_MAX) {
        *id = (herd_sid){st->top.ms + 1u, 0}; /* seq exhausted: Redis moves to the next ms */
    } else {
        return HERD_ESTORE_ID; /* the id space is used up */
    }
    assert(herd_sid_cmp(*id, st->top) > 0 && !herd_sid_is_zero(*id));
    return HERD_OK;
}

/* Remove the oldest entry of a non-empty stream; the trimmed id raises max_deleted. */
static void store_pop_head(herd_store *s, uint32_t room)
{
    herd_store_stream *st = &store_streams(s)[room];
    assert(st->len > 0);
    herd_entry *e = &store_ring(s, room)[st->head];
    if (herd_sid_cmp(e->sid, st->max_deleted) > 0) st->max_deleted = e->sid;
    memset(e, 0, sizeof *e);
    st->len--;
    st->head = (st->len == 0) ? 0 : store_slot(store_cap(s, room), st->head, 1u);
}

/* Every write takes the next lsn; the synchronous modes make it durable before replying. */
static uint64_t store_log_write(herd_store *s)
{
    uint64_t lsn = s->next_lsn++;
    if (s->cfg.durability == HERD_DURABLE_AOF_ALWAYS || s->cfg.durability == HERD_DURABLE_PG_SYNC)
        s->durable_lsn = lsn;
    return lsn;
}

static uint64_t store_append(herd_store *s, uint32_t room, herd_sid id, herd_msg_id msg)
{
    herd_store_stream *st = &store_streams(s)[room];
    assert(herd_sid_cmp(id, st->top) > 0);
    if (st->len == s->cfg.maxlen) store_pop_head(s, room); /* MAXLEN: the ring is full */
    if (s->cfg.grow && st->len == store_rings_c(s)[room].cap) store_grow_ring(s, room);
    uint64_t lsn = store_log_write(s);
    herd_entry *e = &store_ring(s, room)[store_slot(store_cap(s, room), st->head, st->len)];
    assert(e->lsn == 0 && "free ring slots are zero");
    *e = (herd_entry){.sid = id, .msg = msg, .lsn = lsn};
    st->len++;
    st->top = id;
    st->added++;
    return lsn;
}

int herd_store_xadd(herd_store *s, herd_time now, uint32_t room, const herd_sid *explicit_id,
                    herd_msg_id msg, herd_sid *sid)
{
    assert(s != NULL);
    if (room >= s->cfg.rooms) return HERD_ESTORE_ROOM;
    herd_sid id;
    int rc = store_next_id(&store_streams(s)[room], now, explicit_id, &id);
    if (rc != HERD_OK) return rc;
    store_append(s, room, id, msg);
    if (sid != NULL) *sid = id;
    return HERD_OK;
}

bool herd_store_is_durable(const herd_store *s, uint64_t lsn)
{
    return lsn != 0 && lsn <= s->durable_lsn;
}

int herd_store_publish(herd_store *s, herd_time now, uint32_t room, herd_msg_id msg, int dedup,
                       herd_publish_result *res)
{
    assert(s != NULL && res != NULL);
    memset(res, 0, sizeof *res);
    if (room >= s->cfg.rooms) return HERD_ESTORE_ROOM;
    herd_dedup *d = store_dedup_m(s);
    if (dedup) {
        const herd_dedup_record *r = herd_dedup_find(d, msg, now);
        if (r != NULL) { /* already written: no append, no new lsn; prev is not known */
            res->status = HERD_PUBLISH_DUPLICATE;
            res->sid = r->sid;
            res->lsn = r->lsn;
            res->durable = herd_store_is_durable(s, r->lsn) ? 1 : 0;
            return HERD_OK;
        }
    }
    herd_store_stream *st = &store_streams(s)[room];
    herd_sid id, prev = st->top;
    int rc = store_next_id(st, now, NULL, &id);
    if (rc != HERD_OK) return rc;
    uint64_t lsn = store_append(s, room, id, msg);
    if (dedup) { /* same lsn: the dedup record lives and dies with the entry */
        rc = herd_dedup_insert(d, msg, id, room, lsn, now);
        assert(rc == HERD_OK);
    }
    res->status = HERD_PUBLISH_APPENDED;
    res->sid = id;
    res->prev = prev;
    res->lsn = lsn;
    res->durable = herd_store_is_durable(s, lsn) ? 1 : 0;
    return HERD_OK;
}

/* ---- reads ------------------------------------------------------------------------- */

/* Logical index of the first entry with id > after (len if none): the ring is sorted. */
static uint32_t store_upper_bound(const herd_store *s, uint32_t room, herd_sid after)
{
    uint32_t lo = 0, hi = store_streams_c(s)[room].len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (herd_sid_cmp(store_at_c(s, room, mid)->sid, after) <= 0) lo = mid + 1u;
        else hi = mid;
    }
    return lo;
}

int herd_store_read(const herd_store *s, uint32_t room, herd_sid after, uint32_t limit,
                    herd_entry *out, uint32_t *n, herd_read_info *info)
{
    assert(s != NULL && n != NULL);
    *n = 0;
    if (info != NULL) memset(info, 0, sizeof *info);
    if (room >= s->cfg.rooms) return HERD_ESTORE_ROOM;
    if (limit == 0 || limit > HERD_READ_MAX || out == NULL) return HERD_EINVAL;
    const herd_store_stream *st = &store_streams_c(s)[room];
    uint32_t i = store_upper_bound(s, room, after);
    uint32_t k = 0;
    for (; k < limit && i + k < st->len; k++) out[k] = *store_at_c(s, room, i + k);
    *n = k;
    if (info != NULL) {
        info->first = st->len > 0 ? store_at_c(s, room, 0)->sid : HERD_SID_ZERO;
        info->top = st->top;
        info->max_deleted = st->max_deleted;
        info->gap = herd_sid_cmp(st->max_deleted, after) > 0 ? 1 : 0;
        info->more = (i + k < st->len) ? 1 : 0;
    }
    return HERD_OK;
}

const herd_entry *herd_store_find(const herd_store *s, uint32_t room, herd_sid sid)
{
    assert(s != NULL);
    if (room >= s->cfg.rooms) return NULL;
    const herd_store_stream *st = &store_streams_c(s)[room];
    uint32_t lo = 0, hi = st->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        const herd_entry *e = store_at_c(s, room, mid);
        int c = herd_sid_cmp(e->sid, sid);
        if (c == 0) return e;
        if (c < 0) lo = mid + 1u;
        else hi = mid;
    }
    return NULL;
}

const herd_store_stream *herd_store_stream_info(const herd_store *s, uint32_t room)
{
    assert(s != NULL);
    return room < s->cfg.rooms ? &store_streams_c(s)[room] : NULL;
}

/* ---- trimming ---------------------------------------------------------------------- */

int herd_store_trim_maxlen(herd_store *s, uint32_t room, uint32_t maxlen)
{
    assert(s != NULL);
    if (room >= s->cfg.rooms) return HERD_ESTORE_ROOM;
    herd_store_stream *st = &store_streams(s)[room];
    int removed = 0;
    while (st->len > maxlen) { /* at most HERD_STORE_MAXLEN_MAX rounds */
        store_pop_head(s, room);
        removed++;
    }
    return removed;
}

int herd_store_trim_minid(herd_store *s, uint32_t room, herd_sid minid)
{
    assert(s != NULL);
    if (room >= s->cfg.rooms) return HERD_ESTORE_ROOM;
    /* XTRIM MINID evicts the entries with ids lower than minid. */
    herd_sid below = minid;
    uint32_t k = 0;
    if (!herd_sid_is_zero(minid)) {
        below = minid.seq > 0 ? (herd_sid){minid.ms, minid.seq - 1u}
                              : (herd_sid){minid.ms - 1u, UINT64_MAX};
        k = store_upper_bound(s, room, below); /* entries with id <= minid - 1 */
    }
    for (uint32_t i = 0; i < k; i++) store_pop_head(s, room);
    return (int)k;
}

/* ---- durability -------------------------------------------------------------------- */

herd_time herd_store_deadline(const herd_store *s)
{
    assert(s != NULL);
    return s->next_fsync;
}

void herd_store_on_timer(herd_store *s, herd_time now)
{
    assert(s != NULL);
    if (s->next_fsync == HERD_TIME_NEVER || now < s->next_fsync) return;
    s->durable_lsn = s->next_lsn - 1u; /* fsync: everything written so far */
    store_arm_timer(s, now);
}

/* Drop a stream's entries newer than durable_lsn (a suffix: lsns grow along the ring)
 * and let its top fall back. Returns the entries dropped. */
static uint32_t store_crash_stream(herd_store *s, uint32_t room)
{
    herd_store_stream *st = &store_streams(s)[room];
    uint32_t dropped = 0;
    while (st->len > 0) {
        herd_entry *e = store_at(s, room, st->len - 1u);
        if (e->lsn <= s->durable_lsn) break;
        memset(e, 0, sizeof *e);
        st->len--;
        dropped++;
    }
    if (st->len == 0) st->head = 0;
    if (dropped == 0) return 0;
    herd_sid last = st->len > 0 ? store_at_c(s, room, st->len - 1u)->sid : HERD_SID_ZERO;
    st->top = herd_sid_cmp(last, st->max_deleted) > 0 ? last : st->max_deleted;
    assert(st->added >= dropped);
    st->added -= dropped;
    return dropped;
}

/* No persistence: the restarted store is empty, as a fresh one (a growing store keeps
 * its rooms' regions, zeroed). */
static void store_crash_empty(herd_store *s)
{
    if (!s->cfg.grow) {
        size_t bytes = store_dedup_offset(s) - STORE_ALIGN(sizeof(herd_store));
        memset(store_streams(s), 0, bytes); /* streams and rings */
    } else {
        for (uint32_t room = 0; room < s->cfg.rooms; room++) {
            herd_store_stream *st = &store_streams(s)[room];
            while (st->len > 0) { /* at most maxlen rounds */
                memset(store_at(s, room, st->len - 1u), 0, sizeof(herd_entry));
                st->len--;
            }
            memset(st, 0, sizeof *st);
        }
    }
    herd_dedup_clear(store_dedup_m(s));
}

void herd_store_crash(herd_store *s, herd_time now)
{
    assert(s != NULL);
    assert(s->next_lsn > s->durable_lsn);
    s->lost_writes += s->next_lsn - 1u - s->durable_lsn;
    if (s->cfg.durability == HERD_DURABLE_NONE) {
        assert(s->durable_lsn == 0);
        store_crash_empty(s);
    } else {
        for (uint32_t room = 0; room < s->cfg.rooms; room++) store_crash_stream(s, room);
        herd_dedup_truncate(store_dedup_m(s), s->durable_lsn);
    }
    s->next_lsn = s->durable_lsn + 1u; /* the log is truncated at its last durable write */
    s->crashes++;
    store_arm_timer(s, now);
}

/* ---- names ------------------------------------------------------------------------- */

static const char *const store_durability_names[HERD_DURABLE_COUNT] = {
    [HERD_DURABLE_NONE] = "none",
    [HERD_DURABLE_AOF_EVERYSEC] = "aof_everysec",
    [HERD_DURABLE_AOF_ALWAYS] = "aof_always",
    [HERD_DURABLE_PG_SYNC] = "pg_sync",
    [HERD_DURABLE_PG_ASYNC] = "pg_async",
};

const char *herd_durability_name(int mode)
{
    if (mode < 0 || mode >= HERD_DURABLE_COUNT) return "unknown";
    return store_durability_names[mode];
}

int herd_durability_parse(const char *name)
{
    if (name == NULL) return HERD_EINVAL;
    for (int mode = 0; mode < HERD_DURABLE_COUNT; mode++)
        if (strcmp(name, store_durability_names[mode]) == 0) return mode;
    return HERD_EINVAL;
}
