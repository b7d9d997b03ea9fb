#!/usr/bin/env bash
# scenarios.sh — every reference scenario in traces/scenarios/ meets its expect: block:
# `herd run X.yaml --json` exits 0 and says "verdict":"pass".
#   usage: scenarios.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
for f in "$src"/traces/scenarios/*.yaml; do
    out=$("$herd" run "$f" --json 2>/dev/null)
    rc=$?
    verdict=$(sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p' <<<"$out")
    echo "$(basename "$f"): exit $rc, verdict $verdict"
    if [ $rc -ne 0 ] || [ "$verdict" != pass ]; then
        echo "$out" >&2
        fail=1
    fi
done
exit $fail
