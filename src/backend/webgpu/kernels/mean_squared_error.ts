// WebGPU binding of meanSquaredError: one workgroup per row (shaders/mean_squared_error.wgsl).
import source from '../../../../shaders/mean_squared_error.wgsl';
import { linearGrid, type GpuKernel } from '../kernel.js';
import { reductionWorkgroupSize } from './dispatch.js';

export const meanSquaredError: GpuKernel<'meanSquaredError'> = {
  shader: 'mean_squared_error',
  source,
  entryPoint: () => 'mean_squared_error',
  overrides: (d) => ({ WORKGROUP_SIZE: reductionWorkgroupSize(d.F) }),
  params: (d) => [
    ['u32', d.N],
    ['u32', d.F],
    ['f32', d.gradScale],
  ],
  workgroups: (d) => linearGrid(d.N),
};
