/* junit.h — JUnit XML reports, so CI systems show herd's expectations and properties as
 * native test results (`herd run ... --junit FILE`, `herd check ... --junit FILE`).
 *
 * One document holds one <testsuites> with one <testsuite> (a scenario run or a model
 * check); each expectation or property is one <testcase>. A case that did not hold gets a
 * <failure message="..."> whose body is its detail; a case that was not decided (for
 * example a property the model checker never reached because it stopped at the first
 * violation) gets <skipped message="...">. The suite can carry <properties> (seed, trace
 * hash ...) and a <system-out> (the replay command).
 *
 * The schema followed is the common subset that Jenkins, GitLab, GitHub Actions reporters
 * (dorny/test-reporter, mikepenz/action-junit-report) and Surefire read: attributes
 * name, tests, failures, errors, skipped, time on <testsuite>; classname, name, time on
 * <testcase>. Text is escaped for XML 1.0: & < > " ' as entities, characters XML 1.0
 * forbids (C0 controls but tab, newline and carriage return; U+FFFE, U+FFFF) and bytes that
 * are not well-formed UTF-8 are each replaced by '?', so any input string gives a
 * well-formed document. Writing goes through lib/atomic_file.h: the file is whole or
 * absent. */
#ifndef HERD_JUNIT_H
#define HERD_JUNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum herd_junit_status {
    HERD_JUNIT_PASS = 0,
    HERD_JUNIT_FAIL = 1,
    HERD_JUNIT_SKIP = 2,
};

typedef struct herd_junit_case {
    const char *name;    /* required */
    int status;          /* enum herd_junit_status */
    const char *message; /* FAIL/SKIP: one line (the message attribute); NULL: none */
    const char *detail;  /* FAIL: the failure's body; PASS: written as the case's
                          * <system-out> so the figures are visible too; NULL: none */
} herd_junit_case;

typedef struct herd_junit_prop {
    const char *name;
    const char *value;
} herd_junit_prop;

typedef struct herd_junit_suite {
    const char *name;       /* required: the scenario or model path */
    const char *classname;  /* every case's classname; NULL: the suite's name */
    uint64_t time_us;       /* wall time of the whole suite */
    const herd_junit_prop *props;
    size_t nprops;
    const herd_junit_case *cases;
    size_t ncases;
    const char *system_out; /* NULL: none (e.g. the replay command) */
} herd_junit_suite;

/* Write the escaped form of s (NULL: nothing). 0, or -EIO if the stream failed. */
int herd_junit_escape(FILE *f, const char *s);
/* The whole document on f. 0, or -EIO. */
int herd_junit_emit(const herd_junit_suite *s, FILE *f);
/* The whole document to path, atomically. 0 or -errno. */
int herd_junit_write(const char *path, const herd_junit_suite *s);

#endif
