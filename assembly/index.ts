// The WebAssembly module's exports: every kernel, plus where the engine's heap may begin.
export { relu, reluMask } from './kernels/relu';
export { biasAdd } from './kernels/bias_add';
export { channelAffine } from './kernels/channel_affine';
export { binary } from './kernels/binary';
export { scale } from './kernels/scale';
export { pool2d } from './kernels/pool2d';
export { pool2dBackward } from './kernels/pool2d_backward';
export { moments } from './kernels/moments';
export { batchNormApply } from './kernels/batch_norm_apply';
export { softmaxCrossEntropy } from './kernels/softmax_cross_entropy';
export { meanSquaredError } from './kernels/mean_squared_error';
export { reduce } from './kernels/reduce';
export { nodeStatistic } from './kernels/node_statistic';
export { countAbove } from './kernels/count_above';
export { sgdUpdate } from './kernels/sgd_update';
export { adamUpdate } from './kernels/adam_update';
export { matmul } from './kernels/matmul';
export { matmulNaive } from './kernels/matmul_naive';
export { conv2d } from './kernels/conv2d';
export { conv2dNaive } from './kernels/conv2d_naive';
export { conv2dBackwardInput } from './kernels/conv2d_backward_input';
export { conv2dBackwardInputNaive } from './kernels/conv2d_backward_input_naive';
export { conv2dBackwardFilter } from './kernels/conv2d_backward_filter';
export { conv2dBackwardFilterNaive } from './kernels/conv2d_backward_filter_naive';

/** First byte after the module's static data; the engine's allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}
