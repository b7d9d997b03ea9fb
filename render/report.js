/* report.js — the interactive cascade timeline of `herd render RUN_DIR...`, inlined into
 * report.html by render/report_html.c together with uPlot (third_party, pinned in
 * scripts/deps.sh) and the runs' data (render/report_data.c: columns as arrays).
 *
 * It builds, inside #herd-report: the runs' legend (a comparison), one lane per fault and
 * a lane of violation markers, then one uPlot chart per panel; inside #herd-servers, the
 * per-server heat strip (servers x time) with its metric selector. Every chart shares one
 * cursor (uPlot's cursor sync: the crosshair and the legend values of every panel at one
 * instant) and one time axis: a drag zooms every chart, a double-click resets them. Fault
 * bands shade every panel; a dashed line marks each first violation and each run's
 * recovery. window.herdReport exposes the charts to tests/report_browser.js and
 * scripts/screenshots. docs/rendering.md explains each panel. */
(function () {
  "use strict";

  const OI = { black: "#000000", orange: "#E69F00", sky: "#56B4E9", green: "#009E73", blue: "#0072B2",
               verm: "#D55E00", purple: "#CC79A7", yellow: "#F0E442" };
  const SYNC_KEY = "herd";
  const AXIS_W = 64;   // every chart's left axis, so the plot areas line up
  const RIGHT_W = 64;  // the right axis, or the same room left empty
  const LANE_H = 24;

  const data = JSON.parse(document.getElementById("herd-data").textContent);
  const runs = data.runs;
  const compare = runs.length > 1;
  const root = document.getElementById("herd-report");
  const charts = [];   // {id, u} for every uPlot on the page

  // ---- panels: [column key, label, colour, dash, area] ----
  const singlePanels = [
    { id: "attempts", title: "Connection attempts against accept capacity (per second)", h: 190, pin: ["attempts", "capacity_per_s"],
      s: [["attempts", "attempts/s", OI.blue], ["refused", "refused/s", OI.orange, [2, 2]],
          ["accepts", "accepted/s", OI.green], ["capacity_per_s", "accept capacity", OI.black, [7, 4]]] },
    { id: "wasted", title: "Wasted work at the accept path (per second)", h: 130,
      s: [["syn_drops_backlog_full", "SYNs dropped, accept queue full/s", OI.verm],
          ["wasted_handshakes", "wasted handshakes/s", OI.purple, [5, 2]]] },
    { id: "lb_drops", title: "SYNs dropped by the load balancer (per second)", h: 100,
      s: [["syn_drops_lb_down", "LB down/s", OI.black, [7, 4]], ["syn_drops_lb_rate_limited", "LB rate limit/s", OI.orange, [2, 2]]] },
    { id: "net_drops", title: "SYNs dropped by the network (per second)", h: 100,
      s: [["syn_drops_net_loss", "network loss/s", OI.sky], ["syn_drops_partition", "partition/s", OI.blue, [5, 2]]] },
    { id: "connected", title: "Connected clients (LIVE)", h: 130, s: [["connected", "connected", OI.blue, null, true]] },
    { id: "accept_queue", title: "Accept queues (SYNs waiting for a worker, all servers)", h: 100,
      s: [["accept_queue", "accept queue", OI.verm, null, true]] },
    { id: "queued", title: "Retry queues (messages published, not yet ACKed)", h: 100, s: [["queued", "queued messages", OI.sky, null, true]] },
    { id: "goodput", title: "Goodput (per second)", h: 130,
      s: [["delivered", "delivered/s", OI.blue, [6, 3]], ["acked", "ACKed/s", OI.green],
          ["backpressure", "publishes refused (full queue)/s", OI.verm, [2, 2]]] },
  ];
  const totalDropsPanel = { id: "syn_drops", title: "SYNs dropped, all causes (per second; this run directory has no breakdown by cause)",
                            h: 100, s: [["syn_drops", "SYN drops/s", OI.verm]] };
  const comparePanels = [
    { id: "attempts", title: "Connection attempts per second (dotted: each run's accept capacity)", h: 190, key: "attempts", label: "attempts/s", capacity: true },
    { id: "accepts", title: "Accepted connections per second", h: 120, key: "accepts", label: "accepted/s" },
    { id: "backlog_full", title: "SYNs dropped because the accept queue was full, per second", h: 110, key: "syn_drops_backlog_full", label: "accept queue full/s" },
    { id: "syn_drops", title: "SYNs dropped, all causes, per second", h: 110, key: "syn_drops", label: "SYN drops/s" },
    { id: "wasted", title: "Wasted handshakes per second", h: 110, key: "wasted_handshakes", label: "wasted/s" },
    { id: "connected", title: "Connected clients (LIVE)", h: 130, key: "connected", label: "connected" },
    { id: "accept_queue", title: "Accept queues (SYNs waiting, all servers)", h: 100, key: "accept_queue", label: "accept queue" },
    { id: "delivered", title: "Messages delivered per second", h: 110, key: "delivered", label: "delivered/s" },
  ];
  const serverMetricNames = {
    up: "server up (1) or down (0)", accept_queue: "accept queue depth", sessions: "connected sessions",
    handshakes: "handshakes/s", wasted_handshakes: "wasted handshakes/s", refused: "refused/s",
    syn_drops_backlog_full: "SYN drops: accept queue full/s", syn_drops_partition: "SYN drops: partition/s",
    syn_drops_lb_down: "SYN drops: LB down/s", syn_drops_net_loss: "SYN drops: network loss/s",
  };

  // ---- numbers ----
  function fmtNum(v) {
    if (v == null || !isFinite(v)) return "–";
    return v.toLocaleString("en-US", { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 });
  }
  function fmtTick(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toFixed(2) + "M";
    if (a >= 1e3) return +(v / 1e3).toFixed(2) + "k";
    return String(+v.toFixed(3));
  }
  function fmtTime(v) { return v == null ? "–" : +v.toFixed(3) + " s"; }
  function colMax(a) { let m = 0; if (a) for (const v of a) if (v > m) m = v; return m; }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  let tMin = Infinity, tMax = -Infinity;
  for (const r of runs) { tMin = Math.min(tMin, r.t[0]); tMax = Math.max(tMax, r.t[r.t.length - 1]); }

  // ---- the tooltip (faults, violations) ----
  const tip = el("div", "herd-tip");
  tip.hidden = true;
  document.body.appendChild(tip);
  function showTip(e, lines) {
    tip.replaceChildren(...lines.map((l, i) => el(i ? "div" : "b", null, l)));
    tip.hidden = false;
    const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = x + "px";
    tip.style.top = (e.clientY + 16) + "px";
  }
  function hideTip() { tip.hidden = true; }

  // ---- faults: one lane each (runs of one scenario share theirs), and violations ----
  const faults = [];
  runs.forEach((r, ri) => r.bands.forEach((b) => {
    if (!faults.some((f) => f.start_s === b.start_s && f.end_s === b.end_s && f.label === b.label))
      faults.push(Object.assign({ run: ri }, b));
  }));
  const faultColours = [OI.orange, OI.sky, OI.purple, OI.green, OI.yellow, OI.blue, OI.verm, OI.black];
  const violations = [];
  runs.forEach((r, ri) => { if (r.violation) violations.push(Object.assign({ run: ri }, r.violation)); });

  // Behind every panel's series: the fault bands, lightly; over them, the recovery and
  // violation lines.
  function xPos(u, v) { return Math.round(u.valToPos(v, "x", true)); }
  function shadeFaults(u) {
    const ctx = u.ctx, { top, height } = u.bbox;
    ctx.save();
    faults.forEach((f, i) => {
      const x0 = xPos(u, f.start_s), x1 = xPos(u, Math.min(f.end_s, tMax));
      ctx.fillStyle = faultColours[i % faultColours.length] + "22";
      ctx.fillRect(x0, top, Math.max(x1 - x0, 2), height);
    });
    ctx.restore();
  }
  function vline(u, t, colour, dash, width) {
    if (t == null || t < u.scales.x.min || t > u.scales.x.max) return;
    const ctx = u.ctx, { top, height } = u.bbox, x = xPos(u, t);
    ctx.save();
    ctx.strokeStyle = colour;
    ctx.lineWidth = width * devicePixelRatio;
    ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.restore();
  }
  function marks(u) {
    runs.forEach((r, ri) => vline(u, r.recovered_at_s, compare ? r.colour : OI.green, [3, 3], 1.2));
    violations.forEach((v) => vline(u, v.at_s, compare ? runs[v.run].colour : OI.verm, [6, 3], 1.5));
  }

  // Zooming one chart zooms them all (the cursor itself is synced by uPlot).
  let syncing = false;
  function syncX(u, key) {
    if (key !== "x" || syncing) return;
    syncing = true;
    const { min, max } = u.scales.x;
    for (const c of charts) if (c.u !== u && (c.u.scales.x.min !== min || c.u.scales.x.max !== max)) c.u.setScale("x", { min, max });
    syncing = false;
  }

  function width() { return Math.max(root.clientWidth, 480); }

  function baseOpts(id, height, extra) {
    return Object.assign({
      width: width(),
      height: height,
      // The crosshair is the vertical line: a horizontal one synced across panels of
      // different metrics would mark a meaningless height. Only time is synced.
      cursor: { sync: { key: SYNC_KEY, setSeries: false, scales: ["x", null] }, y: false, drag: { x: true, y: false },
                points: { size: 6 } },
      scales: { x: { time: false } },
      legend: { live: true },
      hooks: { setScale: [syncX] },
    }, extra);
  }

  function xAxis(last) {
    return { scale: "x", size: last ? 44 : 26, values: (u, sp) => sp.map((v) => +v.toFixed(2)),
             label: last ? "time since the run started (s)" : null, labelSize: last ? 18 : 0, labelGap: 0,
             grid: { stroke: "#eeeeee", width: 1 }, ticks: { stroke: "#999", width: 1, size: 4 } };
  }
  function yAxis(scale, side) {
    return { scale: scale, side: side, size: side === 1 ? RIGHT_W : AXIS_W, values: (u, sp) => sp.map(fmtTick),
             grid: side === 1 ? { show: false } : { stroke: "#e6e6e6", width: 1 }, ticks: { stroke: "#999", width: 1, size: 4 } };
  }
  const yRange = (u, min, max) => [0, max > 0 ? max * 1.08 : 1];

  function panelShell(p, note) {
    const box = el("div", "herd-panel");
    box.dataset.panel = p.id;
    const h = el("h3", null, p.title);
    if (note) h.appendChild(el("span", "muted", " " + note));
    box.appendChild(h);
    const holder = el("div", "herd-chart");
    box.appendChild(holder);
    root.appendChild(box);
    return holder;
  }

  // ---- one run: the panel's series; any whose peak is under a tenth of the panel's
  // largest goes to a right-hand axis (unless pinned to the left, as attempts and
  // capacity are: they are read against each other) ----
  function singlePanel(p, r, last) {
    const present = p.s.filter((s) => r.cols[s[0]]);
    if (!present.length) return;
    const peaks = present.map((s) => colMax(r.cols[s[0]]));
    // capacity is a reference line: it never sends a series to the right
    const top = Math.max(0, ...peaks.filter((v, i) => present[i][0] !== "capacity_per_s"));
    const right = present.map((s, i) => !(p.pin || []).includes(s[0]) && peaks[i] > 0 && peaks[i] * 10 < top);
    const hasRight = right.some(Boolean);
    const absent = p.s.filter((s) => !r.cols[s[0]]).map((s) => s[1]);
    const holder = panelShell(p, absent.length ? "(absent from this run directory: " + absent.join(", ") + ")" : "");
    const series = [{ label: "t", value: (u, v) => fmtTime(v) }];
    present.forEach((s, i) => {
      let label = s[1];
      if (s[0] === "capacity_per_s" && !r.capacity_measured) label += " (derived)";
      if (peaks[i] === 0) label += " (0 throughout)";
      if (right[i]) label += " (right axis)";
      series.push({ label: label, stroke: s[2], width: 1.5, dash: s[3] || undefined, fill: s[4] ? s[2] + "2e" : undefined,
                    scale: right[i] ? "y2" : "y", spanGaps: true, points: { show: false }, value: (u, v) => fmtNum(v) });
    });
    const scales = { x: { time: false }, y: { range: yRange } };
    const axes = [xAxis(last), yAxis("y", 3)];
    if (hasRight) { scales.y2 = { range: yRange }; axes.push(yAxis("y2", 1)); }
    const opts = baseOpts(p.id, p.h, { series: series, scales: scales, axes: axes,
                                       padding: [10, hasRight ? 0 : RIGHT_W, 0, 0] });
    opts.hooks.drawClear = [shadeFaults];
    opts.hooks.draw = [marks];
    const u = new uPlot(opts, [r.t].concat(present.map((s) => r.cols[s[0]])), holder);
    charts.push({ id: p.id, u: u });
  }

  // ---- several runs: one metric a panel, a series a run, on the union of their times ----
  function comparePanel(p, last) {
    const tables = [], series = [{ label: "t", value: (u, v) => fmtTime(v) }];
    runs.forEach((r) => {
      const nulls = r.t.map(() => null);
      const cols = [r.cols[p.key] || nulls];
      series.push({ label: r.name + (r.cols[p.key] ? "" : " (absent)"), stroke: r.colour, width: 1.5,
                    dash: r.dash ? r.dash.split(" ").map(Number) : undefined, spanGaps: true, points: { show: false },
                    value: (u, v) => fmtNum(v) });
      if (p.capacity) {
        cols.push(r.cols.capacity_per_s || nulls);
        series.push({ label: r.name + " capacity", stroke: r.colour, width: 1, dash: [2, 3], spanGaps: true,
                      points: { show: false }, value: (u, v) => fmtNum(v) });
      }
      tables.push([r.t].concat(cols));
    });
    const holder = panelShell(p, "");
    const opts = baseOpts(p.id, p.h, { series: series, scales: { x: { time: false }, y: { range: yRange } },
                                       axes: [xAxis(last), yAxis("y", 3)], padding: [10, RIGHT_W, 0, 0] });
    opts.hooks.drawClear = [shadeFaults];
    opts.hooks.draw = [marks];
    charts.push({ id: p.id, u: new uPlot(opts, uPlot.join(tables), holder) });
  }

  // ---- the lanes: one per fault, then the violations; DOM elements over the plot so
  // each can be hovered (and found by a test) ----
  function place(u, node, t0, t1, mark) {
    if (mark) { // a point in time: a marker centred on it
      node.hidden = t0 < u.scales.x.min || t0 > u.scales.x.max;
      node.style.left = (u.valToPos(t0, "x") - 13) + "px";
      return;
    }
    const x0 = u.valToPos(Math.max(t0, u.scales.x.min), "x"), x1 = u.valToPos(Math.min(t1, u.scales.x.max), "x");
    node.hidden = t1 < u.scales.x.min || t0 > u.scales.x.max;
    node.style.left = x0 + "px";
    node.style.width = Math.max(x1 - x0, 3) + "px";
  }

  function lanes() {
    const n = faults.length + (violations.length ? 1 : 0);
    if (!n) return;
    const holder = panelShell({ id: "lanes", title: "Faults and first violations" },
                              "(one lane per fault; hover for what it is)");
    const nodes = [];
    const opts = baseOpts("lanes", n * LANE_H + 8, {
      series: [{ label: "t", value: (u, v) => fmtTime(v) }, { label: "", show: false }],
      legend: { show: false },
      scales: { x: { time: false }, y: { auto: false, range: [0, n] } },
      axes: [{ scale: "x", show: false }, { scale: "y", size: AXIS_W, grid: { show: false }, ticks: { show: false },
               splits: () => Array.from({ length: n }, (_, i) => n - i - 0.5),
               values: (u, sp) => sp.map((s, i) => i < faults.length ? "fault " + (i + 1) : "violation") }],
      padding: [4, RIGHT_W, 0, 0],
    });
    opts.hooks.draw = [(u) => nodes.forEach((nd) => place(u, nd.node, nd.t0, nd.t1, nd.mark))];
    const u = new uPlot(opts, [[tMin, tMax], [null, null]], holder);
    faults.forEach((f, i) => {
      const node = el("div", "herd-lane herd-pattern-" + (i % 6));
      node.style.top = (i * LANE_H + 2) + "px";
      node.style.height = (LANE_H - 4) + "px";
      node.style.setProperty("--lane", faultColours[i % faultColours.length]);
      node.dataset.kind = f.kind;
      node.appendChild(el("span", null, f.label + " (" + f.start_s + "–" + f.end_s + " s)"));
      const lines = ["fault " + (i + 1) + ": " + f.label, "kind: " + f.kind,
                     "from " + f.start_s + " s to " + f.end_s + " s (" + +(f.end_s - f.start_s).toFixed(3) + " s)"];
      if (compare) lines.push("run: " + runs[f.run].name);
      node.addEventListener("mousemove", (e) => showTip(e, lines));
      node.addEventListener("mouseleave", hideTip);
      u.over.appendChild(node);
      nodes.push({ node: node, t0: f.start_s, t1: f.end_s });
    });
    violations.forEach((v) => {
      const a = el("a", "herd-vmark", v.inv);
      a.href = "#violation-" + v.run;
      a.style.top = (faults.length * LANE_H + 2) + "px";
      a.style.height = (LANE_H - 4) + "px";
      a.style.setProperty("--mark", compare ? runs[v.run].colour : OI.verm);
      a.dataset.inv = v.inv;
      a.dataset.at = v.at_s;
      const lines = [v.inv + " first violated at " + fmtTime(v.at_s) + (compare ? " (" + runs[v.run].name + ")" : ""), v.text];
      if (v.clients.length) lines.push("clients " + v.clients.join(", ") + (v.room != null ? " · room " + v.room : ""));
      lines.push("click: the commands that replay the run and chart these clients");
      a.addEventListener("mousemove", (e) => showTip(e, lines));
      a.addEventListener("mouseleave", hideTip);
      a.addEventListener("mousedown", (e) => e.stopPropagation()); // a click, not a zoom
      u.over.appendChild(a);
      nodes.push({ node: a, t0: v.at_s, t1: v.at_s, mark: true });
    });
    charts.push({ id: "lanes", u: u });
    u.redraw(false); // place the nodes just added
  }

  // The violation details below the charts: what happened and how to chart it.
  function violationDetails() {
    violations.forEach((v) => {
      const box = document.getElementById("violation-" + v.run);
      if (!box) return;
      box.querySelector("[data-role=text]").textContent = v.text;
      const how = box.querySelector("[data-role=how]");
      how.textContent = v.replay
        ? "Replay the run tracing clients " + v.clients.join(", ") + ", then draw their message-sequence chart:"
        : "The first violation names no client; replay the run with herd run --out and --trace-clients to chart it.";
      box.querySelector("[data-role=replay]").textContent = v.replay ? v.replay + "\n" + v.chart : "";
    });
  }

  // ---- the per-server heat strip ----
  const ramp = ["#fcfdbf", "#fec287", "#fc8961", "#e65164", "#b73779", "#822681", "#51127c", "#1d1147"]; // magma, light to dark
  function rampColour(f) {
    if (!(f > 0)) return [247, 247, 245];
    const x = Math.min(f, 1) * (ramp.length - 1), i = Math.min(Math.floor(x), ramp.length - 2), w = x - i;
    const a = ramp[i], b = ramp[i + 1];
    const c = (s, k) => parseInt(s.substr(1 + 2 * k, 2), 16);
    return [0, 1, 2].map((k) => Math.round(c(a, k) * (1 - w) + c(b, k) * w));
  }

  // A server's row: run-length coded columns, "0*300,3,5.5,25*120" (report_data.c).
  function decodeRow(text) {
    const out = [];
    for (const part of text.split(",")) {
      const star = part.indexOf("*"), v = +(star < 0 ? part : part.slice(0, star));
      for (let n = star < 0 ? 1 : +part.slice(star + 1); n > 0; n--) out.push(v);
    }
    return out;
  }
  function serverRows(m) {
    if (m.rows === undefined) m.rows = m.v ? m.v.map(decodeRow) : null;
    return m.rows;
  }

  function heatStrip() {
    const box = document.getElementById("herd-servers");
    const withServers = runs.map((r, i) => i).filter((i) => runs[i].servers);
    if (!box || !withServers.length) return null;
    box.replaceChildren();
    const controls = el("div", "herd-controls");
    const runSel = el("select");
    runSel.id = "herd-server-run";
    withServers.forEach((i) => { const o = el("option", null, runs[i].name); o.value = i; runSel.appendChild(o); });
    const metricSel = el("select");
    metricSel.id = "herd-server-metric";
    if (compare) { controls.appendChild(el("label", null, "run ")); controls.appendChild(runSel); }
    controls.appendChild(el("label", null, " metric "));
    controls.appendChild(metricSel);
    const scaleNote = el("span", "herd-scale");
    controls.appendChild(scaleNote);
    box.appendChild(controls);
    const holder = el("div", "herd-chart");
    box.appendChild(holder);
    const readout = el("div", "herd-readout", "Hover the strip: server, time and value.");
    box.appendChild(readout);
    const state = { run: withServers[0], metric: 0, image: null, max: 0, inside: false };

    function srv() { return runs[state.run].servers; }
    function fillMetrics() {
      metricSel.replaceChildren();
      srv().metrics.forEach((m, i) => {
        const o = el("option", null, (serverMetricNames[m.key] || m.key) + (m.v ? "" : " (0 throughout)"));
        o.value = i;
        metricSel.appendChild(o);
      });
      const ms = srv().metrics, prefer = ["accept_queue", "handshakes", "wasted_handshakes", "sessions"];
      const first = prefer.map((k) => ms.findIndex((m) => m.key === k && m.v)).find((i) => i >= 0);
      state.metric = first !== undefined ? first : Math.max(0, ms.findIndex((m) => m.v));
      metricSel.value = state.metric;
    }
    function paint() {
      const s = srv(), m = s.metrics[state.metric], cols = s.t.length, rows = serverRows(m);
      const cv = document.createElement("canvas");
      cv.width = cols;
      cv.height = s.n;
      const ctx = cv.getContext("2d"), img = ctx.createImageData(cols, s.n);
      let max = 0;
      if (rows) for (const row of rows) for (const v of row) if (v > max) max = v;
      for (let k = 0; k < s.n; k++)
        for (let c = 0; c < cols; c++) {
          const rgb = rampColour(rows && max > 0 ? rows[k][c] / max : 0), o = 4 * (k * cols + c);
          img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
        }
      ctx.putImageData(img, 0, 0);
      state.image = cv;
      state.max = max;
      const label = serverMetricNames[m.key] || m.key;
      scaleNote.replaceChildren(el("span", "herd-ramp"), document.createTextNode(" 0 to " + fmtNum(max) + " " + label +
        (s.intervals_per_col > 1 ? " (each column: the largest of " + s.intervals_per_col + " intervals)" : "")));
    }
    const s0 = srv();
    const rowPx = Math.max(1, Math.min(18, Math.floor(360 / s0.n)));
    function colSpan(s) { return s.t.length > 1 ? s.t[1] - s.t[0] : s.t[0]; }
    function draw(u) {
      const s = srv(), cols = s.t.length, span = colSpan(s), t0 = s.t[0] - span;
      const { left, top, width: w, height: h } = u.bbox, ctx = u.ctx;
      const x0 = u.scales.x.min, x1 = u.scales.x.max;
      const sx0 = (x0 - t0) / span, sx1 = (x1 - t0) / span;
      const cx0 = Math.max(0, sx0), cx1 = Math.min(cols, sx1);
      if (cx1 <= cx0) return;
      const dx0 = left + (cx0 - sx0) / (sx1 - sx0) * w, dx1 = left + (cx1 - sx0) / (sx1 - sx0) * w;
      ctx.save();
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(state.image, cx0, 0, cx1 - cx0, s.n, dx0, top, dx1 - dx0, h);
      ctx.restore();
      marks(u);
    }
    function at(u) {
      const s = srv(), m = s.metrics[state.metric], rows = serverRows(m), { left, top } = u.cursor;
      if (left == null || left < 0) { readout.textContent = "Hover the strip: server, time and value."; return; }
      const t = u.posToVal(left, "x");
      let c = 0;
      while (c < s.t.length - 1 && s.t[c] < t) c++; // at most HERD_SERVERS_COLS_MAX steps
      const label = serverMetricNames[m.key] || m.key;
      if (state.inside && top != null && top >= 0) { // the mouse is on the strip itself
        const k = Math.min(s.n - 1, Math.floor(top / (u.bbox.height / devicePixelRatio) * s.n));
        readout.textContent = "server " + k + " · t " + fmtTime(s.t[c]) + " · " + label + ": " + fmtNum(rows ? rows[k][c] : 0);
      } else {
        let best = 0, who = 0;
        if (rows) for (let k = 0; k < s.n; k++) if (rows[k][c] > best) { best = rows[k][c]; who = k; }
        readout.textContent = "t " + fmtTime(s.t[c]) + " · " + label + ": largest " + fmtNum(best) + " (server " + who + ")";
      }
    }
    fillMetrics();
    paint();
    const n = s0.n, step = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(n * rowPx / 18))));
    const opts = baseOpts("servers", n * rowPx + 72, { // + the time axis and its title
      series: [{ label: "t", value: (u, v) => fmtTime(v) }, { label: "", show: false }],
      legend: { show: false },
      scales: { x: { time: false }, y: { auto: false, range: [0, n] } },
      axes: [xAxis(true), { scale: "y", size: AXIS_W, grid: { show: false }, ticks: { size: 3 },
               splits: () => { const sp = []; for (let k = 0; k < n; k += step) sp.push(n - k - 0.5); return sp; },
               values: (u, sp) => sp.map((v) => "s" + Math.round(n - v - 0.5)) }],
      padding: [4, RIGHT_W, 0, 0],
    });
    opts.hooks.draw = [draw];
    opts.hooks.setCursor = [at];
    const u = new uPlot(opts, [[tMin, tMax], [null, null]], holder);
    charts.push({ id: "servers", u: u });
    u.over.addEventListener("mouseenter", () => { state.inside = true; });
    u.over.addEventListener("mouseleave", () => { state.inside = false; });
    metricSel.addEventListener("change", () => { state.metric = +metricSel.value; paint(); u.redraw(false); });
    runSel.addEventListener("change", () => { state.run = +runSel.value; fillMetrics(); paint(); u.redraw(false); });
    return { u: u, state: state, readout: readout };
  }

  // ---- the page ----
  if (compare) {
    const legend = el("div", "herd-runs");
    runs.forEach((r) => {
      const item = el("span", "herd-run");
      const sw = el("i");
      sw.style.borderTop = "3px " + (r.dash ? "dashed " : "solid ") + r.colour;
      item.append(sw, el("b", null, r.name), document.createTextNode(" " + (r.policy ? "(" + r.policy + ")" : "")));
      legend.appendChild(item);
    });
    root.appendChild(legend);
  }
  lanes();
  if (compare) comparePanels.forEach((p, i) => comparePanel(p, i === comparePanels.length - 1));
  else {
    const r = runs[0];
    const old = !r.cols.syn_drops_lb_down && r.cols.syn_drops;
    const ps = singlePanels.flatMap((p) => !old ? [p] : p.id === "lb_drops" ? [totalDropsPanel] : p.id === "net_drops" ? [] : [p]);
    ps.forEach((p, i) => singlePanel(p, r, i === ps.length - 1));
  }
  const heat = heatStrip();
  violationDetails();
  window.addEventListener("resize", () => { for (const c of charts) c.u.setSize({ width: width(), height: c.u.height }); });
  window.herdReport = { data: data, charts: charts, heat: heat, tMin: tMin, tMax: tMax };
})();
