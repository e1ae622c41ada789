// Hand-written backward passes of the layers the PyTorch fixtures use, composed only from engine primitives (matmul,
// reduce, binary, reluMask, conv2d and pool2d gradients, batchNormApply, channelAffine): the oracle the autodiff core's
// gradient rules can be checked against.
import type { Engine, Tensor } from 'emergence-engine';

type Pair = number | [number, number];

/** Gradients of y = x W^T + b (PyTorch's Linear; x [N, in], W [out, in]) from dy [N, out]. */
export function linearBackward(engine: Engine, x: Tensor, weight: Tensor, dy: Tensor): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  return {
    dx: engine.matmul(dy, weight),
    dWeight: engine.matmul(dy, x, { transposeA: true }),
    dBias: engine.sum(dy, [0]),
  };
}

/** Gradient of relu(pre) with respect to pre: dy where pre > 0, else 0. */
export function reluBackward(engine: Engine, pre: Tensor, dy: Tensor): Tensor {
  return engine.scope(() => engine.mul(dy, engine.reluMask(pre)));
}

/**
 * Gradients of y = conv2d(x, w) + b[o] (NCHW, OIHW) from dy: the filter and input gradients from their primitives, the
 * bias gradient as the sum of dy over N, H and W. `needInput` false skips dx (the first layer's input needs none).
 */
export function conv2dBackward(
  engine: Engine,
  x: Tensor,
  weight: Tensor,
  dy: Tensor,
  options: { stride?: Pair; padding?: Pair; needInput?: boolean },
): { dx?: Tensor; dWeight: Tensor; dBias: Tensor } {
  const { stride, padding } = options;
  const [, , KH, KW] = weight.shape;
  const [, , H, W] = x.shape;
  return {
    dx: options.needInput === false ? undefined : engine.conv2dBackwardInput(dy, weight, { stride, padding, inputSize: [H, W] }),
    dWeight: engine.conv2dBackwardFilter(x, dy, { stride, padding, kernelSize: [KH, KW] }),
    dBias: engine.sum(dy, channelSumAxes(x.shape.length)),
  };
}

/** Every axis but the channel axis (1) of a [N, C, ...] tensor of the given rank. */
function channelSumAxes(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
}

/**
 * Gradients of training-mode batch norm y = gamma * xhat + beta, xhat = (x - mean) / sqrt(var + eps) with the batch
 * mean and biased variance over the M = N * H * W values of each channel, from dy:
 *   dbeta = sum dy, dgamma = sum dy * xhat,
 *   dx = gamma / sqrt(var + eps) * (dy - dbeta / M - xhat * dgamma / M)   (per channel).
 * xhat and gamma / sqrt(var + eps) both come from batchNormApply (the latter on a [1, C] row of ones); the per-channel
 * broadcasts are channelAffine. Works for [N, C] and [N, C, H, W].
 */
export function batchNormBackward(
  engine: Engine,
  x: Tensor,
  stats: { mean: Tensor; variance: Tensor; gamma: Tensor; eps: number },
  dy: Tensor,
): { dx: Tensor; dGamma: Tensor; dBeta: Tensor } {
  return engine.scope(() => {
    const C = x.shape[1];
    const M = x.size / C;
    const ones = engine.tensor(new Float32Array(C).fill(1), [C]);
    const zeros = engine.zeros([C]);
    const normalize = (input: Tensor, gamma: Tensor): Tensor =>
      engine.batchNorm(input, { gamma, beta: zeros, runningMean: stats.mean, runningVar: stats.variance, training: false, eps: stats.eps })
        .output;
    const xhat = normalize(x, ones);
    const dBeta = engine.sum(dy, channelSumAxes(x.shape.length));
    const dGamma = engine.sum(engine.mul(dy, xhat), channelSumAxes(x.shape.length));
    // (1 - mean) / sqrt(var + eps) * gamma with the mean replaced by zeros: gamma / sqrt(var + eps).
    const inverseStd = engine.batchNorm(engine.reshape(ones, [1, C]), {
      gamma: stats.gamma,
      beta: zeros,
      runningMean: zeros,
      runningVar: stats.variance,
      training: false,
      eps: stats.eps,
    }).output;
    const centered = engine.add(dy, engine.channelAffine(xhat, engine.scale(dGamma, -1 / M), engine.scale(dBeta, -1 / M)));
    const dx = engine.channelAffine(centered, engine.reshape(inverseStd, [C]), zeros);
    return { dx, dGamma, dBeta };
  });
}
