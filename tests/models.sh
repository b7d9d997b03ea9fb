#!/usr/bin/env bash
# tests/models.sh — every model in traces/models/ through `herd check`, and every
# counterexample through `herd replay`. $1: the herd binary, $2: the source directory.
# A model's expectation is in its file; check exits 0 when it is met. A broken model's
# counterexample must reproduce under replay (exit 1), and its text (.trace.txt) must name
# every store operation (no raw "op N"). A model whose first line says
# "# bounded: N" is checked on its first N states only (its full search does not finish
# in a test's time; docs/model-checking.md says which and why): it must find no violation.
set -u
herd=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
for m in "$src"/traces/models/*.yaml; do
    name=$(basename "$m" .yaml)
    bound=$(sed -n '1s/^# bounded: \([0-9]*\).*/\1/p' "$m")
    if [ -n "$bound" ]; then
        "$herd" check "$m" --json --max-states "$bound" >"$out/$name.log" 2>&1
        if grep -q '"verdict":"incomplete"' "$out/$name.log" && grep -q '"property":null' "$out/$name.log" \
            || grep -q '"verdict":"pass"' "$out/$name.log"; then
            echo "ok   $name (bounded: first $bound states, no violation)"
        else
            echo "FAIL $name (bounded)"; cat "$out/$name.log"; fail=1
        fi
        continue
    fi
    "$herd" check "$m" --out "$out" >"$out/$name.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL $name: herd check exited $rc"; tail -5 "$out/$name.log"; fail=1; continue
    fi
    # The state and transition counts blessed in traces/golden/fingerprints.txt (scripts/bless).
    got="$(sed -n 's/^states *\([0-9]*\) distinct.*/\1/p' "$out/$name.log") $(sed -n 's/^transitions *\([0-9]*\) by the search.*/\1/p' "$out/$name.log")"
    want=$(awk -v n="$name.yaml" '$1 == "model" && $2 == n {print $3 " " $4}' "$src/traces/golden/fingerprints.txt")
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: states transitions '$got', blessed '$want' (scripts/bless if intended)"; fail=1; continue
    fi
    if grep -q '^expect: violation' "$m"; then
        # The text counterexample names every store operation as the sequence chart does
        # (herd_trace_store_op_name), never a raw "op 3".
        txt="$out/$name.trace.txt"
        if grep -qE '(^|[^A-Za-z_])op [0-9]+' "$txt" ||
            grep -E 'store (request|result) [^:]*: ' "$txt" | grep -qvE ': (publish\+dedup|append|read) msg '; then
            echo "FAIL $name: $name.trace.txt has an unnamed store operation:"
            grep -nE '(^|[^A-Za-z_])op [0-9]+|store (request|result) [^:]*: ' "$txt" | grep -vE ': (publish\+dedup|append|read) msg ' | head -3
            fail=1; continue
        fi
        "$herd" replay "$out/$name.trace.jsonl" >"$out/$name.replay" 2>&1
        rc=$?
        if [ $rc -ne 0 ] || ! grep -q '^confirmed' "$out/$name.replay"; then
            echo "FAIL $name: replay exited $rc (want 0, the claim confirmed)"; cat "$out/$name.replay"; fail=1; continue
        fi
    fi
    echo "ok   $name"
done
# Replay confirms what a trace claims, nothing else: a trace that names another property
# (I1 where its path violates I5 first) or another step is exit 1, naming both.
t="$out/ack-before-persist.trace.jsonl"
sed '1s/"property":"I5"/"property":"I1"/' "$t" >"$out/claim-i1.jsonl"
sed '1s/"violation_step":4/"violation_step":3/' "$t" >"$out/claim-step.jsonl"
for c in "claim-i1:the trace says I1 at step 4; the replay finds I5 at step 4" \
         "claim-step:the trace says I5 at step 3; the replay finds I5 at step 4"; do
    "$herd" replay "$out/${c%%:*}.jsonl" >"$out/claim.out" 2>&1
    rc=$?
    if [ $rc -ne 1 ] || ! grep -qF "MISMATCH   ${c#*:}" "$out/claim.out"; then
        echo "FAIL replay of ${c%%:*}: exit $rc"; cat "$out/claim.out"; fail=1
    fi
done
# check.properties: [] checks nothing and would pass vacuously: an input error.
printf 'model: m\nworld: {clients: 1, servers: 1, messages: 1}\nprotocol: ack_before_persist\nfaults: {server_crashes: 1}\ncheck: {properties: []}\nexpect: pass\n' >"$out/empty.yaml"
"$herd" check "$out/empty.yaml" >/dev/null 2>"$out/empty.err"
rc=$?
if [ $rc -ne 65 ] || ! grep -q 'empty.yaml:5:.*properties is empty' "$out/empty.err"; then
    echo "FAIL check.properties: [] is exit $rc"; cat "$out/empty.err"; fail=1
fi
# The shipped correct worlds with the client that forgets un-ACKed messages: I8 catches it.
for name in correct-large correct-2servers; do
    sed 's/^protocol: correct$/protocol: forget_unacked/; s/^expect: pass$/expect: violation I8/' \
        "$src/traces/models/$name.yaml" >"$out/forget-$name.yaml"
    if ! "$herd" check "$out/forget-$name.yaml" >"$out/forget.out" 2>&1; then
        echo "FAIL forget_unacked in $name is not caught by I8"; tail -3 "$out/forget.out"; fail=1
    fi
done
# A malformed trace is exit 65 with file:line.
printf '{"format":"herd-trace","version":1}\n{"step":x}\n' >"$out/bad.jsonl"
"$herd" replay "$out/bad.jsonl" >/dev/null 2>"$out/bad.err"
rc=$?
if [ $rc -ne 65 ] || ! grep -q 'bad.jsonl:' "$out/bad.err"; then echo "FAIL malformed trace: exit $rc"; cat "$out/bad.err"; fail=1; fi
# A malformed number on the command line is exit 64 naming the flag and the value (never
# read as 0, "unbounded", or as its leading digits).
for args in "--max-states 1e6" "--max-depth -1" "--max-memory 0" "--threads 2x" "--hash-seed 0x10"; do
    "$herd" check "$src/traces/models/correct.yaml" $args >/dev/null 2>"$out/args.err"
    rc=$?
    flag=${args%% *} val=${args#* }
    if [ $rc -ne 64 ] || ! grep -q -- "$flag must be a whole number in .*got '$val'" "$out/args.err"; then
        echo "FAIL herd check $args: exit $rc"; cat "$out/args.err"; fail=1
    fi
done
# Checkpoints: a search stopped by its depth bound and resumed prints what the whole
# search prints (but the timing lines); SIGTERM stops a search at the end of a level with a
# checkpoint; a directory that is not a checkpoint is refused with exit 65.
m="$src/traces/models/no-gap-detection.yaml"
"$herd" check "$m" | grep -Ev '^(time|cpu) ' >"$out/whole.txt"
"$herd" check "$m" --max-depth 6 --checkpoint "$out/ck" >/dev/null
"$herd" check "$m" --resume "$out/ck" | grep -Ev '^(time|cpu) ' >"$out/resumed.txt"
if ! cmp -s "$out/whole.txt" "$out/resumed.txt"; then
    echo "FAIL resumed search differs:"; diff "$out/whole.txt" "$out/resumed.txt"; fail=1
fi
# Another hash seed: another fingerprint function, the same search (the report names the
# seed); a checkpoint written with one seed is refused by a search with another.
"$herd" check "$m" --hash-seed 7 >"$out/seeded.txt"
if ! grep -q '^collision.*(hash seed 7)$' "$out/seeded.txt" ||
    ! cmp -s <(grep -v '^time\|^cpu \|^collision' "$out/whole.txt") <(grep -v '^time\|^cpu \|^collision' "$out/seeded.txt"); then
    echo "FAIL --hash-seed 7 changed the search:"; diff "$out/whole.txt" "$out/seeded.txt"; fail=1
fi
"$herd" check "$m" --hash-seed 7 --json | grep -q '"hash_seed":7,' || { echo "FAIL --json has no hash_seed"; fail=1; }
"$herd" check "$m" --resume "$out/ck" --hash-seed 7 >/dev/null 2>"$out/seed.err"
rc=$?
if [ $rc -ne 65 ] || ! grep -q 'written with --hash-seed 0, now 7' "$out/seed.err"; then
    echo "FAIL --resume with another --hash-seed: exit $rc"; cat "$out/seed.err"; fail=1
fi
"$herd" check "$src/traces/models/correct.yaml" --json --checkpoint "$out/ck2" >"$out/stopped.json" 2>&1 &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'stopped on request at depth' "$out/stopped.json" || [ ! -s "$out/ck2/meta" ]; then
    echo "FAIL SIGTERM with --checkpoint: exit $rc"; cat "$out/stopped.json"; fail=1
fi
"$herd" check "$m" --resume "$out" >/dev/null 2>"$out/resume.err"
rc=$?
if [ $rc -ne 65 ] || ! grep -q 'not a checkpoint directory' "$out/resume.err"; then
    echo "FAIL --resume of a non-checkpoint: exit $rc"; cat "$out/resume.err"; fail=1
fi
exit $fail
