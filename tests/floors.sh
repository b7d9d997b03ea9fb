#!/usr/bin/env bash
# floors.sh — the house keeps its floors (docs/architecture.md):
#  (a) includes: src/ includes only src/ and libc; lib/ only lib/ and src/; sim/, model/ and
#      render/ only their own folder, src/ and lib/ (never each other, never cli/); only cli/
#      reaches all three. Read from the #include lines of every .c and .h.
#  (b) no circle of more than two files inside sim/ or model/: a file-level graph from the
#      object files' symbols (A -> B when A's object uses a symbol B's object defines, by
#      nm), its strongly connected components. A circle listed in tests/floors.allow is
#      tolerated while it lasts; a listed circle that no longer exists fails too, so the
#      list only shrinks.
#   usage: floors.sh HERD_EXE SOURCE_DIR
set -uo pipefail
herd=$1
src=$2
build=$(cd "$(dirname "$herd")" && pwd)
fail=0

# (a) every quoted include resolves to a header in a folder the includer may see.
declare -A may=([src]="src" [lib]="lib src" [sim]="sim lib src" [model]="model lib src"
                [render]="render lib src" [live]="live lib src" [cli]="cli sim model render live lib src")
for dir in src lib sim model render live cli; do
    for f in "$src/$dir"/*.c "$src/$dir"/*.h; do
        [ -e "$f" ] || continue
        while IFS= read -r h; do
            ok=0
            for d in ${may[$dir]}; do [ -e "$src/$d/$h" ] && ok=1; done
            if [ $ok = 0 ]; then
                where=$(cd "$src" && ls -d */"$h" 2>/dev/null | head -1)
                echo "FAIL $dir/$(basename "$f") includes \"$h\" (${where:-not found}): $dir/ may include only ${may[$dir]}"
                fail=1
            fi
        done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
    done
done
[ $fail = 0 ] && echo "ok   includes: src < lib < {sim, model, render} < cli, no peer includes another"

# (b) circles, from the objects of the build that made HERD_EXE.
python3 - "$build" "$src" <<'PY' || fail=1
import glob, os, subprocess, sys
build, srcdir = sys.argv[1], sys.argv[2]
allow_path = os.path.join(srcdir, 'tests', 'floors.allow')
allowed = set()
for line in open(allow_path):
    line = line.split('#', 1)[0].split()
    if line: allowed.add(' '.join(sorted(line)))
def nm(o, defined):
    args = ['nm', '--defined-only' if defined else '-u', o]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    syms = set()
    for l in out.splitlines():
        p = l.split()
        if defined and len(p) == 3 and p[1] in 'TDBRC': syms.add(p[2])
        if not defined and p: syms.add(p[-1])
    return syms
found, bad = set(), False
for lib, folder in (('herd_sim', 'sim'), ('herd_model', 'model')):
    objs = sorted(glob.glob(os.path.join(build, 'CMakeFiles', lib + '.dir', folder, '*.o')))
    # only objects of sources that exist (a moved file leaves its old object behind)
    objs = [o for o in objs if os.path.exists(os.path.join(srcdir, folder, os.path.basename(o)[:-2]))]
    if not objs:
        print(f'FAIL no object files for {folder}/ under {build}'); sys.exit(1)
    name = {o: folder + '/' + os.path.basename(o)[:-len('.o')] for o in objs}
    defs = {o: nm(o, True) for o in objs}
    edges = {o: {p for p in objs if p != o and nm(o, False) & defs[p]} for o in objs}
    index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]
    def strong(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in edges[v]:
            if w not in index: strong(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop(); on.discard(w); c.append(w)
                if w == v: break
            comps.append(c)
    sys.setrecursionlimit(10000)
    for v in objs:
        if v not in index: strong(v)
    for c in comps:
        if len(c) <= 2: continue
        key = ' '.join(sorted(name[o] for o in c))
        found.add(key)
        if key in allowed: print(f'allowed circle of {len(c)} files (tests/floors.allow): {key}')
        else: print(f'FAIL circle of {len(c)} files: {key}'); bad = True
for key in sorted(allowed - found):
    print(f'FAIL tests/floors.allow lists a circle that no longer exists (remove it): {key}'); bad = True
if not bad: print('ok   no circle of more than two files in sim/ or model/ beyond the allowed ones')
sys.exit(1 if bad else 0)
PY
exit $fail
