// WebAssembly binding of the elementwise binary ops (add, sub, mul).
import type { WasmKernel } from '../kernel.js';

export const binary: WasmKernel<'binary'> = {
  fn: 'binary',
  parallel: true,
  args: ({ inputs: [a, b], outputs: [out] }, d) => [a, b, out, d.size, d.op],
  work: (d) => d.size,
};
