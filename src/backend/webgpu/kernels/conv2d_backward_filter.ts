// WebGPU binding of conv2dBackwardFilter: one thread per dw element (shaders/conv2d_backward_filter.wgsl).
import source from '../../../../shaders/conv2d_backward_filter.wgsl';
import { linearGrid, type GpuKernel, type Param } from '../kernel.js';

const WORKGROUP_SIZE = 64;

export const conv2dBackwardFilter: GpuKernel<'conv2dBackwardFilter'> = {
  shader: 'conv2d_backward_filter',
  source,
  entryPoint: () => 'conv2d_backward_filter',
  overrides: () => ({ WORKGROUP_SIZE }),
  params: (d) => [d.N, d.C, d.H, d.W, d.O, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.OH, d.OW].map((v): Param => ['u32', v]),
  workgroups: (d) => linearGrid(Math.ceil((d.O * d.C * d.KH * d.KW) / WORKGROUP_SIZE)),
};
