/* explore.c — breadth-first search over canonical encodings, with one fingerprint table,
 * compact parent links and memoised bounded liveness (see explore.h).
 *
 * The hot path allocates nothing: each frontier state is decoded once into `base`, each
 * enabled transition runs on a copy of it in `child`, and the child's canonical encoding
 * is both hashed and, when new, appended to the next level's byte arena. Arenas and
 * parent arrays grow by doubling, every size checked against the memory bound first. */
#define _POSIX_C_SOURCE 200809L
#include "explore.h"

#include "canon.h"
#include "fpset.h"
#include "path.h"
#include "por.h"


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

typedef struct level {
    unsigned char *buf;   /* entries: u16 length, then the encoding */
    size_t used, cap;
    uint64_t n;
    uint64_t first;       /* state index of the level's first entry */
} level;

typedef struct search {
    hm_config cfg;
    const hm_limits *lim;
    hm_result *res;
    size_t wb;
    hm_fpset seen;
    uint32_t *par;        /* parent state index, UINT32_MAX for the initial state */
    uint16_t *lab;        /* the transition from the parent, packed */
    uint64_t n_par, cap_par;
    level cur, next;
    hm_world *base, *child, *live;
    hm_world *amp[HM_LABELS_MAX]; /* children of an ample candidate (POR), allocated on demand */
    unsigned char *amp_enc[HM_LABELS_MAX]; /* their encodings, kept for visiting them */
    size_t amp_len[HM_LABELS_MAX];
    uint64_t amp_fp[HM_LABELS_MAX];
    bool por_cfg;
    hm_label *live_path;
    uint64_t *live_fp;
    uint32_t live_len;
    double enc_total;
    double t0;            /* when the search started (for --progress) */
    unsigned char enc[HM_ENC_MAX];
    unsigned char twin[HM_ENC_MAX]; /* budget subsumption's scratch */
} search;

static double now_s(void);

double hm_collision_probability(uint64_t states)
{
    double n = (double)states;
    return fmin(1.0, n * n / ldexp(1.0, 62));
}

static uint16_t label_pack(hm_label l) { return (uint16_t)(l.kind | (l.a & 63u) << 4 | (l.b & 63u) << 10); }
static hm_label label_unpack(uint16_t v) { return (hm_label){(uint8_t)(v & 15u), (uint8_t)(v >> 4 & 63u), (uint8_t)(v >> 10), 0}; }

static size_t used_bytes(const search *s)
{
    return hm_fpset_bytes(&s->seen) + s->cap_par * (sizeof(uint32_t) + sizeof(uint16_t)) + s->cur.cap + s->next.cap;
}

/* A frontier entry: 2 bytes of length, the 8-byte fingerprint, the encoding. */
#define ENTRY_HEAD 10u

static bool level_push(search *s, level *l, uint64_t fp, const unsigned char *enc, size_t len)
{
    if (l->used + len + ENTRY_HEAD > l->cap) {
        size_t cap = l->cap ? l->cap * 2u : 1u << 16;
        while (cap < l->used + len + ENTRY_HEAD) cap *= 2u;
        if (used_bytes(s) + (cap - l->cap) > s->lim->max_memory) return false;
        unsigned char *nb = realloc(l->buf, cap);
        if (nb == NULL) return false;
        l->buf = nb;
        l->cap = cap;
    }
    l->buf[l->used] = (unsigned char)(len & 0xffu);
    l->buf[l->used + 1] = (unsigned char)(len >> 8);
    memcpy(l->buf + l->used + 2, &fp, sizeof fp);
    memcpy(l->buf + l->used + ENTRY_HEAD, enc, len);
    l->used += len + ENTRY_HEAD;
    l->n++;
    return true;
}

static bool add_parent(search *s, uint32_t parent, hm_label label)
{
    if (s->n_par >= UINT32_MAX - 1u) return false;
    if (s->n_par == s->cap_par) {
        uint64_t cap = s->cap_par ? s->cap_par * 2u : 4096u;
        size_t add = (size_t)(cap - s->cap_par) * (sizeof(uint32_t) + sizeof(uint16_t));
        if (used_bytes(s) + add > s->lim->max_memory) return false;
        uint32_t *np = realloc(s->par, (size_t)cap * sizeof(uint32_t));
        if (np == NULL) return false;
        s->par = np;
        uint16_t *nl = realloc(s->lab, (size_t)cap * sizeof(uint16_t));
        if (nl == NULL) return false;
        s->lab = nl;
        s->cap_par = cap;
    }
    s->par[s->n_par] = parent;
    s->lab[s->n_par] = label_pack(label);
    s->n_par++;
    return true;
}

/* The path: the parent chain to state idx, then `last` (when its kind is not 0), then
 * L1's schedule; translated to concrete transitions (path.c). */
static void build_path(search *s, uint32_t idx, hm_label last, int property)
{
    uint32_t len = 0;
    for (uint32_t i = idx; i != UINT32_MAX && s->par[i] != UINT32_MAX; i = s->par[i]) len++;
    uint32_t extra = last.kind ? 1u : 0u;
    uint32_t n = len + extra + s->live_len;
    hm_label *canon = calloc((size_t)n + 1u, sizeof(hm_label));
    hm_result *r = s->res;
    r->path = calloc((size_t)n + 1u, sizeof(hm_label));
    if (canon == NULL || r->path == NULL) { free(canon); return; }
    uint32_t k = len;
    for (uint32_t i = idx; i != UINT32_MAX && s->par[i] != UINT32_MAX; i = s->par[i]) canon[--k] = label_unpack(s->lab[i]);
    if (extra) canon[len] = last;
    memcpy(canon + len + extra, s->live_path, s->live_len * sizeof(hm_label));
    if (hm_path_concretise(&s->cfg, s->lim->symmetry, canon, n, s->live_len, property, r->path) != 0) {
        r->verdict = HM_V_ERROR;
        snprintf(r->message, sizeof r->message,
                 "%s found, but its path does not replay on concrete worlds (a canonicalisation bug)",
                 hm_prop_name(property));
    }
    r->path_len = n;
    r->live_suffix = s->live_len;
    free(canon);
}

static uint64_t fp_of(search *s, const hm_world *w, size_t *len)
{
    *len = hm_canon_encode(w, &s->cfg, s->lim->symmetry, s->enc);
    uint64_t h = XXH3_64bits(s->enc, *len);
    return h ? h : 1u;
}

/* L1: from w, the fault-free deterministic schedule reaches a quiescent world where every
 * retry queue is empty and every ACKed message was delivered, within liveness_steps.
 * States already proved (HM_FP_LIVE) end the run early; a successful run marks all of
 * its states. Returns HM_P_NONE or the property. */
static int live_check(search *s, const hm_world *w)
{
    const hm_config *cfg = &s->cfg;
    memcpy(s->live, w, s->wb);
    s->live_len = 0;
    uint32_t n_fp = 0;
    for (;;) {
        size_t len;
        uint64_t fp = fp_of(s, s->live, &len);
        if (hm_fpset_flags(&s->seen, fp) & HM_FP_LIVE) break;
        s->live_fp[n_fp++] = fp;
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
    for (uint32_t i = 0; i < n_fp; i++) {
        uint64_t *slot = hm_fpset_slot(&s->seen, s->live_fp[i]);
        if (slot == NULL) break; /* only a cache: stop marking at the memory bound */
        *slot |= HM_FP_LIVE;
    }
    s->live_len = 0;
    return HM_P_NONE;
}

static bool limit(search *s, const char *why)
{
    s->res->verdict = HM_V_LIMIT;
    snprintf(s->res->message, sizeof s->res->message, "%s: the search is incomplete", why);
    return false;
}

static bool violation(search *s, uint32_t idx, hm_label last, int p)
{
    hm_result *r = s->res;
    r->verdict = p == HM_P_INTERNAL ? HM_V_ERROR : HM_V_VIOLATION;
    r->property = p;
    if (p == HM_P_INTERNAL) snprintf(r->message, sizeof r->message, "a machine returned a fatal error");
    build_path(s, idx, last, p);
    return false;
}

/* Budget subsumption. Fault budgets only enable faults, so a world with a larger budget
 * (component-wise) can do everything the same world with a smaller one can, and more: a
 * state whose twin with some budget restored was already visited adds no behaviour. The
 * budgets are the encoding's first HM_F_COUNT bytes (LEB128, each < 128), and a renaming
 * never changes them, so a twin's encoding is this one with those bytes patched.
 * True when some twin was visited. Only children of fully expanded states are checked
 * (visit's `subsume`): the cycle proviso reasons about the ample children it sees. */
#define DOM_TWINS_MAX 64u

static bool dominated(search *s, size_t len)
{
    if (!s->lim->subsume || len < HM_F_COUNT) return false;
    uint32_t lo[HM_F_COUNT], span[HM_F_COUNT], twins = 1;
    for (int f = 0; f < HM_F_COUNT; f++) {
        uint32_t hi = s->cfg.budget[f];
        lo[f] = s->enc[f];
        if (hi >= 128u || lo[f] > hi) return false;
        span[f] = hi - lo[f] + 1u;
        twins *= span[f];
        if (twins > DOM_TWINS_MAX) return false;
    }
    memcpy(s->twin, s->enc, len);
    for (uint32_t k = 1; k < twins; k++) { /* k = 0 is the state itself */
        uint32_t r = k;
        for (int f = 0; f < HM_F_COUNT; f++) {
            s->twin[f] = (unsigned char)(lo[f] + r % span[f]);
            r /= span[f];
        }
        uint64_t h = XXH3_64bits(s->twin, len);
        if (hm_fpset_flags(&s->seen, h ? h : 1u) & HM_FP_SEEN) return true;
    }
    return false;
}

/* A child of state `parent` by l: check it, and record and queue it when new. Returns
 * false when the search ends. */
static bool visit_encoded(search *s, uint32_t parent, hm_label l, const hm_world *w, bool subsume, uint64_t fp,
                          size_t len);

static bool visit(search *s, uint32_t parent, hm_label l, const hm_world *w, bool subsume)
{
    size_t len;
    uint64_t fp = fp_of(s, w, &len);
    return visit_encoded(s, parent, l, w, subsume, fp, len);
}

/* visit, with w's canonical encoding already in s->enc (len bytes, fingerprint fp). */
static bool visit_encoded(search *s, uint32_t parent, hm_label l, const hm_world *w, bool subsume, uint64_t fp,
                          size_t len)
{
    int p = hm_props_check(w, &s->cfg);
    if (p != HM_P_NONE) { s->live_len = 0; return violation(s, parent, l, p); }
    if (s->lim->observe) s->lim->observe(s->lim->observe_ctx, fp, l, false);
    uint32_t own = hm_fpset_flags(&s->seen, fp);
    if (own & HM_FP_SEEN) return true;
    if (subsume && dominated(s, len)) { s->res->subsumed++; return true; }
    uint64_t *slot = hm_fpset_slot(&s->seen, fp);
    if (slot == NULL) return limit(s, "memory bound hit (fingerprint table)");
    bool proved = (*slot & HM_FP_LIVE) != 0;
    *slot |= HM_FP_SEEN | HM_FP_NEXT;
    s->res->states++;
    if (!add_parent(s, parent, l)) return limit(s, "memory bound hit (parent links)");
    uint32_t idx = (uint32_t)(s->n_par - 1u);
    s->enc_total += (double)len;
    if (!level_push(s, &s->next, fp, s->enc, len)) {
        char why[160];
        snprintf(why, sizeof why, "memory bound hit (frontier of %llu states)", (unsigned long long)s->next.n);
        return limit(s, why);
    }
    if (!proved && s->lim->liveness && (s->cfg.props_mask & ((1u << HM_P_L1) | (1u << HM_P_I1)))) {
        p = live_check(s, w);
        if (p != HM_P_NONE) return violation(s, idx, (hm_label){0}, p);
    }
    if (s->lim->max_states && s->res->states >= s->lim->max_states) {
        char why[160];
        snprintf(why, sizeof why, "state bound hit (--max-states %llu)", (unsigned long long)s->lim->max_states);
        return limit(s, why);
    }
    return true;
}

/* Decode one frontier entry into base (and, for tests, check it encodes back the same). */
static bool load(search *s, const unsigned char *e, size_t len)
{
    if (hm_canon_decode(s->base, &s->cfg, e, len) != 0) return false;
    if (!s->lim->selfcheck) return true;
    size_t len2 = hm_canon_encode(s->base, &s->cfg, s->lim->symmetry, s->enc);
    return len2 == len && memcmp(s->enc, e, len) == 0;
}

/* Partial-order reduction: the first actor whose candidate ample set passes every check
 * (each child changes nothing another actor reads, and none was seen before: the cycle
 * proviso) is expanded alone. Returns 1 when expanded, 0 for a full expansion, -1 when
 * the search ends. */
static int expand_ample(search *s, uint32_t parent, const hm_label *labels, uint32_t n)
{
    if (n < 2 || !hm_por_state_ok(s->base, &s->cfg)) return 0;
    uint32_t sel[HM_LABELS_MAX];
    for (uint32_t a = 0; a < HM_POR_ACTORS; a++) {
        uint32_t m = hm_por_candidate(s->base, &s->cfg, a, labels, n, sel);
        if (m == 0) continue;
        bool ok = true;
        for (uint32_t k = 0; k < m && ok; k++) {
            if (s->amp[k] == NULL && (s->amp[k] = malloc(s->wb)) == NULL) return 0;
            memcpy(s->amp[k], s->base, s->wb);
            if (hm_world_apply(s->amp[k], &s->cfg, labels[sel[k]], NULL) == HM_APPLY_NA) {
                /* not a transition here: drop it from the set */
                sel[k] = sel[m - 1u];
                m--;
                k--;
                continue;
            }
            s->res->transitions++;
            if (!hm_por_child_ok(s->base, s->amp[k], &s->cfg, a, labels[sel[k]])) { ok = false; break; }
            /* C3 for BFS: a child at this level or an earlier one (seen, and not first
             * reached during this level's expansion) could close a cycle. The encoding is
             * kept for visiting the child. */
            s->amp_fp[k] = fp_of(s, s->amp[k], &s->amp_len[k]);
            if (s->amp_enc[k] == NULL && (s->amp_enc[k] = malloc(HM_ENC_MAX)) == NULL) return 0;
            memcpy(s->amp_enc[k], s->enc, s->amp_len[k]);
            uint32_t f = hm_fpset_flags(&s->seen, s->amp_fp[k]);
            if ((f & HM_FP_SEEN) && !(f & HM_FP_NEXT)) { ok = false; s->res->proviso++; }
        }
        if (!ok) continue;
        s->res->reduced++;
        if (m == 0) continue;
        for (uint32_t k = 0; k < m; k++) {
            memcpy(s->enc, s->amp_enc[k], s->amp_len[k]);
            if (!visit_encoded(s, parent, labels[sel[k]], s->amp[k], false, s->amp_fp[k], s->amp_len[k])) return -1;
        }
        return 1;
    }
    return 0;
}

static bool expand_level(search *s)
{
    hm_label labels[HM_LABELS_MAX];
    size_t off = 0;
    /* The level's states are now the current level: no longer "next" for the proviso. */
    for (uint64_t i = 0; i < s->cur.n; i++) {
        size_t len = (size_t)s->cur.buf[off] | (size_t)s->cur.buf[off + 1] << 8;
        uint64_t fp;
        memcpy(&fp, s->cur.buf + off + 2, sizeof fp);
        uint64_t *slot = hm_fpset_find(&s->seen, fp);
        if (slot) *slot &= ~(uint64_t)HM_FP_NEXT;
        off += len + ENTRY_HEAD;
    }
    off = 0;
    for (uint64_t i = 0; i < s->cur.n; i++) {
        size_t len = (size_t)s->cur.buf[off] | (size_t)s->cur.buf[off + 1] << 8;
        if (!load(s, s->cur.buf + off + ENTRY_HEAD, len)) {
            s->res->verdict = HM_V_ERROR;
            snprintf(s->res->message, sizeof s->res->message, "a frontier state did not decode (canon.c bug)");
            return false;
        }
        off += len + ENTRY_HEAD;
        uint32_t parent = (uint32_t)(s->cur.first + i);
        uint32_t n = hm_world_enabled(s->base, &s->cfg, labels, true);
        if (n == 0 && s->lim->observe) {
            uint64_t fp;
            memcpy(&fp, s->cur.buf + off - len - ENTRY_HEAD + 2, sizeof fp);
            s->lim->observe(s->lim->observe_ctx, fp, (hm_label){0}, true);
        }
        int r = s->por_cfg ? expand_ample(s, parent, labels, n) : 0;
        if (r < 0) return false;
        if (r > 0) continue;
        for (uint32_t k = 0; k < n; k++) {
            memcpy(s->child, s->base, s->wb);
            if (hm_world_apply(s->child, &s->cfg, labels[k], NULL) == HM_APPLY_NA) continue;
            s->res->transitions++;
            if (!visit(s, parent, labels[k], s->child, true)) return false;
        }
    }
    return true;
}

static void search_free(search *s)
{
    hm_fpset_free(&s->seen);
    free(s->par);
    free(s->lab);
    free(s->cur.buf);
    free(s->next.buf);
    free(s->base);
    free(s->child);
    free(s->live);
    free(s->live_path);
    free(s->live_fp);
    for (uint32_t k = 0; k < HM_LABELS_MAX; k++) {
        free(s->amp[k]);
        free(s->amp_enc[k]);
    }
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
    if (hm_world_init(s->child, &s->cfg, NULL) != 0) {
        r->verdict = HM_V_ERROR;
        snprintf(r->message, sizeof r->message, "the initial world could not be built");
        return;
    }
    memcpy(s->base, s->child, s->wb); /* constants for decoding */
    memcpy(s->live, s->child, s->wb);
    r->encoded_bytes = hm_encoded_bytes(s->child, &s->cfg);
    if (!visit(s, UINT32_MAX, (hm_label){0}, s->child, false)) return;
    while (s->next.n > 0) {
        level t = s->cur;
        s->cur = s->next;
        s->next = t;
        s->next.n = 0;
        s->next.used = 0;
        s->next.first = s->cur.first + s->cur.n;
        if (s->lim->max_depth && r->depth >= s->lim->max_depth) {
            char why[96];
            snprintf(why, sizeof why, "depth bound hit (%u)", s->lim->max_depth);
            limit(s, why);
            return;
        }
        size_t fb = s->cur.cap + s->next.cap;
        if (fb > r->frontier_peak_bytes) r->frontier_peak_bytes = fb;
        if (!expand_level(s)) return;
        if (s->next.n > 0) r->depth++;
        if (s->lim->progress && s->next.n > 0)
            fprintf(stderr, "level %u: %llu states (%llu new), %llu transitions, %.1f s\n", r->depth,
                    (unsigned long long)r->states, (unsigned long long)s->next.n,
                    (unsigned long long)r->transitions, now_s() - s->t0);
    }
    r->verdict = HM_V_PASS;
}

/* A reduced search's first violation is the shallowest in the reduced graph, not always
 * in the whole one (an ample set may postpone the step that leads there soonest). The
 * whole graph holds the reduced path, so an unreduced search bounded to its depth finds
 * a violation at that depth or less: its path replaces the reduced one, and the figures
 * stay those of the reduced search. */
static void shortest(const hm_config *cfg, const hm_limits *lim, hm_result *res)
{
    hm_limits l2 = *lim;
    l2.por = false;
    l2.progress = false;
    l2.max_depth = res->path_len - res->live_suffix;
    hm_result r2;
    if (hm_explore(cfg, &l2, &r2) != 0) return;
    if (r2.verdict == HM_V_VIOLATION && r2.path_len - r2.live_suffix <= l2.max_depth) {
        res->shortened = res->path_len - res->live_suffix - (r2.path_len - r2.live_suffix);
        res->shorten_states = r2.states;
        res->property = r2.property;
        free(res->path);
        res->path = r2.path;
        res->path_len = r2.path_len;
        res->live_suffix = r2.live_suffix;
        r2.path = NULL;
    }
    hm_result_free(&r2);
}

int hm_explore(const hm_config *cfg, const hm_limits *lim, hm_result *res)
{
    memset(res, 0, sizeof *res);
    search *s = calloc(1, sizeof *s);
    if (s == NULL) return -1;
    s->cfg = *cfg;
    hm_config_derive(&s->cfg); /* the budget may have changed since hm_config_check */
    s->lim = lim;
    s->res = res;
    s->por_cfg = lim->por && hm_por_config_ok(&s->cfg);
    s->wb = hm_world_bytes(cfg);
    res->world_bytes = s->wb;
    s->base = calloc(1, s->wb);
    s->child = calloc(1, s->wb);
    s->live = calloc(1, s->wb);
    s->live_path = calloc(cfg->liveness_steps + 1u, sizeof(hm_label));
    s->live_fp = calloc(cfg->liveness_steps + 2u, sizeof(uint64_t));
    if (!s->base || !s->child || !s->live || !s->live_path || !s->live_fp ||
        hm_fpset_init(&s->seen, 16, lim->max_memory / 2) != 0) {
        search_free(s);
        free(s);
        res->verdict = HM_V_ERROR;
        snprintf(res->message, sizeof res->message, "out of memory at start");
        return -1;
    }
    s->t0 = now_s();
    run(s);
    res->seconds = now_s() - s->t0;
    res->table_entries = s->seen.count;
    res->visited_bytes = hm_fpset_bytes(&s->seen);
    res->parent_bytes = (size_t)s->n_par * (sizeof(uint32_t) + sizeof(uint16_t));
    res->encoded_mean = res->states ? s->enc_total / (double)res->states : 0.0;
    bool shorten = s->por_cfg && res->verdict == HM_V_VIOLATION && res->path_len > res->live_suffix;
    search_free(s);
    free(s);
    if (shorten) shortest(cfg, lim, res);
    return 0;
}

void hm_result_free(hm_result *res)
{
    free(res->path);
    res->path = NULL;
}
