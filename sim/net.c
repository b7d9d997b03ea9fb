/* net.c — the network between clients, the load balancer, servers and the store.
 *
 * Owns one-way latency (base + uniform jitter, plus a burst's extra), loss, and
 * partitions between groups of entities (one-way ones included). Connections are TCP:
 * a lost segment is not lost but retransmitted (it arrives rto later), segments of one
 * connection arrive in order (each direction keeps its last arrival time and nothing
 * overtakes it), and a segment sent across a cut waits for the cut to heal. A SYN, which
 * has no connection yet, is what a loss or a cut really drops (accept.c retransmits it).
 * Every draw comes from a generator derived from (seed, entity, purpose ^ time ^ salt). */
#include "world.h"

#include "error.h"

#include <assert.h>

herd_time herd_net_latency(herd_world *w, uint32_t entity, uint64_t salt)
{
    herd_time lat = w->cfg.latency_us;
    if (w->cfg.jitter_us)
        lat += herd_world_draw(w, entity, HERD_RNG_NETWORK | ((w->now << 8) ^ (salt << 60)), w->cfg.jitter_us + 1);
    if (w->now < w->burst_until_us) lat += w->burst_latency_us;
    return lat;
}

bool herd_net_lost(herd_world *w, uint32_t entity, uint64_t salt)
{
    uint64_t ppm = w->cfg.loss_ppm;
    if (w->now < w->burst_until_us) ppm += w->burst_loss_ppm;
    if (ppm == 0) return false;
    return herd_world_draw(w, entity, (HERD_RNG_NETWORK + 16) | ((w->now << 8) ^ (salt << 60)), 1000000) < ppm;
}

bool herd_group_has(herd_group g, uint8_t kind, uint32_t index)
{
    if (g.kind != kind) return false;
    return g.count == 0 || (index >= g.first && index - g.first < g.count);
}

static bool group_meets(herd_group cut, herd_group one)
{
    return herd_group_has(cut, one.kind, one.first);
}

herd_time herd_net_path_open_at(const herd_world *w, herd_group a, herd_group b)
{
    herd_time open = w->now;
    for (uint32_t i = 0; i < w->partition_count; i++) {
        const herd_partition *p = &w->partitions[i];
        if (p->until_us <= w->now) continue;
        bool cut = group_meets(p->a, a) && group_meets(p->b, b);
        if (!p->oneway) cut = cut || (group_meets(p->b, a) && group_meets(p->a, b));
        if (cut && p->until_us > open) open = p->until_us;
    }
    return open;
}

/* A client <-> server segment crosses the load balancer: any of the three hops can be cut. */
static herd_time client_server_open_at(const herd_world *w, uint32_t client, uint32_t server, bool up)
{
    if (w->partition_count == 0) return w->now;
    herd_group c = {HERD_GROUP_CLIENTS, client, 1}, l = {HERD_GROUP_LB, 0, 1}, s = {HERD_GROUP_SERVERS, server, 1};
    herd_time t1 = up ? herd_net_path_open_at(w, c, l) : herd_net_path_open_at(w, l, c);
    herd_time t2 = up ? herd_net_path_open_at(w, l, s) : herd_net_path_open_at(w, s, l);
    herd_time t3 = up ? herd_net_path_open_at(w, c, s) : herd_net_path_open_at(w, s, c);
    herd_time t = t1 > t2 ? t1 : t2;
    return t > t3 ? t : t3;
}

/* When a segment sent now on this connection arrives; HERD_TIME_NEVER if it never does. */
static herd_time segment_arrival(herd_world *w, uint32_t client, uint32_t server, bool up, herd_time *fifo)
{
    herd_time lat = herd_net_latency(w, client, up ? 1 : 2);
    if (herd_net_lost(w, client, up ? 3 : 4)) lat += w->cfg.rto_us;
    herd_time open = client_server_open_at(w, client, server, up);
    if (open == HERD_TIME_NEVER) return HERD_TIME_NEVER;
    herd_time at = herd_time_add(open > w->now ? herd_time_add(open, w->cfg.rto_us) : w->now, lat);
    if (at < *fifo) at = *fifo;
    *fifo = at;
    return at;
}

herd_time herd_net_session_arrival(herd_world *w, herd_sim_session *ss, bool up)
{
    return segment_arrival(w, ss->s.client, ss->server, up, up ? &ss->to_server_at : &ss->to_client_at);
}

int herd_net_to_session(herd_world *w, uint32_t slot, const herd_frame *f)
{
    herd_sim_session *ss = herd_pool_at(&w->sessions, slot);
    if (!ss->in_use) return HERD_OK;
    herd_time at = segment_arrival(w, ss->s.client, ss->server, true, &ss->to_server_at);
    if (at == HERD_TIME_NEVER) return HERD_OK;
    uint32_t gen = ss->gen;
    uint32_t p = herd_pool_alloc(&w->frames);
    if (p == HERD_POOL_NONE) return HERD_ENOSPACE;
    herd_frame_parcel *fp = herd_pool_at(&w->frames, p);
    fp->f = *f;
    fp->gen = gen;
    fp->slot = slot;
    return herd_world_push(w, at, HERD_EV_SESSION_FRAME, slot, p);
}

int herd_net_to_client(herd_world *w, uint32_t slot, uint32_t conn, const herd_frame *f)
{
    herd_sim_session *ss = herd_pool_at(&w->sessions, slot);
    assert(ss->in_use);
    herd_time at = segment_arrival(w, ss->s.client, ss->server, false, &ss->to_client_at);
    if (at == HERD_TIME_NEVER) return HERD_OK;
    uint32_t client = ss->s.client;
    uint32_t p = herd_pool_alloc(&w->frames);
    if (p == HERD_POOL_NONE) return HERD_ENOSPACE;
    herd_frame_parcel *fp = herd_pool_at(&w->frames, p);
    fp->f = *f;
    fp->gen = conn;
    fp->slot = slot;
    return herd_world_push(w, at, HERD_EV_CLIENT_FRAME, client, p);
}

/* A close (FIN or RST) on the connection reaches the client after the data before it. */
void herd_net_close_to_client(herd_world *w, herd_sim_session *ss, uint16_t code, uint32_t retry_after_ms)
{
    herd_time at = segment_arrival(w, ss->s.client, ss->server, false, &ss->to_client_at);
    if (at == HERD_TIME_NEVER) return;
    if (retry_after_ms > UINT16_MAX) retry_after_ms = UINT16_MAX;
    herd_world_push(w, at, HERD_EV_CLIENT_CLOSE, ss->s.client,
                    ss->s.conn | (uint64_t)code << 32 | (uint64_t)retry_after_ms << 48);
}
