// Eager batch normalization for Engine.batchNorm: batch statistics, normalization and running averages.
import type { Engine } from '../engine.js';
import type { BatchNormOptions, BatchNormResult } from '../engine-options.js';
import type { Tensor } from '../tensor.js';

export function batchNorm(engine: Engine, x: Tensor, options: BatchNormOptions): BatchNormResult {
  const { gamma, beta, runningMean, runningVar } = options;
  const eps = options.eps ?? 1e-5;
  if (options.training === false) {
    const output = engine.run('batchNormApply', { x, mean: runningMean, variance: runningVar, gamma, beta }, { eps }, 'batchNorm').out;
    return { output };
  }
  const momentum = options.momentum ?? 0.1;
  const { mean, variance } = engine.run('moments', { x }, {}, 'batchNorm');
  const output = engine.run('batchNormApply', { x, mean, variance, gamma, beta }, { eps }, 'batchNorm').out;
  const count = x.size / x.shape[1];
  const unbiased = count > 1 ? count / (count - 1) : 1;
  const [newMean, newVar] = engine.scope(() => [
    engine.add(engine.scale(runningMean, 1 - momentum), engine.scale(mean, momentum)),
    engine.add(engine.scale(runningVar, 1 - momentum), engine.scale(variance, momentum * unbiased)),
  ]);
  return { output, mean, variance, runningMean: newMean, runningVar: newVar };
}
