/* atomic_file.h — output files written whole or not at all.
 *
 * herd_afile_open() creates "path.tmp.<pid>" in the target's directory; the caller writes
 * through the returned FILE*; herd_afile_commit() flushes, fsyncs, closes and renames it
 * over path (then fsyncs the directory), herd_afile_abort() closes and unlinks it. A reader
 * therefore sees the old file or the whole new one, never a torn one. Live temporary files are
 * registered (at most HERD_AFILE_LIVE_MAX at once) so that the handler installed by
 * herd_afile_install_signal_cleanup() can unlink them on SIGINT/SIGTERM/SIGHUP before the
 * process dies of the signal. Callers map failures to exit 74 (HERD_EXIT_IOERR). */
#ifndef HERD_ATOMIC_FILE_H
#define HERD_ATOMIC_FILE_H

#include <stdio.h>

#define HERD_AFILE_LIVE_MAX 64
#define HERD_AFILE_PATH_MAX 4096

typedef struct herd_afile {
    /* read-only */
    FILE *f;                        /* NULL when not open */
    /* private */
    int slot;                       /* index in the live registry, -1 when none */
    char path[HERD_AFILE_PATH_MAX];
    char tmp[HERD_AFILE_PATH_MAX];
} herd_afile;

/* Returns the stream, or NULL with errno set (ENAMETOOLONG, EMFILE when the registry is full,
 * EBUSY if this process already has path open, or open(2)'s errno). */
FILE *herd_afile_open(herd_afile *af, const char *path);
/* 0, or -errno, also left in errno (the temporary file is removed on failure). af is closed
 * either way. A failure of the final directory fsync leaves the new file in place. */
int herd_afile_commit(herd_afile *af);
/* Close and unlink, leaving errno as it was; harmless on an af whose open failed or that was
 * committed or aborted (but af must have been passed to herd_afile_open once: it is not
 * zero-initialised). */
void herd_afile_abort(herd_afile *af);
/* mkdir -p: 0 or -errno (-ENOTDIR if a component exists but is not a directory). */
int herd_mkdir_p(const char *dir);
/* SIGINT, SIGTERM, SIGHUP: unlink live temporaries, then die of the signal (default action). */
void herd_afile_install_signal_cleanup(void);

#endif
