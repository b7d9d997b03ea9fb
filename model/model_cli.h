/* model_cli.h — the subcommands of the herd binary that live in model/: the small
 * interface through which sim/main.c reaches the model checker. Same conventions as
 * sim/cli.h. */
#ifndef HERD_MODEL_CLI_H
#define HERD_MODEL_CLI_H

int herd_cmd_check(int argc, char **argv);  /* model/cmd_check.c */
int herd_cmd_replay(int argc, char **argv); /* model/cmd_replay.c */

#endif
