/* shrink_yaml.c — a shrink candidate written as a scenario file (shrink.h): the header as
 * comment lines, then the original document through libyaml's emitter with the
 * candidate's values in place. The numbers the shrinker moves are replaced where the
 * document has them and added where it does not (under their section, created if need
 * be); only those that differ from what the document reads as are written, and run.seed
 * always is, so the file replays with a plain `herd run FILE`. The fault list is written
 * whole from the candidate, each fault with the keys its kind reads (scenario.c). */
#include "shrink.h"
#include "churn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define OVERRIDES_MAX 16

typedef struct override {
    const char *section, *key;
    char value[48];
    bool done;
} override;

typedef struct writer {
    yaml_emitter_t e;
    int rc;
    override ov[OVERRIDES_MAX];
    size_t nov;
    const herd_shrink_cand *c;
} writer;

/* The emitter owns an event it is given, even when it fails; one not given is freed here. */
static void ev(writer *w, yaml_event_t *event)
{
    if (w->rc) yaml_event_delete(event);
    else if (!yaml_emitter_emit(&w->e, event)) w->rc = -EIO;
}

static void scalar(writer *w, const char *text)
{
    yaml_event_t e;
    if (w->rc) return;
    if (!yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
                                      YAML_ANY_SCALAR_STYLE)) {
        w->rc = -EINVAL;
        return;
    }
    ev(w, &e);
}

static void map_begin(writer *w)
{
    yaml_event_t e;
    yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    ev(w, &e);
}

static void map_end(writer *w)
{
    yaml_event_t e;
    yaml_mapping_end_event_initialize(&e);
    ev(w, &e);
}

static void kv(writer *w, const char *key, const char *value)
{
    scalar(w, key);
    scalar(w, value);
}

static void kv_dur(writer *w, const char *key, herd_time us)
{
    char t[32];
    herd_cfg_format_duration(us, t, sizeof t);
    kv(w, key, t);
}

static void kv_u64(writer *w, const char *key, uint64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%" PRIu64, v);
    kv(w, key, t);
}

/* An original subtree, as it is (depth bounded by the reader's HERD_CFG_DEPTH_MAX). */
static void node(writer *w, const herd_cfg_node *n)
{
    yaml_event_t e;
    if (herd_cfg_is_scalar(n)) {
        scalar(w, herd_cfg_scalar(n));
        return;
    }
    bool map = herd_cfg_is_map(n);
    if (map) map_begin(w);
    else {
        yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        ev(w, &e);
    }
    for (size_t i = 0; i < herd_cfg_len(n); i++) {
        if (map) scalar(w, herd_cfg_key_at(n, i));
        node(w, map ? herd_cfg_value_at(n, i) : herd_cfg_at(n, i));
    }
    if (map) map_end(w);
    else {
        yaml_sequence_end_event_initialize(&e);
        ev(w, &e);
    }
}

/* "all", "3", "2-5" for a range of total entities (count 0: from first to the end). */
static void range_text(uint32_t first, uint32_t count, uint32_t total, char *out, size_t n)
{
    uint64_t last = count ? (uint64_t)first + count - 1 : (total ? total - 1u : 0);
    if (first == 0 && count == 0) snprintf(out, n, "all");
    else if (last == first) snprintf(out, n, "%" PRIu32, first);
    else snprintf(out, n, "%" PRIu32 "-%" PRIu64, first, last);
}

static void group_text(herd_group g, char *out, size_t n)
{
    static const char *const kinds[] = {"?", "clients", "lb", "servers", "store"};
    const char *k = g.kind < 5 ? kinds[g.kind] : "?";
    if (g.count == 0) snprintf(out, n, "%s", k);
    else if (g.count == 1) snprintf(out, n, "%s:%" PRIu32, k, g.first);
    else snprintf(out, n, "%s:%" PRIu32 "-%" PRIu64, k, g.first, (uint64_t)g.first + g.count - 1);
}

/* A churn's own keys (scenario.c's read_churn): fraction, interval and the offline time,
 * as a mapping naming its distribution. */
static void churn(writer *w, const herd_fault *f)
{
    static const char *const first_key[HERD_CHURN_DIST_COUNT] = {"time", "min", "mean"};
    char t[64];
    herd_cfg_format_ppm(f->fraction_ppm, t, sizeof t);
    kv(w, "fraction", t);
    kv_dur(w, "interval", f->interval_us);
    scalar(w, "offline");
    map_begin(w);
    uint8_t d = f->off_dist < HERD_CHURN_DIST_COUNT ? f->off_dist : HERD_CHURN_FIXED;
    kv(w, "dist", herd_churn_dist_names()[d]);
    kv_dur(w, first_key[d], f->off_a_us);
    if (d == HERD_CHURN_UNIFORM) kv_dur(w, "max", f->off_b_us);
    map_end(w);
}

/* The keys a kind reads (scenario.c's fault_keys): zero drains, losses and latencies, and
 * a false oneway, are left out (they are the defaults). */
static void fault(writer *w, const herd_fault *f)
{
    char t[64];
    uint8_t k = f->kind;
    bool on_servers = k == HERD_FAULT_CRASH || k == HERD_FAULT_GRACEFUL || k == HERD_FAULT_ROLLING;
    bool drains = k == HERD_FAULT_GRACEFUL || k == HERD_FAULT_ROLLING;
    map_begin(w);
    kv(w, "kind", herd_fault_kind_name(k));
    kv_dur(w, "at", f->at_us);
    kv_dur(w, "duration", f->duration_us);
    if (on_servers || k == HERD_FAULT_OFFLINE || k == HERD_FAULT_CHURN) {
        range_text(f->first, f->count, on_servers ? w->c->servers : w->c->clients, t, sizeof t);
        kv(w, on_servers ? "servers" : "clients", t);
    }
    if (drains) {
        kv_u64(w, "code", f->code);
        if (f->drain_us) kv_dur(w, "drain", f->drain_us);
        if (f->retry_after_ms) kv_dur(w, "retry_after", (herd_time)f->retry_after_ms * HERD_US_PER_MS);
    }
    if (k == HERD_FAULT_ROLLING) kv_dur(w, "interval", f->interval_us);
    if (k == HERD_FAULT_CHURN) churn(w, f);
    if (k == HERD_FAULT_NET_BURST) {
        herd_cfg_format_ppm(f->loss_ppm, t, sizeof t);
        if (f->loss_ppm) kv(w, "loss", t);
        if (f->latency_us) kv_dur(w, "latency", f->latency_us);
    }
    if (k == HERD_FAULT_PARTITION) {
        group_text(f->a, t, sizeof t);
        kv(w, "a", t);
        group_text(f->b, t, sizeof t);
        kv(w, "b", t);
        if (f->oneway) kv(w, "oneway", "true");
    }
    map_end(w);
}

static void faults(writer *w)
{
    yaml_event_t e;
    scalar(w, "faults");
    yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    ev(w, &e);
    for (uint32_t i = 0; i < w->c->fault_count; i++) fault(w, &w->c->faults[i]);
    yaml_sequence_end_event_initialize(&e);
    ev(w, &e);
}

static void add(writer *w, const char *section, const char *key, const char *value)
{
    if (w->nov == OVERRIDES_MAX) {
        w->rc = -EOVERFLOW; /* cannot happen: the calls below are fewer */
        return;
    }
    override *o = &w->ov[w->nov++];
    *o = (override){.section = section, .key = key};
    snprintf(o->value, sizeof o->value, "%s", value);
}

static void add_u64(writer *w, const char *section, const char *key, uint64_t v, uint64_t was)
{
    char t[24];
    if (v == was) return;
    snprintf(t, sizeof t, "%" PRIu64, v);
    add(w, section, key, t);
}

static void add_dur(writer *w, const char *section, const char *key, herd_time v, herd_time was)
{
    char t[32];
    if (v == was) return;
    herd_cfg_format_duration(v, t, sizeof t);
    add(w, section, key, t);
}

/* What differs from the document's reading, as (section, key, text). */
static void overrides(writer *w, const herd_world_config *b)
{
    const herd_shrink_cand *c = w->c;
    char t[32];
    add_u64(w, "run", "seed", c->seed, ~c->seed); /* always */
    add_dur(w, "run", "duration", c->duration_us, b->duration_us);
    add_u64(w, "world", "clients", c->clients, b->clients);
    add_u64(w, "world", "rooms", c->rooms, b->rooms);
    add_u64(w, "world", "servers", c->servers, b->servers);
    add_dur(w, "world", "start_spread", c->start_spread_us, b->start_spread_us);
    add_dur(w, "workload", "publish_interval", c->publish_interval_us, b->publish_interval_us);
    if (c->publishers_ppm != b->publishers_ppm) {
        herd_cfg_format_ppm(c->publishers_ppm, t, sizeof t);
        add(w, "workload", "publishers", t);
    }
}

/* A section of the document, with its overrides in place and the missing ones added. */
static void section(writer *w, const char *name, const herd_cfg_node *m)
{
    if (!herd_cfg_is_map(m)) {
        node(w, m);
        return;
    }
    map_begin(w);
    for (size_t i = 0; i < herd_cfg_len(m); i++) {
        const char *key = herd_cfg_key_at(m, i);
        override *hit = NULL;
        for (size_t k = 0; k < w->nov && !hit; k++)
            if (!strcmp(w->ov[k].section, name) && !strcmp(w->ov[k].key, key)) hit = &w->ov[k];
        scalar(w, key);
        if (hit) {
            scalar(w, hit->value);
            hit->done = true;
        } else {
            node(w, herd_cfg_value_at(m, i));
        }
    }
    for (size_t k = 0; k < w->nov; k++)
        if (!w->ov[k].done && !strcmp(w->ov[k].section, name)) {
            kv(w, w->ov[k].key, w->ov[k].value);
            w->ov[k].done = true;
        }
    map_end(w);
}

static void document(writer *w, const herd_cfg_node *root)
{
    map_begin(w);
    bool wrote_faults = false;
    for (size_t i = 0; i < herd_cfg_len(root); i++) {
        const char *key = herd_cfg_key_at(root, i);
        if (!strcmp(key, "faults")) {
            if (w->c->fault_count) faults(w);
            wrote_faults = true;
            continue;
        }
        scalar(w, key);
        section(w, key, herd_cfg_value_at(root, i));
    }
    /* Sections the document does not have, in the reader's order. */
    static const char *const order[] = {"run", "world", "workload", NULL};
    for (size_t s = 0; order[s]; s++) {
        bool pending = false;
        for (size_t k = 0; k < w->nov; k++) pending |= !w->ov[k].done && !strcmp(w->ov[k].section, order[s]);
        if (!pending) continue;
        scalar(w, order[s]);
        map_begin(w);
        for (size_t k = 0; k < w->nov; k++)
            if (!w->ov[k].done && !strcmp(w->ov[k].section, order[s])) {
                kv(w, w->ov[k].key, w->ov[k].value);
                w->ov[k].done = true;
            }
        map_end(w);
    }
    if (!wrote_faults && w->c->fault_count) faults(w);
    map_end(w);
}

static int header_lines(const char *header, FILE *f)
{
    if (!header) return 0;
    for (const char *p = header; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (fprintf(f, "#%s%.*s\n", len ? " " : "", (int)len, p) < 0) return -EIO;
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

static int write_out(void *data, unsigned char *buf, size_t size)
{
    return fwrite(buf, 1, size, data) == size;
}

int herd_shrink_emit(const herd_cfg_doc *doc, const herd_world_config *base, const herd_shrink_cand *c,
                     const char *header, FILE *f)
{
    const herd_cfg_node *root = herd_cfg_root(doc);
    if (!herd_cfg_is_map(root)) return -EINVAL;
    int rc = header_lines(header, f);
    if (rc) return rc;
    writer *w = calloc(1, sizeof *w);
    if (!w) return -ENOMEM;
    w->c = c;
    if (!yaml_emitter_initialize(&w->e)) {
        free(w);
        return -ENOMEM;
    }
    yaml_emitter_set_output(&w->e, write_out, f);
    yaml_emitter_set_unicode(&w->e, 1);
    yaml_emitter_set_width(&w->e, -1);
    overrides(w, base);
    yaml_event_t e;
    yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
    ev(w, &e);
    yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
    ev(w, &e);
    document(w, root);
    yaml_document_end_event_initialize(&e, 1);
    ev(w, &e);
    yaml_stream_end_event_initialize(&e);
    ev(w, &e);
    if (w->rc == 0 && !yaml_emitter_flush(&w->e)) w->rc = -EIO;
    rc = w->rc;
    yaml_emitter_delete(&w->e);
    free(w);
    return rc ? rc : ferror(f) ? -EIO : 0;
}
