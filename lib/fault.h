/* fault.h — libfiu fault points, free when the build leaves them out.
 *
 * Built with -DHERD_FIU=ON, FIU_ENABLE is defined and every HERD_FAULT(name) asks libfiu
 * whether this opportunity should fail; otherwise HERD_FAULT is the constant 0 and the
 * compiler drops the failure branch (and fiu_fail / fiu_do_on / fiu_return_on are the
 * usual no-op stubs, as libfiu's fiu-local.h makes them), so release builds pay nothing
 * and need no libfiu.
 *
 * Point names are stable: tests, scripts and docs/reliability.md (the registry) rely on
 * them. At each point the caller returns exactly what the real failure returns (NULL with
 * errno ENOMEM for an allocation, -1 with errno EIO, ENOSPC or EACCES for I/O), so the code
 * after the point is the code that runs on a real failure.
 *
 * Driving (lib/fault.c; deterministic, never libfiu's random mode):
 *   HERD_FIU_FAIL=name:N       the N-th opportunity (1-based) of point name fails, once
 *   HERD_FIU_FAIL=name:N:kill  the process SIGKILLs itself there instead (crash simulation)
 *   HERD_FIU_COUNT=file        count every point's opportunities; at exit append
 *                              "name count" lines to file
 * Tests may also call fiu_enable() themselves (libfiu's API) after herd_fault_init(). */
#ifndef HERD_FAULT_H
#define HERD_FAULT_H

/* The registry: every point lib/ defines (docs/reliability.md says what each produces). */
#define HERD_FP_ALLOC "herd/alloc"                 /* any lib allocation: NULL, ENOMEM */
#define HERD_FP_AFILE_MKDIR "herd/afile/mkdir"     /* mkdir(2) of --out: -1, EACCES */
#define HERD_FP_AFILE_OPEN "herd/afile/open"       /* open(2) of the temporary: -1, EACCES */
#define HERD_FP_AFILE_WRITE "herd/afile/write"     /* each write(2) of a buffer: -1, ENOSPC */
#define HERD_FP_AFILE_FSYNC "herd/afile/fsync"     /* fsync(2) of the temporary: -1, EIO */
#define HERD_FP_AFILE_RENAME "herd/afile/rename"   /* rename(2) over the target: -1, EIO */
#define HERD_FP_AFILE_DIRSYNC "herd/afile/dirsync" /* fsync(2) of the directory: -1, EIO */
#define HERD_FP_CONFIG_OPEN "herd/config/open"     /* fopen of a scenario/model: NULL, EACCES */
#define HERD_FP_CONFIG_READ "herd/config/read"     /* each fread of it: error, EIO */
#define HERD_FP_TRACE_OPEN "herd/trace/open"       /* fopen of a trace: NULL, EACCES */
#define HERD_FP_TRACE_READ "herd/trace/read"       /* each line read of it: error, EIO */

#ifdef FIU_ENABLE
#include <fiu.h>

/* Initialises libfiu and the environment-driven points on first use; then fiu_fail(name). */
int herd_fault_hit(const char *name);
/* Idempotent; herd_fault_hit calls it. Returns 0 or -1 (libfiu could not start). */
int herd_fault_init(void);
#define HERD_FAULT(name) (herd_fault_hit(name) != 0)
#else
#define fiu_init(flags) 0
#define fiu_fail(name) 0
#define fiu_failinfo() NULL
#define fiu_do_on(name, action)
#define fiu_return_on(name, retval)
#define herd_fault_init() 0
#define HERD_FAULT(name) 0
#endif

#endif
