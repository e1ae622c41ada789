// Eager losses for Engine.softmaxCrossEntropy and Engine.meanSquaredError: per-sample losses, their mean and its gradient.
import type { Engine } from '../engine.js';
import type { LossResult } from '../engine-options.js';
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export function softmaxCrossEntropy(engine: Engine, logits: Tensor, labels: Tensor<'int32'> | Int32Array): LossResult {
  let labelTensor: Tensor<'int32'>;
  if (labels instanceof Int32Array) {
    const classes = logits.shape[1];
    const bad = labels.findIndex((label) => !(label >= 0 && label < classes));
    if (bad >= 0) {
      throw new ShapeError('softmaxCrossEntropy', `label ${labels[bad]} at index ${bad} is out of range [0, ${classes})`, {
        logits: logits.shape,
      });
    }
    labelTensor = engine.tensor(labels, [labels.length]);
  } else labelTensor = labels;
  try {
    const { losses, grad } = engine.run('softmaxCrossEntropy', { logits, labels: labelTensor }, {});
    return { loss: engine.mean(losses), losses, grad };
  } finally {
    if (labelTensor !== labels) labelTensor.dispose();
  }
}

export function meanSquaredError(engine: Engine, pred: Tensor, target: Tensor): LossResult {
  const { losses, grad } = engine.run('meanSquaredError', { pred, target }, {});
  return { loss: engine.mean(losses), losses, grad };
}
