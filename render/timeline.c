/* timeline.c — the cascade timeline: stacked SVG panels sharing one time axis.
 *
 * One run: attempts/s against the accept capacity and accepted/s; the accept path's wasted
 * work (SYNs dropped because the accept queue was full, wasted handshakes); the SYNs the
 * load balancer dropped (LB down, rate limit) and those the network dropped (loss,
 * partition), each cause its own line; connected clients; the accept and retry queues;
 * goodput. Several runs: one metric per panel, one colour and dash per run, so a
 * fixed 1 s policy and a jittered one can be read against each other on the same axes.
 * Fault bands shade every panel, and a dashed line marks when every client was LIVE again.
 *
 * Counters from metrics.csv are per interval; panels show them per second (count divided
 * by the interval). Long runs are decimated to a minimum and a maximum per pixel column,
 * so peaks survive. Colours are the Okabe-Ito palette (safe for colour-blind readers), and
 * every series also differs by dash pattern or fill. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SVG_W 1120
#define PLOT_X0 84
#define PLOT_X1 (SVG_W - 28)
#define PANEL_HEAD 30     /* title and legend line above each plot */
#define PANEL_GAP 18      /* space below each plot */
#define AXIS_H 44         /* x tick labels and axis title under the last panel */
#define SERIES_MAX 4

#define OI_BLACK "#000000"
#define OI_ORANGE "#E69F00"
#define OI_SKY "#56B4E9"
#define OI_GREEN "#009E73"
#define OI_BLUE "#0072B2"
#define OI_VERMILLION "#D55E00"
#define OI_PURPLE "#CC79A7"

typedef struct series_spec {
    int col;            /* enum herd_series */
    bool rate;          /* per interval -> per second */
    bool area;          /* filled under the line */
    const char *label;
    const char *colour;
    const char *dash;   /* "" solid */
} series_spec;

typedef struct panel_spec {
    const char *title;
    int height;
    int n;
    series_spec s[SERIES_MAX];
} panel_spec;

static const panel_spec single_panels[] = {
    {"Connection attempts against accept capacity (per second)", 170, 4,
     {{HERD_S_ATTEMPTS, true, false, "attempts/s", OI_BLUE, ""},
      {HERD_S_REFUSED, true, false, "refused/s", OI_ORANGE, "2 2"},
      {HERD_S_ACCEPTS, true, false, "accepted/s", OI_GREEN, ""},
      {HERD_S_CAPACITY, false, false, "accept capacity", OI_BLACK, "7 4"}}},
    /* Refusals stay out of this panel: a refused SYN costs the accept path nothing, and
     * their spike would flatten the wasted handshakes that do. */
    /* Only backlog-full drops here: a SYN that the LB or the network dropped never reached
     * a queue and cost a server nothing (the next two panels). */
    {"Wasted work at the accept path (per second)", 120, 2,
     {{HERD_S_SYN_DROPS_BACKLOG_FULL, true, false, "SYNs dropped, accept queue full/s", OI_VERMILLION, ""},
      {HERD_S_WASTED, true, false, "wasted handshakes/s", OI_PURPLE, "5 2"}}},
    {"SYNs dropped by the load balancer (per second)", 90, 2,
     {{HERD_S_SYN_DROPS_LB_DOWN, true, false, "LB down/s", OI_BLACK, "7 4"},
      {HERD_S_SYN_DROPS_LB_RATE_LIMITED, true, false, "LB rate limit/s", OI_ORANGE, "2 2"}}},
    {"SYNs dropped by the network (per second)", 90, 2,
     {{HERD_S_SYN_DROPS_NET_LOSS, true, false, "network loss/s", OI_SKY, ""},
      {HERD_S_SYN_DROPS_PARTITION, true, false, "partition/s", OI_BLUE, "5 2"}}},
    {"Connected clients (LIVE)", 120, 1, {{HERD_S_CONNECTED, false, true, "connected", OI_BLUE, ""}}},
    {"Accept queues (SYNs waiting for a worker, all servers)", 90, 1,
     {{HERD_S_ACCEPT_QUEUE, false, true, "accept queue", OI_VERMILLION, ""}}},
    {"Retry queues (messages published, not yet ACKed)", 90, 1,
     {{HERD_S_QUEUED, false, true, "queued messages", OI_SKY, ""}}},
    {"Goodput (per second)", 110, 3,
     {{HERD_S_ACKED, true, false, "ACKed/s", OI_GREEN, ""},
      {HERD_S_DELIVERED, true, false, "delivered/s", OI_BLUE, "6 3"},
      {HERD_S_BACKPRESSURE, true, false, "publishes refused (full queue)/s", OI_VERMILLION, "2 2"}}},
};

/* In a comparison each panel is one metric; the run gives colour and dash. */
static const panel_spec compare_panels[] = {
    {"Connection attempts per second (dashed: each run's accept capacity)", 170, 1, {{HERD_S_ATTEMPTS, true, false, "attempts/s", "", ""}}},
    {"Accepted connections per second", 110, 1, {{HERD_S_ACCEPTS, true, false, "accepted/s", "", ""}}},
    {"SYNs dropped because the accept queue was full, per second", 100, 1,
     {{HERD_S_SYN_DROPS_BACKLOG_FULL, true, false, "accept queue full/s", "", ""}}},
    {"SYNs dropped, all causes, per second", 100, 1,
     {{HERD_S_SYN_DROPS, true, false, "SYN drops/s", "", ""}}},
    {"Wasted handshakes per second", 100, 1, {{HERD_S_WASTED, true, false, "wasted/s", "", ""}}},
    {"Connected clients (LIVE)", 120, 1, {{HERD_S_CONNECTED, false, false, "connected", "", ""}}},
    {"Accept queues (SYNs waiting, all servers)", 90, 1, {{HERD_S_ACCEPT_QUEUE, false, false, "accept queue", "", ""}}},
    {"Messages delivered per second", 100, 1, {{HERD_S_DELIVERED, true, false, "delivered/s", "", ""}}},
};

/* A run directory written before SYN drops were split by cause has only their total: it
 * replaces the two by-cause panels, under a title that says what it counts. */
static const panel_spec total_drops_panel = {
    "SYNs dropped, all causes (per second; this run directory has no breakdown by cause)", 90, 1,
    {{HERD_S_SYN_DROPS, true, false, "SYN drops/s", OI_VERMILLION, ""}}};

static const char *const run_colours[] = {OI_BLUE, OI_VERMILLION, OI_GREEN, OI_PURPLE, OI_ORANGE, OI_SKY, OI_BLACK};
static const char *const run_dashes[] = {"", "7 3", "2 2", "9 3 2 3", "4 4", "1 3", "12 4"};
#define RUN_STYLES (sizeof run_colours / sizeof run_colours[0])

const char *herd_run_colour(size_t i) { return run_colours[i % RUN_STYLES]; }
const char *herd_run_dash(size_t i) { return run_dashes[i % RUN_STYLES]; }

typedef struct frame {
    double t_max;      /* seconds on the x axis */
    double y0, y1;     /* the plot's top and bottom in pixels */
    double v_max;      /* the y axis' top value */
} frame;

static double px_x(const frame *f, double t) { return PLOT_X0 + (PLOT_X1 - PLOT_X0) * t / f->t_max; }
static double px_y(const frame *f, double v) { return f->y1 - (f->y1 - f->y0) * v / f->v_max; }

static double value(const herd_run *r, const series_spec *s, size_t i)
{
    double v = r->col[s->col][i];
    return s->rate ? v / r->interval_s : v;
}

static double series_max(const herd_run *r, const series_spec *s)
{
    double m = 0;
    if (!r->col[s->col]) return 0;
    for (size_t i = 0; i < r->rows; i++) m = fmax(m, value(r, s, i));
    return m;
}

static void dash_attr(herd_sbuf *b, const char *dash)
{
    if (dash && *dash) herd_sbuf_printf(b, " stroke-dasharray=\"%s\"", dash);
}

/* The points of one series, decimated to a min and a max per pixel column. */
static void put_points(herd_sbuf *b, const frame *f, const herd_run *r, const series_spec *s)
{
    size_t cols = PLOT_X1 - PLOT_X0, per = r->rows > 2 * cols ? (r->rows + cols - 1) / cols : 1;
    for (size_t i = 0; i < r->rows; i += per) {
        size_t end = i + per < r->rows ? i + per : r->rows, lo = i, hi = i;
        for (size_t j = i; j < end; j++) { /* at most `per` steps */
            if (value(r, s, j) < value(r, s, lo)) lo = j;
            if (value(r, s, j) > value(r, s, hi)) hi = j;
        }
        size_t first = lo < hi ? lo : hi, second = lo < hi ? hi : lo;
        herd_sbuf_printf(b, "%.1f,%.1f ", px_x(f, r->col[HERD_S_T][first]), px_y(f, value(r, s, first)));
        if (second != first)
            herd_sbuf_printf(b, "%.1f,%.1f ", px_x(f, r->col[HERD_S_T][second]), px_y(f, value(r, s, second)));
    }
}

static void draw_series(herd_sbuf *b, const frame *f, const herd_run *r, const series_spec *s, const char *colour,
                        const char *dash)
{
    if (!r->col[s->col]) return;
    if (s->area) {
        herd_sbuf_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\" points=\"%.1f,%.1f ", colour,
                         px_x(f, r->col[HERD_S_T][0]), f->y1);
        put_points(b, f, r, s);
        herd_sbuf_printf(b, "%.1f,%.1f\"/>\n", px_x(f, r->col[HERD_S_T][r->rows - 1]), f->y1);
    }
    herd_sbuf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" stroke-linejoin=\"round\"", colour,
                     s->col == HERD_S_CAPACITY ? "1.6" : "1.5");
    dash_attr(b, dash);
    herd_sbuf_puts(b, " points=\"");
    put_points(b, f, r, s);
    herd_sbuf_puts(b, "\"/>\n");
}

static void y_axis(herd_sbuf *b, const frame *f, double step)
{
    for (int k = 0; k * step <= f->v_max * 1.0001 && k <= 10; k++) {
        double y = px_y(f, k * step);
        char label[32];
        herd_fmt_tick(k * step, label, sizeof label);
        herd_sbuf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", PLOT_X0, PLOT_X1,
                         y, y, k ? "#e3e3e3" : "#777");
        herd_sbuf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>\n", PLOT_X0 - 7,
                         y + 4, label);
    }
}

static void x_grid(herd_sbuf *b, const frame *f, bool labels)
{
    /* Runs longer than 20 minutes are labelled in minutes: 36 000 s reads badly. */
    double unit = f->t_max > 1200 ? 60 : 1, step = herd_nice_step(f->t_max / unit, 12) * unit;
    for (int k = 0; k * step <= f->t_max * 1.0001 && k <= 24; k++) {
        double x = px_x(f, k * step);
        herd_sbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n", x, x, f->y0,
                         f->y1);
        herd_sbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#777\"/>\n", x, x, f->y1,
                         f->y1 + 4);
        if (labels)
            herd_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%g</text>\n", x,
                             f->y1 + 17, k * step / unit);
    }
    if (labels)
        herd_sbuf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\">time since the run "
                            "started (%s)</text>\n", (PLOT_X0 + PLOT_X1) / 2, f->y1 + 36, unit > 1 ? "min" : "s");
}

typedef struct view {
    const herd_run *const *runs;
    size_t n;
    double t_max;
    bool compare;
} view;

static void bands(herd_sbuf *b, const frame *f, const view *v, bool labels)
{
    for (size_t r = 0; r < v->n; r++) {
        for (uint32_t i = 0; i < v->runs[r]->band_count; i++) {
            const herd_band *band = &v->runs[r]->bands[i];
            bool dup = false; /* runs of one scenario share their faults: draw each once */
            for (size_t q = 0; q < r && !dup; q++)
                for (uint32_t j = 0; j < v->runs[q]->band_count; j++)
                    dup |= v->runs[q]->bands[j].start_s == band->start_s && v->runs[q]->bands[j].end_s == band->end_s;
            if (dup) continue;
            double x0 = px_x(f, band->start_s), x1 = px_x(f, fmin(band->end_s, f->t_max));
            herd_sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"url(#hatch)\" "
                                "stroke=\"#9a9a9a\" stroke-width=\"0.6\"/>\n", x0, f->y0, fmax(x1 - x0, 1.5), f->y1 - f->y0);
            if (!labels) continue;
            herd_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"band\">", x0 + 4, f->y0 + 13);
            herd_sbuf_xml(b, band->label[0] ? band->label : band->kind);
            herd_sbuf_printf(b, " (%g–%g s)</text>\n", band->start_s, band->end_s);
        }
    }
}

/* When every client was LIVE again: last heal + time to recover, from summary.json. */
static void recovery_marks(herd_sbuf *b, const frame *f, const view *v, bool labels)
{
    for (size_t r = 0; r < v->n; r++) {
        double heal, ttr;
        if (!herd_run_figure(v->runs[r], "last_heal_s", &heal) || !herd_run_figure(v->runs[r], "time_to_recover_s", &ttr))
            continue;
        if (heal <= 0 || heal + ttr > f->t_max) continue;
        double x = px_x(f, heal + ttr);
        const char *colour = v->compare ? herd_run_colour(r) : OI_GREEN;
        herd_sbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\" "
                            "stroke-dasharray=\"3 3\"/>\n", x, x, f->y0, f->y1, colour);
        if (labels)
            herd_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"mark\" fill=\"%s\">all live %.1f s</text>\n", x + 4,
                             f->y0 + 28 + 13.0 * (double)r, colour, heal + ttr);
    }
}

/* One legend entry at x; returns the x after it (widths estimated: no text metrics in SVG). */
static double legend_entry(herd_sbuf *b, double x, double y, const char *colour, const char *dash, bool area,
                           const char *label, const char *note)
{
    if (area)
        herd_sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"8\" fill=\"%s\" fill-opacity=\"0.18\"/>\n",
                         x, y - 8, colour);
    herd_sbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"", x,
                     x + 22, y - 4, y - 4, colour);
    dash_attr(b, dash);
    herd_sbuf_printf(b, "/>\n<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">", x + 27, y);
    herd_sbuf_xml(b, label);
    if (note) herd_sbuf_printf(b, " <tspan class=\"muted\">%s</tspan>", note);
    herd_sbuf_puts(b, "</text>\n");
    return x + 27 + 6.4 * (double)(strlen(label) + (note ? strlen(note) + 1 : 0)) + 18;
}

/* The runs of a comparison at 0 throughout a panel (absent: without its column). */
static double flat_runs(herd_sbuf *b, const panel_spec *p, const view *v, double x, double y, bool absent)
{
    bool first = true;
    for (size_t r = 0; r < v->n; r++) {
        const herd_run *run = v->runs[r];
        bool missing = !run->col[p->s[0].col];
        if (missing != absent || (!missing && series_max(run, &p->s[0]) != 0)) continue;
        const char *head = !first ? "" : absent ? "not in the run directory: " : "0 throughout: ";
        herd_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"legend muted\">%s", x, y, head);
        herd_sbuf_xml(b, run->name);
        herd_sbuf_puts(b, "</text>\n");
        x += 6.4 * (double)(strlen(run->name) + strlen(head)) + 14;
        first = false;
    }
    return x;
}

static void legend(herd_sbuf *b, const panel_spec *p, const view *v, double y)
{
    double x = PLOT_X0 + 8.3 * (double)strlen(p->title) + 20;
    if (x > PLOT_X1 - 260) x = PLOT_X1 - 260; /* long titles: the legend overlaps nothing below */
    for (int k = 0; k < p->n && !v->compare; k++) {
        const series_spec *s = &p->s[k];
        const herd_run *r = v->runs[0];
        const char *note = !r->col[s->col] ? "(absent)" : series_max(r, s) == 0 ? "(0 throughout)" : NULL;
        if (s->col == HERD_S_CAPACITY && r->col[s->col] && !r->capacity_measured) note = "(derived)";
        x = legend_entry(b, x, y, s->colour, s->dash, s->area, s->label, note);
    }
    /* A comparison names its runs once, above the panels; a panel only says which are flat
     * and which lack the column (an older run directory), never one as the other. */
    if (!v->compare) return;
    x = flat_runs(b, p, v, x, y, false);
    flat_runs(b, p, v, x, y, true);
}

/* The runs of a comparison, once, above the panels. */
static void run_legend(herd_sbuf *b, const view *v, double y)
{
    double x = PLOT_X0;
    for (size_t r = 0; r < v->n; r++) {
        char note[200];
        snprintf(note, sizeof note, "(%s)", v->runs[r]->policy);
        x = legend_entry(b, x, y, herd_run_colour(r), herd_run_dash(r), false, v->runs[r]->name,
                         v->runs[r]->policy[0] ? note : NULL);
    }
}

static double panel_max(const panel_spec *p, const view *v)
{
    double m = 0;
    for (size_t r = 0; r < v->n; r++)
        for (int k = 0; k < p->n; k++) m = fmax(m, series_max(v->runs[r], &p->s[k]));
    if (p->s[0].col == HERD_S_ATTEMPTS && v->compare) {
        const series_spec cap = {HERD_S_CAPACITY, false, false, "", "", ""};
        for (size_t r = 0; r < v->n; r++) m = fmax(m, series_max(v->runs[r], &cap));
    }
    return m;
}

static void panel_series(herd_sbuf *b, const frame *f, const panel_spec *p, const view *v)
{
    if (!v->compare) {
        for (int k = 0; k < p->n; k++) draw_series(b, f, v->runs[0], &p->s[k], p->s[k].colour, p->s[k].dash);
        return;
    }
    const series_spec cap = {HERD_S_CAPACITY, false, false, "", "", ""};
    for (size_t r = 0; r < v->n; r++) {
        if (p->s[0].col == HERD_S_ATTEMPTS) draw_series(b, f, v->runs[r], &cap, herd_run_colour(r), "2 3");
        draw_series(b, f, v->runs[r], &p->s[0], herd_run_colour(r), herd_run_dash(r));
    }
}

/* One panel whose plot area starts at y (below its head); returns its bottom. */
static double panel(herd_sbuf *b, const panel_spec *p, const view *v, double top, bool first, bool last)
{
    frame f = {.t_max = v->t_max, .y0 = top + PANEL_HEAD, .y1 = top + PANEL_HEAD + p->height};
    double m = panel_max(p, v), step = m > 0 ? herd_nice_step(m, 4) : 1; /* all zero: 0 and 1 */
    f.v_max = step * ceil((m > 0 ? m : 1) / step);
    herd_sbuf_printf(b, "<g class=\"panel\"><title>");
    herd_sbuf_xml(b, p->title);
    herd_sbuf_printf(b, "</title>\n<text x=\"%d\" y=\"%.1f\" class=\"ptitle\">", PLOT_X0, top + 18);
    herd_sbuf_xml(b, p->title);
    herd_sbuf_puts(b, "</text>\n");
    legend(b, p, v, top + 18);
    x_grid(b, &f, last);
    y_axis(b, &f, step);
    bands(b, &f, v, first);
    panel_series(b, &f, p, v);
    recovery_marks(b, &f, v, first);
    herd_sbuf_printf(b, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#777\" "
                        "stroke-width=\"0.8\"/>\n</g>\n", PLOT_X0, f.y0, PLOT_X1 - PLOT_X0, p->height);
    return f.y1 + PANEL_GAP;
}

static void svg_head(herd_sbuf *b, double height)
{
    herd_sbuf_printf(b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
        "height=\"%.0f\" role=\"img\" aria-label=\"cascade timeline\" font-family=\"system-ui, -apple-system, "
        "'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', 'Liberation Sans', sans-serif\">\n"
        "<defs><pattern id=\"hatch\" width=\"7\" height=\"7\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(45)\"><rect width=\"7\" height=\"7\" fill=\"#f1f1f1\"/>"
        "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"7\" stroke=\"#cfcfcf\" stroke-width=\"3\"/></pattern></defs>\n"
        "<style>.tick{font-size:11px;fill:#555}.axis{font-size:12px;fill:#333}"
        ".ptitle{font-size:13.5px;font-weight:600;fill:#1a1a1a}.legend{font-size:11.5px;fill:#333}"
        ".muted{fill:#888}.band{font-size:11px;fill:#444;paint-order:stroke;stroke:#fff;stroke-width:3px}"
        ".mark{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}</style>\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n", SVG_W, height, SVG_W, height);
}

/* The panel to draw for p, or NULL to leave it out: an older single run gets the total in
 * place of the by-cause panels. */
static const panel_spec *for_run(const panel_spec *p, const view *v)
{
    const herd_run *r = v->runs[0];
    if (v->compare || r->col[HERD_S_SYN_DROPS_LB_DOWN] || !r->col[HERD_S_SYN_DROPS]) return p;
    if (p->s[0].col == HERD_S_SYN_DROPS_LB_DOWN) return &total_drops_panel;
    return p->s[0].col == HERD_S_SYN_DROPS_NET_LOSS ? NULL : p;
}

void herd_timeline_svg(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    view v = {.runs = runs, .n = n, .compare = n > 1};
    for (size_t r = 0; r < n; r++) v.t_max = fmax(v.t_max, fmax(runs[r]->duration_s, runs[r]->col[HERD_S_T][runs[r]->rows - 1]));
    if (!(v.t_max > 0)) v.t_max = 1;
    const panel_spec *ps = v.compare ? compare_panels : single_panels;
    size_t np = v.compare ? sizeof compare_panels / sizeof compare_panels[0] : sizeof single_panels / sizeof single_panels[0];
    double y = v.compare ? 30 : 8; /* a comparison's run legend goes first */
    double height = y + AXIS_H - PANEL_GAP;
    for (size_t i = 0; i < np; i++)
        if (for_run(&ps[i], &v)) height += PANEL_HEAD + for_run(&ps[i], &v)->height + PANEL_GAP;
    svg_head(b, height);
    if (v.compare) run_legend(b, &v, 20);
    herd_progress_begin("drawing the timeline", np);
    for (size_t i = 0; i < np; i++) {
        if (for_run(&ps[i], &v)) y = panel(b, for_run(&ps[i], &v), &v, y, i == 0, i + 1 == np);
        herd_progress_step(i + 1);
    }
    herd_progress_end();
    herd_sbuf_puts(b, "</svg>\n");
}
