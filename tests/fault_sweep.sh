#!/usr/bin/env bash
# tests/fault_sweep.sh — SQLite-style fault simulation by countdown, through the herd
# binary of a -DHERD_FIU=ON build. $1: the herd binary, $2: the source directory.
#
# For each command (a small `herd run --out`, `herd check --out` on a broken model, and
# `herd replay` of its counterexample) a normal run counts every fault point's
# opportunities (HERD_FIU_COUNT, lib/fault.c); then, for every point and every N, the run
# is repeated with the N-th opportunity failing (HERD_FIU_FAIL=point:N). Each must:
#   - exit 70 for "herd/alloc" and 74 for every I/O point, with a message on stderr;
#   - leave no temporary file ("*.tmp.*") in the output directory;
#   - leave every output file either absent or complete: byte-identical to the normal
#     run's (summary.json: apart from its wall-clock figures).
# Then crash simulation: the process SIGKILLs itself at every opportunity of every output
# point (HERD_FIU_FAIL=point:N:kill), and a longer run is SIGKILLed at seeded random
# moments; final files must again be absent or complete (a killed process cannot remove its
# temporaries; they are "*.tmp.<pid>" and never a final name).
#
# Cases that fail because sim/ or model/ still map an error wrongly are listed in
# tests/fault_sweep.pending ("command point reason"): they are run and reported as
# PENDING, and one that starts passing fails the sweep until its line is removed.
set -u
herd=$1
src=$2
jobs=${HERD_SWEEP_JOBS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pending_file=$src/tests/fault_sweep.pending

# The small scenario: a crash and a recovery, fast enough to run hundreds of times.
cat >"$work/small.yaml" <<'EOF'
run:
  duration: 20s
world:
  clients: 20
  rooms: 4
  servers: 2
  start_spread: 1s
workload:
  publish_interval: 1s
  publishers: 50%
faults:
  - kind: crash
    at: 5s
    duration: 2s
    servers: all
EOF
model=$src/traces/models/ack-before-persist.yaml

# cmd_<name> OUT: run one command with its outputs in OUT.
cmd_run() { "$herd" run "$work/small.yaml" --out "$1"; }
cmd_check() { "$herd" check "$model" --out "$1"; }
cmd_replay() { "$herd" replay "$work/ref-check/ack-before-persist.trace.jsonl"; }
commands="run check replay"

normalise() { sed -E 's/"(setup_s|run_s|wall_s|cpu_s|events_per_s|events_per_cpu_s|peak_rss_bytes)":[0-9.]+//g' "$1"; }

# complete REF OUT: every file in OUT is a whole file of the normal run.
complete() {
    local f name
    for f in "$2"/*; do
        [ -e "$f" ] || continue
        name=$(basename "$f")
        case "$name" in *.tmp.*) continue ;; esac
        [ -f "$1/$name" ] || { echo "unexpected file $name"; return 1; }
        if [ "$name" = summary.json ]; then
            cmp -s <(normalise "$1/$name") <(normalise "$f") || { echo "$name is torn"; return 1; }
        else
            cmp -s "$1/$name" "$f" || { echo "$name is torn ($(wc -c <"$f") of $(wc -c <"$1/$name") bytes)"; return 1; }
        fi
    done
    return 0
}

# one CMD POINT N [kill]: one faulted run; prints "ok|FAIL|PENDING|XPASS CMD POINT N detail".
one() {
    local cmd=$1 point=$2 n=$3 kill=${4:-} out rc want why="" verdict
    out=$work/case-$cmd-${point//\//_}-$n$kill
    mkdir -p "$out"
    HERD_FIU_FAIL="$point:$n${kill:+:kill}" "cmd_$cmd" "$out/o" >"$out/stdout" 2>"$out/stderr"
    rc=$?
    if [ -n "$kill" ]; then
        [ $rc -eq 137 ] || why="exit $rc, want 137 (SIGKILL)"
    else
        want=74
        [ "$point" = herd/alloc ] && want=70
        [ $rc -eq $want ] || why="exit $rc, want $want"
        [ -s "$out/stderr" ] || why="$why; no message on stderr"
        compgen -G "$out/o/*.tmp.*" >/dev/null && why="$why; temporary file left"
    fi
    [ -z "$why" ] && why=$(complete "$work/ref-$cmd" "$out/o") || true
    if awk -v c="$cmd" -v p="$point" '$1 == c && $2 == p {f = 1} END {exit !f}' "$pending_file" 2>/dev/null; then
        verdict=PENDING
        [ -z "$why" ] && verdict=XPASS
    else
        verdict=ok
        [ -n "$why" ] && verdict=FAIL
    fi
    echo "$verdict $cmd $point $n${kill:+ kill} ${why:+($why: $(tail -n1 "$out/stderr"))}"
    [ "$verdict" = FAIL ] || [ "$verdict" = XPASS ] || rm -rf "$out"
}
export -f one complete normalise cmd_run cmd_check cmd_replay
export herd work model pending_file

# The normal runs: reference outputs and opportunity counts.
: >"$work/cases"
for cmd in $commands; do
    rm -f "$work/count"
    HERD_FIU_COUNT=$work/count "cmd_$cmd" "$work/ref-$cmd" >/dev/null 2>&1
    rc=$?
    if [ ! -s "$work/count" ]; then
        echo "FAIL the normal '$cmd' run counted nothing (exit $rc): is this a -DHERD_FIU=ON build?"
        exit 1
    fi
    while read -r point count; do
        echo "$cmd $point $count" >>"$work/counts"
        for n in $(seq 1 "$count"); do echo "$cmd $point $n" >>"$work/cases"; done
        case "$point" in # crash simulation at every output opportunity
            herd/afile/open | herd/afile/write | herd/afile/fsync | herd/afile/rename | herd/afile/dirsync)
                for n in $(seq 1 "$count"); do echo "$cmd $point $n kill" >>"$work/cases"; done ;;
        esac
    done <"$work/count"
done

xargs -P "$jobs" -L 1 bash -c 'one "$@"' _ <"$work/cases" >"$work/results"

# SIGKILL at seeded random moments of a longer run (about a second of work plus output).
cat >"$work/big.yaml" <<'EOF'
run:
  duration: 60s
world:
  clients: 20000
  rooms: 2000
  servers: 2
  start_spread: 5s
workload:
  publish_interval: 10s
  publishers: 10%
faults:
  - kind: crash
    at: 20s
    duration: 2s
    servers: all
EOF
"$herd" run "$work/big.yaml" --out "$work/ref-big" >/dev/null 2>&1
start=$(date +%s%N)
"$herd" run "$work/big.yaml" --out "$work/time-big" >/dev/null 2>&1
span_ms=$((($(date +%s%N) - start) / 1000000 + 50))
RANDOM=7 # the seed: the same kill moments every time
for k in $(seq 1 12); do
    delay_ms=$((RANDOM % span_ms))
    out=$work/kill-$k
    "$herd" run "$work/big.yaml" --out "$out" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if why=$(complete "$work/ref-big" "$out"); then
        echo "ok random-kill $k at ${delay_ms}ms ($(ls "$out" 2>/dev/null | grep -vc '\.tmp\.') final files)" >>"$work/results"
    else
        echo "FAIL random-kill $k at ${delay_ms}ms ($why)" >>"$work/results"
    fi
done

grep -v '^ok ' "$work/results"
points=$(awk '$3 > 0 {print $2}' "$work/counts" | sort -u | wc -l)
opps=$(awk '{s += $3} END {print s}' "$work/counts")
echo "fault sweep: $points fault points, $opps opportunities over '$commands'; $(grep -c '^ok ' "$work/results") ok," \
     "$(grep -c '^PENDING ' "$work/results") pending, $(grep -c '^FAIL ' "$work/results") failed," \
     "$(grep -c '^XPASS ' "$work/results") unexpectedly passing"
awk '{printf "  %-7s %-20s %s opportunities\n", $1, $2, $3}' "$work/counts"
! grep -qE '^(FAIL|XPASS) ' "$work/results"
