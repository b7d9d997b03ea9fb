/* checkpoint.c — saving and loading a search at the end of a level (see checkpoint.h).
 * Data files are streamed through a 1 MiB buffer and hashed with XXH3-64 on the way, so a
 * checkpoint of a billion-state search (gigabytes) costs one sequential pass each way.
 * A table entry is 16 bytes: the key's two words, the flags in the low bits of the second
 * (below the table's key bits, which meta records: a table of another width is refused). */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "checkpoint.h"

#include "atomic_file.h"
#include "version.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define CKPT_FORMAT 3 /* 2: budget-separable fingerprints (fphash.h); 3: 80-bit keys */
#define ENTRY_BYTES 16u /* a table entry: the key's hi, then its lo with the flags in its low 3 bits */
#define COPY_BUF ((size_t)1 << 20)
#define PATH_MAX_CKPT 4096
#define META_MAX 4096

enum { F_TABLE, F_LEVEL, F_PARENTS, F_COUNT };
static const char *const file_name[F_COUNT] = {"table", "level", "parents"};

typedef struct finfo {
    uint64_t bytes, hash;
} finfo;

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static void data_path(char *out, size_t n, const char *dir, int f, uint64_t gen)
{
    snprintf(out, n, "%s/%s.%" PRIu64, dir, file_name[f], gen);
}

/* The value after "key " on meta's line for key, or NULL. */
static const char *meta_get(const char *meta, const char *key)
{
    size_t k = strlen(key);
    for (const char *l = meta; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, key, k) == 0 && l[k] == ' ') return l + k + 1;
    return NULL;
}

static bool meta_u64(const char *meta, const char *key, uint64_t *v)
{
    const char *s = meta_get(meta, key);
    return s && sscanf(s, "%" SCNu64, v) == 1;
}

static bool meta_hex(const char *meta, const char *key, uint64_t *v)
{
    const char *s = meta_get(meta, key);
    return s && sscanf(s, "%" SCNx64, v) == 1;
}

static bool meta_double(const char *meta, const char *key, double *v)
{
    const char *s = meta_get(meta, key);
    char *end;
    if (s == NULL) return false;
    *v = strtod(s, &end);
    return end != s;
}

static bool meta_file(const char *meta, int f, finfo *fi)
{
    char key[32];
    snprintf(key, sizeof key, "file.%s", file_name[f]);
    const char *s = meta_get(meta, key);
    return s && sscanf(s, "%" SCNu64 " %" SCNx64, &fi->bytes, &fi->hash) == 2;
}

/* The whole meta file into buf (NUL-terminated); false when absent or too long. */
static bool meta_read(const char *dir, char *buf, size_t size)
{
    char path[PATH_MAX_CKPT];
    snprintf(path, sizeof path, "%s/meta", dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return false;
    size_t n = fread(buf, 1, size - 1u, f);
    bool ok = !ferror(f) && n < size - 1u;
    fclose(f);
    buf[n] = 0;
    return ok;
}

static int sync_close(FILE *f)
{
    int rc = fflush(f) != 0 || fsync(fileno(f)) != 0 ? -1 : 0;
    return fclose(f) != 0 ? -1 : rc;
}

/* Copy the first `bytes` bytes of src to path, hashing them; src is left at its end. */
static int copy_out(FILE *src, uint64_t bytes, const char *path, finfo *fi, unsigned char *buf, XXH3_state_t *h)
{
    if (fflush(src) != 0 || fseeko(src, 0, SEEK_SET) != 0) return -1;
    FILE *dst = fopen(path, "wb");
    if (dst == NULL) return -1;
    XXH3_64bits_reset(h);
    int rc = 0;
    for (uint64_t left = bytes; left > 0 && rc == 0;) {
        size_t k = left < COPY_BUF ? (size_t)left : COPY_BUF;
        if (fread(buf, 1, k, src) != k || fwrite(buf, 1, k, dst) != k) rc = -1;
        XXH3_64bits_update(h, buf, k);
        left -= k;
    }
    fi->bytes = bytes;
    fi->hash = XXH3_64bits_digest(h);
    if (sync_close(dst) != 0) rc = -1;
    if (fseeko(src, 0, SEEK_END) != 0) rc = -1;
    return rc;
}

/* The table's entries, in the table's order. */
static int table_out(const hm_fpset *t, const char *path, finfo *fi, unsigned char *buf, XXH3_state_t *h)
{
    FILE *dst = fopen(path, "wb");
    if (dst == NULL) return -1;
    XXH3_64bits_reset(h);
    size_t per = COPY_BUF / ENTRY_BYTES, n = 0;
    uint64_t bytes = 0;
    int rc = 0;
    uint64_t pos = 0;
    hm_key key;
    uint32_t flags;
    while (rc == 0 && hm_fpset_next(t, &pos, &key, &flags)) {
        uint64_t w[2] = {key.hi, key.lo | flags};
        memcpy(buf + n * ENTRY_BYTES, w, ENTRY_BYTES);
        n++;
        if (n == per) {
            size_t k = n * ENTRY_BYTES;
            if (fwrite(buf, 1, k, dst) != k) rc = -1;
            XXH3_64bits_update(h, buf, k);
            bytes += k;
            n = 0;
        }
    }
    if (n > 0 && rc == 0) {
        size_t k = n * ENTRY_BYTES;
        if (fwrite(buf, 1, k, dst) != k) rc = -1;
        XXH3_64bits_update(h, buf, k);
        bytes += k;
    }
    fi->bytes = bytes;
    fi->hash = XXH3_64bits_digest(h);
    return sync_close(dst) != 0 ? -1 : rc;
}

int hm_ckpt_save(const char *dir, const hm_ckpt *c, const hm_fpset *table, FILE *level, FILE *parents,
                 char *why, size_t why_size)
{
    int e = herd_mkdir_p(dir);
    if (e != 0) return fail(why, why_size, "cannot create the checkpoint directory %s: %s", dir, strerror(-e));
    char meta[META_MAX];
    uint64_t old = 0;
    if (meta_read(dir, meta, sizeof meta) && !meta_u64(meta, "generation", &old)) old = 0;
    uint64_t gen = old + 1u;
    unsigned char *buf = malloc(COPY_BUF);
    XXH3_state_t *h = XXH3_createState();
    if (buf == NULL || h == NULL) {
        free(buf);
        XXH3_freeState(h);
        return fail(why, why_size, "out of memory (checkpoint buffers)");
    }
    finfo fi[F_COUNT];
    char path[PATH_MAX_CKPT];
    int rc = 0;
    for (int f = 0; f < F_COUNT && rc == 0; f++) {
        data_path(path, sizeof path, dir, f, gen);
        rc = f == F_TABLE ? table_out(table, path, &fi[f], buf, h)
           : f == F_LEVEL ? copy_out(level, c->level_bytes, path, &fi[f], buf, h)
                          : copy_out(parents, c->n_parents * HM_PARENT_BYTES, path, &fi[f], buf, h);
        if (rc != 0) rc = fail(why, why_size, "cannot write %s: %s", path, strerror(errno));
    }
    free(buf);
    XXH3_freeState(h);
    if (rc != 0) return rc;

    herd_afile af;
    snprintf(path, sizeof path, "%s/meta", dir);
    FILE *m = herd_afile_open(&af, path);
    if (m == NULL) return fail(why, why_size, "cannot write %s: %s", path, strerror(errno));
    fprintf(m, "herd-checkpoint %d\nherd %s\ngeneration %" PRIu64 "\nmodel %016" PRIx64 "\ninit %016" PRIx64
               "\nhash_seed %" PRIu64 "\nkey_bits %" PRIu32 "\noptions %" PRIu32 "\ndepth %" PRIu32 "\n",
            CKPT_FORMAT, herd_version(), gen, c->model_id, c->init_fp, c->hash_seed, table->kbits, c->options,
            c->depth);
    fprintf(m, "states %" PRIu64 "\ntransitions %" PRIu64 "\nlive_steps %" PRIu64 "\nreduced %" PRIu64
               "\nproviso %" PRIu64 "\nsubsumed %" PRIu64 "\nfrontier_peak %" PRIu64 "\nparents %" PRIu64
               "\nlevel_n %" PRIu64 "\nlevel_bytes %" PRIu64 "\nlevel_first %" PRIu64 "\ntable_count %" PRIu64 "\n",
            c->states, c->transitions, c->live_steps, c->reduced, c->proviso, c->subsumed, c->frontier_peak,
            c->n_parents, c->level_n, c->level_bytes, c->level_first, table->count);
    fprintf(m, "enc_total %a\nseconds %a\n", c->enc_total, c->seconds);
    for (int f = 0; f < F_COUNT; f++)
        fprintf(m, "file.%s %" PRIu64 " %016" PRIx64 "\n", file_name[f], fi[f].bytes, fi[f].hash);
    if (ferror(m) || herd_afile_commit(&af) != 0) {
        herd_afile_abort(&af);
        return fail(why, why_size, "cannot write %s: %s", path, strerror(errno));
    }
    if (old > 0)
        for (int f = 0; f < F_COUNT; f++) {
            data_path(path, sizeof path, dir, f, old);
            unlink(path); /* a leftover costs disk, not correctness: meta names the generation */
        }
    return 0;
}

/* Stream path (which must hold fi->bytes bytes hashing to fi->hash) into out, or into
 * the table when out is NULL. */
static int load_file(const char *path, const finfo *fi, FILE *out, hm_fpset *table, unsigned char *buf,
                     XXH3_state_t *h, char *why, size_t why_size)
{
    FILE *src = fopen(path, "rb");
    if (src == NULL) return fail(why, why_size, "cannot read %s: %s", path, strerror(errno));
    XXH3_64bits_reset(h);
    int rc = 0;
    uint64_t left = fi->bytes;
    if (out == NULL && fi->bytes % ENTRY_BYTES != 0)
        rc = fail(why, why_size, "%s: %" PRIu64 " bytes is not a whole number of %u-byte keys", path, fi->bytes,
                  ENTRY_BYTES);
    while (left > 0 && rc == 0) {
        size_t k = left < COPY_BUF ? (size_t)left : COPY_BUF;
        if (fread(buf, 1, k, src) != k) {
            rc = fail(why, why_size, "%s: shorter than the %" PRIu64 " bytes its meta gives", path, fi->bytes);
            break;
        }
        XXH3_64bits_update(h, buf, k);
        left -= k;
        if (out != NULL) {
            if (fwrite(buf, 1, k, out) != k) rc = fail(why, why_size, "cannot copy %s: %s", path, strerror(errno));
            continue;
        }
        for (size_t i = 0; i < k / ENTRY_BYTES && rc == 0; i++) {
            uint64_t w[2];
            memcpy(w, buf + i * ENTRY_BYTES, ENTRY_BYTES);
            int put = hm_fpset_restore(table, (hm_key){w[0], w[1] & ~(uint64_t)HM_FP_FLAGS}, (uint32_t)(w[1] & HM_FP_FLAGS));
            if (put < 0)
                rc = fail(why, why_size, "the checkpoint's %" PRIu64 " keys do not fit the table: raise --max-memory",
                          fi->bytes / ENTRY_BYTES);
            else if (put > 0)
                rc = fail(why, why_size, "%s: a key appears twice (a corrupt checkpoint)", path);
        }
    }
    if (rc == 0 && fgetc(src) != EOF)
        rc = fail(why, why_size, "%s: longer than the %" PRIu64 " bytes its meta gives", path, fi->bytes);
    if (rc == 0 && XXH3_64bits_digest(h) != fi->hash)
        rc = fail(why, why_size, "%s: its hash does not match meta (a torn or altered checkpoint)", path);
    fclose(src);
    return rc;
}

int hm_ckpt_load(const char *dir, const hm_ckpt *want, hm_ckpt *c, hm_fpset *table, FILE *level, FILE *parents,
                 char *why, size_t why_size)
{
    char meta[META_MAX];
    errno = 0; /* meta_read leaves fopen's errno, or 0 when the file is too long */
    if (!meta_read(dir, meta, sizeof meta))
        return fail(why, why_size, "%s/meta: cannot read it (%s): not a checkpoint directory?", dir,
                    errno ? strerror(errno) : "too long");
    uint64_t format = 0, gen = 0, count = 0;
    char version[64] = "";
    const char *v = meta_get(meta, "herd");
    if (v) sscanf(v, "%63s", version);
    memset(c, 0, sizeof *c);
    uint64_t options = 0, depth = 0;
    finfo fi[F_COUNT];
    bool ok = strncmp(meta, "herd-checkpoint ", 16) == 0 && sscanf(meta + 16, "%" SCNu64, &format) == 1 &&
              meta_u64(meta, "generation", &gen) && meta_hex(meta, "model", &c->model_id) &&
              meta_hex(meta, "init", &c->init_fp) && meta_u64(meta, "options", &options) &&
              meta_u64(meta, "depth", &depth) && meta_u64(meta, "states", &c->states) &&
              meta_u64(meta, "transitions", &c->transitions) && meta_u64(meta, "live_steps", &c->live_steps) &&
              meta_u64(meta, "reduced", &c->reduced) && meta_u64(meta, "proviso", &c->proviso) &&
              meta_u64(meta, "subsumed", &c->subsumed) && meta_u64(meta, "frontier_peak", &c->frontier_peak) &&
              meta_u64(meta, "parents", &c->n_parents) && meta_u64(meta, "level_n", &c->level_n) &&
              meta_u64(meta, "level_bytes", &c->level_bytes) && meta_u64(meta, "level_first", &c->level_first) &&
              meta_u64(meta, "table_count", &count) && meta_double(meta, "enc_total", &c->enc_total) &&
              meta_double(meta, "seconds", &c->seconds) && meta_file(meta, F_TABLE, &fi[F_TABLE]) &&
              meta_file(meta, F_LEVEL, &fi[F_LEVEL]) && meta_file(meta, F_PARENTS, &fi[F_PARENTS]);
    if (!ok) return fail(why, why_size, "%s/meta: not a herd checkpoint, or a key is missing", dir);
    if (format < CKPT_FORMAT)
        return fail(why, why_size, "%s/meta: checkpoint format %" PRIu64 ", written by an older herd with 64-bit "
                    "fingerprints; this herd keeps 80-bit keys (format %d) and cannot resume it: start the search "
                    "again without --resume", dir, format, CKPT_FORMAT);
    if (format != CKPT_FORMAT)
        return fail(why, why_size, "%s/meta: checkpoint format %" PRIu64 ", this herd reads %d (a newer herd wrote it)",
                    dir, format, CKPT_FORMAT);
    if (strcmp(version, herd_version()) != 0)
        return fail(why, why_size, "%s: written by herd %s, this is herd %s (the search's encoding may differ)", dir,
                    version, herd_version());
    c->options = (uint32_t)options;
    c->depth = (uint32_t)depth;
    if (meta_get(meta, "hash_seed") != NULL && !meta_u64(meta, "hash_seed", &c->hash_seed))
        return fail(why, why_size, "%s/meta: hash_seed is not a whole number", dir);
    uint64_t key_bits = 0;
    if (!meta_u64(meta, "key_bits", &key_bits))
        return fail(why, why_size, "%s/meta: no key_bits line (a format %d checkpoint has one)", dir, CKPT_FORMAT);
    if (key_bits != table->kbits)
        return fail(why, why_size, "%s: its keys have %" PRIu64 " bits, this search's %u; start the search again",
                    dir, key_bits, table->kbits);
    if (c->model_id != want->model_id)
        return fail(why, why_size, "%s: the checkpoint is of another model file (or the file changed since)", dir);
    if (c->options != want->options)
        return fail(why, why_size, "%s: written with other options (symmetry, por, subsumption, liveness: %u, now %u); "
                    "resume with the same ones", dir, c->options, want->options);
    if (c->hash_seed != want->hash_seed)
        return fail(why, why_size, "%s: written with --hash-seed %" PRIu64 ", now %" PRIu64 "; resume with the same one",
                    dir, c->hash_seed, want->hash_seed);
    if (c->init_fp != want->init_fp)
        return fail(why, why_size, "%s: the model's initial state encodes differently (another herd build?)", dir);
    if (fi[F_PARENTS].bytes != c->n_parents * HM_PARENT_BYTES || fi[F_LEVEL].bytes != c->level_bytes ||
        fi[F_TABLE].bytes != count * ENTRY_BYTES)
        return fail(why, why_size, "%s/meta: the file sizes disagree with the counts", dir);
    unsigned char *buf = malloc(COPY_BUF);
    XXH3_state_t *h = XXH3_createState();
    int rc = buf && h ? 0 : fail(why, why_size, "out of memory (checkpoint buffers)");
    char path[PATH_MAX_CKPT];
    for (int f = 0; f < F_COUNT && rc == 0; f++) {
        data_path(path, sizeof path, dir, f, gen);
        rc = load_file(path, &fi[f], f == F_TABLE ? NULL : f == F_LEVEL ? level : parents, table, buf, h, why,
                       why_size);
    }
    free(buf);
    XXH3_freeState(h);
    if (rc == 0 && (fflush(level) != 0 || fflush(parents) != 0))
        rc = fail(why, why_size, "cannot copy the checkpoint to temporary files: %s", strerror(errno));
    return rc;
}
