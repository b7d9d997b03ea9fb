/* fuzz_scenario.c — libFuzzer harness for the scenario loader (sim/scenario.c through its
 * public entry point herd_scenario_load_string).
 *
 * Every input must end in one of the loader's contracted outcomes: 0 with a configuration
 * that passes herd_world_config_validate, 65 with an error naming the file ("f:..." or
 * "f: ..."), or 70 (out of memory). Nothing is run. Any other outcome aborts. Built by
 * tests/fuzz/CMakeLists.txt (fuzz_scenario with -DHERD_FUZZ=ON; fuzz_scenario_replay in
 * every build). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0; /* the loader's speed on huge files is not this test */
    char *text = malloc(size + 1);
    require(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    static herd_scenario sc; /* large: keep it off the stack */
    char err[HERD_CFG_ERROR_MAX + 64];
    err[0] = '\0';
    int rc = herd_scenario_load_string(&sc, "f", text, err, sizeof err);
    if (rc == 0) {
        char why[200];
        require(herd_world_config_validate(&sc.world, why, sizeof why) == HERD_OK);
    } else {
        require(rc == 65 || rc == 70);
        require(strncmp(err, "f:", 2) == 0 || rc == 70);
    }
    herd_scenario_free(&sc);
    free(text);
    return 0;
}
