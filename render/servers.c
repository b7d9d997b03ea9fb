/* servers.c — reads a run directory's servers.csv (one row per server per metrics
 * interval: t_s, server, then one column per metric; docs/trace-format.md) into a
 * herd_servers for the report's per-server heat strip.
 *
 * The strip has at most HERD_SERVERS_COLS_MAX time columns: a longer run is folded into
 * equal columns of intervals_per_col intervals, each holding the largest value of its
 * intervals, so a peak on one server survives. Two passes over the text: the first counts the intervals
 * and finds the largest server id (so the arrays are allocated once, bounded by
 * HERD_SERVERS_MAX x HERD_SERVERS_COLS_MAX x HERD_SERVERS_METRICS_MAX), the second folds
 * the values in. Counters (every column but the gauges up, accept_queue and sessions)
 * become per-second rates, as in the timeline. Missing file: no strip, no error. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "render.h"

#include "exitcode.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SERVERS_BYTES_MAX ((size_t)1 << 31)
#define FIELDS_MAX (HERD_SERVERS_METRICS_MAX + 2)

static bool is_gauge(const char *name)
{
    return !strcmp(name, "up") || !strcmp(name, "accept_queue") || !strcmp(name, "sessions");
}

static size_t split(char *line, char **field, size_t max)
{
    size_t n = 0;
    for (char *p = line; n < max;) { /* at most max fields */
        field[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static bool number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && !errno && isfinite(*v);
}

/* Pass one: intervals (distinct t_s in order) and the largest server id. */
static int count(const char *text, size_t *times, unsigned *servers, const char *path, char *err, size_t err_len)
{
    double last_t = -1;
    size_t lineno = 0;
    *times = 0;
    *servers = 0;
    for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        if (++lineno == 1) continue;
        double t, id;
        char buf[64];
        size_t n = strcspn(p, ",\n");
        snprintf(buf, sizeof buf, "%.*s", (int)(n < 63 ? n : 63), p);
        if (!number(buf, &t)) break; /* pass two reports the bad line */
        const char *q = p + n + (p[n] == ',');
        n = strcspn(q, ",\n");
        snprintf(buf, sizeof buf, "%.*s", (int)(n < 63 ? n : 63), q);
        if (!number(buf, &id) || id < 0 || id >= HERD_SERVERS_MAX || id != floor(id)) {
            snprintf(err, err_len, "%s:%zu: server '%s' is not an id below %d", path, lineno, buf, HERD_SERVERS_MAX);
            return HERD_EXIT_DATAERR;
        }
        if (t != last_t) (*times)++, last_t = t;
        if ((unsigned)id + 1 > *servers) *servers = (unsigned)id + 1;
    }
    return 0;
}

static int header(herd_servers *s, char *line, const char *path, char *err, size_t err_len)
{
    char *field[FIELDS_MAX + 1];
    size_t n = split(line, field, FIELDS_MAX + 1);
    if (n < 3 || strcmp(field[0], "t_s") || strcmp(field[1], "server")) {
        snprintf(err, err_len, "%s:1: the header must start t_s,server and name at least one metric", path);
        return HERD_EXIT_DATAERR;
    }
    if (n > FIELDS_MAX) {
        snprintf(err, err_len, "%s:1: more than %d metrics", path, HERD_SERVERS_METRICS_MAX);
        return HERD_EXIT_DATAERR;
    }
    s->metric_count = (unsigned)(n - 2);
    for (unsigned m = 0; m < s->metric_count; m++) {
        snprintf(s->metric[m], sizeof s->metric[m], "%s", field[m + 2]);
        s->rate[m] = !is_gauge(s->metric[m]);
    }
    return 0;
}

static int alloc(herd_servers *s, const char *path, char *err, size_t err_len)
{
    size_t cells = (size_t)s->server_count * s->cols;
    s->t = calloc(s->cols, sizeof *s->t);
    for (unsigned m = 0; m < s->metric_count; m++) {
        s->v[m] = malloc(cells * sizeof *s->v[m]);
        if (!s->v[m]) break;
        for (size_t i = 0; i < cells; i++) s->v[m][i] = 0;
    }
    if (!s->t || (s->metric_count && !s->v[s->metric_count - 1])) {
        snprintf(err, err_len, "%s: out of memory", path);
        return HERD_EXIT_SOFTWARE;
    }
    return 0;
}

/* Pass two: each row's values, per second for counters, folded into its column's max. */
static int fold(herd_servers *s, char *text, size_t times, const char *path, char *err, size_t err_len)
{
    char *save = NULL, *field[FIELDS_MAX + 1];
    size_t lineno = 0, interval = 0;
    double last_t = -1, dt = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (++lineno == 1) continue;
        line[strcspn(line, "\r")] = '\0';
        size_t n = split(line, field, FIELDS_MAX + 1);
        double t, id, v;
        if (n != s->metric_count + 2 || !number(field[0], &t) || !number(field[1], &id) || id < 0 ||
            id >= s->server_count) {
            snprintf(err, err_len, "%s:%zu: expected t_s, server and %u numbers", path, lineno, s->metric_count);
            return HERD_EXIT_DATAERR;
        }
        if (t != last_t) {
            if (last_t >= 0 && t < last_t) {
                snprintf(err, err_len, "%s:%zu: t_s goes back (%g after %g)", path, lineno, t, last_t);
                return HERD_EXIT_DATAERR;
            }
            dt = last_t >= 0 ? t - last_t : t;
            interval += last_t >= 0;
            last_t = t;
        }
        if (interval >= times) { /* pass one counted them: only a changed file gets here */
            snprintf(err, err_len, "%s:%zu: more intervals than on the first reading", path, lineno);
            return HERD_EXIT_DATAERR;
        }
        size_t col = interval / s->intervals_per_col; /* < cols: cols * per >= times */
        s->t[col] = t;
        for (unsigned m = 0; m < s->metric_count; m++) {
            if (!number(field[m + 2], &v)) {
                snprintf(err, err_len, "%s:%zu: %s '%s' is not a number", path, lineno, s->metric[m], field[m + 2]);
                return HERD_EXIT_DATAERR;
            }
            if (s->rate[m] && dt > 0) v /= dt;
            float *cell = &s->v[m][(size_t)id * s->cols + col];
            if (v > *cell) *cell = (float)v;
        }
    }
    return 0;
}

int herd_servers_load(herd_servers **out, const char *dir, char *err, size_t err_len)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/servers.csv", dir);
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 0 : (snprintf(err, err_len, "%s: %s", path, strerror(errno)), HERD_EXIT_IOERR);
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    if (fstat(fileno(f), &st) == 0 && (size_t)st.st_size < SERVERS_BYTES_MAX) text = malloc((size_t)st.st_size + 1);
    if (text) len = fread(text, 1, (size_t)st.st_size, f);
    fclose(f);
    if (!text) {
        snprintf(err, err_len, "%s: too large or out of memory", path);
        return HERD_EXIT_DATAERR;
    }
    text[len] = '\0';
    herd_servers *s = calloc(1, sizeof *s);
    size_t times = 0;
    int rc = s ? count(text, &times, &s->server_count, path, err, err_len) : HERD_EXIT_SOFTWARE;
    char *nl = strchr(text, '\n');
    if (rc == 0 && (!nl || times == 0)) rc = (snprintf(err, err_len, "%s: no rows", path), HERD_EXIT_DATAERR);
    if (rc == 0) { /* the header, copied: fold() reads the text whole */
        char head[FIELDS_MAX * 40];
        size_t n = (size_t)(nl - text);
        snprintf(head, sizeof head, "%.*s", (int)(n < sizeof head ? n : sizeof head - 1), text);
        head[strcspn(head, "\r")] = '\0';
        rc = header(s, head, path, err, err_len);
    }
    if (rc == 0) {
        /* equal columns of per intervals each (the last may hold fewer) */
        s->intervals_per_col = (unsigned)((times + HERD_SERVERS_COLS_MAX - 1) / HERD_SERVERS_COLS_MAX);
        s->cols = (times + s->intervals_per_col - 1) / s->intervals_per_col;
        rc = alloc(s, path, err, err_len);
    }
    if (rc == 0) rc = fold(s, text, times, path, err, err_len);
    free(text);
    if (rc) {
        herd_servers_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void herd_servers_free(herd_servers *s)
{
    if (!s) return;
    free(s->t);
    for (unsigned m = 0; m < HERD_SERVERS_METRICS_MAX; m++) free(s->v[m]);
    free(s);
}
