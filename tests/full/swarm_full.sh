#!/usr/bin/env bash
# swarm_full.sh — the correct protocol under 1 000 seeds of randomised faults
# (scripts/swarm --from 1 --to 1000): every seed keeps safety and recovers. Label `full`.
#   usage: swarm_full.sh HERD_EXE SOURCE_DIR
set -uo pipefail
exec "$2/scripts/swarm" --herd "$1" --from 1 --to 1000
