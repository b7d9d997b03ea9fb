/* liveness.c — bounded liveness (L1, and I1's delivery half): from a state, the
 * fault-free deterministic schedule must reach rest within liveness_steps. Runs are
 * memoised: a state a successful run passed is marked HM_FP_LIVE (under its budget-free
 * key) in the fingerprint table, and a later run that reaches it stops there. The calling
 * thread's run (hm_live_check) marks at once; a worker's (hm_live_try, phase 3) leaves its
 * marks for phase 4 to apply in order. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"
#include "fphash.h"

#include <string.h>

/* L1's proofs are kept under the key of the state with its fault budgets set to 0:
 * the fault-free schedule never reads a budget (no fault, no variant), so every budget twin
 * has the same L1 verdict and one proof serves them all. The budgets are the encoding's
 * first HM_F_COUNT bytes (one LEB128 byte each: hm_config_check keeps them below 128). */
hm_key hm_live_key(const search *s, const unsigned char *enc, size_t len)
{
    return hm_live_key_fp(hm_fp_hash(s, enc, len), enc, len);
}

hm_key hm_live_key_fp(hm_key fp, const unsigned char *enc, size_t len)
{
    static const unsigned char none[HM_F_COUNT];
    if (len < HM_F_COUNT) return fp; /* no budgets to zero */
    return hm_fp_twin(fp, enc, none);
}

/* One L1 run: from w (copied into the scratch world live, enc the encoder's scratch), the
 * fault-free deterministic schedule must reach a quiescent world where every retry queue
 * is empty and every ACKed message was delivered, within liveness_steps. States already
 * proved (HM_FP_LIVE under hm_live_key) end the run early. The run records the keys of the
 * states it passed (keys, *n_keys) and, when path is not NULL, its labels (*n_path).
 * Returns the property, or HM_P_NONE with *proves false when a safety violation on the way
 * leaves the matter to the search (which finds it at its shortest depth): such a run
 * proves nothing. The table is only read. */
static int live_run(const search *s, hm_world *live, const hm_world *w, unsigned char *enc, hm_label *path,
                    uint32_t *n_path, hm_key *keys, uint32_t *n_keys, uint64_t *steps_done, bool *proves)
{
    const hm_config *cfg = &s->cfg;
    hm_world_copy(live, w, cfg);
    uint32_t steps = 0;
    *n_keys = 0;
    *proves = true;
    for (;;) {
        size_t len = hm_canon_encode(live, cfg, s->lim->symmetry, enc);
        hm_key key = hm_live_key(s, enc, len);
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
int hm_live_check(search *s, const hm_world *w)
{
    uint32_t n_fp = 0;
    bool proves;
    int p = live_run(s, s->live, w, s->enc, s->live_path, &s->live_len, s->live_fp, &n_fp, &s->res->live_steps, &proves);
    if (p != HM_P_NONE || !proves) return p;
    for (uint32_t i = 0; i < n_fp; i++) /* only a cache: stop marking at the memory bound */
        if (hm_fpset_put(&s->seen, s->live_fp[i], HM_FP_LIVE, NULL) != 0) break;
    return HM_P_NONE;
}

/* L1 on a worker: the proved states are appended to the mark arena (*n_marks of them)
 * for phase 4 to mark. Returns HM_P_NONE or the property. */
int hm_live_try(worker *wk, const hm_world *w, uint32_t *n_marks)
{
    uint32_t n_fp = 0;
    bool proves;
    *n_marks = 0;
    int p = live_run(wk->s, wk->live, w, wk->enc, NULL, NULL, wk->live_fp, &n_fp, &wk->live_steps, &proves);
    if (p != HM_P_NONE || !proves || n_fp == 0) return p;
    if (!hm_grow_arena((void **)&wk->marks, &wk->cap_marks, wk->n_marks + n_fp, sizeof(hm_key))) {
        wk->oom = true;
        return HM_P_NONE;
    }
    memcpy(wk->marks + wk->n_marks, wk->live_fp, n_fp * sizeof(hm_key));
    *n_marks = n_fp;
    return HM_P_NONE;
}
