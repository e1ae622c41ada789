// Every runtime-neutral test group, in the order runners report them.
import { reluGroup } from './relu.js';
import { elementwiseGroup } from './elementwise.js';
import { channelAffineGroup } from './channel_affine.js';
import { pool2dGroup } from './pool2d.js';
import { pool2dBackwardGroup } from './pool2d_backward.js';
import { batchNormGroup } from './batch_norm.js';
import { softmaxCrossEntropyGroup } from './softmax_cross_entropy.js';
import { reduceGroup } from './reduce.js';
import { activeCountsGroup } from './active_counts.js';
import { matmulGroup } from './matmul.js';
import { conv2dGroup } from './conv2d.js';
import { conv2dBackwardGroup } from './conv2d_backward.js';
import { optimizersGroup } from './optimizers.js';
import { randomShapesGroup } from './random_shapes.js';
import { errorsGroup } from './errors.js';
import { memoryGroup } from './memory.js';
import { safetensorsGroup } from './safetensors.js';
import { initGroup } from './init.js';
import { dataParsersGroup } from './data_parsers.js';
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
  reduceGroup,
  activeCountsGroup,
  matmulGroup,
  conv2dGroup,
  conv2dBackwardGroup,
  optimizersGroup,
  randomShapesGroup,
  errorsGroup,
  memoryGroup,
  safetensorsGroup,
  initGroup,
  dataParsersGroup,
];
