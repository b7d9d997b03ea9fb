#!/usr/bin/env bash
# tests/servers_csv.sh — the per-server series (servers.csv, docs/trace-format.md) against
# the fleet-wide one (metrics.csv). $1: the herd binary, $2: the source directory.
# A shipped scenario with several servers and a full backlog (lb-sticky-herd, smaller):
# for every interval and every column servers.csv shares with metrics.csv (accept_queue,
# sessions, handshakes = accepts, wasted_handshakes, syn_drops_backlog_full) the sum over
# the servers equals metrics.csv's value; every server has a row at every interval; and the
# check is not vacuous (some server handshakes, the series has more than one server).
set -u
herd=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$herd" run "$src/traces/scenarios/lb-sticky-herd.yaml" --set world.clients=5000 --set world.rooms=500 \
    --set run.duration=40s --out "$out/run" >/dev/null 2>&1
[ -f "$out/run/servers.csv" ] || { echo "FAIL herd run wrote no servers.csv"; exit 1; }
python3 - "$out/run/metrics.csv" "$out/run/servers.csv" <<'PY' || exit 1
import csv, sys
metrics = list(csv.DictReader(open(sys.argv[1])))
servers = list(csv.DictReader(open(sys.argv[2])))
pairs = {"accept_queue": "accept_queue", "sessions": "sessions", "accepts": "handshakes",
         "wasted_handshakes": "wasted_handshakes", "syn_drops_backlog_full": "syn_drops_backlog_full"}
ids = sorted({int(r["server"]) for r in servers})
assert len(ids) > 1, f"one server only: {ids}"
assert ids == list(range(len(ids))), f"servers missing: {ids}"
by_t = {}
for r in servers:
    by_t.setdefault(r["t_s"], []).append(r)
assert len(by_t) == len(metrics), f"{len(by_t)} per-server rows, {len(metrics)} metrics rows"
busy = set()
for m in metrics:
    rows = by_t.get(m["t_s"])
    assert rows and len(rows) == len(ids), f"t={m['t_s']}: {len(rows or [])} servers of {len(ids)}"
    for mc, sc in pairs.items():
        total = sum(int(r[sc]) for r in rows)
        assert total == int(m[mc]), f"t={m['t_s']} {sc}: servers sum to {total}, metrics.csv has {m[mc]}"
    busy |= {r["server"] for r in rows if int(r["handshakes"]) > 0}
assert int(sum(int(m["accepts"]) for m in metrics)) > 0, "no handshakes at all: the check is vacuous"
assert len(busy) > 1, f"handshakes at {busy} only"
print(f"ok   servers.csv: {len(ids)} servers x {len(metrics)} intervals sum to metrics.csv")
PY
