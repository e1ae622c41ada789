// Eager max and average pooling and their gradients, for Engine.maxPool2d, avgPool2d and their Backward methods.
import type { Engine } from '../engine.js';
import type { PoolingOptions } from '../engine-options.js';
import type { PoolMode } from '../ops/defs.js';
import type { Tensor } from '../tensor.js';

/** The pool2d attributes with the defaults filled in: stride = size, padding 0. */
function poolAttrs(mode: PoolMode, options: PoolingOptions) {
  return { mode, size: options.size, stride: options.stride ?? options.size, padding: options.padding ?? 0 };
}

export function pool2d(engine: Engine, mode: PoolMode, x: Tensor, options: PoolingOptions): Tensor {
  return engine.run('pool2d', { x }, poolAttrs(mode, options), `${mode}Pool2d`).out;
}

export function pool2dBackward(engine: Engine, mode: PoolMode, x: Tensor, dy: Tensor, options: PoolingOptions): Tensor {
  return engine.run('pool2dBackward', { x, dy }, poolAttrs(mode, options), `${mode}Pool2dBackward`).dx;
}
