/* report_data.c — the runs as one JSON object for the interactive report (report.js):
 * columns as arrays, never an object per point, so a 120 s run at 100 ms is a few
 * hundred kilobytes.
 *
 *   {"uplot": version, "runs": [{"name", "policy", "verdict", "colour", "dash",
 *     "interval_s", "stride", "capacity_measured", "t": [...], "cols": {key: [...]},
 *     "bands": [{"kind", "label", "start_s", "end_s"}], "recovered_at_s",
 *     "violation": {"inv", "at_s", "text", "clients", "room", "replay", "chart"} | null,
 *     "servers": {"n", "intervals_per_col", "t", "metrics": [{"key", "rate", "v"}]} | null}]}
 *
 * A server metric's "v" holds one string per server, its columns run-length coded:
 * "0*300,3,5.5,25*120" is 300 zeros, 3, 5.5, then 25 for 120 columns. Servers are quiet or
 * steady most of a run, so 400 servers x 1000 columns stays a few hundred kilobytes.
 *
 * Keys of "cols" are metrics.csv's column names; counters are per second (divided by the
 * interval), gauges as measured. A run longer than HERD_DATA_POINTS_MAX intervals is folded
 * (stride > 1): each point is the largest of stride intervals, so peaks survive. A server
 * metric that is 0 everywhere has "v": null. Numbers are written with 9 significant digits;
 * every "<" is written \u003c so no string can close the <script> element that holds it. */
#include "render.h"

#include "embed.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define HERD_DATA_POINTS_MAX 20000

typedef struct col_spec {
    int col;           /* enum herd_series */
    const char *key;   /* metrics.csv's column name */
    bool rate;         /* per interval -> per second */
} col_spec;

static const col_spec cols[] = {
    {HERD_S_ATTEMPTS, "attempts", true},
    {HERD_S_SYNS, "syns", true},
    {HERD_S_SYN_DROPS, "syn_drops", true},
    {HERD_S_ACCEPTS, "accepts", true},
    {HERD_S_WASTED, "wasted_handshakes", true},
    {HERD_S_REFUSED, "refused", true},
    {HERD_S_PUBLISHED, "published", true},
    {HERD_S_BACKPRESSURE, "backpressure", true},
    {HERD_S_ACKED, "acked", true},
    {HERD_S_DELIVERED, "delivered", true},
    {HERD_S_GAPS, "gaps", true},
    {HERD_S_CONNECTED, "connected", false},
    {HERD_S_QUEUED, "queued", false},
    {HERD_S_ACCEPT_QUEUE, "accept_queue", false},
    {HERD_S_SESSIONS, "sessions", false},
    {HERD_S_CAPACITY, "capacity_per_s", false},
    {HERD_S_SYN_DROPS_BACKLOG_FULL, "syn_drops_backlog_full", true},
    {HERD_S_SYN_DROPS_LB_DOWN, "syn_drops_lb_down", true},
    {HERD_S_SYN_DROPS_LB_RATE_LIMITED, "syn_drops_lb_rate_limited", true},
    {HERD_S_SYN_DROPS_NET_LOSS, "syn_drops_net_loss", true},
    {HERD_S_SYN_DROPS_PARTITION, "syn_drops_partition", true},
};

static void num(herd_json *w, double v)
{
    char text[40];
    if (!isfinite(v)) {
        herd_json_null(w);
        return;
    }
    if (v == 0) v = 0; /* no "-0" */
    snprintf(text, sizeof text, "%.9g", v);
    herd_json_raw(w, text);
}

static void kv_num(herd_json *w, const char *key, double v)
{
    herd_json_key(w, key);
    num(w, v);
}

/* One column, folded by stride (the largest value of each group of stride rows). */
static void column(herd_json *w, const herd_run *r, int col, bool rate, size_t stride)
{
    herd_json_arr_begin(w);
    for (size_t i = 0; i < r->rows; i += stride) {
        double m = -INFINITY;
        for (size_t j = i; j < i + stride && j < r->rows; j++) /* at most stride steps */
            m = fmax(m, col == HERD_S_T ? r->col[col][j] : rate ? r->col[col][j] / r->interval_s : r->col[col][j]);
        num(w, m);
    }
    herd_json_arr_end(w);
}

static void bands(herd_json *w, const herd_run *r)
{
    herd_json_key(w, "bands");
    herd_json_arr_begin(w);
    for (uint32_t i = 0; i < r->band_count; i++) {
        herd_json_obj_begin(w);
        herd_json_kv_str(w, "kind", r->bands[i].kind);
        herd_json_kv_str(w, "label", r->bands[i].label[0] ? r->bands[i].label : r->bands[i].kind);
        kv_num(w, "start_s", r->bands[i].start_s);
        kv_num(w, "end_s", r->bands[i].end_s);
        herd_json_obj_end(w);
    }
    herd_json_arr_end(w);
}

static const char *figure_text(const herd_run *r, const char *key)
{
    for (uint32_t i = 0; i < r->figure_count; i++)
        if (strcmp(r->figures[i].key, key) == 0) return r->figures[i].value;
    return NULL;
}

/* A word for a POSIX shell: as is when it holds only safe characters, else single-quoted. */
static void shell_word(char *out, size_t size, const char *s)
{
    if (s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == strlen(s)) {
        snprintf(out, size, "%s", s);
        return;
    }
    size_t n = 0;
    if (size < 3) return;
    out[n++] = '\'';
    for (const char *p = s; *p && n + 5 < size; p++) { /* at most size steps */
        if (*p == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else out[n++] = *p;
    }
    out[n++] = '\'';
    out[n] = '\0';
}

/* The replay of the run from its own scenario.yaml, tracing the clients the first
 * violation names, and the command that charts them (what `herd run` prints). */
static void replay(herd_json *w, const herd_run *r, double seed)
{
    char dir[1100], scen[1300], out[300], cmd[2400];
    snprintf(dir, sizeof dir, "%s/scenario.yaml", r->dir);
    shell_word(scen, sizeof scen, dir);
    snprintf(dir, sizeof dir, "herd-replay-%s-%.0f", r->name, seed);
    shell_word(out, sizeof out, dir);
    int n = snprintf(cmd, sizeof cmd, "herd run %s --seed %.0f --out %s --trace-clients ", scen, seed, out);
    for (uint32_t i = 0; i < r->violator_count && n > 0 && (size_t)n < sizeof cmd; i++)
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, "%s%u", i ? "," : "", r->violators[i]);
    herd_json_kv_str(w, "replay", cmd);
    snprintf(cmd, sizeof cmd, "herd render %s/trace.jsonl --format svg --out %s/chart.svg", out, out);
    herd_json_kv_str(w, "chart", cmd);
}

static void violation(herd_json *w, const herd_run *r)
{
    double at, room, seed;
    const char *text = figure_text(r, "first_violation");
    herd_json_key(w, "violation");
    if (!text || !herd_run_figure(r, "first_violation_at_s", &at)) {
        herd_json_null(w);
        return;
    }
    herd_json_obj_begin(w);
    herd_json_key(w, "inv");
    herd_json_strn(w, text, strcspn(text, " :"));
    kv_num(w, "at_s", at);
    herd_json_kv_str(w, "text", text);
    herd_json_key(w, "clients");
    herd_json_arr_begin(w);
    for (uint32_t i = 0; i < r->violator_count; i++) herd_json_u64(w, r->violators[i]);
    herd_json_arr_end(w);
    if (herd_run_figure(r, "first_violation_room", &room)) kv_num(w, "room", room);
    else herd_json_kv_null(w, "room");
    if (r->violator_count > 0 && herd_run_figure(r, "seed", &seed)) replay(w, r, seed);
    herd_json_obj_end(w);
}

/* false when out of memory (the row buffer failed). */
static bool server_metric(herd_json *w, const herd_servers *s, unsigned m)
{
    size_t cells = (size_t)s->server_count * s->cols;
    bool any = false;
    for (size_t i = 0; i < cells && !any; i++) any = s->v[m][i] != 0;
    herd_json_obj_begin(w);
    herd_json_kv_str(w, "key", s->metric[m]);
    herd_json_kv_bool(w, "rate", s->rate[m]);
    herd_json_key(w, "v");
    if (!any) {
        herd_json_null(w);
        herd_json_obj_end(w);
        return true;
    }
    herd_json_arr_begin(w);
    herd_sbuf row;
    herd_sbuf_init(&row);
    for (unsigned k = 0; k < s->server_count; k++) {
        const float *v = &s->v[m][(size_t)k * s->cols];
        row.len = 0;
        for (size_t c = 0; c < s->cols;) { /* each step consumes at least one column */
            size_t same = 1;
            while (c + same < s->cols && v[c + same] == v[c]) same++; /* at most cols steps */
            herd_sbuf_printf(&row, "%s%.6g", c ? "," : "", (double)v[c]);
            if (same > 1) herd_sbuf_printf(&row, "*%zu", same);
            c += same;
        }
        herd_json_strn(w, row.p ? row.p : "", row.len);
    }
    bool ok = row.error == 0;
    herd_sbuf_free(&row);
    herd_json_arr_end(w);
    herd_json_obj_end(w);
    return ok;
}

static bool servers(herd_json *w, const herd_servers *s)
{
    bool ok = true;
    herd_json_key(w, "servers");
    if (!s) {
        herd_json_null(w);
        return ok;
    }
    herd_json_obj_begin(w);
    herd_json_kv_u64(w, "n", s->server_count);
    herd_json_kv_u64(w, "intervals_per_col", s->intervals_per_col);
    herd_json_key(w, "t");
    herd_json_arr_begin(w);
    for (size_t c = 0; c < s->cols; c++) num(w, s->t[c]);
    herd_json_arr_end(w);
    herd_json_key(w, "metrics");
    herd_json_arr_begin(w);
    for (unsigned m = 0; m < s->metric_count; m++) ok &= server_metric(w, s, m);
    herd_json_arr_end(w);
    herd_json_obj_end(w);
    return ok;
}

static bool run(herd_json *w, const herd_run *r, size_t i)
{
    size_t stride = (r->rows + HERD_DATA_POINTS_MAX - 1) / HERD_DATA_POINTS_MAX;
    double heal, ttr;
    herd_json_obj_begin(w);
    herd_json_kv_str(w, "name", r->name);
    herd_json_kv_str(w, "policy", r->policy);
    herd_json_kv_str(w, "verdict", r->verdict);
    herd_json_kv_str(w, "colour", herd_run_colour(i));
    herd_json_kv_str(w, "dash", herd_run_dash(i));
    kv_num(w, "interval_s", r->interval_s);
    herd_json_kv_u64(w, "stride", stride);
    herd_json_kv_bool(w, "capacity_measured", r->capacity_measured);
    herd_json_key(w, "t");
    column(w, r, HERD_S_T, false, stride);
    herd_json_key(w, "cols");
    herd_json_obj_begin(w);
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        if (!r->col[cols[k].col]) continue;
        herd_json_key(w, cols[k].key);
        column(w, r, cols[k].col, cols[k].rate, stride);
    }
    herd_json_obj_end(w);
    bands(w, r);
    if (herd_run_figure(r, "last_heal_s", &heal) && herd_run_figure(r, "time_to_recover_s", &ttr) && heal > 0)
        kv_num(w, "recovered_at_s", heal + ttr);
    else herd_json_kv_null(w, "recovered_at_s");
    violation(w, r);
    bool ok = servers(w, r->servers);
    herd_json_obj_end(w);
    return ok;
}

void herd_report_data_json(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    herd_json w;
    herd_json_init_buf(&w);
    herd_json_obj_begin(&w);
    herd_json_kv_str(&w, "uplot", HERD_UPLOT_VERSION);
    herd_json_key(&w, "runs");
    herd_json_arr_begin(&w);
    bool ok = true;
    for (size_t i = 0; i < n; i++) ok &= run(&w, runs[i], i);
    herd_json_arr_end(&w);
    herd_json_obj_end(&w);
    size_t len = 0;
    const char *text = herd_json_buf(&w, &len);
    if (herd_json_finish(&w) != 0 || !ok) b->error = b->error ? b->error : -ENOMEM; /* the only way it fails */
    for (const char *p = text; p < text + len;) { /* each step consumes at least one byte */
        size_t run_len = strcspn(p, "<");
        herd_sbuf_putn(b, p, run_len);
        p += run_len;
        if (p < text + len) {
            herd_sbuf_puts(b, "\\u003c");
            p++;
        }
    }
    herd_json_free(&w);
}
