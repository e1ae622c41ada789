// nn.batchNorm2d and nn.batchNorm1d: PyTorch's BatchNorm (batch statistics and running estimates in train mode, the
// running estimates in eval mode), emitted as moments, batchNormApply and the scale/binary running-average updates.
import type { GraphBuilder, ValueId } from '../../autodiff/types.js';
import { ShapeError } from '../../errors.js';
import { sizeOf, type Shape } from '../../tensor-meta.js';
import type { Layer, LayerForward, Mode, ParameterSpec } from '../types.js';
import { pythonFloat, requireInteger, requireNumberIn, requireOptions, requireRank, requireValue } from './common.js';

export interface BatchNormLayerOptions {
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** Weight of the new batch in the running estimates: running = (1 - momentum) * running + momentum * batch; default 0.1. */
  momentum?: number;
}

/** The int64 counter PyTorch keeps beside the running statistics; see Layer.counters. */
export const NUM_BATCHES_TRACKED = 'num_batches_tracked';

export class BatchNorm implements Layer {
  readonly type: 'batchNorm1d' | 'batchNorm2d';
  readonly hasNodes = false;
  readonly counters = [NUM_BATCHES_TRACKED] as const;
  /** The builder call, which names the layer in errors. */
  readonly label: string;

  constructor(
    readonly spatialDims: 1 | 2,
    readonly channels: number,
    readonly eps: number,
    readonly momentum: number,
  ) {
    this.type = spatialDims === 1 ? 'batchNorm1d' : 'batchNorm2d';
    const options = [eps !== 1e-5 ? `eps: ${eps}` : '', momentum !== 0.1 ? `momentum: ${momentum}` : ''].filter(Boolean);
    this.label = `nn.${this.type}(${channels}${options.length ? `, { ${options.join(', ')} }` : ''})`;
  }

  describe(): string {
    const name = this.spatialDims === 1 ? 'BatchNorm1d' : 'BatchNorm2d';
    return `${name}(${this.channels}, eps=${pythonFloat(this.eps)}, momentum=${pythonFloat(this.momentum)}, affine=True, track_running_stats=True)`;
  }

  outputShape(input: Shape): Shape {
    if (this.spatialDims === 2) requireRank(this.label, input, [3], '[channels, height, width]');
    else requireRank(this.label, input, [1, 2], '[features] or [channels, length]');
    if (input[0] !== this.channels) {
      const expected = this.spatialDims === 2 ? `[${this.channels}, H, W]` : `[${this.channels}] or [${this.channels}, L]`;
      throw new ShapeError(this.label, `expects ${this.channels} channels (per-sample ${expected})`, { input });
    }
    return input;
  }

  parameters(input: Shape): ParameterSpec[] {
    this.outputShape(input);
    const shape = [this.channels];
    const filled = (value: number) => (): Float32Array => new Float32Array(this.channels).fill(value);
    return [
      { name: 'weight', shape, trainable: true, role: 'other', init: filled(1) },
      { name: 'bias', shape, trainable: true, role: 'other', init: filled(0) },
      { name: 'running_mean', shape, trainable: false, role: 'other', init: filled(0) },
      { name: 'running_var', shape, trainable: false, role: 'other', init: filled(1) },
    ];
  }

  forward(g: GraphBuilder, x: ValueId, params: Readonly<Record<string, ValueId>>, mode: Mode): LayerForward {
    const gamma = requireValue(this.label, params, 'weight');
    const beta = requireValue(this.label, params, 'bias');
    const runningMean = requireValue(this.label, params, 'running_mean');
    const runningVar = requireValue(this.label, params, 'running_var');
    const { eps } = this;
    if (mode === 'eval') {
      return { output: g.op('batchNormApply', { x, mean: runningMean, variance: runningVar, gamma, beta }, { eps }).out };
    }
    const shape = g.value(x).shape;
    // Values per channel: the batch times the spatial positions.
    const M = sizeOf(shape) / (shape[1] ?? 1);
    if (!(M > 1)) {
      throw new ShapeError(this.label, 'training needs more than one value per channel (batch size x positions), as in PyTorch', {
        x: shape,
      });
    }
    const { mean, variance } = g.op('moments', { x }, {});
    const output = g.op('batchNormApply', { x, mean, variance, gamma, beta }, { eps }).out;
    const m = this.momentum;
    return {
      output,
      stateUpdates: {
        running_mean: runningAverage(g, runningMean, 1 - m, mean, m),
        // PyTorch keeps the unbiased variance (Bessel's correction M / (M - 1)) in the running estimate.
        running_var: runningAverage(g, runningVar, 1 - m, variance, (m * M) / (M - 1)),
      },
    };
  }
}

/** running * keep + batch * take, from scale and binary ops. */
function runningAverage(g: GraphBuilder, running: ValueId, keep: number, batch: ValueId, take: number): ValueId {
  const kept = g.op('scale', { x: running }, { alpha: keep, beta: 0 }).out;
  const taken = g.op('scale', { x: batch }, { alpha: take, beta: 0 }).out;
  return g.op('binary', { a: kept, b: taken }, { op: 'add' }).out;
}

function batchNorm(spatialDims: 1 | 2, channels: number, options: BatchNormLayerOptions | undefined): BatchNorm {
  const builder = `nn.batchNorm${spatialDims}d`;
  const { eps = 1e-5, momentum = 0.1 } = requireOptions(builder, options, ['eps', 'momentum']);
  return new BatchNorm(
    spatialDims,
    requireInteger(builder, 'channels', channels, 1),
    requireNumberIn(builder, 'eps', eps, 0, Infinity, true),
    requireNumberIn(builder, 'momentum', momentum, 0, 1),
  );
}

/**
 * nn.batchNorm2d(channels, { eps = 1e-5, momentum = 0.1 }) on [N, C, H, W]: weight (ones), bias (zeros), running_mean
 * (zeros), running_var (ones) and the int64 counter num_batches_tracked, as in PyTorch's state_dict.
 */
export function batchNorm2d(channels: number, options?: BatchNormLayerOptions): BatchNorm {
  return batchNorm(2, channels, options);
}

/** nn.batchNorm1d(features, { eps = 1e-5, momentum = 0.1 }) on [N, C] or [N, C, L]: the same as batchNorm2d. */
export function batchNorm1d(features: number, options?: BatchNormLayerOptions): BatchNorm {
  return batchNorm(1, features, options);
}
