/* test_atomic_file.c — lib/atomic_file.c: a committed file appears whole, an aborted one
 * leaves nothing, failures clean up their temporary file, the live-file registry is bounded,
 * mkdir -p, and the signal handler unlinks live temporaries before the process dies. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/herd_afile_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

/* Removes everything under dir (one level of subdirectories is enough here). */
static void remove_tree(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        if (unlink(p) != 0)
            remove_tree(p);
    }
    closedir(dp);
    rmdir(d);
}

static void drop_dir(void) { remove_tree(dir); }

TestSuite(afile, .init = make_dir, .fini = drop_dir);

/* Number of entries in dir whose name contains ".tmp." (plus the total in *all). */
static int count_tmp(int *all)
{
    DIR *dp = opendir(dir);
    cr_assert_not_null(dp);
    int tmp = 0, n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        tmp += strstr(e->d_name, ".tmp.") != NULL;
    }
    closedir(dp);
    if (all)
        *all = n;
    return tmp;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

Test(afile, commit_makes_the_file_appear_whole)
{
    char path[128];
    path_in(path, sizeof path, "out.json");
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    cr_assert_not_null(f);
    for (int i = 0; i < 10000; i++)
        fprintf(f, "line %d\n", i);
    cr_assert_null(slurp(path), "the target must not exist before commit");
    int all;
    cr_assert_eq(count_tmp(&all), 1);
    cr_assert_eq(herd_afile_commit(&af), 0);
    cr_assert_null(af.f);
    char *text = slurp(path);
    cr_assert_not_null(text);
    cr_assert_eq(strlen(text), 10000 * 5 + (10 + 90 * 2 + 900 * 3 + 9000 * 4) + 10000);
    cr_assert(strstr(text, "line 9999\n"));
    cr_assert_eq(count_tmp(&all), 0);
    cr_assert_eq(all, 1);
}

Test(afile, commit_replaces_an_existing_file)
{
    char path[128];
    path_in(path, sizeof path, "report.txt");
    FILE *old = fopen(path, "w");
    fputs("old contents", old);
    fclose(old);
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    fputs("new", f);
    cr_assert_str_eq(slurp(path), "old contents", "readers see the old file until commit");
    cr_assert_eq(herd_afile_commit(&af), 0);
    cr_assert_str_eq(slurp(path), "new");
    cr_assert_eq(count_tmp(NULL), 0);
}

Test(afile, abort_leaves_nothing)
{
    char path[128];
    path_in(path, sizeof path, "trace.bin");
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    cr_assert_not_null(f);
    fputs("partial", f);
    herd_afile_abort(&af);
    herd_afile_abort(&af); /* harmless twice */
    int all;
    cr_assert_eq(count_tmp(&all), 0);
    cr_assert_eq(all, 0);
}

Test(afile, abort_keeps_the_old_file)
{
    char path[128];
    path_in(path, sizeof path, "keep.txt");
    FILE *old = fopen(path, "w");
    fputs("old", old);
    fclose(old);
    herd_afile af;
    fputs("new", herd_afile_open(&af, path));
    herd_afile_abort(&af);
    cr_assert_str_eq(slurp(path), "old");
    cr_assert_eq(count_tmp(NULL), 0);
}

Test(afile, temp_name_is_beside_the_target)
{
    char path[128], want[160];
    path_in(path, sizeof path, "x.csv");
    snprintf(want, sizeof want, "%s.tmp.%ld", path, (long)getpid());
    herd_afile af;
    cr_assert_not_null(herd_afile_open(&af, path));
    cr_assert_str_eq(af.tmp, want);
    struct stat st;
    cr_assert_eq(stat(want, &st), 0);
    herd_afile_abort(&af);
}

Test(afile, open_errors)
{
    char path[128];
    path_in(path, sizeof path, "no/such/dir/out.json");
    herd_afile af;
    errno = 0;
    cr_assert_null(herd_afile_open(&af, path));
    cr_assert_eq(errno, ENOENT);
    cr_assert_null(herd_afile_open(&af, ""));
    cr_assert_eq(errno, ENOENT);
    char *longp = malloc(HERD_AFILE_PATH_MAX + 10);
    memset(longp, 'a', HERD_AFILE_PATH_MAX + 9);
    longp[HERD_AFILE_PATH_MAX + 9] = '\0';
    cr_assert_null(herd_afile_open(&af, longp));
    cr_assert_eq(errno, ENAMETOOLONG);
    free(longp);
    path_in(path, sizeof path, "same");
    herd_afile a1, a2;
    cr_assert_not_null(herd_afile_open(&a1, path));
    cr_assert_null(herd_afile_open(&a2, path));
    cr_assert_eq(errno, EBUSY);
    herd_afile_abort(&a1);
    cr_assert_eq(count_tmp(NULL), 0);
}

Test(afile, stale_temp_of_our_pid_is_replaced)
{
    char path[128], tmp[160];
    path_in(path, sizeof path, "s.txt");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *stale = fopen(tmp, "w");
    fputs("stale stale stale", stale);
    fclose(stale);
    herd_afile af;
    fputs("fresh", herd_afile_open(&af, path));
    cr_assert_eq(herd_afile_commit(&af), 0);
    cr_assert_str_eq(slurp(path), "fresh");
    cr_assert_eq(count_tmp(NULL), 0);
}

Test(afile, registry_is_bounded)
{
    static herd_afile afs[HERD_AFILE_LIVE_MAX + 1];
    char path[128];
    for (int i = 0; i < HERD_AFILE_LIVE_MAX; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        cr_assert_not_null(herd_afile_open(&afs[i], path), "%d", i);
    }
    path_in(path, sizeof path, "one-too-many");
    cr_assert_null(herd_afile_open(&afs[HERD_AFILE_LIVE_MAX], path));
    cr_assert_eq(errno, EMFILE);
    for (int i = 0; i < HERD_AFILE_LIVE_MAX; i++)
        cr_assert_eq(herd_afile_commit(&afs[i]), 0);
    cr_assert_not_null(herd_afile_open(&afs[0], path)); /* slots come back */
    herd_afile_abort(&afs[0]);
    int all;
    cr_assert_eq(count_tmp(&all), 0);
    cr_assert_eq(all, HERD_AFILE_LIVE_MAX);
}

Test(afile, failed_commit_cleans_up)
{
    char path[128];
    path_in(path, sizeof path, "isdir");
    cr_assert_eq(mkdir(path, 0777), 0);
    char inside[160];
    snprintf(inside, sizeof inside, "%s/x", path);
    FILE *x = fopen(inside, "w"); /* a non-empty directory cannot be renamed over */
    fclose(x);
    herd_afile af;
    fputs("data", herd_afile_open(&af, path));
    int rc = herd_afile_commit(&af);
    cr_assert_lt(rc, 0);
    cr_assert(rc == -EISDIR || rc == -ENOTEMPTY || rc == -EEXIST, "rc %d", rc);
    cr_assert_eq(count_tmp(NULL), 0);
    cr_assert_eq(herd_afile_commit(&af), -EBADF);
}

Test(afile, signal_cleanup_unlinks_live_temporaries)
{
    char path[128];
    path_in(path, sizeof path, "killed.json");
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        herd_afile_install_signal_cleanup();
        herd_afile a, b;
        char other[160];
        snprintf(other, sizeof other, "%s.2", path);
        if (!herd_afile_open(&a, path) || !herd_afile_open(&b, other))
            _exit(3);
        fputs("half a report", a.f);
        fflush(a.f);
        raise(SIGTERM);
        _exit(4); /* not reached: the handler re-raises with the default action */
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status), "status %d", status);
    cr_assert_eq(WTERMSIG(status), SIGTERM);
    int all;
    cr_assert_eq(count_tmp(&all), 0);
    cr_assert_eq(all, 0);
}

Test(afile, mkdir_p)
{
    char path[192];
    snprintf(path, sizeof path, "%s/a/b//c/", dir);
    cr_assert_eq(herd_mkdir_p(path), 0);
    cr_assert_eq(herd_mkdir_p(path), 0); /* existing is fine */
    struct stat st;
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    snprintf(path, sizeof path, "%s/file", dir);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path, "%s/file/sub", dir);
    cr_assert_eq(herd_mkdir_p(path), -ENOTDIR);
    cr_assert_eq(herd_mkdir_p(""), -ENOENT);
    snprintf(path, sizeof path, "%s/a/b/c/out.json", dir);
    herd_afile af;
    fputs("{}", herd_afile_open(&af, path));
    cr_assert_eq(herd_afile_commit(&af), 0);
    cr_assert_str_eq(slurp(path), "{}");
    remove(path);
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/a/b", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/a", dir);
    rmdir(path);
}

Test(afile, relative_path)
{
    char cwd[512];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(dir), 0);
    herd_afile af;
    fputs("rel", herd_afile_open(&af, "rel.txt"));
    cr_assert_eq(herd_afile_commit(&af), 0);
    cr_assert_str_eq(slurp("rel.txt"), "rel");
    cr_assert_eq(chdir(cwd), 0);
}
