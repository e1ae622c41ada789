// The ExperimentContext of one run: shared engine and data, E on the probe, resumable training with per-epoch checkpoints.
import type { ProgressSink } from '../cli/progress.js';
import { TrainingProgress } from '../cli/progress.js';
import type { DatasetName, Split } from '../data/catalog.js';
import type { Dataset, Normalization } from '../data/dataset.js';
import { load } from '../data/load.js';
import { measure } from '../emergence/measure.js';
import { EmergenceStopper } from '../emergence/track.js';
import type { Engine } from '../engine.js';
import type { EpochReport } from '../nn/fit.js';
import type { Net } from '../nn/net.js';
import type { ExperimentContext, JsonValue, MetricsRow, RunConvention, RunFiles, Scale, TrainRunOptions, TrainRunResult } from './types.js';

/** Thrown by train() after the current step once Ctrl-C was pressed; the runner catches it. */
export class ExperimentInterrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C)');
    this.name = 'ExperimentInterrupted';
  }
}

/** What survives between invocations on the same run folder (state.json). */
export interface RunState {
  /** Results of ctx.once by id. */
  once: Record<string, JsonValue>;
  /** Training runs by key: rows so far, epochs done, finished or not, the checkpoint file. */
  runs: Record<string, { rows: MetricsRow[]; epochs: number; done: boolean; stopReason?: string; checkpoint: string }>;
}

export const STATE_FILE = 'state.json';

/** Steps of quiet between progress lines when stderr is not a terminal. */
const PLAIN_PROGRESS_SECONDS = 10;

const fileSafe = (text: string): string => text.replace(/[^A-Za-z0-9._-]+/g, '_');

export class RunContext implements ExperimentContext {
  interrupted = false;
  /** Every row of this invocation, in order (metrics.csv). */
  readonly rows: MetricsRow[] = [];
  private readonly datasets = new Map<string, Promise<Dataset>>();
  private readonly probes = new Map<string, Promise<Float32Array>>();

  constructor(
    readonly engine: Engine,
    readonly scale: Scale,
    readonly seed: number,
    readonly convention: RunConvention,
    readonly files: RunFiles,
    private readonly state: RunState,
    private readonly sink: ProgressSink | undefined,
    /** Writes metrics.csv (called after every epoch so an interrupted run keeps its rows). */
    private readonly flushMetrics: (rows: MetricsRow[]) => Promise<void>,
  ) {}

  log(line: string): void {
    this.sink?.write(`${line}\n`);
  }

  data(name: DatasetName, split: Split, options: { limit?: number; normalize?: Normalization } = {}): Promise<Dataset> {
    const key = `${name}/${split}/${options.limit ?? 'all'}/${options.normalize ?? 'unit'}`;
    let loaded = this.datasets.get(key);
    if (!loaded) {
      loaded = load(name, { split, normalize: options.normalize ?? 'unit', ...(options.limit ? { limit: options.limit } : {}) });
      this.datasets.set(key, loaded);
    }
    return loaded;
  }

  probe(name: DatasetName): Promise<Float32Array> {
    let probe = this.probes.get(name);
    if (!probe) {
      probe = this.data(name, 'test', { limit: this.convention.probe }).then((set) => set.inputs);
      this.probes.set(name, probe);
    }
    return probe;
  }

  async measure(net: Net, probe: Float32Array): Promise<Pick<MetricsRow, 'E' | 'log10E' | 'relative' | 'relativeUnpruned' | 'active'>> {
    const measured = await measure(net, probe, { threshold: this.convention.threshold, statistic: this.convention.statistic });
    const active: Record<string, number> = {};
    measured.layers.forEach((layer, i) => (active[`layer ${i + 1} (n=${layer.n})`] = layer.fraction));
    return {
      E: measured.E.toString(),
      log10E: measured.log10E,
      relative: measured.relative,
      relativeUnpruned: measured.relativeUnpruned,
      active,
    };
  }

  record(...rows: MetricsRow[]): void {
    this.rows.push(...rows);
  }

  async once<T extends JsonValue>(id: string, work: () => Promise<T>): Promise<T> {
    if (Object.hasOwn(this.state.once, id)) return this.state.once[id] as T;
    const value = await work();
    this.state.once[id] = value;
    await this.saveState();
    return value;
  }

  async train(options: TrainRunOptions): Promise<TrainRunResult> {
    const { run, seed, net, train, test, epochs, evaluateTraining = false, lossEvery, stop = false } = options;
    const phase = options.phase ?? 'train';
    const epochOffset = options.epochOffset ?? 0;
    const key = `${phase}/${run}/seed${seed}`;
    const checkpoint = `checkpoints/${fileSafe(key)}.ckpt`;
    const saved = this.state.runs[key];
    if (saved && saved.done) {
      await this.restore(net, checkpoint, key);
      this.record(...saved.rows);
      return {
        rows: saved.rows,
        epochs: saved.epochs,
        last: saved.rows.at(-1)!,
        ...(saved.stopReason ? { stopReason: saved.stopReason } : {}),
      };
    }
    const probe = options.probe === false ? undefined : (options.probe ?? (await this.probe((test ?? train).name)));
    const entry = saved ?? { rows: [], epochs: 0, done: false, checkpoint };
    this.state.runs[key] = entry;
    if (saved && saved.epochs > 0) {
      await this.restore(net, checkpoint, key);
      this.log(`${key}: resuming after epoch ${epochOffset + saved.epochs}`);
    } else if (options.measureInitial ?? epochOffset === 0) {
      const initial: MetricsRow = { run, seed, phase, kind: 'epoch', epoch: epochOffset, step: net.steps };
      if (test) Object.assign(initial, testFigures(await net.evaluate(test.inputs, test.labels)));
      if (evaluateTraining) Object.assign(initial, trainFigures(await net.evaluate(train.inputs, train.labels)));
      if (probe) Object.assign(initial, await this.measure(net, probe));
      entry.rows = [initial];
    }
    this.record(...entry.rows);
    const stopper = stop === false ? undefined : new EmergenceStopper(stop);
    for (const row of entry.rows) if (row.E !== undefined) stopper?.observe(row.epoch - epochOffset, BigInt(row.E));
    const progress = this.sink && new TrainingProgress(this.sink, epochs, net.batchSize, PLAIN_PROGRESS_SECONDS);
    this.log(`${key}: epochs ${epochOffset + entry.epochs + 1}..${epochOffset + epochs} on ${train.count} ${train.name} samples`);
    let stopReason: string | undefined = entry.stopReason;
    const onEpoch = async (report: EpochReport) => {
      const epoch = epochOffset + report.epoch;
      const stepsBefore = net.steps - report.steps;
      if (lossEvery) {
        for (let end = lossEvery; end <= report.losses.length; end += lossEvery) {
          let sum = 0;
          for (let i = end - lossEvery; i < end; i++) sum += report.losses[i];
          const row: MetricsRow = {
            run,
            seed,
            phase,
            kind: 'steps',
            epoch: epoch - 1 + end / report.losses.length,
            step: stepsBefore + end,
            loss: sum / lossEvery,
          };
          entry.rows.push(row);
          this.record(row);
        }
      }
      const row: MetricsRow = { run, seed, phase, kind: 'epoch', epoch, step: net.steps, loss: report.loss, seconds: report.seconds };
      if (report.validation) Object.assign(row, testFigures(report.validation));
      if (report.training) Object.assign(row, trainFigures(report.training));
      if (probe) Object.assign(row, await this.measure(net, probe));
      entry.rows.push(row);
      this.record(row);
      entry.epochs = report.epoch;
      stopReason = stopper && row.E !== undefined ? stopper.observe(report.epoch, BigInt(row.E)) : undefined;
      if (stopReason) entry.stopReason = stopReason;
      await this.files.write(checkpoint, await net.saveCheckpoint());
      await this.saveState();
      await this.flushMetrics(this.rows);
      progress?.log(
        `${key}: epoch ${epoch}: loss ${report.loss.toFixed(4)}` +
          (row.testAccuracy !== undefined ? `, test ${(100 * row.testAccuracy).toFixed(2)}%` : '') +
          (row.trainAccuracy !== undefined ? `, train ${(100 * row.trainAccuracy).toFixed(2)}%` : '') +
          (row.log10E !== undefined ? `, log10 E ${row.log10E.toFixed(3)}` : '') +
          `, ${report.seconds.toFixed(1)} s`,
      );
      progress?.startEpoch();
      return stopReason ? { stop: true, reason: stopReason } : undefined;
    };
    if (entry.epochs < epochs && !stopReason) {
      progress?.startEpoch();
      try {
        await net.fit(train, {
          epochs,
          initialEpoch: entry.epochs,
          seed: options.shuffleSeed ?? seed,
          ...(test ? { validation: test } : {}),
          evaluateTraining,
          onStep: ({ epoch, batch, batches }) => {
            progress?.update(epoch, batch, batches);
            if (this.interrupted) throw new ExperimentInterrupted();
          },
          onEpoch,
        });
      } finally {
        progress?.clear();
      }
    }
    entry.done = true;
    await this.saveState();
    return {
      rows: entry.rows,
      epochs: entry.epochs,
      last: entry.rows.at(-1)!,
      ...(entry.stopReason ? { stopReason: entry.stopReason } : {}),
    };
  }

  /** Checkpoint files of every training run (removed once the whole experiment has finished). */
  checkpointFiles(): string[] {
    return Object.values(this.state.runs).map((entry) => entry.checkpoint);
  }

  async saveState(): Promise<void> {
    await this.files.write(STATE_FILE, `${JSON.stringify(this.state)}\n`);
  }

  private async restore(net: Net, checkpoint: string, key: string): Promise<void> {
    const bytes = await this.files.readBytes(checkpoint);
    if (!bytes) {
      throw new Error(`${this.files.dir}/${checkpoint}: the checkpoint of '${key}' is missing; the run folder cannot be resumed`);
    }
    await net.loadCheckpoint(bytes);
  }
}

function testFigures(evaluation: { loss: number; accuracy?: number }): Partial<MetricsRow> {
  return { testLoss: evaluation.loss, ...(evaluation.accuracy !== undefined ? { testAccuracy: evaluation.accuracy } : {}) };
}

function trainFigures(evaluation: { loss: number; accuracy?: number }): Partial<MetricsRow> {
  return { trainLoss: evaluation.loss, ...(evaluation.accuracy !== undefined ? { trainAccuracy: evaluation.accuracy } : {}) };
}
