/* config_internal.h — the node layout shared by config.c (loading, navigation, emitting),
 * config_value.c (typed getters and value syntax) and config_set.c (--set overrides).
 * Not for use outside lib/config*.c. */
#ifndef HERD_CONFIG_INTERNAL_H
#define HERD_CONFIG_INTERNAL_H

#include "config.h"

enum cfg_kind { CFG_SCALAR, CFG_MAP, CFG_SEQ };

struct herd_cfg_node {
    enum cfg_kind kind;
    int line, col;               /* 1-based, from libyaml's start mark */
    bool quoted;                 /* scalar written quoted: emit it quoted to keep it a string */
    bool is_key;                 /* a mapping key (its path is its value's) */
    char *text;                  /* scalar: NUL-terminated (may contain NULs: see text_len) */
    size_t text_len;
    herd_cfg_node **kids;        /* seq: items; map: key0, value0, key1, value1, ... */
    size_t n, cap;
    const herd_cfg_node *parent; /* NULL for the root */
    size_t index;                /* item index (seq) or entry index (map) in parent */
    char *origin;                /* "--set a.b" for nodes made by herd_cfg_set, else NULL */
};

struct herd_cfg_doc {
    char *name;
    herd_cfg_node *root;
    int exit;                    /* 0 while fine; 65, 70 (out of memory) or 74 once failed */
    char error[HERD_CFG_ERROR_MAX];
};

herd_cfg_node *herd_cfg_node_new(enum cfg_kind kind, int line, int col);
void herd_cfg_node_free(herd_cfg_node *n);
bool herd_cfg_node_append(herd_cfg_node *parent, herd_cfg_node *child);
/* Records fmt as the error, without a location prefix. */
void herd_cfg_fail_raw(herd_cfg_doc *d, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *herd_cfg_kind_name(const herd_cfg_node *n); /* "a mapping", ... */

#endif
