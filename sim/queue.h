/* queue.h — the simulator's event queue: a total order on events by (time, insertion seq).
 *
 * Two implementations behind one interface, chosen at init:
 *   HERD_QUEUE_WHEEL  a hierarchical timing wheel (calendar) with an overflow list, O(1)
 *                     amortised push and pop for a herd's timer shapes (millions pending,
 *                     bursty and sparse) — the default;
 *   HERD_QUEUE_HEAP   a plain binary heap, kept only as the benchmark's baseline.
 * Both pop events in exactly the same order: ascending `at`, ties broken by the sequence
 * number the queue assigns at push (FIFO among equal times). Events are plain values; the
 * queue never calls back. Cancelling is the caller's business (lazy: a stale event carries
 * an old generation in `arg` and is ignored when popped). Pushing an event earlier than the
 * last popped time is a caller bug (HERD_ETIME).
 *
 * Memory: events live in one pool that grows by doubling up to cap_max events (checked
 * sizes); push fails with HERD_EFULL beyond it. */
#ifndef HERD_SIM_QUEUE_H
#define HERD_SIM_QUEUE_H

#include "types.h"

enum herd_queue_kind { HERD_QUEUE_WHEEL = 0, HERD_QUEUE_HEAP = 1 };

typedef struct herd_event {
    herd_time at;
    uint64_t seq;    /* assigned by the queue: total order among equal times */
    uint32_t kind;   /* the world's event type */
    uint32_t target; /* entity index (client, server, ...) */
    uint64_t arg;    /* event data, e.g. a generation for lazy cancellation */
} herd_event;

typedef struct herd_queue herd_queue; /* opaque */

/* Create a queue; cap_max bounds the number of pending events. NULL on allocation failure. */
herd_queue *herd_queue_new(int kind, size_t cap_max);
void herd_queue_free(herd_queue *q);
/* HERD_OK, HERD_EFULL (cap_max pending), HERD_ETIME (at < time of the last pop). */
int herd_queue_push(herd_queue *q, herd_time at, uint32_t kind, uint32_t target, uint64_t arg);
/* Pop the least event; false when empty. */
bool herd_queue_pop(herd_queue *q, herd_event *ev);
/* Time of the least event, or HERD_TIME_NEVER when empty. */
herd_time herd_queue_peek_time(const herd_queue *q);
size_t herd_queue_len(const herd_queue *q);
/* Bytes the queue holds now (for bytes-per-client figures). */
size_t herd_queue_bytes(const herd_queue *q);

#endif
