// WebGPU binding of softmaxCrossEntropy: one workgroup per row (shaders/softmax_cross_entropy.wgsl).
import source from '../../../../shaders/softmax_cross_entropy.wgsl';
import { linearGrid, type GpuKernel } from '../kernel.js';
import { reductionWorkgroupSize } from './dispatch.js';

export const softmaxCrossEntropy: GpuKernel<'softmaxCrossEntropy'> = {
  shader: 'softmax_cross_entropy',
  source,
  entryPoint: () => 'softmax_cross_entropy',
  overrides: (d) => ({ WORKGROUP_SIZE: reductionWorkgroupSize(d.C) }),
  params: (d) => [
    ['u32', d.N],
    ['u32', d.C],
  ],
  workgroups: (d) => linearGrid(d.N),
};
