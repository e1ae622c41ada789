// WebGPU binding of scale: out = x * alpha + beta (shaders/scale.wgsl).
import source from '../../../../shaders/scale.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const scale: GpuKernel<'scale'> = {
  shader: 'scale',
  source,
  entryPoint: () => 'scale',
  overrides: () => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.size],
    ['f32', d.alpha],
    ['f32', d.beta],
  ],
  workgroups: (d) => elementwiseGrid(d.size),
};
