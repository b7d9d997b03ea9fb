/* config.c — YAML documents with located errors: loading, navigation, emitting (config.h).
 *
 * Loading turns libyaml's event stream into a tree of herd_cfg_node (recursion bounded by
 * HERD_CFG_DEPTH_MAX), refusing anchors, aliases, non-scalar keys, duplicate keys and more
 * than one document, and keeps the first error in the document. The value syntax and typed
 * getters live in config_value.c, --set in config_set.c; the three share the node layout in
 * config_internal.h. */
#define _POSIX_C_SOURCE 200809L
#include "config_internal.h"

#include "alloc.h"
#include "exitcode.h"
#include "fault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#include <yaml.h>

/* ---- nodes and the error slot ---------------------------------------------------------- */

herd_cfg_node *herd_cfg_node_new(enum cfg_kind kind, int line, int col)
{
    herd_cfg_node *n = herd_calloc(1, sizeof *n);
    if (n) {
        n->kind = kind;
        n->line = line;
        n->col = col;
    }
    return n;
}

void herd_cfg_node_free(herd_cfg_node *n)
{
    if (!n)
        return;
    /* Depth is bounded by HERD_CFG_DEPTH_MAX (+ --set components), so recursion is too. */
    for (size_t i = 0; i < n->n; i++)
        herd_cfg_node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n->origin);
    free(n);
}

bool herd_cfg_node_append(herd_cfg_node *parent, herd_cfg_node *child)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        herd_cfg_node **kids = herd_reallocarray(parent->kids, cap, sizeof *kids);
        if (!kids)
            return false;
        parent->kids = kids;
        parent->cap = cap;
    }
    child->parent = parent;
    child->index = parent->kind == CFG_MAP ? parent->n / 2 : parent->n;
    child->is_key = parent->kind == CFG_MAP && parent->n % 2 == 0;
    parent->kids[parent->n++] = child;
    return true;
}

static herd_cfg_doc *doc_new(const char *name)
{
    herd_cfg_doc *d = herd_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->name = herd_strdup(name ? name : "<input>");
    if (!d->name) {
        free(d);
        return NULL;
    }
    return d;
}

void herd_cfg_fail_raw(herd_cfg_doc *d, int exit_code, const char *fmt, ...)
{
    if (!d || d->exit)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
    d->exit = exit_code;
}

void herd_cfg_errorf(herd_cfg_doc *d, const herd_cfg_node *at, const char *fmt, ...)
{
    if (!d || d->exit)
        return;
    int used;
    if (at && at->origin)
        used = snprintf(d->error, sizeof d->error, "%s: ", at->origin);
    else if (at)
        used = snprintf(d->error, sizeof d->error, "%s:%d:%d: ", d->name, at->line, at->col);
    else
        used = snprintf(d->error, sizeof d->error, "%s: ", d->name);
    if (used < 0 || (size_t)used >= sizeof d->error)
        used = (int)strlen(d->error);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error + used, sizeof d->error - (size_t)used, fmt, ap);
    va_end(ap);
    d->exit = 65;
}

/* ---- loading: libyaml events to a tree --------------------------------------------------- */

/* Duplicate-key detection across all mappings in one hash set keyed by (mapping, key), so a
 * mapping with a million keys costs a million probes, not half a trillion comparisons. */
struct dup_set {
    const herd_cfg_node **keys; /* key nodes; the mapping is key->parent */
    size_t cap, n;
};

struct loader {
    herd_cfg_doc *d;
    yaml_parser_t parser;
    const unsigned char *data;
    size_t len;
    struct dup_set dups;
};

static uint64_t dup_hash(const herd_cfg_node *map, const char *key, size_t len)
{
    return XXH3_64bits_withSeed(key, len, (uint64_t)(uintptr_t)map);
}

static bool dup_grow(struct dup_set *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    const herd_cfg_node **keys = herd_calloc(cap, sizeof *keys);
    if (!keys)
        return false;
    for (size_t i = 0; i < s->cap; i++) {
        const herd_cfg_node *k = s->keys[i];
        if (!k)
            continue;
        size_t j = dup_hash(k->parent, k->text, k->text_len) & (cap - 1);
        while (keys[j]) /* bounded: the table is at most half full */
            j = (j + 1) & (cap - 1);
        keys[j] = k;
    }
    free(s->keys);
    s->keys = keys;
    s->cap = cap;
    return true;
}

/* Returns the earlier key node equal to key in its mapping, or NULL after inserting key.
 * *oom is set when the table cannot grow. */
static const herd_cfg_node *dup_insert(struct dup_set *s, const herd_cfg_node *key, bool *oom)
{
    if ((s->n + 1) * 2 > s->cap && !dup_grow(s)) {
        *oom = true;
        return NULL;
    }
    size_t j = dup_hash(key->parent, key->text, key->text_len) & (s->cap - 1);
    while (s->keys[j]) {
        const herd_cfg_node *k = s->keys[j];
        if (k->parent == key->parent && k->text_len == key->text_len &&
            memcmp(k->text, key->text, k->text_len) == 0)
            return k;
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = key;
    s->n++;
    return NULL;
}

/* libyaml's reader reports a byte offset, not a mark: turn it into line:col. */
static void offset_to_linecol(const unsigned char *data, size_t len, size_t off, int *line,
                              int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (data[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static void loader_parser_fail(struct loader *L)
{
    yaml_parser_t *p = &L->parser;
    herd_cfg_doc *d = L->d;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR) {
        herd_cfg_fail_raw(d, HERD_EXIT_SOFTWARE, "%s: out of memory while parsing", d->name);
    } else if (p->error == YAML_READER_ERROR) {
        int line, col;
        offset_to_linecol(L->data, L->len, p->problem_offset, &line, &col);
        herd_cfg_fail_raw(d, 65, "%s:%d:%d: %s (byte 0x%02x at offset %zu)", d->name, line, col,
                          problem, (unsigned)(p->problem_value & 0xff), p->problem_offset);
    } else if (p->context) {
        herd_cfg_fail_raw(d, 65, "%s:%zu:%zu: %s (%s at %zu:%zu)", d->name,
                          p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                          p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    } else {
        herd_cfg_fail_raw(d, 65, "%s:%zu:%zu: %s", d->name, p->problem_mark.line + 1,
                          p->problem_mark.column + 1, problem);
    }
}

static bool loader_next(struct loader *L, yaml_event_t *ev)
{
    if (yaml_parser_parse(&L->parser, ev))
        return true;
    loader_parser_fail(L);
    return false;
}

static void loader_fail_at(struct loader *L, yaml_mark_t m, const char *what, const char *arg)
{
    herd_cfg_fail_raw(L->d, 65, "%s:%zu:%zu: %s%s", L->d->name, m.line + 1, m.column + 1, what,
                      arg ? arg : "");
}

static bool load_node(struct loader *L, yaml_event_t *ev, herd_cfg_node *parent, int depth);

static bool load_seq_items(struct loader *L, herd_cfg_node *seq, int depth)
{
    for (;;) { /* bounded by the input: every iteration consumes at least one event */
        yaml_event_t ev;
        if (!loader_next(L, &ev))
            return false;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return true;
        }
        if (!load_node(L, &ev, seq, depth + 1))
            return false;
    }
}

static bool load_map_key(struct loader *L, yaml_event_t *ev, herd_cfg_node *map, int depth)
{
    if (ev->type != YAML_SCALAR_EVENT) {
        loader_fail_at(L, ev->start_mark, "only plain scalar keys are supported", NULL);
        yaml_event_delete(ev);
        return false;
    }
    if (!load_node(L, ev, map, depth + 1))
        return false;
    const herd_cfg_node *key = map->kids[map->n - 1];
    bool oom = false;
    const herd_cfg_node *first = dup_insert(&L->dups, key, &oom);
    if (oom) {
        herd_cfg_fail_raw(L->d, HERD_EXIT_SOFTWARE, "%s: out of memory", L->d->name);
        return false;
    }
    if (first) {
        herd_cfg_errorf(L->d, key, "duplicate key '%s' (first at %d:%d)", key->text, first->line,
                        first->col);
        return false;
    }
    return true;
}

static bool load_map_entries(struct loader *L, herd_cfg_node *map, int depth)
{
    for (;;) { /* bounded by the input: every iteration consumes at least two events */
        yaml_event_t ev;
        if (!loader_next(L, &ev))
            return false;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return true;
        }
        if (!load_map_key(L, &ev, map, depth))
            return false;
        if (!loader_next(L, &ev))
            return false;
        if (!load_node(L, &ev, map, depth + 1))
            return false;
    }
}

static herd_cfg_node *scalar_from_event(const yaml_event_t *ev)
{
    herd_cfg_node *n = herd_cfg_node_new(CFG_SCALAR, (int)ev->start_mark.line + 1,
                                         (int)ev->start_mark.column + 1);
    if (!n)
        return NULL;
    size_t len = ev->data.scalar.length;
    n->text = herd_malloc(len + 1);
    if (!n->text) {
        free(n);
        return NULL;
    }
    memcpy(n->text, ev->data.scalar.value, len);
    n->text[len] = '\0';
    n->text_len = len;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return n;
}

/* Refuses what a scenario should not contain; returns false after recording why. */
static bool load_check_event(struct loader *L, const yaml_event_t *ev, int depth)
{
    const yaml_char_t *anchor = NULL;
    if (ev->type == YAML_ALIAS_EVENT) {
        loader_fail_at(L, ev->start_mark, "aliases are not supported; write the value in place: *",
                       (const char *)ev->data.alias.anchor);
        return false;
    }
    if (ev->type == YAML_SCALAR_EVENT)
        anchor = ev->data.scalar.anchor;
    else if (ev->type == YAML_SEQUENCE_START_EVENT)
        anchor = ev->data.sequence_start.anchor;
    else if (ev->type == YAML_MAPPING_START_EVENT)
        anchor = ev->data.mapping_start.anchor;
    else {
        loader_fail_at(L, ev->start_mark, "unexpected YAML structure", NULL);
        return false;
    }
    if (anchor) {
        loader_fail_at(L, ev->start_mark, "anchors are not supported: &", (const char *)anchor);
        return false;
    }
    if (ev->type != YAML_SCALAR_EVENT && depth > HERD_CFG_DEPTH_MAX) {
        loader_fail_at(L, ev->start_mark, "nesting deeper than 64 levels", NULL);
        return false;
    }
    return true;
}

/* Consumes ev; attaches the new node to parent (or makes it the root) before filling it, so
 * a failure part way leaves a tree that herd_cfg_free releases whole. */
static bool load_node(struct loader *L, yaml_event_t *ev, herd_cfg_node *parent, int depth)
{
    if (!load_check_event(L, ev, depth)) {
        yaml_event_delete(ev);
        return false;
    }
    herd_cfg_node *n;
    if (ev->type == YAML_SCALAR_EVENT)
        n = scalar_from_event(ev);
    else
        n = herd_cfg_node_new(ev->type == YAML_MAPPING_START_EVENT ? CFG_MAP : CFG_SEQ,
                              (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
    yaml_event_type_t type = ev->type;
    yaml_event_delete(ev);
    if (!n || (parent && !herd_cfg_node_append(parent, n))) {
        herd_cfg_node_free(n);
        herd_cfg_fail_raw(L->d, HERD_EXIT_SOFTWARE, "%s: out of memory", L->d->name);
        return false;
    }
    if (!parent)
        L->d->root = n;
    if (type == YAML_MAPPING_START_EVENT)
        return load_map_entries(L, n, depth);
    if (type == YAML_SEQUENCE_START_EVENT)
        return load_seq_items(L, n, depth);
    return true;
}

static bool load_expect(struct loader *L, yaml_event_type_t type)
{
    yaml_event_t ev;
    if (!loader_next(L, &ev))
        return false;
    bool ok = ev.type == type;
    if (!ok && ev.type == YAML_DOCUMENT_START_EVENT)
        loader_fail_at(L, ev.start_mark, "more than one document (only one is allowed)", NULL);
    else if (!ok)
        loader_fail_at(L, ev.start_mark, "unexpected YAML structure", NULL);
    yaml_event_delete(&ev);
    return ok;
}

static void load_stream(struct loader *L)
{
    herd_cfg_doc *d = L->d;
    yaml_event_t ev;
    if (!load_expect(L, YAML_STREAM_START_EVENT) || !loader_next(L, &ev))
        return;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        herd_cfg_fail_raw(d, 65, "%s:1:1: empty document", d->name);
        return;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    if (!loader_next(L, &ev) || !load_node(L, &ev, NULL, 1))
        return;
    if (!load_expect(L, YAML_DOCUMENT_END_EVENT) || !load_expect(L, YAML_STREAM_END_EVENT))
        return;
    const herd_cfg_node *r = d->root;
    if (r->kind == CFG_SCALAR && r->text_len == 0 && !r->quoted)
        herd_cfg_fail_raw(d, 65, "%s:1:1: empty document", d->name);
}

herd_cfg_doc *herd_cfg_load_buffer(const char *name, const char *data, size_t len)
{
    herd_cfg_doc *d = doc_new(name);
    if (!d)
        return NULL;
    if (len > HERD_CFG_FILE_MAX) {
        herd_cfg_fail_raw(d, 65, "%s: larger than 16 MiB; refusing to load it", d->name);
        return d;
    }
    struct loader L = {.d = d, .data = (const unsigned char *)data, .len = len};
    if (!yaml_parser_initialize(&L.parser)) {
        herd_cfg_fail_raw(d, HERD_EXIT_SOFTWARE, "%s: out of memory", d->name);
        return d;
    }
    yaml_parser_set_input_string(&L.parser, L.data, len);
    load_stream(&L);
    yaml_parser_delete(&L.parser);
    free(L.dups.keys);
    if (d->exit) {
        herd_cfg_node_free(d->root);
        d->root = NULL;
    }
    return d;
}

herd_cfg_doc *herd_cfg_load_string(const char *name, const char *text)
{
    return herd_cfg_load_buffer(name, text ? text : "", text ? strlen(text) : 0);
}

/* Reads at most HERD_CFG_FILE_MAX + 1 bytes: enough to know the file is too big. */
static char *read_bounded(FILE *f, size_t *len, int *err)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = herd_malloc(cap);
    *err = buf ? 0 : ENOMEM;
    while (buf && n <= HERD_CFG_FILE_MAX) {
        if (n == cap) {
            cap *= 2;
            char *b = herd_realloc(buf, cap);
            if (!b) {
                *err = ENOMEM;
                break;
            }
            buf = b;
        }
        if (HERD_FAULT(HERD_FP_CONFIG_READ)) {
            *err = EIO;
            break;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                *err = errno ? errno : EIO;
            break;
        }
    }
    if (*err) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static FILE *open_input(const char *path)
{
    if (HERD_FAULT(HERD_FP_CONFIG_OPEN)) {
        errno = EACCES;
        return NULL;
    }
    return fopen(path, "rb");
}

herd_cfg_doc *herd_cfg_load_file(const char *path)
{
    FILE *f = open_input(path);
    if (!f) {
        int err = errno;
        herd_cfg_doc *d = doc_new(path);
        herd_cfg_fail_raw(d, HERD_EXIT_IOERR, "%s: cannot open: %s", path, strerror(err));
        return d;
    }
    size_t len = 0;
    int err = 0;
    char *buf = read_bounded(f, &len, &err);
    fclose(f);
    if (!buf) {
        herd_cfg_doc *d = doc_new(path);
        herd_cfg_fail_raw(d, err == ENOMEM ? HERD_EXIT_SOFTWARE : HERD_EXIT_IOERR, "%s: cannot read: %s", path,
                          strerror(err));
        return d;
    }
    herd_cfg_doc *d = herd_cfg_load_buffer(path, buf, len);
    free(buf);
    return d;
}

void herd_cfg_free(herd_cfg_doc *d)
{
    if (!d)
        return;
    herd_cfg_node_free(d->root);
    free(d->name);
    free(d);
}

/* ---- the document and navigation --------------------------------------------------------- */

const herd_cfg_node *herd_cfg_root(const herd_cfg_doc *d) { return d && !d->exit ? d->root : NULL; }
bool herd_cfg_failed(const herd_cfg_doc *d) { return !d || d->exit != 0; }
const char *herd_cfg_error(const herd_cfg_doc *d) { return d ? d->error : "out of memory"; }
int herd_cfg_error_exit(const herd_cfg_doc *d) { return d ? d->exit : 70; }
const char *herd_cfg_name(const herd_cfg_doc *d) { return d ? d->name : ""; }

bool herd_cfg_is_map(const herd_cfg_node *n) { return n && n->kind == CFG_MAP; }
bool herd_cfg_is_seq(const herd_cfg_node *n) { return n && n->kind == CFG_SEQ; }
bool herd_cfg_is_scalar(const herd_cfg_node *n) { return n && n->kind == CFG_SCALAR; }

const herd_cfg_node *herd_cfg_get(const herd_cfg_node *map, const char *key)
{
    if (!herd_cfg_is_map(map) || !key)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (strcmp(map->kids[i]->text, key) == 0)
            return map->kids[i + 1];
    return NULL;
}

size_t herd_cfg_len(const herd_cfg_node *n)
{
    if (herd_cfg_is_map(n))
        return n->n / 2;
    return herd_cfg_is_seq(n) ? n->n : 0;
}

const herd_cfg_node *herd_cfg_at(const herd_cfg_node *seq, size_t i)
{
    return herd_cfg_is_seq(seq) && i < seq->n ? seq->kids[i] : NULL;
}

const herd_cfg_node *herd_cfg_key_node_at(const herd_cfg_node *map, size_t i)
{
    return herd_cfg_is_map(map) && i < map->n / 2 ? map->kids[2 * i] : NULL;
}

const char *herd_cfg_key_at(const herd_cfg_node *map, size_t i)
{
    const herd_cfg_node *k = herd_cfg_key_node_at(map, i);
    return k ? k->text : NULL;
}

const herd_cfg_node *herd_cfg_value_at(const herd_cfg_node *map, size_t i)
{
    return herd_cfg_is_map(map) && i < map->n / 2 ? map->kids[2 * i + 1] : NULL;
}

const char *herd_cfg_scalar(const herd_cfg_node *n) { return herd_cfg_is_scalar(n) ? n->text : NULL; }
int herd_cfg_line(const herd_cfg_node *n) { return n && !n->origin ? n->line : 0; }
int herd_cfg_col(const herd_cfg_node *n) { return n && !n->origin ? n->col : 0; }

void herd_cfg_path(const herd_cfg_node *n, char *out, size_t size)
{
    const herd_cfg_node *chain[HERD_CFG_DEPTH_MAX * 2 + 2];
    size_t depth = 0;
    for (const herd_cfg_node *p = n; p && p->parent && depth < sizeof chain / sizeof *chain;
         p = p->parent)
        chain[depth++] = p;
    if (size == 0)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = depth; i-- > 0 && used < size;) {
        const herd_cfg_node *c = chain[i], *parent = c->parent;
        int w;
        if (parent->kind == CFG_SEQ)
            w = snprintf(out + used, size - used, "[%zu]", c->index);
        else
            w = snprintf(out + used, size - used, "%s%s", used ? "." : "",
                         parent->kids[2 * c->index]->text);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

const char *herd_cfg_kind_name(const herd_cfg_node *n)
{
    if (!n)
        return "nothing";
    return n->kind == CFG_MAP ? "a mapping" : n->kind == CFG_SEQ ? "a sequence" : "a scalar";
}

/* ---- emitting ---------------------------------------------------------------------------- */

static int emit_node(yaml_emitter_t *e, const herd_cfg_node *n, int depth)
{
    yaml_event_t ev;
    if (depth > HERD_CFG_DEPTH_MAX * 2)
        return -EINVAL;
    if (n->kind == CFG_SCALAR) {
        /* A quoted scalar stays quoted, so "yes" or "010" keeps reading back as a string. */
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->text,
                                          (int)n->text_len, !n->quoted, 1,
                                          YAML_ANY_SCALAR_STYLE))
            return -EINVAL; /* not UTF-8: cannot happen for a loaded or --set document */
        return yaml_emitter_emit(e, &ev) ? 0 : -EIO;
    }
    if (n->kind == CFG_MAP)
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    else
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    if (!yaml_emitter_emit(e, &ev))
        return -EIO;
    for (size_t i = 0; i < n->n; i++) {
        int rc = emit_node(e, n->kids[i], depth + 1);
        if (rc)
            return rc;
    }
    if (n->kind == CFG_MAP)
        yaml_mapping_end_event_initialize(&ev);
    else
        yaml_sequence_end_event_initialize(&ev);
    return yaml_emitter_emit(e, &ev) ? 0 : -EIO;
}

int herd_cfg_emit(const herd_cfg_doc *d, FILE *f)
{
    const herd_cfg_node *root = herd_cfg_root(d);
    if (!root)
        return -EINVAL;
    yaml_emitter_t e;
    yaml_event_t ev;
    if (!yaml_emitter_initialize(&e))
        return -ENOMEM;
    yaml_emitter_set_output_file(&e, f);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    int rc = -EIO;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (!yaml_emitter_emit(&e, &ev))
        goto out;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (!yaml_emitter_emit(&e, &ev))
        goto out;
    rc = emit_node(&e, root, 0);
    if (rc)
        goto out;
    rc = -EIO;
    yaml_document_end_event_initialize(&ev, 1);
    if (!yaml_emitter_emit(&e, &ev))
        goto out;
    yaml_stream_end_event_initialize(&ev);
    if (!yaml_emitter_emit(&e, &ev) || !yaml_emitter_flush(&e))
        goto out;
    rc = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
out:
    yaml_emitter_delete(&e);
    return rc;
}
