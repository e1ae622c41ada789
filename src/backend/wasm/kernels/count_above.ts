// WebAssembly binding of countAbove: how many entries exceed the threshold (one thread: inputs are node statistics).
import type { WasmKernel } from '../kernel.js';

export const countAbove: WasmKernel<'countAbove'> = {
  fn: 'countAbove',
  parallel: false,
  args: ({ inputs: [x], outputs: [count] }, d) => [x, count, d.size, d.threshold],
  work: (d) => d.size,
};
