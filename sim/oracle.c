/* oracle.c — online checks of invariants I1..I7 and L1 (see oracle.h for the list).
 *
 * Each hook is called by the world at the moment the protocol commits to something: an
 * ACK leaving a server, an append in the store, a DELIVER or GAP reaching an application,
 * a store crash. The oracle trusts only the store model (the ground truth of what the
 * stream holds), never a machine's own bookkeeping, so a broken machine cannot vouch for
 * itself. */
#include "oracle.h"

#include "error.h"
#include "pool.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const inv_names[HERD_INV_COUNT] = {"I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "L1"};
static const char *const inv_titles[HERD_INV_COUNT] = {
    "no loss", "no duplicate append", "no duplicate delivery", "order",
    "ACK after durability", "no silent gap", "bounded queues", "no silent drop", "liveness",
};

const char *herd_invariant_name(int inv) { return inv >= 0 && inv < HERD_INV_COUNT ? inv_names[inv] : "?"; }
const char *herd_invariant_title(int inv) { return inv >= 0 && inv < HERD_INV_COUNT ? inv_titles[inv] : "?"; }

static herd_sid *last_of(const herd_oracle *o, uint32_t client)
{
    return (herd_sid *)(void *)(o->last + (size_t)client * o->last_stride);
}

int herd_oracle_init(herd_oracle *o, uint32_t clients, uint32_t capacity)
{
    void *last = calloc(clients ? clients : 1, sizeof(herd_sid));
    if (!last) return HERD_ENOSPACE;
    int rc = herd_oracle_init_strided(o, clients, capacity, last, sizeof(herd_sid));
    o->last_owned = true;
    if (rc != HERD_OK) herd_oracle_free(o);
    return rc;
}

int herd_oracle_init_strided(herd_oracle *o, uint32_t clients, uint32_t capacity, void *last,
                             size_t stride)
{
    *o = (herd_oracle){0};
    o->first_inv = -1;
    o->first_room = HERD_ORACLE_NO_ROOM;
    o->clients = clients;
    o->last = last;
    o->last_stride = stride;
    /* The ring of not-yet-durable ACKs starts small and doubles (up to the bound) when
     * a broken variant fills it: the correct protocol never uses it. */
    o->ack_max = clients < 4096 ? 4096 : clients > HERD_ORACLE_ACKS_MAX ? HERD_ORACLE_ACKS_MAX : clients;
    o->ack_cap = 1024;
    o->acks = malloc(sizeof *o->acks * o->ack_cap);
    if (capacity == 0) capacity = 1;
    /* Reserved, not touched: the index grows with the messages appended (dedup.h). */
    o->appended_bytes = herd_dedup_bytes(capacity);
    o->appended = o->appended_bytes ? herd_big_alloc(o->appended_bytes) : NULL;
    if (!o->last || !o->acks || !o->appended) {
        herd_oracle_free(o);
        return HERD_ENOSPACE;
    }
    /* No time window: the oracle remembers by count only, so a store dedup window shorter
     * than an outage cannot hide a duplicate from it. */
    if (herd_dedup_init_growing(o->appended, o->appended_bytes, capacity, 0) != HERD_OK) {
        herd_oracle_free(o);
        return HERD_ENOSPACE;
    }
    return HERD_OK;
}

void herd_oracle_free(herd_oracle *o)
{
    if (o->last_owned) free(o->last);
    free(o->acks);
    if (o->appended) herd_big_free(o->appended, o->appended_bytes);
    o->last = NULL;
    o->acks = NULL;
    o->appended = NULL;
}

size_t herd_oracle_bytes(const herd_oracle *o)
{
    return (o->last_owned ? (size_t)o->clients * sizeof(herd_sid) : 0) + herd_dedup_used_bytes(o->appended) +
           sizeof *o->acks * o->ack_cap;
}

static void involve(herd_oracle *o, uint32_t client)
{
    if (client == UINT32_MAX || o->first_nclients == HERD_ORACLE_FIRST_CLIENTS_MAX) return;
    for (uint32_t i = 0; i < o->first_nclients; i++)
        if (o->first_clients[i] == client) return;
    o->first_clients[o->first_nclients++] = client;
}

__attribute__((format(printf, 7, 0))) static void violate_v(herd_oracle *o, int inv, herd_time now, uint32_t client, uint32_t other, uint32_t room,
                      const char *fmt, va_list ap)
{
    assert(inv >= 0 && inv < HERD_INV_COUNT);
    o->count[inv]++;
    if (o->first_inv >= 0) return;
    o->first_inv = inv;
    o->first_at = now;
    o->first_nclients = 0;
    involve(o, client);
    involve(o, other);
    o->first_room = room;
    int n = snprintf(o->first_msg, sizeof o->first_msg, "%s %s violated at t=%" PRIu64 ".%06" PRIu64 "s: ",
                     inv_names[inv], inv_titles[inv], now / HERD_US_PER_S, now % HERD_US_PER_S);
    if (n >= 0 && (size_t)n < sizeof o->first_msg)
        vsnprintf(o->first_msg + n, sizeof o->first_msg - (size_t)n, fmt, ap);
    if (o->on_first) o->on_first(o, o->on_first_ctx);
}

void herd_oracle_violate(herd_oracle *o, int inv, herd_time now, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    violate_v(o, inv, now, UINT32_MAX, UINT32_MAX, HERD_ORACLE_NO_ROOM, fmt, ap);
    va_end(ap);
}

void herd_oracle_violate_by(herd_oracle *o, int inv, herd_time now, uint32_t client, uint32_t other,
                            uint32_t room, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    violate_v(o, inv, now, client, other, room, fmt, ap);
    va_end(ap);
}

/* Double the ACK ring (oldest first again) up to ack_max; on failure it
 * stays full and the oldest record is dropped (counted as unchecked). */
static void ack_grow(herd_oracle *o)
{
    if (o->ack_cap >= o->ack_max) return;
    uint32_t cap = o->ack_cap * 2 > o->ack_max ? o->ack_max : o->ack_cap * 2;
    herd_ack_record *n = malloc(sizeof *n * cap);
    if (!n) return;
    for (uint32_t k = 0; k < o->ack_len; k++) n[k] = o->acks[(o->ack_head + k) % o->ack_cap];
    free(o->acks);
    o->acks = n;
    o->ack_cap = cap;
    o->ack_head = 0;
}

#define SID_FMT "%" PRIu64 "-%" PRIu64
#define SID_ARG(s) (s).ms, (s).seq

void herd_oracle_on_ack(herd_oracle *o, const herd_store *s, herd_time now, uint32_t room,
                        herd_msg_id msg, herd_sid sid)
{
    o->acks_sent++;
    const herd_entry *e = herd_sid_is_zero(sid) ? NULL : herd_store_find(s, room, sid);
    const herd_store_stream *st = herd_store_stream_info(s, room);
    if (!e && !herd_sid_is_zero(sid) && st && herd_sid_cmp(sid, st->max_deleted) <= 0) {
        o->unchecked++; /* an ACK for a duplicate whose entry was trimmed since: unknowable */
        return;
    }
    if (!e || e->msg != msg) {
        herd_oracle_violate_by(o, HERD_INV_I5, now, herd_msg_client(msg), UINT32_MAX, room,
                               "ACK of msg %08x:%u (sid " SID_FMT ") sent before the store holds it", herd_msg_client(msg), herd_msg_seq(msg), SID_ARG(sid));
        return;
    }
    if (!herd_store_is_durable(s, e->lsn)) {
        herd_oracle_violate_by(o, HERD_INV_I5, now, herd_msg_client(msg), UINT32_MAX, room,
                               "ACK of msg %08x:%u (sid " SID_FMT ", lsn %" PRIu64
                            ") sent before its write is durable (durable lsn %" PRIu64 ")",
                            herd_msg_client(msg), herd_msg_seq(msg), SID_ARG(sid), e->lsn, s->durable_lsn);
        if (o->ack_len == o->ack_cap) ack_grow(o);
        if (o->ack_len == o->ack_cap) {
            o->unchecked++; /* the oldest record is dropped: its I1 check is skipped */
            o->ack_head = (o->ack_head + 1) % o->ack_cap;
            o->ack_len--;
        }
        uint32_t i = (o->ack_head + o->ack_len++) % o->ack_cap;
        o->acks[i] = (herd_ack_record){.sid = sid, .msg = msg, .lsn = e->lsn, .room = room};
    }
}

void herd_oracle_on_append(herd_oracle *o, herd_time now, uint32_t room, herd_msg_id msg,
                           herd_sid sid, uint64_t lsn)
{
    o->appends++;
    const herd_dedup_record *r = herd_dedup_find(o->appended, msg, now);
    if (r) {
        o->duplicates++;
        herd_oracle_violate_by(o, HERD_INV_I2, now, herd_msg_client(msg), UINT32_MAX, room,
                               "msg %08x:%u appended twice to room %u, at " SID_FMT
                            " and " SID_FMT, herd_msg_client(msg), herd_msg_seq(msg), room,
                            SID_ARG(r->sid), SID_ARG(sid));
        return;
    }
    herd_dedup_insert(o->appended, msg, sid, room, lsn, now);
}

void herd_oracle_on_deliver(herd_oracle *o, const herd_store *s, herd_time now, uint32_t client,
                            uint32_t room, herd_sid sid, herd_msg_id msg)
{
    assert(client < o->clients);
    o->deliveries++;
    herd_sid last = *last_of(o, client);
    int c = herd_sid_cmp(sid, last);
    if (c == 0) {
        o->duplicates++;
        herd_oracle_violate_by(o, HERD_INV_I3, now, client, herd_msg_client(msg), room, "client %u delivered " SID_FMT " (msg %08x:%u) twice",
                            client, SID_ARG(sid), herd_msg_client(msg), herd_msg_seq(msg));
        return;
    }
    if (c < 0) {
        o->reordered++;
        herd_oracle_violate_by(o, HERD_INV_I4, now, client, UINT32_MAX, room, "client %u delivered " SID_FMT " after " SID_FMT,
                            client, SID_ARG(sid), SID_ARG(last));
        return;
    }
    herd_entry next;
    uint32_t n = 0;
    herd_read_info info;
    if (herd_store_read(s, room, last, 1, &next, &n, &info) != HERD_OK) {
        o->unchecked++;
    } else if (n == 1 && herd_sid_cmp(next.sid, sid) < 0) {
        o->lost++;
        herd_oracle_violate_by(o, HERD_INV_I6, now, client, UINT32_MAX, room, "client %u delivered " SID_FMT
                               " after " SID_FMT " without " SID_FMT " between and without a GAP", client, SID_ARG(sid),
                            SID_ARG(last), SID_ARG(next.sid));
    } else if (herd_sid_cmp(info.max_deleted, last) > 0 && herd_sid_cmp(info.max_deleted, sid) < 0) {
        o->lost++;
        herd_oracle_violate_by(o, HERD_INV_I6, now, client, UINT32_MAX, room, "client %u delivered " SID_FMT
                               " after " SID_FMT " skipping trimmed history up to " SID_FMT " without a GAP", client,
                            SID_ARG(sid), SID_ARG(last), SID_ARG(info.max_deleted));
    } else if (herd_sid_cmp(info.max_deleted, sid) >= 0) {
        o->unchecked++; /* both ends already trimmed: what lay between is unknowable */
    }
    *last_of(o, client) = sid;
}

void herd_oracle_on_gap(herd_oracle *o, uint32_t client, herd_sid prev, herd_sid sid)
{
    assert(client < o->clients);
    o->gaps++;
    if (herd_sid_cmp(sid, *last_of(o, client)) > 0) *last_of(o, client) = sid;
}

void herd_oracle_on_fsync(herd_oracle *o, const herd_store *s)
{
    while (o->ack_len > 0 && herd_store_is_durable(s, o->acks[o->ack_head].lsn)) {
        o->ack_head = (o->ack_head + 1) % o->ack_cap;
        o->ack_len--;
    }
}

void herd_oracle_on_store_crash(herd_oracle *o, const herd_store *s, herd_time now)
{
    for (uint32_t k = 0; k < o->ack_len; k++) {
        const herd_ack_record *a = &o->acks[(o->ack_head + k) % o->ack_cap];
        const herd_entry *e = herd_store_find(s, a->room, a->sid);
        if (e && e->msg == a->msg) continue;
        const herd_store_stream *st = herd_store_stream_info(s, a->room);
        if (e == NULL && st && herd_sid_cmp(a->sid, st->max_deleted) <= 0) continue; /* trimmed */
        o->lost++;
        herd_oracle_violate_by(o, HERD_INV_I1, now, herd_msg_client(a->msg), UINT32_MAX, a->room,
                               "store crash lost ACKed msg %08x:%u (room %u, sid "
                            SID_FMT ", lsn %" PRIu64 ")", herd_msg_client(a->msg), herd_msg_seq(a->msg),
                            a->room, SID_ARG(a->sid), a->lsn);
    }
    o->ack_head = 0;
    o->ack_len = 0;
}

static bool snap_holds(const herd_queue_snap *q, uint32_t seq)
{
    if (seq - q->unacked_base >= q->next_seq - q->unacked_base) return false;
    return !((q->acked_bits >> (seq - q->unacked_base)) & 1u);
}

static bool acked_by(const herd_effect *fx, uint32_t n, herd_msg_id msg)
{
    for (uint32_t i = 0; i < n; i++)
        if (fx[i].kind == HERD_FX_ACKED && fx[i].msg == msg) return true;
    return false;
}

/* The count did not add up: name every message that left the queue without an ACKED
 * effect, or say what else broke the count (a message ACKed twice, one from nowhere). */
static void conservation_failed(herd_oracle *o, herd_time now, uint32_t client, const herd_queue_snap *before,
                                const herd_client *c, const herd_effect *fx, uint32_t n, uint32_t acked)
{
    uint64_t dropped = 0;
    for (uint32_t seq = before->unacked_base; seq != before->next_seq; seq++) {
        if (!snap_holds(before, seq) || herd_client_holds(c, seq)) continue;
        herd_msg_id msg = herd_msg_make(client, seq);
        if (acked_by(fx, n, msg)) continue;
        dropped++;
        herd_oracle_violate_by(o, HERD_INV_I8, now, client, UINT32_MAX, HERD_ORACLE_NO_ROOM, "client %u dropped msg %08x:%u from its retry queue "
                            "without an ACK (in state %s)", client, client, seq, herd_client_state_name(c->state));
    }
    o->lost_unacked += dropped;
    if (dropped == 0)
        herd_oracle_violate_by(o, HERD_INV_I8, now, client, UINT32_MAX, HERD_ORACLE_NO_ROOM, "client %u: retry queue %u -> %u with %u published and %u "
                            "ACKed in one step", client, herd_queue_snap_len(before), herd_client_queue_len(c),
                            c->next_seq - before->next_seq, acked);
}

void herd_oracle_on_client_step(herd_oracle *o, herd_time now, uint32_t client, const herd_queue_snap *before,
                                const herd_client *c, const herd_effect *fx, uint32_t n)
{
    uint32_t published = c->next_seq - before->next_seq, acked = 0;
    for (uint32_t i = 0; i < n; i++) acked += fx[i].kind == HERD_FX_ACKED;
    o->published += published;
    o->acked += acked;
    if (herd_client_queue_len(c) + acked == herd_queue_snap_len(before) + published) return;
    conservation_failed(o, now, client, before, c, fx, n, acked);
}

void herd_oracle_check_bound(herd_oracle *o, herd_time now, const char *what, uint64_t depth,
                             uint64_t max)
{
    if (depth <= max) return;
    herd_oracle_violate(o, HERD_INV_I7, now, "%s holds %" PRIu64 " > bound %" PRIu64, what, depth, max);
}

bool herd_oracle_caught_up(const herd_oracle *o, const herd_store *s, uint32_t client, uint32_t room)
{
    const herd_store_stream *st = herd_store_stream_info(s, room);
    if (!st || st->len == 0) return true;
    return herd_sid_cmp(*last_of(o, client), st->top) >= 0;
}

bool herd_oracle_safe_counts(const uint64_t count[HERD_INV_COUNT])
{
    for (int i = 0; i < HERD_INV_L1; i++)
        if (count[i]) return false;
    return true;
}

bool herd_oracle_safe(const herd_oracle *o) { return herd_oracle_safe_counts(o->count); }
