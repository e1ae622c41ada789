// WebAssembly binding of scale: out = x * alpha + beta.
import type { WasmKernel } from '../kernel.js';

export const scale: WasmKernel<'scale'> = {
  fn: 'scale',
  parallel: true,
  args: ({ inputs: [x], outputs: [out] }, d) => [x, out, d.size, d.alpha, d.beta],
  work: (d) => d.size,
};
