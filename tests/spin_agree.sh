#!/usr/bin/env bash
# tests/spin_agree.sh — the second checker must agree with the first. For each protocol
# variant, SPIN verifies model/promela/herd.pml (an independent Promela model written from
# docs/protocol.md) in the world of the matching shipped model traces/models/X.yaml, and
# `herd check --json` checks X.yaml itself; the test fails when one finds a violation and
# the other does not. When herd reports property P, SPIN is also run with every property
# but P left out and must find P too. Prints a table: variant, verdicts, properties,
# states and transitions of each. $1: the herd binary, $2: the source directory.
# Label "spin" (CMakeLists.txt). spin and gcc are required: a missing one is a failure,
# never a skip (scripts/test installs spin through scripts/deps.sh).
# HERD_SPIN_OPT=-O2 compiles every verifier with -O2 (default: -O2 for the large world,
# -O0 for the tiny ones, whose compile takes longer than their search).
set -u
herd=$1
src=$2
pml=$src/model/promela/herd.pml

for tool in spin gcc; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "FAIL: '$tool' is not installed; this test needs SPIN and gcc" \
             "(Debian: apt-get install -y spin gcc; scripts/test installs them via scripts/deps.sh)" >&2
        exit 1
    fi
done
[ -f "$pml" ] || { echo "FAIL: $pml is missing" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# variant (a name for the table) and the shipped model it must agree with. The -D
# macros of the Promela model come from the model as herd check loaded it (the "config"
# of its --json; spin_defs below), not from a second reading of the YAML.
rows=(
    "correct                   correct-large"
    "ack_before_persist        ack-before-persist"
    "ack_before_persist(-I5)   ack-before-persist-loss"
    "dedup_none                dedup-none"
    "dedup_none(3clients)      dedup-none-3clients-crash-drop"
    "resend_off                resend-off"
    "forget_unacked            forget-unacked"
    "forget_unacked(-I8)       forget-unacked-catchup"
    "no_gap_detection          no-gap-detection"
    "aof_everysec+crash        aof-everysec"
    "aof_everysec+crash(-I5)   aof-everysec-loss"
)
all_props="I1 I2 I3 I4 I5 I6 I7 I8 L1"

# spin_defs HERD.json: the Promela world and variant of the model herd check loaded (its
# --json "config": every key as herd read it, defaults included), or an error for a
# feature the Promela model does not have.
spin_defs() {
    python3 - "$1" "$all_props" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
def no(why):
    print("unsupported: " + why, file=sys.stderr); sys.exit(1)
w, st, f = c["world"], c["store"], c["faults"]
if w["servers"] != 1: no("servers %d" % w["servers"])
for k in ("offline", "time_jumps"):
    if f[k]: no("faults." + k)
if st["dedup_window_us"]: no("dedup_window")
d = ["-DNC=%d" % w["clients"], "-DNM=%d" % w["messages"]]
variants = {"correct": None, "ack_before_persist": "ACK_BEFORE_PERSIST", "dedup_none": "DEDUP_NONE",
            "resend_off": "RESEND_OFF", "forget_unacked": "FORGET_UNACKED",
            "no_gap_detection": "NO_GAP_DETECTION"}
if c["protocol"] not in variants: no("protocol " + c["protocol"])
if variants[c["protocol"]]: d.append("-D" + variants[c["protocol"]])
dur = {"aof_always": None, "pg_sync": None, "aof_everysec": "AOF_EVERYSEC"}
if st["durability"] not in dur: no("durability " + st["durability"])
if dur[st["durability"]]: d.append("-D" + dur[st["durability"]])
d.append("-DMAXLEN=%d" % st["maxlen"])
# a close kills the connection as a drop does (the Promela model has no graceful close)
d.append("-DDROPS=%d" % (f["drops"] + f["closes"]))
d.append("-DDUPS=%d" % f["duplicates"])
d.append("-DCRASHES=%d" % f["server_crashes"])
d.append("-DSTORE_CRASHES=%d" % f["store_crashes"])
checked = set(c["check"]["properties"])
d += ["-DNO_" + p for p in sys.argv[2].split() if p not in checked]
print(" " + " ".join(d))
PY
}

# spin_run DIR OPT DEFS...: generate, compile and run the verifier exhaustively (with the
# non-progress-cycle search, which is L1's cycle half); DIR/out holds pan's report.
spin_run() {
    local dir=$1 opt=$2; shift 2
    mkdir -p "$dir"
    cp "$pml" "$dir/herd.pml"
    (cd "$dir" && spin -a "$@" herd.pml >spin.log 2>&1) || { cat "$dir/spin.log"; return 1; }
    (cd "$dir" && gcc "$opt" -w -DNP -o pan pan.c >gcc.log 2>&1) || { cat "$dir/gcc.log"; return 1; }
    # the hash table: 2^21 slots for an optimised (large) run, 2^16 for the tiny ones
    local w=16; [ "$opt" = -O0 ] || w=21
    (cd "$dir" && /usr/bin/time -f 'cpu %U %S rss %M' -o time.txt ./pan -l -m10000 -w$w >out 2>&1)
    if grep -q 'max search depth too small' "$dir/out"; then
        echo "pan: depth bound hit, search incomplete" >&2; return 1
    fi
    grep -q 'errors:' "$dir/out" || { cat "$dir/out"; return 1; }
}
# the property of pan's first error: the assertion's name, or L1 for a cycle
spin_prop() {
    local l
    l=$(grep -m1 '^pan:1:' "$1/out")
    case $l in
        *'non-progress cycle'*) echo L1 ;;
        *'assertion violated ('*) echo "$l" | sed -E 's/.*assertion violated \(([A-Z][0-9])&&.*/\1/' ;;
        '') echo - ;;
        *) echo "other"; echo "$l" >&2 ;;
    esac
}
spin_errors() { sed -nE 's/.*errors: ([0-9]+).*/\1/p' "$1/out"; }
spin_states() { sed -nE 's/^ *([0-9.e+]+) states, stored.*/\1/p' "$1/out" | awk '{printf "%d", $1}'; }
spin_trans() { sed -nE 's/^ *([0-9.e+]+) transitions \(.*/\1/p' "$1/out" | awk '{printf "%d", $1}'; }

jnum() { sed -nE "s/.*\"$2\":(\"?)([^,\"}]*)\1[,}].*/\2/p" "$1"; }

# check_row N VARIANT MODEL: one row, its table lines in $tmp/row.N (figures in
# $tmp/fig.N), exit status 1 on a disagreement
check_row() {
    local n=$1 variant=$2 model=$3 yaml w defs hv hp hs ht opt se sv sp hverd sverd only odefs p
    local out=$tmp/row.$n
    case $model in */*) yaml=$model; model=$(basename "$model" .yaml) ;; *) yaml=$src/traces/models/$model.yaml ;; esac
    w=$tmp/$n.$model
    mkdir -p "$w"
    "$herd" check "$yaml" --json --threads 1 >"$w/herd.json" 2>"$w/herd.err"
    if ! defs=$(spin_defs "$w/herd.json" 2>"$w/defs.err"); then
        { echo "FAIL $variant: $model.yaml has a feature the Promela model lacks, or herd gave no config:"
          cat "$w/defs.err" "$w/herd.err"; } >"$out"; return 1
    fi
    hv=$(jnum "$w/herd.json" verdict); hp=$(jnum "$w/herd.json" property)
    hs=$(jnum "$w/herd.json" states); ht=$(jnum "$w/herd.json" transitions)
    if [ "$hv" != pass ] && [ "$hv" != violation ]; then
        { echo "FAIL $variant: herd check gave no verdict ('$hv')"; cat "$w/herd.err"; } >"$out"; return 1
    fi
    opt=${HERD_SPIN_OPT:-}
    [ -n "$opt" ] || { [ "$hv" = pass ] && opt=-O2 || opt=-O0; }
    # shellcheck disable=SC2086
    if ! spin_run "$w/spin" "$opt" $defs >"$w/spin.err" 2>&1; then
        { echo "FAIL $variant: SPIN did not finish (defines:$defs)"; cat "$w/spin.err"; } >"$out"; return 1
    fi
    se=$(spin_errors "$w/spin")
    if [ "$se" = 0 ]; then sv=pass; else sv=violation; fi
    sp=$(spin_prop "$w/spin" 2>/dev/null)
    [ "$hv" = violation ] && hverd="violation $hp" || hverd=pass
    [ "$sv" = violation ] && sverd="violation $sp" || sverd=pass
    # herd's property alone: SPIN must find that one too (unless it was SPIN's first)
    only=-
    if [ "$hv" = violation ] && [ "$sv" = violation ] && [ "$sp" = "$hp" ]; then
        only=$sp
    elif [ "$hv" = violation ] && [ "$sv" = violation ]; then
        odefs=$(echo "$defs" | sed -E 's/ -DNO_(I[1-8]|L1)\b//g')
        for p in $all_props; do [ "$p" = "$hp" ] || odefs+=" -DNO_$p"; done
        # shellcheck disable=SC2086
        if spin_run "$w/only" -O0 $odefs >/dev/null 2>&1 && [ "$(spin_errors "$w/only")" != 0 ]; then
            only=$(spin_prop "$w/only" 2>/dev/null)
        fi
    fi
    printf '%-24s | %-24s | %-16s | %-16s | %-6s | %-17s | %-17s\n' "$variant" "$model" "$hverd" "$sverd" \
        "$only" "$hs/$ht" "$(spin_states "$w/spin")/$(spin_trans "$w/spin")" >"$out"
    # figures: CPU seconds, transitions per CPU second, bytes per state, peak RSS
    local hc htr hb hr sc ss st sm srss
    hc=$(jnum "$w/herd.json" cpu_seconds); htr=$(jnum "$w/herd.json" transitions_per_cpu_s)
    hb=$(jnum "$w/herd.json" bytes_per_state); hr=$(jnum "$w/herd.json" peak_rss_bytes)
    read -r sc srss < <(awk '{print $2 + $3, $5}' "$w/spin/time.txt")
    ss=$(spin_states "$w/spin"); st=$(spin_trans "$w/spin")
    sm=$(sed -nE 's/^ *([0-9.]+)[[:space:]]+actual memory usage for states.*/\1/p' "$w/spin/out")
    awk -v v="$variant" -v hs="$hs" -v ht="$ht" -v hc="$hc" -v htr="$htr" -v hb="$hb" -v hr="$hr" \
        -v ss="$ss" -v st="$st" -v sc="$sc" -v sm="${sm:-0}" -v srss="$srss" -v opt="$opt" 'BEGIN {
        printf "%-24s | %9d %10d %7.2f %9d %8.1f %6.1f | %9d %10d %7.2f %9d %8.1f %6.1f %s\n", v,
            hs, ht, hc, htr, hb, hr / 1048576,
            ss, st, sc, (sc > 0 ? st / sc : 0), (ss > 0 ? sm * 1048576 / ss : 0), srss / 1024, opt }' >"$tmp/fig.$n"
    if [ "$hv" != "$sv" ]; then
        { echo "FAIL $variant: herd says $hverd, SPIN says $sverd (SPIN defines:$defs)"
          grep -m1 '^pan:1:' "$w/spin/out"; } >>"$out"
        return 1
    elif [ "$hv" = violation ] && [ "$only" != "$hp" ]; then
        echo "FAIL $variant: herd found $hp; SPIN checking $hp alone found ${only/-/nothing}" >>"$out"
        return 1
    fi
    if [ -n "${HERD_SPIN_KEEP:-}" ]; then cp -r "$w" "$HERD_SPIN_KEEP/"; fi
    return 0
}

# HERD_SPIN_ROWS: other rows, one "variant model" a line (a model: a name in
# traces/models or a path), e.g. to compare a model written for an investigation.
if [ -n "${HERD_SPIN_ROWS:-}" ]; then mapfile -t rows <<<"$HERD_SPIN_ROWS"; fi
start=$(date +%s)
jobs_max=$(nproc 2>/dev/null || echo 2)
n=0
for row in "${rows[@]}"; do
    read -r variant model <<<"$row"
    [ -n "$variant" ] || continue
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
    ( check_row "$n" "$variant" "$model"; echo $? >"$tmp/rc.$n" ) &
    n=$((n + 1))
done
wait

fail=0
printf '%-24s | %-24s | %-16s | %-16s | %-6s | %-17s | %-17s\n' \
    variant model "herd verdict" "SPIN verdict" "SPIN P" "herd states/trans" "SPIN states/trans"
printf -- '-%.0s' {1..138}; echo
for ((i = 0; i < n; i++)); do
    cat "$tmp/row.$i" 2>/dev/null || echo "FAIL row $i: no result"
    [ "$(cat "$tmp/rc.$i" 2>/dev/null)" = 0 ] || fail=1
done
echo
echo "herd: herd check --json --threads 1 on traces/models/MODEL.yaml. SPIN: spin -a with the"
echo "model's -D macros, gcc -DNP, pan -l (exhaustive: assertions and non-progress cycles)."
echo "SPIN P: herd's property as SPIN finds it: its first error, or a run checking that property alone."
echo
echo "figures (CPU s: user + system of the one process; trans/cpu-s; B/st: herd's bytes_per_state,"
echo "SPIN's 'actual memory usage for states' per state stored; RSS: peak, MiB)"
printf '%-24s | %9s %10s %7s %9s %8s %6s | %9s %10s %7s %9s %8s %6s\n' variant \
    "herd st" trans "cpu s" "tr/cpu-s" "B/st" RSS "SPIN st" trans "cpu s" "tr/cpu-s" "B/st" RSS
for ((i = 0; i < n; i++)); do cat "$tmp/fig.$i" 2>/dev/null; done
echo
echo "spin_agree: $n variants in $(( $(date +%s) - start )) s with $jobs_max jobs"
[ $fail -eq 0 ] && echo "spin_agree: SPIN and herd check agree on every variant"
exit $fail
