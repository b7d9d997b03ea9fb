/* test_purity.c — the core (libherd_core.a) is pure: its undefined symbols, as nm lists
 * them, include no clock, no randomness, no allocation, no I/O, no process control. The
 * list of allowed symbols is explicit, so anything new must be looked at. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const char *const forbidden[] = {
    "time", "clock", "clock_gettime", "gettimeofday", "rand", "random", "srand", "srandom",
    "drand48", "rand_r", "getrandom", "arc4random", "malloc", "calloc", "realloc", "free",
    "aligned_alloc", "posix_memalign", "printf", "fprintf", "vfprintf", "puts", "fputs",
    "putchar", "fopen", "fclose", "fread", "fwrite", "fflush", "open", "read", "write",
    "close", "socket", "getenv", "exit", "abort_if_not", "sleep", "usleep", "nanosleep",
    "pthread_create", NULL,
};

/* Symbols the core may need from libc or the compiler runtime. __assert_fail is <assert.h>'s
 * (store.c, dedup.c, backoff.c, frame.c); herd_assert (src/check.h) needs none: it traps. */
static const char *const allowed[] = {
    "memcpy", "memset", "memmove", "memcmp", "strcmp", "strlen", "__assert_fail",
    "__stack_chk_fail", "__popcountdi2", "__udivti3", "__umodti3", NULL,
};

static bool listed(const char *const *list, const char *sym)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], sym) == 0) return true;
    return false;
}

Test(purity, core_library_has_no_clock_random_alloc_or_io)
{
    FILE *p = popen("nm -u --format=posix " HERD_CORE_LIB " 2>&1", "r");
    cr_assert_not_null(p);
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, p)) {
        char sym[256];
        if (sscanf(line, "%255s U", sym) != 1 || strchr(sym, '[') || strchr(sym, ':')) continue;
        char *at = strchr(sym, '@');
        if (at) *at = '\0';
        if (strncmp(sym, "herd_", 5) == 0) continue; /* defined in another core object */
        seen++;
        cr_expect(!listed(forbidden, sym), "the core calls %s", sym);
        cr_expect(listed(allowed, sym), "the core needs an unreviewed symbol: %s", sym);
    }
    cr_assert_eq(pclose(p), 0, "nm failed on " HERD_CORE_LIB);
    cr_log_info("%d external symbols reviewed", seen);
}

Test(purity, the_checker_catches_an_impure_object)
{
    /* Show the check can fail: a scratch object that calls malloc and time is flagged. */
    const char *dir = HERD_BINARY_DIR;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "printf '#include <stdlib.h>\\n#include <time.h>\\nvoid *f(void){return malloc((size_t)time(0));}\\n'"
             " > %s/impure.c && cc -c %s/impure.c -o %s/impure.o && nm -u --format=posix %s/impure.o",
             dir, dir, dir, dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[512];
    int bad = 0;
    while (fgets(line, sizeof line, p)) {
        char sym[256];
        if (sscanf(line, "%255s U", sym) == 1 && listed(forbidden, sym)) bad++;
    }
    pclose(p);
    cr_assert_eq(bad, 2, "malloc and time are both caught");
}

Test(purity, a_failed_herd_assert_brings_in_no_symbol)
{
    /* herd_assert and herd_assert_debug (src/check.h) stop the process with a trap, not
     * through stdio or abort: an object full of them, at -O2 with and without NDEBUG,
     * has no undefined symbol at all. */
    const char *dir = HERD_BINARY_DIR;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "printf '#include \"check.h\"\nint f(int x){herd_assert(x > 0); herd_assert_debug(x < 9); return x;}\n'"
             " > %s/checked.c && for d in -UNDEBUG -DNDEBUG; do cc -std=c17 -O2 $d -I%s/src -c %s/checked.c"
             " -o %s/checked.o && nm -u --format=posix %s/checked.o || echo nm-failed; done",
             dir, HERD_SOURCE_DIR, dir, dir, dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[512];
    int undefined = 0;
    while (fgets(line, sizeof line, p)) {
        cr_log_error("unexpected: %s", line);
        undefined++;
    }
    cr_assert_eq(pclose(p), 0, "the scratch object did not compile");
    cr_assert_eq(undefined, 0, "a failed herd_assert needs an external symbol");
}
