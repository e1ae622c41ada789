// WebGPU binding of conv2dBackwardFilter: a workgroup-wide reduction per dw element, and the one-thread-per-element oracle.
import source from '../../../../shaders/conv2d_backward_filter.wgsl';
import naiveSource from '../../../../shaders/conv2d_backward_filter_naive.wgsl';
import { linearGrid, type GpuKernel, type Param } from '../kernel.js';

/** Threads per dw element (a power of two, at most the shader's 256-entry workgroup array). */
const REDUCTION_THREADS = 128;
const NAIVE_WORKGROUP_SIZE = 64;

const params: GpuKernel<'conv2dBackwardFilter'>['params'] = (d) =>
  [d.N, d.C, d.H, d.W, d.O, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.OH, d.OW].map((v): Param => ['u32', v]);

const conv2dBackwardFilterNaive: GpuKernel<'conv2dBackwardFilter'> = {
  shader: 'conv2d_backward_filter_naive',
  source: naiveSource,
  entryPoint: () => 'conv2d_backward_filter_naive',
  overrides: () => ({ WORKGROUP_SIZE: NAIVE_WORKGROUP_SIZE }),
  params,
  workgroups: (d) => linearGrid(Math.ceil((d.O * d.C * d.KH * d.KW) / NAIVE_WORKGROUP_SIZE)),
};

export const conv2dBackwardFilter: GpuKernel<'conv2dBackwardFilter'> = {
  shader: 'conv2d_backward_filter',
  source,
  entryPoint: () => 'conv2d_backward_filter',
  overrides: () => ({ WORKGROUP_SIZE: REDUCTION_THREADS }),
  params,
  workgroups: (d) => linearGrid(d.O * d.C * d.KH * d.KW),
  naive: conv2dBackwardFilterNaive,
};
