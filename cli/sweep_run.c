/* sweep_run.c — one run of a sweep in this process, and the checks before any runs.
 *
 * A run is what `herd run SCENARIO --seed N --set ... [--swarm] --json` does, minus the
 * trace and the progress line: load the base scenario with the cell's overrides, set the
 * seed, draw the swarm's faults, run the world, build the report. Its row (runs.jsonl,
 * docs/sweeps.md) holds what the aggregates read plus what a person wants to see again:
 * the verdict, the trace hash, the first violation and the replay command. Rows carry
 * no wall-clock figure except cpu_s, which no aggregate reads. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include "error.h"
#include "exitcode.h"
#include "json.h"
#include "oracle.h"
#include "report.h"
#include "scenario.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#define CELL_SETS_MAX (HERD_SWEEP_BASE_SETS_MAX + HERD_SWEEP_AXES_MAX * HERD_SWEEP_VALUE_SETS_MAX)

static int load(const herd_sweep_plan *p, const char *const *sets, size_t n, herd_scenario *sc, char *err,
                size_t err_len)
{
    int rc = herd_scenario_load_flags(sc, p->scenario, sets, n, p->swarm ? HERD_SCENARIO_SWARM : 0, err, err_len);
    if (rc != 0) herd_scenario_free(sc);
    return rc;
}

/* Which override breaks the scenario: the base alone, then the base with each axis's value
 * alone; the first that fails is where the error is reported. */
static int locate(const herd_sweep_plan *p, uint32_t cell, int rc0, const char *msg0, char *err, size_t err_len)
{
    char msg[HERD_CFG_ERROR_MAX + 64];
    herd_scenario sc;
    const char *sets[CELL_SETS_MAX];
    size_t nb = 0;
    for (uint32_t i = 0; i < p->nbase; i++) {
        sets[nb++] = p->base[i];
        int rc = load(p, sets, nb, &sc, msg, sizeof msg);
        if (rc == 0) {
            herd_scenario_free(&sc);
            continue;
        }
        if (p->base_line[i])
            snprintf(err, err_len, "%s:%d:%d: set: %s: %s", p->path, p->base_line[i], p->base_col[i], p->base[i], msg);
        else snprintf(err, err_len, "herd sweep: --set %s: %s", p->base[i], msg);
        return rc;
    }
    if (p->nbase == 0) {
        int rc = load(p, sets, 0, &sc, msg, sizeof msg);
        if (rc != 0) {
            snprintf(err, err_len, "%s:%d:%d: scenario: %s", p->path, p->scenario_line, p->scenario_col, msg);
            return rc;
        }
        herd_scenario_free(&sc);
    }
    for (uint32_t a = 0; a < p->naxes; a++) {
        const herd_sweep_value *v = &p->axes[a].values[herd_sweep_cell_value(p, cell, a)];
        size_t n = nb;
        for (uint32_t s = 0; s < v->nsets; s++) sets[n++] = v->sets[s];
        int rc = load(p, sets, n, &sc, msg, sizeof msg);
        if (rc == 0) {
            herd_scenario_free(&sc);
            continue;
        }
        snprintf(err, err_len, "%s:%d:%d: axis '%s', value '%s': %s", p->path, v->line, v->col, p->axes[a].name,
                 v->label, msg);
        return rc;
    }
    const herd_sweep_value *v = p->naxes ? &p->axes[0].values[herd_sweep_cell_value(p, cell, 0)] : NULL;
    snprintf(err, err_len, "%s:%d:%d: cell %" PRIu32 " (its values together): %s", p->path, v ? v->line : 1,
             v ? v->col : 1, cell, msg0);
    return rc0;
}

int herd_sweep_validate(const herd_sweep_plan *p, char *err, size_t err_len)
{
    const char *sets[CELL_SETS_MAX];
    char msg[HERD_CFG_ERROR_MAX + 64];
    for (uint32_t c = 0; c < p->ncells; c++) {
        size_t n = herd_sweep_cell_sets(p, c, sets, CELL_SETS_MAX);
        herd_scenario sc;
        int rc = load(p, sets, n, &sc, msg, sizeof msg);
        if (rc == 0) {
            herd_scenario_free(&sc);
            continue;
        }
        return rc == HERD_EXIT_DATAERR ? locate(p, c, rc, msg, err, err_len)
                                       : (snprintf(err, err_len, "%s", msg), rc);
    }
    return 0;
}

/* s as one word for a POSIX shell: as is when it is made of safe characters, else quoted. */
static size_t shell_word(char *b, size_t n, const char *s)
{
    bool plain = *s != '\0';
    for (const char *q = s; *q && plain; q++)
        plain = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
                strchr("._/+:@,=-%", *q) != NULL;
    if (plain) return (size_t)snprintf(b, n, "%s", s);
    size_t k = 0;
    char tmp[HERD_SWEEP_REPLAY_MAX];
    tmp[k++] = '\'';
    for (const char *q = s; *q && k + 5 < sizeof tmp; q++) {
        if (*q == '\'') {
            memcpy(tmp + k, "'\\''", 4);
            k += 4;
        } else tmp[k++] = *q;
    }
    tmp[k++] = '\'';
    tmp[k] = '\0';
    return (size_t)snprintf(b, n, "%s", tmp);
}

void herd_sweep_replay_cmd(const herd_sweep_plan *p, uint32_t cell, uint64_t seed, char *buf, size_t n)
{
    const char *sets[CELL_SETS_MAX];
    size_t ns = herd_sweep_cell_sets(p, cell, sets, CELL_SETS_MAX);
    size_t k = (size_t)snprintf(buf, n, "herd run ");
    if (k < n) k += shell_word(buf + k, n - k, p->scenario);
    if (k < n) k += (size_t)snprintf(buf + k, n - k, " --seed %" PRIu64, seed);
    for (size_t i = 0; i < ns && k < n; i++) {
        k += (size_t)snprintf(buf + k, n - k, " --set ");
        if (k < n) k += shell_word(buf + k, n - k, sets[i]);
    }
    if (p->swarm && k < n) snprintf(buf + k, n - k, " --swarm");
}

static uint64_t cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int row_json(const herd_sweep_plan *p, uint32_t cell, uint64_t seed, const herd_report *r, uint64_t cpu,
                    char *line, size_t cap)
{
    herd_json j;
    herd_json_init_fixed(&j, line, cap);
    herd_json_obj_begin(&j);
    herd_json_kv_u64(&j, "cell", cell);
    herd_json_kv_u64(&j, "seed", seed);
    herd_json_key(&j, "values");
    herd_json_obj_begin(&j);
    for (uint32_t a = 0; a < p->naxes; a++)
        herd_json_kv_str(&j, p->axes[a].name, p->axes[a].values[herd_sweep_cell_value(p, cell, a)].label);
    herd_json_obj_end(&j);
    bool unsafe = !herd_oracle_safe_counts(r->violations);
    herd_json_kv_str(&j, "verdict", r->pass ? "pass" : "fail");
    herd_json_kv_bool(&j, "recovered", r->recovered && r->recovered_at_us != HERD_TIME_NEVER);
    if (r->recovered && r->recovered_at_us != HERD_TIME_NEVER)
        herd_json_kv_u64(&j, "time_to_recover_us", r->recovered_at_us - r->last_heal_us);
    else herd_json_kv_null(&j, "time_to_recover_us");
    herd_json_kv_u64(&j, "peak_attempts_per_s", r->peak_attempts_per_s);
    herd_json_kv_u64(&j, "attempts", r->attempts);
    herd_json_kv_u64(&j, "wasted_handshakes", r->wasted);
    herd_json_kv_u64(&j, "syn_drops", r->syn_drops);
    herd_json_kv_u64(&j, "live_at_end", r->live.live);
    herd_json_kv_u64(&j, "gave_up", r->live.stopped);
    herd_json_kv_str(&j, "safety", unsafe ? "violated" : "holds");
    herd_json_key(&j, "violations");
    herd_json_obj_begin(&j);
    for (int i = 0; i < HERD_INV_COUNT; i++) herd_json_kv_u64(&j, herd_invariant_name(i), r->violations[i]);
    herd_json_obj_end(&j);
    if (r->first_violation[0]) herd_json_kv_str(&j, "first_violation", r->first_violation);
    herd_json_kv_u64(&j, "events", r->events);
    herd_json_kv_str(&j, "trace_hash", r->trace_hash);
    herd_json_kv_fixed(&j, "cpu_s", (int64_t)cpu, 6);
    if (!r->pass) {
        char cmd[HERD_SWEEP_REPLAY_MAX];
        herd_sweep_replay_cmd(p, cell, seed, cmd, sizeof cmd);
        herd_json_kv_str(&j, "replay", cmd);
    }
    herd_json_obj_end(&j);
    return herd_json_finish(&j);
}

int herd_sweep_run_one(const herd_sweep_plan *p, uint32_t cell, uint64_t seed, char *line, size_t cap)
{
    const char *sets[CELL_SETS_MAX];
    size_t n = herd_sweep_cell_sets(p, cell, sets, CELL_SETS_MAX);
    herd_scenario sc;
    char err[HERD_CFG_ERROR_MAX + 64];
    int rc = load(p, sets, n, &sc, err, sizeof err);
    if (rc != 0) {
        snprintf(line, cap, "cell %" PRIu32 " seed %" PRIu64 ": %s", cell, seed, err);
        return HERD_EXIT_SOFTWARE;
    }
    sc.world.seed = seed;
    if (p->swarm) herd_faults_swarm(&sc.world);
    uint64_t c0 = cpu_us();
    static herd_world w; /* large; one run at a time per process */
    herd_report r = {0};
    rc = herd_world_init(&w, &sc.world);
    if (rc == HERD_OK) rc = herd_world_run(&w);
    if (rc != HERD_OK) {
        snprintf(line, cap, "cell %" PRIu32 " seed %" PRIu64 ": the world stopped on an internal error: %s", cell, seed,
                 herd_strerror(rc));
        herd_world_free(&w);
        herd_scenario_free(&sc);
        return HERD_EXIT_SOFTWARE;
    }
    herd_report_build(&r, &w, &sc.expect);
    rc = row_json(p, cell, seed, &r, cpu_us() - c0, line, cap);
    herd_world_free(&w);
    herd_scenario_free(&sc);
    if (rc != 0) {
        snprintf(line, cap, "cell %" PRIu32 " seed %" PRIu64 ": the row does not fit in %zu bytes", cell, seed, cap);
        return HERD_EXIT_SOFTWARE;
    }
    return 0;
}
