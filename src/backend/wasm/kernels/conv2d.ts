// WebAssembly binding of conv2d: im2col panels packed for the matmul micro-kernel, split across threads.
import type { WasmKernel } from '../kernel.js';
import { gemmThreadScratch, gemmWork } from './matmul.js';

/** Bytes of one thread's zero-padded image copy, 64-byte aligned; none without padding (paddedImageBytes in assembly). */
function paddedImageBytes(d: { C: number; H: number; W: number; PH: number; PW: number }): number {
  if (d.PH === 0 && d.PW === 0) return 0;
  return Math.ceil((d.C * (d.H + 2 * d.PH) * (d.W + 2 * d.PW) * 4) / 64) * 64;
}

const conv2dArgs: WasmKernel<'conv2d'>['args'] = ({ inputs: [x, w], outputs: [out] }, d) => [
  x,
  w,
  out,
  d.N,
  d.C,
  d.H,
  d.W,
  d.O,
  d.KH,
  d.KW,
  d.SH,
  d.SW,
  d.PH,
  d.PW,
  d.OH,
  d.OW,
];

const work: WasmKernel<'conv2d'>['work'] = (d) => gemmWork(d.N * d.O * d.OH * d.OW * d.C * d.KH * d.KW);

export const conv2d: WasmKernel<'conv2d'> = {
  fn: 'conv2d',
  parallel: true,
  args: (ptrs, d) => [...conv2dArgs(ptrs, d), ptrs.scratch],
  work,
  // Per thread: the GEMM of one image, W [O, C*KH*KW] x im2col [C*KH*KW, OH*OW], and the padded copy of that image.
  scratchBytes: (d, threads) => threads * (gemmThreadScratch(d.O, d.OH * d.OW, d.C * d.KH * d.KW) + paddedImageBytes(d)),
  naive: { fn: 'conv2dNaive', parallel: false, args: conv2dArgs, work },
};
