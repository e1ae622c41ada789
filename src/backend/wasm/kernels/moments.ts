// WebAssembly binding of moments: per-channel mean and biased variance, channels split across threads.
import type { WasmKernel } from '../kernel.js';

export const moments: WasmKernel<'moments'> = {
  fn: 'moments',
  parallel: true,
  args: ({ inputs: [x], outputs: [mean, variance] }, d) => [x, mean, variance, d.N, d.C, d.S],
  work: (d) => 2 * d.N * d.C * d.S,
};
