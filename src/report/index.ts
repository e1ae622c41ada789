// `writeReport`: reads a run folder's config.json, results.json and metrics.csv and writes plots/*.svg and report.html.
import { EXPERIMENTS } from '../experiments/registry.js';
import type { MetricsRow, PlotSpec, RunConfig, RunFiles, RunResults } from '../experiments/types.js';
import { reportHtml, type EmptyPlot } from './html.js';
import { parseMetricsCsv } from './metrics-csv.js';
import { assignColours, defaultPlots, plotData, renderPlot, type RenderedPlot } from './plots.js';

export { metricsToCsv, parseMetricsCsv } from './metrics-csv.js';
export { defaultPlots, renderPlot } from './plots.js';

/** What writeReport wrote, as paths relative to the run folder (like every RunFiles path). */
export interface WrittenReport {
  /** The report page: 'report.html'. */
  report: string;
  /** Each plot, 'plots/<id>.svg', in the page's order. */
  plots: string[];
}

/** A run folder file that is missing or does not hold what the report needs. */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

const joinPath = (dir: string, name: string) => `${dir.replace(/[\\/]+$/, '')}/${name}`;

const describe = (value: unknown) =>
  value === undefined
    ? 'nothing'
    : value === null
      ? 'null'
      : Array.isArray(value)
        ? 'an array'
        : `${typeof value} ${JSON.stringify(value)?.slice(0, 60)}`;

type Check = (value: unknown) => boolean;
const isString: Check = (value) => typeof value === 'string';
const isNumber: Check = (value) => typeof value === 'number';
const isObject: Check = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const isArray: Check = (value) => Array.isArray(value);
const oneOf =
  (...choices: unknown[]): Check =>
  (value) =>
    choices.includes(value);
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);

/** Checks fields (dotted paths) of a parsed JSON file, naming the first that is wrong. */
function checkFields(file: string, what: string, value: unknown, fields: Record<string, [Check, string]>): void {
  if (!isObject(value)) throw new ReportInputError(`${file}: expected a JSON object (${what}), found ${describe(value)}`);
  for (const [path, [check, expected]] of Object.entries(fields)) {
    const found = path
      .split('.')
      .reduce<unknown>((object, key) => (isObject(object) ? (object as Record<string, unknown>)[key] : undefined), value);
    if (!check(found)) throw new ReportInputError(`${file}: field '${path}' should be ${expected}, found ${describe(found)} (${what})`);
  }
}

function checkConfig(file: string, value: unknown): asserts value is RunConfig {
  checkFields(file, 'the RunConfig an experiment run writes', value, {
    experiment: [isString, 'the experiment name'],
    title: [isString, 'a string'],
    scale: [oneOf('test', 'default', 'paper'), "'test', 'default' or 'paper'"],
    scaling: [isString, 'a string'],
    settings: [isObject, 'an object of settings'],
    seed: [isNumber, 'a number'],
    backend: [isString, 'a backend name'],
    convention: [isObject, 'an object'],
    'convention.threshold': [isNumber, 'a number'],
    'convention.statistic': [isString, 'a node statistic name'],
    'convention.probe': [isNumber, 'a number of samples'],
    'convention.layers': [isString, 'a string'],
    command: [isString, 'the command line'],
    engineVersion: [isString, 'a string'],
    created: [isString, 'an ISO timestamp'],
  });
}

function checkResults(file: string, value: unknown): asserts value is RunResults {
  checkFields(file, 'the RunResults an experiment run writes', value, {
    experiment: [isString, 'the experiment name'],
    title: [isString, 'a string'],
    status: [oneOf('complete', 'interrupted'), "'complete' or 'interrupted'"],
    scale: [oneOf('test', 'default', 'paper'), "'test', 'default' or 'paper'"],
    scaling: [isString, 'a string'],
    tables: [isArray, 'an array of tables'],
    comparisons: [isArray, 'an array of comparisons'],
    notes: [isArray, 'an array of strings'],
    plots: [optional(isArray), 'an array of plot specs'],
    environment: [isObject, 'an object'],
    'environment.backend': [isString, 'a backend name'],
    'environment.device': [isString, 'a string'],
    'environment.runtime': [isString, 'a string'],
    started: [isString, 'an ISO timestamp'],
    finished: [isString, 'an ISO timestamp'],
    seconds: [isNumber, 'a number of seconds'],
  });
  const results = value as RunResults;
  results.tables.forEach((table, index) =>
    checkFields(file, `tables[${index}], a ResultTable`, table, {
      title: [isString, 'a string'],
      columns: [isArray, 'an array of column names'],
      rows: [(rows) => isArray(rows) && (rows as unknown[]).every(isArray), 'an array of rows (arrays)'],
    }),
  );
  results.comparisons.forEach((comparison, index) =>
    checkFields(file, `comparisons[${index}], a PaperComparison`, comparison, {
      quantity: [isString, 'a string'],
      paper: [(paper) => isNumber(paper) || isString(paper), 'a number or string'],
      ours: [(ours) => isNumber(ours) || isString(ours) || isObject(ours), 'a Statistic, number or string'],
      verdict: [oneOf('agrees', 'differs', 'not comparable'), "'agrees', 'differs' or 'not comparable'"],
      note: [optional(isString), 'a string'],
      unit: [optional(isString), 'a string'],
    }),
  );
  if (!results.notes.every(isString)) throw new ReportInputError(`${file}: field 'notes' should be an array of strings`);
  (results.plots ?? []).forEach((plot, index) =>
    checkFields(file, `plots[${index}], a PlotSpec`, plot, {
      id: [(id) => isString(id) && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id as string), 'a file stem of letters, digits, ., _ and -'],
      title: [isString, 'a string'],
      x: [oneOf('epoch', 'step'), "'epoch' or 'step'"],
      y: [oneOf(...PLOT_METRICS), PLOT_METRICS.join(', ')],
    }),
  );
}

const PLOT_METRICS = ['loss', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'log10E', 'relative', 'relativeUnpruned', 'active'];

async function readRequired(files: RunFiles, name: string, expected: string): Promise<string> {
  const text = await files.readText(name);
  if (text === undefined) throw new ReportInputError(`${joinPath(files.dir, name)} is missing: expected ${expected}`);
  return text;
}

async function readJson<T>(
  files: RunFiles,
  name: string,
  expected: string,
  check: (file: string, value: unknown) => asserts value is T,
): Promise<T> {
  const path = joinPath(files.dir, name);
  const text = await readRequired(files, name, expected);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ReportInputError(`${path} is not valid JSON (${(error as Error).message}): expected ${expected}`);
  }
  check(path, value);
  return value;
}

/**
 * The default plots, then the experiment's own. The experiment's plot replaces a default with its id, or one drawing
 * the same metric over the same x and row kind (its own is the more specific, e.g. one plot per phase).
 */
function plotList(rows: readonly MetricsRow[], own: readonly PlotSpec[]): PlotSpec[] {
  const covers = (plot: PlotSpec, other: PlotSpec) =>
    plot.id === other.id || (plot.y === other.y && plot.x === other.x && (plot.kind ?? 'epoch') === (other.kind ?? 'epoch'));
  return [...defaultPlots(rows).filter((plot) => !own.some((other) => covers(plot, other))), ...own];
}

/**
 * Writes the run folder's report: every plot to plots/<id>.svg and the page to report.html (each whole, via
 * files.write). Reads config.json, results.json and metrics.csv; a missing or malformed one is an error naming it and
 * what was expected.
 */
export async function writeReport(files: RunFiles): Promise<WrittenReport> {
  const config = await readJson(files, 'config.json', 'the run configuration (RunConfig) the experiment runner writes', checkConfig);
  const results = await readJson(files, 'results.json', "the run's results (RunResults) the experiment runner writes", checkResults);
  const csvPath = joinPath(files.dir, 'metrics.csv');
  const csv = await readRequired(files, 'metrics.csv', 'per-epoch metrics rows (a header line, then one line per row)');
  let rows: MetricsRow[];
  try {
    rows = parseMetricsCsv(csv);
  } catch (error) {
    throw new ReportInputError(`${csvPath}: ${(error as Error).message}`);
  }

  const colours = assignColours(rows.map((row) => row.run));
  const rendered: RenderedPlot[] = [];
  const emptyPlots: EmptyPlot[] = [];
  const plotPaths: string[] = [];
  for (const spec of plotList(rows, results.plots ?? [])) {
    const plot = await renderPlot(spec, rows, colours);
    if (!plot) {
      emptyPlots.push({ spec, skipped: plotData(spec, rows).skipped });
      continue;
    }
    const file = `plots/${spec.id}.svg`;
    await files.write(file, plot.svg);
    rendered.push(plot);
    plotPaths.push(file);
  }

  const definition = EXPERIMENTS.find((experiment) => experiment.name === config.experiment);
  const html = reportHtml({
    config,
    results,
    rows,
    plots: rendered,
    emptyPlots,
    ...(definition ? { experiment: { number: definition.number, summary: definition.summary } } : {}),
    generated: new Date().toISOString(),
  });
  await files.write('report.html', html);
  return { report: 'report.html', plots: plotPaths };
}
