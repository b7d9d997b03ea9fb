/* config_set.c — command-line overrides: --set world.clients=1000.
 *
 * Owns walking a dotted path into the loaded tree, creating mappings where the path goes
 * beyond the file, and replacing the scalar at its end. Replaced and created nodes remember
 * "--set <path>" as their origin, so a bad overridden value is reported against the command
 * line rather than a file position that no longer holds it. */
#define _POSIX_C_SOURCE 200809L
#include "config_internal.h"

#include "alloc.h"
#include "exitcode.h"

#include <stdlib.h>
#include <string.h>

#define SET_COMPONENTS_MAX HERD_CFG_DEPTH_MAX

struct set_ctx {
    herd_cfg_doc *d;
    const char *assignment; /* as given, for messages */
    const char *path;       /* the part before '=' (NUL-terminated copy) */
    const char *value;
    char origin[HERD_CFG_ERROR_MAX / 2];
};

static herd_cfg_node *set_new(struct set_ctx *c, enum cfg_kind kind, const char *text)
{
    herd_cfg_node *n = herd_cfg_node_new(kind, 0, 0);
    if (!n)
        return NULL;
    n->origin = herd_strdup(c->origin);
    if (text) {
        n->text = herd_strdup(text);
        n->text_len = text ? strlen(text) : 0;
    }
    if (!n->origin || (text && !n->text)) {
        herd_cfg_node_free(n);
        return NULL;
    }
    return n;
}

static bool set_oom(struct set_ctx *c)
{
    herd_cfg_fail_raw(c->d, HERD_EXIT_SOFTWARE, "--set %s: out of memory", c->assignment);
    return false;
}

/* Replaces kids[slot] of parent with a fresh scalar holding the value. */
static bool set_replace(struct set_ctx *c, herd_cfg_node *parent, size_t slot)
{
    herd_cfg_node *n = set_new(c, CFG_SCALAR, c->value);
    if (!n)
        return set_oom(c);
    herd_cfg_node *old = parent->kids[slot];
    n->parent = parent;
    n->index = old->index;
    parent->kids[slot] = n;
    herd_cfg_node_free(old);
    return true;
}

/* Appends key: (a scalar holding the value when last, else an empty mapping). */
static herd_cfg_node *set_add(struct set_ctx *c, herd_cfg_node *map, const char *key, bool last)
{
    herd_cfg_node *k = set_new(c, CFG_SCALAR, key);
    herd_cfg_node *v = last ? set_new(c, CFG_SCALAR, c->value) : set_new(c, CFG_MAP, NULL);
    if (!k || !v || !herd_cfg_node_append(map, k)) {
        herd_cfg_node_free(k);
        herd_cfg_node_free(v);
        set_oom(c);
        return NULL;
    }
    if (!herd_cfg_node_append(map, v)) {
        herd_cfg_node_free(v);
        map->n--; /* drop the key again: a mapping never holds a key without a value */
        herd_cfg_node_free(k);
        set_oom(c);
        return NULL;
    }
    return v;
}

static bool set_bad(struct set_ctx *c, const char *prefix, const char *why)
{
    herd_cfg_fail_raw(c->d, 65, "--set %s: '%s' %s", c->assignment, prefix, why);
    return false;
}

/* One step of the walk: from *cur through component comp (the prefix so far names it). */
static bool set_step(struct set_ctx *c, herd_cfg_node **cur, const char *comp,
                     const char *prefix, bool last)
{
    herd_cfg_node *n = *cur;
    if (n->kind == CFG_SEQ) {
        char *end = NULL;
        unsigned long long i = strtoull(comp, &end, 10);
        if (comp[0] < '0' || comp[0] > '9' || *end || i >= n->n) {
            char why[96];
            snprintf(why, sizeof why, "is not an index of this sequence (0 to %zu)",
                     n->n ? n->n - 1 : 0);
            return n->n ? set_bad(c, prefix, why) : set_bad(c, prefix, "is in an empty sequence");
        }
        if (last)
            return set_replace(c, n, (size_t)i);
        *cur = n->kids[i];
    } else {
        size_t found = SIZE_MAX;
        for (size_t i = 0; i + 1 < n->n && found == SIZE_MAX; i += 2)
            if (strcmp(n->kids[i]->text, comp) == 0)
                found = i + 1;
        if (found == SIZE_MAX) {
            *cur = set_add(c, n, comp, last);
            return *cur != NULL;
        }
        if (last) {
            if (n->kids[found]->kind != CFG_SCALAR)
                return set_bad(c, prefix, n->kids[found]->kind == CFG_MAP
                                              ? "is a mapping; set one of its keys"
                                              : "is a sequence; set one of its elements");
            return set_replace(c, n, found);
        }
        *cur = n->kids[found];
    }
    if ((*cur)->kind == CFG_SCALAR)
        return set_bad(c, prefix, "is a scalar, not a mapping");
    return true;
}

static bool set_walk(struct set_ctx *c, char *path)
{
    herd_cfg_node *cur = c->d->root;
    char prefix[HERD_CFG_ERROR_MAX / 2] = "";
    char *comp = path;
    for (size_t depth = 0; depth < SET_COMPONENTS_MAX; depth++) {
        char *dot = strchr(comp, '.');
        if (dot)
            *dot = '\0';
        if (*comp == '\0')
            return set_bad(c, c->path, "has an empty component");
        size_t used = strlen(prefix);
        snprintf(prefix + used, sizeof prefix - used, "%s%s", used ? "." : "", comp);
        if (!set_step(c, &cur, comp, prefix, dot == NULL))
            return false;
        if (!dot)
            return true;
        comp = dot + 1;
    }
    return set_bad(c, c->path, "is nested too deeply");
}

/* A document holds only valid UTF-8 (libyaml's reader insists on it, and its emitter refuses
 * anything else), so an override must be valid UTF-8 too. */
static bool utf8_valid(const unsigned char *s)
{
    while (*s) { /* bounded by the string's length: every iteration consumes a byte */
        unsigned c = *s, len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2
                                         : c >= 0xe0 && c <= 0xef ? 3
                                         : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (len == 0)
            return false;
        uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
        for (unsigned i = 1; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i] & 0x3fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        s += len;
    }
    return true;
}

bool herd_cfg_set(herd_cfg_doc *d, const char *assignment)
{
    if (!d || d->exit || !assignment)
        return false;
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        herd_cfg_fail_raw(d, 65, "--set '%s': expected path=value, e.g. world.clients=1000",
                          assignment);
        return false;
    }
    if (!utf8_valid((const unsigned char *)assignment)) {
        herd_cfg_fail_raw(d, 65, "--set: the assignment is not valid UTF-8");
        return false;
    }
    if (!d->root || d->root->kind != CFG_MAP) {
        herd_cfg_fail_raw(d, 65, "--set %s: %s is not a mapping", assignment, d->name);
        return false;
    }
    char *path = herd_strndup(assignment, (size_t)(eq - assignment));
    char *walk = path ? herd_strdup(path) : NULL;
    struct set_ctx c = {.d = d, .assignment = assignment, .path = path, .value = eq + 1};
    bool ok = false;
    if (!path || !walk)
        set_oom(&c);
    else if (snprintf(c.origin, sizeof c.origin, "--set %s", path) >= (int)sizeof c.origin)
        set_bad(&c, path, "is too long");
    else
        ok = set_walk(&c, walk);
    free(walk);
    free(path);
    return ok;
}
