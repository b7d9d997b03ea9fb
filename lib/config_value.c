/* config_value.c — the value syntax of herd's YAML files and the typed getters.
 *
 * Owns how users write numbers (10_000_000, 1k, 10M), durations (250ms, 1.5s, 2m), ratios
 * (50%, 0.5) and booleans, the "did you mean" suggestions for keys and enumerations, and the
 * wording of every value error. Parsing is exact integer arithmetic, never floating point:
 * "1.5s" is 1 * 10^6 + 5 * 10^6 / 10 microseconds, and a value finer than the result's unit
 * (1.0000005s) is refused rather than rounded. docs/config-format.md is the user's view. */
#define _POSIX_C_SOURCE 200809L
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- exact decimal parsing -------------------------------------------------------------- */

#define FRAC_DIGITS_MAX 18 /* 10^18 < 2^64 */

struct decimal {
    uint64_t ip;      /* integer part */
    uint64_t frac;    /* fraction digits as an integer, trailing zeros stripped */
    unsigned fd;      /* number of fraction digits in frac */
    bool too_fine;    /* a non-zero digit beyond FRAC_DIGITS_MAX */
    const char *rest; /* the suffix after the number */
};

/* digits ('_' allowed between digits) [ '.' digits ]; returns 0, -1 malformed, -2 overflow. */
static int decimal_parse(const char *s, struct decimal *out)
{
    memset(out, 0, sizeof *out);
    if (*s < '0' || *s > '9')
        return -1;
    for (; (*s >= '0' && *s <= '9') || *s == '_'; s++) {
        if (*s == '_') {
            if (s[1] < '0' || s[1] > '9')
                return -1; /* trailing or doubled separator */
            continue;
        }
        unsigned dgt = (unsigned)(*s - '0');
        if (out->ip > (UINT64_MAX - dgt) / 10)
            return -2;
        out->ip = out->ip * 10 + dgt;
    }
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return -1;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (out->fd < FRAC_DIGITS_MAX) {
                out->frac = out->frac * 10 + (uint64_t)(*s - '0');
                out->fd++;
            } else if (*s != '0') {
                out->too_fine = true;
            }
        }
        while (out->fd > 0 && out->frac % 10 == 0) {
            out->frac /= 10;
            out->fd--;
        }
    }
    out->rest = s;
    return 0;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) { /* Euclid: terminates in O(log) steps */
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* (ip + frac / 10^fd) * scale, exactly: 0, -2 overflow, -4 not a whole number of units. */
static int decimal_scale(const struct decimal *v, uint64_t scale, uint64_t *out)
{
    if (v->too_fine)
        return -4;
    uint64_t pow = 1;
    for (unsigned i = 0; i < v->fd; i++)
        pow *= 10;
    /* frac * scale / pow without overflow: reduce scale/pow first; frac < pow keeps the
     * product below scale. */
    uint64_t g = gcd_u64(scale, pow);
    uint64_t scale_r = scale / g, pow_r = pow / g;
    if (v->frac % pow_r != 0)
        return -4;
    uint64_t part = v->frac / pow_r * scale_r;
    if (scale && v->ip > UINT64_MAX / scale)
        return -2;
    uint64_t whole = v->ip * scale;
    if (whole > UINT64_MAX - part)
        return -2;
    *out = whole + part;
    return 0;
}

int herd_cfg_parse_u64(const char *s, uint64_t *out)
{
    struct decimal v;
    int rc = decimal_parse(s, &v);
    if (rc)
        return rc;
    uint64_t scale;
    if (strcmp(v.rest, "") == 0)
        scale = 1;
    else if (strcmp(v.rest, "k") == 0 || strcmp(v.rest, "K") == 0)
        scale = 1000;
    else if (strcmp(v.rest, "M") == 0)
        scale = 1000000;
    else if (strcmp(v.rest, "G") == 0)
        scale = 1000000000;
    else
        return -1;
    return decimal_scale(&v, scale, out);
}

int herd_cfg_parse_i64(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint64_t mag;
    int rc = herd_cfg_parse_u64(s, &mag);
    if (rc)
        return rc;
    if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
        return -2;
    /* Negate in unsigned arithmetic so INT64_MIN needs no signed overflow. */
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

static const struct {
    const char *name;
    uint64_t us;
} duration_units[] = {
    {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000},
};
#define DURATION_UNITS (sizeof duration_units / sizeof *duration_units)

int herd_cfg_parse_duration_us(const char *s, uint64_t *out)
{
    struct decimal v;
    int rc = decimal_parse(s, &v);
    if (rc)
        return rc;
    if (*v.rest == '\0') {
        if (v.ip == 0 && v.frac == 0) {
            *out = 0; /* zero is zero in any unit */
            return 0;
        }
        return -3;
    }
    for (size_t i = 0; i < DURATION_UNITS; i++)
        if (strcmp(v.rest, duration_units[i].name) == 0)
            return decimal_scale(&v, duration_units[i].us, out);
    return -1;
}

int herd_cfg_parse_ppm(const char *s, uint32_t *out)
{
    struct decimal v;
    int rc = decimal_parse(s, &v);
    if (rc)
        return rc;
    uint64_t scale;
    if (*v.rest == '\0')
        scale = 1000000;
    else if (strcmp(v.rest, "%") == 0)
        scale = 10000;
    else
        return -1;
    uint64_t ppm;
    rc = decimal_scale(&v, scale, &ppm);
    if (rc)
        return rc;
    if (ppm > UINT32_MAX)
        return -2;
    *out = (uint32_t)ppm;
    return 0;
}

/* "whole.frac" with trailing zeros dropped: value / 10^decimals. */
static void format_fixed(uint64_t value, unsigned decimals, uint64_t pow, const char *unit,
                         char *out, size_t size)
{
    uint64_t whole = value / pow, frac = value % pow;
    if (frac == 0) {
        snprintf(out, size, "%llu%s", (unsigned long long)whole, unit);
        return;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        decimals--;
    }
    snprintf(out, size, "%llu.%0*llu%s", (unsigned long long)whole, (int)decimals,
             (unsigned long long)frac, unit);
}

void herd_cfg_format_duration(uint64_t us, char *out, size_t size)
{
    if (us == 0)
        snprintf(out, size, "0s");
    else if (us % 3600000000u == 0)
        snprintf(out, size, "%lluh", (unsigned long long)(us / 3600000000u));
    else if (us % 60000000u == 0 && us < 3600000000u)
        snprintf(out, size, "%llum", (unsigned long long)(us / 60000000u));
    else if (us >= 1000000)
        format_fixed(us, 6, 1000000, "s", out, size);
    else if (us >= 1000)
        format_fixed(us, 3, 1000, "ms", out, size);
    else
        snprintf(out, size, "%lluus", (unsigned long long)us);
}

void herd_cfg_format_ppm(uint32_t ppm, char *out, size_t size)
{
    format_fixed(ppm, 4, 10000, "%", out, size);
}

/* ---- suggestions ------------------------------------------------------------------------ */

#define SUGGEST_LEN_MAX 64

/* Optimal string alignment distance (Levenshtein + adjacent transposition). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX)
        return SIZE_MAX;
    size_t row[3][SUGGEST_LEN_MAX + 1]; /* rows i-2, i-1, i */
    for (size_t j = 0; j <= lb; j++)
        row[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *cur = row[i % 3], *prev = row[(i + 2) % 3], *pp = row[(i + 1) % 3];
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            cur[j] = best;
        }
    }
    return row[la % 3][lb];
}

const char *herd_cfg_suggest(const char *word, const char *const *names)
{
    size_t len = strlen(word);
    size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; names[i]; i++) {
        size_t dist = edit_distance(word, names[i]);
        if (dist <= limit && dist < best_d) {
            best = names[i];
            best_d = dist;
        }
    }
    return best;
}

static void join_names(const char *const *names, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; names[i] && used < size; i++) {
        int w = snprintf(out + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* A value as it may be shown in a message: at most 48 bytes, control bytes as '?'. */
static void show_value(const herd_cfg_node *n, char *out, size_t size)
{
    size_t i = 0, len = n->text_len;
    for (; i < len && i < 48 && i + 4 < size; i++) {
        unsigned char c = (unsigned char)n->text[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (i < len && i + 4 < size) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

/* ---- getters ---------------------------------------------------------------------------- */

#define PATH_MAX_SHOWN 256

/* The value node a getter reads, or NULL when it must return its default. */
static const herd_cfg_node *getter_node(herd_cfg_doc *d, const herd_cfg_node *map,
                                        const char *key, bool required)
{
    if (!d || d->exit)
        return NULL;
    char path[PATH_MAX_SHOWN];
    herd_cfg_path(map, path, sizeof path);
    if (map && !herd_cfg_is_map(map)) {
        herd_cfg_errorf(d, map, "%s: expected a mapping, got %s", path[0] ? path : "document",
                        herd_cfg_kind_name(map));
        return NULL;
    }
    const herd_cfg_node *n = herd_cfg_get(map, key);
    if (!n && required) {
        if (!map)
            herd_cfg_errorf(d, NULL, "missing required key '%s'", key);
        else
            herd_cfg_errorf(d, map, "missing required key '%s' in %s", key,
                            path[0] ? path : "the document");
    }
    return n;
}

/* The scalar text of n, or NULL after recording "<path>: expected <expect>, got ...". */
static const char *getter_text(herd_cfg_doc *d, const herd_cfg_node *n, const char *expect)
{
    char path[PATH_MAX_SHOWN], shown[64];
    herd_cfg_path(n, path, sizeof path);
    if (!herd_cfg_is_scalar(n)) {
        herd_cfg_errorf(d, n, "%s: expected %s, got %s", path, expect, herd_cfg_kind_name(n));
        return NULL;
    }
    if (strlen(n->text) != n->text_len) {
        show_value(n, shown, sizeof shown);
        herd_cfg_errorf(d, n, "%s: expected %s, got '%s' (contains a NUL byte)", path, expect,
                        shown);
        return NULL;
    }
    return n->text;
}

static void error_expected(herd_cfg_doc *d, const herd_cfg_node *n, const char *expect,
                           const char *why)
{
    char path[PATH_MAX_SHOWN], shown[64];
    herd_cfg_path(n, path, sizeof path);
    show_value(n, shown, sizeof shown);
    herd_cfg_errorf(d, n, "%s: expected %s, got '%s'%s", path, expect, shown, why);
}

static void error_range(herd_cfg_doc *d, const herd_cfg_node *n, const char *lo, const char *hi)
{
    char path[PATH_MAX_SHOWN], shown[64];
    herd_cfg_path(n, path, sizeof path);
    show_value(n, shown, sizeof shown);
    herd_cfg_errorf(d, n, "%s: %s is out of range [%s, %s]", path, shown, lo, hi);
}

static const char *why_of(int rc)
{
    return rc == -2 ? " (too large)" : rc == -4 ? " (not a whole number)" : "";
}

bool herd_cfg_node_u64(herd_cfg_doc *d, const herd_cfg_node *n, uint64_t lo, uint64_t hi,
                       uint64_t *out)
{
    char expect[96];
    snprintf(expect, sizeof expect, "an integer in [%llu, %llu]", (unsigned long long)lo,
             (unsigned long long)hi);
    const char *s = getter_text(d, n, expect);
    if (!s)
        return false;
    uint64_t v;
    int rc = herd_cfg_parse_u64(s, &v);
    if (rc) {
        error_expected(d, n, expect, why_of(rc));
        return false;
    }
    if (v < lo || v > hi) {
        char l[24], h[24];
        snprintf(l, sizeof l, "%llu", (unsigned long long)lo);
        snprintf(h, sizeof h, "%llu", (unsigned long long)hi);
        error_range(d, n, l, h);
        return false;
    }
    *out = v;
    return true;
}

bool herd_cfg_u64(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                  uint64_t lo, uint64_t hi, uint64_t dflt, uint64_t *out)
{
    *out = dflt;
    const herd_cfg_node *n = getter_node(d, map, key, required);
    return n && herd_cfg_node_u64(d, n, lo, hi, out);
}

bool herd_cfg_i64(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                  int64_t lo, int64_t hi, int64_t dflt, int64_t *out)
{
    *out = dflt;
    const herd_cfg_node *n = getter_node(d, map, key, required);
    if (!n)
        return false;
    char expect[96];
    snprintf(expect, sizeof expect, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    const char *s = getter_text(d, n, expect);
    if (!s)
        return false;
    int64_t v;
    int rc = herd_cfg_parse_i64(s, &v);
    if (rc) {
        error_expected(d, n, expect, why_of(rc));
        return false;
    }
    if (v < lo || v > hi) {
        char l[24], h[24];
        snprintf(l, sizeof l, "%lld", (long long)lo);
        snprintf(h, sizeof h, "%lld", (long long)hi);
        error_range(d, n, l, h);
        return false;
    }
    *out = v;
    return true;
}

static int bool_word(const char *s)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

bool herd_cfg_bool(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool dflt,
                   bool *out)
{
    *out = dflt;
    const herd_cfg_node *n = getter_node(d, map, key, false);
    if (!n)
        return false;
    const char *expect = "true or false (or yes/no, on/off)";
    const char *s = getter_text(d, n, expect);
    if (!s)
        return false;
    int b = bool_word(s);
    if (b < 0) {
        error_expected(d, n, expect, "");
        return false;
    }
    *out = b == 1;
    return true;
}

bool herd_cfg_str(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                  const char *dflt, const char **out)
{
    *out = dflt;
    const herd_cfg_node *n = getter_node(d, map, key, required);
    if (!n)
        return false;
    const char *s = getter_text(d, n, "a string");
    if (!s)
        return false;
    *out = s;
    return true;
}

/* For a bare number: the first unit (ms, s, us, m, h) that puts it in range. */
static const char *duration_unit_hint(const char *s, uint64_t lo_us, uint64_t hi_us)
{
    static const size_t order[] = {1, 2, 0, 3, 4};
    struct decimal v;
    if (decimal_parse(s, &v) != 0)
        return "ms";
    for (size_t i = 0; i < DURATION_UNITS; i++) {
        uint64_t us;
        size_t u = order[i];
        if (decimal_scale(&v, duration_units[u].us, &us) == 0 && us >= lo_us && us <= hi_us)
            return duration_units[u].name;
    }
    return "ms";
}

bool herd_cfg_node_duration_us(herd_cfg_doc *d, const herd_cfg_node *n, uint64_t lo_us,
                               uint64_t hi_us, uint64_t *out)
{
    const char *expect = "a duration such as 250ms, 1.5s or 2m";
    const char *s = getter_text(d, n, expect);
    if (!s)
        return false;
    uint64_t v;
    int rc = herd_cfg_parse_duration_us(s, &v);
    char path[PATH_MAX_SHOWN], l[32], h[32];
    herd_cfg_path(n, path, sizeof path);
    if (rc == -3) {
        herd_cfg_errorf(d, n, "%s: '%s' has no unit; did you mean '%s%s'? (units: us, ms, s, m, h)",
                        path, s, s, duration_unit_hint(s, lo_us, hi_us));
        return false;
    }
    if (rc == -4) {
        error_expected(d, n, expect, " (finer than a microsecond)");
        return false;
    }
    if (rc) {
        error_expected(d, n, expect, why_of(rc));
        return false;
    }
    if (v < lo_us || v > hi_us) {
        herd_cfg_format_duration(lo_us, l, sizeof l);
        herd_cfg_format_duration(hi_us, h, sizeof h);
        error_range(d, n, l, h);
        return false;
    }
    *out = v;
    return true;
}

bool herd_cfg_duration_us(herd_cfg_doc *d, const herd_cfg_node *map, const char *key,
                          bool required, uint64_t lo_us, uint64_t hi_us, uint64_t dflt,
                          uint64_t *out)
{
    *out = dflt;
    const herd_cfg_node *n = getter_node(d, map, key, required);
    return n && herd_cfg_node_duration_us(d, n, lo_us, hi_us, out);
}

bool herd_cfg_node_ppm(herd_cfg_doc *d, const herd_cfg_node *n, uint32_t lo, uint32_t hi,
                       uint32_t *out)
{
    const char *expect = "a ratio such as 50%, 0.5 or 1";
    const char *s = getter_text(d, n, expect);
    if (!s)
        return false;
    uint32_t v;
    int rc = herd_cfg_parse_ppm(s, &v);
    if (rc) {
        error_expected(d, n, expect, rc == -4 ? " (finer than 1 ppm, 0.0001%)" : why_of(rc));
        return false;
    }
    if (v < lo || v > hi) {
        char l[32], h[32];
        herd_cfg_format_ppm(lo, l, sizeof l);
        herd_cfg_format_ppm(hi, h, sizeof h);
        error_range(d, n, l, h);
        return false;
    }
    *out = v;
    return true;
}

bool herd_cfg_ppm(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, uint32_t lo,
                  uint32_t hi, uint32_t dflt, uint32_t *out)
{
    *out = dflt;
    const herd_cfg_node *n = getter_node(d, map, key, false);
    return n && herd_cfg_node_ppm(d, n, lo, hi, out);
}

bool herd_cfg_enum(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                   const char *const *names, int dflt, int *out)
{
    *out = dflt;
    const herd_cfg_node *n = getter_node(d, map, key, required);
    if (!n)
        return false;
    char list[512];
    join_names(names, list, sizeof list);
    char expect[600];
    snprintf(expect, sizeof expect, "one of: %s", list);
    const char *s = getter_text(d, n, expect);
    if (!s)
        return false;
    for (int i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return true;
        }
    }
    char shown[64];
    show_value(n, shown, sizeof shown);
    const char *near = herd_cfg_suggest(s, names);
    if (near)
        herd_cfg_errorf(d, n, "unknown %s '%s'; did you mean '%s'? (%s)", key, shown, near, expect);
    else
        herd_cfg_errorf(d, n, "unknown %s '%s' (%s)", key, shown, expect);
    return false;
}

static bool key_listed(const herd_cfg_node *k, const char *const *names)
{
    for (size_t j = 0; names[j]; j++)
        if (strcmp(k->text, names[j]) == 0)
            return true;
    return false;
}

bool herd_cfg_check_keys(herd_cfg_doc *d, const herd_cfg_node *map, const char *what,
                         const char *const *allowed)
{
    if (!d || d->exit)
        return false;
    if (!map)
        return true;
    if (!herd_cfg_is_map(map)) {
        herd_cfg_errorf(d, map, "%s: expected a mapping, got %s", what, herd_cfg_kind_name(map));
        return false;
    }
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const herd_cfg_node *k = map->kids[i];
        if (key_listed(k, allowed))
            continue;
        char shown[64], list[512];
        show_value(k, shown, sizeof shown);
        const char *near = herd_cfg_suggest(k->text, allowed);
        join_names(allowed, list, sizeof list);
        if (near)
            herd_cfg_errorf(d, k, "unknown key '%s' in %s; did you mean '%s'?", shown, what, near);
        else
            herd_cfg_errorf(d, k, "unknown key '%s' in %s (allowed: %s)", shown, what, list);
        return false;
    }
    return true;
}

bool herd_cfg_check_variant_keys(herd_cfg_doc *d, const herd_cfg_node *map, const char *what,
                                 const char *const *known, const char *variant,
                                 const char *const *allowed)
{
    if (!herd_cfg_check_keys(d, map, what, known))
        return false;
    if (!map)
        return true;
    /* Every key is known here: one that is not this variant's would be read by nobody, and
     * the variant would run with its default instead (a fault meant for one server hitting
     * all of them), so it is refused by name with the keys that do apply. */
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const herd_cfg_node *k = map->kids[i];
        if (key_listed(k, allowed))
            continue;
        char shown[64], list[512];
        show_value(k, shown, sizeof shown);
        join_names(allowed, list, sizeof list);
        herd_cfg_errorf(d, k, "key '%s' does not apply to %s (its keys: %s)", shown, variant, list);
        return false;
    }
    return true;
}
