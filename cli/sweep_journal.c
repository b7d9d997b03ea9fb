/* sweep_journal.c — DIR/runs.jsonl, the sweep's journal (docs/sweeps.md).
 *
 * Line 1 is a header naming the plan (its hash: the scenario's bytes and the overrides of
 * every cell); every further line is one finished run's row, appended in one write(2)
 * and fdatasync'd as the run ends, in whatever order the workers finish. So a sweep that
 * is stopped (Ctrl-C, a crash, a lost node) keeps every run it finished, and the same
 * command continues it: runs with a row are not run again. A kill in the middle of a write
 * can leave a torn last line; opening cuts it off. Rows are read back with jansson (a JSON
 * library, not a parser of our own) and only ever used sorted by (cell, seed). */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include "atomic_file.h"
#include "exitcode.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT_NAME "herd-sweep-runs"
#define FORMAT_VERSION 1

static int fail(char *err, size_t n, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return code;
}

static bool get_u64(json_t *o, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

int herd_sweep_row_parse(const char *line, size_t len, herd_sweep_row *row, char *err, size_t err_len)
{
    memset(row, 0, sizeof *row);
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) return fail(err, err_len, -1, "col %d: %s", je.column, je.text), -1;
    int rc = -1;
    uint64_t cell;
    const char *verdict = json_string_value(json_object_get(o, "verdict"));
    const char *safety = json_string_value(json_object_get(o, "safety"));
    json_t *ttr = json_object_get(o, "time_to_recover_us");
    if (!json_is_object(o) || !get_u64(o, "cell", &cell) || cell > UINT32_MAX || !get_u64(o, "seed", &row->seed) ||
        !verdict || !safety || !json_is_boolean(json_object_get(o, "recovered")) ||
        !(json_is_null(ttr) || json_is_integer(ttr)) || !get_u64(o, "peak_attempts_per_s", &row->peak_attempts_per_s) ||
        !get_u64(o, "attempts", &row->attempts) || !get_u64(o, "wasted_handshakes", &row->wasted) ||
        !get_u64(o, "syn_drops", &row->syn_drops) || !get_u64(o, "events", &row->events)) {
        fail(err, err_len, -1, "not a run row (cell, seed, verdict, recovered, time_to_recover_us, "
                               "peak_attempts_per_s, attempts, wasted_handshakes, syn_drops, safety, events)");
        goto out;
    }
    row->cell = (uint32_t)cell;
    if (!get_u64(o, "live_at_end", &row->live_at_end)) row->live_at_end = UINT64_MAX;
    if (!get_u64(o, "gave_up", &row->gave_up)) row->gave_up = UINT64_MAX;
    row->pass = strcmp(verdict, "pass") == 0;
    row->unsafe = strcmp(safety, "violated") == 0;
    row->recovered = json_is_true(json_object_get(o, "recovered"));
    row->ttr_us = UINT64_MAX;
    if (json_is_integer(ttr) && json_integer_value(ttr) >= 0) row->ttr_us = (uint64_t)json_integer_value(ttr);
    if (!row->recovered) row->ttr_us = UINT64_MAX;
    const char *v = json_string_value(json_object_get(o, "first_violation"));
    if (row->unsafe && v) {
        row->violation = strdup(v);
        if (!row->violation) {
            fail(err, err_len, -1, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static void header_line(const herd_sweep_plan *p, char *buf, size_t n)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, p->hash);
    herd_json w;
    herd_json_init_fixed(&w, buf, n - 1);
    herd_json_obj_begin(&w);
    herd_json_kv_str(&w, "format", FORMAT_NAME);
    herd_json_kv_u64(&w, "version", FORMAT_VERSION);
    herd_json_kv_str(&w, "sweep", p->path);
    herd_json_kv_str(&w, "scenario", p->scenario);
    herd_json_kv_str(&w, "plan", hex);
    herd_json_obj_end(&w);
    if (herd_json_finish(&w) != 0) buf[0] = '\0';
    strcat(buf, "\n");
}

/* Check line 1 against the plan: 0, or 65 with err. */
static int check_header(const herd_sweep_journal *j, const herd_sweep_plan *p, const char *line, size_t len,
                        char *err, size_t err_len)
{
    json_error_t je;
    json_t *h = json_loadb(line, len, 0, &je);
    const char *fmt = json_string_value(json_object_get(h, "format"));
    const char *plan = json_string_value(json_object_get(h, "plan"));
    const char *sweep = json_string_value(json_object_get(h, "sweep"));
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, p->hash);
    int rc = 0;
    if (!fmt || strcmp(fmt, FORMAT_NAME) != 0 || !plan)
        rc = fail(err, err_len, HERD_EXIT_DATAERR, "%s:1:1: not a herd sweep journal (no \"format\":\"%s\" header); "
                  "give another --out", j->path, FORMAT_NAME);
    else if (strcmp(plan, hex) != 0)
        rc = fail(err, err_len, HERD_EXIT_DATAERR, "%s:1:1: these runs are of another sweep (%s, plan %s; this one is "
                  "plan %s: its scenario, set: or axes differ); give another --out, or delete the file to start over",
                  j->path, sweep ? sweep : "?", plan, hex);
    json_decref(h);
    return rc;
}

/* Read the journal: each row's run marked in done (when it is this plan's); a torn last
 * line's offset in *cut (or -1). 0, or 65/70 with err. */
static int scan(herd_sweep_journal *j, const herd_sweep_plan *p, FILE *f, off_t *cut, char *err, size_t err_len)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    off_t at = 0;
    uint64_t lineno = 0;
    int rc = 0;
    char bad[256] = "";
    uint64_t bad_line = 0;
    off_t bad_at = -1;
    *cut = -1;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (bad_line) { /* a malformed line with more after it: not a torn tail */
            rc = fail(err, err_len, HERD_EXIT_DATAERR, "%s:%" PRIu64 ": %s; fix or delete the line, or give another "
                      "--out", j->path, bad_line, bad);
            break;
        }
        bool nl = line[len - 1] == '\n';
        if (lineno == 1) {
            if (!nl) { /* a torn header: start afresh */
                *cut = 0;
                break;
            }
            if ((rc = check_header(j, p, line, (size_t)len, err, err_len)) != 0) break;
            at += len;
            continue;
        }
        herd_sweep_row row;
        char why[200];
        if (!nl || len > HERD_SWEEP_ROW_MAX || herd_sweep_row_parse(line, (size_t)len, &row, why, sizeof why) != 0) {
            if (!nl) snprintf(why, sizeof why, "no end of line");
            snprintf(bad, sizeof bad, "%s", len > HERD_SWEEP_ROW_MAX ? "a line longer than a row can be" : why);
            bad_line = lineno;
            bad_at = at;
            at += len;
            continue;
        }
        free(row.violation);
        if (row.cell < p->ncells && row.seed >= p->seed_from && row.seed - p->seed_from < p->nseeds) {
            uint64_t r = (uint64_t)row.cell * p->nseeds + (row.seed - p->seed_from);
            if (!j->done[r]) j->ndone++;
            j->done[r] = 1;
        }
        at += len;
    }
    if (rc == 0 && bad_line) *cut = bad_at; /* the last line is torn: cut it off */
    if (rc == 0 && ferror(f)) rc = fail(err, err_len, HERD_EXIT_IOERR, "%s: %s", j->path, strerror(errno));
    free(line);
    return rc;
}

int herd_sweep_journal_open(herd_sweep_journal *j, const herd_sweep_plan *p, const char *dir, char *err,
                            size_t err_len)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    int e = herd_mkdir_p(dir);
    if (e != 0) return fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: cannot create %s: %s", dir, strerror(-e));
    if ((size_t)snprintf(j->path, sizeof j->path, "%s/runs.jsonl", dir) >= sizeof j->path)
        return fail(err, err_len, HERD_EXIT_USAGE, "herd sweep: --out path too long");
    j->done = calloc(p->nruns ? p->nruns : 1, 1);
    if (!j->done) return fail(err, err_len, HERD_EXIT_SOFTWARE, "herd sweep: out of memory");
    int fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: cannot open %s: %s", j->path, strerror(errno));
    FILE *f = fdopen(dup(fd), "r");
    if (!f) {
        close(fd);
        return fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: %s: %s", j->path, strerror(errno));
    }
    off_t cut;
    int rc = scan(j, p, f, &cut, err, err_len);
    fclose(f);
    struct stat st;
    if (rc == 0 && cut >= 0 && fstat(fd, &st) == 0) {
        j->torn = (uint64_t)(st.st_size - cut);
        if (ftruncate(fd, cut) != 0) rc = fail(err, err_len, HERD_EXIT_IOERR, "%s: %s", j->path, strerror(errno));
    }
    if (rc == 0 && (fstat(fd, &st) != 0 || st.st_size == 0)) {
        char h[HERD_SWEEP_PATH_MAX * 3];
        header_line(p, h, sizeof h);
        if (write(fd, h, strlen(h)) != (ssize_t)strlen(h) || fdatasync(fd) != 0)
            rc = fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: cannot write %s: %s", j->path, strerror(errno));
    }
    if (rc != 0) {
        close(fd);
        return rc;
    }
    /* appends go to the end whatever the offset */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_APPEND) != 0) {
        close(fd);
        return fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: %s: %s", j->path, strerror(errno));
    }
    j->fd = fd;
    return 0;
}

int herd_sweep_journal_append(herd_sweep_journal *j, const herd_sweep_plan *p, const char *line)
{
    herd_sweep_row row;
    char why[200];
    size_t len = strlen(line);
    if (len + 1 > HERD_SWEEP_ROW_MAX || herd_sweep_row_parse(line, len, &row, why, sizeof why) != 0) {
        fprintf(stderr, "herd sweep: a worker sent a malformed row (%s): %.200s\n", why, line);
        return HERD_EXIT_SOFTWARE;
    }
    free(row.violation);
    char buf[HERD_SWEEP_ROW_MAX + 1];
    memcpy(buf, line, len);
    buf[len] = '\n';
    if (write(j->fd, buf, len + 1) != (ssize_t)(len + 1) || fdatasync(j->fd) != 0) {
        fprintf(stderr, "herd sweep: cannot write %s: %s\n", j->path, strerror(errno));
        return HERD_EXIT_IOERR;
    }
    if (row.cell < p->ncells && row.seed >= p->seed_from && row.seed - p->seed_from < p->nseeds) {
        uint64_t r = (uint64_t)row.cell * p->nseeds + (row.seed - p->seed_from);
        if (!j->done[r]) j->ndone++;
        j->done[r] = 1;
    }
    return 0;
}

void herd_sweep_journal_close(herd_sweep_journal *j)
{
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
    free(j->done);
    j->done = NULL;
}

static int row_cmp(const void *a, const void *b)
{
    const herd_sweep_row *x = a, *y = b;
    if (x->cell != y->cell) return x->cell < y->cell ? -1 : 1;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

int herd_sweep_rows_load(const char *dir, const herd_sweep_plan *p, herd_sweep_row **rows, uint64_t *nrows, char *err,
                         size_t err_len)
{
    *rows = NULL;
    *nrows = 0;
    char path[HERD_SWEEP_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/runs.jsonl", dir);
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, err_len, HERD_EXIT_IOERR, "herd sweep: cannot read %s: %s", path, strerror(errno));
    herd_sweep_row *v = calloc(p->nruns ? p->nruns : 1, sizeof *v);
    uint8_t *seen = calloc(p->nruns ? p->nruns : 1, 1);
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    uint64_t lineno = 0;
    int rc = v && seen ? 0 : fail(err, err_len, HERD_EXIT_SOFTWARE, "herd sweep: out of memory");
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        if (++lineno == 1) continue;
        herd_sweep_row row;
        char why[200];
        if (herd_sweep_row_parse(line, (size_t)len, &row, why, sizeof why) != 0) {
            rc = fail(err, err_len, HERD_EXIT_DATAERR, "%s:%" PRIu64 ": %s", path, lineno, why);
            break;
        }
        if (row.cell >= p->ncells || row.seed < p->seed_from || row.seed - p->seed_from >= p->nseeds) {
            free(row.violation); /* a seed outside this run's range: kept in the file, not counted */
            continue;
        }
        uint64_t r = (uint64_t)row.cell * p->nseeds + (row.seed - p->seed_from);
        if (seen[r]) { /* the same run twice (two sweeps on one DIR): deterministic, keep one */
            free(row.violation);
            continue;
        }
        seen[r] = 1;
        v[n++] = row;
    }
    free(line);
    free(seen);
    fclose(f);
    if (rc != 0) {
        herd_sweep_rows_free(v, n);
        return rc;
    }
    qsort(v, n, sizeof *v, row_cmp);
    *rows = v;
    *nrows = n;
    return 0;
}

void herd_sweep_rows_free(herd_sweep_row *rows, uint64_t nrows)
{
    for (uint64_t i = 0; rows && i < nrows; i++) free(rows[i].violation);
    free(rows);
}
