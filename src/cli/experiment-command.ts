// `emergence experiment <name>` and `emergence report <dir>`: run an experiment into a run folder, or redraw its report.
import type { BackendKind } from '../backend/backend.js';
import { EXPERIMENTS, experimentByName } from '../experiments/registry.js';
import { nodeRunFiles } from '../experiments/run-files.js';
import { runExperiment } from '../experiments/runner.js';
import { optionName } from '../experiments/settings-checks.js';
import { SCALES, type ExperimentSettings, type RunResults, type Scale, type Statistic } from '../experiments/types.js';
import { writeReport } from '../report/index.js';
import type { NodeStatistic } from '../ops/defs.js';
import { COMMON_OPTIONS, UsageError, formatUsage, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
import type { CliIo } from './index.js';

/** Exit code of a run stopped by Ctrl-C (its folder can be resumed). */
const EXIT_INTERRUPTED = 130;

const RUN_OPTIONS: OptionSpecs = {
  scale: { kind: 'choice', choices: SCALES, help: "test (seconds), default (minutes on a CPU) or paper (the papers' settings)" },
  out: { kind: 'string', value: 'DIR', help: 'run folder to create (default runs/<experiment>-<date>-<time>)' },
  resume: { kind: 'string', value: 'DIR', help: 'continue the interrupted run in DIR with its own settings' },
  threshold: { kind: 'number', value: 'X', help: 'activity threshold of a node (default 0.05)' },
  statistic: { kind: 'choice', choices: ['mean', 'fraction'], help: 'per-node statistic compared with the threshold (default mean)' },
  probe: { kind: 'integer', value: 'N', help: 'probe samples for E: the first N of the test split (default 1000)' },
  'keep-checkpoints': {
    kind: 'flag',
    help: 'keep checkpoints/ after the run (then --resume on the finished folder recomputes its results without training)',
  },
  ...COMMON_OPTIONS,
};

const LIST = EXPERIMENTS.map((e) => `  ${e.name.padEnd(18)}${e.number}. ${e.title}`).join('\n');

export const EXPERIMENT_USAGE = `usage: emergence experiment <name> [options]
Runs one of the papers' experiments (EMERGENCE.md section 7) into a run folder: config.json, metrics.csv,
results.json, plots/*.svg and report.html. Ctrl-C stops after the current step and keeps what is finished;
--resume DIR continues it. 'emergence experiment <name> --help' shows its settings and scales.

experiments:
${LIST}`;

export const REPORT_USAGE = formatUsage(
  'emergence report <dir> [options]',
  'Redraws the plots and report.html of a run folder from its config.json, results.json and metrics.csv.',
  { help: COMMON_OPTIONS.help, json: COMMON_OPTIONS.json },
);

function experimentUsage(name: string): { usage: string; specs: OptionSpecs } {
  const definition = experimentByName(name);
  const own: OptionSpecs = {};
  for (const [key, spec] of Object.entries(definition.options)) {
    const values = SCALES.map((scale) => `${scale} ${JSON.stringify(definition.scales[scale][key])}`).join(', ');
    own[optionName(key)] = { ...spec, help: `${spec.help} [${values}]` };
  }
  const specs = { ...own, ...RUN_OPTIONS };
  const scaling = SCALES.map((scale) => `  ${scale}: ${definition.scaling[scale]}`).join('\n');
  const usage = formatUsage(
    `emergence experiment ${name} [options]`,
    `${definition.number}. ${definition.title}\n${definition.summary}\n\nscales:\n${scaling}`,
    specs,
  );
  return { usage, specs };
}

function timestamp(): string {
  const d = new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
}

export async function experimentCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === '--list') {
    (name === undefined ? io.stderr : io.stdout)(`${EXPERIMENT_USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (!EXPERIMENTS.some((e) => e.name === name)) {
    throw new UsageError(`experiment: unknown experiment '${name}'`, EXPERIMENT_USAGE);
  }
  const { usage, specs } = experimentUsage(name);
  const options = parseOptions(`experiment ${name}`, rest, specs, usage);
  if (options.help) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  const definition = experimentByName(name);
  const settings: ExperimentSettings = {};
  for (const key of Object.keys(definition.options)) {
    const value = options[optionName(key)];
    if (value !== undefined) settings[key] = value as ExperimentSettings[string];
  }
  if (options.resume !== undefined && (options.out !== undefined || options.scale !== undefined || Object.keys(settings).length > 0)) {
    throw new UsageError(
      `experiment ${name}: --resume continues a run with its own settings; leave out --out, --scale and settings`,
      usage,
    );
  }
  const dir = (options.resume ?? options.out ?? `runs/${name}-${timestamp()}`) as string;
  const command = ['emergence experiment', name, ...rest.filter((arg) => arg !== '--json')].join(' ');
  const results = await runExperiment(name, {
    dir,
    scale: (options.scale ?? 'default') as Scale,
    settings,
    ...(options.seed !== undefined ? { seed: options.seed as number } : {}),
    backend: (options.backend ?? 'auto') as BackendKind | 'auto',
    ...(options.threshold !== undefined ? { threshold: options.threshold as number } : {}),
    ...(options.statistic !== undefined ? { statistic: options.statistic as NodeStatistic } : {}),
    ...(options.probe !== undefined ? { probe: options.probe as number } : {}),
    resume: options.resume !== undefined,
    progress: { write: io.stderr, interactive: io.interactive, ...(io.columns ? { columns: io.columns } : {}) },
    onInterrupt: io.onInterrupt,
    command,
    keepCheckpoints: Boolean(options['keep-checkpoints']),
  });
  if (options.json) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  else io.stdout(formatResults(results, dir));
  if (results.status === 'interrupted') {
    io.stderr(`experiment ${name}: interrupted; continue with: emergence experiment ${name} --resume ${dir}\n`);
    return EXIT_INTERRUPTED;
  }
  return 0;
}

export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const dirs = argv.filter((arg) => !arg.startsWith('-'));
  const options = parseOptions(
    'report',
    argv.filter((arg) => arg.startsWith('-')),
    { help: COMMON_OPTIONS.help, json: COMMON_OPTIONS.json },
    REPORT_USAGE,
  );
  if (options.help) {
    io.stdout(`${REPORT_USAGE}\n`);
    return 0;
  }
  if (dirs.length !== 1) throw new UsageError(`report: give one run folder, got ${dirs.length}`, REPORT_USAGE);
  const files = nodeRunFiles(dirs[0]);
  const written = await writeReport(files);
  if (options.json) io.stdout(`${JSON.stringify({ dir: dirs[0], ...written }, null, 2)}\n`);
  else io.stdout(`report: ${joinDir(dirs[0], written.report)}\n`);
  return 0;
}

const joinDir = (dir: string, path: string): string => (path.startsWith('/') ? path : `${dir.replace(/\/+$/, '')}/${path}`);

function formatCell(value: Statistic | number | string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value.n === 1) return String(Number(value.mean.toPrecision(4)));
  return `${Number(value.mean.toPrecision(4))} ± ${Number(value.std.toPrecision(2))} (n=${value.n})`;
}

/** Tables, the comparisons with the paper and the report's path, as text for a terminal. */
export function formatResults(results: RunResults, dir: string): string {
  const lines: string[] = [`${results.title} (${results.status}, scale ${results.scale}, ${results.seconds.toFixed(0)} s)`];
  for (const table of results.tables) {
    lines.push(
      '',
      table.title,
      ...textTable(
        table.columns,
        table.rows.map((row) => row.map(String)),
      ),
    );
  }
  if (results.comparisons.length) {
    lines.push('', 'paper vs ours');
    lines.push(
      ...textTable(
        ['quantity', 'paper', 'ours', 'verdict'],
        results.comparisons.map((c) => [c.quantity, formatCell(c.paper), formatCell(c.ours), c.verdict]),
      ),
    );
  }
  if (results.notes.length) lines.push('', ...results.notes.map((note) => `- ${note}`));
  lines.push('', `report: ${joinDir(dir, 'report.html')}`);
  return `${lines.join('\n')}\n`;
}

function textTable(columns: string[], rows: string[][]): string[] {
  const widths = columns.map((column, i) => Math.min(60, Math.max(column.length, ...rows.map((row) => (row[i] ?? '').length))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (cell ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
