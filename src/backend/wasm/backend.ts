// The WebAssembly backend: AssemblyScript kernels over one linear memory, split across worker threads when it is shared.
import type { DimsOf, OpName } from '../../ops/defs.js';
import { detectRuntime, hardwareThreads, sharedMemoryAvailable } from '../../platform/runtime.js';
import type { Backend, DeviceBuffer, KernelVariant, PreparedKernel } from '../backend.js';
import { Heap, type HeapBlock } from './heap.js';
import { PARALLEL_WORK_THRESHOLD, type WasmKernel } from './kernel.js';
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

type KernelExports = Record<string, (...args: number[]) => void> & { heapBase(): number };

class WasmBuffer implements DeviceBuffer {
  constructor(readonly block: HeapBlock) {}
  get bytes(): number {
    return this.block.bytes;
  }
}

class WasmPrepared implements PreparedKernel {
  constructor(
    readonly op: OpName,
    readonly run: () => void,
    private readonly scratch: HeapBlock | undefined,
    private readonly heap: Heap,
  ) {}
  release(): void {
    if (this.scratch) this.heap.release(this.scratch);
  }
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
    return new WasmBuffer(this.heap.alloc(bytes));
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
  ): PreparedKernel {
    const fast = wasmKernels[op] as WasmKernel<K>;
    const kernel = variant === 'naive' ? fast.naive : fast;
    if (!kernel) throw new Error(`wasm: op '${op}' has no naive variant`);
    const fn = this.exports[kernel.fn];
    if (typeof fn !== 'function') throw new Error(`wasm: the module has no export '${kernel.fn}' for op '${op}'`);
    const threads = kernel.parallel && kernel.work(dims) >= PARALLEL_WORK_THRESHOLD ? this.threads : 1;
    const scratchBytes = kernel.scratchBytes?.(dims, threads) ?? 0;
    const scratch = scratchBytes > 0 ? this.heap.alloc(scratchBytes) : undefined;
    const args = kernel.args(
      {
        inputs: inputs.map((b) => (b as WasmBuffer).block.ptr),
        outputs: outputs.map((b) => (b as WasmBuffer).block.ptr),
        scratch: scratch?.ptr ?? 0,
      },
      dims,
    );
    const pool = this.pool;
    let run: () => void;
    if (!kernel.parallel) run = () => fn(...args);
    else if (pool && threads > 1) run = () => pool.run(fn, kernel.fn, args, threads);
    else run = () => fn(...args, 0, 1);
    return new WasmPrepared(op, run, scratch, this.heap);
  }

  dispatch(kernels: readonly PreparedKernel[]): void {
    for (const kernel of kernels) (kernel as WasmPrepared).run();
  }

  async sync(): Promise<void> {}

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
