// The WebAssembly backend: AssemblyScript kernels over one linear memory, split across worker threads when it is shared.
import { EngineError } from '../../errors.js';
import type { DimsOf, OpName } from '../../ops/defs.js';
import { detectRuntime, hardwareThreads, sharedMemoryAvailable } from '../../platform/runtime.js';
import type { Backend, DeviceBuffer, KernelVariant, PreparedKernel } from '../backend.js';
import { checkCopy } from '../copy.js';
import { Heap, type HeapBlock } from './heap.js';
import { PARALLEL_WORK_THRESHOLD, type WasmKernel, type WasmPointers } from './kernel.js';
import { wasmKernels } from './kernels.js';
import { CONTROL_BYTES, ThreadPool } from './threads.js';
import singleThreadWasm from '../../../build/wasm/kernels.wasm';
import sharedWasm from '../../../build/wasm/kernels-shared.wasm';

const PAGE = 65536;
/** 2 GiB: large enough for VGG-sized training, small enough for browsers to reserve. */
const MAXIMUM_PAGES = 32768;

export interface WasmBackendOptions {
  /** Threads including the caller's; default: the hardware's, at most 8. 1 disables workers. */
  threads?: number;
}

type KernelFunction = (...args: number[]) => void;
type KernelExports = Record<string, KernelFunction> & { heapBase(): number };

class WasmBuffer implements DeviceBuffer {
  /** `bytes` is the size asked for; the block may be larger (its size class). */
  constructor(
    readonly block: HeapBlock,
    readonly bytes: number,
  ) {}
}

/** A kernel's export and argument list; update() replaces the arguments (and the thread count) in place. */
class WasmPrepared<K extends OpName> implements PreparedKernel<K> {
  released = false;
  constructor(
    readonly op: K,
    readonly kernel: WasmKernel<K>,
    readonly fn: KernelFunction,
    readonly pointers: WasmPointers,
    /** Scratch bytes asked for at preparation; later dims may need no more. */
    readonly scratchBytes: number,
    public args: number[],
    public threads: number,
    private readonly scratch: HeapBlock | undefined,
    private readonly heap: Heap,
  ) {}
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.scratch) this.heap.release(this.scratch);
  }
}

class WasmCopy implements PreparedKernel<'copy'> {
  readonly op = 'copy' as const;
  constructor(
    readonly src: number,
    readonly dst: number,
    readonly bytes: number,
  ) {}
  release(): void {}
}

export class WasmBackend implements Backend {
  readonly kind = 'wasm' as const;

  private constructor(
    readonly description: string,
    private readonly memory: WebAssembly.Memory,
    private readonly exports: KernelExports,
    private readonly heap: Heap,
    private readonly pool: ThreadPool | undefined,
  ) {}

  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const runtime = detectRuntime();
    const wanted = options.threads ?? Math.min(8, await hardwareThreads(runtime));
    const shared = wanted > 1 && sharedMemoryAvailable();
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAXIMUM_PAGES, shared });
    const module = await WebAssembly.compile(shared ? sharedWasm : singleThreadWasm);
    const instance = await WebAssembly.instantiate(module, { env: { memory, abort: wasmAbort } });
    const exports = instance.exports as unknown as KernelExports;
    const heap = new Heap(memory, exports.heapBase(), MAXIMUM_PAGES * PAGE);
    let pool: ThreadPool | undefined;
    if (shared) {
      const control = heap.alloc(CONTROL_BYTES).ptr;
      const kernels = Object.values(wasmKernels) as WasmKernel<OpName>[];
      const names = [...new Set(kernels.flatMap((k) => (k.naive ? [k.fn, k.naive.fn] : [k.fn])))];
      pool = await ThreadPool.start(module, memory, control, wanted - 1, names);
    }
    const threads = pool?.size ?? 1;
    const why = shared ? '' : wanted > 1 ? ' (SharedArrayBuffer unavailable: not cross-origin isolated)' : '';
    return new WasmBackend(`WebAssembly SIMD, ${threads} thread${threads > 1 ? 's' : ''}${why}`, memory, exports, heap, pool);
  }

  get threads(): number {
    return this.pool?.size ?? 1;
  }

  alloc(bytes: number): DeviceBuffer {
    return new WasmBuffer(this.heap.alloc(bytes), bytes);
  }

  release(buffer: DeviceBuffer): void {
    this.heap.release((buffer as WasmBuffer).block);
  }

  write(buffer: DeviceBuffer, data: ArrayBufferView, byteOffset = 0): void {
    const { ptr, bytes } = (buffer as WasmBuffer).block;
    if (byteOffset + data.byteLength > bytes)
      throw new RangeError(`wasm: write of ${data.byteLength} bytes overflows a ${bytes}-byte buffer`);
    new Uint8Array(this.memory.buffer, ptr + byteOffset, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  }

  async read(buffer: DeviceBuffer, bytes: number): Promise<ArrayBuffer> {
    return this.readSync(buffer, bytes);
  }

  /** The WebAssembly backend computes eagerly, so its buffers can be read at once. */
  readSync(buffer: DeviceBuffer, bytes: number): ArrayBuffer {
    const { ptr } = (buffer as WasmBuffer).block;
    return new Uint8Array(this.memory.buffer, ptr, bytes).slice().buffer;
  }

  prepare<K extends OpName>(
    op: K,
    inputs: DeviceBuffer[],
    outputs: DeviceBuffer[],
    dims: DimsOf<K>,
    variant: KernelVariant = 'fast',
  ): PreparedKernel<K> {
    const fast = wasmKernels[op] as WasmKernel<K>;
    const kernel = variant === 'naive' ? fast.naive : fast;
    if (!kernel) throw new Error(`wasm: op '${op}' has no naive variant`);
    const fn = this.exports[kernel.fn];
    if (typeof fn !== 'function') throw new Error(`wasm: the module has no export '${kernel.fn}' for op '${op}'`);
    const threads = this.threadsFor(kernel, dims);
    const scratchBytes = kernel.scratchBytes?.(dims, threads) ?? 0;
    const scratch = scratchBytes > 0 ? this.heap.alloc(scratchBytes) : undefined;
    const pointers: WasmPointers = {
      inputs: inputs.map((b) => (b as WasmBuffer).block.ptr),
      outputs: outputs.map((b) => (b as WasmBuffer).block.ptr),
      scratch: scratch?.ptr ?? 0,
    };
    const args = kernel.args(pointers, dims);
    return new WasmPrepared(op, kernel, fn, pointers, scratchBytes, args, threads, scratch, this.heap);
  }

  update<K extends OpName>(prepared: PreparedKernel<K>, dims: DimsOf<K>): void {
    if (!(prepared instanceof WasmPrepared)) {
      const op = (prepared as PreparedKernel).op;
      const why = op === 'copy' ? 'a copy has no dims' : 'the kernel was not prepared by this WebAssembly backend';
      throw new EngineError(`wasm: update of '${op}': ${why}`);
    }
    const kernel = prepared as WasmPrepared<K>;
    if (kernel.released) throw new EngineError(`wasm: update of '${kernel.op}': the kernel was released`);
    const threads = this.threadsFor(kernel.kernel, dims);
    const scratchBytes = kernel.kernel.scratchBytes?.(dims, threads) ?? 0;
    if (scratchBytes > kernel.scratchBytes) {
      throw new EngineError(
        `wasm: update of '${kernel.op}' needs ${scratchBytes} bytes of scratch on ${threads} thread(s), more than the ${kernel.scratchBytes} prepared; prepare a new kernel instead`,
      );
    }
    kernel.args = kernel.kernel.args(kernel.pointers, dims);
    kernel.threads = threads;
  }

  prepareCopy(src: DeviceBuffer, srcByteOffset: number, dst: DeviceBuffer, dstByteOffset: number, bytes: number): PreparedKernel<'copy'> {
    checkCopy('wasm', src, srcByteOffset, dst, dstByteOffset, bytes);
    return new WasmCopy((src as WasmBuffer).block.ptr + srcByteOffset, (dst as WasmBuffer).block.ptr + dstByteOffset, bytes);
  }

  dispatch(kernels: readonly PreparedKernel[]): void {
    const pool = this.pool;
    for (const k of kernels) {
      if (k instanceof WasmCopy) {
        new Uint8Array(this.memory.buffer).copyWithin(k.dst, k.src, k.src + k.bytes);
        continue;
      }
      const { kernel, fn, args, threads } = k as WasmPrepared<OpName>;
      if (!kernel.parallel) fn(...args);
      else if (pool && threads > 1) pool.run(fn, kernel.fn, args, threads);
      else fn(...args, 0, 1);
    }
  }

  async sync(): Promise<void> {}

  /** One thread below the work threshold or for a serial export, else every thread of the pool. */
  private threadsFor<K extends OpName>(kernel: WasmKernel<K>, dims: DimsOf<K>): number {
    return kernel.parallel && kernel.work(dims) >= PARALLEL_WORK_THRESHOLD ? this.threads : 1;
  }

  /** Wakes idle pool workers with no new job (see ThreadPool.wakeIdle); 0 without workers or when none was asleep. */
  wakeIdleWorkers(): number {
    return this.pool?.wakeIdle() ?? 0;
  }

  poolStats(): { allocated: number; pooled: number; bytes: number } {
    return this.heap.stats();
  }

  async destroy(): Promise<void> {
    this.pool?.terminate();
  }
}

function wasmAbort(): never {
  throw new Error('wasm kernel aborted');
}
