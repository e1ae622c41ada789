// The net's device-resident state: parameters and buffers (ping-pong pairs where the train step writes them), optimizer state, masks.
import type { Backend, DeviceBuffer, PreparedKernel } from '../backend/backend.js';
import { EngineError } from '../errors.js';
import type { TensorMeta } from '../ops/defs.js';
import { opSpecs } from '../ops/specs.js';
import { formatShape, sizeOf, type Shape } from '../tensor-meta.js';
import type { NetBlueprint } from './compile.js';
import type { ParameterUpdate } from './types.js';

/** A tensor of the net's state: one device buffer, or two that the train step alternates between (read one, write the other). */
export interface StoredTensor {
  readonly name: string;
  readonly shape: Shape;
  readonly bytes: number;
  readonly buffers: readonly [DeviceBuffer, DeviceBuffer];
  /** Checkpoint copies for the two alternating loss blocks (ping-pong tensors, when checkpoints are on). */
  readonly snapshots?: readonly [DeviceBuffer, DeviceBuffer];
}

/**
 * Every tensor the net keeps on the device, and every buffer and kernel it owns. The phase passed to reads (the step
 * count's parity) picks which buffer of each ping-pong pair holds the current values.
 */
export class NetState {
  /** Parameters and float buffers by state_dict name, in state_dict order. */
  readonly tensors = new Map<string, StoredTensor>();
  /** Pruning mask of every trainable parameter, by name. */
  readonly masks = new Map<string, DeviceBuffer>();
  /** The int64 counters (num_batches_tracked), each stored as its value minus the steps dispatched. */
  readonly counterBase = new Map<string, number>();
  private readonly optimizerState = new Map<string, StoredTensor>();
  private readonly ownedBuffers: DeviceBuffer[] = [];
  private readonly ownedKernels: PreparedKernel[] = [];

  /** With checkpoints, every ping-pong tensor also gets two snapshot buffers. */
  constructor(
    private readonly backend: Backend,
    private readonly checkpoints: boolean,
  ) {}

  /**
   * Allocates every parameter and float buffer with its initial values (state_dict order), as a ping-pong pair when the
   * train step updates it, plus a mask of ones per trainable parameter, and sets the counters to 0.
   */
  allocateParameters(blueprint: NetBlueprint, initial: ReadonlyMap<string, { values: Float32Array }>, updated: ReadonlySet<string>): void {
    for (const { name, spec } of blueprint.parameters) {
      const values = initial.get(name)?.values;
      if (!values || values.length !== sizeOf(spec.shape)) {
        throw new EngineError(`compile: no initial values of the right size for '${name}' ${formatShape(spec.shape)}`);
      }
      const stored = this.store(name, spec.shape, updated.has(name));
      for (const buffer of new Set(stored.buffers)) this.backend.write(buffer, values);
      this.tensors.set(name, stored);
      if (spec.trainable) {
        const mask = this.allocate(sizeOf(spec.shape) * 4);
        this.backend.write(mask, new Float32Array(sizeOf(spec.shape)).fill(1));
        this.masks.set(name, mask);
      }
    }
    for (const { name } of blueprint.counters) this.counterBase.set(name, 0);
  }

  /** Allocates the optimizer state of one parameter update (velocity, or m and v), zeroed, as ping-pong pairs. */
  allocateOptimizerState(update: ParameterUpdate, shape: Shape): void {
    for (const stateName of Object.keys(update.state)) {
      const stored = this.store(`optimizer.${update.param}.${stateName}`, shape, true);
      const zeros = new Float32Array(sizeOf(shape));
      for (const buffer of stored.buffers) this.backend.write(buffer, zeros);
      this.optimizerState.set(optimizerKey(update.param, stateName), stored);
    }
  }

  /** One optimizer state tensor of a parameter, e.g. its 'm'. */
  optimizerStateOf(param: string, stateName: string): StoredTensor {
    return this.optimizerState.get(optimizerKey(param, stateName))!;
  }

  /** Every tensor the train step writes (parameters, running statistics, optimizer state). */
  pingPongTensors(): StoredTensor[] {
    return [...this.tensors.values(), ...this.optimizerState.values()].filter((t) => t.buffers[0] !== t.buffers[1]);
  }

  requireTensor(op: string, name: string): StoredTensor {
    const stored = this.tensors.get(name);
    if (!stored)
      throw new EngineError(`${op}: the net has no parameter or buffer '${name}'; it has ${[...this.tensors.keys()].join(', ')}`);
    return stored;
  }

  /** A parameter's or buffer's values in the given phase. */
  read(name: string, phase: number): Promise<Float32Array> {
    const stored = this.tensors.get(name)!;
    return this.backend.read(stored.buffers[phase], stored.bytes).then((bytes) => new Float32Array(bytes));
  }

  /** Multiplies a parameter's values in the given phase by its mask on the device. */
  applyMask(name: string, phase: number): void {
    const stored = this.tensors.get(name)!;
    const current = stored.buffers[phase];
    const product = this.backend.alloc(stored.bytes);
    const kernels: PreparedKernel[] = [];
    try {
      const meta: TensorMeta = { shape: stored.shape, dtype: 'float32' };
      const { dims } = opSpecs.binary.infer({ a: meta, b: meta }, { op: 'mul' });
      kernels.push(this.backend.prepare('binary', [current, this.masks.get(name)!], [product], dims));
      kernels.push(this.backend.prepareCopy(product, 0, current, 0, stored.bytes));
      this.backend.dispatch(kernels);
    } finally {
      for (const kernel of kernels) kernel.release();
      this.backend.release(product);
    }
  }

  /** A device buffer freed with the net (at least 4 bytes). */
  allocate(bytes: number): DeviceBuffer {
    const buffer = this.backend.alloc(Math.max(4, bytes));
    this.ownedBuffers.push(buffer);
    return buffer;
  }

  /** Takes a prepared kernel to release with the net. */
  own<T extends PreparedKernel>(kernel: T): T {
    this.ownedKernels.push(kernel);
    return kernel;
  }

  /** Releases every owned kernel, then every owned buffer. */
  release(): void {
    for (const kernel of this.ownedKernels) kernel.release();
    for (const buffer of this.ownedBuffers) this.backend.release(buffer);
    this.ownedKernels.length = 0;
    this.ownedBuffers.length = 0;
  }

  private store(name: string, shape: Shape, pingPong: boolean): StoredTensor {
    const bytes = sizeOf(shape) * 4;
    const first = this.allocate(bytes);
    const second = pingPong ? this.allocate(bytes) : first;
    const snapshots = pingPong && this.checkpoints ? ([this.allocate(bytes), this.allocate(bytes)] as const) : undefined;
    return { name, shape, bytes, buffers: [first, second], snapshots };
  }
}

function optimizerKey(param: string, stateName: string): string {
  return `${param}\u0000${stateName}`;
}
