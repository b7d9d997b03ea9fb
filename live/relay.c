/* relay.c — the fault-injecting TCP relay between HAProxy and the servers (relay.h says
 * what it holds, why and for how long). One epoll loop over every listening socket and
 * every relayed connection; each connection has two directions (0: to the server, 1:
 * from it), each a bounded FIFO of chunks with their release times. */
#define _GNU_SOURCE
#include "relay.h"

#include "live.h"
#include "rng.h"
#include "trace_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct chunk {
    herd_time at;  /* release time */
    uint32_t len;  /* 0: the end of the stream (shut the other side's writing) */
    uint32_t off;  /* bytes of it already written */
    char *data;
} chunk;

typedef struct dir {
    chunk q[HERD_RELAY_CHUNKS];
    uint32_t head, n;
    herd_time last_at; /* in order: nothing is released before what was read before it */
    bool eof_read;     /* the source said EOF (queued as a len-0 chunk) */
    bool done;         /* the EOF was passed on */
    herd_rng rng;
} dir;

typedef struct conn {
    int fd[2];        /* 0: HAProxy's side, 1: the server's side (-1 until connecting) */
    uint32_t mask[2]; /* epoll interest registered for fd[i] */
    uint32_t server;
    bool connecting, used, want_out[2];
    bool gone[2];         /* hung up after its EOF: out of epoll, only written to */
    herd_time connect_at; /* a held connect: when to open it (0: opened) */
    dir d[2];             /* 0: fd[0] -> fd[1], 1: fd[1] -> fd[0] */
    uint32_t active_pos;  /* index + 1 in the active list, 0 if not in it */
} conn;

/* epoll data: listen sockets are tagged by s, connection ends by index << 1 | side. */
#define TAG_LISTEN (1ull << 62)

static volatile sig_atomic_t g_stop;
static void on_stop(int sig) { (void)sig; g_stop = 1; }

typedef struct relay {
    const herd_relay_config *cfg;
    const int *server_ports;
    int ep;
    conn *c;           /* HERD_RELAY_CONNS_MAX */
    uint32_t *free_ids, nfree;
    uint32_t *active, nactive; /* connections with a queued chunk or a held connect */
    uint64_t serial[32];
    FILE *trace;
} relay;

static void set_nonblock_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void mark_active(relay *R, uint32_t id)
{
    conn *c = &R->c[id];
    if (c->active_pos) return;
    R->active[R->nactive++] = id;
    c->active_pos = R->nactive;
}

static void unmark_active(relay *R, uint32_t id)
{
    conn *c = &R->c[id];
    if (!c->active_pos) return;
    uint32_t pos = c->active_pos - 1, last = R->active[R->nactive - 1];
    R->active[pos] = last;
    R->c[last].active_pos = pos + 1;
    R->nactive--;
    c->active_pos = 0;
}

static void set_mask(relay *R, uint32_t id, int side, uint32_t mask)
{
    conn *c = &R->c[id];
    if (c->fd[side] < 0 || c->gone[side] || c->mask[side] == mask) return;
    struct epoll_event ev = {.events = mask, .data.u64 = (uint64_t)id << 1 | (uint64_t)side};
    epoll_ctl(R->ep, EPOLL_CTL_MOD, c->fd[side], &ev);
    c->mask[side] = mask;
}

/* What each end should be watched for now. */
static void update_masks(relay *R, uint32_t id)
{
    conn *c = &R->c[id];
    for (int side = 0; side < 2; side++) {
        if (c->fd[side] < 0) continue;
        uint32_t m = 0;
        const dir *src = &c->d[side]; /* what this side sends */
        if (!src->eof_read && src->n < HERD_RELAY_CHUNKS) m |= EPOLLIN;
        if (c->want_out[side] || (side == 1 && c->connecting)) m |= EPOLLOUT;
        set_mask(R, id, side, m);
    }
}

static void conn_close(relay *R, uint32_t id, bool reset)
{
    conn *c = &R->c[id];
    for (int side = 0; side < 2; side++) {
        if (c->fd[side] >= 0) {
            if (reset) {
                struct linger l = {1, 0};
                setsockopt(c->fd[side], SOL_SOCKET, SO_LINGER, &l, sizeof l);
            }
            if (!c->gone[side]) epoll_ctl(R->ep, EPOLL_CTL_DEL, c->fd[side], NULL);
            close(c->fd[side]);
        }
        dir *d = &c->d[side];
        for (uint32_t k = 0; k < d->n; k++) free(d->q[(d->head + k) % HERD_RELAY_CHUNKS].data);
    }
    unmark_active(R, id);
    memset(c, 0, sizeof *c);
    c->fd[0] = c->fd[1] = -1;
    R->free_ids[R->nfree++] = id;
}

/* The latest heal of a cut holding this direction at `now` for this server; 0 if none. */
static herd_time cut_until(const relay *R, uint32_t server, int d, herd_time now)
{
    herd_time until = 0;
    for (uint32_t i = 0; i < R->cfg->windows; i++) {
        const herd_relay_window *w = &R->cfg->w[i];
        if (now < w->from_us || now >= w->until_us || !(w->servers_mask >> server & 1u)) continue;
        if ((d == 0 ? w->cut_up : w->cut_down) && w->until_us > until) until = w->until_us;
    }
    return until;
}

/* When a chunk read now in this direction is released (relay.h; sim/net.c). */
static herd_time release_at(relay *R, conn *c, int d, herd_time now)
{
    const herd_relay_config *cfg = R->cfg;
    dir *q = &c->d[d];
    herd_time lat = cfg->latency_us;
    uint64_t ppm = cfg->loss_ppm;
    if (cfg->jitter_us) lat += herd_rng_below(&q->rng, cfg->jitter_us + 1);
    for (uint32_t i = 0; i < cfg->windows; i++) {
        const herd_relay_window *w = &cfg->w[i];
        if (now < w->from_us || now >= w->until_us || !(w->servers_mask >> c->server & 1u)) continue;
        lat += w->latency_us;
        ppm += w->loss_ppm;
    }
    if (ppm && herd_rng_below(&q->rng, 1000000) < ppm) lat += cfg->rto_us;
    herd_time open = cut_until(R, c->server, d, now);
    herd_time at = (open ? open + cfg->rto_us : now) + lat;
    if (at < q->last_at) at = q->last_at;
    q->last_at = at;
    return at;
}

/* Read what side `from` sent into its direction's queue (at most one chunk). */
static bool read_side(relay *R, uint32_t id, int from, herd_time now)
{
    conn *c = &R->c[id];
    dir *q = &c->d[from];
    if (q->eof_read || q->n == HERD_RELAY_CHUNKS) return true;
    char buf[HERD_RELAY_CHUNK_MAX];
    ssize_t got = read(c->fd[from], buf, sizeof buf);
    if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    chunk *k = &q->q[(q->head + q->n) % HERD_RELAY_CHUNKS];
    memset(k, 0, sizeof *k);
    if (got == 0) {
        q->eof_read = true;
    } else {
        k->data = malloc((size_t)got);
        if (!k->data) return false;
        memcpy(k->data, buf, (size_t)got);
        k->len = (uint32_t)got;
    }
    k->at = release_at(R, c, from, now);
    q->n++;
    mark_active(R, id);
    return true;
}

/* Write every released chunk of direction d that the destination takes. False: the
 * connection broke. */
static bool flush_dir(relay *R, uint32_t id, int d, herd_time now)
{
    conn *c = &R->c[id];
    dir *q = &c->d[d];
    int to = 1 - d;
    c->want_out[to] = false;
    if (c->fd[to] < 0 || (to == 1 && (c->connecting || c->connect_at))) return true;
    for (uint32_t rounds = 0; q->n && rounds < HERD_RELAY_CHUNKS; rounds++) {
        chunk *k = &q->q[q->head];
        if (k->at > now) break;
        if (k->len == 0) {
            shutdown(c->fd[to], SHUT_WR);
            q->done = true;
        } else {
            ssize_t w = write(c->fd[to], k->data + k->off, k->len - k->off);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { c->want_out[to] = true; break; }
                return false;
            }
            k->off += (uint32_t)w;
            if (k->off < k->len) { c->want_out[to] = true; break; }
            free(k->data);
        }
        k->data = NULL;
        q->head = (q->head + 1) % HERD_RELAY_CHUNKS;
        q->n--;
    }
    return true;
}

static void start_connect(relay *R, uint32_t id)
{
    conn *c = &R->c[id];
    c->connect_at = 0;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) { conn_close(R, id, true); return; }
    set_nonblock_nodelay(s);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)R->server_ports[c->server]),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int rc = connect(s, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno != EINPROGRESS) { close(s); conn_close(R, id, true); return; }
    c->fd[1] = s;
    c->connecting = rc != 0;
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)id << 1 | 1u};
    epoll_ctl(R->ep, EPOLL_CTL_ADD, s, &ev);
    c->mask[1] = EPOLLOUT;
}

/* Everything due on connection id: a held connect, released chunks, the end. */
static void service(relay *R, uint32_t id, herd_time now)
{
    conn *c = &R->c[id];
    if (!c->used) return;
    if (c->connect_at && now >= c->connect_at) start_connect(R, id);
    if (!c->used) return;
    if (!flush_dir(R, id, 0, now) || !flush_dir(R, id, 1, now)) { conn_close(R, id, true); return; }
    if (c->d[0].done && c->d[1].done) { conn_close(R, id, false); return; }
    if (c->d[0].n == 0 && c->d[1].n == 0 && !c->connect_at) unmark_active(R, id);
    update_masks(R, id);
}

static void accept_on(relay *R, int lfd, uint32_t server, herd_time now)
{
    for (uint32_t k = 0; k < HERD_RELAY_ACCEPTS; k++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        if (R->nfree == 0) { /* bounded: refused with a reset */
            struct linger l = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            close(fd);
            continue;
        }
        set_nonblock_nodelay(fd);
        uint32_t id = R->free_ids[--R->nfree];
        conn *c = &R->c[id];
        memset(c, 0, sizeof *c);
        c->used = true;
        c->fd[0] = fd;
        c->fd[1] = -1;
        c->server = server;
        uint64_t serial = R->serial[server]++;
        for (int d = 0; d < 2; d++)
            herd_rng_derive(&c->d[d].rng, R->cfg->seed, (uint64_t)server << 32 | serial, HERD_RELAY_PURPOSE | (uint64_t)d);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)id << 1};
        epoll_ctl(R->ep, EPOLL_CTL_ADD, fd, &ev);
        c->mask[0] = EPOLLIN;
        /* a cut toward the server holds the connect (the SYN) until it heals */
        herd_time open = cut_until(R, server, 0, now);
        if (open) {
            c->connect_at = open + R->cfg->rto_us;
            mark_active(R, id);
        } else {
            start_connect(R, id);
        }
    }
}

static void on_event(relay *R, uint64_t tag, uint32_t events, herd_time now)
{
    uint32_t id = (uint32_t)(tag >> 1);
    int side = (int)(tag & 1u);
    conn *c = &R->c[id];
    if (!c->used || c->fd[side] < 0) return;
    if (side == 1 && c->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) { conn_close(R, id, true); return; } /* the server is down: reset HAProxy's side */
        c->connecting = false;
        mark_active(R, id);
    }
    if (events & EPOLLERR) { conn_close(R, id, true); return; }
    if (events & (EPOLLIN | EPOLLHUP)) {
        if (!read_side(R, id, side, now)) { conn_close(R, id, true); return; }
    }
    if ((events & EPOLLHUP) && c->d[side].eof_read && !c->gone[side]) {
        /* level-triggered HUP would wake us forever: stop watching this end */
        epoll_ctl(R->ep, EPOLL_CTL_DEL, c->fd[side], NULL);
        c->gone[side] = true;
    }
    if (events & EPOLLOUT) mark_active(R, id);
    service(R, id, now);
}

static void window_records(relay *R, bool *open, bool *closed, herd_time now)
{
    for (uint32_t i = 0; i < R->cfg->windows; i++) {
        const herd_relay_window *w = &R->cfg->w[i];
        const char *what = w->cut_up || w->cut_down ? "cut" : "burst";
        herd_trace_rec r;
        if (!open[i] && now >= w->from_us) {
            open[i] = true;
            herd_live_trace_init(&r, HERD_TRACE_STEP, "relay", "fault", now);
            r.has |= HERD_TF_TEXT;
            snprintf(r.text, sizeof r.text, "relay: %s begins (servers mask %#x, up %d, down %d, loss %" PRIu32 " ppm, +%" PRIu64 " us)",
                     what, w->servers_mask, w->cut_up, w->cut_down, w->loss_ppm, w->latency_us);
            herd_live_trace_write(R->trace, &r);
        }
        if (!closed[i] && now >= w->until_us) {
            closed[i] = true;
            herd_live_trace_init(&r, HERD_TRACE_STEP, "relay", "fault", now);
            r.has |= HERD_TF_TEXT;
            snprintf(r.text, sizeof r.text, "relay: %s ends", what);
            herd_live_trace_write(R->trace, &r);
        }
    }
}

int herd_live_relay_run(const herd_relay_config *cfg, const int *listen_ports, const int *server_ports,
                        uint32_t servers, const char *trace_path)
{
    if (servers == 0 || servers > 32) return 64;
    static relay R;
    memset(&R, 0, sizeof R);
    R.cfg = cfg;
    R.server_ports = server_ports;
    R.trace = herd_live_trace_open(trace_path);
    if (!R.trace) { fprintf(stderr, "herd live-relay: cannot write %s: %s\n", trace_path, strerror(errno)); return 74; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    R.c = calloc(HERD_RELAY_CONNS_MAX, sizeof *R.c);
    R.free_ids = calloc(HERD_RELAY_CONNS_MAX, sizeof *R.free_ids);
    R.active = calloc(HERD_RELAY_CONNS_MAX, sizeof *R.active);
    R.ep = epoll_create1(EPOLL_CLOEXEC);
    int rc = 0;
    if (!R.c || !R.free_ids || !R.active || R.ep < 0) { fprintf(stderr, "herd live-relay: out of memory\n"); rc = 70; goto out; }
    for (uint32_t i = 0; i < HERD_RELAY_CONNS_MAX; i++) {
        R.c[i].fd[0] = R.c[i].fd[1] = -1;
        R.free_ids[R.nfree++] = HERD_RELAY_CONNS_MAX - 1 - i;
    }
    int lfd[32];
    for (uint32_t s = 0; s < servers; s++) {
        lfd[s] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(lfd[s], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_ports[s]),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (lfd[s] < 0 || bind(lfd[s], (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd[s], 4096) != 0) {
            fprintf(stderr, "herd live-relay: cannot listen on 127.0.0.1:%d: %s\n", listen_ports[s], strerror(errno));
            rc = 74;
            goto out;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN | s};
        epoll_ctl(R.ep, EPOLL_CTL_ADD, lfd[s], &ev);
    }
    herd_trace_rec r;
    herd_live_trace_init(&r, HERD_TRACE_STEP, "relay", "fault", herd_live_now_us());
    r.has |= HERD_TF_TEXT;
    snprintf(r.text, sizeof r.text, "relay up for %" PRIu32 " servers (latency %" PRIu64 " us, jitter %" PRIu64
             " us, loss %" PRIu32 " ppm, rto %" PRIu64 " us, %" PRIu32 " windows)",
             servers, cfg->latency_us, cfg->jitter_us, cfg->loss_ppm, cfg->rto_us, cfg->windows);
    herd_live_trace_write(R.trace, &r);
    bool opened[HERD_RELAY_WINDOWS_MAX] = {false}, closed[HERD_RELAY_WINDOWS_MAX] = {false};
    struct epoll_event evs[HERD_RELAY_EVENTS];
    while (!g_stop) {
        herd_time now = herd_live_now_us();
        /* sleep until the earliest release (at most 50 ms, at least 0) */
        herd_time next = now + 50000u;
        for (uint32_t i = 0; i < R.nactive; i++) {
            const conn *c = &R.c[R.active[i]];
            if (c->connect_at && c->connect_at < next) next = c->connect_at;
            for (int d = 0; d < 2; d++) {
                /* a destination that is full or still connecting wakes us by EPOLLOUT */
                if (c->want_out[1 - d] || (d == 0 && (c->connecting || c->connect_at))) continue;
                if (c->d[d].n && c->d[d].q[c->d[d].head].at < next) next = c->d[d].q[c->d[d].head].at;
            }
        }
        int timeout_ms = next > now ? (int)((next - now + 999u) / 1000u) : 0;
        int n = epoll_wait(R.ep, evs, (int)HERD_RELAY_EVENTS, timeout_ms);
        if (n < 0 && errno != EINTR) { rc = 70; break; }
        now = herd_live_now_us();
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag & TAG_LISTEN) accept_on(&R, lfd[tag & 31u], (uint32_t)(tag & 31u), now);
            else on_event(&R, tag, evs[i].events, now);
        }
        /* what fell due: walk the active list backwards (service may remove the current one) */
        for (uint32_t i = R.nactive; i-- > 0;)
            if (i < R.nactive) service(&R, R.active[i], now);
        window_records(&R, opened, closed, now);
    }
out:
    for (uint32_t i = 0; R.c && i < HERD_RELAY_CONNS_MAX; i++)
        if (R.c[i].used) conn_close(&R, i, false);
    if (R.ep >= 0) close(R.ep);
    free(R.c);
    free(R.free_ids);
    free(R.active);
    fclose(R.trace);
    return rc;
}
