/* test_store.c — the stream store model (src/store.c, src/store_exec.c): Redis Streams id
 * rules, MAXLEN and MINID trimming with max_deleted, exclusive range reads with gap
 * detection, atomic dedup publish, each durability mode's crash, the execute glue, and
 * random operation sequences checked against a naive reference model (plain arrays). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "rng.h"
#include "server.h"
#include "store.h"

#define MS(x) ((herd_time)(x) * HERD_US_PER_MS)

static herd_store_config cfg_of(uint32_t rooms, uint32_t maxlen, uint32_t dedup, int mode)
{
    return (herd_store_config){.rooms = rooms, .maxlen = maxlen, .dedup_capacity = dedup,
                               .durability = (uint8_t)mode};
}

static herd_store *store_new(const herd_store_config *cfg, herd_time now)
{
    size_t bytes = herd_store_bytes(cfg);
    cr_assert_gt(bytes, 0);
    herd_store *s = malloc(bytes);
    cr_assert_not_null(s);
    /* flat: init must overwrite every byte; growing: the block comes zeroed */
    memset(s, cfg->grow ? 0 : 0x5a, bytes);
    cr_assert_eq(herd_store_init(s, bytes, cfg, now), HERD_OK);
    return s;
}

static herd_sid sid_of(uint64_t ms, uint64_t seq) { return (herd_sid){ms, seq}; }

static herd_sid add_auto(herd_store *s, herd_time now, uint32_t room, herd_msg_id msg)
{
    herd_sid id;
    cr_assert_eq(herd_store_xadd(s, now, room, NULL, msg, &id), HERD_OK);
    return id;
}

static herd_publish_result publish(herd_store *s, herd_time now, uint32_t room, herd_msg_id msg,
                                   int dedup)
{
    herd_publish_result r;
    cr_assert_eq(herd_store_publish(s, now, room, msg, dedup, &r), HERD_OK);
    return r;
}

static uint32_t read_all(const herd_store *s, uint32_t room, herd_sid after, herd_entry *out,
                         herd_read_info *info)
{
    uint32_t n = 0;
    cr_assert_eq(herd_store_read(s, room, after, HERD_READ_MAX, out, &n, info), HERD_OK);
    return n;
}

/* ---- configuration ------------------------------------------------------------------ */

Test(store, config_ranges_and_bytes)
{
    herd_store_config c = cfg_of(1, 8, 8, HERD_DURABLE_NONE);
    cr_assert_eq(herd_store_config_validate(&c), HERD_OK);
    size_t small = herd_store_bytes(&c);
    cr_assert_geq(small, sizeof(herd_store) + sizeof(herd_store_stream) + 8u * sizeof(herd_entry) +
                             herd_dedup_bytes(8));
    cr_assert_eq(small % 8u, 0);
    herd_store_config bad[] = {
        cfg_of(0, 8, 8, 0), cfg_of(HERD_STORE_ROOMS_MAX + 1u, 8, 8, 0), cfg_of(1, 0, 8, 0),
        cfg_of(1, HERD_STORE_MAXLEN_MAX + 1u, 8, 0), cfg_of(1, 8, 0, 0),
        cfg_of(1, 8, HERD_DEDUP_CAPACITY_MAX + 1u, 0), cfg_of(1, 8, 8, HERD_DURABLE_COUNT),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(herd_store_config_validate(&bad[i]), HERD_EINVAL, "config %zu", i);
        cr_assert_eq(herd_store_bytes(&bad[i]), 0, "config %zu", i);
    }
    cr_assert_eq(herd_store_config_validate(NULL), HERD_EINVAL);
    herd_store_config big = cfg_of(1000, 10000, 1u << 16, HERD_DURABLE_AOF_EVERYSEC);
    cr_assert_gt(herd_store_bytes(&big), (size_t)1000 * 10000 * sizeof(herd_entry));
    herd_store_config huge = cfg_of(HERD_STORE_ROOMS_MAX, HERD_STORE_MAXLEN_MAX,
                                    HERD_DEDUP_CAPACITY_MAX, 0);
    if (sizeof(size_t) < 8) cr_assert_eq(herd_store_bytes(&huge), 0); /* overflow */
    else cr_assert_gt(herd_store_bytes(&huge), 0);
    unsigned char buf[64];
    cr_assert_eq(herd_store_init((herd_store *)(void *)buf, sizeof buf, &c, 0), HERD_ENOSPACE);
}

Test(store, durability_names_round_trip)
{
    const char *names[] = {"none", "aof_everysec", "aof_always", "pg_sync", "pg_async"};
    for (int m = 0; m < HERD_DURABLE_COUNT; m++) {
        cr_assert_str_eq(herd_durability_name(m), names[m]);
        cr_assert_eq(herd_durability_parse(names[m]), m);
    }
    cr_assert_eq(herd_durability_parse("everysec"), HERD_EINVAL);
    cr_assert_eq(herd_durability_parse(""), HERD_EINVAL);
    cr_assert_eq(herd_durability_parse(NULL), HERD_EINVAL);
    cr_assert_str_eq(herd_durability_name(HERD_DURABLE_COUNT), "unknown");
}

Test(store, init_bytes_are_canonical)
{
    herd_store_config c = cfg_of(3, 5, 4, HERD_DURABLE_AOF_EVERYSEC);
    c.pad[0] = 0xff; /* caller garbage in padding must not reach the block */
    herd_store *a = store_new(&c, MS(7)), *b;
    size_t bytes = herd_store_bytes(&c);
    b = malloc(bytes);
    memset(b, 0, bytes);
    c.pad[0] = 0;
    cr_assert_eq(herd_store_init(b, bytes, &c, MS(7)), HERD_OK);
    cr_assert_eq(memcmp(a, b, bytes), 0);
    free(a);
    free(b);
}

/* ---- ids ---------------------------------------------------------------------------- */

Test(store, auto_ids_follow_xadd_star)
{
    herd_store_config c = cfg_of(2, 16, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    cr_assert(herd_sid_eq(add_auto(s, 0, 0, 1), sid_of(0, 1))); /* 0-0 is never an id */
    cr_assert(herd_sid_eq(add_auto(s, MS(5) + 10, 0, 2), sid_of(5, 0)));
    cr_assert(herd_sid_eq(add_auto(s, MS(5) + 999, 0, 3), sid_of(5, 1)));  /* same ms: seq+1 */
    cr_assert(herd_sid_eq(add_auto(s, MS(5) + 999, 0, 4), sid_of(5, 2)));
    cr_assert(herd_sid_eq(add_auto(s, MS(4), 0, 5), sid_of(5, 3))); /* clock behind top */
    cr_assert(herd_sid_eq(add_auto(s, MS(6), 0, 6), sid_of(6, 0)));
    cr_assert(herd_sid_eq(add_auto(s, MS(6), 1, 7), sid_of(6, 0))); /* streams are independent */
    cr_assert_eq(herd_store_stream_info(s, 0)->added, 6);
    free(s);
}

Test(store, explicit_ids_must_exceed_top)
{
    herd_store_config c = cfg_of(1, 16, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_sid id = {0}, zero = sid_of(0, 0), five = sid_of(5, 5);
    cr_assert_eq(herd_store_xadd(s, 0, 0, &zero, 1, &id), HERD_ESTORE_ID);
    cr_assert_eq(herd_store_xadd(s, 0, 0, &five, 1, &id), HERD_OK);
    cr_assert(herd_sid_eq(id, five));
    size_t bytes = herd_store_bytes(&c);
    herd_store *before = malloc(bytes);
    memcpy(before, s, bytes);
    herd_sid at = sid_of(5, 5), below = sid_of(5, 4), older = sid_of(4, 9);
    cr_assert_eq(herd_store_xadd(s, MS(9), 0, &at, 2, &id), HERD_ESTORE_ID);
    cr_assert_eq(herd_store_xadd(s, MS(9), 0, &below, 2, &id), HERD_ESTORE_ID);
    cr_assert_eq(herd_store_xadd(s, MS(9), 0, &older, 2, &id), HERD_ESTORE_ID);
    cr_assert_eq(memcmp(before, s, bytes), 0, "a rejected XADD leaves the store unchanged");
    herd_sid next = sid_of(5, 6);
    cr_assert_eq(herd_store_xadd(s, 0, 0, &next, 2, &id), HERD_OK);
    cr_assert(herd_sid_eq(add_auto(s, MS(1), 0, 3), sid_of(5, 7)));
    /* the id space ends at UINT64_MAX-UINT64_MAX; the seq overflows into the next ms */
    herd_sid edge = sid_of(9, UINT64_MAX);
    cr_assert_eq(herd_store_xadd(s, 0, 0, &edge, 4, &id), HERD_OK);
    cr_assert(herd_sid_eq(add_auto(s, 0, 0, 5), sid_of(10, 0)));
    herd_sid last = sid_of(UINT64_MAX, UINT64_MAX);
    cr_assert_eq(herd_store_xadd(s, 0, 0, &last, 6, &id), HERD_OK);
    cr_assert_eq(herd_store_xadd(s, 0, 0, NULL, 7, &id), HERD_ESTORE_ID);
    free(before);
    free(s);
}

Test(store, room_out_of_range)
{
    herd_store_config c = cfg_of(2, 4, 4, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_sid id;
    herd_publish_result r;
    herd_entry out[4];
    uint32_t n = 7;
    cr_assert_eq(herd_store_xadd(s, 0, 2, NULL, 1, &id), HERD_ESTORE_ROOM);
    cr_assert_eq(herd_store_publish(s, 0, 2, 1, 1, &r), HERD_ESTORE_ROOM);
    cr_assert_eq(herd_store_read(s, 2, HERD_SID_ZERO, 4, out, &n, NULL), HERD_ESTORE_ROOM);
    cr_assert_eq(n, 0);
    cr_assert_eq(herd_store_trim_maxlen(s, 2, 0), HERD_ESTORE_ROOM);
    cr_assert_eq(herd_store_trim_minid(s, 2, sid_of(1, 0)), HERD_ESTORE_ROOM);
    cr_assert_null(herd_store_find(s, 2, sid_of(0, 1)));
    cr_assert_null(herd_store_stream_info(s, 2));
    cr_assert_eq(s->next_lsn, 1);
    free(s);
}

/* ---- trimming ----------------------------------------------------------------------- */

Test(store, maxlen_ring_trims_oldest_and_raises_max_deleted)
{
    herd_store_config c = cfg_of(1, 4, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_sid ids[10];
    for (int i = 0; i < 10; i++) ids[i] = add_auto(s, MS(i + 1), 0, (herd_msg_id)i + 1);
    const herd_store_stream *st = herd_store_stream_info(s, 0);
    cr_assert_eq(st->len, 4);
    cr_assert_eq(st->added, 10);
    cr_assert(herd_sid_eq(st->max_deleted, ids[5]));
    cr_assert(herd_sid_eq(st->top, ids[9]));
    herd_entry out[HERD_READ_MAX];
    herd_read_info info;
    cr_assert_eq(read_all(s, 0, HERD_SID_ZERO, out, &info), 4);
    for (int i = 0; i < 4; i++) {
        cr_assert(herd_sid_eq(out[i].sid, ids[6 + i]));
        cr_assert_eq(out[i].msg, (herd_msg_id)7 + i);
    }
    cr_assert(herd_sid_eq(info.first, ids[6]));
    cr_assert_null(herd_store_find(s, 0, ids[5]));
    cr_assert_eq(herd_store_find(s, 0, ids[8])->msg, 9);
    free(s);
}

Test(store, xtrim_maxlen_keeps_top)
{
    herd_store_config c = cfg_of(1, 8, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_sid ids[6];
    for (int i = 0; i < 6; i++) ids[i] = add_auto(s, MS(10), 0, (herd_msg_id)i + 1);
    cr_assert_eq(herd_store_trim_maxlen(s, 0, 8), 0);
    cr_assert_eq(herd_store_trim_maxlen(s, 0, 2), 4);
    cr_assert(herd_sid_eq(herd_store_stream_info(s, 0)->max_deleted, ids[3]));
    cr_assert_eq(herd_store_trim_maxlen(s, 0, 0), 2);
    const herd_store_stream *st = herd_store_stream_info(s, 0);
    cr_assert_eq(st->len, 0);
    cr_assert(herd_sid_eq(st->top, ids[5]));
    cr_assert(herd_sid_eq(st->max_deleted, ids[5]));
    /* an emptied stream keeps its last id: XADD * continues above it */
    cr_assert(herd_sid_eq(add_auto(s, MS(10), 0, 9), sid_of(10, 6)));
    herd_read_info info;
    herd_entry out[HERD_READ_MAX];
    cr_assert_eq(read_all(s, 0, HERD_SID_ZERO, out, &info), 1);
    cr_assert(info.gap);
    free(s);
}

Test(store, xtrim_minid_evicts_lower_ids)
{
    herd_store_config c = cfg_of(1, 8, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    for (int i = 1; i <= 6; i++) add_auto(s, MS(i * 10), 0, (herd_msg_id)i); /* 10-0 .. 60-0 */
    cr_assert_eq(herd_store_trim_minid(s, 0, HERD_SID_ZERO), 0);
    cr_assert_eq(herd_store_trim_minid(s, 0, sid_of(10, 0)), 0); /* equal id stays */
    cr_assert_eq(herd_store_trim_minid(s, 0, sid_of(30, 0)), 2);
    cr_assert(herd_sid_eq(herd_store_stream_info(s, 0)->max_deleted, sid_of(20, 0)));
    cr_assert_eq(herd_store_trim_minid(s, 0, sid_of(45, 7)), 2);
    cr_assert_eq(herd_store_stream_info(s, 0)->len, 2);
    cr_assert(herd_sid_eq(herd_store_stream_info(s, 0)->max_deleted, sid_of(40, 0)));
    cr_assert_eq(herd_store_trim_minid(s, 0, sid_of(UINT64_MAX, UINT64_MAX)), 2);
    cr_assert_eq(herd_store_stream_info(s, 0)->len, 0);
    cr_assert(herd_sid_eq(herd_store_stream_info(s, 0)->top, sid_of(60, 0)));
    free(s);
}

/* ---- reads -------------------------------------------------------------------------- */

Test(store, read_after_exclusive_id_with_limit_and_more)
{
    herd_store_config c = cfg_of(1, 16, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_sid ids[10];
    for (int i = 0; i < 10; i++) ids[i] = add_auto(s, MS(100 + i / 3), 0, (herd_msg_id)i + 1);
    herd_entry out[HERD_READ_MAX];
    herd_read_info info;
    uint32_t n;
    /* a client that saw ids[3] gets exactly ids[4..9], in order */
    cr_assert_eq(read_all(s, 0, ids[3], out, &info), 6);
    for (uint32_t i = 0; i < 6; i++) cr_assert(herd_sid_eq(out[i].sid, ids[4 + i]));
    cr_assert_not(info.more);
    cr_assert_not(info.gap);
    cr_assert(herd_sid_eq(info.first, ids[0]));
    cr_assert(herd_sid_eq(info.top, ids[9]));
    /* a start between ids works too: (100-1 precedes 100-2) */
    cr_assert_eq(read_all(s, 0, sid_of(100, 1), out, &info), 8);
    cr_assert(herd_sid_eq(out[0].sid, ids[2]));
    /* paging with a limit */
    cr_assert_eq(herd_store_read(s, 0, ids[0], 4, out, &n, &info), HERD_OK);
    cr_assert_eq(n, 4);
    cr_assert(info.more);
    cr_assert(herd_sid_eq(out[3].sid, ids[4]));
    cr_assert_eq(herd_store_read(s, 0, out[3].sid, 5, out, &n, &info), HERD_OK);
    cr_assert_eq(n, 5);
    cr_assert_not(info.more); /* exactly the rest */
    cr_assert(herd_sid_eq(out[4].sid, ids[9]));
    cr_assert_eq(read_all(s, 0, ids[9], out, &info), 0);
    cr_assert_not(info.more);
    cr_assert_eq(read_all(s, 0, sid_of(UINT64_MAX, 0), out, &info), 0);
    cr_assert_eq(herd_store_read(s, 0, HERD_SID_ZERO, 0, out, &n, &info), HERD_EINVAL);
    cr_assert_eq(herd_store_read(s, 0, HERD_SID_ZERO, HERD_READ_MAX + 1, out, &n, &info), HERD_EINVAL);
    free(s);
}

Test(store, gap_flag_iff_history_after_start_was_trimmed)
{
    herd_store_config c = cfg_of(1, 4, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_sid ids[10];
    herd_entry out[HERD_READ_MAX];
    herd_read_info info;
    for (int i = 0; i < 4; i++) ids[i] = add_auto(s, MS(i + 1), 0, (herd_msg_id)i + 1);
    cr_assert_eq(read_all(s, 0, HERD_SID_ZERO, out, &info), 4);
    cr_assert_not(info.gap, "nothing trimmed yet");
    for (int i = 4; i < 10; i++) ids[i] = add_auto(s, MS(i + 1), 0, (herd_msg_id)i + 1);
    /* ids[0..5] trimmed, ids[6..9] kept */
    for (int after = 0; after < 10; after++) {
        uint32_t n = read_all(s, 0, ids[after], out, &info);
        cr_assert_eq(info.gap, after < 5 ? 1 : 0, "after ids[%d]", after);
        cr_assert_eq(n, (uint32_t)(after < 5 ? 4 : 9 - after));
    }
    cr_assert_eq(read_all(s, 0, HERD_SID_ZERO, out, &info), 4);
    cr_assert(info.gap);
    cr_assert(herd_sid_eq(info.max_deleted, ids[5]));
    free(s);
}

/* ---- publish and dedup -------------------------------------------------------------- */

Test(store, dedup_hit_returns_the_same_sid_without_appending)
{
    herd_store_config c = cfg_of(2, 8, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_msg_id m = herd_msg_make(7, 1);
    herd_publish_result a = publish(s, MS(10), 1, m, 1);
    cr_assert_eq(a.status, HERD_PUBLISH_APPENDED);
    cr_assert(herd_sid_is_zero(a.prev));
    cr_assert(a.durable);
    cr_assert_eq(a.lsn, 1);
    uint64_t next_lsn = s->next_lsn;
    herd_publish_result b = publish(s, MS(11), 1, m, 1);
    cr_assert_eq(b.status, HERD_PUBLISH_DUPLICATE);
    cr_assert(herd_sid_eq(b.sid, a.sid));
    cr_assert_eq(b.lsn, a.lsn);
    cr_assert(b.durable);
    cr_assert_eq(s->next_lsn, next_lsn, "a duplicate is not a write");
    cr_assert_eq(herd_store_stream_info(s, 1)->len, 1);
    herd_publish_result c2 = publish(s, MS(12), 1, herd_msg_make(7, 2), 1);
    cr_assert(herd_sid_eq(c2.prev, a.sid));
    /* without dedup (the broken variants) the same message appends twice */
    herd_publish_result d = publish(s, MS(13), 1, m, 0);
    cr_assert_eq(d.status, HERD_PUBLISH_APPENDED);
    cr_assert_eq(herd_store_stream_info(s, 1)->len, 3);
    cr_assert_eq(herd_store_dedup(s)->count, 2, "plain appends record nothing");
    free(s);
}

Test(store, dedup_window_expiry_allows_a_second_append)
{
    herd_store_config c = cfg_of(1, 8, 8, HERD_DURABLE_AOF_ALWAYS);
    c.dedup_window_us = MS(1000);
    herd_store *s = store_new(&c, 0);
    herd_publish_result a = publish(s, MS(10), 0, 42, 1);
    cr_assert_eq(publish(s, MS(1009), 0, 42, 1).status, HERD_PUBLISH_DUPLICATE);
    herd_publish_result b = publish(s, MS(1010), 0, 42, 1);
    cr_assert_eq(b.status, HERD_PUBLISH_APPENDED);
    cr_assert_gt(herd_sid_cmp(b.sid, a.sid), 0);
    cr_assert(herd_sid_eq(b.prev, a.sid));
    cr_assert_eq(herd_store_stream_info(s, 0)->len, 2);
    free(s);
}

Test(store, dedup_count_window_forgets_old_messages)
{
    herd_store_config c = cfg_of(1, 16, 2, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    publish(s, MS(1), 0, 1, 1);
    publish(s, MS(2), 0, 2, 1);
    publish(s, MS(3), 0, 3, 1);
    cr_assert_eq(publish(s, MS(4), 0, 1, 1).status, HERD_PUBLISH_APPENDED);
    cr_assert_eq(herd_store_dedup(s)->evicted, 2);
    free(s);
}

/* ---- durability --------------------------------------------------------------------- */

Test(store, none_loses_everything)
{
    herd_store_config c = cfg_of(2, 4, 8, HERD_DURABLE_NONE);
    herd_store *s = store_new(&c, 0);
    cr_assert_eq(herd_store_deadline(s), HERD_TIME_NEVER);
    for (int i = 0; i < 6; i++) {
        herd_publish_result r = publish(s, MS(i + 1), (uint32_t)i % 2u, (herd_msg_id)i + 1, 1);
        cr_assert_not(r.durable);
        cr_assert_not(herd_store_is_durable(s, r.lsn));
    }
    herd_store_on_timer(s, MS(100000));
    cr_assert_eq(s->durable_lsn, 0);
    herd_store_crash(s, MS(50));
    cr_assert_eq(s->lost_writes, 6);
    cr_assert_eq(s->crashes, 1);
    for (uint32_t room = 0; room < 2; room++) {
        const herd_store_stream *st = herd_store_stream_info(s, room);
        cr_assert_eq(st->len, 0);
        cr_assert(herd_sid_is_zero(st->top));
        cr_assert(herd_sid_is_zero(st->max_deleted));
        cr_assert_eq(st->added, 0);
    }
    cr_assert_eq(herd_store_dedup(s)->count, 0);
    /* the restarted store is a fresh one, but for its crash counters */
    herd_store *fresh = store_new(&c, 0);
    fresh->crashes = s->crashes;
    fresh->lost_writes = s->lost_writes;
    ((herd_dedup *)(uintptr_t)herd_store_dedup(fresh))->ring_hw = herd_store_dedup(s)->ring_hw; /* a statistic */
    cr_assert_eq(memcmp(fresh, s, herd_store_bytes(&c)), 0);
    /* the message is new again, and a low id is handed out again */
    herd_publish_result r = publish(s, MS(1), 0, 1, 1);
    cr_assert_eq(r.status, HERD_PUBLISH_APPENDED);
    cr_assert(herd_sid_eq(r.sid, sid_of(1, 0)));
    free(fresh);
    free(s);
}

/* EVERYSEC and PG_ASYNC: a timer makes the log durable; a crash loses what came after. */
static void check_timer_mode(int mode, herd_time interval)
{
    herd_store_config c = cfg_of(1, 8, 8, mode);
    herd_store *s = store_new(&c, 0);
    cr_assert_eq(herd_store_deadline(s), interval);
    herd_publish_result a = publish(s, interval / 4u, 0, 1, 1);
    herd_publish_result b = publish(s, interval / 4u, 0, 2, 1);
    cr_assert_not(a.durable);
    herd_store_on_timer(s, interval - 1u); /* early: nothing happens */
    cr_assert_eq(s->durable_lsn, 0);
    herd_store_on_timer(s, interval);
    cr_assert(herd_store_is_durable(s, b.lsn));
    cr_assert_eq(herd_store_deadline(s), 2u * interval);
    herd_time t = interval + interval / 4u;
    herd_publish_result x = publish(s, t, 0, 3, 1); /* ACKed by the server, not yet durable */
    herd_publish_result y = publish(s, t, 0, 4, 1);
    cr_assert_not(x.durable);
    herd_store_crash(s, t);
    cr_assert_eq(s->lost_writes, 2, "exactly the writes after the last fsync");
    cr_assert_eq(herd_store_deadline(s), t + interval);
    herd_entry out[HERD_READ_MAX];
    herd_read_info info;
    cr_assert_eq(read_all(s, 0, HERD_SID_ZERO, out, &info), 2);
    cr_assert(herd_sid_eq(out[1].sid, b.sid));
    cr_assert(herd_sid_eq(info.top, b.sid), "the top falls back to the last surviving entry");
    cr_assert_null(herd_store_find(s, 0, x.sid));
    cr_assert_eq(publish(s, t, 0, 2, 1).status, HERD_PUBLISH_DUPLICATE, "durable record kept");
    /* the lost message is not a duplicate any more, and its id is handed out again */
    herd_publish_result x2 = publish(s, t, 0, 4, 1);
    cr_assert_eq(x2.status, HERD_PUBLISH_APPENDED);
    cr_assert(herd_sid_eq(x2.sid, x.sid), "ids may be reused after a lossy crash");
    cr_assert_eq(x2.lsn, x.lsn, "the log was truncated at its last fsync");
    (void)y;
    free(s);
}

Test(store, aof_everysec_loses_the_unsynced_second) { check_timer_mode(HERD_DURABLE_AOF_EVERYSEC, MS(1000)); }
Test(store, pg_async_loses_the_unflushed_window) { check_timer_mode(HERD_DURABLE_PG_ASYNC, MS(600)); }

Test(store, fsync_interval_is_configurable)
{
    herd_store_config c = cfg_of(1, 8, 8, HERD_DURABLE_AOF_EVERYSEC);
    c.fsync_interval_us = MS(250);
    herd_store *s = store_new(&c, MS(10));
    cr_assert_eq(herd_store_deadline(s), MS(260));
    herd_store_on_timer(s, MS(300));
    cr_assert_eq(herd_store_deadline(s), MS(550));
    free(s);
}

/* ALWAYS and PG_SYNC: durable before the reply; a crash changes nothing but counters. */
static void check_sync_mode(int mode)
{
    herd_store_config c = cfg_of(2, 4, 4, mode);
    herd_store *s = store_new(&c, 0);
    cr_assert_eq(herd_store_deadline(s), HERD_TIME_NEVER);
    for (int i = 0; i < 9; i++) {
        herd_publish_result r = publish(s, MS(i), (uint32_t)i % 2u, (herd_msg_id)i + 1, 1);
        cr_assert(r.durable);
        cr_assert_eq(s->durable_lsn, r.lsn);
    }
    herd_store_trim_maxlen(s, 1, 0);
    size_t bytes = herd_store_bytes(&c);
    herd_store *before = malloc(bytes);
    memcpy(before, s, bytes);
    herd_store_crash(s, MS(20));
    cr_assert_eq(s->lost_writes, 0);
    before->crashes = 1;
    cr_assert_eq(memcmp(before, s, bytes), 0, "nothing lost, tops kept");
    free(before);
    free(s);
}

Test(store, aof_always_loses_nothing) { check_sync_mode(HERD_DURABLE_AOF_ALWAYS); }
Test(store, pg_sync_loses_nothing) { check_sync_mode(HERD_DURABLE_PG_SYNC); }

Test(store, crash_top_never_falls_below_max_deleted)
{
    /* maxlen 1: each non-durable append trims the previous entry for good (trims are
     * durable); after the crash the top stays at max_deleted so no trimmed id returns */
    herd_store_config c = cfg_of(1, 1, 4, HERD_DURABLE_AOF_EVERYSEC);
    herd_store *s = store_new(&c, 0);
    herd_sid a = add_auto(s, MS(1), 0, 1);
    herd_store_on_timer(s, MS(1000));
    herd_sid b = add_auto(s, MS(1001), 0, 2);
    add_auto(s, MS(1001), 0, 3);
    herd_store_crash(s, MS(1002));
    const herd_store_stream *st = herd_store_stream_info(s, 0);
    cr_assert_eq(st->len, 0);
    cr_assert(herd_sid_eq(st->max_deleted, b));
    cr_assert(herd_sid_eq(st->top, b));
    cr_assert_gt(herd_sid_cmp(b, a), 0);
    herd_entry out[HERD_READ_MAX];
    herd_read_info info;
    cr_assert_eq(read_all(s, 0, a, out, &info), 0);
    cr_assert(info.gap, "a reader after a sees that history is gone");
    free(s);
}

Test(store, lossy_crash_leaves_canonical_bytes)
{
    /* A: one durable entry, then four lost appends whose ring wrap trimmed it.
     * B: the same entry, trimmed by XTRIM. Both end as an empty stream whose top and
     * max_deleted are that entry: the bytes must agree (ring restarted at slot 0). */
    herd_store_config c = cfg_of(1, 4, 4, HERD_DURABLE_AOF_EVERYSEC);
    herd_store *a = store_new(&c, 0), *b = store_new(&c, 0);
    herd_sid first = add_auto(a, MS(1), 0, 1);
    add_auto(b, MS(1), 0, 1);
    herd_store_on_timer(a, MS(1000));
    herd_store_on_timer(b, MS(1000));
    for (int i = 0; i < 4; i++) add_auto(a, MS(1001 + i), 0, (herd_msg_id)i + 2);
    herd_store_trim_maxlen(b, 0, 0);
    herd_store_crash(a, MS(1100));
    herd_store_crash(b, MS(1100));
    cr_assert_eq(a->lost_writes, 4);
    const herd_store_stream *st = herd_store_stream_info(a, 0);
    cr_assert_eq(st->len, 0);
    cr_assert_eq(st->added, 1);
    cr_assert(herd_sid_eq(st->top, first));
    b->lost_writes = a->lost_writes;
    cr_assert_eq(memcmp(a, b, herd_store_bytes(&c)), 0);
    free(a);
    free(b);
}

/* ---- execute glue ------------------------------------------------------------------- */

Test(store, execute_runs_requests)
{
    herd_store_config c = cfg_of(2, 8, 8, HERD_DURABLE_AOF_ALWAYS);
    herd_store *s = store_new(&c, 0);
    herd_store_result res;
    herd_store_req pub = {.op = HERD_STORE_OP_PUBLISH_DEDUP, .room = 1, .msg = 77};
    cr_assert_eq(herd_store_execute(s, MS(5), &pub, &res), HERD_OK);
    cr_assert_eq(res.op, HERD_STORE_OP_PUBLISH_DEDUP);
    cr_assert_eq(res.err, HERD_OK);
    cr_assert_eq(res.room, 1);
    cr_assert_eq(res.msg, 77);
    cr_assert_eq(res.pub.status, HERD_PUBLISH_APPENDED);
    herd_sid first = res.pub.sid;
    cr_assert_eq(herd_store_execute(s, MS(6), &pub, &res), HERD_OK);
    cr_assert_eq(res.pub.status, HERD_PUBLISH_DUPLICATE);
    herd_store_req app = {.op = HERD_STORE_OP_APPEND, .room = 1, .msg = 77};
    cr_assert_eq(herd_store_execute(s, MS(7), &app, &res), HERD_OK);
    cr_assert_eq(res.pub.status, HERD_PUBLISH_APPENDED);
    herd_store_req rd = {.op = HERD_STORE_OP_READ, .room = 1, .limit = 10, .after = first};
    cr_assert_eq(herd_store_execute(s, MS(8), &rd, &res), HERD_OK);
    cr_assert_eq(res.op, HERD_STORE_OP_READ);
    cr_assert_eq(res.n, 1);
    cr_assert_eq(res.entries[0].msg, 77);
    cr_assert(herd_sid_eq(res.info.first, first));
    rd.limit = 0;
    cr_assert_eq(herd_store_execute(s, MS(8), &rd, &res), HERD_EINVAL);
    cr_assert_eq(res.err, HERD_EINVAL);
    herd_store_req bad = {.op = HERD_STORE_OP_READ, .room = 9, .limit = 1};
    cr_assert_eq(herd_store_execute(s, MS(8), &bad, &res), HERD_ESTORE_ROOM);
    cr_assert_eq(res.err, HERD_ESTORE_ROOM);
    herd_store_req junk = {.op = 99};
    cr_assert_eq(herd_store_execute(s, MS(8), &junk, &res), HERD_EINVAL);
    free(s);
}

/* ---- reference model ---------------------------------------------------------------- */

#define REF_ROOMS 3
#define REF_MAXLEN 40 /* growing rings: 8, 16, 32, 40 */
#define REF_DEDUP 8

typedef struct ref_stream {
    herd_sid top, max_deleted;
    uint32_t len;
    uint64_t added;
    herd_entry e[REF_MAXLEN];
} ref_stream;

typedef struct ref_store {
    herd_store_config cfg;
    ref_stream st[REF_ROOMS];
    herd_dedup_record dd[REF_DEDUP];
    uint32_t dd_count;
    uint64_t next_lsn, durable_lsn, crashes, lost;
    herd_time next_fsync;
} ref_store;

static herd_time ref_interval(const ref_store *r)
{
    if (r->cfg.fsync_interval_us) return r->cfg.fsync_interval_us;
    return r->cfg.durability == HERD_DURABLE_PG_ASYNC ? MS(600) : MS(1000);
}

static void ref_arm(ref_store *r, herd_time now)
{
    bool timer = r->cfg.durability == HERD_DURABLE_AOF_EVERYSEC ||
                 r->cfg.durability == HERD_DURABLE_PG_ASYNC;
    r->next_fsync = timer ? now + ref_interval(r) : HERD_TIME_NEVER;
}

static bool ref_dd_live(const ref_store *r, uint32_t i, herd_time now)
{
    return r->cfg.dedup_window_us == 0 || r->dd[i].inserted_us + r->cfg.dedup_window_us > now;
}

static void ref_dd_pop_front(ref_store *r)
{
    memmove(&r->dd[0], &r->dd[1], (r->dd_count - 1u) * sizeof r->dd[0]);
    r->dd_count--;
}

static const herd_dedup_record *ref_dd_find(const ref_store *r, herd_msg_id m, herd_time now)
{
    for (uint32_t i = 0; i < r->dd_count; i++)
        if (r->dd[i].msg == m && ref_dd_live(r, i, now)) return &r->dd[i];
    return NULL;
}

static void ref_pop_front(ref_stream *st)
{
    if (herd_sid_cmp(st->e[0].sid, st->max_deleted) > 0) st->max_deleted = st->e[0].sid;
    memmove(&st->e[0], &st->e[1], (st->len - 1u) * sizeof st->e[0]);
    st->len--;
}

static int ref_next_id(const ref_stream *st, herd_time now, const herd_sid *ex, herd_sid *id)
{
    if (ex) {
        if (herd_sid_is_zero(*ex) || herd_sid_cmp(*ex, st->top) <= 0) return HERD_ESTORE_ID;
        *id = *ex;
    } else if (now / 1000u > st->top.ms) {
        *id = sid_of(now / 1000u, 0);
    } else {
        *id = sid_of(st->top.ms, st->top.seq + 1u); /* the test never reaches seq overflow */
    }
    return HERD_OK;
}

static uint64_t ref_append(ref_store *r, uint32_t room, herd_sid id, herd_msg_id m)
{
    ref_stream *st = &r->st[room];
    if (st->len == r->cfg.maxlen) ref_pop_front(st);
    uint64_t lsn = r->next_lsn++;
    if (r->cfg.durability == HERD_DURABLE_AOF_ALWAYS || r->cfg.durability == HERD_DURABLE_PG_SYNC)
        r->durable_lsn = lsn;
    st->e[st->len++] = (herd_entry){.sid = id, .msg = m, .lsn = lsn};
    st->top = id;
    st->added++;
    return lsn;
}

static int ref_publish(ref_store *r, herd_time now, uint32_t room, herd_msg_id m, int dedup,
                       herd_publish_result *res)
{
    memset(res, 0, sizeof *res);
    if (room >= r->cfg.rooms) return HERD_ESTORE_ROOM;
    const herd_dedup_record *hit = dedup ? ref_dd_find(r, m, now) : NULL;
    if (hit) {
        *res = (herd_publish_result){.status = HERD_PUBLISH_DUPLICATE, .sid = hit->sid,
                                     .lsn = hit->lsn, .durable = hit->lsn <= r->durable_lsn};
        return HERD_OK;
    }
    herd_sid id, prev = r->st[room].top;
    ref_next_id(&r->st[room], now, NULL, &id);
    uint64_t lsn = ref_append(r, room, id, m);
    if (dedup) {
        while (r->dd_count > 0 && !ref_dd_live(r, 0, now)) ref_dd_pop_front(r);
        if (r->dd_count == r->cfg.dedup_capacity) ref_dd_pop_front(r);
        r->dd[r->dd_count++] = (herd_dedup_record){.msg = m, .sid = id, .lsn = lsn,
                                                   .inserted_us = now, .room = room};
    }
    *res = (herd_publish_result){.status = HERD_PUBLISH_APPENDED, .sid = id, .prev = prev,
                                 .lsn = lsn, .durable = lsn <= r->durable_lsn};
    return HERD_OK;
}

static void ref_crash(ref_store *r, herd_time now)
{
    r->lost += r->next_lsn - 1u - r->durable_lsn;
    if (r->cfg.durability == HERD_DURABLE_NONE) {
        memset(r->st, 0, sizeof r->st);
        r->dd_count = 0;
    }
    for (uint32_t room = 0; room < r->cfg.rooms; room++) {
        ref_stream *st = &r->st[room];
        uint32_t dropped = 0;
        while (st->len > 0 && st->e[st->len - 1u].lsn > r->durable_lsn) st->len--, dropped++;
        if (dropped == 0) continue;
        herd_sid last = st->len ? st->e[st->len - 1u].sid : HERD_SID_ZERO;
        st->top = herd_sid_cmp(last, st->max_deleted) > 0 ? last : st->max_deleted;
        st->added -= dropped;
    }
    while (r->dd_count > 0 && r->dd[r->dd_count - 1u].lsn > r->durable_lsn) r->dd_count--;
    r->next_lsn = r->durable_lsn + 1u;
    r->crashes++;
    ref_arm(r, now);
}

static void check_same(const herd_store *s, const ref_store *r, uint64_t seed, uint32_t op)
{
    cr_assert_eq(s->next_lsn, r->next_lsn, "seed %llu op %u", (unsigned long long)seed, op);
    cr_assert_eq(s->durable_lsn, r->durable_lsn, "seed %llu op %u", (unsigned long long)seed, op);
    cr_assert_eq(s->next_fsync, r->next_fsync);
    cr_assert_eq(s->crashes, r->crashes);
    cr_assert_eq(s->lost_writes, r->lost);
    cr_assert_eq(herd_store_dedup(s)->count, r->dd_count, "seed %llu op %u", (unsigned long long)seed, op);
    for (uint32_t room = 0; room < r->cfg.rooms; room++) {
        const herd_store_stream *a = herd_store_stream_info(s, room);
        const ref_stream *b = &r->st[room];
        cr_assert(herd_sid_eq(a->top, b->top), "seed %llu op %u room %u", (unsigned long long)seed, op, room);
        cr_assert(herd_sid_eq(a->max_deleted, b->max_deleted));
        cr_assert_eq(a->len, b->len, "seed %llu op %u room %u", (unsigned long long)seed, op, room);
        cr_assert_eq(a->added, b->added);
        herd_entry out[HERD_READ_MAX];
        herd_read_info info;
        cr_assert_eq(read_all(s, room, HERD_SID_ZERO, out, &info), b->len);
        cr_assert_eq(memcmp(out, b->e, b->len * sizeof out[0]), 0);
    }
}

static herd_sid random_sid_near(herd_rng *g, herd_sid top)
{
    uint64_t ms = top.ms + herd_rng_below(g, 3);
    ms = ms > 0 ? ms - 1u : 0;
    return sid_of(ms, herd_rng_below(g, top.seq + 3u));
}

/* A read from a random start compared with a scan of the reference stream. */
static void check_read(herd_rng *g, const herd_store *s, const ref_store *r, uint32_t room)
{
    const ref_stream *st = &r->st[room];
    herd_sid after = (st->len && herd_rng_below(g, 2)) ? st->e[herd_rng_below(g, st->len)].sid
                                                       : random_sid_near(g, st->top);
    uint32_t limit = (uint32_t)herd_rng_range(g, 0, 6);
    herd_entry out[HERD_READ_MAX];
    herd_read_info info;
    uint32_t n;
    int rc = herd_store_read(s, room, after, limit, out, &n, &info);
    if (limit == 0) {
        cr_assert_eq(rc, HERD_EINVAL);
        return;
    }
    uint32_t i = 0;
    while (i < st->len && herd_sid_cmp(st->e[i].sid, after) <= 0) i++;
    uint32_t want = st->len - i < limit ? st->len - i : limit;
    cr_assert_eq(rc, HERD_OK);
    cr_assert_eq(n, want);
    cr_assert_eq(memcmp(out, &st->e[i], n * sizeof out[0]), 0);
    cr_assert_eq(info.more, i + n < st->len);
    cr_assert_eq(info.gap, herd_sid_cmp(st->max_deleted, after) > 0);
    cr_assert(herd_sid_eq(info.first, st->len ? st->e[0].sid : HERD_SID_ZERO));
    for (uint32_t k = 0; k < n; k++) cr_assert_eq(herd_store_find(s, room, out[k].sid)->lsn, out[k].lsn);
}

/* One random operation applied to both the store (and its twin) and the reference. */
static void random_op(herd_rng *g, herd_store *s, herd_store *twin, ref_store *r, herd_time *now)
{
    uint32_t room = (uint32_t)herd_rng_below(g, r->cfg.rooms + (herd_rng_below(g, 50) == 0));
    herd_msg_id m = herd_rng_range(g, 1, 16);
    uint64_t pick = herd_rng_below(g, 100);
    if (pick < 40) {
        int dedup = pick < 30;
        herd_publish_result a, b;
        int rc = herd_store_publish(s, *now, room, m, dedup, &a);
        herd_store_publish(twin, *now, room, m, dedup, &a);
        cr_assert_eq(rc, ref_publish(r, *now, room, m, dedup, &b));
        cr_assert_eq(a.status, b.status);
        cr_assert_eq(a.durable, b.durable);
        cr_assert(herd_sid_eq(a.sid, b.sid));
        cr_assert(herd_sid_eq(a.prev, b.prev));
        cr_assert_eq(a.lsn, b.lsn);
    } else if (pick < 50 && room < r->cfg.rooms) {
        herd_sid ex = herd_rng_below(g, 10) ? random_sid_near(g, r->st[room].top) : HERD_SID_ZERO;
        const herd_sid *exp = herd_rng_below(g, 4) ? &ex : NULL;
        herd_sid a = {0}, b = {0};
        int rc = herd_store_xadd(s, *now, room, exp, m, &a);
        herd_store_xadd(twin, *now, room, exp, m, &a);
        int want = ref_next_id(&r->st[room], *now, exp, &b);
        cr_assert_eq(rc, want);
        if (want == HERD_OK) {
            ref_append(r, room, b, m);
            cr_assert(herd_sid_eq(a, b));
        }
    } else if (pick < 70 && room < r->cfg.rooms) {
        check_read(g, s, r, room);
    } else if (pick < 75 && room < r->cfg.rooms) {
        uint32_t keep = (uint32_t)herd_rng_below(g, r->cfg.maxlen + 2u);
        uint32_t removed = 0;
        while (r->st[room].len > keep) ref_pop_front(&r->st[room]), removed++;
        cr_assert_eq(herd_store_trim_maxlen(s, room, keep), (int)removed);
        herd_store_trim_maxlen(twin, room, keep);
    } else if (pick < 80 && room < r->cfg.rooms) {
        herd_sid minid = random_sid_near(g, r->st[room].top);
        uint32_t removed = 0;
        while (r->st[room].len > 0 && herd_sid_cmp(r->st[room].e[0].sid, minid) < 0)
            ref_pop_front(&r->st[room]), removed++;
        cr_assert_eq(herd_store_trim_minid(s, room, minid), (int)removed);
        herd_store_trim_minid(twin, room, minid);
    } else if (pick < 90) {
        if (herd_rng_below(g, 2) && r->next_fsync != HERD_TIME_NEVER && r->next_fsync > *now)
            *now = r->next_fsync; /* jump to the deadline, as a driver does */
        if (r->next_fsync != HERD_TIME_NEVER && *now >= r->next_fsync) {
            r->durable_lsn = r->next_lsn - 1u;
            ref_arm(r, *now);
        }
        herd_store_on_timer(s, *now);
        herd_store_on_timer(twin, *now);
    } else if (pick < 93) {
        herd_store_crash(s, *now);
        herd_store_crash(twin, *now);
        ref_crash(r, *now);
    } else {
        *now += herd_rng_below(g, MS(700));
    }
}

static void random_store_run(uint64_t seed, uint32_t ops, bool grow)
{
    herd_rng g;
    herd_rng_seed(&g, seed);
    herd_store_config c = cfg_of((uint32_t)herd_rng_range(&g, 1, REF_ROOMS),
                                 (uint32_t)herd_rng_range(&g, 1, grow ? REF_MAXLEN : 8),
                                 (uint32_t)herd_rng_range(&g, 1, REF_DEDUP),
                                 (int)herd_rng_below(&g, HERD_DURABLE_COUNT));
    c.dedup_window_us = herd_rng_below(&g, 2) ? herd_rng_range(&g, 1, MS(3000)) : 0;
    c.fsync_interval_us = herd_rng_below(&g, 2) ? herd_rng_range(&g, 1, MS(1500)) : 0;
    c.grow = grow;
    herd_time now = herd_rng_below(&g, MS(5));
    herd_store *s = store_new(&c, now), *twin = store_new(&c, now);
    ref_store r = {.cfg = c, .next_lsn = 1};
    ref_arm(&r, now);
    for (uint32_t op = 0; op < ops; op++) {
        now += herd_rng_below(&g, 4) ? 0 : herd_rng_below(&g, MS(3));
        random_op(&g, s, twin, &r, &now);
        check_same(s, &r, seed, op);
    }
    cr_assert_eq(memcmp(s, twin, herd_store_bytes(&c)), 0, "same operations, same bytes");
    free(s);
    free(twin);
}

Test(store, random_ops_match_reference_model)
{
    for (uint64_t seed = 1; seed <= 400; seed++) random_store_run(seed, 800, false);
}

/* The growing layout answers exactly as the reference (and so as the flat one), through
 * ring growth, region reuse across rooms, trims, crashes and timers. */
Test(store, growing_rings_match_reference_model)
{
    for (uint64_t seed = 1; seed <= 400; seed++) random_store_run(seed, 800, true);
}

/* A growing store touches memory as messages arrive, not rooms x maxlen: its used bytes
 * start at the per-room records, follow what is stored, and stay within the reservation
 * even when every room reaches maxlen. */
Test(store, growing_store_uses_what_it_stores)
{
    herd_store_config c = cfg_of(1000, 10000, 1u << 16, HERD_DURABLE_AOF_ALWAYS);
    c.grow = 1;
    size_t reserved = herd_store_bytes(&c), base = herd_store_base_bytes(&c);
    herd_store *s = calloc(1, reserved);
    cr_assert_not_null(s);
    cr_assert_eq(herd_store_init(s, reserved, &c, 0), HERD_OK);
    size_t at_start = herd_store_used_bytes(s);
    cr_assert_lt(at_start, base + 4096u, "only the header, the rooms and a small hash at start");
    herd_store_config flat = c;
    flat.grow = 0;
    cr_assert_gt(herd_store_bytes(&flat), 100u * at_start, "the flat layout lays out every ring");
    for (uint32_t i = 0; i < 11000; i++) publish(s, MS(i + 1), i % 1000u, (herd_msg_id)i + 1, 1);
    size_t used = herd_store_used_bytes(s);
    /* 11 messages per room: rings of 16 entries (32 B each), 11 000 dedup records (48 B) */
    cr_assert_lt(used, at_start + 1000u * 16u * 32u + 11000u * 48u + 4u * 32768u * 4u);
    for (uint32_t i = 0; i < 30; i++) { /* room 7 to maxlen and past it: MAXLEN trims */
        for (uint32_t k = 0; k < 400; k++) publish(s, MS(20000 + i * 400 + k), 7, 100000u + i * 400u + k, 0);
    }
    cr_assert_eq(herd_store_stream_info(s, 7)->len, 10000);
    herd_entry out[HERD_READ_MAX];
    herd_read_info info;
    uint32_t n = read_all(s, 7, HERD_SID_ZERO, out, &info);
    cr_assert_eq(n, HERD_READ_MAX);
    cr_assert(info.gap);
    cr_assert_eq(out[0].msg, 100000u + 2000u, "the oldest 2 000 were trimmed");
    cr_assert_leq(herd_store_used_bytes(s), reserved);
    free(s);
}
