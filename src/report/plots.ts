// A run's plots: metrics rows aggregated over seeds, drawn as Vega-Lite line charts and rendered headless to SVG.
import type { MetricName, MetricsRow, PlotSpec } from '../experiments/types.js';
import { importRuntimeModule } from '../platform/runtime-import.js';

/** Tableau 10, Vega's default categorical palette (cycled past ten series). */
export const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

/** Plot area of a single-panel plot, in pixels (axes, title and legend come on top). */
const WIDTH = 500;
const HEIGHT = 280;
/** The widest a row of facet panels gets, and a panel's height. */
const FACET_ROW_WIDTH = 560;
const FACET_HEIGHT = 170;
const FACET_COLUMNS = 3;
/** Lines with at most this many points also mark each point. */
const MAX_MARKED_POINTS = 40;

const METRIC_LABELS: Record<MetricName, string> = {
  loss: 'training loss',
  trainLoss: 'train loss',
  trainAccuracy: 'train accuracy',
  testLoss: 'test loss',
  testAccuracy: 'test accuracy',
  log10E: 'log10 E',
  relative: 'relative E (all parameters)',
  relativeUnpruned: 'relative E (unpruned)',
};

/** The y axis title of a plot. */
export function metricLabel(spec: Pick<PlotSpec, 'y' | 'yLabel' | 'kind'>): string {
  if (spec.yLabel) return spec.yLabel;
  if (spec.y === 'active') return 'active fraction a/n';
  if (spec.y === 'loss') return spec.kind === 'steps' ? 'training loss (mean over the block)' : 'training loss (epoch mean)';
  return METRIC_LABELS[spec.y];
}

const isAccuracy = (y: PlotSpec['y']) => y === 'trainAccuracy' || y === 'testAccuracy' || y === 'active';

/** One point of a drawn line: the mean over seeds at one x, with the seeds' min and max. */
export interface PlotPoint {
  /** Line name: the run (split as 'run · phase' when a run's phases restart their count), or the layer label. */
  series: string;
  /** Panel of an 'active' plot: the run. */
  panel?: string;
  x: number;
  mean: number;
  min: number;
  max: number;
  /** Seeds that gave a value at this point. */
  seeds: number;
  /** Drawing order along the line (phase, then x). */
  order: number;
  /** Whether the line's band is drawn (several seeds). */
  band: boolean;
  /** A banded line of this one point: its min-max range is drawn as a bar instead. */
  whisker: boolean;
}

/** The aggregated data of one plot. */
export interface PlotData {
  points: PlotPoint[];
  /** Line names in first-seen order (for 'active': layer labels). */
  series: string[];
  /** Panels of an 'active' plot (runs), in first-seen order. */
  panels: string[];
  /** Most and fewest seeds behind a line (its best-covered point). */
  maxSeeds: number;
  minSeeds: number;
  /** What was left out and why, e.g. "2 points with E = 0 (log10 E = -∞) are not drawn". */
  skipped: string[];
}

const rowsOf = (spec: PlotSpec, rows: readonly MetricsRow[]) =>
  rows.filter(
    (row) =>
      row.kind === (spec.kind ?? 'epoch') &&
      (!spec.phases || spec.phases.includes(row.phase)) &&
      (!spec.runs || spec.runs.includes(row.run)),
  );

interface Sample {
  run: string;
  phase: string;
  seed: number;
  x: number;
  /** Layer label for 'active'. */
  layer?: string;
  value: number;
}

/**
 * Runs whose phases restart their x count (e.g. phases 'mnist' and 'fashion-mnist' both counting epochs 1..5, or both
 * a single row at epoch 1) are drawn as one line per phase; a phase that continues where the last one ended (6..15
 * after 1..5, or a measurement after pruning at the last epoch of a longer phase) stays on the run's line.
 */
function splitRuns(samples: readonly Sample[]): { splits: Set<string>; phaseRank: Map<string, number> } {
  const phases = new Map<string, Map<string, { min: number; max: number }>>();
  const phaseRank = new Map<string, number>();
  for (const sample of samples) {
    if (!phaseRank.has(sample.phase)) phaseRank.set(sample.phase, phaseRank.size);
    let byPhase = phases.get(sample.run);
    if (!byPhase) phases.set(sample.run, (byPhase = new Map()));
    const range = byPhase.get(sample.phase);
    if (!range) byPhase.set(sample.phase, { min: sample.x, max: sample.x });
    else {
      range.min = Math.min(range.min, sample.x);
      range.max = Math.max(range.max, sample.x);
    }
  }
  const splits = new Set<string>();
  for (const [run, byPhase] of phases) {
    const ranges = [...byPhase.values()];
    const continues = (range: { min: number; max: number }, previous: { min: number; max: number }) =>
      range.min > previous.max || (range.min === previous.max && previous.min < previous.max);
    if (ranges.some((range, index) => index > 0 && !continues(range, ranges[index - 1]))) splits.add(run);
  }
  return { splits, phaseRank };
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** Aggregates the rows a plot draws: one point per line and x, the mean over seeds with min and max. */
export function plotData(spec: PlotSpec, rows: readonly MetricsRow[]): PlotData {
  const selected = rowsOf(spec, rows);
  const samples: Sample[] = [];
  let zeroE = 0;
  let nonFinite = 0;
  let nonPositive = 0;
  const take = (row: MetricsRow, value: number | undefined, layer?: string) => {
    if (value === undefined) return;
    if (spec.y === 'log10E' && value === -Infinity) zeroE++;
    else if (!Number.isFinite(value)) nonFinite++;
    else if (spec.logY && value <= 0) nonPositive++;
    else samples.push({ run: row.run, phase: row.phase, seed: row.seed, x: row[spec.x], layer, value });
  };
  for (const row of selected) {
    if (!Number.isFinite(row[spec.x])) continue;
    if (spec.y === 'active') for (const [layer, value] of Object.entries(row.active ?? {})) take(row, value, layer);
    else take(row, row[spec.y]);
  }

  const { splits, phaseRank } = splitRuns(samples);
  const lineOf = (sample: Sample) => (splits.has(sample.run) ? `${sample.run} · ${sample.phase}` : sample.run);
  const groups = new Map<string, { series: string; panel?: string; x: number; rank: number; values: number[] }>();
  const series: string[] = [];
  const panels: string[] = [];
  for (const sample of samples) {
    const line = lineOf(sample);
    const name = spec.y === 'active' ? (sample.layer as string) : line;
    const panel = spec.y === 'active' ? line : undefined;
    if (!series.includes(name)) series.push(name);
    if (panel !== undefined && !panels.includes(panel)) panels.push(panel);
    const rank = phaseRank.get(sample.phase) as number;
    const key = JSON.stringify([name, panel ?? '', rank, sample.x]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { series: name, panel, x: sample.x, rank, values: [] }));
    group.values.push(sample.value);
  }

  const lineKey = (group: { series: string; panel?: string }) => `${group.panel ?? ''}\u0000${group.series}`;
  const lineSeeds = new Map<string, number>();
  const linePoints = new Map<string, number>();
  for (const group of groups.values()) {
    lineSeeds.set(lineKey(group), Math.max(lineSeeds.get(lineKey(group)) ?? 0, group.values.length));
    linePoints.set(lineKey(group), (linePoints.get(lineKey(group)) ?? 0) + 1);
  }
  const ordered = [...groups.values()].sort((a, b) => a.rank - b.rank || a.x - b.x);
  const points: PlotPoint[] = ordered.map((group, order) => {
    const band = (lineSeeds.get(lineKey(group)) as number) > 1;
    return {
      series: group.series,
      ...(group.panel !== undefined ? { panel: group.panel } : {}),
      x: group.x,
      mean: group.values.reduce((sum, value) => sum + value, 0) / group.values.length,
      min: Math.min(...group.values),
      max: Math.max(...group.values),
      seeds: group.values.length,
      order,
      band,
      whisker: band && linePoints.get(lineKey(group)) === 1,
    };
  });

  const skipped: string[] = [];
  if (zeroE > 0) skipped.push(`${plural(zeroE, 'point', 'points')} with E = 0 (log10 E = −∞) not drawn`);
  if (nonFinite > 0) skipped.push(`${plural(nonFinite, 'NaN or infinite value', 'NaN or infinite values')} not drawn`);
  if (nonPositive > 0) skipped.push(`${plural(nonPositive, 'value', 'values')} ≤ 0 not drawn on the log scale`);
  const seeds = [...lineSeeds.values()];
  return { points, series, panels, maxSeeds: Math.max(0, ...seeds), minSeeds: Math.min(...seeds, Math.max(0, ...seeds)), skipped };
}

/** A plot rendered to SVG. */
export interface RenderedPlot {
  spec: PlotSpec;
  svg: string;
  /** Lines drawn (for 'active': layers x panels). */
  lines: number;
  /** The plot's subtitle: seeds averaged and anything left out. */
  notes: string[];
}

/** Tableau 20, for plots with more lines than PALETTE has colours. */
const WIDE_PALETTE = [
  '#4c78a8',
  '#9ecae9',
  '#f58518',
  '#ffbf79',
  '#54a24b',
  '#88d27a',
  '#b79a20',
  '#f2cf5b',
  '#439894',
  '#83bcb6',
  '#e45756',
  '#ff9d98',
  '#79706e',
  '#bab0ac',
  '#d67195',
  '#fcbfd2',
  '#b279a2',
  '#d6a5c9',
  '#9e765f',
  '#d8b5a5',
];

/**
 * Colours by line name: `colours` first (consistent across a report's plots), then unused palette entries; past ten
 * lines, Tableau 20 in order.
 */
function colourRange(series: readonly string[], colours: ReadonlyMap<string, string>): string[] {
  if (series.length > PALETTE.length) return series.map((_, index) => WIDE_PALETTE[index % WIDE_PALETTE.length]);
  const used = new Set(series.map((name) => colours.get(name)).filter((colour) => colour !== undefined));
  const free = [...PALETTE.filter((colour) => !used.has(colour)), ...PALETTE];
  let next = 0;
  return series.map((name) => colours.get(name) ?? free[next++ % free.length]);
}

/** Colours of runs (or layer labels) in first-seen order, for plots that should agree on them. */
export function assignColours(names: Iterable<string>): Map<string, string> {
  const colours = new Map<string, string>();
  for (const name of names) if (!colours.has(name)) colours.set(name, PALETTE[colours.size % PALETTE.length]);
  return colours;
}

/** Prefixes the SVG's ids (clip paths, gradients) so several SVGs can be inlined in one HTML page. */
function scopeIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

/** The Vega-Lite spec of a plot (exported for inspection and tests). */
export function vegaLiteSpec(spec: PlotSpec, data: PlotData, colours: ReadonlyMap<string, string> = new Map()): Record<string, unknown> {
  const active = spec.y === 'active';
  const pointsPerLine =
    data.series.length === 0 ? 0 : data.points.length / Math.max(1, data.series.length * Math.max(1, data.panels.length));
  const percent = isAccuracy(spec.y) && data.points.every((point) => point.min >= 0 && point.max <= 1);
  const x = {
    field: 'x',
    type: 'quantitative',
    title: spec.x === 'epoch' ? 'epoch' : 'training step',
    scale: { zero: false, nice: false },
    axis: spec.x === 'epoch' ? { tickMinStep: 1, format: 'd' } : { format: '~s' },
  };
  const y = {
    field: 'mean',
    type: 'quantitative',
    title: metricLabel(spec),
    scale: spec.logY ? { type: 'log', nice: false } : { zero: false },
    axis: percent ? { format: '%' } : {},
  };
  const colour = {
    field: 'series',
    type: 'nominal',
    title: active ? 'layer' : 'run',
    sort: data.series,
    scale: { domain: data.series, range: colourRange(data.series, colours) },
    legend: { labelLimit: 320, symbolType: 'stroke', symbolStrokeWidth: 3 },
  };
  const notes = plotNotes(data);
  const layers = [
    {
      transform: [{ filter: 'datum.band' }],
      mark: { type: 'area', opacity: 0.18, interpolate: 'linear' },
      // Its own fill scale without a legend, so the legend shows the lines' full colour, not the band's tint.
      encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, fill: { ...colour, field: 'bandSeries', legend: null } },
    },
    {
      // A line of one point has no band to shade: its min-max range is a bar.
      transform: [{ filter: 'datum.whisker' }],
      mark: { type: 'rule', strokeWidth: 3, opacity: 0.35 },
      encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, stroke: { ...colour, field: 'bandSeries', legend: null } },
    },
    {
      mark: { type: 'line', strokeWidth: 2, point: pointsPerLine <= MAX_MARKED_POINTS ? { size: 30, filled: true } : false },
      encoding: {
        x,
        y,
        color: colour,
        order: { field: 'order', type: 'quantitative' },
      },
    },
  ];
  const title = { text: spec.title, ...(notes.length > 0 ? { subtitle: notes } : {}), anchor: 'start', offset: 12 };
  const config = {
    font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    background: 'white',
    view: { stroke: '#ccc' },
    axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
    legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
    title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
  };
  const values = data.points.map((point) => ({ ...point, bandSeries: point.series }));
  if (!active) {
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title,
      config,
      data: { values },
      width: WIDTH,
      height: HEIGHT,
      layer: layers,
    };
  }
  const columns = Math.min(FACET_COLUMNS, Math.max(1, data.panels.length));
  const panelWidth = Math.floor(FACET_ROW_WIDTH / columns) - (columns > 1 ? 24 : 0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config,
    data: { values },
    // Headless Vega estimates text widths generously (0.8 em a character), hence a label limit above the panel width.
    facet: {
      field: 'panel',
      type: 'nominal',
      title: null,
      sort: data.panels,
      header: { labelFontSize: 11, labelLimit: Math.round(panelWidth * 1.5) },
    },
    columns,
    spec: { width: panelWidth, height: FACET_HEIGHT, layer: layers },
    resolve: { scale: { y: 'shared' } },
  };
}

/** The subtitle lines: how seeds were combined, and anything not drawn. */
function plotNotes(data: PlotData): string[] {
  const notes: string[] = [];
  if (data.maxSeeds > 1) {
    const seeds = data.minSeeds === data.maxSeeds ? `${data.maxSeeds} seeds` : `up to ${data.maxSeeds} seeds per line`;
    const range = data.points.some((point) => point.whisker) ? 'shaded band (bar at a lone point)' : 'shaded band';
    notes.push(`Lines: mean over ${seeds}; ${range}: min to max over the seeds.`);
  }
  if (data.skipped.length > 0) notes.push(`${data.skipped.join('; ')}.`);
  return notes;
}

/**
 * The plot as an SVG document (fixed size, white background, system fonts, no scripts or external references), or
 * undefined when no row has a drawable value. `colours` fixes line colours by name (e.g. each run's colour across plots).
 */
export async function renderPlot(
  spec: PlotSpec,
  rows: readonly MetricsRow[],
  colours: ReadonlyMap<string, string> = new Map(),
): Promise<RenderedPlot | undefined> {
  const data = plotData(spec, rows);
  if (data.points.length === 0) return undefined;
  const [vegaLite, vega] = await Promise.all([importRuntimeModule('vega-lite'), importRuntimeModule('vega')]);
  const compiled = vegaLite.compile(vegaLiteSpec(spec, data, colours) as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const lines = new Set(data.points.map((point) => `${point.panel ?? ''}\u0000${point.series}`)).size;
    return { spec, svg: scopeIds(svg, `plot-${spec.id}`), lines, notes: plotNotes(data) };
  } finally {
    view.finalize();
  }
}

const has = (rows: readonly MetricsRow[], value: (row: MetricsRow) => number | undefined) =>
  rows.some((row) => value(row) !== undefined && !Number.isNaN(value(row)));

/**
 * The plots every report draws when the rows have their data: training loss (per epoch, and per block of steps), test
 * accuracy (train accuracy when no test accuracy was recorded), log10 E, relative E (and relative E of the unpruned
 * parameters where it differs), and the per-layer active fractions.
 */
export function defaultPlots(rows: readonly MetricsRow[]): PlotSpec[] {
  const epochs = rows.filter((row) => row.kind === 'epoch');
  const steps = rows.filter((row) => row.kind === 'steps');
  const plots: PlotSpec[] = [];
  if (has(epochs, (row) => row.loss)) plots.push({ id: 'loss', title: 'Training loss per epoch', x: 'epoch', y: 'loss' });
  if (has(steps, (row) => row.loss)) {
    plots.push({ id: 'loss-steps', title: 'Training loss per block of steps', x: 'step', y: 'loss', kind: 'steps' });
  }
  if (has(epochs, (row) => row.testAccuracy)) plots.push({ id: 'test-accuracy', title: 'Test accuracy', x: 'epoch', y: 'testAccuracy' });
  else if (has(epochs, (row) => row.trainAccuracy)) {
    plots.push({ id: 'train-accuracy', title: 'Training accuracy', x: 'epoch', y: 'trainAccuracy' });
  }
  if (has(epochs, (row) => row.log10E)) plots.push({ id: 'log10E', title: 'Emergence E (log10)', x: 'epoch', y: 'log10E' });
  if (has(epochs, (row) => row.relative)) plots.push({ id: 'relative-E', title: 'Relative emergence', x: 'epoch', y: 'relative' });
  if (epochs.some((row) => row.relativeUnpruned !== undefined && row.relativeUnpruned !== row.relative)) {
    plots.push({ id: 'relative-E-unpruned', title: 'Relative emergence of the unpruned parameters', x: 'epoch', y: 'relativeUnpruned' });
  }
  if (epochs.some((row) => row.active && Object.keys(row.active).length > 0)) {
    plots.push({ id: 'active', title: 'Active fraction per layer', x: 'epoch', y: 'active' });
  }
  return plots;
}
