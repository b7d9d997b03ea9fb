/* test_pg_diff.c — the stream store model (src/store.c) against a real PostgreSQL holding
 * the recipe docs/recipes/pg_stream.sql: seeded random sequences of dedup-publish
 * (fresh messages and resends, with a dedup window on a virtual clock), reads after an
 * id in order with a limit, trims by count and by age, compared result by result.
 *
 * The two sides name entries differently: the model by "ms-seq", PostgreSQL by a dense
 * per-room id. Every append pairs the two (both must grow), and the comparison happens
 * in PostgreSQL's ids: a model id maps through the pairs, an id between entries maps to
 * the entry at or below it (both orders agree, so "after" selects the same rows). After
 * every operation the room's count, first id, max_deleted and last_id (the model's
 * entries-added: ids are dense) are compared too. Each seed runs in its own schema.
 * Pinned divergences at the end: the one-table recipe's dedup ends with the row, and a
 * bigserial id lets "read after id" skip a row committed late (docs/stores.md). */
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

#define PG_ROOMS 3u
#define PG_PAIRS_MAX 4096u /* appends per room per run, at most */
#define PG_SENT_MAX 4096u
#define PG_WINDOW_US ((herd_time)50 * HERD_US_PER_MS)
#define PG_TEXT 8192
#define PG_SEEDS 4u
#define PG_OPS 1500u

typedef struct pg_run {
    PGconn *c;
    herd_store *model;
    uint64_t seed;
    uint32_t op;
    herd_rng rng;
    uint64_t now_ms;
    herd_sid sid[PG_ROOMS][PG_PAIRS_MAX]; /* model id of each append, in order */
    int64_t pgid[PG_ROOMS][PG_PAIRS_MAX]; /* PostgreSQL's id of the same append */
    uint32_t npairs[PG_ROOMS];
    herd_msg_id sent[PG_SENT_MAX];
    uint32_t nsent, next_seq;
    char what[160], m[PG_TEXT], r[PG_TEXT];
} pg_run;

/* ---- setup and plumbing ------------------------------------------------------------------ */

static herd_store *pg_model_new(void)
{
    herd_store_config cfg = {.rooms = PG_ROOMS, .maxlen = PG_PAIRS_MAX, .dedup_capacity = 1u << 16,
                             .durability = HERD_DURABLE_PG_SYNC, .dedup_window_us = PG_WINDOW_US};
    size_t bytes = herd_store_bytes(&cfg);
    herd_store *s = malloc(bytes);
    cr_assert_not_null(s);
    cr_assert_eq(herd_store_init(s, bytes, &cfg, 0), HERD_OK);
    return s;
}

/* A fresh schema holding the recipe, first on the search path. Commits need not wait
 * for the disk here: durability is test_pg_crash.c's business. */
static void pg_schema_new(PGconn *c, const char *tag)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SET synchronous_commit = off; SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; "
             "CREATE SCHEMA %s; SET search_path TO %s", tag, tag, tag);
    real_pg_exec(c, sql);
    char *recipe = real_source_file("docs/recipes/pg_stream.sql");
    real_pg_exec(c, recipe);
    free(recipe);
}

/* Run a parameterised query (all parameters as text); fails on error. */
static PGresult *pg_query(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        cr_assert_fail("PostgreSQL: %s\nin: %s", PQerrorMessage(c), sql);
    return res;
}

/* PostgreSQL's id for a model id: the append at or below it (0 if none). */
static int64_t pg_map(const pg_run *d, uint32_t room, herd_sid sid)
{
    uint32_t lo = 0, hi = d->npairs[room];
    while (lo < hi) { /* first pair with model id > sid */
        uint32_t mid = lo + (hi - lo) / 2u;
        if (herd_sid_cmp(d->sid[room][mid], sid) <= 0) lo = mid + 1u;
        else hi = mid;
    }
    return lo == 0 ? 0 : d->pgid[room][lo - 1u];
}

static void pg_check(const pg_run *d)
{
    if (strcmp(d->m, d->r) != 0)
        cr_assert_fail("model and PostgreSQL differ: seed %" PRIu64 " op %u: %s\n  model: %s\n"
                       "  pg:    %s\nreplay: HERD_REAL_SEED=%" PRIu64 " ctest -L real -R pg_diff",
                       d->seed, d->op, d->what, d->m, d->r, d->seed);
}

/* ---- operations ---------------------------------------------------------------------------- */

static void pg_op_publish(pg_run *d, uint32_t room, herd_msg_id msg)
{
    herd_time now = d->now_ms * HERD_US_PER_MS;
    snprintf(d->what, sizeof d->what, "publish room %u msg %" PRIu64 " at %" PRIu64 " ms", room, msg,
             d->now_ms);
    const herd_dedup_record *rec = herd_dedup_find(herd_store_dedup(d->model), msg, now);
    uint32_t dup_room = rec != NULL ? rec->room : room;
    herd_publish_result res;
    cr_assert_eq(herd_store_publish(d->model, now, room, msg, 1, &res), HERD_OK);
    char p[4][24];
    snprintf(p[0], 24, "%u", room);
    snprintf(p[1], 24, "%" PRIu64, msg);
    snprintf(p[2], 24, "%" PRIu64, (uint64_t)PG_WINDOW_US);
    snprintf(p[3], 24, "%" PRIu64, (uint64_t)now);
    const char *params[] = {p[0], p[1], p[2], p[3]};
    PGresult *q = pg_query(d->c, "SELECT status, room, id FROM herd_publish($1, $2, $3, $4)", 4, params);
    int status = atoi(PQgetvalue(q, 0, 0));
    int64_t id = strtoll(PQgetvalue(q, 0, 2), NULL, 10);
    snprintf(d->r, sizeof d->r, "%s room %s", status == 1 ? "appended" : "duplicate", PQgetvalue(q, 0, 1));
    PQclear(q);
    if (res.status == HERD_PUBLISH_DUPLICATE) {
        snprintf(d->m, sizeof d->m, "duplicate room %u", dup_room);
        if (status == 2) { /* both duplicates: of the same entry? */
            int64_t want = pg_map(d, dup_room, res.sid);
            snprintf(d->m + strlen(d->m), 64, " id %" PRId64, want);
            snprintf(d->r + strlen(d->r), 64, " id %" PRId64, id);
        }
        return;
    }
    snprintf(d->m, sizeof d->m, "appended room %u", room);
    uint32_t k = d->npairs[room];
    cr_assert_lt(k, PG_PAIRS_MAX);
    if (status == 1 && k > 0 && id <= d->pgid[room][k - 1u])
        snprintf(d->r + strlen(d->r), 64, " with id %" PRId64 " not above %" PRId64, id, d->pgid[room][k - 1u]);
    d->sid[room][k] = res.sid;
    d->pgid[room][k] = id;
    d->npairs[room] = k + 1u;
}

static void pg_text_model_read(const pg_run *d, uint32_t room, herd_sid after, uint32_t limit,
                               char *out, size_t cap)
{
    herd_entry e[HERD_READ_MAX];
    uint32_t n = 0;
    cr_assert_eq(herd_store_read(d->model, room, after, limit, e, &n, NULL), HERD_OK);
    size_t used = (size_t)snprintf(out, cap, "n=%u", n);
    for (uint32_t i = 0; i < n && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, " %" PRId64 ":%" PRIu64,
                                 pg_map(d, room, e[i].sid), e[i].msg);
}

static void pg_op_read(pg_run *d, uint32_t room, herd_sid after, uint32_t limit)
{
    int64_t pg_after = pg_map(d, room, after);
    snprintf(d->what, sizeof d->what, "read room %u after %" PRIu64 "-%" PRIu64 " (id %" PRId64 ") limit %u",
             room, after.ms, after.seq, pg_after, limit);
    pg_text_model_read(d, room, after, limit, d->m, sizeof d->m);
    char p[3][24];
    snprintf(p[0], 24, "%u", room);
    snprintf(p[1], 24, "%" PRId64, pg_after);
    snprintf(p[2], 24, "%u", limit);
    const char *params[] = {p[0], p[1], p[2]};
    PGresult *q = pg_query(d->c, "SELECT id, msg FROM herd_message WHERE room = $1 AND id > $2 "
                           "ORDER BY id LIMIT $3", 3, params);
    int rows = PQntuples(q);
    size_t used = (size_t)snprintf(d->r, sizeof d->r, "n=%d", rows);
    for (int i = 0; i < rows && used < sizeof d->r; i++)
        used += (size_t)snprintf(d->r + used, sizeof d->r - used, " %s:%s", PQgetvalue(q, i, 0),
                                 PQgetvalue(q, i, 1));
    PQclear(q);
}

/* by_age: remove what was created before cutoff_ms (the model: MINID cutoff_ms-0). */
static void pg_op_trim(pg_run *d, uint32_t room, int by_age, uint64_t arg)
{
    snprintf(d->what, sizeof d->what, "trim room %u %s %" PRIu64, room,
             by_age ? "created before (ms)" : "keep newest", arg);
    int k = by_age ? herd_store_trim_minid(d->model, room, (herd_sid){arg, 0})
                   : herd_store_trim_maxlen(d->model, room, (uint32_t)arg);
    snprintf(d->m, sizeof d->m, "removed %d", k);
    char p[2][24];
    snprintf(p[0], 24, "%u", room);
    snprintf(p[1], 24, "%" PRIu64, by_age ? arg * HERD_US_PER_MS : arg);
    const char *params[] = {p[0], p[1]};
    PGresult *q = pg_query(d->c, by_age ? "SELECT herd_trim_before($1, $2)" : "SELECT herd_trim_maxlen($1, $2)",
                           2, params);
    snprintf(d->r, sizeof d->r, "removed %s", PQgetvalue(q, 0, 0));
    PQclear(q);
}

static void pg_op_info(pg_run *d, uint32_t room)
{
    snprintf(d->what, sizeof d->what, "info room %u", room);
    const herd_store_stream *st = herd_store_stream_info(d->model, room);
    herd_entry first[1];
    uint32_t n = 0;
    cr_assert_eq(herd_store_read(d->model, room, HERD_SID_ZERO, 1, first, &n, NULL), HERD_OK);
    snprintf(d->m, sizeof d->m, "count=%u first=%" PRId64 " max_deleted=%" PRId64 " last_id=%" PRIu64,
             st->len, n ? pg_map(d, room, first[0].sid) : 0, pg_map(d, room, st->max_deleted), st->added);
    char p[24];
    snprintf(p, sizeof p, "%u", room);
    const char *params[] = {p};
    PGresult *q = pg_query(d->c,
        "SELECT (SELECT count(*) FROM herd_message WHERE room = $1), "
        "coalesce((SELECT min(id) FROM herd_message WHERE room = $1), 0), "
        "coalesce((SELECT max_deleted FROM herd_room WHERE room = $1), 0), "
        "coalesce((SELECT last_id FROM herd_room WHERE room = $1), 0)", 1, params);
    snprintf(d->r, sizeof d->r, "count=%s first=%s max_deleted=%s last_id=%s", PQgetvalue(q, 0, 0),
             PQgetvalue(q, 0, 1), PQgetvalue(q, 0, 2), PQgetvalue(q, 0, 3));
    PQclear(q);
}

/* ---- the random runs ------------------------------------------------------------------------- */

static herd_sid pg_pick_after(pg_run *d, uint32_t room)
{
    const herd_store_stream *st = herd_store_stream_info(d->model, room);
    uint32_t k = d->npairs[room];
    switch (herd_rng_below(&d->rng, 5)) {
    case 0: return HERD_SID_ZERO;
    case 1: return st->top;
    case 2: return st->max_deleted;
    case 3: return k ? d->sid[room][herd_rng_below(&d->rng, k)] : HERD_SID_ZERO;
    default: return (herd_sid){herd_rng_range(&d->rng, 1000, d->now_ms + 1u), herd_rng_below(&d->rng, 3)};
    }
}

static void pg_random_op(pg_run *d)
{
    uint32_t room = (uint32_t)herd_rng_below(&d->rng, PG_ROOMS);
    uint64_t k = herd_rng_below(&d->rng, 100), t = herd_rng_below(&d->rng, 40);
    d->now_ms += t < 20 ? 0 : t < 36 ? 1 : t < 39 ? herd_rng_range(&d->rng, 2, 9) : herd_rng_range(&d->rng, 30, 90);
    if (k < 45 || (k < 60 && d->nsent == 0)) {
        herd_msg_id m = herd_msg_make((uint32_t)herd_rng_range(&d->rng, 1, 4), ++d->next_seq);
        if (d->nsent < PG_SENT_MAX) d->sent[d->nsent++] = m;
        pg_op_publish(d, room, m);
    } else if (k < 60) {
        pg_op_publish(d, room, d->sent[herd_rng_below(&d->rng, d->nsent)]);
    } else if (k < 84) {
        pg_op_read(d, room, pg_pick_after(d, room), (uint32_t)herd_rng_range(&d->rng, 1, HERD_READ_MAX));
    } else if (k < 92) {
        pg_op_trim(d, room, 0, herd_rng_below(&d->rng, herd_store_stream_info(d->model, room)->len + 3u));
    } else {
        pg_op_trim(d, room, 1, d->now_ms - herd_rng_below(&d->rng, 120));
    }
    pg_check(d);
    pg_op_info(d, room);
    pg_check(d);
}

Test(pg_diff, random_sequences_match_the_model, .timeout = 240)
{
    PGconn *c = real_pg_connect(real_env("HERD_PG_DSN"));
    uint64_t only = real_seed_override();
    uint32_t seeds = only ? 1u : PG_SEEDS;
    for (uint32_t i = 0; i < seeds; i++) {
        pg_run *d = calloc(1, sizeof *d);
        cr_assert_not_null(d);
        d->c = c;
        d->seed = only ? only : 0x5eed0100u + i;
        herd_rng_seed(&d->rng, d->seed);
        d->now_ms = 1000;
        d->model = pg_model_new();
        char tag[64];
        snprintf(tag, sizeof tag, "herd_diff_%d_%" PRIu64, (int)getpid(), d->seed);
        pg_schema_new(c, tag);
        for (d->op = 0; d->op < PG_OPS; d->op++) pg_random_op(d);
        free(d->model);
        free(d);
    }
    cr_log_info("pg_diff: %u seeds x %u operations, each followed by the room's counters", seeds, PG_OPS);
    PQfinish(c);
}

/* ---- pinned divergences ------------------------------------------------------------------- */

/* The one-table recipe (msg UNIQUE on the message table, INSERT ... ON CONFLICT DO
 * NOTHING RETURNING) forgets a message when its row is trimmed: a late resend is
 * appended again, a duplicate delivery, where the model (and pg_stream.sql, whose dedup
 * table outlives trims) still answers "duplicate". */
Test(pg_diff, one_table_dedup_ends_with_the_row)
{
    PGconn *c = real_pg_connect(real_env("HERD_PG_DSN"));
    char tag[64], sql[512];
    snprintf(tag, sizeof tag, "herd_pin1_%d", (int)getpid());
    pg_schema_new(c, tag);
    real_pg_exec(c, "CREATE TABLE one (id bigserial PRIMARY KEY, room int NOT NULL, "
                    "msg bigint NOT NULL UNIQUE, created_us bigint NOT NULL)");
    const char *ins = "INSERT INTO one (room, msg, created_us) VALUES (0, 77, 0) "
                      "ON CONFLICT (msg) DO NOTHING RETURNING id";
    PGresult *q = pg_query(c, ins, 0, NULL);
    cr_assert_eq(PQntuples(q), 1);
    PQclear(q);
    q = pg_query(c, ins, 0, NULL); /* a resend while the row lives: nothing returned */
    cr_assert_eq(PQntuples(q), 0);
    PQclear(q);
    real_pg_exec(c, "DELETE FROM one WHERE room = 0"); /* trimmed */
    q = pg_query(c, ins, 0, NULL);
    cr_assert_eq(PQntuples(q), 1, "the one-table recipe kept the message's dedup after its row went");
    PQclear(q);
    herd_store *m = pg_model_new();
    herd_publish_result a, b;
    cr_assert_eq(herd_store_publish(m, 0, 0, 77, 1, &a), HERD_OK);
    cr_assert_eq(herd_store_trim_maxlen(m, 0, 0), 1);
    cr_assert_eq(herd_store_publish(m, 1, 0, 77, 1, &b), HERD_OK);
    cr_assert_eq(b.status, HERD_PUBLISH_DUPLICATE);
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", tag);
    real_pg_exec(c, sql);
    free(m);
    PQfinish(c);
}

/* With a bigserial id, ids are taken at insert and become visible at commit, so a reader
 * that reads "after the last id it saw" can pass over a row committed late: the model
 * (and Redis, which assigns ids at append time under one lock) never does that. The
 * recipe's per-room counter row is locked until commit, so a second publish to the room
 * waits, and ids are visible in order. */
Test(pg_diff, bigserial_read_after_id_can_skip_the_recipe_cannot)
{
    const char *dsn = real_env("HERD_PG_DSN");
    PGconn *a = real_pg_connect(dsn), *b = real_pg_connect(dsn);
    char tag[64], path[128];
    snprintf(tag, sizeof tag, "herd_pin2_%d", (int)getpid());
    pg_schema_new(a, tag);
    snprintf(path, sizeof path, "SET search_path TO %s", tag);
    real_pg_exec(b, path);
    real_pg_exec(a, "CREATE TABLE serial (id bigserial PRIMARY KEY, msg bigint NOT NULL)");
    real_pg_exec(a, "BEGIN; INSERT INTO serial (msg) VALUES (1)"); /* takes id 1, not committed */
    real_pg_exec(b, "INSERT INTO serial (msg) VALUES (2)");         /* id 2, committed */
    PGresult *q = pg_query(b, "SELECT max(id) FROM serial", 0, NULL);
    cr_assert_str_eq(PQgetvalue(q, 0, 0), "2"); /* the reader has now seen up to id 2 */
    PQclear(q);
    real_pg_exec(a, "COMMIT");
    q = pg_query(b, "SELECT count(*) FROM serial WHERE id > 2", 0, NULL);
    cr_assert_str_eq(PQgetvalue(q, 0, 0), "0", "reading after id 2 finds nothing: row 1 is skipped");
    PQclear(q);
    /* the recipe: the second publish waits for the first's commit */
    real_pg_exec(a, "BEGIN; SELECT herd_publish(5, 1001, 0, 0)");
    cr_assert_eq(PQsendQuery(b, "SELECT id FROM herd_publish(5, 1002, 0, 0)"), 1);
    real_sleep_ms(300);
    cr_assert_eq(PQconsumeInput(b), 1);
    cr_assert_eq(PQisBusy(b), 1, "a second publish to the room went ahead of an open one");
    real_pg_exec(a, "COMMIT");
    PGresult *r = PQgetResult(b);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(b));
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "2");
    PQclear(r);
    while ((r = PQgetResult(b)) != NULL) PQclear(r);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", tag);
    real_pg_exec(a, sql);
    PQfinish(a);
    PQfinish(b);
}
