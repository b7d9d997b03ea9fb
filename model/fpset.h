/* fpset.h — the visited set: 64-bit state fingerprints in one open-addressing table,
 * 8 bytes per slot, with three flag bits per state.
 *
 * A slot holds the fingerprint with its three low bits replaced by flags (HM_FP_SEEN: the
 * search visited the state; HM_FP_LIVE: L1's fault-free schedule is proved from it;
 * HM_FP_NEXT: first reached while expanding the current BFS level, i.e. it belongs to the
 * next level — the partial-order reduction's cycle proviso reads it), so one table serves
 * every set and a state costs one slot: 61 bits of fingerprint, which the collision bound
 * accounts for. Linear probing over a power-of-two array, grown by
 * doubling at 80 % load (between 10 and 20 bytes per state). 0 marks an empty slot.
 * Growth is bounded by max_bytes: hm_fpset_put fails rather than exceed it. */
#ifndef HERD_MODEL_FPSET_H
#define HERD_MODEL_FPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { HM_FP_SEEN = 1u, HM_FP_LIVE = 2u, HM_FP_NEXT = 4u, HM_FP_FLAGS = 7u };

typedef struct hm_fpset {
    uint64_t *slot;
    uint64_t mask;      /* slots - 1 */
    uint64_t count;     /* fingerprints held */
    size_t max_bytes;
} hm_fpset;

int hm_fpset_init(hm_fpset *s, uint64_t slots_log2, size_t max_bytes); /* 0 or -1 */
void hm_fpset_free(hm_fpset *s);
/* Add fp when absent and set the flags `set` on it; the flags it had before (0 when it
 * was absent) into *was when was is not NULL. 0, or -1 when growing would pass the memory
 * bound (the table is unchanged). */
int hm_fpset_put(hm_fpset *s, uint64_t fp, uint32_t set, uint32_t *was);
/* Clear the flags `clear` on fp; nothing when fp is absent. */
void hm_fpset_clear(hm_fpset *s, uint64_t fp, uint32_t clear);
/* The flags of fp, or 0 when absent. */
uint32_t hm_fpset_flags(const hm_fpset *s, uint64_t fp);
size_t hm_fpset_bytes(const hm_fpset *s);
/* Every entry in turn, from *pos (0 to start): the fingerprint with its low three bits
 * replaced by its flags (what a checkpoint stores) into *val. False after the last. */
bool hm_fpset_next(const hm_fpset *s, uint64_t *pos, uint64_t *val);
/* Add an entry as hm_fpset_next gave it (fingerprint and flags). 0; 1 when its
 * fingerprint was already there (a corrupt checkpoint); -1 at the memory bound. */
int hm_fpset_restore(hm_fpset *s, uint64_t val);

/* Where fp's probe starts; fpset.c's addressing (XXH3 output is uniform: a fold). */
static inline uint64_t hm_fpset_home(const hm_fpset *s, uint64_t fp)
{
    uint64_t key = (fp & ~(uint64_t)HM_FP_FLAGS) ? (fp & ~(uint64_t)HM_FP_FLAGS) : 8u;
    return (key >> 29 ^ key >> 2) & s->mask;
}

/* Start loading fp's slot into the cache (a hint: lookups that follow wait less). */
static inline void hm_fpset_prefetch(const hm_fpset *s, uint64_t fp)
{
    __builtin_prefetch(&s->slot[hm_fpset_home(s, fp)]);
}

#endif
