/* haproxy.h — the live run's load balancer: an haproxy.cfg written from the scenario's
 * lb: block, for HAProxy (Debian's haproxy package) in front of the live servers.
 *
 * TCP mode (HAProxy passes the WebSocket bytes through; each server does its own
 * handshake). lb.policy maps to HAProxy's balance algorithm: sticky -> source with
 * hash-type consistent (a hash of the client's address; each live client connects from
 * its own 127.a.b.c, live/clients.c, so the hash is per client as the simulator's
 * rendezvous hash on the client id is, though not the same function), round_robin ->
 * roundrobin, least_conn -> leastconn, random -> random, p2c -> random(2) (HAProxy's
 * power of two choices). Health checks: a TCP connect every 100 ms, fall = rise =
 * health_lag / 100 ms, so HAProxy learns a death or a return health_lag late, less up to
 * 100 ms, as the simulator's LB learns it exactly health_lag late (haproxy.c has the
 * short and the long lags).
 * lb.rate -> `rate-limit sessions` on the frontend. A graceful restart takes its servers out of HAProxy at once through the admin socket
 * ("state maint"), and back ("state ready") when they start again, as the simulator's
 * LB does. */
#ifndef HERD_LIVE_HAPROXY_H
#define HERD_LIVE_HAPROXY_H

#include "types.h"

#include <stddef.h>
#include <stdint.h>

/* Write the configuration to path: listen on 127.0.0.1:port, servers at 127.0.0.1 on
 * server_ports[0..servers) (the relay's ports when live/relay.h is in the path), health
 * checks on check_ports (the servers' own: a check must see the server, not the relay;
 * NULL: the same ports). rate_per_s: lb.rate as `rate-limit sessions` on the frontend
 * (0: none; HAProxy leaves what is over it in the kernel's accept queue). lb_policy is the scenario's (sim's enum herd_lb_policy value:
 * 0 sticky, 1 round_robin, 2 least_conn, 3 random, 4 p2c). Returns 0 or -errno. */
int herd_live_haproxy_write(const char *path, int port, const int *server_ports, const int *check_ports,
                            uint32_t servers, int lb_policy, herd_time health_lag_us, uint32_t maxconn,
                            uint32_t rate_per_s, const char *admin_socket);
/* One command on HAProxy's admin socket (e.g. "set server herd_servers/s0 state maint"),
 * bounded by a one-second timeout. 0, or -errno (-EINVAL: HAProxy refused it). */
int herd_live_haproxy_command(const char *admin_socket, const char *cmd);
/* One command (without its newline) and HAProxy's whole answer, NUL-terminated, into
 * reply (at most size - 1 bytes): a one-second timeout on each read and write. 0, or
 * -errno. What herd_live_haproxy_command and live/lbstat.c's `show stat` use. */
int herd_live_haproxy_ask(const char *admin_socket, const char *cmd, char *reply, size_t size);
const char *herd_live_haproxy_balance(int lb_policy);

#endif
