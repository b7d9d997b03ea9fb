/* fuzz_frame.c — libFuzzer harness for the frame codec (src/frame.c).
 *
 * Decodes each input as one frame. On error the frame must be zeroed and the code a
 * HERD_EFRAME_* one; on success it must re-encode to exactly the input bytes, because the
 * wire form is canonical (one encoding per frame). Any other outcome aborts, which
 * libFuzzer reports as a crash. Built by tests/fuzz/CMakeLists.txt (fuzz_frame with
 * -DHERD_FUZZ=ON; fuzz_frame_replay, which replays corpus/frame and regress/frame, in every
 * build); running it: docs/reliability.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    herd_frame f;
    memset(&f, 0xa5, sizeof f);
    int rc = herd_frame_decode(data, size, &f);
    if (rc != HERD_OK) {
        static const herd_frame zero;
        require(rc <= HERD_EFRAME_TRUNCATED && rc >= HERD_EFRAME_TRAILING);
        require(f.type == zero.type && f.code == zero.code && f.client == zero.client &&
                f.room == zero.room && f.retry_after_ms == zero.retry_after_ms &&
                f.msg == zero.msg && herd_sid_is_zero(f.sid) && herd_sid_is_zero(f.prev));
        return 0;
    }
    require(size <= HERD_FRAME_MAX_BYTES);
    uint8_t again[HERD_FRAME_MAX_BYTES];
    int n = herd_frame_encode(&f, again, sizeof again);
    require(n > 0 && (size_t)n == size && memcmp(again, data, size) == 0);
    /* One byte short must be refused, never overrun. */
    require(herd_frame_encode(&f, again, size - 1) == HERD_ENOSPACE);
    return 0;
}
