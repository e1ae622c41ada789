// WebGPU binding of batchNormApply: normalize with given per-channel statistics, then scale and shift (shaders/batch_norm_apply.wgsl).
import source from '../../../../shaders/batch_norm_apply.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const batchNormApply: GpuKernel<'batchNormApply'> = {
  shader: 'batch_norm_apply',
  source,
  entryPoint: () => 'batch_norm_apply',
  overrides: () => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.N],
    ['u32', d.C],
    ['u32', d.S],
    ['f32', d.eps],
  ],
  workgroups: (d) => elementwiseGrid(d.N * d.C * d.S),
};
