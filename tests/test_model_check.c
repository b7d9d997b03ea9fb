#define _POSIX_C_SOURCE 200809L
/* test_model_check.c — the model checker: symmetry reduction, fingerprint determinism,
 * counterexample minimality, partial-order reduction against the full search, the
 * choices the world offers, model-file errors. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "explore.h"
#include "model_file.h"
#include "por.h"
#include "world.h"

static hm_config small(const char *proto, uint32_t clients)
{
    hm_config cfg;
    hm_config_defaults(&cfg);
    cfg.clients = clients;
    cfg.messages = 1;
    cr_assert_eq(herd_protocol_parse(proto, &cfg.proto), 0);
    const char *why;
    cr_assert_eq(hm_config_check(&cfg, &why), 0);
    return cfg;
}

static hm_result run(const hm_config *cfg, bool symmetry)
{
    hm_limits lim = {.max_memory = 1ull << 30, .symmetry = symmetry, .liveness = true};
    hm_result r;
    cr_assert_eq(hm_explore(cfg, &lim, &r), 0);
    return r;
}

Test(model_symmetry, same_verdict_fewer_states)
{
    hm_config cfg = small("correct", 2);
    hm_result on = run(&cfg, true), off = run(&cfg, false);
    cr_assert_eq(on.verdict, HM_V_PASS, "%s", on.message);
    cr_assert_eq(off.verdict, on.verdict);
    cr_assert_lt(on.states, off.states, "symmetry on %llu, off %llu", (unsigned long long)on.states,
                 (unsigned long long)off.states);
    hm_result_free(&on);
    hm_result_free(&off);
}

Test(model_symmetry, broken_variant_found_both_ways)
{
    hm_config cfg = small("dedup_none", 2);
    cfg.budget[HM_F_DROP] = 1;
    hm_result on = run(&cfg, true), off = run(&cfg, false);
    cr_assert_eq(on.verdict, HM_V_VIOLATION);
    cr_assert_eq(off.verdict, HM_V_VIOLATION);
    cr_assert_eq(on.property, off.property);
    cr_assert_eq(on.path_len, off.path_len, "BFS depth is symmetry-invariant");
    hm_result_free(&on);
    hm_result_free(&off);
}

Test(model_fingerprint, deterministic_and_renaming_invariant)
{
    hm_config cfg = small("correct", 2);
    size_t wb = hm_world_bytes(&cfg);
    hm_world *a = calloc(1, wb), *b = calloc(1, wb);
    cr_assert_eq(hm_world_init(a, &cfg, NULL), 0);
    cr_assert_eq(hm_world_init(b, &cfg, NULL), 0);
    cr_assert_eq(hm_fingerprint(a, &cfg, true), hm_fingerprint(b, &cfg, true));
    /* client 0 publishes in a, client 1 in b: the same state up to renaming */
    hm_world_apply(a, &cfg, (hm_label){HM_T_PUBLISH, 0, 0, 0}, NULL);
    hm_world_apply(b, &cfg, (hm_label){HM_T_PUBLISH, 1, 0, 0}, NULL);
    cr_assert_eq(hm_fingerprint(a, &cfg, true), hm_fingerprint(b, &cfg, true));
    cr_assert_neq(hm_fingerprint(a, &cfg, false), hm_fingerprint(b, &cfg, false));
    free(a);
    free(b);
}

/* ACK before persist with one client: publish, connect (RESUME + PUBLISH go out), the
 * server reads RESUME, then PUBLISH and ACKs at once: I5 after exactly 4 steps. */
Test(model_minimal, ack_before_persist_shortest_is_4)
{
    hm_config cfg = small("ack_before_persist", 1);
    hm_result r = run(&cfg, true);
    cr_assert_eq(r.verdict, HM_V_VIOLATION);
    cr_assert_eq(r.property, HM_P_I5);
    cr_assert_eq(r.path_len, 4, "got %u", r.path_len);
    hm_result_free(&r);
}

static int load_text(const char *text, char *err, size_t size)
{
    char path[] = "/tmp/herd-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    hm_config cfg;
    hm_expect ex;
    int rc = hm_model_load(path, &cfg, &ex, err, size);
    remove(path);
    return rc;
}

Test(model_file, unknown_key_suggests)
{
    char err[1200];
    cr_assert_eq(load_text("world: {clinets: 2}\nexpect: pass\n", err, sizeof err), 65);
    cr_assert(strstr(err, ":1:") && strstr(err, "clients"), "%s", err);
}

Test(model_file, bad_values)
{
    char err[1200];
    cr_assert_eq(load_text("world: {clients: 9}\nexpect: pass\n", err, sizeof err), 65, "%s", err);
    cr_assert_eq(load_text("protocol: corect\nexpect: pass\n", err, sizeof err), 65);
    cr_assert(strstr(err, "correct"), "%s", err);
    cr_assert_eq(load_text("expect: maybe\n", err, sizeof err), 65);
    cr_assert_eq(load_text("expect: violation I9\n", err, sizeof err), 65);
    cr_assert_eq(load_text("expect: violation I2\nfaults: {drops: 1}\n", err, sizeof err), 0, "%s", err);
    cr_assert_eq(load_text("network: {server_to_client: eagr}\nexpect: pass\n", err, sizeof err), 65);
    cr_assert(strstr(err, "eager"), "%s", err);
    cr_assert_eq(load_text("network: {server_to_client: eager}\nfaults: {closes: 1}\nexpect: pass\n", err, sizeof err),
                 65, "%s", err);
    cr_assert(strstr(err, "queued"), "%s", err);
    cr_assert_eq(load_text("network: {server_to_client: queued}\nfaults: {closes: 1}\nexpect: pass\n", err, sizeof err),
                 0, "%s", err);
}

/* Every frontier state decodes to a world that encodes back to the same bytes (the
 * frontier keeps encodings only), with and without the clock abstraction, on models
 * that reach trimming, gaps, duplicates, crashes and time windows. */
static void roundtrip(const char *proto, uint32_t clients, uint32_t maxlen, int fault, uint64_t window_us)
{
    hm_config cfg = small(proto, clients);
    cfg.messages = 2;
    cfg.client.queue_max = 2;
    cfg.store.maxlen = maxlen;
    cfg.store.dedup_window_us = window_us;
    cfg.budget[fault] = 1;
    if (window_us) cfg.budget[HM_F_TIME_JUMP] = 1;
    hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .liveness = false, .selfcheck = true,
                     .max_states = 20000};
    hm_result r;
    cr_assert_eq(hm_explore(&cfg, &lim, &r), 0);
    cr_assert_neq(r.verdict, HM_V_ERROR, "%s: %s", proto, r.message);
    hm_result_free(&r);
}

Test(model_canon, decode_encode_roundtrip)
{
    roundtrip("correct", 2, 8, HM_F_SERVER_CRASH, 0);
    roundtrip("correct", 2, 1, HM_F_DUP, 0);            /* trimming and GAPs */
    roundtrip("correct", 1, 8, HM_F_CLOSE, HERD_US_PER_S); /* exact clock (window) */
    roundtrip("no_gap_detection", 2, 1, HM_F_DROP, 0);
}

/* Partial-order reduction (por.c): the same verdict, property and counterexample length
 * as the full search (explore.c shortens a reduced counterexample), and for a pass no
 * more states; fewer where the kill faults are spent. */
static hm_result run_por(const hm_config *cfg, bool por)
{
    hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .liveness = true, .por = por};
    hm_result r;
    cr_assert_eq(hm_explore(cfg, &lim, &r), 0);
    return r;
}

/* faults: a mask of 1 << enum hm_fault, one of each */
static void por_same(const char *proto, uint32_t clients, uint32_t messages, uint32_t faults, bool expect_fewer)
{
    hm_config cfg = small(proto, clients);
    cfg.messages = messages;
    cfg.client.queue_max = messages;
    for (int f = 0; f < HM_F_COUNT; f++)
        if (faults >> f & 1u) cfg.budget[f] = 1;
    hm_result on = run_por(&cfg, true), off = run_por(&cfg, false);
    cr_assert_eq(on.verdict, off.verdict, "%s: POR %d, full %d", proto, on.verdict, off.verdict);
    cr_assert_eq(on.property, off.property, "%s", proto);
    cr_assert_eq(on.path_len, off.path_len, "%s: counterexample %u with POR, %u without", proto, on.path_len,
                 off.path_len);
    /* A violation may lie deeper in the reduced graph (the counterexample is then
     * shortened by an unreduced search to its depth): the reduced search can visit more
     * states before it stops. A pass visits every reduced state: never more. */
    if (on.verdict == HM_V_PASS) cr_assert_leq(on.states, off.states, "%s", proto);
    if (expect_fewer)
        cr_assert_lt(on.states, off.states, "%s: POR %llu, full %llu", proto, (unsigned long long)on.states,
                     (unsigned long long)off.states);
    hm_result_free(&on);
    hm_result_free(&off);
}

Test(model_por, same_verdict_fewer_states)
{
    por_same("correct", 2, 1, 0, true);                          /* fault-free: POR everywhere */
    por_same("correct", 2, 1, 1u << HM_F_SERVER_CRASH, true);    /* a crash left: absorbed steps */
    por_same("correct", 2, 1, 1u << HM_F_DROP, true);            /* a drop left: absorbed steps */
    por_same("correct", 2, 1, 1u << HM_F_DUP, true);             /* duplicating variants */
    por_same("dedup_none", 2, 1, 1u << HM_F_DROP, false);        /* shortened: 16 steps reduced */
    por_same("dedup_none", 2, 1, 1u << HM_F_SERVER_CRASH, false);
    por_same("ack_before_persist", 1, 1, 0, false);
    por_same("no_gap_detection", 2, 1, 1u << HM_F_DROP, false);
    por_same("resend_off", 2, 1, 1u << HM_F_SERVER_CRASH, false); /* L1 with a kill left */
}

/* Partial-order reduction against the full search, state by state where the reduction
 * promises it: every terminal state (no enabled transition: all work done, every fault
 * and obligation spent) is kept, and so is every world a kill leaves (a crash, a drop,
 * an owed kill): a step taken alone while a kill is pending must be absorbed by it, so
 * the reduced graph reaches each of those worlds too. This checks the reduction far more
 * finely than a verdict: an interleaving it wrongly skips shows up here whether or not
 * the protocol breaks on it. Properties are off (nothing stops the search early: broken
 * protocols' endings differ the most), and so are subsumption (it skips states by
 * design) and L1 (it changes nothing visited). */
typedef struct fpbag {
    uint64_t *v;
    size_t n, cap;
} fpbag;

typedef struct observed {
    fpbag terminal, killed, all;
} observed;

static void bag_add(fpbag *b, uint64_t fp)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2u : 256u;
        b->v = realloc(b->v, b->cap * sizeof *b->v);
        cr_assert_not_null(b->v);
    }
    b->v[b->n++] = fp;
}

static void observe(void *ctx, uint64_t fp, hm_label via, bool terminal)
{
    observed *o = ctx;
    if (terminal) { bag_add(&o->terminal, fp); return; }
    bag_add(&o->all, fp);
    if (via.kind == HM_T_SERVER_CRASH) bag_add(&o->killed, fp);
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void bag_sort(fpbag *b)
{
    if (b->n == 0) return; /* v is NULL: qsort must not see it */
    qsort(b->v, b->n, sizeof(uint64_t), u64_cmp);
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        if (k == 0 || b->v[k - 1] != b->v[i]) b->v[k++] = b->v[i];
    b->n = k;
}

/* Members of a (sorted) missing from b (sorted). */
static size_t bag_missing(const fpbag *a, const fpbag *b)
{
    size_t missing = 0, j = 0;
    for (size_t i = 0; i < a->n; i++) {
        while (j < b->n && b->v[j] < a->v[i]) j++;
        if (j == b->n || b->v[j] != a->v[i]) missing++;
    }
    return missing;
}

static void por_keeps(const char *proto, uint32_t clients, uint32_t messages, uint32_t faults)
{
    hm_config cfg = small(proto, clients);
    cfg.messages = messages;
    cfg.client.queue_max = messages;
    for (int f = 0; f < HM_F_COUNT; f++)
        if (faults >> f & 1u) cfg.budget[f] = 1;
    cfg.props_mask = 0;
    observed o[2];
    memset(o, 0, sizeof o);
    for (int por = 0; por < 2; por++) {
        hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .por = por, .observe = observe,
                         .observe_ctx = &o[por]};
        hm_result r;
        cr_assert_eq(hm_explore(&cfg, &lim, &r), 0);
        cr_assert_eq(r.verdict, HM_V_PASS, "%s: %s", proto, r.message);
        hm_result_free(&r);
        bag_sort(&o[por].terminal);
        bag_sort(&o[por].killed);
        bag_sort(&o[por].all);
    }
    cr_assert_gt(o[0].terminal.n, 0, "%s: the model has terminal states", proto);
    cr_assert_eq(bag_missing(&o[0].terminal, &o[1].terminal) + bag_missing(&o[1].terminal, &o[0].terminal), 0,
                 "%s, faults %#x: terminal states differ (%zu in the full search, %zu reduced)", proto, faults,
                 o[0].terminal.n, o[1].terminal.n);
    size_t lost = bag_missing(&o[0].killed, &o[1].all);
    cr_assert_eq(lost, 0, "%s, faults %#x: POR never reaches %zu of the %zu worlds a kill leaves", proto, faults, lost,
                 o[0].killed.n);
    for (int por = 0; por < 2; por++) {
        free(o[por].terminal.v);
        free(o[por].killed.v);
        free(o[por].all.v);
    }
}

Test(model_por, keeps_terminal_states_and_kill_results)
{
    por_keeps("correct", 2, 1, 0);
    por_keeps("correct", 1, 2, 1u << HM_F_SERVER_CRASH);
    por_keeps("correct", 1, 2, 1u << HM_F_SERVER_CRASH | 1u << HM_F_DROP);
    por_keeps("correct", 2, 1, 1u << HM_F_SERVER_CRASH);
    por_keeps("correct", 2, 1, 1u << HM_F_DROP);
    por_keeps("correct", 2, 1, 1u << HM_F_DUP);
    por_keeps("correct", 2, 1, 1u << HM_F_SERVER_CRASH | 1u << HM_F_DROP);
    por_keeps("dedup_none", 2, 1, 1u << HM_F_SERVER_CRASH);
    por_keeps("dedup_none", 2, 1, 1u << HM_F_DROP);
    por_keeps("resend_off", 2, 1, 1u << HM_F_SERVER_CRASH);
    por_keeps("no_gap_detection", 2, 1, 1u << HM_F_DROP);
}

/* Workers (explore.c): every figure and the counterexample are the same for any number
 * of threads, on a passing model and on a broken one. */
static void threads_same(const char *proto, uint32_t faults)
{
    hm_config cfg = small(proto, 2);
    for (int f = 0; f < HM_F_COUNT; f++)
        if (faults >> f & 1u) cfg.budget[f] = 1;
    hm_result r[3];
    for (uint32_t t = 0; t < 3; t++) {
        hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .liveness = true, .por = true, .subsume = true,
                         .threads = t + 1u};
        cr_assert_eq(hm_explore(&cfg, &lim, &r[t]), 0);
    }
    for (uint32_t t = 1; t < 3; t++) {
        cr_assert_eq(r[t].verdict, r[0].verdict, "%s", proto);
        cr_assert_eq(r[t].property, r[0].property, "%s", proto);
        cr_assert_eq(r[t].states, r[0].states, "%s: %u threads", proto, t + 1u);
        cr_assert_eq(r[t].transitions, r[0].transitions, "%s: %u threads", proto, t + 1u);
        cr_assert_eq(r[t].live_steps, r[0].live_steps, "%s: %u threads", proto, t + 1u);
        cr_assert_eq(r[t].reduced, r[0].reduced, "%s", proto);
        cr_assert_eq(r[t].proviso, r[0].proviso, "%s", proto);
        cr_assert_eq(r[t].subsumed, r[0].subsumed, "%s", proto);
        cr_assert_eq(r[t].depth, r[0].depth, "%s", proto);
        cr_assert_eq(r[t].path_len, r[0].path_len, "%s", proto);
        for (uint32_t i = 0; i < r[0].path_len; i++)
            cr_assert(memcmp(&r[t].path[i], &r[0].path[i], sizeof(hm_label)) == 0, "%s: step %u differs", proto, i);
    }
    for (uint32_t t = 0; t < 3; t++) hm_result_free(&r[t]);
}

Test(model_threads, same_figures_and_path)
{
    threads_same("correct", 1u << HM_F_SERVER_CRASH | 1u << HM_F_DUP);
    threads_same("dedup_none", 1u << HM_F_DROP);
    threads_same("resend_off", 1u << HM_F_SERVER_CRASH); /* an L1 counterexample */
    threads_same("ack_before_persist", 0);
}

/* Budget subsumption (explore.c): a state whose twin with more fault budget left was
 * visited is skipped. Same verdict, property and counterexample length as without it,
 * and fewer states where a fault can leave the world as it found it. */
static void subsume_same(const char *proto, uint32_t faults, bool expect_fewer)
{
    hm_config cfg = small(proto, 2);
    for (int f = 0; f < HM_F_COUNT; f++)
        if (faults >> f & 1u) cfg.budget[f] = 1;
    hm_result r[2];
    for (int on = 0; on < 2; on++) {
        hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .liveness = true, .por = true, .subsume = on};
        cr_assert_eq(hm_explore(&cfg, &lim, &r[on]), 0);
    }
    cr_assert_eq(r[1].verdict, r[0].verdict, "%s", proto);
    cr_assert_eq(r[1].property, r[0].property, "%s", proto);
    cr_assert_eq(r[1].path_len, r[0].path_len, "%s: %u with subsumption, %u without", proto, r[1].path_len, r[0].path_len);
    if (r[0].verdict == HM_V_PASS) cr_assert_leq(r[1].states, r[0].states, "%s", proto);
    if (expect_fewer) {
        cr_assert_gt(r[1].subsumed, 0, "%s", proto);
        cr_assert_lt(r[1].states, r[0].states, "%s: %llu with subsumption, %llu without", proto,
                     (unsigned long long)r[1].states, (unsigned long long)r[0].states);
    }
    hm_result_free(&r[0]);
    hm_result_free(&r[1]);
}

Test(model_subsume, same_verdict_fewer_states)
{
    subsume_same("correct", 1u << HM_F_SERVER_CRASH | 1u << HM_F_DUP, true);
    subsume_same("correct", 1u << HM_F_DROP, true);
    subsume_same("dedup_none", 1u << HM_F_DROP, false);
    subsume_same("no_gap_detection", 1u << HM_F_DROP, false);
    subsume_same("resend_off", 1u << HM_F_SERVER_CRASH, false);
}

/* Eager server->client delivery (world.h, "Variants") against the queued network it
 * stands for: the same verdict and property for every protocol variant under each fault
 * it models (drops, crashes, duplicates), and fewer states. */
static void eager_same(const char *proto, uint32_t clients, uint32_t faults)
{
    hm_config cfg = small(proto, clients);
    for (int f = 0; f < HM_F_COUNT; f++)
        if (faults >> f & 1u) cfg.budget[f] = 1;
    hm_result r[2];
    for (int eager = 0; eager < 2; eager++) {
        cfg.s2c_eager = eager ? HM_S2C_EAGER : HM_S2C_QUEUED;
        hm_config_derive(&cfg);
        hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .liveness = true, .por = true, .subsume = true};
        cr_assert_eq(hm_explore(&cfg, &lim, &r[eager]), 0);
    }
    cr_assert_eq(r[1].verdict, r[0].verdict, "%s faults %#x: eager %d, queued %d", proto, faults, r[1].verdict, r[0].verdict);
    cr_assert_eq(r[1].property, r[0].property, "%s faults %#x: eager %s, queued %s", proto, faults,
                 hm_prop_name(r[1].property), hm_prop_name(r[0].property));
    if (r[0].verdict == HM_V_PASS)
        cr_assert_lt(r[1].states, r[0].states, "%s faults %#x: eager %llu, queued %llu", proto, faults,
                     (unsigned long long)r[1].states, (unsigned long long)r[0].states);
    hm_result_free(&r[0]);
    hm_result_free(&r[1]);
}

Test(model_eager, same_verdict_as_queued)
{
    static const char *const protos[] = {"correct", "ack_before_persist", "dedup_none", "resend_off",
                                         "no_gap_detection"};
    static const uint32_t faults[] = {1u << HM_F_DROP, 1u << HM_F_SERVER_CRASH, 1u << HM_F_DUP,
                                      1u << HM_F_DROP | 1u << HM_F_SERVER_CRASH};
    for (size_t p = 0; p < sizeof protos / sizeof *protos; p++)
        for (size_t f = 0; f < sizeof faults / sizeof *faults; f++) eager_same(protos[p], 2, faults[f]);
}

/* What the explorer may choose, on random walks through a world with every fault kind
 * that applies: only channel heads are delivered or duplicated (fan-out included: it is
 * FIFO per subscriber), FIFO positions are 0..k-1 per channel, and a drop is offered once
 * per connection. */
/* The correct protocol, 2 clients × 2 messages, with these fault budgets, checked. */
static hm_config walk_world(uint16_t drops, uint16_t dups, uint16_t crashes)
{
    hm_config cfg = small("correct", 2);
    cfg.messages = 2;
    cfg.client.queue_max = 2;
    cfg.budget[HM_F_DROP] = drops;
    cfg.budget[HM_F_DUP] = dups;
    cfg.budget[HM_F_SERVER_CRASH] = crashes;
    const char *why;
    cr_assert_eq(hm_config_check(&cfg, &why), 0);
    return cfg;
}

Test(model_world, heads_only_and_one_drop_per_connection)
{
    hm_config cfg = walk_world(2, 2, 1);
    hm_world *w = calloc(1, hm_world_bytes(&cfg));
    cr_assert_not_null(w);
    uint64_t x = 88172645463325252ull; /* xorshift: the walk is the same on every run */
    uint32_t fan_deliveries = 0;
    for (int walk = 0; walk < 200; walk++) {
        cr_assert_eq(hm_world_init(w, &cfg, NULL), 0);
        for (int step = 0; step < 120; step++) {
            for (uint32_t i = 0; i < w->n_items; i++) {
                uint32_t before = 0;
                for (uint32_t j = 0; j < w->n_items; j++)
                    before += w->items[j].kind == w->items[i].kind && w->items[j].client == w->items[i].client &&
                              w->items[j].server == w->items[i].server && j < i;
                cr_assert_eq(w->items[i].pos, before, "item %u: position %u, %u ahead of it", i, w->items[i].pos, before);
            }
            hm_label l[HM_LABELS_MAX];
            uint32_t n = hm_world_enabled(w, &cfg, l, true);
            if (n == 0) break;
            uint32_t conns[HM_ITEMS_MAX], n_conns = 0;
            for (uint32_t k = 0; k < n; k++) {
                const hm_item *it = &w->items[l[k].a];
                if (l[k].kind == HM_T_DELIVER || l[k].kind == HM_T_DUP) cr_assert_eq(it->pos, 0);
                if (l[k].kind == HM_T_DELIVER && it->kind == HM_IT_FAN) fan_deliveries++;
                if (l[k].kind != HM_T_DROP) continue;
                uint32_t key = (uint32_t)it->client << 28 | (uint32_t)it->server << 24 | it->conn;
                for (uint32_t j = 0; j < n_conns; j++) cr_assert_neq(conns[j], key, "two drops of one connection");
                conns[n_conns++] = key;
            }
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            hm_world_apply(w, &cfg, l[x % n], NULL);
            cr_assert_eq(w->violation, HM_P_NONE, "the correct protocol broke on a walk: %s", hm_prop_name(w->violation));
        }
    }
    cr_assert_gt(fan_deliveries, 0, "the walks never delivered a fan-out");
    free(w);
}

/* A kill already paid for (eager network: the crash a lost reply promised, or the kill
 * of a connection whose reply was dropped) is as much a pending kill as a budget: with
 * one pending and every budget spent, no ample set may hold a step that puts an append
 * request in flight (it survives the kill, so the kill before it is a different world).
 * Random walks find such states and ask por.c about every candidate member. */
static uint32_t sreq_appends(const hm_world *w, uint8_t c)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->n_items; i++)
        n += w->items[i].kind == HM_IT_SREQ && w->items[i].client == c && w->items[i].u.req.op != HERD_STORE_OP_READ;
    return n;
}

Test(model_por, obligation_is_a_pending_kill)
{
    hm_config cfg = walk_world(1, 0, 1);
    cr_assert(cfg.s2c_eager_on);
    size_t wb = hm_world_bytes(&cfg);
    hm_world *w = calloc(1, wb), *child = calloc(1, wb);
    cr_assert(w && child);
    uint64_t x = 2463534242ull;
    uint32_t checked = 0;
    for (int walk = 0; walk < 400; walk++) {
        cr_assert_eq(hm_world_init(w, &cfg, NULL), 0);
        for (int step = 0; step < 80; step++) {
            hm_label l[HM_LABELS_MAX];
            uint32_t n = hm_world_enabled(w, &cfg, l, true);
            if (n == 0) break;
            if (w->budget[HM_F_DROP] == 0 && w->budget[HM_F_SERVER_CRASH] == 0 && hm_por_state_ok(w, &cfg))
                for (uint32_t a = 0; a < cfg.clients; a++) {
                    /* the crash kills every connection; a severed one's kill only its own */
                    bool owed = w->crashing[0] != 0 || (w->severed[0][a] == HM_SEVERED_DROP &&
                                                        w->sess[0][a].state != HERD_SESSION_CLOSED);
                    if (!owed) continue;
                    uint32_t sel[HM_LABELS_MAX];
                    uint32_t m = hm_por_candidate(w, &cfg, a, l, n, sel);
                    for (uint32_t k = 0; k < m; k++) {
                        memcpy(child, w, wb);
                        if (hm_world_apply(child, &cfg, l[sel[k]], NULL) == HM_APPLY_NA) continue;
                        if (child->violation != HM_P_NONE || sreq_appends(child, (uint8_t)a) <= sreq_appends(w, (uint8_t)a))
                            continue;
                        checked++;
                        char lab[160];
                        hm_label_format(w, &cfg, l[sel[k]], lab, sizeof lab);
                        cr_assert(!hm_por_child_ok(w, child, &cfg, a, l[sel[k]]),
                                  "walk %d step %d: '%s' puts an append in flight before an owed kill, in an ample set",
                                  walk, step, lab);
                    }
                }
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            hm_world_apply(w, &cfg, l[x % n], NULL);
        }
    }
    cr_assert_gt(checked, 0, "the walks never met an append-making step with a kill owed");
    free(w);
    free(child);
}

/* The known shortest counterexample is also found with POR on. */
Test(model_minimal, ack_before_persist_shortest_with_por)
{
    hm_config cfg = small("ack_before_persist", 1);
    hm_result r = run_por(&cfg, true);
    cr_assert_eq(r.property, HM_P_I5);
    cr_assert_eq(r.path_len, 4, "got %u", r.path_len);
    hm_result_free(&r);
}

/* Budgets are one LEB128 byte each in an encoding (subsumption and L1's budget-free proof
 * keys patch those bytes): the configuration refuses more than HM_BUDGET_MAX. */
Test(model_config, fault_budget_bound)
{
    hm_config cfg;
    hm_config_defaults(&cfg);
    cr_assert_eq(herd_protocol_parse("correct", &cfg.proto), 0);
    const char *why = NULL;
    cfg.budget[HM_F_DUP] = HM_BUDGET_MAX;
    cr_assert_eq(hm_config_check(&cfg, &why), 0);
    cfg.budget[HM_F_DUP] = HM_BUDGET_MAX + 1;
    cr_assert_neq(hm_config_check(&cfg, &why), 0);
    cr_assert_str_eq(why, "fault budgets must be 0..8");
}

/* --preallocate: the table starts at the bound's size and never grows; the search is the
 * same. */
Test(model_table, preallocated_same_search)
{
    hm_config cfg = small("correct", 2);
    cfg.budget[HM_F_SERVER_CRASH] = 1;
    hm_result r[2];
    for (int pre = 0; pre < 2; pre++) {
        hm_limits lim = {.max_memory = 64ull << 20, .symmetry = true, .liveness = true, .por = true, .subsume = true,
                         .preallocate = pre};
        cr_assert_eq(hm_explore(&cfg, &lim, &r[pre]), 0);
    }
    cr_assert_eq(r[1].verdict, HM_V_PASS);
    cr_assert_eq(r[1].states, r[0].states);
    cr_assert_eq(r[1].transitions, r[0].transitions);
    cr_assert_leq(r[1].visited_bytes, 64ull << 20, "the table starts at the bound");
    cr_assert_gt(r[1].visited_bytes, 32ull << 20, "the table starts at the bound (packed slots: within it)");
    cr_assert_lt(r[0].visited_bytes, 64ull << 20, "without it the table starts small");
    hm_result_free(&r[0]);
    hm_result_free(&r[1]);
}

/* The hash seed draws another fingerprint function (that is what makes a second search
 * an independent check of the first): every fingerprint changes, nothing else does —
 * the same figures, the same counterexample; seed 0 is plain XXH3-64 of the encoding. */
static hm_result seeded(const hm_config *cfg, uint64_t seed, observed *o)
{
    hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .liveness = true, .por = true, .subsume = true,
                     .hash_seed = seed, .observe = o ? observe : NULL, .observe_ctx = o};
    hm_result r;
    cr_assert_eq(hm_explore(cfg, &lim, &r), 0);
    if (o) bag_sort(&o->all);
    return r;
}

Test(model_fingerprint, hash_seed_changes_fingerprints_not_the_search)
{
    hm_config cfg = small("correct", 2);
    cfg.budget[HM_F_SERVER_CRASH] = 1;
    observed o[3];
    memset(o, 0, sizeof o);
    const uint64_t seeds[3] = {0, 1, 0x9e3779b97f4a7c15ull};
    hm_result r[3];
    for (int i = 0; i < 3; i++) r[i] = seeded(&cfg, seeds[i], &o[i]);
    for (int i = 1; i < 3; i++) {
        cr_assert_eq(r[i].verdict, HM_V_PASS);
        cr_assert_eq(r[i].states, r[0].states, "seed %d", i);
        cr_assert_eq(r[i].transitions, r[0].transitions, "seed %d", i);
        cr_assert_eq(r[i].live_steps, r[0].live_steps, "seed %d", i);
        cr_assert_eq(r[i].table_entries, r[0].table_entries, "seed %d", i);
        cr_assert_eq(o[i].all.n, o[0].all.n);
        cr_assert_eq(bag_missing(&o[i].all, &o[0].all), o[i].all.n, "seed %d shares a fingerprint with seed 0", i);
    }
    /* seed 0: a child of the initial state has its plain XXH3-64 fingerprint (hm_fingerprint) */
    size_t wb = hm_world_bytes(&cfg);
    hm_world *w = calloc(1, wb);
    cr_assert_eq(hm_world_init(w, &cfg, NULL), 0);
    hm_world_apply(w, &cfg, (hm_label){HM_T_PUBLISH, 0, 0, 0}, NULL);
    fpbag one = {.v = (uint64_t[]){hm_fingerprint(w, &cfg, true)}, .n = 1};
    cr_assert_eq(bag_missing(&one, &o[0].all), 0, "seed 0 is plain XXH3-64");
    cr_assert_eq(bag_missing(&one, &o[1].all), 1);
    free(w);
    for (int i = 0; i < 3; i++) {
        hm_result_free(&r[i]);
        free(o[i].all.v);
        free(o[i].terminal.v);
        free(o[i].killed.v);
    }

    hm_config bad = small("ack_before_persist", 1);
    hm_result a = seeded(&bad, 0, NULL), b = seeded(&bad, 42, NULL);
    cr_assert_eq(a.verdict, HM_V_VIOLATION);
    cr_assert_eq(b.verdict, HM_V_VIOLATION);
    cr_assert_eq(a.property, b.property);
    cr_assert_eq(a.path_len, b.path_len);
    for (uint32_t i = 0; i < a.path_len; i++)
        cr_assert(!memcmp(&a.path[i], &b.path[i], sizeof a.path[i]), "step %u differs", i);
    hm_result_free(&a);
    hm_result_free(&b);
}
