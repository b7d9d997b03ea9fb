#!/usr/bin/env bash
# shrink.sh — `herd shrink` end to end (docs/shrinking.md):
#  - a failing swarm seed of two broken variants on the 100 000-client base
#    (traces/scenarios/swarm-100k.yaml): dedup_none (I2) and forget_unacked (I8) each shrink
#    to at most 36 clients and at most two faults, still failing with the same invariant;
#    the shrunk file, run with plain `herd run`, violates that invariant first (the file is
#    read by the real reader: the proof that the writer writes scenarios);
#  - a scenario failing under mobile churn shrinks, and the churn fault is written back;
#  - the same command gives the same file (but for the line naming the file);
#  - a run that violates nothing is refused (exit 1, nothing written), an invalid scenario
#    gives 65 with file:line:col, a bad flag 64 with a suggestion;
#  - --max-runs cuts the search and the file and summary say so;
#  - a run that violates no invariant but fails an expectation (liveness: a metastable
#    fleet asked to recover within 60 s) keeps failing that expectation first.
#   usage: shrink.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
base=$src/traces/scenarios/swarm-100k.yaml

# json_u64 KEY: the first "KEY":N in stdin, N.
json_u64() { grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }

# shrink_case VARIANT SEED INVARIANT
shrink_case() {
    local variant=$1 seed=$2 inv=$3 out=$tmp/$1.yaml start end
    start=$(date +%s)
    "$herd" shrink "$base" --swarm --seed "$seed" --set "protocol=$variant" --out "$out" --json \
        >"$tmp/$variant.json" 2>"$tmp/$variant.err"
    local rc=$?
    end=$(date +%s)
    if [ $rc -ne 0 ] || [ ! -s "$out" ]; then
        bad "$variant seed $seed: herd shrink exit $rc: $(head -c 400 "$tmp/$variant.err")"
        return
    fi
    local j clients faults before
    j=$(cat "$tmp/$variant.json")
    before=$(sed 's/.*"before":{\([^}]*\)}.*/\1/' <<<"$j" | json_u64 clients)
    clients=$(sed 's/.*"after":{\([^}]*\)}.*/\1/' <<<"$j" | json_u64 clients)
    faults=$(sed 's/.*"after":{\([^}]*\)}.*/\1/' <<<"$j" | json_u64 faults)
    grep -q "\"invariant\":\"$inv\"" <<<"$j" || bad "$variant: target is not $inv: $j"
    [ "$before" = 100000 ] || bad "$variant: before has $before clients, want 100000"
    if [ -n "$clients" ] && [ "$clients" -le 36 ] && [ -n "$faults" ] && [ "$faults" -le 2 ]; then
        ok "$variant seed $seed: 100000 clients -> $clients clients, $faults fault(s), $inv kept ($((end - start)) s)"
    else
        bad "$variant seed $seed: shrunk to ${clients:-?} clients, ${faults:-?} faults (want <= 36, <= 2)"
    fi
    # The header says where it came from and how to replay it.
    grep -q "^#   herd run .*swarm-100k.yaml --seed $seed --set protocol=$variant --swarm" "$out" ||
        bad "$variant: the header does not name the original run"
    grep -q "^# Replay: herd run $out" "$out" || bad "$variant: the header has no replay line"
    grep -q "^# It keeps failing with $inv " "$out" || bad "$variant: the header does not name $inv"
    # Replay with plain herd run: the first violation is the same invariant.
    local r
    r=$("$herd" run "$out" --json 2>"$tmp/$variant.run.err")
    rc=$?
    local first
    first=$(grep -o '"first_violation":"[^"]*"' <<<"$r" | head -1)
    if [ $rc -eq 1 ] && grep -q "\"first_violation\":\"$inv " <<<"$first"; then
        ok "$variant: herd run on the shrunk file violates $inv first, exit 1"
    else
        bad "$variant: herd run on the shrunk file: exit $rc, $first"
    fi
}

shrink_case dedup_none 2 I2
shrink_case forget_unacked 1 I8

# A scenario whose failure needs its churn fault: the writer writes churn's own keys
# (fraction, interval, offline as a mapping) and the shrunk file fails the same way. Before
# the writer knew churn, every candidate was refused as "does not run as the original".
mc=$src/traces/scenarios/mobile-churn-forget-unacked.yaml
"$herd" shrink "$mc" --out "$tmp/churn.yaml" --json >"$tmp/churn.json" 2>"$tmp/churn.err"
rc=$?
r=$("$herd" run "$tmp/churn.yaml" --json 2>/dev/null)
if [ $rc -eq 0 ] && grep -q '^- kind: churn' "$tmp/churn.yaml" && grep -q '^    dist: ' "$tmp/churn.yaml" &&
    grep -q '"first_violation":"I8 ' <<<"$r"; then
    ok "a churn scenario shrinks and its churn is written back: $(sed 's/.*"after":{\([^}]*\)}.*/\1/' "$tmp/churn.json" | json_u64 clients) clients, I8 first"
else
    bad "a churn scenario: exit $rc: $(head -c 400 "$tmp/churn.err") $(grep -o '"first_violation":"[^"]*"' <<<"$r")"
fi

# Determinism: the same command, the same file (the replay line names the file).
"$herd" shrink "$base" --swarm --seed 2 --set protocol=dedup_none --out "$tmp/again.yaml" >/dev/null 2>&1
if diff <(grep -v '^# Replay:' "$tmp/dedup_none.yaml") <(grep -v '^# Replay:' "$tmp/again.yaml") >/dev/null; then
    ok "the same command gives the same shrunk scenario"
else
    bad "two runs of the same shrink differ: $(diff "$tmp/dedup_none.yaml" "$tmp/again.yaml" | head -5)"
fi

# Nothing to shrink: the correct protocol on a seed with no violation.
"$herd" shrink "$src/traces/scenarios/swarm-correct.yaml" --seed 1 --out "$tmp/none.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ ! -e "$tmp/none.yaml" ] && grep -q "nothing to shrink" "$tmp/err"; then
    ok "a run that violates nothing: exit 1, nothing written"
else
    bad "a passing run: exit $rc (want 1), file written: $([ -e "$tmp/none.yaml" ] && echo yes || echo no)"
fi

# Invalid input: file:line:col, exit 65, nothing written.
printf 'world:\n  clinets: 10\n' >"$tmp/badkey.yaml"
"$herd" shrink "$tmp/badkey.yaml" --out "$tmp/bad-out.yaml" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 65 ] && grep -q "badkey.yaml:2:3: .*clinets.*did you mean 'clients'" "$tmp/err" && [ ! -e "$tmp/bad-out.yaml" ]; then
    ok "an invalid scenario: exit 65 with file:line:col and a suggestion"
else
    bad "an invalid scenario: exit $rc: $(cat "$tmp/err")"
fi
"$herd" shrink "$base" --same invariants >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 64 ] && grep -q "invariant or verdict" "$tmp/err" && ok "--same invariants: exit 64" ||
    bad "--same invariants: exit $rc: $(cat "$tmp/err")"
"$herd" shrink "$base" --max-run 3 >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 64 ] && grep -q "did you mean '--max-runs'" "$tmp/err" && ok "--max-run: exit 64, did you mean --max-runs" ||
    bad "--max-run: exit $rc: $(cat "$tmp/err")"

# A budget: --max-runs cuts the search, which says so; the file still fails the same way.
sc=$src/traces/scenarios/swarm-correct.yaml
"$herd" shrink "$sc" --swarm --seed 2 --set protocol=dedup_none --max-runs 6 --out "$tmp/cut.yaml" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "cut short: --max-runs reached" "$tmp/out" && grep -q "^# Search: 6 runs.*cut short: --max-runs" "$tmp/cut.yaml"; then
    ok "--max-runs 6: the search stops at 6 runs and says so"
else
    bad "--max-runs 6: exit $rc: $(cat "$tmp/out")"
fi
r=$("$herd" run "$tmp/cut.yaml" --json 2>/dev/null)
grep -q '"first_violation":"I2 ' <<<"$r" && ok "the cut file still violates I2" || bad "the cut file: $(grep -o '"first_violation":"[^"]*"' <<<"$r")"

# --max-time cuts the search too (where depends on the machine: only the message is checked).
# (the liveness shrink below takes about a minute in full).
"$herd" shrink "$src/traces/scenarios/metastable-fixed-1s.yaml" --set expect.recovers_within=60s --max-time 1 \
    --out "$tmp/time.yaml" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "cut short: --max-time reached" "$tmp/out" && grep -q "^# Search: .*cut short: --max-time" "$tmp/time.yaml"; then
    ok "--max-time 1: the search stops and says so"
else
    bad "--max-time 1: exit $rc: $(cat "$tmp/out")"
fi

# No invariant violated, an expectation failed: the expectation is what is kept.
"$herd" shrink "$src/traces/scenarios/metastable-fixed-1s.yaml" --set expect.recovers_within=60s --max-runs 30 \
    --out "$tmp/meta.yaml" --json >"$tmp/meta.json" 2>"$tmp/err"
rc=$?
j=$(cat "$tmp/meta.json")
after=$(sed 's/.*"after":{\([^}]*\)}.*/\1/' <<<"$j" | json_u64 clients)
if [ $rc -eq 0 ] && grep -q '"target":"the expectation .L1 recovers within 60.000s."' <<<"$j" && [ "${after:-25000}" -lt 25000 ]; then
    ok "a liveness failure: the expectation 'L1 recovers within 60.000s' kept, 25000 -> $after clients"
else
    bad "a liveness failure: exit $rc: $j $(cat "$tmp/err")"
fi
r=$("$herd" run "$tmp/meta.yaml" --json 2>/dev/null)
if grep -q '"violations":{"I1":0,"I2":0,"I3":0,"I4":0,"I5":0,"I6":0,"I7":0,"I8":0' <<<"$r" &&
    grep -q '{"name":"L1 recovers within 60.000s","ok":false' <<<"$r"; then
    ok "herd run on it: no invariant violated, L1 within 60 s failed"
else
    bad "herd run on the liveness shrink: $(grep -o '"expectations":.*' <<<"$r" | head -c 300)"
fi

exit $fail
