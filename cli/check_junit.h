/* check_junit.h — `herd check --junit FILE`: a model check as JUnit XML (lib/junit.h),
 * one test case per property the model file checks (docs/model-checking.md). */
#ifndef HERD_CLI_CHECK_JUNIT_H
#define HERD_CLI_CHECK_JUNIT_H

#include "explore.h"
#include "model_file.h"

/* 0 or -errno. cex_path: the written counterexample (NULL: none); liveness: L1 was run. */
int hm_check_junit_write(const char *path, const char *model, const hm_config *cfg, const hm_result *r,
                         const hm_expect *ex, const char *cex_path, bool liveness);

#endif
