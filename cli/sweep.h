/* sweep.h — `herd sweep`: one scenario run over a grid of overrides and seeds, and the
 * map it makes (docs/sweeps.md).
 *
 * A sweep file (YAML, read with lib/config.h) names a base scenario, axes (each a scenario
 * key with a list or a range of values, or values that set several keys under one label)
 * and seeds. A cell is one value of every axis; a run is one cell and one seed, index
 * cell * nseeds + seed offset, and that order (cell, then seed) is the only order results
 * are ever read in, so the aggregates do not depend on how many workers ran, or in what
 * order they finished. The pieces:
 *   sweep_file.c       the sweep file into a plan (errors file:line:col + suggestion)
 *   sweep_run.c        one run in this process: the scenario with its overrides, the world,
 *                      the report, one JSON line (the row) and its replay command
 *   sweep_journal.c    runs.jsonl, the journal: what is done (resume), appended row by row
 *   sweep_aggregate.c  rows into per-cell figures: cells.csv, cells.json, the summary
 *   sweep_heatmap.c    the map over two axes: heatmap.svg and heatmap.html (offline)
 *   sweep_local.c      --jobs N forked workers
 *   mpi/sweep_mpi.c    the Open MPI backend (built only when CMake finds MPI)
 *   cmd_sweep.c        the subcommand: flags, the steps in order, exit status */
#ifndef HERD_CLI_SWEEP_H
#define HERD_CLI_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HERD_SWEEP_AXES_MAX 6
#define HERD_SWEEP_VALUES_MAX 256    /* per axis */
#define HERD_SWEEP_VALUE_SETS_MAX 8  /* keys one value sets */
#define HERD_SWEEP_BASE_SETS_MAX 32  /* the file's set: block plus --set */
#define HERD_SWEEP_CELLS_MAX 65536
#define HERD_SWEEP_SEEDS_MAX 100000
#define HERD_SWEEP_RUNS_MAX 1000000
#define HERD_SWEEP_LABEL_MAX 64
#define HERD_SWEEP_SET_MAX 256       /* bytes of one "key=value" */
#define HERD_SWEEP_PATH_MAX 1024
#define HERD_SWEEP_ROW_MAX 16384     /* bytes of one runs.jsonl line */
#define HERD_SWEEP_REPLAY_MAX 4096   /* bytes of one replay command */
#define HERD_SWEEP_JOBS_MAX 256

typedef struct herd_sweep_value {
    char label[HERD_SWEEP_LABEL_MAX];
    uint32_t nsets;
    char sets[HERD_SWEEP_VALUE_SETS_MAX][HERD_SWEEP_SET_MAX]; /* "key=value" */
    int line, col;                                            /* in the sweep file */
} herd_sweep_value;

typedef struct herd_sweep_axis {
    char name[HERD_SWEEP_LABEL_MAX];
    uint32_t nvalues;
    herd_sweep_value *values; /* nvalues, owned */
} herd_sweep_axis;

typedef struct herd_sweep_plan {
    char path[HERD_SWEEP_PATH_MAX];     /* the sweep file as given */
    char scenario[HERD_SWEEP_PATH_MAX]; /* the base scenario, relative to the working directory */
    int scenario_line, scenario_col;
    uint32_t nbase;
    char base[HERD_SWEEP_BASE_SETS_MAX][HERD_SWEEP_SET_MAX];
    int base_line[HERD_SWEEP_BASE_SETS_MAX], base_col[HERD_SWEEP_BASE_SETS_MAX]; /* 0: --set */
    uint32_t naxes;
    herd_sweep_axis axes[HERD_SWEEP_AXES_MAX];
    uint64_t seed_from;
    uint64_t nseeds;
    bool swarm;            /* faults drawn from each seed (herd run --swarm) */
    int heat_x, heat_y;    /* axis indices of the heatmap; -1: none */
    uint32_t ncells;
    uint64_t nruns;        /* ncells * nseeds */
    uint64_t hash;         /* what the rows depend on, seeds aside: the journal's identity */
} herd_sweep_plan;

/* sweep_file.c. Load path into p (zeroed first). Returns 0, or 65 (invalid), 74
 * (unreadable), 70 (out of memory) with "file:line:col: message" in err. */
int herd_sweep_plan_load(herd_sweep_plan *p, const char *path, char *err, size_t err_len);
/* --seeds A..B, --swarm K and --set after loading: 0 or 64 with the message in err. */
int herd_sweep_plan_seeds(herd_sweep_plan *p, const char *range, char *err, size_t err_len);
int herd_sweep_plan_add_set(herd_sweep_plan *p, const char *assignment, char *err, size_t err_len);
/* The counts and the hash, after every change above; 65 when the grid is too large. */
int herd_sweep_plan_finish(herd_sweep_plan *p, char *err, size_t err_len);
void herd_sweep_plan_free(herd_sweep_plan *p);
/* The value index of axis a in cell c (the last axis varies fastest). */
uint32_t herd_sweep_cell_value(const herd_sweep_plan *p, uint32_t cell, uint32_t axis);
/* The overrides of a cell, base first: pointers into p, at most n; returns how many. */
size_t herd_sweep_cell_sets(const herd_sweep_plan *p, uint32_t cell, const char **sets, size_t n);

/* sweep_run.c. Load every cell's scenario once, before anything runs: 0, or the exit
 * status with the error located at the value (or set: entry) that caused it. */
int herd_sweep_validate(const herd_sweep_plan *p, char *err, size_t err_len);
/* Run (cell, seed) here and write its row (one JSON object, no newline) into line.
 * Returns 0, or 70 with a message in line. */
int herd_sweep_run_one(const herd_sweep_plan *p, uint32_t cell, uint64_t seed, char *line, size_t cap);
/* The command that replays (cell, seed): "herd run SCENARIO --seed N --set ... [--swarm]". */
void herd_sweep_replay_cmd(const herd_sweep_plan *p, uint32_t cell, uint64_t seed, char *buf, size_t n);

/* sweep_journal.c: DIR/runs.jsonl. */
typedef struct herd_sweep_row {
    uint32_t cell;
    uint64_t seed;
    bool pass, recovered, unsafe;
    uint64_t ttr_us;          /* UINT64_MAX: never recovered */
    uint64_t peak_attempts_per_s, attempts, wasted, syn_drops, events;
    uint64_t live_at_end, gave_up; /* UINT64_MAX: not in the row (a journal of before they were) */
    char *violation;          /* the first violation's message when unsafe, else NULL */
} herd_sweep_row;

typedef struct herd_sweep_journal {
    int fd;                   /* open for appending */
    char path[HERD_SWEEP_PATH_MAX + 16];
    uint8_t *done;            /* plan->nruns flags: a row for this run is in the file */
    uint64_t ndone;
    uint64_t torn;            /* bytes of a torn last line cut off on open */
} herd_sweep_journal;

/* Create DIR (mkdir -p), open DIR/runs.jsonl, check that it belongs to this plan (its
 * header line's hash; a new file gets the header), note which runs are done, and cut off
 * a torn last line. 0, or 65 (another sweep's journal, a malformed row), 74. */
int herd_sweep_journal_open(herd_sweep_journal *j, const herd_sweep_plan *p, const char *dir, char *err,
                            size_t err_len);
/* Append one row line (a newline is added) in one write, then fdatasync. 0 or 74. */
int herd_sweep_journal_append(herd_sweep_journal *j, const herd_sweep_plan *p, const char *line);
void herd_sweep_journal_close(herd_sweep_journal *j);
/* Every row of this plan's runs in DIR/runs.jsonl, sorted by (cell, seed), one per run.
 * 0, or 65/74/70 with err; free with herd_sweep_rows_free. */
int herd_sweep_rows_load(const char *dir, const herd_sweep_plan *p, herd_sweep_row **rows,
                         uint64_t *nrows, char *err, size_t err_len);
void herd_sweep_rows_free(herd_sweep_row *rows, uint64_t nrows);
/* Parse one row line (also what a worker sends): 0, or -1 with a reason in err. */
int herd_sweep_row_parse(const char *line, size_t len, herd_sweep_row *row, char *err, size_t err_len);

/* sweep_aggregate.c. */
typedef struct herd_sweep_cell {
    uint32_t runs, pass, recovered, unsafe;
    uint64_t ttr_p5_us, ttr_p50_us, ttr_p95_us; /* UINT64_MAX: that seed did not recover */
    uint64_t peak_p50, peak_max, wasted_p50, wasted_max, attempts_p50, syn_drops_p50;
    uint64_t live_at_end_p50, gave_up_p50;      /* UINT64_MAX: some row lacks it */
    bool has_unsafe;
    uint64_t first_unsafe_seed;
    const char *first_violation;                /* into the rows */
} herd_sweep_cell;

/* rows (sorted, this plan's) into cells[p->ncells]. */
void herd_sweep_aggregate(const herd_sweep_plan *p, const herd_sweep_row *rows, uint64_t nrows,
                          herd_sweep_cell *cells);
/* DIR/cells.csv and DIR/cells.json (atomic files): 0 or 74. */
int herd_sweep_write_cells(const herd_sweep_plan *p, const herd_sweep_cell *cells, const char *dir);
/* A fraction k/n as parts per thousand, rounded half up (deterministic, integer). */
uint32_t herd_sweep_permille(uint64_t k, uint64_t n);

/* sweep_heatmap.c: DIR/heatmap.svg and DIR/heatmap.html. 0 or 74. */
int herd_sweep_write_heatmap(const herd_sweep_plan *p, const herd_sweep_cell *cells, const char *dir);

/* sweep_local.c. Run the runs not yet done with up to jobs forked workers, appending each
 * row to the journal as it comes. progress: 0 none, 1 on a terminal, 2 log lines.
 * Returns 0, 130 when interrupted (SIGINT/SIGTERM: every worker is stopped and reaped),
 * 70 when a worker died, 74. */
int herd_sweep_local(const herd_sweep_plan *p, herd_sweep_journal *j, unsigned jobs, int progress);

/* Progress line shared by the backends. */
typedef struct herd_sweep_progress {
    int mode;                 /* 0 none, 1 terminal (redrawn), 2 a log line every few s */
    uint64_t total, done, failed, start_us, last_us;
} herd_sweep_progress;
void herd_sweep_progress_tick(herd_sweep_progress *pr, bool force);
void herd_sweep_progress_end(herd_sweep_progress *pr);
uint64_t herd_sweep_wall_us(void);

#ifdef HERD_MPI
/* mpi/sweep_mpi.c (built only when CMake finds MPI). */
/* Whether this process was started by mpirun (Open MPI's or PMIx's environment). */
bool herd_sweep_mpi_launched(void);
/* MPI_Init; this rank and the number of ranks. 0, or 70. */
int herd_sweep_mpi_init(int *rank, int *size);
/* Split the runs not yet done across the ranks (round-robin over the sorted list of them);
 * rank 0 owns DIR/runs.jsonl and appends every row as it arrives. Every rank has loaded and
 * validated the same plan. Returns the same status on every rank: 0, 70 (a run failed on
 * some rank), or the journal's 65/74 (err holds the message on rank 0). */
int herd_sweep_mpi_run(const herd_sweep_plan *p, const char *dir, int progress, uint64_t *ran, char *err,
                       size_t err_len);
/* rank 0's status to every rank (the exit status they all return). */
int herd_sweep_mpi_agree(int rc);
void herd_sweep_mpi_finalize(void);
#endif

#endif
