#!/usr/bin/env python3
# msc_align.py SVG — a sequence chart's lifelines stand under their header boxes: for every
# header box hN (dot's node title), each lifeline segment rKcN -> rK+1cN starts at the box's
# centre x (within 0.5 pt). Prints the worst offset per lifeline; exit 1 if any is off.
# Used by tests/render.sh and tests/failtrace.sh.
import re, sys

svg = open(sys.argv[1], encoding="utf-8").read()
heads = {}
for m in re.finditer(r'<title>h(\d+)</title>\s*<polygon[^>]*points="([^"]+)"', svg):
    xs = [float(p.split(",")[0]) for p in m.group(2).split()]
    heads[int(m.group(1))] = (min(xs) + max(xs)) / 2
segs = {}
for m in re.finditer(r'<title>r\d+c(\d+)&#45;&gt;r\d+c\1</title>\s*<path[^>]*d="M([-\d.]+),', svg):
    segs.setdefault(int(m.group(1)), []).append(float(m.group(2)))
if not heads:
    sys.exit("no header boxes in " + sys.argv[1])
bad = 0
for c in sorted(heads):
    xs = segs.get(c, [])
    worst = max((abs(x - heads[c]) for x in xs), default=0.0)
    print(f"lifeline {c}: header centre x={heads[c]:.1f}, {len(xs)} segments, worst offset {worst:.1f} pt")
    if not xs or worst > 0.5:
        bad = 1
sys.exit(bad)
