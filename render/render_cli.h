/* render_cli.h — the `herd render` subcommand (render/cmd_render.c), reached from
 * sim/main.c. Same conventions as sim/cli.h. */
#ifndef HERD_RENDER_CLI_H
#define HERD_RENDER_CLI_H

int herd_cmd_render(int argc, char **argv);

#endif
