/* test_junit.c — lib/junit.c: XML escaping (entities, forbidden characters, broken UTF-8),
 * the document's counts and structure, well-formedness checked by xmllint on hostile
 * input, atomic writes; and end to end, `herd run --junit` and `herd check --junit` on a
 * passing and a failing run. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "junit.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/herd_junit_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void clean_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static char *escape(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(herd_junit_escape(f, s), 0);
    fclose(f);
    return buf;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void assert_well_formed(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    cr_assert_eq(system(cmd), 0, "%s is not well-formed XML (xmllint, from libxml2-utils)", path);
}

Test(junit, escapes_the_five_entities)
{
    char *s = escape("a<b>&\"c'd");
    cr_assert_str_eq(s, "a&lt;b&gt;&amp;&quot;c&apos;d");
    free(s);
}

Test(junit, keeps_valid_utf8_and_whitespace)
{
    char *s = escape("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x90\x91\ttab\nline");
    cr_assert_str_eq(s, "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x90\x91\ttab\nline");
    free(s);
    s = escape("cr\r");
    cr_assert_str_eq(s, "cr&#13;");
    free(s);
}

Test(junit, replaces_what_xml_forbids)
{
    /* C0 controls, a lone continuation byte, an overlong encoding, a surrogate, U+FFFE,
     * a truncated sequence at the end, and a code point above U+10FFFF. */
    char *s = escape("x\x01y\x1b\x7fz\x80\xc0\xaf\xed\xa0\x80\xef\xbf\xbe\xf4\x90\x80\x80\xe2\x82");
    cr_assert_str_eq(s, "x?y?\x7fz???????????????"); /* 1+2+3+3+4+2 */
    free(s);
    s = escape(NULL);
    cr_assert_str_eq(s, "");
    free(s);
}

static const herd_junit_case three[] = {
    {.name = "safety holds", .status = HERD_JUNIT_PASS, .detail = "no invariant violated"},
    {.name = "L1 recovers within 30s", .status = HERD_JUNIT_FAIL, .message = "never all live <&>",
     .detail = "live 5/10 \x01 ]]> end"},
    {.name = "I3 holds", .status = HERD_JUNIT_SKIP, .message = "not decided"},
};

Test(junit, document_counts_and_structure)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    herd_junit_prop props[] = {{"seed", "42"}, {"trace_hash", "ab\"cd"}};
    herd_junit_suite s = {.name = "traces/scenarios/x.yaml", .time_us = 1234567, .props = props, .nprops = 2,
                          .cases = three, .ncases = 3, .system_out = "replay: herd run x.yaml --seed 42 --set 'a=b'\n"};
    cr_assert_eq(herd_junit_emit(&s, f), 0);
    fclose(f);
    cr_assert(strstr(buf, "<testsuite name=\"traces/scenarios/x.yaml\" tests=\"3\" failures=\"1\" errors=\"0\" "
                          "skipped=\"1\" time=\"1.234\">"), "%s", buf);
    cr_assert_eq(count(buf, "<testcase "), 3);
    cr_assert_eq(count(buf, "<failure "), 1);
    cr_assert_eq(count(buf, "<skipped "), 1);
    cr_assert(strstr(buf, "message=\"never all live &lt;&amp;&gt;\""), "%s", buf);
    cr_assert(strstr(buf, "live 5/10 ? ]]&gt; end</failure>"), "%s", buf);
    cr_assert(strstr(buf, "<property name=\"trace_hash\" value=\"ab&quot;cd\"/>"), "%s", buf);
    cr_assert(strstr(buf, "replay: herd run x.yaml --seed 42 --set &apos;a=b&apos;"), "%s", buf);
    free(buf);
}

Test(junit, hostile_text_is_well_formed, .init = make_dir, .fini = clean_dir)
{
    /* Every byte value 1..255 in every text slot. */
    char all[256];
    for (int i = 1; i < 256; i++) all[i - 1] = (char)i;
    all[255] = 0;
    herd_junit_case c[] = {{.name = all, .status = HERD_JUNIT_FAIL, .message = all, .detail = all},
                           {.name = all, .status = HERD_JUNIT_SKIP, .message = all},
                           {.name = all, .status = HERD_JUNIT_PASS, .detail = all}};
    herd_junit_prop p[] = {{all, all}};
    herd_junit_suite s = {.name = all, .classname = all, .props = p, .nprops = 1, .cases = c, .ncases = 3,
                          .system_out = all};
    char path[128];
    snprintf(path, sizeof path, "%s/hostile.xml", dir);
    cr_assert_eq(herd_junit_write(path, &s), 0);
    assert_well_formed(path);
}

Test(junit, write_is_atomic_and_makes_its_directory, .init = make_dir, .fini = clean_dir)
{
    char path[160];
    snprintf(path, sizeof path, "%s/reports/sub/r.xml", dir);
    herd_junit_suite s = {.name = "m", .cases = three, .ncases = 3};
    cr_assert_eq(herd_junit_write(path, &s), 0);
    assert_well_formed(path);
    /* No temporary file left beside it. */
    char sub[160];
    snprintf(sub, sizeof sub, "%s/reports/sub", dir);
    DIR *d = opendir(sub);
    cr_assert_not_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') files++;
    closedir(d);
    cr_assert_eq(files, 1);
    /* A path under a regular file fails and writes nothing. */
    char bad[200];
    snprintf(bad, sizeof bad, "%s/r.xml/x.xml", sub);
    cr_assert_lt(herd_junit_write(bad, &s), 0);
}

/* End to end through the binary. */

/* Runs `herd VERB A ARGS --junit X`, output discarded; the exit status. */
static int herd(const char *verb, const char *a, const char *args, const char *x)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s '%s' %s --junit '%s' >/dev/null 2>&1", HERD_EXE, verb, a, args, x);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char tiny[] = "run: {duration: 20s}\n"
                           "world: {clients: 50, rooms: 5, servers: 2, start_spread: 1s}\n"
                           "store: {maxlen: 100}\n"
                           "workload: {publish_interval: 1s}\n"
                           "faults:\n  - {kind: crash, at: 5s, duration: 1s, servers: all}\n"
                           "expect: {safety: holds, recovers_within: 10s}\n";

static void write_tiny(char *path, size_t n)
{
    snprintf(path, n, "%s/tiny.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(tiny, f);
    fclose(f);
}

Test(junit_e2e, run_pass_and_fail, .init = make_dir, .fini = clean_dir)
{
    char sc[128], x[160];
    write_tiny(sc, sizeof sc);
    snprintf(x, sizeof x, "%s/pass.xml", dir);
    cr_assert_eq(herd("run", sc, "", x), 0);
    assert_well_formed(x);
    char *doc = slurp(x);
    cr_assert(strstr(doc, "tests=\"2\" failures=\"0\""), "%s", doc);
    cr_assert(strstr(doc, "name=\"safety holds\""), "%s", doc);
    cr_assert(strstr(doc, "<property name=\"seed\" value=\"1\"/>"), "%s", doc);
    free(doc);
    /* An expectation that cannot hold: exit 1, a failure with its detail, and the
     * replay command in <system-out>. */
    snprintf(x, sizeof x, "%s/fail.xml", dir);
    cr_assert_eq(herd("run", sc, "--seed 7 --set expect.recovers_within=never", x), 1);
    assert_well_formed(x);
    doc = slurp(x);
    cr_assert(strstr(doc, "failures=\"1\""), "%s", doc);
    cr_assert(strstr(doc, "<testcase classname=") && strstr(doc, "name=\"L1 never recovers\""), "%s", doc);
    cr_assert(strstr(doc, "<failure message=\""), "%s", doc);
    cr_assert(strstr(doc, "replay: herd run ") && strstr(doc, "--seed 7 --set &apos;expect.recovers_within=never&apos;"),
              "%s", doc);
    free(doc);
}

Test(junit_e2e, check_expected_violation_and_unmet, .init = make_dir, .fini = clean_dir)
{
    char x[160];
    snprintf(x, sizeof x, "%s/dn.xml", dir);
    cr_assert_eq(herd("check", HERD_SOURCE_DIR "/traces/models/dedup-none.yaml", "", x), 0);
    assert_well_formed(x);
    char *doc = slurp(x);
    cr_assert(strstr(doc, "failures=\"0\""), "%s", doc);
    cr_assert(strstr(doc, "name=\"I2 violated: "), "%s", doc);
    free(doc);
    /* The same model with the expectation turned around: the violated property fails. */
    char m[160], cmd[600];
    snprintf(m, sizeof m, "%s/dn-pass.yaml", dir);
    snprintf(cmd, sizeof cmd, "sed 's/^expect:.*/expect: pass/' '%s' > '%s'", HERD_SOURCE_DIR "/traces/models/dedup-none.yaml", m);
    cr_assert_eq(system(cmd), 0);
    snprintf(x, sizeof x, "%s/out/dn-pass.xml", dir);
    cr_assert_eq(herd("check", m, "", x), 1);
    assert_well_formed(x);
    doc = slurp(x);
    cr_assert(strstr(doc, "failures=\"1\""), "%s", doc);
    cr_assert(strstr(doc, "<failure message=\"I2 violated"), "%s", doc);
    cr_assert(strstr(doc, "counterexample of "), "%s", doc);
    free(doc);
}
