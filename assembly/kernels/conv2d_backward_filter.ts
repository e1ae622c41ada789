// Fast conv2d filter gradient: dw [O, C*KH*KW] = sum over images of dy[n] [O, OH*OW] x im2col(x[n])^T on the shared
// GEMM (gemm_core), each thread owning a fixed slice of dw and summing the images in order, so any thread count gives
// the same bits.
import { MR, NR, gemmBlock, gemmThreadScratch, splitsColumns, useMatrixB } from './gemm_core';
import { rangeEnd, rangeStart } from './partition';

/** First output index whose tap (index * stride - pad + k) lands at or after 0. */
// @ts-ignore: decorator
@inline
export function firstInside(pad: i32, k: i32, stride: i32): i32 {
  const before = pad - k;
  return before <= 0 ? 0 : (before + stride - 1) / stride;
}

/** One past the last output index (below `outputs`) whose tap (index * stride - pad + k) lands before `size`. */
// @ts-ignore: decorator
@inline
export function endInside(size: i32, pad: i32, k: i32, stride: i32, outputs: i32): i32 {
  const last = size + pad - k - 1;
  return last < 0 ? 0 : min(outputs, last / stride + 1);
}

/**
 * True when the filter gradient is shared among threads by columns (c, kh, kw) of dw, each thread gathering only its
 * rows of im2col; false when by output channels, each thread gathering the whole im2col. Mirrored in
 * src/backend/wasm/kernels/conv2d_backward_filter.ts.
 */
// @ts-ignore: decorator
@inline
function splitsFilterColumns(O: i32, depth: i32, threads: i32): bool {
  return splitsColumns(1, O, depth, threads);
}

/** Rows of im2col one thread gathers: its share of the depth C*KH*KW in whole NR panels, or all of it. */
function gatheredRows(O: i32, depth: i32, threads: i32): i32 {
  if (!splitsFilterColumns(O, depth, threads)) return depth;
  const panels = (depth + NR - 1) / NR;
  return min(depth, ((panels + threads - 1) / threads) * NR);
}

/** Bytes of one thread's im2col rows (64-byte aligned). Mirrored in src/backend/wasm/kernels/conv2d_backward_filter.ts. */
export function im2colRowsBytes(O: i32, depth: i32, positions: i32, threads: i32): usize {
  return ((<usize>gatheredRows(O, depth, threads) * <usize>positions) * 4 + 63) & ~(<usize>63);
}

/**
 * Writes rows [j0, j1) of the im2col matrix of one image x [C, H, W] into dst ([j1 - j0, OH * OW], row-major): row
 * j = (c * KH + kh) * KW + kw holds x[c, oh * SH - PH + kh, ow * SW - PW + kw] over the output positions, 0 outside.
 */
export function im2colRows(
  dst: usize,
  x: usize,
  j0: i32,
  j1: i32,
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
): void {
  const area = KH * KW;
  const rowBytes = (<usize>OW) << 2;
  let out = dst;
  for (let j = j0; j < j1; j++) {
    const c = j / area;
    const kh = (j - c * area) / KW;
    const kw = j - c * area - kh * KW;
    const ohBegin = firstInside(PH, kh, SH);
    const ohEnd = max(ohBegin, endInside(H, PH, kh, SH, OH));
    const owBegin = firstInside(PW, kw, SW);
    const owEnd = max(owBegin, endInside(W, PW, kw, SW, OW));
    const plane = x + ((<usize>c * H * W) << 2);
    memory.fill(out, 0, <usize>ohBegin * rowBytes);
    out += <usize>ohBegin * rowBytes;
    for (let oh = ohBegin; oh < ohEnd; oh++) {
      memory.fill(out, 0, (<usize>owBegin) << 2);
      const src = plane + ((<usize>(oh * SH - PH + kh) * W + <usize>(owBegin * SW - PW + kw)) << 2);
      if (SW == 1) {
        memory.copy(out + ((<usize>owBegin) << 2), src, (<usize>(owEnd - owBegin)) << 2);
      } else {
        const step = (<usize>SW) << 2;
        let from = src;
        for (let ow = owBegin; ow < owEnd; ow++) {
          store<f32>(out + ((<usize>ow) << 2), load<f32>(from));
          from += step;
        }
      }
      memory.fill(out + ((<usize>owEnd) << 2), 0, (<usize>(OW - owEnd)) << 2);
      out += rowBytes;
    }
    memory.fill(out, 0, <usize>(OH - ohEnd) * rowBytes);
    out += <usize>(OH - ohEnd) * rowBytes;
  }
}

/**
 * Filter gradient of conv2d: x [N, C, H, W] and dy [N, O, OH, OW] to dw [O, C, KH, KW] (zero padding (PH, PW), stride
 * (SH, SW)). `scratch` holds `threads` regions of gemmThreadScratch(O, C * KH * KW, OH * OW) + im2colRowsBytes(O,
 * C * KH * KW, OH * OW, threads) bytes. Thread `tid` owns whole NR-column panels of dw (or MR-row groups of output
 * channels when dw has few columns) and adds the images' products into them in image order.
 */
export function conv2dBackwardFilter(
  x: usize,
  dy: usize,
  dw: usize,
  N: i32,
  C: i32,
  H: i32,
  W: i32,
  O: i32,
  KH: i32,
  KW: i32,
  SH: i32,
  SW: i32,
  PH: i32,
  PW: i32,
  OH: i32,
  OW: i32,
  scratch: usize,
  tid: i32,
  threads: i32,
): void {
  const positions = OH * OW;
  const depth = C * KH * KW;
  const gemmBytes = gemmThreadScratch(O, depth, positions);
  const mine = scratch + <usize>tid * (gemmBytes + im2colRowsBytes(O, depth, positions, threads));
  const columns = mine + gemmBytes;
  const alongColumns = splitsFilterColumns(O, depth, threads);
  let j0 = 0;
  let j1 = depth;
  let m0 = 0;
  let m1 = O;
  if (alongColumns) {
    j0 = rangeStart(depth, tid, threads, NR);
    j1 = rangeEnd(depth, tid, threads, NR);
  } else {
    m0 = rangeStart(O, tid, threads, MR);
    m1 = rangeEnd(O, tid, threads, MR);
  }
  if (j0 >= j1 || m0 >= m1) return;
  if (N == 0 || positions == 0) {
    for (let o = m0; o < m1; o++) memory.fill(dw + ((<usize>o * depth + j0) << 2), 0, (<usize>(j1 - j0)) << 2);
    return;
  }
  const imageBytes = (<usize>C * H * W) << 2;
  const gradientBytes = (<usize>O * positions) << 2;
  for (let n = 0; n < N; n++) {
    im2colRows(columns, x + <usize>n * imageBytes, j0, j1, H, W, KH, KW, SH, SW, PH, PW, OH, OW);
    // B(p, j) = im2col[j0 + j, p]: the gathered rows read transposed.
    useMatrixB(columns, true, positions);
    const dyImage = dy + <usize>n * gradientBytes;
    gemmBlock(dyImage, false, positions, dw + ((<usize>j0) << 2), depth, m0, m1, 0, j1 - j0, positions, O, depth, mine, n > 0);
  }
}
