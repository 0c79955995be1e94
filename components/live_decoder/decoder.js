// The VAE decoder in plain JavaScript: the same layers and weights as PyTorch, no library.
// Input: a spec from vae/web/decoder_spec.py (decoder_spec). makeDecoder(spec).decode(z) returns the
// image mean sigmoid(decoder(z)) as a Float32Array in (C, H, W) order. All buffers are
// allocated once, so decoding a frame allocates nothing.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// float16 bit pattern -> its value, for all 65536 patterns; built on first use.
let HALF_TABLE = null;
function halfTable() {
  if (HALF_TABLE) return HALF_TABLE;
  HALF_TABLE = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v;
    if (exp === 0) v = frac * 2 ** -24; // subnormal
    else if (exp === 31) v = frac ? NaN : Infinity;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    HALF_TABLE[h] = sign * v;
  }
  return HALF_TABLE;
}

// base64 of little-endian float32 (or float16, widened) -> Float32Array
function b64ToFloat32(b64, dtype = "float32") {
  const bin = atob(b64);
  if (dtype === "float16") {
    const table = halfTable();
    const out = new Float32Array(bin.length >> 1);
    for (let i = 0; i < out.length; i++) {
      out[i] = table[bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8)];
    }
    return out;
  }
  if (dtype !== "float32") throw new Error("unknown weight type " + dtype);
  const n = bin.length >> 2;
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN) {
    const bytes = new Uint8Array(out.buffer);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  } else {
    const view = new DataView(new ArrayBuffer(bin.length));
    for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  }
  return out;
}

function product(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

// y = W x + b with W (out, in); the sum runs in float64, stored as float32.
function linearLayer(L, dtype) {
  const nIn = L.in, nOut = L.out;
  const W = b64ToFloat32(L.weight, dtype);
  const b = L.bias ? b64ToFloat32(L.bias, dtype) : new Float32Array(nOut);
  const y = new Float32Array(nOut);
  return {
    outSize: nOut,
    run(x) {
      for (let o = 0; o < nOut; o++) {
        let acc = b[o];
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) acc += W[row + i] * x[i];
        y[o] = acc;
      }
      return y;
    },
  };
}

// For each output row (or column) o, the kernel taps k and input positions i with
// o = i * stride - padding + k * dilation. Returned flat: start offsets + (k, i) pairs.
function taps(nIn, nOut, kernel, stride, padding, dilation) {
  const start = new Int32Array(nOut + 1);
  const pairs = [];
  for (let o = 0; o < nOut; o++) {
    start[o] = pairs.length / 2;
    for (let k = 0; k < kernel; k++) {
      const t = o + padding - k * dilation;
      if (t % stride !== 0) continue;
      const i = t / stride;
      if (i >= 0 && i < nIn) pairs.push(k, i);
    }
  }
  start[nOut] = pairs.length / 2;
  return { start, pairs: Int32Array.from(pairs) };
}

// ConvTranspose2d as a gather: each output pixel sums over its valid taps. Weights are
// reordered once to (out, kh, kw, in) and the input to (h, w, in) so the innermost loop
// runs over contiguous channels.
function convTranspose2dLayer(L, dtype) {
  const [ci, ih, iw] = L.in_shape;
  const [co, oh, ow] = L.out_shape;
  const [kh, kw] = L.kernel;
  const src = b64ToFloat32(L.weight, dtype); // (in, out, kh, kw)
  const W = new Float32Array(src.length);
  for (let c = 0; c < ci; c++)
    for (let o = 0; o < co; o++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          W[((o * kh + y) * kw + x) * ci + c] = src[((c * co + o) * kh + y) * kw + x];
  const b = L.bias ? b64ToFloat32(L.bias, dtype) : new Float32Array(co);
  const rows = taps(ih, oh, kh, L.stride[0], L.padding[0], L.dilation[0]);
  const cols = taps(iw, ow, kw, L.stride[1], L.padding[1], L.dilation[1]);
  const xt = new Float32Array(ci * ih * iw); // input, channels last
  const y = new Float32Array(co * oh * ow);
  const plane = ih * iw;
  return {
    outSize: y.length,
    run(x) {
      for (let c = 0; c < ci; c++)
        for (let p = 0; p < plane; p++) xt[p * ci + c] = x[c * plane + p];
      for (let o = 0; o < co; o++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let acc = b[o];
            for (let r = rows.start[oy]; r < rows.start[oy + 1]; r++) {
              const ky = rows.pairs[2 * r], iy = rows.pairs[2 * r + 1];
              for (let q = cols.start[ox]; q < cols.start[ox + 1]; q++) {
                const kx = cols.pairs[2 * q], ix = cols.pairs[2 * q + 1];
                const w0 = ((o * kh + ky) * kw + kx) * ci;
                const x0 = (iy * iw + ix) * ci;
                for (let c = 0; c < ci; c++) acc += W[w0 + c] * xt[x0 + c];
              }
            }
            y[(o * oh + oy) * ow + ox] = acc;
          }
        }
      }
      return y;
    },
  };
}

function reluLayer(size) {
  return {
    outSize: size,
    run(x) {
      for (let i = 0; i < size; i++) if (x[i] < 0) x[i] = 0;
      return x;
    },
  };
}

// Reshapes change nothing in memory: (C, H, W) and flat share the same order.
function reshapeLayer(size) {
  return { outSize: size, run: (x) => x };
}

// Build a decoder from a spec; throws for a layer type it does not know.
function makeDecoder(spec) {
  const dtype = spec.weight_dtype || "float32";
  let size = spec.latent_dim;
  const layers = [];
  for (const L of spec.layers) {
    let layer;
    if (L.type === "linear") layer = linearLayer(L, dtype);
    else if (L.type === "relu") layer = reluLayer(size);
    else if (L.type === "unflatten" || L.type === "flatten") layer = reshapeLayer(size);
    else if (L.type === "conv_transpose2d") layer = convTranspose2dLayer(L, dtype);
    else throw new Error("the browser decoder does not implement layer " + L.type);
    size = layer.outSize;
    layers.push(layer);
  }
  const z = new Float32Array(spec.latent_dim);
  const image = new Float32Array(size);
  return {
    latentDim: spec.latent_dim,
    imageShape: spec.image_shape,
    // z: array of latent_dim numbers -> the image mean, (C, H, W); the same buffer each call
    decode(values) {
      for (let i = 0; i < z.length; i++) z[i] = values[i];
      let x = z;
      for (const layer of layers) x = layer.run(x);
      for (let i = 0; i < size; i++) image[i] = 1 / (1 + Math.exp(-x[i]));
      return image;
    },
  };
}

// Paint a (C, H, W) image in [0, 1] into an ImageData of size W x H (grey or RGB).
function imageToPixels(image, shape, pixels) {
  const [c, h, w] = shape;
  const plane = h * w;
  const d = pixels.data;
  for (let p = 0; p < plane; p++) {
    const r = image[p];
    const g = c === 3 ? image[plane + p] : r;
    const bl = c === 3 ? image[2 * plane + p] : r;
    d[4 * p] = Math.round(255 * r);
    d[4 * p + 1] = Math.round(255 * g);
    d[4 * p + 2] = Math.round(255 * bl);
    d[4 * p + 3] = 255;
  }
}
