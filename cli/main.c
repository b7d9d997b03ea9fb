/* main.c — the herd binary: one command, subcommands dispatched from a table.
 * Exit statuses follow lib/exitcode.h (sysexits). */
#include "cli.h"
#include "exitcode.h"

#include <stdio.h>
#include <string.h>

typedef struct herd_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} herd_command;

static const herd_command commands[] = {
    {"run", herd_cmd_run, "run a scenario in the simulator and check its expectations"},
    {"check", herd_cmd_check, "explore every interleaving of a small model"},
    {"replay", herd_cmd_replay, "re-feed a trace to fresh core machines and re-check it"},
    {"render", herd_cmd_render, "draw timelines, comparisons and message-sequence charts"},
    {"policies", herd_cmd_policies, "print the backoff policies' delay ranges per attempt"},
    {"sweep", herd_cmd_sweep, "run a scenario over a grid of values and seeds, and map it"},
    {"shrink", herd_cmd_shrink, "shrink a failing run to a small scenario that fails the same way"},
    {"live", herd_cmd_live, "run a scenario on real sockets, HAProxy and Redis (docs/live.md)"},
    /* the live run's own processes, started by `herd live` (no summary: not listed) */
    {"live-server", herd_cmd_live_server, NULL},
    {"live-clients", herd_cmd_live_clients, NULL},
    {"live-relay", herd_cmd_live_relay, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: herd COMMAND [args]\n"
               "       herd --version\n\n"
               "A deterministic simulator and model checker for WebSocket reconnect protocols.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary) fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'herd COMMAND --help' (or -h) describes a command: its flags, exit statuses and\n"
               "examples. Exit status: 0 ok, 1 an expectation not met, 64 usage, 65 invalid input,\n"
               "70 internal error, 74 I/O error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return HERD_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return HERD_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("herd %s\n", HERD_VERSION);
        return HERD_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    const char *names[sizeof commands / sizeof commands[0] + 1];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) names[i] = commands[i].name;
    names[sizeof commands / sizeof commands[0]] = NULL;
    const char *near = herd_cli_suggest(argv[1], names);
    if (near) fprintf(stderr, "herd: unknown command '%s' (did you mean '%s'?)\n", argv[1], near);
    else fprintf(stderr, "herd: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return HERD_EXIT_USAGE;
}
