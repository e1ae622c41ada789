// What the pruning study and the transfer experiment share: the MLP and its SGD setup, training up to and after the split, pruning records.
import type { Dataset } from '../data/dataset.js';
import { countParameters, prune, type PruneReport, type PruneScope } from '../emergence/prune.js';
import type { Net } from '../nn/net.js';
import { batchSizeOption, compileClassifier, optimizerOf } from './common.js';
import { mlp } from './models.js';
import type { SettingsCheck } from './settings-checks.js';
import { formatStatistic, statistic } from './stats.js';
import type { ExperimentContext, JsonValue, MetricsRow, PaperComparison, Statistic } from './types.js';

/** The settings of both experiments' MLP and its training. */
export interface MlpStudySettings {
  /** Hidden widths of the ReLU MLP, comma-separated. */
  hidden: string;
  /** Epochs every net trains after the split. */
  epochs: number;
  /** Magnitude threshold over all weight tensors at once ('global') or per tensor ('layer'). */
  scope: string;
  optimizer: string;
  lr: number;
  /** SGD momentum (0: plain SGD). */
  momentum: number;
  batchSize: number;
  /** Training images of each data set: the first N (0: all 60,000). */
  trainLimit: number;
  /** Test images of each data set: the first N (0: all 10,000). */
  testLimit: number;
  seeds: number;
}

/** The CLI options of MlpStudySettings whose meaning is the same in both experiments. */
export const MLP_STUDY_OPTIONS = {
  hidden: { kind: 'string', value: 'W,W,W', help: 'hidden widths of the MLP (the paper does not say; default 512,256,128)' },
  scope: {
    kind: 'choice',
    choices: ['global', 'layer'],
    help: 'magnitude threshold over all weights at once, or per layer (default global)',
  },
  optimizer: { kind: 'choice', choices: ['sgd', 'adam'], help: 'optimizer (the paper does not say; default sgd)' },
  momentum: { kind: 'number', value: 'M', help: 'SGD momentum (default 0: plain SGD)' },
  batchSize: batchSizeOption('the paper does not say; default 32'),
} as const;

/** The checks of MlpStudySettings (widths are checked by parseWidths). */
export function checkMlpStudy(check: SettingsCheck<MlpStudySettings>): void {
  const { momentum, optimizer } = check.settings;
  check.positiveIntegers('epochs', 'batchSize', 'seeds');
  check.sampleLimits('trainLimit', 'testLimit');
  check.oneOf('scope', MLP_STUDY_OPTIONS.scope.choices);
  check.oneOf('optimizer', MLP_STUDY_OPTIONS.optimizer.choices);
  check.positiveNumbers('lr');
  if (!(Number.isFinite(momentum) && momentum >= 0 && momentum < 1)) check.reject('momentum', 'a number in [0, 1)');
  if (optimizer === 'adam' && momentum !== 0) check.fail('--momentum applies to sgd only; with adam leave it at 0');
}

export function describeOptimizer(settings: MlpStudySettings): string {
  if (settings.optimizer === 'adam') return `Adam, lr ${settings.lr}, batch ${settings.batchSize}`;
  const momentum = settings.momentum > 0 ? `momentum ${settings.momentum}` : 'no momentum';
  return `SGD (${momentum}), lr ${settings.lr}, batch ${settings.batchSize}`;
}

/** A fresh MLP for `train`'s data (PyTorch's default init, drawn from `seed`). */
export function compileMlp(
  ctx: ExperimentContext,
  settings: MlpStudySettings,
  hidden: readonly number[],
  train: Dataset,
  seed: number,
): Promise<Net> {
  return compileClassifier(ctx, mlp(train.features, hidden, train.classes.length), train, {
    batchSize: settings.batchSize,
    optimizer: optimizerOf(settings.optimizer, settings.lr, settings.momentum),
    seed,
  });
}

/**
 * The net before the split: a fresh MLP trained `epochs` epochs on `train` (phase: its data set), with training accuracy
 * after every epoch. Returns its epoch rows and a checkpoint of its final state (weights, optimizer state, step count).
 */
export async function trainBeforeSplit(
  ctx: ExperimentContext,
  settings: MlpStudySettings,
  hidden: readonly number[],
  { run, seed, train, test, epochs }: { run: string; seed: number; train: Dataset; test: Dataset; epochs: number },
): Promise<{ rows: MetricsRow[]; checkpoint: Uint8Array }> {
  const net = await compileMlp(ctx, settings, hidden, train, seed);
  try {
    const result = await ctx.train({ run, seed, phase: train.name, net, train, test, epochs, evaluateTraining: true });
    return { rows: epochRowsOf(result.rows), checkpoint: await net.saveCheckpoint() };
  } finally {
    await net.dispose();
  }
}

/** One net after the split, as both experiments record it. */
export interface BranchRun {
  run: string;
  /** Epoch rows: the row before its first step after the split (after loading and pruning), then one per epoch. */
  rows: MetricsRow[];
  /** E on the probe before pruning: right after loading the checkpoint (or at init without one). */
  EBeforePruning: string;
  prune: JsonValue;
  /** Counts after the training. */
  after: CountsRecord;
}

/**
 * A fresh MLP, loaded from `checkpoint` when given, measured, magnitude-pruned by `fraction` (0: not pruned) and trained
 * settings.epochs epochs on `train` (phase: its data set), numbered on from `epochOffset`.
 */
export async function trainAfterSplit(
  ctx: ExperimentContext,
  settings: MlpStudySettings,
  hidden: readonly number[],
  options: {
    run: string;
    seed: number;
    checkpoint?: Uint8Array;
    fraction: number;
    train: Dataset;
    test: Dataset;
    probe: Float32Array;
    epochOffset: number;
    shuffleSeed?: number;
  },
): Promise<BranchRun> {
  const { run, seed, checkpoint, fraction, train, test, probe, epochOffset, shuffleSeed } = options;
  const net = await compileMlp(ctx, settings, hidden, train, seed);
  try {
    if (checkpoint) await net.loadCheckpoint(checkpoint);
    const before = await ctx.measure(net, probe);
    const report = fraction > 0 ? await prune(net, { fraction, scope: settings.scope as PruneScope }) : undefined;
    const result = await ctx.train({
      run,
      seed,
      phase: train.name,
      net,
      train,
      test,
      probe,
      epochs: settings.epochs,
      epochOffset,
      measureInitial: true,
      evaluateTraining: true,
      shuffleSeed,
    });
    return {
      run,
      rows: epochRowsOf(result.rows),
      EBeforePruning: before.E!,
      prune: report ? pruneSummary(report) : null,
      after: await countsOf(net),
    };
  } finally {
    await net.dispose();
  }
}

/** 'pruned 30%'. */
export function prunedRunName(fraction: number): string {
  return `pruned ${Math.round(fraction * 100)}%`;
}

const DATASET_LABELS: Record<string, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST', cifar10: 'CIFAR-10' };

export function datasetLabel(name: string): string {
  return DATASET_LABELS[name] ?? name;
}

/** Parameter counts of a net after training: all trainable entries, the unmasked ones, and the weights (rank-2 tensors). */
export interface CountsRecord {
  [key: string]: JsonValue;
  parameters: number;
  unmasked: number;
  nonzero: number;
  weights: number;
  /** Weight entries whose mask is 0. */
  maskedWeights: number;
  /** Weight entries whose value is exactly 0 (masked ones included). */
  zeroWeights: number;
}

export async function countsOf(net: Net): Promise<CountsRecord> {
  const counts = await countParameters(net);
  const weights = counts.tensors.filter((tensor) => tensor.name.endsWith('.weight'));
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    parameters: counts.total,
    unmasked: counts.unmasked,
    nonzero: counts.nonzero,
    weights: sum(weights.map((t) => t.total)),
    maskedWeights: sum(weights.map((t) => t.total - t.unmasked)),
    zeroWeights: sum(weights.map((t) => t.total - t.nonzero)),
  };
}

/** What a prune call did, for details. */
export function pruneSummary(report: PruneReport): JsonValue {
  return {
    scope: report.scope,
    fraction: report.fraction,
    weights: report.total,
    pruned: report.pruned,
    threshold: report.tensors[0]?.threshold ?? null,
    tensors: report.tensors.map((t) => ({ name: t.name, total: t.total, pruned: t.pruned, fraction: t.fraction, threshold: t.threshold })),
  };
}

export const epochRowsOf = (rows: readonly MetricsRow[]): MetricsRow[] => rows.filter((row) => row.kind === 'epoch');

/** Mean of E (as float64) over the rows. */
export function meanE(rows: readonly MetricsRow[]): number {
  return mean(rows.map((row) => Number(row.E)));
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * Epochs after `start` (the row before the first step) until training accuracy first comes within `points` percentage
 * points of the run's final training accuracy.
 */
export function epochsToPlateau(rows: readonly MetricsRow[], points: number): number {
  const final = rows.at(-1)!.trainAccuracy!;
  const start = rows[0].epoch;
  const reached = rows.slice(1).find((row) => row.trainAccuracy! >= final - points / 100)!;
  return reached.epoch - start;
}

/**
 * Epochs after the start until training accuracy first reaches `share` of the run's final training accuracy.
 */
export function epochsToShareOfFinal(rows: readonly MetricsRow[], share: number): number {
  const final = rows.at(-1)!.trainAccuracy!;
  const start = rows[0].epoch;
  const reached = rows.slice(1).find((row) => row.trainAccuracy! >= share * final)!;
  return reached.epoch - start;
}

/**
 * The verdict of a "converges faster" claim measured in epochs: 'not comparable' when every run needed all `epochs` (no
 * run levelled off within the window, so the measure cannot tell them apart), else whether the claim holds.
 */
export function convergenceVerdict(epochsNeeded: readonly number[], epochs: number, holds: boolean): PaperComparison['verdict'] {
  if (epochsNeeded.every((needed) => needed >= epochs)) return 'not comparable';
  return holds ? 'agrees' : 'differs';
}

/** Fractions (accuracies) as a statistic of percentages, the form the comparisons quote. */
export const percent = (values: readonly number[]): Statistic => statistic(values.map((value) => 100 * value));

/** Accuracies over seeds as table text: "95.71 ± 0.12 % (n=3)". */
export const accuracyText = (values: readonly number[]): string => formatStatistic(percent(values), 2, '%');

export const seedsHolding = (holds: readonly boolean[]): number => holds.filter(Boolean).length;
