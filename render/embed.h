/* embed.h — the files the interactive report inlines, as byte arrays generated at build
 * time by cmake/embed.cmake into the build directory's render_embed.c: render/report.js and
 * render/report.css (ours), and uPlot's dist/uPlot.iife.min.js and dist/uPlot.min.css
 * (third_party/node_modules/uplot, pinned in scripts/deps.sh). Each array ends in a NUL
 * not counted in its _len. uplot_js_len is 0 when uPlot was not installed at configure
 * time: the report is then the static SVG one, with a note saying so. */
#ifndef HERD_EMBED_H
#define HERD_EMBED_H

#include <stddef.h>

extern const unsigned char herd_embed_report_js[];
extern const size_t herd_embed_report_js_len;
extern const unsigned char herd_embed_report_css[];
extern const size_t herd_embed_report_css_len;
extern const unsigned char herd_embed_uplot_js[];
extern const size_t herd_embed_uplot_js_len;
extern const unsigned char herd_embed_uplot_css[];
extern const size_t herd_embed_uplot_css_len;

#define HERD_UPLOT_VERSION "1.6.32"

#endif
