#!/usr/bin/env bash
# failtrace.sh — from a failed run to its sequence chart in one step (issue 20). A shipped
# broken variant (lb-ack-before-persist-sticky.yaml, expecting the wrong invariant so the
# run fails) violates I5 first for client 982, outside the default traced clients 0-4.
# Its printed `replay:` line must carry --out and --trace-clients 982 (from the report's
# structured first_violation_clients, also in --json), and, run exactly as printed (eval),
# write a trace whose `chart:` line, run as printed, draws a chart of exactly client 982:
# its one client lifeline, the violation's box, the virtual times in the margin, and every
# lifeline under its header box (tests/msc_align.py). The negative check: the same replay
# line without --trace-clients yields a chart without client 982, which the predicate
# refuses, so the predicate can fail.
#   usage: failtrace.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$(realpath "$1")
src=$(realpath "$2")
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
# the printed lines name `herd`: run them with the binary under test
run_line() { local line=$1; eval "\"$herd\" ${line#herd }"; }

cd "$tmp" && ln -s "$src/traces" traces
"$herd" run traces/scenarios/lb-ack-before-persist-sticky.yaml --set expect.violates=I3 --json >run.json 2>run.err
rc=$?
[ $rc -eq 1 ] && ok "the run fails (exit 1)" || bad "the run exited $rc, want 1"
python3 - run.json <<'PY' && ok "--json names the first violation's clients as numbers: [982], room 182" || bad "first_violation_clients"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["first_violation_clients"] == [982], d.get("first_violation_clients")
assert d["first_violation_room"] == 182, d.get("first_violation_room")
assert d["first_violation"].startswith("I5 "), d["first_violation"]
PY
replay=$(sed -n 's/^replay: //p' run.err)
chart=$(sed -n 's/^chart: //p' run.err)
echo "  replay: $replay"
echo "  chart:  $chart"
case "$replay" in
*" --out herd-replay-lb-ack-before-persist-sticky-1 --trace-clients 982") ok "the replay line adds --out and --trace-clients 982" ;;
*) bad "the replay line lacks --out DIR --trace-clients 982" ;;
esac

# names_violator SVG: the chart has exactly one client lifeline, client 982, and the violation
names_violator() {
    [ -s "$1" ] && [ "$(grep -oE '>client [0-9]+</text>' "$1" | sort -u)" = ">client 982</text>" ] &&
        grep -q 'I5 ACK after durability violated' "$1"
}

run_line "$replay" >replay.out 2>replay.err
rc=$?
[ $rc -eq 1 ] && ok "the replay line, run as printed, fails the same way (exit 1)" || bad "replay exited $rc"
grep -q '"transition":"violation"' herd-replay-lb-ack-before-persist-sticky-1/trace.jsonl &&
    ok "its trace marks the violation" || bad "no violation record in the replay's trace"
start=$(date +%s%N)
run_line "$chart" >/dev/null || bad "the chart line exited $?"
echo "  chart drawn in $(( ($(date +%s%N) - start) / 1000000 )) ms"
svg=herd-replay-lb-ack-before-persist-sticky-1/chart.svg
names_violator "$svg" && ok "the chart draws exactly client 982 and the violation" || bad "the chart does not draw client 982 alone"
grep -q '>1\.024985 s</text>' "$svg" && ok "the margin carries virtual times (1.024985 s)" || bad "no virtual time in the margin"
python3 "$src/tests/msc_align.py" "$svg" >align.txt && ok "every lifeline is under its header box" ||
    { bad "a lifeline is off its header"; cat align.txt; }

# The predicate can fail: without --trace-clients the trace holds clients 0-4.
mkdir neg && (cd neg && ln -s "$src/traces" traces && run_line "${replay% --trace-clients 982}" >/dev/null 2>&1
    run_line "$chart" >/dev/null 2>&1)
if names_violator neg/$svg; then bad "the check passes a chart made without --trace-clients"
else ok "the same check refuses the chart of a replay line without --trace-clients"; fi

exit $fail
