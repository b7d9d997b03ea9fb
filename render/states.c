/* states.c — state diagrams of the core machines, drawn from render/machine_tables.c.
 *
 * One node per state, one edge per (from, to) pair; the inputs that take that edge are
 * listed on it as "input / effects", one per line, in table order. The tables are tested
 * against src/ (tests/test_render_machines.c), so docs/diagrams/ cannot drift from the
 * code without a test failing. */
#include "render.h"

#include "client.h"
#include "machine_tables.h"
#include "server.h"

#include <stdio.h>
#include <string.h>

#define STATES_MAX 8

typedef struct machine {
    const char *title;
    const herd_machine_transition *t;
    size_t n;
    int states;
    const char *(*state_name)(int);
    int initial, final;
} machine;

static void node(herd_sbuf *b, const machine *m, int s)
{
    char name[32];
    snprintf(name, sizeof name, "%s", m->state_name(s));
    for (char *p = name; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    herd_sbuf_printf(b, "  s%d [label=\"%s\"%s];\n", s, name,
                     s == m->final ? ", peripheries=2" : s == m->initial ? ", fillcolor=\"#e8f1f8\"" : "");
}

/* All rows from -> to, as one edge with a line per row. */
static void edge(herd_sbuf *b, const machine *m, int from, int to)
{
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        const herd_machine_transition *t = &m->t[i];
        if (t->from != from || t->to != to) continue;
        if (!any) herd_sbuf_printf(b, "  s%d -> s%d [label=\"", from, to);
        any = true;
        herd_sbuf_dotstr(b, t->label);
        if (t->effects[0]) {
            herd_sbuf_puts(b, " / ");
            herd_sbuf_dotstr(b, t->effects);
        }
        herd_sbuf_puts(b, "\\l");
    }
    if (any)
        herd_sbuf_printf(b, "\"%s];\n", to == m->final ? ", color=\"#D55E00\", fontcolor=\"#8a3300\""
                                        : from == to ? ", color=\"#888888\", fontcolor=\"#555555\"" : "");
}

static void machine_dot(herd_sbuf *b, const machine *m)
{
    herd_sbuf_puts(b, "digraph herd_states {\n  graph [rankdir=TB, nodesep=0.6, ranksep=0.7, fontname=\"Helvetica,"
                      "Arial,sans-serif\", labelloc=t, fontsize=16, label=\"");
    herd_sbuf_dotstr(b, m->title);
    herd_sbuf_puts(b, "\"];\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#0072B2\", "
                      "fontname=\"Helvetica,Arial,sans-serif\", fontsize=13, penwidth=1.4];\n"
                      "  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=10, color=\"#0072B2\", "
                      "arrowsize=0.7];\n  start [shape=point, width=0.12, label=\"\"];\n");
    for (int s = 0; s < m->states; s++) node(b, m, s);
    herd_sbuf_printf(b, "  start -> s%d;\n", m->initial);
    for (int from = 0; from < m->states; from++)
        for (int to = 0; to < m->states; to++) edge(b, m, from, to);
    herd_sbuf_puts(b, "}\n");
}

void herd_states_dot(herd_sbuf *b, const char *which)
{
    machine m;
    if (strcmp(which, "client") == 0)
        m = (machine){"The client machine (src/client.c): input / effects", herd_client_transitions,
                      herd_client_transition_count, HERD_CLIENT_STATE_COUNT, herd_client_state_name,
                      HERD_CLIENT_DISCONNECTED, HERD_CLIENT_STOPPED};
    else
        m = (machine){"The server session machine (src/server.c): input / effects", herd_session_transitions,
                      herd_session_transition_count, HERD_SESSION_STATE_COUNT, herd_session_state_name,
                      HERD_SESSION_OPEN, HERD_SESSION_CLOSED};
    machine_dot(b, &m);
}
