#!/usr/bin/env bash
# tests/bad_input.sh — the bad-input table (tests/bad_input/CASES): malformed scenarios,
# model files and traces, each run through the herd binary, which must refuse it with the
# expected exit status (65) and a located message, and run nothing.
# $1: the herd binary, $2: the source directory.
#
# Each case runs under a memory limit (4 GiB of address space) and a time limit (30 s), so
# a bad scenario that herd wrongly accepts fails its case instead of eating the machine.
# Cases named in tests/bad_input/PENDING are expected to fail (sim/ or model/ still have to
# change): they are reported as PENDING, and one that passes fails the test until its line
# is removed, so the list stays honest.
set -u
herd=$1
cd "$2/tests/bad_input" || exit 1
pass=0 fail=0 pending=0 xpass=0
# AddressSanitizer reserves terabytes of address space: no address-space limit under it.
vlimit=4194304
grep -q __asan_init "$herd" && vlimit=unlimited

# check_msg STDERR MESSAGE: the " ... "-separated parts of MESSAGE appear in order.
check_msg() {
    local rest=$1 part msg=$2
    while [ -n "$msg" ]; do
        part=${msg%% ... *}
        [ "$part" = "$msg" ] && msg="" || msg=${msg#* ... }
        case "$rest" in *"$part"*) rest=${rest#*"$part"} ;; *) return 1 ;; esac
    done
    return 0
}

while IFS='|' read -r cmd file code msg; do
    cmd=$(echo "$cmd" | xargs) file=$(echo "$file" | xargs) code=$(echo "$code" | xargs)
    msg=${msg# }
    [ -z "$cmd" ] && continue
    case "$cmd" in \#*) continue ;; esac
    err=$( (ulimit -v "$vlimit"; timeout 30 "$herd" "$cmd" "$file" 2>&1 >/dev/null) )
    rc=$?
    why=""
    [ "$rc" -eq "$code" ] || why="exit $rc, want $code"
    check_msg "$err" "$msg" || why="${why:+$why; }message does not say: $msg"
    if grep -q "^$file " PENDING; then
        if [ -z "$why" ]; then echo "XPASS $file: passes now; remove it from tests/bad_input/PENDING"; xpass=$((xpass + 1))
        else echo "PENDING $file ($why)"; pending=$((pending + 1)); fi
    elif [ -z "$why" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL $cmd $file: $why"; echo "     got: $(echo "$err" | head -n 3)"; fail=$((fail + 1))
    fi
done <CASES
echo "bad input: $((pass + fail + pending + xpass)) cases: $pass pass, $pending pending, $fail failed, $xpass unexpectedly passing"
[ $fail -eq 0 ] && [ $xpass -eq 0 ]
