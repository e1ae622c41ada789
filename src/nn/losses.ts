// The training losses as graph nodes: per-sample losses, their batch mean (shape [1]) and the gradient seed for backward.
import type { GraphBuilder, ValueId } from '../autodiff/types.js';
import { EngineError, ShapeError } from '../errors.js';
import { formatShape, type Shape } from '../tensor-meta.js';
import { describeValue } from './layers/common.js';
import type { LossGraph, LossName } from './types.js';

export const lossNames: readonly LossName[] = ['cross-entropy', 'mse'];

/**
 * Emits the loss of the model output against the target:
 * - 'cross-entropy': PyTorch's CrossEntropyLoss on logits [N, C] and int32 class labels [N];
 * - 'mse': PyTorch's MSELoss (mean over every element) on predictions and float targets of the same shape.
 * The seed is the op's own gradient output, which is already the gradient of the batch mean.
 */
export function emitLoss(g: GraphBuilder, name: LossName, output: ValueId, target: ValueId): LossGraph {
  const label = `loss '${name}'`;
  const outputInfo = g.value(output);
  const targetInfo = g.value(target);
  switch (name) {
    case 'cross-entropy': {
      if (outputInfo.shape.length !== 2) {
        throw new ShapeError(
          label,
          "the model's output must be logits [batch, classes] (is an nn.flatten() or a final nn.linear missing?)",
          {
            output: outputInfo.shape,
          },
        );
      }
      const N = outputInfo.shape[0];
      if (targetInfo.dtype !== 'int32' || targetInfo.shape.length !== 1 || targetInfo.shape[0] !== N) {
        throw new ShapeError(
          label,
          `the target must be int32 class indices [${N}], got ${targetInfo.dtype} ${formatShape(targetInfo.shape)}`,
          {
            output: outputInfo.shape,
          },
        );
      }
      const { losses, grad } = g.op('softmaxCrossEntropy', { logits: output, labels: target }, {});
      return { loss: batchMean(g, losses, N), losses, seed: [output, grad] };
    }
    case 'mse': {
      if (outputInfo.shape.length < 1)
        throw new ShapeError(label, "the model's output must have a batch dimension", { output: outputInfo.shape });
      if (targetInfo.dtype !== 'float32') {
        throw new ShapeError(label, `the target must be float32 values of the output's shape, got ${targetInfo.dtype}`, {
          target: targetInfo.shape,
        });
      }
      if (!sameShape(outputInfo.shape, targetInfo.shape)) {
        throw new ShapeError(label, "the target must have the model output's shape", {
          output: outputInfo.shape,
          target: targetInfo.shape,
        });
      }
      const { losses, grad } = g.op('meanSquaredError', { pred: output, target }, {});
      return { loss: batchMean(g, losses, outputInfo.shape[0]), losses, seed: [output, grad] };
    }
    default:
      throw new EngineError(`loss must be one of ${lossNames.map((n) => `'${n}'`).join(', ')}, got ${describeValue(name)}`);
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The mean of per-sample losses [N] as a value of shape [1]. */
function batchMean(g: GraphBuilder, losses: ValueId, N: number): ValueId {
  const { out } = g.op('reduce', { x: losses }, { op: 'mean', outer: 1, R: N, inner: 1 });
  return g.reshape(out, [1]);
}
