// Experiment 5 (`emergence experiment cnn-stopping`): a small CNN's E per epoch on MNIST and CIFAR-10, and what stopping on E falling to zero would have cost.
import type { DatasetName } from '../data/catalog.js';
import { emergence } from '../emergence/index.js';
import type { EmergenceStopRule } from '../emergence/track.js';
import type { NodeStatistic } from '../ops/defs.js';
import { batchSizeOption, compileClassifier, imageLimitOption, optimizerOf, sampleLimit, seedsOption } from './common.js';
import { smallCnn } from './models.js';
import { parseDatasetList, SettingsCheck } from './settings-checks.js';
import { formatPercent, formatScientific, formatStatistic, statistic } from './stats.js';
import type {
  ExperimentContext,
  ExperimentDefinition,
  ExperimentOutcome,
  JsonValue,
  MetricsRow,
  PaperComparison,
  ResultTable,
} from './types.js';

export type CnnStoppingSettings = {
  /** Comma-separated data sets, each trained on its own CNN: mnist, fashion-mnist, cifar10. */
  datasets: string;
  epochs: number;
  /** Training images per data set: the first N (0: all; the CIFAR-10 subset holds 8,068). */
  trainLimit: number;
  /** Test images per data set (0: all). */
  testLimit: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  /** The stopping rules' patience: consecutive measurements a rule must hold. */
  patience: number;
  /** The variant rule: stop once E stays below this fraction of its peak so far. */
  belowPeakFraction: number;
  /** An accuracy gain after the stop point below this many percentage points counts as "no significant improvement". */
  significantGain: number;
  seeds: number;
};

const DATASETS: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10'];
const OPTIMIZERS = ['adam', 'sgd'] as const;

/** The seed's figure (seed 2, section 4.4). */
const PAPER_E_EPOCH_1 = 634398;

const summary =
  'A small CNN (conv 32 3x3, ReLU, max-pool, conv 64 3x3, ReLU, max-pool, dense 128, ReLU, 10) trained for N epochs on ' +
  'MNIST and on CIFAR-10, with E measured after every epoch over the conv channels and the dense hidden layer. The pruning ' +
  'paper (section 4.4) reports "Emergence activation decreased significantly from 634,398 in epoch 1 to zero in the later ' +
  'epochs" and reads zero E as "a reliable indicator that the network will not experience future significant ' +
  'improvements". Training runs every epoch (record only); afterwards the run computes where emergence.EmergenceStopper ' +
  'would have stopped (E = 0, and the variant "E below a fraction of its peak") and what that stop would have cost in ' +
  'accuracy and saved in epochs. E under the other node statistic is measured at init and after the last epoch.';

export const cnnStoppingExperiment: ExperimentDefinition<CnnStoppingSettings> = {
  name: 'cnn-stopping',
  number: 5,
  title: 'CNN on MNIST and CIFAR-10: E per epoch and stopping when E reaches zero',
  summary,
  options: {
    datasets: { kind: 'string', value: 'A,B', help: 'data sets, comma-separated: mnist, fashion-mnist, cifar10 (default mnist,cifar10)' },
    epochs: { kind: 'integer', value: 'N', help: 'epochs per data set and seed (every one is trained; the stop is computed)' },
    trainLimit: imageLimitOption('training', { of: 'per data set', zero: 'all; CIFAR-10 here: 8,068' }),
    testLimit: imageLimitOption('test', { of: 'per data set' }),
    batchSize: batchSizeOption(),
    optimizer: { kind: 'choice', choices: OPTIMIZERS, help: 'optimizer (the paper does not say; default adam)' },
    lr: { kind: 'number', value: 'LR', help: 'learning rate (the paper does not say for the CNN; default 1e-3)' },
    patience: { kind: 'integer', value: 'N', help: "the stopping rules' patience: measurements in a row (default 1)" },
    belowPeakFraction: { kind: 'number', value: 'F', help: 'variant rule: stop once E < F x its peak so far (default 0.01)' },
    significantGain: {
      kind: 'number',
      value: 'PP',
      help: 'a gain after the stop below PP percentage points is "no significant improvement" (default 0.5)',
    },
    seeds: seedsOption({ per: 'per data set' }),
  },
  scales: {
    test: {
      datasets: 'mnist,cifar10',
      epochs: 3,
      trainLimit: 256,
      testLimit: 128,
      batchSize: 32,
      optimizer: 'adam',
      lr: 1e-3,
      patience: 1,
      belowPeakFraction: 0.01,
      significantGain: 0.5,
      seeds: 1,
    },
    default: {
      datasets: 'mnist,cifar10',
      epochs: 8,
      trainLimit: 8000,
      testLimit: 2000,
      batchSize: 128,
      optimizer: 'adam',
      lr: 1e-3,
      patience: 1,
      belowPeakFraction: 0.01,
      significantGain: 0.5,
      seeds: 2,
    },
    paper: {
      datasets: 'mnist,cifar10',
      epochs: 20,
      trainLimit: 0,
      testLimit: 0,
      batchSize: 128,
      optimizer: 'adam',
      lr: 1e-3,
      patience: 1,
      belowPeakFraction: 0.01,
      significantGain: 0.5,
      seeds: 3,
    },
  },
  scaling: {
    test: 'A smoke run: the first 256 training and 128 test images of MNIST and of CIFAR-10, 3 epochs, batch 32, 1 seed.',
    default:
      'The first 8,000 of 60,000 MNIST training images and 8,000 of the 8,068 CIFAR-10 subset images, the first 2,000 test ' +
      'images of each, 8 epochs instead of about 20, 2 seeds instead of 3; Adam, lr 1e-3, batch 128.',
    paper:
      'All 60,000 MNIST training images and the whole CIFAR-10 subset available here (8,068 of 50,000 training, 1,017 test ' +
      'images), 20 epochs, 3 seeds. The paper states neither the CNN, the optimizer, the learning rate nor the epoch count ' +
      'for section 4.4: ours is the small CNN of issue 3, Adam at lr 1e-3, batch 128.',
  },
  validate(settings) {
    const check = new SettingsCheck('cnn-stopping', settings);
    parseDatasetList('cnn-stopping', settings.datasets, DATASETS);
    check.positiveIntegers('epochs', 'batchSize', 'patience', 'seeds');
    check.sampleLimits('trainLimit', 'testLimit');
    check.oneOf('optimizer', OPTIMIZERS);
    check.positiveNumbers('lr');
    if (!(settings.belowPeakFraction > 0 && settings.belowPeakFraction < 1)) check.reject('belowPeakFraction', 'a number in (0, 1)');
    if (!(Number.isFinite(settings.significantGain) && settings.significantGain >= 0)) {
      check.reject('significantGain', 'a number of percentage points >= 0');
    }
  },
  run: runCnnStopping,
};

/** Where a stopping rule fired on one seed's E sequence, and what stopping there would have cost. */
interface StopOutcome {
  /** The epoch after which it fired, or null when it never did. */
  epoch: number | null;
  reason: string | null;
  accuracyAtStop: number | null;
  /** Final accuracy minus the accuracy at the stop (a fraction; negative when the stop was the better point). */
  gainAfterStop: number | null;
  /** The largest accuracy of any later epoch minus the accuracy at the stop. */
  bestGainAfterStop: number | null;
  epochsSaved: number;
}

/** E under the statistic the run does not use, at init and after the last epoch. */
interface OtherStatistic {
  statistic: NodeStatistic;
  minFraction?: number;
  atInit: { E: string; log10E: number | null; active: number[] };
  atEnd: { E: string; log10E: number | null; active: number[] };
}

/** One data set and seed: its epoch rows' figures and the rules' outcomes. */
interface SeedRun {
  dataset: DatasetName;
  seed: number;
  /** Per epoch 0..N: exact E (decimal), test accuracy, and the active fraction of each hidden layer in net order. */
  E: string[];
  accuracy: number[];
  active: number[][];
  firstZeroEpoch: number | null;
  /** E = 0 from firstZeroEpoch to the last epoch. */
  zeroToEnd: boolean;
  onZero: StopOutcome;
  belowPeak: StopOutcome;
  other: OtherStatistic;
}

async function runCnnStopping(ctx: ExperimentContext, settings: CnnStoppingSettings): Promise<ExperimentOutcome> {
  const datasets = parseDatasetList('cnn-stopping', settings.datasets, DATASETS);
  const seeds = Array.from({ length: settings.seeds }, (_, i) => ctx.seed + i);
  const otherStatistic: NodeStatistic = ctx.convention.statistic === 'mean' ? 'fraction' : 'mean';
  const onZeroRule: EmergenceStopRule = { onZero: true, patience: settings.patience };
  const belowPeakRule: EmergenceStopRule = { onZero: false, belowPeakFraction: settings.belowPeakFraction, patience: settings.patience };
  const runs: SeedRun[] = [];
  const architectures: Record<string, JsonValue> = {};

  for (const dataset of datasets) {
    const train = await ctx.data(dataset, 'train', sampleLimit(settings.trainLimit));
    const test = await ctx.data(dataset, 'test', sampleLimit(settings.testLimit));
    const probe = await ctx.probe(dataset);
    const [channels, size] = train.shape;
    for (const seed of seeds) {
      if (ctx.interrupted) break;
      const net = await compileClassifier(ctx, smallCnn(channels, size, train.classes.length), train, {
        batchSize: settings.batchSize,
        optimizer: optimizerOf(settings.optimizer, settings.lr),
        init: 'kaiming-normal',
        seed,
      });
      try {
        const measureOther = async () => {
          const measured = await emergence.measure(net, probe, { threshold: ctx.convention.threshold, statistic: otherStatistic });
          const log10E = Number.isFinite(measured.log10E) ? measured.log10E : null;
          return {
            E: measured.E.toString(),
            log10E,
            active: measured.layers.map((layer) => layer.a),
            n: measured.layers.map((layer) => layer.n),
          };
        };
        const atInit = await measureOther();
        architectures[dataset] ??= { shape: train.shape, hiddenNodes: atInit.n, maxE: maximumE(atInit.n).toString() };
        const result = await ctx.train({ run: dataset, seed, net, train, test, epochs: settings.epochs });
        const atEnd = await measureOther();
        const epochRows = result.rows.filter((row) => row.kind === 'epoch').sort((a, b) => a.epoch - b.epoch);
        runs.push({
          ...analyse(dataset, seed, epochRows, onZeroRule, belowPeakRule),
          other: {
            statistic: otherStatistic,
            ...(otherStatistic === 'fraction' ? { minFraction: 0.5 } : {}),
            atInit: { E: atInit.E, log10E: atInit.log10E, active: atInit.active },
            atEnd: { E: atEnd.E, log10E: atEnd.log10E, active: atEnd.active },
          },
        });
      } finally {
        await net.dispose();
      }
    }
  }
  return summarize(settings, datasets, runs, architectures, ctx.convention.statistic);
}

/** Applies both stopping rules to one seed's epoch rows (epoch 0 first, as the tracker sees them). */
function analyse(
  dataset: DatasetName,
  seed: number,
  rows: readonly MetricsRow[],
  onZeroRule: EmergenceStopRule,
  belowPeakRule: EmergenceStopRule,
): Omit<SeedRun, 'other'> {
  const E = rows.map((row) => row.E ?? '');
  const accuracy = rows.map((row) => row.testAccuracy ?? NaN);
  const active = rows.map((row) => Object.values(row.active ?? {}));
  const epochs = rows.map((row) => row.epoch);
  const zeroAt = rows.findIndex((row) => row.epoch >= 1 && row.E === '0');
  const firstZeroEpoch = zeroAt >= 0 ? epochs[zeroAt] : null;
  const zeroToEnd = zeroAt >= 0 && rows.slice(zeroAt).every((row) => row.E === '0');
  return {
    dataset,
    seed,
    E,
    accuracy,
    active,
    firstZeroEpoch,
    zeroToEnd,
    onZero: stopOutcome(rows, onZeroRule),
    belowPeak: stopOutcome(rows, belowPeakRule),
  };
}

/** Feeds the rows' E to an EmergenceStopper (as ctx.train's stop option would have) and reads off the stop's cost. */
export function stopOutcome(rows: readonly MetricsRow[], rule: EmergenceStopRule): StopOutcome {
  const stopper = new emergence.EmergenceStopper(rule);
  const lastEpoch = rows.at(-1)?.epoch ?? 0;
  const final = rows.at(-1)?.testAccuracy;
  for (const [i, row] of rows.entries()) {
    if (row.E === undefined) continue;
    const reason = stopper.observe(row.epoch, BigInt(row.E));
    if (reason === undefined) continue;
    const at = row.testAccuracy;
    const later = rows.slice(i + 1).map((r) => r.testAccuracy ?? NaN);
    const known = at !== undefined && final !== undefined;
    return {
      epoch: row.epoch,
      reason,
      accuracyAtStop: at ?? null,
      gainAfterStop: known ? final - at : null,
      bestGainAfterStop: known ? Math.max(at, ...later.filter(Number.isFinite)) - at : null,
      epochsSaved: lastEpoch - row.epoch,
    };
  }
  return { epoch: null, reason: null, accuracyAtStop: null, gainAfterStop: null, bestGainAfterStop: null, epochsSaved: 0 };
}

/** The largest E hidden layers of these widths allow: E is linear in each a_i, so the maximum is at a_i in {0, n_i}. */
export function maximumE(n: readonly number[]): bigint {
  let best = 0n;
  for (let corner = 0; corner < 1 << n.length; corner++) {
    const a = n.map((width, i) => ((corner >> i) & 1 ? width : 0));
    const E = emergence.value([...n], a);
    if (E > best) best = E;
  }
  return best;
}

function summarize(
  settings: CnnStoppingSettings,
  datasets: readonly DatasetName[],
  runs: readonly SeedRun[],
  architectures: Record<string, JsonValue>,
  runStatistic: NodeStatistic,
): ExperimentOutcome {
  const pp = (x: number | null): string => (x === null ? 'n/a' : (100 * x).toFixed(2));
  const significant = settings.significantGain / 100;
  const perSeed = (values: readonly string[]): string => values.join(' / ');
  const shortE = (E: string): string => (E === '' ? 'n/a' : E.length <= 7 ? E : Number(E).toExponential(2));

  const epochTable: ResultTable = {
    title: `E and test accuracy per epoch (E over the hidden layers, statistic '${runStatistic}'; one value per seed)`,
    columns: ['epoch', ...datasets.flatMap((d) => [`${d}: E`, `${d}: test accuracy`])],
    rows: Array.from({ length: settings.epochs + 1 }, (_, epoch) => [
      epoch,
      ...datasets.flatMap((dataset) => {
        const of = runs.filter((run) => run.dataset === dataset);
        return [
          perSeed(of.map((run) => shortE(run.E[epoch] ?? ''))),
          formatPercent(statistic(of.map((run) => run.accuracy[epoch] ?? NaN))),
        ];
      }),
    ]),
  };

  const ruleText = (rule: 'onZero' | 'belowPeak'): string =>
    rule === 'onZero'
      ? `E = 0${settings.patience > 1 ? ` for ${settings.patience} epochs` : ''}`
      : `E < ${settings.belowPeakFraction} x peak${settings.patience > 1 ? ` for ${settings.patience} epochs` : ''}`;
  const stopTable: ResultTable = {
    title: `Where the stopping rules would have stopped (trained to epoch ${settings.epochs} regardless); accuracies in %`,
    columns: ['data set', 'rule', 'fired in', 'stop epoch', 'accuracy at stop', 'final accuracy', 'gain after stop (pp)', 'epochs saved'],
    rows: datasets.flatMap((dataset) =>
      (['onZero', 'belowPeak'] as const).map((rule) => {
        const of = runs.filter((run) => run.dataset === dataset);
        const outcomes = of.map((run) => run[rule]);
        const fired = outcomes.filter((o) => o.epoch !== null);
        return [
          dataset,
          ruleText(rule),
          `${fired.length}/${of.length} seeds`,
          perSeed(outcomes.map((o) => (o.epoch === null ? 'never' : String(o.epoch)))),
          perSeed(outcomes.map((o) => pp(o.accuracyAtStop))),
          perSeed(of.map((run) => pp(run.accuracy.at(-1) ?? null))),
          perSeed(outcomes.map((o) => pp(o.gainAfterStop))),
          perSeed(outcomes.map((o) => String(o.epochsSaved))),
        ];
      }),
    ),
  };

  const otherTable: ResultTable = {
    title: `E under the other node statistic ('${runs[0]?.other.statistic ?? 'n/a'}'${runs[0]?.other.minFraction !== undefined ? `, node active when more than ${runs[0].other.minFraction} of its entries exceed the threshold` : ''}), at init and after the last epoch`,
    columns: ['data set', 'seed', 'E at init', 'active at init', 'E at the end', 'active at the end', `E at the end ('${runStatistic}')`],
    rows: runs.map((run) => [
      run.dataset,
      run.seed,
      shortE(run.other.atInit.E),
      run.other.atInit.active.join(', '),
      shortE(run.other.atEnd.E),
      run.other.atEnd.active.join(', '),
      shortE(run.E.at(-1) ?? ''),
    ]),
  };

  const layerNames = ['conv 1 (32 channels)', 'conv 2 (64 channels)', 'dense (128 units)'];
  const shownEpochs = [...new Set([0, 1, settings.epochs])];
  const activeTable: ResultTable = {
    title: `Active fraction of each hidden layer (statistic '${runStatistic}', mean over seeds): what keeps E above 0`,
    columns: ['data set', 'epoch', ...layerNames],
    rows: datasets.flatMap((dataset) => {
      const of = runs.filter((run) => run.dataset === dataset);
      return shownEpochs.map((epoch) => [
        dataset,
        epoch,
        ...layerNames.map((_, layer) => formatStatistic(statistic(of.map((run) => run.active[epoch]?.[layer] ?? NaN)), 3)),
      ]);
    }),
  };

  const comparisons: PaperComparison[] = [];
  for (const dataset of datasets) {
    const of = runs.filter((run) => run.dataset === dataset);
    if (of.length === 0) continue;
    const architecture = architectures[dataset] as { hiddenNodes: number[]; maxE: string } | undefined;
    const epochOne = of.map((run) => Number(run.E[1] ?? NaN));
    comparisons.push({
      quantity: `E after epoch 1 (${dataset})`,
      paper: PAPER_E_EPOCH_1,
      ours: formatScientific(statistic(epochOne)),
      unit: 'E',
      verdict: 'not comparable',
      note:
        `the paper's CNN is unstated; ours has hidden layers of ${architecture?.hiddenNodes.join(', ') ?? '?'} nodes, which allow at most ` +
        `E = ${architecture?.maxE ?? '?'}` +
        (architecture && BigInt(architecture.maxE) < BigInt(PAPER_E_EPOCH_1) ? ", below the paper's value, so its net was larger" : ''),
    });

    const reachedZero = of.filter((run) => run.zeroToEnd);
    comparisons.push({
      quantity: `E falls to 0 as training goes on (${dataset})`,
      paper: 'Emergence activation decreased significantly from 634,398 in epoch 1 to zero in the later epochs',
      ours:
        `E = 0 from some epoch to the last in ${reachedZero.length}/${of.length} seeds; first zero at epoch ` +
        perSeed(of.map((run) => (run.firstZeroEpoch === null ? 'never' : String(run.firstZeroEpoch)))) +
        `; E at the last epoch ${perSeed(of.map((run) => shortE(run.E.at(-1) ?? '')))}` +
        ` (${perSeed(of.map((run) => percentOf(run.E.at(-1), run.E[1])))} of epoch 1's)`,
      verdict: reachedZero.length === of.length ? 'agrees' : 'differs',
      note: `rule: agrees when in every seed E reaches 0 and stays 0 to epoch ${settings.epochs}`,
    });

    comparisons.push(predictionComparison(dataset, of, 'onZero', settings, significant));
    comparisons.push(predictionComparison(dataset, of, 'belowPeak', settings, significant));
  }

  const notes = [
    "The pruning paper does not describe section 4.4's CNN, optimizer, learning rate or epoch count; ours is the small CNN of " +
      `issue 3 (conv 32, conv 64, dense 128), ${settings.optimizer} at lr ${settings.lr}, batch ${settings.batchSize}, ${settings.epochs} epochs.`,
    'E counts the conv channels (a channel is a node, its statistic taken over batch x height x width) and the dense hidden ' +
      "layer, each read at its block's ReLU output (before max-pooling).",
    'E is 0 exactly when no hidden layer with an inactive node is followed by a layer with an active node: while the dense ' +
      'layer has active nodes, a single inactive conv channel keeps E above 0.',
    'The CIFAR-10 here is the 8,068-image training subset (1,017 test images) in ../shared/datasets, not the full 50,000.',
    'Training runs every epoch; the stop epochs are computed afterwards from the recorded E with emergence.EmergenceStopper ' +
      "(what ctx.train's stop option would have done), so accuracy after the stop is measured, not extrapolated.",
    'E under the other statistic is measured only at init and after the last epoch; rerun with --statistic ' +
      `${runs[0]?.other.statistic ?? 'fraction'} to record it (and apply the rules to it) every epoch.`,
  ];

  return {
    tables: [epochTable, stopTable, activeTable, otherTable],
    comparisons,
    notes,
    details: {
      architectures,
      rules: {
        onZero: { onZero: true, patience: settings.patience },
        belowPeak: { onZero: false, belowPeakFraction: settings.belowPeakFraction, patience: settings.patience },
      },
      runs: runs.map((run) => ({
        dataset: run.dataset,
        seed: run.seed,
        E: run.E,
        accuracy: run.accuracy.map((a) => (Number.isFinite(a) ? a : null)),
        active: run.active,
        firstZeroEpoch: run.firstZeroEpoch,
        zeroToEnd: run.zeroToEnd,
        onZero: { ...run.onZero },
        belowPeak: { ...run.belowPeak },
        other: run.other as unknown as JsonValue,
      })),
    },
  };
}

/** Did the rule's stop come when no significant improvement was left? Tested on the seeds where it fired before the last epoch. */
function predictionComparison(
  dataset: DatasetName,
  of: readonly SeedRun[],
  rule: 'onZero' | 'belowPeak',
  settings: CnnStoppingSettings,
  significant: number,
): PaperComparison {
  const testable = of.filter((run) => run[rule].epoch !== null && run[rule].epochsSaved > 0);
  const gains = testable.map((run) => run[rule].gainAfterStop ?? NaN);
  const small = gains.filter((gain) => gain < significant);
  const quantity =
    rule === 'onZero'
      ? `zero E predicts no further significant improvement (${dataset})`
      : `low E (< ${settings.belowPeakFraction} x peak) predicts minimal further improvement (${dataset})`;
  const paper =
    rule === 'onZero'
      ? 'zero emergence is a reliable indicator that the network will not experience future significant improvements in performance'
      : 'When emergence is low, accuracy improvements are minimal and appear random';
  if (testable.length === 0) {
    return {
      quantity,
      paper,
      ours: `the rule fired before epoch ${settings.epochs} in none of ${of.length} seeds`,
      verdict: 'not comparable',
      note: 'nothing to test: no epochs followed a stop',
    };
  }
  const gainText = gains.map((gain) => `${(100 * gain).toFixed(2)}`).join(' / ');
  return {
    quantity,
    paper,
    ours: `accuracy gain from the stop to epoch ${settings.epochs}: ${gainText} pp (${testable.length}/${of.length} seeds stopped early)`,
    unit: 'pp',
    verdict: small.length === testable.length ? 'agrees' : 'differs',
    note: `rule: agrees when, in every seed where the rule stopped early, the final accuracy exceeds the accuracy at the stop by less than ${settings.significantGain} percentage points`,
  };
}

/** `part` as a percentage of `whole` (exact decimal strings of E), e.g. '71%'. */
function percentOf(part: string | undefined, whole: string | undefined): string {
  if (!part || !whole || whole === '0') return 'n/a';
  return `${((100 * Number(part)) / Number(whole)).toFixed(0)}%`;
}
