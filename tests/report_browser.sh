#!/usr/bin/env bash
# tests/report_browser.sh — the interactive report in a real browser. $1: the herd binary,
# $2: the source directory. Renders one run (lb-dedup-local-round-robin: an offline fault
# and a first I2 violation) and an overlay of two (with lb-dedup-local-sticky-crash: a
# crash fault and its own I2), then tests/report_browser.js opens each report.html through
# file:// in headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core from
# third_party/node_modules, fresh profile, no network) and fails on any console or page
# error; checks every panel, the fault lanes, the violation markers and the per-server
# strip; reads the crosshair legend against the data; zooms by a drag and resets by a
# double-click. Node, Chromium and the npm packages come from scripts/deps.sh: when one is
# missing it is installed (as root) or the test fails saying what is missing.
set -u
herd=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export NODE_PATH="$src/third_party/node_modules"
have_all() {
    command -v node >/dev/null && [ -x /usr/bin/chromium ] &&
        [ -f "$NODE_PATH/puppeteer-core/package.json" ] && [ -f "$NODE_PATH/uplot/dist/uPlot.iife.min.js" ]
}
if ! have_all; then
    . "$src/scripts/deps.sh"
    herd_ensure_deps >&2
fi
if ! have_all; then
    echo "FAIL the browser test needs node, /usr/bin/chromium and third_party/node_modules (puppeteer-core, uplot):" \
         "run scripts/deps.sh's herd_ensure_deps as root" >&2
    exit 1
fi
for s in lb-dedup-local-round-robin lb-dedup-local-sticky-crash; do
    "$herd" run "$src/traces/scenarios/$s.yaml" --out "$out/$s" >/dev/null 2>&1
    [ -f "$out/$s/servers.csv" ] || { echo "FAIL herd run $s wrote no run directory"; exit 1; }
done
"$herd" render "$out/lb-dedup-local-round-robin" --out "$out/report.html" >/dev/null || { echo "FAIL render: exit $?"; exit 1; }
"$herd" render "$out/lb-dedup-local-round-robin" "$out/lb-dedup-local-sticky-crash" --out "$out/overlay.html" >/dev/null ||
    { echo "FAIL render overlay: exit $?"; exit 1; }
grep -q 'id="herd-data"' "$out/report.html" ||
    { echo "FAIL the report is not interactive: this herd was built without uPlot (rebuild after scripts/deps.sh)"; exit 1; }
timeout 300 node "$src/tests/report_browser.js" "$out/report.html" "$out/overlay.html"
