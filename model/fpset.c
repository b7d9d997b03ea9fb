/* fpset.c — the visited set (see fpset.h for the layout): a Robin Hood linear-probing
 * table of packed slots that store a key's remainder, its flags and its displacement + 1,
 * the key's top q bits being its home; keys displaced further than dmax go to a small
 * exact side table (the stash). Nothing is ever removed, so a run only ever shifts right:
 * an insertion places the key at the end of its home's keys and moves the rest of the run
 * one slot on, and the key that would pass dmax in that move goes to the stash. Hence the
 * invariant lookups rely on: a stashed key's slots home .. home + dmax all hold keys at
 * least as far from their own home as the slot is from the stashed key's. */
#include "fpset.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define KEY(fp) (((fp) & ~(uint64_t)HM_FP_FLAGS) ? ((fp) & ~(uint64_t)HM_FP_FLAGS) : 8u)

enum {
    DBITS_MIN = 5,   /* at least 5 bits of displacement: dmax >= 30 */
    DMAX_CAP = 254,  /* wider fields (small tables) still stop there */
    Q_MIN = 8,       /* below, 61 - q remainder bits + 3 + DBITS_MIN pass 64 */
    LOAD_NUM = 9,    /* grown past 9/10 full */
    LOAD_DEN = 10,
};

typedef struct shape {
    uint32_t q, width, dbits, dmax;
} shape;

static shape shape_of(uint32_t q)
{
    shape g = {.q = q};
    g.width = (64u - q + DBITS_MIN + 7u) / 8u;
    g.dbits = 8u * g.width - (64u - q);
    g.dmax = g.dbits >= 8u ? DMAX_CAP : (1u << g.dbits) - 2u;
    assert(g.dbits >= DBITS_MIN && g.dbits <= 16u && g.width <= 8u);
    return g;
}

static uint64_t slots_of(const shape *g) { return (1ull << g->q) + g->dmax + 1u; }
static size_t main_bytes(const shape *g) { return (size_t)(slots_of(g) * g->width + 8u); }

static inline uint64_t ld(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st(unsigned char *p, uint64_t v) { memcpy(p, &v, sizeof v); }

static inline uint64_t wmask(uint32_t width) { return width >= 8u ? ~0ull : (1ull << (8u * width)) - 1u; }

/* A slot's fields (fpset.h): the remainder's complement in the low 61 - q bits, the
 * flags above it, d + 1 in the top dbits bits of the slot, from bit 64 - q. */
static inline uint64_t rem_mask(const hm_fpset *s) { return (1ull << (61u - s->q)) - 1u; }
static inline uint32_t flags_of(const hm_fpset *s, uint64_t v) { return (uint32_t)(v >> (61u - s->q)) & HM_FP_FLAGS; }
static inline uint64_t code_of(const hm_fpset *s, uint64_t v) { return (v & wmask(s->width)) >> (64u - s->q); }

/* The slot value of key at displacement 0 with no flags. In a run, slots are in order of
 * (home, remainder), so at distance j from key's home (want + j << (64 - q)) a slot whose
 * value without flags is above it holds a key before key, and one below it (or empty:
 * 0) a key after it: key is not further on. */
static inline uint64_t want_of(const hm_fpset *s, uint64_t key)
{
    return 1ull << (64u - s->q) | (~(key >> 3) & rem_mask(s));
}

/* The key a slot at index i holds (v non-empty). */
static inline uint64_t key_at(const hm_fpset *s, uint64_t i, uint64_t v)
{
    return (i - (code_of(s, v) - 1u)) << (64u - s->q) | (~v & rem_mask(s)) << 3;
}

/* ---- the stash: key | flags, linear probing, at most half full ---------------------- */

static inline uint64_t stash_home(uint64_t key, uint64_t mask) { return (key * 0x9E3779B97F4A7C15ull >> 20) & mask; }

static uint64_t *stash_find(const hm_fpset *s, uint64_t key)
{
    if (s->stash_count == 0) return NULL;
    for (uint64_t i = stash_home(key, s->stash_mask); s->stash[i] != 0; i = (i + 1u) & s->stash_mask)
        if ((s->stash[i] & ~(uint64_t)HM_FP_FLAGS) == key) return &s->stash[i];
    return NULL;
}

static size_t stash_bytes(const hm_fpset *s) { return s->stash ? (size_t)(s->stash_mask + 1u) * 8u : 0u; }

/* Room for one more stashed key within bound bytes of table and stash together. */
static int stash_room(hm_fpset *s, size_t bound)
{
    uint64_t slots = s->stash ? s->stash_mask + 1u : 0u;
    if ((s->stash_count + 1u) * 2u <= slots) return 0;
    uint64_t n = slots ? slots * 2u : 16u;
    shape g = {s->q, s->width, s->dbits, s->dmax};
    if (main_bytes(&g) + n * 8u > bound) return -1;
    uint64_t *t = calloc(n, sizeof *t);
    if (t == NULL) return -1;
    for (uint64_t i = 0; i < slots; i++) {
        uint64_t v = s->stash[i];
        if (v == 0) continue;
        uint64_t j = stash_home(v & ~(uint64_t)HM_FP_FLAGS, n - 1u);
        while (t[j] != 0) j = (j + 1u) & (n - 1u);
        t[j] = v;
    }
    free(s->stash);
    s->stash = t;
    s->stash_mask = n - 1u;
    return 0;
}

static void stash_add(hm_fpset *s, uint64_t val) /* absent; stash_room succeeded */
{
    uint64_t i = stash_home(val & ~(uint64_t)HM_FP_FLAGS, s->stash_mask);
    while (s->stash[i] != 0) i = (i + 1u) & s->stash_mask;
    s->stash[i] = val;
    s->stash_count++;
}

/* ---- the table ------------------------------------------------------------------------ */

enum { FAST = 4 }; /* slots a probe reads before it branches (<= dmax) */
enum { FOUND, ABSENT, DEEP }; /* DEEP: absent from the table, ran dmax + 1 slots: maybe stashed */

/* Where key is (FOUND, *at its slot index) or would go (ABSENT, *at the first slot whose
 * key lives further on, or is empty). */
static inline int locate(const hm_fpset *s, uint64_t key, uint64_t *at)
{
    const uint32_t w = s->width;
    const uint64_t cmp = wmask(w) & ~((uint64_t)HM_FP_FLAGS << (61u - s->q)), step = 1ull << (64u - s->q);
    uint64_t i = key >> (64u - s->q), end = i + s->dmax;
    uint64_t want = want_of(s, key);
    const unsigned char *p = s->slot + i * w;
    /* the first FAST slots without a branch on each (dmax >= 30): the keys before key
     * make a prefix of the run, so their count is where key is or would go */
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
        uint64_t v = ld(p) & cmp;
        if (v <= want) {
            *at = i;
            return v == want ? FOUND : ABSENT;
        }
        if (i == end) return DEEP;
    }
}

/* Insert absent key with flags f; where == ABSENT: at slot *at (from locate); DEEP: to
 * the stash. The key a shift pushes past dmax goes to the stash too. 0, or -1 when the
 * stash needs room it cannot have within bound (the table is then unchanged). */
static int insert(hm_fpset *s, uint64_t key, uint32_t f, int where, uint64_t at, size_t bound)
{
    if (where == DEEP) {
        if (stash_room(s, bound) != 0) return -1;
        stash_add(s, key | f);
        s->count++;
        return 0;
    }
    const uint32_t w = s->width;
    const uint64_t full = (uint64_t)s->dmax + 1u, wm = wmask(w), step = 1ull << (64u - s->q);
    uint64_t e = at; /* the run's end: an empty slot, or a key already dmax from home */
    uint64_t c;
    for (;; e++) {
        c = code_of(s, ld(s->slot + e * w));
        if (c == 0 || c == full) break;
    }
    if (c == full) {
        if (stash_room(s, bound) != 0) return -1;
        uint64_t x = ld(s->slot + e * w);
        stash_add(s, key_at(s, e, x) | flags_of(s, x));
    }
    if (e > at) { /* shift at .. e - 1 on by one slot, each one further from home */
        memmove(s->slot + (at + 1u) * w, s->slot + at * w, (size_t)(e - at) * w);
        for (unsigned char *p = s->slot + (at + 1u) * w, *end = s->slot + (e + 1u) * w; p < end; p += w)
            st(p, ld(p) + step); /* d + 1 < 2^dbits: the sum stays in the slot's top field */
    }
    uint64_t d = at - (key >> (64u - s->q));
    unsigned char *to = s->slot + at * w;
    st(to, (ld(to) & ~wm) | (want_of(s, key) + d * step) | (uint64_t)f << (61u - s->q));
    s->count++;
    return 0;
}

static int table_new(hm_fpset *s, uint32_t q, size_t max_bytes)
{
    shape g = shape_of(q);
    memset(s, 0, sizeof *s);
    if (main_bytes(&g) > max_bytes) return -1;
    s->q = g.q;
    s->width = g.width;
    s->dbits = g.dbits;
    s->dmax = g.dmax;
    s->max_bytes = max_bytes;
    s->slot = calloc(1, main_bytes(&g));
    return s->slot ? 0 : -1;
}

int hm_fpset_init(hm_fpset *s, uint64_t slots_log2, size_t max_bytes)
{
    assert(slots_log2 >= 4 && slots_log2 < 48);
    return table_new(s, slots_log2 < Q_MIN ? Q_MIN : (uint32_t)slots_log2, max_bytes);
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

uint64_t hm_fpset_log2_within(size_t max_bytes)
{
    uint32_t q = 16;
    while (q < 40) {
        shape g = shape_of(q + 1u);
        if (main_bytes(&g) > max_bytes) break;
        q++;
    }
    return q;
}

size_t hm_fpset_bytes(const hm_fpset *s)
{
    shape g = {s->q, s->width, s->dbits, s->dmax};
    return main_bytes(&g) + stash_bytes(s);
}

/* Twice the homes: every key re-inserted in slot order (homes ascending, so each lands at
 * its run's end with hardly a shift). The old table stays whole until the new one is. */
static int grow(hm_fpset *s)
{
    shape g = shape_of(s->q + 1u);
    if (g.q >= 48u || main_bytes(&g) + stash_bytes(s) > s->max_bytes) return -1;
    hm_fpset n;
    if (table_new(&n, g.q, s->max_bytes) != 0) return -1;
    uint64_t slots = slots_of(&(shape){s->q, s->width, s->dbits, s->dmax});
    for (uint64_t i = 0; i < slots; i++) {
        uint64_t v = ld(s->slot + i * s->width);
        if (code_of(s, v) == 0) continue;
        uint64_t key = key_at(s, i, v), at = 0;
        int where = locate(&n, key, &at);
        if (insert(&n, key, flags_of(s, v), where, at, s->max_bytes) != 0) goto fail;
    }
    for (uint64_t i = 0; s->stash && i <= s->stash_mask; i++) {
        uint64_t v = s->stash[i], key = v & ~(uint64_t)HM_FP_FLAGS, at = 0;
        if (v == 0) continue;
        int where = locate(&n, key, &at);
        if (insert(&n, key, (uint32_t)(v & HM_FP_FLAGS), where, at, s->max_bytes) != 0) goto fail;
    }
    assert(n.count == s->count);
    hm_fpset_free(s);
    *s = n;
    return 0;
fail:
    hm_fpset_free(&n);
    return -1;
}

/* key's flags or (absent) none; where it is or would go into *where / *at; its stash
 * slot into *stashed when it is there. */
static inline uint32_t lookup(const hm_fpset *s, uint64_t key, int *where, uint64_t *at, uint64_t **stashed)
{
    *stashed = NULL;
    *where = locate(s, key, at);
    if (*where == FOUND) return flags_of(s, ld(s->slot + *at * s->width));
    if (*where == DEEP && (*stashed = stash_find(s, key)) != NULL) return (uint32_t)(**stashed & HM_FP_FLAGS);
    return 0;
}

/* Add key with flags set when absent (*added), or set them on it. 0 or -1 (unchanged). */
static int put_key(hm_fpset *s, uint64_t key, uint32_t set, uint32_t *was, bool *added)
{
    int where;
    uint64_t at = 0, *stashed = NULL;
    uint32_t f = lookup(s, key, &where, &at, &stashed);
    if (was) *was = f;
    *added = false;
    set &= HM_FP_FLAGS;
    if (where == FOUND) {
        unsigned char *p = s->slot + at * s->width;
        st(p, ld(p) | (uint64_t)set << (61u - s->q));
        return 0;
    }
    if (stashed) {
        *stashed |= set;
        return 0;
    }
    if ((s->count + 1u) * LOAD_DEN > ((uint64_t)LOAD_NUM << s->q)) { /* past 90 %: grow first */
        if (grow(s) != 0) return -1;
        where = locate(s, key, &at);
    }
    if (insert(s, key, set, where, at, s->max_bytes) != 0) return -1;
    *added = true;
    return 0;
}

int hm_fpset_put(hm_fpset *s, uint64_t fp, uint32_t set, uint32_t *was)
{
    bool added;
    return put_key(s, KEY(fp), set, was, &added);
}

void hm_fpset_clear(hm_fpset *s, uint64_t fp, uint32_t clear)
{
    int where;
    uint64_t at = 0, *stashed = NULL;
    (void)lookup(s, KEY(fp), &where, &at, &stashed);
    clear &= HM_FP_FLAGS;
    if (where == FOUND) {
        unsigned char *p = s->slot + at * s->width;
        st(p, ld(p) & ~((uint64_t)clear << (61u - s->q)));
    } else if (stashed) {
        *stashed &= ~(uint64_t)clear;
    }
}

uint32_t hm_fpset_flags(const hm_fpset *s, uint64_t fp)
{
    int where;
    uint64_t at = 0, *stashed = NULL;
    return lookup(s, KEY(fp), &where, &at, &stashed);
}

bool hm_fpset_next(const hm_fpset *s, uint64_t *pos, uint64_t *val)
{
    uint64_t slots = slots_of(&(shape){s->q, s->width, s->dbits, s->dmax});
    uint64_t i = *pos;
    for (; i < slots; i++) {
        uint64_t v = ld(s->slot + i * s->width);
        if (code_of(s, v) == 0) continue;
        *val = key_at(s, i, v) | flags_of(s, v);
        *pos = i + 1u;
        return true;
    }
    for (uint64_t end = slots + (s->stash ? s->stash_mask + 1u : 0u); i < end; i++)
        if (s->stash[i - slots] != 0) {
            *val = s->stash[i - slots];
            *pos = i + 1u;
            return true;
        }
    *pos = i;
    return false;
}

int hm_fpset_restore(hm_fpset *s, uint64_t val)
{
    int where;
    uint64_t at, *stashed, key = KEY(val);
    if (lookup(s, key, &where, &at, &stashed) != 0 || where == FOUND || stashed) return 1; /* left as it was */
    bool added;
    return put_key(s, key, (uint32_t)(val & HM_FP_FLAGS), NULL, &added) != 0 ? -1 : 0;
}
