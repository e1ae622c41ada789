// Experiment 2: VGG-19 without and with batch norm on CIFAR-10, Kaiming vs emergence-promoting init: first-epoch accuracy, E.
import type { Dataset, Normalization } from '../data/dataset.js';
import { init as emergenceInit } from '../emergence/init.js';
import { measure, type EmergenceMeasurement } from '../emergence/measure.js';
import { NonFiniteLossError } from '../nn/errors.js';
import type { Net } from '../nn/net.js';
import { compileClassifier, EARLY_LOSS_OPTIONS, meanEarlyLoss, optimizerOf, sampleLimit, seedsOption } from './common.js';
import { vgg19, VGG19_CONV_LAYERS } from './models.js';
import { SettingsCheck } from './settings-checks.js';
import { CHANCE_ACCURACY, classifierWidths, summarize } from './vgg-summary.js';
import type { ExperimentContext, ExperimentDefinition, RunConvention } from './types.js';

export interface VggSettings {
  [key: string]: string | number | boolean | number[] | string[];
  /** Channel multiplier: 1 is VGG-19 (64..512 channels), 0.25 gives 16..128. */
  width: number;
  /** Hidden widths of the classifier before the 10 logits, comma-separated; '' (default): Linear(512·width, 10) only. */
  classifierHidden: string;
  /** Training images (0: every image the training split has). */
  limit: number;
  /** Test images (0: the whole test split). */
  testLimit: number;
  seeds: number;
  epochs: number;
  batch: number;
  optimizer: string;
  lr: number;
  /** SGD only. */
  momentum: number;
  alphaPlain: number;
  alphaBn: number;
  /** Alpha of an extra series: the plain net (no BN) at this alpha, for the claim that BN allows a larger alpha; 0 skips it. */
  alphaPlainHigh: number;
  /** Weight layers eq. 8 scales: 'all' (16 conv + classifier, exponents -8..8) or 'conv' (the 16 conv layers, -8..-1, 1..8). */
  scaleLayers: string;
  normalize: string;
  lossEvery: number;
  earlySteps: number;
}

export type Scheme = 'kaiming' | 'emergence';

export interface Series {
  /** Run name in metrics.csv. */
  id: string;
  batchNorm: boolean;
  scheme: Scheme;
  /** Alpha of the emergence init (1 for Kaiming). */
  alpha: number;
  label: string;
}

function seriesOf(settings: VggSettings): Series[] {
  const series: Series[] = [
    { id: 'kaiming-plain', batchNorm: false, scheme: 'kaiming', alpha: 1, label: 'Kaiming, w/o BN' },
    {
      id: 'emergence-plain',
      batchNorm: false,
      scheme: 'emergence',
      alpha: settings.alphaPlain,
      label: `emergence (alpha ${settings.alphaPlain}), w/o BN`,
    },
    { id: 'kaiming-bn', batchNorm: true, scheme: 'kaiming', alpha: 1, label: 'Kaiming, w/ BN' },
    {
      id: 'emergence-bn',
      batchNorm: true,
      scheme: 'emergence',
      alpha: settings.alphaBn,
      label: `emergence (alpha ${settings.alphaBn}), w/ BN`,
    },
  ];
  if (settings.alphaPlainHigh > 0) {
    series.push({
      id: 'emergence-plain-high-alpha',
      batchNorm: false,
      scheme: 'emergence',
      alpha: settings.alphaPlainHigh,
      label: `emergence (alpha ${settings.alphaPlainHigh}), w/o BN`,
    });
  }
  return series;
}

const OPTIMIZERS = ['adam', 'sgd'] as const;
/** Weight layers the emergence init scales. */
const SCALE_LAYERS = ['all', 'conv'] as const;
const NORMALIZATIONS = ['standard', 'unit'] as const;

/** The measurement at initialization kept in the run state (n and a per layer, E in eval and, with BN, train mode). */
export type InitFigures = {
  /** Exact E as a decimal string. */
  E: string;
  layers: { name: string; n: number; a: number; meanStatistic: number }[];
  /** BN nets: the same probe in train mode (batch statistics), where BN normalizes each conv's output. */
  train?: { E: string; layers: { name: string; a: number; meanStatistic: number }[] };
};

/** What one series gave for one seed. */
export type SeedOutcome = {
  seed: number;
  diverged: boolean;
  /** Test accuracy after epoch 1 (chance when it diverged). */
  firstAccuracy: number;
  lastAccuracy: number;
  /** Exact E (decimal strings) of every epoch row: at init (epoch 0), after epoch 1, ... (none when it diverged). */
  E: string[];
  /** Active fraction a/n per measured layer after the last epoch (none when it diverged). */
  lastActive: number[];
  earlyLoss: number;
  divergence?: { step: number; message: string };
};

/** The paper's settings where it states them (Table 1: lr 1e-3, batch 128, alpha 2 / 5), ours where not; the smaller scales change only what they list. */
const PAPER_SETTINGS: VggSettings = {
  width: 1,
  classifierHidden: '',
  limit: 0,
  testLimit: 0,
  seeds: 3,
  epochs: 1,
  batch: 128,
  optimizer: 'adam',
  lr: 1e-3,
  momentum: 0.9,
  alphaPlain: 2,
  alphaBn: 5,
  alphaPlainHigh: 5,
  scaleLayers: 'all',
  normalize: 'standard',
  lossEvery: 10,
  earlySteps: 50,
};

export const vggExperiment: ExperimentDefinition<VggSettings> = {
  name: 'vgg',
  number: 2,
  title: 'VGG-19 without and with batch norm on CIFAR-10: first-epoch accuracy, Kaiming vs emergence-promoting init',
  summary:
    'VGG-19 (16 conv 3x3 layers, 5 max-pools, Linear(512, 10)) without and with batch norm after every conv is trained on ' +
    'CIFAR-10 from two initializations per seed that share one Kaiming-normal draw: Kaiming as drawn, and the emergence-' +
    'promoting init (eq. 8: weight layer l scaled by alpha^k_l, symmetric exponents -8..8 over the 17 weight layers) with ' +
    'alpha 2 without BN and 5 with BN, lr 1e-3 constant, batch 128. Recorded: test accuracy after the first epoch, E over ' +
    'the 16 conv layers at init and after every epoch (exact; it passes 1e38 at full width), the loss per block of steps, ' +
    'and per-layer active fractions. The init paper (Table 1) reports first-epoch accuracy Kaiming 29.1 / 12.6 and ' +
    'emergence init 46.2 / 52.4 (%, w/o BN / w/ BN).',
  options: {
    width: { kind: 'number', value: 'X', help: 'channel multiplier (1: VGG-19, 64..512 channels; 0.25: 16..128)' },
    classifierHidden: {
      kind: 'string',
      value: 'W,W',
      help: "hidden widths of the classifier before the logits ('': Linear(512·width, 10) only, the common CIFAR variant)",
    },
    limit: { kind: 'integer', value: 'N', help: 'training images (0: the whole training split)' },
    testLimit: { kind: 'integer', value: 'N', help: 'test images (0: the whole test split)' },
    seeds: seedsOption({ note: 'mean ± std over them' }),
    epochs: { kind: 'integer', value: 'N', help: 'training epochs per net (Table 1: first-epoch accuracy)' },
    batch: { kind: 'integer', value: 'N', help: 'batch size (the paper: 128)' },
    optimizer: {
      kind: 'choice',
      choices: OPTIMIZERS,
      help: "optimizer (the paper names lr 1e-3 constant but no optimizer; default 'adam', whose default lr is 1e-3)",
    },
    lr: { kind: 'number', value: 'X', help: 'learning rate, constant (the paper: 1e-3)' },
    momentum: { kind: 'number', value: 'X', help: 'SGD momentum (with --optimizer sgd)' },
    alphaPlain: { kind: 'number', value: 'X', help: 'alpha of the emergence init without batch norm (the paper: 2)' },
    alphaBn: { kind: 'number', value: 'X', help: 'alpha of the emergence init with batch norm (the paper: 5)' },
    alphaPlainHigh: {
      kind: 'number',
      value: 'X',
      help: 'alpha of an extra series, the net without BN at a larger alpha (tests "BN allows larger alpha"); 0 skips it',
    },
    scaleLayers: {
      kind: 'choice',
      choices: SCALE_LAYERS,
      help: "weight layers the emergence init scales: 'all' (eq. 8 over the 17 weight layers) or 'conv' (the 16 conv layers; the classifier keeps Kaiming's scale)",
    },
    normalize: {
      kind: 'choice',
      choices: NORMALIZATIONS,
      help: "inputs: 'standard' (per-channel training-set mean and std) or 'unit' ([0, 1])",
    },
    ...EARLY_LOSS_OPTIONS,
  },
  scales: {
    test: { ...PAPER_SETTINGS, width: 0.0625, limit: 256, testLimit: 256, seeds: 1, batch: 64, lossEvery: 1, earlySteps: 2 },
    default: { ...PAPER_SETTINGS, width: 0.125, seeds: 2, lossEvery: 4, earlySteps: 16 },
    paper: PAPER_SETTINGS,
  },
  scaling: {
    test:
      'VGG-19 at width 1/16 (4..32 channels) on 256 CIFAR-10 training and 256 test images, batch 64, 1 epoch, 1 seed: ' +
      'checks the pipeline, not the science.',
    default:
      'VGG-19 at width 1/8 (8..64 channels instead of 64..512, about 1/64 of the FLOPs) on the offline CIFAR-10 subset ' +
      '(all 8,068 training images instead of 50,000; the 1,017-image test subset instead of 10,000), 2 seeds instead of 3. ' +
      'Measured on this machine (wasm, 2 threads, batch 128, the cores shared with other jobs): one training step of the ' +
      'full-width net takes 6.3-8.6 s without BN and 6.5 s with BN (up to 3x more under load), at width 1/8 0.15-0.16 s ' +
      '(0.6-0.8 s under load). This scale took 10.9 min wall-clock (4.4 CPU-minutes) on the shared cores.',
    paper:
      "The paper's VGG-19 (width 1) and settings (batch 128, lr 1e-3 constant, alpha 2 / 5, first-epoch accuracy), " +
      '3 seeds (our choice; the paper reports mean ± std without the count), Adam (our choice; the paper names no optimizer). ' +
      'Data: every CIFAR-10 image data.load finds: here only the offline subset (8,068 training, 1,017 test images); the ' +
      "paper's 50,000 / 10,000 when full CIFAR-10 is given (EMERGENCE_DATA_DIR). Needs a GPU: on this 2-core CPU (wasm) " +
      'the 15 nets (5 series x 3 seeds) x 63 steps of the subset take about 2 hours and full CIFAR-10 (390 steps) about 13, ' +
      "and the full-width BN net at batch 128 does not fit wasm's 2 GiB heap with the net's replay copies (out of memory at " +
      'its second step), nor would the 1,000-image probe\u2019s activations (about 3 GB).',
  },
  validate(settings) {
    const check = new SettingsCheck('vgg', settings);
    if (!(settings.width > 0 && settings.width <= 4)) check.reject('width', 'a channel multiplier in (0, 4]');
    classifierWidths(settings.classifierHidden);
    check.positiveIntegers('seeds', 'epochs', 'batch', 'lossEvery', 'earlySteps');
    check.sampleLimits('limit', 'testLimit');
    check.oneOf('optimizer', OPTIMIZERS);
    check.positiveNumbers('lr');
    if (!(settings.momentum >= 0 && settings.momentum < 1)) check.reject('momentum', 'a number in [0, 1)');
    check.positiveNumbers('alphaPlain', 'alphaBn');
    if (!(settings.alphaPlainHigh >= 0 && Number.isFinite(settings.alphaPlainHigh)))
      check.reject('alphaPlainHigh', 'a number >= 0 (0: skip)');
    check.oneOf('scaleLayers', SCALE_LAYERS);
    check.oneOf('normalize', NORMALIZATIONS);
  },
  run: runVgg,
};

async function runVgg(ctx: ExperimentContext, settings: VggSettings) {
  const normalize = settings.normalize as Normalization;
  const hidden = classifierWidths(settings.classifierHidden);
  const train = await ctx.data('cifar10', 'train', { normalize, ...sampleLimit(settings.limit) });
  const test = await ctx.data('cifar10', 'test', { normalize, ...sampleLimit(settings.testLimit) });
  // The probe: the convention's first test images, normalized as the nets see them (ctx.probe would give [0, 1] pixels).
  const probe = (await ctx.data('cifar10', 'test', { normalize, limit: ctx.convention.probe })).inputs;
  const optimizer = optimizerOf(settings.optimizer, settings.lr, settings.momentum);
  const series = seriesOf(settings);
  // 'conv': one block of the 16 conv layers (the first 16 weight layers); the classifier's layers keep their draw.
  const blocks = settings.scaleLayers === 'conv' ? { blocks: [Array.from({ length: VGG19_CONV_LAYERS }, (_, i) => i)] } : {};
  const initialize = (net: Net, alpha: number, seed: number) => emergenceInit(net, { base: 'kaiming', alpha, seed, ...blocks });
  const compile = (batchNorm: boolean, seed: number) =>
    compileClassifier(ctx, vgg19({ width: settings.width, batchNorm, classifierHidden: hidden, classes: train.classes.length }), train, {
      batchSize: settings.batch,
      optimizer,
      init: 'kaiming-normal',
      seed,
    });

  const initCheck = await ctx.once('init-check', () => checkPlainInit(ctx, settings, probe, compile, initialize));

  const outcomes = new Map<string, SeedOutcome[]>(series.map((s) => [s.id, []]));
  const initial = new Map<string, InitFigures[]>(series.map((s) => [s.id, []]));
  let factors: { name: string; exponent: number; factor: number }[][] = [];
  for (let s = 0; s < settings.seeds; s++) {
    const seed = ctx.seed + s;
    for (const run of series) {
      const net = await compile(run.batchNorm, seed);
      try {
        if (run.scheme === 'emergence') {
          const report = await initialize(net, run.alpha, seed);
          if (s === 0) factors.push(report.layers.map(({ name, exponent, factor }) => ({ name, exponent, factor })));
        }
        initial
          .get(run.id)!
          .push(await ctx.once(`init/${run.id}/seed${seed}`, () => measureInit(net, probe, ctx.convention, run.batchNorm)));
        outcomes.get(run.id)!.push(await trainSeries(ctx, settings, run, seed, net, train, test, probe));
      } finally {
        await net.dispose();
      }
    }
  }
  factors = factors.filter((list, i) => factors.findIndex((other) => JSON.stringify(other) === JSON.stringify(list)) === i);
  return summarize(settings, ctx.convention, series, outcomes, initial, initCheck, factors, train.count, test.count);
}

/** Trains one series for one seed through ctx.train; a non-finite loss is a result ('diverged', chance accuracy). */
async function trainSeries(
  ctx: ExperimentContext,
  settings: VggSettings,
  run: Series,
  seed: number,
  net: Net,
  train: Dataset,
  test: Dataset,
  probe: Float32Array,
): Promise<SeedOutcome> {
  try {
    const result = await ctx.train({ run: run.id, seed, net, train, test, epochs: settings.epochs, probe, lossEvery: settings.lossEvery });
    const epochs = result.rows.filter((row) => row.kind === 'epoch');
    const start = epochs.find((row) => row.epoch === 0)!;
    const trained = epochs.filter((row) => row.epoch > 0);
    return {
      seed,
      diverged: false,
      firstAccuracy: trained[0].testAccuracy!,
      lastAccuracy: trained.at(-1)!.testAccuracy!,
      E: [start.E!, ...trained.map((row) => row.E!)],
      lastActive: Object.values(trained.at(-1)!.active ?? {}),
      earlyLoss: meanEarlyLoss(result.rows, settings.earlySteps),
    };
  } catch (error) {
    if (!(error instanceof NonFiniteLossError)) throw error;
    ctx.log(`${run.id} seed ${seed}: diverged (${error.message}); recorded as ${100 * CHANCE_ACCURACY}% accuracy`);
    return {
      seed,
      diverged: true,
      firstAccuracy: CHANCE_ACCURACY,
      lastAccuracy: CHANCE_ACCURACY,
      E: [],
      lastActive: [],
      earlyLoss: NaN,
      divergence: { step: error.step, message: error.message },
    };
  }
}

const meanOf = (values: Float32Array): number => (values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length);

/** n, a and the mean per-node statistic of every measured layer, in eval mode and (BN nets) in train mode. */
async function measureInit(net: Net, probe: Float32Array, convention: RunConvention, batchNorm: boolean): Promise<InitFigures> {
  const options = { threshold: convention.threshold, statistic: convention.statistic };
  const evaluated = await measure(net, probe, options);
  const figures: InitFigures = {
    E: evaluated.E.toString(),
    layers: evaluated.layers.map((layer) => ({ name: layer.name, n: layer.n, a: layer.a, meanStatistic: meanOf(layer.statistic) })),
  };
  if (batchNorm) {
    const trained: EmergenceMeasurement = await measure(net, probe, { ...options, mode: 'train' });
    figures.train = {
      E: trained.E.toString(),
      layers: trained.layers.map((layer) => ({ name: layer.name, a: layer.a, meanStatistic: meanOf(layer.statistic) })),
    };
  }
  return figures;
}

export type PlainInitCheck = {
  alpha: number;
  /** max |logits - Kaiming's logits| / max |Kaiming's logits| on the first probe images. */
  logitsRelativeDifference: number;
  finite: boolean;
  /** Mean post-ReLU value per conv layer (probe, eval mode): the alpha^(sum of exponents so far) profile. */
  layerMeans: number[];
};

/**
 * The plain net at init: the factors of eq. 8 multiply to 1 and ReLU and max-pool commute with positive scales, so the
 * logits must equal Kaiming's (exactly for powers of two, to rounding otherwise) while hidden activations shrink and grow.
 */
async function checkPlainInit(
  ctx: ExperimentContext,
  settings: VggSettings,
  probe: Float32Array,
  compile: (batchNorm: boolean, seed: number) => Promise<Net>,
  initialize: (net: Net, alpha: number, seed: number) => Promise<unknown>,
): Promise<{ samples: number; kaiming: number[]; plain: PlainInitCheck[] }> {
  const features = 3 * 32 * 32;
  const samples = Math.min(probe.length / features, settings.batch);
  const x = probe.subarray(0, samples * features);
  const alphas = [
    ...new Set([1, settings.alphaPlain, settings.alphaBn, ...(settings.alphaPlainHigh > 0 ? [settings.alphaPlainHigh] : [])]),
  ];
  let reference: Float32Array | undefined;
  const plain: PlainInitCheck[] = [];
  let kaiming: number[] = [];
  for (const alpha of alphas) {
    const net = await compile(false, ctx.seed);
    try {
      if (alpha !== 1) await initialize(net, alpha, ctx.seed);
      const logits = await net.predict(x);
      const measured = await measure(net, probe, { threshold: ctx.convention.threshold, statistic: ctx.convention.statistic });
      const layerMeans = measured.layers.map((layer) => meanOf(layer.statistic));
      if (alpha === 1) {
        reference = logits;
        kaiming = layerMeans;
        continue;
      }
      let largest = 0;
      let difference = 0;
      for (let i = 0; i < logits.length; i++) {
        largest = Math.max(largest, Math.abs(reference![i]));
        difference = Math.max(difference, Math.abs(logits[i] - reference![i]));
      }
      plain.push({
        alpha,
        logitsRelativeDifference: largest > 0 ? difference / largest : difference,
        finite: logits.every((v) => Number.isFinite(v)),
        layerMeans,
      });
    } finally {
      await net.dispose();
    }
  }
  return { samples, kaiming, plain };
}
