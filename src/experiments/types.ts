// The contracts of `emergence experiment`: an experiment's definition, the context it runs in, and the run folder's files.
import type { BackendKind } from '../backend/backend.js';
import type { OptionSpecs } from '../cli/args.js';
import type { DatasetName, Split } from '../data/catalog.js';
import type { Dataset, Normalization } from '../data/dataset.js';
import type { EmergenceStopRule } from '../emergence/track.js';
import type { Engine } from '../engine.js';
import type { NodeStatistic } from '../ops/defs.js';
import type { Net } from '../nn/net.js';

/**
 * How big a run is. 'test': seconds, for the test suite (tiny subsets, one seed). 'default': what this 2-core machine
 * finishes in minutes, scaled down where a CPU needs it (the scaling is stated in the report). 'paper': the papers'
 * settings (data, epochs, widths, seeds) as far as they state them.
 */
export type Scale = 'test' | 'default' | 'paper';
export const SCALES: readonly Scale[] = ['test', 'default', 'paper'];

/** An experiment's own settings: plain JSON values; key `baselineEpochs` is the CLI option `--baseline-epochs`. */
export type SettingValue = string | number | boolean | number[] | string[];
export type ExperimentSettings = Record<string, SettingValue>;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One experiment of EMERGENCE.md section 7, runnable as `emergence experiment <name>`. */
export interface ExperimentDefinition<S extends ExperimentSettings = ExperimentSettings> {
  /** CLI name, e.g. 'init-comparison'. */
  name: string;
  /** Its row in EMERGENCE.md section 7. */
  number: number;
  title: string;
  /** A paragraph for --help and the report: what runs, and what the paper reports. */
  summary: string;
  /** Its settings as CLI options, keyed by settings key (camelCase; the CLI spells it kebab-case); help says unit and meaning. */
  options: OptionSpecs;
  /** The settings at each scale. CLI options override single values. */
  scales: Record<Scale, S>;
  /** How each scale departs from the paper's setup, in words (stated in config.json and the report). */
  scaling: Record<Scale, string>;
  /** Rejects settings that cannot run (message names the option and what was expected). */
  validate?(settings: S): void;
  run(context: ExperimentContext, settings: S): Promise<ExperimentOutcome>;
}

/** The emergence convention every measurement of a run uses (config.json records it). */
export interface RunConvention {
  threshold: number;
  statistic: NodeStatistic;
  /** Probe samples: the first `probe` samples of the test split of the data set measured. */
  probe: number;
}

/** One row of metrics.csv. A row is either an epoch's figures or, with `lossEvery`, a block of steps' mean loss. */
export interface MetricsRow {
  /** Series name, e.g. 'kaiming', 'pruned 50%'; plots draw one line per run (seeds averaged). */
  run: string;
  seed: number;
  /** Stage of the experiment, e.g. 'train', 'after-pruning', 'fashion-mnist'. */
  phase: string;
  /** 'epoch': figures after an epoch (epoch 0: before training); 'steps': the mean loss of the last lossEvery steps. */
  kind: 'epoch' | 'steps';
  /** Epoch number as the experiment counts it (phases may continue a count, e.g. 6..15 after 5 baseline epochs). */
  epoch: number;
  /** Training steps the net had taken. */
  step: number;
  /** Mean training loss of the epoch, or of the block of steps. */
  loss?: number;
  trainLoss?: number;
  trainAccuracy?: number;
  testLoss?: number;
  testAccuracy?: number;
  /** Exact E as a decimal string. */
  E?: string;
  log10E?: number;
  /** E over all parameters, and over the unpruned (unmasked) ones. */
  relative?: number;
  relativeUnpruned?: number;
  /** Active fraction a/n of each measured layer, by layer label (columns active:<label> in the CSV). */
  active?: Record<string, number>;
  /** Wall-clock seconds of the epoch's training. */
  seconds?: number;
}

/** Mean and (sample) standard deviation over seeds. */
export interface Statistic {
  mean: number;
  std: number;
  n: number;
  values: number[];
}

/** A figure of the paper beside ours. */
export interface PaperComparison {
  quantity: string;
  paper: number | string;
  ours: Statistic | number | string;
  /** E.g. '%', 'E'. */
  unit?: string;
  verdict: 'agrees' | 'differs' | 'not comparable';
  /** Why, in a sentence. */
  note?: string;
}

export type MetricName = 'loss' | 'trainLoss' | 'trainAccuracy' | 'testLoss' | 'testAccuracy' | 'log10E' | 'relative' | 'relativeUnpruned';

/** A line plot of metrics rows: one line per run (mean over seeds, with a min-max band when there are several). */
export interface PlotSpec {
  /** File stem: plots/<id>.svg. */
  id: string;
  title: string;
  x: 'epoch' | 'step';
  /** 'active' plots per-layer active fractions: one line per layer, one panel per run. */
  y: MetricName | 'active';
  yLabel?: string;
  logY?: boolean;
  /** Rows of this kind (default 'epoch'). */
  kind?: MetricsRow['kind'];
  /** Only these phases / runs (default all). */
  phases?: string[];
  runs?: string[];
}

/** A table of our headline figures (mean ± std where several seeds ran). */
export interface ResultTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/** What an experiment returns; the runner adds the bookkeeping and writes results.json. */
export interface ExperimentOutcome {
  tables: ResultTable[];
  comparisons: PaperComparison[];
  /** Plots beyond the defaults (loss, test accuracy, log10 E, active fractions are drawn when the rows have them). */
  plots?: PlotSpec[];
  /** Where and why our setup or figures differ from the paper's, one sentence each. */
  notes: string[];
  /** Anything else worth keeping (per-seed figures, init reports, prune reports). */
  details?: JsonValue;
}

/** config.json: everything needed to run the experiment again. */
export interface RunConfig {
  experiment: string;
  title: string;
  scale: Scale;
  scaling: string;
  settings: ExperimentSettings;
  seed: number;
  backend: BackendKind | 'auto';
  convention: RunConvention & { layers: string; statistic: NodeStatistic; mode: 'eval' };
  /** The command line that reruns it. */
  command: string;
  engineVersion: string;
  created: string;
}

/** results.json. */
export interface RunResults extends ExperimentOutcome {
  experiment: string;
  title: string;
  status: 'complete' | 'interrupted';
  scale: Scale;
  scaling: string;
  /** The backend that ran and its device, the runtime and thread count. */
  environment: { backend: BackendKind; device: string; runtime: string };
  started: string;
  finished: string;
  seconds: number;
}

/** File access of a run folder (Node and Deno: node:fs). Paths are relative to the run folder. */
export interface RunFiles {
  /** The run folder. */
  readonly dir: string;
  readText(path: string): Promise<string | undefined>;
  readBytes(path: string): Promise<Uint8Array | undefined>;
  /** Writes whole: a temporary file renamed into place; creates parent folders. */
  write(path: string, content: string | Uint8Array): Promise<void>;
  remove(path: string): Promise<void>;
}

/** Options of ExperimentContext.train: one training run, epoch by epoch, resumable. */
export interface TrainRunOptions {
  /** Series name of its metrics rows. */
  run: string;
  seed: number;
  phase?: string;
  net: Net;
  train: Dataset;
  /** Evaluated after every epoch (testLoss, testAccuracy). */
  test?: Dataset;
  epochs: number;
  /** Number of the first epoch of this run minus one (a phase that continues a count); default 0. */
  epochOffset?: number;
  /** Probe for E (default: the run's probe of `test`'s data set); false: no E. */
  probe?: Float32Array | false;
  /** Record an epoch-0 row (E, test accuracy) before the first step; default true when epochOffset is 0. */
  measureInitial?: boolean;
  /** Also evaluate the training set after every epoch (trainLoss, trainAccuracy); default false. */
  evaluateTraining?: boolean;
  /** Also record the mean loss of every `lossEvery` steps (kind 'steps'). */
  lossEvery?: number;
  /** Stop early on E (emergence.track's rule); default false: record only. */
  stop?: EmergenceStopRule | false;
  /** Seed of the shuffling order; default `seed`. */
  shuffleSeed?: number;
}

export interface TrainRunResult {
  rows: MetricsRow[];
  /** Epochs trained in this run (fewer than asked when the stop rule fired). */
  epochs: number;
  stopReason?: string;
  /** The last epoch row. */
  last: MetricsRow;
}

/** What an experiment's run() gets: one engine, cached data, resumable training, metrics and progress. */
export interface ExperimentContext {
  readonly engine: Engine;
  readonly scale: Scale;
  /** Base seed; seed i of a multi-seed experiment is seed + i. */
  readonly seed: number;
  readonly convention: RunConvention;
  readonly files: RunFiles;
  /** A line on stderr (kept above the progress bar). */
  log(line: string): void;
  /** A split of a data set, loaded once per run ('unit' normalization unless given; limit: the first N samples). */
  data(name: DatasetName, split: Split, options?: { limit?: number; normalize?: Normalization }): Promise<Dataset>;
  /** The probe for E: the first convention.probe samples of the test split of `name`. */
  probe(name: DatasetName): Promise<Float32Array>;
  /** Measures E on the probe with the run's convention: a row's E fields (E, log10E, relative, relativeUnpruned, active). */
  measure(net: Net, probe: Float32Array): Promise<Pick<MetricsRow, 'E' | 'log10E' | 'relative' | 'relativeUnpruned' | 'active'>>;
  /**
   * Trains with progress and Ctrl-C handling; checkpoints the net (weights, optimizer state, masks) after every epoch
   * under checkpoints/<run>-<phase>-seed<seed>. Resuming a run folder restores a finished run's final state (and its rows)
   * without training, and continues an unfinished one from its last epoch with the same batches. On Ctrl-C it throws
   * ExperimentInterrupted after the current step (experiments let it propagate; the runner writes what is done).
   */
  train(options: TrainRunOptions): Promise<TrainRunResult>;
  /** Adds rows to metrics.csv (train() adds its own). */
  record(...rows: MetricsRow[]): void;
  /**
   * A resumable piece of work with a JSON result (e.g. a measurement at init): computed once, kept in the run's state,
   * returned from there when the folder is resumed.
   */
  once<T extends JsonValue>(id: string, work: () => Promise<T>): Promise<T>;
  /** Ctrl-C was pressed: finish or skip what is left quickly; the runner writes what is done and exits 130. */
  readonly interrupted: boolean;
}
