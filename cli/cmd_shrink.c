/* cmd_shrink.c — `herd shrink SCENARIO [--seed N] [--set key=value ...] [--swarm]
 * [--same invariant|verdict] [--seeds K] [--max-runs N] [--max-time S] [--out FILE] [--json]
 * [--progress]`: from a failing run to the smallest scenario found that fails the same way
 * (sim/shrink.h; the algorithm in docs/shrinking.md), written as a scenario file with a
 * header comment (what it was shrunk from, the invariant, the replay command), and a
 * before/after summary on stdout.
 *
 * Exit: 0 the shrunk scenario written, 1 nothing to shrink (the run neither violates an
 * invariant nor fails), 64 bad command line, 65 invalid scenario, 70 internal error, 74 the
 * output not writable. The wall clock is read here only: for --max-time, the progress line
 * and the summary's time; the written scenario never depends on it (unless --max-time cuts
 * the search, which its header then says). The file is written whole or not at all
 * (lib/atomic_file.h), after the real reader has accepted its text. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "exitcode.h"
#include "shrink.h"

#include "args.h"
#include "atomic_file.h"
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SETS_MAX 64
#define PROGRESS_EVERY_S 5 /* --progress into a log: one line this often (wall time) */
#define MAX_TIME_S_MAX (30ull * 24 * 3600)

typedef struct shrink_args {
    const char *scenario, *out;
    const char *sets[SETS_MAX];
    size_t nsets;
    uint64_t seed, max_runs, max_time_s, seeds;
    bool seed_set, json, swarm, progress;
    uint8_t same;
} shrink_args;

/* Every flag parse_args accepts (tests/cli_help.sh checks each is in help()). */
static const char *const shrink_flags[] = {"--seed", "--set", "--swarm", "--same", "--seeds", "--max-runs",
                                           "--max-time", "--out", "--json", "--progress", "--help", "-h", NULL};

static void usage(FILE *f)
{
    fprintf(f, "usage: herd shrink SCENARIO [--seed N] [--set key=value ...] [--swarm]\n"
               "                            [--same invariant|verdict] [--seeds K] [--max-runs N]\n"
               "                            [--max-time S] [--out FILE] [--json] [--progress]\n"
               "'herd shrink --help' explains each flag.\n");
}

static void help(FILE *f)
{
    fprintf(f,
            "usage: herd shrink SCENARIO [--seed N] [--set key=value ...] [--swarm]\n"
            "                            [--same invariant|verdict] [--seeds K] [--max-runs N]\n"
            "                            [--max-time S] [--out FILE] [--json] [--progress]\n"
            "\n"
            "Shrink a failing run: starting from the run `herd run SCENARIO` with the same flags\n"
            "would make, search for a smaller scenario that still fails the same way (by default,\n"
            "whose first safety violation is of the same invariant): fewer clients (halved first),\n"
            "fewer faults (delta debugging), fewer servers, rooms and publishers, rarer messages, a\n"
            "shorter run, each fault narrower, shorter and earlier, and rounder numbers. Every\n"
            "candidate is a scenario the reader accepts, run in full by the simulator. The result is\n"
            "written as a scenario file whose header says what it was shrunk from, the invariant and\n"
            "the command that replays it; a before/after summary goes to stdout. The same command\n"
            "gives the same file (docs/shrinking.md).\n"
            "\n"
            "options:\n"
            "  --seed N               the random seed, 0..2^64-1 (default: the scenario's run.seed)\n"
            "  --set key=value        override one scenario value by its dotted path, as herd run;\n"
            "                         repeatable, at most %d\n"
            "  --swarm                the faults drawn from the seed, as herd run --swarm; the shrunk\n"
            "                         file lists them (it replays without --swarm)\n"
            "  --same invariant|verdict  what a candidate must keep: its first safety violation of\n"
            "                         the original's invariant (invariant, the default; when the\n"
            "                         original violates none, its first failed expectation), or\n"
            "                         any failed expectation (verdict)\n"
            "  --seeds K              a candidate that passes with its seed is tried with the K\n"
            "                         seeds after the original's too (default 0: never)\n"
            "  --max-runs N           simulator runs at most, 1..%u (default %u); the search stops\n"
            "                         there with the best scenario so far\n"
            "  --max-time S           seconds of wall time at most (default: no limit); a search\n"
            "                         cut by it is no longer reproducible, and the file says so\n"
            "  --out FILE             where the shrunk scenario goes (default:\n"
            "                         herd-shrunk-SCENARIO-SEED.yaml in the current directory)\n"
            "  --json                 print the summary as one JSON object instead of text\n"
            "  --progress             a progress line on stderr (run, pass, the best so far) every\n"
            "                         %d s even when stderr is not a terminal; on a terminal it is\n"
            "                         redrawn in place without this flag\n"
            "  -h, --help             print this help and exit 0\n"
            "\n"
            "exit status:\n"
            "  0   the shrunk scenario was written\n"
            "  1   nothing to shrink: the run violates no invariant (--same verdict: passes)\n"
            "  64  bad command line\n"
            "  65  invalid scenario (the message names file:line:col)\n"
            "  70  internal error\n"
            "  74  I/O error (scenario unreadable, --out not writable)\n"
            "\n"
            "examples:\n"
            "  herd shrink traces/scenarios/swarm-100k.yaml --swarm --seed 3 --set protocol=dedup_none\n"
            "  herd shrink traces/scenarios/mobile-45s-forget-unacked.yaml --out /tmp/small.yaml --json\n",
            SETS_MAX, HERD_SHRINK_RUNS_MAX, HERD_SHRINK_RUNS_DEFAULT, PROGRESS_EVERY_S);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("herd shrink: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return HERD_EXIT_USAGE;
}

static int parse_value(shrink_args *a, const char *s, const char *v)
{
    if (!strcmp(s, "--seed")) {
        a->seed_set = true;
        return herd_arg_u64("shrink", s, v, 0, UINT64_MAX, &a->seed) ? 0 : HERD_EXIT_USAGE;
    }
    if (!strcmp(s, "--seeds")) return herd_arg_u64("shrink", s, v, 0, HERD_SHRINK_SEEDS_MAX, &a->seeds) ? 0 : HERD_EXIT_USAGE;
    if (!strcmp(s, "--max-runs"))
        return herd_arg_u64("shrink", s, v, 1, HERD_SHRINK_RUNS_MAX, &a->max_runs) ? 0 : HERD_EXIT_USAGE;
    if (!strcmp(s, "--max-time"))
        return herd_arg_u64("shrink", s, v, 1, MAX_TIME_S_MAX, &a->max_time_s) ? 0 : HERD_EXIT_USAGE;
    if (!strcmp(s, "--out")) a->out = v;
    else if (!strcmp(s, "--set")) {
        if (a->nsets == SETS_MAX) return bad_usage("at most %d --set options (one too many: '%s')", SETS_MAX, v);
        a->sets[a->nsets++] = v;
    } else if (!strcmp(s, "--same")) {
        if (!strcmp(v, "invariant")) a->same = HERD_SHRINK_SAME_INVARIANT;
        else if (!strcmp(v, "verdict")) a->same = HERD_SHRINK_SAME_VERDICT;
        else return bad_usage("--same must be invariant or verdict, got '%s'", v);
    }
    return 0;
}

static int parse_args(int argc, char **argv, shrink_args *a)
{
    *a = (shrink_args){.max_runs = HERD_SHRINK_RUNS_DEFAULT};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool takes = !strcmp(s, "--seed") || !strcmp(s, "--set") || !strcmp(s, "--same") || !strcmp(s, "--seeds") ||
                     !strcmp(s, "--max-runs") || !strcmp(s, "--max-time") || !strcmp(s, "--out");
        if (takes && i + 1 >= argc) return bad_usage("%s needs a value", s);
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            help(stdout);
            exit(HERD_EXIT_OK);
        } else if (takes) {
            int rc = parse_value(a, s, argv[++i]);
            if (rc) return rc;
        } else if (!strcmp(s, "--json")) a->json = true;
        else if (!strcmp(s, "--swarm")) a->swarm = true;
        else if (!strcmp(s, "--progress")) a->progress = true;
        else if (s[0] == '-') return herd_cli_unknown_option("shrink", s, shrink_flags);
        else if (a->scenario) return bad_usage("one scenario at a time, got '%s' and '%s'", a->scenario, s);
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

typedef struct clock_ctx {
    uint64_t start_us, deadline_us; /* deadline 0: none */
    uint64_t last_us;               /* last progress line (a log) */
    bool tty, log;
} clock_ctx;

static bool out_of_time(void *vctx)
{
    const clock_ctx *c = vctx;
    return c->deadline_us && wall_us() >= c->deadline_us;
}

static void progress(const herd_shrink *s, void *vctx)
{
    clock_ctx *c = vctx;
    uint64_t now = wall_us();
    if (!c->tty && now - c->last_us < PROGRESS_EVERY_S * 1000000u) return;
    c->last_us = now;
    char d[32];
    herd_cfg_format_duration(s->best.duration_us, d, sizeof d);
    fprintf(stderr, "%srun %" PRIu32 "/%" PRIu32 "  round %" PRIu32 "  %-16s best: %" PRIu32 " clients, %" PRIu32
            " faults, %s  (%" PRIu64 " s)%s",
            c->tty ? "\r  " : "herd shrink: ", s->runs, s->opts.max_runs, s->rounds + 1, s->pass, s->best.clients,
            s->best.fault_count, d, (now - c->start_us) / 1000000u, c->tty ? "   " : "\n");
    fflush(stderr);
}

/* Where the file goes by default: herd-shrunk-<scenario's base name>-<seed>.yaml. */
static void default_out(const shrink_args *a, uint64_t seed, char *buf, size_t n)
{
    const char *base = strrchr(a->scenario, '/');
    base = base ? base + 1 : a->scenario;
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".yaml")) len -= 5;
    else if (len > 4 && !strcmp(base + len - 4, ".yml")) len -= 4;
    snprintf(buf, n, "herd-shrunk-%.*s-%" PRIu64 ".yaml", (int)len, base, seed);
}

static void size_line(const herd_shrink_cand *c, char *out, size_t n)
{
    char d[32];
    herd_cfg_format_duration(c->duration_us, d, sizeof d);
    snprintf(out, n, "%" PRIu32 " client%s, %" PRIu32 " server%s, %" PRIu32 " room%s, %" PRIu32 " fault%s, %s, seed %" PRIu64,
             c->clients, c->clients == 1 ? "" : "s", c->servers, c->servers == 1 ? "" : "s", c->rooms,
             c->rooms == 1 ? "" : "s", c->fault_count, c->fault_count == 1 ? "" : "s", d, c->seed);
}

/* The command the original run was, for the header. */
static void origin_line(const shrink_args *a, uint64_t seed, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "herd run %s --seed %" PRIu64, a->scenario, seed);
    for (size_t i = 0; i < a->nsets && k < n; i++) k += (size_t)snprintf(out + k, n - k, " --set %s", a->sets[i]);
    if (a->swarm && k < n) snprintf(out + k, n - k, " --swarm");
}

static void header(const shrink_args *a, const herd_shrink *s, const char *path, char *out, size_t n)
{
    char from[1024], target[160], before[160], after[160];
    origin_line(a, s->orig.seed, from, sizeof from);
    herd_shrink_target_text(s, target, sizeof target);
    size_line(&s->orig, before, sizeof before);
    size_line(&s->best, after, sizeof after);
    const herd_report *r = &s->best_out.report;
    snprintf(out, n,
             "Shrunk by herd shrink (docs/shrinking.md) from the failing run\n"
             "  %s\n"
             "It keeps failing with %s:\n"
             "  %s\n"
             "Replay: herd run %s\n"
             "Before: %s\n"
             "After:  %s\n"
             "Search: %" PRIu32 " runs, %" PRIu32 " candidates refused by the reader, %" PRIu32 " answered from the cache, "
             "%" PRIu32 " crashed the simulator, %" PRIu32 " rounds%s%s.\n",
             from, target, r->first_violation[0] ? r->first_violation : r->nexp ? "(an expectation failed)" : "",
             path, before, after, s->runs, s->invalid, s->cached, s->crashed, s->rounds, s->cut ? "; cut short: " : "",
             s->cut ? s->cut : "");
}

/* Header + scenario into memory, proven readable by the real reader, then written whole. */
static int write_result(const shrink_args *a, const herd_shrink *s, const char *path)
{
    char head[HERD_SHRINK_HEADER_MAX];
    header(a, s, path, head, sizeof head);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return HERD_EXIT_SOFTWARE;
    int rc = herd_shrink_emit(s->doc, &s->base, &s->best, head, m);
    if (fclose(m) != 0 || rc != 0) {
        free(text);
        fprintf(stderr, "herd shrink: cannot write the scenario: %s\n", strerror(rc ? -rc : EIO));
        return HERD_EXIT_SOFTWARE;
    }
    herd_scenario back;
    char err[HERD_CFG_ERROR_MAX + 64];
    rc = herd_scenario_load_string(&back, path, text, err, sizeof err);
    herd_scenario_free(&back);
    if (rc != 0) {
        fprintf(stderr, "herd shrink: the shrunk scenario does not read back (a bug): %s\n", err);
        free(text);
        return HERD_EXIT_SOFTWARE;
    }
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    int wrc = f ? (fwrite(text, 1, len, f) == len ? herd_afile_commit(&af) : (herd_afile_abort(&af), -EIO)) : -errno;
    free(text);
    if (wrc != 0) {
        fprintf(stderr, "herd shrink: cannot write %s: %s\n", path, strerror(-wrc));
        return HERD_EXIT_IOERR;
    }
    return 0;
}

static void json_size(herd_json *j, const char *key, const herd_shrink_cand *c)
{
    herd_json_key(j, key);
    herd_json_obj_begin(j);
    herd_json_kv_u64(j, "clients", c->clients);
    herd_json_kv_u64(j, "servers", c->servers);
    herd_json_kv_u64(j, "rooms", c->rooms);
    herd_json_kv_u64(j, "faults", c->fault_count);
    herd_json_kv_fixed(j, "duration_s", (int64_t)c->duration_us, 6);
    herd_json_kv_u64(j, "seed", c->seed);
    herd_json_obj_end(j);
}

static int summary_json(const shrink_args *a, const herd_shrink *s, const char *path, uint64_t wall)
{
    herd_json j;
    herd_json_init_file(&j, stdout);
    char target[160];
    herd_shrink_target_text(s, target, sizeof target);
    herd_json_obj_begin(&j);
    herd_json_kv_str(&j, "scenario", a->scenario);
    herd_json_kv_str(&j, "out", path);
    herd_json_kv_str(&j, "same", s->opts.same == HERD_SHRINK_SAME_VERDICT ? "verdict" : "invariant");
    herd_json_kv_str(&j, "target", target);
    if (s->target_inv >= 0) herd_json_kv_str(&j, "invariant", herd_invariant_name(s->target_inv));
    else herd_json_kv_null(&j, "invariant");
    herd_json_kv_str(&j, "first_violation_before", s->orig_out.report.first_violation);
    herd_json_kv_str(&j, "first_violation_after", s->best_out.report.first_violation);
    json_size(&j, "before", &s->orig);
    json_size(&j, "after", &s->best);
    herd_json_kv_u64(&j, "runs", s->runs);
    herd_json_kv_u64(&j, "refused", s->invalid);
    herd_json_kv_u64(&j, "cached", s->cached);
    herd_json_kv_u64(&j, "crashed", s->crashed);
    herd_json_kv_u64(&j, "rounds", s->rounds);
    if (s->cut) herd_json_kv_str(&j, "cut", s->cut);
    else herd_json_kv_null(&j, "cut");
    herd_json_kv_fixed(&j, "wall_s", (int64_t)wall, 6);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    herd_json_free(&j);
    if (rc == 0 && fputc('\n', stdout) == EOF) rc = -EIO;
    return rc ? HERD_EXIT_IOERR : 0;
}

static void summary_text(const herd_shrink *s, const char *path, uint64_t wall)
{
    char target[160], before[160], after[160];
    herd_shrink_target_text(s, target, sizeof target);
    size_line(&s->orig, before, sizeof before);
    size_line(&s->best, after, sizeof after);
    printf("shrunk: %s\n"
           "  fails with  %s\n"
           "  before      %s\n"
           "  after       %s\n"
           "  first       %s\n"
           "  search      %" PRIu32 " runs, %" PRIu32 " refused by the reader, %" PRIu32 " from the cache, %" PRIu32
           " crashed, %" PRIu32 " rounds, %" PRIu64 ".%03" PRIu64 " s%s%s\n"
           "  replay      herd run %s\n",
           path, target, before, after, s->best_out.report.first_violation, s->runs, s->invalid, s->cached, s->crashed,
           s->rounds, wall / 1000000u, wall % 1000000u / 1000u, s->cut ? "; cut short: " : "", s->cut ? s->cut : "", path);
}

/* The scenario as herd run would run it: --set, --seed and --swarm applied. */
static int load(const shrink_args *a, herd_scenario *sc)
{
    char err[HERD_CFG_ERROR_MAX + 64];
    int rc = herd_scenario_load_flags(sc, a->scenario, a->sets, a->nsets, a->swarm ? HERD_SCENARIO_SWARM : 0, err,
                                      sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return rc;
    }
    if (a->seed_set) sc->world.seed = a->seed;
    if (a->swarm) herd_faults_swarm(&sc->world);
    return 0;
}

static int shrink(const shrink_args *a, const herd_scenario *sc, herd_shrink *s)
{
    clock_ctx cc = {.start_us = wall_us(), .tty = isatty(STDERR_FILENO), .log = a->progress};
    cc.last_us = cc.start_us;
    cc.deadline_us = a->max_time_s ? cc.start_us + a->max_time_s * 1000000u : 0;
    herd_shrink_opts o = {.same = a->same, .max_runs = (uint32_t)a->max_runs, .seeds = (uint32_t)a->seeds,
                          .poll = out_of_time, .poll_ctx = &cc};
    if (cc.tty || cc.log) {
        o.progress = progress;
        o.progress_ctx = &cc;
    }
    char err[HERD_CFG_ERROR_MAX + 256];
    int rc = herd_shrink_init(s, sc, &o, err, sizeof err);
    if (rc == 0) rc = herd_shrink_run(s, err, sizeof err);
    if (cc.tty && o.progress) fprintf(stderr, "\r%100s\r", "");
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return rc;
    }
    char path[HERD_AFILE_PATH_MAX];
    if (a->out) snprintf(path, sizeof path, "%s", a->out);
    else default_out(a, s->orig.seed, path, sizeof path);
    rc = write_result(a, s, path);
    if (rc) return rc;
    uint64_t wall = wall_us() - cc.start_us;
    if (a->json) return summary_json(a, s, path, wall);
    summary_text(s, path, wall);
    return 0;
}

int herd_cmd_shrink(int argc, char **argv)
{
    shrink_args a;
    if (parse_args(argc, argv, &a) != 0) {
        usage(stderr);
        return HERD_EXIT_USAGE;
    }
    herd_afile_install_signal_cleanup();
    herd_scenario sc;
    int rc = load(&a, &sc);
    if (rc == 0) {
        herd_shrink *s = malloc(sizeof *s);
        rc = s ? shrink(&a, &sc, s) : HERD_EXIT_SOFTWARE;
        free(s);
    }
    herd_scenario_free(&sc);
    return rc;
}
