#!/usr/bin/env bash
# live_5k.sh — traces/live/crash-5k.yaml on real processes: 5 000 concurrent WebSocket
# connections through HAProxy, a server crash, the correct protocol must pass (nothing
# lost or twice, every client LIVE again within 20 s of the restart), and no process of the
# run may be left. About 35 s of wall time and 15 s of CPU; label `full` only
# (`ctest -C full -L full -R live_5k`): the machine's other work makes its recovery time
# vary. Needs redis-server and haproxy (fails without them).
#   usage: live_5k.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cmd in redis-server haproxy; do
    command -v "$cmd" >/dev/null || { echo "FAIL $cmd is not installed (scripts/deps.sh installs it)"; exit 1; }
done
fail=0
"$herd" live "$src/traces/live/crash-5k.yaml" --out "$tmp/run" --json >"$tmp/out.json" 2>"$tmp/err"
rc=$?
cat "$tmp/out.json"; echo
cat "$tmp/run/costs.json" 2>/dev/null
if [ $rc -eq 0 ] && grep -q '"live_at_end":5000' "$tmp/out.json"; then echo "ok   5 000 clients: pass"
else echo "FAIL exit $rc (want 0 and 5 000 LIVE at the end)"; cat "$tmp/err"; fail=1; fi
left=$(pgrep -f -- "$tmp/run" || true)
if [ -z "$left" ]; then echo "ok   no process left"; else echo "FAIL processes left: $left"; fail=1; fi
exit $fail
