#!/usr/bin/env bash
# cli_usage.sh — `herd run`, `herd replay` and `herd policies` refuse a bad command line with
# exit 64 and a message that names what is wrong (the flag, the value, the reason), before
# they read any file. (herd check's flags are checked in models.sh, render's in render.sh.)
# And herd check's progress lines: on a terminal by default, --progress, --no-progress.
#   usage: cli_usage.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
sc=$2/traces/scenarios/lb-ack-before-persist-sticky.yaml
fail=0
# expect COMMAND MESSAGE ARGS...: exit 64, and stderr's first line is "herd COMMAND: MESSAGE".
expect() {
    local cmd=$1 want=$2
    shift 2
    local err rc
    err=$("$herd" "$cmd" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -ne 64 ] || [ "$(head -n 1 <<<"$err")" != "herd $cmd: $want" ]; then
        echo "FAIL herd $cmd $*: exit $rc, first line '$(head -n 1 <<<"$err")', want 64 and 'herd $cmd: $want'"
        fail=1
    else
        echo "ok   $want"
    fi
}
expect run "--seed must be a whole number in [0, 18446744073709551615], got 'abc'" "$sc" --seed abc
expect run "--seed must be a whole number in [0, 18446744073709551615], got '-1'" "$sc" --seed -1
expect run "--seed must be a whole number in [0, 18446744073709551615], got '1e6'" "$sc" --seed 1e6
expect run "--seed must be a whole number in [0, 18446744073709551615], got '18446744073709551616'" "$sc" --seed 18446744073709551616
expect run "--seed needs a value" "$sc" --seed
expect run "--out needs a value" "$sc" --out
expect run "--queue must be wheel or heap, got 'fifo'" "$sc" --queue fifo
expect run "unknown option '--sead' (did you mean '--seed'?)" "$sc" --sead 1
expect run "one scenario per run, got '$sc' and 'other.yaml'" "$sc" other.yaml
expect run "no scenario file given" --json
sets=()
for i in $(seq 0 64); do sets+=(--set "seed=$i"); done
expect run "at most 64 --set options (one too many: 'seed=64')" "$sc" "${sets[@]}"
expect policies "--attempts must be a whole number in [1, 64], got '0'" --attempts 0
expect policies "--attempts must be a whole number in [1, 64], got '3x'" --attempts 3x
expect replay "no trace file given"
expect replay "unknown option '--bogus'" --bogus
expect replay "one trace per replay, got 'a.jsonl' and 'b.jsonl'" a.jsonl b.jsonl
for cmd in run replay; do
    if ! "$herd" "$cmd" --help 2>/dev/null | grep -q "^usage: herd $cmd"; then
        echo "FAIL herd $cmd --help: no usage on stdout"; fail=1
    else echo "ok   herd $cmd --help"; fi
done
# The largest seed is a seed, not an error (the run itself may pass or fail its expect:).
"$herd" run "$sc" --seed 18446744073709551615 >/dev/null 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then echo "FAIL --seed 18446744073709551615: exit $rc"; fail=1; else echo "ok   --seed 2^64-1 accepted"; fi
# Under --swarm the drawn faults count: a base with no fault of its own may expect recovery
# (without --swarm the same file is refused: nothing to recover from).
sw=$(mktemp)
printf 'run: {duration: 60s}\nworld: {clients: 100, rooms: 10, servers: 2}\nexpect: {recovers_within: 40s}\n' >"$sw"
"$herd" run "$sw" --swarm --seed 3 >/dev/null 2>&1; rc1=$?
"$herd" run "$sw" >/dev/null 2>&1; rc2=$?
rm -f "$sw"
if [ $rc1 -ne 0 ] || [ $rc2 -ne 65 ]; then echo "FAIL --swarm base without faults: exit $rc1 (want 0), plain $rc2 (want 65)"; fail=1
else echo "ok   --swarm faults count for recovers_within"; fi
# herd check's progress: by default on a terminal (script(1) gives it one), not in a log;
# --progress forces it into a log, --no-progress silences it on a terminal.
model=$2/traces/models/dedup-none.yaml
levels() { grep -c '^level [0-9]*:' || true; }
n_log=$("$herd" check "$model" 2>&1 >/dev/null | levels)
n_forced=$("$herd" check "$model" --progress 2>&1 >/dev/null | levels)
if command -v script >/dev/null; then
    n_tty=$(script -qc "'$herd' check '$model' >/dev/null" /dev/null | levels)
    n_off=$(script -qc "'$herd' check '$model' --no-progress >/dev/null" /dev/null | levels)
else
    n_tty=1 n_off=0; echo "skip progress on a terminal: no script(1)"
fi
if [ "$n_log" -eq 0 ] && [ "$n_forced" -gt 0 ] && [ "$n_tty" -gt 0 ] && [ "$n_off" -eq 0 ]; then
    echo "ok   herd check progress: log $n_log, --progress $n_forced, terminal $n_tty, --no-progress $n_off lines"
else
    echo "FAIL herd check progress lines: log $n_log (want 0), --progress $n_forced, terminal $n_tty (want >0), --no-progress $n_off (want 0)"
    fail=1
fi
exit $fail
