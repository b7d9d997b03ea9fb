/* sweep_aggregate.c — a sweep's rows into per-cell figures over the seeds, and the two
 * files that hold them: DIR/cells.csv and DIR/cells.json (docs/sweeps.md).
 *
 * Rows arrive sorted by (cell, seed), so every figure is a function of the plan and the
 * rows alone, never of how many workers ran or in what order they finished. Percentiles
 * are nearest-rank over the seeds, in integer microseconds; a seed that did not recover
 * counts as never (after every finite time), so a p95 of "never" says that more than 5 %
 * of the seeds did not recover. Fractions are parts per thousand, rounded half up. No
 * floating point anywhere: the files are byte-identical across machines. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include "atomic_file.h"
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

uint32_t herd_sweep_permille(uint64_t k, uint64_t n)
{
    return n ? (uint32_t)((k * 2000u + n) / (2u * n)) : 0;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q % of the values at or below it. */
static uint64_t pct(const uint64_t *sorted, uint32_t n, uint32_t q)
{
    if (n == 0) return UINT64_MAX;
    uint64_t k = ((uint64_t)q * n + 99u) / 100u;
    return sorted[k ? k - 1 : 0];
}

static void one_cell(const herd_sweep_row *r, uint32_t n, herd_sweep_cell *c, uint64_t *tmp)
{
    memset(c, 0, sizeof *c);
    c->runs = n;
    c->ttr_p5_us = c->ttr_p50_us = c->ttr_p95_us = UINT64_MAX;
    c->live_at_end_p50 = c->gave_up_p50 = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        c->pass += r[i].pass;
        c->recovered += r[i].recovered;
        if (r[i].unsafe && !c->has_unsafe) {
            c->has_unsafe = true;
            c->first_unsafe_seed = r[i].seed;
            c->first_violation = r[i].violation;
        }
        c->unsafe += r[i].unsafe;
        if (r[i].peak_attempts_per_s > c->peak_max) c->peak_max = r[i].peak_attempts_per_s;
        if (r[i].wasted > c->wasted_max) c->wasted_max = r[i].wasted;
    }
    if (n == 0) return;
    for (uint32_t i = 0; i < n; i++) tmp[i] = r[i].ttr_us;
    qsort(tmp, n, sizeof *tmp, u64_cmp);
    c->ttr_p5_us = pct(tmp, n, 5);
    c->ttr_p50_us = pct(tmp, n, 50);
    c->ttr_p95_us = pct(tmp, n, 95);
    for (uint32_t i = 0; i < n; i++) tmp[i] = r[i].peak_attempts_per_s;
    qsort(tmp, n, sizeof *tmp, u64_cmp);
    c->peak_p50 = pct(tmp, n, 50);
    for (uint32_t i = 0; i < n; i++) tmp[i] = r[i].wasted;
    qsort(tmp, n, sizeof *tmp, u64_cmp);
    c->wasted_p50 = pct(tmp, n, 50);
    for (uint32_t i = 0; i < n; i++) tmp[i] = r[i].attempts;
    qsort(tmp, n, sizeof *tmp, u64_cmp);
    c->attempts_p50 = pct(tmp, n, 50);
    for (uint32_t i = 0; i < n; i++) tmp[i] = r[i].syn_drops;
    qsort(tmp, n, sizeof *tmp, u64_cmp);
    c->syn_drops_p50 = pct(tmp, n, 50);
    for (uint32_t i = 0; i < n; i++) tmp[i] = r[i].live_at_end;
    qsort(tmp, n, sizeof *tmp, u64_cmp);
    c->live_at_end_p50 = tmp[n - 1] == UINT64_MAX ? UINT64_MAX : pct(tmp, n, 50);
    for (uint32_t i = 0; i < n; i++) tmp[i] = r[i].gave_up;
    qsort(tmp, n, sizeof *tmp, u64_cmp);
    c->gave_up_p50 = tmp[n - 1] == UINT64_MAX ? UINT64_MAX : pct(tmp, n, 50);
}

void herd_sweep_aggregate(const herd_sweep_plan *p, const herd_sweep_row *rows, uint64_t nrows,
                          herd_sweep_cell *cells)
{
    uint64_t *tmp = malloc((p->nseeds ? p->nseeds : 1) * sizeof *tmp);
    uint64_t i = 0;
    for (uint32_t c = 0; c < p->ncells; c++) {
        uint64_t start = i;
        while (i < nrows && rows[i].cell == c) i++;
        if (!tmp) {
            memset(&cells[c], 0, sizeof cells[c]);
            continue;
        }
        one_cell(rows + start, (uint32_t)(i - start), &cells[c], tmp);
    }
    free(tmp);
}

/* A CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void fmt_ttr(uint64_t us, char *b, size_t n)
{
    if (us == UINT64_MAX) snprintf(b, n, "never");
    else snprintf(b, n, "%" PRIu64 ".%03" PRIu64, us / 1000000u, us / 1000u % 1000u);
}

static void fmt_permille(uint32_t pm, char *b, size_t n)
{
    snprintf(b, n, "%" PRIu32 ".%03" PRIu32, pm / 1000u, pm % 1000u);
}

static void write_csv(FILE *f, const herd_sweep_plan *p, const herd_sweep_cell *cells)
{
    fputs("cell", f);
    for (uint32_t a = 0; a < p->naxes; a++) {
        fputc(',', f);
        csv_field(f, p->axes[a].name);
    }
    fputs(",runs,pass,recovered,recovered_fraction,ttr_p5_s,ttr_p50_s,ttr_p95_s,peak_attempts_per_s_p50,"
          "peak_attempts_per_s_max,wasted_handshakes_p50,wasted_handshakes_max,attempts_p50,syn_drops_p50,"
          "live_at_end_p50,gave_up_p50,unsafe,unsafe_fraction,"
          "first_unsafe_seed,first_unsafe_replay\n", f);
    for (uint32_t c = 0; c < p->ncells; c++) {
        const herd_sweep_cell *x = &cells[c];
        fprintf(f, "%" PRIu32, c);
        for (uint32_t a = 0; a < p->naxes; a++) {
            fputc(',', f);
            csv_field(f, p->axes[a].values[herd_sweep_cell_value(p, c, a)].label);
        }
        char t5[32], t50[32], t95[32], rf[16], uf[16], live[24] = "", gave[24] = "";
        if (x->live_at_end_p50 != UINT64_MAX) snprintf(live, sizeof live, "%" PRIu64, x->live_at_end_p50);
        if (x->gave_up_p50 != UINT64_MAX) snprintf(gave, sizeof gave, "%" PRIu64, x->gave_up_p50);
        fmt_ttr(x->ttr_p5_us, t5, sizeof t5);
        fmt_ttr(x->ttr_p50_us, t50, sizeof t50);
        fmt_ttr(x->ttr_p95_us, t95, sizeof t95);
        fmt_permille(herd_sweep_permille(x->recovered, x->runs), rf, sizeof rf);
        fmt_permille(herd_sweep_permille(x->unsafe, x->runs), uf, sizeof uf);
        fprintf(f, ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%s,%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                   ",%" PRIu64 ",%" PRIu64 ",%s,%s,%" PRIu32 ",%s,",
                x->runs, x->pass, x->recovered, rf, t5, t50, t95, x->peak_p50, x->peak_max, x->wasted_p50,
                x->wasted_max, x->attempts_p50, x->syn_drops_p50, live, gave, x->unsafe, uf);
        if (x->has_unsafe) {
            char cmd[HERD_SWEEP_REPLAY_MAX];
            herd_sweep_replay_cmd(p, c, x->first_unsafe_seed, cmd, sizeof cmd);
            fprintf(f, "%" PRIu64 ",", x->first_unsafe_seed);
            csv_field(f, cmd);
        } else {
            fputc(',', f);
        }
        fputc('\n', f);
    }
}

static void json_ttr(herd_json *j, const char *key, uint64_t us)
{
    if (us == UINT64_MAX) herd_json_kv_null(j, key);
    else herd_json_kv_fixed(j, key, (int64_t)us, 6);
}

static void json_cell(herd_json *j, const herd_sweep_plan *p, const herd_sweep_cell *x, uint32_t c)
{
    herd_json_obj_begin(j);
    herd_json_kv_u64(j, "cell", c);
    herd_json_key(j, "values");
    herd_json_obj_begin(j);
    for (uint32_t a = 0; a < p->naxes; a++)
        herd_json_kv_str(j, p->axes[a].name, p->axes[a].values[herd_sweep_cell_value(p, c, a)].label);
    herd_json_obj_end(j);
    herd_json_kv_u64(j, "runs", x->runs);
    herd_json_kv_u64(j, "pass", x->pass);
    herd_json_kv_u64(j, "recovered", x->recovered);
    herd_json_kv_fixed(j, "recovered_fraction", herd_sweep_permille(x->recovered, x->runs), 3);
    json_ttr(j, "ttr_p5_s", x->ttr_p5_us);
    json_ttr(j, "ttr_p50_s", x->ttr_p50_us);
    json_ttr(j, "ttr_p95_s", x->ttr_p95_us);
    herd_json_kv_u64(j, "peak_attempts_per_s_p50", x->peak_p50);
    herd_json_kv_u64(j, "peak_attempts_per_s_max", x->peak_max);
    herd_json_kv_u64(j, "wasted_handshakes_p50", x->wasted_p50);
    herd_json_kv_u64(j, "wasted_handshakes_max", x->wasted_max);
    herd_json_kv_u64(j, "attempts_p50", x->attempts_p50);
    herd_json_kv_u64(j, "syn_drops_p50", x->syn_drops_p50);
    if (x->live_at_end_p50 != UINT64_MAX) herd_json_kv_u64(j, "live_at_end_p50", x->live_at_end_p50);
    else herd_json_kv_null(j, "live_at_end_p50");
    if (x->gave_up_p50 != UINT64_MAX) herd_json_kv_u64(j, "gave_up_p50", x->gave_up_p50);
    else herd_json_kv_null(j, "gave_up_p50");
    herd_json_kv_u64(j, "unsafe", x->unsafe);
    herd_json_kv_fixed(j, "unsafe_fraction", herd_sweep_permille(x->unsafe, x->runs), 3);
    if (x->has_unsafe) {
        char cmd[HERD_SWEEP_REPLAY_MAX];
        herd_sweep_replay_cmd(p, c, x->first_unsafe_seed, cmd, sizeof cmd);
        herd_json_kv_u64(j, "first_unsafe_seed", x->first_unsafe_seed);
        herd_json_kv_str(j, "first_violation", x->first_violation ? x->first_violation : "");
        herd_json_kv_str(j, "first_unsafe_replay", cmd);
    }
    herd_json_obj_end(j);
}

static int write_json(FILE *f, const herd_sweep_plan *p, const herd_sweep_cell *cells)
{
    herd_json j;
    herd_json_init_file(&j, f);
    herd_json_set_pretty(&j, true);
    herd_json_obj_begin(&j);
    herd_json_kv_str(&j, "format", "herd-sweep-cells");
    herd_json_kv_u64(&j, "version", 1);
    herd_json_kv_str(&j, "sweep", p->path);
    herd_json_kv_str(&j, "scenario", p->scenario);
    herd_json_key(&j, "set");
    herd_json_arr_begin(&j);
    for (uint32_t i = 0; i < p->nbase; i++) herd_json_str(&j, p->base[i]);
    herd_json_arr_end(&j);
    herd_json_key(&j, "axes");
    herd_json_arr_begin(&j);
    for (uint32_t a = 0; a < p->naxes; a++) {
        herd_json_obj_begin(&j);
        herd_json_kv_str(&j, "name", p->axes[a].name);
        herd_json_key(&j, "values");
        herd_json_arr_begin(&j);
        for (uint32_t v = 0; v < p->axes[a].nvalues; v++) herd_json_str(&j, p->axes[a].values[v].label);
        herd_json_arr_end(&j);
        herd_json_obj_end(&j);
    }
    herd_json_arr_end(&j);
    herd_json_kv_u64(&j, "seed_from", p->seed_from);
    herd_json_kv_u64(&j, "seeds", p->nseeds);
    herd_json_kv_bool(&j, "swarm", p->swarm);
    herd_json_key(&j, "cells");
    herd_json_arr_begin(&j);
    for (uint32_t c = 0; c < p->ncells; c++) json_cell(&j, p, &cells[c], c);
    herd_json_arr_end(&j);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    fputc('\n', f);
    return rc;
}

static int write_one(const char *dir, const char *name, const herd_sweep_plan *p, const herd_sweep_cell *cells,
                     bool json)
{
    char path[HERD_AFILE_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) return -ENAMETOOLONG;
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    if (!f) return -errno;
    int rc = 0;
    if (json) rc = write_json(f, p, cells);
    else write_csv(f, p, cells);
    if (rc != 0 || ferror(f)) {
        herd_afile_abort(&af);
        return -EIO;
    }
    return herd_afile_commit(&af);
}

int herd_sweep_write_cells(const herd_sweep_plan *p, const herd_sweep_cell *cells, const char *dir)
{
    int rc = write_one(dir, "cells.csv", p, cells, false);
    if (rc == 0) rc = write_one(dir, "cells.json", p, cells, true);
    if (rc != 0) fprintf(stderr, "herd sweep: cannot write %s/cells.*: %s\n", dir, strerror(-rc));
    return rc == 0 ? 0 : 74;
}
