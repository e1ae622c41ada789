// WebAssembly binding of conv2dBackwardFilter: dy x im2col(x)^T summed over images on the shared GEMM, split by dw columns.
import type { WasmKernel } from '../kernel.js';
import { gemmThreadScratch, gemmWork } from './matmul.js';

/** gemm_core's micro-tile (MR rows, NR columns). */
const MR = 4;
const NR = 8;

/**
 * Bytes of one thread's gathered im2col rows, 64-byte aligned (im2colRowsBytes in
 * assembly/kernels/conv2d_backward_filter.ts): its share of the C*KH*KW rows in NR panels when dw is split by columns
 * (gemm_core's splitsColumns), all of them when split by output channels.
 */
function im2colRowsBytes(O: number, depth: number, positions: number, threads: number): number {
  const colPanels = Math.ceil(depth / NR);
  const rowPanels = Math.ceil(O / MR);
  const alongColumns = colPanels >= rowPanels || colPanels >= 4 * threads;
  const rows = alongColumns ? Math.min(depth, Math.ceil(colPanels / threads) * NR) : depth;
  return Math.ceil((rows * positions * 4) / 64) * 64;
}

const args: WasmKernel<'conv2dBackwardFilter'>['args'] = ({ inputs: [x, dy], outputs: [dw] }, d) => [
  x,
  dy,
  dw,
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

const work: WasmKernel<'conv2dBackwardFilter'>['work'] = (d) => gemmWork(d.N * d.O * d.OH * d.OW * d.C * d.KH * d.KW);

export const conv2dBackwardFilter: WasmKernel<'conv2dBackwardFilter'> = {
  fn: 'conv2dBackwardFilter',
  parallel: true,
  args: (ptrs, d) => [...args(ptrs, d), ptrs.scratch],
  work,
  // Per thread: the GEMM dy[n] [O, OH*OW] x im2col^T [OH*OW, C*KH*KW] and its gathered im2col rows.
  scratchBytes: (d, threads) => {
    const depth = d.C * d.KH * d.KW;
    const positions = d.OH * d.OW;
    return threads * (gemmThreadScratch(d.O, depth, positions) + im2colRowsBytes(d.O, depth, positions, threads));
  },
  naive: { fn: 'conv2dBackwardFilterNaive', parallel: false, args, work },
};
