/* machine_tables.h — the transitions of the core's state machines, as data.
 *
 * src/ implements the client and session machines as code (switches on state and input),
 * which is right for a sans-I/O core but leaves nothing to draw a diagram from. These
 * tables list, per machine, every (state, input) -> next state the protocol documents
 * (docs/protocol.md), with the effects the input produces. `herd render --states DIR`
 * draws them (states.c), and tests/test_render_machines.c drives the real src/ machines
 * through every row and checks the state they end in, so a table that drifts from the
 * code fails the build's tests rather than misleading a reader. */
#ifndef HERD_MACHINE_TABLES_H
#define HERD_MACHINE_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Client inputs (src/client.h), as a test can apply them. */
enum herd_client_input {
    HERD_CIN_START = 1,       /* herd_client_start */
    HERD_CIN_OPEN,            /* herd_client_on_open */
    HERD_CIN_FRAME,           /* herd_client_on_frame with `frame` (CLOSE: with `code`) */
    HERD_CIN_CLOSE,           /* herd_client_on_close with `code` */
    HERD_CIN_TIMER,           /* herd_client_on_timer at the deadline */
    HERD_CIN_PUBLISH,         /* herd_client_publish */
    HERD_CIN_CLOSE_GIVE_UP,   /* herd_client_on_close(1006) with the policy's attempts used up */
};

/* Session inputs (src/server.h). */
enum herd_session_input {
    HERD_SIN_FRAME = 1,       /* herd_session_on_frame with `frame` */
    HERD_SIN_READ_DONE,       /* store result: a READ that caught up (no more entries) */
    HERD_SIN_READ_MORE,       /* store result: a READ cut at its limit (more entries) */
    HERD_SIN_PUBLISH_DONE,    /* store result: the publish was appended */
    HERD_SIN_STORE_ERROR,     /* store result with an error */
    HERD_SIN_FANOUT,          /* herd_session_on_fanout, next in order */
    HERD_SIN_CONN_CLOSED,     /* herd_session_close: the connection is gone */
    HERD_SIN_PUBLISH_FULL,    /* PUBLISH with HERD_SESSION_INFLIGHT_MAX operations in flight */
};

typedef struct herd_machine_transition {
    uint8_t from, to;         /* enum herd_client_state / herd_session_state */
    uint8_t input;            /* enum herd_client_input / herd_session_input */
    uint8_t frame;            /* HERD_FRAME_* for FRAME inputs, else 0 */
    uint16_t code;            /* close code for CLOSE inputs and CLOSE frames */
    const char *label;        /* the input as the diagram shows it */
    const char *effects;      /* what it produces, "" for nothing */
} herd_machine_transition;

extern const herd_machine_transition herd_client_transitions[];
extern const size_t herd_client_transition_count;
extern const herd_machine_transition herd_session_transitions[];
extern const size_t herd_session_transition_count;

#endif
