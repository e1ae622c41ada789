// Runs one experiment into a run folder: config.json, state and checkpoints while it runs, metrics.csv, results.json, report.
import type { BackendKind } from '../backend/backend.js';
import type { ProgressSink } from '../cli/progress.js';
import { createEngine } from '../engine.js';
import type { NodeStatistic } from '../ops/defs.js';
import { detectRuntime } from '../platform/runtime.js';
import { metricsToCsv } from '../report/metrics-csv.js';
import { writeReport } from '../report/index.js';
import { ExperimentInterrupted, RunContext, STATE_FILE, type RunState } from './context.js';
import { experimentByName } from './registry.js';
import { nodeRunFiles } from './run-files.js';
import { SCALES } from './types.js';
import type {
  ExperimentOutcome,
  ExperimentSettings,
  MetricsRow,
  RunConfig,
  RunConvention,
  RunFiles,
  RunResults,
  Scale,
  SettingValue,
} from './types.js';

/** The engine version written into config.json. */
export const ENGINE_VERSION = '0.1.0';

export interface RunOptions {
  /** The run folder (created); it must not hold a run already unless `resume`. */
  dir: string;
  /** Default 'default'. */
  scale?: Scale;
  /** Single settings over the scale's (keys as in the experiment's options). */
  settings?: ExperimentSettings;
  /** Base seed; default 0. */
  seed?: number;
  backend?: BackendKind | 'auto';
  /** The emergence convention: threshold 0.05, statistic 'mean', probe 1000 test samples by default. */
  threshold?: number;
  statistic?: NodeStatistic;
  probe?: number;
  /** Continue the run in `dir` with its config.json (finished training runs are restored, not retrained). */
  resume?: boolean;
  /** Progress and log lines (default: none). */
  progress?: ProgressSink;
  /** Registers a Ctrl-C handler; returns its remover. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Default: node:fs on `dir`. */
  files?: RunFiles;
  /** The command line recorded in config.json to rerun it. */
  command?: string;
  /** Write plots and report.html at the end (default true). */
  report?: boolean;
  /** Keep the checkpoints of a finished run (default false: removed once results.json is written). */
  keepCheckpoints?: boolean;
}

const DEFAULT_CONVENTION: RunConvention = { threshold: 0.05, statistic: 'mean', probe: 1000 };

/** Resolves the settings of a run: the scale's, then the overrides; unknown keys and wrong types are errors. */
export function resolveSettings(name: string, scale: Scale, overrides: ExperimentSettings = {}): ExperimentSettings {
  const definition = experimentByName(name);
  if (!SCALES.includes(scale)) throw new Error(`experiment ${name}: scale must be one of ${SCALES.join(', ')}, got '${scale}'`);
  const base = definition.scales[scale];
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(base, key)) {
      throw new Error(`experiment ${name}: unknown setting '${key}'; settings: ${Object.keys(base).join(', ')}`);
    }
    if (typeof value !== typeof base[key] || Array.isArray(value) !== Array.isArray(base[key])) {
      throw new Error(`experiment ${name}: setting '${key}' takes a ${describe(base[key])}, got ${JSON.stringify(value)}`);
    }
  }
  const settings = { ...base, ...overrides };
  definition.validate?.(settings);
  return settings;
}

function describe(value: SettingValue): string {
  return Array.isArray(value) ? `list (${typeof value[0]})` : typeof value;
}

/**
 * Runs the experiment `name` into options.dir and resolves to its results (also in results.json). On Ctrl-C it stops
 * after the current training step, writes what is finished (metrics.csv, results.json with status 'interrupted', the
 * report) and resolves; run it again with `resume` to continue from the last finished epoch.
 */
export async function runExperiment(name: string, options: RunOptions): Promise<RunResults> {
  const definition = experimentByName(name);
  const files = options.files ?? nodeRunFiles(options.dir);
  const existing = await files.readText('config.json');
  let config: RunConfig;
  if (options.resume) {
    if (existing === undefined) throw new Error(`${files.dir}/config.json: not found; there is no run to resume in ${files.dir}`);
    config = JSON.parse(existing) as RunConfig;
    if (config.experiment !== name) {
      throw new Error(`${files.dir}/config.json: the folder holds a run of '${config.experiment}', not '${name}'`);
    }
    const previous = await files.readText('results.json');
    const finishedWithoutCheckpoints =
      previous !== undefined && (JSON.parse(previous) as RunResults).status === 'complete' && !(await files.readText('checkpoints/.kept'));
    if (finishedWithoutCheckpoints) {
      throw new Error(
        `${files.dir}: the run is complete and its checkpoints were removed, so there is nothing to resume; ` +
          `'emergence report ${files.dir}' redraws its report (run with --keep-checkpoints to allow recomputing results)`,
      );
    }
  } else {
    if (existing !== undefined) {
      throw new Error(`${files.dir}: already holds a run (config.json); resume it or choose another folder`);
    }
    const scale = options.scale ?? 'default';
    const settings = resolveSettings(name, scale, options.settings);
    const convention: RunConvention = {
      threshold: options.threshold ?? DEFAULT_CONVENTION.threshold,
      statistic: options.statistic ?? DEFAULT_CONVENTION.statistic,
      probe: options.probe ?? DEFAULT_CONVENTION.probe,
    };
    if (!(convention.threshold >= 0) || !Number.isSafeInteger(convention.probe) || convention.probe < 1) {
      throw new Error(`experiment ${name}: threshold must be >= 0 and probe a positive integer`);
    }
    config = {
      experiment: name,
      title: definition.title,
      scale,
      scaling: definition.scaling[scale],
      settings,
      seed: options.seed ?? 0,
      backend: options.backend ?? 'auto',
      convention: { ...convention, layers: 'hidden layers (post-ReLU output of every weight layer but the last)', mode: 'eval' },
      command: options.command ?? `emergence experiment ${name} --scale ${scale}`,
      engineVersion: ENGINE_VERSION,
      created: new Date().toISOString(),
    };
    await files.write('config.json', `${JSON.stringify(config, null, 2)}\n`);
  }
  const stateText = options.resume ? await files.readText(STATE_FILE) : undefined;
  const state: RunState = stateText ? (JSON.parse(stateText) as RunState) : { once: {}, runs: {} };
  const started = new Date();
  const engine = await createEngine({
    backend: config.backend,
    seed: config.seed,
    ...(options.progress ? { log: (line: string) => options.progress!.write(`${line}\n`) } : {}),
  });
  const flushMetrics = (rows: MetricsRow[]) => files.write('metrics.csv', metricsToCsv(rows));
  const context = new RunContext(
    engine,
    config.scale,
    config.seed,
    { threshold: config.convention.threshold, statistic: config.convention.statistic, probe: config.convention.probe },
    files,
    state,
    options.progress,
    flushMetrics,
  );
  const removeHandler = options.onInterrupt?.(() => {
    if (!context.interrupted) context.log(`experiment ${name}: Ctrl-C: stopping after this step (press again to quit at once)`);
    context.interrupted = true;
  });
  context.log(`experiment ${name} (${definition.title}), scale ${config.scale}, ${engine.backend}: ${engine.description}`);
  context.log(`run folder ${files.dir}`);
  let outcome: ExperimentOutcome;
  let status: RunResults['status'] = 'complete';
  try {
    try {
      outcome = await definition.run(context, config.settings);
    } catch (error) {
      if (!(error instanceof ExperimentInterrupted)) throw error;
      status = 'interrupted';
      outcome = {
        tables: [],
        comparisons: [],
        notes: [`Interrupted (Ctrl-C) before the experiment finished; resume it with: ${config.command} --resume ${files.dir}`],
      };
    }
    const finished = new Date();
    const results: RunResults = {
      experiment: name,
      title: definition.title,
      status,
      scale: config.scale,
      scaling: config.scaling,
      environment: { backend: engine.backend, device: engine.description, runtime: detectRuntime() },
      started: started.toISOString(),
      finished: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
      ...outcome,
    };
    await flushMetrics(context.rows);
    await files.write('results.json', `${JSON.stringify(results, null, 2)}\n`);
    if (options.report ?? true) {
      const written = await writeReport(files);
      context.log(`report: ${files.dir}/${written.report}`);
    }
    if (status === 'complete' && !options.keepCheckpoints) {
      for (const checkpoint of context.checkpointFiles()) await files.remove(checkpoint);
      await files.remove('checkpoints/.kept');
    } else if (status === 'complete') {
      await files.write('checkpoints/.kept', 'checkpoints kept: --resume recomputes the results from them\n');
    }
    return results;
  } finally {
    removeHandler?.();
    await engine.dispose();
  }
}
