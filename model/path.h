/* path.h — turning the search's canonical path into transitions that replay from the
 * concrete initial world (path.c says how). */
#ifndef HERD_MODEL_PATH_H
#define HERD_MODEL_PATH_H

#include "world.h"

/* canon[0..n): the search's labels, the last `live` of them L1's fault-free schedule;
 * property: the violation the last BFS step must reproduce when live == 0. Fills
 * out[0..n). 0, or -1 when no concrete step matches (a canonicalisation bug). */
int hm_path_concretise(const hm_config *cfg, bool symmetry, const hm_label *canon, uint32_t n, uint32_t live,
                       int property, hm_label *out);

#endif
