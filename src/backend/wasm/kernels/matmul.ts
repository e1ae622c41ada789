// WebAssembly binding of matmul: packed, blocked f32x4 kernel split by output rows across threads.
import type { WasmKernel } from '../kernel.js';

export const matmul: WasmKernel<'matmul'> = {
  fn: 'matmul',
  parallel: true,
  args: ({ inputs: [a, b], outputs: [out], scratch }, d) => [
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
    scratch,
  ],
  work: (d) => d.batch * d.M * d.N * d.K,
  scratchBytes: () => 0,
};
