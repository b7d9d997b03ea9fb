/* shorten.c — after partial-order reduction found a violation: an unreduced search bounded
 * to the counterexample's depth, whose path (when shorter or as short) replaces the
 * reduced one. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"

#include <stdlib.h>

/* A reduced search's first violation is the shallowest in the reduced graph, not always
 * in the whole one (an ample set may postpone the step that leads there soonest). The
 * whole graph holds the reduced path, so an unreduced search bounded to its depth finds
 * a violation at that depth or less: its path replaces the reduced one, and the figures
 * stay those of the reduced search. */
void hm_shortest(const hm_config *cfg, const hm_limits *lim, hm_result *res)
{
    hm_limits l2 = *lim;
    l2.por = false;
    l2.progress = false;
    l2.max_depth = res->path_len - res->live_suffix;
    l2.checkpoint_dir = NULL;
    l2.resume_dir = NULL;
    l2.stop = NULL;
    hm_result r2;
    bool again = false; /* l2.por is off: never shortened twice */
    if (hm_search(cfg, &l2, &r2, &again) != 0) return;
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
