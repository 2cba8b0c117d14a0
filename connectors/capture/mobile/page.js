// On-device preprocessing of a phone photo of a page: find the page's four corners,
// undo the perspective (which also deskews), stretch the contrast, and hand back an
// upright page image. Pure functions on ImageData-shaped values ({width, height, data}),
// so the page tests call them directly in Chromium.
//
//   const quad = findPage(imageData);            // [[x,y] x4: TL, TR, BR, BL] or null
//   const page = rectify(imageData, quad, 2000); // ImageData, long side <= 2000 px

const WORK_SIDE = 480; // corner search on a downscaled copy: fast, and blur helps it

function luma(data, i) {
  return (data[i] * 299 + data[i + 1] * 587 + data[i + 2] * 114) / 1000;
}

// Grey copy of `img` whose long side is at most `side` px (box average).
export function shrinkGrey(img, side = WORK_SIDE) {
  const scale = Math.min(1, side / Math.max(img.width, img.height));
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const out = new Float32Array(w * h);
  const step = 1 / scale;
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor(y * step), y1 = Math.max(y0 + 1, Math.floor((y + 1) * step));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x * step), x1 = Math.max(x0 + 1, Math.floor((x + 1) * step));
      let sum = 0, n = 0;
      for (let yy = y0; yy < y1 && yy < img.height; yy += 2) {
        for (let xx = x0; xx < x1 && xx < img.width; xx += 2) {
          sum += luma(img.data, (yy * img.width + xx) * 4);
          n++;
        }
      }
      out[y * w + x] = n ? sum / n : 0;
    }
  }
  return { width: w, height: h, grey: out, scale };
}

// Otsu's threshold of a grey array (0..255).
export function otsu(grey) {
  const hist = new Float64Array(256);
  for (const v of grey) hist[Math.min(255, Math.max(0, v | 0))]++;
  const total = grey.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i];
  let sumB = 0, wB = 0, best = 0, threshold = 127;
  for (let t = 0; t < 256; t++) {
    wB += hist[t];
    if (!wB || wB === total) continue;
    sumB += t * hist[t];
    const mB = sumB / wB, mF = (sumAll - sumB) / (total - wB);
    const between = wB * (total - wB) * (mB - mF) ** 2;
    if (between > best) { best = between; threshold = t; }
  }
  return threshold;
}

// The largest 4-connected bright region: the sheet of paper on a darker background.
function largestBright(small, threshold) {
  const { width: w, height: h, grey } = small;
  const label = new Int32Array(w * h).fill(-1);
  const stack = new Int32Array(w * h);
  let best = null;
  for (let start = 0; start < w * h; start++) {
    if (label[start] !== -1 || grey[start] <= threshold) continue;
    let top = 0, count = 0;
    stack[top++] = start;
    label[start] = start;
    const pixels = [];
    while (top) {
      const p = stack[--top];
      pixels.push(p);
      count++;
      const x = p % w, y = (p / w) | 0;
      const next = [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1];
      for (const q of next) {
        if (q >= 0 && label[q] === -1 && grey[q] > threshold) { label[q] = start; stack[top++] = q; }
      }
    }
    if (!best || count > best.length) best = pixels;
  }
  return best;
}

// Corners of the page in `img` coordinates, clockwise from top-left, or null when no
// page-sized bright region stands out (then the caller keeps the frame as it is).
export function findPage(img) {
  const small = shrinkGrey(img);
  const region = largestBright(small, otsu(small.grey));
  if (!region || region.length < 0.12 * small.width * small.height) return null;
  // Extremes along the diagonals: robust for the tilts and perspectives of a hand-held
  // shot (up to ~30 degrees); beyond that the user is asked to hold the phone straighter.
  let tl = null, tr = null, br = null, bl = null;
  for (const p of region) {
    const x = p % small.width, y = (p / small.width) | 0;
    if (!tl || x + y < tl[0] + tl[1]) tl = [x, y];
    if (!br || x + y > br[0] + br[1]) br = [x, y];
    if (!tr || x - y > tr[0] - tr[1]) tr = [x, y];
    if (!bl || x - y < bl[0] - bl[1]) bl = [x, y];
  }
  const k = 1 / small.scale;
  return [tl, tr, br, bl].map(([x, y]) => [(x + 0.5) * k, (y + 0.5) * k]);
}

// Homography H (3x3, row-major, h33 = 1) with H * [u, v, 1] ~ [x, y, 1] for the four
// point pairs from -> to (Gaussian elimination on the 8x8 system).
export function homography(from, to) {
  const a = [], b = [];
  for (let i = 0; i < 4; i++) {
    const [u, v] = from[i], [x, y] = to[i];
    a.push([u, v, 1, 0, 0, 0, -u * x, -v * x]); b.push(x);
    a.push([0, 0, 0, u, v, 1, -u * y, -v * y]); b.push(y);
  }
  for (let c = 0; c < 8; c++) {
    let pivot = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    [b[c], b[pivot]] = [b[pivot], b[c]];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k < 8; k++) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  return [...b.map((v, i) => v / a[i][i]), 1];
}

function dist([x1, y1], [x2, y2]) {
  return Math.hypot(x2 - x1, y2 - y1);
}

// The page inside `quad`, upright and rectangular, long side at most `maxSide` px and
// never upsampled past the photo's own resolution; contrast stretched for OCR.
export function rectify(img, quad, maxSide = 2000) {
  const [tl, tr, br, bl] = quad;
  let w = Math.max(dist(tl, tr), dist(bl, br));
  let h = Math.max(dist(tl, bl), dist(tr, br));
  const scale = Math.min(1, maxSide / Math.max(w, h));
  w = Math.max(1, Math.round(w * scale));
  h = Math.max(1, Math.round(h * scale));
  const H = homography([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], quad);
  const out = new Uint8ClampedArray(w * h * 4);
  const src = img.data, sw = img.width, sh = img.height;
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const z = H[6] * u + H[7] * v + 1;
      const x = (H[0] * u + H[1] * v + H[2]) / z;
      const y = (H[3] * u + H[4] * v + H[5]) / z;
      const x0 = Math.min(sw - 2, Math.max(0, Math.floor(x)));
      const y0 = Math.min(sh - 2, Math.max(0, Math.floor(y)));
      const fx = Math.min(1, Math.max(0, x - x0)), fy = Math.min(1, Math.max(0, y - y0));
      const i00 = (y0 * sw + x0) * 4, i10 = i00 + 4, i01 = i00 + sw * 4, i11 = i01 + 4;
      const o = (v * w + u) * 4;
      for (let c = 0; c < 3; c++) {
        const top = src[i00 + c] * (1 - fx) + src[i10 + c] * fx;
        const bottom = src[i01 + c] * (1 - fx) + src[i11 + c] * fx;
        out[o + c] = top * (1 - fy) + bottom * fy;
      }
      out[o + 3] = 255;
    }
  }
  const page = { width: w, height: h, data: out };
  stretchContrast(page);
  return page;
}

// Map the 1st..99th percentile of brightness to 0..255: uneven phone lighting makes
// paper grey; OCR reads black on white best. (Adaptive thresholding hurt every engine
// in our measurements, so this stays a global, gentle stretch.)
export function stretchContrast(img) {
  const hist = new Uint32Array(256);
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) hist[luma(d, i) | 0]++;
  const n = d.length / 4;
  let lo = 0, hi = 255, acc = 0;
  for (let t = 0; t < 256; t++) { acc += hist[t]; if (acc >= n * 0.01) { lo = t; break; } }
  acc = 0;
  for (let t = 255; t >= 0; t--) { acc += hist[t]; if (acc >= n * 0.01) { hi = t; break; } }
  if (hi - lo < 32) return img; // a flat image: nothing to stretch
  const f = 255 / (hi - lo);
  for (let i = 0; i < d.length; i += 4) {
    for (let c = 0; c < 3; c++) d[i + c] = (d[i + c] - lo) * f;
  }
  return img;
}
