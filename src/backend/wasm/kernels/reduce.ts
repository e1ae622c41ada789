// WebAssembly binding of reduce: [outer, R, inner] to [outer, inner] by sum, mean or max.
import type { WasmKernel } from '../kernel.js';

export const reduce: WasmKernel<'reduce'> = {
  fn: 'reduce',
  parallel: true,
  args: ({ inputs: [x], outputs: [out] }, d) => [x, out, d.outer, d.R, d.inner, d.op],
  work: (d) => d.outer * d.R * d.inner,
};
