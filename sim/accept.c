/* accept.c — the TCP accept path of each server: SYN arrival, the bounded SYN backlog /
 * accept queue, kernel SYN retransmissions, handshake CPU, and wasted handshakes.
 *
 * A SYN reaching the load balancer is routed to a server (lb.c) and queued there if the
 * server's backlog has room; otherwise it is dropped and the client's kernel retransmits
 * it after 1 s, then 2 s, 4 s ... (1, 3, 7 s after the first: Linux's initial RTO with
 * exponential backoff) up to syn_retries times, then fails the connect (1006). Queued
 * handshakes are served FIFO by the server's workers, each costing handshake_us of CPU.
 * A handshake that completes for a client that has since given up on that attempt (its
 * connect timeout fired, it reconnected, it went offline) is wasted work: this is what
 * makes a herd metastable, since a full queue of dead clients starves the live ones.
 *
 * Every dropped SYN is counted under its cause (metrics.h): only a full backlog is the
 * accept queue overflowing; the LB restarting, its rate limit, loss and cuts drop SYNs
 * before any queue, and counting them as overflow once made a report show thousands of
 * "accept queue full" drops beside a queue that never held more than two. What happens at
 * one server (its handshakes, wasted handshakes, 1013 refusals, SYNs dropped at its full
 * backlog or on a cut LB -> server path) is also counted under that server for servers.csv;
 * drops before the LB picks a server belong to none. */
#include "world.h"

#include "error.h"

#include <assert.h>

/* server: where the SYN was dropped, or -1 before the LB picked one. */
static void syn_dropped(herd_world *w, uint32_t client, uint32_t conn, uint32_t tries, int cause, int server)
{
    herd_metrics_syn_drop(&w->metrics, cause);
    if (server >= 0)
        herd_metrics_server_add(&w->metrics, (uint32_t)server,
                                cause == HERD_SYN_DROP_BACKLOG_FULL ? HERD_SV_SYN_DROPS_BACKLOG_FULL
                                                                    : HERD_SV_SYN_DROPS_PARTITION);
    herd_time wait = w->cfg.syn_rto_us << (tries < 20 ? tries : 20);
    if (tries >= w->cfg.syn_retries) {
        /* The kernel gives up: connect() fails with ETIMEDOUT. */
        herd_world_push(w, herd_time_add(w->now, wait), HERD_EV_CLIENT_CLOSE, client,
                        conn | (uint64_t)HERD_CLOSE_ABNORMAL << 32);
        return;
    }
    herd_world_push(w, herd_time_add(w->now, wait), HERD_EV_SYN, client, conn | (uint64_t)(tries + 1) << 32);
}

static void refuse(herd_world *w, uint32_t client, uint32_t conn, uint16_t code, uint32_t hint_ms)
{
    /* RST or a close frame travels back to the client. */
    herd_metrics_add(&w->metrics, HERD_M_REFUSED, 1);
    if (hint_ms > UINT16_MAX) hint_ms = UINT16_MAX;
    herd_world_push(w, herd_time_add(w->now, herd_net_latency(w, client, 6)), HERD_EV_CLIENT_CLOSE, client,
                    conn | (uint64_t)code << 32 | (uint64_t)hint_ms << 48);
}

static void start_handshakes(herd_world *w, uint32_t server)
{
    herd_sim_server *s = &w->servers[server];
    while (s->up && s->busy < w->cfg.workers && s->q_len > 0) { /* at most workers steps */
        herd_pending_syn p = w->accept[(size_t)server * w->cfg.backlog + s->q_head];
        s->q_head = (s->q_head + 1) % w->cfg.backlog;
        s->q_len--;
        s->busy++;
        herd_world_push(w, herd_time_add(w->now, w->cfg.handshake_us),
                        HERD_EV_HANDSHAKE_DONE | s->epoch << 8, server, p.client | (uint64_t)p.conn << 32);
    }
    herd_lb_changed(w, server); /* q_len and busy: least_conn's load */
}

static bool attempt_alive(const herd_world *w, uint32_t client, uint32_t conn)
{
    const herd_client *c = herd_world_client(w, client);
    return c->conn == conn && c->state == HERD_CLIENT_CONNECTING && !(herd_world_sim(w, client)->flags & HERD_SC_OFFLINE);
}

int herd_accept_syn(herd_world *w, uint32_t client, uint32_t conn, uint32_t tries)
{
    if (!attempt_alive(w, client, conn)) return HERD_OK; /* socket closed: no retransmission */
    if (tries > 0) herd_metrics_add(&w->metrics, HERD_M_SYNS, 1);
    herd_group cg = {HERD_GROUP_CLIENTS, client, 1}, lg = {HERD_GROUP_LB, 0, 1};
    /* The first that applies is the cause: nothing listens while the LB restarts; a cut
     * path drops the SYN whether or not the loss draw would have. The draw is a pure
     * function of (seed, client, time), so testing it after the cut changes no trace. */
    int cause = !w->lb_up                                    ? HERD_SYN_DROP_LB_DOWN
                : herd_net_path_open_at(w, cg, lg) > w->now ? HERD_SYN_DROP_PARTITION
                : herd_net_lost(w, client, 7)                ? HERD_SYN_DROP_NET_LOSS
                                                             : -1;
    if (cause >= 0) {
        syn_dropped(w, client, conn, tries, cause, -1);
        return HERD_OK;
    }
    bool limited = false;
    int server = herd_lb_pick(w, client, conn, &limited);
    if (limited) {
        syn_dropped(w, client, conn, tries, HERD_SYN_DROP_LB_RATE_LIMITED, -1);
        return HERD_OK;
    }
    if (server < 0 || !w->servers[server].up) { /* nothing listening: RST */
        refuse(w, client, conn, HERD_CLOSE_ABNORMAL, 0);
        return HERD_OK;
    }
    herd_sim_server *s = &w->servers[server];
    herd_group sg = {HERD_GROUP_SERVERS, (uint32_t)server, 1};
    /* A cut LB -> server drops the SYN before it reaches the server, whatever the queue
     * holds; only a SYN that arrives finds the backlog full. (Neither test draws.) */
    if (herd_net_path_open_at(w, lg, sg) > w->now) {
        syn_dropped(w, client, conn, tries, HERD_SYN_DROP_PARTITION, server);
        return HERD_OK;
    }
    if (s->q_len >= w->cfg.backlog) {
        syn_dropped(w, client, conn, tries, HERD_SYN_DROP_BACKLOG_FULL, server);
        return HERD_OK;
    }
    w->accept[(size_t)server * w->cfg.backlog + (s->q_head + s->q_len) % w->cfg.backlog] =
        (herd_pending_syn){client, conn};
    s->q_len++;
    herd_oracle_check_bound(&w->oracle, w->now, "an accept queue", s->q_len, w->cfg.backlog);
    start_handshakes(w, (uint32_t)server);
    return HERD_OK;
}

int herd_accept_handshake_done(herd_world *w, uint32_t server, uint64_t arg, uint32_t epoch)
{
    herd_sim_server *s = &w->servers[server];
    if (epoch != s->epoch) return HERD_OK; /* the process died meanwhile */
    assert(s->busy > 0);
    s->busy--;
    herd_lb_changed(w, server);
    uint32_t client = (uint32_t)arg, conn = (uint32_t)(arg >> 32);
    int rc = HERD_OK;
    if (!attempt_alive(w, client, conn)) {
        herd_metrics_add(&w->metrics, HERD_M_WASTED, 1);
        herd_metrics_server_add(&w->metrics, server, HERD_SV_WASTED);
    } else if (w->cfg.max_conns && s->conns >= w->cfg.max_conns) {
        herd_metrics_server_add(&w->metrics, server, HERD_SV_REFUSED);
        refuse(w, client, conn, HERD_CLOSE_TRY_AGAIN_LATER, w->cfg.retry_after_ms);
    } else {
        herd_metrics_add(&w->metrics, HERD_M_ACCEPTS, 1);
        herd_metrics_server_add(&w->metrics, server, HERD_SV_HANDSHAKES);
        rc = herd_servers_open_session(w, server, client, conn);
    }
    start_handshakes(w, server);
    return rc;
}

void herd_accept_kick(herd_world *w, uint32_t server) { start_handshakes(w, server); }
