// Experiment 2's results: the Table 1 comparison, the per-series table, the verdicts and the notes on where we differ.
import { emergenceExponents } from '../emergence/init.js';
import { log10BigInt } from '../emergence/value.js';
import { parseWidths, vggChannels, VGG19_CONV_LAYERS } from './models.js';
import { formatPercent, formatStatistic, statistic, within } from './stats.js';
import type { JsonValue, PaperComparison, ResultTable, RunConvention, Statistic } from './types.js';
import type { InitFigures, PlainInitCheck, SeedOutcome, Series, VggSettings } from './vgg.js';

/** Table 1 of the init paper (first-epoch test accuracy, %, CIFAR-10), quoted exactly, with its spread. */
const PAPER_TABLE1 = {
  'kaiming-plain': { mean: 29.1, text: '29.1 ± 1.5' },
  'kaiming-bn': { mean: 12.6, text: '12.6 ± 0.6' },
  'emergence-plain': { mean: 46.2, text: '46.2 ± 0.6' },
  'emergence-bn': { mean: 52.4, text: '52.4 ± 1.0' },
} as const;

/** Chance accuracy on CIFAR-10's 10 classes: what a diverged run is recorded as. */
export const CHANCE_ACCURACY = 0.1;

/** --classifier-hidden as widths ("" for none). */
export function classifierWidths(text: string): number[] {
  return text.trim() === '' ? [] : parseWidths('classifier-hidden', text);
}

const pooledStd = (a: Statistic, b: Statistic): number => Math.sqrt((a.std ** 2 + b.std ** 2) / 2);

export function summarize(
  settings: VggSettings,
  convention: RunConvention,
  series: Series[],
  outcomes: Map<string, SeedOutcome[]>,
  initial: Map<string, InitFigures[]>,
  initCheck: { samples: number; kaiming: number[]; plain: PlainInitCheck[] },
  factors: { name: string; exponent: number; factor: number }[][],
  trainCount: number,
  testCount: number,
) {
  const first = (id: string) => statistic(outcomes.get(id)!.map((o) => o.firstAccuracy));
  const diverged = (id: string) => outcomes.get(id)!.filter((o) => o.diverged).length;
  const percent = (s: Statistic) => formatPercent(s, 1);

  const tables: ResultTable[] = [];
  const byId = new Map(series.map((s) => [s.id, s]));
  tables.push({
    title: `First-epoch test accuracy (Table 1 layout; ours: mean ± std over ${settings.seeds} seed(s), VGG-19 at width ${settings.width})`,
    columns: ['init', 'w/o BN, ours', 'w/o BN, paper', 'w/ BN, ours', 'w/ BN, paper'],
    rows: [
      [
        'Kaiming',
        percent(first('kaiming-plain')),
        `${PAPER_TABLE1['kaiming-plain'].text}%`,
        percent(first('kaiming-bn')),
        `${PAPER_TABLE1['kaiming-bn'].text}%`,
      ],
      [
        `emergence (alpha ${settings.alphaPlain} w/o BN, ${settings.alphaBn} w/ BN)`,
        percent(first('emergence-plain')),
        `${PAPER_TABLE1['emergence-plain'].text}%`,
        percent(first('emergence-bn')),
        `${PAPER_TABLE1['emergence-bn'].text}%`,
      ],
    ],
  });

  const epochsColumn = settings.epochs > 1 ? [`test accuracy after epoch ${settings.epochs}`] : [];
  tables.push({
    title: 'Every series: accuracy, E over the conv layers (probe, eval mode), early loss',
    columns: [
      'series',
      'diverged',
      'test accuracy after epoch 1',
      ...epochsColumn,
      'log10 E at init',
      'log10 E at init, train-mode BN',
      `log10 E after epoch ${settings.epochs}`,
      'active fraction at init (first / middle / last conv)',
      `mean loss, first ${settings.earlySteps} steps`,
    ],
    rows: series.map((run) => {
      const seeds = outcomes.get(run.id)!;
      const inits = initial.get(run.id)!;
      const fractionsAt = (layer: number) =>
        statistic(inits.map((f) => (f.layers[layer] ? f.layers[layer].a / f.layers[layer].n : NaN))).mean;
      const layers = inits[0]?.layers.length ?? 0;
      const picks = [0, Math.floor((VGG19_CONV_LAYERS - 1) / 2), VGG19_CONV_LAYERS - 1].filter((i) => i < layers);
      const trainMode = run.batchNorm ? formatLog10E(inits.map((f) => f.train!.E)) : '(no BN)';
      return [
        run.label,
        `${diverged(run.id)} of ${seeds.length}`,
        percent(first(run.id)),
        ...(settings.epochs > 1 ? [percent(statistic(seeds.map((o) => o.lastAccuracy)))] : []),
        formatLog10E(inits.map((f) => f.E)),
        trainMode,
        formatLog10E(seeds.filter((o) => !o.diverged).map((o) => o.E.at(-1)!)),
        picks.map((i) => `${(100 * fractionsAt(i)).toFixed(0)}%`).join(' / '),
        formatStatistic(statistic(seeds.map((o) => o.earlyLoss)), 4),
      ];
    }),
  });

  const fullSetup = settings.width === 1 && hiddenIsDefault(settings) && trainCount === 50000 && testCount === 10000;
  const comparisons: PaperComparison[] = (['kaiming-plain', 'kaiming-bn', 'emergence-plain', 'emergence-bn'] as const).map((id) => {
    const paper = PAPER_TABLE1[id];
    const ours = first(id);
    const scaled = { ...ours, mean: 100 * ours.mean, std: 100 * ours.std, values: ours.values.map((v) => 100 * v) };
    const verdict: PaperComparison['verdict'] = !fullSetup ? 'not comparable' : within(scaled, paper.mean, 2, 2) ? 'agrees' : 'differs';
    return {
      quantity: `first-epoch test accuracy, ${byId.get(id)!.label}`,
      paper: paper.text,
      ours: scaled,
      unit: '%',
      verdict,
      note: fullSetup
        ? "Rule: agrees when the paper's mean lies within our mean ± 2 std (at least ± 2 points)."
        : `Not comparable in absolute terms: width ${settings.width}, ${trainCount} training and ${testCount} test images ` +
          '(the paper: width 1, 50,000 / 10,000); the qualitative comparisons below are the test.',
    };
  });

  const paired = (better: string, worse: string) => {
    const a = outcomes.get(better)!;
    const b = outcomes.get(worse)!;
    return statistic(a.map((o, i) => 100 * (o.firstAccuracy - b[i].firstAccuracy)));
  };
  const beats = (better: string, worse: string, setting: string) => {
    const difference = paired(better, worse);
    const spread = 100 * pooledStd(first(better), first(worse));
    const agrees = difference.mean > 0 && difference.mean > spread;
    const paperDifference = (
      PAPER_TABLE1[better as keyof typeof PAPER_TABLE1].mean - PAPER_TABLE1[worse as keyof typeof PAPER_TABLE1].mean
    ).toFixed(1);
    comparisons.push({
      quantity: `emergence init beats Kaiming in first-epoch accuracy, ${setting} (difference, points)`,
      paper: `+${paperDifference} (${PAPER_TABLE1[better as keyof typeof PAPER_TABLE1].text} vs ${PAPER_TABLE1[worse as keyof typeof PAPER_TABLE1].text})`,
      ours: difference,
      unit: 'points',
      verdict: agrees ? 'agrees' : 'differs',
      note:
        `Rule: agrees when the mean paired difference (same seed, same draw) is > 0 and larger than the pooled std ` +
        `of the two series (${spread.toFixed(2)} points).`,
    });
  };
  beats('emergence-plain', 'kaiming-plain', 'w/o BN');
  beats('emergence-bn', 'kaiming-bn', 'w/ BN');

  if (settings.alphaPlainHigh > 0) {
    const withBn = paired('emergence-bn', 'kaiming-bn');
    const without = paired('emergence-plain-high-alpha', 'kaiming-plain');
    const gap = withBn.mean - without.mean;
    const spread = pooledStd(withBn, without);
    const agrees = gap > 0 && gap > spread;
    comparisons.push({
      quantity:
        `BN allows a larger alpha: gain over Kaiming at alpha ${settings.alphaBn} w/ BN minus the gain at alpha ` +
        `${settings.alphaPlainHigh} w/o BN (points)`,
      paper: 'positive ("BN does stabilize VGG-19 and allows training with stronger emergence (larger value of α)")',
      ours: `${gap.toFixed(2)} (w/ BN ${withBn.mean.toFixed(2)}, w/o BN ${without.mean.toFixed(2)}; w/o BN diverged in ${diverged('emergence-plain-high-alpha')} of ${settings.seeds} seeds)`,
      unit: 'points',
      verdict: agrees ? 'agrees' : 'differs',
      note:
        'Rule: agrees when the difference of the two paired gains is > 0 and larger than their pooled std ' +
        `(${spread.toFixed(2)} points); the paper reports no run of the net without BN at alpha ${settings.alphaPlainHigh}, the extra series is ours.`,
    });
  }

  const compareE = (id: string, reference: string, setting: string) => {
    const ours = initial.get(id)!;
    const base = initial.get(reference)!;
    const higher = ours.filter((f, i) => BigInt(f.E) > BigInt(base[i].E)).length;
    comparisons.push({
      quantity: `E at init (probe, eval mode) higher with the emergence init than with Kaiming, ${setting}`,
      paper: "higher: the scheme's aim (the paper reports E only for its MLP: 10.87e8 vs Kaiming's 5.99e8)",
      ours: `higher in ${higher} of ${ours.length} seeds (log10 E: ${formatLog10E(ours.map((f) => f.E))} vs Kaiming's ${formatLog10E(base.map((f) => f.E))})`,
      verdict: higher === ours.length ? 'agrees' : 'differs',
      note: 'Rule: agrees when E at init is higher than Kaiming’s from the same draw in every seed.',
    });
  };
  compareE('emergence-plain', 'kaiming-plain', 'w/o BN');
  compareE('emergence-bn', 'kaiming-bn', 'w/ BN');

  const kaimingBn = initial.get('kaiming-bn')!;
  const emergenceBn = initial.get('emergence-bn')!;
  const trainModeMeans = (figures: InitFigures[]) =>
    figures[0]?.train?.layers.map((layer) => Number(layer.meanStatistic.toPrecision(3))) ?? [];
  const notes = [
    `Architecture: VGG-19 for CIFAR (16 conv 3x3 with padding 1 and bias, ${settings.width === 1 ? '64..512' : `${vggChannels(64, settings.width)}..${vggChannels(512, settings.width)}`} channels at width ${settings.width}, 5 max-pools, ` +
      (hiddenIsDefault(settings)
        ? `flatten, Linear(${vggChannels(512, settings.width)}, 10): the common CIFAR variant (the paper does not state its classifier).`
        : `flatten, classifier ${classifierWidths(settings.classifierHidden).join('-')}-10 with ReLU (our choice).`),
    `Optimizer: ${settings.optimizer === 'adam' ? 'Adam' : `SGD with momentum ${settings.momentum}`}, lr ${settings.lr} constant, batch ${settings.batch}; ` +
      "the paper names lr 1e-3 constant but no optimizer: Adam is our default (its default lr is 1e-3), '--optimizer sgd' the alternative.",
    `Data: CIFAR-10, ${trainCount} training images (the offline subset holds 8,068 of 50,000), ${testCount} test images; inputs ${settings.normalize === 'standard' ? 'standardized per channel with the training-set mean and std' : 'scaled to [0, 1]'}; ` +
      'no augmentation; each epoch drops the last partial batch.',
    `Every series of a seed starts from one Kaiming-normal draw (fan-in, ReLU gain, zero biases); the emergence init scales weight layer l by alpha^k_l with exponents -8..8 over the 17 weight layers (16 conv + the classifier), so the first conv gets alpha^-8 and the classifier alpha^8.`,
    `E counts the ${VGG19_CONV_LAYERS + classifierWidths(settings.classifierHidden).length} hidden layers (conv channels at their post-ReLU output${hiddenIsDefault(settings) ? '' : ', classifier hidden units'}), computed exactly (bigint): at full width it passes 1e38.`,
    'E is measured in eval mode: a BN net at init uses its running statistics (mean 0, variance 1), so its BN layers are ~identity and its eval-mode E sees the alpha scaling; in train mode BN normalizes each conv output by its batch statistics (column "train-mode BN").',
    `BN cancels the scale alpha^k only while alpha^2k x var(conv output) stays well above BN's eps (1e-5): at alpha ${settings.alphaBn} the first conv is scaled by ${settings.alphaBn}^-8, so its output variance falls far below eps and the train-mode BN output shrinks instead of being normalized; per conv, the mean per-node statistic ('${convention.statistic}') in train mode at init, Kaiming: [${trainModeMeans(kaimingBn).join(', ')}], emergence: [${trainModeMeans(emergenceBn).join(', ')}] (seed ${outcomes.get('kaiming-bn')![0]?.seed ?? 0}).`,
    plainInitNote(initCheck, convention),
    scaleProfileNote(settings),
    `A series whose loss turned NaN or infinite (NonFiniteLossError) is recorded as diverged with chance accuracy (${100 * CHANCE_ACCURACY}%).`,
    "Table 1's baseline rows come from GradInit [8] according to the paper, so their training setup may differ from the lr 1e-3 constant stated for the emergence init.",
  ];
  const allActive = kaimingBn.length > 0 && kaimingBn.every((f) => f.train!.layers.every((layer, l) => layer.a === f.layers[l].n));
  const trainedBn = outcomes.get('kaiming-bn')!.filter((o) => !o.diverged);
  const trainedAllActive = trainedBn.filter((o) => o.E.at(-1) === '0' && o.lastActive.every((fraction) => fraction === 1)).length;
  if (allActive || trainedAllActive > 0) {
    notes.push(
      'E is 0 also when every node is active (no inactive node starts a path). BN makes each channel\u2019s mean post-ReLU value about ' +
        `0.4 × gamma, above θ: ${allActive ? 'in train mode at init every channel of the Kaiming BN net is active' : ''}` +
        `${allActive && trainedAllActive > 0 ? '; ' : ''}` +
        `${trainedAllActive > 0 ? `after training, the Kaiming BN net (eval mode, learned running statistics) has every channel active and E = 0 in ${trainedAllActive} of ${trainedBn.length} seeds` : ''}.`,
    );
  }
  if (settings.epochs > 1) notes.push(`Trained ${settings.epochs} epochs; the Table 1 figure is the epoch-1 row.`);

  const details: JsonValue = {
    perSeed: Object.fromEntries(series.map((run) => [run.id, outcomes.get(run.id)! as unknown as JsonValue])),
    initial: Object.fromEntries(series.map((run) => [run.id, initial.get(run.id)! as unknown as JsonValue])),
    initCheck: initCheck as unknown as JsonValue,
    emergenceInitFactors: factors as unknown as JsonValue,
    series: series.map((run) => ({ id: run.id, label: run.label, batchNorm: run.batchNorm, scheme: run.scheme, alpha: run.alpha })),
  };
  return {
    tables,
    comparisons,
    plots: [
      { id: 'early-loss', title: 'Training loss per block of steps', x: 'step' as const, y: 'loss' as const, kind: 'steps' as const },
    ],
    notes,
    details,
  };
}

/** What the plain-net check found: logits as Kaiming's, and the hidden statistic's ratio at the middle conv. */
function plainInitNote(initCheck: { samples: number; kaiming: number[]; plain: PlainInitCheck[] }, convention: RunConvention): string {
  const middle = Math.floor((VGG19_CONV_LAYERS - 1) / 2);
  const checks = initCheck.plain.map((check) => {
    const ratio = initCheck.kaiming[middle] > 0 ? check.layerMeans[middle] / initCheck.kaiming[middle] : NaN;
    return (
      `alpha ${check.alpha}: logits differ from Kaiming's by ${check.logitsRelativeDifference.toExponential(1)} (relative)` +
      `${check.finite ? '' : ' and are NOT finite'}, conv ${middle + 1}'s per-node statistic ('${convention.statistic}', averaged over its nodes) is ` +
      `${ratio.toExponential(2)} x Kaiming's (alpha^-36 = ${Math.pow(check.alpha, -36).toExponential(2)})`
    );
  });
  return (
    `Plain net at init (${initCheck.samples} probe images): the factors multiply to 1 and ReLU and max-pool commute with ` +
    `positive scales, so the logits should match Kaiming's while the hidden activations shrink towards the middle: ${checks.join('; ')}.`
  );
}

/** log10 E as mean ± std over the seeds where E > 0, saying how many seeds had E = 0 (log10 E = -inf). */
export function formatLog10E(values: readonly string[]): string {
  if (values.length === 0) return 'n/a';
  const logs = values.filter((text) => text !== '0').map((text) => log10BigInt(BigInt(text)));
  const zeros = values.length - logs.length;
  if (logs.length === 0) return values.length === 1 ? 'E = 0' : `E = 0 in all ${values.length} seeds`;
  return formatStatistic(statistic(logs), 2) + (zeros > 0 ? ` (E = 0 in ${zeros} of ${values.length} seeds)` : '');
}

/**
 * Where eq. 8 leaves each hidden layer's activation scale in a bias-free ReLU net without BN: layer l's output is
 * multiplied by alpha^(k_1 + ... + k_l), and a fixed threshold θ sees that scale.
 */
function scaleProfileNote(settings: VggSettings): string {
  const hidden = VGG19_CONV_LAYERS + classifierWidths(settings.classifierHidden).length;
  const scaled = settings.scaleLayers === 'conv' ? VGG19_CONV_LAYERS : hidden + 1;
  const exponents = emergenceExponents(scaled);
  const cumulative: number[] = [];
  for (let l = 0, sum = 0; l < hidden; l++) cumulative.push((sum += l < scaled ? exponents[l] : 0));
  const largest = Math.max(...cumulative);
  const smallest = Math.min(...cumulative);
  const classifier =
    settings.scaleLayers === 'all'
      ? ` With BN the conv outputs are normalized in train mode, so the classifier's factor alpha^${exponents[scaled - 1]} ` +
        `(${Math.pow(settings.alphaBn, exponents[scaled - 1]).toPrecision(6)} at alpha ${settings.alphaBn}) scales the logits of every training step ` +
        "('--scale-layers conv' leaves the classifier at Kaiming's scale)."
      : '';
  return (
    `Eq. 8 over ${scaled} weight layers (exponents ${exponents[0]}..${exponents[scaled - 1]}): without BN hidden layer l's ` +
    `activations are Kaiming's times alpha^(k_1+...+k_l), an exponent between ${smallest} and ${largest} here, so the ` +
    `fixed threshold θ sees activations down to alpha^${smallest} of Kaiming's.${classifier}`
  );
}

function hiddenIsDefault(settings: VggSettings): boolean {
  return classifierWidths(settings.classifierHidden).length === 0;
}
