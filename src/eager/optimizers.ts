// Eager optimizer steps for Engine.sgdUpdate and Engine.adamUpdate: PyTorch's defaults filled in, new tensors returned.
import type { Engine } from '../engine.js';
import type { AdamUpdateOptions, SgdUpdateOptions } from '../engine-options.js';
import type { Tensor } from '../tensor.js';

export function sgdUpdate(
  engine: Engine,
  param: Tensor,
  grad: Tensor,
  velocity: Tensor,
  mask: Tensor,
  options: SgdUpdateOptions,
): { param: Tensor; velocity: Tensor } {
  const attrs = {
    lr: options.lr,
    momentum: options.momentum ?? 0,
    weightDecay: options.weightDecay ?? 0,
    dampening: options.dampening ?? 0,
    nesterov: options.nesterov ?? false,
    firstStep: options.firstStep ?? false,
  };
  const { newParam, newVelocity } = engine.run('sgdUpdate', { param, grad, velocity, mask }, attrs);
  return { param: newParam, velocity: newVelocity };
}

export function adamUpdate(
  engine: Engine,
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  mask: Tensor,
  options: AdamUpdateOptions,
): { param: Tensor; m: Tensor; v: Tensor } {
  const attrs = {
    lr: options.lr,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? 0,
    decoupled: options.decoupled ?? false,
    step: options.step,
  };
  const label = attrs.decoupled ? 'adamW' : 'adam';
  const { newParam, newM, newV } = engine.run('adamUpdate', { param, grad, m, v, mask }, attrs, label);
  return { param: newParam, m: newM, v: newV };
}
