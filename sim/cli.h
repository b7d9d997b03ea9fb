/* cli.h — the subcommands of the herd binary that live in sim/ (sim/main.c dispatches).
 * Each takes the arguments after its name (argv[0] is the subcommand) and returns an
 * exit status from lib/exitcode.h. */
#ifndef HERD_SIM_CLI_H
#define HERD_SIM_CLI_H

int herd_cmd_run(int argc, char **argv);      /* sim/cmd_run.c */
int herd_cmd_policies(int argc, char **argv); /* sim/cmd_policies.c */

#endif
