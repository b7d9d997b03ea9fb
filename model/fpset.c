/* fpset.c — the visited set (see fpset.h). Slots are addressed by the fingerprint's own
 * high bits: XXH3 output is already uniform, so no further mixing is needed. */
#include "fpset.h"

#include <assert.h>
#include <stdlib.h>

int hm_fpset_init(hm_fpset *s, uint64_t slots_log2, size_t max_bytes)
{
    assert(slots_log2 >= 4 && slots_log2 < 48);
    uint64_t slots = 1ull << slots_log2;
    s->slot = calloc(slots, sizeof(uint64_t));
    s->mask = slots - 1u;
    s->count = 0;
    s->max_bytes = max_bytes;
    return s->slot ? 0 : -1;
}

void hm_fpset_free(hm_fpset *s)
{
    free(s->slot);
    s->slot = NULL;
    s->count = 0;
}

size_t hm_fpset_bytes(const hm_fpset *s) { return (size_t)(s->mask + 1u) * sizeof(uint64_t); }

static uint64_t home(const hm_fpset *s, uint64_t fp) { return (fp >> 17 ^ fp) & s->mask; }

static void put(uint64_t *slot, uint64_t mask, uint64_t fp, uint64_t i)
{
    while (slot[i] != 0) i = (i + 1u) & mask; /* terminates: the table is at most half full */
    slot[i] = fp;
}

static int grow(hm_fpset *s)
{
    uint64_t slots = (s->mask + 1u) * 2u;
    if (slots > SIZE_MAX / sizeof(uint64_t) || slots * sizeof(uint64_t) > s->max_bytes) return -1;
    uint64_t *n = calloc(slots, sizeof(uint64_t));
    if (n == NULL) return -1;
    uint64_t old_slots = s->mask + 1u;
    uint64_t *old = s->slot;
    s->slot = n;
    s->mask = slots - 1u;
    for (uint64_t i = 0; i < old_slots; i++)
        if (old[i]) put(n, s->mask, old[i], home(s, old[i]));
    free(old);
    return 0;
}

int hm_fpset_contains(const hm_fpset *s, uint64_t fp)
{
    for (uint64_t i = home(s, fp);; i = (i + 1u) & s->mask) {
        if (s->slot[i] == fp) return 1;
        if (s->slot[i] == 0) return 0;
    }
}

int hm_fpset_insert(hm_fpset *s, uint64_t fp)
{
    assert(fp != 0);
    uint64_t i = home(s, fp);
    for (; s->slot[i] != 0; i = (i + 1u) & s->mask)
        if (s->slot[i] == fp) return HM_FPSET_PRESENT;
    if ((s->count + 1u) * 2u > s->mask + 1u) {
        if (grow(s) != 0) return HM_FPSET_FULL;
        put(s->slot, s->mask, fp, home(s, fp));
    } else {
        s->slot[i] = fp;
    }
    s->count++;
    return HM_FPSET_ADDED;
}
