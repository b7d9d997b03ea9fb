/* cmd_policies.c — placeholder until this subcommand lands; it says so and fails. */
#include "cli.h"
#include "exitcode.h"

#include <stdio.h>

int herd_cmd_policies(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "herd %s: not built yet\n", argv[0]);
    return HERD_EXIT_SOFTWARE;
}
