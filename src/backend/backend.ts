// The one interface both backends implement: allocate, write, read, prepare and dispatch kernels.
import type { DimsOf, OpName } from '../ops/defs.js';

export type BackendKind = 'webgpu' | 'wasm';

/** 'fast' is the kernel the engine runs; 'naive' is its straightforward oracle, kept for tests where one exists. */
export type KernelVariant = 'fast' | 'naive';

/** Device memory owned by a backend; its contents are opaque to the engine. */
export interface DeviceBuffer {
  readonly bytes: number;
}

/** A kernel bound to its buffers and dimensions, ready to be dispatched any number of times. */
export interface PreparedKernel {
  readonly op: OpName;
  /** Frees what preparation allocated (uniforms, scratch). The bound buffers stay with their owners. */
  release(): void;
}

export interface Backend {
  readonly kind: BackendKind;
  /** What runs the kernels: the GPU adapter, or the WebAssembly build and its threads. */
  readonly description: string;
  /** A buffer of at least `bytes` bytes, from the pool when one is free. */
  alloc(bytes: number): DeviceBuffer;
  /** Returns a buffer to the pool. */
  release(buffer: DeviceBuffer): void;
  write(buffer: DeviceBuffer, data: ArrayBufferView, byteOffset?: number): void;
  /** Copies `bytes` bytes from the buffer, after all dispatched work that writes it has finished. */
  read(buffer: DeviceBuffer, bytes: number): Promise<ArrayBuffer>;
  prepare<K extends OpName>(
    op: K,
    inputs: DeviceBuffer[],
    outputs: DeviceBuffer[],
    dims: DimsOf<K>,
    variant?: KernelVariant,
  ): PreparedKernel;
  /** Runs kernels in order; on WebGPU, as one command encoder and one submit. */
  dispatch(kernels: readonly PreparedKernel[]): void;
  /** Compiles WGSL and throws ShaderCompileError on failure (WebGPU only: the WebAssembly backend has no shaders). */
  compileShader?(name: string, source: string): Promise<void>;
  /** Resolves when every dispatched kernel has finished. */
  sync(): Promise<void>;
  /** Buffers currently allocated from the device and held in the pool (for tests and diagnostics). */
  poolStats(): { allocated: number; pooled: number; bytes: number };
  destroy(): Promise<void>;
}
