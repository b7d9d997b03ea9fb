/* cmd_policies.c — `herd policies`: every backoff policy's delay per attempt, at a glance.
 *
 * For each policy (its documented defaults, src/backoff.c) and each attempt 0..N-1, prints
 * the exact range of the delay over every per-client base and every draw, and its analytic
 * mean, in human units; or, with --json, one JSON object with the same figures in integer
 * microseconds. It draws nothing: bounds and means are computed, not sampled, so the output
 * is the same on every machine. This is what scripts/demo shows. */
#include "args.h"
#include "backoff.h"
#include "cli.h"
#include "exitcode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATTEMPTS_DEFAULT 10u
#define ATTEMPTS_MAX 64u
#define DUR_BUF 24

/* One line per policy: what it is and where its defaults come from (docs/backoff.md). */
static const char *const summaries[HERD_BACKOFF_KIND_COUNT] = {
    [HERD_BACKOFF_FIXED] = "same delay every time: the whole fleet retries in lockstep",
    [HERD_BACKOFF_EXPONENTIAL] = "base x2 per attempt, capped, no jitter: synchronised doubling",
    [HERD_BACKOFF_ARTICLE] = "per-client base 100-500 ms, x2, cap 60 s, then +/-50 % (the article)",
    [HERD_BACKOFF_FULL_JITTER] = "U[0, min(cap, base*2^n)] (AWS Architecture blog)",
    [HERD_BACKOFF_EQUAL_JITTER] = "t/2 + U[0, t/2], t = min(cap, base*2^n) (AWS Architecture blog)",
    [HERD_BACKOFF_DECORRELATED] = "min(cap, U[base, prev*3]) (AWS Architecture blog)",
    [HERD_BACKOFF_GRPC] = "grpc-go: 1 s exact, then x1.6 capped at 120 s, then +/-20 %",
    [HERD_BACKOFF_SOCKETIO] = "socket.io-client (backo2): 1 s x2 +/-50 %, then capped at 5 s",
    [HERD_BACKOFF_PHOENIX] = "phoenix.js reconnectAfterMs: step table, then 5 s forever",
    [HERD_BACKOFF_SIGNALR] = "SignalR withAutomaticReconnect(): 0, 2, 10, 30 s, then gives up",
    [HERD_BACKOFF_RECONNECTING_WS] = "reconnecting-websocket: per-client U[1,5] s, x1.3, cap 10 s",
    [HERD_BACKOFF_CENTRIFUGE] = "centrifuge-js: min(20 s, 500 ms + U[0, min(20 s, 500 ms*2^n)])",
    [HERD_BACKOFF_AWS_STANDARD] = "AWS SDK standard: 0, then U[0, 100 ms*2^n], cap 20 s; 3 attempts",
};

/* Every flag parse_args accepts (tests/cli_help.sh checks each is in help()). */
static const char *const policies_flags[] = {"--attempts", "--policy", "--json", "--help", "-h", NULL};

static void usage(FILE *f)
{
    fprintf(f, "usage: herd policies [--attempts N] [--policy NAME] [--json]\n"
               "'herd policies --help' explains each flag.\n");
}

static void help(FILE *f)
{
    fprintf(f, "usage: herd policies [--attempts N] [--policy NAME] [--json]\n\n"
               "Print each backoff policy's delay before reconnect attempt 0..N-1: the exact\n"
               "range over every client and draw, and the mean, with each policy's shipped\n"
               "defaults (docs/backoff.md). Nothing is sampled: the output is the same on every\n"
               "machine.\n\n"
               "options:\n"
               "  --attempts N   attempts to show, 1..%u (default %u)\n"
               "  --policy NAME  only this policy, one of:\n                ",
            ATTEMPTS_MAX, ATTEMPTS_DEFAULT);
    for (int k = 0; k < HERD_BACKOFF_KIND_COUNT; k++)
        fprintf(f, " %s%s", herd_backoff_name(k), k % 5 == 4 && k + 1 < HERD_BACKOFF_KIND_COUNT ? "\n                " : "");
    fprintf(f, "\n  --json         one JSON object on stdout, delays in integer microseconds\n"
               "  -h, --help     print this help and exit 0\n\n"
               "exit status:\n"
               "  0   printed\n"
               "  64  bad command line\n"
               "  70  internal error\n"
               "  74  stdout cannot be written\n\n"
               "examples:\n"
               "  herd policies\n"
               "  herd policies --policy full_jitter --attempts 6 --json\n");
}

/* Human units, integer only: 750 us, 12.5 ms, 1.25 s, 144 s. Truncates, never rounds up. */
static void fmt_dur(char *buf, uint64_t us)
{
    if (us == 0) {
        snprintf(buf, DUR_BUF, "0");
    } else if (us < 1000) {
        snprintf(buf, DUR_BUF, "%" PRIu64 " us", us);
    } else if (us < 1000000) {
        uint64_t tenth = us % 1000 / 100;
        if (tenth) snprintf(buf, DUR_BUF, "%" PRIu64 ".%" PRIu64 " ms", us / 1000, tenth);
        else snprintf(buf, DUR_BUF, "%" PRIu64 " ms", us / 1000);
    } else if (us < 100000000) {
        uint64_t cs = us % 1000000 / 10000; /* hundredths of a second */
        if (cs == 0) snprintf(buf, DUR_BUF, "%" PRIu64 " s", us / 1000000);
        else if (cs % 10 == 0) snprintf(buf, DUR_BUF, "%" PRIu64 ".%" PRIu64 " s", us / 1000000, cs / 10);
        else snprintf(buf, DUR_BUF, "%" PRIu64 ".%02" PRIu64 " s", us / 1000000, cs);
    } else {
        snprintf(buf, DUR_BUF, "%" PRIu64 " s", us / 1000000);
    }
}

static void print_policy_text(const herd_backoff_policy *p, unsigned attempts)
{
    printf("%-16s %s\n", herd_backoff_name(p->kind), summaries[p->kind]);
    printf("  %7s  %10s  %10s  %10s\n", "attempt", "min", "max", "mean");
    for (unsigned n = 0; n < attempts; n++) {
        if (herd_backoff_stops(p, n)) {
            printf("  %7u  gives up (no further attempt)\n", n);
            break;
        }
        uint64_t lo, hi, mean = herd_backoff_mean_us(p, n);
        herd_backoff_bounds(p, n, &lo, &hi);
        char a[DUR_BUF], b[DUR_BUF], c[DUR_BUF];
        fmt_dur(a, lo), fmt_dur(b, hi);
        if (mean == HERD_BACKOFF_MEAN_NONE) snprintf(c, DUR_BUF, "-");
        else fmt_dur(c, mean);
        printf("  %7u  %10s  %10s  %10s\n", n, a, b, c);
    }
    printf("\n");
}

static void print_policy_json(const herd_backoff_policy *p, unsigned attempts, bool first)
{
    printf("%s{\"name\":\"%s\",\"summary\":\"%s\",\"attempts\":[", first ? "" : ",",
           herd_backoff_name(p->kind), summaries[p->kind]);
    for (unsigned n = 0; n < attempts; n++) {
        const char *sep = n ? "," : "";
        if (herd_backoff_stops(p, n)) {
            printf("%s{\"attempt\":%u,\"stop\":true}", sep, n);
            break;
        }
        uint64_t lo, hi, mean = herd_backoff_mean_us(p, n);
        herd_backoff_bounds(p, n, &lo, &hi);
        printf("%s{\"attempt\":%u,\"stop\":false,\"min_us\":%" PRIu64 ",\"max_us\":%" PRIu64
               ",\"mean_us\":",
               sep, n, lo, hi);
        if (mean == HERD_BACKOFF_MEAN_NONE) printf("null}");
        else printf("%" PRIu64 "}", mean);
    }
    printf("]}");
}

typedef struct policies_opts {
    unsigned attempts;
    int only; /* a kind, or -1 for all */
    bool json;
} policies_opts;

/* HERD_EXIT_OK, or HERD_EXIT_USAGE after saying why on stderr. */
static int parse_args(int argc, char **argv, policies_opts *o)
{
    *o = (policies_opts){ATTEMPTS_DEFAULT, -1, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--attempts") == 0 && i + 1 < argc) {
            uint64_t v;
            if (!herd_arg_u64("policies", a, argv[++i], 1, ATTEMPTS_MAX, &v)) return HERD_EXIT_USAGE;
            o->attempts = (unsigned)v;
        } else if (strcmp(a, "--policy") == 0 && i + 1 < argc) {
            o->only = herd_backoff_parse(argv[++i]);
            if (o->only < 0) {
                const char *names[HERD_BACKOFF_KIND_COUNT + 1];
                for (int k = 0; k < HERD_BACKOFF_KIND_COUNT; k++) names[k] = herd_backoff_name(k);
                names[HERD_BACKOFF_KIND_COUNT] = NULL;
                const char *near = herd_cli_suggest(argv[i], names);
                if (near) fprintf(stderr, "herd policies: unknown policy '%s' (did you mean '%s'?)\n", argv[i], near);
                else fprintf(stderr, "herd policies: unknown policy '%s'\n", argv[i]);
                usage(stderr);
                return HERD_EXIT_USAGE;
            }
        } else if (strcmp(a, "--attempts") == 0 || strcmp(a, "--policy") == 0) {
            fprintf(stderr, "herd policies: %s needs a value\n", a);
            usage(stderr);
            return HERD_EXIT_USAGE;
        } else if (a[0] == '-') {
            herd_cli_unknown_option("policies", a, policies_flags);
            usage(stderr);
            return HERD_EXIT_USAGE;
        } else {
            fprintf(stderr, "herd policies: unexpected argument '%s'\n", a);
            usage(stderr);
            return HERD_EXIT_USAGE;
        }
    }
    return HERD_EXIT_OK;
}

int herd_cmd_policies(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help(stdout);
            return HERD_EXIT_OK;
        }
    }
    policies_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != HERD_EXIT_OK) return rc;
    if (o.json) printf("{\"attempts\":%u,\"policies\":[", o.attempts);
    else printf("Delay before reconnect attempt n: exact min and max over every client and draw, "
                "and the mean\n('-': no closed form). Defaults as shipped; see docs/backoff.md.\n\n");
    bool first = true;
    for (int k = 0; k < HERD_BACKOFF_KIND_COUNT; k++) {
        if (o.only >= 0 && k != o.only) continue;
        herd_backoff_policy p;
        if (herd_backoff_defaults(&p, k) != 0) return HERD_EXIT_SOFTWARE;
        if (o.json) print_policy_json(&p, o.attempts, first);
        else print_policy_text(&p, o.attempts);
        first = false;
    }
    if (o.json) printf("]}\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "herd policies: writing stdout: %s\n", strerror(errno));
        return HERD_EXIT_IOERR;
    }
    return HERD_EXIT_OK;
}
