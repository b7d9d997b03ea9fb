/* test_sim_outputs.c — what `herd run --out DIR` writes for the renderer's contract
 * (docs/rendering.md "The optional files"): the capacity_per_s column, faults.json,
 * delays.json, trace.jsonl (read back by lib/trace's reader) and summary.json's scenario
 * field; that tracing leaves the run alone (the same trace_hash with and without it, and
 * with every client traced); the trace: key and --trace-clients; and that `herd render`
 * picks the files up; SYN drops by cause in metrics.csv (appended after the older columns,
 * adding up to syn_drops in every row), metrics.json and summary.json. End to end through
 * the herd binary on a tiny scenario (40 clients, 2 servers, a 2 s crash), plus unit tests
 * of the id lists and the delay percentiles. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "delays.h"
#include "outputs.h"
#include "trace.h"
#include "trace_out.h"

static char dir[64];

static const char *const tiny =
    "run:\n  duration: 10s\n  metrics_interval: 100ms\n"
    "world:\n  clients: 40\n  rooms: 4\n  servers: 2\n  start_spread: 500ms\n"
    "accept:\n  workers: 2\n  handshake: 1ms\n"
    "client:\n  backoff:\n    policy: fixed\n    base: 500ms\n"
    "workload:\n  publish_interval: 500ms\n"
    "faults:\n  - kind: crash\n    at: 2s\n    duration: 2s\n    servers: all\n"
    "expect:\n  safety: holds\n";

static void make_dir(void)
{
    strcpy(dir, "/tmp/herd_outputs_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void clean_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* Run herd with args (a shell fragment); returns the exit status, stdout into out. */
static int herd(const char *args, char *out, size_t size)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", HERD_EXE, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = out ? fread(out, 1, size - 1, p) : 0;
    if (out) out[n] = '\0';
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) {}
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void trace_hash(const char *json, char out[33])
{
    const char *p = strstr(json, "\"trace_hash\":\"");
    cr_assert_not_null(p, "no trace_hash in %s", json);
    memcpy(out, p + 14, 32);
    out[32] = '\0';
}

static char scen[128], out_dir[160];

/* The tiny scenario's run into out_dir; its exit status (1: an expectation not met). */
static int run_tiny_status(const char *extra)
{
    make_dir();
    snprintf(scen, sizeof scen, "%s/tiny.yaml", dir);
    snprintf(out_dir, sizeof out_dir, "%s/run", dir);
    write_file(scen, tiny);
    char args[1024];
    snprintf(args, sizeof args, "run '%s' --out '%s' %s", scen, out_dir, extra);
    return herd(args, NULL, 0);
}

static void run_tiny(const char *extra) { cr_assert_eq(run_tiny_status(extra), 0, "herd run %s", extra); }

static herd_cfg_doc *load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    herd_cfg_doc *d = herd_cfg_load_file(path);
    cr_assert_not_null(d);
    cr_assert(!herd_cfg_failed(d) && herd_cfg_root(d), "%s does not parse: %s", path, herd_cfg_error(d));
    return d;
}

static double num(const herd_cfg_node *n)
{
    const char *s = herd_cfg_scalar(n);
    cr_assert_not_null(s);
    char *end;
    double v = strtod(s, &end);
    cr_assert(end != s && *end == '\0', "not a number: %s", s);
    return v;
}

Test(outputs, capacity_per_s_drops_to_zero_while_the_servers_are_down, .fini = clean_dir)
{
    run_tiny("");
    char path[256], line[1024];
    snprintf(path, sizeof path, "%s/metrics.csv", out_dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    int col = -1, k = 0;
    for (char *t = strtok(line, ",\n"); t; t = strtok(NULL, ",\n"), k++)
        if (strcmp(t, "capacity_per_s") == 0) col = k;
    cr_assert_geq(col, 0, "no capacity_per_s column");
    int rows = 0, zero = 0;
    while (fgets(line, sizeof line, f)) {
        double t = strtod(line, NULL), cap = -1;
        k = 0;
        for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), k++)
            if (k == col) cap = strtod(tok, NULL);
        /* 2 servers x 2 workers / 1 ms = 4 000/s, nothing in (2 s, 4 s] */
        bool down = t > 2.0001 && t < 4.0001;
        cr_expect_eq(cap, down ? 0 : 4000, "t=%g capacity %g", t, cap);
        rows++;
        zero += cap == 0;
    }
    fclose(f);
    cr_expect_eq(rows, 100);
    cr_expect_eq(zero, 20);
    /* metrics.json has it too */
    herd_cfg_doc *d = load("metrics.json");
    const herd_cfg_node *r0 = herd_cfg_at(herd_cfg_get(herd_cfg_root(d), "rows"), 0);
    cr_expect_eq(num(herd_cfg_get(r0, "capacity_per_s")), 4000);
    herd_cfg_free(d);
}

Test(outputs, faults_json_has_one_band_per_fault, .fini = clean_dir)
{
    run_tiny("");
    herd_cfg_doc *d = load("faults.json");
    const herd_cfg_node *bands = herd_cfg_get(herd_cfg_root(d), "bands");
    cr_assert(herd_cfg_is_seq(bands));
    cr_assert_eq(herd_cfg_len(bands), 1);
    const herd_cfg_node *b = herd_cfg_at(bands, 0);
    cr_expect_str_eq(herd_cfg_scalar(herd_cfg_get(b, "kind")), "crash");
    cr_expect_eq(num(herd_cfg_get(b, "start_s")), 2.0);
    cr_expect_eq(num(herd_cfg_get(b, "end_s")), 4.0);
    cr_expect_str_eq(herd_cfg_scalar(herd_cfg_get(b, "label")), "crash: servers all");
    herd_cfg_free(d);
}

Test(outputs, fault_labels_match_the_renderer)
{
    herd_fault f = {.kind = HERD_FAULT_PARTITION, .a = {HERD_GROUP_CLIENTS, 0, 10}, .b = {HERD_GROUP_LB, 0, 0}};
    char label[160];
    herd_outputs_fault_label(&f, label, sizeof label);
    cr_expect_str_eq(label, "partition clients:0-9 <-> lb");
    f = (herd_fault){.kind = HERD_FAULT_GRACEFUL, .first = 1, .count = 1};
    herd_outputs_fault_label(&f, label, sizeof label);
    cr_expect_str_eq(label, "graceful restart: servers 1");
    f = (herd_fault){.kind = HERD_FAULT_OFFLINE, .first = 5, .count = 5};
    herd_outputs_fault_label(&f, label, sizeof label);
    cr_expect_str_eq(label, "clients 5-9 offline");
    f = (herd_fault){.kind = HERD_FAULT_LB_RESTART};
    herd_outputs_fault_label(&f, label, sizeof label);
    cr_expect_str_eq(label, "lb restart");
    f = (herd_fault){.kind = HERD_FAULT_CHURN, .fraction_ppm = 300000};
    herd_outputs_fault_label(&f, label, sizeof label);
    cr_expect_str_eq(label, "churn: 30% of all clients");
    f = (herd_fault){.kind = HERD_FAULT_CHURN, .fraction_ppm = 125000, .first = 10, .count = 90};
    herd_outputs_fault_label(&f, label, sizeof label);
    cr_expect_str_eq(label, "churn: 12.5% of clients 10-99");
}

Test(outputs, delays_json_is_a_histogram_with_percentiles, .fini = clean_dir)
{
    run_tiny("");
    herd_cfg_doc *d = load("delays.json");
    const herd_cfg_node *root = herd_cfg_root(d);
    const herd_cfg_node *edges = herd_cfg_get(root, "bucket_ms"), *counts = herd_cfg_get(root, "counts");
    size_t n = herd_cfg_len(counts);
    cr_assert(n >= 1 && n <= 512);
    cr_assert_eq(herd_cfg_len(edges), n + 1);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        cr_expect_lt(num(herd_cfg_at(edges, i)), num(herd_cfg_at(edges, i + 1)));
        total += num(herd_cfg_at(counts, i));
    }
    /* Every client was LIVE before the crash and is LIVE again: 40 reconnections, each
     * at least the 2 s outage. */
    cr_expect_eq(total, 40);
    cr_expect_eq(num(herd_cfg_get(root, "samples")), 40);
    cr_expect_eq(num(herd_cfg_get(root, "waiting_at_end")), 0);
    double p50 = num(herd_cfg_get(root, "p50_ms")), p90 = num(herd_cfg_get(root, "p90_ms")),
           p99 = num(herd_cfg_get(root, "p99_ms"));
    cr_expect(p50 >= 1900 && p50 <= p90 && p90 <= p99 && p99 <= num(herd_cfg_get(root, "max_ms")));
    cr_expect_leq(num(herd_cfg_at(edges, 0)), p50);
    cr_expect_gt(num(herd_cfg_at(edges, n)), p99);
    cr_expect_str_eq(herd_cfg_scalar(herd_cfg_get(root, "what")), "LIVE lost to LIVE again");
    herd_cfg_free(d);
}

Test(outputs, summary_names_the_scenario, .fini = clean_dir)
{
    run_tiny("");
    herd_cfg_doc *d = load("summary.json");
    cr_expect_str_eq(herd_cfg_scalar(herd_cfg_get(herd_cfg_root(d), "scenario")), scen);
    herd_cfg_free(d);
}

/* metrics.csv's columns before the SYN drops by cause, in the order older readers know. */
static const char older_columns[] = "t_s,attempts,syns,syn_drops,accepts,wasted_handshakes,refused,published,"
                                    "backpressure,acked,delivered,gaps,connected,queued,accept_queue,sessions,"
                                    "capacity_per_s,";
static const char *const by_cause[] = {"syn_drops_backlog_full", "syn_drops_lb_down", "syn_drops_lb_rate_limited",
                                       "syn_drops_net_loss", "syn_drops_partition"};

/* Sums over metrics.csv's rows of syn_drops (sum[0]) and of each cause (sum[1 + k]),
 * checking in every row that the causes add up to the total. */
static void csv_syn_drops(uint64_t sum[6])
{
    char path[256], line[2048];
    snprintf(path, sizeof path, "%s/metrics.csv", out_dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_expect(strncmp(line, older_columns, strlen(older_columns)) == 0, "older columns moved: %s", line);
    int col[6] = {-1, -1, -1, -1, -1, -1}, k = 0;
    for (char *t = strtok(line, ",\n"); t; t = strtok(NULL, ",\n"), k++)
        for (int c = 0; c < 6; c++)
            if (strcmp(t, c == 0 ? "syn_drops" : by_cause[c - 1]) == 0) col[c] = k;
    for (int c = 0; c < 6; c++) cr_assert_geq(col[c], 0, "column %d absent", c);
    memset(sum, 0, 6 * sizeof *sum);
    while (fgets(line, sizeof line, f)) {
        uint64_t v[6] = {0};
        k = 0;
        for (char *t = strtok(line, ",\n"); t; t = strtok(NULL, ",\n"), k++)
            for (int c = 0; c < 6; c++)
                if (k == col[c]) v[c] = strtoull(t, NULL, 10);
        cr_expect_eq(v[1] + v[2] + v[3] + v[4] + v[5], v[0], "a row's causes add up to its syn_drops");
        for (int c = 0; c < 6; c++) sum[c] += v[c];
    }
    fclose(f);
}

Test(outputs, syn_drops_by_cause_in_every_file, .fini = clean_dir)
{
    /* 30 % loss and a 20/s LB limit on 40 clients: SYNs are dropped, the 4 096-SYN
     * accept queues never fill, so not one drop is backlog_full. (So lossy a network may
     * not recover within 10 s: exit 1 is an expectation not met, and fine here.) */
    int st = run_tiny_status("--set network.loss=30% --set lb.rate=20 --set lb.burst=2");
    cr_assert(st == 0 || st == 1, "herd run: exit %d", st);
    uint64_t csv[6];
    csv_syn_drops(csv);
    cr_expect_gt(csv[0], 0);
    herd_cfg_doc *d = load("summary.json");
    const herd_cfg_node *root = herd_cfg_root(d);
    cr_expect_eq(num(herd_cfg_get(root, "syn_drops")), (double)csv[0]);
    for (int c = 0; c < 5; c++)
        cr_expect_eq(num(herd_cfg_get(root, by_cause[c])), (double)csv[1 + c], "%s", by_cause[c]);
    cr_expect_eq(csv[1], 0, "backlog_full: %lu", (unsigned long)csv[1]);
    cr_expect_eq(csv[2], 0, "lb_down");
    cr_expect_gt(csv[3], 0, "lb_rate_limited");
    cr_expect_gt(csv[4], 0, "net_loss");
    cr_expect_eq(csv[5], 0, "partition");
    herd_cfg_free(d);
    d = load("metrics.json");
    const herd_cfg_node *r0 = herd_cfg_at(herd_cfg_get(herd_cfg_root(d), "rows"), 0);
    for (int c = 0; c < 5; c++) cr_expect_not_null(herd_cfg_get(r0, by_cause[c]), "metrics.json has %s", by_cause[c]);
    herd_cfg_free(d);
}

/* Reads trace.jsonl back; counts records; every actor must concern a traced client. */
static uint32_t read_trace(const char *path, bool (*traced)(uint32_t), uint32_t *inputs, bool *truncated)
{
    herd_trace_reader rd;
    cr_assert_eq(herd_trace_open(&rd, path), 0, "%s", path);
    herd_trace_header h;
    cr_assert_eq(herd_trace_read_header(&rd, &h), 0, "%s", rd.error);
    cr_expect_str_eq(herd_trace_header_get(&h, "source"), "sim");
    cr_expect_str_eq(herd_trace_header_get(&h, "seed"), "1");
    cr_expect_str_eq(herd_trace_header_get(&h, "scenario"), scen);
    cr_expect_not_null(herd_trace_header_get(&h, "herd"));
    herd_trace_rec r;
    int got;
    uint32_t n = 0, last_step = 0;
    *inputs = 0;
    *truncated = false;
    while ((got = herd_trace_read_rec(&rd, &r)) == 1) {
        n++;
        cr_expect_geq(r.step, last_step);
        last_step = r.step;
        unsigned s, c;
        if (sscanf(r.actor, "client:%u", &c) == 1 || sscanf(r.actor, "server:%u/client:%u", &s, &c) == 2 ||
            sscanf(r.actor, "store/server:%u/client:%u", &s, &c) == 2)
            cr_expect(traced(c), "record of an untraced client: %s", r.actor);
        else
            cr_expect(strncmp(r.actor, "server:", 7) == 0 || strcmp(r.actor, "world") == 0, "actor %s", r.actor);
        if (r.what == HERD_TRACE_INPUT) {
            (*inputs)++;
            cr_expect(r.has & HERD_TF_NOW, "input without now_us: %s %s", r.actor, r.name);
        }
        if (r.what == HERD_TRACE_STEP && strcmp(r.name, "truncated") == 0) *truncated = true;
    }
    cr_assert_eq(got, 0, "%s", rd.error);
    herd_trace_close(&rd);
    return n;
}

static bool first_five(uint32_t c) { return c < 5; }
static bool one_three_four(uint32_t c) { return c == 1 || c == 3 || c == 4; }
static bool room_two(uint32_t c) { return c % 4 == 2; }

Test(outputs, trace_jsonl_reads_back_with_the_default_sample, .fini = clean_dir)
{
    run_tiny("");
    char path[256];
    snprintf(path, sizeof path, "%s/trace.jsonl", out_dir);
    uint32_t inputs;
    bool truncated;
    uint32_t n = read_trace(path, first_five, &inputs, &truncated);
    cr_expect_gt(n, 100);
    cr_expect_gt(inputs, 50);
    cr_expect(!truncated);
    /* The crash is in it: the world's transition and each server's crash and restart. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "grep -c '\"input\":\"crash\"' '%s' | grep -qx 2 && grep -c '\"input\":\"restart\"' '%s' "
             "| grep -qx 2 && grep -q '\"transition\":\"fault\"' '%s'", path, path, path);
    cr_expect_eq(system(cmd), 0, "crash and restart records");
}

Test(outputs, trace_key_picks_clients_and_caps_records, .fini = clean_dir)
{
    make_dir();
    snprintf(scen, sizeof scen, "%s/tiny.yaml", dir);
    snprintf(out_dir, sizeof out_dir, "%s/run", dir);
    char text[2048];
    snprintf(text, sizeof text, "%strace:\n  clients: [1, \"3-4\"]\n  max_records: 60\n", tiny);
    write_file(scen, text);
    char args[1024], path[256];
    snprintf(args, sizeof args, "run '%s' --out '%s'", scen, out_dir);
    cr_assert_eq(herd(args, NULL, 0), 0);
    snprintf(path, sizeof path, "%s/trace.jsonl", out_dir);
    uint32_t inputs;
    bool truncated;
    cr_expect_eq(read_trace(path, one_three_four, &inputs, &truncated), 61); /* 60 + the truncation note */
    cr_expect(truncated);
}

Test(outputs, trace_rooms_and_the_flag, .fini = clean_dir)
{
    make_dir();
    snprintf(scen, sizeof scen, "%s/tiny.yaml", dir);
    snprintf(out_dir, sizeof out_dir, "%s/run", dir);
    char text[2048], args[1024], path[256];
    snprintf(text, sizeof text, "%strace:\n  rooms: 2\n", tiny);
    write_file(scen, text);
    snprintf(args, sizeof args, "run '%s' --out '%s'", scen, out_dir);
    cr_assert_eq(herd(args, NULL, 0), 0);
    snprintf(path, sizeof path, "%s/trace.jsonl", out_dir);
    uint32_t inputs;
    bool truncated;
    cr_expect_gt(read_trace(path, room_two, &inputs, &truncated), 100);
    /* --trace-clients replaces the scenario's clients (rooms stay): none leaves room 2. */
    snprintf(args, sizeof args, "run '%s' --out '%s' --trace-clients none", scen, out_dir);
    cr_assert_eq(herd(args, NULL, 0), 0);
    cr_expect_gt(read_trace(path, room_two, &inputs, &truncated), 100);
    snprintf(args, sizeof args, "run '%s' --out '%s' --trace-clients 9-x", scen, out_dir);
    cr_expect_eq(herd(args, NULL, 0), 64);
    write_file(scen, "trace:\n  clients: \"5-2\"\n");
    snprintf(args, sizeof args, "run '%s'", scen);
    cr_expect_eq(herd(args, NULL, 0), 65);
    write_file(scen, "trace:\n  client: 1\n");
    cr_expect_eq(herd(args, NULL, 0), 65);
}

Test(outputs, tracing_does_not_change_the_run, .fini = clean_dir)
{
    run_tiny("");
    char args[1024], out[8192], h0[33], h1[33], h2[33];
    snprintf(args, sizeof args, "run '%s' --json", scen);
    cr_assert_eq(herd(args, out, sizeof out), 0);
    trace_hash(out, h0);
    snprintf(args, sizeof args, "run '%s' --json --out '%s'", scen, out_dir);
    cr_assert_eq(herd(args, out, sizeof out), 0);
    trace_hash(out, h1);
    snprintf(args, sizeof args, "run '%s' --json --out '%s' --trace-clients 0-39", scen, out_dir);
    cr_assert_eq(herd(args, out, sizeof out), 0);
    trace_hash(out, h2);
    cr_expect_str_eq(h1, h0, "tracing clients 0-4 changed the run");
    cr_expect_str_eq(h2, h0, "tracing every client changed the run");
}

Test(outputs, render_uses_the_files, .fini = clean_dir)
{
    run_tiny("");
    char args[1024], html[256];
    snprintf(html, sizeof html, "%s/report.html", dir);
    snprintf(args, sizeof args, "render '%s' --out '%s'", out_dir, html);
    cr_assert_eq(herd(args, NULL, 0), 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "grep -q 'faults.json' '%s' && grep -q 'Reconnect delays' '%s' && ! grep -q "
             "'has no delays.json' '%s' && ! grep -q 'derived from scenario.yaml' '%s' && grep -q 'Sampled trace' '%s'", html, html, html, html, html);
    cr_expect_eq(system(cmd), 0, "the report does not use faults.json and delays.json");
    snprintf(args, sizeof args, "render '%s/trace.jsonl' --format dot --out '%s/t.dot'", out_dir, dir);
    cr_expect_eq(herd(args, NULL, 0), 0);
    snprintf(args, sizeof args, "render '%s/trace.jsonl' --format perfetto --out '%s/t.json'", out_dir, dir);
    cr_expect_eq(herd(args, NULL, 0), 0);
}

Test(trace_sel, id_lists)
{
    herd_trace_range r[HERD_TRACE_RANGES_MAX];
    uint32_t n = 0;
    cr_assert_eq(herd_trace_ranges_add(r, &n, "1,5, 9-12"), 0);
    cr_assert_eq(n, 3);
    cr_expect(r[2].first == 9 && r[2].count == 4);
    char buf[64];
    herd_trace_ranges_fmt(r, n, buf, sizeof buf);
    cr_expect_str_eq(buf, "1,5,9-12");
    cr_expect_eq(herd_trace_ranges_add(r, &n, "none"), 0);
    cr_expect_eq(n, 3);
    static const char *const bad[] = {"", "-1", "3-1", "1,", "a", "1-2-3", "99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t m = 0;
        cr_expect_eq(herd_trace_ranges_add(r, &m, bad[i]), -1, "'%s' accepted", bad[i]);
    }
    herd_trace_ranges_fmt(r, 0, buf, sizeof buf);
    cr_expect_str_eq(buf, "none");
}

Test(delays, percentiles_are_exact_to_the_millisecond)
{
    herd_delays d;
    cr_assert_eq(herd_delays_init(&d, 60 * (herd_time)HERD_US_PER_S), 0);
    for (uint32_t i = 1; i <= 1000; i++) { /* delays 1..1000 ms */
        uint32_t lost = 0;
        herd_delays_lost(&d, &lost, 5 * (herd_time)HERD_US_PER_S);
        cr_assert_eq(d.waiting, 1);
        herd_delays_back(&d, &lost, 5 * (herd_time)HERD_US_PER_S + i * (herd_time)HERD_US_PER_MS);
        cr_assert_eq(lost, 0);
    }
    uint32_t never = 0;
    herd_delays_back(&d, &never, 1); /* a first connection is no sample */
    cr_expect_eq(d.samples, 1000);
    cr_expect_eq(herd_delays_percentile(&d, 500), 500);
    cr_expect_eq(herd_delays_percentile(&d, 900), 900);
    cr_expect_eq(herd_delays_percentile(&d, 990), 990);
    cr_expect_eq(d.max_ms, 1000);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(herd_delays_write_json(&d, f), 0);
    fclose(f);
    cr_expect(strstr(buf, "\"p50_ms\":500,\"p90_ms\":900,\"p99_ms\":990") != NULL, "%s", buf);
    cr_expect(strstr(buf, "\"bucket_ms\":[1.0,") != NULL, "%s", buf);
    free(buf);
    herd_delays_free(&d);
}
