/* atomic_file.c — output files written whole or not at all (see atomic_file.h).
 *
 * Owns the registry of live temporary files. The registry is a fixed array of slots whose
 * paths are written before the slot is published (used = 1) and which the signal handler
 * reads with nothing but unlink(2), which is async-signal-safe; so a SIGINT at any point
 * leaves no "*.tmp.<pid>" behind. A slot is published before the file is created (unlinking
 * a name that does not exist yet is harmless) and retired after the rename.
 *
 * The caller's FILE* is a stdio stream over our own write function (fopencookie), so each
 * buffer stdio hands to write(2) passes the "herd/afile/write" fault point and its first
 * error is kept for commit to report (stdio itself keeps only a flag). Every system call
 * that can fail here carries a fault point (lib/fault.h) failing with the errno the real
 * call gives in the common case: EACCES, ENOSPC, EIO. */
#define _GNU_SOURCE /* fopencookie */
#include "atomic_file.h"

#include "fault.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct live_slot {
    volatile sig_atomic_t used;
    char tmp[HERD_AFILE_PATH_MAX];
    int fd;  /* the temporary's descriptor while open, else -1 */
    int err; /* first write error (errno), 0 if none */
} live_slot;

static live_slot live[HERD_AFILE_LIVE_MAX];

static int registry_take(const char *tmp)
{
    for (int i = 0; i < HERD_AFILE_LIVE_MAX; i++) {
        if (live[i].used && strcmp(live[i].tmp, tmp) == 0)
            return -EBUSY; /* this process is already writing that file */
    }
    for (int i = 0; i < HERD_AFILE_LIVE_MAX; i++) {
        if (!live[i].used) {
            memcpy(live[i].tmp, tmp, strlen(tmp) + 1);
            live[i].fd = -1;
            live[i].err = 0;
            live[i].used = 1;
            return i;
        }
    }
    return -EMFILE;
}

static void registry_drop(herd_afile *af)
{
    if (af->slot >= 0)
        live[af->slot].used = 0;
    af->slot = -1;
}

static void cleanup_handler(int sig)
{
    for (int i = 0; i < HERD_AFILE_LIVE_MAX; i++)
        if (live[i].used)
            unlink(live[i].tmp);
    /* Die of the signal, so the parent sees the real cause (and the shell prints nothing). */
    signal(sig, SIG_DFL);
    raise(sig);
}

void herd_afile_install_signal_cleanup(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cleanup_handler;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&sa.sa_mask, sigs[i]);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);
}

static int create_tmp(const char *tmp)
{
    if (HERD_FAULT(HERD_FP_AFILE_OPEN)) {
        errno = EACCES;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST) {
        /* Left by a dead process that had our pid (we are not writing it: see
         * registry_take): stale, so replace it. */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    }
    return fd;
}

/* stdio's write: all of buf or -1 (a short count would make stdio retry the rest anyway). */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
    live_slot *s = cookie;
    if (HERD_FAULT(HERD_FP_AFILE_WRITE)) {
        s->err = s->err ? s->err : ENOSPC;
        errno = ENOSPC;
        return -1;
    }
    for (size_t done = 0; done < n;) { /* bounded: each pass writes at least one byte */
        ssize_t w = write(s->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->err = s->err ? s->err : (w < 0 ? errno : EIO);
            errno = s->err;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)n;
}

static int cookie_close(void *cookie)
{
    live_slot *s = cookie;
    int rc = close(s->fd);
    s->fd = -1;
    return rc;
}

FILE *herd_afile_open(herd_afile *af, const char *path)
{
    af->f = NULL;
    af->slot = -1;
    af->path[0] = af->tmp[0] = '\0';
    size_t len = strlen(path);
    int n = snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    if (len == 0 || len >= sizeof af->path || n < 0 || (size_t)n >= sizeof af->tmp) {
        errno = len == 0 ? ENOENT : ENAMETOOLONG;
        return NULL;
    }
    memcpy(af->path, path, len + 1);
    int slot = registry_take(af->tmp);
    if (slot < 0) {
        errno = -slot;
        return NULL;
    }
    af->slot = slot;
    int fd = create_tmp(af->tmp);
    if (fd < 0) {
        int err = errno;
        registry_drop(af);
        errno = err;
        return NULL;
    }
    live[slot].fd = fd;
    af->f = fopencookie(&live[slot], "w", (cookie_io_functions_t){.write = cookie_write,
                                                                  .close = cookie_close});
    if (!af->f) {
        int err = errno;
        close(fd);
        unlink(af->tmp);
        registry_drop(af);
        errno = err;
        return NULL;
    }
    return af->f;
}

/* fsync the directory holding path, so the rename itself survives a crash. */
static int fsync_dir_of(const char *path)
{
    char dir[HERD_AFILE_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        memcpy(dir, ".", 2);
    else if (slash == path)
        memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (HERD_FAULT(HERD_FP_AFILE_DIRSYNC)) {
        close(fd);
        return -EIO;
    }
    int rc = fsync(fd) == 0 || errno == EINVAL || errno == EROFS ? 0 : -errno;
    close(fd);
    return rc;
}

/* fsync the temporary: 0 or -errno (a file system that cannot sync is not an error). */
static int fsync_tmp(int fd)
{
    if (HERD_FAULT(HERD_FP_AFILE_FSYNC))
        return -EIO;
    return fsync(fd) == 0 || errno == EINVAL || errno == EROFS ? 0 : -errno;
}

static int rename_tmp(const herd_afile *af)
{
    if (HERD_FAULT(HERD_FP_AFILE_RENAME))
        return -EIO;
    return rename(af->tmp, af->path) == 0 ? 0 : -errno;
}

int herd_afile_commit(herd_afile *af)
{
    if (!af->f)
        return -EBADF;
    live_slot *s = &live[af->slot];
    int rc = 0;
    if (fflush(af->f) != 0 || ferror(af->f))
        rc = -(s->err ? s->err : EIO);
    else
        rc = fsync_tmp(s->fd);
    if (fclose(af->f) != 0 && rc == 0)
        rc = -(errno ? errno : EIO);
    af->f = NULL;
    if (rc == 0)
        rc = rename_tmp(af);
    if (rc != 0)
        unlink(af->tmp);
    registry_drop(af);
    if (rc == 0)
        rc = fsync_dir_of(af->path);
    if (rc != 0)
        errno = -rc; /* so a caller's strerror(errno) names the real cause */
    return rc;
}

void herd_afile_abort(herd_afile *af)
{
    int saved = errno; /* callers abort on an error and then report errno */
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
    }
    if (af->slot >= 0) {
        unlink(af->tmp);
        registry_drop(af);
    }
    errno = saved;
}

int herd_mkdir_p(const char *dir)
{
    char buf[HERD_AFILE_PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0)
        return -ENOENT;
    if (len >= sizeof buf)
        return -ENAMETOOLONG;
    memcpy(buf, dir, len + 1);
    /* Create each prefix that ends before a '/', then the whole path. */
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i - 1] == '/')
            continue; /* "a//b" */
        char saved = buf[i];
        buf[i] = '\0';
        if (HERD_FAULT(HERD_FP_AFILE_MKDIR))
            return -EACCES;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -errno;
        struct stat st;
        if (stat(buf, &st) != 0)
            return -errno;
        if (!S_ISDIR(st.st_mode))
            return -ENOTDIR;
        buf[i] = saved;
    }
    return 0;
}
