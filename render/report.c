/* report.c — the HTML page of `herd render RUN_DIR...`: one self-contained file.
 *
 * No fonts, no external anything: inline CSS with the system font stack, tables for the
 * summary, and the timeline either interactive (report_html.c: uPlot and report.js,
 * inline) or static (--static, or a herd built without uPlot: inline SVG from
 * timeline.c, no scripts at all). The delay distribution is inline SVG (histogram.c) in
 * both. It opens offline, from a CI artifact or a mail attachment, and prints. One run gives the report
 * (headline figures, timeline, delay distribution, expectations, every --json figure, the
 * resolved scenario); several give a comparison (a figure table with a column per run and
 * the overlaid charts). What a run directory lacks is said in a note, never silently
 * dropped. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HERD_VERSION
#define HERD_VERSION "?"
#endif

static const char css[] =
    "*{box-sizing:border-box}body{margin:0;background:#f6f6f4;color:#1a1a1a;font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans','Liberation Sans',sans-serif}"
    "main{max-width:1180px;margin:0 auto;padding:24px 20px 40px}"
    "header{display:flex;align-items:flex-start;justify-content:space-between;gap:16px;margin-bottom:14px}"
    "h1{font-size:24px;margin:0 0 2px;font-weight:650}h2{font-size:17px;margin:0 0 8px;font-weight:650}"
    ".sub{color:#555;margin:0;font-size:14px}"
    ".verdict{font-weight:700;font-size:15px;padding:6px 14px;border-radius:6px;white-space:nowrap;border:2px solid}"
    ".pass{color:#00634a;background:#e3f4ee;border-color:#009E73}.fail{color:#8a3300;background:#fbe9df;"
    "border-color:#D55E00}"
    ".cards{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin:0 0 16px}"
    ".card{background:#fff;border:1px solid #e2e2de;border-radius:8px;padding:10px 12px}"
    ".card b{display:block;font-size:21px;font-weight:650;font-variant-numeric:tabular-nums}"
    ".card span{color:#555;font-size:12.5px}.card small{display:block;color:#777;font-size:11.5px;margin-top:3px}"
    "section{background:#fff;border:1px solid #e2e2de;border-radius:8px;padding:16px 18px;margin:0 0 16px}"
    "section svg{display:block;width:100%;height:auto}"
    ".note{color:#555;font-size:13px;margin:4px 0 10px}.note b{color:#333}"
    "table{border-collapse:collapse;width:100%;font-size:13.5px;font-variant-numeric:tabular-nums}"
    "th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #ececea;vertical-align:top}"
    "th{font-weight:600;color:#333;background:#fafaf8}td.num{text-align:right}code{font-size:12.5px}"
    ".ok{color:#00634a;font-weight:700;white-space:nowrap}.bad{color:#8a3300;font-weight:700;white-space:nowrap}"
    ".cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}"
    "pre{background:#fafaf8;border:1px solid #ececea;padding:10px;overflow:auto;font-size:12.5px}"
    "footer{color:#777;font-size:12.5px;text-align:center}"
    "@media print{body{background:#fff}section{break-inside:avoid}}";

static void open_page(herd_sbuf *b, const char *title)
{
    herd_sbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>herd — ");
    herd_sbuf_xml(b, title);
    herd_sbuf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", css);
}

static void close_page(herd_sbuf *b)
{
    herd_sbuf_printf(b, "<footer>herd %s · how to read these charts: docs/rendering.md</footer>\n</main>\n</body>\n"
                        "</html>\n", HERD_VERSION);
}

static void card(herd_sbuf *b, const herd_run *r, const char *key, const char *label, const char *unit)
{
    double v;
    char text[48] = "–";
    if (herd_run_figure(r, key, &v)) herd_fmt_num(v, text, sizeof text);
    herd_sbuf_printf(b, "<div class=\"card\"><b>%s%s</b><span>", text, strcmp(text, "–") && unit ? unit : "");
    herd_sbuf_xml(b, label);
    herd_sbuf_puts(b, "</span></div>\n");
}

/* The accept queue's overflow is the headline; SYNs the LB or the network dropped are
 * named under it by cause, since they never reached a queue. An older run directory has
 * only the total, shown as that. */
static void syn_drops_card(herd_sbuf *b, const herd_run *r)
{
    double full, total;
    if (!herd_run_figure(r, "syn_drops_backlog_full", &full)) {
        card(b, r, "syn_drops", "SYNs dropped, all causes (no breakdown in this run)", NULL);
        return;
    }
    static const char *const keys[] = {"syn_drops_lb_down", "syn_drops_lb_rate_limited", "syn_drops_net_loss",
                                       "syn_drops_partition"};
    static const char *const names[] = {"LB down", "LB rate limit", "network loss", "partition"};
    char text[48];
    herd_fmt_num(full, text, sizeof text);
    herd_sbuf_printf(b, "<div class=\"card\"><b>%s</b><span>SYNs dropped: accept queue full</span><small>", text);
    bool any = false;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double v;
        if (!herd_run_figure(r, keys[i], &v) || v == 0) continue;
        herd_fmt_num(v, text, sizeof text);
        herd_sbuf_printf(b, "%s%s %s", any ? " · " : "dropped before any queue: ", names[i], text);
        any = true;
    }
    if (!any) herd_sbuf_puts(b, "none dropped before a queue");
    if (herd_run_figure(r, "syn_drops", &total)) {
        herd_fmt_num(total, text, sizeof text);
        herd_sbuf_printf(b, " (all causes: %s)", text);
    }
    herd_sbuf_puts(b, "</small></div>\n");
}

static void header(herd_sbuf *b, const herd_run *r)
{
    bool pass = strcmp(r->verdict, "pass") == 0;
    herd_sbuf_puts(b, "<header><div><h1>");
    herd_sbuf_xml(b, r->name);
    herd_sbuf_puts(b, "</h1><p class=\"sub\">");
    herd_sbuf_xml(b, r->policy[0] ? r->policy : "scenario.yaml absent");
    double seed, clients;
    if (herd_run_figure(r, "seed", &seed)) herd_sbuf_printf(b, " · seed %.0f", seed);
    if (herd_run_figure(r, "clients", &clients)) {
        char c[32];
        herd_fmt_num(clients, c, sizeof c);
        herd_sbuf_printf(b, " · %s clients", c);
    }
    herd_sbuf_puts(b, " · run directory <code>");
    herd_sbuf_xml(b, r->dir);
    herd_sbuf_printf(b, "</code></p></div><div class=\"verdict %s\">%s</div></header>\n", pass ? "pass" : "fail",
                     pass ? "✓ PASS: every expectation met" : "✗ FAIL: an expectation not met");
    herd_sbuf_puts(b, "<div class=\"cards\">\n");
    card(b, r, "peak_attempts_per_s", "peak connection attempts per second", NULL);
    syn_drops_card(b, r);
    card(b, r, "wasted_handshakes", "wasted handshakes (client had given up)", NULL);
    card(b, r, "time_to_recover_s", "to recover: last heal to every client LIVE", " s");
    card(b, r, "lost", "messages lost (I1)", NULL);
    card(b, r, "lost_unacked", "un-ACKed messages dropped silently (I8)", NULL);
    card(b, r, "duplicates", "messages duplicated (I2, I3)", NULL);
    herd_sbuf_puts(b, "</div>\n");
}

static void data_notes(herd_sbuf *b, const herd_run *const *runs, size_t n, bool lanes)
{
    bool bands_file = true, cap_measured = true, any_cap = false;
    for (size_t i = 0; i < n; i++) {
        bands_file &= runs[i]->bands_from_file;
        cap_measured &= runs[i]->capacity_measured;
        any_cap |= runs[i]->col[HERD_S_CAPACITY] != NULL;
    }
    herd_sbuf_puts(b, "<p class=\"note\">");
    if (!any_cap)
        herd_sbuf_puts(b, "<b>No accept capacity line:</b> the run directory has no scenario.yaml and metrics.csv has no "
                          "capacity_per_s column. ");
    else if (!cap_measured)
        herd_sbuf_puts(b, "Accept capacity is derived from scenario.yaml: servers up × accept workers ÷ handshake time "
                          "(capped by the load balancer's rate). ");
    herd_sbuf_puts(b, lanes ? "Fault lanes and shaded bands: " : "Hatched bands: ");
    herd_sbuf_puts(b, bands_file ? "faults as the simulator recorded them (faults.json). "
                                 : "faults as scheduled in scenario.yaml (start to heal). ");
    herd_sbuf_puts(b, "Counters are per second over each metrics interval; the dashed vertical line marks when every "
                      "client was LIVE again. See docs/rendering.md.</p>\n");
    for (size_t i = 0; i < n; i++) {
        if (!runs[i]->has_trace) continue;
        herd_sbuf_puts(b, "<p class=\"note\">Sampled trace: <code>herd render ");
        herd_sbuf_xml(b, runs[i]->dir);
        herd_sbuf_puts(b, "/trace.jsonl --format svg</code> draws its message-sequence chart, <code>--format "
                          "perfetto</code> opens it in ui.perfetto.dev.</p>\n");
    }
}

static void timeline_section(herd_sbuf *b, const herd_run *const *runs, size_t n, bool interactive)
{
    herd_sbuf_puts(b, "<section id=\"timeline\"><h2>Cascade timeline</h2>\n");
    bool live = interactive && herd_report_interactive_available();
    data_notes(b, runs, n, live);
    if (live) {
        herd_report_interactive(b, runs, n);
        return;
    }
    if (interactive)
        herd_sbuf_puts(b, "<p class=\"note\"><b>Static timeline:</b> this herd was built without uPlot "
                          "(third_party/node_modules/uplot was missing at build time; scripts/deps.sh installs it, "
                          "then rebuild), so the report has no crosshair, zoom or per-server view.</p>\n");
    herd_timeline_svg(b, runs, n);
    herd_sbuf_puts(b, "</section>\n");
}

static void delays_section(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    herd_sbuf_puts(b, "<section id=\"delays\"><h2>Reconnect-delay distribution</h2>\n");
    if (!herd_delays_svg(b, runs, n))
        herd_sbuf_puts(b, "<p class=\"note\"><b>Not drawn:</b> the run directory has no delays.json (the reconnect-delay "
                          "histogram, docs/rendering.md). Runs from a simulator that writes it get this panel.</p>\n");
    herd_sbuf_puts(b, "</section>\n");
}

static void expectations_table(herd_sbuf *b, const herd_run *r)
{
    herd_sbuf_puts(b, "<h2>Expectations</h2>\n<table><tr><th></th><th>expectation</th><th>measured</th></tr>\n");
    for (uint32_t i = 0; i < r->expect_count; i++) {
        const herd_item *e = &r->expects[i];
        herd_sbuf_printf(b, "<tr><td class=\"%s\">%s</td><td>", e->ok ? "ok" : "bad", e->ok ? "✓ met" : "✗ not met");
        herd_sbuf_xml(b, e->key);
        herd_sbuf_puts(b, "</td><td>");
        herd_sbuf_xml(b, e->value);
        herd_sbuf_puts(b, "</td></tr>\n");
    }
    if (r->expect_count == 0) herd_sbuf_puts(b, "<tr><td></td><td>none stated</td><td></td></tr>\n");
    herd_sbuf_puts(b, "</table>\n<h2 style=\"margin-top:16px\">Invariant violations</h2>\n<table><tr>");
    for (uint32_t i = 0; i < r->violation_count; i++) {
        herd_sbuf_puts(b, "<th>");
        herd_sbuf_xml(b, r->violations[i].key);
        herd_sbuf_puts(b, "</th>");
    }
    herd_sbuf_puts(b, "</tr><tr>");
    for (uint32_t i = 0; i < r->violation_count; i++) {
        bool zero = strcmp(r->violations[i].value, "0") == 0;
        herd_sbuf_printf(b, "<td class=\"%s\">", zero ? "ok" : "bad");
        herd_sbuf_xml(b, r->violations[i].value);
        herd_sbuf_puts(b, "</td>");
    }
    herd_sbuf_puts(b, "</tr></table>\n");
}

static void figure_value(herd_sbuf *b, const herd_item *f)
{
    char *end;
    double v = strtod(f->value, &end);
    if (end != f->value && *end == '\0' && isfinite(v)) {
        char text[64];
        herd_fmt_num(v, text, sizeof text);
        herd_sbuf_printf(b, "<td class=\"num\">%s</td>", text);
    } else {
        herd_sbuf_puts(b, "<td>");
        herd_sbuf_xml(b, f->value);
        herd_sbuf_puts(b, "</td>");
    }
}

static void figures_table(herd_sbuf *b, const herd_run *r)
{
    herd_sbuf_puts(b, "<h2>Figures (<code>herd run --json</code>)</h2>\n<table><tr><th>field</th><th style=\"text-align:"
                      "right\">value</th></tr>\n");
    for (uint32_t i = 0; i < r->figure_count; i++) {
        herd_sbuf_puts(b, "<tr><td><code>");
        herd_sbuf_xml(b, r->figures[i].key);
        herd_sbuf_puts(b, "</code></td>");
        figure_value(b, &r->figures[i]);
        herd_sbuf_puts(b, "</tr>\n");
    }
    herd_sbuf_puts(b, "</table>\n");
}

static void scenario_section(herd_sbuf *b, const herd_run *r)
{
    if (!r->scenario_text) return;
    herd_sbuf_puts(b, "<section><details><summary><b>Scenario as run</b> (scenario.yaml)</summary><pre>");
    herd_sbuf_xml(b, r->scenario_text);
    herd_sbuf_puts(b, "</pre></details></section>\n");
}

static void single(herd_sbuf *b, const herd_run *r, bool interactive)
{
    open_page(b, r->name);
    header(b, r);
    timeline_section(b, &r, 1, interactive);
    delays_section(b, &r, 1);
    herd_sbuf_puts(b, "<section class=\"cols\"><div>\n");
    expectations_table(b, r);
    herd_sbuf_puts(b, "</div><div>\n");
    figures_table(b, r);
    herd_sbuf_puts(b, "</div></section>\n");
    scenario_section(b, r);
    close_page(b);
}

/* Rows: the figures of the first run (and the verdict); columns: runs. */
static void compare_table(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    herd_sbuf_puts(b, "<section><h2>Figures side by side</h2>\n<table><tr><th>field</th>");
    for (size_t r = 0; r < n; r++) {
        herd_sbuf_printf(b, "<th style=\"text-align:right\"><span style=\"color:%s\">■</span> ", herd_run_colour(r));
        herd_sbuf_xml(b, runs[r]->name);
        herd_sbuf_puts(b, "</th>");
    }
    herd_sbuf_puts(b, "</tr>\n<tr><td><code>verdict</code></td>");
    for (size_t r = 0; r < n; r++) {
        bool pass = strcmp(runs[r]->verdict, "pass") == 0;
        herd_sbuf_printf(b, "<td class=\"num %s\">%s</td>", pass ? "ok" : "bad", pass ? "✓ pass" : "✗ fail");
    }
    herd_sbuf_puts(b, "</tr>\n<tr><td><code>policy</code></td>");
    for (size_t r = 0; r < n; r++) {
        herd_sbuf_puts(b, "<td class=\"num\">");
        herd_sbuf_xml(b, runs[r]->policy);
        herd_sbuf_puts(b, "</td>");
    }
    herd_sbuf_puts(b, "</tr>\n");
    for (uint32_t i = 0; i < runs[0]->figure_count; i++) {
        const char *key = runs[0]->figures[i].key;
        herd_sbuf_puts(b, "<tr><td><code>");
        herd_sbuf_xml(b, key);
        herd_sbuf_puts(b, "</code></td>");
        for (size_t r = 0; r < n; r++) {
            const herd_item *found = NULL;
            for (uint32_t j = 0; j < runs[r]->figure_count && !found; j++)
                if (strcmp(runs[r]->figures[j].key, key) == 0) found = &runs[r]->figures[j];
            if (found) figure_value(b, found);
            else herd_sbuf_puts(b, "<td class=\"num\">–</td>");
        }
        herd_sbuf_puts(b, "</tr>\n");
    }
    herd_sbuf_puts(b, "</table></section>\n");
}

static void compare(herd_sbuf *b, const herd_run *const *runs, size_t n, bool interactive)
{
    open_page(b, "comparison");
    herd_sbuf_puts(b, "<header><div><h1>Comparison</h1><p class=\"sub\">");
    for (size_t r = 0; r < n; r++) {
        herd_sbuf_printf(b, "%s<span style=\"color:%s\">■</span> <b>", r ? " · " : "", herd_run_colour(r));
        herd_sbuf_xml(b, runs[r]->name);
        herd_sbuf_puts(b, "</b> (");
        herd_sbuf_xml(b, runs[r]->policy);
        herd_sbuf_puts(b, ")");
    }
    herd_sbuf_puts(b, "</p></div></header>\n");
    timeline_section(b, runs, n, interactive);
    delays_section(b, runs, n);
    compare_table(b, runs, n);
    close_page(b);
}

void herd_report_html(herd_sbuf *b, const herd_run *const *runs, size_t n, bool interactive)
{
    if (n == 1) single(b, runs[0], interactive);
    else compare(b, runs, n, interactive);
}
