// Fast conv2d input gradient: per image, dcol [C*KH*KW, OH*OW] = W^T x dy[n] on the shared GEMM (gemm_core), then a
// col2im scatter-add into dx; threads own whole (image, channel) planes of dx, so any thread count gives the same bits.
import { gemmBlock, gemmThreadScratch, useMatrixB } from './gemm_core';
import { endInside, firstInside } from './conv2d_backward_filter';
import { rangeEnd, rangeStart } from './partition';

/** Rows of dcol computed per GEMM call: enough to amortize packing dy, few enough that dcol stays cache-sized. */
const DCOL_ROWS: i32 = 256;

/** Channels per GEMM call: about DCOL_ROWS rows of dcol, at least one channel. Mirrored in the binding. */
// @ts-ignore: decorator
@inline
function channelsPerBlock(C: i32, area: i32): i32 {
  return min(C, max(1, (DCOL_ROWS + area - 1) / area));
}

/** Bytes of one thread's dcol block (64-byte aligned). Mirrored in src/backend/wasm/kernels/conv2d_backward_input.ts. */
export function dcolBytes(C: i32, KH: i32, KW: i32, positions: i32): usize {
  const area = KH * KW;
  return ((<usize>(channelsPerBlock(C, area) * area) * <usize>positions) * 4 + 63) & ~(<usize>63);
}

/**
 * dx[c, h, w] = sum over (kh, kw, oh, ow) with h = oh*SH - PH + kh, w = ow*SW - PW + kw of dcol[(c*KH + kh)*KW + kw,
 * oh*OW + ow] for `channels` channels: the planes are cleared, then each dcol row is added in (kh, kw, oh, ow) order.
 */
function col2im(
  dx: usize,
  dcol: usize,
  channels: i32,
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
  const planeBytes = (<usize>H * W) << 2;
  memory.fill(dx, 0, <usize>channels * planeBytes);
  const positions = OH * OW;
  let row = dcol;
  for (let c = 0; c < channels; c++) {
    const plane = dx + <usize>c * planeBytes;
    for (let kh = 0; kh < KH; kh++) {
      const ohBegin = firstInside(PH, kh, SH);
      const ohEnd = endInside(H, PH, kh, SH, OH);
      for (let kw = 0; kw < KW; kw++) {
        const owBegin = firstInside(PW, kw, SW);
        const owEnd = endInside(W, PW, kw, SW, OW);
        const count = owEnd - owBegin;
        if (count > 0) {
          for (let oh = ohBegin; oh < ohEnd; oh++) {
            let src = row + ((<usize>(oh * OW + owBegin)) << 2);
            let dst = plane + ((<usize>(oh * SH - PH + kh) * W + <usize>(owBegin * SW - PW + kw)) << 2);
            if (SW == 1) {
              let i = 0;
              for (; i + 4 <= count; i += 4) {
                v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
                src += 16;
                dst += 16;
              }
              for (; i < count; i++) {
                store<f32>(dst, load<f32>(dst) + load<f32>(src));
                src += 4;
                dst += 4;
              }
            } else {
              const step = (<usize>SW) << 2;
              for (let i = 0; i < count; i++) {
                store<f32>(dst, load<f32>(dst) + load<f32>(src));
                src += 4;
                dst += step;
              }
            }
          }
        }
        row += (<usize>positions) << 2;
      }
    }
  }
}

/**
 * Input gradient of conv2d: dy [N, O, OH, OW] and w [O, C, KH, KW] to dx [N, C, H, W] (zero padding (PH, PW), stride
 * (SH, SW)); positions no window reaches get 0. `scratch` holds `threads` regions of gemmThreadScratch(C * KH * KW,
 * OH * OW, O) + dcolBytes(C, KH, KW, OH * OW) bytes; thread `tid` computes its share of the (image, channel) planes.
 */
export function conv2dBackwardInput(
  dy: usize,
  w: usize,
  dx: usize,
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
  const area = KH * KW;
  const depth = C * area;
  const gemmBytes = gemmThreadScratch(depth, positions, O);
  const mine = scratch + <usize>tid * (gemmBytes + dcolBytes(C, KH, KW, positions));
  const dcol = mine + gemmBytes;
  const block = channelsPerBlock(C, area);
  const planeBytes = (<usize>H * W) << 2;
  const end = rangeEnd(N * C, tid, threads);
  let unit = rangeStart(N * C, tid, threads);
  while (unit < end) {
    const n = unit / C;
    const first = unit - n * C;
    const last = min(C, end - n * C);
    const dxImage = dx + <usize>n * C * planeBytes;
    if (positions == 0 || O == 0) {
      memory.fill(dxImage + <usize>first * planeBytes, 0, <usize>(last - first) * planeBytes);
    } else {
      // B = dy[n] as [O, OH*OW]; A(i, o) = w[o, first*area + i], W^T read from the OIHW filter.
      useMatrixB(dy + ((<usize>n * O * positions) << 2), false, positions);
      for (let c = first; c < last; c += block) {
        const channels = min(block, last - c);
        gemmBlock(w + ((<usize>c * area) << 2), true, depth, dcol, positions, 0, channels * area, 0, positions, O, depth, positions, mine);
        col2im(dxImage + <usize>c * planeBytes, dcol, channels, H, W, KH, KW, SH, SW, PH, PW, OH, OW);
      }
    }
    unit = n * C + last;
  }
}
