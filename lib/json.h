/* json.h — a small deterministic JSON writer, to a FILE* or to a growable buffer.
 *
 * Owns commas, nesting and escaping, so callers only say what to write. Output is compact
 * (one line) and byte-for-byte deterministic: integers and fixed-point decimals are formatted
 * without locale or floating point, doubles with %.17g (finite only; NaN/inf become null).
 * Strings are escaped per RFC 8259: quote, backslash and control characters are escaped,
 * valid UTF-8 is passed through, an invalid byte becomes \ufffd, so the output is always
 * valid JSON. Errors (I/O, out of memory, misuse such as a value where a key is expected, or
 * nesting deeper than HERD_JSON_DEPTH_MAX) are sticky and reported by herd_json_finish(). */
#ifndef HERD_JSON_H
#define HERD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HERD_JSON_DEPTH_MAX 64

typedef struct herd_json {
    /* private */
    FILE *f;          /* NULL: write to buf */
    char *buf;
    size_t len, cap;
    int error;        /* 0 or a negative errno, sticky */
    int depth;
    bool want_key[HERD_JSON_DEPTH_MAX + 1]; /* in an object, expecting a key */
    bool first[HERD_JSON_DEPTH_MAX + 1];    /* nothing written yet at this depth */
    bool in_value;    /* a key was written; its value comes next */
    bool pretty;
    bool fixed;       /* buf is the caller's (herd_json_init_fixed): never grown or freed */
} herd_json;

void herd_json_init_file(herd_json *w, FILE *f);
void herd_json_init_buf(herd_json *w);
/* Into the caller's buffer of cap bytes (NUL included): nothing is allocated, and output
 * that does not fit is the sticky error -EOVERFLOW. herd_json_free leaves buf alone. */
void herd_json_init_fixed(herd_json *w, char *buf, size_t cap);
void herd_json_set_pretty(herd_json *w, bool pretty); /* 2-space indented output */
/* The buffer so far, NUL-terminated (never NULL; "" on error); valid until the next write. */
const char *herd_json_buf(const herd_json *w, size_t *len);
/* 0, the sticky error (-EIO, -ENOMEM, -EINVAL for misuse), or -EINVAL if an object or
 * array is left open. Flushes a FILE*; writes no trailing newline (callers add their own). */
int herd_json_finish(herd_json *w);
void herd_json_free(herd_json *w); /* frees the buffer */
/* Start a new top-level value, keeping the buffer's allocation (one JSON Lines record after
 * another without a malloc each); clears the error. */
void herd_json_reset(herd_json *w);

void herd_json_obj_begin(herd_json *w);
void herd_json_obj_end(herd_json *w);
void herd_json_arr_begin(herd_json *w);
void herd_json_arr_end(herd_json *w);
void herd_json_key(herd_json *w, const char *key);
void herd_json_str(herd_json *w, const char *s); /* NULL writes null */
void herd_json_strn(herd_json *w, const char *s, size_t n);
void herd_json_u64(herd_json *w, uint64_t v);
void herd_json_i64(herd_json *w, int64_t v);
/* value / 10^decimals exactly: herd_json_fixed(w, 12345, 3) → 12.345; decimals <= 18. */
void herd_json_fixed(herd_json *w, int64_t value, unsigned decimals);
void herd_json_double(herd_json *w, double v);
void herd_json_null(herd_json *w);
void herd_json_bool(herd_json *w, bool v);
/* A pre-formatted JSON value, written as is (the caller vouches for it). */
void herd_json_raw(herd_json *w, const char *json);

/* Whether s[0..n) is UTF-8 as this writer passes it through (no overlong forms, surrogates
 * or code points past U+10FFFF): what a reader of herd's JSON can insist on. */
bool herd_json_utf8_valid(const char *s, size_t n);

/* key + value in one call. */
void herd_json_kv_str(herd_json *w, const char *key, const char *s);
void herd_json_kv_u64(herd_json *w, const char *key, uint64_t v);
void herd_json_kv_i64(herd_json *w, const char *key, int64_t v);
void herd_json_kv_fixed(herd_json *w, const char *key, int64_t value, unsigned decimals);
void herd_json_kv_double(herd_json *w, const char *key, double v);
void herd_json_kv_bool(herd_json *w, const char *key, bool v);
void herd_json_kv_null(herd_json *w, const char *key);

#endif
