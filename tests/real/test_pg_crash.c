/* test_pg_crash.c — durability against reality for PostgreSQL: a stream of committed
 * single-row INSERTs, the whole cluster frozen and SIGKILLed mid-stream, a restart with
 * crash recovery, and a count of the commits that did not come back.
 *
 * The cluster is $HERD_PG_CRASH_DATA (initialised and left stopped by
 * scripts/services.sh); this test starts the postmaster itself, as HERD_PG_USER, so it can
 * kill it and its children at once. Each run writes for 0.8 to 1.4 s (the seed picks it),
 * back to back or one commit every 5 ms.
 * With synchronous_commit on nothing committed may be lost; with it off, commits still in
 * the WAL buffers (the WAL writer flushes every wal_writer_delay, 200 ms) are lost, and
 * the loss must be within what the model's pg_async loses at its worst phase. What
 * survives must be a prefix of what was committed. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "real.h"
#include "rng.h"
#include "store.h"

#define PGC_WRITES_MAX (1u << 19)

typedef struct crash_pg {
    char data[1024], port[16], dsn[256], log[1100];
    char *argv[16];
    pid_t pid;
} crash_pg;

static void crash_pg_setup(crash_pg *p)
{
    snprintf(p->data, sizeof p->data, "%s", real_env("HERD_PG_CRASH_DATA"));
    snprintf(p->port, sizeof p->port, "%d", real_free_port());
    snprintf(p->dsn, sizeof p->dsn, "host=127.0.0.1 port=%s user=postgres dbname=postgres", p->port);
    snprintf(p->log, sizeof p->log, "%s/crash.log", p->data);
    static char postgres[1100];
    snprintf(postgres, sizeof postgres, "%s/postgres", real_env("HERD_PG_BINDIR"));
    char *argv[] = {postgres, "-D", p->data, "-p", p->port, "-k", p->data,
                    "-c", "listen_addresses=127.0.0.1", NULL};
    memcpy(p->argv, argv, sizeof argv);
}

static void crash_pg_start(crash_pg *p)
{
    const char *user = getenv("HERD_PG_USER");
    p->pid = real_spawn(p->argv, user, p->log);
    for (int i = 0; i < 600; i++) { /* 30 s at most, crash recovery included */
        if (PQping(p->dsn) == PQPING_OK) return;
        real_sleep_ms(50);
    }
    cr_assert_fail("postgres in %s did not start: see %s", p->data, p->log);
}

/* Committed INSERTs for duration_ms, pace_ms apart (0: back to back); returns how many,
 * their commit times in ack_us. */
static uint32_t crash_pg_write(PGconn *c, uint64_t duration_ms, unsigned pace_ms, uint64_t *ack_us)
{
    PGresult *r = PQprepare(c, "ins", "INSERT INTO crash VALUES ($1)", 1, NULL);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
    uint64_t end = real_clock_us() + duration_ms * 1000u;
    uint32_t n = 0;
    for (; n < PGC_WRITES_MAX; n++) {
        char v[16];
        snprintf(v, sizeof v, "%u", n);
        const char *params[] = {v};
        r = PQexecPrepared(c, "ins", 1, params, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "INSERT %u: %s", n, PQerrorMessage(c));
        PQclear(r);
        ack_us[n] = real_clock_us();
        if (ack_us[n] >= end) return n + 1u;
        if (pace_ms > 0) real_sleep_ms(pace_ms);
    }
    return n;
}

static uint32_t crash_pg_survivors(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT count(*), coalesce(max(i), -1) FROM crash");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    long long count = atoll(PQgetvalue(r, 0, 0)), max = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    cr_assert_eq(count, max + 1, "recovery left a hole: %lld rows, largest %lld", count, max);
    return (uint32_t)count;
}

static void crash_pg_run(int sync, unsigned pace_ms, uint64_t seed)
{
    herd_rng g;
    herd_rng_seed(&g, seed);
    uint64_t duration_ms = herd_rng_range(&g, 800, 1400);
    crash_pg p;
    crash_pg_setup(&p);
    crash_pg_start(&p);
    PGconn *c = real_pg_connect(p.dsn);
    real_pg_exec(c, "SET client_min_messages = warning; DROP TABLE IF EXISTS crash; "
                    "CREATE TABLE crash (i bigint PRIMARY KEY)");
    real_pg_exec(c, sync ? "SET synchronous_commit = on" : "SET synchronous_commit = off");
    uint64_t *ack_us = malloc(PGC_WRITES_MAX * sizeof *ack_us);
    cr_assert_not_null(ack_us);
    uint32_t n = crash_pg_write(c, duration_ms, pace_ms, ack_us);
    uint64_t kill_us = real_clock_us();
    real_crash(p.pid);
    PQfinish(c);
    crash_pg_start(&p); /* crash recovery replays the WAL */
    c = real_pg_connect(p.dsn);
    uint32_t k = crash_pg_survivors(c);
    PQfinish(c);
    real_stop(p.pid, SIGINT, 20000);
    cr_assert_leq(k, n, "more rows than commits");
    uint32_t lost = n - k;
    int mode = sync ? HERD_DURABLE_PG_SYNC : HERD_DURABLE_PG_ASYNC;
    uint64_t every_us;
    uint32_t model_lost = real_model_worst_loss(mode, ack_us, n, kill_us, &every_us);
    char line[512];
    snprintf(line, sizeof line, "postgres 15 synchronous_commit %-3s %s seed %#" PRIx64 ": %u commits in %" PRIu64
             " ms, SIGKILL, %u lost (window %.1f ms); model %s loses up to %u (interval %" PRIu64 " ms)",
             sync ? "on" : "off", pace_ms ? "paced 5 ms" : "flat out", seed, n, duration_ms, lost,
             lost ? (double)(kill_us - ack_us[k]) / 1000.0 : 0.0, herd_durability_name(mode), model_lost,
             every_us / 1000u);
    real_crash_report(line);
    free(ack_us);
    cr_assert_leq(lost, model_lost, "PostgreSQL lost more than the model would: %s", line);
    if (sync) cr_assert_eq(lost, 0, "synchronous_commit on lost commits: %s", line);
}

Test(pg_crash, synchronous_commit_on_loses_nothing, .timeout = 120)
{
    uint64_t seed = real_seed_override();
    crash_pg_run(1, 0, seed ? seed : 0xc0b5u);
}

Test(pg_crash, synchronous_commit_off_loses_no_more_than_the_model, .timeout = 120)
{
    uint64_t seed = real_seed_override();
    crash_pg_run(0, 0, seed ? seed : 0xc0b6u);
}

/* At a low commit rate no WAL page fills up to wake the WAL writer: commits wait for
 * its wal_writer_delay round, the widest window synchronous_commit off has. */
Test(pg_crash, synchronous_commit_off_paced_loses_no_more_than_the_model, .timeout = 120)
{
    uint64_t seed = real_seed_override();
    crash_pg_run(0, 5, seed ? seed : 0xc0b7u);
}
