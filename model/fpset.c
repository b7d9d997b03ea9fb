/* fpset.c — the visited set (see fpset.h for the layout): a Robin Hood linear-probing
 * table of packed slots that store a key's remainder, its flags and its displacement + 1,
 * the key's top q bits being its home; keys displaced further than dmax go to a small
 * exact side table (the stash). Nothing is ever removed, so a run only ever shifts right:
 * an insertion places the key at the end of its home's keys and moves the rest of the run
 * one slot on, and the key that would pass dmax in that move goes to the stash. Hence the
 * invariant lookups rely on: a stashed key's slots home .. home + dmax all hold keys at
 * least as far from their own home as the slot is from the stashed key's.
 *
 * Inside, a key is `kv`, the kbits-bit integer made of its top kbits bits, and a slot is
 * read and written as one 128-bit value (GCC's unsigned __int128: slots are up to 16
 * bytes, for wide keys in small tables); the probe of tables whose slots are at most 8
 * bytes, every 80-bit one from q = 24 on, runs on 64-bit values (locate64). */
#include "fpset.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

enum {
    DBITS_MIN = 5,   /* at least 5 bits of displacement: dmax >= 30 */
    DMAX_CAP = 254,  /* wider fields (small tables) still stop there */
    Q_MIN = 8,
    PAD = 16,        /* bytes after the last slot: a 128-bit load of it stays inside */
    LOAD_NUM = 9,    /* grown past 9/10 full */
    LOAD_DEN = 10,
};

typedef struct shape {
    uint32_t q, width, dbits, dmax;
} shape;

static bool shape_of(uint32_t q, uint32_t kbits, shape *g)
{
    if (q < Q_MIN || q >= 48u || q + 1u > kbits) return false; /* at least a remainder bit */
    g->q = q;
    g->width = (kbits - q + 3u + DBITS_MIN + 7u) / 8u;
    g->dbits = 8u * g->width - (kbits - q) - 3u;
    g->dmax = g->dbits >= 8u ? DMAX_CAP : (1u << g->dbits) - 2u;
    return g->width <= 16u;
}

static uint64_t slots_of(const shape *g) { return (1ull << g->q) + g->dmax + 1u; }
static size_t main_bytes(const shape *g) { return (size_t)(slots_of(g) * g->width + PAD); }
static shape shape_now(const hm_fpset *s) { return (shape){s->q, s->width, s->dbits, s->dmax}; }

static inline u128 ld(const unsigned char *p)
{
    u128 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st(unsigned char *p, u128 v) { memcpy(p, &v, sizeof v); }

static inline u128 wmask(uint32_t width) { return width >= 16u ? ~(u128)0 : ((u128)1 << (8u * width)) - 1u; }

static inline uint32_t rbits(const hm_fpset *s) { return s->kbits - s->q; }

static inline u128 kv_of(const hm_fpset *s, hm_key k)
{
    if (s->kbits > 64u) /* the search's case: two 64-bit shifts, not a 128-bit one */
        return (u128)(k.hi >> (128u - s->kbits)) << 64 | (k.hi << (s->kbits - 64u) | k.lo >> (128u - s->kbits));
    return k.hi >> (64u - s->kbits);
}

static inline hm_key key_of(const hm_fpset *s, u128 kv)
{
    u128 x = kv << (128u - s->kbits);
    return (hm_key){(uint64_t)(x >> 64), (uint64_t)x};
}

/* A slot's fields (fpset.h): the remainder's complement in the low R bits, the flags
 * above it, d + 1 in the top dbits bits of the slot, from bit R + 3. */
static inline u128 rem_mask(const hm_fpset *s) { return s->rmask; }
static inline uint32_t flags_of(const hm_fpset *s, u128 v) { return (uint32_t)(v >> rbits(s)) & HM_FP_FLAGS; }
static inline uint64_t code_of(const hm_fpset *s, u128 v) { return (uint64_t)((v & wmask(s->width)) >> (rbits(s) + 3u)); }
static inline u128 step_of(const hm_fpset *s) { return s->step; }
static inline uint64_t home_of(const hm_fpset *s, u128 kv) { return (uint64_t)(kv >> rbits(s)); }

/* The slot value of kv at displacement 0 with no flags. In a run, slots are in order of
 * (home, remainder), so at distance j from kv's home (want + j * step) a slot whose
 * value without flags is above it holds a key before kv, and one below it (or empty:
 * 0) a key after it: kv is not further on. */
static inline u128 want_of(const hm_fpset *s, u128 kv) { return step_of(s) | (~kv & rem_mask(s)); }

/* The kv a slot at index i holds (v non-empty). */
static inline u128 kv_at(const hm_fpset *s, uint64_t i, u128 v)
{
    return (u128)(i - (code_of(s, v) - 1u)) << rbits(s) | (~v & rem_mask(s));
}

/* ---- the stash: kv << 4 | 8 | flags, linear probing, at most half full ---------------- */

static inline u128 sget(const hm_fpset *s, uint64_t i) { return ld((const unsigned char *)(s->stash + 2u * i)); }
static inline void sset(hm_fpset *s, uint64_t i, u128 v) { st((unsigned char *)(s->stash + 2u * i), v); }

static inline uint64_t stash_home(u128 kv, uint64_t mask)
{
    uint64_t h = ((uint64_t)kv ^ (uint64_t)(kv >> 64) * 0xC2B2AE3D27D4EB4Full) * 0x9E3779B97F4A7C15ull;
    return (h >> 20) & mask;
}

/* The stash slot holding kv, or UINT64_MAX. */
static uint64_t stash_find(const hm_fpset *s, u128 kv)
{
    if (s->stash_count == 0) return UINT64_MAX;
    for (uint64_t i = stash_home(kv, s->stash_mask);; i = (i + 1u) & s->stash_mask) {
        u128 v = sget(s, i);
        if (v == 0) return UINT64_MAX;
        if (v >> 4 == kv) return i;
    }
}

static size_t stash_bytes(const hm_fpset *s) { return s->stash ? (size_t)(s->stash_mask + 1u) * 16u : 0u; }

static void stash_place(uint64_t *t, uint64_t mask, u128 v)
{
    uint64_t j = stash_home(v >> 4, mask);
    for (;; j = (j + 1u) & mask) {
        u128 x;
        memcpy(&x, t + 2u * j, sizeof x);
        if (x == 0) break;
    }
    memcpy(t + 2u * j, &v, sizeof v);
}

/* Room for one more stashed key within bound bytes of table and stash together. */
static int stash_room(hm_fpset *s, size_t bound)
{
    uint64_t slots = s->stash ? s->stash_mask + 1u : 0u;
    if ((s->stash_count + 1u) * 2u <= slots) return 0;
    uint64_t n = slots ? slots * 2u : 16u;
    shape g = shape_now(s);
    if (main_bytes(&g) + n * 16u > bound) return -1;
    uint64_t *t = calloc(2u * n, sizeof *t);
    if (t == NULL) return -1;
    for (uint64_t i = 0; i < slots; i++) {
        u128 v = sget(s, i);
        if (v != 0) stash_place(t, n - 1u, v);
    }
    free(s->stash);
    s->stash = t;
    s->stash_mask = n - 1u;
    return 0;
}

static void stash_add(hm_fpset *s, u128 kv, uint32_t f) /* absent; stash_room succeeded */
{
    stash_place(s->stash, s->stash_mask, kv << 4 | 8u | f);
    s->stash_count++;
}

/* ---- the table ------------------------------------------------------------------------ */

enum { FAST = 4 }; /* slots a probe reads before it branches (<= dmax) */
enum { FOUND, ABSENT, DEEP }; /* DEEP: absent from the table, ran dmax + 1 slots: maybe stashed */

/* locate for slots of at most 8 bytes (every 80-bit table from q = 24 on): the same
 * probe on 64-bit loads and compares. A slot's value with its flags masked, and its want
 * at any displacement up to dmax + 1, fit in its width, so in 64 bits. */
static inline uint64_t ld64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline int locate64(const hm_fpset *s, u128 kv, uint64_t *at)
{
    const uint32_t w = s->width;
    const uint64_t cmp = (uint64_t)s->cmp, step = (uint64_t)step_of(s);
    uint64_t i = home_of(s, kv), end = i + s->dmax;
    uint64_t want = (uint64_t)want_of(s, kv);
    const unsigned char *p = s->slot + i * w;
    uint64_t n = 0;
    for (uint32_t k = 0; k < FAST; k++) n += (ld64(p + k * w) & cmp) > want + k * step;
    if (n < FAST) {
        *at = i + n;
        return (ld64(p + n * w) & cmp) == want + n * step ? FOUND : ABSENT;
    }
    i += FAST;
    p += FAST * w;
    want += FAST * step;
    for (;; i++, p += w, want += step) {
        uint64_t v = ld64(p) & cmp;
        if (v <= want) {
            *at = i;
            return v == want ? FOUND : ABSENT;
        }
        if (i == end) return DEEP;
    }
}

/* Where kv is (FOUND, *at its slot index) or would go (ABSENT, *at the first slot whose
 * key lives further on, or is empty). */
static inline int locate(const hm_fpset *s, u128 kv, uint64_t *at)
{
    if (s->width <= 8u) return locate64(s, kv, at);
    const uint32_t w = s->width;
    const u128 cmp = s->cmp, step = step_of(s);
    uint64_t i = home_of(s, kv), end = i + s->dmax;
    u128 want = want_of(s, kv);
    const unsigned char *p = s->slot + i * w;
    /* the first FAST slots without a branch on each (dmax >= 30): the keys before kv
     * make a prefix of the run, so their count is where kv is or would go */
    uint64_t n = 0;
    for (uint32_t k = 0; k < FAST; k++) n += (ld(p + k * w) & cmp) > want + k * step;
    if (n < FAST) {
        *at = i + n;
        return (ld(p + n * w) & cmp) == want + n * step ? FOUND : ABSENT;
    }
    i += FAST;
    p += FAST * w;
    want += FAST * step;
    for (;; i++, p += w, want += step) {
        u128 v = ld(p) & cmp;
        if (v <= want) {
            *at = i;
            return v == want ? FOUND : ABSENT;
        }
        if (i == end) return DEEP;
    }
}

/* Insert absent kv with flags f; where == ABSENT: at slot *at (from locate); DEEP: to
 * the stash. The key a shift pushes past dmax goes to the stash too. 0, or -1 when the
 * stash needs room it cannot have within bound (the table is then unchanged). */
static int insert(hm_fpset *s, u128 kv, uint32_t f, int where, uint64_t at, size_t bound)
{
    if (where == DEEP) {
        if (stash_room(s, bound) != 0) return -1;
        stash_add(s, kv, f);
        s->count++;
        return 0;
    }
    const uint32_t w = s->width;
    const uint64_t full = (uint64_t)s->dmax + 1u;
    const u128 wm = wmask(w), step = step_of(s);
    uint64_t e = at; /* the run's end: an empty slot, or a key already dmax from home */
    uint64_t c;
    for (;; e++) {
        c = code_of(s, ld(s->slot + e * w));
        if (c == 0 || c == full) break;
    }
    if (c == full) {
        if (stash_room(s, bound) != 0) return -1;
        u128 x = ld(s->slot + e * w);
        stash_add(s, kv_at(s, e, x), flags_of(s, x));
    }
    if (e > at) { /* shift at .. e - 1 on by one slot, each one further from home */
        memmove(s->slot + (at + 1u) * w, s->slot + at * w, (size_t)(e - at) * w);
        for (unsigned char *p = s->slot + (at + 1u) * w, *end = s->slot + (e + 1u) * w; p < end; p += w)
            st(p, ld(p) + step); /* d + 1 < 2^dbits: the sum stays in the slot's top field */
    }
    uint64_t d = at - home_of(s, kv);
    unsigned char *to = s->slot + at * w;
    st(to, (ld(to) & ~wm) | (want_of(s, kv) + d * step) | (u128)f << rbits(s));
    s->count++;
    return 0;
}

static int table_new(hm_fpset *s, uint32_t q, uint32_t kbits, size_t max_bytes)
{
    shape g;
    memset(s, 0, sizeof *s);
    if (!shape_of(q, kbits, &g) || main_bytes(&g) > max_bytes) return -1;
    s->kbits = kbits;
    s->q = g.q;
    s->width = g.width;
    s->dbits = g.dbits;
    s->dmax = g.dmax;
    s->max_bytes = max_bytes;
    s->rmask = ((u128)1 << (kbits - q)) - 1u;
    s->step = (u128)1 << (kbits - q + 3u);
    s->cmp = wmask(g.width) & ~((u128)HM_FP_FLAGS << (kbits - q));
    s->slot = calloc(1, main_bytes(&g));
    return s->slot ? 0 : -1;
}

int hm_fpset_init(hm_fpset *s, uint64_t slots_log2, uint32_t key_bits, size_t max_bytes)
{
    assert(slots_log2 >= 4 && slots_log2 < 48);
    assert(key_bits >= HM_FPSET_KEY_BITS_MIN && key_bits <= HM_FPSET_KEY_BITS_MAX);
    return table_new(s, slots_log2 < Q_MIN ? Q_MIN : (uint32_t)slots_log2, key_bits, max_bytes);
}

void hm_fpset_free(hm_fpset *s)
{
    free(s->slot);
    free(s->stash);
    s->slot = NULL;
    s->stash = NULL;
    s->count = 0;
    s->stash_count = 0;
}

uint64_t hm_fpset_log2_within(size_t max_bytes, uint32_t key_bits)
{
    uint32_t q = 16;
    shape g;
    while (q < 40 && shape_of(q + 1u, key_bits, &g) && main_bytes(&g) <= max_bytes) q++;
    return q;
}

size_t hm_fpset_bytes(const hm_fpset *s)
{
    shape g = shape_now(s);
    return main_bytes(&g) + stash_bytes(s);
}

/* Twice the homes: every key re-inserted in slot order (homes ascending, so each lands at
 * its run's end with hardly a shift). The old table stays whole until the new one is. */
static int grow(hm_fpset *s)
{
    shape g;
    if (!shape_of(s->q + 1u, s->kbits, &g) || main_bytes(&g) + stash_bytes(s) > s->max_bytes) return -1;
    hm_fpset n;
    if (table_new(&n, g.q, s->kbits, s->max_bytes) != 0) return -1;
    shape old = shape_now(s);
    uint64_t slots = slots_of(&old);
    for (uint64_t i = 0; i < slots; i++) {
        u128 v = ld(s->slot + i * s->width);
        if (code_of(s, v) == 0) continue;
        u128 kv = kv_at(s, i, v);
        uint64_t at = 0;
        int where = locate(&n, kv, &at);
        if (insert(&n, kv, flags_of(s, v), where, at, s->max_bytes) != 0) goto fail;
    }
    for (uint64_t i = 0; s->stash && i <= s->stash_mask; i++) {
        u128 v = sget(s, i);
        if (v == 0) continue;
        uint64_t at = 0;
        int where = locate(&n, v >> 4, &at);
        if (insert(&n, v >> 4, (uint32_t)v & HM_FP_FLAGS, where, at, s->max_bytes) != 0) goto fail;
    }
    assert(n.count == s->count);
    hm_fpset_free(s);
    *s = n;
    return 0;
fail:
    hm_fpset_free(&n);
    return -1;
}

/* kv's flags or (absent) none; where it is or would go into *where / *at; its stash
 * slot into *stashed (UINT64_MAX: not there). */
static inline uint32_t lookup(const hm_fpset *s, u128 kv, int *where, uint64_t *at, uint64_t *stashed)
{
    *stashed = UINT64_MAX;
    *where = locate(s, kv, at);
    if (*where == FOUND) return flags_of(s, ld(s->slot + *at * s->width));
    if (*where == DEEP && (*stashed = stash_find(s, kv)) != UINT64_MAX) return (uint32_t)sget(s, *stashed) & HM_FP_FLAGS;
    return 0;
}

/* Add kv with flags set when absent, or set them on it. 0 or -1 (unchanged). */
static int put_kv(hm_fpset *s, u128 kv, uint32_t set, uint32_t *was)
{
    int where;
    uint64_t at = 0, stashed;
    uint32_t f = lookup(s, kv, &where, &at, &stashed);
    if (was) *was = f;
    set &= HM_FP_FLAGS;
    if (where == FOUND) {
        unsigned char *p = s->slot + at * s->width;
        st(p, ld(p) | (u128)set << rbits(s));
        return 0;
    }
    if (stashed != UINT64_MAX) {
        sset(s, stashed, sget(s, stashed) | set);
        return 0;
    }
    if ((s->count + 1u) * LOAD_DEN > ((uint64_t)LOAD_NUM << s->q)) { /* past 90 %: grow first */
        if (grow(s) != 0) return -1;
        where = locate(s, kv, &at);
    }
    return insert(s, kv, set, where, at, s->max_bytes);
}

int hm_fpset_put(hm_fpset *s, hm_key k, uint32_t set, uint32_t *was)
{
    return put_kv(s, kv_of(s, k), set, was);
}

void hm_fpset_clear(hm_fpset *s, hm_key k, uint32_t clear)
{
    int where;
    uint64_t at = 0, stashed;
    (void)lookup(s, kv_of(s, k), &where, &at, &stashed);
    clear &= HM_FP_FLAGS;
    if (where == FOUND) {
        unsigned char *p = s->slot + at * s->width;
        st(p, ld(p) & ~((u128)clear << rbits(s)));
    } else if (stashed != UINT64_MAX) {
        sset(s, stashed, sget(s, stashed) & ~(u128)clear);
    }
}

uint32_t hm_fpset_flags(const hm_fpset *s, hm_key k)
{
    int where;
    uint64_t at = 0, stashed;
    return lookup(s, kv_of(s, k), &where, &at, &stashed);
}

bool hm_fpset_next(const hm_fpset *s, uint64_t *pos, hm_key *k, uint32_t *flags)
{
    shape g = shape_now(s);
    uint64_t slots = slots_of(&g);
    uint64_t i = *pos;
    for (; i < slots; i++) {
        u128 v = ld(s->slot + i * s->width);
        if (code_of(s, v) == 0) continue;
        *k = key_of(s, kv_at(s, i, v));
        *flags = flags_of(s, v);
        *pos = i + 1u;
        return true;
    }
    for (uint64_t end = slots + (s->stash ? s->stash_mask + 1u : 0u); i < end; i++) {
        u128 v = sget(s, i - slots);
        if (v == 0) continue;
        *k = key_of(s, v >> 4);
        *flags = (uint32_t)v & HM_FP_FLAGS;
        *pos = i + 1u;
        return true;
    }
    *pos = i;
    return false;
}

int hm_fpset_restore(hm_fpset *s, hm_key k, uint32_t flags)
{
    int where;
    uint64_t at, stashed;
    u128 kv = kv_of(s, k);
    if (lookup(s, kv, &where, &at, &stashed) != 0 || where == FOUND || stashed != UINT64_MAX) return 1; /* left as it was */
    return put_kv(s, kv, flags & HM_FP_FLAGS, NULL) != 0 ? -1 : 0;
}
