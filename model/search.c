/* search.c — the breadth-first search itself (see explore.h): the initial state, the
 * levels expanded one after another in batches (workers.c), the bounds and checkpoints
 * between levels, the violation and its path, and the search's set-up and figures.
 * Fingerprints and budget subsumption are in fingerprint.c; explore.c is the entry.
 *
 * The hot path allocates nothing: each frontier state is decoded once into a worker's
 * `base`, each enabled transition runs on a copy of it, and the child's canonical
 * encoding is both hashed and, when new, appended to the next level's file. In memory:
 * the fingerprint table (bounded by --max-memory) and a batch of the current level. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"
#include "por.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hm_key fp_of(search *s, const hm_world *w, size_t *len)
{
    *len = hm_canon_encode(w, &s->cfg, s->lim->symmetry, s->enc);
    return hm_fp_hash(s, s->enc, *len);
}

static bool violation(search *s, uint32_t idx, hm_label last, int p)
{
    hm_result *r = s->res;
    r->verdict = p == HM_P_INTERNAL ? HM_V_ERROR : HM_V_VIOLATION;
    r->property = p;
    if (p == HM_P_INTERNAL) snprintf(r->message, sizeof r->message, "a machine returned a fatal error");
    hm_build_path(s, idx, last, p);
    return false;
}

/* The initial state: checked, recorded, queued, and L1 run from it. */
static bool visit_initial(search *s, const hm_world *w)
{
    size_t len;
    hm_key fp = fp_of(s, w, &len);
    int p = hm_props_check(w, &s->cfg);
    if (p != HM_P_NONE) { s->live_len = 0; return violation(s, UINT32_MAX, (hm_label){0}, p); }
    if (s->lim->observe) s->lim->observe(s->lim->observe_ctx, fp.hi, (hm_label){0}, false);
    if (hm_fpset_put(&s->seen, fp, HM_FP_SEEN | HM_FP_NEXT, NULL) != 0)
        return hm_limit(s, "memory bound hit (fingerprint table)");
    s->res->states++;
    if (!hm_add_parent(s, UINT32_MAX, (hm_label){0}))
        return hm_limit(s, "the parent links' temporary file could not be written (disk full?)");
    s->enc_total += (double)len;
    if (!hm_level_push(s, &s->next, fp, s->enc, len))
        return hm_limit(s, "the frontier's temporary file could not be written (disk full?)");
    if (s->lim->liveness && (s->cfg.props_mask & ((1u << HM_P_L1) | (1u << HM_P_I1)))) {
        p = hm_live_check(s, w);
        if (p != HM_P_NONE) return violation(s, 0, (hm_label){0}, p);
    }
    return true;
}

static bool read_error(search *s)
{
    s->res->verdict = HM_V_ERROR;
    snprintf(s->res->message, sizeof s->res->message, "the frontier's temporary file could not be read back");
    return false;
}

/* The level's states are now the current level: no longer "next" for the proviso. */
static bool unmark_next(search *s)
{
    unsigned char e[HM_ENC_MAX];
    size_t len;
    hm_key fp;
    if (fflush(s->cur.f) != 0 || fseeko(s->cur.f, 0, SEEK_SET) != 0) return read_error(s);
    for (uint64_t i = 0; i < s->cur.n; i++) {
        if (!hm_level_read(&s->cur, &len, &fp, e)) return read_error(s);
        hm_fpset_clear(&s->seen, fp, HM_FP_NEXT);
    }
    if (fseeko(s->cur.f, 0, SEEK_SET) != 0) return read_error(s);
    return true;
}

/* The batch's n entries from the current level into bbuf, their offsets into offs. */
static bool read_batch(search *s, uint32_t n)
{
    unsigned char e[HM_ENC_MAX];
    size_t len, off = 0;
    hm_key fp;
    for (uint32_t k = 0; k < n; k++) {
        if (!hm_level_read(&s->cur, &len, &fp, e)) return read_error(s);
        if (off + len + ENTRY_HEAD > s->cap_bbuf) {
            size_t cap = s->cap_bbuf ? s->cap_bbuf * 2u : 1u << 16;
            while (cap < off + len + ENTRY_HEAD) cap *= 2u;
            unsigned char *nb = realloc(s->bbuf, cap);
            if (nb == NULL) return hm_limit(s, "out of memory (a batch of the frontier)");
            s->bbuf = nb;
            s->cap_bbuf = cap;
        }
        s->offs[k] = off;
        s->bbuf[off] = (unsigned char)(len & 0xffu);
        s->bbuf[off + 1] = (unsigned char)(len >> 8);
        hm_key_store(s->bbuf + off + 2, fp);
        memcpy(s->bbuf + off + ENTRY_HEAD, e, len);
        off += len + ENTRY_HEAD;
    }
    return true;
}

/* Phase 1 on every worker, then the workers' counts into the result. */
static bool phase1(search *s, uint64_t b, uint32_t n)
{
    for (uint32_t w = 0; w < s->n_workers; w++) s->wk[w].batch_first = b;
    s->batch_n = n;
    s->n_chunks = (n + CHUNK - 1u) / CHUNK;
    atomic_store(&s->next_chunk, 0u);
    hm_run_phase(s, 1);
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
        if (wk->oom) return hm_limit(s, "out of memory (a worker's buffers)");
    }
    return true;
}

#define PHASE2_AHEAD 6u

/* Phase 2, in state order; stops at a safety violation (held) or a limit. False at a
 * limit (a held violation is reported after phase 4). */
static bool phase2(search *s)
{
    s->n_pend = 0;
    s->held = HM_P_NONE;
    bool go_on = true;
    for (uint32_t c = 0; c < s->n_chunks && go_on; c++) {
        worker *wk = &s->wk[s->chunk_w[c]];
        size_t end = s->chunk_end[c];
        /* the slot a few records ahead is loaded while this one commits (a large table's
         * probes are cache misses, and this phase runs on one thread) */
        for (size_t i = s->chunk_rec[c]; i < end && i < s->chunk_rec[c] + PHASE2_AHEAD; i++)
            hm_fpset_prefetch(&s->seen, wk->rec[i].fp);
        for (size_t i = s->chunk_rec[c]; i < end && go_on; i++) {
            if (i + PHASE2_AHEAD < end) hm_fpset_prefetch(&s->seen, wk->rec[i + PHASE2_AHEAD].fp);
            go_on = hm_commit(s, wk, &wk->rec[i]);
        }
    }
    return go_on || s->held != HM_P_NONE;
}

/* Phase 3: L1 from the new states, in parallel; phase 4: in order, the first that fails
 * is the counterexample, then the held safety violation; the proofs are marked (a cache:
 * only as far as memory allows). */
static bool phases34(search *s)
{
    if (s->n_pend > 0) {
        atomic_store(&s->next_pend, 0u);
        hm_run_phase(s, 3);
        for (uint32_t w = 0; w < s->n_workers; w++) {
            s->res->live_steps += s->wk[w].live_steps;
            s->wk[w].live_steps = 0;
            if (s->wk[w].oom) return hm_limit(s, "out of memory (a worker's buffers)");
        }
        for (size_t i = 0; i < s->n_pend; i++) {
            const lpend *p = &s->pend[i];
            if (p->prop != HM_P_NONE) {
                const crec *r = &s->wk[p->w].rec[p->rec];
                int q = hm_live_check(s, (const hm_world *)(const void *)(s->wk[p->w].worlds + r->world_off));
                if (q == HM_P_NONE) q = p->prop; /* cannot happen: the schedule is deterministic */
                return violation(s, p->idx, (hm_label){0}, q);
            }
            const hm_key *m = s->wk[p->by].marks + p->marks_off;
            for (uint32_t k = 0; k < p->n_marks; k++)
                if (hm_fpset_put(&s->seen, m[k], HM_FP_LIVE, NULL) != 0) break;
        }
    }
    if (s->held != HM_P_NONE) {
        s->live_len = 0;
        return violation(s, s->held_parent, s->held_label, s->held);
    }
    return true;
}

/* The current level, batch by batch, into the next one. */
static bool expand_level(search *s)
{
    if (!unmark_next(s)) return false;
    s->t_note = hm_now_s();
    for (uint64_t b = 0; b < s->cur.n; b += BATCH) {
        uint32_t n = (uint32_t)(s->cur.n - b < BATCH ? s->cur.n - b : BATCH);
        if (!read_batch(s, n) || !phase1(s, b, n) || !phase2(s) || !phases34(s)) return false;
        if (s->lim->progress) hm_level_note(s, b + n);
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
    hm_workers_free(s);
    free(s->offs);
    free(s->pend);
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
    if (!hm_workers_init(s, s->child)) {
        r->verdict = HM_V_ERROR;
        snprintf(r->message, sizeof r->message, "out of memory at start (workers)");
        return;
    }
    r->encoded_bytes = hm_encoded_bytes(s->child, &s->cfg);
    size_t init_len;
    uint64_t init_fp = fp_of(s, s->child, &init_len).hi;
    if (s->lim->resume_dir ? !hm_search_ckpt_resume(s, init_fp) : !visit_initial(s, s->child)) return;
    double last_ckpt = hm_now_s();
    while (s->next.n > 0) {
        bool depth_hit = s->lim->max_depth && r->depth >= s->lim->max_depth;
        bool stop = s->lim->stop && *s->lim->stop;
        if (s->lim->checkpoint_dir && (depth_hit || stop ||
                                       (s->lim->checkpoint_every > 0 && hm_now_s() - last_ckpt >= s->lim->checkpoint_every))) {
            if (!hm_search_ckpt_save(s, init_fp)) return;
            last_ckpt = hm_now_s();
        }
        if (depth_hit) {
            char why[96];
            snprintf(why, sizeof why, "depth bound hit (%u)", s->lim->max_depth);
            hm_limit(s, why);
            return;
        }
        if (stop) {
            char why[160];
            snprintf(why, sizeof why, "stopped on request at depth %u%s", r->depth,
                     s->lim->checkpoint_dir ? " (checkpoint written: resume with --resume)" : "");
            hm_limit(s, why);
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
                    (unsigned long long)r->transitions, hm_now_s() - s->t0);
    }
    r->verdict = HM_V_PASS;
}

/* The table starts small and doubles (a doubling briefly holds both tables: 3× the old
 * size), or, with lim->preallocate, starts at the largest size the bound allows and never
 * grows: the way to use most of a machine's memory for one large search. */
static uint64_t table_log2(const hm_limits *lim)
{
    return lim->preallocate ? hm_fpset_log2_within(lim->max_memory, HM_KEY_BITS) : 16;
}

int hm_search(const hm_config *cfg, const hm_limits *lim, hm_result *res, bool *shorten_out)
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
    s->live_fp = calloc(cfg->liveness_steps + 2u, sizeof(hm_key));
    s->cur.f = hm_temp_file();
    s->next.f = hm_temp_file();
    s->parents = hm_temp_file();
    if (!s->cur.f || !s->next.f || !s->parents) {
        search_free(s);
        free(s);
        res->verdict = HM_V_ERROR;
        snprintf(res->message, sizeof res->message, "no temporary file for the frontier or the parent links");
        return -1;
    }
    /* The fingerprint table is what stays in memory (levels and parent links are files). */
    if (!s->child || !s->live || !s->live_path || !s->live_fp ||
        hm_fpset_init(&s->seen, table_log2(lim), HM_KEY_BITS, lim->max_memory) != 0) {
        search_free(s);
        free(s);
        res->verdict = HM_V_ERROR;
        snprintf(res->message, sizeof res->message, "out of memory at start");
        return -1;
    }
    s->t0 = hm_now_s();
    run(s);
    res->seconds = hm_now_s() - s->t0;
    res->table_entries = s->seen.count;
    res->key_bits = s->seen.kbits;
    res->visited_bytes = hm_fpset_bytes(&s->seen);
    res->parent_bytes = (size_t)s->n_par * PARENT_BYTES;
    res->encoded_mean = res->states ? s->enc_total / (double)res->states : 0.0;
    bool shorten = s->por_cfg && res->verdict == HM_V_VIOLATION && res->path_len > res->live_suffix;
    bool bad_resume = s->bad_resume;
    search_free(s);
    free(s);
    if (bad_resume) return -2;
    *shorten_out = shorten;
    return 0;
}
