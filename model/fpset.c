/* fpset.c — the visited set (see fpset.h). Slots are addressed by the fingerprint's own
 * bits: XXH3 output is already uniform, so a cheap fold is enough. */
#include "fpset.h"

#include <assert.h>
#include <stdlib.h>

#define KEY(fp) (((fp) & ~(uint64_t)HM_FP_FLAGS) ? ((fp) & ~(uint64_t)HM_FP_FLAGS) : 8u)

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

static uint64_t home(uint64_t mask, uint64_t key) { return (key >> 29 ^ key >> 2) & mask; } /* = hm_fpset_home */

static int grow(hm_fpset *s)
{
    uint64_t slots = (s->mask + 1u) * 2u;
    if (slots > SIZE_MAX / sizeof(uint64_t) || slots * sizeof(uint64_t) > s->max_bytes) return -1;
    uint64_t *n = calloc(slots, sizeof(uint64_t));
    if (n == NULL) return -1;
    uint64_t old_slots = s->mask + 1u, mask = slots - 1u;
    for (uint64_t i = 0; i < old_slots; i++) {
        uint64_t v = s->slot[i];
        if (v == 0) continue;
        uint64_t j = home(mask, v & ~(uint64_t)HM_FP_FLAGS);
        while (n[j] != 0) j = (j + 1u) & mask; /* terminates: at most 40 % full */
        n[j] = v;
    }
    free(s->slot);
    s->slot = n;
    s->mask = mask;
    return 0;
}

static uint64_t *slot_of(hm_fpset *s, uint64_t key, bool *added)
{
    uint64_t i = home(s->mask, key);
    *added = false;
    for (; s->slot[i] != 0; i = (i + 1u) & s->mask)
        if ((s->slot[i] & ~(uint64_t)HM_FP_FLAGS) == key) return &s->slot[i];
    if ((s->count + 1u) * 5u > (s->mask + 1u) * 4u) { /* past 80 %: grow first */
        if (grow(s) != 0) return NULL;
        for (i = home(s->mask, key); s->slot[i] != 0;) i = (i + 1u) & s->mask;
    }
    s->slot[i] = key;
    s->count++;
    *added = true;
    return &s->slot[i];
}

static const uint64_t *find(const hm_fpset *s, uint64_t key)
{
    for (uint64_t i = home(s->mask, key); s->slot[i] != 0; i = (i + 1u) & s->mask)
        if ((s->slot[i] & ~(uint64_t)HM_FP_FLAGS) == key) return &s->slot[i];
    return NULL;
}

int hm_fpset_put(hm_fpset *s, uint64_t fp, uint32_t set, uint32_t *was)
{
    bool added;
    uint64_t *slot = slot_of(s, KEY(fp), &added);
    if (slot == NULL) return -1;
    if (was) *was = (uint32_t)(*slot & HM_FP_FLAGS);
    *slot |= set & HM_FP_FLAGS;
    return 0;
}

void hm_fpset_clear(hm_fpset *s, uint64_t fp, uint32_t clear)
{
    uint64_t *slot = (uint64_t *)find(s, KEY(fp));
    if (slot) *slot &= ~(uint64_t)(clear & HM_FP_FLAGS);
}

uint32_t hm_fpset_flags(const hm_fpset *s, uint64_t fp)
{
    const uint64_t *slot = find(s, KEY(fp));
    return slot ? (uint32_t)(*slot & HM_FP_FLAGS) : 0u;
}

bool hm_fpset_next(const hm_fpset *s, uint64_t *pos, uint64_t *val)
{
    for (uint64_t i = *pos; i <= s->mask; i++)
        if (s->slot[i] != 0) {
            *val = s->slot[i];
            *pos = i + 1u;
            return true;
        }
    *pos = s->mask + 1u;
    return false;
}

int hm_fpset_restore(hm_fpset *s, uint64_t val)
{
    bool added;
    uint64_t *slot = slot_of(s, KEY(val), &added);
    if (slot == NULL) return -1;
    if (!added) return 1;
    *slot = KEY(val) | (val & HM_FP_FLAGS);
    return 0;
}
