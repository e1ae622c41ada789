// report.html: one self-contained page (inline CSS and SVG, no scripts, no network) showing a run against the papers.
import type { MetricsRow, PaperComparison, PlotSpec, ResultTable, RunConfig, RunResults, SettingValue } from '../experiments/types.js';
import {
  escapeHtml,
  formatDuration,
  formatExactInteger,
  formatNumber,
  formatPercent,
  formatStatistic,
  formatTimestamp,
  formatValue,
  isLongInteger,
} from './format.js';
import type { RenderedPlot } from './plots.js';

/** A plot with nothing to draw, and what was left out (e.g. every E was 0). */
export interface EmptyPlot {
  spec: PlotSpec;
  skipped: string[];
}

/** What the page shows. */
export interface ReportInput {
  config: RunConfig;
  results: RunResults;
  rows: readonly MetricsRow[];
  plots: readonly RenderedPlot[];
  /** Plots that had no value to draw. */
  emptyPlots: readonly EmptyPlot[];
  /** The experiment's row in EMERGENCE.md section 7 and its summary, when the experiment is known. */
  experiment?: { number: number; summary: string };
  /** When the page was written (ISO). */
  generated: string;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6472; --line: #dde1e7; --soft: #f5f7fa; --accent: #2f5fa7;
  --good: #1e7b3a; --good-bg: #e4f4e8; --bad: #b42318; --bad-bg: #fde8e6; --neutral: #5b6472; --neutral-bg: #eef0f3; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink); line-height: 1.5; font-size: 15px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 32px 56px; }
header .eyebrow { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: .04em; text-transform: uppercase; }
h1 { margin: 4px 0 10px; font-size: 28px; line-height: 1.2; }
h2 { margin: 36px 0 12px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
h3 { margin: 22px 0 8px; font-size: 16px; }
p { margin: 8px 0; }
.summary { max-width: 80ch; }
.banner { margin: 18px 0; padding: 12px 16px; border-radius: 6px; border: 1px solid #e3a008; background: #fff6db; color: #6b4500; }
.banner strong { color: #8a5300; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 10px; margin: 18px 0 6px; }
.fact { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.fact .label { display: block; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.fact .value { font-weight: 600; overflow-wrap: anywhere; }
.status-complete { color: var(--good); }
.status-interrupted { color: #8a5300; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 12px 6px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 13px; border-bottom: 2px solid var(--line); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { text-align: right; }
tr.differs td { background: #fff8f7; }
table.comparisons { width: 100%; }
table.comparisons col.column-quantity { width: 24%; }
table.comparisons col.column-ours { width: 19%; }
table.comparisons col.column-note { width: 32%; }
table.comparisons td.value { font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; white-space: nowrap; }
.verdict-agrees { color: var(--good); background: var(--good-bg); }
.verdict-differs { color: var(--bad); background: var(--bad-bg); }
.verdict-not-comparable { color: var(--neutral); background: var(--neutral-bg); }
.exact { text-decoration: underline dotted #9aa3b0; text-underline-offset: 3px; cursor: help; }
.n { color: var(--muted); font-size: 12px; }
dl.convention { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 8px 0; }
dl.convention dt { color: var(--muted); }
dl.convention dd { margin: 0; }
ul.differ li { margin: 4px 0; }
figure { margin: 18px 0 26px; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
details { margin: 10px 0; }
summary { cursor: pointer; color: var(--accent); }
a { color: var(--accent); }
.muted { color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 10px; }
`;

/** Largest details block inlined; bigger ones are left to results.json. */
const MAX_DETAILS_CHARS = 100_000;

const VERDICT_LABELS: Record<PaperComparison['verdict'], string> = {
  agrees: 'agrees',
  differs: 'differs',
  'not comparable': 'not comparable',
};

const isStatistic = (value: PaperComparison['ours']): value is Exclude<PaperComparison['ours'], number | string> =>
  typeof value === 'object' && value !== null;

/** A table cell: accuracies in [0, 1] as %, E-sized integers in scientific notation with the exact value on hover. */
function cell(value: string | number, column: string): string {
  if (typeof value === 'number') {
    const numeric = `<td class="num">`;
    if (/accuracy/i.test(column) && !/%/.test(column) && value >= 0 && value <= 1) return `${numeric}${formatPercent(value)}</td>`;
    return `${numeric}${formatNumber(value)}</td>`;
  }
  if (isLongInteger(value)) return `<td class="num">${formatExactInteger(value)}</td>`;
  return `<td>${escapeHtml(value)}</td>`;
}

function resultTable(table: ResultTable): string {
  const header = table.columns.map((column, index) => {
    const numeric = table.rows.length > 0 && table.rows.every((row) => typeof row[index] === 'number' || isLongInteger(String(row[index])));
    return `<th${numeric ? ' class="num"' : ''}>${escapeHtml(column)}</th>`;
  });
  const body = table.rows.map((row) => `<tr>${row.map((value, index) => cell(value, table.columns[index] ?? '')).join('')}</tr>`);
  return `<h3>${escapeHtml(table.title)}</h3>
<div class="table-wrap"><table><thead><tr>${header.join('')}</tr></thead><tbody>${body.join('\n')}</tbody></table></div>`;
}

function verdictBadge(verdict: PaperComparison['verdict']): string {
  const label = VERDICT_LABELS[verdict] ?? String(verdict);
  return `<span class="verdict verdict-${escapeHtml(label.replace(/\s+/g, '-'))}">${escapeHtml(label)}</span>`;
}

const oursHtml = (comparison: PaperComparison) =>
  isStatistic(comparison.ours) ? formatStatistic(comparison.ours, comparison.unit) : formatValue(comparison.ours, comparison.unit);

function comparisonsTable(comparisons: readonly PaperComparison[]): string {
  if (comparisons.length === 0) return '<p class="muted">This experiment reports no figure to compare with the papers.</p>';
  const rows = comparisons.map(
    (comparison) => `<tr class="${comparison.verdict === 'differs' ? 'differs' : ''}">
<td>${escapeHtml(comparison.quantity)}</td>
<td class="value">${formatValue(comparison.paper, comparison.unit)}</td>
<td class="value">${oursHtml(comparison)}</td>
<td>${verdictBadge(comparison.verdict)}</td>
<td>${escapeHtml(comparison.note ?? '')}</td></tr>`,
  );
  const columns =
    '<colgroup><col class="column-quantity"><col class="column-paper"><col class="column-ours"><col class="column-verdict"><col class="column-note"></colgroup>';
  return `<div class="table-wrap"><table class="comparisons">${columns}<thead><tr><th>quantity</th><th>paper</th><th>ours (mean ± std (n))</th><th>verdict</th><th>note</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function whereWeDiffer(results: RunResults): string {
  const differing = results.comparisons.filter((comparison) => comparison.verdict === 'differs');
  const items = [
    ...differing.map(
      (comparison) =>
        `<li><strong>${escapeHtml(comparison.quantity)}</strong>: paper ${formatValue(comparison.paper, comparison.unit)}, ours ${oursHtml(comparison)}${
          comparison.note ? ` — ${escapeHtml(comparison.note)}` : ''
        }</li>`,
    ),
    ...results.notes.map((note) => `<li>${escapeHtml(note)}</li>`),
  ];
  if (items.length === 0) return '';
  return `<h3>Where we differ</h3><ul class="differ">${items.join('\n')}</ul>`;
}

function settingText(value: SettingValue): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function settingsTable(config: RunConfig): string {
  const entries = Object.entries(config.settings);
  if (entries.length === 0) return '<p class="muted">No settings.</p>';
  const rows = entries.map(([key, value]) => `<tr><td><code>${escapeHtml(key)}</code></td><td>${escapeHtml(settingText(value))}</td></tr>`);
  return `<div class="table-wrap"><table class="settings"><thead><tr><th>setting</th><th>value</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function fact(label: string, valueHtml: string, className = ''): string {
  return `<div class="fact"><span class="label">${escapeHtml(label)}</span><span class="value ${className}">${valueHtml}</span></div>`;
}

function plotFigure(plot: RenderedPlot): string {
  const file = `plots/${plot.spec.id}.svg`;
  return `<figure id="plot-${escapeHtml(plot.spec.id)}">
${plot.svg}
<figcaption>${escapeHtml(plot.spec.title)} · <a href="${escapeHtml(file)}">${escapeHtml(file)}</a></figcaption>
</figure>`;
}

function plotsSection(input: ReportInput): string {
  const parts: string[] = [];
  if (input.rows.length === 0) parts.push('<p class="muted">metrics.csv has no rows yet: nothing to plot.</p>');
  parts.push(...input.plots.map(plotFigure));
  if (input.emptyPlots.length > 0) {
    const items = input.emptyPlots.map(
      ({ spec, skipped }) => `<li>${escapeHtml(spec.title)}${skipped.length > 0 ? `: ${escapeHtml(skipped.join('; '))}` : ''}</li>`,
    );
    parts.push(`<p class="muted">Nothing to draw for these plots:</p><ul class="muted">${items.join('')}</ul>`);
  }
  return parts.join('\n');
}

function detailsBlock(results: RunResults): string {
  if (results.details === undefined || results.details === null) return '';
  const json = JSON.stringify(results.details, null, 2);
  if (json.length > MAX_DETAILS_CHARS) {
    return `<p class="muted">Details (${Math.round(json.length / 1024)} KiB of JSON) are in <a href="results.json">results.json</a>.</p>`;
  }
  return `<details><summary>Details (per-seed figures and reports, as in results.json)</summary><pre>${escapeHtml(json)}</pre></details>`;
}

/** The whole report page. */
export function reportHtml(input: ReportInput): string {
  const { config, results } = input;
  const interrupted = results.status === 'interrupted';
  const experimentLine = input.experiment
    ? `Experiment ${input.experiment.number} · <code>${escapeHtml(config.experiment)}</code>`
    : `Experiment <code>${escapeHtml(config.experiment)}</code>`;
  const seeds = new Set(input.rows.map((row) => row.seed)).size;
  const runs = new Set(input.rows.map((row) => row.run)).size;
  const convention = config.convention;
  const environment = results.environment;
  const banner = interrupted
    ? `<div class="banner" role="alert"><strong>Interrupted run.</strong> This run stopped before it finished: the tables, comparisons and plots
cover only what was done by ${formatTimestamp(results.finished)}. Run the same command with <code>--resume</code> and this folder to continue it.</div>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="emergence-engine ${escapeHtml(config.engineVersion)}">
<title>${escapeHtml(results.title || config.title)} · emergence-engine report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<p class="eyebrow">${experimentLine}</p>
<h1>${escapeHtml(results.title || config.title)}</h1>
${input.experiment ? `<p class="summary">${escapeHtml(input.experiment.summary)}</p>` : ''}
</header>
${banner}
<div class="facts">
${fact('status', escapeHtml(results.status), `status-${interrupted ? 'interrupted' : 'complete'}`)}
${fact('scale', escapeHtml(results.scale ?? config.scale))}
${fact('runs × seeds', `${runs} × ${seeds}`)}
${fact('backend', `${escapeHtml(environment.backend)} <span class="muted">(asked: ${escapeHtml(String(config.backend))})</span>`)}
${fact('device', escapeHtml(environment.device))}
${fact('runtime', escapeHtml(environment.runtime))}
${fact('duration', escapeHtml(formatDuration(results.seconds)))}
${fact('started', formatTimestamp(results.started))}
</div>

<h2>Scale</h2>
<p><strong>${escapeHtml(results.scale ?? config.scale)}</strong>: ${escapeHtml(results.scaling || config.scaling)}</p>

<h2>Emergence convention</h2>
<dl class="convention">
<dt>layers measured</dt><dd>${escapeHtml(convention.layers)}</dd>
<dt>node statistic</dt><dd><code>${escapeHtml(convention.statistic)}</code></dd>
<dt>threshold</dt><dd>${formatNumber(convention.threshold)}</dd>
<dt>probe</dt><dd>the first ${formatNumber(convention.probe)} samples of the test split</dd>
<dt>mode</dt><dd>${escapeHtml(convention.mode)}</dd>
</dl>

<h2>Results</h2>
${results.tables.length > 0 ? results.tables.map(resultTable).join('\n') : '<p class="muted">No result tables.</p>'}

<h2>Against the papers</h2>
${comparisonsTable(results.comparisons)}
${whereWeDiffer(results)}

<h2>Plots</h2>
${plotsSection(input)}

<h2>Settings</h2>
${settingsTable(config)}
<p>Seed <strong>${formatNumber(config.seed)}</strong> (seed i of a multi-seed run is ${formatNumber(config.seed)} + i). Rerun with:</p>
<pre><code>${escapeHtml(config.command)}</code></pre>
${detailsBlock(results)}

<h2>Files</h2>
<ul>
<li><a href="config.json">config.json</a>: everything needed to rerun the experiment</li>
<li><a href="metrics.csv">metrics.csv</a>: ${formatNumber(input.rows.length)} rows of per-epoch and per-step figures</li>
<li><a href="results.json">results.json</a>: tables, comparisons, notes and details</li>
${input.plots.map((plot) => `<li><a href="plots/${escapeHtml(plot.spec.id)}.svg">plots/${escapeHtml(plot.spec.id)}.svg</a></li>`).join('\n')}
</ul>

<footer>
Started ${formatTimestamp(results.started)}, finished ${formatTimestamp(results.finished)} (${escapeHtml(formatDuration(results.seconds))}).
Engine ${escapeHtml(config.engineVersion)}; config written ${formatTimestamp(config.created)}; report written ${formatTimestamp(input.generated)}.
</footer>
</main>
</body>
</html>
`;
}
