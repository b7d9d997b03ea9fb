#!/usr/bin/env bash
# scenarios.sh — every reference scenario in traces/scenarios/ meets its expect: block:
# `herd run X.yaml --json` exits 0 and says "verdict":"pass", with the trace hash blessed in
# traces/golden/fingerprints.txt (scripts/bless).
#   usage: scenarios.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
golden=$src/traces/golden/fingerprints.txt
for f in "$src"/traces/scenarios/*.yaml; do
    out=$("$herd" run "$f" --json 2>/dev/null)
    rc=$?
    verdict=$(sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p' <<<"$out")
    hash=$(sed -n 's/.*"trace_hash":"\([0-9a-f]*\)".*/\1/p' <<<"$out")
    echo "$(basename "$f"): exit $rc, verdict $verdict"
    if [ $rc -ne 0 ] || [ "$verdict" != pass ]; then
        echo "$out" >&2
        fail=1
    fi
    # The trace hash is the one blessed in traces/golden/fingerprints.txt (scripts/bless):
    # a change that moves it says so on purpose.
    want=$(awk -v n="$(basename "$f")" '$1 == "scenario" && $2 == n {print $3}' "$golden")
    if [ -z "$want" ]; then
        echo "FAIL $(basename "$f"): no blessed trace hash (run scripts/bless)"; fail=1
    elif [ "$hash" != "$want" ]; then
        echo "FAIL $(basename "$f"): trace hash $hash, blessed $want (scripts/bless if intended)"; fail=1
    fi
done
exit $fail
