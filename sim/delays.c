/* delays.c — the reconnect-delay histogram (see delays.h).
 *
 * Output buckets are fixed, whatever the run: [0, 1) ms, 1 ms steps to 6 ms, 8 ms, then
 * ten per decade from 10 ms (the R10 preferred numbers 10, 12.5, 16, 20, 25, 31.5, 40, 50,
 * 63, 80) up to 10^10 ms, longer than any run. Edges are kept in tenths of a millisecond
 * so every edge is an exact integer. delays.json holds the buckets from the first to the
 * last non-empty one. */
#include "delays.h"

#include "error.h"
#include "json.h"

#include <errno.h>
#include <stdlib.h>

static uint64_t edges_tenths[HERD_DELAYS_BUCKETS + 1];

static void build_edges(void)
{
    if (edges_tenths[1]) return;
    static const uint64_t low[] = {0, 10, 20, 30, 40, 50, 60, 80};
    static const uint64_t r10[] = {100, 125, 160, 200, 250, 315, 400, 500, 630, 800};
    uint32_t n = 0;
    for (size_t i = 0; i < sizeof low / sizeof low[0]; i++) edges_tenths[n++] = low[i];
    uint64_t scale = 1; /* 10 ms = 100 tenths */
    for (int decade = 0; decade < 9; decade++, scale *= 10)
        for (size_t i = 0; i < sizeof r10 / sizeof r10[0]; i++) edges_tenths[n++] = r10[i] * scale;
    edges_tenths[n++] = 100 * scale; /* 10^10 ms */
    (void)n; /* n == HERD_DELAYS_BUCKETS + 1 */
}

/* The output bucket of a delay of ms milliseconds: the last edge at or below it. */
static uint32_t bucket_of(uint64_t ms)
{
    uint64_t t = ms * 10u;
    uint32_t lo = 0, hi = HERD_DELAYS_BUCKETS; /* edges[lo] <= t < edges[hi] unless past the end */
    if (t >= edges_tenths[HERD_DELAYS_BUCKETS]) return HERD_DELAYS_BUCKETS - 1;
    while (hi - lo > 1) { /* at most log2(HERD_DELAYS_BUCKETS) steps */
        uint32_t mid = (lo + hi) / 2;
        if (edges_tenths[mid] <= t) lo = mid;
        else hi = mid;
    }
    return lo;
}

int herd_delays_init(herd_delays *d, herd_time duration_us)
{
    *d = (herd_delays){0};
    build_edges();
    uint64_t len = duration_us / HERD_US_PER_MS + 1;
    d->fine_len = len > HERD_DELAYS_FINE_MAX ? HERD_DELAYS_FINE_MAX : (uint32_t)len;
    d->fine = calloc(d->fine_len, sizeof *d->fine);
    return d->fine ? HERD_OK : HERD_ENOSPACE;
}

void herd_delays_free(herd_delays *d)
{
    free(d->fine);
    d->fine = NULL;
    d->fine_len = 0;
}

size_t herd_delays_bytes(const herd_delays *d) { return (size_t)d->fine_len * sizeof *d->fine; }

void herd_delays_lost(herd_delays *d, uint32_t *lost_ms, herd_time now)
{
    if (*lost_ms) return; /* already counted as lost */
    *lost_ms = (uint32_t)(now / HERD_US_PER_MS) + 1u; /* runs last at most 30 days: fits */
    d->waiting++;
}

void herd_delays_back(herd_delays *d, uint32_t *lost_ms, herd_time now)
{
    if (!*lost_ms) return; /* the first connection is not a reconnection */
    uint64_t ms = now / HERD_US_PER_MS - (*lost_ms - 1u);
    *lost_ms = 0;
    d->waiting--;
    d->samples++;
    if (ms > d->max_ms) d->max_ms = ms;
    if (ms < d->fine_len) d->fine[ms]++;
    else d->over[bucket_of(ms)]++;
}

int64_t herd_delays_percentile(const herd_delays *d, uint32_t q_milli)
{
    if (d->samples == 0) return -1;
    uint64_t rank = (d->samples * q_milli + 999u) / 1000u;
    if (rank == 0) rank = 1;
    uint64_t cum = 0;
    for (uint32_t ms = 0; ms < d->fine_len; ms++) { /* at most HERD_DELAYS_FINE_MAX steps */
        cum += d->fine[ms];
        if (cum >= rank) return ms;
    }
    return -1;
}

int herd_delays_write_json(const herd_delays *d, FILE *f)
{
    build_edges();
    uint64_t counts[HERD_DELAYS_BUCKETS];
    for (uint32_t b = 0; b < HERD_DELAYS_BUCKETS; b++) counts[b] = d->over[b];
    uint32_t b = 0;
    for (uint32_t ms = 0; ms < d->fine_len; ms++) { /* the bucket only moves up */
        while (b + 1 < HERD_DELAYS_BUCKETS && edges_tenths[b + 1] <= (uint64_t)ms * 10u) b++;
        counts[b] += d->fine[ms];
    }
    uint32_t first = 0, last = 0; /* non-empty range; without samples [0, 1 s) */
    for (b = 0; b < HERD_DELAYS_BUCKETS; b++)
        if (counts[b]) { first = b; break; }
    for (b = HERD_DELAYS_BUCKETS; b-- > 0;)
        if (counts[b]) { last = b; break; }
    if (d->samples == 0) last = bucket_of(999);
    herd_json j;
    herd_json_init_file(&j, f);
    herd_json_obj_begin(&j);
    herd_json_kv_str(&j, "what", d->samples ? "LIVE lost to LIVE again" : "LIVE lost to LIVE again: no reconnection");
    herd_json_kv_u64(&j, "samples", d->samples);
    herd_json_kv_u64(&j, "waiting_at_end", d->waiting);
    herd_json_kv_u64(&j, "max_ms", d->max_ms);
    herd_json_key(&j, "bucket_ms");
    herd_json_arr_begin(&j);
    for (b = first; b <= last + 1; b++) herd_json_fixed(&j, (int64_t)edges_tenths[b], 1);
    herd_json_arr_end(&j);
    herd_json_key(&j, "counts");
    herd_json_arr_begin(&j);
    for (b = first; b <= last; b++) herd_json_u64(&j, counts[b]);
    herd_json_arr_end(&j);
    static const char *const keys[3] = {"p50_ms", "p90_ms", "p99_ms"};
    static const uint32_t qs[3] = {500, 900, 990};
    int64_t p[3];
    bool exact = d->samples > 0;
    for (int k = 0; k < 3; k++) {
        p[k] = herd_delays_percentile(d, qs[k]);
        exact = exact && p[k] >= 0;
    }
    /* All three or none: the renderer estimates them from the buckets otherwise. */
    for (int k = 0; exact && k < 3; k++) herd_json_kv_u64(&j, keys[k], (uint64_t)p[k]);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    if (fputc('\n', f) == EOF && rc == 0) rc = -EIO;
    return rc;
}
