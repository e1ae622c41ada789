// Forward passes outside training: gradients on a batch, predictions and evaluations in chunks, and every layer's activations.
import type { Backend, DeviceBuffer } from '../backend/backend.js';
import type { BoundProgram } from '../autodiff/execute.js';
import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import { sizeOf, type Shape } from '../tensor-meta.js';
import { Tensor, type TensorOwner } from '../tensor.js';
import { checkBatch } from './batch-check.js';
import type { NetBlueprint, ProgramKind } from './compile.js';
import type { NetState } from './net-state.js';
import type { Activations, Evaluation, LossAndGradients, Targets } from './net-types.js';
import { readValue, type CachedProgram, type ProgramCache } from './programs.js';
import type { TrainingQueue } from './train-queue.js';
import type { Mode } from './types.js';

/** Reads in flight at once when predicting or evaluating in chunks. */
const MAX_READS_IN_FLIGHT = 16;

/** The bodies of Net.lossAndGradients, predict, evaluate (on arrays) and activations, after their liveness checks. */
export class Inference {
  private readonly backend: Backend;
  private readonly tensorOwner: TensorOwner;

  constructor(
    engine: Engine,
    private readonly blueprint: NetBlueprint,
    private readonly state: NetState,
    private readonly programs: ProgramCache,
    private readonly queue: TrainingQueue,
    private readonly batchSize: number,
  ) {
    this.backend = engine.backendImpl;
    this.tensorOwner = {
      readBuffer: (buffer, bytes) => engine.readBuffer(buffer, bytes),
      releaseBuffer: () => {},
      forgetTensor: () => {},
    };
  }

  async lossAndGradients(x: Float32Array, targets: Targets): Promise<LossAndGradients> {
    const { count, target } = checkBatch(this.blueprint, 'lossAndGradients', x, targets);
    await this.queue.settle();
    const cached = await this.programs.get('gradients', count);
    const bound = this.programs.bind(cached, this.queue.phase);
    this.backend.write(cached.x, x);
    this.backend.write(cached.target!, target);
    this.backend.dispatch(bound.kernels);
    const { built } = cached;
    const names = [...built.grads.keys()];
    const reads = names.map((name) => readValue(this.backend, bound, built.grads.get(name)!, sizeOf(this.state.tensors.get(name)!.shape)));
    const [loss, ...grads] = await Promise.all([readValue(this.backend, bound, built.loss!, 1), ...reads]);
    return { loss: loss[0], grads: Object.fromEntries(names.map((name, i) => [name, grads[i]])) };
  }

  async predict(x: Float32Array): Promise<Float32Array> {
    const { count } = checkBatch(this.blueprint, 'predict', x);
    const outputSize = this.blueprint.outputSize;
    const out = new Float32Array(count * outputSize);
    await this.runChunks('predict', x, undefined, count, (bound, cached, start, n) =>
      readValue(this.backend, bound, cached.built.layerOutputs.at(-1)!, n * outputSize).then((values) =>
        out.set(values, start * outputSize),
      ),
    );
    return out;
  }

  async evaluate(x: Float32Array, targets: Targets | undefined): Promise<Evaluation> {
    if (targets === undefined) throw new EngineError('evaluate: labels (or targets) are required with x');
    const { count, target, labels } = checkBatch(this.blueprint, 'evaluate', x, targets);
    const classes = this.blueprint.outputSize;
    let lossSum = 0;
    let correct = 0;
    await this.runChunks('evaluate', x, target, count, async (bound, cached, start, n) => {
      const [logits, losses] = await Promise.all([
        readValue(this.backend, bound, cached.built.layerOutputs.at(-1)!, n * classes),
        readValue(this.backend, bound, cached.built.losses!, n),
      ]);
      for (let i = 0; i < n; i++) lossSum += losses[i];
      if (labels) correct += countCorrect(logits, labels.subarray(start, start + n), classes);
    });
    return { loss: lossSum / count, ...(labels ? { accuracy: correct / count } : {}), count };
  }

  async activations(x: Float32Array, options: { mode?: Mode }): Promise<Activations> {
    const mode = options.mode ?? 'eval';
    if (mode !== 'eval' && mode !== 'train') throw new EngineError(`activations: mode must be 'eval' or 'train', got ${String(mode)}`);
    const { count } = checkBatch(this.blueprint, 'activations', x);
    await this.queue.settle();
    const kind = mode === 'train' ? 'activations-train' : 'activations-eval';
    // One activations program per mode is kept: every layer's output of a large probe batch is a lot of memory.
    await this.programs.releaseOtherBatches(kind, count);
    const cached = await this.programs.get(kind, count);
    const bound = this.programs.bind(cached, this.queue.phase);
    this.backend.write(cached.x, x);
    this.backend.dispatch(bound.kernels);
    return this.wrapActivations(cached, bound, count);
  }

  /** Runs a program over x in chunks of batchSize (the remainder with a program of its own size), reading as it goes. */
  private async runChunks(
    kind: ProgramKind,
    x: Float32Array,
    target: Int32Array | Float32Array | undefined,
    count: number,
    read: (bound: BoundProgram, cached: CachedProgram, start: number, n: number) => Promise<void>,
  ): Promise<void> {
    await this.queue.settle();
    const B = this.batchSize;
    const full = Math.floor(count / B);
    const rest = count - full * B;
    const [whole, remainder] = await Promise.all([
      full > 0 ? this.programs.get(kind, B) : undefined,
      rest > 0 ? this.programs.get(kind, rest) : undefined,
    ]);
    const features = this.blueprint.features;
    const perTarget = target ? target.length / count : 0;
    const pending: Promise<void>[] = [];
    for (let start = 0; start < count; start += B) {
      const n = Math.min(B, count - start);
      const cached = (n === B ? whole : remainder)!;
      const bound = this.programs.bind(cached, this.queue.phase);
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
    return { input: wrap(cached.x, this.blueprint.inputShape), layers };
  }
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
