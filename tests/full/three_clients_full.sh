#!/usr/bin/env bash
# three_clients_full.sh — traces/models/correct-3clients-crash-drop.yaml (three clients
# publishing one message each through one server, a server crash and a dropped
# connection anywhere) checked to the end: 361 734 444 states, depth 72, about an hour on
# two cores, a 6 GiB fingerprint table and ~10 GB of level files in $TMPDIR. Label `full`
# only (`ctest -C full -L full -R three`). Runs through correct_full.sh (HERD_CHECKPOINT
# and HERD_MAX_MEMORY as there; the table here needs 8000 MiB).
#   usage: three_clients_full.sh HERD_EXE SOURCE_DIR
HERD_FULL_MODEL=correct-3clients-crash-drop.yaml HERD_MAX_MEMORY=${HERD_MAX_MEMORY:-8000} \
    exec bash "$(dirname "$0")/correct_full.sh" "$@"
