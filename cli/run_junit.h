/* run_junit.h — `herd run --junit FILE`: a run's expectations as JUnit XML (lib/junit.h),
 * one test case per expectation, the replay command in the suite's <system-out>. */
#ifndef HERD_CLI_RUN_JUNIT_H
#define HERD_CLI_RUN_JUNIT_H

#include "report.h"

/* 0 or -errno. replay: the command that reproduces the run (NULL: none). */
int herd_run_junit_write(const char *path, const char *scenario, const herd_report *r, const char *replay);

#endif
