/* json.c — the JSON writer behind --json and the report files (see json.h).
 *
 * Owns the output bytes: separators between values, escaping, and number formatting that
 * depends on neither locale nor floating point (except herd_json_double, which is %.17g with
 * the decimal point forced to '.'). All writes go through out(), which either appends to the
 * growable buffer or fwrite()s, and turns the first failure into a sticky error. */
#include "json.h"

#include "alloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void out(herd_json *w, const char *s, size_t n)
{
    if (w->error || n == 0)
        return;
    if (w->f) {
        if (fwrite(s, 1, n, w->f) != n)
            w->error = -EIO;
        return;
    }
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n + 1) /* bounded: doubles until it fits */
            cap *= 2;
        if (w->fixed) { /* the caller's buffer: a value that does not fit is an error */
            w->error = -EOVERFLOW;
            return;
        }
        char *b = herd_realloc(w->buf, cap);
        if (!b) {
            w->error = -ENOMEM;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void outs(herd_json *w, const char *s) { out(w, s, strlen(s)); }

static void newline_indent(herd_json *w)
{
    out(w, "\n", 1);
    for (int i = 0; i < w->depth; i++)
        out(w, "  ", 2);
}

static void init(herd_json *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->first[0] = true;
}

void herd_json_init_file(herd_json *w, FILE *f) { init(w, f); }
void herd_json_init_buf(herd_json *w) { init(w, NULL); }

void herd_json_init_fixed(herd_json *w, char *buf, size_t cap)
{
    init(w, NULL);
    w->buf = buf;
    w->cap = cap;
    w->fixed = true;
    if (cap)
        buf[0] = '\0';
}
void herd_json_set_pretty(herd_json *w, bool pretty) { w->pretty = pretty; }

const char *herd_json_buf(const herd_json *w, size_t *len)
{
    if (len)
        *len = w->buf && !w->error ? w->len : 0;
    return w->buf && !w->error ? w->buf : "";
}

int herd_json_finish(herd_json *w)
{
    if (!w->error && w->depth != 0)
        w->error = -EINVAL;
    if (!w->error && w->f && fflush(w->f) != 0)
        w->error = -EIO;
    return w->error;
}

void herd_json_free(herd_json *w)
{
    if (!w->fixed)
        free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

void herd_json_reset(herd_json *w)
{
    char *buf = w->buf;
    size_t cap = w->cap;
    FILE *f = w->f;
    bool pretty = w->pretty, fixed = w->fixed;
    init(w, f);
    w->buf = buf;
    w->cap = cap;
    w->pretty = pretty;
    w->fixed = fixed;
    if (buf)
        buf[0] = '\0';
}

/* Before any value: the separator, and a check that a value is allowed here. */
static bool before_value(herd_json *w)
{
    if (w->error)
        return false;
    if (w->want_key[w->depth] || (w->depth == 0 && !w->first[0])) {
        w->error = -EINVAL; /* a value where a key is expected, or a second top-level value */
        return false;
    }
    if (w->depth > 0 && !w->first[w->depth] && !w->in_value)
        out(w, ",", 1);
    if (w->depth > 0 && w->pretty && !w->in_value)
        newline_indent(w);
    w->first[w->depth] = false;
    if (w->in_value) {
        w->in_value = false;
        w->want_key[w->depth] = true; /* the object's next token is a key again */
    }
    return true;
}

static void open_(herd_json *w, char c, bool object)
{
    if (!before_value(w))
        return;
    if (w->depth >= HERD_JSON_DEPTH_MAX) {
        w->error = -EINVAL;
        return;
    }
    out(w, &c, 1);
    w->depth++;
    w->first[w->depth] = true;
    w->want_key[w->depth] = object;
    w->in_value = false;
}

static void close_(herd_json *w, char c, bool object)
{
    if (w->error)
        return;
    /* Closing an object is allowed only where a key could come; an array anywhere inside. */
    if (w->depth == 0 || w->want_key[w->depth] != object || w->in_value) {
        w->error = -EINVAL;
        return;
    }
    bool empty = w->first[w->depth];
    w->depth--;
    if (w->pretty && !empty)
        newline_indent(w);
    out(w, &c, 1);
}

void herd_json_obj_begin(herd_json *w) { open_(w, '{', true); }
void herd_json_obj_end(herd_json *w) { close_(w, '}', true); }
void herd_json_arr_begin(herd_json *w) { open_(w, '[', false); }
void herd_json_arr_end(herd_json *w) { close_(w, ']', false); }

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8. */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool herd_json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) { /* bounded: each pass consumes at least one byte */
        size_t len = utf8_len(p + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

static void write_string(herd_json *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    out(w, "\"", 1);
    size_t run = 0; /* bytes at p[i - run .. i) waiting to be copied as they are */
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t len = c >= 0x20 && c != '"' && c != '\\' ? utf8_len(p + i, n - i) : 0;
        if (len > 0) {
            run += len;
            i += len;
            continue;
        }
        out(w, (const char *)p + i - run, run);
        run = 0;
        char esc[8] = {'\\', 0};
        size_t esc_len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            if (c < 0x20) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
            } else {
                memcpy(esc, "\\ufffd", 6); /* invalid UTF-8 byte */
            }
            esc_len = 6;
        }
        out(w, esc, esc_len);
        i++;
    }
    out(w, (const char *)p + n - run, run);
    out(w, "\"", 1);
}

void herd_json_key(herd_json *w, const char *key)
{
    if (w->error)
        return;
    if (w->depth == 0 || !w->want_key[w->depth] || w->in_value) {
        w->error = -EINVAL;
        return;
    }
    if (!w->first[w->depth])
        out(w, ",", 1);
    if (w->pretty)
        newline_indent(w);
    w->first[w->depth] = false;
    write_string(w, key ? key : "", key ? strlen(key) : 0);
    out(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->want_key[w->depth] = false;
    w->in_value = true;
}

void herd_json_strn(herd_json *w, const char *s, size_t n)
{
    if (before_value(w))
        write_string(w, s, n);
}

void herd_json_str(herd_json *w, const char *s)
{
    if (!s)
        herd_json_null(w);
    else
        herd_json_strn(w, s, strlen(s));
}

static size_t format_u64(uint64_t v, char buf[21])
{
    char tmp[20];
    size_t n = 0;
    do { /* at most 20 digits */
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

void herd_json_u64(herd_json *w, uint64_t v)
{
    char buf[21];
    size_t n = format_u64(v, buf);
    if (before_value(w))
        out(w, buf, n);
}

void herd_json_i64(herd_json *w, int64_t v)
{
    herd_json_fixed(w, v, 0);
}

void herd_json_fixed(herd_json *w, int64_t value, unsigned decimals)
{
    if (decimals > 18) {
        w->error = w->error ? w->error : -EINVAL;
        return;
    }
    /* The magnitude in unsigned arithmetic, so INT64_MIN needs no signed overflow. */
    uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    uint64_t pow = 1;
    for (unsigned i = 0; i < decimals; i++)
        pow *= 10;
    char whole[21], frac[21], text[48];
    format_u64(mag / pow, whole);
    size_t fn = format_u64(mag % pow, frac);
    size_t n = (size_t)snprintf(text, sizeof text, "%s%s", value < 0 ? "-" : "", whole);
    if (decimals > 0) {
        text[n++] = '.';
        for (size_t i = fn; i < decimals; i++) /* leading zeros of the fraction */
            text[n++] = '0';
        memcpy(text + n, frac, fn);
        n += fn;
    }
    if (before_value(w))
        out(w, text, n);
}

void herd_json_double(herd_json *w, double v)
{
    if (!isfinite(v)) {
        herd_json_null(w);
        return;
    }
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    /* A locale may have made the decimal point a comma; JSON wants '.'. */
    for (int i = 0; i < n; i++)
        if (buf[i] != '-' && buf[i] != '+' && buf[i] != 'e' && (buf[i] < '0' || buf[i] > '9'))
            buf[i] = '.';
    if (before_value(w))
        out(w, buf, (size_t)n);
}

void herd_json_null(herd_json *w)
{
    if (before_value(w))
        outs(w, "null");
}

void herd_json_bool(herd_json *w, bool v)
{
    if (before_value(w))
        outs(w, v ? "true" : "false");
}

void herd_json_raw(herd_json *w, const char *json)
{
    if (before_value(w))
        outs(w, json);
}

void herd_json_kv_str(herd_json *w, const char *key, const char *s)
{
    herd_json_key(w, key);
    herd_json_str(w, s);
}

void herd_json_kv_u64(herd_json *w, const char *key, uint64_t v)
{
    herd_json_key(w, key);
    herd_json_u64(w, v);
}

void herd_json_kv_i64(herd_json *w, const char *key, int64_t v)
{
    herd_json_key(w, key);
    herd_json_i64(w, v);
}

void herd_json_kv_fixed(herd_json *w, const char *key, int64_t value, unsigned decimals)
{
    herd_json_key(w, key);
    herd_json_fixed(w, value, decimals);
}

void herd_json_kv_double(herd_json *w, const char *key, double v)
{
    herd_json_key(w, key);
    herd_json_double(w, v);
}

void herd_json_kv_bool(herd_json *w, const char *key, bool v)
{
    herd_json_key(w, key);
    herd_json_bool(w, v);
}

void herd_json_kv_null(herd_json *w, const char *key)
{
    herd_json_key(w, key);
    herd_json_null(w);
}
