// Fast conv2d: per image, out[n] = W [O, C*KH*KW] x im2col(x[n]) [C*KH*KW, OH*OW] on the shared GEMM (gemm_core),
// with the im2col columns gathered straight into packed panels from a zero-padded copy of the image.
import { MR, NR, gemmBlock, gemmThreadScratch, padImage, splitsColumns, useIm2colB } from './gemm_core';
import { rangeEnd, rangeStart } from './partition';

/** Bytes of one thread's zero-padded image copy (none without padding). Mirrored in src/backend/wasm/kernels/conv2d.ts. */
export function paddedImageBytes(C: i32, H: i32, W: i32, PH: i32, PW: i32): usize {
  if (PH == 0 && PW == 0) return 0;
  return ((<usize>(C * (H + 2 * PH) * (W + 2 * PW)) << 2) + 63) & ~(<usize>63);
}

/**
 * NCHW input x [N, C, H, W], OIHW filter w [O, C, KH, KW], zero padding (PH, PW), stride (SH, SW), no bias; out is
 * [N, O, OH, OW]. `scratch` holds `threads` regions of gemmThreadScratch(O, OH * OW, C * KH * KW) +
 * paddedImageBytes(C, H, W, PH, PW) bytes; thread `tid` computes its share of the images x output positions (or of
 * the output channels, when an image has few positions).
 */
export function conv2d(
  x: usize,
  w: usize,
  out: usize,
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
  const gemmBytes = gemmThreadScratch(O, positions, depth);
  const mine = scratch + <usize>tid * (gemmBytes + paddedImageBytes(C, H, W, PH, PW));
  const padded = mine + gemmBytes;
  const alongColumns = splitsColumns(N, O, positions, threads);
  const perImage = alongColumns ? (positions + NR - 1) / NR : (O + MR - 1) / MR;
  const end = rangeEnd(N * perImage, tid, threads);
  let unit = rangeStart(N * perImage, tid, threads);
  while (unit < end) {
    const n = unit / perImage;
    const first = unit - n * perImage;
    const last = min(perImage, end - n * perImage);
    let image = x + ((<usize>n * C * H * W) << 2);
    if (PH > 0 || PW > 0) {
      padImage(padded, image, C, H, W, PH, PW);
      image = padded;
    }
    useIm2colB(image, H + 2 * PH, W + 2 * PW, KH, KW, SH, SW, OW);
    const outImage = out + ((<usize>n * O * positions) << 2);
    if (alongColumns) {
      gemmBlock(w, false, depth, outImage, positions, 0, O, first * NR, min(positions, last * NR), depth, O, positions, mine);
    } else {
      gemmBlock(w, false, depth, outImage, positions, first * MR, min(O, last * MR), 0, positions, depth, O, positions, mine);
    }
    unit = n * perImage + last;
  }
}
