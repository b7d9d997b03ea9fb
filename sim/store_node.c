/* store_node.c — the one shared store (a herd_store) as a network node: operation latency,
 * execution, results in issue order, the fsync timer, crash and restart.
 *
 * A session's STORE effect travels store_latency_us to the store, runs there, and its
 * result travels back as long again. Writes run at the store when they arrive (the
 * append happens even if the session that asked has died since: the store cannot know);
 * reads run when the result is handed back, which is the same as a read served a little
 * later and spares carrying 64 entries per in-flight read. Results of one session come
 * back in the order it issued them (a per-session clamp, as on one TCP connection to
 * Redis). While the store is down, or cut from the server, an operation fails
 * (HERD_ESTATE: "store unavailable") and the session closes with 1011. Every append is
 * shown to the oracle (I2); a crash is shown to it after the store has dropped what its
 * durability mode loses (I1). */
#include "world.h"

#include "error.h"
#include "trace_out.h"

#include <assert.h>

int herd_store_node_issue(herd_world *w, uint32_t slot, const herd_store_req *req)
{
    uint32_t p = herd_pool_alloc(&w->store_ops);
    if (p == HERD_POOL_NONE) return HERD_ENOSPACE;
    herd_store_parcel *sp = herd_pool_at(&w->store_ops, p);
    herd_sim_session *ss = herd_pool_at(&w->sessions, slot);
    sp->req = *req;
    sp->slot = slot;
    sp->gen = ss->gen;
    return herd_world_push(w, herd_time_add(w->now, w->cfg.store_latency_us), HERD_EV_STORE_EXEC, ss->server, p);
}

static bool store_reachable(const herd_world *w, uint32_t server)
{
    if (!w->store_up) return false;
    herd_group sg = {HERD_GROUP_SERVERS, server, 1}, st = {HERD_GROUP_STORE, 0, 1};
    return herd_net_path_open_at(w, sg, st) <= w->now && herd_net_path_open_at(w, st, sg) <= w->now;
}

int herd_store_node_exec(herd_world *w, uint64_t parcel)
{
    herd_store_parcel *sp = herd_pool_at(&w->store_ops, (uint32_t)parcel);
    herd_sim_session *ss = herd_pool_at(&w->sessions, sp->slot);
    bool alive = ss->in_use && ss->gen == sp->gen;
    if (alive && herd_trace_on(w, ss->s.client)) herd_trace_store_execute(w, sp->slot, &sp->req);
    if (!store_reachable(w, alive ? ss->server : 0)) {
        sp->err = HERD_ESTATE;
    } else if (sp->req.op != HERD_STORE_OP_READ) {
        herd_store_result *r = &w->read_res;
        herd_store_execute(w->store, w->now, &sp->req, r);
        sp->err = r->err;
        sp->pub = r->pub;
        if (r->err == HERD_OK && r->pub.status == HERD_PUBLISH_APPENDED)
            herd_oracle_on_append(&w->oracle, w->now, sp->req.room, sp->req.msg, r->pub.sid, r->pub.lsn);
    }
    if (!alive) {
        herd_pool_release(&w->store_ops, (uint32_t)parcel);
        return HERD_OK;
    }
    herd_time at = herd_time_add(w->now, w->cfg.store_latency_us);
    if (at < ss->store_at) at = ss->store_at;
    ss->store_at = at;
    return herd_world_push(w, at, HERD_EV_STORE_RESULT, sp->slot, parcel);
}

int herd_store_node_result(herd_world *w, uint64_t parcel)
{
    herd_store_parcel sp = *(herd_store_parcel *)herd_pool_at(&w->store_ops, (uint32_t)parcel);
    herd_pool_release(&w->store_ops, (uint32_t)parcel);
    herd_store_result *r = &w->read_res;
    if (sp.req.op == HERD_STORE_OP_READ && sp.err == HERD_OK) {
        herd_store_execute(w->store, w->now, &sp.req, r);
    } else {
        *r = (herd_store_result){0};
        r->op = sp.req.op;
        r->err = sp.err;
        r->room = sp.req.room;
        r->msg = sp.req.msg;
        r->pub = sp.pub;
    }
    return herd_servers_store_result(w, &sp, r);
}

void herd_store_node_crash(herd_world *w)
{
    herd_store_crash(w->store, w->now);
    herd_oracle_on_store_crash(&w->oracle, w->store, w->now);
}

void herd_store_node_fsync(herd_world *w)
{
    herd_store_on_timer(w->store, w->now);
    herd_oracle_on_fsync(&w->oracle, w->store);
    herd_time d = herd_store_deadline(w->store);
    if (d != HERD_TIME_NEVER) herd_world_push(w, d > w->now ? d : w->now + 1, HERD_EV_STORE_FSYNC, 0, 0);
}
