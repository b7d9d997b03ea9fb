/* levels.c — the search's temporary files: the BFS levels (entries written in order and
 * read back in order, a batch at a time) and the parent links (6 bytes per state: parent
 * index and packed transition), and the path rebuilt from those links when the search
 * ends at a violation (concretised on real worlds by path.c). Nothing here is on the hot
 * path's critical section except hm_level_push and hm_add_parent, each one buffered write. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "explore_internal.h"
#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t label_pack(hm_label l) { return (uint16_t)(l.kind | (l.a & 63u) << 4 | (l.b & 63u) << 10); }
static hm_label label_unpack(uint16_t v) { return (hm_label){(uint8_t)(v & 15u), (uint8_t)(v >> 4 & 63u), (uint8_t)(v >> 10), 0}; }

FILE *hm_temp_file(void)
{
    FILE *f = tmpfile();
    if (f != NULL) setvbuf(f, NULL, _IOFBF, 1u << 20);
    return f;
}

bool hm_level_push(search *s, level *l, hm_key fp, const unsigned char *enc, size_t len)
{
    (void)s;
    unsigned char head[ENTRY_HEAD];
    head[0] = (unsigned char)(len & 0xffu);
    head[1] = (unsigned char)(len >> 8);
    hm_key_store(head + 2, fp);
    if (fwrite(head, 1, ENTRY_HEAD, l->f) != ENTRY_HEAD || fwrite(enc, 1, len, l->f) != len) return false;
    l->bytes += len + ENTRY_HEAD;
    l->n++;
    return true;
}

/* The next entry of a level being read: its length and key, the encoding into out
 * (HM_ENC_MAX bytes). False at a read error or a torn entry. */
bool hm_level_read(level *l, size_t *len, hm_key *fp, unsigned char *out)
{
    unsigned char head[ENTRY_HEAD];
    if (fread(head, 1, ENTRY_HEAD, l->f) != ENTRY_HEAD) return false;
    *len = (size_t)head[0] | (size_t)head[1] << 8;
    *fp = hm_key_load(head + 2);
    return *len <= HM_ENC_MAX && fread(out, 1, *len, l->f) == *len;
}

bool hm_add_parent(search *s, uint32_t parent, hm_label label)
{
    if (s->n_par >= UINT32_MAX - 1u) return false;
    unsigned char rec[PARENT_BYTES];
    uint16_t l = label_pack(label);
    memcpy(rec, &parent, 4);
    memcpy(rec + 4, &l, 2);
    if (fwrite(rec, 1, PARENT_BYTES, s->parents) != PARENT_BYTES) return false;
    s->n_par++;
    return true;
}

/* The parent link of state i (read back from the file: only paths need them). */
static bool get_parent(search *s, uint32_t i, uint32_t *parent, hm_label *label)
{
    unsigned char rec[PARENT_BYTES];
    if (fseeko(s->parents, (off_t)i * PARENT_BYTES, SEEK_SET) != 0 || fread(rec, 1, PARENT_BYTES, s->parents) != PARENT_BYTES)
        return false;
    uint16_t l;
    memcpy(parent, rec, 4);
    memcpy(&l, rec + 4, 2);
    *label = label_unpack(l);
    return fseeko(s->parents, 0, SEEK_END) == 0;
}

/* The path: the parent chain to state idx, then `last` (when its kind is not 0), then
 * L1's schedule; translated to concrete transitions (path.c). */
void hm_build_path(search *s, uint32_t idx, hm_label last, int property)
{
    uint32_t len = 0, par;
    hm_label lab;
    for (uint32_t i = idx; i != UINT32_MAX; i = par) {
        if (!get_parent(s, i, &par, &lab)) { par = UINT32_MAX; break; }
        if (par != UINT32_MAX) len++;
    }
    uint32_t extra = last.kind ? 1u : 0u;
    uint32_t n = len + extra + s->live_len;
    hm_label *canon = calloc((size_t)n + 1u, sizeof(hm_label));
    hm_result *r = s->res;
    r->path = calloc((size_t)n + 1u, sizeof(hm_label));
    if (canon == NULL || r->path == NULL) { free(canon); return; }
    uint32_t k = len;
    for (uint32_t i = idx; i != UINT32_MAX && k > 0; i = par) {
        if (!get_parent(s, i, &par, &lab) || par == UINT32_MAX) break;
        canon[--k] = lab;
    }
    if (extra) canon[len] = last;
    memcpy(canon + len + extra, s->live_path, s->live_len * sizeof(hm_label));
    if (hm_path_concretise(&s->cfg, s->lim->symmetry, canon, n, s->live_len, property, r->path) != 0) {
        r->verdict = HM_V_ERROR;
        snprintf(r->message, sizeof r->message,
                 "%s found, but its path does not replay on concrete worlds (a canonicalisation bug)",
                 hm_prop_name(property));
    }
    r->path_len = n;
    r->live_suffix = s->live_len;
    free(canon);
}
