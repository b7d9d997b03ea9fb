/* outputs.h — what `herd run --out DIR` writes beside the metrics for docs/rendering.md's
 * contract: the capacity_per_s column, servers.csv, faults.json and delays.json (trace.jsonl is
 * trace_out.h's). Everything here observes the world; nothing steers it. */
#ifndef HERD_SIM_OUTPUTS_H
#define HERD_SIM_OUTPUTS_H

#include "world.h"

#include <stdio.h>

/* faults.json: {"bands":[{"kind","start_s","end_s","label"}]}, one band per fault of the
 * run (the scenario's, or the drawn ones under --swarm). 0 or -EIO. */
int herd_outputs_faults_json(const herd_world *w, FILE *f);
/* One band's label, as render/scenario_info.c derives it ("crash: servers 0-1",
 * "partition clients <-> lb", "clients 0-9 offline", "lb restart"). */
void herd_outputs_fault_label(const herd_fault *f, char *out, size_t size);

/* The per-server row of the metrics tick (metrics.h herd_metrics_server_row): the
 * servers' gauges, when this tick records one. Call after herd_metrics_row_add. */
void herd_outputs_server_row(herd_world *w);
/* servers.csv: t_s,server,<herd_server_col names>, one row per server per per-server row
 * (docs/trace-format.md). Streams from the preallocated cells. 0 or -EIO. */
int herd_outputs_servers_csv(const herd_world *w, FILE *f);

/* capacity_per_s (metrics.h HERD_G_CAPACITY): the handshakes per second the servers that
 * were up could complete over the interval now ending, time-weighted (a server down for
 * half the interval counts half), capped by the load balancer's rate, 0 while the load
 * balancer is down. Called by the metrics tick; starts the next interval. */
uint64_t herd_outputs_capacity(herd_world *w);
/* Around every fault phase (faults.c): begin sums the server-up time so far (the phase may
 * change it) and traces the transition; end traces the servers it stopped or started. */
void herd_outputs_fault_begin(herd_world *w, uint32_t index, uint64_t arg);
void herd_outputs_fault_end(herd_world *w);
/* When fault f heals (faults.c: the time L1 counts from). */
herd_time herd_fault_heal_us(const herd_world *w, const herd_fault *f);

#endif
