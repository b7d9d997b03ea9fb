/* test_config.c — lib/config*.c: loading YAML with located errors, every typed getter's
 * success and exact error text, suggestions, --set overrides, duplicate keys, syntax errors,
 * empty and binary input, size and depth bounds, emitting, and the pure value parsers. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static herd_cfg_doc *load(const char *text)
{
    herd_cfg_doc *d = herd_cfg_load_string("t.yaml", text);
    cr_assert_not_null(d);
    return d;
}

/* Loads text, which must parse, and returns the mapping under key "w". */
static const herd_cfg_node *world(herd_cfg_doc *d)
{
    cr_assert(!herd_cfg_failed(d), "unexpected error: %s", herd_cfg_error(d));
    const herd_cfg_node *w = herd_cfg_get(herd_cfg_root(d), "w");
    cr_assert(herd_cfg_is_map(w));
    return w;
}

#define ERR_IS(d, msg)                                                                        \
    do {                                                                                      \
        cr_assert(herd_cfg_failed(d));                                                        \
        cr_assert_str_eq(herd_cfg_error(d), (msg));                                           \
        cr_assert_eq(herd_cfg_error_exit(d), 65);                                             \
    } while (0)

/* ---- loading and navigation ------------------------------------------------------------- */

Test(config_load, navigation_and_locations)
{
    herd_cfg_doc *d = load("w:\n  a: 1\n  list: [x, y]\n  m: {k: v}\n");
    const herd_cfg_node *w = world(d);
    cr_assert_eq(herd_cfg_line(w), 2);
    cr_assert_eq(herd_cfg_col(w), 3);
    cr_assert_eq(herd_cfg_len(w), 3);
    cr_assert_str_eq(herd_cfg_key_at(w, 1), "list");
    cr_assert_eq(herd_cfg_line(herd_cfg_key_node_at(w, 1)), 3);
    const herd_cfg_node *list = herd_cfg_value_at(w, 1);
    cr_assert(herd_cfg_is_seq(list));
    cr_assert_eq(herd_cfg_len(list), 2);
    cr_assert_str_eq(herd_cfg_scalar(herd_cfg_at(list, 1)), "y");
    cr_assert_eq(herd_cfg_col(herd_cfg_at(list, 1)), 13);
    cr_assert_null(herd_cfg_at(list, 2));
    cr_assert_null(herd_cfg_key_at(w, 3));
    cr_assert_null(herd_cfg_get(w, "nope"));
    cr_assert_null(herd_cfg_get(list, "x"));
    cr_assert_null(herd_cfg_scalar(list));
    cr_assert(herd_cfg_is_scalar(herd_cfg_get(w, "a")));
    cr_assert_str_eq(herd_cfg_error(d), "");
    cr_assert_eq(herd_cfg_error_exit(d), 0);
    char path[64];
    herd_cfg_path(herd_cfg_get(herd_cfg_get(w, "m"), "k"), path, sizeof path);
    cr_assert_str_eq(path, "w.m.k");
    herd_cfg_path(herd_cfg_at(list, 1), path, sizeof path);
    cr_assert_str_eq(path, "w.list[1]");
    herd_cfg_path(herd_cfg_root(d), path, sizeof path);
    cr_assert_str_eq(path, "");
    herd_cfg_free(d);
}

Test(config_load, empty_document)
{
    static const char *const empties[] = {"", "# only a comment\n", "---\n", "\n\n", NULL};
    for (size_t i = 0; empties[i]; i++) {
        herd_cfg_doc *d = load(empties[i]);
        ERR_IS(d, "t.yaml:1:1: empty document");
        cr_assert_null(herd_cfg_root(d));
        herd_cfg_free(d);
    }
}

Test(config_load, syntax_errors_are_located)
{
    herd_cfg_doc *d = load("w:\n  a: [1, 2\n");
    ERR_IS(d, "t.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence at 2:6)");
    herd_cfg_free(d);
    d = load("w:\n  a: 1\n b: 2\n");
    ERR_IS(d, "t.yaml:3:2: did not find expected key (while parsing a block mapping at 1:1)");
    herd_cfg_free(d);
    d = load("w: \"unterminated\n");
    ERR_IS(d, "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar at 1:4)");
    herd_cfg_free(d);
    d = load("a:\tb\n\tc: 1\n");
    cr_assert(herd_cfg_failed(d));
    cr_assert(strncmp(herd_cfg_error(d), "t.yaml:2:1: ", 12) == 0, "%s", herd_cfg_error(d));
    herd_cfg_free(d);
}

Test(config_load, duplicate_keys)
{
    herd_cfg_doc *d = load("w:\n  a: 1\n  b: 2\n  a: 3\n");
    ERR_IS(d, "t.yaml:4:3: duplicate key 'a' (first at 2:3)");
    herd_cfg_free(d);
    /* The same key in different mappings is fine. */
    d = load("w:\n  a: {x: 1}\n  b: {x: 2}\n  s: [{x: 1}, {x: 2}]\n");
    world(d);
    herd_cfg_free(d);
}

Test(config_load, many_keys_duplicate_found)
{
    size_t n = 20000;
    char *text = malloc(n * 16 + 32);
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)sprintf(text + used, "k%zu: %zu\n", i, i);
    sprintf(text + used, "k17: dup\n");
    herd_cfg_doc *d = load(text);
    char want[64];
    snprintf(want, sizeof want, "t.yaml:%zu:1: duplicate key 'k17' (first at 18:1)", n + 1);
    ERR_IS(d, want);
    herd_cfg_free(d);
    free(text);
}

Test(config_load, anchors_aliases_and_documents_refused)
{
    herd_cfg_doc *d = load("w: &base\n  a: 1\n");
    ERR_IS(d, "t.yaml:1:4: anchors are not supported: &base");
    herd_cfg_free(d);
    d = load("w:\n  a: *base\n");
    cr_assert(herd_cfg_failed(d)); /* undefined alias: reported by us, not resolved */
    cr_assert_str_eq(herd_cfg_error(d),
                     "t.yaml:2:6: aliases are not supported; write the value in place: *base");
    herd_cfg_free(d);
    d = load("a: 1\n---\nb: 2\n");
    ERR_IS(d, "t.yaml:2:1: more than one document (only one is allowed)");
    herd_cfg_free(d);
    d = load("? [a, b]\n: 1\n");
    ERR_IS(d, "t.yaml:1:3: only plain scalar keys are supported");
    herd_cfg_free(d);
}

Test(config_load, nesting_bound)
{
    char text[300];
    memset(text, '[', 64);
    memset(text + 64, ']', 64);
    text[128] = '\0';
    herd_cfg_doc *d = load(text);
    cr_assert(!herd_cfg_failed(d), "%s", herd_cfg_error(d));
    herd_cfg_free(d);
    memset(text, '[', 65);
    memset(text + 65, ']', 65);
    text[130] = '\0';
    d = load(text);
    ERR_IS(d, "t.yaml:1:65: nesting deeper than 64 levels");
    herd_cfg_free(d);
}

Test(config_load, size_bound)
{
    size_t len = HERD_CFG_FILE_MAX + 1;
    char *big = malloc(len);
    memset(big, '#', len);
    herd_cfg_doc *d = herd_cfg_load_buffer("big.yaml", big, len);
    ERR_IS(d, "big.yaml: larger than 16 MiB; refusing to load it");
    herd_cfg_free(d);
    free(big);
}

Test(config_load, binary_garbage_is_an_error_not_a_crash)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    unsigned char buf[512];
    for (int round = 0; round < 300; round++) {
        size_t len = 1 + (size_t)(round * 7 % 511);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64: deterministic bytes */
            buf[i] = (unsigned char)x;
        }
        herd_cfg_doc *d = herd_cfg_load_buffer("bin", (const char *)buf, len);
        cr_assert_not_null(d);
        if (herd_cfg_failed(d)) {
            cr_assert(strncmp(herd_cfg_error(d), "bin:", 4) == 0);
            cr_assert_null(herd_cfg_root(d));
        }
        herd_cfg_free(d);
    }
    static const char nul[] = "w:\n  a: 1\0\n";
    herd_cfg_doc *d = herd_cfg_load_buffer("nul", nul, sizeof nul - 1);
    cr_assert(herd_cfg_failed(d));
    cr_assert_str_eq(herd_cfg_error(d),
                     "nul:2:7: control characters are not allowed (byte 0x00 at offset 9)");
    herd_cfg_free(d);
    d = herd_cfg_load_buffer("utf", "a: \xff\xfe\n", 6);
    ERR_IS(d, "utf:1:4: invalid leading UTF-8 octet (byte 0xff at offset 3)");
    herd_cfg_free(d);
}

Test(config_load, files)
{
    char dir[] = "/tmp/herd_cfg_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("w:\n  n: 3\n", f);
    fclose(f);
    herd_cfg_doc *d = herd_cfg_load_file(path);
    uint64_t n;
    cr_assert(herd_cfg_u64(d, world(d), "n", true, 0, 10, 0, &n));
    cr_assert_eq(n, 3);
    cr_assert_str_eq(herd_cfg_name(d), path);
    herd_cfg_free(d);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing.yaml", dir);
    d = herd_cfg_load_file(missing);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", missing);
    cr_assert_str_eq(herd_cfg_error(d), want);
    cr_assert_eq(herd_cfg_error_exit(d), 74);
    cr_assert(!herd_cfg_u64(d, herd_cfg_root(d), "n", true, 0, 10, 7, &n));
    cr_assert_eq(n, 7);
    herd_cfg_free(d);
    d = herd_cfg_load_file(dir); /* a directory opens but cannot be read */
    cr_assert_eq(herd_cfg_error_exit(d), 74);
    herd_cfg_free(d);
    unlink(path);
    rmdir(dir);
}

/* ---- getters ---------------------------------------------------------------------------- */

Test(config_get, u64_success)
{
    herd_cfg_doc *d = load("w:\n  a: 10_000_000\n  b: 1k\n  c: 10M\n  d: 1.5k\n  e: 0\n"
                           "  f: 18446744073709551615\n  g: 2G\n");
    const herd_cfg_node *w = world(d);
    uint64_t v;
    cr_assert(herd_cfg_u64(d, w, "a", true, 0, UINT64_MAX, 0, &v) && v == 10000000);
    cr_assert(herd_cfg_u64(d, w, "b", true, 0, UINT64_MAX, 0, &v) && v == 1000);
    cr_assert(herd_cfg_u64(d, w, "c", true, 0, UINT64_MAX, 0, &v) && v == 10000000);
    cr_assert(herd_cfg_u64(d, w, "d", true, 0, UINT64_MAX, 0, &v) && v == 1500);
    cr_assert(herd_cfg_u64(d, w, "e", true, 0, UINT64_MAX, 9, &v) && v == 0);
    cr_assert(herd_cfg_u64(d, w, "f", true, 0, UINT64_MAX, 0, &v) && v == UINT64_MAX);
    cr_assert(herd_cfg_u64(d, w, "g", true, 0, UINT64_MAX, 0, &v) && v == 2000000000);
    cr_assert(!herd_cfg_u64(d, w, "absent", false, 0, 10, 5, &v));
    cr_assert_eq(v, 5);
    cr_assert(!herd_cfg_failed(d));
    herd_cfg_free(d);
}

static void u64_error(const char *value, const char *want)
{
    char text[128];
    snprintf(text, sizeof text, "w:\n  clients: %s\n", value);
    herd_cfg_doc *d = load(text);
    uint64_t v;
    cr_assert(!herd_cfg_u64(d, world(d), "clients", true, 1, 1000000, 42, &v));
    cr_assert_eq(v, 42);
    ERR_IS(d, want);
    herd_cfg_free(d);
}

Test(config_get, u64_errors)
{
    u64_error("12x", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '12x'");
    u64_error("-5", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '-5'");
    u64_error("+5", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '+5'");
    u64_error("1__0", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '1__0'");
    u64_error("_1", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '_1'");
    u64_error("1_", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '1_'");
    u64_error("1.5", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '1.5' "
                     "(not a whole number)");
    u64_error("1.0001k", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], "
                         "got '1.0001k' (not a whole number)");
    u64_error("0x10", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got '0x10'");
    u64_error("''", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got ''");
    u64_error("18446744073709551616", "t.yaml:2:12: w.clients: expected an integer in "
                                      "[1, 1000000], got '18446744073709551616' (too large)");
    u64_error("20000000000G", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], "
                           "got '20000000000G' (too large)");
    u64_error("0", "t.yaml:2:12: w.clients: 0 is out of range [1, 1000000]");
    u64_error("2M", "t.yaml:2:12: w.clients: 2M is out of range [1, 1000000]");
    u64_error("[1]", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], got a sequence");
    u64_error("\"1\\x002\"", "t.yaml:2:12: w.clients: expected an integer in [1, 1000000], "
                             "got '1?2' (contains a NUL byte)");
}

Test(config_get, missing_required_and_wrong_container)
{
    herd_cfg_doc *d = load("w:\n  a: 1\n");
    uint64_t v;
    cr_assert(!herd_cfg_u64(d, world(d), "clients", true, 0, 10, 3, &v));
    cr_assert_eq(v, 3);
    ERR_IS(d, "t.yaml:2:3: missing required key 'clients' in w");
    herd_cfg_free(d);
    d = load("a: 1\n");
    cr_assert(!herd_cfg_u64(d, herd_cfg_root(d), "w", true, 0, 10, 3, &v));
    ERR_IS(d, "t.yaml:1:1: missing required key 'w' in the document");
    herd_cfg_free(d);
    d = load("w: 5\n");
    cr_assert(!herd_cfg_u64(d, herd_cfg_get(herd_cfg_root(d), "w"), "a", false, 0, 10, 3, &v));
    ERR_IS(d, "t.yaml:1:4: w: expected a mapping, got a scalar");
    herd_cfg_free(d);
    d = load("a: 1\n");
    cr_assert(!herd_cfg_u64(d, NULL, "x", true, 0, 10, 3, &v)); /* an absent section */
    ERR_IS(d, "t.yaml: missing required key 'x'");
    herd_cfg_free(d);
}

Test(config_get, first_error_wins)
{
    herd_cfg_doc *d = load("w:\n  a: x\n  b: y\n  c: 4\n");
    const herd_cfg_node *w = world(d);
    uint64_t v;
    cr_assert(!herd_cfg_u64(d, w, "a", true, 0, 10, 1, &v));
    cr_assert(!herd_cfg_u64(d, w, "b", true, 0, 10, 1, &v));
    cr_assert(!herd_cfg_u64(d, w, "c", true, 0, 10, 1, &v)); /* valid, but the doc failed */
    cr_assert_eq(v, 1);
    const char *s;
    cr_assert(!herd_cfg_str(d, w, "c", true, "dflt", &s));
    cr_assert_str_eq(s, "dflt");
    herd_cfg_errorf(d, w, "later %d", 1);
    cr_assert(!herd_cfg_set(d, "w.c=5"));
    ERR_IS(d, "t.yaml:2:6: w.a: expected an integer in [0, 10], got 'x'");
    herd_cfg_free(d);
}

Test(config_get, errorf_prefixes)
{
    herd_cfg_doc *d = load("w:\n  a: 1\n");
    herd_cfg_errorf(d, herd_cfg_get(world(d), "a"), "bad %s", "thing");
    ERR_IS(d, "t.yaml:2:6: bad thing");
    herd_cfg_free(d);
    d = load("w:\n  a: 1\n");
    herd_cfg_errorf(d, NULL, "whole file");
    ERR_IS(d, "t.yaml: whole file");
    herd_cfg_free(d);
}

Test(config_get, i64)
{
    herd_cfg_doc *d = load("w:\n  a: -5\n  b: +7\n  c: -9223372036854775808\n  d: -1k\n"
                           "  e: 9223372036854775808\n");
    const herd_cfg_node *w = world(d);
    int64_t v;
    cr_assert(herd_cfg_i64(d, w, "a", true, INT64_MIN, INT64_MAX, 0, &v) && v == -5);
    cr_assert(herd_cfg_i64(d, w, "b", true, INT64_MIN, INT64_MAX, 0, &v) && v == 7);
    cr_assert(herd_cfg_i64(d, w, "c", true, INT64_MIN, INT64_MAX, 0, &v) && v == INT64_MIN);
    cr_assert(herd_cfg_i64(d, w, "d", true, INT64_MIN, INT64_MAX, 0, &v) && v == -1000);
    cr_assert(!herd_cfg_i64(d, w, "e", true, -10, 10, 0, &v));
    ERR_IS(d, "t.yaml:6:6: w.e: expected an integer in [-10, 10], got '9223372036854775808' "
              "(too large)");
    herd_cfg_free(d);
    d = load("w:\n  a: -11\n");
    cr_assert(!herd_cfg_i64(d, world(d), "a", true, -10, 10, 0, &v));
    ERR_IS(d, "t.yaml:2:6: w.a: -11 is out of range [-10, 10]");
    herd_cfg_free(d);
}

Test(config_get, booleans)
{
    herd_cfg_doc *d = load("w:\n  a: yes\n  b: No\n  c: ON\n  d: off\n  e: true\n  f: FALSE\n"
                           "  g: maybe\n");
    const herd_cfg_node *w = world(d);
    bool b;
    cr_assert(herd_cfg_bool(d, w, "a", false, &b) && b);
    cr_assert(herd_cfg_bool(d, w, "b", true, &b) && !b);
    cr_assert(herd_cfg_bool(d, w, "c", false, &b) && b);
    cr_assert(herd_cfg_bool(d, w, "d", true, &b) && !b);
    cr_assert(herd_cfg_bool(d, w, "e", false, &b) && b);
    cr_assert(herd_cfg_bool(d, w, "f", true, &b) && !b);
    cr_assert(!herd_cfg_bool(d, w, "absent", true, &b) && b);
    cr_assert(!herd_cfg_bool(d, w, "g", true, &b) && b);
    ERR_IS(d, "t.yaml:8:6: w.g: expected true or false (or yes/no, on/off), got 'maybe'");
    herd_cfg_free(d);
}

Test(config_get, strings)
{
    herd_cfg_doc *d = load("w:\n  name: \"herd run\"\n  m: {a: 1}\n");
    const herd_cfg_node *w = world(d);
    const char *s;
    cr_assert(herd_cfg_str(d, w, "name", true, NULL, &s));
    cr_assert_str_eq(s, "herd run");
    cr_assert(!herd_cfg_str(d, w, "absent", false, "dflt", &s));
    cr_assert_str_eq(s, "dflt");
    cr_assert(!herd_cfg_str(d, w, "m", true, "dflt", &s));
    ERR_IS(d, "t.yaml:3:6: w.m: expected a string, got a mapping");
    herd_cfg_free(d);
}

static void duration_ok(const char *text, uint64_t want)
{
    uint64_t us = 12345;
    cr_assert_eq(herd_cfg_parse_duration_us(text, &us), 0, "%s", text);
    cr_assert_eq(us, want, "%s: %llu", text, (unsigned long long)us);
}

Test(config_get, durations_parse_exactly)
{
    duration_ok("250ms", 250000);
    duration_ok("1s", 1000000);
    duration_ok("1.5s", 1500000);
    duration_ok("45s", 45000000);
    duration_ok("2m", 120000000);
    duration_ok("1h", 3600000000u);
    duration_ok("100us", 100);
    duration_ok("0.1s", 100000);
    duration_ok("0.000001s", 1);
    duration_ok("1.000000000s", 1000000);
    duration_ok("0.5ms", 500);
    duration_ok("1.25m", 75000000);
    duration_ok("0", 0);
    duration_ok("0ms", 0);
    duration_ok("1_000ms", 1000000);
    duration_ok("5124095576h", 18446744073600000000u);
    uint64_t us;
    cr_assert_eq(herd_cfg_parse_duration_us("1s5", &us), -1);
    cr_assert_eq(herd_cfg_parse_duration_us("250", &us), -3);
    cr_assert_eq(herd_cfg_parse_duration_us("1.5", &us), -3);
    cr_assert_eq(herd_cfg_parse_duration_us("0.0000005s", &us), -4);
    cr_assert_eq(herd_cfg_parse_duration_us("0.5us", &us), -4);
    cr_assert_eq(herd_cfg_parse_duration_us("5124095577h", &us), -2);
    cr_assert_eq(herd_cfg_parse_duration_us("1 s", &us), -1);
    cr_assert_eq(herd_cfg_parse_duration_us("-1s", &us), -1);
    cr_assert_eq(herd_cfg_parse_duration_us("1.s", &us), -1);
    cr_assert_eq(herd_cfg_parse_duration_us(".5s", &us), -1);
    cr_assert_eq(herd_cfg_parse_duration_us("1S", &us), -1);
    cr_assert_eq(herd_cfg_parse_duration_us("1sec", &us), -1);
    cr_assert_eq(herd_cfg_parse_duration_us("", &us), -1);
}

static void duration_error(const char *value, const char *want)
{
    char text[128];
    snprintf(text, sizeof text, "w:\n  t: %s\n", value);
    herd_cfg_doc *d = load(text);
    uint64_t v;
    cr_assert(!herd_cfg_duration_us(d, world(d), "t", true, 1000, 60000000, 7, &v));
    cr_assert_eq(v, 7);
    ERR_IS(d, want);
    herd_cfg_free(d);
}

Test(config_get, duration_getter)
{
    herd_cfg_doc *d = load("w:\n  t: 1.5s\n");
    uint64_t v;
    cr_assert(herd_cfg_duration_us(d, world(d), "t", true, 0, UINT64_MAX, 0, &v));
    cr_assert_eq(v, 1500000);
    cr_assert(!herd_cfg_duration_us(d, world(d), "u", false, 0, UINT64_MAX, 9, &v));
    cr_assert_eq(v, 9);
    herd_cfg_free(d);
    duration_error("1s5", "t.yaml:2:6: w.t: expected a duration such as 250ms, 1.5s or 2m, "
                          "got '1s5'");
    duration_error("250", "t.yaml:2:6: w.t: '250' has no unit; did you mean '250ms'? "
                          "(units: us, ms, s, m, h)");
    duration_error("100000", "t.yaml:2:6: w.t: '100000' has no unit; did you mean '100000us'? "
                             "(units: us, ms, s, m, h)"); /* the unit that puts it in range */
    duration_error("1.0000005s", "t.yaml:2:6: w.t: expected a duration such as 250ms, 1.5s or "
                                 "2m, got '1.0000005s' (finer than a microsecond)");
    duration_error("90s", "t.yaml:2:6: w.t: 90s is out of range [1ms, 1m]");
    duration_error("500us", "t.yaml:2:6: w.t: 500us is out of range [1ms, 1m]");
    duration_error("{}", "t.yaml:2:6: w.t: expected a duration such as 250ms, 1.5s or 2m, "
                         "got a mapping");
}

Test(config_get, duration_formatting)
{
    static const struct {
        uint64_t us;
        const char *text;
    } cases[] = {
        {0, "0s"},        {1, "1us"},           {999, "999us"},     {1000, "1ms"},
        {1500, "1.5ms"},  {250000, "250ms"},    {1000000, "1s"},    {1500000, "1.5s"},
        {1000001, "1.000001s"}, {90000000, "90s"}, {60000000, "1m"}, {120000000, "2m"},
        {3600000000u, "1h"}, {5400000000u, "5400s"}, {7200000000u, "2h"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[32];
        herd_cfg_format_duration(cases[i].us, buf, sizeof buf);
        cr_assert_str_eq(buf, cases[i].text);
        uint64_t back;
        cr_assert_eq(herd_cfg_parse_duration_us(buf, &back), 0);
        cr_assert_eq(back, cases[i].us, "%s", buf);
    }
}

Test(config_get, ratios)
{
    static const struct {
        const char *text;
        uint32_t ppm;
    } ok[] = {
        {"50%", 500000}, {"0.5", 500000}, {"1", 1000000}, {"0", 0}, {"100%", 1000000},
        {"12.5%", 125000}, {"0.0001%", 1}, {"0.000001", 1}, {"0.25", 250000}, {"2", 2000000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint32_t v;
        cr_assert_eq(herd_cfg_parse_ppm(ok[i].text, &v), 0, "%s", ok[i].text);
        cr_assert_eq(v, ok[i].ppm, "%s", ok[i].text);
    }
    uint32_t v;
    cr_assert_eq(herd_cfg_parse_ppm("0.00001%", &v), -4);
    cr_assert_eq(herd_cfg_parse_ppm("5000", &v), -2);
    cr_assert_eq(herd_cfg_parse_ppm("50 %", &v), -1);
    cr_assert_eq(herd_cfg_parse_ppm("-0.5", &v), -1);
    char buf[32];
    herd_cfg_format_ppm(125000, buf, sizeof buf);
    cr_assert_str_eq(buf, "12.5%");
    herd_cfg_format_ppm(1, buf, sizeof buf);
    cr_assert_str_eq(buf, "0.0001%");

    herd_cfg_doc *d = load("w:\n  loss: 1.5\n");
    cr_assert(herd_cfg_ppm(d, world(d), "absent", 0, 1000000, 7, &v) == false && v == 7);
    cr_assert(!herd_cfg_ppm(d, world(d), "loss", 0, 1000000, 7, &v));
    ERR_IS(d, "t.yaml:2:9: w.loss: 1.5 is out of range [0%, 100%]");
    herd_cfg_free(d);
    d = load("w:\n  loss: 0.00001%\n");
    cr_assert(!herd_cfg_ppm(d, world(d), "loss", 0, 1000000, 7, &v));
    ERR_IS(d, "t.yaml:2:9: w.loss: expected a ratio such as 50%, 0.5 or 1, got '0.00001%' "
              "(finer than 1 ppm, 0.0001%)");
    herd_cfg_free(d);
    d = load("w:\n  loss: half\n");
    cr_assert(!herd_cfg_ppm(d, world(d), "loss", 0, 1000000, 7, &v));
    ERR_IS(d, "t.yaml:2:9: w.loss: expected a ratio such as 50%, 0.5 or 1, got 'half'");
    herd_cfg_free(d);
    d = load("w:\n  loss: 12.5%\n");
    cr_assert(herd_cfg_ppm(d, world(d), "loss", 0, 1000000, 7, &v) && v == 125000);
    herd_cfg_free(d);
}

static const char *const policies[] = {"jitter", "fixed", "decorrelated", NULL};

Test(config_get, enums)
{
    herd_cfg_doc *d = load("w:\n  policy: fixed\n");
    int i;
    cr_assert(herd_cfg_enum(d, world(d), "policy", true, policies, 0, &i) && i == 1);
    cr_assert(!herd_cfg_enum(d, world(d), "other", false, policies, 2, &i) && i == 2);
    herd_cfg_free(d);
    d = load("w:\n  policy: jiter\n");
    cr_assert(!herd_cfg_enum(d, world(d), "policy", true, policies, 0, &i));
    ERR_IS(d, "t.yaml:2:11: unknown policy 'jiter'; did you mean 'jitter'? "
              "(one of: jitter, fixed, decorrelated)");
    herd_cfg_free(d);
    d = load("w:\n  policy: exponential\n");
    cr_assert(!herd_cfg_enum(d, world(d), "policy", true, policies, 0, &i));
    ERR_IS(d, "t.yaml:2:11: unknown policy 'exponential' (one of: jitter, fixed, decorrelated)");
    herd_cfg_free(d);
    d = load("w:\n  policy: [a]\n");
    cr_assert(!herd_cfg_enum(d, world(d), "policy", true, policies, 0, &i));
    ERR_IS(d, "t.yaml:2:11: w.policy: expected one of: jitter, fixed, decorrelated, got a sequence");
    herd_cfg_free(d);
}

static const char *const world_keys[] = {"clients", "servers", "backoff", "duration", NULL};

Test(config_get, unknown_keys)
{
    herd_cfg_doc *d = load("w:\n  clients: 1\n  clinets: 2\n");
    cr_assert(!herd_cfg_check_keys(d, world(d), "world", world_keys));
    ERR_IS(d, "t.yaml:3:3: unknown key 'clinets' in world; did you mean 'clients'?");
    herd_cfg_free(d);
    d = load("w:\n  sevrers: 2\n");
    cr_assert(!herd_cfg_check_keys(d, world(d), "world", world_keys));
    ERR_IS(d, "t.yaml:2:3: unknown key 'sevrers' in world; did you mean 'servers'?");
    herd_cfg_free(d);
    d = load("w:\n  zebra: 2\n");
    cr_assert(!herd_cfg_check_keys(d, world(d), "world", world_keys));
    ERR_IS(d, "t.yaml:2:3: unknown key 'zebra' in world "
              "(allowed: clients, servers, backoff, duration)");
    herd_cfg_free(d);
    d = load("w:\n  clients: 1\n  backoff: {}\n");
    cr_assert(herd_cfg_check_keys(d, world(d), "world", world_keys));
    cr_assert(herd_cfg_check_keys(d, NULL, "world", world_keys));
    cr_assert(!herd_cfg_check_keys(d, herd_cfg_get(world(d), "clients"), "world", world_keys));
    ERR_IS(d, "t.yaml:2:12: world: expected a mapping, got a scalar");
    herd_cfg_free(d);
}

/* A section with variants (a fault and its kind): a key of another variant is refused by
 * name, with the keys that apply; an unknown one is still an unknown key. */
Test(config_get, variant_keys)
{
    static const char *const crash_keys[] = {"clients", "servers", NULL};
    herd_cfg_doc *d = load("w:\n  servers: 1\n  duration: 2s\n");
    cr_assert(!herd_cfg_check_variant_keys(d, world(d), "world", world_keys, "a crash", crash_keys));
    ERR_IS(d, "t.yaml:3:3: key 'duration' does not apply to a crash (its keys: clients, servers)");
    herd_cfg_free(d);
    d = load("w:\n  clinets: 1\n");
    cr_assert(!herd_cfg_check_variant_keys(d, world(d), "world", world_keys, "a crash", crash_keys));
    ERR_IS(d, "t.yaml:2:3: unknown key 'clinets' in world; did you mean 'clients'?");
    herd_cfg_free(d);
    d = load("w:\n  clients: 1\n  servers: 2\n");
    cr_assert(herd_cfg_check_variant_keys(d, world(d), "world", world_keys, "a crash", crash_keys));
    cr_assert(herd_cfg_check_variant_keys(d, NULL, "world", world_keys, "a crash", crash_keys));
    cr_assert(!herd_cfg_failed(d));
    herd_cfg_free(d);
}

Test(config_get, node_getters_for_sequences)
{
    herd_cfg_doc *d = load("w:\n  at: [1s, 2m, x]\n");
    const herd_cfg_node *at = herd_cfg_get(world(d), "at");
    uint64_t v;
    cr_assert(herd_cfg_node_duration_us(d, herd_cfg_at(at, 1), 0, UINT64_MAX, &v));
    cr_assert_eq(v, 120000000);
    cr_assert(!herd_cfg_node_duration_us(d, herd_cfg_at(at, 2), 0, UINT64_MAX, &v));
    ERR_IS(d, "t.yaml:2:16: w.at[2]: expected a duration such as 250ms, 1.5s or 2m, got 'x'");
    herd_cfg_free(d);
}

/* ---- --set and emit --------------------------------------------------------------------- */

Test(config_set, replace_add_and_create)
{
    herd_cfg_doc *d = load("w:\n  clients: 10\n  list: [a, b]\n");
    cr_assert(herd_cfg_set(d, "w.clients=1k"));
    cr_assert(herd_cfg_set(d, "w.servers=4"));
    cr_assert(herd_cfg_set(d, "net.latency.mean=5ms"));
    cr_assert(herd_cfg_set(d, "w.list.1=c"));
    cr_assert(herd_cfg_set(d, "w.empty="));
    cr_assert(herd_cfg_set(d, "w.eq=a=b"));
    cr_assert(herd_cfg_set(d, "w.caf\xc3\xa9=\xe2\x82\xac"));
    const herd_cfg_node *w = world(d);
    uint64_t v;
    cr_assert(herd_cfg_u64(d, w, "clients", true, 0, UINT64_MAX, 0, &v) && v == 1000);
    cr_assert(herd_cfg_u64(d, w, "servers", true, 0, UINT64_MAX, 0, &v) && v == 4);
    const herd_cfg_node *net = herd_cfg_get(herd_cfg_root(d), "net");
    cr_assert(herd_cfg_duration_us(d, herd_cfg_get(net, "latency"), "mean", true, 0,
                                   UINT64_MAX, 0, &v) && v == 5000);
    cr_assert_str_eq(herd_cfg_scalar(herd_cfg_at(herd_cfg_get(w, "list"), 1)), "c");
    cr_assert_str_eq(herd_cfg_scalar(herd_cfg_get(w, "empty")), "");
    cr_assert_str_eq(herd_cfg_scalar(herd_cfg_get(w, "eq")), "a=b");
    cr_assert_eq(herd_cfg_line(herd_cfg_get(w, "clients")), 0);
    cr_assert_str_eq(herd_cfg_scalar(herd_cfg_get(w, "caf\xc3\xa9")), "\xe2\x82\xac");
    cr_assert_eq(herd_cfg_len(w), 6);
    char path[64];
    herd_cfg_path(herd_cfg_get(w, "clients"), path, sizeof path);
    cr_assert_str_eq(path, "w.clients");
    herd_cfg_free(d);
}

Test(config_set, overridden_values_report_the_command_line)
{
    herd_cfg_doc *d = load("w:\n  clients: 10\n");
    cr_assert(herd_cfg_set(d, "w.clients=0"));
    uint64_t v;
    cr_assert(!herd_cfg_u64(d, world(d), "clients", true, 1, 100, 0, &v));
    ERR_IS(d, "--set w.clients: w.clients: 0 is out of range [1, 100]");
    herd_cfg_free(d);
    d = load("w:\n  clients: 10\n");
    cr_assert(herd_cfg_set(d, "w.clinets=5"));
    cr_assert(!herd_cfg_check_keys(d, world(d), "world", world_keys));
    ERR_IS(d, "--set w.clinets: unknown key 'clinets' in world; did you mean 'clients'?");
    herd_cfg_free(d);
}

static void set_error(const char *assignment, const char *want)
{
    herd_cfg_doc *d = load("w:\n  clients: 10\n  m: {a: 1}\n  list: [a, b]\n  empty: []\n");
    cr_assert(!herd_cfg_set(d, assignment));
    ERR_IS(d, want);
    cr_assert_null(herd_cfg_root(d));
    herd_cfg_free(d);
}

Test(config_set, bad_paths)
{
    set_error("w.clients.x=1", "--set w.clients.x=1: 'w.clients' is a scalar, not a mapping");
    set_error("w.m=1", "--set w.m=1: 'w.m' is a mapping; set one of its keys");
    set_error("w.list=1", "--set w.list=1: 'w.list' is a sequence; set one of its elements");
    set_error("w.list.2=1", "--set w.list.2=1: 'w.list.2' is not an index of this sequence "
                            "(0 to 1)");
    set_error("w.list.x=1", "--set w.list.x=1: 'w.list.x' is not an index of this sequence "
                            "(0 to 1)");
    set_error("w.empty.0=1", "--set w.empty.0=1: 'w.empty.0' is in an empty sequence");
    set_error("w..a=1", "--set w..a=1: 'w..a' has an empty component");
    set_error(".a=1", "--set .a=1: '.a' has an empty component");
    set_error("w.=1", "--set w.=1: 'w.' has an empty component");
    set_error("clients", "--set 'clients': expected path=value, e.g. world.clients=1000");
    set_error("=5", "--set '=5': expected path=value, e.g. world.clients=1000");
    set_error("w.clients=\xff", "--set: the assignment is not valid UTF-8");
    set_error("w.\xc3=1", "--set: the assignment is not valid UTF-8");
    herd_cfg_doc *d = load("- a\n- b\n");
    cr_assert(!herd_cfg_set(d, "x=1"));
    ERR_IS(d, "--set x=1: t.yaml is not a mapping");
    herd_cfg_free(d);
}

static char *emit_to_string(const herd_cfg_doc *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(herd_cfg_emit(d, f), 0);
    fclose(f);
    return buf;
}

Test(config_set, emit_resolved_document)
{
    herd_cfg_doc *d = load("# scenario\nw:\n  clients: 10   # many\n  name: \"yes\"\n"
                           "  list: [1, 2]\n  empty: {}\n");
    cr_assert(herd_cfg_set(d, "w.clients=20"));
    cr_assert(herd_cfg_set(d, "net.loss=1%"));
    char *text = emit_to_string(d);
    cr_assert_str_eq(text, "w:\n  clients: 20\n  name: 'yes'\n  list:\n  - 1\n  - 2\n"
                           "  empty: {}\nnet:\n  loss: 1%\n");
    /* What was emitted loads back to the same document. */
    herd_cfg_doc *back = load(text);
    char *again = emit_to_string(back);
    cr_assert_str_eq(again, text);
    const char *s;
    cr_assert(herd_cfg_str(back, herd_cfg_get(herd_cfg_root(back), "w"), "name", true, "", &s));
    cr_assert_str_eq(s, "yes");
    free(again);
    free(text);
    herd_cfg_free(back);
    herd_cfg_free(d);
    d = load("a: [");
    cr_assert_eq(herd_cfg_emit(d, stdout), -EINVAL);
    herd_cfg_free(d);
}
