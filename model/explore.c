/* explore.c — breadth-first search with fingerprints, parent links and bounded liveness
 * (see explore.h). The hot path allocates nothing: children are built in one scratch
 * world, and the frontier and parent arrays grow by doubling, with every size checked
 * against the memory bound before it is allocated. */
#define _POSIX_C_SOURCE 200809L
#include "explore.h"

#include "canon.h"
#include "fpset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct parent_link {
    uint32_t parent; /* UINT32_MAX for the initial state */
    hm_label label;
} parent_link;

typedef struct level {
    unsigned char *worlds;
    uint32_t *index;
    uint64_t n, cap;
} level;

typedef struct search {
    const hm_config *cfg;
    const hm_limits *lim;
    hm_result *res;
    size_t wb;
    hm_fpset seen, good;  /* visited states; states L1 already proved */
    parent_link *par;
    uint64_t n_par, cap_par;
    level cur, next;
    hm_world *child, *live;
    hm_label *live_path;
    uint32_t live_len;
} search;

double hm_collision_probability(uint64_t states)
{
    double n = (double)states;
    return fmin(1.0, n * n / ldexp(1.0, 65));
}

static size_t used_bytes(const search *s)
{
    return hm_fpset_bytes(&s->seen) + hm_fpset_bytes(&s->good) + s->cap_par * sizeof(parent_link) +
           (s->cur.cap + s->next.cap) * (s->wb + sizeof(uint32_t));
}

static bool level_push(search *s, level *l, const hm_world *w, uint32_t idx)
{
    if (l->n == l->cap) {
        uint64_t cap = l->cap ? l->cap * 2u : 1024u;
        size_t add = (size_t)(cap - l->cap) * (s->wb + sizeof(uint32_t));
        if (used_bytes(s) + add > s->lim->max_memory || cap > SIZE_MAX / s->wb) return false;
        unsigned char *nw = realloc(l->worlds, (size_t)cap * s->wb);
        if (nw == NULL) return false;
        l->worlds = nw;
        uint32_t *ni = realloc(l->index, (size_t)cap * sizeof(uint32_t));
        if (ni == NULL) return false;
        l->index = ni;
        l->cap = cap;
    }
    memcpy(l->worlds + (size_t)l->n * s->wb, w, s->wb);
    l->index[l->n++] = idx;
    return true;
}

static bool add_parent(search *s, uint32_t parent, hm_label label)
{
    if (s->n_par == UINT32_MAX) return false;
    if (s->n_par == s->cap_par) {
        uint64_t cap = s->cap_par ? s->cap_par * 2u : 4096u;
        if (used_bytes(s) + (size_t)(cap - s->cap_par) * sizeof(parent_link) > s->lim->max_memory) return false;
        parent_link *np = realloc(s->par, (size_t)cap * sizeof(parent_link));
        if (np == NULL) return false;
        s->par = np;
        s->cap_par = cap;
    }
    s->par[s->n_par++] = (parent_link){parent, label};
    return true;
}

/* The path to state idx, then L1's schedule if any. */
static void build_path(search *s, uint32_t idx)
{
    uint32_t len = 0;
    for (uint32_t i = idx; s->par[i].parent != UINT32_MAX; i = s->par[i].parent) len++;
    hm_result *r = s->res;
    r->path = calloc((size_t)len + s->live_len + 1u, sizeof(hm_label));
    if (r->path == NULL) return;
    uint32_t k = len;
    for (uint32_t i = idx; s->par[i].parent != UINT32_MAX; i = s->par[i].parent) r->path[--k] = s->par[i].label;
    memcpy(r->path + len, s->live_path, s->live_len * sizeof(hm_label));
    r->path_len = len + s->live_len;
    r->live_suffix = s->live_len;
}

/* L1: from w, the fault-free deterministic schedule reaches a quiescent world where every
 * retry queue is empty and every ACKed message was delivered, within liveness_steps.
 * States already proved (s->good) end the run early. Returns HM_P_NONE or the property. */
static int live_check(search *s, const hm_world *w)
{
    const hm_config *cfg = s->cfg;
    memcpy(s->live, w, s->wb);
    s->live_len = 0;
    static uint64_t fps[100001];
    uint32_t n_fp = 0;
    for (;;) {
        uint64_t fp = hm_fingerprint(s->live, cfg, s->lim->symmetry);
        if (hm_fpset_contains(&s->good, fp)) break;
        fps[n_fp++] = fp;
        hm_label l;
        if (!hm_world_progress(s->live, cfg, &l)) {
            int p = hm_props_quiescent(s->live, cfg);
            if (p != HM_P_NONE) return p;
            break;
        }
        if (s->live_len >= cfg->liveness_steps) return HM_P_L1;
        s->live_path[s->live_len++] = l;
        hm_world_apply(s->live, cfg, l, NULL);
        s->res->live_steps++;
        /* A safety violation on the way is left to the search, which finds it at its
         * shortest depth; this run proves nothing and caches nothing. */
        if (hm_props_check(s->live, cfg) != HM_P_NONE) { s->live_len = 0; return HM_P_NONE; }
    }
    for (uint32_t i = 0; i < n_fp; i++)
        if (hm_fpset_insert(&s->good, fps[i]) == HM_FPSET_FULL) break; /* only a cache */
    s->live_len = 0;
    return HM_P_NONE;
}

/* A new state: record it, check it, queue it. Returns false when the search ends. */
static bool visit(search *s, uint32_t parent, hm_label l, const hm_world *w)
{
    hm_result *r = s->res;
    int p = hm_props_check(w, s->cfg);
    uint64_t fp = hm_fingerprint(w, s->cfg, s->lim->symmetry);
    int in = hm_fpset_insert(&s->seen, fp);
    if (in == HM_FPSET_FULL) {
        r->verdict = HM_V_LIMIT;
        snprintf(r->message, sizeof r->message, "memory bound hit (%zu bytes for the visited set): the search is incomplete",
                 hm_fpset_bytes(&s->seen));
        return false;
    }
    if (in == HM_FPSET_PRESENT && p == HM_P_NONE) return true;
    if (!add_parent(s, parent, l)) {
        r->verdict = HM_V_LIMIT;
        snprintf(r->message, sizeof r->message, "memory bound hit (parent links): the search is incomplete");
        return false;
    }
    uint32_t idx = (uint32_t)(s->n_par - 1u);
    r->states = s->seen.count;
    if (p == HM_P_NONE && s->lim->liveness && (s->cfg->props_mask & ((1u << HM_P_L1) | (1u << HM_P_I1))))
        p = live_check(s, w);
    if (p != HM_P_NONE) {
        r->verdict = p == HM_P_INTERNAL ? HM_V_ERROR : HM_V_VIOLATION;
        r->property = p;
        if (p == HM_P_INTERNAL) snprintf(r->message, sizeof r->message, "a machine returned a fatal error");
        build_path(s, idx);
        return false;
    }
    if (s->lim->max_states && r->states >= s->lim->max_states) {
        r->verdict = HM_V_LIMIT;
        snprintf(r->message, sizeof r->message, "state bound hit (--max-states %llu): the search is incomplete",
                 (unsigned long long)s->lim->max_states);
        return false;
    }
    if (!level_push(s, &s->next, w, idx)) {
        r->verdict = HM_V_LIMIT;
        snprintf(r->message, sizeof r->message, "memory bound hit (frontier of %llu worlds of %zu bytes): the search is incomplete",
                 (unsigned long long)s->next.n, s->wb);
        return false;
    }
    return true;
}

static bool expand_level(search *s)
{
    hm_label labels[HM_LABELS_MAX];
    for (uint64_t i = 0; i < s->cur.n; i++) {
        const hm_world *w = (const hm_world *)(void *)(s->cur.worlds + (size_t)i * s->wb);
        uint32_t n = hm_world_enabled(w, s->cfg, labels, true);
        for (uint32_t k = 0; k < n; k++) {
            memcpy(s->child, w, s->wb);
            hm_world_apply(s->child, s->cfg, labels[k], NULL);
            s->res->transitions++;
            if (!visit(s, s->cur.index[i], labels[k], s->child)) return false;
        }
    }
    return true;
}

static void search_free(search *s)
{
    hm_fpset_free(&s->seen);
    hm_fpset_free(&s->good);
    free(s->par);
    free(s->cur.worlds);
    free(s->cur.index);
    free(s->next.worlds);
    free(s->next.index);
    free(s->child);
    free(s->live);
    free(s->live_path);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run(search *s)
{
    hm_result *r = s->res;
    if (hm_world_init(s->child, s->cfg, NULL) != 0) {
        r->verdict = HM_V_ERROR;
        snprintf(r->message, sizeof r->message, "the initial world could not be built");
        return;
    }
    r->encoded_bytes = hm_encoded_bytes(s->child, s->cfg);
    if (!visit(s, UINT32_MAX, (hm_label){0}, s->child)) return;
    while (s->next.n > 0) {
        level t = s->cur;
        s->cur = s->next;
        s->next = t;
        s->next.n = 0;
        if (s->lim->max_depth && r->depth >= s->lim->max_depth) {
            r->verdict = HM_V_LIMIT;
            snprintf(r->message, sizeof r->message, "depth bound hit (%u): the search is incomplete", s->lim->max_depth);
            return;
        }
        size_t fb = (size_t)(s->cur.n + s->next.n) * s->wb;
        if (fb > r->frontier_peak_bytes) r->frontier_peak_bytes = fb;
        if (!expand_level(s)) return;
        if (s->next.n > 0) r->depth++;
    }
    r->verdict = HM_V_PASS;
}

int hm_explore(const hm_config *cfg, const hm_limits *lim, hm_result *res)
{
    memset(res, 0, sizeof *res);
    search s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.lim = lim;
    s.res = res;
    s.wb = hm_world_bytes(cfg);
    res->world_bytes = s.wb;
    s.child = calloc(1, s.wb);
    s.live = calloc(1, s.wb);
    s.live_path = calloc(cfg->liveness_steps + 1u, sizeof(hm_label));
    if (!s.child || !s.live || !s.live_path || hm_fpset_init(&s.seen, 16, lim->max_memory / 2) != 0 ||
        hm_fpset_init(&s.good, 16, lim->max_memory / 4) != 0) {
        search_free(&s);
        res->verdict = HM_V_ERROR;
        snprintf(res->message, sizeof res->message, "out of memory at start");
        return -1;
    }
    double t0 = now_s();
    run(&s);
    res->seconds = now_s() - t0;
    res->states = s.seen.count;
    res->visited_bytes = hm_fpset_bytes(&s.seen);
    res->parent_bytes = (size_t)s.n_par * sizeof(parent_link);
    search_free(&s);
    return 0;
}

void hm_result_free(hm_result *res)
{
    free(res->path);
    res->path = NULL;
}
