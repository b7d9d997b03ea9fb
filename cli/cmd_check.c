/* cmd_check.c — `herd check MODEL.yaml`: explore a model, report the figures and the
 * verdict, write the counterexample as a trace. Exit 0 when the model file's expectation
 * is met, 1 when not, 64 usage, 65 invalid model, 70 internal error, 74 I/O error. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include "args.h"
#include "atomic_file.h"
#include "cex.h"
#include "check_junit.h"
#include "exitcode.h"
#include "explore.h"
#include "json.h"
#include "model_file.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xxhash.h>

typedef struct check_args {
    const char *model;
    const char *out_dir;
    const char *junit;
    const char *checkpoint, *resume;
    uint64_t checkpoint_every;
    bool json, symmetry, liveness, por, progress, subsume, preallocate;
    int progress_flag; /* -1 --no-progress, 1 --progress, 0 neither: on when stderr is a terminal */
    uint64_t max_states, max_memory_mib, hash_seed;
    uint32_t threads;
    uint32_t max_depth;
} check_args;

/* Every flag parse_args accepts (tests/cli_help.sh checks each is in help()). */
static const char *const check_flags[] = {
    "--json", "--max-states", "--max-depth", "--max-memory", "--out", "--no-symmetry", "--no-liveness", "--no-por",
    "--no-subsumption", "--threads", "--preallocate", "--progress", "--no-progress", "--junit", "--hash-seed", "--checkpoint",
    "--checkpoint-every", "--resume", "--help", "-h", NULL};

#define CHECK_SYNOPSIS                                                                                       \
    "usage: herd check MODEL.yaml [--json] [--max-states N] [--max-depth N] [--max-memory MIB]\n"           \
    "                  [--out DIR] [--no-symmetry] [--no-liveness] [--no-por] [--no-subsumption]\n"        \
    "                  [--threads N] [--preallocate] [--progress|--no-progress] [--junit FILE]\n"        \
    "                  [--hash-seed N]\n"                                                                  \
    "                  [--checkpoint DIR [--checkpoint-every SECONDS]] [--resume DIR]\n"

static void usage(FILE *f)
{
    fputs(CHECK_SYNOPSIS "'herd check --help' explains each flag.\n", f);
}

static void help(FILE *f)
{
    fprintf(f,
            CHECK_SYNOPSIS
            "\n"
            "Model-check a small model (a YAML file of a few clients, servers and a fault budget;\n"
            "docs/model-checking.md): explore every interleaving of its messages, faults and timers\n"
            "breadth-first, check the model's invariants (I1..I8) and bounded liveness (L1: a fair\n"
            "fault-free schedule reaches rest) from every reachable state, then print the\n"
            "figures and the verdict. A violation is the shortest path to it; with --out it is written\n"
            "as a trace that 'herd replay' re-checks and 'herd render' draws. The exit status says\n"
            "whether the model file's expect: (pass, or violation [PROPERTY]) was met.\n"
            "\n"
            "options:\n"
            "  --json                 print the figures and verdict as one JSON object\n"
            "  --max-states N         stop after N distinct states (default 0: unbounded)\n"
            "  --max-depth N          explore at most N steps deep (default 0: unbounded)\n"
            "  --max-memory MIB       memory for the fingerprint table in MiB, 1..%u (default 8192);\n"
            "                         the rest of the search is kept on disk\n"
            "  --out DIR              write a counterexample as DIR/MODEL.trace.jsonl and .trace.txt\n"
            "  --no-symmetry          do not merge states that differ only by a renaming of clients\n"
            "  --no-liveness          do not check L1 from every state\n"
            "  --no-por               no partial-order reduction (expand every enabled transition)\n"
            "  --no-subsumption       do not skip a state whose twin with more fault budget was seen\n"
            "  --threads N            workers expanding a level, 1..%u (default: every online CPU);\n"
            "                         the search and its figures are the same for any number\n"
            "  --preallocate          size the fingerprint table to --max-memory from the start\n"
            "  --progress             one line per search level on stderr (and one a minute inside\n"
            "                         a long level) even when stderr is not a terminal (logs);\n"
            "                         on a terminal this is the default\n"
            "  --no-progress          no progress lines, not even on a terminal\n"
            "  --junit FILE           also write the verdict as a JUnit XML report to FILE\n"
            "  --hash-seed N          seed of the 80-bit (XXH3-128) state keys (default 0); a second\n"
            "                         search with another seed is an independent check\n"
            "  --checkpoint DIR       save the search to DIR at the end of a level when the depth\n"
            "                         bound is hit or on SIGINT/SIGTERM (then stop)\n"
            "  --checkpoint-every SECONDS\n"
            "                         with --checkpoint: also save every SECONDS, 1..1000000000\n"
            "  --resume DIR           continue the search saved in DIR (of the same model file)\n"
            "  -h, --help             print this help and exit 0\n"
            "\n"
            "exit status:\n"
            "  0   the model file's expectation met\n"
            "  1   not met (an unexpected violation, or no violation where one is expected)\n"
            "  64  bad command line\n"
            "  65  invalid model (file:line:col), or a checkpoint that --resume refuses\n"
            "  70  internal error (including a search that ends in error)\n"
            "  74  I/O error (model unreadable, --out, --junit or --checkpoint not writable)\n"
            "\n"
            "examples:\n"
            "  herd check traces/models/dedup-none.yaml\n"
            "  herd check traces/models/dedup-none.yaml --out out && herd replay out/dedup-none.trace.jsonl\n",
            1u << 20, HM_THREADS_MAX);
}

/* Whether s is one of the flags that take a value. */
static bool check_takes_value(const char *s)
{
    static const char *const v[] = {"--out", "--junit", "--checkpoint", "--resume", "--checkpoint-every",
                                    "--hash-seed", "--max-states", "--max-depth", "--max-memory", "--threads", NULL};
    for (size_t i = 0; v[i]; i++)
        if (strcmp(s, v[i]) == 0) return true;
    return false;
}

/* A whole number in [lo, hi] for FLAG, or a usage error naming the flag, the range and the
 * value: "--max-states 1e6" must not silently mean 1 (or 0, unbounded). */
static bool parse_count(const char *flag, const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return herd_arg_u64("check", flag, v, lo, hi, out);
}

static int parse_args(int argc, char **argv, check_args *a)
{
    *a = (check_args){.symmetry = true, .liveness = true, .por = true, .subsume = true, .max_memory_mib = 8192};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(s, "--json")) a->json = true;
        else if (!strcmp(s, "--no-symmetry")) a->symmetry = false;
        else if (!strcmp(s, "--no-liveness")) a->liveness = false;
        else if (!strcmp(s, "--no-por")) a->por = false;
        else if (!strcmp(s, "--progress")) a->progress_flag = 1;
        else if (!strcmp(s, "--no-progress")) a->progress_flag = -1;
        else if (!strcmp(s, "--no-subsumption")) a->subsume = false;
        else if (!strcmp(s, "--preallocate")) a->preallocate = true;
        else if (!strcmp(s, "--help") || !strcmp(s, "-h")) { help(stdout); exit(0); }
        else if (!strcmp(s, "--out") && has_val) a->out_dir = argv[++i];
        else if (!strcmp(s, "--junit") && has_val) a->junit = argv[++i];
        else if (!strcmp(s, "--checkpoint") && has_val) a->checkpoint = argv[++i];
        else if (!strcmp(s, "--resume") && has_val) a->resume = argv[++i];
        else if (!strcmp(s, "--checkpoint-every") && has_val) {
            if (!parse_count(s, argv[++i], 1, 1000000000, &a->checkpoint_every)) return HERD_EXIT_USAGE;
        }
        else if (!strcmp(s, "--hash-seed") && has_val) {
            if (!parse_count(s, argv[++i], 0, UINT64_MAX, &a->hash_seed)) return HERD_EXIT_USAGE;
        }
        else if (!strcmp(s, "--max-states") && has_val) {
            if (!parse_count(s, argv[++i], 0, UINT64_MAX, &a->max_states)) return HERD_EXIT_USAGE;
        }
        else if (!strcmp(s, "--max-depth") && has_val) {
            uint64_t d;
            if (!parse_count(s, argv[++i], 0, UINT32_MAX, &d)) return HERD_EXIT_USAGE;
            a->max_depth = (uint32_t)d;
        }
        else if (!strcmp(s, "--max-memory") && has_val) {
            if (!parse_count(s, argv[++i], 1, 1u << 20, &a->max_memory_mib)) return HERD_EXIT_USAGE;
        }
        else if (!strcmp(s, "--threads") && has_val) {
            uint64_t t;
            if (!parse_count(s, argv[++i], 1, HM_THREADS_MAX, &t)) return HERD_EXIT_USAGE;
            a->threads = (uint32_t)t;
        }
        else if (s[0] != '-' && a->model == NULL) a->model = s;
        else if (check_takes_value(s)) {
            fprintf(stderr, "herd check: %s needs a value\n", s);
            usage(stderr);
            return HERD_EXIT_USAGE;
        } else if (s[0] == '-' && s[1] != '\0') {
            herd_cli_unknown_option("check", s, check_flags);
            usage(stderr);
            return HERD_EXIT_USAGE;
        }
        else { fprintf(stderr, "herd check: unexpected argument '%s'\n", s); usage(stderr); return HERD_EXIT_USAGE; }
    }
    if (a->model == NULL) { usage(stderr); return HERD_EXIT_USAGE; }
    /* TLC's habit: progress by default where a person watches, never unasked in a log. */
    a->progress = a->progress_flag > 0 || (a->progress_flag == 0 && isatty(STDERR_FILENO));
    if (a->checkpoint_every && a->checkpoint == NULL) {
        fprintf(stderr, "herd check: --checkpoint-every needs --checkpoint DIR\n");
        return HERD_EXIT_USAGE;
    }
    if (a->threads == 0) { /* every online CPU: the result is the same for any number */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a->threads = n < 1 ? 1u : n > HM_THREADS_MAX ? HM_THREADS_MAX : (uint32_t)n;
    }
    return 0;
}

static const char *verdict_name(int v)
{
    static const char *const n[] = {"pass", "violation", "incomplete", "error"};
    return n[v];
}

static bool expectation_met(const hm_result *r, const hm_expect *ex)
{
    if (!ex->violation) return r->verdict == HM_V_PASS;
    return r->verdict == HM_V_VIOLATION && (ex->property == HM_P_NONE || ex->property == r->property);
}

/* Write DIR/<model base name>.trace.jsonl and .txt, whole or not at all. */
static int write_cex(const check_args *a, const hm_config *cfg, const hm_result *r, char *path, size_t size)
{
    const char *base = strrchr(a->model, '/');
    base = base ? base + 1 : a->model;
    char stem[256];
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = 0;
    if (herd_mkdir_p(a->out_dir) != 0) return -1;
    herd_afile j, t;
    char tpath[4200];
    snprintf(path, size, "%s/%s.trace.jsonl", a->out_dir, stem);
    snprintf(tpath, sizeof tpath, "%s/%s.trace.txt", a->out_dir, stem);
    FILE *jf = herd_afile_open(&j, path);
    if (jf == NULL) return -1;
    FILE *tf = herd_afile_open(&t, tpath);
    if (tf == NULL) { herd_afile_abort(&j); return -1; }
    int rc = hm_cex_write(cfg, a->model, r->property, r->path, r->path_len, r->live_suffix, jf, tf);
    if (rc != 0) { herd_afile_abort(&j); herd_afile_abort(&t); return -1; }
    if (herd_afile_commit(&j) != 0) { herd_afile_abort(&t); return -1; }
    return herd_afile_commit(&t) != 0 ? -1 : 0;
}

/* The process's own figures around the search: CPU time of every thread (user + system)
 * and peak RSS. The search's rates per wall second hide a shared machine; per CPU second
 * they compare runs and tools. */
typedef struct proc_figures {
    double cpu_s;
    uint64_t peak_rss;
} proc_figures;

static double cpu_now_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static uint64_t peak_rss_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

static void report_text(const check_args *a, const hm_config *cfg, const hm_result *r, const hm_expect *ex,
                        const proc_figures *pf)
{
    double s = r->seconds > 0 ? r->seconds : 1e-9;
    uint64_t all = r->transitions + r->live_steps;
    printf("model      %s%s%s\n", a->model, ex->name[0] ? " — " : "", ex->name);
    printf("world      %u clients, %u servers, %u messages each, protocol %s, store %s, lb %s\n", cfg->clients,
           cfg->servers, cfg->messages, herd_protocol_name(&cfg->proto), herd_durability_name(cfg->store.durability),
           cfg->lb == HM_LB_STICKY ? "sticky" : "any");
    printf("states     %llu distinct (symmetry %s)\n", (unsigned long long)r->states, a->symmetry ? "on" : "off");
    printf("transitions %llu by the search + %llu by L1's fault-free schedules\n",
           (unsigned long long)r->transitions, (unsigned long long)r->live_steps);
    printf("depth      %u\n", r->depth);
    printf("por        %s: %llu states expanded with an ample set, %llu candidates refused by the cycle proviso\n",
           a->por ? "on" : "off", (unsigned long long)r->reduced, (unsigned long long)r->proviso);
    printf("subsumed   %llu children skipped: the same state with more fault budget left was visited%s\n",
           (unsigned long long)r->subsumed, a->subsume ? "" : " (off)");
    if (r->shorten_states)
        printf("shortest   an unreduced search to the counterexample's depth (%llu states) %s\n",
               (unsigned long long)r->shorten_states,
               r->shortened ? "found a shorter one" : "found none shorter");
    printf("time       %.3f s: %.0f states/s, %.0f transitions/s (%.0f counting L1's)\n", r->seconds,
           (double)r->states / s, (double)r->transitions / s, (double)all / s);
    double c = pf->cpu_s > 0 ? pf->cpu_s : 1e-9;
    printf("cpu        %.3f s, every thread: %.0f states and %.0f transitions per CPU second; peak RSS %.1f MiB\n",
           pf->cpu_s, (double)r->states / c, (double)r->transitions / c, (double)pf->peak_rss / 1048576.0);
    printf("memory     %.1f bytes per visited state (%.1f in the fingerprint table, in memory; a 6-byte parent "
           "link, on disk); world %zu bytes, encoding %zu bytes; frontier peak %.1f MiB, on disk\n",
           r->states ? (double)(r->visited_bytes + r->parent_bytes) / (double)r->states : 0.0,
           r->states ? (double)r->visited_bytes / (double)r->states : 0.0, r->world_bytes, r->encoded_bytes,
           (double)r->frontier_peak_bytes / 1048576.0);
    printf("collision  P(a fingerprint collision hid a state) <= %.3g (%u-bit keys)",
           hm_collision_probability(r->states, r->key_bits), r->key_bits);
    if (a->hash_seed) printf(" (hash seed %llu)", (unsigned long long)a->hash_seed);
    putchar('\n');
    if (r->message[0]) printf("note       %s\n", r->message);
    if (r->verdict == HM_V_VIOLATION)
        printf("verdict    VIOLATION of %s (%s), counterexample of %u steps (%u of them L1's fault-free schedule)\n",
               hm_prop_name(r->property), hm_prop_title(r->property), r->path_len, r->live_suffix);
    else
        printf("verdict    %s\n", verdict_name(r->verdict));
    printf("expected   %s%s%s: %s\n", ex->violation ? "violation" : "pass", ex->property ? " " : "",
           ex->property ? hm_prop_name(ex->property) : "", expectation_met(r, ex) ? "met" : "NOT met");
}

static void report_json(const check_args *a, const hm_config *cfg, const hm_result *r, const hm_expect *ex,
                        const char *cex_path, const proc_figures *pf)
{
    herd_json j;
    double s = r->seconds > 0 ? r->seconds : 1e-9;
    herd_json_init_file(&j, stdout);
    herd_json_obj_begin(&j);
    herd_json_kv_str(&j, "model", a->model);
    herd_json_key(&j, "config");
    hm_config_json(&j, cfg);
    herd_json_kv_str(&j, "verdict", verdict_name(r->verdict));
    herd_json_kv_bool(&j, "expectation_met", expectation_met(r, ex));
    herd_json_kv_u64(&j, "states", r->states);
    herd_json_kv_u64(&j, "transitions", r->transitions);
    herd_json_kv_u64(&j, "liveness_transitions", r->live_steps);
    herd_json_kv_u64(&j, "depth", r->depth);
    herd_json_kv_u64(&j, "states_per_s", (uint64_t)((double)r->states / s));
    herd_json_kv_u64(&j, "transitions_per_s", (uint64_t)((double)r->transitions / s));
    double c = pf->cpu_s > 0 ? pf->cpu_s : 1e-9;
    herd_json_kv_double(&j, "cpu_seconds", pf->cpu_s);
    herd_json_kv_u64(&j, "states_per_cpu_s", (uint64_t)((double)r->states / c));
    herd_json_kv_u64(&j, "transitions_per_cpu_s", (uint64_t)((double)r->transitions / c));
    herd_json_kv_u64(&j, "peak_rss_bytes", pf->peak_rss);
    herd_json_kv_double(&j, "bytes_per_state",
                        r->states ? (double)(r->visited_bytes + r->parent_bytes) / (double)r->states : 0.0);
    herd_json_kv_bool(&j, "symmetry", a->symmetry);
    herd_json_kv_bool(&j, "por", a->por);
    herd_json_kv_u64(&j, "por_reduced_states", r->reduced);
    herd_json_kv_u64(&j, "shortened_by", r->shortened);
    herd_json_kv_u64(&j, "subsumed", r->subsumed);
    herd_json_kv_double(&j, "collision_probability", hm_collision_probability(r->states, r->key_bits));
    herd_json_kv_u64(&j, "key_bits", r->key_bits);
    herd_json_kv_u64(&j, "hash_seed", a->hash_seed);
    herd_json_kv_double(&j, "seconds", r->seconds);
    if (a->resume) herd_json_kv_u64(&j, "resumed_at_depth", r->resumed_depth);
    else herd_json_kv_null(&j, "resumed_at_depth");
    if (r->checkpointed) herd_json_kv_str(&j, "checkpoint", a->checkpoint);
    else herd_json_kv_null(&j, "checkpoint");
    if (cex_path) herd_json_kv_str(&j, "counterexample", cex_path);
    else herd_json_kv_null(&j, "counterexample");
    if (r->verdict == HM_V_VIOLATION) {
        herd_json_kv_str(&j, "property", hm_prop_name(r->property));
        herd_json_kv_u64(&j, "counterexample_steps", r->path_len);
    } else {
        herd_json_kv_null(&j, "property");
    }
    if (r->message[0]) herd_json_kv_str(&j, "note", r->message);
    herd_json_obj_end(&j);
    herd_json_finish(&j);
    fputc('\n', stdout);
    (void)cfg;
}

/* SIGINT or SIGTERM with --checkpoint: finish the level, write the checkpoint, stop. A
 * second signal takes the default action (SA_RESETHAND). */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_stop_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* XXH3 of the model file: a checkpoint belongs to one model file, byte for byte. */
static int model_id(const char *path, uint64_t *id)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    XXH3_state_t *h = XXH3_createState();
    if (h == NULL) { fclose(f); return -1; }
    XXH3_64bits_reset(h);
    unsigned char buf[1u << 14];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) XXH3_64bits_update(h, buf, n);
    int rc = ferror(f) ? -1 : 0;
    *id = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    fclose(f);
    return rc;
}

int herd_cmd_check(int argc, char **argv)
{
    check_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    hm_config cfg;
    hm_expect ex;
    char err[1200];
    rc = hm_model_load(a.model, &cfg, &ex, err, sizeof err);
    if (rc) { fprintf(stderr, "%s\n", err); return rc; }
    if (!cfg.symmetry) a.symmetry = false;
    hm_limits lim = {.max_states = a.max_states, .max_depth = a.max_depth,
                     .max_memory = (uint64_t)a.max_memory_mib << 20, .symmetry = a.symmetry, .liveness = a.liveness,
                     .por = a.por, .progress = a.progress, .subsume = a.subsume,
                     .threads = a.threads, .preallocate = a.preallocate, .hash_seed = a.hash_seed,
                     .checkpoint_dir = a.checkpoint, .checkpoint_every = (double)a.checkpoint_every,
                     .resume_dir = a.resume};
    if ((a.checkpoint || a.resume) && model_id(a.model, &lim.model_id) != 0) {
        fprintf(stderr, "herd check: cannot read %s: %s\n", a.model, strerror(errno));
        return HERD_EXIT_IOERR;
    }
    if (a.checkpoint) {
        lim.stop = &stop_requested;
        install_stop_handler();
    }
    hm_result r;
    double cpu0 = cpu_now_s();
    int xrc = hm_explore(&cfg, &lim, &r);
    proc_figures pf = {cpu_now_s() - cpu0, peak_rss_now()};
    if (xrc == -2) { fprintf(stderr, "herd check: --resume %s\n", r.message); return HERD_EXIT_DATAERR; }
    if (xrc != 0) { fprintf(stderr, "herd check: %s\n", r.message); return HERD_EXIT_SOFTWARE; }
    char cex_path[4200] = "";
    bool have_cex = r.verdict == HM_V_VIOLATION || (r.verdict == HM_V_ERROR && r.path);
    if (have_cex && a.out_dir) {
        if (write_cex(&a, &cfg, &r, cex_path, sizeof cex_path) != 0) {
            fprintf(stderr, "herd check: cannot write the counterexample in %s: %s\n", a.out_dir, strerror(errno));
            hm_result_free(&r);
            return HERD_EXIT_IOERR;
        }
    }
    if (a.json) report_json(&a, &cfg, &r, &ex, cex_path[0] ? cex_path : NULL, &pf);
    else report_text(&a, &cfg, &r, &ex, &pf);
    if (have_cex && !a.out_dir && !a.json) hm_cex_write(&cfg, a.model, r.property, r.path, r.path_len, r.live_suffix, NULL, stdout);
    else if (cex_path[0] && !a.json) printf("trace      %s (and .txt beside it); replay: herd replay %s\n", cex_path, cex_path);
    int code = r.verdict == HM_V_ERROR ? HERD_EXIT_SOFTWARE : expectation_met(&r, &ex) ? HERD_EXIT_OK : HERD_EXIT_FAIL;
    int jrc = a.junit ? hm_check_junit_write(a.junit, a.model, &cfg, &r, &ex, cex_path[0] ? cex_path : NULL, a.liveness) : 0;
    if (jrc != 0) {
        fprintf(stderr, "herd check: cannot write %s: %s\n", a.junit, strerror(-jrc));
        code = HERD_EXIT_IOERR;
    }
    hm_result_free(&r);
    return code;
}
