/* config.h — YAML documents (scenarios, models) with located errors.
 *
 * Owns loading a YAML file into a small immutable tree (parsed by libyaml, never by hand),
 * reading typed values out of it (integers, durations, ratios, booleans, enumerations) with
 * range checks, applying command-line overrides (--set a.b=c) and emitting the document as
 * resolved. Every problem is reported as "file:line:col: message"; the first error wins and
 * is kept in the document, so a driver reads everything, then checks herd_cfg_failed() once,
 * prints herd_cfg_error() and exits with herd_cfg_error_exit() (65; 74 when unreadable, 70 when
 * out of memory).
 *
 * Limits: files over HERD_CFG_FILE_MAX bytes and nesting deeper than HERD_CFG_DEPTH_MAX are
 * refused; anchors and aliases are refused (a scenario should say what it means in place);
 * duplicate keys are refused. The value syntax is documented in docs/config-format.md. */
#ifndef HERD_CONFIG_H
#define HERD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HERD_CFG_FILE_MAX (16u * 1024u * 1024u) /* bytes */
#define HERD_CFG_DEPTH_MAX 64                   /* nested collections */
#define HERD_CFG_ERROR_MAX 1024                 /* bytes of the first error message */

typedef struct herd_cfg_doc herd_cfg_doc;   /* the loaded tree + the first error */
typedef struct herd_cfg_node herd_cfg_node; /* mapping, sequence or scalar, with line/col */

/* Loading never returns NULL except on malloc failure; parse and I/O errors are recorded. */
herd_cfg_doc *herd_cfg_load_file(const char *path);
herd_cfg_doc *herd_cfg_load_string(const char *name, const char *text); /* name for messages */
herd_cfg_doc *herd_cfg_load_buffer(const char *name, const char *data, size_t len);
void herd_cfg_free(herd_cfg_doc *d);

const herd_cfg_node *herd_cfg_root(const herd_cfg_doc *d); /* NULL if the file failed to parse */
bool herd_cfg_failed(const herd_cfg_doc *d);
const char *herd_cfg_error(const herd_cfg_doc *d); /* "file:line:col: message" or "" */
int herd_cfg_error_exit(const herd_cfg_doc *d);    /* 0 if fine, 74 unreadable, 70 out of memory,
                                                       65 otherwise */
const char *herd_cfg_name(const herd_cfg_doc *d);  /* the file name given at load */

/* Records "file:line:col: <message>" (or "--set a.b: <message>" for an overridden node,
 * "file: <message>" when at is NULL) unless an error is already recorded. */
void herd_cfg_errorf(herd_cfg_doc *d, const herd_cfg_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool herd_cfg_is_map(const herd_cfg_node *n);
bool herd_cfg_is_seq(const herd_cfg_node *n);
bool herd_cfg_is_scalar(const herd_cfg_node *n);

const herd_cfg_node *herd_cfg_get(const herd_cfg_node *map, const char *key); /* NULL if absent */
size_t herd_cfg_len(const herd_cfg_node *seq_or_map); /* 0 for a scalar or NULL */
const herd_cfg_node *herd_cfg_at(const herd_cfg_node *seq, size_t i);      /* NULL if out of range */
const char *herd_cfg_key_at(const herd_cfg_node *map, size_t i);           /* NULL if out of range */
const herd_cfg_node *herd_cfg_key_node_at(const herd_cfg_node *map, size_t i); /* for locations */
const herd_cfg_node *herd_cfg_value_at(const herd_cfg_node *map, size_t i);
const char *herd_cfg_scalar(const herd_cfg_node *n); /* NULL unless a scalar */
int herd_cfg_line(const herd_cfg_node *n); /* 1-based; 0 for NULL or a --set node */
int herd_cfg_col(const herd_cfg_node *n);
/* "world.clients", "faults[2].at"; "" for the root. Writes at most size bytes. */
void herd_cfg_path(const herd_cfg_node *n, char *out, size_t size);

/* Unknown keys: "file:L:C: unknown key 'clinets' in world; did you mean 'clients'?" or, when
 * nothing is close, "... in world (allowed: a, b, c)". allowed is NULL-terminated. Returns
 * true if every key is allowed (and true for an absent map); a non-mapping is an error. */
bool herd_cfg_check_keys(herd_cfg_doc *d, const herd_cfg_node *map, const char *what,
                         const char *const *allowed);
/* A mapping with variants (a fault and its kind): keys are first checked against every key
 * of the section (known) as by herd_cfg_check_keys; then a known key that is not among this
 * variant's (allowed) is "file:L:C: key 'servers' does not apply to a fault of kind 'offline'
 * (its keys: kind, at, duration, clients)", variant naming the variant in that sentence.
 * Returns true if every key applies (and for an absent map). */
bool herd_cfg_check_variant_keys(herd_cfg_doc *d, const herd_cfg_node *map, const char *what,
                                 const char *const *known, const char *variant,
                                 const char *const *allowed);

/* Typed getters. Key absent: *out = dflt, returns false (required: also records
 * "missing required key 'x' in <path of map>"). Wrong type or out of range: records an error
 * naming the key, the value and the allowed range, *out = dflt, returns false. Once the document
 * has failed, every getter sets *out = dflt, returns false and records nothing.
 * Integers: 10_000_000, 1k (1000), 10M (10^6 x 10); no sign for unsigned, no overflow. */
bool herd_cfg_u64(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                  uint64_t lo, uint64_t hi, uint64_t dflt, uint64_t *out);
bool herd_cfg_i64(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                  int64_t lo, int64_t hi, int64_t dflt, int64_t *out);
/* true/false/yes/no/on/off, any case. */
bool herd_cfg_bool(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool dflt,
                   bool *out);
/* *out points into the document (valid until herd_cfg_free) or is dflt. */
bool herd_cfg_str(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                  const char *dflt, const char **out);
/* Durations: "250ms", "1.5s", "2m", "1h", "100us" → exact integer microseconds. A bare
 * number is an error suggesting a unit. */
bool herd_cfg_duration_us(herd_cfg_doc *d, const herd_cfg_node *map, const char *key,
                          bool required, uint64_t lo_us, uint64_t hi_us, uint64_t dflt,
                          uint64_t *out);
/* Ratios: "50%", "0.5", "1" → parts per million in [lo, hi]. */
bool herd_cfg_ppm(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, uint32_t lo,
                  uint32_t hi, uint32_t dflt, uint32_t *out);
/* Enumerations: names NULL-terminated; "unknown policy 'jiter'; did you mean 'jitter'?
 * (one of: a, b, c)". *out is the index (dflt when absent). */
/* The name of `names` (NULL-terminated) closest to `word` by edit distance (with
 * transpositions), within a third of the word's length (at least 1, at most 3); NULL if
 * none is that close. The "did you mean" of keys, enumerations and command-line flags. */
const char *herd_cfg_suggest(const char *word, const char *const *names);
bool herd_cfg_enum(herd_cfg_doc *d, const herd_cfg_node *map, const char *key, bool required,
                   const char *const *names, int dflt, int *out);

/* The same value syntaxes on a node (e.g. a sequence element); what names it in messages. */
bool herd_cfg_node_u64(herd_cfg_doc *d, const herd_cfg_node *n, uint64_t lo, uint64_t hi,
                       uint64_t *out);
bool herd_cfg_node_duration_us(herd_cfg_doc *d, const herd_cfg_node *n, uint64_t lo_us,
                               uint64_t hi_us, uint64_t *out);
bool herd_cfg_node_ppm(herd_cfg_doc *d, const herd_cfg_node *n, uint32_t lo, uint32_t hi,
                       uint32_t *out);

/* Pure parsers behind the getters (no document, no messages): 0 on success, -1 malformed,
 * -2 overflow, -3 no unit (durations), -4 finer than the unit of the result. */
int herd_cfg_parse_u64(const char *s, uint64_t *out);
int herd_cfg_parse_i64(const char *s, int64_t *out);
int herd_cfg_parse_duration_us(const char *s, uint64_t *out);
int herd_cfg_parse_ppm(const char *s, uint32_t *out);
/* Shortest exact rendering: 1500000 → "1.5s", 90000000 → "90s", 250 → "250us";
 * 500000 ppm → "50%". size >= 32 is always enough. */
void herd_cfg_format_duration(uint64_t us, char *out, size_t size);
void herd_cfg_format_ppm(uint32_t ppm, char *out, size_t size);

/* Command-line override "world.clients=1000": sets or replaces the scalar at that dotted path,
 * creating mappings as needed; a number selects a sequence element (faults.0.at=1s). Apply
 * before reading. Errors ("--set a.b=c: ...") are recorded; returns false on error. */
bool herd_cfg_set(herd_cfg_doc *d, const char *assignment);

/* Emit the document (after --set) as YAML. Returns 0 or -EIO (-EINVAL if it has no root). */
int herd_cfg_emit(const herd_cfg_doc *d, FILE *f);

#endif
