// Builds and schedules the compiled net's programs (train step, gradients, predict, evaluate, activations) per batch size.
import { createGraph } from '../autodiff/core.js';
import { scheduleProgram, type ScheduledProgram } from '../autodiff/execute.js';
import type { GraphBuilder, NodeId, ValueId } from '../autodiff/types.js';
import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import { sizeOf, type Shape } from '../tensor-meta.js';
import { checkInitOptions, initialStateDict } from './initialize.js';
import { describeValue } from './layers/common.js';
import { emitLoss, lossNames } from './losses.js';
import { Net } from './net.js';
import { emitOptimizer, resolveGroups, type OptimizedParameter } from './optimizers.js';
import { layerShapes, namedParameters, type NamedParameter } from './sequential.js';
import type { InitOptions, LossName, Mode, OptimizerOptions, ParameterUpdate, ResolvedGroup, Sequential } from './types.js';

/** engine.compile's options. */
export interface CompileOptions {
  /** Per-sample input shape, e.g. [784] or [1, 28, 28]. */
  inputShape: Shape;
  /** Samples per training step; prediction and evaluation take any count and run it in chunks of this size. */
  batchSize: number;
  loss: LossName;
  /** Needed for training (step, trainStep, fit); a net compiled without one can still predict and give gradients. */
  optimizer?: OptimizerOptions;
  /** Initial weights; default PyTorch's layer defaults. */
  init?: InitOptions;
  /** Seed of the initial weights; default the engine's seed. */
  seed?: number;
  /**
   * Training losses travel back from the device in blocks of this many steps (an even number; default 16): one read-back
   * per block, never a wait between steps. The net keeps host copies of the last 3 x lossBlock batches, for steps
   * queued while it waits and for replays.
   */
  lossBlock?: number;
  /**
   * Keep a device copy of the trainable state at the start of each loss block (two copies, alternating) so that a
   * non-finite loss can be replayed to find the layer and parameter where it appeared. Default true; false saves
   * twice the memory of the parameters and optimizer state, and the error then names only the step.
   */
  checkpoints?: boolean;
}

const compileOptionNames = ['inputShape', 'batchSize', 'loss', 'optimizer', 'init', 'seed', 'lossBlock', 'checkpoints'];

/**
 * Compiles a Sequential into a Net on the engine's backend: validates the options, draws the initial weights from the
 * seeded generator (the same bits on every backend), builds and schedules the training step once and allocates every
 * parameter, buffer, optimizer state and mask on the device. Other programs are built on first use.
 */
export async function compileNet(engine: Engine, model: Sequential, options: CompileOptions): Promise<Net> {
  if (typeof model !== 'object' || model === null || !Array.isArray(model.layers)) {
    throw new EngineError(`compile: the model must be an nn.sequential(...), got ${describeValue(model)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new EngineError(`compile: options must be an object like { inputShape: [784], batchSize: 128, loss: 'cross-entropy' }`);
  }
  for (const key of Object.keys(options)) {
    if (!compileOptionNames.includes(key))
      throw new EngineError(`compile: unknown option '${key}' (options: ${compileOptionNames.join(', ')})`);
  }
  const { inputShape, batchSize, loss, optimizer, init, seed = engine.seed, lossBlock = 16, checkpoints = true } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new EngineError(`compile: batchSize must be a positive integer, got ${describeValue(batchSize)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new EngineError(`compile: seed must be an integer, got ${describeValue(seed)}`);
  if (!Number.isSafeInteger(lossBlock) || lossBlock < 2 || lossBlock % 2 !== 0) {
    throw new EngineError(`compile: lossBlock must be an even integer >= 2, got ${describeValue(lossBlock)}`);
  }
  if (typeof checkpoints !== 'boolean')
    throw new EngineError(`compile: checkpoints must be true or false, got ${describeValue(checkpoints)}`);
  checkInitOptions(init);
  const parameters = namedParameters(model, inputShape);
  const trainable = parameters.filter((p) => p.spec.trainable).map((p) => p.name);
  const groups = optimizer === undefined ? [] : resolveGroups(optimizer, trainable);
  const blueprint = new NetBlueprint(model, inputShape, loss, optimizer, groups);
  const initial = initialStateDict(model, inputShape, init, seed);
  const net = new Net(engine, blueprint, { batchSize, lossBlock, checkpoints });
  try {
    await net.initialize(initial);
  } catch (error) {
    await net.dispose();
    throw error;
  }
  return net;
}

/** What each program computes; 'activations-*' keep every layer's output. */
export type ProgramKind = 'train' | 'gradients' | 'predict' | 'evaluate' | 'activations-train' | 'activations-eval';

/** One scheduled program and the graph values the net binds and reads. */
export interface BuiltProgram {
  readonly kind: ProgramKind;
  readonly batch: number;
  readonly scheduled: ScheduledProgram;
  /** The input batch x [batch, ...inputShape]. */
  readonly x: ValueId;
  /** Labels [batch] (int32, cross-entropy) or targets [batch, ...outputShape] (float32, mse), when the program has a loss. */
  readonly target?: ValueId;
  /** Graph value of every state_dict tensor the program declares, by name. */
  readonly tensors: ReadonlyMap<string, ValueId>;
  /** Pruning mask of every trainable parameter (train programs), by parameter name. */
  readonly masks: ReadonlyMap<string, ValueId>;
  /** Each layer's output in order; the last is the model's output. */
  readonly layerOutputs: readonly ValueId[];
  readonly loss?: ValueId;
  readonly losses?: ValueId;
  /** Gradient of every trainable parameter the loss reaches ('gradients' programs). */
  readonly grads: ReadonlyMap<string, ValueId>;
  /** Optimizer updates ('train' programs). */
  readonly updates: readonly ParameterUpdate[];
  /** New values of state buffers (batch norm's running statistics) in train mode ('train' programs), by state_dict name. */
  readonly stateUpdates: ReadonlyMap<string, ValueId>;
}

/** Everything about a model that does not depend on the batch size: names, shapes, labels. */
export class NetBlueprint {
  /** Per-sample shapes: the input, then each layer's output. */
  readonly shapes: readonly Shape[];
  /** Every parameter and float buffer in state_dict order. */
  readonly parameters: readonly NamedParameter[];
  /** The int64 counters of the state_dict ('1.num_batches_tracked'), with the layer that owns each. */
  readonly counters: readonly { name: string; layer: number }[];
  readonly features: number;
  readonly outputShape: Shape;
  readonly outputSize: number;
  /** Each layer's label in errors and diagnoses, e.g. '3 (linear)'. */
  readonly layerLabels: readonly string[];

  constructor(
    readonly model: Sequential,
    readonly inputShape: Shape,
    readonly loss: LossName,
    readonly optimizer: OptimizerOptions | undefined,
    readonly groups: ResolvedGroup[],
  ) {
    if (!lossNames.includes(loss)) {
      throw new EngineError(`compile: loss must be one of ${lossNames.map((n) => `'${n}'`).join(', ')}, got ${describeValue(loss)}`);
    }
    this.shapes = layerShapes(model, inputShape);
    this.parameters = namedParameters(model, inputShape);
    this.counters = model.layers.flatMap((layer, i) => (layer.counters ?? []).map((name) => ({ name: `${i}.${name}`, layer: i })));
    this.features = sizeOf(inputShape);
    this.outputShape = this.shapes[this.shapes.length - 1];
    this.outputSize = sizeOf(this.outputShape);
    this.layerLabels = model.layers.map((layer, i) => `${i} (${layer.type})`);
    if (loss === 'cross-entropy' && this.outputShape.length !== 1) {
      throw new EngineError(
        `compile: loss 'cross-entropy' needs logits [classes] per sample, but the model's output is [${this.outputShape.join(', ')}] per sample (is an nn.flatten() or a final nn.linear missing?)`,
      );
    }
  }

  /** The trainable parameters' names in state_dict order. */
  get trainableNames(): string[] {
    return this.parameters.filter((p) => p.spec.trainable).map((p) => p.name);
  }

  /** Builds the graph of one program kind at one batch size and schedules it. */
  async build(kind: ProgramKind, batch: number): Promise<BuiltProgram> {
    if (kind === 'train' && !this.optimizer)
      throw new EngineError('compile: the net was compiled without an optimizer, so it cannot train');
    const g = await createGraph();
    try {
      return this.emit(g, kind, batch);
    } finally {
      g.dispose();
    }
  }

  private emit(g: GraphBuilder, kind: ProgramKind, batch: number): BuiltProgram {
    const mode: Mode = kind === 'train' || kind === 'gradients' || kind === 'activations-train' ? 'train' : 'eval';
    const hasLoss = kind === 'train' || kind === 'gradients' || kind === 'evaluate';
    const x = g.input('x', [batch, ...this.inputShape]);
    const target = hasLoss
      ? this.loss === 'cross-entropy'
        ? g.input('labels', [batch], 'int32')
        : g.input('targets', [batch, ...this.outputShape])
      : undefined;

    const tensors = new Map<string, ValueId>();
    for (const { name, spec } of this.parameters)
      tensors.set(name, spec.trainable ? g.parameter(name, spec.shape) : g.state(name, spec.shape));
    const stateUpdates = new Map<string, ValueId>();
    const layerOutputs: ValueId[] = [];
    let h = x;
    this.model.layers.forEach((layer, i) => {
      const local: Record<string, ValueId> = {};
      for (const p of this.parameters) if (p.layer === i) local[p.spec.name] = tensors.get(p.name)!;
      const forward = g.withLabel(this.layerLabels[i], () => layer.forward(g, h, local, mode));
      if (kind === 'train') {
        for (const [local, value] of Object.entries(forward.stateUpdates ?? {})) stateUpdates.set(`${i}.${local}`, value);
      }
      layerOutputs.push(forward.output);
      h = forward.output;
    });

    let loss: ValueId | undefined;
    let losses: ValueId | undefined;
    const grads = new Map<string, ValueId>();
    const masks = new Map<string, ValueId>();
    let updates: ParameterUpdate[] = [];
    if (hasLoss) {
      const lossGraph = g.withLabel(`loss (${this.loss})`, () => emitLoss(g, this.loss, h, target!));
      loss = lossGraph.loss;
      losses = lossGraph.losses;
      if (kind === 'train' || kind === 'gradients') {
        const trainable = this.trainableNames;
        const gradientOf = g.backward(
          [lossGraph.seed],
          trainable.map((name) => tensors.get(name)!),
        );
        for (const name of trainable) {
          const grad = gradientOf.get(tensors.get(name)!);
          if (grad !== undefined) grads.set(name, grad);
        }
        if (kind === 'train') {
          const optimized: OptimizedParameter[] = [];
          for (const name of trainable) {
            const grad = grads.get(name);
            if (grad === undefined) continue; // the loss does not reach it: nothing to update
            const value = tensors.get(name)!;
            const mask = g.state(`mask.${name}`, g.value(value).shape);
            masks.set(name, mask);
            optimized.push({ name, value, grad, mask });
          }
          updates = emitOptimizer(g, this.optimizer!, this.groups, optimized);
        }
      }
    }

    const keep: ValueId[] = [];
    switch (kind) {
      case 'train':
        keep.push(
          loss!,
          ...updates.flatMap((u) => [u.newParam, ...Object.values(u.state).map((s) => s.written)]),
          ...stateUpdates.values(),
        );
        break;
      case 'gradients':
        keep.push(loss!, ...grads.values());
        break;
      case 'predict':
        keep.push(h);
        break;
      case 'evaluate':
        keep.push(h, losses!, loss!);
        break;
      case 'activations-train':
      case 'activations-eval':
        keep.push(...layerOutputs);
        break;
    }
    const described = [x, ...(target === undefined ? [] : [target]), ...tensors.values(), ...masks.values()];
    for (const u of updates) for (const s of Object.values(u.state)) described.push(s.read);
    const nodes: NodeId[] = updates.map((u) => u.node);
    const scheduled = scheduleProgram(g, keep, { values: [...described, ...layerOutputs], nodes });
    return { kind, batch, scheduled, x, target, tensors, masks, layerOutputs, loss, losses, grads, updates, stateUpdates };
  }
}
