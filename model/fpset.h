/* fpset.h — the visited set: 64-bit state fingerprints in one compact open-addressing
 * table that stores each fingerprint's quotient implicitly, with three flag bits per state.
 *
 * The key is the fingerprint with its three low bits ignored (61 bits; 0 becomes 8), and a
 * lookup is exact on them: this is a set, not a lossy filter, and the collision bound
 * accounts for 61 bits. Each key carries three flags (HM_FP_SEEN: the search visited the
 * state; HM_FP_LIVE: L1's fault-free schedule is proved from it; HM_FP_NEXT: first
 * reached while expanding the current BFS level, i.e. it belongs to the next level — the
 * partial-order reduction's cycle proviso reads it), so one table serves every set.
 *
 * Layout. A table of 2^q homes (q = `q`) places a key at home = key >> (64 - q): its top q
 * bits, which the slot's position then implies, so a slot stores only the rest. Budget
 * twins share their top 32 bits (fphash.h), hence their home, hence their cache line.
 * Collisions are resolved by Robin Hood linear probing: a key sits at home + d, d its
 * displacement, so a probe stops at the first slot whose key comes after its own (an
 * absent key, a twin's included, costs about what a present one does). A slot
 * is `width` bytes, packed end to end with no alignment (read by unaligned 64-bit loads):
 * the fewest that hold 61 - q remainder bits, 3 flags and 5 bits of displacement, i.e.
 * 5 from q = 29 on, 6 for q = 21..28, 7 for 13..20, 8 below. From its lowest bit:
 *     [ ~remainder : 61 - q bits (the key's bits 3 .. 63 - q, complemented) ][ flags : 3 ][ d + 1 : dbits ]
 * dbits = 8 * width - 64 + q >= 5, and d + 1 = 0 marks an empty slot. A run is in order of
 * (home, remainder), so with the flags masked one unsigned comparison of a slot with the
 * value key would have there says "before key: go on", "key" or "after key: stop"; a
 * probe compares its first 4 slots without branching on each. The largest
 * displacement is dmax = 2^dbits - 2 (at most 254): a key that would sit further from
 * home goes to a small exact side table (`stash`: key | flags in 8-byte slots), which a
 * probe reads only when it ran dmax + 1 slots without stopping (on correct-2x2-crash at
 * q = 21, dmax 30, 90 % full: 1 key in 4 000; none at dmax 62 and up). dmax + 1
 * slots past the last home (and 8 bytes of padding) take the runs that reach the end, so
 * a probe never wraps. Grown by doubling at 90 % load, so from 60 % full a state costs
 * at most width / 0.6 bytes: 8.3 at q >= 29; at q = 30, what correct.yaml reaches, 6.4 at
 * 841 M states. Growth is bounded by max_bytes: hm_fpset_put fails rather than pass it,
 * and leaves the table unchanged. */
#ifndef HERD_MODEL_FPSET_H
#define HERD_MODEL_FPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { HM_FP_SEEN = 1u, HM_FP_LIVE = 2u, HM_FP_NEXT = 4u, HM_FP_FLAGS = 7u };

typedef struct hm_fpset {
    unsigned char *slot; /* (2^q + dmax + 1) * width bytes + 8 of padding */
    uint64_t count;      /* fingerprints held (stash included) */
    uint32_t q;          /* log2 of the homes */
    uint32_t width;      /* bytes per slot, 4..8 */
    uint32_t dbits;      /* bits of d + 1 */
    uint32_t dmax;       /* the largest displacement the table holds */
    uint64_t *stash;     /* key | flags, 0 empty; NULL until a key overflows */
    uint64_t stash_mask; /* stash slots - 1 */
    uint64_t stash_count;
    size_t max_bytes;
} hm_fpset;

/* 0, or -1 when the table of 2^slots_log2 homes alone passes max_bytes or calloc fails. */
int hm_fpset_init(hm_fpset *s, uint64_t slots_log2, size_t max_bytes);
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
/* The largest slots_log2 (16..40) whose table, at its own slot width, fits in max_bytes
 * (16 when none does): what --preallocate asks hm_fpset_init for. */
uint64_t hm_fpset_log2_within(size_t max_bytes);
/* Every entry in turn, from *pos (0 to start): the fingerprint with its low three bits
 * replaced by its flags (what a checkpoint stores) into *val. False after the last. */
bool hm_fpset_next(const hm_fpset *s, uint64_t *pos, uint64_t *val);
/* Add an entry as hm_fpset_next gave it (fingerprint and flags). 0; 1 when its
 * fingerprint was already there (a corrupt checkpoint); -1 at the memory bound. */
int hm_fpset_restore(hm_fpset *s, uint64_t val);

/* Start loading fp's home slot into the cache (a hint: lookups that follow wait less). */
static inline void hm_fpset_prefetch(const hm_fpset *s, uint64_t fp)
{
    __builtin_prefetch(s->slot + (fp >> (64u - s->q)) * s->width);
}

#endif
