// The training queue: takes steps without waiting for the device, reads losses back per block, stops at a non-finite one.
import { EngineError } from '../errors.js';
import { checkBatch } from './batch-check.js';
import type { NetBlueprint } from './compile.js';
import type { Targets } from './net-types.js';
import type { TrainStep } from './train-step.js';

/** Why training stopped: resolves to the error once the net has looked for its cause (and rolled back when it could). */
interface Failure {
  readonly error: Promise<Error>;
}

export class TrainingQueue {
  /** The device side of the train step; undefined when the net was compiled without an optimizer. */
  training: TrainStep | undefined;

  /** Steps accepted, dispatched, whose losses were requested, and whose losses were checked (all counted from 0). */
  private queued = 0;
  private dispatchedSteps = 0;
  private requested = 0;
  private checked = 0;
  /** Incremented when training stops on a failure: queued steps and reads of an older generation are dropped. */
  private generation = 0;
  private collected: number[] = [];
  private lossChain: Promise<void> = Promise.resolve();
  private gate: Promise<void> | undefined;
  private failure: Failure | undefined;

  /** `diagnose` looks for the cause of step s's (0-based) non-finite loss, and resets the counters. */
  constructor(
    private readonly blueprint: NetBlueprint,
    private readonly batchSize: number,
    private readonly lossBlock: number,
    private readonly diagnose: (s: number, loss: number) => Promise<Error>,
  ) {}

  /** Training steps dispatched so far. */
  get dispatched(): number {
    return this.dispatchedSteps;
  }

  /** Which buffer of each ping-pong pair holds the current state (the next step reads it). */
  get phase(): number {
    return this.dispatchedSteps % 2;
  }

  /** Net.step after its liveness check: throws on bad input, or returns the step's promise. */
  step(x: Float32Array, targets: Targets): Promise<void> {
    const training = this.training;
    if (!training) throw new EngineError('step: the net was compiled without an optimizer, so it cannot train');
    if (this.failure) return this.deliverFailure(this.failure);
    const { target } = checkBatch(this.blueprint, 'step', x, targets, this.batchSize);
    const q = this.queued;
    if (q - training.batches.size >= this.checked) {
      throw new EngineError(
        `step: ${q - this.dispatchedSteps} steps are queued ahead of the device; await each step() before queuing the next`,
      );
    }
    training.batches.stage(q, x, target);
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
  }

  /** Net.losses after its liveness check. */
  async losses(): Promise<Float32Array> {
    if (this.failure) return this.deliverFailure(this.failure);
    await this.gate;
    this.requestLosses();
    await this.lossChain;
    if (this.failure) return this.deliverFailure(this.failure);
    const result = Float32Array.from(this.collected);
    this.collected = [];
    return result;
  }

  /** Waits until queued steps are dispatched and any diagnosis has finished. */
  async settle(): Promise<void> {
    await this.gate;
    if (this.failure) await this.failure.error;
  }

  /**
   * Before the state is edited from outside (loading, masks): checks every dispatched step's loss first, so that a
   * failure before the edit is still replayed from the block's checkpoint.
   */
  async beforeEdit(): Promise<void> {
    await this.settle();
    this.requestLosses();
    await this.lossChain;
    await this.settle();
  }

  /** After an edit of the state: the current block's checkpoint is retaken here, so replays include the edit. */
  afterEdit(): void {
    this.training?.checkpoints?.retake(this.dispatchedSteps);
  }

  /** After a failure: the net continues from `steps` steps, and losses requested after it are dropped. */
  resetCounters(steps: number): void {
    this.queued = this.dispatchedSteps = this.requested = this.checked = steps;
  }

  private dispatchStep(i: number): void {
    this.training!.dispatch(i);
    this.dispatchedSteps = i + 1;
    if (this.dispatchedSteps % this.lossBlock === 0) this.requestLosses();
  }

  /** Starts reading back the losses of the steps dispatched since the last request (all inside one loss block). */
  private requestLosses(): void {
    const from = this.requested;
    const to = this.dispatchedSteps;
    if (to <= from || this.failure) return;
    const generation = this.generation;
    const read = this.training!.lossRing.read(from, to - from);
    this.requested = to;
    this.lossChain = this.lossChain
      .then(() => read)
      .then(
        (values) => this.accept(from, values, generation),
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
}
