/* cli_help.c — what the subcommands share for a command line that is wrong: the nearest
 * known flag to an unknown one, and the one message that names both ("herd run: unknown
 * option '--sed' (did you mean '--set'?)"). The nearness is lib/config's, the same one that
 * suggests scenario keys and enumerations (no second edit distance here): the word is put in
 * a one-key document and read back as an enumeration of the flags; its message is read back
 * for the name it suggests. */
#include "cli.h"

#include "config.h"
#include "exitcode.h"

#include <stdio.h>
#include <string.h>

const char *herd_cli_suggest(const char *word, const char *const *names)
{
    if (word == NULL || names == NULL || names[0] == NULL || strchr(word, '\n') != NULL) return NULL;
    herd_cfg_doc *d = herd_cfg_load_string("herd", "k: x\n");
    if (d == NULL) return NULL;
    char set[160];
    const char *near = NULL;
    int w = snprintf(set, sizeof set, "k=%s", word);
    if (w > 0 && (size_t)w < sizeof set && herd_cfg_set(d, set)) {
        int idx;
        herd_cfg_enum(d, herd_cfg_root(d), "k", true, names, -1, &idx);
        const char *err = herd_cfg_error(d);
        size_t elen = strlen(err);
        /* The message ends "; did you mean 'NAME'? (one of: A, B, C)" when one is near. */
        char list[600] = "", tail[800];
        size_t used = 0;
        for (size_t i = 0; names[i] && used < sizeof list; i++) {
            int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
            if (n < 0) break;
            used += (size_t)n;
        }
        for (size_t i = 0; names[i] && near == NULL; i++) {
            int n = snprintf(tail, sizeof tail, "; did you mean '%s'? (one of: %s)", names[i], list);
            size_t tlen = n < 0 ? 0 : (size_t)n;
            if (tlen > 0 && tlen < sizeof tail && elen >= tlen && strcmp(err + elen - tlen, tail) == 0)
                near = names[i];
        }
    }
    herd_cfg_free(d);
    return near;
}

int herd_cli_unknown_option(const char *cmd, const char *arg, const char *const *flags)
{
    const char *near = herd_cli_suggest(arg, flags);
    if (near) fprintf(stderr, "herd %s: unknown option '%s' (did you mean '%s'?)\n", cmd, arg, near);
    else fprintf(stderr, "herd %s: unknown option '%s'\n", cmd, arg);
    return HERD_EXIT_USAGE;
}
