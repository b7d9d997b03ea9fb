/* frame.c — the binary codec for herd_frame (see frame.h).
 *
 * One const table, frame_layouts, says which fields each frame type carries and in what
 * order; another, frame_fields, says the range each field may take. The encoder and the
 * decoder both walk these tables, so they cannot disagree about the wire format, and a
 * frame that decodes always re-encodes to exactly the bytes it came from (the decoder
 * accepts only what the encoder could have produced). Varints are unsigned LEB128: seven
 * bits per byte, least significant group first, high bit set on every byte but the last.
 * This file owns no state; every buffer belongs to the caller. */
#include "frame.h"

#include <assert.h>
#include <string.h>

#include "error.h"

#define VARINT_BYTES_MAX 10 /* ceil(64 / 7) */
#define LAYOUT_FIELDS_MAX 6

/* Every wire field of herd_frame; a herd_sid is two wire fields. */
enum frame_field {
    FIELD_CODE,
    FIELD_CLIENT,
    FIELD_ROOM,
    FIELD_RETRY_AFTER_MS,
    FIELD_MSG,
    FIELD_SID_MS,
    FIELD_SID_SEQ,
    FIELD_PREV_MS,
    FIELD_PREV_SEQ,
    FIELD_COUNT,
};

/* The values a field may hold when its type carries it. The bound comes from the struct
 * member's width, except the close code, which must be a code an application may send or
 * receive (RFC 6455 section 7.4.2 reserves 0..999 and leaves 5000.. undefined). */
static const struct frame_field_range {
    uint64_t min;
    uint64_t max;
} frame_fields[FIELD_COUNT] = {
    [FIELD_CODE] = {1000, 4999},
    [FIELD_CLIENT] = {0, UINT32_MAX},
    [FIELD_ROOM] = {0, UINT32_MAX},
    [FIELD_RETRY_AFTER_MS] = {0, UINT32_MAX},
    [FIELD_MSG] = {0, UINT64_MAX},
    [FIELD_SID_MS] = {0, UINT64_MAX},
    [FIELD_SID_SEQ] = {0, UINT64_MAX},
    [FIELD_PREV_MS] = {0, UINT64_MAX},
    [FIELD_PREV_SEQ] = {0, UINT64_MAX},
};

/* The wire layout of each type, in the order frame.h lists its fields. A type byte with
 * no name here (0, 8..255) is unknown. */
static const struct frame_layout {
    const char *name;
    uint8_t count;
    uint8_t fields[LAYOUT_FIELDS_MAX];
} frame_layouts[HERD_FRAME_CLOSE + 1] = {
    [HERD_FRAME_RESUME] = {"resume", 4, {FIELD_CLIENT, FIELD_ROOM, FIELD_SID_MS, FIELD_SID_SEQ}},
    [HERD_FRAME_PUBLISH] = {"publish", 2, {FIELD_MSG, FIELD_ROOM}},
    [HERD_FRAME_ACK] = {"ack", 3, {FIELD_MSG, FIELD_SID_MS, FIELD_SID_SEQ}},
    [HERD_FRAME_DELIVER] = {"deliver", 6,
                            {FIELD_MSG, FIELD_ROOM, FIELD_SID_MS, FIELD_SID_SEQ, FIELD_PREV_MS,
                             FIELD_PREV_SEQ}},
    [HERD_FRAME_RESUMED] = {"resumed", 2, {FIELD_SID_MS, FIELD_SID_SEQ}},
    [HERD_FRAME_GAP] = {"gap", 4, {FIELD_PREV_MS, FIELD_PREV_SEQ, FIELD_SID_MS, FIELD_SID_SEQ}},
    [HERD_FRAME_CLOSE] = {"close", 2, {FIELD_CODE, FIELD_RETRY_AFTER_MS}},
};

static_assert(1 + LAYOUT_FIELDS_MAX * VARINT_BYTES_MAX <= HERD_FRAME_MAX_BYTES,
              "HERD_FRAME_MAX_BYTES must bound the longest possible frame");

static const struct frame_layout *frame_layout_of(int type)
{
    if (type < 0 || type > HERD_FRAME_CLOSE) return NULL;
    const struct frame_layout *layout = &frame_layouts[type];
    return layout->name ? layout : NULL;
}

static uint64_t frame_field_get(const herd_frame *f, int field)
{
    switch (field) {
    case FIELD_CODE: return f->code;
    case FIELD_CLIENT: return f->client;
    case FIELD_ROOM: return f->room;
    case FIELD_RETRY_AFTER_MS: return f->retry_after_ms;
    case FIELD_MSG: return f->msg;
    case FIELD_SID_MS: return f->sid.ms;
    case FIELD_SID_SEQ: return f->sid.seq;
    case FIELD_PREV_MS: return f->prev.ms;
    case FIELD_PREV_SEQ: return f->prev.seq;
    }
    assert(!"unknown frame field");
    return 0;
}

/* Callers check the value against frame_fields first, so the narrowing casts are exact. */
static void frame_field_set(herd_frame *f, int field, uint64_t v)
{
    assert(v >= frame_fields[field].min && v <= frame_fields[field].max);
    switch (field) {
    case FIELD_CODE: f->code = (uint16_t)v; return;
    case FIELD_CLIENT: f->client = (uint32_t)v; return;
    case FIELD_ROOM: f->room = (uint32_t)v; return;
    case FIELD_RETRY_AFTER_MS: f->retry_after_ms = (uint32_t)v; return;
    case FIELD_MSG: f->msg = v; return;
    case FIELD_SID_MS: f->sid.ms = v; return;
    case FIELD_SID_SEQ: f->sid.seq = v; return;
    case FIELD_PREV_MS: f->prev.ms = v; return;
    case FIELD_PREV_SEQ: f->prev.seq = v; return;
    }
    assert(!"unknown frame field");
}

static bool frame_layout_has(const struct frame_layout *layout, int field)
{
    for (int i = 0; i < layout->count; i++) {
        if (layout->fields[i] == field) return true;
    }
    return false;
}

/* A frame is valid when its type is known, every carried field is in range, and every
 * other field is zero: a non-zero unused field would be silently lost on the wire. */
static bool frame_is_valid(const herd_frame *f, const struct frame_layout *layout)
{
    for (int field = 0; field < FIELD_COUNT; field++) {
        uint64_t v = frame_field_get(f, field);
        if (!frame_layout_has(layout, field)) {
            if (v != 0) return false;
        } else if (v < frame_fields[field].min || v > frame_fields[field].max) {
            return false;
        }
    }
    return true;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    assert(n <= VARINT_BYTES_MAX);
    return n;
}

int herd_frame_encode(const herd_frame *f, uint8_t *buf, size_t cap)
{
    assert(f != NULL);
    assert(buf != NULL || cap == 0);
    const struct frame_layout *layout = frame_layout_of(f->type);
    if (!layout || !frame_is_valid(f, layout)) return HERD_EINVAL;

    size_t len = 1;
    for (int i = 0; i < layout->count; i++) {
        len += varint_len(frame_field_get(f, layout->fields[i]));
    }
    assert(len <= HERD_FRAME_MAX_BYTES);
    if (len > cap) return HERD_ENOSPACE;

    size_t at = 0;
    buf[at++] = f->type;
    for (int i = 0; i < layout->count; i++) {
        at += varint_put(buf + at, frame_field_get(f, layout->fields[i]));
    }
    assert(at == len);
    return (int)len;
}

/* Reads one canonical varint from buf[*at..len) and advances *at past it. Canonical means
 * the shortest form: a last byte of zero (other than a lone zero) is overlong. The tenth
 * byte may only contribute the 64th bit, so it must be 0 or 1; checking that before the
 * shift keeps every shift below 64 and rejects overflow. */
static int varint_get(const uint8_t *buf, size_t len, size_t *at, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < VARINT_BYTES_MAX; i++) {
        if (*at >= len) return HERD_EFRAME_TRUNCATED;
        uint8_t byte = buf[(*at)++];
        if (i == VARINT_BYTES_MAX - 1 && byte > 1) return HERD_EFRAME_VARINT;
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            if (byte == 0 && i > 0) return HERD_EFRAME_VARINT;
            *out = v;
            return HERD_OK;
        }
    }
    assert(!"unreachable: the tenth byte never has its continuation bit set here");
    return HERD_EFRAME_VARINT;
}

static int frame_decode_fields(const uint8_t *buf, size_t len, herd_frame *f)
{
    const struct frame_layout *layout = frame_layout_of(buf[0]);
    if (!layout) return HERD_EFRAME_TYPE;
    f->type = buf[0];
    size_t at = 1;
    for (int i = 0; i < layout->count; i++) {
        int field = layout->fields[i];
        uint64_t v = 0;
        int rc = varint_get(buf, len, &at, &v);
        if (rc != HERD_OK) return rc;
        if (v < frame_fields[field].min || v > frame_fields[field].max) return HERD_EFRAME_RANGE;
        frame_field_set(f, field, v);
    }
    return at == len ? HERD_OK : HERD_EFRAME_TRAILING;
}

int herd_frame_decode(const uint8_t *buf, size_t len, herd_frame *f)
{
    assert(f != NULL);
    assert(buf != NULL || len == 0);
    memset(f, 0, sizeof *f);
    if (len == 0) return HERD_EFRAME_TRUNCATED;
    int rc = frame_decode_fields(buf, len, f);
    if (rc != HERD_OK) {
        memset(f, 0, sizeof *f);
        return rc;
    }
    assert(frame_is_valid(f, frame_layout_of(f->type)));
    return HERD_OK;
}

const char *herd_frame_type_name(int type)
{
    const struct frame_layout *layout = frame_layout_of(type);
    return layout ? layout->name : "unknown";
}
