/* sweep_file.c — a sweep file (YAML, docs/sweeps.md) into a plan: the base scenario, the
 * set: block, the axes and their values (a list, a range, or labelled values that set
 * several keys), the seeds, swarm and the heatmap's axes. Parsed by lib/config.h (libyaml),
 * so every problem is "file:line:col: message", an unknown key gets a suggestion, and
 * nothing runs. Here only the sweep file's own shape is checked: whether a value is right
 * for its scenario key is the scenario loader's call (herd_sweep_validate, sweep_run.c). */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include "config.h"
#include "exitcode.h"
#include "hash.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"scenario", "set", "axes", "seeds", "swarm", "heatmap", NULL};
static const char *const axis_keys[] = {"name", "key", "values", "range", NULL};
static const char *const range_keys[] = {"from", "to", "step", NULL};
static const char *const value_keys[] = {"label", "set", NULL};
static const char *const seeds_keys[] = {"from", "to", NULL};
static const char *const heat_keys[] = {"x", "y", NULL};

static int fail(char *err, size_t n, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return code;
}

/* "a/b/../c" → "a/c", "./x" → "x": lexical, so a replay command stays short. */
static void normalize_path(char *path)
{
    char *parts[256];
    size_t n = 0;
    bool abs = path[0] == '/';
    char copy[HERD_SWEEP_PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    for (char *save = NULL, *t = strtok_r(copy, "/", &save); t && n < 256; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, ".") == 0) continue;
        if (strcmp(t, "..") == 0 && n > 0 && strcmp(parts[n - 1], "..") != 0) {
            n--;
            continue;
        }
        parts[n++] = t;
    }
    size_t len = 0;
    char out[HERD_SWEEP_PATH_MAX];
    out[0] = '\0';
    if (abs) len += (size_t)snprintf(out, sizeof out, "/");
    for (size_t i = 0; i < n && len < sizeof out; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "/" : "", parts[i]);
    if (len == 0) snprintf(out, sizeof out, ".");
    snprintf(path, HERD_SWEEP_PATH_MAX, "%s", out);
}

static bool copy_set(herd_cfg_doc *d, const herd_cfg_node *at, char *dst, const char *key, const char *val)
{
    if ((size_t)snprintf(dst, HERD_SWEEP_SET_MAX, "%s=%s", key, val) >= HERD_SWEEP_SET_MAX) {
        herd_cfg_errorf(d, at, "'%s=%s' is longer than %d bytes", key, val, HERD_SWEEP_SET_MAX - 1);
        return false;
    }
    return true;
}

/* A set: mapping of dotted scenario keys to scalars, into sets (at most max). */
static bool read_set_map(herd_cfg_doc *d, const herd_cfg_node *m, const char *what, char (*sets)[HERD_SWEEP_SET_MAX],
                         int *lines, int *cols, uint32_t *n, uint32_t max)
{
    if (!herd_cfg_is_map(m)) {
        herd_cfg_errorf(d, m, "%s: expected a mapping of scenario keys to values, e.g. world.clients: 1000", what);
        return false;
    }
    for (size_t i = 0; i < herd_cfg_len(m); i++) {
        const herd_cfg_node *k = herd_cfg_key_node_at(m, i), *v = herd_cfg_value_at(m, i);
        const char *val = herd_cfg_scalar(v);
        if (!val) {
            herd_cfg_errorf(d, v, "%s.%s: expected one value (a scalar), e.g. 1000 or 2s", what, herd_cfg_key_at(m, i));
            return false;
        }
        if (*n == max) {
            herd_cfg_errorf(d, k, "%s: at most %u keys", what, max);
            return false;
        }
        if (lines) {
            lines[*n] = herd_cfg_line(k);
            cols[*n] = herd_cfg_col(k);
        }
        if (!copy_set(d, k, sets[*n], herd_cfg_key_at(m, i), val)) return false;
        (*n)++;
    }
    return true;
}

static bool add_value(herd_cfg_doc *d, const herd_cfg_node *at, herd_sweep_axis *ax, const char *label)
{
    if (ax->nvalues == HERD_SWEEP_VALUES_MAX) {
        herd_cfg_errorf(d, at, "axis '%s': more than %d values", ax->name, HERD_SWEEP_VALUES_MAX);
        return false;
    }
    for (uint32_t i = 0; i < ax->nvalues; i++)
        if (strcmp(ax->values[i].label, label) == 0) {
            herd_cfg_errorf(d, at, "axis '%s': value '%s' twice (first at %d:%d)", ax->name, label, ax->values[i].line,
                            ax->values[i].col);
            return false;
        }
    herd_sweep_value *v = &ax->values[ax->nvalues++];
    memset(v, 0, sizeof *v);
    if ((size_t)snprintf(v->label, sizeof v->label, "%s", label) >= sizeof v->label) {
        herd_cfg_errorf(d, at, "axis '%s': label '%s' is longer than %d bytes", ax->name, label,
                        HERD_SWEEP_LABEL_MAX - 1);
        return false;
    }
    v->line = herd_cfg_line(at);
    v->col = herd_cfg_col(at);
    return true;
}

/* range: {from, to, step}: whole numbers, or durations (1ms, 500us), both ends included. */
static bool read_range(herd_cfg_doc *d, const herd_cfg_node *r, herd_sweep_axis *ax, const char *key)
{
    if (!herd_cfg_check_keys(d, r, "range", range_keys)) return false;
    const char *txt[3];
    const char *names[3] = {"from", "to", "step"};
    uint64_t v[3];
    bool dur = false;
    for (int i = 0; i < 3; i++) {
        const herd_cfg_node *n = herd_cfg_get(r, names[i]);
        txt[i] = n ? herd_cfg_scalar(n) : NULL;
        if (!txt[i] && i == 2) txt[i] = "1";
        if (!txt[i]) {
            herd_cfg_errorf(d, n ? n : r, "axis '%s': range needs '%s' (a whole number or a duration)", ax->name, names[i]);
            return false;
        }
        if (herd_cfg_parse_u64(txt[i], &v[i]) != 0) dur = true;
    }
    for (int i = 0; dur && i < 3; i++) {
        const herd_cfg_node *n = herd_cfg_get(r, names[i]);
        if (herd_cfg_parse_duration_us(txt[i], &v[i]) != 0) {
            herd_cfg_errorf(d, n ? n : r, "axis '%s': range %s '%s' is neither a whole number nor a duration "
                            "(e.g. 4, 250ms); from, to and step take the same kind", ax->name, names[i], txt[i]);
            return false;
        }
    }
    if (v[2] == 0 || v[0] > v[1]) {
        herd_cfg_errorf(d, r, "axis '%s': range from %s to %s step %s is empty (want from <= to, step > 0)", ax->name,
                        txt[0], txt[1], txt[2]);
        return false;
    }
    if ((v[1] - v[0]) / v[2] >= HERD_SWEEP_VALUES_MAX) {
        herd_cfg_errorf(d, r, "axis '%s': range gives %" PRIu64 " values, at most %d (raise step)", ax->name,
                        (v[1] - v[0]) / v[2] + 1, HERD_SWEEP_VALUES_MAX);
        return false;
    }
    for (uint64_t x = v[0]; x <= v[1]; x += v[2]) {
        char label[48];
        if (dur) herd_cfg_format_duration(x, label, sizeof label);
        else snprintf(label, sizeof label, "%" PRIu64, x);
        if (!add_value(d, r, ax, label)) return false;
        herd_sweep_value *val = &ax->values[ax->nvalues - 1];
        if (!copy_set(d, r, val->sets[0], key, label)) return false;
        val->nsets = 1;
        if (v[1] - x < v[2]) break;
    }
    return true;
}

/* values: a list of scalars (for key:), or of {label, set} mappings. */
static bool read_values(herd_cfg_doc *d, const herd_cfg_node *vals, herd_sweep_axis *ax, const char *key)
{
    if (!herd_cfg_is_seq(vals) || herd_cfg_len(vals) == 0) {
        herd_cfg_errorf(d, vals, "axis '%s': values must be a non-empty list, e.g. [fixed, article]", ax->name);
        return false;
    }
    for (size_t i = 0; i < herd_cfg_len(vals); i++) {
        const herd_cfg_node *e = herd_cfg_at(vals, i);
        const char *s = herd_cfg_scalar(e);
        if (s) {
            if (!key) {
                herd_cfg_errorf(d, e, "axis '%s' has no key: its values must be mappings {label: ..., set: {KEY: "
                                "VALUE, ...}}, or give the axis a key", ax->name);
                return false;
            }
            if (!add_value(d, e, ax, s)) return false;
            herd_sweep_value *v = &ax->values[ax->nvalues - 1];
            if (!copy_set(d, e, v->sets[0], key, s)) return false;
            v->nsets = 1;
            continue;
        }
        if (!herd_cfg_check_keys(d, e, "an axis value", value_keys)) return false;
        const char *label;
        if (!herd_cfg_str(d, e, "label", true, NULL, &label)) return false;
        const herd_cfg_node *set = herd_cfg_get(e, "set");
        if (!set) {
            herd_cfg_errorf(d, e, "axis '%s': value '%s' needs set: {KEY: VALUE, ...}", ax->name, label);
            return false;
        }
        if (!add_value(d, e, ax, label)) return false;
        herd_sweep_value *v = &ax->values[ax->nvalues - 1];
        if (!read_set_map(d, set, "set", v->sets, NULL, NULL, &v->nsets, HERD_SWEEP_VALUE_SETS_MAX)) return false;
    }
    return true;
}

static bool read_axis(herd_cfg_doc *d, const herd_cfg_node *a, herd_sweep_plan *p)
{
    if (!herd_cfg_check_keys(d, a, "an axis", axis_keys)) return false;
    herd_sweep_axis *ax = &p->axes[p->naxes];
    const char *key = NULL, *name = NULL;
    herd_cfg_str(d, a, "key", false, NULL, &key);
    herd_cfg_str(d, a, "name", false, key, &name);
    if (herd_cfg_failed(d)) return false;
    if (!name) {
        herd_cfg_errorf(d, a, "an axis needs a key (the scenario key it varies, e.g. client.backoff.policy) or a "
                        "name (when its values set keys themselves)");
        return false;
    }
    if ((size_t)snprintf(ax->name, sizeof ax->name, "%s", name) >= sizeof ax->name) {
        herd_cfg_errorf(d, a, "axis name '%s' is longer than %d bytes", name, HERD_SWEEP_LABEL_MAX - 1);
        return false;
    }
    for (uint32_t i = 0; i < p->naxes; i++)
        if (strcmp(p->axes[i].name, ax->name) == 0) {
            herd_cfg_errorf(d, a, "two axes named '%s' (name one of them with name:)", ax->name);
            return false;
        }
    const herd_cfg_node *vals = herd_cfg_get(a, "values"), *range = herd_cfg_get(a, "range");
    if (!vals == !range) {
        herd_cfg_errorf(d, a, "axis '%s': give values: [...] or range: {from, to, step}, %s", ax->name,
                        vals ? "not both" : "one of them");
        return false;
    }
    if (range && !key) {
        herd_cfg_errorf(d, range, "axis '%s': a range needs key: (the scenario key it varies)", ax->name);
        return false;
    }
    ax->values = calloc(HERD_SWEEP_VALUES_MAX, sizeof *ax->values);
    if (!ax->values) {
        herd_cfg_errorf(d, a, "out of memory");
        return false;
    }
    p->naxes++;
    return vals ? read_values(d, vals, ax, key) : read_range(d, range, ax, key);
}

static bool parse_seed_range(const char *s, uint64_t *from, uint64_t *to)
{
    const char *dots = strstr(s, "..");
    char a[32];
    if (!dots) return herd_cfg_parse_u64(s, from) == 0 && (*to = *from, true);
    if ((size_t)(dots - s) >= sizeof a) return false;
    memcpy(a, s, (size_t)(dots - s));
    a[dots - s] = '\0';
    return herd_cfg_parse_u64(a, from) == 0 && herd_cfg_parse_u64(dots + 2, to) == 0;
}

static bool set_seeds(herd_sweep_plan *p, uint64_t from, uint64_t to)
{
    if (from > to || to > INT64_MAX || to - from >= HERD_SWEEP_SEEDS_MAX) return false;
    p->seed_from = from;
    p->nseeds = to - from + 1;
    return true;
}

static bool read_seeds(herd_cfg_doc *d, const herd_cfg_node *root, herd_sweep_plan *p)
{
    const herd_cfg_node *s = herd_cfg_get(root, "seeds");
    uint64_t from = 1, to = 1;
    if (!s) return set_seeds(p, 1, 1);
    if (herd_cfg_is_map(s)) {
        if (!herd_cfg_check_keys(d, s, "seeds", seeds_keys)) return false;
        herd_cfg_u64(d, s, "from", true, 0, UINT64_MAX, 1, &from);
        herd_cfg_u64(d, s, "to", true, 0, UINT64_MAX, 1, &to);
        if (herd_cfg_failed(d)) return false;
    } else if (!herd_cfg_scalar(s) || !parse_seed_range(herd_cfg_scalar(s), &from, &to)) {
        herd_cfg_errorf(d, s, "seeds: expected A..B (e.g. 1..20), one seed, or {from: A, to: B}");
        return false;
    }
    if (!set_seeds(p, from, to)) {
        herd_cfg_errorf(d, s, "seeds: %" PRIu64 "..%" PRIu64 " is not a range of 1 to %d seeds at most 2^63-1", from, to,
                        HERD_SWEEP_SEEDS_MAX);
        return false;
    }
    return true;
}

static int axis_by_name(const herd_sweep_plan *p, const char *name)
{
    for (uint32_t i = 0; i < p->naxes; i++)
        if (strcmp(p->axes[i].name, name) == 0) return (int)i;
    return -1;
}

static bool read_heatmap(herd_cfg_doc *d, const herd_cfg_node *root, herd_sweep_plan *p)
{
    p->heat_x = p->naxes > 0 ? 0 : -1;
    p->heat_y = p->naxes > 1 ? 1 : -1;
    const herd_cfg_node *h = herd_cfg_get(root, "heatmap");
    if (!h) return true;
    if (!herd_cfg_check_keys(d, h, "heatmap", heat_keys)) return false;
    const char *names[HERD_SWEEP_AXES_MAX + 1];
    for (uint32_t i = 0; i < p->naxes; i++) names[i] = p->axes[i].name;
    names[p->naxes] = NULL;
    const char *which[2] = {"x", "y"};
    int *slot[2] = {&p->heat_x, &p->heat_y};
    for (int k = 0; k < 2; k++) {
        const herd_cfg_node *n = herd_cfg_get(h, which[k]);
        if (!n) continue;
        const char *s = herd_cfg_scalar(n);
        int a = s ? axis_by_name(p, s) : -1;
        if (a < 0) {
            const char *near = s ? herd_cfg_suggest(s, names) : NULL;
            if (near) herd_cfg_errorf(d, n, "heatmap.%s: no axis named '%s'; did you mean '%s'?", which[k], s, near);
            else herd_cfg_errorf(d, n, "heatmap.%s: no axis named '%s' (the axes: see axes:, by name or key)", which[k],
                                 s ? s : "?");
            return false;
        }
        *slot[k] = a;
    }
    if (p->heat_x == p->heat_y) {
        herd_cfg_errorf(d, h, "heatmap: x and y are the same axis '%s'", p->axes[p->heat_x].name);
        return false;
    }
    return true;
}

static bool read_scenario(herd_cfg_doc *d, const herd_cfg_node *root, herd_sweep_plan *p, const char *path)
{
    const char *sc;
    if (!herd_cfg_str(d, root, "scenario", true, NULL, &sc)) return false;
    const herd_cfg_node *n = herd_cfg_get(root, "scenario");
    p->scenario_line = herd_cfg_line(n);
    p->scenario_col = herd_cfg_col(n);
    const char *slash = strrchr(path, '/');
    int dirlen = slash && sc[0] != '/' ? (int)(slash - path) : 0;
    if ((size_t)snprintf(p->scenario, sizeof p->scenario, "%.*s%s%s", dirlen, path, dirlen ? "/" : "", sc) >=
        sizeof p->scenario) {
        herd_cfg_errorf(d, n, "scenario path too long");
        return false;
    }
    normalize_path(p->scenario);
    FILE *f = fopen(p->scenario, "r");
    if (!f) {
        herd_cfg_errorf(d, n, "scenario '%s' (%s, relative to the sweep file's folder): %s", sc, p->scenario,
                        strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

static bool read_plan(herd_cfg_doc *d, herd_sweep_plan *p, const char *path)
{
    const herd_cfg_node *root = herd_cfg_root(d);
    if (!root) return false;
    if (!herd_cfg_is_map(root)) {
        herd_cfg_errorf(d, root, "a sweep file is a mapping: scenario:, set:, axes:, seeds:, swarm:, heatmap:");
        return false;
    }
    if (!herd_cfg_check_keys(d, root, "the sweep file", top_keys)) return false;
    if (!read_scenario(d, root, p, path)) return false;
    const herd_cfg_node *set = herd_cfg_get(root, "set");
    if (set && !read_set_map(d, set, "set", p->base, p->base_line, p->base_col, &p->nbase, HERD_SWEEP_BASE_SETS_MAX))
        return false;
    const herd_cfg_node *axes = herd_cfg_get(root, "axes");
    if (axes && !herd_cfg_is_seq(axes)) {
        herd_cfg_errorf(d, axes, "axes: expected a list of axes, e.g. - {key: client.backoff.policy, values: [...]}");
        return false;
    }
    if (herd_cfg_len(axes) > HERD_SWEEP_AXES_MAX) {
        herd_cfg_errorf(d, herd_cfg_at(axes, HERD_SWEEP_AXES_MAX), "axes: at most %d", HERD_SWEEP_AXES_MAX);
        return false;
    }
    for (size_t i = 0; i < herd_cfg_len(axes); i++)
        if (!read_axis(d, herd_cfg_at(axes, i), p)) return false;
    if (!read_seeds(d, root, p)) return false;
    herd_cfg_bool(d, root, "swarm", false, &p->swarm);
    if (herd_cfg_failed(d)) return false;
    return read_heatmap(d, root, p);
}

int herd_sweep_plan_load(herd_sweep_plan *p, const char *path, char *err, size_t err_len)
{
    memset(p, 0, sizeof *p);
    p->heat_x = p->heat_y = -1;
    if ((size_t)snprintf(p->path, sizeof p->path, "%s", path) >= sizeof p->path)
        return fail(err, err_len, HERD_EXIT_USAGE, "herd sweep: path too long: %s", path);
    herd_cfg_doc *d = herd_cfg_load_file(path);
    if (!d) return fail(err, err_len, HERD_EXIT_SOFTWARE, "herd sweep: out of memory");
    if (!herd_cfg_failed(d)) read_plan(d, p, path);
    int rc = 0;
    if (herd_cfg_failed(d)) {
        rc = herd_cfg_error_exit(d);
        fail(err, err_len, rc, "%s", herd_cfg_error(d));
    }
    herd_cfg_free(d);
    return rc;
}

int herd_sweep_plan_seeds(herd_sweep_plan *p, const char *range, char *err, size_t err_len)
{
    uint64_t from, to;
    if (!parse_seed_range(range, &from, &to) || !set_seeds(p, from, to))
        return fail(err, err_len, HERD_EXIT_USAGE, "herd sweep: --seeds wants A..B with 1 to %d seeds, got '%s'",
                    HERD_SWEEP_SEEDS_MAX, range);
    return 0;
}

int herd_sweep_plan_add_set(herd_sweep_plan *p, const char *assignment, char *err, size_t err_len)
{
    if (!strchr(assignment, '='))
        return fail(err, err_len, HERD_EXIT_USAGE, "herd sweep: --set wants key=value, got '%s'", assignment);
    if (p->nbase == HERD_SWEEP_BASE_SETS_MAX)
        return fail(err, err_len, HERD_EXIT_USAGE, "herd sweep: at most %d overrides (set: and --set together)",
                    HERD_SWEEP_BASE_SETS_MAX);
    if ((size_t)snprintf(p->base[p->nbase], HERD_SWEEP_SET_MAX, "%s", assignment) >= HERD_SWEEP_SET_MAX)
        return fail(err, err_len, HERD_EXIT_USAGE, "herd sweep: --set '%s' is too long", assignment);
    p->base_line[p->nbase] = p->base_col[p->nbase] = 0;
    p->nbase++;
    return 0;
}

/* The identity of the rows: the scenario's bytes and every override by cell, not the seeds
 * (a sweep grown to more seeds keeps what it ran). */
static int plan_hash(herd_sweep_plan *p, char *err, size_t err_len)
{
    herd_hash h;
    herd_hash_init(&h, 0x73776565ull);
    FILE *f = fopen(p->scenario, "rb");
    if (!f) return fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: %s: %s", p->scenario, strerror(errno));
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) herd_hash_bytes(&h, buf, k);
    bool bad = ferror(f);
    fclose(f);
    if (bad) return fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: cannot read %s", p->scenario);
    herd_hash_str(&h, p->scenario);
    herd_hash_u32(&h, p->nbase);
    for (uint32_t i = 0; i < p->nbase; i++) herd_hash_str(&h, p->base[i]);
    herd_hash_u32(&h, p->naxes);
    for (uint32_t a = 0; a < p->naxes; a++) {
        herd_hash_str(&h, p->axes[a].name);
        herd_hash_u32(&h, p->axes[a].nvalues);
        for (uint32_t v = 0; v < p->axes[a].nvalues; v++) {
            const herd_sweep_value *val = &p->axes[a].values[v];
            herd_hash_str(&h, val->label);
            herd_hash_u32(&h, val->nsets);
            for (uint32_t s = 0; s < val->nsets; s++) herd_hash_str(&h, val->sets[s]);
        }
    }
    herd_hash_bool(&h, p->swarm);
    p->hash = herd_hash_digest(&h).lo;
    return 0;
}

int herd_sweep_plan_finish(herd_sweep_plan *p, char *err, size_t err_len)
{
    uint64_t cells = 1;
    for (uint32_t a = 0; a < p->naxes; a++) {
        cells *= p->axes[a].nvalues;
        if (cells > HERD_SWEEP_CELLS_MAX)
            return fail(err, err_len, HERD_EXIT_DATAERR, "%s: the axes make more than %d cells", p->path,
                        HERD_SWEEP_CELLS_MAX);
    }
    p->ncells = (uint32_t)cells;
    p->nruns = cells * p->nseeds;
    if (p->nruns > HERD_SWEEP_RUNS_MAX)
        return fail(err, err_len, HERD_EXIT_DATAERR, "%s: %" PRIu64 " cells x %" PRIu64 " seeds is more than %d runs",
                    p->path, cells, p->nseeds, HERD_SWEEP_RUNS_MAX);
    return plan_hash(p, err, err_len);
}

void herd_sweep_plan_free(herd_sweep_plan *p)
{
    for (uint32_t a = 0; a < HERD_SWEEP_AXES_MAX; a++) {
        free(p->axes[a].values);
        p->axes[a].values = NULL;
    }
}

uint32_t herd_sweep_cell_value(const herd_sweep_plan *p, uint32_t cell, uint32_t axis)
{
    for (uint32_t a = p->naxes; a-- > axis + 1;) cell /= p->axes[a].nvalues;
    return cell % p->axes[axis].nvalues;
}

size_t herd_sweep_cell_sets(const herd_sweep_plan *p, uint32_t cell, const char **sets, size_t n)
{
    size_t k = 0;
    for (uint32_t i = 0; i < p->nbase && k < n; i++) sets[k++] = p->base[i];
    for (uint32_t a = 0; a < p->naxes; a++) {
        const herd_sweep_value *v = &p->axes[a].values[herd_sweep_cell_value(p, cell, a)];
        for (uint32_t s = 0; s < v->nsets && k < n; s++) sets[k++] = v->sets[s];
    }
    return k;
}
