#!/usr/bin/env bash
# mutant_twins.sh — the scenarios that exist to catch a missing behaviour do catch it.
# Each line of the table below is a scenario, a `--set` that switches the behaviour off
# through configuration (the "twin" of a code mutant in scripts/mutate that removes it
# from src/), and the expectation that must then fail. The scenario must pass as shipped
# (tests/scenarios.sh checks that too) and exit 1 under the twin with that expectation
# not met, so a scenario that stops being sensitive fails here, not silently.
# scripts/mutate proves the same scenarios against the code mutants themselves.
#   usage: mutant_twins.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
# scenario | twin (--set) | expectation that must fail | the code mutant it stands for
cases=(
    "crash-series-stable-reset|client.stable_reset=1h|L1 recovers within|client-no-stable-reset"
    "restart-article-jitter-one-base|client.backoff.jitter=0%|peak attempts/s <=|backoff-no-jitter"
    "graceful-restart-1012-after-crash|faults.1.code=1006|L1 recovers within|client-1012-is-failure"
    "mobile-churn|protocol=forget_unacked|safety holds|client-drop-unacked-on-reconnect"
)
verdict() { sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p'; }
for c in "${cases[@]}"; do
    IFS='|' read -r name twin expect mutant <<<"$c"
    f="$src/traces/scenarios/$name.yaml"
    out=$("$herd" run "$f" --json 2>/dev/null)
    rc=$?
    if [ $rc -ne 0 ] || [ "$(verdict <<<"$out")" != pass ]; then
        echo "FAIL $name: exit $rc as shipped (want 0)"; echo "$out"; fail=1; continue
    fi
    out=$("$herd" run "$f" --set "$twin" --json 2>/dev/null)
    rc=$?
    # the expectation must be present with "ok":false
    if [ $rc -ne 1 ] || ! grep -q "\"name\":\"$expect[^\"]*\",\"ok\":false" <<<"$out"; then
        echo "FAIL $name --set $twin: exit $rc, '$expect' not failed (the scenario no longer catches $mutant)"
        echo "$out"; fail=1; continue
    fi
    echo "ok   $name: passes; --set $twin fails '$expect' (twin of $mutant)"
done
exit $fail
