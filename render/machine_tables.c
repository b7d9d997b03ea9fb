/* machine_tables.c — the client and session machines' transitions as const tables (see
 * machine_tables.h for why they exist and how the tests keep them true to src/).
 *
 * One row per documented (state, input) pair; inputs that leave the state unchanged are
 * listed where the protocol gives them a meaning (a publish queued in BACKOFF, a DELIVER
 * in LIVE). Rows follow docs/protocol.md's order: the happy path first, then failures. */
#include "machine_tables.h"

#include "client.h"
#include "frame.h"
#include "server.h"

#define C(from, to) HERD_CLIENT_##from, HERD_CLIENT_##to
#define S(from, to) HERD_SESSION_##from, HERD_SESSION_##to

const herd_machine_transition herd_client_transitions[] = {
    {C(DISCONNECTED, CONNECTING), HERD_CIN_START, 0, 0, "start", "CONNECT"},
    {C(CONNECTING, RESUMING), HERD_CIN_OPEN, 0, 0, "open", "SEND RESUME{lastSeenId} + retry queue"},
    {C(RESUMING, LIVE), HERD_CIN_FRAME, HERD_FRAME_RESUMED, 0, "RESUMED", "arm ACK timer if a message waits"},
    {C(LIVE, LIVE), HERD_CIN_FRAME, HERD_FRAME_DELIVER, 0, "DELIVER", "DELIVER to the app (if newer)"},
    {C(LIVE, LIVE), HERD_CIN_FRAME, HERD_FRAME_ACK, 0, "ACK", "ACKED"},
    {C(LIVE, LIVE), HERD_CIN_FRAME, HERD_FRAME_GAP, 0, "GAP", "GAP to the app"},
    {C(LIVE, LIVE), HERD_CIN_PUBLISH, 0, 0, "publish", "SEND PUBLISH"},
    {C(RESUMING, RESUMING), HERD_CIN_FRAME, HERD_FRAME_DELIVER, 0, "DELIVER (replay)", "DELIVER to the app"},
    {C(RESUMING, RESUMING), HERD_CIN_PUBLISH, 0, 0, "publish", "SEND PUBLISH"},
    {C(BACKOFF, BACKOFF), HERD_CIN_PUBLISH, 0, 0, "publish", "queued"},
    {C(CONNECTING, CONNECTING), HERD_CIN_PUBLISH, 0, 0, "publish", "queued"},
    {C(BACKOFF, CONNECTING), HERD_CIN_TIMER, 0, 0, "backoff deadline", "CONNECT"},
    {C(CONNECTING, BACKOFF), HERD_CIN_TIMER, 0, 0, "connect timeout", "CLOSE 1006; next delay"},
    {C(CONNECTING, BACKOFF), HERD_CIN_CLOSE, 0, 1006, "failed / refused (1006)", "next delay"},
    {C(RESUMING, BACKOFF), HERD_CIN_TIMER, 0, 0, "resume timeout", "CLOSE 1006; next delay"},
    {C(RESUMING, BACKOFF), HERD_CIN_CLOSE, 0, 1006, "close 1006", "next delay"},
    {C(LIVE, BACKOFF), HERD_CIN_TIMER, 0, 0, "ACK timeout", "CLOSE 1006; next delay"},
    {C(LIVE, BACKOFF), HERD_CIN_CLOSE, 0, 1006, "close 1006 / 1011", "next delay (attempts + 1)"},
    {C(LIVE, BACKOFF), HERD_CIN_FRAME, HERD_FRAME_CLOSE, 1012, "CLOSE 1001 / 1012", "next delay (attempts reset)"},
    {C(LIVE, BACKOFF), HERD_CIN_FRAME, HERD_FRAME_CLOSE, 1013, "CLOSE 1013 + retry-after", "delay >= hint"},
    {C(LIVE, STOPPED), HERD_CIN_CLOSE, 0, 1000, "close 1000", ""},
    {C(RESUMING, STOPPED), HERD_CIN_FRAME, HERD_FRAME_CLOSE, 1000, "CLOSE 1000", ""},
    {C(CONNECTING, STOPPED), HERD_CIN_CLOSE_GIVE_UP, 0, 1006, "failure, policy gives up", "GIVE_UP"},
};
const size_t herd_client_transition_count = sizeof herd_client_transitions / sizeof herd_client_transitions[0];

const herd_machine_transition herd_session_transitions[] = {
    {S(OPEN, RESUMING), HERD_SIN_FRAME, HERD_FRAME_RESUME, 0, "RESUME{lastSeenId}", "SUBSCRIBE; STORE read"},
    {S(RESUMING, RESUMING), HERD_SIN_READ_MORE, 0, 0, "read result (more)", "GAP?, DELIVER...; STORE read"},
    {S(RESUMING, LIVE), HERD_SIN_READ_DONE, 0, 0, "read result (caught up)", "GAP?, DELIVER...; SEND RESUMED"},
    {S(RESUMING, RESUMING), HERD_SIN_FRAME, HERD_FRAME_PUBLISH, 0, "PUBLISH", "STORE publish+dedup"},
    {S(RESUMING, RESUMING), HERD_SIN_FANOUT, 0, 0, "fan-out", "read again after"},
    {S(LIVE, LIVE), HERD_SIN_FRAME, HERD_FRAME_PUBLISH, 0, "PUBLISH", "STORE publish+dedup"},
    {S(LIVE, LIVE), HERD_SIN_PUBLISH_DONE, 0, 0, "publish result", "ACK; FANOUT"},
    {S(LIVE, LIVE), HERD_SIN_FANOUT, 0, 0, "fan-out (in order)", "DELIVER"},
    {S(LIVE, CLOSED), HERD_SIN_PUBLISH_FULL, 0, 0, "PUBLISH, 64 in flight", "CLOSE 1013"},
    {S(LIVE, CLOSED), HERD_SIN_STORE_ERROR, 0, 0, "store error", "CLOSE 1011"},
    {S(LIVE, CLOSED), HERD_SIN_FRAME, HERD_FRAME_CLOSE, 1000, "CLOSE", ""},
    {S(LIVE, CLOSED), HERD_SIN_CONN_CLOSED, 0, 0, "connection lost", ""},
    {S(RESUMING, CLOSED), HERD_SIN_CONN_CLOSED, 0, 0, "connection lost", ""},
    {S(OPEN, CLOSED), HERD_SIN_CONN_CLOSED, 0, 0, "connection lost", ""},
    {S(OPEN, CLOSED), HERD_SIN_FRAME, HERD_FRAME_CLOSE, 1000, "CLOSE", ""},
};
const size_t herd_session_transition_count = sizeof herd_session_transitions / sizeof herd_session_transitions[0];
