// playground.run: one live training run (model, init, pruning, threshold from the settings) that emits its losses, E,
// relative E, active nodes and accuracies as it trains. Runtime-neutral: the page, Node and Deno run the same code.
import type { Dataset } from '../data/dataset.js';
import { init as emergenceInit } from '../emergence/init.js';
import { measure } from '../emergence/measure.js';
import { countParameters, prune } from '../emergence/prune.js';
import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import { mlp, smallCnn } from '../experiments/models.js';
import type { Net } from '../nn/net.js';
import type { InitName, Sequential } from '../nn/types.js';
import { Random } from '../random.js';
import { emptyHistory, recordEvent } from './history.js';
import { resolveSettings } from './settings.js';
import type {
  PlaygroundDone,
  PlaygroundEvent,
  PlaygroundHistory,
  PlaygroundMeasure,
  PlaygroundRunOptions,
  PlaygroundSettings,
  PlaygroundStart,
} from './types.js';

/** Losses come back from the device in blocks of this many steps (one read each), so the loss chart moves smoothly. */
const LOSS_BLOCK = 20;
/** A run yields to the event loop at least this often (ms), so a page stays responsive on the WebAssembly backend. */
const EVENT_LOOP_TURN_MS = 50;

const baseInit: Record<PlaygroundSettings['init'], InitName> = {
  kaiming: 'kaiming-normal',
  xavier: 'xavier-normal',
  emergence: 'kaiming-normal',
};

/** The model the settings name, for the data set's sample shape. */
export function playgroundModel(settings: PlaygroundSettings, shape: readonly number[]): Sequential {
  const [channels, height, width] = shape;
  if (settings.model === 'cnn') {
    if (height !== width) throw new EngineError(`playground: the CNN takes square images, the data set's are ${height}x${width}`);
    return smallCnn(channels, height);
  }
  return mlp(channels * height * width, settings.hidden);
}

/**
 * Trains a net as the settings say on `train`, measuring on the first `settings.probe` samples of `test`, and emits
 * every result as it comes (options.onEvent). Resolves with the whole history once the run ends (all epochs,
 * settings.maxSteps, or options.signal aborted). The net is disposed at the end; the engine stays the caller's.
 *
 * Order within a run: E is measured before the first step (after the emergence init, if chosen); pruning, when asked
 * for, happens before step `pruneStep` + 1 and is measured right after; then E every `measureEvery` steps and at the end,
 * the full test set after every epoch and at the end.
 */
export async function run(
  engine: Engine,
  settingsInput: Partial<PlaygroundSettings>,
  data: { train: Dataset; test: Dataset },
  options: PlaygroundRunOptions = {},
): Promise<PlaygroundHistory> {
  const settings = resolveSettings(settingsInput);
  const { train, test } = data;
  checkData(settings, train, test);
  const started = now();
  const trainSamples = settings.trainSamples === 0 ? train.count : Math.min(settings.trainSamples, train.count);
  const trainSet = trainSamples === train.count ? train : train.slice(0, trainSamples);
  const stepsPerEpoch = Math.floor(trainSet.count / settings.batchSize);
  if (stepsPerEpoch === 0) {
    throw new EngineError(`playground: ${trainSet.count} training samples are fewer than one batch of ${settings.batchSize}`);
  }
  const plannedSteps = settings.epochs * stepsPerEpoch;
  const steps = settings.maxSteps > 0 ? Math.min(settings.maxSteps, plannedSteps) : plannedSteps;
  const pruneStep = settings.pruneFraction > 0 ? Math.round(settings.pruneAt * steps) : undefined;
  const probeCount = Math.min(settings.probe, test.count);
  const probe = test.inputs.subarray(0, probeCount * test.features);
  const probeLabels = test.labels.subarray(0, probeCount);

  const net = await engine.compile(playgroundModel(settings, train.shape), {
    inputShape: [...train.shape],
    batchSize: settings.batchSize,
    loss: 'cross-entropy',
    optimizer: settings.optimizer === 'adam' ? { name: 'adam', lr: settings.lr } : { name: 'sgd', lr: settings.lr, momentum: 0.9 },
    init: { name: baseInit[settings.init] },
    seed: settings.seed,
  });
  const history = emptyHistory();
  const emit = (event: PlaygroundEvent): void => {
    recordEvent(history, event);
    options.onEvent?.(event);
  };
  try {
    if (settings.init === 'emergence') await emergenceInit(net, { base: 'kaiming', alpha: settings.alpha, seed: settings.seed });
    const measureNow = (step: number, epoch: number): Promise<PlaygroundMeasure> =>
      measureRun(net, settings, probe, probeLabels, step, epoch);
    const initial = await measureNow(0, 0);
    const parameters = (await countParameters(net)).total;
    emit({
      type: 'start',
      settings,
      backend: engine.backend,
      description: engine.description,
      parameters,
      stepsPerEpoch,
      steps,
      ...(pruneStep === undefined ? {} : { pruneStep }),
      layers: initial.layers.map(({ name, label, n }) => ({ name, label, n })),
    } satisfies PlaygroundStart);
    emit(initial);

    const random = new Random(settings.seed);
    let step = 0;
    let reason: PlaygroundDone['reason'] = 'finished';
    let lastTurn = now();
    let pendingFrom = 1;
    let epochLossSum = 0;
    const flushLosses = async (epoch: number): Promise<void> => {
      const losses = await net.losses();
      if (losses.length === 0) return;
      for (const loss of losses) epochLossSum += loss;
      emit({ type: 'losses', epoch, firstStep: pendingFrom, losses: Array.from(losses) });
      pendingFrom += losses.length;
    };
    const pruneNow = async (epoch: number): Promise<void> => {
      await flushLosses(epoch);
      const report = await prune(net, { fraction: settings.pruneFraction, scope: 'global' });
      const counts = await countParameters(net);
      emit({
        type: 'prune',
        step,
        fraction: settings.pruneFraction,
        pruned: report.pruned,
        unpruned: counts.unmasked,
        total: counts.total,
      });
      emit(await measureNow(step, epoch));
    };

    epochs: for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const epochStart = now();
      const epochFirstStep = step;
      epochLossSum = 0;
      for (const batch of trainSet.batches(settings.batchSize, { shuffle: true, random, dropLast: true })) {
        if (options.signal?.aborted) {
          reason = 'stopped';
          break;
        }
        if (step >= steps) {
          reason = steps < plannedSteps ? 'max-steps' : 'finished';
          break;
        }
        if (step === pruneStep) await pruneNow(epoch);
        await net.step(batch.inputs, batch.labels);
        step++;
        if (step % LOSS_BLOCK === 0) await flushLosses(epoch);
        if (step % settings.measureEvery === 0 && step < steps) {
          await flushLosses(epoch);
          emit(await measureNow(step, epoch));
        }
        if (now() - lastTurn > EVENT_LOOP_TURN_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          lastTurn = now();
        }
      }
      await flushLosses(epoch);
      const epochSteps = step - epochFirstStep;
      if (epochSteps === stepsPerEpoch) {
        const seconds = (now() - epochStart) / 1000;
        const evaluation = await net.evaluate(test.inputs, test.labels);
        emit({
          type: 'epoch',
          epoch,
          step,
          loss: epochLossSum / epochSteps,
          testLoss: evaluation.loss,
          testAccuracy: evaluation.accuracy ?? NaN,
          seconds,
          samplesPerSecond: (epochSteps * settings.batchSize) / seconds,
        });
      }
      if (reason !== 'finished' || step >= steps) {
        if (reason === 'finished' && steps < plannedSteps) reason = 'max-steps';
        break epochs;
      }
    }
    const lastEpochNumber = Math.min(settings.epochs, Math.ceil(step / stepsPerEpoch));
    // Pruning planned after the last step (pruneAt 1) happens at the end, unless the run was stopped.
    if (step === pruneStep && reason !== 'stopped' && history.prunes.length === 0) await pruneNow(lastEpochNumber);
    // The final state is measured once (pruneNow and the measureEvery schedule may already have measured it).
    if (history.measures.at(-1)?.step !== step) emit(await measureNow(step, lastEpochNumber));
    const lastEpoch = history.epochs.at(-1);
    const evaluation =
      lastEpoch?.step === step
        ? { loss: lastEpoch.testLoss, accuracy: lastEpoch.testAccuracy }
        : await net.evaluate(test.inputs, test.labels);
    emit({
      type: 'done',
      step,
      reason,
      testLoss: evaluation.loss,
      testAccuracy: evaluation.accuracy ?? NaN,
      seconds: (now() - started) / 1000,
    });
  } finally {
    await net.dispose();
  }
  return history as PlaygroundHistory;
}

async function measureRun(
  net: Net,
  settings: PlaygroundSettings,
  probe: Float32Array,
  probeLabels: Int32Array,
  step: number,
  epoch: number,
): Promise<PlaygroundMeasure> {
  const measured = await measure(net, probe, { threshold: settings.threshold });
  const evaluation = await net.evaluate(probe, probeLabels);
  return {
    type: 'measure',
    step,
    epoch,
    E: measured.E.toString(),
    log10E: measured.log10E,
    relative: measured.relative,
    relativeUnpruned: measured.relativeUnpruned,
    layers: measured.layers.map((layer) => ({
      name: layer.name,
      label: layer.label,
      n: layer.n,
      a: layer.a,
      fraction: layer.fraction,
      statistic: Array.from(layer.statistic),
    })),
    probeLoss: evaluation.loss,
    probeAccuracy: evaluation.accuracy ?? NaN,
  };
}

function checkData(settings: PlaygroundSettings, train: Dataset, test: Dataset): void {
  for (const [role, dataset] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (!dataset || typeof dataset.batches !== 'function')
      throw new EngineError(`playground: data.${role} must be a Dataset (data.load), got ${typeof dataset}`);
    if (dataset.name !== settings.dataset) {
      throw new EngineError(`playground: the settings name '${settings.dataset}', but data.${role} holds '${dataset.name}'`);
    }
  }
  if (train.features !== test.features) {
    throw new EngineError(`playground: training samples have ${train.features} values, test samples ${test.features}`);
  }
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
