// The compiled net's public facade: training, evaluation and state methods that delegate to the modules it is built from.
import type { Backend } from '../backend/backend.js';
import { Dataset } from '../data/dataset.js';
import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import type { Shape } from '../tensor-meta.js';
import { BatchRing } from './batch-ring.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-file.js';
import { Checkpoints } from './checkpoints.js';
import type { NetBlueprint } from './compile.js';
import { diagnoseNonFinite } from './diagnose.js';
import { evaluateDataset, fit, type EpochReport, type FitOptions } from './fit.js';
import { Inference } from './inference.js';
import { LossRing } from './loss-ring.js';
import { NetState } from './net-state.js';
import type { Activations, Evaluation, LossAndGradients, NetParameter, Targets } from './net-types.js';
import { OptimizerDims } from './optimizer-dims.js';
import { ProgramCache } from './programs.js';
import { StateDictAccess } from './state-dict.js';
import { TrainStep } from './train-step.js';
import { TrainingQueue } from './train-queue.js';
import type { Mode } from './types.js';

export type { Activations, Evaluation, LayerActivation, LossAndGradients, NetParameter, Targets } from './net-types.js';

export class Net {
  readonly batchSize: number;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Losses travel back in blocks of this many steps. */
  readonly lossBlock: number;
  readonly checkpoints: boolean;
  /** The engine the net was compiled on (its activations are that engine's tensors, e.g. for engine.activeCounts). */
  readonly engine: Engine;

  private readonly backend: Backend;
  /** Parameters, buffers, optimizer state and masks on the device (ping-pong pairs where the train step writes). */
  private readonly state: NetState;
  private readonly programs: ProgramCache;
  /** Step scheduling, loss read-back and failures; its step count picks the phase of every read. */
  private readonly queue: TrainingQueue;
  private readonly inference: Inference;
  private readonly stateAccess: StateDictAccess;
  private disposed = false;

  /** Use engine.compile (or compileNet): it builds the programs and the initial state. */
  constructor(
    engine: Engine,
    private readonly blueprint: NetBlueprint,
    options: { batchSize: number; lossBlock: number; checkpoints: boolean },
  ) {
    const backend = engine.backendImpl;
    this.engine = engine;
    this.backend = backend;
    this.batchSize = options.batchSize;
    this.inputShape = blueprint.inputShape;
    this.outputShape = blueprint.outputShape;
    this.lossBlock = options.lossBlock;
    this.checkpoints = options.checkpoints && blueprint.optimizer !== undefined;
    const state = new NetState(backend, this.checkpoints);
    const programs = new ProgramCache(backend, blueprint, state);
    const parts = { backend, blueprint, state, programs, batchSize: this.batchSize };
    const queue: TrainingQueue = new TrainingQueue(blueprint, this.batchSize, this.lossBlock, (s, loss) =>
      diagnoseNonFinite(parts, queue, queue.training!, s, loss),
    );
    this.state = state;
    this.programs = programs;
    this.queue = queue;
    this.inference = new Inference(engine, blueprint, state, programs, queue, this.batchSize);
    this.stateAccess = new StateDictAccess(backend, state, queue);
  }

  /**
   * Allocates the state (initial values in state_dict order), builds the train program to learn which tensors it
   * updates, and prepares the loss ring and checkpoint copies. Called once by compileNet.
   */
  async initialize(initial: ReadonlyMap<string, { values: Float32Array }>): Promise<void> {
    const trainBuilt = this.blueprint.optimizer ? await this.blueprint.build('train', this.batchSize) : undefined;
    const updated = new Set<string>();
    if (trainBuilt) {
      for (const u of trainBuilt.updates) updated.add(u.param);
      for (const name of trainBuilt.stateUpdates.keys()) updated.add(name);
    }
    this.state.allocateParameters(this.blueprint, initial, updated);
    if (!trainBuilt) return;
    const optimizerDims = new OptimizerDims(this.backend);
    for (const u of trainBuilt.updates) {
      const shape = this.state.tensors.get(u.param)!.shape;
      this.state.allocateOptimizerState(u, shape);
      optimizerDims.add(u, trainBuilt.scheduled, shape);
    }
    const program = this.programs.addTrain(trainBuilt);
    const lossRing = new LossRing(this.backend, this.state, this.lossBlock);
    this.programs.trainLoss = lossRing.output;
    const checkpoints = this.checkpoints ? new Checkpoints(this.backend, this.state, this.lossBlock) : undefined;
    const batches = new BatchRing(this.lossBlock);
    const groups = this.blueprint.groups;
    this.queue.training = new TrainStep(this.backend, this.programs, program, groups, optimizerDims, lossRing, batches, checkpoints);
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
      return this.queue.step(x, targets);
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
    return this.queue.losses();
  }

  /** One training step and its loss (waits for the device: use step() and losses() to keep it busy). */
  async trainStep(x: Float32Array, targets: Targets): Promise<number> {
    await this.step(x, targets);
    const losses = await this.losses();
    return losses[losses.length - 1];
  }

  /** Training steps dispatched so far. */
  get steps(): number {
    return this.queue.dispatched;
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
    return this.inference.lossAndGradients(x, targets);
  }

  /** The model's outputs (logits) for any number of samples, in eval mode, run in chunks of batchSize. */
  async predict(x: Float32Array): Promise<Float32Array> {
    this.checkAlive('predict');
    return this.inference.predict(x);
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
    return this.inference.evaluate(data, targets);
  }

  /**
   * One forward pass over all of x at once that keeps every layer's output on the device, e.g. for active-node
   * counting with engine.activeCounts. The tensors belong to the net: they stay valid until the next activations()
   * call in the same mode (which overwrites or frees them) or dispose(). Train mode uses batch statistics and leaves
   * the running statistics unchanged.
   */
  async activations(x: Float32Array, options: { mode?: Mode } = {}): Promise<Activations> {
    this.checkAlive('activations');
    return this.inference.activations(x, options);
  }

  // ---- state -------------------------------------------------------------------------------------------------------

  /** Every parameter and float buffer in state_dict order. */
  parameters(): NetParameter[] {
    return this.blueprint.parameters.map(({ name, layer, spec }) => ({ name, shape: spec.shape, trainable: spec.trainable, layer }));
  }

  /** Current values of every parameter and float buffer, by state_dict name. */
  async stateDict(): Promise<Record<string, Float32Array>> {
    this.checkAlive('stateDict');
    return this.stateAccess.stateDict();
  }

  /** One parameter's or buffer's current values. */
  async readParameter(name: string): Promise<Float32Array> {
    this.checkAlive('readParameter');
    return this.stateAccess.readParameter(name);
  }

  /**
   * Replaces parameters and buffers by name (any subset; shapes checked). Masked weights are multiplied by their masks,
   * so pruned weights stay zero. The optimizer state is kept, as PyTorch's load_state_dict keeps it.
   */
  async loadStateDict(values: Readonly<Record<string, Float32Array>>): Promise<void> {
    this.checkAlive('loadStateDict');
    return this.stateAccess.loadStateDict(values);
  }

  /**
   * Loads a safetensors file with PyTorch's state_dict names ('0.weight', ...). Every float tensor must be present
   * with its shape; batch norm's num_batches_tracked (int64 or float) is optional. Missing, unexpected and misshapen
   * tensors are all named in one StateDictError.
   */
  async loadSafetensors(bytes: Uint8Array): Promise<void> {
    this.checkAlive('loadSafetensors');
    const { floats, setCounters } = this.stateAccess.readSafetensors(bytes);
    await this.loadStateDict(floats);
    setCounters();
  }

  /** The parameters and buffers as a safetensors file PyTorch's load_state_dict accepts (num_batches_tracked as int64). */
  async saveSafetensors(): Promise<Uint8Array> {
    const values = await this.stateDict();
    return this.stateAccess.toSafetensors(values);
  }

  /**
   * Everything training continues from, as one safetensors file: parameters, buffers, masks, optimizer state, the step
   * count and the current learning rates (see src/nn/checkpoint-file.ts). loadCheckpoint on a net compiled the same way
   * continues bit for bit.
   */
  async saveCheckpoint(): Promise<Uint8Array> {
    this.checkAlive('saveCheckpoint');
    return saveCheckpoint({ backend: this.backend, blueprint: this.blueprint, state: this.state, queue: this.queue });
  }

  /**
   * Restores a saveCheckpoint file, steps and learning rates included. A checkpoint of another model or optimizer, or
   * unreadable bytes, give an error naming what differs, and nothing is loaded. Losses not yet taken are dropped.
   */
  async loadCheckpoint(bytes: Uint8Array): Promise<void> {
    this.checkAlive('loadCheckpoint');
    return loadCheckpoint({ backend: this.backend, blueprint: this.blueprint, state: this.state, queue: this.queue }, bytes);
  }

  /**
   * Sets a trainable parameter's pruning mask (1 keeps a weight, 0 prunes it) and multiplies the parameter by it at
   * once; every later update multiplies again, so pruned weights stay exactly zero.
   */
  async setMask(name: string, mask: Float32Array): Promise<void> {
    this.checkAlive('setMask');
    return this.stateAccess.setMask(name, mask);
  }

  /** A trainable parameter's current mask. */
  async readMask(name: string): Promise<Float32Array> {
    this.checkAlive('readMask');
    return this.stateAccess.readMask(name);
  }

  /** Frees every device buffer and prepared kernel of the net. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.queue.settle().catch(() => undefined);
    this.disposed = true;
    await this.programs.releaseAll();
    this.state.release();
  }

  private checkAlive(op: string): void {
    if (this.disposed) throw new EngineError(`${op}: the net was disposed`);
  }
}
