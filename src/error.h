/* error.h — herd's one error space.
 *
 * Every fallible core function returns HERD_OK (0) or a negative code from this list.
 * Codes are grouped in bands: -1..-19 generic, -20..-39 frame decoding, -40..-59 store.
 * herd_strerror() names each one; herd_error_is_fatal() tells a broken caller contract
 * (fatal: a bug in the driver) from an expected refusal the driver must handle. */
#ifndef HERD_ERROR_H
#define HERD_ERROR_H

#include <stdbool.h>

enum herd_error {
    HERD_OK = 0,
    /* generic */
    HERD_EINVAL = -1,    /* argument out of its documented range (fatal) */
    HERD_EFULL = -2,     /* bounded queue full: backpressure to the caller */
    HERD_EOUTBOX = -3,   /* outbox has no room for the effects of this input (fatal) */
    HERD_ESTATE = -4,    /* input not valid in the machine's current state (ignored) */
    HERD_ESTALE = -5,    /* input for an older connection generation (ignored) */
    HERD_ESTOP = -6,     /* backoff policy gives up: no further attempt */
    HERD_ETIME = -7,     /* time went backwards (fatal) */
    HERD_ENOSPACE = -8,  /* caller-provided memory too small (fatal) */
    /* frame decoding */
    HERD_EFRAME_TRUNCATED = -20, /* input ends inside a frame */
    HERD_EFRAME_TYPE = -21,      /* unknown frame type byte */
    HERD_EFRAME_VARINT = -22,    /* varint longer than 10 bytes, overflowing, or overlong */
    HERD_EFRAME_RANGE = -23,     /* field value out of range for its type */
    HERD_EFRAME_TRAILING = -24,  /* bytes left after a complete frame */
    /* store */
    HERD_ESTORE_ID = -40,    /* explicit id equal to or smaller than the stream's top */
    HERD_ESTORE_ROOM = -41,  /* room (stream key) out of range */
    HERD_ESTORE_FULL = -42,  /* dedup index full of unexpired records */
};

const char *herd_strerror(int code);
bool herd_error_is_fatal(int code);

#endif
