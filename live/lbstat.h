/* lbstat.h — what the live run's load balancer and accept queues hold, sampled by the
 * orchestrator every 100 ms into DIR/lb.csv (docs/live.md): HAProxy's counters from its
 * admin socket (`show stat`), the depth of each listening socket's accept queue from
 * the kernel's sock_diag netlink interface, and the kernel's listen-overflow counters from
 * /proc/net/netstat. These are the live run's view of the simulator's LB and accept path:
 * connections the LB holds and refuses, SYNs and completed handshakes the kernel queues
 * or drops while a server (or HAProxy, under lb.rate) does not accept. */
#ifndef HERD_LIVE_LBSTAT_H
#define HERD_LIVE_LBSTAT_H

#include <stdbool.h>
#include <stdint.h>

/* HAProxy's frontend and backend rows (names as in haproxy.c's configuration). */
typedef struct herd_lb_stat {
    uint64_t sessions;       /* frontend scur: client connections HAProxy holds now */
    uint64_t sessions_total; /* frontend stot: accepted since HAProxy started */
    uint64_t denied;         /* frontend dreq: refused by the frontend's rules */
    uint64_t req_errors;     /* frontend ereq */
    uint64_t queued;         /* backend qcur: waiting for a server slot */
    uint64_t conn_errors;    /* backend econ: connections to a server that failed */
    uint32_t servers_up;     /* backend servers whose status starts with UP */
} herd_lb_stat;

/* One `show stat` on the admin socket, bounded by a one-second timeout. 0, or -errno
 * (-EPROTO when the answer lacks the rows or columns it needs). */
int herd_live_lb_stat(const char *admin_socket, herd_lb_stat *out);

/* The listening TCP sockets on ports[0..n) (any address, IPv4 or IPv6): each one's
 * accept queue depth now (connections the kernel completed that the process has not
 * accepted) into depth[i], -1 when nothing listens on ports[i]. One sock_diag dump of
 * the listeners per address family (what `ss -ltn` asks), so its cost does not grow with
 * the thousands of connected sockets the way reading /proc/net/tcp would. 0, or -errno. */
int herd_live_listen_queues(const int *ports, uint32_t n, int64_t *depth);

/* The machine's TcpExt ListenOverflows (a completed handshake found the accept queue
 * full) and ListenDrops (a SYN or handshake dropped at a listener, overflows included).
 * Machine-wide: a run takes differences from its start. 0, or -errno. */
int herd_live_listen_drops(uint64_t *overflows, uint64_t *drops);

#endif
