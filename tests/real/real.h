/* real.h — what the tests against real servers share (tests/real): reading the
 * environment scripts/services.sh exports, connecting to Redis and PostgreSQL, stream
 * ids as text, the wall clock, and starting, crashing and restarting a server process.
 *
 * A missing variable or an unreachable server fails the calling test with a message
 * that says how to start the servers: these tests never skip. Helpers assert with
 * Criterion, so they are called from inside a Test. */
#ifndef HERD_REAL_H
#define HERD_REAL_H

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "types.h"

#define REAL_SID_CHARS 44 /* "18446744073709551615-18446744073709551615" + NUL */

/* The value of an environment variable scripts/services.sh exports; fails if unset. */
const char *real_env(const char *name);
/* HERD_REAL_SEED if set (replay one seed), else 0. */
uint64_t real_seed_override(void);

/* The differential tests' Redis (HERD_REDIS_PORT), or one on another port. */
redisContext *real_redis_connect(void);
redisContext *real_redis_connect_port(int port);
/* Run a command (argv form, NUL-terminated strings); fails on a transport error. */
redisReply *real_redis_cmd(redisContext *c, int argc, const char **argv);
/* The differential tests' PostgreSQL (HERD_PG_DSN), or another DSN. */
PGconn *real_pg_connect(const char *dsn);
/* Run SQL that returns no rows of interest; fails with PostgreSQL's message otherwise. */
void real_pg_exec(PGconn *c, const char *sql);

void real_sid_fmt(herd_sid id, char out[REAL_SID_CHARS]);
/* Parse "ms-seq"; false on anything else. */
int real_sid_parse(const char *text, herd_sid *id);

/* A whole file under the source tree (docs/recipes/...), NUL-terminated; free() it. */
char *real_source_file(const char *relative);

/* CLOCK_REALTIME, the clock Redis stamps "*" ids with. */
uint64_t real_clock_us(void);
/* A TCP port on 127.0.0.1 nothing listens on right now. */
int real_free_port(void);

/* Start a server: fork, switch to user `as_user` (NULL or "": stay), send its output to
 * log_path, exec argv. Returns the pid. */
pid_t real_spawn(char *const argv[], const char *as_user, const char *log_path);
/* A machine-crash stand-in: stop the process and every child of it (SIGSTOP, so none
 * runs on while the others die), then SIGKILL them all and reap pid. */
void real_crash(pid_t pid);
/* Graceful stop: send sig and reap, SIGKILL after timeout_ms. */
void real_stop(pid_t pid, int sig, int timeout_ms);
void real_sleep_ms(unsigned ms);

/* The crash tests' yardstick: replay n writes ACKed at ack_us[] (ascending) into the
 * model in durability `mode`, crash it at crash_us with its fsync timer at the worst
 * phase (its last fsync a whole interval before the crash), and return how many ACKed
 * writes it loses; *interval_us gets the mode's fsync interval (0: no timer). The real
 * server must lose no more than this. */
uint32_t real_model_worst_loss(int mode, const uint64_t *ack_us, uint32_t n, uint64_t crash_us,
                               uint64_t *interval_us);
/* Print a crash run's measurement and append it to $HERD_REAL_DIR/crash-windows.txt. */
void real_crash_report(const char *line);

#endif
