/* cex.h — writing a counterexample path as a trace (lib/trace.h) and a readable step list. */
#ifndef HERD_MODEL_CEX_H
#define HERD_MODEL_CEX_H

#include "trace.h"
#include "world.h"

#include <stdio.h>

/* The trace header of a counterexample: every parameter replay needs, the property and the
 * step it is violated at (the path's length for a safety property, length + 1 for one
 * found at rest or at L1's bound), and the properties the search checked. */
void hm_cex_header(herd_trace_header *h, const hm_config *cfg, const char *model, int property, uint32_t step);
/* Re-run path from the initial world, writing JSON Lines to jsonl and text to txt (either
 * may be NULL). 0, or -1 on a write error. */
int hm_cex_write(const hm_config *cfg, const char *model, int property, const hm_label *path, uint32_t len,
                 uint32_t live_suffix, FILE *jsonl, FILE *txt);

#endif
