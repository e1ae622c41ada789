// WebGPU bindings of relu and its derivative mask (shaders/relu.wgsl).
import source from '../../../../shaders/relu.wgsl';
import { linearGrid, type GpuKernel } from '../kernel.js';

const WORKGROUP_SIZE = 256;

function elementwise<K extends 'relu' | 'reluMask'>(entry: string): GpuKernel<K> {
  return {
    shader: 'relu',
    source,
    entryPoint: () => entry,
    overrides: () => ({ WORKGROUP_SIZE }),
    params: (d) => [['u32', d.size]],
    workgroups: (d) => linearGrid(Math.ceil(d.size / WORKGROUP_SIZE)),
  };
}

export const relu = elementwise<'relu'>('relu');
export const reluMask = elementwise<'reluMask'>('relu_mask');
