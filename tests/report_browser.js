// report_browser.js — drives the interactive report of `herd render` in headless Chromium
// (puppeteer-core from third_party/node_modules, the system /usr/bin/chromium), for
// tests/report_browser.sh. usage: node report_browser.js PAGE.html [PAGE.html...]
//
// For each page, opened through file:// with a fresh profile and no network: any console
// error, page error, failed request or request that is not file: or data: fails the test.
// Then: every panel is a drawn chart; the fault lanes (one per fault, none overlapping,
// labelled), the violation marker (at its time, with the invariant's number, linking to the
// replay commands) and the per-server strip are there; the cursor over a panel shows in
// the legend of every panel the values of the data at that instant; hovering a lane, a
// marker and the strip explains them; a drag zooms every chart to the same range and a
// double-click resets them. Prints one "ok" line per check; exits 1 at the first failure.
"use strict";
const path = require("path");
const fs = require("fs");
const os = require("os");
const puppeteer = require("puppeteer-core");

const CHROMIUM = process.env.HERD_CHROMIUM || "/usr/bin/chromium";
let failures = 0;
function ok(what) { console.log("ok   " + what); }
function check(cond, what, detail) {
  if (cond) { ok(what); return; }
  console.log("FAIL " + what + (detail !== undefined ? ": " + JSON.stringify(detail) : ""));
  failures++;
  throw new Error(what);
}
const num = (s) => Number(String(s).replace(/,/g, "").replace(/ s$/, ""));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Centre of an element in viewport coordinates, after scrolling it into view.
async function box(page, selector) {
  return page.evaluate((sel) => {
    const e = document.querySelector(sel);
    if (!e) return null;
    e.scrollIntoView({ block: "center" });
    const r = e.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  }, selector);
}

// The legend of chart i: the time and each series' label and value.
function legendOf(page, i) {
  return page.evaluate((k) => {
    const u = window.herdReport.charts[k].u;
    const rows = [...u.root.querySelectorAll(".u-legend tr.u-series")];
    return rows.map((tr) => ({ label: tr.querySelector("th").textContent.trim(),
                               value: tr.querySelector("td.u-value").textContent.trim() }));
  }, i);
}

async function checkPage(browser, file) {
  const name = path.basename(file);
  const page = await browser.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
  page.on("request", (r) => { if (!/^(file|data):/.test(r.url())) problems.push("request to " + r.url()); });
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
  const ran = await page.waitForFunction(() => window.herdReport && window.herdReport.charts.length > 0, { timeout: 10000 })
    .then(() => true, () => false);
  check(ran, name + ": report.js built the charts", problems);
  const info = await page.evaluate(() => {
    const R = window.herdReport;
    return { ids: R.charts.map((c) => c.id), runs: R.data.runs.length, tMin: R.tMin, tMax: R.tMax,
             bands: R.data.runs.flatMap((r) => r.bands.map((b) => b.start_s + "/" + b.end_s + "/" + b.label)),
             violations: R.data.runs.filter((r) => r.violation).length,
             drawn: R.charts.map((c) => c.u.ctx.canvas.width * c.u.ctx.canvas.height > 0 && c.u.root.isConnected) };
  });
  const compare = info.runs > 1;
  const want = compare
    ? ["lanes", "attempts", "accepts", "backlog_full", "syn_drops", "wasted", "connected", "accept_queue", "delivered", "servers"]
    : ["lanes", "attempts", "wasted", "lb_drops", "net_drops", "connected", "accept_queue", "queued", "goodput", "servers"];
  check(JSON.stringify(info.ids) === JSON.stringify(want) && info.drawn.every(Boolean),
        name + ": every panel is a drawn chart (" + want.length + ")", info.ids);

  // ---- fault lanes ----
  const lanes = await page.evaluate(() => [...document.querySelectorAll(".herd-lane")].map((e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, w: r.width, text: e.textContent, hidden: e.hidden };
  }));
  const distinct = new Set(info.bands).size;
  check(lanes.length === distinct && distinct > 0, name + ": one lane per fault (" + distinct + ")", lanes.length);
  check(lanes.every((l) => !l.hidden && l.w >= 3 && l.text.length > 3), name + ": every lane is drawn and labelled", lanes);
  check(lanes.every((a, i) => lanes.every((b, j) => i === j || a.bottom <= b.top || b.bottom <= a.top)),
        name + ": no two lanes overlap", lanes);

  // ---- violation markers ----
  const marks = await page.evaluate(() => [...document.querySelectorAll(".herd-vmark")].map((a) => {
    const u = window.herdReport.charts.find((c) => c.id === "lanes").u;
    const r = a.getBoundingClientRect(), o = u.over.getBoundingClientRect();
    const target = document.querySelector(a.getAttribute("href"));
    return { inv: a.textContent, at: +a.dataset.at, centre: r.left + r.width / 2 - o.left, want: u.valToPos(+a.dataset.at, "x"),
             replay: target ? target.querySelector("[data-role=replay]").textContent : null };
  }));
  check(marks.length === info.violations && marks.length > 0, name + ": a marker per first violation (" + marks.length + ")", marks);
  check(marks.every((m) => /^I\d+$/.test(m.inv) && Math.abs(m.centre - m.want) < 2),
        name + ": each marker carries its invariant and stands at its time", marks);
  check(marks.every((m) => m.replay && /herd run .* --trace-clients \d/.test(m.replay) && /herd render .*trace\.jsonl/.test(m.replay)),
        name + ": each marker links to the commands that replay and chart its clients", marks.map((m) => m.replay));

  // ---- hover: the crosshair's values in every panel's legend ----
  const ap = await box(page, '.herd-panel[data-panel="attempts"] .u-over');
  await page.mouse.move(ap.x + ap.w * 0.4, ap.y + ap.h / 2);
  await sleep(100);
  const legends = await page.evaluate(() => window.herdReport.charts.map((c) => c.id));
  const seen = {};
  for (const id of ["attempts", "connected"]) seen[id] = await legendOf(page, legends.indexOf(id));
  const t = num(seen.attempts[0].value);
  check(Number.isFinite(t) && t > info.tMin && t < info.tMax, name + ": the legend shows the time under the cursor (" + t + " s)", seen.attempts[0]);
  check(seen.connected[0].value === seen.attempts[0].value, name + ": every panel's legend follows the same instant", [seen.attempts[0], seen.connected[0]]);
  const expected = await page.evaluate((tt, cmp) => {
    const out = [];
    window.herdReport.data.runs.forEach((r) => {
      let i = 0, best = Infinity;
      r.t.forEach((v, k) => { if (Math.abs(v - tt) < best) { best = Math.abs(v - tt); i = k; } });
      out.push({ attempts: r.cols.attempts[i], connected: r.cols.connected[i], dt: best });
    });
    return out;
  }, t, compare);
  // single: series 1 is attempts/s; a comparison: one series per run (attempts, capacity).
  const attemptsShown = compare ? seen.attempts.filter((s, i) => i % 2 === 1).map((s) => num(s.value)) : [num(seen.attempts[1].value)];
  const connectedShown = seen.connected.slice(1).map((s) => num(s.value));
  const close = (a, b) => Number.isFinite(a) && Math.abs(a - b) <= Math.max(0.51, Math.abs(b) * 0.005);
  check(expected.every((e, r) => e.dt < 1e-6 && close(attemptsShown[r], e.attempts) && close(connectedShown[r], e.connected)),
        name + ": the legend's values are the data at that time (attempts/s " + attemptsShown.join(", ") +
        "; connected " + connectedShown.join(", ") + ")", { shown: [attemptsShown, connectedShown], expected });

  const synced = await page.evaluate(() => window.herdReport.heat.readout.textContent);
  check(/^t [\d.]+ s · .*: largest [\d,.]+ \(server \d+\)$/.test(synced),
        name + ": with the cursor on a panel, the strip names the largest server at that time", synced);

  // ---- hover: a lane, a marker explain themselves ----
  const lane = await box(page, ".herd-lane");
  await page.mouse.move(lane.x + Math.min(lane.w / 2, 20), lane.y + lane.h / 2);
  await sleep(50);
  let tipText = await page.evaluate(() => { const t = document.querySelector(".herd-tip"); return t.hidden ? "" : t.textContent; });
  check(/fault 1: .*kind: .*from .* s to .* s/.test(tipText), name + ": hovering a fault lane says what the fault is", tipText);
  const mk = await box(page, ".herd-vmark");
  await page.mouse.move(mk.x + mk.w / 2, mk.y + mk.h / 2);
  await sleep(50);
  tipText = await page.evaluate(() => { const t = document.querySelector(".herd-tip"); return t.hidden ? "" : t.textContent; });
  check(new RegExp("^" + marks[0].inv + " first violated at ").test(tipText) && /clients \d/.test(tipText),
        name + ": hovering the marker explains the violation", tipText);

  // ---- the per-server strip ----
  const sv = await box(page, "#herd-servers .u-over");
  const options = await page.$$eval("#herd-server-metric option", (os) => os.map((o) => o.textContent));
  check(options.length >= 3 && options.some((o) => /accept queue/.test(o)), name + ": the per-server view has a metric selector", options);
  await page.mouse.move(sv.x + sv.w * 0.5, sv.y + sv.h * 0.1);
  await sleep(50);
  const heat = await page.evaluate(() => {
    const H = window.herdReport.heat, s = window.herdReport.data.runs[H.state.run].servers, m = s.metrics[H.state.metric];
    const text = H.readout.textContent, g = /server (\d+) · t ([\d.]+) s · .*: ([\d,.]+)$/.exec(text);
    if (!g) return { text };
    const c = s.t.findIndex((v) => Math.abs(v - +g[2]) < 1e-9);
    let want = 0;
    if (m.v) { // the row's run-length code, read here independently of report.js
      const cells = [];
      for (const p of m.v[+g[1]].split(",")) { const [v, n] = p.split("*"); for (let i = 0; i < (n ? +n : 1); i++) cells.push(+v); }
      want = cells.length === s.t.length ? cells[c] : NaN;
    }
    // the column under the cursor is the one drawn there: it ends at or after the cursor's
    // time, less than one column's span after it
    const u = H.u, tc = u.posToVal(u.cursor.left, "x"), span = s.t[1] - s.t[0];
    const placed = s.t[c] >= tc - 1e-9 && s.t[c] - span < tc + 1e-9;
    return { text, server: +g[1], shown: +g[3].replace(/,/g, ""), want, n: s.n, placed, tc, col_t: s.t[c], span };
  });
  check(heat.placed, name + ": the strip's column under the cursor is the one for the cursor's time", heat);
  check(heat.server === 0 && Number.isFinite(heat.shown) && Math.abs(heat.shown - heat.want) <= 0.51,
        name + ": hovering the strip gives server, time and that cell's value (" + heat.text + ")", heat);
  await page.select("#herd-server-metric", "0");
  await page.mouse.move(sv.x + sv.w * 0.5, sv.y + sv.h * 0.95);
  await sleep(50);
  const heat2 = await page.evaluate(() => window.herdReport.heat.readout.textContent);
  check(/^server \d+ · t /.test(heat2) && !heat2.startsWith("server 0 "), name + ": another metric and the last server read back", heat2);

  // ---- drag to zoom: every chart follows; double-click resets ----
  const a2 = await box(page, '.herd-panel[data-panel="attempts"] .u-over');
  await page.mouse.move(a2.x + a2.w * 0.3, a2.y + a2.h / 2);
  await page.mouse.down();
  await page.mouse.move(a2.x + a2.w * 0.45, a2.y + a2.h / 2, { steps: 4 });
  await page.mouse.move(a2.x + a2.w * 0.6, a2.y + a2.h / 2, { steps: 4 });
  await page.mouse.up();
  await sleep(100);
  const zoomed = await page.evaluate(() => window.herdReport.charts.map((c) => [c.id, c.u.scales.x.min, c.u.scales.x.max]));
  const [, z0, z1] = zoomed[1];
  const span = info.tMax - info.tMin;
  check(z1 - z0 < span * 0.5 && z0 > info.tMin + span * 0.2 && z1 < info.tMax - span * 0.3,
        name + ": a drag zooms the time axis (" + z0.toFixed(2) + "–" + z1.toFixed(2) + " s of " + span.toFixed(1) + ")", zoomed[1]);
  check(zoomed.every(([, a, b]) => Math.abs(a - z0) < 1e-6 && Math.abs(b - z1) < 1e-6), name + ": every chart follows the zoom", zoomed);
  const lanesAfter = await page.evaluate(() => {
    const m = document.querySelector(".herd-vmark"), u = window.herdReport.charts.find((c) => c.id === "lanes").u;
    return { hidden: m.hidden, left: parseFloat(m.style.left) + 13, want: u.valToPos(+m.dataset.at, "x"), min: u.scales.x.min, max: u.scales.x.max, at: +m.dataset.at };
  });
  check(lanesAfter.at < lanesAfter.min || lanesAfter.at > lanesAfter.max ? lanesAfter.hidden : Math.abs(lanesAfter.left - lanesAfter.want) < 2,
        name + ": the marker moves with the zoom", lanesAfter);
  const a3 = await box(page, '.herd-panel[data-panel="connected"] .u-over');
  await page.mouse.click(a3.x + a3.w / 2, a3.y + a3.h / 2, { count: 2 });
  await sleep(100);
  const reset = await page.evaluate(() => window.herdReport.charts.map((c) => [c.id, c.u.scales.x.min, c.u.scales.x.max]));
  check(reset.every(([, a, b]) => Math.abs(a - info.tMin) < 1e-6 && Math.abs(b - info.tMax) < 1e-6) || false,
        name + ": a double-click resets every chart to the whole run", reset);

  check(problems.length === 0, name + ": no console error, page error or request outside the file", problems);
  await page.close();
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "herd-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, userDataDir: profile,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const file of process.argv.slice(2)) await checkPage(browser, file);
  } catch (e) {
    if (!failures) { console.log("FAIL " + (e && e.stack || e)); failures++; }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failures ? 1 : 0);
})();
