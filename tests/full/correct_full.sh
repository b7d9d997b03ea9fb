#!/usr/bin/env bash
# correct_full.sh — traces/models/correct.yaml (2 clients x 2 messages, a crash, a drop and a
# duplicate) checked to the end: 841 072 536 states, depth 72, ~2.2 hours on two cores
# (7 969 s measured), a 16 GiB fingerprint table, and in $TMPDIR up to ~22 GB of level
# files (two levels of ~62 M states) and 5 GB of parent links. Label `full` only
# (`ctest -C full -L full -R correct`). HERD_MAX_MEMORY (MiB, default 17000) bounds the
# table; the run must end with verdict pass (exit 0), never incomplete. With
# HERD_CHECKPOINT=DIR the search writes a checkpoint there every 30 minutes (and when
# stopped by SIGINT/SIGTERM), and a later run resumes from it (docs/model-checking.md).
# HERD_FULL_MODEL names another model of traces/models/ to run the same way
# (tests/full/three_clients_full.sh).
#   usage: correct_full.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
ck=()
if [ -n "${HERD_CHECKPOINT:-}" ]; then
    ck=(--checkpoint "$HERD_CHECKPOINT" --checkpoint-every 1800)
    [ -s "$HERD_CHECKPOINT/meta" ] && ck+=(--resume "$HERD_CHECKPOINT")
fi
model=${HERD_FULL_MODEL:-correct.yaml}
"$herd" check "$src/traces/models/$model" --json --progress --preallocate \
    --max-memory "${HERD_MAX_MEMORY:-17000}" "${ck[@]}" >"$log"
rc=$?
echo "$model: exit $rc in $(( $(date +%s) - start )) s"
cat "$log"
[ $rc -eq 0 ] && grep -q '"verdict":"pass"' "$log"
