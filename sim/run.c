/* run.c — the world's one event loop (see world.h): above the kernel and every sub-model.
 *
 * Owns: the dispatch of each event to the sub-model its kind names (client events to
 * clients.c, connections to accept.c, sessions to servers.c, the store to store_node.c,
 * faults to faults.c), the metrics tick, and herd_world_run. It keeps no state of its own:
 * the queue, the look-ahead and the trace hash are world.c's. */
#include "world.h"

#include "error.h"
#include "outputs.h"

#include <assert.h>

static void metrics_tick(herd_world *w)
{
    uint64_t g[HERD_G_GAUGE_COUNT] = {0};
    g[HERD_G_CONNECTED] = w->state_count[HERD_CLIENT_LIVE];
    g[HERD_G_QUEUED] = w->queued_total;
    for (uint32_t s = 0; s < w->cfg.servers; s++) g[HERD_G_ACCEPT_QUEUE] += w->servers[s].q_len;
    g[HERD_G_SESSIONS] = w->sessions.live;
    g[HERD_G_CAPACITY] = herd_outputs_capacity(w);
    herd_metrics_row_add(&w->metrics, w->now, g);
    herd_outputs_server_row(w);
    herd_world_push(w, herd_time_add(w->now, w->cfg.metrics_interval_us), HERD_EV_METRICS, 0, 0);
}

static int dispatch(herd_world *w, const herd_event *ev)
{
    switch (ev->kind & 0xffu) {
    case HERD_EV_CLIENT_START:
    case HERD_EV_CLIENT_TIMER:
    case HERD_EV_CLIENT_FRAME:
    case HERD_EV_CLIENT_CLOSE:
    case HERD_EV_CLIENT_OPEN: return herd_clients_event(w, ev);
    case HERD_EV_PUBLISH: return herd_workload_publish(w, ev->target);
    case HERD_EV_SYN: return herd_accept_syn(w, ev->target, (uint32_t)ev->arg, (uint32_t)(ev->arg >> 32));
    case HERD_EV_HANDSHAKE_DONE: return herd_accept_handshake_done(w, ev->target, ev->arg, ev->kind >> 8);
    case HERD_EV_SESSION_FRAME: return herd_servers_session_frame(w, ev->target, ev->arg);
    case HERD_EV_SESSION_FIN: {
        herd_sim_session *ss = herd_pool_at(&w->sessions, ev->target);
        if (ss->in_use && ss->gen == (uint32_t)ev->arg) herd_servers_close_session(w, ev->target, false, 0, 0);
        return HERD_OK;
    }
    case HERD_EV_SERVER_CLOSE: {
        herd_sim_session *ss = herd_pool_at(&w->sessions, ev->target);
        if (ss->in_use && ss->gen == (uint32_t)ev->arg)
            herd_servers_close_session(w, ev->target, true, (uint16_t)(ev->arg >> 32), (uint32_t)(ev->arg >> 48));
        return HERD_OK;
    }
    case HERD_EV_STORE_EXEC: return herd_store_node_exec(w, ev->arg);
    case HERD_EV_STORE_RESULT: return herd_store_node_result(w, ev->arg);
    case HERD_EV_STORE_FSYNC: herd_store_node_fsync(w); return HERD_OK;
    case HERD_EV_FANOUT: return herd_servers_fanout(w, ev->arg);
    case HERD_EV_FAULT: return herd_faults_fire(w, ev->target, ev->arg);
    case HERD_EV_LB_HEALTH:
        w->servers[ev->target].lb_up = (uint8_t)ev->arg;
        herd_lb_changed(w, ev->target);
        return HERD_OK;
    case HERD_EV_METRICS: metrics_tick(w); return HERD_OK;
    default: assert(!"event kind"); return HERD_EINVAL;
    }
}

int herd_world_run(herd_world *w)
{
    herd_event ev;
    while (herd_world_next_event(w, &ev)) {
        if (ev.at > w->cfg.duration_us) break;
        assert(ev.at >= w->now);
        w->now = ev.at;
        w->events++;
        herd_world_hash_event(w, &ev);
        int rc = dispatch(w, &ev);
        if (rc != HERD_OK) return rc;
        if ((w->events & 0xfffffu) == 0 && w->progress) w->progress(w, w->progress_ctx);
    }
    w->now = w->cfg.duration_us;
    return HERD_OK;
}
