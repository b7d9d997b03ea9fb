#!/usr/bin/env bash
# sweep.sh — herd sweep on one machine (docs/sweeps.md), on traces/sweeps/small.yaml
# (27 runs of well under a second):
#  1. --jobs 1 and --jobs 2 give byte-identical cells.csv, cells.json and heatmap.svg (the
#     aggregates do not depend on the job count or the order runs finish in), and the
#     numbers are the ones a plain `herd run` of the same cell and seed gives;
#  2. resume: the journal cut to 10 rows plus half a line (a torn write) is continued: the
#     torn line is cut off, exactly the 17 missing runs run, the aggregates are the same;
#  3. a journal of another sweep (the same DIR, another set:) is refused with exit 65;
#  4. Ctrl-C: SIGINT in the middle of a sweep stops it with exit 130, leaves no worker
#     behind and keeps whole rows only; the same command then finishes it;
#  5. a broken row in the middle of the journal (not the last line) is refused, located;
#  and cells.json agrees with the rows recomputed by Python (percentiles, fractions).
#   usage: sweep.sh HERD_EXE SOURCE_DIR
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
same() { cmp -s "$1/cells.csv" "$2/cells.csv" && cmp -s "$1/cells.json" "$2/cells.json" &&
         cmp -s "$1/heatmap.svg" "$2/heatmap.svg"; }
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2" | head -1; }
cd "$src" || exit 1
sweep=traces/sweeps/small.yaml

# 1. The job count does not change the aggregates.
"$herd" sweep $sweep --jobs 1 --out "$tmp/j1" --json >"$tmp/j1.json" 2>"$tmp/j1.err"
rc1=$?
"$herd" sweep $sweep --jobs 2 --out "$tmp/j2" --json >"$tmp/j2.json" 2>"$tmp/j2.err"
rc2=$?
check "--jobs 1 and --jobs 2 finish (exit 0 or 1: $rc1, $rc2)" test "$rc1" -le 1 -a "$rc1" = "$rc2"
check "27 rows in runs.jsonl (header + 27 lines)" test "$(wc -l <"$tmp/j2/runs.jsonl")" -eq 28
check "--jobs 1 and --jobs 2: identical cells.csv, cells.json, heatmap.svg" same "$tmp/j1" "$tmp/j2"
check "the heatmap is one offline file (no http reference but the SVG namespace)" \
    bash -c "! grep -v 'xmlns=\"http://www.w3.org/2000/svg\"' '$tmp/j2/heatmap.html' | grep -q 'http'"
# A row agrees with herd run of the same cell and seed (cell 4: capacity 8ms, exponential).
row=$(grep '"cell":4,"seed":2,' "$tmp/j2/runs.jsonl")
one=$("$herd" run traces/scenarios/metastable-article-jitter.yaml --seed 2 --set world.clients=2000 \
    --set world.rooms=200 --set run.duration=90s --set expect.recovers_within=40s --set accept.handshake=8ms \
    --set client.backoff.policy=exponential --json 2>/dev/null)
check "cell 4 seed 2's row has herd run's trace hash and wasted handshakes" \
    test -n "$row" -a "$(field trace_hash "$row")" = "$(field trace_hash "$one")" -a \
    "$(field wasted_handshakes "$row")" = "$(field wasted_handshakes "$one")"

# The aggregates, recomputed from the rows by another program (nearest-rank percentiles,
# never-recovered seeds after every finite time, parts per thousand rounded half up).
python3 - "$tmp/j2" <<'PY' >"$tmp/recomputed.txt" 2>&1
import json, math, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(d + "/runs.jsonl")][1:]
cells = json.load(open(d + "/cells.json"))["cells"]
def pct(v, q):
    v = sorted(v)
    return v[max(math.ceil(q * len(v) / 100) - 1, 0)]
def secs(us):
    return None if us == math.inf else "%d.%06d" % (us // 1000000, us % 1000000)
bad = 0
for c in cells:
    rs = [r for r in rows if r["cell"] == c["cell"]]
    ttr = [math.inf if r["time_to_recover_us"] is None else r["time_to_recover_us"] for r in rs]
    want = {"runs": len(rs), "recovered": sum(r["recovered"] for r in rs),
            "ttr_p5_s": secs(pct(ttr, 5)), "ttr_p50_s": secs(pct(ttr, 50)), "ttr_p95_s": secs(pct(ttr, 95)),
            "wasted_handshakes_p50": pct([r["wasted_handshakes"] for r in rs], 50),
            "wasted_handshakes_max": max(r["wasted_handshakes"] for r in rs),
            "peak_attempts_per_s_max": max(r["peak_attempts_per_s"] for r in rs),
            "recovered_fraction": "%.3f" % ((sum(r["recovered"] for r in rs) * 2000 + len(rs)) // (2 * len(rs)) / 1000)}
    for k, v in want.items():
        got = c[k]
        if isinstance(got, float): got = "%.3f" % got if k.endswith("fraction") else "%.6f" % got
        if str(got) != str(v):
            print("cell %d %s: cells.json %s, recomputed %s" % (c["cell"], k, got, v)); bad += 1
print("%d cells, %d mismatches" % (len(cells), bad))
sys.exit(1 if bad else 0)
PY
rc=$?
check "cells.json agrees with the rows recomputed in Python ($(tail -n 1 "$tmp/recomputed.txt"))" test $rc -eq 0
[ $rc -eq 0 ] || head -n 5 "$tmp/recomputed.txt"

# The summary of a finished sweep (nothing runs again) hands the first failure to herd shrink.
"$herd" sweep $sweep --out "$tmp/j2" >"$tmp/summary.txt" 2>/dev/null
check "the summary gives the first failing run's replay and shrink commands" \
    grep -q '^  shrink: herd shrink traces/scenarios/metastable-article-jitter.yaml --seed 1 .* --same verdict$' \
    "$tmp/summary.txt"

# 2. Resume after a torn journal.
mkdir -p "$tmp/r"
head -n 11 "$tmp/j2/runs.jsonl" >"$tmp/r/runs.jsonl"
sed -n 12p "$tmp/j2/runs.jsonl" | head -c 60 >>"$tmp/r/runs.jsonl"
out=$("$herd" sweep $sweep --jobs 2 --out "$tmp/r" --json 2>"$tmp/r.err")
check "resume: 10 runs kept, 17 run (already_done $(field already_done "$out"), ran $(field ran "$out"))" \
    test "$(field already_done "$out")" = 10 -a "$(field ran "$out")" = 17
check "resume: the torn last line is cut off and said so" grep -q "cut off a torn last line" "$tmp/r.err"
check "resume: the same aggregates as an uninterrupted sweep" same "$tmp/j1" "$tmp/r"
check "resume: 27 rows, no run twice" test "$(tail -n +2 "$tmp/r/runs.jsonl" | sed 's/,"values".*//' | sort -u | wc -l)" -eq 27
out=$("$herd" sweep $sweep --out "$tmp/r" --json 2>/dev/null)
check "a finished sweep run again runs nothing" test "$(field ran "$out")" = 0

# 3. Another sweep's journal.
"$herd" sweep $sweep --out "$tmp/r" --set world.clients=1000 >/dev/null 2>"$tmp/other.err"
rc=$?
check "another sweep's journal is refused (exit $rc, want 65)" test $rc -eq 65
check "  ... and the message names the file and what to do" grep -q "runs.jsonl:1:1: these runs are of another sweep" "$tmp/other.err"

# 4. Ctrl-C in the middle, then continue. Bigger runs (6 000 clients) so that it is mid-way.
"$herd" sweep $sweep --jobs 2 --out "$tmp/int" --set world.clients=6000 --seeds 1..4 >/dev/null 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 600); do # at most 60 s: a loaded machine is slow to start
    [ -f "$tmp/int/runs.jsonl" ] && [ "$(wc -l <"$tmp/int/runs.jsonl")" -ge 4 ] && break
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
rows=$(($(wc -l <"$tmp/int/runs.jsonl") - 1))
check "SIGINT: exit 130 (got $rc) with $rows of 36 rows kept" test $rc -eq 130 -a $rows -ge 1 -a $rows -lt 36
check "SIGINT: no worker left behind" bash -c "! pgrep -P $pid >/dev/null"
check "SIGINT: every line of the journal is whole" bash -c "tail -c 1 '$tmp/int/runs.jsonl' | od -c | grep -q '\\\\n'"
out=$("$herd" sweep $sweep --jobs 2 --out "$tmp/int" --set world.clients=6000 --seeds 1..4 --json 2>/dev/null)
check "SIGINT: the same command finishes it (ran $(field ran "$out") = 36 - $rows)" \
    test "$(field ran "$out")" = $((36 - rows)) -a "$(field already_done "$out")" = $rows

# 5. A broken row that is not the last line.
mkdir -p "$tmp/bad"
{ head -n 3 "$tmp/j2/runs.jsonl"; echo '{"cell":1,"seed":'; sed -n 4,6p "$tmp/j2/runs.jsonl"; } >"$tmp/bad/runs.jsonl"
"$herd" sweep $sweep --out "$tmp/bad" >/dev/null 2>"$tmp/bad.err"
rc=$?
check "a broken row mid-journal: exit 65 (got $rc), located at line 4" \
    bash -c "[ $rc -eq 65 ] && grep -q 'runs.jsonl:4: ' '$tmp/bad.err'"
exit $fail
