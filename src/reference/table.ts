// The naive TypeScript reference kernels: plain loops in float64 accumulators, the oracle every backend is checked against.
import type { DimsOf, OpName } from '../ops/defs.js';

export type HostArray = Float32Array | Int32Array;

/** Takes the op's inputs in declared order and returns its outputs in declared order. */
export type ReferenceKernel<K extends OpName> = (inputs: HostArray[], dims: DimsOf<K>) => HostArray[];

export type ReferenceTable = { [K in OpName]: ReferenceKernel<K> };
