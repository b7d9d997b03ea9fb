/* cli.h — the subcommands of the herd binary. cli/ is the top floor: main.c dispatches
 * to these, and they alone reach into more than one of sim/, model/ and render/ (which
 * are peers on src/ and lib/ and never include each other; tests/floors.sh checks it).
 * Each takes the arguments after its name (argv[0] is the subcommand) and returns an exit
 * status from lib/exitcode.h. */
#ifndef HERD_CLI_H
#define HERD_CLI_H

int herd_cmd_run(int argc, char **argv);      /* cli/cmd_run.c: the simulator */
int herd_cmd_policies(int argc, char **argv); /* cli/cmd_policies.c: backoff delay tables */
int herd_cmd_check(int argc, char **argv);    /* cli/cmd_check.c: the model checker */
int herd_cmd_replay(int argc, char **argv);   /* cli/cmd_replay.c: the independent replay */
int herd_cmd_render(int argc, char **argv);   /* cli/cmd_render.c: reports and charts */
int herd_cmd_sweep(int argc, char **argv);    /* cli/cmd_sweep.c: grids of runs (sweep.h) */
int herd_cmd_shrink(int argc, char **argv);   /* cli/cmd_shrink.c: a failing run made small */
int herd_cmd_live(int argc, char **argv);     /* cli/cmd_live.c: real sockets, HAProxy, Redis */
int herd_cmd_live_server(int argc, char **argv);  /* cli/cmd_live_roles.c: one live server */
int herd_cmd_live_clients(int argc, char **argv); /* cli/cmd_live_roles.c: the live clients */
int herd_cmd_live_relay(int argc, char **argv);   /* cli/cmd_live_roles.c: the fault-injecting relay */

/* cli/cli_help.c. The flag of names (NULL-terminated) nearest to word, by lib/config's
 * "did you mean" rule (within a third of its length), or NULL when none is near. */
const char *herd_cli_suggest(const char *word, const char *const *names);
/* "herd CMD: unknown option 'ARG'", with " (did you mean 'FLAG'?)" when one of flags is near,
 * on stderr; returns 64 (HERD_EXIT_USAGE). */
int herd_cli_unknown_option(const char *cmd, const char *arg, const char *const *flags);

#endif
