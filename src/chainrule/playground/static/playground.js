// chainrule playground: the page's one module. It runs in the standalone page (over a WebSocket)
// and as the anywidget notebook widget (over the widget's comm): both give render() a `model`
// with send(message) and on("msg:custom", callback). All training happens in Python, on
// chainrule's engine; this file only draws what the session sends and sends what the user does.

const FIELDS = ["data", "n", "noise", "classes", "seed", "val", "hidden", "act", "init", "loss", "opt", "lr", "batch", "l2"];
const DEFAULTS = {
  data: "moons", n: 200, noise: 0.1, classes: 2, seed: 0, val: 0.2, hidden: [8, 8], act: ["relu", "relu"],
  init: "default", loss: "ce", opt: "adam", lr: 0.03, batch: 32, l2: 0, hide: [], lock: [],
};
const LISTS = new Set(["hidden", "act", "hide", "lock"]);
const NUMBERS = new Set(["n", "noise", "classes", "seed", "val", "lr", "batch", "l2"]);
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
const RGB = COLORS.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));

/** A model for render() over a WebSocket that reconnects; messages wait while it is closed. */
export function socketModel(url) {
  const listeners = [];
  const waiting = [];
  let ws = null;
  const emit = (m) => listeners.forEach((cb) => cb(m));
  function open() {
    ws = new WebSocket(url);
    ws.onopen = () => {
      emit({ type: "connected" });
      waiting.splice(0).forEach((m) => ws.send(JSON.stringify(m)));
    };
    ws.onmessage = (e) => emit(JSON.parse(e.data));
    ws.onclose = () => {
      emit({ type: "disconnected" });
      setTimeout(open, 1000);
    };
  }
  open();
  return {
    send(m) {
      if (ws && ws.readyState === 1) ws.send(JSON.stringify(m));
      else waiting.push(m);
    },
    on(event, cb) {
      if (event === "msg:custom") listeners.push(cb);
    },
  };
}

/** The config as URL parameters, in one fixed order, so a link round-trips to the same text. */
export function encodeState(config) {
  const p = new URLSearchParams();
  for (const k of [...FIELDS, "hide", "lock"]) {
    const v = config[k];
    if (LISTS.has(k)) {
      if ((k === "hide" || k === "lock") && !v.length) continue;
      p.set(k, v.join(","));
    } else p.set(k, String(v));
  }
  return p.toString();
}

/** Read a config back from URL parameters; what is missing keeps its default. */
export function decodeState(search) {
  const p = new URLSearchParams(search);
  const c = structuredClone(DEFAULTS);
  for (const k of [...FIELDS, "hide", "lock"]) {
    if (!p.has(k)) continue;
    const v = p.get(k);
    if (LISTS.has(k)) c[k] = v === "" ? [] : v.split(",").map((s) => (k === "hidden" ? Number(s) : s));
    else c[k] = NUMBERS.has(k) ? Number(v) : v;
  }
  return c;
}

const fmt = (x, d = 4) => (x === null || x === undefined ? "None" : Number(x).toPrecision(d).replace(/\.?0+(e|$)/, "$1"));

function template() {
  const sel = (name, label, opts) =>
    `<div class="control" data-control="${name}"><label for="pg-${name}">${label}</label><select id="pg-${name}" name="${name}">` +
    opts.map(([v, t]) => `<option value="${v}">${t}</option>`).join("") + `</select></div>`;
  const num = (name, label, attrs) =>
    `<div class="control" data-control="${name}"><label for="pg-${name}">${label}</label><input id="pg-${name}" name="${name}" type="number" ${attrs}></div>`;
  const range = (name, label, attrs) =>
    `<div class="control" data-control="${name}"><label for="pg-${name}">${label} <span class="value"></span></label><input id="pg-${name}" name="${name}" type="range" ${attrs}></div>`;
  return `
<div class="bar"><span class="title">chainrule playground</span>
  <span id="pg-status">connecting…</span><span id="message"></span></div>
<div class="controls">
  <h2>Data</h2>
  ${sel("data", "data set", [["xor", "XOR"], ["moons", "two moons"], ["circles", "circles"], ["spiral", "spiral"], ["blobs", "Gaussian blobs"], ["custom", "custom (clicked / CSV)"]])}
  ${sel("classes", "classes", [2, 3, 4, 5].map((k) => [k, k]))}
  ${range("noise", "noise", 'min="0" max="1" step="0.01"')}
  ${range("n", "points", 'min="20" max="1000" step="10"')}
  ${range("val", "validation", 'min="0" max="0.5" step="0.05"')}
  ${num("seed", "seed", 'min="0" step="1"')}
  <div class="control" data-control="edit"><label for="pg-click-mode">click adds</label>
    <select id="pg-click-mode"><option value="add">add point</option><option value="remove">remove point</option></select>
    <select id="pg-click-class">${[0, 1, 2, 3, 4].map((k) => `<option value="${k}">class ${k}</option>`).join("")}</select></div>
  <div class="control" data-control="csv"><label for="pg-csv">CSV x,y,label</label><input id="pg-csv" type="file" accept=".csv,text/csv,text/plain"></div>
  <h2>Network</h2>
  <div class="control" data-control="hidden"><label for="pg-hidden">hidden widths</label><input id="pg-hidden" name="hidden" type="text" placeholder="8,8"></div>
  <div class="control" data-control="act"><label for="pg-act-all">activations</label><select id="pg-act-all">
    <option value="">set all…</option><option>relu</option><option>tanh</option><option>sigmoid</option><option>none</option></select></div>
  <div id="pg-act-layers" data-control="act"></div>
  ${sel("init", "init", [["default", "PyTorch default"], ["xavier", "Xavier"], ["kaiming", "He (Kaiming)"], ["normal", "N(0, 1)"]])}
  ${sel("loss", "loss", [["ce", "cross-entropy"], ["mse", "MSE"], ["hinge", "hinge"]])}
  ${sel("opt", "optimizer", [["sgd", "SGD"], ["momentum", "SGD + momentum"], ["adam", "Adam"]])}
  ${num("lr", "learning rate", 'min="0" step="0.001"')}
  ${num("batch", "batch size", 'min="1" step="1"')}
  ${num("l2", "L2", 'min="0" step="0.0001"')}
</div>
<div class="views">
  <div data-control="train">
    <button id="pg-play">play</button><button id="pg-step">step</button><button id="pg-reset">reset</button>
    <select id="pg-speed" title="steps per frame"><option value="0">fast</option><option value="1">1 step/frame</option><option value="10">10 steps/frame</option></select>
  </div>
  <canvas id="pg-boundary" width="400" height="400" title="click: add or remove a point"></canvas>
  <div class="readout">step <b id="pg-stepcount">0</b> train loss <b id="pg-train-loss">–</b> acc <b id="pg-train-acc">–</b><br>
    <span></span>val loss <b id="pg-val-loss">–</b> acc <b id="pg-val-acc">–</b> · <span id="pg-fps">0</span> frames/s, <span id="pg-sps">0</span> steps/s</div>
  <div id="pg-describe"></div>
</div>
<div class="views">
  <h2>Loss and accuracy (solid: train, dashed: validation)</h2><canvas id="pg-curves" width="420" height="200"></canvas>
  <h2>Gradient norm per layer, |dL/dW| (log scale)</h2><canvas id="pg-gradnorms" width="420" height="130"></canvas>
  <h2>Weights (blue +, orange −, thickness |w|)</h2><svg id="pg-network" width="420" height="220"></svg>
</div>
<div class="panel" data-control="predict"><h2>Predict, then reveal</h2>
  <button id="pg-freeze">freeze display</button>
  <input id="pg-prediction" type="text" size="40" placeholder="the class's prediction">
  <button id="pg-record">record prediction</button><button id="pg-reveal">reveal</button>
  <span id="pg-frozen-note" class="frozen-note"></span><ol id="pg-predictions"></ol></div>
<div class="panel" data-control="accumulation"><h2>.grad accumulates: before and after zero_grad, and a second backward</h2>
  <button id="pg-acc-run">run on the example</button> <span id="pg-acc-param"></span>
  <table class="trace" id="pg-acc"></table></div>
<div class="panel" data-control="backprop"><h2>Backprop, step by step, on one training example</h2>
  example <input id="pg-bp-index" type="number" min="0" value="0" style="width:5em">
  <button id="pg-bp-run">trace</button><button id="pg-bp-prev">◀ back</button><button id="pg-bp-next">next step ▶</button>
  <button id="pg-bp-next10">+10</button><button id="pg-bp-end">to the end</button> <span id="pg-bp-where"></span>
  <div class="formula" id="pg-bp-formula">Trace an example to see each node's downstream = upstream × local.</div>
  <div style="max-height: 260px; overflow: auto"><table class="trace" id="pg-bp-table"></table></div>
  <h2>The weights' gradients: scalar trace vs the tensor engine's loss.backward()</h2>
  <div id="pg-bp-check"></div><div style="max-height: 200px; overflow: auto"><table class="trace" id="pg-bp-grads"></table></div></div>
<div class="panel" data-control="export"><h2>Export this run</h2>
  <button id="pg-export-chainrule">chainrule script</button><button id="pg-export-torch">PyTorch script</button>
  <button id="pg-export-checkpoint">chainrule checkpoint</button></div>
<div class="panel" data-control="share"><h2>Share</h2>
  hide <input id="pg-hide" type="text" size="24" placeholder="e.g. loss,opt,backprop">
  lock <input id="pg-lock" type="text" size="24" placeholder="e.g. data,act">
  <button id="pg-share">make link</button> <input id="pg-share-url" type="text" size="70" readonly></div>`;
}

function render({ model, el, url = false }) {
  el.innerHTML = `<div class="pg">${template()}</div>`;
  const root = el.querySelector(".pg");
  const $ = (id) => root.querySelector(`#pg-${id}`);
  const state = {
    config: url ? decodeState(location.search) : structuredClone(DEFAULTS),
    points: null, frame: null, history: [], playing: false, frozen: false, backprop: null, bpStep: 0,
    accumulation: null, framesDrawn: 0, predictions: [],
  };
  const send = (m) => model.send(m);

  // ---- messages ---------------------------------------------------------------------------------
  const message = (text, kind) => {
    const m = root.querySelector("#message");
    m.textContent = text;
    m.className = kind;
    clearTimeout(message.timer);
    if (kind === "info") message.timer = setTimeout(() => { m.textContent = ""; m.className = ""; }, 8000);
  };
  const sendConfig = () => send({ type: "config", config: configToSend() });
  const configToSend = () => {
    const c = {};
    for (const k of [...FIELDS, "hide", "lock"]) c[k] = state.config[k];
    return c;
  };
  model.on("msg:custom", (m) => {
    if (m.type === "connected") {
      $("status").textContent = "connected (training in Python on chainrule)";
      sendConfig();
    } else if (m.type === "disconnected") {
      $("status").textContent = "connection lost: reconnecting…";
      message("the connection to the playground server closed; reconnecting (is `chainrule playground` still running?)", "error");
    } else if (m.type === "error") message(m.message, "error");
    else if (m.type === "info") message(m.message, "info");
    else if (m.type === "points") onPoints(m);
    else if (m.type === "frame") onFrame(m);
    else if (m.type === "state") {
      state.playing = m.playing;
      $("play").textContent = m.playing ? "pause" : "play";
    } else if (m.type === "backprop") onBackprop(m);
    else if (m.type === "accumulation") { state.accumulation = m; drawAccumulation(); }
    else if (m.type === "export") download(m);
  });

  function onPoints(m) {
    state.points = m;
    const keepHideLock = { hide: state.config.hide, lock: state.config.lock };
    state.config = { ...m.config, ...keepHideLock };
    state.history = [];
    showConfig();
    buildNetwork();
  }
  function onFrame(f) {
    if (f.step === 0 || (state.frame && f.step < state.frame.step)) state.history = [];
    state.frame = f;
    const last = state.history[state.history.length - 1];
    if (!last || last.step !== f.step) state.history.push(f);
    if (state.history.length > 600) state.history.splice(0, state.history.length - 600); // keep drawing cheap
    if (!state.frozen) draw();
  }

  // ---- controls ---------------------------------------------------------------------------------
  function showConfig() {
    const c = state.config;
    for (const k of ["data", "classes", "noise", "n", "val", "seed", "init", "loss", "opt", "lr", "batch", "l2"]) {
      const input = $(k);
      input.value = c[k];
      const v = input.parentElement.querySelector(".value");
      if (v) v.textContent = c[k];
    }
    $("hidden").value = c.hidden.join(",");
    $("act-layers").innerHTML = c.hidden.map((w, i) =>
      `<div class="control"><label for="pg-act-${i}">layer ${i + 1} (${w})</label><select id="pg-act-${i}" class="act-layer" data-layer="${i}">` +
      ["relu", "tanh", "sigmoid", "none"].map((a) => `<option ${a === c.act[i] ? "selected" : ""}>${a}</option>`).join("") +
      "</select></div>").join("");
    $("hide").value = c.hide.join(",");
    $("lock").value = c.lock.join(",");
    applyHideLock();
    $("describe").textContent = `${c.data}: ${c.n} points, network ${[2, ...c.hidden, c.classes].join("-")}`;
  }
  function applyHideLock() {
    const { hide, lock } = state.config;
    root.querySelectorAll("[data-control]").forEach((node) => {
      const name = node.dataset.control;
      node.classList.toggle("hidden-by-link", hide.includes(name));
      node.classList.toggle("locked", lock.includes(name));
      node.querySelectorAll("input, select, button").forEach((i) => { i.disabled = lock.includes(name); });
    });
  }
  function onControl(e) {
    const t = e.target;
    const c = state.config;
    if (t.classList.contains("act-layer")) c.act[Number(t.dataset.layer)] = t.value;
    else if (t.id === "pg-act-all") { if (!t.value) return; c.act = c.hidden.map(() => t.value); t.value = ""; }
    else if (t.id === "pg-hidden") {
      const widths = t.value.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
      c.hidden = widths;
      c.act = widths.map((_, i) => c.act[Math.min(i, c.act.length - 1)] || "relu");
    } else if (t.name && FIELDS.includes(t.name)) c[t.name] = NUMBERS.has(t.name) ? Number(t.value) : t.value;
    else return;
    sendConfig();
  }
  root.querySelector(".controls").addEventListener("change", onControl);
  $("csv").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    if (file.size > 200000) { message(`${file.name} is ${Math.round(file.size / 1000)} kB; a CSV of at most 200 kB, please`, "error"); return; }
    send({ type: "csv", text: await file.text() });
    e.target.value = "";
  });
  $("play").onclick = () => send(state.playing ? { type: "pause" } : { type: "play", speed: Number($("speed").value) });
  $("step").onclick = () => send({ type: "step", n: 1 });
  $("reset").onclick = () => send({ type: "reset" });
  $("boundary").addEventListener("click", (e) => {
    if (state.config.lock.includes("edit") || state.config.hide.includes("edit") || !state.points) return;
    const r = e.target.getBoundingClientRect(), B = state.points.box;
    const x = ((e.clientX - r.left) / r.width) * 2 * B - B, y = B - ((e.clientY - r.top) / r.height) * 2 * B;
    const remove = e.shiftKey || $("click-mode").value === "remove";
    send(remove ? { type: "remove_point", x, y } : { type: "add_point", x, y, cls: Number($("click-class").value) });
  });

  // ---- drawing ----------------------------------------------------------------------------------
  let fpsCount = 0, fpsStart = performance.now(), fpsStep = 0;
  function draw() {
    const f = state.frame;
    if (!f) return;
    drawBoundary(f);
    drawCurves();
    drawGradNorms();
    updateNetwork(f);
    $("stepcount").textContent = f.step;
    $("train-loss").textContent = fmt(f.train_loss);
    $("train-acc").textContent = fmt(f.train_acc, 3);
    $("val-loss").textContent = fmt(f.val_loss);
    $("val-acc").textContent = fmt(f.val_acc, 3);
    state.framesDrawn += 1;
    fpsCount += 1;
    const now = performance.now();
    if (now - fpsStart > 1000) {
      $("fps").textContent = (fpsCount * 1000 / (now - fpsStart)).toFixed(1);
      $("sps").textContent = Math.max(0, (f.step - fpsStep) * 1000 / (now - fpsStart)).toFixed(0);
      fpsCount = 0; fpsStart = now; fpsStep = f.step;
    }
  }
  const cell = document.createElement("canvas");
  function drawBoundary(f) {
    const canvas = $("boundary"), ctx = canvas.getContext("2d");
    const { size, cls, conf } = f.grid, K = state.config.classes;
    cell.width = cell.height = size;
    const cctx = cell.getContext("2d"), img = cctx.createImageData(size, size);
    for (let i = 0; i < size * size; i++) {
      const a = Math.max(0, (conf[i] - 1 / K) / (1 - 1 / K)) * 0.55, rgb = RGB[cls[i]];
      for (let j = 0; j < 3; j++) img.data[4 * i + j] = 255 * (1 - a) + rgb[j] * a;
      img.data[4 * i + 3] = 255;
    }
    cctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(cell, 0, 0, canvas.width, canvas.height);
    const p = state.points;
    if (!p) return;
    const B = p.box, sx = (x) => ((x + B) / (2 * B)) * canvas.width, sy = (y) => ((B - y) / (2 * B)) * canvas.height;
    for (let i = 0; i < p.y.length; i++) {
      ctx.beginPath();
      ctx.arc(sx(p.x[i][0]), sy(p.x[i][1]), 3.2, 0, 2 * Math.PI);
      if (p.val[i]) { ctx.strokeStyle = COLORS[p.y[i]]; ctx.lineWidth = 1.5; ctx.stroke(); }
      else { ctx.fillStyle = COLORS[p.y[i]]; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 0.8; ctx.stroke(); }
    }
  }
  function plotLines(ctx, box, series, lo, hi) {
    const [x0, y0, w, h] = box, n = state.history.length;
    const steps = state.history.map((f) => f.step), s0 = steps[0] || 0, s1 = Math.max(steps[n - 1] || 1, s0 + 1);
    for (const { values, color, dash } of series) {
      ctx.beginPath(); ctx.setLineDash(dash ? [4, 3] : []); ctx.strokeStyle = color; ctx.lineWidth = 1.5;
      let started = false;
      values.forEach((v, i) => {
        if (v === null || !isFinite(v)) return;
        const px = x0 + ((steps[i] - s0) / (s1 - s0)) * w, py = y0 + h - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * h;
        if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
      });
      ctx.stroke();
    }
    ctx.setLineDash([]);
  }
  function drawCurves() {
    const canvas = $("curves"), ctx = canvas.getContext("2d"), H = state.history;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const loss = H.map((f) => f.train_loss), vloss = H.map((f) => f.val_loss);
    const hi = Math.max(1e-3, ...loss.filter(isFinite), ...vloss.filter((v) => v !== null && isFinite(v)));
    ctx.fillStyle = "#555"; ctx.font = "11px sans-serif";
    ctx.fillText(`loss (0 to ${fmt(hi, 3)})`, 4, 12); ctx.fillText("accuracy (0 to 1)", 4, 112);
    plotLines(ctx, [30, 16, 380, 80], [{ values: loss, color: "#333" }, { values: vloss, color: "#333", dash: true }], 0, hi);
    plotLines(ctx, [30, 116, 380, 76], [{ values: H.map((f) => f.train_acc), color: "#2a7" }, { values: H.map((f) => f.val_acc), color: "#2a7", dash: true }], 0, 1);
  }
  function drawGradNorms() {
    const canvas = $("gradnorms"), ctx = canvas.getContext("2d"), H = state.history;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const L = H.length ? H[H.length - 1].grad_norms.length : 0;
    const logs = H.flatMap((f) => f.grad_norms.filter((g) => g > 0).map(Math.log10));
    const lo = Math.min(-6, ...logs), hi = Math.max(0, ...logs);
    const series = [];
    for (let l = 0; l < L; l++) {
      const color = `hsl(${(l * 360) / Math.max(L, 1)}, 65%, 42%)`;
      series.push({ values: H.map((f) => (f.grad_norms[l] > 0 ? Math.log10(f.grad_norms[l]) : null)), color });
      ctx.fillStyle = color; ctx.fillText(`layer ${l + 1}: ${fmt(H[H.length - 1].grad_norms[l], 3)}`, 4 + 100 * l, 12);
    }
    plotLines(ctx, [30, 18, 380, 100], series, lo, hi);
  }
  function buildNetwork() {
    const svg = $("network"), sizes = [2, ...state.config.hidden, state.config.classes];
    const W = 420, Hh = 220, NS = "http://www.w3.org/2000/svg";
    const pos = sizes.map((n, l) => Array.from({ length: n }, (_, i) => [30 + (l * (W - 60)) / (sizes.length - 1), Hh / 2 + (i - (n - 1) / 2) * Math.min(22, (Hh - 20) / n)]));
    svg.innerHTML = "";
    state.edges = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const rows = [];
      for (let i = 0; i < sizes[l + 1]; i++) {
        const row = [];
        for (let j = 0; j < sizes[l]; j++) {
          const line = document.createElementNS(NS, "line");
          const [x1, y1] = pos[l][j], [x2, y2] = pos[l + 1][i];
          Object.entries({ x1, y1, x2, y2 }).forEach(([k, v]) => line.setAttribute(k, v));
          svg.appendChild(line);
          row.push(line);
        }
        rows.push(row);
      }
      state.edges.push(rows);
    }
    pos.forEach((layer, l) => layer.forEach(([cx, cy]) => {
      const c = document.createElementNS(NS, "circle");
      Object.entries({ cx, cy, r: 6, fill: l === 0 || l === sizes.length - 1 ? "#ddd" : "#fff", stroke: "#555" }).forEach(([k, v]) => c.setAttribute(k, v));
      svg.appendChild(c);
    }));
  }
  function updateNetwork(f) {
    if (!state.edges || state.edges.length !== f.weights.length) return;
    const max = Math.max(1e-6, ...f.weights.flat(2).map(Math.abs));
    f.weights.forEach((W, l) => W.forEach((row, i) => row.forEach((w, j) => {
      const line = state.edges[l][i] && state.edges[l][i][j];
      if (!line) return;
      line.setAttribute("stroke", w >= 0 ? "#1f77b4" : "#ff7f0e");
      line.setAttribute("stroke-width", (0.3 + 4 * Math.abs(w) / max).toFixed(2));
      line.setAttribute("data-w", w);
    })));
  }

  // ---- predict, then reveal ---------------------------------------------------------------------
  $("freeze").onclick = () => {
    state.frozen = true;
    $("frozen-note").textContent = "display frozen: what will happen? record the prediction, then reveal";
    drawAccumulation();
  };
  $("record").onclick = () => {
    const text = $("prediction").value.trim();
    if (!text) { message("type the class's prediction first", "info"); return; }
    state.predictions.push({ text, step: state.frame ? state.frame.step : 0, revealed: null });
    $("prediction").value = "";
    drawPredictions();
  };
  $("reveal").onclick = () => {
    state.frozen = false;
    $("frozen-note").textContent = "";
    const f = state.frame;
    const acc = state.accumulation ? state.accumulation.rows[2].grad : null;
    const outcome = f ? `step ${f.step}: train loss ${fmt(f.train_loss)}, accuracy ${fmt(f.train_acc, 3)}` +
      (acc !== null ? `; .grad after the second backward = ${fmt(acc, 6)}` : "") : "";
    state.predictions.filter((p) => p.revealed === null).forEach((p) => { p.revealed = outcome; });
    drawPredictions();
    draw();
    drawAccumulation();
  };
  function drawPredictions() {
    $("predictions").innerHTML = state.predictions.map((p) =>
      `<li>predicted: <b>${escapeHtml(p.text)}</b>${p.revealed ? ` → revealed ${escapeHtml(p.revealed)}` : " (not revealed yet)"}</li>`).join("");
  }

  // ---- .grad accumulation -----------------------------------------------------------------------
  $("acc-run").onclick = () => send({ type: "accumulation", index: Number($("bp-index").value) });
  function drawAccumulation() {
    const a = state.accumulation;
    if (!a) return;
    $("acc-param").textContent = `${a.param}, example ${a.index}`;
    $("acc").innerHTML = "<tr><th>code</th><th>.grad</th></tr>" + a.rows.map((r, i) =>
      `<tr><td style="text-align:left">${r.code}</td><td class="acc-value" data-grad="${r.grad}">${
        state.frozen && i >= 2 ? "? (predict, then reveal)" : fmt(r.grad, 6)}${
        i === 2 && !state.frozen && r.grad !== null && a.rows[1].grad ? ` = ${fmt(r.grad / a.rows[1].grad, 3)} × the first` : ""}</td></tr>`).join("");
  }

  // ---- backprop, step by step -------------------------------------------------------------------
  $("bp-run").onclick = () => send({ type: "backprop", index: Number($("bp-index").value) });
  $("bp-next").onclick = () => bpGo(state.bpStep + 1);
  $("bp-next10").onclick = () => bpGo(state.bpStep + 10);
  $("bp-prev").onclick = () => bpGo(state.bpStep - 1);
  $("bp-end").onclick = () => bpGo(Infinity);
  function onBackprop(m) {
    state.backprop = m;
    state.bpStep = 1;
    bpDraw();
  }
  function bpGo(k) {
    if (!state.backprop) return;
    state.bpStep = Math.max(1, Math.min(k, state.backprop.steps.length));
    bpDraw();
  }
  function bpDraw() {
    const bp = state.backprop, steps = bp.steps, k = state.bpStep, s = steps[k - 1];
    $("bp-where").textContent = `step ${k} of ${steps.length}; example ${bp.index}: x = (${bp.x.map((v) => fmt(v)).join(", ")}), class ${bp.target}, L = ${fmt(bp.loss, 6)}`;
    $("bp-formula").innerHTML = `node <b>${escapeHtml(s.node)}</b> (op ${escapeHtml(s.op)}, value ${fmt(s.value, 6)}) received upstream dL/d${escapeHtml(s.node)} = <b>${fmt(s.upstream, 6)}</b><br>` +
      s.inputs.map((e) => `dL/d${escapeHtml(e.input)}: downstream = upstream × local = ${fmt(s.upstream, 6)} × ${fmt(e.local, 6)} = <b>${fmt(e.downstream, 6)}</b>` +
        (e.before !== null ? ` <span class="accum">added into the ${fmt(e.before, 6)} already there: ${fmt(e.before, 6)} + ${fmt(e.downstream, 6)} = ${fmt(e.after, 6)}</span>` : "")).join("<br>");
    const rows = [];
    steps.slice(0, k).forEach((st, i) => st.inputs.forEach((e, j) => rows.push(
      `<tr class="${i === k - 1 ? "current" : ""}" data-upstream="${st.upstream}" data-local="${e.local}" data-downstream="${e.downstream}" data-input="${escapeHtml(e.input)}">` +
      `<td>${j === 0 ? i + 1 : ""}</td><td>${j === 0 ? escapeHtml(st.node) : ""}</td><td>${j === 0 ? fmt(st.upstream, 6) : ""}</td>` +
      `<td style="text-align:left">${escapeHtml(e.input)}</td><td>${fmt(e.local, 6)}</td><td>${fmt(e.downstream, 6)}</td>` +
      `<td>${e.before !== null ? `<span class="accum">+= → ${fmt(e.after, 6)}</span>` : ""}</td></tr>`)));
    $("bp-table").innerHTML = "<tr><th>step</th><th>node</th><th>upstream</th><th>input</th><th>local</th><th>downstream</th><th>accumulated</th></tr>" + rows.join("");
    const current = $("bp-table").querySelector("tr.current");
    if (current) current.scrollIntoView({ block: "nearest" });
    if (k === steps.length) {
      const names = Object.keys(bp.scalar_grads);
      const worst = Math.max(...names.map((n) => Math.abs(bp.scalar_grads[n] - bp.tensor_grads[n])));
      $("bp-check").textContent = `largest difference over ${names.length} weights: ${worst.toExponential(2)} (float32 tensor engine vs float64 scalar trace)`;
      $("bp-grads").innerHTML = "<tr><th>weight</th><th>scalar trace</th><th>tensor loss.backward()</th></tr>" + names.map((n) =>
        `<tr data-name="${n}" data-scalar="${bp.scalar_grads[n]}" data-tensor="${bp.tensor_grads[n]}"><td style="text-align:left">${n}</td><td>${fmt(bp.scalar_grads[n], 6)}</td><td>${fmt(bp.tensor_grads[n], 6)}</td></tr>`).join("");
    } else {
      $("bp-check").textContent = "step to the end to compare every weight's gradient with the tensor engine";
      $("bp-grads").innerHTML = "";
    }
  }

  // ---- export and share ---------------------------------------------------------------------------
  for (const kind of ["chainrule", "torch", "checkpoint"]) $(`export-${kind}`).onclick = () => send({ type: "export", kind });
  function download(m) {
    const blob = m.text !== undefined ? new Blob([m.text], { type: "text/x-python" })
      : new Blob([Uint8Array.from(atob(m.base64), (c) => c.charCodeAt(0))], { type: "application/octet-stream" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = m.filename;
    root.appendChild(a);
    a.click();
    a.remove();
    message(`exported ${m.filename}`, "info");
  }
  const shareUrl = () => {
    const c = { ...state.config };
    c.hide = $("hide").value.split(",").map((s) => s.trim()).filter(Boolean);
    c.lock = $("lock").value.split(",").map((s) => s.trim()).filter(Boolean);
    const base = url ? location.origin + location.pathname : "";
    return `${base}?${encodeState(c)}`;
  };
  $("share").onclick = () => {
    $("share-url").value = shareUrl();
    $("share-url").select();
  };
  if (url) showConfig();
  else send({ type: "hello" }); // the widget: the session is already set up in Python; ask for it

  // What the browser tests and the benchmark read; nothing in the page depends on it.
  const api = { state, shareUrl, sendConfig };
  if (url) window.chainrulePlayground = api;
  return () => { el.innerHTML = ""; };
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export default { render };
