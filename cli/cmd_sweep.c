/* cmd_sweep.c — `herd sweep SWEEP.yaml [--jobs N] [--out DIR] [--seeds A..B] [--swarm K]
 * [--set key=value ...] [--json] [--progress]`: run a scenario over a grid of overrides and
 * seeds, and write the map (docs/sweeps.md). The steps, in order: load the sweep file,
 * load every cell's scenario once (nothing runs if one is invalid), open the journal
 * (DIR/runs.jsonl: what is done is not run again), run the rest (forked workers, or the
 * ranks of mpirun), then read the journal back sorted by (cell, seed) and write cells.csv,
 * cells.json, heatmap.svg and heatmap.html. The pieces are in sweep_*.c (sweep.h).
 *
 * Exit: 0 every run met its scenario's expectations, 1 some did not (the summary names the
 * first, and the first safety violation, with their replay commands), 64 bad command line,
 * 65 invalid sweep file, scenario override or journal, 70 internal error (a worker died),
 * 74 I/O error, 130 interrupted (the same command continues). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "sweep.h"

#include "args.h"
#include "atomic_file.h"
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SETS_MAX 16

typedef struct sweep_args {
    const char *file, *out, *seeds;
    const char *sets[SETS_MAX];
    size_t nsets;
    uint64_t jobs, swarm;
    bool json, progress, no_progress;
} sweep_args;

static const char *const sweep_flags[] = {"--jobs", "--out", "--seeds", "--swarm", "--set", "--json",
                                          "--progress", "--no-progress", "--help", "-h", NULL};

static void usage(FILE *f)
{
    fprintf(f, "usage: herd sweep SWEEP.yaml [--jobs N] [--out DIR] [--seeds A..B] [--swarm K]\n"
               "                             [--set key=value ...] [--json] [--progress]\n"
               "'herd sweep --help' explains each flag.\n");
}

static void help(FILE *f)
{
    fprintf(f,
            "usage: herd sweep SWEEP.yaml [--jobs N] [--out DIR] [--seeds A..B] [--swarm K]\n"
            "                             [--set key=value ...] [--json] [--progress]\n"
            "\n"
            "Run a scenario over every cell of a grid (axes: scenario keys with lists or ranges of\n"
            "values, the backoff policy included) and every seed, and write the map: one row per\n"
            "run in DIR/runs.jsonl, per-cell figures over the seeds (median, p5 and p95 time to\n"
            "recover, peak attempts, wasted handshakes, the fraction of seeds that recovered and\n"
            "that violated safety, with the first violating seed's replay command) in\n"
            "DIR/cells.csv and DIR/cells.json, and a heatmap over two axes in DIR/heatmap.html and\n"
            "DIR/heatmap.svg. The sweep file's format is in docs/sweeps.md.\n"
            "\n"
            "Resumable: runs.jsonl is a journal, written as each run ends; the same command after an\n"
            "interruption runs only what is missing. The aggregates are read back sorted by (cell,\n"
            "seed), so they are the same whatever --jobs or the order runs finished in. Under\n"
            "`mpirun -np N herd sweep ...` (when herd is built with Open MPI) the runs are split\n"
            "across the ranks and rank 0 writes DIR.\n"
            "\n"
            "options:\n"
            "  --jobs N          worker processes on this machine, 1..%d (default: the CPUs online)\n"
            "  --out DIR         where the outputs go (default: herd-sweep-NAME, NAME the sweep\n"
            "                    file's base name)\n"
            "  --seeds A..B      the seeds, instead of the file's seeds:\n"
            "  --swarm K         K seeds from the first, each run with faults drawn from its seed\n"
            "                    (herd run --swarm) instead of the scenario's\n"
            "  --set key=value   one more override for every cell, after the file's set:\n"
            "                    (repeatable, at most %d)\n"
            "  --json            print the summary as one JSON object instead of text\n"
            "  --progress        a progress line on stderr every 5 s even when it is not a terminal\n"
            "                    (on a terminal it is redrawn in place without this flag)\n"
            "  --no-progress     no progress line, even on a terminal\n"
            "  -h, --help        print this help and exit 0\n"
            "\n"
            "exit status:\n"
            "  0   every run met its scenario's expectations\n"
            "  1   some run did not (the summary gives the first one's replay command)\n"
            "  64  bad command line\n"
            "  65  invalid sweep file, override or journal (the message names file:line:col)\n"
            "  70  internal error (a worker died)\n"
            "  74  I/O error\n"
            "  130 interrupted; the same command continues where it stopped\n"
            "\n"
            "examples:\n"
            "  herd sweep traces/sweeps/small.yaml --jobs 2 --out /tmp/small\n"
            "  herd sweep traces/sweeps/metastability.yaml --jobs 2 --progress\n"
            "  herd sweep traces/sweeps/swarm.yaml --seeds 1..50 --swarm 50\n"
            "  mpirun -np 4 herd sweep traces/sweeps/small.yaml --out /shared/small\n",
            HERD_SWEEP_JOBS_MAX, SETS_MAX);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("herd sweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return HERD_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, sweep_args *a)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *a = (sweep_args){.jobs = cpus > 0 ? (uint64_t)cpus : 1};
    if (a->jobs > HERD_SWEEP_JOBS_MAX) a->jobs = HERD_SWEEP_JOBS_MAX;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool takes = !strcmp(s, "--jobs") || !strcmp(s, "--out") || !strcmp(s, "--seeds") || !strcmp(s, "--swarm") ||
                     !strcmp(s, "--set");
        if (takes && i + 1 >= argc) return bad_usage("%s needs a value", s);
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            help(stdout);
            exit(HERD_EXIT_OK);
        } else if (strcmp(s, "--json") == 0) a->json = true;
        else if (strcmp(s, "--progress") == 0) a->progress = true;
        else if (strcmp(s, "--no-progress") == 0) a->no_progress = true;
        else if (strcmp(s, "--jobs") == 0) {
            if (!herd_arg_u64("sweep", s, argv[++i], 1, HERD_SWEEP_JOBS_MAX, &a->jobs)) return HERD_EXIT_USAGE;
        } else if (strcmp(s, "--swarm") == 0) {
            if (!herd_arg_u64("sweep", s, argv[++i], 1, HERD_SWEEP_SEEDS_MAX, &a->swarm)) return HERD_EXIT_USAGE;
        } else if (strcmp(s, "--out") == 0) a->out = argv[++i];
        else if (strcmp(s, "--seeds") == 0) a->seeds = argv[++i];
        else if (strcmp(s, "--set") == 0) {
            if (a->nsets == SETS_MAX) return bad_usage("at most %d --set options", SETS_MAX);
            a->sets[a->nsets++] = argv[++i];
        } else if (s[0] == '-') return herd_cli_unknown_option("sweep", s, sweep_flags);
        else if (a->file) return bad_usage("one sweep file at a time, got '%s' and '%s'", a->file, s);
        else a->file = s;
    }
    return a->file ? 0 : bad_usage("no sweep file given");
}

/* The plan from the file and the flags, every cell's scenario checked. 0 or an exit status. */
static int plan_load(const sweep_args *a, herd_sweep_plan *p, bool loud)
{
    char err[HERD_CFG_ERROR_MAX * 2 + 256];
    int rc = herd_sweep_plan_load(p, a->file, err, sizeof err);
    if (rc == 0 && a->seeds) rc = herd_sweep_plan_seeds(p, a->seeds, err, sizeof err);
    if (rc == 0 && a->swarm) {
        p->swarm = true;
        p->nseeds = a->swarm;
        if (p->seed_from + a->swarm - 1 > INT64_MAX) {
            snprintf(err, sizeof err, "herd sweep: --swarm: seeds past 2^63-1");
            rc = HERD_EXIT_USAGE;
        }
    }
    for (size_t i = 0; rc == 0 && i < a->nsets; i++) rc = herd_sweep_plan_add_set(p, a->sets[i], err, sizeof err);
    if (rc == 0) rc = herd_sweep_plan_finish(p, err, sizeof err);
    if (rc == 0) rc = herd_sweep_validate(p, err, sizeof err);
    if (rc != 0 && loud) fprintf(stderr, "%s\n", err);
    return rc;
}

static void default_out(const char *file, char *buf, size_t n)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0) len -= 4;
    snprintf(buf, n, "herd-sweep-%.*s", (int)len, base);
}

typedef struct sweep_totals {
    uint64_t rows, pass, recovered, unsafe, ran, already;
    const herd_sweep_row *first_fail, *first_unsafe;
    uint64_t wall_us;
    unsigned jobs;
    int ranks;
} sweep_totals;

static void cell_values(const herd_sweep_plan *p, uint32_t cell, char *b, size_t n)
{
    size_t k = 0;
    b[0] = '\0';
    for (uint32_t a = 0; a < p->naxes && k < n; a++)
        k += (size_t)snprintf(b + k, n - k, "%s%s=%s", a ? ", " : "", p->axes[a].name,
                              p->axes[a].values[herd_sweep_cell_value(p, cell, a)].label);
}

static void summary_text(const herd_sweep_plan *p, const sweep_totals *t, const char *dir)
{
    printf("herd sweep: %s: %" PRIu32 " cells x %" PRIu64 " seeds = %" PRIu64 " runs (%" PRIu64 " already in %s/runs.jsonl; "
           "ran %" PRIu64 " in %" PRIu64 " s, ",
           p->path, p->ncells, p->nseeds, p->nruns, t->already, dir, t->ran, t->wall_us / 1000000u);
    if (t->ranks > 0) printf("%d MPI ranks)\n", t->ranks);
    else printf("%u jobs)\n", t->jobs);
    printf("  %" PRIu64 " met every expectation, %" PRIu64 " recovered, %" PRIu64 " violated safety\n", t->pass,
           t->recovered, t->unsafe);
    const herd_sweep_row *show[2] = {t->first_unsafe, t->first_fail};
    const char *what[2] = {"first safety violation", "first run that failed an expectation"};
    for (int i = 0; i < 2; i++) {
        if (!show[i] || (i == 1 && show[1] == show[0])) continue;
        char vals[512], cmd[HERD_SWEEP_REPLAY_MAX];
        cell_values(p, show[i]->cell, vals, sizeof vals);
        herd_sweep_replay_cmd(p, show[i]->cell, show[i]->seed, cmd, sizeof cmd);
        const char *why = i == 0 && show[0]->violation ? show[0]->violation : NULL;
        printf("  %s: cell %" PRIu32 "%s%s%s, seed %" PRIu64 "%s%s\n  replay: %s\n", what[i], show[i]->cell,
               vals[0] ? " (" : "", vals, vals[0] ? ")" : "", show[i]->seed, why ? ": " : "", why ? why : "", cmd);
        /* the same run handed to herd shrink (docs/shrinking.md): a smaller scenario that
         * fails the same way; a run that only missed an expectation shrinks by its verdict */
        printf("  shrink: herd shrink%s%s\n", cmd + strlen("herd run"), i == 0 ? "" : " --same verdict");
    }
    printf("  wrote %s/cells.csv, %s/cells.json, %s/heatmap.html, %s/heatmap.svg\n", dir, dir, dir, dir);
}

static void json_run(herd_json *j, const char *key, const herd_sweep_plan *p, const herd_sweep_row *r)
{
    herd_json_key(j, key);
    if (!r) {
        herd_json_null(j);
        return;
    }
    char cmd[HERD_SWEEP_REPLAY_MAX];
    herd_sweep_replay_cmd(p, r->cell, r->seed, cmd, sizeof cmd);
    herd_json_obj_begin(j);
    herd_json_kv_u64(j, "cell", r->cell);
    herd_json_kv_u64(j, "seed", r->seed);
    if (r->violation) herd_json_kv_str(j, "violation", r->violation);
    herd_json_kv_str(j, "replay", cmd);
    herd_json_obj_end(j);
}

static int summary_json(const herd_sweep_plan *p, const sweep_totals *t, const char *dir)
{
    herd_json j;
    herd_json_init_file(&j, stdout);
    herd_json_obj_begin(&j);
    herd_json_kv_str(&j, "verdict", t->pass == p->nruns ? "pass" : "fail");
    herd_json_kv_str(&j, "sweep", p->path);
    herd_json_kv_str(&j, "out", dir);
    herd_json_kv_u64(&j, "cells", p->ncells);
    herd_json_kv_u64(&j, "seeds", p->nseeds);
    herd_json_kv_u64(&j, "runs", p->nruns);
    herd_json_kv_u64(&j, "already_done", t->already);
    herd_json_kv_u64(&j, "ran", t->ran);
    herd_json_kv_u64(&j, "pass", t->pass);
    herd_json_kv_u64(&j, "recovered", t->recovered);
    herd_json_kv_u64(&j, "unsafe", t->unsafe);
    json_run(&j, "first_unsafe", p, t->first_unsafe);
    json_run(&j, "first_fail", p, t->first_fail);
    herd_json_kv_fixed(&j, "wall_s", (int64_t)t->wall_us, 6);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    putchar('\n');
    return rc == 0 ? 0 : HERD_EXIT_IOERR;
}

/* Read the journal back, aggregate, write the files and the summary. */
static int outputs(const sweep_args *a, const herd_sweep_plan *p, const char *dir, sweep_totals *t)
{
    herd_sweep_row *rows;
    uint64_t n;
    char err[512];
    int rc = herd_sweep_rows_load(dir, p, &rows, &n, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return rc;
    }
    if (n != p->nruns) {
        fprintf(stderr, "herd sweep: %s/runs.jsonl holds %" PRIu64 " of %" PRIu64 " runs after the sweep\n", dir, n,
                p->nruns);
        herd_sweep_rows_free(rows, n);
        return HERD_EXIT_SOFTWARE;
    }
    herd_sweep_cell *cells = calloc(p->ncells, sizeof *cells);
    if (!cells) rc = HERD_EXIT_SOFTWARE;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        t->pass += rows[i].pass;
        t->recovered += rows[i].recovered;
        t->unsafe += rows[i].unsafe;
        if (!rows[i].pass && !t->first_fail) t->first_fail = &rows[i];
        if (rows[i].unsafe && !t->first_unsafe) t->first_unsafe = &rows[i];
    }
    if (rc == 0) {
        herd_sweep_aggregate(p, rows, n, cells);
        rc = herd_sweep_write_cells(p, cells, dir);
    }
    if (rc == 0) rc = herd_sweep_write_heatmap(p, cells, dir);
    if (rc == 0) {
        if (a->json) rc = summary_json(p, t, dir);
        else summary_text(p, t, dir);
    }
    if (rc == 0) rc = t->pass == p->nruns ? HERD_EXIT_OK : HERD_EXIT_FAIL;
    free(cells);
    herd_sweep_rows_free(rows, n);
    return rc;
}

static int progress_mode(const sweep_args *a)
{
    if (a->no_progress) return 0;
    if (isatty(STDERR_FILENO)) return 1;
    return a->progress ? 2 : 0;
}

static int run_local(const sweep_args *a, const herd_sweep_plan *p, const char *dir)
{
    herd_sweep_journal j;
    char err[HERD_SWEEP_PATH_MAX * 3 + 512];
    int rc = herd_sweep_journal_open(&j, p, dir, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        herd_sweep_journal_close(&j);
        return rc;
    }
    if (j.torn) fprintf(stderr, "herd sweep: %s: cut off a torn last line (%" PRIu64 " bytes)\n", j.path, j.torn);
    sweep_totals t = {.already = j.ndone, .jobs = (unsigned)a->jobs};
    uint64_t t0 = herd_sweep_wall_us();
    rc = herd_sweep_local(p, &j, (unsigned)a->jobs, progress_mode(a));
    t.ran = j.ndone - t.already;
    t.wall_us = herd_sweep_wall_us() - t0;
    herd_sweep_journal_close(&j);
    return rc != 0 ? rc : outputs(a, p, dir, &t);
}

#ifdef HERD_MPI
static int run_mpi(const sweep_args *a, herd_sweep_plan *p, char *dir)
{
    int rank = 0, size = 1;
    int rc = herd_sweep_mpi_init(&rank, &size);
    if (rc != 0) return rc;
    rc = herd_sweep_mpi_agree(plan_load(a, p, rank == 0));
    if (rc == 0) {
        char err[HERD_SWEEP_PATH_MAX * 3 + 512];
        sweep_totals t = {.ranks = size};
        uint64_t t0 = herd_sweep_wall_us();
        rc = herd_sweep_mpi_run(p, dir, rank == 0 ? progress_mode(a) : 0, &t.ran, err, sizeof err);
        t.wall_us = herd_sweep_wall_us() - t0;
        t.already = p->nruns - t.ran;
        if (rc != 0 && rank == 0 && err[0]) fprintf(stderr, "%s\n", err);
        if (rc == 0 && rank == 0) rc = outputs(a, p, dir, &t);
        rc = herd_sweep_mpi_agree(rc);
    }
    herd_sweep_plan_free(p);
    herd_sweep_mpi_finalize();
    return rc;
}
#endif

int herd_cmd_sweep(int argc, char **argv)
{
    sweep_args a;
    if (parse_args(argc, argv, &a) != 0) {
        usage(stderr);
        return HERD_EXIT_USAGE;
    }
    herd_afile_install_signal_cleanup();
    char dir[HERD_SWEEP_PATH_MAX];
    if (a.out) snprintf(dir, sizeof dir, "%s", a.out);
    else default_out(a.file, dir, sizeof dir);
    static herd_sweep_plan p;
#ifdef HERD_MPI
    if (herd_sweep_mpi_launched()) return run_mpi(&a, &p, dir);
#else
    /* N copies of a local sweep on one journal would each run everything */
    const char *ranks = getenv("OMPI_COMM_WORLD_SIZE");
    if (ranks && strcmp(ranks, "1") != 0) {
        fprintf(stderr, "herd sweep: started by mpirun with %s ranks, but this herd was built without Open MPI "
                        "(install libopenmpi-dev and rebuild, or run herd sweep --jobs N)\n", ranks);
        return HERD_EXIT_USAGE;
    }
#endif
    int rc = plan_load(&a, &p, true);
    if (rc == 0) rc = run_local(&a, &p, dir);
    herd_sweep_plan_free(&p);
    return rc;
}
