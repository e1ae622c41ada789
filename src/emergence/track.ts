// emergence.track: E, relative E and active fractions per epoch beside loss and accuracy, as CSV/JSON rows, with E-based early stopping.
import { EngineError } from '../errors.js';
import type { EpochDecision, EpochReport } from '../nn/fit.js';
import type { Net } from '../nn/net.js';
import { log10BigInt } from './value.js';
import { measure, type EmergenceMeasurement, type MeasureConvention, type MeasureOptions } from './measure.js';

/**
 * When to stop training on E (seed 2, section 4.4: E falling to zero reads as "no further emergent traits will form").
 * Both rules apply together; the first to fire stops.
 */
export interface EmergenceStopRule {
  /** Stop once E has been exactly 0 for `patience` measurements in a row. Default true. */
  onZero?: boolean;
  /** Stop once E has stayed below this fraction of its peak so far for `patience` measurements in a row. Default: off. */
  belowPeakFraction?: number;
  /** Consecutive measurements a rule must hold. Default 1. */
  patience?: number;
  /** Never stop before this epoch (1-based). Default 1. */
  minEpochs?: number;
}

export interface TrackOptions extends MeasureOptions {
  /** The early-stopping rule, or false to record only (never stop). Default: stop when E reaches 0. */
  stop?: EmergenceStopRule | false;
}

/** One row of the record: a measurement of E and the training figures of the same moment. */
export interface TrackRow {
  /** 1-based epoch; 0 for a measurement before training. */
  epoch: number;
  /** Training steps the net had taken when E was measured. */
  step: number;
  E: bigint;
  EFloat64: number;
  log10E: number;
  relative: number;
  relativeUnpruned: number;
  /** Active fraction a/n of every measured layer, by layer name. */
  activeFraction: Record<string, number>;
  /** Active count of every measured layer, by layer name. */
  active: Record<string, number>;
  /** Mean training loss of the epoch (train mode, as the steps computed it). */
  loss?: number;
  /** Training-set loss and accuracy after the epoch (fit's evaluateTraining). */
  trainingLoss?: number;
  trainingAccuracy?: number;
  /** Validation loss and accuracy after the epoch (fit's validation). */
  validationLoss?: number;
  validationAccuracy?: number;
  /** Seconds the measurement took. */
  measureSeconds: number;
}

/** Training figures recorded beside a measurement taken outside fit (e.g. every k steps of a custom loop). */
export interface TrackFigures {
  /** Default: the previous row's epoch (0 for the first row, a measurement before training). */
  epoch?: number;
  loss?: number;
  trainingLoss?: number;
  trainingAccuracy?: number;
  validationLoss?: number;
  validationAccuracy?: number;
}

const COLUMNS = [
  'epoch',
  'step',
  'E',
  'EFloat64',
  'log10E',
  'relative',
  'relativeUnpruned',
  'loss',
  'trainingLoss',
  'trainingAccuracy',
  'validationLoss',
  'validationAccuracy',
  'measureSeconds',
] as const;

/**
 * Records E on a fixed probe as training goes, and decides when to stop on it. Pass `tracker.onEpoch` as fit's onEpoch
 * (it measures after each epoch and returns { stop: true, reason } when the rule fires, so fit ends there), or call
 * `record()` yourself, e.g. every k steps of a custom loop. Rows export as CSV (toCSV) or JSON (toJSON, with the
 * measurement convention).
 */
export class EmergenceTracker {
  readonly rows: TrackRow[] = [];
  /** Why the rule fired (undefined while training should go on). */
  stopReason: string | undefined;
  /** The convention of the measurements (set by the first one). */
  convention: MeasureConvention | undefined;
  /** The latest full measurement (per-node statistics included). */
  last: EmergenceMeasurement | undefined;

  private readonly measureOptions: MeasureOptions;
  private readonly stopper: EmergenceStopper | undefined;
  private readonly layerNames: string[] = [];

  constructor(
    private readonly net: Net,
    private readonly probe: Float32Array,
    options: TrackOptions = {},
  ) {
    const { stop = {}, ...measureOptions } = options;
    this.measureOptions = measureOptions;
    this.stopper = stop === false ? undefined : new EmergenceStopper(stop);
  }

  /** fit's onEpoch callback: measures, records the epoch's figures, and asks fit to stop when the rule fires. */
  readonly onEpoch = async (report: EpochReport): Promise<EpochDecision | undefined> => {
    await this.record({
      epoch: report.epoch,
      loss: report.loss,
      trainingLoss: report.training?.loss,
      trainingAccuracy: report.training?.accuracy,
      validationLoss: report.validation?.loss,
      validationAccuracy: report.validation?.accuracy,
    });
    return this.stopReason === undefined ? undefined : { stop: true, reason: this.stopReason };
  };

  /** Measures E now, appends a row with the given figures, and applies the stopping rule (epoch 0 never stops). */
  async record(figures: TrackFigures = {}): Promise<TrackRow> {
    const started = now();
    const measurement = await measure(this.net, this.probe, this.measureOptions);
    const measureSeconds = (now() - started) / 1000;
    this.last = measurement;
    this.convention ??= measurement.convention;
    const activeFraction: Record<string, number> = {};
    const active: Record<string, number> = {};
    for (const layer of measurement.layers) {
      activeFraction[layer.name] = layer.fraction;
      active[layer.name] = layer.a;
      if (!this.layerNames.includes(layer.name)) this.layerNames.push(layer.name);
    }
    const row: TrackRow = {
      epoch: figures.epoch ?? this.rows.at(-1)?.epoch ?? 0,
      step: this.net.steps,
      E: measurement.E,
      EFloat64: measurement.EFloat64,
      log10E: measurement.log10E,
      relative: measurement.relative,
      relativeUnpruned: measurement.relativeUnpruned,
      activeFraction,
      active,
      ...definedOnly(figures),
      measureSeconds,
    };
    this.rows.push(row);
    this.stopReason ??= this.stopper?.observe(row.epoch, row.E);
    return row;
  }

  /** The rows as CSV: the fixed columns, then one 'active:<layer>' fraction column per measured layer. E is exact. */
  toCSV(): string {
    const header = [...COLUMNS, ...this.layerNames.map((name) => `active:${name}`)];
    const lines = [header.map(csvField).join(',')];
    for (const row of this.rows) {
      const fixed = COLUMNS.map((column) => formatValue(row[column]));
      const layers = this.layerNames.map((name) => formatValue(row.activeFraction[name]));
      lines.push([...fixed, ...layers].map(csvField).join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  /** The record as a JSON-ready object: convention, rows (E as a decimal string) and the stop reason. */
  toJSON(): { convention: MeasureConvention | undefined; stopReason: string | undefined; rows: Record<string, unknown>[] } {
    return {
      convention: this.convention,
      stopReason: this.stopReason,
      rows: this.rows.map((row) => ({ ...row, E: row.E.toString(), log10E: finiteOrString(row.log10E) })),
    };
  }
}

/** A tracker of E for a net on a fixed probe batch; see EmergenceTracker. */
export function track(net: Net, probe: Float32Array, options: TrackOptions = {}): EmergenceTracker {
  return new EmergenceTracker(net, probe, options);
}

/**
 * The early-stopping rule on a sequence of E measurements: feed each with observe(); it returns the reason once the rule
 * fires (and keeps returning it). The tracker uses one; it also works on its own, e.g. on E values from a log.
 */
export class EmergenceStopper {
  readonly rule: Required<EmergenceStopRule>;
  /** log10 of the largest E observed so far. */
  peakLog10 = -Infinity;
  reason: string | undefined;
  private zeroRun = 0;
  private belowPeakRun = 0;

  constructor(rule: EmergenceStopRule = {}) {
    this.rule = checkRule(rule);
  }

  /** Takes the E measured after `epoch` (0: before training, which never stops); returns why to stop, if it should. */
  observe(epoch: number, E: bigint): string | undefined {
    const log10E = log10BigInt(E);
    this.peakLog10 = Math.max(this.peakLog10, log10E);
    const { onZero, belowPeakFraction, patience, minEpochs } = this.rule;
    this.zeroRun = E === 0n ? this.zeroRun + 1 : 0;
    const below = belowPeakFraction > 0 && log10E < this.peakLog10 + Math.log10(belowPeakFraction);
    this.belowPeakRun = below ? this.belowPeakRun + 1 : 0;
    if (this.reason !== undefined || epoch < Math.max(1, minEpochs)) return this.reason;
    const held = patience === 1 ? '' : ` for ${patience} measurements in a row`;
    if (onZero && this.zeroRun >= patience) {
      this.reason = `E reached 0${held} (epoch ${epoch})`;
    } else if (below && this.belowPeakRun >= patience) {
      const figures = `log10 E ${log10E.toFixed(3)}, peak ${this.peakLog10.toFixed(3)}`;
      this.reason = `E stayed below ${belowPeakFraction} of its peak${held} (epoch ${epoch}: ${figures})`;
    }
    return this.reason;
  }
}

function checkRule(rule: EmergenceStopRule): Required<EmergenceStopRule> {
  const op = 'emergence.track';
  const { onZero = true, belowPeakFraction = 0, patience = 1, minEpochs = 1 } = rule;
  if (typeof belowPeakFraction !== 'number' || !(belowPeakFraction >= 0 && belowPeakFraction < 1)) {
    throw new EngineError(`${op}: stop.belowPeakFraction must be a number in [0, 1) (0 turns it off), got ${String(belowPeakFraction)}`);
  }
  if (!Number.isSafeInteger(patience) || patience < 1) {
    throw new EngineError(`${op}: stop.patience must be a positive integer, got ${String(patience)}`);
  }
  if (!Number.isSafeInteger(minEpochs) || minEpochs < 0) {
    throw new EngineError(`${op}: stop.minEpochs must be a non-negative integer, got ${String(minEpochs)}`);
  }
  return { onZero: onZero !== false, belowPeakFraction, patience, minEpochs };
}

function definedOnly(figures: TrackFigures): Partial<TrackRow> {
  const out: Partial<TrackRow> = {};
  for (const [key, value] of Object.entries(figures)) if (value !== undefined && key !== 'epoch') Object.assign(out, { [key]: value });
  return out;
}

function formatValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : '-Infinity';
  return String(value);
}

function csvField(field: string): string {
  return /[",\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

function finiteOrString(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
