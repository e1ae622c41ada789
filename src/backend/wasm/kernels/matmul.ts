// WebAssembly binding of matmul: packed, blocked f32x4 kernel split by output rows or columns across threads.
import type { WasmKernel } from '../kernel.js';

/** Block sizes of assembly/kernels/gemm_core.ts (MR, NR, KC, MC, NC); the scratch layout depends on them. */
const GEMM = { MR: 4, NR: 8, KC: 256, MC: 128, NC: 512 } as const;

const roundUp = (n: number, step: number): number => Math.ceil(n / step) * step;

/** A dimension longer than `limit` cut into equal blocks, rounded up to `step` (gemm_core's `balanced`). */
function balanced(n: number, limit: number, step: number): number {
  const blocks = Math.ceil(n / limit);
  return roundUp(Math.ceil(n / blocks), step);
}

/**
 * Scratch bytes of one thread of the shared GEMM on a [M, K] x [K, N] product: packed B (kc x nc), packed A (mc x kc),
 * one clipped micro-tile and the im2col column table, rounded to 64 bytes. Mirrors gemmThreadScratch in
 * assembly/kernels/gemm_core.ts.
 */
export function gemmThreadScratch(M: number, N: number, K: number): number {
  const kc = balanced(K, GEMM.KC, 1);
  const nc = balanced(N, GEMM.NC, GEMM.NR);
  const mc = balanced(M, GEMM.MC, GEMM.MR);
  const floats = kc * nc + mc * kc + GEMM.MR * GEMM.NR + nc;
  return roundUp(floats * 4, 64);
}

/**
 * Work in the engine's units (elements of a streaming kernel, see PARALLEL_WORK_THRESHOLD): one unit per 128
 * multiply-adds, so a product runs on every thread from 4M multiply-adds (about 160^3) up. Measured on 2 cores, waking
 * the worker and waiting for it costs 40-60 us at the median, with a tail past 250 us; a 160^3 product (about 230 us
 * on one thread) gains about a quarter from a second thread, a 128^3 one nothing.
 */
export const gemmWork = (multiplyAdds: number): number => multiplyAdds / 128;

const matmulArgs: WasmKernel<'matmul'>['args'] = ({ inputs: [a, b], outputs: [out] }, d) => [
  a,
  b,
  out,
  d.batch,
  d.M,
  d.N,
  d.K,
  d.transposeA ? 1 : 0,
  d.transposeB ? 1 : 0,
  d.strideA,
  d.strideB,
];

export const matmul: WasmKernel<'matmul'> = {
  fn: 'matmul',
  parallel: true,
  args: (ptrs, d) => [...matmulArgs(ptrs, d), ptrs.scratch],
  work: (d) => gemmWork(d.batch * d.M * d.N * d.K),
  // The kernel sizes its blocks for the batch folded into M (the broadcast-B case), an upper bound otherwise.
  scratchBytes: (d, threads) => threads * gemmThreadScratch(d.batch * d.M, d.N, d.K),
  naive: {
    fn: 'matmulNaive',
    parallel: false,
    args: matmulArgs,
    work: (d) => gemmWork(d.batch * d.M * d.N * d.K),
  },
};
