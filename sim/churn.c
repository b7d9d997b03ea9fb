/* churn.c — the draws of mobile churn (see churn.h): membership, online gaps and offline
 * times, each a pure function of (seed, fault, client, period). What a period does to the
 * world (the client's network, the events) is faults.c's. */
#include "churn.h"

const char *const *herd_churn_dist_names(void)
{
    static const char *const names[HERD_CHURN_DIST_COUNT + 1] = {"fixed", "uniform", "exponential", NULL};
    return names;
}

/* log2(v) for v >= 1 in Q32: the integer part from the top bit, then the fraction bit by bit
 * by squaring the mantissa (a bit is 1 when the square reaches 2). */
static uint64_t log2_q32(uint64_t v)
{
    int ip = 63 - __builtin_clzll(v);
    uint64_t m = v << (63 - ip); /* the mantissa in [1, 2), Q63 */
    uint64_t frac = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned __int128 sq = (unsigned __int128)m * m; /* Q126, in [1, 4) */
        if ((uint64_t)(sq >> 127)) {
            frac |= 1ull << i;
            m = (uint64_t)(sq >> 64); /* halved: back in [1, 2) */
        } else {
            m = (uint64_t)(sq >> 63);
        }
    }
    return (uint64_t)ip << 32 | frac;
}

uint64_t herd_churn_exp_q32(herd_rng *r)
{
    /* U = v / 2^63 with v uniform in [1, 2^63]: -ln U = (63 - log2 v) ln 2. */
    uint64_t v = (herd_rng_next(r) >> 1) + 1;
    uint64_t neg_log2 = ((uint64_t)63 << 32) - log2_q32(v);
    const uint64_t ln2_q32 = 2977044472ull; /* ln 2 x 2^32, rounded */
    return (uint64_t)(((unsigned __int128)neg_log2 * ln2_q32) >> 32);
}

herd_time herd_churn_exp(herd_rng *r, herd_time mean_us)
{
    unsigned __int128 t = ((unsigned __int128)mean_us * herd_churn_exp_q32(r)) >> 32;
    if (t < 1) return 1;
    /* mean <= 2^63 and -ln U <= 44: 2^69 at most. */
    return t > (unsigned __int128)HERD_TIME_NEVER - 1 ? HERD_TIME_NEVER - 1 : (herd_time)t;
}

static void stream(herd_rng *r, uint64_t seed, uint32_t index, uint32_t client, uint32_t k)
{
    herd_rng_derive(r, seed, client, HERD_CHURN_PURPOSE | (uint64_t)index << 8 | (uint64_t)k << 16);
}

bool herd_churn_member(const herd_fault *f, uint64_t seed, uint32_t index, uint32_t client)
{
    if (client < f->first || (f->count && client - f->first >= f->count)) return false;
    herd_rng r;
    /* Period numbers stop at HERD_CHURN_PERIODS_MAX: this stream is no period's. */
    stream(&r, seed, index, client, HERD_CHURN_PERIODS_MAX + 1u);
    return herd_rng_below(&r, 1000000) < f->fraction_ppm;
}

static herd_time offline_time(const herd_fault *f, herd_rng *r)
{
    herd_time t;
    switch (f->off_dist) {
    case HERD_CHURN_UNIFORM: t = herd_rng_range(r, f->off_a_us, f->off_b_us); break;
    case HERD_CHURN_EXPONENTIAL: t = herd_churn_exp(r, f->off_a_us); break;
    default: t = f->off_a_us; break;
    }
    return t ? t : 1;
}

/* Period k's draws, in this order: the online gap before it, then its offline time. */
static void draws(const herd_fault *f, uint64_t seed, uint32_t index, uint32_t client, uint32_t k, herd_time *gap,
                  herd_time *off)
{
    herd_rng r;
    stream(&r, seed, index, client, k);
    *gap = herd_churn_exp(&r, f->interval_us);
    *off = offline_time(f, &r);
}

static herd_time back_at(const herd_fault *f, herd_time off_at, herd_time off)
{
    herd_time end = f->at_us + f->duration_us;
    return off >= end - off_at ? end : off_at + off;
}

bool herd_churn_period_at(const herd_fault *f, uint64_t seed, uint32_t index, uint32_t client, uint32_t k,
                          herd_time after, herd_churn_period *p)
{
    herd_time end = f->at_us + f->duration_us, gap, off;
    if (k > HERD_CHURN_PERIODS_MAX || after >= end) return false;
    draws(f, seed, index, client, k, &gap, &off);
    if (gap >= end - after) return false;
    p->off_at = after + gap;
    p->on_at = back_at(f, p->off_at, off);
    return true;
}

herd_time herd_churn_back_at(const herd_fault *f, uint64_t seed, uint32_t index, uint32_t client, uint32_t k,
                             herd_time off_at)
{
    herd_time gap, off;
    draws(f, seed, index, client, k, &gap, &off);
    return back_at(f, off_at, off);
}
