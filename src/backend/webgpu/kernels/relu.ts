// WebGPU bindings of relu and its derivative mask (shaders/relu.wgsl).
import source from '../../../../shaders/relu.wgsl';
import type { GpuKernel } from '../kernel.js';
import { ELEMENTWISE_WORKGROUP_SIZE, elementwiseGrid } from './dispatch.js';

function elementwise<K extends 'relu' | 'reluMask'>(entry: string): GpuKernel<K> {
  return {
    shader: 'relu',
    source,
    entryPoint: () => entry,
    overrides: () => ({ WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP_SIZE }),
    params: (d) => [['u32', d.size]],
    workgroups: (d) => elementwiseGrid(d.size),
  };
}

export const relu = elementwise<'relu'>('relu');
export const reluMask = elementwise<'reluMask'>('relu_mask');
