/* props.c — the properties the checker proves, numbered as docs/protocol.md numbers them.
 *
 * Transition-time checks (I2 at an append, I3/I4/I6 at a delivery, I5 when an ACK leaves
 * the server, I7 when an in-flight bound overflows) are made by world.c as effects are
 * drained and land in w->violation. This file adds the checks made on every state
 * (I1's durability half, I7's queue bounds, I8's conservation of published messages) and
 * the end condition of bounded liveness (L1, with I1's delivery half) on a quiescent
 * world. */
#include "world.h"

#include <string.h>
#include <strings.h>

static const char *const prop_names[HM_P_COUNT] = {
    "none", "I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "L1", "internal",
};

static const char *const prop_titles[HM_P_COUNT] = {
    "none",
    "no loss: every ACKed message is in the store and reaches every client of its room",
    "no duplicate append: a message id is appended at most once",
    "no duplicate delivery to an application",
    "order: deliveries in ascending stream order",
    "ACK after durability: an ACK leaves only once the entry exists and is durable",
    "no silent gap: a skipped entry is always announced by a GAP",
    "bounded queues",
    "no silent drop: a published message leaves its retry queue only when ACKed",
    "bounded liveness: without faults, every retry queue drains and every ACKed message is delivered",
    "the model itself broke (a machine returned a fatal error)",
};

const char *hm_prop_name(int p) { return p >= 0 && p < HM_P_COUNT ? prop_names[p] : "?"; }
const char *hm_prop_title(int p) { return p >= 0 && p < HM_P_COUNT ? prop_titles[p] : "?"; }

int hm_prop_parse(const char *s)
{
    for (int p = HM_P_I1; p <= HM_P_L1; p++)
        if (strcasecmp(s, prop_names[p]) == 0) return p;
    return -1;
}

static bool on(const hm_config *cfg, int p) { return (cfg->props_mask >> p) & 1u; }

/* I8: each message a client published (seq < next_seq) is in exactly one place: its
 * retry queue, or ACKed (the world saw the ACKED effect). Neither is a silent drop; both
 * is a queue that kept a message its application was told is safe. */
static bool conserved(const hm_world *w, const hm_config *cfg)
{
    for (uint32_t c = 0; c < cfg->clients; c++) {
        const herd_client *cl = &w->client[c];
        for (uint32_t seq = 1; seq < cl->next_seq; seq++) {
            bool acked = (w->acked >> (c * cfg->messages + seq - 1u)) & 1u;
            if (herd_client_holds(cl, seq) == acked) return false;
        }
    }
    return true;
}

static bool write_pending(const hm_world *w, const hm_config *cfg, uint32_t m)
{
    for (uint32_t i = 0; i < w->n_items; i++) {
        const hm_item *it = &w->items[i];
        if (it->kind == HM_IT_SREQ && it->u.req.op != HERD_STORE_OP_READ && hm_msg_index(cfg, it->u.req.msg) == m)
            return true;
    }
    return false;
}

int hm_props_check(const hm_world *w, const hm_config *cfg)
{
    if (w->violation == HM_P_INTERNAL) return HM_P_INTERNAL;
    if (w->violation != HM_P_NONE && on(cfg, w->violation)) return w->violation;
    /* I1, durability half: an ACKed message is in the store (trimmed entries count), or a
     * write of it is on its way there. An ACK that merely ran ahead of its write is I5's
     * business; I1 is the loss itself: ACKed, and nothing left that could store it. */
    if (on(cfg, HM_P_I1))
        for (uint32_t m = 0; m < cfg->clients * cfg->messages; m++)
            if ((w->acked >> m & 1u) && w->msg_lsn[m] == 0 && !write_pending(w, cfg, m)) return HM_P_I1;
    if (on(cfg, HM_P_I7))
        for (uint32_t c = 0; c < cfg->clients; c++)
            if (herd_client_queue_len(&w->client[c]) > cfg->client.queue_max) return HM_P_I7;
    if (on(cfg, HM_P_I8) && !conserved(w, cfg)) return HM_P_I8;
    return HM_P_NONE;
}

/* At rest, after the faults: every client is live, has published everything, has an
 * empty retry queue and has caught up to its room's top — every message the stream holds
 * reached it or was announced to it as lost by a GAP — (L1), and every ACKed message
 * reached every client or was announced to it as lost (I1). Catch-up is what L1 says in
 * docs/protocol.md; without it, a message that a dead session's store request appended
 * after its client had resumed (and, forgetting it, never resent it) sat in the stream
 * unseen and L1 passed: SPIN's model (tests/spin_agree.sh) found that case. */
int hm_props_quiescent(const hm_world *w, const hm_config *cfg)
{
    for (uint32_t c = 0; c < cfg->clients; c++) {
        const herd_client *cl = &w->client[c];
        if (on(cfg, HM_P_L1) && (cl->state != HERD_CLIENT_LIVE || cl->next_seq <= cfg->messages ||
                                 herd_client_queue_len(cl) != 0))
            return HM_P_L1;
    }
    if (on(cfg, HM_P_L1))
        for (uint32_t c = 0; c < cfg->clients; c++)
            for (uint32_t m = 0; m < cfg->clients * cfg->messages; m++)
                if (w->msg_lsn[m] != 0 && !((w->delivered[c] | w->gapped[c]) >> m & 1u)) return HM_P_L1;
    if (!on(cfg, HM_P_I1)) return HM_P_NONE;
    for (uint32_t c = 0; c < cfg->clients; c++)
        for (uint32_t m = 0; m < cfg->clients * cfg->messages; m++)
            if ((w->acked >> m & 1u) && !((w->delivered[c] | w->gapped[c]) >> m & 1u)) return HM_P_I1;
    return HM_P_NONE;
}
