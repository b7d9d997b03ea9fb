#!/usr/bin/env bash
# tests/render.sh — `herd render` end to end. $1: the herd binary, $2: the source directory.
# Two real (small) runs of the restart scenarios and a real counterexample, then:
#   - the report and comparison pages: interactive (uPlot and report.js inline, the data
#     JSON parses, no <script src=>, no URL to fetch), and with --static every inline <svg>
#     is well-formed XML and there is no script at all; the standalone timeline SVG passes
#     xmllint;
#   - SYN drops by cause: summary.json's syn_drops_* add up to syn_drops, and the card
#     that says "accept queue full" shows syn_drops_backlog_full, not the total;
#   - the message-sequence chart: `dot` accepts the dot, the svg is well-formed, every
#     lifeline stands under its header box (tests/msc_align.py) in a counterexample and
#     in a long simulator chart, whose margin carries virtual times;
#   - the Perfetto output parses as JSON with trace events;
#   - the state diagrams: dot and svg written, dot accepts them;
#   - errors: a missing run directory or malformed trace is 65, an unwritable output 74;
#   - the static report opened in headless Chromium (Debian's chromium, installed through
#     scripts/deps.sh when missing) renders a non-blank timeline: the screenshot is decoded
#     (python3, zlib only) and the timeline's region must hold the series' colours. The
#     interactive report is driven in the browser by tests/report_browser.sh.
set -u
herd=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# Small versions of the reference runs: the same story, a tenth of the clients.
small=(--set world.clients=10000 --set world.rooms=1000 --set run.duration=60s)
"$herd" run "$src/traces/scenarios/restart-article-jitter.yaml" "${small[@]}" --out "$out/jitter" >/dev/null 2>&1
"$herd" run "$src/traces/scenarios/restart-fixed-1s.yaml" "${small[@]}" --out "$out/fixed" >/dev/null 2>&1
[ -f "$out/jitter/metrics.csv" ] && [ -f "$out/fixed/summary.json" ] && ok "runs" || bad "herd run wrote no run directory"

# ---- the pages ----
"$herd" render "$out/jitter" --out "$out/report.html" >/dev/null || bad "render report: exit $?"
"$herd" render "$out/fixed" "$out/jitter" --out "$out/compare.html" >/dev/null || bad "render compare: exit $?"
"$herd" render "$out/jitter" --format svg --out "$out/timeline.svg" >/dev/null || bad "render timeline svg: exit $?"
"$herd" render "$out/jitter" --static --out "$out/static.html" >/dev/null || bad "render --static: exit $?"
"$herd" render "$out/fixed" "$out/jitter" --static --out "$out/static-compare.html" >/dev/null || bad "render --static compare: exit $?"
xmllint --noout "$out/timeline.svg" && ok "timeline svg is well-formed (xmllint)" || bad "timeline svg is not well-formed"
# The static pages (--static): inline SVG only, no script at all, nothing to fetch.
python3 - "$out/static.html" "$out/static-compare.html" <<'EOF' && ok "static pages: inline SVG well-formed, no scripts, self-contained" || bad "static pages"
import re, sys, xml.etree.ElementTree as ET
for page in sys.argv[1:]:
    html = open(page, encoding="utf-8").read()
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) >= 2, f"{page}: no inline svg timeline"
    for s in svgs:
        ET.fromstring(s)  # raises on malformed XML
    for banned in ("<script", "src=", "href=", "@import", "url(http"):
        assert banned not in html, f"{page}: {banned} (the page must work offline)"
    assert "Cascade timeline" in html and 'class="timeline"' in html
EOF
# The interactive pages: uPlot and report.js inline (never a <script src=>), the data a
# JSON document that parses and names every run, no URL to fetch in any attribute or
# style outside the scripts, no fetch in the scripts, every <script> closed, the delay
# histogram still inline SVG. (The page in a browser: tests/report_browser.sh.)
python3 - "$out/report.html" "$out/compare.html" <<'EOF' && ok "interactive pages: uPlot inline, data parses, nothing to fetch" || bad "interactive pages"
import json, re, sys, xml.etree.ElementTree as ET
for page, nruns in zip(sys.argv[1:], (1, 2)):
    html = open(page, encoding="utf-8").read()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert html.count("<script") == len(scripts) == 3, f"{page}: {html.count('<script')} scripts, {len(scripts)} closed"
    assert all("src" not in attrs for attrs, _ in scripts), f"{page}: a script with src="
    assert "leeoniya/uPlot (v1.6.32)" in scripts[1][1], f"{page}: uPlot 1.6.32 not inlined"
    assert "window.herdReport" in scripts[2][1], f"{page}: report.js not inlined"
    data = json.loads(scripts[0][1])
    assert len(data["runs"]) == nruns and all(len(r["t"]) > 10 and r["cols"]["attempts"] for r in data["runs"]), page
    outside = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    for banned in (r"\bsrc\s*=", r"href\s*=\s*\"(?!#)", r"@import", r"url\(\s*['\"]?(https?:|//)"):
        assert not re.search(banned, outside), f"{page}: {banned} (the page must work offline)"
    for attrs, body in scripts:
        assert not re.search(r"\b(fetch|XMLHttpRequest|importScripts|WebSocket)\s*\(", body), f"{page}: a script fetches"
    for s in re.findall(r"<svg .*?</svg>", outside, re.S):
        ET.fromstring(s)
    assert 'id="herd-report"' in html and 'id="herd-servers"' in html and "Cascade timeline" in html
EOF
"$herd" render "$out/fixed" --static --out "$out/fixed.html" >/dev/null || bad "render fixed report: exit $?"
python3 - "$out/fixed/summary.json" "$out/fixed.html" <<'EOF' && ok "SYN drops by cause: they add up; the accept-queue card is backlog-full only" || bad "SYN drops by cause"
import json, re, sys
d = json.load(open(sys.argv[1]))
causes = ["backlog_full", "lb_down", "lb_rate_limited", "net_loss", "partition"]
assert sum(d["syn_drops_" + c] for c in causes) == d["syn_drops"], d
html = open(sys.argv[2], encoding="utf-8").read()
m = re.search(r"<b>([0-9,]+)</b><span>SYNs dropped: accept queue full</span>", html)
assert m, "no accept-queue card"
assert int(m.group(1).replace(",", "")) == d["syn_drops_backlog_full"], (m.group(1), d["syn_drops_backlog_full"])
for title in ("SYNs dropped by the load balancer", "SYNs dropped by the network"):
    assert title in html, title
EOF

# ---- a counterexample: chart and Perfetto ----
"$herd" check "$src/traces/models/ack-before-persist.yaml" --out "$out/cex" >/dev/null
trace="$out/cex/ack-before-persist.trace.jsonl"
"$herd" render "$trace" --format dot --out "$out/msc.dot" >/dev/null || bad "render dot: exit $?"
dot -Tsvg "$out/msc.dot" -o "$out/msc-check.svg" && ok "dot accepts the sequence chart" || bad "dot refused the chart"
grep -q 'D55E00' "$out/msc.dot" && ok "the violating step is highlighted" || bad "no highlighted step"
"$herd" render "$trace" --format svg --out "$out/msc.svg" >/dev/null || bad "render svg: exit $?"
xmllint --noout "$out/msc.svg" && ok "chart svg is well-formed" || bad "chart svg"
python3 "$src/tests/msc_align.py" "$out/msc.svg" >"$out/align.txt" && ok "chart: every lifeline under its header box" ||
    { bad "chart: a lifeline is off its header box"; cat "$out/align.txt"; }
# A simulator chart of many rows and eleven lifelines: with weight on the edges across a
# row, dot bent the lifelines up to 63 pt off their headers here.
"$herd" run "$src/traces/scenarios/restart-article-jitter.yaml" --set world.clients=2000 --set world.rooms=200 \
    --set trace.max_records=600 --out "$out/simchart" >/dev/null 2>&1
"$herd" render "$out/simchart/trace.jsonl" --format svg --out "$out/simchart.svg" >/dev/null || bad "render sim chart: exit $?"
python3 "$src/tests/msc_align.py" "$out/simchart.svg" >"$out/align.txt" && ok "sim chart: every lifeline under its header box" ||
    { bad "sim chart: a lifeline is off its header box"; cat "$out/align.txt"; }
grep -qE '>[0-9]+\.[0-9]{6} s</text>' "$out/simchart.svg" && ok "sim chart: virtual times in the margin" ||
    bad "sim chart: no virtual times"
"$herd" render "$trace" --format perfetto --out "$out/trace.json" >/dev/null || bad "render perfetto: exit $?"
python3 - "$out/trace.json" <<'EOF' && ok "perfetto JSON parses" || bad "perfetto JSON"
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
assert any(e.get("ph") == "X" for e in ev), "client state slices"
assert any(e.get("ph") == "i" and e.get("s") == "g" for e in ev), "the end marker"
names = {e["args"]["name"] for e in ev if e.get("ph") == "M" and e["name"] == "thread_name"}
assert "client 0" in names and "server 0" in names, names
EOF

# ---- state diagrams ----
"$herd" render --states "$out/diagrams" >/dev/null || bad "render --states: exit $?"
for m in client session; do
    dot -Tsvg "$out/diagrams/$m.dot" -o /dev/null && xmllint --noout "$out/diagrams/$m.svg" \
        && ok "$m state diagram" || bad "$m state diagram"
done

# ---- errors ----
"$herd" render "$out/nonexistent" --out "$out/x.html" 2>"$out/err"; rc=$?
[ $rc -eq 65 ] && grep -q 'not a run directory' "$out/err" && ok "missing run dir: 65" || bad "missing run dir: exit $rc"
[ ! -e "$out/x.html" ] || bad "a failed render left a file"
printf '{"format":"herd-trace","version":1}\n{"step":x}\n' >"$out/bad.jsonl"
"$herd" render "$out/bad.jsonl" --format dot --out "$out/x.dot" 2>"$out/err"; rc=$?
[ $rc -eq 65 ] && grep -q 'bad.jsonl:2' "$out/err" && ok "malformed trace: 65 with file:line" || bad "malformed trace: exit $rc"
"$herd" render "$out/jitter" --out "$out/no/such/dir/r.html" 2>/dev/null; rc=$?
[ $rc -eq 74 ] && ok "unwritable output: 74" || bad "unwritable output: exit $rc"
"$herd" render "$out/jitter" --bogus 2>/dev/null; rc=$?
[ $rc -eq 64 ] && ok "usage: 64" || bad "usage: exit $rc"

# ---- the report in a real browser ----
if ! command -v chromium >/dev/null; then
    . "$src/scripts/deps.sh"
    herd_ensure_deps >&2
fi
if ! command -v chromium >/dev/null; then
    bad "chromium is not installed (scripts/deps.sh installs it as root)"
    exit 1
fi
profile=$(mktemp -d)
# Half the device scale keeps the PNG small enough to decode quickly in pure Python.
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$profile" --force-device-scale-factor=0.5 --window-size=1400,2000 \
    --screenshot="$out/shot.png" "file://$out/static.html" >/dev/null 2>&1
rm -rf "$profile"
[ -s "$out/shot.png" ] || { bad "chromium wrote no screenshot"; exit 1; }
python3 - "$out/shot.png" <<'EOF' && ok "chromium renders a non-blank timeline" || bad "blank or missing timeline in the screenshot"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
bpp = 4 if ctype == 6 else 3
raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
for y in range(h):  # undo the PNG row filters
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride): line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for i in range(stride): line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
def px(x, y): r = rows[y]; return r[x * bpp], r[x * bpp + 1], r[x * bpp + 2]
# Series are thin antialiased lines at this scale: classify by hue, not exact colour.
def coloured(c): return max(c) - min(c) > 25           # not white, grey or black
def bluish(c): return c[2] > c[0] + 50 and c[2] > 110   # attempts/s, connected (#0072B2)
def greenish(c): return c[1] > c[0] + 50 and c[1] > c[2] + 15  # accepted/s, ACKed/s (#009E73)
pts = [(x, y) for y in range(h) for x in range(w) if coloured(px(x, y))]
assert len(pts) > 2000, f"only {len(pts)} coloured pixels on the page"
ys = sorted(y for x, y in pts)
top, bottom = ys[len(ys) // 100], ys[-1 - len(ys) // 100]
assert bottom - top > h // 4, f"the coloured series span only rows {top}-{bottom} of {h}"
blues = sum(1 for x, y in pts if top <= y <= bottom and bluish(px(x, y)))
greens = sum(1 for x, y in pts if top <= y <= bottom and greenish(px(x, y)))
assert blues > 500, f"attempts/connected series missing ({blues} blue pixels)"
assert greens > 50, f"accepted/ACKed series missing ({greens} green pixels)"
print(f"     timeline rows {top}-{bottom} of {h}: {len(pts)} coloured, {blues} blue, {greens} green pixels")
EOF
exit $fail
