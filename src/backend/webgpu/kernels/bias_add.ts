// WebGPU binding of biasAdd: out[o, c, s] = x[o, c, s] + bias[c] (shaders/bias_add.wgsl).
import source from '../../../../shaders/bias_add.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const biasAdd: GpuKernel<'biasAdd'> = {
  shader: 'bias_add',
  source,
  entryPoint: () => 'bias_add',
  overrides: () => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.outer],
    ['u32', d.C],
    ['u32', d.inner],
  ],
  workgroups: (d) => elementwiseGrid(d.outer * d.C * d.inner),
};
