/* metrics.c — run counters, the per-interval series, attempts per second and the
 * per-server series (metrics.h). */
#include "metrics.h"

#include "error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* herd_metrics_syn_drop maps a cause to its counter by offset. */
_Static_assert(HERD_M_SYN_DROPS_PARTITION - HERD_M_SYN_DROPS_BACKLOG_FULL == HERD_SYN_DROP_PARTITION &&
                   HERD_M_COUNTER_COUNT - HERD_M_SYN_DROPS_BACKLOG_FULL == HERD_SYN_DROP_CAUSE_COUNT,
               "one counter per SYN-drop cause, in the causes' order");

static const char *const counter_names[HERD_M_COUNTER_COUNT] = {
    "attempts", "syns", "syn_drops", "accepts", "wasted_handshakes", "refused",
    "published", "backpressure", "acked", "delivered", "gaps",
    "syn_drops_backlog_full", "syn_drops_lb_down", "syn_drops_lb_rate_limited", "syn_drops_net_loss",
    "syn_drops_partition",
};
static const char *const gauge_names[HERD_G_GAUGE_COUNT] = {
    "connected", "queued", "accept_queue", "sessions", "capacity_per_s",
};

static const char *const server_col_names[HERD_SV_COL_COUNT] = {
    "up", "accept_queue", "sessions", "handshakes", "wasted_handshakes", "refused",
    "syn_drops_backlog_full", "syn_drops_partition",
};

const char *herd_server_col_name(int c) { return c >= 0 && c < HERD_SV_COL_COUNT ? server_col_names[c] : "?"; }

const char *herd_metric_counter_name(int c) { return c >= 0 && c < HERD_M_COUNTER_COUNT ? counter_names[c] : "?"; }
const char *herd_metric_gauge_name(int g) { return g >= 0 && g < HERD_G_GAUGE_COUNT ? gauge_names[g] : "?"; }

/* The per-server arrays: the smallest stride whose rows x servers fit the cap. */
static int servers_init(herd_metrics *m, uint64_t rows, uint32_t servers)
{
    if (servers == 0) return HERD_OK;
    uint64_t stride = (rows * servers + HERD_METRICS_SERVER_CELLS_MAX - 1) / HERD_METRICS_SERVER_CELLS_MAX;
    if (stride == 0) stride = 1;
    uint64_t srows = rows / stride + 1;
    if (srows * servers > HERD_METRICS_SERVER_CELLS_MAX + (uint64_t)servers) return HERD_EINVAL;
    m->servers = servers;
    m->server_stride = (uint32_t)stride;
    m->srows_cap = (uint32_t)srows;
    m->sv_total = calloc((size_t)servers * HERD_SV_COL_COUNT, sizeof *m->sv_total);
    m->sv_at_last = calloc((size_t)servers * HERD_SV_COL_COUNT, sizeof *m->sv_at_last);
    m->srow_t = calloc(srows, sizeof *m->srow_t);
    m->srows = calloc(srows * servers * HERD_SV_COL_COUNT, sizeof *m->srows);
    return m->sv_total && m->sv_at_last && m->srow_t && m->srows ? HERD_OK : HERD_ENOSPACE;
}

int herd_metrics_init(herd_metrics *m, herd_time duration_us, herd_time interval_us, uint32_t servers)
{
    *m = (herd_metrics){0};
    assert(interval_us > 0);
    m->interval_us = interval_us;
    uint64_t rows = duration_us / interval_us + 2;
    uint64_t secs = duration_us / HERD_US_PER_S + 2;
    if (rows > HERD_METRICS_ROWS_MAX || secs > HERD_METRICS_SECONDS_MAX) return HERD_EINVAL;
    m->rows = calloc(rows, sizeof *m->rows);
    m->attempts_by_s = calloc(secs, sizeof *m->attempts_by_s);
    if (!m->rows || !m->attempts_by_s) {
        herd_metrics_free(m);
        return HERD_ENOSPACE;
    }
    m->rows_cap = (uint32_t)rows;
    m->seconds = (uint32_t)secs;
    int rc = servers_init(m, rows, servers);
    if (rc != HERD_OK) herd_metrics_free(m);
    return rc;
}

void herd_metrics_free(herd_metrics *m)
{
    free(m->rows);
    free(m->attempts_by_s);
    free(m->sv_total);
    free(m->sv_at_last);
    free(m->srow_t);
    free(m->srows);
    m->rows = NULL;
    m->attempts_by_s = NULL;
    m->sv_total = m->sv_at_last = NULL;
    m->srow_t = NULL;
    m->srows = NULL;
    m->servers = 0;
}

void herd_metrics_attempt(herd_metrics *m, herd_time now)
{
    m->total[HERD_M_ATTEMPTS]++;
    uint64_t s = now / HERD_US_PER_S;
    if (s < m->seconds) m->attempts_by_s[s]++;
}

void herd_metrics_syn_drop(herd_metrics *m, int cause)
{
    assert(cause >= 0 && cause < HERD_SYN_DROP_CAUSE_COUNT);
    m->total[HERD_M_SYN_DROPS]++;
    m->total[HERD_M_SYN_DROPS_BACKLOG_FULL + cause]++;
}

herd_metrics_col herd_metrics_column(int i)
{
    assert(i >= 0 && i < HERD_METRICS_COLS);
    if (i < HERD_M_APPENDED) return (herd_metrics_col){false, i};
    if (i < HERD_M_APPENDED + HERD_G_GAUGE_COUNT) return (herd_metrics_col){true, i - HERD_M_APPENDED};
    return (herd_metrics_col){false, i - HERD_G_GAUGE_COUNT};
}

const char *herd_metrics_column_name(herd_metrics_col col)
{
    return col.gauge ? herd_metric_gauge_name(col.index) : herd_metric_counter_name(col.index);
}

uint64_t herd_metrics_row_value(const herd_metrics_row *r, herd_metrics_col col)
{
    return col.gauge ? r->g[col.index] : r->c[col.index];
}

void herd_metrics_row_add(herd_metrics *m, herd_time now, const uint64_t g[HERD_G_GAUGE_COUNT])
{
    if (m->rows_len == m->rows_cap) return; /* past the duration: the series is full */
    herd_metrics_row *r = &m->rows[m->rows_len++];
    r->t_us = now;
    for (int i = 0; i < HERD_M_COUNTER_COUNT; i++) {
        r->c[i] = m->total[i] - m->at_last_row[i];
        m->at_last_row[i] = m->total[i];
    }
    memcpy(r->g, g, sizeof r->g);
}

uint32_t *herd_metrics_server_row(herd_metrics *m, herd_time now)
{
    if (m->servers == 0 || m->rows_len % m->server_stride != 0 || m->srows_len == m->srows_cap) return NULL;
    m->srow_t[m->srows_len] = now;
    uint32_t *cells = &m->srows[(size_t)m->srows_len++ * m->servers * HERD_SV_COL_COUNT];
    for (size_t i = 0; i < (size_t)m->servers * HERD_SV_COL_COUNT; i++) {
        if (i % HERD_SV_COL_COUNT < HERD_SV_FIRST_COUNTER) continue;
        uint64_t d = m->sv_total[i] - m->sv_at_last[i];
        cells[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d; /* a stride's count at one server */
        m->sv_at_last[i] = m->sv_total[i];
    }
    return cells;
}

uint64_t herd_metrics_peak_attempts(const herd_metrics *m, herd_time from_us, herd_time *at_us)
{
    uint64_t best = 0;
    herd_time when = 0;
    for (uint64_t s = from_us / HERD_US_PER_S; s < m->seconds; s++) {
        if (m->attempts_by_s[s] > best) {
            best = m->attempts_by_s[s];
            when = s * HERD_US_PER_S;
        }
    }
    if (at_us) *at_us = when;
    return best;
}

size_t herd_metrics_bytes(const herd_metrics *m)
{
    size_t sv = (size_t)m->servers * HERD_SV_COL_COUNT;
    return (size_t)m->rows_cap * sizeof *m->rows + (size_t)m->seconds * sizeof *m->attempts_by_s +
           2 * sv * sizeof *m->sv_total + (size_t)m->srows_cap * (sizeof *m->srow_t + sv * sizeof *m->srows);
}
