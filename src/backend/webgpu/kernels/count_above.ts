// WebGPU binding of countAbove: one workgroup counts the entries above the threshold (shaders/count_above.wgsl).
import source from '../../../../shaders/count_above.wgsl';
import type { GpuKernel } from '../kernel.js';

const WORKGROUP_SIZE = 256;

export const countAbove: GpuKernel<'countAbove'> = {
  shader: 'count_above',
  source,
  entryPoint: () => 'count_above',
  overrides: () => ({ WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.size],
    ['f32', d.threshold],
  ],
  workgroups: () => [1, 1, 1],
};
