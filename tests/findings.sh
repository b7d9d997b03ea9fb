#!/usr/bin/env bash
# findings.sh — what docs/findings.md relies on beyond each scenario's own expect: block
# (tests/scenarios.sh runs every traces/scenarios/*.yaml, these included):
#  1. the swarm: the correct protocol over seeds 1..50 of randomised faults keeps safety
#     and recovers (the full 1 000 seeds: ctest -C full -L full);
#  2. the swarm catches a broken variant (dedup_none) on some seed, and prints the replay
#     command, which reproduces the violation;
#  3. a retention shorter than the outage gives explicit GAPs (metrics.csv), never a
#     silent skip (the scenario's expect: block says safety holds);
#  4. `herd run --junit` and `herd check --junit` on a directory of scenarios and models,
#     as docs/ci.md's job does: well-formed XML, one failing case where a run fails.
#   usage: findings.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME COND...
    local name=$1; shift
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}

# 1. The swarm, CI range.
"$src/scripts/swarm" --herd "$herd" --from 1 --to 50 >"$tmp/swarm.txt" 2>&1
rc=$?
cat "$tmp/swarm.txt"
check "swarm seeds 1..50: correct protocol, no violation" test $rc -eq 0

# 2. The swarm catches dedup_none; its replay command reproduces the violation.
"$src/scripts/swarm" --herd "$herd" --from 1 --to 10 --set protocol=dedup_none --expect-violation >"$tmp/broken.txt" 2>&1
rc=$?
cat "$tmp/broken.txt"
check "swarm catches dedup_none within seeds 1..10" test $rc -eq 0
replay=$(sed -n 's/^ *replay: herd run //p' "$tmp/broken.txt" | head -1)
if [ -n "$replay" ]; then
    # in $tmp: the replay line writes its trace to a new directory (herd-replay-...)
    mkdir -p "$tmp/replay" && ln -sfn "$src/traces" "$tmp/replay/traces"
    (cd "$tmp/replay" && eval "\"$herd\" run $replay --json" >"$tmp/replay.json" 2>/dev/null)
    check "the printed replay command reproduces the violation (exit 1, I2)" \
        grep -q '"I2":[1-9]' "$tmp/replay.json"
else
    check "a replay command was printed" false
fi

# 3. Retention shorter than the outage: GAPs are signalled.
"$herd" run "$src/traces/scenarios/mobile-45s-retention-short.yaml" --out "$tmp/ret" >/dev/null 2>&1
gaps=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "gaps") c = i; next } { s += $c } END { print s + 0 }' \
    "$tmp/ret/metrics.csv" 2>/dev/null)
echo "mobile-45s-retention-short: ${gaps:-?} GAPs signalled"
check "retention shorter than the outage: explicit GAPs (> 0), safety holds" test "${gaps:-0}" -gt 0

# 4. JUnit over a directory, as in docs/ci.md.
for f in "$src"/traces/scenarios/store-*.yaml; do
    "$herd" run "$f" --junit "$tmp/junit/run-$(basename "$f" .yaml).xml" >/dev/null 2>&1
done
"$herd" run "$src/traces/scenarios/store-pg-sync-crash.yaml" --set store.durability=aof_everysec \
    --junit "$tmp/junit/run-failing.xml" >/dev/null 2>"$tmp/failing.err"
check "a failing run exits 1 and prints its replay command" grep -q '^replay: herd run ' "$tmp/failing.err"
for m in dedup-none aof-everysec; do
    "$herd" check "$src/traces/models/$m.yaml" --junit "$tmp/junit/check-$m.xml" >/dev/null 2>&1
done
n=0
for x in "$tmp"/junit/*.xml; do
    xmllint --noout "$x" || { echo "not well-formed: $x"; fail=1; }
    n=$((n + 1))
done
check "6 JUnit files, all well-formed" test $n -eq 6
check "the failing run is one failing test case" grep -q 'failures="1"' "$tmp/junit/run-failing.xml"
check "the passing runs have no failure" bash -c "! grep -l '<failure' $tmp/junit/run-store-*.xml"
exit $fail
