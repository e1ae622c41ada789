// WebAssembly binding of adamUpdate: one torch.optim.Adam / AdamW step per element, then the pruning mask.
import type { WasmKernel } from '../kernel.js';

export const adamUpdate: WasmKernel<'adamUpdate'> = {
  fn: 'adamUpdate',
  parallel: true,
  args: ({ inputs: [param, grad, m, v, mask], outputs: [newParam, newM, newV] }, d) => [
    param,
    grad,
    m,
    v,
    mask,
    newParam,
    newM,
    newV,
    d.size,
    d.beta1,
    d.beta2,
    d.oneMinusBeta1,
    d.oneMinusBeta2,
    d.eps,
    d.gradDecay,
    d.paramScale,
    d.stepSize,
    d.biasCorrection2Sqrt,
  ],
  work: (d) => d.size,
};
