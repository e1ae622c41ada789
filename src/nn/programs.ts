// The net's programs cached per kind and batch size, each with its input buffers, bound lazily to each phase's state buffers.
import type { Backend, DeviceBuffer } from '../backend/backend.js';
import { bindProgram, type BoundProgram } from '../autodiff/execute.js';
import type { ValueId } from '../autodiff/types.js';
import { sizeOf } from '../tensor-meta.js';
import type { BuiltProgram, NetBlueprint, ProgramKind } from './compile.js';
import type { NetState } from './net-state.js';

/** A program of one kind at one batch size, with its own input buffers, bound lazily per parity of the step count. */
export interface CachedProgram {
  readonly built: BuiltProgram;
  readonly x: DeviceBuffer;
  readonly target?: DeviceBuffer;
  readonly bound: [BoundProgram | undefined, BoundProgram | undefined];
}

export class ProgramCache {
  /** The buffer the train program writes its loss into (the loss ring's source); set once the ring exists. */
  trainLoss: DeviceBuffer | undefined;
  private readonly programs = new Map<string, Promise<CachedProgram>>();

  constructor(
    private readonly backend: Backend,
    private readonly blueprint: NetBlueprint,
    private readonly state: NetState,
  ) {}

  /** The program of a kind at a batch size, built and cached on first use. */
  get(kind: ProgramKind, batch: number): Promise<CachedProgram> {
    const key = programKey(kind, batch);
    let pending = this.programs.get(key);
    if (!pending) {
      pending = this.blueprint.build(kind, batch).then((built) => this.cache(built));
      this.programs.set(key, pending);
      pending.catch(() => this.programs.delete(key));
    }
    return pending;
  }

  /** Caches the train program built at compile time. */
  addTrain(built: BuiltProgram): CachedProgram {
    const cached = this.cache(built);
    this.programs.set(programKey('train', built.batch), Promise.resolve(cached));
    return cached;
  }

  /** The program bound to the buffers of a phase (the parity of the steps dispatched before it runs), prepared on first use. */
  bind(cached: CachedProgram, phase: number): BoundProgram {
    const existing = cached.bound[phase];
    if (existing) return existing;
    const { built } = cached;
    const { tensors, masks } = this.state;
    const external = new Map<ValueId, DeviceBuffer>();
    external.set(built.x, cached.x);
    if (built.target !== undefined) external.set(built.target, cached.target!);
    const next = 1 - phase;
    for (const [name, value] of built.tensors) external.set(value, tensors.get(name)!.buffers[phase]);
    for (const [name, value] of built.masks) external.set(value, masks.get(name)!);
    for (const u of built.updates) {
      external.set(u.newParam, tensors.get(u.param)!.buffers[next]);
      for (const [stateName, { read, written }] of Object.entries(u.state)) {
        const stored = this.state.optimizerStateOf(u.param, stateName);
        external.set(read, stored.buffers[phase]);
        external.set(written, stored.buffers[next]);
      }
    }
    for (const [name, value] of built.stateUpdates) external.set(value, tensors.get(name)!.buffers[next]);
    if (built.kind === 'train') external.set(built.loss!, this.trainLoss!);
    const bound = bindProgram(this.backend, built.scheduled, external, `${built.kind} program (batch ${built.batch})`);
    cached.bound[phase] = bound;
    return bound;
  }

  /** Frees the programs of a kind at every batch size but one (activations keep one program per mode). */
  async releaseOtherBatches(kind: ProgramKind, batch: number): Promise<void> {
    for (const key of [...this.programs.keys()]) if (key.startsWith(`${kind}:`) && key !== programKey(kind, batch)) await this.release(key);
  }

  /** Frees every cached program. */
  async releaseAll(): Promise<void> {
    for (const key of [...this.programs.keys()]) await this.release(key);
  }

  /** Frees a cached program's kernels, internal buffers and input buffers. */
  private async release(key: string): Promise<void> {
    const pending = this.programs.get(key);
    this.programs.delete(key);
    const cached = await pending?.catch(() => undefined);
    if (!cached) return;
    for (const bound of cached.bound) bound?.release();
    this.backend.release(cached.x);
    if (cached.target) this.backend.release(cached.target);
  }

  private cache(built: BuiltProgram): CachedProgram {
    const { values } = built.scheduled;
    const bytesOf = (id: ValueId): number => Math.max(4, sizeOf(values.get(id)!.shape) * 4);
    const x = this.backend.alloc(bytesOf(built.x));
    const target = built.target === undefined ? undefined : this.backend.alloc(bytesOf(built.target));
    return { built, x, target, bound: [undefined, undefined] };
  }
}

/** Reads `elements` float32 values of a program's value back from the device. */
export async function readValue(backend: Backend, bound: BoundProgram, value: ValueId, elements: number): Promise<Float32Array> {
  return new Float32Array(await backend.read(bound.bufferOf(value), elements * 4));
}

function programKey(kind: ProgramKind, batch: number): string {
  return `${kind}:${batch}`;
}
