#!/usr/bin/env bash
# determinism.sh — the same scenario and seed give the same trace_hash whatever the
# optimisation level and compiler: builds herd at -O0 and -O2 with the default compiler,
# and with clang at -O2 when clang is installed, in build dirs beside the tested binary,
# then compares the trace hashes of a small restart (with faults, publishing, the oracle)
# and of a small mobile fleet under churn (sim/churn.c's integer-only draws). The builds
# treat warnings as errors (HERD_WERROR), so a warning only clang gives fails here too.
#   usage: determinism.sh HERD_EXE SOURCE_DIR
set -euo pipefail
herd=$1
src=$2
base=$(dirname "$herd")/determinism
scenario=$src/traces/scenarios/restart-fixed-1s.yaml
sets=(--set world.clients=3000 --set world.rooms=300 --set world.start_spread=2s
      --set faults.0.at=5s --set run.duration=30s --set workload.publish_interval=1s
      --set accept.workers=1 --set accept.backlog=256 --seed 7)
churn=$src/traces/scenarios/mobile-churn.yaml
churn_sets=(--set world.clients=300 --set world.rooms=30 --seed 7)

build() { # name cc flags
    local dir=$base-$1
    cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=None -DCMAKE_C_COMPILER="$2" \
        -DCMAKE_C_FLAGS="$3" -DHERD_WERROR=ON >/dev/null || return 1
    cmake --build "$dir" --target herd -j2 >/dev/null || return 1 # not a stale binary
    echo "$dir/herd"
}

hash_of() {
    { "$1" run "$scenario" "${sets[@]}" --json 2>/dev/null || true; } | sed -n 's/.*"trace_hash":"\([0-9a-f]*\)".*/\1/p'
    { "$1" run "$churn" "${churn_sets[@]}" --json 2>/dev/null || true; } | sed -n 's/.*"trace_hash":"\([0-9a-f]*\)".*/\1/p'
}

ref=$(hash_of "$herd" | paste -sd' ')
[ "$(wc -w <<<"$ref")" -eq 2 ] || { echo "no trace_hash from $herd (restart, churn: '$ref')" >&2; exit 1; }
echo "tested binary: $ref"
fail=0
variants=("gcc-O0 cc -O0" "gcc-O2 cc -O2")
command -v clang >/dev/null && variants+=("clang-O2 clang -O2")
for v in "${variants[@]}"; do
    read -r name cc flags <<<"$v"
    exe=$(build "$name" "$cc" "$flags") || { echo "$name: the build failed" >&2; fail=1; continue; }
    h=$(hash_of "$exe" | paste -sd' ')
    echo "$name: $h"
    [ "$h" = "$ref" ] || { echo "trace hash differs for $name" >&2; fail=1; }
done
exit $fail
