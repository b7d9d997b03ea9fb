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
# macros of the Promela model are read from the model file itself (spin_defs below).
rows=(
    "correct                   correct-large"
    "ack_before_persist        ack-before-persist"
    "ack_before_persist(-I5)   ack-before-persist-loss"
    "dedup_none                dedup-none"
    "resend_off                resend-off"
    "forget_unacked            forget-unacked"
    "no_gap_detection          no-gap-detection"
    "aof_everysec+crash        aof-everysec"
    "aof_everysec+crash(-I5)   aof-everysec-loss"
)
all_props="I1 I2 I3 I4 I5 I6 I7 I8 L1"

# yget FILE KEY [FIELD]: a top-level scalar (protocol: correct) or a field of a flow map
# (world: {clients: 2, ...}); a list field's items come out space-separated.
yget() {
    local line
    line=$(grep -E "^$2:" "$1" | head -1 | sed -E "s/^$2:[[:space:]]*//; s/[[:space:]]+#.*$//")
    if [ $# -eq 2 ]; then echo "$line"; return; fi
    echo "$line" | sed -nE "s/.*[{,][[:space:]]*$3:[[:space:]]*(\[[^]]*\]|[^,}]*).*/\1/p" | tr -d '[],' | xargs
}

# spin_defs MODEL.yaml: the Promela world and variant of a herd model file, or an error
# for a feature the Promela model does not have.
spin_defs() {
    local f=$1 d="" v p props
    v=$(yget "$f" world servers); [ "${v:-1}" = 1 ] || { echo "unsupported: servers $v" >&2; return 1; }
    for k in offline time_jumps; do
        v=$(yget "$f" faults $k); [ "${v:-0}" = 0 ] || { echo "unsupported: faults.$k" >&2; return 1; }
    done
    v=$(yget "$f" store dedup_window); case "${v:-0s}" in 0|0s) ;; *) echo "unsupported: dedup_window" >&2; return 1;; esac
    d+=" -DNC=$(yget "$f" world clients) -DNM=$(yget "$f" world messages)"
    case $(yget "$f" protocol) in
        correct) ;;
        ack_before_persist) d+=" -DACK_BEFORE_PERSIST" ;;
        dedup_none) d+=" -DDEDUP_NONE" ;;
        resend_off) d+=" -DRESEND_OFF" ;;
        forget_unacked) d+=" -DFORGET_UNACKED" ;;
        no_gap_detection) d+=" -DNO_GAP_DETECTION" ;;
        *) echo "unsupported: protocol $(yget "$f" protocol)" >&2; return 1 ;;
    esac
    case $(yget "$f" store durability) in
        ""|aof_always|pg_sync) ;;
        aof_everysec) d+=" -DAOF_EVERYSEC" ;;
        *) echo "unsupported: durability $(yget "$f" store durability)" >&2; return 1 ;;
    esac
    v=$(yget "$f" store maxlen); [ -n "$v" ] && d+=" -DMAXLEN=$v"
    # a close kills the connection as a drop does (the Promela model has no graceful close)
    v=$(yget "$f" faults drops); p=$(yget "$f" faults closes)
    d+=" -DDROPS=$(( ${v:-0} + ${p:-0} ))"
    v=$(yget "$f" faults duplicates); d+=" -DDUPS=${v:-0}"
    v=$(yget "$f" faults server_crashes); d+=" -DCRASHES=${v:-0}"
    v=$(yget "$f" faults store_crashes); d+=" -DSTORE_CRASHES=${v:-0}"
    props=$(yget "$f" check properties)
    if [ -n "$props" ]; then
        for p in $all_props; do
            case " $props " in *" $p "*) ;; *) d+=" -DNO_$p" ;; esac
        done
    fi
    echo "$d"
}

# spin_run DIR OPT DEFS...: generate, compile and run the verifier exhaustively (with the
# non-progress-cycle search, which is L1's cycle half); DIR/out holds pan's report.
spin_run() {
    local dir=$1 opt=$2; shift 2
    mkdir -p "$dir"
    cp "$pml" "$dir/herd.pml"
    (cd "$dir" && spin -a "$@" herd.pml >spin.log 2>&1) || { cat "$dir/spin.log"; return 1; }
    (cd "$dir" && gcc "$opt" -w -DNP -o pan pan.c >gcc.log 2>&1) || { cat "$dir/gcc.log"; return 1; }
    (cd "$dir" && /usr/bin/time -f 'cpu %U %S rss %M' -o time.txt ./pan -l -m200000 -w21 >out 2>&1)
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

fail=0
printf '%-24s | %-24s | %-16s | %-16s | %-8s | %-21s | %-21s\n' \
    variant model "herd verdict" "SPIN verdict" "SPIN P" "herd states/trans" "SPIN states/trans"
printf -- '-%.0s' {1..148}; echo
for row in "${rows[@]}"; do
    read -r variant model <<<"$row"
    yaml=$src/traces/models/$model.yaml
    w=$tmp/$model
    mkdir -p "$w"
    if ! defs=$(spin_defs "$yaml"); then
        echo "FAIL $variant: $model.yaml has a feature the Promela model lacks"; fail=1; continue
    fi
    "$herd" check "$yaml" --json --threads 1 >"$w/herd.json" 2>"$w/herd.err"
    hv=$(jnum "$w/herd.json" verdict); hp=$(jnum "$w/herd.json" property)
    hs=$(jnum "$w/herd.json" states); ht=$(jnum "$w/herd.json" transitions)
    if [ "$hv" != pass ] && [ "$hv" != violation ]; then
        echo "FAIL $variant: herd check gave no verdict ('$hv')"; cat "$w/herd.err"; fail=1; continue
    fi
    opt=${HERD_SPIN_OPT:-}
    [ -n "$opt" ] || { [ "$hv" = pass ] && opt=-O2 || opt=-O0; }
    # shellcheck disable=SC2086
    if ! spin_run "$w/spin" "$opt" $defs; then
        echo "FAIL $variant: SPIN did not finish (defines:$defs)"; fail=1; continue
    fi
    se=$(spin_errors "$w/spin")
    if [ "$se" = 0 ]; then sv=pass; else sv=violation; fi
    sp=$(spin_prop "$w/spin")
    [ "$hv" = violation ] && hverd="violation $hp" || hverd=pass
    [ "$sv" = violation ] && sverd="violation $sp" || sverd=pass
    # herd's property alone: SPIN must find that one too
    only=-
    if [ "$hv" = violation ] && [ "$sv" = violation ]; then
        odefs=$(echo "$defs" | sed -E 's/ -DNO_(I[1-8]|L1)\b//g')
        for p in $all_props; do [ "$p" = "$hp" ] || odefs+=" -DNO_$p"; done
        # shellcheck disable=SC2086
        if spin_run "$w/only" -O0 $odefs && [ "$(spin_errors "$w/only")" != 0 ]; then
            only=$(spin_prop "$w/only")
        fi
    fi
    printf '%-24s | %-24s | %-16s | %-16s | %-8s | %-21s | %-21s\n' "$variant" "$model" "$hverd" "$sverd" \
        "$only" "$hs/$ht" "$(spin_states "$w/spin")/$(spin_trans "$w/spin")"
    if [ "$hv" != "$sv" ]; then
        echo "FAIL $variant: herd says $hverd, SPIN says $sverd (SPIN defines:$defs)"
        grep -m1 '^pan:1:' "$w/spin/out"
        fail=1
    elif [ "$hv" = violation ] && [ "$only" != "$hp" ]; then
        echo "FAIL $variant: herd found $hp; SPIN checking $hp alone found ${only/-/nothing}"
        fail=1
    fi
    [ "${HERD_SPIN_KEEP:-}" ] && cp -r "$w" "$HERD_SPIN_KEEP/" 2>/dev/null
done
echo
echo "herd: herd check --json --threads 1 on traces/models/MODEL.yaml. SPIN: spin -a with the"
echo "model's -D macros, gcc -DNP, pan -l (exhaustive: assertions and non-progress cycles)."
echo "SPIN P: the property SPIN finds when it checks herd's property alone."
[ $fail -eq 0 ] && echo "spin_agree: SPIN and herd check agree on every variant"
exit $fail
