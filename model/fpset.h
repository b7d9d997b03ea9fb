/* fpset.h — the visited set: state keys (hm_key, up to 112 bits; the search's are 80,
 * fphash.h) in one compact open-addressing table that stores each key's quotient
 * implicitly, with three flag bits per state.
 *
 * A table compares a key's top `kbits` bits (the rest of it is ignored), and a lookup is
 * exact on them: this is a set, not a lossy filter, and the collision bound accounts for
 * kbits bits. Each key carries three flags (HM_FP_SEEN: the search visited the state;
 * HM_FP_LIVE: L1's fault-free schedule is proved from it; HM_FP_NEXT: first reached while
 * expanding the current BFS level, i.e. it belongs to the next level — the partial-order
 * reduction's cycle proviso reads it), so one table serves every set.
 *
 * Layout. A table of 2^q homes (q = `q`) places a key at home = its top q bits, which the
 * slot's position then implies, so a slot stores only the rest: R = kbits - q remainder
 * bits. Budget twins share their top 32 bits (fphash.h), hence their home, hence their
 * cache line. Collisions are resolved by Robin Hood linear probing: a key sits at
 * home + d, d its displacement, so a probe stops at the first slot whose key comes after
 * its own (an absent key, a twin's included, costs about what a present one does). A slot
 * is `width` bytes, packed end to end with no alignment (read by unaligned 64-bit loads
 * and compares when it is at most 8 bytes, 128-bit ones when wider):
 * the fewest that hold R remainder bits, 3 flags and 5 bits of displacement. For 80-bit
 * keys: 9 bytes up to q = 23, 8 for q = 24..31, 7 for 32..39; for the old 61-bit keys it
 * was 5 from q = 29 on. From its lowest bit:
 *     [ ~remainder : R bits (the key's bits below its top q, complemented) ][ flags : 3 ][ d + 1 : dbits ]
 * dbits = 8 * width - R - 3 >= 5, and d + 1 = 0 marks an empty slot. A run is in order of
 * (home, remainder), so with the flags masked one unsigned comparison of a slot with the
 * value key would have there says "before key: go on", "key" or "after key: stop"; a
 * probe compares its first 4 slots without branching on each. The largest
 * displacement is dmax = 2^dbits - 2 (at most 254): a key that would sit further from
 * home goes to a small exact side table (`stash`: key | flags in 16-byte slots), which a
 * probe reads only when it ran dmax + 1 slots without stopping (on correct-2x2-crash at
 * q = 21, dmax 30, 90 % full: 1 key in 4 000; none at dmax 62 and up). dmax + 1
 * slots past the last home (and 16 bytes of padding) take the runs that reach the end, so
 * a probe never wraps. Grown by doubling at 90 % load, so from 60 % full a state costs
 * at most width / 0.6 bytes. With 80-bit keys at q = 30, what correct.yaml reaches, a
 * slot is 8 bytes: 10.2 bytes a state at its 841 M states (6.4 with 61-bit keys). Growth
 * is bounded by max_bytes: hm_fpset_put fails rather than pass it, and leaves the table
 * unchanged. */
#ifndef HERD_MODEL_FPSET_H
#define HERD_MODEL_FPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { HM_FP_SEEN = 1u, HM_FP_LIVE = 2u, HM_FP_NEXT = 4u, HM_FP_FLAGS = 7u };

/* A key: hi is its top 64 bits, lo the next 64; a table reads the top kbits of the two. */
typedef struct hm_key {
    uint64_t hi, lo;
} hm_key;

#define HM_FPSET_KEY_BITS_MIN 40u
#define HM_FPSET_KEY_BITS_MAX 112u

typedef struct hm_fpset {
    unsigned char *slot; /* (2^q + dmax + 1) * width bytes + 16 of padding */
    uint64_t count;      /* keys held (stash included) */
    uint32_t kbits;      /* key bits compared */
    uint32_t q;          /* log2 of the homes */
    uint32_t width;      /* bytes per slot, 2..16 */
    uint32_t dbits;      /* bits of d + 1 */
    uint32_t dmax;       /* the largest displacement the table holds */
    uint64_t *stash;     /* two words a slot: key << 4 | 8 | flags, 0 empty; NULL until a key overflows */
    uint64_t stash_mask; /* stash slots - 1 */
    uint64_t stash_count;
    size_t max_bytes;
    /* derived from kbits, q and width, kept so a probe shifts nothing by a variable */
    __extension__ unsigned __int128 cmp;   /* a slot's bits without its flags */
    __extension__ unsigned __int128 step;  /* 1 in the displacement field */
    __extension__ unsigned __int128 rmask; /* the remainder's bits */
} hm_fpset;

/* A table of 2^slots_log2 homes comparing the top key_bits (HM_FPSET_KEY_BITS_MIN ..
 * _MAX) bits of its keys. 0, or -1 when that table alone passes max_bytes or calloc
 * fails. */
int hm_fpset_init(hm_fpset *s, uint64_t slots_log2, uint32_t key_bits, size_t max_bytes);
void hm_fpset_free(hm_fpset *s);
/* Add k when absent and set the flags `set` on it; the flags it had before (0 when it
 * was absent) into *was when was is not NULL. 0, or -1 when growing would pass the memory
 * bound (the table is unchanged). */
int hm_fpset_put(hm_fpset *s, hm_key k, uint32_t set, uint32_t *was);
/* Clear the flags `clear` on k; nothing when k is absent. */
void hm_fpset_clear(hm_fpset *s, hm_key k, uint32_t clear);
/* The flags of k, or 0 when absent. */
uint32_t hm_fpset_flags(const hm_fpset *s, hm_key k);
size_t hm_fpset_bytes(const hm_fpset *s);
/* The largest slots_log2 (16..40) whose table, at its own slot width for key_bits, fits
 * in max_bytes (16 when none does): what --preallocate asks hm_fpset_init for. */
uint64_t hm_fpset_log2_within(size_t max_bytes, uint32_t key_bits);
/* Every entry in turn, from *pos (0 to start): its key (the bits past kbits 0) and flags.
 * False after the last. */
bool hm_fpset_next(const hm_fpset *s, uint64_t *pos, hm_key *k, uint32_t *flags);
/* Add an entry as hm_fpset_next gave it. 0; 1 when its key was already there (a corrupt
 * checkpoint); -1 at the memory bound. */
int hm_fpset_restore(hm_fpset *s, hm_key k, uint32_t flags);

/* Start loading k's home slot into the cache (a hint: lookups that follow wait less). */
static inline void hm_fpset_prefetch(const hm_fpset *s, hm_key k)
{
    __builtin_prefetch(s->slot + (k.hi >> (64u - s->q)) * s->width);
}

#endif
