/* lbstat.c — HAProxy's `show stat` read from its admin socket, and the kernel's accept
 * queues and listen-drop counters read from /proc (lbstat.h says what each figure is).
 * Every read is bounded: HAProxy's answer by haproxy.h's one-second timeouts and STAT_MAX
 * bytes, a netlink dump by a one-second timeout and 1 024 messages, /proc/net/netstat by
 * 64 line pairs. */
#define _GNU_SOURCE
#include "lbstat.h"
#include "haproxy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define STAT_MAX (64 * 1024) /* a few rows of ~90 columns: a few KiB */
#define COLS_MAX 128

/* Split line (modified) at commas into at most COLS_MAX fields, empty ones kept. */
static uint32_t split(char *line, char **col)
{
    uint32_t n = 0;
    for (char *p = line; n < COLS_MAX;) {
        col[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static int col_of(char **head, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(head[i], name) == 0) return (int)i;
    return -1;
}

static uint64_t num(char **row, uint32_t n, int i)
{
    return i >= 0 && (uint32_t)i < n ? strtoull(row[i], NULL, 10) : 0;
}

int herd_live_lb_stat(const char *admin_socket, herd_lb_stat *out)
{
    char *buf = malloc(STAT_MAX);
    if (!buf) return -ENOMEM;
    int rc = herd_live_haproxy_ask(admin_socket, "show stat", buf, STAT_MAX);
    memset(out, 0, sizeof *out);
    char *head[COLS_MAX], *row[COLS_MAX];
    uint32_t nh = 0;
    bool fe = false, be = false;
    int c_sv = -1, c_scur = -1, c_stot = -1, c_dreq = -1, c_ereq = -1, c_qcur = -1, c_econ = -1, c_status = -1;
    char *save = NULL;
    for (char *line = rc == 0 ? strtok_r(buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') { /* "# pxname,svname,qcur,...": the columns by name */
            nh = split(line + 2, head);
            c_sv = col_of(head, nh, "svname");
            c_scur = col_of(head, nh, "scur");
            c_stot = col_of(head, nh, "stot");
            c_dreq = col_of(head, nh, "dreq");
            c_ereq = col_of(head, nh, "ereq");
            c_qcur = col_of(head, nh, "qcur");
            c_econ = col_of(head, nh, "econ");
            c_status = col_of(head, nh, "status");
            continue;
        }
        if (nh == 0 || c_sv < 0 || c_status < 0) continue;
        uint32_t n = split(line, row);
        if ((uint32_t)c_sv >= n) continue;
        if (strcmp(row[0], "herd_in") == 0 && strcmp(row[c_sv], "FRONTEND") == 0) {
            fe = true;
            out->sessions = num(row, n, c_scur);
            out->sessions_total = num(row, n, c_stot);
            out->denied = num(row, n, c_dreq);
            out->req_errors = num(row, n, c_ereq);
        } else if (strcmp(row[0], "herd_servers") == 0 && strcmp(row[c_sv], "BACKEND") == 0) {
            be = true;
            out->queued = num(row, n, c_qcur);
            out->conn_errors = num(row, n, c_econ);
        } else if (strcmp(row[0], "herd_servers") == 0 && (uint32_t)c_status < n && strncmp(row[c_status], "UP", 2) == 0) {
            out->servers_up++;
        }
    }
    free(buf);
    if (rc != 0) return rc;
    return fe && be ? 0 : -EPROTO;
}

/* One NETLINK_SOCK_DIAG dump of family's TCP listeners: each reply's idiag_rqueue is a
 * listener's accept queue depth (idiag_wqueue its backlog), idiag_sport its port. */
static int listeners(int family, const int *ports, uint32_t n, int64_t *depth)
{
    int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (s < 0) return -errno;
    struct timeval tv = {1, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = 1u << TCP_LISTEN;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    int rc = 0;
    if (sendto(s, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) != (ssize_t)sizeof req) rc = -errno;
    static _Alignas(struct nlmsghdr) char buf[32768];
    bool done = false;
    for (uint32_t k = 0; rc == 0 && !done && k < 1024u; k++) { /* a dump of listeners: a few messages */
        ssize_t got = recv(s, buf, sizeof buf, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) { rc = got < 0 ? -errno : -EPROTO; break; }
        /* the messages in turn (NLMSG_OK mixes signed and unsigned: spelled out here) */
        for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)got;) {
            const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)(buf + off);
            if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > (size_t)got) { rc = -EPROTO; break; }
            off += NLMSG_ALIGN(h->nlmsg_len);
            if (h->nlmsg_type == NLMSG_DONE) { done = true; break; }
            if (h->nlmsg_type == NLMSG_ERROR) { rc = -EPROTO; break; }
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            if (m->idiag_state != TCP_LISTEN) continue;
            int port = ntohs(m->id.idiag_sport);
            for (uint32_t i = 0; i < n; i++)
                if (ports[i] == port) depth[i] = (depth[i] < 0 ? 0 : depth[i]) + (int64_t)m->idiag_rqueue;
        }
    }
    close(s);
    return rc;
}

int herd_live_listen_queues(const int *ports, uint32_t n, int64_t *depth)
{
    for (uint32_t i = 0; i < n; i++) depth[i] = -1;
    int rc = listeners(AF_INET, ports, n, depth);
    int rc6 = listeners(AF_INET6, ports, n, depth);
    return rc != 0 ? rc : rc6;
}

int herd_live_listen_drops(uint64_t *overflows, uint64_t *drops)
{
    FILE *f = fopen("/proc/net/netstat", "r");
    if (!f) return -errno;
    char head[4096], vals[4096];
    int rc = -EPROTO;
    /* pairs of lines: "TcpExt: Name Name ..." then "TcpExt: value value ..." */
    for (uint32_t k = 0; k < 64 && fgets(head, sizeof head, f) && fgets(vals, sizeof vals, f); k++) {
        if (strncmp(head, "TcpExt:", 7) != 0 || strncmp(vals, "TcpExt:", 7) != 0) continue;
        char *sh = NULL, *sv = NULL;
        char *h = strtok_r(head + 7, " \n", &sh), *v = strtok_r(vals + 7, " \n", &sv);
        bool got_o = false, got_d = false;
        for (; h && v; h = strtok_r(NULL, " \n", &sh), v = strtok_r(NULL, " \n", &sv)) {
            if (strcmp(h, "ListenOverflows") == 0) { *overflows = strtoull(v, NULL, 10); got_o = true; }
            if (strcmp(h, "ListenDrops") == 0) { *drops = strtoull(v, NULL, 10); got_d = true; }
        }
        rc = got_o && got_d ? 0 : -EPROTO;
        break;
    }
    fclose(f);
    return rc;
}
