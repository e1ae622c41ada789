// WebAssembly binding of sgdUpdate: one torch.optim.SGD step per element, then the pruning mask.
import type { WasmKernel } from '../kernel.js';

export const sgdUpdate: WasmKernel<'sgdUpdate'> = {
  fn: 'sgdUpdate',
  parallel: true,
  args: ({ inputs: [param, grad, velocity, mask], outputs: [newParam, newVelocity] }, d) => [
    param,
    grad,
    velocity,
    mask,
    newParam,
    newVelocity,
    d.size,
    d.lr,
    d.momentum,
    d.oneMinusDampening,
    d.weightDecay,
    d.nesterov ? 1 : 0,
    d.firstStep ? 1 : 0,
  ],
  work: (d) => d.size,
};
