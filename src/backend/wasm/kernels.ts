// The WebAssembly kernel table: one entry per primitive op; a missing op fails to compile.
import type { WasmKernelTable } from './kernel.js';
import { adamUpdate } from './kernels/adam_update.js';
import { batchNormApply } from './kernels/batch_norm_apply.js';
import { biasAdd } from './kernels/bias_add.js';
import { channelAffine } from './kernels/channel_affine.js';
import { binary } from './kernels/binary.js';
import { conv2d } from './kernels/conv2d.js';
import { conv2dBackwardFilter } from './kernels/conv2d_backward_filter.js';
import { conv2dBackwardInput } from './kernels/conv2d_backward_input.js';
import { countAbove } from './kernels/count_above.js';
import { matmul } from './kernels/matmul.js';
import { meanSquaredError } from './kernels/mean_squared_error.js';
import { moments } from './kernels/moments.js';
import { nodeStatistic } from './kernels/node_statistic.js';
import { pool2d } from './kernels/pool2d.js';
import { pool2dBackward } from './kernels/pool2d_backward.js';
import { reduce } from './kernels/reduce.js';
import { relu, reluMask } from './kernels/relu.js';
import { scale } from './kernels/scale.js';
import { sgdUpdate } from './kernels/sgd_update.js';
import { softmaxCrossEntropy } from './kernels/softmax_cross_entropy.js';

export const wasmKernels: WasmKernelTable = {
  matmul,
  biasAdd,
  channelAffine,
  relu,
  reluMask,
  binary,
  scale,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  pool2d,
  pool2dBackward,
  moments,
  batchNormApply,
  softmaxCrossEntropy,
  reduce,
  nodeStatistic,
  countAbove,
  sgdUpdate,
  adamUpdate,
  meanSquaredError,
};
