// Gradient of max and average pooling wrt the input over NCHW, dx rows split across threads; same contract as shaders/pool2d_backward.wgsl.
import { rangeEnd, rangeStart } from './partition';

const MAX = 0;

/**
 * dx[n, c, h, w] = sum, over the windows (oh, ow) that contain (h, w), in ascending (oh, ow) order, of: max mode,
 * dy[n, c, oh, ow] when (h, w) is the window's first maximum in row-major order over its in-bounds positions (a later
 * equal value does not replace it; NaN counts as a maximum and the first NaN wins), else nothing; average mode,
 * dy[n, c, oh, ow], the sum then divided by KH*KW.
 *
 * Each thread owns the dx rows [first, last) of the N*C*H rows, zeroes them, and walks every window that meets them,
 * adding only into its own rows: windows on a share boundary are evaluated by both threads, each keeping its half, so
 * every element sums the same terms in the same order on any thread count (and in the same order as the WGSL gather).
 * The 2x2, stride-2, unpadded window has its own path: four windows at a time in f32x4 lanes, written directly.
 */
export function pool2dBackward(
  x: usize,
  dy: usize,
  dx: usize,
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
  const rows = N * C * H;
  const first = rangeStart(rows, tid, threads);
  const last = rangeEnd(rows, tid, threads);
  if (first >= last) return;
  memory.fill(dx + ((<usize>first * W) << 2), 0, (<usize>(last - first) * W) << 2);
  const halving = KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0;
  const planeSize = (<usize>H * W) << 2;
  for (let plane = first / H; plane <= (last - 1) / H; plane++) {
    // This thread's rows of the plane, and the windows whose rows [oh*SH - PH, oh*SH - PH + KH) meet them.
    const ownFrom = max(first - plane * H, 0);
    const ownTo = min(last - plane * H, H);
    const ohFrom = (max(0, ownFrom + PH - KH + 1) + SH - 1) / SH;
    const ohTo = min(OH, (ownTo - 1 + PH) / SH + 1);
    const xPlane = x + <usize>plane * planeSize;
    const dxPlane = dx + <usize>plane * planeSize;
    const dyPlane = dy + (((<usize>plane * OH) * OW) << 2);
    if (halving) {
      if (mode == MAX) maxHalving(xPlane, dyPlane, dxPlane, H, W, OW, ohFrom, ohTo, ownFrom, ownTo);
      else avgHalving(dyPlane, dxPlane, W, OW, ohFrom, ohTo, ownFrom, ownTo);
    } else if (mode == MAX) {
      for (let oh = ohFrom; oh < ohTo; oh++) {
        for (let ow = 0; ow < OW; ow++) maxWindow(xPlane, dyPlane, dxPlane, H, W, KH, KW, SH, SW, PH, PW, OW, oh, ow, ownFrom, ownTo);
      }
    } else {
      avgWindows(dyPlane, dxPlane, H, W, KH, KW, SH, SW, PH, PW, OW, ohFrom, ohTo, ownFrom, ownTo);
    }
  }
  if (mode != MAX && !halving) divideRows(dx + ((<usize>first * W) << 2), (last - first) * W, <f32>(KH * KW));
}

/** True when v should replace the running maximum m: larger, or the first NaN. */
// @ts-ignore: decorator
@inline
function replacesMaximum(v: f32, m: f32): bool {
  return v > m || (v != v && m == m);
}

/**
 * Window (oh, ow) of a max pool: finds its first maximum over the in-bounds positions and, when that lies in this
 * thread's rows [ownFrom, ownTo), adds the window's gradient there.
 */
// @ts-ignore: decorator
@inline
function maxWindow(
  xPlane: usize,
  dyPlane: usize,
  dxPlane: usize,
  H: i32,
  W: i32,
  KH: i32,
  KW: i32,
  SH: i32,
  SW: i32,
  PH: i32,
  PW: i32,
  OW: i32,
  oh: i32,
  ow: i32,
  ownFrom: i32,
  ownTo: i32,
): void {
  const top = oh * SH - PH;
  const left = ow * SW - PW;
  const rowFrom = max(0, top);
  const rowTo = min(H, top + KH);
  const colFrom = max(0, left);
  const colTo = min(W, left + KW);
  let at = rowFrom * W + colFrom;
  let maximum = load<f32>(xPlane + ((<usize>at) << 2));
  for (let r = rowFrom; r < rowTo; r++) {
    const line = xPlane + ((<usize>(r * W)) << 2);
    for (let c = colFrom; c < colTo; c++) {
      // Selects rather than a branch: on random data the branch mispredicts about every other window.
      const v = load<f32>(line + ((<usize>c) << 2));
      const replaces = replacesMaximum(v, maximum);
      maximum = select(v, maximum, replaces);
      at = select(r * W + c, at, replaces);
    }
  }
  const row = at / W;
  if (row >= ownFrom && row < ownTo) {
    const target = dxPlane + ((<usize>at) << 2);
    store<f32>(target, load<f32>(target) + load<f32>(dyPlane + ((<usize>(oh * OW + ow)) << 2)));
  }
}

/** Average pool: adds each window's gradient over its in-bounds positions within this thread's rows. */
function avgWindows(
  dyPlane: usize,
  dxPlane: usize,
  H: i32,
  W: i32,
  KH: i32,
  KW: i32,
  SH: i32,
  SW: i32,
  PH: i32,
  PW: i32,
  OW: i32,
  ohFrom: i32,
  ohTo: i32,
  ownFrom: i32,
  ownTo: i32,
): void {
  for (let oh = ohFrom; oh < ohTo; oh++) {
    const top = oh * SH - PH;
    const rowFrom = max(ownFrom, top);
    const rowTo = min(ownTo, min(H, top + KH));
    for (let r = rowFrom; r < rowTo; r++) {
      const line = dxPlane + ((<usize>(r * W)) << 2);
      for (let ow = 0; ow < OW; ow++) {
        const g = load<f32>(dyPlane + ((<usize>(oh * OW + ow)) << 2));
        const left = ow * SW - PW;
        const colTo = min(W, left + KW);
        for (let c = max(0, left); c < colTo; c++) {
          const p = line + ((<usize>c) << 2);
          store<f32>(p, load<f32>(p) + g);
        }
      }
    }
  }
}

/** values[i] /= area for count values from `values`. */
function divideRows(values: usize, count: i32, area: f32): void {
  const areas = f32x4.splat(area);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const p = values + ((<usize>i) << 2);
    v128.store(p, f32x4.div(v128.load(p), areas));
  }
  for (; i < count; i++) {
    const p = values + ((<usize>i) << 2);
    store<f32>(p, load<f32>(p) / area);
  }
}

/** Lanes where `v` replaces the running maximum `m`: larger, or the first NaN. */
// @ts-ignore: decorator
@inline
function replacesMaximum4(v: v128, m: v128): v128 {
  return v128.or(f32x4.gt(v, m), v128.and(f32x4.ne(v, v), f32x4.eq(m, m)));
}

/**
 * 2x2, stride-2, unpadded max pool: window (oh, ow) covers rows 2oh, 2oh+1 and columns 2ow, 2ow+1 and no other window
 * does, so each covered dx element is written once: the gradient at the window's first maximum, zero elsewhere.
 */
function maxHalving(
  xPlane: usize,
  dyPlane: usize,
  dxPlane: usize,
  H: i32,
  W: i32,
  OW: i32,
  ohFrom: i32,
  ohTo: i32,
  ownFrom: i32,
  ownTo: i32,
): void {
  for (let oh = ohFrom; oh < ohTo; oh++) {
    const ownsTop = 2 * oh >= ownFrom;
    const ownsBottom = 2 * oh + 1 < ownTo;
    const xTop = xPlane + ((<usize>(2 * oh * W)) << 2);
    const xBottom = xTop + ((<usize>W) << 2);
    const dxTop = dxPlane + ((<usize>(2 * oh * W)) << 2);
    const dxBottom = dxTop + ((<usize>W) << 2);
    const gradients = dyPlane + ((<usize>(oh * OW)) << 2);
    let ow = 0;
    for (; ow + 4 <= OW; ow += 4) {
      const offset = (<usize>ow) << 3;
      const top0 = v128.load(xTop + offset);
      const top1 = v128.load(xTop + offset, 16);
      const bottom0 = v128.load(xBottom + offset);
      const bottom1 = v128.load(xBottom + offset, 16);
      // Lane l holds window ow + l: a top-left, b top-right, c bottom-left, d bottom-right (row-major order).
      const a = v128.shuffle<f32>(top0, top1, 0, 2, 4, 6);
      const b = v128.shuffle<f32>(top0, top1, 1, 3, 5, 7);
      const c = v128.shuffle<f32>(bottom0, bottom1, 0, 2, 4, 6);
      const d = v128.shuffle<f32>(bottom0, bottom1, 1, 3, 5, 7);
      const takeB = replacesMaximum4(b, a);
      let maximum = v128.bitselect(b, a, takeB);
      const takeC = replacesMaximum4(c, maximum);
      maximum = v128.bitselect(c, maximum, takeC);
      const takeD = replacesMaximum4(d, maximum);
      const g = v128.load(gradients + ((<usize>ow) << 2));
      const laterThanB = v128.or(takeC, takeD);
      const atA = v128.andnot(g, v128.or(takeB, laterThanB));
      const atB = v128.andnot(v128.and(g, takeB), laterThanB);
      const atC = v128.andnot(v128.and(g, takeC), takeD);
      const atD = v128.and(g, takeD);
      if (ownsTop) {
        v128.store(dxTop + offset, v128.shuffle<f32>(atA, atB, 0, 4, 1, 5));
        v128.store(dxTop + offset, v128.shuffle<f32>(atA, atB, 2, 6, 3, 7), 16);
      }
      if (ownsBottom) {
        v128.store(dxBottom + offset, v128.shuffle<f32>(atC, atD, 0, 4, 1, 5));
        v128.store(dxBottom + offset, v128.shuffle<f32>(atC, atD, 2, 6, 3, 7), 16);
      }
    }
    for (; ow < OW; ow++) maxWindow(xPlane, dyPlane, dxPlane, H, W, 2, 2, 2, 2, 0, 0, OW, oh, ow, ownFrom, ownTo);
  }
}

/** 2x2, stride-2, unpadded average pool: each covered dx element is written once, dy / 4 (exact: a power of two). */
function avgHalving(dyPlane: usize, dxPlane: usize, W: i32, OW: i32, ohFrom: i32, ohTo: i32, ownFrom: i32, ownTo: i32): void {
  const quarter = f32x4.splat(0.25);
  for (let oh = ohFrom; oh < ohTo; oh++) {
    const gradients = dyPlane + ((<usize>(oh * OW)) << 2);
    for (let r = max(2 * oh, ownFrom); r < min(2 * oh + 2, ownTo); r++) {
      const line = dxPlane + ((<usize>(r * W)) << 2);
      let ow = 0;
      for (; ow + 4 <= OW; ow += 4) {
        const q = f32x4.mul(v128.load(gradients + ((<usize>ow) << 2)), quarter);
        const offset = (<usize>ow) << 3;
        v128.store(line + offset, v128.shuffle<f32>(q, q, 0, 0, 1, 1));
        v128.store(line + offset, v128.shuffle<f32>(q, q, 2, 2, 3, 3), 16);
      }
      for (; ow < OW; ow++) {
        const q = load<f32>(gradients + ((<usize>ow) << 2)) * 0.25;
        const offset = (<usize>ow) << 3;
        store<f32>(line + offset, q);
        store<f32>(line + offset, q, 4);
      }
    }
  }
}
