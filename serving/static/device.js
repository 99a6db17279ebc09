// The student on the shopper's device: LiteRT.js (WebAssembly on the CPU) runs the served TFLite file
// (/model's device.url, batch fixed to one), and the post-processing follows the server's so a cut-out looks
// the same wherever it was computed: the largest foreground blob (4-connected, as scipy's label) is the
// product and takes its pixels' majority class (prodseg/instances.detect); its edge runs where the model's
// foreground probability crosses 0.5, upsampled bilinearly to the photo and sharpened by the server's curve
// (serving/masks.soft_mask, serving/edges.contrast_lut). Not done here: the server's colour decontamination
// of semi-transparent edge pixels and its quality warnings (those need the server).
// The runtime and the model load on the first cut-out, so a page that never asks for one fetches neither.
let loading = null;
export const timings = {};  // runtime start, model download, compile, last inference (ms), model bytes: the figures

function lut(sharpness) {  // serving/edges.contrast_lut: steeper around 128, 128 fixed
  const out = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const value = Math.min(255, Math.max(0, Math.floor(128 + sharpness * (v - 128) + 0.5)));
    out[v] = v < 128 ? Math.min(value, 127) : value;
  }
  return out;
}

async function load() {
  if (typeof WebAssembly !== "object") throw new Error("this browser has no WebAssembly");
  const response = await fetch("/model");
  if (!response.ok) throw new Error(`no model (${response.status})`);
  const info = (await response.json()).device;
  if (!info) throw new Error("the served model has no TFLite file for the browser");
  if (!info.available) throw new Error("the device runtime is not installed on this server");
  // Only the server splits a blob into per-class instances (evaluate.class_vote off); the device votes.
  if (!info.class_vote) throw new Error("this server cuts out per class (class_vote off), which only it does");
  const started = performance.now();
  const litert = await import(info.runtime);
  await litert.loadLiteRt(info.wasm);
  timings.runtime_ms = performance.now() - started;
  const fetched = performance.now();
  const file = await fetch(info.url);
  if (!file.ok) throw new Error(`the model file did not load (${file.status})`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  timings.download_ms = performance.now() - fetched;
  timings.model_bytes = bytes.length;
  const compiled = performance.now();
  const model = await litert.loadAndCompile(bytes, {accelerator: "wasm"});
  timings.compile_ms = performance.now() - compiled;
  const input = model.getInputDetails()[0];
  const [, height, width] = Array.from({length: 4}, (_, i) => input.shape[i]);
  return {litert, model, info, width, height, float: input.dtype !== "uint8", curve: lut(info.edge_sharpness)};
}

export function ready() {
  loading = loading || load().catch((error) => { loading = null; throw error; });
  return loading;
}

function pixels(bitmap, width, height) {  // RGBA bytes of the photo drawn at width x height
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", {willReadFrequently: true});
  context.drawImage(bitmap, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

// The server's model input, exactly: Pillow's resize(BILINEAR, reducing_gap=2.0) (serving/predictor.model_input),
// a box reduction by the whole factor that leaves at least twice the size, then Pillow's separable
// triangle-filter resampling with its 22-bit fixed-point weights. A canvas's own scaling differs enough to
// move a blob's edge and, on a photo with two blobs of a size, which is the largest.
function reduce(rgba, width, height, fx, fy) {  // Image.reduce: box means, the last boxes partial
  const outWidth = Math.ceil(width / fx), outHeight = Math.ceil(height / fy);
  const out = new Uint8Array(outWidth * outHeight * 3);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const y1 = Math.min(height, (y + 1) * fy), x1 = Math.min(width, (x + 1) * fx);
      const count = (y1 - y * fy) * (x1 - x * fx), multiplier = Math.floor(2 ** 24 / count);
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let yy = y * fy; yy < y1; yy++) {
          for (let xx = x * fx; xx < x1; xx++) sum += rgba[(yy * width + xx) * 4 + c];
        }
        out[(y * outWidth + x) * 3 + c] = Math.floor((sum + Math.floor(count / 2)) * multiplier / 2 ** 24);
      }
    }
  }
  return {pixels: out, width: outWidth, height: outHeight};
}

function coefficients(inSize, outSize, start, end) {  // Pillow's precompute_coeffs + normalize_coeffs_8bpc
  const scale = (end - start) / outSize, filterScale = Math.max(scale, 1), support = filterScale;
  return Array.from({length: outSize}, (_, o) => {
    const center = start + (o + 0.5) * scale;
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const last = Math.min(inSize, Math.trunc(center + support + 0.5));
    const weights = [];
    for (let i = first; i < last; i++) weights.push(Math.max(0, 1 - Math.abs((i - center + 0.5) / filterScale)));
    const total = weights.reduce((a, b) => a + b, 0);
    return {first, weights: weights.map((w) => Math.trunc((total ? w / total : w) * 2 ** 22 + 0.5))};
  });
}

function resample(image, outWidth, outHeight, box) {  // horizontal pass, then vertical, each rounded to bytes
  const pass = (pixels, lines, inSize, outSize, step, line, start, end) => {
    const out = new Uint8Array(lines * outSize * 3);
    const taps = coefficients(inSize, outSize, start, end);
    for (let l = 0; l < lines; l++) {
      taps.forEach(({first, weights}, o) => {
        for (let c = 0; c < 3; c++) {
          let sum = 2 ** 21;
          weights.forEach((w, k) => { sum += pixels[line(l, first + k) * 3 + c] * w; });
          out[step(l, o) * 3 + c] = Math.min(255, Math.max(0, Math.floor(sum / 2 ** 22)));
        }
      });
    }
    return out;
  };
  const {width, height} = image;
  const rows = pass(image.pixels, height, width, outWidth, (l, o) => l * outWidth + o, (l, i) => l * width + i,
                    box[0], box[2]);
  return pass(rows, outWidth, height, outHeight, (l, o) => o * outWidth + l, (l, i) => i * outWidth + l,
              box[1], box[3]);
}

function modelInput(bitmap, width, height) {  // the photo's RGB at the model's size, as the server makes it
  const photo = pixels(bitmap, bitmap.width, bitmap.height).data;
  const fx = Math.trunc(bitmap.width / width / 2) || 1, fy = Math.trunc(bitmap.height / height / 2) || 1;
  const reduced = reduce(photo, bitmap.width, bitmap.height, fx, fy);  // factor 1: the photo's RGB
  const box = [0, 0, bitmap.width / fx, bitmap.height / fy];
  return resample(reduced, width, height, box);
}

async function probabilities(runtime, bitmap) {  // softmax of the model's logits, (h * w) x classes
  const {litert, model, info, width, height} = runtime;
  const bytes = modelInput(bitmap, width, height);
  const rgb = runtime.float ? Float32Array.from(bytes) : bytes;
  const input = new litert.Tensor(rgb, [1, height, width, 3]);
  const ran = performance.now();
  const outputs = await model.run(input);
  timings.last_inference_ms = performance.now() - ran;
  input.delete();
  const raw = outputs[0].toTypedArray();
  outputs.forEach((tensor) => tensor.delete());
  const quantization = info.output_quantization;
  const classes = info.classes.length;
  const probs = new Float32Array(raw.length);
  for (let p = 0; p < raw.length; p += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      const logit = quantization ? (raw[p + c] - quantization.zero_point) * quantization.scale : raw[p + c];
      probs[p + c] = logit;
      max = Math.max(max, logit);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += (probs[p + c] = Math.exp(probs[p + c] - max));
    for (let c = 0; c < classes; c++) probs[p + c] /= sum;
  }
  return probs;
}

function product(probs, info, width, height) {  // the largest blob: its mask, class and score (or null)
  const classes = info.classes.length;
  const n = width * height;
  const best = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let top = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + top]) top = c;
    best[i] = top;
  }
  const minArea = Math.max(1, Math.floor(info.min_component_frac * n));
  const component = new Int32Array(n);
  let largest = null;
  for (let seed = 0, label = 0; seed < n; seed++) {
    if (best[seed] === 0 || component[seed]) continue;
    const members = [seed];
    component[seed] = ++label;
    for (let k = 0; k < members.length; k++) {
      const i = members[k], x = i % width;
      for (const j of [i - width, i + width, x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1]) {
        if (j >= 0 && j < n && best[j] !== 0 && !component[j]) { component[j] = label; members.push(j); }
      }
    }
    if (members.length >= minArea && (!largest || members.length > largest.length)) largest = members;
  }
  if (!largest) return null;
  const votes = new Int32Array(classes);
  largest.forEach((i) => votes[best[i]]++);
  const classId = votes.indexOf(Math.max(...votes));
  const mask = new Uint8Array(n);
  let score = 0;
  largest.forEach((i) => { mask[i] = 1; score += probs[i * classes + classId]; });
  return {mask, classId, label: info.classes[classId], score: score / largest.length};
}

function instanceMap(mask, probs, classes, width, height) {  // serving/masks.instance_map
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const level = Math.round(Math.min(1, Math.max(0, 1 - probs[i * classes])) * 255);
      if (mask[i]) { out[i] = Math.max(level, 128); continue; }
      let ring = false;
      for (let dy = -1; dy <= 1 && !ring; dy++) {
        for (let dx = -1; dx <= 1 && !ring; dx++) {
          const yy = y + dy, xx = x + dx;
          ring = yy >= 0 && yy < height && xx >= 0 && xx < width && mask[yy * width + xx] === 1;
        }
      }
      out[i] = ring ? Math.min(level, 127) : 0;
    }
  }
  return out;
}

function axis(outSize, inSize) {  // cv2.INTER_LINEAR's half-pixel sample positions along one axis
  const low = new Int32Array(outSize), high = new Int32Array(outSize), weight = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const at = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
    low[o] = Math.floor(at);
    high[o] = Math.min(low[o] + 1, inSize - 1);
    weight[o] = at - low[o];
  }
  return {low, high, weight};
}

function upsample(small, width, height, outWidth, outHeight, curve) {  // bilinear, then the sharpening curve
  const xs = axis(outWidth, width), ys = axis(outHeight, height);
  const alpha = new Uint8ClampedArray(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const top = ys.low[y] * width, bottom = ys.high[y] * width, wy = ys.weight[y];
    for (let x = 0; x < outWidth; x++) {
      const x0 = xs.low[x], x1 = xs.high[x], wx = xs.weight[x];
      const upper = small[top + x0] + wx * (small[top + x1] - small[top + x0]);
      const lower = small[bottom + x0] + wx * (small[bottom + x1] - small[bottom + x0]);
      alpha[y * outWidth + x] = curve[Math.round(upper + wy * (lower - upper))];
    }
  }
  return alpha;
}

function reduction(width, height, maxPixels) {  // serving/images.reduction: whole factor to fit maxPixels
  let factor = Math.max(1, Math.floor(Math.sqrt(Math.floor(width * height / Math.max(1, maxPixels)))));
  while (Math.ceil(width / factor) * Math.ceil(height / factor) > maxPixels) factor++;
  return factor;
}

function cropBox(alpha, width, height) {  // serving/masks.cutout's crop: the product plus 4% each way
  let x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (alpha[y * width + x] === 0) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x + 1); y0 = Math.min(y0, y); y1 = Math.max(y1, y + 1);
    }
  }
  if (x1 === 0) return [0, 0, width, height];
  const padX = Math.floor(0.04 * (x1 - x0)) + 1, padY = Math.floor(0.04 * (y1 - y0)) + 1;
  return [Math.max(0, x0 - padX), Math.max(0, y0 - padY), Math.min(width, x1 + padX), Math.min(height, y1 + padY)];
}

export class NoProduct extends Error {}

// A photo (Blob) -> its product cut out as a cropped RGBA PNG, with label, score and the milliseconds it took
// (including the runtime's start and the model's download on the first call).
export async function cutout(photo) {
  const started = performance.now();
  const runtime = await ready();
  // The file's own values, as Pillow reads them (no colour-profile conversion).
  const bitmap = await createImageBitmap(photo, {colorSpaceConversion: "none"});
  try {
    const {info, width, height} = runtime;
    const probs = await probabilities(runtime, bitmap);
    const found = product(probs, info, width, height);
    if (!found) throw new NoProduct("no product found in the image");
    const factor = reduction(bitmap.width, bitmap.height, info.max_output_pixels);
    const outWidth = Math.ceil(bitmap.width / factor), outHeight = Math.ceil(bitmap.height / factor);
    const small = instanceMap(found.mask, probs, info.classes.length, width, height);
    const alpha = upsample(small, width, height, outWidth, outHeight, runtime.curve);
    const image = pixels(bitmap, outWidth, outHeight);
    for (let i = 0; i < alpha.length; i++) image.data[i * 4 + 3] = alpha[i];
    const [x0, y0, x1, y1] = cropBox(alpha, outWidth, outHeight);
    const canvas = new OffscreenCanvas(x1 - x0, y1 - y0);
    canvas.getContext("2d").putImageData(image, -x0, -y0);
    const blob = await canvas.convertToBlob({type: "image/png"});
    return {blob, label: found.label, score: found.score, cropBox: [x0, y0, x1, y1], ms: performance.now() - started};
  } finally {
    bitmap.close();
  }
}

window.prodsegDevice = {ready, cutout, timings, NoProduct};
