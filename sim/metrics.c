/* metrics.c — run counters, the per-interval series and attempts per second (metrics.h). */
#include "metrics.h"

#include "error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const counter_names[HERD_M_COUNTER_COUNT] = {
    "attempts", "syns", "syn_drops", "accepts", "wasted_handshakes", "refused",
    "published", "backpressure", "acked", "delivered", "gaps",
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
