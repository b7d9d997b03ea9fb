#!/usr/bin/env bash
# bench_smoke.sh — scripts/bench and scripts/bench --idle still run, at a small size, so
# they cannot rot between the sessions that measure with them (--idle once set a fault
# after the end of the run, which the loader refuses). It checks that each prints its row
# and exits 0; the figures themselves are for docs/performance.md, never asserted here.
#   usage: bench_smoke.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
for args in "20000" "--idle 20000"; do
    # shellcheck disable=SC2086
    out=$(HERD=$herd bash "$src/scripts/bench" $args 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || ! grep -qE '^ +20000 +[0-9]+' <<<"$out"; then
        echo "FAIL scripts/bench $args: exit $rc"; echo "$out"; fail=1
    else
        echo "ok   scripts/bench $args"
    fi
done
exit $fail
