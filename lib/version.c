/* version.c — herd's version string, for traces and --json output. */
#include "version.h"

const char *herd_version(void) { return HERD_VERSION; }
