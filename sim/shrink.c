/* shrink.c — the search of `herd shrink` (shrink.h, docs/shrinking.md): candidates judged
 * by running them, in rounds of passes (clients, faults, the world's numbers, each
 * fault's numbers, rounding) until a round changes nothing, with lib/ddmin.h's two
 * searches doing the choosing. Every candidate is written as YAML and read back by the
 * real reader before it runs (shrink_yaml.c); answers of candidates that pass are kept in
 * a cache keyed by the text's hash, so ddmin asking again costs nothing. */
#define _POSIX_C_SOURCE 200809L
#include "shrink.h"

#include "ddmin.h"
#include "error.h"
#include "exitcode.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

void herd_shrink_cand_of(herd_shrink_cand *c, const herd_world_config *cfg)
{
    *c = (herd_shrink_cand){
        .seed = cfg->seed,
        .clients = cfg->clients,
        .rooms = cfg->rooms,
        .servers = cfg->servers,
        .publishers_ppm = cfg->publishers_ppm,
        .publish_interval_us = cfg->publish_interval_us,
        .duration_us = cfg->duration_us,
        .start_spread_us = cfg->start_spread_us,
        .fault_count = cfg->fault_count,
    };
    memcpy(c->faults, cfg->faults, sizeof c->faults);
}

/* ---- one candidate ---------------------------------------------------------------------- */

static bool stop_early(const herd_shrink *s, const herd_expect *e)
{
    return s->opts.same == HERD_SHRINK_SAME_INVARIANT || e->safety == HERD_EXPECT_HOLDS;
}

static const char *first_failed(const herd_report *r)
{
    for (uint32_t i = 0; i < r->nexp; i++)
        if (!r->exp[i].ok) return r->exp[i].name;
    return "";
}

/* Does this run fail the way the original did? */
static bool same_failure(const herd_shrink *s, const herd_run_outcome *o)
{
    const herd_report *r = &o->report;
    bool publishes = s->base.publish_interval_us > 0 && s->base.publishers_ppm > 0;
    if (publishes && r->published == 0 && o->first_inv < 0) return false; /* vacuous */
    if (s->opts.same == HERD_SHRINK_SAME_VERDICT) return !r->pass;
    if (s->target_inv >= 0) return o->first_inv == s->target_inv;
    return o->first_inv < 0 && !r->pass && strcmp(first_failed(r), s->target_exp) == 0;
}

/* The candidate as scenario text (malloc'd, NUL-terminated), or NULL. */
static char *cand_text(const herd_shrink *s, const herd_shrink_cand *c, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) return NULL;
    int rc = herd_shrink_emit(s->doc, &s->base, c, NULL, f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static bool cache_has(const herd_shrink *s, uint64_t key)
{
    for (uint32_t i = 0; i < s->ncache; i++)
        if (s->cache_key[i] == key) return true;
    return false;
}

static int budget(herd_shrink *s)
{
    if (s->cut) return HERD_DD_STOP;
    if (s->runs >= s->opts.max_runs) s->cut = "--max-runs reached";
    else if (s->opts.poll && s->opts.poll(s->opts.poll_ctx)) s->cut = "--max-time reached";
    return s->cut ? HERD_DD_STOP : HERD_DD_PASSES;
}

static int fatal(herd_shrink *s, const char *why)
{
    s->cut = why;
    s->fatal = true;
    return HERD_DD_STOP;
}

/* Run one candidate (with its own seed). FAILS makes it the best. */
static int try_seed(herd_shrink *s, const herd_shrink_cand *c)
{
    if (budget(s) == HERD_DD_STOP) return HERD_DD_STOP;
    size_t len = 0;
    char *text = cand_text(s, c, &len);
    if (!text) return fatal(s, "cannot write a candidate (out of memory)");
    uint64_t key = XXH3_64bits(text, len);
    if (cache_has(s, key)) {
        free(text);
        s->cached++;
        return HERD_DD_PASSES;
    }
    herd_scenario sc;
    char err[HERD_CFG_ERROR_MAX + 64];
    int rc = herd_scenario_load_string(&sc, "candidate", text, err, sizeof err);
    free(text);
    int answer = HERD_DD_PASSES;
    if (rc != 0) {
        s->invalid++; /* the reader refuses it: not a scenario herd run would run */
    } else {
        herd_run_opts ro = {stop_early(s, &sc.expect), s->opts.poll, s->opts.poll_ctx, true};
        s->runs++;
        rc = herd_run_once(&sc, &ro, &s->scratch);
        if (rc == HERD_ENOSPACE) answer = HERD_DD_PASSES; /* cannot be built here */
        else if (rc == HERD_RUN_ECHILD) answer = fatal(s, "cannot run a candidate in a child process");
        else if (rc != HERD_OK) answer = fatal(s, "the world stopped on an internal error");
        else if (s->scratch.crash_signal) answer = (s->crashed++, HERD_DD_PASSES); /* another failure */
        else if (s->scratch.aborted) answer = (s->cut = "--max-time reached", HERD_DD_STOP);
        else answer = same_failure(s, &s->scratch) ? HERD_DD_FAILS : HERD_DD_PASSES;
    }
    herd_scenario_free(&sc);
    if (answer == HERD_DD_FAILS) {
        s->best = *c;
        s->best_out = s->scratch;
        s->accepted++;
    } else if (answer == HERD_DD_PASSES && s->ncache < HERD_SHRINK_CACHE_MAX) {
        s->cache_key[s->ncache++] = key;
    }
    if (s->opts.progress) s->opts.progress(s, s->opts.progress_ctx);
    return answer;
}

/* A candidate; one that passes with its seed is tried with the --seeds ones too. */
static int try_cand(herd_shrink *s, const herd_shrink_cand *c)
{
    int a = try_seed(s, c);
    for (uint32_t i = 1; a == HERD_DD_PASSES && i <= s->opts.seeds; i++) {
        herd_shrink_cand other = *c;
        other.seed = s->orig.seed + i;
        if (other.seed != c->seed) a = try_seed(s, &other);
    }
    return a;
}

/* ---- the numbers a pass moves ------------------------------------------------------------ */

enum field {
    F_CLIENTS, F_SERVERS, F_ROOMS, F_PUBLISHERS, F_INTERVAL, F_DURATION, F_SPREAD, /* world */
    F_AT, F_FDURATION, F_COUNT, F_FIRST, F_DRAIN, F_FINTERVAL, F_RETRY, F_LOSS, F_LATENCY,
    F_ACOUNT, F_BCOUNT, F_COUNT_ALL
};
#define F_WORLD_LAST F_SPREAD

static bool on_servers(const herd_fault *f)
{
    return f->kind == HERD_FAULT_CRASH || f->kind == HERD_FAULT_GRACEFUL || f->kind == HERD_FAULT_ROLLING;
}

/* Whether field applies to fault f (a world field: always). */
static bool applies(const herd_fault *f, int field)
{
    uint8_t k = f ? f->kind : 0;
    switch (field) {
    case F_COUNT:
    case F_FIRST: return on_servers(f) || k == HERD_FAULT_OFFLINE;
    case F_DRAIN:
    case F_RETRY: return k == HERD_FAULT_GRACEFUL || k == HERD_FAULT_ROLLING;
    case F_FINTERVAL: return k == HERD_FAULT_ROLLING;
    case F_LOSS:
    case F_LATENCY: return k == HERD_FAULT_NET_BURST;
    case F_ACOUNT: return k == HERD_FAULT_PARTITION && (f->a.kind == HERD_GROUP_CLIENTS || f->a.kind == HERD_GROUP_SERVERS);
    case F_BCOUNT: return k == HERD_FAULT_PARTITION && (f->b.kind == HERD_GROUP_CLIENTS || f->b.kind == HERD_GROUP_SERVERS);
    default: return true;
    }
}

static uint32_t group_total(const herd_shrink_cand *c, const herd_group *g)
{
    return g->kind == HERD_GROUP_CLIENTS ? c->clients : c->servers;
}

/* A range's size, "all" (count 0) counted. */
static uint32_t span(uint32_t first, uint32_t count, uint32_t total)
{
    return count ? count : (total > first ? total - first : 1);
}

static uint64_t get(const herd_shrink_cand *c, int field, uint32_t i)
{
    const herd_fault *f = &c->faults[i];
    uint32_t total = on_servers(f) ? c->servers : c->clients;
    switch (field) {
    case F_CLIENTS: return c->clients;
    case F_SERVERS: return c->servers;
    case F_ROOMS: return c->rooms;
    case F_PUBLISHERS: return c->publishers_ppm;
    case F_INTERVAL: return c->publish_interval_us;
    case F_DURATION: return c->duration_us;
    case F_SPREAD: return c->start_spread_us;
    case F_AT: return f->at_us;
    case F_FDURATION: return f->duration_us;
    case F_COUNT: return span(f->first, f->count, total);
    case F_FIRST: return f->first;
    case F_DRAIN: return f->drain_us;
    case F_FINTERVAL: return f->interval_us;
    case F_RETRY: return f->retry_after_ms;
    case F_LOSS: return f->loss_ppm;
    case F_LATENCY: return f->latency_us;
    case F_ACOUNT: return span(f->a.first, f->a.count, group_total(c, &f->a));
    case F_BCOUNT: return span(f->b.first, f->b.count, group_total(c, &f->b));
    default: return 0;
    }
}

/* A range of an old total of entities scaled into a new total (the same share). */
static void rescale(uint32_t *first, uint32_t *count, uint32_t was, uint32_t now)
{
    if (*count == 0 && *first == 0) return; /* all */
    uint32_t n = span(*first, *count, was);
    uint64_t f = (uint64_t)*first * now / was, k = (uint64_t)n * now / was;
    if (k == 0) k = 1;
    if (f >= now) f = now - 1;
    if (f + k > now) k = now - f;
    *first = (uint32_t)f;
    *count = (uint32_t)k;
}

/* Fewer clients or servers: every range over them scaled with them (else the reader
 * refuses a fault naming client 99 999 of a 50-client world). */
static void resize(herd_shrink_cand *c, uint8_t group, uint32_t now)
{
    uint32_t was = group == HERD_GROUP_CLIENTS ? c->clients : c->servers;
    if (now == 0 || was == 0) return;
    for (uint32_t i = 0; i < c->fault_count; i++) {
        herd_fault *f = &c->faults[i];
        bool mine = group == HERD_GROUP_CLIENTS ? f->kind == HERD_FAULT_OFFLINE : on_servers(f);
        if (mine) rescale(&f->first, &f->count, was, now);
        if (f->kind != HERD_FAULT_PARTITION) continue;
        if (f->a.kind == group) rescale(&f->a.first, &f->a.count, was, now);
        if (f->b.kind == group) rescale(&f->b.first, &f->b.count, was, now);
    }
    if (group == HERD_GROUP_CLIENTS) {
        /* As many publishers as before (up to all): fewer clients should mean fewer
         * subscribers, not a world where nobody publishes. The publishers pass lowers it. */
        uint64_t ppm = (uint64_t)c->publishers_ppm * was / now;
        c->publishers_ppm = ppm > 1000000u ? 1000000u : (uint32_t)ppm;
        c->clients = now;
        if (c->rooms > now) c->rooms = now;
    } else {
        c->servers = now;
    }
}

static void set(herd_shrink_cand *c, int field, uint32_t i, uint64_t v)
{
    herd_fault *f = &c->faults[i];
    uint32_t v32 = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    switch (field) {
    case F_CLIENTS: resize(c, HERD_GROUP_CLIENTS, v32); break;
    case F_SERVERS: resize(c, HERD_GROUP_SERVERS, v32); break;
    case F_ROOMS: c->rooms = v32; break;
    case F_PUBLISHERS: c->publishers_ppm = v32; break;
    case F_INTERVAL: c->publish_interval_us = v; break;
    case F_DURATION: c->duration_us = v; break;
    case F_SPREAD: c->start_spread_us = v; break;
    case F_AT: f->at_us = v; break;
    case F_FDURATION: f->duration_us = v; break;
    case F_COUNT: f->count = v32; break;
    case F_FIRST: f->first = v32; break;
    case F_DRAIN: f->drain_us = v; break;
    case F_FINTERVAL: f->interval_us = v; break;
    case F_RETRY: f->retry_after_ms = v32; break;
    case F_LOSS: f->loss_ppm = v32; break;
    case F_LATENCY: f->latency_us = v; break;
    case F_ACOUNT: f->a.count = v32; break;
    case F_BCOUNT: f->b.count = v32; break;
    default: break;
    }
}

/* Where a field goes (the simpler end) and the bisection's resolution for it. */
/* Rooms go no lower than keeps a room's subscribers within the original's (at least 64):
 * all of 85 000 clients in one room is not a smaller world but a heavier one. */
static uint64_t rooms_min(const herd_shrink *s, const herd_shrink_cand *c)
{
    uint64_t per = s->base.clients / (s->base.rooms ? s->base.rooms : 1);
    if (per < 64) per = 64;
    return (c->clients + per - 1) / per;
}

static uint64_t target_of(const herd_shrink *s, const herd_shrink_cand *c, int field)
{
    switch (field) {
    case F_ROOMS: return rooms_min(s, c);
    case F_CLIENTS:
    case F_SERVERS:
    case F_COUNT:
    case F_ACOUNT:
    case F_BCOUNT: return 1;
    case F_INTERVAL: return c->duration_us; /* fewer messages: publish less often */
    default: return 0;
    }
}

static bool is_time(int field)
{
    return field == F_INTERVAL || field == F_DURATION || field == F_SPREAD || field == F_AT || field == F_FDURATION ||
           field == F_DRAIN || field == F_FINTERVAL || field == F_LATENCY;
}

static uint64_t step_of(int field, uint64_t from, uint64_t to)
{
    uint64_t d = (from > to ? from - to : to - from) / 64;
    if (is_time(field)) return d > HERD_US_PER_MS ? d : HERD_US_PER_MS;
    if (field == F_PUBLISHERS || field == F_LOSS) return d > 100 ? d : 100;
    return 1;
}

/* ---- passes ------------------------------------------------------------------------------ */

typedef struct num_ctx {
    herd_shrink *s;
    herd_shrink_cand base;
    int field;
    uint32_t fault;
} num_ctx;

static int num_pred(uint64_t v, void *vctx)
{
    num_ctx *n = vctx;
    herd_shrink_cand c = n->base;
    set(&c, n->field, n->fault, v);
    return try_cand(n->s, &c);
}

static int move_field(herd_shrink *s, int field, uint32_t fault, const char *pass)
{
    s->pass = pass;
    num_ctx n = {s, s->best, field, fault};
    uint64_t v = get(&s->best, field, fault), to = target_of(s, &s->best, field);
    return herd_dd_toward(&v, to, step_of(field, v, to), num_pred, &n);
}

static int ladder_clients(herd_shrink *s)
{
    s->pass = "clients";
    num_ctx n = {s, s->best, F_CLIENTS, 0};
    uint64_t v = s->best.clients;
    int a = herd_dd_ladder(&v, 1, num_pred, &n);
    if (a != HERD_DD_FAILS) return a;
    return move_field(s, F_CLIENTS, 0, "clients"); /* between the rung and the one below */
}

typedef struct set_ctx {
    herd_shrink *s;
    herd_shrink_cand base;
} set_ctx;

static int faults_pred(const uint8_t *keep, size_t n, void *vctx)
{
    set_ctx *x = vctx;
    herd_shrink_cand c = x->base;
    c.fault_count = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) c.faults[c.fault_count++] = x->base.faults[i];
    return try_cand(x->s, &c);
}

static int pass_faults(herd_shrink *s)
{
    s->pass = "faults";
    set_ctx x = {s, s->best};
    uint8_t keep[HERD_DD_ITEMS_MAX];
    memset(keep, 1, sizeof keep);
    return herd_ddmin(keep, s->best.fault_count, faults_pred, &x);
}

static int pass_world(herd_shrink *s)
{
    /* The start-up first: a shorter one lets faults move earlier and the run end sooner. */
    static const int fields[] = {F_SPREAD, F_SERVERS, F_ROOMS, F_PUBLISHERS, F_INTERVAL, F_DURATION};
    static const char *const names[] = {"start spread", "servers", "rooms", "publishers", "publish interval", "duration"};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
        if (move_field(s, fields[k], 0, names[k]) == HERD_DD_STOP) return HERD_DD_STOP;
    return 0;
}

static int pass_fault_fields(herd_shrink *s)
{
    static const int fields[] = {F_COUNT, F_FIRST, F_ACOUNT, F_BCOUNT, F_FDURATION, F_AT,
                                 F_DRAIN, F_FINTERVAL, F_RETRY, F_LOSS, F_LATENCY};
    for (uint32_t i = 0; i < s->best.fault_count; i++)
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if (applies(&s->best.faults[i], fields[k]) &&
                move_field(s, fields[k], i, "fault numbers") == HERD_DD_STOP)
                return HERD_DD_STOP;
    return 0;
}

/* Round one field to 1, then 2, then 3 significant digits; the first that still fails stays. */
static int round_field(herd_shrink *s, int field, uint32_t fault)
{
    uint64_t v = get(&s->best, field, fault);
    if (field == F_COUNT || field == F_ACOUNT || field == F_BCOUNT) return 0; /* ranges stay exact */
    if (field == F_ROOMS && v <= rooms_min(s, &s->best)) return 0;
    for (unsigned d = 1; d <= 3; d++) {
        uint64_t r = herd_dd_round(v, d);
        if (r == v || herd_dd_digits(r) >= herd_dd_digits(v)) continue;
        herd_shrink_cand c = s->best;
        set(&c, field, fault, r);
        int a = try_cand(s, &c);
        if (a != HERD_DD_PASSES) return a;
    }
    return 0;
}

static int pass_round(herd_shrink *s)
{
    s->pass = "rounding";
    for (int f = F_CLIENTS; f <= F_WORLD_LAST; f++)
        if (round_field(s, f, 0) == HERD_DD_STOP) return HERD_DD_STOP;
    for (uint32_t i = 0; i < s->best.fault_count; i++)
        for (int f = F_WORLD_LAST + 1; f < F_COUNT_ALL; f++)
            if (applies(&s->best.faults[i], f) && round_field(s, f, i) == HERD_DD_STOP) return HERD_DD_STOP;
    return 0;
}

int herd_shrink_run(herd_shrink *s, char *err, size_t err_len)
{
    for (s->rounds = 0; s->rounds < HERD_SHRINK_ROUNDS_MAX && !s->cut; s->rounds++) {
        uint64_t before = s->accepted;
        /* Clients first: each halving makes every later run cheaper; then a ladder up
         * from 1 for a small world the bisection stepped over. */
        if (move_field(s, F_CLIENTS, 0, "clients") == HERD_DD_STOP) break;
        if (ladder_clients(s) == HERD_DD_STOP) break;
        if (pass_faults(s) == HERD_DD_STOP) break;
        if (pass_world(s) == HERD_DD_STOP) break;
        if (pass_fault_fields(s) == HERD_DD_STOP) break;
        if (pass_round(s) == HERD_DD_STOP) break;
        if (s->accepted == before) {
            s->rounds++;
            break;
        }
    }
    s->pass = "done";
    if (s->fatal) {
        snprintf(err, err_len, "herd shrink: %s", s->cut);
        return HERD_EXIT_SOFTWARE;
    }
    return 0;
}

/* ---- the start ----------------------------------------------------------------------------- */

void herd_shrink_target_text(const herd_shrink *s, char *out, size_t n)
{
    if (s->opts.same == HERD_SHRINK_SAME_VERDICT) snprintf(out, n, "any failed expectation");
    else if (s->target_inv >= 0)
        snprintf(out, n, "%s (%s)", herd_invariant_name(s->target_inv), herd_invariant_title(s->target_inv));
    else snprintf(out, n, "the expectation '%s'", s->target_exp);
}

/* The written-back original must run exactly as the original: same events, same hash. */
static int check_written_back(herd_shrink *s, char *err, size_t err_len)
{
    herd_shrink_opts keep = s->opts;
    s->opts.seeds = 0;
    s->opts.max_runs = UINT32_MAX;
    s->opts.poll = NULL;
    int a = try_seed(s, &s->orig);
    s->opts = keep;
    const herd_report *o = &s->orig_out.report, *w = &s->best_out.report;
    if (a == HERD_DD_FAILS && o->events == w->events && strcmp(o->trace_hash, w->trace_hash) == 0) return 0;
    if (s->fatal) snprintf(err, err_len, "herd shrink: %s", s->cut);
    else
        snprintf(err, err_len, "herd shrink: the scenario written back does not run as the original (%s, %llu "
                 "events: %s, %llu events); this is a bug in herd shrink's writer",
                 o->trace_hash, (unsigned long long)o->events, a == HERD_DD_FAILS ? w->trace_hash : "not failing",
                 (unsigned long long)(a == HERD_DD_FAILS ? w->events : 0));
    return HERD_EXIT_SOFTWARE;
}

int herd_shrink_init(herd_shrink *s, const herd_scenario *sc, const herd_shrink_opts *o, char *err,
                     size_t err_len)
{
    memset(s, 0, sizeof *s);
    s->opts = *o;
    if (s->opts.max_runs == 0) s->opts.max_runs = HERD_SHRINK_RUNS_DEFAULT;
    s->doc = sc->doc;
    s->base = sc->world;
    s->target_inv = -1;
    s->pass = "the original";
    herd_shrink_cand_of(&s->orig, &sc->world);
    herd_run_opts ro = {stop_early(s, &sc->expect), NULL, NULL, true};
    int rc = herd_run_once(sc, &ro, &s->orig_out);
    s->runs = 1;
    if (rc != HERD_OK || s->orig_out.crash_signal) {
        if (s->orig_out.crash_signal)
            snprintf(err, err_len, "herd shrink: the original run dies of signal %d (an assertion in the simulator?); "
                     "herd run shows where", s->orig_out.crash_signal);
        else
            snprintf(err, err_len, "herd shrink: cannot run the original: %s",
                     rc == HERD_RUN_ECHILD ? "no child process" : herd_strerror(rc));
        return HERD_EXIT_SOFTWARE;
    }
    const herd_run_outcome *out = &s->orig_out;
    if (s->opts.same == HERD_SHRINK_SAME_INVARIANT && out->first_inv >= 0) s->target_inv = out->first_inv;
    else if (!out->report.pass) snprintf(s->target_exp, sizeof s->target_exp, "%s", first_failed(&out->report));
    else {
        snprintf(err, err_len, "herd shrink: nothing to shrink: the run %s and meets its expectations",
                 s->opts.same == HERD_SHRINK_SAME_INVARIANT ? "violates no invariant" : "passes");
        return HERD_EXIT_FAIL;
    }
    s->pass = "written back";
    return check_written_back(s, err, err_len);
}
