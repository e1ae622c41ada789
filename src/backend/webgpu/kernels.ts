// The WebGPU kernel table: one entry per primitive op; a missing op fails to compile.
import type { GpuKernelTable } from './kernel.js';
import { relu, reluMask } from './kernels/relu.js';

export const gpuKernels: GpuKernelTable = {
  relu,
  reluMask,
} as GpuKernelTable;
