/* trace_out.h — the simulator's sampled trace: DIR/trace.jsonl in lib/trace's format
 * ("source":"sim"), the core inputs and effects of a few clients and their sessions, with
 * virtual timestamps (docs/trace-format.md, docs/scenarios.md "trace").
 *
 * What is traced: the clients a scenario's `trace:` key or `herd run --trace-clients`
 * names (by id, or every client of some rooms), their sessions' inputs and effects, the
 * store executing those sessions' requests, every server crash and restart, and each
 * fault as a world transition. By default clients 0-4, at most 50 000 records: a
 * ten-million-client run writes a few megabytes. The file is written as the run goes,
 * through an atomic file (lib/atomic_file.h), and committed at the end.
 *
 * Cost: the world keeps the traced ids' bounding range [trace_lo, trace_lo + trace_span);
 * every hook is `if (herd_trace_on(w, client))`, one compare for a client outside it
 * (and for everyone when nothing is traced: trace_span is 0). Only ids inside the range
 * call herd_trace_member. Tracing reads the world and writes the file, nothing else: it
 * draws no randomness and pushes no event, so the run and its trace_hash are the same
 * with and without it. */
#ifndef HERD_SIM_TRACE_OUT_H
#define HERD_SIM_TRACE_OUT_H

#include "atomic_file.h"
#include "trace.h"
#include "world.h"

#define HERD_TRACE_RANGES_MAX 64
#define HERD_TRACE_DEFAULT_CLIENTS 5      /* clients 0-4 */
#define HERD_TRACE_DEFAULT_RECORDS 50000u /* what render writes to Perfetto at most */
#define HERD_TRACE_RECORDS_MAX 100000000u

typedef struct herd_trace_range {
    uint32_t first, count;
} herd_trace_range;

typedef struct herd_trace_sel {
    uint32_t nclients, nrooms;
    herd_trace_range clients[HERD_TRACE_RANGES_MAX];
    herd_trace_range rooms[HERD_TRACE_RANGES_MAX];
    uint64_t max_records;
} herd_trace_sel;

/* Clients 0-4, no room, HERD_TRACE_DEFAULT_RECORDS. */
void herd_trace_sel_default(herd_trace_sel *s);
/* Add "N", "N-M", or a comma-separated list of them ("1,5,9-12") to a list (clients or
 * rooms); "none" adds nothing. 0, or -1 for a malformed text or more than
 * HERD_TRACE_RANGES_MAX ranges. */
int herd_trace_ranges_add(herd_trace_range *list, uint32_t *n, const char *text);
/* "0-4,9" back from a list ("none" when empty). */
void herd_trace_ranges_fmt(const herd_trace_range *list, uint32_t n, char *out, size_t size);

typedef struct herd_sim_trace {
    herd_trace_sel sel;
    herd_afile af;
    FILE *f;          /* NULL when not open */
    uint64_t records; /* written so far */
    uint64_t last_event;
    uint32_t step;
    bool full;        /* max_records reached: nothing more is written */
    int err;          /* first write error (-errno), sticky */
    uint8_t up_before[HERD_WORLD_SERVERS_MAX]; /* servers' up flags when a fault phase began */
} herd_sim_trace;

/* Start tracing w into path (after herd_world_init, before herd_world_run): writes the
 * header and points w->trace at t. 0 or -errno. */
int herd_sim_trace_open(herd_sim_trace *t, herd_world *w, const herd_trace_sel *sel, const char *path,
                        const char *scenario);
/* Stop tracing w; commit the file (0 or -errno), or abort it (keep = false). */
int herd_sim_trace_close(herd_sim_trace *t, herd_world *w, bool keep);

/* Whether a client inside [trace_lo, trace_lo + trace_span) is traced. */
bool herd_trace_member(const herd_world *w, uint32_t client);

/* The hooks' guard: one compare for a client outside the traced range. */
static inline bool herd_trace_on(const herd_world *w, uint32_t client)
{
    return client - w->trace_lo < w->trace_span && herd_trace_member(w, client);
}

/* Hooks: the caller has checked herd_trace_on() for the client concerned. */
void herd_trace_client_input(herd_world *w, uint32_t id, const herd_event *ev);
void herd_trace_publish(herd_world *w, uint32_t id);
void herd_trace_client_effects(herd_world *w, uint32_t id); /* w->out, before it is drained */
void herd_trace_session_open(herd_world *w, uint32_t slot);
void herd_trace_session_frame(herd_world *w, uint32_t slot, const herd_frame *f);
void herd_trace_session_store_result(herd_world *w, uint32_t slot, const herd_store_result *r);
void herd_trace_session_fanout(herd_world *w, uint32_t slot, const herd_frame *f);
void herd_trace_session_close(herd_world *w, uint32_t slot);
void herd_trace_session_effects(herd_world *w, uint32_t slot); /* w->out */
void herd_trace_store_execute(herd_world *w, uint32_t slot, const herd_store_req *req);
/* Hooks with no client (the caller checks w->trace): a server crashes or restarts; a
 * fault strikes or heals; the oracle's first violation (a "violation" transition whose
 * text is the oracle's message, set up by `herd run` through herd_oracle.on_first). */
void herd_trace_server(herd_world *w, uint32_t server, bool up);
void herd_trace_fault(herd_world *w, uint32_t index, uint64_t phase);
void herd_trace_violation(herd_world *w, const char *text);

#endif
