// The reference kernel table, and referenceOp: run a reference kernel from named inputs and the op's attributes.
import type { AttrsOf, InputName, OpName } from '../ops/defs.js';
import { opSpecs } from '../ops/specs.js';
import type { HostArray, ReferenceTable } from './table.js';
import { relu, reluMask } from './relu.js';
import { biasAdd } from './bias_add.js';
import { channelAffine } from './channel_affine.js';
import { binary } from './binary.js';
import { scale } from './scale.js';
import { pool2d } from './pool2d.js';
import { pool2dBackward } from './pool2d_backward.js';
import { moments } from './moments.js';
import { batchNormApply } from './batch_norm_apply.js';
import { softmaxCrossEntropy } from './softmax_cross_entropy.js';
import { reduce } from './reduce.js';
import { nodeStatistic } from './node_statistic.js';
import { countAbove } from './count_above.js';
import { matmul } from './matmul.js';
import { conv2d } from './conv2d.js';
import { conv2dBackwardInput } from './conv2d_backward_input.js';
import { conv2dBackwardFilter } from './conv2d_backward_filter.js';
import { sgdUpdate } from './sgd_update.js';
import { adamUpdate } from './adam_update.js';
import { meanSquaredError } from './mean_squared_error.js';

export const referenceKernels: ReferenceTable = {
  relu,
  reluMask,
  biasAdd,
  channelAffine,
  binary,
  scale,
  pool2d,
  pool2dBackward,
  moments,
  batchNormApply,
  softmaxCrossEntropy,
  reduce,
  nodeStatistic,
  countAbove,
  matmul,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  sgdUpdate,
  adamUpdate,
  meanSquaredError,
};

/**
 * Runs the reference for `op`. Shapes default to 1-D; pass `shapes` for anything else. Returns outputs in declared order.
 */
export function referenceOp<K extends OpName>(
  op: K,
  inputs: Record<InputName<K>, HostArray>,
  attrs: AttrsOf<K>,
  shapes?: Partial<Record<InputName<K>, readonly number[]>>,
): HostArray[] {
  const spec = opSpecs[op];
  const metas = Object.fromEntries(
    spec.inputs.map((name) => [
      name,
      { shape: shapes?.[name] ?? [inputs[name].length], dtype: inputs[name] instanceof Int32Array ? 'int32' : 'float32' },
    ]),
  ) as Parameters<typeof spec.infer>[0];
  const { dims } = spec.infer(metas, attrs);
  return referenceKernels[op](
    spec.inputs.map((name) => inputs[name]),
    dims,
  );
}
