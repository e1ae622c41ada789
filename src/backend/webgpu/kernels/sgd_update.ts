// WebGPU binding of sgdUpdate: one torch.optim.SGD step per element, then the pruning mask (shaders/sgd_update.wgsl).
import source from '../../../../shaders/sgd_update.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const sgdUpdate: GpuKernel<'sgdUpdate'> = {
  shader: 'sgd_update',
  source,
  entryPoint: () => 'sgd_update',
  overrides: () => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.size],
    ['f32', d.lr],
    ['f32', d.momentum],
    ['f32', d.oneMinusDampening],
    ['f32', d.weightDecay],
    ['u32', d.nesterov ? 1 : 0],
    ['u32', d.firstStep ? 1 : 0],
  ],
  workgroups: (d) => elementwiseGrid(d.size),
};
