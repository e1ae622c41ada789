// The options and results of createEngine and of the engine's eager ops.
import type { BackendKind } from './backend/backend.js';
import type { NodeStatistic } from './ops/defs.js';
import type { Tensor } from './tensor.js';

export interface EngineOptions {
  /**
   * 'auto' takes a hardware GPU through WebGPU when there is one, else WebAssembly (saying why, once per process);
   * default 'auto'.
   */
  backend?: 'auto' | BackendKind;
  /** Let 'auto' choose a software WebGPU renderer (SwiftShader, lavapipe) over WebAssembly. Default false. */
  allowSoftwareGpu?: boolean;
  /** Seed for the engine's random generator (initializers, shuffling); default 0. */
  seed?: number;
  /** WebAssembly threads, the caller's included; default: the hardware's, at most 8. */
  threads?: number;
  /** Where the one-line fallback notice goes; default console.warn. */
  log?: (message: string) => void;
}

/** One number for both spatial dimensions, or [height, width]. */
export type Pair = number | [number, number];

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

/** conv2d: NCHW input, OIHW filter. Defaults: stride 1, padding 0. */
export interface ConvolutionOptions {
  stride?: Pair;
  padding?: Pair;
}

export interface ConvolutionBackwardInputOptions extends ConvolutionOptions {
  /** The [H, W] of the forward input x. */
  inputSize: [number, number];
}

export interface ConvolutionBackwardFilterOptions extends ConvolutionOptions {
  /** The [KH, KW] of the filter w. */
  kernelSize: [number, number];
}

/** Pooling windows. Defaults: stride = size, padding 0. */
export interface PoolingOptions {
  size: Pair;
  stride?: Pair;
  padding?: Pair;
}

export interface BatchNormOptions {
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  /** Train mode normalizes with the batch statistics and returns updated running statistics. Default true. */
  training?: boolean;
  /** Weight of the batch statistics in the running averages (PyTorch's convention). Default 0.1. */
  momentum?: number;
  eps?: number;
}

export interface BatchNormResult {
  output: Tensor;
  /** Batch mean and biased variance (train mode only). */
  mean?: Tensor;
  variance?: Tensor;
  /** Updated running statistics (train mode; the running variance uses the unbiased batch variance). */
  runningMean?: Tensor;
  runningVar?: Tensor;
}

/** A loss over a batch: its mean (shape []), the per-sample losses [N], and the gradient of the mean wrt the prediction. */
export interface LossResult {
  loss: Tensor;
  losses: Tensor;
  grad: Tensor;
}

export interface ActiveCountOptions {
  /** θ: a node is active when its statistic exceeds it (EMERGENCE.md section 1). Default 0.05. */
  threshold?: number;
  /** 'mean': mean activation over the batch (and positions); 'fraction': share of entries above θ. Default 'mean'. */
  statistic?: NodeStatistic;
  /** With statistic 'fraction': the share of entries above θ a node needs to count as active. Default 0.5. */
  minFraction?: number;
}

export interface ActiveCounts {
  /** The per-node statistic (one value per unit or channel). */
  perNode: Float32Array;
  active: number;
  total: number;
}

export interface SgdUpdateOptions {
  lr: number;
  /** Default 0 (no velocity; the velocity input passes through, masked). */
  momentum?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** PyTorch's first step: the velocity starts as the gradient instead of being blended into. Default false. */
  firstStep?: boolean;
}

export interface AdamUpdateOptions {
  lr: number;
  /** The step being taken, counting from 1 (bias correction). */
  step: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Default 0: L2 penalty on the gradient for Adam, decoupled decay of the weights for AdamW. */
  weightDecay?: number;
  /** AdamW: decay the weights directly (param *= 1 - lr * weightDecay) instead of the gradient. Default false. */
  decoupled?: boolean;
}
