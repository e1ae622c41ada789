// WebAssembly bindings of relu and its derivative mask.
import type { WasmKernel } from '../kernel.js';

export const relu: WasmKernel<'relu'> = {
  fn: 'relu',
  parallel: true,
  args: ({ inputs: [x], outputs: [out] }, d) => [x, out, d.size],
  work: (d) => d.size,
};

export const reluMask: WasmKernel<'reluMask'> = {
  fn: 'reluMask',
  parallel: true,
  args: ({ inputs: [x], outputs: [out] }, d) => [x, out, d.size],
  work: (d) => d.size,
};
