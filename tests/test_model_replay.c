#define _POSIX_C_SOURCE 200809L
/* test_model_replay.c — the independent replay oracle (`herd replay`, cli/cmd_replay.c)
 * against the checker: every broken model's counterexample, written as a trace, must
 * reproduce under replay with the same property at the same step (replay confirms it,
 * exit 0); a trace that claims another property is a mismatch (exit 1); a clean
 * fault-free trace must replay clean. Replay builds its own machines and oracle, so agreement is evidence that the
 * checker's abstractions (canon.c) and the concrete path (path.c) are right. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cex.h"
#include "explore.h"
#include "model_file.h"
#include "world.h"

/* Run `herd replay path`; its exit status, and its stdout in out. */
static int replay(const char *path, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' replay '%s' 2>&1", HERD_EXE, path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_trace(const hm_config *cfg, const char *model, int prop, const hm_label *path, uint32_t len,
                        uint32_t live, char *tmp)
{
    strcpy(tmp, "/tmp/herd-replay-XXXXXX");
    int fd = mkstemp(tmp);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_eq(hm_cex_write(cfg, model, prop, path, len, live, f, NULL), 0);
    fclose(f);
}

/* Load a shipped model (its path into file) and search it; the search must finish. */
static void search_model(const char *name, char *file, size_t size, hm_config *cfg, hm_result *r)
{
    char err[1200];
    hm_expect ex;
    snprintf(file, size, "%s/traces/models/%s.yaml", HERD_SOURCE_DIR, name);
    cr_assert_eq(hm_model_load(file, cfg, &ex, err, sizeof err), 0, "%s", err);
    hm_limits lim = {.max_memory = 1ull << 30, .symmetry = true, .liveness = true};
    cr_assert_eq(hm_explore(cfg, &lim, r), 0);
}

/* Check a broken model, write its counterexample, replay it. */
static void confirm(const char *name, int want)
{
    char file[512], tmp[64], out[8192];
    hm_config cfg;
    hm_result r;
    search_model(name, file, sizeof file, &cfg, &r);
    cr_assert_eq(r.verdict, HM_V_VIOLATION, "%s: verdict %d (%s)", name, r.verdict, r.message);
    cr_assert_eq(r.property, want, "%s: found %s", name, hm_prop_name(r.property));
    write_trace(&cfg, file, r.property, r.path, r.path_len, r.live_suffix, tmp);
    int rc = replay(tmp, out, sizeof out);
    remove(tmp);
    cr_assert_eq(rc, 0, "%s: replay exited %d:\n%s", name, rc, out);
    char needle[64];
    snprintf(needle, sizeof needle, ": %s: ", hm_prop_name(want));
    cr_assert(strstr(out, needle), "%s: replay did not reproduce %s:\n%s", name, hm_prop_name(want), out);
    snprintf(needle, sizeof needle, "confirmed  the trace says %s at step ", hm_prop_name(want));
    cr_assert(strstr(out, needle), "%s: replay did not confirm %s:\n%s", name, hm_prop_name(want), out);
    hm_result_free(&r);
}

/* A trace that claims another property than the one its path violates first: replay
 * exits 1 and names both (it used to exit 1 for any violation, confirming nothing). */
Test(model_replay, other_property_is_a_mismatch)
{
    char file[512], tmp[64], out[8192];
    hm_config cfg;
    hm_result r;
    search_model("ack-before-persist", file, sizeof file, &cfg, &r);
    cr_assert_eq(r.property, HM_P_I5);
    write_trace(&cfg, file, HM_P_I1, r.path, r.path_len, r.live_suffix, tmp);
    int rc = replay(tmp, out, sizeof out);
    remove(tmp);
    cr_assert_eq(rc, 1, "replay exited %d:\n%s", rc, out);
    cr_assert(strstr(out, "MISMATCH   the trace says I1 at step 5; the replay finds I5 at step 4"), "%s", out);
    /* A path cut short of its violation: the claim is not confirmed either. */
    write_trace(&cfg, file, HM_P_I5, r.path, r.path_len - 1u, 0, tmp);
    rc = replay(tmp, out, sizeof out);
    remove(tmp);
    cr_assert_eq(rc, 1, "replay exited %d:\n%s", rc, out);
    cr_assert(strstr(out, "the replay finds no violation"), "%s", out);
    hm_result_free(&r);
}

Test(model_replay, ack_before_persist) { confirm("ack-before-persist", HM_P_I5); }
Test(model_replay, aof_everysec) { confirm("aof-everysec", HM_P_I5); }
Test(model_replay, dedup_none) { confirm("dedup-none", HM_P_I2); }
Test(model_replay, dedup_local_nonsticky) { confirm("dedup-local-nonsticky", HM_P_I2); }
Test(model_replay, dedup_window_short) { confirm("dedup-window-short", HM_P_I2); }
Test(model_replay, no_gap_detection) { confirm("no-gap-detection", HM_P_I6); }
Test(model_replay, resend_off) { confirm("resend-off", HM_P_L1); }
Test(model_replay, forget_unacked) { confirm("forget-unacked", HM_P_I8); }
Test(model_replay, forget_unacked_2servers) { confirm("forget-unacked-2servers", HM_P_I8); }
/* The stories as losses, with I5 not checked: replay must apply the model's selection
 * (or it would find I5 first and not confirm). */
Test(model_replay, ack_before_persist_loss) { confirm("ack-before-persist-loss", HM_P_I1); }
Test(model_replay, aof_everysec_loss) { confirm("aof-everysec-loss", HM_P_I1); }

/* The correct protocol's fault-free schedule to rest, written as a trace: replay must
 * find nothing (the oracle can pass, not only fail). */
Test(model_replay, clean_trace_passes)
{
    hm_config cfg;
    hm_config_defaults(&cfg);
    const char *why;
    cr_assert_eq(hm_config_check(&cfg, &why), 0);
    size_t wb = hm_world_bytes(&cfg);
    hm_world *w = calloc(1, wb);
    cr_assert_eq(hm_world_init(w, &cfg, NULL), 0);
    hm_label path[400];
    uint32_t n = 0;
    while (n < 400 && hm_world_progress(w, &cfg, &path[n])) hm_world_apply(w, &cfg, path[n++], NULL);
    cr_assert(hm_world_quiescent(w, &cfg), "the fault-free schedule did not reach rest in 400 steps");
    cr_assert_eq(hm_props_quiescent(w, &cfg), HM_P_NONE);
    free(w);
    char tmp[64], out[8192];
    write_trace(&cfg, "clean", HM_P_NONE, path, n, 0, tmp);
    int rc = replay(tmp, out, sizeof out);
    remove(tmp);
    cr_assert_eq(rc, 0, "replay exited %d:\n%s", rc, out);
    cr_assert(strstr(out, "clean"), "%s", out);
}
