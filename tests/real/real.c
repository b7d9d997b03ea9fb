/* real.c — shared helpers of the tests against real servers (see real.h): environment,
 * connections, id text, clock, server processes (spawn, crash, stop), and the model's
 * worst-case loss for a crash run. */
#define _GNU_SOURCE
#include "real.h"

#include "error.h"
#include "store.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REAL_HOW_TO                                                                          \
    "the tests labelled 'real' need the servers scripts/test starts: run scripts/test, or "  \
    "`. scripts/services.sh && herd_services_start build && ctest --test-dir build -L real`"

const char *real_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') cr_assert_fail("%s is not set: %s", name, REAL_HOW_TO);
    return v;
}

uint64_t real_seed_override(void)
{
    const char *v = getenv("HERD_REAL_SEED");
    return (v != NULL && v[0] != '\0') ? strtoull(v, NULL, 0) : 0;
}

redisContext *real_redis_connect_port(int port)
{
    struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c == NULL || c->err)
        cr_assert_fail("cannot reach Redis on 127.0.0.1:%d (%s): %s", port, c ? c->errstr : "no memory",
                 REAL_HOW_TO);
    return c;
}

redisContext *real_redis_connect(void)
{
    return real_redis_connect_port(atoi(real_env("HERD_REDIS_PORT")));
}

redisReply *real_redis_cmd(redisContext *c, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (r == NULL) cr_assert_fail("Redis %s: transport error: %s", argv[0], c->errstr);
    return r;
}

PGconn *real_pg_connect(const char *dsn)
{
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK)
        cr_assert_fail("cannot reach PostgreSQL at \"%s\": %s%s", dsn, PQerrorMessage(c), REAL_HOW_TO);
    return c;
}

void real_pg_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        cr_assert_fail("PostgreSQL: %s\nin: %.200s", PQerrorMessage(c), sql);
    PQclear(r);
}

void real_sid_fmt(herd_sid id, char out[REAL_SID_CHARS])
{
    snprintf(out, REAL_SID_CHARS, "%" PRIu64 "-%" PRIu64, id.ms, id.seq);
}

/* One decimal uint64 part, no sign, no leading junk; the end pointer is returned. */
static const char *real_parse_u64(const char *p, uint64_t *v)
{
    if (*p < '0' || *p > '9') return NULL;
    uint64_t x = 0;
    for (int digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == 20 || x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10u) return NULL;
        x = x * 10u + (uint64_t)(*p - '0');
    }
    *v = x;
    return p;
}

int real_sid_parse(const char *text, herd_sid *id)
{
    const char *p = real_parse_u64(text, &id->ms);
    if (p == NULL || *p != '-') return 0;
    p = real_parse_u64(p + 1, &id->seq);
    return p != NULL && *p == '\0';
}

char *real_source_file(const char *relative)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", HERD_SOURCE_DIR, relative);
    FILE *f = fopen(path, "rb");
    if (f == NULL) cr_assert_fail("cannot open %s: %s", path, strerror(errno));
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert(n >= 0 && n < (1L << 24), "%s: unreasonable size", path);
    rewind(f);
    char *text = malloc((size_t)n + 1u);
    cr_assert_not_null(text);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n, "%s: short read", path);
    text[n] = '\0';
    fclose(f);
    return text;
}

uint64_t real_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void real_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int real_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0, "bind: %s", strerror(errno));
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* In the child: become as_user (initdb and postgres refuse root). */
static void real_become(const char *as_user)
{
    if (as_user == NULL || as_user[0] == '\0') return;
    struct passwd *pw = getpwnam(as_user);
    if (pw == NULL || setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0)
        _exit(126);
}

pid_t real_spawn(char *const argv[], const char *as_user, const char *log_path)
{
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        real_become(as_user);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (fd < 0 || nul < 0) _exit(126);
        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Children of pid, from /proc (at most cap of them). */
static size_t real_children(pid_t parent, pid_t *out, size_t cap)
{
    DIR *d = opendir("/proc");
    cr_assert_not_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < cap) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL) continue;
        size_t got = fread(buf, 1, sizeof buf - 1u, f);
        fclose(f);
        buf[got] = '\0';
        const char *rp = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
        int ppid = 0;
        char state;
        if (rp != NULL && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
            out[n++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return n;
}

void real_crash(pid_t pid)
{
    pid_t kids[256];
    cr_assert_eq(kill(pid, SIGSTOP), 0, "SIGSTOP %d: %s", (int)pid, strerror(errno));
    size_t n = real_children(pid, kids, sizeof kids / sizeof kids[0]);
    for (size_t i = 0; i < n; i++) kill(kids[i], SIGSTOP);
    for (size_t i = 0; i < n; i++) kill(kids[i], SIGKILL);
    kill(pid, SIGKILL);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
}

void real_stop(pid_t pid, int sig, int timeout_ms)
{
    int status;
    kill(pid, sig);
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid) return;
        real_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/* The model's fsync interval in this mode: the first deadline of a store armed at 0. */
static uint64_t real_model_interval(const herd_store_config *cfg, herd_store *s, size_t bytes)
{
    cr_assert_eq(herd_store_init(s, bytes, cfg, 0), HERD_OK);
    herd_time d = herd_store_deadline(s);
    return d == HERD_TIME_NEVER ? 0 : d;
}

uint32_t real_model_worst_loss(int mode, const uint64_t *ack_us, uint32_t n, uint64_t crash_us,
                               uint64_t *interval_us)
{
    herd_store_config cfg = {.rooms = 1, .maxlen = n + 1u, .dedup_capacity = 1,
                             .durability = (uint8_t)mode};
    size_t bytes = herd_store_bytes(&cfg);
    herd_store *s = malloc(bytes);
    cr_assert_not_null(s);
    uint64_t every = real_model_interval(&cfg, s, bytes);
    *interval_us = every;
    /* arm so that the deadlines fall on crash_us + 1 - k * every: the last fsync before
     * the crash is a whole interval early, the worst the model allows */
    uint64_t start = crash_us;
    if (every > 0) {
        uint64_t k = n > 0 && ack_us[0] < crash_us ? (crash_us - ack_us[0]) / every + 1u : 1u;
        start = crash_us + 1u - k * every;
    }
    cr_assert_eq(herd_store_init(s, bytes, &cfg, start), HERD_OK);
    for (uint32_t i = 0; i < n; i++) {
        while (herd_store_deadline(s) <= ack_us[i]) herd_store_on_timer(s, herd_store_deadline(s));
        cr_assert_eq(herd_store_xadd(s, ack_us[i], 0, NULL, i, NULL), HERD_OK);
    }
    while (herd_store_deadline(s) <= crash_us) herd_store_on_timer(s, herd_store_deadline(s));
    herd_store_crash(s, crash_us);
    uint32_t lost = (uint32_t)s->lost_writes;
    free(s);
    return lost;
}

void real_crash_report(const char *line)
{
    fprintf(stderr, "%s\n", line);
    char path[4096];
    snprintf(path, sizeof path, "%s/crash-windows.txt", real_env("HERD_REAL_DIR"));
    FILE *f = fopen(path, "a");
    if (f != NULL) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
}
