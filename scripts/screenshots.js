// screenshots.js — the images of docs/rendering.md, taken in headless Chromium through
// puppeteer-core (scripts/screenshots runs it). usage: node screenshots.js REPORT OVERLAY DIR
"use strict";
const path = require("path");
const fs = require("fs");
const os = require("os");
const puppeteer = require("puppeteer-core");

const [report, overlay, dir] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function open(browser, file) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  // tall enough that nothing scrolls: the mouse and the clips share page coordinates, and
  // taking a screenshot does not resize the viewport under the cursor
  await page.setViewport({ width: 1180, height: 5200, deviceScaleFactor: 1 });
  await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
  await page.waitForFunction(() => window.herdReport && window.herdReport.charts.length > 0, { timeout: 10000 });
  if (errors.length) throw new Error(file + ": " + errors.join("; "));
  return page;
}

// A rectangle around the elements matching the selectors (page coordinates).
async function around(page, selectors, pad) {
  return page.evaluate((sels, p) => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const sel of sels) for (const e of document.querySelectorAll(sel)) {
      const r = e.getBoundingClientRect();
      x0 = Math.min(x0, r.left); y0 = Math.min(y0, r.top + scrollY); x1 = Math.max(x1, r.right); y1 = Math.max(y1, r.bottom + scrollY);
    }
    return { x: Math.max(0, x0 - p), y: Math.max(0, y0 - p), width: x1 - x0 + 2 * p, height: y1 - y0 + 2 * p };
  }, selectors, pad);
}

async function centreOf(page, selector) {
  return page.evaluate((sel) => {
    const e = document.querySelector(sel);
    const r = e.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  }, selector);
}

async function shot(page, name, clip) {
  const file = path.join(dir, name);
  await page.screenshot({ path: file, clip: clip, captureBeyondViewport: false });
  console.log(file + " (" + Math.round(fs.statSync(file).size / 1024) + " KB)");
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "herd-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: process.env.HERD_CHROMIUM || "/usr/bin/chromium", headless: true, userDataDir: profile,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--font-render-hinting=none"],
  });
  try {
    let page = await open(browser, report);
    await shot(page, "report-timeline.png", await around(page, ["#timeline"], 0));

    // the crosshair at 30.6 s: every panel's legend reads that instant
    const top = ['.herd-panel[data-panel="lanes"]', '.herd-panel[data-panel="attempts"]',
                 '.herd-panel[data-panel="wasted"]', '.herd-panel[data-panel="connected"]'];
    const ap = await centreOf(page, '.herd-panel[data-panel="attempts"] .u-over');
    const x = await page.evaluate(() => window.herdReport.charts[1].u.valToPos(30.6, "x"));
    await page.mouse.move(ap.x + x, ap.y + ap.h * 0.4);
    await sleep(150);
    await shot(page, "report-hover.png", await around(page, top.slice(0, 3), 6));

    // a drag from 28 s to 45 s zooms every panel
    const x0 = await page.evaluate(() => window.herdReport.charts[1].u.valToPos(28, "x"));
    const x1 = await page.evaluate(() => window.herdReport.charts[1].u.valToPos(45, "x"));
    await page.mouse.move(ap.x + x0, ap.y + ap.h / 2);
    await page.mouse.down();
    await page.mouse.move(ap.x + (x0 + x1) / 2, ap.y + ap.h / 2, { steps: 5 });
    await page.mouse.move(ap.x + x1, ap.y + ap.h / 2, { steps: 5 });
    await page.mouse.up();
    await page.mouse.move(5, 5);
    await sleep(150);
    await shot(page, "report-zoom.png", await around(page, top, 6));
    await page.close();

    // the per-server strip: lb-sticky-herd's server 0 takes the whole herd
    page = await open(browser, overlay);
    const sv = await centreOf(page, "#herd-servers .u-over");
    const hx = await page.evaluate(() => window.herdReport.heat.u.valToPos(33, "x"));
    await page.mouse.move(sv.x + hx, sv.y + 6);
    await sleep(150);
    await shot(page, "report-servers.png", await around(page, ["#servers"], 0));
    await page.close();
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(1); });
