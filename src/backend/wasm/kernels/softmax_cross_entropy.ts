// WebAssembly binding of softmaxCrossEntropy: per-row losses and the gradient of their mean, rows split across threads.
import type { WasmKernel } from '../kernel.js';

export const softmaxCrossEntropy: WasmKernel<'softmaxCrossEntropy'> = {
  fn: 'softmaxCrossEntropy',
  parallel: true,
  args: ({ inputs: [logits, labels], outputs: [losses, grad] }, d) => [logits, labels, losses, grad, d.N, d.C],
  work: (d) => 4 * d.N * d.C,
};
