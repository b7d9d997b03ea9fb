/* metrics.h — counters and the time series of a run (one row per metrics interval).
 *
 * Counters (HERD_M_*) count events since the start; each row of the series holds the
 * counters' increments over its interval plus a snapshot of the gauges at its end.
 * Connection attempts are also counted per whole second of virtual time, for the peak
 * attempts per second the scenario's expectations bound. Rows are preallocated for the
 * run's duration: recording a row never allocates. */
#ifndef HERD_SIM_METRICS_H
#define HERD_SIM_METRICS_H

#include "types.h"

enum herd_metric_counter {
    HERD_M_ATTEMPTS = 0, /* CONNECT effects: the application's connection attempts */
    HERD_M_SYNS,         /* SYN packets sent, kernel retransmissions included */
    HERD_M_SYN_DROPS,    /* SYNs dropped: accept queue full, rate limit, LB down, loss, cut */
    HERD_M_ACCEPTS,      /* handshakes completed for a client still waiting */
    HERD_M_WASTED,       /* handshakes completed for a client that had given up */
    HERD_M_REFUSED,      /* connections refused (server down, 1013 at capacity) */
    HERD_M_PUBLISHED,
    HERD_M_BACKPRESSURE, /* publishes refused by a full retry queue */
    HERD_M_ACKED,
    HERD_M_DELIVERED,
    HERD_M_GAPS,
    HERD_M_COUNTER_COUNT
};

enum herd_metric_gauge {
    HERD_G_CONNECTED = 0, /* clients LIVE */
    HERD_G_QUEUED,        /* messages in the clients' retry queues */
    HERD_G_ACCEPT_QUEUE,  /* pending handshakes, all servers */
    HERD_G_SESSIONS,      /* server sessions open */
    HERD_G_CAPACITY,      /* capacity_per_s over the interval (outputs.h) */
    HERD_G_GAUGE_COUNT
};

#define HERD_METRICS_ROWS_MAX (1u << 22)
#define HERD_METRICS_SECONDS_MAX (1u << 22)

typedef struct herd_metrics_row {
    herd_time t_us;
    uint64_t c[HERD_M_COUNTER_COUNT];
    uint64_t g[HERD_G_GAUGE_COUNT];
} herd_metrics_row;

typedef struct herd_metrics {
    herd_time interval_us;
    uint64_t total[HERD_M_COUNTER_COUNT];
    uint64_t at_last_row[HERD_M_COUNTER_COUNT];
    herd_metrics_row *rows;
    uint32_t rows_len, rows_cap;
    uint32_t *attempts_by_s; /* per second of virtual time */
    uint32_t seconds;
} herd_metrics;

int herd_metrics_init(herd_metrics *m, herd_time duration_us, herd_time interval_us);
void herd_metrics_free(herd_metrics *m);
static inline void herd_metrics_add(herd_metrics *m, int counter, uint64_t n) { m->total[counter] += n; }
void herd_metrics_attempt(herd_metrics *m, herd_time now);
void herd_metrics_row_add(herd_metrics *m, herd_time now, const uint64_t g[HERD_G_GAUGE_COUNT]);
/* Highest attempts in one second at or after from_us (whole seconds); and when. */
uint64_t herd_metrics_peak_attempts(const herd_metrics *m, herd_time from_us, herd_time *at_us);
const char *herd_metric_counter_name(int c);
const char *herd_metric_gauge_name(int g);
size_t herd_metrics_bytes(const herd_metrics *m);

#endif
