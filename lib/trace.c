/* trace.c — writing and reading herd traces (see trace.h and docs/trace-format.md).
 *
 * Writing goes through lib/json.h, one compact object per line. Reading accepts the flat
 * subset the writer produces and nothing else: '{', then "key": value pairs where value
 * is a string (with the escapes json.h emits), an unsigned integer, true or false, then
 * '}'. Every limit is explicit (line length, key and value length, header fields). */
#include "trace.h"

#include "client.h"
#include "fault.h"
#include "json.h"
#include "server.h"
#include "store.h"
#include "version.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const frame_names[] = {"notice", "resume", "publish", "ack", "deliver",
                                          "resumed", "gap", "close"};

const char *herd_trace_effect_name(int kind)
{
    static const char *const names[] = {"?", "connect", "send", "close", "deliver", "gap",
                                        "acked", "give_up", "store", "subscribe", "fanout"};
    return kind > 0 && kind <= HERD_FX_FANOUT ? names[kind] : "?";
}

const char *herd_trace_store_op_name(int op)
{
    static const char *const names[] = {"?", "publish+dedup", "append", "read"};
    return op >= HERD_STORE_OP_PUBLISH_DEDUP && op <= HERD_STORE_OP_READ ? names[op] : "?";
}

void herd_trace_rec_frame(herd_trace_rec *r, const herd_frame *f)
{
    r->has |= HERD_TF_FRAME;
    r->frame = f->type;
    switch (f->type) {
    case HERD_FRAME_RESUME: r->has |= HERD_TF_CLIENT | HERD_TF_ROOM | HERD_TF_SID; break;
    case HERD_FRAME_PUBLISH: r->has |= HERD_TF_MSG | HERD_TF_ROOM; break;
    case HERD_FRAME_ACK: r->has |= HERD_TF_MSG | HERD_TF_SID; break;
    case HERD_FRAME_DELIVER: r->has |= HERD_TF_MSG | HERD_TF_ROOM | HERD_TF_SID | HERD_TF_PREV; break;
    case HERD_FRAME_RESUMED: r->has |= HERD_TF_SID; break;
    case HERD_FRAME_GAP: r->has |= HERD_TF_PREV | HERD_TF_SID; break;
    default: r->has |= HERD_TF_CODE | HERD_TF_RETRY; break; /* CLOSE, notice */
    }
    r->client = f->client;
    r->room = f->room;
    r->msg = f->msg;
    r->sid = f->sid;
    r->prev = f->prev;
    r->code = f->code;
    r->retry_after_ms = f->retry_after_ms;
}

static void rec_store_req(herd_trace_rec *r, const herd_store_req *q)
{
    r->has |= HERD_TF_OP | HERD_TF_ROOM;
    r->op = q->op;
    r->room = q->room;
    if (q->op == HERD_STORE_OP_READ) {
        r->has |= HERD_TF_AFTER | HERD_TF_LIMIT;
        r->after = q->after;
        r->limit = q->limit;
    } else {
        r->has |= HERD_TF_MSG;
        r->msg = q->msg;
    }
}

void herd_trace_rec_effect(herd_trace_rec *r, const herd_effect *e)
{
    r->has = HERD_TF_CONN;
    r->conn = e->conn;
    switch (e->kind) {
    case HERD_FX_SEND: herd_trace_rec_frame(r, &e->frame); return;
    case HERD_FX_STORE: rec_store_req(r, &e->req); return;
    case HERD_FX_CLOSE: r->has |= HERD_TF_CODE; r->code = e->code; break;
    case HERD_FX_DELIVER: r->has |= HERD_TF_SID | HERD_TF_PREV | HERD_TF_MSG; break;
    case HERD_FX_GAP: r->has |= HERD_TF_SID | HERD_TF_PREV; break;
    case HERD_FX_ACKED: r->has |= HERD_TF_MSG; break;
    case HERD_FX_FANOUT: r->has |= HERD_TF_SID | HERD_TF_PREV | HERD_TF_MSG | HERD_TF_ROOM; break;
    case HERD_FX_SUBSCRIBE: r->has |= HERD_TF_ROOM; break;
    default: break;
    }
    r->sid = e->sid;
    r->prev = e->prev;
    r->msg = e->msg;
    r->room = e->room;
}

const char *herd_trace_frame_name(int type)
{
    return type >= 0 && type <= 7 ? frame_names[type] : "?";
}

int herd_trace_frame_parse(const char *s)
{
    for (int i = 0; i <= 7; i++)
        if (strcmp(s, frame_names[i]) == 0) return i;
    return -1;
}

void herd_trace_fmt_sid(herd_sid s, char *out, size_t size)
{
    snprintf(out, size, "%" PRIu64 "-%" PRIu64, s.ms, s.seq);
}

void herd_trace_fmt_msg(herd_msg_id m, char *out, size_t size)
{
    snprintf(out, size, "%" PRIu32 ":%" PRIu32, herd_msg_client(m), herd_msg_seq(m));
}

static bool parse_u64(const char *s, const char **end, uint64_t *out)
{
    if (*s < '0' || *s > '9') return false;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10u) return false;
        v = v * 10u + (uint64_t)(*s - '0');
    }
    *end = s;
    *out = v;
    return true;
}

bool herd_trace_parse_sid(const char *s, herd_sid *out)
{
    const char *e;
    uint64_t a, b;
    if (!parse_u64(s, &e, &a) || *e != '-' || !parse_u64(e + 1, &e, &b) || *e) return false;
    *out = (herd_sid){a, b};
    return true;
}

bool herd_trace_parse_msg(const char *s, herd_msg_id *out)
{
    const char *e;
    uint64_t a, b;
    if (!parse_u64(s, &e, &a) || *e != ':' || !parse_u64(e + 1, &e, &b) || *e) return false;
    if (a > UINT32_MAX || b > UINT32_MAX) return false;
    *out = herd_msg_make((uint32_t)a, (uint32_t)b);
    return true;
}

/* ---- header ------------------------------------------------------------------------- */

/* Copy with truncation (bounded; always terminated). */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = 0;
    while (n + 1u < size && src[n]) n++;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void header_put(herd_trace_header *h, const char *key, const char *v, bool num)
{
    if (h->n >= HERD_TRACE_HEADER_MAX) return;
    copy_str(h->key[h->n], HERD_TRACE_KEY_MAX, key);
    copy_str(h->val[h->n], HERD_TRACE_VALUE_MAX, v);
    h->num[h->n] = num;
    h->n++;
}

void herd_trace_header_init(herd_trace_header *h, const char *source)
{
    memset(h, 0, sizeof *h);
    header_put(h, "format", "herd-trace", false);
    herd_trace_header_u64(h, "version", HERD_TRACE_VERSION);
    header_put(h, "herd", herd_version(), false);
    header_put(h, "source", source, false);
}

void herd_trace_header_str(herd_trace_header *h, const char *key, const char *v) { header_put(h, key, v, false); }

void herd_trace_header_u64(herd_trace_header *h, const char *key, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%" PRIu64, v);
    header_put(h, key, b, true);
}

void herd_trace_header_machines(herd_trace_header *h, const herd_client_config *cc, const herd_server_config *sc,
                                const herd_store_config *st)
{
    herd_trace_header_str(h, "protocol", herd_protocol_name(&cc->proto));
    herd_trace_header_str(h, "durability", herd_durability_name(st->durability));
    herd_trace_header_u64(h, "maxlen", st->maxlen);
    herd_trace_header_u64(h, "dedup_capacity", st->dedup_capacity);
    herd_trace_header_u64(h, "dedup_window_us", st->dedup_window_us);
    herd_trace_header_u64(h, "queue_max", cc->queue_max);
    herd_trace_header_str(h, "backoff", herd_backoff_name(cc->backoff.kind));
    herd_trace_header_u64(h, "backoff_us", cc->backoff.base_us);
    herd_trace_header_u64(h, "connect_timeout_us", cc->connect_timeout_us);
    herd_trace_header_u64(h, "resume_timeout_us", cc->resume_timeout_us);
    herd_trace_header_u64(h, "ack_timeout_us", cc->ack_timeout_us);
    herd_trace_header_u64(h, "stable_reset_us", cc->stable_reset_us);
    herd_trace_header_u64(h, "read_batch", sc->read_batch);
}

const char *herd_trace_header_get(const herd_trace_header *h, const char *key)
{
    for (uint32_t i = 0; i < h->n; i++)
        if (strcmp(h->key[i], key) == 0) return h->val[i];
    return NULL;
}

/* A line is built in the caller's fixed buffer (no allocation per record) and refused if
 * longer than the reader accepts: the writer and the reader agree on HERD_TRACE_LINE_MAX. */
static int finish_line(FILE *f, herd_json *j)
{
    size_t len;
    const char *s = herd_json_buf(j, &len);
    int rc = herd_json_finish(j);
    if (rc == 0 && len + 1 > HERD_TRACE_LINE_MAX) rc = -EOVERFLOW;
    if (rc == 0 && (fwrite(s, 1, len, f) != len || fputc('\n', f) == EOF)) rc = -EIO;
    herd_json_free(j);
    return rc;
}

int herd_trace_write_header(FILE *f, const herd_trace_header *h)
{
    herd_json j;
    char line[HERD_TRACE_LINE_MAX + 1];
    herd_json_init_fixed(&j, line, sizeof line);
    herd_json_obj_begin(&j);
    for (uint32_t i = 0; i < h->n; i++) {
        if (h->num[i]) herd_json_kv_u64(&j, h->key[i], strtoull(h->val[i], NULL, 10));
        else herd_json_kv_str(&j, h->key[i], h->val[i]);
    }
    herd_json_obj_end(&j);
    return finish_line(f, &j);
}

static const herd_trace_field_desc rec_fields[] = {
    {HERD_TF_NOW, "now_us", HERD_TFK_U64},       {HERD_TF_CONN, "conn", HERD_TFK_U64},
    {HERD_TF_FRAME, "frame", HERD_TFK_STR},      {HERD_TF_OP, "op", HERD_TFK_U64},
    {HERD_TF_CODE, "code", HERD_TFK_U64},        {HERD_TF_RETRY, "retry_after_ms", HERD_TFK_U64},
    {HERD_TF_CLIENT, "client", HERD_TFK_U64},    {HERD_TF_ROOM, "room", HERD_TFK_U64},
    {HERD_TF_MSG, "msg", HERD_TFK_STR},          {HERD_TF_SID, "sid", HERD_TFK_STR},
    {HERD_TF_PREV, "prev", HERD_TFK_STR},        {HERD_TF_AFTER, "after", HERD_TFK_STR},
    {HERD_TF_LIMIT, "limit", HERD_TFK_U64},      {HERD_TF_QUIESCENT, "quiescent", HERD_TFK_BOOL},
    {HERD_TF_TEXT, "text", HERD_TFK_STR},
};

/* One field's value: the number, or the text in b (or r's own text). */
static uint64_t field_value(const herd_trace_rec *r, uint32_t bit, char *b, size_t size, const char **str)
{
    *str = b;
    b[0] = 0;
    switch (bit) {
    case HERD_TF_NOW: return r->now;
    case HERD_TF_CONN: return r->conn;
    case HERD_TF_FRAME: *str = herd_trace_frame_name(r->frame); return r->frame;
    case HERD_TF_OP: return r->op;
    case HERD_TF_CODE: return r->code;
    case HERD_TF_RETRY: return r->retry_after_ms;
    case HERD_TF_CLIENT: return r->client;
    case HERD_TF_ROOM: return r->room;
    case HERD_TF_MSG: herd_trace_fmt_msg(r->msg, b, size); return r->msg;
    case HERD_TF_SID: herd_trace_fmt_sid(r->sid, b, size); return 0;
    case HERD_TF_PREV: herd_trace_fmt_sid(r->prev, b, size); return 0;
    case HERD_TF_AFTER: herd_trace_fmt_sid(r->after, b, size); return 0;
    case HERD_TF_LIMIT: return r->limit;
    case HERD_TF_QUIESCENT: return r->quiescent != 0;
    case HERD_TF_TEXT: *str = r->text; return 0;
    default: return 0;
    }
}

void herd_trace_rec_fields(const herd_trace_rec *r, uint32_t mask, herd_trace_field_fn fn, void *ctx)
{
    char b[48];
    for (size_t i = 0; i < sizeof rec_fields / sizeof rec_fields[0]; i++) {
        const herd_trace_field_desc *f = &rec_fields[i];
        if (!(r->has & mask & f->bit)) continue;
        const char *str;
        uint64_t num = field_value(r, f->bit, b, sizeof b, &str);
        fn(ctx, f, num, str);
    }
}

static void json_field(void *ctx, const herd_trace_field_desc *f, uint64_t num, const char *str)
{
    herd_json *j = ctx;
    if (f->kind == HERD_TFK_U64) herd_json_kv_u64(j, f->key, num);
    else if (f->kind == HERD_TFK_BOOL) herd_json_kv_bool(j, f->key, num != 0);
    else herd_json_kv_str(j, f->key, str);
}

void herd_trace_json_fields(struct herd_json *j, const herd_trace_rec *r, uint32_t mask)
{
    herd_trace_rec_fields(r, mask, json_field, j);
}

static const char *const what_names[] = {"?", "input", "effect", "transition", "end"};

int herd_trace_write_rec(FILE *f, const herd_trace_rec *r)
{
    herd_json j;
    char line[HERD_TRACE_LINE_MAX + 1];
    herd_json_init_fixed(&j, line, sizeof line);
    herd_json_obj_begin(&j);
    herd_json_kv_u64(&j, "step", r->step);
    herd_json_kv_str(&j, "actor", r->actor);
    herd_json_kv_str(&j, what_names[r->what <= HERD_TRACE_END ? r->what : 0], r->name);
    herd_trace_json_fields(&j, r, ~0u);
    herd_json_obj_end(&j);
    return finish_line(f, &j);
}

void herd_trace_format_rec(const herd_trace_rec *r, char *out, size_t size)
{
    char m[32] = "", s[32] = "", p[32] = "";
    if (r->what == HERD_TRACE_STEP) { snprintf(out, size, "%4u. %s", r->step, r->text); return; }
    if (r->has & HERD_TF_MSG) herd_trace_fmt_msg(r->msg, m, sizeof m);
    if (r->has & HERD_TF_SID) herd_trace_fmt_sid(r->sid, s, sizeof s);
    if (r->has & HERD_TF_PREV) herd_trace_fmt_sid(r->prev, p, sizeof p);
    bool op = r->has & HERD_TF_OP;
    snprintf(out, size, "        %-6s %-20s %-13s%s%s%s%s%s%s%s%s%s%s", r->what == HERD_TRACE_INPUT ? "input" : "effect",
             r->actor, r->name, (r->has & HERD_TF_FRAME) ? " " : "",
             (r->has & HERD_TF_FRAME) ? herd_trace_frame_name(r->frame) : "", op ? " " : "",
             op ? herd_trace_store_op_name(r->op) : "", m[0] ? " msg " : "", m, s[0] ? " sid " : "", s,
             p[0] ? " prev " : "", p);
}

/* ---- reading ------------------------------------------------------------------------ */

int herd_trace_open(herd_trace_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->name = path;
    if (HERD_FAULT(HERD_FP_TRACE_OPEN)) {
        errno = r->io_errno = EACCES;
        return -EACCES;
    }
    r->f = fopen(path, "r");
    if (!r->f) r->io_errno = errno;
    return r->f ? 0 : -errno;
}

void herd_trace_open_stream(herd_trace_reader *r, FILE *f, const char *name)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->f = f;
}

void herd_trace_close(herd_trace_reader *r)
{
    if (r->f) fclose(r->f);
    r->f = NULL;
}

static int fail(herd_trace_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(herd_trace_reader *r, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->error, sizeof r->error, "%s:%u:%u: %s", r->name, r->line ? r->line : 1, r->col ? r->col : 1, msg);
    return -1;
}

typedef struct kv {
    uint32_t col; /* 1-based column of the key, for messages */
    char key[HERD_TRACE_KEY_MAX];
    char val[HERD_TRACE_VALUE_MAX];
    bool num; /* an unsigned integer */
    bool str; /* a string (else a number or a boolean) */
} kv;

#define KV_MAX 32

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A JSON string into out (json.h's escapes: \" \\ \/ \b \f \n \r \t \u00XX). Only what
 * the writer can produce: no raw control characters, no \u0000, valid UTF-8. */
static const char *parse_str(const char *p, char *out, size_t size)
{
    if (*p++ != '"') return NULL;
    size_t n = 0;
    while (*p != '"') {
        char c = *p++;
        if ((unsigned char)c < 0x20) return NULL;
        if (c == '\\') {
            c = *p++;
            switch (c) {
            case '"': case '\\': case '/': break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                /* Exactly four hex digits: sscanf("%4x") would take fewer, or a sign,
                 * and skipping four bytes then runs past the end of the line. */
                unsigned v = 0;
                for (int i = 0; i < 4; i++, p++) {
                    int d = hex_digit(*p);
                    if (d < 0) return NULL;
                    v = v << 4 | (unsigned)d;
                }
                if (v == 0 || v > 0x7f) return NULL;
                c = (char)v;
                break;
            }
            default: return NULL;
            }
        }
        if (n + 1 >= size) return NULL;
        out[n++] = c;
    }
    out[n] = 0;
    return herd_json_utf8_valid(out, n) ? p + 1 : NULL;
}

/* Points messages at p (1-based column in the current line). */
static const char *at(herd_trace_reader *r, const char *p)
{
    r->col = (uint32_t)(p - r->buf) + 1u;
    return p;
}

static int parse_line(herd_trace_reader *r, kv *kvs, uint32_t *n)
{
    const char *p = at(r, skip_ws(r->buf));
    *n = 0;
    if (*p++ != '{') return fail(r, "expected '{' at the start of a record");
    p = skip_ws(p);
    if (*p == '}') return 0;
    for (;;) {
        if (*n >= KV_MAX) return fail(r, "more than %d fields", KV_MAX);
        kv *k = &kvs[(*n)++];
        p = at(r, skip_ws(p));
        k->col = r->col;
        p = parse_str(p, k->key, sizeof k->key);
        if (p == NULL) return fail(r, "expected a key (a short string)");
        for (uint32_t i = 0; i + 1 < *n; i++) /* bounded by KV_MAX */
            if (strcmp(kvs[i].key, k->key) == 0) return fail(r, "duplicate field \"%s\"", k->key);
        p = at(r, skip_ws(p));
        if (*p++ != ':') return fail(r, "expected ':' after \"%s\"", k->key);
        p = at(r, skip_ws(p));
        k->num = false;
        k->str = *p == '"';
        if (*p == '"') {
            p = parse_str(p, k->val, sizeof k->val);
            if (p == NULL) return fail(r, "bad string value for \"%s\"", k->key);
        } else {
            size_t m = 0;
            while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')) {
                if (m + 1 >= sizeof k->val) return fail(r, "value too long for \"%s\"", k->key);
                k->val[m++] = *p++;
            }
            k->val[m] = 0;
            const char *e;
            uint64_t v;
            k->num = parse_u64(k->val, &e, &v) && *e == 0;
            if (!k->num && strcmp(k->val, "true") && strcmp(k->val, "false"))
                return fail(r, "value of \"%s\" must be a string, an unsigned integer or a boolean", k->key);
        }
        p = at(r, skip_ws(p));
        if (*p == '}') break;
        if (*p++ != ',') return fail(r, "expected ',' or '}' after \"%s\"", k->key);
    }
    p = at(r, skip_ws(p + 1));
    if (*p != 0 && *p != '\n' && *p != '\r') return fail(r, "trailing characters after the record");
    return 0;
}

/* A read error is not a malformed trace: it keeps errno in r->io_errno so the caller can
 * exit 74 rather than 65. */
static int read_error(herd_trace_reader *r, int err)
{
    r->io_errno = err ? err : EIO;
    r->line++;
    return fail(r, "read error: %s", strerror(r->io_errno));
}

static int read_line(herd_trace_reader *r)
{
    for (;;) {
        if (HERD_FAULT(HERD_FP_TRACE_READ)) return read_error(r, EIO);
        errno = 0;
        if (fgets(r->buf, sizeof r->buf, r->f) == NULL) return ferror(r->f) ? read_error(r, errno) : 0;
        r->line++;
        r->col = 1;
        size_t len = strlen(r->buf);
        if (len > HERD_TRACE_LINE_MAX) return fail(r, "line longer than %d bytes", HERD_TRACE_LINE_MAX);
        if (strspn(r->buf, " \t\r\n") != len) return 1; /* blank lines are skipped */
    }
}

int herd_trace_read_header(herd_trace_reader *r, herd_trace_header *h)
{
    kv kvs[KV_MAX];
    uint32_t n;
    int rc = read_line(r);
    if (rc <= 0) return rc == 0 ? fail(r, "empty trace (no header)") : -1;
    if (parse_line(r, kvs, &n) != 0) return -1;
    memset(h, 0, sizeof *h);
    for (uint32_t i = 0; i < n && i < HERD_TRACE_HEADER_MAX; i++) header_put(h, kvs[i].key, kvs[i].val, kvs[i].num);
    const char *fmt = herd_trace_header_get(h, "format");
    const char *ver = herd_trace_header_get(h, "version");
    r->col = 1;
    for (uint32_t i = 0; i < n; i++) /* point at the field that is wrong, if present */
        if (!strcmp(kvs[i].key, fmt && !strcmp(fmt, "herd-trace") ? "version" : "format")) r->col = kvs[i].col;
    if (fmt == NULL || strcmp(fmt, "herd-trace") != 0) return fail(r, "not a herd trace (\"format\" is not \"herd-trace\")");
    uint64_t v = ver ? strtoull(ver, NULL, 10) : 0;
    if (ver && v > HERD_TRACE_VERSION)
        return fail(r, "unsupported trace version %s: newer than this herd reads (version %d); upgrade herd",
                    ver, HERD_TRACE_VERSION);
    if (ver == NULL || v != HERD_TRACE_VERSION)
        return fail(r, "unsupported trace version %s (this herd reads version %d)", ver ? ver : "(none)", HERD_TRACE_VERSION);
    return 0;
}

/* The numeric fields, their ranges and presence bits (0: "step", always present). */
static const struct num_field {
    const char *key;
    uint64_t max;
    uint32_t bit;
} num_fields[] = {
    {"step", UINT32_MAX, 0},           {"now_us", UINT64_MAX, HERD_TF_NOW},
    {"conn", UINT32_MAX, HERD_TF_CONN}, {"op", UINT8_MAX, HERD_TF_OP},
    {"code", UINT16_MAX, HERD_TF_CODE}, {"retry_after_ms", UINT32_MAX, HERD_TF_RETRY},
    {"client", UINT32_MAX, HERD_TF_CLIENT}, {"room", UINT32_MAX, HERD_TF_ROOM},
    {"limit", UINT16_MAX, HERD_TF_LIMIT},
};

static void set_num(herd_trace_rec *rec, uint32_t bit, uint64_t v)
{
    switch (bit) {
    case 0: rec->step = (uint32_t)v; break;
    case HERD_TF_NOW: rec->now = v; break;
    case HERD_TF_CONN: rec->conn = (uint32_t)v; break;
    case HERD_TF_OP: rec->op = (uint8_t)v; break;
    case HERD_TF_CODE: rec->code = (uint16_t)v; break;
    case HERD_TF_RETRY: rec->retry_after_ms = (uint32_t)v; break;
    case HERD_TF_CLIENT: rec->client = (uint32_t)v; break;
    case HERD_TF_ROOM: rec->room = (uint32_t)v; break;
    default: rec->limit = (uint16_t)v; break;
    }
    rec->has |= bit;
}

/* 1 a numeric field stored, 0 not a numeric field, -1 bad (wrong type or out of range: a
 * value the writer cannot have produced is refused rather than truncated). */
static int rec_num(herd_trace_reader *r, herd_trace_rec *rec, const kv *k)
{
    for (size_t i = 0; i < sizeof num_fields / sizeof *num_fields; i++) {
        if (strcmp(k->key, num_fields[i].key) != 0) continue;
        if (!k->num) return fail(r, "\"%s\" must be an unsigned integer", k->key);
        uint64_t v = strtoull(k->val, NULL, 10);
        if (v > num_fields[i].max)
            return fail(r, "\"%s\" is %s, more than %" PRIu64, k->key, k->val, num_fields[i].max);
        set_num(rec, num_fields[i].bit, v);
        return 1;
    }
    return 0;
}

static int copy_field(herd_trace_reader *r, char *dst, size_t size, const kv *k)
{
    if (strlen(k->val) >= size) return fail(r, "\"%s\" is longer than %zu bytes", k->key, size - 1);
    copy_str(dst, size, k->val);
    return 0;
}

static int rec_field(herd_trace_reader *r, herd_trace_rec *rec, const kv *k)
{
    const char *n = k->key;
    int rc = rec_num(r, rec, k);
    if (rc != 0) return rc < 0 ? -1 : 0;
    if (!strcmp(n, "quiescent")) {
        if (k->str || k->num) return fail(r, "\"quiescent\" must be true or false");
        rec->quiescent = !strcmp(k->val, "true");
        rec->has |= HERD_TF_QUIESCENT;
        return 0;
    }
    if (!k->str) return fail(r, "\"%s\" must be a string", n);
    if (!strcmp(n, "actor")) return copy_field(r, rec->actor, sizeof rec->actor, k);
    if (!strcmp(n, "input") || !strcmp(n, "effect") || !strcmp(n, "transition") || !strcmp(n, "end")) {
        if (rec->what != 0) return fail(r, "a record is one of input, effect, transition, end, not two");
        rec->what = !strcmp(n, "input") ? HERD_TRACE_INPUT : !strcmp(n, "effect") ? HERD_TRACE_EFFECT
                  : !strcmp(n, "transition") ? HERD_TRACE_STEP : HERD_TRACE_END;
        return copy_field(r, rec->name, sizeof rec->name, k);
    }
    if (!strcmp(n, "frame")) {
        int t = herd_trace_frame_parse(k->val);
        if (t < 0) return fail(r, "unknown frame type \"%s\"", k->val);
        rec->frame = (uint8_t)t;
        rec->has |= HERD_TF_FRAME;
    } else if (!strcmp(n, "text")) {
        rec->has |= HERD_TF_TEXT;
        return copy_field(r, rec->text, sizeof rec->text, k);
    } else if (!strcmp(n, "msg")) {
        if (!herd_trace_parse_msg(k->val, &rec->msg)) return fail(r, "bad message id \"%s\" (want client:seq)", k->val);
        rec->has |= HERD_TF_MSG;
    } else if (!strcmp(n, "sid") || !strcmp(n, "prev") || !strcmp(n, "after")) {
        herd_sid *dst = !strcmp(n, "sid") ? &rec->sid : !strcmp(n, "prev") ? &rec->prev : &rec->after;
        if (!herd_trace_parse_sid(k->val, dst)) return fail(r, "bad stream id \"%s\" (want ms-seq)", k->val);
        rec->has |= !strcmp(n, "sid") ? HERD_TF_SID : !strcmp(n, "prev") ? HERD_TF_PREV : HERD_TF_AFTER;
    } else {
        return fail(r, "unknown field \"%s\"", n);
    }
    return 0;
}

int herd_trace_read_rec(herd_trace_reader *r, herd_trace_rec *rec)
{
    kv kvs[KV_MAX];
    uint32_t n;
    int rc = read_line(r);
    if (rc <= 0) return rc;
    if (parse_line(r, kvs, &n) != 0) return -1;
    memset(rec, 0, sizeof *rec);
    bool has_step = false;
    for (uint32_t i = 0; i < n; i++) {
        r->col = kvs[i].col;
        if (rec_field(r, rec, &kvs[i]) != 0) return -1;
        if (!strcmp(kvs[i].key, "step")) has_step = kvs[i].num;
    }
    r->col = 1;
    if (!has_step) return fail(r, "record without a numeric \"step\"");
    if (rec->what == 0) return fail(r, "record is none of input, effect, transition, end");
    if (rec->actor[0] == 0 && rec->what != HERD_TRACE_END) return fail(r, "record without an \"actor\"");
    return 1;
}
