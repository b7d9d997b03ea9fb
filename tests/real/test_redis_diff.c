/* test_redis_diff.c — the stream store model (src/store.c) against a real Redis, result by
 * result: seeded random operation sequences applied to both, ids and errors included.
 *
 * Operations: publish-with-dedup through the recipe script docs/recipes/redis_publish.lua
 * (fresh messages and resends), plain XADD with automatic ids, XADD with explicit ids
 * above, at and below the top and 0-0 (Redis's error text compared word for word),
 * XRANGE "(" + COUNT and XREAD COUNT from exclusive ids, XTRIM MAXLEN = n and MINID
 * through docs/recipes/redis_trim.lua, and after every operation XINFO STREAM (length,
 * first-entry, last-generated-id, max-deleted-entry-id, entries-added).
 *
 * Ids must be deterministic on both sides, so the random runs drive a virtual clock and
 * send "<ms>-*" for an automatic id, with ms = max(virtual now, top.ms): exactly the ms
 * Redis's "*" picks when its clock reads the virtual now (a clock behind the top is
 * replaced by the top's ms). A separate test sends a real "*" and checks the model
 * against Redis's clock, bracketed by our reads of the same clock; another checks the
 * dedup TTL in real time the same way. A mismatch prints the seed, the operation index,
 * the operation and both results; HERD_REAL_SEED=<seed> replays one seed. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "real.h"
#include "rng.h"
#include "store.h"

#define DIFF_ROOMS 3u
#define DIFF_MAXLEN 40u /* <= HERD_READ_MAX: one read sees a whole stream */
#define DIFF_CLIENTS 4u
#define DIFF_SENT_MAX 8192u
#define DIFF_TEXT 8192
#define DIFF_TTL_MS "3600000" /* the random runs never reach a TTL: see ttl test */
#define DIFF_SEEDS 5u
#define DIFF_OPS 3000u

static const char *const diff_err_top =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
static const char *const diff_err_zero = "ERR The ID specified in XADD must be greater than 0-0";

typedef struct diff_run {
    redisContext *c;
    char sha_publish[48], sha_trim[48];
    herd_store *model;
    uint64_t seed;
    uint32_t op;
    herd_rng rng;
    uint64_t now_ms; /* virtual clock */
    char prefix[64];
    uint32_t client_seq[DIFF_CLIENTS];
    herd_msg_id sent[DIFF_SENT_MAX];
    uint32_t nsent;
    char what[160], m[DIFF_TEXT], r[DIFF_TEXT]; /* the operation, model's and Redis's result */
} diff_run;

/* ---- setup --------------------------------------------------------------------------- */

static void diff_script_load(redisContext *c, const char *file, char sha[48])
{
    char *text = real_source_file(file);
    const char *argv[] = {"SCRIPT", "LOAD", text};
    redisReply *rep = real_redis_cmd(c, 3, argv);
    cr_assert_eq(rep->type, REDIS_REPLY_STRING, "SCRIPT LOAD %s: %s", file,
                 rep->type == REDIS_REPLY_ERROR ? rep->str : "not a string");
    snprintf(sha, 48, "%s", rep->str);
    freeReplyObject(rep);
    free(text);
}

static herd_store *diff_model_new(uint32_t rooms, uint32_t maxlen, herd_time window_us)
{
    herd_store_config cfg = {.rooms = rooms, .maxlen = maxlen, .dedup_capacity = 1u << 16,
                             .durability = HERD_DURABLE_AOF_ALWAYS, .dedup_window_us = window_us};
    size_t bytes = herd_store_bytes(&cfg);
    herd_store *s = malloc(bytes);
    cr_assert_not_null(s);
    cr_assert_eq(herd_store_init(s, bytes, &cfg, 0), HERD_OK);
    return s;
}

static void diff_key(const diff_run *d, uint32_t room, char *out, size_t cap)
{
    snprintf(out, cap, "%ss:%u", d->prefix, room);
}

static herd_sid diff_top(const diff_run *d, uint32_t room)
{
    return herd_store_stream_info(d->model, room)->top;
}

/* ---- Redis replies as text ------------------------------------------------------------ */

/* An entry [id, [field, value ...]] as "id:msg". */
static void diff_text_entry(const redisReply *e, char *out, size_t cap)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->type != REDIS_REPLY_ARRAY ||
        e->element[1]->elements != 2) {
        snprintf(out, cap, "<malformed entry>");
        return;
    }
    snprintf(out, cap, "%s:%s", e->element[0]->str, e->element[1]->element[1]->str);
}

static void diff_text_entries(const redisReply *arr, char *out, size_t cap)
{
    size_t n = arr == NULL ? 0 : arr->elements, used = 0;
    used += (size_t)snprintf(out, cap, "n=%zu", n);
    for (size_t i = 0; i < n && used < cap; i++) {
        char one[96];
        diff_text_entry(arr->element[i], one, sizeof one);
        used += (size_t)snprintf(out + used, cap - used, " %s", one);
    }
}

static void diff_text_model_entries(const herd_entry *e, uint32_t n, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "n=%u", n);
    for (uint32_t i = 0; i < n && used < cap; i++) {
        char id[REAL_SID_CHARS];
        real_sid_fmt(e[i].sid, id);
        used += (size_t)snprintf(out + used, cap - used, " %s:%" PRIu64, id, e[i].msg);
    }
}

/* {1|2, id} from the publish script, or its error. */
static void diff_text_publish_reply(const redisReply *rep, char *out, size_t cap)
{
    if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(out, cap, "error %s", rep->str);
    } else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
               rep->element[0]->type == REDIS_REPLY_INTEGER) {
        snprintf(out, cap, "%s %s", rep->element[0]->integer == 1 ? "appended" : "duplicate",
                 rep->element[1]->str);
    } else {
        snprintf(out, cap, "<unexpected reply type %d>", rep->type);
    }
}

/* The model's answer to an append, in the same words. */
static void diff_text_model_append(int rc, int status, herd_sid sid, herd_sid asked, char *out,
                                   size_t cap)
{
    char id[REAL_SID_CHARS];
    real_sid_fmt(sid, id);
    if (rc == HERD_ESTORE_ID)
        snprintf(out, cap, "error %s", herd_sid_is_zero(asked) ? diff_err_zero : diff_err_top);
    else if (rc != HERD_OK)
        snprintf(out, cap, "error herd %d (%s)", rc, herd_strerror(rc));
    else
        snprintf(out, cap, "%s %s", status == HERD_PUBLISH_DUPLICATE ? "duplicate" : "appended", id);
}

/* ---- one operation each, on both sides --------------------------------------------------- */

static redisReply *diff_eval_publish(diff_run *d, uint32_t room, herd_msg_id msg, int dedup,
                                     const char *idspec)
{
    char key[96], dkey[96], msgs[24], maxlen[16];
    diff_key(d, room, key, sizeof key);
    snprintf(dkey, sizeof dkey, "%sdd:%" PRIu64, d->prefix, msg);
    snprintf(msgs, sizeof msgs, "%" PRIu64, msg);
    snprintf(maxlen, sizeof maxlen, "%u", DIFF_MAXLEN);
    const char *with[] = {"EVALSHA", d->sha_publish, "2", key, dkey, msgs, DIFF_TTL_MS, idspec, maxlen};
    const char *plain[] = {"EVALSHA", d->sha_publish, "1", key, msgs, DIFF_TTL_MS, idspec, maxlen};
    return dedup ? real_redis_cmd(d->c, 9, with) : real_redis_cmd(d->c, 8, plain);
}

/* Publish (dedup) or plain XADD with an automatic id at the virtual now. */
static void diff_op_auto(diff_run *d, uint32_t room, herd_msg_id msg, int dedup)
{
    herd_sid top = diff_top(d, room);
    char idspec[32];
    snprintf(idspec, sizeof idspec, "%" PRIu64 "-*", d->now_ms > top.ms ? d->now_ms : top.ms);
    snprintf(d->what, sizeof d->what, "%s room %u msg %" PRIu64 " at %" PRIu64 " ms (%s)",
             dedup ? "publish-dedup" : "xadd-auto", room, msg, d->now_ms, idspec);
    herd_time now = d->now_ms * HERD_US_PER_MS;
    herd_publish_result res = {0};
    int rc = dedup ? herd_store_publish(d->model, now, room, msg, 1, &res)
                   : herd_store_xadd(d->model, now, room, NULL, msg, &res.sid);
    diff_text_model_append(rc, res.status, res.sid, top, d->m, sizeof d->m);
    redisReply *rep = diff_eval_publish(d, room, msg, dedup, idspec);
    diff_text_publish_reply(rep, d->r, sizeof d->r);
    freeReplyObject(rep);
}

static void diff_op_explicit(diff_run *d, uint32_t room, herd_sid id, herd_msg_id msg)
{
    char idspec[REAL_SID_CHARS];
    real_sid_fmt(id, idspec);
    snprintf(d->what, sizeof d->what, "xadd room %u id %s msg %" PRIu64, room, idspec, msg);
    herd_sid got = HERD_SID_ZERO;
    int rc = herd_store_xadd(d->model, d->now_ms * HERD_US_PER_MS, room, &id, msg, &got);
    diff_text_model_append(rc, HERD_PUBLISH_APPENDED, got, id, d->m, sizeof d->m);
    redisReply *rep = diff_eval_publish(d, room, msg, 0, idspec);
    diff_text_publish_reply(rep, d->r, sizeof d->r);
    freeReplyObject(rep);
}

static void diff_op_read(diff_run *d, uint32_t room, herd_sid after, uint32_t limit, int xread)
{
    char key[96], start[REAL_SID_CHARS + 1], count[16], id[REAL_SID_CHARS];
    diff_key(d, room, key, sizeof key);
    real_sid_fmt(after, id);
    snprintf(start, sizeof start, "(%s", id);
    snprintf(count, sizeof count, "%u", limit);
    snprintf(d->what, sizeof d->what, "%s room %u after %s count %u", xread ? "XREAD" : "XRANGE",
             room, id, limit);
    herd_entry out[HERD_READ_MAX];
    uint32_t n = 0;
    cr_assert_eq(herd_store_read(d->model, room, after, limit, out, &n, NULL), HERD_OK);
    diff_text_model_entries(out, n, d->m, sizeof d->m);
    const char *xrange[] = {"XRANGE", key, start, "+", "COUNT", count};
    const char *xr[] = {"XREAD", "COUNT", count, "STREAMS", key, id};
    redisReply *rep = xread ? real_redis_cmd(d->c, 6, xr) : real_redis_cmd(d->c, 6, xrange);
    if (rep->type == REDIS_REPLY_ERROR)
        snprintf(d->r, sizeof d->r, "error %s", rep->str);
    else if (xread && rep->type == REDIS_REPLY_ARRAY) /* [[key, entries]] */
        diff_text_entries(rep->element[0]->element[1], d->r, sizeof d->r);
    else
        diff_text_entries(rep->type == REDIS_REPLY_ARRAY ? rep : NULL, d->r, sizeof d->r);
    freeReplyObject(rep);
}

static void diff_op_trim(diff_run *d, uint32_t room, int minid, uint32_t maxlen, herd_sid id)
{
    char key[96], arg[REAL_SID_CHARS];
    diff_key(d, room, key, sizeof key);
    if (minid) real_sid_fmt(id, arg);
    else snprintf(arg, sizeof arg, "%u", maxlen);
    snprintf(d->what, sizeof d->what, "XTRIM room %u %s = %s", room, minid ? "MINID" : "MAXLEN", arg);
    int k = minid ? herd_store_trim_minid(d->model, room, id)
                  : herd_store_trim_maxlen(d->model, room, maxlen);
    snprintf(d->m, sizeof d->m, "removed %d", k);
    const char *argv[] = {"EVALSHA", d->sha_trim, "1", key, minid ? "MINID" : "MAXLEN", arg};
    redisReply *rep = real_redis_cmd(d->c, 6, argv);
    if (rep->type == REDIS_REPLY_INTEGER) snprintf(d->r, sizeof d->r, "removed %lld", rep->integer);
    else snprintf(d->r, sizeof d->r, "error %s", rep->type == REDIS_REPLY_ERROR ? rep->str : "?");
    freeReplyObject(rep);
}

/* ---- XINFO STREAM ------------------------------------------------------------------------ */

static void diff_text_info(char *out, size_t cap, long long len, const char *first,
                           const char *last, const char *maxdel, long long added)
{
    snprintf(out, cap, "length=%lld first-entry=%s last-generated-id=%s max-deleted-entry-id=%s "
             "entries-added=%lld", len, first, last, maxdel, added);
}

static void diff_text_xinfo(const redisReply *rep, char *out, size_t cap)
{
    if (rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "no such key") != NULL) {
        diff_text_info(out, cap, 0, "0-0", "0-0", "0-0", 0); /* never created */
        return;
    }
    if (rep->type != REDIS_REPLY_ARRAY) {
        snprintf(out, cap, "error %s", rep->type == REDIS_REPLY_ERROR ? rep->str : "?");
        return;
    }
    long long len = -1, added = -1;
    const char *first = "0-0", *last = "?", *maxdel = "?";
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        const char *f = rep->element[i]->str;
        const redisReply *v = rep->element[i + 1];
        if (strcmp(f, "length") == 0) len = v->integer;
        else if (strcmp(f, "entries-added") == 0) added = v->integer;
        else if (strcmp(f, "last-generated-id") == 0) last = v->str;
        else if (strcmp(f, "max-deleted-entry-id") == 0) maxdel = v->str;
        else if (strcmp(f, "first-entry") == 0 && v->type == REDIS_REPLY_ARRAY) first = v->element[0]->str;
    }
    diff_text_info(out, cap, len, first, last, maxdel, added);
}

static void diff_op_info(diff_run *d, uint32_t room)
{
    char key[96];
    diff_key(d, room, key, sizeof key);
    snprintf(d->what, sizeof d->what, "XINFO STREAM room %u", room);
    const herd_store_stream *st = herd_store_stream_info(d->model, room);
    herd_entry first[1];
    uint32_t n = 0;
    cr_assert_eq(herd_store_read(d->model, room, HERD_SID_ZERO, 1, first, &n, NULL), HERD_OK);
    char f[REAL_SID_CHARS], t[REAL_SID_CHARS], x[REAL_SID_CHARS];
    real_sid_fmt(n ? first[0].sid : HERD_SID_ZERO, f);
    real_sid_fmt(st->top, t);
    real_sid_fmt(st->max_deleted, x);
    diff_text_info(d->m, sizeof d->m, st->len, f, t, x, (long long)st->added);
    const char *argv[] = {"XINFO", "STREAM", key};
    redisReply *rep = real_redis_cmd(d->c, 3, argv);
    diff_text_xinfo(rep, d->r, sizeof d->r);
    freeReplyObject(rep);
}

static void diff_check(const diff_run *d)
{
    if (strcmp(d->m, d->r) != 0)
        cr_assert_fail("model and Redis differ: seed %" PRIu64 " op %u: %s\n  model: %s\n  redis: %s\n"
                 "replay: HERD_REAL_SEED=%" PRIu64 " ctest -L real -R redis_diff",
                 d->seed, d->op, d->what, d->m, d->r, d->seed);
}

/* ---- the random runs ---------------------------------------------------------------------- */

/* An id near the stream's history: 0-0, an entry, the top, max_deleted, or in between. */
static herd_sid diff_pick_id(diff_run *d, uint32_t room)
{
    const herd_store_stream *st = herd_store_stream_info(d->model, room);
    herd_entry all[HERD_READ_MAX];
    uint32_t n = 0;
    cr_assert_eq(herd_store_read(d->model, room, HERD_SID_ZERO, HERD_READ_MAX, all, &n, NULL), HERD_OK);
    switch (herd_rng_below(&d->rng, 6)) {
    case 0: return HERD_SID_ZERO;
    case 1: return st->top;
    case 2: return st->max_deleted;
    case 3:
    case 4:
        if (n > 0) return all[herd_rng_below(&d->rng, n)].sid;
        return st->top;
    default: {
        uint64_t lo = st->max_deleted.ms > 2 ? st->max_deleted.ms - 2u : 0;
        return (herd_sid){herd_rng_range(&d->rng, lo, st->top.ms + 2u), herd_rng_below(&d->rng, 4)};
    }
    }
}

/* An explicit id: above the top, equal to it, below it, or 0-0. */
static herd_sid diff_pick_explicit(diff_run *d, uint32_t room)
{
    herd_sid top = diff_top(d, room);
    uint64_t k = herd_rng_below(&d->rng, 20);
    if (k < 7) return (herd_sid){top.ms, top.seq + 1u + herd_rng_below(&d->rng, 3)};
    if (k < 11) return (herd_sid){top.ms + 1u + herd_rng_below(&d->rng, 4), herd_rng_below(&d->rng, 3)};
    if (k < 14) return top;
    if (k < 18) {
        uint64_t ms = top.ms - herd_rng_below(&d->rng, top.ms < 3 ? top.ms + 1u : 3u);
        return (herd_sid){ms, ms == top.ms ? herd_rng_below(&d->rng, top.seq + 1u) : herd_rng_below(&d->rng, 5)};
    }
    return HERD_SID_ZERO;
}

static herd_msg_id diff_new_msg(diff_run *d)
{
    uint32_t client = (uint32_t)herd_rng_below(&d->rng, DIFF_CLIENTS);
    herd_msg_id m = herd_msg_make(client + 1u, ++d->client_seq[client]);
    if (d->nsent < DIFF_SENT_MAX) d->sent[d->nsent++] = m;
    return m;
}

static void diff_advance_clock(diff_run *d)
{
    uint64_t k = herd_rng_below(&d->rng, 20);
    if (k < 10) return; /* same millisecond: seq grows */
    if (k < 17) d->now_ms += 1;
    else if (k < 19) d->now_ms += herd_rng_range(&d->rng, 2, 5);
    else d->now_ms += herd_rng_range(&d->rng, 20, 100);
}

static void diff_random_op(diff_run *d)
{
    uint32_t room = (uint32_t)herd_rng_below(&d->rng, DIFF_ROOMS);
    uint64_t k = herd_rng_below(&d->rng, 100);
    diff_advance_clock(d);
    if (k < 30) diff_op_auto(d, room, diff_new_msg(d), 1);
    else if (k < 40 && d->nsent > 0) diff_op_auto(d, room, d->sent[herd_rng_below(&d->rng, d->nsent)], 1);
    else if (k < 50) diff_op_auto(d, room, diff_new_msg(d), 0);
    else if (k < 62) diff_op_explicit(d, room, diff_pick_explicit(d, room), diff_new_msg(d));
    else if (k < 84)
        diff_op_read(d, room, diff_pick_id(d, room), (uint32_t)herd_rng_range(&d->rng, 1, HERD_READ_MAX),
                     (int)herd_rng_below(&d->rng, 2));
    else if (k < 92)
        diff_op_trim(d, room, 0, (uint32_t)herd_rng_below(&d->rng, herd_store_stream_info(d->model, room)->len + 3u),
                     HERD_SID_ZERO);
    else diff_op_trim(d, room, 1, 0, diff_pick_id(d, room));
    diff_check(d);
    diff_op_info(d, room);
    diff_check(d);
}

static void diff_run_seed(redisContext *c, uint64_t seed, uint32_t ops)
{
    diff_run *d = calloc(1, sizeof *d);
    cr_assert_not_null(d);
    d->c = c;
    d->seed = seed;
    herd_rng_seed(&d->rng, seed);
    d->now_ms = 1000;
    snprintf(d->prefix, sizeof d->prefix, "herd:diff:%d:%" PRIu64 ":", (int)getpid(), seed);
    diff_script_load(c, "docs/recipes/redis_publish.lua", d->sha_publish);
    diff_script_load(c, "docs/recipes/redis_trim.lua", d->sha_trim);
    d->model = diff_model_new(DIFF_ROOMS, DIFF_MAXLEN, 0);
    for (d->op = 0; d->op < ops; d->op++) diff_random_op(d);
    free(d->model);
    free(d);
}

Test(redis_diff, random_sequences_match_the_model, .timeout = 240)
{
    redisContext *c = real_redis_connect();
    uint64_t only = real_seed_override();
    uint32_t seeds = only ? 1u : DIFF_SEEDS;
    for (uint32_t i = 0; i < seeds; i++) diff_run_seed(c, only ? only : 0x5eed0000u + i, DIFF_OPS);
    cr_log_info("redis_diff: %u seeds x %u operations, each followed by XINFO STREAM", seeds, DIFF_OPS);
    redisFree(c);
}

/* ---- Redis's own clock: "*" ------------------------------------------------------------ */

/* XADD * against Redis's clock. Our reads of the same clock (CLOCK_REALTIME) before and
 * after the command bracket Redis's reading; the model, fed the reading nearest to the
 * ms Redis used, must produce exactly Redis's id. A third of the way in, an explicit id
 * 150 ms in the future puts the top ahead of the clock: "*" must then count seq on the
 * top's ms until the clock catches up (the skew case of XADD's id rule). */
Test(redis_diff, auto_ids_follow_the_server_clock, .timeout = 60)
{
    enum { OPS = 3000 };
    redisContext *c = real_redis_connect();
    herd_store *model = diff_model_new(1, 1u << 14, 0);
    char key[64], msg[24];
    snprintf(key, sizeof key, "herd:clock:%d", (int)getpid());
    uint32_t skewed = 0;
    for (uint32_t i = 0; i < OPS; i++) {
        herd_sid top = herd_store_stream_info(model, 0)->top, want, got;
        snprintf(msg, sizeof msg, "%u", i);
        if (i == OPS / 3) { /* jump the top 150 ms ahead of the clock */
            herd_sid ahead = {real_clock_us() / 1000u + 150u, 7};
            char id[REAL_SID_CHARS];
            real_sid_fmt(ahead, id);
            const char *argv[] = {"XADD", key, id, "m", msg};
            freeReplyObject(real_redis_cmd(c, 5, argv));
            cr_assert_eq(herd_store_xadd(model, 0, 0, &ahead, i, &got), HERD_OK);
            continue;
        }
        const char *argv[] = {"XADD", key, "*", "m", msg};
        uint64_t t0 = real_clock_us() / 1000u;
        redisReply *rep = real_redis_cmd(c, 5, argv);
        uint64_t t1 = real_clock_us() / 1000u;
        cr_assert_eq(rep->type, REDIS_REPLY_STRING);
        cr_assert(real_sid_parse(rep->str, &got), "XADD * returned %s", rep->str);
        uint64_t reading = got.ms < t0 ? t0 : (got.ms > t1 ? t1 : got.ms);
        cr_assert_eq(herd_store_xadd(model, reading * HERD_US_PER_MS, 0, NULL, i, &want), HERD_OK);
        if (got.ms == top.ms) skewed++;
        cr_assert(herd_sid_eq(want, got),
                  "op %u: Redis gave %s; the model, with the clock at %" PRIu64 " ms (Redis read it "
                  "between %" PRIu64 " and %" PRIu64 "), gives %" PRIu64 "-%" PRIu64,
                  i, rep->str, reading, t0, t1, want.ms, want.seq);
        freeReplyObject(rep);
    }
    cr_assert_gt(skewed, 0, "the top never ran ahead of the clock: the skew case went untested");
    free(model);
    redisFree(c);
}

/* ---- the dedup TTL in real time ------------------------------------------------------------ */

/* Publish, wait, resend, through the recipe script with a 300 ms TTL, against the model
 * with a 300 ms window. Redis's verdict must be one the model gives for some pair of
 * clock readings inside our brackets: duplicate if the insert (read at t0..t1) and the
 * resend (t2..t3) can be less than the window apart, new if they can be at least the
 * window apart (1 ms slack: Redis expires a key when now > set + ttl, the model when
 * now >= insert + window). Most waits are far from the window, so both outcomes occur. */
Test(redis_diff, dedup_ttl_matches_the_window, .timeout = 60)
{
    static const unsigned waits_ms[] = {40, 120, 200, 420, 520, 700};
    const uint64_t window_ms = 300;
    diff_run *d = calloc(1, sizeof *d);
    cr_assert_not_null(d);
    d->c = real_redis_connect();
    snprintf(d->prefix, sizeof d->prefix, "herd:ttl:%d:", (int)getpid());
    diff_script_load(d->c, "docs/recipes/redis_publish.lua", d->sha_publish);
    uint32_t dup = 0, fresh = 0;
    for (uint32_t i = 0; i < sizeof waits_ms / sizeof waits_ms[0]; i++) {
        herd_msg_id msg = herd_msg_make(9, i + 1u);
        char key[96], dkey[96], msgs[24];
        diff_key(d, 0, key, sizeof key);
        snprintf(dkey, sizeof dkey, "%sdd:%" PRIu64, d->prefix, msg);
        snprintf(msgs, sizeof msgs, "%" PRIu64, msg);
        const char *argv[] = {"EVALSHA", d->sha_publish, "2", key, dkey, msgs, "300", "*", "1000"};
        uint64_t t0 = real_clock_us();
        freeReplyObject(real_redis_cmd(d->c, 9, argv));
        uint64_t t1 = real_clock_us();
        real_sleep_ms(waits_ms[i]);
        uint64_t t2 = real_clock_us();
        redisReply *rep = real_redis_cmd(d->c, 9, argv);
        uint64_t t3 = real_clock_us();
        cr_assert_eq(rep->type, REDIS_REPLY_ARRAY);
        int redis_dup = rep->element[0]->integer == 2;
        freeReplyObject(rep);
        /* run the model at the readings that best explain Redis's answer */
        herd_store *m = diff_model_new(1, 1000, window_ms * HERD_US_PER_MS);
        herd_publish_result a, b;
        herd_time ins = redis_dup ? t1 : t0;
        herd_time again = redis_dup ? t2 - HERD_US_PER_MS : t3 + HERD_US_PER_MS; /* the slack */
        cr_assert_eq(herd_store_publish(m, ins, 0, msg, 1, &a), HERD_OK);
        cr_assert_eq(herd_store_publish(m, again, 0, msg, 1, &b), HERD_OK);
        cr_assert_eq(b.status == HERD_PUBLISH_DUPLICATE, redis_dup,
                     "wait %u ms: Redis says %s, the model cannot (insert read in [%" PRIu64 ", %" PRIu64
                     "] us, resend in [%" PRIu64 ", %" PRIu64 "] us, window %" PRIu64 " ms)",
                     waits_ms[i], redis_dup ? "duplicate" : "new", t0, t1, t2, t3, window_ms);
        redis_dup ? dup++ : fresh++;
        free(m);
    }
    cr_assert(dup > 0 && fresh > 0, "only one outcome seen (%u duplicates, %u new)", dup, fresh);
    redisFree(d->c);
    free(d);
}

/* ---- pinned divergence: XTRIM and max-deleted-entry-id --------------------------------- */

/* Redis 7.0's XTRIM does not raise max-deleted-entry-id (only XDEL does); herd's model
 * does, and its gap detection relies on it. The recipe script closes the difference. If
 * the first half of this test fails, Redis changed: update docs/stores.md and the recipe. */
Test(redis_diff, xtrim_leaves_max_deleted_alone_and_the_recipe_records_it)
{
    redisContext *c = real_redis_connect();
    char raw[64], rec[64], sha[48];
    snprintf(raw, sizeof raw, "herd:pin:%d:raw", (int)getpid());
    snprintf(rec, sizeof rec, "herd:pin:%d:recipe", (int)getpid());
    diff_script_load(c, "docs/recipes/redis_trim.lua", sha);
    herd_store *model = diff_model_new(1, 100, 0);
    static const char *const ids[] = {"1-1", "2-1", "3-1", "4-1", "5-1"};
    for (uint32_t i = 0; i < 5; i++) {
        const char *a[] = {"XADD", raw, ids[i], "m", "1"}, *b[] = {"XADD", rec, ids[i], "m", "1"};
        freeReplyObject(real_redis_cmd(c, 5, a));
        freeReplyObject(real_redis_cmd(c, 5, b));
        herd_sid id = {i + 1u, 1};
        cr_assert_eq(herd_store_xadd(model, 0, 0, &id, 1, NULL), HERD_OK);
    }
    const char *trim_raw[] = {"XTRIM", raw, "MAXLEN", "=", "2"};
    const char *trim_rec[] = {"EVALSHA", sha, "1", rec, "MAXLEN", "2"};
    freeReplyObject(real_redis_cmd(c, 5, trim_raw));
    freeReplyObject(real_redis_cmd(c, 6, trim_rec));
    cr_assert_eq(herd_store_trim_maxlen(model, 0, 2), 3);
    char want[REAL_SID_CHARS], got_raw[256], got_rec[256];
    real_sid_fmt(herd_store_stream_info(model, 0)->max_deleted, want);
    const char *info_raw[] = {"XINFO", "STREAM", raw}, *info_rec[] = {"XINFO", "STREAM", rec};
    redisReply *r1 = real_redis_cmd(c, 3, info_raw), *r2 = real_redis_cmd(c, 3, info_rec);
    diff_text_xinfo(r1, got_raw, sizeof got_raw);
    diff_text_xinfo(r2, got_rec, sizeof got_rec);
    cr_assert(strstr(got_raw, "max-deleted-entry-id=0-0") != NULL, "raw XTRIM: %s", got_raw);
    cr_assert_str_eq(want, "3-1");
    cr_assert(strstr(got_rec, "max-deleted-entry-id=3-1") != NULL, "recipe trim: %s", got_rec);
    freeReplyObject(r1);
    freeReplyObject(r2);
    free(model);
    redisFree(c);
}
