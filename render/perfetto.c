/* perfetto.c — a trace as Chrome trace-event JSON, for ui.perfetto.dev (or chrome://tracing).
 *
 * Processes: "clients" (one thread, so one track, per traced client), "servers" (one per
 * server), "store" and "world". On a client's track, its connection states are slices
 * (connecting, resuming, live, backoff, stopped) derived from its inputs and effects;
 * every input and effect is an instant event with the record's fields as args. A
 * server's sessions are async slices (open to close) beside the server's track. The end
 * record is a global instant named after the violated property.
 *
 * Time: a simulator trace has virtual microseconds (now_us; effects take the time of the
 * input before them), which is what the format's "ts" wants. A model-checker trace
 * mostly does not move time, so there each step is one millisecond (ts = step x 1000)
 * and now_us is kept in the args. Written with lib/json.h. */
#include "render.h"

#include "json.h"

#include <stdio.h>
#include <string.h>

#define CLIENT_TRACKS_MAX 4096
#define SERVERS_NAMED_MAX 4096

enum { PID_WORLD = 1, PID_CLIENTS, PID_SERVERS, PID_STORE };

typedef struct client_track {
    unsigned id;
    const char *state; /* current slice name, NULL before start */
    uint64_t since;
} client_track;

typedef struct pf {
    herd_json *w;
    const herd_trace_file *t;
    bool model_time;
    uint64_t now;
    size_t tracks;
    client_track track[CLIENT_TRACKS_MAX];
    bool server_named[SERVERS_NAMED_MAX];
} pf;

static uint64_t ts_of(pf *p, const herd_trace_rec *r)
{
    if (r->has & HERD_TF_NOW) p->now = r->now;
    return p->model_time ? (uint64_t)r->step * 1000u : p->now;
}

static void meta(herd_json *w, int pid, unsigned tid, const char *what, const char *name)
{
    herd_json_obj_begin(w);
    herd_json_kv_str(w, "ph", "M");
    herd_json_kv_u64(w, "pid", (uint64_t)pid);
    herd_json_kv_u64(w, "tid", tid);
    herd_json_kv_str(w, "name", what);
    herd_json_key(w, "args");
    herd_json_obj_begin(w);
    herd_json_kv_str(w, "name", name);
    herd_json_obj_end(w);
    herd_json_obj_end(w);
}

static void args(herd_json *w, const herd_trace_rec *r)
{
    herd_json_key(w, "args");
    herd_json_obj_begin(w);
    herd_json_kv_u64(w, "step", r->step);
    herd_json_kv_str(w, "actor", r->actor);
    herd_trace_json_fields(w, r, ~0u); /* every field, as the JSONL trace has them */
    herd_json_obj_end(w);
}

static void instant(pf *p, const herd_trace_rec *r, int pid, unsigned tid, uint64_t ts, const char *scope)
{
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", r->name, (r->has & HERD_TF_FRAME) ? " " : "",
             (r->has & HERD_TF_FRAME) ? herd_trace_frame_name(r->frame) : "");
    herd_json_obj_begin(p->w);
    herd_json_kv_str(p->w, "ph", "i");
    herd_json_kv_str(p->w, "s", scope);
    herd_json_kv_str(p->w, "name", r->what == HERD_TRACE_STEP ? r->text : name);
    herd_json_kv_str(p->w, "cat", r->what == HERD_TRACE_EFFECT ? "effect" : r->what == HERD_TRACE_INPUT ? "input" : "world");
    herd_json_kv_u64(p->w, "pid", (uint64_t)pid);
    herd_json_kv_u64(p->w, "tid", tid);
    herd_json_kv_u64(p->w, "ts", ts);
    args(p->w, r);
    herd_json_obj_end(p->w);
}

static client_track *track_of(pf *p, unsigned id)
{
    for (size_t i = 0; i < p->tracks; i++)
        if (p->track[i].id == id) return &p->track[i];
    if (p->tracks == CLIENT_TRACKS_MAX) return NULL;
    p->track[p->tracks] = (client_track){.id = id};
    char name[48];
    snprintf(name, sizeof name, "client %u", id);
    meta(p->w, PID_CLIENTS, id + 1, "thread_name", name);
    return &p->track[p->tracks++];
}

static void slice(pf *p, client_track *c, uint64_t end)
{
    if (!c->state) return;
    herd_json_obj_begin(p->w);
    herd_json_kv_str(p->w, "ph", "X");
    herd_json_kv_str(p->w, "name", c->state);
    herd_json_kv_str(p->w, "cat", "state");
    herd_json_kv_u64(p->w, "pid", PID_CLIENTS);
    herd_json_kv_u64(p->w, "tid", c->id + 1);
    herd_json_kv_u64(p->w, "ts", c->since);
    herd_json_kv_u64(p->w, "dur", end > c->since ? end - c->since : 1);
    herd_json_obj_end(p->w);
}

/* The client state a record moves to, or NULL if it does not change it. */
static const char *next_state(const herd_trace_rec *r)
{
    if (r->what == HERD_TRACE_EFFECT && strcmp(r->name, "connect") == 0) return "connecting";
    if (r->what == HERD_TRACE_EFFECT && strcmp(r->name, "give_up") == 0) return "stopped";
    if (r->what == HERD_TRACE_EFFECT && strcmp(r->name, "close") == 0) return "backoff";
    if (r->what != HERD_TRACE_INPUT) return NULL;
    if (strcmp(r->name, "open") == 0) return "resuming";
    if (strcmp(r->name, "close") == 0) return r->code == 1000 ? "stopped" : "backoff";
    if (strcmp(r->name, "frame") == 0 && r->frame == 5 /* resumed */) return "live";
    if (strcmp(r->name, "frame") == 0 && r->frame == 7 /* close */) return r->code == 1000 ? "stopped" : "backoff";
    return NULL;
}

static void session_edge(pf *p, const herd_trace_rec *r, const herd_actor *a, uint64_t ts, const char *ph)
{
    char name[64], id[64];
    snprintf(name, sizeof name, "session client %u conn %u", a->client, r->conn);
    snprintf(id, sizeof id, "s%u.c%u.%u", a->server, a->client, r->conn);
    herd_json_obj_begin(p->w);
    herd_json_kv_str(p->w, "ph", ph);
    herd_json_kv_str(p->w, "cat", "session");
    herd_json_kv_str(p->w, "name", name);
    herd_json_kv_str(p->w, "id", id);
    herd_json_kv_u64(p->w, "pid", PID_SERVERS);
    herd_json_kv_u64(p->w, "tid", a->server + 1);
    herd_json_kv_u64(p->w, "ts", ts);
    herd_json_obj_end(p->w);
}

static void name_server(pf *p, unsigned server)
{
    if (server >= SERVERS_NAMED_MAX || p->server_named[server]) return;
    p->server_named[server] = true;
    char name[48];
    snprintf(name, sizeof name, "server %u", server);
    meta(p->w, PID_SERVERS, server + 1, "thread_name", name);
}

static void record(pf *p, const herd_trace_rec *r)
{
    uint64_t ts = ts_of(p, r);
    herd_actor a = herd_actor_parse(r->actor);
    if (a.kind == HERD_ACTOR_SESSION || a.kind == HERD_ACTOR_SERVER) name_server(p, a.server);
    if (r->what == HERD_TRACE_END) {
        instant(p, r, PID_WORLD, 1, ts, "g");
        return;
    }
    switch (a.kind) {
    case HERD_ACTOR_CLIENT: {
        client_track *c = track_of(p, a.client);
        instant(p, r, PID_CLIENTS, a.client + 1, ts, "t");
        const char *s = next_state(r);
        if (c && s) {
            slice(p, c, ts);
            c->state = s;
            c->since = ts;
        }
        break;
    }
    case HERD_ACTOR_SESSION:
        if (strcmp(r->name, "open") == 0) session_edge(p, r, &a, ts, "b");
        if (strcmp(r->name, "session_close") == 0) session_edge(p, r, &a, ts, "e");
        instant(p, r, PID_SERVERS, a.server + 1, ts, "t");
        break;
    case HERD_ACTOR_SERVER: instant(p, r, PID_SERVERS, a.server + 1, ts, "t"); break;
    case HERD_ACTOR_STORE: instant(p, r, PID_STORE, 1, ts, "t"); break;
    default: instant(p, r, PID_WORLD, 1, ts, "t");
    }
}

static void names(pf *p)
{
    meta(p->w, PID_WORLD, 0, "process_name", "world");
    meta(p->w, PID_CLIENTS, 0, "process_name", "clients");
    meta(p->w, PID_SERVERS, 0, "process_name", "servers");
    meta(p->w, PID_STORE, 0, "process_name", "store");
    meta(p->w, PID_STORE, 1, "thread_name", "store");
    meta(p->w, PID_WORLD, 1, "thread_name", "world steps");
}

int herd_perfetto_json(herd_sbuf *b, const char *trace_path, char *err, size_t err_len)
{
    static herd_trace_file t;
    static pf p;
    int rc = herd_trace_load(&t, trace_path, err, err_len);
    if (rc) return rc;
    herd_json w;
    herd_json_init_buf(&w);
    const char *src = herd_trace_header_get(&t.header, "source");
    p = (pf){.w = &w, .t = &t, .model_time = !src || strcmp(src, "sim") != 0};
    herd_json_obj_begin(&w);
    herd_json_kv_str(&w, "displayTimeUnit", "ms");
    herd_json_key(&w, "traceEvents");
    herd_json_arr_begin(&w);
    names(&p);
    herd_progress_begin("writing trace events", t.n);
    for (size_t i = 0; i < t.n; i++) {
        record(&p, &t.recs[i]);
        herd_progress_step(i + 1);
    }
    herd_progress_end();
    uint64_t end = t.n ? ts_of(&p, &t.recs[t.n - 1]) + 1000 : 0;
    for (size_t i = 0; i < p.tracks; i++) slice(&p, &p.track[i], end);
    herd_json_arr_end(&w);
    herd_json_obj_end(&w);
    rc = herd_json_finish(&w);
    size_t len = 0;
    const char *text = herd_json_buf(&w, &len);
    if (rc == 0) {
        herd_sbuf_putn(b, text, len);
        herd_sbuf_puts(b, "\n");
    } else {
        snprintf(err, err_len, "%s: could not write the JSON (%d)", trace_path, rc);
        rc = 70;
    }
    herd_json_free(&w);
    herd_trace_file_free(&t);
    return rc;
}
