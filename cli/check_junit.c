/* check_junit.c — a model check as JUnit XML (see check_junit.h).
 *
 * One case per property in the model's `check.properties`. The search stops at the first
 * violation, so:
 *  - expected `pass`: each property passes unless it is the one violated; after a
 *    violation of another property the rest are skipped (not decided);
 *  - expected `violation P`: P's case passes when P is violated (the checker found the bug
 *    it must find) and fails otherwise; a property violated other than P fails; the
 *    others are skipped, since a broken variant's other properties are not the question.
 *  - a search that hit a bound (incomplete) fails every case it did not decide. */
#include "check_junit.h"

#include "junit.h"

#include <inttypes.h>
#include <stdio.h>

#define CASES_MAX (HM_P_COUNT + 1)

int hm_check_junit_write(const char *path, const char *model, const hm_config *cfg, const hm_result *r,
                         const hm_expect *ex, const char *cex_path, bool liveness)
{
    herd_junit_case cases[CASES_MAX];
    char names[CASES_MAX][200], msgs[CASES_MAX][400];
    size_t n = 0;
    char cex[4400];
    if (cex_path) snprintf(cex, sizeof cex, "counterexample of %u steps; replay: herd replay %s", r->path_len, cex_path);
    else snprintf(cex, sizeof cex, "counterexample of %u steps; print it: herd check %s", r->path_len, model);
    bool violated = r->verdict == HM_V_VIOLATION;
    for (int p = HM_P_I1; p <= HM_P_L1; p++) {
        if (!(cfg->props_mask & (1u << p))) continue;
        herd_junit_case *c = &cases[n];
        bool expected_bad = ex->violation && (ex->property == p || (ex->property == HM_P_NONE && violated && r->property == p));
        snprintf(names[n], sizeof names[n], "%s %s: %s", hm_prop_name(p), expected_bad ? "violated" : "holds",
                 hm_prop_title(p));
        *c = (herd_junit_case){.name = names[n], .message = msgs[n]};
        msgs[n][0] = 0;
        if (p == HM_P_L1 && !liveness) {
            c->status = HERD_JUNIT_SKIP;
            snprintf(msgs[n], sizeof msgs[n], "--no-liveness: L1 not checked");
        } else if (violated && r->property == p) {
            c->status = expected_bad ? HERD_JUNIT_PASS : HERD_JUNIT_FAIL;
            snprintf(msgs[n], sizeof msgs[n], "%s violated (%s)", hm_prop_name(p), hm_prop_title(p));
            c->detail = cex;
        } else if (expected_bad) {
            c->status = HERD_JUNIT_FAIL;
            if (violated) snprintf(msgs[n], sizeof msgs[n], "expected a violation of %s; %s was violated first",
                                   hm_prop_name(p), hm_prop_name(r->property));
            else snprintf(msgs[n], sizeof msgs[n], "expected a violation of %s; the search found none (%s, %" PRIu64 " states)",
                          hm_prop_name(p), r->verdict == HM_V_PASS ? "complete" : "incomplete", r->states);
            c->detail = violated ? cex : r->message;
        } else if (violated || ex->violation) {
            c->status = HERD_JUNIT_SKIP;
            snprintf(msgs[n], sizeof msgs[n], "not decided: the search stopped at the first violation");
            if (!violated) snprintf(msgs[n], sizeof msgs[n], "not the property this broken variant is checked for");
        } else if (r->verdict != HM_V_PASS) {
            c->status = HERD_JUNIT_FAIL;
            snprintf(msgs[n], sizeof msgs[n], "search incomplete after %" PRIu64 " states: %s", r->states, r->message);
        } else {
            c->status = HERD_JUNIT_PASS;
            snprintf(msgs[n], sizeof msgs[n], "holds in all %" PRIu64 " states", r->states);
            c->detail = msgs[n];
        }
        n++;
    }
    /* Whatever the cases above could not express (an expected violation of any property
     * that never came, a property not in the list, an internal error) is one more case. */
    bool met = !ex->violation ? r->verdict == HM_V_PASS
                              : violated && (ex->property == HM_P_NONE || ex->property == r->property);
    bool any_fail = false;
    for (size_t i = 0; i < n; i++) any_fail = any_fail || cases[i].status == HERD_JUNIT_FAIL;
    char xname[96], xmsg[400];
    if (!met && !any_fail && n < CASES_MAX) {
        snprintf(xname, sizeof xname, "expectation: %s%s%s", ex->violation ? "violation" : "pass",
                 ex->property ? " " : "", ex->property ? hm_prop_name(ex->property) : "");
        if (violated) snprintf(xmsg, sizeof xmsg, "%s violated", hm_prop_name(r->property));
        else snprintf(xmsg, sizeof xmsg, "verdict %s after %" PRIu64 " states %s",
                      r->verdict == HM_V_PASS ? "pass" : r->verdict == HM_V_LIMIT ? "incomplete" : "error", r->states,
                      r->message);
        cases[n++] = (herd_junit_case){.name = xname, .status = HERD_JUNIT_FAIL, .message = xmsg,
                                       .detail = violated ? cex : r->message};
    }
    char states[24], depth[24];
    snprintf(states, sizeof states, "%" PRIu64, r->states);
    snprintf(depth, sizeof depth, "%u", r->depth);
    herd_junit_prop props[] = {{"protocol", herd_protocol_name(&cfg->proto)},
                               {"states", states},
                               {"depth", depth},
                               {"expect", ex->violation ? "violation" : "pass"}};
    char out[4600];
    snprintf(out, sizeof out, "%s\n", cex);
    herd_junit_suite s = {.name = model, .classname = model, .time_us = (uint64_t)(r->seconds * 1e6),
                          .props = props, .nprops = sizeof props / sizeof props[0], .cases = cases, .ncases = n,
                          .system_out = violated ? out : NULL};
    return herd_junit_write(path, &s);
}
