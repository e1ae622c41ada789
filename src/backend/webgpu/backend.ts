// The WebGPU backend: pooled storage buffers, cached pipelines, and one command encoder per dispatch of kernels.
import { BackendUnavailableError, EngineError } from '../../errors.js';
import type { DimsOf, OpName } from '../../ops/defs.js';
import type { Backend, DeviceBuffer, KernelVariant, PreparedKernel } from '../backend.js';
import { checkCopy } from '../copy.js';
import { BufferPool, MAP_READ_MODE, Usage } from './buffers.js';
import { acquireDevice } from './device.js';
import type { GpuKernel, Param } from './kernel.js';
import { gpuKernels } from './kernels.js';
import { PipelineCache } from './pipelines.js';

const STORAGE_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;
const UNIFORM_USAGE = Usage.UNIFORM | Usage.COPY_DST;
const STAGING_USAGE = Usage.MAP_READ | Usage.COPY_DST;

class GpuBuffer implements DeviceBuffer {
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
  ) {}
}

/** What preparation bakes into a pipeline, a bind group and a dispatch; update() may change the params only. */
interface Launch {
  readonly entryPoint: string;
  /** The override constants, as the pipeline cache keys them. */
  readonly overrides: string;
  readonly workgroups: [number, number, number];
  /** Bytes of the packed params, the size the bind group gives the uniform. */
  readonly uniformBytes: number;
}

function launchOf<K extends OpName>(kernel: GpuKernel<K>, dims: DimsOf<K>, params: ArrayBuffer): Launch {
  return {
    entryPoint: kernel.entryPoint(dims),
    overrides: JSON.stringify(kernel.overrides(dims)),
    workgroups: kernel.workgroups(dims),
    uniformBytes: params.byteLength,
  };
}

class GpuPrepared<K extends OpName> implements PreparedKernel<K> {
  released = false;
  constructor(
    readonly op: K,
    readonly kernel: GpuKernel<K>,
    readonly launch: Launch,
    readonly pipeline: GPUComputePipeline,
    readonly bindGroup: GPUBindGroup,
    readonly uniform: GPUBuffer,
    private readonly pool: BufferPool,
  ) {}
  get workgroups(): [number, number, number] {
    return this.launch.workgroups;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.pool.release(this.uniform);
  }
}

class GpuCopy implements PreparedKernel<'copy'> {
  readonly op = 'copy' as const;
  constructor(
    readonly src: GPUBuffer,
    readonly srcByteOffset: number,
    readonly dst: GPUBuffer,
    readonly dstByteOffset: number,
    readonly bytes: number,
  ) {}
  release(): void {}
}

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  private readonly pool: BufferPool;
  private lost: string | undefined;

  private constructor(
    readonly device: GPUDevice,
    readonly description: string,
    readonly pipelines: PipelineCache,
  ) {
    this.pool = new BufferPool(device);
    void device.lost.then((info) => {
      this.lost = `WebGPU device lost (${info.reason}): ${info.message}`;
    });
  }

  /** With `allowSoftware: false`, a CPU renderer is refused (BackendUnavailableError) so 'auto' can pick WebAssembly. */
  static async create(options: { allowSoftware?: boolean } = {}): Promise<WebGpuBackend> {
    const { device, description, software } = await acquireDevice();
    if (software && options.allowSoftware === false) {
      device.destroy();
      throw new BackendUnavailableError(
        `webgpu: the only adapter is a software renderer (${description}), slower than WebAssembly here; pass backend 'webgpu' to use it anyway`,
      );
    }
    const pipelines = new PipelineCache(device);
    const backend = new WebGpuBackend(device, description, pipelines);
    const seen = new Set<string>();
    for (const fast of Object.values(gpuKernels) as GpuKernel<OpName>[]) {
      for (const kernel of fast.naive ? [fast, fast.naive] : [fast]) {
        if (seen.has(kernel.shader)) continue;
        seen.add(kernel.shader);
        await pipelines.compile(kernel.shader, kernel.source);
      }
    }
    return backend;
  }

  alloc(bytes: number): DeviceBuffer {
    this.checkAlive();
    return new GpuBuffer(this.pool.acquire(bytes, STORAGE_USAGE), bytes);
  }

  release(buffer: DeviceBuffer): void {
    this.pool.release((buffer as GpuBuffer).buffer);
  }

  write(buffer: DeviceBuffer, data: ArrayBufferView, byteOffset = 0): void {
    const target = (buffer as GpuBuffer).buffer;
    if (byteOffset + data.byteLength > target.size) {
      throw new RangeError(`webgpu: write of ${data.byteLength} bytes overflows a ${target.size}-byte buffer`);
    }
    // writeBuffer needs a multiple of 4 bytes; every tensor element is 4 bytes.
    this.device.queue.writeBuffer(target, byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  async read(buffer: DeviceBuffer, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive();
    this.pipelines.rethrow();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.pool.acquire(size, STAGING_USAGE);
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer((buffer as GpuBuffer).buffer, 0, staging, 0, size);
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(MAP_READ_MODE, 0, size);
      const copy = staging.getMappedRange(0, size).slice(0, bytes);
      staging.unmap();
      return copy;
    } finally {
      this.pool.release(staging);
    }
  }

  prepare<K extends OpName>(
    op: K,
    inputs: DeviceBuffer[],
    outputs: DeviceBuffer[],
    dims: DimsOf<K>,
    variant: KernelVariant = 'fast',
  ): PreparedKernel<K> {
    this.checkAlive();
    const fast = gpuKernels[op] as GpuKernel<K>;
    const kernel = variant === 'naive' ? fast.naive : fast;
    if (!kernel) throw new Error(`webgpu: op '${op}' has no naive variant`);
    const params = packParams(kernel.params(dims));
    const launch = launchOf(kernel, dims, params);
    const pipeline = this.pipelines.pipeline(kernel.shader, kernel.source, launch.entryPoint, kernel.overrides(dims));
    const uniform = this.pool.acquire(params.byteLength, UNIFORM_USAGE);
    this.device.queue.writeBuffer(uniform, 0, params);
    const buffers = [...inputs, ...outputs].map((b) => (b as GpuBuffer).buffer);
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: uniform, size: params.byteLength } });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    return new GpuPrepared(op, kernel, launch, pipeline, bindGroup, uniform, this.pool);
  }

  update<K extends OpName>(prepared: PreparedKernel<K>, dims: DimsOf<K>): void {
    this.checkAlive();
    if (!(prepared instanceof GpuPrepared)) {
      const op = (prepared as PreparedKernel).op;
      const why = op === 'copy' ? 'a copy has no dims' : 'the kernel was not prepared by this WebGPU backend';
      throw new EngineError(`webgpu: update of '${op}': ${why}`);
    }
    const kernel = prepared as GpuPrepared<K>;
    if (kernel.released) throw new EngineError(`webgpu: update of '${kernel.op}': the kernel was released`);
    const params = packParams(kernel.kernel.params(dims));
    const next = launchOf(kernel.kernel, dims, params);
    const before = kernel.launch;
    const changed = (what: string, from: string, to: string): never => {
      throw new EngineError(
        `webgpu: update of '${kernel.op}' would change the ${what} from ${from} to ${to}, which the prepared pipeline fixes; prepare a new kernel instead`,
      );
    };
    if (next.entryPoint !== before.entryPoint) changed('entry point', before.entryPoint, next.entryPoint);
    if (next.overrides !== before.overrides) changed('override constants', before.overrides, next.overrides);
    if (next.workgroups.some((count, i) => count !== before.workgroups[i])) {
      changed('workgroup count', `[${before.workgroups.join(', ')}]`, `[${next.workgroups.join(', ')}]`);
    }
    if (next.uniformBytes !== before.uniformBytes) changed('uniform size', `${before.uniformBytes} bytes`, `${next.uniformBytes} bytes`);
    this.device.queue.writeBuffer(kernel.uniform, 0, params);
  }

  prepareCopy(src: DeviceBuffer, srcByteOffset: number, dst: DeviceBuffer, dstByteOffset: number, bytes: number): PreparedKernel<'copy'> {
    this.checkAlive();
    checkCopy('webgpu', src, srcByteOffset, dst, dstByteOffset, bytes);
    return new GpuCopy((src as GpuBuffer).buffer, srcByteOffset, (dst as GpuBuffer).buffer, dstByteOffset, bytes);
  }

  /** One command encoder: consecutive kernels share a compute pass; a copy ends the pass and the next kernel opens one. */
  dispatch(kernels: readonly PreparedKernel[]): void {
    if (kernels.length === 0) return;
    const encoder = this.device.createCommandEncoder();
    let pass: GPUComputePassEncoder | undefined;
    for (const k of kernels) {
      if (k instanceof GpuCopy) {
        pass?.end();
        pass = undefined;
        encoder.copyBufferToBuffer(k.src, k.srcByteOffset, k.dst, k.dstByteOffset, k.bytes);
        continue;
      }
      const kernel = k as GpuPrepared<OpName>;
      pass ??= encoder.beginComputePass();
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, kernel.bindGroup);
      pass.dispatchWorkgroups(...kernel.workgroups);
    }
    pass?.end();
    this.device.queue.submit([encoder.finish()]);
  }

  async compileShader(name: string, source: string): Promise<void> {
    await this.pipelines.compile(name, source);
  }

  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.pipelines.rethrow();
  }

  poolStats(): { allocated: number; pooled: number; bytes: number } {
    return this.pool.stats();
  }

  async destroy(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.pool.destroy();
    this.device.destroy();
  }

  private checkAlive(): void {
    if (this.lost) throw new Error(this.lost);
  }
}

/** Writes params as consecutive 4-byte scalars, padded to 16 bytes (a uniform struct of scalars has this layout). */
function packParams(params: Param[]): ArrayBuffer {
  const buffer = new ArrayBuffer(Math.max(16, Math.ceil((params.length * 4) / 16) * 16));
  const view = new DataView(buffer);
  params.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else view.setUint32(i * 4, value, true);
  });
  return buffer;
}
