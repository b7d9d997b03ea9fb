/* store_exec.c — herd_store_execute: run one store request (the effect a session emits)
 * against a store and package the answer as the herd_store_result the session consumes.
 *
 * The glue every driver (simulator, model checker, a future real-socket driver's fake)
 * uses, so the request-to-call mapping lives in exactly one place. The result is zeroed
 * first: its bytes are canonical, whatever the op, so a checker may hash it. */
#include <assert.h>
#include <string.h>

#include "error.h"
#include "server.h"
#include "store.h"

int herd_store_execute(herd_store *st, herd_time now, const herd_store_req *req,
                       herd_store_result *res)
{
    assert(st != NULL && req != NULL && res != NULL);
    memset(res, 0, sizeof *res);
    res->op = req->op;
    res->room = req->room;
    int rc;
    switch (req->op) {
    case HERD_STORE_OP_PUBLISH_DEDUP:
    case HERD_STORE_OP_APPEND:
        res->msg = req->msg;
        rc = herd_store_publish(st, now, req->room, req->msg,
                                req->op == HERD_STORE_OP_PUBLISH_DEDUP, &res->pub);
        break;
    case HERD_STORE_OP_READ:
        rc = herd_store_read(st, req->room, req->after, req->limit, res->entries, &res->n,
                             &res->info);
        break;
    default:
        rc = HERD_EINVAL;
        break;
    }
    res->err = (int16_t)rc;
    return rc;
}
