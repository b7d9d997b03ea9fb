/* world.h — the simulated world: clients, network, accept path, load balancer, servers,
 * shared store, workload and faults, driven by one event queue on a virtual clock.
 *
 * The world owns every entity and the one clock. It feeds inputs to the core machines
 * (src/client.h, src/server.h, src/store.h), drains each outbox in order and turns every
 * effect into events: CONNECT becomes a SYN through the load balancer and a server's accept
 * queue, SEND a frame delivered after network latency (FIFO per connection, as TCP),
 * STORE a store operation after store latency, FANOUT a delivery to every session
 * subscribed to the room. The oracle (oracle.h) watches every ACK, append, DELIVER and GAP.
 *
 * Memory: each client is one 128-byte, 128-aligned slot (herd_client_slot): the core
 * herd_client, the oracle's last delivered id for it and the 16-byte herd_sim_client, so
 * an event that visits a client touches one aligned pair of cache lines. Sessions,
 * in-flight frames and store operations come from pools (pool.h) of fixed-size blocks
 * up to stated maxima. Nothing is allocated per client. Randomness is drawn from streams
 * derived from (seed, entity, purpose ^ counter) (common random numbers), never from a
 * shared stream.
 *
 * Speed: the loop pops HERD_LOOKAHEAD events ahead of the one it runs and prefetches
 * what each will touch (client slot, session, parcel), so the cache misses of a random
 * client overlap instead of queueing one behind the other. Events pushed earlier than
 * the last popped one wait in a small side heap; the order of events is exactly the
 * queue's (time, push order), as if there were no look-ahead (see world.c).
 *
 * The sub-models live in files named for what they hold: net.c, accept.c, lb.c,
 * servers.c, store_node.c, workload.c, faults.c, oracle.c, metrics.c. This header is
 * their shared contract; only run.c runs the loop. */
#ifndef HERD_SIM_WORLD_H
#define HERD_SIM_WORLD_H

#include "client.h"
#include "dedup.h"
#include "delays.h"
#include "hash.h"
#include "oracle.h"
#include "metrics.h"
#include "pool.h"
#include "queue.h"
#include "server.h"
#include "store.h"

#define HERD_WORLD_CLIENTS_MAX 20000000u
#define HERD_WORLD_SERVERS_MAX 1024u
#define HERD_WORLD_FAULTS_MAX 64u
#define HERD_WORLD_PARTITIONS_MAX 16u
#define HERD_BACKLOG_MAX (1u << 20)
#define HERD_WORKERS_MAX 1024u
#define HERD_SYN_RETRIES_MAX 12u
#define HERD_LOOKAHEAD 16u        /* events popped ahead of the one running (prefetch) */
#define HERD_EARLY_MAX (1u << 28) /* side-heap bound: events pushed behind the look-ahead */

enum herd_lb_policy {
    HERD_LB_STICKY = 0, /* consistent hash on the client id (affinity) */
    HERD_LB_ROUND_ROBIN,
    HERD_LB_LEAST_CONN,
    HERD_LB_RANDOM,
    HERD_LB_P2C, /* power of two choices on connection count */
    HERD_LB_POLICY_COUNT
};

enum herd_fault_kind {
    HERD_FAULT_CRASH = 1,     /* servers [first, first+count) crash; restart after duration */
    HERD_FAULT_GRACEFUL,      /* drain with code over drain_us, down for duration, restart */
    HERD_FAULT_ROLLING,       /* graceful restart of each server in turn, interval apart */
    HERD_FAULT_LB_RESTART,    /* every connection through the LB reset; SYNs dropped */
    HERD_FAULT_PARTITION,     /* packets from a to b (and b to a unless oneway) held */
    HERD_FAULT_NET_BURST,     /* loss_ppm and extra latency for duration */
    HERD_FAULT_STORE_CRASH,   /* store crash (durability mode decides what survives) */
    HERD_FAULT_OFFLINE,       /* clients [first, first+count) lose their network */
    HERD_FAULT_CHURN,         /* a fraction of clients go offline at random, again and again
                               * (churn.h), from at_us until at_us + duration_us */
    HERD_FAULT_KIND_COUNT
};

/* A set of entities a partition cuts: a kind and an index range. */
enum herd_group_kind { HERD_GROUP_CLIENTS = 1, HERD_GROUP_LB, HERD_GROUP_SERVERS, HERD_GROUP_STORE };

typedef struct herd_group {
    uint8_t kind;   /* enum herd_group_kind */
    uint32_t first;
    uint32_t count; /* 0 = all of that kind */
} herd_group;

typedef struct herd_fault {
    uint8_t kind;          /* enum herd_fault_kind */
    uint8_t oneway;        /* PARTITION: only a -> b */
    uint16_t code;         /* GRACEFUL, ROLLING: 1001 or 1012 */
    uint32_t first;        /* servers or clients range */
    uint32_t count;        /* 0 = all */
    uint32_t loss_ppm;     /* NET_BURST */
    uint32_t retry_after_ms; /* GRACEFUL, ROLLING: hint sent with the close */
    herd_time at_us;
    herd_time duration_us;
    herd_time drain_us;    /* GRACEFUL, ROLLING */
    herd_time interval_us; /* ROLLING: between two servers */
    herd_time latency_us;  /* NET_BURST: extra one-way latency */
    herd_group a, b;       /* PARTITION */
    /* CHURN (churn.h): each client of [first, first+count) churns with probability
     * fraction_ppm; a churning client stays online for an exponential time of mean
     * interval_us, then offline for a time drawn from off_dist, again and again. */
    uint32_t fraction_ppm;
    uint8_t off_dist;      /* enum herd_churn_dist */
    herd_time off_a_us;    /* FIXED: the time; UNIFORM: min; EXPONENTIAL: mean */
    herd_time off_b_us;    /* UNIFORM: max */
} herd_fault;

typedef struct herd_world_config {
    uint64_t seed;
    uint32_t clients;
    uint32_t rooms;
    uint32_t servers;
    uint8_t queue_kind;   /* enum herd_queue_kind */
    uint8_t lb_policy;    /* enum herd_lb_policy */
    uint8_t swarm;
    uint8_t pad;
    herd_time duration_us;
    herd_time metrics_interval_us;
    herd_time start_spread_us; /* clients start uniformly over [0, spread] */
    /* network */
    herd_time latency_us;      /* one-way client <-> server, base */
    herd_time jitter_us;       /* + U[0, jitter] */
    uint32_t loss_ppm;         /* lost SYN: retransmitted; lost frame: delayed by rto */
    herd_time rto_us;
    herd_time store_latency_us;  /* one-way server <-> store */
    herd_time pubsub_latency_us; /* store -> subscribed sessions */
    /* accept path, per server */
    uint32_t backlog;
    uint32_t workers;
    herd_time handshake_us;
    uint32_t syn_retries;
    herd_time syn_rto_us;
    uint32_t max_conns;        /* 0 = unlimited; over it: close 1013 */
    uint32_t retry_after_ms;   /* hint sent with 1013 */
    /* load balancer */
    uint32_t lb_rate_per_s;    /* new connections per second, 0 = unlimited */
    uint32_t lb_burst;
    herd_time health_lag_us;
    /* workload */
    herd_time publish_interval_us; /* mean interval per publisher; 0 = no publishing */
    uint32_t publishers_ppm;       /* share of clients that publish */
    herd_time workload_start_us;
    herd_time workload_stop_us;    /* publishing stops here so the run can quiesce */
    /* machines */
    herd_client_config client;
    herd_server_config server;
    herd_store_config store;
    /* faults */
    uint32_t fault_count;
    herd_fault faults[HERD_WORLD_FAULTS_MAX];
    /* oracle */
    uint32_t oracle_capacity;  /* appended message ids remembered (I2) */
} herd_world_config;

/* Per-client simulator record: 16 bytes beside the 88-byte core client. */
typedef struct herd_sim_client {
    herd_time timer_at;  /* deadline an event is pending for; HERD_TIME_NEVER if none */
    uint32_t session;    /* session slot + 1 of the current connection; 0 = none */
    uint16_t server;     /* server of the current connection */
    uint8_t flags;       /* HERD_SC_* */
    uint8_t pad;
} herd_sim_client;

/* HERD_SC_OFFLINE: no network. It is set while any cause holds: an offline fault
 * (HERD_SC_OFF_FAULT) or a churn period (HERD_SC_OFF_CHURN), so one cause healing does not
 * bring back a client the other still holds offline (faults.c). */
enum { HERD_SC_OFFLINE = 1, HERD_SC_PUBLISHER = 2, HERD_SC_LIVE_COUNTED = 4, HERD_SC_OFF_FAULT = 8,
       HERD_SC_OFF_CHURN = 16 };

/* Everything the world keeps per client, in one slot of two cache lines: the core
 * machine (88 B), the oracle's last delivered id (16 B, oracle.h), the sim record
 * (16 B) and when the client lost LIVE (4 B, delays.h). 4 bytes are spare. Aligned to 128
 * so the pair of lines is one unit for the CPU's adjacent-line prefetcher. */
typedef struct herd_client_slot {
    _Alignas(128) herd_client c;
    herd_sid seen;       /* the oracle's: last id delivered to this subscriber */
    herd_sim_client sim;
    uint32_t lost_ms;    /* delays.h: ms + 1 when LIVE was lost and is not back; else 0 */
} herd_client_slot;

_Static_assert(sizeof(herd_client_slot) == 128, "one client = two cache lines");

/* A server session: 80 bytes. Its client is s.client, set at open (the core sets the
 * same id again when RESUME arrives). */
typedef struct herd_sim_session {
    herd_session s;
    herd_time to_client_at; /* last frame arrival at the client: TCP keeps order */
    herd_time to_server_at;
    herd_time store_at;     /* last store result: results come back in issue order */
    uint32_t gen;           /* slot generation; events for an older use are stale */
    uint32_t room_next;     /* room subscriber list, slot + 1; also the free list */
    uint32_t room_prev;
    uint16_t server;
    uint8_t subscribed;
    uint8_t in_use;
} herd_sim_session;

_Static_assert(sizeof(herd_sim_session) <= 80, "session budget");

typedef struct herd_pending_syn {
    uint32_t client;
    uint32_t conn;
} herd_pending_syn;

typedef struct herd_sim_server {
    uint8_t up;            /* process running */
    uint8_t lb_up;         /* what the load balancer believes (lags by health_lag) */
    uint8_t draining;      /* graceful shutdown: no new connections, until it starts again */
    uint8_t lb_counted;    /* counted in lb_eligible (lb.c) */
    uint32_t epoch;        /* increments at every crash/stop: stale handshakes dropped */
    uint32_t conns;        /* open sessions */
    uint32_t busy;         /* handshakes on the CPU now */
    uint32_t q_head, q_len; /* accept queue ring in world.accept[server * backlog] */
    herd_dedup *local;     /* dedup_local variant's cache, or NULL */
} herd_sim_server;

typedef struct herd_frame_parcel {
    herd_frame f;
    uint32_t gen;  /* to the client: its conn; to a session: the slot generation */
    uint32_t slot; /* to the client: the session slot it came from */
} herd_frame_parcel;

typedef struct herd_store_parcel {
    herd_store_req req;
    uint32_t slot;
    uint32_t gen;
    int16_t err;
    herd_publish_result pub; /* writes run at the store; the result travels back */
} herd_store_parcel;

typedef struct herd_partition {
    herd_group a, b;
    uint8_t oneway;
    herd_time until_us;
} herd_partition;

enum herd_event_kind {
    HERD_EV_CLIENT_START = 1,
    HERD_EV_CLIENT_TIMER,   /* arg: deadline the event was armed for */
    HERD_EV_CLIENT_FRAME,   /* arg: frame parcel */
    HERD_EV_CLIENT_CLOSE,   /* arg: conn | code << 32 */
    HERD_EV_CLIENT_OPEN,    /* arg: conn | slot << 32 */
    HERD_EV_PUBLISH,
    HERD_EV_SYN,            /* target client; arg: conn | try << 32 */
    HERD_EV_HANDSHAKE_DONE, /* target server; arg: client | conn << 32; epoch via pool? */
    HERD_EV_SESSION_FRAME,  /* arg: frame parcel */
    HERD_EV_SESSION_FIN,    /* target slot; arg gen: the client closed */
    HERD_EV_STORE_EXEC,     /* arg: store parcel */
    HERD_EV_STORE_RESULT,   /* arg: store parcel */
    HERD_EV_STORE_FSYNC,
    HERD_EV_FANOUT,         /* arg: frame parcel holding room, sid, prev, msg */
    HERD_EV_FAULT,          /* target: fault index; arg: phase */
    HERD_EV_SERVER_CLOSE,   /* target slot; arg: gen | code << 32 (drain closes) */
    HERD_EV_LB_HEALTH,      /* target server; arg: new lb_up */
    HERD_EV_METRICS,
    HERD_EV_KIND_COUNT
};

typedef struct herd_world {
    herd_world_config cfg;
    herd_time now;
    herd_queue *q;
    herd_client_slot *slots;      /* clients, one 128-byte slot each */
    herd_sim_server *servers;
    herd_pending_syn *accept;     /* servers * backlog */
    herd_pool sessions;           /* herd_sim_session */
    herd_pool frames;             /* herd_frame_parcel */
    herd_pool store_ops;          /* herd_store_parcel */
    uint32_t *room_head;          /* first subscribed session slot + 1, per room */
    herd_store *store;
    size_t store_bytes;
    uint8_t store_up;
    uint8_t lb_up;
    uint8_t stop;                 /* the run ends at the next event */
    uint32_t partition_count;
    herd_partition partitions[HERD_WORLD_PARTITIONS_MAX];
    uint32_t burst_loss_ppm;
    herd_time burst_latency_us;
    herd_time burst_until_us;
    uint32_t rr_next;             /* round robin cursor */
    uint32_t lb_eligible;         /* servers the LB may pick (lb_up, not draining) */
    uint32_t lb_leaves;           /* least_conn's tree: a power of two >= servers */
    uint64_t *lb_tree;            /* 2 x lb_leaves keys, the minimum at [1] (lb.c) */
    uint64_t lb_tokens_milli;     /* rate limit bucket, thousandths of a token */
    herd_time lb_tokens_at;
    herd_time last_heal_us;       /* when the last scheduled fault heals */
    herd_outbox out;              /* scratch outbox, drained after every input */
    herd_store_result read_res;   /* scratch for reads */
    uint64_t events;
    /* look-ahead (world.c): events popped from q, not yet run, in order */
    herd_event ahead[HERD_LOOKAHEAD];
    uint32_t ahead_head, ahead_len;
    herd_time ahead_floor;        /* time of the last event popped from q */
    herd_event *early;            /* min-heap on (at, seq) of pushes earlier than ahead_floor */
    uint32_t early_len, early_cap;
    uint64_t early_seq;
    uint32_t session_gen;         /* last session generation handed out */
    uint32_t hbuf_len;
    uint8_t hbuf[1024];           /* trace hash input, flushed to hash when full */
    herd_hash hash;               /* XXH3 over every processed event and effect */
    herd_time recovered_at;       /* first time all clients were LIVE after last_heal_us */
    herd_time store_up_at;        /* when a crashed store restarts */
    herd_oracle oracle;
    herd_metrics metrics;
    uint32_t state_count[HERD_CLIENT_STATE_COUNT];
    uint64_t queued_total;        /* sum of the clients' retry queues */
    uint32_t offline_count;
    uint64_t churn_periods;       /* offline periods churn has begun (faults.c) */
    /* run outputs (delays.c, outputs.c, trace_out.c): they observe, never steer */
    herd_delays delays;           /* reconnect delays */
    herd_time cap_at;             /* capacity_per_s: server-up time summed up to here, */
    uint64_t cap_up_us;           /* over this metrics interval (servers x us) */
    struct herd_sim_trace *trace; /* the sampled trace, or NULL */
    uint32_t trace_lo, trace_span; /* traced clients lie in [lo, lo + span); span 0: none */
    void (*progress)(const struct herd_world *w, void *ctx);
    void *progress_ctx;
} herd_world;

static inline herd_client *herd_world_client(const herd_world *w, uint32_t id) { return &w->slots[id].c; }
static inline herd_sim_client *herd_world_sim(const herd_world *w, uint32_t id) { return &w->slots[id].sim; }
/* herd_client_queue_len without its popcount call in the common case of no ACK
 * received out of order (acked_bits holds only ACKs above the oldest unACKed seq). */
static inline uint32_t herd_world_queue_len(const herd_client *c)
{
    return c->acked_bits ? herd_client_queue_len(c) : c->next_seq - c->unacked_base;
}

/* init.c (above every sub-model) */
/* HERD_OK, HERD_EINVAL (config; *why says which), HERD_ENOSPACE (allocation). */
int herd_world_init(herd_world *w, const herd_world_config *cfg);

/* run.c (above every sub-model) */
/* Run to the configured duration. HERD_OK, or a fatal core/queue error (a bug). */
int herd_world_run(herd_world *w);

/* world.c (the kernel: sub-models call into it, it calls none of them) */
int herd_world_config_defaults(herd_world_config *cfg);
int herd_world_config_validate(const herd_world_config *cfg, char *why, size_t why_len);
void herd_world_free(herd_world *w);
/* The fault kinds' names (world.c: faults.c, outputs.c, trace_out.c and the scenario
 * reader all use them). */
const char *herd_fault_kind_name(int kind);
int herd_fault_kind_parse(const char *name);
const char *const *herd_fault_kind_names(void); /* NULL-terminated */
/* The next event in (time, push order), prefetching ahead; false when there is none. */
bool herd_world_next_event(herd_world *w, herd_event *ev);
/* An event about to run, into the trace hash. */
void herd_world_hash_event(herd_world *w, const herd_event *ev);
void herd_world_trace_hex(herd_world *w, char out[33]);
/* A fault healed: recovery (L1) may be reached now. */
void herd_world_note_heal(herd_world *w);
/* A client became LIVE, or a fault healed: recovery (L1) may be reached now. */
void herd_world_check_recovered(herd_world *w);

typedef struct herd_world_liveness_figures {
    uint32_t live;    /* clients LIVE at the end */
    uint32_t stopped; /* clients that gave up */
    uint64_t queued;  /* messages still in retry queues */
    uint64_t behind;  /* subscribers not caught up with their room's stream */
    uint64_t failed_reported; /* of queued: held by clients that stopped (the application
                               * was told: GIVE_UP or close 1000) */
} herd_world_liveness_figures;
/* End-of-run liveness figures (an O(clients) scan). */
void herd_world_liveness(const herd_world *w, herd_world_liveness_figures *f);
size_t herd_world_bytes(const herd_world *w);
/* The bound on events pending at once (frames, store operations and timers in flight): 8
 * per client + 1 000 000. A world that passes it stops with HERD_EFULL (herd run says
 * which bound and what to lower). */
size_t herd_world_events_max(const herd_world_config *c);
int herd_world_push(herd_world *w, herd_time at, uint32_t kind, uint32_t target, uint64_t arg);
uint64_t herd_world_draw(const herd_world *w, uint64_t entity, uint64_t purpose, uint64_t n);
/* Feed helpers: every client input goes through these so counters, timers and the
 * oracle's I8 (the retry queue before against after) stay right. */
typedef struct herd_client_before {
    herd_queue_snap queue;
    uint8_t state;
} herd_client_before;
void herd_world_client_begin(herd_world *w, uint32_t id, herd_client_before *b);
int herd_world_client_end(herd_world *w, uint32_t id, const herd_client_before *b, int rc);

/* net.c */
herd_time herd_net_latency(herd_world *w, uint32_t entity, uint64_t counter);
bool herd_net_lost(herd_world *w, uint32_t entity, uint64_t counter);
/* Earliest time a packet from a to b can arrive, or HERD_TIME_NEVER (cut for ever). */
herd_time herd_net_path_open_at(const herd_world *w, herd_group a, herd_group b);
bool herd_group_has(herd_group g, uint8_t kind, uint32_t index);
int herd_net_to_session(herd_world *w, uint32_t slot, const herd_frame *f);
int herd_net_to_client(herd_world *w, uint32_t slot, uint32_t conn, const herd_frame *f);
/* Arrival time of a segment sent now on this session's connection (up: to the server). */
herd_time herd_net_session_arrival(herd_world *w, herd_sim_session *ss, bool up);
void herd_net_close_to_client(herd_world *w, herd_sim_session *ss, uint16_t code, uint32_t retry_after_ms);

/* accept.c */
int herd_accept_syn(herd_world *w, uint32_t client, uint32_t conn, uint32_t tries);
int herd_accept_handshake_done(herd_world *w, uint32_t server, uint64_t arg, uint32_t epoch);
void herd_accept_kick(herd_world *w, uint32_t server);

/* lb.c */
/* Pick a server for a new connection; -1 when none is up or the rate limit refuses. */
int herd_lb_pick(herd_world *w, uint32_t client, uint32_t conn, bool *rate_limited);
/* The LB's view of every server from scratch (at init). HERD_OK or HERD_ENOSPACE. */
int herd_lb_init(herd_world *w);
/* A server's load (sessions, queued or running handshakes) or eligibility changed. */
void herd_lb_changed(herd_world *w, uint32_t server);
const char *herd_lb_policy_name(int p);
int herd_lb_policy_parse(const char *name);
const char *const *herd_lb_policy_names(void); /* NULL-terminated */
void herd_lb_health_changed(herd_world *w, uint32_t server, bool up);

/* servers.c */
int herd_servers_open_session(herd_world *w, uint32_t server, uint32_t client, uint32_t conn);
int herd_servers_session_frame(herd_world *w, uint32_t slot, uint64_t parcel);
int herd_servers_store_result(herd_world *w, herd_store_parcel *p, const herd_store_result *r);
int herd_servers_fanout(herd_world *w, uint64_t parcel);
void herd_servers_close_session(herd_world *w, uint32_t slot, bool tell_client, uint16_t code,
                                uint32_t retry_after_ms);
/* Servers [lo, hi) crash at once: as herd_servers_crash on each in turn, one pool pass. */
void herd_servers_crash_range(herd_world *w, uint32_t lo, uint32_t hi);
void herd_servers_crash(herd_world *w, uint32_t server);
void herd_servers_drain(herd_world *w, uint32_t server, uint16_t code, uint32_t retry_after_ms,
                        herd_time drain_us);
void herd_servers_set_up(herd_world *w, uint32_t server, bool up);

/* store_node.c */
int herd_store_node_issue(herd_world *w, uint32_t slot, const herd_store_req *req);
int herd_store_node_exec(herd_world *w, uint64_t parcel);
int herd_store_node_result(herd_world *w, uint64_t parcel);
void herd_store_node_crash(herd_world *w);
void herd_store_node_fsync(herd_world *w);

/* workload.c */
void herd_workload_init(herd_world *w);
int herd_workload_publish(herd_world *w, uint32_t client);

/* faults.c */
int herd_faults_schedule(herd_world *w);
int herd_faults_fire(herd_world *w, uint32_t index, uint64_t phase);
void herd_faults_swarm(herd_world_config *cfg);
int herd_group_parse(const char *text, herd_group *g);

/* clients.c */
/* Every client's machine, role and start event (at init, before the workload). */
void herd_clients_init(herd_world *w);
/* A client event (HERD_EV_CLIENT_*): fed to the core client, its outbox drained. */
int herd_clients_event(herd_world *w, const herd_event *ev);
int herd_world_client_drain(herd_world *w, uint32_t id);
/* servers.c */
int herd_world_session_drain(herd_world *w, uint32_t slot);
/* world.c: every effect drained goes into the trace hash, in order. */
void herd_world_hash_effect(herd_world *w, const herd_effect *e);

#endif
