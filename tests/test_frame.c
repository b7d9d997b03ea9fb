/* test_frame.c — the frame codec (src/frame.c) against its contract in frame.h.
 *
 * Valid frames round-trip exactly, at the edges of every field; every strict prefix of a
 * valid encoding is truncated and every extension has trailing bytes; non-canonical,
 * too-long and overflowing varints, out-of-range fields and unknown types are refused with
 * their own codes; the encoder refuses what it could not round-trip. Then brute force: every
 * byte string up to three bytes and a million seeded random ones decode without crashing,
 * and whatever decodes re-encodes to exactly the input (the wire form is canonical).
 * The expected field layouts are written out here again, independently of frame.c's
 * table, so a slip in that table cannot hide by agreeing with itself. */
#include <criterion/criterion.h>
#include <string.h>

#include "error.h"
#include "frame.h"
#include "rng.h"

#define RANDOM_STRINGS 1000000
#define RANDOM_LEN_MAX 80
#define RANDOM_FRAMES 200000

static const uint64_t edge_values[] = {
    0, 1, 127, 128, 16383, 16384, UINT16_MAX, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
    (uint64_t)1 << 63, UINT64_MAX - 1, UINT64_MAX,
};
#define EDGE_COUNT (sizeof edge_values / sizeof edge_values[0])

static const uint16_t edge_codes[] = {1000, 1001, 1006, 1011, 1012, 1013, 1023, 1024, 4999};
#define EDGE_CODE_COUNT (sizeof edge_codes / sizeof edge_codes[0])

static uint32_t clamp_u32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/* A valid frame of `type` whose carried fields all hold (a clamped) v; code is separate
 * because its range is not a prefix of the integers. */
static herd_frame frame_make(uint8_t type, uint64_t v, uint16_t code)
{
    herd_frame f = {.type = type};
    switch (type) {
    case HERD_FRAME_RESUME:
        f.client = clamp_u32(v), f.room = clamp_u32(v ^ 1), f.sid = (herd_sid){v, ~v};
        break;
    case HERD_FRAME_PUBLISH: f.msg = v, f.room = clamp_u32(v); break;
    case HERD_FRAME_ACK: f.msg = v, f.sid = (herd_sid){~v, v}; break;
    case HERD_FRAME_DELIVER:
        f.msg = v, f.room = clamp_u32(v), f.sid = (herd_sid){v, v}, f.prev = (herd_sid){~v, v};
        break;
    case HERD_FRAME_RESUMED: f.sid = (herd_sid){v, v ^ 127}; break;
    case HERD_FRAME_GAP: f.prev = (herd_sid){v, 0}, f.sid = (herd_sid){v, v}; break;
    case HERD_FRAME_CLOSE: f.code = code, f.retry_after_ms = clamp_u32(v); break;
    default: cr_assert_fail("no such type %d", type);
    }
    return f;
}

static void assert_frame_eq(const herd_frame *a, const herd_frame *b)
{
    cr_assert_eq(a->type, b->type);
    cr_assert_eq(a->code, b->code);
    cr_assert_eq(a->client, b->client);
    cr_assert_eq(a->room, b->room);
    cr_assert_eq(a->retry_after_ms, b->retry_after_ms);
    cr_assert_eq(a->msg, b->msg);
    cr_assert(herd_sid_eq(a->sid, b->sid));
    cr_assert(herd_sid_eq(a->prev, b->prev));
}

static void assert_frame_zero(const herd_frame *f)
{
    herd_frame zero;
    memset(&zero, 0, sizeof zero);
    assert_frame_eq(f, &zero);
}

/* Decodes buf[0..len) expecting the error `want`, and checks *f is zeroed. */
static void assert_decode_fails(const uint8_t *buf, size_t len, int want)
{
    herd_frame f;
    memset(&f, 0xa5, sizeof f);
    int rc = herd_frame_decode(buf, len, &f);
    cr_assert_eq(rc, want, "decode of %zu bytes: got %d (%s), want %d (%s)", len, rc,
                 herd_strerror(rc), want, herd_strerror(want));
    assert_frame_zero(&f);
}

/* Encodes f, decodes the bytes back, and checks both directions; returns the length. */
static int round_trip(const herd_frame *f, uint8_t *buf)
{
    int n = herd_frame_encode(f, buf, HERD_FRAME_MAX_BYTES);
    cr_assert_gt(n, 0, "encode %s: %d (%s)", herd_frame_type_name(f->type), n, herd_strerror(n));
    cr_assert_leq(n, HERD_FRAME_MAX_BYTES);
    cr_assert_eq(buf[0], f->type);
    herd_frame back;
    memset(&back, 0xa5, sizeof back);
    cr_assert_eq(herd_frame_decode(buf, (size_t)n, &back), HERD_OK);
    assert_frame_eq(&back, f);
    return n;
}

/* Calls check(f) for every type at every edge value (and every edge close code). */
static void for_each_edge_frame(void (*check)(const herd_frame *f))
{
    for (uint8_t type = HERD_FRAME_RESUME; type <= HERD_FRAME_CLOSE; type++) {
        for (size_t i = 0; i < EDGE_COUNT; i++) {
            for (size_t c = 0; c < EDGE_CODE_COUNT; c++) {
                herd_frame f = frame_make(type, edge_values[i], edge_codes[c]);
                check(&f);
                if (type != HERD_FRAME_CLOSE) break;
            }
        }
    }
}

static void check_round_trip(const herd_frame *f)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    round_trip(f, buf);
}

Test(frame, round_trip_every_type_at_edge_values) { for_each_edge_frame(check_round_trip); }

Test(frame, round_trip_mixed_field_values)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    for (size_t i = 0; i < EDGE_COUNT; i++) {
        for (size_t j = 0; j < EDGE_COUNT; j++) {
            uint64_t a = edge_values[i], b = edge_values[j];
            herd_frame d = {.type = HERD_FRAME_DELIVER, .msg = a, .room = clamp_u32(b),
                            .sid = {b, a}, .prev = {a, b}};
            round_trip(&d, buf);
            herd_frame r = {.type = HERD_FRAME_RESUME, .client = clamp_u32(a),
                            .room = clamp_u32(b), .sid = {a, b}};
            round_trip(&r, buf);
            herd_frame c = {.type = HERD_FRAME_CLOSE, .code = edge_codes[i % EDGE_CODE_COUNT],
                            .retry_after_ms = clamp_u32(b)};
            round_trip(&c, buf);
        }
    }
}

/* Exact bytes pin the wire format itself, not only its self-consistency. */
Test(frame, known_encodings)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    herd_frame close = {.type = HERD_FRAME_CLOSE, .code = 1000};
    cr_assert_eq(round_trip(&close, buf), 4);
    cr_assert_arr_eq(buf, ((uint8_t[]){7, 0xe8, 0x07, 0x00}), 4);

    herd_frame publish = {.type = HERD_FRAME_PUBLISH, .msg = 300, .room = 1};
    cr_assert_eq(round_trip(&publish, buf), 4);
    cr_assert_arr_eq(buf, ((uint8_t[]){2, 0xac, 0x02, 0x01}), 4);

    herd_frame gap = {.type = HERD_FRAME_GAP, .prev = {1, 2}, .sid = {3, 4}};
    cr_assert_eq(round_trip(&gap, buf), 5);
    cr_assert_arr_eq(buf, ((uint8_t[]){6, 1, 2, 3, 4}), 5);

    herd_frame resumed = {.type = HERD_FRAME_RESUMED, .sid = {UINT64_MAX, 127}};
    cr_assert_eq(round_trip(&resumed, buf), 12);
    cr_assert_arr_eq(buf, ((uint8_t[]){5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0x01, 0x7f}),
                     12);

    herd_frame resume = {.type = HERD_FRAME_RESUME, .client = 128, .room = 0, .sid = {0, 0}};
    cr_assert_eq(round_trip(&resume, buf), 6);
    cr_assert_arr_eq(buf, ((uint8_t[]){1, 0x80, 0x01, 0, 0, 0}), 6);
}

static void check_prefixes_and_extensions(const herd_frame *f)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES + 1];
    int n = round_trip(f, buf);
    for (int len = 0; len < n; len++) assert_decode_fails(buf, (size_t)len, HERD_EFRAME_TRUNCATED);
    static const uint8_t extra[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    for (size_t i = 0; i < sizeof extra; i++) {
        buf[n] = extra[i];
        assert_decode_fails(buf, (size_t)n + 1, HERD_EFRAME_TRAILING);
    }
}

Test(frame, every_strict_prefix_is_truncated_and_every_extension_trails)
{
    for_each_edge_frame(check_prefixes_and_extensions);
}

Test(frame, decode_reads_nothing_from_an_empty_buffer)
{
    assert_decode_fails(NULL, 0, HERD_EFRAME_TRUNCATED);
}

Test(frame, overlong_varints_are_rejected)
{
    /* 1 in two bytes, 0 in two bytes, 0 in ten bytes, 128 in three bytes. */
    assert_decode_fails((uint8_t[]){5, 0x81, 0x00, 0x00}, 4, HERD_EFRAME_VARINT);
    assert_decode_fails((uint8_t[]){5, 0x80, 0x00, 0x00}, 4, HERD_EFRAME_VARINT);
    assert_decode_fails((uint8_t[]){5, 0x00, 0x80, 0x00}, 4, HERD_EFRAME_VARINT);
    assert_decode_fails((uint8_t[]){5, 0x80, 0x81, 0x00, 0x00}, 5, HERD_EFRAME_VARINT);
    uint8_t ten[12] = {5};
    memset(ten + 1, 0x80, 9);
    ten[10] = 0x00, ten[11] = 0x00;
    assert_decode_fails(ten, sizeof ten, HERD_EFRAME_VARINT);
    /* The same shape in the last field of a frame and in a middle field. */
    assert_decode_fails((uint8_t[]){7, 0xe8, 0x07, 0x80, 0x00}, 5, HERD_EFRAME_VARINT);
    assert_decode_fails((uint8_t[]){7, 0xe8, 0x87, 0x00, 0x00}, 5, HERD_EFRAME_VARINT);
}

Test(frame, varints_longer_than_ten_bytes_are_rejected)
{
    uint8_t eleven[13] = {5};
    memset(eleven + 1, 0x80, 10);
    eleven[11] = 0x01, eleven[12] = 0x00;
    assert_decode_fails(eleven, sizeof eleven, HERD_EFRAME_VARINT);
    memset(eleven + 1, 0xff, 10);
    assert_decode_fails(eleven, sizeof eleven, HERD_EFRAME_VARINT);
    /* Known too long at the tenth byte, even though the input ends right there. */
    assert_decode_fails(eleven, 11, HERD_EFRAME_VARINT);
}

Test(frame, ten_byte_varints_overflowing_64_bits_are_rejected)
{
    uint8_t buf[12] = {5};
    memset(buf + 1, 0xff, 9);
    buf[11] = 0;
    buf[10] = 0x01; /* exactly UINT64_MAX: the largest value that fits */
    herd_frame f;
    cr_assert_eq(herd_frame_decode(buf, sizeof buf, &f), HERD_OK);
    cr_assert_eq(f.sid.ms, UINT64_MAX);
    for (unsigned last = 0x02; last <= 0x7f; last++) {
        buf[10] = (uint8_t)last;
        assert_decode_fails(buf, sizeof buf, HERD_EFRAME_VARINT);
    }
    memset(buf + 1, 0x80, 9);
    buf[10] = 0x02; /* 2^64 exactly */
    assert_decode_fails(buf, sizeof buf, HERD_EFRAME_VARINT);
}

Test(frame, varint_cut_inside_continuation_is_truncated)
{
    assert_decode_fails((uint8_t[]){3, 0x80}, 2, HERD_EFRAME_TRUNCATED);
    assert_decode_fails((uint8_t[]){3, 0xff, 0xff, 0xff}, 4, HERD_EFRAME_TRUNCATED);
    assert_decode_fails((uint8_t[]){3, 0x01}, 2, HERD_EFRAME_TRUNCATED);
}

/* Values that are valid varints but do not fit the field they land in. */
Test(frame, values_outside_their_field_are_out_of_range)
{
    /* 2^32 = 0x80 0x80 0x80 0x80 0x10 */
    assert_decode_fails((uint8_t[]){1, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0}, 9,
                        HERD_EFRAME_RANGE);
    assert_decode_fails((uint8_t[]){1, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0}, 9,
                        HERD_EFRAME_RANGE);
    assert_decode_fails((uint8_t[]){2, 0, 0x80, 0x80, 0x80, 0x80, 0x10}, 7, HERD_EFRAME_RANGE);
    assert_decode_fails((uint8_t[]){7, 0xe8, 0x07, 0x80, 0x80, 0x80, 0x80, 0x10}, 8,
                        HERD_EFRAME_RANGE);
    /* Close codes: 0, 999, 5000, 65535, 65536. */
    assert_decode_fails((uint8_t[]){7, 0x00, 0x00}, 3, HERD_EFRAME_RANGE);
    assert_decode_fails((uint8_t[]){7, 0xe7, 0x07, 0x00}, 4, HERD_EFRAME_RANGE);
    assert_decode_fails((uint8_t[]){7, 0x88, 0x27, 0x00}, 4, HERD_EFRAME_RANGE);
    assert_decode_fails((uint8_t[]){7, 0xff, 0xff, 0x03, 0x00}, 5, HERD_EFRAME_RANGE);
    assert_decode_fails((uint8_t[]){7, 0x80, 0x80, 0x04, 0x00}, 5, HERD_EFRAME_RANGE);
    /* The bounds themselves fit: 4999 and UINT32_MAX. */
    herd_frame f;
    cr_assert_eq(herd_frame_decode((uint8_t[]){7, 0x87, 0x27, 0xff, 0xff, 0xff, 0xff, 0x0f}, 8,
                                   &f),
                 HERD_OK);
    cr_assert_eq(f.code, 4999);
    cr_assert_eq(f.retry_after_ms, UINT32_MAX);
}

Test(frame, unknown_type_bytes_are_rejected)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    herd_frame valid = frame_make(HERD_FRAME_DELIVER, 5, 0);
    int n = herd_frame_encode(&valid, buf, sizeof buf);
    cr_assert_gt(n, 0);
    for (unsigned type = 0; type <= 255; type++) {
        if (type >= HERD_FRAME_RESUME && type <= HERD_FRAME_CLOSE) continue;
        buf[0] = (uint8_t)type;
        assert_decode_fails(buf, 1, HERD_EFRAME_TYPE);
        assert_decode_fails(buf, (size_t)n, HERD_EFRAME_TYPE);
        herd_frame f = {.type = (uint8_t)type};
        cr_assert_eq(herd_frame_encode(&f, buf, sizeof buf), HERD_EINVAL);
    }
}

/* Sets the n-th member of herd_frame other than type to a non-zero value. */
static bool frame_poke(herd_frame *f, int n)
{
    switch (n) {
    case 0: f->code = 1000; return true;
    case 1: f->client = 1; return true;
    case 2: f->room = 1; return true;
    case 3: f->retry_after_ms = 1; return true;
    case 4: f->msg = 1; return true;
    case 5: f->sid.ms = 1; return true;
    case 6: f->sid.seq = 1; return true;
    case 7: f->prev.ms = 1; return true;
    case 8: f->prev.seq = 1; return true;
    default: return false;
    }
}

/* Which members each type carries, written from frame.h, in frame_poke's numbering. */
static bool frame_carries(uint8_t type, int n)
{
    static const char *const carried[] = {
        [HERD_FRAME_RESUME] = "12..56..", [HERD_FRAME_PUBLISH] = ".2..4....",
        [HERD_FRAME_ACK] = "....456..", [HERD_FRAME_DELIVER] = "..2.45678",
        [HERD_FRAME_RESUMED] = ".....56..", [HERD_FRAME_GAP] = ".....5678",
        [HERD_FRAME_CLOSE] = "0..3.....",
    };
    const char *s = carried[type];
    for (int i = 0; s[i]; i++) {
        if (s[i] == '0' + n) return true;
    }
    return false;
}

Test(frame, encoder_rejects_non_zero_unused_fields)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    for (uint8_t type = HERD_FRAME_RESUME; type <= HERD_FRAME_CLOSE; type++) {
        for (int n = 0; n < 9; n++) {
            herd_frame f = frame_make(type, 3, 1000);
            cr_assert(frame_poke(&f, n));
            int rc = herd_frame_encode(&f, buf, sizeof buf);
            if (frame_carries(type, n)) {
                cr_assert_gt(rc, 0, "%s field %d", herd_frame_type_name(type), n);
            } else {
                cr_assert_eq(rc, HERD_EINVAL, "%s field %d", herd_frame_type_name(type), n);
            }
        }
    }
}

Test(frame, encoder_rejects_bad_close_codes)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    static const uint16_t bad[] = {0, 1, 999, 5000, 5001, UINT16_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        herd_frame f = {.type = HERD_FRAME_CLOSE, .code = bad[i]};
        cr_assert_eq(herd_frame_encode(&f, buf, sizeof buf), HERD_EINVAL, "code %u", bad[i]);
    }
}

static void check_no_space(const herd_frame *f)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    int n = herd_frame_encode(f, buf, sizeof buf);
    cr_assert_gt(n, 0);
    for (int cap = 0; cap < n; cap++) {
        cr_assert_eq(herd_frame_encode(f, buf, (size_t)cap), HERD_ENOSPACE);
    }
    cr_assert_eq(herd_frame_encode(f, buf, (size_t)n), n);
}

Test(frame, encoder_reports_a_buffer_too_small) { for_each_edge_frame(check_no_space); }

Test(frame, type_names)
{
    const char *seen[HERD_FRAME_CLOSE + 1] = {0};
    for (int type = HERD_FRAME_RESUME; type <= HERD_FRAME_CLOSE; type++) {
        seen[type] = herd_frame_type_name(type);
        cr_assert_str_neq(seen[type], "unknown");
        for (int other = HERD_FRAME_RESUME; other < type; other++) {
            cr_assert_str_neq(seen[type], seen[other]);
        }
    }
    cr_assert_str_eq(herd_frame_type_name(HERD_FRAME_DELIVER), "deliver");
    static const int unknown[] = {-1, 0, 8, 255, 256, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        cr_assert_str_eq(herd_frame_type_name(unknown[i]), "unknown");
    }
}

/* The property behind every decode: an error leaves *f zeroed with a frame error code; a
 * success re-encodes to exactly the input, so there is one wire form per frame. */
static bool check_canonical(const uint8_t *buf, size_t len)
{
    herd_frame f;
    memset(&f, 0xa5, sizeof f);
    int rc = herd_frame_decode(buf, len, &f);
    if (rc != HERD_OK) {
        cr_assert(rc <= HERD_EFRAME_TRUNCATED && rc >= HERD_EFRAME_TRAILING, "rc %d", rc);
        assert_frame_zero(&f);
        return false;
    }
    uint8_t again[HERD_FRAME_MAX_BYTES];
    int n = herd_frame_encode(&f, again, sizeof again);
    cr_assert_eq(n, (int)len, "re-encode of a %zu-byte frame gave %d", len, n);
    cr_assert_arr_eq(again, buf, len);
    return true;
}

Test(frame, every_string_up_to_three_bytes)
{
    uint8_t buf[3] = {0};
    size_t ok = 0;
    ok += check_canonical(buf, 0);
    for (unsigned a = 0; a < 256; a++) {
        buf[0] = (uint8_t)a;
        ok += check_canonical(buf, 1);
        for (unsigned b = 0; b < 256; b++) {
            buf[1] = (uint8_t)b;
            ok += check_canonical(buf, 2);
            for (unsigned c = 0; c < 256; c++) {
                buf[2] = (uint8_t)c;
                ok += check_canonical(buf, 3);
            }
        }
    }
    /* RESUMED and CLOSE (code 1000..4999 in two bytes, then a one-byte hint) fit here. */
    cr_assert_gt(ok, 0);
}

/* Random bytes mostly die on the type byte; bias the draw toward known types and toward
 * the bytes that matter to varints (0x00, 0x01, 0x7f, 0x80, 0xff) so the deep paths of
 * the decoder, success included, see a fair share of the million. */
static uint8_t random_byte(herd_rng *rng)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff};
    uint64_t r = herd_rng_next(rng);
    if ((r & 3) == 0) return interesting[(r >> 2) % sizeof interesting];
    return (uint8_t)(r >> 8);
}

Test(frame, a_million_random_strings_decode_safely_and_canonically)
{
    herd_rng rng;
    herd_rng_seed(&rng, 0x68657264u); /* "herd" */
    uint8_t buf[RANDOM_LEN_MAX];
    size_t ok = 0;
    for (int i = 0; i < RANDOM_STRINGS; i++) {
        size_t len = (size_t)herd_rng_below(&rng, RANDOM_LEN_MAX + 1);
        for (size_t j = 0; j < len; j++) buf[j] = random_byte(&rng);
        if (len > 0 && (herd_rng_next(&rng) & 1)) {
            buf[0] = (uint8_t)herd_rng_range(&rng, HERD_FRAME_RESUME, HERD_FRAME_CLOSE);
        }
        ok += check_canonical(buf, len);
    }
    cr_assert_gt(ok, 1000, "only %zu of %d random strings decoded", ok, RANDOM_STRINGS);
}

/* A value with a random bit length, so every varint length 1..10 is drawn often. */
static uint64_t random_value(herd_rng *rng, uint64_t max)
{
    unsigned bits = (unsigned)herd_rng_below(rng, 65);
    uint64_t v = bits == 0 ? 0 : herd_rng_next(rng) >> (64 - bits);
    return v > max ? max : v;
}

static herd_frame random_frame(herd_rng *rng)
{
    herd_frame f = {.type = (uint8_t)herd_rng_range(rng, HERD_FRAME_RESUME, HERD_FRAME_CLOSE)};
    for (int n = 0; n < 9; n++) {
        if (!frame_carries(f.type, n)) continue;
        switch (n) {
        case 0: f.code = (uint16_t)herd_rng_range(rng, 1000, 4999); break;
        case 1: f.client = (uint32_t)random_value(rng, UINT32_MAX); break;
        case 2: f.room = (uint32_t)random_value(rng, UINT32_MAX); break;
        case 3: f.retry_after_ms = (uint32_t)random_value(rng, UINT32_MAX); break;
        case 4: f.msg = random_value(rng, UINT64_MAX); break;
        case 5: f.sid.ms = random_value(rng, UINT64_MAX); break;
        case 6: f.sid.seq = random_value(rng, UINT64_MAX); break;
        case 7: f.prev.ms = random_value(rng, UINT64_MAX); break;
        case 8: f.prev.seq = random_value(rng, UINT64_MAX); break;
        }
    }
    return f;
}

Test(frame, max_bytes_bounds_every_valid_frame)
{
    uint8_t buf[HERD_FRAME_MAX_BYTES];
    /* The longest frame: DELIVER with every field at its widest. */
    herd_frame widest = {.type = HERD_FRAME_DELIVER, .msg = UINT64_MAX, .room = UINT32_MAX,
                         .sid = {UINT64_MAX, UINT64_MAX}, .prev = {UINT64_MAX, UINT64_MAX}};
    cr_assert_eq(round_trip(&widest, buf), 1 + 10 + 5 + 4 * 10);
    herd_rng rng;
    herd_rng_seed(&rng, 64);
    for (int i = 0; i < RANDOM_FRAMES; i++) {
        herd_frame f = random_frame(&rng);
        round_trip(&f, buf); /* asserts n <= HERD_FRAME_MAX_BYTES */
    }
}
