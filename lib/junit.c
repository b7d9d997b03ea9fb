/* junit.c — JUnit XML reports (see junit.h). */
#include "junit.h"

#include "atomic_file.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (1..4) that XML 1.0 allows, or 0 if the
 * bytes there are not one (the caller writes '?' and moves on by one byte). */
static size_t utf8_ok(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80) return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    if (n == 3 && c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)) return 0; /* U+FFFE/F */
    return n;
}

int herd_junit_escape(FILE *f, const char *str)
{
    if (str == NULL) return 0;
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        switch (*s) {
        case '&': fputs("&amp;", f); s++; continue;
        case '<': fputs("&lt;", f); s++; continue;
        case '>': fputs("&gt;", f); s++; continue;
        case '"': fputs("&quot;", f); s++; continue;
        case '\'': fputs("&apos;", f); s++; continue;
        case '\r': fputs("&#13;", f); s++; continue; /* kept through attribute normalisation */
        default: break;
        }
        size_t n = utf8_ok(s);
        if (n == 0) {
            fputc('?', f);
            s++;
        } else {
            fwrite(s, 1, n, f);
            s += n;
        }
    }
    return ferror(f) ? -EIO : 0;
}

static void put_time(FILE *f, uint64_t us)
{
    fprintf(f, "%" PRIu64 ".%03" PRIu64, us / 1000000u, us % 1000000u / 1000u);
}

static void put_attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    herd_junit_escape(f, value ? value : "");
    fputc('"', f);
}

int herd_junit_emit(const herd_junit_suite *s, FILE *f)
{
    size_t fails = 0, skips = 0;
    for (size_t i = 0; i < s->ncases; i++) {
        if (s->cases[i].status == HERD_JUNIT_FAIL) fails++;
        else if (s->cases[i].status == HERD_JUNIT_SKIP) skips++;
    }
    const char *cls = s->classname ? s->classname : s->name;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
    put_attr(f, "name", "herd");
    fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"", s->ncases, fails, skips);
    put_time(f, s->time_us);
    fputs("\">\n  <testsuite", f);
    put_attr(f, "name", s->name);
    fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"", s->ncases, fails, skips);
    put_time(f, s->time_us);
    fputs("\">\n", f);
    if (s->nprops) {
        fputs("    <properties>\n", f);
        for (size_t i = 0; i < s->nprops; i++) {
            fputs("      <property", f);
            put_attr(f, "name", s->props[i].name);
            put_attr(f, "value", s->props[i].value);
            fputs("/>\n", f);
        }
        fputs("    </properties>\n", f);
    }
    for (size_t i = 0; i < s->ncases; i++) {
        const herd_junit_case *c = &s->cases[i];
        fputs("    <testcase", f);
        put_attr(f, "classname", cls);
        put_attr(f, "name", c->name);
        fputs(" time=\"0.000\">\n", f);
        if (c->status == HERD_JUNIT_FAIL) {
            fputs("      <failure", f);
            put_attr(f, "message", c->message ? c->message : c->name);
            put_attr(f, "type", "herd.expectation");
            fputc('>', f);
            herd_junit_escape(f, c->detail);
            fputs("</failure>\n", f);
        } else if (c->status == HERD_JUNIT_SKIP) {
            fputs("      <skipped", f);
            put_attr(f, "message", c->message);
            fputs("/>\n", f);
        } else if (c->detail && c->detail[0]) {
            fputs("      <system-out>", f);
            herd_junit_escape(f, c->detail);
            fputs("</system-out>\n", f);
        }
        fputs("    </testcase>\n", f);
    }
    if (s->system_out) {
        fputs("    <system-out>", f);
        herd_junit_escape(f, s->system_out);
        fputs("</system-out>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    return ferror(f) ? -EIO : 0;
}

int herd_junit_write(const char *path, const herd_junit_suite *s)
{
    /* Create the report's directory (CI passes paths like reports/x.xml). */
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char dir[HERD_AFILE_PATH_MAX];
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) return -ENAMETOOLONG;
        memcpy(dir, path, n);
        dir[n] = 0;
        int rc = herd_mkdir_p(dir);
        if (rc != 0) return rc;
    }
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    if (f == NULL) return -errno;
    int rc = herd_junit_emit(s, f);
    if (rc != 0) {
        herd_afile_abort(&af);
        return rc;
    }
    return herd_afile_commit(&af);
}
