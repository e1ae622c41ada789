// The training loop over a Dataset: epochs of queued steps, losses read back in blocks, per-epoch figures and validation.
import { permutation, type Dataset } from '../data/dataset.js';
import { EngineError } from '../errors.js';
import { Random } from '../random.js';
import { formatShape } from '../tensor-meta.js';
import type { Evaluation, Net } from './net.js';

export interface FitOptions {
  /** The number of the last epoch to train (Keras' `epochs`): passes over the dataset when initialEpoch is 0; default 1. */
  epochs?: number;
  /**
   * Epochs already trained, e.g. by a run this one resumes from a checkpoint (Keras' `initial_epoch`; default 0): fit
   * trains epochs initialEpoch + 1 to `epochs` and numbers its reports so. With shuffling, the orders of the epochs
   * already trained are drawn from the seeded generator and discarded, so every later epoch visits the batches an
   * uninterrupted fit with the same seed would have.
   */
  initialEpoch?: number;
  /** Visit the samples in a fresh seeded order every epoch; default true. */
  shuffle?: boolean;
  /** Seed of the shuffling order; default 0. The same seed gives the same batches on every backend and runtime. */
  seed?: number;
  /** A dataset evaluated (eval mode, every sample) after each epoch. */
  validation?: Dataset;
  /**
   * Also evaluate the training set after each epoch (eval mode, every sample: the weights as the epoch left them, not a
   * running average over the epoch's steps). Costs a forward pass over the training set. Default false.
   */
  evaluateTraining?: boolean;
  /**
   * Called after each epoch, once its losses are back from the device. Returning (or resolving to) { stop: true } ends
   * training after this epoch (early stopping); the reason lands in the report's stopReason.
   */
  onEpoch?: (epoch: EpochReport) => void | EpochDecision | Promise<void | EpochDecision>;
  /** Called after each step is queued; it gets no loss (reading one back per step would stall the device). */
  onStep?: (progress: StepProgress) => void;
}

/** What an onEpoch callback may return: stop training after this epoch, and why. */
export interface EpochDecision {
  stop: boolean;
  /** Recorded as the last report's stopReason; default 'stopped by onEpoch'. */
  reason?: string;
}

export interface StepProgress {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Training steps the net has taken in all. */
  step: number;
}

export interface EpochReport {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's steps (train mode, as each step computed it). */
  loss: number;
  /** Every step's training loss. */
  losses: Float32Array;
  steps: number;
  /** Samples trained on (the last partial batch of the dataset is dropped, see fit). */
  samples: number;
  /** Wall-clock seconds of the epoch's training, losses read back included, validation excluded. */
  seconds: number;
  samplesPerSecond: number;
  /** Loss and accuracy on the validation set, when one was given. */
  validation?: Evaluation;
  /** Loss and accuracy on the training set after the epoch, with evaluateTraining. */
  training?: Evaluation;
  /** Set on the last report when onEpoch stopped training early: why (e.g. an early-stopping rule's reason). */
  stopReason?: string;
}

/** How often fit lets the event loop run between steps (a setTimeout turn costs ~1-4 ms). */
const EVENT_LOOP_TURN_MS = 100;

/**
 * Trains the net on a dataset for some epochs. Each epoch visits the samples in batches of the net's batchSize; the
 * last partial batch is dropped (the compiled train step has a fixed batch size, and a smaller batch would weigh its
 * samples more), so up to batchSize - 1 samples sit out each epoch, different ones each epoch when shuffling.
 * Steps are queued without waiting; losses come back from the device in blocks. Returns one report per epoch run (fewer
 * than `epochs` - `initialEpoch` when onEpoch stopped training early).
 */
export async function fit(net: Net, dataset: Dataset, options: FitOptions = {}): Promise<EpochReport[]> {
  const { epochs = 1, initialEpoch = 0, shuffle = true, seed = 0, validation, evaluateTraining = false, onEpoch, onStep } = options;
  if (!Number.isSafeInteger(epochs) || epochs < 0)
    throw new EngineError(`fit: epochs must be a non-negative integer, got ${String(epochs)}`);
  if (!Number.isSafeInteger(initialEpoch) || initialEpoch < 0)
    throw new EngineError(`fit: initialEpoch must be a non-negative integer (the epochs already trained), got ${String(initialEpoch)}`);
  if (epochs < initialEpoch) {
    throw new EngineError(
      `fit: epochs (${epochs}) is the number of the last epoch to train and must be >= initialEpoch (${initialEpoch}, the epochs already trained)`,
    );
  }
  if (!Number.isSafeInteger(seed)) throw new EngineError(`fit: seed must be an integer, got ${String(seed)}`);
  checkDataset('fit', net, dataset);
  if (validation) checkDataset('fit (validation)', net, validation);
  const batches = dataset.batchCount(net.batchSize, true);
  if (batches === 0) {
    throw new EngineError(`fit: the dataset has ${dataset.count} samples, fewer than one batch of ${net.batchSize}`);
  }
  // Losses of steps queued before fit are not this epoch's.
  await net.losses();
  const random = new Random(seed);
  // Each shuffled epoch draws one permutation of the dataset from `random`: skip those of the epochs already trained.
  if (shuffle) for (let epoch = 1; epoch <= initialEpoch; epoch++) permutation(dataset.count, random);
  const reports: EpochReport[] = [];
  let lastTurn = now();
  for (let epoch = initialEpoch + 1; epoch <= epochs; epoch++) {
    const started = now();
    for (const batch of dataset.batches(net.batchSize, { shuffle, random, dropLast: true })) {
      await net.step(batch.inputs, batch.labels);
      // WebAssembly steps run synchronously and their promises settle as microtasks: give the event loop a turn now and
      // then, so signal handlers (Ctrl-C), timers and a browser page's UI can run during a long epoch.
      if (now() - lastTurn > EVENT_LOOP_TURN_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastTurn = now();
      }
      onStep?.({ epoch, batch: batch.index, batches, step: net.steps });
    }
    const losses = await net.losses();
    const seconds = (now() - started) / 1000;
    const samples = batches * net.batchSize;
    let sum = 0;
    for (const loss of losses) sum += loss;
    const report: EpochReport = {
      epoch,
      loss: sum / losses.length,
      losses,
      steps: batches,
      samples,
      seconds,
      samplesPerSecond: samples / seconds,
    };
    if (validation) report.validation = await net.evaluate(validation.inputs, validation.labels);
    if (evaluateTraining) report.training = await net.evaluate(dataset.inputs, dataset.labels);
    reports.push(report);
    const decision = await onEpoch?.(report);
    if (decision && decision.stop) {
      report.stopReason = decision.reason ?? 'stopped by onEpoch';
      break;
    }
  }
  return reports;
}

/** Mean loss and accuracy of the net over every sample of a dataset (eval mode; the last partial batch included). */
export function evaluateDataset(net: Net, dataset: Dataset): Promise<Evaluation> {
  checkDataset('evaluate', net, dataset);
  return net.evaluate(dataset.inputs, dataset.labels);
}

function checkDataset(op: string, net: Net, dataset: Dataset): void {
  const features = net.inputShape.reduce((a, b) => a * b, 1);
  if (dataset.features !== features) {
    throw new EngineError(
      `${op}: ${dataset.name} ${dataset.split} samples are ${formatShape(dataset.shape)} (${dataset.features} values), but the net takes ${formatShape(net.inputShape)} (${features} values)`,
    );
  }
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
