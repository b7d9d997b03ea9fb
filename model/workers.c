/* workers.c — the worker threads that expand a batch of a level: their barrier, their
 * buffers, phase 1 (decode, the ample set or every enabled transition, each child's
 * encoding, fingerprint and safety check), phase 2's commit of one recorded child on the
 * calling thread, and phase 3 (L1 from each new state). The batches and their four phases
 * are described in explore_internal.h; search.c's expand_level drives them. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"
#include "por.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static hm_key wk_fp(worker *wk, const hm_world *w, size_t *len)
{
    *len = hm_canon_encode(w, &wk->s->cfg, wk->s->lim->symmetry, wk->enc);
    return hm_fp_hash(wk->s, wk->enc, *len);
}

/* Record a child (its encoding in enc). A child visited before
 * the batch, or whose twin with more budget was, is dropped here (phase 2 would drop it:
 * the table only grows); the observer still hears of the first kind. */
static void emit(worker *wk, uint32_t entry, hm_label l, const hm_world *w, hm_key fp, const unsigned char *enc,
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
            if (prop == HM_P_NONE && (flags & CR_SUBSUME) && hm_dominated(s, fp, enc, len)) {
                wk->subsumed++;
                return;
            }
        }
    }
    if (!hm_grow_arena((void **)&wk->rec, &wk->cap_rec, wk->n_rec + 1u, sizeof(crec)) ||
        !hm_grow_arena((void **)&wk->bytes, &wk->cap_bytes, wk->n_bytes + len, 1u)) {
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
    if (hm_fpset_flags(&s->seen, hm_live_key_fp(fp, enc, len)) & HM_FP_LIVE) return; /* proved already */
    if (!hm_grow_arena((void **)&wk->worlds, &wk->cap_worlds, (wk->n_worlds + 1u) * s->wb, 1u)) {
        wk->oom = true;
        return;
    }
    r->world_off = wk->n_worlds * s->wb;
    hm_world *dst = (hm_world *)(void *)(wk->worlds + r->world_off);
    if (wk->n_worlds < wk->made_worlds) {
        hm_world_copy(dst, w, &s->cfg);
    } else {
        memcpy(dst, w, s->wb);
        wk->made_worlds = wk->n_worlds + 1u;
    }
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

/* Child world k, allocated on first use as a whole copy of the base (hm_world_copy then
 * copies only what the configuration uses). False when out of memory. */
static bool amp_world(worker *wk, uint32_t k)
{
    if (wk->amp[k] != NULL) return true;
    if ((wk->amp[k] = malloc(wk->s->wb)) == NULL) {
        wk->oom = true;
        return false;
    }
    memcpy(wk->amp[k], wk->base, wk->s->wb);
    return true;
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
            if (!amp_world(wk, k)) return 0;
            hm_world_copy(wk->amp[k], wk->base, &s->cfg);
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
                hm_key fp = hm_key_load(s->bbuf + off + 2);
                emit(wk, e, (hm_label){0}, NULL, fp, s->bbuf + off + ENTRY_HEAD, 0, CR_TERMINAL);
            }
            if (s->por_cfg && expand_ample(wk, e, labels, n) > 0) continue;
            /* Every child first (its slot's cache line requested), then their records:
             * the table's cache misses overlap instead of following one another. */
            uint32_t m = 0;
            hm_label took[HM_LABELS_MAX];
            for (uint32_t k = 0; k < n && !wk->oom; k++) {
                if (!amp_world(wk, m) || (wk->amp_enc[m] == NULL && (wk->amp_enc[m] = malloc(HM_ENC_MAX)) == NULL)) {
                    wk->oom = true;
                    break;
                }
                hm_world_copy(wk->amp[m], wk->base, &s->cfg);
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
        p->prop = hm_live_try(wk, (const hm_world *)(const void *)(s->wk[p->w].worlds + r->world_off), &n_marks);
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
void hm_run_phase(search *s, int ph)
{
    s->phase = ph;
    if (s->n_workers > 1) bar_wait(s->go);
    if (ph == 1) phase1(&s->wk[0]);
    else phase3(&s->wk[0]);
    if (s->n_workers > 1) bar_wait(s->done);
}

/* Phase 2: one recorded child, as a sequential search visits it. */
bool hm_commit(search *s, worker *wk, const crec *r)
{
    const unsigned char *enc = wk->bytes + r->enc_off;
    if (r->flags & CR_TERMINAL) {
        s->lim->observe(s->lim->observe_ctx, r->fp.hi, (hm_label){0}, true);
        return true;
    }
    if (r->flags & CR_OBSERVE) {
        s->lim->observe(s->lim->observe_ctx, r->fp.hi, r->l, false);
        return true;
    }
    if (r->prop != HM_P_NONE) { /* reported after the L1 runs of the new states before it */
        s->held = r->prop;
        s->held_parent = r->parent;
        s->held_label = r->l;
        return false;
    }
    if (s->lim->observe) s->lim->observe(s->lim->observe_ctx, r->fp.hi, r->l, false);
    uint32_t was;
    if (hm_fpset_put(&s->seen, r->fp, HM_FP_SEEN | HM_FP_NEXT, &was) != 0)
        return hm_limit(s, "memory bound hit (fingerprint table)");
    if (was & HM_FP_SEEN) return true; /* reached earlier in this batch */
    s->res->states++;
    if (!hm_add_parent(s, r->parent, r->l)) return hm_limit(s, "the parent links' temporary file could not be written (disk full?)");
    uint32_t idx = (uint32_t)(s->n_par - 1u);
    s->enc_total += (double)r->len;
    if (!hm_level_push(s, &s->next, r->fp, enc, r->len)) return hm_limit(s, "the frontier's temporary file could not be written (disk full?)");
    if (r->world_off != NO_WORLD) { /* new, and not proved when phase 1 looked (nothing proved since) */
        if (!hm_grow_arena((void **)&s->pend, &s->cap_pend, s->n_pend + 1u, sizeof(lpend)))
            return hm_limit(s, "out of memory (the L1 list)");
        s->pend[s->n_pend++] = (lpend){.w = (uint32_t)(wk - s->wk), .rec = (uint64_t)(r - wk->rec), .idx = idx};
    }
    if (s->lim->max_states && s->res->states >= s->lim->max_states) {
        char why[160];
        snprintf(why, sizeof why, "state bound hit (--max-states %llu)", (unsigned long long)s->lim->max_states);
        return hm_limit(s, why);
    }
    return true;
}

void hm_workers_free(search *s)
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
bool hm_workers_init(search *s, const hm_world *init)
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
        wk->live_fp = calloc(s->cfg.liveness_steps + 2u, sizeof(hm_key));
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
