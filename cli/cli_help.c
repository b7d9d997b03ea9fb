/* cli_help.c — what the subcommands share for a command line that is wrong: the nearest
 * known flag to an unknown one, and the one message that names both ("herd run: unknown
 * option '--sed' (did you mean '--set'?)"). The nearness is lib/config's herd_cfg_suggest, the
 * same one that suggests scenario keys and enumerations (no second edit distance here). */
#include "cli.h"

#include "config.h"
#include "exitcode.h"

#include <stdio.h>
#include <string.h>

const char *herd_cli_suggest(const char *word, const char *const *names)
{
    if (word == NULL || names == NULL) return NULL;
    return herd_cfg_suggest(word, names);
}

int herd_cli_unknown_option(const char *cmd, const char *arg, const char *const *flags)
{
    const char *near = herd_cli_suggest(arg, flags);
    if (near) fprintf(stderr, "herd %s: unknown option '%s' (did you mean '%s'?)\n", cmd, arg, near);
    else fprintf(stderr, "herd %s: unknown option '%s'\n", cmd, arg);
    return HERD_EXIT_USAGE;
}
