/* cmd_render.c — the `herd render` subcommand: parses the command line, picks the output,
 * and writes it whole or not at all.
 *
 *   herd render RUN_DIR --out report.html            the report of one run (interactive)
 *   herd render RUN_DIR --static --out report.html   the same with the static SVG timeline
 *   herd render RUN_A RUN_B ... --out compare.html   runs overlaid on the same axes
 *   herd render RUN_DIR... --format svg --out t.svg  the timeline alone, standalone SVG
 *   herd render TRACE --format dot|svg|perfetto [--out FILE]
 *   herd render --states DIR                         state diagrams of the core machines
 *
 * Every output is built in memory first (render.h), then written through
 * lib/atomic_file.h; without --out it goes to stdout. svg runs Graphviz's `dot -Tsvg` on
 * the chart's dot text and collects its output before writing it the same way. Exit status:
 * 0, 64 usage, 65 missing or malformed input, 70 internal (dot missing or failing), 74 I/O. */
#define _POSIX_C_SOURCE 200809L /* fileno, strtok_r, isatty */
#include "atomic_file.h"
#include "exitcode.h"
#include "render.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS_MAX 8

typedef struct render_args {
    const char *inputs[RUNS_MAX];
    size_t n;
    const char *out;
    const char *format; /* html, dot, svg, perfetto */
    const char *states; /* --states DIR */
    bool static_only;   /* --static: the HTML report with the SVG timeline, no scripts */
} render_args;

/* Every flag parse() accepts (tests/cli_help.sh checks each is in help()). */
static const char *const render_flags[] = {"--out", "-o", "--format", "--states", "--static", "--help", "-h", NULL};

#define RENDER_SYNOPSIS                                                                  \
    "usage: herd render RUN_DIR [RUN_DIR...] [--format html|svg] [--static] [--out FILE]\n" \
    "       herd render TRACE [--format dot|svg|perfetto] [--out FILE]\n"                \
    "       herd render --states DIR\n"

static void usage(FILE *f)
{
    fputs(RENDER_SYNOPSIS "'herd render --help' explains each flag.\n", f);
}

static void help(FILE *f)
{
    fprintf(f,
            RENDER_SYNOPSIS
            "\n"
            "Draw what herd wrote. RUN_DIR is a directory written by 'herd run --out': one gives an\n"
            "HTML report, several (up to %d) are overlaid on the same axes for comparison. TRACE is\n"
            "a trace file (docs/trace-format.md), e.g. a counterexample from 'herd check --out',\n"
            "drawn as a message-sequence chart or as Chrome trace-event JSON for ui.perfetto.dev.\n"
            "Every output is built in memory, then written whole or not at all. How to read the\n"
            "charts: docs/rendering.md.\n"
            "\n"
            "The HTML report's timeline is interactive (uPlot, inlined: crosshair with every\n"
            "panel's values, drag to zoom, double-click to reset, fault lanes, violation markers,\n"
            "a per-server heat strip); it needs no network.\n"
            "\n"
            "options:\n"
            "  -o, --out FILE     write the output to FILE (default: stdout)\n"
            "  --format FORMAT    html (default for a RUN_DIR): the report or the comparison;\n"
            "                     svg: a RUN_DIR's timeline alone, or a TRACE's chart through\n"
            "                     Graphviz's dot; dot (default for a TRACE): the chart as dot text;\n"
            "                     perfetto: a TRACE as Chrome trace-event JSON\n"
            "  --static           html: the report with the static SVG timeline and no scripts at\n"
            "                     all (for papers, docs and mail that strips scripts)\n"
            "  --states DIR       write the core machines' state diagrams (client, session) as\n"
            "                     .dot and .svg files into DIR\n"
            "  -h, --help         print this help and exit 0\n"
            "\n"
            "exit status:\n"
            "  0   written\n"
            "  64  bad command line\n"
            "  65  missing or malformed input (not a run directory, a bad trace line)\n"
            "  70  internal error (Graphviz's dot missing or failing, for svg)\n"
            "  74  I/O error (the output cannot be written)\n"
            "\n"
            "examples:\n"
            "  herd run traces/scenarios/restart-article-jitter.yaml --out out/jitter\n"
            "  herd render out/jitter --out report.html\n"
            "  herd check traces/models/dedup-none.yaml --out out\n"
            "  herd render out/dedup-none.trace.jsonl --format svg --out dedup-none.svg\n",
            RUNS_MAX);
}

static int parse(int argc, char **argv, render_args *a)
{
    *a = (render_args){0};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool has_value = i + 1 < argc;
        if ((strcmp(s, "--out") == 0 || strcmp(s, "-o") == 0) && has_value) a->out = argv[++i];
        else if (strcmp(s, "--format") == 0 && has_value) a->format = argv[++i];
        else if (strcmp(s, "--states") == 0 && has_value) a->states = argv[++i];
        else if (strcmp(s, "--static") == 0) a->static_only = true;
        else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) return -1;
        else if (strcmp(s, "--out") == 0 || strcmp(s, "-o") == 0 || strcmp(s, "--format") == 0 ||
                 strcmp(s, "--states") == 0) {
            fprintf(stderr, "herd render: %s needs a value\n", s);
            usage(stderr);
            return HERD_EXIT_USAGE;
        } else if (s[0] == '-' && s[1] != '\0') {
            herd_cli_unknown_option("render", s, render_flags);
            usage(stderr);
            return HERD_EXIT_USAGE;
        } else if (a->n >= RUNS_MAX) {
            fprintf(stderr, "herd render: at most %d inputs\n", RUNS_MAX);
            return HERD_EXIT_USAGE;
        } else a->inputs[a->n++] = s;
    }
    if (!a->states && a->n == 0) {
        usage(stderr);
        return HERD_EXIT_USAGE;
    }
    if (a->format && strcmp(a->format, "html") && strcmp(a->format, "dot") && strcmp(a->format, "svg") &&
        strcmp(a->format, "perfetto")) {
        fprintf(stderr, "herd render: unknown format '%s' (html, dot, svg, perfetto)\n", a->format);
        return HERD_EXIT_USAGE;
    }
    return 0;
}

/* Run `dot -Tsvg` on text, its output into svg. dot reads its whole input before it
 * writes anything, so writing all of it and then reading cannot deadlock. */
static int run_dot(const herd_sbuf *text, herd_sbuf *svg)
{
    int in[2], out[2];
    if (pipe(in) != 0) return HERD_EXIT_IOERR;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return HERD_EXIT_IOERR;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return HERD_EXIT_SOFTWARE;
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execlp("dot", "dot", "-Tsvg", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    size_t off = 0;
    while (off < text->len) { /* each write makes progress or fails */
        ssize_t w = write(in[1], text->p + off, text->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(in[1]);
    char buf[65536];
    for (;;) { /* until dot closes its output */
        ssize_t r = read(out[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        herd_sbuf_putn(svg, buf, (size_t)r);
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        fprintf(stderr, "herd render: Graphviz 'dot' not found (install the graphviz package)\n");
        return HERD_EXIT_SOFTWARE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || off < text->len || svg->error) {
        fprintf(stderr, "herd render: 'dot -Tsvg' failed (status %d)\n", status);
        return HERD_EXIT_SOFTWARE;
    }
    return 0;
}

static int write_out(const herd_sbuf *b, const char *path);

/* Write the buffer, or (svg) dot's rendering of it, to path; NULL: stdout. */
static int emit(const herd_sbuf *b, const char *path, bool svg)
{
    if (b->error) {
        fprintf(stderr, "herd render: out of memory\n");
        return HERD_EXIT_SOFTWARE;
    }
    if (!svg) return write_out(b, path);
    herd_sbuf out;
    herd_sbuf_init(&out);
    int rc = run_dot(b, &out);
    if (rc == 0) rc = write_out(&out, path);
    herd_sbuf_free(&out);
    return rc;
}

/* The buffer to path, whole or not at all (lib/atomic_file.h); NULL: stdout. */
static int write_out(const herd_sbuf *b, const char *path)
{
    if (!path)
        return fwrite(b->p ? b->p : "", 1, b->len, stdout) == b->len && fflush(stdout) == 0 ? 0 : HERD_EXIT_IOERR;
    herd_afile af;
    FILE *f = herd_afile_open(&af, path);
    if (!f) {
        fprintf(stderr, "herd render: %s: %s\n", path, strerror(errno));
        return HERD_EXIT_IOERR;
    }
    if (fwrite(b->p ? b->p : "", 1, b->len, f) != b->len) {
        fprintf(stderr, "herd render: %s: write failed\n", path);
        herd_afile_abort(&af);
        return HERD_EXIT_IOERR;
    }
    int c = herd_afile_commit(&af);
    if (c != 0) {
        fprintf(stderr, "herd render: %s: %s\n", path, strerror(-c));
        return HERD_EXIT_IOERR;
    }
    return 0;
}

/* html: the report; svg: the timeline alone, a standalone SVG file (for docs, issues). */
static int render_runs(const render_args *a, bool svg)
{
    static herd_run runs[RUNS_MAX]; /* large: kept off the stack */
    const herd_run *ptrs[RUNS_MAX];
    char err[1400];
    size_t loaded = 0;
    int rc = 0;
    for (size_t i = 0; i < a->n && rc == 0; i++, loaded++) {
        rc = herd_run_load(&runs[i], a->inputs[i], err, sizeof err);
        if (rc) fprintf(stderr, "herd render: %s\n", err);
        ptrs[i] = &runs[i];
    }
    if (rc) loaded--; /* the failed one freed itself */
    if (rc == 0) {
        herd_sbuf b;
        herd_sbuf_init(&b);
        if (svg) {
            herd_sbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            herd_timeline_svg(&b, ptrs, a->n);
        } else {
            herd_report_html(&b, ptrs, a->n, !a->static_only);
        }
        rc = emit(&b, a->out, false);
        herd_sbuf_free(&b);
    }
    for (size_t i = 0; i < loaded; i++) herd_run_free(&runs[i]);
    if (rc == 0 && a->out) printf("%s\n", a->out);
    return rc;
}

static int render_trace(const render_args *a)
{
    if (a->n != 1) {
        fprintf(stderr, "herd render: --format %s takes exactly one trace\n", a->format);
        return HERD_EXIT_USAGE;
    }
    herd_sbuf b;
    herd_sbuf_init(&b);
    char err[1400];
    bool perfetto = strcmp(a->format, "perfetto") == 0;
    int rc = perfetto ? herd_perfetto_json(&b, a->inputs[0], err, sizeof err)
                      : herd_msc_dot(&b, a->inputs[0], err, sizeof err);
    if (rc) fprintf(stderr, "herd render: %s\n", err);
    else rc = emit(&b, a->out, strcmp(a->format, "svg") == 0);
    herd_sbuf_free(&b);
    return rc;
}

static int render_states(const char *dir)
{
    int m = herd_mkdir_p(dir);
    if (m != 0) {
        fprintf(stderr, "herd render: %s: %s\n", dir, strerror(-m));
        return HERD_EXIT_IOERR;
    }
    static const char *const machines[] = {"client", "session"};
    for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++) {
        herd_sbuf b;
        herd_sbuf_init(&b);
        herd_states_dot(&b, machines[i]);
        char path[HERD_AFILE_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s.dot", dir, machines[i]);
        int rc = emit(&b, path, false);
        snprintf(path, sizeof path, "%s/%s.svg", dir, machines[i]);
        if (rc == 0) rc = emit(&b, path, true);
        herd_sbuf_free(&b);
        if (rc) return rc;
        printf("%s/%s.dot\n%s\n", dir, machines[i], path);
    }
    return 0;
}

int herd_cmd_render(int argc, char **argv)
{
    render_args a;
    int rc = parse(argc, argv, &a);
    if (rc < 0) {
        help(stdout);
        return HERD_EXIT_OK;
    }
    if (rc) return rc;
    herd_afile_install_signal_cleanup();
    if (a.states) return render_states(a.states);
    struct stat st;
    const char *format = a.format;
    if (!format) /* a file is a trace (a chart by default), a directory a run */
        format = stat(a.inputs[0], &st) == 0 && S_ISREG(st.st_mode) ? "dot" : "html";
    a.format = format;
    bool dir = stat(a.inputs[0], &st) == 0 && S_ISDIR(st.st_mode);
    if (strcmp(format, "html") == 0 || (dir && strcmp(format, "svg") == 0)) return render_runs(&a, strcmp(format, "svg") == 0);
    return render_trace(&a);
}
