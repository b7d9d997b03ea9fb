/* trace_log.c — writing a live process's trace records (trace_log.h). */
#include "trace_log.h"

#include <string.h>

FILE *herd_live_trace_open(const char *path)
{
    FILE *f = fopen(path, "a");
    if (f) setvbuf(f, NULL, _IOLBF, 1u << 16);
    return f;
}

void herd_live_trace_init(herd_trace_rec *r, uint8_t what, const char *actor, const char *name,
                          herd_time now)
{
    memset(r, 0, sizeof *r);
    r->what = what;
    snprintf(r->actor, sizeof r->actor, "%s", actor);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->now = now;
    r->has = HERD_TF_NOW;
}

void herd_live_trace_write(FILE *f, const herd_trace_rec *r)
{
    if (f) (void)herd_trace_write_rec(f, r);
}
