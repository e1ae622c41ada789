// WebAssembly binding of batchNormApply: normalize with given statistics, then scale and shift per channel.
import type { WasmKernel } from '../kernel.js';

export const batchNormApply: WasmKernel<'batchNormApply'> = {
  fn: 'batchNormApply',
  parallel: true,
  args: ({ inputs: [x, mean, variance, gamma, beta], outputs: [out] }, d) => [x, mean, variance, gamma, beta, out, d.N, d.C, d.S, d.eps],
  work: (d) => d.N * d.C * d.S,
};
