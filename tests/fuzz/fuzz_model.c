/* fuzz_model.c — libFuzzer harness for the model-file loader (model/model_file.c through
 * its public entry point hm_model_load, which takes a path: the input is put in a memfd).
 *
 * Every input must end in 0 (a model hm_config_check accepts), 65 with an error naming the
 * file, or 70 (out of memory); nothing is explored. Any other outcome aborts. Built by
 * tests/fuzz/CMakeLists.txt (fuzz_model with -DHERD_FUZZ=ON; fuzz_model_replay in every
 * build). */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    int fd = memfd_create("fuzz_model", MFD_CLOEXEC);
    require(fd >= 0);
    require(size == 0 || write(fd, data, size) == (ssize_t)size);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    static hm_config cfg;
    static hm_expect ex;
    char err[1200];
    err[0] = '\0';
    int rc = hm_model_load(path, &cfg, &ex, err, sizeof err);
    if (rc == 0) {
        const char *why = NULL;
        require(hm_config_check(&cfg, &why) == 0);
    } else {
        require(rc == 65 || rc == 70);
        require(strncmp(err, path, strlen(path)) == 0 || rc == 70);
    }
    close(fd);
    return 0;
}
