#!/usr/bin/env bash
# live_faults.sh — the fault kinds herd live plays beyond crashes (label live; docs/live.md,
# "Faults through the relay and HAProxy"), each on 200 clients, 2 servers, HAProxy, Redis:
#  1. traces/live/net-small.yaml: the fault-injecting relay (live/relay.h) between HAProxy
#     and the servers holds chunks for network.latency + jitter (the publish-to-ACK delay's
#     median is at least two one-way latencies), network.loss as an rto hold, a partition
#     of server 0 from the LB and a net_burst: the correct protocol passes;
#  2. traces/live/lb-small.yaml: lb.rate becomes HAProxy's `rate-limit sessions`, an
#     lb_restart SIGKILLs HAProxy (every client reconnects), a rolling_deploy drains the
#     servers one at a time, interval apart: the correct protocol passes, and lb.csv
#     shows HAProxy's absence and its counters starting again;
#  3. traces/live/cut-restart-small.yaml: HAProxy restarted inside a partition, so held
#     publishes die with their connections: the correct protocol resends them and passes,
#     the broken resend_off leaves them queued and FAILS (the checker can fail);
#  4. traces/live/offline-small.yaml: 60 clients offline, then a mobile churn drawn by the
#     simulator's sim/churn.c (as many churn periods live as herd run draws): passes;
#  5. what cannot be expressed is refused with exit 65 naming the key: a partition of a
#     part of the clients or from the store (faults.0.a), accept.max_conns;
# and after every run no process naming its run directory is left. Missing redis-server
# or haproxy FAILS the test, never skips. About 35 s (two runs at a time).
#   usage: live_faults.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

for cmd in redis-server haproxy; do
    command -v "$cmd" >/dev/null || { echo "FAIL $cmd is not installed (scripts/deps.sh installs it)"; exit 1; }
done
left() { pgrep -f -- "$1" | grep -v "^$$\$" || true; }
no_leftovers() {
    local l
    l=$(left "$1")
    if [ -z "$l" ]; then ok "$2: no process left"; else bad "$2: processes left: $(ps -o pid=,args= -p $(echo $l | tr ' ' ','))"; fi
}
field() { sed -nE "s/.*\"$2\":([0-9]+).*/\1/p" "$1"; }
# start NAME SCENARIO [ARGS...]: herd live --json into $tmp/NAME{,.json,.err} in the
# background (two small runs at a time keep the file well under a minute); finish NAME
# waits for it and sets rc
declare -A pids
start() {
    local name=$1 sc=$2
    shift 2
    "$herd" live "$src/traces/live/$sc" --out "$tmp/$name" --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" &
    pids[$name]=$!
}
finish() { wait "${pids[$1]}"; rc=$?; }
passes() {
    if [ "$rc" -eq 0 ] && grep -q '"verdict":"pass"' "$tmp/$1.json" && [ "$(field "$tmp/$1.json" live_at_end)" = 200 ]; then
        ok "$1: pass, 200 LIVE (published $(field "$tmp/$1.json" published), acked $(field "$tmp/$1.json" acked), attempts $(field "$tmp/$1.json" attempts))"
    else bad "$1: exit $rc, want 0 with 200 LIVE"; cat "$tmp/$1.err" "$tmp/$1.json"; fi
}

start net net-small.yaml
start lb lb-small.yaml

# 1. the relay: latency, jitter, loss, partition, net_burst
finish net
passes net
grep -q 'port [0-9]*$' "$tmp/net/haproxy.cfg" && grep -q 'relay: cut begins (servers mask 0x1, up 1, down 1' "$tmp/net/proc-relay.jsonl" &&
    grep -q 'relay: burst begins.*loss 200000 ppm, +50000 us' "$tmp/net/proc-relay.jsonl" &&
    ok "net: HAProxy goes through the relay (checks the servers' own ports); the cut and the burst opened" ||
    bad "net: relay records or haproxy.cfg wrong: $(cat "$tmp/net/proc-relay.jsonl" "$tmp/net/relay.log")"
# publish -> ACK delay: at least 2 x 5 ms one way (the relay holds both directions)
p50=$(awk '
    /"input":"publish"/ { m = $0; sub(/.*"msg":"/, "", m); sub(/".*/, "", m); t = $0; sub(/.*"now_us":/, "", t); sub(/,.*/, "", t); pub[m] = t }
    /"effect":"acked"/  { m = $0; sub(/.*"msg":"/, "", m); sub(/".*/, "", m); t = $0; sub(/.*"now_us":/, "", t); sub(/,.*/, "", t);
                          if (m in pub) print t - pub[m] }' "$tmp/net/proc-clients.jsonl" |
    sort -n | awk '{ d[NR] = $1 } END { print NR ? d[int((NR + 1) / 2)] : 0 }')
[ "${p50:-0}" -ge 10000 ] && ok "net: median publish-to-ACK ${p50} us >= 10 000 (latency held each way)" ||
    bad "net: median publish-to-ACK ${p50:-?} us, want >= 10 000: the relay does not hold the latency"
no_leftovers "$tmp/net" "net"

# 2. HAProxy: lb.rate, lb_restart; rolling_deploy
finish lb
passes lb
grep -q 'rate-limit sessions 400' "$tmp/lb/haproxy.cfg" && ok "lb: lb.rate -> rate-limit sessions 400" || bad "lb: no rate-limit in haproxy.cfg"
[ "$(grep -c 'haproxy up on port' "$tmp/lb/proc-orchestrator.jsonl")" = 2 ] && [ "$(field "$tmp/lb.json" attempts)" -ge 400 ] &&
    ok "lb: HAProxy SIGKILLed and back; every client reconnected ($(field "$tmp/lb.json" attempts) attempts)" ||
    bad "lb: lb_restart: $(grep -c 'haproxy up' "$tmp/lb/proc-orchestrator.jsonl") HAProxy starts, $(field "$tmp/lb.json" attempts) attempts (want 2 and >= 400)"
t0=$(grep 'rolling deploy: server 0 drains' "$tmp/lb/proc-orchestrator.jsonl" | sed -nE 's/.*"now_us":([0-9]+).*/\1/p')
t1=$(grep 'rolling deploy: server 1 drains' "$tmp/lb/proc-orchestrator.jsonl" | sed -nE 's/.*"now_us":([0-9]+).*/\1/p')
r0=$(grep -n 'server 0 restarted' "$tmp/lb/proc-orchestrator.jsonl" | cut -d: -f1)
d1=$(grep -n 'rolling deploy: server 1 drains' "$tmp/lb/proc-orchestrator.jsonl" | cut -d: -f1)
if [ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -ge 1400000 ] && [ -n "$r0" ] && [ "$r0" -lt "$d1" ] &&
   [ "$(grep -c '"code":1012' "$tmp/lb/trace.jsonl")" -ge 100 ]; then
    ok "lb: rolling deploy one server at a time, $(( (t1 - t0) / 1000 )) ms apart, server 0 back before server 1 drains, 1012 to the clients"
else bad "lb: rolling deploy: drains at $t0 and $t1, server 0 back at line $r0, server 1 drains at line $d1"; fi
# lb.csv: while HAProxy is down (lb_restart, 500 ms) its fields are empty, and the new
# HAProxy counts its accepted connections from zero again
read -r gap reset <<<"$(awk -F, 'NR > 1 { if ($2 == "") g++; else { if (seen && $3 < prev) r++; prev = $3; seen = 1 } }
    END { print g + 0, r + 0 }' "$tmp/lb/lb.csv" 2>/dev/null)"
[ "${gap:-0}" -ge 2 ] && [ "${reset:-0}" -ge 1 ] && ok "lb: lb.csv shows HAProxy down for $gap rows and its counters starting again" ||
    bad "lb: lb.csv: ${gap:-?} rows without HAProxy, ${reset:-?} counter resets (want >= 2 and >= 1)"
no_leftovers "$tmp/lb" "lb"

# 3. a broken variant under the new faults: resend_off loses what the LB restart dropped
start cut cut-restart-small.yaml
start cut_ro cut-restart-small.yaml --set protocol=resend_off
finish cut
passes cut
finish cut_ro
if [ "$rc" -eq 1 ] && grep -q '"verdict":"fail"' "$tmp/cut_ro.json" && [ "$(field "$tmp/cut_ro.json" queued)" -ge 1 ]; then
    ok "resend_off under partition + lb_restart: caught ($(field "$tmp/cut_ro.json" queued) messages never resent)"
else bad "resend_off: exit $rc, want 1 with messages queued"; cat "$tmp/cut_ro.err" "$tmp/cut_ro.json"; fi
no_leftovers "$tmp/cut" "cut"
no_leftovers "$tmp/cut_ro" "resend_off"

# 4. clients offline and mobile churn: the client process drops its clients' connections
# and fails their connects for the periods the simulator draws (the same seed: the same
# number of churn periods as herd run of the same file)
start off offline-small.yaml
finish off
passes off
sim_churn=$("$herd" run "$src/traces/live/offline-small.yaml" --json 2>/dev/null | sed -nE 's/.*"churn_periods":([0-9]+).*/\1/p')
live_off=$(grep -c '"text":"client [0-9]* offline"' "$tmp/off/proc-clients.jsonl")
[ -n "$sim_churn" ] && [ "$sim_churn" -ge 1 ] && [ "$live_off" = $((60 + sim_churn)) ] &&
    ok "offline: 60 clients offline + $sim_churn churn periods, as herd run draws them" ||
    bad "offline: $live_off offline periods live, want 60 + herd run's churn periods ($sim_churn)"
no_leftovers "$tmp/off" "offline"

# 5. what cannot be expressed: exit 65 naming the key
cat >"$tmp/partclients.yaml" <<'YAML'
run: {duration: 5s}
world: {clients: 10, servers: 1}
faults:
  - {kind: partition, at: 1s, duration: 1s, a: clients:0-4, b: servers}
YAML
cat >"$tmp/storecut.yaml" <<'YAML'
run: {duration: 5s}
world: {clients: 10, servers: 1}
faults:
  - {kind: partition, at: 1s, duration: 1s, a: servers, b: store}
YAML
refused() {
    local name=$1 key=$2
    shift 2
    "$herd" live "$@" --out "$tmp/$name" >"$tmp/$name.out" 2>&1
    local r=$?
    if [ $r -eq 65 ] && grep -q -- "$key" "$tmp/$name.out"; then ok "$name refused: $(head -1 "$tmp/$name.out")"
    else bad "$name: exit $r, want 65 naming $key"; cat "$tmp/$name.out"; fi
}
refused partclients faults.0.a "$tmp/partclients.yaml"
refused storecut faults.0.a "$tmp/storecut.yaml"
refused maxconns accept.max_conns "$src/traces/live/net-small.yaml" --set accept.max_conns=50

exit $fail
