/* fuzz_config.c — libFuzzer harness for the YAML loader (lib/config*.c).
 *
 * Loads each input as a scenario file. A failed load must leave a "name:" error and no root.
 * A successful one is walked whole with every getter (which must not crash whatever the
 * values are), overridden with one --set drawn from the input, then emitted; the emitted
 * text must load again and emit to exactly the same bytes (the resolved scenario a run
 * records must reproduce the run). Any other outcome aborts. Built by
 * tests/fuzz/CMakeLists.txt (fuzz_config with -DHERD_FUZZ=ON; fuzz_config_replay in every
 * build); running it: docs/reliability.md. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok)
        abort();
}

static const char *const names[] = {"a", "b", "clients", "latency", NULL};

/* Reads every value of map with every getter, on a scratch document so errors don't stop it. */
static void walk(const herd_cfg_node *n, int depth)
{
    require(depth <= HERD_CFG_DEPTH_MAX + 1);
    for (size_t i = 0; i < herd_cfg_len(n); i++) {
        if (herd_cfg_is_seq(n)) {
            walk(herd_cfg_at(n, i), depth + 1);
            continue;
        }
        const char *key = herd_cfg_key_at(n, i);
        require(key != NULL && herd_cfg_get(n, key) != NULL);
        herd_cfg_doc *s = herd_cfg_load_string("s", "x: 1");
        uint64_t u;
        int64_t v;
        uint32_t p;
        bool b;
        int e;
        const char *str;
        herd_cfg_u64(s, n, key, true, 0, UINT64_MAX, 0, &u);
        herd_cfg_free(s);
        s = herd_cfg_load_string("s", "x: 1");
        herd_cfg_i64(s, n, key, true, INT64_MIN, INT64_MAX, 0, &v);
        herd_cfg_duration_us(s, n, key, true, 0, UINT64_MAX, 0, &u);
        herd_cfg_ppm(s, n, key, 0, UINT32_MAX, 0, &p);
        herd_cfg_bool(s, n, key, false, &b);
        herd_cfg_str(s, n, key, true, NULL, &str);
        herd_cfg_enum(s, n, key, true, names, 0, &e);
        herd_cfg_check_keys(s, n, "m", names);
        herd_cfg_free(s);
        walk(herd_cfg_value_at(n, i), depth + 1);
    }
}

static char *emit(const herd_cfg_doc *d, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    require(f != NULL);
    require(herd_cfg_emit(d, f) == 0);
    fclose(f);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    herd_cfg_doc *d = herd_cfg_load_buffer("f", (const char *)data, size);
    require(d != NULL);
    if (herd_cfg_failed(d)) {
        require(herd_cfg_root(d) == NULL && strncmp(herd_cfg_error(d), "f:", 2) == 0);
        herd_cfg_free(d);
        return 0;
    }
    walk(herd_cfg_root(d), 0);
    char set[64];
    size_t n = size < sizeof set - 1 ? size : sizeof set - 1;
    memcpy(set, data + size - n, n);
    set[n] = '\0';
    herd_cfg_set(d, set);
    if (!herd_cfg_failed(d)) {
        size_t len1, len2;
        char *one = emit(d, &len1);
        herd_cfg_doc *back = herd_cfg_load_buffer("back", one, len1);
        require(!herd_cfg_failed(back));
        char *two = emit(back, &len2);
        require(len1 == len2 && memcmp(one, two, len1) == 0);
        free(one);
        free(two);
        herd_cfg_free(back);
    }
    herd_cfg_free(d);
    return 0;
}
