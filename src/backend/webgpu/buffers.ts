// Pools of GPU buffers keyed by usage and size class, so repeated work does not allocate.
import { sizeClass } from '../wasm/heap.js';

/** WebGPU's buffer usage and map-mode flags (spec constants; Node has no GPUBufferUsage global before Dawn loads). */
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_READ_MODE = 0x1;

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private live = 0;
  private pooled = 0;
  private bytes = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, usage: number): GPUBuffer {
    const size = sizeClass(Math.max(bytes, 16));
    const reuse = this.free.get(`${usage}:${size}`)?.pop();
    this.live++;
    if (reuse) {
      this.pooled--;
      return reuse;
    }
    this.bytes += size;
    return this.device.createBuffer({ size, usage });
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.live--;
    this.pooled++;
  }

  stats(): { allocated: number; pooled: number; bytes: number } {
    return { allocated: this.live, pooled: this.pooled, bytes: this.bytes };
  }

  destroy(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
  }
}
