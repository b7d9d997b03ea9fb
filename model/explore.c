/* explore.c — the public entry of the search (explore.h): hm_explore runs the breadth-first
 * search (search.c) and, when partial-order reduction found a violation, the unreduced
 * re-search for a shorter counterexample (shorten.c); hm_result_free. The top of model/'s
 * search: nothing in model/ calls back up into it. */
#define _POSIX_C_SOURCE 200809L
#include "explore_internal.h"

#include <stdlib.h>

int hm_explore(const hm_config *cfg, const hm_limits *lim, hm_result *res)
{
    bool shorten = false;
    int rc = hm_search(cfg, lim, res, &shorten);
    if (rc == 0 && shorten) hm_shortest(cfg, lim, res);
    return rc;
}

void hm_result_free(hm_result *res)
{
    free(res->path);
    res->path = NULL;
}
