/* cex.c — counterexamples as traces: re-run a path of transitions from the initial world
 * with a recorder attached, and write every machine input and effect in lib/trace's
 * format, plus the readable step list. The header carries every parameter `herd replay`
 * needs to build fresh machines without the model file. */
#include "cex.h"

#include "error.h"
#include "version.h"

#include <stdlib.h>
#include <string.h>

/* "I1,I2,...": the properties the search checked, for replay to check the same. */
static void props_list(const hm_config *cfg, char *out, size_t size)
{
    size_t n = 0;
    out[0] = 0;
    for (int p = HM_P_I1; p <= HM_P_L1; p++) {
        if (!((cfg->props_mask >> p) & 1u)) continue;
        int k = snprintf(out + n, size - n, "%s%s", n ? "," : "", hm_prop_name(p));
        if (k < 0 || (size_t)k >= size - n) return;
        n += (size_t)k;
    }
}

void hm_cex_header(herd_trace_header *h, const hm_config *cfg, const char *model, int property, uint32_t step)
{
    char props[64];
    props_list(cfg, props, sizeof props);
    herd_trace_header_init(h, "model");
    herd_trace_header_str(h, "model", model);
    herd_trace_header_u64(h, "seed", 0);
    herd_trace_header_str(h, "property", hm_prop_name(property));
    herd_trace_header_u64(h, "violation_step", step);
    herd_trace_header_str(h, "properties", props);
    herd_trace_header_u64(h, "clients", cfg->clients);
    herd_trace_header_u64(h, "servers", cfg->servers);
    herd_trace_header_u64(h, "messages", cfg->messages);
    herd_trace_header_machines(h, &cfg->client, &cfg->server, &cfg->store);
    herd_trace_header_u64(h, "local_capacity", cfg->local_capacity);
    herd_trace_header_u64(h, "local_window_us", cfg->local_window_us);
    herd_trace_header_u64(h, "rng_seed", HM_RNG_SEED);
}

typedef struct sink {
    hm_recorder rec;
    FILE *jsonl;
    FILE *txt;
    int err;
} sink;

static void emit(hm_recorder *r, const herd_trace_rec *rec)
{
    sink *k = (sink *)r->ctx;
    if (k->jsonl && herd_trace_write_rec(k->jsonl, rec) != 0) k->err = -1;
    if (k->txt) {
        char line[512];
        herd_trace_format_rec(rec, line, sizeof line);
        fprintf(k->txt, "%s\n", line);
    }
}

/* Where the path's violation happens: at its last step when the world after it violates
 * the property (a safety property, checked on every state), else at the end record (len
 * + 1: L1, or I1's delivery half, on the world at rest or at the schedule's bound). w is
 * scratch space of hm_world_bytes(cfg) bytes. */
static uint32_t violation_step(hm_world *w, const hm_config *cfg, int property, const hm_label *path, uint32_t len)
{
    hm_world_init(w, cfg, NULL);
    for (uint32_t i = 0; i < len; i++) hm_world_apply(w, cfg, path[i], NULL);
    return hm_props_check(w, cfg) == property ? len : len + 1u;
}

int hm_cex_write(const hm_config *cfg, const char *model, int property, const hm_label *path, uint32_t len,
                 uint32_t live_suffix, FILE *jsonl, FILE *txt)
{
    size_t wb = hm_world_bytes(cfg);
    hm_world *w = calloc(1, wb);
    if (w == NULL) return -1;
    sink k = {.rec = {.emit = emit}, .jsonl = jsonl, .txt = txt};
    k.rec.ctx = &k;
    if (jsonl) {
        herd_trace_header h;
        hm_cex_header(&h, cfg, model, property, violation_step(w, cfg, property, path, len));
        if (herd_trace_write_header(jsonl, &h) != 0) k.err = -1;
    }
    if (txt) fprintf(txt, "counterexample: %s (%s), %u steps\n  model %s, protocol %s\n", hm_prop_name(property),
                     hm_prop_title(property), len, model, herd_protocol_name(&cfg->proto));
    k.rec.step = 0;
    hm_world_init(w, cfg, &k.rec);
    for (uint32_t i = 0; i < len; i++) {
        herd_trace_rec r;
        memset(&r, 0, sizeof r);
        r.what = HERD_TRACE_STEP;
        r.step = i + 1u;
        snprintf(r.actor, sizeof r.actor, "world");
        snprintf(r.name, sizeof r.name, "%s", i + live_suffix >= len ? "fault-free" : "choice");
        r.has = HERD_TF_TEXT;
        hm_label_format(w, cfg, path[i], r.text, sizeof r.text);
        k.rec.step = i + 1u;
        emit(&k.rec, &r);
        hm_world_apply(w, cfg, path[i], &k.rec);
    }
    herd_trace_rec end;
    memset(&end, 0, sizeof end);
    end.what = HERD_TRACE_END;
    end.step = len + 1u;
    snprintf(end.actor, sizeof end.actor, "world");
    snprintf(end.name, sizeof end.name, "%s", hm_prop_name(property));
    end.has = HERD_TF_QUIESCENT | HERD_TF_TEXT;
    end.quiescent = hm_world_quiescent(w, cfg);
    snprintf(end.text, sizeof end.text, "%s violated: %s", hm_prop_name(property), hm_prop_title(property));
    if (jsonl && herd_trace_write_rec(jsonl, &end) != 0) k.err = -1;
    if (txt) fprintf(txt, "end: %s violated%s\n", hm_prop_name(property), end.quiescent ? " (the world is at rest)" : "");
    free(w);
    return k.err;
}
