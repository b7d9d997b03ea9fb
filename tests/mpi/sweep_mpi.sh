#!/usr/bin/env bash
# sweep_mpi.sh — herd sweep's Open MPI backend (docs/sweeps.md): `mpirun -np 2
# --oversubscribe herd sweep traces/sweeps/small.yaml` gives byte-identical cells.csv,
# cells.json and heatmap.svg to `herd sweep --jobs 2`, every run once in its journal; and
# an MPI sweep continues a journal that a local sweep started (the journal is the same).
# Registered by CMakeLists.txt only when CMake found MPI (herd built with HERD_MPI).
# CI runs as root: Open MPI refuses that unless told; loopback only, shared memory off
# (a sandbox may not have /dev/shm room), so it runs on any machine.
#   usage: sweep_mpi.sh HERD_EXE SOURCE_DIR
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
command -v mpirun >/dev/null || { echo "FAIL no mpirun (scripts/deps.sh installs openmpi-bin)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 # Open MPI's own allocations at exit
mpi() { timeout 120 mpirun -np 2 --oversubscribe "$@"; }
cd "$src" || exit 1
sweep=traces/sweeps/small.yaml

"$herd" sweep $sweep --jobs 2 --out "$tmp/local" >/dev/null 2>"$tmp/local.err"
rc_local=$?
mpi "$herd" sweep $sweep --out "$tmp/mpi" --json >"$tmp/mpi.json" 2>"$tmp/mpi.err"
rc_mpi=$?
cat "$tmp/mpi.json"
check "local and MPI sweeps finish with the same verdict (exit $rc_local, $rc_mpi)" test $rc_local -le 1 -a $rc_mpi = $rc_local
check "the MPI sweep's summary is rank 0's alone (one JSON line)" test "$(wc -l <"$tmp/mpi.json")" -eq 1
check "MPI ran all 27 runs" test "$(field ran "$(cat "$tmp/mpi.json")")" = 27
check "mpirun -np 2 and --jobs 2: identical cells.csv, cells.json, heatmap.svg" same "$tmp/local" "$tmp/mpi"
check "every run once in the MPI journal" \
    test "$(tail -n +2 "$tmp/mpi/runs.jsonl" | sed 's/,"values".*//' | sort -u | wc -l)" -eq 27 -a \
    "$(wc -l <"$tmp/mpi/runs.jsonl")" -eq 28

# A journal started locally, finished under MPI.
mkdir -p "$tmp/half"
head -n 14 "$tmp/local/runs.jsonl" >"$tmp/half/runs.jsonl"
mpi "$herd" sweep $sweep --out "$tmp/half" --json >"$tmp/half.json" 2>"$tmp/half.err"
out=$(cat "$tmp/half.json")
check "MPI continues a local journal: ran $(field ran "$out") (want 14), same aggregates" \
    bash -c "[ '$(field ran "$out")' = 14 ] && cmp -s '$tmp/local/cells.json' '$tmp/half/cells.json'"
[ $fail = 0 ] || { echo "--- mpirun stderr"; cat "$tmp/mpi.err"; }
exit $fail
