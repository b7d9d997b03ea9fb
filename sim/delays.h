/* delays.h — the reconnect-delay distribution of a run: one sample per reconnection, from
 * the moment a client lost a LIVE connection to the moment it was LIVE again (delays.json,
 * docs/rendering.md).
 *
 * Per client the world keeps one uint32 (herd_client_slot.lost_ms: the millisecond the
 * client left LIVE, plus one; 0 while LIVE or never LIVE), in the slot's spare bytes, so
 * the distribution costs no memory per client beyond the 128-byte slot. The samples go
 * into a fine histogram, one counter per millisecond up to the run's duration (at most
 * HERD_DELAYS_FINE_MAX ms; longer delays into their output bucket directly), from which
 * the output buckets and exact percentiles (to the millisecond) are computed at the end.
 * Recording a sample is O(1) and happens only when a client's state changes to or from
 * LIVE; nothing here draws randomness or pushes events. */
#ifndef HERD_SIM_DELAYS_H
#define HERD_SIM_DELAYS_H

#include "types.h"

#include <stdio.h>

#define HERD_DELAYS_FINE_MAX (1u << 21) /* ms of per-millisecond counters: 35 min, 8 MiB */
#define HERD_DELAYS_BUCKETS 98          /* fixed log-spaced output buckets (delays.c) */

typedef struct herd_delays {
    uint32_t *fine;      /* samples per whole millisecond, [0, fine_len) */
    uint32_t fine_len;
    uint64_t over[HERD_DELAYS_BUCKETS]; /* samples of fine_len ms or more, per output bucket */
    uint64_t samples;    /* reconnections measured */
    uint64_t waiting;    /* clients that lost LIVE and are not LIVE again (yet) */
    uint64_t max_ms;
} herd_delays;

/* HERD_OK or HERD_ENOSPACE. */
int herd_delays_init(herd_delays *d, herd_time duration_us);
void herd_delays_free(herd_delays *d);
size_t herd_delays_bytes(const herd_delays *d);
/* A client left LIVE at now (lost_ms is its slot's word) or came back to LIVE. */
void herd_delays_lost(herd_delays *d, uint32_t *lost_ms, herd_time now);
void herd_delays_back(herd_delays *d, uint32_t *lost_ms, herd_time now);
/* delays.json: {"what", "samples", "waiting_at_end", "bucket_ms", "counts", "p50_ms", ...}.
 * 0 or -EIO. */
int herd_delays_write_json(const herd_delays *d, FILE *f);
/* Exact percentile in ms (nearest rank), or -1 when there is no sample or it lies past the
 * fine histogram. q in thousandths (500, 900, 990). */
int64_t herd_delays_percentile(const herd_delays *d, uint32_t q_milli);

#endif
