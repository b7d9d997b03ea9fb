/* redis_store.c — the live driver's store: the core's store requests run as Lua scripts
 * in a real Redis (redis_store.h says what each does and why it is atomic). */
#define _POSIX_C_SOURCE 200809L
#include "redis_store.h"
#include "error.h"
#include "live.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS[1] stream, KEYS[2] dedup hash, KEYS[3] the fan-out feed; ARGV[1] msg id, ARGV[2]
 * maxlen, ARGV[3] "1" = dedup, ARGV[4] room. Returns {1 appended | 2 duplicate, id, prev}.
 * The feed gets one notice per append, in the same atomic step, for the other servers. */
static const char publish_lua[] =
    "if ARGV[3] == '1' then\n"
    "  local s = redis.call('HGET', KEYS[2], ARGV[1])\n"
    "  if s then return {2, s, s} end\n"
    "end\n"
    "local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)\n"
    "local prev = '0-0'\n"
    "if #last > 0 then prev = last[1][1] end\n"
    "local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'm', ARGV[1])\n"
    "if ARGV[3] == '1' then redis.call('HSET', KEYS[2], ARGV[1], id) end\n"
    "redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'r', ARGV[4], 'i', id, 'p', prev, 'm', ARGV[1])\n"
    "return {1, id, prev}\n";

/* KEYS[1] stream; ARGV[1] exclusive start "(ms-seq", ARGV[2] count.
 * Returns {entries, first id, last generated id, max deleted id}. */
static const char read_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {{}, '0-0', '0-0', '0-0'} end\n"
    "local e = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])\n"
    "local info = redis.call('XINFO', 'STREAM', KEYS[1])\n"
    "local first, top, maxdel = '0-0', '0-0', '0-0'\n"
    "for i = 1, #info, 2 do\n"
    "  local k = info[i]\n"
    "  if k == 'last-generated-id' then top = info[i+1]\n"
    "  elseif k == 'max-deleted-entry-id' then maxdel = info[i+1]\n"
    "  elseif k == 'first-entry' and info[i+1] then first = info[i+1][1] end\n"
    "end\n"
    "return {e, first, top, maxdel}\n";

struct herd_live_redis {
    redisContext *c;
    int port;
    uint32_t maxlen;
    herd_time next_try_us;
    char publish_sha[48], read_sha[48];
};

static void drop(herd_live_redis *r)
{
    if (r->c) redisFree(r->c);
    r->c = NULL;
}

static int load_script(herd_live_redis *r, const char *src, char *sha, size_t size)
{
    redisReply *rep = redisCommand(r->c, "SCRIPT LOAD %s", src);
    int ok = rep && rep->type == REDIS_REPLY_STRING && rep->len < size;
    if (ok) memcpy(sha, rep->str, rep->len + 1);
    if (rep) freeReplyObject(rep);
    return ok ? 0 : -1;
}

/* A connection with both scripts loaded, or false (and no retry before next_try_us). */
static bool ensure(herd_live_redis *r, herd_time now)
{
    if (r->c && !r->c->err) return true;
    drop(r);
    if (now < r->next_try_us) return false;
    r->next_try_us = herd_time_add(now, HERD_LIVE_REDIS_RETRY_US);
    struct timeval tv = {1, 0};
    r->c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    if (!r->c || r->c->err) { drop(r); return false; }
    redisSetTimeout(r->c, tv);
    if (load_script(r, publish_lua, r->publish_sha, sizeof r->publish_sha) != 0 ||
        load_script(r, read_lua, r->read_sha, sizeof r->read_sha) != 0) {
        drop(r); /* e.g. still loading its AOF after a restart */
        return false;
    }
    return true;
}

herd_live_redis *herd_live_redis_open(int port, uint32_t maxlen)
{
    herd_live_redis *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->port = port;
    r->maxlen = maxlen;
    ensure(r, herd_live_now_us());
    return r;
}

void herd_live_redis_close(herd_live_redis *r)
{
    if (!r) return;
    drop(r);
    free(r);
}

static bool parse_sid(const redisReply *e, herd_sid *out)
{
    if (!e || e->type != REDIS_REPLY_STRING) return false;
    unsigned long long ms, seq;
    if (sscanf(e->str, "%llu-%llu", &ms, &seq) != 2) return false;
    *out = (herd_sid){ms, seq};
    return true;
}

/* One XRANGE entry {id, {'m', msg}}. */
static bool parse_entry(const redisReply *e, herd_entry *out)
{
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2) return false;
    const redisReply *f = e->element[1];
    if (!parse_sid(e->element[0], &out->sid) || f->type != REDIS_REPLY_ARRAY || f->elements != 2 ||
        f->element[1]->type != REDIS_REPLY_STRING)
        return false;
    out->msg = strtoull(f->element[1]->str, NULL, 10);
    out->lsn = 0;
    return true;
}

static int publish(herd_live_redis *r, const herd_store_req *req, herd_store_result *res)
{
    char key[32], msg[24], maxlen[16], room[16];
    snprintf(key, sizeof key, "herd:room:%" PRIu32, req->room);
    snprintf(room, sizeof room, "%" PRIu32, req->room);
    snprintf(msg, sizeof msg, "%" PRIu64, req->msg);
    snprintf(maxlen, sizeof maxlen, "%" PRIu32, r->maxlen);
    const char *dedup = req->op == HERD_STORE_OP_PUBLISH_DEDUP ? "1" : "0";
    redisReply *rep = redisCommand(r->c, "EVALSHA %s 3 %s herd:dedup herd:feed %s %s %s %s", r->publish_sha, key,
                                   msg, maxlen, dedup, room);
    int rc = HERD_LIVE_ESTORE_DOWN;
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
        rep->element[0]->type == REDIS_REPLY_INTEGER && parse_sid(rep->element[1], &res->pub.sid) &&
        parse_sid(rep->element[2], &res->pub.prev)) {
        res->pub.status = (uint8_t)rep->element[0]->integer;
        res->pub.durable = 1; /* Redis replied; what survives a crash is its AOF mode's business */
        rc = HERD_OK;
    }
    if (rep) freeReplyObject(rep);
    if (rc != HERD_OK) drop(r);
    return rc;
}

static int read_after(herd_live_redis *r, uint32_t room, herd_sid after, uint32_t limit,
                      herd_entry *out, uint32_t *n, herd_read_info *info)
{
    char key[32], start[48], count[16];
    snprintf(key, sizeof key, "herd:room:%" PRIu32, room);
    snprintf(start, sizeof start, "(%" PRIu64 "-%" PRIu64, after.ms, after.seq);
    snprintf(count, sizeof count, "%" PRIu32, limit + 1u); /* one more tells "more" */
    redisReply *rep = redisCommand(r->c, "EVALSHA %s 1 %s %s %s", r->read_sha, key, start, count);
    int rc = HERD_LIVE_ESTORE_DOWN;
    *n = 0;
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY) {
        const redisReply *e = rep->element[0];
        rc = HERD_OK;
        for (size_t i = 0; i < e->elements && i < limit; i++) {
            if (!parse_entry(e->element[i], &out[i])) { rc = HERD_LIVE_ESTORE_DOWN; break; }
            (*n)++;
        }
        memset(info, 0, sizeof *info);
        if (rc == HERD_OK && (!parse_sid(rep->element[1], &info->first) || !parse_sid(rep->element[2], &info->top) ||
                              !parse_sid(rep->element[3], &info->max_deleted)))
            rc = HERD_LIVE_ESTORE_DOWN;
        info->gap = herd_sid_cmp(info->max_deleted, after) > 0;
        info->more = e->elements > limit;
    }
    if (rep) freeReplyObject(rep);
    if (rc != HERD_OK) drop(r);
    return rc;
}

int herd_live_redis_execute(herd_live_redis *r, herd_time now, const herd_store_req *req,
                            herd_store_result *res)
{
    memset(res, 0, sizeof *res);
    res->op = req->op;
    res->room = req->room;
    res->msg = req->msg;
    int rc = HERD_LIVE_ESTORE_DOWN;
    if (ensure(r, now)) {
        if (req->op == HERD_STORE_OP_READ)
            rc = read_after(r, req->room, req->after, req->limit, res->entries, &res->n, &res->info);
        else
            rc = publish(r, req, res);
    }
    res->err = (int16_t)rc;
    return rc;
}

int herd_live_redis_range(herd_live_redis *r, uint32_t room, herd_sid after, uint32_t limit,
                          herd_entry *out)
{
    if (limit == 0 || !ensure(r, herd_live_now_us())) return -1;
    uint32_t n = 0;
    herd_read_info info;
    return read_after(r, room, after, limit, out, &n, &info) == HERD_OK ? (int)n : -1;
}

/* One feed entry {id, {'r', room, 'i', sid, 'p', prev, 'm', msg}}. */
static bool parse_notice(const redisReply *e, herd_live_notice *n, herd_sid *feed_id)
{
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !parse_sid(e->element[0], feed_id)) return false;
    const redisReply *f = e->element[1];
    if (f->type != REDIS_REPLY_ARRAY || f->elements != 8) return false;
    for (size_t i = 0; i < 8; i++)
        if (f->element[i]->type != REDIS_REPLY_STRING) return false;
    n->room = (uint32_t)strtoul(f->element[1]->str, NULL, 10);
    n->msg = strtoull(f->element[7]->str, NULL, 10);
    return parse_sid(f->element[3], &n->sid) && parse_sid(f->element[5], &n->prev);
}

int herd_live_redis_feed(herd_live_redis *r, herd_sid *after, herd_live_notice *out, uint32_t max)
{
    if (max == 0 || !ensure(r, herd_live_now_us())) return -1;
    redisReply *rep;
    if (herd_sid_is_zero(*after)) { /* first call: start after the feed's current end */
        rep = redisCommand(r->c, "XREVRANGE herd:feed + - COUNT 1");
        int ok = rep && rep->type == REDIS_REPLY_ARRAY;
        if (ok && rep->elements == 1) ok = parse_sid(rep->element[0]->element[0], after);
        if (ok && rep->elements == 0) *after = (herd_sid){0, 1}; /* empty: everything from now */
        if (rep) freeReplyObject(rep);
        if (!ok) { drop(r); return -1; }
        return 0;
    }
    rep = redisCommand(r->c, "XRANGE herd:feed (%" PRIu64 "-%" PRIu64 " + COUNT %" PRIu32, after->ms, after->seq, max);
    int n = -1;
    if (rep && rep->type == REDIS_REPLY_ARRAY) {
        n = 0;
        for (size_t i = 0; i < rep->elements && (uint32_t)n < max; i++) {
            herd_sid id;
            if (!parse_notice(rep->element[i], &out[n], &id)) { n = -1; break; }
            *after = id;
            n++;
        }
    }
    if (rep) freeReplyObject(rep);
    if (n < 0) drop(r);
    return n;
}
