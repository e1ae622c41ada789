// WebGPU binding of reduce: [outer, R, inner] to [outer, inner] by workgroup tree reductions over R (shaders/reduce.wgsl).
import source from '../../../../shaders/reduce.wgsl';
import type { DimsOf } from '../../../ops/defs.js';
import { linearGrid, type GpuKernel } from '../kernel.js';
import { powerOfTwoAtLeast, reductionWorkgroupSize } from './dispatch.js';

/** Neighbouring outputs one workgroup reduces: one when inner == 1, else up to 32 so loads along inner coalesce. */
function outputsPerGroup(d: DimsOf<'reduce'>): number {
  return Math.min(32, powerOfTwoAtLeast(d.inner));
}

export const reduce: GpuKernel<'reduce'> = {
  shader: 'reduce',
  source,
  entryPoint: () => 'reduce',
  overrides: (d) => {
    const outputs = outputsPerGroup(d);
    return { OUTPUTS_PER_GROUP: outputs, WORKGROUP_SIZE: reductionWorkgroupSize(d.R, outputs), OP: d.op };
  },
  params: (d) => [
    ['u32', d.outer],
    ['u32', d.R],
    ['u32', d.inner],
  ],
  workgroups: (d) => linearGrid(d.outer * Math.ceil(d.inner / outputsPerGroup(d))),
};
