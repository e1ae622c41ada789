// WebGPU bindings of matmul: the tiled, register-blocked shader (shaders/matmul.wgsl) and its one-thread-per-output oracle.
import source from '../../../../shaders/matmul.wgsl';
import naiveSource from '../../../../shaders/matmul_naive.wgsl';
import { linearGrid, type GpuKernel } from '../kernel.js';
import { chooseMatmulTiling, tileCount } from './tiles.js';

const NAIVE_WORKGROUP_SIZE = 64;

const matmulNaive: GpuKernel<'matmul'> = {
  shader: 'matmul_naive',
  source: naiveSource,
  entryPoint: () => 'matmul_naive',
  overrides: () => ({ WORKGROUP_SIZE: NAIVE_WORKGROUP_SIZE }),
  params: (d) => [
    ['u32', d.batch],
    ['u32', d.M],
    ['u32', d.N],
    ['u32', d.K],
    ['u32', d.transposeA ? 1 : 0],
    ['u32', d.transposeB ? 1 : 0],
    ['u32', d.strideA],
    ['u32', d.strideB],
  ],
  workgroups: (d) => linearGrid(Math.ceil((d.batch * d.M * d.N) / NAIVE_WORKGROUP_SIZE)),
};

export const matmul: GpuKernel<'matmul'> = {
  shader: 'matmul',
  source,
  entryPoint: () => 'matmul',
  overrides: (d) => ({
    ...chooseMatmulTiling(d.M, d.N, d.batch),
    TRANSPOSE_A: d.transposeA ? 1 : 0,
    TRANSPOSE_B: d.transposeB ? 1 : 0,
  }),
  params: (d) => [
    ['u32', d.batch],
    ['u32', d.M],
    ['u32', d.N],
    ['u32', d.K],
    ['u32', d.strideA],
    ['u32', d.strideB],
  ],
  workgroups: (d) => linearGrid(tileCount(chooseMatmulTiling(d.M, d.N, d.batch), d.M, d.N, d.batch)),
  naive: matmulNaive,
};
