/* scenario_info.c — what the renderer needs from a run's scenario.yaml: the backoff policy
 * (for labels), the run's duration, the accept capacity over time and the fault bands.
 *
 * The simulator does not (yet) write its capacity or fault schedule into the run
 * directory, so we derive them from the resolved scenario the way sim/faults.c schedules
 * them. Defaults for absent keys mirror sim/world.c (servers 4, workers 4, handshake 1 ms,
 * duration 60 s, fault duration 1 s, rolling interval 10 s). Once the simulator writes the
 * optional files of docs/rendering.md (faults.json, a capacity_per_s column) those win,
 * and this derivation is only the fallback for older run directories.
 *
 * Capacity is the accept path's handshake rate: servers up x workers / handshake time,
 * capped by the load balancer's new-connection rate when one is set. A server counts as
 * down from a crash to its restart, and during the down time of a graceful or rolling
 * restart. */
#include "render.h"

#include "config.h"
#include "exitcode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SERVERS_MAX 4096 /* what the down-window check walks; sim allows fewer */
#define SCENARIO_TEXT_MAX ((size_t)1 << 20)
#define US_PER_S 1000000.0

typedef struct down_window {
    double start_s, end_s;
    uint32_t first, count; /* servers */
} down_window;

typedef struct scen {
    herd_cfg_doc *d;
    uint64_t servers, workers, handshake_us, lb_rate;
    uint32_t down_count;
    down_window down[HERD_RUN_BANDS_MAX * 4];
} scen;

/* "all", "3", "0-9" -> first, count (count 0 = all). */
static void parse_range(const char *s, uint32_t *first, uint32_t *count)
{
    *first = 0;
    *count = 0;
    if (!s || strcmp(s, "all") == 0) return;
    char *end;
    unsigned long a = strtoul(s, &end, 10), b = a;
    if (end == s) return;
    if (*end == '-') b = strtoul(end + 1, &end, 10);
    if (b < a || b > UINT32_MAX - 1) return;
    *first = (uint32_t)a;
    *count = (uint32_t)(b - a + 1);
}

static uint64_t dur(scen *s, const herd_cfg_node *m, const char *key, uint64_t dflt)
{
    uint64_t v = dflt;
    herd_cfg_duration_us(s->d, m, key, false, 0, UINT64_MAX / 2, dflt, &v);
    return v;
}

static const char *str(const herd_cfg_node *m, const char *key, const char *dflt)
{
    const char *v = herd_cfg_scalar(herd_cfg_get(m, key));
    return v ? v : dflt;
}

static void add_down(scen *s, double start_s, double end_s, uint32_t first, uint32_t count)
{
    if (s->down_count >= sizeof s->down / sizeof s->down[0]) return;
    s->down[s->down_count++] = (down_window){start_s, end_s, first, count};
}

/* One fault: its band (start to heal, as sim/faults.c heal_time) and the servers it takes down. */
static void read_fault(herd_run *r, scen *s, const herd_cfg_node *f)
{
    const char *kind = str(f, "kind", "?");
    uint64_t at = dur(s, f, "at", 0), d = dur(s, f, "duration", 1000000), drain = dur(s, f, "drain", 0);
    uint64_t interval = dur(s, f, "interval", 10000000);
    uint32_t first, count;
    parse_range(str(f, strcmp(kind, "offline") == 0 ? "clients" : "servers", "all"), &first, &count);
    uint32_t n = count ? count : (uint32_t)s->servers;
    uint64_t heal = at + d;
    if (strcmp(kind, "graceful_restart") == 0) heal = at + drain + d;
    if (strcmp(kind, "rolling_deploy") == 0) heal = at + (uint64_t)(n ? n - 1 : 0) * interval + drain + d;
    if (strcmp(kind, "crash") == 0) add_down(s, at / US_PER_S, heal / US_PER_S, first, count);
    if (strcmp(kind, "graceful_restart") == 0) add_down(s, (at + drain) / US_PER_S, heal / US_PER_S, first, count);
    for (uint32_t k = 0; strcmp(kind, "rolling_deploy") == 0 && k < n && k < SERVERS_MAX; k++) {
        uint64_t t = at + (uint64_t)k * interval + drain;
        add_down(s, t / US_PER_S, (t + d) / US_PER_S, first + k, 1);
    }
    if (r->band_count >= HERD_RUN_BANDS_MAX) return;
    herd_band *b = &r->bands[r->band_count++];
    b->start_s = at / US_PER_S;
    b->end_s = heal / US_PER_S;
    snprintf(b->kind, sizeof b->kind, "%s", kind);
    const char *who = str(f, strcmp(kind, "offline") == 0 ? "clients" : "servers", "all");
    if (strcmp(kind, "partition") == 0)
        snprintf(b->label, sizeof b->label, "partition %s %s %s", str(f, "a", "?"),
                 strcmp(str(f, "oneway", "false"), "true") == 0 ? "->" : "<->", str(f, "b", "?"));
    else if (strcmp(kind, "offline") == 0)
        snprintf(b->label, sizeof b->label, "clients %s offline", who);
    else if (strcmp(kind, "crash") == 0 || strcmp(kind, "graceful_restart") == 0 || strcmp(kind, "rolling_deploy") == 0)
        snprintf(b->label, sizeof b->label, "%s: servers %s", kind, who);
    else
        snprintf(b->label, sizeof b->label, "%s", kind);
    for (char *p = b->label; *p; p++)
        if (*p == '_') *p = ' ';
}

static uint32_t servers_up(const scen *s, double t)
{
    uint32_t down = 0;
    for (uint32_t srv = 0; srv < s->servers && srv < SERVERS_MAX; srv++) {
        for (uint32_t i = 0; i < s->down_count; i++) {
            const down_window *w = &s->down[i];
            bool in = w->count == 0 || (srv >= w->first && srv - w->first < w->count);
            if (in && t >= w->start_s && t < w->end_s) {
                down++;
                break;
            }
        }
    }
    return (uint32_t)s->servers - down;
}

/* capacity_per_s for every metrics row, at the middle of its interval. */
static void derive_capacity(herd_run *r, const scen *s)
{
    if (r->capacity_measured || s->handshake_us == 0) return;
    double *cap = calloc(r->rows, sizeof(double));
    if (!cap) return;
    double per_server = (double)s->workers * US_PER_S / (double)s->handshake_us;
    for (size_t i = 0; i < r->rows; i++) {
        double c = servers_up(s, r->col[HERD_S_T][i] - r->interval_s / 2) * per_server;
        if (s->lb_rate && c > (double)s->lb_rate) c = (double)s->lb_rate;
        cap[i] = c;
    }
    r->col[HERD_S_CAPACITY] = cap;
}

static void read_policy(herd_run *r, const herd_cfg_node *root)
{
    const herd_cfg_node *bo = herd_cfg_get(herd_cfg_get(root, "client"), "backoff");
    int n = snprintf(r->policy, sizeof r->policy, "backoff %s", str(bo, "policy", "article"));
    static const char *const extra[] = {"base", "cap", "jitter", "factor_milli"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0] && n > 0 && (size_t)n < sizeof r->policy; i++) {
        const char *v = str(bo, extra[i], NULL);
        if (v) n += snprintf(r->policy + n, sizeof r->policy - (size_t)n, ", %s %s", extra[i], v);
    }
}

static void keep_text(herd_run *r, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return;
    char *buf = malloc(SCENARIO_TEXT_MAX + 1);
    if (buf) {
        size_t n = fread(buf, 1, SCENARIO_TEXT_MAX, f);
        buf[n] = '\0';
        r->scenario_text = buf;
    }
    fclose(f);
}

int herd_scenario_info(herd_run *r, char *err, size_t err_len)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/scenario.yaml", r->dir);
    struct stat st;
    if (stat(path, &st) != 0) return 0; /* optional: the report says what it could not draw */
    static scen s; /* large (down windows); renders are sequential */
    s = (scen){.d = herd_cfg_load_file(path)};
    if (!s.d) return HERD_EXIT_SOFTWARE;
    const herd_cfg_node *root = herd_cfg_root(s.d);
    s.servers = 4;
    herd_cfg_u64(s.d, herd_cfg_get(root, "world"), "servers", false, 1, SERVERS_MAX, 4, &s.servers);
    herd_cfg_u64(s.d, herd_cfg_get(root, "accept"), "workers", false, 1, 1u << 20, 4, &s.workers);
    s.handshake_us = dur(&s, herd_cfg_get(root, "accept"), "handshake", 1000);
    herd_cfg_u64(s.d, herd_cfg_get(root, "lb"), "rate", false, 0, UINT32_MAX, 0, &s.lb_rate);
    r->duration_s = dur(&s, herd_cfg_get(root, "run"), "duration", 60000000) / US_PER_S;
    read_policy(r, root);
    const herd_cfg_node *faults = herd_cfg_get(root, "faults");
    for (size_t i = 0; i < herd_cfg_len(faults) && i < HERD_RUN_BANDS_MAX; i++)
        read_fault(r, &s, herd_cfg_at(faults, i));
    int rc = 0;
    if (herd_cfg_failed(s.d)) {
        rc = herd_cfg_error_exit(s.d);
        snprintf(err, err_len, "%s", herd_cfg_error(s.d));
    } else {
        derive_capacity(r, &s);
        keep_text(r, path);
    }
    herd_cfg_free(s.d);
    return rc;
}
