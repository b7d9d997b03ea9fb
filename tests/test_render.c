/* test_render.c — render/ without the browser: reading run directories (required files,
 * the optional ones of docs/rendering.md's contract, every malformed input as exit 65),
 * the capacity and fault bands derived from scenario.yaml, the HTML page's promises
 * (self-contained, notes for what is missing), SYN drops shown by cause (the accept-queue
 * card and series count only backlog-full drops; older run directories show their total
 * as that), servers.csv and the interactive page's data, number formatting, the trace
 * charts and the state diagrams' dot.
 * tests/render.sh does the end-to-end part (real runs, xmllint, dot, JSON parsing, a
 * Chromium screenshot). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "exitcode.h"
#include "render.h"
#include "trace.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static const char metrics_csv[] =
    "t_s,attempts,syns,syn_drops,accepts,wasted_handshakes,refused,published,backpressure,acked,delivered,gaps,"
    "connected,queued,accept_queue,sessions\n"
    "0.5,100,100,0,100,0,0,1,0,1,10,0,100,0,0,100\n"
    "1.0,50,50,0,50,0,0,1,0,1,10,0,150,0,0,150\n"
    "1.5,900,900,300,200,40,0,1,0,1,10,0,10,5,800,10\n"
    "2.0,400,400,100,400,20,0,1,0,1,10,0,400,2,100,400\n";

static const char summary_json[] =
    "{\"verdict\":\"fail\",\"seed\":7,\"clients\":400,\"peak_attempts_per_s\":1800,\"last_heal_s\":1.500000,"
    "\"time_to_recover_s\":0.250000,\"trace_hash\":\"abc\",\"violations\":{\"I1\":0,\"I2\":1},"
    "\"expectations\":[{\"name\":\"safety holds\",\"ok\":false,\"detail\":\"I2 violated <once>\"},"
    "{\"name\":\"L1 recovers\",\"ok\":true,\"detail\":\"0.25s\"}]}\n";

static const char scenario_yaml[] =
    "run:\n  duration: 2s\nworld:\n  servers: 2\naccept:\n  workers: 4\n  handshake: 1ms\n"
    "client:\n  backoff:\n    policy: fixed\n    base: 1s\n"
    "faults:\n- kind: crash\n  at: 1s\n  duration: 500ms\n  servers: '0'\n";

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/herd-test-render-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    put("metrics.csv", metrics_csv);
    put("summary.json", summary_json);
    put("scenario.yaml", scenario_yaml);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(render, .init = setup, .fini = teardown);

static herd_run run;

static int load(char *err, size_t len)
{
    return herd_run_load(&run, dir, err, len);
}

Test(render, reads_a_run_directory)
{
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    cr_assert_eq(run.rows, 4);
    cr_assert_float_eq(run.interval_s, 0.5, 1e-9);
    cr_assert_str_eq(run.verdict, "fail");
    cr_assert_eq(run.expect_count, 2);
    cr_assert_eq(run.expects[0].ok, 0);
    cr_assert_eq(run.expects[1].ok, 1);
    cr_assert_eq(run.violation_count, 2);
    double v;
    cr_assert(herd_run_figure(&run, "peak_attempts_per_s", &v));
    cr_assert_float_eq(v, 1800, 1e-9);
    cr_assert_not(herd_run_figure(&run, "trace_hash", &v), "not a number");
    cr_assert_str_eq(run.policy, "backoff fixed, base 1s");
    cr_assert_float_eq(run.duration_s, 2.0, 1e-9);
    cr_assert_not(run.has_delays);
    herd_run_free(&run);
}

/* 2 servers x 4 workers / 1 ms = 8000/s; server 0 down from 1 s to 1.5 s halves it. */
Test(render, derives_capacity_and_bands_from_the_scenario)
{
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    cr_assert_not(run.capacity_measured);
    cr_assert_not_null(run.col[HERD_S_CAPACITY]);
    cr_assert_float_eq(run.col[HERD_S_CAPACITY][0], 8000, 1e-6);
    cr_assert_float_eq(run.col[HERD_S_CAPACITY][2], 4000, 1e-6, "row ending 1.5 s is inside the crash");
    cr_assert_float_eq(run.col[HERD_S_CAPACITY][3], 8000, 1e-6);
    cr_assert_eq(run.band_count, 1);
    cr_assert_not(run.bands_from_file);
    cr_assert_float_eq(run.bands[0].start_s, 1.0, 1e-9);
    cr_assert_float_eq(run.bands[0].end_s, 1.5, 1e-9);
    cr_assert_str_eq(run.bands[0].kind, "crash");
    herd_run_free(&run);
}

Test(render, uses_the_optional_files_when_present)
{
    put("faults.json", "{\"bands\":[{\"kind\":\"partition\",\"start_s\":0.2,\"end_s\":0.9,\"label\":\"clients <-> lb\"},"
                       "{\"kind\":\"store_crash\",\"start_s\":1.2,\"end_s\":1.2,\"label\":\"\"}]}\n");
    put("delays.json", "{\"what\":\"disconnect to live\",\"bucket_ms\":[0,100,200,400,800],\"counts\":[10,20,60,10]}\n");
    const char *cap = "t_s,attempts,capacity_per_s\n1,5,1000\n2,6,0\n";
    put("metrics.csv", cap);
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    cr_assert(run.bands_from_file);
    cr_assert_eq(run.band_count, 2, "faults.json replaces the scenario's bands");
    cr_assert_str_eq(run.bands[0].label, "clients <-> lb");
    cr_assert(run.capacity_measured);
    cr_assert_float_eq(run.col[HERD_S_CAPACITY][1], 0, 1e-9);
    cr_assert_null(run.col[HERD_S_CONNECTED], "an absent column stays absent");
    cr_assert(run.has_delays);
    cr_assert_eq(run.bucket_count, 4);
    cr_assert_not(run.pct_given);
    cr_assert_float_eq(run.pct_ms[0], 200 + 200 * (20.0 / 60.0), 1e-6, "p50 inside the 200-400 bucket");
    cr_assert_float_eq(run.pct_ms[2], 800 - 400 * 0.1, 1e-6, "p99: 90%% of the last bucket");
    herd_run_free(&run);
}

Test(render, percentiles_from_the_file_win)
{
    put("delays.json", "{\"bucket_ms\":[1,2],\"counts\":[5],\"p50_ms\":1.5,\"p90_ms\":1.9,\"p99_ms\":1.99}");
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    cr_assert(run.pct_given);
    cr_assert_float_eq(run.pct_ms[1], 1.9, 1e-9);
    herd_run_free(&run);
}

struct bad_case {
    const char *file, *text, *message;
};

Test(render, malformed_inputs_are_exit_65_with_the_file)
{
    static const struct bad_case cases[] = {
        {"metrics.csv", "t_s,attempts\n0.1,3\n0.2,x\n", "metrics.csv:3: 'x' is not a number"},
        {"metrics.csv", "t_s,attempts\n0.1,3\n0.2\n", "metrics.csv:3: expected as many fields"},
        {"metrics.csv", "attempts\n3\n", "no t_s column"},
        {"metrics.csv", "t_s,attempts\n", "no rows"},
        {"metrics.csv", "t_s\n0.2\n0.1\n", "t_s does not increase"},
        {"summary.json", "{\"verdict\": [", "summary.json:"},
        {"summary.json", "{\"seed\":1}", "no \"verdict\""},
        {"delays.json", "{\"bucket_ms\":[0,1],\"counts\":[1,2]}", "delays.json: needs"},
        {"faults.json", "{\"bands\":[{\"start_s\":2,\"end_s\":1}]}", "start_s <= end_s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup();
        put(cases[i].file, cases[i].text);
        char err[1400] = "";
        cr_assert_eq(load(err, sizeof err), HERD_EXIT_DATAERR, "case %zu: exit 65", i);
        cr_assert(strstr(err, cases[i].message), "case %zu: '%s' lacks '%s'", i, err, cases[i].message);
        teardown();
    }
    setup(); /* for the suite's teardown */
}

Test(render, a_missing_directory_or_file_is_exit_65)
{
    char err[1400] = "";
    cr_assert_eq(herd_run_load(&run, "/nonexistent/run", err, sizeof err), HERD_EXIT_DATAERR);
    cr_assert(strstr(err, "not a run directory"), "%s", err);
    char path[512];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    unlink(path);
    cr_assert_eq(load(err, sizeof err), HERD_EXIT_DATAERR);
    cr_assert(strstr(err, "no metrics.csv"), "%s", err);
}

Test(render, the_page_is_self_contained_and_says_what_is_missing)
{
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    herd_sbuf b;
    herd_sbuf_init(&b);
    const herd_run *p = &run;
    herd_report_html(&b, &p, 1, false);
    cr_assert_eq(b.error, 0);
    cr_assert(strstr(b.p, "<!DOCTYPE html>") == b.p);
    cr_assert(strstr(b.p, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\""));
    cr_assert_null(strstr(b.p, "<script"), "no scripts");
    cr_assert_null(strstr(b.p, "src="), "no external resources");
    cr_assert_null(strstr(b.p, "href="), "no links to fetch");
    cr_assert_null(strstr(b.p, "@import"));
    cr_assert(strstr(b.p, "I2 violated &lt;once&gt;"), "text is escaped");
    cr_assert(strstr(b.p, "no delays.json"), "the missing histogram is explained");
    cr_assert(strstr(b.p, "derived from scenario.yaml"));
    cr_assert(strstr(b.p, "FAIL"));
    cr_assert(strstr(b.p, "crash: servers 0"), "the fault band is labelled");
    herd_sbuf_free(&b);
    herd_run_free(&run);
}

Test(render, a_comparison_overlays_every_run)
{
    char err[1400] = "";
    static herd_run a, c;
    cr_assert_eq(herd_run_load(&a, dir, err, sizeof err), 0, "%s", err);
    put("delays.json", "{\"bucket_ms\":[10,100,1000],\"counts\":[3,4]}");
    cr_assert_eq(herd_run_load(&c, dir, err, sizeof err), 0, "%s", err);
    snprintf(c.name, sizeof c.name, "second");
    const herd_run *runs[2] = {&a, &c};
    herd_sbuf b;
    herd_sbuf_init(&b);
    herd_report_html(&b, runs, 2, false);
    cr_assert(strstr(b.p, "Comparison"));
    cr_assert(strstr(b.p, "second"));
    cr_assert(strstr(b.p, "cumulative share per run"), "CDFs when any run has delays");
    cr_assert(strstr(b.p, herd_run_colour(1)));
    herd_sbuf_free(&b);
    herd_run_free(&a);
    herd_run_free(&c);
}

/* The case of issue 16: 2 919 SYNs dropped by loss and a cut while the accept queue never
 * held more than 2. Columns and figures as `herd run --out` writes them. */
static const char drops_csv[] =
    "t_s,attempts,syns,syn_drops,accepts,wasted_handshakes,refused,published,backpressure,acked,delivered,gaps,"
    "connected,queued,accept_queue,sessions,capacity_per_s,syn_drops_backlog_full,syn_drops_lb_down,"
    "syn_drops_lb_rate_limited,syn_drops_net_loss,syn_drops_partition\n"
    "0.5,100,100,0,100,0,0,1,0,1,10,0,100,0,0,100,8000,0,0,0,0,0\n"
    "1.0,1100,1100,1000,100,0,0,1,0,1,10,0,200,0,2,200,8000,0,0,0,1000,0\n"
    "1.5,1917,1917,1817,100,0,0,1,0,1,10,0,300,0,1,300,8000,0,0,0,1715,102\n"
    "2.0,202,202,102,100,0,0,1,0,1,10,0,400,0,0,400,8000,0,0,0,102,0\n";

static const char drops_summary[] =
    "{\"verdict\":\"pass\",\"seed\":1,\"clients\":400,\"syn_drops\":2919,\"syn_drops_backlog_full\":0,"
    "\"syn_drops_lb_down\":0,\"syn_drops_lb_rate_limited\":0,\"syn_drops_net_loss\":2817,"
    "\"syn_drops_partition\":102,\"violations\":{\"I1\":0},\"expectations\":[]}\n";

/* The number in bold on the card whose label holds `label` (the first one on the page). */
static void card_value(const char *html, const char *label, char *out, size_t size)
{
    const char *at = strstr(html, label), *b = NULL;
    cr_assert_not_null(at, "no card says '%s'", label);
    for (const char *p = strstr(html, "<b>"); p && p < at; p = strstr(p + 3, "<b>")) b = p + 3;
    cr_assert_not_null(b);
    size_t n = strcspn(b, "<");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), b);
}

static char *page_of(const herd_run *r)
{
    herd_sbuf b;
    herd_sbuf_init(&b);
    herd_report_html(&b, &r, 1, false);
    cr_assert_eq(b.error, 0);
    return b.p;
}

Test(render, the_accept_queue_full_card_and_series_count_only_backlog_full_drops)
{
    put("metrics.csv", drops_csv);
    put("summary.json", drops_summary);
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    char *html = page_of(&run);
    char v[48];
    card_value(html, "accept queue full", v, sizeof v);
    cr_expect_str_eq(v, "0", "the accept-queue card shows %s: drops from loss and a cut are not overflow", v);
    cr_expect(strstr(html, "accept queue full/s <tspan class=\"muted\">(0 throughout)"),
              "the accept-queue overflow series is 0 throughout");
    cr_expect(strstr(html, "network loss 2,817 · partition 102"), "the card names the other causes");
    cr_expect(strstr(html, ">network loss/s</text>") && strstr(html, ">partition/s</text>"),
              "loss and partition drops are drawn, under their own labels");
    free(html);
    herd_run_free(&run);
}

Test(render, reads_the_syn_drop_columns_by_cause)
{
    put("metrics.csv", drops_csv);
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    static const int cols[] = {HERD_S_SYN_DROPS_BACKLOG_FULL, HERD_S_SYN_DROPS_LB_DOWN,
                               HERD_S_SYN_DROPS_LB_RATE_LIMITED, HERD_S_SYN_DROPS_NET_LOSS, HERD_S_SYN_DROPS_PARTITION};
    static const double want[] = {0, 0, 0, 2817, 102};
    for (size_t k = 0; k < 5; k++) {
        cr_assert_not_null(run.col[cols[k]]);
        double sum = 0;
        for (size_t i = 0; i < run.rows; i++) sum += run.col[cols[k]][i];
        cr_expect_float_eq(sum, want[k], 1e-9, "column %zu", k);
    }
    herd_run_free(&run);
}

Test(render, an_older_run_directory_shows_its_syn_drops_as_all_causes)
{
    /* The fixture's metrics.csv predates the by-cause columns. */
    put("summary.json", "{\"verdict\":\"pass\",\"syn_drops\":400,\"violations\":{},\"expectations\":[]}\n");
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    cr_assert_null(run.col[HERD_S_SYN_DROPS_BACKLOG_FULL]);
    char *html = page_of(&run);
    char v[48];
    card_value(html, "SYNs dropped, all causes (no breakdown in this run)", v, sizeof v);
    cr_expect_str_eq(v, "400");
    cr_expect(strstr(html, "accept queue full/s <tspan class=\"muted\">(absent)"), "not drawn as 0");
    cr_expect(strstr(html, "SYNs dropped, all causes (per second; this run directory has no breakdown by cause)"));
    cr_expect_null(strstr(html, "SYNs dropped by the network"), "no by-cause panels without the columns");
    free(html);
    static herd_run c;
    put("metrics.csv", drops_csv);
    cr_assert_eq(herd_run_load(&c, dir, err, sizeof err), 0, "%s", err);
    snprintf(c.name, sizeof c.name, "newer");
    snprintf(run.name, sizeof run.name, "older");
    const herd_run *runs[2] = {&run, &c};
    herd_sbuf b;
    herd_sbuf_init(&b);
    herd_report_html(&b, runs, 2, false);
    cr_expect(strstr(b.p, "not in the run directory: older"), "a comparison says which run lacks the column");
    herd_sbuf_free(&b);
    herd_run_free(&c);
    herd_run_free(&run);
}

/* servers.csv: counters per second, gauges as measured, and the first violation's clients;
 * the interactive page carries them as JSON that no string in it can close early. */
Test(render, the_interactive_page_carries_servers_and_the_first_violation)
{
    put("servers.csv", "t_s,server,up,accept_queue,handshakes\n"
                       "0.5,0,1,3,10\n0.5,1,1,0,20\n1.0,0,0,7,0\n1.0,1,1,1,5\n");
    put("summary.json", "{\"verdict\":\"pass\",\"seed\":3,\"first_violation\":\"I2 dup </script><b>\","
                        "\"first_violation_at_s\":1.25,\"first_violation_clients\":[4,9],\"first_violation_room\":2,"
                        "\"violations\":{\"I2\":1},\"expectations\":[]}\n");
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), 0, "%s", err);
    const herd_servers *s = run.servers;
    cr_assert_not_null(s);
    cr_assert_eq(s->server_count, 2);
    cr_assert_eq(s->cols, 2);
    cr_assert_eq(s->metric_count, 3);
    cr_expect_str_eq(s->metric[2], "handshakes");
    cr_expect(!s->rate[1] && s->rate[2], "accept_queue a gauge, handshakes a counter");
    cr_expect_float_eq(s->v[1][0 * s->cols + 1], 7, 1e-6, "server 0's accept queue at 1.0 s");
    cr_expect_float_eq(s->v[2][1 * s->cols + 0], 40, 1e-6, "server 1: 20 handshakes in 0.5 s is 40/s");
    cr_expect_eq(run.violator_count, 2);
    cr_expect_eq(run.violators[1], 9);
    herd_sbuf b;
    herd_sbuf_init(&b);
    const herd_run *p = &run;
    herd_report_html(&b, &p, 1, true);
    cr_assert_eq(b.error, 0);
    if (herd_report_interactive_available()) {
        const char *json = strstr(b.p, "<script type=\"application/json\" id=\"herd-data\">");
        cr_assert_not_null(json);
        const char *end = strstr(json, "</script>");
        cr_assert_not_null(strstr(json, "\\u003c/script>\\u003cb>"), "'<' in a string is escaped");
        cr_expect(strstr(json, "\"inv\":\"I2\"") && strstr(json, "\"clients\":[4,9]"), "the violation and its clients");
        cr_expect(strstr(json, "--trace-clients 4,9"), "the replay traces exactly them");
        cr_expect(strstr(json, "\"metrics\":[{\"key\":\"up\""), "the per-server metrics");
        const char *body = strchr(json, '>') + 1;
        cr_expect_null(memchr(body, '<', (size_t)(end - body)), "no '<' inside the data: nothing closes it early");
        cr_expect(strstr(b.p, "uPlot (v1.6.32)"), "uPlot inline");
        cr_expect_null(strstr(b.p, "<script src"), "no external script");
    } else {
        cr_expect(strstr(b.p, "this herd was built without uPlot"), "the fallback says why");
        cr_expect_null(strstr(b.p, "<script"));
    }
    herd_sbuf_free(&b);
    herd_run_free(&run);
}

/* 2 500 intervals fold into equal columns of 3 (the strip holds at most 1 000), each the
 * largest of its intervals: the columns keep one span, so they sit under their times. */
Test(render, a_long_servers_csv_folds_into_equal_columns)
{
    herd_sbuf csv;
    herd_sbuf_init(&csv);
    herd_sbuf_puts(&csv, "t_s,server,accept_queue\n");
    for (int i = 1; i <= 2500; i++) herd_sbuf_printf(&csv, "%.1f,0,%d\n", i * 0.1, i == 1234 ? 99 : 1);
    put("servers.csv", csv.p);
    herd_sbuf_free(&csv);
    herd_servers *s = NULL;
    char err[1400] = "";
    cr_assert_eq(herd_servers_load(&s, dir, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s->intervals_per_col, 3);
    cr_expect_eq(s->cols, 834);
    cr_expect_float_eq(s->t[0], 0.3, 1e-9);
    cr_expect_float_eq(s->t[1] - s->t[0], 0.3, 1e-9, "equal columns");
    cr_expect_float_eq(s->t[833], 250.0, 1e-9, "the last column ends with the run");
    cr_expect_float_eq(s->v[0][411], 99, 1e-6, "interval 1234 (index 1233) is in column 411, its peak kept");
    herd_servers_free(s);
}

Test(render, a_malformed_servers_csv_is_named)
{
    put("servers.csv", "t_s,server,accept_queue\n0.5,0,3\n0.5,x,1\n");
    char err[1400] = "";
    cr_assert_eq(load(err, sizeof err), HERD_EXIT_DATAERR);
    cr_expect(strstr(err, "servers.csv:3") && strstr(err, "'x'"), "%s", err);
    put("servers.csv", "t_s,server,accept_queue\n0.5,0,3\n0.5,1,y\n");
    cr_assert_eq(load(err, sizeof err), HERD_EXIT_DATAERR);
    cr_expect(strstr(err, "servers.csv:3") && strstr(err, "'y'"), "%s", err);
}

Test(render, numbers_for_people)
{
    char s[64];
    herd_fmt_num(1234567, s, sizeof s);
    cr_assert_str_eq(s, "1,234,567");
    herd_fmt_num(-1000, s, sizeof s);
    cr_assert_str_eq(s, "-1,000");
    herd_fmt_num(0.5, s, sizeof s);
    cr_assert_str_eq(s, "0.5");
    herd_fmt_tick(1500, s, sizeof s);
    cr_assert_str_eq(s, "1.5k");
    herd_fmt_tick(2000000, s, sizeof s);
    cr_assert_str_eq(s, "2M");
    cr_assert_float_eq(herd_nice_step(163275, 4), 50000, 1e-9);
    cr_assert_float_eq(herd_nice_step(120, 12), 10, 1e-9);
    cr_assert_float_eq(herd_nice_step(0, 4), 1, 1e-9);
}

Test(render, escaping)
{
    herd_sbuf b;
    herd_sbuf_init(&b);
    herd_sbuf_xml(&b, "a<b & \"c\"");
    herd_sbuf_puts(&b, "|");
    herd_sbuf_dotstr(&b, "say \"hi\"\\");
    cr_assert_str_eq(b.p, "a&lt;b &amp; &quot;c&quot;|say \\\"hi\\\"\\\\");
    herd_sbuf_free(&b);
}

Test(render, state_diagrams_name_every_state)
{
    herd_sbuf b;
    herd_sbuf_init(&b);
    herd_states_dot(&b, "client");
    static const char *const states[] = {"DISCONNECTED", "BACKOFF", "CONNECTING", "RESUMING", "LIVE", "STOPPED"};
    for (size_t i = 0; i < 6; i++) cr_assert(strstr(b.p, states[i]), "%s", states[i]);
    cr_assert(strstr(b.p, "digraph"));
    herd_sbuf_free(&b);
    herd_sbuf_init(&b);
    herd_states_dot(&b, "session");
    cr_assert(strstr(b.p, "RESUME{lastSeenId}"));
    cr_assert(strstr(b.p, "CLOSED"));
    herd_sbuf_free(&b);
}

/* A two-record trace written with lib/trace.h, drawn both ways. */
static void write_trace(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    herd_trace_header h;
    herd_trace_header_init(&h, "model");
    herd_trace_header_str(&h, "property", "I5");
    cr_assert_eq(herd_trace_write_header(f, &h), 0);
    herd_trace_rec r = {.step = 0, .what = HERD_TRACE_INPUT, .has = HERD_TF_NOW};
    snprintf(r.actor, sizeof r.actor, "client:0");
    snprintf(r.name, sizeof r.name, "start");
    cr_assert_eq(herd_trace_write_rec(f, &r), 0);
    r = (herd_trace_rec){.step = 1, .what = HERD_TRACE_EFFECT, .has = HERD_TF_CONN | HERD_TF_FRAME | HERD_TF_MSG,
                         .conn = 1, .frame = 3, .msg = herd_msg_make(0, 1)};
    snprintf(r.actor, sizeof r.actor, "server:0/client:0");
    snprintf(r.name, sizeof r.name, "send");
    cr_assert_eq(herd_trace_write_rec(f, &r), 0);
    r = (herd_trace_rec){.step = 2, .what = HERD_TRACE_END, .has = HERD_TF_TEXT | HERD_TF_QUIESCENT};
    snprintf(r.actor, sizeof r.actor, "world");
    snprintf(r.name, sizeof r.name, "I5");
    snprintf(r.text, sizeof r.text, "I5 violated");
    cr_assert_eq(herd_trace_write_rec(f, &r), 0);
    fclose(f);
}

Test(render, trace_charts)
{
    char path[512], err[1400] = "";
    snprintf(path, sizeof path, "%s/t.jsonl", dir);
    write_trace(path);
    herd_sbuf b;
    herd_sbuf_init(&b);
    cr_assert_eq(herd_msc_dot(&b, path, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(b.p, "client 0"));
    cr_assert(strstr(b.p, "server 0"));
    cr_assert(strstr(b.p, "ACK msg 0:1 (conn 1) (never arrived)"), "an unreceived send is drawn where it was sent");
    cr_assert(strstr(b.p, "#D55E00"), "the violating step is highlighted");
    herd_sbuf_free(&b);
    herd_sbuf_init(&b);
    cr_assert_eq(herd_perfetto_json(&b, path, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(b.p, "\"traceEvents\":["));
    cr_assert(strstr(b.p, "\"name\":\"client 0\""));
    cr_assert(strstr(b.p, "\"s\":\"g\""), "the end is a global instant");
    herd_sbuf_free(&b);
}

Test(render, bad_traces_are_exit_65)
{
    char path[512], err[1400] = "";
    snprintf(path, sizeof path, "%s/bad.jsonl", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"format\":\"herd-trace\",\"version\":1}\n{\"step\":x}\n", f);
    fclose(f);
    herd_sbuf b;
    herd_sbuf_init(&b);
    cr_assert_eq(herd_msc_dot(&b, path, err, sizeof err), HERD_EXIT_DATAERR);
    cr_assert(strstr(err, "bad.jsonl:2"), "%s", err);
    cr_assert_eq(herd_perfetto_json(&b, "/nonexistent.jsonl", err, sizeof err), HERD_EXIT_DATAERR);
    f = fopen(path, "w");
    fputs("{\"format\":\"something-else\"}\n", f);
    fclose(f);
    cr_assert_eq(herd_msc_dot(&b, path, err, sizeof err), HERD_EXIT_DATAERR);
    cr_assert(strstr(err, "not a herd trace"), "%s", err);
    herd_sbuf_free(&b);
}
