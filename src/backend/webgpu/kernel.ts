// The contract between an op and its WGSL shader: bindings, uniform parameters, overrides and dispatch size.
import type { DimsOf, OpName } from '../../ops/defs.js';

/** One field of a shader's uniform `Params` struct, all 4-byte scalars in declaration order. */
export type Param = ['u32' | 'i32' | 'f32', number];

/**
 * A WGSL kernel. Bindings in group 0: the op's inputs (read-only storage) in declared order, then its outputs
 * (read-write storage), then the uniform `Params` struct.
 */
export interface GpuKernel<K extends OpName> {
  /** File name under shaders/ without the extension, named in errors and pipeline keys. */
  shader: string;
  source: string;
  entryPoint(dims: DimsOf<K>): string;
  /** Pipeline-overridable constants (workgroup and tile sizes, operator codes). */
  overrides(dims: DimsOf<K>): Record<string, number>;
  params(dims: DimsOf<K>): Param[];
  workgroups(dims: DimsOf<K>): [number, number, number];
  /** The straightforward version of the same contract, kept as an oracle for this one. */
  naive?: GpuKernel<K>;
}

export type GpuKernelTable = { [K in OpName]: GpuKernel<K> };

/** Per-dimension limit on workgroups in a dispatch (WebGPU's default maxComputeWorkgroupsPerDimension). */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * Spreads `count` workgroups over x and y so no dimension passes the limit; shaders recover the linear index as
 * `wid.x + wid.y * nwg.x` and skip indices past `count`.
 */
export function linearGrid(count: number): [number, number, number] {
  const x = Math.min(Math.max(count, 1), MAX_WORKGROUPS_PER_DIMENSION);
  return [x, Math.ceil(Math.max(count, 1) / x), 1];
}
