// WebGPU binding of channelAffine: out[o, c, s] = x[o, c, s] * scale[c] + shift[c] (shaders/channel_affine.wgsl).
import source from '../../../../shaders/channel_affine.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const channelAffine: GpuKernel<'channelAffine'> = {
  shader: 'channel_affine',
  source,
  entryPoint: () => 'channel_affine',
  overrides: () => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.outer],
    ['u32', d.C],
    ['u32', d.inner],
  ],
  workgroups: (d) => elementwiseGrid(d.outer * d.C * d.inner),
};
