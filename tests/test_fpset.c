/* test_fpset.c — the visited set (model/fpset.h) against a reference, a sorted array of
 * keys with their flags: a million random keys through several doublings, present and
 * absent lookups, flags set and cleared per key, the memory bound (-1, the table unchanged
 * and still right), next/restore round trips, keys whose low or top bits are all 0 or all
 * 1, and budget twins (keys sharing their top 32 bits, so their home) in runs longer than a
 * slot's displacement field holds, which the stash takes. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "fphash.h"
#include "fpset.h"

#define KEYMASK (~(uint64_t)HM_FP_FLAGS)

static uint64_t rng_state;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t key_of(uint64_t fp) { return (fp & KEYMASK) ? (fp & KEYMASK) : 8u; }

/* Most tests reason about 64-bit values whose low 3 bits do not matter (key_of); the
 * table sees them as 80-bit keys: that value as hi, and 16 more bits drawn from it as
 * lo's top bits, so every key uses the whole width. */
static hm_key K(uint64_t fp)
{
    uint64_t h = key_of(fp), z = h * 0xD6E8FEB86659FD93ull;
    return (hm_key){h, (z ^ z >> 29) & 0xFFFF000000000000ull};
}

/* hm_fpset_next as one 64-bit value: the key's hi with its flags in the low bits. */
static bool next_v(const hm_fpset *s, uint64_t *pos, uint64_t *v)
{
    hm_key k;
    uint32_t f;
    if (!hm_fpset_next(s, pos, &k, &f)) return false;
    cr_assert(k.hi == key_of(k.hi) && hm_key_eq(k, K(k.hi)), "next gave a key the test did not put");
    *v = k.hi | f;
    return true;
}

/* ---- the reference: sorted distinct keys, a flags byte each ------------------------- */

typedef struct ref {
    uint64_t *key;
    unsigned char *flags;
    size_t n;
} ref;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static ref ref_of(const uint64_t *fps, size_t n)
{
    ref r = {malloc(n * sizeof(uint64_t)), calloc(n ? n : 1, 1), 0};
    cr_assert(r.key && r.flags);
    for (size_t i = 0; i < n; i++) r.key[i] = key_of(fps[i]);
    qsort(r.key, n, sizeof(uint64_t), cmp_u64);
    for (size_t i = 0; i < n; i++)
        if (r.n == 0 || r.key[r.n - 1] != r.key[i]) r.key[r.n++] = r.key[i];
    return r;
}

static long ref_find(const ref *r, uint64_t fp)
{
    uint64_t k = key_of(fp);
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->key[mid] < k) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->n && r->key[lo] == k ? (long)lo : -1;
}

static void ref_free(ref *r)
{
    free(r->key);
    free(r->flags);
}

/* Every reference key has its flags in s, s holds nothing else, and `absent` random keys
 * the reference lacks have none. */
static void same(const hm_fpset *s, const ref *r, size_t absent, const char *what)
{
    uint64_t present = 0;
    for (size_t i = 0; i < r->n; i++) {
        uint32_t f = hm_fpset_flags(s, K(r->key[i] | (rnd() & HM_FP_FLAGS)));
        cr_assert_eq(f, r->flags[i], "%s: key %#llx has flags %u, not %u", what, (unsigned long long)r->key[i], f,
                     r->flags[i]);
        present += r->flags[i] != 0;
    }
    cr_assert_geq(s->count, present, "%s", what);
    for (size_t i = 0; i < absent; i++) {
        uint64_t fp = rnd();
        if (i & 1) fp = (r->key[rnd() % r->n] & ~(0xFFFFFFFFull << 3)) | (rnd() & 0x7FFFFFF8ull); /* a twin */
        if (ref_find(r, fp) >= 0) continue;
        cr_assert_eq(hm_fpset_flags(s, K(fp)), 0u, "%s: absent key %#llx has flags", what, (unsigned long long)fp);
    }
}

/* The random keys: each draw a fresh key or, one time in four, a twin of the one before
 * (its top 32 bits) or, one in sixteen, a repeat. */
static uint64_t *draw(size_t n)
{
    uint64_t *fp = malloc(n * sizeof *fp);
    cr_assert_not_null(fp);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rnd(), c = x & 15u;
        if (i > 0 && c < 4) fp[i] = (fp[i - 1] & ~0xFFFFFFFFull) | (rnd() & 0xFFFFFFFFull);
        else if (i > 0 && c == 4) fp[i] = fp[rnd() % i] ^ (rnd() & HM_FP_FLAGS);
        else fp[i] = x;
    }
    return fp;
}

/* Put every fp with random flags, checking what each put says it had. */
static void fill(hm_fpset *s, ref *r, const uint64_t *fps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        long k = ref_find(r, fps[i]);
        cr_assert_geq(k, 0);
        uint32_t set = (uint32_t)(rnd() % 7u) + 1u, was = 99;
        cr_assert_eq(hm_fpset_put(s, K(fps[i]), set, &was), 0, "put %zu", i);
        cr_assert_eq(was, r->flags[k], "put %zu: was %u, not %u", i, was, r->flags[k]);
        r->flags[k] |= (unsigned char)set;
    }
}

Test(fpset, million_random_keys_through_doublings)
{
    rng_state = 1;
    enum { N = 1000000 };
    uint64_t *fps = draw(N);
    ref r = ref_of(fps, N);
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 4, 80, (size_t)1 << 32), 0);
    size_t bytes0 = hm_fpset_bytes(&s);
    fill(&s, &r, fps, N);
    cr_assert_eq(s.count, r.n);
    cr_assert_geq(hm_fpset_bytes(&s), bytes0 << 10, "grew through at least ten doublings");
    same(&s, &r, N, "after the puts");

    /* clear flags key by key, some keys to none at all (they stay entries) */
    for (size_t i = 0; i < r.n; i++) {
        uint32_t c = (uint32_t)(rnd() % 8u);
        hm_fpset_clear(&s, K(r.key[i] | (rnd() & HM_FP_FLAGS)), c);
        r.flags[i] &= (unsigned char)~c;
    }
    for (size_t i = 0; i < 1000; i++) hm_fpset_clear(&s, K(rnd()), HM_FP_FLAGS); /* absent: nothing */
    cr_assert_eq(s.count, r.n);
    same(&s, &r, N / 4, "after the clears");

    /* a key cleared to no flags is still an entry: putting it again adds nothing */
    for (size_t i = 0; i < r.n; i += 97) {
        uint32_t was = 99;
        cr_assert_eq(hm_fpset_put(&s, K(r.key[i]), 0, &was), 0);
        cr_assert_eq(was, r.flags[i]);
    }
    cr_assert_eq(s.count, r.n);
    double per = (double)hm_fpset_bytes(&s) / (double)s.count;
    cr_log_info("%zu keys, %zu bytes, %.2f bytes per key, %llu stashed", r.n, hm_fpset_bytes(&s), per,
                (unsigned long long)s.stash_count);
    hm_fpset_free(&s);
    ref_free(&r);
    free(fps);
}

Test(fpset, bytes_per_key_when_full)
{
    /* 80-bit keys: a slot is 9 bytes at q = 20, 8 at q = 24..31: check the shape at a size
     * a test can afford, then the figure at 2^30 slots from the shape alone */
    rng_state = 2;
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 20, 80, (size_t)1 << 32), 0);
    size_t bytes = hm_fpset_bytes(&s);
    uint64_t n = (1u << 20) * 6 / 10;
    for (uint64_t i = 0; i < n; i++) cr_assert_eq(hm_fpset_put(&s, K(rnd()), HM_FP_SEEN, NULL), 0);
    cr_assert_eq(hm_fpset_bytes(&s), bytes, "no growth at 60 %%");
    cr_assert_eq(s.width, 9u);
    cr_assert_leq((double)hm_fpset_bytes(&s) / (double)s.count, 9.0 / 0.6 + 0.1);
    hm_fpset_free(&s);
    cr_assert_eq(hm_fpset_init(&s, 30, 80, (size_t)1 << 40), 0); /* calloc: untouched pages */
    cr_assert_eq(s.width, 8u);
    cr_assert_leq((double)hm_fpset_bytes(&s) / 841e6, 10.22); /* correct.yaml's 841 M states */
    cr_assert_leq((double)hm_fpset_bytes(&s) / (0.625 * (1u << 30)), 12.801);
    hm_fpset_free(&s);
}

Test(fpset, low_and_top_bits_all_zero_or_one)
{
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 4, 80, (size_t)1 << 24), 0);
    /* 0 .. 8 are one key (0 is mapped to 8); low bits never matter */
    cr_assert_eq(hm_fpset_put(&s, K(0), HM_FP_SEEN, NULL), 0);
    for (uint64_t fp = 0; fp < 16; fp++) cr_assert_eq(hm_fpset_flags(&s, K(fp)), HM_FP_SEEN, "fp %llu", (unsigned long long)fp);
    cr_assert_eq(hm_fpset_flags(&s, K(16)), 0u);
    cr_assert_eq(s.count, 1u);
    uint64_t edge[] = {
        ~0ull,                       /* all ones */
        ~0ull << 3,                  /* the same key */
        1ull << 63,                  /* top bit only */
        (1ull << 63) | 7u,           /* the same key */
        ~0ull >> 1,                  /* all but the top bit */
        0xFFFFFFFF00000000ull,       /* top half ones, low zero */
        0xFFFFFFFF00000008ull,       /* a twin of it */
        0x00000000FFFFFFF8ull,       /* top half zero, low ones */
        0x00000000FFFFFFF0ull,       /* a twin of it, and of 8 */
        0xFFFFFFF8ull << 32,         /* top 29 bits ones */
        (~0ull >> 20) & ~7ull,       /* top 20 bits zero */
        ~0ull << 44,                 /* top 20 bits one, rest zero */
        0x8000000000000008ull,
    };
    enum { E = sizeof edge / sizeof edge[0] };
    uint32_t flag[E];
    for (int i = 0; i < E; i++) {
        flag[i] = 1u << (i % 3);
        cr_assert_eq(hm_fpset_put(&s, K(edge[i]), flag[i], NULL), 0);
    }
    /* fill around them so they sit in runs and move through doublings */
    rng_state = 3;
    for (int i = 0; i < 20000; i++) {
        cr_assert_eq(hm_fpset_put(&s, K(rnd()), 0, NULL), 0); /* no flags: they change no answer above */
    }
    for (int i = 0; i < E; i++)
        for (uint64_t nb = 0; nb < 3; nb++) { /* the key, other low bits, the next key */
            uint64_t fp = nb == 0 ? edge[i] : nb == 1 ? edge[i] ^ 7u : edge[i] ^ 8u;
            uint32_t want = key_of(fp) == 8u ? HM_FP_SEEN : 0u;
            for (int j = 0; j < E; j++)
                if (key_of(edge[j]) == key_of(fp)) want |= flag[j];
            cr_assert_eq(hm_fpset_flags(&s, K(fp)), want, "edge key %d (%#llx), %llu", i, (unsigned long long)edge[i],
                         (unsigned long long)nb);
        }
    cr_assert_eq(hm_fpset_flags(&s, K(0)), HM_FP_SEEN);
    hm_fpset_free(&s);
}

Test(fpset, twins_past_the_displacement_field)
{
    /* 300 groups of up to 250 keys sharing their top 32 bits, so one home each: runs far
     * longer than dmax at every size this test passes, hence keys in the stash, through
     * growth, clears, next/restore */
    rng_state = 4;
    enum { G = 300, T = 250 };
    uint64_t *fps = malloc(G * T * sizeof *fps);
    size_t n = 0;
    for (int g = 0; g < G; g++) {
        uint64_t top = rnd() & ~0xFFFFFFFFull;
        int t = g % 5 == 0 ? T : (int)(rnd() % 64u) + 1;
        for (int i = 0; i < t; i++) fps[n++] = top | (rnd() & 0xFFFFFFFFull);
    }
    ref r = ref_of(fps, n);
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 14, 80, (size_t)1 << 30), 0);
    fill(&s, &r, fps, n);
    cr_assert_eq(s.count, r.n);
    cr_assert_gt(s.stash_count, 0u, "runs past dmax");
    same(&s, &r, n, "twins");
    for (size_t i = 0; i < r.n; i += 3) {
        hm_fpset_clear(&s, K(r.key[i]), HM_FP_NEXT);
        r.flags[i] &= (unsigned char)~HM_FP_NEXT;
    }
    same(&s, &r, n, "twins, cleared");

    hm_fpset t;
    cr_assert_eq(hm_fpset_init(&t, 4, 80, (size_t)1 << 30), 0);
    uint64_t pos = 0, v, seen = 0;
    while (next_v(&s, &pos, &v)) {
        long k = ref_find(&r, v);
        cr_assert_geq(k, 0, "next gave an unknown key %#llx", (unsigned long long)v);
        cr_assert_eq(v & HM_FP_FLAGS, r.flags[k]);
        cr_assert_eq(hm_fpset_restore(&t, K(v), (uint32_t)((v) & HM_FP_FLAGS)), 0);
        seen++;
    }
    cr_assert_eq(seen, r.n);
    cr_assert_eq(t.count, r.n);
    same(&t, &r, n, "twins, restored");
    hm_fpset_free(&t);
    hm_fpset_free(&s);
    ref_free(&r);
    free(fps);
}

Test(fpset, next_restore_round_trip)
{
    rng_state = 5;
    enum { N = 200000 };
    uint64_t *fps = draw(N);
    ref r = ref_of(fps, N);
    hm_fpset s, t;
    cr_assert_eq(hm_fpset_init(&s, 8, 80, (size_t)1 << 30), 0);
    fill(&s, &r, fps, N);
    cr_assert_eq(hm_fpset_init(&t, 8, 80, (size_t)1 << 30), 0);
    uint64_t pos = 0, v, n = 0;
    while (next_v(&s, &pos, &v)) {
        cr_assert_eq(hm_fpset_restore(&t, K(v), (uint32_t)((v) & HM_FP_FLAGS)), 0, "restore %llu", (unsigned long long)n);
        n++;
    }
    cr_assert_not(next_v(&s, &pos, &v), "stays at the end");
    cr_assert_eq(n, r.n);
    same(&t, &r, N, "restored");
    /* a second restore of any entry is refused (1) and changes nothing */
    pos = 0;
    for (int i = 0; i < 1000 && next_v(&s, &pos, &v); i++) {
        cr_assert_eq(hm_fpset_restore(&t, K((v & ~(uint64_t)HM_FP_FLAGS) | HM_FP_FLAGS), (uint32_t)(((v & ~(uint64_t)HM_FP_FLAGS) | HM_FP_FLAGS) & HM_FP_FLAGS)), 1);
        cr_assert_eq(hm_fpset_flags(&t, K(v)), (uint32_t)(v & HM_FP_FLAGS));
    }
    cr_assert_eq(t.count, r.n);
    /* and the restored table iterates to the same set */
    uint64_t *a = malloc(r.n * sizeof *a);
    pos = 0;
    n = 0;
    while (next_v(&t, &pos, &v)) {
        cr_assert_lt(n, r.n);
        a[n++] = v;
    }
    cr_assert_eq(n, r.n);
    qsort(a, n, sizeof *a, cmp_u64);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(a[i] & KEYMASK, r.key[i]);
        cr_assert_eq(a[i] & HM_FP_FLAGS, r.flags[i]);
    }
    free(a);
    hm_fpset_free(&t);
    hm_fpset_free(&s);
    ref_free(&r);
    free(fps);
}

Test(fpset, memory_bound)
{
    rng_state = 6;
    enum { N = 400000 };
    uint64_t *fps = draw(N);
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 10, 80, 1u << 20), 0); /* a MiB: the 2^17 table cannot come */
    ref r = ref_of(fps, N);
    size_t i = 0;
    for (; i < N; i++) {
        long k = ref_find(&r, fps[i]);
        uint32_t was = 99;
        int rc = hm_fpset_put(&s, K(fps[i]), HM_FP_SEEN, &was);
        if (rc != 0) {
            cr_assert_eq(rc, -1);
            cr_assert_eq(r.flags[k], 0, "only an absent key can need room");
            break;
        }
        cr_assert_eq(was, r.flags[k]);
        r.flags[k] |= HM_FP_SEEN;
    }
    cr_assert_lt(i, N, "the bound was met");
    cr_assert_leq(hm_fpset_bytes(&s), 1u << 20);
    uint64_t count = s.count;
    size_t bytes = hm_fpset_bytes(&s);
    cr_assert_gt(count, 50000u); /* 9-byte slots: the 2^16 table fits, the 2^17 does not */
    /* unchanged and still right: the refused key absent, the others there */
    cr_assert_eq(hm_fpset_flags(&s, K(fps[i])), 0u);
    same(&s, &r, 100000, "at the bound");
    /* the bound holds for every other absent key; present ones still take flags */
    for (int j = 0; j < 1000; j++) {
        uint64_t fp = rnd();
        if (ref_find(&r, fp) >= 0) continue;
        cr_assert_eq(hm_fpset_put(&s, K(fp), HM_FP_SEEN, NULL), -1);
        cr_assert_eq(hm_fpset_restore(&s, K(fp | HM_FP_SEEN), (uint32_t)((fp | HM_FP_SEEN) & HM_FP_FLAGS)), -1);
    }
    for (size_t k = 0; k < r.n; k += 7)
        if (r.flags[k]) {
            cr_assert_eq(hm_fpset_put(&s, K(r.key[k]), HM_FP_LIVE, NULL), 0);
            r.flags[k] |= HM_FP_LIVE;
        }
    cr_assert_eq(s.count, count);
    cr_assert_eq(hm_fpset_bytes(&s), bytes);
    same(&s, &r, 100000, "after refused puts");
    hm_fpset_free(&s);
    ref_free(&r);
    free(fps);
}

Test(fpset, memory_bound_with_twins)
{
    /* the stash's growth is bounded too: a table whose stash must grow at the bound */
    rng_state = 7;
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 10, 80, 12000), 0);
    uint64_t top = rnd() & ~0xFFFFFFFFull;
    uint64_t keys[2000];
    int n = 0, rc = 0;
    while (n < 2000) {
        keys[n] = top | (rnd() & 0xFFFFFFF8ull);
        uint32_t was;
        rc = hm_fpset_put(&s, K(keys[n]), HM_FP_SEEN, &was);
        if (rc != 0) break;
        if (was == 0) n++;
    }
    cr_assert_eq(rc, -1);
    cr_assert_leq(hm_fpset_bytes(&s), 12000u);
    cr_assert_eq(s.count, (uint64_t)n);
    cr_assert_gt(s.stash_count, 0u);
    cr_assert_eq(hm_fpset_flags(&s, K(keys[n])), 0u);
    for (int i = 0; i < n; i++) cr_assert_eq(hm_fpset_flags(&s, K(keys[i])), HM_FP_SEEN, "twin %d", i);
    hm_fpset_free(&s);
}

/* --preallocate's size: the largest table that fits the bound at its own slot width (5
 * to 8 bytes), not at 8 bytes a slot, which left a third of the bound unused at q >= 29. */
Test(fpset, largest_table_within_a_bound)
{
    static const size_t bounds[] = {1u << 20, 3u << 20, 100u << 20, 1ull << 30};
    for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
        uint64_t q = hm_fpset_log2_within(bounds[b], 80);
        hm_fpset s;
        cr_assert_eq(hm_fpset_init(&s, q, 80, bounds[b]), 0, "bound %zu", bounds[b]);
        cr_assert_leq(hm_fpset_bytes(&s), bounds[b]);
        hm_fpset_free(&s);
        /* one size up does not fit (hm_fpset_init refuses it) */
        cr_assert_neq(hm_fpset_init(&s, q + 1u, 80, bounds[b]), 0, "bound %zu q %lu", bounds[b], (unsigned long)q);
    }
    /* 80-bit keys: q = 30 at 8 bytes a slot is 8.6 GB, just over 8 GiB; 61-bit keys took
     * 5 bytes a slot there (5.4 GB) */
    cr_assert_eq(hm_fpset_log2_within(8ull << 30, 80), 29u);
    cr_assert_eq(hm_fpset_log2_within(9ull << 30, 80), 30u);
    cr_assert_eq(hm_fpset_log2_within(8ull << 30, 61), 30u);
}

/* The bits past a key's top 64 are state: two keys that differ only in lo's top 16 bits
 * are two states in an 80-bit table (a 64-bit table, like the one before, takes them for
 * one: the check that this test can fail), and lo's bits past the 80th do not matter.
 * Many such keys, sharing hi in groups, through doublings, the stash and next/restore. */
Test(fpset, keys_differing_only_past_64_bits)
{
    hm_fpset s, narrow;
    cr_assert_eq(hm_fpset_init(&s, 8, 80, (size_t)1 << 28), 0);
    cr_assert_eq(hm_fpset_init(&narrow, 8, 64, (size_t)1 << 28), 0);
    hm_key a = {0x0123456789ABCDEFull, 1ull << 48}, b = {a.hi, 2ull << 48}, a2 = {a.hi, (1ull << 48) | 0xFFFFu};
    cr_assert_eq(hm_fpset_put(&s, a, HM_FP_SEEN, NULL), 0);
    cr_assert_eq(hm_fpset_flags(&s, b), 0u, "b is another state");
    cr_assert_eq(hm_fpset_flags(&s, a2), HM_FP_SEEN, "bits past the 80th are ignored");
    uint32_t was = 9;
    cr_assert_eq(hm_fpset_put(&s, b, HM_FP_LIVE, &was), 0);
    cr_assert_eq(was, 0u);
    cr_assert_eq(s.count, 2u);
    cr_assert_eq(hm_fpset_put(&narrow, a, HM_FP_SEEN, NULL), 0);
    cr_assert_eq(hm_fpset_flags(&narrow, b), HM_FP_SEEN, "64-bit keys: b collides with a");
    hm_fpset_free(&narrow);

    rng_state = 8;
    enum { H = 3000, L = 40 };
    static hm_key keys[H * L];
    size_t n = 0;
    for (int h = 0; h < H; h++) {
        uint64_t hi = rnd();
        for (int l = 0; l < (h % 7 == 0 ? L : 3); l++) /* every 7th hi with 40 lo's: runs past dmax */
            keys[n++] = (hm_key){hi, (uint64_t)(l + 1) << 48 | (rnd() & 0xFFFFFFFFFFFFull)};
    }
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(hm_fpset_put(&s, keys[i], (uint32_t)(i % 7u) + 1u, &was), 0);
        cr_assert_eq(was, 0u, "key %zu is new", i);
    }
    cr_assert_eq(s.count, n + 2u);
    cr_assert_gt(s.q, 12u, "grew");
    for (size_t i = 0; i < n; i++) {
        hm_key other = {keys[i].hi, 0xFFFFull << 48}; /* an lo no key has (theirs are 1 .. L) */
        cr_assert_eq(hm_fpset_flags(&s, keys[i]), (uint32_t)(i % 7u) + 1u, "key %zu", i);
        cr_assert_eq(hm_fpset_flags(&s, other), 0u, "absent twin of key %zu", i);
    }
    hm_fpset t;
    cr_assert_eq(hm_fpset_init(&t, 8, 80, (size_t)1 << 28), 0);
    uint64_t pos = 0, m = 0;
    hm_key k;
    uint32_t f;
    while (hm_fpset_next(&s, &pos, &k, &f)) {
        cr_assert_eq(k.lo & 0xFFFFFFFFFFFFull, 0u, "next gives the key's 80 bits only");
        cr_assert_eq(hm_fpset_restore(&t, k, f), 0);
        m++;
    }
    cr_assert_eq(m, n + 2u);
    for (size_t i = 0; i < n; i++) cr_assert_eq(hm_fpset_flags(&t, keys[i]), (uint32_t)(i % 7u) + 1u, "restored %zu", i);
    cr_assert_eq(hm_fpset_flags(&t, b), HM_FP_LIVE);
    hm_fpset_free(&t);
    hm_fpset_free(&s);
}

/* Budget twins with wide keys (fphash.h): the twin's key derived from a state's key (no
 * hashing) is the key of the encoding with its budgets patched, in both words; twins
 * share lo and their home; the table finds a twin under the derived key. */
Test(fpset, budget_twins_with_wide_keys)
{
    unsigned char enc[64], twin[64];
    rng_state = 9;
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 16, HM_KEY_BITS, (size_t)1 << 26), 0);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof enc; i++) enc[i] = (unsigned char)rnd();
        for (int f = 0; f < HM_F_COUNT; f++) enc[f] = (unsigned char)(rnd() % (HM_BUDGET_MAX + 1u));
        memcpy(twin, enc, sizeof enc);
        for (int f = 0; f < HM_F_COUNT; f++) twin[f] = (unsigned char)(rnd() % (HM_BUDGET_MAX + 1u));
        uint64_t seed = rnd() % 3u;
        hm_key k = hm_fp_of(enc, sizeof enc, seed), kt = hm_fp_of(twin, sizeof twin, seed);
        hm_key derived = hm_fp_twin(k, enc, twin);
        cr_assert(hm_key_eq(derived, kt), "round %d: derived twin %#llx/%#llx, hashed %#llx/%#llx", round,
                  (unsigned long long)derived.hi, (unsigned long long)derived.lo, (unsigned long long)kt.hi,
                  (unsigned long long)kt.lo);
        cr_assert_eq(k.lo, kt.lo, "twins share lo");
        cr_assert_eq(k.hi >> 32, kt.hi >> 32, "twins share their top 32 bits: one home");
        cr_assert_neq(k.lo & 0xFFFF000000000000ull, 0u, "lo carries key bits (2^-16 to fail by chance per round)");
        cr_assert_eq(k.lo & 0xFFFFFFFFFFFFull, 0u);
        cr_assert_eq(hm_fpset_put(&s, kt, HM_FP_SEEN, NULL), 0);
        cr_assert_eq(hm_fpset_flags(&s, hm_fp_twin(k, enc, twin)) & HM_FP_SEEN, HM_FP_SEEN);
        /* a key that differs from the twin only in lo is not found */
        cr_assert_eq(hm_fpset_flags(&s, (hm_key){kt.hi, kt.lo ^ 1ull << 48}), 0u);
    }
    hm_fpset_free(&s);
}

/* Slots of 8 bytes or fewer take a 64-bit probe (fpset.c's locate64), wider ones the
 * 128-bit one: the same workloads as above on an 80-bit table born at q = 24 (8-byte
 * slots, dmax 30), random keys and twin runs past dmax (the stash), then next/restore
 * into a table born at q = 8 (10-byte slots) that grows into 8-byte ones: both agree with
 * the reference at every step. */
Test(fpset, eight_byte_slots_probe_on_64_bits)
{
    rng_state = 10;
    enum { N = 300000, G = 200, T = 120 };
    uint64_t *fps = malloc((N + G * T) * sizeof *fps);
    cr_assert_not_null(fps);
    uint64_t *rand_fps = draw(N);
    memcpy(fps, rand_fps, N * sizeof *fps);
    free(rand_fps);
    size_t n = N;
    for (int g = 0; g < G; g++) {
        uint64_t top = rnd() & ~0xFFFFFFFFull;
        int t = g % 4 == 0 ? T : (int)(rnd() % 40u) + 1;
        for (int i = 0; i < t; i++) fps[n++] = top | (rnd() & 0xFFFFFFFFull);
    }
    ref r = ref_of(fps, n);
    hm_fpset s;
    cr_assert_eq(hm_fpset_init(&s, 24, 80, (size_t)1 << 30), 0);
    cr_assert_eq(s.width, 8u);
    cr_assert_eq(s.dmax, 30u);
    fill(&s, &r, fps, n);
    cr_assert_eq(s.count, r.n);
    cr_assert_eq(s.q, 24u, "no growth");
    cr_assert_gt(s.stash_count, 0u, "twin runs past dmax");
    same(&s, &r, n, "8-byte slots");
    for (size_t i = 0; i < r.n; i += 5) {
        hm_fpset_clear(&s, K(r.key[i]), HM_FP_LIVE);
        r.flags[i] &= (unsigned char)~HM_FP_LIVE;
    }
    same(&s, &r, n, "8-byte slots, cleared");

    hm_fpset t;
    cr_assert_eq(hm_fpset_init(&t, 8, 80, (size_t)1 << 30), 0);
    cr_assert_gt(t.width, 8u, "slots wider than 8 bytes: the 128-bit probe");
    uint64_t pos = 0, v, seen = 0;
    while (next_v(&s, &pos, &v)) {
        cr_assert_eq(hm_fpset_restore(&t, K(v), (uint32_t)(v & HM_FP_FLAGS)), 0);
        seen++;
    }
    cr_assert_eq(seen, r.n);
    cr_assert_geq(t.q, 19u, "grew");
    same(&t, &r, n, "restored into wider slots");
    /* grow t until its slots are 8 bytes: the keys move from one probe's table to the other's */
    uint64_t extra = 0;
    while (t.width > 8u) {
        uint64_t fp = rnd() | 0xF0u;
        if (ref_find(&r, fp) >= 0) continue;
        uint32_t was = 9;
        cr_assert_eq(hm_fpset_put(&t, K(fp), HM_FP_SEEN, &was), 0);
        cr_assert_eq(was, 0u);
        extra++;
    }
    cr_assert_eq(t.count, r.n + extra);
    same(&t, &r, n / 4, "grown into 8-byte slots");
    hm_fpset_free(&t);
    hm_fpset_free(&s);
    ref_free(&r);
    free(fps);
}
