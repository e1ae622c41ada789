// Every runtime-neutral test group, in the order runners report them.
import { reluGroup } from './relu.js';
import { elementwiseGroup } from './elementwise.js';
import { channelAffineGroup } from './channel_affine.js';
import { pool2dGroup } from './pool2d.js';
import { pool2dBackwardGroup } from './pool2d_backward.js';
import { batchNormGroup } from './batch_norm.js';
import { softmaxCrossEntropyGroup } from './softmax_cross_entropy.js';
import { meanSquaredErrorGroup } from './mean_squared_error.js';
import { reduceGroup } from './reduce.js';
import { activeCountsGroup } from './active_counts.js';
import { matmulGroup } from './matmul.js';
import { conv2dGroup } from './conv2d.js';
import { conv2dBackwardGroup } from './conv2d_backward.js';
import { optimizersGroup } from './optimizers.js';
import { backendUpdateCopyGroup } from './backend_update_copy.js';
import { randomShapesGroup } from './random_shapes.js';
import { autodiffRulesGroup } from './autodiff_rules.js';
import { errorsGroup } from './errors.js';
import { memoryGroup } from './memory.js';
import { safetensorsGroup } from './safetensors.js';
import { initGroup } from './init.js';
import { dataParsersGroup } from './data_parsers.js';
import { nnLayersGroup } from './nn-layers.js';
import { parityGroup } from './parity.js';
import { layerGradientsGroup } from './layer_gradients.js';
import { netErrorsGroup } from './net_errors.js';
import { netGroup } from './net.js';
import { checkpointResumeGroup } from './checkpoint_resume.js';
import { emergencePruneGroup } from './emergence_prune.js';
import { emergenceValueGroup } from './emergence_value.js';
import { emergenceInitGroup } from './emergence_init.js';
import { emergenceMeasureGroup } from './emergence_measure.js';
import { playgroundRunGroup } from './playground_run.js';
import type { TestGroup } from './types.js';

export type { TestCase, TestGroup } from './types.js';

export const groups: TestGroup[] = [
  reluGroup,
  elementwiseGroup,
  channelAffineGroup,
  pool2dGroup,
  pool2dBackwardGroup,
  batchNormGroup,
  softmaxCrossEntropyGroup,
  meanSquaredErrorGroup,
  reduceGroup,
  activeCountsGroup,
  matmulGroup,
  conv2dGroup,
  conv2dBackwardGroup,
  optimizersGroup,
  backendUpdateCopyGroup,
  randomShapesGroup,
  autodiffRulesGroup,
  errorsGroup,
  memoryGroup,
  safetensorsGroup,
  initGroup,
  dataParsersGroup,
  nnLayersGroup,
  parityGroup,
  layerGradientsGroup,
  netErrorsGroup,
  netGroup,
  checkpointResumeGroup,
  emergenceInitGroup,
  emergenceValueGroup,
  emergencePruneGroup,
  emergenceMeasureGroup,
  playgroundRunGroup,
];
