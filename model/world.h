/* world.h — the model checker's world: C clients, S servers, one shared store and the
 * network between them, built from the real src/ machines, as ONE fixed-size,
 * pointer-free value.
 *
 * A world (hm_world) is copied with memcpy and never holds a pointer: the explorer keeps
 * frontiers of them and hashes them (canon.c). Its size depends on the model (the store
 * and the server-local dedup caches are tails whose size the configuration fixes), so it
 * is allocated as hm_world_bytes(cfg) bytes, zeroed, and only ever copied whole.
 *
 * The network is a bounded set of in-flight items (hm_item): frames client->server and
 * server->client on a connection, store requests and results between a session and the
 * store, and pub/sub fan-out notifications to sessions. Frames on one connection and the
 * store traffic of one session are FIFO (TCP, one Redis connection), marked by `pos`;
 * fan-out to one session is FIFO too (pub/sub order). The item array is always kept
 * sorted (canonical order) so equal worlds have equal bytes for their items. In the eager
 * network (hm_config.s2c_eager_on) server->client frames are never in flight: a session
 * step hands them to the client at once, and their loss or duplication are variants of
 * that step (see "Variants" below).
 *
 * Transitions (hm_label) are the choices: publish, deliver an item, the faults within
 * their budget, the load balancer's pick, timers. hm_world_apply() calls the machines and
 * drains their outboxes into the world, and the oracle fields record what the properties
 * need (model/props.c checks them). Numbered properties are those of docs/protocol.md. */
#ifndef HERD_MODEL_WORLD_H
#define HERD_MODEL_WORLD_H

#include "client.h"
#include "server.h"
#include "store.h"
#include "trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HM_CLIENTS_MAX 4
#define HM_SERVERS_MAX 3
#define HM_MSGS_MAX 4      /* messages per client; clients * messages <= 64 (bitmaps) */
#define HM_ITEMS_MAX 28    /* in-flight items, all kinds together */
#define HM_READ_MAX 4      /* entries in one modelled read (read_batch <= this) */
#define HM_STORE_BYTES_MAX 4096
#define HM_LOCAL_BYTES_MAX 1024
#define HM_CLOSE_CODES_MAX 4
#define HM_NONE 0xffu
#define HM_BUDGET_MAX 8    /* per fault kind (model files: 0..8) */
#define HM_RNG_SEED 1u     /* every client's generator seed (world init; the trace header's rng_seed) */

/* Fault kinds, each with its own budget. */
enum hm_fault {
    HM_F_DROP = 0,
    HM_F_DUP,
    HM_F_CLOSE,
    HM_F_SERVER_CRASH,
    HM_F_STORE_CRASH,
    HM_F_OFFLINE,
    HM_F_TIME_JUMP,
    HM_F_COUNT
};

/* Property ids (docs/protocol.md). 0 = none; HM_P_INTERNAL = the model itself broke. */
enum hm_prop {
    HM_P_NONE = 0,
    HM_P_I1, HM_P_I2, HM_P_I3, HM_P_I4, HM_P_I5, HM_P_I6, HM_P_I7, HM_P_I8, HM_P_L1,
    HM_P_INTERNAL,
    HM_P_COUNT
};

enum hm_lb { HM_LB_STICKY = 0, HM_LB_ANY = 1 };
/* queued: frames to the client wait in flight like every other; eager: the client reads
 * them within the step that sent them, and losing or duplicating them are variants of
 * that step (world.h, "Variants"); auto: eager unless closes or offline are budgeted. */
enum hm_s2c { HM_S2C_QUEUED = 0, HM_S2C_EAGER = 1, HM_S2C_AUTO = 2 };

typedef struct hm_config {
    uint32_t clients, servers, messages;
    herd_protocol proto;
    herd_store_config store;
    uint8_t lb;                      /* enum hm_lb */
    uint8_t s2c_eager;               /* enum hm_s2c: how server->client frames travel (world.c) */
    uint8_t symmetry;                /* canonicalise over identical clients */
    uint8_t n_close_codes;
    uint16_t close_codes[HM_CLOSE_CODES_MAX];
    uint16_t budget[HM_F_COUNT];
    uint32_t props_mask;             /* bit p: check property p */
    uint32_t liveness_steps;         /* K: L1's bound on the fault-free schedule */
    herd_client_config client;
    herd_server_config server;
    uint32_t local_capacity;         /* dedup_local: records per server cache */
    herd_time local_window_us;
    /* Derived by hm_config_check (canon.c's abstractions; docs/model-checking.md): */
    uint8_t attempts_free;           /* the backoff never reads attempt, tokens, rng, live_since */
    uint8_t time_free;               /* only the order of stream ids depends on the clock */
    uint8_t s2c_eager_on;            /* eager delivery in effect (auto: no close, no offline) */
} hm_config;

enum hm_item_kind { HM_IT_C2S = 1, HM_IT_S2C, HM_IT_SREQ, HM_IT_SRES, HM_IT_FAN };

/* A frame with type 0 in an S2C item is a close notice: the client learns the
 * connection died (code in frame.code), after the frames ahead of it. */
typedef struct hm_pubres {
    uint8_t op;
    uint8_t status, durable, pad;
    int32_t err;
    uint32_t room;
    uint32_t pad2;
    herd_msg_id msg;
    herd_sid sid, prev;
    uint64_t lsn;
} hm_pubres;

typedef struct hm_item {
    uint8_t kind;     /* enum hm_item_kind */
    uint8_t client;
    uint8_t server;
    uint8_t pos;      /* FIFO position in its channel (0 = head); 0 for fan-out */
    uint32_t conn;    /* the client's connection generation */
    union {
        herd_frame frame;   /* C2S, S2C */
        herd_store_req req; /* SREQ */
        hm_pubres res;      /* SRES; op READ: the entries are in the world's read slot */
        struct { herd_sid sid, prev; herd_msg_id msg; uint32_t room, pad; } fan;
    } u;
} hm_item;

typedef struct hm_readslot {
    uint8_t full;
    uint8_t n;
    int16_t err;
    uint32_t pad;
    herd_read_info info;
    herd_entry e[HM_READ_MAX];
} hm_readslot;

typedef struct hm_world {
    herd_time now;
    uint16_t budget[HM_F_COUNT];     /* faults left */
    uint8_t violation;               /* enum hm_prop found during the last transition */
    uint8_t server_up[HM_SERVERS_MAX];
    uint8_t cur_server[HM_CLIENTS_MAX];  /* server of the current connection, or HM_NONE */
    uint8_t last_server[HM_CLIENTS_MAX]; /* for the sticky LB */
    uint8_t pending[HM_CLIENTS_MAX];     /* a CONNECT waits for the LB */
    uint8_t sub[HM_SERVERS_MAX][HM_CLIENTS_MAX];
    uint16_t n_items;
    /* Transient, per transition (never encoded): the variant the transition asks of the
     * server->client frames it sends (eager mode: 0 plain, HM_V_SEVER + j, HM_V_DUP + i)
     * and whether the variant found its frame. */
    uint8_t variant;
    uint8_t variant_hit;
    uint8_t replies;   /* frames the transition's session step sent its client (eager) */
    /* Eager mode: the server->client direction of session (s, c)'s connection is lost
     * (a frame was lost on it; a kill must follow, or the client times out). */
    uint8_t severed[HM_SERVERS_MAX][HM_CLIENTS_MAX]; /* 0, HM_SEVERED_DROP or HM_SEVERED_CRASH */
    uint8_t crashing[HM_SERVERS_MAX]; /* eager mode: the server's crash is paid for and will come */
    herd_client client[HM_CLIENTS_MAX];
    herd_rng rng[HM_CLIENTS_MAX];
    herd_session sess[HM_SERVERS_MAX][HM_CLIENTS_MAX];
    hm_readslot rr[HM_SERVERS_MAX][HM_CLIENTS_MAX];
    /* oracle: message index m = client * messages + seq - 1 */
    uint64_t acked;                        /* ACKED effect seen */
    uint64_t delivered[HM_CLIENTS_MAX];    /* DELIVER effect seen, per receiving client */
    uint64_t gapped[HM_CLIENTS_MAX];       /* covered by a GAP, per receiving client */
    herd_sid last_deliv[HM_CLIENTS_MAX];   /* last delivered sid or gap end */
    herd_sid msg_sid[HM_CLIENTS_MAX * HM_MSGS_MAX]; /* where the surviving append is */
    uint64_t msg_lsn[HM_CLIENTS_MAX * HM_MSGS_MAX]; /* its lsn; 0 = not in the store */
    hm_item items[HM_ITEMS_MAX];
    /* tail: store block (cfg->store), then one local dedup block per server */
    _Alignas(8) unsigned char tail[];
} hm_world;

enum hm_label_kind {
    HM_T_PUBLISH = 1, HM_T_DELIVER, HM_T_DROP, HM_T_DUP, HM_T_CLOSE, HM_T_OFFLINE,
    HM_T_SERVER_CRASH, HM_T_SERVER_RESTART, HM_T_STORE_CRASH, HM_T_FSYNC, HM_T_CONNECT,
    HM_T_REFUSE, HM_T_TIMER, HM_T_TIME_JUMP,
    HM_T_KILL,    /* eager mode: a drop kills a severed connection (a = client, b = server) */
    HM_T_COUNT
};

/* Variants of a session-side delivery in eager mode (hm_label.b): the frames the step
 * sends to the client are all delivered (0); or the first j are and the rest are lost,
 * with everything the connection carries to the client after them, because the
 * connection is going to die — by the drop (HM_V_SEVER + j: the drop's budget is spent
 * now, and the kill is an obligation, HM_T_KILL) or by a crash of its server
 * (HM_V_SEVERC + j: the crash's budget is spent now if it was not, and the crash is an
 * obligation); or frame i arrives twice (HM_V_DUP + i). Obligations are part of the
 * fault-free schedule, so L1 sees them happen. A variant whose frame the step does not
 * send is not a transition: hm_world_apply returns HM_APPLY_NA. */
#define HM_SEND_MAX 8
#define HM_V_SEVER 1u    /* + j: lost after j frames, the drop kills the connection next */
#define HM_V_SEVERC 16u  /* + j: lost after j frames, the server's crash kills it next */
#define HM_V_DUP 32u     /* + i: frame i arrives twice */
#define HM_APPLY_NA 1
enum { HM_SEVERED_DROP = 1, HM_SEVERED_CRASH = 2 };

/* One transition: kind and up to two operands (client, server, item index, code index). */
typedef struct hm_label {
    uint8_t kind;
    uint8_t a;
    uint8_t b;
    uint8_t pad;
} hm_label;

#define HM_LABELS_MAX 256

/* What replay needs to re-feed the machines: every machine input, in order, and the
 * effects it produced. The world calls rec->input / rec->effect when rec is not NULL. */
typedef struct hm_recorder hm_recorder;
struct hm_recorder {
    void (*emit)(hm_recorder *r, const herd_trace_rec *rec);
    void *ctx;
    uint32_t step;   /* the world step the records belong to */
};

size_t hm_world_bytes(const hm_config *cfg);
size_t hm_world_store_bytes(const hm_config *cfg);
size_t hm_world_local_bytes(const hm_config *cfg);
herd_store *hm_world_store(hm_world *w);
const herd_store *hm_world_store_c(const hm_world *w);
herd_dedup *hm_world_local(hm_world *w, const hm_config *cfg, uint32_t server); /* NULL unless dedup_local */
const herd_dedup *hm_world_local_c(const hm_world *w, const hm_config *cfg, uint32_t server);

/* Validate ranges and fill derived fields; HERD_OK or HERD_EINVAL with *why set. */
int hm_config_check(hm_config *cfg, const char **why);
/* Fill the derived fields (attempts_free, time_free); hm_config_check calls it, and so
 * does the explorer, in case a caller changed the budget after the check. */
void hm_config_derive(hm_config *cfg);
/* Defaults for everything a model file may leave out. */
void hm_config_defaults(hm_config *cfg);

/* dst = src, byte for byte, copying only what cfg uses (dst must already hold a world of
 * the same configuration: a whole copy made once, or hm_world_init's). */
void hm_world_copy(hm_world *dst, const hm_world *src, const hm_config *cfg);
/* Build the initial world in w (hm_world_bytes(cfg) bytes): clients started. */
int hm_world_init(hm_world *w, const hm_config *cfg, hm_recorder *rec);
/* The enabled transitions, in a fixed order; returns how many (<= HM_LABELS_MAX). */
uint32_t hm_world_enabled(const hm_world *w, const hm_config *cfg, hm_label *out, bool faults);
/* Apply one enabled transition. HERD_OK; HM_APPLY_NA when the label is a variant that
 * does not apply here (w is then garbage: the caller discards it); or a fatal machine
 * error (the model is broken: w->violation = HM_P_INTERNAL). */
int hm_world_apply(hm_world *w, const hm_config *cfg, hm_label l, hm_recorder *rec);
/* Human-readable label ("deliver s2c client 0 <- server 0: DELIVER 0:1 @0-1"). */
void hm_label_format(const hm_world *w, const hm_config *cfg, hm_label l, char *out, size_t size);

/* Properties (props.c). The first violated property on this state, or HM_P_NONE. */
int hm_props_check(const hm_world *w, const hm_config *cfg);
/* L1's end condition on a quiescent world: HM_P_NONE, HM_P_L1 or HM_P_I1. */
int hm_props_quiescent(const hm_world *w, const hm_config *cfg);
bool hm_world_quiescent(const hm_world *w, const hm_config *cfg);
const char *hm_prop_name(int p);   /* "I1" ... */
const char *hm_prop_title(int p);  /* "no loss" ... */
int hm_prop_parse(const char *s);  /* HM_P_* or -1 */

/* The fault-free, deterministic fair schedule L1 follows: the first progress transition
 * in a fixed priority order, or false when the world is quiescent. */
bool hm_world_progress(const hm_world *w, const hm_config *cfg, hm_label *out);

static inline uint32_t hm_msg_index(const hm_config *cfg, herd_msg_id m)
{
    return herd_msg_client(m) * cfg->messages + herd_msg_seq(m) - 1u;
}

#endif
