// WebGPU binding of the elementwise binary ops (shaders/binary.wgsl); the operator is a pipeline constant.
import source from '../../../../shaders/binary.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

export const binary: GpuKernel<'binary'> = {
  shader: 'binary',
  source,
  entryPoint: () => 'binary',
  overrides: (d) => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE, OP: d.op }),
  params: (d) => [['u32', d.size]],
  workgroups: (d) => elementwiseGrid(d.size),
};
