/* canon_internal.h — what canon.c (encoding) and canon_decode.c (decoding) share: the
 * store block's layout as store.c documents it (header, streams[rooms], ring[rooms *
 * maxlen], dedup index; offsets 8-byte aligned) and the dedup ring's place in its block.
 * canon_decode.c checks the layout against herd_store_dedup() on every decode. */
#ifndef HERD_MODEL_CANON_INTERNAL_H
#define HERD_MODEL_CANON_INTERNAL_H

#include "world.h"

#define HM_ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

static inline herd_entry *hm_store_ring(herd_store *st)
{
    return (herd_entry *)(void *)((unsigned char *)st + HM_ALIGN8(sizeof(herd_store)) +
                                  (size_t)st->cfg.rooms * sizeof(herd_store_stream));
}

/* Logical entry i (0 = oldest) of room 0's stream. */
static inline const herd_entry *hm_store_entry(const herd_store *st, uint32_t i)
{
    const herd_store_stream *ss = herd_store_stream_info(st, 0);
    uint32_t slot = ss->head + i;
    if (slot >= st->cfg.maxlen) slot -= st->cfg.maxlen;
    return &hm_store_ring((herd_store *)(uintptr_t)st)[slot];
}

static inline const herd_dedup_record *hm_dedup_ring(const herd_dedup *d)
{
    return (const herd_dedup_record *)(const void *)((const unsigned char *)d + HM_ALIGN8(sizeof(herd_dedup)));
}

#endif
