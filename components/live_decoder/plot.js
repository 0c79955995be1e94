// Drawing helpers for the live decoder: DOM and theme utilities, number formatting, and
// Plane, a square 2-D plot (axes, points, a draggable marker) on two stacked canvases.

function el(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function cssVar(node, name, fallback) {
  const v = getComputedStyle(node).getPropertyValue(name).trim();
  return v && v !== "unset" ? v : fallback;
}

function b64ToArray(b64, Type) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Type(bytes.buffer);
}

// True for a dark colour given as #rgb, #rrggbb or rgb(...).
function isDark(color) {
  let rgb = color.match(/\d+(\.\d+)?/g);
  if (color.startsWith("#")) {
    const hex = color.length === 4 ? color.replace(/\w/g, "$&$&").slice(1) : color.slice(1, 7);
    rgb = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }
  if (!rgb || rgb.length < 3) return false;
  return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 128;
}

const fmt = (v) => (v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(2);
const round3 = (v) => Math.round(v * 1000) / 1000;

// "Nice" tick values (1, 2 or 5 times a power of ten) covering [lo, hi].
function ticks(lo, hi, count = 6) {
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(round3(v));
  return out;
}

// A square 2-D plot: a base canvas (axes, points) under an overlay (marker, crosshair).
class Plane {
  constructor(parent, size, extent, names) {
    this.size = size;
    this.extent = extent; // [x0, x1, y0, y1]
    this.names = names;
    this.m = { l: 40, r: 10, t: 10, b: 34 };
    const box = el("div", "ld-plane", parent);
    box.style.width = box.style.height = size + "px";
    this.base = el("canvas", "ld-base", box);
    this.overlay = el("canvas", "ld-overlay", box);
    this.overlay.tabIndex = 0;
    const dpr = window.devicePixelRatio || 1;
    for (const c of [this.base, this.overlay]) {
      c.width = c.height = Math.round(size * dpr);
      c.style.width = c.style.height = size + "px";
      c.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0);
    }
  }
  get plot() {
    const { l, r, t, b } = this.m;
    return { x: l, y: t, w: this.size - l - r, h: this.size - t - b };
  }
  toPixel(x, y) {
    const [x0, x1, y0, y1] = this.extent, p = this.plot;
    return [p.x + ((x - x0) / (x1 - x0)) * p.w, p.y + ((y1 - y) / (y1 - y0)) * p.h];
  }
  toData(px, py) {
    const [x0, x1, y0, y1] = this.extent, p = this.plot;
    const fx = Math.min(1, Math.max(0, (px - p.x) / p.w));
    const fy = Math.min(1, Math.max(0, (py - p.y) / p.h));
    return [round3(x0 + fx * (x1 - x0)), round3(y1 - fy * (y1 - y0))];
  }
  drawAxes(colors) {
    const ctx = this.base.getContext("2d"), p = this.plot, [x0, x1, y0, y1] = this.extent;
    ctx.clearRect(0, 0, this.size, this.size);
    ctx.fillStyle = colors.panel;
    ctx.fillRect(p.x, p.y, p.w, p.h);
    ctx.font = "11px " + colors.font;
    ctx.fillStyle = colors.text;
    ctx.strokeStyle = colors.grid;
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of ticks(x0, x1)) {
      const [px] = this.toPixel(v, 0);
      ctx.beginPath(); ctx.moveTo(px, p.y); ctx.lineTo(px, p.y + p.h); ctx.stroke();
      ctx.fillText(fmt(v).replace(".00", ""), px, p.y + p.h + 4);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of ticks(y0, y1)) {
      const [, py] = this.toPixel(0, v);
      ctx.beginPath(); ctx.moveTo(p.x, py); ctx.lineTo(p.x + p.w, py); ctx.stroke();
      ctx.fillText(fmt(v).replace(".00", ""), p.x - 5, py);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(this.names[0], p.x + p.w / 2, this.size - 1);
    ctx.save();
    ctx.translate(11, p.y + p.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(this.names[1], 0, 0);
    ctx.restore();
  }
  // Marker at the shown position; a lighter ring at the pinned one while hovering elsewhere.
  drawMarker(shown, pinned, colors) {
    const ctx = this.overlay.getContext("2d"), p = this.plot;
    ctx.clearRect(0, 0, this.size, this.size);
    const [sx, sy] = this.toPixel(shown[0], shown[1]);
    ctx.strokeStyle = colors.primary;
    ctx.globalAlpha = 0.35;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(p.x, sy); ctx.lineTo(p.x + p.w, sy);
    ctx.moveTo(sx, p.y); ctx.lineTo(sx, p.y + p.h);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    if (pinned && (pinned[0] !== shown[0] || pinned[1] !== shown[1])) {
      const [qx, qy] = this.toPixel(pinned[0], pinned[1]);
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(qx, qy, 6, 0, 2 * Math.PI); ctx.stroke();
    }
    ctx.fillStyle = colors.primary;
    ctx.strokeStyle = colors.bg;
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(sx, sy, 6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  }
}
