/* protocol.c — names of the protocol variants (see protocol.h). */
#include "protocol.h"

#include "error.h"

#include <string.h>

const char *const herd_protocol_names[] = {
    "correct", "ack_before_persist", "dedup_none", "dedup_local", "resend_off",
    "forget_unacked", "no_gap_detection", NULL,
};

int herd_protocol_parse(const char *name, herd_protocol *p)
{
    herd_protocol v = herd_protocol_correct();
    if (strcmp(name, "correct") == 0) {
    } else if (strcmp(name, "ack_before_persist") == 0) {
        v.ack_mode = HERD_ACK_BEFORE_PERSIST;
    } else if (strcmp(name, "dedup_none") == 0) {
        v.dedup_mode = HERD_DEDUP_NONE;
    } else if (strcmp(name, "dedup_local") == 0) {
        v.dedup_mode = HERD_DEDUP_LOCAL;
    } else if (strcmp(name, "resend_off") == 0) {
        v.resend = HERD_RESEND_OFF;
    } else if (strcmp(name, "forget_unacked") == 0) {
        v.resend = HERD_RESEND_FORGET;
    } else if (strcmp(name, "no_gap_detection") == 0) {
        v.gap_detection = 0;
    } else {
        return HERD_EINVAL;
    }
    *p = v;
    return HERD_OK;
}

const char *herd_protocol_name(const herd_protocol *p)
{
    for (int i = 0; herd_protocol_names[i]; i++) {
        herd_protocol v;
        herd_protocol_parse(herd_protocol_names[i], &v);
        if (memcmp(&v, p, sizeof v) == 0) return herd_protocol_names[i];
    }
    return "custom";
}
