// Allocator over the WebAssembly linear memory: 64-byte aligned blocks, reused by size class, growing the memory on demand.
import { EngineError } from '../../errors.js';

const ALIGN = 64;
const PAGE = 65536;

export interface HeapBlock {
  readonly ptr: number;
  readonly bytes: number;
}

/** Rounds a request up to its size class: 64-byte steps below 4 KiB, then steps of 1/8 of the next power of two. */
export function sizeClass(bytes: number): number {
  const n = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (n <= 4096) return n;
  const step = 2 ** Math.floor(Math.log2(n - 1)) / 8;
  return Math.ceil(n / step) * step;
}

export class Heap {
  private top: number;
  private readonly free = new Map<number, number[]>();
  private live = 0;
  private pooled = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
    private readonly maximumBytes: number,
  ) {
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  alloc(bytes: number): HeapBlock {
    const size = sizeClass(bytes);
    const reuse = this.free.get(size)?.pop();
    this.live++;
    if (reuse !== undefined) {
      this.pooled--;
      return { ptr: reuse, bytes: size };
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > this.maximumBytes) {
      this.live--;
      throw new EngineError(
        `wasm: out of memory allocating ${bytes} bytes (${(this.top / 2 ** 20).toFixed(1)} MiB in use, limit ${this.maximumBytes / 2 ** 20} MiB)`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return { ptr, bytes: size };
  }

  release(block: HeapBlock): void {
    let list = this.free.get(block.bytes);
    if (!list) this.free.set(block.bytes, (list = []));
    list.push(block.ptr);
    this.live--;
    this.pooled++;
  }

  stats(): { allocated: number; pooled: number; bytes: number } {
    return { allocated: this.live, pooled: this.pooled, bytes: this.top };
  }
}
