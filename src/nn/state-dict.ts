// The net's state from outside: state_dict reads and loads, safetensors files, and pruning masks.
import type { Backend } from '../backend/backend.js';
import { EngineError, ShapeError } from '../errors.js';
import { checkStateDict, parseSafetensors, serializeSafetensors, type SafetensorsInput } from '../io/safetensors.js';
import { formatShape, sizeOf, type Shape } from '../tensor-meta.js';
import type { NetState } from './net-state.js';
import type { TrainingQueue } from './train-queue.js';

/** The bodies of Net's state methods, after their liveness checks. */
export class StateDictAccess {
  constructor(
    private readonly backend: Backend,
    private readonly state: NetState,
    private readonly queue: TrainingQueue,
  ) {}

  async stateDict(): Promise<Record<string, Float32Array>> {
    await this.queue.settle();
    const names = [...this.state.tensors.keys()];
    const values = await Promise.all(names.map((name) => this.state.read(name, this.queue.phase)));
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  }

  async readParameter(name: string): Promise<Float32Array> {
    this.state.requireTensor('readParameter', name);
    await this.queue.settle();
    return this.state.read(name, this.queue.phase);
  }

  async loadStateDict(values: Readonly<Record<string, Float32Array>>): Promise<void> {
    for (const [name, data] of Object.entries(values)) {
      const stored = this.state.requireTensor('loadStateDict', name);
      if (!(data instanceof Float32Array) || data.length !== sizeOf(stored.shape)) {
        throw new ShapeError('loadStateDict', `'${name}' needs ${sizeOf(stored.shape)} float32 values ${formatShape(stored.shape)}`, {
          [name]: [data instanceof Float32Array ? data.length : 0],
        });
      }
    }
    await this.queue.beforeEdit();
    for (const [name, data] of Object.entries(values)) {
      const stored = this.state.tensors.get(name)!;
      for (const buffer of new Set(stored.buffers)) this.backend.write(buffer, data);
      if (this.state.masks.has(name)) this.state.applyMask(name, this.queue.phase);
    }
    this.queue.afterEdit();
  }

  /**
   * Parses and checks a safetensors file against the state; returns every float tensor by name (for loadStateDict) and
   * a function that sets the counters from the file once those are loaded.
   */
  readSafetensors(bytes: Uint8Array): { floats: Record<string, Float32Array>; setCounters: () => void } {
    const file = parseSafetensors(bytes);
    const expected: Record<string, Shape> = {};
    for (const [name, stored] of this.state.tensors) expected[name] = stored.shape;
    for (const name of this.state.counterBase.keys()) if (file.tensors.has(name)) expected[name] = [];
    checkStateDict(expected, file.tensors, 'safetensors file');
    const floats: Record<string, Float32Array> = {};
    for (const name of this.state.tensors.keys()) floats[name] = file.tensors.get(name)!.data;
    const setCounters = (): void => {
      for (const name of this.state.counterBase.keys()) {
        const counter = file.tensors.get(name)?.data[0] ?? 0;
        this.state.counterBase.set(name, counter - this.queue.dispatched);
      }
    };
    return { floats, setCounters };
  }

  /** The state_dict values and the counters as a safetensors file (num_batches_tracked as int64). */
  toSafetensors(values: Record<string, Float32Array>): Uint8Array {
    const tensors: Record<string, SafetensorsInput> = {};
    for (const [name, data] of Object.entries(values)) tensors[name] = { shape: this.state.tensors.get(name)!.shape, data };
    for (const [name, base] of this.state.counterBase)
      tensors[name] = { shape: [], data: BigInt64Array.of(BigInt(base + this.queue.dispatched)) };
    return serializeSafetensors(tensors);
  }

  async setMask(name: string, mask: Float32Array): Promise<void> {
    const stored = this.state.requireTensor('setMask', name);
    const masks = this.state.masks;
    if (!masks.has(name)) {
      throw new EngineError(`setMask: '${name}' is a buffer, not a trainable parameter; masks apply to ${[...masks.keys()].join(', ')}`);
    }
    if (!(mask instanceof Float32Array) || mask.length !== sizeOf(stored.shape)) {
      throw new ShapeError('setMask', `the mask of '${name}' needs ${sizeOf(stored.shape)} float32 values ${formatShape(stored.shape)}`, {
        mask: [mask instanceof Float32Array ? mask.length : 0],
      });
    }
    const bad = mask.findIndex((m) => !Number.isFinite(m));
    if (bad >= 0) throw new EngineError(`setMask: the mask of '${name}' holds ${mask[bad]} at index ${bad}; masks must be finite`);
    await this.queue.beforeEdit();
    this.backend.write(masks.get(name)!, mask);
    this.state.applyMask(name, this.queue.phase);
    this.queue.afterEdit();
  }

  async readMask(name: string): Promise<Float32Array> {
    const mask = this.state.masks.get(name);
    if (!mask) throw new EngineError(`readMask: '${name}' is not a trainable parameter; masks: ${[...this.state.masks.keys()].join(', ')}`);
    await this.queue.settle();
    return new Float32Array(await this.backend.read(mask, sizeOf(this.state.tensors.get(name)!.shape) * 4));
  }
}
