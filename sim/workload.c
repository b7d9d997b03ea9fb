/* workload.c — what the applications do: publishers publish into their room.
 *
 * Each client belongs to one room (client id mod rooms) and subscribes to it through
 * its session. A share of the clients (publishers_ppm) publish, each at its own pace:
 * the gap between two publishes is uniform in [interval/2, 3 interval/2], drawn from
 * (seed, client, WORKLOAD ^ time). Publishing runs from workload_start_us until
 * workload_stop_us, so a run can end quiet and the oracle can check that every retry
 * queue drained and every subscriber caught up (L1). The application keeps publishing
 * while disconnected: the client queues (bounded) and refuses when full (backpressure). */
#include "world.h"

#include "error.h"
#include "trace_out.h"

static herd_time next_gap(const herd_world *w, uint32_t client)
{
    herd_time iv = w->cfg.publish_interval_us;
    return iv / 2 + herd_world_draw(w, client, HERD_RNG_WORKLOAD | (w->now << 8), iv + 1);
}

void herd_workload_init(herd_world *w)
{
    if (w->cfg.publish_interval_us == 0) return;
    for (uint32_t i = 0; i < w->cfg.clients; i++) {
        if (!(herd_world_sim(w, i)->flags & HERD_SC_PUBLISHER)) continue;
        herd_time at = herd_time_add(w->cfg.workload_start_us, next_gap(w, i));
        if (at < w->cfg.workload_stop_us) herd_world_push(w, at, HERD_EV_PUBLISH, i, 0);
    }
}

int herd_workload_publish(herd_world *w, uint32_t client)
{
    herd_client *c = herd_world_client(w, client);
    if (c->state == HERD_CLIENT_STOPPED) return HERD_OK;
    herd_client_before before;
    herd_msg_id msg = 0;
    herd_world_client_begin(w, client, &before);
    if (herd_trace_on(w, client)) herd_trace_publish(w, client);
    int rc = herd_client_publish(c, &w->cfg.client, w->now, &w->out, &msg);
    if (rc == HERD_EFULL) {
        herd_metrics_add(&w->metrics, HERD_M_BACKPRESSURE, 1);
        rc = HERD_OK;
    } else if (rc == HERD_OK) {
        herd_metrics_add(&w->metrics, HERD_M_PUBLISHED, 1);
    }
    herd_time at = herd_time_add(w->now, next_gap(w, client));
    if (at < w->cfg.workload_stop_us) herd_world_push(w, at, HERD_EV_PUBLISH, client, 0);
    return herd_world_client_end(w, client, &before, rc);
}
