/* init.c — the world's start-up (see world.h): above the kernel and every sub-model.
 *
 * Owns: allocation of every entity, then the first events of each sub-model (clients,
 * workload, the store's fsync, the metrics tick, the fault plan). Teardown is world.c's
 * (herd_world_free), which a failed start-up calls. */
#include "world.h"

#include "error.h"

#include <stdlib.h>

size_t herd_world_events_max(const herd_world_config *c)
{
    return (size_t)c->clients * 8u + 1000000u;
}

static int alloc_arrays(herd_world *w)
{
    const herd_world_config *c = &w->cfg;
    w->slots = herd_big_alloc((size_t)c->clients * sizeof *w->slots); /* clients <= 2e7: no overflow */
    w->servers = calloc(c->servers, sizeof *w->servers);
    w->accept = calloc((size_t)c->servers * c->backlog, sizeof *w->accept);
    w->room_head = calloc(c->rooms, sizeof *w->room_head);
    /* The store is a reservation (store.h's growing layout): zero pages, touched as
     * messages arrive. */
    w->store_bytes = herd_store_bytes(&c->store);
    w->store = w->store_bytes ? herd_big_alloc(w->store_bytes) : NULL;
    if (!w->slots || !w->servers || !w->accept || !w->room_head || !w->store)
        return HERD_ENOSPACE;
    uint32_t sess_max = c->clients > UINT32_MAX / 4 ? UINT32_MAX : c->clients * 2u + 1024u;
    size_t qcap = herd_world_events_max(c);
    /* Every frame and store parcel belongs to one pending event: the queue's bound. */
    uint32_t parcels_max = (uint32_t)qcap;
    if (herd_pool_init(&w->sessions, sizeof(herd_sim_session), sess_max) != HERD_OK ||
        herd_pool_init(&w->frames, sizeof(herd_frame_parcel), parcels_max) != HERD_OK ||
        herd_pool_init(&w->store_ops, sizeof(herd_store_parcel), parcels_max) != HERD_OK)
        return HERD_ENOSPACE;
    w->q = herd_queue_new(c->queue_kind, qcap);
    if (!w->q) return HERD_ENOSPACE;
    if (herd_oracle_init_strided(&w->oracle, c->clients, c->oracle_capacity, &w->slots[0].seen,
                                 sizeof *w->slots) != HERD_OK)
        return HERD_ENOSPACE;
    return herd_metrics_init(&w->metrics, c->duration_us, c->metrics_interval_us, c->servers);
}

static int alloc_local_dedups(herd_world *w)
{
    if (w->cfg.server.proto.dedup_mode != HERD_DEDUP_LOCAL) return HERD_OK;
    uint32_t cap = w->cfg.store.dedup_capacity;
    size_t bytes = herd_dedup_bytes(cap);
    for (uint32_t s = 0; s < w->cfg.servers; s++) {
        w->servers[s].local = bytes ? herd_big_alloc(bytes) : NULL; /* zero pages, touched with use */
        if (!w->servers[s].local) return HERD_ENOSPACE;
        herd_dedup_init_growing(w->servers[s].local, bytes, cap, w->cfg.store.dedup_window_us);
    }
    return HERD_OK;
}

int herd_world_init(herd_world *w, const herd_world_config *cfg)
{
    *w = (herd_world){0};
    w->cfg = *cfg;
    w->cfg.store.grow = 1; /* memory follows the messages stored, not rooms x maxlen */
    w->store_up = 1;
    w->lb_up = 1;
    w->recovered_at = HERD_TIME_NEVER;
    herd_hash_init(&w->hash, cfg->seed);
    cfg = &w->cfg;
    int rc = alloc_arrays(w);
    if (rc == HERD_OK) rc = alloc_local_dedups(w);
    if (rc == HERD_OK) rc = herd_delays_init(&w->delays, cfg->duration_us);
    if (rc != HERD_OK) {
        herd_world_free(w);
        return rc;
    }
    herd_store_init(w->store, w->store_bytes, &cfg->store, 0);
    for (uint32_t s = 0; s < cfg->servers; s++) {
        w->servers[s].up = 1;
        w->servers[s].lb_up = 1;
    }
    rc = herd_lb_init(w); /* after the servers are up in the LB's view */
    if (rc != HERD_OK) {
        herd_world_free(w);
        return rc;
    }
    w->lb_tokens_milli = (uint64_t)cfg->lb_burst * 1000u;
    herd_clients_init(w);
    herd_workload_init(w);
    if (herd_store_deadline(w->store) != HERD_TIME_NEVER)
        herd_world_push(w, herd_store_deadline(w->store), HERD_EV_STORE_FSYNC, 0, 0);
    herd_world_push(w, cfg->metrics_interval_us, HERD_EV_METRICS, 0, 0);
    return herd_faults_schedule(w);
}
