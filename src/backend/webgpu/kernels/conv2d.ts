// WebGPU bindings of conv2d: the implicit-GEMM shader (shaders/conv2d.wgsl) and its direct-loop oracle.
import source from '../../../../shaders/conv2d.wgsl';
import naiveSource from '../../../../shaders/conv2d_naive.wgsl';
import type { DimsOf } from '../../../ops/defs.js';
import { linearGrid, type GpuKernel, type Param } from '../kernel.js';
import { chooseTiling, tileCount } from './tiles.js';

const NAIVE_WORKGROUP_SIZE = 64;

type ConvDims = DimsOf<'conv2d'>;

function params(d: ConvDims): Param[] {
  return [d.N, d.C, d.H, d.W, d.O, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.OH, d.OW].map((v): Param => ['u32', v]);
}

/** The GEMM the shader computes: output channels x output pixels. */
function tiling(d: ConvDims) {
  return chooseTiling(d.O, d.N * d.OH * d.OW);
}

const conv2dNaive: GpuKernel<'conv2d'> = {
  shader: 'conv2d_naive',
  source: naiveSource,
  entryPoint: () => 'conv2d_naive',
  overrides: () => ({ WORKGROUP_SIZE: NAIVE_WORKGROUP_SIZE }),
  params,
  workgroups: (d) => linearGrid(Math.ceil((d.N * d.O * d.OH * d.OW) / NAIVE_WORKGROUP_SIZE)),
};

export const conv2d: GpuKernel<'conv2d'> = {
  shader: 'conv2d',
  source,
  entryPoint: () => 'conv2d',
  overrides: (d) => ({ ...tiling(d) }),
  params,
  workgroups: (d) => linearGrid(tileCount(tiling(d), d.O, d.N * d.OH * d.OW)),
  naive: conv2dNaive,
};
