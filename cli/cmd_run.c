/* cmd_run.c — `herd run SCENARIO [--seed N] [--set key=value ...] [--out DIR] [--json]
 * [--swarm] [--check-determinism] [--junit FILE] [--trace-clients IDS] [--queue wheel|heap]
 * [--progress]`: load a scenario, run the world, judge the expectations, report. With --out,
 * DIR/trace.jsonl holds the sampled trace (trace_out.h) of the scenario's trace: clients, or
 * of --trace-clients, and the first violation as a "violation" transition. `herd run --help`
 * explains every flag (help() below).
 *
 * Exit: 0 every expectation met, 1 one not met (or --check-determinism saw two trace
 * hashes), 64 bad command line, 65 invalid scenario, 70 internal error, 74 I/O error.
 * Wall-clock and CPU time are read here only, for setup_s, run_s, wall_s, cpu_s, the
 * event rates and the progress line; nothing the world computes depends on them. On a
 * failed expectation the exact command that replays the run is printed on stderr
 * (`replay:`); when the first violation names clients, it writes their trace to a new
 * directory (--out herd-replay-SCENARIO-SEED --trace-clients IDS, from the report's
 * first_violation_clients), and a `chart:` line gives the render of their sequence chart. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "exitcode.h"
#include "report.h"
#include "run_junit.h"

#include "args.h"
#include "atomic_file.h"
#include "error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SETS_MAX 64
#define PROGRESS_EVERY_S 5 /* --progress into a log: one line this often (wall time) */

typedef struct run_args {
    const char *scenario;
    const char *out_dir;
    const char *junit;
    const char *trace_clients;
    const char *sets[SETS_MAX];
    size_t nsets;
    uint64_t seed;
    bool seed_set, json, swarm, determinism, progress;
    int queue; /* -1: the scenario's; hidden --queue wheel|heap for the benchmark */
} run_args;

/* Every flag parse_args accepts (tests/cli_help.sh checks each is in help()). */
static const char *const run_flags[] = {"--set", "--seed", "--out", "--json", "--swarm", "--check-determinism",
                                        "--junit", "--trace-clients", "--queue", "--progress", "--help", "-h", NULL};

static void usage(FILE *f)
{
    fprintf(f, "usage: herd run SCENARIO [--seed N] [--set key=value ...] [--out DIR] [--json]\n"
               "                         [--swarm] [--check-determinism] [--junit FILE]\n"
               "                         [--trace-clients IDS] [--queue wheel|heap] [--progress]\n"
               "'herd run --help' explains each flag.\n");
}

static void help(FILE *f)
{
    fprintf(f,
            "usage: herd run SCENARIO [--seed N] [--set key=value ...] [--out DIR] [--json]\n"
            "                         [--swarm] [--check-determinism] [--junit FILE]\n"
            "                         [--trace-clients IDS] [--queue wheel|heap] [--progress]\n"
            "\n"
            "Run a scenario (a YAML file: docs/config-format.md) in the deterministic simulator:\n"
            "build the world of clients, servers and store, play its faults, then judge its expect:\n"
            "block and print a report. The same file, seed and overrides give the same run, event\n"
            "for event, on any machine. When an expectation is not met, the command that replays\n"
            "the run is printed on stderr; it adds --out herd-replay-SCENARIO-SEED and\n"
            "--trace-clients for the clients the first violation names, and a second line, chart:,\n"
            "draws their message-sequence chart from that directory.\n"
            "\n"
            "options:\n"
            "  --seed N               the random seed, 0..2^64-1 (default: the scenario's run.seed)\n"
            "  --set key=value        override one scenario value by its dotted path, e.g.\n"
            "                         world.clients=1000 or faults.0.at=5s; repeatable, at most %d\n"
            "  --out DIR              write metrics.csv, metrics.json, servers.csv, scenario.yaml,\n"
            "                         summary.json, faults.json, delays.json and trace.jsonl into\n"
            "                         DIR (created)\n"
            "  --json                 print the report as one JSON object instead of text\n"
            "  --swarm                replace the scenario's faults by 1 to 4 drawn from the seed,\n"
            "                         all healed by 60 %% of the run, and in one seed in four a\n"
            "                         mobile churn (vary --seed to explore)\n"
            "  --check-determinism    run the world twice and fail (exit 1) unless both runs give\n"
            "                         the same trace hash and event count\n"
            "  --junit FILE           also write the verdict as a JUnit XML report to FILE\n"
            "  --trace-clients IDS    with --out: the clients traced in trace.jsonl, e.g. 0-9,\n"
            "                         1,5,9-12 or none (default: the scenario's trace.clients)\n"
            "  --queue wheel|heap     the event queue (default: the scenario's run.queue, wheel);\n"
            "                         for benchmarks, the run is the same with either\n"
            "  --progress             a progress line on stderr (virtual time, events, live\n"
            "                         clients) every %d s of wall time even when stderr is not a\n"
            "                         terminal (CI logs); on a terminal it is redrawn in place\n"
            "                         without this flag\n"
            "  -h, --help             print this help and exit 0\n"
            "\n"
            "exit status:\n"
            "  0   every expectation met\n"
            "  1   an expectation not met (or --check-determinism saw two different runs)\n"
            "  64  bad command line\n"
            "  65  invalid scenario (the message names file:line:col)\n"
            "  70  internal error\n"
            "  74  I/O error (scenario unreadable, --out or --junit not writable)\n"
            "\n"
            "examples:\n"
            "  herd run traces/scenarios/restart-article-jitter.yaml\n"
            "  herd run traces/scenarios/restart-article-jitter.yaml --seed 7 --set world.clients=1000 \\\n"
            "      --out out/jitter\n",
            SETS_MAX, PROGRESS_EVERY_S);
}

/* A usage error, named: which flag or argument is wrong and why (the usage text follows). */
static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("herd run: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return HERD_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, run_args *a)
{
    *a = (run_args){.queue = -1};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool has_val = i + 1 < argc;
        bool takes_val = !strcmp(s, "--seed") || !strcmp(s, "--set") || !strcmp(s, "--out") ||
                         !strcmp(s, "--junit") || !strcmp(s, "--trace-clients") || !strcmp(s, "--queue");
        if (takes_val && !has_val) return bad_usage("%s needs a value", s);
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            help(stdout);
            exit(HERD_EXIT_OK);
        } else if (strcmp(s, "--json") == 0) a->json = true;
        else if (strcmp(s, "--swarm") == 0) a->swarm = true;
        else if (strcmp(s, "--check-determinism") == 0) a->determinism = true;
        else if (strcmp(s, "--progress") == 0) a->progress = true;
        else if (strcmp(s, "--seed") == 0) {
            if (!herd_arg_u64("run", s, argv[++i], 0, UINT64_MAX, &a->seed)) return HERD_EXIT_USAGE;
            a->seed_set = true;
        } else if (strcmp(s, "--set") == 0) {
            if (a->nsets == SETS_MAX) return bad_usage("at most %d --set options (one too many: '%s')", SETS_MAX, argv[i + 1]);
            a->sets[a->nsets++] = argv[++i];
        } else if (strcmp(s, "--out") == 0) a->out_dir = argv[++i];
        else if (strcmp(s, "--junit") == 0) a->junit = argv[++i];
        else if (strcmp(s, "--trace-clients") == 0) a->trace_clients = argv[++i];
        else if (strcmp(s, "--queue") == 0) {
            i++;
            a->queue = strcmp(argv[i], "heap") == 0 ? HERD_QUEUE_HEAP : strcmp(argv[i], "wheel") == 0 ? HERD_QUEUE_WHEEL : -2;
            if (a->queue == -2) return bad_usage("--queue must be wheel or heap, got '%s'", argv[i]);
        } else if (s[0] == '-') return herd_cli_unknown_option("run", s, run_flags);
        else if (a->scenario) return bad_usage("one scenario per run, got '%s' and '%s'", a->scenario, s);
        else a->scenario = s;
    }
    return a->scenario ? 0 : bad_usage("no scenario file given");
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef struct progress_ctx {
    uint64_t start_us;
    bool tty;          /* redraw one line with \r; else a line every PROGRESS_EVERY_S (a log) */
    uint64_t last_us;  /* when the last log line was printed */
} progress_ctx;

/* Called by the run loop every 2^20 events; reads the clock, never changes the world. */
static void progress(const herd_world *w, void *vctx)
{
    progress_ctx *p = vctx;
    uint64_t now = wall_us(), el = now - p->start_us;
    if (!p->tty && now - p->last_us < PROGRESS_EVERY_S * 1000000u) return;
    p->last_us = now;
    fprintf(stderr, "%st=%" PRIu64 "s/%" PRIu64 "s  events %" PRIu64 "  %" PRIu64 " ev/s  live %u/%u%s",
            p->tty ? "\r  " : "herd run: ", w->now / HERD_US_PER_S, w->cfg.duration_us / HERD_US_PER_S, w->events,
            el ? w->events * 1000000u / el : 0, w->state_count[HERD_CLIENT_LIVE], w->cfg.clients,
            p->tty ? "   " : "\n");
    fflush(stderr);
}

/* The oracle's first violation, as a "violation" transition in the trace (--out). */
static void note_violation(const herd_oracle *o, void *ctx)
{
    herd_world *w = ctx;
    if (w->trace) herd_trace_violation(w, o->first_msg);
}

static uint64_t peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

/* User + system CPU time of the process so far. */
static uint64_t cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Where the run's trace goes (--out), or NULL. */
typedef struct trace_req {
    const herd_trace_sel *sel;
    const char *dir;
    const char *scenario;
} trace_req;

/* Run once; fills the report. show: progress on a terminal; log: progress lines even
 * when stderr is not one (--progress). Returns 0 or an exit status (70, 74). */
static int run_once(const herd_world_config *cfg, const herd_expect *e, herd_report *r, herd_world *w, bool show,
                    bool log, const trace_req *tr)
{
    uint64_t t0 = wall_us(), c0 = cpu_us();
    bool tty = show && isatty(STDERR_FILENO);
    if (tty) fprintf(stderr, "\r  building the world: %u clients, %u servers, %u rooms   ", cfg->clients, cfg->servers,
                     cfg->rooms);
    int rc = herd_world_init(w, cfg);
    if (tty) fprintf(stderr, "\r%80s\r", "");
    if (rc != HERD_OK) {
        fprintf(stderr, "herd run: cannot build the world: %s\n", herd_strerror(rc));
        return HERD_EXIT_SOFTWARE;
    }
    static herd_sim_trace trace; /* ~1 KiB of server flags; one traced run per process */
    char path[HERD_AFILE_PATH_MAX];
    if (tr) {
        int trc = herd_mkdir_p(tr->dir);
        if (trc == 0 && (size_t)snprintf(path, sizeof path, "%s/trace.jsonl", tr->dir) >= sizeof path) trc = -ENAMETOOLONG;
        if (trc == 0) trc = herd_sim_trace_open(&trace, w, tr->sel, path, tr->scenario);
        if (trc != 0) {
            fprintf(stderr, "herd run: cannot write %s/trace.jsonl: %s\n", tr->dir, strerror(-trc));
            return HERD_EXIT_IOERR;
        }
        w->oracle.on_first = note_violation;
        w->oracle.on_first_ctx = w;
    }
    progress_ctx pc = {.start_us = wall_us(), .tty = tty};
    pc.last_us = pc.start_us;
    r->setup_us = pc.start_us - t0;
    if (tty || log) {
        w->progress = progress;
        w->progress_ctx = &pc;
    }
    rc = herd_world_run(w);
    if (tty) fprintf(stderr, "\r%80s\r", "");
    if (tr) {
        int trc = herd_sim_trace_close(&trace, w, rc == HERD_OK);
        if (trc != 0 && rc == HERD_OK) {
            fprintf(stderr, "herd run: cannot write %s/trace.jsonl: %s\n", tr->dir, strerror(-trc));
            return HERD_EXIT_IOERR;
        }
    }
    if (rc == HERD_EFULL) {
        fprintf(stderr,
                "herd run: the world stopped at t=%.3f s: more than %zu events pending at once, the\n"
                "  simulator's bound (8 per client + 1 000 000): this world keeps more frames, store\n"
                "  operations and timers in flight than that. Lower what multiplies them: subscribers\n"
                "  per room (raise world.rooms), the publish rate, or world.clients.\n",
                (double)w->now / 1e6, herd_world_events_max(&w->cfg));
        return HERD_EXIT_SOFTWARE;
    }
    if (rc != HERD_OK) {
        fprintf(stderr, "herd run: the world stopped on an internal error: %s\n", herd_strerror(rc));
        return HERD_EXIT_SOFTWARE;
    }
    uint64_t t1 = wall_us();
    r->run_us = t1 - pc.start_us;
    r->wall_us = t1 - t0;
    r->cpu_us = cpu_us() - c0;
    r->peak_rss_bytes = peak_rss_bytes();
    herd_report_build(r, w, e);
    return 0;
}

/* A command line built into a fixed buffer (cut short, never overrun, when it is full). */
typedef struct herd_sbuf_fixed {
    char *p;
    size_t cap, len;
} herd_sbuf_fixed;

static void sbuf_fixed_printf(herd_sbuf_fixed *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sbuf_fixed_printf(herd_sbuf_fixed *b, const char *fmt, ...)
{
    if (b->len >= b->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (k > 0) b->len = b->len + (size_t)k < b->cap ? b->len + (size_t)k : b->cap;
}

/* s in single quotes for a POSIX shell (a quote inside becomes '\''). */
static void sbuf_fixed_quoted(herd_sbuf_fixed *b, const char *s)
{
    sbuf_fixed_printf(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'') sbuf_fixed_printf(b, "'\\''");
        else sbuf_fixed_printf(b, "%c", *p);
    }
    sbuf_fixed_printf(b, "'");
}

/* A word as is when the shell reads it so (a path of letters, digits and ._/+:@,=-),
 * else quoted. */
static void sbuf_fixed_word(herd_sbuf_fixed *b, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("._/+:@,=-", *p) != NULL;
    if (plain) sbuf_fixed_printf(b, "%s", s);
    else sbuf_fixed_quoted(b, s);
}

/* Where a replay writes: herd-replay-<scenario's base name>-<seed>, in the current
 * directory (a new name, so it overwrites nothing of the run being replayed). */
static void replay_dir(const run_args *a, uint64_t seed, char *buf, size_t n)
{
    const char *base = strrchr(a->scenario, '/');
    base = base ? base + 1 : a->scenario;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0) len -= 4;
    snprintf(buf, n, "herd-replay-%.*s-%" PRIu64, (int)len, base, seed);
}

/* The command that replays the run; when the first violation names clients, it adds
 * --out and --trace-clients for exactly them (r->first_violation_clients, not the
 * message's text), so that its trace charts them. The scenario, the --set values and
 * the directory are quoted for a POSIX shell when they hold anything but safe characters. */
static void replay_cmd(const run_args *a, const herd_report *r, char *buf, size_t n)
{
    herd_sbuf_fixed b = {buf, n, 0};
    sbuf_fixed_printf(&b, "herd run ");
    sbuf_fixed_word(&b, a->scenario);
    sbuf_fixed_printf(&b, " --seed %" PRIu64, r->seed);
    for (size_t i = 0; i < a->nsets; i++) {
        sbuf_fixed_printf(&b, " --set ");
        sbuf_fixed_quoted(&b, a->sets[i]);
    }
    if (a->swarm) sbuf_fixed_printf(&b, " --swarm");
    if (r->first_violation_nclients == 0) return;
    char dir[512];
    replay_dir(a, r->seed, dir, sizeof dir);
    sbuf_fixed_printf(&b, " --out ");
    sbuf_fixed_word(&b, dir);
    sbuf_fixed_printf(&b, " --trace-clients ");
    for (uint32_t i = 0; i < r->first_violation_nclients; i++)
        sbuf_fixed_printf(&b, "%s%" PRIu32, i ? "," : "", r->first_violation_clients[i]);
}

static void print_replay(const run_args *a, const herd_report *r)
{
    char cmd[8192];
    replay_cmd(a, r, cmd, sizeof cmd);
    fprintf(stderr, "replay: %s\n", cmd);
    if (r->first_violation_nclients == 0) return;
    char dir[512];
    replay_dir(a, r->seed, dir, sizeof dir);
    herd_sbuf_fixed b = {cmd, sizeof cmd, 0};
    sbuf_fixed_printf(&b, "herd render ");
    char path[600];
    snprintf(path, sizeof path, "%s/trace.jsonl", dir);
    sbuf_fixed_word(&b, path);
    sbuf_fixed_printf(&b, " --format svg --out ");
    snprintf(path, sizeof path, "%s/chart.svg", dir);
    sbuf_fixed_word(&b, path);
    fprintf(stderr, "chart: %s\n", cmd);
}

static int finish(const run_args *a, herd_report *r, herd_world *w, const herd_scenario *sc)
{
    int status = r->pass ? HERD_EXIT_OK : HERD_EXIT_FAIL;
    if (a->json) {
        if (herd_report_json(r, stdout) != 0) status = HERD_EXIT_IOERR;
    } else {
        herd_report_text(r, stdout);
    }
    int wrc = a->out_dir ? herd_report_write_dir(r, w, sc, a->out_dir) : 0;
    if (wrc != 0) { /* -errno, or -1 when an output could not be produced */
        fprintf(stderr, "herd run: cannot write %s: %s\n", a->out_dir,
                wrc < -1 ? strerror(-wrc) : "an output could not be produced");
        status = HERD_EXIT_IOERR;
    }
    if (a->junit) {
        char cmd[8192];
        replay_cmd(a, r, cmd, sizeof cmd);
        int jrc = herd_run_junit_write(a->junit, a->scenario, r, cmd);
        if (jrc != 0) {
            fprintf(stderr, "herd run: cannot write %s: %s\n", a->junit, strerror(jrc < 0 ? -jrc : EIO));
            status = HERD_EXIT_IOERR;
        }
    }
    if (!r->pass) {
        if (r->first_violation[0]) fprintf(stderr, "herd run: %s\n", r->first_violation);
        print_replay(a, r);
    }
    return status;
}

static int check_determinism(const herd_world_config *cfg, const herd_expect *e, const herd_report *first)
{
    herd_world w2;
    herd_report r2 = {0};
    int rc = run_once(cfg, e, &r2, &w2, false, false, NULL);
    herd_world_free(&w2);
    if (rc) return rc;
    if (strcmp(first->trace_hash, r2.trace_hash) != 0 || first->events != r2.events) {
        fprintf(stderr, "herd run: not deterministic: trace %s (%" PRIu64 " events) then %s (%" PRIu64 ")\n",
                first->trace_hash, first->events, r2.trace_hash, r2.events);
        return HERD_EXIT_FAIL;
    }
    fprintf(stderr, "herd run: deterministic: trace %s twice\n", first->trace_hash);
    return 0;
}

int herd_cmd_run(int argc, char **argv)
{
    run_args a;
    if (parse_args(argc, argv, &a) != 0) {
        usage(stderr);
        return HERD_EXIT_USAGE;
    }
    herd_afile_install_signal_cleanup();
    herd_scenario sc;
    char err[HERD_CFG_ERROR_MAX + 64];
    int rc = herd_scenario_load_flags(&sc, a.scenario, a.sets, a.nsets, a.swarm ? HERD_SCENARIO_SWARM : 0, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        herd_scenario_free(&sc);
        return rc;
    }
    if (a.seed_set) sc.world.seed = a.seed;
    if (a.queue >= 0) sc.world.queue_kind = (uint8_t)a.queue;
    if (a.swarm) herd_faults_swarm(&sc.world);
    if (a.trace_clients) {
        sc.trace.nclients = 0;
        if (herd_trace_ranges_add(sc.trace.clients, &sc.trace.nclients, a.trace_clients) != 0) {
            fprintf(stderr, "herd run: --trace-clients %s: want N, N-M, a comma list of them, or none\n",
                    a.trace_clients);
            herd_scenario_free(&sc);
            return HERD_EXIT_USAGE;
        }
    }
    herd_world w;
    herd_report r = {0};
    trace_req tr = {&sc.trace, a.out_dir, a.scenario};
    rc = run_once(&sc.world, &sc.expect, &r, &w, true, a.progress, a.out_dir ? &tr : NULL);
    r.scenario = a.scenario;
    if (rc == 0) {
        int det = a.determinism ? check_determinism(&sc.world, &sc.expect, &r) : 0;
        rc = finish(&a, &r, &w, &sc);
        if (det != 0 && rc == 0) rc = det;
    }
    herd_world_free(&w);
    herd_scenario_free(&sc);
    return rc;
}
