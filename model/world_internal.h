/* world_internal.h — what world.c and world_step.c share and nobody else needs: item
 * bookkeeping, connection teardown, outbox drains and the recorder helpers. */
#ifndef HERD_MODEL_WORLD_INTERNAL_H
#define HERD_MODEL_WORLD_INTERNAL_H

#include "world.h"

enum hm_kill_mode { HM_KILL_ABNORMAL = 0, HM_KILL_GRACEFUL, HM_KILL_SILENT };

void hm_rec_emit(hm_recorder *rec, herd_trace_rec *r);
void hm_rec_init(herd_trace_rec *r, uint8_t what, const char *name, const char *actor_fmt,
                 uint32_t a, uint32_t b);

void hm_items_normalize(hm_world *w);
void hm_item_push(hm_world *w, hm_item *it);
void hm_item_remove(hm_world *w, uint32_t idx);
void hm_items_purge(hm_world *w, uint8_t client, uint8_t server, uint32_t conn, uint32_t kinds_mask);
void hm_conn_kill(hm_world *w, const hm_config *cfg, uint8_t c, uint8_t s, uint32_t conn, int mode, uint16_t code,
                  hm_recorder *rec);

bool hm_sever_by_crash(const hm_world *w, uint8_t server);
/* Eager mode: the most frames a session step consuming `it` may send its client. */
uint32_t hm_max_reply(const hm_world *w, const hm_item *it);
void hm_drain_client(hm_world *w, const hm_config *cfg, uint8_t c, herd_outbox *out, hm_recorder *rec);
/* Hand frame f of connection conn to client c (type 0: the connection died, code in f),
 * record the input, drain the client. Returns the machine's result. */
int hm_client_frame(hm_world *w, const hm_config *cfg, uint8_t c, uint32_t conn, const herd_frame *f,
                    hm_recorder *rec);
void hm_drain_session(hm_world *w, const hm_config *cfg, uint8_t s, uint8_t c, herd_outbox *out,
                      hm_recorder *rec);
void hm_oracle_append(hm_world *w, const hm_config *cfg, herd_msg_id msg, const herd_publish_result *p);
void hm_oracle_store_crash(hm_world *w, const hm_config *cfg, uint64_t durable_lsn);

#endif
