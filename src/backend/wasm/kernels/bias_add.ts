// WebAssembly binding of biasAdd: out[n, c, s] = x[n, c, s] + bias[c].
import type { WasmKernel } from '../kernel.js';

export const biasAdd: WasmKernel<'biasAdd'> = {
  fn: 'biasAdd',
  parallel: true,
  args: ({ inputs: [x, bias], outputs: [out] }, d) => [x, bias, out, d.outer, d.C, d.inner],
  work: (d) => d.outer * d.C * d.inner,
};
