/* live_lbstat.c — live/lbstat.h against the real kernel and a stand-in admin socket
 * (ctest live_lbstat, label live; built only with herd live): a loopback listener that
 * does not accept shows its completed connections as accept-queue depth (IPv4 and
 * IPv6), a port nobody listens on shows -1, the kernel's listen-drop counters read and
 * never go back, and HAProxy's `show stat` CSV (an answer in HAProxy 2.6's columns,
 * served from a Unix socket by a thread) gives the frontend, backend and UP counts,
 * while an answer without the rows is -EPROTO and a missing socket an errno. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lbstat.h"

static int listener(int family, int backlog)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(s, 0);
    int r;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        r = bind(s, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        r = bind(s, (struct sockaddr *)&a, sizeof a);
    }
    if (r != 0) { close(s); return -1; }
    cr_assert_eq(listen(s, backlog), 0);
    return s;
}

static int port_of(int s)
{
    struct sockaddr_storage a;
    socklen_t l = sizeof a;
    cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &l), 0);
    return ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port : ((struct sockaddr_in6 *)&a)->sin6_port);
}

static int connect_to(int family, int port)
{
    int c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(c, 0);
    int r;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        r = connect(c, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        r = connect(c, (struct sockaddr *)&a, sizeof a);
    }
    cr_assert_eq(r, 0, "connect: %s", strerror(errno)); /* the kernel completes it: queued */
    return c;
}

/* depth of ports[0..n) once it reaches want[0] on ports[0] (a handshake's last ACK may
 * still be in flight just after connect returns), at most a second */
static void depths(const int *ports, uint32_t n, int64_t want0, int64_t *d)
{
    for (int k = 0; k < 100; k++) {
        cr_assert_eq(herd_live_listen_queues(ports, n, d), 0);
        if (d[0] == want0) return;
        usleep(10000);
    }
}

Test(live_lbstat, accept_queue_depth_ipv4_and_ipv6)
{
    int l4 = listener(AF_INET, 16), l6 = listener(AF_INET6, 16);
    int none = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(none, (struct sockaddr *)&a, sizeof a), 0); /* bound, never listening */
    int ports[3] = {port_of(l4), port_of(none), l6 >= 0 ? port_of(l6) : 0};
    int64_t d[3];
    depths(ports, 3, 0, d);
    cr_assert_eq(d[0], 0, "a listener with nothing queued");
    cr_assert_eq(d[1], -1, "nothing listens on a port only bound");
    int c[3];
    for (int i = 0; i < 3; i++) c[i] = connect_to(AF_INET, ports[0]);
    depths(ports, 3, 3, d);
    cr_assert_eq(d[0], 3, "three completed connections not accepted: depth %lld", (long long)d[0]);
    int acc = accept(l4, NULL, NULL);
    cr_assert_geq(acc, 0);
    depths(ports, 3, 2, d);
    cr_assert_eq(d[0], 2, "one accepted: depth %lld", (long long)d[0]);
    if (l6 >= 0) { /* a machine without IPv6 loopback skips this part only */
        int c6 = connect_to(AF_INET6, ports[2]);
        int p6[1] = {ports[2]};
        int64_t d6[1];
        depths(p6, 1, 1, d6);
        cr_assert_eq(d6[0], 1, "the IPv6 listener's queue: %lld", (long long)d6[0]);
        close(c6);
        close(l6);
    }
    for (int i = 0; i < 3; i++) close(c[i]);
    close(acc);
    close(l4);
    close(none);
}

Test(live_lbstat, listen_drop_counters_read_and_never_go_back)
{
    uint64_t o1, d1, o2, d2;
    cr_assert_eq(herd_live_listen_drops(&o1, &d1), 0);
    cr_assert_eq(herd_live_listen_drops(&o2, &d2), 0);
    cr_assert_geq(o2, o1);
    cr_assert_geq(d2, d1);
    cr_assert_geq(d1, o1, "ListenDrops counts the overflows too");
}

/* ---- a stand-in for HAProxy's admin socket: one canned answer per connection -------- */

typedef struct fake {
    char path[108];
    const char *answer;
    int fd;
} fake;

static void *serve(void *arg)
{
    fake *f = arg;
    int c = accept(f->fd, NULL, NULL);
    if (c < 0) return NULL;
    char cmd[64];
    ssize_t n = read(c, cmd, sizeof cmd - 1);
    if (n > 0 && strncmp(cmd, "show stat\n", 10) == 0) {
        size_t len = strlen(f->answer);
        if (write(c, f->answer, len) != (ssize_t)len) { /* the test sees the short answer */ }
    }
    close(c);
    return NULL;
}

static int ask_fake(const char *answer, herd_lb_stat *st)
{
    fake f = {.answer = answer};
    snprintf(f.path, sizeof f.path, "/tmp/herd-lbstat-%d.sock", (int)getpid());
    unlink(f.path);
    f.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, f.path, strlen(f.path) + 1);
    cr_assert_eq(bind(f.fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(f.fd, 1), 0);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, serve, &f), 0);
    int rc = herd_live_lb_stat(f.path, st);
    pthread_join(t, NULL);
    close(f.fd);
    unlink(f.path);
    return rc;
}

Test(live_lbstat, show_stat_parsed_by_column_name)
{
    /* HAProxy 2.6's first 20 columns and its row kinds; values chosen to be told apart */
    static const char answer[] =
        "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,\n"
        "herd_in,FRONTEND,,,17,40,9985,321,6,0,5,0,2,,,,,OPEN,,,\n"
        "herd_servers,s0,0,0,9,20,,150,3,0,,0,,4,0,0,0,UP 45/50,1,1,\n"
        "herd_servers,s1,0,0,8,20,,160,3,0,,0,,0,0,0,0,DOWN,1,1,\n"
        "herd_servers,s2,0,0,0,20,,11,3,0,,0,,0,0,0,0,UP,1,1,\n"
        "herd_servers,BACKEND,3,7,17,40,999,321,3,0,0,0,,4,0,0,0,UP,2,2,\n"
        "\n";
    herd_lb_stat st;
    cr_assert_eq(ask_fake(answer, &st), 0);
    cr_assert_eq(st.sessions, 17u);
    cr_assert_eq(st.sessions_total, 321u);
    cr_assert_eq(st.denied, 5u);
    cr_assert_eq(st.req_errors, 2u);
    cr_assert_eq(st.queued, 3u);
    cr_assert_eq(st.conn_errors, 4u);
    cr_assert_eq(st.servers_up, 2u, "UP and \"UP 45/50\" (going down, still in rotation); not DOWN");

    static const char no_backend[] =
        "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,\n"
        "herd_in,FRONTEND,,,1,1,9985,1,0,0,0,0,0,,,,,OPEN,\n";
    cr_assert_eq(ask_fake(no_backend, &st), -EPROTO);
    cr_assert_lt(herd_live_lb_stat("/tmp/herd-lbstat-no-such.sock", &st), 0);
}
