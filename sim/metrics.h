/* metrics.h — counters and the time series of a run (one row per metrics interval).
 *
 * Counters (HERD_M_*) count events since the start; each row of the series holds the
 * counters' increments over its interval plus a snapshot of the gauges at its end. Each
 * counter counts one thing, named by its column: a dropped SYN is counted once in the
 * total (syn_drops) and once under its cause (syn_drops_backlog_full, ...), so the accept
 * queue's overflow is never confused with a SYN that the LB or the network dropped.
 * Connection attempts are also counted per whole second of virtual time, for the peak
 * attempts per second the scenario's expectations bound. Rows are preallocated for the
 * run's duration: recording a row never allocates.
 *
 * Per server (servers.csv): the same series split by server for what happens at one
 * server (enum herd_server_col): its up flag, accept queue and sessions at the end of the
 * interval, and the handshakes, wasted handshakes, 1013 refusals and SYN drops (backlog
 * full, LB -> server cut) counted there. Preallocated at start-up for rows x servers cells
 * of 32-bit values, at most HERD_METRICS_SERVER_CELLS_MAX: a run with more keeps one
 * per-server row every `server_stride` metrics intervals (counters summed over them), the
 * smallest stride that fits. 400 servers x 120 s at 100 ms is 481 000 cells (stride 1). */
#ifndef HERD_SIM_METRICS_H
#define HERD_SIM_METRICS_H

#include "types.h"

enum herd_metric_counter {
    HERD_M_ATTEMPTS = 0, /* CONNECT effects: the application's connection attempts */
    HERD_M_SYNS,         /* SYN packets sent, kernel retransmissions included */
    HERD_M_SYN_DROPS,    /* SYNs dropped, all causes: the sum of the five below */
    HERD_M_ACCEPTS,      /* handshakes completed for a client still waiting */
    HERD_M_WASTED,       /* handshakes completed for a client that had given up */
    HERD_M_REFUSED,      /* connections refused (server down, 1013 at capacity) */
    HERD_M_PUBLISHED,
    HERD_M_BACKPRESSURE, /* publishes refused by a full retry queue */
    HERD_M_ACKED,
    HERD_M_DELIVERED,
    HERD_M_GAPS,
    /* Added after the columns above: metrics.csv writes them after the gauges (see
     * herd_metrics_column), so every older column keeps its position. One per cause of a
     * dropped SYN, in the order of enum herd_syn_drop_cause. */
    HERD_M_SYN_DROPS_BACKLOG_FULL,    /* the server's accept queue (backlog) was full */
    HERD_M_SYN_DROPS_LB_DOWN,         /* the load balancer was restarting */
    HERD_M_SYN_DROPS_LB_RATE_LIMITED, /* over the load balancer's new-connection rate */
    HERD_M_SYN_DROPS_NET_LOSS,        /* lost on the client -> LB hop (loss, loss bursts) */
    HERD_M_SYN_DROPS_PARTITION,       /* a cut between client and LB or LB and server */
    HERD_M_COUNTER_COUNT
};

#define HERD_M_APPENDED HERD_M_SYN_DROPS_BACKLOG_FULL /* first counter written after the gauges */

/* Why a SYN was dropped; accept.c passes one to every drop. */
enum herd_syn_drop_cause {
    HERD_SYN_DROP_BACKLOG_FULL = 0,
    HERD_SYN_DROP_LB_DOWN,
    HERD_SYN_DROP_LB_RATE_LIMITED,
    HERD_SYN_DROP_NET_LOSS,
    HERD_SYN_DROP_PARTITION,
    HERD_SYN_DROP_CAUSE_COUNT
};

/* The columns of servers.csv after t_s and server: gauges first, then counters. */
enum herd_server_col {
    HERD_SV_UP = 0,        /* gauge: the process is running (0/1) */
    HERD_SV_ACCEPT_QUEUE,  /* gauge: SYNs waiting for a worker */
    HERD_SV_SESSIONS,      /* gauge: sessions open */
    HERD_SV_HANDSHAKES,    /* = HERD_M_ACCEPTS at this server */
    HERD_SV_WASTED,        /* = HERD_M_WASTED at this server */
    HERD_SV_REFUSED,       /* 1013 at capacity (max_conns) at this server */
    HERD_SV_SYN_DROPS_BACKLOG_FULL,
    HERD_SV_SYN_DROPS_PARTITION, /* the LB -> server path cut (not client <-> LB cuts) */
    HERD_SV_COL_COUNT
};
#define HERD_SV_FIRST_COUNTER HERD_SV_HANDSHAKES
#define HERD_METRICS_SERVER_CELLS_MAX (1u << 21) /* rows x servers; x 32 B = 64 MiB */

enum herd_metric_gauge {
    HERD_G_CONNECTED = 0, /* clients LIVE */
    HERD_G_QUEUED,        /* messages in the clients' retry queues */
    HERD_G_ACCEPT_QUEUE,  /* pending handshakes, all servers */
    HERD_G_SESSIONS,      /* server sessions open */
    HERD_G_CAPACITY,      /* capacity_per_s over the interval (outputs.h) */
    HERD_G_GAUGE_COUNT
};

/* One column of metrics.csv / metrics.json after t_s: a counter or a gauge. */
typedef struct herd_metrics_col {
    bool gauge;
    int index; /* enum herd_metric_counter or enum herd_metric_gauge */
} herd_metrics_col;

#define HERD_METRICS_COLS (HERD_M_COUNTER_COUNT + HERD_G_GAUGE_COUNT)

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
    /* per server: totals since the start (servers x HERD_SV_COL_COUNT, counters only) and
     * at the last per-server row; rows of servers x HERD_SV_COL_COUNT values */
    uint32_t servers, server_stride;
    uint32_t srows_len, srows_cap;
    uint64_t *sv_total, *sv_at_last;
    herd_time *srow_t;
    uint32_t *srows;
} herd_metrics;

int herd_metrics_init(herd_metrics *m, herd_time duration_us, herd_time interval_us, uint32_t servers);
void herd_metrics_free(herd_metrics *m);
static inline void herd_metrics_add(herd_metrics *m, int counter, uint64_t n) { m->total[counter] += n; }
void herd_metrics_attempt(herd_metrics *m, herd_time now);
/* One dropped SYN: counted in the total and under its cause (enum herd_syn_drop_cause). */
void herd_metrics_syn_drop(herd_metrics *m, int cause);
void herd_metrics_row_add(herd_metrics *m, herd_time now, const uint64_t g[HERD_G_GAUGE_COUNT]);
/* One counter (HERD_SV_HANDSHAKES...) at one server. */
static inline void herd_metrics_server_add(herd_metrics *m, uint32_t server, int col)
{
    if (server < m->servers) m->sv_total[(size_t)server * HERD_SV_COL_COUNT + (size_t)col]++;
}
/* After herd_metrics_row_add: when this row is a per-server row, its cells (servers x
 * HERD_SV_COL_COUNT) with the counters filled in, for the caller to set the gauges;
 * otherwise NULL. Never allocates. */
uint32_t *herd_metrics_server_row(herd_metrics *m, herd_time now);
const char *herd_server_col_name(int c);
/* Highest attempts in one second at or after from_us (whole seconds); and when. */
uint64_t herd_metrics_peak_attempts(const herd_metrics *m, herd_time from_us, herd_time *at_us);
const char *herd_metric_counter_name(int c);
const char *herd_metric_gauge_name(int g);
/* The i-th column (0 <= i < HERD_METRICS_COLS) after t_s: the counters before
 * HERD_M_APPENDED, the gauges, then the counters appended later. Its name and the value
 * of a row in it. */
herd_metrics_col herd_metrics_column(int i);
const char *herd_metrics_column_name(herd_metrics_col col);
uint64_t herd_metrics_row_value(const herd_metrics_row *r, herd_metrics_col col);
size_t herd_metrics_bytes(const herd_metrics *m);

#endif
