/* render.h — what the render/ modules share: a growable text buffer, terminal progress,
 * the loaded run directory, and the entry points of each output (HTML report, comparison,
 * message-sequence chart, Perfetto JSON, state diagrams).
 *
 * Data flow: rundir.c reads a run directory (metrics.csv, summary.json, scenario.yaml and
 * the optional faults.json, delays.json; the contract is docs/rendering.md) into a
 * herd_run; timeline.c and histogram.c draw SVG from herd_runs into a herd_sbuf; report.c
 * wraps them into one self-contained HTML page. msc.c and perfetto.c read traces through
 * lib/trace.h. Every writer builds its whole output in memory, then cli/cmd_render.c writes it
 * through lib/atomic_file.h, so a failed render leaves no torn file. */
#ifndef HERD_RENDER_H
#define HERD_RENDER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* ---- text buffer (sbuf.c) ---- */

#define HERD_SBUF_MAX ((size_t)1 << 30) /* bytes: no render output is anywhere near this */

typedef struct herd_sbuf {
    char *p;     /* NUL-terminated while len > 0 or after init */
    size_t len, cap;
    int error;   /* 0 or -ENOMEM, sticky */
} herd_sbuf;

void herd_sbuf_init(herd_sbuf *b);
void herd_sbuf_free(herd_sbuf *b);
void herd_sbuf_puts(herd_sbuf *b, const char *s);
void herd_sbuf_putn(herd_sbuf *b, const char *s, size_t n);
void herd_sbuf_printf(herd_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text escaped for XML/HTML content and attribute values (& < > " '). */
void herd_sbuf_xml(herd_sbuf *b, const char *s);
/* Text escaped for a double-quoted Graphviz string. */
void herd_sbuf_dotstr(herd_sbuf *b, const char *s);

/* ---- progress on a terminal (progress.c) ---- */

/* Shown only when stderr is a terminal; throttled to one redraw per percent. */
void herd_progress_begin(const char *what, uint64_t total);
void herd_progress_step(uint64_t done);
void herd_progress_end(void);

/* ---- numbers for people (format.c) ---- */

/* 1234567 -> "1,234,567"; 0.5 -> "0.5"; 163275.0 -> "163,275". */
void herd_fmt_num(double v, char *out, size_t size);
/* Axis labels: 0, 500, 1k, 1.5k, 20k, 1M ... */
void herd_fmt_tick(double v, char *out, size_t size);
/* A "nice" step (1, 2 or 5 x 10^k) so that [0, max] has at most `ticks` steps. */
double herd_nice_step(double max, int ticks);

/* ---- a loaded run directory (rundir.c) ---- */

enum herd_series {
    HERD_S_T = 0,          /* t_s: end of the interval, seconds */
    HERD_S_ATTEMPTS,       /* per interval */
    HERD_S_SYNS,
    HERD_S_SYN_DROPS,      /* all causes; the causes are the syn_drops_* series below */
    HERD_S_ACCEPTS,
    HERD_S_WASTED,
    HERD_S_REFUSED,
    HERD_S_PUBLISHED,
    HERD_S_BACKPRESSURE,
    HERD_S_ACKED,
    HERD_S_DELIVERED,
    HERD_S_GAPS,
    HERD_S_CONNECTED,      /* gauges: value at the end of the interval */
    HERD_S_QUEUED,
    HERD_S_ACCEPT_QUEUE,
    HERD_S_SESSIONS,
    HERD_S_CAPACITY,       /* accept capacity, handshakes/s (metrics column or derived) */
    HERD_S_SYN_DROPS_BACKLOG_FULL, /* SYN drops by cause, per interval; absent from run */
    HERD_S_SYN_DROPS_LB_DOWN,      /* directories written before they were split */
    HERD_S_SYN_DROPS_LB_RATE_LIMITED,
    HERD_S_SYN_DROPS_NET_LOSS,
    HERD_S_SYN_DROPS_PARTITION,
    HERD_S_COUNT
};

#define HERD_RUN_ROWS_MAX ((size_t)1 << 22) /* 116 h at 100 ms */
#define HERD_RUN_BANDS_MAX 64
#define HERD_RUN_BUCKETS_MAX 512
#define HERD_RUN_ITEMS_MAX 96               /* figures, expectations, violations */
#define HERD_RUN_TEXT_MAX 256

typedef struct herd_band {
    double start_s, end_s;
    char kind[32];
    char label[96];
} herd_band;

typedef struct herd_item {
    char key[64];
    char value[HERD_RUN_TEXT_MAX];
    int ok; /* expectations: 1 met, 0 not met; -1 elsewhere */
} herd_item;

/* servers.csv folded for the heat strip (servers.c). v[m][server * cols + col]: the
 * largest value of metric m over the intervals of column col, per second for counters. */
#define HERD_SERVERS_MAX 1024
#define HERD_SERVERS_COLS_MAX 1000
#define HERD_SERVERS_METRICS_MAX 16

typedef struct herd_servers {
    unsigned server_count, metric_count;
    size_t cols;                 /* time columns, at most HERD_SERVERS_COLS_MAX */
    unsigned intervals_per_col;  /* metrics intervals folded into one column */
    double *t;                   /* cols: end of each column's last interval, seconds */
    char metric[HERD_SERVERS_METRICS_MAX][48];
    bool rate[HERD_SERVERS_METRICS_MAX]; /* a counter, shown per second */
    float *v[HERD_SERVERS_METRICS_MAX];
} herd_servers;

/* *out NULL and 0 when the directory has no servers.csv; 65 / 74 with a message. */
int herd_servers_load(herd_servers **out, const char *dir, char *err, size_t err_len);
void herd_servers_free(herd_servers *s);

#define HERD_RUN_VIOLATORS_MAX 16

typedef struct herd_run {
    char dir[1024];
    char name[128];      /* label: summary's "scenario" stem, else the directory's name */
    char policy[160];    /* "backoff article", "backoff fixed, base 1s" */
    size_t rows;
    double interval_s;
    double *col[HERD_S_COUNT]; /* rows values each; NULL when the column is absent */
    bool capacity_measured;    /* true: from metrics.csv's capacity_per_s */
    double duration_s;
    uint32_t band_count;
    bool bands_from_file;      /* faults.json, else derived from scenario.yaml */
    herd_band bands[HERD_RUN_BANDS_MAX];
    /* delays.json (has_delays false when absent) */
    bool has_delays;
    uint32_t bucket_count;
    double edge_ms[HERD_RUN_BUCKETS_MAX + 1];
    double count[HERD_RUN_BUCKETS_MAX];
    double pct_ms[3];          /* p50, p90, p99 */
    bool pct_given;            /* from the file, else estimated from the buckets */
    char delay_what[96];
    /* summary.json */
    char verdict[16];
    uint32_t figure_count, expect_count, violation_count;
    herd_item figures[HERD_RUN_ITEMS_MAX];
    herd_item expects[HERD_RUN_ITEMS_MAX];
    herd_item violations[HERD_RUN_ITEMS_MAX];
    char *scenario_text;       /* scenario.yaml as written, for the report */
    bool has_trace;            /* trace.jsonl present */
    /* summary.json's first violation: first_violation_clients (the rest are figures) */
    uint32_t violator_count;
    uint32_t violators[HERD_RUN_VIOLATORS_MAX];
    herd_servers *servers;     /* servers.csv, NULL when absent */
} herd_run;

/* 0, or 65 (missing/malformed input) / 74 (unreadable) with a message in err. */
int herd_run_load(herd_run *r, const char *dir, char *err, size_t err_len);
/* scenario.yaml's part of herd_run_load (scenario_info.c): policy, capacity, fault bands. */
int herd_scenario_info(herd_run *r, char *err, size_t err_len);
void herd_run_free(herd_run *r);
/* A figure from summary.json as a number; false when absent or not numeric. */
bool herd_run_figure(const herd_run *r, const char *key, double *out);
/* Percentile (0..1) of the delay histogram, interpolated inside its bucket. */
double herd_run_delay_percentile(const herd_run *r, double q);

/* ---- drawing (timeline.c, histogram.c) ---- */

/* The cascade timeline of n runs (1: one report; more: overlaid) as one inline <svg>. */
void herd_timeline_svg(herd_sbuf *b, const herd_run *const *runs, size_t n);
/* The reconnect-delay distribution: a histogram with p50/p90/p99 for one run, CDFs
 * overlaid for several. Returns false (nothing written) when no run has delays. */
bool herd_delays_svg(herd_sbuf *b, const herd_run *const *runs, size_t n);
/* The colour and dash of run i in a comparison (Okabe-Ito palette). */
const char *herd_run_colour(size_t i);
const char *herd_run_dash(size_t i);

/* ---- traces (trace_load.c) ---- */

#define HERD_TRACE_RECS_MAX 50000

typedef struct herd_trace_file {
    herd_trace_header header;
    herd_trace_rec *recs;
    size_t n;
    bool cut; /* the file had more than HERD_TRACE_RECS_MAX records */
} herd_trace_file;

enum herd_actor_kind { HERD_ACTOR_WORLD = 0, HERD_ACTOR_CLIENT, HERD_ACTOR_SESSION, HERD_ACTOR_SERVER, HERD_ACTOR_STORE };

typedef struct herd_actor {
    int kind;                /* enum herd_actor_kind */
    unsigned server, client;
} herd_actor;

/* 0, or 65 (missing or malformed) / 74 (unreadable) with "file:line: message" in err. */
int herd_trace_load(herd_trace_file *t, const char *path, char *err, size_t err_len);
void herd_trace_file_free(herd_trace_file *t);
herd_actor herd_actor_parse(const char *actor);

/* ---- whole outputs ---- */

/* The HTML page: one run (n == 1) or a comparison. interactive: the uPlot timeline
 * (report_html.c; static SVG when uPlot was not built in), else the static SVG page. */
void herd_report_html(herd_sbuf *b, const herd_run *const *runs, size_t n, bool interactive);
/* report_html.c: whether uPlot is built in; the rest of the open timeline section and
 * what follows it (the per-server and violation sections, the runs' data as JSON, the
 * scripts and styles): it closes the timeline section itself. */
bool herd_report_interactive_available(void);
void herd_report_interactive(herd_sbuf *b, const herd_run *const *runs, size_t n);
/* report_data.c: the runs as the JSON object report.js reads (docs/rendering.md). */
void herd_report_data_json(herd_sbuf *b, const herd_run *const *runs, size_t n);
/* Message-sequence chart (Graphviz dot) and Chrome trace-event JSON of a trace file.
 * 0, or 65 / 74 with a message in err. */
int herd_msc_dot(herd_sbuf *b, const char *trace_path, char *err, size_t err_len);
int herd_perfetto_json(herd_sbuf *b, const char *trace_path, char *err, size_t err_len);
/* State diagrams from render/machine_tables.c. which: "client" or "session". */
void herd_states_dot(herd_sbuf *b, const char *which);

#endif
