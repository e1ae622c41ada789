// The one interface both backends implement: allocate, write, read, prepare and dispatch kernels.
import type { DimsOf, OpName } from '../ops/defs.js';

export type BackendKind = 'webgpu' | 'wasm';

/** 'fast' is the kernel the engine runs; 'naive' is its straightforward oracle, kept for tests where one exists. */
export type KernelVariant = 'fast' | 'naive';

/** Device memory owned by a backend; its contents are opaque to the engine. */
export interface DeviceBuffer {
  readonly bytes: number;
}

/** What a prepared kernel runs: a primitive op, or 'copy' (Backend.prepareCopy: bytes from one buffer to another). */
export type PreparedOp = OpName | 'copy';

/** A kernel bound to its buffers and dimensions, ready to be dispatched any number of times. */
export interface PreparedKernel<K extends PreparedOp = PreparedOp> {
  readonly op: K;
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
  ): PreparedKernel<K>;
  /**
   * Re-targets a prepared kernel at new dims of the same op without allocating anything, for numbers that change
   * between dispatches (Adam's bias corrections every step, a learning rate between epochs). The new dims must describe
   * the same bound buffers, and must not change what preparation baked in: on WebGPU the entry point, the override
   * constants, the workgroup count and the uniform size (the params are rewritten in place, ordered after every
   * earlier dispatch and before every later one); on WebAssembly the scratch size may not grow. Throws EngineError
   * naming the op and what would change; prepare a new kernel then. A dispatch list holds one set of dims per kernel.
   */
  update<K extends OpName>(kernel: PreparedKernel<K>, dims: DimsOf<K>): void;
  /**
   * A copy of `bytes` bytes from `src` at `srcByteOffset` to `dst` at `dstByteOffset`, to be dispatched in a list
   * with kernels and run in its place in the order (on WebGPU, inside the same command encoder). Offsets and size
   * must be multiples of 4, the ranges inside both buffers (their requested sizes), and src and dst different
   * buffers; otherwise EngineError naming the numbers. Its release() frees nothing: the buffers stay with their owners.
   */
  prepareCopy(src: DeviceBuffer, srcByteOffset: number, dst: DeviceBuffer, dstByteOffset: number, bytes: number): PreparedKernel<'copy'>;
  /** Runs kernels and copies in order; on WebGPU, as one command encoder and one submit. */
  dispatch(kernels: readonly PreparedKernel[]): void;
  /** Compiles WGSL and throws ShaderCompileError on failure (WebGPU only: the WebAssembly backend has no shaders). */
  compileShader?(name: string, source: string): Promise<void>;
  /** Resolves when every dispatched kernel has finished. */
  sync(): Promise<void>;
  /** Buffers currently allocated from the device and held in the pool (for tests and diagnostics). */
  poolStats(): { allocated: number; pooled: number; bytes: number };
  destroy(): Promise<void>;
}
