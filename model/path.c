/* path.c — from the search's path to a concrete one (see explore.h).
 *
 * The search applies transitions to decoded canonical worlds: its labels name items and
 * clients of those representatives (renamed, ids ranked, clock dropped), not of the
 * worlds a replay from hm_world_init reaches. This file owns the translation: it replays
 * the canonical chain exactly as the search did to learn each step's fingerprint, then
 * walks from the concrete initial world taking, at each step, a transition whose child
 * has that fingerprint (the same state up to the abstractions, so one always exists).
 * The step that violates a safety property must also violate it concretely. */
#include "canon.h"
#include "path.h"

#include <stdlib.h>
#include <string.h>

/* The fingerprint after each step of the canonical path, as the search computed it:
 * BFS steps start from a decoded world, L1's steps continue on the undecoded child. */
static int canonical_fps(const hm_config *cfg, bool sym, const hm_label *canon, uint32_t n, uint32_t live,
                         hm_world *w, hm_world *x, uint64_t *fps)
{
    static unsigned char enc[HM_ENC_MAX];
    size_t wb = hm_world_bytes(cfg);
    if (hm_world_init(w, cfg, NULL) != 0) return -1;
    memcpy(x, w, wb);
    size_t len = hm_canon_encode(w, cfg, sym, enc);
    if (hm_canon_decode(w, cfg, enc, len) != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (i < n - live) memcpy(x, w, wb);
        hm_world_apply(x, cfg, canon[i], NULL);
        fps[i] = hm_fingerprint(x, cfg, sym);
        if (i + 1u < n - live) {
            len = hm_canon_encode(x, cfg, sym, enc);
            if (hm_canon_decode(w, cfg, enc, len) != 0) return -1;
        }
    }
    return 0;
}

/* One concrete step: the first enabled transition of y whose child has fingerprint fp
 * (and, when want is not HM_P_NONE, violates it). y becomes that child. */
static bool concrete_step(const hm_config *cfg, bool sym, hm_world *y, hm_world *z, bool faults, uint64_t fp,
                          int want, hm_label *out)
{
    hm_label l[HM_LABELS_MAX];
    size_t wb = hm_world_bytes(cfg);
    uint32_t k = hm_world_enabled(y, cfg, l, faults);
    for (uint32_t i = 0; i < k; i++) {
        memcpy(z, y, wb);
        if (hm_world_apply(z, cfg, l[i], NULL) == HM_APPLY_NA) continue;
        if (hm_fingerprint(z, cfg, sym) != fp) continue;
        if (want != HM_P_NONE && hm_props_check(z, cfg) != want) continue;
        *out = l[i];
        memcpy(y, z, wb);
        return true;
    }
    return false;
}

int hm_path_concretise(const hm_config *cfg, bool sym, const hm_label *canon, uint32_t n, uint32_t live,
                       int property, hm_label *out)
{
    size_t wb = hm_world_bytes(cfg);
    hm_world *w = calloc(1, wb), *x = calloc(1, wb);
    uint64_t *fps = calloc((size_t)n + 1u, sizeof(uint64_t));
    int rc = -1;
    if (w == NULL || x == NULL || fps == NULL) goto done;
    if (canonical_fps(cfg, sym, canon, n, live, w, x, fps) != 0) goto done;
    if (hm_world_init(w, cfg, NULL) != 0) goto done;
    for (uint32_t i = 0; i < n; i++) {
        bool bfs = i < n - live;
        int want = (bfs && live == 0 && i + 1u == n) ? property : HM_P_NONE;
        if (!concrete_step(cfg, sym, w, x, bfs, fps[i], want, &out[i])) goto done;
    }
    rc = 0;
done:
    free(w);
    free(x);
    free(fps);
    return rc;
}
