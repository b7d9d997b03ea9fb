/* haproxy.c — writing the live run's haproxy.cfg (haproxy.h says what maps to what). */
#define _POSIX_C_SOURCE 200809L
#include "haproxy.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>

const char *herd_live_haproxy_balance(int lb_policy)
{
    switch (lb_policy) {
    case 0: return "source";
    case 1: return "roundrobin";
    case 2: return "leastconn";
    case 3: return "random";
    case 4: return "random(2)";
    default: return NULL;
    }
}

int herd_live_haproxy_write(const char *path, int port, const int *server_ports, const int *check_ports,
                            uint32_t servers, int lb_policy, herd_time health_lag_us, uint32_t maxconn,
                            uint32_t rate_per_s, const char *admin_socket)
{
    const char *balance = herd_live_haproxy_balance(lb_policy);
    if (!balance) return -EINVAL;
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    /* The simulator's LB learns a death or a return exactly health_lag late. HAProxy
     * learns it after `fall` (`rise`) checks in a row have failed (succeeded): checks every
     * 100 ms and rise = fall = health_lag / 100 ms put that at health_lag less up to one
     * interval. (Checks every health_lag / 2, fall 1, rise 1 -- the first version -- put
     * it at a quarter of health_lag on average: the live LB came back ~1.5 s sooner than
     * the sim's in docs/fidelity.md's first quiet run.) At most 1 000 checks in a row; a
     * lag under 100 ms is one check of that interval, at least 10 ms. */
    uint64_t lag_ms = (uint64_t)health_lag_us / 1000u, inter_ms = 100, checks;
    if (lag_ms < 100) {
        inter_ms = lag_ms < 10 ? 10 : lag_ms;
        checks = 1;
    } else if (lag_ms > 100u * 1000u) {
        inter_ms = (lag_ms + 999u) / 1000u;
        checks = 1000;
    } else {
        checks = (lag_ms + 50u) / 100u;
    }
    fprintf(f, "# written by herd live from the scenario's lb: block (live/haproxy.h)\n"
               "global\n  maxconn %" PRIu32 "\n  log stderr format short local0 notice\n"
               "  stats socket %s mode 600 level admin\n"
               "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1h\n  timeout server 1h\n"
               "  option redispatch\n  retries 0\n"
               "frontend herd_in\n  bind 127.0.0.1:%d\n  maxconn %" PRIu32 "\n",
            maxconn, admin_socket, port, maxconn);
    if (rate_per_s) fprintf(f, "  rate-limit sessions %" PRIu32 "\n", rate_per_s);
    fprintf(f, "  default_backend herd_servers\nbackend herd_servers\n  balance %s\n", balance);
    if (lb_policy == 0) fprintf(f, "  hash-type consistent\n");
    for (uint32_t i = 0; i < servers; i++) {
        fprintf(f, "  server s%" PRIu32 " 127.0.0.1:%d check inter %" PRIu64 "ms fall %" PRIu64 " rise %" PRIu64,
                i, server_ports[i], inter_ms, checks, checks);
        if (check_ports && check_ports[i] != server_ports[i]) fprintf(f, " port %d", check_ports[i]);
        fputc('\n', f);
    }
    int rc = ferror(f) ? -EIO : 0;
    if (fclose(f) != 0 && rc == 0) rc = -errno;
    return rc;
}

int herd_live_haproxy_ask(const char *admin_socket, const char *cmd, char *reply, size_t size)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (size == 0) return -EINVAL;
    reply[0] = 0;
    if (strlen(admin_socket) >= sizeof a.sun_path) return -ENAMETOOLONG;
    memcpy(a.sun_path, admin_socket, strlen(admin_socket) + 1);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    struct timeval tv = {1, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", cmd);
    int rc = 0;
    if (n < 0 || (size_t)n >= sizeof line) rc = -ENAMETOOLONG;
    else if (connect(s, (struct sockaddr *)&a, sizeof a) != 0 || write(s, line, (size_t)n) != n) rc = -errno;
    size_t got = 0;
    for (uint32_t k = 0; rc == 0 && got + 1 < size && k < 4096u; k++) { /* HAProxy closes after its answer */
        ssize_t r = read(s, reply + got, size - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { rc = -errno; break; }
        if (r == 0) break;
        got += (size_t)r;
    }
    reply[got] = 0;
    close(s);
    return rc;
}

int herd_live_haproxy_command(const char *admin_socket, const char *cmd)
{
    char reply[512];
    int rc = herd_live_haproxy_ask(admin_socket, cmd, reply, sizeof reply); /* empty reply: done */
    if (rc == 0 && (strstr(reply, "No such") || strstr(reply, "denied") || strstr(reply, "Unknown")))
        rc = -EINVAL; /* HAProxy answers a failed command with text */
    return rc;
}
