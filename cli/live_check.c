/* live_check.c — merge a live run's trace files, run the oracle over them and check
 * Redis's contents (live_check.h). */
#define _POSIX_C_SOURCE 200809L
#include "live_check.h"

#include "atomic_file.h"
#include "dedup.h"
#include "error.h"
#include "hash.h"
#include "delays.h"
#include "oracle.h"
#include "store.h"
#include "trace.h"

#ifdef HERD_HAVE_LIVE
#include "redis_store.h"
#endif

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECS_MAX (8u << 20) /* records a live check reads at most */
#define BINS_MAX (1u << 20)  /* metrics intervals at most */

/* metrics.csv's columns a live run measures, named as herd run's (render/rundir.c reads
 * by name; the accept path's columns are not measured live and are left out) */
enum { M_ATTEMPTS, M_ACCEPTS, M_PUBLISHED, M_ACKED, M_DELIVERED, M_GAPS, M_CONNECTED, METRIC_COUNT };
static const char *const metric_names[METRIC_COUNT] = {"attempts", "accepts", "published", "acked",
                                                       "delivered", "gaps", "connected"};

typedef struct mrec {
    herd_trace_rec r;
    uint64_t seq; /* file, then line: a stable order for equal times */
} mrec;

typedef struct recs {
    mrec *v;
    size_t n, cap;
} recs;

static int cmp_rec(const void *a, const void *b)
{
    const mrec *x = a, *y = b;
    if (x->r.now != y->r.now) return x->r.now < y->r.now ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int read_file(recs *R, const char *path, uint64_t file_no, char *err, size_t len)
{
    herd_trace_reader rd;
    if (herd_trace_open(&rd, path) != 0) {
        snprintf(err, len, "cannot read %s: %s", path, strerror(errno));
        return 74;
    }
    for (uint64_t line = 0;; line++) {
        if (R->n == R->cap) {
            size_t cap = R->cap ? R->cap * 2 : 4096;
            if (cap > RECS_MAX) { snprintf(err, len, "more than %u records: too long a live run to check", RECS_MAX); herd_trace_close(&rd); return 70; }
            mrec *v = realloc(R->v, cap * sizeof *v);
            if (!v) { snprintf(err, len, "out of memory merging traces"); herd_trace_close(&rd); return 70; }
            R->v = v;
            R->cap = cap;
        }
        int rc = herd_trace_read_rec(&rd, &R->v[R->n].r);
        if (rc == 0) break;
        if (rc < 0) {
            /* a process killed mid-line leaves a torn last line: the only tolerated defect */
            int c = fgetc(rd.f);
            if (c == EOF) break;
            snprintf(err, len, "%s", rd.error);
            herd_trace_close(&rd);
            return 65;
        }
        R->v[R->n].seq = file_no << 40 | line;
        R->n++;
    }
    herd_trace_close(&rd);
    return 0;
}

static void write_header(FILE *f, const herd_live_check_in *in)
{
    herd_trace_header h;
    const herd_world_config *w = &in->sc->world;
    herd_trace_header_init(&h, "live");
    herd_trace_header_str(&h, "scenario", in->scenario_path);
    herd_trace_header_u64(&h, "seed", in->seed);
    herd_trace_header_u64(&h, "clients", w->clients);
    herd_trace_header_u64(&h, "servers", w->servers);
    herd_trace_header_u64(&h, "rooms", w->rooms);
    herd_trace_header_u64(&h, "duration_us", w->duration_us);
    herd_trace_header_machines(&h, &w->client, &w->server, &w->store);
    herd_trace_write_header(f, &h);
}

typedef struct judge {
    herd_oracle o;
    herd_store *shadow;
    herd_dedup *acks;      /* msg -> the sid its ACK named */
    size_t acks_bytes;
    uint64_t published, acked, delivered, attempts, gaps, unchecked_appends;
    uint64_t recovered_appends; /* appends known only from a `duplicate` answer */
    uint64_t wasted;            /* handshakes completed for abandoned attempts (clients.c) */
    herd_delays delays;         /* reconnect delays, lost LIVE -> LIVE again (delays.json) */
    uint32_t *lost_ms;          /* per client: the delays' word (sim/delays.h) */
    uint64_t opens, closes;
    uint8_t *is_live;       /* per client: LIVE now (RESUMED seen, no close since) */
    uint32_t nlive;
    herd_time all_live_at;  /* the last instant every client became LIVE; NEVER if not */
    uint64_t sec_attempts, peak_attempts;
    herd_time sec;          /* the one-second bin sec_attempts counts */
    uint32_t live, stopped, behind;
    uint64_t queued;
    /* metrics.csv: per interval, counters of what happened in it and LIVE clients at its end */
    herd_time interval_us;
    uint32_t nbins;
    uint64_t (*bin)[METRIC_COUNT];
    herd_time last_open_us; /* relative to t0: the last connection opened */
} judge;

static bool is_append(const herd_trace_rec *r)
{
    return r->what == HERD_TRACE_INPUT && !strcmp(r->name, "execute") && !strcmp(r->text, "appended");
}

/* A store answer `duplicate`: Redis's script found the message already in the stream at
 * sid. When a server was killed between its Redis append and its `appended` record, this
 * answer (to the client's resend) is the trace's only word of that append. */
static bool is_dup(const herd_trace_rec *r)
{
    return r->what == HERD_TRACE_INPUT && !strcmp(r->name, "execute") && !strcmp(r->text, "duplicate") &&
           (r->has & HERD_TF_SID) && !herd_sid_is_zero(r->sid);
}

static int cmp_append(const void *a, const void *b)
{
    const herd_trace_rec *x = *(const herd_trace_rec *const *)a, *y = *(const herd_trace_rec *const *)b;
    if (x->room != y->room) return x->room < y->room ? -1 : 1;
    int c = herd_sid_cmp(x->sid, y->sid);
    if (c) return c;
    if (is_append(x) != is_append(y)) return is_append(x) ? -1 : 1; /* the append's own record first */
    return x->now < y->now ? -1 : x->now > y->now;
}

/* Every append, in each stream's id order, into the shadow store and the oracle (I2),
 * before the other records. Two servers write their records in the order their Redis
 * replies came back, which need not be the order of the ids Redis gave; an append whose
 * ACK or delivery follows is in the shadow store by then either way, and a stream only
 * grows (trimming is judged by the oracle through max_deleted).
 * An append with no `appended` record (its server was SIGKILLed between the Redis write and
 * the record) enters from the first `duplicate` answer naming its (room, sid): Redis said
 * it holds it, and the final read of Redis (check_redis) holds every ACKed sid to that, so
 * a server answering `duplicate` for what Redis lacks is still caught (I1). */
static int load_appends(judge *J, mrec *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += is_append(&v[i].r) || is_dup(&v[i].r);
    const herd_trace_rec **ap = malloc((k ? k : 1) * sizeof *ap);
    if (!ap) return -1;
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (is_append(&v[i].r) || is_dup(&v[i].r)) ap[k++] = &v[i].r;
    qsort(ap, k, sizeof *ap, cmp_append);
    for (size_t i = 0; i < k; i++) {
        const herd_trace_rec *r = ap[i];
        if (!is_append(r)) {
            const herd_trace_rec *p = i ? ap[i - 1] : NULL;
            if (p && p->room == r->room && herd_sid_cmp(p->sid, r->sid) == 0) continue; /* known */
            J->recovered_appends++;
        }
        herd_sid got;
        if (herd_store_xadd(J->shadow, r->now, r->room, &r->sid, r->msg, &got) != HERD_OK) {
            J->unchecked_appends++; /* the same id twice: Redis lost a tail in a crash */
            continue;
        }
        const herd_entry *e = herd_store_find(J->shadow, r->room, r->sid);
        herd_oracle_on_append(&J->o, r->now, r->room, r->msg, r->sid, e ? e->lsn : 0);
    }
    free(ap);
    return 0;
}

static void count(judge *J, herd_time now, int m)
{
    uint32_t b = (uint32_t)(now / J->interval_us);
    J->bin[b < J->nbins ? b : J->nbins - 1][m]++;
}

static void on_rec(judge *J, const herd_trace_rec *r, herd_time now)
{
    const char *a = r->actor;
    if (is_append(r)) {
        return; /* the shadow store and I2 had every append first (load_appends) */
    } else if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "send") && r->frame == HERD_FRAME_ACK) {
        herd_oracle_on_ack(&J->o, J->shadow, now, r->room, r->msg, r->sid);
        if (!herd_dedup_find(J->acks, r->msg, now)) herd_dedup_insert(J->acks, r->msg, r->sid, r->room, 0, now);
    }
    if (strncmp(a, "client:", 7) != 0) return;
    uint32_t cid = (uint32_t)strtoul(a + 7, NULL, 10); /* the actor names the client */
    if (cid >= J->o.clients) return;
    if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "deliver")) {
        J->delivered++;
        count(J, now, M_DELIVERED);
        herd_oracle_on_deliver(&J->o, J->shadow, now, cid, r->room, r->sid, r->msg);
    } else if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "gap")) {
        J->gaps++;
        count(J, now, M_GAPS);
        herd_oracle_on_gap(&J->o, cid, r->prev, r->sid);
    } else if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "wasted_handshake")) {
        J->wasted++;
    } else if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "forget")) {
        J->o.lost_unacked++; /* the client process's queue audit (live/clients.c) */
        herd_oracle_violate_by(&J->o, HERD_INV_I8, now, cid, UINT32_MAX, r->room, "client %u dropped msg %08x:%u: %s", cid,
                               herd_msg_client(r->msg), herd_msg_seq(r->msg), r->text);
    } else if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "queue_over")) {
        herd_oracle_violate_by(&J->o, HERD_INV_I7, now, cid, UINT32_MAX, HERD_ORACLE_NO_ROOM, "client %u: %s", cid, r->text);
    } else if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "acked")) {
        J->acked++;
        count(J, now, M_ACKED);
    } else if (r->what == HERD_TRACE_EFFECT && !strcmp(r->name, "connect")) {
        J->attempts++;
        count(J, now, M_ATTEMPTS);
        if (now / 1000000u != J->sec) { J->sec = now / 1000000u; J->sec_attempts = 0; }
        if (++J->sec_attempts > J->peak_attempts) J->peak_attempts = J->sec_attempts;
    } else if (r->what == HERD_TRACE_INPUT && !strcmp(r->name, "frame") && r->frame == HERD_FRAME_RESUMED) {
        if (!J->is_live[cid]) {
            J->is_live[cid] = 1;
            herd_delays_back(&J->delays, &J->lost_ms[cid], now);
            if (++J->nlive == J->o.clients) J->all_live_at = now;
        }
    } else if (!strcmp(r->name, "close") || (r->what == HERD_TRACE_INPUT && !strcmp(r->name, "frame") && r->frame == HERD_FRAME_CLOSE)) {
        J->closes++;
        if (J->is_live[cid]) {
            J->is_live[cid] = 0;
            J->nlive--;
            J->all_live_at = HERD_TIME_NEVER;
            herd_delays_lost(&J->delays, &J->lost_ms[cid], now);
        }
    } else if (r->what == HERD_TRACE_INPUT && !strcmp(r->name, "publish")) {
        J->published++;
        count(J, now, M_PUBLISHED);
    } else if (r->what == HERD_TRACE_INPUT && !strcmp(r->name, "open")) {
        J->opens++;
        count(J, now, M_ACCEPTS);
        J->last_open_us = now;
    } else if (r->what == HERD_TRACE_STEP && !strcmp(r->name, "final")) {
        char state[24] = "";
        unsigned q = 0;
        if (sscanf(r->text, "final %23s queue %u", state, &q) == 2) {
            J->queued += q;
            if (!strcmp(state, "live")) J->live++;
            if (!strcmp(state, "stopped")) J->stopped++;
            if (!herd_oracle_caught_up(&J->o, J->shadow, cid, r->room)) J->behind++;
        }
    }
}

/* DIR/metrics.csv, written whole or not at all, up to the last interval with records. */
static int write_metrics(const judge *J, const char *dir, herd_time last, char *err, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    if (!f) { snprintf(err, len, "cannot write %s: %s", path, strerror(errno)); return 74; }
    fprintf(f, "t_s");
    for (int m = 0; m < METRIC_COUNT; m++) fprintf(f, ",%s", metric_names[m]);
    fprintf(f, "\n");
    uint32_t end = (uint32_t)(last / J->interval_us) + 1u;
    if (end > J->nbins) end = J->nbins;
    for (uint32_t b = 0; b < end; b++) {
        herd_time t = (herd_time)(b + 1u) * J->interval_us;
        fprintf(f, "%" PRIu64 ".%06" PRIu64, t / 1000000u, t % 1000000u);
        for (int m = 0; m < METRIC_COUNT; m++) fprintf(f, ",%" PRIu64, J->bin[b][m]);
        fprintf(f, "\n");
    }
    if (herd_afile_commit(&af) != 0) { snprintf(err, len, "cannot write %s: %s", path, strerror(errno)); return 74; }
    return 0;
}

/* DIR/delays.json as herd run writes it (sim/delays.h), whole or not at all. */
static int write_delays(const judge *J, const char *dir, char *err, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/delays.json", dir);
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    int ok = f != NULL;
    if (ok && herd_delays_write_json(&J->delays, f) != 0) { herd_afile_abort(&af); ok = 0; }
    else if (ok && herd_afile_commit(&af) != 0) ok = 0;
    if (!ok) { snprintf(err, len, "cannot write %s: %s", path, strerror(errno)); return 74; }
    return 0;
}

static int judge_init(judge *J, const herd_world_config *w, uint64_t nrecs)
{
    memset(J, 0, sizeof *J);
    uint32_t cap = nrecs < 1024 ? 1024 : nrecs > (1u << 24) ? (1u << 24) : (uint32_t)nrecs;
    if (herd_oracle_init(&J->o, w->clients, cap) != HERD_OK) return -1;
    J->all_live_at = HERD_TIME_NEVER;
    J->interval_us = w->metrics_interval_us ? w->metrics_interval_us : 100000u;
    uint64_t nb = (w->duration_us + 60u * HERD_US_PER_S) / J->interval_us + 1u; /* the run, and its tail */
    J->nbins = nb > BINS_MAX ? BINS_MAX : (uint32_t)nb;
    J->bin = calloc(J->nbins, sizeof *J->bin);
    if (!J->bin) return -1;
    J->is_live = calloc(w->clients ? w->clients : 1, 1);
    if (!J->is_live) return -1;
    J->lost_ms = calloc(w->clients ? w->clients : 1, sizeof *J->lost_ms);
    if (!J->lost_ms || herd_delays_init(&J->delays, w->duration_us + 60u * HERD_US_PER_S) != HERD_OK) return -1;
    herd_store_config sc = w->store;
    sc.durability = HERD_DURABLE_AOF_ALWAYS; /* Redis replied: its AOF mode is judged on Redis itself */
    sc.grow = 1;
    sc.dedup_capacity = 1;
    size_t bytes = herd_store_bytes(&sc);
    J->shadow = bytes ? calloc(1, bytes) : NULL;
    if (!J->shadow || herd_store_init(J->shadow, bytes, &sc, 0) != HERD_OK) return -1;
    J->acks_bytes = herd_dedup_bytes(cap);
    J->acks = calloc(1, J->acks_bytes);
    if (!J->acks || herd_dedup_init_growing(J->acks, J->acks_bytes, cap, 0) != HERD_OK) return -1;
    return 0;
}

static void judge_free(judge *J)
{
    herd_oracle_free(&J->o);
    free(J->is_live);
    free(J->lost_ms);
    herd_delays_free(&J->delays);
    free(J->bin);
    free(J->shadow);
    free(J->acks);
}

#ifdef HERD_HAVE_LIVE
/* Read every stream whole: an id twice is I2; an ACKed id absent (and not trimmed) is I1. */
static int check_redis(judge *J, const herd_live_check_in *in, herd_time now, char *err, size_t len)
{
    const herd_world_config *w = &in->sc->world;
    herd_live_redis *rs = herd_live_redis_open(in->redis_port, w->store.maxlen);
    uint32_t cap = 1u << 22;
    size_t bytes = herd_dedup_bytes(cap);
    herd_dedup *seen = bytes ? calloc(1, bytes) : NULL;
    if (!rs || !seen || herd_dedup_init_growing(seen, bytes, cap, 0) != HERD_OK) {
        herd_live_redis_close(rs);
        free(seen);
        snprintf(err, len, "out of memory reading Redis");
        return 70;
    }
    herd_entry ent[HERD_READ_MAX];
    /* each stream's largest trimmed id at the end (XINFO max-deleted-entry-id): an ACKed id
     * at or below it was trimmed by MAXLEN; one above it that is absent was lost */
    herd_sid *trimmed = calloc(w->rooms, sizeof *trimmed);
    static herd_store_result res;
    int rc = trimmed ? 0 : 70;
    for (uint32_t room = 0; room < w->rooms && rc == 0; room++) {
        herd_store_req req = {.op = HERD_STORE_OP_READ, .limit = 1, .room = room};
        if (herd_live_redis_execute(rs, now, &req, &res) != HERD_OK) {
            snprintf(err, len, "Redis did not answer the final read of room %" PRIu32, room);
            rc = 74;
            break;
        }
        trimmed[room] = res.info.max_deleted;
        herd_sid after = HERD_SID_ZERO;
        for (uint32_t guard = 0; guard < (1u << 26) / HERD_READ_MAX; guard++) {
            int n = herd_live_redis_range(rs, room, after, HERD_READ_MAX, ent);
            if (n < 0) { snprintf(err, len, "Redis did not answer the final read of room %" PRIu32, room); rc = 74; break; }
            for (int i = 0; i < n; i++) {
                const herd_dedup_record *d = herd_dedup_find(seen, ent[i].msg, now);
                if (d) {
                    J->o.duplicates++;
                    herd_oracle_violate_by(&J->o, HERD_INV_I2, now, herd_msg_client(ent[i].msg), UINT32_MAX, room,
                                           "Redis holds msg %08x:%u twice in room %" PRIu32 ", at %" PRIu64 "-%" PRIu64 " and %" PRIu64 "-%" PRIu64,
                                           herd_msg_client(ent[i].msg), herd_msg_seq(ent[i].msg), room, d->sid.ms, d->sid.seq,
                                           ent[i].sid.ms, ent[i].sid.seq);
                } else if (herd_dedup_insert(seen, ent[i].msg, ent[i].sid, room, 0, now) != HERD_OK) {
                    J->o.unchecked++;
                }
            }
            if (n < (int)HERD_READ_MAX) break;
            after = ent[n - 1].sid;
        }
    }
    /* Every ACK the servers sent: its id must be in its room's stream, unless trimmed
     * (at or below the stream's max-deleted-entry-id) or ACKed before any write (sid 0-0: I5's business). */
    const herd_dedup_record *ring = (const herd_dedup_record *)(J->acks + 1); /* dedup.h layout */
    for (uint32_t i = 0; rc == 0 && i < J->acks->count; i++) {
        const herd_dedup_record *a = &ring[(J->acks->head + i) % J->acks->capacity];
        if (herd_sid_is_zero(a->sid) || herd_dedup_find(seen, a->msg, now)) continue;
        if (a->room < w->rooms && herd_sid_cmp(a->sid, trimmed[a->room]) <= 0) { J->o.unchecked++; continue; }
        J->o.lost++;
        herd_oracle_violate_by(&J->o, HERD_INV_I1, now, herd_msg_client(a->msg), UINT32_MAX, a->room,
                               "msg %08x:%u was ACKed at %" PRIu64 "-%" PRIu64 " but Redis's room %" PRIu32 " does not hold it at the end",
                               herd_msg_client(a->msg), herd_msg_seq(a->msg), a->sid.ms, a->sid.seq, a->room);
    }
    free(trimmed);
    herd_live_redis_close(rs);
    free(seen);
    return rc;
}
#endif

static void fill_report(judge *J, const herd_live_check_in *in, herd_report *rep)
{
    const herd_world_config *w = &in->sc->world;
    const herd_expect *e = &in->sc->expect;
    rep->scenario = in->scenario_path;
    rep->seed = in->seed;
    rep->clients = w->clients;
    rep->published = J->published;
    rep->acked = J->acked;
    rep->delivered = J->delivered;
    rep->attempts = J->attempts;
    rep->accepts = J->opens;
    rep->lost = J->o.lost;
    rep->duplicates = J->o.duplicates;
    rep->reordered = J->o.reordered;
    rep->queued = J->queued;
    rep->lost_unacked = J->o.lost_unacked;
    rep->wasted = J->wasted;
    rep->live.live = J->live;
    rep->live.stopped = J->stopped;
    rep->live.queued = J->queued;
    rep->live.behind = J->behind;
    rep->last_heal_us = in->last_heal_us;
    rep->recovered = J->live == w->clients && J->queued == 0 && J->behind == 0;
    /* every client LIVE again for the last time, not before the last heal */
    rep->peak_attempts_per_s = J->peak_attempts;
    rep->recovered_at_us = rep->recovered && J->all_live_at != HERD_TIME_NEVER
                               ? (J->all_live_at > in->last_heal_us ? J->all_live_at : in->last_heal_us)
                               : HERD_TIME_NEVER;
    if (!rep->recovered) J->o.count[HERD_INV_L1]++;
    memcpy(rep->violations, J->o.count, sizeof rep->violations);
    if (J->o.first_inv >= 0) {
        snprintf(rep->first_violation, sizeof rep->first_violation, "%s", J->o.first_msg);
        rep->first_violation_at_us = J->o.first_at;
        rep->first_violation_nclients = J->o.first_nclients;
        memcpy(rep->first_violation_clients, J->o.first_clients, sizeof rep->first_violation_clients);
        rep->first_violation_room = J->o.first_room;
    } else {
        rep->first_violation_room = HERD_ORACLE_NO_ROOM;
    }
    bool safe = herd_oracle_safe_counts(J->o.count);
    herd_expectation *x = &rep->exp[rep->nexp++];
    if (e->safety == HERD_EXPECT_HOLDS) {
        snprintf(x->name, sizeof x->name, "safety holds (I1-I8)");
        x->ok = safe;
    } else {
        snprintf(x->name, sizeof x->name, "safety violated (%s)", e->violates >= 0 ? herd_invariant_name(e->violates) : "any");
        x->ok = !safe && (e->violates < 0 || J->o.count[e->violates] > 0);
    }
    snprintf(x->detail, sizeof x->detail, "%s", J->o.first_inv >= 0 ? J->o.first_msg : "no violation");
    x = &rep->exp[rep->nexp++];
    if (e->recover_set && e->recover_never) {
        snprintf(x->name, sizeof x->name, "L1 never recovers");
        x->ok = !rep->recovered;
    } else if (e->recover_set) {
        snprintf(x->name, sizeof x->name, "L1 recovers within %" PRIu64 " ms", e->recovers_within_us / 1000u);
        x->ok = rep->recovered && rep->recovered_at_us - rep->last_heal_us <= e->recovers_within_us;
    } else {
        snprintf(x->name, sizeof x->name, "L1 recovers before the run ends");
        x->ok = rep->recovered;
    }
    snprintf(x->detail, sizeof x->detail, "%" PRIu32 " of %" PRIu32 " clients LIVE at the end, %" PRIu64
             " messages queued, %" PRIu32 " subscribers behind", J->live, w->clients, J->queued, J->behind);
    rep->pass = true;
    for (uint32_t i = 0; i < rep->nexp; i++) rep->pass = rep->pass && rep->exp[i].ok;
}

int herd_live_check(const herd_live_check_in *in, herd_report *rep, char *err, size_t err_len)
{
    recs R = {0};
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s/proc-*.jsonl", in->dir);
    glob_t g;
    int rc = 0;
    if (glob(pattern, 0, NULL, &g) != 0) { snprintf(err, err_len, "no trace files in %s", in->dir); return 74; }
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) rc = read_file(&R, g.gl_pathv[i], i, err, err_len);
    globfree(&g);
    if (rc) { free(R.v); return rc; }
    qsort(R.v, R.n, sizeof *R.v, cmp_rec);
    judge J;
    if (judge_init(&J, &in->sc->world, R.n) != 0) { judge_free(&J); free(R.v); snprintf(err, err_len, "out of memory"); return 70; }
    char path[4200];
    snprintf(path, sizeof path, "%s/trace.jsonl", in->dir);
    FILE *f = fopen(path, "w");
    if (!f) { judge_free(&J); free(R.v); snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno)); return 74; }
    write_header(f, in);
    herd_time last = 0;
    for (size_t i = 0; i < R.n; i++) {
        herd_trace_rec *r = &R.v[i].r;
        r->now = r->now > in->t0_us ? r->now - in->t0_us : 0;
        r->step = (uint32_t)(i + 1);
        herd_trace_write_rec(f, r);
    }
    if (load_appends(&J, R.v, R.n) != 0) rc = 70;
    if (J.recovered_appends)
        fprintf(stderr, "herd live: %" PRIu64 " append(s) without an `appended` record (a server killed between "
                "its Redis write and the record) taken from Redis's `duplicate` answers\n", J.recovered_appends);
    uint32_t gauge_bin = 0;
    for (size_t i = 0; i < R.n; i++) {
        herd_time now = R.v[i].r.now;
        on_rec(&J, &R.v[i].r, now);
        uint32_t b = (uint32_t)(now / J.interval_us);
        if (b >= J.nbins) b = J.nbins - 1;
        for (; gauge_bin < b; gauge_bin++) J.bin[gauge_bin + 1][M_CONNECTED] = J.bin[gauge_bin][M_CONNECTED];
        J.bin[b][M_CONNECTED] = J.nlive;
        last = now;
    }
    if (rc == 0) rc = write_metrics(&J, in->dir, last, err, err_len);
    if (rc == 0) rc = write_delays(&J, in->dir, err, err_len);
    if (fclose(f) != 0) rc = 74;
#ifdef HERD_HAVE_LIVE
    if (rc == 0 && in->redis_port) rc = check_redis(&J, in, last, err, err_len);
#endif
    if (rc == 0) {
        fill_report(&J, in, rep);
        rep->events = R.n;
    }
    judge_free(&J);
    free(R.v);
    return rc;
}
