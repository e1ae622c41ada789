// WebAssembly binding of meanSquaredError: per-row losses and the gradient of their mean, rows split across threads.
import type { WasmKernel } from '../kernel.js';

export const meanSquaredError: WasmKernel<'meanSquaredError'> = {
  fn: 'meanSquaredError',
  parallel: true,
  args: ({ inputs: [pred, target], outputs: [losses, grad] }, d) => [pred, target, losses, grad, d.N, d.F, d.gradScale],
  work: (d) => 3 * d.N * d.F,
};
