// The primitive ops: each declared once here with its inputs, outputs, attributes and the dimensions kernels receive.
import type { DType, Shape } from '../tensor-meta.js';

/** Binary elementwise operators, in the order kernels number them. */
export const binaryOps = ['add', 'sub', 'mul'] as const;
export type BinaryOp = (typeof binaryOps)[number];

/** Reduction operators, in the order kernels number them. */
export const reduceOps = ['sum', 'mean', 'max'] as const;
export type ReduceOp = (typeof reduceOps)[number];

/** Per-node activation statistics, in the order kernels number them (EMERGENCE.md section 1). */
export const nodeStatistics = ['mean', 'fraction'] as const;
export type NodeStatistic = (typeof nodeStatistics)[number];

/** Pooling modes, in the order kernels number them. */
export const poolModes = ['max', 'avg'] as const;
export type PoolMode = (typeof poolModes)[number];

/** Geometry of a 2-D window (convolution or pooling) over an NCHW input. */
export interface WindowDims {
  N: number;
  C: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
  OH: number;
  OW: number;
}

/**
 * Every primitive op: named inputs, named outputs, user-facing attributes and the flat dimensions that kernels receive.
 * Adding an op here makes every kernel table (WebGPU, WebAssembly, reference) fail to compile until it has the op.
 */
export interface OpSignatures {
  /** out[b] = op(a[b]) @ op(b[b]); a or b may be 2-D and broadcast over the batch. */
  matmul: {
    inputs: 'a' | 'b';
    outputs: 'out';
    attrs: { transposeA: boolean; transposeB: boolean };
    dims: {
      batch: number;
      M: number;
      N: number;
      K: number;
      transposeA: boolean;
      transposeB: boolean;
      strideA: number;
      strideB: number;
    };
  };
  /** out[n, c, s] = x[n, c, s] + bias[c]: x is [N, C, ...]. */
  biasAdd: { inputs: 'x' | 'bias'; outputs: 'out'; attrs: Record<string, never>; dims: { outer: number; C: number; inner: number } };
  /** out[n, c, s] = x[n, c, s] * scale[c] + shift[c]: x is [N, C, ...]; the per-channel broadcast of batch-norm gradients. */
  channelAffine: {
    inputs: 'x' | 'scale' | 'shift';
    outputs: 'out';
    attrs: Record<string, never>;
    dims: { outer: number; C: number; inner: number };
  };
  relu: { inputs: 'x'; outputs: 'out'; attrs: Record<string, never>; dims: { size: number } };
  /** 1 where x > 0, else 0: the derivative of ReLU, used as a mask in gradient rules. */
  reluMask: { inputs: 'x'; outputs: 'out'; attrs: Record<string, never>; dims: { size: number } };
  /** Elementwise add, sub or mul of two tensors of the same shape. */
  binary: { inputs: 'a' | 'b'; outputs: 'out'; attrs: { op: BinaryOp }; dims: { size: number; op: number } };
  /** out = x * alpha + beta. */
  scale: { inputs: 'x'; outputs: 'out'; attrs: { alpha: number; beta: number }; dims: { size: number; alpha: number; beta: number } };
  /** NCHW input, OIHW filter, no bias; zero padding. */
  conv2d: {
    inputs: 'x' | 'w';
    outputs: 'out';
    attrs: { stride: number | [number, number]; padding: number | [number, number] };
    dims: WindowDims & { O: number };
  };
  /** Max or average pooling over NCHW; average divides by the full window (PyTorch's count_include_pad). */
  pool2d: {
    inputs: 'x';
    outputs: 'out';
    attrs: { mode: PoolMode; size: number | [number, number]; stride: number | [number, number]; padding: number | [number, number] };
    dims: WindowDims & { mode: number };
  };
  /** Gradient of conv2d wrt its input: dy [N, O, OH, OW] and w [O, C, KH, KW] to dx [N, C, H, W] (H, W given). */
  conv2dBackwardInput: {
    inputs: 'dy' | 'w';
    outputs: 'dx';
    attrs: { stride: number | [number, number]; padding: number | [number, number]; inputSize: [number, number] };
    dims: WindowDims & { O: number };
  };
  /** Gradient of conv2d wrt its filter: x [N, C, H, W] and dy [N, O, OH, OW] to dw [O, C, KH, KW] (KH, KW given). */
  conv2dBackwardFilter: {
    inputs: 'x' | 'dy';
    outputs: 'dw';
    attrs: { stride: number | [number, number]; padding: number | [number, number]; kernelSize: [number, number] };
    dims: WindowDims & { O: number };
  };
  /**
   * Gradient of pool2d wrt its input: x [N, C, H, W] and dy [N, C, OH, OW] to dx [N, C, H, W]. Max sends each window's
   * gradient to the window's first maximum in row-major order (PyTorch's choice); average spreads it over the window.
   */
  pool2dBackward: {
    inputs: 'x' | 'dy';
    outputs: 'dx';
    attrs: { mode: PoolMode; size: number | [number, number]; stride: number | [number, number]; padding: number | [number, number] };
    dims: WindowDims & { mode: number };
  };
  /** Per-channel mean and biased variance of x viewed as [N, C, S]. */
  moments: { inputs: 'x'; outputs: 'mean' | 'variance'; attrs: Record<string, never>; dims: { N: number; C: number; S: number } };
  /** out = (x - mean[c]) / sqrt(variance[c] + eps) * gamma[c] + beta[c], x viewed as [N, C, S]. */
  batchNormApply: {
    inputs: 'x' | 'mean' | 'variance' | 'gamma' | 'beta';
    outputs: 'out';
    attrs: { eps: number };
    dims: { N: number; C: number; S: number; eps: number };
  };
  /** Per-sample softmax cross-entropy losses [N] and the gradient of their mean wrt the logits [N, C]. */
  softmaxCrossEntropy: {
    inputs: 'logits' | 'labels';
    outputs: 'losses' | 'grad';
    attrs: Record<string, never>;
    dims: { N: number; C: number };
  };
  /** x viewed as [outer, R, inner] reduced over R to [outer, inner]. */
  reduce: {
    inputs: 'x';
    outputs: 'out';
    attrs: { op: ReduceOp; outer: number; R: number; inner: number };
    dims: { outer: number; R: number; inner: number; op: number };
  };
  /** Per-node statistic of x viewed as [N, C, S] (node = c): the mean value, or the fraction of entries above threshold. */
  nodeStatistic: {
    inputs: 'x';
    outputs: 'stat';
    attrs: { statistic: NodeStatistic; threshold: number };
    dims: { N: number; C: number; S: number; mode: number; threshold: number };
  };
  /** The number of entries of x strictly above threshold, as a one-element int32 tensor. */
  countAbove: { inputs: 'x'; outputs: 'count'; attrs: { threshold: number }; dims: { size: number; threshold: number } };
  /**
   * One torch.optim.SGD step on one parameter tensor, then pruning: newParam = (param - lr * step) * mask and
   * newVelocity = velocity' * mask (see sgd_update in the kernels). With momentum 0 the velocity passes through, masked.
   */
  sgdUpdate: {
    inputs: 'param' | 'grad' | 'velocity' | 'mask';
    outputs: 'newParam' | 'newVelocity';
    attrs: { lr: number; momentum: number; weightDecay: number; dampening: number; nesterov: boolean; firstStep: boolean };
    dims: {
      size: number;
      lr: number;
      momentum: number;
      /** 1 - dampening, computed in float64 on the host. */
      oneMinusDampening: number;
      weightDecay: number;
      nesterov: boolean;
      /** PyTorch's first step: the velocity becomes the (decayed) gradient itself. */
      firstStep: boolean;
    };
  };
  /**
   * One torch.optim.Adam (or AdamW, `decoupled`) step on one parameter tensor, then pruning: param, m and v are all
   * multiplied by mask. `step` counts from 1; the bias corrections are computed on the host into the dims.
   */
  adamUpdate: {
    inputs: 'param' | 'grad' | 'm' | 'v' | 'mask';
    outputs: 'newParam' | 'newM' | 'newV';
    attrs: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number };
    dims: {
      size: number;
      beta1: number;
      beta2: number;
      oneMinusBeta1: number;
      oneMinusBeta2: number;
      eps: number;
      /** Adam's L2 term added to the gradient: weightDecay, or 0 for AdamW. */
      gradDecay: number;
      /** AdamW's decoupled decay applied to param first: 1 - lr * weightDecay, or 1 for Adam. */
      paramScale: number;
      /** lr / (1 - beta1^step). */
      stepSize: number;
      /** sqrt(1 - beta2^step). */
      biasCorrection2Sqrt: number;
    };
  };
  /**
   * Per-sample mean squared errors of pred against target (both [N, ...], viewed as [N, F]): losses [N] with
   * losses[n] = mean over f of (pred - target)², and grad = 2 (pred - target) / (N * F), the gradient of the mean over
   * all N*F elements (which is also the mean of the losses; PyTorch's MSELoss(reduction='mean')).
   */
  meanSquaredError: {
    inputs: 'pred' | 'target';
    outputs: 'losses' | 'grad';
    attrs: Record<string, never>;
    dims: {
      N: number;
      F: number;
      /** 2 / (N * F), computed in float64 on the host. */
      gradScale: number;
    };
  };
}

export type OpName = keyof OpSignatures;
export type InputName<K extends OpName> = OpSignatures[K]['inputs'];
export type OutputName<K extends OpName> = OpSignatures[K]['outputs'];
export type AttrsOf<K extends OpName> = OpSignatures[K]['attrs'];
export type DimsOf<K extends OpName> = OpSignatures[K]['dims'];

export interface TensorMeta {
  shape: Shape;
  dtype: DType;
}

/** What shape inference gives a kernel: the output metadata and the flat dimensions. */
export interface Inferred<K extends OpName> {
  outputs: Record<OutputName<K>, TensorMeta>;
  dims: DimsOf<K>;
}
