#!/usr/bin/env bash
# models_full.sh — the larger correct worlds (traces/models/full/: two messages per client
# with a duplicate, or with a server crash) pass an exhaustive `herd check`. About a minute
# each and a few hundred MB: label `full`, run with `ctest -C full -L full`.
#   usage: models_full.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
for f in "$src"/traces/models/full/*.yaml; do
    start=$(date +%s)
    out=$("$herd" check "$f" --json 2>&1)
    rc=$?
    verdict=$(sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p' <<<"$out")
    states=$(sed -n 's/.*"states":\([0-9]*\).*/\1/p' <<<"$out")
    echo "$(basename "$f"): exit $rc, verdict $verdict, $states states ($(( $(date +%s) - start )) s)"
    if [ $rc -ne 0 ] || [ "$verdict" != pass ]; then echo "$out" >&2; fail=1; fi
done
exit $fail
