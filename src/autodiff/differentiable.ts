// Which primitives the AssemblyScript core has a reverse-mode gradient rule for; typed so a new op must be classified.
import type { OpName } from '../ops/defs.js';

/**
 * 'rule': the core's gradient table differentiates it. 'paired': differentiated together with the op that consumes it
 * (moments, whose mean and variance feed batchNormApply). 'seed': a loss; its `grad` output is the seed of the reverse
 * pass rather than something differentiated through. 'zero': piecewise constant, so its gradient is zero wherever it
 * exists (reluMask, countAbove); the reverse pass stops there. 'none': not differentiable here (statistics, optimizer
 * steps, gradients themselves); a gradient reaching it is an error.
 */
export type GradientKind = 'rule' | 'paired' | 'seed' | 'zero' | 'none';

export const gradientKinds: { [K in OpName]: GradientKind } = {
  matmul: 'rule',
  biasAdd: 'rule',
  channelAffine: 'rule',
  relu: 'rule',
  reluMask: 'zero',
  binary: 'rule',
  scale: 'rule',
  conv2d: 'rule',
  pool2d: 'rule',
  conv2dBackwardInput: 'none',
  conv2dBackwardFilter: 'none',
  pool2dBackward: 'none',
  moments: 'paired',
  batchNormApply: 'rule',
  softmaxCrossEntropy: 'seed',
  meanSquaredError: 'seed',
  reduce: 'rule',
  nodeStatistic: 'none',
  countAbove: 'zero',
  sgdUpdate: 'none',
  adamUpdate: 'none',
};
