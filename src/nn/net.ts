// The compiled net: device-resident state, prepared programs replayed per step, losses read back in blocks, safetensors.
import type { Backend, DeviceBuffer, PreparedKernel } from '../backend/backend.js';
import { bindProgram, type BoundProgram } from '../autodiff/execute.js';
import type { ValueId } from '../autodiff/types.js';
import type { Engine } from '../engine.js';
import { EngineError, ShapeError } from '../errors.js';
import { checkStateDict, parseSafetensors, serializeSafetensors, type SafetensorsInput } from '../io/safetensors.js';
import type { DimsOf, TensorMeta } from '../ops/defs.js';
import { opSpecs } from '../ops/specs.js';
import { formatShape, sizeOf, type Shape } from '../tensor-meta.js';
import { Tensor, type TensorOwner } from '../tensor.js';
import type { BuiltProgram, NetBlueprint, ProgramKind } from './compile.js';
import { Dataset } from '../data/dataset.js';
import { NonFiniteLossError } from './errors.js';
import { evaluateDataset, fit, type EpochReport, type FitOptions } from './fit.js';
import type { Mode, ParameterUpdate, ResolvedGroup } from './types.js';

/** Class labels (int32 indices) or, for the 'mse' loss, float targets of the output's shape (labels become one-hot). */
export type Targets = Int32Array | Float32Array | readonly number[];

export interface NetParameter {
  /** PyTorch's state_dict name, e.g. '0.weight'. */
  readonly name: string;
  readonly shape: Shape;
  /** Trainable parameters get gradients, optimizer updates and masks; buffers (running statistics) do not. */
  readonly trainable: boolean;
  /** Index of the layer that owns it. */
  readonly layer: number;
}

export interface LossAndGradients {
  loss: number;
  /** The gradient of every trainable parameter the loss depends on, by name. */
  grads: Record<string, Float32Array>;
}

export interface Evaluation {
  /** Mean loss over the samples (eval mode). */
  loss: number;
  /** Share of samples whose largest output is the label's (class labels only). */
  accuracy?: number;
  count: number;
}

/** One layer's output in a forward pass, kept on the device. */
export interface LayerActivation {
  readonly index: number;
  /** e.g. '3 (linear)'. */
  readonly label: string;
  readonly type: string;
  /** Whether the layer's output counts as a layer of nodes for emergence (see Layer.hasNodes). */
  readonly hasNodes: boolean;
  /** [batch, ...per-sample shape]; owned by the net (dispose() does nothing) and valid until the next activations() call. */
  readonly output: Tensor;
}

export interface Activations {
  /** The input batch as the device holds it. */
  readonly input: Tensor;
  readonly layers: readonly LayerActivation[];
}

/** A tensor of the net's state: one device buffer, or two that the train step alternates between (read one, write the other). */
interface StoredTensor {
  readonly name: string;
  readonly shape: Shape;
  readonly bytes: number;
  readonly buffers: readonly [DeviceBuffer, DeviceBuffer];
  /** Checkpoint copies for the two alternating loss blocks (ping-pong tensors, when checkpoints are on). */
  readonly snapshots?: readonly [DeviceBuffer, DeviceBuffer];
}

/** A program of one kind at one batch size, with its own input buffers, bound lazily per parity of the step count. */
interface CachedProgram {
  readonly built: BuiltProgram;
  readonly x: DeviceBuffer;
  readonly target?: DeviceBuffer;
  readonly bound: [BoundProgram | undefined, BoundProgram | undefined];
}

type OptimizerOp = 'sgdUpdate' | 'adamUpdate';

/** An optimizer node and what it needs to recompute its dims per step. */
interface OptimizerNode {
  readonly update: ParameterUpdate;
  readonly op: OptimizerOp;
  readonly shape: Shape;
  /** The dims each phase's kernel holds now. */
  readonly current: [DimsOf<OptimizerOp> | undefined, DimsOf<OptimizerOp> | undefined];
}

/** Why training stopped: resolves to the error once the net has looked for its cause (and rolled back when it could). */
interface Failure {
  readonly error: Promise<Error>;
}

/** Reads in flight at once when predicting or evaluating in chunks. */
const MAX_READS_IN_FLIGHT = 16;

export class Net {
  readonly batchSize: number;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Losses travel back in blocks of this many steps. */
  readonly lossBlock: number;
  readonly checkpoints: boolean;

  private readonly backend: Backend;
  private readonly tensors = new Map<string, StoredTensor>();
  private readonly optimizerState = new Map<string, StoredTensor>();
  private readonly masks = new Map<string, DeviceBuffer>();
  private readonly counterBase = new Map<string, number>();
  private readonly programs = new Map<string, Promise<CachedProgram>>();
  private readonly optimizerNodes: OptimizerNode[] = [];
  private readonly ownedBuffers: DeviceBuffer[] = [];
  private readonly ownedKernels: PreparedKernel[] = [];
  private readonly tensorOwner: TensorOwner;

  private train: CachedProgram | undefined;
  private lossBuffer: DeviceBuffer | undefined;
  private lossRing: DeviceBuffer | undefined;
  private lossCopies: PreparedKernel[] = [];
  /** Checkpoint copies by set (block parity) and by phase (which buffer of each pair holds the current state). */
  private snapshotCopies: PreparedKernel[][][] = [];
  /** The step each checkpoint set was taken before: a block's first step, or a later one after the state was edited. */
  private readonly checkpointStep = [0, 0];
  /** The optimizer groups' settings each ring slot's step ran with (replays use them). */
  private readonly ringSettings: ResolvedGroup[][] = [];
  private readonly dispatchList: PreparedKernel[] = [];

  /** Host copies of the batches of the last three loss blocks (for queued steps and for replays). */
  private readonly ringX: Float32Array[] = [];
  private readonly ringTargets: (Int32Array | Float32Array)[] = [];
  private readonly ringSize: number;

  /** Steps accepted, dispatched, whose losses were requested, and whose losses were checked (all counted from 0). */
  private queued = 0;
  private dispatched = 0;
  private requested = 0;
  private checked = 0;
  /** Incremented when training stops on a failure: queued steps and reads of an older generation are dropped. */
  private generation = 0;
  private collected: number[] = [];
  private lossChain: Promise<void> = Promise.resolve();
  private gate: Promise<void> | undefined;
  private failure: Failure | undefined;
  private disposed = false;

  /** Use engine.compile (or compileNet): it builds the programs and the initial state. */
  constructor(
    private readonly engine: Engine,
    private readonly blueprint: NetBlueprint,
    options: { batchSize: number; lossBlock: number; checkpoints: boolean },
  ) {
    this.backend = engine.backendImpl;
    this.batchSize = options.batchSize;
    this.inputShape = blueprint.inputShape;
    this.outputShape = blueprint.outputShape;
    this.lossBlock = options.lossBlock;
    this.checkpoints = options.checkpoints && blueprint.optimizer !== undefined;
    this.ringSize = 3 * this.lossBlock;
    this.tensorOwner = {
      readBuffer: (buffer, bytes) => engine.readBuffer(buffer, bytes),
      releaseBuffer: () => {},
      forgetTensor: () => {},
    };
  }

  /**
   * Allocates the state (initial values in state_dict order), builds the train program to learn which tensors it
   * updates, and prepares the loss ring and checkpoint copies. Called once by compileNet.
   */
  async initialize(initial: ReadonlyMap<string, { values: Float32Array }>): Promise<void> {
    const backend = this.backend;
    const trainBuilt = this.blueprint.optimizer ? await this.blueprint.build('train', this.batchSize) : undefined;
    const updated = new Set<string>();
    if (trainBuilt) {
      for (const u of trainBuilt.updates) updated.add(u.param);
      for (const name of trainBuilt.stateUpdates.keys()) updated.add(name);
    }
    for (const { name, spec } of this.blueprint.parameters) {
      const values = initial.get(name)?.values;
      if (!values || values.length !== sizeOf(spec.shape)) {
        throw new EngineError(`compile: no initial values of the right size for '${name}' ${formatShape(spec.shape)}`);
      }
      const stored = this.store(name, spec.shape, updated.has(name));
      for (const buffer of new Set(stored.buffers)) backend.write(buffer, values);
      this.tensors.set(name, stored);
      if (spec.trainable) {
        const mask = this.allocate(sizeOf(spec.shape) * 4);
        backend.write(mask, new Float32Array(sizeOf(spec.shape)).fill(1));
        this.masks.set(name, mask);
      }
    }
    for (const { name } of this.blueprint.counters) this.counterBase.set(name, 0);

    if (trainBuilt) {
      for (const u of trainBuilt.updates) {
        const shape = this.tensors.get(u.param)!.shape;
        for (const stateName of Object.keys(u.state)) {
          const stored = this.store(`optimizer.${u.param}.${stateName}`, shape, true);
          const zeros = new Float32Array(sizeOf(shape));
          for (const buffer of stored.buffers) backend.write(buffer, zeros);
          this.optimizerState.set(optimizerKey(u.param, stateName), stored);
        }
        const node = trainBuilt.scheduled.nodes.get(u.node);
        if (!node || (node.op !== 'sgdUpdate' && node.op !== 'adamUpdate')) {
          throw new EngineError(`compile: the optimizer node of '${u.param}' is not an sgdUpdate or adamUpdate node`);
        }
        this.optimizerNodes.push({ update: u, op: node.op, shape, current: [undefined, undefined] });
      }
      this.train = this.cache(trainBuilt);
      this.programs.set(programKey('train', this.batchSize), Promise.resolve(this.train));
      this.lossBuffer = this.allocate(4);
      this.lossRing = this.allocate(4 * this.lossBlock);
      for (let k = 0; k < this.lossBlock; k++)
        this.lossCopies.push(this.own(backend.prepareCopy(this.lossBuffer, 0, this.lossRing, 4 * k, 4)));
      if (this.checkpoints) {
        this.snapshotCopies = [0, 1].map((set) =>
          [0, 1].map((phase) =>
            this.pingPongTensors().map((t) => this.own(backend.prepareCopy(t.buffers[phase], 0, t.snapshots![set], 0, t.bytes))),
          ),
        );
      }
    }
  }

  // ---- training ------------------------------------------------------------------------------------------------

  /**
   * Queues one training step on a batch of exactly batchSize samples and returns without waiting for the device.
   * The loss comes back later with losses(). Await each call: every few loss blocks the promise waits until the device
   * has caught up, so that a non-finite loss can be replayed (see NonFiniteLossError); it rejects with that error.
   */
  step(x: Float32Array, targets: Targets): Promise<void> {
    try {
      this.checkAlive('step');
      if (!this.train) throw new EngineError('step: the net was compiled without an optimizer, so it cannot train');
      if (this.failure) return this.deliverFailure(this.failure);
      const { target } = this.checkBatch('step', x, targets, this.batchSize);
      const q = this.queued;
      if (q - this.ringSize >= this.checked) {
        throw new EngineError(
          `step: ${q - this.dispatched} steps are queued ahead of the device; await each step() before queuing the next`,
        );
      }
      this.stage(q, x, target);
      this.queued++;
      const generation = this.generation;
      const K = this.lossBlock;
      // The checkpoint of block n-2 is reused by block n: its losses must be checked first.
      const mustWait = q % K === 0 && q >= 2 * K && this.checked < q - K;
      if (!this.gate && !mustWait) {
        this.dispatchStep(q);
        return Promise.resolve();
      }
      const run = (this.gate ?? Promise.resolve()).then(async () => {
        if (mustWait) await this.waitChecked(q - K, generation);
        if (this.failure) return this.deliverFailure(this.failure);
        if (generation !== this.generation) throw new EngineError('step: dropped, because training stopped at an earlier step');
        this.dispatchStep(q);
      });
      const gate = run.then(
        () => undefined,
        () => undefined,
      );
      this.gate = gate;
      void gate.then(() => {
        if (this.gate === gate) this.gate = undefined;
      });
      return run;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The losses of every step since the previous call, in order, once they are back from the device. Rejects with a
   * NonFiniteLossError when one of them is NaN or infinite (the losses before it stay available to the next call).
   */
  async losses(): Promise<Float32Array> {
    this.checkAlive('losses');
    if (this.failure) return this.deliverFailure(this.failure);
    await this.gate;
    this.requestLosses();
    await this.lossChain;
    if (this.failure) return this.deliverFailure(this.failure);
    const result = Float32Array.from(this.collected);
    this.collected = [];
    return result;
  }

  /** One training step and its loss (waits for the device: use step() and losses() to keep it busy). */
  async trainStep(x: Float32Array, targets: Targets): Promise<number> {
    await this.step(x, targets);
    const losses = await this.losses();
    return losses[losses.length - 1];
  }

  /** Training steps dispatched so far. */
  get steps(): number {
    return this.dispatched;
  }

  /**
   * Sets the learning rate of one optimizer group (by index: groups in the order given, the default group last) or of
   * every group; it applies from the next step.
   */
  setLearningRate(lr: number, group?: number): void {
    this.checkAlive('setLearningRate');
    const groups = this.blueprint.groups;
    if (!this.blueprint.optimizer) throw new EngineError('setLearningRate: the net was compiled without an optimizer');
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
      throw new EngineError(`setLearningRate: lr must be a positive finite number, got ${String(lr)}`);
    }
    if (group !== undefined && !(Number.isInteger(group) && group >= 0 && group < groups.length)) {
      throw new EngineError(`setLearningRate: group must be an index in [0, ${groups.length}), got ${String(group)}`);
    }
    for (const [index, resolved] of groups.entries()) if (group === undefined || group === index) resolved.lr = lr;
  }

  /** The optimizer groups as resolved at compile time, with their current settings (change rates with setLearningRate). */
  get optimizerGroups(): readonly { readonly params: readonly string[]; readonly lr: number }[] {
    return this.blueprint.groups;
  }

  // ---- evaluation --------------------------------------------------------------------------------------------------

  /** Trains on a dataset for some epochs (see fit in src/nn/fit.ts); one report per epoch. */
  fit(dataset: Dataset, options: FitOptions = {}): Promise<EpochReport[]> {
    this.checkAlive('fit');
    return fit(this, dataset, options);
  }

  /** The loss and every parameter's gradient on a batch (train mode: batch statistics; running statistics unchanged). */
  async lossAndGradients(x: Float32Array, targets: Targets): Promise<LossAndGradients> {
    this.checkAlive('lossAndGradients');
    const { count, target } = this.checkBatch('lossAndGradients', x, targets);
    await this.settle();
    const cached = await this.program('gradients', count);
    const bound = this.bind(cached);
    this.backend.write(cached.x, x);
    this.backend.write(cached.target!, target);
    this.backend.dispatch(bound.kernels);
    const { built } = cached;
    const names = [...built.grads.keys()];
    const reads = names.map((name) => this.readValue(bound, built.grads.get(name)!, sizeOf(this.tensors.get(name)!.shape)));
    const [loss, ...grads] = await Promise.all([this.readValue(bound, built.loss!, 1), ...reads]);
    return { loss: loss[0], grads: Object.fromEntries(names.map((name, i) => [name, grads[i]])) };
  }

  /** The model's outputs (logits) for any number of samples, in eval mode, run in chunks of batchSize. */
  async predict(x: Float32Array): Promise<Float32Array> {
    this.checkAlive('predict');
    const { count } = this.checkBatch('predict', x);
    const out = new Float32Array(count * this.blueprint.outputSize);
    await this.runChunks('predict', x, undefined, count, (bound, cached, start, n) =>
      this.readValue(bound, cached.built.layerOutputs.at(-1)!, n * this.blueprint.outputSize).then((values) =>
        out.set(values, start * this.blueprint.outputSize),
      ),
    );
    return out;
  }

  /**
   * Mean loss and (for class labels) accuracy over any number of samples or a whole dataset, in eval mode, in chunks of
   * batchSize (the last partial chunk included).
   */
  evaluate(dataset: Dataset): Promise<Evaluation>;
  evaluate(x: Float32Array, targets: Targets): Promise<Evaluation>;
  async evaluate(data: Float32Array | Dataset, targets?: Targets): Promise<Evaluation> {
    this.checkAlive('evaluate');
    if (data instanceof Dataset) return evaluateDataset(this, data);
    const x = data;
    if (targets === undefined) throw new EngineError('evaluate: labels (or targets) are required with x');
    const { count, target, labels } = this.checkBatch('evaluate', x, targets);
    const classes = this.blueprint.outputSize;
    let lossSum = 0;
    let correct = 0;
    await this.runChunks('evaluate', x, target, count, async (bound, cached, start, n) => {
      const [logits, losses] = await Promise.all([
        this.readValue(bound, cached.built.layerOutputs.at(-1)!, n * classes),
        this.readValue(bound, cached.built.losses!, n),
      ]);
      for (let i = 0; i < n; i++) lossSum += losses[i];
      if (labels) correct += countCorrect(logits, labels.subarray(start, start + n), classes);
    });
    return { loss: lossSum / count, ...(labels ? { accuracy: correct / count } : {}), count };
  }

  /**
   * One forward pass over all of x at once that keeps every layer's output on the device, e.g. for active-node
   * counting with engine.activeCounts. The tensors belong to the net: they stay valid until the next activations()
   * call in the same mode (which overwrites or frees them) or dispose(). Train mode uses batch statistics and leaves
   * the running statistics unchanged.
   */
  async activations(x: Float32Array, options: { mode?: Mode } = {}): Promise<Activations> {
    this.checkAlive('activations');
    const mode = options.mode ?? 'eval';
    if (mode !== 'eval' && mode !== 'train') throw new EngineError(`activations: mode must be 'eval' or 'train', got ${String(mode)}`);
    const { count } = this.checkBatch('activations', x);
    await this.settle();
    const kind = mode === 'train' ? 'activations-train' : 'activations-eval';
    // One activations program per mode is kept: every layer's output of a large probe batch is a lot of memory.
    for (const key of [...this.programs.keys()])
      if (key.startsWith(`${kind}:`) && key !== programKey(kind, count)) await this.releaseProgram(key);
    const cached = await this.program(kind, count);
    const bound = this.bind(cached);
    this.backend.write(cached.x, x);
    this.backend.dispatch(bound.kernels);
    return this.wrapActivations(cached, bound, count);
  }

  // ---- state -------------------------------------------------------------------------------------------------------

  /** Every parameter and float buffer in state_dict order. */
  parameters(): NetParameter[] {
    return this.blueprint.parameters.map(({ name, layer, spec }) => ({ name, shape: spec.shape, trainable: spec.trainable, layer }));
  }

  /** Current values of every parameter and float buffer, by state_dict name. */
  async stateDict(): Promise<Record<string, Float32Array>> {
    this.checkAlive('stateDict');
    await this.settle();
    const names = [...this.tensors.keys()];
    const values = await Promise.all(names.map((name) => this.readTensor(name)));
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  }

  /** One parameter's or buffer's current values. */
  async readParameter(name: string): Promise<Float32Array> {
    this.checkAlive('readParameter');
    this.requireTensor('readParameter', name);
    await this.settle();
    return this.readTensor(name);
  }

  /**
   * Replaces parameters and buffers by name (any subset; shapes checked). Masked weights are multiplied by their masks,
   * so pruned weights stay zero. The optimizer state is kept, as PyTorch's load_state_dict keeps it.
   */
  async loadStateDict(values: Readonly<Record<string, Float32Array>>): Promise<void> {
    this.checkAlive('loadStateDict');
    for (const [name, data] of Object.entries(values)) {
      const stored = this.requireTensor('loadStateDict', name);
      if (!(data instanceof Float32Array) || data.length !== sizeOf(stored.shape)) {
        throw new ShapeError('loadStateDict', `'${name}' needs ${sizeOf(stored.shape)} float32 values ${formatShape(stored.shape)}`, {
          [name]: [data instanceof Float32Array ? data.length : 0],
        });
      }
    }
    await this.beforeEdit();
    for (const [name, data] of Object.entries(values)) {
      const stored = this.tensors.get(name)!;
      for (const buffer of new Set(stored.buffers)) this.backend.write(buffer, data);
      if (this.masks.has(name)) this.applyMask(name);
    }
    this.afterEdit();
  }

  /**
   * Loads a safetensors file with PyTorch's state_dict names ('0.weight', ...). Every float tensor must be present
   * with its shape; batch norm's num_batches_tracked (int64 or float) is optional. Missing, unexpected and misshapen
   * tensors are all named in one StateDictError.
   */
  async loadSafetensors(bytes: Uint8Array): Promise<void> {
    this.checkAlive('loadSafetensors');
    const file = parseSafetensors(bytes);
    const expected: Record<string, Shape> = {};
    for (const [name, stored] of this.tensors) expected[name] = stored.shape;
    for (const name of this.counterBase.keys()) if (file.tensors.has(name)) expected[name] = [];
    checkStateDict(expected, file.tensors, 'safetensors file');
    const floats: Record<string, Float32Array> = {};
    for (const name of this.tensors.keys()) floats[name] = file.tensors.get(name)!.data;
    await this.loadStateDict(floats);
    for (const name of this.counterBase.keys()) {
      const counter = file.tensors.get(name)?.data[0] ?? 0;
      this.counterBase.set(name, counter - this.dispatched);
    }
  }

  /** The parameters and buffers as a safetensors file PyTorch's load_state_dict accepts (num_batches_tracked as int64). */
  async saveSafetensors(): Promise<Uint8Array> {
    const values = await this.stateDict();
    const tensors: Record<string, SafetensorsInput> = {};
    for (const [name, data] of Object.entries(values)) tensors[name] = { shape: this.tensors.get(name)!.shape, data };
    for (const [name, base] of this.counterBase) tensors[name] = { shape: [], data: BigInt64Array.of(BigInt(base + this.dispatched)) };
    return serializeSafetensors(tensors);
  }

  /**
   * Sets a trainable parameter's pruning mask (1 keeps a weight, 0 prunes it) and multiplies the parameter by it at
   * once; every later update multiplies again, so pruned weights stay exactly zero.
   */
  async setMask(name: string, mask: Float32Array): Promise<void> {
    this.checkAlive('setMask');
    const stored = this.requireTensor('setMask', name);
    if (!this.masks.has(name)) {
      throw new EngineError(
        `setMask: '${name}' is a buffer, not a trainable parameter; masks apply to ${[...this.masks.keys()].join(', ')}`,
      );
    }
    if (!(mask instanceof Float32Array) || mask.length !== sizeOf(stored.shape)) {
      throw new ShapeError('setMask', `the mask of '${name}' needs ${sizeOf(stored.shape)} float32 values ${formatShape(stored.shape)}`, {
        mask: [mask instanceof Float32Array ? mask.length : 0],
      });
    }
    const bad = mask.findIndex((m) => !Number.isFinite(m));
    if (bad >= 0) throw new EngineError(`setMask: the mask of '${name}' holds ${mask[bad]} at index ${bad}; masks must be finite`);
    await this.beforeEdit();
    this.backend.write(this.masks.get(name)!, mask);
    this.applyMask(name);
    this.afterEdit();
  }

  /** A trainable parameter's current mask. */
  async readMask(name: string): Promise<Float32Array> {
    this.checkAlive('readMask');
    const mask = this.masks.get(name);
    if (!mask) throw new EngineError(`readMask: '${name}' is not a trainable parameter; masks: ${[...this.masks.keys()].join(', ')}`);
    await this.settle();
    return new Float32Array(await this.backend.read(mask, sizeOf(this.tensors.get(name)!.shape) * 4));
  }

  /** Frees every device buffer and prepared kernel of the net. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.settle().catch(() => undefined);
    this.disposed = true;
    for (const key of [...this.programs.keys()]) await this.releaseProgram(key);
    for (const kernel of this.ownedKernels) kernel.release();
    for (const buffer of this.ownedBuffers) this.backend.release(buffer);
    this.ownedKernels.length = 0;
    this.ownedBuffers.length = 0;
  }

  // ---- internals: training ------------------------------------------------------------------------------------------

  private dispatchStep(i: number): void {
    const phase = i % 2;
    const train = this.train!;
    const bound = this.bind(train, phase);
    const slot = i % this.ringSize;
    this.backend.write(train.x, this.ringX[slot]);
    this.backend.write(train.target!, this.ringTargets[slot]);
    this.applyOptimizerDims(phase, i + 1);
    const list = this.dispatchList;
    list.length = 0;
    const K = this.lossBlock;
    if (this.checkpoints && i % K === 0) {
      const set = (i / K) % 2;
      for (const copy of this.snapshotCopies[set][phase]) list.push(copy);
      this.checkpointStep[set] = i;
    }
    this.ringSettings[slot] = this.blueprint.groups.map((group) => ({ ...group }));
    for (const kernel of bound.kernels) list.push(kernel);
    list.push(this.lossCopies[i % K]);
    this.backend.dispatch(list);
    this.dispatched = i + 1;
    if (this.dispatched % K === 0) this.requestLosses();
  }

  /** Re-targets each optimizer kernel of one phase at the attributes of the given 1-based step, where they changed. */
  private applyOptimizerDims(phase: number, step: number): void {
    const bound = this.bind(this.train!, phase);
    for (const node of this.optimizerNodes) {
      const meta: TensorMeta = { shape: node.shape, dtype: 'float32' };
      const metas = { param: meta, grad: meta, velocity: meta, m: meta, v: meta, mask: meta };
      const infer = opSpecs[node.op].infer as (inputs: typeof metas, attrs: object) => { dims: DimsOf<OptimizerOp> };
      const { dims } = infer(metas, node.update.attrsAt(step));
      const current = node.current[phase];
      if (current && sameDims(current, dims)) continue;
      this.backend.update<OptimizerOp>(bound.kernelOf(node.update.node) as PreparedKernel<OptimizerOp>, dims);
      node.current[phase] = dims;
    }
  }

  /** Starts reading back the losses of the steps dispatched since the last request (all inside one loss block). */
  private requestLosses(): void {
    const from = this.requested;
    const to = this.dispatched;
    if (to <= from || this.failure) return;
    const K = this.lossBlock;
    const offset = from % K;
    const count = to - from;
    const generation = this.generation;
    const read = this.backend.read(this.lossRing!, 4 * (offset + count));
    this.requested = to;
    this.lossChain = this.lossChain
      .then(() => read)
      .then(
        (bytes) => this.accept(from, new Float32Array(bytes, 4 * offset, count), generation),
        (error: unknown) => {
          if (generation === this.generation) this.fail(Promise.resolve(error instanceof Error ? error : new Error(String(error))));
        },
      );
  }

  /** Takes losses that came back; the first non-finite one stops training and starts the diagnosis. */
  private accept(from: number, values: Float32Array, generation: number): void {
    if (generation !== this.generation || this.failure) return;
    for (let j = 0; j < values.length; j++) {
      const value = values[j];
      if (!Number.isFinite(value)) {
        this.checked = from + j;
        this.fail(this.diagnose(from + j, value));
        return;
      }
      this.collected.push(value);
    }
    this.checked = from + values.length;
  }

  private fail(error: Promise<Error>): void {
    this.generation++;
    this.failure = { error };
  }

  /** Rejects with the failure's error; the first caller to receive it clears it, and training can go on from there. */
  private async deliverFailure(failure: Failure): Promise<never> {
    const error = await failure.error;
    if (this.failure === failure) this.failure = undefined;
    throw error;
  }

  private async waitChecked(step: number, generation: number): Promise<void> {
    while (this.checked < step && generation === this.generation && !this.failure) {
      const before = this.checked;
      this.requestLosses();
      await this.lossChain;
      if (this.checked === before) break;
    }
  }

  /**
   * Step s (0-based) gave a non-finite loss. With checkpoints: restore the checkpoint taken at the start of its loss
   * block (or after a later edit of the state), replay the steps from there to s with their batches and optimizer
   * settings, then look at the parameters and at each layer's output on step s's batch. The net is left as it was
   * before step s.
   */
  private async diagnose(s: number, loss: number): Promise<Error> {
    await this.backend.sync();
    const batch = s % this.ringSize;
    const x = this.ringX[batch];
    const firstBadInput = x.findIndex((v) => !Number.isFinite(v));
    const inputIndex = firstBadInput >= 0 ? firstBadInput : undefined;
    if (!this.checkpoints) {
      this.resetCounters(this.dispatched);
      return new NonFiniteLossError({ step: s + 1, loss, inputIndex, replayed: false });
    }
    const set = Math.floor(s / this.lossBlock) % 2;
    const start = this.checkpointStep[set];
    if (start > s || s - start >= this.lossBlock) {
      this.resetCounters(this.dispatched);
      return new NonFiniteLossError({ step: s + 1, loss, inputIndex, replayed: false });
    }
    const restores = this.pingPongTensors().map((t) => this.backend.prepareCopy(t.snapshots![set], 0, t.buffers[start % 2], 0, t.bytes));
    try {
      this.backend.dispatch(restores);
    } finally {
      for (const copy of restores) copy.release();
    }
    const groups = this.blueprint.groups;
    const settings = groups.map((group) => ({ ...group }));
    try {
      for (let i = start; i < s; i++) {
        const phase = i % 2;
        const slot = i % this.ringSize;
        this.backend.write(this.train!.x, this.ringX[slot]);
        this.backend.write(this.train!.target!, this.ringTargets[slot]);
        this.ringSettings[slot].forEach((recorded, g) => Object.assign(groups[g], recorded));
        this.applyOptimizerDims(phase, i + 1);
        this.backend.dispatch(this.bind(this.train!, phase).kernels);
      }
    } finally {
      settings.forEach((current, g) => Object.assign(groups[g], current));
    }
    this.resetCounters(s);
    let parameter: string | undefined;
    for (const name of this.tensors.keys()) {
      const values = await this.readTensor(name);
      if (values.some((v) => !Number.isFinite(v))) {
        parameter = name;
        break;
      }
    }
    const cached = await this.program('activations-train', this.batchSize);
    const bound = this.bind(cached);
    this.backend.write(cached.x, x);
    this.backend.dispatch(bound.kernels);
    let layer: string | undefined;
    for (const [index, value] of cached.built.layerOutputs.entries()) {
      const output = await this.readValue(bound, value, this.batchSize * sizeOf(this.blueprint.shapes[index + 1]));
      if (output.some((v) => !Number.isFinite(v))) {
        layer = this.blueprint.layerLabels[index];
        break;
      }
    }
    return new NonFiniteLossError({ step: s + 1, loss, parameter, layer, inputIndex, replayed: true });
  }

  /** After a failure: the net continues from `steps` steps, and losses requested after it are dropped. */
  private resetCounters(steps: number): void {
    this.queued = this.dispatched = this.requested = this.checked = steps;
  }

  /**
   * Before the state is edited from outside (loading, masks): checks every dispatched step's loss first, so that a
   * failure before the edit is still replayed from the block's checkpoint.
   */
  private async beforeEdit(): Promise<void> {
    await this.settle();
    this.requestLosses();
    await this.lossChain;
    await this.settle();
  }

  /** After an edit of the state: the current block's checkpoint is retaken here, so replays include the edit. */
  private afterEdit(): void {
    if (!this.checkpoints) return;
    const d = this.dispatched;
    const set = Math.floor(d / this.lossBlock) % 2;
    this.backend.dispatch(this.snapshotCopies[set][d % 2]);
    this.checkpointStep[set] = d;
  }

  /** Waits until queued steps are dispatched and any diagnosis has finished. */
  private async settle(): Promise<void> {
    await this.gate;
    if (this.failure) await this.failure.error;
  }

  private stage(q: number, x: Float32Array, target: Int32Array | Float32Array): void {
    const slot = q % this.ringSize;
    if (!this.ringX[slot]) {
      this.ringX[slot] = new Float32Array(x.length);
      this.ringTargets[slot] = target instanceof Int32Array ? new Int32Array(target.length) : new Float32Array(target.length);
    }
    this.ringX[slot].set(x);
    this.ringTargets[slot].set(target);
  }

  // ---- internals: programs and buffers -------------------------------------------------------------------------------

  private program(kind: ProgramKind, batch: number): Promise<CachedProgram> {
    const key = programKey(kind, batch);
    let pending = this.programs.get(key);
    if (!pending) {
      pending = this.blueprint.build(kind, batch).then((built) => this.cache(built));
      this.programs.set(key, pending);
      pending.catch(() => this.programs.delete(key));
    }
    return pending;
  }

  /** Frees a cached program's kernels, internal buffers and input buffers. */
  private async releaseProgram(key: string): Promise<void> {
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

  /** The program bound to the buffers of a phase (default: the phase the next step reads), prepared on first use. */
  private bind(cached: CachedProgram, phase = this.dispatched % 2): BoundProgram {
    const existing = cached.bound[phase];
    if (existing) return existing;
    const { built } = cached;
    const external = new Map<ValueId, DeviceBuffer>();
    external.set(built.x, cached.x);
    if (built.target !== undefined) external.set(built.target, cached.target!);
    const next = 1 - phase;
    for (const [name, value] of built.tensors) external.set(value, this.tensors.get(name)!.buffers[phase]);
    for (const [name, value] of built.masks) external.set(value, this.masks.get(name)!);
    for (const u of built.updates) {
      external.set(u.newParam, this.tensors.get(u.param)!.buffers[next]);
      for (const [stateName, { read, written }] of Object.entries(u.state)) {
        const stored = this.optimizerState.get(optimizerKey(u.param, stateName))!;
        external.set(read, stored.buffers[phase]);
        external.set(written, stored.buffers[next]);
      }
    }
    for (const [name, value] of built.stateUpdates) external.set(value, this.tensors.get(name)!.buffers[next]);
    if (built.kind === 'train') external.set(built.loss!, this.lossBuffer!);
    const bound = bindProgram(this.backend, built.scheduled, external, `${built.kind} program (batch ${built.batch})`);
    cached.bound[phase] = bound;
    if (built.kind === 'train') {
      for (const node of this.optimizerNodes)
        node.current[phase] = built.scheduled.nodes.get(node.update.node)!.dims as DimsOf<OptimizerOp>;
    }
    return bound;
  }

  /** Runs a program over x in chunks of batchSize (the remainder with a program of its own size), reading as it goes. */
  private async runChunks(
    kind: ProgramKind,
    x: Float32Array,
    target: Int32Array | Float32Array | undefined,
    count: number,
    read: (bound: BoundProgram, cached: CachedProgram, start: number, n: number) => Promise<void>,
  ): Promise<void> {
    await this.settle();
    const B = this.batchSize;
    const full = Math.floor(count / B);
    const rest = count - full * B;
    const [whole, remainder] = await Promise.all([
      full > 0 ? this.program(kind, B) : undefined,
      rest > 0 ? this.program(kind, rest) : undefined,
    ]);
    const features = this.blueprint.features;
    const perTarget = target ? target.length / count : 0;
    const pending: Promise<void>[] = [];
    for (let start = 0; start < count; start += B) {
      const n = Math.min(B, count - start);
      const cached = (n === B ? whole : remainder)!;
      const bound = this.bind(cached);
      this.backend.write(cached.x, x.subarray(start * features, (start + n) * features));
      if (target) this.backend.write(cached.target!, target.subarray(start * perTarget, (start + n) * perTarget));
      this.backend.dispatch(bound.kernels);
      pending.push(read(bound, cached, start, n));
      if (pending.length >= MAX_READS_IN_FLIGHT) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }

  private wrapActivations(cached: CachedProgram, bound: BoundProgram, count: number): Activations {
    const { built } = cached;
    const wrap = (buffer: DeviceBuffer, shape: Shape): Tensor => new Tensor(this.tensorOwner, buffer, [count, ...shape], 'float32');
    const layers = this.blueprint.model.layers.map((layer, index) => ({
      index,
      label: this.blueprint.layerLabels[index],
      type: layer.type,
      hasNodes: layer.hasNodes,
      output: wrap(bound.bufferOf(built.layerOutputs[index]), this.blueprint.shapes[index + 1]),
    }));
    return { input: wrap(cached.x, this.inputShape), layers };
  }

  private async readValue(bound: BoundProgram, value: ValueId, elements: number): Promise<Float32Array> {
    return new Float32Array(await this.backend.read(bound.bufferOf(value), elements * 4));
  }

  private readTensor(name: string): Promise<Float32Array> {
    const stored = this.tensors.get(name)!;
    return this.backend.read(stored.buffers[this.dispatched % 2], stored.bytes).then((bytes) => new Float32Array(bytes));
  }

  /** Multiplies a parameter's current values by its mask on the device. */
  private applyMask(name: string): void {
    const stored = this.tensors.get(name)!;
    const current = stored.buffers[this.dispatched % 2];
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

  private store(name: string, shape: Shape, pingPong: boolean): StoredTensor {
    const bytes = sizeOf(shape) * 4;
    const first = this.allocate(bytes);
    const second = pingPong ? this.allocate(bytes) : first;
    const snapshots = pingPong && this.checkpoints ? ([this.allocate(bytes), this.allocate(bytes)] as const) : undefined;
    return { name, shape, bytes, buffers: [first, second], snapshots };
  }

  /** Every tensor the train step writes (parameters, running statistics, optimizer state). */
  private pingPongTensors(): StoredTensor[] {
    return [...this.tensors.values(), ...this.optimizerState.values()].filter((t) => t.buffers[0] !== t.buffers[1]);
  }

  private allocate(bytes: number): DeviceBuffer {
    const buffer = this.backend.alloc(Math.max(4, bytes));
    this.ownedBuffers.push(buffer);
    return buffer;
  }

  private own<T extends PreparedKernel>(kernel: T): T {
    this.ownedKernels.push(kernel);
    return kernel;
  }

  private requireTensor(op: string, name: string): StoredTensor {
    const stored = this.tensors.get(name);
    if (!stored)
      throw new EngineError(`${op}: the net has no parameter or buffer '${name}'; it has ${[...this.tensors.keys()].join(', ')}`);
    return stored;
  }

  private checkAlive(op: string): void {
    if (this.disposed) throw new EngineError(`${op}: the net was disposed`);
  }

  /**
   * Checks x (batch * inputShape float32 values) and the targets on the host; returns the sample count and the targets
   * as the device takes them (int32 labels for cross-entropy, float32 values for mse, one-hot from labels).
   */
  private checkBatch(
    op: string,
    x: Float32Array,
    targets?: Targets,
    batch?: number,
  ): { count: number; target: Int32Array | Float32Array; labels?: Int32Array } {
    const { features, inputShape } = { features: this.blueprint.features, inputShape: this.inputShape };
    if (!(x instanceof Float32Array)) throw new ShapeError(op, `x must be a Float32Array, got ${describe(x)}`);
    if (batch !== undefined && x.length !== batch * features) {
      throw new ShapeError(
        op,
        `x has ${x.length} values, expected batch ${batch} x ${formatShape(inputShape)} = ${batch * features} values`,
      );
    }
    if (x.length === 0 || x.length % features !== 0) {
      throw new ShapeError(
        op,
        `x has ${x.length} values, which is not a whole number of samples of ${formatShape(inputShape)} (${features} values each)`,
      );
    }
    const count = x.length / features;
    if (targets === undefined) return { count, target: new Int32Array(0) };
    const classes = this.blueprint.outputSize;
    const isLabels = targets instanceof Int32Array || this.blueprint.loss === 'cross-entropy' || Array.isArray(targets);
    if (this.blueprint.loss === 'mse' && targets instanceof Float32Array) {
      if (targets.length !== count * classes) {
        throw new ShapeError(
          op,
          `targets have ${targets.length} values, expected ${count} samples x ${formatShape(this.outputShape)} = ${count * classes} (the model's output)`,
        );
      }
      return { count, target: targets };
    }
    if (!isLabels || !(targets instanceof Int32Array || targets instanceof Float32Array || Array.isArray(targets))) {
      throw new ShapeError(op, `labels must be an Int32Array of class indices, got ${describe(targets)}`);
    }
    if (targets.length !== count) {
      throw new ShapeError(op, `labels has ${targets.length} entries, expected one per sample (${count})`);
    }
    const labels = targets instanceof Int32Array ? targets : new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const label = targets[i];
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        const why = Number.isInteger(label) ? `out of range [0, ${classes})` : 'not an integer class index';
        throw new ShapeError(op, `label ${label} at index ${i} is ${why}`);
      }
      labels[i] = label;
    }
    if (this.blueprint.loss === 'cross-entropy') return { count, target: labels, labels };
    const oneHot = new Float32Array(count * classes);
    for (let i = 0; i < count; i++) oneHot[i * classes + labels[i]] = 1;
    return { count, target: oneHot, labels };
  }
}

function programKey(kind: ProgramKind, batch: number): string {
  return `${kind}:${batch}`;
}

function optimizerKey(param: string, stateName: string): string {
  return `${param}\u0000${stateName}`;
}

function sameDims(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of Object.keys(left)) if (left[key] !== right[key]) return false;
  return true;
}

/** Samples whose largest logit (first one on ties) is at the label. */
function countCorrect(logits: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return (value as object).constructor?.name ?? typeof value;
}
