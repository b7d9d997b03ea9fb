/* faults.c — the fault schedule: what breaks, when, and when it heals.
 *
 * Each fault of the scenario becomes events in phases (break, then heal; a graceful
 * restart drains, stops, then starts). The latest heal time is the start of the
 * liveness phase (L1): from then on nothing breaks, and the run measures how long the
 * world takes to get every client LIVE again. --swarm replaces the scenario's faults by a
 * mix drawn from the seed (one generator derived from (seed, 0, FAULTS)), so a sweep over
 * seeds explores fault combinations nobody wrote down.
 *
 * Churn (churn.h) is a fault of many small ones: at its start each churning client gets
 * one event, its first offline period; when a period ends the next one is drawn and pushed,
 * so the queue holds one churn event per churning client, whatever the run's length. Its
 * events carry phase 2 (offline) or 3 (back) | client << 8 | period << 40. A client is
 * offline while an offline fault or a churn period holds it (HERD_SC_OFF_*, world.h). */
#include "world.h"

#include "churn.h"
#include "error.h"
#include "outputs.h"
#include "trace_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "clients", "clients:10-19", "servers:2", "lb", "store". */
int herd_group_parse(const char *text, herd_group *g)
{
    static const struct { const char *name; uint8_t kind; } kinds[] = {
        {"clients", HERD_GROUP_CLIENTS}, {"lb", HERD_GROUP_LB}, {"servers", HERD_GROUP_SERVERS}, {"store", HERD_GROUP_STORE},
    };
    *g = (herd_group){0};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].name);
        if (strncmp(text, kinds[i].name, n) != 0) continue;
        g->kind = kinds[i].kind;
        if (text[n] == '\0') return HERD_OK;
        if (text[n] != ':') break;
        char *end;
        unsigned long a = strtoul(text + n + 1, &end, 10), b = a;
        if (end == text + n + 1) return HERD_EINVAL;
        if (*end == '-') {
            const char *s = end + 1;
            b = strtoul(s, &end, 10);
            if (end == s) return HERD_EINVAL;
        }
        if (*end != '\0' || b < a || b >= UINT32_MAX) return HERD_EINVAL;
        g->first = (uint32_t)a;
        g->count = (uint32_t)(b - a + 1);
        return HERD_OK;
    }
    return HERD_EINVAL;
}

static void range_of(const herd_world *w, const herd_fault *f, uint32_t total, uint32_t *lo, uint32_t *hi)
{
    *lo = f->first < total ? f->first : total;
    uint64_t end = f->count ? (uint64_t)f->first + f->count : total;
    *hi = end > total ? total : (uint32_t)end;
    (void)w;
}

static herd_time heal_time(const herd_world *w, const herd_fault *f)
{
    if (f->kind == HERD_FAULT_GRACEFUL) return f->at_us + f->drain_us + f->duration_us;
    if (f->kind == HERD_FAULT_ROLLING) {
        uint32_t lo, hi;
        range_of(w, f, w->cfg.servers, &lo, &hi);
        uint32_t n = hi > lo ? hi - lo : 1;
        return f->at_us + (herd_time)(n - 1) * f->interval_us + f->drain_us + f->duration_us;
    }
    return f->at_us + f->duration_us;
}

int herd_faults_schedule(herd_world *w)
{
    w->last_heal_us = 0;
    for (uint32_t i = 0; i < w->cfg.fault_count; i++) {
        const herd_fault *f = &w->cfg.faults[i];
        herd_time heal = heal_time(w, f);
        if (heal > w->last_heal_us) w->last_heal_us = heal;
        if (f->kind == HERD_FAULT_ROLLING || f->kind == HERD_FAULT_GRACEFUL) {
            /* One event chain per server (a graceful restart is a rolling one with no
             * interval): drain, stop, start. */
            uint32_t lo, hi;
            range_of(w, f, w->cfg.servers, &lo, &hi);
            for (uint32_t s = lo; s < hi; s++)
                herd_world_push(w, f->at_us + (f->kind == HERD_FAULT_ROLLING ? (herd_time)(s - lo) * f->interval_us : 0),
                                HERD_EV_FAULT, i, (uint64_t)s << 8);
        } else {
            herd_world_push(w, f->at_us, HERD_EV_FAULT, i, 0);
        }
    }
    return HERD_OK;
}

static void reset_all_sessions(herd_world *w)
{
    for (uint32_t slot = 0; slot < w->sessions.used; slot++) {
        herd_sim_session *ss = herd_pool_at(&w->sessions, slot);
        if (ss->in_use) herd_servers_close_session(w, slot, true, HERD_CLOSE_ABNORMAL, 0);
    }
}

/* Client i's network as `cause` (HERD_SC_OFF_FAULT or HERD_SC_OFF_CHURN) says: it goes
 * offline when the first cause takes it, back when the last one lets it go. */
static void client_network(herd_world *w, uint32_t i, uint8_t cause, bool off)
{
    herd_sim_client *sc = herd_world_sim(w, i);
    bool was = sc->flags & HERD_SC_OFFLINE;
    if (off) sc->flags |= cause;
    else sc->flags &= (uint8_t)~cause;
    bool now = sc->flags & (HERD_SC_OFF_FAULT | HERD_SC_OFF_CHURN);
    if (now == was) return;
    if (!now) {
        sc->flags &= (uint8_t)~HERD_SC_OFFLINE;
        w->offline_count--;
        return;
    }
    sc->flags |= HERD_SC_OFFLINE;
    w->offline_count++;
    /* The phone loses its network: the socket errors at once on the client; the
     * server hears nothing and drops the session when its keepalive gives up. */
    if (sc->session) herd_servers_close_session(w, sc->session - 1, false, 0, 0);
    herd_world_push(w, w->now, HERD_EV_CLIENT_CLOSE, i, herd_world_client(w, i)->conn | (uint64_t)HERD_CLOSE_ABNORMAL << 32);
}

static void clients_offline(herd_world *w, const herd_fault *f, bool off)
{
    uint32_t lo, hi;
    range_of(w, f, w->cfg.clients, &lo, &hi);
    for (uint32_t i = lo; i < hi; i++) client_network(w, i, HERD_SC_OFF_FAULT, off);
}

/* ---- churn ---- */

enum { CHURN_OFF = 2, CHURN_ON = 3 };

static uint64_t churn_arg(uint64_t phase, uint32_t client, uint32_t k)
{
    return phase | (uint64_t)client << 8 | (uint64_t)k << 40;
}

/* Push client's period k, the one before having ended at `after`, if it begins in time. */
static void churn_next(herd_world *w, const herd_fault *f, uint32_t index, uint32_t client, uint32_t k,
                       herd_time after)
{
    herd_churn_period p;
    if (herd_churn_period_at(f, w->cfg.seed, index, client, k, after, &p))
        herd_world_push(w, p.off_at, HERD_EV_FAULT, index, churn_arg(CHURN_OFF, client, k));
}

/* The churn starts: every churning client's first period. */
static void churn_start(herd_world *w, const herd_fault *f, uint32_t index)
{
    uint32_t lo, hi;
    range_of(w, f, w->cfg.clients, &lo, &hi);
    for (uint32_t i = lo; i < hi; i++)
        if (herd_churn_member(f, w->cfg.seed, index, i)) churn_next(w, f, index, i, 0, w->now);
}

/* One client's period begins (its end is pushed) or ends (the next one is pushed). */
static int churn_step(herd_world *w, const herd_fault *f, uint32_t index, uint64_t arg)
{
    uint32_t client = (uint32_t)(arg >> 8), k = (uint32_t)(arg >> 40);
    if (client >= w->cfg.clients) return HERD_EINVAL;
    if (herd_trace_on(w, client)) herd_trace_fault(w, index, arg);
    if ((arg & 0xff) == CHURN_OFF) {
        w->churn_periods++;
        client_network(w, client, HERD_SC_OFF_CHURN, true);
        herd_world_push(w, herd_churn_back_at(f, w->cfg.seed, index, client, k, w->now), HERD_EV_FAULT, index,
                        churn_arg(CHURN_ON, client, k));
        return HERD_OK;
    }
    client_network(w, client, HERD_SC_OFF_CHURN, false);
    churn_next(w, f, index, client, k + 1, w->now);
    return HERD_OK;
}

static void server_phase(herd_world *w, const herd_fault *f, uint32_t s, uint64_t phase, uint32_t index, uint64_t roll)
{
    herd_time t0 = w->now;
    switch (phase) {
    case 0:
        herd_servers_drain(w, s, f->code, f->retry_after_ms, f->drain_us);
        herd_world_push(w, t0 + f->drain_us, HERD_EV_FAULT, index, roll | 1);
        break;
    case 1:
        herd_servers_set_up(w, s, false);
        herd_world_push(w, t0 + f->duration_us, HERD_EV_FAULT, index, roll | 2);
        break;
    default: herd_servers_set_up(w, s, true); break;
    }
}

static void fault_partition(herd_world *w, const herd_fault *f)
{
    /* Drop cuts that have healed, then add this one. */
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->partition_count; i++)
        if (w->partitions[i].until_us > w->now) w->partitions[n++] = w->partitions[i];
    w->partition_count = n;
    if (n == HERD_WORLD_PARTITIONS_MAX) return;
    w->partitions[w->partition_count++] = (herd_partition){f->a, f->b, f->oneway, f->at_us + f->duration_us};
}

int herd_faults_fire(herd_world *w, uint32_t index, uint64_t arg)
{
    const herd_fault *f = &w->cfg.faults[index];
    uint64_t phase = arg & 0xff;
    uint32_t lo, hi;
    if (f->kind == HERD_FAULT_CHURN && phase >= CHURN_OFF) return churn_step(w, f, index, arg);
    bool staged = f->kind == HERD_FAULT_GRACEFUL || f->kind == HERD_FAULT_ROLLING;
    bool healed = staged ? phase == 2 : phase == 1;
    herd_outputs_fault_begin(w, index, arg);
    if (phase == 0 && !staged) herd_world_push(w, w->now + f->duration_us, HERD_EV_FAULT, index, 1);
    switch (f->kind) {
    case HERD_FAULT_CRASH:
        range_of(w, f, w->cfg.servers, &lo, &hi);
        if (phase == 0) herd_servers_crash_range(w, lo, hi);
        else for (uint32_t s = lo; s < hi; s++) herd_servers_set_up(w, s, true);
        break;
    case HERD_FAULT_GRACEFUL:
    case HERD_FAULT_ROLLING: server_phase(w, f, (uint32_t)(arg >> 8), phase, index, arg & ~0xffull); break;
    case HERD_FAULT_LB_RESTART:
        w->lb_up = phase != 0;
        if (phase == 0) reset_all_sessions(w);
        break;
    case HERD_FAULT_PARTITION:
        if (phase == 0) fault_partition(w, f);
        break;
    case HERD_FAULT_NET_BURST:
        if (phase == 0) {
            w->burst_loss_ppm = f->loss_ppm;
            w->burst_latency_us = f->latency_us;
            w->burst_until_us = f->at_us + f->duration_us;
        }
        break;
    case HERD_FAULT_STORE_CRASH:
        if (phase == 0) herd_store_node_crash(w);
        w->store_up = phase != 0;
        break;
    case HERD_FAULT_OFFLINE: clients_offline(w, f, phase == 0); break;
    case HERD_FAULT_CHURN:
        if (phase == 0) churn_start(w, f, index); /* at the end each client's last period ends by itself */
        break;
    default: return HERD_EINVAL;
    }
    herd_outputs_fault_end(w);
    if (healed) herd_world_note_heal(w);
    return HERD_OK;
}

herd_time herd_fault_heal_us(const herd_world *w, const herd_fault *f) { return heal_time(w, f); }

/* --swarm's mobile churn: one seed in four adds a churn over every client (1-20 % of them
 * churning, online for 2-30 s on average, offline for an exponential 0.5-10 s on average),
 * from 10-30 % of the run for at most a quarter of it, so it ends by 55 %. Drawn from a
 * stream of its own, so the other faults a seed draws are the ones it drew before churn
 * joined the pool. The expected periods stay far under HERD_CHURN_EXPECTED_PERIODS_MAX:
 * clients x 20 % x (duration / 4) / 2 s, 3 M for 20 M clients and a 120 s run. */
static void swarm_churn(herd_world_config *cfg)
{
    herd_rng r;
    herd_rng_derive(&r, cfg->seed, 1, HERD_RNG_FAULTS);
    if (herd_rng_below(&r, 4) != 0 || cfg->fault_count >= HERD_WORLD_FAULTS_MAX) return;
    if (cfg->duration_us < 8 * (uint64_t)HERD_US_PER_S) return;
    herd_time d = cfg->duration_us;
    herd_fault *f = &cfg->faults[cfg->fault_count++];
    *f = (herd_fault){0};
    f->kind = HERD_FAULT_CHURN;
    f->at_us = d / 10 + herd_rng_below(&r, d / 5 + 1);
    f->duration_us = HERD_US_PER_S + herd_rng_below(&r, d / 4 - HERD_US_PER_S + 1);
    f->first = 0;
    f->count = 0;
    f->fraction_ppm = 10000 + (uint32_t)herd_rng_below(&r, 190001);
    f->interval_us = 2 * HERD_US_PER_S + herd_rng_below(&r, 28 * (uint64_t)HERD_US_PER_S + 1);
    f->off_dist = HERD_CHURN_EXPONENTIAL;
    f->off_a_us = HERD_US_PER_S / 2 + herd_rng_below(&r, 19 * (uint64_t)HERD_US_PER_S / 2 + 1);
}

/* --swarm: 1 to 4 faults drawn from the seed, all healed by 60 % of the run so the
 * liveness phase has time, and in one seed in four a mobile churn (swarm_churn). Client
 * and server ranges are drawn within the world. */
void herd_faults_swarm(herd_world_config *cfg)
{
    static const uint8_t pool[] = {HERD_FAULT_CRASH, HERD_FAULT_GRACEFUL, HERD_FAULT_LB_RESTART,
                                   HERD_FAULT_PARTITION, HERD_FAULT_NET_BURST, HERD_FAULT_STORE_CRASH,
                                   HERD_FAULT_OFFLINE, HERD_FAULT_ROLLING};
    herd_rng r;
    herd_rng_derive(&r, cfg->seed, 0, HERD_RNG_FAULTS);
    herd_time d = cfg->duration_us;
    cfg->fault_count = 1 + (uint32_t)herd_rng_below(&r, 4);
    for (uint32_t i = 0; i < cfg->fault_count; i++) {
        herd_fault *f = &cfg->faults[i];
        *f = (herd_fault){0};
        f->kind = pool[herd_rng_below(&r, sizeof pool)];
        f->at_us = d / 10 + herd_rng_below(&r, d / 5 + 1);
        f->duration_us = HERD_US_PER_S + herd_rng_below(&r, d / 10 + 1);
        f->first = (uint32_t)herd_rng_below(&r, cfg->servers);
        f->count = 1 + (uint32_t)herd_rng_below(&r, cfg->servers - f->first);
        f->code = herd_rng_below(&r, 2) ? HERD_CLOSE_GOING_AWAY : HERD_CLOSE_SERVICE_RESTART;
        f->drain_us = herd_rng_below(&r, 5 * (uint64_t)HERD_US_PER_S);
        f->interval_us = HERD_US_PER_S + herd_rng_below(&r, 5 * (uint64_t)HERD_US_PER_S);
        f->loss_ppm = (uint32_t)herd_rng_below(&r, 300000);
        f->latency_us = herd_rng_below(&r, 500 * (uint64_t)HERD_US_PER_MS);
        f->a = (herd_group){HERD_GROUP_CLIENTS, 0, 1 + (uint32_t)herd_rng_below(&r, cfg->clients)};
        f->b = (herd_group){HERD_GROUP_SERVERS, 0, 0};
        f->oneway = (uint8_t)herd_rng_below(&r, 2);
        if (f->kind == HERD_FAULT_OFFLINE) {
            f->first = (uint32_t)herd_rng_below(&r, cfg->clients);
            f->count = 1 + (uint32_t)herd_rng_below(&r, cfg->clients - f->first);
        }
        if (f->kind == HERD_FAULT_ROLLING) f->count = 0;
    }
    swarm_churn(cfg);
}
