/* trace.h — herd's trace format, shared by the simulator and the model checker.
 *
 * A trace is a JSON Lines file (docs/trace-format.md). Line 1 is the header: a flat object
 * with "format":"herd-trace", "version", "herd" (the version that wrote it), "source"
 * ("model" or "sim"), the model or scenario file, the seed, and every parameter a
 * replayer needs to rebuild fresh machines. Every further line is one record: a core
 * input fed to one actor, an effect an actor produced, a world step (the transition, as
 * readable text), or the end marker. Records carry a step number; inputs and effects of
 * one step share it. Values are unsigned integers or strings; stream ids are "ms-seq"
 * strings and message ids "client:seq" strings, so a person can grep them.
 *
 * This file owns writing and reading that format. The reader accepts exactly the subset
 * of JSON the writer emits (one flat object per line: string, unsigned integer and
 * boolean values; no nesting), and reports "file:line:col: message" on anything else; we do
 * not pull in a general JSON parser for it (see docs/trace-format.md). */
#ifndef HERD_TRACE_H
#define HERD_TRACE_H

#include "effect.h"
#include "frame.h"
#include "types.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define HERD_TRACE_VERSION 1
#define HERD_TRACE_LINE_MAX 4096
#define HERD_TRACE_HEADER_MAX 48 /* header fields */
#define HERD_TRACE_KEY_MAX 32
#define HERD_TRACE_VALUE_MAX 256
#define HERD_TRACE_TEXT_MAX 200

enum herd_trace_what {
    HERD_TRACE_INPUT = 1, /* "input": a core input fed to the actor */
    HERD_TRACE_EFFECT,    /* "effect": what the actor asked for */
    HERD_TRACE_STEP,      /* "transition": the world's choice at this step, as text */
    HERD_TRACE_END,       /* "end": last record; "quiescent" says the run ended at rest */
};

/* Optional fields of a record: bit set in `has` when present. */
enum herd_trace_field {
    HERD_TF_NOW = 1u << 0,
    HERD_TF_CONN = 1u << 1,
    HERD_TF_CODE = 1u << 2,
    HERD_TF_RETRY = 1u << 3,
    HERD_TF_FRAME = 1u << 4,
    HERD_TF_CLIENT = 1u << 5,
    HERD_TF_ROOM = 1u << 6,
    HERD_TF_MSG = 1u << 7,
    HERD_TF_SID = 1u << 8,
    HERD_TF_PREV = 1u << 9,
    HERD_TF_OP = 1u << 10,
    HERD_TF_LIMIT = 1u << 11,
    HERD_TF_AFTER = 1u << 12,
    HERD_TF_TEXT = 1u << 13,
    HERD_TF_QUIESCENT = 1u << 14,
};

typedef struct herd_trace_rec {
    uint32_t step;
    uint8_t what;              /* enum herd_trace_what */
    uint8_t frame;             /* herd_frame_type (0: a close notice, see the format doc) */
    uint8_t op;                /* herd_store_op */
    uint8_t quiescent;
    uint32_t has;              /* enum herd_trace_field bits */
    char actor[32];            /* "client:0", "server:1/client:0", "server:1", "store", "world" */
    char name[24];             /* input or effect name */
    uint64_t now;
    uint32_t conn;
    uint16_t code;
    uint16_t limit;
    uint32_t retry_after_ms;
    uint32_t client;
    uint32_t room;
    herd_msg_id msg;
    herd_sid sid, prev, after;
    char text[HERD_TRACE_TEXT_MAX];
} herd_trace_rec;

/* The header: ordered key/value pairs (numbers or strings). */
typedef struct herd_trace_header {
    uint32_t n;
    char key[HERD_TRACE_HEADER_MAX][HERD_TRACE_KEY_MAX];
    char val[HERD_TRACE_HEADER_MAX][HERD_TRACE_VALUE_MAX];
    bool num[HERD_TRACE_HEADER_MAX];
} herd_trace_header;

/* Header building: "format", "version" and "herd" are added by herd_trace_header_init. */
void herd_trace_header_init(herd_trace_header *h, const char *source);
void herd_trace_header_str(herd_trace_header *h, const char *key, const char *v);
void herd_trace_header_u64(herd_trace_header *h, const char *key, uint64_t v);
const char *herd_trace_header_get(const herd_trace_header *h, const char *key); /* NULL if absent */
/* The machines' parameters, the part of the header the simulator and the model checker
 * share, written by this one function in one order: protocol, durability, maxlen,
 * dedup_capacity, dedup_window_us, queue_max, backoff (the policy's name), backoff_us,
 * connect_timeout_us, resume_timeout_us, ack_timeout_us, stable_reset_us, read_batch. */
struct herd_client_config;
struct herd_server_config;
struct herd_store_config;
void herd_trace_header_machines(herd_trace_header *h, const struct herd_client_config *cc,
                                const struct herd_server_config *sc, const struct herd_store_config *st);

/* The record's optional fields, described once: every writer walks this list (the JSONL
 * writer, `herd render`'s sequence charts and its Perfetto export), so a field added here
 * reaches all three in the same order with the same key. */
enum herd_trace_field_kind { HERD_TFK_U64 = 0, HERD_TFK_STR, HERD_TFK_BOOL };
typedef struct herd_trace_field_desc {
    uint32_t bit;      /* enum herd_trace_field */
    const char *key;   /* its JSON key */
    uint8_t kind;      /* enum herd_trace_field_kind */
} herd_trace_field_desc;
/* Called for each field of r present in mask, in the list's order: num for U64 and BOOL,
 * str (formatted: "0:1", "0-1", a frame's name, the text) for STR. */
typedef void (*herd_trace_field_fn)(void *ctx, const herd_trace_field_desc *f, uint64_t num, const char *str);
void herd_trace_rec_fields(const herd_trace_rec *r, uint32_t mask, herd_trace_field_fn fn, void *ctx);
/* The fields of r in mask as JSON key/value pairs into an open object. */
struct herd_json;
void herd_trace_json_fields(struct herd_json *j, const herd_trace_rec *r, uint32_t mask);

/* Writing: returns 0, -EIO, or -EOVERFLOW for a line longer than HERD_TRACE_LINE_MAX (which
 * the reader would refuse). Nothing is allocated. */
int herd_trace_write_header(FILE *f, const herd_trace_header *h);
int herd_trace_write_rec(FILE *f, const herd_trace_rec *r);
/* One readable line for a record ("  client:0  <- frame DELIVER msg 0:1 sid 0-1"). */
void herd_trace_format_rec(const herd_trace_rec *r, char *out, size_t size);

/* Reading. The reader holds the file; errors are "file:line:col: message". A failure to open
 * or read (as opposed to a malformed trace) also sets io_errno: exit 74, not 65. */
typedef struct herd_trace_reader {
    FILE *f;
    const char *name;
    uint32_t line;
    uint32_t col;        /* 1-based column the last message points at */
    int io_errno;        /* errno of an open or read failure, else 0 */
    char error[512];
    char buf[HERD_TRACE_LINE_MAX + 2];
} herd_trace_reader;

int herd_trace_open(herd_trace_reader *r, const char *path); /* 0, or -errno */
/* Read an already open stream (tests, fuzzing); name is for messages. Close takes f. */
void herd_trace_open_stream(herd_trace_reader *r, FILE *f, const char *name);
void herd_trace_close(herd_trace_reader *r);
/* 0 and *h filled, or -1 with r->error set. */
int herd_trace_read_header(herd_trace_reader *r, herd_trace_header *h);
/* 1 a record, 0 end of file, -1 malformed (r->error set). */
int herd_trace_read_rec(herd_trace_reader *r, herd_trace_rec *rec);

/* Value syntaxes shared by writer and reader. */
void herd_trace_fmt_sid(herd_sid s, char *out, size_t size);   /* "ms-seq" */
void herd_trace_fmt_msg(herd_msg_id m, char *out, size_t size); /* "client:seq" */
bool herd_trace_parse_sid(const char *s, herd_sid *out);
bool herd_trace_parse_msg(const char *s, herd_msg_id *out);
const char *herd_trace_frame_name(int type);  /* "deliver" ..., "notice" for 0 */
/* A store operation (enum herd_store_op, a record's `op`) by name: "publish+dedup", "append",
 * "read", "?" otherwise. The one naming of operations: the sequence chart's labels
 * (render/msc.c), the text counterexample's steps (model/world_apply.c) and its record
 * lines (herd_trace_format_rec) all print it, never the number. */
const char *herd_trace_store_op_name(int op);
/* The one mapping from the core's frames and effects to record fields, shared by the
 * simulator's sampled trace and the model checker's counterexamples. herd_trace_rec_frame
 * sets the frame's fields and their `has` bits; herd_trace_rec_effect sets an effect's
 * (r->has is replaced: conn plus the effect's fields). */
void herd_trace_rec_frame(herd_trace_rec *r, const herd_frame *f);
void herd_trace_rec_effect(herd_trace_rec *r, const herd_effect *e);
const char *herd_trace_effect_name(int kind); /* "connect" ... "fanout", "?" otherwise */
int herd_trace_frame_parse(const char *s);    /* type, or -1 */

#endif
