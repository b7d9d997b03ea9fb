/* histogram.c — the reconnect-delay distribution (delays.json, docs/rendering.md).
 *
 * One run: a bar per bucket, equal widths whatever the bucket edges (the simulator's
 * buckets grow geometrically, so this reads like a log axis), with p50, p90 and p99 as
 * labelled vertical lines. Several runs: their cumulative distributions overlaid on a
 * logarithmic millisecond axis, since their buckets need not agree. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define H_W 1120
#define H_X0 84
#define H_X1 (H_W - 28)
#define H_Y0 40
#define H_Y1 250
#define H_H 300

static void fmt_ms(double ms, char *out, size_t size)
{
    if (ms < 1000) snprintf(out, size, "%.3g ms", ms);
    else snprintf(out, size, "%.3g s", ms / 1000);
}

static void head(herd_sbuf *b, const char *title)
{
    herd_sbuf_printf(b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"delays\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
        "role=\"img\" aria-label=\"reconnect delays\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, "
        "'Helvetica Neue', Arial, 'Noto Sans', 'Liberation Sans', sans-serif\">\n"
        "<style>.tick{font-size:11px;fill:#555}.axis{font-size:12px;fill:#333}.ptitle{font-size:13.5px;"
        "font-weight:600;fill:#1a1a1a}.legend{font-size:11.5px;fill:#333}.pct{font-size:11px;font-weight:600;"
        "paint-order:stroke;stroke:#fff;stroke-width:3px}</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
        "<text x=\"%d\" y=\"22\" class=\"ptitle\">", H_W, H_H, H_W, H_H, H_X0);
    herd_sbuf_xml(b, title);
    herd_sbuf_puts(b, "</text>\n");
}

/* The bucket position of a delay: bucket i spans [i, i+1). */
static double bucket_pos(const herd_run *r, double ms)
{
    for (uint32_t i = 0; i < r->bucket_count; i++)
        if (ms < r->edge_ms[i + 1]) return i + fmax(0, ms - r->edge_ms[i]) / (r->edge_ms[i + 1] - r->edge_ms[i]);
    return r->bucket_count;
}

static void y_ticks(herd_sbuf *b, double vmax, double step, const char *suffix)
{
    for (int k = 0; k * step <= vmax * 1.0001 && k <= 10; k++) {
        double y = H_Y1 - (H_Y1 - H_Y0) * k * step / vmax;
        char label[32];
        herd_fmt_tick(k * step, label, sizeof label);
        herd_sbuf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s%s</text>\n",
                         H_X0, H_X1, y, y, k ? "#e3e3e3" : "#777", H_X0 - 7, y + 4, label, suffix);
    }
}

static void bars(herd_sbuf *b, const herd_run *r)
{
    double vmax = 0;
    for (uint32_t i = 0; i < r->bucket_count; i++) vmax = fmax(vmax, r->count[i]);
    double step = herd_nice_step(vmax > 0 ? vmax : 1, 4);
    vmax = step * ceil((vmax > 0 ? vmax : 1) / step);
    y_ticks(b, vmax, step, "");
    double w = (double)(H_X1 - H_X0) / r->bucket_count;
    uint32_t every = r->bucket_count / 12 + 1;
    for (uint32_t i = 0; i < r->bucket_count; i++) {
        double h = (H_Y1 - H_Y0) * r->count[i] / vmax, x = H_X0 + i * w;
        char lo[32], hi[32];
        fmt_ms(r->edge_ms[i], lo, sizeof lo);
        fmt_ms(r->edge_ms[i + 1], hi, sizeof hi);
        herd_sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#0072B2\" "
                            "fill-opacity=\"0.75\"><title>%s – %s: %.0f</title></rect>\n",
                         x + 0.5, H_Y1 - h, fmax(w - 1, 0.5), h, lo, hi, r->count[i]);
        if (i % every == 0)
            herd_sbuf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tick\">%s</text>\n", x, H_Y1 + 16, lo);
    }
    herd_sbuf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"axis\">delay (bucket edges; "
                        "equal widths per bucket)</text>\n", (H_X0 + H_X1) / 2, H_Y1 + 36);
    static const char *const names[3] = {"p50", "p90", "p99"};
    static const char *const colours[3] = {"#009E73", "#E69F00", "#D55E00"};
    static const char *const dashes[3] = {"", "6 3", "2 2"};
    for (int k = 0; k < 3; k++) {
        if (!isfinite(r->pct_ms[k])) continue;
        double x = H_X0 + bucket_pos(r, r->pct_ms[k]) * w;
        char v[32];
        fmt_ms(r->pct_ms[k], v, sizeof v);
        bool left = x > H_X1 - 160; /* near the right edge the label goes left of its line */
        herd_sbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>"
                            "<text x=\"%.1f\" y=\"%d\" class=\"pct\" fill=\"%s\"%s>%s %s%s</text>\n",
                         x, x, H_Y0, H_Y1, colours[k], *dashes[k] ? " stroke-dasharray=\"" : "", dashes[k],
                         *dashes[k] ? "\"" : "", left ? x - 4 : x + 4, H_Y0 + 14 + 14 * k, colours[k],
                         left ? " text-anchor=\"end\"" : "", names[k], v, r->pct_given ? "" : " (est.)");
    }
}

static double log_x(double ms, double lo, double hi)
{
    ms = fmax(ms, lo);
    return H_X0 + (H_X1 - H_X0) * (log10(ms) - log10(lo)) / (log10(hi) - log10(lo));
}

static void cdfs(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    double lo = INFINITY, hi = 0;
    for (size_t r = 0; r < n; r++) {
        if (!runs[r]->has_delays) continue;
        for (uint32_t i = 0; i <= runs[r]->bucket_count; i++)
            if (runs[r]->edge_ms[i] > 0) lo = fmin(lo, runs[r]->edge_ms[i]);
        hi = fmax(hi, runs[r]->edge_ms[runs[r]->bucket_count]);
    }
    lo = pow(10, floor(log10(lo)));
    hi = pow(10, ceil(log10(fmax(hi, lo * 10))));
    y_ticks(b, 100, 25, "%");
    for (double d = lo; d <= hi * 1.0001; d *= 10) { /* at most a few decades */
        char label[32];
        fmt_ms(d, label, sizeof label);
        herd_sbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/><text x=\"%.1f\" "
                            "y=\"%d\" text-anchor=\"middle\" class=\"tick\">%s</text>\n",
                         log_x(d, lo, hi), log_x(d, lo, hi), H_Y0, H_Y1, log_x(d, lo, hi), H_Y1 + 16, label);
    }
    herd_sbuf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"axis\">delay (log scale): share of "
                        "reconnections at or below it</text>\n", (H_X0 + H_X1) / 2, H_Y1 + 36);
    for (size_t r = 0; r < n; r++) {
        const herd_run *run = runs[r];
        if (!run->has_delays) continue;
        double total = 0, cum = 0;
        for (uint32_t i = 0; i < run->bucket_count; i++) total += run->count[i];
        if (!(total > 0)) continue;
        herd_sbuf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"", herd_run_colour(r));
        if (*herd_run_dash(r)) herd_sbuf_printf(b, " stroke-dasharray=\"%s\"", herd_run_dash(r));
        herd_sbuf_printf(b, " points=\"%.1f,%d ", log_x(run->edge_ms[0], lo, hi), H_Y1);
        for (uint32_t i = 0; i < run->bucket_count; i++) {
            cum += run->count[i];
            herd_sbuf_printf(b, "%.1f,%.1f ", log_x(run->edge_ms[i + 1], lo, hi), H_Y1 - (H_Y1 - H_Y0) * cum / total);
        }
        herd_sbuf_puts(b, "\"/>\n");
        double lx = H_X0 + 380 + 220.0 * (double)r; /* right of the title */
        herd_sbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/><text "
                            "x=\"%.1f\" y=\"%d\" class=\"legend\">", lx, lx + 22, H_Y0 - 14, H_Y0 - 14, herd_run_colour(r),
                         lx + 27, H_Y0 - 10);
        herd_sbuf_xml(b, run->name);
        herd_sbuf_puts(b, "</text>\n");
    }
}

bool herd_delays_svg(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    size_t with = 0;
    for (size_t r = 0; r < n; r++) with += runs[r]->has_delays;
    if (with == 0) return false;
    if (n == 1) {
        char title[200];
        snprintf(title, sizeof title, "Reconnect delays%s%s%s", runs[0]->delay_what[0] ? " (" : "",
                 runs[0]->delay_what, runs[0]->delay_what[0] ? ")" : "");
        head(b, title);
        bars(b, runs[0]);
    } else {
        head(b, "Reconnect delays: cumulative share per run");
        cdfs(b, runs, n);
    }
    herd_sbuf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#777\" "
                        "stroke-width=\"0.8\"/>\n</svg>\n", H_X0, H_Y0, H_X1 - H_X0, H_Y1 - H_Y0);
    return true;
}
