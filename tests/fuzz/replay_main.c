/* replay_main.c — runs a libFuzzer harness over files without libFuzzer.
 *
 * Linked with each fuzz_<name>.c into fuzz_<name>_replay: every argument is a file or a
 * directory of files (taken in name order, so a run is reproducible), and each file is
 * fed once to LLVMFuzzerTestOneInput. A harness reports a bug by aborting, so reaching
 * the end is a pass. A missing directory is skipped: git keeps no empty regress/<name>/. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (1u << 20) /* bytes: libFuzzer's default -max_len is far below */

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *buf = malloc(INPUT_MAX);
    size_t n = buf ? fread(buf, 1, INPUT_MAX, f) : 0;
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return -1;
    }
    /* An exact-size copy, so ASan sees a read past the input as one. */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) {
        free(buf);
        return -1;
    }
    memcpy(copy, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Returns the number of inputs run, or -1. */
static int run_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) return errno == ENOENT ? 0 : -1;
    int ran = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            ran += run_file(path) == 0 ? 1 : 0;
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    int total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int ran = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? run_dir(argv[i])
                  : stat(argv[i], &st) == 0                      ? (run_file(argv[i]) == 0)
                                                                 : 0;
        if (ran < 0) {
            fprintf(stderr, "%s: cannot list\n", argv[i]);
            return 1;
        }
        total += ran;
    }
    printf("%s: %d inputs replayed, none crashed\n", argc > 0 ? argv[0] : "replay", total);
    return 0;
}
