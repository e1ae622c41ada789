// The `nn` namespace: model builders with PyTorch's names, shapes and defaults, plus the helpers the compiled net uses.
import { batchNorm1d, batchNorm2d } from './layers/batch-norm.js';
import { conv2d } from './layers/conv2d.js';
import { flatten } from './layers/flatten.js';
import { linear } from './layers/linear.js';
import { avgPool2d, maxPool2d } from './layers/pool2d.js';
import { relu } from './layers/relu.js';
import { sequential } from './sequential.js';

/** Model builders: nn.sequential(nn.linear(784, 512), nn.relu(), nn.linear(512, 10)). */
export const nn = { sequential, linear, conv2d, relu, maxPool2d, avgPool2d, batchNorm2d, batchNorm1d, flatten } as const;

export { BatchNorm, NUM_BATCHES_TRACKED } from './layers/batch-norm.js';
export type { BatchNormLayerOptions } from './layers/batch-norm.js';
export { Conv2d } from './layers/conv2d.js';
export type { Conv2dOptions } from './layers/conv2d.js';
export { Flatten } from './layers/flatten.js';
export { Linear } from './layers/linear.js';
export type { LinearOptions } from './layers/linear.js';
export { Pool2d } from './layers/pool2d.js';
export type { Pool2dOptions } from './layers/pool2d.js';
export { ReLU } from './layers/relu.js';
export type { Pair } from './layers/common.js';
export { SequentialModel, counterNames, layerShapes, namedParameters } from './sequential.js';
export type { NamedParameter } from './sequential.js';
export { initialStateDict, initialValues } from './initialize.js';
export type { InitialTensor } from './initialize.js';
export { emitLoss } from './losses.js';
export { emitOptimizer, resolveGroups } from './optimizers.js';
