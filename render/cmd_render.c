/* cmd_render.c — placeholder until `herd render` lands; it says so and fails. */
#include "exitcode.h"
#include "render_cli.h"

#include <stdio.h>

int herd_cmd_render(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "herd %s: not built yet\n", argv[0]);
    return HERD_EXIT_SOFTWARE;
}
