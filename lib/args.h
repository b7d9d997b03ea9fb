/* args.h — command-line values shared by the herd subcommands: a whole number given to a
 * flag, checked against its range, with the one message every subcommand prints when it is
 * not one ("--max-states 1e6" must not quietly mean 1, "-3" 2^64-3, or "abc" 0). */
#ifndef HERD_ARGS_H
#define HERD_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* v as a decimal whole number in [lo, hi] into *out; otherwise false, after printing
 * "herd CMD: FLAG must be a whole number in [LO, HI], got 'V'" on stderr. */
bool herd_arg_u64(const char *cmd, const char *flag, const char *v, uint64_t lo, uint64_t hi, uint64_t *out);

#endif
