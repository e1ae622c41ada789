// Dispatch helpers shared by the WebGPU bindings: one thread per element, and workgroup shapes for reductions.
import { linearGrid } from '../kernel.js';

/** Threads per workgroup of the one-thread-per-element shaders (their WORKGROUP_SIZE override). */
export const ELEMENTWISE_WORKGROUP_SIZE = 256;

/** Workgroups covering `size` elements at one per thread, spread over a 2-D grid when there are many. */
export function elementwiseGrid(size: number): [number, number, number] {
  return linearGrid(Math.ceil(size / ELEMENTWISE_WORKGROUP_SIZE));
}

/** The smallest power of two at least n (n >= 1). */
export function powerOfTwoAtLeast(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/**
 * Threads for a workgroup that reduces `terms` values into each of `outputs` outputs (outputs a power of two): enough
 * lanes per output to cover the terms, within one SIMD group (32) and the 256 the shaders are tuned for.
 */
export function reductionWorkgroupSize(terms: number, outputs = 1): number {
  return Math.min(256, Math.max(32, powerOfTwoAtLeast(terms) * outputs));
}

/**
 * Channels one workgroup reduces (moments.wgsl and node_statistic.wgsl): one when each channel's values come in runs
 * (S > 1); with S == 1 neighbouring channels are neighbours in memory, so up to 32 share a workgroup and its loads.
 */
export function channelsPerGroup(d: { C: number; S: number }): number {
  return d.S === 1 ? Math.min(32, powerOfTwoAtLeast(d.C)) : 1;
}
