/* error.c — names for herd's error codes (see error.h). */
#include "error.h"

const char *herd_strerror(int code)
{
    switch (code) {
    case HERD_OK: return "ok";
    case HERD_EINVAL: return "invalid argument";
    case HERD_EFULL: return "queue full (backpressure)";
    case HERD_EOUTBOX: return "outbox full";
    case HERD_ESTATE: return "input not valid in this state";
    case HERD_ESTALE: return "input for a stale connection";
    case HERD_ESTOP: return "backoff policy gave up";
    case HERD_ETIME: return "time went backwards";
    case HERD_ENOSPACE: return "memory block too small";
    case HERD_EFRAME_TRUNCATED: return "frame truncated";
    case HERD_EFRAME_TYPE: return "unknown frame type";
    case HERD_EFRAME_VARINT: return "malformed varint";
    case HERD_EFRAME_RANGE: return "frame field out of range";
    case HERD_EFRAME_TRAILING: return "trailing bytes after frame";
    case HERD_ESTORE_ID: return "ID specified is equal or smaller than the target stream top item";
    case HERD_ESTORE_ROOM: return "no such stream";
    case HERD_ESTORE_FULL: return "dedup index full";
    default: return "unknown error";
    }
}

bool herd_error_is_fatal(int code)
{
    return code == HERD_EINVAL || code == HERD_EOUTBOX || code == HERD_ETIME ||
           code == HERD_ENOSPACE;
}
