// Eager 2-D convolution and its two gradients, for Engine.conv2d, conv2dBackwardInput and conv2dBackwardFilter.
import type { Engine } from '../engine.js';
import type { ConvolutionBackwardFilterOptions, ConvolutionBackwardInputOptions, ConvolutionOptions } from '../engine-options.js';
import type { Tensor } from '../tensor.js';

export function conv2d(engine: Engine, x: Tensor, w: Tensor, options: ConvolutionOptions): Tensor {
  return engine.run('conv2d', { x, w }, { stride: options.stride ?? 1, padding: options.padding ?? 0 }).out;
}

export function conv2dBackwardInput(engine: Engine, dy: Tensor, w: Tensor, options: ConvolutionBackwardInputOptions): Tensor {
  const attrs = { stride: options.stride ?? 1, padding: options.padding ?? 0, inputSize: options.inputSize };
  return engine.run('conv2dBackwardInput', { dy, w }, attrs).dx;
}

export function conv2dBackwardFilter(engine: Engine, x: Tensor, dy: Tensor, options: ConvolutionBackwardFilterOptions): Tensor {
  const attrs = { stride: options.stride ?? 1, padding: options.padding ?? 0, kernelSize: options.kernelSize };
  return engine.run('conv2dBackwardFilter', { x, dy }, attrs).dw;
}
