/* backoff.c — the reconnect delay policies (see backoff.h and docs/backoff.md).
 *
 * Owns the arithmetic of every policy: the per-client base drawn at init, the growth
 * base * factor^n, the cap, the jitter shapes (symmetric +/-, backo2's, full, equal,
 * decorrelated, centrifuge's), step tables, the retry-token bucket, and the exact bounds
 * and analytic means the tests and `herd policies` print. All integer: growth is a
 * binary fixed-point multiplier (2^30 = x1) raised by squaring, so a call costs O(log n)
 * whatever the attempt number; products go through unsigned __int128 and saturate, never
 * wrap; no 128-bit division anywhere (the core must not need libgcc's __divti3).
 * Randomness only through herd_rng_range / herd_rng_below, a fixed number of draws per
 * kind, so a seed replays the same delays everywhere. No globals except const tables. */
#include "backoff.h"
#include "error.h"

#include <assert.h>
#include <string.h>

typedef unsigned __int128 u128;

#define PPM 1000000u
#define MILLI 1000u
/* Growth multipliers are binary fixed point, 2^30 = x1, so rescaling is a shift: a 128-bit
 * division by a constant makes gcc declare __divti3, which the core's purity test refuses.
 * Multipliers saturate at 2^33 (GROW_LIMIT), so a product of two fits 128 bits unchecked. */
#define GROW_SHIFT 30
#define GROW_SCALE (1ull << GROW_SHIFT)
#define GROW_LIMIT (1ull << (GROW_SHIFT + 33))
/* Uncapped delays saturate at 2^40 us (about 12.7 days), and the multiplier at x2^33: a
 * saturated delay is at least 2^33 us (2.4 h), above any cap (1 h at most), so saturation
 * never shows in a capped delay and every product stays small. */
#define RAW_LIMIT_US (1ull << 40)
/* Validation limits: anything beyond an hour is a configuration mistake, not a policy. */
#define CAP_MIN_US 1000u
#define DELAY_MAX_US 3600000000u
#define TABLE_ENTRY_MAX_MS 3600000u
#define FACTOR_MAX_MILLI 100000u
/* backo2 picks the sign from the first decimal digit of the same draw (even: minus). */
#define BACKO2_DECILE (PPM / 10u)

enum jitter_shape {
    SHAPE_NONE,         /* t */
    SHAPE_SYMMETRIC,    /* t * U[1 - j, 1 + j] */
    SHAPE_BACKO2,       /* t +/- floor(t * j * r), sign from r's first decimal digit */
    SHAPE_FULL,         /* U[0, t] */
    SHAPE_EQUAL,        /* t/2 + U[0, t/2] */
    SHAPE_CENTRIFUGE,   /* min(cap, base + U[0, min(cap, t)]) */
    SHAPE_DECORRELATED, /* min(cap, U[base, prev * factor]) */
    SHAPE_TABLE,        /* step table */
};

typedef struct kind_info {
    const char *name;
    uint8_t shape;
    uint8_t grows;      /* uses base * factor^n and a cap */
    uint8_t jbc_ok;     /* jitter_before_cap changes something */
    uint8_t first_ok;   /* first_unjittered allowed */
    uint8_t jitter_ok;  /* reads jitter_ppm */
    uint8_t zero_first; /* attempt 0 is immediate (AWS: the initial request is not delayed) */
} kind_info;

static const kind_info kinds[HERD_BACKOFF_KIND_COUNT] = {
    [HERD_BACKOFF_FIXED] = {"fixed", SHAPE_NONE, 0, 0, 0, 0, 0},
    [HERD_BACKOFF_EXPONENTIAL] = {"exponential", SHAPE_NONE, 1, 0, 0, 0, 0},
    [HERD_BACKOFF_ARTICLE] = {"article", SHAPE_SYMMETRIC, 1, 1, 1, 1, 0},
    [HERD_BACKOFF_FULL_JITTER] = {"full_jitter", SHAPE_FULL, 1, 1, 1, 0, 0},
    [HERD_BACKOFF_EQUAL_JITTER] = {"equal_jitter", SHAPE_EQUAL, 1, 1, 1, 0, 0},
    [HERD_BACKOFF_DECORRELATED] = {"decorrelated", SHAPE_DECORRELATED, 1, 0, 0, 0, 0},
    [HERD_BACKOFF_GRPC] = {"grpc", SHAPE_SYMMETRIC, 1, 1, 1, 1, 0},
    [HERD_BACKOFF_SOCKETIO] = {"socketio", SHAPE_BACKO2, 1, 1, 1, 1, 0},
    [HERD_BACKOFF_PHOENIX] = {"phoenix", SHAPE_TABLE, 0, 0, 0, 0, 0},
    [HERD_BACKOFF_SIGNALR] = {"signalr", SHAPE_TABLE, 0, 0, 0, 0, 0},
    [HERD_BACKOFF_RECONNECTING_WS] = {"reconnecting_ws", SHAPE_NONE, 1, 0, 0, 0, 0},
    [HERD_BACKOFF_CENTRIFUGE] = {"centrifuge", SHAPE_CENTRIFUGE, 1, 0, 0, 0, 0},
    [HERD_BACKOFF_AWS_STANDARD] = {"aws_standard", SHAPE_FULL, 1, 1, 0, 0, 1},
};

static const uint32_t phoenix_table_ms[] = {10, 50, 100, 150, 200, 250, 500, 1000, 2000};
static const uint32_t signalr_table_ms[] = {0, 2000, 10000, 30000};

static inline uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static const kind_info *info_of(const herd_backoff_policy *p)
{
    assert(p->kind < HERD_BACKOFF_KIND_COUNT);
    return &kinds[p->kind];
}

/* Upper end of the per-client base: base_max_us == 0 means "same as base_us". */
static uint32_t base_hi(const herd_backoff_policy *p)
{
    return p->base_max_us > p->base_us ? p->base_max_us : p->base_us;
}

/* ---- fixed-point growth ------------------------------------------------------------ */

static uint64_t grow_mul(uint64_t a, uint64_t b)
{
    assert(a <= GROW_LIMIT && b <= GROW_LIMIT);
    u128 r = ((u128)a * b) >> GROW_SHIFT; /* < 2^126 before the shift */
    return r > GROW_LIMIT ? GROW_LIMIT : (uint64_t)r;
}

/* factor^n in GROW_SCALE units, saturating at GROW_LIMIT; at most 32 squarings. */
static uint64_t grow_factor(uint32_t factor_milli, uint32_t n)
{
    uint64_t r = GROW_SCALE;
    uint64_t a = (uint64_t)factor_milli * GROW_SCALE / MILLI; /* x1.6: within 2^-30 */
    if (a > GROW_LIMIT) a = GROW_LIMIT;
    while (n != 0 && r < GROW_LIMIT) {
        if (n & 1u) r = grow_mul(r, a);
        n >>= 1;
        if (n != 0) a = grow_mul(a, a);
    }
    return r;
}

/* base * factor^n, uncapped but saturating at RAW_LIMIT_US. */
static uint64_t raw_us(uint64_t base_us, uint64_t mult)
{
    u128 v = ((u128)base_us * mult) >> GROW_SHIFT;
    return v > RAW_LIMIT_US ? RAW_LIMIT_US : (uint64_t)v;
}

/* ---- defaults, names, validation ----------------------------------------------------- */

static void set_table(herd_backoff_policy *p, const uint32_t *ms, uint16_t len)
{
    assert(len <= HERD_BACKOFF_TABLE_MAX);
    for (uint16_t i = 0; i < len; i++) p->table_ms[i] = ms[i];
    p->table_len = len;
}

static void set_growth(herd_backoff_policy *p, uint32_t base_us, uint32_t factor_milli,
                       uint32_t cap_us)
{
    p->base_us = base_us;
    p->base_max_us = base_us;
    p->factor_milli = factor_milli;
    p->cap_us = cap_us;
}

int herd_backoff_defaults(herd_backoff_policy *p, int kind)
{
    assert(p != NULL);
    if (kind < 0 || kind >= HERD_BACKOFF_KIND_COUNT) return HERD_EINVAL;
    memset(p, 0, sizeof *p);
    p->kind = (uint8_t)kind;
    const uint32_t ms = HERD_US_PER_MS, s = HERD_US_PER_S;
    switch (kind) {
    case HERD_BACKOFF_FIXED: p->base_us = p->base_max_us = 1 * s; break;
    case HERD_BACKOFF_EXPONENTIAL: set_growth(p, 1 * s, 2000, 60 * s); break;
    case HERD_BACKOFF_ARTICLE:
        set_growth(p, 100 * ms, 2000, 60 * s);
        p->base_max_us = 500 * ms;
        p->jitter_ppm = 500000;
        break;
    case HERD_BACKOFF_FULL_JITTER:
    case HERD_BACKOFF_EQUAL_JITTER: set_growth(p, 100 * ms, 2000, 60 * s); break;
    case HERD_BACKOFF_DECORRELATED: set_growth(p, 100 * ms, 3000, 60 * s); break;
    case HERD_BACKOFF_GRPC:
        set_growth(p, 1 * s, 1600, 120 * s);
        p->jitter_ppm = 200000;
        p->first_unjittered = 1;
        break;
    case HERD_BACKOFF_SOCKETIO:
        set_growth(p, 1 * s, 2000, 5 * s);
        p->jitter_ppm = 500000;
        p->jitter_before_cap = 1; /* backo2 caps the jittered value: the library's order */
        break;
    case HERD_BACKOFF_PHOENIX:
        set_table(p, phoenix_table_ms, 9);
        p->after_us = 5000 * ms;
        break;
    case HERD_BACKOFF_SIGNALR:
        set_table(p, signalr_table_ms, 4);
        p->table_stop = 1;
        break;
    case HERD_BACKOFF_RECONNECTING_WS:
        set_growth(p, 1 * s, 1300, 10 * s);
        p->base_max_us = 5 * s;
        break;
    case HERD_BACKOFF_CENTRIFUGE: set_growth(p, 500 * ms, 2000, 20 * s); break;
    case HERD_BACKOFF_AWS_STANDARD:
        set_growth(p, 100 * ms, 2000, 20 * s);
        p->max_attempts = 3;
        p->token_capacity = 500;
        p->token_retry_cost = 5;
        p->token_timeout_cost = 10;
        p->token_refund = 1;
        break;
    }
    assert(herd_backoff_validate(p) == HERD_OK);
    return HERD_OK;
}

const char *herd_backoff_name(int kind)
{
    if (kind < 0 || kind >= HERD_BACKOFF_KIND_COUNT) return "unknown";
    return kinds[kind].name;
}

int herd_backoff_parse(const char *name)
{
    if (name == NULL) return HERD_EINVAL;
    for (int k = 0; k < HERD_BACKOFF_KIND_COUNT; k++)
        if (strcmp(name, kinds[k].name) == 0) return k;
    return HERD_EINVAL;
}

static bool valid_flags(const herd_backoff_policy *p, const kind_info *k)
{
    if (p->jitter_before_cap > 1 || p->first_unjittered > 1 || p->table_stop > 1) return false;
    /* A flag the kind ignores would make a config claim a variant that does not run. */
    if (p->jitter_before_cap && !k->jbc_ok) return false;
    if (p->first_unjittered && !k->first_ok) return false;
    if (p->jitter_ppm > PPM || (p->jitter_ppm != 0 && !k->jitter_ok)) return false;
    if (k->shape != SHAPE_TABLE && (p->table_len != 0 || p->table_stop != 0)) return false;
    return true;
}

static bool valid_table(const herd_backoff_policy *p)
{
    if (p->table_len == 0 || p->table_len > HERD_BACKOFF_TABLE_MAX) return false;
    for (uint16_t i = 0; i < p->table_len; i++)
        if (p->table_ms[i] > TABLE_ENTRY_MAX_MS) return false;
    return p->table_stop || p->after_us <= DELAY_MAX_US;
}

static bool valid_growth(const herd_backoff_policy *p)
{
    if (p->base_us == 0 || p->cap_us < CAP_MIN_US || p->cap_us > DELAY_MAX_US) return false;
    if (base_hi(p) > p->cap_us) return false;
    if (p->factor_milli < MILLI || p->factor_milli > FACTOR_MAX_MILLI) return false;
    /* Decorrelated must at least double so its bounds converge on the cap in <= 33 steps. */
    if (p->kind == HERD_BACKOFF_DECORRELATED && p->factor_milli < 2 * MILLI) return false;
    return true;
}

static bool valid_tokens(const herd_backoff_policy *p)
{
    if (p->token_capacity == 0) return true; /* no bucket: the other token fields are unused */
    if (p->token_retry_cost == 0 || p->token_retry_cost > p->token_capacity) return false;
    if (p->token_timeout_cost == 0 || p->token_timeout_cost > p->token_capacity) return false;
    return p->token_refund <= p->token_capacity;
}

int herd_backoff_validate(const herd_backoff_policy *p)
{
    if (p == NULL || p->kind >= HERD_BACKOFF_KIND_COUNT) return HERD_EINVAL;
    const kind_info *k = info_of(p);
    if (!valid_flags(p, k) || !valid_tokens(p)) return HERD_EINVAL;
    if (p->base_max_us != 0 && p->base_max_us < p->base_us) return HERD_EINVAL;
    if (k->shape == SHAPE_TABLE) return valid_table(p) ? HERD_OK : HERD_EINVAL;
    if (k->grows) return valid_growth(p) ? HERD_OK : HERD_EINVAL;
    return base_hi(p) <= DELAY_MAX_US ? HERD_OK : HERD_EINVAL; /* fixed (0 = immediate) */
}

/* ---- per-client state ---------------------------------------------------------------- */

void herd_backoff_init(const herd_backoff_policy *p, herd_backoff_state *s, herd_rng *rng)
{
    assert(p != NULL && s != NULL && rng != NULL);
    assert(herd_backoff_validate(p) == HERD_OK);
    memset(s, 0, sizeof *s);
    /* Draw only when there is a range, so fixed-base policies consume no randomness. */
    uint32_t hi = base_hi(p);
    s->base_us = hi > p->base_us ? (uint32_t)herd_rng_range(rng, p->base_us, hi) : p->base_us;
    s->tokens = p->token_capacity;
    assert(s->base_us >= p->base_us && s->base_us <= hi);
}

void herd_backoff_reset(herd_backoff_state *s)
{
    assert(s != NULL);
    s->attempt = 0;
    s->prev_us = 0; /* decorrelated restarts from the base */
}

bool herd_backoff_take_token(const herd_backoff_policy *p, herd_backoff_state *s, int timeout)
{
    assert(p != NULL && s != NULL);
    if (p->token_capacity == 0) return true;
    uint16_t cost = timeout ? p->token_timeout_cost : p->token_retry_cost;
    if (s->tokens < cost) return false;
    s->tokens = (uint16_t)(s->tokens - cost);
    return true;
}

void herd_backoff_on_success(const herd_backoff_policy *p, herd_backoff_state *s)
{
    assert(p != NULL && s != NULL);
    if (p->token_capacity == 0) return;
    uint32_t t = (uint32_t)s->tokens + p->token_refund;
    s->tokens = (uint16_t)(t > p->token_capacity ? p->token_capacity : t);
    assert(s->tokens <= p->token_capacity);
}

bool herd_backoff_stops(const herd_backoff_policy *p, uint32_t attempt)
{
    assert(p != NULL);
    if (p->max_attempts != 0 && attempt >= p->max_attempts) return true;
    return info_of(p)->shape == SHAPE_TABLE && p->table_stop && attempt >= p->table_len;
}

/* ---- drawing a delay ------------------------------------------------------------------ */

static uint64_t table_us(const herd_backoff_policy *p, uint32_t attempt)
{
    if (attempt < p->table_len) return (uint64_t)p->table_ms[attempt] * HERD_US_PER_MS;
    return p->after_us;
}

/* backo2: one draw r in [0, 1e6) gives both the size of the deviation and, through its
 * first decimal digit, the sign (even digit: minus), exactly as Math.random() does there. */
static uint64_t backo2_apply(uint64_t t, uint32_t jitter_ppm, uint64_t r)
{
    assert(t <= RAW_LIMIT_US && jitter_ppm <= PPM && r < PPM);
    /* floor(t * j * r / 1e12) in 64-bit pieces: q = t * j < 2^60 is split at 1e6 so no
     * product passes 2^64, and the two floors recombine exactly. */
    uint64_t q = t * jitter_ppm, a = q / PPM * r, b = q % PPM * r;
    uint64_t dev = a / PPM + (a % PPM * PPM + b) / ((uint64_t)PPM * PPM);
    return ((r / BACKO2_DECILE) & 1u) ? t + dev : t - dev;
}

/* The jittered delay of a growth kind (every shape but decorrelated) for base b. */
static uint64_t draw_growth(const herd_backoff_policy *p, uint64_t b, uint32_t n, herd_rng *rng)
{
    const kind_info *k = info_of(p);
    if (p->first_unjittered && n == 0) return b;
    if (k->zero_first && n == 0) return 0;
    uint64_t raw = raw_us(b, grow_factor(p->factor_milli, n));
    uint64_t capped = min_u64(raw, p->cap_us);
    uint64_t t = p->jitter_before_cap ? raw : capped;
    uint64_t d = t;
    switch (k->shape) {
    case SHAPE_NONE: return capped;
    case SHAPE_SYMMETRIC: {
        uint64_t x = herd_rng_range(rng, PPM - p->jitter_ppm, PPM + p->jitter_ppm);
        d = t * x / PPM; /* t <= 2^40, x <= 2e6: no overflow */
        break;
    }
    case SHAPE_BACKO2: d = backo2_apply(t, p->jitter_ppm, herd_rng_below(rng, PPM)); break;
    case SHAPE_FULL: d = herd_rng_range(rng, 0, t); break;
    case SHAPE_EQUAL: d = t / 2 + herd_rng_range(rng, 0, t / 2); break;
    case SHAPE_CENTRIFUGE: return min_u64(p->cap_us, b + herd_rng_range(rng, 0, capped));
    default: assert(0 && "not a growth shape"); break;
    }
    return p->jitter_before_cap ? min_u64(d, p->cap_us) : d;
}

static uint64_t draw_decorrelated(const herd_backoff_policy *p, herd_backoff_state *s,
                                  herd_rng *rng)
{
    uint64_t b = s->base_us;
    uint64_t prev = s->prev_us != 0 ? s->prev_us : b;
    uint64_t hi = prev * p->factor_milli / MILLI; /* prev <= 2^32, factor <= 1e5 */
    if (hi < b) hi = b; /* prev below the base only if the policy changed under the state */
    uint64_t d = min_u64(p->cap_us, herd_rng_range(rng, b, hi));
    s->prev_us = (uint32_t)d;
    return d;
}

int herd_backoff_next(const herd_backoff_policy *p, herd_backoff_state *s, herd_rng *rng,
                      uint64_t *delay_us)
{
    assert(p != NULL && s != NULL && rng != NULL && delay_us != NULL);
    assert(herd_backoff_validate(p) == HERD_OK);
    if (herd_backoff_stops(p, s->attempt)) return HERD_ESTOP;
    const kind_info *k = info_of(p);
    uint64_t d;
    if (k->shape == SHAPE_TABLE) d = table_us(p, s->attempt);
    else if (k->shape == SHAPE_DECORRELATED) d = draw_decorrelated(p, s, rng);
    else if (!k->grows) d = s->base_us;
    else d = draw_growth(p, s->base_us, s->attempt, rng);
    if (s->attempt < UINT16_MAX) s->attempt++; /* saturate: the delay is capped by then */
    *delay_us = d;
    return HERD_OK;
}

/* ---- bounds --------------------------------------------------------------------------- */

/* Extremes of the jitter applied to t, before any cap-after-jitter. */
static void jitter_span(const herd_backoff_policy *p, uint64_t t_lo, uint64_t t_hi,
                        uint64_t *lo, uint64_t *hi)
{
    uint32_t j = p->jitter_ppm;
    switch (info_of(p)->shape) {
    case SHAPE_SYMMETRIC:
        *lo = t_lo * (PPM - j) / PPM;
        *hi = t_hi * (PPM + j) / PPM;
        return;
    case SHAPE_BACKO2: /* largest minus draw: decile 8's top; largest plus: decile 9's top */
        *lo = backo2_apply(t_lo, j, 9 * BACKO2_DECILE - 1);
        *hi = backo2_apply(t_hi, j, PPM - 1);
        return;
    case SHAPE_FULL: *lo = 0; *hi = t_hi; return;
    case SHAPE_EQUAL: *lo = t_lo / 2; *hi = t_hi / 2 * 2; return;
    default: *lo = t_lo; *hi = t_hi; return;
    }
}

static uint64_t decorrelated_hi(const herd_backoff_policy *p, uint64_t b, uint32_t attempt)
{
    uint64_t prev = b;
    /* f >= 2 (validated): prev at least doubles per step, so the cap is reached in <= 33. */
    for (uint32_t i = 0; i <= attempt && i < 64 && prev < p->cap_us; i++)
        prev = min_u64(p->cap_us, prev * p->factor_milli / MILLI);
    return prev;
}

void herd_backoff_bounds(const herd_backoff_policy *p, uint32_t attempt, uint64_t *lo_us,
                         uint64_t *hi_us)
{
    assert(p != NULL && lo_us != NULL && hi_us != NULL);
    const kind_info *k = info_of(p);
    uint64_t b0 = p->base_us, b1 = base_hi(p);
    if (herd_backoff_stops(p, attempt)) {
        *lo_us = *hi_us = 0;
    } else if (k->shape == SHAPE_TABLE) {
        *lo_us = *hi_us = table_us(p, attempt);
    } else if (!k->grows || (p->first_unjittered && attempt == 0)) {
        *lo_us = b0, *hi_us = b1;
    } else if (k->zero_first && attempt == 0) {
        *lo_us = *hi_us = 0;
    } else if (k->shape == SHAPE_DECORRELATED) {
        *lo_us = b0, *hi_us = decorrelated_hi(p, b1, attempt);
    } else {
        uint64_t m = grow_factor(p->factor_milli, attempt);
        uint64_t raw0 = raw_us(b0, m), raw1 = raw_us(b1, m);
        uint64_t c0 = min_u64(raw0, p->cap_us), c1 = min_u64(raw1, p->cap_us);
        if (k->shape == SHAPE_CENTRIFUGE) {
            *lo_us = min_u64(p->cap_us, b0), *hi_us = min_u64(p->cap_us, b1 + c1);
        } else if (p->jitter_before_cap) {
            jitter_span(p, raw0, raw1, lo_us, hi_us);
            *lo_us = min_u64(*lo_us, p->cap_us), *hi_us = min_u64(*hi_us, p->cap_us);
        } else {
            jitter_span(p, c0, c1, lo_us, hi_us);
        }
    }
    assert(*lo_us <= *hi_us);
}

/* ---- analytic means ------------------------------------------------------------------- */

/* n / d by shift and subtract, at most 128 rounds. The means divide 128-bit sums; a plain
 * `/` there lets gcc, knowing both operands non-negative, declare the signed __divti3,
 * which the core's purity test (tests/test_purity.c) rightly refuses to take on trust. */
static u128 udiv128(u128 n, u128 d)
{
    assert(d != 0);
    if (d > n) return 0;
    int shift = 0;
    while ((d << 1) > d && (d << 1) <= n) d <<= 1, shift++; /* align d under n's top bit */
    u128 q = 0;
    for (; shift >= 0; shift--, d >>= 1) {
        q <<= 1;
        if (n >= d) n -= d, q |= 1;
    }
    return q;
}

/* sum_{r=a}^{b-1} (A + S r), in the caller's units. */
static u128 lin_sum(u128 A, u128 S, uint64_t a, uint64_t b)
{
    if (b <= a) return 0;
    u128 pairs = ((u128)a + b - 1) * (b - a) / 2; /* one of the factors is even */
    return A * (b - a) + S * pairs;
}

/* sum_{r=r0}^{r1-1} min(cap, (A + S r) / D), in units of 1/D, for a non-decreasing term
 * and without the floors of the real draws (each costs under a microsecond). The cap cuts
 * the range in two at one point. capped == false: no cap. */
static u128 sum_capped(u128 A, u128 S, u128 D, uint64_t r0, uint64_t r1, bool capped,
                       uint64_t cap)
{
    if (r1 <= r0) return 0;
    if (!capped) return lin_sum(A, S, r0, r1);
    u128 C = (u128)cap * D;
    if (S == 0) return (A >= C ? C : A) * (r1 - r0);
    u128 k = A >= C ? 0 : udiv128(C - A + S - 1, S); /* first r at or above the cap */
    uint64_t split = k < r0 ? r0 : k > r1 ? r1 : (uint64_t)k;
    return lin_sum(A, S, r0, split) + C * (r1 - split);
}

/* The same for the decreasing term (A - S r) / D, summed in reverse as an increasing one.
 * Requires A >= S (r1 - 1): every term is a delay, never negative. */
static u128 sum_capped_down(u128 A, u128 S, u128 D, uint64_t r0, uint64_t r1, bool capped,
                            uint64_t cap)
{
    if (r1 <= r0) return 0;
    assert(A >= S * (r1 - 1));
    return sum_capped(A - S * (r1 - 1), S, D, 0, r1 - r0, capped, cap);
}

/* Mean of the jitter applied to a fixed t (b: the client's base, for centrifuge). */
static uint64_t jitter_mean(const herd_backoff_policy *p, uint64_t t, uint64_t b, bool capped)
{
    uint64_t cap = p->cap_us, j = p->jitter_ppm;
    switch (info_of(p)->shape) {
    case SHAPE_SYMMETRIC: {
        u128 sum = sum_capped(0, t, PPM, PPM - j, PPM + j + 1, capped, cap);
        return (uint64_t)udiv128(sum, (u128)PPM * (2 * j + 1));
    }
    case SHAPE_BACKO2: { /* t +/- t j r / 1e12, decile by decile */
        u128 sum = 0, d = (u128)PPM * PPM, a = (u128)t * d, slope = (u128)t * j;
        for (uint64_t dec = 0; dec < 10; dec++) {
            uint64_t r0 = dec * BACKO2_DECILE, r1 = r0 + BACKO2_DECILE;
            if (dec & 1u) sum += sum_capped(a, slope, d, r0, r1, capped, cap);
            else sum += sum_capped_down(a, slope, d, r0, r1, capped, cap);
        }
        return (uint64_t)udiv128(sum, d * PPM);
    }
    case SHAPE_FULL: return (uint64_t)udiv128(sum_capped(0, 1, 1, 0, t + 1, capped, cap), (u128)t + 1);
    case SHAPE_EQUAL: {
        uint64_t h = t / 2;
        return (uint64_t)udiv128(sum_capped(h, 1, 1, 0, h + 1, capped, cap), (u128)h + 1);
    }
    case SHAPE_CENTRIFUGE: {
        uint64_t w = min_u64(t, cap);
        return (uint64_t)udiv128(sum_capped(b, 1, 1, 0, w + 1, true, cap), (u128)w + 1);
    }
    default: return capped ? min_u64(t, cap) : t;
    }
}

/* E[min(c, B * mult)] over integer B uniform in [b0, b1] (B * mult without its floor). */
static uint64_t mean_over_bases(uint64_t b0, uint64_t b1, uint64_t mult, uint64_t c)
{
    assert(b0 <= b1 && mult > 0);
    u128 cs = (u128)c << GROW_SHIFT;
    u128 m_below = udiv128(cs - 1, mult); /* largest B with B * mult < c */
    if (m_below < b0) return c;
    uint64_t m = m_below >= b1 ? b1 : (uint64_t)m_below;
    u128 sum_b = ((u128)b0 + m) * (m - b0 + 1) / 2;
    u128 num = mult * sum_b + (u128)(b1 - m) * cs;
    return (uint64_t)udiv128(num, (u128)(b1 - b0 + 1) << GROW_SHIFT);
}

/* Decorrelated: while the cap cannot bind, E[X_k] = (b + E[X_{k-1}] * f) / 2, X_-1 = b. */
static uint64_t decorrelated_mean(const herd_backoff_policy *p, uint32_t attempt)
{
    uint64_t b = p->base_us;
    if (base_hi(p) != b) return HERD_BACKOFF_MEAN_NONE;
    /* In thousandths of a microsecond, to keep the rounding out; the mean stays below the
     * cap (<= 3.6e9 us), so mean_nus * factor (<= 1e5) stays below 2^64. */
    uint64_t mean_nus = b * MILLI, hi = b;
    for (uint32_t i = 0; i <= attempt; i++) {
        hi = hi * p->factor_milli / MILLI;
        if (hi > p->cap_us) return HERD_BACKOFF_MEAN_NONE; /* f >= 2: exits within 33 */
        mean_nus = (b * MILLI + mean_nus * p->factor_milli / MILLI) / 2;
    }
    return mean_nus / MILLI;
}

static uint64_t growth_mean(const herd_backoff_policy *p, uint32_t attempt)
{
    uint64_t b0 = p->base_us, b1 = base_hi(p);
    uint64_t m = grow_factor(p->factor_milli, attempt);
    if (b0 == b1) {
        uint64_t raw = raw_us(b0, m);
        uint64_t t = p->jitter_before_cap ? raw : min_u64(raw, p->cap_us);
        return jitter_mean(p, t, b0, p->jitter_before_cap);
    }
    if (info_of(p)->shape == SHAPE_CENTRIFUGE) return HERD_BACKOFF_MEAN_NONE;
    /* Jitter after the cap is linear in t, so its mean is the jitter's mean at E[t]. */
    if (!p->jitter_before_cap)
        return jitter_mean(p, mean_over_bases(b0, b1, m, p->cap_us), b0, false);
    uint64_t lo, hi;
    jitter_span(p, raw_us(b0, m), raw_us(b1, m), &lo, &hi);
    if (hi <= p->cap_us) return jitter_mean(p, mean_over_bases(b0, b1, m, RAW_LIMIT_US), b0, false);
    if (lo >= p->cap_us) return p->cap_us;
    return HERD_BACKOFF_MEAN_NONE; /* the cap binds for some clients only */
}

uint64_t herd_backoff_mean_us(const herd_backoff_policy *p, uint32_t attempt)
{
    assert(p != NULL);
    const kind_info *k = info_of(p);
    if (herd_backoff_stops(p, attempt)) return HERD_BACKOFF_MEAN_NONE;
    if (k->shape == SHAPE_TABLE) return table_us(p, attempt);
    if (!k->grows || (p->first_unjittered && attempt == 0))
        return ((uint64_t)p->base_us + base_hi(p)) / 2;
    if (k->zero_first && attempt == 0) return 0;
    if (k->shape == SHAPE_DECORRELATED) return decorrelated_mean(p, attempt);
    return growth_mean(p, attempt);
}
