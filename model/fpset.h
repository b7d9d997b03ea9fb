/* fpset.h — the visited set: 64-bit state fingerprints in one open-addressing table.
 *
 * Linear probing over a power-of-two array of uint64_t; 0 marks an empty slot (the
 * fingerprint function never returns 0). The table doubles when half full, so a visited
 * state costs 16 bytes at worst and 8 at best. Growth is bounded by max_bytes: insert
 * fails (HM_FPSET_FULL) rather than exceed it, and the explorer reports the bound. */
#ifndef HERD_MODEL_FPSET_H
#define HERD_MODEL_FPSET_H

#include <stddef.h>
#include <stdint.h>

enum { HM_FPSET_PRESENT = 0, HM_FPSET_ADDED = 1, HM_FPSET_FULL = -1 };

typedef struct hm_fpset {
    uint64_t *slot;
    uint64_t mask;      /* slots - 1 */
    uint64_t count;
    size_t max_bytes;
} hm_fpset;

int hm_fpset_init(hm_fpset *s, uint64_t slots_log2, size_t max_bytes); /* 0 or -1 */
void hm_fpset_free(hm_fpset *s);
/* HM_FPSET_ADDED, HM_FPSET_PRESENT, or HM_FPSET_FULL (memory bound). fp != 0. */
int hm_fpset_insert(hm_fpset *s, uint64_t fp);
int hm_fpset_contains(const hm_fpset *s, uint64_t fp);
size_t hm_fpset_bytes(const hm_fpset *s);

#endif
