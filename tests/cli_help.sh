#!/usr/bin/env bash
# cli_help.sh — every subcommand explains itself: `herd CMD --help` (and -h) prints its help
# on stdout with exit 0 and nothing on stderr; the help explains every flag the command's
# parser accepts on a line of its own under "options:" (the flags are read from
# cli/cmd_CMD.c, so a new flag without a line of help fails here), says the exit statuses
# and gives examples whose shipped files exist; an unknown flag close to a known one is
# refused with exit 64 and "(did you mean '--x'?)", one far from all without a guess; and
# `herd --help` lists the subcommands and points at `herd COMMAND --help`; `herd run --help`
# names every file `--out` writes.
#   usage: cli_help.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# The flags a parser accepts: every "-..." literal compared with strcmp in cli/cmd_CMD.c.
parser_flags() {
    grep -oE 'strcmp\([^,()]+, "-[^"]*"\)' "$src/cli/cmd_$1.c" | sed -E 's/.*"(-[^"]*)".*/\1/' | sort -u
}
# has_flag FILE FLAG: FLAG appears as a whole word (not inside --checkpoint-every, --help...).
has_flag() {
    grep -Eq -- "(^|[^A-Za-z0-9-])$2(\$|[^A-Za-z0-9-])" "$1"
}

for cmd in run check replay render policies sweep shrink live; do
    flags=$(parser_flags "$cmd")
    [ -n "$flags" ] || bad "herd $cmd: no flags found in cli/cmd_$cmd.c (has the parser changed shape?)"
    for h in --help -h; do
        "$herd" "$cmd" "$h" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if [ $rc -ne 0 ] || [ -s "$tmp/err" ] || ! grep -q "^usage: herd $cmd" "$tmp/out"; then
            bad "herd $cmd $h: exit $rc (want 0), stderr $(wc -c <"$tmp/err") bytes (want 0), usage line on stdout?"
            continue
        fi
        [ "$h" = -h ] && { cmp -s "$tmp/out" "$tmp/help" || bad "herd $cmd -h differs from --help"; continue; }
        cp "$tmp/out" "$tmp/help"
    done
    [ -s "$tmp/help" ] || continue
    # Each flag has its own line of explanation under "options:" (not only the synopsis).
    sed -n '/^options:/,/^exit status:/p' "$tmp/help" | grep -E '^  -' >"$tmp/opts"
    missing=""
    for f in $flags; do has_flag "$tmp/opts" "$f" || missing="$missing $f"; done
    if [ -n "$missing" ]; then bad "herd $cmd --help has no option line for:$missing"
    else ok "herd $cmd --help explains its $(wc -w <<<"$flags") flags"; fi
    for want in "^exit status:" "^  0 " "^  64 " "^examples?:"; do
        grep -Eq "$want" "$tmp/help" || bad "herd $cmd --help: no line matching '$want'"
    done
    # The shipped files the examples use exist.
    for path in $(grep -oE 'traces/[A-Za-z0-9_./-]+\.yaml' "$tmp/help" | sort -u); do
        [ -f "$src/$path" ] || bad "herd $cmd --help: example file $path is not in the tree"
    done
    grep -q "herd $cmd " <(sed -n '/^examples\?:/,$p' "$tmp/help") || bad "herd $cmd --help: no example command"
    # Every flag, misspelt by one letter, is refused with exit 64 and a suggestion.
    for f in $flags; do
        "$herd" "$cmd" "${f}x" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        first=$(head -n 1 "$tmp/err")
        if [ $rc -ne 64 ] || [ -s "$tmp/out" ] ||
            ! grep -Eq "^herd $cmd: unknown option '${f}x' \(did you mean '-[^']*'\?\)\$" <<<"$first"; then
            bad "herd $cmd ${f}x: exit $rc, stdout $(wc -c <"$tmp/out") bytes, first line '$first'"
        fi
    done
    ok "herd $cmd: each flag misspelt gets a suggestion and exit 64"
    rm -f "$tmp/help"
done

# `herd run --help` names every file a run directory gets: run a tiny world with --out and
# look for each file it wrote in the --out option's lines.
printf 'run: {duration: 5s}\nworld: {clients: 10, rooms: 1, servers: 1, start_spread: 1s}\n' >"$tmp/tiny.yaml"
"$herd" run --help | sed -n '/^  --out /,/^  --[a-z]/p' | sed '$d' >"$tmp/outhelp"
if ! "$herd" run "$tmp/tiny.yaml" --out "$tmp/rundir" >/dev/null 2>&1; then
    bad "herd run tiny.yaml --out: failed"
else
    unnamed=""
    for f in "$tmp"/rundir/*; do grep -qF "$(basename "$f")" "$tmp/outhelp" || unnamed="$unnamed $(basename "$f")"; done
    if [ -n "$unnamed" ]; then bad "herd run --help: --out does not name:$unnamed"
    else ok "herd run --help: --out names every file of the run directory ($(ls "$tmp/rundir" | wc -l))"; fi
fi

# expect CMD LINE ARGS...: exit 64, nothing on stdout, stderr's first line is exactly LINE
# and the short usage follows.
expect() {
    local cmd=$1 want=$2
    shift 2
    "$herd" "$cmd" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$? first
    first=$(head -n 1 "$tmp/err")
    if [ $rc -ne 64 ] || [ -s "$tmp/out" ] || [ "$first" != "$want" ] || ! grep -q "^usage: herd $cmd" "$tmp/err"; then
        bad "herd $cmd $*: exit $rc, stdout $(wc -c <"$tmp/out") bytes, first line '$first'; want 64, '$want', usage"
    else
        ok "$want"
    fi
}
sc=$src/traces/scenarios/restart-article-jitter.yaml
model=$src/traces/models/dedup-none.yaml
expect run "herd run: unknown option '--sed' (did you mean '--set'?)" "$sc" --sed a=b
expect run "herd run: unknown option '--check-determinsim' (did you mean '--check-determinism'?)" "$sc" --check-determinsim
expect run "herd run: unknown option '--bogus'" "$sc" --bogus
expect check "herd check: unknown option '--max-stats' (did you mean '--max-states'?)" "$model" --max-stats 10
expect check "herd check: unknown option '--no-symetry' (did you mean '--no-symmetry'?)" "$model" --no-symetry
expect check "herd check: unknown option '--bogus'" "$model" --bogus
expect check "herd check: --out needs a value" "$model" --out
expect replay "herd replay: unknown option '--hepl' (did you mean '--help'?)" --hepl
expect replay "herd replay: unknown option '--bogus'" --bogus
expect render "herd render: unknown option '--fromat' (did you mean '--format'?)" run-dir --fromat svg
expect render "herd render: unknown option '--bogus'" run-dir --bogus
expect render "herd render: --format needs a value" run-dir --format
expect policies "herd policies: unknown option '--attemps' (did you mean '--attempts'?)" --attemps 3
expect policies "herd policies: unknown option '--bogus'" --bogus
expect policies "herd policies: unknown policy 'ful_jitter' (did you mean 'full_jitter'?)" --policy ful_jitter

# herd --help: every subcommand on a line of its own, and the pointer to COMMAND --help.
for h in --help -h; do
    "$herd" "$h" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] || bad "herd $h: exit $rc, stderr $(wc -c <"$tmp/err") bytes"
done
for cmd in run check replay render policies sweep shrink live; do
    grep -Eq "^  $cmd +[a-z]" "$tmp/out" || bad "herd --help does not list $cmd"
done
grep -q "herd COMMAND --help" "$tmp/out" && ok "herd --help lists the commands" || bad "herd --help: no 'herd COMMAND --help'"
"$herd" rnu >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 64 ] && [ "$(head -n 1 "$tmp/err")" = "herd: unknown command 'rnu' (did you mean 'run'?)" ] &&
    ok "unknown command gets a suggestion" || bad "herd rnu: exit $rc, '$(head -n 1 "$tmp/err")'"
exit $fail
