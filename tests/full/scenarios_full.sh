#!/usr/bin/env bash
# scenarios_full.sh — the full-size scenarios (traces/scenarios/full/: 1M-client restarts,
# the 100k metastable fleet, the 50k partition cascade) meet their expect: blocks. Minutes
# each and up to a few GB of memory: label `full`, run with `ctest -C full -L full`.
#   usage: scenarios_full.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
for f in "$src"/traces/scenarios/full/*.yaml; do
    start=$(date +%s)
    out=$("$herd" run "$f" --json 2>/dev/null)
    rc=$?
    verdict=$(sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p' <<<"$out")
    echo "$(basename "$f"): exit $rc, verdict $verdict ($(( $(date +%s) - start )) s)"
    if [ $rc -ne 0 ] || [ "$verdict" != pass ]; then
        echo "$out" >&2
        echo "replay: herd run $f --seed 1" >&2
        fail=1
    fi
done
exit $fail
