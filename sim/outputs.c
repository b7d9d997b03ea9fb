/* outputs.c — the capacity column, the per-server series (servers.csv), the fault bands
 * and the fault hooks (see outputs.h). */
#include "outputs.h"

#include "config.h"
#include "json.h"
#include "trace_out.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- capacity ---- */

/* Sum the servers' up time from cap_at to now (none while the load balancer is down). */
static void capacity_sum(herd_world *w)
{
    uint32_t up = 0;
    if (w->lb_up)
        for (uint32_t s = 0; s < w->cfg.servers; s++) up += w->servers[s].up; /* at most 1024 */
    w->cap_up_us += (uint64_t)up * (w->now - w->cap_at);
    w->cap_at = w->now;
}

uint64_t herd_outputs_capacity(herd_world *w)
{
    capacity_sum(w);
    const herd_world_config *c = &w->cfg;
    /* Servers up on average, in thousandths (<= 1024 000), then handshakes per second:
     * <= 1024 000 x 1024 workers x 10^6 us, well inside 64 bits. */
    uint64_t servers_milli = w->cap_up_us * 1000u / c->metrics_interval_us;
    uint64_t cap = servers_milli * c->workers * HERD_US_PER_S / (c->handshake_us * 1000u);
    if (c->lb_rate_per_s && cap > c->lb_rate_per_s) cap = c->lb_rate_per_s;
    w->cap_up_us = 0;
    return cap;
}

/* ---- per-server series ---- */

void herd_outputs_server_row(herd_world *w)
{
    uint32_t *cells = herd_metrics_server_row(&w->metrics, w->now);
    if (!cells) return;
    for (uint32_t s = 0; s < w->cfg.servers && s < w->metrics.servers; s++) { /* <= 1024 */
        uint32_t *c = &cells[(size_t)s * HERD_SV_COL_COUNT];
        c[HERD_SV_UP] = w->servers[s].up;
        c[HERD_SV_ACCEPT_QUEUE] = w->servers[s].q_len;
        c[HERD_SV_SESSIONS] = w->servers[s].conns;
    }
}

int herd_outputs_servers_csv(const herd_world *w, FILE *f)
{
    const herd_metrics *m = &w->metrics;
    fputs("t_s,server", f);
    for (int k = 0; k < HERD_SV_COL_COUNT; k++) fprintf(f, ",%s", herd_server_col_name(k));
    fputc('\n', f);
    for (uint32_t i = 0; i < m->srows_len; i++) {
        herd_time t = m->srow_t[i];
        const uint32_t *row = &m->srows[(size_t)i * m->servers * HERD_SV_COL_COUNT];
        for (uint32_t s = 0; s < m->servers; s++) {
            fprintf(f, "%" PRIu64 ".%06" PRIu64 ",%" PRIu32, t / HERD_US_PER_S, t % HERD_US_PER_S, s);
            for (int k = 0; k < HERD_SV_COL_COUNT; k++) fprintf(f, ",%" PRIu32, row[(size_t)s * HERD_SV_COL_COUNT + (size_t)k]);
            fputc('\n', f);
        }
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- fault hooks ---- */

void herd_outputs_fault_begin(herd_world *w, uint32_t index, uint64_t arg)
{
    capacity_sum(w);
    herd_sim_trace *t = w->trace;
    if (!t || t->full) return;
    for (uint32_t s = 0; s < w->cfg.servers; s++) t->up_before[s] = w->servers[s].up;
    herd_trace_fault(w, index, arg);
}

void herd_outputs_fault_end(herd_world *w)
{
    herd_sim_trace *t = w->trace;
    if (!t || t->full) return;
    for (uint32_t s = 0; s < w->cfg.servers; s++)
        if (t->up_before[s] != w->servers[s].up) herd_trace_server(w, s, w->servers[s].up);
}

/* ---- faults.json ---- */

static void fmt_range(char *out, size_t size, uint32_t first, uint32_t count)
{
    if (count == 0) snprintf(out, size, "all");
    else if (count == 1) snprintf(out, size, "%" PRIu32, first);
    else snprintf(out, size, "%" PRIu32 "-%" PRIu64, first, (uint64_t)first + count - 1);
}

static void fmt_group(char *out, size_t size, herd_group g)
{
    static const char *const kinds[] = {"?", "clients", "lb", "servers", "store"};
    const char *k = g.kind <= HERD_GROUP_STORE ? kinds[g.kind] : "?";
    char r[48];
    fmt_range(r, sizeof r, g.first, g.count);
    if (g.count == 0) snprintf(out, size, "%s", k);
    else snprintf(out, size, "%s:%s", k, r);
}

void herd_outputs_fault_label(const herd_fault *f, char *out, size_t size)
{
    const char *kind = herd_fault_kind_name(f->kind);
    char who[48], a[64], b[64];
    fmt_range(who, sizeof who, f->first, f->count);
    switch (f->kind) {
    case HERD_FAULT_PARTITION:
        fmt_group(a, sizeof a, f->a);
        fmt_group(b, sizeof b, f->b);
        snprintf(out, size, "partition %s %s %s", a, f->oneway ? "->" : "<->", b);
        break;
    case HERD_FAULT_OFFLINE: snprintf(out, size, "clients %s offline", who); break;
    case HERD_FAULT_CHURN:
        herd_cfg_format_ppm(f->fraction_ppm, a, sizeof a);
        if (f->count == 0) snprintf(out, size, "churn: %s of all clients", a);
        else snprintf(out, size, "churn: %s of clients %s", a, who);
        break;
    case HERD_FAULT_CRASH:
    case HERD_FAULT_GRACEFUL:
    case HERD_FAULT_ROLLING: snprintf(out, size, "%s: servers %s", kind, who); break;
    default: snprintf(out, size, "%s", kind); break;
    }
    for (char *p = out; *p; p++)
        if (*p == '_') *p = ' ';
}

int herd_outputs_faults_json(const herd_world *w, FILE *f)
{
    herd_json j;
    herd_json_init_file(&j, f);
    herd_json_obj_begin(&j);
    herd_json_key(&j, "bands");
    herd_json_arr_begin(&j);
    for (uint32_t i = 0; i < w->cfg.fault_count; i++) {
        const herd_fault *fa = &w->cfg.faults[i];
        char label[160];
        herd_outputs_fault_label(fa, label, sizeof label);
        herd_json_obj_begin(&j);
        herd_json_kv_str(&j, "kind", herd_fault_kind_name(fa->kind));
        herd_json_kv_fixed(&j, "start_s", (int64_t)fa->at_us, 6);
        herd_json_kv_fixed(&j, "end_s", (int64_t)herd_fault_heal_us(w, fa), 6);
        herd_json_kv_str(&j, "label", label);
        herd_json_obj_end(&j);
    }
    herd_json_arr_end(&j);
    herd_json_obj_end(&j);
    int rc = herd_json_finish(&j);
    if (fputc('\n', f) == EOF && rc == 0) rc = -EIO;
    return rc;
}
