/* rundir.c — reads a run directory written by `herd run --out DIR` into a herd_run.
 *
 * Required: metrics.csv (the per-interval rows; read by the small CSV reader below, by
 * column name, so new columns never break it) and summary.json (the --json object).
 * Used when present: scenario.yaml (accept capacity and fault bands, derived here until
 * the simulator writes them), and the optional files of the contract in
 * docs/rendering.md: faults.json (fault bands as they happened), delays.json (the
 * reconnect-delay histogram), a capacity_per_s column in metrics.csv, servers.csv
 * (servers.c), trace.jsonl. Run
 * directories older than the syn_drops_* columns (SYN drops by cause) still load: those
 * series are left out and the pages draw the total under its own name instead.
 *
 * JSON files are read with lib/config.h, that is by libyaml: the JSON that lib/json.h
 * writes is a YAML flow document, so we need no JSON parser of our own. Errors name the
 * file (and line where there is one); missing or malformed input is 65, unreadable 74. */
#define _POSIX_C_SOURCE 200809L /* fileno, strtok_r, isatty */
#include "render.h"

#include "config.h"
#include "exitcode.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CSV_BYTES_MAX ((size_t)1 << 30)
#define CSV_FIELDS_MAX 64

static const char *const column_names[HERD_S_COUNT] = {
    "t_s", "attempts", "syns", "syn_drops", "accepts", "wasted_handshakes", "refused",
    "published", "backpressure", "acked", "delivered", "gaps", "connected", "queued",
    "accept_queue", "sessions", "capacity_per_s", "syn_drops_backlog_full", "syn_drops_lb_down",
    "syn_drops_lb_rate_limited", "syn_drops_net_loss", "syn_drops_partition",
};

static int fail(char *err, size_t len, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return code;
}

/* The whole file into memory (NUL-terminated). 0, -ENOENT, or another -errno. */
static int slurp(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        fclose(f);
        return -EFBIG;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    int bad = !buf ? -ENOMEM : ferror(f) ? -EIO : 0;
    fclose(f);
    if (bad) {
        free(buf);
        return bad;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static void path_join(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* Split one CSV line (no quoting: metrics.csv has only numbers) in place. */
static size_t csv_split(char *line, char **field, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) { /* at most max fields */
        field[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

/* The header: which series each field feeds (-1: a column we do not draw). */
static int csv_header(herd_run *r, char *line, int *map, size_t *nfields, const char *path, char *err,
                      size_t err_len)
{
    char *field[CSV_FIELDS_MAX];
    *nfields = csv_split(line, field, CSV_FIELDS_MAX);
    bool have_t = false;
    for (size_t i = 0; i < *nfields; i++) {
        map[i] = -1;
        for (int s = 0; s < HERD_S_COUNT; s++)
            if (strcmp(field[i], column_names[s]) == 0) map[i] = s;
        if (map[i] == HERD_S_T) have_t = true;
    }
    if (!have_t) return fail(err, err_len, HERD_EXIT_DATAERR, "%s:1: no t_s column%s", path, "");
    for (size_t i = 0; i < *nfields; i++)
        if (map[i] >= 0 && !r->col[map[i]]) {
            r->col[map[i]] = calloc(1024, sizeof(double)) /* csv_grow doubles it */;
            if (!r->col[map[i]]) return fail(err, err_len, HERD_EXIT_SOFTWARE, "%s: out of memory%s", path, "");
        }
    return 0;
}

static int csv_grow(herd_run *r, size_t *cap)
{
    if (r->rows < *cap) return 0;
    if (*cap >= HERD_RUN_ROWS_MAX) return -1;
    size_t ncap = *cap * 2;
    for (int s = 0; s < HERD_S_COUNT; s++) {
        if (!r->col[s]) continue;
        double *p = realloc(r->col[s], ncap * sizeof(double));
        if (!p) return -1;
        r->col[s] = p;
    }
    *cap = ncap;
    return 0;
}

static int csv_row(herd_run *r, char *line, const int *map, size_t nfields, const char *path, size_t lineno,
                   char *err, size_t err_len)
{
    char *field[CSV_FIELDS_MAX];
    size_t n = csv_split(line, field, CSV_FIELDS_MAX);
    char where[1200];
    snprintf(where, sizeof where, "%s:%zu", path, lineno);
    if (n != nfields) return fail(err, err_len, HERD_EXIT_DATAERR, "%s: expected as many fields as the header%s", where, "");
    for (size_t i = 0; i < n; i++) {
        if (map[i] < 0) continue;
        char *end;
        errno = 0;
        double v = strtod(field[i], &end);
        if (end == field[i] || *end != '\0' || errno || !isfinite(v))
            return fail(err, err_len, HERD_EXIT_DATAERR, "%s: '%s' is not a number", where, field[i]);
        r->col[map[i]][r->rows] = v;
    }
    if (r->rows > 0 && r->col[HERD_S_T][r->rows] <= r->col[HERD_S_T][r->rows - 1])
        return fail(err, err_len, HERD_EXIT_DATAERR, "%s: t_s does not increase%s", where, "");
    r->rows++;
    return 0;
}

static int load_metrics(herd_run *r, const char *path, char *err, size_t err_len)
{
    char *text = NULL;
    size_t len = 0;
    int rc = slurp(path, CSV_BYTES_MAX, &text, &len);
    if (rc == -ENOENT) return fail(err, err_len, HERD_EXIT_DATAERR, "%s: not a run directory (no %s)", r->dir, "metrics.csv");
    if (rc) return fail(err, err_len, HERD_EXIT_IOERR, "%s: %s", path, strerror(-rc));
    int map[CSV_FIELDS_MAX];
    size_t nfields = 0, cap = 1024, lineno = 0;
    char *save = NULL;
    rc = 0;
    herd_progress_begin("reading metrics", len);
    for (char *line = strtok_r(text, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (lineno == 1) {
            rc = csv_header(r, line, map, &nfields, path, err, err_len);
        } else if (csv_grow(r, &cap) != 0) {
            rc = fail(err, err_len, HERD_EXIT_DATAERR, "%s: more rows than the renderer holds%s", path, "");
        } else {
            rc = csv_row(r, line, map, nfields, path, lineno, err, err_len);
        }
        if ((lineno & 1023) == 0) herd_progress_step((uint64_t)(line - text));
    }
    herd_progress_end();
    free(text);
    if (rc) return rc;
    if (r->rows == 0) return fail(err, err_len, HERD_EXIT_DATAERR, "%s: no rows%s", path, "");
    r->interval_s = r->rows > 1 ? r->col[HERD_S_T][1] - r->col[HERD_S_T][0] : r->col[HERD_S_T][0];
    if (!(r->interval_s > 0)) return fail(err, err_len, HERD_EXIT_DATAERR, "%s: bad interval%s", path, "");
    r->capacity_measured = r->col[HERD_S_CAPACITY] != NULL;
    return 0;
}

/* ---- JSON and YAML through lib/config.h ---- */

static bool node_num(const herd_cfg_node *n, double *out)
{
    const char *s = herd_cfg_scalar(n);
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno || !isfinite(v)) return false;
    *out = v;
    return true;
}

static void copy_str(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s ? s : "");
}

/* A document, or NULL with the status in *rc (0 and NULL: absent and optional). */
static herd_cfg_doc *load_doc(const char *path, bool required, int *rc, char *err, size_t err_len)
{
    struct stat st;
    *rc = 0;
    if (stat(path, &st) != 0) {
        if (required) *rc = fail(err, err_len, HERD_EXIT_DATAERR, "%s: missing (%s)", path, strerror(errno));
        return NULL;
    }
    herd_cfg_doc *d = herd_cfg_load_file(path);
    if (!d) {
        *rc = fail(err, err_len, HERD_EXIT_SOFTWARE, "%s: out of memory%s", path, "");
        return NULL;
    }
    if (herd_cfg_failed(d) || !herd_cfg_is_map(herd_cfg_root(d))) {
        *rc = herd_cfg_failed(d) ? herd_cfg_error_exit(d) : HERD_EXIT_DATAERR;
        fail(err, err_len, *rc, "%s%s", herd_cfg_failed(d) ? herd_cfg_error(d) : path,
             herd_cfg_failed(d) ? "" : ": not a JSON object");
        herd_cfg_free(d);
        return NULL;
    }
    return d;
}

static void read_expectations(herd_run *r, const herd_cfg_node *seq)
{
    for (size_t i = 0; i < herd_cfg_len(seq) && r->expect_count < HERD_RUN_ITEMS_MAX; i++) {
        const herd_cfg_node *e = herd_cfg_at(seq, i);
        herd_item *it = &r->expects[r->expect_count++];
        copy_str(it->key, sizeof it->key, herd_cfg_scalar(herd_cfg_get(e, "name")));
        copy_str(it->value, sizeof it->value, herd_cfg_scalar(herd_cfg_get(e, "detail")));
        const char *ok = herd_cfg_scalar(herd_cfg_get(e, "ok"));
        it->ok = ok && strcmp(ok, "true") == 0;
    }
}

static void read_summary_entry(herd_run *r, const char *key, const herd_cfg_node *v)
{
    if (strcmp(key, "verdict") == 0) {
        copy_str(r->verdict, sizeof r->verdict, herd_cfg_scalar(v));
    } else if (strcmp(key, "expectations") == 0) {
        read_expectations(r, v);
    } else if (strcmp(key, "violations") == 0 && herd_cfg_is_map(v)) {
        for (size_t i = 0; i < herd_cfg_len(v) && r->violation_count < HERD_RUN_ITEMS_MAX; i++) {
            herd_item *it = &r->violations[r->violation_count++];
            copy_str(it->key, sizeof it->key, herd_cfg_key_at(v, i));
            copy_str(it->value, sizeof it->value, herd_cfg_scalar(herd_cfg_value_at(v, i)));
            it->ok = -1;
        }
    } else if (strcmp(key, "first_violation_clients") == 0 && herd_cfg_is_seq(v)) {
        for (size_t i = 0; i < herd_cfg_len(v) && r->violator_count < HERD_RUN_VIOLATORS_MAX; i++) {
            double id;
            if (node_num(herd_cfg_at(v, i), &id) && id >= 0 && id <= UINT32_MAX)
                r->violators[r->violator_count++] = (uint32_t)id;
        }
    } else if (herd_cfg_is_scalar(v) && r->figure_count < HERD_RUN_ITEMS_MAX) {
        herd_item *it = &r->figures[r->figure_count++];
        copy_str(it->key, sizeof it->key, key);
        copy_str(it->value, sizeof it->value, herd_cfg_scalar(v));
        it->ok = -1;
    }
}

static int load_summary(herd_run *r, char *err, size_t err_len)
{
    char path[1100];
    path_join(path, sizeof path, r->dir, "summary.json");
    int rc;
    herd_cfg_doc *d = load_doc(path, true, &rc, err, err_len);
    if (!d) return rc;
    const herd_cfg_node *root = herd_cfg_root(d);
    for (size_t i = 0; i < herd_cfg_len(root); i++)
        read_summary_entry(r, herd_cfg_key_at(root, i), herd_cfg_value_at(root, i));
    const char *sc = herd_cfg_scalar(herd_cfg_get(root, "scenario"));
    if (sc && *sc) { /* label by the scenario file's stem */
        const char *base = strrchr(sc, '/') ? strrchr(sc, '/') + 1 : sc;
        copy_str(r->name, sizeof r->name, base);
        char *dot = strstr(r->name, ".yaml");
        if (dot) *dot = '\0';
    }
    herd_cfg_free(d);
    if (!r->verdict[0]) return fail(err, err_len, HERD_EXIT_DATAERR, "%s: no \"verdict\"%s", path, "");
    return 0;
}

bool herd_run_figure(const herd_run *r, const char *key, double *out)
{
    for (uint32_t i = 0; i < r->figure_count; i++) {
        if (strcmp(r->figures[i].key, key) != 0) continue;
        char *end;
        double v = strtod(r->figures[i].value, &end);
        if (end == r->figures[i].value || *end != '\0' || !isfinite(v)) return false;
        *out = v;
        return true;
    }
    return false;
}

/* faults.json: {"bands":[{"kind", "start_s", "end_s", "label"}]} */
static int load_faults_file(herd_run *r, char *err, size_t err_len)
{
    char path[1100];
    path_join(path, sizeof path, r->dir, "faults.json");
    int rc;
    herd_cfg_doc *d = load_doc(path, false, &rc, err, err_len);
    if (!d) return rc;
    const herd_cfg_node *bands = herd_cfg_get(herd_cfg_root(d), "bands");
    r->band_count = 0; /* the simulator's record replaces what we derived from the scenario */
    rc = herd_cfg_is_seq(bands) ? 0 : fail(err, err_len, HERD_EXIT_DATAERR, "%s: \"bands\" must be a list%s", path, "");
    for (size_t i = 0; rc == 0 && i < herd_cfg_len(bands) && r->band_count < HERD_RUN_BANDS_MAX; i++) {
        const herd_cfg_node *b = herd_cfg_at(bands, i);
        herd_band *band = &r->bands[r->band_count];
        if (!node_num(herd_cfg_get(b, "start_s"), &band->start_s) || !node_num(herd_cfg_get(b, "end_s"), &band->end_s) ||
            band->end_s < band->start_s) {
            rc = fail(err, err_len, HERD_EXIT_DATAERR, "%s: band %s needs start_s <= end_s", path, "");
            break;
        }
        copy_str(band->kind, sizeof band->kind, herd_cfg_scalar(herd_cfg_get(b, "kind")));
        copy_str(band->label, sizeof band->label, herd_cfg_scalar(herd_cfg_get(b, "label")));
        r->band_count++;
    }
    if (rc == 0) r->bands_from_file = true;
    herd_cfg_free(d);
    return rc;
}

static int read_delay_arrays(herd_run *r, const herd_cfg_node *edges, const herd_cfg_node *counts)
{
    size_t n = herd_cfg_len(counts);
    if (!herd_cfg_is_seq(edges) || !herd_cfg_is_seq(counts) || n == 0 || n > HERD_RUN_BUCKETS_MAX ||
        herd_cfg_len(edges) != n + 1)
        return -1;
    for (size_t i = 0; i <= n; i++) {
        if (!node_num(herd_cfg_at(edges, i), &r->edge_ms[i]) || r->edge_ms[i] < 0) return -1;
        if (i > 0 && r->edge_ms[i] <= r->edge_ms[i - 1]) return -1;
        if (i < n && (!node_num(herd_cfg_at(counts, i), &r->count[i]) || r->count[i] < 0)) return -1;
    }
    r->bucket_count = (uint32_t)n;
    return 0;
}

/* delays.json: {"what", "bucket_ms": [n+1 edges], "counts": [n], "p50_ms", "p90_ms", "p99_ms"} */
static int load_delays(herd_run *r, char *err, size_t err_len)
{
    char path[1100];
    path_join(path, sizeof path, r->dir, "delays.json");
    int rc;
    herd_cfg_doc *d = load_doc(path, false, &rc, err, err_len);
    if (!d) return rc;
    const herd_cfg_node *root = herd_cfg_root(d);
    if (read_delay_arrays(r, herd_cfg_get(root, "bucket_ms"), herd_cfg_get(root, "counts")) != 0) {
        herd_cfg_free(d);
        return fail(err, err_len, HERD_EXIT_DATAERR,
                    "%s: needs \"bucket_ms\" (ascending edges, one more than counts) and \"counts\"%s", path, "");
    }
    r->has_delays = true;
    copy_str(r->delay_what, sizeof r->delay_what, herd_cfg_scalar(herd_cfg_get(root, "what")));
    static const char *const keys[3] = {"p50_ms", "p90_ms", "p99_ms"};
    r->pct_given = true;
    for (int i = 0; i < 3; i++)
        if (!node_num(herd_cfg_get(root, keys[i]), &r->pct_ms[i])) r->pct_given = false;
    static const double qs[3] = {0.50, 0.90, 0.99};
    if (!r->pct_given)
        for (int i = 0; i < 3; i++) r->pct_ms[i] = herd_run_delay_percentile(r, qs[i]);
    herd_cfg_free(d);
    return 0;
}

double herd_run_delay_percentile(const herd_run *r, double q)
{
    double total = 0;
    for (uint32_t i = 0; i < r->bucket_count; i++) total += r->count[i];
    if (!(total > 0)) return NAN;
    double want = q * total, seen = 0;
    for (uint32_t i = 0; i < r->bucket_count; i++) {
        if (seen + r->count[i] >= want && r->count[i] > 0) {
            double f = (want - seen) / r->count[i];
            return r->edge_ms[i] + f * (r->edge_ms[i + 1] - r->edge_ms[i]);
        }
        seen += r->count[i];
    }
    return r->edge_ms[r->bucket_count];
}

static void default_name(herd_run *r)
{
    if (r->name[0]) return;
    char tmp[1024];
    copy_str(tmp, sizeof tmp, r->dir);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/') tmp[--n] = '\0'; /* at most n steps */
    const char *base = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp;
    copy_str(r->name, sizeof r->name, base);
}

int herd_run_load(herd_run *r, const char *dir, char *err, size_t err_len)
{
    *r = (herd_run){0};
    copy_str(r->dir, sizeof r->dir, dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(err, err_len, HERD_EXIT_DATAERR, "%s: not a run directory (%s)", dir,
                    stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
    char path[1100];
    path_join(path, sizeof path, dir, "metrics.csv");
    int rc = load_metrics(r, path, err, err_len);
    if (rc == 0) rc = load_summary(r, err, err_len);
    if (rc == 0) rc = herd_scenario_info(r, err, err_len);
    if (rc == 0) rc = load_faults_file(r, err, err_len);
    if (rc == 0) rc = load_delays(r, err, err_len);
    if (rc == 0) rc = herd_servers_load(&r->servers, dir, err, err_len);
    path_join(path, sizeof path, dir, "trace.jsonl");
    r->has_trace = stat(path, &st) == 0;
    default_name(r);
    if (rc == 0 && !r->duration_s) r->duration_s = r->col[HERD_S_T][r->rows - 1]; /* rows > 0 once loaded */
    if (rc) herd_run_free(r);
    return rc;
}

void herd_run_free(herd_run *r)
{
    for (int s = 0; s < HERD_S_COUNT; s++) {
        free(r->col[s]);
        r->col[s] = NULL;
    }
    free(r->scenario_text);
    r->scenario_text = NULL;
    herd_servers_free(r->servers);
    r->servers = NULL;
}
