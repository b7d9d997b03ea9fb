/* explore.c — breadth-first search over canonical encodings, with one fingerprint table,
 * parent links and BFS levels in temporary files, worker threads, and memoised bounded
 * liveness (see explore.h).
 *
 * The hot path allocates nothing: each frontier state is decoded once into a worker's
 * `base`, each enabled transition runs on a copy of it, and the child's canonical
 * encoding is both hashed and, when new, appended to the next level's file. In memory:
 * the fingerprint table (bounded by --max-memory) and a batch of the current level. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore.h"

#include "canon.h"
#include "checkpoint.h"
#include "fpset.h"
#include "path.h"
#include "por.h"


#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* A BFS level, in a temporary file: entries of a 2-byte length, the 8-byte fingerprint
 * and the encoding, written in order and read back in order, a batch at a time (the
 * levels of a large model are gigabytes; the page cache keeps small ones in memory). */
#define BATCH_MAX 512u /* = BATCH, CHUNK below (declared before the search struct) */
#define CHUNK_MIN 8u

typedef struct level {
    FILE *f;
    uint64_t bytes;       /* written */
    uint64_t n;
    uint64_t first;       /* state index of the level's first entry */
} level;

typedef struct search {
    hm_config cfg;
    const hm_limits *lim;
    hm_result *res;
    size_t wb;
    hm_fpset seen;
    FILE *parents;        /* per state: 4-byte parent index (UINT32_MAX for the initial
                             state) and 2-byte packed transition, in a temporary file */
    uint64_t n_par;
    level cur, next;
    hm_world *child, *live;  /* the initial world; L1's scratch on the calling thread */
    bool por_cfg;
    uint32_t n_workers;
    struct worker *wk;    /* n_workers of them; wk[0] runs on the calling thread */
    struct hm_barrier *go, *done;
    bool stop;
    int phase;            /* what the workers run next: 1 or 3 */
    size_t *offs;         /* a batch's entry offsets in bbuf */
    uint32_t batch_n, n_chunks;
    _Atomic uint32_t next_chunk;
    _Atomic size_t next_pend;
    uint32_t chunk_w[BATCH_MAX / CHUNK_MIN];   /* the worker that expanded chunk c */
    size_t chunk_rec[BATCH_MAX / CHUNK_MIN], chunk_end[BATCH_MAX / CHUNK_MIN]; /* its records */
    unsigned char *bbuf;  /* the batch's entries, read from the current level */
    size_t cap_bbuf;
    struct lpend *pend;   /* phase 2's new states that need L1 */
    size_t n_pend, cap_pend;
    int held;             /* a safety violation phase 2 met, reported after the L1 runs before it */
    uint32_t held_parent;
    hm_label held_label;
    hm_label *live_path;
    uint64_t *live_fp;
    uint32_t live_len;
    double enc_total;
    double t0;            /* when the search started (for --progress) */
    double t_note;        /* when --progress last printed a line inside a level */
    bool bad_resume;      /* the checkpoint to resume from was refused */
    unsigned char enc[HM_ENC_MAX];
} search;

static double now_s(void);

double hm_collision_probability(uint64_t states)
{
    double n = (double)states;
    return fmin(1.0, n * n / ldexp(1.0, 62));
}

static uint16_t label_pack(hm_label l) { return (uint16_t)(l.kind | (l.a & 63u) << 4 | (l.b & 63u) << 10); }
static hm_label label_unpack(uint16_t v) { return (hm_label){(uint8_t)(v & 15u), (uint8_t)(v >> 4 & 63u), (uint8_t)(v >> 10), 0}; }

/* A frontier entry: 2 bytes of length, the 8-byte fingerprint, the encoding. */
#define ENTRY_HEAD 10u
#define PARENT_BYTES HM_PARENT_BYTES /* checkpoint.h: the checkpoint copies them */

static FILE *temp_file(void)
{
    FILE *f = tmpfile();
    if (f != NULL) setvbuf(f, NULL, _IOFBF, 1u << 20);
    return f;
}

static bool level_push(search *s, level *l, uint64_t fp, const unsigned char *enc, size_t len)
{
    (void)s;
    unsigned char head[ENTRY_HEAD];
    head[0] = (unsigned char)(len & 0xffu);
    head[1] = (unsigned char)(len >> 8);
    memcpy(head + 2, &fp, sizeof fp);
    if (fwrite(head, 1, ENTRY_HEAD, l->f) != ENTRY_HEAD || fwrite(enc, 1, len, l->f) != len) return false;
    l->bytes += len + ENTRY_HEAD;
    l->n++;
    return true;
}

/* The next entry of a level being read: its length and fingerprint, the encoding into
 * out (HM_ENC_MAX bytes). False at a read error or a torn entry. */
static bool level_read(level *l, size_t *len, uint64_t *fp, unsigned char *out)
{
    unsigned char head[ENTRY_HEAD];
    if (fread(head, 1, ENTRY_HEAD, l->f) != ENTRY_HEAD) return false;
    *len = (size_t)head[0] | (size_t)head[1] << 8;
    memcpy(fp, head + 2, sizeof *fp);
    return *len <= HM_ENC_MAX && fread(out, 1, *len, l->f) == *len;
}

static bool add_parent(search *s, uint32_t parent, hm_label label)
{
    if (s->n_par >= UINT32_MAX - 1u) return false;
    unsigned char rec[PARENT_BYTES];
    uint16_t l = label_pack(label);
    memcpy(rec, &parent, 4);
    memcpy(rec + 4, &l, 2);
    if (fwrite(rec, 1, PARENT_BYTES, s->parents) != PARENT_BYTES) return false;
    s->n_par++;
    return true;
}

/* The parent link of state i (read back from the file: only paths need them). */
static bool get_parent(search *s, uint32_t i, uint32_t *parent, hm_label *label)
{
    unsigned char rec[PARENT_BYTES];
    if (fseeko(s->parents, (off_t)i * PARENT_BYTES, SEEK_SET) != 0 || fread(rec, 1, PARENT_BYTES, s->parents) != PARENT_BYTES)
        return false;
    uint16_t l;
    memcpy(parent, rec, 4);
    memcpy(&l, rec + 4, 2);
    *label = label_unpack(l);
    return fseeko(s->parents, 0, SEEK_END) == 0;
}

/* The path: the parent chain to state idx, then `last` (when its kind is not 0), then
 * L1's schedule; translated to concrete transitions (path.c). */
static void build_path(search *s, uint32_t idx, hm_label last, int property)
{
    uint32_t len = 0, par;
    hm_label lab;
    for (uint32_t i = idx; i != UINT32_MAX; i = par) {
        if (!get_parent(s, i, &par, &lab)) { par = UINT32_MAX; break; }
        if (par != UINT32_MAX) len++;
    }
    uint32_t extra = last.kind ? 1u : 0u;
    uint32_t n = len + extra + s->live_len;
    hm_label *canon = calloc((size_t)n + 1u, sizeof(hm_label));
    hm_result *r = s->res;
    r->path = calloc((size_t)n + 1u, sizeof(hm_label));
    if (canon == NULL || r->path == NULL) { free(canon); return; }
    uint32_t k = len;
    for (uint32_t i = idx; i != UINT32_MAX && k > 0; i = par) {
        if (!get_parent(s, i, &par, &lab) || par == UINT32_MAX) break;
        canon[--k] = lab;
    }
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

/* A state's fingerprint: XXH3-64 of its canonical encoding, with the search's hash seed
 * (seed 0 is plain XXH3-64), never 0 (0 marks an empty slot). Every fingerprint the table
 * holds comes from here, so a search with another seed is an independent draw of the hash
 * function: what a collision hid in one search it almost surely did not hide in the other. */
static uint64_t fp_hash(const search *s, const unsigned char *enc, size_t len)
{
    uint64_t h = XXH3_64bits_withSeed(enc, len, s->lim->hash_seed);
    return h ? h : 1u;
}

static uint64_t fp_of(search *s, const hm_world *w, size_t *len)
{
    *len = hm_canon_encode(w, &s->cfg, s->lim->symmetry, s->enc);
    return fp_hash(s, s->enc, *len);
}

/* L1's proofs are kept under the fingerprint of the state with its fault budgets set to 0:
 * the fault-free schedule never reads a budget (no fault, no variant), so every budget twin
 * has the same L1 verdict and one proof serves them all. The budgets are the encoding's
 * first HM_F_COUNT bytes (one LEB128 byte each: hm_config_check keeps them below 128). */
static uint64_t live_key(const search *s, const unsigned char *enc, size_t len)
{
    unsigned char tmp[HM_ENC_MAX];
    memcpy(tmp, enc, len);
    memset(tmp, 0, len < HM_F_COUNT ? len : HM_F_COUNT);
    return fp_hash(s, tmp, len);
}

/* One L1 run: from w (copied into the scratch world live, enc the encoder's scratch), the
 * fault-free deterministic schedule must reach a quiescent world where every retry queue
 * is empty and every ACKed message was delivered, within liveness_steps. States already
 * proved (HM_FP_LIVE under live_key) end the run early. The run records the keys of the
 * states it passed (keys, *n_keys) and, when path is not NULL, its labels (*n_path).
 * Returns the property, or HM_P_NONE with *proves false when a safety violation on the way
 * leaves the matter to the search (which finds it at its shortest depth): such a run
 * proves nothing. The table is only read. */
static int live_run(const search *s, hm_world *live, const hm_world *w, unsigned char *enc, hm_label *path,
                    uint32_t *n_path, uint64_t *keys, uint32_t *n_keys, uint64_t *steps_done, bool *proves)
{
    const hm_config *cfg = &s->cfg;
    memcpy(live, w, s->wb);
    uint32_t steps = 0;
    *n_keys = 0;
    *proves = true;
    for (;;) {
        size_t len = hm_canon_encode(live, cfg, s->lim->symmetry, enc);
        uint64_t key = live_key(s, enc, len);
        if (hm_fpset_flags(&s->seen, key) & HM_FP_LIVE) break;
        keys[(*n_keys)++] = key;
        hm_label l;
        if (!hm_world_progress(live, cfg, &l)) {
            int p = hm_props_quiescent(live, cfg);
            if (p != HM_P_NONE) { if (n_path) *n_path = steps; return p; }
            break;
        }
        if (steps >= cfg->liveness_steps) {
            /* Out of steps short of rest: L1 fails, if it is checked; if only I1 is, its
             * delivery half cannot be judged on this path, which then proves nothing. */
            if (cfg->props_mask & (1u << HM_P_L1)) { if (n_path) *n_path = steps; return HM_P_L1; }
            *proves = false;
            break;
        }
        if (path) path[steps] = l;
        steps++;
        hm_world_apply(live, cfg, l, NULL);
        (*steps_done)++;
        if (hm_props_check(live, cfg) != HM_P_NONE) { *proves = false; break; }
    }
    if (n_path) *n_path = 0;
    return HM_P_NONE;
}

/* L1 on the calling thread, marking what a successful run proves; the path is left in
 * s->live_path (s->live_len labels) when it fails. */
static int live_check(search *s, const hm_world *w)
{
    uint32_t n_fp = 0;
    bool proves;
    int p = live_run(s, s->live, w, s->enc, s->live_path, &s->live_len, s->live_fp, &n_fp, &s->res->live_steps, &proves);
    if (p != HM_P_NONE || !proves) return p;
    for (uint32_t i = 0; i < n_fp; i++) {
        uint64_t *slot = hm_fpset_slot(&s->seen, s->live_fp[i]);
        if (slot == NULL) break; /* only a cache: stop marking at the memory bound */
        *slot |= HM_FP_LIVE;
    }
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

static bool dominated_enc(const search *s, const unsigned char *enc, size_t len, unsigned char *twin)
{
    if (!s->lim->subsume || len < HM_F_COUNT) return false;
    uint32_t lo[HM_F_COUNT], span[HM_F_COUNT], twins = 1;
    for (int f = 0; f < HM_F_COUNT; f++) {
        uint32_t hi = s->cfg.budget[f];
        lo[f] = enc[f];
        if (hi >= 128u || lo[f] > hi) return false;
        span[f] = hi - lo[f] + 1u;
        twins *= span[f];
        if (twins > DOM_TWINS_MAX) return false;
    }
    memcpy(twin, enc, len);
    uint64_t h[DOM_TWINS_MAX];
    for (uint32_t k = 1; k < twins; k++) { /* k = 0 is the state itself */
        uint32_t r = k;
        for (int f = 0; f < HM_F_COUNT; f++) {
            twin[f] = (unsigned char)(lo[f] + r % span[f]);
            r /= span[f];
        }
        h[k] = fp_hash(s, twin, len);
        hm_fpset_prefetch(&s->seen, h[k]); /* the probes below then overlap */
    }
    for (uint32_t k = 1; k < twins; k++)
        if (hm_fpset_flags(&s->seen, h[k]) & HM_FP_SEEN) return true;
    return false;
}

/* The initial state: checked, recorded, queued, and L1 run from it. */
static bool visit_initial(search *s, const hm_world *w)
{
    size_t len;
    uint64_t fp = fp_of(s, w, &len);
    int p = hm_props_check(w, &s->cfg);
    if (p != HM_P_NONE) { s->live_len = 0; return violation(s, UINT32_MAX, (hm_label){0}, p); }
    if (s->lim->observe) s->lim->observe(s->lim->observe_ctx, fp, (hm_label){0}, false);
    uint64_t *slot = hm_fpset_slot(&s->seen, fp);
    if (slot == NULL) return limit(s, "memory bound hit (fingerprint table)");
    *slot |= HM_FP_SEEN | HM_FP_NEXT;
    s->res->states++;
    if (!add_parent(s, UINT32_MAX, (hm_label){0}))
        return limit(s, "the parent links' temporary file could not be written (disk full?)");
    s->enc_total += (double)len;
    if (!level_push(s, &s->next, fp, s->enc, len))
        return limit(s, "the frontier's temporary file could not be written (disk full?)");
    if (s->lim->liveness && (s->cfg.props_mask & ((1u << HM_P_L1) | (1u << HM_P_I1)))) {
        p = live_check(s, w);
        if (p != HM_P_NONE) return violation(s, 0, (hm_label){0}, p);
    }
    return true;
}

/* ---- expanding a level: batches of four phases ---------------------------------------
 *
 * A level is expanded in batches of BATCH states (docs/model-checking.md, "Workers").
 * Phase 1, on every worker: chunks of CHUNK states handed out in turn; decode, choose the
 * ample set or take every enabled transition, and for each child its encoding,
 * fingerprint and safety check, dropping children visited before the batch or subsumed
 * by a twin visited before it, keeping the world of a new one for L1. Phase 2, on the
 * calling thread, over the children in state order: the table, parent links, the next
 * level; a safety violation is held. Phase 3, on every worker: L1 from each new state.
 * Phase 4, in order: the first L1 failure, else the held violation; L1's proofs marked.
 * Workers only read the table (phases 1 and 3) while nobody writes it (phases 2 and 4),
 * and what they read depends on the batch, not on how it was shared: every figure and
 * every path is the same for any number of workers. */
#define BATCH 512u
#define CHUNK 8u  /* states handed to a worker at a time */
_Static_assert(BATCH == BATCH_MAX && CHUNK == CHUNK_MIN, "the chunk table is sized by BATCH_MAX / CHUNK_MIN");

/* A barrier whose party count can shrink before first use (a thread that failed to
 * start): pthread_barrier_t cannot. */
typedef struct hm_barrier {
    pthread_mutex_t m;
    pthread_cond_t c;
    uint32_t count, arrived, gen;
} hm_barrier;

static void bar_wait(hm_barrier *b)
{
    pthread_mutex_lock(&b->m);
    uint32_t g = b->gen;
    if (++b->arrived >= b->count) {
        b->arrived = 0;
        b->gen++;
        pthread_cond_broadcast(&b->c);
    } else {
        while (g == b->gen) pthread_cond_wait(&b->c, &b->m);
    }
    pthread_mutex_unlock(&b->m);
}

static hm_barrier *bar_new(uint32_t count)
{
    hm_barrier *b = calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    pthread_mutex_init(&b->m, NULL);
    pthread_cond_init(&b->c, NULL);
    b->count = count;
    return b;
}

static void bar_free(hm_barrier *b)
{
    if (b == NULL) return;
    pthread_mutex_destroy(&b->m);
    pthread_cond_destroy(&b->c);
    free(b);
}

enum { CR_TERMINAL = 1u, CR_SUBSUME = 2u, CR_OBSERVE = 4u /* seen before the batch: for the observer only */ };
#define NO_WORLD UINT64_MAX

/* A new state whose L1 runs in phase 3: the record, where its result goes. */
typedef struct lpend {
    uint32_t w;                /* the worker holding the record */
    uint32_t by;               /* the worker that ran L1 (its mark arena) */
    uint64_t rec;
    uint64_t marks_off;
    uint32_t n_marks;
    uint32_t idx;              /* the state's index */
    int prop;                  /* L1's verdict */
} lpend;

typedef struct crec {          /* one child (or a terminal state), from phase 1 */
    uint64_t fp;
    uint64_t enc_off;          /* in the worker's byte arena */
    uint64_t world_off;        /* in the worker's world arena (children not visited before the batch), or NO_WORLD */
    uint32_t parent;
    uint16_t len;
    uint8_t prop;              /* safety property the child violates, or 0 */
    uint8_t flags;
    hm_label l;
} crec;

typedef struct worker {
    search *s;
    hm_world *base, *child, *live;
    hm_world *amp[HM_LABELS_MAX]; /* children of an ample candidate (POR), allocated on demand */
    unsigned char *amp_enc[HM_LABELS_MAX]; /* their encodings, kept for recording them */
    size_t amp_len[HM_LABELS_MAX];
    uint64_t amp_fp[HM_LABELS_MAX];
    unsigned char enc[HM_ENC_MAX];
    unsigned char twin[HM_ENC_MAX]; /* budget subsumption's scratch */
    uint64_t *live_fp;         /* an L1 run's keys */
    crec *rec;
    size_t n_rec, cap_rec;
    unsigned char *bytes;
    size_t n_bytes, cap_bytes;
    uint64_t *marks;
    size_t n_marks, cap_marks;
    unsigned char *worlds;     /* child worlds kept for L1 */
    size_t n_worlds, cap_worlds;
    uint64_t batch_first;      /* level index of the batch's first state */
    uint64_t transitions, reduced, proviso, live_steps, subsumed;
    bool bad, oom;
    pthread_t th;
} worker;

static bool grow_arena(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 1024u;
    while (c < need) c *= 2u;
    void *n = realloc(*p, c * elem);
    if (n == NULL) return false;
    *p = n;
    *cap = c;
    return true;
}

static uint64_t wk_fp(worker *wk, const hm_world *w, size_t *len)
{
    *len = hm_canon_encode(w, &wk->s->cfg, wk->s->lim->symmetry, wk->enc);
    return fp_hash(wk->s, wk->enc, *len);
}

/* L1 on a worker: the proved states are appended to the mark arena (*n_marks of them)
 * for phase 4 to mark. Returns HM_P_NONE or the property. */
static int live_try(worker *wk, const hm_world *w, uint32_t *n_marks)
{
    uint32_t n_fp = 0;
    bool proves;
    *n_marks = 0;
    int p = live_run(wk->s, wk->live, w, wk->enc, NULL, NULL, wk->live_fp, &n_fp, &wk->live_steps, &proves);
    if (p != HM_P_NONE || !proves || n_fp == 0) return p;
    if (!grow_arena((void **)&wk->marks, &wk->cap_marks, wk->n_marks + n_fp, sizeof(uint64_t))) {
        wk->oom = true;
        return HM_P_NONE;
    }
    memcpy(wk->marks + wk->n_marks, wk->live_fp, n_fp * sizeof(uint64_t));
    *n_marks = n_fp;
    return HM_P_NONE;
}

/* Record a child (its encoding in enc). A child visited before
 * the batch, or whose twin with more budget was, is dropped here (phase 2 would drop it:
 * the table only grows); the observer still hears of the first kind. */
static void emit(worker *wk, uint32_t entry, hm_label l, const hm_world *w, uint64_t fp, const unsigned char *enc,
                 size_t len, uint8_t flags)
{
    search *s = wk->s;
    uint8_t prop = HM_P_NONE;
    uint32_t f = 0;
    if (!(flags & CR_TERMINAL)) {
        f = hm_fpset_flags(&s->seen, fp);
        if (f & HM_FP_SEEN) {
            if (s->lim->observe == NULL) return;
            flags |= CR_OBSERVE;
        } else {
            prop = (uint8_t)hm_props_check(w, &s->cfg);
            if (prop == HM_P_NONE && (flags & CR_SUBSUME) && dominated_enc(s, enc, len, wk->twin)) {
                wk->subsumed++;
                return;
            }
        }
    }
    if (!grow_arena((void **)&wk->rec, &wk->cap_rec, wk->n_rec + 1u, sizeof(crec)) ||
        !grow_arena((void **)&wk->bytes, &wk->cap_bytes, wk->n_bytes + len, 1u)) {
        wk->oom = true;
        return;
    }
    crec *r = &wk->rec[wk->n_rec++];
    memset(r, 0, sizeof *r);
    r->world_off = NO_WORLD;
    r->fp = fp;
    r->enc_off = wk->n_bytes;
    r->len = (uint16_t)len;
    r->l = l;
    r->parent = (uint32_t)(s->cur.first + wk->batch_first + entry);
    r->flags = flags;
    if (len > 0) memcpy(wk->bytes + wk->n_bytes, enc, len);
    wk->n_bytes += len;
    if (flags & (CR_TERMINAL | CR_OBSERVE)) return;
    r->prop = prop;
    if (r->prop != HM_P_NONE) return;
    if (!s->lim->liveness || !(s->cfg.props_mask & ((1u << HM_P_L1) | (1u << HM_P_I1)))) return;
    if (hm_fpset_flags(&s->seen, live_key(s, enc, len)) & HM_FP_LIVE) return; /* proved already */
    if (!grow_arena((void **)&wk->worlds, &wk->cap_worlds, (wk->n_worlds + 1u) * s->wb, 1u)) {
        wk->oom = true;
        return;
    }
    r->world_off = wk->n_worlds * s->wb;
    memcpy(wk->worlds + r->world_off, w, s->wb);
    wk->n_worlds++;
}

/* Decode one frontier entry into the worker's base (tests: check it encodes back the same). */
static bool load(worker *wk, const unsigned char *e, size_t len)
{
    search *s = wk->s;
    if (hm_canon_decode(wk->base, &s->cfg, e, len) != 0) return false;
    if (!s->lim->selfcheck) return true;
    size_t len2 = hm_canon_encode(wk->base, &s->cfg, s->lim->symmetry, wk->enc);
    return len2 == len && memcmp(wk->enc, e, len) == 0;
}

/* Partial-order reduction: the first actor whose candidate ample set passes every check
 * (each child changes nothing another actor reads, and none was seen before: the cycle
 * proviso) is expanded alone. Returns 1 when expanded, 0 for a full expansion. */
static int expand_ample(worker *wk, uint32_t entry, const hm_label *labels, uint32_t n)
{
    search *s = wk->s;
    if (n < 2 || !hm_por_state_ok(wk->base, &s->cfg)) return 0;
    uint32_t sel[HM_LABELS_MAX];
    for (uint32_t a = 0; a < HM_POR_ACTORS; a++) {
        uint32_t m = hm_por_candidate(wk->base, &s->cfg, a, labels, n, sel);
        if (m == 0) continue;
        bool ok = true;
        for (uint32_t k = 0; k < m && ok; k++) {
            if (wk->amp[k] == NULL && (wk->amp[k] = malloc(s->wb)) == NULL) { wk->oom = true; return 0; }
            memcpy(wk->amp[k], wk->base, s->wb);
            if (hm_world_apply(wk->amp[k], &s->cfg, labels[sel[k]], NULL) == HM_APPLY_NA) {
                /* not a transition here: drop it from the set */
                sel[k] = sel[m - 1u];
                m--;
                k--;
                continue;
            }
            wk->transitions++;
            if (!hm_por_child_ok(wk->base, wk->amp[k], &s->cfg, a, labels[sel[k]])) { ok = false; break; }
            /* C3 for BFS: a child at this level or an earlier one (seen, and not first
             * reached during this level's expansion) could close a cycle. Phase 1 sees the
             * table as the batch began: states of later levels it lacks are never "this
             * level or earlier", so the answer is the one a sequential search gets. */
            wk->amp_fp[k] = wk_fp(wk, wk->amp[k], &wk->amp_len[k]);
            if (wk->amp_enc[k] == NULL && (wk->amp_enc[k] = malloc(HM_ENC_MAX)) == NULL) { wk->oom = true; return 0; }
            memcpy(wk->amp_enc[k], wk->enc, wk->amp_len[k]);
            uint32_t f = hm_fpset_flags(&s->seen, wk->amp_fp[k]);
            if ((f & HM_FP_SEEN) && !(f & HM_FP_NEXT)) { ok = false; wk->proviso++; }
        }
        if (!ok) continue;
        wk->reduced++;
        if (m == 0) continue;
        for (uint32_t k = 0; k < m; k++)
            emit(wk, entry, labels[sel[k]], wk->amp[k], wk->amp_fp[k], wk->amp_enc[k], wk->amp_len[k], 0);
        return 1;
    }
    return 0;
}

/* Phase 1 on this worker's share of the batch. */
static void phase1(worker *wk)
{
    search *s = wk->s;
    hm_label labels[HM_LABELS_MAX];
    wk->n_rec = wk->n_bytes = wk->n_worlds = 0;
    uint32_t me = (uint32_t)(wk - s->wk);
    for (;;) { /* chunks handed out in turn: shares follow the work, the order is kept per chunk */
        uint32_t c = atomic_fetch_add(&s->next_chunk, 1u);
        if (c >= s->n_chunks || wk->bad || wk->oom) break;
        s->chunk_w[c] = me;
        s->chunk_rec[c] = wk->n_rec;
        uint32_t end = (c + 1u) * CHUNK < s->batch_n ? (c + 1u) * CHUNK : s->batch_n;
        for (uint32_t e = c * CHUNK; e < end && !wk->bad && !wk->oom; e++) {
            size_t off = s->offs[e];
            size_t len = (size_t)s->bbuf[off] | (size_t)s->bbuf[off + 1] << 8;
            if (!load(wk, s->bbuf + off + ENTRY_HEAD, len)) { wk->bad = true; break; }
            uint32_t n = hm_world_enabled(wk->base, &s->cfg, labels, true);
            if (n == 0 && s->lim->observe) {
                uint64_t fp;
                memcpy(&fp, s->bbuf + off + 2, sizeof fp);
                emit(wk, e, (hm_label){0}, NULL, fp, s->bbuf + off + ENTRY_HEAD, 0, CR_TERMINAL);
            }
            if (s->por_cfg && expand_ample(wk, e, labels, n) > 0) continue;
            /* Every child first (its slot's cache line requested), then their records:
             * the table's cache misses overlap instead of following one another. */
            uint32_t m = 0;
            hm_label took[HM_LABELS_MAX];
            for (uint32_t k = 0; k < n && !wk->oom; k++) {
                if ((wk->amp[m] == NULL && (wk->amp[m] = malloc(s->wb)) == NULL) ||
                    (wk->amp_enc[m] == NULL && (wk->amp_enc[m] = malloc(HM_ENC_MAX)) == NULL)) {
                    wk->oom = true;
                    break;
                }
                memcpy(wk->amp[m], wk->base, s->wb);
                if (hm_world_apply(wk->amp[m], &s->cfg, labels[k], NULL) == HM_APPLY_NA) continue;
                wk->transitions++;
                wk->amp_fp[m] = wk_fp(wk, wk->amp[m], &wk->amp_len[m]);
                memcpy(wk->amp_enc[m], wk->enc, wk->amp_len[m]);
                hm_fpset_prefetch(&s->seen, wk->amp_fp[m]);
                took[m++] = labels[k];
            }
            for (uint32_t k = 0; k < m; k++)
                emit(wk, e, took[k], wk->amp[k], wk->amp_fp[k], wk->amp_enc[k], wk->amp_len[k], CR_SUBSUME);
        }
        s->chunk_end[c] = wk->n_rec;
    }
}

/* Phase 3, on pieces of the L1 list handed out in turn: L1 from each new state, reading
 * the table as phase 2 left it (the proofs of this batch's other runs are not visible
 * yet: more steps than one run after another, the same verdicts). */
static void phase3(worker *wk)
{
    search *s = wk->s;
    wk->n_marks = 0;
    uint32_t me = (uint32_t)(wk - s->wk);
    for (;;) {
        size_t i = atomic_fetch_add(&s->next_pend, 1u);
        if (i >= s->n_pend || wk->oom) break;
        lpend *p = &s->pend[i];
        const crec *r = &s->wk[p->w].rec[p->rec];
        p->by = me;
        p->marks_off = wk->n_marks;
        uint32_t n_marks = 0;
        p->prop = live_try(wk, (const hm_world *)(const void *)(s->wk[p->w].worlds + r->world_off), &n_marks);
        p->n_marks = n_marks;
        wk->n_marks += n_marks;
    }
}

static void *worker_main(void *arg)
{
    worker *wk = arg;
    search *s = wk->s;
    for (;;) {
        bar_wait(s->go);
        if (s->stop) return NULL;
        if (s->phase == 1) phase1(wk);
        else phase3(wk);
        bar_wait(s->done);
    }
}

/* Run phase ph on every worker (the calling thread is worker 0). */
static void run_phase(search *s, int ph)
{
    s->phase = ph;
    if (s->n_workers > 1) bar_wait(s->go);
    if (ph == 1) phase1(&s->wk[0]);
    else phase3(&s->wk[0]);
    if (s->n_workers > 1) bar_wait(s->done);
}

/* Phase 2: one recorded child, as a sequential search visits it. */
static bool commit(search *s, worker *wk, const crec *r)
{
    const unsigned char *enc = wk->bytes + r->enc_off;
    if (r->flags & CR_TERMINAL) {
        s->lim->observe(s->lim->observe_ctx, r->fp, (hm_label){0}, true);
        return true;
    }
    if (r->flags & CR_OBSERVE) {
        s->lim->observe(s->lim->observe_ctx, r->fp, r->l, false);
        return true;
    }
    if (r->prop != HM_P_NONE) { /* reported after the L1 runs of the new states before it */
        s->held = r->prop;
        s->held_parent = r->parent;
        s->held_label = r->l;
        return false;
    }
    if (s->lim->observe) s->lim->observe(s->lim->observe_ctx, r->fp, r->l, false);
    uint64_t *slot = hm_fpset_slot(&s->seen, r->fp);
    if (slot == NULL) return limit(s, "memory bound hit (fingerprint table)");
    if (*slot & HM_FP_SEEN) return true; /* reached earlier in this batch */
    *slot |= HM_FP_SEEN | HM_FP_NEXT;
    s->res->states++;
    if (!add_parent(s, r->parent, r->l)) return limit(s, "the parent links' temporary file could not be written (disk full?)");
    uint32_t idx = (uint32_t)(s->n_par - 1u);
    s->enc_total += (double)r->len;
    if (!level_push(s, &s->next, r->fp, enc, r->len)) return limit(s, "the frontier's temporary file could not be written (disk full?)");
    if (r->world_off != NO_WORLD) { /* new, and not proved when phase 1 looked (nothing proved since) */
        if (!grow_arena((void **)&s->pend, &s->cap_pend, s->n_pend + 1u, sizeof(lpend)))
            return limit(s, "out of memory (the L1 list)");
        s->pend[s->n_pend++] = (lpend){.w = (uint32_t)(wk - s->wk), .rec = (uint64_t)(r - wk->rec), .idx = idx};
    }
    if (s->lim->max_states && s->res->states >= s->lim->max_states) {
        char why[160];
        snprintf(why, sizeof why, "state bound hit (--max-states %llu)", (unsigned long long)s->lim->max_states);
        return limit(s, why);
    }
    return true;
}

static bool read_error(search *s)
{
    s->res->verdict = HM_V_ERROR;
    snprintf(s->res->message, sizeof s->res->message, "the frontier's temporary file could not be read back");
    return false;
}

/* --progress inside a long level (a level of correct.yaml takes ten minutes): at most one
 * line a minute saying how much of the level is expanded. stderr only: nothing the search
 * computes depends on the clock. */
#define LEVEL_NOTE_S 60.0

static void level_note(search *s, uint64_t done)
{
    double t = now_s();
    if (t - s->t_note < LEVEL_NOTE_S || done >= s->cur.n) return;
    s->t_note = t;
    fprintf(stderr, "  depth %u: %llu of %llu expanded (%.0f %%), %llu states, %.1f s\n", s->res->depth + 1u,
            (unsigned long long)done, (unsigned long long)s->cur.n, 100.0 * (double)done / (double)s->cur.n,
            (unsigned long long)s->res->states, t - s->t0);
}

static bool expand_level(search *s)
{
    unsigned char e[HM_ENC_MAX];
    size_t len;
    uint64_t fp;
    /* The level's states are now the current level: no longer "next" for the proviso. */
    if (fflush(s->cur.f) != 0 || fseeko(s->cur.f, 0, SEEK_SET) != 0) return read_error(s);
    for (uint64_t i = 0; i < s->cur.n; i++) {
        if (!level_read(&s->cur, &len, &fp, e)) return read_error(s);
        uint64_t *slot = hm_fpset_find(&s->seen, fp);
        if (slot) *slot &= ~(uint64_t)HM_FP_NEXT;
    }
    if (fseeko(s->cur.f, 0, SEEK_SET) != 0) return read_error(s);
    s->t_note = now_s();
    for (uint64_t b = 0; b < s->cur.n; b += BATCH) {
        uint32_t n = (uint32_t)(s->cur.n - b < BATCH ? s->cur.n - b : BATCH);
        size_t off = 0;
        for (uint32_t k = 0; k < n; k++) {
            if (!level_read(&s->cur, &len, &fp, e)) return read_error(s);
            if (off + len + ENTRY_HEAD > s->cap_bbuf) {
                size_t cap = s->cap_bbuf ? s->cap_bbuf * 2u : 1u << 16;
                while (cap < off + len + ENTRY_HEAD) cap *= 2u;
                unsigned char *nb = realloc(s->bbuf, cap);
                if (nb == NULL) return limit(s, "out of memory (a batch of the frontier)");
                s->bbuf = nb;
                s->cap_bbuf = cap;
            }
            s->offs[k] = off;
            s->bbuf[off] = (unsigned char)(len & 0xffu);
            s->bbuf[off + 1] = (unsigned char)(len >> 8);
            memcpy(s->bbuf + off + 2, &fp, sizeof fp);
            memcpy(s->bbuf + off + ENTRY_HEAD, e, len);
            off += len + ENTRY_HEAD;
        }
        for (uint32_t w = 0; w < s->n_workers; w++) s->wk[w].batch_first = b;
        s->batch_n = n;
        s->n_chunks = (n + CHUNK - 1u) / CHUNK;
        atomic_store(&s->next_chunk, 0u);
        run_phase(s, 1);
        for (uint32_t w = 0; w < s->n_workers; w++) {
            worker *wk = &s->wk[w];
            s->res->transitions += wk->transitions;
            s->res->reduced += wk->reduced;
            s->res->proviso += wk->proviso;
            s->res->live_steps += wk->live_steps;
            s->res->subsumed += wk->subsumed;
            wk->transitions = wk->reduced = wk->proviso = wk->live_steps = wk->subsumed = 0;
            if (wk->bad) {
                s->res->verdict = HM_V_ERROR;
                snprintf(s->res->message, sizeof s->res->message, "a frontier state did not decode (canon.c bug)");
                return false;
            }
            if (wk->oom) return limit(s, "out of memory (a worker's buffers)");
        }
        /* Phase 2, in state order; stops at a safety violation (held) or a limit. */
        s->n_pend = 0;
        s->held = HM_P_NONE;
        bool go_on = true;
        for (uint32_t c = 0; c < s->n_chunks && go_on; c++) {
            worker *wk = &s->wk[s->chunk_w[c]];
            for (size_t i = s->chunk_rec[c]; i < s->chunk_end[c] && go_on; i++) go_on = commit(s, wk, &wk->rec[i]);
        }
        if (!go_on && s->held == HM_P_NONE) return false; /* a limit */
        /* Phase 3: L1 from the new states, in parallel; phase 4: in order, the first that
         * fails is the counterexample, then the held safety violation; the proofs are
         * marked (a cache: only as far as memory allows). */
        if (s->n_pend > 0) {
            atomic_store(&s->next_pend, 0u);
            run_phase(s, 3);
            for (uint32_t w = 0; w < s->n_workers; w++) {
                s->res->live_steps += s->wk[w].live_steps;
                s->wk[w].live_steps = 0;
                if (s->wk[w].oom) return limit(s, "out of memory (a worker's buffers)");
            }
            for (size_t i = 0; i < s->n_pend; i++) {
                const lpend *p = &s->pend[i];
                if (p->prop != HM_P_NONE) {
                    const crec *r = &s->wk[p->w].rec[p->rec];
                    int q = live_check(s, (const hm_world *)(const void *)(s->wk[p->w].worlds + r->world_off));
                    if (q == HM_P_NONE) q = p->prop; /* cannot happen: the schedule is deterministic */
                    return violation(s, p->idx, (hm_label){0}, q);
                }
                const uint64_t *m = s->wk[p->by].marks + p->marks_off;
                for (uint32_t k = 0; k < p->n_marks; k++) {
                    uint64_t *slot = hm_fpset_slot(&s->seen, m[k]);
                    if (slot == NULL) break;
                    *slot |= HM_FP_LIVE;
                }
            }
        }
        if (s->held != HM_P_NONE) {
            s->live_len = 0;
            return violation(s, s->held_parent, s->held_label, s->held);
        }
        if (s->lim->progress) level_note(s, b + n);
    }
    return true;
}

static void workers_free(search *s)
{
    if (s->wk == NULL) return;
    if (s->n_workers > 1) {
        s->stop = true;
        bar_wait(s->go);
        for (uint32_t w = 1; w < s->n_workers; w++) pthread_join(s->wk[w].th, NULL);
    }
    bar_free(s->go);
    bar_free(s->done);
    s->go = s->done = NULL;
    for (uint32_t w = 0; w < s->n_workers; w++) {
        worker *wk = &s->wk[w];
        free(wk->base);
        free(wk->child);
        free(wk->live);
        free(wk->live_fp);
        free(wk->rec);
        free(wk->bytes);
        free(wk->marks);
        free(wk->worlds);
        for (uint32_t k = 0; k < HM_LABELS_MAX; k++) {
            free(wk->amp[k]);
            free(wk->amp_enc[k]);
        }
    }
    free(s->wk);
    s->wk = NULL;
}

/* Workers start from the initial world (decoding keeps its constants: the store's and
 * the local caches' configuration). Threads are started only for more than one. */
static bool workers_init(search *s, const hm_world *init)
{
    uint32_t n = s->lim->threads ? s->lim->threads : 1u;
    if (n > HM_THREADS_MAX) n = HM_THREADS_MAX;
    s->wk = calloc(n, sizeof(worker));
    s->offs = calloc(BATCH, sizeof(size_t));
    if (s->wk == NULL || s->offs == NULL) return false;
    s->n_workers = n;
    for (uint32_t w = 0; w < n; w++) {
        worker *wk = &s->wk[w];
        wk->s = s;
        wk->base = malloc(s->wb);
        wk->child = malloc(s->wb);
        wk->live = malloc(s->wb);
        wk->live_fp = calloc(s->cfg.liveness_steps + 2u, sizeof(uint64_t));
        if (!wk->base || !wk->child || !wk->live || !wk->live_fp) return false;
        memcpy(wk->base, init, s->wb);
        memcpy(wk->child, init, s->wb);
        memcpy(wk->live, init, s->wb);
    }
    if (n == 1) return true;
    s->go = bar_new(n);
    s->done = bar_new(n);
    if (s->go == NULL || s->done == NULL) { s->n_workers = 1; return true; }
    for (uint32_t w = 1; w < n; w++)
        if (pthread_create(&s->wk[w].th, NULL, worker_main, &s->wk[w]) != 0) {
            /* fewer threads: the search and its figures are the same, only slower */
            pthread_mutex_lock(&s->go->m);
            s->go->count = s->done->count = w;
            pthread_mutex_unlock(&s->go->m);
            s->n_workers = w;
            break;
        }
    return true;
}

static void search_free(search *s)
{
    hm_fpset_free(&s->seen);
    if (s->parents) fclose(s->parents);
    if (s->cur.f) fclose(s->cur.f);
    if (s->next.f) fclose(s->next.f);
    free(s->bbuf);
    free(s->child);
    free(s->live);
    free(s->live_path);
    free(s->live_fp);
    workers_free(s);
    free(s->offs);
    free(s->pend);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- checkpoints (checkpoint.h): the state between two levels ------------------------ */

static uint32_t ckpt_options(const hm_limits *lim)
{
    return (uint32_t)lim->symmetry | (uint32_t)lim->por << 1 | (uint32_t)lim->subsume << 2 |
           (uint32_t)lim->liveness << 3;
}

/* Between levels: s->next is the level to expand, s->cur is spent. */
static bool ckpt_save(search *s, uint64_t init_fp)
{
    const hm_result *r = s->res;
    hm_ckpt c = {.model_id = s->lim->model_id, .init_fp = init_fp, .hash_seed = s->lim->hash_seed,
                 .options = ckpt_options(s->lim),
                 .depth = r->depth, .states = r->states, .transitions = r->transitions,
                 .live_steps = r->live_steps, .reduced = r->reduced, .proviso = r->proviso,
                 .subsumed = r->subsumed, .frontier_peak = r->frontier_peak_bytes, .n_parents = s->n_par,
                 .level_n = s->next.n, .level_bytes = s->next.bytes, .level_first = s->next.first,
                 .enc_total = s->enc_total, .seconds = now_s() - s->t0};
    char why[sizeof s->res->message - 64];
    if (hm_ckpt_save(s->lim->checkpoint_dir, &c, &s->seen, s->next.f, s->parents, why, sizeof why) != 0) {
        s->res->verdict = HM_V_ERROR;
        snprintf(s->res->message, sizeof s->res->message, "checkpoint: %s", why);
        return false;
    }
    s->res->checkpointed = true;
    if (s->lim->progress)
        fprintf(stderr, "checkpoint at depth %u (%llu states) in %s, %.1f s\n", r->depth,
                (unsigned long long)r->states, s->lim->checkpoint_dir, now_s() - s->t0);
    return true;
}

/* The search as a checkpoint left it; false with bad_resume set (hm_explore returns -2)
 * when the checkpoint is unusable. */
static bool ckpt_resume(search *s, uint64_t init_fp)
{
    hm_ckpt want = {.model_id = s->lim->model_id, .init_fp = init_fp, .hash_seed = s->lim->hash_seed,
                    .options = ckpt_options(s->lim)}, c;
    char why[sizeof s->res->message];
    if (hm_ckpt_load(s->lim->resume_dir, &want, &c, &s->seen, s->next.f, s->parents, why, sizeof why) != 0) {
        s->res->verdict = HM_V_ERROR;
        snprintf(s->res->message, sizeof s->res->message, "%s", why);
        s->bad_resume = true;
        return false;
    }
    hm_result *r = s->res;
    r->depth = r->resumed_depth = c.depth;
    r->states = c.states;
    r->transitions = c.transitions;
    r->live_steps = c.live_steps;
    r->reduced = c.reduced;
    r->proviso = c.proviso;
    r->subsumed = c.subsumed;
    r->frontier_peak_bytes = (size_t)c.frontier_peak;
    s->n_par = c.n_parents;
    s->next.n = c.level_n;
    s->next.bytes = c.level_bytes;
    s->next.first = c.level_first;
    s->enc_total = c.enc_total;
    s->t0 -= c.seconds; /* times and rates cover the whole search */
    if (s->lim->progress)
        fprintf(stderr, "resumed at depth %u: %llu states, %llu to expand\n", r->depth,
                (unsigned long long)r->states, (unsigned long long)c.level_n);
    return true;
}

static void run(search *s)
{
    hm_result *r = s->res;
    if (hm_world_init(s->child, &s->cfg, NULL) != 0) {
        r->verdict = HM_V_ERROR;
        snprintf(r->message, sizeof r->message, "the initial world could not be built");
        return;
    }
    memcpy(s->live, s->child, s->wb); /* constants (store and cache configuration) */
    if (!workers_init(s, s->child)) {
        r->verdict = HM_V_ERROR;
        snprintf(r->message, sizeof r->message, "out of memory at start (workers)");
        return;
    }
    r->encoded_bytes = hm_encoded_bytes(s->child, &s->cfg);
    size_t init_len;
    uint64_t init_fp = fp_of(s, s->child, &init_len);
    if (s->lim->resume_dir ? !ckpt_resume(s, init_fp) : !visit_initial(s, s->child)) return;
    double last_ckpt = now_s();
    while (s->next.n > 0) {
        bool depth_hit = s->lim->max_depth && r->depth >= s->lim->max_depth;
        bool stop = s->lim->stop && *s->lim->stop;
        if (s->lim->checkpoint_dir && (depth_hit || stop ||
                                       (s->lim->checkpoint_every > 0 && now_s() - last_ckpt >= s->lim->checkpoint_every))) {
            if (!ckpt_save(s, init_fp)) return;
            last_ckpt = now_s();
        }
        if (depth_hit) {
            char why[96];
            snprintf(why, sizeof why, "depth bound hit (%u)", s->lim->max_depth);
            limit(s, why);
            return;
        }
        if (stop) {
            char why[160];
            snprintf(why, sizeof why, "stopped on request at depth %u%s", r->depth,
                     s->lim->checkpoint_dir ? " (checkpoint written: resume with --resume)" : "");
            limit(s, why);
            return;
        }
        level t = s->cur;
        s->cur = s->next;
        s->next = t;
        s->next.n = 0;
        s->next.bytes = 0;
        s->next.first = s->cur.first + s->cur.n;
        if (fflush(s->next.f) != 0 || ftruncate(fileno(s->next.f), 0) != 0 || fseeko(s->next.f, 0, SEEK_SET) != 0) {
            r->verdict = HM_V_ERROR;
            snprintf(r->message, sizeof r->message, "the frontier's temporary file could not be reset");
            return;
        }
        if (!expand_level(s)) return;
        size_t fb = (size_t)(s->cur.bytes + s->next.bytes);
        if (fb > r->frontier_peak_bytes) r->frontier_peak_bytes = fb;
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
    l2.checkpoint_dir = NULL;
    l2.resume_dir = NULL;
    l2.stop = NULL;
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

/* The table starts small and doubles (a doubling briefly holds both tables: 3× the old
 * size), or, with lim->preallocate, starts at the largest size the bound allows and never
 * grows: the way to use most of a machine's memory for one large search. */
static uint64_t table_log2(const hm_limits *lim)
{
    if (!lim->preallocate) return 16;
    uint64_t log2 = 16;
    while (log2 < 40 && (8ull << (log2 + 1u)) <= lim->max_memory) log2++;
    return log2;
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
    s->child = calloc(1, s->wb);
    s->live = calloc(1, s->wb);
    s->live_path = calloc(cfg->liveness_steps + 1u, sizeof(hm_label));
    s->live_fp = calloc(cfg->liveness_steps + 2u, sizeof(uint64_t));
    s->cur.f = temp_file();
    s->next.f = temp_file();
    s->parents = temp_file();
    if (!s->cur.f || !s->next.f || !s->parents) {
        search_free(s);
        free(s);
        res->verdict = HM_V_ERROR;
        snprintf(res->message, sizeof res->message, "no temporary file for the frontier or the parent links");
        return -1;
    }
    /* The fingerprint table is what stays in memory (levels and parent links are files). */
    if (!s->child || !s->live || !s->live_path || !s->live_fp ||
        hm_fpset_init(&s->seen, table_log2(lim), lim->max_memory) != 0) {
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
    res->parent_bytes = (size_t)s->n_par * PARENT_BYTES;
    res->encoded_mean = res->states ? s->enc_total / (double)res->states : 0.0;
    bool shorten = s->por_cfg && res->verdict == HM_V_VIOLATION && res->path_len > res->live_suffix;
    bool bad_resume = s->bad_resume;
    search_free(s);
    free(s);
    if (bad_resume) return -2;
    if (shorten) shortest(cfg, lim, res);
    return 0;
}

void hm_result_free(hm_result *res)
{
    free(res->path);
    res->path = NULL;
}
