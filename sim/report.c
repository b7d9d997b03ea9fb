/* report.c — figures, expectations and their output for one run (see report.h). */
#include "report.h"

#include "atomic_file.h"
#include "json.h"
#include "outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void expect_add(herd_report *r, bool ok, const char *name, const char *detail)
{
    if (r->nexp == HERD_EXPECT_MAX) return;
    herd_expectation *x = &r->exp[r->nexp++];
    snprintf(x->name, sizeof x->name, "%s", name);
    snprintf(x->detail, sizeof x->detail, "%s", detail);
    x->ok = ok;
}

static void fmt_s(char *out, size_t n, herd_time us)
{
    snprintf(out, n, "%" PRIu64 ".%03" PRIu64 "s", us / HERD_US_PER_S, us % HERD_US_PER_S / 1000);
}

static void judge_safety(herd_report *r, const herd_world *w, const herd_expect *e)
{
    bool safe = herd_oracle_safe(&w->oracle);
    char name[96], detail[HERD_ORACLE_MSG_MAX + 16];
    if (e->safety == HERD_EXPECT_HOLDS) {
        bool meant = w->cfg.publish_interval_us > 0 && w->cfg.publishers_ppm > 0;
        if (safe && meant && r->published == 0) {
            /* A workload that never got a message out exercised no message invariant. */
            expect_add(r, false, "safety holds", "vacuous: no message was published (no client drew the "
                       "publisher share, or every publisher was stopped for the whole window), so I1-I6 and I8 "
                       "were never exercised");
            return;
        }
        snprintf(detail, sizeof detail, "%s", !safe ? r->first_violation
                                              : r->published ? "no invariant violated"
                                              : "no invariant violated (no workload: no message was published)");
        expect_add(r, safe, "safety holds", detail);
        return;
    }
    bool ok = !safe && (e->violates < 0 || w->oracle.count[e->violates] > 0);
    snprintf(name, sizeof name, "safety violated%s%s", e->violates >= 0 ? ": " : "",
             e->violates >= 0 ? herd_invariant_name(e->violates) : "");
    snprintf(detail, sizeof detail, "%s", safe ? "nothing was violated" : r->first_violation);
    expect_add(r, ok, name, detail);
}

static void judge_liveness(herd_report *r, const herd_expect *e)
{
    char name[96], detail[200], t[32];
    bool timed = r->recovered_at_us != HERD_TIME_NEVER;
    herd_time ttr = timed ? r->recovered_at_us - r->last_heal_us : 0;
    fmt_s(t, sizeof t, ttr);
    snprintf(detail, sizeof detail, "%s; live %u/%u, gave up %u, queued %" PRIu64 ", subscribers behind %" PRIu64,
             timed ? t : "never all live", r->live.live, r->clients, r->live.stopped, r->live.queued, r->live.behind);
    if (e->recover_set && e->recover_never) {
        expect_add(r, !r->recovered, "L1 never recovers", detail);
    } else if (e->recover_set) {
        char lim[32];
        fmt_s(lim, sizeof lim, e->recovers_within_us);
        snprintf(name, sizeof name, "L1 recovers within %s", lim);
        expect_add(r, r->recovered && ttr <= e->recovers_within_us, name, detail);
    } else {
        expect_add(r, r->recovered, "L1 recovers before the run ends", detail);
    }
}

static void judge_figures(herd_report *r, const herd_expect *e)
{
    char name[96], detail[200];
    snprintf(detail, sizeof detail, "peak %" PRIu64 " attempts/s at %" PRIu64 "s", r->peak_attempts_per_s,
             r->peak_at_us / HERD_US_PER_S);
    if (e->peak_attempts_max != UINT64_MAX) {
        snprintf(name, sizeof name, "peak attempts/s <= %" PRIu64, e->peak_attempts_max);
        expect_add(r, r->peak_attempts_per_s <= e->peak_attempts_max, name, detail);
    }
    if (e->peak_attempts_min) {
        snprintf(name, sizeof name, "peak attempts/s >= %" PRIu64, e->peak_attempts_min);
        expect_add(r, r->peak_attempts_per_s >= e->peak_attempts_min, name, detail);
    }
    if (e->wasted_min) {
        snprintf(name, sizeof name, "wasted handshakes >= %" PRIu64, e->wasted_min);
        snprintf(detail, sizeof detail, "%" PRIu64 " wasted", r->wasted);
        expect_add(r, r->wasted >= e->wasted_min, name, detail);
    }
    if (e->wasted_max != UINT64_MAX) {
        snprintf(name, sizeof name, "wasted handshakes <= %" PRIu64, e->wasted_max);
        snprintf(detail, sizeof detail, "%" PRIu64 " wasted", r->wasted);
        expect_add(r, r->wasted <= e->wasted_max, name, detail);
    }
}

void herd_report_build(herd_report *r, herd_world *w, const herd_expect *e)
{
    herd_report keep = *r; /* the process figures cmd_run measured */
    *r = (herd_report){0};
    r->setup_us = keep.setup_us;
    r->run_us = keep.run_us;
    r->wall_us = keep.wall_us;
    r->cpu_us = keep.cpu_us;
    r->peak_rss_bytes = keep.peak_rss_bytes;
    const herd_oracle *o = &w->oracle;
    const herd_metrics *m = &w->metrics;
    r->seed = w->cfg.seed;
    r->clients = w->cfg.clients;
    r->events = w->events;
    herd_world_trace_hex(w, r->trace_hash);
    r->lost = o->lost;
    r->duplicates = o->duplicates;
    r->reordered = o->reordered;
    r->acked = m->total[HERD_M_ACKED];
    r->delivered = m->total[HERD_M_DELIVERED];
    r->published = m->total[HERD_M_PUBLISHED];
    r->attempts = m->total[HERD_M_ATTEMPTS];
    r->wasted = m->total[HERD_M_WASTED];
    r->syn_drops = m->total[HERD_M_SYN_DROPS];
    for (int c = 0; c < HERD_SYN_DROP_CAUSE_COUNT; c++)
        r->syn_drops_by_cause[c] = m->total[HERD_M_SYN_DROPS_BACKLOG_FULL + c];
    r->accepts = m->total[HERD_M_ACCEPTS];
    r->churn_periods = w->churn_periods;
    /* The start-up (every client's first connect over start_spread) is not a herd. */
    herd_time from = (w->cfg.start_spread_us + HERD_US_PER_S - 1) / HERD_US_PER_S * HERD_US_PER_S;
    r->peak_attempts_per_s = herd_metrics_peak_attempts(m, from, &r->peak_at_us);
    r->last_heal_us = w->last_heal_us;
    r->recovered_at_us = w->recovered_at;
    herd_world_liveness(w, &r->live);
    r->failed_reported = r->live.failed_reported;
    r->queued = r->live.queued - r->live.failed_reported;
    r->lost_unacked = o->lost_unacked;
    r->recovered = w->recovered_at != HERD_TIME_NEVER && r->live.live == w->cfg.clients && r->live.queued == 0 &&
                   r->live.behind == 0;
    r->world_bytes = herd_world_bytes(w);
    memcpy(r->violations, o->count, sizeof r->violations);
    snprintf(r->first_violation, sizeof r->first_violation, "%s", o->first_inv >= 0 ? o->first_msg : "");
    r->first_violation_at_us = o->first_inv >= 0 ? o->first_at : 0;
    r->first_violation_nclients = o->first_inv >= 0 ? o->first_nclients : 0;
    memcpy(r->first_violation_clients, o->first_clients, sizeof r->first_violation_clients);
    r->first_violation_room = o->first_inv >= 0 ? o->first_room : HERD_ORACLE_NO_ROOM;
    judge_safety(r, w, e);
    judge_liveness(r, e);
    judge_figures(r, e);
    r->pass = true;
    for (uint32_t i = 0; i < r->nexp; i++) r->pass = r->pass && r->exp[i].ok;
}

int herd_report_json(const herd_report *r, FILE *f)
{
    herd_json j;
    herd_json_init_file(&j, f);
    herd_json_obj_begin(&j);
    herd_json_kv_str(&j, "verdict", r->pass ? "pass" : "fail");
    if (r->scenario) herd_json_kv_str(&j, "scenario", r->scenario);
    herd_json_kv_u64(&j, "seed", r->seed);
    herd_json_kv_u64(&j, "clients", r->clients);
    herd_json_kv_u64(&j, "events", r->events);
    herd_json_kv_fixed(&j, "setup_s", (int64_t)r->setup_us, 6);
    herd_json_kv_fixed(&j, "run_s", (int64_t)r->run_us, 6);
    herd_json_kv_fixed(&j, "wall_s", (int64_t)r->wall_us, 6);
    herd_json_kv_fixed(&j, "cpu_s", (int64_t)r->cpu_us, 6);
    /* per wall second of setup and run together (what the user waits), and per CPU second */
    herd_json_kv_u64(&j, "events_per_s", r->wall_us ? r->events * 1000000u / r->wall_us : 0);
    herd_json_kv_u64(&j, "events_per_cpu_s", r->cpu_us ? r->events * 1000000u / r->cpu_us : 0);
    herd_json_kv_str(&j, "trace_hash", r->trace_hash);
    herd_json_kv_u64(&j, "lost", r->lost);
    herd_json_kv_u64(&j, "duplicates", r->duplicates);
    herd_json_kv_u64(&j, "reordered", r->reordered);
    herd_json_kv_u64(&j, "published", r->published);
    herd_json_kv_u64(&j, "acked", r->acked);
    herd_json_kv_u64(&j, "queued", r->queued);
    herd_json_kv_u64(&j, "failed_reported", r->failed_reported);
    herd_json_kv_u64(&j, "lost_unacked", r->lost_unacked);
    herd_json_kv_u64(&j, "delivered", r->delivered);
    herd_json_kv_u64(&j, "attempts", r->attempts);
    herd_json_kv_u64(&j, "syn_drops", r->syn_drops);
    /* Flat keys named as metrics.csv's columns: syn_drops_backlog_full, ... */
    for (int c = 0; c < HERD_SYN_DROP_CAUSE_COUNT; c++)
        herd_json_kv_u64(&j, herd_metric_counter_name(HERD_M_SYN_DROPS_BACKLOG_FULL + c), r->syn_drops_by_cause[c]);
    herd_json_kv_u64(&j, "accepts", r->accepts);
    herd_json_kv_u64(&j, "wasted_handshakes", r->wasted);
    herd_json_kv_u64(&j, "churn_periods", r->churn_periods);
    herd_json_kv_u64(&j, "peak_attempts_per_s", r->peak_attempts_per_s);
    herd_json_kv_fixed(&j, "last_heal_s", (int64_t)r->last_heal_us, 6);
    if (r->recovered_at_us != HERD_TIME_NEVER && r->recovered)
        herd_json_kv_fixed(&j, "time_to_recover_s", (int64_t)(r->recovered_at_us - r->last_heal_us), 6);
    else
        herd_json_kv_null(&j, "time_to_recover_s");
    herd_json_kv_u64(&j, "live_at_end", r->live.live);
    herd_json_kv_u64(&j, "gave_up", r->live.stopped);
    herd_json_kv_u64(&j, "queued_at_end", r->live.queued);
    herd_json_kv_u64(&j, "subscribers_behind", r->live.behind);
    herd_json_kv_u64(&j, "peak_rss_bytes", r->peak_rss_bytes);
    herd_json_kv_u64(&j, "world_bytes", r->world_bytes);
    herd_json_kv_u64(&j, "bytes_per_client", r->clients ? r->world_bytes / r->clients : 0);
    herd_json_key(&j, "violations");
    herd_json_obj_begin(&j);
    for (int i = 0; i < HERD_INV_COUNT; i++) herd_json_kv_u64(&j, herd_invariant_name(i), r->violations[i]);
    herd_json_obj_end(&j);
    if (r->first_violation[0]) {
        herd_json_kv_str(&j, "first_violation", r->first_violation);
        herd_json_kv_fixed(&j, "first_violation_at_s", (int64_t)r->first_violation_at_us, 6);
        herd_json_key(&j, "first_violation_clients");
        herd_json_arr_begin(&j);
        for (uint32_t i = 0; i < r->first_violation_nclients; i++) herd_json_u64(&j, r->first_violation_clients[i]);
        herd_json_arr_end(&j);
        if (r->first_violation_room != HERD_ORACLE_NO_ROOM)
            herd_json_kv_u64(&j, "first_violation_room", r->first_violation_room);
        else
            herd_json_kv_null(&j, "first_violation_room");
    }
    herd_json_key(&j, "expectations");
    herd_json_arr_begin(&j);
    for (uint32_t i = 0; i < r->nexp; i++) {
        herd_json_obj_begin(&j);
        herd_json_kv_str(&j, "name", r->exp[i].name);
        herd_json_kv_bool(&j, "ok", r->exp[i].ok);
        herd_json_kv_str(&j, "detail", r->exp[i].detail);
        herd_json_obj_end(&j);
    }
    herd_json_arr_end(&j);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    fputc('\n', f);
    return rc;
}

void herd_report_text(const herd_report *r, FILE *f)
{
    fprintf(f, "%s  seed %" PRIu64 "  clients %u  events %" PRIu64 "  trace %s\n", r->pass ? "PASS" : "FAIL",
            r->seed, r->clients, r->events, r->trace_hash);
    fprintf(f, "  attempts %" PRIu64 " (peak %" PRIu64 "/s)  SYN drops %" PRIu64 "  accepts %" PRIu64
               "  wasted handshakes %" PRIu64 "\n",
            r->attempts, r->peak_attempts_per_s, r->syn_drops, r->accepts, r->wasted);
    const uint64_t *d = r->syn_drops_by_cause;
    fprintf(f, "  SYN drops by cause: accept queue full %" PRIu64 "  LB down %" PRIu64 "  LB rate limit %" PRIu64
               "  network loss %" PRIu64 "  partition %" PRIu64 "\n",
            d[HERD_SYN_DROP_BACKLOG_FULL], d[HERD_SYN_DROP_LB_DOWN], d[HERD_SYN_DROP_LB_RATE_LIMITED],
            d[HERD_SYN_DROP_NET_LOSS], d[HERD_SYN_DROP_PARTITION]);
    fprintf(f, "  published %" PRIu64 "  acked %" PRIu64 "  delivered %" PRIu64 "  lost %" PRIu64
               "  duplicates %" PRIu64 "  reordered %" PRIu64 "\n",
            r->published, r->acked, r->delivered, r->lost, r->duplicates, r->reordered);
    fprintf(f, "  messages: published %" PRIu64 " = acked %" PRIu64 " + queued %" PRIu64 " + failed (reported) %" PRIu64
               " + lost un-ACKed %" PRIu64 "\n",
            r->published, r->acked, r->queued, r->failed_reported, r->lost_unacked);
    for (uint32_t i = 0; i < r->nexp; i++)
        fprintf(f, "  [%s] %s: %s\n", r->exp[i].ok ? "ok" : "FAILED", r->exp[i].name, r->exp[i].detail);
}

static int write_csv(const herd_metrics *m, FILE *f)
{
    fprintf(f, "t_s");
    for (int k = 0; k < HERD_METRICS_COLS; k++) fprintf(f, ",%s", herd_metrics_column_name(herd_metrics_column(k)));
    fputc('\n', f);
    for (uint32_t i = 0; i < m->rows_len; i++) {
        const herd_metrics_row *row = &m->rows[i];
        fprintf(f, "%" PRIu64 ".%06" PRIu64, row->t_us / HERD_US_PER_S, row->t_us % HERD_US_PER_S);
        for (int k = 0; k < HERD_METRICS_COLS; k++)
            fprintf(f, ",%" PRIu64, herd_metrics_row_value(row, herd_metrics_column(k)));
        fputc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

static int write_series_json(const herd_metrics *m, FILE *f)
{
    herd_json j;
    herd_json_init_file(&j, f);
    herd_json_obj_begin(&j);
    herd_json_kv_u64(&j, "interval_us", m->interval_us);
    herd_json_key(&j, "rows");
    herd_json_arr_begin(&j);
    for (uint32_t i = 0; i < m->rows_len; i++) {
        const herd_metrics_row *row = &m->rows[i];
        herd_json_obj_begin(&j);
        herd_json_kv_fixed(&j, "t_s", (int64_t)row->t_us, 6);
        for (int k = 0; k < HERD_METRICS_COLS; k++) {
            herd_metrics_col col = herd_metrics_column(k);
            herd_json_kv_u64(&j, herd_metrics_column_name(col), herd_metrics_row_value(row, col));
        }
        herd_json_obj_end(&j);
    }
    herd_json_arr_end(&j);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    fputc('\n', f);
    return rc;
}

typedef struct out_ctx {
    const herd_report *r;
    const herd_world *w;
    const herd_scenario *sc;
} out_ctx;

static int write_one(const char *dir, const char *name, int (*fn)(const out_ctx *, FILE *), const out_ctx *ctx)
{
    char path[HERD_AFILE_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) return -ENAMETOOLONG;
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    if (!f) return -errno;
    int rc = fn(ctx, f);
    if (rc != 0) {
        herd_afile_abort(&af);
        return rc;
    }
    return herd_afile_commit(&af);
}

static int out_csv(const out_ctx *c, FILE *f) { return write_csv(&c->w->metrics, f); }
static int out_series(const out_ctx *c, FILE *f) { return write_series_json(&c->w->metrics, f); }
static int out_summary(const out_ctx *c, FILE *f) { return herd_report_json(c->r, f); }
static int out_scenario(const out_ctx *c, FILE *f) { return herd_cfg_emit(c->sc->doc, f); }
static int out_servers(const out_ctx *c, FILE *f) { return herd_outputs_servers_csv(c->w, f); }
static int out_faults(const out_ctx *c, FILE *f) { return herd_outputs_faults_json(c->w, f); }
static int out_delays(const out_ctx *c, FILE *f) { return herd_delays_write_json(&c->w->delays, f); }

int herd_report_write_dir(const herd_report *r, const herd_world *w, const herd_scenario *sc, const char *dir)
{
    int rc = herd_mkdir_p(dir);
    out_ctx ctx = {r, w, sc};
    if (rc == 0) rc = write_one(dir, "metrics.csv", out_csv, &ctx);
    if (rc == 0) rc = write_one(dir, "metrics.json", out_series, &ctx);
    if (rc == 0) rc = write_one(dir, "servers.csv", out_servers, &ctx);
    if (rc == 0) rc = write_one(dir, "scenario.yaml", out_scenario, &ctx);
    if (rc == 0) rc = write_one(dir, "faults.json", out_faults, &ctx);
    if (rc == 0) rc = write_one(dir, "delays.json", out_delays, &ctx);
    if (rc == 0) rc = write_one(dir, "summary.json", out_summary, &ctx);
    return rc;
}
