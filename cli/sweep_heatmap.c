/* sweep_heatmap.c — the map of a sweep over two of its axes (the sweep file's heatmap: x
 * and y): DIR/heatmap.svg, and DIR/heatmap.html which holds the same SVG inline with a
 * legend. One file each, no script, no external URL: it opens offline and can be committed
 * (docs/img). Each square is a cell; its colour is the fraction of seeds that recovered
 * (red none, yellow half, green all), its text that fraction and the median time to
 * recover; a cell where some seed violated safety has a thick black border and says how
 * many. With more than two axes, one panel per combination of the others' values. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include "atomic_file.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define CELL_W 96
#define CELL_H 40
#define PANELS_MAX 64
#define CHAR_W 7 /* px per character at 12px sans-serif, for the margins */

static void xml(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* red (0) → yellow (500) → green (1000), parts per thousand recovered */
static void colour(uint32_t pm, char *b, size_t n)
{
    unsigned r, g;
    if (pm <= 500) {
        r = 230;
        g = 80 + (unsigned)(pm * 140u / 500u);
    } else {
        r = 230 - (unsigned)((pm - 500u) * 150u / 500u);
        g = 220 - (unsigned)((pm - 500u) * 30u / 500u);
    }
    snprintf(b, n, "#%02x%02x%02x", r, g, 90u);
}

typedef struct layout {
    int ax, ay;            /* axis indices, ay may be -1 */
    uint32_t nx, ny, npanels;
    int left, top, pw, ph; /* margins and a panel's size */
} layout;

static size_t label_len(const herd_sweep_axis *a)
{
    size_t m = strlen(a->name);
    for (uint32_t v = 0; v < a->nvalues; v++)
        if (strlen(a->values[v].label) > m) m = strlen(a->values[v].label);
    return m;
}

/* The cell at x, y of panel k (k counts the other axes' combinations, last fastest). */
static uint32_t cell_at(const herd_sweep_plan *p, const layout *L, uint32_t x, uint32_t y, uint32_t k)
{
    uint32_t idx[HERD_SWEEP_AXES_MAX];
    for (uint32_t a = p->naxes; a-- > 0;) {
        if ((int)a == L->ax) idx[a] = x;
        else if ((int)a == L->ay) idx[a] = y;
        else {
            idx[a] = k % p->axes[a].nvalues;
            k /= p->axes[a].nvalues;
        }
    }
    uint32_t c = 0;
    for (uint32_t a = 0; a < p->naxes; a++) c = c * p->axes[a].nvalues + idx[a];
    return c;
}

static void panel_title(FILE *f, const herd_sweep_plan *p, const layout *L, uint32_t k)
{
    bool any = false;
    uint32_t idx[HERD_SWEEP_AXES_MAX] = {0};
    for (uint32_t a = p->naxes; a-- > 0;)
        if ((int)a != L->ax && (int)a != L->ay) {
            idx[a] = k % p->axes[a].nvalues;
            k /= p->axes[a].nvalues;
        }
    for (uint32_t a = 0; a < p->naxes; a++) {
        if ((int)a == L->ax || (int)a == L->ay) continue;
        fputs(any ? ", " : "", f);
        xml(f, p->axes[a].name);
        fputs(" = ", f);
        xml(f, p->axes[a].values[idx[a]].label);
        any = true;
    }
}

static void draw_cell(FILE *f, const herd_sweep_cell *c, int x, int y)
{
    uint32_t pm = herd_sweep_permille(c->recovered, c->runs);
    char fill[16];
    colour(pm, fill, sizeof fill);
    if (c->runs == 0) snprintf(fill, sizeof fill, "#dddddd");
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"%s\" stroke-width=\"%d\"/>\n",
            x, y, CELL_W - 2, CELL_H - 2, fill, c->unsafe ? "#000" : "#fff", c->unsafe ? 3 : 1);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-weight=\"bold\">%" PRIu32 "/%" PRIu32 "</text>\n",
            x + CELL_W / 2 - 1, y + 16, c->recovered, c->runs);
    char t[48];
    if (c->unsafe) snprintf(t, sizeof t, "UNSAFE %" PRIu32, c->unsafe);
    else if (c->ttr_p50_us == UINT64_MAX) snprintf(t, sizeof t, "p50 never");
    else snprintf(t, sizeof t, "p50 %" PRIu64 ".%" PRIu64 " s", c->ttr_p50_us / 1000000u, c->ttr_p50_us / 100000u % 10u);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n", x + CELL_W / 2 - 1,
            y + 31, t);
}

static void draw_panel(FILE *f, const herd_sweep_plan *p, const layout *L, const herd_sweep_cell *cells, uint32_t k,
                       int oy)
{
    if (L->npanels > 1) {
        fprintf(f, "<text x=\"4\" y=\"%d\" font-weight=\"bold\">", oy + 14);
        panel_title(f, p, L, k);
        fputs("</text>\n", f);
    }
    int gx = L->left, gy = oy + L->top;
    if (L->ax >= 0) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-style=\"italic\">", gx + (int)L->nx * CELL_W / 2,
                gy - 24);
        xml(f, p->axes[L->ax].name);
        fputs("</text>\n", f);
        for (uint32_t x = 0; x < L->nx; x++) {
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", gx + (int)x * CELL_W + CELL_W / 2, gy - 6);
            xml(f, p->axes[L->ax].values[x].label);
            fputs("</text>\n", f);
        }
    }
    if (L->ay >= 0) {
        fprintf(f, "<text x=\"4\" y=\"%d\" font-style=\"italic\">", gy - 6);
        xml(f, p->axes[L->ay].name);
        fputs("</text>\n", f);
        for (uint32_t y = 0; y < L->ny; y++) {
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", gx - 6, gy + (int)y * CELL_H + CELL_H / 2 + 4);
            xml(f, p->axes[L->ay].values[y].label);
            fputs("</text>\n", f);
        }
    }
    for (uint32_t y = 0; y < L->ny; y++)
        for (uint32_t x = 0; x < L->nx; x++)
            draw_cell(f, &cells[cell_at(p, L, x, y, k)], gx + (int)x * CELL_W, gy + (int)y * CELL_H);
}

static void svg(FILE *f, const herd_sweep_plan *p, const herd_sweep_cell *cells, const layout *L)
{
    uint32_t shown = L->npanels < PANELS_MAX ? L->npanels : PANELS_MAX;
    int w = L->left + (int)L->nx * CELL_W + 8, h = (int)shown * L->ph + 50;
    if (w < 600) w = 600; /* room for the legend */
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n",
            w, h, w, h, w, h);
    for (uint32_t k = 0; k < shown; k++) draw_panel(f, p, L, cells, k, (int)k * L->ph);
    fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\">seeds recovered / seeds (colour: red none, yellow "
               "half, green all); black border: some seed violated safety</text>\n", h - 34);
    fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\">p50: median time to recover after the last fault "
               "healed (never: more than half the seeds did not)</text>\n", h - 20);
    fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\">", h - 6);
    xml(f, p->path);
    fprintf(f, ": %" PRIu32 " cells x %" PRIu64 " seeds (%" PRIu64 "..%" PRIu64 ")%s%s</text>\n", p->ncells, p->nseeds,
            p->seed_from, p->seed_from + p->nseeds - 1, p->swarm ? ", swarm faults" : "",
            shown < L->npanels ? ", first 64 panels" : "");
    fputs("</svg>\n", f);
}

static void html(FILE *f, const herd_sweep_plan *p, const herd_sweep_cell *cells, const layout *L)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>herd sweep: ", f);
    xml(f, p->path);
    fputs("</title>\n<style>body{font-family:sans-serif;margin:1.5em}code{background:#f4f4f4}</style></head><body>\n",
          f);
    fputs("<h1>herd sweep: <code>", f);
    xml(f, p->path);
    fputs("</code></h1>\n<p>Base scenario <code>", f);
    xml(f, p->scenario);
    fputs("</code>", f);
    for (uint32_t i = 0; i < p->nbase; i++) {
        fputs(i ? ", <code>" : " with <code>", f);
        xml(f, p->base[i]);
        fputs("</code>", f);
    }
    fprintf(f, "; %" PRIu64 " seeds per cell. The figures per cell are in cells.csv and cells.json, every run in "
               "runs.jsonl.</p>\n",
            p->nseeds);
    svg(f, p, cells, L);
    fputs("</body></html>\n", f);
}

static int write_file(const char *dir, const char *name, const herd_sweep_plan *p, const herd_sweep_cell *cells,
                      const layout *L, bool as_html)
{
    char path[HERD_AFILE_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) return -ENAMETOOLONG;
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    if (!f) return -errno;
    if (as_html) html(f, p, cells, L);
    else svg(f, p, cells, L);
    if (ferror(f)) {
        herd_afile_abort(&af);
        return -EIO;
    }
    return herd_afile_commit(&af);
}

int herd_sweep_write_heatmap(const herd_sweep_plan *p, const herd_sweep_cell *cells, const char *dir)
{
    layout L = {.ax = p->heat_x, .ay = p->heat_y};
    L.nx = L.ax >= 0 ? p->axes[L.ax].nvalues : 1;
    L.ny = L.ay >= 0 ? p->axes[L.ay].nvalues : 1;
    L.npanels = p->ncells / (L.nx * L.ny);
    size_t yl = L.ay >= 0 ? label_len(&p->axes[L.ay]) : 4;
    L.left = (int)(yl > 40 ? 40 : yl) * CHAR_W + 16;
    L.top = (L.npanels > 1 ? 20 : 0) + 40;
    L.pw = L.left + (int)L.nx * CELL_W;
    L.ph = L.top + (int)L.ny * CELL_H + 12;
    int rc = write_file(dir, "heatmap.svg", p, cells, &L, false);
    if (rc == 0) rc = write_file(dir, "heatmap.html", p, cells, &L, true);
    if (rc != 0) fprintf(stderr, "herd sweep: cannot write %s/heatmap.*: %s\n", dir, strerror(-rc));
    return rc == 0 ? 0 : 74;
}
