// Streamlit component around decoder.js and plot.js: the decoded image follows the sliders
// or the pointer with no server round trip. Modes: "sliders" (one slider per latent dimension), "pad" (drag a
// point over two dimensions, sliders for the rest), "map" (hover over a 2-D map of encoded
// points). The position goes back to Python only when a move ends (slider release, pointer
// up), so Streamlit reruns once per gesture, not once per frame.

const decoders = new Map(); // spec id -> { decoder, parseMs }: weights parsed once per page
const views = new WeakMap(); // parentElement -> LiveView
// Timings for benchmarks: input event -> canvas drawn (ms), and first draw per spec.
const stats = (globalThis.liveDecoderStats ??= { latencies: [], firstDraw: {} });
// The view's words; Python sends them translated (data.labels), these are the English defaults.
const LABELS = {
  caption_gaussian: "Gaussian mean \u00b7 decoded in the browser",
  caption_bernoulli: "Bernoulli mean \u00b7 decoded in the browser",
  hint: "Hover to decode \u00b7 click or drag to pin",
  reset: "Reset",
  sample: "Sample from the prior",
  sample_title: "Draw z from N(0, I)",
  dims: "{n} dims",
};
const PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
  "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"];

function getDecoder(spec) {
  let entry = decoders.get(spec.id);
  if (!entry) {
    const t0 = performance.now();
    entry = { decoder: makeDecoder(spec), parseMs: performance.now() - t0 };
    decoders.set(spec.id, entry);
    if (decoders.size > 4) decoders.delete(decoders.keys().next().value);
  }
  return entry;
}

class LiveView {
  constructor(parent, setStateValue) {
    this.parent = parent;
    this.send = setStateValue;
    this.root = el("div", "ld-root", parent);
    this.frames = 0;
    this.pendingInput = null; // earliest input event time not yet drawn
    this.raf = 0;
    this.sendTimer = 0;
  }

  // Called on every Streamlit render: rebuild only what changed.
  update(data) {
    const spec = data.spec;
    const layout = JSON.stringify([spec.id, data.mode, data.size_px, data.span, data.pad_dims,
      data.dim_names, data.image_px, data.map && data.map.id, data.labels]);
    const z0 = JSON.stringify(data.z0);
    if (layout === this.layout && z0 === this.z0) return;
    const newSpec = !this.spec || spec.id !== this.spec.id;
    const t0 = performance.now();
    let entry;
    try {
      entry = getDecoder(spec);
    } catch (err) {
      this.root.replaceChildren(el("div", "ld-error", null, String(err.message || err)));
      return;
    }
    this.decoder = entry.decoder;
    this.spec = spec;
    this.data = data;
    this.text = { ...LABELS, ...(data.labels || {}) };
    if (newSpec || z0 !== this.z0) {
      this.z = Float64Array.from(data.z0);
      this.pinned = Array.from(this.z);
    }
    this.z0 = z0;
    if (layout !== this.layout) this.build();
    this.layout = layout;
    if (newSpec) this.firstDraw = { id: spec.id, t0, parseMs: entry.parseMs };
    this.requestDraw(null);
  }

  build() {
    const d = this.data, D = this.spec.latent_dim;
    this.names = d.dim_names || Array.from({ length: D }, (_, i) => "z" + (i + 1));
    this.root.replaceChildren();
    this.root.dataset.mode = d.mode;
    const [c, h, w] = this.spec.image_shape;
    const scale = Math.max(1, Math.floor(d.image_px / Math.max(h, w)));
    const figure = el("div", "ld-figure", this.root);
    this.canvas = el("canvas", "ld-image", figure);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * scale * dpr);
    this.canvas.height = Math.round(h * scale * dpr);
    this.canvas.style.width = w * scale + "px";
    this.canvas.style.height = h * scale + "px";
    this.small = document.createElement("canvas");
    this.small.width = w;
    this.small.height = h;
    this.pixels = new ImageData(w, h);
    this.readout = el("div", "ld-readout", figure);
    const gaussian = this.spec.likelihood === "gaussian";
    const caption = gaussian ? this.text.caption_gaussian : this.text.caption_bernoulli;
    el("div", "ld-caption", figure, caption);
    const controls = el("div", "ld-controls", this.root);
    this.sliders = [];
    this.plane = null;
    if (d.mode === "map") this.buildMap(controls);
    else if (d.mode === "pad" && D >= 2) this.buildPad(controls);
    if (d.mode !== "map") this.buildSliders(controls);
    this.colors = null; // read from the theme at the next draw
  }

  buildPad(parent) {
    const span = this.data.span, dims = this.data.pad_dims;
    this.padDims = dims;
    const names = [this.names[dims[0]], this.names[dims[1]]];
    this.plane = new Plane(parent, this.data.size_px, [-span, span, -span, span], names);
    this.attachPointer(false);
  }

  buildMap(parent) {
    const m = this.data.map;
    this.padDims = [0, 1];
    this.plane = new Plane(parent, this.data.size_px, m.extent, this.names.slice(0, 2));
    this.points = {
      x: b64ToArray(m.x, Float32Array),
      y: b64ToArray(m.y, Float32Array),
      label: b64ToArray(m.label, Int32Array),
    };
    const classes = m.classes || [];
    if (classes.length > 1) {
      const legend = el("div", "ld-legend", parent);
      legend.style.maxWidth = this.data.size_px + "px";
      this.swatches = classes.map((name) => {
        const item = el("span", "ld-legend-item", legend);
        const dot = el("span", "ld-swatch", item);
        el("span", null, item, name);
        return dot;
      });
    }
    el("div", "ld-hint", parent, this.text.hint);
    this.attachPointer(true);
  }

  // Sliders for every dimension not on the pad.
  buildSliders(parent) {
    const D = this.spec.latent_dim, span = this.data.span;
    const onPad = this.plane ? this.padDims : [];
    const box = el("div", "ld-sliders", parent);
    if (D - onPad.length > 8) box.classList.add("ld-many"); // two or more columns
    for (let i = 0; i < D; i++) {
      if (onPad.includes(i)) continue;
      const row = el("label", "ld-row", box);
      el("span", "ld-name", row, this.names[i]);
      const input = el("input", null, row);
      Object.assign(input, { type: "range", min: -span, max: span, step: 0.01 });
      input.value = this.z[i];
      const out = el("output", null, row);
      input.addEventListener("input", (e) => {
        this.z[i] = Number(input.value);
        this.requestDraw(e.timeStamp);
      });
      input.addEventListener("change", () => this.commit());
      this.sliders.push({ i, input, out });
    }
    const buttons = el("div", "ld-buttons", parent);
    const reset = el("button", null, buttons, this.text.reset);
    reset.type = "button";
    reset.addEventListener("click", (e) => this.jump(JSON.parse(this.z0), e.timeStamp));
    const sample = el("button", null, buttons, this.text.sample);
    sample.type = "button";
    sample.title = this.text.sample_title;
    sample.addEventListener("click", (e) => this.jump(this.priorSample(), e.timeStamp));
  }

  priorSample() {
    return Array.from(this.z, () => {
      const u = 1 - Math.random(), v = Math.random();
      return round3(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    });
  }

  jump(values, time) {
    this.z = Float64Array.from(values);
    for (const s of this.sliders) s.input.value = this.z[s.i];
    this.requestDraw(time);
    this.commit();
  }

  // Pointer on the plane: drag moves (and pins) the point; with hover, moving without a
  // button previews and leaving returns to the pinned point.
  attachPointer(hover) {
    const c = this.plane.overlay, [dx, dy] = this.padDims;
    let dragging = false;
    const moveTo = (e) => {
      const r = c.getBoundingClientRect();
      const [x, y] = this.plane.toData(e.clientX - r.left, e.clientY - r.top);
      this.z[dx] = x;
      this.z[dy] = y;
      this.requestDraw(e.timeStamp);
    };
    c.addEventListener("pointerdown", (e) => {
      dragging = true;
      c.setPointerCapture(e.pointerId);
      moveTo(e);
    });
    c.addEventListener("pointermove", (e) => {
      if (dragging || hover) moveTo(e);
    });
    const end = () => {
      if (!dragging) return;
      dragging = false;
      this.commit();
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("pointerleave", (e) => {
      if (!hover || dragging) return;
      this.z = Float64Array.from(this.pinned);
      this.requestDraw(e.timeStamp);
    });
    c.addEventListener("keydown", (e) => {
      const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
      if (!step) return;
      e.preventDefault();
      const [x0, x1, y0, y1] = this.plane.extent;
      this.z[dx] = round3(Math.min(x1, Math.max(x0, this.pinned[dx] + step[0] * (x1 - x0) / 50)));
      this.z[dy] = round3(Math.min(y1, Math.max(y0, this.pinned[dy] + step[1] * (y1 - y0) / 50)));
      this.pinned = Array.from(this.z);
      this.requestDraw(e.timeStamp);
      clearTimeout(this.sendTimer);
      this.sendTimer = setTimeout(() => this.commit(), 400);
    });
  }

  // Pin the shown position and send it back to Python (one rerun).
  commit() {
    this.pinned = Array.from(this.z);
    this.requestDraw(null);
    this.send("z", { z: this.pinned, spec: this.spec.id });
  }

  requestDraw(time) {
    if (time !== null && time !== undefined) {
      this.pendingInput = this.pendingInput === null ? time : Math.min(this.pendingInput, time);
    }
    if (!this.raf) this.raf = requestAnimationFrame(() => this.draw());
  }

  readColors() {
    const n = this.root;
    const cat = cssVar(n, "--st-chart-categorical-colors", "");
    this.colors = {
      text: cssVar(n, "--st-text-color", "#31333f"),
      bg: cssVar(n, "--st-background-color", "#ffffff"),
      panel: cssVar(n, "--st-secondary-background-color", "#f0f2f6"),
      grid: cssVar(n, "--st-border-color", "rgba(49, 51, 63, 0.15)"),
      primary: cssVar(n, "--st-primary-color", "#ff4b4b"),
      font: cssVar(n, "--st-font", "sans-serif"),
      palette: (this.data.map && this.data.map.colors && this.data.map.colors.length)
        ? this.data.map.colors
        : cat ? cat.split(",").map((s) => s.trim()) : PALETTE,
    };
    this.root.style.colorScheme = isDark(this.colors.bg) ? "dark" : "light"; // native sliders
    if (this.plane) {
      this.plane.drawAxes(this.colors);
      if (this.points) this.drawPoints();
      else this.drawPrior();
    }
    (this.swatches || []).forEach((s, k) => {
      s.style.background = this.colors.palette[k % this.colors.palette.length];
    });
  }

  drawPoints() {
    const ctx = this.plane.base.getContext("2d"), { x, y, label } = this.points, pal = this.colors.palette;
    const p = this.plane.plot;
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.x, p.y, p.w, p.h);
    ctx.clip();
    ctx.globalAlpha = 0.85;
    const r = x.length > 2000 ? 1.25 : x.length > 500 ? 1.75 : 2.25; // point radius
    const byLabel = new Map();
    for (let i = 0; i < x.length; i++) {
      if (!byLabel.has(label[i])) byLabel.set(label[i], []);
      byLabel.get(label[i]).push(i);
    }
    for (const [k, idx] of byLabel) {
      ctx.fillStyle = pal[((k % pal.length) + pal.length) % pal.length];
      for (const i of idx) {
        const [px, py] = this.plane.toPixel(x[i], y[i]);
        ctx.beginPath();
        ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.restore();
  }

  // Circles at 1, 2, 3 standard deviations of the prior N(0, I).
  drawPrior() {
    const ctx = this.plane.base.getContext("2d"), [cx, cy] = this.plane.toPixel(0, 0);
    const unit = this.plane.toPixel(1, 0)[0] - cx;
    ctx.strokeStyle = this.colors.text;
    ctx.fillStyle = this.colors.text;
    ctx.globalAlpha = 0.3;
    ctx.setLineDash([4, 4]);
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    for (const r of [1, 2, 3]) {
      ctx.beginPath(); ctx.arc(cx, cy, r * unit, 0, 2 * Math.PI); ctx.stroke();
      ctx.fillText(r + "\u03c3", cx + r * unit * 0.71 + 2, cy - r * unit * 0.71 - 1);
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }

  draw() {
    this.raf = 0;
    if (!this.colors) this.readColors();
    const image = this.decoder.decode(this.z);
    imageToPixels(image, this.spec.image_shape, this.pixels);
    this.small.getContext("2d").putImageData(this.pixels, 0, 0);
    const ctx = this.canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.small, 0, 0, this.canvas.width, this.canvas.height);
    if (this.plane) {
      const [dx, dy] = this.padDims;
      const pinned = [this.pinned[dx], this.pinned[dy]];
      this.plane.drawMarker([this.z[dx], this.z[dy]], pinned, this.colors);
    }
    for (const s of this.sliders) s.out.textContent = fmt(this.z[s.i]);
    this.readout.textContent = this.describe();
    this.frames += 1;
    this.root.dataset.frames = this.frames;
    this.root.dataset.z = JSON.stringify(Array.from(this.z));
    const now = performance.now();
    if (this.pendingInput !== null) {
      stats.latencies.push(now - this.pendingInput);
      if (stats.latencies.length > 1000) stats.latencies.shift();
      this.pendingInput = null;
    }
    if (this.firstDraw) {
      const f = this.firstDraw;
      stats.firstDraw[f.id] = { parseMs: f.parseMs, firstDrawMs: now - f.t0 };
      this.firstDraw = null;
    }
  }

  describe() {
    const shown = Array.from(this.z.slice(0, 4), fmt).join(", ");
    const dims = this.text.dims.replace("{n}", String(this.z.length));
    const more = this.z.length > 4 ? ", \u2026 (" + dims + ")" : "";
    return "z = (" + shown + more + ")";
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    clearTimeout(this.sendTimer);
    this.root.remove();
  }
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let view = views.get(parentElement);
  if (!view) {
    view = new LiveView(parentElement, setStateValue);
    views.set(parentElement, view);
  }
  view.send = setStateValue;
  view.update(data);
  return () => {
    if (views.get(parentElement) !== view) return;
    view.destroy();
    views.delete(parentElement);
  };
}
