/* por.h — partial-order reduction: ample sets of one actor's transitions (a client, or a
 * server session), chosen only where no other transition, now or later, can interfere.
 *
 * The explorer asks for candidate ample sets at a state (hm_por_candidate), applies each
 * member, checks each child (hm_por_child_ok) and the cycle proviso (no member leads to a
 * state already seen), and falls back to the full set when no candidate passes. The
 * conditions and why they are sound are in docs/model-checking.md ("Partial-order
 * reduction"). */
#ifndef HERD_MODEL_POR_H
#define HERD_MODEL_POR_H

#include "world.h"

/* Actors that may own an ample set: clients 0..C-1, then sessions. */
#define HM_POR_ACTORS (HM_CLIENTS_MAX + HM_SERVERS_MAX * HM_CLIENTS_MAX)

/* The configuration admits the reduction at all (clock abstracted, lossless store with
 * immediate durability, no server-local dedup for sessions). */
bool hm_por_config_ok(const hm_config *cfg);
/* The state admits it: every fault that can kill a connection or crash something is
 * spent (only duplicates may remain). */
bool hm_por_state_ok(const hm_world *w, const hm_config *cfg);
/* The ample candidate of actor a at w among the n enabled labels l: indices in sel,
 * their number returned; 0 when the actor has no valid ample set here. */
uint32_t hm_por_candidate(const hm_world *w, const hm_config *cfg, uint32_t a, const hm_label *l, uint32_t n,
                          uint32_t *sel);
/* A member's child is allowed in the ample set of actor a (it changes nothing another
 * actor reads: no fan-out, no subscription or session opened or closed elsewhere). */
bool hm_por_child_ok(const hm_world *base, const hm_world *child, const hm_config *cfg, uint32_t a, hm_label l);

#endif
