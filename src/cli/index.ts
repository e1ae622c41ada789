// The `emergence` command line: train, measure, experiment, report, serve and bench.
import { createEngine } from '../engine.js';
import { data } from '../data/index.js';
import type { DatasetName } from '../data/catalog.js';
import { emergence } from '../emergence/index.js';
import type { BackendKind } from '../backend/backend.js';
import type { InitName } from '../nn/types.js';
import type { EpochReport } from '../nn/fit.js';
import type { NodeStatistic } from '../ops/defs.js';
import { COMMON_OPTIONS, UsageError, formatUsage, parseOptions } from './args.js';
import type { OptionSpecs, ParsedOptions } from './args.js';
import { REFERENCE_MODELS, referenceModel } from './models.js';
import type { ReferenceModelName } from './models.js';
import { TrainingProgress } from './progress.js';
import { experimentCommand, reportCommand } from './experiment-command.js';
import { serveCommand } from './serve-command.js';
import { nodeRunFiles } from '../experiments/run-files.js';

/** What the CLI needs from its runtime (bin/emergence.mjs supplies Node's). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr is a terminal: progress redraws in place. */
  interactive: boolean;
  columns?: number;
  /** Writes a file whole (a partial file never takes the name). */
  writeFile(path: string, text: string): Promise<void>;
  /** Calls handler on Ctrl-C (SIGINT); returns the function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Runs the benchmark script with these arguments; resolves to its exit code. Absent where it cannot run. */
  runBench?(args: string[], json: boolean): Promise<number>;
}

/** Exit codes: 0 success, 1 failure, 2 usage error or unavailable command, 130 interrupted by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

const DATASETS = ['mnist', 'fashion-mnist'] as const;
const INITS = ['pytorch', 'kaiming-normal', 'kaiming-uniform', 'xavier-normal', 'xavier-uniform', 'emergence'] as const;

const TRAIN_OPTIONS: OptionSpecs = {
  model: { kind: 'choice', choices: REFERENCE_MODELS, help: 'reference model (default mlp)' },
  dataset: { kind: 'choice', choices: DATASETS, help: 'data set, found locally (default mnist)' },
  epochs: { kind: 'integer', value: 'N', help: 'passes over the training set (default 2)' },
  batch: { kind: 'integer', value: 'N', help: 'batch size (default 128)' },
  lr: { kind: 'number', value: 'X', help: 'Adam learning rate (default 1e-3)' },
  init: { kind: 'choice', choices: INITS, value: 'NAME', help: `weight initialization: ${INITS.join(', ')} (default kaiming-normal)` },
  alpha: { kind: 'number', value: 'X', help: 'scale base of --init emergence (default: the learning-rate rule, 2 at lr 1e-3)' },
  limit: { kind: 'integer', value: 'N', help: 'train on the first N training samples only' },
  'train-accuracy': { kind: 'flag', help: 'also evaluate the training set after each epoch' },
  out: { kind: 'string', value: 'FILE', help: 'also write the JSON document to FILE (the epochs done, also on Ctrl-C)' },
  checkpoint: {
    kind: 'string',
    value: 'FILE',
    help: 'after every epoch save the net (weights, optimizer state) to FILE and the finished epochs to FILE.json',
  },
  resume: { kind: 'flag', help: 'continue from --checkpoint FILE (same settings): keeps its epochs, trains on to --epochs' },
  ...COMMON_OPTIONS,
};

const MEASURE_OPTIONS: OptionSpecs = {
  model: TRAIN_OPTIONS.model,
  dataset: TRAIN_OPTIONS.dataset,
  init: TRAIN_OPTIONS.init,
  alpha: TRAIN_OPTIONS.alpha,
  probe: { kind: 'integer', value: 'N', help: 'probe samples: the first N of the test split (default 1000)' },
  threshold: { kind: 'number', value: 'X', help: 'activity threshold of a node (default 0.05)' },
  statistic: { kind: 'choice', choices: ['mean', 'fraction'], help: 'per-node statistic compared with the threshold (default mean)' },
  ...COMMON_OPTIONS,
};

const BENCH_OPTIONS: OptionSpecs = {
  quick: { kind: 'flag', help: 'fewer sizes and samples' },
  'no-tfjs': { kind: 'flag', help: 'skip TensorFlow.js' },
  'no-training': { kind: 'flag', help: 'skip the training benchmark' },
  out: { kind: 'string', value: 'FILE', help: 'also write the JSON document to FILE' },
  help: COMMON_OPTIONS.help,
  backend: {
    kind: 'choice',
    choices: ['auto', 'wasm'],
    help: 'auto measures WebAssembly and, where available, WebGPU; wasm skips WebGPU',
  },
  seed: { kind: 'integer', value: 'N', help: 'not used: the benchmark inputs are fixed so runs compare (only 0 is accepted)' },
  json: COMMON_OPTIONS.json,
};

const COMMANDS = {
  train: formatUsage(
    'emergence train [options]',
    'Trains a reference model (784-512-512-512-10 MLP or small CNN) with Adam and reports test accuracy per epoch.\n' +
      'Ctrl-C stops after the current step, keeps the finished epochs (in --out too) and exits 130.',
    TRAIN_OPTIONS,
  ),
  measure: formatUsage(
    'emergence measure [options]',
    'Measures emergence E of a reference model at initialization on a probe of the test split: per hidden layer\n' +
      'n (nodes) and a (active nodes), then E (EMERGENCE.md section 2).',
    MEASURE_OPTIONS,
  ),
  bench: formatUsage(
    'emergence bench [options]',
    'Matmul and conv2d GFLOP/s and training samples/s on this machine (build/bench.mjs; a human-readable table on stderr).',
    BENCH_OPTIONS,
  ),
};

export const CLI_USAGE = `usage: emergence <command> [options]

commands:
  train         train a reference MLP or CNN on MNIST or Fashion-MNIST
  measure       measure emergence E of a reference model at initialization
  bench         benchmark the kernels and training
  experiment    run one of the papers' experiments into a run folder with a report
  report        redraw the plots and report.html of a run folder
  serve         serve the playground page (train in the browser, watch E live), or write it as static files

Every command takes --help, --backend, --seed and --json. 'emergence <command> --help' shows its options.`;

/**
 * Runs the CLI on argv (the arguments after the program name) and resolves to the exit code. Results go to io.stdout
 * (one JSON document with --json), progress and messages to io.stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      (command === undefined ? io.stderr : io.stdout)(`${CLI_USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'experiment') return await experimentCommand(rest, io);
    if (command === 'report') return await reportCommand(rest, io);
    if (command === 'serve') return await serveCommand(rest, io);
    if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`emergence: unknown command '${command}'`, CLI_USAGE);
    const name = command as keyof typeof COMMANDS;
    const usage = COMMANDS[name];
    const specs = { train: TRAIN_OPTIONS, measure: MEASURE_OPTIONS, bench: BENCH_OPTIONS }[name];
    const options = parseOptions(name, rest, specs, usage);
    if (options.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (name === 'train') return await train(options, io);
    if (name === 'measure') return await measure(options, io);
    return await bench(options, io, usage);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${error.usage}\n`);
      return 2;
    }
    io.stderr(`emergence ${command}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

const percent = (fraction: number | undefined): string => (fraction === undefined ? 'n/a' : `${(100 * fraction).toFixed(2)}%`);

/** Raised from the step callback on Ctrl-C so fit stops after the current step. */
class Interrupted extends Error {}

function checkPositive(command: string, options: ParsedOptions, names: string[], usage: string): void {
  for (const name of names) {
    const value = options[name];
    if (value !== undefined && !((value as number) > 0))
      throw new UsageError(`${command}: --${name} must be positive, got ${value}`, usage);
  }
}

function checkAlpha(command: string, options: ParsedOptions, usage: string): void {
  if (options.alpha !== undefined && options.init !== 'emergence') {
    throw new UsageError(`${command}: --alpha goes with --init emergence (got --init ${options.init ?? 'kaiming-normal'})`, usage);
  }
}

/** Compiles a reference model with the chosen init; `emergence` re-draws Kaiming-normal weights scaled by alpha^k. */
async function buildNet(options: ParsedOptions, log: (line: string) => void, batchSize: number, inputShape: number[]) {
  const engine = await createEngine({ backend: (options.backend ?? 'auto') as BackendKind | 'auto', seed: options.seed as number, log });
  const model = referenceModel((options.model ?? 'mlp') as ReferenceModelName);
  const initName = (options.init ?? 'kaiming-normal') as (typeof INITS)[number];
  const lr = (options.lr as number | undefined) ?? 1e-3;
  try {
    const net = await engine.compile(model, {
      inputShape,
      batchSize,
      loss: 'cross-entropy',
      optimizer: { name: 'adam', lr },
      init: { name: (initName === 'emergence' ? 'kaiming-normal' : initName) as InitName },
      seed: options.seed as number,
    });
    let initReport: unknown;
    if (initName === 'emergence') {
      initReport = await emergence.init(net, {
        ...(options.alpha !== undefined ? { alpha: options.alpha as number } : { lr }),
        seed: options.seed as number,
      });
    }
    return { engine, model, net, initReport };
  } catch (error) {
    await engine.dispose();
    throw error;
  }
}

async function train(options: ParsedOptions, io: CliIo): Promise<number> {
  const usage = COMMANDS.train;
  checkPositive('train', options, ['epochs', 'batch', 'lr', 'limit'], usage);
  checkAlpha('train', options, usage);
  const settings = {
    model: (options.model ?? 'mlp') as string,
    dataset: (options.dataset ?? 'mnist') as DatasetName,
    epochs: (options.epochs ?? 2) as number,
    batch: (options.batch ?? 128) as number,
    lr: (options.lr ?? 1e-3) as number,
    init: (options.init ?? 'kaiming-normal') as string,
    ...(options.alpha !== undefined ? { alpha: options.alpha as number } : {}),
    seed: (options.seed ?? 0) as number,
    ...(options.limit !== undefined ? { limit: options.limit as number } : {}),
    optimizer: 'adam',
  };
  const log = (line: string) => io.stderr(`${line}\n`);
  if (options.resume && !options.checkpoint) throw new UsageError('train: --resume needs --checkpoint FILE', usage);
  const checkpointFile = options.checkpoint as string | undefined;
  const files = nodeRunFiles('.');
  // Everything but the final epoch number must match when a run is resumed.
  const resumable: Record<string, unknown> = Object.fromEntries(Object.entries(settings).filter(([key]) => key !== 'epochs'));
  const finished: EpochReport[] = [];
  let resumeBytes: Uint8Array | undefined;
  if (options.resume) {
    const meta = await files.readText(`${checkpointFile}.json`);
    resumeBytes = await files.readBytes(checkpointFile!);
    if (meta === undefined || resumeBytes === undefined) {
      throw new Error(`train --resume: ${checkpointFile} and ${checkpointFile}.json must both exist (written by --checkpoint)`);
    }
    const saved = JSON.parse(meta) as { settings: Record<string, unknown>; epochs: EpochReport[] };
    const mismatched = Object.keys({ ...saved.settings, ...resumable }).filter(
      (key) => JSON.stringify(saved.settings[key]) !== JSON.stringify(resumable[key]),
    );
    if (mismatched.length) {
      throw new Error(
        `train --resume: ${checkpointFile}.json was written with other settings: ` +
          mismatched.map((key) => `${key} ${JSON.stringify(saved.settings[key])} (now ${JSON.stringify(resumable[key])})`).join(', '),
      );
    }
    finished.push(...saved.epochs);
    log(`train: resuming from ${checkpointFile} after epoch ${finished.length}`);
  }
  const trainSet = await data.load(settings.dataset, { split: 'train', ...(settings.limit ? { limit: settings.limit } : {}) });
  const testSet = await data.load(settings.dataset, { split: 'test' });
  const { engine, model, net, initReport } = await buildNet({ ...options, seed: settings.seed }, log, settings.batch, trainSet.shape);
  const progress = new TrainingProgress(
    { write: io.stderr, interactive: io.interactive, columns: io.columns },
    settings.epochs - finished.length,
    settings.batch,
  );
  if (resumeBytes) await net.loadCheckpoint(resumeBytes);
  let interrupted = false;
  const removeHandler = io.onInterrupt(() => {
    if (!interrupted) progress.log('train: Ctrl-C: stopping after this step (press again to quit at once)');
    interrupted = true;
  });
  try {
    log(
      `train: ${settings.model} on ${settings.dataset} (${trainSet.count} training, ${testSet.count} test samples), ${engine.backend}: ${engine.description}`,
    );
    log(model.describe());
    progress.startEpoch();
    try {
      await net.fit(trainSet, {
        epochs: settings.epochs,
        initialEpoch: finished.length,
        seed: settings.seed,
        validation: testSet,
        evaluateTraining: Boolean(options['train-accuracy']),
        onStep: ({ epoch, batch, batches }) => {
          progress.update(epoch, batch, batches);
          if (interrupted) throw new Interrupted();
        },
        onEpoch: async (report) => {
          finished.push(report);
          if (checkpointFile) {
            await files.write(checkpointFile, await net.saveCheckpoint());
            const epochs = finished.map(({ losses: _losses, ...kept }) => kept);
            await files.write(`${checkpointFile}.json`, `${JSON.stringify({ settings: resumable, epochs }, null, 2)}\n`);
          }
          progress.startEpoch();
          progress.log(
            `train: epoch ${report.epoch}: loss ${report.loss.toFixed(4)}, ${report.samplesPerSecond.toFixed(0)} samples/s, ` +
              `${report.seconds.toFixed(1)} s, test accuracy ${percent(report.validation?.accuracy)}` +
              (report.training ? `, training accuracy ${percent(report.training.accuracy)}` : ''),
          );
          return interrupted ? { stop: true, reason: 'interrupted (Ctrl-C)' } : undefined;
        },
      });
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
    }
    progress.clear();
    const result = {
      command: 'train',
      config: { ...settings, backend: engine.backend, device: engine.description },
      model: model.describe(),
      ...(initReport ? { emergenceInit: initReport } : {}),
      epochs: finished.map(({ losses: _losses, ...report }) => report),
      epochsCompleted: finished.length,
      interrupted,
      testAccuracy: finished.at(-1)?.validation?.accuracy ?? null,
      seconds: progress.seconds,
    };
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (options.out) await io.writeFile(options.out as string, json);
    if (options.json) io.stdout(json);
    else {
      io.stdout(
        finished.length
          ? `test accuracy ${percent(result.testAccuracy ?? undefined)} after ${finished.length} epoch(s), ${result.seconds.toFixed(1)} s\n`
          : 'no epoch finished\n',
      );
    }
    if (interrupted)
      log(`train: interrupted after ${finished.length} finished epoch(s)${options.out ? `; written to ${options.out}` : ''}`);
    return interrupted ? EXIT_INTERRUPTED : 0;
  } finally {
    removeHandler();
    await net.dispose();
    await engine.dispose();
  }
}

async function measure(options: ParsedOptions, io: CliIo): Promise<number> {
  const usage = COMMANDS.measure;
  checkPositive('measure', options, ['probe'], usage);
  checkAlpha('measure', options, usage);
  const settings = {
    model: (options.model ?? 'mlp') as string,
    dataset: (options.dataset ?? 'mnist') as DatasetName,
    init: (options.init ?? 'kaiming-normal') as string,
    ...(options.alpha !== undefined ? { alpha: options.alpha as number } : {}),
    probe: (options.probe ?? 1000) as number,
    threshold: (options.threshold ?? 0.05) as number,
    statistic: (options.statistic ?? 'mean') as NodeStatistic,
    seed: (options.seed ?? 0) as number,
  };
  const log = (line: string) => io.stderr(`${line}\n`);
  const probe = await data.load(settings.dataset, { split: 'test', limit: settings.probe });
  const { engine, model, net } = await buildNet({ ...options, seed: settings.seed }, log, 1, probe.shape);
  try {
    const measured = await emergence.measure(net, probe.inputs, { threshold: settings.threshold, statistic: settings.statistic });
    const layers = measured.layers.map(({ name, label, n, a, fraction }) => ({ name, label, n, a, fraction }));
    if (options.json) {
      const result = {
        command: 'measure',
        config: { ...settings, probe: probe.count, backend: engine.backend, device: engine.description },
        model: model.describe(),
        E: measured.E.toString(),
        log10E: measured.log10E,
        relative: measured.relative,
        parameters: measured.parameters,
        layers,
        convention: measured.convention,
      };
      io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const width = Math.max(5, ...layers.map((layer) => layer.label.length));
      const lines = layers.map(
        (layer) =>
          `${layer.label.padEnd(width)}  ${String(layer.n).padStart(6)}  ${String(layer.a).padStart(6)}  ${(100 * layer.fraction).toFixed(1)}%`,
      );
      io.stdout(
        `${'layer'.padEnd(width)}  ${'n'.padStart(6)}  ${'a'.padStart(6)}  active\n${lines.join('\n')}\n` +
          `E = ${measured.E} (log10 ${measured.log10E.toFixed(3)}), relative ${measured.relative.toPrecision(4)} ` +
          `on ${probe.count} ${settings.dataset} test samples, threshold ${settings.threshold} (${settings.statistic})\n`,
      );
    }
    return 0;
  } finally {
    await net.dispose();
    await engine.dispose();
  }
}

async function bench(options: ParsedOptions, io: CliIo, usage: string): Promise<number> {
  if (options.seed !== undefined && options.seed !== 0) {
    throw new UsageError('bench: --seed is not used (the benchmark inputs are fixed so runs compare); leave it out', usage);
  }
  if (!io.runBench) throw new Error('the benchmark script (build/bench.mjs) is not available in this runtime');
  const args: string[] = [];
  if (options.quick) args.push('--quick');
  if (options['no-tfjs']) args.push('--no-tfjs');
  if (options['no-training']) args.push('--no-training');
  if (options.backend === 'wasm') args.push('--no-webgpu');
  if (options.out) args.push('--out', options.out as string);
  return io.runBench(args, Boolean(options.json));
}
