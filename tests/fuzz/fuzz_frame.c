/* fuzz_frame.c — libFuzzer harness for the frame codec (src/frame.c).
 *
 * Decodes each input as one frame. On error the frame must be zeroed and the code a
 * HERD_EFRAME_* one; on success it must re-encode to exactly the input bytes, because the
 * wire form is canonical (one encoding per frame). Any other outcome aborts, which
 * libFuzzer reports as a crash. Not part of the CMake build (its name is not test_*.c);
 * build and run it by hand from the repository root:
 *
 *   clang -std=c17 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *         src/frame.c src/error.c tests/fuzz/fuzz_frame.c -o fuzz_frame
 *   ./fuzz_frame -max_total_time=60 -max_len=80 tests/fuzz/corpus/frame
 *
 * (Point it at a scratch copy of the corpus to keep the seeds few and hand-picked.) */
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
