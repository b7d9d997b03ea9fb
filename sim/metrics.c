/* metrics.c — run counters, the per-interval series and attempts per second (metrics.h). */
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

const char *herd_metric_counter_name(int c) { return c >= 0 && c < HERD_M_COUNTER_COUNT ? counter_names[c] : "?"; }
const char *herd_metric_gauge_name(int g) { return g >= 0 && g < HERD_G_GAUGE_COUNT ? gauge_names[g] : "?"; }

int herd_metrics_init(herd_metrics *m, herd_time duration_us, herd_time interval_us)
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
    return HERD_OK;
}

void herd_metrics_free(herd_metrics *m)
{
    free(m->rows);
    free(m->attempts_by_s);
    m->rows = NULL;
    m->attempts_by_s = NULL;
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
    return (size_t)m->rows_cap * sizeof *m->rows + (size_t)m->seconds * sizeof *m->attempts_by_s;
}
