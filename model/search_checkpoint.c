/* search_checkpoint.c — the glue between the search and checkpoint.c: what of the search
 * a checkpoint holds (figures, level and parent-link files, the fingerprint table), written
 * between two levels, and the search restored from one. Its options word makes a
 * checkpoint of a search with other reductions unusable. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"
#include "checkpoint.h"

#include <stdio.h>

static uint32_t ckpt_options(const hm_limits *lim)
{
    return (uint32_t)lim->symmetry | (uint32_t)lim->por << 1 | (uint32_t)lim->subsume << 2 |
           (uint32_t)lim->liveness << 3;
}

/* Between levels: s->next is the level to expand, s->cur is spent. */
bool hm_search_ckpt_save(search *s, uint64_t init_fp)
{
    const hm_result *r = s->res;
    hm_ckpt c = {.model_id = s->lim->model_id, .init_fp = init_fp, .hash_seed = s->lim->hash_seed,
                 .options = ckpt_options(s->lim),
                 .depth = r->depth, .states = r->states, .transitions = r->transitions,
                 .live_steps = r->live_steps, .reduced = r->reduced, .proviso = r->proviso,
                 .subsumed = r->subsumed, .frontier_peak = r->frontier_peak_bytes, .n_parents = s->n_par,
                 .level_n = s->next.n, .level_bytes = s->next.bytes, .level_first = s->next.first,
                 .enc_total = s->enc_total, .seconds = hm_now_s() - s->t0};
    char why[sizeof s->res->message - 64];
    if (hm_ckpt_save(s->lim->checkpoint_dir, &c, &s->seen, s->next.f, s->parents, why, sizeof why) != 0) {
        s->res->verdict = HM_V_ERROR;
        snprintf(s->res->message, sizeof s->res->message, "checkpoint: %s", why);
        return false;
    }
    s->res->checkpointed = true;
    if (s->lim->progress)
        fprintf(stderr, "checkpoint at depth %u (%llu states) in %s, %.1f s\n", r->depth,
                (unsigned long long)r->states, s->lim->checkpoint_dir, hm_now_s() - s->t0);
    return true;
}

/* The search as a checkpoint left it; false with bad_resume set (hm_explore returns -2)
 * when the checkpoint is unusable. */
bool hm_search_ckpt_resume(search *s, uint64_t init_fp)
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
