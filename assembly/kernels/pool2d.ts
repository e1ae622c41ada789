// Max and average pooling over NCHW, output rows split across threads; same contract as shaders/pool2d.wgsl.
import { rangeEnd, rangeStart } from './partition';

const MAX = 0;

/**
 * out[n, c, oh, ow] = max or mean of x over the KHxKW window at (oh*SH - PH, ow*SW - PW). Max ignores padded
 * positions (they count as -inf); average sums the positions inside x and divides by KH*KW (count_include_pad).
 * Windows that lie inside the row horizontally are computed four outputs at a time in f32x4 lanes, each lane in the
 * scalar path's order; the common 2x2, stride 2, unpadded window has its own path that reads two input rows at a time.
 */
export function pool2d(
  x: usize,
  out: usize,
  N: i32,
  C: i32,
  H: i32,
  W: i32,
  KH: i32,
  KW: i32,
  SH: i32,
  SW: i32,
  PH: i32,
  PW: i32,
  OH: i32,
  OW: i32,
  mode: i32,
  tid: i32,
  threads: i32,
): void {
  const rows = N * C * OH;
  const first = rangeStart(rows, tid, threads);
  const last = rangeEnd(rows, tid, threads);
  const halving = KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0;
  const area = <f32>(KH * KW);
  for (let row = first; row < last; row++) {
    const plane = row / OH;
    const oh = row - plane * OH;
    const input = x + (((<usize>plane * H) * W) << 2);
    const output = out + ((<usize>row * OW) << 2);
    if (halving) {
      const top = input + ((<usize>(2 * oh) * W) << 2);
      if (mode == MAX) maxPoolRow2x2(top, top + ((<usize>W) << 2), output, OW);
      else avgPoolRow2x2(top, top + ((<usize>W) << 2), output, OW);
      continue;
    }
    const top = oh * SH - PH;
    const rowsFrom = input + ((<usize>max(0, top) * W) << 2);
    const khCount = min(KH, H - top) - max(0, -top);
    // Windows of ow in [inFrom, inTo) lie inside the row horizontally: four at a time in f32x4 lanes.
    const inFrom = min(OW, (PW + SW - 1) / SW);
    const inTo = max(inFrom, min(OW, W + PW - KW >= 0 ? (W + PW - KW) / SW + 1 : 0));
    let ow = 0;
    for (; ow < inFrom; ow++) poolOne(rowsFrom, output, ow, khCount, W, KW, SW, PW, mode, area);
    if (inTo - inFrom >= 4) {
      // The last block may overlap the one before; overlapped outputs are recomputed with the same operations.
      for (; ow < inTo; ow += 4) {
        const at = min(ow, inTo - 4);
        const corner = rowsFrom + ((<usize>(at * SW - PW)) << 2);
        const result =
          mode == MAX ? maxOfFour(corner, khCount, W, KW, SW) : f32x4.div(sumOfFour(corner, khCount, W, KW, SW), f32x4.splat(area));
        v128.store(output + ((<usize>at) << 2), result);
      }
      ow = inTo;
    }
    for (; ow < OW; ow++) poolOne(rowsFrom, output, ow, khCount, W, KW, SW, PW, mode, area);
  }
}

/** One output: max or sum / area over the khCount rows from `rows` and the columns of window ow that lie inside x. */
// @ts-ignore: decorator
@inline
function poolOne(rows: usize, output: usize, ow: i32, khCount: i32, W: i32, KW: i32, SW: i32, PW: i32, mode: i32, area: f32): void {
  const left = ow * SW - PW;
  const from = max(0, left);
  const to = min(W, left + KW);
  if (mode == MAX) {
    let maximum = f32.NEGATIVE_INFINITY;
    for (let kh = 0; kh < khCount; kh++) {
      const line = rows + ((<usize>(kh * W)) << 2);
      for (let iw = from; iw < to; iw++) maximum = max(maximum, load<f32>(line + ((<usize>iw) << 2)));
    }
    store<f32>(output + ((<usize>ow) << 2), maximum);
  } else {
    let sum: f32 = 0;
    for (let kh = 0; kh < khCount; kh++) {
      const line = rows + ((<usize>(kh * W)) << 2);
      for (let iw = from; iw < to; iw++) sum += load<f32>(line + ((<usize>iw) << 2));
    }
    store<f32>(output + ((<usize>ow) << 2), sum / area);
  }
}

/** Lane l = x at corner + l * SW columns + kw: the kw-th column of four neighbouring windows. */
// @ts-ignore: decorator
@inline
function windowColumn(line: usize, kw: i32, SW: i32): v128 {
  const p = line + ((<usize>kw) << 2);
  if (SW == 1) return v128.load(p);
  if (SW == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
  const step = (<usize>SW) << 2;
  let lanes = f32x4.splat(load<f32>(p));
  lanes = f32x4.replace_lane(lanes, 1, load<f32>(p + step));
  lanes = f32x4.replace_lane(lanes, 2, load<f32>(p + 2 * step));
  return f32x4.replace_lane(lanes, 3, load<f32>(p + 3 * step));
}

/**
 * Max of four neighbouring windows lying inside the row; `corner` is the first window's top-left input. Even and odd
 * columns go to separate maxima to shorten the dependency chain (max is order-independent).
 */
function maxOfFour(corner: usize, khCount: i32, W: i32, KW: i32, SW: i32): v128 {
  let even = f32x4.splat(f32.NEGATIVE_INFINITY);
  let odd = even;
  for (let kh = 0; kh < khCount; kh++) {
    const line = corner + ((<usize>(kh * W)) << 2);
    let kw = 0;
    for (; kw + 2 <= KW; kw += 2) {
      even = f32x4.max(even, windowColumn(line, kw, SW));
      odd = f32x4.max(odd, windowColumn(line, kw + 1, SW));
    }
    if (kw < KW) even = f32x4.max(even, windowColumn(line, kw, SW));
  }
  return f32x4.max(even, odd);
}

/** Sums of four neighbouring windows, each lane adding in the scalar path's order (rows, then columns). */
function sumOfFour(corner: usize, khCount: i32, W: i32, KW: i32, SW: i32): v128 {
  let sum = f32x4.splat(0);
  for (let kh = 0; kh < khCount; kh++) {
    const line = corner + ((<usize>(kh * W)) << 2);
    for (let kw = 0; kw < KW; kw++) sum = f32x4.add(sum, windowColumn(line, kw, SW));
  }
  return sum;
}

/** One output row of a 2x2, stride-2 max pool: out[j] = max of top[2j], top[2j+1], bottom[2j], bottom[2j+1]. */
function maxPoolRow2x2(top: usize, bottom: usize, out: usize, OW: i32): void {
  let j = 0;
  for (; j + 4 <= OW; j += 4) {
    const offset = (<usize>j) << 3;
    const low = f32x4.max(v128.load(top + offset), v128.load(bottom + offset));
    const high = f32x4.max(v128.load(top + offset, 16), v128.load(bottom + offset, 16));
    const even = v128.shuffle<f32>(low, high, 0, 2, 4, 6);
    const odd = v128.shuffle<f32>(low, high, 1, 3, 5, 7);
    v128.store(out + ((<usize>j) << 2), f32x4.max(even, odd));
  }
  for (; j < OW; j++) {
    const offset = (<usize>j) << 3;
    const left = max(load<f32>(top + offset), load<f32>(bottom + offset));
    const right = max(load<f32>(top + offset, 4), load<f32>(bottom + offset, 4));
    store<f32>(out + ((<usize>j) << 2), max(left, right));
  }
}

/** One output row of a 2x2, stride-2 average pool, summed as (top-left + bottom-left) + (top-right + bottom-right). */
function avgPoolRow2x2(top: usize, bottom: usize, out: usize, OW: i32): void {
  const quarter = f32x4.splat(0.25);
  let j = 0;
  for (; j + 4 <= OW; j += 4) {
    const offset = (<usize>j) << 3;
    const low = f32x4.add(v128.load(top + offset), v128.load(bottom + offset));
    const high = f32x4.add(v128.load(top + offset, 16), v128.load(bottom + offset, 16));
    const even = v128.shuffle<f32>(low, high, 0, 2, 4, 6);
    const odd = v128.shuffle<f32>(low, high, 1, 3, 5, 7);
    v128.store(out + ((<usize>j) << 2), f32x4.mul(f32x4.add(even, odd), quarter));
  }
  for (; j < OW; j++) {
    const offset = (<usize>j) << 3;
    const left = load<f32>(top + offset) + load<f32>(bottom + offset);
    const right = load<f32>(top + offset, 4) + load<f32>(bottom + offset, 4);
    store<f32>(out + ((<usize>j) << 2), (left + right) * 0.25);
  }
}
