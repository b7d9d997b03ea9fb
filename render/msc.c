/* msc.c — a trace as a message-sequence chart, in Graphviz dot.
 *
 * Lifelines, left to right: the clients, the load balancer, the servers, the store; the
 * world's choices (the model checker's steps, the simulator's events) are written down
 * the left margin. Each row is one rank of the graph; a lifeline is a chain of nodes
 * down its column. A frame or store request is drawn as an arrow on the row where it was
 * received, from the sender's lifeline to the receiver's; one that never arrived (the
 * connection died, the server crashed first, the trace ended) is drawn dashed on the row
 * where it was sent. Local inputs and effects (publish, a timer, DELIVER to the app, a
 * crash) are boxes on the actor's lifeline. The step that violated the property (the
 * last step before the end record) is drawn in vermillion and bold, and the end record
 * closes the chart in a vermillion box.
 *
 * Sends are matched to receipts first-in first-out per connection and frame type (TCP
 * keeps a connection's order), and store requests per session.
 *
 * Every row carries its virtual time in a column left of the margin (the last now_us
 * seen, in seconds). Lifelines stay straight under their header boxes: the lifeline
 * edges are the only ones with weight (100); every edge across a row (the invisible
 * ordering edges, the arrows) has weight 0, because with weight 1 hundreds of rows
 * outvote one lifeline and dot bends it toward its neighbours (tests/render.sh measures
 * each lifeline's x against its header's centre in the SVG).
 *
 * A simulator trace with a "violation" transition (herd run --out writes the oracle's
 * first violation there) is drawn around it: at most MSC_BEFORE records before it and
 * MSC_AFTER after, whole steps, the violating step in vermillion and the violation in a
 * vermillion box, so a failed run's trace (its replay line traces exactly the clients the
 * violation names) gives a chart of that moment, not of the run's first records. */
#include "render.h"

#include "exitcode.h"

#include <stdio.h>
#include <string.h>

#define MSC_RECS_MAX 3000 /* records drawn; more is unreadable as one chart */
#define MSC_BEFORE 120    /* records drawn before a simulator trace's violation */
#define MSC_AFTER 12      /* and after it */
#define COLS_MAX 32
#define WRAP_COLS 46
#define HOT "#D55E00"

typedef struct msc {
    const herd_trace_file *t;
    const herd_trace_rec *recs;     /* the records considered: t->recs + lo */
    size_t lo, n;                   /* their first index in the file, their count */
    bool has_violation;             /* a simulator trace's "violation" transition is drawn */
    uint64_t now;                   /* the last now_us seen (the row's time) */
    bool has_now;
    int32_t match[MSC_RECS_MAX];    /* send -> its receipt, receipt -> its send, or -1 */
    unsigned client_id[COLS_MAX], server_id[COLS_MAX];
    int clients, servers;
    bool has_lb, has_store;
    uint32_t hot_step;              /* the violating step */
    char margin[HERD_TRACE_TEXT_MAX + 16]; /* a step's text, waiting for its first row */
    bool margin_hot;
    bool has_end;
    int rows;
} msc;

static bool is_send(const herd_trace_rec *r)
{
    return r->what == HERD_TRACE_EFFECT && (strcmp(r->name, "send") == 0 || strcmp(r->name, "store") == 0);
}

/* The simulator's record of the oracle's first violation (herd run --out). */
static bool is_violation(const herd_trace_rec *r)
{
    return r->what == HERD_TRACE_STEP && strcmp(r->name, "violation") == 0 && strcmp(r->actor, "world") == 0;
}

/* Does receipt r answer send s? */
static bool answers(const herd_trace_rec *s, const herd_trace_rec *r)
{
    if (r->what != HERD_TRACE_INPUT) return false;
    herd_actor sa = herd_actor_parse(s->actor), ra = herd_actor_parse(r->actor);
    if (strcmp(s->name, "store") == 0)
        return ra.kind == HERD_ACTOR_STORE && strcmp(r->name, "execute") == 0 && sa.kind == HERD_ACTOR_SESSION &&
               ra.server == sa.server && ra.client == sa.client && r->op == s->op;
    if (strcmp(r->name, "frame") != 0 || r->frame != s->frame || r->conn != s->conn) return false;
    if (sa.kind == HERD_ACTOR_CLIENT) return ra.kind == HERD_ACTOR_SESSION && ra.client == sa.client;
    return sa.kind == HERD_ACTOR_SESSION && ra.kind == HERD_ACTOR_CLIENT && ra.client == sa.client;
}

static void match_sends(msc *m)
{
    for (size_t i = 0; i < m->n; i++) m->match[i] = -1;
    for (size_t i = 0; i < m->n; i++) { /* O(n^2) over at most MSC_RECS_MAX records */
        const herd_trace_rec *s = &m->recs[i];
        if (!is_send(s)) continue;
        for (size_t j = i + 1; j < m->n; j++) {
            if (m->match[j] < 0 && answers(s, &m->recs[j])) {
                m->match[i] = (int32_t)j;
                m->match[j] = (int32_t)i;
                break;
            }
        }
    }
}

static void add_id(unsigned *ids, int *count, unsigned id)
{
    for (int i = 0; i < *count; i++)
        if (ids[i] == id) return;
    if (*count >= COLS_MAX / 2 - 1) return;
    int k = (*count)++;
    while (k > 0 && ids[k - 1] > id) { /* insertion keeps them sorted */
        ids[k] = ids[k - 1];
        k--;
    }
    ids[k] = id;
}

static void find_lifelines(msc *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const herd_trace_rec *r = &m->recs[i];
        herd_actor a = herd_actor_parse(r->actor);
        if (a.kind == HERD_ACTOR_CLIENT) add_id(m->client_id, &m->clients, a.client);
        if (a.kind == HERD_ACTOR_SESSION || a.kind == HERD_ACTOR_SERVER) add_id(m->server_id, &m->servers, a.server);
        if (a.kind == HERD_ACTOR_STORE || strcmp(r->name, "store") == 0) m->has_store = true; /* a request needs a lifeline even if never executed */
        if (a.kind == HERD_ACTOR_SESSION && strcmp(r->name, "open") == 0) m->has_lb = true;
        if (strcmp(r->name, "connect") == 0) m->has_lb = true;
        if (r->what == HERD_TRACE_END) m->has_end = true;
        else if (!m->has_violation && r->step > m->hot_step) m->hot_step = r->step;
    }
}

static int col_client(const msc *m, unsigned id)
{
    for (int i = 0; i < m->clients; i++)
        if (m->client_id[i] == id) return i;
    return 0;
}

static int col_lb(const msc *m) { return m->clients; }
static int col_server(const msc *m, unsigned id)
{
    for (int i = 0; i < m->servers; i++)
        if (m->server_id[i] == id) return m->clients + m->has_lb + i;
    return m->clients + m->has_lb;
}
static int col_store(const msc *m) { return m->clients + m->has_lb + m->servers; }
static int col_count(const msc *m) { return m->clients + m->has_lb + m->servers + m->has_store; }

/* The server a client's connection `conn` went to, from the session's open input. */
static int conn_server_col(const msc *m, size_t upto, unsigned client, uint32_t conn)
{
    for (size_t i = upto; i-- > 0;) {
        const herd_trace_rec *r = &m->recs[i];
        herd_actor a = herd_actor_parse(r->actor);
        if (a.kind == HERD_ACTOR_SESSION && a.client == client && r->conn == conn) return col_server(m, a.server);
    }
    return m->has_lb ? col_lb(m) : col_server(m, 0);
}

static int actor_col(const msc *m, const herd_actor *a)
{
    switch (a->kind) {
    case HERD_ACTOR_CLIENT: return col_client(m, a->client);
    case HERD_ACTOR_SESSION:
    case HERD_ACTOR_SERVER: return col_server(m, a->server);
    case HERD_ACTOR_STORE: return col_store(m);
    default: return -1;
    }
}

/* One field of a label, as the trace names it ("msg 0:1"); a store operation by name. */
static void label_field(void *ctx, const herd_trace_field_desc *f, uint64_t num, const char *str)
{
    herd_sbuf *b = ctx;
    if (f->bit == HERD_TF_OP) herd_sbuf_printf(b, " %s", herd_trace_store_op_name((int)(num <= 255 ? num : 0)));
    else if (f->kind == HERD_TFK_STR) herd_sbuf_printf(b, " %s %s", f->key, str);
    else herd_sbuf_printf(b, " %s %llu", f->key, (unsigned long long)num);
}

/* "RESUME sid 0-0", "ACK msg 0:1 sid 0-1", "close code 1006", "execute publish+dedup msg 0:1". */
static void describe(herd_sbuf *b, const herd_trace_rec *r)
{
    if (r->has & HERD_TF_FRAME) {
        char up[24];
        snprintf(up, sizeof up, "%s", herd_trace_frame_name(r->frame));
        for (char *p = up; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        herd_sbuf_puts(b, up);
    } else {
        herd_sbuf_dotstr(b, r->name);
    }
    herd_trace_rec_fields(r, HERD_TF_OP | HERD_TF_MSG | HERD_TF_SID | HERD_TF_AFTER | HERD_TF_CODE, label_field, b);
    if ((r->has & HERD_TF_CONN) && r->conn && strcmp(r->name, "store") != 0) herd_sbuf_printf(b, " (conn %u)", r->conn);
}

static void wrap(herd_sbuf *b, const char *text)
{
    size_t col = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' && col >= WRAP_COLS) {
            herd_sbuf_puts(b, "\\l    ");
            col = 4;
            continue;
        }
        char c[2] = {*p, 0};
        herd_sbuf_dotstr(b, c);
        col++;
    }
    herd_sbuf_puts(b, "\\l");
}

/* A new rank: the world's margin node (text or empty) and a point on every lifeline,
 * chained to the row above. Returns the row's number. */
static int row_open(herd_sbuf *b, msc *m, const char *margin, bool hot)
{
    if (!margin && m->margin[0]) { /* the step's text goes beside its first event */
        margin = m->margin;
        hot = m->margin_hot;
    }
    int r = m->rows++;
    herd_sbuf_printf(b, "  { rank=same; t%d [", r);
    if (m->has_now)
        herd_sbuf_printf(b, "shape=plaintext, style=solid, fontsize=9, fontcolor=\"#777777\", label=\"%llu.%06llu s\"]; ",
                         (unsigned long long)(m->now / 1000000u), (unsigned long long)(m->now % 1000000u));
    else
        herd_sbuf_puts(b, "shape=point, width=0.01, style=invis]; ");
    herd_sbuf_printf(b, "w%d [", r);
    if (margin) {
        herd_sbuf_printf(b, "shape=plaintext, style=solid, fontsize=10, fontcolor=\"%s\", label=\"", hot ? HOT : "#444444");
        wrap(b, margin);
        herd_sbuf_puts(b, "\"]; ");
    } else {
        herd_sbuf_puts(b, "shape=point, width=0.01, style=invis]; ");
    }
    for (int c = 0; c < col_count(m); c++) herd_sbuf_printf(b, "r%dc%d; ", r, c);
    herd_sbuf_puts(b, "}\n");
    m->margin[0] = '\0';
    for (int c = 0; c < col_count(m); c++) {
        if (r == 0) herd_sbuf_printf(b, "  h%d -> r0c%d [style=dashed, color=\"#b0b0b0\", arrowhead=none, weight=100];\n", c, c);
        else herd_sbuf_printf(b, "  r%dc%d -> r%dc%d [style=dashed, color=\"#b0b0b0\", arrowhead=none, weight=100];\n",
                              r - 1, c, r, c);
    }
    herd_sbuf_printf(b, "  t%d -> w%d [style=invis, weight=0];\n  w%d -> r%dc0 [style=invis, weight=0];\n", r, r, r, r);
    /* the time and margin columns are chains too, else dot is free to put them anywhere */
    if (r == 0) herd_sbuf_puts(b, "  th -> t0 [style=invis, weight=100];\n  wh -> w0 [style=invis, weight=100];\n");
    else herd_sbuf_printf(b, "  t%d -> t%d [style=invis, weight=100];\n  w%d -> w%d [style=invis, weight=100];\n", r - 1, r,
                          r - 1, r);
    for (int c = 0; c + 1 < col_count(m); c++)
        herd_sbuf_printf(b, "  r%dc%d -> r%dc%d [style=invis, weight=0];\n", r, c, r, c + 1);
    return r;
}

static void arrow(herd_sbuf *b, msc *m, const herd_trace_rec *label_rec, int from, int to, bool lost, bool hot,
                  const char *extra)
{
    int r = row_open(b, m, NULL, false);
    if (from == to) to = from + 1 < col_count(m) ? from + 1 : from - 1;
    int lo = from < to ? from : to, hi = from < to ? to : from;
    herd_sbuf_printf(b, "  r%dc%d -> r%dc%d [xlabel=\"", r, lo, r, hi);
    describe(b, label_rec);
    if (extra) herd_sbuf_puts(b, extra);
    herd_sbuf_printf(b, "\", weight=0, %s, color=\"%s\", fontcolor=\"%s\"%s%s];\n", from < to ? "dir=forward" : "dir=back",
                     hot ? HOT : lost ? "#777777" : "#0072B2", hot ? HOT : "#1a1a1a", lost ? ", style=dashed" : "",
                     hot ? ", penwidth=2.2, fontname=\"Helvetica-Bold,Arial Bold,sans-serif\"" : "");
}

static void local_box(herd_sbuf *b, msc *m, const herd_trace_rec *rec, int col, bool hot)
{
    int r = row_open(b, m, NULL, false);
    bool fault = strcmp(rec->name, "crash") == 0 || strcmp(rec->name, "restart") == 0;
    herd_sbuf_printf(b, "  r%dc%d [shape=box, style=\"rounded,filled\", width=0, height=0, margin=\"0.06,0.02\", "
                        "fontsize=10, fillcolor=\"%s\", color=\"%s\"%s, label=\"%s", r, col,
                     fault ? "#fde3d3" : rec->what == HERD_TRACE_EFFECT ? "#eef5fb" : "#fff6dd",
                     hot ? HOT : fault ? HOT : "#999999", hot ? ", penwidth=2" : "",
                     rec->what == HERD_TRACE_EFFECT ? "&rarr; " : "");
    describe(b, rec);
    herd_sbuf_puts(b, "\"];\n");
}

/* One record: an arrow, a box, a margin note, or nothing (a send drawn at its receipt). */
static void draw_rec(herd_sbuf *b, msc *m, size_t i)
{
    const herd_trace_rec *r = &m->recs[i];
    herd_actor a = herd_actor_parse(r->actor);
    bool hot = (m->has_end || m->has_violation) && r->step == m->hot_step;
    if (r->has & HERD_TF_NOW) {
        m->now = r->now;
        m->has_now = true;
    }
    if (r->what == HERD_TRACE_END || (m->has_violation && is_violation(r))) {
        int row = row_open(b, m, NULL, false);
        herd_sbuf_printf(b, "  w%d [shape=box, style=\"filled\", fillcolor=\"#fde3d3\", color=\"%s\", penwidth=2, "
                            "fontsize=11, fontcolor=\"#8a3300\", label=\"", row, HOT);
        wrap(b, r->text[0] ? r->text : r->name);
        herd_sbuf_puts(b, "\"];\n");
        return;
    }
    if (r->what == HERD_TRACE_STEP) {
        if (m->margin[0]) row_open(b, m, NULL, false); /* a step with nothing drawn */
        snprintf(m->margin, sizeof m->margin, "%u. %s", r->step, r->text);
        m->margin_hot = hot;
        return;
    }
    int col = actor_col(m, &a);
    if (col < 0) return;
    if (is_send(r)) {
        if (m->match[i] >= 0) return;
        int to = strcmp(r->name, "store") == 0 ? col_store(m)
               : a.kind == HERD_ACTOR_CLIENT ? conn_server_col(m, i, a.client, r->conn) : col_client(m, a.client);
        arrow(b, m, r, col, to, true, hot, strcmp(r->name, "store") == 0 ? " (not executed)" : " (never arrived)");
        return;
    }
    if (r->what == HERD_TRACE_INPUT && m->match[i] >= 0) {
        const herd_trace_rec *s = &m->recs[m->match[i]];
        herd_actor sa = herd_actor_parse(s->actor);
        arrow(b, m, r, actor_col(m, &sa), col, false, hot, NULL);
        return;
    }
    if (a.kind == HERD_ACTOR_SESSION && strcmp(r->name, "open") == 0 && m->has_lb) {
        arrow(b, m, r, col_lb(m), col, false, hot, " (routed)");
        return;
    }
    if (a.kind == HERD_ACTOR_CLIENT && strcmp(r->name, "connect") == 0 && m->has_lb) {
        arrow(b, m, r, col, col_lb(m), false, hot, NULL);
        return;
    }
    if (a.kind == HERD_ACTOR_CLIENT && r->what == HERD_TRACE_INPUT &&
        (strcmp(r->name, "close") == 0 || strcmp(r->name, "open") == 0)) {
        arrow(b, m, r, conn_server_col(m, i, a.client, r->conn), col, false, hot, NULL);
        return;
    }
    local_box(b, m, r, col, hot);
}

static void heads(herd_sbuf *b, const msc *m)
{
    herd_sbuf_puts(b, "  { rank=same; th [shape=plaintext, style=solid, label=\"time\", fontcolor=\"#777777\", fontsize=11]; "
                      "wh [shape=plaintext, style=solid, label=\"world\", fontcolor=\"#777777\", fontsize=11]; ");
    for (int c = 0; c < col_count(m); c++) herd_sbuf_printf(b, "h%d; ", c);
    herd_sbuf_puts(b, "}\n  th -> wh [style=invis, weight=0];\n  wh -> h0 [style=invis, weight=0];\n");
    for (int c = 0; c < col_count(m); c++) {
        char label[48];
        if (c < m->clients) snprintf(label, sizeof label, "client %u", m->client_id[c]);
        else if (m->has_lb && c == col_lb(m)) snprintf(label, sizeof label, "load balancer");
        else if (m->has_store && c == col_store(m)) snprintf(label, sizeof label, "store");
        else snprintf(label, sizeof label, "server %u", m->server_id[c - m->clients - m->has_lb]);
        herd_sbuf_printf(b, "  h%d [shape=box, style=\"filled\", fillcolor=\"#e8f1f8\", color=\"#0072B2\", "
                            "fontsize=12, label=\"%s\"];\n", c, label);
        if (c + 1 < col_count(m)) herd_sbuf_printf(b, "  h%d -> h%d [style=invis, weight=0];\n", c, c + 1);
    }
}

static void title(herd_sbuf *b, const msc *m, const char *path)
{
    const herd_trace_header *h = &m->t->header;
    const char *src = herd_trace_header_get(h, "model");
    if (!src) src = herd_trace_header_get(h, "scenario");
    const char *prop = herd_trace_header_get(h, "property");
    const char *proto = herd_trace_header_get(h, "protocol");
    herd_sbuf_puts(b, "  graph [labelloc=t, fontsize=15, label=\"");
    herd_sbuf_dotstr(b, src ? src : path);
    if (proto) {
        herd_sbuf_puts(b, " (protocol ");
        herd_sbuf_dotstr(b, proto);
        herd_sbuf_puts(b, ")");
    }
    if (prop) {
        herd_sbuf_puts(b, ": counterexample for ");
        herd_sbuf_dotstr(b, prop);
    }
    if (m->has_violation)
        herd_sbuf_printf(b, "\\n(records %zu-%zu of %zu: the steps before and after its first violation)", m->lo + 1,
                         m->lo + m->n, m->t->n);
    else if (m->n < m->t->n || m->t->cut) herd_sbuf_printf(b, "\\n(first %zu records drawn)", m->n);
    herd_sbuf_puts(b, "\"];\n");
}

/* A simulator trace with a violation: the whole steps from MSC_BEFORE records before it
 * to MSC_AFTER after, and that step is the hot one. */
static void around_violation(msc *m)
{
    const herd_trace_rec *all = m->t->recs;
    size_t n = m->t->n, v = 0;
    while (v < n && !is_violation(&all[v])) v++;
    if (v == n) return;
    size_t lo = v > MSC_BEFORE ? v - MSC_BEFORE : 0, hi = n - v > MSC_AFTER ? v + 1 + MSC_AFTER : n;
    while (lo > 0 && all[lo - 1].step == all[lo].step) lo--;
    while (hi < n && all[hi].step == all[hi - 1].step) hi++;
    if (hi - lo > MSC_RECS_MAX) hi = lo + MSC_RECS_MAX; /* one step of thousands of records */
    if (v >= hi) return;
    m->has_violation = true;
    m->hot_step = all[v].step;
    m->recs = all + lo;
    m->lo = lo;
    m->n = hi - lo;
    /* the time of the first row: the last now_us before the window */
    for (size_t i = lo; i-- > 0;)
        if (all[i].has & HERD_TF_NOW) {
            m->now = all[i].now;
            m->has_now = true;
            break;
        }
}

int herd_msc_dot(herd_sbuf *b, const char *trace_path, char *err, size_t err_len)
{
    static herd_trace_file t; /* large header; renders are sequential */
    static msc m;
    int rc = herd_trace_load(&t, trace_path, err, err_len);
    if (rc) return rc;
    m = (msc){.t = &t, .recs = t.recs, .n = t.n < MSC_RECS_MAX ? t.n : MSC_RECS_MAX};
    around_violation(&m);
    find_lifelines(&m);
    match_sends(&m);
    herd_sbuf_puts(b, "digraph msc {\n  graph [rankdir=TB, nodesep=0.9, ranksep=0.22, newrank=true, splines=line, forcelabels=true, "
                      "fontname=\"Helvetica,Arial,sans-serif\", outputorder=edgesfirst];\n"
                      "  node [shape=point, width=0.01, height=0.01, style=invis, label=\"\", fontname=\"Helvetica,Arial,sans-serif\"];\n"
                      "  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=10, arrowsize=0.7];\n");
    title(b, &m, trace_path);
    if (col_count(&m) == 0) {
        herd_trace_file_free(&t);
        snprintf(err, err_len, "%s: no actors to draw", trace_path);
        return HERD_EXIT_DATAERR;
    }
    heads(b, &m);
    herd_progress_begin("drawing the chart", m.n);
    for (size_t i = 0; i < m.n; i++) {
        draw_rec(b, &m, i);
        herd_progress_step(i + 1);
    }
    herd_progress_end();
    herd_sbuf_puts(b, "}\n");
    herd_trace_file_free(&t);
    return 0;
}
