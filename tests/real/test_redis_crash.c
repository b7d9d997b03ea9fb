/* test_redis_crash.c — durability against reality: a stream of ACKed XADDs to a real
 * Redis with an append-only file, SIGKILL mid-stream, restart from the AOF, count the
 * ACKed writes that did not come back, and hold the model to at least that loss.
 *
 * One Redis per run, started here (not the differential tests' server: this one dies),
 * under $HERD_REAL_DIR/crash-redis-<mode>. Writes go one at a time, each ACKed before the
 * next, for 0.8 to 1.4 s (the seed picks it, so the kill lands at a different phase of
 * Redis's once-a-second fsync); the kill freezes and kills the process between two ACKs.
 * What survives must be a prefix of what was ACKed (the AOF is a log). The loss window
 * is the time from the first lost ACK to the kill. With appendfsync always nothing ACKed
 * may be lost; with everysec whatever is lost must be within what the model's
 * aof_everysec loses at its worst phase. A SIGKILL is a process crash: the kernel keeps
 * what Redis wrote to the AOF, so this measures Redis's own buffering, not a power cut
 * (docs/stores.md says what that adds). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "rng.h"
#include "store.h"

#define CRASH_WRITES_MAX (1u << 19)

typedef struct crash_redis {
    char dir[1024], port[16];
    char *argv[24];
    pid_t pid;
} crash_redis;

static void crash_redis_start(crash_redis *r)
{
    char log[4200];
    snprintf(log, sizeof log, "%s/stdout.log", r->dir);
    r->pid = real_spawn(r->argv, NULL, log);
    for (int i = 0; i < 200; i++) { /* 10 s at most, AOF load included */
        real_sleep_ms(50);
        struct timeval tv = {.tv_sec = 1, .tv_usec = 0};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", atoi(r->port), tv);
        if (c != NULL && !c->err) {
            redisReply *rep = redisCommand(c, "PING");
            int ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;
            if (rep != NULL) freeReplyObject(rep);
            redisFree(c);
            if (ok) return;
        } else if (c != NULL) {
            redisFree(c);
        }
    }
    cr_assert_fail("redis-server in %s did not start: see %s/redis.log", r->dir, r->dir);
}

static void crash_redis_setup(crash_redis *r, const char *fsync)
{
    snprintf(r->dir, sizeof r->dir, "%s/crash-redis-%s", real_env("HERD_REAL_DIR"), fsync);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", r->dir, r->dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(r->port, sizeof r->port, "%d", real_free_port());
    static char pidfile[4200], logfile[4200];
    snprintf(pidfile, sizeof pidfile, "%s/redis.pid", r->dir);
    snprintf(logfile, sizeof logfile, "%s/redis.log", r->dir);
    char *argv[] = {(char *)real_env("HERD_REDIS_SERVER"), "--port", r->port, "--bind", "127.0.0.1",
                    "--dir", r->dir, "--appendonly", "yes", "--appendfsync", (char *)fsync,
                    "--save", "", "--daemonize", "no", "--pidfile", pidfile, "--logfile", logfile, NULL};
    memcpy(r->argv, argv, sizeof argv);
}

/* ACKed XADDs for duration_ms; returns how many, their ACK times in ack_us. */
static uint32_t crash_redis_write(redisContext *c, uint64_t duration_ms, uint64_t *ack_us)
{
    uint64_t end = real_clock_us() + duration_ms * 1000u;
    uint32_t n = 0;
    for (; n < CRASH_WRITES_MAX; n++) {
        redisReply *rep = redisCommand(c, "XADD herd:crash * m %u", n);
        cr_assert(rep != NULL && rep->type == REDIS_REPLY_STRING, "XADD %u failed", n);
        freeReplyObject(rep);
        ack_us[n] = real_clock_us();
        if (ack_us[n] >= end) return n + 1u;
    }
    return n;
}

/* How many entries came back, checking they are exactly writes 0..k-1 in order. */
static uint32_t crash_redis_survivors(redisContext *c)
{
    uint32_t k = 0;
    char start[64] = "-";
    for (int page = 0; page < 1024; page++) {
        redisReply *rep = redisCommand(c, "XRANGE herd:crash %s + COUNT 10000", start);
        cr_assert(rep != NULL && rep->type == REDIS_REPLY_ARRAY);
        size_t got = rep->elements;
        for (size_t i = 0; i < got; i++) {
            const redisReply *e = rep->element[i];
            cr_assert_eq(strtoul(e->element[1]->element[1]->str, NULL, 10), k,
                         "the AOF came back with a hole before write %u", k);
            k++;
            if (i + 1u == got) snprintf(start, sizeof start, "(%s", e->element[0]->str);
        }
        freeReplyObject(rep);
        if (got == 0) break;
    }
    return k;
}

static void crash_redis_run(const char *fsync, int mode, uint64_t seed)
{
    herd_rng g;
    herd_rng_seed(&g, seed);
    uint64_t duration_ms = herd_rng_range(&g, 800, 1400);
    crash_redis r;
    crash_redis_setup(&r, fsync);
    crash_redis_start(&r);
    uint64_t *ack_us = malloc(CRASH_WRITES_MAX * sizeof *ack_us);
    cr_assert_not_null(ack_us);
    redisContext *c = real_redis_connect_port(atoi(r.port));
    uint32_t n = crash_redis_write(c, duration_ms, ack_us);
    uint64_t kill_us = real_clock_us();
    real_crash(r.pid);
    redisFree(c);
    crash_redis_start(&r); /* restart from the AOF */
    c = real_redis_connect_port(atoi(r.port));
    uint32_t k = crash_redis_survivors(c);
    redisFree(c);
    real_stop(r.pid, SIGTERM, 10000);
    cr_assert_leq(k, n, "more entries than ACKed writes");
    uint32_t lost = n - k;
    uint64_t every_us;
    uint32_t model_lost = real_model_worst_loss(mode, ack_us, n, kill_us, &every_us);
    char line[512];
    snprintf(line, sizeof line, "redis 7 appendfsync %-8s seed %#" PRIx64 ": %u ACKed writes in %" PRIu64
             " ms, SIGKILL, %u lost (window %.1f ms); model %s loses up to %u (interval %" PRIu64 " ms)",
             fsync, seed, n, duration_ms, lost, lost ? (double)(kill_us - ack_us[k]) / 1000.0 : 0.0,
             herd_durability_name(mode), model_lost, every_us / 1000u);
    real_crash_report(line);
    free(ack_us);
    cr_assert_leq(lost, model_lost, "Redis lost more than the model would: %s", line);
    if (mode == HERD_DURABLE_AOF_ALWAYS) cr_assert_eq(lost, 0, "appendfsync always lost ACKed writes: %s", line);
}

Test(redis_crash, appendfsync_always_loses_nothing_acked, .timeout = 120)
{
    uint64_t seed = real_seed_override();
    crash_redis_run("always", HERD_DURABLE_AOF_ALWAYS, seed ? seed : 0xc0a5u);
}

Test(redis_crash, appendfsync_everysec_loses_no_more_than_the_model, .timeout = 120)
{
    uint64_t seed = real_seed_override();
    crash_redis_run("everysec", HERD_DURABLE_AOF_EVERYSEC, seed ? seed : 0xc0a6u);
}
