/* args.c — command-line whole numbers (see args.h). */
#include "args.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

bool herd_arg_u64(const char *cmd, const char *flag, const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = (v[0] >= '0' && v[0] <= '9') ? strtoull(v, &end, 10) : 0; /* no sign, no space */
    if (end == NULL || *end != '\0' || errno != 0 || x < lo || x > hi) {
        fprintf(stderr, "herd %s: %s must be a whole number in [%" PRIu64 ", %" PRIu64 "], got '%s'\n", cmd, flag, lo,
                hi, v);
        return false;
    }
    *out = (uint64_t)x;
    return true;
}
