// WebGPU binding of adamUpdate: one torch.optim.Adam / AdamW step per element, then the pruning mask (shaders/adam_update.wgsl).
import source from '../../../../shaders/adam_update.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const adamUpdate: GpuKernel<'adamUpdate'> = {
  shader: 'adam_update',
  source,
  entryPoint: () => 'adam_update',
  overrides: () => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.size],
    ['f32', d.beta1],
    ['f32', d.beta2],
    ['f32', d.oneMinusBeta1],
    ['f32', d.oneMinusBeta2],
    ['f32', d.eps],
    ['f32', d.gradDecay],
    ['f32', d.paramScale],
    ['f32', d.stepSize],
    ['f32', d.biasCorrection2Sqrt],
  ],
  workgroups: (d) => elementwiseGrid(d.size),
};
