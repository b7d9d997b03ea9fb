/* test_model_checkpoint.c — a search saved at the end of a level and resumed reports
 * exactly what the uninterrupted search does (figures, verdict, counterexample), however
 * often it is stopped; a checkpoint of another model, of other options or hash seed, or
 * with a changed byte is refused with a message naming what is wrong (model/checkpoint.h). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explore.h"
#include "model_file.h"
#include "world.h"

static hm_config world_of(const char *proto, uint32_t faults)
{
    hm_config cfg;
    hm_config_defaults(&cfg);
    cfg.clients = 2;
    cfg.messages = 1;
    cr_assert_eq(herd_protocol_parse(proto, &cfg.proto), 0);
    for (int f = 0; f < HM_F_COUNT; f++)
        if (faults >> f & 1u) cfg.budget[f] = 1;
    const char *why;
    cr_assert_eq(hm_config_check(&cfg, &why), 0);
    return cfg;
}

static hm_limits limits(void)
{
    return (hm_limits){.max_memory = 1ull << 30, .symmetry = true, .liveness = true, .por = true, .subsume = true,
                       .threads = 2, .model_id = 0x5eed};
}

static void tmp_dir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/herd-ckpt-XXXXXX");
    cr_assert_not_null(mkdtemp(out));
}

static void rm_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void same_result(const hm_result *a, const hm_result *b, const char *what)
{
    cr_assert_eq(a->verdict, b->verdict, "%s", what);
    cr_assert_eq(a->property, b->property, "%s", what);
    cr_assert_eq(a->states, b->states, "%s: states", what);
    cr_assert_eq(a->transitions, b->transitions, "%s: transitions", what);
    cr_assert_eq(a->live_steps, b->live_steps, "%s: L1 steps", what);
    cr_assert_eq(a->reduced, b->reduced, "%s", what);
    cr_assert_eq(a->proviso, b->proviso, "%s", what);
    cr_assert_eq(a->subsumed, b->subsumed, "%s", what);
    cr_assert_eq(a->table_entries, b->table_entries, "%s: table entries", what);
    cr_assert_eq(a->depth, b->depth, "%s: depth", what);
    cr_assert_eq(a->path_len, b->path_len, "%s: path", what);
    for (uint32_t i = 0; i < a->path_len; i++)
        cr_assert(memcmp(&a->path[i], &b->path[i], sizeof(hm_label)) == 0, "%s: step %u differs", what, i);
}

/* Stop at each depth in stops[] (the depth bound, leaving a checkpoint), resume from it,
 * and at the end compare with the search that was never stopped. */
static void resume_same(const char *proto, uint32_t faults, const uint32_t *stops, int n_stops)
{
    hm_config cfg = world_of(proto, faults);
    hm_limits lim = limits();
    hm_result whole, part;
    cr_assert_eq(hm_explore(&cfg, &lim, &whole), 0);
    char dir[64];
    tmp_dir(dir, sizeof dir);
    for (int k = 0; k <= n_stops; k++) {
        hm_limits l = limits();
        l.checkpoint_dir = dir;
        l.resume_dir = k > 0 ? dir : NULL;
        l.max_depth = k < n_stops ? stops[k] : 0;
        cr_assert_eq(hm_explore(&cfg, &l, &part), 0, "%s: %s", proto, part.message);
        if (k < n_stops) {
            cr_assert_eq(part.verdict, HM_V_LIMIT, "%s: stop %d", proto, k);
            cr_assert(part.checkpointed, "%s: the depth bound leaves a checkpoint", proto);
            cr_assert_eq(part.depth, stops[k]);
            hm_result_free(&part);
        }
    }
    cr_assert_eq(part.resumed_depth, stops[n_stops - 1]);
    same_result(&whole, &part, proto);
    hm_result_free(&whole);
    hm_result_free(&part);
    rm_dir(dir);
}

Test(model_checkpoint, resumed_search_is_the_same_search)
{
    const uint32_t once[] = {9}, thrice[] = {3, 11, 20}, early[] = {1};
    resume_same("correct", 1u << HM_F_SERVER_CRASH | 1u << HM_F_DUP, once, 1);
    resume_same("correct", 1u << HM_F_SERVER_CRASH | 1u << HM_F_DUP, thrice, 3);
    resume_same("dedup_none", 1u << HM_F_DROP, once, 1);      /* a safety counterexample after it */
    resume_same("resend_off", 1u << HM_F_SERVER_CRASH, early, 1); /* an L1 counterexample at depth 3 */
}

/* A stop request (what SIGINT/SIGTERM set) ends the search at the end of the level with
 * a checkpoint; the resumed search finishes it. */
Test(model_checkpoint, stop_request_checkpoints_then_stops)
{
    hm_config cfg = world_of("correct", 1u << HM_F_DUP);
    char dir[64];
    tmp_dir(dir, sizeof dir);
    volatile sig_atomic_t stop = 1;
    hm_limits l = limits();
    l.checkpoint_dir = dir;
    l.stop = &stop;
    hm_result r, whole;
    cr_assert_eq(hm_explore(&cfg, &l, &r), 0);
    cr_assert_eq(r.verdict, HM_V_LIMIT);
    cr_assert(r.checkpointed);
    cr_assert(strstr(r.message, "stopped on request at depth 0") != NULL, "%s", r.message);
    hm_limits l2 = limits();
    l2.resume_dir = dir;
    cr_assert_eq(hm_explore(&cfg, &l2, &r), 0);
    hm_limits l3 = limits();
    cr_assert_eq(hm_explore(&cfg, &l3, &whole), 0);
    cr_assert_eq(whole.verdict, HM_V_PASS);
    same_result(&whole, &r, "stop at 0");
    rm_dir(dir);
}

static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fseek(f, at, SEEK_SET), 0);
    int c = fgetc(f);
    cr_assert_neq(c, EOF);
    cr_assert_eq(fseek(f, at, SEEK_SET), 0);
    fputc(c ^ 0x40, f);
    fclose(f);
}

static void refused(const hm_config *cfg, const hm_limits *l, const char *says)
{
    hm_result r;
    cr_assert_eq(hm_explore(cfg, l, &r), -2, "want a refusal that says '%s'", says);
    cr_assert(strstr(r.message, says) != NULL, "'%s' does not say '%s'", r.message, says);
    hm_result_free(&r);
}

Test(model_checkpoint, refuses_what_does_not_belong)
{
    hm_config cfg = world_of("correct", 1u << HM_F_DUP);
    char dir[64], path[128];
    tmp_dir(dir, sizeof dir);
    hm_limits l = limits();
    l.checkpoint_dir = dir;
    l.max_depth = 6;
    hm_result r;
    cr_assert_eq(hm_explore(&cfg, &l, &r), 0);
    cr_assert(r.checkpointed);

    hm_limits want = limits();
    want.resume_dir = dir;
    hm_limits other = want;
    other.model_id = 0xbad;
    refused(&cfg, &other, "another model file");
    other = want;
    other.symmetry = false;
    refused(&cfg, &other, "other options");
    hm_config bigger = world_of("correct", 1u << HM_F_DUP | 1u << HM_F_DROP);
    refused(&bigger, &want, "initial state encodes differently");
    other = want;
    other.hash_seed = 7;
    refused(&cfg, &other, "written with --hash-seed 0, now 7");
    other = want;
    other.resume_dir = "/nonexistent/herd-checkpoint";
    refused(&cfg, &other, "not a checkpoint directory");

    /* A meta written before hash seeds existed has no hash_seed line: it means seed 0. */
    snprintf(path, sizeof path, "%s/meta", dir);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "sed -i '/^hash_seed /d' '%s' && ! grep -q hash_seed '%s'", path, path);
    cr_assert_eq(system(cmd), 0);
    hm_limits plain = limits();
    hm_result whole, resumed;
    cr_assert_eq(hm_explore(&cfg, &plain, &whole), 0);
    cr_assert_eq(hm_explore(&cfg, &want, &resumed), 0, "%s", resumed.message);
    same_result(&whole, &resumed, "resumed from a meta without hash_seed");
    hm_result_free(&whole);
    hm_result_free(&resumed);
    cr_assert_eq(system(cmd), 0, "resuming writes no checkpoint unless asked");

    /* A checkpoint of an older herd (format 2: 64-bit fingerprints, 8-byte table entries)
     * is refused with what to do; so is one whose keys have another width. */
    snprintf(path, sizeof path, "%s/meta", dir);
    snprintf(cmd, sizeof cmd, "sed -i 's/^herd-checkpoint 3$/herd-checkpoint 2/' '%s' && grep -q '^herd-checkpoint 2$' '%s'",
             path, path);
    cr_assert_eq(system(cmd), 0);
    refused(&cfg, &want, "checkpoint format 2, written by an older herd with 64-bit fingerprints");
    snprintf(cmd, sizeof cmd, "sed -i 's/^herd-checkpoint 2$/herd-checkpoint 3/; s/^key_bits 80$/key_bits 64/' '%s' && "
             "grep -q '^key_bits 64$' '%s'", path, path);
    cr_assert_eq(system(cmd), 0);
    refused(&cfg, &want, "its keys have 64 bits, this search's 80");
    snprintf(cmd, sizeof cmd, "sed -i 's/^key_bits 64$/key_bits 80/' '%s'", path);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(hm_explore(&cfg, &want, &resumed), 0, "%s", resumed.message);
    hm_result_free(&resumed);

    snprintf(path, sizeof path, "%s/level.1", dir);
    flip_byte(path, 20);
    refused(&cfg, &want, "level.1: its hash does not match");
    flip_byte(path, 20);
    snprintf(path, sizeof path, "%s/table.1", dir);
    cr_assert_eq(truncate(path, 16), 0);
    refused(&cfg, &want, "table.1: shorter than");
    rm_dir(dir);
}
