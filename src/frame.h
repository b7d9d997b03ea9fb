/* frame.h — the messages between a client and a server, and their binary encoding.
 *
 * A frame is a small tagged struct (herd_frame). Which fields a type uses:
 *   RESUME   client, room, sid = lastSeenId (0-0: from the start of the stream)
 *   PUBLISH  msg, room
 *   ACK      msg, sid = stream id it was stored at (0-0 when ACKed before the write)
 *   DELIVER  msg, room, sid, prev = the stream id before it (0-0: none or unknown)
 *   RESUMED  sid = last id delivered by the resume (replay done; the session is live)
 *   GAP      prev = first id the client missed after, sid = last id lost (trimmed)
 *   CLOSE    code, retry_after_ms (a server hint; 0 = none)
 * Unused fields must be zero: the codec round-trips exactly the fields of the type.
 *
 * Encoding: one type byte, then the type's fields in the order above as unsigned LEB128
 * varints. The decoder accepts only canonical encodings (no overlong varints), rejects
 * trailing bytes, and never reads past the buffer: any byte string gives either a frame
 * or an error code, without undefined behaviour. */
#ifndef HERD_FRAME_H
#define HERD_FRAME_H

#include "types.h"

enum herd_frame_type {
    HERD_FRAME_RESUME = 1,
    HERD_FRAME_PUBLISH = 2,
    HERD_FRAME_ACK = 3,
    HERD_FRAME_DELIVER = 4,
    HERD_FRAME_RESUMED = 5,
    HERD_FRAME_GAP = 6,
    HERD_FRAME_CLOSE = 7,
};

#define HERD_FRAME_MAX_BYTES 64 /* 1 type byte + at most 6 varints of 10 bytes */

typedef struct herd_frame {
    uint8_t type;
    uint16_t code;           /* CLOSE: 1000..4999 */
    uint32_t client;         /* RESUME */
    uint32_t room;           /* RESUME, PUBLISH, DELIVER */
    uint32_t retry_after_ms; /* CLOSE */
    herd_msg_id msg;         /* PUBLISH, ACK, DELIVER */
    herd_sid sid;
    herd_sid prev;
} herd_frame;

/* Encode into buf[0..cap). Returns the length (> 0), or HERD_EINVAL for an invalid frame,
 * or HERD_ENOSPACE when cap is too small. */
int herd_frame_encode(const herd_frame *f, uint8_t *buf, size_t cap);
/* Decode exactly one frame from buf[0..len). Returns HERD_OK and fills *f, or a
 * HERD_EFRAME_* code (f is then zeroed). */
int herd_frame_decode(const uint8_t *buf, size_t len, herd_frame *f);
const char *herd_frame_type_name(int type);

#endif
