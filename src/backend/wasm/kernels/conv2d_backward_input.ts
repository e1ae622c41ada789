// WebAssembly binding of conv2dBackwardInput: W^T x dy on the shared GEMM plus a col2im scatter, split by (image, channel).
import type { WasmKernel } from '../kernel.js';
import { gemmThreadScratch, gemmWork } from './matmul.js';

/** Rows of dcol per GEMM call (DCOL_ROWS in assembly/kernels/conv2d_backward_input.ts). */
const DCOL_ROWS = 256;

/** Bytes of one thread's dcol block, 64-byte aligned (dcolBytes in assembly). */
function dcolBytes(d: { C: number; KH: number; KW: number; OH: number; OW: number }): number {
  const area = d.KH * d.KW;
  const channels = Math.min(d.C, Math.max(1, Math.ceil(DCOL_ROWS / area)));
  return Math.ceil((channels * area * d.OH * d.OW * 4) / 64) * 64;
}

const args: WasmKernel<'conv2dBackwardInput'>['args'] = ({ inputs: [dy, w], outputs: [dx] }, d) => [
  dy,
  w,
  dx,
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

const work: WasmKernel<'conv2dBackwardInput'>['work'] = (d) => gemmWork(d.N * d.O * d.OH * d.OW * d.C * d.KH * d.KW);

export const conv2dBackwardInput: WasmKernel<'conv2dBackwardInput'> = {
  fn: 'conv2dBackwardInput',
  parallel: true,
  args: (ptrs, d) => [...args(ptrs, d), ptrs.scratch],
  work,
  // Per thread: the GEMM W^T [C*KH*KW, O] x dy[n] [O, OH*OW] and one block of its dcol rows.
  scratchBytes: (d, threads) => threads * (gemmThreadScratch(d.C * d.KH * d.KW, d.OH * d.OW, d.O) + dcolBytes(d)),
  naive: { fn: 'conv2dBackwardInputNaive', parallel: false, args, work },
};
