// The contract between an op and its AssemblyScript export: argument order, threading and scratch memory.
import type { DimsOf, OpName } from '../../ops/defs.js';

export interface WasmPointers {
  /** Byte addresses of the inputs, in the op's declared order. */
  inputs: number[];
  /** Byte addresses of the outputs, in the op's declared order. */
  outputs: number[];
  /** Byte address of the scratch block (0 when the kernel asks for none). */
  scratch: number;
}

export interface WasmKernel<K extends OpName> {
  /** The AssemblyScript export that runs the op. */
  fn: string;
  /** True when the export takes (tid, threads) as its last two arguments and does its share of the work. */
  parallel: boolean;
  /** The export's arguments before (tid, threads). */
  args(ptrs: WasmPointers, dims: DimsOf<K>): number[];
  /** A measure of the work (multiply-adds or elements touched); below a threshold one thread runs it. */
  work(dims: DimsOf<K>): number;
  /** Bytes of scratch memory the export needs when run on `threads` threads. */
  scratchBytes?(dims: DimsOf<K>, threads: number): number;
  /** The straightforward version of the same contract, kept as an oracle for this one. */
  naive?: WasmKernel<K>;
}

export type WasmKernelTable = { [K in OpName]: WasmKernel<K> };

/** Work below which a kernel runs on one thread: waking workers costs a few microseconds. */
export const PARALLEL_WORK_THRESHOLD = 1 << 15;
