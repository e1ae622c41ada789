// Contracts of the playground: the settings of a live training run, the events it emits while it trains, its history.
import type { DatasetName } from '../data/catalog.js';

/** Everything a live run depends on; the same settings and seed give the same run in every runtime and on every backend. */
export interface PlaygroundSettings {
  dataset: DatasetName;
  /** 'mlp': flatten, hidden Linear+ReLU layers, Linear; 'cnn': the experiments' small CNN (conv32-pool-conv64-pool-128). */
  model: 'mlp' | 'cnn';
  /** Hidden widths of the MLP (ignored by the CNN). */
  hidden: number[];
  /** 'kaiming' / 'xavier': normal initializations; 'emergence': Kaiming, then eq. 8's scaling with `alpha`. */
  init: 'kaiming' | 'xavier' | 'emergence';
  /** alpha of the emergence-promoting initialization (used when init is 'emergence'). */
  alpha: number;
  /** Share of the weights removed by global magnitude pruning (0: no pruning; below 1). */
  pruneFraction: number;
  /** When pruning happens, as a share of the planned steps (0: at initialization, 0.5: halfway). */
  pruneAt: number;
  /** θ: a node is active when its mean post-ReLU value over the probe exceeds it. */
  threshold: number;
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  /** Seeds the initialization, the shuffling and the emergence init's draw. */
  seed: number;
  /** Training samples used (the first ones of the split); 0: all. */
  trainSamples: number;
  /** Test samples in the probe on which E, the active nodes and the live accuracy are measured. */
  probe: number;
  /** Steps between two measurements of E (and of the probe's loss and accuracy). */
  measureEvery: number;
  /** Stop after this many steps (0: no limit; the run then ends after `epochs`). */
  maxSteps: number;
}

/** One layer of nodes as the playground shows it. */
export interface PlaygroundLayer {
  /** State-dict prefix of the weight layer ('1' for '1.weight'). */
  name: string;
  /** What was measured, e.g. '2 (relu after 1 linear)'. */
  label: string;
  n: number;
  a: number;
  fraction: number;
  /** Each node's mean post-ReLU value over the probe (its statistic; active when above the threshold). */
  statistic: number[];
}

export interface PlaygroundStart {
  type: 'start';
  settings: PlaygroundSettings;
  backend: 'webgpu' | 'wasm';
  /** The engine's description (adapter, threads). */
  description: string;
  /** Trainable parameters. */
  parameters: number;
  stepsPerEpoch: number;
  /** Steps the run will take (epochs x steps per epoch, or maxSteps when smaller). */
  steps: number;
  /** The step before which pruning happens, when pruneFraction > 0. */
  pruneStep?: number;
  /** The layers of nodes that are measured, in order. */
  layers: { name: string; label: string; n: number }[];
}

/** Training losses of a block of consecutive steps (read back from the device together). */
export interface PlaygroundLosses {
  type: 'losses';
  epoch: number;
  /** The first step of the block (steps count from 1). */
  firstStep: number;
  losses: number[];
}

/** E, relative E and every layer's active nodes on the probe, with the probe's loss and accuracy, after `step` steps. */
export interface PlaygroundMeasure {
  type: 'measure';
  step: number;
  epoch: number;
  /** Exact E as a decimal string (it can exceed float64). */
  E: string;
  log10E: number;
  /** E / trainable parameters. */
  relative: number;
  /** E / unpruned trainable parameters. */
  relativeUnpruned: number;
  layers: PlaygroundLayer[];
  probeLoss: number;
  probeAccuracy: number;
}

export interface PlaygroundPrune {
  type: 'prune';
  /** Pruning happened after this many steps. */
  step: number;
  fraction: number;
  /** Weights set to zero and masked. */
  pruned: number;
  /** Trainable parameters still unmasked, and all of them. */
  unpruned: number;
  total: number;
}

export interface PlaygroundEpoch {
  type: 'epoch';
  epoch: number;
  step: number;
  /** Mean training loss of the epoch's steps. */
  loss: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface PlaygroundDone {
  type: 'done';
  step: number;
  /** 'finished': all epochs; 'max-steps': settings.maxSteps reached; 'stopped': the signal was aborted. */
  reason: 'finished' | 'max-steps' | 'stopped';
  /** Test-set loss and accuracy of the final net (every test sample). */
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

export type PlaygroundEvent = PlaygroundStart | PlaygroundLosses | PlaygroundMeasure | PlaygroundPrune | PlaygroundEpoch | PlaygroundDone;

/** Everything a run emitted, gathered by kind (what the charts plot and the tests compare). */
export interface PlaygroundHistory {
  start: PlaygroundStart;
  /** Every step's training loss: losses[i] is step i + 1's. */
  losses: number[];
  measures: PlaygroundMeasure[];
  prunes: PlaygroundPrune[];
  epochs: PlaygroundEpoch[];
  done: PlaygroundDone;
}

export interface PlaygroundRunOptions {
  /** Called with every event as it happens (the page draws from these). */
  onEvent?: (event: PlaygroundEvent) => void;
  /** Aborting stops the run after the current step; the run still ends with a 'done' event (reason 'stopped'). */
  signal?: AbortSignal;
}

/** One file of a data set's split as the playground's data server lists it. */
export interface PlaygroundDataFile {
  /** The file's name (what data.fromFiles matches against the split's expected names). */
  name: string;
  /** Where to fetch it, relative to the data folder (data/). */
  url: string;
  bytes: number;
}

/** data/index.json: the data sets a playground server or static site holds, and those it could not find. */
export interface PlaygroundDataIndex {
  datasets: {
    name: DatasetName;
    title: string;
    shape: number[];
    classes: string[];
    splits: { train: PlaygroundDataFile[]; test: PlaygroundDataFile[] };
  }[];
  missing: { name: DatasetName; title: string; reason: string }[];
}
