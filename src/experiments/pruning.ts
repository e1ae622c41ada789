// Experiment 3 (`emergence experiment pruning`): an MLP trained 5 epochs on MNIST and Fashion-MNIST, then a control and 30/50/70% magnitude-pruned copies trained on, with E, relative E and accuracy per epoch.
import type { DatasetName } from '../data/catalog.js';
import type { Dataset } from '../data/dataset.js';
import { countParameters, prune, type PruneReport, type PruneScope } from '../emergence/prune.js';
import type { Net } from '../nn/net.js';
import type { OptimizerOptions } from '../nn/types.js';
import { mlp, parseWidths } from './models.js';
import { formatScientific, formatStatistic, statistic, within } from './stats.js';
import type {
  ExperimentContext,
  ExperimentDefinition,
  ExperimentOutcome,
  JsonValue,
  MetricsRow,
  PaperComparison,
  PlotSpec,
  ResultTable,
  SettingValue,
  Statistic,
} from './types.js';

export interface PruningSettings {
  [key: string]: SettingValue;
  /** Comma-separated: mnist, fashion-mnist (each studied on its own net). */
  datasets: string;
  /** Hidden widths of the ReLU MLP, comma-separated. */
  hidden: string;
  /** Epochs before the split (the paper: 5). */
  baselineEpochs: number;
  /** Epochs each copy trains after the split (the paper does not say). */
  epochs: number;
  /** Pruned fractions of the weights, one copy each (the paper: 0.3, 0.5, 0.7). */
  fractions: number[];
  /** Magnitude threshold over all weight tensors at once ('global') or per tensor ('layer'). */
  scope: string;
  optimizer: string;
  lr: number;
  /** SGD momentum (0: plain SGD). */
  momentum: number;
  batchSize: number;
  /** Training images: the first N (0: all 60,000). */
  trainLimit: number;
  /** Test images: the first N (0: all 10,000). */
  testLimit: number;
  seeds: number;
}

const DATASETS: readonly DatasetName[] = ['mnist', 'fashion-mnist'];
const DATASET_LABELS: Record<string, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST', cifar10: 'CIFAR-10' };

/** The seed's figures (pruning paper, section 4 and 4.1-4.2; EMERGENCE.md section 7, row 3), in percent. */
const PAPER: Record<'mnist' | 'fashion-mnist', { baseline: number; control: number; pruned: Record<string, number> }> = {
  mnist: { baseline: 90.4, control: 95.7, pruned: { '0.3': 95.7, '0.5': 95.6, '0.7': 95.1 } },
  'fashion-mnist': { baseline: 82, control: 86.3, pruned: { '0.3': 87, '0.5': 86.8, '0.7': 86.2 } },
};
const PAPER_BASELINE_EPOCHS = 5;

/** Accuracy figures agree when the paper's value lies within our mean ± max(2 std, this many percentage points). */
export const ACCURACY_TOLERANCE_POINTS = 1;
/** "Converged": the first epoch after the split whose training accuracy is within this many points of the run's final one. */
export const PLATEAU_POINTS = 0.5;
/** "Slightly lower": below the control's final training accuracy by more than 0 and at most this many points. */
const SLIGHTLY_LOWER_POINTS = 2;
/**
 * The copies shuffle with seed + this offset (the same order for every copy, so that the control and the pruned copies see
 * the same batches), not with the baseline's own seed, which would replay the baseline's epoch orders.
 */
const CONTINUATION_SHUFFLE_OFFSET = 1000;

const summary =
  'The pruning paper (section 4) trains an MLP for 5 epochs on MNIST and on Fashion-MNIST ("initial accuracies of 90.4% ' +
  'and 82%"), makes four identical copies, keeps one as the control and magnitude-prunes the others by 30%, 50% and 70%, ' +
  'and trains all four on at lr 0.005, with theta 0.05. It reports final accuracies of 95.7% (control) and 95.7 / 95.6 / ' +
  '95.1% (pruned) on MNIST, 86.3% and 87 / 86.8 / 86.2% on Fashion-MNIST, and that pruning lowers absolute E, raises ' +
  'relative E and speeds convergence at a small cost in final accuracy. Here the baseline trains, its state is copied ' +
  'through saveCheckpoint/loadCheckpoint into fresh nets, the copies are pruned (emergence.prune; masks keep pruned ' +
  'weights at zero) and trained on; E over the hidden layers, relative E over all and over the unpruned parameters, ' +
  'training and test accuracy, loss and per-layer active fractions are recorded every epoch, and right after pruning.';

export const pruningExperiment: ExperimentDefinition<PruningSettings> = {
  name: 'pruning',
  number: 3,
  title: 'Pruning study: magnitude-pruned MLP copies on MNIST and Fashion-MNIST',
  summary,
  options: {
    datasets: { kind: 'string', value: 'A,B', help: 'data sets, comma-separated: mnist, fashion-mnist (default both)' },
    hidden: { kind: 'string', value: 'W,W,W', help: 'hidden widths of the MLP (the paper does not say; default 512,256,128)' },
    baselineEpochs: { kind: 'integer', value: 'N', help: 'epochs before the copies split off (the paper: 5)' },
    epochs: { kind: 'integer', value: 'N', help: 'epochs each copy trains after the split (the paper does not say; 10 at paper scale)' },
    fractions: { kind: 'numbers', value: 'F,F,F', help: 'pruned fractions of the weights, one copy each (the paper: 0.3,0.5,0.7)' },
    scope: {
      kind: 'choice',
      choices: ['global', 'layer'],
      help: 'magnitude threshold over all weights at once, or per layer (default global)',
    },
    optimizer: { kind: 'choice', choices: ['sgd', 'adam'], help: 'optimizer (the paper does not say; default sgd)' },
    lr: { kind: 'number', value: 'LR', help: 'learning rate (the paper: 0.005)' },
    momentum: { kind: 'number', value: 'M', help: 'SGD momentum (default 0: plain SGD)' },
    batchSize: { kind: 'integer', value: 'N', help: 'samples per step (the paper does not say; default 32)' },
    trainLimit: { kind: 'integer', value: 'N', help: 'training images: the first N (0: all 60,000)' },
    testLimit: { kind: 'integer', value: 'N', help: 'test images: the first N (0: all 10,000)' },
    seeds: { kind: 'integer', value: 'N', help: 'seeds per data set (seed, seed+1, ...)' },
  },
  scales: {
    test: {
      datasets: 'mnist,fashion-mnist',
      hidden: '48,32',
      baselineEpochs: 1,
      epochs: 2,
      fractions: [0.3, 0.5, 0.7],
      scope: 'global',
      optimizer: 'sgd',
      lr: 0.005,
      momentum: 0,
      batchSize: 32,
      trainLimit: 256,
      testLimit: 200,
      seeds: 1,
    },
    default: {
      datasets: 'mnist,fashion-mnist',
      hidden: '512,256,128',
      baselineEpochs: 5,
      epochs: 4,
      fractions: [0.3, 0.5, 0.7],
      scope: 'global',
      optimizer: 'sgd',
      lr: 0.005,
      momentum: 0,
      batchSize: 32,
      trainLimit: 20000,
      testLimit: 2000,
      seeds: 1,
    },
    paper: {
      datasets: 'mnist,fashion-mnist',
      hidden: '512,256,128',
      baselineEpochs: 5,
      epochs: 10,
      fractions: [0.3, 0.5, 0.7],
      scope: 'global',
      optimizer: 'sgd',
      lr: 0.005,
      momentum: 0,
      batchSize: 32,
      trainLimit: 0,
      testLimit: 0,
      seeds: 3,
    },
  },
  scaling: {
    test:
      'A smoke run: a 784-48-32-10 MLP on the first 256 training and 200 test images of MNIST and of Fashion-MNIST, ' +
      '1 baseline epoch and 2 epochs after the split, 1 seed.',
    default:
      'The first 20,000 of the 60,000 training images (a third of the steps per epoch) and the first 2,000 of the 10,000 ' +
      'test images of each data set, 4 epochs after the split instead of 10, 1 seed instead of 3; widths, optimizer, batch ' +
      'and pruning as at paper scale. With fewer steps the accuracies stay below the paper\u2019s, so they are marked not ' +
      'comparable; the qualitative claims are judged.',
    paper:
      'All 60,000 training and 10,000 test images, 5 baseline epochs and 10 epochs after the split, 3 seeds. The paper states ' +
      'neither the architecture, the optimizer, the batch size nor the number of epochs after pruning: ours are a ' +
      '784-512-256-128-10 ReLU MLP with PyTorch\u2019s default init, plain SGD at the paper\u2019s lr 0.005, batch 32, 10 more epochs.',
  },
  validate(settings) {
    parseDatasets(settings.datasets);
    parseWidths('hidden', settings.hidden);
    checkCommon('pruning', settings);
    if (!Number.isSafeInteger(settings.baselineEpochs) || settings.baselineEpochs < 1) {
      throw new Error(`pruning: --baseline-epochs takes a positive integer, got ${String(settings.baselineEpochs)}`);
    }
    const fractions = settings.fractions;
    if (!Array.isArray(fractions) || fractions.length === 0 || fractions.some((f) => !(typeof f === 'number' && f > 0 && f < 1))) {
      throw new Error(`pruning: --fractions takes comma-separated fractions in (0, 1), e.g. 0.3,0.5,0.7; got ${JSON.stringify(fractions)}`);
    }
    const names = fractions.map(prunedRunName);
    if (new Set(names).size !== names.length) {
      throw new Error(`pruning: --fractions must differ by at least one percent (runs ${names.join(', ')}); got ${fractions.join(',')}`);
    }
  },
  async run(ctx, settings) {
    const datasets = parseDatasets(settings.datasets);
    const hidden = parseWidths('hidden', settings.hidden);
    const studies: DatasetStudy[] = [];
    for (const dataset of datasets) {
      const train = await ctx.data(dataset, 'train', settings.trainLimit > 0 ? { limit: settings.trainLimit } : {});
      const test = await ctx.data(dataset, 'test', settings.testLimit > 0 ? { limit: settings.testLimit } : {});
      const probe = await ctx.probe(dataset);
      const seeds: SeedStudy[] = [];
      for (let i = 0; i < settings.seeds; i++) {
        seeds.push(await runSeed(ctx, settings, hidden, { dataset, train, test, probe, seed: ctx.seed + i }));
      }
      studies.push({ dataset, trainCount: train.count, testCount: test.count, seeds });
    }
    return summarize(settings, hidden, studies);
  },
};

// ---- shared with the transfer experiment -----------------------------------------------------------------------------

/** 'pruned 30%'. */
export function prunedRunName(fraction: number): string {
  return `pruned ${Math.round(fraction * 100)}%`;
}

/** Comma-separated data set names of the option `option`, checked. */
export function parseDatasets(text: string, option = 'datasets'): DatasetName[] {
  const names = text.split(',').map((part) => part.trim());
  for (const name of names) {
    if (!DATASETS.includes(name as DatasetName)) {
      throw new Error(`--${option} takes a comma-separated list of ${DATASETS.join(', ')}; got '${text}'`);
    }
  }
  if (new Set(names).size !== names.length) throw new Error(`--${option} names a data set twice: '${text}'`);
  return names as DatasetName[];
}

export function datasetLabel(name: string): string {
  return DATASET_LABELS[name] ?? name;
}

/** The settings both experiments share. */
export interface TrainingSettings {
  hidden: string;
  epochs: number;
  scope: string;
  optimizer: string;
  lr: number;
  momentum: number;
  batchSize: number;
  trainLimit: number;
  testLimit: number;
  seeds: number;
}

export function checkCommon(experiment: string, settings: TrainingSettings): void {
  for (const name of ['epochs', 'batchSize', 'seeds'] as const) {
    const value = settings[name];
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`${experiment}: --${kebab(name)} takes a positive integer, got ${String(value)}`);
  }
  for (const name of ['trainLimit', 'testLimit'] as const) {
    const value = settings[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`${experiment}: --${kebab(name)} takes an integer >= 0 (0: all), got ${String(value)}`);
    }
  }
  if (settings.scope !== 'global' && settings.scope !== 'layer') {
    throw new Error(`${experiment}: --scope takes global or layer, got '${settings.scope}'`);
  }
  if (settings.optimizer !== 'sgd' && settings.optimizer !== 'adam') {
    throw new Error(`${experiment}: --optimizer takes sgd or adam, got '${settings.optimizer}'`);
  }
  if (!(Number.isFinite(settings.lr) && settings.lr > 0))
    throw new Error(`${experiment}: --lr takes a positive number, got ${String(settings.lr)}`);
  if (!(Number.isFinite(settings.momentum) && settings.momentum >= 0 && settings.momentum < 1)) {
    throw new Error(`${experiment}: --momentum takes a number in [0, 1), got ${String(settings.momentum)}`);
  }
  if (settings.optimizer === 'adam' && settings.momentum !== 0) {
    throw new Error(`${experiment}: --momentum applies to sgd only; with adam leave it at 0`);
  }
}

export function optimizerOf(settings: TrainingSettings): OptimizerOptions {
  if (settings.optimizer === 'adam') return { name: 'adam', lr: settings.lr };
  return settings.momentum > 0 ? { name: 'sgd', lr: settings.lr, momentum: settings.momentum } : { name: 'sgd', lr: settings.lr };
}

export function describeOptimizer(settings: TrainingSettings): string {
  if (settings.optimizer === 'adam') return `Adam, lr ${settings.lr}, batch ${settings.batchSize}`;
  const momentum = settings.momentum > 0 ? `momentum ${settings.momentum}` : 'no momentum';
  return `SGD (${momentum}), lr ${settings.lr}, batch ${settings.batchSize}`;
}

/** A fresh MLP for `train`'s data (PyTorch's default init, drawn from `seed`). */
export function compileMlp(
  ctx: ExperimentContext,
  settings: TrainingSettings,
  hidden: readonly number[],
  train: Dataset,
  seed: number,
): Promise<Net> {
  return ctx.engine.compile(mlp(train.features, hidden, train.classes.length), {
    inputShape: train.shape,
    batchSize: settings.batchSize,
    loss: 'cross-entropy',
    optimizer: optimizerOf(settings),
    seed,
  });
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

export const percent = (values: readonly number[]): Statistic => statistic(values.map((value) => 100 * value));

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** '1 seed', '3 seeds'. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

export const seedsHolding = (holds: readonly boolean[]): number => holds.filter(Boolean).length;

// ---- one data set, one seed --------------------------------------------------------------------------------------------

interface CopyStudy {
  run: string;
  fraction: number;
  /** The copy's epoch rows: the row at the split (after pruning), then one per further epoch. */
  rows: MetricsRow[];
  /** E of the copy right after loadCheckpoint, before pruning (equals the baseline's last E when the copy is exact). */
  EBeforePruning: string;
  prune: JsonValue;
  /** Counts after the further training. */
  after: CountsRecord;
}

interface SeedStudy {
  seed: number;
  /** The baseline's epoch rows 0..baselineEpochs. */
  baseline: MetricsRow[];
  copies: CopyStudy[];
}

interface DatasetStudy {
  dataset: DatasetName;
  trainCount: number;
  testCount: number;
  seeds: SeedStudy[];
}

async function runSeed(
  ctx: ExperimentContext,
  settings: PruningSettings,
  hidden: readonly number[],
  { dataset, train, test, probe, seed }: { dataset: DatasetName; train: Dataset; test: Dataset; probe: Float32Array; seed: number },
): Promise<SeedStudy> {
  const baseline = await compileMlp(ctx, settings, hidden, train, seed);
  let checkpoint: Uint8Array;
  let baselineRows: MetricsRow[];
  try {
    const result = await ctx.train({
      run: 'baseline',
      seed,
      phase: dataset,
      net: baseline,
      train,
      test,
      epochs: settings.baselineEpochs,
      evaluateTraining: true,
    });
    baselineRows = epochRowsOf(result.rows);
    checkpoint = await baseline.saveCheckpoint();
  } finally {
    await baseline.dispose();
  }

  const copies: CopyStudy[] = [];
  for (const fraction of [0, ...settings.fractions]) {
    const run = fraction === 0 ? 'control' : prunedRunName(fraction);
    const net = await compileMlp(ctx, settings, hidden, train, seed);
    try {
      await net.loadCheckpoint(checkpoint);
      const beforePruning = await ctx.measure(net, probe);
      const report = fraction > 0 ? await prune(net, { fraction, scope: settings.scope as PruneScope }) : undefined;
      const result = await ctx.train({
        run,
        seed,
        phase: dataset,
        net,
        train,
        test,
        probe,
        epochs: settings.epochs,
        epochOffset: settings.baselineEpochs,
        measureInitial: true,
        evaluateTraining: true,
        shuffleSeed: seed + CONTINUATION_SHUFFLE_OFFSET,
      });
      copies.push({
        run,
        fraction,
        rows: epochRowsOf(result.rows),
        EBeforePruning: beforePruning.E!,
        prune: report ? pruneSummary(report) : null,
        after: await countsOf(net),
      });
    } finally {
      await net.dispose();
    }
  }
  return { seed, baseline: baselineRows, copies };
}

// ---- the outcome -------------------------------------------------------------------------------------------------------

function summarize(settings: PruningSettings, hidden: readonly number[], studies: DatasetStudy[]): ExperimentOutcome {
  const architecture = `784-${hidden.join('-')}-10`;
  const tables: ResultTable[] = [];
  const comparisons: PaperComparison[] = [];
  const plots: PlotSpec[] = [];
  const fullScale = settings.trainLimit === 0 && settings.baselineEpochs === PAPER_BASELINE_EPOCHS;
  const B = settings.baselineEpochs;
  const end = B + settings.epochs;

  for (const study of studies) {
    const label = datasetLabel(study.dataset);
    const paper = PAPER[study.dataset as 'mnist' | 'fashion-mnist'];
    const runs = ['control', ...settings.fractions.map(prunedRunName)];
    const copiesOf = (run: string) => study.seeds.map((s) => s.copies.find((c) => c.run === run)!);
    const lastOf = (rows: MetricsRow[]) => rows.at(-1)!;
    const baselineLast = study.seeds.map((s) => lastOf(s.baseline));
    const n = study.seeds.length;

    // Table: final figures.
    const finalRow = (name: string, pruned: string, epochs: number, rows: MetricsRow[], paperAccuracy: number | undefined) => [
      name,
      pruned,
      epochs,
      formatStatistic(percent(rows.map((r) => r.trainAccuracy!)), 2, '%'),
      formatStatistic(percent(rows.map((r) => r.testAccuracy!)), 2, '%'),
      formatScientific(statistic(rows.map((r) => Number(r.E)))),
      formatScientific(statistic(rows.map((r) => r.relative!))),
      formatScientific(statistic(rows.map((r) => r.relativeUnpruned!))),
      paperAccuracy === undefined ? '—' : `${paperAccuracy}%`,
    ];
    tables.push({
      title: `${label}: final figures (MLP ${architecture}, ${describeOptimizer(settings)}; mean ± std over ${plural(n, 'seed')})`,
      columns: [
        'net',
        'weights pruned',
        'epochs',
        'training accuracy',
        'test accuracy',
        'E',
        'relative E (all parameters)',
        'relative E (unpruned parameters)',
        'paper\u2019s accuracy',
      ],
      rows: [
        finalRow('baseline (at the split)', '0%', B, baselineLast, paper.baseline),
        ...runs.map((run, i) => {
          const fraction = i === 0 ? 0 : settings.fractions[i - 1];
          return finalRow(
            run,
            `${Math.round(fraction * 100)}%`,
            end,
            copiesOf(run).map((c) => lastOf(c.rows)),
            paperPruned(paper, fraction, i === 0),
          );
        }),
      ],
    });

    // Table: the split.
    tables.push({
      title: `${label}: at the split (epoch ${B}), the baseline copied into each net and pruned, and the epochs to converge after it`,
      columns: [
        'net',
        'E before pruning',
        'E right after pruning',
        'relative E (unpruned) right after pruning',
        'training accuracy right after pruning',
        'test accuracy right after pruning',
        `epochs until training accuracy is within ${PLATEAU_POINTS} points of its final value`,
      ],
      rows: runs.map((run) => {
        const copies = copiesOf(run);
        const first = copies.map((c) => c.rows[0]);
        return [
          run,
          formatScientific(statistic(copies.map((c) => Number(c.EBeforePruning)))),
          formatScientific(statistic(first.map((r) => Number(r.E)))),
          formatScientific(statistic(first.map((r) => r.relativeUnpruned!))),
          formatStatistic(percent(first.map((r) => r.trainAccuracy!)), 2, '%'),
          formatStatistic(percent(first.map((r) => r.testAccuracy!)), 2, '%'),
          formatStatistic(statistic(copies.map((c) => epochsToPlateau(c.rows, PLATEAU_POINTS))), 1),
        ];
      }),
    });

    // Accuracy comparisons.
    const accuracyComparison = (quantity: string, paperValue: number, ours: Statistic): PaperComparison => {
      const rule = `Rule: agrees when the paper\u2019s value lies within our mean ± max(2 std, ${ACCURACY_TOLERANCE_POINTS} point); training accuracy (the paper\u2019s figures plot training accuracy).`;
      if (!fullScale) {
        return {
          quantity,
          paper: paperValue,
          ours,
          unit: '%',
          verdict: 'not comparable',
          note: `Scaled run (${study.trainCount} training images, ${B} baseline epochs): fewer steps than the paper\u2019s. ${rule}`,
        };
      }
      return {
        quantity,
        paper: paperValue,
        ours,
        unit: '%',
        verdict: within(ours, paperValue, 2, ACCURACY_TOLERANCE_POINTS) ? 'agrees' : 'differs',
        note: rule,
      };
    };
    comparisons.push(
      accuracyComparison(
        `${label}: baseline accuracy after ${plural(B, 'epoch')}`,
        paper.baseline,
        percent(baselineLast.map((r) => r.trainAccuracy!)),
      ),
      accuracyComparison(
        `${label}: control, final accuracy (epoch ${end})`,
        paper.control,
        percent(copiesOf('control').map((c) => lastOf(c.rows).trainAccuracy!)),
      ),
    );
    for (const fraction of settings.fractions) {
      const paperValue = paperPruned(paper, fraction, false);
      if (paperValue === undefined) continue;
      const run = prunedRunName(fraction);
      comparisons.push(
        accuracyComparison(
          `${label}: ${run}, final accuracy (epoch ${end})`,
          paperValue,
          percent(copiesOf(run).map((c) => lastOf(c.rows).trainAccuracy!)),
        ),
      );
    }

    // Qualitative claims, per pruned fraction against the control of the same seed.
    const control = copiesOf('control');
    for (const fraction of settings.fractions) {
      const run = prunedRunName(fraction);
      const pruned = copiesOf(run);
      const ELower = pruned.map((c, i) => meanE(c.rows) < meanE(control[i].rows));
      comparisons.push({
        quantity: `${label}: ${run} has lower absolute E than the control (mean E over epochs ${B}-${end})`,
        paper: 'lower',
        ours: `lower in ${seedsHolding(ELower)} of ${plural(n, 'seed')}; ${formatScientific(statistic(pruned.map((c) => meanE(c.rows))))} vs ${formatScientific(statistic(control.map((c) => meanE(c.rows))))}`,
        verdict: ELower.every(Boolean) ? 'agrees' : 'differs',
        note: 'Rule: agrees when the pruned copy\u2019s mean E over the epochs after the split (the row right after pruning included) is below the control\u2019s in every seed.',
      });
      const relative = (c: CopyStudy) => mean(c.rows.map((r) => r.relativeUnpruned!));
      const relativeHigher = pruned.map((c, i) => relative(c) > relative(control[i]));
      comparisons.push({
        quantity: `${label}: ${run} has higher relative E (over its unpruned parameters) than the control (mean over epochs ${B}-${end})`,
        paper: 'higher',
        ours: `higher in ${seedsHolding(relativeHigher)} of ${plural(n, 'seed')}; ${formatScientific(statistic(pruned.map(relative)))} vs ${formatScientific(statistic(control.map(relative)))}`,
        verdict: relativeHigher.every(Boolean) ? 'agrees' : 'differs',
        note: 'Rule: agrees when the pruned copy\u2019s mean E / (unpruned parameters) over the epochs after the split is above the control\u2019s (E / all parameters) in every seed.',
      });
      const plateau = statistic(pruned.map((c) => epochsToPlateau(c.rows, PLATEAU_POINTS)));
      const controlPlateau = statistic(control.map((c) => epochsToPlateau(c.rows, PLATEAU_POINTS)));
      comparisons.push({
        quantity: `${label}: ${run} converges faster than the control (epochs until training accuracy is within ${PLATEAU_POINTS} points of its final value)`,
        paper: 'faster',
        ours: `${formatStatistic(plateau, 1)} vs ${formatStatistic(controlPlateau, 1)} epochs`,
        verdict: convergenceVerdict([...plateau.values, ...controlPlateau.values], settings.epochs, plateau.mean < controlPlateau.mean),
        note:
          'Rule: agrees when the pruned copy\u2019s mean number of epochs is below the control\u2019s (the paper gives no measure of ' +
          'convergence speed); not comparable when no run of either reached it before the last epoch (none levelled off).',
      });
    }
    const largest = Math.max(...settings.fractions);
    const largestRun = prunedRunName(largest);
    const gaps = copiesOf(largestRun).map((c, i) => 100 * (lastOf(control[i].rows).trainAccuracy! - lastOf(c.rows).trainAccuracy!));
    const gap = statistic(gaps);
    const paperGap = paperPruned(paper, largest, false);
    comparisons.push({
      quantity: `${label}: ${largestRun} ends slightly below the control (final training accuracy, control minus pruned)`,
      paper:
        paperGap === undefined
          ? 'slightly lower'
          : `${(paper.control - paperGap).toFixed(1)} points lower (${paper.control}% vs ${paperGap}%)`,
      ours: gap,
      unit: 'points',
      verdict: gap.mean > 0 && gap.mean <= SLIGHTLY_LOWER_POINTS ? 'agrees' : 'differs',
      note: `Rule: agrees when the control\u2019s final training accuracy exceeds the pruned copy\u2019s by more than 0 and at most ${SLIGHTLY_LOWER_POINTS} points on average over seeds.`,
    });

    const phases = [study.dataset];
    const all = ['baseline', ...runs];
    plots.push(
      { id: `${study.dataset}-log10E`, title: `${label}: emergence E (log10) per epoch`, x: 'epoch', y: 'log10E', phases, runs: all },
      {
        id: `${study.dataset}-relative-E-unpruned`,
        title: `${label}: relative E over the unpruned parameters`,
        x: 'epoch',
        y: 'relativeUnpruned',
        logY: true,
        phases,
        runs: all,
      },
      {
        id: `${study.dataset}-relative-E`,
        title: `${label}: relative E over all parameters`,
        x: 'epoch',
        y: 'relative',
        logY: true,
        phases,
        runs: all,
      },
      {
        id: `${study.dataset}-train-accuracy`,
        title: `${label}: training accuracy per epoch`,
        x: 'epoch',
        y: 'trainAccuracy',
        phases,
        runs: all,
      },
      {
        id: `${study.dataset}-test-accuracy`,
        title: `${label}: test accuracy per epoch`,
        x: 'epoch',
        y: 'testAccuracy',
        phases,
        runs: all,
      },
      { id: `${study.dataset}-active`, title: `${label}: active fraction per hidden layer`, x: 'epoch', y: 'active', phases, runs: all },
    );
  }

  const notes = [
    `Architecture (the paper states none): a ${architecture} ReLU MLP with PyTorch\u2019s default init (Linear\u2019s Kaiming-uniform with a = sqrt(5)).`,
    `Optimizer (the paper states only lr 0.005): ${describeOptimizer(settings)}. Plain SGD at batch 32 was chosen because it puts the 5-epoch baseline near the paper\u2019s: a calibration run (full data, seed 0, 512-256-128) reached 91.6% (MNIST) and 82.9% (Fashion-MNIST) training accuracy after 5 epochs, against the paper\u2019s 90.4% and 82%; batch 64 gave 87.4% and 78.3%.`,
    `After the split each copy trains ${plural(settings.epochs, 'more epoch')} (the paper does not say how many); the copies share one shuffling order, different from the baseline\u2019s.`,
    `Copies: the trained baseline is saved with saveCheckpoint and loaded into fresh nets (weights, optimizer state, step count); the control is not pruned.`,
    `Pruning: magnitude pruning of ${settings.scope === 'global' ? 'all linear weights at once (one global threshold, the output layer included)' : 'each linear weight on its own (per-layer threshold)'}, biases kept; round(fraction x weights) weights are masked and the masks keep them at zero through training.`,
    'E counts the hidden layers (post-ReLU); weight pruning leaves the widths n_i unchanged, so E moves only through the active counts a_i. Relative E is reported over all trainable parameters (relative) and over the unpruned ones (relativeUnpruned); the paper\u2019s "relative emergence increased" is read as the latter.',
    'Accuracies compared with the paper are training accuracies on the training images used (evaluated in eval mode after each epoch); the paper\u2019s figures plot training accuracy and its text does not say which accuracy it quotes. Test accuracies are in the tables.',
    'The row at the split of each copy is measured after loading (and pruning) and before its first step; "E before pruning" is measured on the same copy right after loading and must equal the baseline\u2019s last E.',
  ];
  if (!fullScale)
    notes.push('Scaled run: absolute accuracies are below the paper\u2019s because each epoch has fewer steps; see the scaling note.');

  const details: JsonValue = {
    architecture,
    datasets: studies.map((study) => ({
      dataset: study.dataset,
      trainImages: study.trainCount,
      testImages: study.testCount,
      seeds: study.seeds.map((s) => ({
        seed: s.seed,
        baselineE: s.baseline.at(-1)!.E!,
        copies: s.copies.map((c) => ({
          run: c.run,
          fraction: c.fraction,
          EBeforePruning: c.EBeforePruning,
          EAfterPruning: c.rows[0].E!,
          epochsToPlateau: epochsToPlateau(c.rows, PLATEAU_POINTS),
          prune: c.prune,
          after: c.after,
        })),
      })),
    })),
  };
  return { tables, comparisons, plots, notes, details };
}

function paperPruned(paper: (typeof PAPER)['mnist'], fraction: number, isControl: boolean): number | undefined {
  if (isControl) return paper.control;
  return paper.pruned[String(Math.round(fraction * 100) / 100)];
}
