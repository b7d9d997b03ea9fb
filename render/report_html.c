/* report_html.c — the interactive timeline of the HTML report: the runs' data as JSON
 * (report_data.c), the empty containers that render/report.js fills, and the scripts and
 * styles it needs, all inline (embed.h): uPlot's dist files and ours. The page fetches
 * nothing; it opens from a CI artifact or a mail attachment with no network.
 *
 * What each panel shows, the interactions and the data contract are in docs/rendering.md.
 * Each run's first violation gets a box below the charts (report.js fills in its text
 * and the replay and chart commands); its marker on the timeline links to it. */
#include "render.h"

#include "embed.h"

#include <stdio.h>
#include <string.h>

bool herd_report_interactive_available(void)
{
    return herd_embed_uplot_js_len > 0 && herd_embed_uplot_css_len > 0;
}

static void put_embedded(herd_sbuf *b, const char *open, const unsigned char *bytes, size_t len, const char *close)
{
    herd_sbuf_puts(b, open);
    herd_sbuf_putn(b, (const char *)bytes, len);
    herd_sbuf_puts(b, close);
}

static void violation_details(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double at;
        const herd_run *r = runs[i];
        if (!herd_run_figure(r, "first_violation_at_s", &at)) continue;
        herd_sbuf_printf(b, "<div class=\"violation\" id=\"violation-%zu\"><h3><span style=\"color:%s\">■</span> ", i,
                         herd_run_colour(i));
        herd_sbuf_xml(b, r->name);
        herd_sbuf_printf(b, ": first violation at %.6f s</h3>\n<p data-role=\"text\"></p>"
                            "<p class=\"note\" data-role=\"how\"></p><pre data-role=\"replay\"></pre></div>\n", at);
    }
}

void herd_report_interactive(herd_sbuf *b, const herd_run *const *runs, size_t n)
{
    herd_sbuf_puts(b, "<p class=\"note\"><b>Interactive:</b> hover for the values of every panel at one instant; "
                      "drag across a plot to zoom the time axis (all panels follow), double-click to reset. "
                      "Hover a fault lane or a violation marker to see what it is; click the marker for the "
                      "commands that replay the run and chart the clients involved.</p>\n"
                      "<div id=\"herd-report\" class=\"herd-report\"></div>\n</section>\n");
    herd_sbuf_puts(b, "<section id=\"servers\"><h2>Per server</h2>\n<div id=\"herd-servers\" class=\"herd-servers\">"
                      "<p class=\"note\">This run directory has no servers.csv.</p></div>\n</section>\n");
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        double at;
        any |= herd_run_figure(runs[i], "first_violation_at_s", &at);
    }
    if (any) {
        herd_sbuf_puts(b, "<section id=\"violations\"><h2>First violations</h2>\n");
        violation_details(b, runs, n);
        herd_sbuf_puts(b, "</section>\n");
    }
    herd_sbuf_puts(b, "<script type=\"application/json\" id=\"herd-data\">");
    herd_report_data_json(b, runs, n);
    herd_sbuf_puts(b, "</script>\n");
    put_embedded(b, "<style>/* uPlot " HERD_UPLOT_VERSION " */\n", herd_embed_uplot_css, herd_embed_uplot_css_len,
                 "</style>\n");
    put_embedded(b, "<style>\n", herd_embed_report_css, herd_embed_report_css_len, "</style>\n");
    put_embedded(b, "<script>\n", herd_embed_uplot_js, herd_embed_uplot_js_len, "</script>\n");
    put_embedded(b, "<script>\n", herd_embed_report_js, herd_embed_report_js_len, "</script>\n");
}
