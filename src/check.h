/* check.h — assertions that stay on: herd_assert and herd_assert_debug.
 *
 * <assert.h> vanishes under NDEBUG, which is exactly the Release build users run
 * (scripts/demo, scripts/bench). herd_assert(cond) is kept in every build type: it states
 * a machine's pre- and postconditions and invariants, and a false one stops the process
 * at once instead of letting a broken state reach a trace or a verdict.
 * herd_assert_debug(cond) is for the few checks on a hot path whose cost was measured
 * (docs/performance.md); it follows NDEBUG like assert, and each use says why it is
 * debug-only.
 *
 * A failed assertion calls herd_check_failed: static, never inlined, cold, so it costs
 * the fast path one predicted branch and the call sits out of line. It traps
 * (__builtin_trap: SIGILL on x86-64, SIGTRAP on arm64) and brings in no symbol at all, so
 * the core stays pure (tests/test_purity.c): no stdio, no abort. In a debugger or a core
 * file, frame 0 is herd_check_failed with the source file, line and condition text as
 * its arguments (kept in registers for the debugger to read) and frame 1 is the failing
 * check's caller. */
#ifndef HERD_CHECK_H
#define HERD_CHECK_H

__attribute__((noreturn, noinline, cold, unused)) static void herd_check_failed(const char *file, int line,
                                                                                const char *cond)
{
    __asm__ volatile("" : : "r"(file), "r"(line), "r"(cond) : "memory");
    __builtin_trap();
}

#define herd_assert(cond) \
    (__builtin_expect(!!(cond), 1) ? (void)0 : herd_check_failed(__FILE__, __LINE__, #cond))

/* HERD_DEBUG_CHECKS is 1 unless NDEBUG: `if (HERD_DEBUG_CHECKS) check_all(x);` runs a
 * whole debug-only check function, still compiled (and so kept building) in Release. */
#ifdef NDEBUG
#define HERD_DEBUG_CHECKS 0
/* Not evaluated, still compiled: a debug-only check cannot rot in Release. */
#define herd_assert_debug(cond) ((void)sizeof(!(cond)))
#else
#define HERD_DEBUG_CHECKS 1
#define herd_assert_debug(cond) herd_assert(cond)
#endif

#endif
