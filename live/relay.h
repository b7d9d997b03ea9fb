/* relay.h — the live run's fault-injecting TCP relay between HAProxy and the servers.
 *
 * `herd live` starts it (as `herd live-relay`, a role process like the servers) when the
 * scenario asks for network latency, jitter or loss, or for a partition or a net_burst
 * fault. HAProxy's backends then point at the relay's ports (one per server) and the
 * relay forwards each accepted connection to its server. Every chunk read from one side
 * is held before it is written to the other, per connection and direction in order
 * (nothing overtakes what was read before it), as sim/net.c delays a segment:
 *  - latency + a uniform draw in [0, jitter] (+ a burst's extra latency inside its window);
 *  - loss: TCP cannot lose bytes, so a chunk drawn lost (loss_ppm, + a burst's) is held
 *    rto longer, as the kernel's retransmission would deliver it;
 *  - a cut (partition) in that direction holds every chunk, and the connection to the
 *    server of a new connection, until the cut heals, then rto more (sim/net.c: a segment
 *    sent across a cut waits for the heal).
 * Draws come from generators derived from (seed, server << 32 | connection number,
 * HERD_LIVE_RELAY_PURPOSE | direction): the same seed gives the same draws for the same
 * connection order (the order itself is the real world's).
 *
 * One process, one epoll loop, non-blocking sockets. Bounded: at most
 * HERD_RELAY_CONNS_MAX connections (more are refused with a reset), at most
 * HERD_RELAY_CHUNKS chunks of at most HERD_RELAY_CHUNK_MAX bytes held per direction
 * (the side read from is not read while its queue is full), at most
 * HERD_RELAY_EVENTS events and HERD_RELAY_ACCEPTS accepts per wake-up. It runs until
 * SIGTERM or SIGINT. */
#ifndef HERD_LIVE_RELAY_H
#define HERD_LIVE_RELAY_H

#include "types.h"

#include <stdint.h>

#define HERD_RELAY_CONNS_MAX 24000u
#define HERD_RELAY_CHUNKS 16u
#define HERD_RELAY_CHUNK_MAX 16384u
#define HERD_RELAY_EVENTS 256u
#define HERD_RELAY_ACCEPTS 64u
#define HERD_RELAY_WINDOWS_MAX 64u
#define HERD_RELAY_PURPOSE 0x300u

/* A window of the schedule, in monotonic µs: from <= now < until. */
typedef struct herd_relay_window {
    herd_time from_us, until_us;
    uint32_t servers_mask; /* the servers whose connections it touches (bit s) */
    uint8_t cut_up;        /* cut: hold what goes to the server */
    uint8_t cut_down;      /* cut: hold what comes from the server */
    uint32_t loss_ppm;     /* burst: extra loss */
    herd_time latency_us;  /* burst: extra one-way latency */
} herd_relay_window;

typedef struct herd_relay_config {
    uint64_t seed;
    herd_time latency_us, jitter_us, rto_us;
    uint32_t loss_ppm;
    uint32_t windows;
    herd_relay_window w[HERD_RELAY_WINDOWS_MAX];
} herd_relay_config;

/* Relay 127.0.0.1:listen_ports[s] to 127.0.0.1:server_ports[s] for s < servers, until
 * SIGTERM/SIGINT. Records (a start record, one per window as it opens and closes) go to
 * trace_path. Returns 0, or an exit status with the reason on stderr. */
int herd_live_relay_run(const herd_relay_config *cfg, const int *listen_ports, const int *server_ports,
                        uint32_t servers, const char *trace_path);

#endif
