// WebGPU binding of conv2dBackwardInput: one thread per dx element (shaders/conv2d_backward_input.wgsl).
import source from '../../../../shaders/conv2d_backward_input.wgsl';
import { linearGrid, type GpuKernel, type Param } from '../kernel.js';

const WORKGROUP_SIZE = 64;

export const conv2dBackwardInput: GpuKernel<'conv2dBackwardInput'> = {
  shader: 'conv2d_backward_input',
  source,
  entryPoint: () => 'conv2d_backward_input',
  overrides: () => ({ WORKGROUP_SIZE }),
  params: (d) => [d.N, d.C, d.H, d.W, d.O, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.OH, d.OW].map((v): Param => ['u32', v]),
  workgroups: (d) => linearGrid(Math.ceil((d.N * d.C * d.H * d.W) / WORKGROUP_SIZE)),
};
