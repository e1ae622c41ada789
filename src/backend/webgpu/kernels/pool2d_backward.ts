// WebGPU binding of the max- and average-pooling gradient wrt the input (shaders/pool2d_backward.wgsl); the mode is a pipeline constant.
import source from '../../../../shaders/pool2d_backward.wgsl';
import type { GpuKernel, Param } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const pool2dBackward: GpuKernel<'pool2dBackward'> = {
  shader: 'pool2d_backward',
  source,
  entryPoint: () => 'pool2d_backward',
  overrides: (d) => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE, MODE: d.mode }),
  params: (d) => [d.N, d.C, d.H, d.W, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.OH, d.OW].map((v): Param => ['u32', v]),
  workgroups: (d) => elementwiseGrid(d.N * d.C * d.H * d.W),
};
